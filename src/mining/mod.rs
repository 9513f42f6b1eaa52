//! Mining draft scenarios from exports of historical transcripts, with personal data removed.
//!
//! `mine` streams the inputs once (redaction, tone analysis, word counts; in parallel, merged
//! in input order) into a temporary spill file, then reads the spill twice: to choose the
//! topics from corpus TF-IDF, and to group the dialogues into case families. It writes one
//! draft scenario per family, the simulator's calibration and, when asked, the report.
//! Memory stays bounded: the vocabulary, counters and a few representatives per family.
//! `docs/mining.md` is the user's guide.

pub(crate) mod address;
pub mod analyze;
pub mod calibrate;
pub mod draft;
pub mod family;
pub mod input;
pub(crate) mod literals;
pub(crate) mod pii_forms;
pub mod redact;
pub mod redact_export;
pub mod report;
pub mod spill;
pub mod vocab;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;

use jieba_rs::Jieba;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::customer::MoodModel;
use crate::diagnostic::{display_path, io_reason};
use crate::lexicon::LexiconSet;
use crate::scenario::Layout;
use crate::scenario::schema::Channel;
use crate::text::Analyzer;
use analyze::{Context, Detectors, DialogueFacts, Persona, Rating, Terms};
use calibrate::CalibrationAcc;
use family::{Assessed, CURVE_LEN, CountedWords, Family, FamilyKey, HostileUse, Topics, top_words};
use input::{BadLine, FileStats, InputInfo, Record};
use redact::{PiiKind, RedactionCounts, Redactor};
use report::{
    BadLineReport, Bin, Count, Curve, CurvePoint, DraftReport, FamilyReport, InputReport, Rates, Report, Satisfaction,
    TopicReport, Totals,
};
use spill::Spill;
use vocab::{PosTagger, Vocab, concept_pos, is_topic_word, keyword_pos, topic_pos};

/// Why mining could not run (problems with single lines are `BadLine`s, not errors).
#[derive(Debug, thiserror::Error)]
pub enum MineError {
    #[error("{}: 无法读取：{}", display_path(.path), io_reason(.source))]
    Input { path: PathBuf, source: std::io::Error },
    #[error("{}: 是目录，不是导出文件", display_path(.0))]
    IsDirectory(PathBuf),
    #[error("没有一个输入文件可以读取")]
    NoInput,
    #[error("没有读到任何可用的对话（{bad} 行有问题）")]
    NoDialogues { bad: u64, lines: Vec<(PathBuf, BadLine)> },
    #[error("{}: 无法写入：{}", display_path(.path), io_reason(.source))]
    Output { path: PathBuf, source: std::io::Error },
    #[error("临时文件出错：{}", io_reason(.0))]
    Spill(std::io::Error),
}

impl MineError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            MineError::Input { .. } => "检查路径是否正确、是否有读取权限",
            MineError::IsDirectory(_) => "给出目录里的导出文件，例如 data/*.jsonl",
            MineError::NoInput => "检查文件路径；支持 JSON Lines 与 CSV，可为 gzip 压缩",
            MineError::NoDialogues { .. } => "看上面列出的有问题的行：格式、编码或字段名是否正确",
            MineError::Output { source, .. } if is_not_a_folder(source) => {
                "--out 要给一个目录：这个路径（或它的上一级）已经是一个文件；换一个路径，或先移走那个文件"
            }
            MineError::Output { .. } => "检查输出目录是否可写、磁盘是否已满",
            MineError::Spill(_) => "检查临时目录（TMPDIR）是否可写、空间是否足够",
        }
    }
}

/// A folder was wanted where a file is (`create_dir_all` over a file says "File exists").
fn is_not_a_folder(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::NotADirectory)
}

/// What to mine and where to write.
#[derive(Debug, Clone)]
pub struct MineOptions {
    pub inputs: Vec<PathBuf>,
    /// Directory for the drafts (and `calibration.ron` unless `calibration` is given).
    pub out: PathBuf,
    /// HTML report; the JSON goes beside it with the extension `.json`.
    pub report: Option<PathBuf>,
    pub calibration: Option<PathBuf>,
    /// Families with fewer dialogues get no draft.
    pub min_family: u64,
    /// At most this many drafts (the largest families first).
    pub max_drafts: usize,
    pub channel: Channel,
    /// Where the spill file goes (the system's temporary directory by default).
    pub temp_dir: Option<PathBuf>,
    /// How to read lines that are not UTF-8 (detected per file by default).
    pub encoding: input::TextEncoding,
}

impl MineOptions {
    pub fn new(inputs: Vec<PathBuf>, out: PathBuf) -> Self {
        MineOptions {
            inputs,
            out,
            report: None,
            calibration: None,
            min_family: 5,
            max_drafts: 30,
            channel: Channel::Chat,
            temp_dir: None,
            encoding: input::TextEncoding::Auto,
        }
    }

    pub fn calibration_path(&self) -> PathBuf {
        self.calibration.clone().unwrap_or_else(|| self.out.join("calibration.ron"))
    }

