//! `peilian mine`: draft scenarios, a corpus report and the simulator's calibration from
//! exports of historical transcripts, with personal data removed first.

use peilian::diagnostic::display_path;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use peilian::mining::input::TextEncoding;
use peilian::mining::{MineError, MineOptions, MineOutcome, Progress, mine};
use peilian::scenario::library::lint_paths;
use peilian::scenario::schema::Channel;
use peilian::text::safe::terminal_safe as t;

/// Bad lines printed in the terminal; the rest are counted (and the report lists more).
const SHOW_BAD_LINES: usize = 20;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 历史对话导出：JSON Lines（每行一段对话）或 CSV（对话id, 轮次, 角色, 内容[, 时间]），可 gzip，UTF-8 或 GBK (transcript exports)
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// 场景草稿的输出目录，每个案例家族一个文件 (output directory for the drafts)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// 语料报告：写 FILE（HTML）和同名 .json (corpus report: FILE as HTML and FILE with .json)
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// 模拟客户校准文件（默认 <DIR>/calibration.ron） (calibration file for the simulated customer)
    #[arg(long, value_name = "FILE")]
    calibration: Option<PathBuf>,
    /// 少于这么多段对话的案例家族不出草稿 (smallest family that gets a draft)
    #[arg(long, default_value_t = 5, value_name = "N")]
    min_family: u64,
    /// 最多写这么多份草稿：愤怒、VIP、焦虑、老年客户的家族优先，其次按大小 (at most this many drafts)
    #[arg(long, default_value_t = 30, value_name = "N")]
    max_drafts: usize,
    /// 草稿的渠道：chat（在线）或 phone（电话） (channel of the drafts)
    #[arg(long, default_value = "chat", value_parser = ["chat", "phone"])]
    channel: String,
    /// 不是 UTF-8 的行用什么编码读：auto（默认，按内容判断 GB18030/GBK 或 Big5）、utf-8、gb18030（gbk）、big5
    /// (encoding of lines that are not UTF-8: auto, utf-8, gb18030/gbk, big5)
    #[arg(long, default_value = "auto", value_name = "ENCODING", value_parser = TextEncoding::NAMES)]
    encoding: String,
    /// 不显示进度条 (no progress bar)
    #[arg(long)]
    quiet: bool,
}

/// The terminal's progress bar: bytes read, rate and time left, dialogues so far.
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
            ProgressStyle::with_template(
                "{spinner} 挖掘 [{bar:30}] {bytes}/{total_bytes} · {bytes_per_sec} · 剩余 {eta} · {msg}",
            )
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
    fn phase(&self, text: &str) {
        self.bar.set_message(text.to_string());
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Exit 0 when any dialogue was mined (bad lines are reported, not fatal), 2 when no input
/// could be read at all.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut opts = MineOptions::new(args.inputs.clone(), args.out.clone());
    opts.report = args.report.clone();
    opts.calibration = args.calibration.clone();
    opts.min_family = args.min_family;
    opts.max_drafts = args.max_drafts;
    opts.channel = if args.channel == "phone" { Channel::Phone } else { Channel::Chat };
    opts.encoding = TextEncoding::parse(&args.encoding).unwrap_or_default();
    let bar = Bar::new(args.quiet);
    let started = Instant::now();
    let outcome = match mine(&opts, &bar) {
        Ok(o) => o,
        Err(e) => {
            bar.finish();
            for p in &args.inputs {
                if let Err(problem) = peilian::mining::input::probe(p) {
                    eprintln!("错误：{}", t(&problem.to_string()));
                }
            }
            if let MineError::NoDialogues { lines, .. } = &e {
                for (path, b) in lines.iter().take(SHOW_BAD_LINES) {
                    eprintln!("{}:{}: {}\n    提示：{}", t(&path.display().to_string()), b.line, t(&b.reason), b.hint);
                }
            }
            eprintln!("错误：{e}\n    提示：{}", e.hint());
            return Ok(match e {
                MineError::NoInput | MineError::NoDialogues { .. } => ExitCode::from(2),
                _ => ExitCode::from(1),
            });
        }
    };
    print_bad_lines(&outcome);
    print_summary(&outcome, &opts, started.elapsed());
    Ok(ExitCode::SUCCESS)
}

