//! A temporary file holding every analysed dialogue (redacted text, tone numbers, word ids)
//! between the passes, so memory stays bounded however large the corpus is. It is deleted
//! when dropped.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::mining::analyze::{DialogueFacts, Persona, TurnFacts};
use crate::mining::input::{Labels, Role};
use crate::mining::redact::RedactionCounts;

/// Word ids with their counts in a dialogue.
pub type WordIds = Vec<(u32, u32)>;

/// One dialogue as stored: the facts and its word ids with counts per role.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub facts: DialogueFacts,
    /// The dialogue can serve as a representative (`family::usable_as_script`), worked out
    /// when it was written, so that it is known without the texts.
    pub usable: bool,
    pub customer_terms: Vec<(u32, u32)>,
    pub agent_terms: Vec<(u32, u32)>,
}

/// The spill file: written once in pass 1, read in order by the later passes.
pub struct Spill {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
    pub records: u64,
    pub bytes: u64,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Spill {
    /// Creates a spill file in `dir` (the system's temporary directory by default).
    pub fn create(dir: &Path) -> io::Result<Spill> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("peilian-mine-{}-{n}.spill", std::process::id()));
        let file = File::create(&path)?;
        Ok(Spill { path, writer: Some(BufWriter::with_capacity(1 << 20, file)), records: 0, bytes: 0 })
    }

    pub fn push(&mut self, s: &Stored) -> io::Result<()> {
        self.push_encoded(&encode_facts(&s.facts), &s.customer_terms, &s.agent_terms)
    }

    /// Appends a record whose facts were already encoded (by a worker, with `encode_facts`).
    pub fn push_encoded(&mut self, facts: &[u8], customer: &[(u32, u32)], agent: &[(u32, u32)]) -> io::Result<()> {
        let mut terms = Vec::with_capacity(8 * (customer.len() + agent.len()) + 4);
        put_terms(&mut terms, customer);
        put_terms(&mut terms, agent);
        let w = self.writer.as_mut().ok_or_else(|| io::Error::other("spill already closed"))?;
        // A record: its length, the length of its facts (so the word ids can be read alone),
        // the facts, the word ids.
        let len = 4 + facts.len() + terms.len();
        w.write_all(&(len as u32).to_le_bytes())?;
        w.write_all(&(facts.len() as u32).to_le_bytes())?;
        w.write_all(facts)?;
        w.write_all(&terms)?;
        self.records += 1;
        self.bytes += len as u64 + 4;
        Ok(())
    }

    /// Ends writing; the file can then be read any number of times.
    pub fn finish(&mut self) -> io::Result<()> {
        if let Some(mut w) = self.writer.take() {
            w.flush()?;
        }
        Ok(())
    }

    pub fn reader(&self) -> io::Result<SpillReader> {
        Ok(SpillReader {
            inner: BufReader::with_capacity(1 << 20, File::open(&self.path)?),
            buf: Vec::new(),
            expected: self.records,
            read: 0,
        })
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        self.writer = None;
        let _ = std::fs::remove_file(&self.path);
    }
}

pub struct SpillReader {
    inner: BufReader<File>,
    buf: Vec<u8>,
    /// Records written, and read so far: a file that ends early is an error, not the end.
    expected: u64,
    read: u64,
}

impl SpillReader {
    /// The next record undecoded, to decode on another thread or only in part.
    pub fn next_raw(&mut self) -> Option<io::Result<RawRecord>> {
        let mut buf = std::mem::take(&mut self.buf);
        let read = self.read_into(&mut buf)?;
        Some(read.map(|()| RawRecord(buf)))
    }

    /// Up to `n` records undecoded (fewer at the end of the file, none after it).
    pub fn next_batch(&mut self, n: usize) -> io::Result<Vec<RawRecord>> {
        let mut batch = Vec::with_capacity(n);
        while batch.len() < n {
            match self.next_raw() {
                Some(r) => batch.push(r?),
                None => break,
            }
        }
        Ok(batch)
    }

