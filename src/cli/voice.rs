//! `peilian voice`: synthesises the customer's missing voice clips with espeak-ng (Mandarin,
//! `cmn-latn-pinyin`) into `assets/voice/<scenario>/<turn>-<n>.ogg` (or `.wav` without
//! oggenc), where the app finds and plays them.

use std::path::{Component, Path};
use std::process::{Command, ExitCode, Stdio};

use peilian::diagnostic::{display_path, escape_controls, io_reason};
use peilian::scenario::schema::{Line, PersonaKind, Scenario};
use peilian::scenario::{Layout, lint, parse_file};

use crate::cli::common::resolve_scenario;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// 场景文件路径或场景 id (scenario file or id)
    scenario: String,
    /// 已有的语音也重新生成 (regenerate existing clips too)
    #[arg(long)]
    force: bool,
    /// espeak-ng 的语音 (espeak-ng voice)
    #[arg(long, default_value = "cmn-latn-pinyin")]
    voice: String,
}

/// Speed (words per minute) and pitch (0–99) that suit a persona.
fn delivery(kind: &PersonaKind) -> (u32, u32) {
    match kind {
        PersonaKind::Angry => (185, 60),
        PersonaKind::Anxious => (175, 65),
        PersonaKind::Elderly => (125, 35),
        PersonaKind::Vip => (150, 45),
        _ => (160, 50),
    }
}

fn have(program: &str) -> bool {
    Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let path = resolve_scenario(&args.scenario)?;
    let parsed = match parse_file(&path) {
        Ok(p) => p,
        Err(d) => {
            eprintln!("{d}");
            return Ok(ExitCode::from(2));
        }
    };
    let s = &parsed.scenario;
    // Where the clips go must be settled before anything is made: a bad id or a `voice` path
    // leading out of assets/ would write elsewhere, and a file where a folder belongs fails.
    if !lint::valid_id(&s.id) {
        eprintln!(
            "错误：{}：场景 id “{}” 不合规，不能用作语音目录名\n    提示：id 只用小写英文字母、数字和 -；先运行 peilian lint {} 修正",
            display_path(&path),
            escape_controls(&s.id),
            display_path(&path)
        );
        return Ok(ExitCode::from(2));
    }
    let assets = Layout::around(&path).assets;
    if let Some(assets) = &assets {
        let outside: Vec<String> = voice_fields(s)
            .filter(|v| !lexically_inside(v) || !lint::stays_inside(assets, Path::new(v)))
            .map(|v| format!("“{}”", escape_controls(v)))
            .collect();
        if !outside.is_empty() {
            eprintln!(
                "错误：{}：语音路径 {} 不在 assets/ 之内（绝对路径、..，或指向别处的符号链接），不会写入\n    提示：voice 写相对于 assets/ 的路径，录音放在 assets/ 里；运行 peilian lint {} 查看详情",
                display_path(&path),
                outside.join("、"),
                display_path(&path)
            );
            return Ok(ExitCode::from(2));
        }
        let dir = assets.join("voice").join(&s.id);
        if let Err(message) = can_make_dir(assets, &dir) {
            eprintln!("错误：{message}");
            return Ok(ExitCode::from(2));
        }
    }
    if !have("espeak-ng") {
        eprintln!(
            "错误：没有找到 espeak-ng。安装：sudo apt-get install espeak-ng（可选 vorbis-tools 以生成较小的 .ogg）"
        );
        return Ok(ExitCode::from(2));
    }
    let Some(assets) = assets else {
        eprintln!("错误：找不到 {} 所在项目的 assets/ 目录", display_path(&path));
        return Ok(ExitCode::from(2));
    };
    let ogg = have("oggenc");
    let dir = assets.join("voice").join(&s.id);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("错误：{}", cannot_make_dir(&dir, &e));
        return Ok(ExitCode::from(2));
    }
    let (speed, pitch) = delivery(&s.persona.kind);
    let lines: Vec<(&str, usize, &Line)> = s
        .turns
        .iter()
        .flat_map(|t| t.customer.iter().enumerate().map(move |(i, l)| (t.id.as_str(), i + 1, l)))
        .chain(
            s.endings.iter().flat_map(|e| e.customer.iter().enumerate().map(move |(i, l)| (e.id.as_str(), i + 1, l))),
        )
        .collect();
    let (mut made, mut kept) = (0, 0);
    for (id, n, line) in lines {
        // A line's own `voice` path (inside assets/, the linter checks), else the conventional one.
        let target = match &line.voice {
            Some(v) => assets.join(v),
            None => dir.join(format!("{id}-{n}.{}", if ogg { "ogg" } else { "wav" })),
        };
        let exists = match &line.voice {
            Some(_) => target.is_file(),
            None => ["ogg", "wav"].iter().any(|e| target.with_extension(e).is_file()),
        };
        if exists && !args.force {
            kept += 1;
            continue;
        }
        let ext = target.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
        if ext != "wav" && !(ext == "ogg" && ogg) {
            eprintln!("跳过 {}：只能生成 .wav（装了 vorbis-tools 时也能生成 .ogg）", display_path(&target));
            continue;
        }
        if let Some(parent) = target.parent()
            && let Err(e) = std::fs::create_dir_all(parent)
        {
            eprintln!("错误：{}", cannot_make_dir(parent, &e));
            return Ok(ExitCode::from(2));
        }
        let wav = target.with_extension("wav");
        let status = Command::new("espeak-ng")
            .args(["-v", &args.voice, "-s", &speed.to_string(), "-p", &pitch.to_string(), "-w"])
            .arg(&wav)
            .arg(&line.text)
            .status()?;
        if !status.success() {
            eprintln!("错误：espeak-ng 未能合成“{}”", escape_controls(&line.text));
            return Ok(ExitCode::from(2));
        }
        if ext == "ogg" {
            if !encode_ogg(&wav, &target) {
                eprintln!("错误：oggenc 未能把 {} 转成 .ogg", display_path(&wav));
                return Ok(ExitCode::from(2));
            }
            std::fs::remove_file(&wav)?;
        }
        made += 1;
    }
    println!("{}：生成 {made} 段语音，已有 {kept} 段，位于 {}", s.id, display_path(&dir));
    Ok(ExitCode::SUCCESS)
}

