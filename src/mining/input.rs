//! Reading transcript exports: JSON Lines (one dialogue a line) and CSV (one turn a row), plain
//! or gzip, UTF-8 with or without BOM, GB18030/GBK detected line by line and converted.
//!
//! The reader streams: it holds one line (or one CSV dialogue) at a time, never the file. A
//! line it cannot use becomes a [`BadLine`] with its number and what to do; it never stops
//! the run.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::mining::MineError;

/// Lines longer than this are skipped (and reported) without being held in memory.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// A CSV dialogue keeps at most this many rows (and `MAX_LINE_BYTES` of text, as a JSON line
/// would); further rows of it are reported as bad lines, so memory stays bounded even when a
/// whole export carries one dialogue id.
pub const MAX_DIALOGUE_ROWS: usize = 1_000;

/// The format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jsonl,
    Csv,
}

/// One input file as probed before reading.
#[derive(Debug, Clone, Serialize)]
pub struct InputInfo {
    /// The path as given on the command line.
    pub path: PathBuf,
    pub format: Format,
    pub gzip: bool,
    /// Size on disk (compressed size for gzip).
    pub bytes: u64,
}

/// Opens a file and decides its format and compression: gzip by its magic bytes; JSON Lines
/// or CSV by the extension (`.jsonl`, `.json`, `.ndjson`, `.csv`, `.tsv` before any `.gz`),
/// else by the first non-blank character (`{` is JSON Lines).
pub fn probe(path: &Path) -> Result<InputInfo, MineError> {
    let io_err = |e: io::Error| MineError::Input { path: path.to_path_buf(), source: e };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        return Err(MineError::IsDirectory(path.to_path_buf()));
    }
    let mut file = File::open(path).map_err(io_err)?;
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut file, &mut magic).map_err(io_err)?;
    let gzip = n == 2 && magic == [0x1f, 0x8b];
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_lowercase();
    let stem = name.strip_suffix(".gz").unwrap_or(&name);
    let format = if stem.ends_with(".jsonl") || stem.ends_with(".json") || stem.ends_with(".ndjson") {
        Format::Jsonl
    } else if stem.ends_with(".csv") || stem.ends_with(".tsv") {
        Format::Csv
    } else {
        sniff_format(path, gzip).map_err(io_err)?
    };
    Ok(InputInfo { path: path.to_path_buf(), format, gzip, bytes: meta.len() })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn sniff_format(path: &Path, gzip: bool) -> io::Result<Format> {
    let mut reader = open_stream(path, gzip, None)?;
    let mut head = vec![0u8; 4096];
    let n = read_up_to(&mut reader, &mut head)?;
    let head = strip_bom(&head[..n]);
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    Ok(if first == Some(&b'{') { Format::Jsonl } else { Format::Csv })
}

/// Counts the bytes read from the file (before decompression), for the progress bar.
struct Counting<R> {
    inner: R,
    counter: Option<Arc<AtomicU64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(c) = &self.counter {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// A buffered stream of the file's (decompressed) bytes.
pub fn open_stream(path: &Path, gzip: bool, counter: Option<Arc<AtomicU64>>) -> io::Result<Box<dyn BufRead + Send>> {
    let file = Counting { inner: File::open(path)?, counter };
    Ok(if gzip {
        Box::new(BufReader::with_capacity(1 << 20, flate2::read::MultiGzDecoder::new(BufReader::new(file))))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, file))
    })
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// The text encodings met, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EncodingSeen {
    pub bom: bool,
    pub utf8_lines: u64,
    pub gb18030_lines: u64,
}

impl EncodingSeen {
    /// "utf-8", "utf-8 (BOM)", "gb18030" or "mixed (utf-8 + gb18030)".
    pub fn describe(&self) -> String {
        let base = match (self.utf8_lines > 0, self.gb18030_lines > 0) {
            (true, true) => "混合（UTF-8 + GB18030）",
            (false, true) => "GB18030/GBK（已转换）",
            _ => "UTF-8",
        };
        if self.bom { format!("{base}，带 BOM") } else { base.to_string() }
    }
}