    fn read_into(&mut self, buf: &mut Vec<u8>) -> Option<io::Result<()>> {
        let mut len = [0u8; 4];
        match self.inner.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && self.read == self.expected => return None,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                let error = io::Error::other(format!(
                    "spill file ends after {} of {} records (was the temporary directory cleaned or full?)",
                    self.read, self.expected
                ));
                self.expected = self.read; // said once; then the reading ends
                return Some(Err(error));
            }
            Err(e) => return Some(Err(e)),
        }
        buf.resize(u32::from_le_bytes(len) as usize, 0);
        self.read += 1;
        Some(self.inner.read_exact(buf))
    }
}

impl Iterator for SpillReader {
    type Item = io::Result<Stored>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut buf = std::mem::take(&mut self.buf);
        let item = match self.read_into(&mut buf)? {
            Ok(()) => RawRecord::decode_bytes(&buf, Texts::Read),
            Err(e) => Err(e),
        };
        self.buf = buf;
        Some(item)
    }
}

/// One record as read from the spill, not decoded yet.
pub struct RawRecord(Vec<u8>);

impl RawRecord {
    /// The whole record.
    pub fn decode(&self) -> io::Result<Stored> {
        RawRecord::decode_bytes(&self.0, Texts::Read)
    }

    /// The record without the turn texts (`TurnFacts::text` left empty): what the families
    /// count. `texts_into` adds them for the few dialogues kept as representatives.
    pub fn decode_without_texts(&self) -> io::Result<Stored> {
        RawRecord::decode_bytes(&self.0, Texts::Skip)
    }

    /// Puts the turn texts of this record into `facts` (decoded from it without them).
    pub fn texts_into(&self, facts: &mut DialogueFacts) -> io::Result<()> {
        let full = self.decode()?.facts;
        if full.turns.len() != facts.turns.len() || full.id != facts.id {
            return Err(damaged());
        }
        for (turn, read) in facts.turns.iter_mut().zip(full.turns) {
            turn.text = read.text;
        }
        Ok(())
    }

    /// Only the word ids, customer's and agent's (the facts are skipped, not decoded).
    pub fn terms(&self) -> io::Result<(WordIds, WordIds)> {
        let facts_len = RawRecord::facts_len(&self.0).ok_or_else(damaged)?;
        RawRecord::terms_at(&self.0, 4 + facts_len).ok_or_else(damaged)
    }

    /// The word ids from `at` to the end of the record, which they must fill exactly.
    fn terms_at(b: &[u8], at: usize) -> Option<(WordIds, WordIds)> {
        let mut d = Dec { b, at };
        let terms = (d.terms()?, d.terms()?);
        (d.at == b.len()).then_some(terms)
    }

    fn facts_len(b: &[u8]) -> Option<usize> {
        Some(u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize)
    }

    fn decode_bytes(b: &[u8], texts: Texts) -> io::Result<Stored> {
        let facts_end = RawRecord::facts_len(b).and_then(|n| n.checked_add(4)).ok_or_else(damaged)?;
        // The facts must fill exactly their length, and the word ids the rest.
        let mut d = Dec { b: b.get(..facts_end).ok_or_else(damaged)?, at: 4 };
        let (facts, usable) = decode_facts(&mut d, texts).filter(|_| d.at == facts_end).ok_or_else(damaged)?;
        let (customer_terms, agent_terms) = RawRecord::terms_at(b, facts_end).ok_or_else(damaged)?;
        Ok(Stored { facts, usable, customer_terms, agent_terms })
    }
}

fn damaged() -> io::Error {
    io::Error::other("spill record is damaged")
}

fn put_var(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    put_var(buf, s.len() as u64);
    buf.extend_from_slice(s.as_bytes());
}