    /// The report's HTML and JSON paths: `r.html` and `r.json` (a `.json` path gets the HTML
    /// beside it with `.html`).
    pub fn report_paths(&self) -> Option<(PathBuf, PathBuf)> {
        let r = self.report.as_ref()?;
        if r.extension().is_some_and(|e| e == "json") {
            Some((r.with_extension("html"), r.clone()))
        } else {
            Some((r.clone(), r.with_extension("json")))
        }
    }
}

/// How the run is shown (a progress bar in the terminal; nothing in tests).
pub trait Progress: Sync {
    fn start(&self, _total_bytes: u64) {}
    fn update(&self, _bytes: u64, _dialogues: u64) {}
    fn phase(&self, _text: &str) {}
    fn finish(&self) {}
}

/// No progress display.
pub struct Quiet;
impl Progress for Quiet {}

/// What a run produced.
#[derive(Debug)]
pub struct MineOutcome {
    pub report: Report,
    /// Every bad line, in input order (the report keeps the first ones).
    pub bad_lines: Vec<(PathBuf, BadLine)>,
    pub bad_line_count: u64,
    /// Inputs that could not be opened at all.
    pub unreadable: Vec<(PathBuf, String)>,
    pub drafts: Vec<PathBuf>,
    pub calibration: PathBuf,
    pub report_files: Option<(PathBuf, PathBuf)>,
}

/// Bad lines kept in memory for the report and the terminal.
const KEEP_BAD_LINES: usize = 1_000;
/// Dialogues per batch handed to the workers.
const BATCH: usize = 512;
/// Bytes per batch (a batch is sent when either limit is reached).
const BATCH_BYTES: usize = 8 << 20;
/// Records per batch when the spill is read back.
const SPILL_BATCH: usize = 2048;

enum Msg {
    Batch(Vec<Record>),
    FileDone(usize, FileStats),
}

enum Processed {
    /// The facts, their words, and the facts already encoded for the spill (by the worker).
    Ok(Box<DialogueFacts>, Terms, Vec<u8>),
    Bad(BadLine),
}

fn process(ctx: &Context, rec: Record) -> Processed {
    match rec {
        Record::Bad(b) => Processed::Bad(b),
        // The dialogue's texts are borrowed from the line.
        Record::Json { input, line, text } => match input::parse_json_line(&text) {
            Ok(d) => process_dialogue(ctx, input, line, d),
            Err((reason, hint)) => Processed::Bad(BadLine { input, line, reason, hint }),
        },
        Record::Dialogue { input, line, dialogue } => process_dialogue(ctx, input, line, dialogue),
    }
}

fn process_dialogue(ctx: &Context, input: usize, line: u64, raw: input::RawDialogue<'_>) -> Processed {
    match analyze::analyze(ctx, input as u32, line, raw) {
        Ok((mut facts, terms)) => {
            let encoded = spill::encode_facts(&facts);
            // The merging thread needs the counts, not the texts (they are in `encoded`): free
            // them here, on the worker that made them, rather than one by one on that thread.
            for t in &mut facts.turns {
                t.drop_text();
            }
            Processed::Ok(Box::new(facts), terms, encoded)
        }
        Err((reason, hint)) => Processed::Bad(BadLine { input, line, reason, hint }),
    }
}

/// Corpus-wide counts gathered in pass 1.
#[derive(Default)]
struct CorpusStats {
    totals: Totals,
    personas: BTreeMap<Persona, u64>,
    complaints: u64,
    demands: u64,
    transfers: u64,
    channel_moves: u64,
    vip: u64,
    transfer_at: Vec<u64>,
    demand_at: Vec<u64>,
    satisfaction_sum: f64,
    satisfaction_bins: [u64; 8],
    curves: [([f64; CURVE_LEN], [u64; CURVE_LEN]); 7],
    redactions: RedactionCounts,
    hostile_poor: BTreeMap<String, HostileUse>,
}

impl CorpusStats {
    fn add(&mut self, d: &DialogueFacts) {
        let t = &mut self.totals;
        t.dialogues += 1;
        t.turns += d.turns.len() as u64;
        t.customer_turns += d.customer_turns().count() as u64;
        t.agent_turns += d.agent_turns().count() as u64;
        t.empty_turns += u64::from(d.empty_turns);
        t.truncated_turns += u64::from(d.truncated_turns);
        let rating = d.rating();
        match rating {
            Rating::Good => t.well_rated += 1,
            Rating::Poor => t.poorly_rated += 1,
            Rating::Middle => {}
        }
        if let Some(s) = d.labels.satisfaction {
            t.labelled += 1;
            self.satisfaction_sum += f64::from(s);
            let bin = (((s.clamp(-2.0, 1.999) + 2.0) / 0.5) as usize).min(7);
            self.satisfaction_bins[bin] += 1;
        }
        *self.personas.entry(d.persona).or_insert(0) += 1;
        self.complaints += u64::from(d.complaint);
        self.demands += u64::from(d.demand_at.is_some());
        self.transfers += u64::from(d.transfer_at.is_some());
        self.channel_moves += u64::from(d.channel_at.is_some());
        self.vip += u64::from(d.vip_word.is_some());
        let bump = |v: &mut Vec<u64>, at: Option<u8>| {
            if let Some(at) = at {
                let i = usize::from(at.clamp(1, 8)) - 1;
                if v.len() <= i {
                    v.resize(i + 1, 0);
                }
                v[i] += 1;
            }
        };
        bump(&mut self.transfer_at, d.transfer_at);
        bump(&mut self.demand_at, d.demand_at);
        // Curves: 0–4 by persona, 5 well rated, 6 poorly rated.
        let mut add_curve = |k: usize| {
            let e = &mut self.curves[k];
            for (i, t) in d.customer_turns().filter(|t| !t.is_empty()).take(CURVE_LEN).enumerate() {
                e.0[i] += f64::from(t.anger);
                e.1[i] += 1;
            }
        };
        add_curve(usize::from(d.persona.as_u8()));
        match rating {
            Rating::Good => add_curve(5),
            Rating::Poor => add_curve(6),
            Rating::Middle => {}
        }
        self.redactions.merge(&d.redactions);
        if rating == Rating::Poor {
            let q = d.quality();
            for h in d.agent_turns().flat_map(|t| t.hostile.iter()) {
                let e = self.hostile_poor.entry(h.clone()).or_insert_with(|| HostileUse {
                    count: 0,
                    example_id: d.id.clone(),
                    example_quality: q,
                });
                e.count += 1;
                if (q, &d.id) < (e.example_quality, &e.example_id) {
                    e.example_id = d.id.clone();
                    e.example_quality = q;
                }
            }
        }
    }
}