/// Decodes one line: UTF-8 if valid, else GB18030 (a superset of GBK and GB2312) if that
/// decodes without error. `None` when neither does.
pub fn decode_line(bytes: &[u8], seen: &mut EncodingSeen) -> Option<String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => {
            seen.utf8_lines += 1;
            Some(s.to_string())
        }
        Err(_) => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                None
            } else {
                seen.gb18030_lines += 1;
                Some(text.into_owned())
            }
        }
    }
}

/// Who speaks a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Agent,
}

impl Role {
    /// Reads the role names exports use, in English or Chinese.
    pub fn parse(s: &str) -> Option<Role> {
        let role = |s: &str| match s {
            "customer" | "user" | "client" | "caller" | "c" | "客户" | "顾客" | "用户" | "来电人" | "买家" => {
                Some(Role::Customer)
            }
            "agent" | "staff" | "service" | "helpdesk" | "operator" | "a" | "客服" | "坐席" | "人工" | "卖家"
            | "商家" => Some(Role::Agent),
            _ => None,
        };
        // The names are their own lower case: one written so is taken without a copy.
        let s = s.trim();
        role(s).or_else(|| role(&s.to_lowercase()))
    }
}

/// One turn as read: a JSON line's text is borrowed from the line unless it holds an escape.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTurn<'a> {
    pub role: Role,
    pub text: Cow<'a, str>,
    /// The turn's annotation, when the export has one: the shared corpus's `nugget`
    /// (`CNUG0`, `CNUG*` the customer confirms a solution …), a CSV `nugget` column.
    pub nugget: Option<Cow<'a, str>>,
}

/// Outcome labels on the export's scale (for the shared corpus −2 … 2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Labels {
    pub satisfaction: Option<f32>,
    pub accomplishment: Option<f32>,
    pub effectiveness: Option<f32>,
}

impl Labels {
    pub fn is_empty(&self) -> bool {
        self.satisfaction.is_none() && self.accomplishment.is_none() && self.effectiveness.is_none()
    }
}

/// One dialogue as read, before redaction.
#[derive(Debug, Clone, PartialEq)]
pub struct RawDialogue<'a> {
    pub id: String,
    pub turns: Vec<RawTurn<'a>>,
    pub labels: Labels,
}

/// A line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadLine {
    /// Index of the input file.
    pub input: usize,
    /// 1-based line number (for CSV the line where the row starts).
    pub line: u64,
    pub reason: String,
    pub hint: String,
}

/// What the reader hands on: a dialogue to mine, or a line that could not be used.
#[derive(Debug)]
pub enum Record {
    /// A JSON line, decoded to text; parsed by the workers.
    Json {
        input: usize,
        line: u64,
        text: String,
    },
    /// A CSV dialogue, its rows already grouped.
    Dialogue {
        input: usize,
        line: u64,
        dialogue: RawDialogue<'static>,
    },
    Bad(BadLine),
}

/// The JSON Lines schema (`../shared/data/transcripts/`): unknown fields are ignored.
#[derive(Deserialize)]
struct JsonDialogue<'a> {
    id: IdValue,
    #[serde(borrow)]
    turns: Vec<JsonTurn<'a>>,
    #[serde(default)]
    labels: Option<JsonLabels>,
}

/// A dialogue id: a string, or a number (an integer when it is one that fits `i64`).
enum IdValue {
    Text(String),
    Int(i64),
    Float(f64),
}

