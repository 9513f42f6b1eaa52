//! `peilian report`: coaching tables in the terminal, or JSON, CSV, or one self-contained HTML
//! page with charts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use peilian::diagnostic::display_path;
use peilian::records::coaching::{
    ScenarioMeta, TeamReport, TraineeReport, recent_sessions, team_report, trainee_report,
};
use peilian::records::drilldown::session_rows;
use peilian::records::font_subset::load_bundled_font;
use peilian::records::html;
use peilian::records::store::StoreError;
use peilian::scenario::library::{default_scenarios_dir, ron_files};
use peilian::scenario::parse_file;
use peilian::scoring::rubric_label;
use peilian::text::safe::{csv_safe, json_safe, terminal_safe as t};

use crate::cli::common::DbArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 一位学员的报告 (one trainee's report)
    #[arg(long, conflicts_with = "team")]
    trainee: Option<String>,
    /// 一个团队的报告；都不给时为全体学员 (one team; everyone when neither is given)
    #[arg(long)]
    team: Option<String>,
    /// 以 JSON 输出 (JSON output)
    #[arg(long, conflicts_with_all = ["csv", "html"])]
    json: bool,
    /// 以 CSV 输出 (CSV output)
    #[arg(long, conflicts_with = "html")]
    csv: bool,
    /// 写一个带图表的独立 HTML 页面 (write a self-contained HTML page)
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
}

