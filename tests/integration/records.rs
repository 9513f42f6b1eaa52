//! Records: crash safety, concurrent writers, migration, recovery, and reports checked against
//! figures computed by hand.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use peilian::records::coaching::{Count, ScenarioMeta, recorded_session, team_report, trainee_report};
use peilian::records::ops::{Finish, Op, RubricColumns, SessionStart, TurnRecord};
use peilian::records::recorder::{Recorder, Saved, SessionRecording};
use peilian::records::store::{SCHEMA_V1, Store, StoreError};
use peilian::session::{Mode, Session};
use rusqlite::Connection;

use crate::support::{engine, fixture, root};

const VIP: &str = "tests/fixtures/valid/vip-window.ron";

fn practice_cmd(db: &Path, home: &Path, trainee: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peilian"));
    cmd.current_dir(root()).env("PEILIAN_HOME", home).env("TMPDIR", home).env_remove("PEILIAN_DB").args([
        "practice",
        VIP,
        "--seed",
        "1",
        "--db",
        db.to_str().unwrap(),
        "--trainee",
        trainee,
        "--team",
        "一组",
    ]);
    cmd
}

fn count(db: &Path, sql: &str) -> i64 {
    Connection::open(db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn practice_records_every_turn_and_the_finish() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let mut child = practice_cmd(&db, dir.path(), "小王").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            "@3s 李总您好，非常抱歉，我马上帮您核实订单 DD20261118。\n/transfer 李总订单 DD20261118 重复扣款\n"
                .as_bytes(),
        )
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    assert_eq!(count(&db, "SELECT count(*) FROM sessions WHERE outcome = 'transferred' AND ended_ms IS NOT NULL"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM turns WHERE kind = 'answer' AND latency_ms = 3000"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM turns WHERE kind = 'transfer'"), 1);
    let store = Store::open(&db).unwrap();
    let s = recorded_session(&store, "1").unwrap();
    assert_eq!(s.trainee, "小王");
    assert!(!s.turns[0].customer_line.is_empty());
    assert!(s.scorecard.is_some());
}

#[test]
fn kill_9_mid_call_keeps_the_finished_turns() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let mut child = practice_cmd(&db, dir.path(), "小赵")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all("李总您好，非常抱歉，我马上帮您核实。\n李总，多扣的款项会原路退回。\n".as_bytes()).unwrap();
    stdin.flush().unwrap();
    // Wait until both answers are in the database, then kill the process mid-call.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(db.exists()
        && Connection::open(&db)
            .ok()
            .and_then(|c| c.query_row("SELECT count(*) FROM turns", [], |r| r.get::<_, i64>(0)).ok())
            == Some(2))
    {
        assert!(Instant::now() < deadline, "turns never recorded");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    drop(stdin);
    let store = Store::open(&db).unwrap();
    let s = recorded_session(&store, "1").unwrap();
    assert_eq!(s.outcome, "in_progress", "shown as incomplete, not missing");
    assert_eq!(s.ended_ms, None);
    assert_eq!(s.turns.iter().filter(|t| t.kind == "answer").count(), 2);
}

#[test]
fn several_processes_write_at_once_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let answers =
        "李总您好，非常抱歉，我马上帮您核实订单。\n李总，多扣的款项会原路退回。\n李总，已为您加急，请您放心。\n";
    let children: Vec<_> = (0..6)
        .map(|i| {
            let mut child = practice_cmd(&db, dir.path(), &format!("学员{i}"))
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(answers.as_bytes()).unwrap();
            child
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(!err.contains("locked") && !err.contains("占用") && !err.contains("⚠"), "{err}");
    }
    assert_eq!(count(&db, "SELECT count(*) FROM trainees"), 6);
    assert_eq!(count(&db, "SELECT count(*) FROM sessions WHERE ended_ms IS NOT NULL"), 6);
    assert_eq!(count(&db, "SELECT count(*) FROM turns WHERE kind = 'answer'"), 18);
    // Every session's turns belong to it: three answers each, in order.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM (SELECT session_id FROM turns GROUP BY session_id HAVING count(*) = 3 AND max(seq) = 2)"
        ),
        6
    );
}

