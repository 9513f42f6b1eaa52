//! The records database: SQLite with WAL, foreign keys, STRICT tables and `user_version`
//! migrations inside a transaction; one constructor path for files and memory. Every peilian
//! database carries an identity (SQLite's `application_id` and a random id of its own), so a
//! foreign SQLite file is refused and recovery files know which database they belong to.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::diagnostic::display_path;
use crate::records::ops::{Finish, Op, SessionStart, TurnRecord};

/// Schema versions, oldest first; `MIGRATIONS[i]` takes a database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    SCHEMA_V1,
    MIGRATE_V1_TO_V2,
    MIGRATE_V2_TO_V3,
    MIGRATE_V3_TO_V4,
    MIGRATE_V4_TO_V5,
    MIGRATE_V5_TO_V6,
    MIGRATE_V6_TO_V7,
];

/// The first schema (kept so that databases written by it are migrated, and tested).
pub const SCHEMA_V1: &str = r#"
CREATE TABLE trainees (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    team TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    trainee_id INTEGER NOT NULL REFERENCES trainees(id),
    scenario_id TEXT NOT NULL,
    scenario_version INTEGER NOT NULL,
    scenario_title TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    app_version TEXT NOT NULL,
    seed INTEGER NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('practice', 'exam')),
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    outcome TEXT NOT NULL DEFAULT 'in_progress',
    overall REAL,
    passed INTEGER,
    concepts REAL,
    tone REAL,
    escalation REAL,
    no_repeat REAL,
    responsiveness REAL,
    escalation_timing TEXT,
    scorecard TEXT,
    transcript TEXT
) STRICT;
CREATE INDEX sessions_by_trainee ON sessions(trainee_id, started_ms);
CREATE TABLE turns (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    turn INTEGER NOT NULL,
    turn_id TEXT NOT NULL DEFAULT '',
    customer_line TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    latency_ms INTEGER NOT NULL DEFAULT 0,
    overall REAL,
    score TEXT,
    recorded_ms INTEGER NOT NULL,
    UNIQUE (session_id, seq)
) STRICT;
"#;

/// Version 2: skills per session, turns superseded by a rewind, and running totals per trainee
/// (per skill, and per missed concept / red line, overall under skill '' and per skill) so
/// coaching reports stay fast at a million sessions. Backfills the totals from version-1 data.
pub const MIGRATE_V1_TO_V2: &str = r#"
ALTER TABLE turns ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;
CREATE TABLE session_skills (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    skill TEXT NOT NULL,
    PRIMARY KEY (session_id, skill)
) STRICT, WITHOUT ROWID;
CREATE TABLE skill_stats (
    trainee_id INTEGER NOT NULL REFERENCES trainees(id),
    skill TEXT NOT NULL,
    sessions INTEGER NOT NULL,
    score_sum REAL NOT NULL,
    PRIMARY KEY (trainee_id, skill)
) STRICT, WITHOUT ROWID;
CREATE TABLE miss_stats (
    trainee_id INTEGER NOT NULL REFERENCES trainees(id),
    skill TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('concept', 'red_line')),
    label TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (trainee_id, skill, kind, label)
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_by_trainee_end ON sessions(trainee_id, ended_ms, overall, passed);
CREATE INDEX sessions_by_scenario ON sessions(trainee_id, scenario_id, ended_ms);
INSERT INTO miss_stats (trainee_id, skill, kind, label, count)
    SELECT s.trainee_id, '', 'concept', m.value, count(*)
    FROM turns t JOIN sessions s ON s.id = t.session_id, json_each(t.score, '$.missed_labels') m
    WHERE t.score IS NOT NULL AND json_valid(t.score)
    GROUP BY s.trainee_id, m.value;
INSERT INTO miss_stats (trainee_id, skill, kind, label, count)
    SELECT s.trainee_id, '', 'red_line', m.value, count(*)
    FROM turns t JOIN sessions s ON s.id = t.session_id, json_each(t.score, '$.red_lines') m
    WHERE t.score IS NOT NULL AND json_valid(t.score)
    GROUP BY s.trainee_id, m.value;
"#;

/// Version 3: the hash of the lexicons and mood model a session was scored with
/// (`Engine::basis_hash`); empty for sessions recorded before.
pub const MIGRATE_V2_TO_V3: &str = r#"
ALTER TABLE sessions ADD COLUMN basis_hash TEXT NOT NULL DEFAULT '';
"#;

/// Version 4: the database's identity. SQLite's `application_id` header field says "a peilian
/// database" (`APPLICATION_ID`); a random id of its own, in a one-row table, tells one peilian
/// database from another (recovery files are keyed by it).
pub const MIGRATE_V3_TO_V4: &str = r#"
PRAGMA application_id = 1346718028;
CREATE TABLE peilian_identity (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    database_id TEXT NOT NULL CHECK (length(database_id) = 32)
) STRICT;
INSERT INTO peilian_identity (only, database_id) VALUES (1, lower(hex(randomblob(16))));
"#;

