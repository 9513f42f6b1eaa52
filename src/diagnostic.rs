//! Problems found in a trainer's file, each with file, line, column and a hint on how to fix it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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
        // File names and quoted text come from trainers' files: control characters in them
        // are shown escaped, never sent to the terminal.
        write!(
            f,
            "{}:{}:{}: {level}[{}]: {}",
            display_path(&self.path),
            self.line.max(1),
            self.column.max(1),
            self.code,
            escape_controls(&self.message)
        )?;
        if !self.hint.is_empty() {
            write!(f, "\n    提示：{}", escape_controls(&self.hint))?;
        }
        Ok(())
    }
}

/// `text` with every control character (C0, DEL, C1) and bidirectional-override character
/// written as an escape (`\x1b`, `\u{202e}`), so that printing it cannot move the cursor, clear
/// the screen, retitle the terminal, forge a line or reorder what follows.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// The characters that move a terminal: the same set the trainee-facing output escapes.
fn needs_escape(c: char) -> bool {
    crate::text::safe::unsafe_kind(c).is_some()
}

/// A path for a message: lossy UTF-8, control characters escaped.
pub fn display_path(path: &Path) -> String {
    escape_controls(&path.to_string_lossy()).into_owned()
}

/// Why an I/O operation failed, in Chinese, for the common cases (the system's own words,
/// after a Chinese lead, for the rare rest).
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let reason = match e.kind() {
        K::NotFound => "不存在",
        K::PermissionDenied => "没有权限",
        K::AlreadyExists => "已经有同名的文件或目录",
        K::NotADirectory => "路径中有一段是文件，不是目录",
        K::IsADirectory => "这是目录，不是文件",
        K::DirectoryNotEmpty => "目录不是空的",
        K::StorageFull => "磁盘已满",
        K::QuotaExceeded => "超出磁盘配额",
        K::ReadOnlyFilesystem => "文件系统是只读的",
        K::InvalidFilename => "文件名无效或太长",
        K::FileTooLarge => "文件太大",
        K::Interrupted => "操作被中断",
        K::WouldBlock => "文件暂时无法读取（可能是管道或设备）",
        K::InvalidData => "内容无效",
        K::UnexpectedEof => "文件意外结束",
        K::OutOfMemory => "内存不足",
        _ if is_symlink_loop(e) => "符号链接循环（链接最终指回自己）",
        _ => return format!("系统错误（{e}）"),
    };
    reason.to_string()
}

fn is_symlink_loop(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
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
///
/// Finding a position is fast however long the file: the line starts and the string literals
/// (with the field each belongs to) are indexed on first use, so linting a scenario of 20,000
/// turns does not search the whole text once per turn. `text` must not change after that.
#[derive(Clone)]
pub struct SourceText {
    pub path: PathBuf,
    pub text: String,
    lines: OnceLock<Vec<usize>>,
    literals: OnceLock<LiteralIndex>,
}

impl fmt::Debug for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceText").field("path", &self.path).field("bytes", &self.text.len()).finish()
    }
}

/// Where each string literal is, by its text as written (escapes kept) and by the field it is
/// the value of (`key: "v"`, `key("v")`, or an item of `key: ["a", "v"]`).
#[derive(Debug, Clone, Default)]
struct LiteralIndex {
    any: HashMap<String, Vec<usize>>,
    keyed: HashMap<(String, String), Vec<usize>>,
}

