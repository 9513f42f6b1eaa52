//! Calibrating the simulated customer from real dialogues: how much each kind of answer moved
//! the next customer turn's anger, and how often an upset customer demanded a supervisor after
//! an answer with or without empathy. The result is a `MoodModel` RON file the simulator loads
//! (`PEILIAN_MOOD_MODEL`); numbers the transcripts cannot show keep the shipped defaults.
//!
//! The unit is a *step*: a non-empty customer turn, the agent's answer right after it, and the
//! customer's next turn. Anger (0–1, the core's tone analysis) is mapped to the simulator's
//! mood with `mood = 20 + 70 × anger`, so a change of anger Δ is 70 Δ mood points.

use serde::Serialize;

use crate::customer::MoodModel;
use crate::mining::analyze::{DialogueFacts, EMPATHIC};
use crate::mining::input::Role;

/// Mood points per unit of anger.
pub const MOOD_PER_ANGER: f32 = 70.0;
/// Mood at anger 0.
pub const MOOD_AT_CALM: f32 = 20.0;
/// A customer turn with at least this anger (or a complaint) is upset.
pub const UPSET_ANGER: f32 = 0.4;
/// Fewest steps on each side of a comparison before a number is taken from the data.
pub const MIN_STEPS: u64 = 30;

/// The customer's mood (0–100) for an anger score.
pub fn mood_of(anger: f32) -> f32 {
    (MOOD_AT_CALM + MOOD_PER_ANGER * anger).clamp(0.0, 100.0)
}

/// A feature of the agent's answer whose effect on the next turn is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feature {
    Empathy,
    Reassurance,
    Politeness,
    Hostility,
    Curt,
    Shouting,
}

const FEATURES: [Feature; 6] =
    [Feature::Empathy, Feature::Reassurance, Feature::Politeness, Feature::Hostility, Feature::Curt, Feature::Shouting];

impl Feature {
    /// Whether the answer has the feature, and its strength (the score the model multiplies).
    fn of(self, a: &crate::mining::analyze::TurnFacts) -> (bool, f32) {
        match self {
            Feature::Empathy => (a.empathy >= EMPATHIC, a.empathy),
            Feature::Reassurance => (a.reassurance >= 0.3, a.reassurance),
            Feature::Politeness => (a.politeness >= 0.3, a.politeness),
            Feature::Hostility => (a.hostility > 0.0, a.hostility),
            Feature::Curt => (a.curt, 1.0),
            Feature::Shouting => (a.shouting, 1.0),
        }
    }
    /// Calming features lower the mood.
    fn calms(self) -> bool {
        matches!(self, Feature::Empathy | Feature::Reassurance | Feature::Politeness)
    }
    fn field(self) -> &'static str {
        match self {
            Feature::Empathy => "empathy_calm",
            Feature::Reassurance => "reassurance_calm",
            Feature::Politeness => "politeness_calm",
            Feature::Hostility => "hostility_inflame",
            Feature::Curt => "curt_inflame",
            Feature::Shouting => "shouting_inflame",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Feature::Empathy => "有共情（共情分 ≥ 0.3）",
            Feature::Reassurance => "有安心承诺（≥ 0.3）",
            Feature::Politeness => "礼貌（≥ 0.3）",
            Feature::Hostility => "有敌意/推责用语",
            Feature::Curt => "回答过短（≤ 4 字）",
            Feature::Shouting => "语气激烈（!! 或全大写）",
        }
    }
}

