//! Command-line interface: argument parsing and one file per subcommand.

mod agreement;
mod common;
mod concepts;
mod lint;
mod mine;
mod practice;
mod qa;
mod realism;
mod redact;
mod render;
mod replay;
mod report;
mod score;
mod test;
mod tone;
mod voice;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// 陪练 peilian — 客服情景模拟陪练。不带子命令时打开桌面应用。
///
/// A role-play trainer for customer-service staff. Without a subcommand it opens the app.
#[derive(Debug, Parser)]
#[command(name = "peilian", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 在终端里进行一次模拟通话 (a mock call in the terminal)
    Practice(practice::Args),
    /// 给一条回答打分 (score one answer against a turn)
    Score(score::Args),
    /// 分析一段文字的语气 (tone of a text; one JSON object a line from stdin without TEXT)
    Tone(tone::Args),
    /// 检查场景与词库文件 (check scenario and lexicon files)
    Lint(lint::Args),
    /// 运行场景自带的样例回答 (run each scenario's sample answers)
    Test(test::Args),
    /// 与质检人工评分对比：排序一致率、1 级拦住、5 级接受、最大分歧 (agreement with people's grades)
    Agreement(agreement::Args),
    /// 每个概念在哪些回答里没听到，最接近的词是什么 (which answers each concept misses)
    Concepts(concepts::Args),
    /// 回放一次练习记录，可用当前场景重新评分 (replay a recorded session)
    Replay(replay::Args),
    /// 学员或团队的辅导报告：终端表格、JSON、CSV 或 HTML (coaching reports)
    Report(report::Args),
    /// 从历史对话中挖掘场景草稿（先去除个人信息） (mine draft scenarios from transcripts)
    Mine(mine::Args),
    /// 导出去除个人信息后按原格式写出，可安全地交给供应商或培训师 (redact an export, same format)
    Redact(redact::Args),
    /// 真实通话质检：用同一套评分规则给每位坐席打分，推荐练习场景 (QA of real calls)
    Qa(qa::Args),
    /// 模拟客户与真实对话对比：追问、找领导、解决轮数、透露信息、情绪 (the simulator against real conversations)
    Realism(realism::Args),
    /// 用 espeak-ng 为客户台词生成缺少的语音 (synthesise missing voice clips)
    Voice(voice::Args),
    /// 打开桌面应用（不带子命令时的默认动作） (open the desktop app)
    #[cfg(feature = "gui")]
    App(peilian::gui::Args),
}

pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Practice(args)) => practice::run(args),
        Some(Command::Score(args)) => score::run(args),
        Some(Command::Tone(args)) => tone::run(args),
        Some(Command::Lint(args)) => lint::run(args),
        Some(Command::Test(args)) => test::run(args),
        Some(Command::Agreement(args)) => agreement::run(args),
        Some(Command::Concepts(args)) => concepts::run(args),
        Some(Command::Replay(args)) => replay::run(args),
        Some(Command::Report(args)) => report::run(args),
        Some(Command::Mine(args)) => mine::run(args),
        Some(Command::Qa(args)) => qa::run(args),
        Some(Command::Redact(args)) => redact::run(args),
        Some(Command::Realism(args)) => realism::run(args),
        Some(Command::Voice(args)) => voice::run(args),
        #[cfg(feature = "gui")]
        Some(Command::App(args)) => {
            crate::allocator::tune_for_long_running_app();
            peilian::gui::run(args)
        }
        None => open_app(),
    }
}

#[cfg(feature = "gui")]
fn open_app() -> anyhow::Result<ExitCode> {
    crate::allocator::tune_for_long_running_app();
    peilian::gui::run(peilian::gui::Args::default())
}

#[cfg(not(feature = "gui"))]
fn open_app() -> anyhow::Result<ExitCode> {
    use clap::CommandFactory;
    eprintln!("这个版本没有编译桌面应用（gui 功能未开启）。可用的终端命令：\n");
    Cli::command().print_help()?;
    Ok(ExitCode::from(2))
}
