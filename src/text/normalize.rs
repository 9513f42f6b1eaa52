//! Text folding before matching: full-width to half-width, traditional to simplified, ASCII lower case.

use rustc_hash::FxHashSet;

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
    // The conversion is costly, and most texts hold no character it changes (none is ASCII).
    let candidates = t2s_candidates();
    let mut convert = false;
    let folded: String = text
        .chars()
        .map(|c| {
            convert |= !c.is_ascii() && candidates.contains(&c);
            fold_width_and_case(c)
        })
        .collect();
    if convert { fast2s::convert(&folded) } else { folded }
}

/// The keys of fast2s's two-character special cases that converting each character alone
/// does not put in the set: 著 (changed only in 看著) and, to be safe, 藉 and U+82E7, the other
/// context-only keys in its source (藉 is never changed in fact, U+82E7 is changed alone too).
/// (Traditional characters the app's font cannot draw are written as escapes.)
const CONVERTED_ONLY_IN_CONTEXT: [char; 3] = ['藉', '著', '\u{82E7}'];

/// The characters `fast2s::convert` may change (it converts only characters of three UTF-8
/// bytes: U+0800..U+FFFF).
fn t2s_candidates() -> &'static FxHashSet<char> {
    static SET: std::sync::OnceLock<FxHashSet<char>> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        // Every such character once, each followed by a space so that no two of them form one
        // of fast2s's two-character special cases; one call converts them all.
        let chars: Vec<char> = ('\u{800}'..='\u{FFFF}').collect();
        let mut all = String::with_capacity(chars.len() * 4);
        for &c in &chars {
            all.push(c);
            all.push(' ');
        }
        let converted = fast2s::convert(&all);
        let mut set: FxHashSet<char> =
            chars.iter().zip(converted.chars().step_by(2)).filter(|(c, d)| *c != d).map(|(&c, _)| c).collect();
        set.extend(CONVERTED_ONLY_IN_CONTEXT);
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

/// A letter, digit or CJK character (`char::is_alphanumeric`).
pub(crate) fn is_content_char(c: char) -> bool {
    c.is_alphanumeric()
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

    /// `normalize` without the candidate set: fold every character, convert every non-ASCII
    /// text.
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
            assert!(set.contains(&c) || fast2s::convert(&s) == s, "{c:?}");
            for t in [s.clone(), format!("说{c}话"), format!("\u{8AAA}{c}\u{8A71}"), format!("A{c}")] {
                assert_eq!(normalize(&t), reference(&t), "{t:?}");
            }
        }
        assert!(set.contains(&'\u{8AAA}') && !set.contains(&'说') && !set.contains(&'a'));
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
    fn content_chars_skip_punctuation() {
        assert_eq!(content_chars("好的！！！"), 2);
        assert_eq!(content_chars("  ...  "), 0);
        assert_eq!(content_chars("VIP客户 123，谢谢"), 10);
        assert_eq!(content_chars("é\u{663}\u{20000}\u{1F60A}。"), 3);
    }
}
