//! Reports as one self-contained HTML page: inline CSS and SVG charts drawn with plotters, no
//! scripts and nothing fetched, so the file can be mailed or opened offline.

use std::fmt::Write as _;

use plotters::prelude::*;

use crate::records::coaching::{TeamReport, TraineeReport};
use crate::scoring::rubric_label;
use crate::text::safe::terminal_safe;

const CSS: &str = r#"
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 0; background: #f4f6f8; color: #1f2933; }
header { background: #1f4e79; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 24px; }
header p { margin: 0; opacity: .85; }
main { padding: 24px 32px; max-width: 1100px; }
section { background: #fff; border-radius: 10px; padding: 16px 20px; margin-bottom: 18px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { font-size: 18px; margin: 0 0 12px 0; color: #1f4e79; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { flex: 1 1 140px; background: #f0f4f8; border-radius: 8px; padding: 10px 14px; }
.card b { display: block; font-size: 24px; color: #1f4e79; }
.card span { font-size: 13px; color: #52606d; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { background: #f0f4f8; color: #334e68; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.tag { white-space: nowrap; }
.muted { color: #7b8794; }
p.note { font-size: 13px; color: #52606d; margin: 8px 0 0 0; }
.pass { color: #2f855a; font-weight: 600; }
.fail { color: #c53030; font-weight: 600; }
.up { color: #2f855a; } .down { color: #c53030; }
.charts { display: flex; gap: 16px; flex-wrap: wrap; }
.charts svg { max-width: 100%; height: auto; }
ul { margin: 4px 0 4px 20px; padding: 0; }
footer { color: #7b8794; font-size: 12px; padding: 0 32px 24px; }
"#;

/// Escapes text for HTML (text and quoted attribute values): markup characters become
/// entities, and control characters, line breaks and bidirectional controls become visible
/// escapes (`\u{1b}`, `\u{202e}` …) as in the terminal, so a name can neither add markup nor
/// turn the rest of a table row around.
pub fn esc(s: &str) -> String {
    crate::text::safe::terminal_safe(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A whole self-contained page: the shared style, a header, the body.
pub fn page(title: &str, subtitle: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>{CSS}</style></head><body><header><h1>{t}</h1><p>{s}</p></header><main>{body}</main>\
         <footer>由 peilian 陪练 生成 · 离线页面，无外部资源</footer></body></html>\n",
        t = esc(title),
        s = esc(subtitle)
    )
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

/// A line chart of overall scores over sessions with the pass mark.
pub fn trend_svg(points: &[f32], pass_mark: f32, width: u32, height: u32) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let n = points.len().max(2) as f32;
        let chart = ChartBuilder::on(&root)
            .caption("总分趋势（每次练习）", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(36)
            .build_cartesian_2d(1f32..n, 0f32..100f32);
        if let Ok(mut chart) = chart {
            let _ = chart
                .configure_mesh()
                .x_desc("第几次")
                .y_desc("分")
                .x_labels(points.len().clamp(2, 10))
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_labels(6)
                .y_label_formatter(&|y| format!("{y:.0}"))
                .draw();
            let _ =
                chart.draw_series(LineSeries::new([(1.0, pass_mark), (n, pass_mark)], RED.mix(0.6).stroke_width(1)));
            let line = RGBColor(31, 78, 121);
            let _ = chart.draw_series(LineSeries::new(
                points.iter().enumerate().map(|(i, &y)| (i as f32 + 1.0, y)),
                line.stroke_width(2),
            ));
            let _ = chart.draw_series(
                points.iter().enumerate().map(|(i, &y)| Circle::new((i as f32 + 1.0, y), 3, line.filled())),
            );
        }
        let _ = root.present();
    }
    svg
}

/// How bars are coloured and labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarStyle {
    /// Scores 0–100: green from 70, amber from 50, red below.
    Score,
    /// Counts: one colour, the count and its unit (次, 段 …) as label; `max` is the longest bar.
    Count { max: u32, unit: &'static str, color: RGBColor },
}

/// The colour of counts of mistakes.
pub const MISTAKE: RGBColor = RGBColor(221, 107, 32);
/// The colour of plain counts.
pub const NEUTRAL: RGBColor = RGBColor(31, 78, 121);

/// Horizontal bars (label, value 0–100).
pub fn bars_svg(title: &str, bars: &[(String, f32)], width: u32) -> String {
    styled_bars_svg(title, bars, width, BarStyle::Score)
}

/// Horizontal bars with a style.
pub fn styled_bars_svg(title: &str, bars: &[(String, f32)], width: u32, style: BarStyle) -> String {
    let row = 26u32;
    let height = 50 + row * bars.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        // plotters escapes markup in SVG text; control characters are escaped here.
        let _ = root.draw(&Text::new(terminal_safe(title).into_owned(), (12, 8), ("sans-serif", 18).into_font()));
        let label_w = 130i32;
        let bar_w = width as i32 - label_w - 70;
        for (i, (label, value)) in bars.iter().enumerate() {
            let y = 40 + (i as i32) * row as i32;
            let (fraction, color, text) = match style {
                BarStyle::Score => {
                    let v = value.clamp(0.0, 100.0);
                    let color = if v >= 70.0 {
                        RGBColor(47, 133, 90)
                    } else if v >= 50.0 {
                        RGBColor(214, 158, 46)
                    } else {
                        RGBColor(197, 48, 48)
                    };
                    (v / 100.0, color, format!("{v:.1}"))
                }
                BarStyle::Count { max, unit, color } => {
                    (value / max.max(1) as f32, color, format!("{value:.0} {unit}"))
                }
            };
            let w = (bar_w as f32 * fraction.clamp(0.0, 1.0)) as i32;
            let _ =
                root.draw(&Text::new(terminal_safe(label).into_owned(), (12, y + 4), ("sans-serif", 14).into_font()));
            let _ =
                root.draw(&Rectangle::new([(label_w, y), (label_w + bar_w, y + 18)], RGBColor(237, 242, 247).filled()));
            let _ = root.draw(&Rectangle::new([(label_w, y), (label_w + w, y + 18)], color.filled()));
            let _ = root.draw(&Text::new(text, (label_w + bar_w + 8, y + 3), ("sans-serif", 14).into_font()));
        }
        let _ = root.present();
    }
    svg
}

/// The page for one trainee.
pub fn trainee_page(r: &TraineeReport, pass_mark: f32) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<section><h2>概览</h2><div class=\"cards\">\
         <div class=\"card\"><b>{}</b><span>练习次数（未完成 {}）</span></div>\
         <div class=\"card\"><b>{}</b><span>通过率</span></div>\
         <div class=\"card\"><b>{}</b><span>平均分</span></div>\
         <div class=\"card\"><b>{}</b><span>最高分</span></div>\
         <div class=\"card\"><b>{}</b><span>最近一次</span></div>\
         <div class=\"card\"><b>{}</b><span>趋势（近{}次对比之前）</span></div></div></section>",
        r.sessions,
        r.incomplete,
        pct(r.pass_rate),
        opt(r.average),
        opt(r.best),
        opt(r.latest),
        trend_cell(r.trend.delta, r.trend.label()),
        crate::records::coaching::TREND_WINDOW
    );
    let points: Vec<f32> = r.timeline.iter().map(|p| p.overall).collect();
    let rubric_bars: Vec<(String, f32)> = ["concepts", "tone", "escalation", "no_repeat", "responsiveness"]
        .iter()
        .filter_map(|k| r.rubric_averages.get(*k).map(|v| (rubric_label(k).to_string(), *v)))
        .collect();
    let skill_bars: Vec<(String, f32)> = r.skills.iter().map(|s| (s.label.clone(), s.average)).collect();
    let _ = write!(
        b,
        "<section><h2>趋势与各项得分</h2><div class=\"charts\">{}{}</div>",
        trend_svg(&points, pass_mark, 620, 300),
        bars_svg("各评分项平均", &rubric_bars, 420)
    );
    if !skill_bars.is_empty() {
        let _ = write!(b, "<div class=\"charts\">{}</div>", bars_svg("各技能平均（低者在前）", &skill_bars, 620));
    }
    b.push_str("</section>");

    b.push_str("<section><h2>薄弱技能与依据</h2>");
    if r.weakest.is_empty() {
        b.push_str("<p>还没有完成的练习。</p>");
    }
    for w in &r.weakest {
        let _ = write!(
            b,
            "<h3>{}（平均 {:.1} 分，{} 次）</h3><ul>",
            esc(&w.skill.label),
            w.skill.average,
            w.skill.sessions
        );
        if !w.missed_concepts.is_empty() {
            let list: Vec<String> =
                w.missed_concepts.iter().map(|c| format!("{}（{} 次）", esc(&c.label), c.count)).collect();
            let _ = write!(b, "<li>最常遗漏的要点：{}</li>", list.join("、"));
        }
        if !w.red_lines.is_empty() {
            let list: Vec<String> =
                w.red_lines.iter().map(|c| format!("「{}」（{} 次）", esc(&c.label), c.count)).collect();
            let _ = write!(b, "<li class=\"fail\">触犯红线：{}</li>", list.join("、"));
        }
        let t = &w.transfers;
        if t.mistimed() > 0 {
            let _ = write!(
                b,
                "<li>转接时机：过早 {}，不该转 {}，过晚 {}，该转未转 {}</li>",
                t.early, t.premature, t.late, t.missed
            );
        }
        b.push_str("</ul>");
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
    let subtitle = format!("学员报告 · 团队：{}", if r.team.is_empty() { "（未分组）" } else { &r.team });
    page(&format!("{} 的练习报告", r.trainee), &subtitle, &b)
}

/// The page for a team (or everyone).
pub fn team_page(r: &TeamReport) -> String {
    let mut b = String::new();
    let completed: u32 = r.rows.iter().map(|x| x.completed).sum();
    let passed: u32 = r.rows.iter().map(|x| x.passed).sum();
    let _ = write!(
        b,
        "<section><h2>概览</h2><div class=\"cards\"><div class=\"card\"><b>{}</b><span>学员</span></div>\
         <div class=\"card\"><b>{}</b><span>完成的练习</span></div><div class=\"card\"><b>{}</b><span>通过率</span></div></div></section>",
        r.rows.len(),
        completed,
        pct((completed > 0).then(|| passed as f32 / completed as f32))
    );
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
            bars_svg("平均分前 15 名", &top, 640)
        );
    }
    b.push_str("<section><h2>学员一览</h2><table><tr><th>学员</th><th>团队</th><th class=\"num\">练习</th><th class=\"num\">平均</th><th class=\"num\">最高</th><th class=\"num\">通过率</th><th>趋势</th><th>最弱技能</th></tr>");
    for x in &r.rows {
        let weak = x
            .weakest_skill
            .as_ref()
            .map_or_else(|| "—".to_string(), |w| format!("{}（{:.1}）", esc(&w.label), w.average));
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&x.name),
            esc(&x.team),
            x.sessions,
            opt(x.average),
            opt(x.best),
            pct(x.pass_rate),
            trend_cell(x.trend.delta, x.trend.label()),
            weak
        );
    }
    b.push_str("</table></section>");
    if !r.missed_concepts.is_empty() {
        let max = r.missed_concepts.iter().map(|c| c.count).max().unwrap_or(1);
        let bars: Vec<(String, f32)> = r.missed_concepts.iter().map(|c| (c.label.clone(), c.count as f32)).collect();
        let _ = write!(
            b,
            "<section><h2>最常遗漏的要点</h2><div class=\"charts\">{}</div></section>",
            styled_bars_svg("遗漏次数", &bars, 640, BarStyle::Count { max, unit: "次", color: MISTAKE })
        );
    }
    b.push_str("<section><h2>红线触犯</h2>");
    if r.red_lines.is_empty() {
        b.push_str("<p class=\"pass\">没有红线记录。</p>");
    } else {
        b.push_str("<table><tr><th>说法</th><th class=\"num\">次数</th><th class=\"num\">涉及学员</th></tr>");
        for x in &r.red_lines {
            let _ = write!(
                b,
                "<tr><td class=\"fail\">「{}」</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&x.phrase),
                x.count,
                x.trainees
            );
        }
        b.push_str("</table>");
    }
    b.push_str("</section>");
    let title = match &r.team {
        Some(t) => format!("团队“{t}”练习报告"),
        None => "全体学员练习报告".to_string(),
    };
    page(&title, "团队报告", &b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::coaching::{RedLineCount, TraineeRow, Trend};

    #[test]
    fn names_cannot_add_markup_or_control_characters() {
        assert_eq!(esc("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assert_eq!(esc("a\"b&c"), "a&quot;b&amp;c");
        assert_eq!(esc("小王\n\u{1b}[2J\u{202e}"), "小王\\n\\u{1b}[2J\\u{202e}");
        let hostile = "<script>alert(1)</script>\u{1b}]0;x\u{7}\u{202e}";
        let row = TraineeRow {
            name: hostile.into(),
            team: "<marquee>组</marquee>".into(),
            sessions: 1,
            completed: 1,
            passed: 1,
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
            missed_concepts: Vec::new(),
            red_lines: vec![RedLineCount { phrase: "<img src=x>".into(), count: 1, trainees: 1 }],
        };
        let page = team_page(&report);
        for raw in ["<script", "<marquee", "<blink", "<img", "\u{1b}", "\u{7}", "\u{202e}"] {
            assert!(!page.contains(raw), "the page has {raw:?} raw");
        }
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;\\u{1b}]0;x\\u{7}\\u{202e}"));
        assert!(page.contains("&lt;img src=x&gt;"));
    }
}
