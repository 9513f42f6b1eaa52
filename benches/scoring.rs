//! Speed of the core: scoring one answer end to end, building the Analyzer, linting the
//! shipped library. `benches/compare.sh` runs these beside a Python jieba baseline.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use peilian::lexicon::LexiconSet;
use peilian::scenario::library::lint_paths;
use peilian::scenario::{Layout, load};
use peilian::scoring::turn::{AnswerContext, score_answer};
use peilian::session::Engine;
use peilian::text::Analyzer;

// The allocator the `peilian` binary runs with (src/allocator.rs), so the figures are the app's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SCENARIO: &str = "scenarios/angry-late-delivery-refund.ron";

fn answers() -> Vec<String> {
    include_str!("answers.txt").lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect()
}

/// `n` answers of three clauses each, drawn (by a fixed generator) from the clauses of `answers`.
fn mixed_clauses(answers: &[String], n: usize) -> Vec<String> {
    let clauses: Vec<&str> = answers.iter().flat_map(|a| a.split_inclusive(['，', '。', '？'])).collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    (0..n).map(|_| (0..3).map(|_| clauses[next() % clauses.len()]).collect()).collect()
}

fn engine() -> Engine {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIO);
    let layout = Layout::around(&path);
    let mut analyzer = layout.analyzer().expect("lexicons");
    let (compiled, _) = load(&path, &mut analyzer, layout.assets.as_deref()).expect("scenario");
    Engine::new(Arc::new(analyzer), Arc::new(compiled))
}

fn bench(c: &mut Criterion) {
    let e = engine();
    let answers = answers();
    let mean_chars = answers.iter().map(|a| a.chars().count()).sum::<usize>() / answers.len();
    let turn = e.scenario.turn_index("open").expect("turn");
    let ctx = AnswerContext { turn, mood_before: 72.0, latency_secs: Some(6.0) };
    let mut i = 0;
    c.bench_function(&format!("score_one_answer_all_rubrics (~{mean_chars} chars)"), |b| {
        b.iter(|| {
            i = (i + 1) % answers.len();
            black_box(score_answer(&e.analyzer, &e.scenario, black_box(&answers[i]), &ctx))
        })
    });
    // Answers the scorer has not seen: the automata that are built lazily as texts come (the
    // regex engines' DFA states) are cold for most of each text, as with a trainee's own answers.
    let unseen = mixed_clauses(&answers, 200_000);
    let mut k = 0;
    c.bench_function("score_one_unseen_answer (clauses of the answers, mixed)", |b| {
        b.iter(|| {
            k = (k + 1) % unseen.len();
            black_box(score_answer(&e.analyzer, &e.scenario, black_box(&unseen[k]), &ctx))
        })
    });
    c.bench_function("tone_of_one_answer", |b| {
        b.iter(|| {
            i = (i + 1) % answers.len();
            black_box(e.analyzer.tone(black_box(&answers[i])))
        })
    });

    c.bench_function("analyze_one_answer (normalise + segment + boundaries)", |b| {
        b.iter(|| {
            i = (i + 1) % answers.len();
            black_box(e.analyzer.analyze(black_box(&answers[i])))
        })
    });
    let jieba = jieba_rs::Jieba::new();
    let normalized: Vec<String> = answers.iter().map(|a| peilian::text::normalize::normalize(a)).collect();
    c.bench_function("jieba_cut_one_answer (for comparison)", |b| {
        b.iter(|| {
            i = (i + 1) % answers.len();
            black_box(jieba.cut(black_box(&normalized[i]), true))
        })
    });
    c.bench_function("normalize_one_answer", |b| {
        b.iter(|| {
            i = (i + 1) % answers.len();
            black_box(peilian::text::normalize::normalize(black_box(&answers[i])))
        })
    });

    let mut slow = c.benchmark_group("startup");
    slow.sample_size(10);
    slow.bench_function("build_analyzer", |b| b.iter(|| black_box(Analyzer::new(LexiconSet::embedded()))));
    let library = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    slow.bench_function("lint_whole_library", |b| {
        b.iter(|| black_box(lint_paths(std::slice::from_ref(&library)).expect("lint")))
    });
    slow.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
