//! The coaching reports' HTML pages: a trainee's page (figures, incidents, charts, each session
//! turn by turn), a team's and a scenario's, in the shared shell of `crate::html`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::html::charts::{MISTAKE, count_bars_svg, score_bars_svg, trend_svg};
use crate::html::{esc, page};
use crate::records::coaching::{
    IncidentCount, RecordedSession, RecordedTurn, ReportIncident, ScenarioReport, TeamReport, TraineeReport,
};
use crate::records::drilldown::{SessionRow, beijing_time, outcome_label};
use crate::scoring::rubric_label;

/// How many of a trainee's latest sessions the trainee page shows turn by turn.
pub const SESSIONS_IN_FULL: usize = 50;
/// How many trainees of a team page get a summary of their latest sessions.
pub const TEAM_SUMMARIES: usize = 200;
/// How many latest sessions each of those summaries lists.
pub const TEAM_SUMMARY_SESSIONS: usize = 5;

/// The anchor id of a session; `session_turn_anchor` of one of its turns.
pub fn session_anchor(session_id: i64) -> String {
    format!("session-{session_id}")
}

pub fn session_turn_anchor(session_id: i64, turn: u32) -> String {
    format!("session-{session_id}-turn-{turn}")
}

fn pass_cell(passed: Option<bool>) -> &'static str {
    match passed {
        Some(true) => "<span class=\"pass\">✓ 通过</span>",
        Some(false) => "<span class=\"fail\">× 未通过</span>",
        None => "<span class=\"muted\">未完成</span>",
    }
}

/// A command line argument, quoted for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || "-_./".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// What the stored score of an answer says, read leniently (older records have fewer fields).
struct TurnView {
    rubrics: Vec<(String, f64)>,
    capped: Option<String>,
    missed: Vec<String>,
    red_lines: Vec<String>,
    /// (what, the words, fails the call).
    conduct: Vec<(String, String, bool)>,
    /// Other problems (negated concepts, asking again, a goal missed).
    other: Vec<String>,
}

fn turn_view(turn: &RecordedTurn) -> Option<TurnView> {
    let v: serde_json::Value = serde_json::from_str(turn.score.as_deref()?).ok()?;
    let strings = |key: &str| -> Vec<String> {
        v[key].as_array().into_iter().flatten().filter_map(|x| x.as_str().map(str::to_string)).collect()
    };
    let rubrics = v["rubrics"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, r)| r["applicable"] == true)
        .map(|(name, r)| (rubric_label(name).to_string(), r["score"].as_f64().unwrap_or(0.0)))
        .collect();
    let conduct = v["conduct"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| {
            (
                b["label"].as_str().unwrap_or_default().to_string(),
                b["quote"].as_str().unwrap_or_default().to_string(),
                b["fails_call"] == true,
            )
        })
        .collect();
    let other = v["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"].as_str().is_some_and(|k| ["negated", "asked_again", "goal_missed"].contains(&k)))
        .filter_map(|e| e["detail"].as_str().map(str::to_string))
        .collect();
    Some(TurnView {
        rubrics,
        capped: v["capped"].as_str().map(str::to_string),
        missed: strings("missed_labels"),
        red_lines: strings("red_lines"),
        conduct,
        other,
    })
}

/// One recorded action of a turn.
fn turn_row(b: &mut String, t: &RecordedTurn) {
    let old = if t.superseded { " class=\"old\"" } else { "" };
    match t.kind.as_str() {
        "answer" => {
            let _ = write!(
                b,
                "<p{old}><span class=\"who\">学员：</span>{}<span class=\"muted\">（{:.1} 秒）</span>{}</p>",
                esc(&t.text),
                t.latency_ms as f64 / 1000.0,
                if t.superseded { "（已回退重答）" } else { "" }
            );
            let Some(v) = turn_view(t) else { return };
            let mut parts = vec![format!("本回合 {} 分", opt(t.overall))];
            parts.extend(v.rubrics.iter().map(|(label, score)| format!("{} {score:.0}", esc(label))));
            let _ = write!(b, "<p class=\"meta\">{}</p>", parts.join(" · "));
            if let Some(why) = &v.capped {
                let _ = write!(b, "<p class=\"meta\">封顶：{}</p>", esc(why));
            }
            if !v.missed.is_empty() {
                let list: Vec<String> = v.missed.iter().map(|m| esc(m)).collect();
                let _ = write!(b, "<p>遗漏要点：{}</p>", list.join("、"));
            }
            if !v.red_lines.is_empty() {
                let list: Vec<String> = v.red_lines.iter().map(|m| format!("「{}」", esc(m))).collect();
                let _ = write!(b, "<p class=\"fail\">触犯红线：{}</p>", list.join("、"));
            }
            for (label, quote, fails) in &v.conduct {
                let _ = write!(
                    b,
                    "<p class=\"fail\">不当言行：{}「{}」{}</p>",
                    esc(label),
                    esc(quote),
                    if *fails { "（本次练习不通过）" } else { "" }
                );
            }
            if !v.other.is_empty() {
                let list: Vec<String> = v.other.iter().map(|m| esc(m)).collect();
                let _ = write!(b, "<p>其他问题：{}</p>", list.join("；"));
            }
        }
        "transfer" => {
            let _ = write!(
                b,
                "<p{old}>→ 转接。交接说明：{}</p>",
                if t.text.is_empty() { "（无）".to_string() } else { esc(&t.text) }
            );
        }
        "hangup" => b.push_str("<p>（坐席挂断）</p>"),
        "silence" => {
            let _ = write!(b, "<p>（沉默 {:.0} 秒）</p>", t.latency_ms as f64 / 1000.0);
        }
        "rewind" => b.push_str("<p class=\"muted\">◀ 学员回退到这一回合重答</p>"),
        _ => {}
    }
}