#[test]
fn a_writer_waits_for_another_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("busy.db");
    let mut store = Store::open(&db).unwrap();
    let blocker = Connection::open(&db).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        blocker.execute_batch("COMMIT").unwrap();
    });
    let started = Instant::now();
    store.trainee_id("等待者", None).expect("waits for the lock instead of 'database is locked'");
    assert!(started.elapsed() >= Duration::from_millis(500));
    release.join().unwrap();
}

fn start_op(uuid: &str, trainee: &str, team: &str, scenario: &str, skills: &[&str], at: i64) -> Op {
    Op::Start(SessionStart {
        uuid: uuid.into(),
        trainee: trainee.into(),
        team: Some(team.into()),
        scenario_id: scenario.into(),
        scenario_version: 1,
        scenario_title: format!("场景{scenario}"),
        content_hash: "h".into(),
        basis_hash: "b".into(),
        skills: skills.iter().map(|s| s.to_string()).collect(),
        app_version: "test".into(),
        seed: 1,
        mode: "practice".into(),
        started_ms: at,
    })
}

fn turn_op(uuid: &str, seq: u32, missed: &[&str], red: &[&str]) -> Op {
    turn_op_with(uuid, seq, missed, red, "[]")
}

/// A turn whose stored score carries skill marks (`skills`, JSON).
fn turn_op_with(uuid: &str, seq: u32, missed: &[&str], red: &[&str], skills: &str) -> Op {
    Op::Turn(TurnRecord {
        uuid: uuid.into(),
        seq,
        kind: "answer".into(),
        turn: seq + 1,
        turn_id: "t".into(),
        customer_line: "客户".into(),
        text: "回答".into(),
        latency_ms: 1000,
        overall: Some(50.0),
        score: Some(format!("{{\"missed_labels\": {missed:?}, \"red_lines\": {red:?}, \"skills\": {skills}}}")),
        missed_labels: missed.iter().map(|s| s.to_string()).collect(),
        red_lines: red.iter().map(|s| s.to_string()).collect(),
        recorded_ms: 0,
    })
}

fn finish_op(uuid: &str, overall: f32, passed: bool, timing: &str, at: i64) -> Op {
    finish_op_with(uuid, overall, passed, timing, at, "{}")
}

/// A finish with a scorecard (JSON) of its own.
fn finish_op_with(uuid: &str, overall: f32, passed: bool, timing: &str, at: i64, scorecard: &str) -> Op {
    Op::Finish(Finish {
        uuid: uuid.into(),
        ended_ms: at,
        outcome: "resolved".into(),
        overall,
        passed,
        rubrics: RubricColumns {
            concepts: Some(overall),
            tone: Some(overall - 10.0),
            escalation: Some(100.0),
            no_repeat: None,
            responsiveness: Some(100.0),
        },
        escalation_timing: timing.into(),
        scorecard: scorecard.into(),
        transcript: "[]".into(),
    })
}

