//! `peilian realism`: the corpus figures of a small fixture, worked out by hand, beside a
//! scenario's sample calls; and bad input.
//!
//! `tests/fixtures/realism/threads.jsonl` (customer turns numbered per thread):
//!
//! | thread | customer turns | what it shows                                                     |
//! |--------|----------------|-------------------------------------------------------------------|
//! | d1     | 2              | an order number in turn 1, unasked; resolved (`CNUG*`) at turn 2  |
//! | d2     | 3              | pushes back on a non-answer ("您好。"); asked for an account, gives it at turn 3 |
//! | d3     | 2              | demands a supervisor at turn 2, after a non-answer                |
//! | d4     | 1              | one question, one answer, no reply                                |
//! | d5     | 2              | a calm reply to a non-answer ("好的。")                            |
//! | d6     | 2              | no labels: resolution unknown; angry, then calm                   |
//!
//! Replies to non-answers: d2, d3 (pushback), d5 (none) → 2/3. Replies to answers: d1, d2's last,
//! d6 → 0/3. Supervisor: 1 of 6, at turn 2. Resolved: 1 of the 5 labelled, at turn 2. Customer
//! turns 12/6 = 2. Identifier in turn 1 unasked: d1 → 1/6; first given only after an ask: d2 →
//! 1/6; given when asked: 1/1; first reveals at turns 1 and 3 → 2. Anger: first turns angry in d3
//! and d6 only; the middle turn of d2 holds "到底"; falls from first to last in d3 and d6 of the 5
//! with two turns or more → 2/5.

use std::path::PathBuf;

use peilian::scenario::{Layout, parse_file};
use serde_json::Value;

use crate::support::{empty_library, json, root, run, stderr, stdout};

const THREADS: &str = "tests/fixtures/realism/threads.jsonl";
const BAD_LINES: &str = "tests/fixtures/realism/bad-lines.jsonl";
/// A shipped scenario with sample calls, copied into a library of its own.
const SCENARIO: &str = "scenarios/password-reset-solve-yourself.ron";

/// A library holding only `SCENARIO`, and how many sample calls it has.
fn library() -> (tempfile::TempDir, PathBuf, usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let lib = empty_library(dir.path());
    let from = root().join(SCENARIO);
    std::fs::copy(&from, lib.join(from.file_name().expect("name"))).expect("copy scenario");
    let calls = parse_file(&from).expect("shipped scenario parses").scenario.sample_calls.len();
    assert!(calls > 0, "{SCENARIO} has sample calls");
    (dir, lib, calls)
}

fn figure<'a>(doc: &'a Value, key: &str) -> &'a Value {
    doc["figures"].as_array().expect("figures").iter().find(|f| f["key"] == key).unwrap_or_else(|| panic!("no {key}"))
}

