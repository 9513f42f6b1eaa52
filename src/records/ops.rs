//! What gets recorded, as plain data: a session starting, each turn as it happens, the finish.
//! The same operations go to the database or, when it is unavailable, to a recovery file.

use serde::{Deserialize, Serialize};

use crate::scoring::scorecard::Scorecard;
use crate::session::{Action, LineKind, Session, Speaker};

/// One recorded operation. Applying one twice changes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Start(SessionStart),
    Turn(TurnRecord),
    Finish(Finish),
}

impl Op {
    pub fn uuid(&self) -> &str {
        match self {
            Op::Start(s) => &s.uuid,
            Op::Turn(t) => &t.uuid,
            Op::Finish(f) => &f.uuid,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionStart {
    pub uuid: String,
    pub trainee: String,
    pub team: Option<String>,
    pub scenario_id: String,
    pub scenario_version: u32,
    pub scenario_title: String,
    pub content_hash: String,
    /// `Engine::basis_hash`; empty in journals written before it existed.
    #[serde(default)]
    pub basis_hash: String,
    pub skills: Vec<String>,
    pub app_version: String,
    pub seed: u64,
    pub mode: String,
    pub started_ms: i64,
}

/// One action of the trainee: an answer (with its scores), a transfer, a hang-up, a silence
/// or a rewind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRecord {
    pub uuid: String,
    /// Position of the action in the session (0-based), rewinds included.
    pub seq: u32,
    /// answer, transfer, hangup, silence, rewind
    pub kind: String,
    /// The turn (1-based) the action happened in; for a rewind, the turn gone back to.
    pub turn: u32,
    pub turn_id: String,
    /// What the customer had just said (for answers).
    pub customer_line: String,
    /// The answer, the handoff note, or empty.
    pub text: String,
    /// Latency of the answer or transfer; waited time for a silence.
    pub latency_ms: u64,
    pub overall: Option<f32>,
    /// The turn's scores and evidence as JSON (answers only).
    pub score: Option<String>,
    pub missed_labels: Vec<String>,
    pub red_lines: Vec<String>,
    pub recorded_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RubricColumns {
    pub concepts: Option<f32>,
    pub tone: Option<f32>,
    pub escalation: Option<f32>,
    pub no_repeat: Option<f32>,
    pub responsiveness: Option<f32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finish {
    pub uuid: String,
    pub ended_ms: i64,
    pub outcome: String,
    pub overall: f32,
    pub passed: bool,
    pub rubrics: RubricColumns,
    pub escalation_timing: String,
    pub scorecard: String,
    pub transcript: String,
}

fn enum_text<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

impl SessionStart {
    pub fn new(uuid: String, trainee: &str, team: Option<&str>, session: &Session, started_ms: i64) -> Self {
        let sc = session.scenario();
        SessionStart {
            uuid,
            trainee: trainee.to_string(),
            team: team.map(str::to_string),
            scenario_id: sc.scenario.id.clone(),
            scenario_version: sc.scenario.version,
            scenario_title: sc.scenario.title.clone(),
            content_hash: sc.content_hash.clone(),
            basis_hash: session.engine().basis_hash(),
            skills: sc.scenario.skills.iter().map(|s| s.key()).collect(),
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            seed: session.seed(),
            mode: enum_text(&session.mode()),
            started_ms,
        }
    }
}

impl TurnRecord {
    /// The record of the session's last action (call right after it was applied). A rejected
    /// action (an error) is not an action and must not be recorded.
    pub fn last_of(uuid: &str, session: &Session, recorded_ms: i64) -> Option<TurnRecord> {
        let actions = session.history();
        let seq = actions.len().checked_sub(1)?;
        let action = &actions[seq];
        let mut record = TurnRecord {
            uuid: uuid.to_string(),
            seq: seq as u32,
            kind: String::new(),
            turn: session.turn(),
            turn_id: String::new(),
            customer_line: String::new(),
            text: String::new(),
            latency_ms: 0,
            overall: None,
            score: None,
            missed_labels: Vec::new(),
            red_lines: Vec::new(),
            recorded_ms,
        };
        match action {
            Action::Answer { text, latency_ms } => {
                let (turn, score) = session.turn_scores().last()?;
                record.kind = "answer".into();
                record.turn = *turn;
                record.turn_id = score.turn_id.clone();
                record.text = text.clone();
                record.latency_ms = *latency_ms;
                record.customer_line = session
                    .transcript()
                    .iter()
                    .rev()
                    .find(|e| e.speaker == Speaker::Customer && e.turn == *turn && e.kind == LineKind::Script)
                    .map(|e| e.text.clone())
                    .unwrap_or_default();
                record.overall = Some(score.overall);
                record.score = serde_json::to_string(score).ok();
                record.missed_labels = score.missed_labels.clone();
                record.red_lines = score.red_lines.clone();
            }
            Action::Transfer { note, latency_ms } => {
                record.kind = "transfer".into();
                record.text = note.clone();
                record.latency_ms = *latency_ms;
                record.turn = session.transfer_turn().unwrap_or(record.turn);
            }
            Action::HangUp => record.kind = "hangup".into(),
            Action::Silence { waited_ms, .. } => {
                record.kind = "silence".into();
                record.latency_ms = *waited_ms;
            }
            Action::Rewind { turn } => {
                record.kind = "rewind".into();
                record.turn = *turn;
            }
        }
        Some(record)
    }
}

impl Finish {
    pub fn new(uuid: &str, session: &Session, card: &Scorecard, ended_ms: i64) -> Self {
        let r = |name: &str| card.rubrics.get(name).filter(|r| r.applicable).map(|r| r.score);
        Finish {
            uuid: uuid.to_string(),
            ended_ms,
            outcome: enum_text(&card.outcome),
            overall: card.overall,
            passed: card.passed,
            rubrics: RubricColumns {
                concepts: r("concepts"),
                tone: r("tone"),
                escalation: r("escalation"),
                no_repeat: r("no_repeat"),
                responsiveness: r("responsiveness"),
            },
            escalation_timing: enum_text(&card.escalation.timing),
            scorecard: serde_json::to_string(card).unwrap_or_default(),
            transcript: serde_json::to_string(session.transcript()).unwrap_or_default(),
        }
    }
}
