//! The customer's reactions to what the agent did: kinds, and the shared per-persona library of
//! lines (RON) a scenario may override.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, SourceText};
use crate::ron_file;

/// The shipped library, compiled in.
pub const EMBEDDED_LIBRARY: &str = include_str!("../../assets/customer/reactions.ron");

/// The persona key whose lines every other persona falls back to.
pub const DEFAULT_PERSONA: &str = "default";

/// What the customer reacts to. The engine picks one after an answer when the scripted next
/// line would not fit what the agent said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ReactionKind {
    /// The customer's question went unanswered: asked again, harder (`{question}`).
    Unanswered,
    /// Nothing moved on (soothing words only) and no question was pending.
    NoProgress,
    /// The answer was right but asked for nothing the script goes on with: the customer waits
    /// for the agent's next step (好，那你快办).
    GoAhead,
    /// Asked for something the customer already said in this call (`{value}`).
    AskedAgain,
    /// Asked for something the customer already gave the chatbot (`{value}`).
    BotKnows,
    /// Asked point-blank for information while upset (no apology, no reason given): what for?
    /// Asked again, they tell.
    AskWhy,
    /// A promise with no time: taken up (说话算话？几点？).
    CommitVague,
    /// A promise the customer takes at its word (the call ends on it).
    CommitTaken,
    /// A refusal, pushed back on.
    PushBack,
    /// A refusal to a very upset customer: they want someone higher.
    Escalate,
    /// An offer the customer bargains over.
    OfferBargain,
    /// An announced transfer, accepted.
    TransferAccept,
    /// An announced transfer the customer does not want.
    TransferResist,
    /// Asked to hold: accepted.
    HoldAccept,
    /// The hold went on too long.
    HoldNudge,
    /// An empty or off-topic answer.
    Confused,
    /// An insult: anger and a complaint threat.
    Insulted,
}

impl ReactionKind {
    pub const ALL: [ReactionKind; 17] = [
        ReactionKind::Unanswered,
        ReactionKind::NoProgress,
        ReactionKind::GoAhead,
        ReactionKind::AskedAgain,
        ReactionKind::BotKnows,
        ReactionKind::AskWhy,
        ReactionKind::CommitVague,
        ReactionKind::CommitTaken,
        ReactionKind::PushBack,
        ReactionKind::Escalate,
        ReactionKind::OfferBargain,
        ReactionKind::TransferAccept,
        ReactionKind::TransferResist,
        ReactionKind::HoldAccept,
        ReactionKind::HoldNudge,
        ReactionKind::Confused,
        ReactionKind::Insulted,
    ];

    /// What happened, in Chinese (for transcripts and reports).
    pub fn label(self) -> &'static str {
        match self {
            ReactionKind::Unanswered => "追问未回答的问题",
            ReactionKind::NoProgress => "没有进展",
            ReactionKind::GoAhead => "等坐席下一步",
            ReactionKind::AskedAgain => "重复询问已说过的信息",
            ReactionKind::BotKnows => "询问机器人已收集的信息",
            ReactionKind::AskWhy => "先问要信息做什么",
            ReactionKind::CommitVague => "追问承诺的时间",
            ReactionKind::CommitTaken => "记下坐席的承诺",
            ReactionKind::PushBack => "对拒绝表示不满",
            ReactionKind::Escalate => "拒绝后要求找领导",
            ReactionKind::OfferBargain => "对补偿讨价还价",
            ReactionKind::TransferAccept => "接受转接",
            ReactionKind::TransferResist => "不愿被转接",
            ReactionKind::HoldAccept => "同意稍等",
            ReactionKind::HoldNudge => "等待过久催促",
            ReactionKind::Confused => "听不懂答非所问",
            ReactionKind::Insulted => "被冒犯",
        }
    }

    /// The placeholder every line of this kind must hold, if any.
    pub fn placeholder(self) -> Option<&'static str> {
        match self {
            ReactionKind::Unanswered => Some("{question}"),
            ReactionKind::AskedAgain | ReactionKind::BotKnows => Some("{value}"),
            _ => None,
        }
    }
}