/// Anger strata of the customer turn before the answer, so that calmer and angrier customers
/// are compared with their like (angry customers calm down more on their own).
fn stratum(anger: f32) -> usize {
    if anger < 0.2 {
        0
    } else if anger < 0.5 {
        1
    } else {
        2
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Side {
    n: u64,
    delta: f64,
    strength: f64,
}

#[derive(Debug, Clone, Copy, Default)]
struct FeatureAcc {
    with: [Side; 3],
    without: [Side; 3],
}

/// Counts gathered over the corpus, in input order.
#[derive(Debug, Clone, Default)]
pub struct CalibrationAcc {
    dialogues: u64,
    steps: u64,
    upset_no_empathy: u64,
    upset_no_empathy_demand: u64,
    upset_no_empathy_escalated: u64,
    upset_empathy: u64,
    upset_empathy_demand: u64,
    upset_empathy_escalated: u64,
    /// Anger of the customer turn before a supervisor demand, in 0.05 buckets.
    demand_anger: [u64; 21],
    features: [FeatureAcc; 6],
}

impl CalibrationAcc {
    pub fn add(&mut self, d: &DialogueFacts) {
        self.dialogues += 1;
        let turns: Vec<_> = d.turns.iter().filter(|t| !t.is_empty()).collect();
        for w in turns.windows(3) {
            let (c, a, next) = (w[0], w[1], w[2]);
            if c.role != Role::Customer || a.role != Role::Agent || next.role != Role::Customer {
                continue;
            }
            self.steps += 1;
            let delta = f64::from(next.anger - c.anger) * f64::from(MOOD_PER_ANGER);
            let s = stratum(c.anger);
            for (i, f) in FEATURES.iter().enumerate() {
                let (has, strength) = f.of(a);
                let side = if has { &mut self.features[i].with[s] } else { &mut self.features[i].without[s] };
                side.n += 1;
                side.delta += delta;
                side.strength += f64::from(strength);
            }
            let upset = c.anger >= UPSET_ANGER || c.complaint || c.demand;
            let demand = next.demand && !c.demand;
            let escalated = demand || (next.complaint && !c.complaint) || next.anger >= c.anger + 0.2;
            if demand {
                self.demand_anger[((c.anger * 20.0).round() as usize).min(20)] += 1;
            }
            if upset {
                if a.empathy >= EMPATHIC {
                    self.upset_empathy += 1;
                    self.upset_empathy_demand += u64::from(demand);
                    self.upset_empathy_escalated += u64::from(escalated);
                } else {
                    self.upset_no_empathy += 1;
                    self.upset_no_empathy_demand += u64::from(demand);
                    self.upset_no_empathy_escalated += u64::from(escalated);
                }
            }
        }
    }

    /// The model and, for every field, how it was obtained.
    pub fn finish(&self, defaults: &MoodModel) -> Calibration {
        let mut model = defaults.clone();
        let mut notes = Vec::new();
        let mut set = |field: &'static str, value: Option<f32>, default: f32, how: String| -> f32 {
            let (v, mined) = match value {
                Some(v) => (v, true),
                None => (default, false),
            };
            notes.push(FieldNote { field, value: v, mined, how });
            v
        };

        for (i, f) in FEATURES.iter().enumerate() {
            let acc = &self.features[i];
            let default = field_value(defaults, f.field());
            let (n_with, n_without): (u64, u64) =
                (acc.with.iter().map(|s| s.n).sum(), acc.without.iter().map(|s| s.n).sum());
            let mut effect = 0.0f64;
            let mut strength = 0.0f64;
            for s in 0..3 {
                let (w, wo) = (acc.with[s], acc.without[s]);
                if w.n == 0 || wo.n == 0 {
                    continue;
                }
                let weight = w.n as f64 / n_with.max(1) as f64;
                effect += weight * (w.delta / w.n as f64 - wo.delta / wo.n as f64);
                strength += w.strength;
            }
            let mean_strength = if n_with > 0 { strength / n_with as f64 } else { 0.0 };
            let signed = if f.calms() { -effect } else { effect };
            let coefficient = if mean_strength > 0.0 { signed / mean_strength } else { 0.0 };
            let base = format!(
                "{}：有 {n_with} 步、没有 {n_without} 步；按前一句愤怒分层比较下一句愤怒的变化，差 {:+.1} 情绪分，除以平均强度 {:.2}",
                f.label(),
                effect,
                mean_strength
            );
            let value = if n_with < MIN_STEPS || n_without < MIN_STEPS {
                set(f.field(), None, default, format!("{base}；样本不足 {MIN_STEPS} 步，保留默认值"))
            } else if coefficient <= 0.0 {
                set(f.field(), None, default, format!("{base}；方向与常识相反（{coefficient:.1}），保留默认值"))
            } else if coefficient > 4.0 * f64::from(default) {
                set(f.field(), None, default, format!("{base} = {coefficient:.1}，超过默认值 4 倍，保留默认值"))
            } else {
                let v = round1(coefficient as f32);
                set(f.field(), Some(v), default, format!("{base} = {v:.1}"))
            };
            set_field(&mut model, f.field(), value);
        }

        let p = |k: u64, n: u64| if n == 0 { 0.0 } else { k as f32 / n as f32 };
        let demand_no = p(self.upset_no_empathy_demand, self.upset_no_empathy);
        let demand_yes = p(self.upset_empathy_demand, self.upset_empathy);
        let esc_no = p(self.upset_no_empathy_escalated, self.upset_no_empathy);
        let esc_yes = p(self.upset_empathy_escalated, self.upset_empathy);
        let enough = self.upset_no_empathy >= MIN_STEPS && self.upset_empathy >= MIN_STEPS;
        // The simulator teaches that empathy lowers the chance; data saying the opposite (e.g.
        // boilerplate apologies to the angriest customers) is reported, not adopted.
        let sane = esc_no >= esc_yes;
        let verdict = if !enough {
            "（样本不足，保留默认值）"
        } else if !sane {
            "（有共情时反而更高，与培训要求相反，多半是套话式道歉；保留默认值）"
        } else {
            ""
        };
        let enough = enough && sane;
        let how = |k: u64, n: u64, e: u64, with: bool| {
            format!(
                "客户不满（愤怒 ≥ {UPSET_ANGER} 或投诉）时，坐席回答{}共情（≥ {EMPATHIC}）的 {n} 步中，下一句要求找领导/转人工 {k} 次（{:.1}%）；更激烈（要求找领导、新提投诉或愤怒 +0.2）{e} 次（{:.1}%）",
                if with { "有" } else { "没有" },
                p(k, n) * 100.0,
                p(e, n) * 100.0
            )
        };
        model.demand_after_no_empathy = set(
            "demand_after_no_empathy",
            enough.then_some(round3(esc_no)),
            defaults.demand_after_no_empathy,
            format!(
                "{}；取“更激烈”的比例{verdict}",
                how(self.upset_no_empathy_demand, self.upset_no_empathy, self.upset_no_empathy_escalated, false),
            ),
        );
        model.demand_after_empathy = set(
            "demand_after_empathy",
            enough.then_some(round3(esc_yes)),
            defaults.demand_after_empathy,
            format!(
                "{}；取“更激烈”的比例{verdict}",
                how(self.upset_empathy_demand, self.upset_empathy, self.upset_empathy_escalated, true),
            ),
        );
        let _ = (demand_no, demand_yes);
        let demands: u64 = self.demand_anger.iter().sum();
        let floor = percentile_bucket(&self.demand_anger, 0.1).map(|a| (mood_of(a) / 5.0).round() * 5.0);
        let floor_ok = floor.filter(|f| (40.0..=80.0).contains(f));
        model.demand_mood_floor = set(
            "demand_mood_floor",
            if demands >= 10 { floor_ok } else { None },
            defaults.demand_mood_floor,
            format!(
                "{demands} 次找领导/转人工之前那句客户话的愤怒分，取第 10 百分位换算成情绪（20 + 70 × 愤怒，取整到 5）{}",
                match floor {
                    _ if demands < 10 => "；少于 10 次，保留默认值".to_string(),
                    Some(f) if floor_ok.is_none() =>
                        format!(" = {f}，不在 40–80 之间（愤怒词库没认出这些客户的情绪），保留默认值"),
                    Some(f) => format!(" = {f}"),
                    None => String::new(),
                }
            ),
        );
        for field in [
            "concepts_calm",
            "missed_inflame",
            "red_line_inflame",
            "silence_inflame",
            "soothe_first_inflame",
            "vip_address_inflame",
            "asked_again_inflame",
        ] {
            let v = field_value(defaults, field);
            set(field, None, v, "对话记录里看不出（没有场景要点、红线、回复时间或机器人历史），保留默认值".into());
        }
        model.source = format!(
            "由 peilian mine 从 {} 段真实对话（{} 个“客户—坐席—客户”步）挖掘；未能从数据得出的项保留默认值",
            self.dialogues, self.steps
        );
        notes.sort_by_key(|n| field_order(n.field));
        Calibration {
            model,
            notes,
            dialogues: self.dialogues,
            steps: self.steps,
            upset_no_empathy: self.upset_no_empathy,
            upset_empathy: self.upset_empathy,
            demand_rate_no_empathy: round3(demand_no),
            demand_rate_empathy: round3(demand_yes),
            escalation_rate_no_empathy: round3(esc_no),
            escalation_rate_empathy: round3(esc_yes),
        }
    }
}

fn percentile_bucket(hist: &[u64; 21], q: f64) -> Option<f32> {
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return None;
    }
    let target = (total as f64 * q).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (i, n) in hist.iter().enumerate() {
        seen += n;
        if seen >= target {
            return Some(i as f32 / 20.0);
        }
    }
    None
}

