//! `peilian agreement`: the figures on a small graded fixture, computed by hand, and bad input.
//!
//! The fixture `tests/fixtures/agreement/answers.tsv` uses shipped scenarios and their own sample
//! answers (whose score ranges `peilian test scenarios` keeps), and exact copies of one answer
//! under different grades, so the counts below hold while the scoring rules change:
//!
//! | line | grade | group                                    | answer                               |
//! |------|-------|------------------------------------------|--------------------------------------|
//! | 2    | 5     | angry-late-delivery-refund/open          | the good sample (85–100)             |
//! | 3    | 1     | angry-late-delivery-refund/open          | the red-line sample (0–40)           |
//! | 4    | 2     | angry-late-delivery-refund/open          | line 3's answer, mood given as 72    |
//! | 5    | 4     | angry-late-delivery-refund/open          | line 2's answer                      |
//! | 6    | 5     | angry-late-delivery-refund/order_given   | the good sample, mood 45 (80–100)    |
//! | 7    | 5     | angry-late-delivery-refund/order_given   | the negated sample, mood 45 (0–50)   |
//! | 8    | 1     | password-reset-solve-yourself/verified   | the good sample, by path (85–100)    |
//! | 9    | 4     | angry-telecom-bill-overcharge/open       | the blaming sample (0–40)            |
//! | 10   | 2     | angry-telecom-bill-overcharge/open       | the good sample (85–100)             |
//!
//! Order: group open has 6 pairs — (2,3) ✓ (2,4) ✓ (2,5) tie × (3,4) tie × (3,5) ✓ (4,5) ✓ → 4/6;
//! order_given has equal grades (no pair); the bill group has one inverted pair (9,10) → 0/1; the
//! password group has one answer. In all 4/7. Caught: lines 3 ✓ and 8 × → 1/2. Accepted: lines
//! 2 ✓, 6 ✓, 7 × → 2/3. Inverted, biggest gap first: (9,10), then the ties by line: (2,5), (4,3).

use serde_json::Value;

use crate::support::{fixture, json, run, stderr, stdout};

const ANSWERS: &str = "tests/fixtures/agreement/answers.tsv";

fn lines_of(list: &Value) -> Vec<u64> {
    list.as_array().expect("array").iter().map(|x| x["line"].as_u64().expect("line")).collect()
}

