//! A scenario made ready for scoring: phrases indexed, patterns compiled, ids resolved.

use std::collections::HashMap;
use std::path::PathBuf;

use regex::Regex;

use crate::scenario::schema::{EndingKind, ForbiddenAct, Scenario};
use crate::text::acts::Act;
use crate::text::analyzer::Analyzer;
use crate::text::normalize::normalize;
use crate::text::pattern::Pattern;
use crate::text::phrases::PhraseIndex;

/// Where a red line applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedLineScope {
    Everywhere,
    Turn(usize),
}

/// A red line stated as an act, with its topic compiled.
#[derive(Debug)]
pub struct CompiledForbiddenAct {
    pub rule: ForbiddenAct,
    pub scope: RedLineScope,
    pub(crate) topics: Vec<Pattern>,
}

/// A place in the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Turn(usize),
    Ending(usize),
}

/// A scenario with its phrases compiled. Built once per scenario version and shared.
#[derive(Debug)]
pub struct CompiledScenario {
    pub scenario: Scenario,
    /// The file it came from, if any, and a hash of its bytes (records keep it).
    pub path: Option<PathBuf>,
    pub content_hash: String,
    pub concept_names: Vec<String>,
    pub(crate) concepts: PhraseIndex<usize>,
    /// The concepts' phrases as matching text (fillers left out, 你 read as 您), matched on
    /// the answer's matching text: "我特别理解你" holds "我理解您".
    pub(crate) concepts_key: PhraseIndex<usize>,
    /// Concept patterns, in the act rules' language (regular expressions with {classes} and …
    /// gaps).
    pub(crate) concept_patterns: Vec<(usize, Pattern)>,
    /// Acts that count as a concept (its own `acts` and those of its shared groups).
    pub(crate) concept_acts: Vec<(usize, Act)>,
    pub(crate) red_lines: PhraseIndex<RedLineScope>,
    pub(crate) forbidden_acts: Vec<CompiledForbiddenAct>,
    pub(crate) handoff_facts: PhraseIndex<usize>,
    pub(crate) handoff_patterns: Vec<(usize, Regex)>,
    pub(crate) known_facts: PhraseIndex<usize>,
    pub(crate) title_norm: String,
    targets: HashMap<String, Target>,
}

/// Why a scenario could not be compiled (the linter reports these with positions first).
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("概念“{concept}”的正则表达式无效：{source}")]
    BadPattern { concept: String, source: regex::Error },
    #[error("“{0}”不是任何回合或结局的 id")]
    UnknownTarget(String),
    #[error("引用了未定义的概念“{0}”")]
    UnknownConcept(String),
    #[error("同义词组“{0}”在词库中不存在")]
    UnknownGroup(String),
    #[error("概念“{concept}”的模式「{pattern}」无效：{error}")]
    BadConceptPattern { concept: String, pattern: String, error: crate::text::pattern::PatternError },
    #[error("红线“{label}”的话题模式「{pattern}」无效：{error}")]
    BadTopic { label: String, pattern: String, error: crate::text::pattern::PatternError },
}

