//! Each rubric on real Chinese answers, through the fixture scenarios.

use peilian::scoring::turn::{AnswerContext, TurnScore, score_answer};
use peilian::session::Engine;

use crate::support::{engine, fixture};

fn score(e: &Engine, turn: &str, text: &str, mood: f32, latency: Option<f32>) -> TurnScore {
    let turn = e.scenario.turn_index(turn).expect("turn");
    score_answer(&e.analyzer, &e.scenario, text, &AnswerContext { turn, mood_before: mood, latency_secs: latency })
}

fn rubric(s: &TurnScore, name: &str) -> f32 {
    s.rubrics[name].score
}

#[test]
fn concepts_match_synonyms_from_the_lexicon_groups() {
    let e = engine(&fixture("valid/angry-trigger.ron"));
    for apology in ["对不起，我马上帮您看退款", "不好意思，退款我来查", "非常抱歉，退款的事我跟进"]
    {
        let s = score(&e, "open", apology, 70.0, None);
        assert!(s.hit("apology") && s.hit("refund"), "{apology}: {:?}", s.hits);
        assert_eq!(rubric(&s, "concepts"), 100.0, "{apology}");
    }
}

#[test]
fn negation_means_not_said() {
    let e = engine(&fixture("valid/angry-trigger.ron"));
    let no = score(&e, "open", "抱歉，这个不能退款。", 70.0, None);
    assert!(!no.hit("refund"), "{:?}", no.evidence);
    assert!(no.missed.contains(&"refund".to_string()));
    let yes = score(&e, "open", "抱歉，可以退款。", 70.0, None);
    assert!(yes.hit("refund"));
    // A negator in another clause does not reach.
    let other = score(&e, "open", "抱歉，不用担心，马上给您退款。", 70.0, None);
    assert!(other.hit("refund"), "{:?}", other.evidence);
}

#[test]
fn full_width_and_traditional_answers_are_understood() {
    let e = engine(&fixture("valid/angry-trigger.ron"));
    let s = score(&e, "open", "對不起，馬上為您辦理退款！", 70.0, None);
    assert!(s.hit("apology") && s.hit("refund"), "{:?}", s.evidence);
}

#[test]
fn red_lines_cap_the_turn() {
    let e = engine(&fixture("valid/angry-trigger.ron"));
    let s = score(&e, "open", "非常抱歉，退款的事不归我管。", 70.0, None);
    assert_eq!(s.red_lines, vec!["不归我管"]);
    assert!(s.overall <= 40.0);
    assert!(s.capped.as_deref().is_some_and(|c| c.contains("红线")));
}

#[test]
fn soothe_first_with_an_angry_customer() {
    let e = engine(&fixture("valid/angry-trigger.ron"));
    let soothe_first = score(&e, "open", "非常抱歉让您着急了，退款我马上帮您查。", 70.0, None);
    let solve_first = score(&e, "open", "退款我马上帮您查，非常抱歉让您着急了。", 70.0, None);
    let no_soothe = score(&e, "open", "退款我马上帮您查。", 70.0, None);
    assert!(rubric(&soothe_first, "tone") > rubric(&solve_first, "tone"));
    assert!(rubric(&solve_first, "tone") > rubric(&no_soothe, "tone"));
    assert!(no_soothe.features.soothe_first_missed);
}

#[test]
fn vip_is_addressed_as_nin_and_by_title() {
    let e = engine(&fixture("valid/vip-window.ron"));
    let good = score(&e, "open", "李总您好，非常抱歉，我马上帮您核实扣款。", 40.0, None);
    let no_title = score(&e, "open", "您好，非常抱歉，我马上帮您核实扣款。", 40.0, None);
    let ni = score(&e, "open", "你好，抱歉，我马上帮你核实扣款。", 40.0, None);
    assert!(!good.features.vip_address_missed);
    assert!(no_title.features.vip_address_missed);
    assert!(rubric(&good, "tone") > rubric(&no_title, "tone"));
    assert!(rubric(&no_title, "tone") > rubric(&ni, "tone"));
}

#[test]
fn asking_again_what_the_bot_knew_costs_points() {
    let e = engine(&fixture("valid/vip-window.ron"));
    let asks = score(&e, "open", "李总您好，非常抱歉，请问您的订单号是多少？", 40.0, None);
    assert_eq!(asks.features.asked_again, 1);
    assert_eq!(rubric(&asks, "no_repeat"), 50.0);
    let quotes = score(&e, "open", "李总您好，非常抱歉，订单 DD20261118 的扣款我马上核实。", 40.0, None);
    assert_eq!(quotes.features.asked_again, 0);
    assert_eq!(rubric(&quotes, "no_repeat"), 100.0);
    assert!(quotes.evidence.iter().any(|ev| ev.kind == "confirmed"));
    let mentions = score(&e, "open", "李总您好，订单号我已经看到了，马上核实。", 40.0, None);
    assert_eq!(rubric(&mentions, "no_repeat"), 100.0, "naming the fact without asking is fine");
}

