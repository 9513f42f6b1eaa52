//! Personal data in the forms people type or say it, beside the pattern rules of `redact`:
//! digits read out in Chinese numerals (一三八…), spaced or dotted (1 3 5 …, 135.1234.5678,
//! 370102 19900307 1234), IPv4 addresses, licence plates (鲁A12345), e-mail addresses
//! written out (zhangsan at qq dot com), bare local numbers (28823141) and English names after
//! a title (Mr. Zhang Wei). Each finder returns byte ranges of the text with their kind.

use regex::Regex;

use super::redact::{PiiKind, local_number_runs, next_char, prev_char};

/// A piece of personal data: byte range and kind.
pub(crate) type Found = (usize, usize, PiiKind);

/// The digit a character stands for when a number is typed or read out.
fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '零' | '〇' => Some(0),
        '一' | '幺' => Some(1),
        '二' => Some(2),
        '三' => Some(3),
        '四' => Some(4),
        '五' => Some(5),
        '六' => Some(6),
        '七' => Some(7),
        '八' => Some(8),
        '九' => Some(9),
        _ => None,
    }
}

/// Characters that may stand between the digits of one number: spaces, dashes and dots.
fn is_digit_separator(c: char) -> bool {
    matches!(c, ' ' | '\u{3000}' | '\u{a0}' | '-' | '.' | '·')
}

/// A run of digits, possibly in groups with one separator between them.
#[derive(Debug, Default)]
struct DigitRun {
    start: usize,
    end: usize,
    digits: Vec<u8>,
    /// Digits per group.
    groups: Vec<usize>,
    separators: Vec<char>,
    /// Some digit was a Chinese numeral.
    chinese: bool,
    /// A final X (the check character of an ID number) follows the digits.
    check_x: bool,
}

/// Every run of digits in `text` (ASCII digits or Chinese numerals, one script a run: 张三
/// 138… is a name and a number; groups joined by one separator, or two spaces).
fn digit_runs(text: &str) -> Vec<DigitRun> {
    let mut runs = Vec::new();
    let mut cur: Option<DigitRun> = None;
    // Separators seen since the last digit of `cur`, and the script of that digit.
    let mut pending: Vec<char> = Vec::new();
    let mut last_ascii = true;
    for (at, c) in text.char_indices() {
        if let Some(d) = digit_value(c) {
            let same_script = c.is_ascii_digit() == last_ascii;
            last_ascii = c.is_ascii_digit();
            match cur.as_mut().filter(|_| same_script) {
                Some(run) if pending.is_empty() => {
                    *run.groups.last_mut().expect("a run has a group") += 1;
                    run.digits.push(d);
                    run.end = at + c.len_utf8();
                    run.chinese |= !c.is_ascii_digit();
                }
                Some(run) if pending.len() == 1 || pending.iter().all(|&s| s == ' ') && pending.len() == 2 => {
                    run.groups.push(1);
                    run.separators.push(pending[0]);
                    run.digits.push(d);
                    run.end = at + c.len_utf8();
                    run.chinese |= !c.is_ascii_digit();
                }
                _ => {
                    runs.extend(cur.take());
                    cur = Some(DigitRun {
                        start: at,
                        end: at + c.len_utf8(),
                        digits: vec![d],
                        groups: vec![1],
                        chinese: !c.is_ascii_digit(),
                        ..DigitRun::default()
                    });
                }
            }
            pending.clear();
        } else if cur.is_some() && is_digit_separator(c) && pending.len() < 2 {
            pending.push(c);
        } else {
            if let Some(run) = cur.as_mut()
                && pending.is_empty()
                && matches!(c, 'X' | 'x')
                && run.digits.len() == 17
            {
                run.check_x = true;
                run.end = at + 1;
            }
            runs.extend(cur.take());
            pending.clear();
        }
    }
    runs.extend(cur);
    runs
}

/// True when one of the words that come before an IP address stands in the eight characters
/// before `at`.
fn after_network_word(text: &str, at: usize) -> bool {
    let from = text[..at].char_indices().rev().nth(7).map_or(0, |(b, _)| b);
    let before = text[from..at].to_lowercase();
    ["ip", "地址", "dns", "服务器", "网关", "主机", "路由"].iter().any(|w| before.contains(w))
}

