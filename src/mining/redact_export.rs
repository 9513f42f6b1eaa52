//! `peilian redact`: an export written back in its own format (JSON Lines or CSV, the same
//! fields in the same order) with the redaction mining applies, so that a centre can share
//! transcripts with a vendor or a trainer, and redaction can be checked on every line.
//!
//! Turn texts are redacted turn by turn (`DialogueRedaction`: a bare number right after the
//! agent asked for one goes too); every other text field is redacted as well, and a field whose
//! name says it holds a person's data (姓名, phone, 地址 …) is replaced whole. A dialogue id that
//! holds personal data (a phone number used as the key) becomes its FNV-1a hash, stable across
//! runs and machines, so the centre can still match it to its own records. A line
//! that cannot be parsed is still written, as text with the same redaction: nothing is lost,
//! nothing leaks.

use std::fmt;
use std::io::{self, BufRead, Read, Write};

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::mining::input::{Columns, Decoder, EncodingSeen, Format, InputInfo, MAX_LINE_BYTES, Role, open_stream};
use crate::mining::redact::{PiiKind, RedactionCounts, Redactor};

/// What rewriting one export did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportSummary {
    /// Lines (JSON Lines) or records (CSV) written, header included.
    pub records: u64,
    pub dialogues: u64,
    /// Lines that were not a dialogue (not JSON, not an object): written as redacted text.
    pub unparsed: u64,
    /// Lines neither UTF-8 nor the file's legacy encoding: decoded with replacement characters.
    pub undecodable: u64,
    /// Lines over `MAX_LINE_BYTES`: left out, as mining skips them.
    pub too_long: u64,
    /// Whole fields replaced because their name says they hold personal data.
    pub sensitive_fields: u64,
    /// Dialogue ids replaced by their hash.
    pub hashed_ids: u64,
    pub redactions: RedactionCounts,
    pub encoding: EncodingSeen,
}

/// Field names whose values are a person's data whatever they look like (lower case; a name
/// matches when it contains one of them).
const SENSITIVE_FIELDS: [&str; 22] = [
    "name",
    "姓名",
    "名字",
    "phone",
    "mobile",
    "tel",
    "电话",
    "手机",
    "address",
    "地址",
    "住址",
    "email",
    "mail",
    "邮箱",
    "id_card",
    "idcard",
    "身份证",
    "证件",
    "card_no",
    "卡号",
    "plate",
    "车牌",
];

/// Field names kept as they are: structure, times, labels and the agent's id (an agent's
/// employee id is how `peilian qa` attributes turns).
const KEPT_FIELDS: [&str; 19] = [
    "role",
    "speaker",
    "turn",
    "turn_no",
    "seq",
    "index",
    "timestamp",
    "time",
    "datetime",
    "nugget",
    "labels",
    "satisfaction",
    "accomplishment",
    "effectiveness",
    "agent_id",
    "工号",
    "坐席工号",
    "轮次",
    "时间",
];

fn is_sensitive(field: &str) -> bool {
    let f = field.trim().to_lowercase();
    // "username"/"filename" would match "name": only a name that is, or ends in, a sensitive word.
    SENSITIVE_FIELDS.iter().any(|s| f == *s || f.ends_with(&format!("_{s}")) || (!s.is_ascii() && f.contains(s)))
}

fn is_kept(field: &str) -> bool {
    let f = field.trim().to_lowercase();
    KEPT_FIELDS.contains(&f.as_str())
}

/// Rewrites the export `info` to `out` with personal data removed.
pub fn redact_export(info: &InputInfo, redactor: &Redactor, out: &mut dyn Write) -> io::Result<ExportSummary> {
    let stream = open_stream(&info.path, info.gzip, None)?;
    let mut summary = ExportSummary::default();
    let mut decoder = Decoder::for_file(info);
    match info.format {
        Format::Jsonl => rewrite_jsonl(stream, &mut decoder, redactor, out, &mut summary)?,
        Format::Csv => {
            let decoded = DecodedLines {
                inner: stream,
                decoder,
                reading: ExportSummary::default(),
                pending: Vec::new(),
                at: 0,
                started: false,
            };
            rewrite_csv(decoded, redactor, out, &mut summary)?;
        }
    }
    Ok(summary)
}

/// A dialogue id as it may be written: itself, or a stable hash when it holds personal data.
fn safe_id(id: &str, redactor: &Redactor, summary: &mut ExportSummary) -> Option<String> {
    let hashed = redactor.safe_id(id)?;
    summary.hashed_ids += 1;
    Some(hashed)
}

