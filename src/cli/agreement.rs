//! `peilian agreement`: how far the scores agree with a QA team's grades of a set of answers.
//!
//! Each line of the file is scored exactly as `peilian score SCENARIO --turn T [--mood M] --json
//! ANSWER` would score it (the library's analyzer, untimed); the figures are computed by
//! `peilian::scoring::agreement`. Lines that cannot be used are reported with `FILE:LINE` and
//! counted, never dropped silently.

use peilian::diagnostic::display_path;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use peilian::scoring::agreement::{
    self, ACCEPTED_FROM, Agreement, CAUGHT_BELOW, COLUMNS, Columns, DEFAULT_WORST, Explanation, Graded, Order, Pairs,
};
use peilian::scoring::turn::{AnswerContext, TurnScore, score_answer};
use peilian::session::Engine;
use serde::Serialize;

use crate::cli::common::{LineReader, ReadLine, engine_or_report, resolve_scenario_in};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 人工评分的回答（TSV，表头 grade kind scenario turn mood answer）
    /// (graded answers, TSV with a header row)
    file: PathBuf,
    /// 输出 JSON：各项指标、跳过的行、最大的分歧 (JSON output)
    #[arg(long)]
    json: bool,
    /// 按 id 查找场景的目录（默认 ./scenarios 或 PEILIAN_SCENARIOS）
    /// (directory in which scenario ids are looked up)
    #[arg(long, value_name = "DIR")]
    scenarios: Option<PathBuf>,
    /// 每类最大分歧列出几条 (how many of the worst disagreements of each kind to list)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WORST)]
    worst: usize,
}

/// One line that was scored.
struct Scored {
    line: usize,
    grade: u8,
    kind: String,
    /// The scenario's id (or its path, when two files share the id).
    scenario: String,
    turn: String,
    mood: f32,
    score: TurnScore,
}

impl Scored {
    fn group(&self) -> String {
        format!("{}/{}", self.scenario, self.turn)
    }
}

/// One line that was not scored, and why.
#[derive(Serialize)]
struct Skipped {
    line: usize,
    error: String,
    hint: String,
}

/// A scenario loaded for scoring, with the name its answers are grouped under.
struct Loaded {
    engine: Engine,
    label: String,
}

/// The scenarios named in the file, each resolved and loaded once.
struct Scenarios<'a> {
    dir: Option<&'a Path>,
    /// Each name in the file: the path it resolves to and the same path canonicalised (the key
    /// of `loaded`), or why it does not resolve.
    resolved: BTreeMap<String, Result<(PathBuf, PathBuf), String>>,
    loaded: BTreeMap<PathBuf, Option<Loaded>>,
    ids: BTreeMap<String, PathBuf>,
}

impl<'a> Scenarios<'a> {
    fn new(dir: Option<&'a Path>) -> Self {
        Scenarios { dir, resolved: BTreeMap::new(), loaded: BTreeMap::new(), ids: BTreeMap::new() }
    }

    /// The loaded scenario `arg` names, or the problem (and what to do) for the line.
    fn get(&mut self, arg: &str) -> anyhow::Result<Result<&Loaded, (String, String)>> {
        if !self.resolved.contains_key(arg) {
            let r = resolve_scenario_in(arg, self.dir)
                .map(|p| {
                    let key = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
                    (p, key)
                })
                .map_err(|e| format!("{e:#}"));
            self.resolved.insert(arg.to_string(), r);
        }
        let (path, key) = match &self.resolved[arg] {
            Ok(p) => p.clone(),
            Err(e) => {
                return Ok(Err((
                    e.clone(),
                    "填场景 id 或 .ron 文件的路径；按 id 查找的目录可用 --scenarios DIR 指定".to_string(),
                )));
            }
        };
        if !self.loaded.contains_key(&key) {
            // Problems with the file are printed once, when it is first loaded.
            let loaded = engine_or_report(&path)?.map(|engine| {
                let id = engine.scenario.id().to_string();
                // Answers are grouped by scenario id; a second file with the same id keeps its
                // answers apart under its path.
                let label = match self.ids.get(&id) {
                    Some(other) if *other != key => display_path(&path).to_string(),
                    _ => {
                        self.ids.insert(id.clone(), key.clone());
                        id
                    }
                };
                Loaded { engine, label }
            });
            self.loaded.insert(key.clone(), loaded);
        }
        Ok(match &self.loaded[&key] {
            Some(l) => Ok(l),
            None => Err((
                format!("场景文件 {} 有错误，无法加载（错误见上方）", display_path(&path)),
                "先用 peilian lint 修好这个场景文件".to_string(),
            )),
        })
    }
}