/// True when `d[at..at + 8]` is a date YYYYMMDD between 1900 and 2099.
fn is_date8(d: &[u8], at: usize) -> bool {
    let Some(x) = d.get(at..at + 8) else { return false };
    let n = |r: std::ops::Range<usize>| x[r].iter().fold(0u32, |v, &b| v * 10 + u32::from(b));
    let (y, m, day) = (n(0..4), n(4..6), n(6..8));
    (1900..=2099).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&day)
}

/// Numbers written other than as one run of ASCII digits: in Chinese numerals, in groups with
/// spaces, dots or dashes. Dates, decimals, prices and lists of small numbers stay.
pub(crate) fn spelled_numbers(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for run in digit_runs(text) {
        let spaced = run.groups.len() > 1;
        if !run.chinese && !spaced {
            continue; // one plain run of digits: the pattern rules' and `bare_numbers`' job
        }
        // No letter glued to it (a model number: SM-G 9550 …).
        if prev_char(text, run.start).is_some_and(|c| c.is_ascii_alphabetic())
            || next_char(text, run.end).is_some_and(|c| c.is_ascii_alphanumeric())
        {
            continue;
        }
        match classify(&run) {
            // A version number (1.4.8.5, 2.4.2.132) has the shape of an address whose first
            // group is small; it is one only after words about networks.
            Some(PiiKind::Ip) if run.groups[0] == 1 && !after_network_word(text, run.start) => {}
            Some(kind) => found.push((run.start, run.end, kind)),
            None => {}
        }
    }
    found
}

fn classify(run: &DigitRun) -> Option<PiiKind> {
    let d = &run.digits;
    let n = d.len();
    let dotted = !run.separators.is_empty() && run.separators.iter().all(|&s| s == '.');
    if !run.chinese && dotted && run.groups.len() == 4 && run.groups.iter().all(|&g| g <= 3) {
        // An IPv4 address: four groups of at most three digits, each at most 255.
        let mut at = 0;
        let valid = run.groups.iter().all(|&g| {
            let v = d[at..at + g].iter().fold(0u32, |v, &b| v * 10 + u32::from(b));
            at += g;
            v <= 255
        });
        return valid.then_some(PiiKind::Ip);
    }
    if n < 7 {
        return None;
    }
    if !run.chinese {
        let dashed_or_dotted = run.separators.iter().all(|&s| matches!(s, '-' | '.' | '/'));
        // A date (2026-11-21, 2026.11.21) or a decimal (3.1415926) is not personal data.
        if dashed_or_dotted && run.groups[0] == 4 && matches!(d[..2], [1, 9] | [2, 0]) && run.groups.len() <= 3 {
            return None;
        }
        if dotted && run.groups.len() == 2 {
            return None;
        }
    }
    let single_digits = run.groups.iter().all(|&g| g == 1);
    let read_out = run.chinese || single_digits;
    if n == 11 && d[0] == 1 && d[1] >= 3 {
        return Some(PiiKind::Mobile);
    }
    if (n == 18 || n == 17 && run.check_x) && is_date8(d, 6) {
        return Some(PiiKind::IdCard);
    }
    let card_groups = run.groups.len() >= 4 && run.groups[..run.groups.len() - 1].iter().all(|&g| g == 4);
    if (16..=19).contains(&n) && (read_out || card_groups) {
        return Some(PiiKind::BankCard);
    }
    if !read_out {
        return None; // a list of numbers: 38 58 88 128
    }
    if (7..=8).contains(&n) && d[0] >= 2 { Some(PiiKind::Landline) } else { Some(PiiKind::Number) }
}

/// Characters after a number that make it an amount or a count, not a phone number.
const UNITS: &str = "元块角毛分万千百亿个次年月日号天周时秒米斤克吨件台张条位人家户套份笔单元%GgMmKkTtWw";

