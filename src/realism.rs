//! Realism: the simulated customer measured against real conversations, on the statistics that
//! tell simulated customers from real ones (`peilian realism`, `docs/realism.md`).
//!
//! Both sides become the same thing first: a [`Dialogue`], the customer's and the agent's
//! exchanges in order (consecutive turns of one speaker merged into one exchange), with whether
//! and at which customer turn the problem was resolved when the source can say. A real
//! transcript comes from the mining reader ([`Dialogue::from_raw`]); a simulated call from a
//! session's transcript ([`Dialogue::from_transcript`]). Then one function, [`measure`], reads
//! every exchange the same way — redacted with the mining redaction, analysed with the project's
//! `Analyzer` (acts, tone, anger) — and counts the figures. [`compare`] sets two sets of figures
//! side by side with their relative difference.
//!
//! Everything is deterministic: the same dialogues give the same figures, in the same order.

use rayon::prelude::*;
use serde::Serialize;

use crate::lexicon::LexiconKind;
use crate::mining::input::{RawDialogue, Role};
use crate::mining::redact::{PiiKind, Redactor};
use crate::session::{LineKind, Outcome, Speaker, TranscriptEntry};
use crate::text::acts::Act;
use crate::text::analyzer::{Analyzed, Analyzer};
use crate::text::normalize::{is_content_char, normalize};
use crate::text::tone::noisy_or;

/// Two figures agree when they are within this relative difference.
pub const TOLERANCE: f64 = 0.10;

/// A figure is only given when it rests on at least this many observations (dialogues, replies
/// …); below, it is reported as not available.
pub const DEFAULT_MIN_SUPPORT: u64 = 10;

/// The turn label with which the shared corpus marks a customer confirming a solution.
pub const RESOLVED_NUGGET: &str = "CNUG*";

/// A customer reply is pushback when its pushback score (a noisy-or of its cues) reaches this.
pub const PUSHBACK_THRESHOLD: f32 = 0.5;

/// A reply that says this much of the customer's previous turn again (Dice coefficient of the
/// character pairs) repeats it.
pub const REPEAT_SIMILARITY: f32 = 0.5;

/// A reply needs this many content characters to count as a repetition.
pub const REPEAT_MIN_CHARS: usize = 6;

/// Weight of a repetition in the pushback score: enough on its own.
pub const REPEAT_WEIGHT: f32 = 0.6;

/// What the redaction recognises as an identifier the customer gives: order, tracking and card
/// numbers, phone numbers, accounts, ID numbers, e-mail addresses, other long numbers.
pub const IDENTIFIER_KINDS: [PiiKind; 9] = [
    PiiKind::Email,
    PiiKind::IdCard,
    PiiKind::Tracking,
    PiiKind::Order,
    PiiKind::BankCard,
    PiiKind::Mobile,
    PiiKind::Landline,
    PiiKind::Account,
    PiiKind::Number,
];

/// The information (as the act rules name it, `information` in `acts.ron`) that is an
/// identifier: an agent's `Ask` for one of these asks for an identifier.
pub const IDENTIFIER_INFORMATION: [&str; 6] = ["订单号", "手机号", "身份证号", "卡号后四位", "会员卡号", "完整卡号"];

/// Besides the act rules' identifier information, words that name an identifier an agent may
/// ask for.
pub const IDENTIFIER_WORDS: [&str; 6] = ["邮箱", "邮件地址", "账号", "帐号", "用户名", "编号"];

/// Besides the asking lexicon and a question mark, words with which an agent asks for
/// something: "麻烦提供下邮箱", "请私信您的号码". Followed by 的 they do not ask ("您提供的号码").
pub const REQUEST_WORDS: [&str; 8] = ["提供", "告知", "告诉", "私信", "发给", "发我", "留下", "报一下"];

/// Conduct acts that, in a customer's reply, confront the agent: an attacking question, impatience
/// ("又是这个", "说了多少遍"). (The agent's insult and sarcasm rules read a customer's friendly
/// "嘻嘻" or "奇葩的设置" as conduct; the customer's insults are in the anger lexicon.)
const CONFRONTING_ACTS: [Act; 2] = [Act::Attack, Act::Impatience];

/// Words with which a customer pushes back on an answer beyond the anger lexicon: the problem
/// is still there, the answer is not what was asked, it was said or tried before, a concrete
/// answer is demanded. Weights as in the lexicons: how surely one occurrence is pushback. A cue
/// after a negator in its clause does not count.
const PUSHBACK_CUES: [(&str, f32); 81] = [
    // The problem is still there.
    ("还是没", 0.5),
    ("还是不", 0.45),
    ("还没", 0.4),
    ("还不", 0.35),
    ("仍然", 0.4),
    ("依然", 0.4),
    ("依旧", 0.4),
    ("怎么还", 0.5),
    ("到现在", 0.4),
    ("至今", 0.4),
    ("这么久", 0.4),
    ("多久了", 0.45),
    ("几天了", 0.4),
    ("还要等", 0.45),
    ("又要", 0.4),
    ("又是", 0.35),
    ("又", 0.3),
    ("再次", 0.3),
    ("一直", 0.25),
    ("始终", 0.3),
    ("每次", 0.3),
    ("反复", 0.35),
    ("好几次", 0.35),
    ("老是", 0.35),
    ("无数次", 0.45),
    // The answer is not an answer.
    ("答非所问", 0.7),
    ("我问的是", 0.6),
    ("我的问题是", 0.5),
    ("我说的是", 0.5),
    ("我要的是", 0.5),
    ("不是这个", 0.5),
    ("不是我要的", 0.6),
    ("没回答", 0.6),
    ("没有回答", 0.6),
    ("没解决", 0.6),
    ("没有解决", 0.6),
    ("解决不了", 0.5),
    ("没用", 0.5),
    ("没有用", 0.5),
    ("不管用", 0.5),
    ("有用吗", 0.5),
    ("有什么用", 0.5),
    ("无效", 0.4),
    ("说了等于没说", 0.7),
    ("说了半天", 0.6),
    ("官方回复", 0.5),
    ("官方回答", 0.5),
    ("套话", 0.6),
    ("官腔", 0.6),
    ("外交辞令", 0.6),
    ("缓兵之计", 0.6),
    ("狡辩", 0.5),
    ("复制粘贴", 0.6),
    ("自动回复", 0.5),
    ("机器人", 0.4),
    ("废话", 0.6),
    ("不接受", 0.6),
    ("不满意", 0.55),
    ("不认可", 0.55),
    ("不同意", 0.5),
    ("不合理", 0.45),
    ("不行", 0.35),
    // Said or tried before.
    ("已经说了", 0.55),
    ("说过了", 0.55),
    ("我说过", 0.5),
    ("说得很清楚", 0.5),
    ("说的很清楚", 0.5),
    ("试过了", 0.5),
    ("打了好几次", 0.55),
    ("已经反映", 0.5),
    // A concrete answer demanded.
    ("到底", 0.35),
    ("究竟", 0.35),
    ("给个准话", 0.5),
    ("给个答复", 0.45),
    ("给个解释", 0.45),
    ("然后呢", 0.45),
    ("我只想知道", 0.45),
    ("我就想知道", 0.45),
    ("怎么解决", 0.3),
    ("就完了", 0.4),
    ("所以呢", 0.45),
];

