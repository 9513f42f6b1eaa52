//! A temporary file holding every analysed dialogue (redacted text, tone numbers, word ids)
//! between the passes, so memory stays bounded however large the corpus is. It is deleted
//! when dropped.
//!
//! A record is its length (4 bytes, little-endian) and three postcard values: the word ids,
//! the facts without the turn texts, the turn texts. Each part can be read without the ones
//! after it: the topic pass reads only the word ids, the family pass the facts, and the texts
//! are read only for the dialogues kept as representatives.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::mining::analyze::DialogueFacts;

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

/// The word ids part of a record.
#[derive(Serialize, Deserialize)]
struct Terms<T> {
    customer: T,
    agent: T,
}

/// The facts part of a record (`TurnFacts::text` is not serialised).
#[derive(Serialize, Deserialize)]
struct Facts<F> {
    facts: F,
    usable: bool,
}

/// A dialogue's facts and turn texts, encoded by the worker that analysed it; the word ids
/// are added when the record is written (`Spill::push_encoded`), once they are numbered.
pub struct EncodedFacts {
    facts: Vec<u8>,
    texts: Vec<u8>,
}

impl EncodedFacts {
    pub fn of(f: &DialogueFacts) -> EncodedFacts {
        let facts = Facts { facts: f, usable: crate::mining::family::usable_as_script(f) };
        let texts: Vec<&str> = f.turns.iter().map(|t| t.text.as_str()).collect();
        EncodedFacts {
            facts: postcard::to_stdvec(&facts).expect("facts serialise"),
            texts: postcard::to_stdvec(&texts).expect("texts serialise"),
        }
    }
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
        self.push_encoded(&EncodedFacts::of(&s.facts), &s.customer_terms, &s.agent_terms)
    }

    /// Appends a record whose facts were already encoded (by a worker).
    pub fn push_encoded(
        &mut self,
        facts: &EncodedFacts,
        customer: &[(u32, u32)],
        agent: &[(u32, u32)],
    ) -> io::Result<()> {
        let terms = postcard::to_stdvec(&Terms { customer, agent }).map_err(io::Error::other)?;
        let w = self.writer.as_mut().ok_or_else(|| io::Error::other("spill already closed"))?;
        let len = terms.len() + facts.facts.len() + facts.texts.len();
        let len32 = u32::try_from(len).map_err(|_| io::Error::other("spill record over 4 GiB"))?;
        w.write_all(&len32.to_le_bytes())?;
        w.write_all(&terms)?;
        w.write_all(&facts.facts)?;
        w.write_all(&facts.texts)?;
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
    /// Records written, and read so far: a file that ends early is an error, not the end.
    expected: u64,
    read: u64,
}

impl SpillReader {
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

    /// The next record undecoded, to decode on another thread or only in part.
    fn next_raw(&mut self) -> Option<io::Result<RawRecord>> {
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
        let mut buf = vec![0; u32::from_le_bytes(len) as usize];
        self.read += 1;
        Some(self.inner.read_exact(&mut buf).map(|()| RawRecord(buf)))
    }
}

impl Iterator for SpillReader {
    type Item = io::Result<Stored>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.next_raw()?.and_then(|r| r.decode()))
    }
}

/// One record as read from the spill, not decoded yet.
pub struct RawRecord(Vec<u8>);

impl RawRecord {
    /// The whole record.
    pub fn decode(&self) -> io::Result<Stored> {
        let (mut stored, rest) = self.lean()?;
        let texts: Vec<String> = whole(rest)?;
        put_texts(&mut stored.facts, texts)?;
        Ok(stored)
    }

    /// The record without the turn texts (`TurnFacts::text` left empty): what the families
    /// count. `texts_into` adds them for the few dialogues kept as representatives.
    pub fn decode_without_texts(&self) -> io::Result<Stored> {
        Ok(self.lean()?.0)
    }

    /// Puts the turn texts of this record into `facts` (decoded from it without them).
    pub fn texts_into(&self, facts: &mut DialogueFacts) -> io::Result<()> {
        let (stored, rest) = self.lean()?;
        if stored.facts.id != facts.id {
            return Err(damaged());
        }
        put_texts(facts, whole(rest)?)
    }

    /// Only the word ids, customer's and agent's (the facts are not decoded).
    pub fn terms(&self) -> io::Result<(WordIds, WordIds)> {
        let (terms, _): (Terms<WordIds>, _) = postcard::take_from_bytes(&self.0).map_err(|_| damaged())?;
        Ok((terms.customer, terms.agent))
    }

    /// The word ids and facts, and the bytes of the texts after them.
    fn lean(&self) -> io::Result<(Stored, &[u8])> {
        let (terms, rest): (Terms<WordIds>, _) = postcard::take_from_bytes(&self.0).map_err(|_| damaged())?;
        let (facts, rest): (Facts<DialogueFacts>, _) = postcard::take_from_bytes(rest).map_err(|_| damaged())?;
        let stored = Stored {
            facts: facts.facts,
            usable: facts.usable,
            customer_terms: terms.customer,
            agent_terms: terms.agent,
        };
        Ok((stored, rest))
    }
}

/// A value that fills `bytes` exactly.
fn whole<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> io::Result<T> {
    match postcard::take_from_bytes(bytes) {
        Ok((value, [])) => Ok(value),
        _ => Err(damaged()),
    }
}

fn put_texts(facts: &mut DialogueFacts, texts: Vec<String>) -> io::Result<()> {
    if texts.len() != facts.turns.len() {
        return Err(damaged());
    }
    for (turn, text) in facts.turns.iter_mut().zip(texts) {
        turn.text = text;
    }
    Ok(())
}

fn damaged() -> io::Error {
    io::Error::other("spill record is damaged")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mining::analyze::{Persona, TurnFacts};
    use crate::mining::input::{Labels, Role};
    use crate::mining::redact::{PiiKind, RedactionCounts};

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
        // A cut record is damaged, not misread; so is one with bytes left over.
        let cut = RawRecord(raw[0].0[..raw[0].0.len() - 1].to_vec());
        assert!(cut.decode().is_err() && cut.decode_without_texts().is_ok() && cut.terms().is_ok());
        let cut_in_facts = RawRecord(raw[0].0[..16].to_vec()); // the word ids take 11 bytes
        assert!(cut_in_facts.decode_without_texts().is_err() && cut_in_facts.terms().is_ok());
        let mut longer = raw[0].0.clone();
        longer.push(0);
        assert!(RawRecord(longer).decode().is_err());
        // Texts from another record are refused.
        let mut other = lean.clone();
        other.facts.id = "another".into();
        assert!(raw[1].texts_into(&mut other.facts).is_err());
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
