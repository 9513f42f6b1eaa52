//! What an answer does: its acts (apologises, asks for the order number, commits to a callback
//! by a time …) and its conduct (insults, blames, mocks …), each with the words that show it.
//!
//! The rules are data (`scenarios/lexicons/acts.ron`, an `ActRules` file): each rule names an
//! act and gives patterns (see `pattern.rs`) matched on the answer's *matching text* — the
//! normalised text with filler words left out (非常, 特别 …: "我特别理解" reads as "我理解")
//! and a few characters folded (你 → 您), so one pattern covers the ways people say it.
//! A hit preceded by a negator in its clause is negated (and does not count) unless the rule
//! says the negation is part of the act; `unless` patterns in the same clause cancel a hit
//! (near misses such as "请您理解" for empathy). The engine adds what patterns alone cannot
//! say: whether the sentence is a question (an announced transfer asked as a question is an
//! offer), what information an `Ask` asks for (and whether it is a secret, which makes it a
//! security breach), and by when a commitment is made.

use std::collections::BTreeMap;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Pos, SourceText};
use crate::text::analyzer::{Analyzed, Negators};
use crate::text::normalize::normalize;
use crate::text::pattern::{Pattern, PatternError};

/// Negator characters, kept out of the few characters allowed between a topic and the
/// refusal after it.
const GAP_NEGATORS: &str = "不没别未无勿,.!?;:。、";

/// Everything an answer can do, service acts first, then conduct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Act {
    /// 您好.
    Greet,
    /// Addresses the customer politely: 您, a title.
    Address,
    /// 抱歉, 对不起, 赔个不是, 是我们没做好.
    Apologize,
    /// Acknowledges feelings: 理解您的心情, 换谁都会着急, 让您久等了.
    Empathize,
    /// 您放心, 别着急, 有我在.
    Reassure,
    /// Asks for information (and for what: order number, phone …).
    Ask,
    /// Confirms what is already known: 您的订单号是…对吗, 我看到您….
    Confirm,
    /// Explains: 原因是, 按规定, 系统显示, 一般需要….
    Explain,
    /// Tells the customer what to do, step by step: 您先打开…, 我一步一步教您.
    Guide,
    /// Commits to do something (and by when): 明天下午三点前给您回电, 我亲自盯到底.
    Commit,
    /// Reports something already done for the customer: 已经帮您提交加急.
    Done,
    /// Offers a remedy or a choice: 可以给您改签, 给您两个办法.
    Offer,
    /// Refuses (and what): 双倍赔偿我这边给不了.
    Refuse,
    /// Sends the customer elsewhere: 您可以去营业厅办理.
    Refer,
    /// Announces a transfer (asked as a question: offers one): 我帮您转接主管.
    Transfer,
    /// Asks the customer to hold: 请您稍等.
    Hold,
    /// 谢谢, 感谢您的耐心.
    Thank,
    /// Closes the call: 祝您生活愉快, 还有其他可以帮您的吗.
    Close,
    /// Acknowledges: 好的, 明白, 收到.
    Affirm,
    /// Conduct: insults the customer.
    Insult,
    /// Conduct: an attacking rhetorical question (你想怎样？吓唬谁呢？).
    Attack,
    /// Conduct: blames the customer (你自己…, 是不是你自己点的).
    Blame,
    /// Conduct: shifts the blame elsewhere (不归我们管, 是快递的问题).
    ShiftBlame,
    /// Conduct: dismisses the customer (爱等不等, 随便你, 不行你就投诉吧).
    Dismiss,
    /// Conduct: mocks the customer (呵呵, 您可真行).
    Sarcasm,
    /// Conduct: makes light of the problem (这点小事, 没必要生气).
    Minimize,
    /// Conduct: impatience (说了多少遍).
    Impatience,
    /// Conduct: guarantees an outcome nobody can guarantee (保证准点, 肯定能给您免掉).
    Overpromise,
    /// Conduct: asks for a password, a verification code or a full card number, or offers to
    /// keep a password.
    SecurityBreach,
}

impl Act {
    /// Every act, in order.
    pub const ALL: [Act; 29] = [
        Act::Greet,
        Act::Address,
        Act::Apologize,
        Act::Empathize,
        Act::Reassure,
        Act::Ask,
        Act::Confirm,
        Act::Explain,
        Act::Guide,
        Act::Commit,
        Act::Done,
        Act::Offer,
        Act::Refuse,
        Act::Refer,
        Act::Transfer,
        Act::Hold,
        Act::Thank,
        Act::Close,
        Act::Affirm,
        Act::Insult,
        Act::Attack,
        Act::Blame,
        Act::ShiftBlame,
        Act::Dismiss,
        Act::Sarcasm,
        Act::Minimize,
        Act::Impatience,
        Act::Overpromise,
        Act::SecurityBreach,
    ];

