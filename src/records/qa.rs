//! Real-call QA in the records database (`MIGRATE_V4_TO_V5`): `QaRecorder` saves the calls of a
//! `peilian qa` run (one transaction for the run; a call already saved is replaced, never
//! counted twice), and `real_calls` reads one agent's figures back for `peilian report`, week
//! by week beside the same person's practice sessions.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::Serialize;

use crate::qa::CallSink;
use crate::qa::rules::{Kind, QaRules};
use crate::qa::score::{CallQa, Severity};
use crate::records::store::{Store, StoreError, explain_sql};

/// Weeks shown side by side in the report at most (the latest ones).
pub const WEEKS: usize = 26;
/// Findings listed in the report (most severe, then latest, first).
pub const RECENT_FINDINGS: usize = 10;

/// Saves the calls of one QA run, all in one transaction.
pub struct QaRecorder<'s> {
    tx: Transaction<'s>,
    run_id: i64,
    call_ms: i64,
    skills: BTreeMap<Kind, String>,
    /// Calls saved in this run, and of them the ones not in the database before.
    pub calls: u64,
    pub new_calls: u64,
}

impl<'s> QaRecorder<'s> {
    /// Starts a run: `inputs` are the files read, `call_ms` dates the calls new to the database.
    pub fn begin(
        store: &'s mut Store,
        inputs: &[String],
        agents_from: &str,
        call_ms: i64,
        rules: &QaRules,
    ) -> Result<QaRecorder<'s>, StoreError> {
        let tx = store.write()?;
        tx.execute(
            "INSERT INTO qa_runs (started_ms, inputs, agents_from) VALUES (?1, ?2, ?3)",
            params![crate::records::store::now_ms(), serde_json::to_string(inputs).unwrap_or_default(), agents_from],
        )?;
        let run_id = tx.last_insert_rowid();
        Ok(QaRecorder { tx, run_id, call_ms, skills: rules.skills.clone(), calls: 0, new_calls: 0 })
    }

    fn save_call(&mut self, c: &CallQa) -> rusqlite::Result<()> {
        let tx = &self.tx;
        let existing: Option<i64> = tx
            .prepare_cached("SELECT id FROM qa_calls WHERE agent = ?1 AND dialogue_id = ?2")?
            .query_row(params![c.agent, c.dialogue_id], |r| r.get(0))
            .optional()?;
        let breaches = c.findings.iter().filter(|f| f.severity == Severity::Breach).count() as i64;
        let id = match existing {
            Some(id) => {
                tx.prepare_cached(
                    "UPDATE qa_calls SET run_id = ?2, turns = ?3, manner_sum = ?4, incidents = ?5, breaches = ?6
                     WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    self.run_id,
                    c.turns,
                    c.manner_sum,
                    c.findings.len() as i64,
                    breaches
                ])?;
                tx.prepare_cached("DELETE FROM qa_findings WHERE call_id = ?1")?.execute([id])?;
                id
            }
            None => {
                tx.prepare_cached(
                    "INSERT INTO qa_calls (agent, dialogue_id, run_id, call_ms, turns, manner_sum, incidents, breaches)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    c.agent,
                    c.dialogue_id,
                    self.run_id,
                    self.call_ms,
                    c.turns,
                    c.manner_sum,
                    c.findings.len() as i64,
                    breaches
                ])?;
                self.new_calls += 1;
                tx.last_insert_rowid()
            }
        };
        let mut insert = tx.prepare_cached(
            "INSERT INTO qa_findings (call_id, seq, turn, kind, skill, label, quote, severity)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (seq, f) in c.findings.iter().enumerate() {
            let skill = self.skills.get(&f.kind).map_or("", String::as_str);
            insert.execute(params![id, seq as i64, f.turn, f.kind.key(), skill, f.label, f.quote, f.severity.key()])?;
        }
        self.calls += 1;
        Ok(())
    }

    /// Records the run's counts and commits.
    pub fn finish(self) -> Result<(u64, u64), StoreError> {
        self.tx.execute(
            "UPDATE qa_runs SET calls = ?2, new_calls = ?3 WHERE id = ?1",
            params![self.run_id, self.calls as i64, self.new_calls as i64],
        )?;
        self.tx.commit()?;
        Ok((self.calls, self.new_calls))
    }
}