fn intern(vocab: &mut Vocab, words: &analyze::WordBag, agent: bool) -> Vec<(u32, u32)> {
    let mut ids: Vec<(u32, u32)> = words.iter().map(|(w, n)| (vocab.intern(w), n)).collect();
    ids.sort_unstable();
    for &(id, _) in &ids {
        let df = if agent { &mut vocab.df_agent } else { &mut vocab.df_customer };
        df[id as usize] += 1;
    }
    ids
}

/// Part of the families, with the counts per topic of the dialogues it holds: the third pass
/// adds to two shards at once.
struct FamilyShard {
    families: BTreeMap<FamilyKey, Family>,
    topic_dialogues: Vec<u64>,
    /// Per topic, dialogues per persona (`Persona::as_u8`).
    topic_personas: Vec<[u64; Persona::ALL.len()]>,
    /// Per topic, dialogues per keyword.
    topic_words: Vec<FxHashMap<u32, u32>>,
}

impl FamilyShard {
    fn new(topics: usize) -> FamilyShard {
        FamilyShard {
            families: BTreeMap::new(),
            topic_dialogues: vec![0; topics],
            topic_personas: vec![[0; Persona::ALL.len()]; topics],
            topic_words: vec![FxHashMap::default(); topics],
        }
    }

    /// The shard a family belongs to: 0 or 1, by topic and persona, so that both shards get
    /// several of the largest families.
    fn of(key: &FamilyKey) -> usize {
        (key.0.map_or(0, |t| t + 1) + usize::from(key.1.as_u8())) % 2
    }

    /// Takes in another shard's families (none of them in this one) and topic counts.
    fn absorb(&mut self, other: FamilyShard) {
        let mut families = other.families;
        self.families.append(&mut families);
        for (t, n) in other.topic_dialogues.into_iter().enumerate() {
            self.topic_dialogues[t] += n;
        }
        for (t, counts) in other.topic_personas.into_iter().enumerate() {
            for (p, n) in counts.into_iter().enumerate() {
                self.topic_personas[t][p] += n;
            }
        }
        for (t, words) in other.topic_words.into_iter().enumerate() {
            for (w, n) in words {
                *self.topic_words[t].entry(w).or_insert(0) += n;
            }
        }
    }
}

