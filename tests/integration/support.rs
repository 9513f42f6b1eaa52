//! Shared helpers: paths, a compiled fixture engine, running the built binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};

use peilian::scenario::{Layout, load};
use peilian::session::Engine;
use peilian::text::Analyzer;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// The analyzer the CLI would build for a fixture (lexicons plus the library's phrases), built
/// once for the whole test binary.
fn base_analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| Layout::around(&fixture("valid/minimal.ron")).analyzer().expect("lexicons"))
}

/// Compiles a scenario file into an engine (with its own copy of the analyzer).
pub fn engine(path: &Path) -> Engine {
    let mut analyzer = clone_analyzer();
    let (compiled, _) = load(path, &mut analyzer, Some(&root().join("assets"))).unwrap_or_else(|e| panic!("{e}"));
    Engine::new(Arc::new(analyzer), Arc::new(compiled))
}

fn clone_analyzer() -> Analyzer {
    // Building jieba takes a moment: build once, clone for each scenario.
    base_analyzer().clone()
}

/// A private home for the binary's preferences and database, so tests never touch the user's.
pub fn test_home() -> &'static Path {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| tempfile::tempdir().expect("temp dir")).path()
}

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peilian"));
    cmd.current_dir(root());
    cmd.env_remove("PEILIAN_SCENARIOS").env_remove("PEILIAN_MOOD_MODEL");
    cmd.env("PEILIAN_HOME", test_home()).env("PEILIAN_DB", test_home().join("peilian.db")).env("TMPDIR", test_home());
    cmd
}

/// Runs the binary with `stdin` piped in.
pub fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn peilian");
    child.stdin.take().expect("stdin").write_all(stdin).expect("write stdin");
    child.wait_with_output().expect("wait")
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).stdin(Stdio::null()).output().expect("run peilian")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}\nstderr: {}", stdout(o), stderr(o)))
}

/// A scenario library of its own under `dir` (`dir/scenarios` with the shipped lexicons and no
/// scenarios yet), for tests that change files.
pub fn empty_library(dir: &Path) -> PathBuf {
    let lib = dir.join("scenarios");
    std::fs::create_dir_all(lib.join("lexicons")).expect("library dir");
    for entry in std::fs::read_dir(root().join("scenarios/lexicons")).expect("shipped lexicons") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, lib.join("lexicons").join(p.file_name().expect("name"))).expect("copy lexicon");
    }
    lib
}
