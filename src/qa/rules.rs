//! The QA rules file (`assets/qa/rules.ron`): the kinds of finding in a real call, the skill
//! each shows, and the data the checks read (when a customer counts as upset, which
//! placeholders mean a piece of information was given, which @-mentions are service accounts).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, SourceText};
use crate::ron_file;
use crate::scenario::schema::Skill;
use crate::text::acts::Act;

/// What QA can find in an agent's turn: the conduct acts of the shared policy, then the
/// scenario-independent checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    Insult,
    Attack,
    Blame,
    ShiftBlame,
    Dismiss,
    Sarcasm,
    Minimize,
    Impatience,
    Overpromise,
    SecurityBreach,
    /// Asks for information the customer already gave, or that was asked for before.
    AskedTwice,
    /// Promises to do something without saying by when.
    CommitNoTime,
    /// Answers an upset customer without apologising, acknowledging or reassuring.
    NoSoothing,
    /// Four characters or fewer.
    Curt,
    /// Runs of exclamation marks, capitals.
    Shouting,
    /// Hands the customer on in the first answer without doing anything first.
    PrematureTransfer,
    /// The customer asked for a supervisor or a person; the answer does not respond to it.
    MissedTransfer,
}

impl Kind {
    pub const ALL: [Kind; 17] = [
        Kind::Insult,
        Kind::Attack,
        Kind::Blame,
        Kind::ShiftBlame,
        Kind::Dismiss,
        Kind::Sarcasm,
        Kind::Minimize,
        Kind::Impatience,
        Kind::Overpromise,
        Kind::SecurityBreach,
        Kind::AskedTwice,
        Kind::CommitNoTime,
        Kind::NoSoothing,
        Kind::Curt,
        Kind::Shouting,
        Kind::PrematureTransfer,
        Kind::MissedTransfer,
    ];

    /// The kind of a conduct act.
    pub fn of_act(act: Act) -> Option<Kind> {
        Some(match act {
            Act::Insult => Kind::Insult,
            Act::Attack => Kind::Attack,
            Act::Blame => Kind::Blame,
            Act::ShiftBlame => Kind::ShiftBlame,
            Act::Dismiss => Kind::Dismiss,
            Act::Sarcasm => Kind::Sarcasm,
            Act::Minimize => Kind::Minimize,
            Act::Impatience => Kind::Impatience,
            Act::Overpromise => Kind::Overpromise,
            Act::SecurityBreach => Kind::SecurityBreach,
            _ => return None,
        })
    }

    /// Stable key for JSON and the database.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Insult => "insult",
            Kind::Attack => "attack",
            Kind::Blame => "blame",
            Kind::ShiftBlame => "shift_blame",
            Kind::Dismiss => "dismiss",
            Kind::Sarcasm => "sarcasm",
            Kind::Minimize => "minimize",
            Kind::Impatience => "impatience",
            Kind::Overpromise => "overpromise",
            Kind::SecurityBreach => "security_breach",
            Kind::AskedTwice => "asked_twice",
            Kind::CommitNoTime => "commit_no_time",
            Kind::NoSoothing => "no_soothing",
            Kind::Curt => "curt",
            Kind::Shouting => "shouting",
            Kind::PrematureTransfer => "premature_transfer",
            Kind::MissedTransfer => "missed_transfer",
        }
    }

    pub fn from_key(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// The kind as a QA lead reads it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Insult => "辱骂客户",
            Kind::Attack => "反问攻击客户",
            Kind::Blame => "指责客户",
            Kind::ShiftBlame => "推卸责任",
            Kind::Dismiss => "打发客户",
            Kind::Sarcasm => "讽刺客户",
            Kind::Minimize => "轻视客户的问题",
            Kind::Impatience => "不耐烦",
            Kind::Overpromise => "打包票（绝对化承诺）",
            Kind::SecurityBreach => "违反安全规范",
            Kind::AskedTwice => "重复询问",
            Kind::CommitNoTime => "承诺没有时限",
            Kind::NoSoothing => "客户激动时没有安抚",
            Kind::Curt => "回答过短",
            Kind::Shouting => "语气激烈",
            Kind::PrematureTransfer => "首次回复就转走",
            Kind::MissedTransfer => "客户要求升级未回应",
        }
    }

    /// A breach of the shared conduct policy (insults … security breaches).
    pub fn is_conduct(self) -> bool {
        self <= Kind::SecurityBreach
    }
}

/// The rules as a trainer writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QaRules {
    #[serde(default)]
    pub description: String,
    /// A customer turn at least this angry (0–1) makes the next answer one to an upset customer.
    pub upset_anger: f32,
    /// The skill key each kind of finding shows.
    pub skills: BTreeMap<Kind, String>,
    /// Per information name (as in acts.ron): the placeholders that show the customer gave it.
    #[serde(default)]
    pub given_as: BTreeMap<String, Vec<String>>,
    /// Words that make a commitment one done in the call itself (no time needed).
    #[serde(default)]
    pub immediate_commitments: Vec<String>,
    /// Words that make an @-mention a service account (`--agent-from-mentions`).
    #[serde(default)]
    pub service_account_words: Vec<String>,
}

/// The shipped rules, compiled in.
pub const EMBEDDED: &str = include_str!("../../assets/qa/rules.ron");

impl QaRules {
    pub fn embedded() -> QaRules {
        ron_file::options().from_str(EMBEDDED).expect("the shipped QA rules are checked by the test suite")
    }

