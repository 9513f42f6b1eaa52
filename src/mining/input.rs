//! Reading transcript exports: JSON Lines (one dialogue a line) and CSV (one turn a row), plain
//! or gzip, UTF-8 with or without BOM; lines that are not UTF-8 are converted from GB18030/GBK
//! (simplified) or Big5 (traditional), whichever the file's text is (detected with chardetng,
//! or forced with [`TextEncoding`]).
//!
//! The reader streams: it holds one line (or one CSV dialogue) at a time, never the file. A
//! line it cannot use becomes a [`BadLine`] with its number and what to do; it never stops
//! the run. A CSV record is read physical line by physical line, so that a stray quote costs
//! its own lines (reported with their numbers), not the rest of the file.

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
    /// How to read lines that are not UTF-8 ([`TextEncoding::Auto`] from [`probe`]).
    pub encoding: TextEncoding,
    /// For CSV: the header of the column naming the agent of each row (`peilian qa
    /// --agent-field`); `None` from [`probe`]. A file without that column is one bad line.
    pub agent_column: Option<String>,
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
    Ok(InputInfo {
        path: path.to_path_buf(),
        format,
        gzip,
        bytes: meta.len(),
        encoding: TextEncoding::Auto,
        agent_column: None,
    })
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

/// How to read the lines of a file that are not UTF-8.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TextEncoding {
    /// UTF-8 where it is valid; other lines in GB18030 or Big5, as the file's text shows.
    #[default]
    Auto,
    /// UTF-8 only: other lines are bad lines.
    Utf8,
    /// GB18030 (a superset of GBK and GB2312), simplified Chinese.
    Gb18030,
    /// Big5, traditional Chinese.
    Big5,
}

impl TextEncoding {
    /// The names `--encoding` takes.
    pub const NAMES: [&'static str; 6] = ["auto", "utf-8", "utf8", "gb18030", "gbk", "big5"];

    /// Reads an encoding's name (case-insensitive; `gbk` and `gb2312` are GB18030).
    pub fn parse(name: &str) -> Option<TextEncoding> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "auto" => TextEncoding::Auto,
            "utf-8" | "utf8" => TextEncoding::Utf8,
            "gb18030" | "gbk" | "gb2312" | "cp936" => TextEncoding::Gb18030,
            "big5" | "big-5" | "cp950" => TextEncoding::Big5,
            _ => return None,
        })
    }
}

/// How the legacy (not UTF-8) encoding of a file was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LegacyBasis {
    /// Given with `--encoding`.
    Forced,
    /// The text decodes in this encoding only.
    Certain,
    /// Both decode; the detector chose, from enough text.
    Detected,
    /// Both decode and there was little text to judge, or the detector saw neither: a guess.
    Guessed,
}

/// The legacy encoding used for a file's lines that are not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LegacyChoice {
    /// "GB18030" or "Big5".
    pub encoding: &'static str,
    pub basis: LegacyBasis,
}

/// The text encodings met, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EncodingSeen {
    pub bom: bool,
    pub utf8_lines: u64,
    pub gb18030_lines: u64,
    pub big5_lines: u64,
    /// How lines that are not UTF-8 were read, when there were any.
    pub legacy: Option<LegacyChoice>,
}

impl EncodingSeen {
    /// "UTF-8", "GB18030/GBK（已转换）", "Big5（繁体，已转换）", "混合（UTF-8 + Big5）" …,
    /// with ", 带 BOM" and a note when the legacy encoding was a guess or forced.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.gb18030_lines > 0 {
            parts.push("GB18030");
        }
        if self.big5_lines > 0 {
            parts.push("Big5");
        }
        let mut out = match (self.utf8_lines > 0, parts.as_slice()) {
            (_, []) => "UTF-8".to_string(),
            (false, ["GB18030"]) => "GB18030/GBK（已转换）".to_string(),
            (false, ["Big5"]) => "Big5（繁体，已转换）".to_string(),
            (false, _) => format!("混合（{}）", parts.join(" + ")),
            (true, _) => format!("混合（UTF-8 + {}）", parts.join(" + ")),
        };
        match self.legacy.map(|l| l.basis) {
            Some(LegacyBasis::Guessed) if !parts.is_empty() => out.push_str("，编码是猜的"),
            Some(LegacyBasis::Forced) => out.push_str("，按 --encoding 指定"),
            _ => {}
        }
        if self.bom {
            out.push_str("，带 BOM");
        }
        out
    }

    /// What to tell the user when the legacy encoding was only guessed: which one was used and
    /// how to force the other.
    pub fn note(&self) -> Option<String> {
        let legacy = self.legacy.filter(|l| l.basis == LegacyBasis::Guessed)?;
        if self.gb18030_lines + self.big5_lines == 0 {
            return None;
        }
        let (used, other, flag) = if legacy.encoding == "Big5" {
            ("Big5（繁体）", "GB18030/GBK（简体）", "gb18030")
        } else {
            ("GB18030/GBK（简体）", "Big5（繁体）", "big5")
        };
        Some(format!(
            "不是 UTF-8 的行按 {used} 读取，但可供判断的文字太少，这是猜的；若挖出的文字是乱码，文件多半是 {other}，请加 --encoding {flag} 重新运行"
        ))
    }
}

