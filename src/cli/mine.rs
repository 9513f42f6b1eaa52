//! `peilian mine`: draft scenarios and a corpus report from historical transcripts.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 历史对话导出文件（JSON Lines 或 CSV，可为 gzip） (transcript exports)
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// 场景草稿的输出目录 (output directory for drafts)
    #[arg(long)]
    out: PathBuf,
    /// 语料报告（HTML） (corpus report)
    #[arg(long)]
    report: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = (&args.inputs, &args.out, &args.report);
    anyhow::bail!("peilian mine is being built (issue 5)")
}