/// Version 5: QA of real calls (`peilian qa`, `records::qa`), beside the practice sessions. A
/// call is one agent's part of one exported dialogue, keyed by both: QA of the same export again
/// replaces the call's figures and findings instead of adding them. `agent` is the export's id
/// for the agent, which may equal a trainee's name. `call_ms` dates the call (`--date`, else
/// when it was first QA'd) and is kept on re-runs.
pub const MIGRATE_V4_TO_V5: &str = r#"
CREATE TABLE qa_runs (
    id INTEGER PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    inputs TEXT NOT NULL,
    agents_from TEXT NOT NULL,
    calls INTEGER NOT NULL DEFAULT 0,
    new_calls INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE qa_calls (
    id INTEGER PRIMARY KEY,
    agent TEXT NOT NULL,
    dialogue_id TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES qa_runs(id),
    call_ms INTEGER NOT NULL,
    turns INTEGER NOT NULL CHECK (turns >= 0),
    manner_sum REAL NOT NULL,
    incidents INTEGER NOT NULL,
    breaches INTEGER NOT NULL,
    UNIQUE (agent, dialogue_id)
) STRICT;
CREATE INDEX qa_calls_by_agent ON qa_calls(agent, call_ms);
CREATE TABLE qa_findings (
    call_id INTEGER NOT NULL REFERENCES qa_calls(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    turn INTEGER NOT NULL,
    kind TEXT NOT NULL,
    skill TEXT NOT NULL,
    label TEXT NOT NULL,
    quote TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('breach', 'lapse', 'coaching')),
    PRIMARY KEY (call_id, seq)
) STRICT, WITHOUT ROWID;
"#;

/// Version 6: incidents and skills from turn-level evidence.
///
/// `incidents` lists what must not go unnoticed (conduct and security breaches, red lines,
/// premature or missed transfers, hang-ups), each with the trainee's words, session and turn.
/// The views `incident_turns` (from an answer's stored score) and `incident_calls` (from a
/// finished session's scorecard and turns) are the one definition of them: recording inserts
/// from the views for the turn or session just written, and this migration backfills from them.
/// `session_skill_scores` holds a finished session's figures per skill (the scorecard's
/// `skills`: turns that exercised the skill and the sum of their figures), and `skill_stats`
/// becomes their running total per trainee. Sessions scored before version 6 carry no skill
/// marks, so they count towards no skill.
///
/// So that team figures stay fast at a million sessions, each incident carries its session's
/// start (`started_ms`, for periods and the newest-first list) and each session counts its
/// incidents (`sessions.incidents`, kept by triggers and read from the covering index with the
/// other per-trainee figures).
pub const MIGRATE_V5_TO_V6: &str = r#"
CREATE TABLE incidents (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('security', 'conduct', 'red_line', 'premature_transfer',
        'missed_transfer', 'hang_up')),
    n INTEGER NOT NULL,
    trainee_id INTEGER NOT NULL REFERENCES trainees(id),
    turn INTEGER NOT NULL,
    label TEXT NOT NULL,
    quote TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    PRIMARY KEY (session_id, seq, kind, n)
) STRICT, WITHOUT ROWID;
CREATE INDEX incidents_by_trainee ON incidents(trainee_id, session_id);
CREATE INDEX incidents_by_start ON incidents(started_ms, session_id);
CREATE INDEX incidents_by_label ON incidents(kind, label, trainee_id);
ALTER TABLE sessions ADD COLUMN incidents INTEGER NOT NULL DEFAULT 0;
DROP INDEX sessions_by_trainee_end;
CREATE INDEX sessions_by_trainee_end ON sessions(trainee_id, ended_ms, overall, passed, incidents);
CREATE TRIGGER incidents_counted AFTER INSERT ON incidents BEGIN
    UPDATE sessions SET incidents = incidents + 1 WHERE id = NEW.session_id;
END;
CREATE TRIGGER incidents_uncounted AFTER DELETE ON incidents BEGIN
    UPDATE sessions SET incidents = incidents - 1 WHERE id = OLD.session_id;
END;
CREATE VIEW incident_turns AS
    SELECT t.session_id, t.seq, CASE WHEN c.value ->> 'act' = 'SecurityBreach' THEN 'security' ELSE 'conduct' END
               AS kind, c.key AS n, s.trainee_id, t.turn, coalesce(c.value ->> 'label', '') AS label,
           coalesce(c.value ->> 'quote', '') AS quote, s.started_ms
    FROM turns t JOIN sessions s ON s.id = t.session_id, json_each(t.score, '$.conduct') c
    WHERE t.kind = 'answer' AND t.superseded = 0 AND json_valid(t.score)
    UNION ALL
    SELECT t.session_id, t.seq, 'red_line', r.key, s.trainee_id, t.turn, r.value,
           coalesce((SELECT e.value ->> 'matched' FROM json_each(t.score, '$.evidence') e
                     WHERE e.value ->> 'kind' = 'red_line'
                       AND (SELECT count(*) FROM json_each(t.score, '$.evidence') f
                            WHERE f.value ->> 'kind' = 'red_line' AND f.key < e.key) = r.key), r.value),
           s.started_ms
    FROM turns t JOIN sessions s ON s.id = t.session_id, json_each(t.score, '$.red_lines') r
    WHERE t.kind = 'answer' AND t.superseded = 0 AND json_valid(t.score);
CREATE VIEW incident_calls AS
    WITH card AS (
        SELECT s.id, s.trainee_id, s.started_ms, s.escalation_timing AS timing, s.outcome,
               CASE WHEN json_valid(s.scorecard) THEN s.scorecard END AS j
        FROM sessions s WHERE s.ended_ms IS NOT NULL
    )
    SELECT id AS session_id, -1 AS seq, 'premature_transfer' AS kind, 0 AS n, trainee_id,
           coalesce(j ->> '$.escalation.transfer_turn',
                    (SELECT u.turn FROM turns u WHERE u.session_id = card.id AND u.kind = 'transfer' ORDER BY u.seq LIMIT 1),
                    0) AS turn,
           CASE timing WHEN 'premature' THEN '不该转接（应自行处理，或先完成必需步骤）' ELSE '早于应转接的回合' END AS label,
           coalesce((SELECT u.text FROM turns u WHERE u.session_id = card.id AND u.kind = 'transfer'
                     ORDER BY u.seq LIMIT 1), '') AS quote, started_ms
    FROM card WHERE timing IN ('premature', 'early')
    UNION ALL
    SELECT id, -1, 'missed_transfer', 0, trainee_id, coalesce(j ->> '$.escalation.trigger_turn', 0),
           '出现转接条件后始终没有转接',
           coalesce((SELECT u.text FROM turns u WHERE u.session_id = card.id AND u.kind = 'answer' AND u.superseded = 0
                       AND u.turn = j ->> '$.escalation.trigger_turn' ORDER BY u.seq DESC LIMIT 1), ''),
           started_ms
    FROM card WHERE timing = 'missed'
    UNION ALL
    SELECT id, -1, 'missed_transfer', 1, trainee_id, j ->> '$.escalation.unkept_announcement[0]',
           '告知客户转接，却没有转接', coalesce(j ->> '$.escalation.unkept_announcement[1]', ''), started_ms
    FROM card WHERE j ->> '$.escalation.unkept_announcement[0]' IS NOT NULL
    UNION ALL
    SELECT id, -1, 'hang_up', 0, trainee_id,
           coalesce((SELECT u.turn FROM turns u WHERE u.session_id = card.id AND u.kind = 'answer' AND u.superseded = 0
                     ORDER BY u.seq DESC LIMIT 1), 0),
           CASE outcome WHEN 'customer_hung_up' THEN '客户愤而挂断' ELSE '坐席在问题解决前挂断' END,
           coalesce((SELECT u.text FROM turns u WHERE u.session_id = card.id AND u.kind = 'answer' AND u.superseded = 0
                     ORDER BY u.seq DESC LIMIT 1), ''), started_ms
    FROM card WHERE outcome IN ('customer_hung_up', 'agent_hung_up');
