//! The scorecard of a call: overall, pass or fail, each rubric with reasons, each turn.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::scenario::schema::EscalationPolicy;
use crate::scoring::escalation::{self, EscalationFacts, EscalationResult};
use crate::scoring::incidents::{self, Incident};
use crate::scoring::skills::{self, SkillFigure, SkillMap};
use crate::scoring::turn::TurnScore;
use crate::scoring::{RUBRICS, RubricScore, round1, rubric, weighted_overall};
use crate::session::{Engine, Mode, Outcome};

/// One answered turn on the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnResult {
    /// The turn (1-based) in the call.
    pub turn: u32,
    #[serde(flatten)]
    pub score: TurnScore,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub scenario_id: String,
    pub scenario_version: u32,
    pub scenario_title: String,
    /// The scenario file's hash.
    pub content_hash: String,
    /// The lexicons' and mood model's hash (`Engine::basis_hash`).
    pub basis_hash: String,
    pub seed: u64,
    pub mode: Mode,
    pub outcome: Outcome,
    /// 0–100.
    pub overall: f32,
    pub passed: bool,
    pub pass_mark: f32,
    /// Why the overall is capped, when it is.
    pub capped: Option<String>,
    pub rubrics: BTreeMap<&'static str, RubricScore>,
    pub turns: Vec<TurnResult>,
    pub escalation: EscalationResult,
    /// What must not go unnoticed, whatever the score (`scoring::incidents`).
    pub incidents: Vec<Incident>,
    /// The call's figure per skill, from the turns that exercised each (`scoring::skills`).
    pub skills: Vec<SkillFigure>,
    /// The main reasons, best first, for a quick read.
    pub summary: Vec<String>,
    pub coaching: Vec<String>,
}

/// Averages a per-turn rubric over the turns where it applies.
fn mean_rubric(name: &'static str, weight: f32, scores: &[(u32, TurnScore)], label: &str) -> RubricScore {
    let applicable: Vec<(u32, &RubricScore)> =
        scores.iter().filter_map(|(t, s)| s.rubrics.get(name).filter(|r| r.applicable).map(|r| (*t, r))).collect();
    if applicable.is_empty() {
        let why = scores.iter().find_map(|(_, s)| s.rubrics.get(name).and_then(|r| r.reasons.first().cloned()));
        return RubricScore::not_applicable(weight, why.unwrap_or_else(|| format!("没有可评的{label}")));
    }
    let mean = applicable.iter().map(|(_, r)| r.score).sum::<f32>() / applicable.len() as f32;
    let per_turn: Vec<String> = applicable.iter().map(|(t, r)| format!("第{t}回合 {:.0}", r.score)).collect();
    let mut reasons = vec![format!("{} 个回合平均：{}", applicable.len(), per_turn.join("，"))];
    // The weakest turn's own reasons explain where points went.
    if let Some((t, worst)) = applicable.iter().min_by(|a, b| a.1.score.total_cmp(&b.1.score))
        && worst.score < 100.0
    {
        reasons.extend(
            worst.reasons.iter().filter(|r| r.starts_with('×') || r.contains('−')).map(|r| format!("第{t}回合：{r}")),
        );
    }
    RubricScore::new(round1(mean), weight, reasons)
}

