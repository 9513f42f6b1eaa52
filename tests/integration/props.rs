//! Property tests: arbitrary bytes and mangled files never panic the loader or the linter, and
//! arbitrary answers always get scores in range.

use std::path::Path;
use std::sync::OnceLock;

use peilian::lexicon::LexiconSet;
use peilian::ron_file::source_from_bytes;
use peilian::scenario::{lint, parse_source};
use peilian::scoring::turn::{AnswerContext, score_answer};
use peilian::session::Engine;
use proptest::prelude::*;

use crate::support::{engine, fixture};

fn lint_bytes(bytes: &[u8]) {
    let Ok(src) = source_from_bytes(Path::new("fuzz.ron"), bytes) else { return };
    if let Ok(parsed) = parse_source(src) {
        let _ = lint::check(&parsed.scenario, &parsed.source, &LexiconSet::embedded(), None);
    }
}

fn minimal_text() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| std::fs::read_to_string(fixture("valid/minimal.ron")).unwrap())
}

fn shared_engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| engine(&fixture("valid/vip-window.ron")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        lint_bytes(&bytes);
    }

    #[test]
    fn mangled_scenarios_never_panic(cut in 0usize..4000, len in 0usize..40, insert in "[\\PC]{0,8}") {
        let text = minimal_text();
        let mut chars: Vec<char> = text.chars().collect();
        let at = cut.min(chars.len());
        let end = (at + len).min(chars.len());
        chars.splice(at..end, insert.chars());
        let mangled: String = chars.into_iter().collect();
        lint_bytes(mangled.as_bytes());
    }

    #[test]
    fn any_answer_scores_in_range(answer in "\\PC{0,120}", mood in 0f32..100.0, latency in proptest::option::of(0f32..300.0)) {
        let e = shared_engine();
        for turn in 0..e.scenario.scenario.turns.len() {
            let s = score_answer(&e.analyzer, &e.scenario, &answer, &AnswerContext { turn, mood_before: mood, latency_secs: latency });
            prop_assert!((0.0..=100.0).contains(&s.overall));
            for r in s.rubrics.values() {
                prop_assert!((0.0..=100.0).contains(&r.score));
            }
        }
    }
}

/// Runs the binary on `home`'s database with `stdin` piped in (a write error is ignored: the
/// program may refuse the input before it reads it).
fn run_on(db: &Path, args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = crate::support::bin()
        .args(args)
        .arg("--db")
        .arg(db)
        .env("PEILIAN_HOME", db.parent().unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn peilian");
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    child.wait_with_output().expect("wait")
}

/// Characters that would move or retitle a terminal: never printed raw (line breaks are the
/// program's own; text from the input shows them escaped).
fn moves_a_terminal(bytes: &[u8]) -> Option<char> {
    String::from_utf8_lossy(bytes).chars().find(|&c| peilian::text::safe::unsafe_kind(c).is_some() && c != '\n')
}

/// One answer line: ordinary words, control characters, bidirectional marks, latency
/// prefixes (good, malformed and huge), commands, or raw bytes that may not be UTF-8.
fn answer_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "\\PC{0,40}".prop_map(String::into_bytes),
        "[您好抱歉退款核实\u{1b}\u{7}\u{9b}\u{202e}\r\t =+@-]{0,30}".prop_map(String::into_bytes),
        (any::<u64>(), prop::sample::select(vec!["ms", "s", "m", "", "x"]), "\\PC{0,10}")
            .prop_map(|(n, unit, rest)| format!("@{n}{unit} {rest}").into_bytes()),
        prop::sample::select(vec!["/transfer 李总订单重复扣款", "/hangup", "/rewind 1", "/silence 5000", "/transfer"])
            .prop_map(|s| s.as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 0..30),
    ]
}

