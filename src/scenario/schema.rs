//! The scenario file format: the one place where the RON schema trainers write is defined.
//!
//! Every struct denies unknown fields, so a misspelt field is an error rather than silently
//! ignored. `docs/scenario-format.md` documents each field for trainers; keep the two in step.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::customer::reactions::ReactionLines;
use crate::text::acts::Act;

/// One case: who calls, what they say, what a good answer holds and how it is scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stable identifier, lower-case ASCII with `-`; records refer to it.
    pub id: String,
    pub title: String,
    /// Bumped by the trainer whenever the script or the scoring changes.
    pub version: u32,
    /// Mined drafts stay drafts until a trainer promotes them; the app lists only promoted ones.
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    pub skills: Vec<Skill>,
    /// 1 (easy) to 5 (hard).
    pub difficulty: u8,
    pub channel: Channel,
    /// Historical case ids the scenario was written or mined from.
    #[serde(default)]
    pub provenance: Vec<String>,
    /// A short briefing for the trainee, shown before the call.
    #[serde(default)]
    pub briefing: String,
    pub persona: Persona,
    /// What the customer already told the chatbot before the call reached a human.
    #[serde(default)]
    pub bot_history: Option<BotHistory>,
    /// What the customer knows and tells when asked (order number, phone, what happened …).
    /// A line that `reveals` a fact is said only once the agent has asked for it.
    #[serde(default)]
    pub facts: Vec<Fact>,
    /// Reaction lines that replace the shared library's for this scenario, by kind.
    #[serde(default)]
    pub reactions: ReactionLines,
    /// Concepts (named synonym groups) that turns refer to by name.
    #[serde(default)]
    pub concepts: BTreeMap<String, Concept>,
    /// Red lines that apply to every answer in this scenario.
    #[serde(default)]
    pub forbidden: Vec<String>,
    /// Red lines as acts: what the agent must not do, e.g. promise a refund to a bank card
    /// (`(act: Commit, about: ["退到银行卡"], label: "承诺退到银行卡")`).
    #[serde(default)]
    pub forbidden_acts: Vec<ForbiddenAct>,
    /// Tone goals that apply to every answer in this scenario.
    #[serde(default)]
    pub tone_goals: Vec<ToneGoal>,
    /// The script; the first turn opens the call.
    pub turns: Vec<Turn>,
    pub endings: Vec<Ending>,
    pub escalation: Escalation,
    #[serde(default)]
    pub rubric: Rubric,
    /// Notes for the trainee's coach, shown on the scorecard.
    #[serde(default)]
    pub coaching: Vec<String>,
    /// Single answers with the score range each must get (`peilian test`).
    #[serde(default)]
    pub samples: Vec<Sample>,
    /// Whole calls with the overall range (and outcome) each must get (`peilian test`).
    #[serde(default)]
    pub sample_calls: Vec<SampleCall>,
}

/// A skill the scenario trains; the coaching reports average scores per skill.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Skill {
    Empathy,
    Deescalation,
    Escalation,
    Policy,
    ProductKnowledge,
    Communication,
    Verification,
    Retention,
    Compliance,
    /// Any skill a centre names itself.
    Other(String),
}

impl Skill {
    /// The skills every centre has (not `Other`).
    pub const BUILT_IN: [Skill; 9] = [
        Skill::Empathy,
        Skill::Deescalation,
        Skill::Escalation,
        Skill::Policy,
        Skill::ProductKnowledge,
        Skill::Communication,
        Skill::Verification,
        Skill::Retention,
        Skill::Compliance,
    ];

    pub fn label(&self) -> &str {
        match self {
            Skill::Empathy => "共情",
            Skill::Deescalation => "情绪安抚",
            Skill::Escalation => "升级转接",
            Skill::Policy => "政策把握",
            Skill::ProductKnowledge => "产品知识",
            Skill::Communication => "沟通表达",
            Skill::Verification => "身份核验",
            Skill::Retention => "客户挽留",
            Skill::Compliance => "合规",
            Skill::Other(name) => name,
        }
    }

    /// The Chinese label of a skill key (`key`); a centre's own skill is its own label.
    pub fn label_of_key(key: &str) -> String {
        Skill::BUILT_IN.iter().find(|s| s.key_str() == key).map_or_else(|| key.to_string(), |s| s.label().to_string())
    }

    /// Stable key for records and reports: the variant's name in lower case.
    pub fn key(&self) -> String {
        self.key_str().to_string()
    }

