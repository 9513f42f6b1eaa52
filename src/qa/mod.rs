//! QA of real calls with the practice rubric's scenario-independent part: `peilian qa` reads the
//! exports `peilian mine` reads, redacts every turn first, scores every agent turn (conduct,
//! manner, acts, transfers; `score.rs`) and sums the results per agent: a scorecard of real
//! calls, the weakest skills with quotes, and the practice scenarios for those skills.
//!
//! The inputs are streamed: a reader thread hands batches of dialogues to the workers (rayon),
//! whose results are merged in input order into one small accumulator per agent (counts and a
//! few sample findings each); no dialogue is kept. Each call can be handed to a `CallSink` (the
//! records database) as it is merged. `docs/qa.md` is the user's guide.

pub mod agent;
pub mod rules;
pub mod score;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;

use rayon::prelude::*;
use serde::Serialize;

use crate::mining::input::{self, BadLine, FileStats, InputInfo, Record, TextEncoding};
use crate::mining::redact::{PiiKind, RedactionCounts};
use crate::mining::{MineError, Progress};
use crate::records::coaching::{Recommendation, ScenarioMeta, skill_label};
use agent::{AgentSource, UNKNOWN_ACCOUNT, UNNAMED};
use rules::{Kind, QaRules};
use score::{ActCounts, CallQa, DialogueQa, QaContext, Severity};

/// Sample findings kept per agent and kind, and per agent and skill.
pub const SAMPLES: usize = 3;
/// Skills shown as the weakest (with incidents), and practice scenarios recommended.
pub const WEAKEST: usize = 3;
pub const RECOMMENDED: usize = 3;
/// Bad lines kept for the report (the rest are counted).
const KEEP_BAD_LINES: usize = 1_000;
/// Records per batch handed to the workers.
const BATCH: usize = 512;

/// Why QA could not run (problems with single lines are `BadLine`s, not errors).
#[derive(Debug, thiserror::Error)]
pub enum QaError {
    #[error(transparent)]
    Input(#[from] MineError),
    #[error("没有读到任何可用的对话（{bad} 行有问题）")]
    NoDialogues { bad: u64, lines: Vec<(PathBuf, BadLine)>, files: Vec<(PathBuf, FileStats)> },
}

impl QaError {
    pub fn hint(&self) -> &'static str {
        match self {
            QaError::Input(e) => e.hint(),
            QaError::NoDialogues { .. } => "看上面列出的问题：文件是否为空，格式、编码、坐席字段名是否正确",
        }
    }
}

/// What to read and how to tell agents apart.
#[derive(Debug, Clone)]
pub struct QaOptions {
    pub inputs: Vec<PathBuf>,
    pub encoding: TextEncoding,
    pub agents: AgentSource,
}

/// Where each merged call goes (the records database).
pub trait CallSink {
    fn save(&mut self, call: &CallQa) -> Result<(), String>;
}

/// One finding as shown: where it is, what it is, the words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub dialogue_id: String,
    pub turn: u32,
    pub kind: &'static str,
    pub label: String,
    pub quote: String,
    pub severity: Severity,
    /// Order merged (input order), to keep the choice of samples stable.
    #[serde(skip)]
    seq: u64,
}

/// Keeps at most `SAMPLES`, the most severe first, then the first met.
fn keep_sample(samples: &mut Vec<Sample>, s: Sample) {
    samples.push(s);
    samples.sort_by_key(|s| (s.severity, s.seq));
    samples.truncate(SAMPLES);
}

#[derive(Debug, Default)]
struct AgentAcc {
    calls: u64,
    turns: u64,
    empty_turns: u64,
    manner_sum: f64,
    incidents: u64,
    breaches: u64,
    calls_with_breach: u64,
    kinds: BTreeMap<Kind, (u64, Vec<Sample>)>,
    skills: BTreeMap<String, (u64, Vec<Sample>)>,
    acts: ActCounts,
}