/// Lines per reaction kind.
pub type ReactionLines = BTreeMap<ReactionKind, Vec<String>>;

/// The shared library: lines per persona key (`"angry"`, `"vip"` … and `"default"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReactionLibrary {
    /// Where the lines come from.
    pub source: String,
    pub personas: BTreeMap<String, ReactionLines>,
}

impl Default for ReactionLibrary {
    fn default() -> Self {
        ReactionLibrary::embedded()
    }
}

impl ReactionLibrary {
    pub fn embedded() -> Self {
        ron_file::options()
            .from_str(EMBEDDED_LIBRARY)
            .expect("the shipped reaction library is checked by the test suite")
    }

    /// Reads and checks a library file; errors (not warnings) refuse it.
    pub fn load(path: &Path) -> Result<Self, Vec<Diagnostic>> {
        let src: SourceText = ron_file::read_source(path).map_err(|d| vec![d])?;
        let library: ReactionLibrary = ron_file::parse(&src).map_err(|d| vec![d])?;
        let problems = library.check(&src);
        if problems.iter().any(Diagnostic::is_error) { Err(problems) } else { Ok(library) }
    }

    /// The library under `assets/customer/` when there is one, else the shipped one.
    pub fn from_assets(assets: Option<&Path>) -> Result<Self, Vec<Diagnostic>> {
        // Anything at that path is read (a FIFO or a directory there is refused by name).
        match assets.map(|a| a.join("customer").join("reactions.ron")).filter(|p| p.symlink_metadata().is_ok()) {
            Some(path) => ReactionLibrary::load(&path),
            None => Ok(ReactionLibrary::embedded()),
        }
    }

    /// The lines for `kind`: the persona's own, else the default persona's.
    pub fn lines(&self, persona_key: &str, kind: ReactionKind) -> &[String] {
        self.personas
            .get(persona_key)
            .and_then(|p| p.get(&kind))
            .filter(|l| !l.is_empty())
            .or_else(|| self.personas.get(DEFAULT_PERSONA).and_then(|p| p.get(&kind)))
            .map_or(&[], Vec::as_slice)
    }

    /// Problems a trainer must fix: a kind the default persona lacks, a line without its
    /// placeholder or with an unknown one, stage directions in a spoken line.
    pub fn check(&self, src: &SourceText) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let path = &src.path;
        match self.personas.get(DEFAULT_PERSONA) {
            None => out.push(Diagnostic::error(
                path,
                src.locate_key("personas"),
                "reaction-default",
                "反应库没有 \"default\" 人设",
                "加上 \"default\": { ... }，为每种反应写至少一句，其他人设缺的反应用它补",
            )),
            Some(default) => {
                for kind in ReactionKind::ALL {
                    if default.get(&kind).is_none_or(Vec::is_empty) {
                        out.push(Diagnostic::error(
                            path,
                            src.locate_key("personas"),
                            "reaction-missing",
                            format!("\"default\" 人设缺少反应 {kind:?}（{}）", kind.label()),
                            format!("在 \"default\" 里加上 {kind:?}: [\"……\"]"),
                        ));
                    }
                }
            }
        }
        for lines in self.personas.values() {
            out.extend(check_lines(lines, src));
        }
        out
    }
}

/// Checks a set of reaction lines (a library persona's or a scenario's override).
pub fn check_lines(lines: &ReactionLines, src: &SourceText) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (kind, texts) in lines {
        for text in texts {
            if let Some(problem) = line_problem(*kind, text) {
                let pos = src.locate_value(text);
                out.push(Diagnostic::error(&src.path, pos, "reaction-line", problem.0, problem.1));
            }
        }
    }
    out
}

