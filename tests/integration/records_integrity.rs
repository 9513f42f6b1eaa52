//! Records that cannot be fooled (issue 15): recovery files belong to one database and are
//! checked before import, a session saved nowhere says so, reports read read-only databases,
//! a locked database is waited for once, foreign SQLite files are refused, and limits on
//! handoff notes and latencies.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use peilian::records::ops::{Finish, Op, SessionStart, TurnRecord};
use peilian::records::recorder::{RECORDER_WAIT, Recorder, Saved, SessionRecording, new_uuid};
use peilian::records::recovery::{Journal, Owner, import_recovery};
use peilian::records::store::{APPLICATION_ID, Store, StoreError};
use peilian::session::{Input, MAX_LATENCY_MS, MAX_NOTE_CHARS, Mode, Session, SessionError};
use proptest::prelude::*;
use rusqlite::Connection;

use crate::support::{engine, fixture, root};

const VIP: &str = "tests/fixtures/valid/vip-window.ron";
const CALL: &str = "李总您好，非常抱歉，我马上帮您核实订单 DD20261118。\n/transfer 李总订单 DD20261118 重复扣款\n";

/// The binary with a private home (preferences and recovery files) and temp directory.
fn peilian(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peilian"));
    cmd.current_dir(root())
        .env("PEILIAN_HOME", home)
        .env("TMPDIR", home)
        .env_remove("PEILIAN_DB")
        .env_remove("PEILIAN_SCENARIOS")
        .env_remove("PEILIAN_MOOD_MODEL");
    cmd
}

fn run_input(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn practice(home: &Path, db: &Path, trainee: &str, input: &str) -> Output {
    let mut cmd = peilian(home);
    cmd.args(["practice", VIP, "--seed", "1", "--trainee", trainee, "--db"]).arg(db);
    run_input(cmd, input)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn count(db: &Path, sql: &str) -> i64 {
    Connection::open(db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_issue_repro_a_recovery_file_never_goes_into_another_database() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let x = dir.path().join("x");
    std::fs::create_dir(&x).unwrap();
    let (a, b) = (x.join("teamA.db"), x.join("teamB.db"));
    // The issue's repro made teamA.db a bare `user_version = 99` file, which is now refused as
    // not peilian's before the call; a peilian database of a newer version takes the path of
    // recovery files.
    drop(Store::open(&a).unwrap());
    Connection::open(&a).unwrap().execute_batch("PRAGMA user_version = 99").unwrap();
    let before = std::fs::read(&a).unwrap();

    let out = practice(&home, &a, "甲", CALL);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("teamA.db") && text(&out).contains("恢复文件"), "{}", text(&out));
    assert_eq!(std::fs::read(&a).unwrap(), before, "teamA.db is not touched");
    let waiting = files_under(&home.join("recovery"));
    assert_eq!(waiting.len(), 1, "{waiting:?}");

    let out = practice(&home, &b, "乙", CALL);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count(&b, "SELECT count(*) FROM sessions"), 1, "only teamB's own session");
    assert_eq!(count(&b, "SELECT count(*) FROM trainees WHERE name = '甲'"), 0);
    let replay = peilian(&home).args(["replay", "--db"]).arg(&b).output().unwrap();
    assert!(!String::from_utf8_lossy(&replay.stdout).contains('甲'), "{}", text(&replay));
    assert_eq!(files_under(&home.join("recovery")), waiting, "teamA's file is still waiting");

    // teamA is fixed (the bad file moved away): its own session comes home.
    std::fs::rename(&a, x.join("teamA.bak")).unwrap();
    let out = practice(&home, &a, "甲", CALL);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("已从恢复文件导入 1 个文件"), "{}", text(&out));
    assert_eq!(
        count(&a, "SELECT count(*) FROM sessions s JOIN trainees t ON t.id = s.trainee_id WHERE t.name = '甲'"),
        2
    );
    assert_eq!(count(&b, "SELECT count(*) FROM sessions"), 1);
    assert!(files_under(&home.join("recovery")).is_empty());
}

