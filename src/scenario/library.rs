//! The scenario library on disk: every scenario file under a directory, loaded side by side so
//! that one broken file does not stop the others.

use crate::customer::reactions::ReactionLibrary;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::customer::MoodModel;
use crate::diagnostic::{Diagnostic, Diagnostics, Pos};
use crate::lexicon::{self, LexiconSet};
use crate::ron_file::{self, read_source};
use crate::scenario::compiled::CompiledScenario;
use crate::scenario::{Layout, compile_parsed, lint, parse_file, parse_source};
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

/// All `*.ron` files below `dir`, sorted, skipping `lexicons/` directories unless asked.
pub fn ron_files(dir: &Path, include_lexicons: bool) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                if name.starts_with('.') || (!include_lexicons && name == "lexicons") {
                    continue;
                }
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "ron") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
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
            let text = std::fs::read_to_string(&path).ok();
            if file_kind(&path, text.as_deref()) != FileKind::Scenario {
                continue; // a lexicon or a mood model kept beside the scenarios
            }
            let parsed = match parse_file(&path) {
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
        format!("场景 id “{id}” 已被 {} 使用", first.display()),
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
    for p in paths {
        if p.is_dir() {
            files.extend(ron_files(p, true)?);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("{}: 路径不存在", p.display())));
        }
    }
    let mut report = LintReport { files: files.len(), diagnostics: Vec::new() };
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
                            format!("词库名“{}”与 {} 重复", l.name, first.display()),
                            "每个词库的 name 必须唯一；合并两个文件或改名",
                        ));
                    } else if !lexicon_names.iter().any(|(n, _)| *n == l.name) {
                        lexicon_names.push((l.name.clone(), path.clone()));
                    }
                }
                Err(d) => report.diagnostics.push(d),
            },
            FileKind::MoodModel => {
                if let Err(d) = ron_file::parse::<MoodModel>(&src) {
                    report.diagnostics.push(d);
                }
            }
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
    // The same problem reached twice (a broken lexicon through a scenario's layout and on its
    // own) is reported once.
    let mut seen: Vec<(PathBuf, &'static str, usize, usize)> = Vec::new();
    report.diagnostics.retain(|d| {
        let key = (
            d.path.clone(),
            d.code,
            if d.code == "duplicate-id" { 0 } else { d.line },
            if d.code == "duplicate-id" { 0 } else { d.column },
        );
        let new = !seen.contains(&key);
        if new {
            seen.push(key);
        }
        new
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