/// Decodes the fields or lines of one file: UTF-8 where valid, else the file's legacy
/// encoding, chosen once (from a sample of the file's lines that are not UTF-8) when the first
/// such line comes.
pub struct Decoder {
    forced: TextEncoding,
    legacy: Option<&'static encoding_rs::Encoding>,
    /// The file to sample when the choice is made (none: judge by the first line alone).
    sample_from: Option<(PathBuf, bool)>,
}

/// Bytes of the file read to sample its legacy lines, and of legacy lines kept for judging.
const SAMPLE_READ: usize = 4 << 20;
const SAMPLE_KEEP: usize = 256 << 10;
/// Fewer non-ASCII bytes than this and the detector's choice is only a guess.
const SAMPLE_ENOUGH: usize = 16;

impl Decoder {
    /// A decoder that samples `info`'s file when it needs to choose.
    pub fn for_file(info: &InputInfo) -> Decoder {
        Decoder { forced: info.encoding, legacy: None, sample_from: Some((info.path.clone(), info.gzip)) }
    }

    /// A decoder without a file: the choice is made from the first line that is not UTF-8.
    pub fn new(forced: TextEncoding) -> Decoder {
        Decoder { forced, legacy: None, sample_from: None }
    }

    /// The text of `bytes`, or `None` when it is neither UTF-8 nor valid in the legacy
    /// encoding (in `Auto`, nor in the other one either).
    pub fn decode(&mut self, bytes: &[u8], seen: &mut EncodingSeen) -> Option<String> {
        if let Ok(s) = std::str::from_utf8(bytes) {
            seen.utf8_lines += 1;
            return Some(s.to_string());
        }
        if self.forced == TextEncoding::Utf8 {
            return None;
        }
        let primary = match self.legacy {
            Some(e) => e,
            None => {
                let choice = self.choose(bytes);
                seen.legacy = Some(choice);
                let e = if choice.encoding == "Big5" { encoding_rs::BIG5 } else { encoding_rs::GB18030 };
                self.legacy = Some(e);
                e
            }
        };
        let other = if primary == encoding_rs::BIG5 { encoding_rs::GB18030 } else { encoding_rs::BIG5 };
        let candidates: &[&'static encoding_rs::Encoding] =
            if self.forced == TextEncoding::Auto { &[primary, other] } else { &[primary] };
        for &encoding in candidates {
            let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
            if !had_errors {
                if encoding == encoding_rs::BIG5 {
                    seen.big5_lines += 1;
                } else {
                    seen.gb18030_lines += 1;
                }
                return Some(text.into_owned());
            }
        }
        None
    }

    fn choose(&mut self, first: &[u8]) -> LegacyChoice {
        match self.forced {
            TextEncoding::Big5 => return LegacyChoice { encoding: "Big5", basis: LegacyBasis::Forced },
            TextEncoding::Gb18030 => return LegacyChoice { encoding: "GB18030", basis: LegacyBasis::Forced },
            TextEncoding::Auto | TextEncoding::Utf8 => {}
        }
        let sample = self
            .sample_from
            .take()
            .and_then(|(path, gzip)| sample_legacy_lines(&path, gzip).ok())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| first.to_vec());
        choose_legacy(&sample)
    }
}

/// The lines of the file's start that are not UTF-8, joined by `\n` (at most `SAMPLE_KEEP`).
fn sample_legacy_lines(path: &Path, gzip: bool) -> io::Result<Vec<u8>> {
    let stream = open_stream(path, gzip, None)?;
    let mut head = Vec::new();
    stream.take(SAMPLE_READ as u64).read_to_end(&mut head)?;
    let full = head.len() >= SAMPLE_READ;
    let mut pieces: Vec<&[u8]> = head.split(|&b| b == b'\n').collect();
    if full {
        pieces.pop(); // cut in the middle
    }
    let mut sample = Vec::new();
    for (i, piece) in pieces.into_iter().enumerate() {
        let piece = if i == 0 { strip_bom(piece) } else { piece };
        let piece = piece.strip_suffix(b"\r").unwrap_or(piece);
        if std::str::from_utf8(piece).is_err() {
            sample.extend_from_slice(piece);
            sample.push(b'\n');
            if sample.len() >= SAMPLE_KEEP {
                break;
            }
        }
    }
    Ok(sample)
}