/// What is wrong with one reaction line (message, hint), if anything.
pub fn line_problem(kind: ReactionKind, text: &str) -> Option<(String, String)> {
    if text.trim().is_empty() {
        return Some((format!("{kind:?} 有一句空话"), "删掉空字符串，或写上客户要说的话".to_string()));
    }
    if let Some(p) = kind.placeholder().filter(|p| !text.contains(p)) {
        return Some((
            format!("{kind:?} 的这句话没有 {p}：“{text}”"),
            format!("{p} 会换成客户的问题或信息，例如“你还没回答我，{p}”"),
        ));
    }
    let allowed = kind.placeholder();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e + 1);
        let token = &rest[start..end];
        if Some(token) != allowed {
            return Some((
                format!("{kind:?} 的这句话里有不认识的占位符 {token}：“{text}”"),
                match allowed {
                    Some(p) => format!("这种反应只能用 {p}"),
                    None => "这种反应不能用占位符".to_string(),
                },
            ));
        }
        rest = &rest[end..];
    }
    if let Some(direction) = crate::scenario::stage_direction(text) {
        return Some((
            format!("客户的话里有舞台说明“{direction}”：“{text}”"),
            "客户说出口的话里不能有（挂断）这类说明；挂断用结局的 kind: HungUp 表示".to_string(),
        ));
    }
    None
}

/// A line with its placeholders filled.
pub fn fill(template: &str, question: &str, value: &str) -> String {
    template.replace("{question}", question).replace("{value}", value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> SourceText {
        SourceText::new("reactions.ron", text)
    }

    #[test]
    fn shipped_library_is_complete_and_clean() {
        let library = ReactionLibrary::embedded();
        let problems = library.check(&src(EMBEDDED_LIBRARY));
        assert!(problems.is_empty(), "{problems:?}");
        for kind in ReactionKind::ALL {
            assert!(library.lines(DEFAULT_PERSONA, kind).len() >= 3, "{kind:?} has fewer than 3 default lines");
        }
    }

    #[test]
    fn a_persona_falls_back_to_default() {
        let mut library = ReactionLibrary { source: String::new(), personas: BTreeMap::new() };
        library
            .personas
            .insert(DEFAULT_PERSONA.into(), BTreeMap::from([(ReactionKind::Confused, vec!["你说什么？".to_string()])]));
        library.personas.insert("angry".into(), BTreeMap::from([(ReactionKind::Confused, vec!["啥？".to_string()])]));
        assert_eq!(library.lines("angry", ReactionKind::Confused), ["啥？"]);
        assert_eq!(library.lines("vip", ReactionKind::Confused), ["你说什么？"]);
        assert!(library.lines("vip", ReactionKind::Insulted).is_empty());
    }

    #[test]
    fn bad_lines_are_named() {
        assert!(line_problem(ReactionKind::Unanswered, "你还没回答我").unwrap().0.contains("{question}"));
        assert!(line_problem(ReactionKind::Confused, "你说{topic}？").unwrap().0.contains("{topic}"));
        assert!(line_problem(ReactionKind::Insulted, "我要投诉你！（挂断）").unwrap().0.contains("舞台说明"));
        assert!(line_problem(ReactionKind::AskedAgain, "我说过了，{value}。").is_none());
        assert!(line_problem(ReactionKind::Unanswered, "  ").is_some());
    }

    #[test]
    fn missing_default_kinds_are_errors() {
        let text = "ReactionLibrary(source: \"x\", personas: {\"default\": {Confused: [\"啊？\"]}})";
        let library: ReactionLibrary = ron_file::options().from_str(text).unwrap();
        let problems = library.check(&src(text));
        assert_eq!(problems.iter().filter(|d| d.code == "reaction-missing").count(), ReactionKind::ALL.len() - 1);
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(fill("你还没回答我，{question}", "到底哪天退？", ""), "你还没回答我，到底哪天退？");
        assert_eq!(fill("我说过了，{value}。", "", "TH1"), "我说过了，TH1。");
    }
}