/// Totals of a run, per agent (small: counts and a few samples).
#[derive(Debug, Default)]
pub struct QaTotals {
    pub dialogues: u64,
    pub customer_turns: u64,
    pub redactions: RedactionCounts,
    agents: BTreeMap<String, AgentAcc>,
    seq: u64,
}

impl QaTotals {
    fn add(&mut self, d: &DialogueQa, rules: &QaRules) {
        self.dialogues += 1;
        self.customer_turns += u64::from(d.customer_turns);
        self.redactions.merge(&d.redactions);
        for c in &d.calls {
            let acc = self.agents.entry(c.agent.clone()).or_default();
            acc.calls += 1;
            acc.turns += u64::from(c.turns);
            acc.empty_turns += u64::from(c.empty_turns);
            acc.manner_sum += c.manner_sum;
            acc.acts.add(&c.acts);
            acc.incidents += c.findings.len() as u64;
            let breaches = c.findings.iter().filter(|f| f.severity == Severity::Breach).count() as u64;
            acc.breaches += breaches;
            acc.calls_with_breach += u64::from(breaches > 0);
            for f in &c.findings {
                self.seq += 1;
                let sample = Sample {
                    dialogue_id: c.dialogue_id.clone(),
                    turn: f.turn,
                    kind: f.kind.key(),
                    label: f.label.clone(),
                    quote: f.quote.clone(),
                    severity: f.severity,
                    seq: self.seq,
                };
                let k = acc.kinds.entry(f.kind).or_default();
                k.0 += 1;
                keep_sample(&mut k.1, sample.clone());
                let s = acc.skills.entry(rules.skill_of(f.kind).to_string()).or_default();
                s.0 += 1;
                keep_sample(&mut s.1, sample);
            }
        }
    }

    pub fn calls(&self) -> u64 {
        self.agents.values().map(|a| a.calls).sum()
    }

    pub fn turns(&self) -> u64 {
        self.agents.values().map(|a| a.turns).sum()
    }
}

/// Findings of one kind for one agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindSummary {
    pub kind: &'static str,
    pub label: &'static str,
    pub skill: String,
    pub count: u64,
    pub samples: Vec<Sample>,
}

/// A skill's real-call figure: the findings that show it, per 100 turns scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillFigure {
    pub skill: String,
    pub label: String,
    pub incidents: u64,
    pub per_100_turns: f32,
    pub samples: Vec<Sample>,
}

/// One agent's scorecard of real calls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentCard {
    pub agent: String,
    pub calls: u64,
    pub turns: u64,
    pub empty_turns: u64,
    /// Average manner of the turns scored, 0–100.
    pub manner: Option<f32>,
    pub incidents: u64,
    pub breaches: u64,
    pub calls_with_breach: u64,
    /// By kind, in the kinds' order (conduct first).
    pub findings: Vec<KindSummary>,
    pub acts: ActCounts,
    /// Weakest first (most findings per turn), at most `WEAKEST`, each with findings.
    pub weakest: Vec<SkillFigure>,
    pub recommendations: Vec<Recommendation>,
}

/// A count of one kind across all agents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindTotal {
    pub kind: &'static str,
    pub label: &'static str,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedactionTotal {
    pub kind: &'static str,
    pub label: &'static str,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputSummary {
    pub path: String,
    pub lines: u64,
    pub dialogues: u64,
    pub bad_lines: u64,
    pub encoding: String,
    pub error: Option<String>,
}

/// The whole run, as printed and as `--json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QaReport {
    pub inputs: Vec<InputSummary>,
    /// How agents were told apart, in Chinese.
    pub agents_from: String,
    pub dialogues: u64,
    pub calls: u64,
    pub turns_scored: u64,
    pub bad_lines: u64,
    pub redactions: Vec<RedactionTotal>,
    pub incidents: Vec<KindTotal>,
    pub agents: Vec<AgentCard>,
}