/// A bare run of 7 or 8 ASCII digits (the first 2–9): a local phone number or some other
/// identifier, unless it is a date (20261121), an amount (¥2500000, 2500000元) or part of a
/// longer token (a time 10:30, a decimal, a model number).
pub(crate) fn bare_numbers(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for (start, i) in local_number_runs(text) {
        let run = &text.as_bytes()[start..i];
        let digits: Vec<u8> = run.iter().map(|b| b - b'0').collect();
        if run.len() == 8 && is_date8(&digits, 0) {
            continue;
        }
        let before = prev_char(text, start);
        let after = next_char(text, i);
        let glued = |c: Option<char>| {
            c.is_some_and(|c| {
                c.is_ascii_alphabetic() || matches!(c, '.' | ':' | '：' | '/' | '-' | '_' | ',' | '*' | '+')
            })
        };
        if glued(before) || glued(after) {
            continue;
        }
        if before.is_some_and(|c| matches!(c, '¥' | '￥' | '$' | '第' | '共' | '约' | '价'))
            || after.is_some_and(|c| UNITS.contains(c))
            || text[i..].trim_start().starts_with(['元', '块', '万', '%'])
        {
            continue;
        }
        found.push((start, i, PiiKind::Number));
    }
    found
}

/// The finders that are regular expressions, compiled once.
#[derive(Clone)]
pub(crate) struct FormRules {
    plate: Regex,
    spelled_email: Regex,
    english_name: Regex,
}

