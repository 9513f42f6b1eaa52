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