    /// As `key`, without a copy.
    pub fn key_str(&self) -> &str {
        match self {
            Skill::Empathy => "empathy",
            Skill::Deescalation => "deescalation",
            Skill::Escalation => "escalation",
            Skill::Policy => "policy",
            Skill::ProductKnowledge => "productknowledge",
            Skill::Communication => "communication",
            Skill::Verification => "verification",
            Skill::Retention => "retention",
            Skill::Compliance => "compliance",
            Skill::Other(name) => name,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    Phone,
    Chat,
}

impl Channel {
    pub fn label(self) -> &'static str {
        match self {
            Channel::Phone => "电话",
            Channel::Chat => "在线",
        }
    }
}

/// The simulated customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    pub kind: PersonaKind,
    /// How the customer is called on the card, e.g. "王建国".
    pub name: String,
    /// How a good agent addresses them, e.g. "王先生" or "李总"; used by the VIP address goal.
    pub title: String,
    /// VIP tier shown on the card, e.g. "钻石卡".
    #[serde(default)]
    pub vip_tier: Option<String>,
    /// An emoji or a short picture for the card.
    #[serde(default)]
    pub avatar: Option<String>,
    /// Mood at the start of the call, 0 (calm) to 100 (hangs up).
    pub mood: u8,
    /// Seconds the customer waits for an answer before silence angers them.
    pub patience_secs: u32,
    /// How strongly answers move the mood: 1.0 is average, 2.0 twice as touchy.
    #[serde(default = "default_sensitivity")]
    pub sensitivity: f32,
    /// Mood at which the customer demands a supervisor (default 85).
    #[serde(default = "default_demand_at")]
    pub demands_supervisor_at: u8,
    /// What the customer says when demanding a supervisor; a built-in line when empty.
    #[serde(default)]
    pub supervisor_lines: Vec<String>,
    /// What the customer says after a silence past their patience; a built-in line when empty.
    #[serde(default)]
    pub silence_lines: Vec<String>,
}

fn default_sensitivity() -> f32 {
    1.0
}
fn default_demand_at() -> u8 {
    85
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PersonaKind {
    Normal,
    Angry,
    Vip,
    Anxious,
    Elderly,
    /// Any other kind a centre needs, e.g. `Custom("醉酒")`.
    Custom(String),
}

impl PersonaKind {
    pub fn label(&self) -> &str {
        match self {
            PersonaKind::Normal => "普通",
            PersonaKind::Angry => "愤怒",
            PersonaKind::Vip => "VIP",
            PersonaKind::Anxious => "焦虑",
            PersonaKind::Elderly => "老年",
            PersonaKind::Custom(name) => name,
        }
    }

    /// Stable key for records and filters.
    pub fn key(&self) -> String {
        match self {
            PersonaKind::Custom(name) => name.clone(),
            other => format!("{other:?}").to_lowercase(),
        }
    }
}

/// The chatbot conversation that came before the human agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotHistory {
    pub lines: Vec<BotLine>,
    /// What the customer already told the bot; asking for it again costs points.
    #[serde(default)]
    pub known_facts: Vec<KnownFact>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotLine {
    pub speaker: BotSpeaker,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BotSpeaker {
    Customer,
    Bot,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownFact {
    /// What the fact is, e.g. "订单号".
    pub label: String,
    /// Words that name the fact in a question, e.g. ["订单号", "单号"].
    pub keywords: Vec<String>,
    /// The value the customer gave, e.g. "DD20261118"; quoting it back is a confirmation, not a question.
    #[serde(default)]
    pub value: Option<String>,
}

/// Something the customer knows and says when the agent asks for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    /// Referred to by lines' `reveals`, e.g. "order_no".
    pub id: String,
    /// What it is, e.g. "退货单号".
    pub label: String,
    /// Words that name the fact in the agent's question, e.g. ["退货单号", "单号", "订单号"];
    /// the act analysis's names of information (订单号, 手机号 …) count too.
    pub keywords: Vec<String>,
    /// The value, e.g. "TH20261109"; said back when the agent asks for it again.
    pub value: String,
    /// What the customer says when asked and no scripted line tells it, e.g. ["单号是 TH20261109。"].
    #[serde(default)]
    pub says: Vec<String>,
}

/// A named group of synonymous phrases that a good answer should (or must) contain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    /// Shown to the trainee, e.g. "道歉".
    pub label: String,
    #[serde(default)]
    pub phrases: Vec<String>,
    /// Names of shared synonym groups (from the lexicons) whose phrases count too.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Regular expressions that count too, matched on the normalised answer.
    #[serde(default)]
    pub patterns: Vec<String>,
    #[serde(default = "default_weight")]
    pub weight: f32,
    /// When true (default) a negated phrase ("不能退款") does not count as said.
    #[serde(default = "default_true")]
    pub negatable: bool,
    /// When true the concept soothes rather than solves (an apology, acknowledging the
    /// customer's trouble): for the "soothe first" goal it counts as soothing.
    #[serde(default)]
    pub soothes: bool,
    /// Acts that count as the concept, whatever their words (`acts: [Apologize]`).
    #[serde(default)]
    pub acts: Vec<Act>,
    /// The skill saying (or missing) the concept shows; when absent, the skill of its first
    /// synonym group in `assets/skills.ron`, else that file's `concept_default`.
    #[serde(default)]
    pub skill: Option<Skill>,
}

/// A red line stated as an act: the answer must not do `act` (about a topic, when `about` or
/// `patterns` are given).
///
/// For `Commit` and `Offer` the topic itself is what must not be promised: it counts when the
/// topic is said as something that will happen or be given — not negated in either word order
/// ("双倍赔偿我这边给不了"), not a question, not hedged ("能不能追回要看调查结果"), not the
/// customer's own words ("您要的双倍赔偿"). For other acts, an act of that kind whose clause holds
/// the topic (or any such act, without a topic) counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForbiddenAct {
    pub act: Act,
    /// Topic phrases, e.g. ["双倍赔偿", "赔一倍"].
    #[serde(default)]
    pub about: Vec<String>,
    /// Topic patterns (as in act rules: regular expressions with {classes} and … gaps).
    #[serde(default)]
    pub patterns: Vec<String>,
    /// What it is, shown to the trainee, e.g. "承诺双倍赔偿".
    pub label: String,
}