/// Reads one line (with its `\n`) into `buf`, at most `MAX_LINE_BYTES`; a longer line is read
/// to its end and dropped. `Ok(None)` at the end of the stream.
fn next_line(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buf.clear();
    let mut too_long = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(if buf.is_empty() && !too_long { None } else { Some(too_long) });
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if !too_long && buf.len() + take <= MAX_LINE_BYTES {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            too_long = true;
            buf.clear();
        }
        r.consume(take);
        if done {
            return Ok(Some(too_long));
        }
    }
}

fn decode_line(bytes: &[u8], decoder: &mut Decoder, summary: &mut ExportSummary) -> String {
    match decoder.decode(bytes, &mut summary.encoding) {
        Some(s) => s,
        None => {
            summary.undecodable += 1;
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

fn rewrite_jsonl(
    mut stream: Box<dyn BufRead + Send>,
    decoder: &mut Decoder,
    redactor: &Redactor,
    out: &mut dyn Write,
    summary: &mut ExportSummary,
) -> io::Result<()> {
    let mut buf = Vec::new();
    let mut first = true;
    while let Some(too_long) = next_line(&mut *stream, &mut buf)? {
        if too_long {
            summary.too_long += 1;
            continue;
        }
        let raw: &[u8] = if first { buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&buf) } else { &buf };
        first = false;
        let line = decode_line(raw, decoder, summary);
        let (body, ending) = split_ending(&line);
        summary.records += 1;
        if body.trim().is_empty() {
            out.write_all(line.as_bytes())?;
            continue;
        }
        let written = match serde_json::from_str::<Node>(body) {
            Ok(Node::Object(fields)) => {
                summary.dialogues += 1;
                let node = redact_dialogue(fields, redactor, summary);
                serde_json::to_string(&node).map_err(io::Error::other)?
            }
            _ => {
                summary.unparsed += 1;
                let (text, counts) = redactor.redact(body);
                summary.redactions.merge(&counts);
                text
            }
        };
        out.write_all(written.as_bytes())?;
        out.write_all(ending.as_bytes())?;
    }
    Ok(())
}

/// The line without its line ending, and the ending.
fn split_ending(line: &str) -> (&str, &str) {
    let body = line.trim_end_matches(['\n', '\r']);
    (body, &line[body.len()..])
}

/// One dialogue object: `turns` turn by turn, the id kept or hashed, every other field redacted.
fn redact_dialogue(fields: Vec<(String, Node)>, redactor: &Redactor, summary: &mut ExportSummary) -> Node {
    let mut out = Vec::with_capacity(fields.len());
    for (key, value) in fields {
        let value = match (key.as_str(), value) {
            ("id", Node::String(id)) => Node::String(safe_id(&id, redactor, summary).unwrap_or(id)),
            ("id", Node::Number(n)) => match safe_id(&n.to_string(), redactor, summary) {
                Some(hashed) => Node::String(hashed),
                None => Node::Number(n),
            },
            ("turns", Node::Array(turns)) => {
                let mut dialogue = redactor.dialogue();
                Node::Array(
                    turns
                        .into_iter()
                        .map(|turn| match turn {
                            Node::Object(turn) => {
                                let role = turn.iter().find_map(|(k, v)| match (k.as_str(), v) {
                                    ("role", Node::String(r)) => Role::parse(r),
                                    _ => None,
                                });
                                Node::Object(
                                    turn.into_iter()
                                        .map(|(k, v)| {
                                            let v = match (k.as_str(), v, role) {
                                                ("text", Node::String(text), Some(role)) => {
                                                    let (text, counts) = dialogue.turn(role, &text);
                                                    summary.redactions.merge(&counts);
                                                    Node::String(text)
                                                }
                                                (_, v, _) => redact_node(&k, v, redactor, summary),
                                            };
                                            (k, v)
                                        })
                                        .collect(),
                                )
                            }
                            other => redact_node("turns", other, redactor, summary),
                        })
                        .collect(),
                )
            }
            (_, value) => redact_node(&key, value, redactor, summary),
        };
        out.push((key, value));
    }
    Node::Object(out)
}

/// Any other value: strings redacted, a sensitive field's value replaced, kept fields as they are.
fn redact_node(key: &str, node: Node, redactor: &Redactor, summary: &mut ExportSummary) -> Node {
    if is_kept(key) && !matches!(node, Node::Object(_) | Node::Array(_)) {
        // A role that is not one still goes through redaction ("张三 13812345678").
        if let Node::String(s) = &node
            && key == "role"
            && Role::parse(s).is_none()
        {
            return Node::String(unknown_role(s, redactor, summary));
        }
        return node;
    }
    match node {
        Node::String(s) => Node::String(redact_field(key, &s, redactor, summary)),
        Node::Number(_) if is_sensitive(key) => {
            summary.sensitive_fields += 1;
            Node::String(PiiKind::Number.placeholder().to_string())
        }
        Node::Array(items) => Node::Array(items.into_iter().map(|v| redact_node(key, v, redactor, summary)).collect()),
        Node::Object(fields) => Node::Object(
            fields
                .into_iter()
                .map(|(k, v)| {
                    let v = redact_node(&k, v, redactor, summary);
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

/// A role that is none the readers know ("bot" stays): when it holds personal data it is
/// taken for a person's details put in the wrong column and replaced whole.
fn unknown_role(value: &str, redactor: &Redactor, summary: &mut ExportSummary) -> String {
    let (_, counts) = redactor.redact(value);
    if counts.total() == 0 {
        return value.to_string();
    }
    summary.redactions.merge(&counts);
    summary.sensitive_fields += 1;
    "[已去除]".to_string()
}

/// A text field's value as written.
fn redact_field(key: &str, value: &str, redactor: &Redactor, summary: &mut ExportSummary) -> String {
    if is_sensitive(key) && !value.trim().is_empty() {
        summary.sensitive_fields += 1;
        return "[已去除]".to_string();
    }
    let (text, counts) = redactor.redact(value);
    summary.redactions.merge(&counts);
    text
}

/// The lines of a stream decoded to UTF-8 one at a time, as a reader for the CSV parser
/// (quoted fields may span lines; each line is decoded on its own, as mining reads them).
struct DecodedLines {
    inner: Box<dyn BufRead + Send>,
    decoder: Decoder,
    /// What reading met: the encodings, undecodable and too long lines.
    reading: ExportSummary,
    pending: Vec<u8>,
    at: usize,
    /// A line was read (a byte-order mark is taken off the first one only).
    started: bool,
}

impl Read for DecodedLines {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.pending.len() {
            let mut raw = Vec::new();
            match next_line(&mut *self.inner, &mut raw)? {
                None => return Ok(0),
                Some(true) => self.reading.too_long += 1,
                Some(false) => {
                    let first = !std::mem::replace(&mut self.started, true);
                    let bytes: &[u8] = if first { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw) } else { &raw };
                    self.pending = decode_line(bytes, &mut self.decoder, &mut self.reading).into_bytes();
                    self.at = 0;
                }
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn rewrite_csv(
    mut decoded: DecodedLines,
    redactor: &Redactor,
    out: &mut dyn Write,
    summary: &mut ExportSummary,
) -> io::Result<()> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&mut decoded);
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(out);
    let mut columns: Option<Columns> = None;
    let mut names: Vec<String> = Vec::new();
    let mut first = true;
    // The dialogue being written and its redaction state.
    let mut current: Option<String> = None;
    let mut dialogue = redactor.dialogue();
    let mut record = csv::StringRecord::new();
    loop {
        // The text is valid UTF-8 (decoded line by line) and records may have any length, so
        // only reading can fail: the caller then keeps nothing half-written.
        if !reader.read_record(&mut record).map_err(io::Error::other)? {
            break;
        }
        summary.records += 1;
        let fields: Vec<String> = record.iter().map(str::to_string).collect();
        if first {
            first = false;
            if let Some(c) = Columns::from_header(&fields) {
                names = fields.clone();
                columns = Some(c);
                writer.write_record(&fields).map_err(io::Error::other)?;
                continue;
            }
        }
        let cols = columns.unwrap_or(Columns::POSITIONAL);
        let id = fields.get(cols.id).map(|s| s.trim().to_string()).unwrap_or_default();
        if current.as_deref() != Some(id.as_str()) {
            summary.dialogues += 1;
            current = Some(id.clone());
            dialogue = redactor.dialogue();
        }
        let role = fields.get(cols.role).and_then(|r| Role::parse(r));
        let mut written = Vec::with_capacity(fields.len());
        for (i, value) in fields.iter().enumerate() {
            let name = names.get(i).map(String::as_str).unwrap_or("");
            let v = if i == cols.id {
                safe_id(value.trim(), redactor, summary).unwrap_or_else(|| value.clone())
            } else if i == cols.text {
                match role {
                    Some(role) => {
                        let (text, counts) = dialogue.turn(role, value);
                        summary.redactions.merge(&counts);
                        text
                    }
                    None => redact_field(name, value, redactor, summary),
                }
            } else if i == cols.role {
                if role.is_some() { value.clone() } else { unknown_role(value, redactor, summary) }
            } else if Some(i) == cols.turn || Some(i) == cols.timestamp || is_kept(name) {
                value.clone()
            } else {
                redact_field(name, value, redactor, summary)
            };
            written.push(v);
        }
        writer.write_record(&written).map_err(io::Error::other)?;
    }
    writer.flush()?;
    drop(reader);
    summary.encoding = decoded.reading.encoding;
    summary.undecodable += decoded.reading.undecodable;
    summary.too_long += decoded.reading.too_long;
    Ok(())
}

/// A JSON value that keeps its object fields in the order written (serde_json's own `Value`
/// sorts them), so the export comes back in its own shape.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Node, E> {
                serde_json::Number::from_f64(v).map(Node::Number).ok_or_else(|| E::custom("not a finite number"))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::String(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut fields = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Node>()? {
                    fields.push((k, v));
                }
                Ok(Node::Object(fields))
            }
        }
        deserializer.deserialize_any(NodeVisitor)
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(n) => n.serialize(serializer),
            Node::String(s) => serializer.serialize_str(s),
            Node::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mining::input::probe;
    use std::sync::OnceLock;

    fn redactor() -> &'static Redactor {
        static R: OnceLock<Redactor> = OnceLock::new();
        R.get_or_init(Redactor::new)
    }

    fn rewrite(name: &str, content: &[u8]) -> (String, ExportSummary) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let info = probe(&path).unwrap();
        let mut out = Vec::new();
        let summary = redact_export(&info, redactor(), &mut out).unwrap();
        (String::from_utf8(out).unwrap(), summary)
    }

    #[test]
    fn json_lines_keep_their_shape_and_lose_personal_data() {
        let input = concat!(
            r#"{"id":"d1","channel":"weibo","turns":[{"role":"agent","text":"您好，请提供订单号"},{"role":"customer","text":"TH8823","nugget":"CNUG0"},{"role":"customer","text":"我的手机13812345678"}],"customer_name":"王建国","labels":{"satisfaction":1}}"#,
            "\n",
            r#"{"id":"13912345678","turns":[]}"#,
            "\r\n",
            "not json 13812345678\n",
            "\n",
        );
        let (out, summary) = rewrite("a.jsonl", input.as_bytes());
        let lines: Vec<&str> = out.split('\n').collect();
        assert_eq!(
            lines[0],
            r#"{"id":"d1","channel":"weibo","turns":[{"role":"agent","text":"您好，请提供订单号"},{"role":"customer","text":"[订单号]","nugget":"CNUG0"},{"role":"customer","text":"我的手机[手机号]"}],"customer_name":"[已去除]","labels":{"satisfaction":1}}"#
        );
        assert!(lines[1].starts_with(r#"{"id":"id-"#) && lines[1].ends_with("\r"), "{:?}", lines[1]);
        assert_eq!(lines[2], "not json [手机号]");
        assert_eq!(lines[3], "");
        assert_eq!((summary.dialogues, summary.unparsed, summary.hashed_ids, summary.sensitive_fields), (2, 1, 1, 1));
        assert_eq!(summary.redactions.get(PiiKind::Mobile), 2);
        assert_eq!(summary.redactions.get(PiiKind::Order), 1);
    }

    #[test]
    fn csv_keeps_its_columns_and_quoting() {
        let input = "dialogue_id,turn,role,text,phone\nd1,1,客服,\"请问您的手机号是多少？\",\nd1,2,客户,\"13812345678\n另外地址济南市历下区泉城路188号\",13812345678\nd1,3,客户,好的 A77881,\nd2,1,张三 13812345678,hi,\n";
        let (out, summary) = rewrite("a.csv", input.as_bytes());
        assert_eq!(
            out,
            "dialogue_id,turn,role,text,phone\nd1,1,客服,请问您的手机号是多少？,\nd1,2,客户,\"[手机号]\n另外地址[地址]\",[已去除]\nd1,3,客户,好的 A77881,\nd2,1,[已去除],hi,\n"
        );
        assert_eq!(summary.dialogues, 2);
        assert_eq!(summary.records, 5);
    }

    #[test]
    fn gbk_csv_is_read_and_written_as_utf8() {
        let (bytes, _, _) = encoding_rs::GBK.encode("d1,1,客户,我的手机13812345678，王先生\n");
        let (out, summary) = rewrite("g.csv", &bytes);
        assert_eq!(out, "d1,1,客户,我的手机[手机号]，[姓名]先生\n");
        assert_eq!(summary.encoding.gb18030_lines, 1);
    }

    #[test]
    fn field_names() {
        assert!(
            is_sensitive("customer_name") && is_sensitive("姓名") && is_sensitive("Phone") && is_sensitive("收货地址")
        );
        assert!(!is_sensitive("username") && !is_sensitive("channel") && !is_sensitive("text"));
        assert!(is_kept("timestamp") && is_kept("agent_id") && !is_kept("text"));
    }
}
