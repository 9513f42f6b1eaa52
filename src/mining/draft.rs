//! Writing one draft scenario per case family: persona and starting mood from the real emotion
//! curve, customer lines from real (redacted) customer turns, concepts from what well-rated
//! agents said, red lines from what poorly rated agents said, the escalation policy from where
//! real transfers happened, model answers from real agent turns, and provenance.
//!
//! The RON is written by hand so that fields come in a fixed, readable order with comments
//! that show the evidence (which dialogue, what satisfaction) next to each value.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::mining::analyze::{Persona, TurnFacts};
use crate::mining::calibrate::{mood_of, ron_float, ron_string};
use crate::mining::family::{Family, POSITIONS, Rep};
use crate::mining::input::Role;
use crate::mining::redact::PiiKind;
use crate::mining::vocab::{is_term, is_topic_word};
use crate::scenario::compiled::{CompiledScenario, content_hash};
use crate::scenario::schema::{Channel, EscalationPolicy, Scenario, Skill, ToneGoal};
use crate::scoring::samples::run_samples;
use crate::scoring::turn::{AnswerContext, score_answer};
use crate::session::Engine;
use crate::text::Analyzer;
use crate::text::acts::{Act, ActHit, ActReport};
use crate::text::normalize::normalize;

/// Longest customer line or model answer kept (characters).
pub const MAX_LINE_CHARS: usize = 120;
/// Customer line variants per turn.
pub const VARIANTS: usize = 3;
/// Most scripted turns (before the supervisor turn).
pub const MAX_TURNS: usize = 3;

/// Invented names for the drafts' customers (the real ones are never kept).
const NAMES: [(&str, &str, &str); 10] = [
    ("张伟", "张先生", "先生"),
    ("李娜", "李女士", "女士"),
    ("王强", "王先生", "先生"),
    ("刘芳", "刘女士", "女士"),
    ("陈杰", "陈先生", "先生"),
    ("杨静", "杨女士", "女士"),
    ("赵磊", "赵先生", "先生"),
    ("黄敏", "黄女士", "女士"),
    ("周军", "周先生", "先生"),
    ("吴霞", "吴女士", "女士"),
];

/// Everything a draft is made from.
pub struct DraftInput<'a> {
    pub family: &'a Family,
    /// The family's id, e.g. "mined-angry-03".
    pub id: String,
    /// 0-based position of the family in the output, for the invented name.
    pub ordinal: usize,
    /// The topic word (the seed), if any.
    pub topic: Option<String>,
    /// Words that characterise the family's customers, best first.
    pub customer_keywords: Vec<String>,
    /// Words well-rated agents of the family said much more than agents overall:
    /// (word, share of well-rated dialogues, lift over the corpus).
    pub agent_keywords: Vec<(String, f32, f32)>,
    /// Names of the synonym groups (bit order of `TurnFacts::groups`).
    pub group_names: &'a [String],
    pub channel: Channel,
    /// Well-rated agents of angry customers across the corpus, searched after the family's own
    /// for an apology to open a model answer that soothes no one.
    pub soothers: &'a [&'a Rep],
}

/// A written draft.
#[derive(Debug, Clone)]
pub struct Draft {
    pub id: String,
    pub title: String,
    pub ron: String,
    pub scenario: Scenario,
    /// Sample scores at mining time: (turn, good or bad, score).
    pub sample_scores: Vec<(String, bool, f32)>,
    /// The draft's own tests (`peilian test`: samples and model answers) and how many failed.
    pub tests: usize,
    pub failed_tests: usize,
}

struct Noted<T> {
    value: T,
    note: String,
}

struct ConceptPlan {
    key: String,
    label: String,
    groups: Vec<String>,
    acts: Vec<Act>,
    soothes: bool,
    note: String,
}

struct TurnPlan {
    id: String,
    customer: Vec<Noted<String>>,
    required: Vec<String>,
    optional: Vec<String>,
    tone: Vec<ToneGoal>,
    model_answer: Noted<String>,
    next: Vec<(String, String)>,
    demands_supervisor: bool,
    /// Poorly rated agents' real answers at this point, with where each is from.
    bad_answers: Vec<(String, String)>,
}

struct SamplePlan {
    turn: String,
    answer: String,
    range: (f32, f32),
    good: bool,
    note: String,
    score: Option<f32>,
}

