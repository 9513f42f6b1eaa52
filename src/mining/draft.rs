//! Writing one draft scenario per case family: persona and starting mood from the real emotion
//! curve, customer lines from real (redacted) customer turns, concepts from what well-rated
//! agents said, red lines from what poorly rated agents said, the escalation policy from where
//! real transfers happened, model answers from real agent turns, and provenance.
//!
//! The RON is written by hand so that fields come in a fixed, readable order with comments
//! that show the evidence (which dialogue, what satisfaction) next to each value.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::mining::analyze::{Persona, TurnFacts};
use crate::mining::calibrate::{mood_of, ron_float, ron_string};
use crate::mining::family::{Family, HostileUse, Rep};
use crate::mining::input::Role;
use crate::mining::redact::PiiKind;
use crate::mining::vocab::{is_term, is_topic_word};
use crate::scenario::compiled::{CompiledScenario, content_hash};
use crate::scenario::schema::{Channel, EscalationPolicy, Scenario, Skill, ToneGoal};
use crate::scoring::turn::{AnswerContext, score_answer};
use crate::text::Analyzer;
use crate::text::normalize::normalize;

/// Longest customer line or model answer kept (characters).
pub const MAX_LINE_CHARS: usize = 120;
/// Customer line variants per turn.
pub const VARIANTS: usize = 3;
/// Most scripted turns (before the supervisor turn).
pub const MAX_TURNS: usize = 3;

/// ASCII concept keys for the synonym groups a draft may use.
const GROUP_KEYS: [(&str, &str, bool); 10] = [
    ("道歉", "apology", true),
    ("共情", "empathy", true),
    ("安抚", "reassure", true),
    ("核实", "verify", false),
    ("跟进", "follow_up", false),
    ("回电", "call_back", false),
    ("退款", "refund", false),
    ("补偿", "compensation", false),
    ("权限说明", "authority", false),
    ("时效", "timeline", false),
];

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
    /// Hostile phrases of poorly rated agents across the corpus (fallback red lines).
    pub corpus_hostile: &'a BTreeMap<String, HostileUse>,
    pub channel: Channel,
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
}

struct Noted<T> {
    value: T,
    note: String,
}

struct ConceptPlan {
    key: String,
    label: String,
    groups: Vec<String>,
    phrases: Vec<String>,
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
    forbidden: Vec<Noted<String>>,
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
    let line = clean_line(&c.text)?;
    if is_ack(&line) {
        return None;
    }
    // Every earlier line must be usable too: the script follows the dialogue.
    if k > 0 && usable_exchange(r, k - 1).is_none() {
        return None;
    }
    Some((line, (a, clean_line(&a.text)?)))
}

/// Builds the draft and its RON text. `analyzer` scores the samples (for the comments).
pub fn build(input: &DraftInput, analyzer: &Analyzer) -> Draft {
    let mut plan = plan(input, analyzer);
    let ron = emit(&plan);
    let scenario: Scenario = crate::ron_file::options().from_str(&ron).unwrap_or_else(|e| {
        panic!("a mined draft must parse: {e}\n{ron}");
    });
    // Score the samples under the draft itself, for the trainer's information.
    let mut sample_scores = Vec::new();
    let mut a = analyzer.clone();
    if let Ok(compiled) = CompiledScenario::compile(scenario.clone(), &mut a, None, content_hash(ron.as_bytes())) {
        for s in &mut plan.samples {
            if let Some(turn) = compiled.turn_index(&s.turn) {
                let ctx = AnswerContext { turn, mood_before: f32::from(plan.mood.value), latency_secs: None };
                let score = score_answer(&a, &compiled, &s.answer, &ctx).overall;
                s.score = Some(score);
                sample_scores.push((s.turn.clone(), s.good, score));
            }
        }
    }
    let ron = emit(&plan);
    Draft { id: plan.id.clone(), title: plan.title.clone(), ron, scenario, sample_scores }
}