INSERT OR IGNORE INTO incidents (session_id, seq, kind, n, trainee_id, turn, label, quote, started_ms)
    SELECT session_id, seq, kind, n, trainee_id, turn, label, quote, started_ms FROM incident_turns;
INSERT OR IGNORE INTO incidents (session_id, seq, kind, n, trainee_id, turn, label, quote, started_ms)
    SELECT session_id, seq, kind, n, trainee_id, turn, label, quote, started_ms FROM incident_calls;
CREATE TABLE session_skill_scores (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    skill TEXT NOT NULL,
    turns INTEGER NOT NULL,
    score_sum REAL NOT NULL,
    PRIMARY KEY (session_id, skill)
) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO session_skill_scores (session_id, skill, turns, score_sum)
    SELECT s.id, k.value ->> 'skill', k.value ->> 'turns', k.value ->> 'score_sum'
    FROM sessions s, json_each(s.scorecard, '$.skills') k
    WHERE s.ended_ms IS NOT NULL AND json_valid(s.scorecard) AND k.value ->> 'turns' > 0;
DROP TABLE skill_stats;
CREATE TABLE skill_stats (
    trainee_id INTEGER NOT NULL REFERENCES trainees(id),
    skill TEXT NOT NULL,
    sessions INTEGER NOT NULL,
    turns INTEGER NOT NULL,
    score_sum REAL NOT NULL,
    PRIMARY KEY (trainee_id, skill)
) STRICT, WITHOUT ROWID;
INSERT INTO skill_stats (trainee_id, skill, sessions, turns, score_sum)
    SELECT s.trainee_id, k.skill, count(*), sum(k.turns), sum(k.score_sum)
    FROM session_skill_scores k JOIN sessions s ON s.id = k.session_id GROUP BY s.trainee_id, k.skill;
CREATE INDEX sessions_by_scenario_id ON sessions(scenario_id, trainee_id, ended_ms);
"#;

