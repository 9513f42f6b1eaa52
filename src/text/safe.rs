//! Text that cannot fool a terminal or a spreadsheet: control characters escaped before
//! printing, formula-looking CSV fields defused, trainee and team names checked where they
//! enter.
//!
//! Anything a trainee types (a name, an answer, a handoff note) or a record file carries ends
//! up in a terminal or a CSV file opened in a spreadsheet. A name like `\e]0;…\a` retitles the
//! terminal, `\e[2J` clears it, a newline forges a row of a table, U+202E turns the rest of a
//! line around; a CSV field like `=cmd|' /C calc'!A0` is run as a formula. The printers pass
//! such text through [`terminal_safe`] (or [`terminal_safe_lines`] where a text may span
//! lines) and [`csv_safe`]; names are refused at the door by [`validate_trainee_name`].

use std::borrow::Cow;
use std::fmt::Write as _;

/// The longest trainee or team name, in characters.
pub const MAX_NAME_CHARS: usize = 40;

/// What kind of character must not be printed raw, or `None` for an ordinary one.
pub fn unsafe_kind(c: char) -> Option<&'static str> {
    match c {
        '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' => Some("换行符"),
        '\t' => Some("制表符"),
        // Arabic letter mark, LRM/RLM, embeddings and overrides (U+202A–U+202E), isolates.
        '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            Some("文字方向控制符")
        }
        // C0, DEL and C1 (U+0080–U+009F).
        c if c.is_control() => Some("控制字符"),
        _ => None,
    }
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn escape_where(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let must_escape = |c: char| unsafe_kind(c).is_some() && !(keep_newlines && c == '\n');
    let Some(first) = s.find(must_escape) else { return Cow::Borrowed(s) };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if must_escape(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` safe to print on one line of a terminal: control characters (C0, DEL, C1), line and
/// paragraph separators and bidirectional controls are written as visible escapes (`\n`,
/// `\t`, `\u{1b}`, `\u{202e}` …). Borrowed when there is nothing to escape.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    escape_where(s, false)
}

/// As [`terminal_safe`], keeping `\n` as a line break: for texts printed as a block of lines
/// (a scenario's briefing), never for a cell of a table or a name.
pub fn terminal_safe_lines(s: &str) -> Cow<'_, str> {
    escape_where(s, true)
}

/// A CSV field that a spreadsheet will not run as a formula: a field starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's advice on CSV injection);
/// then control characters are escaped as by [`terminal_safe`] (a CSV file is often printed
/// too, and a newline inside a cell is not something a report needs). Use it for text fields
/// only, not for numbers the program writes itself (`-3.5` must stay a number).
pub fn csv_safe(s: &str) -> Cow<'_, str> {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let escaped = terminal_safe(s);
    if !formula {
        return escaped;
    }
    Cow::Owned(format!("'{escaped}"))
}

/// A JSON document safe to print: serde_json escapes C0 controls inside strings but writes
/// DEL, C1 controls, line separators and bidirectional controls raw; they become `\uXXXX`
/// escapes here (the same value to a JSON reader). Only for JSON text, where such characters
/// can stand inside strings only; the document's own line breaks are kept.
pub fn json_safe(json: &str) -> Cow<'_, str> {
    let must_escape = |c: char| c != '\n' && unsafe_kind(c).is_some();
    let Some(first) = json.find(must_escape) else { return Cow::Borrowed(json) };
    let mut out = String::with_capacity(json.len() + 16);
    out.push_str(&json[..first]);
    for c in json[first..].chars() {
        if must_escape(c) {
            // Every such character is in the Basic Multilingual Plane: one escape each.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Why a name was refused. The messages are Chinese and say what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{what}是空的")]
    Empty { what: &'static str },
    #[error("{what}有 {chars} 个字，超过上限 {max} 个字", max = MAX_NAME_CHARS)]
    TooLong { what: &'static str, chars: usize },
    #[error("{what}“{preview}”的第 {position} 个字是{kind}（U+{code:04X}），不能用在{what}里")]
    Forbidden { what: &'static str, preview: String, position: usize, kind: &'static str, code: u32 },
}

impl NameError {
    /// What names may contain.
    pub fn hint(&self) -> String {
        let what = match self {
            NameError::Empty { what } | NameError::TooLong { what, .. } | NameError::Forbidden { what, .. } => what,
        };
        format!(
            "{what}可以用汉字、字母、数字、空格和常见标点，最多 {MAX_NAME_CHARS} 个字；不能有换行、制表符、控制字符或文字方向控制符"
        )
    }
}

/// A short, printable preview of a refused name.
fn preview(s: &str) -> String {
    const SHOWN: usize = 20;
    let mut out: String = s.chars().take(SHOWN).collect();
    if s.chars().nth(SHOWN).is_some() {
        out.push('…');
    }
    terminal_safe(&out).into_owned()
}

fn validate_name<'a>(what: &'static str, name: &'a str) -> Result<&'a str, NameError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(NameError::Empty { what });
    }
    if let Some((i, c, kind)) = name.chars().enumerate().find_map(|(i, c)| unsafe_kind(c).map(|k| (i, c, k))) {
        return Err(NameError::Forbidden { what, preview: preview(name), position: i + 1, kind, code: c as u32 });
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(NameError::TooLong { what, chars });
    }
    Ok(name)
}

/// A trainee's name as it may be recorded: trimmed, 1 to [`MAX_NAME_CHARS`] characters, no
/// control characters, line breaks, tabs or bidirectional controls.
pub fn validate_trainee_name(name: &str) -> Result<&str, NameError> {
    validate_name("学员姓名", name)
}

/// A team's name, by the same rules as a trainee's.
pub fn validate_team_name(name: &str) -> Result<&str, NameError> {
    validate_name("团队名", name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn terminal_safe_escapes_what_moves_the_terminal() {
        assert!(matches!(terminal_safe("小王 您好，Mr. O'Neil"), Cow::Borrowed(_)));
        assert_eq!(terminal_safe("\u{1b}]0;PWNED\u{7}小王"), "\\u{1b}]0;PWNED\\u{7}小王");
        assert_eq!(terminal_safe("\u{1b}[2J"), "\\u{1b}[2J");
        assert_eq!(terminal_safe("小王\n假行\r\t"), "小王\\n假行\\r\\t");
        assert_eq!(terminal_safe("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(terminal_safe("\u{9b}31m\u{7f}\0"), "\\u{9b}31m\\u{7f}\\u{0}");
        assert_eq!(terminal_safe("a\u{2028}b\u{2066}c"), "a\\u{2028}b\\u{2066}c");
        assert_eq!(terminal_safe_lines("第一行\n第二行\u{1b}[2J\r"), "第一行\n第二行\\u{1b}[2J\\r");
    }

    #[test]
    fn json_safe_escapes_what_serde_leaves_raw() {
        let doc = serde_json::to_string(&serde_json::json!({"n": "一组\u{202e}\u{9b}31m\u{7f}\u{1b}"})).unwrap();
        assert_eq!(doc, "{\"n\":\"一组\u{202e}\u{9b}31m\u{7f}\\u001b\"}", "serde leaves all but ESC raw");
        assert_eq!(json_safe(&doc), "{\"n\":\"一组\\u202e\\u009b31m\\u007f\\u001b\"}");
        assert!(matches!(json_safe("{\n  \"a\": 1\n}"), Cow::Borrowed(_)));
    }

    #[test]
    fn csv_safe_defuses_formulas_and_keeps_plain_text() {
        assert_eq!(csv_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        for f in ["+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            let safe = csv_safe(f);
            assert!(safe.starts_with('\''), "{f:?} → {safe:?}");
            assert!(!safe.contains(['\t', '\r']), "{f:?} → {safe:?}");
        }
        assert_eq!(csv_safe("小王"), "小王");
        assert_eq!(csv_safe("a=b"), "a=b");
        assert_eq!(csv_safe(""), "");
        assert_eq!(csv_safe("小\u{1b}王"), "小\\u{1b}王");
    }

    #[test]
    fn names_are_checked_with_a_message_saying_what_is_allowed() {
        assert_eq!(validate_trainee_name("  小王 "), Ok("小王"));
        assert_eq!(validate_trainee_name("Mary-Jane O'Neil"), Ok("Mary-Jane O'Neil"));
        assert_eq!(validate_trainee_name(&"王".repeat(MAX_NAME_CHARS)).map(str::len), Ok(3 * MAX_NAME_CHARS));
        assert_eq!(validate_trainee_name(" "), Err(NameError::Empty { what: "学员姓名" }));
        let e = validate_trainee_name(&"王".repeat(MAX_NAME_CHARS + 1)).unwrap_err();
        assert_eq!(e.to_string(), "学员姓名有 41 个字，超过上限 40 个字");
        let e = validate_trainee_name("\u{1b}]0;PWNED\u{7}小王").unwrap_err();
        assert_eq!(
            e.to_string(),
            "学员姓名“\\u{1b}]0;PWNED\\u{7}小王”的第 1 个字是控制字符（U+001B），不能用在学员姓名里"
        );
        let e = validate_team_name("一组\n假行").unwrap_err();
        assert!(e.to_string().contains("第 3 个字是换行符（U+000A）"), "{e}");
        assert!(e.hint().contains("最多 40 个字"), "{}", e.hint());
        let e = validate_trainee_name("abc\u{202e}fed").unwrap_err();
        assert!(e.to_string().contains("文字方向控制符（U+202E）"), "{e}");
        // A huge name is refused with a short preview, not echoed whole.
        let huge = format!("{}\u{7}", "王".repeat(1 << 20));
        let e = validate_trainee_name(&huge).unwrap_err().to_string();
        assert!(e.len() < 300 && e.contains('…'), "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn terminal_safe_output_has_no_control_characters(s in any::<String>()) {
            let one_line = terminal_safe(&s);
            prop_assert!(one_line.chars().all(|c| unsafe_kind(c).is_none()), "{one_line:?}");
            let lines = terminal_safe_lines(&s);
            prop_assert!(lines.chars().all(|c| c == '\n' || unsafe_kind(c).is_none()), "{lines:?}");
            prop_assert_eq!(lines.matches('\n').count(), s.matches('\n').count());
            // Nothing is lost: ordinary characters come through in order.
            let plain: String = s.chars().filter(|c| unsafe_kind(*c).is_none()).collect();
            let kept: String = one_line.chars().filter(|c| !c.is_ascii()).collect();
            prop_assert_eq!(kept, plain.chars().filter(|c| !c.is_ascii()).collect::<String>());
        }

        #[test]
        fn json_safe_keeps_the_value_and_drops_control_characters(s in any::<String>()) {
            let doc = serde_json::to_string_pretty(&serde_json::json!({"name": s, "list": [s]})).unwrap();
            let safe = json_safe(&doc);
            prop_assert!(safe.chars().all(|c| c == '\n' || unsafe_kind(c).is_none()), "{safe:?}");
            let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
            prop_assert_eq!(back["name"].as_str(), Some(s.as_str()));
        }

        #[test]
        fn csv_safe_never_starts_a_formula(s in any::<String>()) {
            let safe = csv_safe(&s);
            prop_assert!(!safe.starts_with(['=', '+', '-', '@', '\t', '\r']), "{safe:?}");
            prop_assert!(safe.chars().all(|c| unsafe_kind(c).is_none()), "{safe:?}");
        }

        #[test]
        fn a_valid_name_is_printable_as_is(s in any::<String>()) {
            if let Ok(name) = validate_trainee_name(&s) {
                prop_assert!(matches!(terminal_safe(name), Cow::Borrowed(_)));
                prop_assert!(name.chars().count() <= MAX_NAME_CHARS && !name.is_empty());
            }
        }
    }
}
