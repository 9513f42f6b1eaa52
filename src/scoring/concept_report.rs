//! Which answers each concept misses: over a scenario's sample answers, model answers and
//! recorded answers, how often each concept was expected and heard, and for every miss the
//! concept phrase that came closest to some stretch of the answer.
//!
//! Answers are scored as `peilian score` would (concept hits do not depend on the mood or the
//! latency). The closeness is character-level and deterministic: for each phrase, every stretch
//! of the answer of about the phrase's length is compared by the longest common subsequence,
//! `2 × LCS / (phrase chars + stretch chars)`.

use serde::Serialize;

use crate::scenario::compiled::CompiledScenario;
use crate::scoring::turn::{AnswerContext, score_answer};
use crate::text::analyzer::Analyzer;
use crate::text::normalize::normalize;

/// Where an answer comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnswerSource {
    /// The scenario's `samples[index]` (0-based).
    Sample { index: usize },
    /// The turn's `model_answer`.
    ModelAnswer,
    /// An answer recorded in a practice session (its row id, as `peilian replay` takes it).
    Recorded { session_id: i64, trainee: String },
}

impl AnswerSource {
    /// In Chinese, as the trainer reads it: 样例 2, 示范回答, 记录 #12（小王）.
    pub fn label(&self) -> String {
        match self {
            AnswerSource::Sample { index } => format!("样例 {}", index + 1),
            AnswerSource::ModelAnswer => "示范回答".to_string(),
            AnswerSource::Recorded { session_id, trainee } => format!("记录 #{session_id}（{trainee}）"),
        }
    }
}

/// An answer to one turn of the scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourcedAnswer {
    pub turn_id: String,
    pub source: AnswerSource,
    pub text: String,
}

/// A concept phrase and the stretch of an answer that came closest to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Closest {
    pub phrase: String,
    /// As in the normalised answer (full-width folded, lower case, simplified).
    pub stretch: String,
    /// 0–1, two decimals: `2 × LCS / (phrase chars + stretch chars)`.
    pub similarity: f32,
}

/// An answer in which a concept was expected but not heard; the same words given to the same
/// turn more than once are one miss with each of their sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Miss {
    pub turn_id: String,
    /// Required (else optional) at that turn.
    pub required: bool,
    /// Where the answer was given, in the order the answers were read.
    pub sources: Vec<AnswerSource>,
    pub answer: String,
    /// The concept's phrases or patterns the answer does say, but negated ("没法取消"), so they
    /// do not count: as matched in the normalised answer, in text order.
    pub negated: Vec<String>,
    /// Best first, at most `MAX_CLOSEST`.
    pub closest: Vec<Closest>,
}

/// One concept over all the answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConceptCoverage {
    pub id: String,
    pub label: String,
    /// The turns that require it, and those that expect it optionally.
    pub required_in: Vec<String>,
    pub optional_in: Vec<String>,
    /// Answers to those turns.
    pub expected: usize,
    /// Of those, the answers it was heard in.
    pub heard: usize,
    /// The others: where it was required first, then where it was optional, each in the order
    /// the answers were read (samples, model answers, recorded sessions by id).
    pub misses: Vec<Miss>,
    /// False when the concept has no phrase to compare (only patterns or acts).
    pub has_phrases: bool,
}

/// How many answers of each kind were read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AnswerCounts {
    pub samples: usize,
    pub model_answers: usize,
    pub recorded: usize,
    /// Answers left out: their turn is not in the scenario (any more).
    pub unknown_turn: usize,
}

/// Every concept of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConceptReport {
    pub scenario: String,
    pub title: String,
    pub answers: AnswerCounts,
    pub concepts: Vec<ConceptCoverage>,
}

/// Why a report could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConceptReportError {
    #[error("场景“{scenario}”没有概念“{concept}”（有：{known}）")]
    UnknownConcept { scenario: String, concept: String, known: String },
}

/// The most closest phrases shown for a miss.
pub const MAX_CLOSEST: usize = 3;
/// After the first, closest phrases are shown only from this similarity on.
pub const FURTHER_CLOSEST_FROM: f32 = 0.5;

