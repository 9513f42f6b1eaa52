//! The scenario library on disk: every scenario file under a directory, loaded side by side so
//! that one broken file does not stop the others.

use crate::customer::reactions::ReactionLibrary;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::customer::MoodModel;
use crate::diagnostic::{Diagnostic, Diagnostics, Pos, display_path, io_reason};
use crate::lexicon::{self, LexiconSet};
use crate::ron_file::{self, read_source};
use crate::scenario::compiled::CompiledScenario;
use crate::scenario::{Layout, compile_parsed, lint, parse_source};
use crate::scoring::conduct::{self, ConductPolicy};
use crate::text::acts::{self, ActRules};
use crate::text::analyzer::Analyzer;

/// What kind of trainer file a path holds, judged by its first word (`Scenario(`,
/// `Lexicon(`, `MoodModel(`) or, failing that, by its directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Scenario,
    Lexicon,
    MoodModel,
    ActRules,
    ConductPolicy,
    ReactionLibrary,
}

pub fn file_kind(path: &Path, text: Option<&str>) -> FileKind {
    if let Some(text) = text {
        let first = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("#!"))
            .find_map(|l| l.split('(').next().map(str::trim).filter(|w| !w.is_empty()));
        match first {
            Some("Lexicon") => return FileKind::Lexicon,
            Some("MoodModel") => return FileKind::MoodModel,
            Some("ActRules") => return FileKind::ActRules,
            Some("ConductPolicy") => return FileKind::ConductPolicy,
            Some("ReactionLibrary") => return FileKind::ReactionLibrary,
            Some("Scenario") => return FileKind::Scenario,
            _ => {}
        }
    }
    if path.components().any(|c| c.as_os_str() == "lexicons") { FileKind::Lexicon } else { FileKind::Scenario }
}

/// Whether a file holds a scenario (not a lexicon or a model kept beside the scenarios), read
/// bounded. A file that cannot be read counts as a scenario, for loading it to say why.
pub fn is_scenario_file(path: &Path) -> bool {
    file_kind(path, read_source(path).ok().as_ref().map(|s| s.text.as_str())) == FileKind::Scenario
}

/// All `*.ron` files below `dir`, sorted, skipping `lexicons/` directories unless asked (see
/// `scan`; what it skips is left out silently).
pub fn ron_files(dir: &Path, include_lexicons: bool) -> std::io::Result<Vec<PathBuf>> {
    scan(dir, include_lexicons).map(|s| s.files)
}

/// The `*.ron` files below a directory, and what was skipped on the way.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Sorted. Anything named `*.ron` is listed, a FIFO or device too: reading it gives the
    /// diagnostic (`not-a-file`) that names it.
    pub files: Vec<PathBuf>,
    /// Warnings naming each directory or file left out: one reached a second time (a symlink
    /// loop, or a second link to the same place) or one that cannot be read.
    pub skipped: Vec<Diagnostic>,
}

/// Walks `dir` (following symlinks, skipping hidden directories and, unless asked, `lexicons/`),
/// visiting each directory and listing each file once however many links lead to it. Fails
/// only when `dir` itself cannot be read.
pub fn scan(dir: &Path, include_lexicons: bool) -> std::io::Result<Scan> {
    let mut out = Scan::default();
    let mut seen_dirs: HashMap<FileId, PathBuf> = HashMap::new();
    let mut seen_files: HashMap<FileId, PathBuf> = HashMap::new();
    seen_dirs.insert(file_id(dir)?, dir.to_path_buf());
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(entries) => entries,
            Err(e) if d == dir => return Err(e),
            Err(e) => {
                out.skipped.push(skipped(&d, format!("无法读取目录：{}", io_reason(&e))));
                continue;
            }
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        let mut subdirs = Vec::new();
        for path in paths {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            // `metadata` follows symlinks; a dangling one is not a directory.
            let is_dir = std::fs::metadata(&path).is_ok_and(|m| m.is_dir());
            if is_dir {
                if name.starts_with('.') || (!include_lexicons && name == "lexicons") {
                    continue;
                }
                match file_id(&path) {
                    Ok(id) => match seen_dirs.get(&id) {
                        Some(first) => out.skipped.push(skipped(
                            &path,
                            format!(
                                "这个目录就是已经读过的 {}（符号链接循环或重复链接），不再读第二遍",
                                display_path(first)
                            ),
                        )),
                        None => {
                            seen_dirs.insert(id, path.clone());
                            subdirs.push(path);
                        }
                    },
                    Err(e) => out.skipped.push(skipped(&path, format!("无法读取目录：{}", io_reason(&e)))),
                }
            } else if path.extension().is_some_and(|e| e == "ron") {
                // A second link to a file already listed is left out; anything that cannot be
                // looked at is listed, for reading it to say why.
                if let Ok(id) = file_id(&path) {
                    if let Some(first) = seen_files.get(&id) {
                        out.skipped.push(skipped(
                            &path,
                            format!("这个文件就是已经读过的 {}（符号链接或硬链接），不再读第二遍", display_path(first)),
                        ));
                        continue;
                    }
                    seen_files.insert(id, path.clone());
                }
                out.files.push(path);
            }
        }
        // Depth first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    out.files.sort();
    Ok(out)
}