fn put_f32(buf: &mut Vec<u8>, v: f32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put_opt_f32(buf: &mut Vec<u8>, v: Option<f32>) {
    match v {
        Some(x) => {
            buf.push(1);
            put_f32(buf, x);
        }
        None => buf.push(0),
    }
}

fn put_opt_u8(buf: &mut Vec<u8>, v: Option<u8>) {
    buf.push(v.map_or(0, |x| x.saturating_add(1).max(1)));
}

fn put_terms(buf: &mut Vec<u8>, terms: &[(u32, u32)]) {
    put_var(buf, terms.len() as u64);
    for &(id, n) in terms {
        put_var(buf, u64::from(id));
        put_var(buf, u64::from(n));
    }
}

/// The facts part of a record (everything but the word ids).
pub fn encode_facts(f: &DialogueFacts) -> Vec<u8> {
    let mut buf = Vec::with_capacity(64 + f.turns.iter().map(|t| t.text.len() + 32).sum::<usize>());
    encode_into(f, &mut buf);
    buf
}

fn encode_into(f: &DialogueFacts, buf: &mut Vec<u8>) {
    put_var(buf, u64::from(f.input));
    put_var(buf, f.line);
    put_str(buf, &f.id);
    put_opt_f32(buf, f.labels.satisfaction);
    put_opt_f32(buf, f.labels.accomplishment);
    put_opt_f32(buf, f.labels.effectiveness);
    buf.push(f.persona.as_u8());
    match &f.vip_word {
        Some(w) => {
            buf.push(1);
            put_str(buf, w);
        }
        None => buf.push(0),
    }
    put_opt_u8(buf, f.demand_at);
    put_opt_u8(buf, f.transfer_at);
    put_opt_u8(buf, f.channel_at);
    buf.push(u8::from(f.complaint));
    buf.push(u8::from(crate::mining::family::usable_as_script(f)));
    put_var(buf, u64::from(f.truncated_turns));
    put_var(buf, u64::from(f.empty_turns));
    put_var(buf, f.redactions.0.len() as u64);
    for (k, n) in &f.redactions.0 {
        put_var(buf, *k as u64);
        put_var(buf, *n);
    }
    put_var(buf, f.turns.len() as u64);
    for t in &f.turns {
        let flags = u8::from(t.role == Role::Agent)
            | u8::from(t.demand) << 1
            | u8::from(t.complaint) << 2
            | u8::from(t.curt) << 3
            | u8::from(t.shouting) << 4
            | u8::from(t.transfer) << 5
            | u8::from(t.channel) << 6
            | u8::from(t.said) << 7;
        buf.push(flags);
        put_str(buf, &t.text);
        for v in [t.anger, t.empathy, t.politeness, t.reassurance, t.hostility] {
            put_f32(buf, v);
        }
        put_var(buf, u64::from(t.groups));
        put_var(buf, t.hostile.len() as u64);
        for h in &t.hostile {
            put_str(buf, h);
        }
    }
}

struct Dec<'a> {
    b: &'a [u8],
    at: usize,
}

impl Dec<'_> {
    fn byte(&mut self) -> Option<u8> {
        let v = *self.b.get(self.at)?;
        self.at += 1;
        Some(v)
    }
    fn var(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }
    fn string(&mut self) -> Option<String> {
        let end = self.string_end()?;
        let s = std::str::from_utf8(&self.b[self.at..end]).ok()?.to_string();
        self.at = end;
        Some(s)
    }
    /// Steps over a string without reading it (nor checking it is UTF-8: a damaged text is
    /// found when the record is read whole, as it is for every dialogue kept).
    fn skip_string(&mut self) -> Option<()> {
        self.at = self.string_end()?;
        Some(())
    }
    /// Where the string starting here ends, if the record holds it.
    fn string_end(&mut self) -> Option<usize> {
        let n = usize::try_from(self.var()?).ok()?;
        let end = self.at.checked_add(n)?;
        (end <= self.b.len()).then_some(end)
    }
    fn f32(&mut self) -> Option<f32> {
        let bytes: [u8; 4] = self.b.get(self.at..self.at + 4)?.try_into().ok()?;
        self.at += 4;
        Some(f32::from_le_bytes(bytes))
    }
    fn opt_f32(&mut self) -> Option<Option<f32>> {
        Some(if self.byte()? == 1 { Some(self.f32()?) } else { None })
    }
    fn opt_u8(&mut self) -> Option<Option<u8>> {
        let b = self.byte()?;
        Some(if b == 0 { None } else { Some(b - 1) })
    }
    fn terms(&mut self) -> Option<Vec<(u32, u32)>> {
        let n = self.var()? as usize;
        let mut out = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            out.push((self.var()? as u32, self.var()? as u32));
        }
        Some(out)
    }
}

