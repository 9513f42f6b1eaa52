//! The simulated customer's mood: how each answer calms or inflames them, from a RON model.

pub mod reactions;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::ron_file;
use crate::scenario::schema::{Persona, PersonaKind};
use crate::scoring::turn::TurnScore;

/// The shipped model, compiled in.
pub const EMBEDDED_MODEL: &str = include_str!("../../assets/customer/mood.ron");

/// Mood at which the customer hangs up.
pub const HANG_UP_MOOD: f32 = 100.0;

/// Points per unit of each answer feature (before the persona's sensitivity), and the
/// probabilities that drive the customer's choices. Calibrated from real transcripts by
/// `peilian mine`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoodModel {
    /// Where the numbers come from.
    pub source: String,
    pub empathy_calm: f32,
    pub reassurance_calm: f32,
    pub politeness_calm: f32,
    /// Calm from carrying the required concepts (times the share carried).
    pub concepts_calm: f32,
    /// Anger from missing required concepts (times the share missed).
    pub missed_inflame: f32,
    pub hostility_inflame: f32,
    pub red_line_inflame: f32,
    pub curt_inflame: f32,
    pub shouting_inflame: f32,
    /// Anger per patience-length of silence beyond the patience (up to two).
    pub silence_inflame: f32,
    pub soothe_first_inflame: f32,
    pub vip_address_inflame: f32,
    pub asked_again_inflame: f32,
    /// Chance that an upset customer demands a supervisor after an answer without empathy.
    pub demand_after_no_empathy: f32,
    /// The same after an answer with empathy.
    pub demand_after_empathy: f32,
    /// Below this mood the customer never demands a supervisor by chance.
    pub demand_mood_floor: f32,
}

impl Default for MoodModel {
    fn default() -> Self {
        MoodModel::embedded()
    }
}

impl MoodModel {
    pub fn embedded() -> Self {
        ron_file::options().from_str(EMBEDDED_MODEL).expect("the shipped mood model is checked by the test suite")
    }

    /// Reads a model file (bounded, like every trainer file) and checks its numbers; any
    /// coefficient out of its range refuses the file.
    pub fn load(path: &Path) -> Result<Self, Diagnostics> {
        let src: SourceText = ron_file::read_source(path).map_err(|d| Diagnostics(vec![d]))?;
        let model: MoodModel = ron_file::parse(&src).map_err(|d| Diagnostics(vec![d]))?;
        let problems = model.check(&src);
        if problems.is_empty() { Ok(model) } else { Err(Diagnostics(problems)) }
    }

    /// Every number of the model with its allowed range (documented in docs/scenario-format.md):
    /// points per unit 0–150 (at 100 one full-strength feature takes a calm customer to hanging
    /// up; `peilian mine` adopts at most 4 × the shipped value), chances 0–1, the mood floor
    /// 0–100.
    pub fn coefficients(&self) -> [(&'static str, f32, (f32, f32)); 16] {
        const POINTS: (f32, f32) = (0.0, MAX_POINTS);
        const CHANCE: (f32, f32) = (0.0, 1.0);
        [
            ("empathy_calm", self.empathy_calm, POINTS),
            ("reassurance_calm", self.reassurance_calm, POINTS),
            ("politeness_calm", self.politeness_calm, POINTS),
            ("concepts_calm", self.concepts_calm, POINTS),
            ("missed_inflame", self.missed_inflame, POINTS),
            ("hostility_inflame", self.hostility_inflame, POINTS),
            ("red_line_inflame", self.red_line_inflame, POINTS),
            ("curt_inflame", self.curt_inflame, POINTS),
            ("shouting_inflame", self.shouting_inflame, POINTS),
            ("silence_inflame", self.silence_inflame, POINTS),
            ("soothe_first_inflame", self.soothe_first_inflame, POINTS),
            ("vip_address_inflame", self.vip_address_inflame, POINTS),
            ("asked_again_inflame", self.asked_again_inflame, POINTS),
            ("demand_after_no_empathy", self.demand_after_no_empathy, CHANCE),
            ("demand_after_empathy", self.demand_after_empathy, CHANCE),
            ("demand_mood_floor", self.demand_mood_floor, (0.0, HANG_UP_MOOD)),
        ]
    }

    /// The coefficients that are not numbers (`NaN`), infinite or out of their range, each at
    /// its line.
    pub fn check(&self, src: &SourceText) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (field, value, (lo, hi)) in self.coefficients() {
            let what = if value.is_nan() {
                "不是数字（NaN）".to_string()
            } else if value.is_infinite() {
                "是无穷大".to_string()
            } else if !(lo..=hi).contains(&value) {
                format!("{value} 不在 {lo}–{hi} 之间")
            } else {
                continue;
            };
            let hint = if hi <= 1.0 {
                format!("{field} 是概率，写 0 到 1 之间的数，例如 0.25")
            } else if field == "demand_mood_floor" {
                "写 0–100 之间的情绪值，例如 60".to_string()
            } else {
                format!("{field} 是每单位特征的情绪分，写 0–{MAX_POINTS} 之间的数；默认值见 assets/customer/mood.ron")
            };
            out.push(Diagnostic::error(
                &src.path,
                src.locate_key(field),
                "bad-value",
                format!("情绪模型的 {field} {what}"),
                hint,
            ));
        }
        out
    }
}