/// GB18030 or Big5 for text that is not UTF-8: the one it decodes in when only one does, else
/// chardetng's choice (a guess when there is little text or it names neither).
pub fn choose_legacy(sample: &[u8]) -> LegacyChoice {
    let gb_ok = !encoding_rs::GB18030.decode_without_bom_handling(sample).1;
    let big5_ok = !encoding_rs::BIG5.decode_without_bom_handling(sample).1;
    match (gb_ok, big5_ok) {
        (true, false) => return LegacyChoice { encoding: "GB18030", basis: LegacyBasis::Certain },
        (false, true) => return LegacyChoice { encoding: "Big5", basis: LegacyBasis::Certain },
        _ => {}
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(sample, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
    let non_ascii = sample.iter().filter(|b| !b.is_ascii()).count();
    let named = guess == encoding_rs::BIG5 || guess == encoding_rs::GBK || guess == encoding_rs::GB18030;
    let basis = if named && non_ascii >= SAMPLE_ENOUGH && gb_ok { LegacyBasis::Detected } else { LegacyBasis::Guessed };
    LegacyChoice { encoding: if guess == encoding_rs::BIG5 { "Big5" } else { "GB18030" }, basis }
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
    /// Who of the agents spoke it, when a CSV export names them in `InputInfo::agent_column`.
    pub agent: Option<Cow<'a, str>>,
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
        let what = without_quoted_input(&e.to_string());
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
                format!("第 {} 个 turn 的 role{}无法识别", i + 1, shown(&t.role)),
                "role 应为 customer（客户）或 agent（客服）".into(),
            ));
        };
        let nugget = Some(t.nugget).filter(|n| !n.trim().is_empty());
        turns.push(RawTurn { role, text: t.text, nugget, agent: None });
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

/// A value from the input as a message may quote it: in quotes when it is short and cannot be
/// personal data (a role such as "bot", a column name), otherwise only its length. Messages
/// go to the terminal and into reports, which must not hold what redaction removes from texts.
pub fn shown(value: &str) -> String {
    let chars = value.chars().count();
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let han = value.chars().filter(|c| !c.is_ascii()).count();
    // Chinese role and column words hold one of these; a name or an address does not need to.
    let word_like = value
        .chars()
        .any(|c| "客户服务员坐席人工机器系统商家买卖顾用角色内容文本消息时间轮次序号对话会话编号标注度性".contains(c));
    let safe = chars <= 16 && digits <= 3 && (han == 0 || word_like) && !value.contains(['@', '/', '\\']);
    if safe { format!("“{value}”") } else { format!("（{chars} 个字符，内容不显示）") }
}

/// A JSON parser's message without the input it quotes: `invalid type: string "客户王建国 …"`
/// becomes `invalid type: string “…”`; the line and column stay.
fn without_quoted_input(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = rest[open..].chars().next().expect("found");
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(quote) else {
            out.push_str("“…”");
            return out;
        };
        let inner = &after[..close];
        // Field names of the schema (`missing field `turns``) are no one's data.
        let schema_word =
            quote == '`' && inner.len() <= 24 && inner.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if schema_word {
            out.push_str(&rest[open..open + 2 + close])
        } else {
            out.push_str("“…”")
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
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
    let mut decoder = Decoder::for_file(info);
    let result = match info.format {
        Format::Jsonl => read_jsonl(input, stream, &mut decoder, &mut stats, emit),
        Format::Csv => read_csv(input, stream, info.agent_column.as_deref(), &mut decoder, &mut stats, emit),
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
    decoder: &mut Decoder,
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
        match decoder.decode(bytes, &mut stats.encoding) {
            Some(text) => {
                stats.records += 1;
                emit(Record::Json { input, line, text });
            }
            None => {
                stats.bad_lines += 1;
                let (reason, hint) = undecodable(decoder);
                emit(Record::Bad(BadLine { input, line, reason, hint }));
            }
        }
    }
}

/// The columns of a CSV export.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Columns {
    pub(crate) id: usize,
    pub(crate) turn: Option<usize>,
    pub(crate) role: usize,
    pub(crate) text: usize,
    pub(crate) timestamp: Option<usize>,
    nugget: Option<usize>,
    satisfaction: Option<usize>,
    accomplishment: Option<usize>,
    effectiveness: Option<usize>,
    /// The agent column asked for (`InputInfo::agent_column`).
    agent: Option<usize>,
}

impl Columns {
    pub(crate) const POSITIONAL: Columns = Columns {
        id: 0,
        turn: Some(1),
        role: 2,
        text: 3,
        timestamp: Some(4),
        nugget: None,
        satisfaction: None,
        accomplishment: None,
        effectiveness: None,
        agent: None,
    };

