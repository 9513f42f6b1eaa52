//! Incidents: what must not go unnoticed in a call whatever its score — conduct and security
//! breaches, red lines (forbidden phrases and promises), premature or missed transfers and
//! hang-ups — each with the trainee's words and the turn. The records derive the same list
//! from the stored turns and scorecard (`records::store`, the `incident_*` views).

use serde::Serialize;

use crate::scoring::escalation::Timing;
use crate::scoring::scorecard::TurnResult;
use crate::session::Outcome;

/// The kinds of incident, in the order they are listed.
pub const KINDS: [&str; 6] = ["security", "conduct", "red_line", "premature_transfer", "missed_transfer", "hang_up"];

/// The Chinese name of an incident kind.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "security" => "信息安全违规",
        "conduct" => "不当言行",
        "red_line" => "触犯红线",
        "premature_transfer" => "过早转接",
        "missed_transfer" => "该转未转",
        "hang_up" => "挂断",
        _ => "其他",
    }
}

/// One incident of a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    /// One of `KINDS`.
    pub kind: String,
    /// What happened, e.g. "推卸责任", "承诺直接退款（坐席无权直接退款）", "不该转接".
    pub label: String,
    /// The trainee's words that show it (an answer, a handoff note); empty when there are none.
    pub quote: String,
    /// The turn (1-based) it happened in; 0 when the call had no answer.
    pub turn: u32,
}

/// The label of a transfer incident for a timing (premature, early, missed).
pub fn timing_label(timing: Timing) -> &'static str {
    match timing {
        Timing::Premature => "不该转接（应自行处理，或先完成必需步骤）",
        Timing::Early => "早于应转接的回合",
        Timing::Missed => "出现转接条件后始终没有转接",
        _ => "",
    }
}

/// The label of a hang-up outcome, if the call ended so.
pub fn hang_up_label(outcome: Outcome) -> Option<&'static str> {
    match outcome {
        Outcome::CustomerHungUp => Some("客户愤而挂断"),
        Outcome::AgentHungUp => Some("坐席在问题解决前挂断"),
        _ => None,
    }
}

/// The incidents of one answer: its conduct breaches, then the red lines it crossed (with the
/// words from its evidence).
pub fn of_turn(turn: &TurnResult) -> Vec<Incident> {
    let s = &turn.score;
    let mut out: Vec<Incident> = s
        .conduct
        .iter()
        .map(|b| Incident {
            kind: if b.act == crate::text::acts::Act::SecurityBreach { "security" } else { "conduct" }.to_string(),
            label: b.label.clone(),
            quote: b.quote.clone(),
            turn: turn.turn,
        })
        .collect();
    let mut words = s.evidence.iter().filter(|e| e.kind == "red_line").map(|e| e.matched.clone());
    for line in &s.red_lines {
        out.push(Incident {
            kind: "red_line".into(),
            label: line.clone(),
            quote: words.next().unwrap_or_else(|| line.clone()),
            turn: turn.turn,
        });
    }
    out
}

/// The incidents of a whole call: each answer's, then the transfer's and the ending's.
pub fn of_call(
    turns: &[TurnResult],
    timing: Timing,
    transfer_turn: Option<u32>,
    trigger_turn: Option<u32>,
    transfer_note: Option<&str>,
    unkept_announcement: Option<&(u32, String)>,
    outcome: Outcome,
) -> Vec<Incident> {
    let mut out: Vec<Incident> = turns.iter().flat_map(of_turn).collect();
    let answer_at = |n: u32| turns.iter().rev().find(|t| t.turn == n).map(|t| t.score.answer.clone());
    match timing {
        Timing::Premature | Timing::Early => out.push(Incident {
            kind: "premature_transfer".into(),
            label: timing_label(timing).into(),
            quote: transfer_note.unwrap_or_default().to_string(),
            turn: transfer_turn.unwrap_or(0),
        }),
        Timing::Missed => {
            let turn = trigger_turn.unwrap_or(0);
            out.push(Incident {
                kind: "missed_transfer".into(),
                label: timing_label(timing).into(),
                quote: answer_at(turn).unwrap_or_default(),
                turn,
            });
        }
        _ => {}
    }
    if let Some((turn, words)) = unkept_announcement {
        out.push(Incident {
            kind: "missed_transfer".into(),
            label: "告知客户转接，却没有转接".into(),
            quote: words.clone(),
            turn: *turn,
        });
    }
    if let Some(label) = hang_up_label(outcome) {
        let last = turns.last();
        out.push(Incident {
            kind: "hang_up".into(),
            label: label.into(),
            quote: last.map(|t| t.score.answer.clone()).unwrap_or_default(),
            turn: last.map_or(0, |t| t.turn),
        });
    }
    out
}