fn print_bad_lines(o: &MineOutcome) {
    for (path, problem) in &o.unreadable {
        eprintln!("错误：{}：{}（已跳过这个文件）", t(&path.display().to_string()), t(problem));
    }
    for (path, b) in o.bad_lines.iter().take(SHOW_BAD_LINES) {
        eprintln!("{}:{}: {}\n    提示：{}", t(&path.display().to_string()), b.line, t(&b.reason), b.hint);
    }
    if o.bad_line_count as usize > SHOW_BAD_LINES {
        eprintln!("……其余 {} 行有问题的行见报告（--report）", o.bad_line_count as usize - SHOW_BAD_LINES);
    }
    for i in &o.report.inputs {
        if let Some(e) = &i.error {
            eprintln!("警告：{}：{}", t(&i.path), t(e));
        }
        if let Some(note) = &i.encoding_note {
            eprintln!("提示：{}：{note}", t(&i.path));
        }
    }
}

/// True when `path` lies in a scenario library (a directory with `lexicons/`, or below
/// `scenarios/`), where the app would try to load it as a scenario.
fn in_scenario_library(path: &std::path::Path) -> bool {
    let layout = peilian::scenario::Layout::around(path);
    let under_library = layout.library.as_deref().is_some_and(|lib| {
        let (Ok(lib), Ok(dir)) = (lib.canonicalize(), path.parent().unwrap_or(path).canonicalize()) else {
            return false;
        };
        dir.starts_with(lib)
    });
    under_library || path.components().any(|c| c.as_os_str() == "scenarios")
}

fn pct(x: f32) -> String {
    format!("{:.1}%", x * 100.0)
}

fn print_summary(o: &MineOutcome, opts: &MineOptions, elapsed: Duration) {
    let r = &o.report;
    let t = &r.totals;
    let secs = elapsed.as_secs_f64().max(0.001);
    println!(
        "读取 {} 个文件：{} 段对话，{} 行有问题（已跳过）。用时 {:.1} 秒（{:.0} 段/秒）",
        r.inputs.len(),
        t.dialogues,
        o.bad_line_count,
        secs,
        t.dialogues as f64 / secs
    );
    let redacted: u64 = r.redactions.iter().map(|c| c.count).sum();
    let kinds: Vec<String> = r.redactions.iter().map(|c| format!("{} {}", c.label, c.count)).collect();
    println!("去除个人信息 {redacted} 处：{}", if kinds.is_empty() { "无".to_string() } else { kinds.join("、") });
    let personas: Vec<String> =
        r.personas.iter().filter(|p| p.count > 0).map(|p| format!("{} {}", p.label, pct(p.share))).collect();
    println!(
        "客户类型：{}；投诉 {}，要求找领导/转人工 {}，坐席转交 {}",
        personas.join("、"),
        pct(r.rates.complaint),
        pct(r.rates.supervisor_demand),
        pct(r.rates.transfer)
    );
    if !r.topics.is_empty() {
        let top: Vec<String> = r.topics.iter().take(8).map(|t| format!("{}（{}）", t.word, t.dialogues)).collect();
        println!("热门主题：{}", top.join("、"));
    }
    let lint = if o.drafts.is_empty() {
        String::new()
    } else {
        match lint_paths(&o.drafts) {
            Ok(l) => format!("（lint：{} 个错误，{} 个警告）", l.errors(), l.warnings()),
            Err(e) => format!("（lint 无法运行：{e}）"),
        }
    };
    println!("场景草稿 {} 份 → {}{lint}", o.drafts.len(), display_path(&opts.out));
    if !r.drafts.is_empty() {
        let tests: usize = r.drafts.iter().map(|d| d.tests).sum();
        let failed: usize = r.drafts.iter().map(|d| d.failed_tests).sum();
        let passing = r.drafts.iter().filter(|d| d.failed_tests == 0).count();
        println!(
            "草稿自测（peilian test：样例与示范回答）：{passing}/{} 份全部通过；共 {tests} 项，{failed} 项未过",
            r.drafts.len()
        );
    }
    println!(
        "模拟客户校准 → {}（用 PEILIAN_MOOD_MODEL={} 加载）",
        display_path(&o.calibration),
        display_path(&o.calibration)
    );
    if in_scenario_library(&o.calibration) {
        eprintln!(
            "提示：{} 在场景库目录里；它不是场景，应用载入场景库时会把它列为无法加载的文件。\n    可用 --calibration 把它写到场景库之外，例如 --calibration assets/customer/mined.ron",
            display_path(&o.calibration)
        );
    }
    if let Some((html, json)) = &o.report_files {
        println!("报告 → {}、{}", display_path(html), display_path(json));
    }
}
