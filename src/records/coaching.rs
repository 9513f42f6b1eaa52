//! Coaching from the records: one trainee's progress, weak skills with evidence, incidents and
//! the next scenarios to practise; a team's table, leaderboard, most-missed concepts and
//! incidents; one scenario across a team. Every report can be limited to a period of dates.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::records::store::{Store, StoreError};
use crate::scenario::schema::Skill;
use crate::scoring::incidents::kind_label;

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
/// How many incidents a report lists (newest first); the counts cover all of them.
pub const INCIDENT_LIST: usize = 50;

/// A range of days, in the machine's local time: sessions that started from `since` (00:00)
/// up to the end of `until` (both optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Period {
    /// YYYY-MM-DD, as given.
    pub since: Option<String>,
    pub until: Option<String>,
    /// Start (inclusive) and end (exclusive) in ms since the epoch.
    #[serde(skip)]
    pub since_ms: Option<i64>,
    #[serde(skip)]
    pub until_ms: Option<i64>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PeriodError {
    #[error("日期“{0}”无效：请写成 年-月-日，例如 2026-11-01")]
    BadDate(String),
    #[error("起始日期 {since} 晚于结束日期 {until}：请交换两者")]
    Reversed { since: String, until: String },
}

impl Period {
    /// Everything.
    pub fn all() -> Period {
        Period::default()
    }

    pub fn is_all(&self) -> bool {
        self.since_ms.is_none() && self.until_ms.is_none()
    }

    /// From dates `YYYY-MM-DD` in local time (`until` inclusive).
    pub fn from_dates(since: Option<&str>, until: Option<&str>) -> Result<Period, PeriodError> {
        // SQLite's date functions know the local time zone (the `TZ` environment variable).
        let conn = rusqlite::Connection::open_in_memory().map_err(|_| PeriodError::BadDate(String::new()))?;
        let to_ms = |day: &str, plus: &str| -> Result<i64, PeriodError> {
            let bad = || PeriodError::BadDate(crate::text::safe::terminal_safe(day).into_owned());
            let ok = day.len() == 10
                && day.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
            if !ok {
                return Err(bad());
            }
            conn.query_row(
                "SELECT CASE WHEN date(?1) IS ?1 THEN CAST(strftime('%s', ?1, ?2, 'utc') AS INTEGER) * 1000 END",
                params![day, plus],
                |r| r.get::<_, Option<i64>>(0),
            )
            .ok()
            .flatten()
            .ok_or_else(bad)
        };
        let since_ms = since.map(|d| to_ms(d, "+0 days")).transpose()?;
        let until_ms = until.map(|d| to_ms(d, "+1 day")).transpose()?;
        if let (Some(a), Some(b), Some(s), Some(u)) = (since_ms, until_ms, since, until)
            && a >= b
        {
            return Err(PeriodError::Reversed { since: s.to_string(), until: u.to_string() });
        }
        Ok(Period { since: since.map(str::to_string), until: until.map(str::to_string), since_ms, until_ms })
    }

    /// "2026-11-01 至 2026-11-30", "2026-11-01 起", "全部".
    pub fn label(&self) -> String {
        match (&self.since, &self.until) {
            (Some(a), Some(b)) => format!("{a} 至 {b}"),
            (Some(a), None) => format!("{a} 起"),
            (None, Some(b)) => format!("至 {b}"),
            (None, None) => "全部日期".to_string(),
        }
    }
}

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
    /// Passed at least once without an incident.
    pub passed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelinePoint {
    pub session_id: i64,
    pub ended_ms: i64,
    /// The day it ended, YYYY-MM-DD in local time.
    pub date: String,
    /// Local Julian day of the end (the trend chart's axis).
    #[serde(skip)]
    pub day: f64,
    pub scenario_id: String,
    pub overall: f32,
    /// The scorer's verdict.
    pub passed: bool,
    /// Incidents in the session.
    pub incidents: u32,
    pub rubrics: BTreeMap<String, f32>,
}

impl TimelinePoint {
    /// Passed without an incident.
    pub fn clean_pass(&self) -> bool {
        self.passed && self.incidents == 0
    }
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
    /// Sessions with at least one turn that exercised the skill.
    pub sessions: u32,
    /// Turns that exercised it (a call's transfer counts as one).
    pub turns: u32,
    /// Mean of those turns' figures.
    pub average: f32,
}

