//! Escalation timing (on time, early, late, missed, premature) and the handoff note's facts.

use serde::Serialize;

use crate::scenario::compiled::CompiledScenario;
use crate::scenario::schema::{EscalationPolicy, Trigger};
use crate::scoring::{Evidence, RubricScore, round1, rubric};
use crate::text::analyzer::Analyzer;

/// How the transfer was timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    OnTime,
    Early,
    Late,
    Missed,
    /// Transferred a call the agent should have solved.
    Premature,
    /// No transfer, and none was needed.
    NotNeeded,
}

impl Timing {
    pub fn label(self) -> &'static str {
        match self {
            Timing::OnTime => "转接及时",
            Timing::Early => "转接过早",
            Timing::Late => "转接过晚",
            Timing::Missed => "该转未转",
            Timing::Premature => "不该转接",
            Timing::NotNeeded => "无需转接",
        }
    }
}

/// What happened in the call that matters for escalation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EscalationFacts {
    /// The turn (1-based) at which the agent transferred, and the note.
    pub transfer: Option<(u32, String)>,
    /// When the transfer was announced in the answer just before it: that answer's turn and
    /// the words; the transfer may count at that turn.
    pub announced: Option<(u32, String)>,
    /// The turn (1-based) at which a trigger of the policy first fired, and which.
    pub trigger: Option<(u32, Trigger)>,
    /// Turns the customer spoke in all.
    pub turns: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalationResult {
    pub timing: Timing,
    pub transfer_turn: Option<u32>,
    pub trigger_turn: Option<u32>,
    /// Handoff facts carried by the note, and those missing (labels).
    pub facts_carried: Vec<String>,
    pub facts_missing: Vec<String>,
    pub score: RubricScore,
    pub evidence: Vec<Evidence>,
}

/// Scores the call's escalation.
pub fn score(analyzer: &Analyzer, sc: &CompiledScenario, facts: &EscalationFacts) -> EscalationResult {
    let esc = &sc.scenario.escalation;
    let weight = sc.scenario.rubric.weights.escalation;
    let transfer_turn = facts.transfer.as_ref().map(|t| t.0);
    let trigger_turn = facts.trigger.as_ref().map(|t| t.0);
    let mut reasons = Vec::new();
    let actual = timing_at(&esc.policy, transfer_turn, trigger_turn, facts);
    // Telling the customer about the transfer in the answer just before it: the transfer may
    // count at that answer's turn, whichever is better for the trainee.
    let announced =
        facts.announced.as_ref().map(|(t, words)| (timing_at(&esc.policy, Some(*t), trigger_turn, facts), *t, words));
    let mut counted_turn = transfer_turn;
    let (timing, timing_score, why) = match announced {
        Some((at_announcement, t, words)) if at_announcement.1 > actual.1 => {
            let (timing, points, why) = at_announcement;
            reasons.push(why);
            reasons.push(format!("第 {t} 回合的回答已告知客户转接（「{words}」），转接按第 {t} 回合计"));
            counted_turn = Some(t);
            (timing, points, String::new())
        }
        _ => actual,
    };
    if !why.is_empty() {
        reasons.insert(0, why);
    }
    if !esc.rationale.is_empty() {
        reasons.push(format!("依据：{}", esc.rationale));
    }

    let mut evidence = vec![Evidence::new("escalation", "timing", timing.label(), reasons[0].clone())];
    let mut facts_carried = Vec::new();
    let mut facts_missing = Vec::new();
    let mut score = timing_score;
    if let Some((_, note)) = &facts.transfer
        && !esc.handoff_facts.is_empty()
    {
        let a = analyzer.analyze(note);
        let hits = sc.handoff_facts.find(&a, analyzer.negators());
        for (i, fact) in esc.handoff_facts.iter().enumerate() {
            let by_phrase = hits.iter().find(|h| !h.negated && h.payloads.contains(&i)).map(|h| h.phrase.to_string());
            let by_pattern = sc
                .handoff_patterns
                .iter()
                .filter(|(f, _)| *f == i)
                .find_map(|(_, re)| re.find(&a.norm).map(|m| m.as_str().to_string()));
            match by_phrase.or(by_pattern) {
                Some(m) => {
                    facts_carried.push(fact.label.clone());
                    evidence.push(Evidence::new(
                        "escalation",
                        "fact",
                        m.clone(),
                        format!("交接说明写明了{}：「{m}」", fact.label),
                    ));
                }
                None => {
                    facts_missing.push(fact.label.clone());
                    evidence.push(Evidence::new(
                        "escalation",
                        "fact_missing",
                        fact.label.clone(),
                        format!("交接说明缺少{}，接手的人还得再问", fact.label),
                    ));
                }
            }
        }
        let share = facts_carried.len() as f32 / esc.handoff_facts.len() as f32;
        let note_score = 100.0 * share;
        score = (1.0 - rubric::NOTE_SHARE) * timing_score + rubric::NOTE_SHARE * note_score;
        reasons.push(format!(
            "交接说明 {}/{} 项要点{}：{:.0}×{} + {:.0}×{} = {:.1}",
            facts_carried.len(),
            esc.handoff_facts.len(),
            if facts_missing.is_empty() { String::new() } else { format!("（缺：{}）", facts_missing.join("、")) },
            timing_score,
            1.0 - rubric::NOTE_SHARE,
            note_score,
            rubric::NOTE_SHARE,
            score
        ));
    }
    EscalationResult {
        timing,
        transfer_turn: counted_turn,
        trigger_turn,
        facts_carried,
        facts_missing,
        score: RubricScore::new(round1(score), weight, reasons),
        evidence,
    }
}

