//! Coaching reports checked against figures computed by hand: incidents (a conduct breach, a
//! premature transfer, a hang-up, a false promise) never read as clean passes, skills come from
//! the turns that exercised them, periods of dates, the per-scenario view, and the version-5
//! migration backfilling the same incidents and skills the recording path writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use peilian::records::coaching::{Period, scenario_report, team_report, trainee_report, trainee_report_in};
use peilian::records::ops::{Finish, Op, RubricColumns, SessionStart, TurnRecord};
use peilian::records::store::Store;
use rusqlite::Connection;

use crate::support::{json, root, stderr, stdout};

const REFUND: &str = "tests/fixtures/coaching/angry-late-delivery-refund.ron";
const FRAUD: &str = "tests/fixtures/coaching/anxious-bank-card-fraud-freeze.ron";

/// A good refund call: apology, empathy, the time limits, expediting, a call-back time.
const GOOD_REFUND: &str =
    "@4s 王先生，非常抱歉让您等了这么久，换作是我也会着急。麻烦您告诉我退货单号，我马上帮您查一下。
@6s 谢谢王先生，商家已经签收，正在质检，质检 1-2 个工作日，通过后 3 个工作日内原路退回，我帮您加急处理。
@5s 理解您的心情，确实让您久等了。我马上给您提交加急质检并全程跟进，明天下午前一定给您回电，请您放心。
@4s 好的王先生，明天下午前一定给您回电，给您添麻烦了，感谢您的理解。
";
/// The same call, with impatience (说了多少遍了) in the second answer: its only fault.
const RUDE_REFUND: &str = "@4s 王先生，非常抱歉让您等了这么久，换作是我也会着急。麻烦您告诉我退货单号，我马上帮您查一下。
@6s 谢谢王先生，商家已经签收，正在质检，质检 1-2 个工作日，通过后 3 个工作日内原路退回，我帮您加急处理。说了多少遍了，质检完成后会退款的。
@5s 理解您的心情，确实让您久等了。我马上给您提交加急质检并全程跟进，明天下午前一定给您回电，请您放心。
@4s 好的王先生，明天下午前一定给您回电，给您添麻烦了，感谢您的理解。
";
/// A false promise (今天就给您退款, a forbidden act) and a guarantee (我保证准点到账).
const PROMISING_REFUND: &str = "@4s 王先生，非常抱歉让您等了这么久，换作是我也会着急。麻烦您告诉我退货单号，我马上帮您查一下。
@6s 谢谢王先生，商家已经签收，正在质检，质检 1-2 个工作日，通过后 3 个工作日内原路退回，我帮您加急处理，今天就给您退款，我保证准点到账。
@5s 理解您的心情，确实让您久等了。我马上给您提交加急质检并全程跟进，明天下午前一定给您回电，请您放心。
";
/// Curt answers: the customer hangs up after the first.
const CURT_REFUND: &str = "@25s 单号多少\n@30s 不归我管，你自己联系商家。\n";
/// A good first answer, then a transfer at turn 2: the window is turns 3–4 (its only fault).
const EARLY_TRANSFER: &str = "@4s 刘女士，您先别着急，我马上帮您把卡冻结，冻结后就不会再被转走了。为了尽快操作，麻烦您报一下卡号后四位和身份证后四位。
/transfer 客户刘女士被冒充航空公司诈骗，验证码泄露，被转走4800元，卡尾号3391，需登记争议交易。
";
const EARLY_NOTE: &str = "客户刘女士被冒充航空公司诈骗，验证码泄露，被转走4800元，卡尾号3391，需登记争议交易。";

struct Lab {
    _dir: tempfile::TempDir,
    home: PathBuf,
    db: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let db = dir.path().join("coaching.db");
        Lab { _dir: dir, home, db }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_peilian"));
        cmd.current_dir(root())
            .env("PEILIAN_HOME", &self.home)
            .env("TMPDIR", &self.home)
            .env("TZ", "UTC")
            .env_remove("PEILIAN_DB")
            .env_remove("PEILIAN_SCENARIOS")
            .args(args)
            .args(["--db", self.db.to_str().unwrap()]);
        cmd
    }

    /// One practice call through the real command; its `--json` document.
    fn practice(&self, scenario: &str, trainee: &str, team: &str, answers: &str) -> serde_json::Value {
        let mut child = self
            .cmd(&["practice", scenario, "--seed", "1", "--trainee", trainee, "--team", team, "--json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(answers.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let doc = json(&out);
        assert_eq!(doc["record"]["saved"], "database", "{doc}");
        doc
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).stdin(Stdio::null()).output().unwrap()
    }

    fn store(&self) -> Store {
        Store::open_read_only(&self.db).unwrap()
    }
}