    /// Reads and checks a rules file.
    pub fn load(path: &Path) -> Result<QaRules, Vec<Diagnostic>> {
        let src = ron_file::read_source(path).map_err(|d| vec![d])?;
        let rules: QaRules = ron_file::parse(&src).map_err(|d| vec![d])?;
        let problems = check(&rules, &src);
        if problems.iter().any(Diagnostic::is_error) { Err(problems) } else { Ok(rules) }
    }

    /// `qa/rules.ron` under the assets directory when there is one, else the shipped rules.
    pub fn from_assets(assets: Option<&Path>) -> Result<QaRules, Vec<Diagnostic>> {
        match assets.map(|a| a.join("qa").join("rules.ron")).filter(|p| p.symlink_metadata().is_ok()) {
            Some(path) => QaRules::load(&path),
            None => Ok(QaRules::embedded()),
        }
    }

    /// The skill key of a kind (every kind has one in a checked file).
    pub fn skill_of(&self, kind: Kind) -> &str {
        self.skills.get(&kind).map_or("", String::as_str)
    }
}

/// Checks a rules file: the threshold in 0–1, a skill for every kind, the placeholders known.
pub fn check(rules: &QaRules, src: &SourceText) -> Vec<Diagnostic> {
    let path = src.path.as_path();
    let mut out = Vec::new();
    if !(rules.upset_anger.is_finite() && (0.0..=1.0).contains(&rules.upset_anger)) {
        out.push(Diagnostic::error(
            path,
            src.locate_key("upset_anger"),
            "bad-value",
            format!("upset_anger {} 不在 0 到 1 之间", rules.upset_anger),
            "客户愤怒度达到这个值才算情绪激动，常用 0.5",
        ));
    }
    for kind in Kind::ALL {
        match rules.skills.get(&kind) {
            None => out.push(Diagnostic::error(
                path,
                src.locate_key("skills"),
                "missing-field",
                format!("没有给“{}”（{kind:?}）指定技能", kind.label()),
                format!("在 skills 中加上 {kind:?}: \"communication\"（技能的键与场景的 skills 一致）"),
            )),
            Some(skill) if skill.trim().is_empty() => out.push(Diagnostic::error(
                path,
                src.locate_text(&format!("{kind:?}:")),
                "bad-value",
                format!("“{}”（{kind:?}）的技能为空", kind.label()),
                "写一个技能的键，例如 \"empathy\"",
            )),
            Some(skill) if !Skill::BUILT_IN.iter().any(|s| s.key() == *skill) => out.push(Diagnostic::warning(
                path,
                src.locate_text(&format!("{kind:?}:")),
                "unknown-skill",
                format!("“{skill}”不是内置技能；只有标了这个技能的场景会被推荐"),
                format!("内置技能：{}", Skill::BUILT_IN.iter().map(Skill::key).collect::<Vec<_>>().join("、")),
            )),
            Some(_) => {}
        }
    }
    for (name, placeholders) in &rules.given_as {
        for p in placeholders {
            if !crate::mining::redact::PiiKind::is_placeholder(p) {
                out.push(Diagnostic::error(
                    path,
                    src.locate_text(p),
                    "bad-value",
                    format!("“{name}”的“{p}”不是去除个人信息时写的占位符"),
                    format!(
                        "可用的占位符：{}",
                        crate::mining::redact::PiiKind::ALL
                            .iter()
                            .map(|k| k.placeholder())
                            .collect::<Vec<_>>()
                            .join("")
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(text: &str) -> Vec<Diagnostic> {
        let src = SourceText::new("rules.ron", text);
        let rules: QaRules = ron_file::options().from_str(text).expect("parses");
        check(&rules, &src)
    }

    #[test]
    fn the_shipped_rules_are_clean_and_cover_every_kind() {
        assert_eq!(checked(EMBEDDED), Vec::new());
        let rules = QaRules::embedded();
        for kind in Kind::ALL {
            assert!(!rules.skill_of(kind).is_empty(), "{kind:?}");
            assert_eq!(Kind::from_key(kind.key()), Some(kind));
        }
        // Every conduct act of the policy has its kind.
        for act in Act::ALL.into_iter().filter(|a| a.is_conduct()) {
            let kind = Kind::of_act(act).unwrap_or_else(|| panic!("{act:?}"));
            assert!(kind.is_conduct());
            assert_eq!(kind.label(), act.label());
        }
        assert!(!Kind::AskedTwice.is_conduct());
    }

    #[test]
    fn problems_are_named_with_their_line() {
        let text = EMBEDDED
            .replace("upset_anger: 0.5", "upset_anger: 1.5")
            .replace("        Curt: \"communication\",\n", "")
            .replace("\"[姓名]\"", "\"[名字]\"")
            .replace("Shouting: \"deescalation\"", "Shouting: \"嗓门\"");
        let found = checked(&text);
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(found.len(), 4, "{messages:?}");
        assert!(messages[0].starts_with("upset_anger 1.5"), "{messages:?}");
        assert!(found.iter().any(|d| d.message.contains("Curt") && d.is_error()), "{messages:?}");
        let unknown = found.iter().find(|d| d.code == "unknown-skill").unwrap();
        assert!(!unknown.is_error() && unknown.line > 1, "{unknown:?}");
        let placeholder = found.iter().find(|d| d.message.contains("[名字]")).unwrap();
        assert_eq!(placeholder.line, text.lines().position(|l| l.contains("[名字]")).unwrap() + 1);
    }
}
