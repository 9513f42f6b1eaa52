//! `peilian tone`: the tone of any text, or of each line of stdin.

use peilian::text::safe::{json_safe, terminal_safe};
use std::io::Write;
use std::process::ExitCode;

use peilian::scenario::Layout;
use peilian::scenario::library::default_scenarios_dir;
use peilian::text::tone::ToneReport;
use serde_json::json;

use crate::cli::common::{LineReader, ReadLine};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 输出 JSON（politeness、empathy、hostility、anger 各 0–1，及 evidence） (JSON output)
    #[arg(long)]
    json: bool,
    /// 要分析的文字；不给时从标准输入逐行读取，每行输出一个 JSON 对象
    /// (the text; without it, one text a line from stdin, one JSON object a line out)
    text: Option<String>,
}

fn report_json(t: &ToneReport) -> serde_json::Value {
    json!({
        "politeness": t.politeness,
        "empathy": t.empathy,
        "reassurance": t.reassurance,
        "hostility": t.hostility,
        "anger": t.anger,
        "demands_supervisor": t.demands_supervisor,
        "shouting": t.shouting,
        "hollow": t.hollow,
        "evidence": t.evidence,
        "acts": t.acts,
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // The same dictionary as scoring: the lexicons and the library's phrases.
    let layout = default_scenarios_dir().map(|d| Layout::around(&d)).unwrap_or_default();
    let analyzer = match layout.analyzer() {
        Ok(a) => a,
        Err(d) => {
            for x in d {
                eprintln!("{x}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    match args.text {
        Some(text) => {
            let t = analyzer.tone(&text);
            if args.json {
                println!("{}", json_safe(&serde_json::to_string_pretty(&report_json(&t))?));
            } else {
                println!(
                    "礼貌 {:.2}  共情 {:.2}  安心 {:.2}  敌意 {:.2}  愤怒 {:.2}{}",
                    t.politeness,
                    t.empathy,
                    t.reassurance,
                    t.hostility,
                    t.anger,
                    if t.shouting { "  （语气激烈）" } else { "" }
                );
                for e in &t.evidence {
                    println!(
                        "  {} 「{}」 {:.2}{}",
                        e.dimension,
                        terminal_safe(&e.matched),
                        e.weight,
                        if e.negated { "（被否定，不计）" } else { "" }
                    );
                }
                if t.hollow {
                    println!(
                        "  （只有客套，没有实际行动：礼貌与共情按 {:.0}% 计）",
                        peilian::text::tone::HOLLOW_SHARE * 100.0
                    );
                }
                for h in &t.acts.hits {
                    let detail = h.detail.as_deref().map(|d| format!("（{d}）")).unwrap_or_default();
                    let mark = if h.negated {
                        "（被否定，不计）"
                    } else if h.question {
                        "（问句）"
                    } else {
                        ""
                    };
                    println!("  行为 {}{}「{}」{mark}", h.label, terminal_safe(&detail), terminal_safe(&h.matched));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let mut reader = LineReader::new(std::io::stdin().lock());
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut bad = 0;
            loop {
                match reader.next_line()? {
                    ReadLine::Eof => break,
                    ReadLine::Line(line) => {
                        let doc = serde_json::to_string(&report_json(&analyzer.tone(&line)))?;
                        writeln!(out, "{}", json_safe(&doc))?;
                    }
                    ReadLine::BadUtf8(n) => {
                        bad += 1;
                        eprintln!("stdin:{n}: 不是有效的 UTF-8 文本，已跳过（输出一行 error 对象）");
                        serde_json::to_writer(&mut out, &json!({ "line": n, "error": "invalid UTF-8" }))?;
                        writeln!(out)?;
                    }
                }
            }
            out.flush()?;
            Ok(if bad > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
        }
    }
}
