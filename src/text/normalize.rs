//! Text folding before matching: full-width to half-width, traditional to simplified, ASCII lower case.

/// Folds one character: full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space become
/// their half-width twins, ASCII letters become lower case. Other characters are returned as is.
pub fn fold_width_and_case(c: char) -> char {
    let c = match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// Normalises text for matching: width and case folding, then traditional to simplified
/// characters, so "抱歉", "抱歉" and "ＶＩＰ"/"vip" compare equal.
pub fn normalize(text: &str) -> String {
    // One look at the text decides which of the two (costly) conversions can change it. The
    // UTF-8 is read here: ASCII and three-byte characters (where every candidate is) without
    // the general decoder.
    let candidates = t2s_candidates();
    let bytes = text.as_bytes();
    let (mut needs_fold, mut may_be_traditional) = (false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            needs_fold |= b.is_ascii_uppercase();
            i += 1;
        } else if (0xE0..0xF0).contains(&b) {
            let c = three_byte_char(bytes, i);
            needs_fold |= c == 0x3000 || (0xFF01..=0xFF5E).contains(&c);
            may_be_traditional |= candidates.contains_code(c);
            i += 3;
        } else {
            // Two- and four-byte characters are neither folded nor converted.
            i += if b >= 0xF0 { 4 } else { 2 };
        }
    }
    let folded = if needs_fold { fold(text) } else { text.to_owned() };
    if !may_be_traditional {
        return folded;
    }
    fast2s::convert(&folded)
}

/// `fold_width_and_case` on every character: the runs it leaves alone are copied whole.
fn fold(text: &str) -> String {
    // Folding never lengthens the text: full-width forms (3 bytes) become ASCII.
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let (mut run, mut i) = (0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        let (folded, width) = if b.is_ascii_uppercase() {
            (b.to_ascii_lowercase(), 1)
        } else if b == 0xE3 || b == 0xEF {
            let c = three_byte_char(bytes, i);
            match c {
                0x3000 => (b' ', 3),
                0xFF01..=0xFF5E => (((c - 0xFF01 + 0x21) as u8).to_ascii_lowercase(), 3),
                _ => {
                    i += 3;
                    continue;
                }
            }
        } else {
            i += 1;
            continue;
        };
        out.push_str(&text[run..i]);
        out.push(char::from(folded));
        i += width;
        run = i;
    }
    out.push_str(&text[run..]);
    out
}

/// The character whose three-byte UTF-8 sequence starts at `bytes[i]` (a lead byte E0..EF of
/// valid UTF-8, so both continuation bytes follow), decoded without the general decoder.
#[inline(always)]
pub(crate) fn three_byte_char(bytes: &[u8], i: usize) -> u32 {
    (u32::from(bytes[i] & 0x0F) << 12) | (u32::from(bytes[i + 1] & 0x3F) << 6) | u32::from(bytes[i + 2] & 0x3F)
}

/// A set of characters of the Basic Multilingual Plane, one bit each (8 KB): a lookup per
/// character of a text costs no hashing. Characters beyond the plane are never in it.
#[derive(Clone)]
pub(crate) struct BmpCharSet(Box<[u64]>);

impl BmpCharSet {
    pub(crate) fn new() -> BmpCharSet {
        BmpCharSet(vec![0u64; 0x1_0000 / 64].into_boxed_slice())
    }

    /// Adds `c` (nothing happens for a character beyond the plane).
    pub(crate) fn insert(&mut self, c: char) {
        let i = c as usize;
        if i < 0x1_0000 {
            self.0[i / 64] |= 1 << (i % 64);
        }
    }

    pub(crate) fn contains(&self, c: char) -> bool {
        self.contains_code(c as u32)
    }

    /// `contains` for a character given by its code point.
    pub(crate) fn contains_code(&self, c: u32) -> bool {
        let i = c as usize;
        i < 0x1_0000 && self.0[i / 64] & (1 << (i % 64)) != 0
    }
}

/// The keys of fast2s's two-character special cases that converting each character alone
/// does not put in the set: 著 (changed only in 看著) and, to be safe, 藉 and U+82E7, the other
/// context-only keys in its source (藉 is never changed in fact, U+82E7 is changed alone too).
/// (Traditional characters the app's font cannot draw are written as escapes.)
const CONVERTED_ONLY_IN_CONTEXT: [char; 3] = ['藉', '著', '\u{82E7}'];

/// The characters `fast2s::convert` may change (it converts only characters of three UTF-8
/// bytes: U+0800..U+FFFF).
fn t2s_candidates() -> &'static BmpCharSet {
    static SET: std::sync::OnceLock<BmpCharSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        // Every three-byte character once, each followed by a space so that no two of them
        // form one of fast2s's two-character special cases; one call converts them all.
        let chars: Vec<char> = (0x800u32..=0xFFFF).filter_map(char::from_u32).collect();
        let mut all = String::with_capacity(chars.len() * 4);
        for &c in &chars {
            all.push(c);
            all.push(' ');
        }
        let converted = fast2s::convert(&all);
        let mut set = BmpCharSet::new();
        for (&c, d) in chars.iter().zip(converted.chars().step_by(2)) {
            if c != d {
                set.insert(c);
            }
        }
        CONVERTED_ONLY_IN_CONTEXT.into_iter().for_each(|c| set.insert(c));
        set
    })
}