fn round1(x: f64) -> f32 {
    ((x * 10.0).round() / 10.0) as f32
}

impl AgentAcc {
    fn card(&self, agent: &str, rules: &QaRules, library: &[ScenarioMeta], passed: &[String]) -> AgentCard {
        let per_100 = |n: u64| if self.turns == 0 { 0.0 } else { round1(100.0 * n as f64 / self.turns as f64) };
        let mut skills: Vec<SkillFigure> = self
            .skills
            .iter()
            .map(|(skill, (n, samples))| SkillFigure {
                skill: skill.clone(),
                label: skill_label(skill),
                incidents: *n,
                per_100_turns: per_100(*n),
                samples: samples.clone(),
            })
            .collect();
        skills.sort_by(|a, b| b.incidents.cmp(&a.incidents).then_with(|| a.skill.cmp(&b.skill)));
        skills.truncate(WEAKEST);
        let recommendations = recommend(&skills, library, passed);
        AgentCard {
            agent: agent.to_string(),
            calls: self.calls,
            turns: self.turns,
            empty_turns: self.empty_turns,
            manner: (self.turns > 0).then(|| round1(self.manner_sum / self.turns as f64)),
            incidents: self.incidents,
            breaches: self.breaches,
            calls_with_breach: self.calls_with_breach,
            findings: self
                .kinds
                .iter()
                .map(|(k, (n, samples))| KindSummary {
                    kind: k.key(),
                    label: k.label(),
                    skill: rules.skill_of(*k).to_string(),
                    count: *n,
                    samples: samples.clone(),
                })
                .collect(),
            acts: self.acts,
            weakest: skills,
            recommendations,
        }
    }
}

/// Library scenarios tagged with the weakest skills (in that order), not yet passed by the
/// agent as a trainee, easiest first; at most `RECOMMENDED`.
pub fn recommend(weakest: &[SkillFigure], library: &[ScenarioMeta], passed: &[String]) -> Vec<Recommendation> {
    let mut out: Vec<Recommendation> = Vec::new();
    for weak in weakest {
        let mut candidates: Vec<&ScenarioMeta> =
            library.iter().filter(|m| m.skills.contains(&weak.skill) && !passed.contains(&m.id)).collect();
        candidates.sort_by(|a, b| a.difficulty.cmp(&b.difficulty).then_with(|| a.id.cmp(&b.id)));
        for m in candidates {
            if out.len() >= RECOMMENDED {
                return out;
            }
            if !out.iter().any(|r| r.scenario_id == m.id) {
                out.push(Recommendation {
                    scenario_id: m.id.clone(),
                    title: m.title.clone(),
                    difficulty: m.difficulty,
                    reason: format!(
                        "真实通话中“{}”的问题 {} 次（每百轮 {:.1} 次）",
                        weak.label, weak.incidents, weak.per_100_turns
                    ),
                });
            }
        }
    }
    out
}

/// What a run produced.
#[derive(Debug)]
pub struct QaOutcome {
    pub totals: QaTotals,
    pub files: Vec<(PathBuf, FileStats)>,
    pub dialogues_per_file: Vec<u64>,
    /// Bad lines in input order (the first `KEEP_BAD_LINES`), and how many there were.
    pub bad_lines: Vec<(PathBuf, BadLine)>,
    pub bad_line_count: u64,
    /// Inputs that could not be opened at all.
    pub unreadable: Vec<(PathBuf, String)>,
    /// The sink failed (nothing after the failure was saved; the report is whole).
    pub sink_error: Option<String>,
}