    /// Reads a header row, if the row is one.
    pub(crate) fn from_header(fields: &[String]) -> Option<Columns> {
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
            agent: None,
        })
    }

    /// What column `i` holds, for messages.
    fn name_of(&self, i: usize) -> Option<&'static str> {
        let named = [
            (Some(self.id), "对话 id"),
            (self.turn, "轮次"),
            (Some(self.role), "角色"),
            (Some(self.text), "内容"),
            (self.timestamp, "时间"),
            (self.nugget, "标注"),
            (self.satisfaction, "满意度"),
            (self.accomplishment, "完成度"),
            (self.effectiveness, "有效性"),
        ];
        named.into_iter().find(|(c, _)| *c == Some(i)).map(|(_, name)| name)
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

/// Why a line could not be decoded, and what to do.
fn undecodable(decoder: &Decoder) -> (String, String) {
    let reason = match decoder.forced {
        TextEncoding::Auto => "既不是 UTF-8，也不是 GB18030/GBK 或 Big5 编码",
        TextEncoding::Utf8 => "不是 UTF-8 编码（--encoding utf-8）",
        TextEncoding::Gb18030 => "既不是 UTF-8 也不是 GB18030/GBK 编码（--encoding gb18030）",
        TextEncoding::Big5 => "既不是 UTF-8 也不是 Big5 编码（--encoding big5）",
    };
    (reason.into(), "用 UTF-8 重新导出，或检查文件是否损坏；编码可用 --encoding 指定".into())
}

/// A multi-line quoted CSV field may span at most this many physical lines; past that its
/// opening quote is taken as a stray one.
pub const MAX_QUOTED_LINES: u64 = 1_000;

/// What the CSV line reader hands on.
enum CsvItem {
    /// A record: its first physical line and its fields (raw bytes, quotes removed).
    Record {
        line: u64,
        fields: Vec<Vec<u8>>,
    },
    /// A physical line longer than `MAX_LINE_BYTES`, skipped.
    TooLong {
        line: u64,
        bytes: usize,
    },
    /// A field opened a quote that was never closed: the record's lines `line..=last` are
    /// skipped; reading goes on with the line after them.
    Unclosed {
        line: u64,
        column: usize,
        last: u64,
        to_end: bool,
    },
    Eof,
}

/// Reads CSV records physical line by physical line with csv-core: a quoted field may span
/// lines, but a line that reads as a record of its own ends a quote left open (a stray quote
/// costs its own lines, not the rest of the file).
struct CsvLines<'r> {
    r: &'r mut dyn BufRead,
    buf: Vec<u8>,
    /// Physical lines read.
    line: u64,
    /// A line read ahead, to be read again.
    back: Option<(u64, Vec<u8>)>,
    core: csv_core::Reader,
    probe: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
}

/// One physical line read.
enum Physical {
    Line(u64, Vec<u8>),
    TooLong(u64, usize),
    Eof,
}

fn csv_core_reader() -> csv_core::Reader {
    csv_core::ReaderBuilder::new().terminator(csv_core::Terminator::Any(b'\n')).build()
}

/// The line without its `\n` or `\r\n`, with a `\n` (the only record terminator) after it.
fn terminated(mut bytes: Vec<u8>) -> Vec<u8> {
    while let [.., b'\n' | b'\r'] = bytes.as_slice() {
        bytes.pop();
    }
    bytes.push(b'\n');
    bytes
}

/// Feeds `input` to `core`, growing `out` and `ends` as needed. True when a record ended; its
/// `outlen` bytes and `endlen` field ends are in `out` and `ends`.
fn feed(
    core: &mut csv_core::Reader,
    mut input: &[u8],
    out: &mut Vec<u8>,
    ends: &mut Vec<usize>,
    outlen: &mut usize,
    endlen: &mut usize,
) -> bool {
    loop {
        if out.len() <= *outlen {
            out.resize((out.len() * 2).max(256), 0);
        }
        if ends.len() <= *endlen {
            ends.resize((ends.len() * 2).max(16), 0);
        }
        let (res, nin, nout, nend) = core.read_record(input, &mut out[*outlen..], &mut ends[*endlen..]);
        input = &input[nin..];
        *outlen += nout;
        *endlen += nend;
        match res {
            csv_core::ReadRecordResult::InputEmpty => return false,
            csv_core::ReadRecordResult::OutputFull | csv_core::ReadRecordResult::OutputEndsFull => {}
            csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => return true,
        }
    }
}

fn split_fields(out: &[u8], ends: &[usize]) -> Vec<Vec<u8>> {
    let mut start = 0;
    ends.iter()
        .map(|&end| {
            let f = out[start..end].to_vec();
            start = end;
            f
        })
        .collect()
}