/// One session, turn by turn, in a `<details>` with the anchor `session-{id}`; each turn in a
/// block with the anchor `session-{id}-turn-{turn}` (rewound answers beside the new ones).
pub fn session_details(s: &RecordedSession) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<details class=\"session\" id=\"{}\"><summary>#{} · {} · {} · {} · {} · {}</summary>\
         <p class=\"note\">{}模式 · 场景 {} v{} · 种子 {}</p>",
        session_anchor(s.id),
        s.id,
        beijing_time(s.started_ms),
        esc(&s.scenario_title),
        s.overall.map_or_else(|| "—".to_string(), |o| format!("{o:.1} 分")),
        pass_cell(s.passed),
        outcome_label(&s.outcome),
        if s.mode == "exam" { "考试" } else { "练习" },
        esc(&s.scenario_id),
        s.scenario_version,
        s.seed
    );
    let mut by_turn: BTreeMap<u32, Vec<&RecordedTurn>> = BTreeMap::new();
    for t in &s.turns {
        by_turn.entry(t.turn).or_default().push(t);
    }
    for (turn, rows) in &by_turn {
        let _ =
            write!(b, "<div class=\"turn\" id=\"{}\"><p><b>第 {turn} 回合</b></p>", session_turn_anchor(s.id, *turn));
        let mut customer = "";
        for t in rows {
            if !t.customer_line.is_empty() && t.customer_line != customer {
                customer = &t.customer_line;
                let _ = write!(b, "<p><span class=\"who\">客户：</span>{}</p>", esc(customer));
            }
            turn_row(&mut b, t);
        }
        b.push_str("</div>");
    }
    if s.turns.is_empty() {
        b.push_str("<p class=\"muted\">没有记录到回合。</p>");
    }
    match s.scorecard.as_deref().and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok()) {
        Some(card) if card["overall"].is_number() => {
            let _ = write!(
                b,
                "<p><b>总分 {:.1}</b>（及格线 {}）{}</p>",
                card["overall"].as_f64().unwrap_or(0.0),
                esc(&card["pass_mark"].to_string()),
                pass_cell(card["passed"].as_bool())
            );
            let lines: Vec<String> =
                card["summary"].as_array().into_iter().flatten().skip(1).filter_map(|l| l.as_str().map(esc)).collect();
            if !lines.is_empty() {
                let _ = write!(b, "<ul><li>{}</li></ul>", lines.join("</li><li>"));
            }
        }
        _ if s.ended_ms.is_none() => b.push_str("<p class=\"muted\">（练习未完成：上面是已记录的回合）</p>"),
        _ => {}
    }
    b.push_str("</details>");
    b
}

