//! Scenarios: the schema, loading with located errors, semantic lint, compiling for scoring,
//! and the library of scenario files on disk.

pub mod compiled;
pub mod library;
pub mod lint;
pub mod schema;

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Diagnostics, SourceText};
use crate::lexicon::LexiconSet;
use crate::ron_file;
use crate::text::analyzer::Analyzer;
use compiled::{CompiledScenario, content_hash};
use schema::Scenario;

/// A scenario file read and parsed, with its text kept for pointing at problems.
#[derive(Debug, Clone)]
pub struct ParsedScenario {
    pub scenario: Scenario,
    pub source: SourceText,
    pub content_hash: String,
}

/// Reads and parses a scenario file (no semantic checks).
pub fn parse_file(path: &Path) -> Result<ParsedScenario, Diagnostic> {
    let src = ron_file::read_source(path)?;
    parse_source(src)
}

/// Parses scenario text already in memory.
pub fn parse_source(src: SourceText) -> Result<ParsedScenario, Diagnostic> {
    let scenario: Scenario = ron_file::parse(&src)?;
    let content_hash = content_hash(src.text.as_bytes());
    Ok(ParsedScenario { scenario, source: src, content_hash })
}

/// Where a scenario's lexicons and assets are: the nearest `lexicons/` (or
/// `scenarios/lexicons/`) and `assets/` directories above it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    pub lexicons: Option<PathBuf>,
    pub assets: Option<PathBuf>,
    /// The library the file belongs to: the directory holding the `lexicons/` directory.
    pub library: Option<PathBuf>,
}

impl Layout {
    pub fn around(path: &Path) -> Self {
        let start =
            if path.is_dir() { path.to_path_buf() } else { path.parent().map(Path::to_path_buf).unwrap_or_default() };
        let start = if start.as_os_str().is_empty() { PathBuf::from(".") } else { start };
        let mut layout = Layout::default();
        for dir in start.ancestors() {
            if layout.lexicons.is_none() {
                for candidate in [dir.join("lexicons"), dir.join("scenarios").join("lexicons")] {
                    if candidate.is_dir() {
                        layout.library = candidate.parent().map(Path::to_path_buf);
                        layout.lexicons = Some(candidate);
                        break;
                    }
                }
            }
            if layout.assets.is_none() && dir.join("assets").is_dir() {
                layout.assets = Some(dir.join("assets"));
            }
            if layout.lexicons.is_some() && layout.assets.is_some() {
                break;
            }
        }
        layout
    }

    /// The lexicons this layout points at, or the embedded ones.
    pub fn lexicon_set(&self) -> Result<LexiconSet, Vec<Diagnostic>> {
        LexiconSet::from_dir_or_embedded(self.lexicons.as_deref())
    }

    /// The analyzer every command and the app score with: the lexicons, and in the dictionary
    /// the phrases of every scenario in the library, added in one sorted batch. So a scenario
    /// scores the same whether it is played alone, tested, or loaded with the whole library.
    pub fn analyzer(&self) -> Result<Analyzer, Vec<Diagnostic>> {
        let mut analyzer = Analyzer::new(self.lexicon_set()?);
        if let Some(dir) = &self.library {
            let phrases = library_phrases(dir);
            analyzer.add_phrases(phrases.iter().map(String::as_str));
        }
        Ok(analyzer)
    }
}

/// The dictionary phrases of every scenario file under `dir` that parses (drafts included),
/// sorted and without duplicates.
pub fn library_phrases(dir: &Path) -> Vec<String> {
    let mut all: Vec<String> = library::ron_files(dir, false)
        .unwrap_or_default()
        .iter()
        .filter_map(|f| parse_file(f).ok())
        .flat_map(|p| compiled::dictionary_phrases(&p.scenario))
        .collect();
    all.sort();
    all.dedup();
    all
}

/// Reads, checks and compiles one scenario file for playing or scoring. Warnings are returned
/// beside the scenario; errors make it unusable.
pub fn load(
    path: &Path,
    analyzer: &mut Analyzer,
    assets: Option<&Path>,
) -> Result<(CompiledScenario, Vec<Diagnostic>), Diagnostics> {
    let parsed = parse_file(path).map_err(|d| Diagnostics(vec![d]))?;
    compile_parsed(parsed, analyzer, assets)
}

/// Checks and compiles an already parsed scenario.
pub fn compile_parsed(
    parsed: ParsedScenario,
    analyzer: &mut Analyzer,
    assets: Option<&Path>,
) -> Result<(CompiledScenario, Vec<Diagnostic>), Diagnostics> {
    let findings = lint::check(&parsed.scenario, &parsed.source, analyzer.lexicons(), assets);
    let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = findings.into_iter().partition(Diagnostic::is_error);
    // A missing voice clip does not stop a call: it is played silently.
    let (blocking, soft): (Vec<Diagnostic>, Vec<Diagnostic>) =
        errors.into_iter().partition(|d| d.code != "audio-missing");
    if !blocking.is_empty() {
        return Err(Diagnostics(blocking));
    }
    let path = parsed.source.path.clone();
    let compiled = CompiledScenario::compile(parsed.scenario, analyzer, Some(path.clone()), parsed.content_hash)
        .map_err(|e| {
            Diagnostics(vec![Diagnostic::error(
                &path,
                Default::default(),
                "compile",
                e.to_string(),
                "运行 peilian lint 查看详情",
            )])
        })?;
    Ok((compiled, warnings.into_iter().chain(soft).collect()))
}

/// The first stage direction in a spoken line — a bracketed aside such as （挂断） or
/// (报单号) — which the customer would not say aloud. Square brackets are redaction's
/// placeholders ([手机号]), not directions.
pub fn stage_direction(text: &str) -> Option<&str> {
    for (open, close) in [('（', '）'), ('(', ')'), ('【', '】')] {
        let mut rest = text;
        while let Some(start) = rest.find(open) {
            let after = &rest[start + open.len_utf8()..];
            let Some(end) = after.find(close) else { break };
            let inner = &after[..end];
            if inner.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                return Some(&rest[start..start + open.len_utf8() + end + close.len_utf8()]);
            }
            rest = &after[end..];
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::stage_direction;

    #[test]
    fn finds_stage_directions_in_any_bracket() {
        assert_eq!(stage_direction("退货单号是 TH20261109（报单号）。你查吧"), Some("（报单号）"));
        assert_eq!(stage_direction("跟你说不通！(挂断)"), Some("(挂断)"));
        assert_eq!(stage_direction("【叹气】算了"), Some("【叹气】"));
        assert_eq!(stage_direction("电话[手机号]！"), None, "a redaction placeholder");
        // Brackets around numbers or Latin letters are no direction.
        assert_eq!(stage_direction("套餐(5G)多少钱？"), None);
        assert_eq!(stage_direction("好的，我等你电话。"), None);
    }
}