/// True for characters that end a clause (negation does not reach across them).
pub fn is_clause_break(c: char) -> bool {
    matches!(c, ',' | '.' | '!' | '?' | ';' | ':' | '\n' | '，' | '。' | '！' | '？' | '；' | '：' | '、' | '…' | '~')
}

/// True for characters that end a sentence.
pub fn is_sentence_break(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '\n' | '。' | '！' | '？' | '…')
}

/// Number of characters that carry content (letters, digits, CJK), ignoring punctuation,
/// symbols and white space.
pub fn content_chars(text: &str) -> usize {
    text.chars().filter(|&c| is_content_char(c)).count()
}

/// A letter, digit or CJK character (`char::is_alphanumeric`, with the common CJK block
/// answered without the Unicode table lookup).
pub(crate) fn is_content_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ('\u{4E00}'..='\u{9FFF}').contains(&c) || (!c.is_ascii() && c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_case_fold() {
        assert_eq!(normalize("ＶＩＰ客户！！"), "vip客户!!");
        assert_eq!(normalize("１２３　ａｂｃ"), "123 abc");
    }

    #[test]
    fn traditional_becomes_simplified() {
        assert_eq!(normalize("對不起，給您添麻煩了"), "对不起,给您添麻烦了");
        assert_eq!(normalize("退款處理"), "退款处理");
    }

    /// `normalize` as it was before the candidate set: fold everything, convert every
    /// non-ASCII text.
    fn reference(text: &str) -> String {
        let folded: String = text.chars().map(fold_width_and_case).collect();
        if folded.is_ascii() { folded } else { fast2s::convert(&folded) }
    }

    #[test]
    fn the_special_cases_of_fast2s_are_kept() {
        // fast2s's two-character special cases (exclusions and context-only conversions).
        for t in [
            "藉口",
            "\u{6191}藉",
            "看著",
            "\u{82E7}麻",
            "\u{95D4}家",
            "\u{937E}\u{66F8}",
            "校\u{8B8E}",
            "\u{8A08}\u{756B}",
            "企\u{756B}",
            "乾隆的乾\u{5152}子",
            "慰藉",
            "回覆",
            "甚夥",
        ] {
            assert_eq!(normalize(t), reference(t), "{t}");
        }
        assert_eq!(normalize("乾隆的乾\u{5152}子"), "乾隆的干儿子");
    }

    #[test]
    fn the_candidate_set_holds_every_character_fast2s_changes() {
        let set = t2s_candidates();
        for c in (0x800u32..=0xFFFF).filter_map(char::from_u32) {
            let s = c.to_string();
            assert!(set.contains(c) || fast2s::convert(&s) == s, "{c:?}");
            for t in [s.clone(), format!("说{c}话"), format!("\u{8AAA}{c}\u{8A71}"), format!("A{c}")] {
                assert_eq!(normalize(&t), reference(&t), "{t:?}");
            }
        }
        assert!(set.contains('\u{8AAA}') && !set.contains('说') && !set.contains('a'));
    }

    /// Characters of every width, the folded ones and their neighbours, in every order.
    #[test]
    fn normalising_reads_characters_of_every_width() {
        let pieces = [
            "A",
            "z",
            "1",
            "!",
            "é",
            "ß",
            "\u{7FF}",
            "\u{800}",
            "\u{2FFF}",
            "\u{3000}",
            "\u{3001}",
            "\u{FF00}",
            "\u{FF01}",
            "Ａ",
            "ｚ",
            "\u{FF5E}",
            "\u{FF5F}",
            "\u{FFFD}",
            "\u{8AAA}",
            "\u{20000}",
            "\u{1F600}",
        ];
        for t in crate::text::texts_of_pieces(&pieces, 3) {
            assert_eq!(normalize(&t), reference(&t), "{t:?}");
            assert_eq!(fold(&t), t.chars().map(fold_width_and_case).collect::<String>(), "{t:?}");
        }
    }

    #[test]
    fn normalising_without_conversions_returns_the_text() {
        for t in ["您好,请问有什么可以帮您?", "abc 123", "", "订单号 sf1234567890"] {
            assert_eq!(normalize(t), t);
        }
        assert_eq!(normalize("ABC　１２３"), "abc 123");
    }

    #[test]
    fn is_content_char_agrees_with_is_alphanumeric() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(is_content_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn content_chars_skip_punctuation() {
        assert_eq!(content_chars("好的！！！"), 2);
        assert_eq!(content_chars("  ...  "), 0);
    }
}
