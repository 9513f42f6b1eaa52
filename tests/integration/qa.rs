//! `peilian qa`: real calls scored per agent (figures, quotes, recommendations), personal data
//! kept out of every output, re-runs that never double-count, bad input named by file and line,
//! and `peilian report` showing the real calls beside practice.

use std::path::Path;

use crate::support::{bin, fixture, json, run, stderr, stdout};

fn qa(args: &[&str]) -> std::process::Output {
    let mut all = vec!["qa", "--quiet"];
    all.extend_from_slice(args);
    run(&all)
}

fn path(rel: &str) -> String {
    fixture(rel).display().to_string()
}

fn agent<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == name)
        .unwrap_or_else(|| panic!("{name}: {report}"))
}

fn kinds(card: &serde_json::Value) -> Vec<String> {
    card["findings"].as_array().unwrap().iter().map(|k| k["kind"].as_str().unwrap().to_string()).collect()
}

#[test]
fn each_agent_gets_a_scorecard_with_quotes_and_practice_to_do() {
    let out = qa(&["--json", "--agent-field", "agent_id", &path("qa/calls.jsonl")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!((r["dialogues"].as_u64(), r["calls"].as_u64(), r["turns_scored"].as_u64()), (Some(6), Some(6), Some(8)));
    let names: Vec<&str> = r["agents"].as_array().unwrap().iter().map(|a| a["agent"].as_str().unwrap()).collect();
    assert_eq!(names, ["李强", "王芳", "陈静"], "sorted by name");

    // The rude and the blaming agent: three unacceptable breaches in two calls, manner 0.
    let w = agent(&r, "王芳");
    assert_eq!(
        (w["calls"].as_u64(), w["breaches"].as_u64(), w["calls_with_breach"].as_u64()),
        (Some(2), Some(3), Some(2))
    );
    assert_eq!(w["manner"].as_f64(), Some(0.0));
    assert_eq!(kinds(w), ["insult", "attack", "blame"]);
    let insult = &w["findings"][0]["samples"][0];
    assert_eq!((insult["dialogue_id"].as_str(), insult["turn"].as_u64()), (Some("d1"), Some(2)));
    assert_eq!(insult["quote"], "你是不是傻");
    assert_eq!(w["findings"][2]["samples"][0]["quote"], "这都是你自己的问题");
    let weakest: Vec<&str> = w["weakest"].as_array().unwrap().iter().map(|s| s["skill"].as_str().unwrap()).collect();
    assert_eq!(weakest, ["compliance", "deescalation", "empathy"]);
    let recs = w["recommendations"].as_array().unwrap();
    assert_eq!(recs.len(), 3);
    assert!(recs[0]["reason"].as_str().unwrap().contains("合规"), "{recs:?}");

    // The password, the promise without a time, asking again for the phone number given.
    let l = agent(&r, "李强");
    assert_eq!(kinds(l), ["security_breach", "asked_twice", "commit_no_time"]);
    let breach = &l["findings"][0]["samples"][0];
    assert_eq!((breach["dialogue_id"].as_str(), breach["label"].as_str()), (Some("d3"), Some("索要密码")));
    assert_eq!(breach["severity"], "breach");
    let asked = &l["findings"][1]["samples"][0];
    assert_eq!((asked["dialogue_id"].as_str(), asked["turn"].as_u64()), (Some("d5"), Some(2)));
    assert_eq!(asked["label"], "客户已提供手机号，又问了一遍");
    assert_eq!(l["findings"][2]["samples"][0]["quote"], "我们会帮您跟进处理的");
    assert_eq!(l["findings"][2]["count"], 1, "checking at once (帮您查一下) needs no time");

    // The good agent: nothing found, a good manner, an apology counted.
    let c = agent(&r, "陈静");
    assert_eq!((c["incidents"].as_u64(), c["acts"]["apologize"].as_u64()), (Some(0), Some(1)));
    assert!(c["manner"].as_f64().unwrap() >= 70.0, "{c}");
    assert!(c["weakest"].as_array().unwrap().is_empty());

    let totals: Vec<(&str, u64)> = r["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kind"].as_str().unwrap(), k["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        totals,
        [("insult", 1), ("attack", 1), ("blame", 1), ("security_breach", 1), ("asked_twice", 1), ("commit_no_time", 1)]
    );

    // Same input, same output; the terminal shows the same figures.
    let again = qa(&["--json", "--agent-field", "agent_id", &path("qa/calls.jsonl")]);
    assert_eq!(stdout(&out), stdout(&again));
    let text = stdout(&qa(&["--agent-field", "agent_id", &path("qa/calls.jsonl")]));
    assert!(
        text.contains("══ 坐席 王芳 ══") && text.contains("[严重] 辱骂客户：「你是不是傻」（对话 d1 第 2 轮）"),
        "{text}"
    );
}

#[test]
fn a_csv_export_names_its_agents_in_a_column() {
    let out = qa(&["--json", "--agent-field", "坐席", &path("qa/calls.csv")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = json(&out);
    let l = agent(&r, "李强");
    assert_eq!(kinds(l), ["asked_twice"], "{l}");
    assert_eq!(agent(&r, "陈静")["incidents"], 0);
}

#[test]
fn without_agent_ids_the_helpdesk_is_one_agent_or_one_per_mentioned_account() {
    let r = json(&qa(&["--json", &path("qa/calls.jsonl")]));
    let names: Vec<&str> = r["agents"].as_array().unwrap().iter().map(|a| a["agent"].as_str().unwrap()).collect();
    assert_eq!(names, ["客服"]);
    assert_eq!(r["agents"][0]["calls"], 6);
    let r = json(&qa(&["--json", "--agent", "热线组", &path("qa/calls.jsonl")]));
    assert_eq!(r["agents"][0]["agent"], "热线组");
    let r = json(&qa(&["--json", "--agent-from-mentions", &path("qa/mentions.jsonl")]));
    let names: Vec<&str> = r["agents"].as_array().unwrap().iter().map(|a| a["agent"].as_str().unwrap()).collect();
    assert_eq!(names, ["中国联通客服", "锤子科技客服", "（未识别的客服账号）"]);
}

#[test]
fn personal_data_in_the_export_appears_in_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("qa.db");
    let db = db.to_str().unwrap();
    let input = path("qa/calls.jsonl");
    let secrets = ["13912345678", "张伟", "建国路88号", "阳光小区"];
    let mut outputs = Vec::new();
    for args in [vec!["--json"], vec![], vec!["--db", db]] {
        let mut all = args.clone();
        all.extend(["--agent-field", "agent_id", input.as_str()]);
        let out = qa(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        outputs.push(stdout(&out));
        outputs.push(stderr(&out));
    }
    let conn = rusqlite::Connection::open(db).unwrap();
    for (table, cols) in [
        ("qa_calls", "agent || dialogue_id"),
        ("qa_findings", "label || quote || kind || skill"),
        ("qa_runs", "inputs || agents_from"),
    ] {
        let mut stmt = conn.prepare(&format!("SELECT {cols} FROM {table}")).unwrap();
        outputs.extend(stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap));
    }
    let report = run(&["report", "--db", db, "--trainee", "李强", "--json"]);
    outputs.push(stdout(&report));
    let all = outputs.join("\n");
    assert!(all.contains("[手机号]") || all.contains("李强"), "the outputs were gathered");
    for s in secrets {
        assert!(!all.contains(s), "{s} leaked");
    }
}

fn trainee(db: &Path, name: &str) {
    let mut store = peilian::records::store::Store::open(db).unwrap();
    store.trainee_id(name, Some("一组")).unwrap();
}

#[test]
fn qa_twice_on_the_same_export_counts_each_call_once_and_the_report_shows_it_by_week() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("qa.db");
    let db_s = db.to_str().unwrap();
    trainee(&db, "王芳");
    let input = path("qa/calls.jsonl");
    for (date, new) in [("2026-03-02", "新增 6，更新 0"), ("2026-03-09", "新增 0，更新 6")] {
        let out = qa(&["--agent-field", "agent_id", "--db", db_s, "--date", date, &input]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains(new), "{}", stderr(&out));
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (calls, findings): (i64, i64) = conn
        .query_row("SELECT (SELECT count(*) FROM qa_calls), (SELECT count(*) FROM qa_findings)", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((calls, findings), (6, 6));

    let out = run(&["report", "--db", db_s, "--trainee", "王芳", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["trainee"], "王芳");
    assert_eq!(r["sessions"], 0, "the practice part is there");
    let q = &r["real_calls"];
    assert_eq!((q["calls"].as_u64(), q["breaches"].as_u64(), q["manner"].as_f64()), (Some(2), Some(3), Some(0.0)));
    assert_eq!(q["weeks"].as_array().unwrap().len(), 1, "calls keep the date they were first QA'd");
    assert_eq!((q["weeks"][0]["week"].as_str(), q["weeks"][0]["real_calls"].as_u64()), (Some("2026-03-02"), Some(2)));
    assert_eq!(q["findings"][0]["quote"], "你是不是傻");
    let text = stdout(&run(&["report", "--db", db_s, "--trainee", "王芳"]));
    assert!(
        text.contains("真实通话质检") && text.contains("[严重] 辱骂客户：「你是不是傻」（对话 d1 第 2 轮）"),
        "{text}"
    );
    // An agent who is no trainee: the real calls alone.
    let r = json(&run(&["report", "--db", db_s, "--trainee", "陈静", "--json"]));
    assert_eq!((r["trainee"].as_str(), r["real_calls"]["calls"].as_u64()), (Some("陈静"), Some(1)));
    let html = dir.path().join("r.html");
    let out = run(&["report", "--db", db_s, "--trainee", "王芳", "--html", html.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("真实通话质检") && page.contains("2026-03-02"), "{page}");
    assert!(!run(&["report", "--db", db_s, "--trainee", "无此人"]).status.success());
}

#[test]
fn bad_input_is_named_by_file_and_line_never_a_panic() {
    // A broken JSON line among good ones: reported, the rest scored.
    let out = qa(&["--json", "--agent-field", "agent_id", &path("qa/invalid/bad_line.jsonl")]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("bad_line.jsonl:2: 不是有效的 JSON"), "{err}");
    assert_eq!(json(&out)["dialogues"], 1);

    let cases: [(&[&str], &str, &str); 4] = [
        (&["--agent-field", "agent_id"], "qa/invalid/empty.jsonl", "empty.jsonl:1: 文件是空的"),
        (
            &["--agent-field", "坐席"],
            "qa/invalid/no_agent_column.csv",
            "no_agent_column.csv:1: 表头里没有坐席列“坐席”（有：“dialogue_id”",
        ),
        (
            &["--agent-field", "agent_id"],
            "qa/invalid/no_agent_field.jsonl",
            "no_agent_field.jsonl:1: 这段对话没有坐席字段“agent_id”",
        ),
        (&["--date", "2026-02-30"], "qa/calls.jsonl", "--date “2026-02-30” 不是日期"),
    ];
    for (flags, file, want) in cases {
        let mut args = flags.to_vec();
        let p = path(file);
        args.push(&p);
        let out = qa(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(want), "{file}: {err}");
        assert!(err.contains("提示"), "{file}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = qa(&["--agent-field", "agent_id", "no/such/file.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("file.jsonl") && stderr(&out).contains("不存在"), "{}", stderr(&out));
    let out = bin().args(["qa", "--agent-field", "x", "--agent-from-mentions", "a.jsonl"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "clap refuses two ways of naming agents");
}