/// Exit 0 when every line was scored, 1 when some were skipped, 2 when the file cannot be read
/// or nothing could be scored.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = display_path(&args.file).to_string();
    if let Some(dir) = args.scenarios.as_deref().filter(|d| !d.is_dir()) {
        eprintln!("错误：--scenarios {} 不是目录", display_path(dir));
        return Ok(ExitCode::from(2));
    }
    if args.file.is_dir() {
        eprintln!("错误：{name} 是目录；请给出一个 TSV 文件");
        return Ok(ExitCode::from(2));
    }
    let file = match std::fs::File::open(&args.file) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("错误：无法读取 {name}：{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut reader = LineReader::new(BufReader::new(file));
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut skip = |line: usize, error: String, hint: String| {
        eprintln!("{name}:{line}: {error}；这一行已跳过\n    提示：{hint}");
        skipped.push(Skipped { line, error, hint });
    };
    let standard = COLUMNS.join(" ");
    let (mut read, mut blank) = (0usize, 0usize);
    let columns = match next_line(&mut reader, &name)? {
        ReadLine::Eof => {
            eprintln!("错误：{name} 是空文件；第一行应是表头：{standard}（用制表符分隔）");
            return Ok(ExitCode::from(2));
        }
        ReadLine::Line(header) => match Columns::from_header(&header) {
            Ok(Some(c)) => {
                for col in &c.ignored {
                    eprintln!("{name}:1: 注意：不认识的列“{col}”，不读取它");
                }
                c
            }
            Ok(None) => {
                read += 1;
                skip(
                    1,
                    format!("缺少表头（第一行应为 {standard}，用制表符分隔）；其余各行按这个列顺序读取"),
                    "在文件开头加上表头行后重新运行".to_string(),
                );
                Columns::standard()
            }
            Err(e) => {
                eprintln!("错误：{name}:1: {e}\n    提示：表头应为 {standard}（用制表符分隔，顺序不限）");
                return Ok(ExitCode::from(2));
            }
        },
        ReadLine::BadUtf8(_) => {
            read += 1;
            skip(
                1,
                "不是有效的 UTF-8 文本，读不出表头；其余各行按标准列顺序读取".to_string(),
                format!("把文件另存为 UTF-8；第一行应为表头 {standard}"),
            );
            Columns::standard()
        }
    };

    let mut scenarios = Scenarios::new(args.scenarios.as_deref());
    let mut scored: Vec<Scored> = Vec::new();
    loop {
        let text = match next_line(&mut reader, &name)? {
            ReadLine::Eof => break,
            ReadLine::Line(text) => text,
            ReadLine::BadUtf8(n) => {
                read += 1;
                skip(n, "不是有效的 UTF-8 文本".to_string(), "把文件另存为 UTF-8 编码".to_string());
                continue;
            }
        };
        read += 1;
        let n = reader.line_no;
        if text.trim().is_empty() {
            blank += 1;
            continue;
        }
        let row = match columns.row(&text) {
            Ok(r) => r,
            Err(e) => {
                skip(n, e.to_string(), e.hint().to_string());
                continue;
            }
        };
        let loaded = match scenarios.get(row.scenario)? {
            Ok(l) => l,
            Err((error, hint)) => {
                skip(n, error, hint);
                continue;
            }
        };
        let sc = &loaded.engine.scenario;
        let Some(turn) = sc.turn_index(row.turn) else {
            let ids: Vec<&str> = sc.scenario.turns.iter().map(|t| t.id.as_str()).collect();
            skip(n, format!("场景“{}”没有回合“{}”", sc.id(), row.turn), format!("可用的回合：{}", ids.join("、")));
            continue;
        };
        // As `peilian score`: the persona's starting mood unless given, untimed.
        let mood = row.mood.unwrap_or(f32::from(sc.scenario.persona.mood)).clamp(0.0, 100.0);
        let ctx = AnswerContext { turn, mood_before: mood, latency_secs: None };
        let score = score_answer(&loaded.engine.analyzer, sc, row.answer, &ctx);
        scored.push(Scored {
            line: n,
            grade: row.grade,
            kind: row.kind.to_string(),
            scenario: loaded.label.clone(),
            turn: row.turn.to_string(),
            mood,
            score,
        });
    }

    let items: Vec<Graded> = scored
        .iter()
        .map(|s| Graded { line: s.line, grade: s.grade, group: s.group(), score: s.score.overall })
        .collect();
    let figures = agreement::measure(&items, args.worst)?;
    let by_line: BTreeMap<usize, &Scored> = scored.iter().map(|s| (s.line, s)).collect();
    let counts = Counts { read, scored: scored.len(), skipped: skipped.len(), blank };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report(&name, &counts, &skipped, &figures, &by_line))?);
    } else {
        print!("{}", render(&name, &counts, &figures, &by_line, args.worst));
    }
    if counts.scored == 0 {
        eprintln!("错误：{name} 中没有一行可以评分");
        return Ok(ExitCode::from(2));
    }
    Ok(if counts.skipped > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The next line; an I/O error names the file and where.
fn next_line<R: std::io::BufRead>(reader: &mut LineReader<R>, name: &str) -> anyhow::Result<ReadLine> {
    use anyhow::Context as _;
    let at = reader.line_no + 1;
    reader.next_line().with_context(|| format!("读取 {name} 第 {at} 行时出错"))
}

#[derive(Serialize)]
struct Counts {
    read: usize,
    scored: usize,
    skipped: usize,
    blank: usize,
}

fn ratio(p: &Pairs) -> String {
    match p.ratio {
        Some(r) => format!("{r:.2}（{}/{} 对）", p.agreed, p.total),
        None => "无可比较的对".to_string(),
    }
}

fn render(
    name: &str,
    counts: &Counts,
    figures: &Agreement,
    by_line: &BTreeMap<usize, &Scored>,
    worst: usize,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "══ 与人工评分的一致性：{name} ══");
    let blank = if counts.blank > 0 { format!("，空行 {} 行", counts.blank) } else { String::new() };
    let _ = writeln!(out, "读取 {} 行：评分 {} 行，跳过 {} 行{blank}", counts.read, counts.scored, counts.skipped);
    let _ = writeln!(out);
    let _ = writeln!(out, "排序一致：{}", ratio(&figures.order.pairs));
    let _ = writeln!(out, "  （同一回合内等级不同的两条回答为一对；等级高的得分严格更高才算一致，同分算不一致）");
    let width = figures.order.groups.iter().map(|g| g.group.chars().count()).max().unwrap_or(0);
    for g in &figures.order.groups {
        let pad = " ".repeat(width - g.group.chars().count());
        let _ = writeln!(out, "  {}{pad}  {:>3} 条  {}", g.group, g.answers, ratio(&g.pairs));
    }
    let _ = writeln!(out);
    let shortfall = |t: &agreement::Threshold| {
        t.not_met.iter().map(|g| format!("第 {} 行 {:.1} 分", g.line, g.score)).collect::<Vec<_>>().join("，")
    };
    let _ = writeln!(out, "1 级回答得分低于 {CAUGHT_BELOW}（拦住）：{}/{}", figures.caught.met, figures.caught.total);
    if !figures.caught.not_met.is_empty() {
        let _ = writeln!(out, "  未拦住：{}", shortfall(&figures.caught));
    }
    let _ = writeln!(
        out,
        "5 级回答得分不低于 {ACCEPTED_FROM}（接受）：{}/{}",
        figures.accepted.met, figures.accepted.total
    );
    if !figures.accepted.not_met.is_empty() {
        let _ = writeln!(out, "  未接受：{}", shortfall(&figures.accepted));
    }
    if worst == 0 {
        return out;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "── 最大的分歧（每类最多 {worst} 条） ──");
    let w = &figures.worst;
    let _ = writeln!(out, "1 级回答却得分高：{}", if w.grade_1_high.is_empty() { "无" } else { "" });
    for g in &w.grade_1_high {
        answer_block(&mut out, by_line[&g.line], "  ");
    }
    let _ = writeln!(out, "5 级回答却得分低：{}", if w.grade_5_low.is_empty() { "无" } else { "" });
    for g in &w.grade_5_low {
        answer_block(&mut out, by_line[&g.line], "  ");
    }
    let _ = writeln!(out, "排序颠倒（分差最大的在前）：{}", if w.inverted.is_empty() { "无" } else { "" });
    for p in &w.inverted {
        let _ = writeln!(
            out,
            "  {}：第 {} 行（{} 级）{:.1} 分 ≤ 第 {} 行（{} 级）{:.1} 分，差 {:.1} 分",
            p.higher.group,
            p.higher.line,
            p.higher.grade,
            p.higher.score,
            p.lower.line,
            p.lower.grade,
            p.lower.score,
            p.gap
        );
        answer_block(&mut out, by_line[&p.higher.line], "    ");
        answer_block(&mut out, by_line[&p.lower.line], "    ");
    }
    out
}