struct Plan {
    header: Vec<String>,
    id: String,
    title: String,
    tags: Vec<String>,
    skills: Vec<Skill>,
    difficulty: u8,
    channel: Channel,
    provenance: Vec<String>,
    briefing: String,
    persona: Persona,
    name: (String, String),
    vip_tier: Option<String>,
    mood: Noted<u8>,
    patience: u32,
    sensitivity: f32,
    supervisor_lines: Vec<Noted<String>>,
    concepts: Vec<ConceptPlan>,
    forbidden: Vec<Noted<Act>>,
    turns: Vec<TurnPlan>,
    endings: Vec<(String, &'static str, Vec<Noted<String>>)>,
    policy: EscalationPolicy,
    rationale: String,
    handoff: Vec<(String, Vec<String>)>,
    coaching: Vec<String>,
    samples: Vec<SamplePlan>,
}

fn pct(x: f32) -> String {
    format!("{:.0}%", x * 100.0)
}

fn quality_text(r: &Rep) -> String {
    match r.facts.labels.satisfaction {
        Some(s) => format!("满意度 {s:+.2}"),
        None => format!("语气估计 {:+.2}", r.facts.quality()),
    }
}

/// Non-empty turns of a dialogue.
fn turns(r: &Rep) -> Vec<&TurnFacts> {
    r.facts.turns.iter().filter(|t| !t.is_empty()).collect()
}

/// The k-th customer turn (0-based) and the agent's answer right after it, if any.
fn exchange(r: &Rep, k: usize) -> Option<(&TurnFacts, Option<&TurnFacts>)> {
    let ts = turns(r);
    let mut seen = 0;
    for (i, t) in ts.iter().enumerate() {
        if t.role == Role::Customer {
            if seen == k {
                let answer = ts.get(i + 1).filter(|a| a.role == Role::Agent).copied();
                return Some((t, answer));
            }
            seen += 1;
        }
    }
    None
}

/// The k-th customer line (cleaned, not a closing acknowledgement) and the agent's cleaned
/// answer to it, when both are usable.
fn usable_exchange(r: &Rep, k: usize) -> Option<(String, (&TurnFacts, String))> {
    let (c, a) = exchange(r, k)?;
    let a = a?;
    let line = speech_line(&c.text, Speaker::Customer)?;
    if is_ack(&line) {
        return None;
    }
    // Every earlier line must be usable too: the script follows the dialogue.
    if k > 0 && usable_exchange(r, k - 1).is_none() {
        return None;
    }
    Some((line, (a, speech_line(&a.text, Speaker::Agent)?)))
}

/// What the family's representatives' agents did: the acts of each one's answers, by answer
/// position (the first `POSITIONS` agent turns that say something).
struct ActUse<'a> {
    reps: Vec<(&'a Rep, Vec<ActReport>)>,
}

impl<'a> ActUse<'a> {
    fn new(analyzer: &Analyzer, reps: &[&'a Rep]) -> Self {
        let reps = reps
            .iter()
            .map(|r| {
                let acts = r
                    .facts
                    .agent_turns()
                    .filter(|t| !t.is_empty())
                    .take(POSITIONS)
                    .map(|t| analyzer.acts_of(&analyzer.analyze(&t.text)))
                    .collect();
                (*r, acts)
            })
            .collect();
        ActUse { reps }
    }

    /// Representatives with an answer at `pos`.
    fn answers(&self, pos: usize) -> usize {
        self.reps.iter().filter(|(_, a)| a.len() > pos).count()
    }

    /// Of those, how many performed `act` there.
    fn count(&self, pos: usize, act: Act) -> usize {
        self.reps.iter().filter(|(_, a)| a.get(pos).is_some_and(|r| r.has(act))).count()
    }

    fn share(&self, pos: usize, act: Act) -> f32 {
        let n = self.answers(pos);
        if n == 0 { 0.0 } else { self.count(pos, act) as f32 / n as f32 }
    }

    /// Representatives that performed `act` in any answer, and the first such answer's hit.
    fn anywhere(&self, act: Act) -> (usize, Option<(&'a Rep, ActHit)>) {
        let mut n = 0;
        let mut first = None;
        for (r, answers) in &self.reps {
            if let Some(hit) = answers.iter().find_map(|a| a.first(act)) {
                n += 1;
                if first.is_none() {
                    first = Some((*r, hit.clone()));
                }
            }
        }
        (n, first)
    }
}

/// Acts a draft's turns may expect, as concepts: (act, key, label, synonym group).
const ACT_CONCEPTS: [(Act, &str, &str, Option<&str>); 10] = [
    (Act::Apologize, "apology", "致歉", Some("道歉")),
    (Act::Empathize, "empathy", "体谅客户的感受", Some("共情")),
    (Act::Reassure, "reassure", "安抚客户", Some("安抚")),
    (Act::Ask, "ask_details", "询问所需信息", None),
    (Act::Confirm, "confirm", "确认已知信息", None),
    (Act::Explain, "explain", "解释原因或规定", None),
    (Act::Guide, "guide", "指导客户操作", None),
    (Act::Commit, "commit", "承诺跟进（做什么、何时）", None),
    (Act::Done, "report_done", "告知已经办理", None),
    (Act::Offer, "offer", "提供解决办法", None),
];

/// What an answer is about, as concepts from synonym groups: (group, key, label).
const TOPIC_CONCEPTS: [(&str, &str, &str); 4] = [
    ("退款", "refund", "说明退款"),
    ("补偿", "compensation", "说明补偿"),
    ("权限说明", "authority", "说明权限范围"),
    ("时效", "timeline", "告知办理时限"),
];

/// Why a family gets no draft.
pub type NoDraft = String;

/// Builds the draft and its RON text: the script follows one well-rated dialogue (the anchor);
/// every anchor is tried with its whole script and with each shorter one, and the draft kept
/// is the first that passes its own tests (`peilian test`: the samples and the model answers),
/// longer scripts first — else the one with the fewest failures.
pub fn build(input: &DraftInput, analyzer: &Analyzer) -> Result<Draft, NoDraft> {
    let f = input.family;
    let good: Vec<&Rep> = f.good_reps.items.iter().collect();
    let poor: Vec<&Rep> = f.poor_reps.items.iter().collect();
    let anchors = anchor_order(input.family.key.1, &good);
    if anchors.is_empty() {
        return Err(match f.key.1 {
            Persona::Angry => "代表对话的客户开场都不生气，不出“愤怒”草稿".into(),
            _ => "代表对话里没有能照着演的客户原话和坐席回复".into(),
        });
    }
    let good_acts = ActUse::new(analyzer, &good);
    let poor_acts = ActUse::new(analyzer, &poor);
    let mut analyzer = analyzer.clone();
    // Every anchor, each with its whole script and with every shorter one (a later exchange
    // whose real answer fails the draft is left out rather than taught).
    let mut tried: Vec<(Plan, CompiledScenario)> = Vec::new();
    for &anchor in &anchors {
        for (len, supervisor) in (1..=script_len(good[anchor])).rev().flat_map(|n| [(n, true), (n, false)]) {
            let plan = plan(input, &analyzer, anchor, len, supervisor, &good_acts, &poor_acts);
            // Without a supervisor turn to leave out, the same plan as the one just made.
            if !supervisor && tried.last().is_some_and(|(p, _)| !p.turns.iter().any(|t| t.demands_supervisor)) {
                continue;
            }
            let ron = emit(&plan);
            let scenario = parse_draft(&ron)?;
            let compiled = CompiledScenario::compile(scenario, &mut analyzer, None, content_hash(ron.as_bytes()))
                .map_err(|e| format!("草稿无法编译：{e}"))?;
            tried.push((plan, compiled));
        }
    }
    let analyzer = Arc::new(analyzer);
    // The first that passes its own tests, longer scripts first; else the fewest failures.
    let mut best: Option<((bool, usize), Draft)> = None;
    for (mut plan, compiled) in tried {
        add_bad_samples(&mut plan, &analyzer, &compiled);
        let ron = emit(&plan);
        let scenario = parse_draft(&ron)?;
        let mut compiled = compiled;
        compiled.scenario.samples = scenario.samples.clone();
        let engine = Engine::new(analyzer.clone(), Arc::new(compiled));
        let results = run_samples(&engine);
        let failed = results.iter().filter(|r| !r.passed).count();
        // Passing first; then the longer script, with the supervisor turn before without.
        let with_supervisor = usize::from(plan.turns.iter().any(|t| t.demands_supervisor));
        let scripted = 2 * (plan.turns.len() - with_supervisor) + with_supervisor;
        let rank = if failed == 0 { (false, usize::MAX - scripted) } else { (true, failed) };
        if best.as_ref().is_some_and(|(r, _)| *r <= rank) {
            continue;
        }
        let sample_scores = plan.samples.iter().filter_map(|s| Some((s.turn.clone(), s.good, s.score?))).collect();
        let draft = Draft {
            id: plan.id.clone(),
            title: plan.title.clone(),
            ron,
            scenario,
            sample_scores,
            tests: results.len(),
            failed_tests: failed,
        };
        best = Some((rank, draft));
    }
    best.map(|(_, d)| d).ok_or_else(|| "代表对话里没有能照着演的客户原话和坐席回复".to_string())
}

/// A written draft read back (a draft that does not parse is a bug, reported for the family
/// rather than panicking the whole run).
fn parse_draft(ron: &str) -> Result<Scenario, NoDraft> {
    crate::ron_file::options().from_str(ron).map_err(|e| format!("草稿无法解析（请报告此问题）：{e}"))
}

/// A poorly rated agent's real answer for each turn that the draft scores below the pass mark
/// (the first such, in the order the family keeps them): what a weak answer looks like.
fn add_bad_samples(plan: &mut Plan, analyzer: &Analyzer, compiled: &CompiledScenario) {
    let mut added = Vec::new();
    for (k, tp) in plan.turns.iter().enumerate() {
        let Some(turn) = compiled.turn_index(&tp.id) else { continue };
        let ctx = AnswerContext { turn, mood_before: f32::from(plan.mood.value), latency_secs: None };
        if let Some(good) = plan.samples.iter_mut().find(|s| s.turn == tp.id && s.good) {
            good.score = Some(score_answer(analyzer, compiled, &good.answer, &ctx).overall);
        }
        if tp.demands_supervisor {
            continue;
        }
        for (passed_over, (text, note)) in tp.bad_answers.iter().enumerate() {
            let score = score_answer(analyzer, compiled, text, &ctx).overall;
            if score < pass_mark() {
                let told = if passed_over > 0 {
                    format!("；此前 {passed_over} 条差评回复得分不低于 {:.0}，本草稿没能区分", pass_mark())
                } else {
                    String::new()
                };
                added.push((
                    k,
                    SamplePlan {
                        turn: tp.id.clone(),
                        answer: text.clone(),
                        range: (0.0, pass_mark()),
                        good: false,
                        note: format!("差评原话：{note}{told}"),
                        score: Some(score),
                    },
                ));
                break;
            }
        }
    }
    // Each bad sample right after its turn's good one.
    for (k, s) in added.into_iter().rev() {
        let id = &plan.turns[k].id;
        let at = plan.samples.iter().rposition(|x| &x.turn == id).map_or(plan.samples.len(), |i| i + 1);
        plan.samples.insert(at, s);
    }
}

/// The pass mark a draft's model answers must reach and its weak samples stay under (the
/// default rubric's, which drafts keep).
fn pass_mark() -> f32 {
    crate::scenario::schema::Rubric::default().pass_mark
}

/// The clause of the first well-rated first answer among `good` that apologises or
/// acknowledges feelings (and does nothing wrong) and that `answer` does not already hold, with
/// its dialogue's id.
fn soothing_clause<'r>(
    analyzer: &Analyzer,
    good: impl IntoIterator<Item = &'r Rep>,
    answer: &str,
) -> Option<(String, String)> {
    good.into_iter().find_map(|r| {
        let text = speech_line(&exchange(r, 0)?.1?.text, Speaker::Agent)?;
        let acts = analyzer.acts_of(&analyzer.analyze(&text));
        if acts.conduct().next().is_some() {
            return None;
        }
        // An apology or words for the feeling: a reassurance carries its own matter (请您放心付款).
        let hit = acts.performed().find(|h| matches!(h.act, Act::Apologize | Act::Empathize) && !h.negated)?;
        // Without the chat's "亲" (很抱歉亲): the model answer is spoken.
        let chat = |c: char| !c.is_alphanumeric() || c == '亲';
        let clause = hit.quote.trim_end_matches(chat).trim_start_matches(chat).trim().to_string();
        (clause.chars().count() >= 2 && !answer.contains(&clause)).then(|| (clause, r.facts.id.clone()))
    })
}

/// `answer` opened with a soothing clause, after its greeting when it has one
/// ("您好，非常抱歉给您添麻烦了，您手机是什么机型…").
fn with_soothing(answer: &str, clause: &str) -> String {
    let greeting_end = answer.find("您好").map(|i| i + "您好".len()).filter(|&end| end <= 24).and_then(|end| {
        let next = answer[end..].chars().next()?;
        "，,！!。 ".contains(next).then(|| end + next.len_utf8())
    });
    match greeting_end {
        Some(end) => format!("{}{clause}，{}", &answer[..end], answer[end..].trim_start()),
        None => format!("{clause}，{answer}"),
    }
}

/// A VIP's model answer addresses them by their title (the real name was redacted): "刘女士，您好…".
fn with_title(answer: &str, title: &str) -> String {
    if answer.contains(title) {
        answer.to_string()
    } else if let Some(rest) = answer.strip_prefix("您好") {
        format!("{title}，您好{rest}")
    } else {
        format!("{title}，{answer}")
    }
}

/// Whether a representative's opening fits the family's persona: an angry draft opens with an
/// angry line (or a complaint), not with praise.
fn fits(persona: Persona, r: &Rep) -> bool {
    match persona {
        Persona::Angry => r
            .facts
            .customer_turns()
            .find(|t| !t.is_empty())
            .is_some_and(|t| t.anger >= crate::mining::analyze::ANGRY_ANGER || t.complaint),
        _ => true,
    }
}

/// How many exchanges of a representative can be scripted (at most `MAX_TURNS`).
fn script_len(r: &Rep) -> usize {
    (0..MAX_TURNS).take_while(|&k| usable_exchange(r, k).is_some()).count()
}

/// The representatives a script may follow, best first: well-rated before the rest, two or
/// more exchanges before one; only those whose opening fits the persona.
fn anchor_order(persona: Persona, good: &[&Rep]) -> Vec<usize> {
    let rated = |r: &Rep| r.facts.rating() == crate::mining::analyze::Rating::Good;
    let mut order: Vec<(u8, usize)> = good
        .iter()
        .enumerate()
        .filter(|(_, r)| fits(persona, r))
        .filter_map(|(i, r)| {
            let n = script_len(r);
            let rank = match (rated(r), n >= 2, n >= 1) {
                (_, _, false) => return None,
                (true, true, _) => 0,
                (true, false, _) => 1,
                (false, true, _) => 2,
                (false, false, _) => 3,
            };
            Some((rank, i))
        })
        .collect();
    order.sort();
    order.into_iter().map(|(_, i)| i).collect()
}

/// Whether an answer to a supervisor demand does something for the customer (soothes, hands
/// on, explains …) with no conduct a draft would teach: not a bare "请您耐心等待".
fn answers_a_demand(acts: &ActReport) -> bool {
    let soothes = acts.performed().any(|h| h.act.soothes());
    (acts.substantive() || soothes) && acts.conduct().next().is_none()
}

/// The plan of a draft whose script follows `good[anchor]` for `len` exchanges, with the
/// family's supervisor turn when `supervisor` (and the family has one).
fn plan(
    input: &DraftInput,
    analyzer: &Analyzer,
    anchor: usize,
    len: usize,
    supervisor: bool,
    good_acts: &ActUse,
    poor_acts: &ActUse,
) -> Plan {
    let f = input.family;
    let persona = f.key.1;
    let good: Vec<&Rep> = f.good_reps.items.iter().collect();
    let poor: Vec<&Rep> = f.poor_reps.items.iter().collect();
    let topic = input.topic.clone().unwrap_or_else(|| "其他".into());

    // --- Turns: the anchor dialogue gives the story; other well-rated dialogues add variants
    // of the same line. ---
    let words = |text: &str| -> Vec<String> {
        let a = analyzer.analyze(text);
        let mut w: Vec<String> =
            a.tokens.iter().map(|t| a.norm[t.span.clone()].to_string()).filter(|w| is_term(w)).collect();
        w.sort();
        w.dedup();
        w
    };
    let (name, address, _) = NAMES[input.ordinal % NAMES.len()];
    let mut used_ids: Vec<String> = Vec::new();
    let mut turn_plans: Vec<TurnPlan> = Vec::new();
    // The anchor's real answers and their acts, for the concepts a model answer must carry.
    let mut model_acts: Vec<ActReport> = Vec::new();
    let a = good[anchor];
    let upset = matches!(persona, Persona::Angry) || mood_of(f.mean_first_anger()) >= 50.0;
    for k in 0..len.min(script_len(a)) {
        let (line, answer) = usable_exchange(a, k).expect("counted above");
        let mut variants =
            vec![Noted { value: line.clone(), note: format!("对话 {}（{}）", a.facts.id, quality_text(a)) }];
        push_unique(&mut used_ids, &a.facts.id);
        // Variants: the same point in other well-rated dialogues, when it shares words with
        // the anchor's line.
        let anchor_words: Vec<String> = words(&line).into_iter().filter(|w| is_topic_word(w)).collect();
        for (ri, r) in good.iter().enumerate() {
            if ri == anchor || variants.len() == VARIANTS || (k == 0 && !fits(persona, r)) {
                continue;
            }
            let Some((text, _)) = usable_exchange(r, k) else { continue };
            let theirs: Vec<String> = words(&text).into_iter().filter(|w| is_topic_word(w)).collect();
            let shared = theirs.iter().filter(|w| anchor_words.contains(w)).count();
            let union = anchor_words.len() + theirs.len() - shared;
            let similar = shared >= 2 && shared as f32 >= 0.15 * union as f32;
            if similar && text.chars().count() <= 100 && !variants.iter().any(|v| v.value == text) {
                variants.push(Noted { value: text, note: format!("对话 {}（{}）", r.facts.id, quality_text(r)) });
                push_unique(&mut used_ids, &r.facts.id);
            }
        }
        let (model, titled) = match persona {
            Persona::Vip if !answer.1.contains(address) => (with_title(&answer.1, address), "；称谓为草稿所加"),
            _ => (answer.1.clone(), ""),
        };
        let mut acts = analyzer.acts_of(&analyzer.analyze(&model));
        // An upset customer is soothed before anything else: when the anchor's real first
        // answer does not, the soothing words of another well-rated agent (of the family first,
        // then of any angry family) open it.
        let unsoothed = upset && k == 0 && !acts.performed().any(|h| h.act.soothes() && !h.negated);
        let found =
            unsoothed.then(|| soothing_clause(analyzer, good.iter().chain(input.soothers).copied(), &model)).flatten();
        let (model, soothed) = match found {
            Some((clause, id)) => {
                let opened = with_soothing(&model, &clause);
                acts = analyzer.acts_of(&analyzer.analyze(&opened));
                (opened, format!("；开头的安抚取自对话 {id}"))
            }
            None => (model, String::new()),
        };
        model_acts.push(acts);
        // Poorly rated agents' answers at the same point, for a bad sample.
        let bad_answers = poor
            .iter()
            .filter_map(|r| {
                let (_, a) = exchange(r, k)?;
                let text = speech_line(&a?.text, Speaker::Agent)?;
                (text != answer.1).then(|| (text, format!("对话 {} 的坐席回复（{}）", r.facts.id, quality_text(r))))
            })
            .collect();
        turn_plans.push(TurnPlan {
            id: if k == 0 { "open".to_string() } else { format!("follow_{k}") },
            customer: variants,
            required: Vec::new(),
            optional: Vec::new(),
            tone: Vec::new(),
            model_answer: Noted {
                value: model,
                note: format!("对话 {} 的坐席回复（{}{titled}{soothed}）", a.facts.id, quality_text(a)),
            },
            next: Vec::new(),
            demands_supervisor: false,
            bad_answers,
        });
    }

    // --- Concepts: acts that well-rated agents of the family performed at that answer more
    // often than poorly rated ones; required when the model answer (a real well-rated reply)
    // performs it too, otherwise optional. Then the topic groups, from the whole family. ---
    let mut concepts: Vec<ConceptPlan> = Vec::new();
    let group_index = |name: &str| input.group_names.iter().position(|g| g == name);
    for (k, tp) in turn_plans.iter_mut().enumerate() {
        let pos = k.min(POSITIONS - 1);
        let poor_n = poor_acts.answers(pos);
        let mut scored: Vec<(f32, f32, usize)> = ACT_CONCEPTS
            .iter()
            .enumerate()
            .map(|(i, (act, ..))| {
                let p = if poor_n >= 3 { poor_acts.share(pos, *act) } else { 0.0 };
                (good_acts.share(pos, *act), p, i)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));
        for (g, p, i) in scored {
            let (act, key, label, group) = ACT_CONCEPTS[i];
            let in_model = model_acts[k].has(act);
            let evidence = good_acts.count(pos, act) >= 2 && g >= 0.25 && g >= p + 0.05;
            // An upset customer's first answer soothes first when the real one did
            // (先安抚情绪，再解决问题).
            let soothing = upset && k == 0 && in_model && act.soothes() && !tp.tone.contains(&ToneGoal::SootheFirst);
            let required = in_model && (soothing || (evidence && tp.required.len() < 2));
            let optional = !required && evidence && tp.optional.len() < 2;
            if !(required || optional) {
                continue;
            }
            if soothing && !tp.tone.contains(&ToneGoal::SootheFirst) {
                tp.tone.push(ToneGoal::SootheFirst);
            }
            let label = match (act, model_acts[k].first(Act::Ask).and_then(|h| h.detail.clone())) {
                (Act::Ask, Some(what)) if required => format!("询问{what}"),
                _ => label.to_string(),
            };
            if !concepts.iter().any(|c| c.key == key) {
                let poor_note = if poor_n >= 3 {
                    format!("，差评代表 {poor_n} 段中 {} 段", poor_acts.count(pos, act))
                } else {
                    String::new()
                };
                concepts.push(ConceptPlan {
                    key: key.into(),
                    label,
                    groups: group.map(|g| vec![g.to_string()]).unwrap_or_default(),
                    acts: vec![act],
                    soothes: act.soothes(),
                    note: format!(
                        "好评代表对话第 {} 次回复 {} 段中 {} 段{}{poor_note}",
                        k + 1,
                        good_acts.answers(pos),
                        good_acts.count(pos, act),
                        act.label()
                    ),
                });
            }
            if required { tp.required.push(key.into()) } else { tp.optional.push(key.into()) }
        }
        for (group, key, label) in TOPIC_CONCEPTS {
            let Some(bit) = group_index(group) else { continue };
            let g = f.groups_good.share(pos, bit);
            let p = if f.groups_poor.answers[pos] >= 3 { f.groups_poor.share(pos, bit) } else { 0.0 };
            let model = normalize(&tp.model_answer.value);
            let in_model = analyzer
                .lexicons()
                .group(group)
                .is_some_and(|ps| ps.iter().map(|w| normalize(w)).any(|w| !w.is_empty() && model.contains(&w)));
            if !(in_model && g >= 0.25 && g >= p + 0.05) || tp.optional.len() >= 3 {
                continue;
            }
            if !concepts.iter().any(|c| c.key == key) {
                let poor_note =
                    if f.groups_poor.answers[pos] >= 3 { format!("，差评 {}", pct(p)) } else { String::new() };
                concepts.push(ConceptPlan {
                    key: key.into(),
                    label: label.into(),
                    groups: vec![group.into()],
                    acts: Vec::new(),
                    soothes: false,
                    note: format!("本类好评对话第 {} 次回复中 {} 说到“{group}”{poor_note}", k + 1, pct(g)),
                });
            }
            tp.optional.push(key.into());
        }
    }

    // --- Red lines: conduct poorly rated agents of the family showed and well-rated ones did
    // not (blame, brushing off, mockery …), as acts, with the words that showed it. ---
    let mut forbidden: Vec<(usize, Noted<Act>)> = Vec::new();
    for act in Act::ALL.into_iter().filter(|a| a.is_conduct()) {
        let (n, example) = poor_acts.anywhere(act);
        let (in_good, _) = good_acts.anywhere(act);
        let in_model = model_acts.iter().any(|m| m.has(act));
        let Some((r, hit)) = example.filter(|_| in_good == 0 && !in_model) else { continue };
        push_unique(&mut used_ids, &r.facts.id);
        forbidden.push((
            n,
            Noted {
                value: act,
                note: format!(
                    "差评代表对话 {} 段中 {n} 段的坐席{}，例如对话 {}（{}）：「{}」",
                    poor_acts.reps.len(),
                    act.label(),
                    r.facts.id,
                    quality_text(r),
                    shorten(&hit.quote, 40)
                ),
            },
        ));
    }
    forbidden.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.value.cmp(&b.1.value)));
    let forbidden: Vec<Noted<Act>> = forbidden.into_iter().take(3).map(|(_, n)| n).collect();

