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
    // Patience 10 s, counted as the 50 s floor: 50 s over out of 100 s of slack.
    let slow = score(&e, "open", "李总您好，非常抱歉，我马上帮您核实。", 40.0, Some(100.0));
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

/// A scenario whose only turn lists one optional concept per named shared group (`g0` …), so
/// the groups can be heard alone, through the shipped lexicons and acts.
fn group_probe(groups: &[&str]) -> (tempfile::TempDir, Engine) {
    let concepts: String =
        groups.iter().enumerate().map(|(i, g)| format!("\"g{i}\": (label: \"{g}\", groups: [\"{g}\"]),\n")).collect();
    let optional: Vec<String> = (0..groups.len()).map(|i| format!("\"g{i}\"")).collect();
    let text = format!(
        r#"Scenario(
    id: "fixture-group-probe", title: "测试：同义词组", version: 1, skills: [Empathy], difficulty: 1,
    channel: Phone, provenance: ["fixture"],
    persona: (kind: Normal, name: "赵雷", title: "赵先生", mood: 30, patience_secs: 20),
    concepts: {{ {concepts} }},
    turns: [(id: "open", customer: [(text: "喂？")], expect: (optional: [{}], model_answer: "您好。"),
             next: [(when: Always, goto: "done")])],
    endings: [(id: "done", kind: Resolved)],
    escalation: (policy: SolveYourself),
)"#,
        optional.join(", ")
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("group-probe.ron");
    std::fs::write(&path, text).unwrap();
    let e = engine(&path);
    (dir, e)
}

