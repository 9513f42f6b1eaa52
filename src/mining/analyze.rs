//! What one dialogue says: redaction first, then each turn's tone (the core's `Analyzer`),
//! complaints, supervisor demands, transfers, VIP and other persona cues, and the words it is
//! about. Runs in parallel on many dialogues; everything here is `Send + Sync`.

use std::sync::Arc;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::mining::input::{Labels, RawDialogue, Role};
use crate::mining::literals::LiteralSets;
use crate::mining::redact::{RedactionCounts, Redactor};
use crate::mining::vocab::{bracket_ranges, is_term};
use crate::scenario::schema::PersonaKind;
use crate::text::Analyzer;
use crate::text::normalize::normalize;

/// Turns longer than this (in characters) are cut before analysis; the report counts them.
pub const MAX_TURN_CHARS: usize = 2_000;

/// An agent answer of at most this many content characters is curt (as `rubric.curt_chars`).
pub const CURT_CHARS: usize = 4;

/// Empathy score from which an answer counts as empathic (as the simulator's demand chance).
pub const EMPATHIC: f32 = 0.3;

/// A first customer turn with at least this anger makes the persona angry.
pub const ANGRY_ANGER: f32 = 0.5;

/// With outcome labels: satisfaction from which a dialogue counts as well handled, and up to
/// which it counts as poorly handled (the corpus scale is −2 … 2).
pub const GOOD_SATISFACTION: f32 = 0.3;
pub const POOR_SATISFACTION: f32 = -0.5;

/// The persona a dialogue's customer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Persona {
    Normal,
    Angry,
    Vip,
    Anxious,
    Elderly,
}

impl Persona {
    pub const ALL: [Persona; 5] = [Persona::Angry, Persona::Vip, Persona::Anxious, Persona::Elderly, Persona::Normal];

    pub fn kind(self) -> PersonaKind {
        match self {
            Persona::Normal => PersonaKind::Normal,
            Persona::Angry => PersonaKind::Angry,
            Persona::Vip => PersonaKind::Vip,
            Persona::Anxious => PersonaKind::Anxious,
            Persona::Elderly => PersonaKind::Elderly,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Persona::Normal => "normal",
            Persona::Angry => "angry",
            Persona::Vip => "vip",
            Persona::Anxious => "anxious",
            Persona::Elderly => "elderly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Persona::Normal => "普通",
            Persona::Angry => "愤怒",
            Persona::Vip => "VIP",
            Persona::Anxious => "焦虑",
            Persona::Elderly => "老年",
        }
    }

    pub fn from_u8(v: u8) -> Persona {
        match v {
            1 => Persona::Angry,
            2 => Persona::Vip,
            3 => Persona::Anxious,
            4 => Persona::Elderly,
            _ => Persona::Normal,
        }
    }

    pub fn as_u8(self) -> u8 {
        match self {
            Persona::Normal => 0,
            Persona::Angry => 1,
            Persona::Vip => 2,
            Persona::Anxious => 3,
            Persona::Elderly => 4,
        }
    }
}

/// How a dialogue was handled, from its labels or (without labels) from its tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Good,
    Middle,
    Poor,
}

/// One turn after redaction and analysis. Serialised without its text (the spill keeps the
/// texts apart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnFacts {
    pub role: Role,
    /// The redacted text (cut to `MAX_TURN_CHARS`). Emptied once the facts are in the spill
    /// (`TurnFacts::drop_text`): the corpus counts need only `said`.
    #[serde(skip)]
    pub text: String,
    /// The turn says something (its text is not blank).
    pub said: bool,
    pub anger: f32,
    pub empathy: f32,
    pub politeness: f32,
    pub reassurance: f32,
    pub hostility: f32,
    /// Customer: demands a supervisor or a human.
    pub demand: bool,
    /// Customer: threatens or files a complaint (投诉, 12315 …).
    pub complaint: bool,
    /// Agent: at most `CURT_CHARS` content characters.
    pub curt: bool,
    pub shouting: bool,
    /// Agent: hands the case on (转接, 相关部门 …).
    pub transfer: bool,
    /// Agent: sends the customer to another channel (私信, 拨打热线, 营业厅 …).
    pub channel: bool,
    /// Agent: bit `i` set when the answer holds a phrase of synonym group `i` (see
    /// `Detectors::group_names`).
    pub groups: u32,
}