impl CompiledScenario {
    /// Compiles a scenario, adding its phrases to the analyzer's dictionary.
    pub fn compile(
        scenario: Scenario,
        analyzer: &mut Analyzer,
        path: Option<PathBuf>,
        content_hash: String,
    ) -> Result<Self, CompileError> {
        let concept_names: Vec<String> = scenario.concepts.keys().cloned().collect();
        let mut concept_entries = Vec::new();
        let mut concept_patterns = Vec::new();
        let mut concept_acts = Vec::new();
        for (i, (name, concept)) in scenario.concepts.iter().enumerate() {
            for phrase in &concept.phrases {
                concept_entries.push((phrase.clone(), i));
            }
            concept_acts.extend(concept.acts.iter().map(|&a| (i, a)));
            for group in &concept.groups {
                let phrases =
                    analyzer.lexicons().group(group).ok_or_else(|| CompileError::UnknownGroup(group.clone()))?;
                concept_entries.extend(phrases.iter().map(|p| (p.clone(), i)));
                concept_acts.extend(analyzer.lexicons().group_acts(group).iter().map(|&a| (i, a)));
            }
            for pattern in &concept.patterns {
                let p = analyzer.act_rules().topic_pattern(pattern).map_err(|error| {
                    CompileError::BadConceptPattern { concept: name.clone(), pattern: pattern.clone(), error }
                })?;
                concept_patterns.push((i, p));
            }
        }
        let mut red_line_entries: Vec<(String, RedLineScope)> =
            scenario.forbidden.iter().map(|p| (p.clone(), RedLineScope::Everywhere)).collect();
        for (t, turn) in scenario.turns.iter().enumerate() {
            red_line_entries.extend(turn.expect.forbidden.iter().map(|p| (p.clone(), RedLineScope::Turn(t))));
        }
        let scoped_acts = scenario.forbidden_acts.iter().map(|f| (f, RedLineScope::Everywhere)).chain(
            scenario
                .turns
                .iter()
                .enumerate()
                .flat_map(|(t, turn)| turn.expect.forbidden_acts.iter().map(move |f| (f, RedLineScope::Turn(t)))),
        );
        let mut forbidden_acts = Vec::new();
        for (rule, scope) in scoped_acts {
            // A topic phrase of several words matches with a short gap between them
            // ("手续费免" in "手续费就免了").
            let sources = rule
                .about
                .iter()
                .map(|p| {
                    let a = analyzer.analyze(p.trim());
                    let words: Vec<String> = (0..a.tokens.len())
                        .map(|i| a.token_text(i).trim().to_string())
                        .filter(|w| !w.is_empty())
                        .map(|w| regex::escape(&w))
                        .collect();
                    words.join("…")
                })
                .filter(|p| !p.is_empty())
                .chain(rule.patterns.iter().cloned())
                .collect::<Vec<_>>();
            let mut topics = Vec::new();
            for source in sources {
                let p = analyzer.act_rules().topic_pattern(&source).map_err(|error| CompileError::BadTopic {
                    label: rule.label.clone(),
                    pattern: source.clone(),
                    error,
                })?;
                topics.push(p);
            }
            forbidden_acts.push(CompiledForbiddenAct { rule: rule.clone(), scope, topics });
        }
        let mut fact_entries = Vec::new();
        let mut handoff_patterns = Vec::new();
        for (i, fact) in scenario.escalation.handoff_facts.iter().enumerate() {
            fact_entries.extend(fact.phrases.iter().map(|p| (p.clone(), i)));
            for pattern in &fact.patterns {
                let re = pattern_regex(pattern)
                    .map_err(|source| CompileError::BadPattern { concept: fact.label.clone(), source })?;
                handoff_patterns.push((i, re));
            }
        }
        let known_entries: Vec<(String, usize)> = scenario
            .bot_history
            .iter()
            .flat_map(|b| b.known_facts.iter().enumerate())
            .flat_map(|(i, f)| f.keywords.iter().map(move |k| (k.clone(), i)))
            .collect();

        let mut targets = HashMap::new();
        for (i, turn) in scenario.turns.iter().enumerate() {
            targets.insert(turn.id.clone(), Target::Turn(i));
        }
        for (i, ending) in scenario.endings.iter().enumerate() {
            targets.insert(ending.id.clone(), Target::Ending(i));
        }
        for turn in &scenario.turns {
            for branch in &turn.next {
                if !targets.contains_key(&branch.goto) {
                    return Err(CompileError::UnknownTarget(branch.goto.clone()));
                }
            }
            for name in turn.expect.required.iter().chain(&turn.expect.optional) {
                if !scenario.concepts.contains_key(name) {
                    return Err(CompileError::UnknownConcept(name.clone()));
                }
            }
        }
        for branch in &scenario.escalation.on_transfer {
            if !targets.contains_key(&branch.goto) {
                return Err(CompileError::UnknownTarget(branch.goto.clone()));
            }
        }

        let own = dictionary_phrases(&scenario);
        analyzer.add_phrases(own.iter().map(String::as_str));
        // Keyed after the phrases are in the dictionary, as answers will be.
        let keyed: Vec<(String, usize)> =
            concept_entries.iter().map(|(p, i)| (analyzer.analyze(p).key, *i)).filter(|(k, _)| !k.is_empty()).collect();

        Ok(CompiledScenario {
            title_norm: normalize(scenario.persona.title.trim()),
            concepts: PhraseIndex::build(concept_entries),
            concepts_key: PhraseIndex::build(keyed),
            concept_patterns,
            concept_acts,
            red_lines: PhraseIndex::build(red_line_entries),
            forbidden_acts,
            handoff_facts: PhraseIndex::build(fact_entries),
            handoff_patterns,
            known_facts: PhraseIndex::build(known_entries),
            concept_names,
            targets,
            scenario,
            path,
            content_hash,
        })
    }

    pub fn id(&self) -> &str {
        &self.scenario.id
    }

    pub fn target(&self, id: &str) -> Option<Target> {
        self.targets.get(id).copied()
    }

    pub fn turn_index(&self, id: &str) -> Option<usize> {
        match self.target(id) {
            Some(Target::Turn(i)) => Some(i),
            _ => None,
        }
    }

    pub fn concept_index(&self, name: &str) -> Option<usize> {
        self.concept_names.iter().position(|n| n == name)
    }

    /// The first ending of a kind, if the scenario has one.
    pub fn ending_of_kind(&self, kind: EndingKind) -> Option<usize> {
        self.scenario.endings.iter().position(|e| e.kind == kind)
    }
}

/// The phrases a scenario adds to the jieba dictionary: its concepts' own phrases, red lines,
/// handoff facts, the bot's known-fact keywords and the customer's title (shared synonym groups
/// are in the lexicons already). Sorted and without duplicates.
pub fn dictionary_phrases(scenario: &Scenario) -> Vec<String> {
    let mut out: Vec<String> = scenario
        .concepts
        .values()
        .flat_map(|c| c.phrases.iter())
        .chain(scenario.forbidden.iter())
        .chain(scenario.turns.iter().flat_map(|t| t.expect.forbidden.iter()))
        .chain(scenario.forbidden_acts.iter().flat_map(|f| f.about.iter()))
        .chain(scenario.turns.iter().flat_map(|t| t.expect.forbidden_acts.iter().flat_map(|f| f.about.iter())))
        .chain(scenario.escalation.handoff_facts.iter().flat_map(|f| f.phrases.iter()))
        .chain(scenario.bot_history.iter().flat_map(|b| b.known_facts.iter().flat_map(|f| f.keywords.iter())))
        .chain(std::iter::once(&scenario.persona.title))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Compiles a trainer's pattern. Answers are matched after normalisation (ASCII lower-cased,
/// full-width folded), so patterns ignore case: "DD[0-9]{8}" matches "dd20261118".
pub fn pattern_regex(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(pattern).case_insensitive(true).size_limit(1 << 20).build()
}

/// A stable hash of file contents (FNV-1a 64, hex), so records can tell when a scenario changed.
pub fn content_hash(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}