/// Version 7: running totals of each trainee's sessions (`trainee_totals`), kept by triggers on
/// `sessions` whatever writes it, so the team table reads one row per trainee instead of
/// aggregating every session. A total that cannot be taken back by subtraction (the best
/// figure, the last end) is read again from the trainee's sessions when the session that held it
/// changes.
pub const MIGRATE_V6_TO_V7: &str = r#"
CREATE TABLE trainee_totals (
    trainee_id INTEGER PRIMARY KEY REFERENCES trainees(id),
    sessions INTEGER NOT NULL,
    completed INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    overall_sum REAL NOT NULL,
    overall_n INTEGER NOT NULL,
    best REAL,
    last_ended_ms INTEGER,
    incidents INTEGER NOT NULL,
    with_incidents INTEGER NOT NULL,
    passed_with_incidents INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO trainee_totals
    SELECT trainee_id, count(*), count(ended_ms), coalesce(sum(passed), 0), coalesce(sum(overall), 0), count(overall),
           max(overall), max(ended_ms), sum(incidents), count(CASE WHEN incidents > 0 THEN 1 END),
           count(CASE WHEN passed = 1 AND incidents > 0 THEN 1 END)
    FROM sessions GROUP BY trainee_id;
-- One session counted into (sign 1) or out of (sign -1) its trainee's totals: the one place
-- that says how a session counts. A best figure or last end counted out is read again from the
-- trainee's sessions when `recheck_best` / `recheck_last` says it may have gone.
CREATE VIEW trainee_totals_change (trainee_id, sign, ended_ms, passed, overall, incidents, recheck_best, recheck_last)
    AS SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;
CREATE TRIGGER trainee_totals_changed INSTEAD OF INSERT ON trainee_totals_change BEGIN
    INSERT INTO trainee_totals VALUES (NEW.trainee_id, NEW.sign, NEW.sign * (NEW.ended_ms IS NOT NULL),
        NEW.sign * coalesce(NEW.passed, 0), NEW.sign * coalesce(NEW.overall, 0.0), NEW.sign * (NEW.overall IS NOT NULL),
        CASE WHEN NEW.sign > 0 THEN NEW.overall END, CASE WHEN NEW.sign > 0 THEN NEW.ended_ms END,
        NEW.sign * NEW.incidents, NEW.sign * (NEW.incidents > 0),
        NEW.sign * coalesce(NEW.passed = 1 AND NEW.incidents > 0, 0))
    ON CONFLICT (trainee_id) DO UPDATE SET sessions = sessions + excluded.sessions,
        completed = completed + excluded.completed, passed = passed + excluded.passed,
        overall_sum = overall_sum + excluded.overall_sum, overall_n = overall_n + excluded.overall_n,
        best = CASE WHEN best IS NULL OR excluded.best > best THEN excluded.best
                    WHEN NEW.recheck_best AND NEW.overall >= best
                    THEN (SELECT max(overall) FROM sessions WHERE trainee_id = NEW.trainee_id)
                    ELSE best END,
        last_ended_ms = CASE WHEN last_ended_ms IS NULL OR excluded.last_ended_ms > last_ended_ms
                             THEN excluded.last_ended_ms
                             WHEN NEW.recheck_last AND NEW.ended_ms >= last_ended_ms
                             THEN (SELECT max(ended_ms) FROM sessions WHERE trainee_id = NEW.trainee_id)
                             ELSE last_ended_ms END,
        incidents = incidents + excluded.incidents, with_incidents = with_incidents + excluded.with_incidents,
        passed_with_incidents = passed_with_incidents + excluded.passed_with_incidents;
END;
CREATE TRIGGER sessions_totalled AFTER INSERT ON sessions BEGIN
    INSERT INTO trainee_totals_change
        VALUES (NEW.trainee_id, 1, NEW.ended_ms, NEW.passed, NEW.overall, NEW.incidents, 0, 0);
END;
CREATE TRIGGER sessions_untotalled AFTER DELETE ON sessions BEGIN
    INSERT INTO trainee_totals_change
        VALUES (OLD.trainee_id, -1, OLD.ended_ms, OLD.passed, OLD.overall, OLD.incidents, 1, 1);
END;
CREATE TRIGGER sessions_retotalled AFTER UPDATE OF trainee_id, ended_ms, overall, passed, incidents ON sessions BEGIN
    INSERT INTO trainee_totals_change
        VALUES (OLD.trainee_id, -1, OLD.ended_ms, OLD.passed, OLD.overall, OLD.incidents,
                OLD.overall IS NOT NEW.overall OR OLD.trainee_id IS NOT NEW.trainee_id,
                OLD.ended_ms IS NOT NEW.ended_ms OR OLD.trainee_id IS NOT NEW.trainee_id);
    INSERT INTO trainee_totals_change
        VALUES (NEW.trainee_id, 1, NEW.ended_ms, NEW.passed, NEW.overall, NEW.incidents, 0, 0);
END;
"#;

/// `PRAGMA application_id` of every peilian database: "PEIL" in ASCII.
pub const APPLICATION_ID: i32 = 0x5045_494C;

/// The schema versions written before databases had an identity (`MIGRATE_V3_TO_V4`): such a
/// file is recognised by its tables.
const LAST_VERSION_WITHOUT_IDENTITY: i64 = 3;

/// Current schema version.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a writer waits for another process to finish before giving up (reports, imports,
/// tools). The recorder waits less (`Recorder`), once.
pub const BUSY_WAIT: Duration = Duration::from_secs(15);

/// Which database this is: peilian's `application_id` and the database's own random id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub application_id: i32,
    /// 32 lowercase hex digits.
    pub database_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("无法打开数据库 {}：{reason}", display_path(.path))]
    Open { path: PathBuf, reason: String },
    #[error("数据库文件 {} 已损坏，或不是 peilian 的数据库", display_path(.path))]
    Corrupt { path: PathBuf },
    #[error("数据库 {} 不可写（只读文件或目录）", display_path(.path))]
    ReadOnly { path: PathBuf },
    #[error("磁盘已满，无法写入数据库 {}", display_path(.path))]
    DiskFull { path: PathBuf },
    #[error("数据库 {} 长时间被其他程序占用", display_path(.path))]
    Locked { path: PathBuf },
    #[error("数据库 {} 的版本 {found} 比本程序支持的 {supported} 新", display_path(.path))]
    TooNew { path: PathBuf, found: i64, supported: i64 },
    #[error("文件 {} 不是 peilian 的数据库：{why}", display_path(.path))]
    Foreign { path: PathBuf, why: String },
    #[error("数据库出错：{0}")]
    Sql(#[from] rusqlite::Error),
    #[error("找不到记录：{0}")]
    NotFound(String),
}

impl StoreError {
    /// What the user can do about it, in Chinese.
    pub fn hint(&self) -> &'static str {
        match self {
            StoreError::Open { .. } => "检查路径和目录权限；可用 --db 或 PEILIAN_DB 指定其他位置",
            StoreError::Corrupt { .. } => {
                "把这个文件改名备份后重新开始，或用 --db 指定其他数据库；本次成绩会先写入恢复文件"
            }
            StoreError::ReadOnly { .. } => "检查文件和目录的写权限，或用 --db 指定可写的位置；本次成绩会先写入恢复文件",
            StoreError::DiskFull { .. } => "清理磁盘空间；本次成绩会先保存在内存和恢复文件中",
            StoreError::Locked { .. } => "稍后再试；本次成绩会先写入恢复文件，下次启动时自动导入",
            StoreError::TooNew { .. } => "请升级 peilian，或用 --db 指定其他数据库",
            StoreError::Foreign { .. } => {
                "peilian 不会改动其他程序的文件；请用 --db 指定 peilian 的数据库，或一个还不存在的新文件"
            }
            StoreError::Sql(_) | StoreError::NotFound(_) => "",
        }
    }

    fn classify(e: rusqlite::Error, path: &Path) -> StoreError {
        let path = path.to_path_buf();
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt { path },
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path },
            Some(ErrorCode::DiskFull) => StoreError::DiskFull { path },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked { path },
            Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                StoreError::Open { path, reason: explain_sql(&e) }
            }
            _ => StoreError::Sql(e),
        }
    }
}

/// An SQLite error in Chinese, with SQLite's extended code (its own text is English).
pub fn explain_sql(e: &rusqlite::Error) -> String {
    let what = match e.sqlite_error_code() {
        Some(ErrorCode::CannotOpen) => "无法打开文件（目录不存在、没有权限或文件系统只读）",
        Some(ErrorCode::PermissionDenied) => "没有权限",
        Some(ErrorCode::ConstraintViolation) => "记录与数据库里已有的记录冲突",
        Some(ErrorCode::ReadOnly) => "数据库只读",
        Some(ErrorCode::DiskFull) => "磁盘已满",
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => "被其他程序占用",
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => "文件已损坏",
        Some(_) => "数据库出错",
        None => "数据库出错",
    };
    match e {
        rusqlite::Error::SqliteFailure(f, _) => format!("{what}（SQLite 错误 {}）", f.extended_code),
        _ => what.to_string(),
    }
}

