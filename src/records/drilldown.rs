//! From a report down to each session: a trainee's sessions as rows (newest first, without
//! their turns), the Chinese label of an outcome, and the time a session was played.

use rusqlite::params;
use serde::Serialize;

use crate::records::store::{Store, StoreError};

/// One session in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRow {
    pub id: i64,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub scenario_id: String,
    pub scenario_title: String,
    pub overall: Option<f32>,
    pub passed: Option<bool>,
    pub outcome: String,
}

/// A trainee's latest sessions (by start, newest first), at most `limit`.
pub fn session_rows(store: &Store, trainee: &str, limit: usize) -> Result<Vec<SessionRow>, StoreError> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT s.id, s.started_ms, s.ended_ms, s.scenario_id, s.scenario_title, s.overall, s.passed, s.outcome
         FROM sessions s JOIN trainees t ON t.id = s.trainee_id
         WHERE t.name = ?1 ORDER BY s.started_ms DESC, s.id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![trainee, limit as i64], |r| {
        Ok(SessionRow {
            id: r.get(0)?,
            started_ms: r.get(1)?,
            ended_ms: r.get(2)?,
            scenario_id: r.get(3)?,
            scenario_title: r.get(4)?,
            overall: r.get::<_, Option<f64>>(5)?.map(|v| v as f32),
            passed: r.get(6)?,
            outcome: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How a call ended, in Chinese.
pub fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "resolved" => "问题解决",
        "unresolved" => "未解决",
        "customer_hung_up" => "客户挂断",
        "transferred" => "已转接",
        "agent_hung_up" => "坐席挂断",
        _ => "未完成",
    }
}

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM` in Beijing time (UTC+8, no daylight
/// saving), the same on every machine.
pub fn beijing_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000) + 8 * 3600;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = crate::html::charts::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", rest / 3600, rest % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::ops::{Finish, Op, RubricColumns, SessionStart};

    #[test]
    fn beijing_time_of_known_instants() {
        assert_eq!(beijing_time(0), "1970-01-01 08:00");
        // 2024-02-29 15:59:59 UTC is 23:59 in Beijing; a second later it is 1 March.
        assert_eq!(beijing_time(1_709_222_399_000), "2024-02-29 23:59");
        assert_eq!(beijing_time(1_709_222_400_000), "2024-03-01 00:00");
        assert_eq!(beijing_time(1_735_660_800_000), "2025-01-01 00:00");
        assert_eq!(beijing_time(-1), "1970-01-01 07:59");
    }

    #[test]
    fn rows_are_the_trainees_newest_first_and_bounded() {
        let mut store = Store::in_memory().unwrap();
        let mut ops = Vec::new();
        for (i, who) in ["甲", "乙", "甲", "甲"].iter().enumerate() {
            let uuid = format!("u{i}");
            ops.push(Op::Start(SessionStart {
                uuid: uuid.clone(),
                trainee: (*who).into(),
                team: None,
                scenario_id: format!("s{i}"),
                scenario_version: 1,
                scenario_title: format!("场景{i}"),
                content_hash: "h".into(),
                basis_hash: "b".into(),
                skills: Vec::new(),
                app_version: "test".into(),
                seed: 1,
                mode: "practice".into(),
                started_ms: 1000 * i as i64,
            }));
            if i != 3 {
                ops.push(Op::Finish(Finish {
                    uuid,
                    ended_ms: 1000 * i as i64 + 500,
                    outcome: "resolved".into(),
                    overall: 60.0 + i as f32,
                    passed: i == 2,
                    rubrics: RubricColumns::default(),
                    escalation_timing: "on_time".into(),
                    scorecard: "{}".into(),
                    transcript: "[]".into(),
                }));
            }
        }
        store.apply_all(&ops).unwrap();
        let rows = session_rows(&store, "甲", 2).unwrap();
        assert_eq!(rows.iter().map(|r| r.scenario_id.as_str()).collect::<Vec<_>>(), ["s3", "s2"]);
        assert_eq!((rows[0].ended_ms, rows[0].overall, rows[0].passed), (None, None, None));
        assert_eq!((rows[1].overall, rows[1].passed, rows[1].outcome.as_str()), (Some(62.0), Some(true), "resolved"));
        assert_eq!(session_rows(&store, "甲", 10).unwrap().len(), 3);
        assert!(session_rows(&store, "没有这人", 10).unwrap().is_empty());
    }
}