/// One exchange: what one speaker said before the other spoke.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    pub role: Role,
    pub text: String,
}

/// Whether the customer's problem was resolved, as far as the source says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "resolution")]
pub enum Resolution {
    /// The source does not say (a transcript without turn labels).
    Unknown,
    Unresolved,
    /// Resolved at this customer turn (1-based, counting the customer's exchanges).
    Resolved {
        customer_turn: usize,
    },
}

/// A conversation in the common form both sides are measured in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dialogue {
    pub id: String,
    pub exchanges: Vec<Exchange>,
    pub resolution: Resolution,
    /// For a simulated call: the engine's mood (0–100) after each customer exchange. Empty for a
    /// real transcript.
    pub engine_mood: Vec<f32>,
}

impl Dialogue {
    fn new(id: String) -> Dialogue {
        Dialogue { id, exchanges: Vec::new(), resolution: Resolution::Unknown, engine_mood: Vec::new() }
    }

    /// Adds what a speaker said; a speaker's consecutive turns make one exchange.
    fn push(&mut self, role: Role, text: &str) {
        let text = text.trim();
        match self.exchanges.last_mut() {
            Some(last) if last.role == role => {
                if !text.is_empty() {
                    if !last.text.is_empty() {
                        last.text.push('\n');
                    }
                    last.text.push_str(text);
                }
            }
            _ => self.exchanges.push(Exchange { role, text: text.to_string() }),
        }
    }

    /// How many customer exchanges there are so far.
    fn customer_turns(&self) -> usize {
        self.exchanges.iter().filter(|e| e.role == Role::Customer).count()
    }

    /// A real transcript as the mining reader reads it. Its resolution comes from the turn labels:
    /// unknown when no turn has one, resolved at the first customer turn labelled
    /// [`RESOLVED_NUGGET`], else unresolved. An empty turn (a post of only a picture) stays an
    /// exchange with no text.
    pub fn from_raw(raw: &RawDialogue<'_>) -> Dialogue {
        let mut d = Dialogue::new(raw.id.clone());
        let mut labelled = false;
        let mut resolved_at = None;
        for t in &raw.turns {
            d.push(t.role, &t.text);
            if let Some(n) = &t.nugget {
                labelled = true;
                if t.role == Role::Customer && n.trim() == RESOLVED_NUGGET && resolved_at.is_none() {
                    resolved_at = Some(d.customer_turns());
                }
            }
        }
        d.resolution = match (labelled, resolved_at) {
            (_, Some(customer_turn)) => Resolution::Resolved { customer_turn },
            (true, None) => Resolution::Unresolved,
            (false, None) => Resolution::Unknown,
        };
        d
    }

    /// A simulated call from its transcript: the customer's lines (script, supervisor demands,
    /// silence nudges, endings) and the agent's answers, transfers and hang-up as the transcript
    /// shows them. A silence the customer reacts to is an agent exchange with no text. Resolved
    /// (at its last customer turn) when the call ended resolved, else unresolved.
    pub fn from_transcript(id: String, transcript: &[TranscriptEntry], outcome: Outcome) -> Dialogue {
        let mut d = Dialogue::new(id);
        for e in transcript {
            match e.speaker {
                Speaker::System => continue,
                Speaker::Agent => d.push(Role::Agent, &e.text),
                Speaker::Customer => {
                    if e.kind == LineKind::SilenceNudge {
                        d.exchanges.push(Exchange { role: Role::Agent, text: String::new() });
                    }
                    let before = d.customer_turns();
                    d.push(Role::Customer, &e.text);
                    if d.customer_turns() > before {
                        d.engine_mood.push(e.mood);
                    } else if let Some(last) = d.engine_mood.last_mut() {
                        *last = e.mood;
                    }
                }
            }
        }
        d.resolution = if outcome == Outcome::Resolved {
            Resolution::Resolved { customer_turn: d.customer_turns() }
        } else {
            Resolution::Unresolved
        };
        d
    }
}

/// What one exchange is found to hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExchangeReading {
    pub role: Role,
    /// It has text.
    pub said: bool,
    /// The speaker's anger (0–1), as `peilian tone` gives it.
    pub anger: f32,
    /// Customer: demands a supervisor or a human (the supervisor lexicon, said as a demand).
    pub demand: bool,
    /// Customer: gives an identifier (see [`IDENTIFIER_KINDS`]).
    pub identifier: bool,
    /// Agent: does something that moves the problem on (`ActReport::substantive`).
    pub substantive: bool,
    /// Agent: asks for an identifier (see [`IDENTIFIER_INFORMATION`]).
    pub asks_identifier: bool,
    /// Customer, replying to an agent: how surely the reply pushes back (0–1).
    pub pushback_score: f32,
    /// Customer, replying to an agent: the reply pushes back (score ≥ [`PUSHBACK_THRESHOLD`]).
    pub pushback: bool,
    /// Customer, replying to an agent: the words that make it pushback.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pushback_cues: Vec<String>,
}

