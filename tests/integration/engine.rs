//! The session engine: determinism, rewind, silence, hang-up, escalation timing, errors.

use peilian::scoring::escalation::Timing;
use peilian::session::{Event, LineKind, Mode, Outcome, Session, SessionError};

use crate::support::{engine, fixture};

const GOOD_VIP: &str = "李总您好，非常抱歉给您添麻烦了，我马上帮您核实订单 DD20261118 的扣款。";
const NOTE: &str = "李总订单 DD20261118 重复扣款，需退回多扣款项";

fn vip() -> peilian::session::Engine {
    engine(&fixture("valid/vip-window.ron"))
}

fn angry() -> peilian::session::Engine {
    engine(&fixture("valid/angry-trigger.ron"))
}

#[test]
fn same_seed_and_answers_give_identical_transcript_and_scores() {
    let play = |seed| {
        let (mut s, mut events) = Session::start(vip(), seed, Mode::Practice);
        events.extend(s.answer(GOOD_VIP, 3000).unwrap());
        events.extend(s.answer("李总，多扣的款项会原路退回，我这就为您提交退款。", 5000).unwrap());
        events.extend(s.transfer(NOTE, 1000).unwrap());
        (
            serde_json::to_string(&events).unwrap(),
            serde_json::to_string(s.transcript()).unwrap(),
            serde_json::to_string(&s.scorecard()).unwrap(),
        )
    };
    assert_eq!(play(9), play(9));
    // Variant choice depends on the seed (the opening has two variants).
    let openings: std::collections::BTreeSet<String> =
        (0..10).map(|seed| play(seed).1.chars().take(60).collect()).collect();
    assert!(openings.len() > 1);
}

#[test]
fn rewind_restores_the_turn_and_mood() {
    let (mut s, _) = Session::start(angry(), 1, Mode::Practice);
    let mood_at_1 = s.mood();
    let first_line = s.transcript()[0].text.clone();
    s.answer("不归我管，你自己看。", 1000).unwrap();
    assert!(s.is_over(), "blame and a red line make this customer hang up");
    // Rewinding works after the end too.
    let events = s.rewind(1).unwrap();
    assert_eq!(events, vec![Event::Rewound { turn: 1, mood: mood_at_1, line: first_line.clone() }]);
    assert_eq!(s.turn(), 1);
    assert_eq!(s.mood(), mood_at_1);
    assert_eq!(s.transcript().len(), 1);
    assert_eq!(s.transcript()[0].text, first_line, "the same line as before");
    assert!(s.turn_scores().is_empty());
    // Trying again from the rewound point is the same as a fresh call with the new answer.
    s.answer("非常抱歉让您着急了，我马上帮您查退款进度。", 1000).unwrap();
    let (mut fresh, _) = Session::start(angry(), 1, Mode::Practice);
    fresh.answer("非常抱歉让您着急了，我马上帮您查退款进度。", 1000).unwrap();
    assert_eq!(serde_json::to_string(&s.scorecard()).unwrap(), serde_json::to_string(&fresh.scorecard()).unwrap());
}

#[test]
fn rewind_is_refused_in_exam_and_out_of_range() {
    let (mut exam, _) = Session::start(angry(), 1, Mode::Exam);
    exam.answer("非常抱歉。", 1000).unwrap();
    assert_eq!(exam.rewind(1), Err(SessionError::RewindInExam));
    let (mut practice, _) = Session::start(angry(), 1, Mode::Practice);
    assert_eq!(practice.rewind(3), Err(SessionError::RewindOutOfRange { turn: 3, max: 1 }));
    assert_eq!(practice.rewind(0), Err(SessionError::RewindOutOfRange { turn: 0, max: 1 }));
}