impl QaOutcome {
    /// The report: every agent's card (by name), the totals by kind. `passed` gives the
    /// scenarios an agent has passed in practice (none when they are no trainee).
    pub fn report(
        &self,
        agents: &AgentSource,
        rules: &QaRules,
        library: &[ScenarioMeta],
        passed: &dyn Fn(&str) -> Vec<String>,
    ) -> QaReport {
        let t = &self.totals;
        let agents_from = match agents {
            AgentSource::Field(f) => format!("按字段/列“{f}”区分坐席"),
            AgentSource::Mentions => "按客户 @ 的客服账号区分（每个账号算一位坐席）".to_string(),
            AgentSource::One(name) => format!("导出没有坐席 id：全部客服回复算作一位坐席“{name}”"),
        };
        let mut incidents: Vec<KindTotal> = Vec::new();
        for kind in Kind::ALL {
            let count: u64 = t.agents.values().filter_map(|a| a.kinds.get(&kind)).map(|k| k.0).sum();
            if count > 0 {
                incidents.push(KindTotal { kind: kind.key(), label: kind.label(), count });
            }
        }
        QaReport {
            inputs: self
                .files
                .iter()
                .zip(&self.dialogues_per_file)
                .map(|((path, st), &dialogues)| InputSummary {
                    path: path.display().to_string(),
                    lines: st.lines,
                    dialogues,
                    bad_lines: st.bad_lines,
                    encoding: st.encoding.describe(),
                    error: st.error.clone(),
                })
                .collect(),
            agents_from,
            dialogues: t.dialogues,
            calls: t.calls(),
            turns_scored: t.turns(),
            bad_lines: self.bad_line_count,
            redactions: PiiKind::ALL
                .iter()
                .filter(|k| t.redactions.get(**k) > 0)
                .map(|k| RedactionTotal { kind: k.key(), label: k.label(), count: t.redactions.get(*k) })
                .collect(),
            incidents,
            agents: t.agents.iter().map(|(name, acc)| acc.card(name, rules, library, &passed(name))).collect(),
        }
    }
}

enum Msg {
    Batch(Vec<Record>),
    FileDone(usize, FileStats),
}

/// The agent of each turn of a dialogue, or why the line cannot be used.
fn agents_of(
    ctx: &QaContext,
    source: &AgentSource,
    raw: &input::RawDialogue<'_>,
    json_line: Option<&str>,
) -> Result<Vec<Option<String>>, (String, String)> {
    let n = raw.turns.len();
    Ok(match source {
        AgentSource::One(name) => vec![Some(name.clone()); n],
        AgentSource::Mentions => {
            let account = agent::mentioned_account(raw, &ctx.rules.service_account_words, &ctx.redactor)
                .unwrap_or_else(|| UNKNOWN_ACCOUNT.to_string());
            vec![Some(account); n]
        }
        AgentSource::Field(field) => match json_line {
            None => raw.turns.iter().map(|t| t.agent.as_ref().map(|a| a.to_string())).collect(),
            Some(line) => {
                let found = agent::json_agents(line, field)
                    .map_err(|e| (format!("坐席字段“{field}”无法读取：{e}"), "坐席 id 应是字符串或数字".to_string()))?;
                let answered = raw.turns.iter().any(|t| t.role == input::Role::Agent && !t.text.trim().is_empty());
                if !found.present && answered {
                    return Err((
                        format!("这段对话没有坐席字段“{field}”（对话上和各个 turn 上都没有）"),
                        "用 --agent-field 给出导出里坐席 id 的字段名；导出没有坐席 id 时改用 --agent-from-mentions 或 --agent 名字"
                            .to_string(),
                    ));
                }
                found.per_turn(n)
            }
        },
    })
}

fn process(ctx: &QaContext, source: &AgentSource, rec: Record) -> Result<(usize, DialogueQa), BadLine> {
    match rec {
        Record::Bad(b) => Err(b),
        Record::Json { input, line, text } => {
            let bad = |(reason, hint): (String, String)| BadLine { input, line, reason, hint };
            let raw = input::parse_json_line(&text).map_err(bad)?;
            let agents = agents_of(ctx, source, &raw, Some(&text)).map_err(bad)?;
            Ok((input, score::score_dialogue(ctx, raw, &agents, UNNAMED)))
        }
        Record::Dialogue { input, line, dialogue } => {
            let agents = agents_of(ctx, source, &dialogue, None).map_err(|(reason, hint)| BadLine {
                input,
                line,
                reason,
                hint,
            })?;
            Ok((input, score::score_dialogue(ctx, dialogue, &agents, UNNAMED)))
        }
    }
}