/// Reads exchanges: the analyzer (built once) and the redaction.
pub struct Measurer<'a> {
    analyzer: &'a Analyzer,
    redactor: &'a Redactor,
    cues: Vec<(String, f32)>,
    /// Words naming an identifier, normalised.
    identifier_words: Vec<String>,
    request_words: Vec<String>,
}

impl<'a> Measurer<'a> {
    pub fn new(analyzer: &'a Analyzer, redactor: &'a Redactor) -> Self {
        let cues = PUSHBACK_CUES.iter().map(|(c, w)| (normalize(c), *w)).collect();
        let information = &analyzer.lexicons().acts.information;
        let mut identifier_words: Vec<String> = IDENTIFIER_INFORMATION
            .iter()
            .filter_map(|name| information.get(*name))
            .flat_map(|i| i.words.iter().map(|w| normalize(w)))
            .chain(IDENTIFIER_WORDS.iter().map(|w| normalize(w)))
            .filter(|w| !w.is_empty())
            .collect();
        identifier_words.sort();
        identifier_words.dedup();
        let request_words = REQUEST_WORDS.iter().map(|w| normalize(w)).collect();
        Measurer { analyzer, redactor, cues, identifier_words, request_words }
    }

    /// True when a sentence of the agent's text asks for an identifier: it names one (the act
    /// rules' words for [`IDENTIFIER_INFORMATION`], and [`IDENTIFIER_WORDS`]) and asks — a
    /// question mark, a marker of the asking lexicon, or one of [`REQUEST_WORDS`] not negated.
    fn sentence_asks_identifier(&self, a: &Analyzed) -> bool {
        let negators = self.analyzer.negators();
        let asking: Vec<std::ops::Range<usize>> = self
            .analyzer
            .tone_index()
            .find(a, negators)
            .into_iter()
            .filter(|h| !h.negated && h.payloads.iter().any(|m| m.kind == LexiconKind::Asking))
            .map(|h| h.span)
            .collect();
        a.sentences().iter().any(|s| {
            let text = &a.norm[s.clone()];
            if !self.identifier_words.iter().any(|w| text.contains(w.as_str())) {
                return false;
            }
            let question = a.norm[s.end..].starts_with('?') || text.ends_with('?');
            let marker = asking.iter().any(|h| s.start <= h.start && h.end <= s.end);
            let request = self.request_words.iter().any(|w| {
                text.match_indices(w.as_str()).any(|(at, m)| {
                    let span = s.start + at..s.start + at + m.len();
                    !a.norm[span.end..].starts_with('的') && !a.is_negated(&span, negators)
                })
            });
            question || marker || request
        })
    }

    /// Reads every exchange of a dialogue. Each text is redacted before it is analysed.
    pub fn read(&self, d: &Dialogue) -> Vec<ExchangeReading> {
        let mut out: Vec<ExchangeReading> = Vec::with_capacity(d.exchanges.len());
        let mut previous_customer: Option<Vec<(char, char)>> = None;
        let mut redaction = self.redactor.dialogue();
        for (i, x) in d.exchanges.iter().enumerate() {
            let (redacted, counts) = redaction.turn(x.role, &x.text);
            let identifier = IDENTIFIER_KINDS.iter().any(|k| counts.get(*k) > 0);
            let a = self.analyzer.analyze_owned(redacted);
            let tone = self.analyzer.tone_of(&a);
            let said = !x.text.trim().is_empty();
            let mut r = ExchangeReading {
                role: x.role,
                said,
                anger: tone.anger,
                demand: false,
                identifier: false,
                substantive: false,
                asks_identifier: false,
                pushback_score: 0.0,
                pushback: false,
                pushback_cues: Vec::new(),
            };
            match x.role {
                Role::Agent => {
                    r.substantive = tone.acts.substantive();
                    r.asks_identifier = tone.acts.performed().any(|h| {
                        h.act == Act::Ask
                            && h.detail
                                .as_deref()
                                .is_some_and(|d| d.split('、').any(|n| IDENTIFIER_INFORMATION.contains(&n)))
                    }) || self.sentence_asks_identifier(&a);
                }
                Role::Customer => {
                    // A weight-1 marker or one after a demand verb (`tone::demand_verb_before`).
                    r.demand = tone.demands_supervisor;
                    r.identifier = identifier;
                    let pairs = char_pairs(&a);
                    let replies = i > 0 && d.exchanges[i - 1].role == Role::Agent;
                    if replies {
                        let mut weights: Vec<f32> = vec![tone.anger];
                        let mut cues = Vec::new();
                        if tone.anger > 0.0 {
                            cues.push(format!("愤怒 {:.2}", tone.anger));
                        }
                        if r.demand {
                            weights.push(1.0);
                            cues.push("要求找领导".to_string());
                        }
                        for h in tone.acts.conduct().filter(|h| CONFRONTING_ACTS.contains(&h.act)) {
                            weights.push(h.weight);
                            cues.push(format!("{}：{}", h.act.label(), h.matched));
                        }
                        for (cue, w) in self.cues_in(&a) {
                            weights.push(w);
                            cues.push(cue);
                        }
                        if let Some(prev) = &previous_customer
                            && content_chars(&a) >= REPEAT_MIN_CHARS
                            && dice(prev, &pairs) >= REPEAT_SIMILARITY
                        {
                            weights.push(REPEAT_WEIGHT);
                            cues.push("重复上一轮的话".to_string());
                        }
                        let score = noisy_or(weights);
                        r.pushback_score = (score * 1000.0).round() / 1000.0;
                        r.pushback = r.pushback_score >= PUSHBACK_THRESHOLD;
                        if r.pushback {
                            r.pushback_cues = cues;
                        }
                    }
                    if said {
                        previous_customer = Some(pairs);
                    }
                }
            }
            out.push(r);
        }
        out
    }