/// Runs the whole mining: reads, analyses, groups, writes drafts, calibration and report.
pub fn mine(opts: &MineOptions, progress: &dyn Progress) -> Result<MineOutcome, MineError> {
    let mut infos: Vec<InputInfo> = Vec::new();
    let mut unreadable = Vec::new();
    for p in &opts.inputs {
        match input::probe(p) {
            Ok(i) => infos.push(InputInfo { encoding: opts.encoding, ..i }),
            Err(e) => unreadable.push((p.clone(), e.to_string())),
        }
    }
    if infos.is_empty() {
        return Err(MineError::NoInput);
    }

    // The analyzer with the lexicons of the library the drafts go to (so their synonym groups
    // exist), without any scenario phrases: a second run must segment exactly as the first.
    let lexicons = Layout::around(&opts.out).lexicon_set().unwrap_or_else(|_| LexiconSet::embedded());
    // jieba's dictionary is loaded once (the analyzer adds its words to a copy); the analyzer's
    // indexes and the redaction rules are built side by side.
    let jieba = Arc::new(Jieba::new());
    let ((analyzer, detectors), redactor) = rayon::join(
        || {
            let analyzer = Arc::new(Analyzer::with_jieba(lexicons, Jieba::clone(&jieba)));
            let detectors = Detectors::new(&analyzer);
            (analyzer, detectors)
        },
        || Redactor::with_jieba(jieba.clone()),
    );
    let ctx = Context { analyzer: analyzer.clone(), redactor, detectors };

    // ---- Pass 1: read, redact, analyse (in parallel), merge in input order into the spill.
    let temp_dir = opts.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&temp_dir).map_err(MineError::Spill)?;
    let mut spill = Spill::create(&temp_dir).map_err(MineError::Spill)?;
    let total_bytes: u64 = infos.iter().map(|i| i.bytes).sum();
    progress.start(total_bytes);
    let counter = Arc::new(AtomicU64::new(0));
    let mut vocab = Vocab::default();
    let mut stats = CorpusStats::default();
    let mut calibration = CalibrationAcc::default();
    let mut file_stats: Vec<FileStats> = vec![FileStats::default(); infos.len()];
    let mut dialogues_per_file = vec![0u64; infos.len()];
    let mut bad_lines: Vec<(PathBuf, BadLine)> = Vec::new();
    let mut bad_count = 0u64;
    let mut spill_error: Option<std::io::Error> = None;

    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Msg>(4);
        let reader_counter = counter.clone();
        let infos_ref = &infos;
        scope.spawn(move || {
            let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
            let mut batch_bytes = 0usize;
            for (i, info) in infos_ref.iter().enumerate() {
                let st = input::read_file(i, info, Some(reader_counter.clone()), &mut |rec| {
                    batch_bytes += match &rec {
                        Record::Json { text, .. } => text.len(),
                        Record::Dialogue { dialogue, .. } => dialogue.turns.iter().map(|t| t.text.len()).sum(),
                        Record::Bad(_) => 64,
                    };
                    batch.push(rec);
                    if batch.len() >= BATCH || batch_bytes >= BATCH_BYTES {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        batch_bytes = 0;
                        let _ = tx.send(Msg::Batch(full));
                    }
                });
                if !batch.is_empty() {
                    let full = std::mem::take(&mut batch);
                    batch_bytes = 0;
                    let _ = tx.send(Msg::Batch(full));
                }
                let _ = tx.send(Msg::FileDone(i, st));
            }
        });
        // The workers analyse batch k+1 while this thread merges batch k.
        let mut pending: Option<Vec<Processed>> = None;
        let mut merge = |results: Vec<Processed>,
                         vocab: &mut Vocab,
                         stats: &mut CorpusStats,
                         calibration: &mut CalibrationAcc,
                         spill: &mut Spill| {
            for p in results {
                match p {
                    Processed::Ok(facts, terms, encoded) => {
                        let customer_terms = intern(vocab, &terms.customer, false);
                        let agent_terms = intern(vocab, &terms.agent, true);
                        stats.add(&facts);
                        calibration.add(&facts);
                        dialogues_per_file[facts.input as usize] += 1;
                        if spill_error.is_none()
                            && let Err(e) = spill.push_encoded(&encoded, &customer_terms, &agent_terms)
                        {
                            spill_error = Some(e);
                        }
                    }
                    Processed::Bad(b) => {
                        bad_count += 1;
                        if bad_lines.len() < KEEP_BAD_LINES {
                            bad_lines.push((infos[b.input].path.clone(), ctx.redactor.redact_bad_line(b)));
                        }
                    }
                }
            }
            progress.update(counter.load(Ordering::Relaxed), stats.totals.dialogues);
        };
        for msg in rx {
            match msg {
                Msg::Batch(batch) => {
                    let previous = pending.take();
                    let (results, ()) = rayon::join(
                        || batch.into_par_iter().with_max_len(8).map(|r| process(&ctx, r)).collect::<Vec<_>>(),
                        || {
                            if let Some(prev) = previous {
                                merge(prev, &mut vocab, &mut stats, &mut calibration, &mut spill);
                            }
                        },
                    );
                    pending = Some(results);
                }
                Msg::FileDone(i, st) => {
                    if let Some(prev) = pending.take() {
                        merge(prev, &mut vocab, &mut stats, &mut calibration, &mut spill);
                    }
                    file_stats[i] = st;
                }
            }
        }
        if let Some(prev) = pending.take() {
            merge(prev, &mut vocab, &mut stats, &mut calibration, &mut spill);
        }
    });
    if let Some(e) = spill_error {
        return Err(MineError::Spill(e));
    }
    spill.finish().map_err(MineError::Spill)?;
    // Bad lines found by the reader itself come with the batches; keep them in input order.
    bad_lines.sort_by_key(|(_, b)| (b.input, b.line));
    let n = stats.totals.dialogues;
    stats.totals.bad_lines = bad_count;
    if n == 0 {
        progress.finish();
        return Err(MineError::NoDialogues { bad: bad_count, lines: bad_lines });
    }

    // ---- Which words may be topics or concepts (part of speech from jieba's dictionary).
    progress.phase("选主题");
    let tagger = PosTagger::new(jieba.clone());
    let min_df = (n / 1000).clamp(3, 50) as u32;
    let min_df = if n < 200 { 2 } else { min_df };
    let mut topic_ok = vec![false; vocab.len()];
    let mut concept_ok = vec![false; vocab.len()];
    let mut keyword_ok = vec![false; vocab.len()];
    for id in 0..vocab.len() {
        let (dc, da) = (vocab.df_customer[id], vocab.df_agent[id]);
        if dc < min_df && da < min_df {
            continue;
        }
        let word = vocab.word(id as u32);
        let tag = tagger.tag(word);
        topic_ok[id] = dc >= min_df && is_topic_word(word) && topic_pos(&tag);
        keyword_ok[id] = topic_ok[id] && keyword_pos(&tag);
        concept_ok[id] = da >= min_df && concept_pos(&tag) && !concept_skip(word);
    }

    // ---- Pass 2: leading customer words by TF-IDF → topic seeds. Only the word ids are read,
    // a batch at a time, in parallel.
    let mut leads: FxHashMap<u32, u64> = FxHashMap::default();
    let idf_customer: Vec<f64> = vocab.df_customer.iter().map(|&df| Vocab::idf(df, n)).collect();
    let mut reader = spill.reader().map_err(MineError::Spill)?;
    loop {
        let batch = reader.next_batch(SPILL_BATCH).map_err(MineError::Spill)?;
        if batch.is_empty() {
            break;
        }
        let tops = batch
            .par_iter()
            .with_max_len(64)
            .map(|r| {
                let (customer, _) = r.terms()?;
                Ok(top_words(&customer, &idf_customer, 3, |w| topic_ok[w as usize]))
            })
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(MineError::Spill)?;
        for top in tops {
            for (rank, (w, _)) in top.iter().enumerate() {
                *leads.entry(*w).or_insert(0) += 3 - rank as u64;
            }
        }
    }
    let k = (((n as f64).sqrt() * 0.8).round() as usize).clamp(6, 60);
    let topics = Topics::choose(&leads, &vocab, k);

    // ---- Pass 3: families. Workers decode batch k+1 and find each dialogue's topic while
    // batch k is added to the families. The families are split in two shards, each added to
    // on its own thread, every family in input order (its sums of real numbers depend on it).
    progress.phase("归类案例家族");
    let counted = CountedWords { customer: &keyword_ok, agent: &concept_ok };
    // Decoded without the turn texts (most dialogues are only counted); the record stays at
    // hand for the texts of the few kept as representatives.
    type Decoded = (spill::Stored, spill::RawRecord, Option<usize>, Assessed);
    let decode =
        |batch: Vec<spill::RawRecord>, discarded: [Vec<DialogueFacts>; 2]| -> std::io::Result<[Vec<Decoded>; 2]> {
            drop(discarded);
            let decoded = batch
                .into_par_iter()
                .with_max_len(64)
                .map(|r| {
                    let s = r.decode_without_texts()?;
                    let assessed = Assessed::of(&s.facts, s.usable);
                    // The customer's words decide; when they hold no topic word, the agent's (agents
                    // often restate the problem: "关于您反映的宽带问题").
                    let topic = topics
                        .topic_of(&s.customer_terms, &vocab.df_customer, n)
                        .or_else(|| topics.topic_of(&s.agent_terms, &vocab.df_agent, n));
                    Ok((s, r, topic, assessed))
                })
                .collect::<std::io::Result<Vec<Decoded>>>()?;
            let (first, second) = decoded.into_iter().partition(|d| FamilyShard::of(&(d.2, d.0.facts.persona)) == 0);
            Ok([first, second])
        };
    let add = |shard: &mut FamilyShard, decoded: Vec<Decoded>| -> std::io::Result<Vec<DialogueFacts>> {
        let mut discard = Vec::with_capacity(decoded.len());
        for (s, raw, topic, assessed) in decoded {
            if let Some(t) = topic {
                shard.topic_dialogues[t] += 1;
                shard.topic_personas[t][usize::from(s.facts.persona.as_u8())] += 1;
                let words = &mut shard.topic_words[t];
                for &(w, _) in &s.customer_terms {
                    if keyword_ok[w as usize] {
                        *words.entry(w).or_insert(0) += 1;
                    }
                }
            }
            let key = (topic, s.facts.persona);
            shard.families.entry(key).or_insert_with(|| Family::new(key)).add(
                s.facts,
                &assessed,
                &s.customer_terms,
                &s.agent_terms,
                &counted,
                &mut |facts| raw.texts_into(facts),
                &mut discard,
            )?;
        }
        Ok(discard)
    };
    let mut shards = [FamilyShard::new(topics.len()), FamilyShard::new(topics.len())];
    let mut reader = spill.reader().map_err(MineError::Spill)?;
    let (mut pending, mut discarded) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    loop {
        let batch = reader.next_batch(SPILL_BATCH).map_err(MineError::Spill)?;
        let last = batch.is_empty();
        let [first, second] = std::mem::take(&mut pending);
        // The workers also free what the previous batch left over.
        let old = std::mem::take(&mut discarded);
        let [shard0, shard1] = &mut shards;
        let (decoded, (left0, left1)) =
            rayon::join(|| decode(batch, old), || rayon::join(|| add(shard0, first), || add(shard1, second)));
        pending = decoded.map_err(MineError::Spill)?;
        discarded = [left0.map_err(MineError::Spill)?, left1.map_err(MineError::Spill)?];
        if last {
            break;
        }
    }
    let [mut all, other] = shards;
    all.absorb(other);
    let FamilyShard { families, topic_dialogues, topic_personas, topic_words } = all;
    drop(spill);

    // ---- Drafts for the largest families with usable representatives.
    progress.phase("写场景草稿");
    let group_phrases: Vec<String> = ctx
        .detectors
        .group_names
        .iter()
        .filter_map(|g| analyzer.lexicons().group(g))
        .flat_map(|p| p.iter().map(|x| crate::text::normalize::normalize(x)))
        .collect();
    let mut order: Vec<&Family> = families.values().collect();
    // The harder customers first (angry, VIP, anxious, elderly), then the rest; larger first.
    order.sort_by(|a, b| {
        (a.key.1 == Persona::Normal)
            .cmp(&(b.key.1 == Persona::Normal))
            .then(b.dialogues.cmp(&a.dialogues))
            .then(a.key.cmp(&b.key))
    });
    let family_id = |f: &Family| match f.key.0 {
        Some(t) => format!("mined-{}-{:02}", f.key.1.key(), t + 1),
        None => format!("mined-{}-other", f.key.1.key()),
    };
    std::fs::create_dir_all(&opts.out).map_err(|source| MineError::Output { path: opts.out.clone(), source })?;
    let mut family_reports = Vec::new();
    let mut draft_reports = Vec::new();
    let mut draft_files = Vec::new();
    for f in order {
        let id = family_id(f);
        let topic = f.key.0.map(|t| vocab.word(topics.seeds[t]).to_string());
        let note = if f.key.0.is_none() {
            Some("没有主题词，不出草稿".to_string())
        } else if f.dialogues < opts.min_family {
            Some(format!("少于 {} 段对话，不出草稿", opts.min_family))
        } else if f.good_reps.items.is_empty() {
            Some("没有可用作剧本的代表对话".to_string())
        } else if f.labelled > 0 && f.good == 0 {
            Some("没有好评对话，没有可学的好做法".to_string())
        } else if draft_files.len() >= opts.max_drafts {
            Some(format!("已达草稿上限 {}", opts.max_drafts))
        } else {
            None
        };
        let mut report = FamilyReport {
            id: id.clone(),
            topic: topic.clone().unwrap_or_else(|| "（无主题）".into()),
            persona: f.key.1.label().to_string(),
            dialogues: f.dialogues,
            well_rated: f.good,
            poorly_rated: f.poor,
            mean_satisfaction: f.mean_satisfaction(),
            complaint_rate: f.rate(f.complaints),
            demand_rate: f.rate(f.demands),
            transfer_rate: f.rate(f.transfers),
            mean_first_anger: f.mean_first_anger(),
            draft: None,
            note: note.clone(),
        };
        if note.is_none() {
            let seed = f.key.0.map(|t| topics.seeds[t]);
            let customer_keywords = family_customer_keywords(f, &vocab, n, seed, &keyword_ok);
            let agent_keywords = family_agent_keywords(f, &vocab, n, &concept_ok, &group_phrases);
            let input = draft::DraftInput {
                family: f,
                id: id.clone(),
                ordinal: draft_files.len(),
                topic: topic.clone(),
                customer_keywords,
                agent_keywords,
                group_names: &ctx.detectors.group_names,
                corpus_hostile: &stats.hostile_poor,
                channel: opts.channel,
            };
            let d = draft::build(&input, &analyzer);
            let path = opts.out.join(format!("{id}.ron"));
            std::fs::write(&path, &d.ron).map_err(|source| MineError::Output { path: path.clone(), source })?;
            report.draft = Some(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
            draft_reports.push(DraftReport {
                id: d.id.clone(),
                file: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                title: d.title.clone(),
                turns: d.scenario.turns.len(),
                provenance: d.scenario.provenance.len(),
                samples: d
                    .sample_scores
                    .iter()
                    .map(|(t, good, s)| {
                        (t.clone(), if *good { "good" } else { "bad" }.to_string(), (s * 10.0).round() / 10.0)
                    })
                    .collect(),
            });
            draft_files.push(path);
        }
        family_reports.push(report);
    }

    // ---- Calibration.
    let cal = calibration.finish(&MoodModel::embedded());
    let cal_path = opts.calibration_path();
    if let Some(dir) = cal_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| MineError::Output { path: dir.to_path_buf(), source })?;
    }
    std::fs::write(&cal_path, cal.to_ron()).map_err(|source| MineError::Output { path: cal_path.clone(), source })?;

    // ---- Report.
    let inputs: Vec<InputReport> = infos
        .iter()
        .zip(&file_stats)
        .zip(&dialogues_per_file)
        .map(|((info, st), &d)| InputReport {
            path: display_path(&info.path).to_string(),
            format: match info.format {
                input::Format::Jsonl => "JSON Lines".into(),
                input::Format::Csv => "CSV".into(),
            },
            gzip: info.gzip,
            bytes: info.bytes,
            lines: st.lines,
            dialogues: d,
            bad_lines: st.bad_lines + (st.records - d.min(st.records)),
            encoding: st.encoding.describe(),
            encoding_note: st.encoding.note(),
            error: st.error.clone(),
        })
        .chain(unreadable.iter().map(|(p, e)| InputReport {
            path: display_path(&p).to_string(),
            format: "—".into(),
            gzip: false,
            bytes: 0,
            lines: 0,
            dialogues: 0,
            bad_lines: 0,
            encoding: "—".into(),
            encoding_note: None,
            error: Some(e.clone()),
        }))
        .collect();
    let share = |k: u64| if n == 0 { 0.0 } else { k as f32 / n as f32 };
    let personas = Persona::ALL
        .iter()
        .map(|p| {
            let c = stats.personas.get(p).copied().unwrap_or(0);
            Count { key: p.key().into(), label: p.label().into(), count: c, share: share(c) }
        })
        .collect();
    let redactions = PiiKind::ALL
        .iter()
        .filter(|k| stats.redactions.get(**k) > 0)
        .map(|k| {
            let c = stats.redactions.get(*k);
            Count { key: k.key().into(), label: k.label().into(), count: c, share: 0.0 }
        })
        .collect();
    let mut emotion_curves: Vec<Curve> = Vec::new();
    // Well and poorly rated first, then the personas in their fixed order.
    for k in [5usize, 6, 1, 2, 3, 4, 0] {
        let (sum, cnt) = &stats.curves[k];
        let label = match k {
            5 => "好评对话".to_string(),
            6 => "差评对话".to_string(),
            p => format!("{}客户", Persona::from_u8(p as u8).label()),
        };
        let points: Vec<CurvePoint> = (0..CURVE_LEN)
            .filter(|&i| cnt[i] >= 5)
            .map(|i| CurvePoint { turn: i + 1, mean_anger: round3((sum[i] / cnt[i] as f64) as f32), dialogues: cnt[i] })
            .collect();
        if !points.is_empty() {
            emotion_curves.push(Curve { name: label, points });
        }
    }
    let satisfaction = (stats.totals.labelled > 0).then(|| Satisfaction {
        mean: round3((stats.satisfaction_sum / stats.totals.labelled as f64) as f32),
        histogram: (0..8)
            .map(|i| Bin { from: -2.0 + 0.5 * i as f32, to: -1.5 + 0.5 * i as f32, count: stats.satisfaction_bins[i] })
            .collect(),
    });
    let topic_reports = (0..topics.len())
        .map(|t| {
            let mut words: Vec<(u32, u32)> = topic_words[t].iter().map(|(&w, &c)| (w, c)).collect();
            let seed = topics.seeds[t];
            let tn = topic_dialogues[t].max(1);
            let score = |w: u32, c: u32| f64::from(c) / tn as f64 * Vocab::idf(vocab.df_customer[w as usize], n);
            words.sort_by(|a, b| score(b.0, b.1).total_cmp(&score(a.0, a.1)).then(a.0.cmp(&b.0)));
            TopicReport {
                word: vocab.word(seed).to_string(),
                dialogues: topic_dialogues[t],
                leads: topics.leads[t],
                personas: Persona::ALL
                    .iter()
                    .filter(|p| topic_personas[t][usize::from(p.as_u8())] > 0)
                    .map(|p| (p.label().to_string(), topic_personas[t][usize::from(p.as_u8())]))
                    .collect(),
                keywords: words
                    .iter()
                    .filter(|w| w.0 != seed && w.1 >= 2)
                    .take(6)
                    .map(|w| vocab.word(w.0).to_string())
                    .collect(),
            }
        })
        .collect::<Vec<_>>();
    let mut topic_reports = topic_reports;
    topic_reports.sort_by(|a, b| b.dialogues.cmp(&a.dialogues).then(a.word.cmp(&b.word)));
    let report = Report {
        inputs,
        totals: stats.totals.clone(),
        bad_line_samples: bad_lines
            .iter()
            .take(200)
            .map(|(p, b)| BadLineReport {
                path: display_path(&p).to_string(),
                line: b.line,
                reason: b.reason.clone(),
                hint: b.hint.clone(),
            })
            .collect(),
        redactions,
        personas,
        rates: Rates {
            complaint: round3(share(stats.complaints)),
            supervisor_demand: round3(share(stats.demands)),
            transfer: round3(share(stats.transfers)),
            channel_move: round3(share(stats.channel_moves)),
            vip_mention: round3(share(stats.vip)),
        },
        transfer_positions: stats.transfer_at.clone(),
        demand_positions: stats.demand_at.clone(),
        satisfaction,
        emotion_curves,
        topics: topic_reports,
        families: family_reports,
        drafts: draft_reports,
        calibration: cal,
    };
    let report_files = opts.report_paths();
    if let Some((html, json)) = &report_files {
        for path in [html, json] {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| MineError::Output { path: dir.to_path_buf(), source })?;
            }
        }
        std::fs::write(html, report.to_html()).map_err(|source| MineError::Output { path: html.clone(), source })?;
        let text = serde_json::to_string_pretty(&report).expect("the report serialises") + "\n";
        std::fs::write(json, text).map_err(|source| MineError::Output { path: json.clone(), source })?;
    }
    progress.finish();
    Ok(MineOutcome {
        report,
        bad_lines,
        bad_line_count: bad_count,
        unreadable,
        drafts: draft_files,
        calibration: cal_path,
        report_files,
    })
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