impl TurnFacts {
    pub fn is_empty(&self) -> bool {
        !self.said
    }

    /// Frees the text, keeping whether there was one.
    pub fn drop_text(&mut self) {
        self.text = String::new();
    }
}

/// One dialogue after redaction and analysis: what the statistics, families and drafts need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DialogueFacts {
    pub input: u32,
    pub line: u64,
    pub id: String,
    pub labels: Labels,
    pub turns: Vec<TurnFacts>,
    pub persona: Persona,
    /// The VIP word the customer used (金卡, 会员 …).
    pub vip_word: Option<String>,
    /// 1-based index among customer turns of the first supervisor demand.
    pub demand_at: Option<u8>,
    /// 1-based index among agent turns of the first transfer.
    pub transfer_at: Option<u8>,
    /// 1-based index among agent turns of the first channel move.
    pub channel_at: Option<u8>,
    pub complaint: bool,
    pub truncated_turns: u32,
    pub empty_turns: u32,
    pub redactions: RedactionCounts,
}

impl DialogueFacts {
    pub fn customer_turns(&self) -> impl Iterator<Item = &TurnFacts> {
        self.turns.iter().filter(|t| t.role == Role::Customer)
    }

    pub fn agent_turns(&self) -> impl Iterator<Item = &TurnFacts> {
        self.turns.iter().filter(|t| t.role == Role::Agent)
    }

    /// The dialogue's quality on the labels' scale: the satisfaction label when there is one,
    /// else a tone-based stand-in (see `docs/mining.md`).
    pub fn quality(&self) -> f32 {
        if let Some(s) = self.labels.satisfaction {
            return s;
        }
        let agents: Vec<&TurnFacts> = self.agent_turns().filter(|t| !t.is_empty()).collect();
        if agents.is_empty() {
            return -1.0;
        }
        let n = agents.len() as f32;
        let mean = |f: fn(&TurnFacts) -> f32| agents.iter().map(|t| f(t)).sum::<f32>() / n;
        let hostility = agents.iter().map(|t| t.hostility).fold(0.0, f32::max);
        let customers: Vec<&TurnFacts> = self.customer_turns().filter(|t| !t.is_empty()).collect();
        let rise = match (customers.first(), customers.last()) {
            (Some(a), Some(b)) if customers.len() > 1 => (b.anger - a.anger).max(0.0),
            _ => 0.0,
        };
        let demand_later = self.demand_at.is_some_and(|d| d > 1);
        let q = 2.0 * (0.4 * mean(|t| t.empathy) + 0.3 * mean(|t| t.politeness) + 0.3 * mean(|t| t.reassurance))
            - 2.0 * hostility
            - 1.5 * rise
            - if demand_later { 1.0 } else { 0.0 };
        (q - 0.5).clamp(-2.0, 2.0)
    }

    pub fn rating(&self) -> Rating {
        let q = self.quality();
        if q >= GOOD_SATISFACTION {
            Rating::Good
        } else if q <= POOR_SATISFACTION {
            Rating::Poor
        } else {
            Rating::Middle
        }
    }
}

/// Keyword rules beside the lexicons: complaints, demands, VIP, persona cues, transfers.
/// `docs/mining.md` lists them.
pub struct Detectors {
    /// The customer rules: demand, complaint, VIP, elderly, anxious (bits 0 to 4, in this order).
    customer: LiteralSets,
    /// The agent rules: bit `i` (below 32) for synonym group `i` (see `group_names`), then
    /// `TRANSFER` and `CHANNEL`.
    agent: LiteralSets,
    vip: Regex,
    /// Names of the synonym groups, bit `i` of `TurnFacts::groups` is `group_names[i]`.
    pub group_names: Vec<String>,
}