    /// The pushback cues in a text that are not negated, each distinct cue once.
    fn cues_in(&self, a: &Analyzed) -> Vec<(String, f32)> {
        let negators = self.analyzer.negators();
        let mut found: Vec<(String, f32)> = Vec::new();
        for (cue, w) in &self.cues {
            let hit = a.norm.match_indices(cue.as_str()).any(|(at, m)| !a.is_negated(&(at..at + m.len()), negators));
            if hit {
                found.push((cue.clone(), *w));
            }
        }
        // A cue inside a longer one found ("又" in "又要") counts once, as the longer.
        let all = found.clone();
        found.retain(|(c, _)| !all.iter().any(|(o, _)| o.len() > c.len() && o.contains(c.as_str())));
        found
    }
}

/// Letters, digits and CJK characters of the text, placeholders (`[手机号]`) and emoticon codes
/// left out.
fn content(a: &Analyzed) -> Vec<char> {
    let mut out = Vec::new();
    let mut in_brackets = false;
    for c in a.norm.chars() {
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            c if !in_brackets && is_content_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

fn content_chars(a: &Analyzed) -> usize {
    content(a).len()
}

/// The distinct pairs of adjacent content characters.
fn char_pairs(a: &Analyzed) -> Vec<(char, char)> {
    let chars = content(a);
    let mut pairs: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// Dice coefficient of two sorted sets.
fn dice(x: &[(char, char)], y: &[(char, char)]) -> f32 {
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let common = x.iter().filter(|p| y.binary_search(p).is_ok()).count();
    2.0 * common as f32 / (x.len() + y.len()) as f32
}

/// A share: how many of how many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
struct Share {
    hits: u64,
    n: u64,
}

impl Share {
    fn add(&mut self, hit: bool) {
        self.n += 1;
        self.hits += u64::from(hit);
    }

    fn measure(self) -> Measure {
        Measure { value: (self.n > 0).then(|| self.hits as f64 / self.n as f64), n: self.n }
    }
}

/// A mean over observations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
struct Mean {
    sum: f64,
    n: u64,
}

impl Mean {
    fn add(&mut self, x: f64) {
        self.sum += x;
        self.n += 1;
    }

    fn measure(self) -> Measure {
        Measure { value: (self.n > 0).then(|| self.sum / self.n as f64), n: self.n }
    }
}

/// One figure on one side: its value (when there is anything to measure) and how many
/// observations it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measure {
    pub value: Option<f64>,
    pub n: u64,
}

/// How a figure is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// 0–1, shown as a percentage.
    Share,
    /// A customer-turn count or index.
    Turns,
    /// Anger 0–1.
    Anger,
    /// The engine's mood 0–100.
    Mood,
}

/// A figure: what it measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FigureDef {
    pub key: &'static str,
    /// 1 pushback, 2 supervisor, 3 resolution, 4 reveal, 5 mood.
    pub group: u8,
    pub label: &'static str,
    pub unit: Unit,
}

/// The figures compared, in order.
pub const FIGURES: [FigureDef; 15] = [
    FigureDef {
        key: "pushback_after_non_answer",
        group: 1,
        label: "无实质内容的回答之后，客户追问或表示不满的比例 P(追问|无实质回答)",
        unit: Unit::Share,
    },
    FigureDef {
        key: "pushback_after_answer",
        group: 1,
        label: "有实质内容的回答之后，客户追问或表示不满的比例 P(追问|实质回答)",
        unit: Unit::Share,
    },
    FigureDef {
        key: "supervisor_demand_share",
        group: 2,
        label: "客户要求找领导或转人工的对话比例",
        unit: Unit::Share,
    },
    FigureDef {
        key: "supervisor_demand_turn",
        group: 2,
        label: "第一次要求找领导是客户的第几轮（平均）",
        unit: Unit::Turns,
    },
    FigureDef { key: "resolved_share", group: 3, label: "问题得到解决的对话比例", unit: Unit::Share },
    FigureDef {
        key: "turns_to_resolution",
        group: 3,
        label: "解决了的对话：客户说到第几轮时解决（平均）",
        unit: Unit::Turns,
    },
    FigureDef { key: "customer_turns", group: 3, label: "每段对话客户说几轮（平均）", unit: Unit::Turns },
    FigureDef {
        key: "reveal_first_turn",
        group: 4,
        label: "客户第一轮就主动给出编号（订单号、手机号、账号、证件号…）的对话比例",
        unit: Unit::Share,
    },
    FigureDef {
        key: "reveal_after_ask",
        group: 4,
        label: "坐席问过之后客户才第一次给出编号的对话比例",
        unit: Unit::Share,
    },
    FigureDef {
        key: "reveal_when_asked",
        group: 4,
        label: "坐席索要编号后，客户下一轮就给出的比例",
        unit: Unit::Share,
    },
    FigureDef {
        key: "reveal_turn", group: 4, label: "客户第一次给出编号是第几轮（平均）", unit: Unit::Turns
    },
    FigureDef { key: "anger_first", group: 5, label: "客户第一轮的愤怒度（平均）", unit: Unit::Anger },
    FigureDef {
        key: "anger_middle",
        group: 5,
        label: "客户中间各轮的愤怒度（平均，至少三轮的对话）",
        unit: Unit::Anger,
    },
    FigureDef {
        key: "anger_last", group: 5, label: "客户最后一轮的愤怒度（平均，至少两轮的对话）", unit: Unit::Anger
    },
    FigureDef {
        key: "anger_falls",
        group: 5,
        label: "愤怒度从第一轮到最后一轮下降的对话比例（至少两轮）",
        unit: Unit::Share,
    },
];

/// The engine's own mood, reported for the simulator beside the figures (not compared: the
/// corpus has no such number).
pub const ENGINE_MOOD: [FigureDef; 3] = [
    FigureDef { key: "engine_mood_first", group: 5, label: "模拟器内部情绪值：第一轮", unit: Unit::Mood },
    FigureDef {
        key: "engine_mood_middle", group: 5, label: "模拟器内部情绪值：中间各轮", unit: Unit::Mood
    },
    FigureDef { key: "engine_mood_last", group: 5, label: "模拟器内部情绪值：最后一轮", unit: Unit::Mood },
];