    // --- Supervisor demands and the escalation policy. ---
    let demand_rate = f.rate(f.demands);
    let mut supervisor_lines: Vec<Noted<String>> = Vec::new();
    let mut supervisor_answer: Option<Noted<String>> = None;
    for r in &f.demand_reps.items {
        let ts = turns(r);
        let Some(i) = ts.iter().position(|t| t.role == Role::Customer && t.demand) else { continue };
        let Some(text) = demand_sentence(&ts[i].text) else { continue };
        if supervisor_lines.iter().any(|l| l.value == text) || supervisor_lines.len() == 2 {
            continue;
        }
        supervisor_lines.push(Noted { value: text, note: format!("对话 {}（{}）", r.facts.id, quality_text(r)) });
        push_unique(&mut used_ids, &r.facts.id);
        if supervisor_answer.is_none()
            && let Some(a) = ts.get(i + 1).filter(|a| a.role == Role::Agent)
            && let Some(text) = speech_line(&a.text, Speaker::Agent)
            && answers_a_demand(&analyzer.acts_of(&analyzer.analyze(&text)))
        {
            supervisor_answer = Some(Noted {
                value: text,
                note: format!("对话 {} 的坐席回复（{}）", r.facts.id, quality_text(r)),
            });
        }
    }

    let n_turns = turn_plans.len() as u32;
    let good_n = f.good.max(1);
    let transfer_rate = if f.good >= 3 { f.good_transfers as f32 / good_n as f32 } else { f.rate(f.transfers) };
    let transfer_at = (1..f.good_transfer_at.len())
        .max_by(|&a, &b| f.good_transfer_at[a].cmp(&f.good_transfer_at[b]).then(b.cmp(&a)))
        .filter(|&p| f.good_transfer_at[p] > 0)
        .unwrap_or(1) as u32;
    let with_supervisor = supervisor && supervisor_answer.is_some() && demand_rate >= 0.1;
    let base = if f.good >= 3 { "好评对话" } else { "本类对话" };
    let (policy, rationale) = if with_supervisor {
        (
            EscalationPolicy::OnTrigger {
                triggers: vec![crate::scenario::schema::Trigger::DemandsSupervisor],
                grace: 1,
            },
            format!(
                "本类 {} 段对话中 {} 的客户要求找领导或转人工；客户明确提出时应在一个回合内转接。{base}中坐席转交的比例为 {}。",
                f.dialogues,
                pct(demand_rate),
                pct(transfer_rate)
            ),
        )
    } else if transfer_rate >= 0.5 {
        let from = transfer_at.clamp(1, n_turns);
        (
            EscalationPolicy::Window { from, to: (from + 1).min(n_turns.max(from)) },
            format!("{base}中 {} 在第 {from} 次回复时把问题转交相关部门或专人，转交是常规做法。", pct(transfer_rate)),
        )
    } else if transfer_rate >= 0.2 {
        (
            EscalationPolicy::Either,
            format!("{base}中 {} 转交了相关部门，其余由坐席自行处理：两种做法都可以。", pct(transfer_rate)),
        )
    } else {
        (
            EscalationPolicy::SolveYourself,
            format!("{base}中只有 {} 转交，坐席通常自己处理：不必转接。", pct(transfer_rate)),
        )
    };
    let handoff = match policy {
        EscalationPolicy::Window { .. } | EscalationPolicy::OnTrigger { .. } => {
            let mut facts = Vec::new();
            let mut issue: Vec<String> = input.topic.iter().cloned().collect();
            for w in input.customer_keywords.iter().take(3) {
                if !issue.contains(w) {
                    issue.push(w.clone());
                }
            }
            if !issue.is_empty() {
                facts.push(("问题".to_string(), issue));
            }
            facts.push((
                "客户情绪".to_string(),
                ["情绪", "生气", "着急", "不满", "激动", "投诉"].map(String::from).to_vec(),
            ));
            facts
        }
        _ => Vec::new(),
    };