/// The trainee page's list of sessions (newest first) and each of them turn by turn.
/// `sessions` are the latest (at most `SESSIONS_IN_FULL`), `total` how many there are.
pub fn sessions_section(sessions: &[RecordedSession], total: u32) -> String {
    let mut b = String::from("<section id=\"sessions\"><h2>练习记录（逐回合）</h2>");
    if sessions.is_empty() {
        b.push_str("<p>还没有练习记录。</p></section>");
        return b;
    }
    let shown = sessions.len();
    if (shown as u32) < total {
        let _ = write!(
            b,
            "<p class=\"note\">共 {total} 次练习，这里是最近 {shown} 次（新的在前）。更早的练习可用 <code>peilian replay 编号</code> 查看。</p>"
        );
    } else {
        let _ = write!(
            b,
            "<p class=\"note\">共 {total} 次练习（新的在前）。点开一次练习可看每个回合的对话、得分和问题。</p>"
        );
    }
    b.push_str(
        "<table><tr><th>编号</th><th>时间（北京时间）</th><th>场景</th><th class=\"num\">总分</th><th>通过</th><th>结果</th></tr>",
    );
    for s in sessions {
        let _ = write!(
            b,
            "<tr><td><a href=\"#{}\">#{}</a></td><td class=\"tag\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            session_anchor(s.id),
            s.id,
            beijing_time(s.started_ms),
            esc(&s.scenario_title),
            opt(s.overall),
            pass_cell(s.passed),
            outcome_label(&s.outcome)
        );
    }
    b.push_str("</table>");
    for s in sessions {
        b.push_str(&session_details(s));
    }
    b.push_str("</section>");
    b
}

/// The anchor id of the `index`-th trainee (in the team table's order) on a team page.
pub fn trainee_anchor(index: usize) -> String {
    format!("trainee-{index}")
}

/// The team page's summaries: for each of the first `TEAM_SUMMARIES` trainees, the latest
/// sessions (`recent[i]` belongs to `r.rows[i]`) and the command that writes their full page.
pub fn trainee_summaries_section(r: &TeamReport, recent: &[Vec<SessionRow>]) -> String {
    let mut b = String::from("<section id=\"trainees\"><h2>学员近况</h2>");
    let _ = write!(
        b,
        "<p class=\"note\">每位学员最近 {TEAM_SUMMARY_SESSIONS} 次练习。学员报告里有每次练习的逐回合记录，用下面各自的命令生成。{}</p>",
        if r.rows.len() > recent.len() {
            format!("本页只列出前 {} 位学员（共 {} 位）。", recent.len(), r.rows.len())
        } else {
            String::new()
        }
    );
    for (i, (row, sessions)) in r.rows.iter().zip(recent).enumerate() {
        let _ = write!(
            b,
            "<div id=\"{}\"><h3>{} <span class=\"muted\">{}</span></h3>",
            trainee_anchor(i),
            esc(&row.name),
            if row.team.is_empty() { "（未分组）".to_string() } else { esc(&row.team) }
        );
        if sessions.is_empty() {
            b.push_str("<p class=\"muted\">还没有练习记录。</p>");
        } else {
            b.push_str("<table><tr><th>编号</th><th>时间（北京时间）</th><th>场景</th><th class=\"num\">总分</th><th>通过</th><th>结果</th></tr>");
            for s in sessions {
                let _ = write!(
                    b,
                    "<tr><td>#{}</td><td class=\"tag\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                    s.id,
                    beijing_time(s.started_ms),
                    esc(&s.scenario_title),
                    opt(s.overall),
                    pass_cell(s.passed),
                    outcome_label(&s.outcome)
                );
            }
            b.push_str("</table>");
        }
        let _ = write!(
            b,
            "<p class=\"note\">逐回合报告：<code>peilian report --trainee {} --html 报告.html</code></p></div>",
            esc(&shell_word(&row.name))
        );
    }
    b.push_str("</section>");
    b
}

fn opt(v: Option<f32>) -> String {
    v.map_or_else(|| "—".to_string(), |x| format!("{x:.1}"))
}

fn pct(v: Option<f32>) -> String {
    v.map_or_else(|| "—".to_string(), |x| format!("{:.0}%", x * 100.0))
}

fn trend_cell(delta: Option<f32>, label: &str) -> String {
    match delta {
        Some(d) if d >= 3.0 => format!("<span class=\"up\">▲ {label} {d:+.1}</span>"),
        Some(d) if d <= -3.0 => format!("<span class=\"down\">▼ {label} {d:+.1}</span>"),
        Some(d) => format!("{label} {d:+.1}"),
        None => "—".to_string(),
    }
}

