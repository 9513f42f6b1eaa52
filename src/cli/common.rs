//! Helpers shared by subcommands: finding a scenario, building the analyzer, reading stdin.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use peilian::customer::MoodModel;
use peilian::diagnostic::Diagnostics;
use peilian::scenario::library::{default_scenarios_dir, ron_files};
use peilian::scenario::{Layout, load, parse_file};
use peilian::session::Engine;

/// A scenario given on the command line: a file path, or an id from the scenarios directory.
pub fn resolve_scenario(arg: &str) -> anyhow::Result<PathBuf> {
    let path = Path::new(arg);
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    if path.is_dir() {
        bail!("“{arg}” 是目录；请给出一个场景文件或场景 id");
    }
    if let Some(dir) = default_scenarios_dir() {
        for file in ron_files(&dir, false).unwrap_or_default() {
            if let Ok(parsed) = parse_file(&file) {
                if parsed.scenario.id == arg {
                    return Ok(file);
                }
            }
        }
        bail!("找不到场景“{arg}”：它既不是文件，也不是 {} 中任何场景的 id", dir.display());
    }
    bail!("找不到场景文件“{arg}”")
}

/// Builds the analyzer with the lexicons next to the scenario and compiles it. On failure the
/// diagnostics are returned for printing.
pub fn engine_for(path: &Path) -> anyhow::Result<Result<Engine, Diagnostics>> {
    let layout = Layout::around(path);
    let mut analyzer = match layout.analyzer() {
        Ok(a) => a,
        Err(d) => return Ok(Err(Diagnostics(d))),
    };
    let compiled = match load(path, &mut analyzer, layout.assets.as_deref()) {
        Ok((c, _warnings)) => c,
        Err(d) => return Ok(Err(d)),
    };
    let model = match std::env::var_os("PEILIAN_MOOD_MODEL") {
        Some(p) => MoodModel::load(Path::new(&p)).map_err(|d| anyhow::anyhow!("{d}")).context("读取情绪模型")?,
        None => MoodModel::embedded(),
    };
    Ok(Ok(Engine { analyzer: Arc::new(analyzer), scenario: Arc::new(compiled), model: Arc::new(model) }))
}

/// One line read from a stream, or why it could not be read.
pub enum ReadLine {
    Line(String),
    Eof,
    /// Not valid UTF-8: the 1-based line number.
    BadUtf8(usize),
}

/// Reads lines as bytes so that invalid UTF-8 is reported with its line number, not a panic.
pub struct LineReader<R> {
    inner: R,
    pub line_no: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader { inner, line_no: 0, buf: Vec::new() }
    }

    pub fn next_line(&mut self) -> std::io::Result<ReadLine> {
        self.buf.clear();
        let n = self.inner.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(ReadLine::Eof);
        }
        self.line_no += 1;
        let bytes =
            if self.line_no == 1 { self.buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&self.buf) } else { &self.buf[..] };
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(ReadLine::Line(s.trim_end_matches(['\n', '\r']).to_string())),
            Err(_) => Ok(ReadLine::BadUtf8(self.line_no)),
        }
    }
}