/// Reads, redacts and scores every dialogue of the inputs; each call goes to `sink` (in input
/// order) as it is merged.
pub fn run(
    opts: &QaOptions,
    ctx: &QaContext,
    mut sink: Option<&mut dyn CallSink>,
    progress: &dyn Progress,
) -> Result<QaOutcome, QaError> {
    let mut infos: Vec<InputInfo> = Vec::new();
    let mut unreadable = Vec::new();
    let agent_column = match &opts.agents {
        AgentSource::Field(f) => Some(f.clone()),
        _ => None,
    };
    for p in &opts.inputs {
        match input::probe(p) {
            Ok(i) => infos.push(InputInfo { encoding: opts.encoding, agent_column: agent_column.clone(), ..i }),
            Err(e) => unreadable.push((p.clone(), e.to_string())),
        }
    }
    if infos.is_empty() {
        return Err(QaError::Input(MineError::NoInput));
    }
    progress.start(infos.iter().map(|i| i.bytes).sum());
    let counter = Arc::new(AtomicU64::new(0));
    let mut totals = QaTotals::default();
    let mut files: Vec<FileStats> = vec![FileStats::default(); infos.len()];
    let mut dialogues_per_file = vec![0u64; infos.len()];
    let mut bad_lines: Vec<(PathBuf, BadLine)> = Vec::new();
    let mut bad_count = 0u64;
    let mut sink_error: Option<String> = None;
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Msg>(4);
        let reader_counter = counter.clone();
        let infos_ref = &infos;
        scope.spawn(move || {
            let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
            for (i, info) in infos_ref.iter().enumerate() {
                let st = input::read_file(i, info, Some(reader_counter.clone()), &mut |rec| {
                    batch.push(rec);
                    if batch.len() >= BATCH {
                        let _ = tx.send(Msg::Batch(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))));
                    }
                });
                if !batch.is_empty() {
                    let _ = tx.send(Msg::Batch(std::mem::take(&mut batch)));
                }
                let _ = tx.send(Msg::FileDone(i, st));
            }
        });
        for msg in rx {
            match msg {
                Msg::Batch(batch) => {
                    let results: Vec<_> =
                        batch.into_par_iter().with_max_len(8).map(|r| process(ctx, &opts.agents, r)).collect();
                    for r in results {
                        match r {
                            Ok((input, d)) => {
                                dialogues_per_file[input] += 1;
                                totals.add(&d, &ctx.rules);
                                if let Some(sink) = sink.as_deref_mut()
                                    && sink_error.is_none()
                                {
                                    for c in &d.calls {
                                        if let Err(e) = sink.save(c) {
                                            sink_error = Some(e);
                                            break;
                                        }
                                    }
                                }
                            }
                            Err(b) => {
                                bad_count += 1;
                                if bad_lines.len() < KEEP_BAD_LINES {
                                    bad_lines.push((infos[b.input].path.clone(), ctx.redactor.redact_bad_line(b)));
                                }
                            }
                        }
                    }
                    progress.update(counter.load(Ordering::Relaxed), totals.dialogues);
                }
                Msg::FileDone(i, st) => files[i] = st,
            }
        }
    });
    progress.finish();
    bad_lines.sort_by_key(|(_, b)| (b.input, b.line));
    let files: Vec<(PathBuf, FileStats)> = infos.iter().map(|i| i.path.clone()).zip(files).collect();
    if totals.dialogues == 0 {
        return Err(QaError::NoDialogues { bad: bad_count, lines: bad_lines, files });
    }
    Ok(QaOutcome { totals, files, dialogues_per_file, bad_lines, bad_line_count: bad_count, unreadable, sink_error })
}