fn skipped(path: &Path, message: String) -> Diagnostic {
    Diagnostic::warning(path, Pos::default(), "skipped", message, "删除多余的符号链接，或修复权限；其余文件照常检查")
}

/// What makes a file or directory the same one under any name: device and inode on Unix, the
/// canonical path elsewhere.
#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

fn file_id(path: &Path) -> std::io::Result<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path)?;
        Ok((m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(path)
    }
}

/// The scenarios directory: `$PEILIAN_SCENARIOS`, else `./scenarios`, else the one beside the
/// executable's project (for `cargo run` from elsewhere), else the source tree's.
pub fn default_scenarios_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PEILIAN_SCENARIOS") {
        return Some(PathBuf::from(dir));
    }
    let mut candidates = vec![PathBuf::from("scenarios")];
    if let Ok(exe) = std::env::current_exe() {
        candidates.extend(exe.ancestors().skip(1).take(4).map(|d| d.join("scenarios")));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"));
    candidates.into_iter().find(|d| d.is_dir())
}

/// One entry of the library: a usable scenario, or a file that failed with its errors.
#[derive(Debug, Clone)]
pub enum Entry {
    Ready { scenario: Arc<CompiledScenario>, warnings: Vec<Diagnostic> },
    Failed { path: PathBuf, errors: Diagnostics },
}

impl Entry {
    pub fn path(&self) -> Option<&Path> {
        match self {
            Entry::Ready { scenario, .. } => scenario.path.as_deref(),
            Entry::Failed { path, .. } => Some(path),
        }
    }
}

/// The scenarios of a directory.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub dir: PathBuf,
    pub entries: Vec<Entry>,
}

impl Library {
    /// Loads every scenario under `dir` (drafts only when `include_drafts`), adding their phrases
    /// to the analyzer. Files that fail are kept as `Entry::Failed`.
    pub fn load(dir: &Path, analyzer: &mut Analyzer, include_drafts: bool) -> std::io::Result<Library> {
        let layout = Layout::around(dir);
        // All phrases first, in one sorted batch, as `Layout::analyzer` does.
        let phrases = super::library_phrases(dir);
        analyzer.add_phrases(phrases.iter().map(String::as_str));
        let mut entries = Vec::new();
        for path in ron_files(dir, false)? {
            // Read once, bounded: a FIFO, a device or a huge file is a failed entry naming it.
            let src = match read_source(&path) {
                Ok(src) => src,
                Err(d) => {
                    entries.push(Entry::Failed { path, errors: Diagnostics(vec![d]) });
                    continue;
                }
            };
            if file_kind(&path, Some(&src.text)) != FileKind::Scenario {
                continue; // a lexicon or a mood model kept beside the scenarios
            }
            let parsed = match parse_source(src) {
                Ok(p) => p,
                Err(d) => {
                    entries.push(Entry::Failed { path, errors: Diagnostics(vec![d]) });
                    continue;
                }
            };
            if parsed.scenario.draft && !include_drafts {
                continue;
            }
            match compile_parsed(parsed, analyzer, layout.assets.as_deref()) {
                Ok((scenario, warnings)) => entries.push(Entry::Ready { scenario: Arc::new(scenario), warnings }),
                Err(errors) => entries.push(Entry::Failed { path, errors }),
            }
        }
        let mut library = Library { dir: dir.to_path_buf(), entries };
        library.reject_duplicate_ids();
        Ok(library)
    }

    /// A second file with an id already taken is turned into a failure naming the first.
    fn reject_duplicate_ids(&mut self) {
        let mut seen: Vec<(String, PathBuf)> = Vec::new();
        for entry in &mut self.entries {
            let Entry::Ready { scenario, .. } = entry else {
                continue;
            };
            let id = scenario.id().to_string();
            let path = scenario.path.clone().unwrap_or_default();
            if let Some((_, first)) = seen.iter().find(|(i, _)| *i == id) {
                let d = duplicate_id(&path, &id, first);
                *entry = Entry::Failed { path, errors: Diagnostics(vec![d]) };
            } else {
                seen.push((id, path));
            }
        }
    }