/// The records database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Opened with SQLite's `immutable` flag (a WAL database in a read-only folder).
    immutable: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// What a file holds, read before anything is written to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// Empty or new: peilian's tables can be created.
    Fresh,
    /// A peilian database (by its identity, or by its tables for versions before it).
    Peilian(i64),
}

/// Reads the header fields and table names of the file and says whether it is peilian's. A
/// corrupt file fails here, before anything is written to it.
fn inspect(conn: &Connection, path: &Path) -> Result<Found, StoreError> {
    let classify = |e| StoreError::classify(e, path);
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(classify)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(classify)?;
    let tables: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .map_err(classify)?;
        stmt.query_map([], |r| r.get(0)).map_err(classify)?.collect::<Result<_, _>>().map_err(classify)?
    };
    let foreign = |why: String| Err(StoreError::Foreign { path: path.to_path_buf(), why });
    if app == APPLICATION_ID {
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path: path.to_path_buf(), found: version, supported: SCHEMA_VERSION });
        }
        return Ok(Found::Peilian(version));
    }
    if app != 0 {
        return foreign(format!("它属于另一个程序（application_id = {app:#x}）"));
    }
    let has = |t: &str| tables.iter().any(|x| x == t);
    if (1..=LAST_VERSION_WITHOUT_IDENTITY).contains(&version) && has("trainees") && has("sessions") && has("turns") {
        return Ok(Found::Peilian(version));
    }
    if version == 0 && tables.is_empty() {
        return Ok(Found::Fresh);
    }
    if tables.is_empty() {
        return foreign(format!("它没有 peilian 的标识（user_version = {version}，没有 application_id）"));
    }
    let mut names: Vec<String> = tables.iter().take(5).map(|t| format!("“{}”", t.escape_debug())).collect();
    if tables.len() > 5 {
        names.push(format!("等 {} 张", tables.len()));
    }
    foreign(format!("它有其他表（{}），没有 peilian 的标识", names.join("、")))
}

/// A `file:` URI for `path` with `immutable=1`: every byte outside the unreserved set is
/// percent-encoded, so `?`, `#`, `%` and non-UTF-8 names survive.
fn immutable_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for &b in absolute.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