    /// The act as a trainer reads it.
    pub fn label(self) -> &'static str {
        match self {
            Act::Greet => "问候",
            Act::Address => "称呼客户",
            Act::Apologize => "致歉",
            Act::Empathize => "体谅客户的感受",
            Act::Reassure => "安抚",
            Act::Ask => "询问信息",
            Act::Confirm => "确认已知信息",
            Act::Explain => "解释说明",
            Act::Guide => "指导操作",
            Act::Commit => "承诺",
            Act::Done => "已办理",
            Act::Offer => "提供方案",
            Act::Refuse => "拒绝",
            Act::Refer => "让客户去别处",
            Act::Transfer => "告知转接",
            Act::Hold => "请客户稍等",
            Act::Thank => "致谢",
            Act::Close => "结束语",
            Act::Affirm => "应答",
            Act::Insult => "辱骂客户",
            Act::Attack => "反问攻击客户",
            Act::Blame => "指责客户",
            Act::ShiftBlame => "推卸责任",
            Act::Dismiss => "打发客户",
            Act::Sarcasm => "讽刺客户",
            Act::Minimize => "轻视客户的问题",
            Act::Impatience => "不耐烦",
            Act::Overpromise => "打包票（绝对化承诺）",
            Act::SecurityBreach => "违反安全规范",
        }
    }

    /// Courtesy acts: one hit says all (an answer with three 您 addresses the customer once).
    pub fn once(self) -> bool {
        matches!(self, Act::Greet | Act::Address | Act::Thank | Act::Close | Act::Affirm | Act::Hold)
    }

    /// Insults, blame, mockery … and security breaches: what the conduct policy judges.
    pub fn is_conduct(self) -> bool {
        self >= Act::Insult
    }

    /// Acts that move the customer's problem on (not only courtesy): an answer with none of
    /// them is hollow, however polite.
    pub fn is_substantive(self) -> bool {
        matches!(
            self,
            Act::Ask
                | Act::Confirm
                | Act::Explain
                | Act::Guide
                | Act::Commit
                | Act::Done
                | Act::Offer
                | Act::Refuse
                | Act::Refer
                | Act::Transfer
        )
    }

    /// Acts that soothe the customer (apologising, acknowledging feelings, reassuring).
    pub fn soothes(self) -> bool {
        matches!(self, Act::Apologize | Act::Empathize | Act::Reassure)
    }

    /// The tone dimension an act's weight counts for, if any.
    pub fn tone_dimension(self) -> Option<&'static str> {
        match self {
            Act::Apologize | Act::Empathize => Some("empathy"),
            Act::Reassure => Some("reassurance"),
            Act::SecurityBreach | Act::Overpromise => None,
            a if a.is_conduct() => Some("hostility"),
            _ => None,
        }
    }
}

/// An act rules file (`ActRules(…)`), as trainers write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActRules {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Word classes, used as `{名字}` in patterns. Four have a meaning to the engine as well:
    /// `填充` (fillers left out of the matching text), `疑问` (words that make a sentence a
    /// question), `含糊` (hedges: a topic after them is not promised) and `客户说的` (words that
    /// attribute a topic to the customer: 您要的, 您说的 …).
    #[serde(default)]
    pub classes: BTreeMap<String, Vec<String>>,
    /// Characters folded in the matching text, e.g. 你 → 您.
    #[serde(default)]
    pub folds: BTreeMap<String, String>,
    /// What an agent may ask for: a name (订单号, 密码 …) and the words that name it. A
    /// `secret` one (password, verification code, full card number) must never be asked for.
    #[serde(default)]
    pub information: BTreeMap<String, Information>,
    /// Patterns of a time by which a commitment is to be kept (明天下午三点前, 两个工作日内).
    #[serde(default)]
    pub deadlines: Vec<String>,
    pub rules: Vec<ActRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Information {
    pub words: Vec<String>,
    /// Words that, right after the information's word, make it harmless (卡号 + 后四位).
    #[serde(default)]
    pub unless_followed_by: Vec<String>,
    /// Words that, right before it, make it harmless (临时 + 密码: the one the system sends).
    #[serde(default)]
    pub unless_preceded_by: Vec<String>,
    #[serde(default)]
    pub secret: bool,
}

/// One rule: an act and the patterns that show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActRule {
    pub act: Act,
    pub patterns: Vec<String>,
    /// How strongly a hit shows the act, 0–1 (its tone weight for empathy, reassurance and
    /// hostility; conduct caps a turn only from the policy's weight on).
    #[serde(default = "default_weight")]
    pub weight: f32,
    /// What the hit means, when more precise than the act's label ("讽刺客户的脾气").
    #[serde(default)]
    pub label: String,
    /// False when the negation is part of the act ("我不同情你" is conduct, not empathy
    /// negated): a preceding negator then does not cancel the hit.
    #[serde(default = "default_true")]
    pub negatable: bool,
    /// Patterns that, found in the same clause, cancel the hit.
    #[serde(default)]
    pub unless: Vec<String>,
    /// Which sentences the rule applies to.
    #[serde(default)]
    pub mood: SentenceMood,
    /// Match on the normalised text itself rather than the matching text (for rules about
    /// the words left out or folded: 您 against 你).
    #[serde(default)]
    pub exact: bool,
}