/// One answer with the evidence behind its score.
fn answer_block(out: &mut String, s: &Scored, indent: &str) {
    let kind = if s.kind.is_empty() { String::new() } else { format!(" · {}", s.kind) };
    let _ = writeln!(
        out,
        "{indent}第 {} 行 · {} 级{kind} · {} · 情绪 {} · {:.1} 分",
        s.line,
        s.grade,
        s.group(),
        s.mood,
        s.score.overall
    );
    let _ = writeln!(out, "{indent}  回答：{}", s.score.answer);
    let e = agreement::explain(&s.score);
    if let Some(c) = &e.capped {
        let _ = writeln!(out, "{indent}  封顶：{c}");
    }
    if !e.red_lines.is_empty() {
        let _ = writeln!(out, "{indent}  红线：「{}」", e.red_lines.join("」「"));
    }
    if !e.missed.is_empty() {
        let _ = writeln!(out, "{indent}  缺少要点：{}", e.missed.join("、"));
    }
    for r in &e.rubrics {
        let _ = writeln!(out, "{indent}  {} {:.1}（权重 {:.2}）：{}", r.label, r.score, r.weight, r.reasons.join("；"));
    }
    for n in &e.notes {
        let _ = writeln!(out, "{indent}  另：{n}");
    }
}