/// Synonym groups whose use by agents is counted (at most 32).
pub const COUNTED_GROUPS: [&str; 12] =
    ["道歉", "共情", "安抚", "核实", "跟进", "回电", "退款", "补偿", "权限说明", "时效", "致谢", "转接告知"];

const DEMAND_BIT: u64 = 1 << 0;
const COMPLAINT_BIT: u64 = 1 << 1;
const VIP_BIT: u64 = 1 << 2;
const ELDERLY_BIT: u64 = 1 << 3;
const ANXIOUS_BIT: u64 = 1 << 4;
const TRANSFER_BIT: u64 = 1 << 32;
const CHANNEL_BIT: u64 = 1 << 33;

/// Supervisor or human demands: a verb, optionally 你们/你家 and 的, a boss (找你们领导,
/// 叫你家的经理), or one of the fixed phrases.
const DEMAND_VERBS: [&str; 6] = ["找", "叫", "要", "让", "换", "请"];
const DEMAND_WHOSE: [&str; 3] = ["", "你们", "你家"];
const DEMAND_OF: [&str; 2] = ["", "的"];
const DEMAND_BOSSES: [&str; 6] = ["领导", "主管", "经理", "负责人", "上级", "老板"];
const DEMAND_PHRASES: &str = "转人工|人工客服|人工服务|真人客服|换个人";
const COMPLAINT: &str = "投诉|举报|曝光|12315|工信部|消协|消费者协会|起诉|律师|315|媒体|维权|上访";
const VIP: &str =
    "vip|会员|金卡|钻石卡|白金卡|铂金卡|银卡|黑卡|贵宾|星级用户|[一二三四五六七]星级|全球通|老用户|老客户|大客户";
const ELDERLY: &str = "老人|老年|父母|我爸|我妈|老爸|老妈|爸妈|爷爷|奶奶|姥姥|姥爷|外婆|外公|老伴|年纪大|岁数大|不会用|看不懂|不懂操作|老头|老太";
const ANXIOUS: &str = "被盗|盗刷|冻结|着急|急死|担心|急用|求救|救命|求助|紧急|丢了|丢失|被骗|怎么办|急急|十万火急";
const TRANSFER: &str = "转接|转交|转给|转至|转到|移交|专员|专席|专人|相关部门|有关部门|反馈给|提交给|上报|升级处理|工程师|技术人员|技术部门|售后部门";
const CHANNEL: &str = "私信|私聊|站内信|拨打|致电|来电|热线|营业厅|10010|10000|10086|客服电话|在线客服|qq客服|官网";

/// The phrases of a rule written as alternatives (`a|b|c`); `[一二]星级` stands for 一星级 and
/// 二星级.
fn alternatives(rule: &str) -> Vec<String> {
    rule.split('|')
        .flat_map(|alt| match (alt.find('['), alt.find(']')) {
            (Some(open), Some(close)) => alt[open + 1..close]
                .chars()
                .map(|c| format!("{}{c}{}", &alt[..open], &alt[close + 1..]))
                .collect::<Vec<_>>(),
            _ => vec![alt.to_string()],
        })
        .collect()
}

/// Every phrase that demands a supervisor or a person.
pub(crate) fn demand_phrases() -> Vec<String> {
    let mut out = alternatives(DEMAND_PHRASES);
    for verb in DEMAND_VERBS {
        for whose in DEMAND_WHOSE {
            for of in DEMAND_OF {
                for boss in DEMAND_BOSSES {
                    out.push(format!("{verb}{whose}{of}{boss}"));
                }
            }
        }
    }
    out
}

fn re(p: &str) -> Regex {
    Regex::new(p).unwrap_or_else(|e| panic!("mining pattern {p}: {e}"))
}

