//! Plain-text rendering of a call and its scorecard for the terminal.

use std::fmt::Write as _;

use peilian::scenario::compiled::CompiledScenario;
use peilian::scoring::incidents::{Incident, kind_label};
use peilian::scoring::scorecard::Scorecard;
use peilian::scoring::turn::TurnScore;
use peilian::scoring::{RUBRICS, rubric_label};
use peilian::session::{Event, LineKind, Mode};
use peilian::text::safe::{terminal_safe as t, terminal_safe_lines};

/// A bar of `width` cells for a value 0–100.
pub fn bar(value: f32, width: usize) -> String {
    let filled = ((value.clamp(0.0, 100.0) / 100.0) * width as f32).round() as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

pub fn header(sc: &CompiledScenario, mode: Mode, seed: u64) -> String {
    let s = &sc.scenario;
    let p = &s.persona;
    let mut out = String::new();
    let _ = writeln!(out, "══ {} ══", t(&s.title));
    let stars = "★".repeat(s.difficulty.min(5) as usize) + &"☆".repeat(5 - s.difficulty.min(5) as usize);
    let _ = writeln!(out, "{}模式 · 种子 {seed} · {} · 难度 {stars}", mode.label(), s.channel.label());
    if !s.briefing.is_empty() {
        let _ = writeln!(out, "情况说明：{}", terminal_safe_lines(&s.briefing));
    }
    let tier = p.vip_tier.as_deref().map(|tier| format!(" · {}", t(tier))).unwrap_or_default();
    let _ = writeln!(
        out,
        "客户：{}（{}）{} {}{tier} · 耐心 {} 秒",
        t(&p.name),
        t(&p.title),
        t(p.avatar.as_deref().unwrap_or("")),
        p.kind.label(),
        peilian::session::effective_patience_secs(p.patience_secs)
    );
    if let Some(history) = &s.bot_history {
        let _ = writeln!(out, "—— 机器人对话记录 ——");
        for line in &history.lines {
            let who = match line.speaker {
                peilian::scenario::schema::BotSpeaker::Customer => "客户",
                peilian::scenario::schema::BotSpeaker::Bot => "机器人",
            };
            let _ = writeln!(out, "  {who}：{}", t(&line.text));
        }
        let _ = writeln!(out, "——————————————");
    }
    let rewind = if mode == Mode::Practice { "，/rewind N 回到第 N 回合重答" } else { "" };
    let _ = writeln!(out, "输入回答后按回车；/transfer 交接说明 转接，/hangup 挂断{rewind}");
    out
}

/// Renders one event; `feedback` is false in exam mode.
pub fn event(e: &Event, feedback: bool) -> Option<String> {
    match e {
        Event::CallStarted { .. } => None,
        Event::CustomerSaid { turn, text, kind, mood, .. } => {
            let tag = match kind {
                LineKind::SupervisorDemand => "（要求找领导）",
                LineKind::SilenceNudge => "（等得不耐烦）",
                LineKind::Ending => "（通话结束）",
                _ => "",
            };
            let prefix = if matches!(kind, LineKind::Script | LineKind::Reaction) {
                format!("\n[{turn}] ")
            } else {
                "    ".to_string()
            };
            Some(format!("{prefix}客户{tag}：{}\n    情绪 {} {mood:.0}", t(text), bar(*mood, 10)))
        }
        Event::AnswerScored { score, .. } if feedback => Some(turn_feedback(score)),
        Event::AnswerScored { .. } => None,
        Event::MoodChanged { from, to, reasons } if feedback => Some(format!(
            "    情绪 {from:.0} → {to:.0}（{}）",
            if reasons.is_empty() { "无变化".to_string() } else { t(&reasons.join("，")).into_owned() }
        )),
        Event::MoodChanged { .. } => None,
        Event::EscalationTriggered { trigger, .. } if feedback => Some(format!("    ◆ 出现转接条件：{}", t(trigger))),
        Event::EscalationTriggered { .. } => None,
        Event::Transferred { note, .. } => {
            Some(format!("    → 已转接。交接说明：{}", if note.is_empty() { "（无）".into() } else { t(note) }))
        }
        Event::CallEnded { outcome, .. } => Some(format!("\n—— 通话结束：{} ——", outcome.label())),
        Event::Rewound { turn, mood, line } => Some(format!(
            "    ◀ 回到第 {turn} 回合（情绪 {mood:.0}），请重新作答\n\n[{turn}] 客户：{}\n    情绪 {} {mood:.0}",
            t(line),
            bar(*mood, 10)
        )),
    }
}

/// The feedback shown after an answer in practice mode.
pub fn turn_feedback(s: &TurnScore) -> String {
    let mut out = format!("    本回合 {:.1} 分", s.overall);
    for r in ["concepts", "tone", "no_repeat", "responsiveness"] {
        if let Some(rs) = s.rubrics.get(r).filter(|x| x.applicable) {
            let _ = write!(out, " · {} {:.0}", rubric_label(r), rs.score);
        }
    }
    if let Some(c) = &s.capped {
        let _ = write!(out, "\n    ⚠ {}", t(c));
    }
    let marks: Vec<&str> = s
        .rubrics
        .values()
        .flat_map(|r| r.reasons.iter())
        .filter(|r| r.starts_with('✓') || r.starts_with('×'))
        .map(String::as_str)
        .collect();
    if !marks.is_empty() {
        let _ = write!(out, "\n    {}", t(&marks.join("  ")));
    }
    for e in s.evidence.iter().filter(|e| matches!(e.kind, "negated" | "asked_again" | "red_line")) {
        let _ = write!(out, "\n    · {}", t(&e.detail));
    }
    if s.overall < 80.0 && !s.model_answer.is_empty() {
        let _ = write!(out, "\n    示范：{}", t(&s.model_answer));
    }
    out
}

/// One incident on one line: the turn, the kind, what happened and the trainee's words.
pub fn incident_line(i: &Incident) -> String {
    let at = if i.turn > 0 { format!("第{}回合", i.turn) } else { "整通电话".to_string() };
    let quote = if i.quote.is_empty() { String::new() } else { format!("：「{}」", t(&i.quote)) };
    format!("[{at}] {} · {}{quote}", kind_label(&i.kind), t(&i.label))
}

pub fn scorecard(card: &Scorecard) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n══ 成绩单：{} ══", t(&card.scenario_title));
    let verdict = if card.passed { "✓ 通过" } else { "× 未通过" };
    let _ = writeln!(
        out,
        "总分 {:.1} / 100  {verdict}（及格线 {}）  结果：{}",
        card.overall,
        card.pass_mark,
        card.outcome.label()
    );
    if let Some(c) = &card.capped {
        let _ = writeln!(out, "⚠ {}", t(c));
    }
    if !card.incidents.is_empty() {
        let also = if card.passed { "（虽然通过，仍需注意）" } else { "" };
        let _ = writeln!(out, "‼ 事件 {} 个{also}：", card.incidents.len());
        for i in &card.incidents {
            let _ = writeln!(out, "  {}", incident_line(i));
        }
    }
    for name in RUBRICS {
        let Some(r) = card.rubrics.get(name) else {
            continue;
        };
        if !r.applicable {
            let _ = writeln!(out, "{:<6} 不适用（{}）", rubric_label(name), t(&r.reasons.join("；")));
            continue;
        }
        let _ = writeln!(out, "{:<6} {:>5.1} {} 权重 {:.2}", rubric_label(name), r.score, bar(r.score, 10), r.weight);
        for reason in &r.reasons {
            let _ = writeln!(out, "         {}", t(reason));
        }
    }
    if !card.skills.is_empty() {
        let v: Vec<String> =
            card.skills.iter().map(|s| format!("{} {:.1}（{} 个回合）", t(&s.label), s.average, s.turns)).collect();
        let _ = writeln!(out, "各技能（只计体现该技能的回合）：{}", v.join(" · "));
    }
    if !card.turns.is_empty() {
        let _ = writeln!(out, "\n逐回合：");
    }
    for turn in &card.turns {
        let s = &turn.score;
        let _ = writeln!(out, "[{}] {:.1} 分  你：{}", turn.turn, s.overall, t(&s.answer));
        let hits: Vec<String> = s.evidence.iter().filter(|e| e.kind == "hit").map(|e| e.detail.clone()).collect();
        if !hits.is_empty() {
            let _ = writeln!(out, "     命中：{}", t(&hits.join("；")));
        }
        let missed: Vec<String> = s
            .evidence
            .iter()
            .filter(|e| matches!(e.kind, "missed" | "goal_missed" | "red_line" | "asked_again"))
            .map(|e| e.detail.clone())
            .collect();
        if !missed.is_empty() {
            let _ = writeln!(out, "     问题：{}", t(&missed.join("；")));
        }
        if !s.model_answer.is_empty() {
            let _ = writeln!(out, "     示范：{}", t(&s.model_answer));
        }
    }
    if !card.coaching.is_empty() {
        let _ = writeln!(out, "\n教练提示：");
        for c in &card.coaching {
            let _ = writeln!(out, "  · {}", t(c));
        }
    }
    out
}
