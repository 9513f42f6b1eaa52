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
    /// Transferred a call the agent should have solved, or before the steps the scenario's
    /// `before_transfer` requires.
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
    /// The turn (1-based) at which the agent first transferred, and the note.
    pub transfer: Option<(u32, String)>,
    /// Every answer of the call that told the customer about a transfer, in order: its turn and
    /// the words. A transfer later in the call may count at such a turn.
    pub announced: Vec<(u32, String)>,
    /// The scenario's `before_transfer` concepts that no answer had hit when the call was first
    /// transferred (names, in the scenario's order).
    pub unmet_before_transfer: Vec<String>,
    /// The call is over and this announcement (the first such) was followed by no transfer.
    pub unkept_announcement: Option<(u32, String)>,
    /// The turn (1-based) at which a trigger of the policy first fired, and which.
    pub trigger: Option<(u32, Trigger)>,
    /// Turns the customer spoke in all.
    pub turns: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalationResult {
    pub timing: Timing,
    /// The turn the transfer counts at: the transfer's own, or an earlier announcement's.
    pub transfer_turn: Option<u32>,
    pub trigger_turn: Option<u32>,
    /// Handoff facts carried by the note, and those missing (labels).
    pub facts_carried: Vec<String>,
    pub facts_missing: Vec<String>,
    /// The `before_transfer` steps not done before the transfer (labels).
    pub missing_before_transfer: Vec<String>,
    /// The customer was told about a transfer at this turn (with these words) and never
    /// transferred.
    pub unkept_announcement: Option<(u32, String)>,
    /// The handoff note of the transfer, if the call was transferred.
    pub transfer_note: Option<String>,
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
    let mut counted_turn = transfer_turn;
    let missing_before_transfer: Vec<String> = facts
        .unmet_before_transfer
        .iter()
        .map(|name| sc.scenario.concepts.get(name).map_or_else(|| name.clone(), |c| c.label.clone()))
        .collect();
    let solve_yourself = matches!(esc.policy, EscalationPolicy::SolveYourself);
    let (timing, timing_score) = match transfer_turn {
        // Handing the call on before the steps that must come first (freeze the card, then
        // transfer) is premature, whatever the window or the triggers say.
        Some(t) if !solve_yourself && !missing_before_transfer.is_empty() => {
            reasons.push(format!("第 {t} 回合转接，但转接前应先完成：{}", missing_before_transfer.join("、")));
            (Timing::Premature, rubric::PREMATURE)
        }
        _ => {
            let (mut timing, mut points, why) = timing_at(&esc.policy, transfer_turn, trigger_turn, facts);
            reasons.push(why);
            // Telling the customer about the transfer in an answer before it: the transfer may
            // count at that answer's turn, whichever is better for the trainee (on a tie, the
            // transfer's own turn; among announcements, the first).
            let before: Vec<&(u32, String)> =
                facts.announced.iter().filter(|(a, _)| transfer_turn.is_some_and(|t| *a < t)).collect();
            let mut announced_line = None;
            for (a, words) in before {
                let (at_timing, at_points, at_why) = timing_at(&esc.policy, Some(*a), trigger_turn, facts);
                if at_points > points {
                    (timing, points) = (at_timing, at_points);
                    reasons[0] = at_why;
                    announced_line =
                        Some(format!("第 {a} 回合的回答已告知客户转接（「{words}」），转接按第 {a} 回合计"));
                    counted_turn = Some(*a);
                }
            }
            reasons.extend(announced_line);
            (timing, points)
        }
    };
    let mut evidence = vec![Evidence::new("escalation", "timing", timing.label(), reasons[0].clone())];
    if let Some((n, words)) = &facts.unkept_announcement {
        let why = format!("第 {n} 回合已告知客户转接（「{words}」），但直到通话结束都没有转接");
        evidence.push(Evidence::new("escalation", "unkept_announcement", words.clone(), why.clone()));
        reasons.push(why);
    }
    if !esc.rationale.is_empty() {
        reasons.push(format!("依据：{}", esc.rationale));
    }

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
        missing_before_transfer,
        unkept_announcement: facts.unkept_announcement.clone(),
        transfer_note: facts.transfer.as_ref().map(|t| t.1.clone()),
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
            (Timing::Premature, rubric::SOLVE_YOURSELF_TRANSFER)
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

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::scenario::schema::Scenario;

    fn analyzer() -> &'static Analyzer {
        static A: OnceLock<Analyzer> = OnceLock::new();
        A.get_or_init(Analyzer::with_embedded_lexicons)
    }

    /// A one-turn scenario with this policy whose transfer must come after "frozen".
    fn scenario(policy: &str) -> CompiledScenario {
        let text = format!(
            r#"Scenario(id: "t", title: "t", version: 1, skills: [Escalation], difficulty: 1, channel: Phone,
                persona: (kind: Anxious, name: "刘晓燕", title: "刘女士", mood: 60, patience_secs: 20),
                concepts: {{ "frozen": (label: "确认已冻结", phrases: ["已冻结"]) }},
                turns: [(id: "open", customer: [(text: "我的卡被盗刷了！")])],
                endings: [(id: "done", kind: Resolved)],
                escalation: (policy: {policy}, before_transfer: ["frozen"]))"#
        );
        let s: Scenario = ron::from_str(&text).expect("test scenario parses");
        let mut a = analyzer().clone();
        CompiledScenario::compile(s, &mut a, None, String::new()).expect("test scenario compiles")
    }

    fn transfer_at(t: u32) -> Option<(u32, String)> {
        Some((t, String::new()))
    }

    #[test]
    fn a_transfer_before_the_required_steps_is_premature_whatever_the_window() {
        let sc = scenario("Window(from: 3, to: 4)");
        let unmet = EscalationFacts {
            transfer: transfer_at(3),
            unmet_before_transfer: vec!["frozen".into()],
            ..Default::default()
        };
        let r = score(analyzer(), &sc, &unmet);
        assert_eq!((r.timing, r.score.score, r.transfer_turn), (Timing::Premature, 20.0, Some(3)));
        assert_eq!(r.score.reasons[0], "第 3 回合转接，但转接前应先完成：确认已冻结");
        assert_eq!(r.missing_before_transfer, vec!["确认已冻结"]);
        // The same transfer once the card is frozen is on time.
        let met = EscalationFacts { transfer: transfer_at(3), ..Default::default() };
        let r = score(analyzer(), &sc, &met);
        assert_eq!((r.timing, r.score.score), (Timing::OnTime, 100.0));
        assert_eq!(r.score.reasons[0], "第 3 回合转接，在应转接的第 3–4 回合内 ✓");
        assert!(r.missing_before_transfer.is_empty());
        // An announcement cannot make up for the missing step.
        let announced = EscalationFacts { announced: vec![(3, "转接".into())], transfer: transfer_at(5), ..unmet };
        assert_eq!(score(analyzer(), &sc, &announced).timing, Timing::Premature);
    }

    #[test]
    fn an_announcement_earlier_in_the_call_counts_as_the_transfer() {
        let sc = scenario("Window(from: 2, to: 2)");
        let late = EscalationFacts { transfer: transfer_at(4), ..Default::default() };
        let r = score(analyzer(), &sc, &late);
        assert_eq!((r.timing, r.score.score), (Timing::Late, 50.0));
        // Announced at turn 2, then a question answered at turn 3, then the transfer at 4.
        let announced = EscalationFacts { announced: vec![(2, "为您转".into())], ..late.clone() };
        let r = score(analyzer(), &sc, &announced);
        assert_eq!((r.timing, r.score.score, r.transfer_turn), (Timing::OnTime, 100.0, Some(2)));
        assert_eq!(r.score.reasons[0], "第 2 回合转接，在应转接的第 2–2 回合内 ✓");
        assert_eq!(r.score.reasons[1], "第 2 回合的回答已告知客户转接（「为您转」），转接按第 2 回合计");
        // An announcement after the transfer does not count.
        let after = EscalationFacts { announced: vec![(5, "转接".into())], ..late };
        let r = score(analyzer(), &sc, &after);
        assert_eq!((r.timing, r.transfer_turn), (Timing::Late, Some(4)));
    }

    #[test]
    fn the_first_announcement_that_scores_better_counts() {
        let sc = scenario("Window(from: 2, to: 3)");
        let facts = EscalationFacts {
            transfer: transfer_at(5),
            announced: vec![(1, "转接".into()), (2, "转给".into()), (3, "转到".into())],
            ..Default::default()
        };
        let r = score(analyzer(), &sc, &facts);
        // Turn 1 would be early (40 < late 50), turns 2 and 3 on time: the first of them.
        assert_eq!((r.timing, r.transfer_turn), (Timing::OnTime, Some(2)));
        assert!(r.score.reasons.iter().any(|x| x.contains("「转给」")), "{:?}", r.score.reasons);
    }

    #[test]
    fn a_transfer_in_a_solve_yourself_scenario_scores_nothing() {
        let sc = scenario("SolveYourself");
        let facts = EscalationFacts {
            transfer: transfer_at(2),
            unmet_before_transfer: vec!["frozen".into()],
            ..Default::default()
        };
        let r = score(analyzer(), &sc, &facts);
        assert_eq!((r.timing, r.score.score), (Timing::Premature, 0.0));
        assert_eq!(r.score.reasons[0], "第 2 回合转接，但本案在坐席权限内，应自行解决");
    }

    #[test]
    fn an_announcement_never_followed_by_a_transfer_is_named() {
        let sc = scenario("Window(from: 2, to: 3)");
        let facts = EscalationFacts {
            announced: vec![(2, "转接".into())],
            unkept_announcement: Some((2, "转接".into())),
            ..Default::default()
        };
        let r = score(analyzer(), &sc, &facts);
        assert_eq!((r.timing, r.score.score, r.transfer_turn), (Timing::Missed, 0.0, None));
        assert_eq!(r.unkept_announcement, Some((2, "转接".to_string())));
        assert!(
            r.score.reasons.contains(&"第 2 回合已告知客户转接（「转接」），但直到通话结束都没有转接".to_string()),
            "{:?}",
            r.score.reasons
        );
        assert!(r.evidence.iter().any(|e| e.kind == "unkept_announcement" && e.matched == "转接"));
    }
}
