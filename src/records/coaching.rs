//! Coaching from the records: one trainee's progress, weak skills with evidence and the next
//! scenarios to practise; a team's table, leaderboard, most-missed concepts and red lines.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::records::store::{Store, StoreError};
use crate::scenario::schema::Skill;

/// What coaching needs to know about a scenario of the library.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioMeta {
    pub id: String,
    pub title: String,
    /// Skill keys (`Skill::key`).
    pub skills: Vec<String>,
    pub difficulty: u8,
    pub persona: String,
}

impl ScenarioMeta {
    pub fn of(s: &crate::scenario::schema::Scenario) -> Self {
        ScenarioMeta {
            id: s.id.clone(),
            title: s.title.clone(),
            skills: s.skills.iter().map(Skill::key).collect(),
            difficulty: s.difficulty,
            persona: s.persona.kind.key(),
        }
    }
}

/// How many recent sessions make "recent" in the trend (compared with as many before them).
pub const TREND_WINDOW: usize = 5;
/// How many sessions the timeline (trend chart) holds at most.
pub const TIMELINE_LEN: usize = 60;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trend {
    pub recent: Option<f32>,
    pub earlier: Option<f32>,
    /// recent − earlier.
    pub delta: Option<f32>,
}

/// Which way a trend goes: a change of 3 points or more counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
    Flat,
}

impl Trend {
    /// `None` without enough sessions to compare.
    pub fn direction(&self) -> Option<Direction> {
        match self.delta? {
            d if d >= 3.0 => Some(Direction::Up),
            d if d <= -3.0 => Some(Direction::Down),
            _ => Some(Direction::Flat),
        }
    }