impl Store {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_waiting(path, BUSY_WAIT)
    }

    /// As `open`, waiting at most `busy` for another writer (0: fail at once).
    pub fn open_waiting(path: &Path, busy: Duration) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                reason: if e.kind() == std::io::ErrorKind::AlreadyExists {
                    format!("{} 已存在，但不是目录", display_path(dir))
                } else {
                    format!("无法创建目录 {}：{}", display_path(dir), crate::records::recovery::explain_io(&e))
                },
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::classify(e, path))?;
        Store::with_connection(conn, path.to_path_buf(), busy)
    }

    /// Opens an existing database for reading only: nothing is created, migrated or written
    /// (reports on a shared or read-only copy, a read-only folder or mount). A database older
    /// than this program is read as it is; one newer is refused, as is a file that is not a
    /// peilian database. A WAL database in a folder where SQLite cannot create its `-shm` file
    /// is opened `immutable` (see `immutable_note`).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Open { path: path.to_path_buf(), reason: "文件不存在".into() });
        }
        match Store::open_read_only_as(path, false) {
            Err(StoreError::ReadOnly { .. } | StoreError::Open { .. }) => Store::open_read_only_as(path, true),
            other => other,
        }
    }

    fn open_read_only_as(path: &Path, immutable: bool) -> Result<Store, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = if immutable {
            Connection::open_with_flags(immutable_uri(path), flags | OpenFlags::SQLITE_OPEN_URI)
        } else {
            Connection::open_with_flags(path, flags)
        }
        .map_err(|e| StoreError::classify(e, path))?;
        conn.busy_timeout(BUSY_WAIT).map_err(|e| StoreError::classify(e, path))?;
        match inspect(&conn, path)? {
            Found::Fresh => Err(StoreError::Foreign {
                path: path.to_path_buf(),
                why: "它是空的，还没有任何记录".into(),
            }),
            Found::Peilian(_) => Ok(Store { conn, path: path.to_path_buf(), immutable }),
        }
    }

    /// A private database in memory (tests, `--no-record` dry runs).
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::with_connection(Connection::open_in_memory()?, PathBuf::from(":memory:"), BUSY_WAIT)
    }

    /// The one constructor path: identity check, settings, then migrations.
    fn with_connection(conn: Connection, path: PathBuf, busy: Duration) -> Result<Store, StoreError> {
        let classify = |e| StoreError::classify(e, &path);
        conn.busy_timeout(busy).map_err(classify)?;
        // The first statements that read the file: a corrupt or foreign file fails here,
        // before it is switched to WAL or given tables.
        inspect(&conn, &path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(classify)?;
        if path != Path::new(":memory:") && !mode.eq_ignore_ascii_case("wal") {
            // A read-only file cannot switch to WAL.
            return Err(StoreError::ReadOnly { path });
        }
        conn.pragma_update(None, "foreign_keys", true).map_err(classify)?;
        // FULL: a committed turn survives a crash of the machine, not only of the process.
        conn.pragma_update(None, "synchronous", "FULL").map_err(classify)?;
        let mut store = Store { conn, path, immutable: false };
        if !store.is_read_only() {
            store.migrate()?;
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long a write waits for another writer from now on (0: fail at once with `Locked`).
    pub fn set_busy_timeout(&self, wait: Duration) -> Result<(), StoreError> {
        self.conn.busy_timeout(wait).map_err(|e| StoreError::classify(e, &self.path))
    }

    /// True when SQLite opened the file read-only (a read-only share, an immutable file): it
    /// does so without an error, and the records can still be read for reports.
    pub fn is_read_only(&self) -> bool {
        self.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false)
    }

    /// When the database had to be opened `immutable` and a `-wal` file with content lies
    /// beside it, the latest records (in that file) may be missing: a note saying so.
    pub fn immutable_note(&self) -> Option<String> {
        let mut wal = self.path.as_os_str().to_owned();
        wal.push("-wal");
        let pending = std::fs::metadata(PathBuf::from(wal)).is_ok_and(|m| m.len() > 0);
        (self.immutable && pending).then(|| {
            format!(
                "数据库 {} 所在目录只读，旁边的 -wal 文件里最近的记录无法读出；在可写的位置打开一次即可合并",
                display_path(&self.path)
            )
        })
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// The database's identity; `None` for a database written before identities (opened
    /// read-only, so not migrated).
    pub fn identity(&self) -> Result<Option<Identity>, StoreError> {
        let app: i32 = self.conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        if app != APPLICATION_ID {
            return Ok(None);
        }
        let id: Option<String> = self
            .conn
            .query_row("SELECT database_id FROM peilian_identity WHERE only = 1", [], |r| r.get(0))
            .optional()
            .map_err(|e| StoreError::classify(e, &self.path))?;
        Ok(id.map(|database_id| Identity { application_id: app, database_id }))
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        // Up to date: no write lock needed (opening a database another program holds locked
        // must not wait).
        if self.schema_version().map_err(|e| match e {
            StoreError::Sql(e) => StoreError::classify(e, &path),
            e => e,
        })? == SCHEMA_VERSION
        {
            return Ok(());
        }
        let tx = self.write()?;
        let version: i64 =
            tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| StoreError::classify(e, &path))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path, found: version, supported: SCHEMA_VERSION });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql).map_err(|e| StoreError::classify(e, &path))?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        tx.commit().map_err(|e| StoreError::classify(e, &path))?;
        Ok(())
    }

    /// A write transaction taken up front (`BEGIN IMMEDIATE`), so that two writers queue on the
    /// busy timeout instead of failing with "database is locked" half-way through.
    pub(crate) fn write(&mut self) -> Result<Transaction<'_>, StoreError> {
        let path = self.path.clone();
        self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| StoreError::classify(e, &path))
    }

    /// Applies one record operation in its own transaction. Operations are idempotent: applying
    /// one twice (e.g. from a recovery file) changes nothing.
    pub fn apply(&mut self, op: &Op) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.write()?;
        apply_in(&tx, op).map_err(|e| StoreError::classify(e, &path))?;
        tx.commit().map_err(|e| StoreError::classify(e, &path))
    }

    /// Applies many operations in one transaction (imports, bench fills).
    pub fn apply_all<'a>(&mut self, ops: impl IntoIterator<Item = &'a Op>) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self.write()?;
        for op in ops {
            apply_in(&tx, op).map_err(|e| StoreError::classify(e, &path))?;
        }
        tx.commit().map_err(|e| StoreError::classify(e, &path))
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The trainee's id, creating the trainee (and setting the team when given).
    pub fn trainee_id(&mut self, name: &str, team: Option<&str>) -> Result<i64, StoreError> {
        let tx = self.write()?;
        let id = ensure_trainee(&tx, name, team, now_ms())?;
        tx.commit()?;
        Ok(id)
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn ensure_trainee(tx: &Transaction<'_>, name: &str, team: Option<&str>, at_ms: i64) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO trainees (name, team, created_ms) VALUES (?1, coalesce(?2, ''), ?3) ON CONFLICT(name) DO NOTHING",
        params![name, team, at_ms],
    )?;
    if let Some(team) = team {
        tx.execute("UPDATE trainees SET team = ?2 WHERE name = ?1 AND team <> ?2", params![name, team])?;
    }
    tx.query_row("SELECT id FROM trainees WHERE name = ?1", [name], |r| r.get(0))
}