// The JSON output, as structs so that scores print as `peilian score --json` prints them
// (an `f32` through `serde_json::Value` would print as 96.4000015258789).

#[derive(Serialize)]
struct Report<'a> {
    file: &'a str,
    lines: &'a Counts,
    /// Every scored line.
    answers: Vec<AnswerRow<'a>>,
    skipped: &'a [Skipped],
    order: &'a Order,
    caught: ThresholdOut<'a>,
    accepted: ThresholdOut<'a>,
    worst: WorstOut<'a>,
}

#[derive(Serialize)]
struct AnswerRow<'a> {
    line: usize,
    grade: u8,
    kind: &'a str,
    group: String,
    score: f32,
}

#[derive(Serialize)]
struct ThresholdOut<'a> {
    met: usize,
    total: usize,
    threshold: f32,
    not_met: Vec<NotMet<'a>>,
}

#[derive(Serialize)]
struct NotMet<'a> {
    line: usize,
    score: f32,
    group: &'a str,
    kind: &'a str,
}

#[derive(Serialize)]
struct WorstOut<'a> {
    grade_1_high: Vec<AnswerOut<'a>>,
    grade_5_low: Vec<AnswerOut<'a>>,
    inverted: Vec<PairOut<'a>>,
}

#[derive(Serialize)]
struct PairOut<'a> {
    group: &'a str,
    gap: f32,
    higher: AnswerOut<'a>,
    lower: AnswerOut<'a>,
}

/// One answer of a disagreement, with the evidence behind its score.
#[derive(Serialize)]
struct AnswerOut<'a> {
    line: usize,
    grade: u8,
    kind: &'a str,
    scenario: &'a str,
    turn: &'a str,
    mood: f32,
    score: f32,
    answer: &'a str,
    explanation: Explanation,
}

impl<'a> AnswerOut<'a> {
    fn new(s: &'a Scored) -> Self {
        AnswerOut {
            line: s.line,
            grade: s.grade,
            kind: &s.kind,
            scenario: &s.scenario,
            turn: &s.turn,
            mood: s.mood,
            score: s.score.overall,
            answer: &s.score.answer,
            explanation: agreement::explain(&s.score),
        }
    }
}

fn report<'a>(
    name: &'a str,
    counts: &'a Counts,
    skipped: &'a [Skipped],
    figures: &'a Agreement,
    by_line: &BTreeMap<usize, &'a Scored>,
) -> Report<'a> {
    let threshold = |t: &'a agreement::Threshold, bound: f32| ThresholdOut {
        met: t.met,
        total: t.total,
        threshold: bound,
        not_met: t
            .not_met
            .iter()
            .map(|g| NotMet { line: g.line, score: g.score, group: &g.group, kind: &by_line[&g.line].kind })
            .collect(),
    };
    let w = &figures.worst;
    Report {
        file: name,
        lines: counts,
        answers: by_line
            .values()
            .map(|s| AnswerRow {
                line: s.line,
                grade: s.grade,
                kind: &s.kind,
                group: s.group(),
                score: s.score.overall,
            })
            .collect(),
        skipped,
        order: &figures.order,
        caught: threshold(&figures.caught, CAUGHT_BELOW),
        accepted: threshold(&figures.accepted, ACCEPTED_FROM),
        worst: WorstOut {
            grade_1_high: w.grade_1_high.iter().map(|g| AnswerOut::new(by_line[&g.line])).collect(),
            grade_5_low: w.grade_5_low.iter().map(|g| AnswerOut::new(by_line[&g.line])).collect(),
            inverted: w
                .inverted
                .iter()
                .map(|p| PairOut {
                    group: &p.higher.group,
                    gap: p.gap,
                    higher: AnswerOut::new(by_line[&p.higher.line]),
                    lower: AnswerOut::new(by_line[&p.lower.line]),
                })
                .collect(),
        },
    }
}
