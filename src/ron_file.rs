//! Reading trainers' RON files: encoding checks and parse errors turned into diagnostics.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use ron::error::{Error as RonError, SpannedError};
use ron::extensions::Extensions;
use serde::de::DeserializeOwned;

use crate::diagnostic::{Diagnostic, Pos, SourceText, display_path, io_reason, string_literals};

/// Files larger than this are refused: no scenario or lexicon comes near it.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// Reads a file as UTF-8 text, refusing binary files, wrong encodings and huge files with a
/// diagnostic that says where and what to do.
pub fn read_source(path: &Path) -> Result<SourceText, Diagnostic> {
    let bytes = read_bounded(path)?;
    source_from_bytes(path, &bytes)
}

/// The bytes of a trainer's file: a regular file (a symlink to one is fine) of at most
/// `MAX_FILE_BYTES`. A directory, FIFO, device or socket is refused before it is opened (opening
/// a FIFO blocks; `/dev/zero` never ends), a file the metadata says is too large is refused
/// unread, and reading stops one byte past the limit, so a file that grows while read, or whose
/// size lies, is bounded too.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| cannot_read(path, &e))?;
    refuse_special(path, &meta)?;
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(too_large(path, Some(meta.len())));
    }
    let mut file = open_without_blocking(path).map_err(|e| cannot_read(path, &e))?;
    // The path may have been swapped for something else since it was looked at.
    let meta = file.metadata().map_err(|e| cannot_read(path, &e))?;
    refuse_special(path, &meta)?;
    let mut bytes = Vec::with_capacity((meta.len() as usize).min(MAX_FILE_BYTES) + 1);
    (&mut file).take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(|e| cannot_read(path, &e))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large(path, None));
    }
    Ok(bytes)
}

/// Opens for reading without waiting for a writer (`O_NONBLOCK`: a FIFO put in place after the
/// metadata was looked at opens at once and is then refused). Reading a regular file is not
/// affected by the flag.
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

fn cannot_read(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        path,
        Pos::default(),
        "io",
        format!("无法读取文件：{}", io_reason(e)),
        "检查路径是否存在、是否有读取权限；符号链接要指向存在的普通文件",
    )
}

/// Refuses anything but a regular file, saying what it is instead.
fn refuse_special(path: &Path, meta: &std::fs::Metadata) -> Result<(), Diagnostic> {
    if meta.is_file() {
        return Ok(());
    }
    let what = special_kind(meta);
    let link = std::fs::read_link(path)
        .map(|target| format!("（{} 是指向 {} 的符号链接）", display_path(path), display_path(&target)))
        .unwrap_or_default();
    Err(Diagnostic::error(
        path,
        Pos::default(),
        "not-a-file",
        format!("这不是普通文件，而是{what}{link}，不能当作场景或词库读取"),
        "场景、词库和模型必须是普通的 UTF-8 文本文件：删除它，或去掉 .ron 扩展名",
    ))
}

fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        return "目录";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "命名管道（FIFO）";
        }
        if t.is_char_device() || t.is_block_device() {
            return "设备文件";
        }
        if t.is_socket() {
            return "套接字";
        }
    }
    "特殊文件"
}

fn too_large(path: &Path, size: Option<u64>) -> Diagnostic {
    let size = match size {
        Some(n) => format!("文件有 {n} 字节"),
        None => "文件读到上限仍未结束".to_string(),
    };
    Diagnostic::error(
        path,
        Pos::default(),
        "too-large",
        format!("{size}，超过上限 {MAX_FILE_BYTES} 字节"),
        "场景文件应是一个案例；把大文件拆成多个场景",
    )
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
        Ok(text) => Ok(SourceText::new(path, text)),
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
        if is_blank(&src.text) {
            d.code = "syntax";
            d.message = "文件是空的（只有空白或注释）".to_string();
            d.hint = "写入内容，例如从 docs/scenario-format.md 复制一个示例；不要的文件请删除".to_string();
            return d;
        }
        // "mood: 72.5" where a whole number is expected stops at the ".": say so.
        if d.code == "syntax" && char_at(&src.text, d.line, d.column) == Some('.') {
            d.code = "wrong-type";
            d.message = "这里需要整数，不能有小数".to_string();
            d.hint = "去掉小数部分，例如 72".to_string();
        }
        unclosed_string(&src.text, d).unwrap_or_else(|d| d)
    })
}