/// Words agents say everywhere that make no concept ("您好", "客服" …).
const CONCEPT_SKIP: &str = "客服 您好 你好 谢谢 感谢 支持 关注 亲爱 小编 用户 客户 我司 官方 微博 私信 回复 留言 欢迎 \
    祝您 愉快 生活 工作 时间 信息 方式 情况 问题 进行 麻烦 为您 给您 帮您 提供 服务 处理 反馈 反映 办理 联系 满意 帮助 \
    解决 了解 建议 需要 告知 查询 核实 核查 记录 相关 部门 工作人员 人员 详细 具体 尝试 操作 使用 出现 可能 原因 不便 带来 \
    抱歉 理解 烦请 以便 及时";

fn concept_skip(word: &str) -> bool {
    CONCEPT_SKIP.split_whitespace().any(|w| w == word)
}

/// The words that characterise a family's customers: frequent in the family, rare in the
/// corpus (TF-IDF with the family as the document), the seed left out.
fn family_customer_keywords(f: &Family, vocab: &Vocab, n: u64, seed: Option<u32>, keyword_ok: &[bool]) -> Vec<String> {
    let mut words: Vec<(u32, f64)> = f
        .customer_words
        .iter()
        .filter(|(w, c)| keyword_ok[**w as usize] && Some(**w) != seed && **c >= 2)
        .map(|(&w, &c)| (w, f64::from(c) / f.dialogues as f64 * Vocab::idf(vocab.df_customer[w as usize], n)))
        .collect();
    words.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    words.iter().take(6).map(|w| vocab.word(w.0).to_string()).collect()
}

