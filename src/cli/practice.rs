//! `peilian practice`: a mock call in the terminal, interactive or scripted through a pipe.

use peilian::diagnostic::display_path;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use peilian::session::{Event, Input, Mode, Session, SessionError};
use peilian::text::safe::{json_safe, terminal_safe};

use crate::cli::common::{LineReader, ReadLine, RecordArgs, engine_or_report, resolve_scenario};
use crate::cli::render;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 场景文件路径或场景 id (scenario file or id)
    scenario: String,
    /// 随机种子，决定客户的说法；管道输入时默认 0，交互时随机
    /// (seed for the customer's variants; 0 when piped, random when interactive)
    #[arg(long)]
    seed: Option<u64>,
    /// 考试模式：结束前不显示反馈，不能回退 (exam mode)
    #[arg(long)]
    exam: bool,
    /// 结束时输出一个 JSON 文档（transcript 与 scorecard） (one JSON document at the end)
    #[arg(long)]
    json: bool,
    /// 结束时把本次练习的完整记录（JSON，与 --json 相同）写入文件
    /// (write the whole session, as --json prints it, to FILE at the end)
    #[arg(long, value_name = "FILE")]
    save_transcript: Option<std::path::PathBuf>,
    #[command(flatten)]
    record: RecordArgs,
}

/// Exit code when the session could be saved nowhere (database and recovery file both failed).
pub const EXIT_NOT_SAVED: u8 = 3;

/// Where answers come from.
enum Source {
    /// A person at a terminal: lines arrive on a channel so silence can be noticed.
    Interactive(Receiver<ReadLine>),
    /// A pipe or file: read in order, latency from an `@12s ` prefix or zero.
    Scripted(LineReader<std::io::StdinLock<'static>>),
}

enum Next {
    Line(String),
    Silence,
    Eof,
    BadUtf8(usize),
}

impl Source {
    fn next(&mut self, timeout: Option<Duration>) -> anyhow::Result<Next> {
        match self {
            Source::Scripted(reader) => Ok(match reader.next_line()? {
                ReadLine::Line(l) => Next::Line(l),
                ReadLine::Eof => Next::Eof,
                ReadLine::BadUtf8(n) => Next::BadUtf8(n),
            }),
            Source::Interactive(rx) => {
                let got = match timeout {
                    Some(t) => rx.recv_timeout(t),
                    None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                };
                Ok(match got {
                    Ok(ReadLine::Line(l)) => Next::Line(l),
                    Ok(ReadLine::Eof) | Err(RecvTimeoutError::Disconnected) => Next::Eof,
                    Ok(ReadLine::BadUtf8(n)) => Next::BadUtf8(n),
                    Err(RecvTimeoutError::Timeout) => Next::Silence,
                })
            }
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    args.record.check_names()?;
    let path = resolve_scenario(&args.scenario)?;
    let Some(engine) = engine_or_report(&path)? else { return Ok(ExitCode::from(2)) };
    let interactive = std::io::stdin().is_terminal();
    let seed = args.seed.unwrap_or_else(|| if interactive { rand_seed() } else { 0 });
    let mode = if args.exam { Mode::Exam } else { Mode::Practice };
    let feedback = mode == Mode::Practice;
    // The conversation goes to stdout, or with --json to stderr for a person (nowhere when piped).
    let mut chat: Box<dyn Write> = match (args.json, interactive) {
        (false, _) => Box::new(std::io::stdout()),
        (true, true) => Box::new(std::io::stderr()),
        (true, false) => Box::new(std::io::sink()),
    };

    let (mut session, events) = Session::start(engine, seed, mode);
    write!(chat, "{}", render::header(session.scenario(), mode, seed))?;
    let mut recording = args.record.begin(&session, &mut chat)?;
    show(&mut chat, &events, feedback)?;

    let mut source = if interactive {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = LineReader::new(std::io::stdin().lock());
            loop {
                let line = reader.next_line().unwrap_or(ReadLine::Eof);
                let eof = matches!(line, ReadLine::Eof);
                if tx.send(line).is_err() || eof {
                    break;
                }
            }
        });
        Source::Interactive(rx)
    } else {
        Source::Scripted(LineReader::new(std::io::stdin().lock()))
    };

