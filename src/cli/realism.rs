//! `peilian realism`: the simulated customer beside real conversations, on the statistics that
//! tell simulated customers from real ones (`peilian::realism`, `docs/realism.md`).
//!
//! The corpus is read with the mining reader; the simulator's side is every sample call of every
//! scenario in the library, played as `peilian test` plays them. Both are measured by the same
//! function with the same analyzer. No text of either side is printed.

use peilian::diagnostic::display_path;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use peilian::mining::input::{Record, parse_json_line, probe, read_file};
use peilian::mining::redact::Redactor;
use peilian::realism::{
    Compared, DEFAULT_MIN_SUPPORT, Dialogue, ENGINE_MOOD, Measurer, Measures, Side, TOLERANCE, Unit, compare,
    group_title, measure,
};
use peilian::scenario::Layout;
use peilian::scenario::library::{default_scenarios_dir, is_scenario_file, ron_files};
use peilian::scoring::samples::play_call;
use serde::Serialize;

use crate::cli::common::{engine_for, engine_with};

/// Lines that could not be used printed in the terminal; the rest are counted.
const SHOW_BAD_LINES: usize = 20;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 真实对话语料：JSON Lines（每行一段对话）或 CSV，可 gzip，与 peilian mine 的输入相同
    /// (real transcripts, read as `peilian mine` reads them)
    #[arg(required = true, value_name = "CORPUS")]
    corpus: Vec<PathBuf>,
    /// 场景目录：运行其中每个场景的样例通话（默认 ./scenarios 或 PEILIAN_SCENARIOS）
    /// (scenario directory whose sample calls are played)
    #[arg(long, value_name = "DIR")]
    scenarios: Option<PathBuf>,
    /// 输出 JSON (JSON output)
    #[arg(long)]
    json: bool,
    /// 每个数字至少要有这么多个观测（对话、回复…）才给出并比较 (fewest observations a figure needs)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MIN_SUPPORT)]
    min_n: u64,
}

/// A corpus line that was not used.
#[derive(Debug, Serialize)]
struct Skipped {
    file: PathBuf,
    line: u64,
    reason: String,
    hint: String,
}

/// A scenario that could not be played, or a sample call that met problems.
#[derive(Debug, Serialize)]
struct Problem {
    file: PathBuf,
    error: String,
}

/// The real side: the dialogues read and what was skipped.
struct Corpus {
    dialogues: Vec<Dialogue>,
    skipped: Vec<Skipped>,
    /// A file could not be read to its end.
    errors: Vec<Problem>,
}

fn read_corpus(paths: &[PathBuf]) -> Result<Corpus, String> {
    let mut corpus = Corpus { dialogues: Vec::new(), skipped: Vec::new(), errors: Vec::new() };
    for (input, path) in paths.iter().enumerate() {
        let info = probe(path).map_err(|e| format!("{e}\n    提示：{}", e.hint()))?;
        let take = |line: u64, d: Dialogue, corpus: &mut Corpus| {
            if d.exchanges.iter().any(|x| x.role == peilian::mining::input::Role::Customer && !x.text.trim().is_empty())
            {
                corpus.dialogues.push(d);
            } else {
                corpus.skipped.push(Skipped {
                    file: path.clone(),
                    line,
                    reason: "对话里没有客户说的话（客户的轮次都为空）".into(),
                    hint: "检查 role 是否写反".into(),
                });
            }
        };
        let stats = read_file(input, &info, None, &mut |record| match record {
            Record::Json { line, text, .. } => match parse_json_line(&text) {
                Ok(raw) => take(line, Dialogue::from_raw(&raw), &mut corpus),
                Err((reason, hint)) => corpus.skipped.push(Skipped { file: path.clone(), line, reason, hint }),
            },
            Record::Dialogue { line, dialogue, .. } => take(line, Dialogue::from_raw(&dialogue), &mut corpus),
            Record::Bad(b) => {
                corpus.skipped.push(Skipped { file: path.clone(), line: b.line, reason: b.reason, hint: b.hint })
            }
        });
        if let Some(e) = stats.error {
            corpus.errors.push(Problem { file: path.clone(), error: e });
        }
    }
    Ok(corpus)
}

