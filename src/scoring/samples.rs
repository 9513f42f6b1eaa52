//! Running a scenario's own sample answers, model answers and sample calls, so it can be tested
//! like code.

use serde::Serialize;

use crate::scenario::schema::SampleCall;
use crate::scoring::turn::{AnswerContext, TurnScore, score_answer};
use crate::session::{Engine, Input, Mode, Session};

/// What a result is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleKind {
    /// One of the scenario's `samples`: an answer and the range it must score in.
    Sample,
    /// A turn's `model_answer`: it must reach the scenario's pass mark.
    ModelAnswer,
    /// One of the scenario's `sample_calls`.
    SampleCall,
}

/// The result of one sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleResult {
    pub kind: SampleKind,
    /// "样例 1（回合 open）", "示范回答（回合 open）" or the sample call's name.
    pub name: String,
    pub score: f32,
    pub expected: (f32, f32),
    /// For sample calls: the outcome expected and got, when one is expected.
    pub outcome: Option<(String, String)>,
    pub passed: bool,
    /// Why, when it failed: the reasons behind the score.
    pub details: Vec<String>,
}

/// Scores an answer against a turn (by index) the way samples are: at `mood`, untimed.
fn score_alone(engine: &Engine, turn: usize, answer: &str, mood: u8) -> TurnScore {
    let ctx = AnswerContext { turn, mood_before: f32::from(mood.min(100)), latency_secs: None };
    score_answer(&engine.analyzer, &engine.scenario, answer, &ctx)
}

/// The reasons behind a single answer's score, for a result that failed.
fn answer_details(answer: &str, score: &TurnScore) -> Vec<String> {
    let mut details = vec![format!("回答：{answer}")];
    for (name, r) in &score.rubrics {
        if r.applicable {
            details.push(format!("{} {:.1}：{}", crate::scoring::rubric_label(name), r.score, r.reasons.join("；")));
        }
    }
    details.extend(score.capped.clone());
    details
}

/// The customer's mood at each turn a trainee reaches by giving every turn's model answer (the
/// first time the turn is reached), so a model answer is judged at the mood it meets.
fn model_path_moods(engine: &Engine) -> std::collections::HashMap<String, u8> {
    let mut moods = std::collections::HashMap::new();
    let (mut session, _) = Session::start(engine.clone(), 0, Mode::Practice);
    let turns = &engine.scenario.scenario.turns;
    for _ in 0..turns.len() * 2 {
        let Some(id) = session.pending_turn_id().map(str::to_string) else { break };
        let Some(turn) = turns.iter().find(|t| t.id == id) else { break };
        if moods.contains_key(&id) || turn.expect.model_answer.trim().is_empty() {
            break;
        }
        moods.insert(id, session.mood().round().clamp(0.0, 100.0) as u8);
        if session.answer(&turn.expect.model_answer, 0).is_err() {
            break;
        }
    }
    moods
}

