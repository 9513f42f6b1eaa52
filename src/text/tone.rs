//! Tone of a text: politeness, empathy, reassurance, hostility and anger (0–1), with evidence.

use serde::Serialize;

use crate::lexicon::LexiconKind;
use crate::text::acts::ActReport;
use crate::text::analyzer::{Analyzed, Analyzer};
use crate::text::normalize::{is_clause_break, is_content_char};
use crate::text::phrases::drop_nested;

/// Politeness and empathy of an answer that does nothing for the customer (no question, no
/// explanation, no commitment …) count this much: courtesy alone is hollow (套话).
pub const HOLLOW_SHARE: f32 = 0.6;

/// One marker found in a text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToneEvidence {
    /// Which dimension it counts for: politeness, empathy, reassurance, hostility, anger,
    /// supervisor_demand, shouting.
    pub dimension: &'static str,
    /// The words matched (normalised).
    pub matched: String,
    pub weight: f32,
    /// A negated marker ("不理解") is reported but does not count.
    pub negated: bool,
    /// Character offset in the text.
    pub at: usize,
}

/// The tone of one text. Scores combine marker weights as a noisy-or, `1 − Π(1 − w)`: one strong
/// marker counts most, each further marker adds less, and the score never passes 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToneReport {
    pub politeness: f32,
    pub empathy: f32,
    pub reassurance: f32,
    pub hostility: f32,
    /// The speaker's own anger, as for a customer message.
    pub anger: f32,
    pub demands_supervisor: bool,
    /// Runs of two or more `!`, or all-caps Latin shouting.
    pub shouting: bool,
    pub exclamations: usize,
    /// Letters, digits and CJK characters, punctuation left out.
    pub content_chars: usize,
    /// Byte offset in the normalised text of the first empathy marker, if any.
    #[serde(skip)]
    pub first_empathy_at: Option<usize>,
    /// True when the text is courteous but does nothing for the customer: politeness and
    /// empathy then count `HOLLOW_SHARE` of their weight.
    pub hollow: bool,
    pub evidence: Vec<ToneEvidence>,
    /// What the text does (its acts and conduct), which the tone is partly read from.
    pub acts: ActReport,
}

fn dimension(kind: LexiconKind) -> Option<&'static str> {
    Some(match kind {
        LexiconKind::Politeness => "politeness",
        LexiconKind::Empathy => "empathy",
        LexiconKind::Reassurance => "reassurance",
        LexiconKind::Hostility => "hostility",
        LexiconKind::Anger => "anger",
        LexiconKind::SupervisorDemand => "supervisor_demand",
        _ => return None,
    })
}

/// Noisy-or of weights: 1 − Π(1 − w).
pub fn noisy_or(weights: impl IntoIterator<Item = f32>) -> f32 {
    1.0 - weights.into_iter().fold(1.0, |acc, w| acc * (1.0 - w.clamp(0.0, 1.0)))
}

impl Analyzer {
    /// The tone of a text.
    pub fn tone(&self, text: &str) -> ToneReport {
        self.tone_of(&self.analyze(text))
    }

