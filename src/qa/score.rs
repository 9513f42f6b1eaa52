//! Scoring the agent turns of one real dialogue with the scenario-independent part of the
//! rubric: redaction first, then each turn's tone and acts (the core's `Analyzer`), the shared
//! conduct policy, and the checks of `QaRules` (asking twice, a promise without a time, no
//! soothing for an upset customer, curt or shouting answers, transfers).

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Serialize;

use crate::mining::analyze::{CURT_CHARS, MAX_TURN_CHARS};
use crate::mining::input::{RawDialogue, Role};
use crate::mining::redact::{PiiKind, RedactionCounts, Redactor};
use crate::qa::rules::{Kind, QaRules};
use crate::scoring::conduct::ConductPolicy;
use crate::scoring::rubric;
use crate::text::Analyzer;
use crate::text::acts::Act;
use crate::text::tone::ToneReport;

/// Characters of a whole answer quoted for findings that are about the whole answer.
const QUOTE_CHARS: usize = 60;

/// What the workers share.
pub struct QaContext {
    pub analyzer: Arc<Analyzer>,
    pub redactor: Redactor,
    pub rules: QaRules,
    pub policy: ConductPolicy,
}

impl QaContext {
    pub fn new(analyzer: Arc<Analyzer>, redactor: Redactor, rules: QaRules) -> QaContext {
        let policy = analyzer.lexicons().conduct.clone();
        QaContext { analyzer, redactor, rules, policy }
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// An unacceptable conduct breach (the practice call would fail).
    Breach,
    /// A milder conduct lapse.
    Lapse,
    /// Something to coach (asking twice, no time given …).
    Coaching,
}

impl Severity {
    pub fn key(self) -> &'static str {
        match self {
            Severity::Breach => "breach",
            Severity::Lapse => "lapse",
            Severity::Coaching => "coaching",
        }
    }

    pub fn from_key(key: &str) -> Severity {
        match key {
            "breach" => Severity::Breach,
            "lapse" => Severity::Lapse,
            _ => Severity::Coaching,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Breach => "严重",
            Severity::Lapse => "违规",
            Severity::Coaching => "待改进",
        }
    }
}

/// One thing found in one agent turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// 1-based position of the turn in the dialogue (customer turns counted too).
    pub turn: u32,
    pub kind: Kind,
    /// What it is, precisely ("索要密码", "第 2 轮已问过手机号，又问了一遍").
    pub label: String,
    /// The words, redacted.
    pub quote: String,
    pub severity: Severity,
}

/// Counts of what the agent's turns did (not problems): apologies, questions, transfers …
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ActCounts {
    pub apologize: u32,
    pub empathize: u32,
    pub reassure: u32,
    pub ask: u32,
    pub commit: u32,
    /// Commitments that say by when.
    pub commit_timed: u32,
    pub refuse: u32,
    pub refer: u32,
    pub transfer: u32,
    pub thank: u32,
}

impl ActCounts {
    pub fn add(&mut self, o: &ActCounts) {
        self.apologize += o.apologize;
        self.empathize += o.empathize;
        self.reassure += o.reassure;
        self.ask += o.ask;
        self.commit += o.commit;
        self.commit_timed += o.commit_timed;
        self.refuse += o.refuse;
        self.refer += o.refer;
        self.transfer += o.transfer;
        self.thank += o.thank;
    }
}

/// One agent's part of one dialogue: a real call as QA sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallQa {
    pub agent: String,
    pub dialogue_id: String,
    /// Agent turns scored (with text).
    pub turns: u32,
    /// Agent turns without text (an image, an emoji only): not scored.
    pub empty_turns: u32,
    /// Sum of the turns' manner scores (0–100 each).
    pub manner_sum: f64,
    pub findings: Vec<Finding>,
    /// Turns that did each act (a turn counts once per act).
    pub acts: ActCounts,
}

impl CallQa {
    pub fn manner(&self) -> Option<f32> {
        (self.turns > 0).then(|| crate::scoring::round1((self.manner_sum / f64::from(self.turns)) as f32))
    }
}

/// A dialogue after QA: one call per agent who spoke in it (in order of first turn).
#[derive(Debug, Clone, PartialEq)]
pub struct DialogueQa {
    pub id: String,
    pub calls: Vec<CallQa>,
    pub redactions: RedactionCounts,
    pub customer_turns: u32,
}

