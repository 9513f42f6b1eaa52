//! Hostile text: names and answers with control characters, formulas and markup must not
//! reach a terminal, a spreadsheet or a page raw; mining reads Big5 and stray quotes sanely.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use peilian::mining::input::{self, Record};
use peilian::records::ops::{Finish, Op, RubricColumns, SessionStart, TurnRecord};
use peilian::records::store::Store;

use crate::support::root;

const VIP: &str = "tests/fixtures/valid/vip-window.ron";
const FORMULA: &str = "=cmd|' /C calc'!A0";
/// Retitles the terminal, clears it, forges a row, turns the line around.
const CONTROL: &str = "\u{1b}]0;PWNED\u{7}\u{1b}[2J小王\n假行 9 100.0\u{202e}";

fn peilian(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peilian"));
    cmd.current_dir(root()).env("PEILIAN_HOME", home).env("TMPDIR", home).env_remove("PEILIAN_DB");
    cmd.env_remove("PEILIAN_SCENARIOS").env_remove("PEILIAN_MOOD_MODEL");
    cmd
}

fn run(home: &Path, args: &[&str]) -> Output {
    peilian(home).args(args).stdin(Stdio::null()).output().unwrap()
}

fn run_with_stdin(home: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child =
        peilian(home).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // A refused name ends the program before it reads stdin: a broken pipe is fine here.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The characters that move a terminal (everything but `\n`).
fn control_chars(s: &str) -> Vec<char> {
    s.chars().filter(|&c| c != '\n' && peilian::text::safe::unsafe_kind(c).is_some()).collect()
}

fn session(uuid: &str, trainee: &str, team: &str, answer: &str, overall: f32) -> Vec<Op> {
    let start = Op::Start(SessionStart {
        uuid: uuid.into(),
        trainee: trainee.into(),
        team: Some(team.into()),
        scenario_id: "@SUM(1+1)".into(),
        scenario_version: 1,
        scenario_title: "标题\u{1b}[31m红".into(),
        content_hash: "h".into(),
        basis_hash: "b".into(),
        skills: vec!["empathy".into()],
        app_version: "test".into(),
        seed: 1,
        mode: "practice".into(),
        started_ms: 1000,
    });
    let turn = Op::Turn(TurnRecord {
        uuid: uuid.into(),
        seq: 0,
        kind: "answer".into(),
        turn: 1,
        turn_id: "t".into(),
        customer_line: "客户\u{1b}[2J说".into(),
        text: answer.into(),
        latency_ms: 1000,
        overall: Some(overall),
        score: Some(r#"{"evidence": [{"kind": "missed", "detail": "漏了\u001b]0;x\u0007致歉"}]}"#.into()),
        missed_labels: vec!["-致歉".into()],
        red_lines: vec!["+不归我管\u{1b}[2J".into()],
        recorded_ms: 1500,
    });
    let finish = Op::Finish(Finish {
        uuid: uuid.into(),
        ended_ms: 2000,
        outcome: "resolved".into(),
        overall,
        passed: overall >= 70.0,
        rubrics: RubricColumns { concepts: Some(overall), ..RubricColumns::default() },
        escalation_timing: "on_time".into(),
        scorecard: r#"{"overall": 80.0, "pass_mark": 70, "passed": true, "summary": ["a", "总结\u001b[2J"]}"#.into(),
        transcript: "[]".into(),
    });
    vec![start, turn, finish]
}

/// A database holding sessions of hostile trainees, written through the store as an import
/// or an older version could have.
fn hostile_db(dir: &Path) -> PathBuf {
    let path = dir.join("hostile.db");
    let mut store = Store::open(&path).unwrap();
    let mut ops = session("u1", FORMULA, "-一组", "=HYPERLINK(\"http://x\")\u{1b}[2J", 80.0);
    ops.extend(session("u2", CONTROL, CONTROL, "您好\u{1b}]0;PWNED\u{7}\n[2] 客户：假的一行", 60.0));
    ops.extend(session("u3", "<script>alert(1)</script>", "<b>组</b>", "好", 90.0));
    store.apply_all(&ops).unwrap();
    path
}

#[test]
fn report_csv_defuses_formulas_and_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_db(dir.path());
    let out = run(dir.path(), &["report", "--csv", "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert_eq!(control_chars(&csv), Vec::<char>::new(), "{csv}");
    // One line per trainee: the newline in a name forges no row.
    assert_eq!(csv.lines().count(), 4, "{csv}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let formula = rows.iter().find(|r| r[0].contains("cmd")).expect("the formula trainee");
    assert_eq!(&formula[0], "'=cmd|' /C calc'!A0");
    assert_eq!(&formula[1], "'-一组");
    let control = rows.iter().find(|r| r[0].contains("PWNED")).expect("the control trainee");
    assert_eq!(&control[0], "\\u{1b}]0;PWNED\\u{7}\\u{1b}[2J小王\\n假行 9 100.0\\u{202e}");
    // Numbers stay numbers.
    assert_eq!(&formula[6], "80.0");

    let out = run(dir.path(), &["report", "--csv", "--trainee", FORMULA, "--db", db.to_str().unwrap()]);
    let csv = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let row = csv.lines().nth(1).unwrap();
    assert!(row.split(',').nth(2) == Some("'@SUM(1+1)"), "{csv}");
}

#[test]
fn report_and_replay_print_no_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_db(dir.path());
    let db = db.to_str().unwrap();
    let team = run(dir.path(), &["report", "--db", db]);
    assert!(team.status.success(), "{}", text(&team.stderr));
    let table = text(&team.stdout);
    assert_eq!(control_chars(&table), Vec::<char>::new(), "{table}");
    assert!(table.contains("\\u{1b}]0;PWNED\\u{7}\\u{1b}[2J小王\\n假行"), "{table}");
    assert!(!table.lines().any(|l| l.starts_with("假行")), "a forged row:\n{table}");
    for args in [
        vec!["report", "--trainee", CONTROL, "--db", db],
        vec!["report", "--team", CONTROL, "--db", db],
        vec!["report", "--trainee", "没有\u{1b}[2J这人", "--db", db],
        vec!["replay", "--db", db],
        vec!["replay", "2", "--db", db],
        vec!["replay", "1", "--db", db],
        vec!["replay", "\u{1b}[2J", "--db", db],
    ] {
        let out = run(dir.path(), &args);
        let all = text(&out.stdout) + &text(&out.stderr);
        assert_eq!(control_chars(&all), Vec::<char>::new(), "{args:?}:\n{all}");
        assert!(!all.contains("panicked"), "{all}");
    }
    let replay = text(&run(dir.path(), &["replay", "2", "--db", db]).stdout);
    assert!(replay.contains("你：您好\\u{1b}]0;PWNED\\u{7}\\n[2] 客户：假的一行"), "{replay}");
    assert!(!replay.lines().any(|l| l.starts_with("[2] 客户：假的")), "a forged turn:\n{replay}");
}

#[test]
fn report_html_escapes_markup_and_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_db(dir.path());
    let page = dir.path().join("r.html");
    for args in
        [vec!["report", "--trainee", "<script>alert(1)</script>"], vec!["report", "--trainee", CONTROL], vec!["report"]]
    {
        let out = peilian(dir.path())
            .args(&args)
            .args(["--db", db.to_str().unwrap(), "--html", page.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let html = std::fs::read_to_string(&page).unwrap();
        for raw in ["<script", "<b>组", "\u{1b}", "\u{7}", "\u{202e}"] {
            assert!(!html.contains(raw), "{args:?}: {raw:?} raw in the page");
        }
        assert!(html.contains("&lt;script&gt;") || html.contains("\\u{1b}]0;PWNED"), "{args:?}");
    }
}

#[test]
fn practice_refuses_names_that_would_fool_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let practice = |trainee: &str, team: &str| {
        run_with_stdin(
            dir.path(),
            &[
                "practice",
                VIP,
                "--seed",
                "1",
                "--db",
                db.to_str().unwrap(),
                &format!("--trainee={trainee}"),
                &format!("--team={team}"),
            ],
            "您好，非常抱歉\n".as_bytes(),
        )
    };
    for (trainee, team, want) in [
        ("\u{1b}]0;PWNED\u{7}小王", "一组", "第 1 个字是控制字符（U+001B）"),
        ("小王\n假行", "一组", "第 3 个字是换行符（U+000A）"),
        ("abc\u{202e}fed", "一组", "文字方向控制符（U+202E）"),
        (&"王".repeat(41), "一组", "学员姓名有 41 个字，超过上限 40 个字"),
        ("小王", "一组\u{1b}[2J", "团队名“一组\\u{1b}[2J”的第 3 个字是控制字符"),
    ] {
        let out = practice(trainee, team);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{trainee:?}: {err}");
        assert!(err.contains(want), "{trainee:?}: {err}");
        assert!(err.contains("最多 40 个字") && err.contains("--t"), "{err}");
        assert_eq!(control_chars(&err), Vec::<char>::new(), "{err}");
        assert_eq!(control_chars(&text(&out.stdout)), Vec::<char>::new());
    }
    assert!(!db.exists(), "nothing was recorded for a refused name");
    let out = practice(&"王".repeat(40), "-一组");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let store = Store::open(&db).unwrap();
    let name: String = store.conn().query_row("SELECT name FROM trainees", [], |r| r.get(0)).unwrap();
    assert_eq!(name, "王".repeat(40));
}

#[test]
fn practice_prints_hostile_answers_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let answers =
        "\u{1b}[2J李总您好\u{1b}]0;PWNED\u{7}，非常抱歉\u{202e}，我马上帮您核实。\n/transfer \u{1b}[2J订单\u{9b}31m\n";
    let out = run_with_stdin(dir.path(), &["practice", VIP, "--seed", "1", "--no-record"], answers.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let all = text(&out.stdout) + &text(&out.stderr);
    assert_eq!(control_chars(&all), Vec::<char>::new(), "{all}");
    assert!(all.contains("\\u{1b}[2J李总您好\\u{1b}]0;PWNED\\u{7}"), "{all}");
}

fn big5_dialogue(id: usize, customer: &str, agent: &str) -> Vec<u8> {
    let line = serde_json::json!({"id": format!("TW{id}"), "turns": [
        {"role": "customer", "text": customer}, {"role": "agent", "text": agent}]})
    .to_string();
    let (bytes, _, unmappable) = encoding_rs::BIG5.encode(&line);
    assert!(!unmappable, "{line}");
    let mut bytes = bytes.into_owned();
    bytes.push(b'\n');
    bytes
}

#[test]
fn mining_reads_big5_as_big5_and_says_when_it_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big5.jsonl");
    let customer = "我的訂單還沒到，請幫我查一下，你們的服務太差了！";
    let mut file = Vec::new();
    for i in 0..6 {
        file.extend(big5_dialogue(i, customer, "非常抱歉，我馬上幫您處理這個問題，請稍等。"));
    }
    std::fs::write(&path, &file).unwrap();
    let info = input::probe(&path).unwrap();
    let mut texts = Vec::new();
    let stats = input::read_file(0, &info, None, &mut |r| {
        if let Record::Json { text, .. } = r {
            texts.push(input::parse_json_line(&text).unwrap().turns[0].text.to_string());
        }
    });
    assert_eq!(texts, vec![customer.to_string(); 6]);
    assert_eq!(stats.encoding.describe(), "Big5（繁体，已转换）");

    let out_dir = dir.path().join("d");
    let report = dir.path().join("r.html");
    let mine = |file: &Path, extra: &[&str]| {
        let mut args = vec!["mine", file.to_str().unwrap(), "--quiet", "--out", out_dir.to_str().unwrap()];
        args.extend(["--report", report.to_str().unwrap()]);
        args.extend(extra.iter().copied());
        let out = run(dir.path(), &args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
        (json["inputs"][0]["encoding"].as_str().unwrap().to_string(), text(&out.stderr))
    };
    let (encoding, stderr) = mine(&path, &[]);
    assert_eq!(encoding, "Big5（繁体，已转换）");
    assert!(!stderr.contains("--encoding"), "sure enough to say nothing: {stderr}");

    // Two characters a line: too little to be sure; the guess is said, with how to force one.
    let short = dir.path().join("short.jsonl");
    std::fs::write(&short, big5_dialogue(1, "請問", "謝謝")).unwrap();
    let (encoding, stderr) = mine(&short, &[]);
    assert!(encoding.contains("猜"), "{encoding}");
    assert!(stderr.contains("这是猜的") && stderr.contains("--encoding big5"), "{stderr}");
    let (encoding, stderr) = mine(&short, &["--encoding", "big5"]);
    assert_eq!(encoding, "Big5（繁体，已转换），按 --encoding 指定");
    assert!(!stderr.contains("这是猜的"), "{stderr}");
}

#[test]
fn mining_reports_a_stray_quote_at_its_line_and_reads_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stray.csv");
    std::fs::write(
        &path,
        "dialogue_id,turn,role,text\nd1,1,customer,我要退款\nd1,2,agent,好的\nd2,1,customer,我的快递一直没到\nd2,2,agent,\"帮您查\nd3,1,customer,你好\nd3,2,agent,您好\n",
    )
    .unwrap();
    let out =
        run(dir.path(), &["mine", path.to_str().unwrap(), "--quiet", "--out", dir.path().join("d").to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("stray.csv:5: CSV 格式错误：第 5 行第 4 列（内容）的引号没有闭合")
            && stderr.contains("跳过了 1 行（第 5 行）"),
        "{stderr}"
    );
    assert!(!stderr.contains("列，至少需要"), "not blamed on the columns: {stderr}");
    assert!(text(&out.stdout).contains("3 段对话，1 行有问题"), "{}", text(&out.stdout));
}