impl LiteralIndex {
    fn build(text: &str) -> LiteralIndex {
        let mut index = LiteralIndex::default();
        // The key of the list the previous literal was an item of, and where it closed.
        let mut list: Option<(String, usize)> = None;
        for lit in string_literals(text) {
            let raw = match lit.raw_hashes {
                Some(_) => escape_for_ron(&text[lit.body()..lit.close.unwrap_or(text.len())]),
                None => text[lit.body()..lit.close.unwrap_or(text.len())].to_string(),
            };
            let at = lit.open_at();
            let before = text[..at].trim_end();
            let (key, in_list) = match &list {
                // A later item of a list: the same key as the item before it.
                Some((k, close)) if text[close + 1..at].trim() == "," => (Some(k.clone()), true),
                _ => match before.strip_suffix('[') {
                    Some(rest) => (key_before(rest.trim_end()).map(str::to_string), true),
                    None => (key_before(before).map(str::to_string), false),
                },
            };
            list = match (&key, lit.close) {
                (Some(k), Some(close)) if in_list => Some((k.clone(), close)),
                _ => None,
            };
            if let Some(k) = key {
                index.keyed.entry((k, raw.clone())).or_default().push(at);
            }
            index.any.entry(raw).or_default().push(at);
        }
        index
    }
}

/// The field name `text` ends with as `name:` or `name(`, if any.
fn key_before(text: &str) -> Option<&str> {
    text.strip_suffix(':').or_else(|| text.strip_suffix('(')).and_then(trailing_ident)
}

/// The identifier `text` ends with (after trailing spaces), if any.
fn trailing_ident(text: &str) -> Option<&str> {
    let text = text.trim_end();
    let start =
        text.char_indices().rev().take_while(|(_, c)| c.is_alphanumeric() || *c == '_').last().map(|(i, _)| i)?;
    Some(&text[start..])
}

/// A string literal of a RON text: where it opens and closes (`None`: it never does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StringLiteral {
    /// Byte offset of the opening quote.
    pub open: usize,
    /// Byte offset of the closing quote.
    pub close: Option<usize>,
    /// For a raw string (`r#"…"#`), its number of `#`.
    pub raw_hashes: Option<usize>,
}

impl StringLiteral {
    /// Where the text inside the quotes starts.
    fn body(&self) -> usize {
        self.open + 1
    }

    /// Where the literal starts: its opening quote, or the `r` of a raw string.
    fn open_at(&self) -> usize {
        self.open - self.raw_hashes.map_or(0, |h| h + 1)
    }
}

/// The string literals of a RON text, in order, skipping comments and character literals.
pub(crate) fn string_literals(text: &str) -> Vec<StringLiteral> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |k| i + k + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 1;
                i += 2;
                while i < bytes.len() && depth > 0 {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            // A raw string: r"…", r#"…"#, without escapes.
            b'r' if (i == 0 || !is_ident_byte(bytes[i - 1])) && raw_open(&bytes[i + 1..]).is_some() => {
                let hashes = raw_open(&bytes[i + 1..]).unwrap_or_default();
                let open = i + 1 + hashes;
                let closing = format!("\"{}", "#".repeat(hashes));
                let close = text[open + 1..].find(&closing).map(|k| open + 1 + k);
                out.push(StringLiteral { open, close, raw_hashes: Some(hashes) });
                i = close.map_or(bytes.len(), |c| c + closing.len());
            }
            b'"' => {
                let mut j = i + 1;
                let mut close = None;
                while j < bytes.len() {
                    match bytes[j] {
                        b'\\' => j += 2,
                        b'"' => {
                            close = Some(j);
                            break;
                        }
                        _ => j += 1,
                    }
                }
                out.push(StringLiteral { open: i, close, raw_hashes: None });
                i = close.map_or(bytes.len(), |c| c + 1);
            }
            // A character literal, 'x' or '\x', is skipped whole (it may be '"'); a lone
            // apostrophe is skipped.
            b'\'' => {
                let mut chars = text[i + 1..].char_indices();
                let end = match chars.next() {
                    Some((_, '\\')) => chars.nth(1).filter(|(_, c)| *c == '\'').map(|(k, _)| k),
                    Some(_) => chars.next().filter(|(_, c)| *c == '\'').map(|(k, _)| k),
                    None => None,
                };
                i += 1 + end.map_or(0, |k| k + 1);
            }
            _ => i += 1,
        }
    }
    out
}