/// The manner of one answer, 0–100: the scenario-independent part of the tone rubric
/// (`rubric::tone_base` with soothing for an upset customer, less hostility, curtness and
/// shouting (runs of `!`), less `SOOTHE_FIRST_MISSING` when an upset customer is not soothed), 0 for an
/// answer that does nothing, and at most the cap of a conduct breach.
pub fn manner(tone: &ToneReport, upset: bool, soothes: bool, shouts: bool, breach_cap: Option<f32>) -> f32 {
    let warmth = if upset { rubric::soothing(tone.empathy, tone.reassurance) } else { tone.empathy };
    let (mut score, _) = rubric::tone_base(tone.politeness, warmth, upset);
    score -= rubric::HOSTILITY_PENALTY * tone.hostility;
    if tone.content_chars <= CURT_CHARS {
        score -= rubric::CURT_PENALTY;
    }
    if shouts {
        score -= rubric::SHOUTING_PENALTY;
    }
    if upset && !soothes {
        score -= rubric::SOOTHE_FIRST_MISSING;
    }
    let mut score = score.clamp(0.0, 100.0);
    if !tone.acts.any() {
        score = 0.0;
    }
    if let Some(cap) = breach_cap {
        score = score.min(cap);
    }
    crate::scoring::round1(score)
}