/// The largest points per unit a mood model may give a feature.
pub const MAX_POINTS: f32 = 150.0;

/// How one answer moved the mood, term by term.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reaction {
    pub delta: f32,
    /// Each term in Chinese with its points (negative calms).
    pub terms: Vec<(String, f32)>,
}

impl Reaction {
    pub fn reasons(&self) -> Vec<String> {
        self.terms.iter().map(|(why, pts)| format!("{why} {pts:+.1}")).collect()
    }
}

impl MoodModel {
    /// The mood change an answer causes. `silence_over` is how many patience-lengths the agent
    /// stayed silent beyond the patience (0 when answered in time or already nudged).
    pub fn react(&self, persona: &Persona, score: &TurnScore, has_required: bool, silence_over: f32) -> Reaction {
        let t = &score.tone;
        let f = &score.features;
        let anxious = matches!(persona.kind, PersonaKind::Anxious);
        let mut terms: Vec<(String, f32)> = Vec::new();
        let mut add = |why: &str, pts: f32| {
            if pts.abs() >= 0.05 {
                terms.push((why.to_string(), pts));
            }
        };
        add("共情", -self.empathy_calm * t.empathy);
        add("安心承诺", -self.reassurance_calm * t.reassurance * if anxious { 1.5 } else { 1.0 });
        add("礼貌", -self.politeness_calm * t.politeness);
        if has_required {
            add("说到要点", -self.concepts_calm * f.required_hit);
            add("遗漏要点", self.missed_inflame * (1.0 - f.required_hit));
        }
        // Hostility angers by its strength; a breach of conduct on top by the conduct policy's
        // points.
        add("敌意/推责", self.hostility_inflame * t.hostility);
        for (act, points) in &f.conduct {
            add(act.label(), *points);
        }
        if f.red_line {
            add("触犯红线", self.red_line_inflame);
        }
        if f.curt {
            add("回答敷衍", self.curt_inflame);
        }
        if t.shouting {
            add("语气激烈", self.shouting_inflame);
        }
        if f.soothe_first_missed {
            add("没有先安抚", self.soothe_first_inflame);
        }
        if f.vip_address_missed {
            add("称呼不当", self.vip_address_inflame);
        }
        add("重复询问", self.asked_again_inflame * f.asked_again as f32);
        add("让客户久等", self.silence_inflame * silence_over.min(2.0));
        let sensitivity = persona.sensitivity.max(0.0);
        for term in &mut terms {
            term.1 = (term.1 * sensitivity * 10.0).round() / 10.0;
        }
        let delta = terms.iter().map(|t| t.1).sum();
        Reaction { delta, terms }
    }

    /// The mood change of a silence past the patience (the customer asks "还在吗？").
    pub fn silence(&self, persona: &Persona) -> f32 {
        (self.silence_inflame * persona.sensitivity.max(0.0) * 10.0).round() / 10.0
    }

    /// Chance that the customer now demands a supervisor by their own choice.
    pub fn demand_chance(&self, mood: f32, empathy: f32) -> f32 {
        if mood < self.demand_mood_floor {
            0.0
        } else if empathy >= 0.3 {
            self.demand_after_empathy
        } else {
            self.demand_after_no_empathy
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_model_parses() {
        let m = MoodModel::embedded();
        assert!(m.empathy_calm > 0.0 && m.hostility_inflame > m.politeness_calm);
        assert!((0.0..=1.0).contains(&m.demand_after_no_empathy));
    }

    #[test]
    fn embedded_model_is_in_range() {
        let src = SourceText::new("assets/customer/mood.ron", EMBEDDED_MODEL);
        assert_eq!(MoodModel::embedded().check(&src), Vec::new());
    }

    #[test]
    fn nan_infinite_and_absurd_coefficients_are_refused_at_their_line() {
        for (value, what) in [("NaN", "NaN"), ("inf", "无穷大"), ("-inf", "无穷大"), ("1e30", "不在"), ("-5.0", "不在")]
        {
            let text = EMBEDDED_MODEL.replace("hostility_inflame: 35.0", &format!("hostility_inflame: {value}"));
            let src = SourceText::new("mood.ron", text.as_str());
            let model: MoodModel = ron_file::parse(&src).unwrap_or_else(|d| panic!("{value}: {d}"));
            let problems = model.check(&src);
            assert_eq!(problems.len(), 1, "{value}: {problems:?}");
            assert!(
                problems[0].message.contains("hostility_inflame") && problems[0].message.contains(what),
                "{}",
                problems[0]
            );
            assert_eq!(problems[0].line, src.locate_key("hostility_inflame").line);
            assert_eq!(problems[0].line, 11, "the line of hostility_inflame in the shipped file");
        }
        let text = EMBEDDED_MODEL.replace("demand_after_empathy: 0.03", "demand_after_empathy: 1.5");
        let src = SourceText::new("mood.ron", text.as_str());
        let model: MoodModel = ron_file::parse(&src).unwrap();
        assert_eq!(model.check(&src)[0].code, "bad-value");
        assert!(model.check(&src)[0].hint.contains("概率"));
    }

    #[test]
    fn demand_chance_depends_on_empathy_and_mood() {
        let m = MoodModel::embedded();
        assert_eq!(m.demand_chance(40.0, 0.0), 0.0);
        assert!(m.demand_chance(80.0, 0.0) > m.demand_chance(80.0, 0.8));
    }
}