fn overall(doc: &serde_json::Value) -> f32 {
    doc["scorecard"]["overall"].as_f64().unwrap() as f32
}

fn round1(x: f32) -> f32 {
    (x * 10.0).round() / 10.0
}

#[test]
fn a_conduct_breach_or_a_premature_transfer_is_never_a_clean_pass() {
    let lab = Lab::new();
    let good = lab.practice(REFUND, "小良", "一组", GOOD_REFUND);
    let rude = lab.practice(REFUND, "小粗", "一组", RUDE_REFUND);
    let early = lab.practice(FRAUD, "小早", "一组", EARLY_TRANSFER);
    assert_eq!(good["scorecard"]["passed"], true);
    assert_eq!(good["scorecard"]["incidents"], serde_json::json!([]));
    // The scorer lets the early transfer pass; the incident is still on its scorecard.
    assert_eq!(early["scorecard"]["passed"], true, "{}", early["scorecard"]["summary"]);
    assert_eq!(
        early["scorecard"]["incidents"],
        serde_json::json!([{"kind": "premature_transfer", "label": "早于应转接的回合", "quote": EARLY_NOTE, "turn": 2}])
    );
    assert_eq!(rude["scorecard"]["incidents"][0]["quote"], "说了多少遍了");

    let store = lab.store();
    // 小粗: one completed session, failed by the scorer (the breach caps it), one incident.
    let r = trainee_report(&store, "小粗", &[]).unwrap();
    assert_eq!((r.completed, r.passed, r.pass_rate), (1, 0, Some(0.0)));
    assert_eq!((r.sessions_with_incidents, r.incidents.len()), (1, 1));
    let i = &r.incidents[0];
    assert_eq!((i.kind.as_str(), i.label.as_str(), i.quote.as_str(), i.turn), ("conduct", "不耐烦", "说了多少遍了", 2));
    assert_eq!(i.anchor(), format!("session-{}-turn-2", i.session_id));
    assert_eq!(r.average, Some(round1(overall(&rude))));
    // 小早: passed by the scorer, but with an incident: 0 % clean passes, not 100 %.
    let r = trainee_report(&store, "小早", &[]).unwrap();
    assert_eq!((r.completed, r.passed, r.passed_with_incidents, r.pass_rate), (1, 1, 1, Some(0.0)));
    assert_eq!(r.incidents[0].kind, "premature_transfer");
    assert_eq!((r.incidents[0].turn, r.incidents[0].quote.as_str()), (2, EARLY_NOTE));
    assert_eq!(r.timeline[0].incidents, 1);
    assert!(!r.timeline[0].clean_pass());
    assert!(!r.scenarios[0].passed, "a pass with an incident does not pass the scenario");
    // 小良: the clean pass.
    let r = trainee_report(&store, "小良", &[]).unwrap();
    assert_eq!((r.passed, r.pass_rate, r.incidents.len()), (1, Some(1.0), 0));

    // The team: 3 completed sessions, 2 passed by the scorer, 1 clean.
    let team = team_report(&store, Some("一组")).unwrap();
    let rate = |name: &str| team.rows.iter().find(|x| x.name == name).unwrap().pass_rate;
    assert_eq!((rate("小良"), rate("小粗"), rate("小早")), (Some(1.0), Some(0.0), Some(0.0)));
    let counts: Vec<(&str, &str, u32, u32)> =
        team.incident_counts.iter().map(|c| (c.kind.as_str(), c.label.as_str(), c.count, c.trainees)).collect();
    assert_eq!(counts, vec![("conduct", "不耐烦", 1, 1), ("premature_transfer", "早于应转接的回合", 1, 1)]);
    assert_eq!(team.incidents.len(), 2);
    // Over all dates the table reads the running totals; over a period that holds every session
    // it aggregates the sessions: the same rows.
    let everything = Period { since_ms: Some(0), until_ms: Some(i64::MAX / 2), ..Period::all() };
    let aggregated = peilian::records::coaching::team_report_in(&store, Some("一组"), &everything).unwrap();
    assert_eq!(team.rows, aggregated.rows);
    assert!(
        team.rows.iter().all(|r| r.average.is_some() && r.best.is_some() && r.last_ms.is_some()),
        "{:?}",
        team.rows
    );

    // Terminal, JSON, CSV and HTML all show them.
    let out = lab.run(&["report", "--trainee", "小早"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("通过率 0%") && text.contains("其中 1 次有事件"), "{text}");
    assert!(text.contains("过早转接 · 早于应转接的回合") && text.contains(EARLY_NOTE), "{text}");
    let out = lab.run(&["report", "--team", "一组", "--json"]);
    let doc = json(&out);
    assert_eq!(doc["incident_counts"].as_array().unwrap().len(), 2);
    let out = lab.run(&["report", "--team", "一组", "--csv", "--incidents"]);
    let csv = stdout(&out);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    let rude_row = rows.iter().find(|r| &r[1] == "小粗").unwrap();
    assert_eq!((&rude_row[3], &rude_row[5], &rude_row[7]), ("2", "conduct", "说了多少遍了"));
    let out = lab.run(&["report", "--team", "一组", "--csv"]);
    let csv = stdout(&out);
    assert!(csv.lines().next().unwrap().ends_with(",incidents,sessions_with_incidents"), "{csv}");
    let html_path = lab.home.join("team.html");
    let out = lab.run(&["report", "--team", "一组", "--html", html_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&html_path).unwrap();
    let rude_id = team.incidents.iter().find(|i| i.trainee == "小粗").unwrap().session_id;
    assert!(html.contains(&format!("href=\"#session-{rude_id}-turn-2\"")), "the incident links to its turn");
    assert!(!html.contains("没有事件记录"));
    // The replay of the session lists it too.
    let out = lab.run(&["replay", &rude_id.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("‼ 事件 1 个") && stdout(&out).contains("[第2回合] 不当言行 · 不耐烦：「说了多少遍了」")
    );
}

#[test]
fn the_scorecard_and_the_records_agree_on_every_incident() {
    let lab = Lab::new();
    let docs = [
        lab.practice(REFUND, "甲", "", PROMISING_REFUND),
        lab.practice(REFUND, "甲", "", CURT_REFUND),
        lab.practice(REFUND, "甲", "", RUDE_REFUND),
        lab.practice(FRAUD, "甲", "", EARLY_TRANSFER),
    ];
    // The false promise: a red line (the forbidden act, with the words) and the guarantee.
    let promise = &docs[0]["scorecard"]["incidents"];
    assert_eq!(promise[0]["kind"], "conduct");
    assert_eq!(promise[0]["quote"], "我保证准点到账");
    assert_eq!(promise[1]["kind"], "red_line");
    assert_eq!(promise[1]["label"], "承诺直接退款（坐席无权直接退款）");
    assert_eq!(promise[1]["quote"], "今天就给您退款");
    // The curt call: the customer hung up after the first answer.
    assert_eq!(
        docs[1]["scorecard"]["incidents"],
        serde_json::json!([{"kind": "hang_up", "label": "客户愤而挂断", "quote": "单号多少", "turn": 1}])
    );
    let store = lab.store();
    let r = trainee_report(&store, "甲", &[]).unwrap();
    // Oldest session first, as the calls were made.
    let mut from_records: Vec<(String, String, String, u32)> =
        r.incidents.iter().map(|i| (i.kind.clone(), i.label.clone(), i.quote.clone(), i.turn)).collect();
    from_records.reverse();
    let from_cards: Vec<(String, String, String, u32)> = docs
        .iter()
        .flat_map(|d| d["scorecard"]["incidents"].as_array().unwrap().clone())
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap().to_string();
            (s("kind"), s("label"), s("quote"), i["turn"].as_u64().unwrap() as u32)
        })
        .collect();
    // The list is newest first within a session too: compare as sets per session order.
    let mut a = from_records.clone();
    let mut b = from_cards.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(r.sessions_with_incidents, 4);
    assert_eq!(r.pass_rate, Some(0.0));
    // The red line panel counts the false promise.
    assert_eq!(r.red_lines[0].label, "承诺直接退款（坐席无权直接退款）");
}

#[test]
fn skills_come_from_the_turns_that_exercised_them() {
    let lab = Lab::new();
    let promise = lab.practice(REFUND, "乙", "", PROMISING_REFUND);
    let good = lab.practice(REFUND, "乙", "", GOOD_REFUND);
    // By hand: a skill's figure is the sum of the sessions' turn figures over their turns.
    let mut expect: std::collections::BTreeMap<String, (u32, f64, u32)> = Default::default();
    for doc in [&promise, &good] {
        for s in doc["scorecard"]["skills"].as_array().unwrap() {
            let e = expect.entry(s["skill"].as_str().unwrap().to_string()).or_default();
            e.0 += s["turns"].as_u64().unwrap() as u32;
            e.1 += s["score_sum"].as_f64().unwrap();
            e.2 += 1;
        }
    }
    let compliance = |doc: &serde_json::Value| {
        doc["scorecard"]["skills"].as_array().unwrap().iter().find(|s| s["skill"] == "compliance").cloned().unwrap()
    };
    // The call with the false promise ends after its second answer: 合规 100 in the first turn,
    // 0 in the second. The good call answers three turns, 100 each.
    assert_eq!(
        (compliance(&promise)["turns"].as_u64(), compliance(&promise)["score_sum"].as_f64()),
        (Some(2), Some(100.0))
    );
    assert_eq!((compliance(&good)["turns"].as_u64(), compliance(&good)["score_sum"].as_f64()), (Some(3), Some(300.0)));
    let store = lab.store();
    let r = trainee_report(&store, "乙", &[]).unwrap();
    assert_eq!(r.skills.len(), expect.len());
    for s in &r.skills {
        let (turns, sum, sessions) = expect[&s.skill];
        assert_eq!((s.turns, s.average), (turns, round1((sum / f64::from(turns)) as f32)), "{}", s.skill);
        assert_eq!(s.sessions, sessions, "{}", s.skill);
    }
    // 合规: (100 + 300) / (2 + 3) = 80; 共情 (empathy) stays 100: the skills of one scenario differ.
    let of = |k: &str| r.skills.iter().find(|s| s.skill == k).map(|s| s.average);
    assert_eq!(of("compliance"), Some(80.0));
    assert_eq!(of("empathy"), Some(100.0));
    // The weakest skill's evidence names the breach with the trainee's words.
    let weak = r.weakest.iter().find(|w| w.skill.skill == "compliance").expect("compliance is weak");
    assert!(weak.misses.iter().any(|m| m.label.contains("今天就给您退款")), "{:?}", weak.misses);
}

fn start(uuid: &str, trainee: &str, team: &str, scenario: &str, at: i64) -> Op {
    Op::Start(SessionStart {
        uuid: uuid.into(),
        trainee: trainee.into(),
        team: Some(team.into()),
        scenario_id: scenario.into(),
        scenario_version: 1,
        scenario_title: format!("场景{scenario}"),
        content_hash: "h".into(),
        basis_hash: "b".into(),
        skills: vec!["empathy".into()],
        app_version: "test".into(),
        seed: 1,
        mode: "practice".into(),
        started_ms: at,
    })
}

fn answer(uuid: &str, seq: u32, missed: &[&str], conduct: Option<(&str, &str)>) -> Op {
    let conduct = conduct.map_or_else(
        || "[]".to_string(),
        |(label, quote)| {
            format!(r#"[{{"act":"Blame","label":"{label}","quote":"{quote}","cap":5.0,"fails_call":true}}]"#)
        },
    );
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
        score: Some(format!(r#"{{"missed_labels":{missed:?},"red_lines":[],"conduct":{conduct},"evidence":[]}}"#)),
        missed_labels: missed.iter().map(|s| s.to_string()).collect(),
        red_lines: vec![],
        recorded_ms: 0,
    })
}

fn finish(uuid: &str, overall: f32, at: i64) -> Op {
    Op::Finish(Finish {
        uuid: uuid.into(),
        ended_ms: at + 60_000,
        outcome: "resolved".into(),
        overall,
        passed: overall >= 70.0,
        rubrics: RubricColumns::default(),
        escalation_timing: "not_needed".into(),
        scorecard: "{}".into(),
        transcript: "[]".into(),
    })
}

/// ms of 00:00 UTC on a day of November 2026.
fn nov(day: i64) -> i64 {
    // 2026-11-01T00:00:00Z
    1_793_491_200_000 + (day - 1) * 86_400_000
}

#[test]
fn periods_are_local_dates_and_the_trend_is_over_dates() {
    let lab = Lab::new();
    {
        let mut store = Store::open(&lab.db).unwrap();
        let mut ops = Vec::new();
        // 丙: Oct 31 20:00 UTC (Nov 1 04:00 in Shanghai), Nov 5, Nov 30 23:00 UTC, Dec 1.
        for (i, (at, score)) in
            [(nov(1) - 4 * 3_600_000, 40.0), (nov(5), 60.0), (nov(30) + 23 * 3_600_000, 80.0), (nov(31), 90.0)]
                .iter()
                .enumerate()
        {
            let uuid = format!("p{i}");
            ops.push(start(&uuid, "丙", "二组", "a", *at));
            ops.push(answer(&uuid, 0, &["致歉"], None));
            ops.push(finish(&uuid, *score, *at));
        }
        store.apply_all(&ops).unwrap();
    }
    let store = lab.store();
    // In UTC, November holds the sessions of Nov 5 and Nov 30: average (60 + 80) / 2 = 70.
    let nov_utc = Period::from_dates(Some("2026-11-01"), Some("2026-11-30")).unwrap();
    assert_eq!(nov_utc.since_ms, Some(nov(1)), "the test runs with TZ=UTC");
    let r = trainee_report_in(&store, "丙", &[], &nov_utc).unwrap();
    assert_eq!((r.completed, r.average, r.passed), (2, Some(70.0), 1));
    assert_eq!(r.timeline.iter().map(|p| p.date.as_str()).collect::<Vec<_>>(), vec!["2026-11-05", "2026-11-30"]);
    assert_eq!(r.missed_concepts[0].count, 2);
    let all = trainee_report(&store, "丙", &[]).unwrap();
    assert_eq!(all.completed, 4);
    // Through the CLI in Shanghai time: Oct 31 20:00 UTC is Nov 1 and Nov 30 23:00 UTC is
    // Dec 1 there, so November holds 40 and 60: average 50.
    let out = lab
        .cmd(&["report", "--trainee", "丙", "--since", "2026-11-01", "--until", "2026-11-30", "--json"])
        .env("TZ", "Asia/Shanghai")
        .output()
        .unwrap();
    let doc = json(&out);
    assert_eq!((doc["completed"].as_u64(), doc["average"].as_f64()), (Some(2), Some(50.0)), "{doc}");
    assert_eq!(doc["timeline"][0]["date"], "2026-11-01");
    assert_eq!(doc["period"]["since"], "2026-11-01");
    // The HTML trend's axis is in dates.
    let html_path = lab.home.join("t.html");
    let out = lab.run(&["report", "--trainee", "丙", "--html", html_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("11-05") && html.contains("日期"), "dates on the axis");
    assert!(!html.contains("第几次"));
}

#[test]
fn bad_dates_are_refused_clearly() {
    let lab = Lab::new();
    drop(Store::open(&lab.db).unwrap());
    for (args, needle) in [
        (vec!["--since", "2026-13-01"], "日期“2026-13-01”无效"),
        (vec!["--until", "2026-02-30"], "日期“2026-02-30”无效"),
        (vec!["--since", "11/01/2026"], "日期“11/01/2026”无效"),
        (vec!["--since", "2026-11-30", "--until", "2026-11-01"], "起始日期 2026-11-30 晚于结束日期 2026-11-01"),
    ] {
        let mut full = vec!["report"];
        full.extend(args);
        let out = lab.run(&full);
        assert_eq!(out.status.code(), Some(2), "{full:?}");
        assert!(stderr(&out).contains(needle), "{full:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}

#[test]
fn the_scenario_view_shows_who_passed_and_what_was_missed_there() {
    let lab = Lab::new();
    {
        let mut store = Store::open(&lab.db).unwrap();
        let mut ops = Vec::new();
        // Scenario a: 丁 60 then 85 (passes), 戊 90 with a blame (passed by the scorer, not
        // clean), 己 in another team 95; and 丁 in scenario b (not counted).
        // (trainee, team, scenario, score, concepts missed, conduct with its words)
        type Planted<'a> = (&'a str, &'a str, &'a str, f32, &'a [&'a str], Option<(&'a str, &'a str)>);
        let sessions: [Planted; 5] = [
            ("丁", "一组", "a", 60.0, &["致歉", "时效"], None),
            ("丁", "一组", "a", 85.0, &["时效"], None),
            ("戊", "一组", "a", 90.0, &[], Some(("指责客户", "你自己没看清楚"))),
            ("己", "二组", "a", 95.0, &["致歉"], None),
            ("丁", "一组", "b", 30.0, &["致歉", "致歉"], None),
        ];
        for (i, (who, team, sc, score, missed, conduct)) in sessions.iter().enumerate() {
            let uuid = format!("s{i}");
            let at = nov(1) + i as i64 * 3_600_000;
            ops.push(start(&uuid, who, team, sc, at));
            ops.push(answer(&uuid, 0, missed, *conduct));
            ops.push(finish(&uuid, *score, at));
        }
        store.apply_all(&ops).unwrap();
    }
    let store = lab.store();
    let r = scenario_report(&store, "a", Some("一组"), &Period::all()).unwrap();
    // 一组 in scenario a: 丁 (2 attempts, best 85, latest 85, passed) and 戊 (1, not clean).
    // (name, attempts, best, latest, passed, incidents)
    type Row<'a> = (&'a str, u32, Option<f32>, Option<f32>, bool, u32);
    let rows: Vec<Row> =
        r.rows.iter().map(|x| (x.name.as_str(), x.attempts, x.best, x.latest, x.passed, x.incidents)).collect();
    assert_eq!(rows, vec![("丁", 2, Some(85.0), Some(85.0), true, 0), ("戊", 1, Some(90.0), Some(90.0), false, 1)]);
    assert_eq!((r.attempted, r.passed), (2, 1));
    // Missed there: 时效 twice (丁's two sessions), 致歉 once (丁's first); b's are not counted.
    let missed: Vec<(&str, u32)> = r.missed_concepts.iter().map(|c| (c.label.as_str(), c.count)).collect();
    assert_eq!(missed, vec![("时效", 2), ("致歉", 1)]);
    assert_eq!(r.incidents.len(), 1);
    assert_eq!((r.incidents[0].trainee.as_str(), r.incidents[0].quote.as_str()), ("戊", "你自己没看清楚"));
    // Everyone: 己 too.
    let all = scenario_report(&store, "a", None, &Period::all()).unwrap();
    assert_eq!((all.attempted, all.passed), (3, 2));
    // The CLI view.
    let out = lab.run(&["report", "--scenario", "a", "--team", "一组"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("练过 2 人 · 通过且无事件 1 人") && text.contains("时效×2"), "{text}");
    let out = lab.run(&["report", "--scenario", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("没有找到场景“nope”的练习记录"), "{}", stderr(&out));
}

/// Turns a version-6 database back into the version-5 layout (same rows, no incidents or skill
/// tables).
fn downgrade_to_v5(db: &Path) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch(
        "DROP TRIGGER sessions_totalled; DROP TRIGGER sessions_untotalled; DROP TRIGGER sessions_retotalled;
         DROP VIEW trainee_totals_change; DROP TABLE trainee_totals;
         DROP VIEW incident_turns; DROP VIEW incident_calls; DROP TABLE incidents; DROP TABLE session_skill_scores;
         DROP INDEX sessions_by_scenario_id; DROP TABLE skill_stats;
         DROP INDEX sessions_by_trainee_end; ALTER TABLE sessions DROP COLUMN incidents;
         CREATE INDEX sessions_by_trainee_end ON sessions(trainee_id, ended_ms, overall, passed);
         CREATE TABLE skill_stats (trainee_id INTEGER NOT NULL REFERENCES trainees(id), skill TEXT NOT NULL,
             sessions INTEGER NOT NULL, score_sum REAL NOT NULL, PRIMARY KEY (trainee_id, skill)) STRICT, WITHOUT ROWID;
         PRAGMA user_version = 5;",
    )
    .unwrap();
}

fn dump(db: &Path, sql: &str) -> Vec<Vec<String>> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n).map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}"))).collect::<Result<Vec<_>, _>>()
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn migrating_version_5_backfills_what_recording_writes() {
    let lab = Lab::new();
    lab.practice(REFUND, "庚", "一组", PROMISING_REFUND);
    lab.practice(REFUND, "庚", "一组", CURT_REFUND);
    lab.practice(REFUND, "辛", "一组", RUDE_REFUND);
    lab.practice(FRAUD, "辛", "一组", EARLY_TRANSFER);
    lab.practice(REFUND, "辛", "一组", GOOD_REFUND);
    let copy = lab.home.join("v5.db");
    Connection::open(&lab.db).unwrap().execute("VACUUM INTO ?1", [copy.to_str().unwrap()]).unwrap();
    downgrade_to_v5(&copy);
    let migrated = Store::open(&copy).unwrap();
    assert_eq!(migrated.schema_version().unwrap(), peilian::records::store::SCHEMA_VERSION);
    drop(migrated);
    for sql in [
        "SELECT * FROM incidents ORDER BY session_id, seq, kind, n",
        "SELECT id, incidents FROM sessions ORDER BY id",
        "SELECT * FROM session_skill_scores ORDER BY session_id, skill",
        "SELECT * FROM skill_stats ORDER BY trainee_id, skill",
        "SELECT * FROM trainee_totals ORDER BY trainee_id",
    ] {
        let recorded = dump(&lab.db, sql);
        assert!(!recorded.is_empty(), "{sql}");
        assert_eq!(dump(&copy, sql), recorded, "{sql}");
    }
    // Five incidents by hand: the guarantee and the false promise, the hang-up, the
    // impatience, the early transfer.
    assert_eq!(dump(&copy, "SELECT count(*) FROM incidents"), vec![vec!["Integer(5)".to_string()]]);
}

#[test]
fn an_older_database_is_upgraded_by_the_report_and_keeps_its_records() {
    let lab = Lab::new();
    lab.practice(REFUND, "壬", "", RUDE_REFUND);
    downgrade_to_v5(&lab.db);
    let out = lab.run(&["report", "--trainee", "壬", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("从第 5 版升级到第 7 版"), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["incidents"][0]["quote"], "说了多少遍了");
    // Skill figures come back from the stored scorecard.
    assert!(doc["skills"].as_array().is_some_and(|s| !s.is_empty()), "{doc}");
}

/// Reports list the newest incidents; the incident CSV lists every one of them.
#[test]
fn the_incident_csv_lists_every_incident_not_only_the_newest() {
    let lab = Lab::new();
    {
        let mut store = Store::open(&lab.db).unwrap();
        let mut ops = Vec::new();
        for i in 0..60 {
            let uuid = format!("inc{i}");
            let at = nov(1) + i * 3_600_000;
            ops.push(start(&uuid, "丁", "三组", "a", at));
            ops.push(answer(&uuid, 0, &[], Some(("指责客户", &format!("第{i}次怪客户")))));
            ops.push(finish(&uuid, 40.0, at));
        }
        store.apply_all(&ops).unwrap();
    }
    let store = lab.store();
    let team = team_report(&store, Some("三组")).unwrap();
    assert_eq!(team.incidents.len(), peilian::records::coaching::INCIDENT_LIST);
    assert_eq!(team.incident_counts.iter().map(|c| c.count).sum::<u32>(), 60);
    for args in [
        vec!["report", "--team", "三组", "--csv", "--incidents"],
        vec!["report", "--trainee", "丁", "--csv", "--incidents"],
        vec!["report", "--scenario", "a", "--csv", "--incidents"],
    ] {
        let out = lab.run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let csv = stdout(&out);
        let rows: Vec<csv::StringRecord> =
            csv::Reader::from_reader(csv.as_bytes()).records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 60, "{args:?}");
        // Newest first: the last session's words lead, the first session's close the list.
        assert_eq!((&rows[0][7], &rows[59][7]), ("第59次怪客户", "第0次怪客户"), "{args:?}");
    }
}