/// True when a text holds nothing but whitespace and comments.
fn is_blank(text: &str) -> bool {
    text.lines().map(str::trim).all(|l| l.is_empty() || l.starts_with("//"))
}

fn char_at(text: &str, line: usize, column: usize) -> Option<char> {
    text.lines().nth(line.checked_sub(1)?)?.chars().nth(column.checked_sub(1)?)
}

/// Byte offset of a 1-based line and column (in characters), clamped to the text.
fn offset_at(text: &str, line: usize, column: usize) -> usize {
    let mut at = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return at + l.char_indices().nth(column.saturating_sub(1)).map_or(l.len(), |(k, _)| k);
        }
        at += l.len();
    }
    text.len()
}

/// A parse error caused by a string whose closing quote is missing, reported where the string
/// opened: RON reads on to the next quote, often lines later, and fails there. `Err(d)` gives
/// the diagnostic back (with a hint added when a string spanning lines may be the cause).
fn unclosed_string(text: &str, mut d: Diagnostic) -> Result<Diagnostic, Diagnostic> {
    let error_at = offset_at(text, d.line, d.column);
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let literals = string_literals(text);
    let never_closed = literals.iter().find(|l| l.close.is_none() && l.open <= error_at);
    // Strings that run over a line break: rare on purpose, the usual sign of a missing quote.
    let spanning: Vec<(usize, usize)> = literals
        .iter()
        .filter_map(|l| Some((l.open, l.close?)))
        .filter(|&(open, close)| close <= error_at && text[open..close].contains('\n'))
        .collect();
    let open = match (spanning.last(), never_closed) {
        // RON failed just after the string that swallowed the lines.
        (Some(&(open, close)), _) if line_of(error_at) <= line_of(close) + 1 => open,
        // The text ended inside a string: a quote is missing there, or (the quotes after it
        // pairing up wrongly) at the first string that spans lines.
        (_, Some(l)) => spanning.first().map_or(l.open, |&(open, _)| open),
        (Some(&(open, _)), None) => {
            d.hint.push_str(&format!(
                "；另外，第 {} 行开始的字符串跨了多行，如果那一行少了结束的英文双引号 \"，请补上",
                line_of(open)
            ));
            return Err(d);
        }
        (None, None) => return Err(d),
    };
    let pos = pos_of_byte(text.as_bytes(), open);
    let message = match literals.iter().find(|l| l.open == open).and_then(|l| l.close) {
        Some(close) => {
            format!("第 {} 行的字符串没有结束的引号（一直读到第 {} 行的下一个引号）", pos.line, line_of(close))
        }
        None => format!("第 {} 行的字符串没有结束的引号，一直到文件末尾都没有", pos.line),
    };
    Ok(Diagnostic::error(
        &d.path,
        pos,
        "unclosed-string",
        message,
        "在这一行的文字末尾补上英文双引号 \"；文字里本身要写引号时写成 \\\"",
    ))
}

/// The structs a whole trainer file is written as.
const TOP_LEVEL: [&str; 6] = ["Scenario", "Lexicon", "MoodModel", "ReactionLibrary", "ActRules", "ConductPolicy"];