/// Scores every sample answer (against its turn, at the persona's starting mood unless the
/// sample gives one, untimed), every turn's model answer (against its own turn, untimed, at the
/// mood the call has when the trainee gives the model answers from the start, else at the
/// persona's starting mood: it must reach the pass mark) and plays every sample call.
pub fn run_samples(engine: &Engine) -> Vec<SampleResult> {
    let sc = &engine.scenario;
    let s = &sc.scenario;
    let mut out = Vec::new();
    for (i, sample) in s.samples.iter().enumerate() {
        let Some(turn) = sc.turn_index(&sample.turn) else {
            out.push(SampleResult {
                kind: SampleKind::Sample,
                name: format!("样例 {}（回合 {}）", i + 1, sample.turn),
                score: 0.0,
                expected: sample.score,
                outcome: None,
                passed: false,
                details: vec![format!("回合“{}”不存在", sample.turn)],
            });
            continue;
        };
        let score = score_alone(engine, turn, &sample.answer, sample.mood.unwrap_or(s.persona.mood));
        let passed = in_range(score.overall, sample.score);
        let details = if passed { Vec::new() } else { answer_details(&sample.answer, &score) };
        let note = if sample.note.is_empty() { String::new() } else { format!("：{}", sample.note) };
        out.push(SampleResult {
            kind: SampleKind::Sample,
            name: format!("样例 {}（回合 {}）{note}", i + 1, sample.turn),
            score: score.overall,
            expected: sample.score,
            outcome: None,
            passed,
            details,
        });
    }
    // A model answer is what the scorecard teaches: it must pass by itself. (A turn without
    // one is skipped; lint warns of it.)
    let pass = (s.rubric.pass_mark, 100.0);
    let moods = model_path_moods(engine);
    for (i, turn) in s.turns.iter().enumerate() {
        let answer = &turn.expect.model_answer;
        if answer.trim().is_empty() {
            continue;
        }
        let mood = moods.get(&turn.id).copied().unwrap_or(s.persona.mood);
        let score = score_alone(engine, i, answer, mood);
        let passed = in_range(score.overall, pass);
        let details = if passed { Vec::new() } else { answer_details(answer, &score) };
        out.push(SampleResult {
            kind: SampleKind::ModelAnswer,
            name: format!("示范回答（回合 {}）", turn.id),
            score: score.overall,
            expected: pass,
            outcome: None,
            passed,
            details,
        });
    }
    for (i, call) in s.sample_calls.iter().enumerate() {
        let (session, problems) = play_call(engine, call);
        let card = session.scorecard();
        let got = session.outcome();
        let outcome = call.outcome.map(|want| {
            (format!("{want:?}"), got.ending_kind().map_or_else(|| got.label().to_string(), |k| format!("{k:?}")))
        });
        let outcome_ok = call.outcome.is_none_or(|want| got.ending_kind() == Some(want));
        let passed = in_range(card.overall, call.score) && outcome_ok && problems.is_empty();
        let mut details = problems;
        if !passed {
            details.extend(card.summary.iter().cloned());
            for t in &card.turns {
                details.push(format!("第{}回合 {:.1}：{}", t.turn, t.score.overall, t.score.answer));
            }
        }
        let name = if call.name.is_empty() {
            format!("样例通话 {}", i + 1)
        } else {
            format!("样例通话 {}：{}", i + 1, call.name)
        };
        out.push(SampleResult {
            kind: SampleKind::SampleCall,
            name,
            score: card.overall,
            expected: call.score,
            outcome,
            passed,
            details,
        });
    }
    out
}

/// Plays one sample call from the start: its seed, then each of its answers as a scripted run
/// reads them (`/transfer`, `/silence 30s`, `@12s` …). Returns the session as it ended and the
/// problems met on the way (an answer after the call ended, a line not understood).
pub fn play_call(engine: &Engine, call: &SampleCall) -> (Session, Vec<String>) {
    let (mut session, _) = Session::start(engine.clone(), call.seed, Mode::Practice);
    let mut problems = Vec::new();
    for (n, line) in call.answers.iter().enumerate() {
        if session.is_over() {
            problems.push(format!("第 {} 条回答之前通话已结束（{}）", n + 1, session.outcome().label()));
            break;
        }
        let result = match Input::parse(line) {
            Input::Answer { text, latency_ms } => session.answer(&text, latency_ms.unwrap_or(0)),
            Input::Transfer { note, latency_ms } => session.transfer(&note, latency_ms.unwrap_or(0)),
            Input::HangUp => session.hang_up(),
            Input::Rewind(t) => session.rewind(t),
            Input::Silence(ms) => session.silence(ms, 0),
            Input::Invalid(why) => {
                problems.push(why);
                continue;
            }
        };
        if let Err(e) = result {
            problems.push(format!("第 {} 条回答：{e}", n + 1));
        }
    }
    (session, problems)
}

fn in_range(x: f32, (lo, hi): (f32, f32)) -> bool {
    x >= lo && x <= hi
}
