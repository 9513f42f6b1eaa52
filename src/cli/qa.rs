//! `peilian qa`: QA of real calls from transcript exports with the practice rubric's
//! scenario-independent part; a scorecard per agent, in the terminal or as JSON, optionally
//! stored beside the practice sessions.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use peilian::mining::Progress;
use peilian::mining::input::TextEncoding;
use peilian::mining::redact::Redactor;
use peilian::qa::agent::AgentSource;
use peilian::qa::rules::QaRules;
use peilian::qa::score::QaContext;
use peilian::qa::{AgentCard, QaError, QaOptions, QaReport};
use peilian::records::qa::{QaRecorder, RealCalls, date_ms};
use peilian::records::store::Store;
use peilian::scenario::Layout;
use peilian::scenario::library::default_scenarios_dir;
use peilian::text::safe::{json_safe, terminal_safe as t};

use crate::cli::common::DbArgs;

/// Bad lines printed in the terminal; the rest are counted.
const SHOW_BAD_LINES: usize = 20;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 历史对话导出（与 peilian mine 相同）：JSON Lines 或 CSV，可 gzip，UTF-8 或 GBK (transcript exports)
    #[arg(required = true, value_name = "EXPORT")]
    inputs: Vec<PathBuf>,
    /// 坐席 id 所在的字段（JSON：对话上或每个 turn 上）或列名（CSV） (field or column with the agent id)
    #[arg(long, value_name = "FIELD", conflicts_with_all = ["agent_from_mentions", "agent"])]
    agent_field: Option<String>,
    /// 没有坐席 id 时：按客户 @ 的客服账号区分坐席（如微博客服导出） (one agent per @-mentioned service account)
    #[arg(long, conflicts_with = "agent")]
    agent_from_mentions: bool,
    /// 没有坐席 id 时：全部客服回复算作这一位坐席（默认“客服”） (the one agent's name when there are no ids)
    #[arg(long, value_name = "NAME")]
    agent: Option<String>,
    /// 以 JSON 输出 (JSON output)
    #[arg(long)]
    json: bool,
    /// 把结果存入练习记录数据库（默认位置；也可用 --db 指定） (store the results in the records database)
    #[arg(long)]
    record: bool,
    /// 这批通话的日期 YYYY-MM-DD（存入数据库时用；默认今天） (date of these calls, for the records)
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// 终端里最多显示多少位坐席（按名字排序；JSON 总是全部） (agents shown in the terminal)
    #[arg(long, default_value_t = 20, value_name = "N")]
    show: usize,
    /// 不是 UTF-8 的行用什么编码读：auto（默认）、utf-8、gb18030（gbk）、big5 (encoding of lines that are not UTF-8)
    #[arg(long, default_value = "auto", value_name = "ENCODING", value_parser = TextEncoding::NAMES)]
    encoding: String,
    /// 不显示进度条 (no progress bar)
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// The terminal's progress bar: bytes read, dialogues so far.
struct Bar {
    bar: ProgressBar,
    started: Instant,
}

