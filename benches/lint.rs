//! Lint time against a scenario's length: `lint_paths` on generated linear scenarios of 2,000
//! and 20,000 turns, with a model answer on every turn (so every turn is scored) and, in the
//! second set, without (so every turn is a warning). Lint is linear: ten times the turns, about
//! ten times the time. `benches/lint_scale.sh` times the `peilian lint` command the same way.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use peilian::scenario::library::lint_paths;

/// A scenario of `turns` turns: each a customer line, a required concept, two branches and,
/// when `model_answers`, a model answer.
fn long_scenario(turns: usize, model_answers: bool) -> String {
    let mut s = String::new();
    s.push_str("Scenario(\n    id: \"long\", title: \"长场景\", version: 1, skills: [Empathy], difficulty: 2,\n");
    s.push_str("    channel: Phone, provenance: [\"bench\"],\n");
    s.push_str("    persona: (kind: Normal, name: \"赵雷\", title: \"赵先生\", mood: 30, patience_secs: 60),\n");
    s.push_str("    concepts: { \"apology\": (label: \"致歉\", groups: [\"道歉\"]) },\n    turns: [\n");
    for i in 0..turns {
        let next = if i + 1 < turns { format!("t{}", i + 1) } else { "done".to_string() };
        let answer = if model_answers {
            ", model_answer: \"非常抱歉让您久等，我马上帮您查快递。\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "        (id: \"t{i}\", customer: [(text: \"第{i}个问题：我的快递到底到哪儿了？\")],\n         expect: (required: [\"apology\"]{answer}),\n         next: [(when: MoodAtLeast(95), goto: \"angry\"), (when: Always, goto: \"{next}\")]),"
        );
    }
    s.push_str("    ],\n    endings: [(id: \"done\", kind: Resolved), (id: \"angry\", kind: HungUp)],\n");
    s.push_str("    escalation: (policy: SolveYourself),\n");
    s.push_str("    samples: [(turn: \"t0\", answer: \"非常抱歉，我马上帮您查。\", score: (0, 100))],\n)\n");
    s
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("lint_long_scenario");
    group.sample_size(10);
    for (turns, answers) in [(2_000, true), (20_000, true), (2_000, false), (20_000, false)] {
        let path = dir.path().join(format!("long-{turns}-{answers}.ron"));
        std::fs::write(&path, long_scenario(turns, answers)).expect("write scenario");
        let files = [path.clone()];
        let name = format!("{turns}_turns_{}", if answers { "model_answers" } else { "warnings" });
        group.bench_function(name, |b| b.iter(|| black_box(lint_paths(black_box(&files)).expect("lint"))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