impl CallSink for QaRecorder<'_> {
    fn save(&mut self, call: &CallQa) -> Result<(), String> {
        self.save_call(call).map_err(|e| explain_sql(&e))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindCount {
    pub kind: String,
    pub label: String,
    pub count: u32,
}

/// A finding as stored, with its call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredFinding {
    pub dialogue_id: String,
    pub call_ms: i64,
    pub turn: u32,
    pub kind: String,
    pub skill: String,
    pub label: String,
    pub quote: String,
    pub severity: Severity,
}

fn finding_row(r: &Row<'_>) -> rusqlite::Result<StoredFinding> {
    Ok(StoredFinding {
        dialogue_id: r.get("dialogue_id")?,
        call_ms: r.get("call_ms")?,
        turn: r.get("turn")?,
        kind: r.get("kind")?,
        skill: r.get("skill")?,
        label: r.get("label")?,
        quote: r.get("quote")?,
        severity: Severity::from_key(&r.get::<_, String>("severity")?),
    })
}

/// One week (from Monday, UTC): practice and real calls side by side.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WeekRow {
    /// The week's Monday, `YYYY-MM-DD`.
    pub week: String,
    pub practice_sessions: u32,
    pub practice_average: Option<f32>,
    /// The practice sessions' tone rubric, the closest to the real calls' manner.
    pub practice_tone: Option<f32>,
    pub real_calls: u32,
    pub real_manner: Option<f32>,
    pub real_incidents_per_100_turns: Option<f32>,
}

/// One agent's real calls as QA saw them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RealCalls {
    pub agent: String,
    pub calls: u32,
    pub turns: u32,
    pub manner: Option<f32>,
    pub incidents: u32,
    pub breaches: u32,
    pub incidents_per_100_turns: Option<f32>,
    /// Most frequent first.
    pub by_kind: Vec<KindCount>,
    /// Most severe, then latest, first.
    pub findings: Vec<StoredFinding>,
    /// Oldest first, at most `WEEKS`.
    pub weeks: Vec<WeekRow>,
}

fn round1(x: f64) -> f32 {
    ((x * 10.0).round() / 10.0) as f32
}

/// True when the database has the QA tables (one opened read-only may predate them).
pub fn has_qa(store: &Store) -> Result<bool, StoreError> {
    Ok(store.conn().query_row(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'qa_calls'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?)
}

/// The real calls of `agent` (who may be a trainee too); `None` when QA has none of theirs.
pub fn real_calls(store: &Store, agent: &str) -> Result<Option<RealCalls>, StoreError> {
    if !has_qa(store)? {
        return Ok(None);
    }
    let conn = store.conn();
    let (calls, turns, manner_sum, incidents, breaches): (u32, Option<i64>, Option<f64>, Option<i64>, Option<i64>) =
        conn.query_row(
            "SELECT count(*), sum(turns), sum(manner_sum), sum(incidents), sum(breaches) FROM qa_calls WHERE agent = ?1",
            [agent],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
    if calls == 0 {
        return Ok(None);
    }
    let turns = turns.unwrap_or(0);
    let incidents = incidents.unwrap_or(0);
    let per_turns = |sum: f64, turns: i64| (turns > 0).then(|| round1(sum / turns as f64));
    let mut stmt = conn.prepare_cached(
        "SELECT f.kind, count(*) FROM qa_findings f JOIN qa_calls c ON c.id = f.call_id WHERE c.agent = ?1
         GROUP BY f.kind ORDER BY 2 DESC, f.kind",
    )?;
    let by_kind = stmt
        .query_map([agent], |r| {
            let kind: String = r.get(0)?;
            let label = Kind::from_key(&kind).map_or_else(|| kind.clone(), |k| k.label().to_string());
            Ok(KindCount { kind, label, count: r.get(1)? })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT c.dialogue_id, c.call_ms, f.turn, f.kind, f.skill, f.label, f.quote, f.severity
         FROM qa_findings f JOIN qa_calls c ON c.id = f.call_id WHERE c.agent = ?1
         ORDER BY CASE f.severity WHEN 'breach' THEN 0 WHEN 'lapse' THEN 1 ELSE 2 END, c.call_ms DESC,
                  c.dialogue_id, f.seq
         LIMIT ?2",
    )?;
    let findings = stmt.query_map(params![agent, RECENT_FINDINGS as i64], finding_row)?.collect::<Result<_, _>>()?;
    Ok(Some(RealCalls {
        agent: agent.to_string(),
        calls,
        turns: turns as u32,
        manner: per_turns(manner_sum.unwrap_or(0.0), turns),
        incidents: incidents as u32,
        breaches: breaches.unwrap_or(0) as u32,
        incidents_per_100_turns: per_turns(100.0 * incidents as f64, turns),
        by_kind,
        findings,
        weeks: weeks(store, agent)?,
    }))
}

/// The SQL for the Monday (UTC) of the week of a time in milliseconds.
const WEEK_OF: &str = "date({ms} / 1000, 'unixepoch', 'weekday 0', '-6 days')";

fn weeks(store: &Store, agent: &str) -> Result<Vec<WeekRow>, StoreError> {
    let conn = store.conn();
    let mut rows: BTreeMap<String, WeekRow> = BTreeMap::new();
    let sql = format!(
        "SELECT {} AS w, count(*), avg(s.overall), avg(s.tone) FROM sessions s JOIN trainees t ON t.id = s.trainee_id
         WHERE t.name = ?1 AND s.ended_ms IS NOT NULL GROUP BY w",
        WEEK_OF.replace("{ms}", "s.ended_ms")
    );
    let mut stmt = conn.prepare(&sql)?;
    let practice = stmt.query_map([agent], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?, r.get::<_, Option<f64>>(2)?, r.get::<_, Option<f64>>(3)?))
    })?;
    for p in practice {
        let (week, n, avg, tone) = p?;
        let row = rows.entry(week.clone()).or_insert_with(|| WeekRow { week, ..WeekRow::default() });
        row.practice_sessions = n;
        row.practice_average = avg.map(round1);
        row.practice_tone = tone.map(round1);
    }
    let sql = format!(
        "SELECT {} AS w, count(*), sum(manner_sum), sum(incidents), sum(turns) FROM qa_calls WHERE agent = ?1 GROUP BY w",
        WEEK_OF.replace("{ms}", "call_ms")
    );
    let mut stmt = conn.prepare(&sql)?;
    let real = stmt.query_map([agent], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?, r.get::<_, f64>(2)?, r.get::<_, i64>(3)?, r.get::<_, i64>(4)?))
    })?;
    for q in real {
        let (week, n, manner, incidents, turns) = q?;
        let row = rows.entry(week.clone()).or_insert_with(|| WeekRow { week, ..WeekRow::default() });
        row.real_calls = n;
        row.real_manner = (turns > 0).then(|| round1(manner / turns as f64));
        row.real_incidents_per_100_turns = (turns > 0).then(|| round1(100.0 * incidents as f64 / turns as f64));
    }
    let mut out: Vec<WeekRow> = rows.into_values().collect();
    if out.len() > WEEKS {
        out.drain(..out.len() - WEEKS);
    }
    Ok(out)
}