/// A weak skill with the evidence behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeakSkill {
    pub skill: SkillStat,
    /// What scored 0 for the skill (a missed concept, a breach with its words …), most often
    /// first, from the latest `EVIDENCE_SESSIONS` sessions.
    pub misses: Vec<Count>,
}

/// How many of a trainee's latest sessions the weak skills' evidence is read from.
pub const EVIDENCE_SESSIONS: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub scenario_id: String,
    pub title: String,
    pub difficulty: u8,
    pub reason: String,
}

/// One incident in a report, with where to find it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportIncident {
    pub session_id: i64,
    pub trainee: String,
    pub scenario_id: String,
    pub scenario_title: String,
    /// When the session started, ms since the epoch, and its local date.
    pub started_ms: i64,
    pub date: String,
    pub kind: String,
    pub kind_label: String,
    pub label: String,
    pub quote: String,
    /// 1-based; 0 for a call without answers.
    pub turn: u32,
    /// The scorer's verdict on the session (None: not finished).
    pub passed: Option<bool>,
}

impl ReportIncident {
    /// The HTML anchor of the turn (or of the session, for turn 0).
    pub fn anchor(&self) -> String {
        if self.turn > 0 {
            format!("session-{}-turn-{}", self.session_id, self.turn)
        } else {
            format!("session-{}", self.session_id)
        }
    }
}

/// Incidents of one kind and label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentCount {
    pub kind: String,
    pub kind_label: String,
    pub label: String,
    pub count: u32,
    pub trainees: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraineeReport {
    pub trainee: String,
    pub team: String,
    pub period: Period,
    pub sessions: u32,
    pub completed: u32,
    pub incomplete: u32,
    /// Passed by the scorer.
    pub passed: u32,
    /// Passed by the scorer, but with an incident.
    pub passed_with_incidents: u32,
    /// Sessions with at least one incident.
    pub sessions_with_incidents: u32,
    /// Share of completed sessions passed without an incident, 0–1.
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
    /// Newest first, at most `INCIDENT_LIST`.
    pub incidents: Vec<ReportIncident>,
    pub incident_counts: Vec<IncidentCount>,
    pub recommendations: Vec<Recommendation>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraineeRow {
    pub name: String,
    pub team: String,
    pub sessions: u32,
    pub completed: u32,
    /// Passed by the scorer.
    pub passed: u32,
    /// Incidents in all, and the sessions they were in.
    pub incidents: u32,
    pub sessions_with_incidents: u32,
    /// Share of completed sessions passed without an incident.
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
    pub period: Period,
    pub rows: Vec<TraineeRow>,
    /// Names by average (at least one completed session), best first.
    pub leaderboard: Vec<String>,
    pub missed_concepts: Vec<Count>,
    pub red_lines: Vec<RedLineCount>,
    pub incident_counts: Vec<IncidentCount>,
    /// Newest first, at most `INCIDENT_LIST`.
    pub incidents: Vec<ReportIncident>,
}

/// One trainee's record in one scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioRow {
    pub name: String,
    pub team: String,
    pub attempts: u32,
    pub completed: u32,
    /// Passed without an incident at least once.
    pub passed: bool,
    pub best: Option<f32>,
    pub latest: Option<f32>,
    pub incidents: u32,
}

/// One scenario across a team (or everyone).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioReport {
    pub scenario_id: String,
    pub title: String,
    pub team: Option<String>,
    pub period: Period,
    /// Trainees who attempted it, by name.
    pub rows: Vec<ScenarioRow>,
    pub attempted: u32,
    /// Trainees who passed it without an incident.
    pub passed: u32,
    pub missed_concepts: Vec<Count>,
    pub incident_counts: Vec<IncidentCount>,
    pub incidents: Vec<ReportIncident>,
}

/// The Chinese label of a skill key.
pub fn skill_label(key: &str) -> String {
    Skill::label_of_key(key)
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

/// Which sessions a query covers: a trainee or a team (or everyone), a scenario, a period.
/// Bound as `?1` trainee id, `?2` team, `?3` scenario, `?4` since, `?5` until (see `where_s`).
struct Filter<'a> {
    trainee: Option<i64>,
    team: Option<&'a str>,
    scenario: Option<&'a str>,
    period: &'a Period,
}