#[test]
fn reports_match_hand_computed_figures() {
    let mut store = Store::in_memory().unwrap();
    // 小张: six finished sessions (overall 40, 50, 60, 70, 80, 90 over time) and one unfinished.
    let scores = [40.0, 50.0, 60.0, 70.0, 80.0, 90.0];
    let mut ops = Vec::new();
    for (i, s) in scores.iter().enumerate() {
        let uuid = format!("z{i}");
        let scenario = if i % 2 == 0 { "a" } else { "b" };
        let skills: &[&str] = if i % 2 == 0 { &["empathy"] } else { &["escalation", "policy"] };
        ops.push(start_op(&uuid, "小张", "一组", scenario, skills, 1000 * i as i64));
        // Scenario "a" shows empathy (the session's figure: its overall); "b" shows escalation
        // (its overall) and policy (100 − overall, with a 0 mark for a missed time limit).
        let (marks, figures) = if i % 2 == 0 {
            ("[]".to_string(), format!(r#"[{{"skill":"empathy","turns":1,"score_sum":{s}}}]"#))
        } else {
            (
                r#"[{"skill":"policy","score":0,"why":"缺少要点“时效”"}]"#.to_string(),
                format!(
                    r#"[{{"skill":"escalation","turns":1,"score_sum":{s}}},{{"skill":"policy","turns":1,"score_sum":{}}}]"#,
                    100.0 - s
                ),
            )
        };
        ops.push(turn_op_with(&uuid, 0, &["致歉"], if i == 0 { &["不归我管"] } else { &[] }, &marks));
        let card = format!(r#"{{"skills":{figures}}}"#);
        let timing = if i == 1 { "late" } else { "on_time" };
        ops.push(finish_op_with(&uuid, *s, *s >= 70.0, timing, 1000 * i as i64 + 500, &card));
    }
    ops.push(start_op("z-open", "小张", "一组", "c", &["empathy"], 9000));
    // 小陈: one session, 85.
    ops.push(start_op("c0", "小陈", "一组", "a", &["empathy"], 100));
    ops.push(turn_op("c0", 0, &["核实"], &[]));
    ops.push(finish_op("c0", 85.0, true, "on_time", 200));
    // Someone in another team.
    ops.push(start_op("o0", "小吴", "二组", "a", &["empathy"], 100));
    ops.push(finish_op("o0", 20.0, false, "missed", 200));
    store.apply_all(&ops).unwrap();
    // Applying again changes nothing (recovery imports may repeat operations).
    store.apply_all(&ops).unwrap();

    let library = vec![
        ScenarioMeta {
            id: "a".into(),
            title: "A".into(),
            skills: vec!["empathy".into()],
            difficulty: 2,
            persona: "angry".into(),
        },
        ScenarioMeta {
            id: "d".into(),
            title: "D".into(),
            skills: vec!["empathy".into()],
            difficulty: 1,
            persona: "normal".into(),
        },
        ScenarioMeta {
            id: "e".into(),
            title: "E".into(),
            skills: vec!["empathy".into()],
            difficulty: 3,
            persona: "normal".into(),
        },
    ];
    let r = trainee_report(&store, "小张", &library).unwrap();
    assert_eq!((r.sessions, r.completed, r.incomplete, r.passed), (7, 6, 1, 3));
    assert_eq!(r.pass_rate, Some(0.5));
    assert_eq!(r.average, Some(65.0)); // (40+50+60+70+80+90)/6
    assert_eq!(r.best, Some(90.0));
    assert_eq!(r.latest, Some(90.0));
    // Six sessions: the latest three (90, 80, 70 → 80) against the three before (60, 50, 40 → 50).
    assert_eq!((r.trend.recent, r.trend.earlier, r.trend.delta), (Some(80.0), Some(50.0), Some(30.0)));
    assert_eq!(r.timeline.iter().map(|p| p.overall).collect::<Vec<_>>(), scores.to_vec());
    assert_eq!(r.rubric_averages["tone"], 55.0);
    assert!(!r.rubric_averages.contains_key("no_repeat"));
    // Skills, from the scorecards' figures: policy from sessions 50, 70, 90 → (50+30+10)/3 = 30;
    // empathy from 40, 60, 80 → 60; escalation from 50, 70, 90 → 70. Two skills of one
    // scenario ("b") differ.
    let skills: Vec<(&str, f32, u32)> = r.skills.iter().map(|s| (s.skill.as_str(), s.average, s.turns)).collect();
    assert_eq!(skills, vec![("policy", 30.0, 3), ("empathy", 60.0, 3), ("escalation", 70.0, 3)]);
    // The weakest skill's evidence: its 0 marks, one in each of the three "b" sessions.
    assert_eq!(r.weakest[0].skill.skill, "policy");
    assert_eq!(r.weakest[0].misses, vec![Count { label: "缺少要点“时效”".into(), count: 3 }]);
    assert_eq!(r.missed_concepts[0].count, 6);
    // The red line is an incident of session z0 (failed, 40): the pass rate stays 3/6.
    assert_eq!(r.red_lines, vec![Count { label: "不归我管".into(), count: 1 }]);
    assert_eq!((r.sessions_with_incidents, r.passed_with_incidents), (1, 0));
    assert_eq!(r.incidents.len(), 1);
    assert_eq!((r.incidents[0].kind.as_str(), r.incidents[0].turn), ("red_line", 1));
    assert_eq!(r.transfers.late, 1);
    assert_eq!(r.transfers.on_time, 5);
    // Scenario "a" (sessions 40, 60, 80): best 80, latest 80, passed.
    let a = r.scenarios.iter().find(|s| s.scenario_id == "a").unwrap();
    assert_eq!((a.attempts, a.best, a.latest, a.passed), (3, Some(80.0), Some(80.0), true));
    // Recommended: empathy scenarios not yet passed, easiest first ("a" is passed).
    assert_eq!(r.recommendations.iter().map(|x| x.scenario_id.as_str()).collect::<Vec<_>>(), vec!["d", "e"]);

    let team = team_report(&store, Some("一组")).unwrap();
    assert_eq!(team.rows.len(), 2);
    assert_eq!(team.leaderboard, vec!["小陈", "小张"]);
    let chen = team.rows.iter().find(|x| x.name == "小陈").unwrap();
    assert_eq!((chen.average, chen.pass_rate), (Some(85.0), Some(1.0)));
    assert_eq!(
        team.missed_concepts.iter().map(|c| (c.label.as_str(), c.count)).collect::<Vec<_>>(),
        vec![("致歉", 6), ("核实", 1)]
    );
    assert_eq!(
        (team.red_lines[0].phrase.as_str(), team.red_lines[0].count, team.red_lines[0].trainees),
        ("不归我管", 1, 1)
    );
    let everyone = team_report(&store, None).unwrap();
    assert_eq!(everyone.rows.len(), 3);
}

#[test]
fn migrates_a_version_1_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    {
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO trainees (name, team, created_ms) VALUES ('老员工', '一组', 1);
             INSERT INTO sessions (uuid, trainee_id, scenario_id, scenario_version, scenario_title, content_hash, app_version,
                 seed, mode, started_ms, ended_ms, outcome, overall, passed)
                 VALUES ('u1', 1, 'a', 1, 'A', 'h', '0.0.1', 1, 'practice', 10, 20, 'resolved', 66.0, 0);
             INSERT INTO turns (session_id, seq, kind, turn, text, latency_ms, overall, score, recorded_ms)
                 VALUES (1, 0, 'answer', 1, '好的', 0, 30.0, '{\"missed_labels\": [\"致歉\", \"核实\"], \"red_lines\": [\"不归我管\"]}', 15);",
        )
        .unwrap();
    }
    let store = Store::open(&db).unwrap();
    assert_eq!(store.schema_version().unwrap(), peilian::records::store::SCHEMA_VERSION);
    let identity = store.identity().unwrap().expect("given an identity by the migration");
    assert_eq!(identity.application_id, peilian::records::store::APPLICATION_ID);
    assert_eq!(identity.database_id.len(), 32);
    let r = trainee_report(&store, "老员工", &[]).unwrap();
    assert_eq!((r.completed, r.average), (1, Some(66.0)));
    let missed: Vec<(String, u32)> = r.missed_concepts.iter().map(|c| (c.label.clone(), c.count)).collect();
    assert_eq!(missed, vec![("核实".to_string(), 1), ("致歉".to_string(), 1)]);
    assert_eq!(r.red_lines[0].label, "不归我管");
    let s = recorded_session(&store, "u1").unwrap();
    assert!(!s.turns[0].superseded);
    drop(store);
    // Opening again is a no-op.
    assert_eq!(s.basis_hash, "", "sessions from before version 3 have no basis hash");
    let again = Store::open(&db).unwrap();
    assert_eq!(again.schema_version().unwrap(), peilian::records::store::SCHEMA_VERSION);
    assert_eq!(again.identity().unwrap(), Some(identity), "the identity is kept");
}

#[test]
fn a_newer_database_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.db");
    let app = peilian::records::store::APPLICATION_ID;
    Connection::open(&db)
        .unwrap()
        .execute_batch(&format!("PRAGMA application_id = {app}; PRAGMA user_version = 99"))
        .unwrap();
    assert!(matches!(Store::open(&db), Err(StoreError::TooNew { found: 99, .. })));
    assert!(matches!(Store::open_read_only(&db), Err(StoreError::TooNew { found: 99, .. })));
    // Without peilian's identity a version number alone does not make it a peilian database.
    let bare = dir.path().join("bare.db");
    Connection::open(&bare).unwrap().execute_batch("PRAGMA user_version = 99").unwrap();
    let e = Store::open(&bare).unwrap_err();
    assert!(matches!(e, StoreError::Foreign { .. }) && e.to_string().contains("bare.db"), "{e}");
}

