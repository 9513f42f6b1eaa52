//! `peilian voice`: synthesises the customer's missing voice clips with espeak-ng (Mandarin,
//! `cmn-latn-pinyin`) into `assets/voice/<scenario>/<turn>-<n>.ogg` (or `.wav` without
//! oggenc), where the app finds and plays them.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use peilian::scenario::schema::{Line, PersonaKind};
use peilian::scenario::{Layout, parse_file};

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
    if !have("espeak-ng") {
        eprintln!(
            "错误：没有找到 espeak-ng。安装：sudo apt-get install espeak-ng（可选 vorbis-tools 以生成较小的 .ogg）"
        );
        return Ok(ExitCode::from(2));
    }
    let Some(assets) = Layout::around(&path).assets else {
        eprintln!("错误：找不到 {} 所在项目的 assets/ 目录", path.display());
        return Ok(ExitCode::from(2));
    };
    let ogg = have("oggenc");
    let s = &parsed.scenario;
    let dir = assets.join("voice").join(&s.id);
    std::fs::create_dir_all(&dir)?;
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
            eprintln!("跳过 {}：只能生成 .wav（装了 vorbis-tools 时也能生成 .ogg）", target.display());
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let wav = target.with_extension("wav");
        let status = Command::new("espeak-ng")
            .args(["-v", &args.voice, "-s", &speed.to_string(), "-p", &pitch.to_string(), "-w"])
            .arg(&wav)
            .arg(&line.text)
            .status()?;
        if !status.success() {
            eprintln!("错误：espeak-ng 未能合成“{}”", line.text);
            return Ok(ExitCode::from(2));
        }
        if ext == "ogg" {
            if !encode_ogg(&wav, &target) {
                eprintln!("错误：oggenc 未能把 {} 转成 .ogg", wav.display());
                return Ok(ExitCode::from(2));
            }
            std::fs::remove_file(&wav)?;
        }
        made += 1;
    }
    println!("{}：生成 {made} 段语音，已有 {kept} 段，位于 {}", s.id, dir.display());
    Ok(ExitCode::SUCCESS)
}

fn encode_ogg(wav: &Path, ogg: &Path) -> bool {
    Command::new("oggenc").args(["-Q", "-q", "3", "-o"]).arg(ogg).arg(wav).status().is_ok_and(|s| s.success())
}
