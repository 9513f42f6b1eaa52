//! `peilian lint`: every problem in scenario and lexicon files, with file:line:column and a hint.

use peilian::text::safe::{json_safe, terminal_safe};
use std::path::PathBuf;
use std::process::ExitCode;

use peilian::scenario::library::lint_paths;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 场景或词库文件、目录 (files or directories)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// 以 JSON 输出所有问题 (JSON output)
    #[arg(long)]
    json: bool,
}

/// Exit 0 when clean, 1 with findings, 2 when it could not run.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let report = match lint_paths(&args.paths) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("错误：{}", terminal_safe(&e.to_string()));
            return Ok(ExitCode::from(2));
        }
    };
    if args.json {
        let doc = serde_json::json!({
            "files": report.files,
            "errors": report.errors(),
            "warnings": report.warnings(),
            "diagnostics": report.diagnostics,
        });
        println!("{}", json_safe(&serde_json::to_string_pretty(&doc)?));
    } else {
        for d in &report.diagnostics {
            println!("{d}");
        }
        println!("检查了 {} 个文件：{} 个错误，{} 个警告", report.files, report.errors(), report.warnings());
    }
    Ok(if report.diagnostics.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
