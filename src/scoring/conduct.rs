//! The shared conduct policy: what an insult, blame, mockery or a security breach costs a turn
//! and the customer's mood, in every scenario, whether or not the scenario lists it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, SourceText};
use crate::text::acts::{Act, ActHit};

/// The policy file (`ConductPolicy(…)` in the lexicon directory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConductPolicy {
    #[serde(default)]
    pub description: String,
    /// A conduct hit at least this strong (its rule's weight) breaches the policy; weaker ones
    /// only count against the tone.
    pub breach_from: f32,
    /// A breach at least this strong is unacceptable: the act's own cap applies and the call
    /// fails. A weaker breach (a grudging 下次注意点) caps the turn at `mild_cap` only.
    pub strong_from: f32,
    pub mild_cap: f32,
    /// For each conduct act: the turn's highest score and what it does to the mood.
    pub acts: BTreeMap<Act, ConductRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConductRule {
    /// The turn's overall score is at most this (0–100).
    pub cap: f32,
    /// Mood points the customer's anger rises by (before the persona's sensitivity).
    pub inflame: f32,
}

/// The shipped policy, compiled in.
pub const EMBEDDED: &str = include_str!("../../scenarios/lexicons/conduct.ron");

impl ConductPolicy {
    pub fn embedded() -> ConductPolicy {
        crate::ron_file::options().from_str(EMBEDDED).expect("the shipped conduct policy is checked by the test suite")
    }

    /// The rule a hit breaches, if it does.
    pub fn breached_by(&self, hit: &ActHit) -> Option<&ConductRule> {
        (hit.act.is_conduct() && !hit.negated && hit.weight >= self.breach_from)
            .then(|| self.acts.get(&hit.act))
            .flatten()
    }

    /// The turn's cap for a breaching hit, and whether the breach fails the call.
    pub fn cap_of(&self, hit: &ActHit, rule: &ConductRule) -> (f32, bool) {
        if hit.weight >= self.strong_from { (rule.cap, true) } else { (rule.cap.max(self.mild_cap), false) }
    }
}

/// Checks a policy file: every conduct act has a rule, caps in 0–100, mood points in 0–100.
pub fn check(policy: &ConductPolicy, src: &SourceText) -> Vec<Diagnostic> {
    let path = src.path.as_path();
    let mut out = Vec::new();
    if !(policy.breach_from.is_finite() && (0.0..=1.0).contains(&policy.breach_from)) {
        out.push(Diagnostic::error(
            path,
            src.locate_key("breach_from"),
            "bad-value",
            format!("breach_from {} 不在 0 到 1 之间", policy.breach_from),
            "达到这个权重的不当言行才算违规，常用 0.5",
        ));
    }
    if !(policy.strong_from.is_finite() && policy.strong_from >= policy.breach_from && policy.strong_from <= 1.0) {
        out.push(Diagnostic::error(
            path,
            src.locate_key("strong_from"),
            "bad-value",
            format!("strong_from {} 应在 breach_from 与 1 之间", policy.strong_from),
            "达到这个权重的违规不可接受，常用 0.65",
        ));
    }
    if !(policy.mild_cap.is_finite() && (0.0..=100.0).contains(&policy.mild_cap)) {
        out.push(Diagnostic::error(
            path,
            src.locate_key("mild_cap"),
            "bad-value",
            format!("mild_cap {} 不在 0–100 之间", policy.mild_cap),
            "轻微违规时本回合的最高分，常用 30",
        ));
    }
    for act in Act::ALL.into_iter().filter(|a| a.is_conduct()) {
        if !policy.acts.contains_key(&act) {
            out.push(Diagnostic::error(
                path,
                src.locate_key("acts"),
                "missing-field",
                format!("没有给“{}”（{act:?}）定规则", act.label()),
                format!("在 acts 中加上 {act:?}: (cap: 30, inflame: 20)"),
            ));
        }
    }
    for (act, rule) in &policy.acts {
        let at = src.locate_text(&format!("{act:?}:"));
        if !act.is_conduct() {
            out.push(Diagnostic::error(
                path,
                at,
                "bad-value",
                format!("{act:?} 不是不当言行"),
                "这里只写 Insult、Attack、Blame、ShiftBlame、Dismiss、Sarcasm、Minimize、Impatience、SecurityBreach",
            ));
        }
        if !(rule.cap.is_finite() && (0.0..=100.0).contains(&rule.cap)) {
            out.push(Diagnostic::error(
                path,
                at,
                "bad-value",
                format!("{act:?} 的 cap {} 不在 0–100 之间", rule.cap),
                "cap 是本回合的最高分",
            ));
        }
        if !(rule.inflame.is_finite() && (0.0..=100.0).contains(&rule.inflame)) {
            out.push(Diagnostic::error(
                path,
                at,
                "bad-value",
                format!("{act:?} 的 inflame {} 不在 0–100 之间", rule.inflame),
                "inflame 是客户情绪上升的分数",
            ));
        }
    }
    out
}