#[test]
fn a_foreign_sqlite_file_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE invoices (id INTEGER); INSERT INTO invoices VALUES (1)")
        .unwrap();
    let before = std::fs::read(&other).unwrap();
    for e in [Store::open(&other).unwrap_err(), Store::open_read_only(&other).unwrap_err()] {
        assert!(matches!(e, StoreError::Foreign { .. }), "{e}");
        assert!(e.to_string().contains("other.db") && e.to_string().contains("invoices"), "{e}");
        assert!(!e.hint().is_empty());
    }
    assert_eq!(std::fs::read(&other).unwrap(), before, "not given tables, not switched to WAL");
    assert!(!dir.path().join("other.db-wal").exists());
    // Another program's application_id, even without tables.
    let app = dir.path().join("app.db");
    Connection::open(&app).unwrap().execute_batch("PRAGMA application_id = 42").unwrap();
    assert!(matches!(Store::open(&app), Err(StoreError::Foreign { why, .. }) if why.contains("0x2a")));
    // An empty file is a new database, and gets peilian's identity.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let store = Store::open(&empty).unwrap();
    assert_eq!(store.identity().unwrap().unwrap().application_id, APPLICATION_ID);
    let id: i32 = store.conn().query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
    assert_eq!(id, 0x5045_494C);
    // Two databases have different ids.
    let second = Store::open(&dir.path().join("second.db")).unwrap();
    assert_ne!(store.identity().unwrap(), second.identity().unwrap());
    // Through the binary: practice refuses it before the call (a recovery file for another
    // program's file would never be imported), report refuses it.
    let home = dir.path().join("home");
    let out = practice(&home, &other, "小王", CALL);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("不是 peilian 的数据库") && text(&out).contains("--db"), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("你>"), "no call ran: {}", text(&out));
    assert!(files_under(&home).iter().all(|f| !f.to_string_lossy().ends_with(".jsonl")), "no recovery file");
    assert_eq!(std::fs::read(&other).unwrap(), before);
    // A peilian database newer than the program is a passing fault: the call goes on into a
    // recovery file, which an upgraded peilian imports.
    let newer = dir.path().join("newer.db");
    drop(Store::open(&newer).unwrap());
    Connection::open(&newer).unwrap().execute_batch("PRAGMA user_version = 99").unwrap();
    let out = practice(&home, &newer, "小王", CALL);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("版本 99") && text(&out).contains("恢复文件"), "{}", text(&out));
    let report = peilian(&home).args(["report", "--db"]).arg(&other).output().unwrap();
    assert_eq!(report.status.code(), Some(2), "{}", text(&report));
    assert!(text(&report).contains("不是 peilian 的数据库"), "{}", text(&report));
}

/// A real session's operations: start, an answer, a transfer, the finish.
fn real_ops(uuid: &str, trainee: &str) -> Vec<Op> {
    let (mut session, _) = Session::start(engine(&fixture("valid/vip-window.ron")), 1, Mode::Practice);
    let mut ops = vec![Op::Start(SessionStart::new(uuid.into(), trainee, Some("一组"), &session, 1000))];
    session.answer("李总您好，非常抱歉，我马上帮您核实。", 2000).unwrap();
    ops.push(Op::Turn(TurnRecord::last_of(uuid, &session, 1001).unwrap()));
    session.transfer("李总订单 DD20261118 重复扣款", 1000).unwrap();
    ops.push(Op::Turn(TurnRecord::last_of(uuid, &session, 1002).unwrap()));
    let card = session.scorecard();
    ops.push(Op::Finish(Finish::new(uuid, &session, &card, 1003)));
    ops
}

fn finish_of(ops: &mut [Op]) -> &mut Finish {
    ops.iter_mut()
        .find_map(|o| match o {
            Op::Finish(f) => Some(f),
            _ => None,
        })
        .unwrap()
}

fn write_file(root: &Path, owner: &Owner, name: &str, ops: &[Op]) -> PathBuf {
    let mut j = Journal::create(root, owner, name).unwrap();
    j.append(ops).unwrap();
    j.path().to_path_buf()
}

