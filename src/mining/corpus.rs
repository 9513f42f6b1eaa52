//! The corpus stage: every dialogue read, redacted and analysed once (in parallel, merged in
//! input order) into the spill, with the corpus-wide counts, the vocabulary and the
//! calibration sums; then which words may name topics and concepts, and the topics.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jieba_rs::Jieba;
use rustc_hash::FxHashMap;

use crate::mining::analyze::{self, Context, DialogueFacts, Persona, Rating, Terms};
use crate::mining::calibrate::CalibrationAcc;
use crate::mining::family::{CURVE_LEN, Topics, top_words};
use crate::mining::input::{self, BadLine, FileStats, InputInfo, Record};
use crate::mining::redact::RedactionCounts;
use crate::mining::report::Totals;
use crate::mining::spill::{EncodedFacts, Spill};
use crate::mining::vocab::{PosTagger, Vocab, concept_pos, is_topic_word, keyword_pos, topic_pos};
use crate::mining::{MineError, Progress, pipeline};

/// Bad lines kept in memory for the report and the terminal.
const KEEP_BAD_LINES: usize = 1_000;

/// Everything the first pass gathers.
pub(crate) struct Corpus {
    /// Every usable dialogue, analysed.
    pub spill: Spill,
    pub vocab: Vocab,
    pub stats: CorpusStats,
    pub calibration: CalibrationAcc,
    /// Per input: its reading figures, and how many dialogues it gave.
    pub file_stats: Vec<FileStats>,
    pub dialogues_per_file: Vec<u64>,
    /// The first `KEEP_BAD_LINES` bad lines (redacted), in input order, and how many there were.
    pub bad_lines: Vec<(PathBuf, BadLine)>,
    pub bad_count: u64,
}

/// One record after the workers: the facts, their words, and the facts already encoded for
/// the spill.
enum Processed {
    Ok(Box<DialogueFacts>, Terms, EncodedFacts),
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
            let encoded = EncodedFacts::of(&facts);
            // The counts need the facts, not the texts (they are in `encoded`).
            for t in &mut facts.turns {
                t.drop_text();
            }
            Processed::Ok(Box::new(facts), terms, encoded)
        }
        Err((reason, hint)) => Processed::Bad(BadLine { input, line, reason, hint }),
    }
}

impl Corpus {
    /// Reads, redacts and analyses every input into a spill file under `temp_dir`.
    pub(crate) fn read(
        infos: &[InputInfo],
        ctx: &Context,
        temp_dir: &Path,
        progress: &dyn Progress,
    ) -> Result<Corpus, MineError> {
        std::fs::create_dir_all(temp_dir).map_err(MineError::Spill)?;
        let mut corpus = Corpus {
            spill: Spill::create(temp_dir).map_err(MineError::Spill)?,
            vocab: Vocab::default(),
            stats: CorpusStats::default(),
            calibration: CalibrationAcc::default(),
            file_stats: Vec::new(),
            dialogues_per_file: vec![0; infos.len()],
            bad_lines: Vec::new(),
            bad_count: 0,
        };
        progress.start(infos.iter().map(|i| i.bytes).sum());
        let bytes_read = Arc::new(AtomicU64::new(0));
        let file_stats = pipeline::analyse_inputs(
            infos,
            &bytes_read,
            |rec| process(ctx, rec),
            |results| {
                for p in results {
                    corpus.add(p, infos, ctx)?;
                }
                progress.update(bytes_read.load(Ordering::Relaxed), corpus.stats.totals.dialogues);
                Ok(())
            },
        )
        .map_err(MineError::Spill)?;
        corpus.file_stats = file_stats;
        corpus.spill.finish().map_err(MineError::Spill)?;
        // Bad lines found by the reader itself come with the batches; keep them in input order.
        corpus.bad_lines.sort_by_key(|(_, b)| (b.input, b.line));
        corpus.stats.totals.bad_lines = corpus.bad_count;
        Ok(corpus)
    }

    fn add(&mut self, p: Processed, infos: &[InputInfo], ctx: &Context) -> std::io::Result<()> {
        match p {
            Processed::Ok(facts, terms, encoded) => {
                let customer_terms = intern(&mut self.vocab, &terms.customer, false);
                let agent_terms = intern(&mut self.vocab, &terms.agent, true);
                self.stats.add(&facts);
                self.calibration.add(&facts);
                self.dialogues_per_file[facts.input as usize] += 1;
                self.spill.push_encoded(&encoded, &customer_terms, &agent_terms)
            }
            Processed::Bad(b) => {
                self.bad_count += 1;
                if self.bad_lines.len() < KEEP_BAD_LINES {
                    self.bad_lines.push((infos[b.input].path.clone(), ctx.redactor.redact_bad_line(b)));
                }
                Ok(())
            }
        }
    }