pub(crate) fn build_scorecard(
    engine: &Engine,
    seed: u64,
    mode: Mode,
    outcome: Outcome,
    scores: &[(u32, TurnScore)],
    facts: &EscalationFacts,
) -> Scorecard {
    let sc = &engine.scenario.scenario;
    let w = &sc.rubric.weights;
    let escalation = escalation::score(&engine.analyzer, &engine.scenario, facts);
    let mut rubrics = BTreeMap::new();
    rubrics.insert("concepts", mean_rubric("concepts", w.concepts, scores, "要点"));
    rubrics.insert("tone", mean_rubric("tone", w.tone, scores, "语气"));
    rubrics.insert("no_repeat", mean_rubric("no_repeat", w.no_repeat, scores, "询问"));
    rubrics.insert("responsiveness", mean_rubric("responsiveness", w.responsiveness, scores, "响应"));
    rubrics.insert("escalation", escalation.score.clone());
    debug_assert!(RUBRICS.iter().all(|r| rubrics.contains_key(r)));

    let mut overall =
        if scores.is_empty() && facts.transfer.is_none() { 0.0 } else { weighted_overall(rubrics.values()) };
    let mut caps: Vec<(f32, String)> = Vec::new();
    let red_lines: Vec<String> = scores.iter().flat_map(|(_, s)| s.red_lines.iter().cloned()).collect();
    if !red_lines.is_empty() {
        caps.push((sc.rubric.red_line_cap, format!("触犯红线「{}」", red_lines.join("」「"))));
    }
    // An unacceptable breach of conduct fails the call as a red line does.
    let breaches: Vec<String> = scores
        .iter()
        .flat_map(|(t, s)| {
            s.conduct.iter().filter(|b| b.fails_call).map(move |b| format!("第{t}回合{}「{}」", b.label, b.quote))
        })
        .collect();
    if !breaches.is_empty() {
        caps.push((sc.rubric.red_line_cap, breaches.join("；")));
    }
    let unfinished_cap = (sc.rubric.pass_mark - rubric::UNFINISHED_BELOW_PASS).max(0.0);
    match outcome {
        Outcome::CustomerHungUp => caps.push((unfinished_cap, "客户愤而挂断".to_string())),
        Outcome::AgentHungUp => caps.push((unfinished_cap, "坐席在问题解决前挂断".to_string())),
        Outcome::InProgress => caps.push((unfinished_cap, "通话未完成".to_string())),
        _ => {}
    }
    // A call the agent should have solved fails once it is handed on.
    let transferred_solve_yourself =
        facts.transfer.is_some() && matches!(sc.escalation.policy, EscalationPolicy::SolveYourself);
    if transferred_solve_yourself {
        caps.push((unfinished_cap, "本案应自行解决，却转接了".to_string()));
    }
    if scores.is_empty() && outcome != Outcome::InProgress {
        caps.push((unfinished_cap, "没有回答客户就结束了通话".to_string()));
    }
    let mut capped = None;
    if let Some((limit, why)) = caps.into_iter().min_by(|a, b| a.0.total_cmp(&b.0)) {
        capped = Some(if overall > limit {
            overall = limit;
            format!("{why}：总分封顶 {limit} 分")
        } else {
            format!("{why}：本次不通过")
        });
    }
    let overall = round1(overall);
    let passed = overall >= sc.rubric.pass_mark
        && red_lines.is_empty()
        && breaches.is_empty()
        && !scores.is_empty()
        && !transferred_solve_yourself
        && !matches!(outcome, Outcome::CustomerHungUp | Outcome::AgentHungUp | Outcome::InProgress);

    let mut summary = Vec::new();
    summary.push(format!(
        "总分 {overall:.1}（及格线 {}）：{}",
        sc.rubric.pass_mark,
        if passed { "通过" } else { "未通过" }
    ));
    if let Some(c) = &capped {
        summary.push(c.clone());
    }
    summary.push(format!(
        "{}：{}",
        escalation.timing.label(),
        escalation.score.reasons.first().cloned().unwrap_or_default()
    ));
    if let Some((n, _)) = &escalation.unkept_announcement {
        summary.push(format!("第 {n} 回合已告知客户转接，却始终没有转接"));
    }
    let missed: Vec<String> = scores
        .iter()
        .flat_map(|(_, s)| s.missed.iter())
        .filter_map(|name| sc.concepts.get(name).map(|c| c.label.clone()))
        .collect();
    if !missed.is_empty() {
        let mut uniq: Vec<String> = Vec::new();
        for m in missed {
            if !uniq.contains(&m) {
                uniq.push(m);
            }
        }
        summary.push(format!("遗漏的要点：{}", uniq.join("、")));
    }

    let turns: Vec<TurnResult> = scores.iter().map(|(t, s)| TurnResult { turn: *t, score: s.clone() }).collect();
    let incidents = incidents::of_call(
        &turns,
        escalation.timing,
        escalation.transfer_turn,
        escalation.trigger_turn,
        escalation.transfer_note.as_deref(),
        escalation.unkept_announcement.as_ref(),
        outcome,
    );
    if passed && !incidents.is_empty() {
        summary.insert(1, format!("通过，但有 {} 个事件需要注意", incidents.len()));
    }
    let skills =
        skills::call_figures(SkillMap::shipped(), turns.iter().map(|t| t.score.skills.as_slice()), &escalation);
    Scorecard {
        scenario_id: sc.id.clone(),
        scenario_version: sc.version,
        scenario_title: sc.title.clone(),
        content_hash: engine.scenario.content_hash.clone(),
        basis_hash: engine.basis_hash(),
        seed,
        mode,
        outcome,
        overall,
        passed,
        pass_mark: sc.rubric.pass_mark,
        capped,
        rubrics,
        turns,
        escalation,
        incidents,
        skills,
        summary,
        coaching: sc.coaching.clone(),
    }
}
