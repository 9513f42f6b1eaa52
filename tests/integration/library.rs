//! The scenario library under hostile files: FIFOs, devices, symlink loops, huge files, broken
//! shared data (lexicon kinds, mood models), duplicate ids, voice clips linked out of
//! `assets/`, and messages that stay readable (Chinese, no raw control characters).

use std::path::Path;

use peilian::diagnostic::Diagnostic;
use peilian::scenario::library::{Entry, Library, lint_paths, scan};
use peilian::text::Analyzer;

use crate::support::{bin, empty_library, fixture, root, stderr, stdout};

fn codes(diagnostics: &[Diagnostic]) -> Vec<(&'static str, String)> {
    diagnostics
        .iter()
        .map(|d| (d.code, d.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()))
        .collect()
}

/// A library holding one good scenario and every kind of file that used to hang the reader or
/// eat memory: a FIFO, a symlink to /dev/zero, a sparse 6 GB file, a directory symlink loop.
#[cfg(unix)]
fn hostile_library(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::symlink;
    let lib = empty_library(dir);
    std::fs::copy(fixture("valid/minimal.ron"), lib.join("good.ron")).unwrap();
    let fifo = lib.join("fifo.ron");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    symlink("/dev/zero", lib.join("zero.ron")).unwrap();
    std::fs::File::create(lib.join("huge.ron")).unwrap().set_len(6 << 30).unwrap();
    std::fs::create_dir(lib.join("sub")).unwrap();
    symlink("..", lib.join("sub/up")).unwrap();
    symlink(lib.join("sub"), lib.join("sub/self")).unwrap();
    lib
}

#[cfg(unix)]
#[test]
fn fifos_devices_loops_and_huge_files_are_named_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let lib = hostile_library(dir.path());
    // Each directory once: the loops are skipped with a warning naming them.
    let found = scan(&lib, true).unwrap();
    let names: Vec<String> =
        found.files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names.iter().filter(|n| *n == "good.ron").count(), 1, "{names:?}");
    let skipped: Vec<String> = found.skipped.iter().map(|d| d.path.to_string_lossy().into_owned()).collect();
    assert!(
        skipped.iter().any(|p| p.ends_with("sub/up")) && skipped.iter().any(|p| p.ends_with("sub/self")),
        "{skipped:?}"
    );

    let report = lint_paths(std::slice::from_ref(&lib)).unwrap();
    let found = codes(&report.diagnostics);
    for want in [("not-a-file", "fifo.ron"), ("not-a-file", "zero.ron"), ("too-large", "huge.ron"), ("skipped", "up")] {
        assert!(found.contains(&(want.0, want.1.to_string())), "{want:?} in {found:?}");
    }
    let zero = report.diagnostics.iter().find(|d| d.path.ends_with("zero.ron")).unwrap();
    assert!(zero.message.contains("/dev/zero") && zero.message.contains("设备"), "{zero}");
    let fifo = report.diagnostics.iter().find(|d| d.path.ends_with("fifo.ron")).unwrap();
    assert!(fifo.message.contains("FIFO"), "{fifo}");
    // The good scenario is still checked (and has no error).
    assert!(!report.diagnostics.iter().any(|d| d.path.ends_with("good.ron") && d.is_error()));

    // The app's loader reads through the same reader: the bad files are failed entries.
    let mut analyzer = Analyzer::with_embedded_lexicons();
    let library = Library::load(&lib, &mut analyzer, true).unwrap();
    let failed: Vec<String> = library
        .failed()
        .map(|(p, e)| format!("{}:{}", p.file_name().unwrap().to_string_lossy(), e.0[0].code))
        .collect();
    assert_eq!(failed, ["fifo.ron:not-a-file", "huge.ron:too-large", "zero.ron:not-a-file"]);
    assert_eq!(library.ready().count(), 1);
    assert!(
        library.entries.iter().all(|e| !matches!(e, Entry::Ready { .. }) || e.path().unwrap().ends_with("good.ron"))
    );
}