    let mut since_customer = Instant::now();
    loop {
        if session.is_over() {
            // Practice mode: after the end the trainee may still rewind and try again.
            if mode == Mode::Exam {
                break;
            }
            if interactive {
                write!(chat, "通话已结束。输入 /rewind N 回到第 N 回合重答，直接回车查看成绩单> ")?;
                chat.flush()?;
            }
            let again = match source.next(None)? {
                Next::Line(l) => match Input::parse(&l) {
                    Input::Rewind(n) => Some(n),
                    _ => None,
                },
                Next::BadUtf8(n) => return bad_utf8(n),
                _ => None,
            };
            let Some(n) = again else { break };
            match session.rewind(n) {
                Ok(events) => {
                    if let Some(r) = recording.as_mut() {
                        r.action(&session);
                    }
                    since_customer = Instant::now();
                    show(&mut chat, &events, feedback)?;
                }
                Err(e) => {
                    writeln!(chat, "    {e}")?;
                    break;
                }
            }
            continue;
        }
        if interactive {
            write!(chat, "你> ")?;
            chat.flush()?;
        }
        // Wait for an answer; a person who stays silent past the customer's patience hears
        // about it once a turn.
        let can_nudge = interactive && session.silence_matters(u64::MAX, 0);
        let patience = Duration::from_millis(session.patience_ms());
        let timeout = can_nudge.then(|| patience.saturating_sub(since_customer.elapsed()) + Duration::from_millis(50));
        let line = match source.next(timeout)? {
            Next::Line(l) => l,
            Next::Silence => {
                let events = session.silence(since_customer.elapsed().as_millis() as u64, 0)?;
                writeln!(chat)?;
                show(&mut chat, &events, feedback)?;
                continue;
            }
            Next::Eof => break,
            Next::BadUtf8(n) => return bad_utf8(n),
        };
        let measured = since_customer.elapsed().as_millis() as u64;
        let outcome = match Input::parse(&line) {
            Input::Answer { text, .. } if text.trim().is_empty() => continue,
            Input::Answer { text, latency_ms } => session.answer(&text, latency(interactive, latency_ms, measured)),
            Input::Transfer { note, latency_ms } => session.transfer(&note, latency(interactive, latency_ms, measured)),
            Input::HangUp => session.hang_up(),
            Input::Rewind(n) => session.rewind(n),
            Input::Silence(ms) => session.silence(ms, 0),
            Input::Invalid(why) => {
                writeln!(chat, "    {}", terminal_safe(&why))?;
                continue;
            }
        };
        match outcome {
            Ok(events) => {
                if let Some(r) = recording.as_mut() {
                    r.action(&session);
                }
                if events.iter().any(|e| matches!(e, Event::CustomerSaid { .. } | Event::Rewound { .. })) {
                    since_customer = Instant::now();
                }
                show(&mut chat, &events, feedback)?;
            }
            Err(
                e @ (SessionError::RewindInExam
                | SessionError::RewindOutOfRange { .. }
                | SessionError::AnswerTooLong { .. }
                | SessionError::NoteTooLong { .. }),
            ) => {
                writeln!(chat, "    {}", terminal_safe(&e.to_string()))?;
            }
            Err(e) => {
                writeln!(chat, "    {}", terminal_safe(&e.to_string()))?;
                break;
            }
        }
    }
    if !session.is_over() {
        writeln!(chat, "\n（输入结束，通话未完成）")?;
    }

    let card = session.scorecard();
    let record = match recording.as_mut() {
        Some(r) => r.end(&session, &card, &mut chat)?,
        None => serde_json::Value::Null,
    };
    // A typed document, so f32 scores print as written (a JSON Value would widen them).
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        transcript: &'a [peilian::session::TranscriptEntry],
        scorecard: &'a peilian::scoring::scorecard::Scorecard,
        record: serde_json::Value,
    }
    let doc =
        json_safe(&serde_json::to_string_pretty(&Doc { transcript: session.transcript(), scorecard: &card, record })?)
            .into_owned();
    if args.json {
        println!("{doc}");
    } else {
        write!(chat, "{}", render::scorecard(&card))?;
    }
    let mut kept_at = None;
    if let Some(path) = &args.save_transcript {
        match std::fs::write(path, format!("{doc}\n")) {
            Ok(()) => {
                eprintln!("（本次练习的完整记录已写入 {}）", display_path(path));
                kept_at = Some(display_path(path).to_string());
            }
            Err(e) => eprintln!("错误：无法把完整记录写入 {}：{e}", display_path(path)),
        }
    }
    if let Some(r) = recording.as_ref().filter(|r| r.lost()) {
        let offered = match kept_at {
            Some(p) => format!("完整记录只在 {p} 里"),
            None if args.json => "完整记录只在上面标准输出的 JSON 里，请保存下来".to_string(),
            None => {
                println!("{doc}");
                "完整记录（JSON）已输出到标准输出，请保存下来；也可加 --save-transcript 文件 直接写入文件".to_string()
            }
        };
        eprintln!(
            "错误：本次练习没有保存：数据库和恢复文件都无法写入，成绩不会出现在报告里。{offered}。\n    原因：{}\n    \
             提示：检查数据库和 {} 的写权限或磁盘空间，或用 --db 指定可写的位置",
            r.lost_reason().unwrap_or(""),
            peilian::records::prefs::data_dir()
                .map_or_else(|| "数据目录".to_string(), |d| display_path(&d.join("recovery")).to_string())
        );
        return Ok(ExitCode::from(EXIT_NOT_SAVED));
    }
    Ok(ExitCode::SUCCESS)
}

fn latency(interactive: bool, given: Option<u64>, measured: u64) -> u64 {
    given.unwrap_or(if interactive { measured } else { 0 })
}

fn show(out: &mut dyn Write, events: &[Event], feedback: bool) -> std::io::Result<()> {
    for e in events {
        if let Some(text) = render::event(e, feedback) {
            writeln!(out, "{text}")?;
        }
    }
    Ok(())
}

fn bad_utf8(line: usize) -> anyhow::Result<ExitCode> {
    eprintln!(
        "错误：标准输入第 {line} 行不是有效的 UTF-8 文本；请以 UTF-8 编码输入（GBK 文件可用 iconv -f GBK -t UTF-8 转换）"
    );
    Ok(ExitCode::from(2))
}

fn rand_seed() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    (nanos as u64 ^ u64::from(std::process::id()).rotate_left(32)) % 1_000_000
}