#[test]
fn silence_past_patience_nudges_once_and_inflames() {
    let (mut s, _) = Session::start(angry(), 1, Mode::Practice);
    assert!(s.silence(45_000, 0).unwrap().is_empty(), "within patience (at least 50 s) nothing happens");
    let before = s.mood();
    let events = s.silence(51_000, 0).unwrap();
    assert!(
        events.iter().any(
            |e| matches!(e, Event::CustomerSaid { kind: LineKind::SilenceNudge, text, .. } if text == "喂？还在吗？")
        ),
        "{events:?}"
    );
    assert!(s.mood() > before);
    assert!(s.silence(90_000, 0).unwrap().is_empty(), "only once per turn");
}

#[test]
fn hostile_answers_make_the_customer_hang_up() {
    let (mut s, _) = Session::start(angry(), 1, Mode::Practice);
    let mut turns = 0;
    while !s.is_over() && turns < 6 {
        s.answer("不归我管，你自己看！！", 1000).unwrap();
        turns += 1;
    }
    assert_eq!(s.outcome(), Outcome::CustomerHungUp);
    assert_eq!(s.mood(), 100.0);
    let card = s.scorecard();
    assert!(!card.passed);
    assert!(card.capped.is_some());
    assert!(card.overall <= 40.0);
    assert_eq!(s.answer("您好", 0), Err(SessionError::CallOver));
}

#[test]
fn empty_and_huge_answers_are_refused() {
    let (mut s, _) = Session::start(vip(), 1, Mode::Practice);
    assert_eq!(s.answer("   ", 0), Err(SessionError::EmptyAnswer));
    let huge = "好".repeat(3000);
    assert_eq!(s.answer(&huge, 0), Err(SessionError::AnswerTooLong { chars: 3000, max: 2000 }));
    assert!(s.transcript().len() == 1, "nothing was added");
}

/// Plays the VIP fixture transferring at `turn` (None: never) and returns the timing.
fn vip_transfer_at(turn: Option<u32>) -> (Timing, f32) {
    let (mut s, _) = Session::start(vip(), 1, Mode::Practice);
    let answers = [GOOD_VIP, "李总，多扣的款项会原路退回，我这就为您提交退款。", "李总，已为您加急，请您放心。"];
    for (i, a) in answers.iter().enumerate() {
        if turn == Some(i as u32 + 1) {
            s.transfer(NOTE, 1000).unwrap();
            break;
        }
        s.answer(a, 2000).unwrap();
    }
    let card = s.scorecard();
    (card.escalation.timing, card.escalation.score.score)
}

#[test]
fn window_policy_timing() {
    assert_eq!(vip_transfer_at(Some(1)).0, Timing::Early);
    assert_eq!(vip_transfer_at(Some(2)), (Timing::OnTime, 100.0));
    assert_eq!(vip_transfer_at(Some(3)), (Timing::OnTime, 100.0));
    assert_eq!(vip_transfer_at(None), (Timing::Missed, 0.0));
}

/// Plays the angry fixture (supervisor demanded in turn 2, grace 1) transferring at `turn`.
fn angry_transfer_at(turn: Option<u32>) -> (Timing, Option<u32>) {
    let (mut s, _) = Session::start(angry(), 1, Mode::Practice);
    for t in 1..=4 {
        if s.is_over() {
            break;
        }
        if turn == Some(t) {
            s.transfer("客户退款未到账，情绪激动", 1000).unwrap();
            break;
        }
        s.answer("非常抱歉让您着急了，我马上帮您查退款进度。", 1000).unwrap();
    }
    let card = s.scorecard();
    (card.escalation.timing, card.escalation.trigger_turn)
}

#[test]
fn trigger_policy_timing() {
    assert_eq!(angry_transfer_at(Some(1)), (Timing::Early, None));
    assert_eq!(angry_transfer_at(Some(2)), (Timing::OnTime, Some(2)));
    assert_eq!(angry_transfer_at(Some(3)), (Timing::OnTime, Some(2)), "within the grace turn");
    assert_eq!(angry_transfer_at(Some(4)).0, Timing::Late);
    assert_eq!(angry_transfer_at(None).0, Timing::Missed);
}