/// The first `max` characters of `s`, with "…" when cut.
fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The first `max` characters of `s`.
fn cut_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `text` without emoticon codes (`[呵呵]`, `[微笑]`: up to six letters in brackets, as Weibo
/// and chat exports write emoji), which are pictures, not words; redaction placeholders stay.
pub fn strip_emoticons(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let code =
            tail[1..].char_indices().take(7).find(|&(_, c)| c == ']').map(|(i, _)| &tail[..i + 2]).filter(|code| {
                let inner = &code[1..code.len() - 1];
                !inner.is_empty() && inner.chars().all(char::is_alphanumeric) && !PiiKind::is_placeholder(code)
            });
        match code {
            Some(code) => rest = &tail[code.len()..],
            None => {
                out.push('[');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// What the customer has said since the agent last spoke.
#[derive(Default)]
struct Since {
    anger: f32,
    demanded: bool,
}

/// Scores a dialogue. `agent_of[i]` names the agent of turn `i` (ignored for customer turns;
/// an agent turn without a name is the `unnamed` agent's).
pub fn score_dialogue(ctx: &QaContext, raw: RawDialogue<'_>, agent_of: &[Option<String>], unnamed: &str) -> DialogueQa {
    let analyzer = &ctx.analyzer;
    let mut redactions = RedactionCounts::default();
    let mut calls: Vec<CallQa> = Vec::new();
    let mut given: BTreeSet<&str> = BTreeSet::new();
    // Per agent: what they asked for (information name → turn).
    let mut asked: Vec<(String, String, u32)> = Vec::new();
    let mut since = Since::default();
    let mut last_anger = 0.0f32;
    let mut customer_turns = 0;
    let mut redaction = ctx.redactor.dialogue();
    for (i, t) in raw.turns.iter().enumerate() {
        let turn_no = (i + 1).min(u32::MAX as usize) as u32;
        // Cut far beyond the limit before redacting, redact, then cut to the limit (as mining).
        let (redacted, counts) = redaction.turn(t.role, cut_chars(&t.text, MAX_TURN_CHARS + 256));
        redactions.merge(&counts);
        let text = strip_emoticons(cut_chars(redacted.trim(), MAX_TURN_CHARS)).trim().to_string();
        if t.role == Role::Customer {
            if text.is_empty() {
                continue;
            }
            customer_turns += 1;
            for (name, placeholders) in &ctx.rules.given_as {
                if placeholders.iter().any(|p| text.contains(p.as_str())) {
                    given.insert(name.as_str());
                }
            }
            let tone = analyzer.tone(&text);
            since.anger = since.anger.max(tone.anger);
            since.demanded |= tone.demands_supervisor;
            last_anger = tone.anger;
            continue;
        }
        let agent = agent_of.get(i).cloned().flatten().unwrap_or_else(|| unnamed.to_string());
        let call_at = match calls.iter().position(|c| c.agent == agent) {
            Some(k) => k,
            None => {
                calls.push(CallQa {
                    agent: agent.clone(),
                    dialogue_id: raw.id.clone(),
                    turns: 0,
                    empty_turns: 0,
                    manner_sum: 0.0,
                    findings: Vec::new(),
                    acts: ActCounts::default(),
                });
                calls.len() - 1
            }
        };
        let call = &mut calls[call_at];
        if text.is_empty() {
            call.empty_turns += 1;
            continue;
        }
        let first_answer = call.turns == 0;
        call.turns += 1;
        let a = analyzer.analyze_owned(text);
        let tone = analyzer.tone_of(&a);
        let acts = &tone.acts;
        // The customer's mood this answer meets: their turns since the agent last spoke, else
        // the last customer turn before.
        let anger = if since.anger > 0.0 { since.anger } else { last_anger };
        let upset = anger >= ctx.rules.upset_anger;
        let soothes = acts.has(Act::Apologize)
            || acts.has(Act::Empathize)
            || acts.has(Act::Reassure)
            || tone.empathy >= 0.3
            || tone.reassurance >= 0.3;
        let mut findings = Vec::new();
        let mut push = |kind: Kind, label: String, quote: String, severity: Severity| {
            if !findings.iter().any(|f: &Finding| f.kind == kind && f.label == label) {
                findings.push(Finding { turn: turn_no, kind, label, quote, severity });
            }
        };

        // Conduct: the shared policy.
        let mut cap: Option<f32> = None;
        for hit in acts.conduct() {
            let Some(rule) = ctx.policy.breached_by(hit) else { continue };
            let Some(kind) = Kind::of_act(hit.act) else { continue };
            let (c, fails) = ctx.policy.cap_of(hit, rule);
            cap = Some(cap.map_or(c, |x: f32| x.min(c)));
            let severity = if fails { Severity::Breach } else { Severity::Lapse };
            push(kind, hit.label.clone(), hit.quote.clone(), severity);
        }

        // Asking twice: for what the customer already gave, or what this agent asked before.
        for hit in acts.performed().filter(|h| h.act == Act::Ask) {
            for name in hit.detail.as_deref().unwrap_or("").split('、').filter(|n| !n.is_empty()) {
                let before = asked.iter().find(|(ag, n, _)| *ag == agent && n == name).map(|x| x.2);
                // Only identifiers count (those `given_as` lists): "问题经过" is asked for again
                // and again as a call goes on.
                if !ctx.rules.given_as.contains_key(name) {
                    continue;
                }
                let label = if given.contains(name) {
                    Some(format!("客户已提供{name}，又问了一遍"))
                } else {
                    before.filter(|&b| b < turn_no).map(|b| format!("第 {b} 轮已问过{name}，又问了一遍"))
                };
                if let Some(label) = label {
                    push(Kind::AskedTwice, label, hit.quote.clone(), Severity::Coaching);
                }
                if before.is_none() {
                    asked.push((agent.clone(), name.to_string(), turn_no));
                }
            }
        }

        // A promise without a time: no commitment of the answer says by when. What the clause
        // says is done already (已经帮您确认了, 已安排工作人员为您处理) is a report, not a promise.
        let already = |h: &&crate::text::acts::ActHit| {
            h.quote.find(h.matched.as_str()).is_some_and(|at| h.quote[..at].contains('已'))
        };
        let commits: Vec<_> = acts
            .performed()
            .filter(|h| h.act == Act::Commit && !h.question && (h.detail.is_some() || !already(h)))
            .collect();
        let immediate = |quote: &str| ctx.rules.immediate_commitments.iter().any(|w| quote.contains(w.as_str()));
        if let Some(first) = commits.first()
            && commits.iter().all(|h| h.detail.is_none() && !immediate(&h.quote))
        {
            push(Kind::CommitNoTime, "承诺了要做，但没说什么时候".into(), first.quote.clone(), Severity::Coaching);
        }

        let whole = clip(a.original.trim(), QUOTE_CHARS);
        if upset && !soothes {
            push(
                Kind::NoSoothing,
                format!("客户情绪激动（愤怒 {anger:.2}），回答没有致歉、体谅或安抚"),
                whole.clone(),
                Severity::Coaching,
            );
        }
        if tone.content_chars <= CURT_CHARS {
            push(Kind::Curt, format!("只有 {} 个字，显得敷衍", tone.content_chars), whole.clone(), Severity::Coaching);
        }
        // Runs of exclamation marks only: capitals are product names here (HOME 键, IMEI).
        let shouts = tone.evidence.iter().any(|e| e.dimension == "shouting" && e.matched.starts_with('!'));
        if shouts {
            push(Kind::Shouting, "感叹号连用，像在吼客户".into(), whole.clone(), Severity::Coaching);
        }

        // Escalation, where the export shows a transfer.
        let transfer_hit = acts.performed().find(|h| h.act == Act::Transfer && !h.question);
        let announced = analyzer.transfer_announcement(&a);
        let transfers = transfer_hit.is_some() || announced.is_some();
        let handles = acts
            .performed()
            .any(|h| matches!(h.act, Act::Ask | Act::Confirm | Act::Explain | Act::Guide | Act::Done | Act::Offer));
        if first_answer && transfers && !handles {
            let quote = transfer_hit.map_or_else(|| whole.clone(), |h| h.quote.clone());
            push(
                Kind::PrematureTransfer,
                "第一次回复就转给别人，没有先询问、说明或处理".into(),
                quote,
                Severity::Coaching,
            );
        }
        if since.demanded
            && !transfers
            && !acts
                .performed()
                .any(|h| matches!(h.act, Act::Explain | Act::Refuse | Act::Offer | Act::Commit | Act::Refer | Act::Ask))
        {
            push(
                Kind::MissedTransfer,
                "客户要求找主管或转人工，回答既没转接也没说明".into(),
                whole.clone(),
                Severity::Coaching,
            );
        }

        let mut counts = ActCounts::default();
        let did = |act: Act| u32::from(acts.has(act));
        counts.apologize = did(Act::Apologize);
        counts.empathize = did(Act::Empathize);
        counts.reassure = did(Act::Reassure);
        counts.ask = did(Act::Ask);
        counts.commit = u32::from(!commits.is_empty());
        counts.commit_timed = u32::from(commits.iter().any(|h| h.detail.is_some()));
        counts.refuse = did(Act::Refuse);
        counts.refer = did(Act::Refer);
        counts.transfer = u32::from(transfers);
        counts.thank = did(Act::Thank);

        call.manner_sum += f64::from(manner(&tone, upset, soothes, shouts, cap));
        call.acts.add(&counts);
        call.findings.extend(findings);
        since = Since::default();
    }
    DialogueQa { id: raw.id, calls, redactions, customer_turns }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mining::input::{Labels, RawTurn};
    use std::sync::OnceLock;

    fn ctx() -> &'static QaContext {
        static C: OnceLock<QaContext> = OnceLock::new();
        C.get_or_init(|| {
            QaContext::new(Arc::new(Analyzer::with_embedded_lexicons()), Redactor::new(), QaRules::embedded())
        })
    }

    fn dialogue(turns: &[(Role, &str)]) -> RawDialogue<'static> {
        RawDialogue {
            id: "d1".into(),
            turns: turns
                .iter()
                .map(|(r, t)| RawTurn { role: *r, text: t.to_string().into(), nugget: None, agent: None })
                .collect(),
            labels: Labels::default(),
        }
    }

    fn qa(turns: &[(Role, &str)]) -> CallQa {
        let d = score_dialogue(ctx(), dialogue(turns), &[], "客服");
        assert_eq!(d.calls.len(), 1, "{d:?}");
        d.calls.into_iter().next().unwrap()
    }

    fn kinds(c: &CallQa) -> Vec<Kind> {
        c.findings.iter().map(|f| f.kind).collect()
    }

    use Role::{Agent as A, Customer as C};

    #[test]
    fn a_good_answer_has_no_findings_and_good_manner() {
        let c = qa(&[
            (C, "我的宽带断了三天了，太气人了！"),
            (A, "非常抱歉给您带来不便，我理解您的心情。我已经为您提交加急维修，师傅今天下午三点前上门。"),
        ]);
        assert_eq!(kinds(&c), Vec::<Kind>::new(), "{:?}", c.findings);
        assert!(c.manner().unwrap() >= 70.0, "{:?}", c.manner());
        assert_eq!((c.acts.apologize, c.acts.commit_timed), (1, 1), "{:?}", c.acts);
    }

    #[test]
    fn a_rude_answer_is_a_breach_with_its_quote_and_a_capped_manner() {
        let c = qa(&[(C, "你们怎么还没给我退款？"), (A, "你是不是傻，自己看不懂规则吗")]);
        let f = c.findings.iter().find(|f| f.kind.is_conduct()).unwrap_or_else(|| panic!("{:?}", c.findings));
        assert_eq!(f.turn, 2);
        assert!(f.quote.contains("傻"), "{f:?}");
        assert!(c.manner().unwrap() <= 10.0, "{:?}", c.manner());
    }

    #[test]
    fn a_password_request_is_a_security_breach() {
        let c = qa(&[(C, "我登录不了账户"), (A, "您好，请把您的登录密码发给我，我帮您查一下。")]);
        let f =
            c.findings.iter().find(|f| f.kind == Kind::SecurityBreach).unwrap_or_else(|| panic!("{:?}", c.findings));
        assert_eq!(f.severity, Severity::Breach);
        assert!(f.label.contains("密码"), "{f:?}");
        assert_eq!(c.manner(), Some(0.0));
    }

    #[test]
    fn asking_again_for_what_the_customer_gave() {
        let c = qa(&[(C, "我的手机号是13812345678，一直收不到验证短信"), (A, "您好，请问您的手机号是多少？")]);
        let f = c.findings.iter().find(|f| f.kind == Kind::AskedTwice).unwrap_or_else(|| panic!("{:?}", c.findings));
        assert!(f.label.contains("客户已提供手机号"), "{f:?}");
        // Asked in turn 2, asked again in turn 4.
        let c = qa(&[
            (C, "快递一直没到"),
            (A, "您好，麻烦提供一下订单号，我帮您查询。"),
            (C, "我找找"),
            (A, "您好，请提供一下订单号好吗？"),
        ]);
        let f = c.findings.iter().find(|f| f.kind == Kind::AskedTwice).unwrap_or_else(|| panic!("{:?}", c.findings));
        assert_eq!((f.turn, f.label.as_str()), (4, "第 2 轮已问过订单号，又问了一遍"));
    }

    #[test]
    fn a_promise_without_a_time() {
        let c = qa(&[(C, "发票什么时候能开好？"), (A, "您好，我们会帮您跟进处理的，请您放心。")]);
        assert!(kinds(&c).contains(&Kind::CommitNoTime), "{:?}", c.findings);
        let c = qa(&[(C, "发票什么时候能开好？"), (A, "您好，我明天下午三点前给您回电话。")]);
        assert!(!kinds(&c).contains(&Kind::CommitNoTime), "{:?}", c.findings);
        // Done in the call itself: no time needed.
        let c = qa(&[(C, "我的快递到哪了？"), (A, "您好，我帮您查一下。")]);
        assert!(!kinds(&c).contains(&Kind::CommitNoTime), "{:?}", c.findings);
        // A purpose, an invitation, boilerplate, the customer's part, a report of what is done:
        // none of them promises anything.
        for answer in [
            "请私信提供订单号，以便我们为您反馈核实",
            "如日后有任何疑问欢迎随时私信我们为您协调处理",
            "小沃将竭诚为您服务",
            "如方便请将您的联系方式私信给我们",
            "已经帮您再次确认了检测结果",
            "已经安排工作人员为您处理",
        ] {
            let c = qa(&[(C, "发票什么时候能开好？"), (A, answer)]);
            assert!(!kinds(&c).contains(&Kind::CommitNoTime), "{answer}: {:?}", c.findings);
        }
    }

    #[test]
    fn words_inside_other_words_are_not_findings() {
        // 客服了解 holds 服了; 上网卡号 is a data card's number, not a bank card's.
        let c = qa(&[(C, "这个网站打不开"), (A, "您可咨询该网站的客服了解详情")]);
        assert!(!kinds(&c).contains(&Kind::Sarcasm), "{:?}", c.findings);
        let c = qa(&[(C, "上网卡没网了"), (A, "请您私信提供上网卡号")]);
        assert!(!kinds(&c).contains(&Kind::SecurityBreach), "{:?}", c.findings);
        let c = qa(&[(C, "卡被盗刷了"), (A, "请您提供一下完整的银行卡号")]);
        assert!(kinds(&c).contains(&Kind::SecurityBreach), "{:?}", c.findings);
        let c = qa(&[(C, "等了半天"), (A, "真服了您了，这都不会")]);
        assert!(kinds(&c).contains(&Kind::Sarcasm), "{:?}", c.findings);
    }

    #[test]
    fn upset_customers_need_soothing_curt_answers_are_flagged() {
        let c = qa(&[(C, "你们这什么破服务！！！气死我了，骗子公司！"), (A, "请提供订单号。")]);
        assert!(kinds(&c).contains(&Kind::NoSoothing), "{:?}", c.findings);
        let c = qa(&[(C, "在吗"), (A, "嗯")]);
        assert!(kinds(&c).contains(&Kind::Curt), "{:?}", c.findings);
    }

    #[test]
    fn personal_data_never_reaches_a_quote() {
        let c =
            qa(&[(C, "我叫王建国，电话13812345678"), (A, "王先生您好，您的电话13812345678是吧？请你自己去营业厅办。")]);
        for f in &c.findings {
            assert!(!f.quote.contains("13812345678") && !f.quote.contains("王"), "{f:?}");
        }
    }

    #[test]
    fn emoticon_codes_are_pictures_not_words() {
        assert_eq!(strip_emoticons("敬请等待[呵呵]；[手机号][a]"), "敬请等待；[手机号]");
        assert_eq!(strip_emoticons("[很长很长的一段话]和[ ]、[好"), "[很长很长的一段话]和[ ]、[好");
        // Weibo's smiley is no sarcasm; typed 呵呵 is.
        let c = qa(&[(C, "怎么还没修好"), (A, "您好，我们会尽快核实处理，敬请等待[呵呵]")]);
        assert!(!kinds(&c).contains(&Kind::Sarcasm), "{:?}", c.findings);
        let c = qa(&[(C, "怎么还没修好"), (A, "呵呵，那您自己看着办吧")]);
        assert!(c.findings.iter().any(|f| f.kind.is_conduct()), "{:?}", c.findings);
        // An answer of an emoticon alone says nothing: not scored.
        let c = qa(&[(C, "谢谢"), (A, "[微笑]")]);
        assert_eq!((c.turns, c.empty_turns), (0, 1));
    }

    #[test]
    fn latin_words_hold_no_insults_and_capitals_are_no_shouting() {
        let c = qa(&[(C, "连不上电脑"), (A, "您好，暂时只能使用usb来进行连接了，请长按 HOME 键重启。")]);
        assert!(c.findings.iter().all(|f| !f.kind.is_conduct() && f.kind != Kind::Shouting), "{:?}", c.findings);
        let c = qa(&[(C, "连不上电脑"), (A, "您好，说了多少遍了！！！自己重启！！")]);
        assert!(kinds(&c).contains(&Kind::Shouting), "{:?}", c.findings);
    }

    #[test]
    fn a_friendly_particle_and_mothers_are_no_conduct() {
        for answer in ["您好，请您随时关注官博活动哟", "您好，出去旅游听妈妈的，祝您旅途愉快"]
        {
            let c = qa(&[(C, "有什么活动吗"), (A, answer)]);
            assert!(c.findings.iter().all(|f| !f.kind.is_conduct()), "{answer}: {:?}", c.findings);
        }
        for answer in ["哟，脾气不小啊", "他妈的烦不烦"] {
            let c = qa(&[(C, "有什么活动吗"), (A, answer)]);
            assert!(c.findings.iter().any(|f| f.kind.is_conduct()), "{answer}: {:?}", c.findings);
        }
    }

    #[test]
    fn each_agent_of_a_dialogue_is_a_call_of_their_own() {
        let d = score_dialogue(
            ctx(),
            dialogue(&[(C, "我要退款"), (A, "您好，请问订单号是多少？"), (C, "[订单号]"), (A, "您好，已为您退款。")]),
            &[None, Some("张三".into()), None, Some("李四".into())],
            "客服",
        );
        let names: Vec<&str> = d.calls.iter().map(|c| c.agent.as_str()).collect();
        assert_eq!(names, ["张三", "李四"]);
        assert_eq!(d.calls.iter().map(|c| c.turns).sum::<u32>(), 2);
    }
}