/// The incidents as a table, each linking to its turn (`#session-{id}-turn-{n}`) or session.
pub fn incidents_section(title: &str, counts: &[IncidentCount], list: &[ReportIncident], with_trainee: bool) -> String {
    let mut b = format!("<section id=\"incidents\"><h2>{}</h2>", esc(title));
    if counts.is_empty() {
        b.push_str("<p class=\"pass\">没有事件记录（没有不当言行、红线、转接失误或挂断）。</p></section>");
        return b;
    }
    let total: u32 = counts.iter().map(|c| c.count).sum();
    let summary: Vec<String> = counts
        .iter()
        .map(|c| format!("{} · {} ×{}（{} 人）", esc(&c.kind_label), esc(&c.label), c.count, c.trainees))
        .collect();
    let _ = write!(b, "<p class=\"fail\">共 {total} 个事件：</p><ul><li>{}</li></ul>", summary.join("</li><li>"));
    let _ = write!(
        b,
        "<table><tr><th>日期</th>{}<th>场景</th><th>回合</th><th>事件</th><th>学员的话</th><th>评分结果</th></tr>",
        if with_trainee { "<th>学员</th>" } else { "" }
    );
    for i in list {
        let verdict = match i.passed {
            Some(true) => "<span class=\"fail\">通过（有事件）</span>",
            Some(false) => "未通过",
            None => "未完成",
        };
        let turn = if i.turn > 0 { format!("第 {} 回合", i.turn) } else { "整通".to_string() };
        let _ = write!(
            b,
            "<tr><td class=\"tag\">{}</td>{}<td>{}</td><td class=\"tag\"><a href=\"#{}\">{}</a></td>\
             <td class=\"fail\">{} · {}</td><td>「{}」</td><td class=\"tag\">{verdict}</td></tr>",
            esc(&i.date),
            if with_trainee { format!("<td>{}</td>", esc(&i.trainee)) } else { String::new() },
            esc(&i.scenario_title),
            esc(&i.anchor()),
            turn,
            esc(&i.kind_label),
            esc(&i.label),
            esc(&i.quote)
        );
    }
    b.push_str("</table>");
    if (list.len() as u32) < total {
        let _ = write!(b, "<p class=\"note\">列出最近 {} 个。</p>", list.len());
    }
    b.push_str("</section>");
    b
}

/// The page for one trainee.
/// `sessions`: the latest ones in full (see `sessions_section`).
pub fn trainee_page(r: &TraineeReport, pass_mark: f32, sessions: &[RecordedSession]) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<section><h2>概览（{}）</h2><div class=\"cards\">\
         <div class=\"card\"><b>{}</b><span>练习次数（未完成 {}）</span></div>\
         <div class=\"card\"><b>{}</b><span>通过率（通过且无事件）</span></div>\
         <div class=\"card\"><b class=\"{}\">{}</b><span>有事件的练习（其中评分通过 {}）</span></div>\
         <div class=\"card\"><b>{}</b><span>平均分</span></div>\
         <div class=\"card\"><b>{}</b><span>最高分</span></div>\
         <div class=\"card\"><b>{}</b><span>最近一次</span></div>\
         <div class=\"card\"><b>{}</b><span>趋势（近{}次对比之前）</span></div></div></section>",
        esc(&r.period.label()),
        r.sessions,
        r.incomplete,
        pct(r.pass_rate),
        if r.sessions_with_incidents > 0 { "fail" } else { "pass" },
        r.sessions_with_incidents,
        r.passed_with_incidents,
        opt(r.average),
        opt(r.best),
        opt(r.latest),
        trend_cell(r.trend.delta, r.trend.label()),
        crate::records::coaching::TREND_WINDOW
    );
    b.push_str(&incidents_section("事件（不当言行、红线、转接失误、挂断）", &r.incident_counts, &r.incidents, false));
    let points: Vec<(f64, f32, bool)> = r.timeline.iter().map(|p| (p.day, p.overall, p.incidents > 0)).collect();
    let rubric_bars: Vec<(String, f32)> = ["concepts", "tone", "escalation", "no_repeat", "responsiveness"]
        .iter()
        .filter_map(|k| r.rubric_averages.get(*k).map(|v| (rubric_label(k).to_string(), *v)))
        .collect();
    let skill_bars: Vec<(String, f32)> = r.skills.iter().map(|s| (s.label.clone(), s.average)).collect();
    let _ = write!(
        b,
        "<section><h2>趋势与各项得分</h2><div class=\"charts\">{}{}</div>",
        trend_svg(&points, pass_mark, 620, 300),
        score_bars_svg("各评分项平均", &rubric_bars, 420)
    );
    if !skill_bars.is_empty() {
        let _ = write!(
            b,
            "<div class=\"charts\">{}</div>",
            score_bars_svg("各技能（只计体现该技能的回合，低者在前）", &skill_bars, 620)
        );
    }
    b.push_str("</section>");

    b.push_str("<section><h2>薄弱技能与依据</h2>");
    if r.weakest.is_empty() {
        b.push_str("<p>还没有体现薄弱技能的回合。</p>");
    }
    for w in &r.weakest {
        let _ = write!(
            b,
            "<h3>{}（平均 {:.1} 分，{} 个回合，{} 次练习）</h3><ul>",
            esc(&w.skill.label),
            w.skill.average,
            w.skill.turns,
            w.skill.sessions
        );
        for m in &w.misses {
            let _ = write!(b, "<li>{}（{} 次）</li>", esc(&m.label), m.count);
        }
        b.push_str("</ul>");
    }
    if !r.missed_concepts.is_empty() {
        let list: Vec<String> =
            r.missed_concepts.iter().map(|c| format!("{}（{} 次）", esc(&c.label), c.count)).collect();
        let _ = write!(b, "<p>最常遗漏的要点：{}</p>", list.join("、"));
    }
    let t = &r.transfers;
    if t.mistimed() > 0 {
        let _ = write!(
            b,
            "<p>转接时机：过早 {}，不该转 {}，过晚 {}，该转未转 {}</p>",
            t.early, t.premature, t.late, t.missed
        );
    }
    b.push_str("</section>");

    b.push_str("<section><h2>推荐下一步练习</h2><table><tr><th>场景</th><th class=\"num\">难度</th><th>原因</th></tr>");
    for rec in &r.recommendations {
        let _ = write!(
            b,
            "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&rec.title),
            rec.difficulty,
            esc(&rec.reason)
        );
    }
    b.push_str("</table></section>");

    b.push_str("<section><h2>各场景成绩</h2><table><tr><th>场景</th><th class=\"num\">次数</th><th class=\"num\">最高</th><th class=\"num\">最近</th><th>通过</th></tr>");
    for s in &r.scenarios {
        let _ = write!(
            b,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&s.title),
            s.attempts,
            opt(s.best),
            opt(s.latest),
            if s.passed {
                "<span class=\"pass\">✓ 已通过</span>"
            } else {
                "<span class=\"fail\">未通过</span>"
            }
        );
    }
    b.push_str("</table></section>");
    b.push_str(&sessions_section(sessions, r.sessions));
    let subtitle =
        format!("学员报告 · 团队：{} · {}", if r.team.is_empty() { "（未分组）" } else { &r.team }, r.period.label());
    page(&format!("{} 的练习报告", r.trainee), &subtitle, &b)
}