#[test]
fn corrupt_and_unopenable_databases_are_named_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let corrupt = dir.path().join("corrupt.db");
    std::fs::write(&corrupt, vec![0x5au8; 8192]).unwrap();
    let e = Store::open(&corrupt).unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("corrupt.db"));
    assert!(!e.hint().is_empty());
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let e = Store::open(&blocker.join("sub/peilian.db")).unwrap_err();
    assert!(matches!(e, StoreError::Open { .. }), "{e}");
}

fn play_and_record(recorder: &mut Recorder) -> (String, Vec<Saved>) {
    let (mut session, _) = Session::start(engine(&fixture("valid/vip-window.ron")), 1, Mode::Practice);
    let mut saved = Vec::new();
    let (mut rec, s) = SessionRecording::start(recorder, "小周", Some("一组"), &session);
    saved.push(s);
    session.answer("李总您好，非常抱歉，我马上帮您核实。", 2000).unwrap();
    saved.push(rec.sync(recorder, &session));
    session.transfer("李总订单 DD20261118 重复扣款", 1000).unwrap();
    let card = session.scorecard();
    saved.push(rec.finish(recorder, &session, &card));
    (rec.uuid, saved)
}

#[test]
fn a_session_survives_a_corrupt_database_through_the_recovery_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("peilian.db");
    std::fs::write(&db, vec![0x5au8; 8192]).unwrap();
    let recovery = vec![dir.path().join("recovery")];
    let (mut recorder, error) = Recorder::open_with(&db, recovery.clone());
    assert!(matches!(error, Some(StoreError::Corrupt { .. })));
    let (uuid, saved) = play_and_record(&mut recorder);
    assert!(saved.iter().all(|s| matches!(s, Saved::Deferred { .. })));
    let file = recorder.recovery_file().expect("recovery file").to_path_buf();
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 5, "header, start, answer, transfer, finish");
    // The program ends; the trainer moves the corrupt file away; the next start imports the
    // session (the file was keyed by the database's path: its identity was unknown).
    drop(recorder);
    std::fs::rename(&db, dir.path().join("peilian.db.bak")).unwrap();
    let (mut again, error) = Recorder::open_with(&db, recovery);
    assert!(error.is_none());
    assert_eq!((again.imports().files, again.imports().ops, again.imports().bad.len()), (1, 4, 0));
    let store = again.store().unwrap();
    let s = recorded_session(store, &uuid).unwrap();
    assert_eq!(s.outcome, "transferred");
    assert_eq!(s.turns.len(), 2);
    assert!(!file.exists(), "imported recovery files are removed");
}