impl Filter<'_> {
    /// The condition on sessions `s` (joined with trainees `tr`): only the filters given are
    /// conditions (an `?n IS NULL OR …` would keep SQLite from using the indexes); the others
    /// are bound as NULL and tested as such.
    fn where_s(&self) -> String {
        let part = |given: bool, cond: &str, n: u8| if given { cond.to_string() } else { format!("?{n} IS NULL") };
        [
            part(self.trainee.is_some(), "s.trainee_id = ?1", 1),
            part(self.team.is_some(), "tr.team = ?2", 2),
            part(self.scenario.is_some(), "s.scenario_id = ?3", 3),
            part(self.period.since_ms.is_some(), "s.started_ms >= ?4", 4),
            part(self.period.until_ms.is_some(), "s.started_ms < ?5", 5),
        ]
        .join(" AND ")
    }

    /// The same condition on incidents `i` (joined with trainees `tr` by the incident's
    /// trainee), read from the incidents' own columns, and the join a scenario filter needs.
    fn incident_where(&self) -> (&'static str, String) {
        let part = |given: bool, cond: &str, n: u8| if given { cond.to_string() } else { format!("?{n} IS NULL") };
        let join = if self.scenario.is_some() { "JOIN sessions s ON s.id = i.session_id" } else { "" };
        let w = [
            part(self.trainee.is_some(), "i.trainee_id = ?1", 1),
            part(self.team.is_some(), "tr.team = ?2", 2),
            part(self.scenario.is_some(), "s.scenario_id = ?3", 3),
            part(self.period.since_ms.is_some(), "i.started_ms >= ?4", 4),
            part(self.period.until_ms.is_some(), "i.started_ms < ?5", 5),
        ]
        .join(" AND ");
        (join, w)
    }

    fn params(&self) -> [rusqlite::types::Value; 5] {
        use rusqlite::types::Value;
        let opt_i = |v: Option<i64>| v.map_or(Value::Null, Value::Integer);
        let opt_s = |v: Option<&str>| v.map_or(Value::Null, |s| Value::Text(s.to_string()));
        [
            opt_i(self.trainee),
            opt_s(self.team),
            opt_s(self.scenario),
            opt_i(self.period.since_ms),
            opt_i(self.period.until_ms),
        ]
    }
}