/// The page for a team (or everyone). `recent[i]`: the latest sessions of `r.rows[i]`, for the
/// first rows (see `trainee_summaries_section`); each of those rows links to its summary.
pub fn team_page(r: &TeamReport, recent: &[Vec<SessionRow>]) -> String {
    let mut b = String::new();
    let completed: u32 = r.rows.iter().map(|x| x.completed).sum();
    let clean: f32 = r.rows.iter().filter_map(|x| x.pass_rate.map(|p| p * x.completed as f32)).sum();
    let with: u32 = r.rows.iter().map(|x| x.sessions_with_incidents).sum();
    let _ = write!(
        b,
        "<section><h2>概览（{}）</h2><div class=\"cards\"><div class=\"card\"><b>{}</b><span>学员</span></div>\
         <div class=\"card\"><b>{}</b><span>完成的练习</span></div><div class=\"card\"><b>{}</b><span>通过率（通过且无事件）</span></div>\
         <div class=\"card\"><b class=\"{}\">{}</b><span>有事件的练习</span></div></div></section>",
        esc(&r.period.label()),
        r.rows.len(),
        completed,
        pct((completed > 0).then(|| clean / completed as f32)),
        if with > 0 { "fail" } else { "pass" },
        with
    );
    b.push_str(&incidents_section("事件（不当言行、红线、转接失误、挂断）", &r.incident_counts, &r.incidents, true));
    let top: Vec<(String, f32)> = r
        .leaderboard
        .iter()
        .take(15)
        .filter_map(|n| r.rows.iter().find(|x| &x.name == n).and_then(|x| x.average.map(|a| (x.name.clone(), a))))
        .collect();
    if !top.is_empty() {
        let _ = write!(
            b,
            "<section><h2>排行榜（平均分）</h2><div class=\"charts\">{}</div></section>",
            score_bars_svg("平均分前 15 名", &top, 640)
        );
    }
    b.push_str("<section><h2>学员一览</h2><table><tr><th>学员</th><th>团队</th><th class=\"num\">练习</th><th class=\"num\">平均</th><th class=\"num\">最高</th><th class=\"num\">通过率</th><th class=\"num\">事件</th><th>趋势</th><th>最弱技能</th></tr>");
    for (i, x) in r.rows.iter().enumerate() {
        let name = if i < recent.len() {
            format!("<a href=\"#{}\">{}</a>", trainee_anchor(i), esc(&x.name))
        } else {
            esc(&x.name)
        };
        let weak = x
            .weakest_skill
            .as_ref()
            .map_or_else(|| "—".to_string(), |w| format!("{}（{:.1}）", esc(&w.label), w.average));
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td><td>{}</td><td>{}</td></tr>",
            name,
            esc(&x.team),
            x.sessions,
            opt(x.average),
            opt(x.best),
            pct(x.pass_rate),
            if x.incidents > 0 { " fail" } else { "" },
            x.incidents,
            trend_cell(x.trend.delta, x.trend.label()),
            weak
        );
    }
    b.push_str("</table></section>");
    if !r.missed_concepts.is_empty() {
        let bars: Vec<(String, f32)> = r.missed_concepts.iter().map(|c| (c.label.clone(), c.count as f32)).collect();
        let _ = write!(
            b,
            "<section><h2>最常遗漏的要点</h2><div class=\"charts\">{}</div></section>",
            count_bars_svg("遗漏次数", &bars, "次", MISTAKE, 640)
        );
    }
    if !recent.is_empty() {
        b.push_str(&trainee_summaries_section(r, recent));
    }
    let title = match &r.team {
        Some(t) => format!("团队“{t}”练习报告"),
        None => "全体学员练习报告".to_string(),
    };
    page(&title, &format!("团队报告 · {}", r.period.label()), &b)
}