proptest! {
    // Each case runs the binary four times: a few dozen cases cover the shapes.
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Arbitrary names, answers and latencies through practice, replay and report: no panic,
    /// a clear refusal or a session in the database under the trimmed name, latencies in
    /// range, and nothing printed that moves the terminal or starts a spreadsheet formula.
    #[test]
    fn arbitrary_input_through_practice_replay_and_report(
        name in prop_oneof!["\\PC{1,12}", "[小王 \u{1b}\u{202e}\n\t=@]{0,8}", "\\PC{38,44}"],
        lines in proptest::collection::vec(answer_line(), 0..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("p.db");
        let mut input = Vec::new();
        for l in &lines {
            input.extend_from_slice(l);
            input.push(b'\n');
        }
        // `--trainee=NAME`: a name may start with `-`, which clap would read as an option.
        let trainee_arg = format!("--trainee={name}");
        let out = run_on(&db, &["practice", "tests/fixtures/valid/vip-window.ron", "--seed", "3", &trainee_arg], &input);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        prop_assert!(!err.contains("panicked"), "{err}");
        prop_assert!(moves_a_terminal(&out.stdout).is_none() && moves_a_terminal(&out.stderr).is_none(),
            "practice printed {:?}", moves_a_terminal(&out.stdout).or(moves_a_terminal(&out.stderr)));
        // A blank name is no name: the session goes under the default trainee.
        let valid = if name.trim().is_empty() {
            Some("练习者".to_string())
        } else {
            peilian::text::safe::validate_trainee_name(&name).ok().map(str::to_string)
        };
        match (&valid, out.status.code()) {
            (None, Some(2)) => {
                prop_assert!(err.contains("学员姓名"), "{err}");
                prop_assert!(!db.exists() || sessions(&db) == 0, "a refused name records nothing");
                return Ok(());
            }
            (Some(_), Some(0)) => {}
            // Input that is not UTF-8 stops the call with a clear message; what was answered is kept.
            (Some(_), Some(2)) => prop_assert!(err.contains("UTF-8"), "{err}"),
            (_, code) => prop_assert!(false, "exit {code:?} for name {name:?}: {err}"),
        }
        let name = valid.unwrap();
        let trainee_arg = format!("--trainee={name}");
        prop_assert_eq!(sessions(&db), 1);
        let conn = rusqlite::Connection::open(&db).unwrap();
        let stored: String = conn.query_row("SELECT name FROM trainees", [], |r| r.get(0)).unwrap();
        prop_assert_eq!(&stored, &name);
        let bad_latency: i64 = conn
            .query_row("SELECT count(*) FROM turns WHERE latency_ms < 0 OR latency_ms > 3600000", [], |r| r.get(0))
            .unwrap();
        prop_assert_eq!(bad_latency, 0);
        drop(conn);

        for args in [vec!["replay"], vec!["replay", "1"], vec!["report"], vec!["report", &trainee_arg]] {
            let out = run_on(&db, &args, b"");
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            prop_assert_eq!(out.status.code(), Some(0), "{:?}: {}", args, err);
            prop_assert!(!err.contains("panicked"));
            prop_assert!(moves_a_terminal(&out.stdout).is_none(), "{:?} printed {:?}", args, moves_a_terminal(&out.stdout));
        }
        let json = run_on(&db, &["report", &trainee_arg, "--json"], b"");
        let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        prop_assert_eq!(doc["trainee"].as_str(), Some(name.as_str()));
        prop_assert!(moves_a_terminal(&json.stdout).is_none());
        let csv = run_on(&db, &["report", "--csv"], b"");
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&csv.stdout[..]);
        for record in reader.records() {
            for field in record.unwrap().iter() {
                prop_assert!(!field.starts_with(['=', '+', '-', '@', '\t', '\r']), "formula-like field {field:?}");
            }
        }
    }
}

fn sessions(db: &Path) -> i64 {
    rusqlite::Connection::open(db).unwrap().query_row("SELECT count(*) FROM sessions", [], |r| r.get(0)).unwrap()
}
