//! The command-line contract that other tools and tests rely on.

use std::process::Command;

use crate::support::{fixture, json, run, run_with_stdin, stderr, stdout};

const VIP: &str = "tests/fixtures/valid/vip-window.ron";

fn good_vip_call() -> &'static [u8] {
    "@4s 李总您好，非常抱歉给您添麻烦了，我马上帮您核实订单 DD20261118 的扣款。\n/transfer 李总订单 DD20261118 重复扣款，需退回多扣款项\n".as_bytes()
}

#[test]
fn practice_json_holds_transcript_and_scorecard() {
    let out = run_with_stdin(&["practice", VIP, "--seed", "1", "--json"], good_vip_call());
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = json(&out);
    let transcript = doc["transcript"].as_array().expect("transcript array");
    assert!(transcript.len() >= 4, "{transcript:?}");
    assert_eq!(transcript[0]["speaker"], "customer");
    assert_eq!(transcript[1]["speaker"], "agent");
    assert_eq!(transcript[1]["latency_ms"], 4000);
    let card = &doc["scorecard"];
    let overall = card["overall"].as_f64().expect("overall");
    assert!((0.0..=100.0).contains(&overall));
    assert_eq!(card["passed"], true, "{card}");
    assert_eq!(card["outcome"], "transferred");
    for rubric in ["concepts", "tone", "escalation", "no_repeat", "responsiveness"] {
        assert!(card["rubrics"][rubric]["score"].is_number(), "rubric {rubric} missing: {card}");
    }
    let turn = &card["turns"][0];
    assert_eq!(turn["turn"], 1);
    assert!(turn["evidence"].as_array().is_some_and(|e| !e.is_empty()));
    assert_eq!(card["escalation"]["timing"], "on_time");
}

#[test]
fn piped_practice_is_deterministic() {
    let a = run_with_stdin(&["practice", VIP, "--seed", "42", "--json"], good_vip_call());
    let b = run_with_stdin(&["practice", VIP, "--seed", "42", "--json"], good_vip_call());
    let (a, b) = (json(&a), json(&b));
    assert_eq!(a["transcript"], b["transcript"]);
    assert_eq!(a["scorecard"], b["scorecard"]);
    assert_ne!(a["record"]["uuid"], b["record"]["uuid"], "two sessions recorded");
    // Without --seed a piped run uses seed 0, and is deterministic too.
    let c = run_with_stdin(&["practice", VIP, "--json", "--no-record"], good_vip_call());
    let d = run_with_stdin(&["practice", VIP, "--json", "--no-record"], good_vip_call());
    assert_eq!(stdout(&c), stdout(&d));
    assert_eq!(json(&c)["record"], serde_json::Value::Null);
    assert_eq!(json(&c)["scorecard"]["seed"], 0);
}

#[test]
fn seeds_choose_between_variants() {
    let mut firsts = std::collections::BTreeSet::new();
    for seed in 0..12 {
        let out = run_with_stdin(&["practice", VIP, "--seed", &seed.to_string(), "--json"], b"");
        firsts.insert(json(&out)["transcript"][0]["text"].as_str().unwrap().to_string());
    }
    assert_eq!(firsts.len(), 2, "both variants of the opening line should be drawn: {firsts:?}");
}

#[test]
fn latency_prefix_scores_responsiveness() {
    let out = run_with_stdin(
        &["practice", VIP, "--seed", "1", "--json"],
        "@125s 李总您好，非常抱歉，我马上帮您核实。\n".as_bytes(),
    );
    let turn = &json(&out)["scorecard"]["turns"][0];
    let r = turn["rubrics"]["responsiveness"]["score"].as_f64().unwrap();
    // Patience 10 s, counted as the 50 s floor: 75 s over out of 100 s of slack.
    assert_eq!(r, 25.0, "{turn}");
}

#[test]
fn exam_mode_shows_no_feedback_and_refuses_rewind() {
    let input = "李总您好，非常抱歉，我马上帮您核实。\n/rewind 1\n".as_bytes();
    let practice = stdout(&run_with_stdin(&["practice", VIP, "--seed", "1"], input));
    assert!(practice.contains("本回合"), "{practice}");
    assert!(practice.contains("回到第 1 回合"), "{practice}");
    let exam = stdout(&run_with_stdin(&["practice", VIP, "--seed", "1", "--exam"], input));
    assert!(!exam.contains("本回合"), "{exam}");
    assert!(exam.contains("考试模式不能回退"), "{exam}");
    assert!(exam.contains("成绩单"), "the scorecard is shown at the end: {exam}");
}