impl Detectors {
    pub fn new(analyzer: &Analyzer) -> Self {
        let mut agent = Vec::new();
        let mut group_names = Vec::new();
        for name in COUNTED_GROUPS {
            let Some(phrases) = analyzer.lexicons().group(name) else { continue };
            let bit = 1 << group_names.len();
            group_names.push(name.to_string());
            for p in phrases {
                let p = normalize(p);
                if !p.trim().is_empty() {
                    agent.push((p, bit));
                }
            }
        }
        agent.extend(alternatives(TRANSFER).into_iter().map(|p| (p, TRANSFER_BIT)));
        agent.extend(alternatives(CHANNEL).into_iter().map(|p| (p, CHANNEL_BIT)));
        let customer = demand_phrases()
            .into_iter()
            .map(|p| (p, DEMAND_BIT))
            .chain(alternatives(COMPLAINT).into_iter().map(|p| (p, COMPLAINT_BIT)))
            .chain(alternatives(VIP).into_iter().map(|p| (p, VIP_BIT)))
            .chain(alternatives(ELDERLY).into_iter().map(|p| (p, ELDERLY_BIT)))
            .chain(alternatives(ANXIOUS).into_iter().map(|p| (p, ANXIOUS_BIT)));
        Detectors { customer: LiteralSets::new(customer), agent: LiteralSets::new(agent), vip: re(VIP), group_names }
    }

    fn vip_word(&self, norm: &str) -> Option<String> {
        self.vip.find(norm).map(|m| m.as_str().to_uppercase())
    }
}

/// What the workers share: the analyzer, the redactor and the detectors.
pub struct Context {
    pub analyzer: Arc<Analyzer>,
    pub redactor: Redactor,
    pub detectors: Detectors,
}

/// A dialogue's words, counted per role: what the TF-IDF needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Terms {
    pub customer: WordBag,
    pub agent: WordBag,
}

/// Distinct words with their counts, in byte order, kept in one buffer: a dialogue's words
/// cost two allocations, not one per word (they are made on a worker and freed on the merging
/// thread, where many small frees contend for the allocator).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WordBag {
    text: String,
    /// End of each word in `text`, and its count.
    words: Vec<(u32, u32)>,
}

impl WordBag {
    /// Counts the words given as ranges of `text`.
    fn count(text: &str, words: Vec<std::ops::Range<u32>>) -> WordBag {
        let mut sorted: Vec<&str> = words.iter().map(|r| &text[r.start as usize..r.end as usize]).collect();
        sorted.sort_unstable();
        let mut bag = WordBag { text: String::with_capacity(text.len()), words: Vec::with_capacity(sorted.len()) };
        for w in sorted {
            if bag.last() == Some(w) {
                if let Some((_, n)) = bag.words.last_mut() {
                    *n += 1;
                }
            } else {
                bag.text.push_str(w);
                bag.words.push((bag.text.len() as u32, 1));
            }
        }
        bag
    }

    fn last(&self) -> Option<&str> {
        let end = self.words.last()?.0 as usize;
        let start = self.words.len().checked_sub(2).map_or(0, |i| self.words[i].0 as usize);
        Some(&self.text[start..end])
    }