/// The number of `#` of a raw string's opening (`#"` after the `r`), if `bytes` starts one.
fn raw_open(bytes: &[u8]) -> Option<usize> {
    let hashes = bytes.iter().take_while(|&&b| b == b'#').count();
    (bytes.get(hashes) == Some(&b'"')).then_some(hashes)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl SourceText {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        SourceText { path: path.into(), text: text.into(), lines: OnceLock::new(), literals: OnceLock::new() }
    }

    /// Position of a byte offset (one inside a character counts as that character's).
    pub fn pos_of(&self, offset: usize) -> Pos {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let starts = self
            .lines
            .get_or_init(|| std::iter::once(0).chain(self.text.match_indices('\n').map(|(i, _)| i + 1)).collect());
        let line = starts.partition_point(|&s| s <= offset);
        let line_start = starts[line - 1];
        Pos::new(line, self.text[line_start..offset].chars().count() + 1)
    }

    /// Where `key: "value"` is written (the value's opening quote), or failing that where
    /// `"value"` first appears, or failing that the start of the file.
    pub fn locate(&self, key: &str, value: &str) -> Pos {
        self.locate_nth(key, value, 0)
    }

    /// As `locate`, for the `nth` (0-based) time `key: "value"` is written.
    pub fn locate_nth(&self, key: &str, value: &str, nth: usize) -> Pos {
        let raw = escape_for_ron(value);
        let found = self.literal_offsets(key, &raw);
        found
            .get(nth)
            .or_else(|| found.last())
            .or_else(|| self.literal_offsets("", &raw).first())
            .map_or(Pos::START, |&at| self.pos_of(at))
    }

    /// Byte offsets of the string literals `"raw"` (as written) that are values of `key` (any,
    /// when `key` is empty), in order.
    fn literal_offsets(&self, key: &str, raw: &str) -> &[usize] {
        let index = self.literals.get_or_init(|| LiteralIndex::build(&self.text));
        let found =
            if key.is_empty() { index.any.get(raw) } else { index.keyed.get(&(key.to_string(), raw.to_string())) };
        found.map_or(&[], Vec::as_slice)
    }

    /// Byte offset where `key: "value"` is first written at or after byte `from`.
    pub fn offset_of(&self, key: &str, value: &str, from: usize) -> Option<usize> {
        let found = self.literal_offsets(key, &escape_for_ron(value));
        found.get(found.partition_point(|&at| at < from)).copied()
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

    /// Where the text of a string literal whose value is `value` starts (just inside its
    /// opening quote), found through the index; else where `value` first appears at all.
    pub fn locate_value(&self, value: &str) -> Pos {
        match self.literal_offsets("", &escape_for_ron(value)).first() {
            Some(&at) => self.pos_of(at + 1),
            None => self.locate_text(value),
        }
    }

    /// Where the map key `"name":` is written (its opening quote), else where `"name":` first
    /// appears as text.
    pub fn locate_map_key(&self, name: &str) -> Pos {
        let raw = escape_for_ron(name);
        let key = self
            .literal_offsets("", &raw)
            .iter()
            .find(|&&at| self.text.get(at + raw.len() + 2..).is_some_and(|rest| rest.trim_start().starts_with(':')));
        match key {
            Some(&at) => self.pos_of(at),
            None => self.locate_text(&format!("\"{name}\":")),
        }
    }

    /// Where a plain substring first appears, as written or as a RON string writes it (a
    /// pattern's `\d` is `\\d` in the file).
    pub fn locate_text(&self, needle: &str) -> Pos {
        let at = self.text.find(needle).or_else(|| self.text.find(&escape_for_ron(needle)));
        at.map_or(Pos::START, |at| self.pos_of(at))
    }
}

fn escape_for_ron(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> SourceText {
        SourceText::new("x.ron", text)
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
    fn locate_finds_list_items_calls_and_raw_strings_but_not_comments() {
        let s = src("// goto: \"x\"\nrequired: [\"a\", \"x\"],\nwhen: Hit(\"x\"),\np: r#\"x\"#,\ngoto: \"x\"");
        assert_eq!(s.locate("required", "x"), Pos::new(2, 17));
        assert_eq!(s.locate("Hit", "x"), Pos::new(3, 11));
        assert_eq!(s.locate("p", "x"), Pos::new(4, 4));
        assert_eq!(s.locate("goto", "x"), Pos::new(5, 7), "the commented-out goto is no field");
        assert_eq!(s.locate("a", "x"), Pos::new(2, 17), "a list item is no key");
        let in_list = s.text.find("[\"a\", \"x").unwrap() + 6;
        assert_eq!(s.offset_of("", "x", 0), Some(in_list), "the first literal \"x\" outside comments");
        assert_eq!(s.offset_of("goto", "x", in_list), s.text.rfind("\"x\""));
        assert_eq!(s.locate_nth("goto", "x", 3), Pos::new(5, 7), "past the last one: the last one");
    }

    #[test]
    fn positions_are_found_fast_and_safely_in_long_texts() {
        let text: String = (0..50_000).map(|i| format!("(id: \"t{i}\", text: \"第{i}句\"),\n")).collect();
        let s = src(&text);
        for i in (0..50_000).step_by(997) {
            assert_eq!(s.locate("id", &format!("t{i}")), Pos::new(i + 1, 6));
        }
        // An offset inside a character counts as that character's.
        let inside = s.text.find('第').unwrap() + 1;
        assert_eq!(s.pos_of(inside), s.pos_of(inside - 1));
        assert_eq!(s.pos_of(usize::MAX).line, 50_001);
    }

    proptest::proptest! {
        /// The indexed position is the one counted the slow way, for any text and offset.
        #[test]
        fn pos_of_matches_counting(text in "(\\PC|\n|\"|\\\\){0,200}", at in 0usize..400) {
            let s = src(&text);
            let mut offset = at.min(text.len());
            while !text.is_char_boundary(offset) {
                offset -= 1;
            }
            let before = &text[..offset];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let want = Pos::new(before.matches('\n').count() + 1, before[line_start..].chars().count() + 1);
            proptest::prop_assert_eq!(s.pos_of(at), want);
            // Locating never panics and stays inside the text.
            let p = s.locate("id", &text[..offset]);
            proptest::prop_assert!(p.line <= text.matches('\n').count() + 1);
        }
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(escape_controls("a\u{1b}]0;x\u{7}b\nc\u{202e}d\0"), "a\\x1b]0;x\\x07b\\x0ac\\u{202e}d\\x00");
        assert!(matches!(escape_controls("普通文字 plain"), Cow::Borrowed(_)));
        let d = Diagnostic::error(
            Path::new("dir/\u{1b}[2J\u{9b}31m.ron"),
            Pos::START,
            "syntax",
            "“\u{1b}]0;pwned\u{7}”\n伪造的一行",
            "\r覆盖",
        );
        let shown = d.to_string();
        assert_eq!(shown.matches('\n').count(), 1, "only the line before the hint: {shown}");
        assert!(!shown.chars().any(|c| c.is_control() && c != '\n'), "{shown:?}");
        assert!(shown.starts_with("dir/\\x1b[2J\\x9b31m.ron:1:1"), "{shown}");
        assert!(shown.contains("\\x1b]0;pwned\\x07") && shown.contains("\\x0d覆盖"), "{shown}");
    }

    #[test]
    fn io_errors_are_explained_in_chinese() {
        use std::io::{Error, ErrorKind};
        assert_eq!(io_reason(&Error::from(ErrorKind::AlreadyExists)), "已经有同名的文件或目录");
        assert_eq!(io_reason(&Error::from(ErrorKind::NotFound)), "不存在");
        #[cfg(unix)]
        assert!(io_reason(&Error::from_raw_os_error(libc::ELOOP)).contains("符号链接循环"));
        #[cfg(unix)]
        assert_eq!(io_reason(&Error::from_raw_os_error(libc::EEXIST)), "已经有同名的文件或目录");
    }

    #[test]
    fn locate_key_skips_longer_names() {
        let s = src("turn_id: 1,\n  id: 2");
        assert_eq!(s.locate_key("id"), Pos::new(2, 3));
    }
}