#[test]
fn latency_against_patience() {
    let e = engine(&fixture("valid/vip-window.ron"));
    let fast = score(&e, "open", "李总您好，非常抱歉，我马上帮您核实。", 40.0, Some(5.0));
    let slow = score(&e, "open", "李总您好，非常抱歉，我马上帮您核实。", 40.0, Some(20.0));
    assert_eq!(rubric(&fast, "responsiveness"), 100.0);
    assert_eq!(rubric(&slow, "responsiveness"), 50.0);
    assert!(fast.overall > slow.overall);
    let untimed = score(&e, "open", "李总您好，非常抱歉，我马上帮您核实。", 40.0, None);
    assert!(!untimed.rubrics["responsiveness"].applicable);
}

#[test]
fn curt_and_shouting_answers_lose_tone_points() {
    let e = engine(&fixture("valid/minimal.ron"));
    let curt = score(&e, "open", "查吧", 30.0, None);
    assert!(curt.features.curt);
    let shout = score(&e, "open", "抱歉！！我在查！！", 30.0, None);
    assert!(shout.tone.shouting);
    let calm = score(&e, "open", "非常抱歉，我马上帮您查一下。", 30.0, None);
    assert!(rubric(&calm, "tone") > rubric(&shout, "tone"));
    assert!(rubric(&calm, "tone") > rubric(&curt, "tone"));
}

#[test]
fn overall_is_the_weighted_mean_of_applicable_rubrics() {
    let e = engine(&fixture("valid/vip-window.ron"));
    let s = score(&e, "open", "李总您好，抱歉，马上核实。", 40.0, Some(3.0));
    let (sum, w) = s
        .rubrics
        .values()
        .filter(|r| r.applicable)
        .fold((0.0, 0.0), |(a, b), r| (a + r.score * r.weight, b + r.weight));
    assert!((s.overall - (sum / w * 10.0).round() / 10.0).abs() < 0.051, "{} vs {}", s.overall, sum / w);
}

#[test]
fn a_soothing_concept_counts_as_soothing_first() {
    let base = std::fs::read_to_string(fixture("valid/angry-trigger.ron")).unwrap();
    // "refund" restates the trouble here; marked as soothing it no longer counts as solving.
    let marked = base.replace(
        r#""refund": (label: "退款", phrases: ["退款"], weight: 2.0)"#,
        r#""refund": (label: "退款", phrases: ["退款"], weight: 2.0, soothes: true)"#,
    );
    assert_ne!(base, marked);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("angry-soothing.ron");
    std::fs::write(&path, marked).unwrap();
    let plain = engine(&fixture("valid/angry-trigger.ron"));
    let soothing = engine(&path);
    let answer = "退款还没到确实让人着急，非常抱歉。";
    let a = score(&plain, "open", answer, 70.0, None);
    let b = score(&soothing, "open", answer, 70.0, None);
    assert!(a.rubrics["tone"].reasons.iter().any(|r| r.contains("先谈方案后安抚")), "{:?}", a.rubrics["tone"]);
    assert!(b.rubrics["tone"].reasons.iter().any(|r| r == "✓ 先安抚再解决"), "{:?}", b.rubrics["tone"]);
}

#[test]
fn reassurance_words_soothe_an_anxious_customer() {
    let e = engine(&fixture("valid/angry-trigger.ron"));
    let s = score(&e, "open", "请您放心，退款我马上帮您查。", 70.0, None);
    assert!(!s.features.soothe_first_missed, "{:?}", s.rubrics["tone"]);
    assert!(s.tone.politeness > 0.0, "请 and 您 inside 请您放心 still count as polite: {:?}", s.tone.evidence);
}

#[test]
fn personas_bring_their_own_tone_rules() {
    // The angry fixture's second turn sets no tone goal; being angry and upset implies one.
    let e = engine(&fixture("valid/angry-trigger.ron"));
    let s = score(&e, "supervisor", "我马上帮您联系主管。", 80.0, None);
    assert!(s.features.soothe_first_missed, "{:?}", s.rubrics["tone"].reasons);
    assert!(s.rubrics["tone"].reasons.iter().any(|r| r.contains("默认要求先安抚")));
    let calm = score(&e, "supervisor", "我马上帮您联系主管。", 30.0, None);
    assert!(!calm.features.soothe_first_missed, "a calm angry-persona customer needs no soothing first");
}