impl FormRules {
    pub(crate) fn new() -> FormRules {
        let re = |p: &str| Regex::new(p).unwrap_or_else(|e| panic!("redaction pattern {p}: {e}"));
        let at = r"(?:\s*(?:\(at\)|\[at\]|\{at\}|<at>|（at）|艾特|圈a|@|#)\s*|\s+at\s+)";
        let dot = r"(?:\s*(?:\(dot\)|\[dot\]|\{dot\}|<dot>|（dot）|点|\.)\s*|\s+dot\s+)";
        FormRules {
            plate: re(
                r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Za-hj-np-z][·• ]?[A-HJ-NP-Za-hj-np-z0-9]{5,6}",
            ),
            spelled_email: re(&format!(
                r"(?i)[a-z0-9][a-z0-9._%+\-]{{1,63}}{at}[a-z0-9\-]+(?:{dot}[a-z0-9\-]+)*?{dot}(?:com|cn|net|org|edu|gov|io)(?-u:\b)"
            )),
            english_name: re(
                r"(?:(?-u:\b)(?:Mr|Mrs|Ms|Miss|Mx|Dr|Madam)\.?\s+|(?i:my name is|this is|i am|i'm)\s+)([A-Z][a-z]+(?:[\s\-][A-Z][a-z]+){0,2})",
            ),
        }
    }

    /// Licence plates: a province's character, the city's letter, five or six letters and digits
    /// (at least two digits), not glued to more of them.
    pub(crate) fn plates(&self, text: &str) -> Vec<Found> {
        self.plate
            .find_iter(text)
            .filter(|m| {
                m.as_str().bytes().filter(u8::is_ascii_digit).count() >= 2
                    && !next_char(text, m.end()).is_some_and(|c| c.is_ascii_alphanumeric())
            })
            .map(|m| (m.start(), m.end(), PiiKind::Plate))
            .collect()
    }

    /// E-mail addresses written out against harvesters: `zhangsan at qq dot com`,
    /// `li(at)163(dot)com`, `wang艾特qq点com`.
    pub(crate) fn spelled_emails(&self, text: &str) -> Vec<Found> {
        self.spelled_email
            .find_iter(text)
            .filter(|m| !prev_char(text, m.start()).is_some_and(|c| c.is_ascii_alphanumeric()))
            .map(|m| (m.start(), m.end(), PiiKind::Email))
            .collect()
    }

    /// English names after a title or an introduction (Mr. Zhang Wei, my name is Li Na): the
    /// title stays.
    pub(crate) fn english_names(&self, text: &str) -> Vec<Found> {
        self.english_name
            .captures_iter(text)
            .filter_map(|c| c.get(1))
            .map(|m| (m.start(), m.end(), PiiKind::Name))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(found: &[Found], text: &str) -> Vec<(String, PiiKind)> {
        found.iter().map(|&(s, e, k)| (text[s..e].to_string(), k)).collect()
    }

    #[test]
    fn numbers_read_out_spaced_or_dotted() {
        let cases = [
            ("我的电话一三八一二三四五六七八", "一三八一二三四五六七八", PiiKind::Mobile),
            ("号码是 1 3 5 8 8 8 8 6 6 6 6 谢谢", "1 3 5 8 8 8 8 6 6 6 6", PiiKind::Mobile),
            ("手机135.1234.5678", "135.1234.5678", PiiKind::Mobile),
            ("身份证370102 19900307 1234", "370102 19900307 1234", PiiKind::IdCard),
            ("身份证 370102 1990 0307 123X", "370102 1990 0307 123X", PiiKind::IdCard),
            ("卡号六二二二零二一二三四五六七八九零一二", "六二二二零二一二三四五六七八九零一二", PiiKind::BankCard),
            ("座机八八二三一四一", "八八二三一四一", PiiKind::Landline),
            ("服务器 192.168.1.100 连不上", "192.168.1.100", PiiKind::Ip),
            ("DNS 换成 8.8.8.8 就好了", "8.8.8.8", PiiKind::Ip),
            ("幺三九 幺二三四 五六七八", "幺三九 幺二三四 五六七八", PiiKind::Mobile),
        ];
        for (text, value, kind) in cases {
            assert_eq!(kinds(&spelled_numbers(text), text), vec![(value.to_string(), kind)], "{text}");
        }
    }

    #[test]
    fn dates_decimals_prices_lists_and_words_stay() {
        for text in [
            "2026-11-21 下单",
            "2026.11.21 到货",
            "圆周率3.1415926",
            "套餐有 38 58 88 128 几档",
            "一五一十地说",
            "一二三四五",
            "十一月二十三日",
            "版本 1.2.3",
            "型号SM-G 9550 123",
            "第一二三名",
            "999.99元",
            "张三 13812345678",
            "更新完1.4.8.5后",
            "版本号:2.4.2.132",
        ] {
            assert_eq!(kinds(&spelled_numbers(text), text), vec![], "{text}");
        }
    }

    #[test]
    fn bare_local_numbers_but_not_dates_or_amounts() {
        let t = "28823141 姓李";
        assert_eq!(kinds(&bare_numbers(t), t), vec![("28823141".to_string(), PiiKind::Number)]);
        for text in
            ["20261121下的单", "¥2500000", "退了2500000元", "10:30:00", "共3000000人", "3.1415926", "SN12345678"]
        {
            assert_eq!(kinds(&bare_numbers(text), text), vec![], "{text}");
        }
    }

    #[test]
    fn plates_emails_and_english_names() {
        let f = FormRules::new();
        let t = "车牌鲁A12345被拍了";
        assert_eq!(kinds(&f.plates(t), t), vec![("鲁A12345".to_string(), PiiKind::Plate)]);
        let t = "新能源粤B·D12345";
        assert_eq!(kinds(&f.plates(t), t), vec![("粤B·D12345".to_string(), PiiKind::Plate)]);
        assert!(f.plates("新iPhone").is_empty() && f.plates("苏ABCDEF").is_empty());
        for (t, v) in [
            ("发到 zhangsan at qq dot com 吧", "zhangsan at qq dot com"),
            ("li.na(at)163(dot)com", "li.na(at)163(dot)com"),
            ("wang2026艾特qq点com", "wang2026艾特qq点com"),
        ] {
            assert_eq!(kinds(&f.spelled_emails(t), t), vec![(v.to_string(), PiiKind::Email)], "{t}");
        }
        assert!(f.spelled_emails("look at this dot").is_empty());
        let t = "Mr. Zhang Wei called";
        assert_eq!(kinds(&f.english_names(t), t), vec![("Zhang Wei".to_string(), PiiKind::Name)]);
        let t = "my name is Li Na";
        assert_eq!(kinds(&f.english_names(t), t), vec![("Li Na".to_string(), PiiKind::Name)]);
        assert!(f.english_names("Mr.").is_empty() && f.english_names("this is bad").is_empty());
    }
}