#[test]
fn corpus_figures_match_hand_counts_beside_the_sample_calls() {
    let (_dir, lib, calls) = library();
    let out = run(&["realism", THREADS, "--scenarios", lib.to_str().unwrap(), "--min-n", "1", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["corpus"]["dialogues"], 6);
    assert_eq!(doc["corpus"]["skipped"], serde_json::json!([]));
    assert_eq!(
        (doc["simulator"]["scenarios"].as_u64(), doc["simulator"]["calls"].as_u64()),
        (Some(1), Some(calls as u64))
    );

    let corpus = |key: &str| {
        let c = &figure(&doc, key)["corpus"];
        (c["value"].as_f64().unwrap_or(f64::NAN), c["n"].as_u64().unwrap_or(0))
    };
    let exact = [
        ("pushback_after_non_answer", 2.0 / 3.0, 3),
        ("pushback_after_answer", 0.0, 3),
        ("supervisor_demand_share", 1.0 / 6.0, 6),
        ("supervisor_demand_turn", 2.0, 1),
        ("resolved_share", 0.2, 5),
        ("turns_to_resolution", 2.0, 1),
        ("customer_turns", 2.0, 6),
        ("reveal_first_turn", 1.0 / 6.0, 6),
        ("reveal_after_ask", 1.0 / 6.0, 6),
        ("reveal_when_asked", 1.0, 1),
        ("reveal_turn", 2.0, 2),
        ("anger_falls", 0.4, 5),
    ];
    for (key, value, n) in exact {
        assert_eq!(corpus(key), (value, n), "{key}");
    }
    // Anger as `peilian tone` reads it, with the same dictionary.
    let analyzer = Layout::around(&root().join("scenarios")).analyzer().expect("lexicons");
    let anger = |t: &str| f64::from(analyzer.tone(t).anger);
    let (d3, d6) = (anger("你们这些骗子，乱扣我话费！"), anger("气死我了，你们怎么回事！"));
    assert!(d3 > 0.5 && d6 > 0.5, "{d3} {d6}");
    let close = |(got, n): (f64, u64), want: f64, want_n: u64, key: &str| {
        assert!((got - want).abs() < 1e-6 && n == want_n, "{key}: {got} (n={n}), want {want} (n={want_n})");
    };
    close(corpus("anger_first"), (d3 + d6) / 6.0, 6, "anger_first");
    close(corpus("anger_middle"), anger("你这说了等于没说，到底什么时候修好？"), 1, "anger_middle");
    close(corpus("anger_last"), anger("叫你们领导来！骗子！") / 5.0, 5, "anger_last");

    // The simulator's side: one dialogue per sample call, and every figure compared or not.
    let figures = doc["figures"].as_array().unwrap();
    assert_eq!(figures.len(), 15);
    assert_eq!(figure(&doc, "customer_turns")["simulator"]["n"].as_u64(), Some(calls as u64));
    for f in figures {
        let comparable = f["corpus"]["enough"] == true && f["simulator"]["enough"] == true;
        assert_eq!(f["within"].is_null(), !comparable, "{f}");
        if let (Some(r), true) = (f["relative_difference"].as_f64(), comparable) {
            assert_eq!(f["within"], r.abs() <= 0.1 + 1e-9, "{f}");
        }
    }
    let summary = &doc["summary"];
    let total: u64 = ["within", "outside", "not_comparable"].iter().map(|k| summary[k].as_u64().unwrap()).sum();
    assert_eq!(total, 15);

    // In the terminal, with the default minimum of 10 observations, nothing of six threads is
    // compared; the same run gives the same output.
    let lib = lib.to_str().unwrap();
    let text = run(&["realism", THREADS, "--scenarios", lib]);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let shown = stdout(&text);
    assert!(shown.contains("语料：6 段对话"), "{shown}");
    assert!(shown.contains("样本不足（n=6，至少需要 10）"), "{shown}");
    assert!(shown.contains("✓ 0 项，× 0 项，15 项无法比较"), "{shown}");
    assert!(!shown.contains("SO20240101") && !shown.contains("gd12345678"), "no text is shown");
    assert_eq!(stdout(&run(&["realism", THREADS, "--scenarios", lib])), shown);
}

#[test]
fn bad_lines_are_named_and_skipped_and_a_missing_file_stops() {
    let (_dir, lib, _) = library();
    let lib = lib.to_str().unwrap();
    let out = run(&["realism", BAD_LINES, "--scenarios", lib, "--min-n", "1", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    for line in [2, 3, 5] {
        assert!(err.contains(&format!("{BAD_LINES}:{line}: ")), "line {line} named: {err}");
    }
    assert!(!err.contains(&format!("{BAD_LINES}:4:")), "a blank line is no problem: {err}");
    let doc = json(&out);
    assert_eq!(doc["corpus"]["dialogues"], 2);
    let lines: Vec<u64> =
        doc["corpus"]["skipped"].as_array().unwrap().iter().map(|s| s["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![2, 3, 5]);

    let missing = "tests/fixtures/realism/no-such-file.jsonl";
    let out = run(&["realism", THREADS, missing, "--scenarios", lib]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(missing) && err.contains("不存在"), "{err}");
    assert!(stdout(&out).is_empty());

    let out = run(&["realism", THREADS, "--scenarios", "tests/fixtures/realism/no-such-dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-dir"), "{}", stderr(&out));
}
