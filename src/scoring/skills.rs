//! Skills from turn-level evidence: which skill each concept, act and rule shows (the data in
//! `assets/skills.ron`), the marks one answer earns for each skill, and a call's figure per
//! skill built only from the turns that exercised it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::scenario::compiled::CompiledScenario;
use crate::scenario::schema::{Concept, Skill, ToneGoal};
use crate::scoring::escalation::{EscalationResult, Timing};
use crate::scoring::turn::TurnScore;
use crate::text::acts::Act;

/// The shipped map, compiled in.
pub const EMBEDDED: &str = include_str!("../../assets/skills.ron");

/// Which skill each concept, act and rule shows (`assets/skills.ron`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillMap {
    #[serde(default)]
    pub description: String,
    /// A concept's skill by its synonym group, when the scenario gives none.
    pub groups: BTreeMap<String, Skill>,
    /// A concept's skill when neither the scenario nor its groups give one.
    pub concept_default: Skill,
    /// Acts that show a skill when performed.
    pub acts: BTreeMap<Act, Skill>,
    /// Conduct breaches, by act.
    pub conduct: BTreeMap<Act, Skill>,
    /// A forbidden phrase said.
    pub red_line: Skill,
    /// A forbidden act done, by its act (others count as `red_line`).
    pub forbidden_acts: BTreeMap<Act, Skill>,
    /// Tone goals, met or missed.
    pub goals: BTreeMap<ToneGoal, Skill>,
    /// Asking again for what the customer already told the chatbot.
    pub asked_again: Skill,
    /// Skills every answer exercises (100 unless the answer breached them).
    pub every_answer: Vec<Skill>,
    /// The call's transfer timing.
    pub escalation: Skill,
}

impl SkillMap {
    /// The shipped map (parsed once).
    pub fn shipped() -> &'static SkillMap {
        static MAP: OnceLock<SkillMap> = OnceLock::new();
        MAP.get_or_init(|| {
            crate::ron_file::options().from_str(EMBEDDED).expect("the shipped skill map is checked by the test suite")
        })
    }

    /// The skill a concept shows: its own, its first mapped group's, or the default.
    pub fn concept_skill(&self, concept: &Concept) -> Skill {
        concept
            .skill
            .clone()
            .or_else(|| concept.groups.iter().find_map(|g| self.groups.get(g).cloned()))
            .unwrap_or_else(|| self.concept_default.clone())
    }
}

/// One answer's mark for one skill: 100 shown, 0 missed or breached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillMark {
    /// `Skill::key`.
    pub skill: String,
    pub score: f32,
    /// What earned it, in Chinese, with the trainee's words when there are any.
    pub why: String,
}

fn mark(skill: &Skill, score: f32, why: String) -> SkillMark {
    SkillMark { skill: skill.key(), score, why }
}

/// The marks an answer to turn `turn` (index in the scenario) earns, from its scores.
pub fn turn_marks(map: &SkillMap, sc: &CompiledScenario, turn: usize, score: &TurnScore) -> Vec<SkillMark> {
    let scenario = &sc.scenario;
    let expect = &scenario.turns[turn].expect;
    let mut out = Vec::new();
    let quote_of = |label: &str| {
        let said = format!("提到“{label}”");
        score.evidence.iter().find(|e| e.kind == "hit" && e.detail.starts_with(&said)).map(|e| e.matched.clone())
    };
    for (name, required) in expect.required.iter().map(|n| (n, true)).chain(expect.optional.iter().map(|n| (n, false)))
    {
        let Some(concept) = scenario.concepts.get(name) else { continue };
        let skill = map.concept_skill(concept);
        if score.hit(name) {
            let words = quote_of(&concept.label).map(|q| format!("「{q}」")).unwrap_or_default();
            out.push(mark(&skill, 100.0, format!("说到要点“{}”{words}", concept.label)));
        } else if required {
            out.push(mark(&skill, 0.0, format!("缺少要点“{}”", concept.label)));
        }
    }
    for (act, skill) in &map.acts {
        if let Some(hit) = score.tone.acts.first(*act) {
            out.push(mark(skill, 100.0, format!("{}「{}」", act.label(), hit.quote)));
        }
    }
    for b in &score.conduct {
        if let Some(skill) = map.conduct.get(&b.act) {
            out.push(mark(skill, 0.0, format!("{}「{}」", b.label, b.quote)));
        }
    }
    let mut words = score.evidence.iter().filter(|e| e.kind == "red_line").map(|e| e.matched.as_str());
    for line in &score.red_lines {
        let act = sc.forbidden_acts.iter().find(|f| f.rule.label == *line).map(|f| f.rule.act);
        let skill = act.and_then(|a| map.forbidden_acts.get(&a)).unwrap_or(&map.red_line);
        let why = match words.next().filter(|w| *w != line) {
            Some(w) => format!("触犯红线：{line}「{w}」"),
            None => format!("触犯红线「{line}」"),
        };
        out.push(mark(skill, 0.0, why));
    }
    for (goal, met) in &score.features.goals {
        if let Some(skill) = map.goals.get(goal) {
            let why = format!("{}{}", goal.label(), if *met { "：做到了" } else { "：没做到" });
            out.push(mark(skill, if *met { 100.0 } else { 0.0 }, why));
        }
    }
    if score.features.asked_again > 0 {
        out.push(mark(&map.asked_again, 0.0, format!("重复询问了 {} 项客户已说过的信息", score.features.asked_again)));
    }
    for skill in &map.every_answer {
        let key = skill.key_str();
        if !out.iter().any(|m| m.skill == key && m.score == 0.0) {
            out.push(mark(skill, 100.0, "本回合没有违规".to_string()));
        }
    }
    out
}