#[test]
fn practice_rejects_invalid_utf8_on_stdin() {
    let out = run_with_stdin(&["practice", VIP, "--seed", "1"], b"\xe6\x82\xa8\xe5\xa5\xbd\n\xff\xfe bad\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("第 2 行"), "{}", stderr(&out));
}

#[test]
fn practice_survives_a_huge_answer() {
    let huge = "好".repeat(5000) + "\n李总您好，非常抱歉。\n";
    let out = run_with_stdin(&["practice", VIP, "--seed", "1", "--json"], huge.as_bytes());
    assert!(out.status.success());
    let doc = json(&out);
    // The huge line was refused; the next answer was taken.
    assert_eq!(doc["transcript"][1]["text"], "李总您好，非常抱歉。");
}

#[test]
fn practice_by_scenario_id_from_the_library() {
    let out = run_with_stdin(&["practice", "angry-late-delivery-refund", "--json"], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["scorecard"]["scenario_id"], "angry-late-delivery-refund");
    let missing = run(&["practice", "no-such-scenario"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("找不到场景"));
}

#[test]
fn practice_on_a_folder_or_a_fifo_says_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let folder = run(&["practice", dir.path().to_str().unwrap()]);
    assert_eq!(folder.status.code(), Some(2));
    assert!(stderr(&folder).contains("是目录"), "{}", stderr(&folder));
    let fifo = dir.path().join("x.ron");
    let made = Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    if made {
        let out = run(&["practice", fifo.to_str().unwrap(), "--no-record"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("不是普通文件") && stderr(&out).contains("x.ron"), "{}", stderr(&out));
    }
    // A name with a control character is shown escaped.
    let out = run(&["practice", "no-such\u{1b}[2J", "--no-record"]);
    assert!(!stderr(&out).contains('\u{1b}') && stderr(&out).contains("\\u{1b}"), "{}", stderr(&out));
}

#[test]
fn practice_on_a_binary_file_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.ron");
    std::fs::write(&path, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let out = run(&["practice", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("二进制"), "{}", stderr(&out));
    assert!(stderr(&out).contains("x.ron:3:1"), "names the file and the line of the first NUL: {}", stderr(&out));
}

#[test]
fn score_json_has_overall_rubrics_and_evidence() {
    let out = run(&["score", VIP, "--turn", "open", "--json", "李总您好，非常抱歉，我马上帮您核实订单 DD20261118。"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = json(&out);
    assert!(doc["overall"].as_f64().unwrap() >= 85.0, "{doc}");
    assert!(doc["rubrics"]["concepts"]["score"].is_number());
    let evidence = doc["evidence"].as_array().unwrap();
    assert!(evidence.iter().any(|e| e["kind"] == "hit" && e["matched"] == "抱歉"), "{evidence:?}");
}

#[test]
fn score_explains_negation() {
    let out = run(&["score", VIP, "--turn", "refund_ask", "--json", "李总，这笔不能退款。"]);
    let doc = json(&out);
    assert_eq!(doc["rubrics"]["concepts"]["score"], 0.0, "{doc}");
    assert!(doc["evidence"].as_array().unwrap().iter().any(|e| e["kind"] == "negated"), "{doc}");
}

#[test]
fn score_unknown_turn_lists_the_turns() {
    let out = run(&["score", VIP, "--turn", "nope", "您好"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("open"), "{}", stderr(&out));
    let huge = "好".repeat(3000);
    let out = run(&["score", VIP, "--turn", "open", &huge]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("超过上限"));
}

#[test]
fn tone_json_has_the_four_dimensions() {
    let out = run(&["tone", "--json", "你们这什么破服务！！！我要投诉"]);
    let doc = json(&out);
    for k in ["politeness", "empathy", "hostility", "anger"] {
        let v = doc[k].as_f64().unwrap_or_else(|| panic!("{k} missing: {doc}"));
        assert!((0.0..=1.0).contains(&v));
    }
    assert!(doc["anger"].as_f64().unwrap() > 0.7);
    assert!(doc["evidence"].as_array().unwrap().iter().any(|e| e["matched"] == "我要投诉"), "{doc}");
}

#[test]
fn tone_reads_lines_from_stdin() {
    let mut input = "非常理解您的心情，我马上帮您查\n不归我管\n".as_bytes().to_vec();
    input.extend_from_slice(b"\xff\n");
    input.extend_from_slice("您好\n".as_bytes());
    let out = run_with_stdin(&["tone"], &input);
    let text = stdout(&out);
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0]["empathy"].as_f64().unwrap() > 0.7);
    assert!(lines[1]["hostility"].as_f64().unwrap() > 0.8);
    assert_eq!(lines[2]["line"], 3);
    assert!(lines[2]["error"].is_string());
    assert_eq!(out.status.code(), Some(2), "some lines could not be read");
}

#[test]
fn lint_exit_codes() {
    let clean = run(&["lint", "scenarios"]);
    assert_eq!(clean.status.code(), Some(0), "shipped library must lint clean:\n{}", stdout(&clean));
    let findings = run(&["lint", fixture("invalid").to_str().unwrap()]);
    assert_eq!(findings.status.code(), Some(1));
    assert!(stdout(&findings).contains("unknown-field"));
    let missing = run(&["lint", "does/not/exist"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn lint_json_lists_positions() {
    let out = run(&["lint", "--json", fixture("invalid/unknown-field.ron").to_str().unwrap()]);
    let doc = json(&out);
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "unknown-field");
    assert_eq!(d["line"], 10);
    assert!(d["hint"].as_str().unwrap().contains("mood"));
}

#[test]
fn test_command_runs_samples_and_model_answers() {
    let out = run(&["test", "scenarios", "--json"]);
    let doc = json(&out);
    let (mut failed, mut model_answers, mut samples) = (Vec::new(), 0, 0);
    for file in doc.as_array().unwrap() {
        assert!(file.get("error").is_none(), "{file}");
        let scenario = file["scenario"].as_str().unwrap();
        for r in file["results"].as_array().unwrap() {
            match r["kind"].as_str().unwrap() {
                "model_answer" => model_answers += 1,
                _ => samples += 1,
            }
            if r["passed"] == false {
                failed.push(format!("{scenario} {}", r["name"].as_str().unwrap()));
            }
        }
    }
    assert!(model_answers >= 90 && samples >= 150, "{model_answers} model answers, {samples} samples");
    assert_eq!(failed, Vec::<String>::new(), "every sample, sample call and model answer passes");
    assert_eq!(out.status.code(), Some(0));

    let dir = tempfile::tempdir().unwrap();
    let minimal = std::fs::read_to_string(fixture("valid/minimal.ron")).unwrap();
    let path = dir.path().join("failing.ron");
    std::fs::write(&path, minimal.replace("score: (60, 100)", "score: (0, 10)")).unwrap();
    let bad = run(&["test", path.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stdout(&bad).contains("应在 0–10"), "{}", stdout(&bad));
    assert!(stdout(&bad).contains("3 个样例（含 2 个示范回答），1 个不在范围内"), "{}", stdout(&bad));

    // A curt model answer fails the pass mark and is listed with its reasons.
    std::fs::write(&path, minimal.replace("查到了，您的快递明天就能送到，给您添麻烦了。", "查到了。")).unwrap();
    let poor = run(&["test", path.to_str().unwrap()]);
    let text = stdout(&poor);
    assert_eq!(poor.status.code(), Some(1), "{text}");
    assert!(text.contains("  × 示范回答（回合 second）：得分 "), "{text}");
    assert!(text.contains("，未达到及格线 70\n      回答：查到了。\n"), "{text}");
    assert!(text.contains("共 1 个场景、3 个样例（含 2 个示范回答）：1 个不在范围内"), "{text}");

    // A turn without a model answer is skipped (lint warns of it).
    std::fs::write(&path, minimal.replace("查到了，您的快递明天就能送到，给您添麻烦了。", "")).unwrap();
    let skipped = run(&["test", path.to_str().unwrap(), "--json"]);
    assert_eq!(skipped.status.code(), Some(0), "{}", stdout(&skipped));
    let results = json(&skipped)[0]["results"].as_array().unwrap().clone();
    let kinds: Vec<&str> = results.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["sample", "model_answer"]);
    assert_eq!(results[1]["name"], "示范回答（回合 open）");
    assert_eq!(results[1]["expected"], serde_json::json!([70.0, 100.0]));
}

#[test]
fn voice_synthesises_missing_clips_or_says_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("scenarios");
    std::fs::create_dir_all(lib.join("lexicons")).unwrap();
    std::fs::create_dir_all(dir.path().join("assets")).unwrap();
    std::fs::copy(fixture("valid/solve-yourself.ron"), lib.join("s.ron")).unwrap();
    let out = crate::support::bin().current_dir(dir.path()).args(["voice", "scenarios/s.ron"]).output().unwrap();
    let have_espeak = std::process::Command::new("espeak-ng").arg("--version").output().is_ok();
    if have_espeak {
        assert!(out.status.success(), "{}", stderr(&out));
        let clips: Vec<_> =
            std::fs::read_dir(dir.path().join("assets/voice/fixture-solve-yourself")).unwrap().collect();
        assert_eq!(clips.len(), 2, "the turn's line and the ending's line");
        // A second run keeps them.
        let again = crate::support::bin().current_dir(dir.path()).args(["voice", "scenarios/s.ron"]).output().unwrap();
        assert!(stdout(&again).contains("生成 0 段语音，已有 2 段"), "{}", stdout(&again));
    } else {
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("apt-get install espeak-ng"), "{}", stderr(&out));
    }
}
