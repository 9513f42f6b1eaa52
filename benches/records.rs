//! Speed of the records: recording a turn, and coaching reports over a database of 1,000,000
//! sessions (1,000 trainees × 1,000 sessions, filled once by the helper below and kept in the
//! target directory).
//!
//! `cargo bench --no-default-features --bench records`

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use peilian::records::coaching::{
    Period, ScenarioMeta, scenario_report, team_report, team_report_in, trainee_report, trainee_report_in,
};
use peilian::records::ops::{Finish, Op, RubricColumns, SessionStart, TurnRecord};
use peilian::records::store::Store;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const TRAINEES: usize = 1_000;
const SESSIONS_PER_TRAINEE: usize = 1_000;
const SKILLS: [&str; 6] = ["empathy", "deescalation", "escalation", "policy", "productknowledge", "retention"];
const CONCEPTS: [&str; 8] = ["致歉", "核实订单", "退款时效", "加急处理", "跟进回复", "冻结卡片", "尊称", "交接说明"];
/// Transfer timings with their share in percent: early, premature and missed ones are
/// incidents (12 % of sessions).
const TIMINGS: [(&str, u32); 6] =
    [("on_time", 30), ("not_needed", 50), ("late", 8), ("early", 4), ("premature", 4), ("missed", 4)];

fn timing(roll: u32) -> &'static str {
    let mut left = roll % 100;
    for (t, share) in TIMINGS {
        if left < share {
            return t;
        }
        left -= share;
    }
    "on_time"
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from)
}

fn library() -> Vec<ScenarioMeta> {
    (0..14)
        .map(|i| ScenarioMeta {
            id: format!("scenario-{i}"),
            title: format!("场景 {i}"),
            skills: vec![SKILLS[i % SKILLS.len()].to_string(), SKILLS[(i + 2) % SKILLS.len()].to_string()],
            difficulty: (i % 5 + 1) as u8,
            persona: "angry".into(),
        })
        .collect()
}