/// The page for one scenario across a team.
pub fn scenario_page(r: &ScenarioReport) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<section><h2>概览（{}）</h2><div class=\"cards\"><div class=\"card\"><b>{}</b><span>练过的学员</span></div>\
         <div class=\"card\"><b>{}</b><span>通过且无事件的学员</span></div></div></section>",
        esc(&r.period.label()),
        r.attempted,
        r.passed
    );
    b.push_str("<section><h2>学员</h2><table><tr><th>学员</th><th>团队</th><th class=\"num\">次数</th><th class=\"num\">最高</th><th class=\"num\">最近</th><th class=\"num\">事件</th><th>通过</th></tr>");
    for x in &r.rows {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td><td>{}</td></tr>",
            esc(&x.name),
            esc(&x.team),
            x.attempts,
            opt(x.best),
            opt(x.latest),
            if x.incidents > 0 { " fail" } else { "" },
            x.incidents,
            if x.passed {
                "<span class=\"pass\">✓ 已通过</span>"
            } else {
                "<span class=\"fail\">未通过</span>"
            }
        );
    }
    b.push_str("</table></section>");
    if !r.missed_concepts.is_empty() {
        let list: Vec<String> =
            r.missed_concepts.iter().map(|c| format!("{}（{} 次）", esc(&c.label), c.count)).collect();
        let _ = write!(b, "<section><h2>最常遗漏的要点</h2><p>{}</p></section>", list.join("、"));
    }
    b.push_str(&incidents_section("本场景的事件", &r.incident_counts, &r.incidents, true));
    let team = r.team.as_deref().map_or_else(|| "全体学员".to_string(), |t| format!("团队“{t}”"));
    page(&format!("场景“{}”练习情况", r.title), &format!("{team} · {}", r.period.label()), &b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::font::{embed_font, shown_chars};
    use crate::html::font_subset::{FAMILY, FONT_FILE, base64, woff};
    use crate::records::coaching::{RedLineCount, TraineeRow, Trend, recent_sessions, trainee_report};
    use crate::records::drilldown::session_rows;
    use crate::records::ops::{Finish, Op, RubricColumns, SessionStart, TurnRecord};
    use crate::records::store::Store;

    fn bundled_font() -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FONT_FILE)).unwrap()
    }

    fn start(uuid: &str, trainee: &str, at: i64) -> Op {
        Op::Start(SessionStart {
            uuid: uuid.into(),
            trainee: trainee.into(),
            team: Some("一组".into()),
            scenario_id: "refund".into(),
            scenario_version: 2,
            scenario_title: "退款<i>场景</i>".into(),
            content_hash: "h".into(),
            basis_hash: "b".into(),
            skills: vec!["empathy".into()],
            app_version: "test".into(),
            seed: 7,
            mode: "practice".into(),
            started_ms: at,
        })
    }

    fn turn(uuid: &str, seq: u32, kind: &str, turn: u32, customer: &str, text: &str, score: Option<&str>) -> Op {
        Op::Turn(TurnRecord {
            uuid: uuid.into(),
            seq,
            kind: kind.into(),
            turn,
            turn_id: format!("t{turn}"),
            customer_line: customer.into(),
            text: text.into(),
            latency_ms: 2500,
            overall: score.map(|_| 40.0),
            score: score.map(str::to_string),
            missed_labels: Vec::new(),
            red_lines: Vec::new(),
            recorded_ms: 0,
        })
    }

    /// 小张: session 1 finished (turn 1 answered, rewound, answered again; turn 2 a transfer),
    /// session 2 unfinished.
    fn recorded() -> Store {
        let score = r#"{"rubrics": {"tone": {"applicable": true, "score": 40.0}, "escalation": {"applicable": false, "score": 0}},
            "missed_labels": ["致歉<u>"], "red_lines": ["不归我管"], "capped": "红线：封顶 40",
            "conduct": [{"label": "讽刺客户", "quote": "呵呵<b>", "fails_call": true}],
            "evidence": [{"kind": "asked_again", "detail": "又问了一次单号"}, {"kind": "hit", "detail": "不该出现"}]}"#;
        let card =
            r#"{"overall": 40.0, "pass_mark": 70.0, "passed": false, "summary": ["总分 40", "触犯红线「不归我管」"]}"#;
        let mut store = Store::in_memory().unwrap();
        let ops = vec![
            start("a", "小张", 1_735_660_800_000),
            turn("a", 0, "answer", 1, "<b>我的钱呢</b>", "我&你<script>alert(1)</script>", Some(score)),
            turn("a", 1, "rewind", 1, "", "", None),
            turn("a", 2, "answer", 1, "<b>我的钱呢</b>", "非常抱歉，我马上查", Some("{}")),
            turn("a", 3, "transfer", 2, "找你们领导", "转给主管：客户要退款", None),
            Op::Finish(Finish {
                uuid: "a".into(),
                ended_ms: 1_735_660_900_000,
                outcome: "transferred".into(),
                overall: 40.0,
                passed: false,
                rubrics: RubricColumns::default(),
                escalation_timing: "on_time".into(),
                scorecard: card.into(),
                transcript: "[]".into(),
            }),
            start("b", "小张", 1_735_700_000_000),
            turn("b", 0, "answer", 1, "喂？", "您好", Some("{}")),
        ];
        store.apply_all(&ops).unwrap();
        store
    }

    #[test]
    fn the_trainee_page_has_each_session_turn_by_turn_escaped_with_the_embedded_font() {
        let store = recorded();
        let report = trainee_report(&store, "小张", &[]).unwrap();
        let sessions = recent_sessions(&store, Some("小张"), SESSIONS_IN_FULL).unwrap();
        let (first, second) = (sessions[1].id, sessions[0].id);
        let plain = trainee_page(&report, 70.0, &sessions);
        let (page, sub) = embed_font(&plain, &bundled_font()).unwrap();

        // Anchors: each session, each turn once (the rewound answer sits beside the new one).
        for anchor in [session_anchor(first), session_turn_anchor(first, 1), session_turn_anchor(first, 2)] {
            assert_eq!(page.matches(&format!("id=\"{anchor}\"")).count(), 1, "{anchor}");
        }
        assert!(page.contains(&format!("id=\"{}\"", session_turn_anchor(second, 1))));
        assert!(
            page.contains(&format!("href=\"#session-{first}\""))
                && page.contains(&format!("href=\"#session-{second}\""))
        );
        assert!(!page.contains(&format!("session-{first}-turn-3")));
        // The newest first; times in Beijing time.
        assert!(page.find(&format!("#{second} ·")) < page.find(&format!("#{first} ·")));
        assert!(page.contains("2025-01-01 00:00"));

        // The transcript, escaped: customer line, answers, score, missed concepts, red lines, conduct.
        for text in [
            "&lt;b&gt;我的钱呢&lt;/b&gt;",
            "我&amp;你&lt;script&gt;alert(1)&lt;/script&gt;",
            "（已回退重答）",
            "非常抱歉，我马上查",
            "转给主管：客户要退款",
            "本回合 40.0 分 · 语气态度 40",
            "遗漏要点：致歉&lt;u&gt;",
            "触犯红线：「不归我管」",
            "不当言行：讽刺客户「呵呵&lt;b&gt;」（本次练习不通过）",
            "封顶：红线：封顶 40",
            "其他问题：又问了一次单号",
            "总分 40.0",
            "触犯红线「不归我管」",
            "退款&lt;i&gt;场景&lt;/i&gt;",
            "（练习未完成：上面是已记录的回合）",
        ] {
            assert!(page.contains(text), "the page lacks {text}");
        }
        assert!(!page.contains("不该出现"), "only problems are listed");
        assert!(!page.contains("总分 40</li>"), "the scorecard's first summary line repeats the total");
        for raw in ["<script", "<b>我", "<u>", "<i>场景"] {
            assert!(!page.contains(raw), "raw {raw}");
        }

        // The font: embedded once, the subset holds every character the page shows.
        assert_eq!(page.matches("@font-face").count(), 1);
        assert!(page.contains(&format!(
            "src: url(data:font/woff;base64,{}) format(\"woff\")",
            base64(&woff(&sub.bytes).unwrap())
        )));
        assert!(page.contains(&format!("font-family: \"{FAMILY}\"")), "the style asks for the embedded family");
        assert!(sub.missing.is_empty(), "{:?}", sub.missing);
        let face = ttf_parser::Face::parse(&sub.bytes, 0).unwrap();
        let shown = shown_chars(&page);
        assert_eq!(shown, shown_chars(&plain), "embedding adds no shown text");
        for c in &shown {
            assert!(face.glyph_index(*c).is_some_and(|g| g.0 != 0), "{c:?} is shown but not in the subset");
        }
        assert!(shown.contains(&'你') && shown.contains(&'领') && shown.contains(&'趋'), "transcript and chart text");
        // Deterministic.
        assert_eq!(embed_font(&plain, &bundled_font()).unwrap().0, page);
    }

    #[test]
    fn the_session_list_says_when_it_shows_only_the_latest() {
        let store = recorded();
        let sessions = recent_sessions(&store, Some("小张"), 1).unwrap();
        let section = sessions_section(&sessions, 2);
        assert!(section.contains("共 2 次练习，这里是最近 1 次"), "{section}");
        assert_eq!(section.matches("<details").count(), 1);
        assert!(sessions_section(&[], 0).contains("还没有练习记录"));
    }

    #[test]
    fn team_rows_link_to_each_trainees_summary() {
        let mut store = recorded();
        store.apply_all(&[start("c", "O'Neil <x>", 5)]).unwrap();
        let report = crate::records::coaching::team_report(&store, None).unwrap();
        let recent: Vec<Vec<SessionRow>> =
            report.rows.iter().map(|r| session_rows(&store, &r.name, 5).unwrap()).collect();
        let page = team_page(&report, &recent);
        let names: Vec<&str> = report.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["O'Neil <x>", "小张"]);
        for i in 0..2 {
            assert!(
                page.contains(&format!("<a href=\"#trainee-{i}\">")) && page.contains(&format!("id=\"trainee-{i}\""))
            );
        }
        assert!(page.contains("<code>peilian report --trainee 小张 --html 报告.html</code>"));
        assert!(page.contains("--trainee &#39;O&#39;\\&#39;&#39;Neil &lt;x&gt;&#39;"), "shell-quoted and escaped");
        assert!(page.contains("退款&lt;i&gt;场景&lt;/i&gt;") && page.contains("× 未通过") && page.contains("已转接"));
        // Without summaries the names are plain text.
        let bare = team_page(&report, &[]);
        assert!(!bare.contains("href=\"#trainee-") && !bare.contains("id=\"trainees\""));
        let one = team_page(&report, &recent[..1]);
        assert!(one.contains("本页只列出前 1 位学员（共 2 位）") && !one.contains("href=\"#trainee-1\""));
    }

    #[test]
    fn names_on_a_team_page_cannot_add_markup_or_control_characters() {
        let hostile = "<script>alert(1)</script>\u{1b}]0;x\u{7}\u{202e}";
        let row = TraineeRow {
            name: hostile.into(),
            team: "<marquee>组</marquee>".into(),
            sessions: 1,
            completed: 1,
            passed: 1,
            incidents: 0,
            sessions_with_incidents: 0,
            pass_rate: Some(1.0),
            average: Some(80.0),
            best: Some(80.0),
            trend: Trend::default(),
            weakest_skill: None,
            last_ms: None,
        };
        let report = TeamReport {
            team: Some("<blink>队</blink>".into()),
            rows: vec![row],
            leaderboard: vec![hostile.into()],
            period: crate::records::coaching::Period::all(),
            missed_concepts: Vec::new(),
            red_lines: vec![RedLineCount { phrase: "<img src=x>".into(), count: 1, trainees: 1 }],
            incident_counts: vec![crate::records::coaching::IncidentCount {
                kind: "conduct".into(),
                kind_label: "不当言行".into(),
                label: "<img src=x>".into(),
                count: 1,
                trainees: 1,
            }],
            incidents: Vec::new(),
        };
        let page = team_page(&report, &[]);
        for raw in ["<script", "<marquee", "<blink", "<img", "\u{1b}", "\u{7}", "\u{202e}"] {
            assert!(!page.contains(raw), "the page has {raw:?} raw");
        }
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;\\u{1b}]0;x\\u{7}\\u{202e}"));
        assert!(page.contains("&lt;img src=x&gt;"));
    }
}
