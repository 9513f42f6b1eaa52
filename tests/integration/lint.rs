//! Lint findings on the invalid fixtures (each names its expected code and position) and on
//! the shipped library.

use std::path::PathBuf;

use peilian::diagnostic::Severity;
use peilian::scenario::library::lint_paths;

use crate::support::{fixture, root};

/// Reads `// expect: CODE [LINE:COL]` from the first line of a fixture.
fn expectation(path: &PathBuf) -> (String, Option<(usize, usize)>) {
    let text = std::fs::read_to_string(path).unwrap();
    let first = text.lines().next().unwrap();
    let rest = first.strip_prefix("// expect: ").unwrap_or_else(|| panic!("{} lacks an expect line", path.display()));
    let mut parts = rest.split_whitespace();
    let code = parts.next().unwrap().to_string();
    let pos = parts.next().map(|p| {
        let (l, c) = p.split_once(':').unwrap();
        (l.parse().unwrap(), c.parse().unwrap())
    });
    (code, pos)
}

#[test]
fn every_invalid_fixture_reports_its_problem_where_it_is() {
    let dir = fixture("invalid");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "ron") {
            continue;
        }
        let (code, pos) = expectation(&path);
        let report = lint_paths(std::slice::from_ref(&path)).unwrap();
        let found = report.diagnostics.iter().find(|d| d.code == code);
        let d = found.unwrap_or_else(|| panic!("{}: expected {code}, got {:?}", path.display(), report.diagnostics));
        if let Some((line, col)) = pos {
            assert_eq!((d.line, d.column), (line, col), "{}: {d}", path.display());
        }
        assert!(!d.hint.is_empty(), "every finding says how to fix it: {d}");
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} fixtures");
}

#[test]
fn duplicate_ids_across_files() {
    let report = lint_paths(&[fixture("invalid/duplicate")]).unwrap();
    let dup: Vec<_> = report.diagnostics.iter().filter(|d| d.code == "duplicate-id").collect();
    assert_eq!(dup.len(), 1, "{:?}", report.diagnostics);
    assert!(dup[0].path.ends_with("dup-b.ron"));
    assert!(dup[0].message.contains("dup-a.ron"));
}

#[test]
fn valid_fixtures_have_no_errors() {
    let report = lint_paths(&[fixture("valid")]).unwrap();
    let errors: Vec<_> = report.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn shipped_library_is_clean() {
    let report = lint_paths(&[root().join("scenarios")]).unwrap();
    assert!(
        report.diagnostics.is_empty(),
        "{}",
        report.diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
    );
    assert!(report.files >= 10);
}

#[test]
fn unreadable_inputs_are_findings_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 5] = [
        ("empty.ron", b"", "syntax"),
        ("binary.ron", b"\x7fELF\x02\x01\x01\0\0\0", "binary"),
        ("gbk.ron", b"Scenario(id: \"\xb2\xe2\xca\xd4\")", "encoding"),
        ("blank.ron", b"   \n\n", "syntax"),
        ("lexicon.ron", b"Lexicon(name: \"x\", kind: Politeness, markers: {\"\xe6\x82\xa8\": 7.0})", "bad-weight"),
    ];
    for (name, bytes, code) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let report = lint_paths(&[path]).unwrap();
        assert!(report.diagnostics.iter().any(|d| d.code == code), "{name}: {:?}", report.diagnostics);
    }
    let huge = dir.path().join("huge.ron");
    std::fs::write(&huge, vec![b' '; 9 * 1024 * 1024]).unwrap();
    let report = lint_paths(&[huge]).unwrap();
    assert_eq!(report.diagnostics[0].code, "too-large");
}

#[test]
fn valid_fixtures_model_answers_and_branches_are_clean() {
    let report = lint_paths(&[fixture("valid")]).unwrap();
    let new_codes = ["model-red-line", "model-conduct", "announce-no-transfer", "never-holds"];
    let found: Vec<_> = report.diagnostics.iter().filter(|d| new_codes.contains(&d.code)).collect();
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn model_answers_are_read_as_the_scorer_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let lint_variant = |name: &str, from: &str, to: &str, fixture_name: &str| {
        let text = std::fs::read_to_string(fixture(fixture_name)).unwrap();
        assert!(text.contains(from), "{fixture_name} holds {from}");
        let path = dir.path().join(name);
        std::fs::write(&path, text.replace(from, to)).unwrap();
        lint_paths(&[path]).unwrap().diagnostics
    };
    // A negated red line is not crossed.
    let d = lint_variant(
        "negated-red-line.ron",
        "赔偿这块不归我管，您再问问快递公司吧",
        "我们绝不会说不归我管，赔偿我这就帮您申请",
        "invalid/model-red-line.ron",
    );
    assert!(d.is_empty(), "{d:?}");
    // The turn's red line is what the fixture's model answer crosses; without it, nothing is.
    // (The shared conduct rules still name the blame shifting.)
    let d = lint_variant("no-turn-red-line.ron", "forbidden: [\"不归我管\"], ", "", "invalid/model-red-line.ron");
    assert_eq!(d.iter().map(|d| d.code).collect::<Vec<_>>(), ["model-conduct"], "{d:?}");
    assert!(d[0].message.contains("推卸责任「赔偿这块不归我管」"), "{}", d[0].message);
    // A scenario-wide red line in a model answer is found too, and named with its turn.
    let d = lint_variant(
        "scenario-red-line.ron",
        "赔偿这块不归我管，您再问问快递公司吧",
        "赔偿的事你自己看合同吧",
        "invalid/model-red-line.ron",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].code, d[0].line, d[0].column), ("model-red-line", 25, 80));
    assert_eq!(d[0].message, "回合“second”的示范回答触犯了红线「你自己看」");
    // A model answer that mocks the customer is named, whatever the scenario's red lines.
    let d = lint_variant(
        "model-sarcasm.ron",
        "赔偿这块不归我管，您再问问快递公司吧",
        "呵呵，您可真行，赔偿我这就帮您申请",
        "invalid/model-red-line.ron",
    );
    assert_eq!(d.iter().map(|d| d.code).collect::<Vec<_>>(), ["model-conduct"], "{d:?}");
    assert!(d[0].message.contains("讽刺") && d[0].message.contains("呵呵"), "{}", d[0].message);
    // Saying that no transfer is needed is no announcement.
    let d = lint_variant(
        "no-announcement.ron",
        "我现在就为您转接主管，请您稍等",
        "这个不用转接，我来处理",
        "invalid/announce-no-transfer.ron",
    );
    assert!(!d.iter().any(|d| d.code == "announce-no-transfer"), "{d:?}");
    // An announcement followed by a turn where the trainee can transfer is fine.
    let d = lint_variant(
        "then-a-turn.ron",
        "next: [(when: Always, goto: \"unresolved\")],",
        "next: [(when: Always, goto: \"open\")],",
        "invalid/announce-no-transfer.ron",
    );
    assert!(!d.iter().any(|d| d.code == "announce-no-transfer"), "{d:?}");
}