    // Branches: the customer may demand a supervisor from any turn; the last turn ends the call.
    let last = turn_plans.len() - 1;
    for (i, tp) in turn_plans.iter_mut().enumerate() {
        if with_supervisor {
            tp.next.push(("MoodAtLeast(85)".into(), "supervisor".into()));
        }
        if i == last {
            if !forbidden.is_empty() {
                tp.next.push(("RedLine".into(), "unresolved".into()));
            }
            tp.next.push(("Always".into(), "resolved".into()));
        }
    }
    if let Some(model) = supervisor_answer.filter(|_| with_supervisor) {
        let acts = analyzer.acts_of(&analyzer.analyze(&model.value));
        let required = concepts
            .iter()
            .filter(|c| c.soothes && c.acts.iter().any(|&a| acts.has(a)))
            .map(|c| c.key.clone())
            .take(1)
            .collect();
        turn_plans.push(TurnPlan {
            id: "supervisor".into(),
            customer: supervisor_lines.iter().map(|l| Noted { value: l.value.clone(), note: l.note.clone() }).collect(),
            required,
            optional: Vec::new(),
            tone: Vec::new(),
            model_answer: model,
            next: vec![("Always".into(), "unresolved".into())],
            demands_supervisor: true,
            bad_answers: Vec::new(),
        });
    }

    // --- Endings from how real dialogues ended. ---
    // Resolved: how satisfied customers closed ("好的，谢谢"); unresolved: the last word of
    // customers in poorly rated dialogues.
    let mut resolved_lines: Vec<Noted<String>> = Vec::new();
    for r in &good {
        for c in r.facts.customer_turns().filter(|t| !t.is_empty()) {
            let Some(text) = speech_line(&c.text, Speaker::Customer) else { continue };
            if is_ack(&text)
                && c.anger < 0.3
                && !resolved_lines.iter().any(|o| o.value == text)
                && resolved_lines.len() < 2
            {
                resolved_lines
                    .push(Noted { value: text, note: format!("对话 {}（{}）", r.facts.id, quality_text(r)) });
            }
        }
    }
    let mut unresolved_lines: Vec<Noted<String>> = Vec::new();
    for r in &poor {
        let ts = turns(r);
        let Some(last) = ts.last().filter(|t| t.role == Role::Customer && ts.len() >= 3) else { continue };
        let Some(text) = speech_line(&last.text, Speaker::Customer) else { continue };
        if text.chars().count() <= 80
            && !is_ack(&text)
            && !profane(&text)
            && !unresolved_lines.iter().any(|o| o.value == text)
            && unresolved_lines.len() < 2
        {
            unresolved_lines
                .push(Noted {
                    value: text, note: format!("对话 {} 的最后一句（{}）", r.facts.id, quality_text(r))
                });
        }
    }
    let endings = vec![
        ("resolved".to_string(), "Resolved", resolved_lines),
        ("unresolved".to_string(), "Unresolved", unresolved_lines),
        ("hung_up".to_string(), "HungUp", Vec::new()),
        ("transferred".to_string(), "Transferred", Vec::new()),
    ];

