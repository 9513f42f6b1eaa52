//! Reading trainers' RON files: encoding checks and parse errors turned into diagnostics.

use std::path::Path;

use ron::error::{Error as RonError, SpannedError};
use ron::extensions::Extensions;
use serde::de::DeserializeOwned;

use crate::diagnostic::{Diagnostic, Pos, SourceText};

/// Files larger than this are refused: no scenario or lexicon comes near it.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// Reads a file as UTF-8 text, refusing binary files, wrong encodings and huge files with a
/// diagnostic that says where and what to do.
pub fn read_source(path: &Path) -> Result<SourceText, Diagnostic> {
    let bytes = std::fs::read(path).map_err(|e| {
        Diagnostic::error(path, Pos::default(), "io", format!("无法读取文件：{e}"), "检查路径是否存在、是否有读取权限")
    })?;
    source_from_bytes(path, &bytes)
}

/// Checks and decodes file contents already in memory.
pub fn source_from_bytes(path: &Path, bytes: &[u8]) -> Result<SourceText, Diagnostic> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::error(
            path,
            Pos::default(),
            "too-large",
            format!("文件有 {} 字节，超过上限 {} 字节", bytes.len(), MAX_FILE_BYTES),
            "场景文件应是一个案例；把大文件拆成多个场景",
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        return Err(Diagnostic::error(
            path,
            pos_of_byte(bytes, nul),
            "binary",
            "这是二进制文件，不是 RON 文本",
            "场景和词库必须是 UTF-8 编码的 RON 文本文件",
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(SourceText { path: path.to_path_buf(), text: text.to_string() }),
        Err(e) => Err(Diagnostic::error(
            path,
            pos_of_byte(bytes, e.valid_up_to()),
            "encoding",
            "文件不是有效的 UTF-8 编码",
            "用编辑器以 UTF-8 重新保存（GBK/GB18030 导出的文件需要转换）",
        )),
    }
}

fn pos_of_byte(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    Pos::new(line, column)
}

/// The RON options every trainer file is read with: `Some(..)` may be left out.
pub fn options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Parses a RON document into `T`, turning a parse error into a diagnostic with a hint.
pub fn parse<T: DeserializeOwned>(src: &SourceText) -> Result<T, Diagnostic> {
    options().from_str::<T>(&src.text).map_err(|e| {
        let mut d = parse_error(&src.path, &e);
        // "mood: 72.5" where a whole number is expected stops at the ".": say so.
        if d.code == "syntax" && char_at(&src.text, d.line, d.column) == Some('.') {
            d.code = "wrong-type";
            d.message = "这里需要整数，不能有小数".to_string();
            d.hint = "去掉小数部分，例如 72".to_string();
        }
        d
    })
}

fn char_at(text: &str, line: usize, column: usize) -> Option<char> {
    text.lines().nth(line.checked_sub(1)?)?.chars().nth(column.checked_sub(1)?)
}

/// Turns a RON error into a diagnostic that explains itself in the trainer's language.
pub fn parse_error(path: &Path, e: &SpannedError) -> Diagnostic {
    let pos = Pos::new(e.span.start.line.max(1), e.span.start.col.max(1));
    let (code, message, hint): (&'static str, String, String) = match &e.code {
        RonError::NoSuchStructField { expected, found, outer } => (
            "unknown-field",
            format!("未知字段 `{found}`{}", in_outer(outer)),
            format!("可用的字段：{}。检查拼写，或删去这个字段", expected.join(", ")),
        ),
        RonError::MissingStructField { field, outer } => (
            "missing-field",
            format!("缺少必填字段 `{field}`{}", in_outer(outer)),
            format!("加上 `{field}: …`；每个字段的含义见 docs/scenario-format.md"),
        ),
        RonError::DuplicateStructField { field, outer } => {
            ("duplicate-field", format!("字段 `{field}` 写了两次{}", in_outer(outer)), "删去其中一个".to_string())
        }
        RonError::NoSuchEnumVariant { expected, found, outer } => (
            "unknown-variant",
            format!("`{found}` 不是可选值{}", in_outer(outer)),
            format!("可选的值：{}", expected.join(", ")),
        ),
        RonError::InvalidValueForType { expected, found } => (
            "wrong-type",
            format!("类型不对：这里需要 {expected}，写的是 {found}"),
            "文字要加英文双引号，数字不加引号，列表用 [ ]".to_string(),
        ),
        RonError::ExpectedString | RonError::ExpectedStringEnd => {
            ("wrong-type", "这里需要一段文字".to_string(), "文字要用英文双引号括起来，例如 \"您好\"".to_string())
        }
        RonError::ExpectedInteger | RonError::ExpectedFloat | RonError::IntegerOutOfBounds => (
            "wrong-type",
            "这里需要一个（范围内的）数字".to_string(),
            "写一个不带引号的数字，例如 3 或 0.5".to_string(),
        ),
        RonError::ExpectedComma => {
            ("syntax", "这里缺少逗号".to_string(), "列表项和字段之间用英文逗号 , 分隔（中文逗号，不行）".to_string())
        }
        RonError::UnexpectedChar(c) if !c.is_ascii() => (
            "syntax",
            format!("意外的字符 `{c}`"),
            "RON 的标点必须是英文半角的：, : ( ) [ ] \"；中文只能写在引号里".to_string(),
        ),
        RonError::Eof => ("syntax", "文件意外结束".to_string(), "检查括号和引号是否成对".to_string()),
        RonError::ExpectedDifferentStructName { expected, found } => (
            "wrong-kind",
            format!("这里需要 `{expected}(…)`，写的是 `{found}(…)`"),
            "场景文件以 Scenario( 开头，词库文件以 Lexicon( 开头".to_string(),
        ),
        other => ("syntax", format!("格式错误：{other}"), "对照 docs/scenario-format.md 的示例检查这一行".to_string()),
    };
    Diagnostic::error(path, pos, code, message, hint)
}

fn in_outer(outer: &Option<String>) -> String {
    outer.as_ref().map(|o| format!("（在 {o} 中）")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::Lexicon;
    use std::path::PathBuf;

    #[test]
    fn invalid_utf8_names_the_line() {
        let d = source_from_bytes(Path::new("x.ron"), b"ok\nab\xFFcd").unwrap_err();
        assert_eq!((d.code, d.line, d.column), ("encoding", 2, 3));
    }

    #[test]
    fn nul_bytes_mean_binary() {
        let d = source_from_bytes(Path::new("x.ron"), b"\x89PNG\r\n\x1a\n\0\0").unwrap_err();
        assert_eq!(d.code, "binary");
    }

    #[test]
    fn bom_is_accepted() {
        let s = source_from_bytes(Path::new("x.ron"), b"\xEF\xBB\xBF()").unwrap();
        assert_eq!(s.text, "()");
    }

    #[test]
    fn unknown_field_lists_the_known_ones() {
        let src = SourceText {
            path: PathBuf::from("l.ron"),
            text: "Lexicon(\n name: \"a\",\n kind: Politeness,\n markrs: {},\n)".into(),
        };
        let d = parse::<Lexicon>(&src).unwrap_err();
        assert_eq!(d.code, "unknown-field");
        assert_eq!(d.line, 4);
        assert!(d.hint.contains("markers"), "{}", d.hint);
    }

    #[test]
    fn a_fraction_where_a_whole_number_belongs() {
        let src = SourceText { path: PathBuf::from("s.ron"), text: "(mood: 72.5)".into() };
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct P {
            mood: u8,
        }
        let d = parse::<P>(&src).unwrap_err();
        assert_eq!(d.code, "wrong-type", "{d}");
        assert!(d.message.contains("整数"), "{d}");
    }

    #[test]
    fn chinese_comma_gets_a_specific_hint() {
        let src = SourceText { path: PathBuf::from("l.ron"), text: "Lexicon(name: \"a\"，kind: Politeness)".into() };
        let d = parse::<Lexicon>(&src).unwrap_err();
        assert!(d.hint.contains("英文"), "{d}");
    }
}
