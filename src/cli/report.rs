//! `peilian report`: coaching tables in the terminal, or JSON, CSV, or one self-contained HTML
//! page with charts — for a trainee, a team (or everyone), or one scenario across a team, over
//! all dates or a period.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use peilian::diagnostic::display_path;
use peilian::html::font::embed_font;
use peilian::html::font_subset::load_bundled_font;
use peilian::records::coaching::{
    IncidentCount, IncidentScope, Period, ReportIncident, ScenarioMeta, ScenarioReport, TeamReport, TraineeReport,
    all_incidents, recent_sessions, scenario_report, team_report_in, trainee_report_in,
};
use peilian::records::drilldown::session_rows;
use peilian::records::html;
use peilian::records::store::{SCHEMA_VERSION, Store, StoreError};
use peilian::scenario::library::{default_scenarios_dir, ron_files};
use peilian::scenario::parse_file;
use peilian::scoring::rubric_label;
use peilian::text::safe::{csv_safe, json_safe, terminal_safe as t};

use crate::cli::common::DbArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 一位学员的报告 (one trainee's report)
    #[arg(long, conflicts_with_all = ["team", "scenario"])]
    trainee: Option<String>,
    /// 一个团队的报告；都不给时为全体学员 (one team; everyone when neither is given)
    #[arg(long)]
    team: Option<String>,
    /// 一个场景的团队视图：谁练过、谁通过、最高与最近、最常遗漏、事件 (one scenario across the team)
    #[arg(long, value_name = "ID")]
    scenario: Option<String>,
    /// 只算这一天（本机时区）及以后开始的练习，格式 2026-11-01 (sessions from this local date on)
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// 只算到这一天（本机时区，含当天）为止开始的练习 (sessions up to this local date, inclusive)
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// 以 JSON 输出 (JSON output)
    #[arg(long, conflicts_with_all = ["csv", "html"])]
    json: bool,
    /// 以 CSV 输出 (CSV output)
    #[arg(long, conflicts_with = "html")]
    csv: bool,
    /// 与 --csv 同用：输出事件明细（每个事件一行，含学员的话与回合） (with --csv: one row per incident)
    #[arg(long, requires = "csv")]
    incidents: bool,
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

/// The database, read-only; one written by an older peilian is first upgraded (its records
/// kept) when it can be written, since reports need the incidents and skill tables.
fn open_current(db: &DbArgs) -> anyhow::Result<Store> {
    let store = db.open()?;
    let version = store.schema_version()?;
    if version >= SCHEMA_VERSION {
        return Ok(store);
    }
    drop(store);
    let path = db.path();
    match Store::open(&path) {
        Ok(s) => {
            eprintln!("已把数据库 {} 从第 {version} 版升级到第 {SCHEMA_VERSION} 版（记录全部保留）", path.display());
            Ok(s)
        }
        Err(e) => bail!(
            "数据库 {} 是旧版本（第 {version} 版），报告需要第 {SCHEMA_VERSION} 版，升级失败：{e}\n    提示：把数据库放到可写的位置再运行一次 peilian report，即可自动升级",
            path.display()
        ),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let period = match Period::from_dates(args.since.as_deref(), args.until.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("错误：{e}（--since / --until）");
            return Ok(ExitCode::from(2));
        }
    };
    let store = open_current(&args.db)?;
    if let Some(name) = &args.trainee {
        // Real-call QA of the same person (`peilian qa`), beside the practice figures.
        let real = peilian::records::qa::real_calls(&store, name).unwrap_or_else(|e| {
            eprintln!("警告：读不出真实通话质检记录：{}", t(&e.to_string()));
            None
        });
        let report = match trainee_report_in(&store, name, &library_metas(), &period) {
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
        } else if args.csv && args.incidents {
            match &report {
                Some(_) => incidents_csv(&all_incidents(&store, IncidentScope::Trainee(name), &period)?)?,
                None => eprintln!("“{}”没有练习记录；真实通话的事件请用 --json", t(name)),
            }
        } else if args.csv {
            match &report {
                Some(r) => trainee_csv(r)?,
                None => eprintln!("“{}”只有真实通话质检、没有练习记录；CSV 只含练习，请用 --json", t(name)),
            }
        } else if let Some(path) = &args.html {
            let sessions = recent_sessions(&store, Some(name), html::SESSIONS_IN_FULL)?;
            let mut page = match &report {
                Some(r) => html::trainee_page(r, 70.0, &sessions),
                None => peilian::html::page(&format!("{name} · 真实通话"), "只有真实通话质检，没有练习记录", ""),
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
    } else if let Some(id) = &args.scenario {
        let report = scenario_report(&store, id, args.team.as_deref(), &period)?;
        if report.rows.is_empty() {
            eprintln!(
                "没有找到场景“{}”的练习记录{}（{}）",
                t(id),
                args.team.as_deref().map(|team| format!("（团队“{}”）", t(team))).unwrap_or_default(),
                period.label()
            );
            return Ok(ExitCode::from(2));
        }
        if args.json {
            println!("{}", json_safe(&serde_json::to_string_pretty(&report)?));
        } else if args.csv && args.incidents {
            let scope = IncidentScope::Scenario { id, team: args.team.as_deref() };
            incidents_csv(&all_incidents(&store, scope, &period)?)?;
        } else if args.csv {
            scenario_csv(&report)?;
        } else if let Some(path) = &args.html {
            std::fs::write(path, html::scenario_page(&report))?;
            eprintln!("已写入 {}", path.display());
        } else {
            print_scenario(&report);
        }
    } else {
        let report = team_report_in(&store, args.team.as_deref(), &period)?;
        if report.rows.is_empty() {
            eprintln!(
                "没有找到学员{}",
                args.team.as_deref().map(|team| format!("（团队“{}”）", t(team))).unwrap_or_default()
            );
            return Ok(ExitCode::from(2));
        }
        if args.json {
            println!("{}", json_safe(&serde_json::to_string_pretty(&report)?));
        } else if args.csv && args.incidents {
            incidents_csv(&all_incidents(&store, IncidentScope::Team(args.team.as_deref()), &period)?)?;
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
        Ok((font_path, font)) => match embed_font(page, &font) {
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

/// The incidents: counts by kind and label, then the latest, each with its session and turn.
fn print_incidents(counts: &[IncidentCount], list: &[ReportIncident], with_trainee: bool) {
    if counts.is_empty() {
        println!("\n事件：无（没有不当言行、红线、转接失误或挂断）");
        return;
    }
    let total: u32 = counts.iter().map(|c| c.count).sum();
    println!("\n‼ 事件 {total} 个：");
    for c in counts {
        println!("  {} · {} ×{}（{} 人）", c.kind_label, t(&c.label), c.count, c.trainees);
    }
    println!("  最近的{}：", if (list.len() as u32) < total { format!(" {} 个", list.len()) } else { String::new() });
    for i in list {
        let who = if with_trainee { format!("{} · ", t(&i.trainee)) } else { String::new() };
        let at = if i.turn > 0 { format!("第{}回合", i.turn) } else { "整通".to_string() };
        let verdict = match i.passed {
            Some(true) => "（评分通过）",
            Some(false) => "",
            None => "（未完成）",
        };
        let quote = if i.quote.is_empty() { String::new() } else { format!("：「{}」", t(&i.quote)) };
        println!(
            "  {} {who}{} 练习 #{} {at} · {} · {}{quote}{verdict}",
            i.date,
            t(&i.scenario_title),
            i.session_id,
            i.kind_label,
            t(&i.label)
        );
    }
}

fn print_trainee(r: &TraineeReport) {
    println!(
        "══ {} 的练习报告（团队：{}；{}）══",
        t(&r.trainee),
        if r.team.is_empty() { "未分组".into() } else { t(&r.team) },
        t(&r.period.label())
    );
    println!(
        "练习 {} 次（完成 {}，未完成 {}） · 通过率 {}（通过且无事件；评分通过 {} 次，其中 {} 次有事件） · 平均 {} · 最高 {} · 最近 {} · 趋势 {} {}",
        r.sessions,
        r.completed,
        r.incomplete,
        pct(r.pass_rate),
        r.passed,
        r.passed_with_incidents,
        opt(r.average),
        opt(r.best),
        opt(r.latest),
        r.trend.label(),
        r.trend.delta.map(|d| format!("({d:+.1})")).unwrap_or_default()
    );
    print_incidents(&r.incident_counts, &r.incidents, false);
    println!("\n各评分项平均：");
    for (k, v) in &r.rubric_averages {
        println!("  {:<8} {v:>5.1}", rubric_label(k));
    }
    println!("\n各技能（只计体现该技能的回合，弱者在前）：");
    for s in &r.skills {
        println!("  {:<8} {:>5.1}（{} 个回合，{} 次练习）", t(&s.label), s.average, s.turns, s.sessions);
    }
    for w in &r.weakest {
        println!("\n薄弱：{}（{:.1}）", t(&w.skill.label), w.skill.average);
        for m in &w.misses {
            println!("  × {} ×{}", t(&m.label), m.count);
        }
    }
    if !r.missed_concepts.is_empty() {
        let v: Vec<String> = r.missed_concepts.iter().map(|c| format!("{}×{}", t(&c.label), c.count)).collect();
        println!("\n常漏要点：{}", v.join("、"));
    }
    let tr = &r.transfers;
    if tr.mistimed() > 0 {
        println!("转接：过早 {} · 不该转 {} · 过晚 {} · 该转未转 {}", tr.early, tr.premature, tr.late, tr.missed);
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
    if !r.timeline.is_empty() {
        println!("\n按日期（最近 {} 次，旧者在前；用 peilian replay 编号 查看逐回合）：", r.timeline.len());
        for p in &r.timeline {
            let verdict = match (p.passed, p.incidents) {
                (true, 0) => "通过".to_string(),
                (true, n) => format!("通过，但有 {n} 个事件"),
                (false, 0) => "未通过".to_string(),
                (false, n) => format!("未通过，{n} 个事件"),
            };
            println!("  {} #{} {} {:.1} {verdict}", p.date, p.session_id, t(&p.scenario_id), p.overall);
        }
    }
}

fn print_team(r: &TeamReport) {
    println!(
        "══ {}（{}）══",
        r.team.as_deref().map_or_else(|| "全体学员".to_string(), |team| format!("团队“{}”", t(team))),
        t(&r.period.label())
    );
    println!(
        "{:<10} {:<8} {:>5} {:>6} {:>6} {:>6} {:>5}  {:<10} 最弱技能",
        "学员", "团队", "练习", "平均", "最高", "通过率", "事件", "趋势"
    );
    for x in &r.rows {
        println!(
            "{:<10} {:<8} {:>5} {:>6} {:>6} {:>6} {:>5}  {:<10} {}",
            t(&x.name),
            t(&x.team),
            x.sessions,
            opt(x.average),
            opt(x.best),
            pct(x.pass_rate),
            x.incidents,
            format!("{}{}", x.trend.label(), x.trend.delta.map(|d| format!("{d:+.1}")).unwrap_or_default()),
            x.weakest_skill
                .as_ref()
                .map_or_else(|| "—".to_string(), |w| format!("{}（{:.1}）", t(&w.label), w.average))
        );
    }
    println!("（通过率：通过且无事件的练习占完成练习的比例）");
    println!("\n排行榜：");
    for (i, name) in r.leaderboard.iter().take(10).enumerate() {
        let avg = r.rows.iter().find(|x| &x.name == name).and_then(|x| x.average);
        println!("  {}. {} {}", i + 1, t(name), opt(avg));
    }
    if !r.missed_concepts.is_empty() {
        let v: Vec<String> = r.missed_concepts.iter().map(|c| format!("{}×{}", t(&c.label), c.count)).collect();
        println!("\n最常遗漏的要点：{}", v.join("、"));
    }
    print_incidents(&r.incident_counts, &r.incidents, true);
}

fn print_scenario(r: &ScenarioReport) {
    println!(
        "══ 场景“{}”（{}）· {} · {} ══",
        t(&r.title),
        t(&r.scenario_id),
        r.team.as_deref().map_or_else(|| "全体学员".to_string(), |team| format!("团队“{}”", t(team))),
        t(&r.period.label())
    );
    println!("练过 {} 人 · 通过且无事件 {} 人", r.attempted, r.passed);
    println!("{:<10} {:<8} {:>5} {:>6} {:>6} {:>5}  通过", "学员", "团队", "次数", "最高", "最近", "事件");
    for x in &r.rows {
        println!(
            "{:<10} {:<8} {:>5} {:>6} {:>6} {:>5}  {}",
            t(&x.name),
            t(&x.team),
            x.attempts,
            opt(x.best),
            opt(x.latest),
            x.incidents,
            if x.passed { "已通过" } else { "未通过" }
        );
    }
    if !r.missed_concepts.is_empty() {
        let v: Vec<String> = r.missed_concepts.iter().map(|c| format!("{}×{}", t(&c.label), c.count)).collect();
        println!("\n最常遗漏的要点：{}", v.join("、"));
    }
    print_incidents(&r.incident_counts, &r.incidents, true);
}

/// Incidents as CSV rows (the same columns in every report).
const INCIDENT_COLUMNS: [&str; 10] =
    ["date", "trainee", "session_id", "turn", "scenario_id", "kind", "label", "quote", "passed", "anchor"];

fn incident_record(i: &ReportIncident) -> [String; 10] {
    [
        i.date.clone(),
        csv_safe(&i.trainee).into_owned(),
        i.session_id.to_string(),
        i.turn.to_string(),
        csv_safe(&i.scenario_id).into_owned(),
        i.kind.clone(),
        csv_safe(&i.label).into_owned(),
        csv_safe(&i.quote).into_owned(),
        i.passed.map(|p| p.to_string()).unwrap_or_default(),
        i.anchor(),
    ]
}

/// CSV of the incidents (`--csv --incidents`), newest first.
fn incidents_csv(list: &[ReportIncident]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(std::io::stdout());
    w.write_record(INCIDENT_COLUMNS)?;
    for i in list {
        w.write_record(incident_record(i))?;
    }
    w.flush()?;
    Ok(())
}

fn trainee_csv(r: &TraineeReport) -> anyhow::Result<()> {
    {
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
            "date",
            "incidents",
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
                p.date.clone(),
                p.incidents.to_string(),
            ])?;
        }
        w.flush()?;
    }
    Ok(())
}

fn team_csv(r: &TeamReport) -> anyhow::Result<()> {
    {
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
            "incidents",
            "sessions_with_incidents",
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
                x.incidents.to_string(),
                x.sessions_with_incidents.to_string(),
            ])?;
        }
        w.flush()?;
    }
    Ok(())
}

fn scenario_csv(r: &ScenarioReport) -> anyhow::Result<()> {
    {
        let mut w = csv::Writer::from_writer(std::io::stdout());
        w.write_record(["trainee", "team", "attempts", "completed", "passed", "best", "latest", "incidents"])?;
        let f = |v: Option<f32>| v.map(|x| format!("{x:.1}")).unwrap_or_default();
        for x in &r.rows {
            w.write_record([
                csv_safe(&x.name).into_owned(),
                csv_safe(&x.team).into_owned(),
                x.attempts.to_string(),
                x.completed.to_string(),
                x.passed.to_string(),
                f(x.best),
                f(x.latest),
                x.incidents.to_string(),
            ])?;
        }
        w.flush()?;
    }
    Ok(())
}