/// The scenario's own answers: every sample, then every non-empty model answer, in file order.
pub fn scenario_answers(sc: &CompiledScenario) -> Vec<SourcedAnswer> {
    let s = &sc.scenario;
    let samples = s.samples.iter().enumerate().map(|(index, sample)| SourcedAnswer {
        turn_id: sample.turn.clone(),
        source: AnswerSource::Sample { index },
        text: sample.answer.clone(),
    });
    let models = s.turns.iter().filter(|t| !t.expect.model_answer.trim().is_empty()).map(|t| SourcedAnswer {
        turn_id: t.id.clone(),
        source: AnswerSource::ModelAnswer,
        text: t.expect.model_answer.clone(),
    });
    samples.chain(models).collect()
}

/// A concept's phrases: its own, then those of its shared groups in order, without duplicates
/// (compared normalised). Unknown groups are skipped (compiling the scenario refuses them).
pub fn concept_phrases(analyzer: &Analyzer, sc: &CompiledScenario, concept: &str) -> Vec<String> {
    let Some(def) = sc.scenario.concepts.get(concept) else { return Vec::new() };
    let groups = def.groups.iter().flat_map(|g| analyzer.lexicons().group(g).unwrap_or_default());
    let mut seen = std::collections::HashSet::new();
    def.phrases
        .iter()
        .chain(groups)
        .map(|p| p.trim())
        .filter(|p| !p.is_empty() && seen.insert(normalize(p)))
        .map(str::to_string)
        .collect()
}

/// The report for one scenario over `answers`; all concepts, or only `only`.
pub fn concept_report(
    analyzer: &Analyzer,
    sc: &CompiledScenario,
    answers: &[SourcedAnswer],
    only: Option<&str>,
) -> Result<ConceptReport, ConceptReportError> {
    let s = &sc.scenario;
    if let Some(name) = only
        && !s.concepts.contains_key(name)
    {
        return Err(ConceptReportError::UnknownConcept {
            scenario: s.id.clone(),
            concept: name.to_string(),
            known: sc.concept_names.join("、"),
        });
    }
    let mut concepts: Vec<ConceptCoverage> = s
        .concepts
        .iter()
        .filter(|(name, _)| only.is_none_or(|o| o == name.as_str()))
        .map(|(name, def)| ConceptCoverage {
            id: name.clone(),
            label: def.label.clone(),
            required_in: s.turns.iter().filter(|t| t.expect.required.contains(name)).map(|t| t.id.clone()).collect(),
            optional_in: s
                .turns
                .iter()
                .filter(|t| !t.expect.required.contains(name) && t.expect.optional.contains(name))
                .map(|t| t.id.clone())
                .collect(),
            expected: 0,
            heard: 0,
            misses: Vec::new(),
            has_phrases: false,
        })
        .collect();
    let phrases: Vec<Vec<String>> = concepts.iter().map(|c| concept_phrases(analyzer, sc, &c.id)).collect();
    for (c, p) in concepts.iter_mut().zip(&phrases) {
        c.has_phrases = !p.is_empty();
    }
    let mut counts = AnswerCounts::default();
    for answer in answers {
        let Some(turn) = sc.turn_index(&answer.turn_id) else {
            counts.unknown_turn += 1;
            continue;
        };
        match answer.source {
            AnswerSource::Sample { .. } => counts.samples += 1,
            AnswerSource::ModelAnswer => counts.model_answers += 1,
            AnswerSource::Recorded { .. } => counts.recorded += 1,
        }
        let expect = &s.turns[turn].expect;
        let relevant: Vec<usize> = concepts
            .iter()
            .enumerate()
            .filter(|(_, c)| expect.required.contains(&c.id) || expect.optional.contains(&c.id))
            .map(|(i, _)| i)
            .collect();
        if relevant.is_empty() {
            continue;
        }
        let ctx = AnswerContext { turn, mood_before: f32::from(s.persona.mood.min(100)), latency_secs: None };
        let score = score_answer(analyzer, sc, &answer.text, &ctx);
        for i in relevant {
            let c = &mut concepts[i];
            c.expected += 1;
            if score.hit(&c.id) {
                c.heard += 1;
            } else if let Some(m) = c.misses.iter_mut().find(|m| m.turn_id == answer.turn_id && m.answer == answer.text)
            {
                m.sources.push(answer.source.clone());
            } else {
                let negated =
                    sc.concept_index(&c.id).map_or_else(Vec::new, |k| said_negated(analyzer, sc, &answer.text, k));
                c.misses.push(Miss {
                    turn_id: answer.turn_id.clone(),
                    required: expect.required.contains(&c.id),
                    sources: vec![answer.source.clone()],
                    answer: answer.text.clone(),
                    negated,
                    closest: closest_phrases(&phrases[i], &answer.text),
                });
            }
        }
    }
    for c in &mut concepts {
        // Stable: the order of reading stays within each kind.
        c.misses.sort_by_key(|m| !m.required);
    }
    Ok(ConceptReport { scenario: s.id.clone(), title: s.title.clone(), answers: counts, concepts })
}