#[test]
fn a_full_disk_defers_and_the_store_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("full.db");
    let (mut recorder, error) = Recorder::open_with(&db, vec![dir.path().join("recovery")]);
    assert!(error.is_none());
    // Simulate a full disk: the database may not grow, and its free pages are taken.
    let conn = recorder.store().unwrap().conn();
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
    conn.execute_batch(&format!("CREATE TABLE filler (b BLOB); PRAGMA max_page_count = {}", pages + 4)).unwrap();
    while conn.execute("INSERT INTO filler VALUES (zeroblob(1000))", []).is_ok() {}
    // A session whose record needs new pages.
    let mut start = start_op("full-1", "小满", "一组", "a", &["empathy"], 1);
    if let Op::Start(s) = &mut start {
        s.scenario_title = "很长的标题".repeat(2000);
    }
    let saved = recorder.record(start);
    let deferred = matches!(&saved, Saved::Deferred { reason, .. } if reason.contains("磁盘已满"));
    assert!(deferred, "{saved:?}");
    assert_eq!(recorder.pending(), 1);
    assert!(recorder.recovery_file().is_some_and(|f| f.exists()), "also journaled");
    // Space again: the next record stores everything pending, in order.
    Connection::open(&db).unwrap().execute_batch("DROP TABLE filler; VACUUM").unwrap();
    assert_eq!(recorder.record(turn_op("full-1", 0, &[], &[])), Saved::Stored);
    assert_eq!(recorder.pending(), 0);
    let store = Store::open(&db).unwrap();
    assert_eq!(recorded_session(&store, "full-1").unwrap().turns.len(), 1);
}