#[test]
fn solve_yourself_policy() {
    let e = engine(&fixture("valid/solve-yourself.ron"));
    let (mut s, _) = Session::start(e.clone(), 1, Mode::Practice);
    s.transfer("客户忘记密码", 1000).unwrap();
    let card = s.scorecard();
    assert_eq!((card.escalation.timing, card.escalation.score.score), (Timing::Premature, 0.0));
    assert!(!card.passed);
    // Both a transfer before any answer and a transfer of a call to solve cap it; the latter is named.
    assert_eq!(card.capped.as_deref(), Some("本案应自行解决，却转接了：本次不通过"));
    let (mut s, _) = Session::start(e, 1, Mode::Practice);
    s.answer("您好，请点击“忘记密码”，输入验证码后重置密码即可。", 1000).unwrap();
    assert_eq!(s.outcome(), Outcome::Resolved);
    let card = s.scorecard();
    assert_eq!(card.escalation.timing, Timing::NotNeeded);
    assert!(card.passed, "{:?}", card.summary);
}

#[test]
fn handoff_note_facts_are_scored() {
    let (mut s, _) = Session::start(vip(), 1, Mode::Practice);
    s.answer(GOOD_VIP, 1000).unwrap();
    s.transfer(NOTE, 1000).unwrap();
    let full = s.scorecard().escalation;
    assert_eq!(full.facts_carried, vec!["订单号", "重复扣款"]);
    assert_eq!(full.score.score, 100.0);

    let (mut s, _) = Session::start(vip(), 1, Mode::Practice);
    s.answer(GOOD_VIP, 1000).unwrap();
    s.transfer("", 1000).unwrap();
    let empty = s.scorecard().escalation;
    assert_eq!(empty.facts_missing.len(), 2);
    // On time (100) but the note carries nothing: 100 × 0.7.
    assert_eq!(empty.score.score, 70.0);
}

#[test]
fn supervisor_demand_fires_the_trigger_event() {
    let (mut s, _) = Session::start(angry(), 1, Mode::Practice);
    let events = s.answer("非常抱歉让您着急了，我马上帮您查退款进度。", 1000).unwrap();
    assert!(events.iter().any(|e| matches!(e, Event::EscalationTriggered { turn: 2, .. })), "{events:?}");
}

#[test]
fn a_transfer_announced_in_the_answer_counts_at_that_turn() {
    // Supervisor demanded in turn 2, grace 1: transferring at turn 4 is late…
    assert_eq!(angry_transfer_at(Some(4)).0, Timing::Late);
    // …unless the answer to turn 3 told the customer about the transfer.
    let (mut s, _) = Session::start(angry(), 1, Mode::Practice);
    s.answer("非常抱歉让您着急了，我马上帮您查退款进度。", 1000).unwrap();
    s.answer("非常抱歉，我理解您的心情。", 1000).unwrap();
    s.answer("抱歉让您久等了，我现在就为您转接主管。", 1000).unwrap();
    assert_eq!(s.turn(), 4);
    s.transfer("客户退款未到账，情绪激动", 1000).unwrap();
    let esc = s.scorecard().escalation;
    assert_eq!((esc.timing, esc.transfer_turn), (Timing::OnTime, Some(3)));
    assert!(esc.score.reasons.iter().any(|r| r.contains("已告知客户转接")), "{:?}", esc.score.reasons);
    // A negated mention ("不用转接") is not an announcement.
    let (mut s, _) = Session::start(angry(), 1, Mode::Practice);
    s.answer("非常抱歉让您着急了，我马上帮您查退款进度。", 1000).unwrap();
    s.answer("非常抱歉，我理解您的心情。", 1000).unwrap();
    s.answer("抱歉，这个不用转接，我来处理。", 1000).unwrap();
    s.transfer("客户退款未到账", 1000).unwrap();
    assert_eq!(s.scorecard().escalation.timing, Timing::Late);
}