    pub fn ready(&self) -> impl Iterator<Item = &Arc<CompiledScenario>> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Ready { scenario, .. } => Some(scenario),
            Entry::Failed { .. } => None,
        })
    }

    pub fn failed(&self) -> impl Iterator<Item = (&Path, &Diagnostics)> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Failed { path, errors } => Some((path.as_path(), errors)),
            Entry::Ready { .. } => None,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Arc<CompiledScenario>> {
        self.ready().find(|s| s.id() == id)
    }
}

pub fn duplicate_id(path: &Path, id: &str, first: &Path) -> Diagnostic {
    Diagnostic::error(
        path,
        Pos::START,
        "duplicate-id",
        format!("场景 id “{id}” 已被 {} 使用", display_path(first)),
        "每个场景的 id 必须唯一：改名，或删除重复的文件",
    )
}

/// The result of linting files: how many were read and every finding.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    pub files: usize,
    pub diagnostics: Vec<Diagnostic>,
}

impl LintReport {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Lints files and directories (recursively, lexicons included): parse errors, semantic checks,
/// lexicon checks and duplicate scenario ids across all files. Fails only when a path cannot
/// be read at all.
pub fn lint_paths(paths: &[PathBuf]) -> std::io::Result<LintReport> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for p in paths {
        if p.is_dir() {
            let found = scan(p, true)?;
            files.extend(found.files);
            skipped.extend(found.skipped);
        } else if p.symlink_metadata().is_ok() {
            files.push(p.clone());
        } else {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("{}: 路径不存在", display_path(p))));
        }
    }
    let mut report = LintReport { files: files.len(), diagnostics: skipped };
    // Lexicon directories met, checked as a whole (one lexicon per kind) at the end.
    let mut lexicon_dirs: Vec<PathBuf> = Vec::new();
    let mut lexicon_cache: Vec<(Option<PathBuf>, LexiconSet)> = Vec::new();
    let mut ids: Vec<(String, PathBuf)> = Vec::new();
    let mut lexicon_names: Vec<(String, PathBuf)> = Vec::new();
    // One analyzer per library (lexicons and dictionary), built when first needed.
    type LibraryKey = (Option<PathBuf>, Option<PathBuf>);
    let mut analyzers: Vec<(LibraryKey, Analyzer)> = Vec::new();
    for path in &files {
        let src = match read_source(path) {
            Ok(s) => s,
            Err(d) => {
                report.diagnostics.push(d);
                continue;
            }
        };
        match file_kind(path, Some(&src.text)) {
            FileKind::Lexicon => match lexicon::parse(&src) {
                Ok(l) => {
                    if let Some(dir) = path.parent().filter(|d| d.file_name().is_some_and(|n| n == "lexicons"))
                        && !lexicon_dirs.iter().any(|d| d == dir)
                    {
                        lexicon_dirs.push(dir.to_path_buf());
                    }
                    report.diagnostics.extend(lexicon::check(&l, &src));
                    let reported =
                        |r: &LintReport| r.diagnostics.iter().any(|x| x.path == *path && x.code == "duplicate-id");
                    if let Some((_, first)) =
                        lexicon_names.iter().find(|(n, _)| *n == l.name).filter(|_| !reported(&report))
                    {
                        report.diagnostics.push(Diagnostic::error(
                            path,
                            src.locate("name", &l.name),
                            "duplicate-id",
                            format!("词库名“{}”与 {} 重复", l.name, display_path(first)),
                            "每个词库的 name 必须唯一；合并两个文件或改名",
                        ));
                    } else if !lexicon_names.iter().any(|(n, _)| *n == l.name) {
                        lexicon_names.push((l.name.clone(), path.clone()));
                    }
                }
                Err(d) => report.diagnostics.push(d),
            },
            FileKind::MoodModel => match ron_file::parse::<MoodModel>(&src) {
                Ok(model) => report.diagnostics.extend(model.check(&src)),
                Err(d) => report.diagnostics.push(d),
            },
            FileKind::ActRules => match ron_file::parse::<ActRules>(&src) {
                Ok(rules) => report.diagnostics.extend(acts::check(&rules, &src)),
                Err(d) => report.diagnostics.push(d),
            },
            FileKind::ConductPolicy => match ron_file::parse::<ConductPolicy>(&src) {
                Ok(policy) => report.diagnostics.extend(conduct::check(&policy, &src)),
                Err(d) => report.diagnostics.push(d),
            },
            FileKind::ReactionLibrary => match ron_file::parse::<ReactionLibrary>(&src) {
                Ok(library) => report.diagnostics.extend(library.check(&src)),
                Err(d) => report.diagnostics.push(d),
            },
            FileKind::Scenario => {
                let parsed = match parse_source(src) {
                    Ok(p) => p,
                    Err(d) => {
                        report.diagnostics.push(d);
                        continue;
                    }
                };
                let layout = Layout::around(path);
                let lexicons = match lexicon_cache.iter().find(|(dir, _)| *dir == layout.lexicons) {
                    Some((_, set)) => set.clone(),
                    None => {
                        // A broken lexicon directory is reported (once); the scenario is then
                        // checked against the shipped lexicons.
                        let set = layout.lexicon_set().unwrap_or_else(|problems| {
                            for d in problems {
                                if !report.diagnostics.iter().any(|x| x.path == d.path && x.code == d.code) {
                                    report.diagnostics.push(d);
                                }
                            }
                            LexiconSet::embedded()
                        });
                        lexicon_cache.push((layout.lexicons.clone(), set.clone()));
                        set
                    }
                };
                let findings = lint::check(&parsed.scenario, &parsed.source, &lexicons, layout.assets.as_deref());
                // The model answers are checked with the analyzer the scenario is scored with,
                // once nothing stops it from compiling (a missing voice clip does not).
                let compiles = !findings.iter().any(|d| d.is_error() && d.code != "audio-missing");
                report.diagnostics.extend(findings);
                if compiles {
                    let key = (layout.lexicons.clone(), layout.library.clone());
                    let base = match analyzers.iter().find(|(k, _)| *k == key) {
                        Some((_, a)) => a,
                        None => {
                            let mut analyzer = Analyzer::new(lexicons.clone());
                            if let Some(dir) = &layout.library {
                                let phrases = super::library_phrases(dir);
                                analyzer.add_phrases(phrases.iter().map(String::as_str));
                            }
                            analyzers.push((key, analyzer));
                            &analyzers.last().expect("just pushed").1
                        }
                    };
                    let mut analyzer = base.clone();
                    let source = parsed.source.clone();
                    let (scenario, hash) = (parsed.scenario.clone(), parsed.content_hash.clone());
                    match CompiledScenario::compile(scenario, &mut analyzer, Some(path.clone()), hash) {
                        Ok(compiled) => report.diagnostics.extend(lint::check_answers(&compiled, &source, &analyzer)),
                        Err(e) => report.diagnostics.push(Diagnostic::error(
                            path,
                            Pos::START,
                            "compile",
                            e.to_string(),
                            "运行 peilian lint 查看详情；lint 没有别的问题时请报告这个错误",
                        )),
                    }
                }
                let id = parsed.scenario.id.clone();
                if let Some((_, first)) = ids.iter().find(|(i, _)| *i == id) {
                    let mut d = duplicate_id(path, &id, first);
                    let pos = parsed.source.locate("id", &id);
                    (d.line, d.column) = (pos.line, pos.column);
                    report.diagnostics.push(d);
                } else {
                    ids.push((id, path.clone()));
                }
            }
        }
    }
    // A lexicon directory as a whole: one lexicon per kind (its files' own problems again are
    // dropped below).
    for dir in &lexicon_dirs {
        if let Err(problems) = LexiconSet::load_dir(dir) {
            report.diagnostics.extend(problems);
        }
    }
    // The same problem reached twice (a broken lexicon through a scenario's layout and on its
    // own) is reported once.
    let mut seen: HashSet<(PathBuf, &'static str, usize, usize)> = HashSet::new();
    report.diagnostics.retain(|d| {
        let key = (
            d.path.clone(),
            d.code,
            if d.code == "duplicate-id" { 0 } else { d.line },
            if d.code == "duplicate-id" { 0 } else { d.column },
        );
        seen.insert(key)
    });
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kind_reads_the_first_word() {
        assert_eq!(file_kind(Path::new("a.ron"), Some("// c\nLexicon(\n")), FileKind::Lexicon);
        assert_eq!(file_kind(Path::new("a.ron"), Some("MoodModel(")), FileKind::MoodModel);
        assert_eq!(file_kind(Path::new("a.ron"), Some("ReactionLibrary(")), FileKind::ReactionLibrary);
        assert_eq!(file_kind(Path::new("x/lexicons/a.ron"), Some("(")), FileKind::Lexicon);
        assert_eq!(file_kind(Path::new("x/a.ron"), Some("(")), FileKind::Scenario);
    }
}