fn session_row(tx: &Transaction<'_>, uuid: &str) -> rusqlite::Result<Option<(i64, i64)>> {
    tx.query_row("SELECT id, trainee_id FROM sessions WHERE uuid = ?1", [uuid], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

fn apply_in(tx: &Transaction<'_>, op: &Op) -> rusqlite::Result<()> {
    match op {
        Op::Start(s) => start(tx, s),
        Op::Turn(t) => turn(tx, t),
        Op::Finish(f) => finish(tx, f),
    }
}

fn start(tx: &Transaction<'_>, s: &SessionStart) -> rusqlite::Result<()> {
    if session_row(tx, &s.uuid)?.is_some() {
        return Ok(());
    }
    let trainee = ensure_trainee(tx, &s.trainee, s.team.as_deref(), s.started_ms)?;
    tx.execute(
        "INSERT INTO sessions (uuid, trainee_id, scenario_id, scenario_version, scenario_title, content_hash,
             app_version, seed, mode, started_ms, basis_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            s.uuid,
            trainee,
            s.scenario_id,
            s.scenario_version,
            s.scenario_title,
            s.content_hash,
            s.app_version,
            s.seed as i64,
            s.mode,
            s.started_ms,
            s.basis_hash
        ],
    )?;
    let session = tx.last_insert_rowid();
    let mut stmt = tx.prepare_cached("INSERT OR IGNORE INTO session_skills (session_id, skill) VALUES (?1, ?2)")?;
    for skill in &s.skills {
        stmt.execute(params![session, skill])?;
    }
    Ok(())
}

fn turn(tx: &Transaction<'_>, t: &TurnRecord) -> rusqlite::Result<()> {
    let Some((session, trainee)) = session_row(tx, &t.uuid)? else {
        return Err(rusqlite::Error::QueryReturnedNoRows);
    };
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO turns (session_id, seq, kind, turn, turn_id, customer_line, text, latency_ms, overall,
             score, recorded_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            session,
            t.seq,
            t.kind,
            t.turn,
            t.turn_id,
            t.customer_line,
            t.text,
            // Never negative: a latency past i64::MAX ms (refused earlier anyway) is capped.
            i64::try_from(t.latency_ms).unwrap_or(i64::MAX),
            t.overall,
            t.score,
            t.recorded_ms
        ],
    )?;
    if inserted == 0 {
        return Ok(());
    }
    if t.kind == "rewind" {
        // Answers from the turn rewound to onwards are superseded (kept as attempts), and so are
        // their incidents.
        tx.execute(
            "UPDATE turns SET superseded = 1 WHERE session_id = ?1 AND seq < ?2 AND turn >= ?3 AND kind <> 'rewind'",
            params![session, t.seq, t.turn],
        )?;
        tx.execute(
            "DELETE FROM incidents WHERE session_id = ?1 AND seq IN (SELECT seq FROM turns WHERE session_id = ?1 AND superseded = 1)",
            [session],
        )?;
    }
    if t.kind == "answer" {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO incidents (session_id, seq, kind, n, trainee_id, turn, label, quote, started_ms)
             SELECT session_id, seq, kind, n, trainee_id, turn, label, quote, started_ms FROM incident_turns
             WHERE session_id = ?1 AND seq = ?2",
        )?
        .execute(params![session, t.seq])?;
    }
    // Counted overall (skill '') and under each skill the scenario trains.
    let mut skills: Vec<String> = vec![String::new()];
    let mut q = tx.prepare_cached("SELECT skill FROM session_skills WHERE session_id = ?1")?;
    skills.extend(q.query_map([session], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?);
    let mut stmt = tx.prepare_cached(
        "INSERT INTO miss_stats (trainee_id, skill, kind, label, count) VALUES (?1, ?2, ?3, ?4, 1)
         ON CONFLICT(trainee_id, skill, kind, label) DO UPDATE SET count = count + 1",
    )?;
    for skill in &skills {
        for label in &t.missed_labels {
            stmt.execute(params![trainee, skill, "concept", label])?;
        }
        for phrase in &t.red_lines {
            stmt.execute(params![trainee, skill, "red_line", phrase])?;
        }
    }
    Ok(())
}