#[test]
fn bad_recovery_files_are_kept_named_never_applied_and_never_block_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("recovery");
    let db = dir.path().join("r.db");
    let mut store = Store::open(&db).unwrap();
    let owner = Owner::of(&db, store.identity().unwrap().as_ref());

    let mut cases: Vec<(&str, Vec<Op>, &str)> = Vec::new();
    // No start: the session is neither in the file nor in the database.
    let lone = new_uuid();
    cases.push(("a1", real_ops(&lone, "小李")[1..].to_vec(), "没有开始记录"));
    // The finish says 100 and passed; its scorecard does not.
    let mut forged = real_ops(&new_uuid(), "小李");
    let f = finish_of(&mut forged);
    (f.overall, f.passed) = (100.0, true);
    cases.push(("a2", forged, "不一致"));
    // Scorecard forged too, rubrics left: the overall no longer follows from them.
    let mut forged = real_ops(&new_uuid(), "小李");
    let f = finish_of(&mut forged);
    let mut card: serde_json::Value = serde_json::from_str(&f.scorecard).unwrap();
    (card["overall"], card["passed"], card["capped"]) = (100.0.into(), true.into(), serde_json::Value::Null);
    f.scorecard = card.to_string();
    (f.overall, f.passed) = (100.0, true);
    cases.push(("a3", forged, "加权平均"));
    // Scores out of range.
    let mut forged = real_ops(&new_uuid(), "小李");
    if let Op::Turn(t) = &mut forged[1] {
        t.overall = Some(250.0);
    }
    cases.push(("a4", forged, "0–100"));
    // A uuid not as peilian writes them.
    let mut forged = real_ops("x' OR 1=1 --", "小李");
    forged.truncate(1);
    cases.push(("a5", forged, "格式不对"));
    // A trainee name that would rewrite the terminal.
    cases.push(("a6", real_ops(&new_uuid(), "小李\u{1b}]0;pwned\u{7}"), "学员姓名"));
    for (name, ops, _) in &cases {
        write_file(&root, &owner, name, ops);
    }
    // A line that is not an operation, and a file written for another database.
    let garbage = write_file(&root, &owner, "a7", &real_ops(&new_uuid(), "小李"));
    std::fs::OpenOptions::new()
        .append(true)
        .open(&garbage)
        .unwrap()
        .write_all(b"{\"op\":\"turn\",\"uuid\":1}\n")
        .unwrap();
    let stranger = Owner { path: "/elsewhere/team.db".into(), database_id: Some("f".repeat(32)) };
    let misplaced = write_file(&root, &stranger, "a8", &real_ops(&new_uuid(), "小李"));
    let misplaced_here = root.join(owner.key()).join("a8.jsonl");
    std::fs::rename(&misplaced, &misplaced_here).unwrap();
    // Last in name order: the one good file.
    let good = new_uuid();
    let good_file = write_file(&root, &owner, "z", &real_ops(&good, "小李"));

    let report = import_recovery(&mut store, std::slice::from_ref(&root)).unwrap();
    assert_eq!((report.files, report.ops), (1, 4), "{report:?}");
    assert_eq!(report.bad.len(), 8, "{report:?}");
    for ((name, _, why), bad) in cases.iter().zip(&report.bad) {
        assert!(bad.file.to_string_lossy().ends_with(&format!("{name}.jsonl.bad")), "{bad}");
        assert!(bad.file.exists(), "kept: {bad}");
        assert!(bad.why.contains(why), "{name}: {bad}");
        assert!(bad.to_string().contains(&bad.file.display().to_string()), "the message names the file");
    }
    assert!(report.bad[6].why.contains("第 6 行"), "{}", report.bad[6]);
    assert!(report.bad[7].why.contains("另一个数据库"), "{}", report.bad[7]);
    assert!(!good_file.exists(), "the good file is imported and removed");
    // Only the good session is in the database, with its real score.
    assert_eq!(store.conn().query_row("SELECT count(*) FROM sessions", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
    let overall: f64 =
        store.conn().query_row("SELECT overall FROM sessions WHERE uuid = ?1", [&good], |r| r.get(0)).unwrap();
    assert!(overall < 100.0, "{overall}");
    assert_eq!(store.conn().query_row("SELECT count(*) FROM turns", [], |r| r.get::<_, i64>(0)).unwrap(), 2);
    // A second import leaves the .bad files alone.
    assert_eq!(import_recovery(&mut store, &[root]).unwrap(), Default::default());
}

#[test]
fn a_file_without_start_is_fine_when_the_session_is_already_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("recovery");
    let db = dir.path().join("r.db");
    let mut store = Store::open(&db).unwrap();
    let owner = Owner::of(&db, store.identity().unwrap().as_ref());
    let uuid = new_uuid();
    let ops = real_ops(&uuid, "小李");
    store.apply(&ops[0]).unwrap();
    write_file(&root, &owner, "rest", &ops[1..]);
    let report = import_recovery(&mut store, &[root]).unwrap();
    assert_eq!((report.files, report.ops, report.bad.len()), (1, 3, 0), "{report:?}");
}