fn incident_counts(store: &Store, f: &Filter<'_>) -> Result<Vec<IncidentCount>, StoreError> {
    let (join, w) = f.incident_where();
    let sql = format!(
        "SELECT i.kind, i.label, count(*), count(DISTINCT i.trainee_id)
         FROM incidents i JOIN trainees tr ON tr.id = i.trainee_id {join}
         WHERE {w} GROUP BY i.kind, i.label"
    );
    let mut stmt = store.conn().prepare_cached(&sql)?;
    let mut out: Vec<IncidentCount> = stmt
        .query_map(rusqlite::params_from_iter(f.params()), |r| {
            let kind: String = r.get(0)?;
            Ok(IncidentCount {
                kind_label: kind_label(&kind).to_string(),
                kind,
                label: r.get(1)?,
                count: r.get(2)?,
                trainees: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let rank = |k: &str| crate::scoring::incidents::KINDS.iter().position(|x| *x == k).unwrap_or(usize::MAX);
    out.sort_by(|a, b| rank(&a.kind).cmp(&rank(&b.kind)).then(b.count.cmp(&a.count)).then(a.label.cmp(&b.label)));
    Ok(out)
}

/// Whose incidents [`all_incidents`] lists.
#[derive(Debug, Clone, Copy)]
pub enum IncidentScope<'a> {
    Trainee(&'a str),
    /// One team, or everyone.
    Team(Option<&'a str>),
    Scenario {
        id: &'a str,
        team: Option<&'a str>,
    },
}

/// Every incident of the scope in the period, newest first, with its quote and turn: what
/// `peilian report --csv --incidents` writes (the reports list only the newest `INCIDENT_LIST`).
pub fn all_incidents(
    store: &Store,
    scope: IncidentScope<'_>,
    period: &Period,
) -> Result<Vec<ReportIncident>, StoreError> {
    let f = match scope {
        IncidentScope::Trainee(name) => {
            let trainee_id: i64 = store
                .conn()
                .query_row("SELECT id FROM trainees WHERE name = ?1", [name], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("学员“{name}”")))?;
            Filter { trainee: Some(trainee_id), team: None, scenario: None, period }
        }
        IncidentScope::Team(team) => Filter { trainee: None, team, scenario: None, period },
        IncidentScope::Scenario { id, team } => Filter { trainee: None, team, scenario: Some(id), period },
    };
    incidents_of(store, &f, None)
}

fn incident_list(store: &Store, f: &Filter<'_>) -> Result<Vec<ReportIncident>, StoreError> {
    incidents_of(store, f, Some(INCIDENT_LIST))
}

/// The incidents `f` selects, newest first, at most `limit`.
fn incidents_of(store: &Store, f: &Filter<'_>, limit: Option<usize>) -> Result<Vec<ReportIncident>, StoreError> {
    let (_, w) = f.incident_where();
    // SQLite reads a negative limit as none. Without a trainee the incidents are read newest
    // first from their index by start, so the limit stops the read; left to itself the planner
    // may read them by trainee and sort every one (4 s for a team at 1M sessions). CROSS JOIN
    // keeps the incidents the outer loop.
    let limit = limit.map_or(-1, |n| n as i64);
    let incidents = if f.trainee.is_some() { "incidents i" } else { "incidents i INDEXED BY incidents_by_start" };
    let sql = format!(
        "SELECT i.session_id, tr.name, s.scenario_id, s.scenario_title, s.started_ms,
                strftime('%Y-%m-%d', s.started_ms / 1000, 'unixepoch', 'localtime'), i.kind, i.label, i.quote, i.turn,
                s.passed
         FROM {incidents} CROSS JOIN sessions s ON s.id = i.session_id CROSS JOIN trainees tr ON tr.id = i.trainee_id
         WHERE {w} ORDER BY i.started_ms DESC, i.session_id DESC, i.seq, i.kind, i.n LIMIT {limit}"
    );
    let mut stmt = store.conn().prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(f.params()), |r| {
        let kind: String = r.get(6)?;
        Ok(ReportIncident {
            session_id: r.get(0)?,
            trainee: r.get(1)?,
            scenario_id: r.get(2)?,
            scenario_title: r.get(3)?,
            started_ms: r.get(4)?,
            date: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            kind_label: kind_label(&kind).to_string(),
            kind,
            label: r.get(7)?,
            quote: r.get(8)?,
            turn: r.get(9)?,
            passed: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Missed concepts of the covered sessions' answers (rewound attempts included), from the
/// stored scores.
fn missed_in(store: &Store, f: &Filter<'_>, limit: usize) -> Result<Vec<Count>, StoreError> {
    let w = f.where_s();
    let sql = format!(
        "SELECT m.value, count(*) FROM sessions s JOIN trainees tr ON tr.id = s.trainee_id
             JOIN turns t ON t.session_id = s.id, json_each(t.score, '$.missed_labels') m
         WHERE {w} AND t.kind = 'answer' AND json_valid(t.score)
         GROUP BY m.value ORDER BY 2 DESC, 1 LIMIT {limit}"
    );
    let mut stmt = store.conn().prepare_cached(&sql)?;
    let rows =
        stmt.query_map(rusqlite::params_from_iter(f.params()), |r| Ok(Count { label: r.get(0)?, count: r.get(1)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
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

fn transfers(store: &Store, f: &Filter<'_>) -> Result<TransferCounts, StoreError> {
    let w = f.where_s();
    let mut out = TransferCounts::default();
    let sql = format!(
        "SELECT s.escalation_timing, count(*) FROM sessions s JOIN trainees tr ON tr.id = s.trainee_id
         WHERE {w} AND s.ended_ms IS NOT NULL GROUP BY s.escalation_timing"
    );
    let mut stmt = store.conn().prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(f.params()), |r| {
        Ok((r.get::<_, Option<String>>(0)?, r.get::<_, u32>(1)?))
    })?;
    for row in rows {
        let (timing, n) = row?;
        out.add(timing.as_deref().unwrap_or(""), n);
    }
    Ok(out)
}

fn skill_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SkillStat> {
    let skill: String = r.get(0)?;
    Ok(SkillStat {
        label: skill_label(&skill),
        skill,
        sessions: r.get(1)?,
        turns: r.get(2)?,
        average: round1(r.get::<_, f64>(3)?),
    })
}

/// Skill figures, weakest first: the running totals for all dates, else the covered sessions'.
fn skill_stats(store: &Store, trainee_id: i64, period: &Period) -> Result<Vec<SkillStat>, StoreError> {
    if period.is_all() {
        let mut stmt = store.conn().prepare_cached(
            "SELECT skill, sessions, turns, score_sum / turns FROM skill_stats WHERE trainee_id = ?1 AND turns > 0
             ORDER BY score_sum / turns, skill",
        )?;
        return Ok(stmt.query_map([trainee_id], skill_row)?.collect::<Result<_, _>>()?);
    }
    let f = Filter { trainee: Some(trainee_id), team: None, scenario: None, period };
    let w = f.where_s();
    let sql = format!(
        "SELECT k.skill, count(*), sum(k.turns), sum(k.score_sum) / sum(k.turns)
         FROM session_skill_scores k JOIN sessions s ON s.id = k.session_id JOIN trainees tr ON tr.id = s.trainee_id
         WHERE {w} GROUP BY k.skill HAVING sum(k.turns) > 0 ORDER BY 4, 1"
    );
    let mut stmt = store.conn().prepare_cached(&sql)?;
    Ok(stmt.query_map(rusqlite::params_from_iter(f.params()), skill_row)?.collect::<Result<_, _>>()?)
}

/// What scored 0 for a skill in the trainee's latest sessions of the period.
fn skill_misses(store: &Store, f: &Filter<'_>, skill: &str) -> Result<Vec<Count>, StoreError> {
    let w = f.where_s();
    let sql = format!(
        "WITH recent AS (SELECT s.id FROM sessions s JOIN trainees tr ON tr.id = s.trainee_id
                         WHERE {w} AND s.ended_ms IS NOT NULL ORDER BY s.started_ms DESC LIMIT {EVIDENCE_SESSIONS})
         SELECT k.value ->> 'why', count(*) FROM recent JOIN turns t ON t.session_id = recent.id,
             json_each(t.score, '$.skills') k
         WHERE t.kind = 'answer' AND t.superseded = 0 AND json_valid(t.score) AND k.value ->> 'skill' = ?6
             AND k.value ->> 'score' = 0
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5"
    );
    let mut stmt = store.conn().prepare_cached(&sql)?;
    let mut p: Vec<rusqlite::types::Value> = f.params().into();
    p.push(rusqlite::types::Value::Text(skill.to_string()));
    let rows = stmt.query_map(rusqlite::params_from_iter(p), |r| Ok(Count { label: r.get(0)?, count: r.get(1)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The report for one trainee over all dates. `library` gives the scenarios to recommend from.
pub fn trainee_report(store: &Store, name: &str, library: &[ScenarioMeta]) -> Result<TraineeReport, StoreError> {
    trainee_report_in(store, name, library, &Period::all())
}

/// The report for one trainee over a period.
pub fn trainee_report_in(
    store: &Store,
    name: &str,
    library: &[ScenarioMeta],
    period: &Period,
) -> Result<TraineeReport, StoreError> {
    let conn = store.conn();
    let (trainee_id, team): (i64, String) = conn
        .query_row("SELECT id, team FROM trainees WHERE name = ?1", [name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("学员“{name}”")))?;
    let f = Filter { trainee: Some(trainee_id), team: None, scenario: None, period };
    let w = f.where_s();
    let p = || rusqlite::params_from_iter(f.params());

    #[allow(clippy::type_complexity)]
    let (sessions, completed, passed, average, best, sessions_with_incidents, passed_with_incidents): (
        u32,
        u32,
        u32,
        Option<f64>,
        Option<f64>,
        u32,
        u32,
    ) = conn.query_row(
        &format!(
            "SELECT count(*), count(s.ended_ms), coalesce(sum(s.passed), 0), avg(s.overall), max(s.overall),
                    count(CASE WHEN s.incidents > 0 THEN 1 END), count(CASE WHEN s.passed = 1 AND s.incidents > 0 THEN 1 END)
             FROM sessions s JOIN trainees tr ON tr.id = s.trainee_id WHERE {w}"
        ),
        p(),
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
    )?;

    // Completed sessions, newest first: the timeline and the trend.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT s.id, s.ended_ms, s.scenario_id, s.overall, s.passed, s.concepts, s.tone, s.escalation, s.no_repeat,
                s.responsiveness, strftime('%Y-%m-%d', s.ended_ms / 1000, 'unixepoch', 'localtime'),
                julianday(s.ended_ms / 1000.0, 'unixepoch', 'localtime'), s.incidents
         FROM sessions s JOIN trainees tr ON tr.id = s.trainee_id
         WHERE {w} AND s.ended_ms IS NOT NULL ORDER BY s.ended_ms DESC, s.id DESC LIMIT {TIMELINE_LEN}"
    ))?;
    let mut timeline: Vec<TimelinePoint> = stmt
        .query_map(p(), |r| {
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
                date: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
                day: r.get::<_, Option<f64>>(11)?.unwrap_or(0.0),
                incidents: r.get(12)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let newest: Vec<f32> = timeline.iter().take(2 * TREND_WINDOW).map(|p| p.overall).collect();
    let trend = trend_of(&newest);
    let latest = timeline.first().map(|p| p.overall);
    timeline.reverse();

    let mut stmt = conn.prepare_cached(&format!(
        "SELECT s.scenario_id, max(s.scenario_title), count(*), max(s.overall),
                max(coalesce(s.passed, 0) AND s.incidents = 0),
                (SELECT l.overall FROM sessions l WHERE l.trainee_id = s.trainee_id AND l.scenario_id = s.scenario_id
                   AND l.ended_ms IS NOT NULL AND (?4 IS NULL OR l.started_ms >= ?4) AND (?5 IS NULL OR l.started_ms < ?5)
                 ORDER BY l.ended_ms DESC LIMIT 1)
         FROM sessions s JOIN trainees tr ON tr.id = s.trainee_id WHERE {w}
         GROUP BY s.scenario_id ORDER BY s.scenario_id"
    ))?;
    let scenarios: Vec<ScenarioProgress> = stmt
        .query_map(p(), |r| {
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
        &format!(
            "SELECT avg(s.concepts), avg(s.tone), avg(s.escalation), avg(s.no_repeat), avg(s.responsiveness)
             FROM sessions s JOIN trainees tr ON tr.id = s.trainee_id WHERE {w} AND s.ended_ms IS NOT NULL"
        ),
        p(),
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

    let skills = skill_stats(store, trainee_id, period)?;
    let incident_counts = incident_counts(store, &f)?;
    let escalation = crate::scoring::skills::SkillMap::shipped().escalation.key();
    let mut weakest = Vec::new();
    for s in skills.iter().filter(|s| s.average < 100.0).take(2) {
        let mut misses = skill_misses(store, &f, &s.skill)?;
        // Transfer timing is marked per call: its evidence is the transfer incidents.
        if s.skill == escalation {
            misses.extend(
                incident_counts
                    .iter()
                    .filter(|c| c.kind.ends_with("_transfer"))
                    .map(|c| Count { label: format!("{}：{}", c.kind_label, c.label), count: c.count }),
            );
        }
        weakest.push(WeakSkill { misses, skill: s.clone() });
    }
    let recommendations = recommend(&skills, &scenarios, library);
    let mut red_lines: Vec<Count> = incident_counts
        .iter()
        .filter(|c| c.kind == "red_line")
        .map(|c| Count { label: c.label.clone(), count: c.count })
        .collect();
    red_lines.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
    let clean = passed - passed_with_incidents.min(passed);
    Ok(TraineeReport {
        trainee: name.to_string(),
        team,
        period: period.clone(),
        sessions,
        completed,
        incomplete: sessions - completed,
        passed,
        passed_with_incidents,
        sessions_with_incidents,
        pass_rate: (completed > 0).then(|| clean as f32 / completed as f32),
        average: average.map(round1),
        best: best.map(round1),
        latest,
        trend,
        scenarios,
        rubric_averages,
        timeline,
        weakest,
        missed_concepts: if period.is_all() {
            counts(store, trainee_id, "", "concept", 10)?
        } else {
            missed_in(store, &f, 10)?
        },
        red_lines,
        transfers: transfers(store, &f)?,
        incidents: incident_list(store, &f)?,
        incident_counts,
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

/// The table of trainees (of one team, or everyone) over all dates.
pub fn team_report(store: &Store, team: Option<&str>) -> Result<TeamReport, StoreError> {
    team_report_in(store, team, &Period::all())
}

/// The table of trainees (of one team, or everyone) over a period, with leaderboard, the most
/// missed concepts and the incidents.
pub fn team_report_in(store: &Store, team: Option<&str>, period: &Period) -> Result<TeamReport, StoreError> {
    let conn = store.conn();
    let f = Filter { trainee: None, team, scenario: None, period };
    let p = || rusqlite::params_from_iter(f.params());
    // Trainees without sessions in the period are listed too (with empty figures). Over all
    // dates the figures are the running totals the database keeps per trainee; over a period
    // they are aggregated from the period's sessions.
    let sql = if period.is_all() {
        "SELECT t.id, t.name, t.team, coalesce(k.sessions, 0), coalesce(k.completed, 0), coalesce(k.passed, 0),
                k.overall_sum / nullif(k.overall_n, 0), k.best, k.last_ended_ms, coalesce(k.incidents, 0),
                coalesce(k.with_incidents, 0), coalesce(k.passed_with_incidents, 0)
         FROM trainees t LEFT JOIN trainee_totals k ON k.trainee_id = t.id
         WHERE (?2 IS NULL OR t.team = ?2) AND ?1 IS NULL AND ?3 IS NULL AND ?4 IS NULL AND ?5 IS NULL
         ORDER BY t.name"
            .to_string()
    } else {
        let in_period = match (period.since_ms.is_some(), period.until_ms.is_some()) {
            (true, false) => "AND s.started_ms >= ?4 AND ?5 IS NULL",
            (false, true) => "AND ?4 IS NULL AND s.started_ms < ?5",
            _ => "AND s.started_ms >= ?4 AND s.started_ms < ?5",
        };
        format!(
            "SELECT t.id, t.name, t.team, count(s.id), count(s.ended_ms), coalesce(sum(s.passed), 0), avg(s.overall),
                    max(s.overall), max(s.ended_ms), coalesce(sum(s.incidents), 0),
                    count(CASE WHEN s.incidents > 0 THEN 1 END), count(CASE WHEN s.passed = 1 AND s.incidents > 0 THEN 1 END)
             FROM trainees t LEFT JOIN sessions s ON s.trainee_id = t.id {in_period}
             WHERE (?2 IS NULL OR t.team = ?2) AND ?1 IS NULL AND ?3 IS NULL
             GROUP BY t.id ORDER BY t.name"
        )
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let base: Vec<(i64, TraineeRow, u32, u32)> = stmt
        .query_map(p(), |r| {
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
                    incidents: r.get(9)?,
                    sessions_with_incidents: r.get(10)?,
                    pass_rate: None,
                    average: r.get::<_, Option<f64>>(6)?.map(round1),
                    best: r.get::<_, Option<f64>>(7)?.map(round1),
                    trend: Trend::default(),
                    weakest_skill: None,
                    last_ms: r.get(8)?,
                },
                passed,
                r.get(11)?,
            ))
        })?
        .collect::<Result<_, _>>()?;

    let mut recent = conn.prepare_cached(
        "SELECT overall FROM sessions WHERE trainee_id = ?1 AND ended_ms IS NOT NULL
             AND (?3 IS NULL OR started_ms >= ?3) AND (?4 IS NULL OR started_ms < ?4)
         ORDER BY ended_ms DESC, id DESC LIMIT ?2",
    )?;
    let mut weakest_all = conn.prepare_cached(
        "SELECT skill, sessions, turns, score_sum / turns FROM skill_stats
         WHERE trainee_id = ?1 AND turns > 0 AND score_sum / turns < 99.95
         ORDER BY score_sum / turns, skill LIMIT 1",
    )?;
    let mut weakest_in = conn.prepare_cached(
        "SELECT k.skill, count(*), sum(k.turns), sum(k.score_sum) / sum(k.turns)
         FROM session_skill_scores k JOIN sessions s ON s.id = k.session_id
         WHERE s.trainee_id = ?1 AND (?2 IS NULL OR s.started_ms >= ?2) AND (?3 IS NULL OR s.started_ms < ?3)
         GROUP BY k.skill HAVING sum(k.turns) > 0 AND sum(k.score_sum) / sum(k.turns) < 99.95 ORDER BY 4, 1 LIMIT 1",
    )?;
    let mut rows = Vec::with_capacity(base.len());
    for (id, mut row, passed, passed_with) in base {
        if row.completed >= 2 {
            let newest: Vec<f32> = recent
                .query_map(params![id, (2 * TREND_WINDOW) as i64, period.since_ms, period.until_ms], |r| {
                    r.get::<_, f64>(0).map(|v| v as f32)
                })?
                .collect::<Result<_, _>>()?;
            row.trend = trend_of(&newest);
        }
        row.pass_rate = (row.completed > 0).then(|| (passed - passed_with.min(passed)) as f32 / row.completed as f32);
        row.weakest_skill = if period.is_all() {
            weakest_all.query_row([id], skill_row).optional()?
        } else {
            weakest_in.query_row(params![id, period.since_ms, period.until_ms], skill_row).optional()?
        };
        rows.push(row);
    }

    let mut board: Vec<&TraineeRow> = rows.iter().filter(|r| r.average.is_some()).collect();
    board.sort_by(|a, b| {
        b.average.partial_cmp(&a.average).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.name.cmp(&b.name))
    });
    let leaderboard = board.into_iter().map(|r| r.name.clone()).collect();

    let missed_concepts = if period.is_all() {
        let mut stmt = conn.prepare_cached(
            "SELECT m.label, sum(m.count) FROM miss_stats m JOIN trainees t ON t.id = m.trainee_id
             WHERE m.skill = '' AND m.kind = 'concept' AND (?1 IS NULL OR t.team = ?1)
             GROUP BY m.label ORDER BY 2 DESC, m.label LIMIT 10",
        )?;
        stmt.query_map([team], |r| Ok(Count { label: r.get(0)?, count: r.get(1)? }))?.collect::<Result<_, _>>()?
    } else {
        missed_in(store, &f, 10)?
    };
    let incident_counts = incident_counts(store, &f)?;
    let mut red_lines: Vec<RedLineCount> = incident_counts
        .iter()
        .filter(|c| c.kind == "red_line")
        .map(|c| RedLineCount { phrase: c.label.clone(), count: c.count, trainees: c.trainees })
        .collect();
    red_lines.sort_by(|a, b| b.count.cmp(&a.count).then(a.phrase.cmp(&b.phrase)));
    Ok(TeamReport {
        team: team.map(str::to_string),
        period: period.clone(),
        rows,
        leaderboard,
        missed_concepts,
        red_lines,
        incidents: incident_list(store, &f)?,
        incident_counts,
    })
}

/// One scenario across a team (or everyone) over a period: who attempted and passed it, best
/// and latest scores, the most missed concepts there and its incidents.
pub fn scenario_report(
    store: &Store,
    scenario_id: &str,
    team: Option<&str>,
    period: &Period,
) -> Result<ScenarioReport, StoreError> {
    let conn = store.conn();
    let f = Filter { trainee: None, team, scenario: Some(scenario_id), period };
    let w = f.where_s();
    let p = || rusqlite::params_from_iter(f.params());
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT tr.name, tr.team, count(*), count(s.ended_ms),
                max(coalesce(s.passed, 0) AND s.incidents = 0),
                max(s.overall),
                (SELECT l.overall FROM sessions l WHERE l.trainee_id = s.trainee_id AND l.scenario_id = s.scenario_id
                   AND l.ended_ms IS NOT NULL AND (?4 IS NULL OR l.started_ms >= ?4) AND (?5 IS NULL OR l.started_ms < ?5)
                 ORDER BY l.ended_ms DESC LIMIT 1),
                sum(s.incidents),
                max(s.scenario_title)
         FROM sessions s JOIN trainees tr ON tr.id = s.trainee_id WHERE {w}
         GROUP BY s.trainee_id ORDER BY tr.name"
    ))?;
    let mut title = String::new();
    let rows: Vec<ScenarioRow> = stmt
        .query_map(p(), |r| {
            Ok((
                ScenarioRow {
                    name: r.get(0)?,
                    team: r.get(1)?,
                    attempts: r.get(2)?,
                    completed: r.get(3)?,
                    passed: r.get::<_, i64>(4)? == 1,
                    best: r.get::<_, Option<f64>>(5)?.map(round1),
                    latest: r.get::<_, Option<f64>>(6)?.map(round1),
                    incidents: r.get(7)?,
                },
                r.get::<_, String>(8)?,
            ))
        })?
        .map(|x| {
            x.map(|(row, t)| {
                if title.is_empty() {
                    title = t;
                }
                row
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(ScenarioReport {
        scenario_id: scenario_id.to_string(),
        title,
        team: team.map(str::to_string),
        period: period.clone(),
        attempted: rows.len() as u32,
        passed: rows.iter().filter(|r| r.passed).count() as u32,
        rows,
        missed_concepts: missed_in(store, &f, 10)?,
        incident_counts: incident_counts(store, &f)?,
        incidents: incident_list(store, &f)?,
    })
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
    /// The session's incidents, the answers' in order then the call's (none from a database
    /// older than version 6 opened read-only).
    pub incidents: Vec<crate::scoring::incidents::Incident>,
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
                incidents: Vec::new(),
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
    let has_incidents: bool =
        conn.query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'incidents'", [], |r| {
            r.get::<_, i64>(0).map(|n| n > 0)
        })?;
    if has_incidents {
        let mut stmt = conn.prepare_cached(
            "SELECT kind, label, quote, turn FROM incidents WHERE session_id = ?1 ORDER BY seq < 0, seq, kind, n",
        )?;
        session.incidents = stmt
            .query_map([id], |r| {
                Ok(crate::scoring::incidents::Incident {
                    kind: r.get(0)?,
                    label: r.get(1)?,
                    quote: r.get(2)?,
                    turn: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
    }
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