fn plan(input: &DraftInput, analyzer: &Analyzer) -> Plan {
    let f = input.family;
    let persona = f.key.1;
    let good: Vec<&Rep> = f.good_reps.items.iter().collect();
    let poor: Vec<&Rep> = f.poor_reps.items.iter().collect();
    let topic = input.topic.clone().unwrap_or_else(|| "其他".into());

    // --- Turns: one anchor dialogue (the best-rated representative that fits the persona) gives
    // the story; other well-rated dialogues add variants of the same line. ---
    let words = |text: &str| -> Vec<String> {
        let a = analyzer.analyze(text);
        let mut w: Vec<String> =
            a.tokens.iter().map(|t| a.norm[t.span.clone()].to_string()).filter(|w| is_term(w)).collect();
        w.sort();
        w.dedup();
        w
    };
    let fits = |r: &Rep| match persona {
        // An angry draft opens with an angry line.
        Persona::Angry => {
            r.facts.customer_turns().find(|t| !t.is_empty()).is_some_and(|t| t.anger >= 0.4 || t.complaint)
        }
        _ => true,
    };
    let script_len = |r: &Rep| (0..MAX_TURNS).take_while(|&k| usable_exchange(r, k).is_some()).count();
    // A well-rated dialogue first (a longer script only among equals), then the others.
    let rated = |r: &Rep| r.facts.rating() == crate::mining::analyze::Rating::Good;
    let find = |pred: &dyn Fn(&Rep) -> bool| good.iter().position(|r| pred(r));
    let anchor = find(&|r| rated(r) && fits(r) && script_len(r) >= 2)
        .or_else(|| find(&|r| rated(r) && fits(r) && script_len(r) >= 1))
        .or_else(|| find(&|r| fits(r) && script_len(r) >= 2))
        .or_else(|| find(&|r| fits(r) && script_len(r) >= 1))
        .or_else(|| find(&|r| script_len(r) >= 1));
    let mut used_ids: Vec<String> = Vec::new();
    let mut turn_plans: Vec<TurnPlan> = Vec::new();
    // The anchor's real answers, for the concepts a model answer must carry.
    let mut anchor_answers: Vec<(String, u32)> = Vec::new();
    if let Some(ai) = anchor {
        let a = good[ai];
        for k in 0..script_len(a) {
            let (line, answer) = usable_exchange(a, k).expect("counted above");
            let mut variants =
                vec![Noted { value: line.clone(), note: format!("对话 {}（{}）", a.facts.id, quality_text(a)) }];
            push_unique(&mut used_ids, &a.facts.id);
            // Variants: the same point in other well-rated dialogues, when it shares words with
            // the anchor's line.
            let anchor_words: Vec<String> = words(&line).into_iter().filter(|w| is_topic_word(w)).collect();
            for (ri, r) in good.iter().enumerate() {
                if ri == ai || variants.len() == VARIANTS || (k == 0 && !fits(r)) {
                    continue;
                }
                let Some((text, _)) = usable_exchange(r, k) else { continue };
                let theirs: Vec<String> = words(&text).into_iter().filter(|w| is_topic_word(w)).collect();
                let shared = theirs.iter().filter(|w| anchor_words.contains(w)).count();
                let union = anchor_words.len() + theirs.len() - shared;
                let similar = shared >= 2 && shared as f32 >= 0.15 * union as f32;
                if similar && text.chars().count() <= 100 && !variants.iter().any(|v| v.value == text) {
                    variants
                        .push(Noted { value: text, note: format!("对话 {}（{}）", r.facts.id, quality_text(r)) });
                    push_unique(&mut used_ids, &r.facts.id);
                }
            }
            anchor_answers.push((answer.1.clone(), answer.0.groups));
            turn_plans.push(TurnPlan {
                id: if k == 0 { "open".to_string() } else { format!("follow_{k}") },
                customer: variants,
                required: Vec::new(),
                optional: Vec::new(),
                tone: Vec::new(),
                model_answer: Noted {
                    value: answer.1,
                    note: format!("对话 {} 的坐席回复（{}）", a.facts.id, quality_text(a)),
                },
                next: Vec::new(),
                demands_supervisor: false,
            });
        }
    }
    if turn_plans.is_empty() {
        // Every family offered for drafting has a usable representative; keep the file valid.
        turn_plans.push(TurnPlan {
            id: "open".into(),
            customer: vec![Noted {
                value: "（请培训师补充客户的第一句话）".into(), note: "没有可用的客户原话".into()
            }],
            required: Vec::new(),
            optional: Vec::new(),
            tone: Vec::new(),
            model_answer: Noted {
                value: "（请培训师补充示范回答）".into(), note: "没有可用的坐席回复".into()
            },
            next: Vec::new(),
            demands_supervisor: false,
        });
        anchor_answers.push((String::new(), 0));
    }

    // --- Concepts: synonym groups well-rated agents of the family used at that answer more
    // than poorly rated ones. Required when the model answer (a real well-rated reply) carries
    // it too; otherwise optional. ---
    let mut concepts: Vec<ConceptPlan> = Vec::new();
    let group_index = |name: &str| input.group_names.iter().position(|g| g == name);
    for (k, tp) in turn_plans.iter_mut().enumerate() {
        let k_pos = k.min(crate::mining::family::POSITIONS - 1);
        let mut scored: Vec<(f32, f32, usize)> = Vec::new();
        for (gi, (group, _, _)) in GROUP_KEYS.iter().enumerate() {
            let Some(bit) = group_index(group) else { continue };
            let g = f.groups_good.share(k_pos, bit);
            let p = if f.groups_poor.answers[k_pos] >= 3 { f.groups_poor.share(k_pos, bit) } else { 0.0 };
            scored.push((g, p, gi));
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));
        let model_groups = anchor_answers[k].1;
        for (g, p, gi) in scored {
            let (group, key, soothes) = GROUP_KEYS[gi];
            let in_model = group_index(group).is_some_and(|bit| model_groups & (1 << bit) != 0);
            let evidence = g >= 0.25 && g >= p + 0.05;
            let required = evidence && in_model && tp.required.len() < 2;
            let optional = !required && evidence && tp.optional.len() < 2;
            if !(required || optional) {
                continue;
            }
            if !concepts.iter().any(|c| c.key == key) {
                let poor_note =
                    if f.groups_poor.answers[k_pos] >= 3 { format!("，差评 {}", pct(p)) } else { String::new() };
                concepts.push(ConceptPlan {
                    key: key.into(),
                    label: group.into(),
                    groups: vec![group.into()],
                    phrases: Vec::new(),
                    soothes,
                    note: format!("好评坐席第 {} 次回复中 {} 用到“{group}”词组{poor_note}", k + 1, pct(g)),
                });
            }
            if required { tp.required.push(key.into()) } else { tp.optional.push(key.into()) }
        }
    }
    // Keywords of well-rated agents: required where the model answer says it, else optional.
    for (n, (word, share, lift)) in input.agent_keywords.iter().take(2).enumerate() {
        let key = format!("kw_{}", n + 1);
        let said = anchor_answers.iter().position(|(a, _)| normalize(a).contains(word.as_str()));
        let k = said.unwrap_or(0);
        concepts.push(ConceptPlan {
            key: key.clone(),
            label: word.clone(),
            groups: Vec::new(),
            phrases: vec![word.clone()],
            soothes: false,
            note: format!("好评坐席常用词：本类好评对话中 {} 说到，是全库坐席的 {lift:.1} 倍", pct(*share)),
        });
        if said.is_some() && turn_plans[k].required.len() < 3 {
            turn_plans[k].required.push(key);
        } else {
            turn_plans[k].optional.push(key);
        }
    }

    // Soothe first: for an upset customer whose real well-rated first answer soothed (an
    // apology, empathy, reassurance), as the product teaches (先安抚情绪，再解决问题).
    let upset = matches!(persona, Persona::Angry) || mood_of(f.mean_first_anger()) >= 50.0;
    let soothing_groups: Vec<(&str, &str)> = vec![("道歉", "apology"), ("共情", "empathy"), ("安抚", "reassure")];
    let first_groups = anchor_answers[0].1;
    let soothed =
        soothing_groups.iter().find(|(g, _)| group_index(g).is_some_and(|bit| first_groups & (1 << bit) != 0));
    if let (true, Some((group, key))) = (upset, soothed) {
        turn_plans[0].tone.push(ToneGoal::SootheFirst);
        if !concepts.iter().any(|c| c.key == *key) {
            let bit = group_index(group).unwrap_or(0);
            concepts.push(ConceptPlan {
                key: key.to_string(),
                label: group.to_string(),
                groups: vec![group.to_string()],
                phrases: Vec::new(),
                soothes: true,
                note: format!(
                    "示范回答先用了“{group}”词组；本类好评坐席第 1 次回复中 {} 这样做（先安抚再解决）",
                    pct(f.groups_good.share(0, bit))
                ),
            });
        }
        let t0 = &mut turn_plans[0];
        t0.optional.retain(|k| k != key);
        if !t0.required.iter().any(|k| k == key) {
            t0.required.insert(0, key.to_string());
        }
    }

    // --- Red lines: hostile phrases poorly rated agents said, never one a model answer holds. ---
    let models_norm: Vec<String> = turn_plans.iter().map(|t| normalize(&t.model_answer.value)).collect();
    let mut forbidden: Vec<Noted<String>> = Vec::new();
    let mut hostile: Vec<(&String, &HostileUse, bool)> = f.hostile_poor.iter().map(|(p, h)| (p, h, true)).collect();
    if hostile.is_empty() {
        // Borrowed from the whole corpus only with some weight of evidence.
        hostile = input.corpus_hostile.iter().filter(|(_, h)| h.count >= 2).map(|(p, h)| (p, h, false)).collect();
    }
    hostile.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
    for (phrase, h, own) in hostile {
        if forbidden.len() == 3 || phrase.chars().count() < 2 || models_norm.iter().any(|m| m.contains(phrase.as_str()))
        {
            continue;
        }
        let scope = if own { "本类" } else { "全库（本类没有）" };
        forbidden.push(Noted {
            value: phrase.clone(),
            note: format!(
                "{scope}差评对话中坐席说过 {} 次，例如对话 {}（满意度 {:+.2}）",
                h.count, h.example_id, h.example_quality
            ),
        });
    }

    // --- Supervisor demands and the escalation policy. ---
    let demand_rate = f.rate(f.demands);
    let mut supervisor_lines: Vec<Noted<String>> = Vec::new();
    let mut supervisor_answer: Option<Noted<String>> = None;
    for r in &f.demand_reps.items {
        let Some(c) = r.facts.customer_turns().filter(|t| !t.is_empty()).find(|t| t.demand) else { continue };
        if let Some(text) = clean_line(&c.text)
            && !supervisor_lines.iter().any(|l| l.value == text)
            && supervisor_lines.len() < 2
        {
            supervisor_lines
                .push(Noted { value: text, note: format!("对话 {}（{}）", r.facts.id, quality_text(r)) });
            push_unique(&mut used_ids, &r.facts.id);
        }
        if supervisor_answer.is_none() {
            let ts = turns(r);
            if let Some(i) = ts.iter().position(|t| std::ptr::eq(*t, c))
                && let Some(a) = ts.get(i + 1).filter(|a| a.role == Role::Agent)
                && let Some(text) = clean_line(&a.text)
            {
                supervisor_answer = Some(Noted {
                    value: text,
                    note: format!("对话 {} 的坐席回复（{}）", r.facts.id, quality_text(r)),
                });
            }
        }
    }
    let n_turns = turn_plans.len() as u32;
    let good_n = f.good.max(1);
    let transfer_rate = if f.good >= 3 { f.good_transfers as f32 / good_n as f32 } else { f.rate(f.transfers) };
    let transfer_at = (1..f.good_transfer_at.len())
        .max_by(|&a, &b| f.good_transfer_at[a].cmp(&f.good_transfer_at[b]).then(b.cmp(&a)))
        .filter(|&p| f.good_transfer_at[p] > 0)
        .unwrap_or(1) as u32;
    let with_supervisor = !supervisor_lines.is_empty() && demand_rate >= 0.1;
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
    if with_supervisor {
        let model = supervisor_answer.unwrap_or(Noted {
            value: "（请培训师补充：致歉并告知马上为客户转接主管）".into(),
            note: "找领导的对话里没有可用的坐席回复".into(),
        });
        let mut required = Vec::new();
        if concepts.iter().any(|c| c.key == "apology") {
            required.push("apology".to_string());
        }
        turn_plans.push(TurnPlan {
            id: "supervisor".into(),
            customer: supervisor_lines.iter().map(|l| Noted { value: l.value.clone(), note: l.note.clone() }).collect(),
            required,
            optional: Vec::new(),
            tone: Vec::new(),
            model_answer: model,
            next: vec![("Always".into(), "unresolved".into())],
            demands_supervisor: true,
        });
    }

    // --- Endings from how real dialogues ended. ---
    // Resolved: how satisfied customers closed ("好的，谢谢"); unresolved: the last word of
    // customers in poorly rated dialogues.
    let mut resolved_lines: Vec<Noted<String>> = Vec::new();
    for r in &good {
        for c in r.facts.customer_turns().filter(|t| !t.is_empty()) {
            let Some(text) = clean_line(&c.text) else { continue };
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
        let Some(text) = clean_line(&last.text) else { continue };
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

    // --- Samples: the model answers (good) and poorly rated agents' answers (bad). ---
    let mut samples = Vec::new();
    for (k, tp) in turn_plans.iter().enumerate() {
        if tp.model_answer.value.starts_with('（') {
            continue;
        }
        samples.push(SamplePlan {
            turn: tp.id.clone(),
            answer: tp.model_answer.value.clone(),
            range: (60.0, 100.0),
            good: true,
            note: format!("好评原话：{}", tp.model_answer.note),
            score: None,
        });
        if tp.demands_supervisor {
            continue;
        }
        let bad = poor.iter().find_map(|r| {
            let (_, a) = exchange(r, k)?;
            let text = clean_line(&a?.text)?;
            (text != tp.model_answer.value).then_some((text, r))
        });
        if let Some((text, r)) = bad {
            push_unique(&mut used_ids, &r.facts.id);
            samples.push(SamplePlan {
                turn: tp.id.clone(),
                answer: text,
                range: (0.0, 60.0),
                good: false,
                note: format!("差评原话：对话 {} 的坐席回复（{}）", r.facts.id, quality_text(r)),
                score: None,
            });
        }
    }

    // --- Persona. ---
    let first_anger = f.mean_first_anger();
    let mood = ((mood_of(first_anger) / 5.0).round() * 5.0).clamp(20.0, 85.0) as u8;
    let mood = Noted {
        value: mood,
        note: format!(
            "起始情绪：本类对话客户第一句的平均愤怒分 {first_anger:.2} → 20 + 70 × {first_anger:.2} ≈ {mood}（取整到 5）"
        ),
    };
    let (name, address, _) = NAMES[input.ordinal % NAMES.len()];
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
    let mut used_groups: Vec<String> = Vec::new();
    for tp in &turn_plans {
        for c in concepts.iter().filter(|c| !c.groups.is_empty()) {
            if (tp.required.contains(&c.key) || tp.optional.contains(&c.key)) && !used_groups.contains(&c.label) {
                used_groups.push(c.label.clone());
            }
        }
    }
    let mentioned: Vec<String> =
        concepts.iter().filter(|c| c.groups.is_empty()).map(|c| format!("“{}”", c.label)).collect();
    let briefing = format!(
        "本草稿来自 {} 段真实历史对话（主题：{topic}；客户类型：{}）。{}客户的原话见各回合。好评坐席通常会：{}{}。请培训师补充：坐席可以做什么、不可以做什么。",
        f.dialogues,
        persona.label(),
        sat.map_or_else(String::new, |s| format!("这类对话平均满意度 {s:+.2}（-2 至 2）。")),
        if used_groups.is_empty() { "按示范回答处理".to_string() } else { used_groups.join("、") },
        if mentioned.is_empty() { String::new() } else { format!("，并提到{}", mentioned.join("、")) }
    );
    let mut coaching = Vec::new();
    for c in concepts.iter().filter(|c| !c.groups.is_empty()) {
        if turn_plans.iter().any(|t| t.required.contains(&c.key)) {
            coaching.push(format!("{}。", c.note));
        }
    }
    if let Some(h) = forbidden.first() {
        coaching.push(format!("差评坐席说过“{}”：这类推责、生硬的话会让客户更生气。", h.value));
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
        if !c.phrases.is_empty() {
            fields.push(format!("phrases: {}", list(&c.phrases)));
        }
        if c.soothes {
            fields.push("soothes: true".into());
        }
        o.line(&format!("{}: ({}),", ron_string(&c.key), fields.join(", ")));
    }
    o.close("},");

    if p.forbidden.is_empty() {
        o.comment("差评对话里没有找到推责或敌意用语，红线留给培训师补充");
        o.line("forbidden: [],");
    } else {
        o.open("forbidden: [");
        for f in &p.forbidden {
            o.comment(&f.note);
            o.line(&format!("{},", ron_string(&f.value)));
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
                    "（低于 60：本草稿的要点或语气目标与这条好评回答不符，请调整）"
                } else {
                    "（高于 60：本草稿没能区分这条差评回答，请补充要点或红线）"
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
    fn characters_the_font_lacks_are_dropped() {
        assert_eq!(clean_line("气死我了\u{1F620}\u{1F620}宽带又断了").as_deref(), Some("气死我了宽带又断了"));
    }
}