fn round1(x: f32) -> f32 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

const FIELDS: [&str; 16] = [
    "empathy_calm",
    "reassurance_calm",
    "politeness_calm",
    "concepts_calm",
    "missed_inflame",
    "hostility_inflame",
    "red_line_inflame",
    "curt_inflame",
    "shouting_inflame",
    "silence_inflame",
    "soothe_first_inflame",
    "vip_address_inflame",
    "asked_again_inflame",
    "demand_after_no_empathy",
    "demand_after_empathy",
    "demand_mood_floor",
];

fn field_order(field: &str) -> usize {
    FIELDS.iter().position(|f| *f == field).unwrap_or(FIELDS.len())
}

fn field_value(m: &MoodModel, field: &str) -> f32 {
    match field {
        "empathy_calm" => m.empathy_calm,
        "reassurance_calm" => m.reassurance_calm,
        "politeness_calm" => m.politeness_calm,
        "concepts_calm" => m.concepts_calm,
        "missed_inflame" => m.missed_inflame,
        "hostility_inflame" => m.hostility_inflame,
        "red_line_inflame" => m.red_line_inflame,
        "curt_inflame" => m.curt_inflame,
        "shouting_inflame" => m.shouting_inflame,
        "silence_inflame" => m.silence_inflame,
        "soothe_first_inflame" => m.soothe_first_inflame,
        "vip_address_inflame" => m.vip_address_inflame,
        "asked_again_inflame" => m.asked_again_inflame,
        "demand_after_no_empathy" => m.demand_after_no_empathy,
        "demand_after_empathy" => m.demand_after_empathy,
        "demand_mood_floor" => m.demand_mood_floor,
        _ => 0.0,
    }
}