/// Words well-rated agents of the family said much more often than agents overall.
fn family_agent_keywords(
    f: &Family,
    vocab: &Vocab,
    n: u64,
    concept_ok: &[bool],
    group_phrases: &[String],
) -> Vec<(String, f32, f32)> {
    if f.good == 0 {
        return Vec::new();
    }
    let min_count = if f.good >= 4 { 3 } else { 2 };
    let mut words: Vec<(u32, f32, f32, f64)> = f
        .agent_words_good
        .iter()
        .filter(|(w, c)| concept_ok[**w as usize] && **c >= min_count && vocab.df_agent[**w as usize] >= 5)
        .filter(|(w, _)| !vocab.word(**w).starts_with(['不', '没', '无', '未', '别']))
        .filter(|(w, _)| {
            let word = vocab.word(**w);
            !group_phrases.iter().any(|p| p == word || p.contains(word) || word.contains(p.as_str()))
        })
        .filter_map(|(&w, &c)| {
            let share = c as f32 / f.good as f32;
            let overall = vocab.df_agent[w as usize] as f32 / n as f32;
            let lift = share / overall.max(1e-6);
            (share >= 0.25 && lift >= 1.5).then(|| (w, share, lift, f64::from(share) * f64::from(lift).ln()))
        })
        .collect();
    words.sort_by(|a, b| b.3.total_cmp(&a.3).then(a.0.cmp(&b.0)));
    words.iter().take(2).map(|w| (vocab.word(w.0).to_string(), round3(w.1), (w.2 * 10.0).round() / 10.0)).collect()
}