/// The simulated side: one dialogue per sample call.
struct Simulated {
    dir: PathBuf,
    scenarios: usize,
    dialogues: Vec<Dialogue>,
    failed: Vec<Problem>,
    problems: Vec<Problem>,
}

fn play_library(dir: &Path) -> anyhow::Result<Result<(Simulated, peilian::text::Analyzer), String>> {
    if !dir.is_dir() {
        return Ok(Err(format!("{}: 场景目录不存在", display_path(dir))));
    }
    let layout = Layout::around(dir);
    let base = match layout.analyzer() {
        Ok(a) => a,
        Err(d) => return Ok(Err(d.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))),
    };
    let files: Vec<PathBuf> = ron_files(dir, false)?.into_iter().filter(|f| is_scenario_file(f)).collect();
    let mut sim = Simulated {
        dir: dir.to_path_buf(),
        scenarios: 0,
        dialogues: Vec::new(),
        failed: Vec::new(),
        problems: Vec::new(),
    };
    for file in &files {
        let own = Layout::around(file);
        let engine = if own == layout { engine_with(file, &own, base.clone())? } else { engine_for(file)? };
        let engine = match engine {
            Ok(e) => e,
            Err(d) => {
                sim.failed.push(Problem { file: file.clone(), error: d.to_string() });
                continue;
            }
        };
        sim.scenarios += 1;
        for (i, call) in engine.scenario.scenario.sample_calls.iter().enumerate() {
            let (session, problems) = play_call(&engine, call);
            for p in problems {
                sim.problems.push(Problem { file: file.clone(), error: format!("样例通话 {}：{p}", i + 1) });
            }
            let id = format!("{}#{}", engine.scenario.id(), i + 1);
            sim.dialogues.push(Dialogue::from_transcript(id, session.transcript(), session.outcome()));
        }
    }
    Ok(Ok((sim, base)))
}

