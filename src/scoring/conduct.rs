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
    let mut in_range = |value: f32, low: f32, high: f32, at, what: String, hint: &str| {
        if !(value.is_finite() && (low..=high).contains(&value)) {
            out.push(Diagnostic::error(
                path,
                at,
                "bad-value",
                format!("{what} {value} 不在 {low} 到 {high} 之间"),
                hint,
            ));
        }
    };
    in_range(
        policy.breach_from,
        0.0,
        1.0,
        src.locate_key("breach_from"),
        "breach_from".into(),
        "达到这个权重的不当言行才算违规，常用 0.5",
    );
    in_range(
        policy.strong_from,
        if policy.breach_from.is_finite() { policy.breach_from.clamp(0.0, 1.0) } else { 0.0 },
        1.0,
        src.locate_key("strong_from"),
        "strong_from".into(),
        "strong_from 应在 breach_from 与 1 之间：达到这个权重的违规不可接受，常用 0.65",
    );
    in_range(
        policy.mild_cap,
        0.0,
        100.0,
        src.locate_key("mild_cap"),
        "mild_cap".into(),
        "轻微违规时本回合的最高分，常用 30",
    );
    for (act, rule) in &policy.acts {
        let at = src.locate_text(&format!("{act:?}:"));
        in_range(rule.cap, 0.0, 100.0, at, format!("{act:?} 的 cap"), "cap 是本回合的最高分");
        in_range(rule.inflame, 0.0, 100.0, at, format!("{act:?} 的 inflame"), "inflame 是客户情绪上升的分数");
    }
    let conduct_acts: Vec<Act> = Act::ALL.into_iter().filter(|a| a.is_conduct()).collect();
    for act in &conduct_acts {
        if !policy.acts.contains_key(act) {
            out.push(Diagnostic::error(
                path,
                src.locate_key("acts"),
                "missing-field",
                format!("没有给“{}”（{act:?}）定规则", act.label()),
                format!("在 acts 中加上 {act:?}: (cap: 30, inflame: 20)"),
            ));
        }
    }
    let names = conduct_acts.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join("、");
    for act in policy.acts.keys().filter(|a| !a.is_conduct()) {
        out.push(Diagnostic::error(
            path,
            src.locate_text(&format!("{act:?}:")),
            "bad-value",
            format!("{act:?} 不是不当言行"),
            format!("这里只写 {names}"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(text: &str) -> Vec<Diagnostic> {
        let src = SourceText::new("conduct.ron", text);
        let policy: ConductPolicy = crate::ron_file::options().from_str(text).expect("parses");
        check(&policy, &src)
    }

    #[test]
    fn the_shipped_policy_is_clean() {
        assert_eq!(checked(EMBEDDED), Vec::new());
    }

    #[test]
    fn values_out_of_range_are_named() {
        let mut policy = ConductPolicy::embedded();
        policy.breach_from = f32::NAN;
        policy.mild_cap = 130.0;
        policy.acts.get_mut(&Act::Insult).unwrap().inflame = f32::INFINITY;
        let src = SourceText::new("conduct.ron", EMBEDDED);
        let found = check(&policy, &src);
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(found.len(), 3, "{messages:?}");
        assert!(messages.iter().any(|m| m.starts_with("breach_from NaN")), "{messages:?}");
        assert!(messages.iter().any(|m| m.starts_with("mild_cap 130")), "{messages:?}");
        assert!(messages.iter().any(|m| m.starts_with("Insult 的 inflame inf")), "{messages:?}");
    }

    #[test]
    fn a_non_conduct_act_lists_every_conduct_act() {
        let mut policy = ConductPolicy::embedded();
        policy.acts.insert(Act::Thank, ConductRule { cap: 50.0, inflame: 0.0 });
        let src = SourceText::new("conduct.ron", EMBEDDED);
        let found = check(&policy, &src);
        assert_eq!(found.len(), 1);
        assert!(found[0].hint.contains("Overpromise") && found[0].hint.contains("SecurityBreach"), "{}", found[0].hint);
    }
}