    /// The tone of an already analysed text.
    pub fn tone_of(&self, a: &Analyzed) -> ToneReport {
        let acts = self.acts_of(a);
        let mut hits = Vec::new();
        for hit in self.tone_index().find(a, self.negators()) {
            for marker in hit.payloads {
                if let Some(dim) = dimension(marker.kind) {
                    hits.push((hit.span.clone(), dim, (hit.phrase, marker.weight, hit.negated)));
                }
            }
        }
        // Acts that carry a tone: apologies and empathy, reassurance, conduct. A concrete
        // commitment (with a time) or a thing already done reassures too.
        for act in &acts.hits {
            if let Some(dim) = act.act.tone_dimension() {
                hits.push((act.span.clone(), dim, (act.matched.as_str(), act.weight, act.negated)));
            } else if let Some(weight) = commitment_reassurance(act) {
                hits.push((act.span.clone(), "reassurance", (act.matched.as_str(), weight, act.negated)));
            }
        }
        drop_nested(&mut hits);
        drop_weaker_overlaps(&mut hits);
        // Character offsets counted on from the previous hit's (the hits are in text order).
        let (mut counted_to, mut chars_before) = (0, 0);
        let mut evidence: Vec<ToneEvidence> = hits
            .iter()
            .map(|(span, dim, (phrase, weight, negated))| {
                if span.start < counted_to {
                    (counted_to, chars_before) = (0, 0);
                }
                chars_before += a.norm[counted_to..span.start].chars().count();
                counted_to = span.start;
                ToneEvidence {
                    dimension: dim,
                    matched: phrase.to_string(),
                    weight: *weight,
                    negated: *negated,
                    at: chars_before,
                }
            })
            .collect();
        // Anger only: a rhetorical negation ("这不是乱收费吗") still accuses (src/text/anger.rs).
        crate::text::anger::reconsider_negation(&a.norm, hits.iter().map(|h| &h.0), &mut evidence);

        let marks = Marks::of(&a.norm);
        let (longest_run, question_run) = (marks.longest_bang_run, marks.longest_question_run);
        let latin_caps =
            a.original.split_whitespace().any(|w| w.chars().all(|c| c.is_ascii_uppercase()) && w.chars().count() >= 4);
        let shouting = longest_run >= 2 || latin_caps;
        if longest_run >= 2 || question_run >= 2 {
            let run = longest_run.max(question_run);
            evidence.push(ToneEvidence {
                dimension: "shouting",
                matched: if longest_run >= question_run { "!".repeat(run) } else { "?".repeat(run) },
                weight: if run >= 3 { 0.45 } else { 0.3 },
                negated: false,
                at: 0,
            });
        }

        // Each distinct phrase counts once: "您好您好您好" is no politer than "您好".
        let distinct = |dim: &'static str| {
            let counts = move |e: &ToneEvidence| e.dimension == dim && !e.negated;
            let evidence = &evidence;
            evidence
                .iter()
                .enumerate()
                .filter(move |&(i, e)| counts(e) && !evidence[..i].iter().any(|p| counts(p) && p.matched == e.matched))
                .map(|(_, e)| e.weight)
        };
        let score = |dim: &'static str| noisy_or(distinct(dim));
        let shout_weight = evidence.iter().filter(|e| e.dimension == "shouting").map(|e| e.weight);
        let anger = noisy_or(distinct("anger").chain(shout_weight));
        let first_empathy_at = hits.iter().filter(|h| h.1 == "empathy" && !(h.2).2).map(|h| h.0.start).min();
        let hollow = !acts.substantive() && (score("politeness") > 0.0 || score("empathy") > 0.0);
        let share = if hollow { HOLLOW_SHARE } else { 1.0 };
        ToneReport {
            politeness: round3(share * score("politeness")),
            empathy: round3(share * score("empathy")),
            reassurance: round3(score("reassurance")),
            hostility: round3(score("hostility")),
            anger: round3(anger),
            demands_supervisor: hits.iter().any(|(span, dim, (_, weight, negated))| {
                *dim == "supervisor_demand"
                    && !*negated
                    && (*weight >= 1.0 || demand_verb_before(&a.norm[..span.start]))
            }),
            shouting,
            exclamations: marks.exclamations,
            content_chars: marks.content_chars,
            first_empathy_at,
            hollow,
            evidence,
            acts,
        }
    }
}

/// How much a commitment reassures: one with a time 0.45, a thing already done 0.35.
fn commitment_reassurance(hit: &crate::text::acts::ActHit) -> Option<f32> {
    match hit.act {
        crate::text::acts::Act::Commit if hit.detail.is_some() => Some(COMMITMENT_REASSURANCE),
        crate::text::acts::Act::Done => Some(DONE_REASSURANCE),
        _ => None,
    }
}

/// Reassurance carried by a commitment with a time (明天下午三点前给您回电) and by a thing
/// already done for the customer (已经帮您提交加急).
pub const COMMITMENT_REASSURANCE: f32 = 0.45;
pub const DONE_REASSURANCE: f32 = 0.35;