/// Paths of every draft file `mine` wrote under a directory (`mined-*.ron`), sorted.
pub fn draft_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("mined-") && n.ends_with(".ron"))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both shards get families, and one shard takes in the other's families and topic counts.
    #[test]
    fn family_shards_split_and_join() {
        let keys: Vec<FamilyKey> =
            [None, Some(0), Some(1), Some(2)].into_iter().flat_map(|t| Persona::ALL.map(|p| (t, p))).collect();
        let in_first = keys.iter().filter(|k| FamilyShard::of(k) == 0).count();
        assert!(in_first >= keys.len() / 2 - 1 && in_first <= keys.len() / 2 + 1, "{in_first} of {}", keys.len());
        // The largest families (every topic's ordinary customers) alternate between shards.
        assert_ne!(FamilyShard::of(&(Some(0), Persona::Normal)), FamilyShard::of(&(Some(1), Persona::Normal)));
        let (mut a, mut b) = (FamilyShard::new(3), FamilyShard::new(3));
        for k in &keys {
            let shard = if FamilyShard::of(k) == 0 { &mut a } else { &mut b };
            shard.families.insert(*k, Family::new(*k));
        }
        a.topic_dialogues = vec![1, 2, 3];
        b.topic_dialogues = vec![10, 0, 30];
        a.topic_personas[1][usize::from(Persona::Angry.as_u8())] = 2;
        b.topic_personas[1][usize::from(Persona::Angry.as_u8())] = 5;
        a.topic_words[2].insert(7, 1);
        b.topic_words[2].extend([(7, 4), (8, 1)]);
        a.absorb(b);
        assert_eq!(a.families.keys().copied().collect::<Vec<_>>(), {
            let mut k = keys.clone();
            k.sort();
            k
        });
        assert_eq!(a.topic_dialogues, vec![11, 2, 33]);
        assert_eq!(a.topic_personas[1][usize::from(Persona::Angry.as_u8())], 7);
        assert_eq!(a.topic_words[2], FxHashMap::from_iter([(7, 5), (8, 1)]));
    }
}