/// A call's figure for one skill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillFigure {
    /// `Skill::key`.
    pub skill: String,
    pub label: String,
    /// Turns that exercised it (the call's transfer counts as one).
    pub turns: u32,
    /// Sum of those turns' figures (each the mean of the turn's marks for the skill).
    pub score_sum: f32,
    /// `score_sum / turns`, one decimal.
    pub average: f32,
}

/// The call's figures per skill, by key: each answered turn's marks, and the transfer timing
/// once when a transfer was made or needed.
pub fn call_figures(
    map: &SkillMap,
    turns: impl IntoIterator<Item = impl AsRef<[SkillMark]>>,
    escalation: &EscalationResult,
) -> Vec<SkillFigure> {
    let mut per: BTreeMap<String, (u32, f64)> = BTreeMap::new();
    for marks in turns {
        let mut turn: BTreeMap<&str, (u32, f64)> = BTreeMap::new();
        for m in marks.as_ref() {
            let e = turn.entry(m.skill.as_str()).or_default();
            e.0 += 1;
            e.1 += f64::from(m.score);
        }
        for (skill, (n, sum)) in turn {
            let e = per.entry(skill.to_string()).or_default();
            e.0 += 1;
            e.1 += sum / f64::from(n);
        }
    }
    if escalation.timing != Timing::NotNeeded && escalation.score.applicable {
        let e = per.entry(map.escalation.key()).or_default();
        e.0 += 1;
        e.1 += f64::from(escalation.score.score);
    }
    per.into_iter()
        .map(|(skill, (turns, sum))| SkillFigure {
            label: Skill::label_of_key(&skill),
            average: crate::scoring::round1((sum / f64::from(turns)) as f32),
            score_sum: sum as f32,
            turns,
            skill,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_map_parses_and_maps_every_conduct_act_and_goal() {
        let map = SkillMap::shipped();
        for act in Act::ALL.into_iter().filter(|a| a.is_conduct()) {
            assert!(map.conduct.contains_key(&act), "{act:?} has no skill");
        }
        for goal in [ToneGoal::SootheFirst, ToneGoal::VipAddress, ToneGoal::Empathize, ToneGoal::Reassure] {
            assert!(map.goals.contains_key(&goal), "{goal:?} has no skill");
        }
        assert!(map.acts.keys().all(|a| !a.is_conduct()), "acts lists only acts that show a skill");
    }

    #[test]
    fn the_mapped_groups_are_shipped_synonym_groups() {
        let lexicons = crate::lexicon::LexiconSet::embedded();
        let known: Vec<&String> = lexicons.lexicons.iter().flat_map(|l| l.groups.keys()).collect();
        for g in SkillMap::shipped().groups.keys() {
            assert!(known.contains(&g), "group {g} is not in the shipped lexicons");
        }
    }

    #[test]
    fn a_concept_skill_comes_from_the_concept_then_its_group_then_the_default() {
        let map = SkillMap::shipped();
        let mut c: Concept =
            crate::ron_file::options().from_str(r#"(label: "致歉", groups: ["无此组", "道歉"])"#).unwrap();
        assert_eq!(map.concept_skill(&c), Skill::Empathy);
        c.skill = Some(Skill::Policy);
        assert_eq!(map.concept_skill(&c), Skill::Policy);
        c.skill = None;
        c.groups.clear();
        assert_eq!(map.concept_skill(&c), map.concept_default);
    }
}