    pub(crate) fn dialogues(&self) -> u64 {
        self.stats.totals.dialogues
    }
}

/// Corpus-wide counts gathered in pass 1.
#[derive(Default)]
pub(crate) struct CorpusStats {
    pub totals: Totals,
    pub personas: BTreeMap<Persona, u64>,
    pub complaints: u64,
    pub demands: u64,
    pub transfers: u64,
    pub channel_moves: u64,
    pub vip: u64,
    pub transfer_at: Vec<u64>,
    pub demand_at: Vec<u64>,
    pub satisfaction_sum: f64,
    pub satisfaction_bins: [u64; 8],
    pub curves: [([f64; CURVE_LEN], [u64; CURVE_LEN]); 7],
    pub redactions: RedactionCounts,
}

impl CorpusStats {
    pub(crate) fn add(&mut self, d: &DialogueFacts) {
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

/// Which words (by id) may be topics, a family's customer keywords, or concepts, by document
/// frequency and part of speech (from jieba's dictionary).
pub(crate) struct WordClasses {
    pub topic: Vec<bool>,
    pub keyword: Vec<bool>,
    pub concept: Vec<bool>,
}

impl WordClasses {
    pub(crate) fn choose(vocab: &Vocab, n: u64, jieba: Arc<Jieba>) -> WordClasses {
        let tagger = PosTagger::new(jieba);
        let min_df = (n / 1000).clamp(3, 50) as u32;
        let min_df = if n < 200 { 2 } else { min_df };
        let mut classes = WordClasses {
            topic: vec![false; vocab.len()],
            keyword: vec![false; vocab.len()],
            concept: vec![false; vocab.len()],
        };
        for id in 0..vocab.len() {
            let (dc, da) = (vocab.df_customer[id], vocab.df_agent[id]);
            if dc < min_df && da < min_df {
                continue;
            }
            let word = vocab.word(id as u32);
            let tag = tagger.tag(word);
            classes.topic[id] = dc >= min_df && is_topic_word(word) && topic_pos(&tag);
            classes.keyword[id] = classes.topic[id] && keyword_pos(&tag);
            classes.concept[id] = da >= min_df && concept_pos(&tag) && !concept_skip(word);
        }
        classes
    }
}

/// The topics: the customers' leading words by TF-IDF (each dialogue's top three count 3, 2
/// and 1), the most led-by first.
pub(crate) fn choose_topics(corpus: &Corpus, words: &WordClasses) -> std::io::Result<Topics> {
    let n = corpus.dialogues();
    let idf_customer: Vec<f64> = corpus.vocab.df_customer.iter().map(|&df| Vocab::idf(df, n)).collect();
    let mut leads: FxHashMap<u32, u64> = FxHashMap::default();
    pipeline::over_spill(
        &corpus.spill,
        |r| {
            let (customer, _) = r.terms()?;
            Ok(top_words(&customer, &idf_customer, 3, |w| words.topic[w as usize]))
        },
        |tops| {
            for top in tops {
                for (rank, (w, _)) in top.iter().enumerate() {
                    *leads.entry(*w).or_insert(0) += 3 - rank as u64;
                }
            }
            Ok(())
        },
    )?;
    let k = (((n as f64).sqrt() * 0.8).round() as usize).clamp(6, 60);
    Ok(Topics::choose(&leads, &corpus.vocab, k))
}

/// Words agents say everywhere that make no concept ("您好", "客服" …).
const CONCEPT_SKIP: &str = "客服 您好 你好 谢谢 感谢 支持 关注 亲爱 小编 用户 客户 我司 官方 微博 私信 回复 留言 欢迎 \
    祝您 愉快 生活 工作 时间 信息 方式 情况 问题 进行 麻烦 为您 给您 帮您 提供 服务 处理 反馈 反映 办理 联系 满意 帮助 \
    解决 了解 建议 需要 告知 查询 核实 核查 记录 相关 部门 工作人员 人员 详细 具体 尝试 操作 使用 出现 可能 原因 不便 带来 \
    抱歉 理解 烦请 以便 及时";

fn concept_skip(word: &str) -> bool {
    CONCEPT_SKIP.split_whitespace().any(|w| w == word)
}
