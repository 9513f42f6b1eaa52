//! Shared lexicons (politeness, empathy, hostility, synonym groups …): RON files trainers edit.
//!
//! The shipped lexicons live in `scenarios/lexicons/` and are also compiled into the binary, so
//! `peilian tone` works anywhere; a lexicon directory given at run time replaces them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Pos, SourceText, display_path};
use crate::ron_file;
use crate::scoring::conduct::{self, ConductPolicy};
use crate::text::acts::{self, Act, ActRules, CompiledActs};

/// One lexicon file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lexicon {
    /// Unique name, e.g. "politeness".
    pub name: String,
    pub kind: LexiconKind,
    #[serde(default)]
    pub description: String,
    /// Marker phrases and their weight (0–1): how much one occurrence says.
    #[serde(default)]
    pub markers: BTreeMap<String, f32>,
    /// Named synonym groups that scenario concepts can use (`groups: ["道歉"]`).
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
    /// Acts that count as a group, whatever their words (`"道歉": [Apologize]`).
    #[serde(default)]
    pub group_acts: BTreeMap<String, Vec<Act>>,
}

/// What a lexicon's markers signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LexiconKind {
    /// 您, 请, 麻烦您 …
    Politeness,
    /// 理解您的心情, 给您添麻烦了 …
    Empathy,
    /// 请放心, 一定帮您 …
    Reassurance,
    /// Blame and hostility from an agent: 你自己看, 不归我管, 没办法 …
    Hostility,
    /// A customer's own anger: 投诉, 垃圾, 骗子 …
    Anger,
    /// Words that negate what follows: 不, 没, 不能, 无法 …
    Negation,
    /// Words that make a clause a question or request for information: 请提供, 是多少 …
    Asking,
    /// Titles and honorifics: 先生, 女士, 总 …
    Honorific,
    /// Demands for a supervisor or a human: 找你们领导, 转人工 …
    SupervisorDemand,
    /// Only synonym groups.
    Synonyms,
}

impl LexiconKind {
    pub fn label(self) -> &'static str {
        match self {
            LexiconKind::Politeness => "礼貌",
            LexiconKind::Empathy => "共情",
            LexiconKind::Reassurance => "安心承诺",
            LexiconKind::Hostility => "敌意/推责",
            LexiconKind::Anger => "愤怒",
            LexiconKind::Negation => "否定",
            LexiconKind::Asking => "询问",
            LexiconKind::Honorific => "尊称",
            LexiconKind::SupervisorDemand => "要求找领导",
            LexiconKind::Synonyms => "同义词组",
        }
    }
}

/// The shipped lexicons, compiled in.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("politeness.ron", include_str!("../scenarios/lexicons/politeness.ron")),
    ("empathy.ron", include_str!("../scenarios/lexicons/empathy.ron")),
    ("reassurance.ron", include_str!("../scenarios/lexicons/reassurance.ron")),
    ("hostility.ron", include_str!("../scenarios/lexicons/hostility.ron")),
    ("anger.ron", include_str!("../scenarios/lexicons/anger.ron")),
    ("negation.ron", include_str!("../scenarios/lexicons/negation.ron")),
    ("asking.ron", include_str!("../scenarios/lexicons/asking.ron")),
    ("honorific.ron", include_str!("../scenarios/lexicons/honorific.ron")),
    ("supervisor.ron", include_str!("../scenarios/lexicons/supervisor.ron")),
    ("synonyms.ron", include_str!("../scenarios/lexicons/synonyms.ron")),
];

/// All lexicons in use, with where each came from, and the act rules and conduct policy that
/// live beside them.
#[derive(Debug, Clone)]
pub struct LexiconSet {
    pub lexicons: Vec<Lexicon>,
    pub sources: Vec<PathBuf>,
    /// What answers do (`acts.ron`, an `ActRules` file).
    pub acts: ActRules,
    /// What conduct costs (`conduct.ron`, a `ConductPolicy` file).
    pub conduct: ConductPolicy,
    /// The act rules as compiled when they were checked on loading, with the rules they were
    /// compiled from (the analyzer uses them only while `acts` is still those rules).
    checked_acts: Option<Box<(ActRules, CompiledActs)>>,
}