#[test]
fn a_recovery_file_keyed_by_identity_waits_for_that_very_database() {
    let dir = tempfile::tempdir().unwrap();
    let roots = vec![dir.path().join("recovery")];
    let db = dir.path().join("team.db");
    let (mut recorder, error) = Recorder::open_with(&db, roots.clone());
    assert!(error.is_none());
    // Locked by another program for the whole session: it goes to a recovery file keyed by
    // the database's identity.
    let blocker = Connection::open(&db).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    recorder.store().unwrap().set_busy_timeout(Duration::ZERO).unwrap();
    let saved: Vec<Saved> = real_ops(&new_uuid(), "小周").into_iter().map(|op| recorder.record(op)).collect();
    assert!(saved.iter().all(|s| matches!(s, Saved::Deferred { recovery_file: Some(_), .. })), "{saved:?}");
    let file = recorder.recovery_file().expect("journaled").to_path_buf();
    assert!(file.parent().unwrap().file_name().unwrap().to_string_lossy().starts_with("db-"), "{file:?}");
    drop(recorder);
    blocker.execute_batch("ROLLBACK").unwrap();
    drop(blocker);
    // The file is replaced by another peilian database at the same path: not its file.
    let away = dir.path().join("away");
    std::fs::create_dir(&away).unwrap();
    std::fs::rename(&db, away.join("team.db")).unwrap();
    let (mut other, _) = Recorder::open_with(&db, roots.clone());
    assert_eq!(other.imports().files, 0);
    assert_eq!(count_sessions(other.store().unwrap()), 0);
    drop(other);
    assert!(file.exists(), "still waiting for its own database");
    // The real one is back.
    std::fs::rename(away.join("team.db"), &db).unwrap();
    let (mut back, error) = Recorder::open_with(&db, roots);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(back.imports().files, 1);
    assert_eq!(count_sessions(back.store().unwrap()), 1);
    assert!(!file.exists());
}

fn count_sessions(store: &Store) -> i64 {
    store.conn().query_row("SELECT count(*) FROM sessions", [], |r| r.get(0)).unwrap()
}

#[cfg(unix)]
#[test]
fn recovery_folders_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let out = practice(&home, &blocker.join("r.db"), "小王", CALL);
    assert!(out.status.success(), "{}", text(&out));
    let files = files_under(&home.join("recovery"));
    assert_eq!(files.len(), 1);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home.join("recovery")), 0o700);
    assert_eq!(mode(files[0].parent().unwrap()), 0o700);
    assert_eq!(mode(&files[0]), 0o600);
    // Nothing in the shared temp directory.
    assert!(!dir.path().join("peilian-recovery").exists());
}