/// Fills (once) a database with 1,000,000 finished sessions of two scored answers each, with
/// skill marks and figures, and incidents: conduct breaches and red lines in weak answers,
/// mistimed transfers, 3 % hang-ups (about a fifth of the sessions have one).
fn filled_db() -> PathBuf {
    let path = target_dir().join("bench-records-1m-v7.db");
    let marker = path.with_extension("done");
    if marker.exists() {
        return path;
    }
    let _ = std::fs::remove_file(&path);
    let started = Instant::now();
    let mut store = Store::open(&path).expect("bench db");
    store.conn().execute_batch("PRAGMA synchronous = OFF").expect("fast fill");
    let lib = library();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut ops = Vec::with_capacity(40_000);
    for t in 0..TRAINEES {
        let trainee = format!("学员{t:04}");
        let team = format!("{}组", t % 20);
        let skill_bias: f32 = rng.random_range(-15.0..15.0);
        for s in 0..SESSIONS_PER_TRAINEE {
            let uuid = format!("{t}-{s}");
            let meta = &lib[rng.random_range(0..lib.len())];
            let at = (s as i64) * 3_600_000;
            ops.push(Op::Start(SessionStart {
                uuid: uuid.clone(),
                trainee: trainee.clone(),
                team: Some(team.clone()),
                scenario_id: meta.id.clone(),
                scenario_version: 1,
                scenario_title: meta.title.clone(),
                content_hash: "0123456789abcdef".into(),
                basis_hash: "fedcba9876543210".into(),
                skills: meta.skills.clone(),
                app_version: "bench".into(),
                seed: s as u64,
                mode: "practice".into(),
                started_ms: at,
            }));
            let mut total = 0.0;
            let (s1, s2) = (&meta.skills[0], &meta.skills[1]);
            let mut sums = [0.0f32; 2];
            for seq in 0..2u32 {
                let overall: f32 = (rng.random_range(30.0..100.0f32) + skill_bias).clamp(0.0, 100.0);
                total += overall;
                let missed: Vec<String> = if overall < 70.0 {
                    vec![CONCEPTS[rng.random_range(0..CONCEPTS.len())].to_string()]
                } else {
                    vec![]
                };
                let red: Vec<String> = if overall < 35.0 { vec!["不归我管".to_string()] } else { vec![] };
                let conduct = if overall < 32.0 {
                    r#"[{"act":"ShiftBlame","label":"推卸责任","quote":"这不归我们管","cap":10.0,"fails_call":true}]"#
                } else {
                    "[]"
                };
                let evidence = if red.is_empty() { "[]" } else { r#"[{"kind":"red_line","matched":"不归我管"}]"# };
                // Two skills of one scenario differ: the second scores 20 points lower.
                let second = (overall - 20.0).max(0.0);
                sums[0] += overall;
                sums[1] += second;
                let skills = format!(
                    r#"[{{"skill":"{s1}","score":{overall},"why":"说到要点"}},{{"skill":"{s2}","score":{second},"why":"{}"}}]"#,
                    if second == 0.0 { "缺少要点“退款时效”" } else { "说到要点" }
                );
                ops.push(Op::Turn(TurnRecord {
                    uuid: uuid.clone(),
                    seq,
                    kind: "answer".into(),
                    turn: seq + 1,
                    turn_id: "open".into(),
                    customer_line: "你们怎么回事？钱到现在还没退！".into(),
                    text: "非常抱歉让您久等了，我马上帮您查一下。".into(),
                    latency_ms: 4000,
                    overall: Some(overall),
                    score: Some(format!(
                        r#"{{"overall":{overall},"missed_labels":{missed:?},"red_lines":{red:?},"conduct":{conduct},"evidence":{evidence},"skills":{skills}}}"#
                    )),
                    missed_labels: missed,
                    red_lines: red,
                    recorded_ms: at + 1000,
                }));
            }
            let overall = total / 2.0;
            let hung_up = rng.random_range(0..100u32) < 3;
            let scorecard = format!(
                r#"{{"escalation":{{"transfer_turn":2,"trigger_turn":1}},"skills":[{{"skill":"{s1}","turns":2,"score_sum":{}}},{{"skill":"{s2}","turns":2,"score_sum":{}}}]}}"#,
                sums[0], sums[1]
            );
            ops.push(Op::Finish(Finish {
                uuid,
                ended_ms: at + 60_000,
                outcome: if hung_up { "customer_hung_up" } else { "resolved" }.into(),
                overall,
                passed: overall >= 70.0 && !hung_up,
                rubrics: RubricColumns {
                    concepts: Some(overall),
                    tone: Some((overall + 5.0).min(100.0)),
                    escalation: Some(80.0),
                    no_repeat: None,
                    responsiveness: Some(100.0),
                },
                escalation_timing: timing(rng.random_range(0..100u32)).into(),
                scorecard,
                transcript: "[]".into(),
            }));
        }
        if ops.len() >= 36_000 {
            store.apply_all(&ops).expect("fill");
            ops.clear();
        }
        if t % 100 == 99 {
            eprintln!("filled {} trainees ({:.0} s)", t + 1, started.elapsed().as_secs_f64());
        }
    }
    store.apply_all(&ops).expect("fill");
    store
        .conn()
        .execute_batch("PRAGMA synchronous = FULL; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("analyze");
    std::fs::write(&marker, "1").expect("marker");
    let incidents: i64 = store.conn().query_row("SELECT count(*) FROM incidents", [], |r| r.get(0)).expect("count");
    eprintln!(
        "filled {} sessions ({incidents} incidents) in {:.0} s",
        TRAINEES * SESSIONS_PER_TRAINEE,
        started.elapsed().as_secs_f64()
    );
    path
}

fn bench(c: &mut Criterion) {
    // Recording a turn: one transaction, synchronous = FULL (as the app records).
    let dir = tempfile::tempdir().expect("tmp");
    let mut store = Store::open(&dir.path().join("turns.db")).expect("db");
    store
        .apply(&Op::Start(SessionStart {
            uuid: "s".into(),
            trainee: "学员".into(),
            team: None,
            scenario_id: "a".into(),
            scenario_version: 1,
            scenario_title: "A".into(),
            content_hash: "h".into(),
            basis_hash: "b".into(),
            skills: vec!["empathy".into()],
            app_version: "bench".into(),
            seed: 0,
            mode: "practice".into(),
            started_ms: 0,
        }))
        .expect("start");
    let mut seq = 0u32;
    let score =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/turn-score.json")).expect("score json");
    c.bench_function("record_one_turn (fsync)", |b| {
        b.iter(|| {
            seq += 1;
            store
                .apply(&Op::Turn(TurnRecord {
                    uuid: "s".into(),
                    seq,
                    kind: "answer".into(),
                    turn: seq,
                    turn_id: "open".into(),
                    customer_line: "你们怎么回事？".into(),
                    text: "非常抱歉让您久等了，我马上帮您查一下。".into(),
                    latency_ms: 3000,
                    overall: Some(80.0),
                    score: Some(score.clone()),
                    missed_labels: vec!["核实订单".into()],
                    red_lines: vec![],
                    recorded_ms: 0,
                }))
                .expect("turn")
        })
    });

    let path = filled_db();
    let store = Store::open(&path).expect("open filled");
    let lib = library();
    let mut g = c.benchmark_group("reports_1m_sessions");
    g.sample_size(20);
    let mut i = 0;
    g.bench_function("trainee_report", |b| {
        b.iter(|| {
            i = (i + 37) % TRAINEES;
            black_box(trainee_report(&store, &format!("学员{i:04}"), &lib).expect("report"))
        })
    });
    g.sample_size(10);
    g.bench_function("team_table_1000_trainees", |b| b.iter(|| black_box(team_report(&store, None).expect("team"))));
    // The same table aggregated from every session (a period that holds them all), as over a
    // period, instead of read from the per-trainee running totals.
    let everything = Period { since_ms: Some(0), until_ms: Some(i64::MAX / 2), ..Period::all() };
    g.bench_function("team_table_1000_trainees_aggregated", |b| {
        b.iter(|| black_box(team_report_in(&store, None, &everything).expect("team")))
    });
    g.bench_function("team_table_one_team_of_50", |b| {
        b.iter(|| black_box(team_report(&store, Some("3组")).expect("team")))
    });
    // A period of 30 days (sessions are an hour apart from the epoch: days 10–39).
    let month = Period { since_ms: Some(10 * 86_400_000), until_ms: Some(40 * 86_400_000), ..Period::all() };
    g.bench_function("trainee_report_one_month", |b| {
        b.iter(|| {
            i = (i + 37) % TRAINEES;
            black_box(trainee_report_in(&store, &format!("学员{i:04}"), &lib, &month).expect("report"))
        })
    });
    g.bench_function("team_table_one_month", |b| {
        b.iter(|| black_box(team_report_in(&store, None, &month).expect("team")))
    });
    g.bench_function("scenario_view_one_team", |b| {
        b.iter(|| black_box(scenario_report(&store, "scenario-3", Some("3组"), &Period::all()).expect("scenario")))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
