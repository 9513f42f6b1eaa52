//! The drafts stage: which case families get a draft scenario (the harder customers first,
//! then the larger families), each draft written as RON, and a line for every family in the
//! report saying what became of it.

use std::path::PathBuf;

use crate::mining::analyze::{Context, Persona};
use crate::mining::corpus::{Corpus, WordClasses};
use crate::mining::draft;
use crate::mining::family::{Family, FamilyTable, Topics};
use crate::mining::report::{DraftReport, FamilyReport};
use crate::mining::vocab::Vocab;
use crate::mining::{MineError, MineOptions, round3};

/// What the drafts stage wrote.
pub(crate) struct Drafted {
    pub families: Vec<FamilyReport>,
    pub drafts: Vec<DraftReport>,
    pub files: Vec<PathBuf>,
}

/// Writes the drafts into `opts.out`.
pub(crate) fn write_drafts(
    opts: &MineOptions,
    table: &FamilyTable,
    corpus: &Corpus,
    topics: &Topics,
    words: &WordClasses,
    ctx: &Context,
) -> Result<Drafted, MineError> {
    let (vocab, n, analyzer) = (&corpus.vocab, corpus.dialogues(), &ctx.analyzer);
    let (keyword_ok, concept_ok) = (&words.keyword, &words.concept);
    let families = &table.families;
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
    // Well-rated agents of angry customers anywhere in the corpus (in the drafts' order): where
    // they apologised, their words can open a model answer that soothes no one.
    let soothers: Vec<&crate::mining::family::Rep> =
        order.iter().filter(|f| f.key.1 == Persona::Angry).flat_map(|f| f.good_reps.items.iter()).collect();
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
            let customer_keywords = family_customer_keywords(f, vocab, n, seed, keyword_ok);
            let agent_keywords = family_agent_keywords(f, vocab, n, concept_ok, &group_phrases);
            let input = draft::DraftInput {
                family: f,
                id: id.clone(),
                ordinal: draft_files.len(),
                topic: topic.clone(),
                customer_keywords,
                agent_keywords,
                group_names: &ctx.detectors.group_names,
                channel: opts.channel,
                soothers: &soothers,
            };
            match draft::build(&input, analyzer) {
                Ok(d) => {
                    let path = opts.out.join(format!("{id}.ron"));
                    std::fs::write(&path, &d.ron).map_err(|source| MineError::Output { path: path.clone(), source })?;
                    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    report.draft = Some(file.clone());
                    draft_reports.push(DraftReport {
                        id: d.id.clone(),
                        file,
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
                        tests: d.tests,
                        failed_tests: d.failed_tests,
                    });
                    draft_files.push(path);
                }
                Err(why) => report.note = Some(why),
            }
        }
        family_reports.push(report);
    }
    Ok(Drafted { families: family_reports, drafts: draft_reports, files: draft_files })
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