#[test]
fn a_session_saved_nowhere_says_so_exits_non_zero_and_offers_the_transcript() {
    let dir = tempfile::tempdir().unwrap();
    // A file where folders should be: not even root can create anything below it.
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let db = blocker.join("r.db");
    let home = blocker.join("home");
    let nowhere = |extra: &[&str]| {
        let mut cmd = peilian(&home);
        cmd.env("TMPDIR", blocker.join("tmp"));
        cmd.args(["practice", VIP, "--seed", "1", "--trainee", "小王", "--db"]).arg(&db).args(extra);
        run_input(cmd, CALL)
    };
    let out = nowhere(&[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("本次练习没有保存") && err.contains("恢复文件也无法写入"), "{err}");
    assert_eq!(err.matches("恢复文件也无法写入").count(), 2, "once at the start, once at the end: {err}");
    assert!(!err.contains("无法保存本次练习"), "not a third time in between: {err}");
    assert!(!text(&out).contains("已保存到恢复文件"), "no false comfort: {}", text(&out));
    // The transcript is offered on stdout, as JSON after the scorecard.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let start = stdout.find("\n{").expect("a JSON document on stdout") + 1;
    let doc: serde_json::Value = serde_json::from_str(&stdout[start..]).unwrap();
    assert_eq!(doc["record"]["saved"], "nowhere");
    assert!(
        doc["transcript"]
            .as_array()
            .is_some_and(|t| t.iter().any(|e| e["text"].as_str().is_some_and(|s| s.contains("核实"))))
    );
    // With --json the document is the whole stdout.
    let out = nowhere(&["--json"]);
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((doc["record"]["saved"].as_str(), doc["record"]["stored"].as_bool()), (Some("nowhere"), Some(false)));
    // With --save-transcript it goes to that file.
    let kept = dir.path().join("kept.json");
    let out = nowhere(&["--save-transcript", kept.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kept.json"));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&kept).unwrap()).unwrap();
    assert_eq!(doc["scorecard"]["outcome"], "transferred");
}

/// Runs `cmd` so that file permissions hold: directly for an ordinary user; for root, with
/// `CAP_DAC_OVERRIDE` dropped (`setpriv`), checked on `probe` (a folder it must not be able to
/// write). `None` when that is not possible here.
fn without_override(cmd: &[&std::ffi::OsStr], probe: &Path) -> Option<Command> {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let wrap = |args: &[&std::ffi::OsStr]| {
        let mut c = Command::new(if root { "setpriv" } else { args[0].to_str().unwrap() });
        if root {
            c.args(["--bounding-set", "-dac_override,-dac_read_search", "--"]).args(args);
        } else {
            c.args(&args[1..]);
        }
        c
    };
    let touch = probe.join("probe");
    let ok = wrap(&["touch".as_ref(), touch.as_os_str()]).stderr(Stdio::null()).status().is_ok_and(|s| !s.success());
    let _ = std::fs::remove_file(&touch);
    ok.then(|| wrap(cmd))
}

fn recorded_db(dir: &Path) -> PathBuf {
    let home = dir.join("home");
    let ro = dir.join("ro");
    std::fs::create_dir(&ro).unwrap();
    let db = ro.join("r.db");
    let out = practice(&home, &db, "小读", CALL);
    assert!(out.status.success(), "{}", text(&out));
    db
}

#[cfg(unix)]
#[test]
fn reports_read_a_database_in_a_read_only_folder() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = recorded_db(dir.path());
    let ro = db.parent().unwrap().to_path_buf();
    assert_eq!(count(&db, "SELECT count(*) FROM sessions"), 1);
    let listing: Vec<_> = std::fs::read_dir(&ro).unwrap().flatten().map(|e| e.file_name()).collect();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    struct Restore(PathBuf);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
        }
    }
    let _restore = Restore(ro.clone());
    let bin = std::ffi::OsString::from(env!("CARGO_BIN_EXE_peilian"));
    let home = dir.path().join("home");
    let runs: [&[&str]; 4] =
        [&["report"], &["report", "--trainee", "小读", "--json"], &["replay"], &["replay", "1", "--json"]];
    for args in runs {
        let mut full: Vec<&std::ffi::OsStr> = vec![bin.as_os_str()];
        full.extend(args.iter().map(std::ffi::OsStr::new));
        full.extend(["--db".as_ref(), db.as_os_str()]);
        let Some(mut cmd) = without_override(&full, &ro) else {
            eprintln!("skipped: cannot make a folder read-only here (root without setpriv, or capabilities kept)");
            return;
        };
        let out = cmd.current_dir(root()).env("PEILIAN_HOME", &home).env_remove("PEILIAN_DB").output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("小读") || text(&out).contains("transferred"), "{args:?}: {}", text(&out));
    }
    let after: Vec<_> = std::fs::read_dir(&ro).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(after, listing, "nothing created in the read-only folder");
}

#[test]
fn reports_read_a_database_on_a_read_only_mount() {
    let dir = tempfile::tempdir().unwrap();
    let db = recorded_db(dir.path());
    let ro = db.parent().unwrap();
    // A private mount namespace: the read-only bind mount disappears with the command.
    let mount = r#"mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && ! touch "$1/probe" 2>/dev/null"#;
    let in_namespace = |then: &str| {
        Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &format!("{mount}{then}"), "sh"])
            .arg(ro)
            .arg(env!("CARGO_BIN_EXE_peilian"))
            .current_dir(root())
            .env("PEILIAN_HOME", dir.path().join("home"))
            .env_remove("PEILIAN_DB")
            .stderr(Stdio::piped())
            .output()
    };
    if !in_namespace("").is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: no private read-only mount possible here (needs unshare and mount privileges)");
        return;
    }
    let out = in_namespace(r#" && exec "$2" report --trainee 小读 --json --db "$1/r.db""#).unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["completed"], 1);
}