#[cfg(unix)]
#[test]
fn test_and_lint_commands_finish_on_a_hostile_library() {
    let dir = tempfile::tempdir().unwrap();
    let lib = hostile_library(dir.path());
    let lint = bin().arg("lint").arg(&lib).output().unwrap();
    assert_eq!(lint.status.code(), Some(1));
    assert!(stdout(&lint).contains("fifo.ron:1:1: 错误[not-a-file]"), "{}", stdout(&lint));
    let test = bin().arg("test").arg(&lib).output().unwrap();
    assert_eq!(test.status.code(), Some(1), "{}", stdout(&test));
    for name in ["fifo.ron", "zero.ron", "huge.ron"] {
        assert!(stdout(&test).contains(&format!("{name}：无法加载")), "{name}: {}", stdout(&test));
    }
}

#[test]
fn test_command_fails_on_duplicate_ids_naming_both_files() {
    let out = bin().args(["test", "tests/fixtures/invalid/duplicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    let line = text.lines().find(|l| l.contains("[duplicate-id]")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("dup-b.ron") && line.contains("dup-a.ron"), "{line}");
    assert!(text.contains("1 个场景无法加载"), "{text}");
    // Each alone has no duplicate (and loads).
    let one = bin().args(["test", "tests/fixtures/invalid/duplicate/dup-a.ron"]).output().unwrap();
    assert!(!stdout(&one).contains("duplicate-id") && stdout(&one).contains("0 个场景无法加载"), "{}", stdout(&one));
}

#[test]
fn lint_refuses_a_lexicon_directory_with_a_changed_kind() {
    let dir = tempfile::tempdir().unwrap();
    let lib = empty_library(dir.path());
    std::fs::copy(fixture("valid/minimal.ron"), lib.join("good.ron")).unwrap();
    let politeness = lib.join("lexicons/politeness.ron");
    let text = std::fs::read_to_string(&politeness).unwrap();
    std::fs::write(&politeness, text.replace("kind: Politeness", "kind: Hostility")).unwrap();
    for target in [lib.clone(), lib.join("lexicons"), lib.join("good.ron")] {
        let report = lint_paths(std::slice::from_ref(&target)).unwrap();
        let kind: Vec<&Diagnostic> = report.diagnostics.iter().filter(|d| d.code == "lexicon-kind").collect();
        assert_eq!(kind.len(), 2, "{}: {:?}", target.display(), report.diagnostics);
        assert!(kind.iter().any(|d| d.message.contains("hostility.ron") && d.message.contains("politeness.ron")));
        assert!(kind.iter().any(|d| d.message.contains("Politeness")));
    }
    // And the scenario cannot be played or tested with it.
    let out = bin().arg("test").arg(lib.join("good.ron")).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("lexicon-kind"), "{}", stdout(&out));
}

#[test]
fn a_mood_model_with_nan_or_infinities_is_refused_at_load_and_in_lint() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(root().join("assets/customer/mood.ron")).unwrap();
    let bad = dir.path().join("mood.ron");
    std::fs::write(
        &bad,
        shipped
            .replace("empathy_calm: 16.0", "empathy_calm: NaN")
            .replace("silence_inflame: 10.0", "silence_inflame: -inf"),
    )
    .unwrap();
    let report = lint_paths(std::slice::from_ref(&bad)).unwrap();
    let found: Vec<(usize, &str)> = report.diagnostics.iter().map(|d| (d.line, d.code)).collect();
    assert_eq!(found, [(6, "bad-value"), (15, "bad-value")], "{:?}", report.diagnostics);
    assert!(report.diagnostics[0].message.contains("empathy_calm") && report.diagnostics[0].message.contains("NaN"));
    let out =
        bin().env("PEILIAN_MOOD_MODEL", &bad).args(["test", "tests/fixtures/valid/minimal.ron"]).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("empathy_calm") && stderr(&out).contains("mood.ron:6:5"), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn a_voice_clip_linked_out_of_assets_is_an_error() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let lib = empty_library(dir.path());
    let assets = dir.path().join("assets");
    std::fs::create_dir_all(assets.join("voice/v")).unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.ogg"), b"OggS").unwrap();
    std::fs::write(assets.join("voice/v/real.ogg"), b"OggS").unwrap();
    symlink(outside.join("secret.ogg"), assets.join("voice/v/linked.ogg")).unwrap();
    symlink(&outside, assets.join("voice/elsewhere")).unwrap();
    let text = std::fs::read_to_string(fixture("valid/minimal.ron")).unwrap();
    let with_voice = |clip: &str| {
        text.replace(
            "(text: \"你好，我的快递丢了。\")",
            &format!("(text: \"你好，我的快递丢了。\", voice: \"{clip}\")"),
        )
    };
    let scenario = lib.join("s.ron");
    for (clip, want) in [
        ("voice/v/real.ogg", None),
        ("voice/v/linked.ogg", Some("audio-outside-assets")),
        ("voice/elsewhere/secret.ogg", Some("audio-outside-assets")),
        ("voice/elsewhere/new.ogg", Some("audio-outside-assets")),
        ("voice/v/none.ogg", Some("audio-missing")),
    ] {
        let changed = with_voice(clip);
        assert!(changed.contains(clip));
        std::fs::write(&scenario, changed).unwrap();
        let report = lint_paths(std::slice::from_ref(&scenario)).unwrap();
        let audio: Vec<&Diagnostic> = report.diagnostics.iter().filter(|d| d.code.starts_with("audio")).collect();
        assert_eq!(
            audio.iter().map(|d| d.code).collect::<Vec<_>>(),
            want.into_iter().collect::<Vec<_>>(),
            "{clip}: {audio:?}"
        );
        if want == Some("audio-outside-assets") {
            assert!(audio[0].message.contains("outside"), "names where it leads: {}", audio[0]);
        }
    }
    // `peilian voice` refuses to write through such a link (before looking for espeak-ng).
    std::fs::write(&scenario, with_voice("voice/v/linked.ogg")).unwrap();
    let out = bin().current_dir(dir.path()).args(["voice", "scenarios/s.ron", "--force"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("voice/v/linked.ogg") && stderr(&out).contains("不会写入"), "{}", stderr(&out));
    assert_eq!(std::fs::read(outside.join("secret.ogg")).unwrap(), b"OggS");
}

#[test]
fn voice_explains_a_file_where_its_folder_belongs() {
    // Formerly "File exists (os error 17)".
    let dir = tempfile::tempdir().unwrap();
    let lib = empty_library(dir.path());
    std::fs::create_dir_all(dir.path().join("assets")).unwrap();
    std::fs::write(dir.path().join("assets/voice"), b"not a folder").unwrap();
    std::fs::copy(fixture("valid/minimal.ron"), lib.join("s.ron")).unwrap();
    let out = bin().current_dir(dir.path()).args(["voice", "scenarios/s.ron"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("assets/voice 已经是一个文件，不是目录") && err.contains("删除或改名"), "{err}");
    assert!(!err.contains("os error"), "{err}");
}

#[test]
fn an_unclosed_string_is_reported_at_the_line_it_opens() {
    let out = bin().args(["lint", "tests/fixtures/invalid/unclosed-string.ron"]).output().unwrap();
    let text = stdout(&out);
    assert!(text.contains("unclosed-string.ron:5:12: 错误[unclosed-string]: 第 5 行的字符串没有结束的引号"), "{text}");
}

#[cfg(unix)]
#[test]
fn control_characters_in_names_and_text_reach_the_terminal_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let name = "\u{1b}]0;pwned\u{7}\u{1b}[2J.ron";
    let text = std::fs::read_to_string(fixture("valid/minimal.ron"))
        .unwrap()
        .replace("required: [\"apology\"]", "required: [\"apology\\u{1b}[31m\"]");
    std::fs::write(dir.path().join(name), text).unwrap();
    let out = bin().arg("lint").arg(dir.path()).output().unwrap();
    let shown = stdout(&out);
    assert!(shown.contains("\\x1b]0;pwned\\x07\\x1b[2J.ron"), "{shown}");
    assert!(shown.contains("apology\\x1b[31m"), "{shown}");
    assert!(!shown.chars().any(|c| c.is_control() && c != '\n'), "{shown:?}");
}