/// The group titles, by group number.
pub fn group_title(group: u8) -> &'static str {
    match group {
        1 => "追问与不满",
        2 => "要求找领导",
        3 => "解决所需轮数",
        4 => "透露信息的顺序",
        5 => "通话中的情绪",
        _ => "",
    }
}

/// The figures of one side, in the order of [`FIGURES`], and the engine's mood.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measures {
    pub dialogues: u64,
    pub figures: Vec<Measure>,
    /// In the order of [`ENGINE_MOOD`]; no observations for a real corpus.
    pub engine_mood: Vec<Measure>,
}

impl Measures {
    pub fn get(&self, key: &str) -> Option<Measure> {
        FIGURES.iter().position(|f| f.key == key).map(|i| self.figures[i])
    }
}

/// The counts behind the figures.
#[derive(Debug, Default)]
struct Tally {
    dialogues: u64,
    pushback_after_non_answer: Share,
    pushback_after_answer: Share,
    demand: Share,
    demand_turn: Mean,
    resolved: Share,
    resolution_turn: Mean,
    customer_turns: Mean,
    reveal_first: Share,
    reveal_after_ask: Share,
    reveal_when_asked: Share,
    reveal_turn: Mean,
    anger_first: Mean,
    anger_middle: Mean,
    anger_last: Mean,
    anger_falls: Share,
    engine: [Mean; 3],
}

/// First, middle (mean of the inner ones, with three or more) and last (with two or more) of a
/// series.
fn positions(series: &[f64]) -> (Option<f64>, Option<f64>, Option<f64>) {
    let n = series.len();
    let first = series.first().copied();
    let last = (n >= 2).then(|| series[n - 1]);
    let middle = (n >= 3).then(|| series[1..n - 1].iter().sum::<f64>() / (n - 2) as f64);
    (first, middle, last)
}

impl Tally {
    fn add(&mut self, d: &Dialogue, readings: &[ExchangeReading]) {
        self.dialogues += 1;
        let mut customer_turn = 0usize;
        let mut first_demand = None;
        let mut first_reveal: Option<(usize, bool)> = None;
        let mut asked_before = false;
        let mut angers: Vec<f64> = Vec::new();
        for (i, r) in readings.iter().enumerate() {
            match r.role {
                Role::Agent => {
                    if let Some(next) = readings.get(i + 1).filter(|n| n.role == Role::Customer) {
                        let share = if r.substantive {
                            &mut self.pushback_after_answer
                        } else {
                            &mut self.pushback_after_non_answer
                        };
                        share.add(next.pushback);
                        if r.asks_identifier {
                            self.reveal_when_asked.add(next.identifier);
                        }
                    }
                    asked_before |= r.asks_identifier;
                }
                Role::Customer => {
                    customer_turn += 1;
                    if r.demand && first_demand.is_none() {
                        first_demand = Some(customer_turn);
                    }
                    if r.identifier && first_reveal.is_none() {
                        first_reveal = Some((customer_turn, asked_before));
                    }
                    if r.said {
                        angers.push(f64::from(r.anger));
                    }
                }
            }
        }
        self.customer_turns.add(customer_turn as f64);
        self.demand.add(first_demand.is_some());
        if let Some(t) = first_demand {
            self.demand_turn.add(t as f64);
        }
        match d.resolution {
            Resolution::Unknown => {}
            Resolution::Unresolved => self.resolved.add(false),
            Resolution::Resolved { customer_turn } => {
                self.resolved.add(true);
                self.resolution_turn.add(customer_turn as f64);
            }
        }
        self.reveal_first.add(matches!(first_reveal, Some((1, false))));
        self.reveal_after_ask.add(matches!(first_reveal, Some((_, true))));
        if let Some((t, _)) = first_reveal {
            self.reveal_turn.add(t as f64);
        }
        let (first, middle, last) = positions(&angers);
        if let Some(x) = first {
            self.anger_first.add(x);
        }
        if let Some(x) = middle {
            self.anger_middle.add(x);
        }
        if let (Some(f), Some(l)) = (first, last) {
            self.anger_last.add(l);
            self.anger_falls.add(l < f);
        }
        let moods: Vec<f64> = d.engine_mood.iter().map(|m| f64::from(*m)).collect();
        let (first, middle, last) = positions(&moods);
        for (slot, x) in self.engine.iter_mut().zip([first, middle, last]) {
            if let Some(x) = x {
                slot.add(x);
            }
        }
    }

    fn measures(&self) -> Measures {
        let figures = vec![
            self.pushback_after_non_answer.measure(),
            self.pushback_after_answer.measure(),
            self.demand.measure(),
            self.demand_turn.measure(),
            self.resolved.measure(),
            self.resolution_turn.measure(),
            self.customer_turns.measure(),
            self.reveal_first.measure(),
            self.reveal_after_ask.measure(),
            self.reveal_when_asked.measure(),
            self.reveal_turn.measure(),
            self.anger_first.measure(),
            self.anger_middle.measure(),
            self.anger_last.measure(),
            self.anger_falls.measure(),
        ];
        debug_assert_eq!(figures.len(), FIGURES.len());
        Measures { dialogues: self.dialogues, figures, engine_mood: self.engine.iter().map(|m| m.measure()).collect() }
    }
}

/// The figures of a set of dialogues: every exchange read by `m` (in parallel; the counting is
/// in the dialogues' order, so the result is the same on every run).
pub fn measure(m: &Measurer<'_>, dialogues: &[Dialogue]) -> Measures {
    let readings: Vec<Vec<ExchangeReading>> = dialogues.par_iter().map(|d| m.read(d)).collect();
    let mut tally = Tally::default();
    for (d, r) in dialogues.iter().zip(&readings) {
        tally.add(d, r);
    }
    tally.measures()
}

/// One side of a compared figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Side {
    /// The value, when there is anything to measure.
    pub value: Option<f64>,
    pub n: u64,
    /// At least the minimum number of observations: the value can be compared.
    pub enough: bool,
}