fn set_field(m: &mut MoodModel, field: &str, v: f32) {
    match field {
        "empathy_calm" => m.empathy_calm = v,
        "reassurance_calm" => m.reassurance_calm = v,
        "politeness_calm" => m.politeness_calm = v,
        "hostility_inflame" => m.hostility_inflame = v,
        "curt_inflame" => m.curt_inflame = v,
        "shouting_inflame" => m.shouting_inflame = v,
        _ => {}
    }
}

/// How one field of the model was obtained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldNote {
    pub field: &'static str,
    pub value: f32,
    /// From the data (true) or the shipped default (false).
    pub mined: bool,
    /// How, in Chinese, with the counts.
    pub how: String,
}

/// The mined model with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    #[serde(skip)]
    pub model: MoodModel,
    pub notes: Vec<FieldNote>,
    pub dialogues: u64,
    pub steps: u64,
    pub upset_no_empathy: u64,
    pub upset_empathy: u64,
    /// P(next turn demands a supervisor | upset, answer without / with empathy).
    pub demand_rate_no_empathy: f32,
    pub demand_rate_empathy: f32,
    /// P(next turn escalates | upset, answer without / with empathy).
    pub escalation_rate_no_empathy: f32,
    pub escalation_rate_empathy: f32,
}

impl Calibration {
    /// The RON file: a `MoodModel(...)` with a comment on every field saying how it was obtained.
    pub fn to_ron(&self) -> String {
        let mut out = String::new();
        out.push_str("// The simulated customer's mood model, mined by `peilian mine` from real transcripts.\n");
        out.push_str("// Load it with PEILIAN_MOOD_MODEL=<this file>. Mood = 20 + 70 × anger (0–1); a step is a\n");
        out.push_str("// customer turn, the agent's answer and the customer's next turn. See docs/mining.md.\n");
        out.push_str("MoodModel(\n");
        out.push_str(&format!("    source: {},\n", ron_string(&self.model.source)));
        for note in &self.notes {
            let mark = if note.mined { "挖掘" } else { "默认" };
            out.push_str(&format!("    // [{mark}] {}\n", note.how.replace('\n', " ")));
            out.push_str(&format!("    {}: {},\n", note.field, ron_float(note.value)));
        }
        out.push_str(")\n");
        out
    }
}