#[test]
fn replay_rescores_a_changed_scenario_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let lib = crate::support::empty_library(dir.path());
    let file = lib.join("minimal.ron");
    std::fs::copy(fixture("valid/minimal.ron"), &file).unwrap();
    let db = dir.path().join("r.db");
    let home = dir.path().join("home");
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_peilian"))
            .current_dir(dir.path())
            .env("PEILIAN_HOME", &home)
            .env("PEILIAN_SCENARIOS", &lib)
            .env("PEILIAN_DB", &db)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["practice", "fixture-base", "--trainee", "小钱"], "非常抱歉，我马上帮您查。\n查到了，明天送到。\n");
    let unchanged = run(&["replay", "1"], "");
    assert!(unchanged.contains("场景自记录以来没有改动"), "{unchanged}");
    // A trainer adds a politeness marker: the scenario file is the same, the scoring basis not.
    let politeness = lib.join("lexicons/politeness.ron");
    let original = std::fs::read_to_string(&politeness).unwrap();
    std::fs::write(&politeness, original.replace(r#""劳驾": 0.3,"#, r#""劳驾": 0.3, "烦请": 0.3,"#)).unwrap();
    let basis = run(&["replay", "1"], "");
    assert!(basis.contains("词库或情绪模型自记录以来有改动"), "{basis}");
    let json: serde_json::Value = serde_json::from_str(&run(&["replay", "1", "--json"], "")).unwrap();
    assert_eq!(
        (json["scenario_changed"].as_bool(), json["lexicons_or_mood_model_changed"].as_bool()),
        (Some(false), Some(true))
    );
    std::fs::write(&politeness, original).unwrap();
    assert!(run(&["replay", "1"], "").contains("场景自记录以来没有改动"), "the same lexicons again: the same basis");
    // The trainer raises the bar: "apology" now needs a phrase the answer lacks.
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace(r#"groups: ["道歉"]"#, r#"phrases: ["深表歉意"]"#)
        .replace("version: 1", "version: 2");
    std::fs::write(&file, text).unwrap();
    let changed = run(&["replay", "1"], "");
    assert!(changed.contains("场景已修改"), "{changed}");
    let json: serde_json::Value = serde_json::from_str(&run(&["replay", "1", "--rescore", "--json"], "")).unwrap();
    let old = json["session"]["overall"].as_f64().unwrap();
    let new = json["rescored"]["scorecard"]["overall"].as_f64().unwrap();
    assert!(new < old, "re-scored with the stricter version: {old} → {new}");
    let side = run(&["replay", "1", "--rescore"], "");
    assert!(side.contains("当时") && side.contains("现在"), "{side}");
}

#[test]
fn report_command_formats() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let mut child = practice_cmd(&db, dir.path(), "小孙").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("李总您好，非常抱歉，我马上帮您核实。\n/transfer 订单 DD20261118 重复扣款\n".as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let report = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_peilian"))
            .current_dir(root())
            .env("PEILIAN_HOME", dir.path())
            .args(args)
            .args(["--db", db.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let json: serde_json::Value =
        serde_json::from_slice(&report(&["report", "--trainee", "小孙", "--json"]).stdout).unwrap();
    assert_eq!(json["completed"], 1);
    assert_eq!(json["team"], "一组");
    let csv = String::from_utf8(report(&["report", "--team", "一组", "--csv"]).stdout).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("trainee,team,sessions"));
    assert!(lines.next().unwrap().starts_with("小孙,一组,1,1"));
    let html = dir.path().join("r.html");
    assert!(report(&["report", "--trainee", "小孙", "--html", html.to_str().unwrap()]).status.success());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && page.contains("小孙"));
    for external in ["<script", "<link", "src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(external), "self-contained, but has {external}");
    }
    let missing = report(&["report", "--trainee", "没有这人"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn html_reports_embed_the_font_and_drill_down_or_warn_once_without_the_font() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let mut child = practice_cmd(&db, dir.path(), "小孙").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("李总您好，非常抱歉，我马上帮您核实。\n/transfer 订单 DD20261118 重复扣款\n".as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let html = |args: &[&str], font: Option<&Path>| {
        let out = dir.path().join("page.html");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_peilian"));
        cmd.current_dir(root()).env("PEILIAN_HOME", dir.path()).env_remove("PEILIAN_FONT");
        if let Some(font) = font {
            cmd.env("PEILIAN_FONT", font);
        }
        let o = cmd.args(args).args(["--db", db.to_str().unwrap(), "--html", out.to_str().unwrap()]).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (std::fs::read_to_string(&out).unwrap(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (page, err) = html(&["report", "--trainee", "小孙"], None);
    assert!(page.contains("@font-face") && page.contains("data:font/woff;base64,"), "the font is embedded");
    assert!(err.contains("内嵌字体子集") && !err.contains("警告"), "{err}");
    assert!(
        page.contains("id=\"session-1\"")
            && page.contains("id=\"session-1-turn-1\"")
            && page.contains("href=\"#session-1\"")
    );
    assert!(page.contains("李总您好，非常抱歉，我马上帮您核实。") && page.contains("订单 DD20261118 重复扣款"));
    let (team, _) = html(&["report", "--team", "一组"], None);
    assert!(
        team.contains("<a href=\"#trainee-0\">小孙</a>")
            && team.contains("id=\"trainee-0\"")
            && team.contains("@font-face")
    );

    // No font: the page still works with system fonts, and one warning says so.
    let (bare, err) = html(&["report", "--trainee", "小孙"], Some(&dir.path().join("nowhere.otf")));
    assert!(!bare.contains("@font-face") && bare.contains("id=\"session-1-turn-1\""));
    assert_eq!(err.matches("警告").count(), 1, "{err}");
    assert!(err.contains("nowhere.otf") && err.contains("PEILIAN_FONT") && err.contains("系统字体"), "{err}");
    // A file that is not a font: named, the same fallback.
    let junk = dir.path().join("junk.otf");
    std::fs::write(&junk, b"not a font").unwrap();
    let (bare, err) = html(&["report", "--trainee", "小孙"], Some(&junk));
    assert!(!bare.contains("@font-face"));
    assert_eq!(err.matches("警告").count(), 1, "{err}");
    assert!(err.contains("junk.otf") && err.contains("OpenType"), "{err}");
}

/// Clears the immutable attribute again when dropped (also when the test fails).
struct Immutable<'a>(&'a Path);

impl Immutable<'_> {
    fn set(path: &Path) -> Option<Immutable<'_>> {
        let ok = Command::new("chattr").arg("+i").arg(path).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
        ok.then_some(Immutable(path))
    }
}

impl Drop for Immutable<'_> {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(self.0).status();
    }
}

#[test]
fn a_read_only_database_defers_to_the_recovery_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ro.db");
    // One session recorded while the file was writable.
    let (mut writable, error) = Recorder::open_with(&db, vec![dir.path().join("unused")]);
    assert!(error.is_none());
    let (earlier, _) = play_and_record(&mut writable);
    drop(writable);
    // Read-only even for root: the immutable attribute (needs root and ext4 or similar).
    let Some(guard) = Immutable::set(&db) else {
        eprintln!("skipped: `chattr +i` is not possible here (needs root on ext4), so no read-only file can be made");
        return;
    };
    let recovery = vec![dir.path().join("recovery")];
    let (mut recorder, error) = Recorder::open_with(&db, recovery.clone());
    assert!(matches!(error, Some(StoreError::ReadOnly { .. })), "{error:?}");
    let message = error.unwrap().to_string();
    assert!(message.contains("ro.db") && message.contains("不可写"), "{message}");
    // Reports still read it, through the recorder (the app's dashboard) and on their own.
    assert_eq!(recorded_session(recorder.store().expect("kept for reading"), &earlier).unwrap().outcome, "transferred");
    let reader = Store::open(&db).expect("a read-only database opens for reading");
    assert!(reader.is_read_only());
    assert_eq!(trainee_report(&reader, "小周", &[]).unwrap().completed, 1);
    let (uuid, saved) = play_and_record(&mut recorder);
    assert!(saved.iter().all(|s| matches!(s, Saved::Deferred { .. })), "{saved:?}");
    assert!(recorder.store().is_some(), "the read-only store is kept for reading");
    let file = recorder.recovery_file().expect("recovery file").to_path_buf();
    drop((recorder, reader));
    // Writable again: the next start imports the session.
    drop(guard);
    let (mut again, error) = Recorder::open_with(&db, recovery);
    assert!(error.is_none(), "{error:?}");
    let s = recorded_session(again.store().unwrap(), &uuid).unwrap();
    assert_eq!((s.outcome.as_str(), s.turns.len()), ("transferred", 2));
    assert!(!file.exists(), "imported recovery files are removed");
}
