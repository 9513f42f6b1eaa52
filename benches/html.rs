//! Speed and size of an HTML trainee report with 50 sessions shown turn by turn: building the
//! page, and embedding the font subset its text needs (subset, WOFF, base64). The transcripts
//! draw on 1,000 different characters, more than a real trainee's page holds (about 650 for 50
//! varied sessions), so the figures are an upper bound.
//!
//! `cargo bench --no-default-features --bench html`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use peilian::html::font::{embed_font, shown_chars};
use peilian::html::font_subset::FONT_FILE;
use peilian::records::coaching::{recent_sessions, trainee_report};
use peilian::records::html::{SESSIONS_IN_FULL, trainee_page};
use peilian::records::ops::{Finish, Op, RubricColumns, SessionStart, TurnRecord};
use peilian::records::store::Store;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DISTINCT_CHARS: usize = 1_000;

fn line(rng: &mut ChaCha8Rng, pool: &[char], len: usize) -> String {
    (0..len).map(|_| pool[rng.random_range(0..pool.len())]).collect()
}

fn store() -> Store {
    let coverage = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/coverage.txt"))
        .expect("coverage.txt");
    let pool: Vec<char> =
        coverage.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).take(DISTINCT_CHARS).collect();
    let score =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/turn-score.json")).expect("score json");
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    let mut ops = Vec::new();
    for s in 0..SESSIONS_IN_FULL as i64 {
        let uuid = format!("s{s}");
        ops.push(Op::Start(SessionStart {
            uuid: uuid.clone(),
            trainee: "学员".into(),
            team: Some("一组".into()),
            scenario_id: format!("scenario-{}", s % 14),
            scenario_version: 1,
            scenario_title: line(&mut rng, &pool, 12),
            content_hash: "h".into(),
            basis_hash: "b".into(),
            skills: vec!["empathy".into()],
            app_version: "bench".into(),
            seed: s as u64,
            mode: "practice".into(),
            started_ms: s * 3_600_000,
        }));
        for seq in 0..4u32 {
            ops.push(Op::Turn(TurnRecord {
                uuid: uuid.clone(),
                seq,
                kind: "answer".into(),
                turn: seq + 1,
                turn_id: "open".into(),
                customer_line: line(&mut rng, &pool, 30),
                text: line(&mut rng, &pool, 40),
                latency_ms: 4000,
                overall: Some(80.0),
                score: Some(score.clone()),
                missed_labels: vec!["核实订单".into()],
                red_lines: vec![],
                recorded_ms: 0,
            }));
        }
        ops.push(Op::Finish(Finish {
            uuid,
            ended_ms: s * 3_600_000 + 60_000,
            outcome: "resolved".into(),
            overall: 80.0,
            passed: true,
            rubrics: RubricColumns { concepts: Some(80.0), tone: Some(85.0), ..RubricColumns::default() },
            escalation_timing: "on_time".into(),
            scorecard: "{}".into(),
            transcript: "[]".into(),
        }));
    }
    let mut store = Store::in_memory().expect("store");
    store.apply_all(&ops).expect("fill");
    store
}

fn bench(c: &mut Criterion) {
    let store = store();
    let font = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FONT_FILE)).expect("font");
    let page = || {
        let report = trainee_report(&store, "学员", &[]).expect("report");
        let sessions = recent_sessions(&store, Some("学员"), SESSIONS_IN_FULL).expect("sessions");
        trainee_page(&report, 70.0, &sessions)
    };
    let plain = page();
    let (embedded, sub) = embed_font(&plain, &font).expect("embed");
    eprintln!(
        "trainee page, {SESSIONS_IN_FULL} sessions in full: {} KB without the font, {} KB with it \
         ({} characters shown, subset {} KB as OpenType)",
        plain.len() / 1024,
        embedded.len() / 1024,
        shown_chars(&plain).len(),
        sub.bytes.len() / 1024
    );
    let mut g = c.benchmark_group("html_trainee_page_50_sessions");
    g.sample_size(20);
    g.bench_function("build_page", |b| b.iter(|| black_box(page())));
    g.bench_function("embed_font_subset", |b| b.iter(|| black_box(embed_font(&plain, &font).expect("embed"))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