/// Of overlapping hits of the same dimension (a lexicon marker and an act on the same words),
/// keeps the stronger one, so the same words never count twice.
/// A tone hit: the words' span, the dimension, and (the words, weight, negated).
type ToneHit<T> = (std::ops::Range<usize>, &'static str, (T, f32, bool));

fn drop_weaker_overlaps<T>(hits: &mut Vec<ToneHit<T>>) {
    let mut keep = vec![true; hits.len()];
    for i in 0..hits.len() {
        for j in 0..hits.len() {
            let (x, y) = (&hits[i], &hits[j]);
            let overlap = x.0.start < y.0.end && y.0.start < x.0.end;
            let y_better = ((y.2).2 == (x.2).2 && (y.2).1 > (x.2).1) || (!(y.2).2 && (x.2).2);
            let tie_first = (y.2).1 == (x.2).1 && (y.2).2 == (x.2).2 && j < i;
            if i != j && keep[j] && overlap && x.1 == y.1 && (y_better || tie_first) {
                keep[i] = false;
                break;
            }
        }
    }
    let mut k = keep.into_iter();
    hits.retain(|_| k.next().unwrap_or(true));
}

/// Rounds to three decimals so reports do not show float noise.
pub fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

/// What one pass over a normalised text counts: `!` and `?` (full-width ones are folded to
/// these), their longest runs, and the characters that carry content.
#[derive(Debug, Default, PartialEq)]
struct Marks {
    exclamations: usize,
    longest_bang_run: usize,
    longest_question_run: usize,
    content_chars: usize,
}

impl Marks {
    /// The marks of a normalised text, counted a character at a time.
    fn of(norm: &str) -> Marks {
        let mut m = Marks::default();
        let (mut bangs, mut questions) = (0, 0);
        for c in norm.chars() {
            bangs = if c == '!' { bangs + 1 } else { 0 };
            questions = if c == '?' { questions + 1 } else { 0 };
            m.exclamations += usize::from(c == '!');
            m.longest_bang_run = m.longest_bang_run.max(bangs);
            m.longest_question_run = m.longest_question_run.max(questions);
            m.content_chars += usize::from(is_content_char(c));
        }
        m
    }
}

/// Words before a supervisor-lexicon marker (in its clause, at most `DEMAND_REACH` characters
/// before it) that make the mention a demand: "我就要人工服务", "让你们负责人来".
pub const DEMAND_VERBS: [&str; 8] = ["找", "叫", "要", "让", "换", "请", "转", "给我"];

/// How many characters before a supervisor marker a demand verb may stand.
pub const DEMAND_REACH: usize = 6;

/// True when one of [`DEMAND_VERBS`] stands in the last `DEMAND_REACH` characters of the
/// clause that `before` (the text before a supervisor marker) ends with. A supervisor marker
/// that is no demand by itself (weight below 1: 人工服务, 负责人) is a demand only so:
/// "我就要人工服务" is, "人工服务一直忙" is not.
pub fn demand_verb_before(before: &str) -> bool {
    let mut reach: Vec<char> = before.chars().rev().take_while(|&c| !is_clause_break(c)).take(DEMAND_REACH).collect();
    reach.reverse();
    let reach: String = reach.into_iter().collect();
    DEMAND_VERBS.iter().any(|v| reach.contains(v))
}

#[cfg(test)]
mod tests {
    use crate::text::analyzer::Analyzer;
    use std::sync::OnceLock;

    fn analyzer() -> &'static Analyzer {
        static A: OnceLock<Analyzer> = OnceLock::new();
        A.get_or_init(Analyzer::with_embedded_lexicons)
    }

    #[test]
    fn polite_empathic_answer() {
        let t = analyzer().tone("王先生您好，非常理解您的心情，给您添麻烦了，我马上帮您处理。");
        assert!(t.politeness > 0.6, "{t:?}");
        assert!(t.empathy > 0.8, "{t:?}");
        assert!(t.reassurance > 0.3, "{t:?}");
        assert_eq!(t.hostility, 0.0);
        assert!(!t.shouting);
        assert!(t.evidence.iter().any(|e| e.matched == "理解您的心情"));
    }

    #[test]
    fn blame_is_hostile() {
        let t = analyzer().tone("这个不归我管，你自己看说明书吧，我也没办法");
        assert!(t.hostility > 0.9, "{t:?}");
        assert!(t.empathy < 0.01, "{t:?}");
    }

    #[test]
    fn negated_markers_do_not_count() {
        let t = analyzer().tone("这不是你的问题，我们来处理");
        assert_eq!(t.hostility, 0.0, "{t:?}");
        assert!(t.evidence.iter().any(|e| e.matched == "你的问题" && e.negated));
    }

    #[test]
    fn a_human_agent_mentioned_is_no_demand_asked_for_is_one() {
        let an = analyzer();
        for text in ["打了人工客服也没用", "人工服务一直在忙，他们负责人也不接电话"] {
            assert!(!an.tone(text).demands_supervisor, "{text}");
        }
        for text in ["我要人工客服", "给我转人工", "你们领导呢？", "让你们负责人来", "换个人跟我说"]
        {
            assert!(an.tone(text).demands_supervisor, "{text}");
        }
    }

    #[test]
    fn nested_markers_count_once() {
        let t = analyzer().tone("非常抱歉，我马上帮您查");
        let empathy: Vec<_> = t.evidence.iter().filter(|e| e.dimension == "empathy").collect();
        assert_eq!(empathy.len(), 1, "{empathy:?}");
        assert_eq!(t.empathy, 0.7);
        assert!(!t.hollow);
    }

    #[test]
    fn courtesy_without_action_is_hollow() {
        let t = analyzer().tone("非常抱歉");
        assert!(t.hollow, "{t:?}");
        assert_eq!(t.empathy, super::round3(0.7 * super::HOLLOW_SHARE));
        let plain = analyzer().tone("非常抱歉给您带来不便，请您耐心等待。");
        let acting = analyzer().tone("非常抱歉给您带来不便，我马上帮您查明细。");
        assert!(plain.hollow && !acting.hollow);
        assert!(plain.empathy + plain.politeness < acting.empathy + acting.politeness, "{plain:?}\n{acting:?}");
    }

    #[test]
    fn angry_customer_message() {
        let t = analyzer().tone("你们这什么破服务！！！我要投诉，叫你们领导出来");
        assert!(t.anger > 0.8, "{t:?}");
        assert!(t.shouting);
        assert!(t.demands_supervisor);
        let calm = analyzer().tone("请问我的快递什么时候到？");
        assert!(calm.anger < 0.1, "{calm:?}");
    }

    #[test]
    fn repeating_a_marker_does_not_pad_the_score() {
        let once = analyzer().tone("您好");
        let thrice = analyzer().tone("您好您好您好");
        assert_eq!(once.politeness, thrice.politeness);
    }

    #[test]
    fn evidence_is_placed_at_its_character_offset() {
        let an = analyzer();
        for text in [
            "您好，非常抱歉给您添麻烦了，请放心，您好！理解您的心情",
            "你们这什么破服务！！！我要投诉",
            "Ｏｋ，抱歉，不好意思",
        ] {
            let a = an.analyze(text);
            let t = an.tone_of(&a);
            let markers: Vec<_> = t.evidence.iter().filter(|e| e.dimension != "shouting").collect();
            assert!(markers.len() >= 2, "{text}: {t:?}");
            for e in markers {
                let from: String = a.norm.chars().skip(e.at).collect();
                assert!(from.starts_with(&e.matched), "{text}: {e:?} at {from}");
            }
        }
    }

    #[test]
    fn marks_of_a_text() {
        use super::Marks;
        assert_eq!(
            Marks::of("好的!!?不行!!!对吗??"),
            Marks { exclamations: 5, longest_bang_run: 3, longest_question_run: 2, content_chars: 6 }
        );
        assert_eq!(Marks::of(""), Marks::default());
        // `of` reads a normalised text, where full-width marks are already folded: left as
        // they are, they are neither `!` nor `?`. Letters and digits of any script count as
        // content; punctuation, symbols and emoji do not.
        assert_eq!(
            Marks::of("！！a!é\u{663}\u{20000}\u{1F60A}。 \u{3400}!!"),
            Marks { exclamations: 3, longest_bang_run: 2, longest_question_run: 0, content_chars: 5 }
        );
        assert_eq!(
            Marks::of("?!?!??x??"),
            Marks { exclamations: 2, longest_bang_run: 1, longest_question_run: 2, content_chars: 1 }
        );
    }

    #[test]
    fn a_demand_verb_counts_in_the_marker_s_clause_within_reach() {
        use super::demand_verb_before;
        assert!(demand_verb_before("我就要"));
        assert!(demand_verb_before("给我转"));
        assert!(!demand_verb_before("人工服务一直忙"));
        // Another clause, or more than `DEMAND_REACH` characters back, is out of reach.
        assert!(!demand_verb_before("我要投诉，你们"));
        assert!(demand_verb_before("我要投诉你们"));
        assert!(!demand_verb_before("我要一二三四五六"));
        assert!(demand_verb_before("我要一二三四五"));
        assert!(!demand_verb_before(""));
    }

    #[test]
    fn latin_capitals_are_shouting_only_as_a_whole_word() {
        assert!(analyzer().tone("WHAT is this").shouting);
        assert!(!analyzer().tone("What is this VIP").shouting);
        assert!(!analyzer().tone("请问 iPhone 怎么退").shouting);
    }

    #[test]
    fn full_width_exclamations_are_shouting() {
        let t = analyzer().tone("快点！！");
        assert!(t.shouting);
        assert_eq!(t.exclamations, 2);
    }
}