/// A RON float that always has a decimal point.
pub fn ron_float(v: f32) -> String {
    let s = format!("{v}");
    if s.contains('.') || s.contains('e') { s } else { format!("{s}.0") }
}

/// A RON string literal.
pub fn ron_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mining::analyze::{Persona, TurnFacts};
    use crate::mining::input::Labels;

    fn turn(role: Role, anger: f32, empathy: f32, demand: bool) -> TurnFacts {
        TurnFacts {
            role,
            text: "x".into(),
            said: true,
            anger,
            empathy,
            politeness: 0.0,
            reassurance: 0.0,
            hostility: 0.0,
            demand,
            complaint: false,
            curt: false,
            shouting: false,
            transfer: false,
            channel: false,
            groups: 0,
        }
    }

    fn dialogue(turns: Vec<TurnFacts>) -> DialogueFacts {
        DialogueFacts {
            input: 0,
            line: 1,
            id: "x".into(),
            labels: Labels::default(),
            turns,
            persona: Persona::Angry,
            vip_word: None,
            demand_at: None,
            transfer_at: None,
            channel_at: None,
            complaint: false,
            truncated_turns: 0,
            empty_turns: 0,
            redactions: Default::default(),
        }
    }

    #[test]
    fn demand_rates_from_steps() {
        let mut acc = CalibrationAcc::default();
        // 40 upset steps without empathy, 10 of them followed by a demand; 40 with empathy, 1.
        for i in 0..40 {
            acc.add(&dialogue(vec![
                turn(Role::Customer, 0.7, 0.0, false),
                turn(Role::Agent, 0.0, 0.0, false),
                turn(Role::Customer, 0.7, 0.0, i < 10),
            ]));
            acc.add(&dialogue(vec![
                turn(Role::Customer, 0.7, 0.0, false),
                turn(Role::Agent, 0.0, 0.8, false),
                turn(Role::Customer, 0.5, 0.0, i < 1),
            ]));
        }
        let c = acc.finish(&MoodModel::embedded());
        assert_eq!(c.demand_rate_no_empathy, 0.25);
        assert_eq!(c.demand_rate_empathy, 0.025);
        assert_eq!(c.model.demand_after_no_empathy, 0.25);
        assert_eq!(c.model.demand_after_empathy, 0.025);
        // Empathic answers lowered anger by 0.2 (14 mood points) at strength 0.8: 17.5.
        assert_eq!(c.model.empathy_calm, 17.5);
        let ron = c.to_ron();
        let back: MoodModel = crate::ron_file::options().from_str(&ron).expect("calibration RON parses");
        assert_eq!(back, c.model);
    }
}
