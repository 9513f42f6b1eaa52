//! The customer who listens: for each reaction kind, a scripted call that must produce it;
//! facts told only when asked; patience by channel and while holding.

use peilian::customer::reactions::ReactionKind;
use peilian::session::{Engine, LineKind, Mode, Outcome, Session, Speaker, TranscriptEntry};

use crate::support::{engine, fixture};

fn listening() -> Engine {
    engine(&fixture("listening/refund.ron"))
}

/// The fixture with some text replaced, compiled.
fn listening_with(from: &str, to: &str) -> Engine {
    let text = std::fs::read_to_string(fixture("listening/refund.ron")).unwrap();
    assert!(text.contains(from), "{from}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("listening.ron");
    std::fs::write(&path, text.replace(from, to)).unwrap();
    engine(&path)
}

/// Plays the answers (`/silence`-free) and returns the session.
fn play(e: Engine, answers: &[&str]) -> Session {
    let (mut s, _) = Session::start(e, 1, Mode::Practice);
    for a in answers {
        s.answer(a, 1000).unwrap_or_else(|err| panic!("{a}: {err}"));
    }
    s
}

fn last_customer(s: &Session) -> &TranscriptEntry {
    s.transcript().iter().rev().find(|e| e.speaker == Speaker::Customer).expect("the customer spoke")
}

/// The customer's last line is a reaction of this kind, on this script turn.
fn assert_reaction(s: &Session, kind: ReactionKind, turn_id: &str) -> String {
    // The reaction is the customer's last line but for a supervisor demand at their mark.
    let line = s
        .transcript()
        .iter()
        .rev()
        .find(|e| e.speaker == Speaker::Customer && e.kind != LineKind::SupervisorDemand)
        .expect("the customer spoke");
    assert_eq!((line.kind, line.reaction), (LineKind::Reaction, Some(kind)), "{:?}", s.transcript());
    assert_eq!(s.pending_turn_id(), Some(turn_id), "the script waits on the same turn");
    line.text.clone()
}

#[test]
fn an_unanswered_question_is_asked_again() {
    let s = play(listening(), &["您好，我是客服小王。"]);
    let text = assert_reaction(&s, ReactionKind::Unanswered, "open");
    assert!(text.contains("到底什么时候退？"), "the customer's own question: {text}");
    assert_eq!(s.turn(), 2, "a reaction is a turn of the call");
}

#[test]
fn soothing_alone_where_no_question_waits_gets_no_progress() {
    let s = play(listening(), &["非常抱歉，麻烦您提供一下订单号。", "非常抱歉让您着急了。"]);
    assert_eq!(s.transcript().iter().filter(|e| e.kind == LineKind::Script).count(), 2);
    assert_reaction(&s, ReactionKind::NoProgress, "order_given");
}

#[test]
fn a_fact_is_told_when_asked_and_not_before() {
    // Apologised, asked for nothing: the order number is not volunteered.
    let s = play(listening(), &["非常抱歉让您久等了。"]);
    let text = assert_reaction(&s, ReactionKind::GoAhead, "open");
    assert!(!text.contains("DD123"), "{text}");
    // Asked: the scripted line that tells it.
    let s = play(listening(), &["非常抱歉，麻烦您提供一下订单号。"]);
    let line = last_customer(&s);
    assert_eq!((line.kind, s.pending_turn_id()), (LineKind::Script, Some("order_given")));
    assert!(line.text.starts_with("订单号 DD123"), "{}", line.text);
    // Asked for a fact no scripted line tells: said first, from `says`.
    let s = play(listening(), &["非常抱歉，麻烦您提供一下订单号和收货地址。"]);
    assert!(last_customer(&s).text.starts_with("地址是幸福路 1 号。订单号 DD123"), "{}", last_customer(&s).text);
}

#[test]
fn asked_again_for_what_was_said_the_customer_says_so() {
    let s = play(listening(), &["非常抱歉，麻烦您提供一下订单号。", "请问您的订单号是多少？"]);
    let text = assert_reaction(&s, ReactionKind::AskedAgain, "order_given");
    assert!(text.contains("DD123"), "{text}");
}

#[test]
fn asked_for_what_the_chatbot_has_the_customer_says_so() {
    let s = play(listening(), &["非常抱歉，请问您的手机号是多少？"]);
    let text = assert_reaction(&s, ReactionKind::BotKnows, "open");
    assert!(text.contains("138****0000"), "{text}");
}

#[test]
fn a_promise_without_a_time_is_taken_up() {
    let s = play(listening(), &["非常抱歉，麻烦您提供一下订单号。", "这件事我一定帮您处理好。"]);
    assert_reaction(&s, ReactionKind::CommitVague, "order_given");
}

#[test]
fn a_forbidden_promise_is_taken_at_its_word() {
    let mut s = play(listening(), &["非常抱歉，麻烦您提供一下订单号。"]);
    s.answer("您放心，双倍赔偿我一定给您。", 1000).unwrap();
    assert_eq!(last_customer(&s).reaction, Some(ReactionKind::CommitTaken));
    assert_eq!(s.outcome(), Outcome::Resolved);
    assert!(!s.scorecard().passed, "the call fails on the red line");
}

#[test]
fn a_refusal_is_pushed_back_on_or_escalated_by_mood() {
    let answers = ["非常抱歉，麻烦您提供一下订单号。", "这个钱退不了。"];
    assert_reaction(&play(listening(), &answers), ReactionKind::PushBack, "order_given");
    // A customer near their breaking point wants someone higher, and that is a demand.
    let s = play(listening_with("demands_supervisor_at: 90", "demands_supervisor_at: 45"), &answers);
    assert_reaction(&s, ReactionKind::Escalate, "order_given");
    assert_eq!(s.scorecard().escalation.trigger_turn, Some(3));
}

#[test]
fn an_offer_to_an_upset_customer_is_bargained_over() {
    let upset = listening_with("mood: 50,", "mood: 80,");
    let s = play(upset, &["非常抱歉，麻烦您提供一下订单号。", "我可以给您补偿一张十元优惠券。"]);
    assert_reaction(&s, ReactionKind::OfferBargain, "order_given");
}

#[test]
fn an_announced_transfer_is_resisted_or_accepted() {
    let s = play(listening(), &["我这边给您转接到售后部门。"]);
    assert_reaction(&s, ReactionKind::TransferResist, "open");
    let s = play(
        listening_with("policy: OnTrigger(triggers: [DemandsSupervisor], grace: 1)", "policy: Either"),
        &["我这边给您转接到售后部门。"],
    );
    assert_reaction(&s, ReactionKind::TransferAccept, "open");
}

#[test]
fn a_hold_is_waited_out_then_nudged() {
    let mut s = play(listening(), &["请您稍等。"]);
    assert_reaction(&s, ReactionKind::HoldAccept, "open");
    // Twice the patience (60 s) while holding.
    assert!(s.silence(100_000, 0).unwrap().is_empty(), "still waiting");
    s.silence(121_000, 0).unwrap();
    assert_reaction(&s, ReactionKind::HoldNudge, "open");
}

#[test]
fn an_off_topic_answer_confuses_and_an_insult_offends() {
    let s = play(listening(), &["ls -la"]);
    assert_reaction(&s, ReactionKind::Confused, "open");
    // A calm customer stays on the line to say what they think of it.
    let s = play(listening_with("mood: 50,", "mood: 10,"), &["你有病吧。"]);
    let before = 10.0;
    assert_reaction(&s, ReactionKind::Insulted, "open");
    assert!(s.mood() > before + 10.0, "{}", s.mood());
}

#[test]
fn three_reactions_in_a_row_and_the_customer_gives_up() {
    let s = play(listening(), &["您好。", "您好，请讲。", "您好，还有别的吗？"]);
    assert_eq!(s.outcome(), Outcome::Unresolved);
    assert_eq!(last_customer(&s).text, "算了，说了也白说。");
    assert_eq!(s.transcript().iter().filter(|e| e.kind == LineKind::Reaction).count(), 2);
}

#[test]
fn the_model_path_needs_no_reaction() {
    let s =
        play(listening(), &["非常抱歉让您久等了，麻烦您提供一下订单号。", "查到了，退款会在三个工作日内原路退回。"]);
    assert_eq!(s.outcome(), Outcome::Resolved);
    assert!(s.transcript().iter().all(|e| e.reaction.is_none()), "{:?}", s.transcript());
}

#[test]
fn in_chat_typing_wears_patience_more_slowly_than_silence() {
    // Phone: 70 s of silence is past the 60 s patience, typing or not.
    let (mut phone, _) = Session::start(listening(), 1, Mode::Practice);
    assert!(phone.silence_matters(70_000, 70_000));
    // Chat: 70 s spent visibly typing feels like 23 s.
    let chat = listening_with("channel: Phone", "channel: Chat");
    let (mut s, _) = Session::start(chat, 1, Mode::Practice);
    assert!(!s.silence_matters(70_000, 70_000));
    assert!(s.silence(70_000, 70_000).unwrap().is_empty());
    assert!(s.silence_matters(70_000, 0), "plain silence counts in chat too");
    assert!(!phone.silence(70_000, 0).unwrap().is_empty());
}

#[test]
fn no_patience_is_shorter_than_typing_a_forty_character_answer() {
    let e = listening_with("patience_secs: 60", "patience_secs: 10");
    let (s, _) = Session::start(e, 1, Mode::Practice);
    assert_eq!(s.patience_ms(), u64::from(peilian::session::MIN_PATIENCE_SECS) * 1000);
    assert!(!s.silence_matters(45_000, 0));
}

#[test]
fn rewinding_says_the_customers_line_again() {
    let mut s = play(listening(), &["非常抱歉，麻烦您提供一下订单号。"]);
    let events = s.rewind(2).unwrap();
    assert!(
        matches!(&events[..], [peilian::session::Event::Rewound { turn: 2, line, .. }] if line.starts_with("订单号 DD123"))
    );
}

#[test]
fn asked_point_blank_while_upset_the_customer_asks_what_for_then_tells() {
    let upset = || listening_with("mood: 50", "mood: 75");
    // No apology, no reason: "what for?", and the number is not told yet.
    let s = play(upset(), &["请提供一下订单号。"]);
    let text = assert_reaction(&s, ReactionKind::AskWhy, "open");
    assert!(!text.contains("DD123"), "{text}");
    // Asked again, the customer tells (the scripted line that tells it; two blunt asks have
    // angered them to the point of wanting a supervisor as well).
    let s = play(upset(), &["请提供一下订单号。", "请提供一下订单号，我帮您查物流。"]);
    let line = s.transcript().iter().rev().find(|e| e.kind == LineKind::Script).unwrap();
    assert_eq!((line.turn_id.as_deref(), s.pending_turn_id()), (Some("order_given"), Some("order_given")));
    assert!(line.text.starts_with("订单号 DD123"), "{}", line.text);
    // Near misses: an apology first, or a calm customer — told at once.
    let s = play(upset(), &["非常抱歉让您着急了，麻烦您提供一下订单号。"]);
    assert_eq!(last_customer(&s).kind, LineKind::Script, "{:?}", s.transcript());
    let s = play(listening(), &["请提供一下订单号。"]);
    assert_eq!(last_customer(&s).kind, LineKind::Script, "{:?}", s.transcript());
    assert!(last_customer(&s).text.starts_with("订单号 DD123"), "{}", last_customer(&s).text);
}