/// The `voice` fields of a scenario's lines.
fn voice_fields(s: &Scenario) -> impl Iterator<Item = &str> {
    s.turns
        .iter()
        .flat_map(|t| t.customer.iter())
        .chain(s.endings.iter().flat_map(|e| e.customer.iter()))
        .filter_map(|l| l.voice.as_deref())
}

/// A relative path without `..`, the way lint wants a `voice` field.
fn lexically_inside(v: &str) -> bool {
    let p = Path::new(v);
    !v.trim().is_empty()
        && !p.is_absolute()
        && !p.components().any(|c| matches!(c, Component::ParentDir | Component::RootDir | Component::Prefix(_)))
}

/// Whether `dir` can be created (or is there) inside `assets`: no part of the way is a file,
/// and no symlink leads out. Says what is in the way and what to do.
fn can_make_dir(assets: &Path, dir: &Path) -> Result<(), String> {
    if let Ok(rel) = dir.strip_prefix(assets)
        && !lint::stays_inside(assets, rel)
    {
        return Err(format!(
            "{} 经符号链接指向 assets/ 之外，不会往那里写语音\n    提示：把 assets/voice 换成真正的目录，或删除这个符号链接",
            display_path(dir)
        ));
    }
    file_in_the_way(dir).map_or(Ok(()), Err)
}

/// When the nearest existing part of `dir` is a file, not a folder: what to tell the trainer.
fn file_in_the_way(dir: &Path) -> Option<String> {
    let file = dir.ancestors().find(|p| p.symlink_metadata().is_ok()).filter(|p| !p.is_dir())?;
    Some(format!(
        "无法创建目录 {}：{} 已经是一个文件，不是目录\n    提示：删除或改名文件 {}，再运行 peilian voice",
        display_path(dir),
        display_path(file),
        display_path(file)
    ))
}

/// Why a folder could not be made, in Chinese, naming what is in the way ("File exists"
/// means a file sits where a folder belongs).
fn cannot_make_dir(dir: &Path, e: &std::io::Error) -> String {
    file_in_the_way(dir).unwrap_or_else(|| {
        format!("无法创建目录 {}：{}\n    提示：检查 assets/ 是否可写、磁盘是否已满", display_path(dir), io_reason(e))
    })
}

fn encode_ogg(wav: &Path, ogg: &Path) -> bool {
    Command::new("oggenc").args(["-Q", "-q", "3", "-o"]).arg(ogg).arg(wav).status().is_ok_and(|s| s.success())
}