fn default_weight() -> f32 {
    0.5
}
fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SentenceMood {
    #[default]
    Any,
    /// Only in questions (你想怎样？).
    Question,
    /// Only in statements.
    Statement,
}

/// The shipped rules, compiled in.
pub const EMBEDDED: &str = include_str!("../../scenarios/lexicons/acts.ron");

impl ActRules {
    pub fn embedded() -> ActRules {
        crate::ron_file::options().from_str(EMBEDDED).expect("the shipped act rules are checked by the test suite")
    }
}

/// One act found in an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActHit {
    pub act: Act,
    /// What it means, in Chinese.
    pub label: String,
    /// The words matched (normalised).
    pub matched: String,
    /// The clause it stands in, as the trainee wrote it.
    pub quote: String,
    /// Character offset in the answer.
    pub at: usize,
    pub weight: f32,
    /// A negated hit is reported but does not count.
    pub negated: bool,
    /// Said as a question (an announced transfer asked as a question is an offer).
    pub question: bool,
    /// For `Ask`: what is asked for (订单号、手机号); for `Commit`: by when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Byte range in the normalised text.
    #[serde(skip)]
    pub span: Range<usize>,
}

/// The acts of one answer, in text order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ActReport {
    pub hits: Vec<ActHit>,
}

impl ActReport {
    /// Hits that count (not negated).
    pub fn performed(&self) -> impl Iterator<Item = &ActHit> {
        self.hits.iter().filter(|h| !h.negated)
    }

    pub fn first(&self, act: Act) -> Option<&ActHit> {
        self.performed().find(|h| h.act == act)
    }

    pub fn has(&self, act: Act) -> bool {
        self.first(act).is_some()
    }

    /// True when the answer does anything at all.
    pub fn any(&self) -> bool {
        self.performed().next().is_some()
    }

    /// True when it does something that moves the problem on.
    pub fn substantive(&self) -> bool {
        self.performed().any(|h| h.act.is_substantive())
    }

    pub fn conduct(&self) -> impl Iterator<Item = &ActHit> {
        self.performed().filter(|h| h.act.is_conduct())
    }
}

/// Names of the classes the engine itself reads.
pub const FILLERS: &str = "填充";
pub const QUESTION_WORDS: &str = "疑问";
pub const HEDGES: &str = "含糊";
pub const CUSTOMER_SAID: &str = "客户说的";
/// Words that, after a topic, negate it: "双倍赔偿我这边给不了" (with `TOPIC_BRIDGE` words
/// between: 我, 这边, 确实 …).
pub const AFTER_NEGATION: &str = "后置否定";
pub const TOPIC_BRIDGE: &str = "主题桥";
/// Words that say a topic will be done or given: a topic is promised only in a clause with one.
pub const PROMISE_MARKERS: &str = "承诺标记";

/// The rules compiled for matching. Built once with the `Analyzer`.
#[derive(Debug, Clone)]
pub struct CompiledActs {
    rules: Vec<CompiledRule>,
    /// Fillers, normalised, as jieba tokens to leave out.
    pub(crate) fillers: rustc_hash::FxHashSet<String>,
    pub(crate) folds: Vec<(char, String)>,
    question: Option<Pattern>,
    hedge: Option<Pattern>,
    customer_said: Option<Pattern>,
    after_negation: Option<Pattern>,
    promise_marker: Option<Pattern>,
    information: Vec<InfoMatcher>,
    deadline: Vec<Pattern>,
    /// The rules file's classes, for compiling topic patterns of scenarios with the same words.
    pub(crate) classes: BTreeMap<String, Vec<String>>,
    prefilter: Prefilter,
}

/// Which patterns can match a text at all, found in one pass over each of its two texts. Each
/// pattern (as the plain superset `Pattern::prefilter_source`) is reduced to literals such that
/// every match begins with one of them (or every match ends with one of them); one Aho-Corasick
/// automaton over the literals of the patterns on the matching text, and one over those on the
/// normalised text, say which literals occur. A pattern without such literals is always tried.
/// Only the patterns the prefilter names are run one by one. `find_unfiltered` is the reference
/// it is tested against.
#[derive(Debug, Clone)]
struct Prefilter {
    /// Every (rule, pattern) pair, in rule order.
    ids: Vec<(usize, usize)>,
    key: LiteralIndex,
    norm: LiteralIndex,
    /// Indexes in `ids` of the patterns always tried.
    always: Vec<usize>,
}

/// Literals and, for each, the patterns (indexes in `Prefilter::ids`) one of whose matches
/// holds it.
#[derive(Debug, Clone, Default)]
struct LiteralIndex {
    automaton: Option<AhoCorasick>,
    owners: Vec<Vec<usize>>,
}