/// Milliseconds at 00:00 UTC of a `YYYY-MM-DD` date, or `None` when it is not one.
pub fn date_ms(date: &str) -> Option<i64> {
    let mut parts = date.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > days_in[(m - 1) as usize] {
        return None;
    }
    // Days from 1970-01-01 (the civil-from-days algorithm, inverted).
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400_000)
}

/// HTML for the report's real-call section (escaped), beside the practice page's.
pub fn html_section(r: &RealCalls) -> String {
    let e = crate::html::esc;
    let opt = |v: Option<f32>| v.map_or_else(|| "—".to_string(), |x| format!("{x:.1}"));
    let mut h = String::from("<section class=\"qa\"><h2>真实通话质检</h2>");
    h.push_str(&format!(
        "<p>通话 {} 通 · 评分 {} 轮 · 平均态度 {} · 问题 {} 处（每百轮 {}）· 严重 {} 处</p>",
        r.calls,
        r.turns,
        opt(r.manner),
        r.incidents,
        opt(r.incidents_per_100_turns),
        r.breaches
    ));
    h.push_str("<table><tr><th>周</th><th>练习次数</th><th>练习平均</th><th>练习语气</th><th>真实通话</th><th>真实态度</th><th>每百轮问题</th></tr>");
    for w in &r.weeks {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&w.week),
            w.practice_sessions,
            opt(w.practice_average),
            opt(w.practice_tone),
            w.real_calls,
            opt(w.real_manner),
            opt(w.real_incidents_per_100_turns)
        ));
    }
    h.push_str("</table><ul>");
    for f in &r.findings {
        h.push_str(&format!(
            "<li>[{}] {}：「{}」（对话 {} 第 {} 轮）</li>",
            f.severity.label(),
            e(&f.label),
            e(&f.quote),
            e(&f.dialogue_id),
            f.turn
        ));
    }
    h.push_str("</ul></section>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qa::score::{ActCounts, Finding};

    fn call(agent: &str, id: &str, manner: f64, findings: Vec<Finding>) -> CallQa {
        CallQa {
            agent: agent.into(),
            dialogue_id: id.into(),
            turns: 2,
            empty_turns: 0,
            manner_sum: manner,
            findings,
            acts: ActCounts::default(),
        }
    }

    fn finding(kind: Kind, severity: Severity) -> Finding {
        Finding { turn: 2, kind, label: kind.label().into(), quote: format!("{kind:?} 的原话"), severity }
    }

    fn save(store: &mut Store, ms: i64, calls: &[CallQa]) -> (u64, u64) {
        let mut rec = QaRecorder::begin(store, &["x.jsonl".into()], "test", ms, &QaRules::embedded()).unwrap();
        for c in calls {
            rec.save(c).unwrap();
        }
        rec.finish().unwrap()
    }

    #[test]
    fn a_second_run_on_the_same_export_replaces_and_never_double_counts() {
        let mut store = Store::in_memory().unwrap();
        let monday = date_ms("2026-03-02").unwrap();
        let first = [
            call(
                "张三",
                "d1",
                120.0,
                vec![finding(Kind::Insult, Severity::Breach), finding(Kind::Curt, Severity::Coaching)],
            ),
            call("张三", "d2", 160.0, vec![]),
            call("李四", "d1", 100.0, vec![finding(Kind::AskedTwice, Severity::Coaching)]),
        ];
        assert_eq!(save(&mut store, monday, &first), (3, 3));
        let r = real_calls(&store, "张三").unwrap().unwrap();
        assert_eq!((r.calls, r.turns, r.incidents, r.breaches), (2, 4, 2, 1));
        assert_eq!(r.manner, Some(70.0));
        assert_eq!(r.incidents_per_100_turns, Some(50.0));
        assert_eq!(r.findings[0].kind, "insult", "breaches first");
        assert_eq!(r.findings[0].skill, "compliance");
        // Again, a week later, with the rudeness gone from d1 (e.g. better rules): replaced.
        let later = date_ms("2026-03-09").unwrap();
        let again = [call("张三", "d1", 150.0, vec![]), call("张三", "d3", 180.0, vec![])];
        assert_eq!(save(&mut store, later, &again), (2, 1));
        let r = real_calls(&store, "张三").unwrap().unwrap();
        assert_eq!((r.calls, r.turns, r.incidents, r.breaches), (3, 6, 0, 0));
        assert!(r.findings.is_empty() && r.by_kind.is_empty());
        // d1 keeps its first date: two calls in the first week, one in the second.
        let weeks: Vec<(&str, u32)> = r.weeks.iter().map(|w| (w.week.as_str(), w.real_calls)).collect();
        assert_eq!(weeks, [("2026-03-02", 2), ("2026-03-09", 1)]);
        assert_eq!(r.weeks[0].real_manner, Some(77.5));
        assert!(real_calls(&store, "王五").unwrap().is_none());
        let n: i64 = store.conn().query_row("SELECT count(*) FROM qa_findings", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "only 李四's finding is left");
    }

    #[test]
    fn dates() {
        assert_eq!(date_ms("1970-01-01"), Some(0));
        assert_eq!(date_ms("2026-03-02"), Some(1_772_409_600_000));
        assert_eq!(date_ms("2024-02-29").map(|ms| ms / 86_400_000), Some(19_782));
        for bad in ["2023-02-29", "2026-13-01", "2026-3-2", "昨天", "", "2026-03-02x"] {
            assert_eq!(date_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_real_call_section_escapes_quotes_like_every_page() {
        let r = RealCalls {
            agent: "张三".into(),
            calls: 1,
            turns: 2,
            manner: Some(80.0),
            incidents: 1,
            breaches: 1,
            incidents_per_100_turns: Some(50.0),
            by_kind: Vec::new(),
            findings: vec![StoredFinding {
                dialogue_id: "d'1".into(),
                call_ms: 0,
                turn: 2,
                kind: "insult".into(),
                skill: "tone".into(),
                label: "<b>辱骂</b>".into(),
                quote: "你&我<script>\u{202e}\u{1b}[2J".into(),
                severity: Severity::Breach,
            }],
            weeks: Vec::new(),
        };
        let h = html_section(&r);
        assert!(h.contains("&lt;b&gt;辱骂&lt;/b&gt;：「你&amp;我&lt;script&gt;\\u{202e}\\u{1b}[2J」"), "{h}");
        assert!(h.contains("（对话 d&#39;1 第 2 轮）"), "{h}");
        for raw in ["<b>", "<script", "\u{202e}", "\u{1b}"] {
            assert!(!h.contains(raw), "raw {raw:?}");
        }
    }
}