/// What kind of file of a lexicon directory a text is, by its first word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexiconFile {
    Lexicon,
    ActRules,
    ConductPolicy,
}

impl LexiconFile {
    pub fn of(text: &str) -> LexiconFile {
        let first = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("#!"))
            .find_map(|l| l.split('(').next().map(str::trim).filter(|w| !w.is_empty()));
        match first {
            Some("ActRules") => LexiconFile::ActRules,
            Some("ConductPolicy") => LexiconFile::ConductPolicy,
            _ => LexiconFile::Lexicon,
        }
    }
}

impl LexiconSet {
    /// The act rules compiled when they were checked on loading, if `acts` is still what was
    /// compiled (taken: the analyzer keeps them).
    pub(crate) fn take_checked_acts(&mut self) -> Option<CompiledActs> {
        let (rules, compiled) = *self.checked_acts.take()?;
        (rules == self.acts).then_some(compiled)
    }

    /// The lexicons compiled into the binary.
    pub fn embedded() -> Self {
        let mut set = LexiconSet {
            lexicons: Vec::new(),
            sources: Vec::new(),
            acts: ActRules::embedded(),
            conduct: ConductPolicy::embedded(),
            checked_acts: None,
        };
        for (name, text) in EMBEDDED {
            let path = Path::new("scenarios/lexicons").join(name);
            let lexicon = parse(&SourceText::new(path.clone(), *text))
                .expect("the shipped lexicons are checked by the test suite");
            set.lexicons.push(lexicon);
            set.sources.push(path);
        }
        set
    }

    /// Loads every `*.ron` file of a directory, in name order.
    pub fn load_dir(dir: &Path) -> Result<Self, Vec<Diagnostic>> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                .collect(),
            Err(e) => {
                return Err(vec![Diagnostic::error(
                    dir,
                    Pos::default(),
                    "io",
                    format!("无法读取词库目录：{e}"),
                    "检查路径是否存在、是否有读取权限",
                )]);
            }
        };
        files.sort();
        // A directory without act rules or a conduct policy uses the shipped ones.
        let mut set = LexiconSet {
            lexicons: Vec::new(),
            sources: Vec::new(),
            acts: ActRules::embedded(),
            conduct: ConductPolicy::embedded(),
            checked_acts: None,
        };
        let mut problems = Vec::new();
        // Each lexicon's kind, file and where the kind is written; whether any file failed.
        let mut kinds: Vec<(LexiconKind, PathBuf, Pos)> = Vec::new();
        let mut unreadable = false;
        let errors_or = |issues: Vec<Diagnostic>| -> Result<(), Vec<Diagnostic>> {
            if issues.iter().any(Diagnostic::is_error) { Err(issues) } else { Ok(()) }
        };
        for path in files {
            let loaded =
                ron_file::read_source(&path).map_err(|d| vec![d]).and_then(|src| match LexiconFile::of(&src.text) {
                    LexiconFile::Lexicon => {
                        let lexicon = parse(&src).map_err(|d| vec![d])?;
                        kinds.push((lexicon.kind, path.clone(), src.locate_key("kind")));
                        errors_or(check(&lexicon, &src))?;
                        set.lexicons.push(lexicon);
                        set.sources.push(path.clone());
                        Ok(())
                    }
                    LexiconFile::ActRules => {
                        let rules: ActRules = ron_file::parse(&src).map_err(|d| vec![d])?;
                        let (diagnostics, compiled) = acts::check_and_compile(&rules, &src);
                        errors_or(diagnostics)?;
                        set.checked_acts = compiled.map(|c| Box::new((rules.clone(), c)));
                        set.acts = rules;
                        Ok(())
                    }
                    LexiconFile::ConductPolicy => {
                        let policy: ConductPolicy = ron_file::parse(&src).map_err(|d| vec![d])?;
                        errors_or(conduct::check(&policy, &src))?;
                        set.conduct = policy;
                        Ok(())
                    }
                });
            if let Err(mut d) = loaded {
                // A file whose kind is not known: it may be the one of a kind found missing.
                unreadable |= kinds.last().is_none_or(|(_, p, _)| *p != path);
                problems.append(&mut d);
            }
        }
        problems.extend(set.duplicate_names());
        problems.extend(kind_problems(dir, &kinds, !unreadable));
        if problems.iter().any(Diagnostic::is_error) { Err(problems) } else { Ok(set) }
    }

    /// The lexicons of `dir` when it exists, else the embedded ones.
    pub fn from_dir_or_embedded(dir: Option<&Path>) -> Result<Self, Vec<Diagnostic>> {
        match dir {
            Some(d) if d.is_dir() => LexiconSet::load_dir(d),
            _ => Ok(LexiconSet::embedded()),
        }
    }

    /// Marker phrases of one kind with their weights, across lexicons.
    pub fn markers(&self, kind: LexiconKind) -> impl Iterator<Item = (&str, f32)> {
        self.lexicons
            .iter()
            .filter(move |l| l.kind == kind)
            .flat_map(|l| l.markers.iter().map(|(p, w)| (p.as_str(), *w)))
    }

    /// The phrases of a named synonym group, if any lexicon defines it.
    pub fn group(&self, name: &str) -> Option<&[String]> {
        self.lexicons.iter().find_map(|l| l.groups.get(name).map(Vec::as_slice))
    }

    /// The acts that count as a named group.
    pub fn group_acts(&self, name: &str) -> &[Act] {
        self.lexicons.iter().find_map(|l| l.group_acts.get(name).map(Vec::as_slice)).unwrap_or_default()
    }

    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.lexicons.iter().flat_map(|l| l.groups.keys().map(String::as_str))
    }

    fn duplicate_names(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (i, lexicon) in self.lexicons.iter().enumerate() {
            if let Some(j) = self.lexicons[..i].iter().position(|l| l.name == lexicon.name) {
                out.push(Diagnostic::error(
                    &self.sources[i],
                    Pos::START,
                    "duplicate-id",
                    format!("词库名“{}”与 {} 重复", lexicon.name, crate::diagnostic::display_path(&self.sources[j])),
                    "每个词库的 name 必须唯一；合并两个文件或改名",
                ));
            }
        }
        out
    }
}

