//! The scenario library on disk: every scenario file under a directory, loaded side by side so
//! that one broken file does not stop the others.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics, Pos};
use crate::scenario::compiled::CompiledScenario;
use crate::scenario::{Layout, compile_parsed, parse_file};
use crate::text::analyzer::Analyzer;

/// What kind of trainer file a path holds, judged by its first word (`Scenario(`,
/// `Lexicon(`, `MoodModel(`) or, failing that, by its directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Scenario,
    Lexicon,
    MoodModel,
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
        let mut entries = Vec::new();
        for path in ron_files(dir, false)? {
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
            let Entry::Ready { scenario, .. } = entry else { continue };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kind_reads_the_first_word() {
        assert_eq!(file_kind(Path::new("a.ron"), Some("// c\nLexicon(\n")), FileKind::Lexicon);
        assert_eq!(file_kind(Path::new("a.ron"), Some("MoodModel(")), FileKind::MoodModel);
        assert_eq!(file_kind(Path::new("x/lexicons/a.ron"), Some("(")), FileKind::Lexicon);
        assert_eq!(file_kind(Path::new("x/a.ron"), Some("(")), FileKind::Scenario);
    }
}
