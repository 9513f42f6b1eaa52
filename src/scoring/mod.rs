//! Scoring: every rubric, deterministic, each number with the evidence behind it.
//!
//! Per answer: `concepts` (keywords), `tone`, `no_repeat` (asking the customer again for what
//! the chatbot already knew) and `responsiveness` (latency against patience). Per call, in
//! addition: `escalation` (transfer timing and the handoff note). `rubric.rs` holds the one
//! place where the numbers of each rubric are defined.

pub mod agreement;
pub mod concept_report;
pub mod conduct;
pub mod escalation;
pub mod incidents;
pub mod rubric;
pub mod samples;
pub mod scorecard;
pub mod skills;
pub mod turn;

use serde::Serialize;

/// The rubrics, in the order they are shown.
pub const RUBRICS: [&str; 5] = ["concepts", "tone", "escalation", "no_repeat", "responsiveness"];

/// The Chinese name of a rubric.
pub fn rubric_label(name: &str) -> &'static str {
    match name {
        "concepts" => "关键要点",
        "tone" => "语气态度",
        "escalation" => "升级时机",
        "no_repeat" => "不重复询问",
        "responsiveness" => "响应速度",
        _ => "其他",
    }
}

/// One rubric's score with the reasons, in Chinese, that explain it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RubricScore {
    /// 0–100.
    pub score: f32,
    /// The weight it carries in the overall score.
    pub weight: f32,
    /// False when the rubric does not apply (e.g. `no_repeat` without a chatbot history);
    /// it is then left out of the overall score.
    pub applicable: bool,
    pub reasons: Vec<String>,
}

impl RubricScore {
    pub fn new(score: f32, weight: f32, reasons: Vec<String>) -> Self {
        RubricScore { score: round1(score.clamp(0.0, 100.0)), weight, applicable: true, reasons }
    }

    pub fn not_applicable(weight: f32, reason: impl Into<String>) -> Self {
        RubricScore { score: 0.0, weight, applicable: false, reasons: vec![reason.into()] }
    }
}

/// One piece of evidence: a rule that fired on some words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub rubric: &'static str,
    /// hit, missed, negated, red_line, tone, goal_met, goal_missed, asked_again, confirmed,
    /// latency, fact, …
    pub kind: &'static str,
    /// The words matched, or the thing missing.
    pub matched: String,
    /// What it means, in Chinese.
    pub detail: String,
}

impl Evidence {
    pub fn new(
        rubric: &'static str,
        kind: &'static str,
        matched: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Evidence { rubric, kind, matched: matched.into(), detail: detail.into() }
    }
}

/// Weighted mean of the applicable rubrics (weights renormalised over them).
pub fn weighted_overall<'a>(rubrics: impl IntoIterator<Item = &'a RubricScore>) -> f32 {
    let (sum, weights) = rubrics
        .into_iter()
        .filter(|r| r.applicable && r.weight > 0.0)
        .fold((0.0, 0.0), |(s, w), r| (s + r.score * r.weight, w + r.weight));
    if weights > 0.0 { round1(sum / weights) } else { 0.0 }
}

/// Rounds to one decimal: scores are shown and compared at that precision.
pub fn round1(x: f32) -> f32 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overall_renormalises_over_applicable_rubrics() {
        let a = RubricScore::new(80.0, 0.4, vec![]);
        let b = RubricScore::new(60.0, 0.2, vec![]);
        let c = RubricScore::not_applicable(0.4, "n/a");
        assert_eq!(weighted_overall([&a, &b, &c]), round1((80.0 * 0.4 + 60.0 * 0.2) / 0.6));
        assert_eq!(weighted_overall([&c]), 0.0);
    }
}
