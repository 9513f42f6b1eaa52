//! `peilian redact`: writes exports back in their own format (JSON Lines or CSV) with personal
//! data removed by the same rules as mining, to share transcripts safely.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use peilian::diagnostic::{display_path, io_reason};
use peilian::mining::input::{TextEncoding, probe};
use peilian::mining::redact::{PiiKind, Redactor};
use peilian::mining::redact_export::{ExportSummary, redact_export};
use peilian::text::safe::terminal_safe as t;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 历史对话导出：JSON Lines 或 CSV，可 gzip，UTF-8 或 GBK/Big5 (transcript exports)
    #[arg(required = true, value_name = "EXPORT")]
    inputs: Vec<PathBuf>,
    /// 输出：一个导出时是文件（以 .gz 结尾则 gzip 压缩），多个导出时是目录（每个文件同名写入）
    /// (output file for one export, or directory for several; .gz compresses)
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// 不是 UTF-8 的行用什么编码读：auto、utf-8、gb18030（gbk）、big5；输出总是 UTF-8
    /// (encoding of lines that are not UTF-8; the output is always UTF-8)
    #[arg(long, default_value = "auto", value_name = "ENCODING", value_parser = TextEncoding::NAMES)]
    encoding: String,
}

/// Exit 0 when every export was written, 2 when one could not be read or written (the others
/// are still written; a failed output is removed, never left half-written).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let targets = match targets(&args.inputs, &args.out) {
        Ok(t) => t,
        Err(message) => {
            eprintln!("错误：{message}");
            return Ok(ExitCode::from(2));
        }
    };
    let redactor = Redactor::new();
    let encoding = TextEncoding::parse(&args.encoding).unwrap_or_default();
    let mut failed = false;
    for (input, output) in targets {
        let mut info = match probe(&input) {
            Ok(info) => info,
            Err(e) => {
                eprintln!("错误：{}\n    提示：{}", t(&e.to_string()), e.hint());
                failed = true;
                continue;
            }
        };
        info.encoding = encoding;
        match write_one(&info, &redactor, &output) {
            Ok(summary) => print_summary(&input, &output, &summary),
            Err(message) => {
                eprintln!("错误：{message}");
                failed = true;
            }
        }
    }
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// Each input with the file it is written to; refuses to write over an input.
fn targets(inputs: &[PathBuf], out: &Path) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    let pairs: Vec<(PathBuf, PathBuf)> = if inputs.len() == 1 && !out.is_dir() {
        vec![(inputs[0].clone(), out.to_path_buf())]
    } else {
        if out.exists() && !out.is_dir() {
            return Err(format!(
                "{} 已是一个文件；给多个导出时 --out 要给一个目录（会按原文件名写入）",
                display_path(out)
            ));
        }
        std::fs::create_dir_all(out).map_err(|e| format!("{}：无法创建目录：{}", display_path(out), io_reason(&e)))?;
        let mut pairs = Vec::new();
        for input in inputs {
            let Some(name) = input.file_name() else {
                return Err(format!("{}：不是文件", display_path(input)));
            };
            let target = out.join(name);
            if pairs.iter().any(|(_, o): &(PathBuf, PathBuf)| *o == target) {
                return Err(format!(
                    "两个导出同名（{}），写到同一个目录会互相覆盖；分两次运行",
                    display_path(Path::new(name))
                ));
            }
            pairs.push((input.clone(), target));
        }
        pairs
    };
    for (input, output) in &pairs {
        if same_file(input, output) {
            return Err(format!(
                "{} 既是输入又是输出；去除个人信息后的导出要写到另一个文件，原文件保持不变",
                display_path(output)
            ));
        }
    }
    Ok(pairs)
}

fn same_file(a: &Path, b: &Path) -> bool {
    let canonical = |p: &Path| -> Option<PathBuf> {
        p.canonicalize().ok().or_else(|| Some(p.parent()?.canonicalize().ok()?.join(p.file_name()?)))
    };
    matches!((canonical(a), canonical(b)), (Some(x), Some(y)) if x == y)
}

/// Writes one export to a temporary file beside `output`, then renames it into place.
fn write_one(
    info: &peilian::mining::input::InputInfo,
    redactor: &Redactor,
    output: &Path,
) -> Result<ExportSummary, String> {
    let partial = output.with_file_name(format!(
        ".{}.partial-{}",
        output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id()
    ));
    let write_error = |e: std::io::Error| format!("{}：无法写入：{}", display_path(output), io_reason(&e));
    let result = (|| -> Result<ExportSummary, String> {
        let file = File::create(&partial).map_err(write_error)?;
        let gzip = output.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        let mut sink: Box<dyn Write> = if gzip {
            Box::new(flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default()))
        } else {
            Box::new(BufWriter::new(file))
        };
        let summary = redact_export(info, redactor, &mut sink)
            .map_err(|e| format!("{}：读取或写入中断：{}（输出未保留）", display_path(&info.path), io_reason(&e)))?;
        sink.flush().map_err(write_error)?;
        drop(sink);
        std::fs::rename(&partial, output).map_err(write_error)?;
        Ok(summary)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn print_summary(input: &Path, output: &Path, s: &ExportSummary) {
    let kinds: Vec<String> = PiiKind::ALL
        .iter()
        .filter(|k| s.redactions.get(**k) > 0)
        .map(|k| format!("{} {}", k.label(), s.redactions.get(*k)))
        .collect();
    println!(
        "{} → {}：{} 条记录，{} 段对话；去除个人信息 {} 处（{}）",
        t(&display_path(input)),
        t(&display_path(output)),
        s.records,
        s.dialogues,
        s.redactions.total(),
        if kinds.is_empty() { "无".to_string() } else { kinds.join("、") }
    );
    if s.sensitive_fields > 0 || s.hashed_ids > 0 {
        println!(
            "    整栏替换 {} 处（姓名、电话、地址等字段），含个人信息的对话 id {} 个改为其哈希",
            s.sensitive_fields, s.hashed_ids
        );
    }
    if s.unparsed > 0 {
        eprintln!("提示：{} 行不是有效的对话 JSON，已按纯文本去除个人信息后写出", s.unparsed);
    }
    if s.undecodable > 0 {
        eprintln!(
            "提示：{} 行无法按 UTF-8、GB18030 或 Big5 解码，已用替换字符读入后写出；可用 --encoding 指定编码",
            s.undecodable
        );
    }
    if s.too_long > 0 {
        eprintln!("警告：{} 行超过 64 MiB，未写出（挖掘时同样会跳过）", s.too_long);
    }
    if s.encoding.gb18030_lines + s.encoding.big5_lines > 0 {
        println!("    读入编码：{}；输出为 UTF-8", s.encoding.describe());
    }
    if let Some(note) = s.encoding.note() {
        eprintln!("提示：{note}");
    }
}