/// `chattr +i` on a folder: nothing can be created in it, not even by root (needs root and
/// ext4 or similar); cleared when dropped.
struct ImmutableDir(PathBuf);

impl ImmutableDir {
    fn set(dir: &Path) -> Option<ImmutableDir> {
        let ok = Command::new("chattr").arg("+i").arg(dir).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
        let guard = ok.then(|| ImmutableDir(dir.to_path_buf()));
        // Make sure it holds (some filesystems accept the flag and ignore it).
        let probe = dir.join("probe");
        if std::fs::write(&probe, b"").is_ok() {
            let _ = std::fs::remove_file(&probe);
            return None;
        }
        guard
    }
}

impl Drop for ImmutableDir {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn the_recorder_reads_a_database_in_a_folder_nothing_can_be_written_to() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("shared");
    std::fs::create_dir(&folder).unwrap();
    let db = folder.join("r.db");
    let roots = vec![dir.path().join("recovery")];
    let mut store = Store::open(&db).unwrap();
    store.apply_all(&real_ops(&new_uuid(), "小读")).unwrap();
    drop(store);
    let Some(guard) = ImmutableDir::set(&folder) else {
        eprintln!("skipped: `chattr +i` on a folder is not possible here (needs root on ext4)");
        return;
    };
    // The app's dashboard reads through the recorder: the store is there, read-only.
    let (mut recorder, error) = Recorder::open_with(&db, roots.clone());
    assert!(matches!(error, Some(StoreError::ReadOnly { .. } | StoreError::Open { .. })), "{error:?}");
    let reader = recorder.store().expect("kept for reading");
    assert!(reader.is_read_only());
    assert_eq!(count_sessions(reader), 1);
    // New records wait in a recovery file, keyed by the database's identity (read).
    let ops = real_ops(&new_uuid(), "小写");
    let saved: Vec<Saved> = ops.into_iter().map(|op| recorder.record(op)).collect();
    assert!(saved.iter().all(|s| matches!(s, Saved::Deferred { recovery_file: Some(_), .. })), "{saved:?}");
    let file = recorder.recovery_file().unwrap().to_path_buf();
    assert!(file.parent().unwrap().file_name().unwrap().to_string_lossy().starts_with("db-"));
    // Reports through the binary.
    let out = peilian(&dir.path().join("home"))
        .args(["report", "--trainee", "小读", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    drop(recorder);
    drop(guard);
    let (mut back, error) = Recorder::open_with(&db, roots);
    assert!(error.is_none(), "{error:?}");
    assert_eq!((back.imports().files, count_sessions(back.store().unwrap())), (1, 2));
    assert!(!file.exists());
}

#[test]
fn a_read_only_folder_with_a_leftover_wal_says_the_latest_records_may_be_missing() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("shared");
    std::fs::create_dir(&folder).unwrap();
    let db = folder.join("r.db");
    let home = dir.path().join("home");
    let out = practice(&home, &db, "小早", CALL);
    assert!(out.status.success(), "{}", text(&out));
    // A second practice killed mid-call: its turn is in the -wal file, never checkpointed.
    let mut cmd = peilian(&home);
    cmd.args(["practice", VIP, "--seed", "1", "--trainee", "小晚", "--db"]).arg(&db);
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all("李总您好，非常抱歉，我马上帮您核实。\n".as_bytes()).unwrap();
    stdin.flush().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while count(&db, "SELECT count(*) FROM turns") < 3 {
        assert!(std::time::Instant::now() < deadline, "turn never recorded");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    let wal = folder.join("r.db-wal");
    if !std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        eprintln!("skipped: the killed writer left no -wal content");
        return;
    }
    let _ = std::fs::remove_file(folder.join("r.db-shm"));
    let Some(_guard) = ImmutableDir::set(&folder) else {
        eprintln!("skipped: `chattr +i` on a folder is not possible here (needs root on ext4)");
        return;
    };
    let out = peilian(&home).args(["report", "--db"]).arg(&db).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("-wal 文件里最近的记录无法读出"), "{}", text(&out));
}

