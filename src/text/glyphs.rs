//! Which characters the app's bundled font can show, from `assets/fonts/coverage.txt` (written
//! by `scripts/make-font.py` beside the font), and where a RON file's strings hold others.

use std::sync::OnceLock;

use crate::diagnostic::{Diagnostic, SourceText};

/// The font's non-ASCII characters, in code point order.
const COVERAGE: &str = include_str!("../../assets/fonts/coverage.txt");

fn covered() -> &'static [char] {
    static CHARS: OnceLock<Vec<char>> = OnceLock::new();
    CHARS.get_or_init(|| COVERAGE.chars().filter(|c| !c.is_ascii()).collect())
}

/// True when the app can draw `c`: printable ASCII, a line break or tab, or a character of the
/// font (U+3000 and the no-break space are in it; U+2028 and form feeds are not).
pub fn displayable(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_control() || matches!(c, '\n' | '\r' | '\t');
    }
    covered().binary_search(&c).is_ok()
}

/// Characters of `text` the app cannot draw, each once, in order of appearance.
pub fn undisplayable(text: &str) -> String {
    MissingGlyphs::in_text(text, 0).chars
}

/// One string literal of a RON file holding characters the font lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingGlyphs {
    /// Byte offset of the first such character.
    pub offset: usize,
    /// The characters, each once.
    pub chars: String,
}

impl MissingGlyphs {
    /// The characters of `text` the font lacks; `text` starts at byte `base` of its source.
    fn in_text(text: &str, base: usize) -> MissingGlyphs {
        let mut found = MissingGlyphs { offset: base, chars: String::new() };
        for (i, c) in text.char_indices() {
            if !displayable(c) {
                found.note(base + i, c);
            }
        }
        found
    }

    /// Notes a character the font lacks, found at byte `at`.
    fn note(&mut self, at: usize, c: char) {
        if self.chars.is_empty() {
            self.offset = at;
        }
        if !self.chars.contains(c) {
            self.chars.push(c);
        }
    }
}

/// The string literals of a RON source (comments skipped) whose text the app could not draw.
pub fn scan_ron_strings(source: &str) -> Vec<MissingGlyphs> {
    let mut out = Vec::new();
    let mut it = source.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        match c {
            '/' if it.peek().is_some_and(|&(_, n)| n == '/') => {
                for (_, n) in it.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '/' if it.peek().is_some_and(|&(_, n)| n == '*') => {
                it.next();
                let mut depth = 1;
                let mut prev = '\0';
                for (_, n) in it.by_ref() {
                    match (prev, n) {
                        ('/', '*') => {
                            depth += 1;
                            prev = '\0';
                            continue;
                        }
                        ('*', '/') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                            prev = '\0';
                            continue;
                        }
                        _ => {}
                    }
                    prev = n;
                }
            }
            // A raw string (r"…", r#"…"#): no escapes, ends at a quote followed by its hashes.
            'r' if !prev_is_ident(source, i) => {
                let Some(hashes) = raw_string_hashes(&source[i + 1..]) else { continue };
                let body_start = i + 1 + hashes + 1;
                let close = format!("\"{}", "#".repeat(hashes));
                let body_end = source[body_start..].find(&close).map_or(source.len(), |k| body_start + k);
                let found = MissingGlyphs::in_text(&source[body_start..body_end], body_start);
                if !found.chars.is_empty() {
                    out.push(found);
                }
                let resume = (body_end + close.len()).min(source.len());
                while it.peek().is_some_and(|&(k, _)| k < resume) {
                    it.next();
                }
            }
            '"' => {
                let mut found = MissingGlyphs { offset: i, chars: String::new() };
                let mut escaped = false;
                for (j, n) in it.by_ref() {
                    if escaped {
                        escaped = false;
                        continue;
                    }
                    match n {
                        '\\' => escaped = true,
                        '"' => break,
                        _ if !displayable(n) => found.note(j, n),
                        _ => {}
                    }
                }
                if !found.chars.is_empty() {
                    out.push(found);
                }
            }
            // A character literal ('好') is shown like a string.
            '\'' => {
                // Read the whole literal ('"', '\'' too), so a quote in it starts no string.
                let Some((j, n)) = it.next() else { break };
                if n == '\\' {
                    // An escape ('\'', '\u{41}'): up to the closing quote.
                    it.next();
                    for (_, c) in it.by_ref() {
                        if c == '\'' {
                            break;
                        }
                    }
                    continue;
                }
                if !displayable(n) {
                    out.push(MissingGlyphs { offset: j, chars: n.to_string() });
                }
                if it.peek().is_some_and(|&(_, c)| c == '\'') {
                    it.next();
                }
            }
            _ => {}
        }
    }
    out
}