/// The phrases and patterns of concept `concept` that `text` says although the concept was not
/// heard: the scorer rejects such a match only when it is negated.
fn said_negated(analyzer: &Analyzer, sc: &CompiledScenario, text: &str, concept: usize) -> Vec<String> {
    let a = analyzer.analyze(text);
    let mut spans: Vec<std::ops::Range<usize>> = sc
        .concepts
        .find(&a, analyzer.negators())
        .into_iter()
        .chain(sc.concepts_key.find_key(&a, analyzer.negators()))
        .filter(|h| h.payloads.contains(&concept))
        .map(|h| h.span)
        .collect();
    for (_, pattern) in sc.concept_patterns.iter().filter(|(c, _)| *c == concept) {
        spans.extend(
            pattern.find_all(&a.norm, |i, start| a.is_boundary(i, start)).into_iter().filter(|s| s.start < s.end),
        );
    }
    spans.sort_by_key(|s| (s.start, s.end));
    let mut out: Vec<String> = Vec::new();
    for span in spans {
        let words = a.norm[span].to_string();
        if !out.contains(&words) {
            out.push(words);
        }
    }
    out
}

/// Characters that end a stretch: a closest stretch never runs across them.
fn is_break(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '，' | '。'
                | '！'
                | '？'
                | '；'
                | '：'
                | '、'
                | ','
                | '!'
                | '?'
                | ';'
                | '…'
                | '～'
                | '~'
                | '「'
                | '」'
                | '“'
                | '”'
                | '‘'
                | '’'
                | '"'
                | '('
                | ')'
                | '（'
                | '）'
                | '《'
                | '》'
                | '【'
                | '】'
        )
}

/// The phrases closest to some stretch of `answer`, best first: for each phrase its best
/// stretch (ties: the length nearer the phrase's, then the earlier), then the phrases by
/// similarity (ties: the phrase listed first), one per stretch, at most `MAX_CLOSEST`, after
/// the first only those from `FURTHER_CLOSEST_FROM`. Nothing when no character is shared.
pub fn closest_phrases(phrases: &[String], answer: &str) -> Vec<Closest> {
    let text: Vec<char> = normalize(answer).chars().collect();
    // Runs of the answer between breaks, as char ranges.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, &c) in text.iter().enumerate() {
        match (is_break(c), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, text.len()));
    }
    let mut best: Vec<(f32, Closest)> = Vec::new();
    for phrase in phrases {
        let p: Vec<char> = normalize(phrase.trim()).chars().collect();
        if p.is_empty() {
            continue;
        }
        // One character shorter only for phrases of three or more: a single shared character is
        // no near wording of a two-character phrase.
        let shortest = if p.len() >= 3 { p.len() - 1 } else { p.len() };
        let lens = shortest..=p.len() + 1;
        // (similarity, length distance, start, end)
        let mut top: Option<(f32, usize, usize, usize)> = None;
        for &(rs, re) in &runs {
            for len in lens.clone() {
                if len > re - rs {
                    continue;
                }
                for at in rs..=re - len {
                    let window = &text[at..at + len];
                    let lcs = lcs_len(&p, window);
                    if lcs == 0 {
                        continue;
                    }
                    let sim = 2.0 * lcs as f32 / (p.len() + len) as f32;
                    let dist = p.len().abs_diff(len);
                    let better = match top {
                        None => true,
                        Some((s, d, a, _)) => sim > s || (sim == s && (dist < d || (dist == d && at < a))),
                    };
                    if better {
                        top = Some((sim, dist, at, at + len));
                    }
                }
            }
        }
        if let Some((sim, _, a, b)) = top {
            let stretch: String = text[a..b].iter().collect();
            best.push((sim, Closest { phrase: phrase.trim().to_string(), stretch, similarity: round2(sim) }));
        }
    }
    // Stable: phrases of equal similarity keep their order.
    best.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out: Vec<Closest> = Vec::new();
    for (sim, c) in best {
        if out.len() == MAX_CLOSEST {
            break;
        }
        if !out.is_empty() && sim < FURTHER_CLOSEST_FROM {
            break;
        }
        if out.iter().any(|o| o.stretch == c.stretch) {
            continue;
        }
        out.push(c);
    }
    out
}