#[test]
fn a_read_only_open_creates_nothing_and_reads_a_read_only_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    assert!(matches!(Store::open_read_only(&missing), Err(StoreError::Open { .. })));
    assert!(!missing.exists(), "not created");
    let db = dir.path().join("r.db");
    let mut store = Store::open(&db).unwrap();
    store.apply_all(&real_ops(&new_uuid(), "小读")).unwrap();
    drop(store);
    let reader = Store::open_read_only(&db).unwrap();
    assert!(reader.is_read_only());
    assert_eq!(count_sessions(&reader), 1);
    assert!(reader.identity().unwrap().is_some());
}

#[test]
fn a_locked_database_is_waited_for_once_then_the_call_goes_on_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("locked.db");
    let roots = vec![dir.path().join("recovery")];
    drop(Store::open(&db).unwrap());
    let blocker = Connection::open(&db).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    // Opening an up-to-date database needs no write lock.
    let (mut recorder, error) = Recorder::open_with(&db, roots.clone());
    assert!(error.is_none(), "{error:?}");
    let busy = |r: &mut Recorder| -> i64 {
        r.store().unwrap().conn().query_row("PRAGMA busy_timeout", [], |row| row.get(0)).unwrap()
    };
    assert_eq!(busy(&mut recorder), RECORDER_WAIT.as_millis() as i64, "a short first wait, not 15 s");
    let ops = real_ops(&new_uuid(), "小锁");
    let first = recorder.record(ops[0].clone());
    assert!(
        matches!(&first, Saved::Deferred { reason, recovery_file: Some(_) } if reason.contains("占用")),
        "{first:?}"
    );
    assert_eq!(busy(&mut recorder), 0, "after one lock timeout the rest fails fast");
    assert!(matches!(recorder.record(ops[1].clone()), Saved::Deferred { recovery_file: Some(_), .. }));
    assert!(matches!(recorder.record(ops[2].clone()), Saved::Deferred { recovery_file: Some(_), .. }));
    assert_eq!(busy(&mut recorder), 0);
    let file = recorder.recovery_file().unwrap().to_path_buf();
    // The lock goes; the finish waits once more and everything lands.
    blocker.execute_batch("COMMIT").unwrap();
    assert_eq!(recorder.record_patiently(ops[3].clone()), Saved::Stored);
    assert_eq!(busy(&mut recorder), RECORDER_WAIT.as_millis() as i64);
    assert_eq!(recorder.pending(), 0);
    assert!(!file.exists(), "a recovery file whose records are all stored is removed");
    assert_eq!(count(&db, "SELECT count(*) FROM sessions WHERE ended_ms IS NOT NULL"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM turns"), 2);
}

#[test]
fn a_session_recording_stays_fast_while_locked_and_retries_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("locked.db");
    let (mut recorder, _) = Recorder::open_with(&db, vec![dir.path().join("recovery")]);
    let blocker = Connection::open(&db).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    recorder.store().unwrap().set_busy_timeout(Duration::ZERO).unwrap();
    let (mut session, _) = Session::start(engine(&fixture("valid/vip-window.ron")), 1, Mode::Practice);
    let (mut rec, saved) = SessionRecording::start(&mut recorder, "小锁", None, &session);
    assert!(matches!(saved, Saved::Deferred { .. }));
    session.answer("李总您好，非常抱歉，我马上帮您核实。", 2000).unwrap();
    assert!(matches!(rec.sync(&mut recorder, &session), Saved::Deferred { .. }));
    session.transfer("李总订单 DD20261118 重复扣款", 1000).unwrap();
    let card = session.scorecard();
    // Still locked at the finish: deferred to the recovery file, nothing lost.
    let end = rec.finish(&mut recorder, &session, &card);
    assert!(matches!(&end, Saved::Deferred { recovery_file: Some(f), .. } if f.exists()), "{end:?}");
    let lines = std::fs::read_to_string(recorder.recovery_file().unwrap()).unwrap().lines().count();
    assert_eq!(lines, 5, "header, start, answer, transfer, finish");
}