/// A figure on both sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compared {
    #[serde(flatten)]
    pub def: FigureDef,
    pub corpus: Side,
    pub simulator: Side,
    /// (simulator − corpus) / corpus, when both sides have enough observations and it is finite.
    pub relative_difference: Option<f64>,
    /// Within [`TOLERANCE`]; `None` when the figures cannot be compared.
    pub within: Option<bool>,
}

/// Sets two sides' figures beside each other. A side with fewer than `min_support`
/// observations for a figure is not compared on it.
pub fn compare(corpus: &Measures, simulator: &Measures, min_support: u64) -> Vec<Compared> {
    let side = |m: Measure| Side { value: m.value, n: m.n, enough: m.value.is_some() && m.n >= min_support };
    FIGURES
        .iter()
        .zip(corpus.figures.iter().zip(&simulator.figures))
        .map(|(def, (c, s))| {
            let (corpus, simulator) = (side(*c), side(*s));
            let relative_difference = match (corpus.enough && simulator.enough, corpus.value, simulator.value) {
                (true, Some(c), Some(s)) => relative_difference(c, s),
                _ => None,
            };
            let comparable = corpus.enough && simulator.enough;
            let within = comparable.then(|| relative_difference.is_some_and(|r| r.abs() <= TOLERANCE + 1e-9));
            Compared { def: *def, corpus, simulator, relative_difference, within }
        })
        .collect()
}