/// The kinds the analyzer reads markers of: a lexicon directory has exactly one file of each.
pub const MARKER_KINDS: [LexiconKind; 9] = [
    LexiconKind::Politeness,
    LexiconKind::Empathy,
    LexiconKind::Reassurance,
    LexiconKind::Hostility,
    LexiconKind::Anger,
    LexiconKind::Negation,
    LexiconKind::Asking,
    LexiconKind::Honorific,
    LexiconKind::SupervisorDemand,
];

/// The shipped file of a kind, named in hints.
fn shipped_file(kind: LexiconKind) -> &'static str {
    match kind {
        LexiconKind::Politeness => "politeness.ron",
        LexiconKind::Empathy => "empathy.ron",
        LexiconKind::Reassurance => "reassurance.ron",
        LexiconKind::Hostility => "hostility.ron",
        LexiconKind::Anger => "anger.ron",
        LexiconKind::Negation => "negation.ron",
        LexiconKind::Asking => "asking.ron",
        LexiconKind::Honorific => "honorific.ron",
        LexiconKind::SupervisorDemand => "supervisor.ron",
        LexiconKind::Synonyms => "synonyms.ron",
    }
}

/// One lexicon per marker kind: a second file of a kind is an error naming the first (a kind
/// changed by mistake, e.g. politeness counted as hostility, shows as that and as the kind
/// now missing); a missing kind is an error on the directory (checked only when every file
/// could be read, since an unreadable file may be the one of that kind). Synonym lexicons may
/// be several.
fn kind_problems(dir: &Path, kinds: &[(LexiconKind, PathBuf, Pos)], complete: bool) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for kind in MARKER_KINDS {
        let files: Vec<&(LexiconKind, PathBuf, Pos)> = kinds.iter().filter(|(k, _, _)| *k == kind).collect();
        match files.as_slice() {
            [] if complete => out.push(Diagnostic::error(
                dir,
                Pos::default(),
                "lexicon-kind",
                format!("词库目录里没有 {kind:?}（{}）类型的词库：这一项将永远算作 0", kind.label()),
                format!("从 scenarios/lexicons/ 复制 {}，或把误改的词库的 kind 改回 {kind:?}", shipped_file(kind)),
            )),
            [] => {}
            [(_, first, _), rest @ ..] => {
                for (_, path, pos) in rest {
                    out.push(Diagnostic::error(
                        path,
                        *pos,
                        "lexicon-kind",
                        format!(
                            "{} 和 {} 都是 {kind:?}（{}）类型的词库：每种类型只能有一个词库",
                            display_path(first),
                            display_path(path),
                            kind.label()
                        ),
                        format!(
                            "检查 kind 是否写错（例如礼貌词库误写成 Hostility）；要补充词条就加到 {} 里",
                            display_path(first)
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// A few phrases that only a lexicon of one kind holds: a lexicon holding several of another
/// kind's and fewer of its own is most likely that kind with `kind` changed.
const SIGNATURES: [(LexiconKind, [&str; 6]); 9] = [
    (LexiconKind::Politeness, ["您好", "请问", "谢谢", "麻烦您", "感谢您", "谢谢您"]),
    (LexiconKind::Empathy, ["理解您的心情", "理解您", "给您添麻烦了", "给您带来不便", "换作是我", "我也会着急"]),
    (LexiconKind::Reassurance, ["请放心", "您放心", "一定帮您", "全程跟进", "第一时间", "负责到底"]),
    (LexiconKind::Hostility, ["你自己看", "不归我管", "不关我的事", "跟我没关系", "你听不懂吗", "不是我负责"]),
    (LexiconKind::Anger, ["愤怒", "气愤", "怒火", "火冒三丈", "怒不可遏", "暴怒"]),
    (LexiconKind::Negation, ["不", "没", "没有", "无法", "不能", "不会"]),
    (LexiconKind::Asking, ["请提供", "是多少", "告诉我", "报一下", "是什么", "提供一下"]),
    (LexiconKind::Honorific, ["先生", "女士", "小姐", "经理", "尊敬的", "阿姨"]),
    (LexiconKind::SupervisorDemand, ["找你们领导", "找领导", "找主管", "转人工", "人工客服", "叫你们领导"]),
];

/// Whether a lexicon's markers fit its kind (see `SIGNATURES`).
fn content_problems(lexicon: &Lexicon, src: &SourceText) -> Vec<Diagnostic> {
    let path = src.path.as_path();
    let mut out = Vec::new();
    if lexicon.kind == LexiconKind::Synonyms {
        if !lexicon.markers.is_empty() {
            out.push(Diagnostic::warning(
                path,
                src.locate_key("markers"),
                "lexicon-content",
                "Synonyms 类型的词库里写了 markers：评分不读这些词条",
                "markers 放到对应类型的词库里（礼貌、共情……）；Synonyms 词库只写 groups",
            ));
        }
        return out;
    }
    if lexicon.markers.is_empty() {
        out.push(Diagnostic::warning(
            path,
            src.locate_key("kind"),
            "lexicon-content",
            format!("{:?}（{}）类型的词库没有 markers：这一项将永远算作 0", lexicon.kind, lexicon.label()),
            "写上这一类的词条及权重，例如 \"您\": 0.35",
        ));
        return out;
    }
    let hits = |kind: LexiconKind| -> Vec<&str> {
        SIGNATURES
            .iter()
            .filter(|(k, _)| *k == kind)
            .flat_map(|(_, words)| words.iter().copied())
            .filter(|w| lexicon.markers.contains_key(*w))
            .collect()
    };
    let own = hits(lexicon.kind).len();
    let likely = SIGNATURES
        .iter()
        .map(|(k, _)| (*k, hits(*k)))
        .filter(|(k, h)| *k != lexicon.kind && h.len() >= 3 && h.len() > own)
        .max_by_key(|(_, h)| h.len());
    if let Some((kind, words)) = likely {
        out.push(Diagnostic::error(
            path,
            src.locate_key("kind"),
            "lexicon-content",
            format!(
                "词库的 kind 是 {:?}（{}），但词条（{}）是{}词：评分会把它们算成{}",
                lexicon.kind,
                lexicon.kind.label(),
                words.join("、"),
                kind.label(),
                lexicon.kind.label()
            ),
            format!("把 kind 改为 {kind:?}，或换成{}类的词条", lexicon.kind.label()),
        ));
    }
    out
}

impl Lexicon {
    fn label(&self) -> &'static str {
        self.kind.label()
    }
}

/// Parses a lexicon file.
pub fn parse(src: &SourceText) -> Result<Lexicon, Diagnostic> {
    ron_file::parse::<Lexicon>(src)
}

/// Checks a parsed lexicon for mistakes the schema cannot express.
pub fn check(lexicon: &Lexicon, src: &SourceText) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let path = src.path.as_path();
    if lexicon.name.trim().is_empty() {
        out.push(Diagnostic::error(
            path,
            src.locate_key("name"),
            "empty",
            "词库名为空",
            "给 name 填一个唯一的英文名，例如 \"politeness\"",
        ));
    }
    if lexicon.markers.is_empty() && lexicon.groups.is_empty() {
        out.push(Diagnostic::warning(
            path,
            Pos::START,
            "empty",
            "词库既没有 markers 也没有 groups",
            "添加词条，或删除这个文件",
        ));
    }
    for (phrase, weight) in &lexicon.markers {
        if phrase.trim().is_empty() {
            out.push(Diagnostic::error(path, src.locate_key("markers"), "empty", "markers 中有空词条", "删除空字符串"));
        }
        if !(0.0..=1.0).contains(weight) || weight.is_nan() {
            out.push(Diagnostic::error(
                path,
                src.locate("", phrase),
                "bad-weight",
                format!("词条“{phrase}”的权重 {weight} 不在 0 到 1 之间"),
                "权重表示一次出现的分量：0.1 很弱，1.0 最强",
            ));
        }
    }
    for (name, phrases) in &lexicon.groups {
        if phrases.is_empty() || phrases.iter().any(|p| p.trim().is_empty()) {
            out.push(Diagnostic::error(
                path,
                src.locate("", name),
                "empty",
                format!("同义词组“{name}”为空或含空词条"),
                "至少写一个非空的短语",
            ));
        }
    }
    for name in lexicon.group_acts.keys() {
        if !lexicon.groups.contains_key(name) {
            out.push(Diagnostic::error(
                path,
                src.locate_text(&format!("\"{name}\"")),
                "unknown-lexicon",
                format!("group_acts 中的“{name}”不是本词库的同义词组"),
                "group_acts 给本文件 groups 中的词组配上行为；先在 groups 中定义它",
            ));
        }
    }
    out.extend(content_problems(lexicon, src));
    out.extend(crate::text::glyphs::check(src));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn act_rules_checked_on_loading_are_compiled_once_and_only_while_unchanged() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/lexicons");
        let mut set = LexiconSet::load_dir(&dir).unwrap();
        let mut changed = set.clone();
        assert!(set.take_checked_acts().is_some(), "the shipped rules were compiled by their check");
        assert!(set.take_checked_acts().is_none(), "taken once");
        changed.acts.rules.pop();
        assert!(changed.take_checked_acts().is_none(), "rules changed after loading are compiled anew");
        assert!(LexiconSet::embedded().take_checked_acts().is_none());
        // Either way the analyzer finds the same acts.
        let text = "非常抱歉让您久等了，麻烦您提供一下订单号，我明天下午三点前给您回电。";
        let loaded = crate::text::Analyzer::new(LexiconSet::load_dir(&dir).unwrap());
        let fresh = crate::text::Analyzer::new(LexiconSet::embedded());
        let acts = |an: &crate::text::Analyzer| an.acts_of(&an.analyze(text));
        assert_eq!(acts(&loaded), acts(&fresh));
        assert!(acts(&loaded).has(Act::Apologize) && acts(&loaded).has(Act::Commit));
    }

    #[test]
    fn shipped_lexicons_parse_and_cover_every_tone_kind() {
        let set = LexiconSet::embedded();
        for kind in MARKER_KINDS {
            assert!(set.markers(kind).count() >= 3, "{kind:?} has too few markers");
        }
        assert!(set.group("道歉").is_some_and(|g| g.iter().any(|p| p == "抱歉")));
    }

    #[test]
    fn shipped_lexicons_pass_their_checks() {
        for (name, text) in EMBEDDED {
            let src = SourceText::new(*name, *text);
            let lexicon = parse(&src).unwrap();
            let problems = check(&lexicon, &src);
            assert!(problems.is_empty(), "{name}: {problems:?}");
        }
    }

    /// A copy of the shipped lexicon directory, changed by `edit` (file name, text → new text
    /// or `None` to leave the file out).
    fn shipped_copy(edit: impl Fn(&str, &str) -> Option<String>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/lexicons");
        for entry in std::fs::read_dir(shipped).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if let Some(text) = edit(&name, &std::fs::read_to_string(&path).unwrap()) {
                std::fs::write(dir.path().join(&name), text).unwrap();
            }
        }
        dir
    }

    #[test]
    fn the_shipped_directory_has_one_lexicon_per_kind() {
        let dir = shipped_copy(|_, text| Some(text.to_string()));
        let set = LexiconSet::load_dir(dir.path()).unwrap();
        for kind in MARKER_KINDS {
            assert_eq!(set.lexicons.iter().filter(|l| l.kind == kind).count(), 1, "{kind:?}");
        }
    }

    #[test]
    fn a_changed_kind_names_both_files_and_the_kind_now_missing() {
        let dir = shipped_copy(|name, text| {
            Some(if name == "politeness.ron" {
                text.replace("kind: Politeness", "kind: Hostility")
            } else {
                text.to_string()
            })
        });
        let problems = LexiconSet::load_dir(dir.path()).unwrap_err();
        let kind: Vec<&Diagnostic> = problems.iter().filter(|d| d.code == "lexicon-kind").collect();
        assert_eq!(kind.len(), 2, "{problems:?}");
        let twice = kind.iter().find(|d| d.path.ends_with("politeness.ron")).expect("the second Hostility file");
        assert!(twice.message.contains("hostility.ron") && twice.message.contains("politeness.ron"), "{twice}");
        assert_eq!(twice.line, 4, "at its kind: line");
        let missing = kind.iter().find(|d| d.path == dir.path()).expect("the missing kind, on the directory");
        assert!(missing.message.contains("Politeness"), "{missing}");
        // The content says politeness too.
        let content = problems.iter().find(|d| d.code == "lexicon-content").expect("content check");
        assert!(content.message.contains("礼貌") && content.message.contains("您好"), "{content}");
    }

    #[test]
    fn a_missing_kind_is_an_error_on_the_directory() {
        let dir = shipped_copy(|name, text| (name != "negation.ron").then(|| text.to_string()));
        let problems = LexiconSet::load_dir(dir.path()).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].code, "lexicon-kind");
        assert!(
            problems[0].message.contains("Negation") && problems[0].hint.contains("negation.ron"),
            "{}",
            problems[0]
        );
        // Unless a file could not be read: it may be the one of that kind.
        let dir = shipped_copy(|name, text| {
            Some(if name == "negation.ron" { text.replace("Lexicon(", "Lexicon[") } else { text.to_string() })
        });
        let problems = LexiconSet::load_dir(dir.path()).unwrap_err();
        assert!(problems.iter().all(|d| d.code != "lexicon-kind"), "{problems:?}");
    }

    #[test]
    fn markers_of_another_kind_are_named() {
        let src = SourceText::new(
            "anger.ron",
            "Lexicon(\n  name: \"anger\",\n  kind: Anger,\n  markers: {\"你自己看\": 0.8, \"不归我管\": 0.9, \"跟我没关系\": 0.9},\n)",
        );
        let problems = check(&parse(&src).unwrap(), &src);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!((problems[0].code, problems[0].line), ("lexicon-content", 3));
        assert!(problems[0].hint.contains("Hostility"), "{}", problems[0]);
        // A trainer's own words of a kind are not judged.
        let src = SourceText::new(
            "anger.ron",
            "Lexicon(name: \"anger\", kind: Anger, markers: {\"岂有此理\": 0.8, \"你自己看\": 0.8})",
        );
        assert!(check(&parse(&src).unwrap(), &src).is_empty());
    }

    #[test]
    fn weight_out_of_range_is_reported_at_its_line() {
        let src = SourceText::new(
            "bad.ron",
            "Lexicon(\n  name: \"p\",\n  kind: Politeness,\n  markers: {\n    \"您\": 3.0,\n  },\n)",
        );
        let lexicon = parse(&src).unwrap();
        let problems = check(&lexicon, &src);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].code, "bad-weight");
        assert_eq!(problems[0].line, 5);
    }
}