impl<'r> CsvLines<'r> {
    fn new(r: &'r mut dyn BufRead) -> Self {
        CsvLines {
            r,
            buf: Vec::with_capacity(1 << 16),
            line: 0,
            back: None,
            core: csv_core_reader(),
            probe: csv_core_reader(),
            out: Vec::new(),
            ends: Vec::new(),
        }
    }

    fn physical(&mut self) -> io::Result<Physical> {
        if let Some((n, bytes)) = self.back.take() {
            return Ok(Physical::Line(n, bytes));
        }
        match read_capped_line(&mut *self.r, &mut self.buf, MAX_LINE_BYTES)? {
            Line::Eof => Ok(Physical::Eof),
            Line::TooLong(n) => {
                self.line += 1;
                Ok(Physical::TooLong(self.line, n))
            }
            Line::Ok => {
                self.line += 1;
                Ok(Physical::Line(self.line, terminated(std::mem::take(&mut self.buf))))
            }
        }
    }

    /// The fields of `line` read on its own; when it opens a quote of its own, the fields
    /// before it and the quoted field's text on this line (so that a row with its own stray
    /// quote still counts as a row).
    fn alone(&mut self, line: &[u8]) -> Vec<Vec<u8>> {
        self.probe.reset();
        let (mut out, mut ends) = (Vec::new(), Vec::new());
        let (mut outlen, mut endlen) = (0, 0);
        let whole = feed(&mut self.probe, line, &mut out, &mut ends, &mut outlen, &mut endlen);
        let mut fields = split_fields(&out[..outlen], &ends[..endlen]);
        if !whole {
            let start = endlen.checked_sub(1).map_or(0, |i| ends[i]);
            fields.push(out[start..outlen].to_vec());
        }
        fields
    }

    /// The next record. `is_record` says whether a line's fields, read alone, make a record
    /// (enough columns, a known role …): such a line ends a quote left open before it.
    fn next(&mut self, is_record: &mut dyn FnMut(&[Vec<u8>]) -> bool) -> io::Result<CsvItem> {
        let (line, bytes) = match self.physical()? {
            Physical::Eof => return Ok(CsvItem::Eof),
            Physical::TooLong(line, bytes) => return Ok(CsvItem::TooLong { line, bytes }),
            Physical::Line(n, b) => (n, b),
        };
        self.core.reset();
        let (mut outlen, mut endlen) = (0, 0);
        if feed(&mut self.core, &bytes, &mut self.out, &mut self.ends, &mut outlen, &mut endlen) {
            return Ok(CsvItem::Record { line, fields: split_fields(&self.out[..outlen], &self.ends[..endlen]) });
        }
        // A quote is open at the end of the line: the field goes on, or the quote is stray.
        let column = endlen + 1;
        let mut last = line;
        let mut held = bytes.len();
        loop {
            let (n, bytes) = match self.physical()? {
                Physical::Eof => return Ok(CsvItem::Unclosed { line, column, last, to_end: true }),
                Physical::TooLong(n, bytes) => {
                    last = n;
                    held += bytes;
                    continue;
                }
                Physical::Line(n, b) => (n, b),
            };
            if is_record(&self.alone(&bytes)) {
                self.back = Some((n, bytes));
                return Ok(CsvItem::Unclosed { line, column, last, to_end: false });
            }
            last = n;
            held += bytes.len();
            if feed(&mut self.core, &bytes, &mut self.out, &mut self.ends, &mut outlen, &mut endlen) {
                return Ok(CsvItem::Record { line, fields: split_fields(&self.out[..outlen], &self.ends[..endlen]) });
            }
            if last - line >= MAX_QUOTED_LINES || held > MAX_LINE_BYTES {
                return Ok(CsvItem::Unclosed { line, column, last, to_end: false });
            }
        }
    }
}

