//! `peilian concepts`: which answers each concept misses, from the scenario's own answers and
//! from recorded sessions, with the closest words.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::{json, root, stderr, stdout};

const FIXTURE: &str = "tests/fixtures/concepts/refund.ron";

/// The binary with a private home and `PEILIAN_DB` at `db` (which may not exist).
fn peilian(home: &Path, db: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peilian"));
    cmd.current_dir(root())
        .env_remove("PEILIAN_SCENARIOS")
        .env_remove("PEILIAN_MOOD_MODEL")
        .env("PEILIAN_HOME", home)
        .env("PEILIAN_DB", db)
        .env("TMPDIR", home);
    cmd
}

fn run_in(home: &Path, db: &Path, args: &[&str]) -> Output {
    peilian(home, db).args(args).stdin(Stdio::null()).output().expect("run peilian")
}

fn concept<'a>(scenario: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    scenario["concepts"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn the_scenarios_own_answers_without_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let no_db = dir.path().join("none.db");
    let out = run_in(dir.path(), &no_db, &["concepts", FIXTURE, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = json(&out);
    assert!(doc["database"].is_null());
    assert!(!no_db.exists(), "no database is created");
    let s = &doc["scenarios"][0];
    assert_eq!(s["scenario"], "fixture-concepts");
    assert_eq!(s["answers"]["samples"], 2);
    assert_eq!(s["answers"]["model_answers"], 2);
    assert_eq!(s["answers"]["recorded"], 0);
    let timeline = concept(s, "timeline");
    assert_eq!((timeline["expected"].as_u64(), timeline["heard"].as_u64()), (Some(4), Some(2)));
    let typo = &timeline["misses"][0];
    assert_eq!(typo["turn_id"], "when");
    assert_eq!(typo["sources"][0]["kind"], "sample");
    assert_eq!(typo["sources"][0]["index"], 1);
    assert_eq!(typo["closest"][0]["phrase"], "三个工作日");
    assert_eq!(typo["closest"][0]["stretch"], "三个工做日");
    assert_eq!(typo["closest"][0]["similarity"].as_f64().map(|x| (x * 100.0).round()), Some(80.0));
    let apology = concept(s, "apology");
    assert_eq!((apology["expected"].as_u64(), apology["heard"].as_u64()), (Some(2), Some(1)));
    let hours = concept(s, "hours");
    assert_eq!(hours["has_phrases"], false);
    assert_eq!(hours["misses"][0]["closest"].as_array().map(Vec::len), Some(0));

    let text = stdout(&run_in(dir.path(), &no_db, &["concepts", FIXTURE]));
    assert!(text.contains("没有练习记录数据库"), "{text}");
    assert!(text.contains("退款时效（timeline） 命中 2/4，遗漏 2"), "{text}");
    assert!(text.contains("× 回合 when · 样例 2 · 必需：钱会在三个工做日内到。"), "{text}");
    assert!(text.contains("最接近：「三个工作日」≈「三个工做日」0.80"), "{text}");
    assert!(text.contains("这个概念只有模式或动作"), "{text}");
    assert!(text.contains("没有回合用（unused） 没有回合要求或期望它"), "{text}");
    // The model answers say the apology: it is listed as missed only by the sample.
    assert!(text.contains("致歉（apology） 命中 1/2，遗漏 1"), "{text}");
    assert!(!text.contains("示范回答 · 必需"), "model answers hit every required concept: {text}");

    let one = json(&run_in(dir.path(), &no_db, &["concepts", FIXTURE, "--concept", "apology", "--json"]));
    let ids: Vec<&str> =
        one["scenarios"][0]["concepts"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["apology"]);
    let again = run_in(dir.path(), &no_db, &["concepts", FIXTURE, "--json"]);
    assert_eq!(stdout(&again), stdout(&out), "the same answers give the same report");
}

#[test]
fn recorded_answers_are_read_from_the_database_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let mut child = peilian(dir.path(), &db)
        .args(["practice", FIXTURE, "--seed", "1", "--db", db.to_str().unwrap(), "--trainee", "小李"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all("您好，请问有什么可以帮您？\n这笔钱没法原路退回。\n".as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let before = std::fs::read(&db).unwrap();
    let mut perms = std::fs::metadata(&db).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&db, perms).unwrap();

    let out = run_in(dir.path(), &db, &["concepts", FIXTURE, "--db", db.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = json(&out);
    let s = &doc["scenarios"][0];
    assert_eq!(s["answers"]["recorded"], 2);
    let timeline = concept(s, "timeline");
    // Two samples, two model answers, two recorded answers; only the model answers say it.
    assert_eq!((timeline["expected"].as_u64(), timeline["heard"].as_u64()), (Some(6), Some(2)));
    let recorded: Vec<&serde_json::Value> = timeline["misses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["sources"].as_array().unwrap().iter().any(|s| s["kind"] == "recorded"))
        .collect();
    assert_eq!(recorded.len(), 2);
    // Required at "when" first, then optional at "open".
    assert_eq!(recorded[0]["turn_id"], "when");
    assert_eq!(recorded[0]["answer"], "这笔钱没法原路退回。");
    assert_eq!(recorded[0]["negated"][0], "原路退回");
    assert_eq!(recorded[0]["sources"][0]["session_id"], 1);
    assert_eq!(recorded[0]["sources"][0]["trainee"], "小李");
    // The same words as sample 1 at "open": one miss with both sources.
    assert_eq!(recorded[1]["turn_id"], "open");
    assert_eq!(recorded[1]["sources"].as_array().map(Vec::len), Some(2));
    assert_eq!(recorded[1]["sources"][0]["kind"], "sample");
    let apology = concept(s, "apology");
    assert_eq!((apology["expected"].as_u64(), apology["heard"].as_u64()), (Some(3), Some(1)));

    // The default database (here `PEILIAN_DB`) is used when it exists.
    let text = stdout(&run_in(dir.path(), &db, &["concepts", FIXTURE]));
    assert!(text.contains(&format!("练习记录：{}", db.display())), "{text}");
    assert!(text.contains("× 回合 when · 记录 #1（小李） · 必需：这笔钱没法原路退回。"), "{text}");
    assert!(text.contains("说了但被否定：「原路退回」（不算）"), "{text}");
    assert!(
        text.contains("× 回合 open · 样例 1、记录 #1（小李），共 2 次 · 必需：您好，请问有什么可以帮您？"),
        "{text}"
    );
    assert!(text.contains("回答：样例 2 条、示范回答 2 条、记录 2 条"), "{text}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "read only: the database is unchanged");

    let mut perms = std::fs::metadata(&db).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&db, perms).unwrap();
}

#[test]
fn bad_scenarios_concepts_and_databases_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let no_db = dir.path().join("none.db");
    let broken = "tests/fixtures/invalid/unknown-concept.ron";
    let out = run_in(dir.path(), &no_db, &["concepts", FIXTURE, broken]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("场景文件 {broken} 无法加载")), "{}", stderr(&out));
    assert!(stdout(&out).contains("fixture-concepts"), "the good scenario is still reported");
    assert!(stdout(&out).contains("1 个场景无法加载"), "{}", stdout(&out));

    let nope = run_in(dir.path(), &no_db, &["concepts", FIXTURE, "--concept", "nope"]);
    assert_eq!(nope.status.code(), Some(2));
    assert!(stderr(&nope).contains("场景“fixture-concepts”没有概念“nope”"), "{}", stderr(&nope));

    let missing_db = dir.path().join("missing.db");
    let out = run_in(dir.path(), &no_db, &["concepts", FIXTURE, "--db", missing_db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("不存在"), "{}", stderr(&out));
    assert!(!missing_db.exists());

    let not_a_db = dir.path().join("junk.db");
    std::fs::write(&not_a_db, "这不是数据库").unwrap();
    let out = run_in(dir.path(), &no_db, &["concepts", FIXTURE, "--db", not_a_db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("junk.db"), "{}", stderr(&out));

    let gone = run_in(dir.path(), &no_db, &["concepts", "tests/fixtures/concepts/nope.ron"]);
    assert_eq!(gone.status.code(), Some(2));
    assert!(stderr(&gone).contains("nope.ron"), "{}", stderr(&gone));
}
