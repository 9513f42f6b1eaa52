//! Problems found in a trainer's file, each with file, line, column and a hint on how to fix it.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem in one file. `line` and `column` are 1-based; 0 means "the whole file".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    /// A short stable code, e.g. `unknown-field`, for scripts and the docs.
    pub code: &'static str,
    /// What is wrong, in Chinese.
    pub message: String,
    /// How to fix it, in Chinese.
    pub hint: String,
}

impl Diagnostic {
    pub fn error(
        path: &Path,
        pos: Pos,
        code: &'static str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Diagnostic {
            path: path.to_path_buf(),
            line: pos.line,
            column: pos.column,
            severity: Severity::Error,
            code,
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn warning(
        path: &Path,
        pos: Pos,
        code: &'static str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(path, pos, code, message, hint) }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "错误",
            Severity::Warning => "警告",
        };
        write!(
            f,
            "{}:{}:{}: {level}[{}]: {}",
            self.path.display(),
            self.line.max(1),
            self.column.max(1),
            self.code,
            self.message
        )?;
        if !self.hint.is_empty() {
            write!(f, "\n    提示：{}", self.hint)?;
        }
        Ok(())
    }
}

/// Several diagnostics as one error value (the file could not be used).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// A 1-based position in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };

    pub fn new(line: usize, column: usize) -> Self {
        Pos { line, column }
    }
}

/// The text of a file, kept so that problems found after parsing can be pointed at.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub path: PathBuf,
    pub text: String,
}

impl SourceText {
    /// Position of a byte offset.
    pub fn pos_of(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Pos::new(line, before[line_start..].chars().count() + 1)
    }

    /// Where `key: "value"` is written (the value's opening quote), or failing that where
    /// `"value"` first appears, or failing that the start of the file.
    pub fn locate(&self, key: &str, value: &str) -> Pos {
        self.locate_nth(key, value, 0)
    }

    /// As `locate`, for the `nth` (0-based) time `key: "value"` is written.
    pub fn locate_nth(&self, key: &str, value: &str, nth: usize) -> Pos {
        let mut from = 0;
        for _ in 0..nth {
            match self.offset_of(key, value, from) {
                Some(at) => from = at + 1,
                None => break,
            }
        }
        self.offset_of(key, value, from)
            .or_else(|| self.offset_of("", value, 0))
            .map_or(Pos::START, |at| self.pos_of(at))
    }

    /// Byte offset where `key: "value"` is first written at or after byte `from`.
    pub fn offset_of(&self, key: &str, value: &str, from: usize) -> Option<usize> {
        let quoted = format!("\"{}\"", escape_for_ron(value));
        let mut at_from = from.min(self.text.len());
        while let Some(found) = self.text.get(at_from..)?.find(&quoted) {
            let at = at_from + found;
            if key.is_empty() || preceded_by_key(&self.text[..at], key) {
                return Some(at);
            }
            at_from = at + quoted.len();
        }
        None
    }

    /// Where `key: "value"` is written inside the item introduced by `anchor_key: "anchor"`
    /// (e.g. a field of the turn with `id: "open"`); falls back to the anchor, then the file.
    pub fn locate_within(&self, anchor_key: &str, anchor: &str, key: &str, value: &str) -> Pos {
        match self.offset_of(anchor_key, anchor, 0) {
            Some(start) => match self.offset_of(key, value, start) {
                Some(at) => self.pos_of(at),
                None => self.pos_of(start),
            },
            None => self.locate(key, value),
        }
    }

    /// Where the bare field `key:` is first written after the item `anchor_key: "anchor"`.
    pub fn locate_key_within(&self, anchor_key: &str, anchor: &str, key: &str) -> Pos {
        match self.offset_of(anchor_key, anchor, 0) {
            Some(start) => self.key_offset(key, start).map_or_else(|| self.pos_of(start), |at| self.pos_of(at)),
            None => self.locate_key(key),
        }
    }

    /// Where the bare field `key:` is first written after the field `anchor_key:`.
    pub fn locate_key_after(&self, anchor_key: &str, key: &str) -> Pos {
        match self.key_offset(anchor_key, 0) {
            Some(start) => self.key_offset(key, start).map_or_else(|| self.pos_of(start), |at| self.pos_of(at)),
            None => self.locate_key(key),
        }
    }

    fn key_offset(&self, key: &str, from: usize) -> Option<usize> {
        let needle = format!("{key}:");
        let mut from = from.min(self.text.len());
        while let Some(found) = self.text.get(from..)?.find(&needle) {
            let at = from + found;
            let before_ok = self.text[..at].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            if before_ok {
                return Some(at);
            }
            from = at + needle.len();
        }
        None
    }

    /// Where a bare field name (`key:`) is first written after byte `from`.
    pub fn locate_key(&self, key: &str) -> Pos {
        self.key_offset(key, 0).map_or(Pos::START, |at| self.pos_of(at))
    }

    /// Where a plain substring first appears.
    pub fn locate_text(&self, needle: &str) -> Pos {
        self.text.find(needle).map_or(Pos::START, |at| self.pos_of(at))
    }
}

fn preceded_by_key(before: &str, key: &str) -> bool {
    // True when `before` ends with `key:` or `key(`, optionally followed by an opening `[` and
    // earlier quoted list items: `goto: "x"`, `required: ["a", "x"]`, `Hit("x")`.
    let Some(at) = before.rfind(key) else {
        return false;
    };
    let boundary_ok = before[..at].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
    let mut rest = before[at + key.len()..].trim_start();
    if !boundary_ok || !(rest.starts_with(':') || rest.starts_with('(')) {
        return false;
    }
    rest = rest[1..].trim_start();
    if let Some(list) = rest.strip_prefix('[') {
        rest = list.trim_start();
        // Skip earlier items: "…", "…",
        while let Some(item) = rest.strip_prefix('"') {
            let Some(close) = find_closing_quote(item) else {
                return false;
            };
            rest = item[close + 1..].trim_start();
            match rest.strip_prefix(',') {
                Some(after) => rest = after.trim_start(),
                None => return false,
            }
        }
    }
    rest.is_empty()
}

fn find_closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn escape_for_ron(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> SourceText {
        SourceText { path: PathBuf::from("x.ron"), text: text.to_string() }
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let s = src("第一行\n  中文 \"x\"");
        assert_eq!(s.pos_of(s.text.find("\"x\"").unwrap()), Pos::new(2, 6));
    }

    #[test]
    fn locate_prefers_the_keyed_occurrence() {
        let s = src("id: \"a\",\nnext: [(when: Always, goto: \"a\")]");
        assert_eq!(s.locate("goto", "a"), Pos::new(2, 29));
        assert_eq!(s.locate("id", "a"), Pos::new(1, 5));
    }

    #[test]
    fn locate_key_skips_longer_names() {
        let s = src("turn_id: 1,\n  id: 2");
        assert_eq!(s.locate_key("id"), Pos::new(2, 3));
    }
}