impl LiteralIndex {
    fn build(entries: Vec<(Vec<u8>, usize)>) -> LiteralIndex {
        let mut ids: std::collections::HashMap<Vec<u8>, usize> = std::collections::HashMap::new();
        let (mut literals, mut owners): (Vec<Vec<u8>>, Vec<Vec<usize>>) = (Vec::new(), Vec::new());
        for (literal, owner) in entries {
            let id = *ids.entry(literal.clone()).or_insert_with(|| {
                literals.push(literal);
                owners.push(Vec::new());
                owners.len() - 1
            });
            if !owners[id].contains(&owner) {
                owners[id].push(owner);
            }
        }
        let automaton = (!literals.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                // A contiguous NFA: the literals are many (thousands), and as a DFA they would
                // take 26 MB and 80 ms to build; the NFA takes under 1 MB and 12 ms, and is
                // no slower here. No prefilter: the literals' first bytes are those of most
                // Chinese characters.
                .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                .prefilter(false)
                .build(&literals)
                .expect("literal automaton within size limits")
        });
        LiteralIndex { automaton, owners }
    }

    /// Marks the patterns one of whose literals occurs in `text`.
    fn mark(&self, text: &str, marks: &mut [bool]) {
        let Some(automaton) = &self.automaton else { return };
        for m in automaton.find_overlapping_iter(text) {
            for &owner in &self.owners[m.pattern().as_usize()] {
                marks[owner] = true;
            }
        }
    }
}

/// The longest literal the prefilter keeps, in bytes (four Chinese characters): longer ones are
/// cut, so that a pattern with many long alternatives gives fewer, shorter literals (the shipped
/// rules: 6,500 instead of 10,900). Building the literal automata then takes half the
/// instructions, and an answer runs as many patterns as with whole literals (callgrind: one
/// start 1,015 M → 961 M instructions, 230 k per answer either way; at 9 bytes, 234 k).
const LITERAL_BYTES: usize = 12;

/// Literals one of which every match of `regex` begins with, or one of which every match ends
/// with (whichever set has the longer shortest literal); `None` when there is no such finite set
/// of non-empty literals.
fn required_literals(regex: &str) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::Parser::new().parse(regex).ok()?;
    let set = |kind: ExtractKind| -> Option<Vec<Vec<u8>>> {
        let mut seq = Extractor::new().kind(kind).limit_literal_len(LITERAL_BYTES).extract(&hir);
        seq.dedup();
        let literals = seq.literals()?;
        (!literals.is_empty() && literals.iter().all(|l| !l.as_bytes().is_empty()))
            .then(|| literals.iter().map(|l| l.as_bytes().to_vec()).collect())
    };
    let shortest = |set: &Vec<Vec<u8>>| set.iter().map(Vec::len).min().unwrap_or(0);
    match (set(ExtractKind::Prefix), set(ExtractKind::Suffix)) {
        (Some(p), Some(s)) => Some(if shortest(&s) > shortest(&p) { s } else { p }),
        (p, s) => p.or(s),
    }
}

impl Prefilter {
    fn build(rules: &[CompiledRule]) -> Prefilter {
        let (mut ids, mut key, mut norm, mut always) = (vec![], vec![], vec![], vec![]);
        for (r, rule) in rules.iter().enumerate() {
            for (p, pattern) in rule.patterns.iter().enumerate() {
                let id = ids.len();
                ids.push((r, p));
                match pattern.prefilter_source().and_then(required_literals) {
                    Some(literals) => {
                        let index = if rule.rule.exact { &mut norm } else { &mut key };
                        index.extend(literals.into_iter().map(|l| (l, id)));
                    }
                    None => always.push(id),
                }
            }
        }
        Prefilter { ids, key: LiteralIndex::build(key), norm: LiteralIndex::build(norm), always }
    }

    /// The (rule, pattern) pairs that may match, in rule order.
    fn candidates(&self, a: &Analyzed) -> Vec<(usize, usize)> {
        let mut marks = vec![false; self.ids.len()];
        for &i in &self.always {
            marks[i] = true;
        }
        self.key.mark(&a.key, &mut marks);
        self.norm.mark(&a.norm, &mut marks);
        self.ids.iter().zip(marks).filter(|(_, m)| *m).map(|(id, _)| *id).collect()
    }
}

/// One kind of information, compiled: its words, and what around them makes them harmless.
#[derive(Debug, Clone)]
struct InfoMatcher {
    name: String,
    words: Pattern,
    unless_before: Vec<String>,
    unless_after: Vec<String>,
    secret: bool,
}

impl InfoMatcher {
    /// Where in `key` the information is first named (not by a harmless neighbour such as 临时密码).
    fn first_in(&self, key: &str) -> Option<usize> {
        self.words
            .find_all(key, |_, _| true)
            .into_iter()
            .find(|r| {
                !self.unless_before.iter().any(|w| key[..r.start].ends_with(w.as_str()))
                    && !self.unless_after.iter().any(|w| key[r.end..].starts_with(w.as_str()))
            })
            .map(|r| r.start)
    }
}

#[derive(Debug, Clone)]
struct CompiledRule {
    rule: ActRule,
    patterns: Vec<Pattern>,
    unless: Vec<Pattern>,
}