fn read_csv(
    input: usize,
    r: Box<dyn BufRead + Send>,
    agent_column: Option<&str>,
    decoder: &mut Decoder,
    stats: &mut FileStats,
    emit: &mut dyn FnMut(Record),
) -> io::Result<()> {
    let mut r = r;
    // A BOM before the first field would become part of it.
    if r.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        stats.encoding.bom = true;
        r.consume(3);
    }
    let mut reader = CsvLines::new(&mut *r);
    let mut columns: Option<Columns> = None;
    let mut current: Option<Gathering> = None;
    // Dialogues already finished, by a hash of their id, to report rows that come back later.
    let mut finished: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let mut first = true;
    loop {
        let item = {
            let cols = columns.unwrap_or(Columns::POSITIONAL);
            let mut scratch = EncodingSeen::default();
            let mut is_record = |fields: &[Vec<u8>]| {
                fields.len() >= cols.min_fields()
                    && !fields[cols.id].trim_ascii().is_empty()
                    && decoder.decode(&fields[cols.role], &mut scratch).and_then(|r| Role::parse(&r)).is_some()
            };
            let item = reader.next(&mut is_record);
            if scratch.legacy.is_some() && stats.encoding.legacy.is_none() {
                stats.encoding.legacy = scratch.legacy;
            }
            item
        };
        let item = match item {
            Ok(item) => item,
            Err(e) => {
                stats.lines = reader.line;
                flush(input, &mut current, &mut finished, stats, emit);
                return Err(e);
            }
        };
        stats.lines = reader.line;
        let (line, record) = match item {
            CsvItem::Eof => break,
            CsvItem::Record { line, fields } => (line, fields),
            CsvItem::TooLong { line, bytes } => {
                stats.bad_lines += 1;
                emit(Record::Bad(BadLine {
                    input,
                    line,
                    reason: format!("这一行有 {bytes} 字节，超过上限 {} MiB，已跳过", MAX_LINE_BYTES >> 20),
                    hint: "检查导出是否缺少换行；每行应是一个轮次".into(),
                }));
                continue;
            }
            CsvItem::Unclosed { line, column, last, to_end } => {
                stats.bad_lines += 1;
                let name = columns
                    .unwrap_or(Columns::POSITIONAL)
                    .name_of(column - 1)
                    .map(|n| format!("（{n}）"))
                    .unwrap_or_default();
                let skipped = last - line + 1;
                let lines = if skipped == 1 { format!("第 {line} 行") } else { format!("第 {line}–{last} 行") };
                let rest = if to_end {
                    "到文件末尾都没有配对的引号".to_string()
                } else {
                    format!("到第 {last} 行末尾仍没有配对的引号")
                };
                emit(Record::Bad(BadLine {
                    input,
                    line,
                    reason: format!(
                        "CSV 格式错误：第 {line} 行第 {column} 列{name}的引号没有闭合（{rest}），跳过了 {skipped} 行（{lines}），从下一行接着读"
                    ),
                    hint: "字段里的引号要写成两个（\"\"），或去掉多余的引号；整个字段用引号括起时首尾各一个".into(),
                }));
                continue;
            }
        };
        let mut fields = Vec::with_capacity(record.len());
        let mut undecodable_field = false;
        for f in &record {
            match decoder.decode(f, &mut stats.encoding) {
                Some(s) => fields.push(s),
                None => {
                    undecodable_field = true;
                    break;
                }
            }
        }
        let bad = |reason: String, hint: &str| Record::Bad(BadLine { input, line, reason, hint: hint.to_string() });
        if undecodable_field {
            stats.bad_lines += 1;
            let (reason, hint) = undecodable(decoder);
            emit(bad(reason, &hint));
            continue;
        }
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if first {
            first = false;
            let header = Columns::from_header(&fields);
            if let Some(name) = agent_column {
                let wanted = name.trim().to_lowercase();
                let at = fields.iter().position(|f| f.trim().trim_start_matches('\u{feff}').to_lowercase() == wanted);
                match (header, at) {
                    (Some(mut c), Some(at)) => {
                        c.agent = Some(at);
                        columns = Some(c);
                        continue;
                    }
                    (header, _) => {
                        // Without the agent column no row can be attributed: the file is one
                        // bad line (the header's), not thousands.
                        stats.bad_lines += 1;
                        let have: Vec<String> = fields.iter().map(|f| shown(f.trim())).collect();
                        let reason = if header.is_some() {
                            format!("表头里没有坐席列“{name}”（有：{}），整个文件已跳过", have.join("、"))
                        } else {
                            format!("文件没有表头，找不到坐席列“{name}”，整个文件已跳过")
                        };
                        emit(bad(reason, "检查 --agent-field 的列名（与表头一致，不分大小写），或加上表头行"));
                        return Ok(());
                    }
                }
            }
            if let Some(c) = header {
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
            emit(bad(
                format!("角色{}无法识别", shown(fields[cols.role].trim())),
                "角色应为 customer/客户 或 agent/客服",
            ));
            continue;
        };
        let turn_no = match cols.turn.map(|i| fields[i].trim()) {
            None | Some("") => None,
            Some(t) => match t.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    stats.bad_lines += 1;
                    emit(bad(format!("轮次{}不是数字", shown(t)), "轮次列写 1、2、3 …"));
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
                    format!("对话{}的行不连续：这段对话在前面已经结束过", shown(&id)),
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
        let agent = cols.agent.and_then(|i| fields.get(i)).map(|a| a.trim()).filter(|a| !a.is_empty());
        let agent = agent.map(|a| Cow::Owned(a.to_string()));
        g.rows.push((turn_no, line, RawTurn { role, text: Cow::Owned(text), nugget, agent }));
    }
    flush(input, &mut current, &mut finished, stats, emit);
    stats.lines = reader.line;
    Ok(())
}

pub(crate) fn hash_id(id: &str) -> u64 {
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
        let mut decoder = Decoder::new(TextEncoding::Auto);
        assert_eq!(decoder.decode(&bytes, &mut seen).as_deref(), Some("您好，我要投诉"));
        assert_eq!(seen.gb18030_lines, 1);
        assert_eq!(seen.legacy.map(|l| l.encoding), Some("GB18030"));
        assert_eq!(decoder.decode(&[0xff, 0xff, 0xff], &mut seen), None);
    }

    #[test]
    fn big5_is_told_from_gb18030() {
        // Traditional characters are escaped: the bundled font (which covers src/) has none.
        let traditional = "您好，我的\u{8a02}\u{55ae}\u{9084}\u{6c92}到，\u{8acb}\u{5e6b}我查一下。你\u{5011}的服\u{52d9}太差了，我要投\u{8a34}！";
        let simplified = "您好，我的订单还没到，请帮我查一下。你们的服务太差了，我要投诉！";
        let (big5, _, _) = encoding_rs::BIG5.encode(traditional);
        let (gb, _, _) = encoding_rs::GB18030.encode(simplified);
        // Big5 bytes decode as GB18030 without an error: only the detector can tell.
        assert!(!encoding_rs::GB18030.decode_without_bom_handling(&big5).1);
        assert_eq!(choose_legacy(&big5), LegacyChoice { encoding: "Big5", basis: LegacyBasis::Detected });
        assert_eq!(choose_legacy(&gb).encoding, "GB18030");
        let mut seen = EncodingSeen::default();
        let mut decoder = Decoder::new(TextEncoding::Auto);
        assert_eq!(decoder.decode(&big5, &mut seen).as_deref(), Some(traditional));
        assert_eq!((seen.big5_lines, seen.gb18030_lines), (1, 0));
        assert_eq!(seen.describe(), "Big5（繁体，已转换）");
        assert_eq!(seen.note(), None, "enough text to be sure");
        // Two characters are too few to be sure: the guess is said, with how to force the other.
        let (short, _, _) = encoding_rs::BIG5.encode("\u{8acb}\u{554f}");
        let mut seen = EncodingSeen::default();
        Decoder::new(TextEncoding::Auto).decode(&short, &mut seen).unwrap();
        assert_eq!(seen.legacy.map(|l| l.basis), Some(LegacyBasis::Guessed));
        assert!(seen.describe().contains("猜"), "{}", seen.describe());
        let note = seen.note().unwrap();
        assert!(note.contains("--encoding"), "{note}");
        // Forced: Big5 bytes read as GB18030 when the user says so; UTF-8 only refuses them.
        let mut seen = EncodingSeen::default();
        let text = Decoder::new(TextEncoding::Gb18030).decode(&big5, &mut seen).unwrap();
        assert_ne!(text, traditional);
        assert_eq!(seen.legacy, Some(LegacyChoice { encoding: "GB18030", basis: LegacyBasis::Forced }));
        assert!(seen.describe().contains("--encoding"));
        assert_eq!(Decoder::new(TextEncoding::Utf8).decode(&big5, &mut EncodingSeen::default()), None);
        assert_eq!(TextEncoding::parse("GBK"), Some(TextEncoding::Gb18030));
        assert_eq!(TextEncoding::parse("big5"), Some(TextEncoding::Big5));
        assert_eq!(TextEncoding::parse("latin1"), None);
    }

    fn csv_records(csv: &[u8]) -> (Vec<Record>, FileStats) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, csv).unwrap();
        let info = probe(&path).unwrap();
        let mut recs = Vec::new();
        let stats = read_file(0, &info, None, &mut |r| recs.push(r));
        (recs, stats)
    }

    /// (dialogue id, turns) and (line, reason) of bad lines.
    type Read = (Vec<(String, usize)>, Vec<(u64, String)>);

    fn ids_and_bad(recs: &[Record]) -> Read {
        let ids = recs
            .iter()
            .filter_map(|r| match r {
                Record::Dialogue { dialogue, .. } => Some((dialogue.id.clone(), dialogue.turns.len())),
                _ => None,
            })
            .collect();
        let bad = recs
            .iter()
            .filter_map(|r| match r {
                Record::Bad(b) => Some((b.line, b.reason.clone())),
                _ => None,
            })
            .collect();
        (ids, bad)
    }

    #[test]
    fn a_stray_quote_costs_its_own_line_not_the_rest_of_the_file() {
        // A quote opening the text of line 4, never closed.
        let csv = "dialogue_id,turn,role,text\nd1,1,customer,我要退款\nd1,2,agent,好的\"马上\nd2,1,customer,\"我的快递\nd2,2,agent,帮您查\nd3,1,customer,你好\nd3,2,agent,您好\n";
        let (recs, stats) = csv_records(csv.as_bytes());
        let (ids, bad) = ids_and_bad(&recs);
        assert_eq!(ids, vec![("d1".into(), 2), ("d2".into(), 1), ("d3".into(), 2)]);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert_eq!(bad[0].0, 4);
        assert!(
            bad[0].1.contains("第 4 行第 4 列（内容）的引号没有闭合") && bad[0].1.contains("跳过了 1 行"),
            "{}",
            bad[0].1
        );
        assert_eq!((stats.lines, stats.bad_lines), (7, 1));

        // A quote opening the id column: reported as a quote, not as a short row.
        let csv = "dialogue_id,turn,role,text\nd1,1,customer,我要退款\n\"d2,1,customer,我的快递\nd2,2,agent,帮您查\nd3,1,customer,你好\n";
        let (recs, _) = csv_records(csv.as_bytes());
        let (ids, bad) = ids_and_bad(&recs);
        assert_eq!(ids, vec![("d1".into(), 1), ("d2".into(), 1), ("d3".into(), 1)]);
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].1.contains("第 3 行第 1 列（对话 id）的引号没有闭合"), "{}", bad[0].1);

        // The quote runs to the end of the file through lines that are not records.
        let csv = "dialogue_id,turn,role,text\nd1,1,customer,我要退款\nd1,2,agent,\"好的\n马上\n处理\n";
        let (recs, _) = csv_records(csv.as_bytes());
        let (ids, bad) = ids_and_bad(&recs);
        assert_eq!(ids, vec![("d1".into(), 1)]);
        assert!(bad[0].1.contains("到文件末尾") && bad[0].1.contains("跳过了 3 行（第 3–5 行）"), "{}", bad[0].1);
    }

    #[test]
    fn rows_each_with_a_stray_quote_are_each_reported() {
        let mut csv = String::from("dialogue_id,turn,role,text\n");
        for i in 1..=5 {
            csv.push_str(&format!("d{i},1,customer,\"没闭合{i}\n"));
        }
        csv.push_str("d9,1,customer,好\n");
        let (recs, _) = csv_records(csv.as_bytes());
        let (ids, bad) = ids_and_bad(&recs);
        assert_eq!(ids, vec![("d9".into(), 1)]);
        assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![2, 3, 4, 5, 6], "{bad:?}");
    }

    #[test]
    fn quoted_fields_may_still_span_lines() {
        let csv = "dialogue_id,turn,role,text,timestamp\r\nd1,1,customer,\"第一行\r\n第二行，他说\"\"好\"\"\",2026-01-01\r\nd1,2,agent,\"好,的\"\r\n";
        let (recs, stats) = csv_records(csv.as_bytes());
        let (ids, bad) = ids_and_bad(&recs);
        assert_eq!(ids, vec![("d1".into(), 2)]);
        assert!(bad.is_empty(), "{bad:?}");
        let Record::Dialogue { dialogue, line, .. } = &recs[0] else { panic!() };
        assert_eq!(*line, 2);
        assert_eq!(dialogue.turns[0].text, "第一行\n第二行，他说\"好\"");
        assert_eq!(dialogue.turns[1].text, "好,的");
        assert_eq!(stats.lines, 4);
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
    fn messages_do_not_quote_personal_data() {
        let e = parse_json_line(r#"{"id": 1, "turns": "客户王建国 手机13812345678 身份证370102"}"#).unwrap_err();
        assert!(e.0.contains("不是有效的 JSON") && e.0.contains("“…”"), "{e:?}");
        assert!(!e.0.contains("王建国") && !e.0.contains("1381234"), "{e:?}");
        let e =
            parse_json_line(r#"{"id": 1, "turns": [{"role": "张三 13812345678 济南市", "text": "x"}]}"#).unwrap_err();
        assert!(!e.0.contains("张三") && !e.0.contains("1381234") && e.0.contains("18 个字符"), "{e:?}");
        assert!(parse_json_line(r#"{"id": "1"}"#).unwrap_err().0.contains("`turns`"));
        assert_eq!(shown("bot"), "“bot”");
        assert_eq!(shown("客服人员"), "“客服人员”");
        assert_eq!(shown("张三"), "（2 个字符，内容不显示）");
        assert_eq!(shown("13812345678"), "（11 个字符，内容不显示）");
        assert_eq!(
            without_quoted_input("unknown variant `张三`, expected `customer`"),
            "unknown variant “…”, expected `customer`"
        );
        assert_eq!(without_quoted_input("string \"abc"), "string “…”");
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