    pub fn label(&self) -> &'static str {
        match self.direction() {
            Some(Direction::Up) => "上升",
            Some(Direction::Down) => "下降",
            Some(Direction::Flat) => "持平",
            None => "—",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioProgress {
    pub scenario_id: String,
    pub title: String,
    pub attempts: u32,
    pub best: Option<f32>,
    pub latest: Option<f32>,
    pub passed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelinePoint {
    pub session_id: i64,
    pub ended_ms: i64,
    pub scenario_id: String,
    pub overall: f32,
    pub passed: bool,
    pub rubrics: BTreeMap<String, f32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    pub label: String,
    pub count: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TransferCounts {
    pub on_time: u32,
    pub early: u32,
    pub late: u32,
    pub missed: u32,
    pub premature: u32,
    pub not_needed: u32,
}

impl TransferCounts {
    fn add(&mut self, timing: &str, n: u32) {
        match timing {
            "on_time" => self.on_time += n,
            "early" => self.early += n,
            "late" => self.late += n,
            "missed" => self.missed += n,
            "premature" => self.premature += n,
            "not_needed" => self.not_needed += n,
            _ => {}
        }
    }

    /// Transfers too early, premature, too late or missed.
    pub fn mistimed(&self) -> u32 {
        self.early + self.premature + self.late + self.missed
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillStat {
    pub skill: String,
    pub label: String,
    pub sessions: u32,
    pub average: f32,
}

/// A weak skill with the evidence behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeakSkill {
    pub skill: SkillStat,
    pub missed_concepts: Vec<Count>,
    pub red_lines: Vec<Count>,
    pub transfers: TransferCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub scenario_id: String,
    pub title: String,
    pub difficulty: u8,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraineeReport {
    pub trainee: String,
    pub team: String,
    pub sessions: u32,
    pub completed: u32,
    pub incomplete: u32,
    pub passed: u32,
    /// Share of completed sessions passed, 0–1.
    pub pass_rate: Option<f32>,
    pub average: Option<f32>,
    pub best: Option<f32>,
    pub latest: Option<f32>,
    pub trend: Trend,
    pub scenarios: Vec<ScenarioProgress>,
    pub rubric_averages: BTreeMap<String, f32>,
    /// Completed sessions, oldest first (at most `TIMELINE_LEN`, the latest ones).
    pub timeline: Vec<TimelinePoint>,
    /// Weakest first.
    pub skills: Vec<SkillStat>,
    pub weakest: Vec<WeakSkill>,
    pub missed_concepts: Vec<Count>,
    pub red_lines: Vec<Count>,
    pub transfers: TransferCounts,
    pub recommendations: Vec<Recommendation>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraineeRow {
    pub name: String,
    pub team: String,
    pub sessions: u32,
    pub completed: u32,
    pub passed: u32,
    pub pass_rate: Option<f32>,
    pub average: Option<f32>,
    pub best: Option<f32>,
    pub trend: Trend,
    pub weakest_skill: Option<SkillStat>,
    pub last_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedLineCount {
    pub phrase: String,
    pub count: u32,
    pub trainees: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamReport {
    /// None: everyone.
    pub team: Option<String>,
    pub rows: Vec<TraineeRow>,
    /// Names by average (at least one completed session), best first.
    pub leaderboard: Vec<String>,
    pub missed_concepts: Vec<Count>,
    pub red_lines: Vec<RedLineCount>,
}

/// The Chinese label of a skill key.
pub fn skill_label(key: &str) -> String {
    Skill::BUILT_IN.iter().find(|s| s.key() == key).map_or_else(|| key.to_string(), |s| s.label().to_string())
}

fn round1(x: f64) -> f32 {
    ((x * 10.0).round() / 10.0) as f32
}

fn mean(xs: &[f32]) -> Option<f32> {
    (!xs.is_empty()).then(|| round1(xs.iter().map(|&x| f64::from(x)).sum::<f64>() / xs.len() as f64))
}

/// Trend from overall scores, newest first.
fn trend_of(newest_first: &[f32]) -> Trend {
    if newest_first.len() < 2 {
        return Trend::default();
    }
    let half = (newest_first.len() / 2).min(TREND_WINDOW);
    let recent = mean(&newest_first[..half]);
    let earlier = mean(&newest_first[half..(2 * half).min(newest_first.len())]);
    let delta = match (recent, earlier) {
        (Some(r), Some(e)) => Some(round1(f64::from(r) - f64::from(e))),
        _ => None,
    };
    Trend { recent, earlier, delta }
}

fn counts(store: &Store, trainee_id: i64, skill: &str, kind: &str, limit: usize) -> Result<Vec<Count>, StoreError> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT label, count FROM miss_stats WHERE trainee_id = ?1 AND skill = ?2 AND kind = ?3
         ORDER BY count DESC, label LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![trainee_id, skill, kind, limit as i64], |r| {
        Ok(Count { label: r.get(0)?, count: r.get(1)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn transfers(store: &Store, trainee_id: i64, skill: Option<&str>) -> Result<TransferCounts, StoreError> {
    let mut out = TransferCounts::default();
    let sql = match skill {
        None => {
            "SELECT escalation_timing, count(*) FROM sessions WHERE trainee_id = ?1 AND ended_ms IS NOT NULL
             AND ?2 IS NULL GROUP BY escalation_timing"
        }
        Some(_) => {
            "SELECT s.escalation_timing, count(*) FROM sessions s JOIN session_skills k ON k.session_id = s.id
             WHERE s.trainee_id = ?1 AND s.ended_ms IS NOT NULL AND k.skill = ?2 GROUP BY s.escalation_timing"
        }
    };
    let mut stmt = store.conn().prepare_cached(sql)?;
    let rows =
        stmt.query_map(params![trainee_id, skill], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, u32>(1)?)))?;
    for row in rows {
        let (timing, n) = row?;
        out.add(timing.as_deref().unwrap_or(""), n);
    }
    Ok(out)
}

fn skill_stats(store: &Store, trainee_id: i64) -> Result<Vec<SkillStat>, StoreError> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT skill, sessions, score_sum / sessions FROM skill_stats WHERE trainee_id = ?1 AND sessions > 0
         ORDER BY score_sum / sessions, skill",
    )?;
    let rows = stmt.query_map([trainee_id], |r| {
        let skill: String = r.get(0)?;
        Ok(SkillStat { label: skill_label(&skill), skill, sessions: r.get(1)?, average: round1(r.get::<_, f64>(2)?) })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The report for one trainee. `library` gives the scenarios to recommend from.
pub fn trainee_report(store: &Store, name: &str, library: &[ScenarioMeta]) -> Result<TraineeReport, StoreError> {
    let conn = store.conn();
    let (trainee_id, team): (i64, String) = conn
        .query_row("SELECT id, team FROM trainees WHERE name = ?1", [name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("学员“{name}”")))?;

    let (sessions, completed, passed, average, best): (u32, u32, u32, Option<f64>, Option<f64>) = conn.query_row(
        "SELECT count(*), count(ended_ms), coalesce(sum(passed), 0), avg(overall), max(overall)
         FROM sessions WHERE trainee_id = ?1",
        [trainee_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;

    // Completed sessions, newest first: the timeline and the trend.
    let mut stmt = conn.prepare_cached(
        "SELECT id, ended_ms, scenario_id, overall, passed, concepts, tone, escalation, no_repeat, responsiveness
         FROM sessions WHERE trainee_id = ?1 AND ended_ms IS NOT NULL ORDER BY ended_ms DESC, id DESC LIMIT ?2",
    )?;
    let mut timeline: Vec<TimelinePoint> = stmt
        .query_map(params![trainee_id, TIMELINE_LEN as i64], |r| {
            let mut rubrics = BTreeMap::new();
            for (i, name) in ["concepts", "tone", "escalation", "no_repeat", "responsiveness"].iter().enumerate() {
                if let Some(v) = r.get::<_, Option<f64>>(5 + i)? {
                    rubrics.insert(name.to_string(), v as f32);
                }
            }
            Ok(TimelinePoint {
                session_id: r.get(0)?,
                ended_ms: r.get(1)?,
                scenario_id: r.get(2)?,
                overall: r.get::<_, Option<f64>>(3)?.unwrap_or(0.0) as f32,
                passed: r.get::<_, Option<bool>>(4)?.unwrap_or(false),
                rubrics,
            })
        })?
        .collect::<Result<_, _>>()?;
    let newest: Vec<f32> = timeline.iter().take(2 * TREND_WINDOW).map(|p| p.overall).collect();
    let trend = trend_of(&newest);
    let latest = timeline.first().map(|p| p.overall);
    timeline.reverse();

    let mut stmt = conn.prepare_cached(
        "SELECT scenario_id, max(scenario_title), count(*), max(overall), max(coalesce(passed, 0)),
                (SELECT overall FROM sessions l WHERE l.trainee_id = ?1 AND l.scenario_id = s.scenario_id
                   AND l.ended_ms IS NOT NULL ORDER BY l.ended_ms DESC LIMIT 1)
         FROM sessions s WHERE trainee_id = ?1 GROUP BY scenario_id ORDER BY scenario_id",
    )?;
    let scenarios: Vec<ScenarioProgress> = stmt
        .query_map([trainee_id], |r| {
            Ok(ScenarioProgress {
                scenario_id: r.get(0)?,
                title: r.get(1)?,
                attempts: r.get(2)?,
                best: r.get::<_, Option<f64>>(3)?.map(round1),
                passed: r.get::<_, i64>(4)? == 1,
                latest: r.get::<_, Option<f64>>(5)?.map(round1),
            })
        })?
        .collect::<Result<_, _>>()?;

    let rubric_averages: BTreeMap<String, f32> = conn.query_row(
        "SELECT avg(concepts), avg(tone), avg(escalation), avg(no_repeat), avg(responsiveness)
         FROM sessions WHERE trainee_id = ?1 AND ended_ms IS NOT NULL",
        [trainee_id],
        |r| {
            let mut m = BTreeMap::new();
            for (i, name) in ["concepts", "tone", "escalation", "no_repeat", "responsiveness"].iter().enumerate() {
                if let Some(v) = r.get::<_, Option<f64>>(i)? {
                    m.insert(name.to_string(), round1(v));
                }
            }
            Ok(m)
        },
    )?;

    let skills = skill_stats(store, trainee_id)?;
    let mut weakest = Vec::new();
    for s in skills.iter().take(2) {
        weakest.push(WeakSkill {
            missed_concepts: counts(store, trainee_id, &s.skill, "concept", 5)?,
            red_lines: counts(store, trainee_id, &s.skill, "red_line", 5)?,
            transfers: transfers(store, trainee_id, Some(&s.skill))?,
            skill: s.clone(),
        });
    }
    let recommendations = recommend(&skills, &scenarios, library);
    Ok(TraineeReport {
        trainee: name.to_string(),
        team,
        sessions,
        completed,
        incomplete: sessions - completed,
        passed,
        pass_rate: (completed > 0).then(|| passed as f32 / completed as f32),
        average: average.map(round1),
        best: best.map(round1),
        latest,
        trend,
        scenarios,
        rubric_averages,
        timeline,
        weakest,
        missed_concepts: counts(store, trainee_id, "", "concept", 10)?,
        red_lines: counts(store, trainee_id, "", "red_line", 10)?,
        transfers: transfers(store, trainee_id, None)?,
        skills,
        recommendations,
    })
}

/// Scenarios tagged with the weakest skills, not yet passed, easiest first; with no record yet,
/// the easiest scenarios not yet passed.
pub fn recommend(skills: &[SkillStat], progress: &[ScenarioProgress], library: &[ScenarioMeta]) -> Vec<Recommendation> {
    let passed = |id: &str| progress.iter().any(|p| p.scenario_id == id && p.passed);
    let mut out: Vec<Recommendation> = Vec::new();
    for weak in skills.iter().take(3) {
        let mut candidates: Vec<&ScenarioMeta> =
            library.iter().filter(|m| m.skills.contains(&weak.skill) && !passed(&m.id)).collect();
        candidates.sort_by(|a, b| a.difficulty.cmp(&b.difficulty).then_with(|| a.id.cmp(&b.id)));
        for m in candidates {
            if out.len() >= 3 {
                return out;
            }
            if !out.iter().any(|r| r.scenario_id == m.id) {
                out.push(Recommendation {
                    scenario_id: m.id.clone(),
                    title: m.title.clone(),
                    difficulty: m.difficulty,
                    reason: format!("练习薄弱技能“{}”（平均 {:.1} 分），尚未通过", weak.label, weak.average),
                });
            }
        }
    }
    if out.is_empty() {
        let mut rest: Vec<&ScenarioMeta> = library.iter().filter(|m| !passed(&m.id)).collect();
        rest.sort_by(|a, b| a.difficulty.cmp(&b.difficulty).then_with(|| a.id.cmp(&b.id)));
        out.extend(rest.into_iter().take(3).map(|m| Recommendation {
            scenario_id: m.id.clone(),
            title: m.title.clone(),
            difficulty: m.difficulty,
            reason: "尚未通过，从易到难".to_string(),
        }));
    }
    out
}

/// The table of trainees (of one team, or everyone), with leaderboard and the team's most
/// missed concepts and red lines.
pub fn team_report(store: &Store, team: Option<&str>) -> Result<TeamReport, StoreError> {
    let conn = store.conn();
    let mut stmt = conn.prepare_cached(
        "SELECT t.id, t.name, t.team, count(s.id), count(s.ended_ms), coalesce(sum(s.passed), 0), avg(s.overall),
                max(s.overall), max(s.ended_ms)
         FROM trainees t LEFT JOIN sessions s ON s.trainee_id = t.id
         WHERE ?1 IS NULL OR t.team = ?1
         GROUP BY t.id ORDER BY t.name",
    )?;
    let base: Vec<(i64, TraineeRow)> = stmt
        .query_map([team], |r| {
            let completed: u32 = r.get(4)?;
            let passed: u32 = r.get(5)?;
            Ok((
                r.get(0)?,
                TraineeRow {
                    name: r.get(1)?,
                    team: r.get(2)?,
                    sessions: r.get(3)?,
                    completed,
                    passed,
                    pass_rate: (completed > 0).then(|| passed as f32 / completed as f32),
                    average: r.get::<_, Option<f64>>(6)?.map(round1),
                    best: r.get::<_, Option<f64>>(7)?.map(round1),
                    trend: Trend::default(),
                    weakest_skill: None,
                    last_ms: r.get(8)?,
                },
            ))
        })?
        .collect::<Result<_, _>>()?;

    let mut recent = conn.prepare_cached(
        "SELECT overall FROM sessions WHERE trainee_id = ?1 AND ended_ms IS NOT NULL ORDER BY ended_ms DESC, id DESC LIMIT ?2",
    )?;
    let mut weakest = conn.prepare_cached(
        "SELECT skill, sessions, score_sum / sessions FROM skill_stats WHERE trainee_id = ?1 AND sessions > 0
         ORDER BY score_sum / sessions, skill LIMIT 1",
    )?;
    let mut rows = Vec::with_capacity(base.len());
    for (id, mut row) in base {
        if row.completed >= 2 {
            let newest: Vec<f32> = recent
                .query_map(params![id, (2 * TREND_WINDOW) as i64], |r| r.get::<_, f64>(0).map(|v| v as f32))?
                .collect::<Result<_, _>>()?;
            row.trend = trend_of(&newest);
        }
        row.weakest_skill = weakest
            .query_row([id], |r| {
                let skill: String = r.get(0)?;
                Ok(SkillStat {
                    label: skill_label(&skill),
                    skill,
                    sessions: r.get(1)?,
                    average: round1(r.get::<_, f64>(2)?),
                })
            })
            .optional()?;
        rows.push(row);
    }

    let mut board: Vec<&TraineeRow> = rows.iter().filter(|r| r.average.is_some()).collect();
    board.sort_by(|a, b| {
        b.average.partial_cmp(&a.average).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.name.cmp(&b.name))
    });
    let leaderboard = board.into_iter().map(|r| r.name.clone()).collect();

    let mut stmt = conn.prepare_cached(
        "SELECT m.label, sum(m.count) FROM miss_stats m JOIN trainees t ON t.id = m.trainee_id
         WHERE m.skill = '' AND m.kind = 'concept' AND (?1 IS NULL OR t.team = ?1)
         GROUP BY m.label ORDER BY 2 DESC, m.label LIMIT 10",
    )?;
    let missed_concepts =
        stmt.query_map([team], |r| Ok(Count { label: r.get(0)?, count: r.get(1)? }))?.collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT m.label, sum(m.count), count(DISTINCT m.trainee_id) FROM miss_stats m JOIN trainees t ON t.id = m.trainee_id
         WHERE m.skill = '' AND m.kind = 'red_line' AND (?1 IS NULL OR t.team = ?1)
         GROUP BY m.label ORDER BY 2 DESC, m.label LIMIT 10",
    )?;
    let red_lines = stmt
        .query_map([team], |r| Ok(RedLineCount { phrase: r.get(0)?, count: r.get(1)?, trainees: r.get(2)? }))?
        .collect::<Result<_, _>>()?;
    Ok(TeamReport { team: team.map(str::to_string), rows, leaderboard, missed_concepts, red_lines })
}

/// One recorded session with its turns, for replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedSession {
    pub id: i64,
    pub uuid: String,
    pub trainee: String,
    pub scenario_id: String,
    pub scenario_version: u32,
    pub scenario_title: String,
    pub content_hash: String,
    /// The lexicons' and mood model's hash; empty for sessions recorded before version 3.
    pub basis_hash: String,
    pub seed: u64,
    pub mode: String,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub outcome: String,
    pub overall: Option<f32>,
    pub passed: Option<bool>,
    pub turns: Vec<RecordedTurn>,
    /// The scorecard as JSON, once finished.
    pub scorecard: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedTurn {
    pub seq: u32,
    pub kind: String,
    pub turn: u32,
    pub turn_id: String,
    pub customer_line: String,
    pub text: String,
    pub latency_ms: u64,
    pub overall: Option<f32>,
    pub score: Option<String>,
    pub superseded: bool,
}

/// A recorded session by row id, or by (a prefix of) its uuid.
pub fn recorded_session(store: &Store, key: &str) -> Result<RecordedSession, StoreError> {
    let conn = store.conn();
    let id: Option<i64> = match key.parse::<i64>() {
        Ok(n) => conn.query_row("SELECT id FROM sessions WHERE id = ?1", [n], |r| r.get(0)).optional()?,
        Err(_) => conn
            .query_row("SELECT id FROM sessions WHERE uuid LIKE ?1 || '%' ORDER BY id LIMIT 1", [key], |r| r.get(0))
            .optional()?,
    };
    let id = id.ok_or_else(|| StoreError::NotFound(format!("练习记录“{key}”")))?;
    let mut session = conn.query_row(
        "SELECT s.id, s.uuid, t.name, s.scenario_id, s.scenario_version, s.scenario_title, s.content_hash, s.seed,
                s.mode, s.started_ms, s.ended_ms, s.outcome, s.overall, s.passed, s.scorecard, s.basis_hash
         FROM sessions s JOIN trainees t ON t.id = s.trainee_id WHERE s.id = ?1",
        [id],
        |r| {
            Ok(RecordedSession {
                id: r.get(0)?,
                uuid: r.get(1)?,
                trainee: r.get(2)?,
                scenario_id: r.get(3)?,
                scenario_version: r.get(4)?,
                scenario_title: r.get(5)?,
                content_hash: r.get(6)?,
                seed: r.get::<_, i64>(7)? as u64,
                mode: r.get(8)?,
                started_ms: r.get(9)?,
                ended_ms: r.get(10)?,
                outcome: r.get(11)?,
                overall: r.get::<_, Option<f64>>(12)?.map(|v| v as f32),
                passed: r.get(13)?,
                scorecard: r.get(14)?,
                basis_hash: r.get(15)?,
                turns: Vec::new(),
            })
        },
    )?;
    let mut stmt = conn.prepare_cached(
        "SELECT seq, kind, turn, turn_id, customer_line, text, latency_ms, overall, score, superseded
         FROM turns WHERE session_id = ?1 ORDER BY seq",
    )?;
    session.turns = stmt
        .query_map([id], |r| {
            Ok(RecordedTurn {
                seq: r.get(0)?,
                kind: r.get(1)?,
                turn: r.get(2)?,
                turn_id: r.get(3)?,
                customer_line: r.get(4)?,
                text: r.get(5)?,
                latency_ms: r.get::<_, i64>(6)? as u64,
                overall: r.get::<_, Option<f64>>(7)?.map(|v| v as f32),
                score: r.get(8)?,
                superseded: r.get(9)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(session)
}

/// Evidence kinds that are problems with an answer (shown in replays and feedback).
pub const PROBLEM_KINDS: [&str; 5] = ["missed", "red_line", "negated", "asked_again", "goal_missed"];

impl RecordedTurn {
    /// The problems recorded with an answer, in Chinese (from its stored evidence).
    pub fn problems(&self) -> Vec<String> {
        let Some(score) = self.score.as_deref().and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok()) else {
            return Vec::new();
        };
        score["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["kind"].as_str().is_some_and(|k| PROBLEM_KINDS.contains(&k)))
            .filter_map(|e| e["detail"].as_str().map(str::to_string))
            .collect()
    }
}

impl RecordedSession {
    /// The trainee's actions, in order, to replay the call through the engine.
    pub fn history(&self) -> Vec<crate::session::Action> {
        use crate::session::Action;
        self.turns
            .iter()
            .filter_map(|t| match t.kind.as_str() {
                "answer" => Some(Action::Answer { text: t.text.clone(), latency_ms: t.latency_ms }),
                "transfer" => Some(Action::Transfer { note: t.text.clone(), latency_ms: t.latency_ms }),
                "hangup" => Some(Action::HangUp),
                "silence" => Some(Action::Silence { waited_ms: t.latency_ms, typing_ms: 0 }),
                "rewind" => Some(Action::Rewind { turn: t.turn }),
                _ => None,
            })
            .collect()
    }

    pub fn mode(&self) -> crate::session::Mode {
        if self.mode == "exam" { crate::session::Mode::Exam } else { crate::session::Mode::Practice }
    }
}

/// Recent sessions (newest first) for lists: id, trainee, scenario title, overall, ended.
pub fn recent_sessions(store: &Store, trainee: Option<&str>, limit: usize) -> Result<Vec<RecordedSession>, StoreError> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT s.id FROM sessions s JOIN trainees t ON t.id = s.trainee_id
         WHERE ?1 IS NULL OR t.name = ?1 ORDER BY s.started_ms DESC, s.id DESC LIMIT ?2",
    )?;
    let ids: Vec<i64> = stmt.query_map(params![trainee, limit as i64], |r| r.get(0))?.collect::<Result<_, _>>()?;
    ids.into_iter().map(|id| recorded_session(store, &id.to_string())).collect()
}

/// One recorded answer of a scenario: the session it is from, the turn it answered, the words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedAnswer {
    pub session_id: i64,
    pub trainee: String,
    /// The scenario version the session was recorded with.
    pub scenario_version: u32,
    pub turn_id: String,
    pub text: String,
    /// Answered again after a rewind (still an answer the trainee gave to that turn).
    pub superseded: bool,
}

/// Every recorded answer (not transfers, hang-ups or silences) of a scenario, by session and
/// order in the session. Reads only columns of the first schema, so older databases opened
/// read-only can be read as well.
pub fn recorded_answers(store: &Store, scenario_id: &str) -> Result<Vec<RecordedAnswer>, StoreError> {
    let conn = store.conn();
    let has_superseded: bool =
        conn.query_row("SELECT count(*) FROM pragma_table_info('turns') WHERE name = 'superseded'", [], |r| {
            r.get::<_, i64>(0).map(|n| n > 0)
        })?;
    let superseded = if has_superseded { "u.superseded" } else { "0" };
    let sql = format!(
        "SELECT s.id, t.name, s.scenario_version, u.turn_id, u.text, {superseded}
         FROM turns u JOIN sessions s ON s.id = u.session_id JOIN trainees t ON t.id = s.trainee_id
         WHERE s.scenario_id = ?1 AND u.kind = 'answer'
         ORDER BY s.id, u.seq"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([scenario_id], |r| {
        Ok(RecordedAnswer {
            session_id: r.get(0)?,
            trainee: r.get(1)?,
            scenario_version: r.get(2)?,
            turn_id: r.get(3)?,
            text: r.get(4)?,
            superseded: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
