//! `peilian score`: one answer scored against one turn of a scenario.

use peilian::text::safe::{json_safe, terminal_safe};
use std::process::ExitCode;

use peilian::scoring::turn::{AnswerContext, score_answer};
use peilian::session::MAX_ANSWER_CHARS;

use crate::cli::common::{engine_or_report, resolve_scenario};
use crate::cli::render;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 场景文件路径或场景 id (scenario file or id)
    scenario: String,
    /// 回合 id (the turn the answer replies to)
    #[arg(long)]
    turn: String,
    /// 输出 JSON：overall、rubrics、evidence (JSON output)
    #[arg(long)]
    json: bool,
    /// 作答用时（秒），给出时才评响应速度 (latency in seconds; scores responsiveness)
    #[arg(long)]
    latency: Option<f32>,
    /// 客户此刻的情绪 0–100，默认为场景的初始情绪 (the customer's mood before the answer)
    #[arg(long)]
    mood: Option<f32>,
    /// 回答 (the answer)
    text: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = resolve_scenario(&args.scenario)?;
    let Some(engine) = engine_or_report(&path)? else { return Ok(ExitCode::from(2)) };
    let sc = &engine.scenario;
    let Some(turn) = sc.turn_index(&args.turn) else {
        let ids: Vec<&str> = sc.scenario.turns.iter().map(|t| t.id.as_str()).collect();
        eprintln!(
            "错误：场景“{}”没有回合“{}”；可用的回合：{}",
            terminal_safe(sc.id()),
            terminal_safe(&args.turn),
            terminal_safe(&ids.join("、"))
        );
        return Ok(ExitCode::from(2));
    };
    let chars = args.text.chars().count();
    if chars > MAX_ANSWER_CHARS {
        eprintln!("错误：回答有 {chars} 个字，超过上限 {MAX_ANSWER_CHARS} 字");
        return Ok(ExitCode::from(2));
    }
    if let Some(l) = args.latency.filter(|l| !l.is_finite() || *l < 0.0) {
        eprintln!("错误：--latency {l} 不是有效的秒数");
        return Ok(ExitCode::from(2));
    }
    let mood = args.mood.unwrap_or(f32::from(sc.scenario.persona.mood)).clamp(0.0, 100.0);
    let ctx = AnswerContext { turn, mood_before: mood, latency_secs: args.latency };
    let score = score_answer(&engine.analyzer, sc, &args.text, &ctx);
    if args.json {
        println!("{}", json_safe(&serde_json::to_string_pretty(&score)?));
    } else {
        println!("{}", render::turn_feedback(&score));
        for (name, r) in &score.rubrics {
            if r.applicable {
                println!(
                    "  {} {:.1}：{}",
                    peilian::scoring::rubric_label(name),
                    r.score,
                    terminal_safe(&r.reasons.join("；"))
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
