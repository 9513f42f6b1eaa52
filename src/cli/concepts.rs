//! `peilian concepts`: for each concept of each scenario, the answers it was expected in, how
//! many it was heard in, and for every miss the phrase that came closest to the answer's words.

use peilian::diagnostic::display_path;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use peilian::records::coaching::recorded_answers;
use peilian::records::store::Store;
use peilian::scenario::library::{is_scenario_file, ron_files};
use peilian::scoring::concept_report::{
    AnswerSource, ConceptCoverage, ConceptReport, ConceptReportError, FURTHER_CLOSEST_FROM, SourcedAnswer,
    concept_report, scenario_answers,
};

use crate::cli::common::{DbArgs, engine_for, resolve_scenario};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 场景文件、目录或场景 id (scenario files, directories or ids)
    #[arg(required = true, value_name = "SCENARIO_OR_DIR")]
    paths: Vec<String>,
    /// 只看这一个概念（概念 id，如 apology） (only this concept)
    #[arg(long, value_name = "ID")]
    concept: Option<String>,
    /// 以 JSON 输出 (JSON output)
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// Exit 0 when every scenario was read, 1 when one could not be loaded, 2 when it could not
/// run (a path or the database could not be used, or no scenario has the concept asked for).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut files = Vec::new();
    for arg in &args.paths {
        let p = Path::new(arg);
        if p.is_dir() {
            files.extend(ron_files(p, false)?.into_iter().filter(|f| is_scenario_file(f)));
        } else if p.is_file() {
            files.push(p.to_path_buf());
        } else {
            match resolve_scenario(arg) {
                Ok(f) => files.push(f),
                Err(e) => {
                    eprintln!("错误：{arg}：路径不存在，也不是场景 id（{e}）");
                    return Ok(ExitCode::from(2));
                }
            }
        }
    }
    let store = open_store(&args.db)?;

    let mut reports: Vec<(PathBuf, ConceptReport)> = Vec::new();
    let mut broken: Vec<(PathBuf, String)> = Vec::new();
    let mut unknown: Vec<ConceptReportError> = Vec::new();
    for file in &files {
        let engine = match engine_for(file)? {
            Ok(e) => e,
            Err(d) => {
                if !args.json {
                    eprintln!("错误：场景文件 {} 无法加载：\n{d}", display_path(file));
                }
                broken.push((file.clone(), d.to_string()));
                continue;
            }
        };
        let sc = &engine.scenario;
        let mut answers = scenario_answers(sc);
        if let Some(store) = &store {
            answers.extend(recorded_answers(store, sc.id())?.into_iter().map(|r| SourcedAnswer {
                turn_id: r.turn_id,
                source: AnswerSource::Recorded { session_id: r.session_id, trainee: r.trainee },
                text: r.text,
            }));
        }
        match concept_report(&engine.analyzer, sc, &answers, args.concept.as_deref()) {
            Ok(r) => reports.push((file.clone(), r)),
            Err(e) => unknown.push(e),
        }
    }
    if let Some(name) = &args.concept
        && reports.is_empty()
        && !unknown.is_empty()
    {
        match unknown.as_slice() {
            [one] => eprintln!("错误：{one}"),
            _ => eprintln!("错误：{} 个场景中都没有概念“{name}”", unknown.len()),
        }
        return Ok(ExitCode::from(2));
    }

    let database = store.as_ref().map(|s| s.path().to_path_buf());
    if args.json {
        #[derive(serde::Serialize)]
        struct Scenario<'a> {
            file: &'a Path,
            #[serde(flatten)]
            report: &'a ConceptReport,
        }
        #[derive(serde::Serialize)]
        struct Broken<'a> {
            file: &'a Path,
            error: &'a str,
        }
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            database: Option<&'a Path>,
            scenarios: Vec<Scenario<'a>>,
            errors: Vec<Broken<'a>>,
        }
        let doc = Doc {
            database: database.as_deref(),
            scenarios: reports.iter().map(|(file, report)| Scenario { file, report }).collect(),
            errors: broken.iter().map(|(file, error)| Broken { file, error }).collect(),
        };
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        match &database {
            Some(db) => println!("练习记录：{}", display_path(db)),
            None => println!("（没有练习记录数据库，只统计样例和示范回答；用 --db 指定数据库）"),
        }
        for (file, report) in &reports {
            print_report(file, report);
        }
        let concepts: usize = reports.iter().map(|(_, r)| r.concepts.len()).sum();
        let missing: Vec<&ConceptCoverage> =
            reports.iter().flat_map(|(_, r)| &r.concepts).filter(|c| !c.misses.is_empty()).collect();
        let misses: usize = missing.iter().map(|c| c.expected - c.heard).sum();
        println!(
            "\n共 {} 个场景、{concepts} 个概念：{} 个概念有遗漏，共遗漏 {misses} 次{}",
            reports.len(),
            missing.len(),
            if broken.is_empty() { String::new() } else { format!("；{} 个场景无法加载", broken.len()) }
        );
    }
    Ok(if broken.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The records database, read-only: the one given with `--db` (which must exist), else the
/// default one if there is one.
fn open_store(db: &DbArgs) -> anyhow::Result<Option<Store>> {
    let path = db.path();
    if !path.exists() {
        if db.db.is_some() {
            bail!("数据库 {} 不存在", display_path(&path));
        }
        return Ok(None);
    }
    match Store::open_read_only(&path) {
        Ok(store) => Ok(Some(store)),
        Err(e) => bail!("{e}\n    提示：{}", e.hint()),
    }
}

fn print_report(file: &Path, r: &ConceptReport) {
    println!("\n══ {} {}（{}）══", r.scenario, r.title, display_path(file));
    let a = &r.answers;
    let unknown = if a.unknown_turn > 0 {
        format!("；{} 条记录的回合已不在场景中，未计入", a.unknown_turn)
    } else {
        String::new()
    };
    println!("回答：样例 {} 条、示范回答 {} 条、记录 {} 条{unknown}", a.samples, a.model_answers, a.recorded);
    for c in &r.concepts {
        let head = format!("{}（{}）", c.label, c.id);
        if c.required_in.is_empty() && c.optional_in.is_empty() {
            println!("  {head} 没有回合要求或期望它");
            continue;
        }
        if c.expected == 0 {
            println!("  {head} 命中 0/0：{} 回合还没有回答", turns(c));
            continue;
        }
        if c.misses.is_empty() {
            println!("  {head} 命中 {}/{} ✓", c.heard, c.expected);
            continue;
        }
        let missed = c.expected - c.heard;
        let wordings =
            if c.misses.len() < missed { format!("（{} 种说法）", c.misses.len()) } else { String::new() };
        println!("  {head} 命中 {}/{}，遗漏 {missed}{wordings}", c.heard, c.expected);
        for m in &c.misses {
            let kind = if m.required { "必需" } else { "可选" };
            println!("    × 回合 {} · {} · {kind}：{}", m.turn_id, sources(&m.sources), m.answer);
            if !m.negated.is_empty() {
                println!("      说了但被否定：「{}」（不算）", m.negated.join("」「"));
            }
            if m.closest.is_empty() {
                let why = if c.has_phrases {
                    "没有相同的字"
                } else {
                    "这个概念只有模式或动作，没有词语可比"
                };
                println!("      最接近：（{why}）");
                continue;
            }
            let near: Vec<String> =
                m.closest.iter().map(|x| format!("「{}」≈「{}」{:.2}", x.phrase, x.stretch, x.similarity)).collect();
            let best = m.closest[0].similarity;
            let note = if best >= 1.0 && m.negated.is_empty() {
                "（原词就在回答里，却没有计入：它不在分词的边界上）"
            } else if best < FURTHER_CLOSEST_FROM {
                "（都不接近：回答里没有这类说法）"
            } else {
                ""
            };
            println!("      最接近：{}{note}", near.join("；"));
        }
    }
}

/// Where an answer was given: every source up to `SHOWN_SOURCES`, then how many more.
fn sources(all: &[AnswerSource]) -> String {
    let shown: Vec<String> = all.iter().take(SHOWN_SOURCES).map(AnswerSource::label).collect();
    match all.len() {
        n if n > SHOWN_SOURCES => format!("{} 等，共 {n} 次", shown.join("、")),
        n if n > 1 => format!("{}，共 {n} 次", shown.join("、")),
        _ => shown.join("、"),
    }
}

const SHOWN_SOURCES: usize = 3;

/// The turns a concept is expected in, for a line of text.
fn turns(c: &ConceptCoverage) -> String {
    c.required_in.iter().chain(&c.optional_in).map(String::as_str).collect::<Vec<_>>().join("、")
}