#[test]
fn handoff_notes_have_a_length_limit() {
    let (mut session, _) = Session::start(engine(&fixture("valid/vip-window.ron")), 1, Mode::Practice);
    let long = "订".repeat(MAX_NOTE_CHARS + 1);
    assert_eq!(
        session.transfer(&long, 0),
        Err(SessionError::NoteTooLong { chars: MAX_NOTE_CHARS + 1, max: MAX_NOTE_CHARS })
    );
    assert!(!session.is_over(), "refused, the call goes on");
    assert!(session.transfer(&"订".repeat(MAX_NOTE_CHARS), 0).is_ok());
    // Through the terminal: said, and the call goes on to a real transfer.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let input = format!("/transfer {}\n{CALL}", "长".repeat(100_000));
    let out = practice(&dir.path().join("home"), &db, "小长", &input);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("转接说明有 100000 个字，超过上限 2000 字"), "{}", text(&out));
    assert_eq!(count(&db, "SELECT count(*) FROM turns WHERE kind = 'transfer'"), 1);
    assert!(count(&db, "SELECT max(length(text)) FROM turns") <= MAX_NOTE_CHARS as i64);
}

#[test]
fn huge_and_malformed_latencies_are_refused_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let input =
        format!("@18446744073709551615ms 李总您好\n@12x 李总您好\n@-3s 李总您好\n@s 李总您好\n@1e99s 李总您好\n{CALL}");
    let out = practice(&dir.path().join("home"), &db, "小时", &input);
    assert!(out.status.success(), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("“@18446744073709551615ms”超过用时上限 3600 秒"), "{all}");
    for token in ["@12x", "@-3s", "@s", "@1e99s"] {
        assert!(all.contains(&format!("“{token}”不是有效的用时")), "{token}: {all}");
    }
    assert_eq!(count(&db, "SELECT count(*) FROM turns WHERE latency_ms < 0 OR latency_ms > 3600000"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM turns WHERE text LIKE '%@%'"), 0, "not kept as answer text");
    assert_eq!(count(&db, "SELECT count(*) FROM turns WHERE kind = 'answer'"), 1);
}

proptest! {
    #[test]
    fn any_line_parses_without_panic_and_latencies_stay_in_range(line in any::<String>()) {
        match Input::parse(&line) {
            Input::Answer { latency_ms: Some(ms), .. } | Input::Transfer { latency_ms: Some(ms), .. } | Input::Silence(ms) => {
                prop_assert!(ms <= MAX_LATENCY_MS);
            }
            _ => {}
        }
    }

    #[test]
    fn a_latency_prefix_is_taken_or_refused_never_turned_into_text(ms in any::<u64>(), unit in prop::sample::select(vec!["ms", "s"])) {
        let scale = if unit == "s" { 1000u128 } else { 1 };
        match Input::parse(&format!("@{ms}{unit} 您好")) {
            Input::Answer { text, latency_ms: Some(got) } => {
                prop_assert_eq!(text, "您好");
                prop_assert_eq!(u128::from(got), u128::from(ms) * scale);
            }
            Input::Invalid(why) => {
                prop_assert!(u128::from(ms) * scale > u128::from(MAX_LATENCY_MS));
                prop_assert!(why.contains("上限"));
            }
            other => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn arbitrary_recovery_files_never_panic_and_never_import(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("recovery");
        let db = dir.path().join("r.db");
        let mut store = Store::open(&db).unwrap();
        let owner = Owner::of(&db, store.identity().unwrap().as_ref());
        let mut j = Journal::create(&root, &owner, "fuzz").unwrap();
        let path = j.path().to_path_buf();
        j.append(&[]).unwrap();
        drop(j);
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(&bytes).unwrap();
        // Another test thread that forks a child while the journal is open shares its lock
        // until the child execs: the file then reads as in use for a moment. Try again.
        let mut report = import_recovery(&mut store, std::slice::from_ref(&root)).unwrap();
        for _ in 0..100 {
            if report.in_use == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            report = import_recovery(&mut store, std::slice::from_ref(&root)).unwrap();
        }
        prop_assert_eq!(report.files + report.bad.len(), 1);
        prop_assert_eq!(count_sessions(&store), 0);
    }
}