/// Turns a RON error into a diagnostic that explains itself in the trainer's language: every
/// kind of RON error has its own Chinese message, and none of RON's English text is shown.
pub fn parse_error(path: &Path, e: &SpannedError) -> Diagnostic {
    let pos = Pos::new(e.span.start.line.max(1), e.span.start.col.max(1));
    let see_docs = || "对照 docs/scenario-format.md 的示例检查这一行".to_string();
    let brackets = || "检查括号是否成对，上一项后面是否少了英文逗号 ,".to_string();
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
            format!("类型不对：这里需要{}，写的是{}", expected_zh(expected), found_zh(found)),
            "文字要加英文双引号，数字不加引号，列表用 [ ]".to_string(),
        ),
        RonError::ExpectedDifferentLength { expected, found } => (
            "wrong-type",
            format!("个数不对：这里需要{}，写了 {found} 个值", expected_zh(expected)),
            "例如分数区间写两个数：(60, 100)".to_string(),
        ),
        RonError::ExpectedString | RonError::ExpectedStringEnd => {
            ("wrong-type", "这里需要一段文字".to_string(), "文字要用英文双引号括起来，例如 \"您好\"".to_string())
        }
        RonError::ExpectedByteString => {
            ("wrong-type", "这里需要字节串".to_string(), "写成 b\"…\"；场景文件里一般用普通文字 \"…\"".to_string())
        }
        RonError::ExpectedInteger | RonError::ExpectedFloat | RonError::IntegerOutOfBounds => (
            "wrong-type",
            "这里需要一个（范围内的）数字".to_string(),
            "写一个不带引号的数字，例如 3 或 0.5".to_string(),
        ),
        RonError::InvalidIntegerDigit { digit, .. } => (
            "wrong-type",
            format!("数字里有不该出现的字符 `{digit}`"),
            "数字只写 0–9（小数用英文句点 .），不加引号和单位".to_string(),
        ),
        RonError::FloatUnderscore | RonError::UnderscoreAtBeginning => {
            ("wrong-type", "数字里不能有下划线 _".to_string(), "去掉下划线，例如把 1_000 写成 1000".to_string())
        }
        RonError::ExpectedBoolean => {
            ("wrong-type", "这里需要 true 或 false".to_string(), "写 true（是）或 false（否），不加引号".to_string())
        }
        RonError::ExpectedChar | RonError::ExpectedByteLiteral => (
            "wrong-type",
            "这里需要一个用单引号括起的字符".to_string(),
            "例如 'a'；一段文字要用英文双引号 \"…\"".to_string(),
        ),
        RonError::ExpectedOption => (
            "wrong-type",
            "这里需要一个值，或 None 表示没有".to_string(),
            "直接写值即可（可以不写 Some(…)），没有就删去这个字段".to_string(),
        ),
        RonError::ExpectedUnit | RonError::ExpectedRawValue => ("wrong-type", "这里缺少值".to_string(), see_docs()),
        RonError::ExpectedArray => (
            "wrong-type",
            "这里需要一个列表，用 [ 开始".to_string(),
            "列表写成 [\"甲\", \"乙\"]，各项用英文逗号分隔".to_string(),
        ),
        RonError::ExpectedArrayEnd => ("syntax", "列表没有用 ] 结束".to_string(), brackets()),
        RonError::ExpectedMap => (
            "wrong-type",
            "这里需要一个映射，用 { 开始".to_string(),
            "映射写成 { \"键\": 值, … }，例如 concepts: { \"apology\": (…) }".to_string(),
        ),
        RonError::ExpectedMapColon => {
            ("syntax", "映射的键后面缺少冒号".to_string(), "写成 \"键\": 值（英文冒号 :，中文冒号：不行）".to_string())
        }
        RonError::ExpectedMapEnd => ("syntax", "映射没有用 } 结束".to_string(), brackets()),
        RonError::ExpectedStructLike => (
            "wrong-type",
            "这里需要一组用圆括号 ( … ) 括起的字段".to_string(),
            "例如 (id: \"open\", customer: [...])；检查是否误用了 [ ] 或 { }".to_string(),
        ),
        RonError::ExpectedNamedStructLike(name) if TOP_LEVEL.contains(name) => (
            "syntax",
            format!("文件应以 `{name}(` 开头"),
            format!("整个文件写成 {name}( 字段: 值, … )；参考 docs/scenario-format.md 的示例"),
        ),
        RonError::ExpectedNamedStructLike(name) => (
            "wrong-type",
            if name.is_empty() {
                "这里需要一组用圆括号 ( … ) 括起的字段".to_string()
            } else {
                format!("这里需要一组用圆括号 ( … ) 括起的字段（{name}）")
            },
            "写成 (字段: 值, …)，例如 persona: (kind: Normal, name: \"赵雷\", …)；检查是否误用了 [ ]、{ } 或引号"
                .to_string(),
        ),
        RonError::ExpectedStructName(name) => {
            ("wrong-kind", format!("这里需要写出名字：`{name}(…)`"), format!("在左括号前写上 {name}"))
        }
        RonError::ExpectedOptionEnd | RonError::ExpectedStructLikeEnd => {
            ("syntax", "这里缺少右括号 )".to_string(), brackets())
        }
        RonError::ExpectedIdentifier => (
            "syntax",
            "这里需要一个名字（字段名或可选值）".to_string(),
            "字段名和可选值不加引号，例如 kind: Angry；字段名后面跟英文冒号 :".to_string(),
        ),
        RonError::InvalidIdentifier(name) | RonError::SuggestRawIdentifier(name) => (
            "syntax",
            format!("`{name}` 不能当作名字"),
            "字段名和可选值只用英文字母、数字和下划线；文字要加英文双引号".to_string(),
        ),
        RonError::InvalidEscape(_) => (
            "syntax",
            "字符串里的反斜杠转义写法不对".to_string(),
            "反斜杠本身写成 \\\\；可用的转义有 \\n \\t \\\" \\\\ \\u{…}".to_string(),
        ),
        RonError::ExpectedComma => {
            ("syntax", "这里缺少逗号".to_string(), "列表项和字段之间用英文逗号 , 分隔（中文逗号，不行）".to_string())
        }
        RonError::UnexpectedChar(c) if !c.is_ascii() => (
            "syntax",
            format!("意外的字符 `{c}`"),
            "RON 的标点必须是英文半角的：, : ( ) [ ] \"；中文只能写在引号里".to_string(),
        ),
        RonError::UnexpectedChar(c) => (
            "syntax",
            format!("这里不该出现字符 `{c}`"),
            "字段写成 名字: 值，各项之间用英文逗号分隔；文字要加英文双引号".to_string(),
        ),
        RonError::TrailingCharacters => (
            "syntax",
            "文件在最外层的右括号之后还有多余的内容".to_string(),
            "一个文件只写一个 Scenario(…)（或 Lexicon(…)）：删去多余的内容，或检查前面是否多写了右括号".to_string(),
        ),
        RonError::Eof => ("syntax", "文件意外结束".to_string(), "检查括号和引号是否成对".to_string()),
        RonError::UnclosedBlockComment => {
            ("syntax", "/* 注释没有用 */ 结束".to_string(), "在注释末尾补上 */，或改用 // 行注释".to_string())
        }
        RonError::UnclosedLineComment => ("syntax", "注释没有结束".to_string(), "在注释后换行".to_string()),
        RonError::ExpectedAttribute | RonError::ExpectedAttributeEnd => (
            "syntax",
            "文件开头的 #![enable(…)] 写法不对".to_string(),
            "写成 #![enable(implicit_some)]，或删去这一行（场景文件不需要它）".to_string(),
        ),
        RonError::NoSuchExtension(name) => (
            "syntax",
            format!("没有名为 `{name}` 的 RON 扩展"),
            "可用的扩展：implicit_some、unwrap_newtypes、unwrap_variant_newtypes、explicit_struct_names".to_string(),
        ),
        RonError::ExceededRecursionLimit => (
            "syntax",
            "括号嵌套太深，超过了上限".to_string(),
            "检查是否漏写了右括号；All/Any/Not 条件不要嵌套上百层".to_string(),
        ),
        RonError::ExpectedRangeSyntax => ("syntax", "这里需要范围写法 .. 或 ..=".to_string(), see_docs()),
        RonError::Utf8Error(_) => (
            "encoding",
            "文件不是有效的 UTF-8 编码".to_string(),
            "用编辑器以 UTF-8 重新保存（GBK/GB18030 导出的文件需要转换）".to_string(),
        ),
        RonError::ExpectedDifferentStructName { expected, found } => (
            "wrong-kind",
            format!("这里需要 `{expected}(…)`，写的是 `{found}(…)`"),
            "场景文件以 Scenario( 开头，词库文件以 Lexicon( 开头".to_string(),
        ),
        // Errors RON raises only when writing or reading streams, and any kind added later.
        RonError::Fmt | RonError::Io(_) | RonError::Message(_) => {
            ("syntax", "这里的内容不符合格式".to_string(), see_docs())
        }
        _ => ("syntax", "这里的内容不符合格式".to_string(), see_docs()),
    };
    Diagnostic::error(path, pos, code, message, hint)
}