/// The number of `#` of a raw string starting right after its `r` (`"…` → 0, `#"…` → 1).
fn raw_string_hashes(after_r: &str) -> Option<usize> {
    let rest = after_r.trim_start_matches('#');
    rest.starts_with('"').then_some(after_r.len() - rest.len())
}

/// True when the character before byte `i` continues an identifier (so `r` is not a prefix).
fn prev_is_ident(source: &str, i: usize) -> bool {
    source[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Warnings for the strings of `src` the app would draw as empty boxes.
pub fn check(src: &SourceText) -> Vec<Diagnostic> {
    scan_ron_strings(&src.text)
        .into_iter()
        .map(|m| {
            let shown: Vec<String> = m.chars.chars().map(|c| format!("“{c}”(U+{:04X})", c as u32)).collect();
            Diagnostic::warning(
                &src.path,
                src.pos_of(m.offset),
                "missing-glyph",
                format!("应用的字体里没有 {}，界面上会显示成空白方框", shown.join("、")),
                "换成常用字、去掉表情符号；确实要用时，把字加进 scripts/make-font.py 的字表并重新生成字体",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_text_is_displayable_and_rare_text_is_not() {
        assert!("您好，非常抱歉给您带来不便！ABC 123 ￥25.5 “好的”……".chars().all(displayable));
        assert_eq!(undisplayable("气死我了\u{1F621}\u{1F621}"), "\u{1F621}");
        // U+20BB7 (a variant of 吉) is outside GB2312 and the shipped texts.
        assert_eq!(undisplayable("\u{20BB7}野家"), "\u{20BB7}");
        assert!(!displayable('\u{7}'));
        assert!("\n\t\u{3000}\u{A0}".chars().all(displayable));
        assert!(!displayable('\u{2028}') && !displayable('\u{C}'), "not drawn: they are not in the font");
    }

    #[test]
    fn only_strings_are_scanned_and_positions_point_at_the_first_missing_character() {
        let src = "// 注释里的\u{1F621}不算\n(a: \"好\u{1F621}的\", /* \u{1F621} /* 嵌套\u{1F621} */ */ b: \"普通\", c: \"a\\\"\u{20BB7}\", d: '\u{1F621}')";
        let found = scan_ron_strings(src);
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0].chars, "\u{1F621}");
        assert_eq!(&src[found[0].offset..found[0].offset + 4], "\u{1F621}");
        assert!(src[..found[0].offset].ends_with("\"好"));
        assert_eq!(found[1].chars, "\u{20BB7}");
        assert_eq!(found[2].chars, "\u{1F621}");
    }

    #[test]
    fn raw_strings_are_read_to_their_own_end() {
        let src = "(p: r#\"退款\"\u{1F621}\"说\"#, // \"\u{1F621}\n q: r\"好\", r#type: \"\u{20BB7}\")";
        let found = scan_ron_strings(src);
        let chars: Vec<&str> = found.iter().map(|m| m.chars.as_str()).collect();
        assert_eq!(chars, ["\u{1F621}", "\u{20BB7}"], "{found:?}");
        assert!(src[..found[0].offset].ends_with("退款\""));
    }

    #[test]
    fn quotes_in_character_literals_start_no_string() {
        let src = "(a: '\"', b: '\\'', e: '\\u{41}', c: \"好\u{1F621}\", // \"\u{1F621}\n d: '\u{20BB7}')";
        let chars: Vec<String> = scan_ron_strings(src).into_iter().map(|m| m.chars).collect();
        assert_eq!(chars, ["\u{1F621}", "\u{20BB7}"]);
    }

    #[test]
    fn the_coverage_list_is_sorted_and_large() {
        let c = covered();
        assert!(c.len() > 7000, "{}", c.len());
        assert!(c.windows(2).all(|w| w[0] < w[1]), "coverage.txt must be in code point order");
    }
}