/// Checks that each answer hits (`true`) or does not hit (`false`) the group it is listed with.
fn assert_groups_hear(cases: &[(&str, &str, bool)]) {
    let mut groups: Vec<&str> = cases.iter().map(|c| c.0).collect();
    groups.sort_unstable();
    groups.dedup();
    let (_dir, e) = group_probe(&groups);
    let mut wrong = Vec::new();
    for &(group, answer, expected) in cases {
        let concept = format!("g{}", groups.iter().position(|g| *g == group).unwrap());
        let s = score(&e, "open", answer, 30.0, None);
        if s.hit(&concept) != expected {
            let heard: Vec<&str> = s.hits.iter().map(|h| groups[h[1..].parse::<usize>().unwrap()]).collect();
            let how = if expected { "missed" } else { "wrongly hit" };
            wrong.push(format!("{group} {how} 「{answer}」 (heard {heard:?})"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn shared_groups_hear_what_trainees_say_in_their_own_words() {
    assert_groups_hear(&[
        // Follow-up, in everyday words.
        ("跟进", "这件事我给您盯着，您不用再打过来了。", true),
        ("跟进", "我会一直盯住这个单子，直到办完。", true),
        ("跟进", "后面的进度我帮您追一下。", true),
        ("跟进", "这事我亲自过问，一管到底。", true),
        ("跟进", "您跟着我的步骤点下一步。", false),
        ("跟进", "感谢您一直以来的关注。", false),
        ("跟进", "这个我没法帮您跟进。", false),
        // A callback.
        ("回电", "我回头给您回个电话。", true),
        ("回电", "处理完了我打电话告诉您。", true),
        ("回电", "今天下午工程师会和您联系。", true),
        ("回电", "一有结果我就跟您说一声。", true),
        ("回电", "您方便的话留一个联系电话。", false),
        ("回电", "请您与我们的客服联系。", false),
        ("回电", "我这边没法给您回电话。", false),
        // An apology and empathy, colloquially.
        ("道歉", "真是对不住，给您添堵了。", true),
        ("道歉", "这次还请您多多包涵。", true),
        ("共情", "这事换了我也一样窝火。", true),
        ("共情", "换谁都受不了这么折腾。", true),
        ("共情", "请您理解一下我们的规定。", false),
        ("共情", "换成我们的新套餐更划算。", false),
        ("安抚", "您先别慌，有我在。", true),
        ("安抚", "这个您放宽心。", true),
        // Checking, speeding up, authority, a card frozen, thanks.
        ("核实", "我先帮您核对一下信息。", true),
        ("核实", "我这边查到您的订单了。", true),
        ("加急", "我马上帮您催一催。", true),
        ("加急", "这个给您走绿色通道，抓紧处理。", true),
        ("加急", "我们会尽快安排。", false),
        ("权限说明", "退多少我得先请示领导，我这边批不了。", true),
        ("冻结卡", "我先把您的卡暂停交易。", true),
        ("已冻结", "卡已经锁上了，谁也转不走。", true),
        ("致谢", "谢啦，多亏您提醒。", true),
        ("致谢", "好的，我知道了。", false),
        ("补偿", "差价我们全额赔给您。", true),
        ("补偿", "另外赠送您一张二十元的话费券。", true),
        ("退款", "钱会原路返还到您的账户。", true),
        ("退款", "这笔钱没法退还。", false),
        ("转接", "我把您的情况转交给专员处理。", true),
        ("转接", "我请我们主管来跟您谈。", true),
        ("转接", "手机系统升级一下就好了。", false),
        ("领导", "我请值班经理来跟您说。", true),
        // Deadlines: a time, not a hurry.
        ("时效", "两天之内给您结果。", true),
        ("时效", "今天下班前一定办好。", true),
        ("时效", "我们会尽快处理。", false),
        ("时效", "我马上帮您查。", false),
    ]);
}

#[test]
fn new_shared_groups_record_visit_text_unsubscribe_rebook_and_police() {
    assert_groups_hear(&[
        // 记录: the complaint is written down — not a record that already exists.
        ("记录", "您说的情况我都记下了。", true),
        ("记录", "我已经给您登记好了。", true),
        ("记录", "这些我会写进工单，后面的同事一看就知道。", true),
        ("记录", "我在系统里给您备注上了。", true),
        ("记录", "我查了一下您的通话记录。", false),
        ("记录", "请您记下这个工单号。", false),
        ("记录", "过户需要先做实名登记。", false),
        ("记录", "您的密码我不能帮您记下。", false),
        // 上门: someone comes round.
        ("上门", "明天派师傅上门给您看。", true),
        ("上门", "我安排工程师到您家里测一下。", true),
        ("上门", "您回到家里再试一下信号。", false),
        ("上门", "这个我们没法上门。", false),
        // 短信通知
        ("短信通知", "办好以后给您发条短信。", true),
        ("短信通知", "结果会用短信告诉您。", true),
        ("短信通知", "您收到的这条是诈骗短信。", false),
        // 退订
        ("退订", "这个包月业务我现在就给您退订。", true),
        ("退订", "我帮您取消订购，下个月起不再扣费。", true),
        ("退订", "这个业务我没法给您取消。", false),
        // 改签
        ("改签", "可以免费给您改到明早的航班。", true),
        ("改签", "也可以给您改期到下周。", true),
        ("改签", "航班是因为天气延误的。", false),
        // 报警
        ("报警", "建议您马上去派出所报案。", true),
        ("报警", "您先打110说明情况。", true),
    ]);
}

/// A shipped scenario, read with the shipped lexicons.
fn shipped(name: &str) -> Engine {
    engine(&crate::support::root().join("scenarios").join(format!("{name}.ron")))
}

/// A scenario and its cases: (turn, answer, concept, hit?).
type ConceptCases<'a> = (&'a str, &'a [(&'a str, &'a str, &'a str, bool)]);

#[test]
fn shipped_concepts_hear_plain_speech_and_numbers_in_words() {
    // Each scenario: (turn, answer, concept, hit?).
    let cases: &[ConceptCases] = &[
        (
            "signal-complaint-repeat",
            &[
                ("doubt", "这事我给您盯着，后天我打电话告诉您进展。", "follow_up", true),
                ("doubt", "网络部门会处理的，您等着就行。", "follow_up", false),
                ("place", "我派工程师到您家里测一下，两天之内一定到。", "ticket", true),
                ("place", "我派工程师到您家里测一下，两天之内一定到。", "timeline", true),
                ("place", "我们会尽快处理的。", "timeline", false),
                ("open", "这都第三回了，实在抱歉，您家在哪个小区？", "priority", true),
            ],
        ),
        (
            "angry-repeat-repair-failure",
            &[
                ("history", "我看到了，这台电视已经修了三回了。", "acknowledge", true),
                ("history", "记录上这是第3次维修了。", "acknowledge", true),
                ("history", "您之前修过吗？", "acknowledge", false),
                ("refund_demand", "明天安排工程师过去看，审核结果两天内出来。", "inspect", true),
                ("refund_demand", "明天安排工程师过去看，审核结果两天内出来。", "timeline", true),
            ],
        ),
        (
            "legal-threat-special-number-minimum",
            &[
                ("check", "协议确实到期了，您说的我都记下了，会写进工单。", "record", true),
                ("open", "您都投诉三回了，真对不住。", "empathy", true),
            ],
        ),
        ("angry-media-exposure-threat", &[("details", "您的诉求我都记下了，我这就转给专员。", "record", true)]),
        (
            "angry-sim-transfer-runaround",
            &[
                ("waiting", "一天之内一定有专员给您回电话。", "timeline", true),
                ("waiting", "您再耐心等等吧。", "timeline", false),
            ],
        ),
        (
            "password-reset-solve-yourself",
            &[
                ("worried", "这个我在线上就能帮您弄好，不用跑营业厅。", "can_do", true),
                ("worried", "这个得您本人去营业厅办。", "can_do", false),
                ("worried", "您现在可以去营业厅办。", "can_do", false),
            ],
        ),
        ("angry-telecom-bill-overcharge", &[("found", "这个业务我现在就给您取消订购。", "unsubscribe", true)]),
        ("anxious-bank-card-fraud-freeze", &[("money_back", "追回我没法保证，您尽快去派出所报案。", "police", true)]),
        ("anxious-flight-delay-meeting", &[("options", "可以给您免费改到明早的航班。", "free_change", true)]),
        ("vip-airport-roaming-priority", &[("lounge", "贵宾厅卡号我给您发条短信。", "sms", true)]),
        (
            "angry-late-delivery-refund",
            &[
                ("push_back", "我这就帮您催一催，这事我给您盯着。", "follow_up", true),
                ("push_back", "我这就帮您催一催，这事我给您盯着。", "expedite", true),
            ],
        ),
    ];
    let mut wrong = Vec::new();
    for &(name, answers) in cases {
        let e = shipped(name);
        for &(turn, answer, concept, expected) in answers {
            let s = score(&e, turn, answer, 50.0, None);
            if s.hit(concept) != expected {
                wrong.push(format!("{name}/{turn} {concept} {expected}: 「{answer}」 hits {:?}", s.hits));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The answers a QA supervisor judged one way and the keyword scorer the other, on the shipped
/// scenarios: (scenario, turn, mood, answer, lowest, highest).
#[test]
fn shipped_scenarios_judge_behaviour_not_keywords() {
    let cases: &[(&str, &str, f32, &str, f32, f32)] = &[
        // Blame shifted in other words than the red line's.
        (
            "angry-late-delivery-refund",
            "open",
            85.0,
            "王先生非常抱歉让您久等了，换作是我也会着急。不过退款这块不归我们管，麻烦您提供一下退货单号。",
            0.0,
            10.0,
        ),
        // Sarcasm after a good start.
        (
            "angry-late-delivery-refund",
            "open",
            85.0,
            "王先生非常抱歉让您久等了，我马上帮您查。呵呵，不过您这脾气也真够大的。",
            0.0,
            10.0,
        ),
        // A promise the briefing forbids, in words no red line lists.
        (
            "anxious-bank-card-fraud-freeze",
            "money_back",
            40.0,
            "我理解您着急，您放心，这笔钱我们肯定帮您追回来。",
            0.0,
            10.0,
        ),
        // Asking for a password.
        (
            "password-reset-solve-yourself",
            "verified",
            30.0,
            "好的，身份核实通过了。您想改成什么新密码可以先告诉我，我帮您记一下。",
            0.0,
            10.0,
        ),
        // Follow-up and callback in ordinary words.
        (
            "angry-late-delivery-refund",
            "push_back",
            25.0,
            "我明白您已经等得很烦了。我这边已经提交加急，这件事我亲自盯到底，明天下午三点前一定打电话告诉您结果。",
            70.0,
            100.0,
        ),
        // Colloquial apology.
        (
            "angry-late-delivery-refund",
            "open",
            85.0,
            "王先生，搁谁都窝火，我先给您赔个不是。您把退货单号报给我，我马上查。",
            70.0,
            100.0,
        ),
        // A topic-first refusal of what the briefing forbids promising, then the allowed remedy.
        (
            "angry-telecom-bill-overcharge",
            "refund_ask",
            60.0,
            "双倍赔偿我这边确实给不了，不过这45元增值业务费我马上给您退回话费账户，3个工作日内到账。",
            70.0,
            100.0,
        ),
        // The same remedy with the forbidden promise.
        (
            "angry-telecom-bill-overcharge",
            "refund_ask",
            60.0,
            "我给您双倍赔偿，这45元增值业务费我马上给您退回话费账户，3个工作日内到账。",
            0.0,
            10.0,
        ),
        // Courtesy and nothing else.
        ("angry-late-delivery-refund", "open", 85.0, "您好，您好，非常感谢您的来电，祝您生活愉快。", 0.0, 40.0),
    ];
    let mut wrong = Vec::new();
    for &(scenario, turn, mood, answer, lowest, highest) in cases {
        let s = score(&shipped(scenario), turn, answer, mood, None);
        if !(lowest..=highest).contains(&s.overall) {
            wrong.push(format!(
                "{scenario}/{turn}: {answer} scored {:.1}, expected {lowest}–{highest} ({:?})",
                s.overall, s.capped
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn conduct_breaches_are_named_with_the_trainees_words_and_fail_the_call() {
    let e = shipped("angry-late-delivery-refund");
    let s = score(&e, "open", "王先生非常抱歉让您久等了，我马上帮您查。呵呵，不过您这脾气也真够大的。", 85.0, None);
    let sarcasm = s.conduct.iter().find(|b| b.act == peilian::text::acts::Act::Sarcasm).expect("sarcasm named");
    assert!(sarcasm.quote.contains("呵呵"), "{sarcasm:?}");
    assert!(sarcasm.fails_call);
    assert!(s.overall <= sarcasm.cap);
    let s = score(&e, "open", "不过退款这块不归我们管，麻烦您提供一下退货单号。", 85.0, None);
    let shift = s.conduct.iter().find(|b| b.act == peilian::text::acts::Act::ShiftBlame).expect("blame shift named");
    assert!(shift.quote.contains("不归我们管"), "{shift:?}");
}

#[test]
fn an_answer_that_does_nothing_scores_zero_in_every_rubric() {
    let e = shipped("angry-telecom-bill-overcharge");
    for nothing in ["ls -la /home && cargo build", "。。。", "？？", "asdfgh"] {
        let s = score(&e, "refund_ask", nothing, 60.0, Some(2.0));
        assert_eq!(s.overall, 0.0, "{nothing}");
        for (name, r) in &s.rubrics {
            assert_eq!(r.score, 0.0, "{nothing}: {name}");
        }
    }
}

#[test]
fn hostile_words_register_hostility_and_warm_ones_empathy() {
    let e = shipped("angry-late-delivery-refund");
    for hostile in
        ["你吼什么吼", "滚，别烦我", "神经病吧你", "爱等不等，不行你就投诉吧", "会员了不起啊？", "吓唬谁呢？"]
    {
        let t = e.analyzer.tone(hostile);
        assert!(t.hostility >= 0.5, "{hostile}: {}", t.hostility);
    }
    for warm in
        ["给您带来这么大的困扰，我代表公司向您诚恳道歉", "听得出来您真的很着急，换谁等一周都会生气的，这是我们的失误"]
    {
        let t = e.analyzer.tone(warm);
        assert!(t.empathy >= 0.4 && t.hostility == 0.0, "{warm}: {} {}", t.empathy, t.hostility);
    }
}

#[test]
fn a_forbidden_promise_never_counts_as_reassurance() {
    let e = shipped("anxious-bank-card-fraud-freeze");
    let s = score(&e, "money_back", "我理解您着急，您放心，这笔钱我们肯定帮您追回来。", 40.0, None);
    let tone = &s.rubrics["tone"].reasons;
    assert!(tone.iter().any(|r| r.contains("不算安心承诺")), "{tone:?}");
    assert!(!tone.iter().any(|r| r.contains("✓ 给出了安心承诺")), "{tone:?}");
    assert_eq!(s.red_lines, ["承诺钱一定能追回"]);
}