fn default_weight() -> f32 {
    1.0
}
fn default_true() -> bool {
    true
}

/// One customer turn of the script and what a good answer to it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    pub id: String,
    /// Variants of what the customer says; one is drawn from the session's seed.
    pub customer: Vec<Line>,
    #[serde(default)]
    pub expect: Expect,
    /// Where the script goes after the answer; the first branch whose condition holds wins.
    /// With no branch holding, the script goes on to the next turn in the file.
    #[serde(default)]
    pub next: Vec<Branch>,
    /// The customer asks for a supervisor in this turn (an escalation trigger).
    #[serde(default)]
    pub demands_supervisor: bool,
    /// The customer asks for something beyond the agent's authority (an escalation trigger).
    #[serde(default)]
    pub beyond_authority: bool,
    /// The question the customer is waiting to have answered, asked again when an answer
    /// misses it; by default the last question in the line said.
    #[serde(default)]
    pub question: Option<String>,
    /// Reaction lines for this turn, replacing the scenario's and the library's, by kind.
    #[serde(default)]
    pub reactions: ReactionLines,
}

/// A line the customer says, with an optional voice clip under `assets/`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub text: String,
    /// Path relative to `assets/`, e.g. "voice/angry-delivery/open-1.ogg".
    #[serde(default)]
    pub voice: Option<String>,
    /// Ids of the facts this line tells; it is said only after the agent asked for them.
    #[serde(default)]
    pub reveals: Vec<String>,
}

/// What a good answer to a turn holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Concept names the answer must contain.
    #[serde(default)]
    pub required: Vec<String>,
    /// Concept names that earn a bonus.
    #[serde(default)]
    pub optional: Vec<String>,
    /// Red lines for this turn (in addition to the scenario's).
    #[serde(default)]
    pub forbidden: Vec<String>,
    /// Red lines as acts for this turn (in addition to the scenario's).
    #[serde(default)]
    pub forbidden_acts: Vec<ForbiddenAct>,
    /// Tone goals for this turn (in addition to the scenario's).
    #[serde(default)]
    pub tone: Vec<ToneGoal>,
    /// A model answer shown on the scorecard.
    #[serde(default)]
    pub model_answer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ToneGoal {
    /// Soothe the customer's feelings before solving (先安抚情绪，再解决问题).
    SootheFirst,
    /// Address the customer as 您 and by their title.
    VipAddress,
    /// Show empathy.
    Empathize,
    /// Reassure (会跟进, 放心, 一定帮您).
    Reassure,
}