    /// The words and their counts, in byte order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        let mut start = 0;
        self.words.iter().map(move |&(end, n)| {
            let w = &self.text[start..end as usize];
            start = end as usize;
            (w, n)
        })
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// Redacts and analyses one dialogue. `Err` says why it cannot be mined (with a hint).
pub fn analyze(
    ctx: &Context,
    input: u32,
    line: u64,
    raw: RawDialogue<'_>,
) -> Result<(DialogueFacts, Terms), (String, String)> {
    // Dialogue ids are the export's own record keys, kept as they are for provenance, unless
    // one holds personal data (a phone number as the key): then its hash, as `peilian redact`
    // writes it, so a draft mined from the redacted copy names the same dialogues.
    let id = ctx.redactor.safe_id(&raw.id).unwrap_or(raw.id);
    let mut redactions = RedactionCounts::default();
    let mut turns = Vec::with_capacity(raw.turns.len());
    let (mut truncated_turns, mut empty_turns) = (0u32, 0u32);
    // Every term of each role, as ranges of one buffer per role; counted at the end. Sized
    // for the text analysed (the terms are part of it), which spares most regrowing.
    let bytes = |role: Role| -> usize {
        raw.turns.iter().filter(|t| t.role == role).map(|t| t.text.len().min(4 * MAX_TURN_CHARS)).sum()
    };
    let (customer_bytes, agent_bytes) = (bytes(Role::Customer), bytes(Role::Agent));
    let (mut customer_text, mut agent_text) =
        (String::with_capacity(customer_bytes), String::with_capacity(agent_bytes));
    let (mut customer_words, mut agent_words): (Vec<std::ops::Range<u32>>, Vec<std::ops::Range<u32>>) =
        (Vec::with_capacity(customer_bytes / 8), Vec::with_capacity(agent_bytes / 8));
    let (mut vip_word, mut elderly, mut anxious) = (None, false, false);
    let mut redaction = ctx.redactor.dialogue();
    for t in raw.turns {
        // Cut far beyond the limit before redacting (bounded work for a 10 MB turn), redact,
        // then cut to the limit: an item crossing the first cut is still redacted.
        let (head, long) = cut_chars(&t.text, MAX_TURN_CHARS + 256);
        let (redacted, counts) = redaction.turn(t.role, head);
        redactions.merge(&counts);
        let (kept, cut) = kept_part(&redacted);
        // Usually the whole redacted text is kept: then it is not copied.
        let text = if kept == (0..redacted.len()) { redacted } else { redacted[kept].to_string() };
        if long || cut {
            truncated_turns += 1;
        }
        if text.is_empty() {
            empty_turns += 1;
        }
        let said = !text.is_empty();
        let a = ctx.analyzer.analyze_owned(text);
        let tone = ctx.analyzer.tone_of(&a);
        let norm = &a.norm;
        let brackets = bracket_ranges(norm);
        let (buffer, words) = if t.role == Role::Customer {
            (&mut customer_text, &mut customer_words)
        } else {
            (&mut agent_text, &mut agent_words)
        };
        for tok in &a.tokens {
            if brackets.iter().any(|r| tok.span.start < r.end && r.start < tok.span.end) {
                continue;
            }
            let word = &norm[tok.span.clone()];
            if is_term(word) {
                let start = buffer.len() as u32;
                buffer.push_str(word);
                words.push(start..buffer.len() as u32);
            }
        }
        let mut facts = TurnFacts {
            role: t.role,
            said,
            anger: tone.anger,
            empathy: tone.empathy,
            politeness: tone.politeness,
            reassurance: tone.reassurance,
            hostility: tone.hostility,
            demand: false,
            complaint: false,
            curt: false,
            shouting: tone.shouting,
            transfer: false,
            channel: false,
            groups: 0,
            text: String::new(),
        };
        let d = &ctx.detectors;
        match t.role {
            Role::Customer => {
                facts.anger = tone.anger;
                // One pass finds which of the customer rules match at all.
                let hits = d.customer.find(norm);
                facts.demand = tone.demands_supervisor || hits & DEMAND_BIT != 0;
                facts.complaint = hits & COMPLAINT_BIT != 0;
                if vip_word.is_none() && hits & VIP_BIT != 0 {
                    vip_word = d.vip_word(norm);
                }
                elderly |= hits & ELDERLY_BIT != 0;
                anxious |= hits & ANXIOUS_BIT != 0;
            }
            Role::Agent => {
                facts.curt = said && tone.content_chars <= CURT_CHARS;
                let hits = d.agent.find(norm);
                facts.transfer = hits & TRANSFER_BIT != 0;
                facts.channel = hits & CHANNEL_BIT != 0;
                facts.groups = hits as u32;
            }
        }
        facts.text = a.original;
        turns.push(facts);
    }
    if !turns.iter().any(|t| t.role == Role::Customer && !t.is_empty()) {
        return Err(("对话里没有客户说的话（客户的轮次都为空）".into(), "这段对话无法挖掘；检查 role 是否写反".into()));
    }
    let terms = Terms {
        customer: WordBag::count(&customer_text, customer_words),
        agent: WordBag::count(&agent_text, agent_words),
    };

    let nth = |role: Role, pred: &dyn Fn(&TurnFacts) -> bool| -> Option<u8> {
        turns.iter().filter(|t| t.role == role).position(pred).map(|i| (i + 1).min(255) as u8)
    };
    let demand_at = nth(Role::Customer, &|t| t.demand);
    let transfer_at = nth(Role::Agent, &|t| t.transfer);
    let channel_at = nth(Role::Agent, &|t| t.channel);
    let complaint = turns.iter().any(|t| t.complaint);
    let first = turns.iter().find(|t| t.role == Role::Customer && !t.is_empty());
    let first_anger = first.map_or(0.0, |t| t.anger);
    let max_anger = turns.iter().filter(|t| t.role == Role::Customer).map(|t| t.anger).fold(0.0, f32::max);
    let first_complaint = first.is_some_and(|t| t.complaint);
    let persona = if vip_word.is_some() {
        Persona::Vip
    } else if elderly {
        Persona::Elderly
    } else if anxious && first_anger < 0.6 {
        Persona::Anxious
    } else if first_anger >= ANGRY_ANGER || first_complaint || max_anger >= 0.7 {
        Persona::Angry
    } else {
        Persona::Normal
    };
    Ok((
        DialogueFacts {
            input,
            line,
            id,
            labels: raw.labels,
            turns,
            persona,
            vip_word,
            demand_at,
            transfer_at,
            channel_at,
            complaint,
            truncated_turns,
            empty_turns,
            redactions,
        },
        terms,
    ))
}

/// The first `max` characters of `s`, and whether anything was cut.
fn cut_chars(s: &str, max: usize) -> (&str, bool) {
    if s.len() <= max {
        return (s, false); // no more characters than bytes
    }
    match s.char_indices().nth(max) {
        Some((i, _)) => (&s[..i], true),
        None => (s, false),
    }
}

/// Where the kept part of a redacted turn lies: at most `MAX_TURN_CHARS` characters, without
/// a placeholder cut in half at the end, trimmed; and whether the turn was cut.
fn kept_part(redacted: &str) -> (std::ops::Range<usize>, bool) {
    let (head, cut) = cut_chars(redacted, MAX_TURN_CHARS);
    let head = drop_open_placeholder(head);
    let end = head.trim_end().len();
    let start = (head.len() - head.trim_start().len()).min(end);
    (start..end, cut)
}

/// Drops a placeholder cut in half at the end ("…[手机").
fn drop_open_placeholder(s: &str) -> &str {
    match s.rfind('[') {
        Some(i) if !s[i..].contains(']') && s.len() - i <= 16 => &s[..i],
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mining::input::RawTurn;
    use aho_corasick::{AhoCorasick, MatchKind};

    fn ctx() -> Context {
        let analyzer = Arc::new(Analyzer::with_embedded_lexicons());
        let detectors = Detectors::new(&analyzer);
        Context { analyzer, redactor: Redactor::new(), detectors }
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

    #[test]
    fn an_angry_customer_demanding_a_supervisor() {
        let c = ctx();
        let (f, terms) = analyze(
            &c,
            0,
            1,
            dialogue(&[
                (Role::Customer, "你们这什么破服务！！！宽带断了三天没人修，我要投诉！电话13812345678"),
                (Role::Agent, "您好，非常抱歉给您带来不便，已反馈给相关部门尽快处理。"),
                (Role::Customer, "别敷衍我，叫你们领导来！"),
            ]),
        )
        .unwrap();
        assert_eq!(f.persona, Persona::Angry);
        assert!(f.complaint);
        assert_eq!(f.demand_at, Some(2));
        assert_eq!(f.transfer_at, Some(1));
        assert!(f.turns[0].text.contains("[手机号]") && !f.turns[0].text.contains("13812345678"));
        assert_eq!(f.redactions.total(), 1);
        assert!(f.turns[1].empathy > 0.5);
        let apology = c.detectors.group_names.iter().position(|g| g == "道歉").unwrap();
        assert!(f.turns[1].groups & (1 << apology) != 0);
        assert!(terms.customer.iter().any(|(w, _)| w == "宽带"), "{terms:?}");
        let words: Vec<&str> = terms.customer.iter().map(|(w, _)| w).collect();
        assert!(words.windows(2).all(|p| p[0] < p[1]), "distinct, in byte order: {words:?}");
        assert!(!terms.customer.iter().any(|(w, _)| w.contains("手机号")), "placeholders are not words: {terms:?}");
    }

    #[test]
    fn a_word_bag_counts_each_word_once_in_byte_order() {
        let text = "宽带信号宽带网速信号宽带";
        let at = |w: &str, from: usize| {
            let s = text[from..].find(w).unwrap() + from;
            s as u32..(s + w.len()) as u32
        };
        let ranges = vec![at("宽带", 0), at("信号", 0), at("宽带", 12), at("网速", 0), at("信号", 18), at("宽带", 30)];
        let bag = WordBag::count(text, ranges);
        let got: Vec<(&str, u32)> = bag.iter().collect();
        let mut want = vec![("宽带", 3), ("信号", 2), ("网速", 1)];
        want.sort();
        assert_eq!(got, want);
        assert_eq!(bag.len(), 3);
        assert!(WordBag::count("", Vec::new()).is_empty());
    }

    #[test]
    fn a_word_bag_is_in_byte_order_whatever_the_word_lengths() {
        let words =
            ["退款退款退款", "退款", "退款退", "a", "ab\u{0}", "ab", "ab\u{0}\u{0}x", "退款退款", "b", "订单号码"];
        let mut text = String::new();
        let mut ranges = Vec::new();
        for w in words.iter().chain(words.iter().rev()) {
            let start = text.len() as u32;
            text.push_str(w);
            ranges.push(start..text.len() as u32);
        }
        let bag = WordBag::count(&text, ranges);
        let mut expected: Vec<&str> = words.to_vec();
        expected.sort();
        let got: Vec<(&str, u32)> = bag.iter().collect();
        assert_eq!(got, expected.iter().map(|w| (*w, 2)).collect::<Vec<_>>());
    }

    #[test]
    fn detectors_find_what_the_rules_as_regular_expressions_find() {
        // The rules as they were written before: regular expressions (the demand rule with
        // its optional parts), the synonym groups as their own automaton.
        const DEMAND: &str = "(找|叫|要|让|换|请)(你们|你家)?(的)?(领导|主管|经理|负责人|上级|老板)|转人工|人工客服|人工服务|真人客服|换个人";
        let customer_rules = regex::RegexSet::new([DEMAND, COMPLAINT, VIP, ELDERLY, ANXIOUS]).unwrap();
        let agent_rules = regex::RegexSet::new([TRANSFER, CHANNEL]).unwrap();
        let c = ctx();
        let d = &c.detectors;
        let (mut patterns, mut group_of) = (Vec::new(), Vec::new());
        for (i, name) in d.group_names.iter().enumerate() {
            for p in c.analyzer.lexicons().group(name).unwrap() {
                let p = normalize(p);
                if !p.trim().is_empty() {
                    patterns.push(p);
                    group_of.push(i);
                }
            }
        }
        let groups = AhoCorasick::builder().match_kind(MatchKind::Standard).build(&patterns).unwrap();
        let mut pieces: Vec<String> = DEMAND_VERBS
            .iter()
            .chain(&[
                "你们", "你家", "的", "领", "导", "星级", "五", "人工", "客服", "转", "老", "急", "10", "010", "。",
            ])
            .chain(&DEMAND_BOSSES)
            .map(|s| s.to_string())
            .collect();
        for rule in [DEMAND_PHRASES, COMPLAINT, VIP, ELDERLY, ANXIOUS, TRANSFER, CHANNEL] {
            pieces.extend(alternatives(rule).into_iter().step_by(3));
        }
        pieces.extend(patterns.iter().step_by(7).cloned());
        let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
        let mut texts = crate::text::texts_of_pieces(&pieces, 2);
        texts.extend(crate::text::texts_of_pieces(&pieces[..24], 4));
        let (mut customer_hits, mut agent_hits) = (0, 0);
        for t in &texts {
            let hits = customer_rules.matches(t);
            let want = (0..5).filter(|&i| hits.matched(i)).fold(0u64, |acc, i| acc | 1 << i);
            assert_eq!(d.customer.find(t), want, "{t}");
            let hits = agent_rules.matches(t);
            let mut want = (u64::from(hits.matched(0)) * TRANSFER_BIT) | (u64::from(hits.matched(1)) * CHANNEL_BIT);
            for m in groups.find_overlapping_iter(t.as_str()) {
                want |= 1 << group_of[m.pattern().as_usize()];
            }
            assert_eq!(d.agent.find(t), want, "{t}");
            agent_hits += usize::from(want != 0);
            customer_hits += usize::from(d.customer.find(t) != 0);
        }
        // Many texts hold a phrase (and many none).
        assert!(customer_hits > 20_000 && agent_hits > 5_000, "{customer_hits} {agent_hits} of {}", texts.len());
        assert!(texts.len() > customer_hits + 50_000, "{}", texts.len());
        assert_eq!(alternatives("a|[一二]星级|b"), ["a", "一星级", "二星级", "b"]);
    }

    #[test]
    fn persona_cues() {
        let c = ctx();
        let persona = |text: &str| analyze(&c, 0, 1, dialogue(&[(Role::Customer, text)])).unwrap().0.persona;
        assert_eq!(persona("我是你们的金卡会员，网速太慢了"), Persona::Vip);
        assert_eq!(persona("我爸妈不会用这个手机，怎么设置"), Persona::Elderly);
        assert_eq!(persona("我的卡被盗刷了怎么办"), Persona::Anxious);
        assert_eq!(persona("请问套餐怎么改"), Persona::Normal);
    }

    #[test]
    fn empty_and_long_turns() {
        let c = ctx();
        let long = "信号差".repeat(2_000);
        let (f, _) = analyze(&c, 0, 1, dialogue(&[(Role::Customer, &long), (Role::Agent, "")])).unwrap();
        assert_eq!(f.truncated_turns, 1);
        assert_eq!(f.empty_turns, 1);
        assert_eq!(f.turns[0].text.chars().count(), MAX_TURN_CHARS);
        assert!(analyze(&c, 0, 1, dialogue(&[(Role::Customer, ""), (Role::Agent, "您好")])).is_err());
    }

    /// The kept part's range is what cutting, dropping a half placeholder and trimming leave.
    #[test]
    fn the_kept_part_of_a_turn() {
        let long = format!(" {}[手机", "好".repeat(MAX_TURN_CHARS - 2));
        let texts = ["", " ", "  您好 ", "您好", "您好[手机", "[手机号] 好", "\t好[", long.as_str()];
        for t in texts {
            let (head, cut) = cut_chars(t, MAX_TURN_CHARS);
            let want = drop_open_placeholder(head).trim();
            let (range, kept_cut) = kept_part(t);
            assert_eq!((&t[range], kept_cut), (want, cut), "{t:?}");
        }
        assert_eq!(kept_part("  您好 ").0, 2..8);
        assert!(kept_part(&long).1);
    }
}