/// Exit 0 when every corpus line was used and every scenario played, 1 when some were skipped,
/// 2 when it could not run (a missing file, no dialogue, no scenario directory).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let corpus = match read_corpus(&args.corpus) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("错误：{e}");
            return Ok(ExitCode::from(2));
        }
    };
    for s in corpus.skipped.iter().take(SHOW_BAD_LINES) {
        eprintln!("{}:{}: {}（提示：{}）", display_path(&s.file), s.line, s.reason, s.hint);
    }
    if corpus.skipped.len() > SHOW_BAD_LINES {
        eprintln!("……另有 {} 行有问题（--json 列出全部）", corpus.skipped.len() - SHOW_BAD_LINES);
    }
    for e in &corpus.errors {
        eprintln!("{}: {}", display_path(&e.file), e.error);
    }
    if corpus.dialogues.is_empty() {
        eprintln!("错误：语料里没有读到任何可用的对话（{} 行有问题）", corpus.skipped.len());
        return Ok(ExitCode::from(2));
    }
    let Some(dir) = args.scenarios.clone().or_else(default_scenarios_dir) else {
        eprintln!("错误：找不到场景目录；用 --scenarios DIR 指定");
        return Ok(ExitCode::from(2));
    };
    let (sim, analyzer) = match play_library(&dir)? {
        Ok(x) => x,
        Err(e) => {
            eprintln!("错误：{e}");
            return Ok(ExitCode::from(2));
        }
    };
    for f in &sim.failed {
        eprintln!("× {}：无法加载，未计入\n{}", display_path(&f.file), f.error);
    }
    for p in &sim.problems {
        eprintln!("⚠ {}：{}", display_path(&p.file), p.error);
    }
    if sim.dialogues.is_empty() {
        eprintln!("⚠ {} 里没有可运行的样例通话（sample_calls），模拟器一侧无法计算", display_path(&dir));
    }

    let redactor = Redactor::new();
    let measurer = Measurer::new(&analyzer, &redactor);
    let real = measure(&measurer, &corpus.dialogues);
    let simulated = measure(&measurer, &sim.dialogues);
    let figures = compare(&real, &simulated, args.min_n);

    if args.json {
        print_json(&args, &corpus, &sim, &real, &simulated, &figures)?;
    } else {
        print_text(&args, &sim, &real, &simulated, &figures);
    }
    let clean =
        corpus.skipped.is_empty() && corpus.errors.is_empty() && sim.failed.is_empty() && !sim.dialogues.is_empty();
    Ok(if clean { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// How many figures agree, disagree and cannot be compared.
fn tally(figures: &[Compared]) -> (usize, usize, usize) {
    let within = figures.iter().filter(|f| f.within == Some(true)).count();
    let outside = figures.iter().filter(|f| f.within == Some(false)).count();
    (within, outside, figures.len() - within - outside)
}

fn print_json(
    args: &Args,
    corpus: &Corpus,
    sim: &Simulated,
    real: &Measures,
    simulated: &Measures,
    figures: &[Compared],
) -> anyhow::Result<()> {
    let (within, outside, not_comparable) = tally(figures);
    let engine: Vec<serde_json::Value> = ENGINE_MOOD
        .iter()
        .zip(&simulated.engine_mood)
        .map(|(def, m)| serde_json::json!({ "key": def.key, "label": def.label, "value": m.value, "n": m.n }))
        .collect();
    let doc = serde_json::json!({
        "tolerance": TOLERANCE,
        "min_n": args.min_n,
        "corpus": {
            "files": args.corpus,
            "dialogues": real.dialogues,
            "skipped": corpus.skipped,
            "errors": corpus.errors,
        },
        "simulator": {
            "scenarios_dir": sim.dir,
            "scenarios": sim.scenarios,
            "calls": simulated.dialogues,
            "failed": sim.failed,
            "problems": sim.problems,
        },
        "figures": figures,
        "engine_mood": engine,
        "summary": { "within": within, "outside": outside, "not_comparable": not_comparable },
    });
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}

fn format_value(unit: Unit, x: f64) -> String {
    match unit {
        Unit::Share => format!("{:.1}%", 100.0 * x),
        Unit::Turns => format!("{x:.2}"),
        Unit::Anger => format!("{x:.3}"),
        Unit::Mood => format!("{x:.1}"),
    }
}

fn format_side(unit: Unit, s: &Side, min_n: u64) -> String {
    match s.value {
        Some(v) if s.enough => format!("{}（n={}）", format_value(unit, v), s.n),
        _ => format!("样本不足（n={}，至少需要 {min_n}）", s.n),
    }
}

fn print_text(args: &Args, sim: &Simulated, real: &Measures, simulated: &Measures, figures: &[Compared]) {
    let files: Vec<String> = args.corpus.iter().map(|p| display_path(p).to_string()).collect();
    println!("真实感：模拟客户与真实对话对比（相对差在 {:.0}% 以内记 ✓）", TOLERANCE * 100.0);
    println!("语料：{} 段对话（{}）", real.dialogues, files.join("、"));
    println!("模拟器：{} 个场景的 {} 通样例通话（{}）", sim.scenarios, simulated.dialogues, display_path(&sim.dir));
    let mut group = 0;
    for f in figures {
        if f.def.group != group {
            group = f.def.group;
            println!("\n{group} {}", group_title(group));
        }
        let mark = match f.within {
            Some(true) => "✓",
            Some(false) => "×",
            None => "–",
        };
        let diff = match (f.within, f.relative_difference) {
            (None, _) => "无法比较".to_string(),
            (Some(_), Some(r)) => format!("相对差 {:+.1}%", 100.0 * r),
            (Some(_), None) => "相对差 无穷大（语料为 0）".to_string(),
        };
        println!("  {mark} {}", f.def.label);
        println!(
            "      语料 {}  模拟器 {}  {diff}",
            format_side(f.def.unit, &f.corpus, args.min_n),
            format_side(f.def.unit, &f.simulator, args.min_n)
        );
    }
    let engine: Vec<String> = ENGINE_MOOD
        .iter()
        .zip(&simulated.engine_mood)
        .filter_map(|(def, m)| {
            let name = def.label.rsplit('：').next().unwrap_or(def.label);
            m.value.map(|v| format!("{name} {}", format_value(Unit::Mood, v)))
        })
        .collect();
    if !engine.is_empty() {
        println!("  （参考）模拟器内部情绪值 0–100：{}（不与语料比较）", engine.join(" · "));
    }
    let (within, outside, not_comparable) = tally(figures);
    println!("\n共 {} 项：✓ {within} 项，× {outside} 项，{not_comparable} 项无法比较", figures.len());
}