/// A problem in a rules file: which pattern, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("规则 {rule}（{act:?}）的模式「{pattern}」：{error}")]
pub struct RuleError {
    /// 1-based rule number, 0 for the file's own classes and lists.
    pub rule: usize,
    pub act: Option<Act>,
    pub pattern: String,
    pub error: PatternError,
}

impl CompiledActs {
    pub fn compile(rules: &ActRules) -> Result<CompiledActs, RuleError> {
        let classes: BTreeMap<String, Vec<String>> = rules
            .classes
            .iter()
            .map(|(k, v)| (k.clone(), v.iter().map(|w| normalize(w.trim())).filter(|w| !w.is_empty()).collect()))
            .collect();
        let file_error = |pattern: &str, error| RuleError { rule: 0, act: None, pattern: pattern.to_string(), error };
        let compile = |p: &str| Pattern::compile(p, &classes);
        let class_pattern = |name: &str| -> Result<Option<Pattern>, RuleError> {
            match classes.get(name) {
                Some(words) if !words.is_empty() => {
                    Pattern::compile(&format!("{{{name}}}"), &classes).map(Some).map_err(|e| file_error(name, e))
                }
                _ => Ok(None),
            }
        };
        let mut compiled = Vec::with_capacity(rules.rules.len());
        for (i, rule) in rules.rules.iter().enumerate() {
            let err = |p: &str, error| RuleError { rule: i + 1, act: Some(rule.act), pattern: p.to_string(), error };
            let patterns =
                rule.patterns.iter().map(|p| compile(p).map_err(|e| err(p, e))).collect::<Result<Vec<_>, _>>()?;
            let unless =
                rule.unless.iter().map(|p| compile(p).map_err(|e| err(p, e))).collect::<Result<Vec<_>, _>>()?;
            compiled.push(CompiledRule { rule: rule.clone(), patterns, unless });
        }
        let mut information = Vec::new();
        for (name, info) in &rules.information {
            let source = format!("(?:{})", alternatives(&info.words));
            let words = compile(&source).map_err(|e| file_error(&source, e))?;
            let normalized = |ws: &[String]| ws.iter().map(|w| normalize(w.trim())).filter(|w| !w.is_empty()).collect();
            information.push(InfoMatcher {
                name: name.clone(),
                words,
                unless_before: normalized(&info.unless_preceded_by),
                unless_after: normalized(&info.unless_followed_by),
                secret: info.secret,
            });
        }
        let deadline =
            rules.deadlines.iter().map(|p| compile(p).map_err(|e| file_error(p, e))).collect::<Result<_, _>>()?;
        Ok(CompiledActs {
            fillers: classes.get(FILLERS).into_iter().flatten().cloned().collect(),
            folds: rules
                .folds
                .iter()
                .filter_map(|(from, to)| {
                    let mut chars = from.chars();
                    let c = chars.next()?;
                    chars.next().is_none().then(|| (c, to.clone()))
                })
                .collect(),
            question: class_pattern(QUESTION_WORDS)?,
            hedge: class_pattern(HEDGES)?,
            customer_said: class_pattern(CUSTOMER_SAID)?,
            // The rest of the topic's noun phrase (a few characters), bridge words, a refusal.
            after_negation: match (classes.contains_key(AFTER_NEGATION), classes.contains_key(TOPIC_BRIDGE)) {
                (true, true) => Some(
                    Pattern::compile(
                        &format!("^[^{GAP_NEGATORS}]{{0,6}}?{{{TOPIC_BRIDGE}}}*{{{AFTER_NEGATION}}}"),
                        &classes,
                    )
                    .map_err(|e| file_error(AFTER_NEGATION, e))?,
                ),
                (true, false) => Some(
                    Pattern::compile(&format!("^[^{GAP_NEGATORS}]{{0,6}}?{{{AFTER_NEGATION}}}"), &classes)
                        .map_err(|e| file_error(AFTER_NEGATION, e))?,
                ),
                _ => None,
            },
            promise_marker: class_pattern(PROMISE_MARKERS)?,
            information,
            deadline,
            prefilter: Prefilter::build(&compiled),
            rules: compiled,
            classes,
        })
    }

    /// Builds every pattern's automaton now (they are otherwise built when first run): the first
    /// pattern too large to build.
    pub fn check_compiles(&self) -> Result<(), RuleError> {
        // (1-based rule number or 0 for the file's own, the rule's act, the pattern)
        let rules = self.rules.iter().enumerate().flat_map(|(i, rule)| {
            rule.patterns.iter().chain(&rule.unless).map(move |p| (i + 1, Some(rule.rule.act), p))
        });
        let file = [&self.question, &self.hedge, &self.customer_said, &self.after_negation, &self.promise_marker]
            .into_iter()
            .flatten()
            .chain(self.information.iter().map(|i| &i.words))
            .chain(&self.deadline)
            .map(|p| (0, None, p));
        for (rule, act, pattern) in rules.chain(file) {
            pattern.check_compiles().map_err(|error| RuleError {
                rule,
                act,
                pattern: pattern.source.clone(),
                error,
            })?;
        }
        Ok(())
    }