impl ToneGoal {
    pub fn label(self) -> &'static str {
        match self {
            ToneGoal::SootheFirst => "先安抚再解决",
            ToneGoal::VipAddress => "尊称（您与称谓）",
            ToneGoal::Empathize => "表达共情",
            ToneGoal::Reassure => "给出安心承诺",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    pub when: Condition,
    /// A turn id or an ending id.
    pub goto: String,
}

/// A condition on the state of the call after an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    Always,
    MoodAtLeast(u8),
    MoodBelow(u8),
    /// The answer contained the named concept.
    Hit(String),
    /// The answer lacked the named concept.
    Missed(String),
    /// At least this many answers have been given in the call.
    AnswersAtLeast(u32),
    /// The answer crossed a red line.
    RedLine,
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ending {
    pub id: String,
    pub kind: EndingKind,
    /// What the customer says last (variants); may be empty.
    #[serde(default)]
    pub customer: Vec<Line>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EndingKind {
    Resolved,
    Unresolved,
    HungUp,
    Transferred,
}

/// When the call should be handed on, and what the handoff note must carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub policy: EscalationPolicy,
    /// Facts the handoff note must carry so the next person need not ask again.
    #[serde(default)]
    pub handoff_facts: Vec<HandoffFact>,
    /// Where a transfer leads (a turn, e.g. a supervisor sending the call back, or an ending).
    /// Evaluated like a turn's `next`; with no branch holding the call ends as transferred.
    #[serde(default)]
    pub on_transfer: Vec<Branch>,
    /// Concept names that some answer of the call must have hit before a transfer counts, e.g.
    /// `["frozen_confirm"]`: freeze the card first, then hand the call on. A transfer before
    /// they are all met is premature, whatever the policy's window or triggers say.
    #[serde(default)]
    pub before_transfer: Vec<String>,
    /// Why, in the trainer's words; shown on the scorecard.
    #[serde(default)]
    pub rationale: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EscalationPolicy {
    /// The agent should solve it; any transfer is premature.
    SolveYourself,
    /// Transfer while answering turn `from` to turn `to` (1-based, inclusive).
    Window { from: u32, to: u32 },
    /// Transfer once one of the triggers fires, at the latest `grace` turns later.
    OnTrigger { triggers: Vec<Trigger>, grace: u32 },
    /// Transferring or not are both fine.
    Either,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Trigger {
    /// The customer demands a supervisor (scripted, or when the mood passes the persona's mark).
    DemandsSupervisor,
    /// The mood reaches this value.
    MoodAtLeast(u8),
    /// The customer asks for something beyond the agent's authority.
    BeyondAuthority,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffFact {
    pub label: String,
    #[serde(default)]
    pub phrases: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
}

/// Rubric weights, pass mark and caps; defaults suit most scenarios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rubric {
    pub weights: RubricWeights,
    /// Overall score (0–100) needed to pass.
    pub pass_mark: f32,
    /// The overall score can be no higher than this once a red line is crossed.
    pub red_line_cap: f32,
    /// Answers of at most this many characters count as curt.
    pub curt_chars: u32,
}

impl Default for Rubric {
    fn default() -> Self {
        Rubric { weights: RubricWeights::default(), pass_mark: 70.0, red_line_cap: 10.0, curt_chars: 4 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RubricWeights {
    pub concepts: f32,
    pub tone: f32,
    pub escalation: f32,
    pub no_repeat: f32,
    pub responsiveness: f32,
}

impl Default for RubricWeights {
    fn default() -> Self {
        RubricWeights { concepts: 0.40, tone: 0.25, escalation: 0.15, no_repeat: 0.10, responsiveness: 0.10 }
    }
}

/// One answer and the score range it must get when scored against a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub turn: String,
    pub answer: String,
    /// Inclusive range of the turn's overall score, e.g. (80, 100).
    pub score: (f32, f32),
    /// The customer's mood when the answer is given; the persona's starting mood by default.
    #[serde(default)]
    pub mood: Option<u8>,
    #[serde(default)]
    pub note: String,
}

/// A whole scripted call and the overall range (and outcome) it must get.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleCall {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub seed: u64,
    /// Answers in order; `/transfer NOTE` and `/hangup` as in `peilian practice`.
    pub answers: Vec<String>,
    pub score: (f32, f32),
    #[serde(default)]
    pub outcome: Option<EndingKind>,
    /// Which trainee the call plays; every shipped scenario has one of each.
    #[serde(default)]
    pub kind: Option<TraineeKind>,
}

/// The trainees a scenario's sample calls play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TraineeKind {
    /// Does what the briefing asks, in their own words.
    Good,
    /// Polite but misses things: vague, no times, forgets to ask.
    Mediocre,
    /// Rude, blames or mocks the customer.
    Rude,
    /// Answers something else, or types nonsense.
    OffTopic,
}

impl TraineeKind {
    pub const ALL: [TraineeKind; 4] =
        [TraineeKind::Good, TraineeKind::Mediocre, TraineeKind::Rude, TraineeKind::OffTopic];

    pub fn label(self) -> &'static str {
        match self {
            TraineeKind::Good => "优秀坐席",
            TraineeKind::Mediocre => "平庸坐席",
            TraineeKind::Rude => "粗鲁坐席",
            TraineeKind::OffTopic => "答非所问",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Skill;

    #[test]
    fn built_in_skill_keys_are_the_variant_names_in_lower_case() {
        // Records store these keys: they must stay what they were.
        for skill in &Skill::BUILT_IN {
            assert_eq!(skill.key(), format!("{skill:?}").to_lowercase());
            assert_eq!(Skill::label_of_key(&skill.key()), skill.label());
        }
        assert_eq!(Skill::Other("催收".into()).key(), "催收");
    }
}