/// (s − c) / c; 0 when both are 0; none when only the corpus value is 0.
pub fn relative_difference(c: f64, s: f64) -> Option<f64> {
    if c == 0.0 {
        return (s == 0.0).then_some(0.0);
    }
    Some((s - c) / c.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mining::input::{Labels, RawTurn};
    use std::sync::OnceLock;

    fn analyzer() -> &'static Analyzer {
        static A: OnceLock<Analyzer> = OnceLock::new();
        A.get_or_init(Analyzer::with_embedded_lexicons)
    }

    fn redactor() -> &'static Redactor {
        static R: OnceLock<Redactor> = OnceLock::new();
        R.get_or_init(Redactor::new)
    }

    fn measurer() -> Measurer<'static> {
        Measurer::new(analyzer(), redactor())
    }

    /// A dialogue from (speaker, text) pairs: "c" customer, "a" agent.
    fn dialogue(turns: &[(&str, &str)], resolution: Resolution) -> Dialogue {
        let mut d = Dialogue::new("t".into());
        for (who, text) in turns {
            d.push(if *who == "c" { Role::Customer } else { Role::Agent }, text);
        }
        d.resolution = resolution;
        d
    }

    fn value(m: &Measures, key: &str) -> Option<f64> {
        m.get(key).and_then(|x| x.value)
    }

    fn n(m: &Measures, key: &str) -> u64 {
        m.get(key).map_or(0, |x| x.n)
    }

    const NON_ANSWER: &str = "您好。";
    const ANSWER: &str = "麻烦您提供一下订单号，我帮您查一下。";
    const PUSHBACK: &str = "你这说了等于没说，到底什么时候解决？";
    const CALM: &str = "好的，谢谢。";

    #[test]
    fn the_fixture_texts_read_as_intended() {
        let m = measurer();
        let d = dialogue(
            &[("c", "我的快递丢了。"), ("a", NON_ANSWER), ("c", PUSHBACK), ("a", ANSWER), ("c", CALM)],
            Resolution::Unknown,
        );
        let r = m.read(&d);
        assert!(!r[1].substantive && r[3].substantive, "{r:?}");
        assert!(r[3].asks_identifier);
        // Asking in other words: a request word, a question, an e-mail address.
        for ask in ["麻烦提供下邮箱，我们给您发过去。", "请私信您的号码好吗？", "您的账号是多少？"]
        {
            let d = dialogue(&[("c", "我的快递丢了。"), ("a", ask)], Resolution::Unknown);
            assert!(m.read(&d)[1].asks_identifier, "{ask}");
        }
        for no in ["根据您提供的号码，已经为您处理。", "您不用提供订单号。", "您好。"] {
            let d = dialogue(&[("c", "我的快递丢了。"), ("a", no)], Resolution::Unknown);
            assert!(!m.read(&d)[1].asks_identifier, "{no}");
        }
        assert!(r[2].pushback, "{:?}", r[2]);
        assert!(!r[4].pushback, "{:?}", r[4]);
        assert_eq!(r[0].pushback_score, 0.0, "the first turn replies to nobody");
        assert_eq!(r[4].anger, 0.0);
    }

    #[test]
    fn pushback_is_counted_after_non_answers_and_answers_apart() {
        let m = measurer();
        let dialogues = vec![
            // After a non-answer: pushback; after an answer: none.
            dialogue(
                &[("c", "我的快递丢了。"), ("a", NON_ANSWER), ("c", PUSHBACK), ("a", ANSWER), ("c", CALM)],
                Resolution::Unknown,
            ),
            // After a non-answer: none. The last agent turn has no reply and is not counted.
            dialogue(
                &[("c", "我的快递丢了。"), ("a", NON_ANSWER), ("c", CALM), ("a", NON_ANSWER)],
                Resolution::Unknown,
            ),
            // After an answer: pushback (a supervisor demand).
            dialogue(&[("c", "我的快递丢了。"), ("a", ANSWER), ("c", "我要找你们领导！")], Resolution::Unknown),
        ];
        let s = measure(&m, &dialogues);
        assert_eq!((value(&s, "pushback_after_non_answer"), n(&s, "pushback_after_non_answer")), (Some(0.5), 2));
        assert_eq!((value(&s, "pushback_after_answer"), n(&s, "pushback_after_answer")), (Some(0.5), 2));
    }

    #[test]
    fn a_repeated_request_is_pushback() {
        let m = measurer();
        let d = dialogue(
            &[("c", "我要退掉这个月多扣的话费"), ("a", NON_ANSWER), ("c", "我要退掉这个月多扣的话费。")],
            Resolution::Unknown,
        );
        let r = m.read(&d);
        assert!(r[2].pushback && r[2].pushback_cues.iter().any(|c| c.contains("重复")), "{:?}", r[2]);
        // A negated cue does not count.
        let d = dialogue(
            &[("c", "我的快递丢了。"), ("a", NON_ANSWER), ("c", "我不是说这个办法没用，谢谢")],
            Resolution::Unknown,
        );
        let r = m.read(&d);
        assert!(!r[2].pushback, "{:?}", r[2]);
    }

    #[test]
    fn supervisor_demands_share_and_first_turn() {
        let m = measurer();
        let dialogues = vec![
            dialogue(&[("c", "我的快递丢了。"), ("a", NON_ANSWER), ("c", "叫你们领导来！")], Resolution::Unknown),
            dialogue(
                &[
                    ("c", "我的快递丢了。"),
                    ("a", ANSWER),
                    ("c", CALM),
                    ("a", NON_ANSWER),
                    ("c", "我要转人工！"),
                    ("a", NON_ANSWER),
                    ("c", "找你们领导！"),
                ],
                Resolution::Unknown,
            ),
            dialogue(&[("c", "我的快递丢了。"), ("a", ANSWER)], Resolution::Unknown),
            dialogue(&[("c", CALM)], Resolution::Unknown),
        ];
        let s = measure(&m, &dialogues);
        assert_eq!((value(&s, "supervisor_demand_share"), n(&s, "supervisor_demand_share")), (Some(0.5), 4));
        // A mention of the supervisor lexicon's words is no demand; a weaker marker after a
        // demand verb is one.
        let d = dialogue(
            &[("c", "人工服务一直在忙，他们负责人也不接电话。"), ("a", NON_ANSWER), ("c", "我就要人工服务！")],
            Resolution::Unknown,
        );
        let r = m.read(&d);
        assert_eq!((r[0].demand, r[2].demand), (false, true));
        // First demands at customer turns 2 and 3.
        assert_eq!((value(&s, "supervisor_demand_turn"), n(&s, "supervisor_demand_turn")), (Some(2.5), 2));
    }

    #[test]
    fn turns_to_resolution_and_overall() {
        let m = measurer();
        let dialogues = vec![
            dialogue(&[("c", "网断了。"), ("a", ANSWER), ("c", CALM)], Resolution::Resolved { customer_turn: 2 }),
            dialogue(
                &[
                    ("c", "网断了。"),
                    ("a", ANSWER),
                    ("c", "订单号 SO12345678。"),
                    ("a", ANSWER),
                    ("c", CALM),
                    ("a", ANSWER),
                    ("c", CALM),
                ],
                Resolution::Resolved { customer_turn: 3 },
            ),
            dialogue(&[("c", "网断了。"), ("a", NON_ANSWER)], Resolution::Unresolved),
            // Unknown resolution: counted in the turns overall only (2 + 4 + 1 + 3 turns).
            dialogue(
                &[("c", "网断了。"), ("a", NON_ANSWER), ("c", CALM), ("a", NON_ANSWER), ("c", CALM)],
                Resolution::Unknown,
            ),
        ];
        let s = measure(&m, &dialogues);
        assert_eq!((value(&s, "resolved_share"), n(&s, "resolved_share")), (Some(2.0 / 3.0), 3));
        assert_eq!((value(&s, "turns_to_resolution"), n(&s, "turns_to_resolution")), (Some(2.5), 2));
        assert_eq!((value(&s, "customer_turns"), n(&s, "customer_turns")), (Some(10.0 / 4.0), 4));
    }

    #[test]
    fn identifiers_unasked_first_or_after_an_ask() {
        let m = measurer();
        let dialogues = vec![
            // Unasked, in the first turn.
            dialogue(&[("c", "订单号 SO12345678 的快递丢了。"), ("a", NON_ANSWER)], Resolution::Unknown),
            // Only after the agent asked; the reply to the ask gives it.
            dialogue(&[("c", "我的快递丢了。"), ("a", ANSWER), ("c", "手机号 13812345678。")], Resolution::Unknown),
            // Asked, not given.
            dialogue(&[("c", "我的快递丢了。"), ("a", ANSWER), ("c", CALM)], Resolution::Unknown),
            // Never asked, given later unasked.
            dialogue(
                &[("c", "我的快递丢了。"), ("a", NON_ANSWER), ("c", "我电话 13912345678，快点。")],
                Resolution::Unknown,
            ),
        ];
        let s = measure(&m, &dialogues);
        assert_eq!((value(&s, "reveal_first_turn"), n(&s, "reveal_first_turn")), (Some(0.25), 4));
        assert_eq!((value(&s, "reveal_after_ask"), n(&s, "reveal_after_ask")), (Some(0.25), 4));
        assert_eq!((value(&s, "reveal_when_asked"), n(&s, "reveal_when_asked")), (Some(0.5), 2));
        // First reveals at customer turns 1, 2 and 2.
        assert_eq!((value(&s, "reveal_turn"), n(&s, "reveal_turn")), (Some(5.0 / 3.0), 3));
    }

    #[test]
    fn mood_first_middle_last_and_falls() {
        let m = measurer();
        let angry = "你们这些骗子！";
        let a = f64::from(analyzer().tone(angry).anger);
        assert!(a > 0.5, "{a}");
        assert_eq!(analyzer().tone(CALM).anger, 0.0);
        let dialogues = vec![
            // angry → calm → calm: falls.
            dialogue(&[("c", angry), ("a", ANSWER), ("c", CALM), ("a", ANSWER), ("c", CALM)], Resolution::Unknown),
            // calm → angry: rises. An empty customer turn says nothing about the mood.
            dialogue(
                &[("c", CALM), ("a", NON_ANSWER), ("c", ""), ("a", NON_ANSWER), ("c", angry)],
                Resolution::Unknown,
            ),
            // One turn: first only.
            dialogue(&[("c", angry)], Resolution::Unknown),
        ];
        let s = measure(&m, &dialogues);
        assert_eq!((value(&s, "anger_first"), n(&s, "anger_first")), (Some((a + 0.0 + a) / 3.0), 3));
        assert_eq!((value(&s, "anger_middle"), n(&s, "anger_middle")), (Some(0.0), 1));
        assert_eq!((value(&s, "anger_last"), n(&s, "anger_last")), (Some(a / 2.0), 2));
        assert_eq!((value(&s, "anger_falls"), n(&s, "anger_falls")), (Some(0.5), 2));
        assert_eq!(s.engine_mood.iter().map(|m| m.n).sum::<u64>(), 0, "a real corpus has no engine mood");
    }

    #[test]
    fn raw_dialogues_merge_turns_and_read_resolution_labels() {
        let turn = |role, text: &'static str, nugget: Option<&'static str>| RawTurn {
            role,
            text: text.into(),
            nugget: nugget.map(Into::into),
            agent: None,
        };
        let raw = RawDialogue {
            id: "r1".into(),
            turns: vec![
                turn(Role::Customer, "网断了", Some("CNUG0")),
                turn(Role::Customer, "快修", Some("CNUG")),
                turn(Role::Agent, "已派单", Some("HNUG*")),
                turn(Role::Customer, "好了，谢谢", Some("CNUG*")),
            ],
            labels: Labels::default(),
        };
        let d = Dialogue::from_raw(&raw);
        assert_eq!(d.exchanges.len(), 3);
        assert_eq!(d.exchanges[0].text, "网断了\n快修");
        assert_eq!(d.resolution, Resolution::Resolved { customer_turn: 2 });
        let unlabelled = RawDialogue {
            id: "r2".into(),
            turns: vec![turn(Role::Customer, "网断了", None)],
            labels: Labels::default(),
        };
        assert_eq!(Dialogue::from_raw(&unlabelled).resolution, Resolution::Unknown);
        let unresolved = RawDialogue {
            id: "r3".into(),
            turns: vec![turn(Role::Customer, "网断了", Some("CNUG0"))],
            labels: Labels::default(),
        };
        assert_eq!(Dialogue::from_raw(&unresolved).resolution, Resolution::Unresolved);
    }

    #[test]
    fn transcripts_become_dialogues_with_silences_and_engine_mood() {
        let entry = |speaker, kind, text: &str, mood| TranscriptEntry {
            turn: 1,
            speaker,
            kind,
            text: text.to_string(),
            turn_id: None,
            voice: None,
            latency_ms: None,
            mood,
            reaction: None,
        };
        let transcript = vec![
            entry(Speaker::Customer, LineKind::Script, "退款呢？", 70.0),
            entry(Speaker::Customer, LineKind::SilenceNudge, "喂？还在吗？", 75.0),
            entry(Speaker::Agent, LineKind::Answer, "抱歉，我马上查。", 75.0),
            entry(Speaker::Customer, LineKind::Script, "快点。", 60.0),
            entry(Speaker::Customer, LineKind::SupervisorDemand, "叫你们主管来！", 65.0),
            entry(Speaker::System, LineKind::Script, "（系统）", 65.0),
            entry(Speaker::Agent, LineKind::Transfer, "（转接）客户要退款", 65.0),
            entry(Speaker::Customer, LineKind::Ending, "好。", 50.0),
        ];
        let d = Dialogue::from_transcript("s".into(), &transcript, Outcome::Resolved);
        let shape: Vec<(Role, &str)> = d.exchanges.iter().map(|e| (e.role, e.text.as_str())).collect();
        assert_eq!(
            shape,
            vec![
                (Role::Customer, "退款呢？"),
                (Role::Agent, ""),
                (Role::Customer, "喂？还在吗？"),
                (Role::Agent, "抱歉，我马上查。"),
                (Role::Customer, "快点。\n叫你们主管来！"),
                (Role::Agent, "（转接）客户要退款"),
                (Role::Customer, "好。"),
            ]
        );
        assert_eq!(d.engine_mood, vec![70.0, 75.0, 65.0, 50.0]);
        assert_eq!(d.resolution, Resolution::Resolved { customer_turn: 4 });
        let s = measure(&measurer(), &[d]);
        assert_eq!(s.engine_mood[0], Measure { value: Some(70.0), n: 1 });
        assert_eq!(s.engine_mood[1], Measure { value: Some(70.0), n: 1 });
        assert_eq!(s.engine_mood[2], Measure { value: Some(50.0), n: 1 });
        assert_eq!(value(&s, "pushback_after_non_answer"), Some(0.0), "a silence is a non-answer");
    }

    #[test]
    fn comparison_within_ten_percent_and_not_enough_observations() {
        let m = |v: f64, n: u64| Measure { value: Some(v), n };
        let mut corpus = Measures { dialogues: 20, figures: vec![m(0.5, 20); FIGURES.len()], engine_mood: vec![] };
        let mut sim = corpus.clone();
        sim.figures[0] = m(0.54, 20);
        sim.figures[1] = m(0.56, 20);
        corpus.figures[2] = m(0.5, 3);
        corpus.figures[3] = Measure { value: None, n: 0 };
        corpus.figures[4] = m(0.0, 20);
        sim.figures[4] = m(0.1, 20);
        corpus.figures[5] = m(0.0, 20);
        sim.figures[5] = m(0.0, 20);
        let c = compare(&corpus, &sim, 10);
        assert_eq!(c[0].within, Some(true));
        assert!((c[0].relative_difference.unwrap() - 0.08).abs() < 1e-9);
        assert_eq!(c[1].within, Some(false));
        assert_eq!((c[2].corpus.enough, c[2].within, c[2].relative_difference), (false, None, None));
        assert_eq!((c[3].corpus.enough, c[3].within), (false, None));
        assert_eq!((c[4].within, c[4].relative_difference), (Some(false), None));
        assert_eq!((c[5].within, c[5].relative_difference), (Some(true), Some(0.0)));
    }

    #[test]
    fn measuring_is_deterministic() {
        let m = measurer();
        let dialogues: Vec<Dialogue> = (0..20)
            .map(|i| {
                let text = if i % 3 == 0 { PUSHBACK } else { CALM };
                dialogue(&[("c", "网断了。"), ("a", NON_ANSWER), ("c", text)], Resolution::Unknown)
            })
            .collect();
        assert_eq!(measure(&m, &dialogues), measure(&m, &dialogues));
    }
}