    /// The acts of an analysed answer.
    pub fn find(&self, a: &Analyzed, negators: &Negators) -> ActReport {
        self.find_among(a, negators, &self.prefilter.candidates(a))
    }

    /// `find` trying every pattern: what the prefilter is tested against.
    #[cfg(test)]
    fn find_unfiltered(&self, a: &Analyzed, negators: &Negators) -> ActReport {
        let all: Vec<(usize, usize)> =
            self.rules.iter().enumerate().flat_map(|(r, rule)| (0..rule.patterns.len()).map(move |p| (r, p))).collect();
        self.find_among(a, negators, &all)
    }

    /// The acts found by the given (rule, pattern) pairs, in rule order.
    fn find_among(&self, a: &Analyzed, negators: &Negators, candidates: &[(usize, usize)]) -> ActReport {
        let (sentences, clauses) = (a.sentences(), a.clauses());
        // Whether each sentence is a question, worked out when first needed.
        let mut questions: Vec<Option<bool>> = vec![None; sentences.len()];
        let mut hits: Vec<ActHit> = Vec::new();
        let quoted = quoted_spans(&a.norm);
        for &(r, p) in candidates {
            let (rule, pattern) = (&self.rules[r], &self.rules[r].patterns[p]);
            let mut spans = self.matches(pattern, a, rule.rule.exact);
            if rule.rule.act.once() {
                spans.truncate(1);
            }
            {
                for span in spans {
                    // Words in quotation marks are someone else's (the customer's complaint
                    // read back): no conduct of the agent's.
                    if rule.rule.act.is_conduct() && quoted.iter().any(|q| q.start <= span.start && span.end <= q.end) {
                        continue;
                    }
                    let sentence = enclosing(sentences, &span);
                    let clause = enclosing(clauses, &span);
                    let question = match sentences.iter().position(|s| s.start <= span.start && span.start < s.end) {
                        Some(i) => *questions[i].get_or_insert_with(|| self.is_question(a, &sentence)),
                        None => self.is_question(a, &sentence),
                    };
                    match rule.rule.mood {
                        SentenceMood::Question if !question => continue,
                        SentenceMood::Statement if question => continue,
                        _ => {}
                    }
                    let clause_key = a.key_of(&clause);
                    if rule.unless.iter().any(|u| u.is_in(clause_key)) {
                        continue;
                    }
                    let negated = rule.rule.negatable && a.is_negated(&span, negators);
                    let label = if rule.rule.label.is_empty() {
                        rule.rule.act.label().to_string()
                    } else {
                        rule.rule.label.clone()
                    };
                    let detail = match rule.rule.act {
                        Act::Ask => self.asked_for(a, &clause),
                        Act::Commit | Act::Offer => self.deadline_in(a, &sentence),
                        _ => None,
                    };
                    hits.push(ActHit {
                        act: rule.rule.act,
                        label,
                        matched: a.norm[span.clone()].to_string(),
                        quote: a.original_of(&clause),
                        at: a.char_offset(span.start),
                        weight: rule.rule.weight.clamp(0.0, 1.0),
                        negated,
                        question,
                        detail,
                        span,
                    });
                }
            }
        }
        // Asking for a secret is a security breach, whatever words asked.
        let breaches: Vec<ActHit> = hits
            .iter()
            .filter(|h| h.act == Act::Ask && !h.negated)
            .filter_map(|h| {
                let secret = self.secrets_in(a, &enclosing(clauses, &h.span));
                (!secret.is_empty()).then(|| ActHit {
                    act: Act::SecurityBreach,
                    label: format!("索要{}", secret.join("、")),
                    weight: 1.0,
                    detail: Some(secret.join("、")),
                    ..h.clone()
                })
            })
            .collect();
        hits.extend(breaches);
        keep_strongest(&mut hits);
        hits.sort_by(|x, y| x.span.start.cmp(&y.span.start).then(x.act.cmp(&y.act)));
        ActReport { hits }
    }

    /// Matches of one pattern as byte ranges of the normalised text.
    fn matches(&self, pattern: &Pattern, a: &Analyzed, exact: bool) -> Vec<Range<usize>> {
        if exact {
            return pattern.find_all(&a.norm, |i, start| a.is_boundary(i, start));
        }
        pattern
            .find_all(&a.key, |i, start| a.is_boundary(a.key_to_norm(i, start), start))
            .into_iter()
            .map(|r| a.key_to_norm(r.start, true)..a.key_to_norm(r.end, false))
            .filter(|r| r.start < r.end)
            .collect()
    }

    /// True when the sentence is a question: it ends with ?, or holds a question word.
    pub fn is_question(&self, a: &Analyzed, sentence: &Range<usize>) -> bool {
        if a.norm[sentence.end..].starts_with('?') {
            return true;
        }
        let key = a.key_of(sentence);
        self.question.as_ref().is_some_and(|q| q.is_in(key))
    }