/// What serde expected (`a string`, `u8`, `struct Persona` …), in Chinese.
fn expected_zh(expected: &str) -> String {
    let e = expected.trim();
    let number_after =
        |prefix: &str| e.strip_prefix(prefix).and_then(|r| r.split_whitespace().next()?.parse::<usize>().ok());
    let named = |prefix: &str| e.strip_prefix(prefix).map(|n| n.rsplit("::").next().unwrap_or(n).to_string());
    match e {
        "a string" | "string" | "a borrowed string" | "path string" | "a char or string" => {
            "一段文字（用英文双引号括起来）".to_string()
        }
        "a boolean" | "bool" => " true 或 false".to_string(),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "不带小数、不为负的整数".to_string(),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "不带小数的整数".to_string(),
        "f32" | "f64" => "一个数字".to_string(),
        "a character" | "char" => "一个字符".to_string(),
        "a sequence" | "a seq" => "一个列表 [ … ]".to_string(),
        "a map" => "一个映射 { … }".to_string(),
        "unit" => "空值 ()".to_string(),
        "option" => "一个值".to_string(),
        "variant identifier" | "variant index 0 <= i < 1" => "一个可选值的名字".to_string(),
        "field identifier" => "一个字段名".to_string(),
        _ => {
            if let Some(n) = number_after("a tuple of size ")
                .or_else(|| number_after("tuple of "))
                .or_else(|| number_after("an array of length "))
            {
                return format!(" {n} 个值（写成 ( … )）");
            }
            if let Some(name) =
                named("struct variant ").or_else(|| named("tuple variant ")).or_else(|| named("newtype variant "))
            {
                return format!(" {name}(…)");
            }
            if let Some(name) = named("tuple struct ").or_else(|| named("struct ")) {
                return format!("一组用圆括号括起的字段（{name}）");
            }
            if let Some(name) = named("enum ") {
                return format!(" {name} 的一个可选值");
            }
            if e.starts_with("variant index") {
                return "一个可选值的名字".to_string();
            }
            "另一种值".to_string()
        }
    }
}

