//! `peilian replay`: a recorded session turn by turn with its scores, and — when the scenario
//! has changed since — the same answers re-scored with the current version side by side.

use std::process::ExitCode;

use peilian::records::coaching::{RecordedSession, recent_sessions, recorded_session};
use peilian::records::drilldown::outcome_label;
use peilian::scoring::scorecard::Scorecard;
use peilian::session::Session;

use peilian::text::safe::{json_safe, terminal_safe as t};

use crate::cli::common::{DbArgs, engine_for, resolve_scenario};
use crate::cli::render;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 练习记录的编号或 uuid（前缀即可）；不给时列出最近的练习 (session id or uuid prefix)
    session: Option<String>,
    /// 用当前版本的场景重新评分，与当时的分数并排显示 (re-score with the current scenario)
    #[arg(long)]
    rescore: bool,
    /// 以 JSON 输出 (JSON output)
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DbArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let store = args.db.open()?;
    let Some(key) = args.session else {
        let recent = recent_sessions(&store, None, 20)?;
        if recent.is_empty() {
            println!("还没有练习记录。");
        }
        for s in recent {
            println!(
                "{:>6}  {}  {}  {}  {}",
                s.id,
                t(&s.trainee),
                t(&s.scenario_title),
                s.overall.map_or_else(|| "—".to_string(), |o| format!("{o:.1} 分")),
                outcome_label(&s.outcome)
            );
        }
        return Ok(ExitCode::SUCCESS);
    };
    let recorded = match recorded_session(&store, &key) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("错误：{}；不带参数运行 peilian replay 可列出最近的练习", t(&e.to_string()));
            return Ok(ExitCode::from(2));
        }
    };

    // The scenario as it is now, if it can still be found.
    let current = resolve_scenario(&recorded.scenario_id).ok().and_then(|p| engine_for(&p).ok()?.ok());
    let changed = current.as_ref().map(|e| e.scenario.content_hash != recorded.content_hash);
    // The lexicons or the mood model changed (unknown for sessions recorded before the hash).
    let basis_changed =
        current.as_ref().filter(|_| !recorded.basis_hash.is_empty()).map(|e| e.basis_hash() != recorded.basis_hash);
    let rescored: Option<(Scorecard, usize)> = match (&current, args.rescore) {
        (Some(engine), true) => {
            let (session, skipped) =
                Session::replay(engine.clone(), recorded.seed, recorded.mode(), &recorded.history());
            Some((session.scorecard(), skipped))
        }
        _ => None,
    };

    if args.json {
        #[derive(serde::Serialize)]
        struct Rescored<'a> {
            scorecard: &'a Scorecard,
            skipped_actions: usize,
        }
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            session: &'a RecordedSession,
            scenario_changed: Option<bool>,
            lexicons_or_mood_model_changed: Option<bool>,
            rescored: Option<Rescored<'a>>,
        }
        let doc = Doc {
            session: &recorded,
            scenario_changed: changed,
            lexicons_or_mood_model_changed: basis_changed,
            rescored: rescored.as_ref().map(|(scorecard, skipped)| Rescored { scorecard, skipped_actions: *skipped }),
        };
        println!("{}", json_safe(&serde_json::to_string_pretty(&doc)?));
        return Ok(ExitCode::SUCCESS);
    }

    print_session(&recorded);
    match (changed, &current) {
        (None, _) | (_, None) => println!("\n（找不到场景“{}”的当前文件，无法重新评分）", t(&recorded.scenario_id)),
        (Some(false), _) if basis_changed == Some(true) => {
            println!("\n场景文件没有改动，但词库或情绪模型自记录以来有改动：重新评分的结果可能不同。");
            if !args.rescore {
                println!("  加 --rescore 用现在的词库重新评分并对照。");
            }
        }
        (Some(false), _) => println!("\n场景自记录以来没有改动。"),
        (Some(true), Some(engine)) => {
            println!(
                "\n⚠ 场景已修改：记录时为 v{}（{}），现在是 v{}（{}）。",
                recorded.scenario_version,
                t(&recorded.content_hash),
                engine.scenario.scenario.version,
                engine.scenario.content_hash
            );
            if !args.rescore {
                println!("  加 --rescore 用当前版本重新评分并对照。");
            }
        }
    }
    if let Some((card, skipped)) = &rescored {
        print_side_by_side(&recorded, card, *skipped);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_session(r: &RecordedSession) {
    println!("══ 练习记录 {}：{} ══", r.id, t(&r.scenario_title));
    println!(
        "学员 {} · {}模式 · 种子 {} · 场景 v{} · {}",
        t(&r.trainee),
        if r.mode == "exam" { "考试" } else { "练习" },
        r.seed,
        r.scenario_version,
        outcome_label(&r.outcome)
    );
    for turn in &r.turns {
        let old = if turn.superseded { "（已回退重答）" } else { "" };
        match turn.kind.as_str() {
            "answer" => {
                println!("\n[{}] 客户：{}", turn.turn, t(&turn.customer_line));
                println!("    你{old}：{}（{:.1} 秒）", t(&turn.text), turn.latency_ms as f64 / 1000.0);
                if let Some(score) =
                    turn.score.as_deref().and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                {
                    let mut parts = vec![format!("本回合 {:.1} 分", turn.overall.unwrap_or(0.0))];
                    if let Some(rubrics) = score["rubrics"].as_object() {
                        for (name, v) in rubrics {
                            if v["applicable"] == true {
                                parts.push(format!(
                                    "{} {:.0}",
                                    peilian::scoring::rubric_label(name),
                                    v["score"].as_f64().unwrap_or(0.0)
                                ));
                            }
                        }
                    }
                    println!("    {}", parts.join(" · "));
                    let marks = turn.problems();
                    if !marks.is_empty() {
                        println!("    问题：{}", t(&marks.join("；")));
                    }
                }
            }
            "transfer" => println!(
                "    → 第 {} 回合转接。交接说明：{}",
                turn.turn,
                if turn.text.is_empty() { "（无）".into() } else { t(&turn.text) }
            ),
            "hangup" => println!("    （坐席挂断）"),
            "silence" => println!("    （沉默 {:.0} 秒）", turn.latency_ms as f64 / 1000.0),
            "rewind" => println!("\n    ◀ 回退到第 {} 回合", turn.turn),
            _ => {}
        }
    }
    match (&r.scorecard, r.overall) {
        (Some(json), _) => {
            if let Ok(card) = serde_json::from_str::<serde_json::Value>(json) {
                println!(
                    "\n总分 {:.1}（及格线 {}）{}",
                    card["overall"].as_f64().unwrap_or(0.0),
                    t(&card["pass_mark"].to_string()),
                    if card["passed"] == true { " ✓ 通过" } else { " × 未通过" }
                );
                for line in card["summary"].as_array().into_iter().flatten().skip(1) {
                    println!("  {}", t(line.as_str().unwrap_or_default()));
                }
                if !r.incidents.is_empty() {
                    println!("‼ 事件 {} 个：", r.incidents.len());
                    for i in &r.incidents {
                        println!("  {}", render::incident_line(i));
                    }
                }
            }
        }
        _ => println!("\n（练习未完成：上面是已记录的回合）"),
    }
}

fn print_side_by_side(r: &RecordedSession, card: &Scorecard, skipped: usize) {
    println!("\n══ 用当前版本重新评分 ══");
    println!("{:<6} {:>8} {:>8}", "回合", "当时", "现在");
    let old: Vec<(u32, f32)> = r
        .turns
        .iter()
        .filter(|t| t.kind == "answer" && !t.superseded)
        .map(|t| (t.turn, t.overall.unwrap_or(0.0)))
        .collect();
    let new: Vec<(u32, f32)> = card.turns.iter().map(|t| (t.turn, t.score.overall)).collect();
    let turns: std::collections::BTreeSet<u32> = old.iter().chain(&new).map(|x| x.0).collect();
    for t in turns {
        let o = old.iter().find(|x| x.0 == t).map_or_else(|| "—".to_string(), |x| format!("{:.1}", x.1));
        let n = new.iter().find(|x| x.0 == t).map_or_else(|| "—".to_string(), |x| format!("{:.1}", x.1));
        println!("{:<6} {:>8} {:>8}", format!("第{t}"), o, n);
    }
    println!(
        "{:<6} {:>8} {:>8}",
        "总分",
        r.overall.map_or_else(|| "—".to_string(), |o| format!("{o:.1}")),
        format!("{:.1}", card.overall)
    );
    if skipped > 0 {
        println!("（当前版本的剧本提前结束，{skipped} 个动作没有用上）");
    }
    print!("{}", render::scorecard(card));
}