/// What of the turn texts `decode_facts` reads.
#[derive(Clone, Copy, PartialEq)]
enum Texts {
    /// Everything.
    Read,
    /// Not the turn texts (left empty; whether a turn said something is kept).
    Skip,
}

fn decode_facts(d: &mut Dec, texts: Texts) -> Option<(DialogueFacts, bool)> {
    use crate::mining::redact::PiiKind;
    let input = d.var()? as u32;
    let line = d.var()?;
    let id = d.string()?;
    let labels = Labels { satisfaction: d.opt_f32()?, accomplishment: d.opt_f32()?, effectiveness: d.opt_f32()? };
    let persona = Persona::from_u8(d.byte()?);
    let vip_word = if d.byte()? == 1 { Some(d.string()?) } else { None };
    let demand_at = d.opt_u8()?;
    let transfer_at = d.opt_u8()?;
    let channel_at = d.opt_u8()?;
    let complaint = d.byte()? == 1;
    let usable = d.byte()? == 1;
    let truncated_turns = d.var()? as u32;
    let empty_turns = d.var()? as u32;
    let mut redactions = RedactionCounts::default();
    for _ in 0..d.var()? {
        let kind = *PiiKind::ALL.get(d.var()? as usize)?;
        redactions.add(kind, d.var()?);
    }
    let n = d.var()? as usize;
    let mut turns = Vec::with_capacity(n.min(256));
    for _ in 0..n {
        let flags = d.byte()?;
        let text = match texts {
            Texts::Read => d.string()?,
            Texts::Skip => d.skip_string().map(|()| String::new())?,
        };
        let (anger, empathy, politeness, reassurance, hostility) = (d.f32()?, d.f32()?, d.f32()?, d.f32()?, d.f32()?);
        let groups = d.var()? as u32;
        let mut hostile = Vec::new();
        for _ in 0..d.var()? {
            hostile.push(d.string()?);
        }
        turns.push(TurnFacts {
            role: if flags & 1 != 0 { Role::Agent } else { Role::Customer },
            said: flags & 128 != 0,
            text,
            anger,
            empathy,
            politeness,
            reassurance,
            hostility,
            demand: flags & 2 != 0,
            complaint: flags & 4 != 0,
            curt: flags & 8 != 0,
            shouting: flags & 16 != 0,
            transfer: flags & 32 != 0,
            channel: flags & 64 != 0,
            groups,
            hostile,
        });
    }
    let facts = DialogueFacts {
        input,
        line,
        id,
        labels,
        turns,
        persona,
        vip_word,
        demand_at,
        transfer_at,
        channel_at,
        complaint,
        truncated_turns,
        empty_turns,
        redactions,
    };
    Some((facts, usable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mining::redact::PiiKind;

    #[test]
    fn round_trip() {
        let mut redactions = RedactionCounts::default();
        redactions.add(PiiKind::Mobile, 2);
        let stored = Stored {
            facts: DialogueFacts {
                input: 1,
                line: 4_000_000_000,
                id: "3830401296796826".into(),
                labels: Labels { satisfaction: Some(-0.526), accomplishment: None, effectiveness: Some(0.3) },
                turns: vec![TurnFacts {
                    role: Role::Agent,
                    text: "您好，非常抱歉".into(),
                    said: true,
                    anger: 0.0,
                    empathy: 0.7,
                    politeness: 0.35,
                    reassurance: 0.0,
                    hostility: 0.1,
                    demand: false,
                    complaint: true,
                    curt: false,
                    shouting: true,
                    transfer: true,
                    channel: false,
                    groups: 0b1011,
                    hostile: vec!["没办法".into()],
                }],
                persona: Persona::Vip,
                vip_word: Some("金卡".into()),
                demand_at: Some(0),
                transfer_at: Some(3),
                channel_at: None,
                complaint: true,
                truncated_turns: 1,
                empty_turns: 0,
                redactions,
            },
            usable: false,
            customer_terms: vec![(0, 1), (300, 2)],
            agent_terms: vec![(70_000, 1)],
        };
        // A dialogue that can serve as a representative, with a turn that said nothing.
        let mut usable = stored.clone();
        let first_turn = usable.facts.turns[0].clone();
        let turn = |role: Role, text: &str| TurnFacts {
            role,
            text: text.into(),
            said: !text.is_empty(),
            ..first_turn.clone()
        };
        usable.facts.turns = vec![
            turn(Role::Customer, "宽带断了三天没人修"),
            turn(Role::Agent, ""),
            turn(Role::Agent, "您好，已为您报修"),
        ];
        usable.usable = true;
        assert!(crate::mining::family::usable_as_script(&usable.facts));
        // Six characters of content in each of the first two turns said, punctuation aside.
        let script = |customer: &str, agent: &str| {
            let mut d = usable.facts.clone();
            d.turns = vec![turn(Role::Customer, customer), turn(Role::Agent, ""), turn(Role::Agent, agent)];
            crate::mining::family::usable_as_script(&d)
        };
        assert!(script("宽带断了三天", "好的！马上报修"));
        assert!(!script("宽带断了！！！", "好的！马上报修"), "five characters and punctuation");
        assert!(!script("宽带断了三天", "好的，报修"));
        assert!(script("wifi不能用", "ok，已处理的"));
        let dir = tempfile_dir();
        let mut spill = Spill::create(&dir).unwrap();
        spill.push(&usable).unwrap();
        spill.finish().unwrap();
        let back: Vec<Stored> = spill.reader().unwrap().map(Result::unwrap).collect();
        assert_eq!(back, vec![usable.clone()]);
        let mut reader = spill.reader().unwrap();
        let raw = reader.next_batch(5).unwrap();
        let lean = raw[0].decode_without_texts().unwrap();
        assert!(lean.usable);
        assert_eq!(lean.facts.turns.iter().map(|t| t.said).collect::<Vec<_>>(), [true, false, true]);
        drop(spill);
        let mut spill = Spill::create(&dir).unwrap();
        spill.push(&stored).unwrap();
        spill.push(&stored).unwrap();
        spill.finish().unwrap();
        let back: Vec<Stored> = spill.reader().unwrap().map(Result::unwrap).collect();
        assert_eq!(back, vec![stored.clone(), stored.clone()]);
        let mut reader = spill.reader().unwrap();
        let raw = reader.next_batch(5).unwrap();
        assert_eq!(raw.len(), 2);
        assert_eq!(raw[1].decode().unwrap(), stored);
        assert_eq!(raw[0].terms().unwrap(), (stored.customer_terms.clone(), stored.agent_terms.clone()));
        // Without the texts: the same but for them, and they can be added back.
        let mut lean = raw[1].decode_without_texts().unwrap();
        assert!(lean.facts.turns.iter().all(|t| t.text.is_empty() && t.said));
        assert_ne!(lean, stored);
        raw[1].texts_into(&mut lean.facts).unwrap();
        assert_eq!(lean, stored);
        assert!(reader.next_batch(5).unwrap().is_empty());
        // A cut record is damaged, not misread; so is one whose facts length is wrong.
        let cut = RawRecord(raw[0].0[..raw[0].0.len() - 1].to_vec());
        assert!(cut.decode().is_err() && cut.terms().is_err() && cut.decode_without_texts().is_err());
        let mut shifted = raw[0].0.clone();
        shifted[0] = shifted[0].wrapping_add(1);
        let shifted = RawRecord(shifted);
        assert!(shifted.decode().is_err() && shifted.terms().is_err());
        // A spill file that ends early is an error, not a shorter corpus.
        let bytes = std::fs::read(&spill.path).unwrap();
        std::fs::write(&spill.path, &bytes[..bytes.len() - raw[1].0.len() - 2]).unwrap();
        let read: Vec<io::Result<Stored>> = spill.reader().unwrap().collect();
        assert_eq!(read.len(), 2);
        assert!(read[0].is_ok());
        let err = read[1].as_ref().unwrap_err().to_string();
        assert!(err.contains("1 of 2"), "{err}");
    }

    fn tempfile_dir() -> PathBuf {
        std::env::temp_dir()
    }
}