/// What RON found instead (`the string "x"`, `the unsigned integer `5`` …), in Chinese.
fn found_zh(found: &str) -> String {
    let quoted = |prefix: &str| {
        found.strip_prefix(prefix).map(|r| r.trim().trim_start_matches('`').trim_end_matches('`').to_string())
    };
    if let Some(v) = quoted("the boolean ") {
        return format!(" {v}");
    }
    if let Some(v) = quoted("the unsigned integer ").or_else(|| quoted("the signed integer ")) {
        return format!("整数 {v}");
    }
    if let Some(v) = quoted("the floating point number ") {
        return format!("小数 {v}");
    }
    if let Some(v) = quoted("the UTF-8 character ") {
        return format!("字符 {v}");
    }
    if let Some(v) = found.strip_prefix("the string ") {
        return format!("文字 {v}");
    }
    match found {
        s if s.starts_with("the byte string") => "字节串".to_string(),
        "a unit value" => "空值 ()".to_string(),
        "an optional value" => "Some(…)".to_string(),
        "a sequence" => "列表 [ … ]".to_string(),
        "a map" => "映射 { … }".to_string(),
        "a newtype struct" | "a tuple variant" | "a newtype variant" | "a struct variant" => {
            "带括号的值 (…)".to_string()
        }
        "an enum" | "a unit variant" => "一个不带引号的名字".to_string(),
        _ => "另一种值".to_string(),
    }
}