/// Length of the longest common subsequence of two short character strings.
fn lcs_len(a: &[char], b: &[char]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for &x in a {
        let mut diag = 0;
        for (j, &y) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if x == y { diag + 1 } else { up.max(row[j]) };
            diag = up;
        }
    }
    row[b.len()]
}

fn round2(x: f32) -> f32 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn lcs_counts_characters_in_order() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(lcs_len(&c("工作日"), &c("工作天")), 2);
        assert_eq!(lcs_len(&c("原路退回"), &c("退回原路")), 2);
        assert_eq!(lcs_len(&c("抱歉"), &c("您好")), 0);
        assert_eq!(lcs_len(&c(""), &c("您好")), 0);
    }

    #[test]
    fn a_near_wording_is_the_closest_stretch() {
        let c = closest_phrases(&strings(&["三个工作日", "原路退回"]), "钱会在三个工做日内退回给您。");
        assert_eq!(c[0].phrase, "三个工作日");
        assert_eq!(c[0].stretch, "三个工做日");
        assert_eq!(c[0].similarity, 0.8);
        // "原路退回" shares only "退回": best in a stretch of three, 2 × 2 / (4 + 3) = 0.57,
        // the earlier of "内退回" and "退回给".
        assert_eq!(c[1].phrase, "原路退回");
        assert_eq!((c[1].stretch.as_str(), c[1].similarity), ("内退回", 0.57));
    }

    #[test]
    fn stretches_do_not_cross_punctuation() {
        let c = closest_phrases(&strings(&["您好"]), "您，好的");
        // "您好" across the comma would be 1.0; within the runs the best is "好的" (the run "您"
        // is shorter than the phrase).
        assert_eq!((c[0].stretch.as_str(), c[0].similarity), ("好的", 0.5));
    }

    #[test]
    fn nothing_shared_gives_nothing() {
        assert!(closest_phrases(&strings(&["抱歉"]), "好的，明天送到。").is_empty());
        assert!(closest_phrases(&[], "好的").is_empty());
    }

    #[test]
    fn ties_keep_the_phrase_order_and_the_result_is_stable() {
        // Each phrase shares one character with a stretch of its own ("抱个", "个意"), at 0.5.
        let a = closest_phrases(&strings(&["抱歉", "歉意"]), "抱个意");
        assert_eq!(a, closest_phrases(&strings(&["抱歉", "歉意"]), "抱个意"));
        assert_eq!(a.iter().map(|c| c.phrase.as_str()).collect::<Vec<_>>(), ["抱歉", "歉意"]);
        assert_eq!(a.iter().map(|c| c.stretch.as_str()).collect::<Vec<_>>(), ["抱个", "个意"]);
        let b = closest_phrases(&strings(&["歉意", "抱歉"]), "抱个意");
        assert_eq!(b.iter().map(|c| c.phrase.as_str()).collect::<Vec<_>>(), ["歉意", "抱歉"]);
        let swapped = closest_phrases(&strings(&["对不起", "抱歉"]), "对不住");
        assert_eq!(swapped[0].phrase, "对不起");
        assert_eq!(swapped[0].stretch, "对不");
    }

    #[test]
    fn one_phrase_per_stretch_and_weak_ones_after_the_first_are_left_out() {
        // All four share their best stretch "马上理" (2 × 3 / (4 + 3) = 0.86): the first listed
        // stands for it; "立即" shares nothing.
        let phrases = strings(&["马上处理", "马上办理", "马上受理", "马上审理", "立即"]);
        let c = closest_phrases(&phrases, "我马上理一下");
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!((c[0].phrase.as_str(), c[0].stretch.as_str(), c[0].similarity), ("马上处理", "马上理", 0.86));
        // Different stretches: the second is kept only from 0.5 on.
        let c = closest_phrases(&strings(&["核实订单", "查询物流", "加急"]), "我帮您核实订单，物流在查。");
        assert_eq!(c[0].similarity, 1.0);
        assert!(c.len() <= MAX_CLOSEST);
        assert!(c.iter().skip(1).all(|x| x.similarity >= FURTHER_CLOSEST_FROM), "{c:?}");
        assert!(c.iter().all(|x| x.phrase != "加急"));
    }

    const SCENARIO: &str = r#"Scenario(
    id: "unit-refund",
    title: "单元测试：退款",
    version: 1,
    skills: [Empathy],
    difficulty: 1,
    channel: Phone,
    persona: (kind: Normal, name: "赵雷", title: "赵先生", mood: 30, patience_secs: 20),
    concepts: {
        "apology": (label: "致歉", groups: ["道歉"]),
        "timeline": (label: "退款时效", phrases: ["三个工作日", "原路退回"]),
        "unused": (label: "没有回合用", phrases: ["多余"]),
    },
    turns: [
        (
            id: "open",
            customer: [(text: "我的退款呢？")],
            expect: (required: ["apology"], optional: ["timeline"], model_answer: "非常抱歉，退款三个工作日内原路退回。"),
            next: [(when: Always, goto: "when")],
        ),
        (
            id: "when",
            customer: [(text: "到底什么时候到？")],
            expect: (required: ["timeline"], model_answer: "三个工作日内到账，给您添麻烦了。"),
            next: [(when: Always, goto: "done")],
        ),
    ],
    endings: [(id: "done", kind: Resolved)],
    escalation: (policy: SolveYourself),
    samples: [
        (turn: "open", answer: "您好，请问有什么可以帮您？", score: (0, 40)),
        (turn: "when", answer: "钱会在三个工做日内到。", score: (0, 100)),
    ],
)"#;

    fn compiled() -> (Analyzer, CompiledScenario) {
        let mut analyzer = Analyzer::with_embedded_lexicons();
        let src = crate::diagnostic::SourceText::new("unit.ron", SCENARIO);
        let scenario: crate::scenario::schema::Scenario = crate::ron_file::parse(&src).expect("parses");
        let sc = CompiledScenario::compile(scenario, &mut analyzer, None, String::new()).expect("compiles");
        (analyzer, sc)
    }

    fn concept<'a>(r: &'a ConceptReport, id: &str) -> &'a ConceptCoverage {
        r.concepts.iter().find(|c| c.id == id).expect("concept in report")
    }

    #[test]
    fn the_scenarios_own_answers_are_samples_then_model_answers() {
        let (_, sc) = compiled();
        let answers = scenario_answers(&sc);
        let sources: Vec<String> = answers.iter().map(|a| format!("{} {}", a.source.label(), a.turn_id)).collect();
        assert_eq!(sources, ["样例 1 open", "样例 2 when", "示范回答 open", "示范回答 when"]);
    }

    #[test]
    fn a_near_wording_is_shown_for_the_miss_and_hits_are_not_listed() {
        let (analyzer, sc) = compiled();
        let r = concept_report(&analyzer, &sc, &scenario_answers(&sc), None).unwrap();
        assert_eq!(r.answers, AnswerCounts { samples: 2, model_answers: 2, recorded: 0, unknown_turn: 0 });
        let timeline = concept(&r, "timeline");
        assert_eq!(
            (timeline.required_in.as_slice(), timeline.optional_in.as_slice()),
            (&["when".to_string()][..], &["open".to_string()][..])
        );
        // Expected in all four answers (optional at "open"); heard in both model answers.
        assert_eq!((timeline.expected, timeline.heard), (4, 2));
        // Required (at "when") before optional (at "open").
        let sources: Vec<&[AnswerSource]> = timeline.misses.iter().map(|m| m.sources.as_slice()).collect();
        assert_eq!(sources, [&[AnswerSource::Sample { index: 1 }][..], &[AnswerSource::Sample { index: 0 }][..]]);
        assert!(!timeline.misses[1].required);
        let typo = &timeline.misses[0];
        assert!(typo.required);
        assert_eq!(typo.turn_id, "when");
        assert_eq!(
            (typo.closest[0].phrase.as_str(), typo.closest[0].stretch.as_str(), typo.closest[0].similarity),
            ("三个工作日", "三个工做日", 0.8)
        );
        // Said in the model answers: not missed there.
        assert!(timeline.misses.iter().all(|m| !m.sources.contains(&AnswerSource::ModelAnswer)));
        let apology = concept(&r, "apology");
        assert_eq!((apology.expected, apology.heard), (2, 1), "required at open only: the sample and the model");
        assert_eq!(apology.misses.len(), 1);
        assert!(!apology.misses[0].closest.is_empty(), "the 道歉 group's phrases are compared");
        let unused = concept(&r, "unused");
        assert_eq!((unused.expected, unused.heard, unused.misses.len()), (0, 0, 0));
    }

    #[test]
    fn recorded_answers_are_counted_and_unknown_turns_left_out() {
        let (analyzer, sc) = compiled();
        let rec = |session_id: i64, turn: &str, text: &str| SourcedAnswer {
            turn_id: turn.to_string(),
            source: AnswerSource::Recorded { session_id, trainee: "小王".to_string() },
            text: text.to_string(),
        };
        let answers = vec![
            rec(7, "when", "三个工作日内到账。"),
            rec(7, "when", "很快就到了。"),
            rec(8, "gone", "三个工作日"),
            rec(9, "when", "很快就到了。"),
            rec(9, "open", "很快就到了。"),
        ];
        let r = concept_report(&analyzer, &sc, &answers, Some("timeline")).unwrap();
        assert_eq!(r.answers, AnswerCounts { samples: 0, model_answers: 0, recorded: 4, unknown_turn: 1 });
        assert_eq!(r.concepts.len(), 1);
        let t = &r.concepts[0];
        assert_eq!((t.expected, t.heard), (4, 1));
        // The same words to the same turn are one miss; to another turn, another.
        assert_eq!(t.misses.len(), 2);
        assert_eq!((t.misses[0].turn_id.as_str(), t.misses[0].answer.as_str()), ("when", "很快就到了。"));
        let labels: Vec<String> = t.misses[0].sources.iter().map(AnswerSource::label).collect();
        assert_eq!(labels, ["记录 #7（小王）", "记录 #9（小王）"]);
        assert_eq!((t.misses[1].turn_id.as_str(), t.misses[1].required), ("open", false));
    }

    #[test]
    fn a_negated_phrase_is_named_with_the_miss() {
        let (analyzer, sc) = compiled();
        let rec = |text: &str| SourcedAnswer {
            turn_id: "when".to_string(),
            source: AnswerSource::Recorded { session_id: 1, trainee: "小王".to_string() },
            text: text.to_string(),
        };
        let answers = [rec("这笔钱没法原路退回。"), rec("钱会在三个工做日内到。")];
        let r = concept_report(&analyzer, &sc, &answers, Some("timeline")).unwrap();
        let m = &r.concepts[0].misses;
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].negated, ["原路退回"]);
        assert_eq!((m[0].closest[0].phrase.as_str(), m[0].closest[0].similarity), ("原路退回", 1.0));
        assert!(m[1].negated.is_empty(), "a typo is not a negation");
    }

    #[test]
    fn the_report_is_deterministic() {
        let (analyzer, sc) = compiled();
        let answers = scenario_answers(&sc);
        let a = serde_json::to_string(&concept_report(&analyzer, &sc, &answers, None).unwrap()).unwrap();
        let b = serde_json::to_string(&concept_report(&analyzer, &sc, &answers, None).unwrap()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn an_unknown_concept_is_named() {
        let (analyzer, sc) = compiled();
        let e = concept_report(&analyzer, &sc, &[], Some("nope")).unwrap_err();
        assert_eq!(e.to_string(), "场景“unit-refund”没有概念“nope”（有：apology、timeline、unused）");
    }

    #[test]
    fn group_phrases_follow_the_concepts_own() {
        let (analyzer, sc) = compiled();
        assert_eq!(concept_phrases(&analyzer, &sc, "timeline"), ["三个工作日", "原路退回"]);
        let apology = concept_phrases(&analyzer, &sc, "apology");
        assert!(apology.iter().any(|p| p == "抱歉") && apology.iter().any(|p| p == "对不起"), "{apology:?}");
        assert!(concept_phrases(&analyzer, &sc, "nope").is_empty());
    }
}