impl Bar {
    fn new(quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(
            Some(0),
            if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr_with_hz(8) },
        );
        bar.set_style(
            ProgressStyle::with_template("{spinner} 质检 [{bar:30}] {bytes}/{total_bytes} · 剩余 {eta} · {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar { bar, started: Instant::now() }
    }
}

impl Progress for Bar {
    fn start(&self, total_bytes: u64) {
        self.bar.set_length(total_bytes);
        self.bar.enable_steady_tick(Duration::from_millis(200));
    }
    fn update(&self, bytes: u64, dialogues: u64) {
        self.bar.set_position(bytes);
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        self.bar.set_message(format!("{dialogues} 段对话（{:.0} 段/秒）", dialogues as f64 / secs));
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let agents = match (&args.agent_field, args.agent_from_mentions, &args.agent) {
        (Some(f), _, _) if f.trim().is_empty() => {
            eprintln!("错误：--agent-field 不能为空\n    提示：写导出里坐席 id 的字段名，例如 --agent-field agent_id");
            return Ok(ExitCode::from(2));
        }
        (Some(f), _, _) => AgentSource::Field(f.trim().to_string()),
        (None, true, _) => AgentSource::Mentions,
        (None, false, name) => {
            let name = name.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or("客服");
            AgentSource::One(name.to_string())
        }
    };
    let call_ms = match &args.date {
        None => peilian::records::store::now_ms(),
        Some(d) => match date_ms(d) {
            Some(ms) => ms,
            None => {
                eprintln!("错误：--date “{}” 不是日期\n    提示：写成 YYYY-MM-DD，例如 --date 2026-03-02", t(d));
                return Ok(ExitCode::from(2));
            }
        },
    };
    // The same dictionary and conduct policy as scoring: the lexicons and the library's phrases.
    let layout = default_scenarios_dir().map(|d| Layout::around(&d)).unwrap_or_default();
    let analyzer = match layout.analyzer() {
        Ok(a) => a,
        Err(d) => {
            for x in d {
                eprintln!("{x}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    let rules = match QaRules::from_assets(layout.assets.as_deref()) {
        Ok(r) => r,
        Err(d) => {
            for x in d {
                eprintln!("{x}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    let ctx = QaContext::new(Arc::new(analyzer), Redactor::new(), rules);
    let opts = QaOptions {
        inputs: args.inputs.clone(),
        encoding: TextEncoding::parse(&args.encoding).unwrap_or_default(),
        agents: agents.clone(),
    };
    let mut store = if args.record || args.db.db.is_some() {
        let path = args.db.path();
        match Store::open(&path) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("错误：{}\n    提示：{}", t(&e.to_string()), e.hint());
                return Ok(ExitCode::from(2));
            }
        }
    } else {
        None
    };
    let bar = Bar::new(args.quiet || args.json);
    let started = Instant::now();
    let inputs: Vec<String> = args.inputs.iter().map(|p| p.display().to_string()).collect();
    let agents_from = match &agents {
        AgentSource::Field(f) => format!("field:{f}"),
        AgentSource::Mentions => "mentions".to_string(),
        AgentSource::One(n) => format!("one:{n}"),
    };
    let (result, saved) = match store.as_mut() {
        Some(store) => {
            let mut recorder = match QaRecorder::begin(store, &inputs, &agents_from, call_ms, &ctx.rules) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("错误：{}\n    提示：{}", t(&e.to_string()), e.hint());
                    return Ok(ExitCode::from(2));
                }
            };
            let result = peilian::qa::run(&opts, &ctx, Some(&mut recorder), &bar);
            // Nothing is committed unless the whole run went through.
            let saved = match &result {
                Ok(o) if o.sink_error.is_none() => Some(recorder.finish().map_err(|e| e.to_string())),
                _ => None,
            };
            (result, saved)
        }
        None => (peilian::qa::run(&opts, &ctx, None, &bar), None),
    };
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            for p in &args.inputs {
                if let Err(problem) = peilian::mining::input::probe(p) {
                    eprintln!("错误：{}", t(&problem.to_string()));
                }
            }
            report_failure(&e);
            return Ok(ExitCode::from(2));
        }
    };
    for (path, problem) in &outcome.unreadable {
        eprintln!("错误：{}：{}（已跳过这个文件）", t(&path.display().to_string()), t(problem));
    }
    for (path, b) in outcome.bad_lines.iter().take(SHOW_BAD_LINES) {
        eprintln!("{}:{}: {}\n    提示：{}", t(&path.display().to_string()), b.line, t(&b.reason), b.hint);
    }
    if outcome.bad_line_count as usize > SHOW_BAD_LINES {
        eprintln!("……其余 {} 行有问题的行未列出", outcome.bad_line_count as usize - SHOW_BAD_LINES);
    }
    for (path, st) in &outcome.files {
        if let Some(e) = &st.error {
            eprintln!("警告：{}：{}", t(&path.display().to_string()), t(e));
        } else if st.lines == 0 {
            eprintln!("警告：{}：文件是空的，没有对话", t(&path.display().to_string()));
        }
    }
    let passed = |name: &str| store.as_ref().map(|s| passed_scenarios(s, name)).unwrap_or_default();
    let report = outcome.report(&agents, &ctx.rules, &crate::cli::report::library_metas(), &passed);
    if args.json {
        println!("{}", json_safe(&serde_json::to_string_pretty(&report)?));
    } else {
        print_report(&report, args.show, started.elapsed());
    }
    if let Some(e) = &outcome.sink_error {
        eprintln!("错误：保存质检结果失败：{}\n    提示：本次结果没有写入数据库；检查数据库文件是否可写", t(e));
        return Ok(ExitCode::from(1));
    }
    match saved {
        Some(Ok((calls, new))) => eprintln!(
            "已存入 {}：{calls} 通通话（新增 {new}，更新 {}）",
            t(&args.db.path().display().to_string()),
            calls - new
        ),
        Some(Err(e)) => {
            eprintln!("错误：保存质检结果失败：{}\n    提示：本次结果没有写入数据库", t(&e));
            return Ok(ExitCode::from(1));
        }
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// Scenarios the agent has passed in practice, when they are a trainee of the database.
fn passed_scenarios(store: &Store, name: &str) -> Vec<String> {
    let mut stmt = match store.conn().prepare(
        "SELECT DISTINCT s.scenario_id FROM sessions s JOIN trainees t ON t.id = s.trainee_id
         WHERE t.name = ?1 AND s.passed = 1 ORDER BY 1",
    ) {
        Ok(s) => s,
        Err(_) => return Vec::new(),
    };
    stmt.query_map([name], |r| r.get::<_, String>(0)).map(|rows| rows.flatten().collect()).unwrap_or_default()
}

fn report_failure(e: &QaError) {
    if let QaError::NoDialogues { lines, files, .. } = e {
        for (path, st) in files {
            let p = t(&path.display().to_string()).into_owned();
            if let Some(err) = &st.error {
                eprintln!("错误：{p}：{}", t(err));
            } else if st.lines == 0 {
                eprintln!(
                    "{p}:1: 文件是空的，没有一行对话\n    提示：检查导出是否完成；JSON Lines 每行一段对话，CSV 每行一个轮次"
                );
            }
        }
        for (path, b) in lines.iter().take(SHOW_BAD_LINES) {
            eprintln!("{}:{}: {}\n    提示：{}", t(&path.display().to_string()), b.line, t(&b.reason), b.hint);
        }
    }
    eprintln!("错误：{}\n    提示：{}", t(&e.to_string()), e.hint());
}

fn opt(v: Option<f32>) -> String {
    v.map_or_else(|| "—".to_string(), |x| format!("{x:.1}"))
}

fn print_report(r: &QaReport, show: usize, elapsed: Duration) {
    let secs = elapsed.as_secs_f64().max(0.001);
    println!(
        "读取 {} 个文件：{} 段对话，{} 行有问题（已跳过）。用时 {:.1} 秒（{:.0} 段/秒）",
        r.inputs.len(),
        r.dialogues,
        r.bad_lines,
        secs,
        r.dialogues as f64 / secs
    );
    println!("坐席：{}", t(&r.agents_from));
    let redacted: u64 = r.redactions.iter().map(|c| c.count).sum();
    let kinds: Vec<String> = r.redactions.iter().map(|c| format!("{} {}", c.label, c.count)).collect();
    println!("去除个人信息 {redacted} 处：{}", if kinds.is_empty() { "无".to_string() } else { kinds.join("、") });
    let incidents: Vec<String> = r.incidents.iter().map(|k| format!("{} {}", k.label, k.count)).collect();
    println!(
        "{} 位坐席 · {} 通通话 · 评分 {} 轮 · 问题：{}",
        r.agents.len(),
        r.calls,
        r.turns_scored,
        if incidents.is_empty() { "无".to_string() } else { incidents.join("、") }
    );
    for card in r.agents.iter().take(show) {
        print_card(card);
    }
    if r.agents.len() > show {
        println!("\n……其余 {} 位坐席未显示（--show N 显示更多，或用 --json）", r.agents.len() - show);
    }
}

fn print_card(c: &AgentCard) {
    println!("\n══ 坐席 {} ══", t(&c.agent));
    println!(
        "通话 {} 通 · 评分 {} 轮{} · 平均态度 {} · 问题 {} 处（严重 {} 处，涉及 {} 通通话）",
        c.calls,
        c.turns,
        if c.empty_turns > 0 { format!("（另有 {} 轮没有文字）", c.empty_turns) } else { String::new() },
        opt(c.manner),
        c.incidents,
        c.breaches,
        c.calls_with_breach
    );
    let a = &c.acts;
    println!(
        "  行为：致歉 {} · 体谅 {} · 安抚 {} · 询问 {} · 承诺 {}（有时限 {}）· 拒绝 {} · 让客户去别处 {} · 转接 {} · 致谢 {}",
        a.apologize, a.empathize, a.reassure, a.ask, a.commit, a.commit_timed, a.refuse, a.refer, a.transfer, a.thank
    );
    if !c.findings.is_empty() {
        println!("  问题：");
        for k in &c.findings {
            println!("    {} ×{}", k.label, k.count);
            for s in &k.samples {
                println!(
                    "      [{}] {}：「{}」（对话 {} 第 {} 轮）",
                    s.severity.label(),
                    t(&s.label),
                    t(&s.quote),
                    t(&s.dialogue_id),
                    s.turn
                );
            }
        }
    }
    if !c.weakest.is_empty() {
        println!("  薄弱技能（按问题数）：");
        for s in &c.weakest {
            println!("    {}：{} 处，每百轮 {:.1}", t(&s.label), s.incidents, s.per_100_turns);
            for q in s.samples.iter().take(2) {
                println!("      「{}」（对话 {} 第 {} 轮，{}）", t(&q.quote), t(&q.dialogue_id), q.turn, t(&q.label));
            }
        }
    }
    if !c.recommendations.is_empty() {
        println!("  推荐练习：");
        for rec in &c.recommendations {
            println!("    {}（{}，难度 {}）— {}", t(&rec.title), t(&rec.scenario_id), rec.difficulty, t(&rec.reason));
        }
    }
}

/// The real-call section of `peilian report --trainee`: figures, week by week beside practice,
/// and the findings with their quotes.
pub fn print_real_calls(r: &RealCalls) {
    println!("\n══ 真实通话质检（{}）══", t(&r.agent));
    println!(
        "通话 {} 通 · 评分 {} 轮 · 平均态度 {} · 问题 {} 处（每百轮 {}）· 严重 {} 处",
        r.calls,
        r.turns,
        opt(r.manner),
        r.incidents,
        opt(r.incidents_per_100_turns),
        r.breaches
    );
    if !r.by_kind.is_empty() {
        let kinds: Vec<String> = r.by_kind.iter().map(|k| format!("{}×{}", t(&k.label), k.count)).collect();
        println!("问题：{}", kinds.join("、"));
    }
    println!("\n按周对照（周一起，UTC）：     练习次数 练习平均 练习语气 │ 真实通话 真实态度 每百轮问题");
    for w in &r.weeks {
        println!(
            "  {}              {:>6} {:>8} {:>8} │ {:>8} {:>8} {:>10}",
            w.week,
            w.practice_sessions,
            opt(w.practice_average),
            opt(w.practice_tone),
            w.real_calls,
            opt(w.real_manner),
            opt(w.real_incidents_per_100_turns)
        );
    }
    if !r.findings.is_empty() {
        println!("\n问题原话：");
        for f in &r.findings {
            println!(
                "  [{}] {}：「{}」（对话 {} 第 {} 轮）",
                f.severity.label(),
                t(&f.label),
                t(&f.quote),
                t(&f.dialogue_id),
                f.turn
            );
        }
    }
}