#[test]
fn an_announcement_never_makes_a_transfer_worse() {
    // Window 2–3: announcing in turn 1 and transferring in turn 2 stays on time.
    let (mut s, _) = Session::start(vip(), 1, Mode::Practice);
    s.answer("李总您好，非常抱歉，我这就为您转接专席处理扣款。", 1000).unwrap();
    s.transfer(NOTE, 1000).unwrap();
    let esc = s.scorecard().escalation;
    assert_eq!((esc.timing, esc.transfer_turn), (Timing::OnTime, Some(2)));
}

#[test]
fn transferring_without_a_word_cannot_pass() {
    let (mut s, _) = Session::start(vip(), 1, Mode::Practice);
    s.transfer(NOTE, 1000).unwrap();
    let card = s.scorecard();
    assert!(!card.passed);
    assert!(card.capped.as_deref().is_some_and(|c| c.contains("没有回答")), "{:?}", card.capped);
}

#[test]
fn a_mood_trigger_fires_at_the_turn_the_customer_is_that_upset() {
    let text = std::fs::read_to_string(fixture("valid/angry-trigger.ron")).unwrap().replace(
        "policy: OnTrigger(triggers: [DemandsSupervisor], grace: 1)",
        "policy: OnTrigger(triggers: [MoodAtLeast(80)], grace: 0)",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mood-trigger.ron");
    std::fs::write(&path, text).unwrap();
    let (mut s, _) = Session::start(engine(&path), 1, Mode::Practice);
    s.answer("查吧", 1000).unwrap(); // curt: the mood passes 80
    assert!(s.mood() >= 80.0, "{}", s.mood());
    assert_eq!(s.turn(), 2);
    s.transfer("客户退款未到账", 1000).unwrap();
    let esc = s.scorecard().escalation;
    assert_eq!((esc.trigger_turn, esc.timing), (Some(2), Timing::OnTime));
}

#[test]
fn transferring_a_call_the_agent_should_solve_fails_it() {
    // The minimal fixture is SolveYourself: a good first answer, then a transfer at turn 2.
    let (mut s, _) = Session::start(engine(&fixture("valid/minimal.ron")), 1, Mode::Practice);
    s.answer("非常抱歉给您添麻烦了，我马上帮您查一下快递。", 1000).unwrap();
    assert_eq!(s.turn(), 2);
    s.transfer("客户快递丢失", 1000).unwrap();
    let card = s.scorecard();
    assert_eq!(card.outcome, Outcome::Transferred);
    assert_eq!((card.escalation.timing, card.escalation.score.score), (Timing::Premature, 0.0));
    assert_eq!(card.escalation.score.reasons[0], "第 2 回合转接，但本案在坐席权限内，应自行解决");
    // Without the rule the answer alone would carry the call over the pass mark.
    let uncapped = peilian::scoring::weighted_overall(card.rubrics.values());
    assert!(uncapped >= card.pass_mark, "{uncapped}");
    assert!(!card.passed);
    assert_eq!(card.overall, card.pass_mark - 30.0);
    assert_eq!(card.capped.as_deref(), Some("本案应自行解决，却转接了：总分封顶 40 分"));
}

#[test]
fn hanging_up_on_the_customer_mid_call_fails_it() {
    let (mut s, _) = Session::start(engine(&fixture("valid/minimal.ron")), 1, Mode::Practice);
    s.answer("非常抱歉给您添麻烦了，我马上帮您查一下快递。", 1000).unwrap();
    s.hang_up().unwrap();
    let card = s.scorecard();
    assert_eq!(card.outcome, Outcome::AgentHungUp);
    // Every rubric is good (no transfer was due): only the hang-up fails the call.
    let uncapped = peilian::scoring::weighted_overall(card.rubrics.values());
    assert!(uncapped >= card.pass_mark, "{uncapped}");
    assert_eq!(card.escalation.timing, Timing::NotNeeded);
    assert!(!card.passed);
    assert_eq!(card.overall, 40.0);
    assert_eq!(card.capped.as_deref(), Some("坐席在问题解决前挂断：总分封顶 40 分"));
}

fn fraud() -> peilian::session::Engine {
    engine(&crate::support::root().join("scenarios/anxious-bank-card-fraud-freeze.ron"))
}

#[test]
fn a_transfer_before_the_card_is_frozen_is_premature_in_the_window() {
    // Turn 1 asks for the card without freezing; turn 2 never confirms the freeze, so the
    // customer asks again in turn 3 ("到底冻上没有？"), where the trainee transfers.
    let play = |e: peilian::session::Engine| {
        let (mut s, _) = Session::start(e, 9, Mode::Practice);
        s.answer("刘女士您别着急，麻烦您报一下卡号后四位和身份证后四位。", 1000).unwrap();
        s.answer("好的刘女士，核实好了，请您稍等。", 1000).unwrap();
        assert_eq!(s.pending_turn_id(), Some("not_sure"));
        assert_eq!(s.turn(), 3);
        s.transfer("刘女士卡号尾号3391，被骗转走4800元，请登记。", 1000).unwrap();
        s.scorecard().escalation
    };
    let esc = play(fraud());
    assert_eq!((esc.timing, esc.transfer_turn), (Timing::Premature, Some(3)));
    assert_eq!(esc.score.reasons[0], "第 3 回合转接，但转接前应先完成：确认已冻结、不会再被转走");
    assert_eq!(esc.missing_before_transfer, vec!["确认已冻结、不会再被转走"]);
    // Without `before_transfer` the window alone called it on time.
    let text = std::fs::read_to_string(crate::support::root().join("scenarios/anxious-bank-card-fraud-freeze.ron"))
        .unwrap()
        .replace("before_transfer: [\"frozen_confirm\"],", "");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fraud-no-before.ron");
    std::fs::write(&path, text).unwrap();
    let esc = play(engine(&path));
    assert_eq!(esc.timing, Timing::OnTime);
    assert_eq!(esc.score.reasons[0], "第 3 回合转接，在应转接的第 3–4 回合内 ✓");
}

/// The fraud scenario's model answers from the opening to `advice`, in order.
fn fraud_model_answers(e: &peilian::session::Engine, s: &mut Session) {
    for id in ["open", "verified", "money_back", "advice"] {
        assert_eq!(s.pending_turn_id(), Some(id));
        let i = e.scenario.turn_index(id).unwrap();
        let answer = e.scenario.scenario.turns[i].expect.model_answer.clone();
        s.answer(&answer, 2000).unwrap();
    }
}

#[test]
fn the_fraud_model_path_transfers_on_time_after_the_customer_asks_how_long() {
    let e = fraud();
    let (mut s, _) = Session::start(e.clone(), 9, Mode::Practice);
    fraud_model_answers(&e, &mut s);
    // Told at turn 3 and again at 4; the customer asks how long it takes; the transfer follows.
    assert_eq!((s.pending_turn_id(), s.turn()), (Some("hold"), 5));
    s.transfer("刘女士，卡号尾号3391，已冻结；被冒充航空公司骗取验证码，转出4800元；已提醒报警。", 1000).unwrap();
    let card = s.scorecard();
    assert_eq!((card.escalation.timing, card.escalation.transfer_turn), (Timing::OnTime, Some(3)));
    assert_eq!(card.escalation.score.reasons[0], "第 3 回合转接，在应转接的第 3–4 回合内 ✓");
    assert!(card.escalation.score.reasons[1].starts_with("第 3 回合的回答已告知客户转接（「"));
    assert_eq!(card.escalation.unkept_announcement, None);
    assert_eq!(card.outcome, Outcome::Transferred);
    assert!(card.passed, "{:?}", card.summary);
}

#[test]
fn an_announced_transfer_that_never_happens_is_named_and_missed() {
    let e = fraud();
    let (mut s, _) = Session::start(e.clone(), 9, Mode::Practice);
    fraud_model_answers(&e, &mut s);
    s.answer("您别着急，刘女士，一两分钟就有专人接听，请您放心。", 1000).unwrap();
    assert!(s.is_over());
    let card = s.scorecard();
    let esc = &card.escalation;
    assert_eq!((esc.timing, esc.score.score), (Timing::Missed, 0.0));
    let (turn, words) = esc.unkept_announcement.clone().expect("named");
    assert_eq!(turn, 3);
    let line = format!("第 3 回合已告知客户转接（「{words}」），但直到通话结束都没有转接");
    assert!(esc.score.reasons.contains(&line), "{:?}", esc.score.reasons);
    assert!(card.summary.contains(&"第 3 回合已告知客户转接，却始终没有转接".to_string()), "{:?}", card.summary);
}

#[test]
fn answering_a_question_after_announcing_the_transfer_is_not_penalised() {
    // Supervisor demanded at turn 2 (grace 1). The answer to turn 2 announces the transfer, the
    // answer to turn 3 does not; the transfer at turn 4 still counts at turn 2.
    let (mut s, _) = Session::start(angry(), 1, Mode::Practice);
    s.answer("非常抱歉让您着急了，我马上帮您查退款进度。", 1000).unwrap();
    s.answer("非常抱歉，我现在就为您转接主管。", 1000).unwrap();
    s.answer("抱歉让您久等，主管马上就来，请您稍等。", 1000).unwrap();
    assert_eq!(s.turn(), 4);
    s.transfer("客户退款未到账，情绪激动", 1000).unwrap();
    let esc = s.scorecard().escalation;
    assert_eq!((esc.timing, esc.transfer_turn), (Timing::OnTime, Some(2)));
    assert_eq!(esc.unkept_announcement, None);
}

#[test]
fn an_announcement_is_kept_only_by_a_later_transfer() {
    // Announced at turn 2, the call runs out at turn 4: named, and missed (a supervisor was due).
    let (mut s, _) = Session::start(angry(), 1, Mode::Practice);
    s.answer("非常抱歉让您着急了，我马上帮您查退款进度。", 1000).unwrap();
    s.answer("非常抱歉，我现在就为您转接主管。", 1000).unwrap();
    assert_eq!(s.scorecard().escalation.unkept_announcement, None, "not while the call goes on");
    s.answer("抱歉让您久等，主管马上就来。", 1000).unwrap();
    s.answer("非常抱歉给您添麻烦了。", 1000).unwrap();
    assert_eq!(s.outcome(), Outcome::Unresolved);
    let esc = s.scorecard().escalation;
    assert_eq!(esc.timing, Timing::Missed);
    assert_eq!(esc.unkept_announcement.map(|(t, _)| t), Some(2));
}

fn mood_after(answer: &str) -> (f32, f32) {
    let e = engine(&crate::support::root().join("scenarios/angry-late-delivery-refund.ron"));
    let (mut s, _) = Session::start(e, 1, Mode::Practice);
    let before = s.mood();
    s.answer(answer, 3000).unwrap();
    (before, s.mood())
}

#[test]
fn the_mood_follows_what_the_agent_did() {
    let (before, after_sarcasm) = mood_after("我马上帮您查。呵呵，不过您这脾气也真够大的。");
    assert!(after_sarcasm >= before + 10.0, "sarcasm inflames: {before} → {after_sarcasm}");
    let (_, after_vague) = mood_after("您好，感谢您的来电，请您耐心等待。");
    assert!(
        (after_vague - before).abs() < 20.0,
        "a polite but empty answer moves the mood a little: {before} → {after_vague}"
    );
    let (_, after_good) =
        mood_after("王先生，真是对不住，让您等了这么久，换谁都着急。您把退货单号报给我，我马上帮您查退款到哪一步了。");
    assert!(after_good < before, "a good answer calms: {before} → {after_good}");
    assert!(after_good < after_vague && after_vague < after_sarcasm);
}
