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
    let folded: String = text.chars().map(fold_width_and_case).collect();
    if folded.is_ascii() {
        return folded;
    }
    fast2s::convert(&folded)
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
fn is_content_char(c: char) -> bool {
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