fn in_outer(outer: &Option<String>) -> String {
    outer.as_ref().map(|o| format!("（在 {o} 中）")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::Lexicon;

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
        let src = SourceText::new("l.ron", "Lexicon(\n name: \"a\",\n kind: Politeness,\n markrs: {},\n)");
        let d = parse::<Lexicon>(&src).unwrap_err();
        assert_eq!(d.code, "unknown-field");
        assert_eq!(d.line, 4);
        assert!(d.hint.contains("markers"), "{}", d.hint);
    }

    #[test]
    fn a_fraction_where_a_whole_number_belongs() {
        let src = SourceText::new("s.ron", "(mood: 72.5)");
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct P {
            mood: u8,
        }
        let d = parse::<P>(&src).unwrap_err();
        assert_eq!(d.code, "wrong-type", "{d}");
        assert!(d.message.contains("整数"), "{d}");
    }

    /// A scenario-shaped struct for parse tests.
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Doc {
        id: String,
        title: String,
        version: u32,
        persona: Person,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Person {
        name: String,
        mood: u8,
    }

    const DOC: &str = "Doc(\n    id: \"a\",\n    title: \"标题\",\n    version: 1,\n    persona: (\n        name: \"赵雷\",\n        mood: 30,\n    ),\n)\n";

    fn parse_doc(text: &str) -> Diagnostic {
        parse::<Doc>(&SourceText::new("d.ron", text)).expect_err(text)
    }

    #[test]
    fn an_unclosed_string_is_reported_where_it_opens() {
        // The quote after 标题 is missing: RON reads on to the quote before 赵雷 (line 6) and
        // fails there; the finding points at line 3, where the string opened.
        let d = parse_doc(&DOC.replace("\"标题\",", "\"标题,"));
        assert_eq!((d.code, d.line, d.column), ("unclosed-string", 3, 12), "{d}");
        assert!(d.message.contains("第 3 行"), "{d}");
        // A string still open at the end of the file.
        let d = parse_doc(&DOC.replace("\"赵雷\",", "\"赵雷,"));
        assert_eq!((d.code, d.line, d.column), ("unclosed-string", 6, 15), "{d}");
        assert!(d.message.contains("文件末尾"), "{d}");
        // One after the end is just more text after the end.
        assert_eq!(parse_doc(&format!("{DOC}\"abc")).code, "syntax");
        // A string that spans lines on purpose, far from the error, only adds a hint.
        let text = DOC.replace("\"标题\"", "\"标\n题\"").replace("mood: 30", "mood: 30 31");
        let d = parse_doc(&text);
        assert_eq!(d.code, "syntax", "{d}");
        assert!(d.hint.contains("第 3 行开始的字符串跨了多行"), "{d}");
        // A quote inside a comment or a character literal opens no string.
        let text = DOC.replace("version: 1,", "version: 1, // \"quoted\n").replace("mood: 30", "mood: 30 31");
        assert_eq!(parse_doc(&text).code, "syntax");
    }

    #[test]
    fn no_english_from_the_parser_reaches_the_trainer() {
        let cases = [
            DOC.replace("persona: (", "persona: ["),               // ExpectedNamedStructLike
            format!("{DOC})"),                                     // TrailingCharacters
            DOC.replace("version: 1", "version: \"1\""),           // InvalidValueForType
            DOC.replace("title: \"标题\"", "title: 5"),            // ExpectedString
            DOC.replace("version: 1", "version: true"),            // ExpectedInteger
            DOC.replace("mood: 30", "mood: 300"),                  // out of range
            DOC.replace("Doc(", "Doc(\n    tags: [\"a\" \"b\"],"), // ExpectedComma
            DOC.replace("Doc(", "Doc(\n    tags: {\"a\"},"),       // map for a list
            DOC.replace("Doc(", "Doc(\n    tags: [\"a\",,],"),     // ExpectedArrayEnd
            DOC.replace("Doc(", "/* open comment\nDoc("),          // UnclosedBlockComment
            DOC.replace("title: \"标题\"", "title: \"\\q\""),      // InvalidEscape
            DOC.replace("mood: 30", "mood: _30"),
            DOC.replace("Doc(", "#![enable(nothing)]\nDoc("), // NoSuchExtension
            DOC.replace("Doc(", "#![enable(implicit_some\nDoc("), // ExpectedAttributeEnd
            DOC.replace("persona: (", "persona: Persona(").replace("name: \"赵雷\"", "name: r#\"赵雷\"#"),
            DOC.replace("name: \"赵雷\"", "name: '赵'"),
            DOC.replace("version: 1", "version: 0x1G"),
            format!("Doc({}", "[".repeat(200)), // ExceededRecursionLimit
            String::new(),
            "Lexicon()".to_string(),                     // ExpectedDifferentStructName
            DOC.replace("Doc(", "Doc(\n    id: \"b\","), // DuplicateStructField
            DOC.replace("mood: 30,", ""),                // MissingStructField
            DOC.replace("mood: 30", "moods: 30"),        // NoSuchStructField
            DOC.replace("    ),\n)", "    ),\n"),        // Eof
        ];
        let english = [
            "Expected",
            "Unexpected",
            "expected",
            "found",
            "instead",
            "trailing",
            "serde",
            "Non-whitespace",
            "recursion",
            "Invalid",
            "invalid",
            "Unclosed",
            "for struct",
            "a string",
            "integer",
            "float",
            "digit",
            "variant named",
        ];
        for text in cases {
            let d = parse_doc(&text);
            let shown = format!("{}\n{}", d.message, d.hint);
            assert!(!english.iter().any(|w| shown.contains(w)), "English in {shown:?} for {text:?}");
            assert!(shown.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{shown}");
            assert!(d.line >= 1 && !d.hint.is_empty(), "{d}");
        }
    }

    #[test]
    fn special_files_are_refused_before_they_are_opened() {
        let dir = tempfile::tempdir().unwrap();
        let d = read_source(dir.path()).unwrap_err();
        assert_eq!(d.code, "not-a-file");
        assert!(d.message.contains("目录"), "{d}");
        #[cfg(unix)]
        {
            let zero = dir.path().join("zero.ron");
            std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
            let d = read_source(&zero).unwrap_err();
            assert_eq!(d.code, "not-a-file", "{d}");
            assert!(d.message.contains("设备") && d.message.contains("/dev/zero"), "{d}");
            let looped = dir.path().join("loop.ron");
            std::os::unix::fs::symlink(&looped, &looped).unwrap();
            let d = read_source(&looped).unwrap_err();
            assert_eq!(d.code, "io");
            assert!(d.message.contains("符号链接循环"), "{d}");
        }
        let missing = read_source(&dir.path().join("none.ron")).unwrap_err();
        assert!(missing.message.contains("不存在"), "{missing}");
    }

    #[test]
    fn a_huge_file_is_refused_by_its_size_unread() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.ron");
        // Sparse: 6 GB on paper, nothing on disk.
        std::fs::File::create(&big).unwrap().set_len(6 << 30).unwrap();
        let d = read_source(&big).unwrap_err();
        assert_eq!(d.code, "too-large");
        assert!(d.message.contains("6442450944"), "{d}");
    }

    #[test]
    fn chinese_comma_gets_a_specific_hint() {
        let src = SourceText::new("l.ron", "Lexicon(name: \"a\"，kind: Politeness)");
        let d = parse::<Lexicon>(&src).unwrap_err();
        assert!(d.hint.contains("英文"), "{d}");
    }
}