    // --- Samples: the model answers (good); poorly rated agents' answers (bad) are added
    // once the draft can score them (`add_bad_samples`). ---
    let samples = turn_plans
        .iter()
        .map(|tp| SamplePlan {
            turn: tp.id.clone(),
            answer: tp.model_answer.value.clone(),
            range: (pass_mark(), 100.0),
            good: true,
            note: format!("好评原话：{}", tp.model_answer.note),
            score: None,
        })
        .collect();

    // --- Persona. ---
    let first_anger = f.mean_first_anger();
    let mood = ((mood_of(first_anger) / 5.0).round() * 5.0).clamp(20.0, 85.0) as u8;
    let mood = Noted {
        value: mood,
        note: format!(
            "起始情绪：本类对话客户第一句的平均愤怒分 {first_anger:.2} → 20 + 70 × {first_anger:.2} ≈ {mood}（取整到 5）"
        ),
    };
    let vip_tier = if persona == Persona::Vip {
        f.vip_words.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(w, _)| w.clone())
    } else {
        None
    };
    let patience = match persona {
        Persona::Vip => 15,
        Persona::Angry | Persona::Anxious => 20,
        Persona::Elderly => 40,
        Persona::Normal => 30,
    };
    let sensitivity = match persona {
        Persona::Angry | Persona::Vip => 1.2,
        _ => 1.0,
    };

    // --- Header, skills, difficulty, briefing, coaching. ---
    let mut skills = match persona {
        Persona::Angry => vec![Skill::Empathy, Skill::Deescalation],
        Persona::Vip => vec![Skill::Communication, Skill::Retention],
        Persona::Anxious => vec![Skill::Empathy, Skill::Communication],
        Persona::Elderly => vec![Skill::Communication],
        Persona::Normal => vec![Skill::ProductKnowledge, Skill::Communication],
    };
    if !matches!(policy, EscalationPolicy::SolveYourself) {
        skills.push(Skill::Escalation);
    }
    if concepts.iter().any(|c| ["refund", "compensation", "authority"].contains(&c.key.as_str())) {
        skills.push(Skill::Policy);
    }
    let sat = f.mean_satisfaction();
    let mut difficulty = 2;
    if matches!(persona, Persona::Angry | Persona::Vip) {
        difficulty += 1;
    }
    if demand_rate >= 0.2 || sat.is_some_and(|s| s < -0.5) {
        difficulty += 1;
    }
    if with_supervisor {
        difficulty += 1;
    }
    let difficulty = difficulty.clamp(1, 5);

    let keywords: Vec<String> = input.customer_keywords.iter().take(5).cloned().collect();
    let title = format!("{}客户：{}（挖掘草稿）", persona.label(), title_words(&topic, &keywords));
    let sat_text = sat.map_or_else(|| "无满意度标签".to_string(), |s| format!("平均满意度 {s:+.2}（-2 至 2）"));
    let header = vec![
        format!("挖掘草稿：{}。由 peilian mine 从历史对话自动生成，培训师审阅、修改后去掉 draft: true 再推广。", title),
        format!(
            "案例家族：主题“{topic}” × {}客户，共 {} 段对话（好评 {}，差评 {}），{sat_text}。",
            persona.label(),
            f.dialogues,
            f.good,
            f.poor
        ),
        format!("客户常说：{}。", if keywords.is_empty() { "—".to_string() } else { keywords.join("、") }),
        format!(
            "投诉 {}，要求找领导/转人工 {}，坐席转交相关部门/专人 {}，引导私信/热线/营业厅 {}。",
            pct(f.rate(f.complaints)),
            pct(demand_rate),
            pct(f.rate(f.transfers)),
            pct(f.rate(f.channel_moves))
        ),
        format!(
            "客户情绪曲线（各轮平均愤怒分）：{}。",
            f.curve().iter().map(|a| format!("{a:.2}")).collect::<Vec<_>>().join(" → ")
        ),
        "个人信息已替换为 [手机号]、[地址] 等占位符；客户姓名为虚构。".to_string(),
    ];
    let mut done: Vec<String> = Vec::new();
    for tp in &turn_plans {
        for c in concepts.iter() {
            if (tp.required.contains(&c.key) || tp.optional.contains(&c.key)) && !done.contains(&c.label) {
                done.push(c.label.clone());
            }
        }
    }
    let said: Vec<String> = input.agent_keywords.iter().take(3).map(|(w, ..)| format!("“{w}”")).collect();
    let must_not: Vec<&str> = forbidden.iter().map(|f| f.value.label()).collect();
    let briefing = format!(
        "本草稿来自 {} 段真实历史对话（主题：{topic}；客户类型：{}）。{}客户的原话见各回合。好评坐席通常会：{}{}。{}请培训师补充：坐席可以做什么、不可以做什么。",
        f.dialogues,
        persona.label(),
        sat.map_or_else(String::new, |s| format!("这类对话平均满意度 {s:+.2}（-2 至 2）。")),
        if done.is_empty() { "按示范回答处理".to_string() } else { done.join("、") },
        if said.is_empty() { String::new() } else { format!("，常说到{}", said.join("、")) },
        if must_not.is_empty() {
            String::new()
        } else {
            format!("差评坐席有过的做法，你不可以：{}。", must_not.join("、"))
        }
    );
    let mut coaching = Vec::new();
    for c in &concepts {
        if turn_plans.iter().any(|t| t.required.contains(&c.key)) {
            coaching.push(format!("{}。", c.note));
        }
    }
    if let Some(h) = forbidden.first() {
        coaching.push(format!("差评坐席{}，这会让客户更生气：{}。", h.value.label(), h.note));
    }
    coaching.push(format!("转接：{rationale}"));
    if persona == Persona::Vip {
        coaching.push("VIP 客户：可加 tone_goals: [VipAddress]，要求称“您”和客户的称谓。".into());
    }

    let mut tags = vec!["挖掘草稿".to_string(), topic.clone(), persona.label().to_string()];
    for w in keywords.iter().take(3) {
        if !tags.contains(w) {
            tags.push(w.clone());
        }
    }
    // Provenance: every dialogue a line, answer or sample came from, in the order used.
    let provenance = used_ids;
    concepts.retain(|c| turn_plans.iter().any(|t| t.required.contains(&c.key) || t.optional.contains(&c.key)));

    Plan {
        header,
        id: input.id.clone(),
        title,
        tags,
        skills,
        difficulty,
        channel: input.channel,
        provenance,
        briefing,
        persona,
        name: (name.to_string(), address.to_string()),
        vip_tier,
        mood,
        patience,
        sensitivity,
        supervisor_lines,
        concepts,
        forbidden,
        turns: turn_plans,
        endings,
        policy,
        rationale,
        handoff,
        coaching,
        samples,
    }
}

fn title_words(topic: &str, keywords: &[String]) -> String {
    let mut words = vec![topic.to_string()];
    for k in keywords {
        if words.len() == 3 {
            break;
        }
        if !words.contains(k) && !topic.contains(k.as_str()) {
            words.push(k.clone());
        }
    }
    words.join("、")
}

fn push_unique(v: &mut Vec<String>, id: &str) {
    if !v.iter().any(|x| x == id) {
        v.push(id.to_string());
    }
}

/// Who says a line: what a spoken line cannot hold differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    Customer,
    Agent,
}

/// Written-platform wording a spoken line says plainly: a Weibo reply asks for a private
/// message, on the phone the agent just asks; a brand's mascot name ("小[@用户]") is "we".
const TO_SPEECH: [(&str, &str); 5] =
    [("小[@用户]", "我们"), ("烦请告知", "麻烦您告诉我"), ("烦请", "麻烦您"), ("敬请", "请您"), ("恳请", "请您")];

/// What no spoken line holds: hashtags, brackets of a post, links, reposts, private messages.
const POST_MARKS: [&str; 11] = ["#", "【", "】", "http", "转发", "//", "[网址]", "私信", "私聊", "私我", "站内信"];

/// What an agent does not say on a call: the platform's own channels and self-references.
/// (Not 点击 or 关注 alone: 您点击右上角, 我们会持续关注 are said on the phone too.)
const AGENT_PLATFORM_WORDS: [&str; 9] = ["微博", "关注我们", "加关注", "评论", "小编", "官微", "链接", "@", "超话"];