#[test]
fn agreement_figures_on_the_fixture_match_hand_counts() {
    let out = run(&["agreement", ANSWERS, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["lines"], serde_json::json!({ "read": 9, "scored": 9, "skipped": 0, "blank": 0 }));
    assert_eq!(doc["skipped"], serde_json::json!([]));
    let order = &doc["order"];
    assert_eq!((order["agreed"].as_u64(), order["total"].as_u64()), (Some(4), Some(7)), "{order}");
    assert_eq!(order["ratio"].as_f64(), Some(4.0 / 7.0));
    let groups: Vec<(String, u64, u64, u64, Value)> = order["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"].as_str().unwrap().to_string(),
                g["answers"].as_u64().unwrap(),
                g["agreed"].as_u64().unwrap(),
                g["total"].as_u64().unwrap(),
                g["ratio"].clone(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![
            ("angry-late-delivery-refund/open".into(), 4, 4, 6, serde_json::json!(4.0 / 6.0)),
            ("angry-late-delivery-refund/order_given".into(), 2, 0, 0, Value::Null),
            ("angry-telecom-bill-overcharge/open".into(), 2, 0, 1, serde_json::json!(0.0)),
            ("password-reset-solve-yourself/verified".into(), 1, 0, 0, Value::Null),
        ]
    );
    assert_eq!((doc["caught"]["met"].as_u64(), doc["caught"]["total"].as_u64()), (Some(1), Some(2)));
    assert_eq!(doc["caught"]["threshold"], 50.0);
    assert_eq!(lines_of(&doc["caught"]["not_met"]), vec![8]);
    assert_eq!(doc["caught"]["not_met"][0]["kind"], "false_promise");
    assert_eq!((doc["accepted"]["met"].as_u64(), doc["accepted"]["total"].as_u64()), (Some(2), Some(3)));
    assert_eq!(doc["accepted"]["threshold"], 70.0);
    assert_eq!(lines_of(&doc["accepted"]["not_met"]), vec![7]);

    let worst = &doc["worst"];
    assert_eq!(lines_of(&worst["grade_1_high"]), vec![8]);
    let eight = &worst["grade_1_high"][0];
    assert_eq!(eight["scenario"], "password-reset-solve-yourself", "a path is grouped under its scenario's id");
    assert_eq!(eight["turn"], "verified");
    assert_eq!(eight["mood"], 45.0, "the persona's starting mood when the column is empty");
    assert!(eight["score"].as_f64().unwrap() >= 50.0);
    assert!(eight["explanation"]["rubrics"][0]["reasons"].as_array().is_some_and(|r| !r.is_empty()), "{eight}");
    assert_eq!(lines_of(&worst["grade_5_low"]), vec![7]);
    let seven = &worst["grade_5_low"][0];
    assert_eq!(seven["kind"], "negated");
    assert_eq!(seven["answer"], "不能退款，您再等等吧。");
    assert!(!seven["explanation"]["missed"].as_array().unwrap().is_empty(), "a required concept is missed: {seven}");
    let pairs: Vec<(u64, u64)> = worst["inverted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["higher"]["line"].as_u64().unwrap(), p["lower"]["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(pairs, vec![(9, 10), (2, 5), (4, 3)]);
    let inv = &worst["inverted"];
    let gap = inv[0]["lower"]["score"].as_f64().unwrap() - inv[0]["higher"]["score"].as_f64().unwrap();
    assert!((inv[0]["gap"].as_f64().unwrap() - gap).abs() < 0.051 && gap >= 45.0, "{}", inv[0]);
    assert_eq!(inv[0]["group"], "angry-telecom-bill-overcharge/open");
    assert!(!inv[0]["higher"]["explanation"]["red_lines"].as_array().unwrap().is_empty(), "the blaming answer");
    assert_eq!((inv[1]["gap"].as_f64(), inv[2]["gap"].as_f64()), (Some(0.0), Some(0.0)), "ties are disagreements");
}

/// Each line scores exactly what `peilian score SCENARIO --turn T [--mood M] --json ANSWER` gives.
#[test]
fn agreement_scores_equal_peilian_score() {
    let doc = json(&run(&["agreement", ANSWERS, "--json"]));
    let answers = doc["answers"].as_array().expect("answers");
    assert_eq!(lines_of(&doc["answers"]), (2..=10).collect::<Vec<u64>>());
    let text = std::fs::read_to_string(crate::support::root().join(ANSWERS)).unwrap();
    for (i, line) in text.lines().skip(1).enumerate() {
        let cells: Vec<&str> = line.split('\t').collect();
        let (scenario, turn, mood, answer) = (cells[2], cells[3], cells[4], cells[5]);
        let mut args = vec!["score", scenario, "--turn", turn, "--json"];
        if !mood.is_empty() {
            args.extend(["--mood", mood]);
        }
        args.extend(["--", answer]);
        let want = json(&run(&args))["overall"].clone();
        assert_eq!(answers[i]["score"], want, "line {}: {line}", i + 2);
        assert_eq!(answers[i]["grade"].as_u64().unwrap().to_string(), cells[0]);
    }
}

#[test]
fn agreement_terminal_report_is_chinese_and_names_lines() {
    let out = run(&["agreement", ANSWERS]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for want in [
        "读取 9 行：评分 9 行，跳过 0 行",
        "排序一致：0.57（4/7 对）",
        "angry-late-delivery-refund/open           4 条  0.67（4/6 对）",
        "angry-late-delivery-refund/order_given    2 条  无可比较的对",
        "angry-telecom-bill-overcharge/open        2 条  0.00（0/1 对）",
        "1 级回答得分低于 50（拦住）：1/2",
        "未拦住：第 8 行",
        "5 级回答得分不低于 70（接受）：2/3",
        "未接受：第 7 行",
        "最大的分歧（每类最多 10 条）",
        "第 8 行 · 1 级 · false_promise · password-reset-solve-yourself/verified · 情绪 45",
        "回答：不能退款，您再等等吧。",
        "缺少要点：",
        "angry-telecom-bill-overcharge/open：第 9 行（4 级）",
        "≤ 第 10 行（2 级）",
        "红线：「",
        "关键要点 ",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    // The inverted pairs in order: the real gap first, then the two ties by line.
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s:?} not in:\n{text}"));
    assert!(at("第 9 行（4 级）") < at("第 2 行（5 级）") && at("第 2 行（5 级）") < at("第 4 行（2 级）"));
    assert!(text.contains("差 0.0 分"));
}

#[test]
fn agreement_is_deterministic_and_reads_a_bom_and_crlf() {
    let a = run(&["agreement", ANSWERS]);
    let b = run(&["agreement", ANSWERS]);
    assert_eq!(stdout(&a), stdout(&b));
    let plain = json(&run(&["agreement", ANSWERS, "--json"]));
    let dir = tempfile::tempdir().unwrap();
    let crlf = dir.path().join("crlf.tsv");
    let text = std::fs::read_to_string(crate::support::root().join(ANSWERS)).unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(text.replace('\n', "\r\n").as_bytes());
    std::fs::write(&crlf, bytes).unwrap();
    let mut other = json(&run(&["agreement", crlf.to_str().unwrap(), "--json"]));
    assert_eq!(other["file"], crlf.to_str().unwrap());
    other["file"] = plain["file"].clone();
    assert_eq!(other, plain, "a BOM and CRLF line endings change nothing");
}

#[test]
fn agreement_worst_n_limits_each_list_not_the_figures() {
    let one = json(&run(&["agreement", ANSWERS, "--json", "--worst", "1"]));
    assert_eq!(one["worst"]["inverted"].as_array().unwrap().len(), 1);
    assert_eq!(one["worst"]["inverted"][0]["higher"]["line"], 9);
    assert_eq!(lines_of(&one["worst"]["grade_1_high"]), vec![8]);
    let none = json(&run(&["agreement", ANSWERS, "--json", "--worst", "0"]));
    for kind in ["grade_1_high", "grade_5_low", "inverted"] {
        assert_eq!(none["worst"][kind], serde_json::json!([]), "{kind}");
    }
    assert_eq!(none["order"], one["order"]);
    assert_eq!(none["caught"], one["caught"]);
    let text = stdout(&run(&["agreement", ANSWERS, "--worst", "0"]));
    assert!(!text.contains("最大的分歧"), "{text}");
}

#[test]
fn agreement_reports_each_bad_line_and_exits_1() {
    let path = "tests/fixtures/agreement/invalid/bad-lines.tsv";
    let out = run(&["agreement", path, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let expected = [
        (3, "有 5 列，应为 6 列"),
        (4, "等级“6”不是 1–5 的整数"),
        (5, "等级“好”不是 1–5 的整数"),
        (6, "情绪“150”不是 0–100 的数"),
        (7, "情绪“高”不是 0–100 的数"),
        (8, "找不到场景“no-such-scenario”"),
        (9, "场景“angry-late-delivery-refund”没有回合“nope”"),
        (10, "回答为空"),
    ];
    for (line, what) in expected {
        let prefix = format!("{path}:{line}: {what}");
        assert!(err.contains(&prefix), "missing {prefix:?} in:\n{err}");
    }
    for line in [2, 11, 12] {
        assert!(!err.contains(&format!("{path}:{line}:")), "line {line} is fine:\n{err}");
    }
    assert!(
        err.contains("可用的回合：open、order_given、vague、push_back、grudging、when_callback、supervisor"),
        "{err}"
    );
    assert!(err.contains("提示：填 1（不可接受）到 5（优秀）之间的整数"), "{err}");
    assert_eq!(err.matches("这一行已跳过").count(), 8, "{err}");
    let doc = json(&out);
    assert_eq!(doc["lines"], serde_json::json!({ "read": 11, "scored": 2, "skipped": 8, "blank": 1 }));
    assert_eq!(lines_of(&doc["skipped"]), vec![3, 4, 5, 6, 7, 8, 9, 10]);
    assert!(doc["skipped"][0]["hint"].as_str().unwrap().contains("制表符"), "{}", doc["skipped"][0]);
    // The two good lines still count: grade 5 above grade 1.
    assert_eq!((doc["order"]["agreed"].as_u64(), doc["order"]["total"].as_u64()), (Some(1), Some(1)));
}

#[test]
fn agreement_skips_a_too_long_answer_and_invalid_utf8_with_their_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.tsv");
    let head = "grade\tkind\tscenario\tturn\tmood\tanswer\n";
    let good =
        "5\tparaphrase\tangry-late-delivery-refund\topen\t\t王先生，非常抱歉让您久等了，麻烦您告诉我退货单号。\n";
    let long = format!("3\tlong\tangry-late-delivery-refund\topen\t\t{}\n", "好".repeat(2001));
    let mut bytes = format!("{head}{good}{long}").into_bytes();
    bytes.extend_from_slice(b"1\trude\tangry-late-delivery-refund\topen\t\t\xff\xfe\n");
    bytes.extend_from_slice(good.as_bytes());
    std::fs::write(&path, bytes).unwrap();
    let out = run(&["agreement", path.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let name = path.display();
    assert!(err.contains(&format!("{name}:3: 回答有 2001 个字，超过上限 2000 字")), "{err}");
    assert!(err.contains(&format!("{name}:4: 不是有效的 UTF-8 文本")), "{err}");
    let doc = json(&out);
    assert_eq!(doc["lines"], serde_json::json!({ "read": 4, "scored": 2, "skipped": 2, "blank": 0 }));
    assert_eq!(lines_of(&doc["answers"]), vec![2, 5]);
    // Equal grades in one group: no pair.
    assert_eq!(doc["order"]["total"], 0);
    assert_eq!(doc["order"]["ratio"], Value::Null);
}

#[test]
fn agreement_without_a_header_skips_line_1_and_reads_the_rest() {
    let path = "tests/fixtures/agreement/invalid/no-header.tsv";
    let out = run(&["agreement", path, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&format!("{path}:1: 缺少表头")), "{err}");
    assert!(err.contains("grade kind scenario turn mood answer"), "{err}");
    let doc = json(&out);
    assert_eq!(doc["lines"], serde_json::json!({ "read": 2, "scored": 1, "skipped": 1, "blank": 0 }));
    assert_eq!(lines_of(&doc["answers"]), vec![2]);
}

#[test]
fn agreement_exits_2_when_the_file_cannot_be_read_or_nothing_scores() {
    let missing = run(&["agreement", "tests/fixtures/agreement/nope.tsv"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("无法读取 tests/fixtures/agreement/nope.tsv"), "{}", stderr(&missing));

    let dir_given = run(&["agreement", "tests/fixtures/agreement"]);
    assert_eq!(dir_given.status.code(), Some(2));
    assert!(stderr(&dir_given).contains("tests/fixtures/agreement 是目录"), "{}", stderr(&dir_given));

    let header = run(&["agreement", "tests/fixtures/agreement/invalid/missing-column.tsv"]);
    assert_eq!(header.status.code(), Some(2));
    assert!(stderr(&header).contains("missing-column.tsv:1: 表头缺少列：mood"), "{}", stderr(&header));
    assert_eq!(stdout(&header), "", "no figures from a file whose columns are unknown");

    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.tsv");
    std::fs::write(&empty, b"").unwrap();
    let out = run(&["agreement", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("是空文件"), "{}", stderr(&out));

    let header_only = dir.path().join("header.tsv");
    std::fs::write(&header_only, "grade\tkind\tscenario\tturn\tmood\tanswer\r\n").unwrap();
    let out = run(&["agreement", header_only.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["lines"]["read"], 0);
    assert!(stderr(&out).contains("没有一行可以评分"), "{}", stderr(&out));

    let not_dir = run(&["agreement", ANSWERS, "--scenarios", "does/not/exist"]);
    assert_eq!(not_dir.status.code(), Some(2));
    assert!(stderr(&not_dir).contains("不是目录"));
}

#[test]
fn agreement_reports_a_broken_scenario_once_and_each_of_its_lines() {
    let path = "tests/fixtures/agreement/invalid/nothing-scored.tsv";
    let out = run(&["agreement", path, "--json"]);
    assert_eq!(out.status.code(), Some(2), "nothing could be scored");
    let err = stderr(&out);
    assert_eq!(err.matches("错误[unknown-field]").count(), 1, "the scenario's problems once:\n{err}");
    for line in [2, 3] {
        assert!(
            err.contains(&format!("{path}:{line}: 场景文件 tests/fixtures/invalid/unknown-field.ron 有错误，无法加载")),
            "line {line}:\n{err}"
        );
    }
    assert!(err.contains(&format!("{path}:4: “scenarios” 是目录")), "{err}");
    let doc = json(&out);
    assert_eq!(doc["lines"], serde_json::json!({ "read": 3, "scored": 0, "skipped": 3, "blank": 0 }));
    assert_eq!(doc["order"]["total"], 0);
}

#[test]
fn agreement_looks_ids_up_in_the_scenarios_dir() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixture.tsv");
    std::fs::write(
        &path,
        "grade\tkind\tscenario\tturn\tmood\tanswer\n5\tplain\tfixture-solve-yourself\topen\t\t您好，我这边马上帮您处理。\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let without = run(&["agreement", path, "--json"]);
    assert_eq!(without.status.code(), Some(2));
    assert!(stderr(&without).contains("找不到场景“fixture-solve-yourself”"), "{}", stderr(&without));
    let valid = fixture("valid");
    let with = run(&["agreement", path, "--json", "--scenarios", valid.to_str().unwrap()]);
    assert_eq!(with.status.code(), Some(0), "{}", stderr(&with));
    let doc = json(&with);
    assert_eq!(doc["answers"][0]["group"], "fixture-solve-yourself/open");
    let direct = json(&run(&[
        "score",
        "tests/fixtures/valid/solve-yourself.ron",
        "--turn",
        "open",
        "--json",
        "您好，我这边马上帮您处理。",
    ]));
    assert_eq!(doc["answers"][0]["score"], direct["overall"]);
}