/// The timing of a transfer at `transfer_turn` (None: never), with its points and the reason.
fn timing_at(
    policy: &EscalationPolicy,
    transfer_turn: Option<u32>,
    trigger_turn: Option<u32>,
    facts: &EscalationFacts,
) -> (Timing, f32, String) {
    let mut reasons = Vec::new();
    let (timing, points) = match (policy, transfer_turn) {
        (EscalationPolicy::SolveYourself, None) => {
            reasons.push("本案应由坐席自行解决，没有转接 ✓".to_string());
            (Timing::NotNeeded, rubric::ON_TIME)
        }
        (EscalationPolicy::SolveYourself, Some(t)) => {
            reasons.push(format!("第 {t} 回合转接，但本案在坐席权限内，应自行解决"));
            (Timing::Premature, rubric::PREMATURE)
        }
        (EscalationPolicy::Either, None) => {
            reasons.push("本案可转可不转，没有转接".to_string());
            (Timing::NotNeeded, rubric::ON_TIME)
        }
        (EscalationPolicy::Either, Some(t)) => {
            reasons.push(format!("第 {t} 回合转接；本案可转可不转"));
            (Timing::OnTime, rubric::ON_TIME)
        }
        (EscalationPolicy::Window { from, to }, None) => {
            reasons.push(format!("应在第 {from}–{to} 回合转接，但始终没有转接"));
            (Timing::Missed, rubric::MISSED)
        }
        (EscalationPolicy::Window { from, to }, Some(t)) => {
            if t < *from {
                reasons.push(format!("第 {t} 回合就转接，早于应转接的第 {from}–{to} 回合"));
                (Timing::Early, rubric::EARLY)
            } else if t > *to {
                reasons.push(format!("第 {t} 回合才转接，晚于第 {from}–{to} 回合，晚了 {} 回合", t - to));
                (Timing::Late, rubric::late(t - to))
            } else {
                reasons.push(format!("第 {t} 回合转接，在应转接的第 {from}–{to} 回合内 ✓"));
                (Timing::OnTime, rubric::ON_TIME)
            }
        }
        (EscalationPolicy::OnTrigger { grace, .. }, _) => match (trigger_turn, transfer_turn) {
            (None, None) => {
                reasons.push("没有出现需要转接的情况，也没有转接 ✓".to_string());
                (Timing::NotNeeded, rubric::ON_TIME)
            }
            (None, Some(t)) => {
                reasons.push(format!("第 {t} 回合转接，但此时还没有出现需要转接的情况（{}）", trigger_list(policy)));
                (Timing::Early, rubric::EARLY)
            }
            (Some(g), Some(t)) if t < g => {
                reasons.push(format!("第 {t} 回合转接，早于第 {g} 回合出现的转接条件"));
                (Timing::Early, rubric::EARLY)
            }
            (Some(g), Some(t)) if t <= g + grace => {
                reasons.push(format!("第 {g} 回合{}，第 {t} 回合转接，及时 ✓", trigger_label(facts)));
                (Timing::OnTime, rubric::ON_TIME)
            }
            (Some(g), Some(t)) => {
                let late = t - g - grace;
                reasons.push(format!("第 {g} 回合{}，第 {t} 回合才转接，晚了 {late} 回合", trigger_label(facts)));
                (Timing::Late, rubric::late(late))
            }
            (Some(g), None) => {
                reasons.push(format!("第 {g} 回合{}，但始终没有转接", trigger_label(facts)));
                (Timing::Missed, rubric::MISSED)
            }
        },
    };
    (timing, points, reasons.pop().unwrap_or_default())
}

fn trigger_list(policy: &EscalationPolicy) -> String {
    match policy {
        EscalationPolicy::OnTrigger { triggers, .. } => {
            triggers.iter().map(trigger_text).collect::<Vec<_>>().join("、")
        }
        _ => String::new(),
    }
}

pub fn trigger_text(t: &Trigger) -> String {
    match t {
        Trigger::DemandsSupervisor => "客户要求找领导".to_string(),
        Trigger::MoodAtLeast(m) => format!("客户情绪达到 {m}"),
        Trigger::BeyondAuthority => "客户的要求超出坐席权限".to_string(),
    }
}

fn trigger_label(facts: &EscalationFacts) -> String {
    facts.trigger.as_ref().map(|(_, t)| trigger_text(t)).unwrap_or_default()
}