/// The library's promoted scenarios, for recommendations.
pub fn library_metas() -> Vec<ScenarioMeta> {
    let Some(dir) = default_scenarios_dir() else { return Vec::new() };
    ron_files(&dir, false)
        .unwrap_or_default()
        .iter()
        .filter_map(|f| parse_file(f).ok())
        .filter(|p| !p.scenario.draft)
        .map(|p| ScenarioMeta::of(&p.scenario))
        .collect()
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let store = args.db.open()?;
    if let Some(name) = &args.trainee {
        // Real-call QA of the same person (`peilian qa`), beside the practice figures.
        let real = peilian::records::qa::real_calls(&store, name).unwrap_or_else(|e| {
            eprintln!("警告：读不出真实通话质检记录：{}", t(&e.to_string()));
            None
        });
        let report = match trainee_report(&store, name, &library_metas()) {
            Ok(r) => Some(r),
            Err(StoreError::NotFound(_)) if real.is_some() => None,
            Err(e) => {
                eprintln!("错误：{}", t(&e.to_string()));
                return Ok(ExitCode::from(2));
            }
        };
        if args.json {
            let mut value = match &report {
                Some(r) => serde_json::to_value(r)?,
                None => serde_json::json!({ "trainee": name }),
            };
            value["real_calls"] = serde_json::to_value(&real)?;
            println!("{}", json_safe(&serde_json::to_string_pretty(&value)?));
        } else if args.csv {
            match &report {
                Some(r) => trainee_csv(r)?,
                None => eprintln!("“{}”只有真实通话质检、没有练习记录；CSV 只含练习，请用 --json", t(name)),
            }
        } else if let Some(path) = &args.html {
            let sessions = recent_sessions(&store, Some(name), html::SESSIONS_IN_FULL)?;
            let mut page = match &report {
                Some(r) => html::trainee_page(r, 70.0, &sessions),
                None => html::page(&format!("{name} · 真实通话"), "只有真实通话质检，没有练习记录", ""),
            };
            if let (Some(real), Some(at)) = (&real, page.rfind("</body>")) {
                page.insert_str(at, &peilian::records::qa::html_section(real));
            }
            write_html(path, &page)?;
        } else {
            if let Some(r) = &report {
                print_trainee(r);
            }
            if let Some(real) = &real {
                crate::cli::qa::print_real_calls(real);
            }
        }
    } else {
        let report = team_report(&store, args.team.as_deref())?;
        if report.rows.is_empty() {
            eprintln!(
                "没有找到学员{}",
                args.team.as_deref().map(|team| format!("（团队“{}”）", t(team))).unwrap_or_default()
            );
            return Ok(ExitCode::from(2));
        }
        if args.json {
            println!("{}", json_safe(&serde_json::to_string_pretty(&report)?));
        } else if args.csv {
            team_csv(&report)?;
        } else if let Some(path) = &args.html {
            let recent = report
                .rows
                .iter()
                .take(html::TEAM_SUMMARIES)
                .map(|row| session_rows(&store, &row.name, html::TEAM_SUMMARY_SESSIONS))
                .collect::<Result<Vec<_>, _>>()?;
            write_html(path, &html::team_page(&report, &recent))?;
        } else {
            print_team(&report);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a page with the subset of the bundled font its text needs. Without the font (or
/// when it cannot be subset) the page falls back to system fonts, and one warning says so.
fn write_html(path: &Path, page: &str) -> anyhow::Result<()> {
    const FALLBACK: &str = "页面改用系统字体，没有中文字体的电脑上中文可能显示为方框";
    let (page, embedded) = match load_bundled_font() {
        Ok((font_path, font)) => match html::embed_font(page, &font) {
            Ok((page, sub)) => {
                if !sub.missing.is_empty() {
                    let shown: String = sub.missing.iter().take(20).collect();
                    eprintln!(
                        "警告：内置字体没有这 {} 个字符，页面上它们改用系统字体显示：{}{}",
                        sub.missing.len(),
                        t(&shown),
                        if sub.missing.len() > 20 { "…" } else { "" }
                    );
                }
                (page, Some(sub.chars))
            }
            Err(e) => {
                eprintln!("警告：字体 {}：{}；{FALLBACK}", t(&display_path(&font_path)), t(&e.to_string()));
                (page.to_string(), None)
            }
        },
        Err(e) => {
            eprintln!("警告：{}；{FALLBACK}", t(&e.to_string()));
            (page.to_string(), None)
        }
    };
    std::fs::write(path, &page)?;
    let kb = page.len().div_ceil(1024);
    match embedded {
        Some(chars) => eprintln!("已写入 {}（{kb} KB，内嵌字体子集 {chars} 个字符）", t(&display_path(path))),
        None => eprintln!("已写入 {}（{kb} KB）", t(&display_path(path))),
    }
    Ok(())
}

fn opt(v: Option<f32>) -> String {
    v.map_or_else(|| "—".to_string(), |x| format!("{x:.1}"))
}

fn pct(v: Option<f32>) -> String {
    v.map_or_else(|| "—".to_string(), |x| format!("{:.0}%", x * 100.0))
}

fn print_trainee(r: &TraineeReport) {
    println!(
        "══ {} 的练习报告（团队：{}）══",
        t(&r.trainee),
        if r.team.is_empty() { "未分组".into() } else { t(&r.team) }
    );
    println!(
        "练习 {} 次（完成 {}，未完成 {}） · 通过率 {} · 平均 {} · 最高 {} · 最近 {} · 趋势 {} {}",
        r.sessions,
        r.completed,
        r.incomplete,
        pct(r.pass_rate),
        opt(r.average),
        opt(r.best),
        opt(r.latest),
        r.trend.label(),
        r.trend.delta.map(|d| format!("({d:+.1})")).unwrap_or_default()
    );
    println!("\n各评分项平均：");
    for (k, v) in &r.rubric_averages {
        println!("  {:<8} {v:>5.1}", rubric_label(k));
    }
    println!("\n各技能平均（弱者在前）：");
    for s in &r.skills {
        println!("  {:<8} {:>5.1}（{} 次）", t(&s.label), s.average, s.sessions);
    }
    for w in &r.weakest {
        println!("\n薄弱：{}（{:.1}）", t(&w.skill.label), w.skill.average);
        if !w.missed_concepts.is_empty() {
            let v: Vec<String> = w.missed_concepts.iter().map(|c| format!("{}×{}", t(&c.label), c.count)).collect();
            println!("  常漏要点：{}", v.join("、"));
        }
        if !w.red_lines.is_empty() {
            let v: Vec<String> = w.red_lines.iter().map(|c| format!("「{}」×{}", t(&c.label), c.count)).collect();
            println!("  红线：{}", v.join("、"));
        }
        let t = &w.transfers;
        if t.mistimed() > 0 {
            println!("  转接：过早 {} · 不该转 {} · 过晚 {} · 该转未转 {}", t.early, t.premature, t.late, t.missed);
        }
    }
    println!("\n推荐下一步：");
    for rec in &r.recommendations {
        println!("  {}（{}，难度 {}）— {}", t(&rec.title), t(&rec.scenario_id), rec.difficulty, t(&rec.reason));
    }
    println!("\n各场景：");
    for s in &r.scenarios {
        println!(
            "  {} · {} 次 · 最高 {} · 最近 {} · {}",
            t(&s.title),
            s.attempts,
            opt(s.best),
            opt(s.latest),
            if s.passed { "已通过" } else { "未通过" }
        );
    }
}

fn print_team(r: &TeamReport) {
    println!("══ {} ══", r.team.as_deref().map_or_else(|| "全体学员".to_string(), |team| format!("团队“{}”", t(team))));
    println!(
        "{:<10} {:<8} {:>5} {:>6} {:>6} {:>6}  {:<10} 最弱技能",
        "学员", "团队", "练习", "平均", "最高", "通过率", "趋势"
    );
    for x in &r.rows {
        println!(
            "{:<10} {:<8} {:>5} {:>6} {:>6} {:>6}  {:<10} {}",
            t(&x.name),
            t(&x.team),
            x.sessions,
            opt(x.average),
            opt(x.best),
            pct(x.pass_rate),
            format!("{}{}", x.trend.label(), x.trend.delta.map(|d| format!("{d:+.1}")).unwrap_or_default()),
            x.weakest_skill
                .as_ref()
                .map_or_else(|| "—".to_string(), |w| format!("{}（{:.1}）", t(&w.label), w.average))
        );
    }
    println!("\n排行榜：");
    for (i, name) in r.leaderboard.iter().take(10).enumerate() {
        let avg = r.rows.iter().find(|x| &x.name == name).and_then(|x| x.average);
        println!("  {}. {} {}", i + 1, t(name), opt(avg));
    }
    if !r.missed_concepts.is_empty() {
        let v: Vec<String> = r.missed_concepts.iter().map(|c| format!("{}×{}", t(&c.label), c.count)).collect();
        println!("\n最常遗漏的要点：{}", v.join("、"));
    }
    if !r.red_lines.is_empty() {
        let v: Vec<String> =
            r.red_lines.iter().map(|c| format!("「{}」×{}（{} 人）", t(&c.phrase), c.count, c.trainees)).collect();
        println!("红线触犯：{}", v.join("、"));
    }
}

fn trainee_csv(r: &TraineeReport) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(std::io::stdout());
    w.write_record([
        "session_id",
        "ended_ms",
        "scenario_id",
        "overall",
        "passed",
        "concepts",
        "tone",
        "escalation",
        "no_repeat",
        "responsiveness",
    ])?;
    for p in &r.timeline {
        let g = |k: &str| p.rubrics.get(k).map(|v| format!("{v:.1}")).unwrap_or_default();
        w.write_record([
            p.session_id.to_string(),
            p.ended_ms.to_string(),
            csv_safe(&p.scenario_id).into_owned(),
            format!("{:.1}", p.overall),
            p.passed.to_string(),
            g("concepts"),
            g("tone"),
            g("escalation"),
            g("no_repeat"),
            g("responsiveness"),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn team_csv(r: &TeamReport) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(std::io::stdout());
    w.write_record([
        "trainee",
        "team",
        "sessions",
        "completed",
        "passed",
        "pass_rate",
        "average",
        "best",
        "trend_delta",
        "weakest_skill",
        "weakest_average",
    ])?;
    let f = |v: Option<f32>| v.map(|x| format!("{x:.1}")).unwrap_or_default();
    for x in &r.rows {
        w.write_record([
            csv_safe(&x.name).into_owned(),
            csv_safe(&x.team).into_owned(),
            x.sessions.to_string(),
            x.completed.to_string(),
            x.passed.to_string(),
            x.pass_rate.map(|p| format!("{p:.3}")).unwrap_or_default(),
            f(x.average),
            f(x.best),
            f(x.trend.delta),
            x.weakest_skill.as_ref().map(|s| csv_safe(&s.label).into_owned()).unwrap_or_default(),
            f(x.weakest_skill.as_ref().map(|s| s.average)),
        ])?;
    }
    w.flush()?;
    Ok(())
}