    /// True when a hedge (如果, 要看, 尽量 …) stands in the range.
    pub fn is_hedged(&self, a: &Analyzed, range: &Range<usize>) -> bool {
        let key = a.key_of(range);
        self.hedge.as_ref().is_some_and(|h| h.is_in(key))
    }

    /// True when what follows `span` in its clause negates it, topic first:
    /// "双倍赔偿我这边确实给不了", "退款办不了".
    pub fn is_negated_after(&self, a: &Analyzed, span: &Range<usize>) -> bool {
        let Some(p) = &self.after_negation else { return false };
        let clause = enclosing(a.clauses(), span);
        let rest = a.key_of(&(span.end..clause.end.max(span.end)));
        let Some(m) = p.find_all(rest, |_, _| true).into_iter().next().filter(|r| r.start == 0) else {
            return false;
        };
        // "试一下能不能打电话": a question's 不 is no refusal.
        let asks =
            self.question.as_ref().is_some_and(|q| q.find_all(rest, |_, _| true).iter().any(|r| r.start < m.end));
        !asks
    }

    /// True when the range holds a word saying something will be done or given (会, 给您 …).
    pub fn has_promise_marker(&self, a: &Analyzed, range: &Range<usize>) -> bool {
        let key = a.key_of(range);
        self.promise_marker.as_ref().is_some_and(|h| h.is_in(key))
    }

    /// True when words attribute what follows to the customer (您要的, 您说的 …).
    pub fn is_customers(&self, a: &Analyzed, range: &Range<usize>) -> bool {
        let key = a.key_of(range);
        self.customer_said.as_ref().is_some_and(|h| h.is_in(key))
    }

    fn asked_for(&self, a: &Analyzed, clause: &Range<usize>) -> Option<String> {
        let key = a.key_of(clause);
        let mut found: Vec<(usize, &str)> =
            self.information.iter().filter_map(|info| info.first_in(key).map(|at| (at, info.name.as_str()))).collect();
        found.sort();
        (!found.is_empty()).then(|| found.iter().map(|(_, n)| *n).collect::<Vec<_>>().join("、"))
    }

    fn secrets_in(&self, a: &Analyzed, sentence: &Range<usize>) -> Vec<String> {
        let key = a.key_of(sentence);
        self.information.iter().filter(|i| i.secret && i.first_in(key).is_some()).map(|i| i.name.clone()).collect()
    }

    fn deadline_in(&self, a: &Analyzed, sentence: &Range<usize>) -> Option<String> {
        let key = a.key_of(sentence);
        self.deadline
            .iter()
            .flat_map(|p| p.find_all(key, |_, _| true))
            .min_by_key(|r| (r.start, usize::MAX - r.end))
            .map(|r| key[r].to_string())
    }

    /// Compiles a scenario's topic phrases and patterns with the rules' classes.
    pub fn topic_pattern(&self, source: &str) -> Result<Pattern, PatternError> {
        Pattern::compile(source, &self.classes)
    }
}

fn alternatives(words: &[String]) -> String {
    let mut words: Vec<String> =
        words.iter().map(|w| normalize(w.trim())).filter(|w| !w.is_empty()).map(|w| regex::escape(&w)).collect();
    words.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    words.join("|")
}

/// The range of `ranges` that holds `span` (or the span itself when none does).
pub(crate) fn enclosing(ranges: &[Range<usize>], span: &Range<usize>) -> Range<usize> {
    ranges
        .iter()
        .find(|r| r.start <= span.start && span.start < r.end.max(r.start + 1))
        .map(|r| r.start..r.end.max(span.end))
        .unwrap_or_else(|| span.clone())
}

/// Of hits of the same act that overlap, keeps the strongest (then the longest, then the
/// first); a negated hit gives way to a counted one.
fn keep_strongest(hits: &mut Vec<ActHit>) {
    let better = |x: &ActHit, y: &ActHit| {
        (!x.negated, x.weight, x.span.len(), std::cmp::Reverse(x.span.start))
            > (!y.negated, y.weight, y.span.len(), std::cmp::Reverse(y.span.start))
    };
    let mut keep = vec![true; hits.len()];
    for i in 0..hits.len() {
        for j in 0..hits.len() {
            let (x, y) = (&hits[i], &hits[j]);
            if i != j
                && keep[j]
                && x.act == y.act
                && x.span.start < y.span.end
                && y.span.start < x.span.end
                && better(y, x)
            {
                keep[i] = false;
                break;
            }
        }
    }
    let mut k = keep.into_iter();
    hits.retain(|_| k.next().unwrap_or(true));
}

/// Checks a rules file: every pattern compiles, weights are in range, the engine's classes
/// are there. Problems point at the pattern's line.
pub fn check(rules: &ActRules, src: &SourceText) -> Vec<Diagnostic> {
    let (mut out, compiled) = check_and_compile(rules, src);
    if let Some(Err(e)) = compiled.map(|c| c.check_compiles()) {
        out.push(bad_pattern(src, &e));
    }
    out
}

