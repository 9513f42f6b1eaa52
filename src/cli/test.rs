//! `peilian test`: runs each scenario's sample answers, model answers and sample calls, and
//! shows any out of range.

use peilian::text::safe::{json_safe, terminal_safe};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use peilian::diagnostic::{Diagnostics, display_path};
use peilian::scenario::library::{duplicate_id, is_scenario_file, ron_files};
use peilian::scoring::samples::{SampleKind, run_samples};

use crate::cli::common::engine_for;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 场景文件或目录 (scenario files or directories)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// 以 JSON 输出每个样例的结果 (JSON output)
    #[arg(long)]
    json: bool,
}

/// Exit 0 when every sample is in range and every model answer reaches the pass mark, 1 when
/// any does not (or a scenario fails to load), 2 when it could not run.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut files = Vec::new();
    for p in &args.paths {
        if p.is_dir() {
            files.extend(ron_files(p, false)?);
        } else if p.symlink_metadata().is_ok() {
            files.push(p.clone());
        } else {
            eprintln!("错误：{}: 路径不存在", display_path(p));
            return Ok(ExitCode::from(2));
        }
    }
    // Lexicons and mood models kept beside the scenarios are left out (read bounded: a FIFO or
    // a device is kept, and fails to load with a message naming it).
    let files: Vec<PathBuf> = files.into_iter().filter(|f| is_scenario_file(f)).collect();
    let (mut total, mut models, mut failed, mut broken) = (0, 0, 0, 0);
    let mut json_out = Vec::new();
    // Each scenario id and the file that has it: a second file with the same id fails.
    let mut ids: HashMap<String, PathBuf> = HashMap::new();
    for file in &files {
        let loaded = engine_for(file)?.and_then(|engine| match ids.get(engine.scenario.id()) {
            Some(first) => Err(Diagnostics(vec![duplicate_id(file, engine.scenario.id(), first)])),
            None => {
                ids.insert(engine.scenario.id().to_string(), file.clone());
                Ok(engine)
            }
        });
        let engine = match loaded {
            Ok(e) => e,
            Err(d) => {
                broken += 1;
                if args.json {
                    json_out.push(serde_json::json!({ "file": file, "error": d.to_string() }));
                } else {
                    println!("× {}：无法加载\n{d}", display_path(file));
                }
                continue;
            }
        };
        let results = run_samples(&engine);
        total += results.len();
        let model_answers = results.iter().filter(|r| r.kind == SampleKind::ModelAnswer).count();
        models += model_answers;
        let bad = results.iter().filter(|r| !r.passed).count();
        failed += bad;
        if args.json {
            json_out.push(serde_json::json!({ "file": file, "scenario": engine.scenario.id(), "results": results }));
            continue;
        }
        let mark = if bad == 0 { "✓" } else { "×" };
        println!(
            "{mark} {}（{}）：{} 个样例（含 {model_answers} 个示范回答），{} 个不在范围内",
            engine.scenario.id(),
            display_path(file),
            results.len(),
            bad
        );
        for r in results.iter().filter(|r| !r.passed) {
            let outcome = r
                .outcome
                .as_ref()
                .filter(|(want, got)| want != got)
                .map(|(want, got)| format!("，结果应为 {want}，实为 {got}"))
                .unwrap_or_default();
            if r.kind == SampleKind::ModelAnswer {
                println!("  × {}：得分 {:.1}，未达到及格线 {}", terminal_safe(&r.name), r.score, r.expected.0);
            } else {
                println!(
                    "  × {}：得分 {:.1}，应在 {}–{}{outcome}",
                    terminal_safe(&r.name),
                    r.score,
                    r.expected.0,
                    r.expected.1
                );
            }
            for d in &r.details {
                println!("      {}", terminal_safe(&d.to_string()));
            }
        }
    }
    if args.json {
        println!("{}", json_safe(&serde_json::to_string_pretty(&json_out)?));
    } else {
        println!(
            "共 {} 个场景、{total} 个样例（含 {models} 个示范回答）：{failed} 个不在范围内，{broken} 个场景无法加载",
            files.len()
        );
    }
    Ok(if failed == 0 && broken == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