impl<'de> Deserialize<'de> for IdValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<IdValue, D::Error> {
        struct IdVisitor;
        impl serde::de::Visitor<'_> for IdVisitor {
            type Value = IdValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a dialogue id (a string or a number)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IdValue, E> {
                Ok(IdValue::Text(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<IdValue, E> {
                Ok(IdValue::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<IdValue, E> {
                Ok(i64::try_from(v).map_or(IdValue::Float(v as f64), IdValue::Int))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<IdValue, E> {
                Ok(IdValue::Float(v))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

#[derive(Deserialize)]
struct JsonTurn<'a> {
    /// Borrowed from the line unless it holds an escape.
    #[serde(borrow)]
    role: Cow<'a, str>,
    /// `null` or missing is an empty text.
    #[serde(default, borrow, deserialize_with = "text_or_null")]
    text: Cow<'a, str>,
    /// `null`, missing or blank is none.
    #[serde(default, borrow, deserialize_with = "text_or_null")]
    nugget: Cow<'a, str>,
}

/// A turn's text, borrowed from the line when it can be; `null` is an empty text.
fn text_or_null<'de: 'a, 'a, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Cow<'a, str>, D::Error> {
    struct TextVisitor;
    impl<'de> serde::de::Visitor<'de> for TextVisitor {
        type Value = Cow<'de, str>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(v))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v.to_string()))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v))
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(""))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(""))
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_str(TextVisitor)
        }
    }
    deserializer.deserialize_option(TextVisitor)
}

#[derive(Deserialize)]
struct JsonLabels {
    #[serde(default)]
    satisfaction: Option<f32>,
    #[serde(default)]
    accomplishment: Option<f32>,
    #[serde(default)]
    effectiveness: Option<f32>,
}

/// Parses one JSON line into a dialogue, or says what is wrong with it.
pub fn parse_json_line(text: &str) -> Result<RawDialogue<'_>, (String, String)> {
    let d: JsonDialogue = serde_json::from_str(text).map_err(|e| {
        let what = e.to_string();
        let reason = if what.contains("missing field") {
            format!("缺少必需字段：{what}")
        } else {
            format!("不是有效的 JSON：{what}")
        };
        (reason, "每行应是一段完整对话：{\"id\": …, \"turns\": [{\"role\": \"customer\", \"text\": …}, …]}".to_string())
    })?;
    let id = match d.id {
        IdValue::Text(s) => s.trim().to_string(),
        IdValue::Int(i) => i.to_string(),
        IdValue::Float(f) => format!("{f}"),
    };
    if id.is_empty() {
        return Err(("对话 id 为空".into(), "给每段对话一个唯一的 id".into()));
    }
    let mut turns = Vec::with_capacity(d.turns.len());
    for (i, t) in d.turns.into_iter().enumerate() {
        let Some(role) = Role::parse(&t.role) else {
            return Err((
                format!("第 {} 个 turn 的 role“{}”无法识别", i + 1, t.role),
                "role 应为 customer（客户）或 agent（客服）".into(),
            ));
        };
        let nugget = Some(t.nugget).filter(|n| !n.trim().is_empty());
        turns.push(RawTurn { role, text: t.text, nugget });
    }
    let labels = d
        .labels
        .map(|l| Labels {
            satisfaction: l.satisfaction,
            accomplishment: l.accomplishment,
            effectiveness: l.effectiveness,
        })
        .unwrap_or_default();
    Ok(RawDialogue { id, turns, labels })
}

/// What reading one file produced besides the records.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileStats {
    pub lines: u64,
    pub records: u64,
    pub bad_lines: u64,
    pub encoding: EncodingSeen,
    /// The file could not be read to the end (e.g. a truncated gzip); what happened.
    pub error: Option<String>,
}

/// Reads one file and calls `emit` for every record in order. I/O errors in the middle of the
/// file end the file with `FileStats::error` set; what was read before stays.
pub fn read_file(
    input: usize,
    info: &InputInfo,
    counter: Option<Arc<AtomicU64>>,
    emit: &mut dyn FnMut(Record),
) -> FileStats {
    let mut stats = FileStats::default();
    let stream = match open_stream(&info.path, info.gzip, counter) {
        Ok(s) => s,
        Err(e) => {
            stats.error = Some(format!("无法打开：{e}"));
            return stats;
        }
    };
    let result = match info.format {
        Format::Jsonl => read_jsonl(input, stream, &mut stats, emit),
        Format::Csv => read_csv(input, stream, &mut stats, emit),
    };
    if let Err(e) = result {
        stats.error = Some(format!("第 {} 行之后读取中断：{e}", stats.lines));
    }
    stats
}

/// The result of reading one line with a length cap.
enum Line {
    Eof,
    Ok,
    TooLong(usize),
}

/// Reads up to and including the next `\n` into `buf`; a line longer than `cap` is consumed
/// but not kept.
fn read_capped_line(r: &mut dyn BufRead, buf: &mut Vec<u8>, cap: usize) -> io::Result<Line> {
    buf.clear();
    let mut total = 0usize;
    let mut too_long = false;
    loop {
        let available = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        let (chunk, done) = match memchr(b'\n', available) {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        total += chunk.len();
        if !too_long {
            if buf.len() + chunk.len() > cap {
                too_long = true;
                buf.clear();
                buf.shrink_to(1 << 16);
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        let n = chunk.len();
        r.consume(n);
        if done {
            break;
        }
    }
    Ok(if total == 0 {
        Line::Eof
    } else if too_long {
        Line::TooLong(total)
    } else {
        Line::Ok
    })
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn read_jsonl(
    input: usize,
    mut r: Box<dyn BufRead + Send>,
    stats: &mut FileStats,
    emit: &mut dyn FnMut(Record),
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1 << 16);
    loop {
        let kind = read_capped_line(&mut *r, &mut buf, MAX_LINE_BYTES)?;
        let line = stats.lines + 1;
        match kind {
            Line::Eof => return Ok(()),
            Line::TooLong(n) => {
                stats.lines += 1;
                stats.bad_lines += 1;
                emit(Record::Bad(BadLine {
                    input,
                    line,
                    reason: format!("这一行有 {n} 字节，超过上限 {} MiB", MAX_LINE_BYTES >> 20),
                    hint: "检查导出是否把多段对话写进了一行；每行应是一段对话".into(),
                }));
                continue;
            }
            Line::Ok => stats.lines += 1,
        }
        let mut bytes: &[u8] = &buf;
        if line == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
            stats.encoding.bom = true;
            bytes = &bytes[3..];
        }
        while let [rest @ .., b'\n' | b'\r'] = bytes {
            bytes = rest;
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match decode_line(bytes, &mut stats.encoding) {
            Some(text) => {
                stats.records += 1;
                emit(Record::Json { input, line, text });
            }
            None => {
                stats.bad_lines += 1;
                emit(Record::Bad(BadLine {
                    input,
                    line,
                    reason: "既不是 UTF-8 也不是 GB18030/GBK 编码".into(),
                    hint: "用 UTF-8 重新导出，或检查文件是否损坏".into(),
                }));
            }
        }
    }
}

/// The columns of a CSV export.
#[derive(Debug, Clone, Copy)]
struct Columns {
    id: usize,
    turn: Option<usize>,
    role: usize,
    text: usize,
    timestamp: Option<usize>,
    nugget: Option<usize>,
    satisfaction: Option<usize>,
    accomplishment: Option<usize>,
    effectiveness: Option<usize>,
}

impl Columns {
    const POSITIONAL: Columns = Columns {
        id: 0,
        turn: Some(1),
        role: 2,
        text: 3,
        timestamp: Some(4),
        nugget: None,
        satisfaction: None,
        accomplishment: None,
        effectiveness: None,
    };

    /// Reads a header row, if the row is one.
    fn from_header(fields: &[String]) -> Option<Columns> {
        let find = |names: &[&str]| {
            fields.iter().position(|f| {
                let f = f.trim().trim_start_matches('\u{feff}').to_lowercase();
                names.contains(&f.as_str())
            })
        };
        let id = find(&[
            "dialogue_id",
            "dialogue id",
            "dialog_id",
            "conversation_id",
            "session_id",
            "id",
            "对话id",
            "对话编号",
            "会话id",
            "会话编号",
            "工单号",
        ])?;
        let role = find(&["role", "speaker", "角色", "发言人", "说话人"])?;
        let text = find(&["text", "content", "message", "utterance", "内容", "文本", "消息"])?;
        Some(Columns {
            id,
            turn: find(&["turn", "turn_no", "seq", "index", "序号", "轮次", "轮"]),
            role,
            text,
            timestamp: find(&["timestamp", "time", "datetime", "时间", "时间戳"]),
            nugget: find(&["nugget", "标注"]),
            satisfaction: find(&["satisfaction", "满意度"]),
            accomplishment: find(&["accomplishment", "完成度", "解决度"]),
            effectiveness: find(&["effectiveness", "有效性"]),
        })
    }

    fn min_fields(&self) -> usize {
        [Some(self.id), Some(self.role), Some(self.text), self.turn].into_iter().flatten().max().unwrap_or(0) + 1
    }
}

/// Rows of the dialogue being gathered.
struct Gathering {
    id: String,
    line: u64,
    rows: Vec<(Option<f64>, u64, RawTurn<'static>)>,
    /// Text bytes of `rows`.
    bytes: usize,
    labels: Labels,
}

fn read_csv(
    input: usize,
    r: Box<dyn BufRead + Send>,
    stats: &mut FileStats,
    emit: &mut dyn FnMut(Record),
) -> io::Result<()> {
    let mut r = r;
    // A BOM before the first field would become part of it.
    if r.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        stats.encoding.bom = true;
        r.consume(3);
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(r);
    let mut record = csv::ByteRecord::new();
    let mut columns: Option<Columns> = None;
    let mut current: Option<Gathering> = None;
    // Dialogues already finished, by a hash of their id, to report rows that come back later.
    let mut finished: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let mut first = true;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if let csv::ErrorKind::Io(_) = e.kind() {
                    flush(input, &mut current, &mut finished, stats, emit);
                    return Err(io::Error::other(e.to_string()));
                }
                let line = e.position().map_or(stats.lines + 1, |p| p.line());
                stats.bad_lines += 1;
                emit(Record::Bad(BadLine {
                    input,
                    line,
                    reason: format!("CSV 格式错误：{e}"),
                    hint: "检查引号是否成对".into(),
                }));
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let end_line = reader.position().line();
        stats.lines = stats.lines.max(end_line.saturating_sub(1)).max(line);
        let mut fields = Vec::with_capacity(record.len());
        let mut undecodable = false;
        for f in record.iter() {
            match decode_line(f, &mut stats.encoding) {
                Some(s) => fields.push(s),
                None => {
                    undecodable = true;
                    break;
                }
            }
        }
        let bad = |reason: String, hint: &str| Record::Bad(BadLine { input, line, reason, hint: hint.to_string() });
        if undecodable {
            stats.bad_lines += 1;
            emit(bad("既不是 UTF-8 也不是 GB18030/GBK 编码".into(), "用 UTF-8 重新导出，或检查文件是否损坏"));
            continue;
        }
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if first {
            first = false;
            if let Some(c) = Columns::from_header(&fields) {
                columns = Some(c);
                continue;
            }
        }
        let cols = columns.unwrap_or(Columns::POSITIONAL);
        if fields.len() < cols.min_fields() {
            stats.bad_lines += 1;
            emit(bad(
                format!("只有 {} 列，至少需要 {} 列", fields.len(), cols.min_fields()),
                "每行应为：对话 id, 轮次, 角色, 内容[, 时间]",
            ));
            continue;
        }
        let id = fields[cols.id].trim().to_string();
        if id.is_empty() {
            stats.bad_lines += 1;
            emit(bad("对话 id 为空".into(), "每行第一列写对话 id"));
            continue;
        }
        let Some(role) = Role::parse(&fields[cols.role]) else {
            stats.bad_lines += 1;
            emit(bad(format!("角色“{}”无法识别", fields[cols.role].trim()), "角色应为 customer/客户 或 agent/客服"));
            continue;
        };
        let turn_no = match cols.turn.map(|i| fields[i].trim()) {
            None | Some("") => None,
            Some(t) => match t.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    stats.bad_lines += 1;
                    emit(bad(format!("轮次“{t}”不是数字"), "轮次列写 1、2、3 …"));
                    continue;
                }
            },
        };
        let label = |i: Option<usize>| {
            i.and_then(|i| fields.get(i)).and_then(|v| v.trim().parse::<f32>().ok()).filter(|v| v.is_finite())
        };
        let text = fields[cols.text].clone();
        let same = current.as_ref().is_some_and(|g| g.id == id);
        if !same {
            flush(input, &mut current, &mut finished, stats, emit);
            if finished.contains(&hash_id(&id)) {
                stats.bad_lines += 1;
                emit(bad(
                    format!("对话“{id}”的行不连续：这段对话在前面已经结束过"),
                    "按对话 id 排序后重新导出（同一段对话的行要挨在一起）",
                ));
                continue;
            }
            current = Some(Gathering { id, line, rows: Vec::new(), bytes: 0, labels: Labels::default() });
        }
        let g = current.as_mut().expect("gathering");
        if g.rows.len() >= MAX_DIALOGUE_ROWS || g.bytes + text.len() > MAX_LINE_BYTES {
            stats.bad_lines += 1;
            emit(bad(
                format!(
                    "对话“{}”超过 {MAX_DIALOGUE_ROWS} 行或 {} MiB，这一行已跳过（前面的行照常挖掘）",
                    g.id,
                    MAX_LINE_BYTES >> 20
                ),
                "检查对话 id 列：是不是所有行都用了同一个 id？真有这么长的对话，就拆成几段",
            ));
            continue;
        }
        g.bytes += text.len();
        let l = &mut g.labels;
        l.satisfaction = l.satisfaction.or(label(cols.satisfaction));
        l.accomplishment = l.accomplishment.or(label(cols.accomplishment));
        l.effectiveness = l.effectiveness.or(label(cols.effectiveness));
        let _ = cols.timestamp;
        let nugget = cols.nugget.and_then(|i| fields.get(i)).map(|n| n.trim()).filter(|n| !n.is_empty());
        let nugget = nugget.map(|n| Cow::Owned(n.to_string()));
        g.rows.push((turn_no, line, RawTurn { role, text: Cow::Owned(text), nugget }));
    }
    flush(input, &mut current, &mut finished, stats, emit);
    stats.lines = stats.lines.max(reader.position().line().saturating_sub(1));
    Ok(())
}

fn hash_id(id: &str) -> u64 {
    // FNV-1a: stable across runs and platforms.
    id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

fn flush(
    input: usize,
    current: &mut Option<Gathering>,
    finished: &mut std::collections::HashSet<u64>,
    stats: &mut FileStats,
    emit: &mut dyn FnMut(Record),
) {
    let Some(mut g) = current.take() else { return };
    finished.insert(hash_id(&g.id));
    if g.rows.is_empty() {
        return; // every row of it was too long and is already reported
    }
    // Rows in turn order when the export numbers them; otherwise (or for equal numbers) as
    // written.
    g.rows.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => x.total_cmp(&y).then(a.1.cmp(&b.1)),
        _ => a.1.cmp(&b.1),
    });
    stats.records += 1;
    emit(Record::Dialogue {
        input,
        line: g.line,
        dialogue: RawDialogue { id: g.id, turns: g.rows.into_iter().map(|r| r.2).collect(), labels: g.labels },
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_in_two_languages() {
        assert_eq!(Role::parse("Customer"), Some(Role::Customer));
        assert_eq!(Role::parse("客服"), Some(Role::Agent));
        assert_eq!(Role::parse("bot"), None);
        assert_eq!(Role::parse(" AGENT\t"), Some(Role::Agent));
        assert_eq!(Role::parse("customer"), Some(Role::Customer));
        // Unicode lower case, as before: the Kelvin sign is a "k".
        assert_eq!(Role::parse("HELPDES\u{212A}"), Some(Role::Agent));
        assert_eq!(Role::parse(""), None);
    }

    #[test]
    fn gb18030_lines_are_converted() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("您好，我要投诉");
        let mut seen = EncodingSeen::default();
        assert_eq!(decode_line(&bytes, &mut seen).as_deref(), Some("您好，我要投诉"));
        assert_eq!(seen.gb18030_lines, 1);
        assert_eq!(decode_line(&[0xff, 0xff, 0xff], &mut seen), None);
    }

    #[test]
    fn json_line_errors_say_what_is_wrong() {
        let e = parse_json_line(r#"{"id": "1"}"#).unwrap_err();
        assert!(e.0.contains("turns"), "{e:?}");
        let e = parse_json_line(r#"{"id": "1", "turns": [{"role": "bot", "text": "x"}]}"#).unwrap_err();
        assert!(e.0.contains("bot"), "{e:?}");
        let d = parse_json_line(
            r#"{"id": 7, "turns": [{"role": "customer", "text": null}], "labels": {"satisfaction": 1.5}}"#,
        )
        .unwrap();
        assert_eq!(d.id, "7");
        assert_eq!(d.turns[0].text, "");
        assert_eq!(d.labels.satisfaction, Some(1.5));
        // Ids: strings trimmed; integers as written; other numbers as Rust writes them.
        let id = |v: &str| parse_json_line(&format!(r#"{{"id": {v}, "turns": []}}"#)).map(|d| d.id);
        assert_eq!(id(r#"" a-1 ""#).unwrap(), "a-1");
        assert_eq!(id(r#""\u0041\n""#).unwrap(), "A");
        assert_eq!(id("-5").unwrap(), "-5");
        assert_eq!(id("9223372036854775807").unwrap(), "9223372036854775807");
        assert_eq!(id("18446744073709551615").unwrap(), "18446744073709552000");
        assert_eq!(id("1.5").unwrap(), "1.5");
        assert_eq!(id("1e3").unwrap(), "1000");
        for bad in ["null", "true", "[1]", r#"{"a": 1}"#] {
            let e = id(bad).unwrap_err();
            assert!(e.0.contains("不是有效的 JSON") && e.0.contains("dialogue id"), "{bad}: {e:?}");
        }
        assert!(id(r#""  ""#).unwrap_err().0.contains("id 为空"));
        // Texts: borrowed from the line, copied when they hold an escape; null or missing is "".
        let d = parse_json_line(
            r#"{"id": 1, "turns": [{"role": "c", "text": "好的"}, {"role": "a", "text": "好\n的"}, {"role": "c"}]}"#,
        )
        .unwrap();
        assert!(matches!(d.turns[0].text, Cow::Borrowed("好的")), "{:?}", d.turns[0]);
        assert!(matches!(&d.turns[1].text, Cow::Owned(t) if t == "好\n的"), "{:?}", d.turns[1]);
        assert_eq!(d.turns[2].text, "");
        let e = parse_json_line(r#"{"id": 1, "turns": [{"role": "c", "text": 5}]}"#).unwrap_err();
        assert!(e.0.contains("expected a string"), "{e:?}");
        // A role with an escape is read all the same.
        let d = parse_json_line(r#"{"id": 1, "turns": [{"role": "cust\u006fmer", "text": "x"}]}"#).unwrap();
        assert_eq!(d.turns[0].role, Role::Customer);
    }

    #[test]
    fn capped_lines() {
        let data = b"short\nthis one is long\nok";
        let mut r: &[u8] = data;
        let mut buf = Vec::new();
        assert!(matches!(read_capped_line(&mut r, &mut buf, 8).unwrap(), Line::Ok));
        assert_eq!(buf, b"short\n");
        assert!(matches!(read_capped_line(&mut r, &mut buf, 8).unwrap(), Line::TooLong(17)));
        assert!(matches!(read_capped_line(&mut r, &mut buf, 8).unwrap(), Line::Ok));
        assert_eq!(buf, b"ok");
        assert!(matches!(read_capped_line(&mut r, &mut buf, 8).unwrap(), Line::Eof));
    }

    #[test]
    fn turn_labels_are_kept_from_json_and_csv() {
        let d = parse_json_line(
            r#"{"id": 1, "turns": [{"role": "customer", "text": "好", "nugget": "CNUG*"}, {"role": "agent", "text": "嗯", "nugget": " "}, {"role": "agent", "text": "嗯", "nugget": null}, {"role": "customer", "text": "x"}]}"#,
        )
        .unwrap();
        let nuggets: Vec<Option<&str>> = d.turns.iter().map(|t| t.nugget.as_deref()).collect();
        assert_eq!(nuggets, vec![Some("CNUG*"), None, None, None]);
        assert!(matches!(d.turns[0].nugget, Some(Cow::Borrowed("CNUG*"))));

        let csv = "dialogue_id,turn,role,text,nugget\nd1,1,customer,退款呢,CNUG0\nd1,2,agent,已退,HNUG*\nd1,3,customer,收到了,\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, csv).unwrap();
        let info = probe(&path).unwrap();
        let mut dialogues = Vec::new();
        read_file(0, &info, None, &mut |r| {
            if let Record::Dialogue { dialogue, .. } = r {
                dialogues.push(dialogue);
            }
        });
        assert_eq!(dialogues.len(), 1);
        let nuggets: Vec<Option<&str>> = dialogues[0].turns.iter().map(|t| t.nugget.as_deref()).collect();
        assert_eq!(nuggets, vec![Some("CNUG0"), Some("HNUG*"), None]);
    }
}