fn bad_pattern(src: &SourceText, e: &RuleError) -> Diagnostic {
    Diagnostic::error(
        src.path.as_path(),
        src.locate_text(&e.pattern),
        "bad-pattern",
        e.to_string(),
        "检查括号与转义（RON 字符串里的反斜杠写成 \\\\），词类要先在 classes 中定义；过长的词类请拆成几条规则",
    )
}

/// As `check`, also giving the rules compiled (when they compile), so that loading them does
/// not compile them a second time. The patterns' syntax is checked; their automata are built
/// when first run (`check` builds them all).
pub fn check_and_compile(rules: &ActRules, src: &SourceText) -> (Vec<Diagnostic>, Option<CompiledActs>) {
    let mut out = Vec::new();
    let path = src.path.as_path();
    let compiled = CompiledActs::compile(rules);
    if let Err(e) = &compiled {
        out.push(bad_pattern(src, e));
    }
    for (i, rule) in rules.rules.iter().enumerate() {
        let at = rule.patterns.first().map_or(Pos::START, |p| src.locate_text(p));
        if rule.patterns.iter().all(|p| p.trim().is_empty()) {
            out.push(Diagnostic::error(
                path,
                at,
                "empty",
                format!("第 {} 条规则没有模式", i + 1),
                "至少写一个 patterns",
            ));
        }
        if !(rule.weight.is_finite() && (0.0..=1.0).contains(&rule.weight)) {
            out.push(Diagnostic::error(
                path,
                at,
                "bad-weight",
                format!("第 {} 条规则的权重 {} 不在 0 到 1 之间", i + 1, rule.weight),
                "权重表示一次出现的分量：0.1 很弱，1.0 最强",
            ));
        }
    }
    let fillers = rules.classes.get(FILLERS).map(Vec::as_slice).unwrap_or_default();
    for (i, rule) in rules.rules.iter().enumerate().filter(|(_, r)| !r.exact) {
        for pattern in rule.patterns.iter().chain(&rule.unless) {
            if let Some(filler) = filler_alternative(pattern, fillers) {
                out.push(Diagnostic::warning(
                    path,
                    src.locate_text(pattern),
                    "filler-in-pattern",
                    format!("第 {} 条规则的模式「{pattern}」把填充词“{filler}”当作一项来匹配", i + 1),
                    "匹配时填充词已从回答里去掉（“确实挺闹心的”按“闹心的”匹配），这一项永远匹配不到：去掉它，或给规则加 exact: true",
                ));
            }
        }
    }
    for name in [FILLERS, QUESTION_WORDS, HEDGES, CUSTOMER_SAID, AFTER_NEGATION, TOPIC_BRIDGE, PROMISE_MARKERS] {
        if !rules.classes.contains_key(name) {
            out.push(Diagnostic::warning(
                path,
                src.locate_key("classes"),
                "missing-class",
                format!("缺少词类“{name}”"),
                "引擎会用到这个词类；没有它，相应的判断（填充词、疑问、含糊、客户的话）不起作用",
            ));
        }
    }
    for from in rules.folds.keys() {
        if from.chars().count() != 1 {
            out.push(Diagnostic::error(
                path,
                src.locate_text(from),
                "bad-value",
                format!("folds 的“{from}”不是一个字"),
                "folds 把一个字换成另一个字或词，例如 \"你\": \"您\"",
            ));
        }
    }
    out.extend(crate::text::glyphs::check(src));
    (out, compiled.ok())
}

/// A filler word (`填充`) that `pattern` matches as a piece of its own — a whole alternative
/// or a whole group, as in `(太|真)闹心` or `确实(闹心)` — though the matching text of a rule
/// that is not `exact` leaves fillers out, so that piece never matches. A filler inside a longer
/// run of characters is not reported: 很多 is a word of its own, not 很 and 多.
fn filler_alternative<'a>(pattern: &str, fillers: &'a [String]) -> Option<&'a str> {
    // Runs of Han characters, split at the regex syntax and punctuation around them.
    let han = |c: char| matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F);
    let pieces: Vec<&str> = pattern.split(|c: char| !han(c)).filter(|p| !p.is_empty()).collect();
    fillers.iter().map(String::as_str).find(|f| pieces.contains(f))
}

/// The byte ranges of `norm` inside quotation marks (“…”, 「…」, 『…』, "…"), marks included.
fn quoted_spans(norm: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut open: Option<(usize, char)> = None;
    for (i, c) in norm.char_indices() {
        match open {
            None => {
                let close = match c {
                    '“' => '”',
                    '「' => '」',
                    '『' => '』',
                    '"' => '"',
                    _ => continue,
                };
                open = Some((i, close));
            }
            Some((start, close)) if c == close => {
                spans.push(start..i + c.len_utf8());
                open = None;
            }
            Some(_) => {}
        }
    }
    spans
}

#[cfg(test)]
#[path = "acts_tests.rs"]
mod tests;