/// A helpdesk's mascot name for itself (小沃, 小翼 …): written-platform style.
fn mascot(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    // Not 小米: a brand the customer's phone may be.
    chars.windows(2).any(|w| w[0] == '小' && "沃翼移编uU".contains(w[1]))
}

/// "请您私信提供号码" → "请您提供号码": the private message dropped before what is asked.
fn drop_private_message(text: &str) -> String {
    static PRIVATE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new("(?:通过|以|用)?私信(?:的方式|的形式)?(?:给|向|与)?(?:我们|小编|我|客服)?[，, ]?(提供|告知|告诉|发送|发给|留下|说明)")
            .expect("a valid pattern")
    });
    PRIVATE.replace_all(text, "$1").into_owned()
}

/// Without the online chat's particles, which an agent does not say on the phone: the
/// vocative 亲 / 亲亲 standing alone between punctuation ("抱歉，亲，…" → "抱歉，…"), 哦 ending a
/// sentence ("可以查询的哦。" → "可以查询的。") and 哦 opening the answer ("哦 这个是…" → "这个是…").
/// 亲自, 亲人, 父亲 and 哦 inside a sentence stay.
fn drop_chat_particles(text: &str) -> String {
    let is_break = |c: Option<char>| c.is_none_or(|c| c.is_whitespace() || "，,。.！!？?~～；;：:".contains(c));
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let prev = out.chars().next_back();
        let c = chars[i];
        // 亲 ending a clause after a word is a vocative too (很抱歉亲), unless it ends a word
        // for kin (父亲, 乡亲, 探亲 …).
        let kin = prev.is_some_and(|p| "父母双乡相探省成定近".contains(p));
        if c == '亲' && !kin {
            let len = if chars.get(i + 1) == Some(&'亲') { 2 } else { 1 };
            let next = chars.get(i + len).copied();
            if is_break(next) {
                // The vocative; after a pause or at the start, the comma after it too
                // ("了，亲，选择" → "了，选择"), while after a word that comma keeps the
                // clauses apart ("很抱歉亲，请问" → "很抱歉，请问").
                i += len;
                if is_break(prev) && next.is_some_and(|n| "，, ".contains(n)) {
                    i += 1;
                } else if next.is_none() && prev.is_some_and(|p| "，, ".contains(p)) {
                    out.pop();
                }
                continue;
            }
        }
        if c == '哦' && is_break(chars.get(i + 1).copied()) {
            i += 1;
            // At the start, the pause after it goes too.
            if prev.is_none() {
                while chars.get(i).is_some_and(|n| "，, ".contains(*n)) {
                    i += 1;
                }
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// A written aside in brackets (what lint calls a stage direction) said between commas:
/// "闪退（突然消失不见），很烦" → "闪退，突然消失不见，很烦". A comma next to other
/// punctuation, at the start or at the end goes ("贵（门市价90美金）。" → "贵，门市价90美金。").
fn aside_as_speech(line: &str) -> String {
    let mut s = line.to_string();
    while let Some(aside) = crate::scenario::stage_direction(&s) {
        let mut inner = aside.chars();
        inner.next();
        inner.next_back();
        let spoken = format!("，{}，", inner.as_str().trim());
        s = s.replacen(aside, &spoken, 1);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let prev = out.chars().next_back();
        match (prev, c) {
            (None, '，') | (Some('，' | '。' | '！' | '？' | '、' | '；' | '：'), '，') => {}
            (Some('，'), '。' | '！' | '？' | '；' | '…') => {
                out.pop();
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.trim_end_matches('，').to_string()
}

/// A redacted turn as a line a trainee hears (`clean_line`), with written-platform wording
/// said plainly; `None` when it still reads as a post rather than speech (a hashtag, a link,
/// an agent pointing to private messages or calling itself 小编).
pub fn speech_line(text: &str, speaker: Speaker) -> Option<String> {
    let mut s = text.to_string();
    if speaker == Speaker::Agent {
        for (from, to) in TO_SPEECH {
            s = s.replace(from, to);
        }
        s = drop_private_message(&s);
        s = drop_chat_particles(&s);
    }
    if POST_MARKS.iter().any(|m| s.contains(m)) {
        return None;
    }
    let line = aside_as_speech(&clean_line(&s)?);
    let agent_platform = speaker == Speaker::Agent
        && (AGENT_PLATFORM_WORDS.iter().any(|w| line.to_lowercase().contains(w)) || mascot(&line));
    (!agent_platform).then_some(line)
}

/// The sentence of a customer turn that demands a supervisor or a person ("叫你们领导来！"),
/// with the one before it when it is short; `None` when the turn only mentions one
/// ("人工服务都是坐席忙") or the sentence is a long post.
fn demand_sentence(text: &str) -> Option<String> {
    let line = speech_line(text, Speaker::Customer)?;
    let demands = crate::mining::analyze::demand_phrases();
    // Said to the agent (找你们领导), or by the customer for themself (我要找经理): not a
    // story in which someone else looked for a boss.
    let asks = |s: &str| {
        let addressed = |d: &str| d.contains("你们") || d.contains("你家");
        let for_me = |d: &str| ["我要", "我找", "给我", "让我"].iter().any(|me| s.contains(&format!("{me}{d}")));
        demands
            .iter()
            .filter(|d| d.chars().count() >= 3 && !d.starts_with("人工") && !d.starts_with("真人"))
            .any(|d| s.contains(d.as_str()) && (addressed(d) || for_me(d)))
            || ["转人工", "要人工", "找人工"].iter().any(|d| s.contains(d))
    };
    let mut sentences: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in line.chars() {
        cur.push(c);
        if "。！？!?".contains(c) {
            sentences.push(std::mem::take(&mut cur));
        }
    }
    if !cur.trim().is_empty() {
        sentences.push(cur);
    }
    let i = sentences.iter().position(|s| asks(s))?;
    let mut out = sentences[i].trim().to_string();
    if i > 0 && out.chars().count() < 8 && sentences[i - 1].chars().count() + out.chars().count() <= 50 {
        out = format!("{}{out}", sentences[i - 1].trim());
    }
    (out.chars().count() <= 50 && crate::text::normalize::content_chars(&out) >= 4).then_some(out)
}

/// Makes a redacted turn fit to be read in a script: drops @-mentions, emoticon codes, link
/// stubs and location tags; Chinese punctuation between Chinese characters; only characters a
/// the app's font can show (`text::glyphs`); at most `MAX_LINE_CHARS`. `None` when little is left.
pub fn clean_line(text: &str) -> Option<String> {
    let mut s = text.to_string();
    // Retweet chains and reply prefixes.
    if let Some(i) = s.find("//[@用户]") {
        s.truncate(i);
    }
    for stub in ["O网页链接", "网页链接", "[网址]"] {
        s = s.replace(stub, " ");
    }
    // Location tags at the end ("我在:[地址]", "我在这里:…").
    for tag in ["我在这里:", "我在:", "我在这里：", "我在："] {
        if let Some(i) = s.rfind(tag)
            && s[i..].chars().count() <= 40
        {
            s.truncate(i);
        }
    }
    // Bracketed codes: keep placeholders, drop emoticons ([怒], [哈哈]) and @-mentions.
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(i) = rest.find('[') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        match after.find(']') {
            Some(j) if after[..=j].chars().count() <= 10 => {
                let code = &after[..=j];
                if PiiKind::is_placeholder(code) && code != "[@用户]" {
                    out.push_str(code);
                }
                rest = &after[j + 1..];
            }
            _ => {
                out.push('[');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    let s = out.trim_start_matches(['回', '复']).to_string();
    let s = s.trim_start_matches([':', '：', ' ']).to_string();

    // Punctuation and spacing.
    let chars: Vec<char> = s.chars().collect();
    let mut t = String::with_capacity(s.len());
    let is_cjk = |c: char| matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF) || "，。！？、；：）（”“".contains(c);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev = t.chars().next_back();
        let next = chars.get(i + 1).copied();
        let near_cjk = prev.is_some_and(is_cjk) || next.is_some_and(is_cjk) || next.is_none();
        if c == '.' && chars.get(i + 1) == Some(&'.') {
            let mut j = i;
            while chars.get(j) == Some(&'.') {
                j += 1;
            }
            t.push_str("……");
            i = j;
            continue;
        }
        let mapped = match c {
            ',' if near_cjk => '，',
            '.' if near_cjk && !prev.is_some_and(|p| p.is_ascii_digit()) => '。',
            '?' if near_cjk => '？',
            '!' if near_cjk => '！',
            ':' if near_cjk && !prev.is_some_and(|p| p.is_ascii_digit()) => '：',
            ';' if near_cjk => '；',
            '(' if near_cjk => '（',
            ')' if near_cjk => '）',
            '\n' | '\r' | '\t' => ' ',
            c => c,
        };
        if mapped == ' ' {
            // A break between two sentences becomes a comma; other spaces stay single.
            let p = t.chars().next_back();
            let n = chars[i + 1..].iter().find(|c| !c.is_whitespace()).copied();
            if p.is_some_and(|p| is_cjk(p) && !"，。！？、；：".contains(p)) && n.is_some_and(is_cjk) && c != ' '
            {
                t.push('，');
            } else if p.is_some_and(|p| p != ' ' && !"，。！？、；：".contains(p))
                && n.is_some()
                && n.is_some_and(|n| !"，。！？、；：".contains(n))
            {
                t.push(' ');
            }
            i += 1;
            continue;
        }
        if crate::text::glyphs::displayable(mapped) {
            t.push(mapped);
        }
        i += 1;
    }
    let t = collapse_repeats(t.trim());
    let t = t.trim_matches(|c: char| c.is_whitespace() || "，、；：".contains(c)).to_string();
    if crate::text::normalize::content_chars(&t) < 4 {
        return None;
    }
    Some(shorten(&t, MAX_LINE_CHARS))
}

/// A customer line that only acknowledges or thanks ("好的，谢谢", "收到", "哦哦 了解了"): how
/// a satisfied customer closes, not a turn to script.
pub fn is_ack(text: &str) -> bool {
    const OPENERS: [&str; 19] = [
        "好的",
        "好吧",
        "好",
        "嗯",
        "哦",
        "噢",
        "ok",
        "谢谢",
        "多谢",
        "感谢",
        "收到",
        "知道了",
        "明白",
        "了解",
        "行",
        "可以",
        "非常感谢",
        "太好了",
        "辛苦",
    ];
    const THANKS: [&str; 5] = ["谢谢", "感谢", "多谢", "辛苦了", "麻烦你了"];
    let t = text.trim().to_lowercase();
    let content = crate::text::normalize::content_chars(&t);
    content <= 20
        && !t.contains(['？', '?'])
        && (OPENERS.iter().any(|o| t.starts_with(o)) || THANKS.iter().any(|w| t.contains(w)))
}

/// Strong profanity: such a line is not put into an ending (a trainer can still add one).
fn profane(text: &str) -> bool {
    const WORDS: [&str; 12] =
        ["草泥马", "tmd", "尼玛", "他妈", "妈的", "你妹", "马丹", "王八蛋", "傻逼", "sb", "吃屎", "滚蛋"];
    let t = text.to_lowercase();
    WORDS.iter().any(|w| t.contains(w))
}

/// "！！！！" → "！！！", "。。" → "。".
fn collapse_repeats(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = 0;
    let mut last = '\0';
    for c in s.chars() {
        if c == last && "！？。，~～ ".contains(c) {
            run += 1;
            let limit = if "！？".contains(c) { 3 } else { 1 };
            if run >= limit {
                continue;
            }
        } else {
            run = 0;
        }
        last = c;
        out.push(c);
    }
    out
}

/// Cuts at the last sentence end before `max` characters, else at `max` with "……".
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    match head.rfind(['。', '！', '？']) {
        Some(i) if head[..i].chars().count() >= max / 2 => head[..i + '。'.len_utf8()].to_string(),
        _ => format!("{}……", head.trim_end_matches(['，', '、', ' '])),
    }
}

// ---------------------------------------------------------------------------------------------
// The RON emitter.

struct Out {
    text: String,
    indent: usize,
}

impl Out {
    fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.text.push_str("    ");
        }
        self.text.push_str(s);
        self.text.push('\n');
    }
    fn comment(&mut self, s: &str) {
        if !s.is_empty() {
            self.line(&format!("// {}", s.replace('\n', " ")));
        }
    }
    fn open(&mut self, s: &str) {
        self.line(s);
        self.indent += 1;
    }
    fn close(&mut self, s: &str) {
        self.indent -= 1;
        self.line(s);
    }
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| ron_string(s)).collect::<Vec<_>>().join(", "))
}

fn skill(s: &Skill) -> String {
    match s {
        Skill::Other(name) => format!("Other({})", ron_string(name)),
        other => format!("{other:?}"),
    }
}

fn policy_text(p: &EscalationPolicy) -> String {
    match p {
        EscalationPolicy::SolveYourself => "SolveYourself".into(),
        EscalationPolicy::Either => "Either".into(),
        EscalationPolicy::Window { from, to } => format!("Window(from: {from}, to: {to})"),
        EscalationPolicy::OnTrigger { triggers, grace } => format!(
            "OnTrigger(triggers: [{}], grace: {grace})",
            triggers.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn emit(p: &Plan) -> String {
    let mut o = Out { text: String::new(), indent: 0 };
    for h in &p.header {
        o.comment(h);
    }
    o.open("Scenario(");
    o.line(&format!("id: {},", ron_string(&p.id)));
    o.line(&format!("title: {},", ron_string(&p.title)));
    o.line("version: 1,");
    o.line("draft: true,");
    o.line(&format!("tags: {},", list(&p.tags)));
    o.line(&format!("skills: [{}],", p.skills.iter().map(skill).collect::<Vec<_>>().join(", ")));
    o.line(&format!("difficulty: {},", p.difficulty));
    o.line(&format!("channel: {:?},", p.channel));
    o.comment("来源：本草稿用到的历史对话 id");
    o.line(&format!("provenance: {},", list(&p.provenance)));
    o.line(&format!("briefing: {},", ron_string(&p.briefing)));

    o.open("persona: (");
    o.line(&format!("kind: {:?},", p.persona.kind()));
    o.comment("姓名、称谓为虚构");
    o.line(&format!("name: {},", ron_string(&p.name.0)));
    o.line(&format!("title: {},", ron_string(&p.name.1)));
    if let Some(t) = &p.vip_tier {
        o.line(&format!("vip_tier: {},", ron_string(t)));
    }
    o.comment(&p.mood.note);
    o.line(&format!("mood: {},", p.mood.value));
    o.line(&format!("patience_secs: {},", p.patience.max(crate::session::MIN_PATIENCE_SECS)));
    o.line(&format!("sensitivity: {},", ron_float(p.sensitivity)));
    if !p.supervisor_lines.is_empty() {
        o.open("supervisor_lines: [");
        for l in &p.supervisor_lines {
            o.comment(&l.note);
            o.line(&format!("{},", ron_string(&l.value)));
        }
        o.close("],");
    }
    o.close("),");

    o.open("concepts: {");
    let mut sorted: Vec<&ConceptPlan> = p.concepts.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    for c in sorted {
        o.comment(&c.note);
        let mut fields = vec![format!("label: {}", ron_string(&c.label))];
        if !c.groups.is_empty() {
            fields.push(format!("groups: {}", list(&c.groups)));
        }
        if !c.acts.is_empty() {
            fields.push(format!("acts: [{}]", c.acts.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")));
        }
        if c.soothes {
            fields.push("soothes: true".into());
        }
        o.line(&format!("{}: ({}),", ron_string(&c.key), fields.join(", ")));
    }
    o.close("},");

    if p.forbidden.is_empty() {
        o.comment("差评代表对话里没有找到推责、打发、讽刺等做法：红线留给培训师补充（通用行为规范照常适用）");
        o.line("forbidden_acts: [],");
    } else {
        o.open("forbidden_acts: [");
        for f in &p.forbidden {
            o.comment(&f.note);
            o.line(&format!("(act: {:?}, label: {}),", f.value, ron_string(f.value.label())));
        }
        o.close("],");
    }

    o.open("turns: [");
    for t in &p.turns {
        o.open("(");
        o.line(&format!("id: {},", ron_string(&t.id)));
        o.open("customer: [");
        for c in &t.customer {
            o.comment(&c.note);
            o.line(&format!("(text: {}),", ron_string(&c.value)));
        }
        o.close("],");
        if t.demands_supervisor {
            o.line("demands_supervisor: true,");
        }
        o.open("expect: (");
        o.line(&format!("required: {},", list(&t.required)));
        o.line(&format!("optional: {},", list(&t.optional)));
        if !t.tone.is_empty() {
            o.comment("好评坐席的第一次回复多数先致歉或共情");
            o.line(&format!("tone: [{}],", t.tone.iter().map(|g| format!("{g:?}")).collect::<Vec<_>>().join(", ")));
        }
        o.comment(&t.model_answer.note);
        o.line(&format!("model_answer: {},", ron_string(&t.model_answer.value)));
        o.close("),");
        if !t.next.is_empty() {
            o.open("next: [");
            for (when, goto) in &t.next {
                o.line(&format!("(when: {when}, goto: {}),", ron_string(goto)));
            }
            o.close("],");
        }
        o.close("),");
    }
    o.close("],");

    o.open("endings: [");
    for (id, kind, lines) in &p.endings {
        if lines.is_empty() {
            o.line(&format!("(id: {}, kind: {kind}),", ron_string(id)));
            continue;
        }
        o.open("(");
        o.line(&format!("id: {},", ron_string(id)));
        o.line(&format!("kind: {kind},"));
        o.open("customer: [");
        for l in lines {
            o.comment(&l.note);
            o.line(&format!("(text: {}),", ron_string(&l.value)));
        }
        o.close("],");
        o.close("),");
    }
    o.close("],");

    o.open("escalation: (");
    o.line(&format!("policy: {},", policy_text(&p.policy)));
    if !p.handoff.is_empty() {
        o.open("handoff_facts: [");
        for (label, phrases) in &p.handoff {
            o.line(&format!("(label: {}, phrases: {}),", ron_string(label), list(phrases)));
        }
        o.close("],");
    }
    o.line(&format!("rationale: {},", ron_string(&p.rationale)));
    o.close("),");

    o.open("coaching: [");
    for c in &p.coaching {
        o.line(&format!("{},", ron_string(c)));
    }
    o.close("],");

    o.open("samples: [");
    for s in &p.samples {
        let mut c = s.note.clone();
        if let Some(score) = s.score {
            let _ = write!(c, "；挖掘时得分 {score:.1}");
            let inside = score >= s.range.0 && score <= s.range.1;
            if !inside {
                c.push_str(if s.good {
                    "（低于及格线：本草稿的要点或语气目标与这条好评回答不符，请调整）"
                } else {
                    "（不低于及格线：本草稿没能区分这条差评回答，请补充要点或红线）"
                });
            }
        }
        o.comment(&c);
        o.line(&format!(
            "(turn: {}, answer: {}, score: ({}, {})),",
            ron_string(&s.turn),
            ron_string(&s.answer),
            s.range.0 as i32,
            s.range.1 as i32
        ));
    }
    o.close("],");
    o.close(")");
    o.text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_aside_is_said_between_commas() {
        for (line, spoken) in [
            ("每个版本都会出现输入法闪退（突然消失不见），很烦", "每个版本都会出现输入法闪退，突然消失不见，很烦"),
            (
                "柜台多问一句？目前我订的价格比前台还贵（门市价90美金）",
                "柜台多问一句？目前我订的价格比前台还贵，门市价90美金",
            ),
            ("退货单号是[订单号]（报单号）。你查吧", "退货单号是[订单号]，报单号。你查吧"),
            ("（叹气）算了", "叹气，算了"),
            ("型号是 Mate60 (Pro)，没有中文的括号不动", "型号是 Mate60 (Pro)，没有中文的括号不动"),
        ] {
            assert_eq!(aside_as_speech(line), spoken, "{line}");
            assert_eq!(crate::scenario::stage_direction(&aside_as_speech(line)), None, "{line}");
        }
    }

    #[test]
    fn an_agent_line_loses_the_chats_particles() {
        for (line, spoken) in [
            ("很抱歉给您使用造成不便了，亲，选择您要修改的悦单", "很抱歉给您使用造成不便了，选择您要修改的悦单"),
            ("抱歉给您的使用带来不便，亲亲，商品出现什么问题呢", "抱歉给您的使用带来不便，商品出现什么问题呢"),
            ("您可根据通话详单进行查询费用情况的哦。", "您可根据通话详单进行查询费用情况的。"),
            ("感谢您的支持哦！", "感谢您的支持！"),
            ("哦 这个是您很早之前创建过的悦单吧", "这个是您很早之前创建过的悦单吧"),
            ("很抱歉亲", "很抱歉"),
            ("很抱歉亲，请问您之前用的符号是怎样的", "很抱歉，请问您之前用的符号是怎样的"),
            ("好的，亲", "好的"),
            ("亲，请问您的手机型号是？", "请问您的手机型号是？"),
            // Not a vocative or a sentence's end.
            ("我们会亲自上门", "我们会亲自上门"),
            ("您的亲人也可以代办", "您的亲人也可以代办"),
            ("哦哦好的", "哦哦好的"),
            ("我父亲，", "我父亲，"),
        ] {
            assert_eq!(drop_chat_particles(line), spoken, "{line}");
        }
    }

    #[test]
    fn a_soothing_clause_opens_the_answer_after_its_greeting() {
        assert_eq!(
            with_soothing("您好，您手机是什么机型？", "很抱歉给您带来不便"),
            "您好，很抱歉给您带来不便，您手机是什么机型？"
        );
        assert_eq!(with_soothing("您好！请问是哪个营业厅？", "抱歉"), "您好！抱歉，请问是哪个营业厅？");
        assert_eq!(with_soothing("刘女士，您好，请稍等", "抱歉让您久等"), "刘女士，您好，抱歉让您久等，请稍等");
        // No greeting, or 您好 not opening the answer: the clause comes first.
        assert_eq!(with_soothing("请问您的订单号是多少？", "抱歉"), "抱歉，请问您的订单号是多少？");
        assert_eq!(with_soothing("您好像没收到短信？", "抱歉"), "抱歉，您好像没收到短信？");
    }

    #[test]
    fn acknowledgements() {
        assert!(is_ack("好的谢谢"));
        assert!(is_ack("哦哦 谢谢了解了不用换卡省事了"));
        assert!(!is_ack("好的，那为什么还扣我钱？"));
        assert!(!is_ack("我的宽带从昨天开始就上不了网"));
        assert!(is_ack("现在已经恢复，非常感谢。"));
        assert!(!is_ack("现在恢复了？"));
    }

    #[test]
    fn lines_are_cleaned_for_reading() {
        assert_eq!(
            clean_line("[@用户] [@用户] 宽带又断了,这都第三次了!![怒][怒] 电话[手机号]").as_deref(),
            Some("宽带又断了，这都第三次了！！电话[手机号]")
        );
        assert_eq!(clean_line("好的[哈哈]"), None);
        assert_eq!(clean_line("网速太慢了...怎么办? O网页链接 我在:[地址]").as_deref(), Some("网速太慢了……怎么办？"));
        assert_eq!(clean_line("价格是99.5元,时间19:30").as_deref(), Some("价格是99.5元，时间19:30"));
        assert!(clean_line(&"信号差。".repeat(100)).unwrap().chars().count() <= MAX_LINE_CHARS);
    }

    #[test]
    fn agent_lines_are_said_as_speech() {
        // A private message is dropped before what is asked; written formulas are said plainly.
        assert_eq!(
            speech_line("您好,请您私信提供一下手机号码,烦请告知,谢谢!", Speaker::Agent).as_deref(),
            Some("您好，请您提供一下手机号码，麻烦您告诉我，谢谢！")
        );
        assert_eq!(
            speech_line("小[@用户]已为您反馈,敬请留意短信", Speaker::Agent).as_deref(),
            Some("我们已为您反馈，请您留意短信")
        );
        // Still a post: the platform, a mascot, a hashtag, a link.
        assert_eq!(speech_line("欢迎私信小编,我们为您协调", Speaker::Agent), None);
        assert_eq!(speech_line("您可以关注我们的微博获取最新消息", Speaker::Agent), None);
        assert_eq!(
            speech_line("您点击右上角的设置，我们也会持续关注。", Speaker::Agent).as_deref(),
            Some("您点击右上角的设置，我们也会持续关注。")
        );
        assert_eq!(speech_line("可随时联系小沃，谢谢！", Speaker::Agent), None);
        assert_eq!(
            speech_line("小米手机可以在设置里打开省电模式", Speaker::Agent).as_deref(),
            Some("小米手机可以在设置里打开省电模式")
        );
        assert_eq!(speech_line("#双十一# 活动详情请戳这里", Speaker::Agent), None);
        assert_eq!(speech_line("详情请看 http://t.cn/abc", Speaker::Agent), None);
        // The same words from a customer are speech: they may say where they complained.
        assert_eq!(
            speech_line("我在微博上都投诉三次了，还没人管", Speaker::Customer).as_deref(),
            Some("我在微博上都投诉三次了，还没人管")
        );
        assert_eq!(speech_line("#360手机棒棒哒# 服务很贴心", Speaker::Customer), None);
    }

    #[test]
    fn the_demand_is_cut_from_a_long_post() {
        assert_eq!(
            demand_sentence("宽带断了三天了，打了五次电话都说在处理。我要找你们领导！").as_deref(),
            Some("我要找你们领导！")
        );
        // A short demand keeps the sentence before it.
        assert_eq!(demand_sentence("说了多少遍了。转人工！").as_deref(), Some("说了多少遍了。转人工！"));
        // Mentioning a person is no demand.
        assert_eq!(demand_sentence("拨了三次热线，人工服务都是坐席忙，无法接通"), None);
        // Nor is a story in which someone else looked for a boss.
        assert_eq!(demand_sentence("结果你们县里的经理又是打电话又是找领导。"), None);
        assert_eq!(demand_sentence("别废话，我要找经理！").as_deref(), Some("别废话，我要找经理！"));
        // A demand inside a long sentence is a post, not a line.
        let long = format!("{}我要找你们领导", "网速慢".repeat(20));
        assert_eq!(demand_sentence(&long), None);
    }

    #[test]
    fn characters_the_font_lacks_are_dropped() {
        assert_eq!(clean_line("气死我了\u{1F620}\u{1F620}宽带又断了").as_deref(), Some("气死我了宽带又断了"));
    }
}