fn finish(tx: &Transaction<'_>, f: &Finish) -> rusqlite::Result<()> {
    let Some((session, trainee)) = session_row(tx, &f.uuid)? else {
        return Err(rusqlite::Error::QueryReturnedNoRows);
    };
    let updated = tx.execute(
        "UPDATE sessions SET ended_ms = ?2, outcome = ?3, overall = ?4, passed = ?5, concepts = ?6, tone = ?7,
             escalation = ?8, no_repeat = ?9, responsiveness = ?10, escalation_timing = ?11, scorecard = ?12,
             transcript = ?13
         WHERE id = ?1 AND ended_ms IS NULL",
        params![
            session,
            f.ended_ms,
            f.outcome,
            f.overall,
            f.passed,
            f.rubrics.concepts,
            f.rubrics.tone,
            f.rubrics.escalation,
            f.rubrics.no_repeat,
            f.rubrics.responsiveness,
            f.escalation_timing,
            f.scorecard,
            f.transcript
        ],
    )?;
    if updated == 0 {
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT OR IGNORE INTO incidents (session_id, seq, kind, n, trainee_id, turn, label, quote, started_ms)
         SELECT session_id, seq, kind, n, trainee_id, turn, label, quote, started_ms FROM incident_calls WHERE session_id = ?1",
    )?
    .execute([session])?;
    // The scorecard's figures per skill (none in scorecards from before version 6).
    tx.prepare_cached(
        "INSERT OR IGNORE INTO session_skill_scores (session_id, skill, turns, score_sum)
         SELECT ?1, k.value ->> 'skill', k.value ->> 'turns', k.value ->> 'score_sum'
         FROM json_each(CASE WHEN json_valid(?2) THEN ?2 ELSE '{}' END, '$.skills') k WHERE k.value ->> 'turns' > 0",
    )?
    .execute(params![session, f.scorecard])?;
    tx.prepare_cached(
        "INSERT INTO skill_stats (trainee_id, skill, sessions, turns, score_sum)
             SELECT ?1, skill, 1, turns, score_sum FROM session_skill_scores WHERE session_id = ?2
         ON CONFLICT(trainee_id, skill) DO UPDATE SET sessions = sessions + 1, turns = turns + excluded.turns,
             score_sum = score_sum + excluded.score_sum",
    )?
    .execute(params![trainee, session])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(uuid: &str) -> Op {
        Op::Start(SessionStart {
            uuid: uuid.into(),
            trainee: "小测".into(),
            team: None,
            scenario_id: "a".into(),
            scenario_version: 1,
            scenario_title: "A".into(),
            content_hash: "h".into(),
            basis_hash: "b".into(),
            skills: vec![],
            app_version: "test".into(),
            seed: 0,
            mode: "practice".into(),
            started_ms: 0,
        })
    }

    fn answer(uuid: &str, seq: u32, turn: u32, quote: &str) -> Op {
        let score = format!(
            r#"{{"conduct":[{{"act":"Sarcasm","label":"讽刺客户","quote":"{quote}"}}],"red_lines":["不归我管"],
                "evidence":[{{"kind":"hit","matched":"x"}},{{"kind":"red_line","matched":"不归我管"}}]}}"#
        );
        Op::Turn(TurnRecord {
            uuid: uuid.into(),
            seq,
            kind: "answer".into(),
            turn,
            turn_id: "t".into(),
            customer_line: String::new(),
            text: quote.into(),
            latency_ms: 0,
            overall: Some(5.0),
            score: Some(score),
            missed_labels: vec![],
            red_lines: vec!["不归我管".into()],
            recorded_ms: 0,
        })
    }

    fn incidents(store: &Store) -> Vec<(u32, String, String)> {
        let mut stmt = store.conn().prepare("SELECT seq, kind, quote FROM incidents ORDER BY seq, kind").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn a_rewound_answer_loses_its_incidents_and_repeats_add_none() {
        let mut store = Store::in_memory().unwrap();
        let rewind = Op::Turn(TurnRecord {
            kind: "rewind".into(),
            seq: 1,
            turn: 1,
            score: None,
            red_lines: vec![],
            overall: None,
            ..match answer("u", 0, 1, "") {
                Op::Turn(t) => t,
                _ => unreachable!(),
            }
        });
        let ops = [start("u"), answer("u", 0, 1, "您可真行"), rewind, answer("u", 2, 1, "呵呵")];
        let counted = |store: &Store| -> i64 {
            store.conn().query_row("SELECT incidents FROM sessions WHERE uuid = 'u'", [], |r| r.get(0)).unwrap()
        };
        store.apply_all(&ops[..2]).unwrap();
        let before = incidents(&store);
        assert_eq!(before, vec![(0, "conduct".into(), "您可真行".into()), (0, "red_line".into(), "不归我管".into())]);
        assert_eq!(counted(&store), 2);
        store.apply_all(&ops[..3]).unwrap();
        assert_eq!(counted(&store), 0, "the rewind took the session's incidents away");
        store.apply_all(&ops).unwrap();
        store.apply_all(&ops).unwrap();
        // The rewound answer's incidents are gone; the new answer's are there, once.
        assert_eq!(
            incidents(&store),
            vec![(2, "conduct".into(), "呵呵".into()), (2, "red_line".into(), "不归我管".into())]
        );
        assert_eq!(counted(&store), 2, "the session counts its incidents as they are");
    }

    /// The per-trainee running totals, and the same figures aggregated from the sessions.
    fn totals_and_aggregate(store: &Store) -> (Vec<String>, Vec<String>) {
        let rows = |sql: &str| -> Vec<String> {
            let mut stmt = store.conn().prepare(sql).unwrap();
            stmt.query_map([], |r| {
                (0..11).map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}"))).collect()
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect::<Vec<Vec<String>>>()
            .into_iter()
            .map(|v| v.join(" "))
            .collect()
        };
        (
            rows("SELECT trainee_id, sessions, completed, passed, overall_sum, overall_n, best, last_ended_ms, incidents,
                         with_incidents, passed_with_incidents FROM trainee_totals WHERE sessions > 0 ORDER BY 1"),
            rows("SELECT trainee_id, count(*), count(ended_ms), coalesce(sum(passed), 0), coalesce(sum(overall), 0.0),
                         count(overall), max(overall), max(ended_ms), sum(incidents),
                         count(CASE WHEN incidents > 0 THEN 1 END),
                         count(CASE WHEN passed = 1 AND incidents > 0 THEN 1 END)
                  FROM sessions GROUP BY trainee_id ORDER BY 1"),
        )
    }

    #[test]
    fn trainee_totals_follow_every_change_to_the_sessions() {
        let mut store = Store::in_memory().unwrap();
        let finish = |uuid: &str, overall: f32, passed: bool, ended_ms: i64| {
            Op::Finish(Finish {
                uuid: uuid.into(),
                ended_ms,
                outcome: "resolved".into(),
                overall,
                passed,
                rubrics: Default::default(),
                escalation_timing: "not_needed".into(),
                scorecard: "{}".into(),
                transcript: "[]".into(),
            })
        };
        let second_trainee = |uuid: &str| match start(uuid) {
            Op::Start(s) => Op::Start(SessionStart { trainee: "小二".into(), ..s }),
            _ => unreachable!(),
        };
        let ops = [
            start("a"),
            answer("a", 0, 1, "呵呵"),
            finish("a", 40.0, true, 10),
            start("b"),
            finish("b", 90.0, true, 20),
            start("c"),
            second_trainee("d"),
            finish("d", 70.0, false, 5),
        ];
        store.apply_all(&ops).unwrap();
        let (totals, aggregate) = totals_and_aggregate(&store);
        assert_eq!(totals.len(), 2, "{totals:?}");
        assert_eq!(totals, aggregate);
        // A finished session again is no change; changes made to the table by hand are followed,
        // the best figure and the last end included when the session that held them goes.
        store.apply_all(&ops).unwrap();
        assert_eq!(totals_and_aggregate(&store).0, totals);
        let conn = store.conn();
        conn.execute_batch(
            "UPDATE sessions SET overall = 10, ended_ms = 3 WHERE uuid = 'b';
             UPDATE sessions SET trainee_id = (SELECT trainee_id FROM sessions WHERE uuid = 'd') WHERE uuid = 'c';",
        )
        .unwrap();
        let (totals, aggregate) = totals_and_aggregate(&store);
        assert_eq!(totals, aggregate);
        assert!(totals[0].contains("Real(40.0) Integer(10)"), "{totals:?}");
        conn.execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM sessions WHERE uuid IN ('a', 'd');").unwrap();
        let (totals, aggregate) = totals_and_aggregate(&store);
        assert_eq!(totals, aggregate);
        assert!(totals.iter().any(|t| t.ends_with("Null Null Integer(0) Integer(0) Integer(0)")), "{totals:?}");
    }

    #[test]
    fn recording_reads_the_incident_views_by_index() {
        let store = Store::in_memory().unwrap();
        for sql in [
            "SELECT * FROM incident_turns WHERE session_id = 1 AND seq = 2",
            "SELECT * FROM incident_calls WHERE session_id = 1",
        ] {
            let mut stmt = store.conn().prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let plan: Vec<String> =
                stmt.query_map([], |r| r.get::<_, String>(3)).unwrap().collect::<Result<_, _>>().unwrap();
            // Scanning a row's JSON (a virtual table) or the view's own rows is fine; a table is not.
            let scans: Vec<&String> = plan
                .iter()
                .filter(|p| p.starts_with("SCAN ") && !p.contains("VIRTUAL TABLE") && !p.starts_with("SCAN incident_"))
                .collect();
            assert!(scans.is_empty(), "{sql} scans a table: {plan:#?}");
        }
    }
}
