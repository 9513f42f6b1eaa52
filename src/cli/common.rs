//! Helpers shared by subcommands: finding a scenario, building the analyzer, reading stdin.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use peilian::customer::MoodModel;
use peilian::customer::reactions::ReactionLibrary;
use peilian::diagnostic::{Diagnostics, display_path};
use peilian::records::{
    self,
    prefs::Prefs,
    recorder::{Recorder, Saved, SessionRecording},
    store::{Store, StoreError},
};
use peilian::scenario::library::{default_scenarios_dir, ron_files};
use peilian::scenario::{Layout, load, parse_file};
use peilian::scoring::scorecard::Scorecard;
use peilian::session::{Engine, Session};
use peilian::text::Analyzer;
use peilian::text::safe::{NameError, validate_team_name, validate_trainee_name};

/// A scenario given on the command line: a file path, or an id from the scenarios directory.
pub fn resolve_scenario(arg: &str) -> anyhow::Result<PathBuf> {
    resolve_scenario_in(arg, None)
}

/// As `resolve_scenario`, looking ids up in `dir` when given instead of the default directory.
pub fn resolve_scenario_in(arg: &str, dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = Path::new(arg);
    let shown = peilian::text::safe::terminal_safe(arg);
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_file() {
            return Ok(path.to_path_buf());
        }
        if meta.is_dir() {
            bail!("“{shown}” 是目录；请给出一个场景文件或场景 id");
        }
        bail!("“{shown}” 不是普通文件（可能是管道、设备或套接字）；请给出一个场景文件（.ron）或场景 id");
    }
    if let Some(dir) = dir.map(Path::to_path_buf).or_else(default_scenarios_dir) {
        for file in ron_files(&dir, false).unwrap_or_default() {
            if let Ok(parsed) = parse_file(&file)
                && parsed.scenario.id == arg
            {
                return Ok(file);
            }
        }
        bail!("找不到场景“{shown}”：它既不是文件，也不是 {} 中任何场景的 id", peilian::diagnostic::display_path(&dir));
    }
    bail!("找不到场景文件“{shown}”")
}

/// Builds the analyzer with the lexicons next to the scenario and compiles it. On failure the
/// diagnostics are returned for printing.
pub fn engine_for(path: &Path) -> anyhow::Result<Result<Engine, Diagnostics>> {
    let layout = Layout::around(path);
    let analyzer = match layout.analyzer() {
        Ok(a) => a,
        Err(d) => return Ok(Err(Diagnostics(d))),
    };
    engine_with(path, &layout, analyzer)
}

/// As `engine_for`, with the analyzer of the scenario's layout already built (a clone of one
/// shared by many scenarios of the same library: building it is the slow part).
pub fn engine_with(
    path: &Path,
    layout: &Layout,
    mut analyzer: Analyzer,
) -> anyhow::Result<Result<Engine, Diagnostics>> {
    let compiled = match load(path, &mut analyzer, layout.assets.as_deref()) {
        Ok((c, _warnings)) => c,
        Err(d) => return Ok(Err(d)),
    };
    let model = match std::env::var_os("PEILIAN_MOOD_MODEL") {
        Some(p) => MoodModel::load(Path::new(&p)).map_err(|d| anyhow::anyhow!("{d}")).context("读取情绪模型")?,
        None => MoodModel::embedded(),
    };
    let reactions = match ReactionLibrary::from_assets(layout.assets.as_deref()) {
        Ok(r) => r,
        Err(d) => return Ok(Err(Diagnostics(d))),
    };
    Ok(Ok(Engine {
        analyzer: Arc::new(analyzer),
        scenario: Arc::new(compiled),
        model: Arc::new(model),
        reactions: Arc::new(reactions),
    }))
}

/// As `engine_for`, printing the scenario's problems to stderr when it cannot be used.
pub fn engine_or_report(path: &Path) -> anyhow::Result<Option<Engine>> {
    Ok(match engine_for(path)? {
        Ok(engine) => Some(engine),
        Err(d) => {
            eprintln!("{d}");
            None
        }
    })
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

/// Options for recording a practice session.
#[derive(Debug, Clone, clap::Args)]
pub struct RecordArgs {
    /// 学员姓名（会被记住，下次可省略） (trainee name; remembered)
    #[arg(long)]
    pub trainee: Option<String>,
    /// 学员所在团队（会被记住） (the trainee's team; remembered)
    #[arg(long)]
    pub team: Option<String>,
    /// 不记录本次练习 (do not record this session)
    #[arg(long)]
    pub no_record: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

/// Where the records database is.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// 数据库文件（默认在系统数据目录；也可用环境变量 PEILIAN_DB） (database file)
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

impl DbArgs {
    pub fn path(&self) -> PathBuf {
        let prefs = Prefs::load();
        records::db_path(
            self.db.clone().or_else(|| if std::env::var_os("PEILIAN_DB").is_some() { None } else { prefs.db_path }),
        )
    }

    /// Opens the store read-only for reports (`report`, `replay`): nothing is created,
    /// migrated or written, so a read-only file, folder or mount works. A clear error when it
    /// cannot be opened.
    pub fn open(&self) -> anyhow::Result<Store> {
        let path = self.path();
        if !path.exists() {
            bail!(
                "还没有练习记录：数据库 {} 不存在（先用 peilian practice 练习，或用 --db 指定数据库）",
                display_path(&path)
            );
        }
        let store = Store::open_read_only(&path).map_err(|e| anyhow::anyhow!("{e}\n    提示：{}", e.hint()))?;
        if let Some(note) = store.immutable_note() {
            eprintln!("⚠ {note}");
        }
        Ok(store)
    }
}

/// A session being recorded by the terminal.
pub struct TerminalRecording {
    recorder: Recorder,
    recording: SessionRecording,
    /// The database problem was told.
    warned: bool,
    /// That the records are only in memory was told.
    warned_memory: bool,
    /// The last operation's fate: everything before it shares it.
    last: Saved,
}

impl RecordArgs {
    /// The trainee and team to record under (the flags, else the remembered ones), checked:
    /// a name with control characters or line breaks, or too long, is refused.
    fn names(&self, prefs: &Prefs) -> anyhow::Result<(Option<String>, Option<String>)> {
        let trainee = self.trainee.clone().or_else(|| prefs.trainee.clone());
        let team = self.team.clone().or_else(|| {
            if self.trainee.is_some() && self.trainee != prefs.trainee { None } else { prefs.team.clone() }
        });
        let refused = |e: NameError, flag: &str| anyhow::anyhow!("{e}\n    提示：{}；用 {flag} 另给一个", e.hint());
        let team = match team {
            Some(t) if !t.trim().is_empty() => {
                Some(validate_team_name(&t).map_err(|e| refused(e, "--team"))?.to_string())
            }
            other => other,
        };
        let trainee = match trainee {
            Some(t) if !t.trim().is_empty() => {
                Some(validate_trainee_name(&t).map_err(|e| refused(e, "--trainee"))?.to_string())
            }
            _ => None,
        };
        Ok((trainee, team))
    }

    /// Refuses bad names before the call starts (`begin` checks them again).
    pub fn check_names(&self) -> anyhow::Result<()> {
        if self.no_record {
            return Ok(());
        }
        self.names(&Prefs::load()).map(drop)
    }

    /// Starts recording unless `--no-record`. Remembers the trainee and team. Problems with the
    /// database are reported once; the session is then kept in a recovery file. Recovery files
    /// that could not be imported are named on stderr.
    pub fn begin(&self, session: &Session, out: &mut dyn Write) -> anyhow::Result<Option<TerminalRecording>> {
        if self.no_record {
            return Ok(None);
        }
        let mut prefs = Prefs::load();
        let (trainee, team) = self.names(&prefs)?;
        let trainee = match trainee {
            Some(t) => t,
            None => {
                writeln!(out, "（未指定学员，本次记录在“{DEFAULT_TRAINEE}”名下；用 --trainee 姓名 指定，之后会记住）")?;
                DEFAULT_TRAINEE.to_string()
            }
        };
        if prefs.trainee.as_deref() != Some(&trainee) || prefs.team != team {
            prefs.trainee = Some(trainee.clone());
            prefs.team = team.clone();
            let _ = prefs.save();
        }
        let (mut recorder, error) = Recorder::open(&self.db.path());
        let imports = recorder.imports();
        if imports.files > 0 {
            writeln!(out, "（已从恢复文件导入 {} 个文件、{} 条记录）", imports.files, imports.ops)?;
        }
        for bad in &imports.bad {
            eprintln!("⚠ {bad}");
        }
        if let Some(e @ StoreError::Foreign { .. }) = &error {
            // Another program's file, not a passing fault: a recovery file for it would never be
            // imported. (A newer peilian database goes on into a recovery file: an upgrade imports it.)
            anyhow::bail!("{e}\n    提示：{}", e.hint());
        }
        let (recording, saved) = SessionRecording::start(&mut recorder, &trainee, team.as_deref(), session);
        let mut warned = false;
        let mut warned_memory = false;
        if let Some(e) = error {
            let (hint, then) = if saved.only_in_memory() {
                // The hints' second half promises the recovery file: not when it failed.
                warned_memory = true;
                (
                    e.hint().split('；').next().unwrap_or(""),
                    "\n    恢复文件也无法写入：本次练习照常进行，但不会保存；结束时会给出完整记录（JSON）。",
                )
            } else {
                (e.hint(), "\n    本次练习照常进行，成绩先写入恢复文件，数据库恢复后自动导入。")
            };
            // On stderr: it must be seen even when the conversation is not shown (--json).
            let text = format!("⚠ {e}\n    {hint}{then}");
            if warned_memory {
                eprintln!("{text}")
            } else {
                writeln!(out, "{text}")?
            }
            warned = true;
        }
        let mut rec = TerminalRecording { recorder, recording, warned, warned_memory, last: Saved::Stored };
        rec.report(saved, out)?;
        Ok(Some(rec))
    }
}

/// The trainee name used when none was ever given.
pub const DEFAULT_TRAINEE: &str = "练习者";

impl TerminalRecording {
    /// Records the session's latest actions.
    pub fn action(&mut self, session: &Session) {
        let saved = self.recording.sync(&mut self.recorder, session);
        let _ = self.report(saved, &mut std::io::stderr());
    }

    /// True when the session is neither in the database nor in a recovery file: it is lost
    /// unless the shell offers the transcript another way.
    pub fn lost(&self) -> bool {
        self.last.only_in_memory()
    }

    /// Records the end (when the call is over; an unfinished call stays incomplete) and says
    /// where the record is. Returns the record's description for JSON output.
    pub fn end(
        &mut self,
        session: &Session,
        card: &Scorecard,
        out: &mut dyn Write,
    ) -> anyhow::Result<serde_json::Value> {
        let mut saved = if session.is_over() {
            self.recording.finish(&mut self.recorder, session, card)
        } else {
            self.recording.sync(&mut self.recorder, session)
        };
        if !session.is_over() && self.recorder.pending() > 0 {
            // Earlier records still wait (a sync with nothing new says nothing of them): one
            // more try, waiting for a lock once more.
            saved = self.recorder.flush_patiently();
        }
        self.last = saved.clone();
        match &saved {
            Saved::Stored => writeln!(
                out,
                "（已记录：练习 {}，数据库 {}）",
                short(&self.recording.uuid),
                display_path(self.recorder.db_path())
            )?,
            Saved::Deferred { recovery_file: Some(file), .. } => writeln!(
                out,
                "⚠ 数据库不可用，本次成绩已保存到恢复文件 {}；数据库恢复后下次启动会自动导入。",
                display_path(file)
            )?,
            // Said on stderr by the shell, with the transcript (`lost`).
            Saved::Deferred { recovery_file: None, .. } => {}
        }
        Ok(serde_json::json!({
            "uuid": self.recording.uuid,
            "stored": saved == Saved::Stored,
            "saved": match &saved {
                Saved::Stored => "database",
                Saved::Deferred { recovery_file: Some(_), .. } => "recovery_file",
                Saved::Deferred { recovery_file: None, .. } => "nowhere",
            },
            "database": self.recorder.db_path(),
            "recovery_file": self.recorder.recovery_file(),
        }))
    }

    /// Why nothing was saved, for the shell to print (when `lost`).
    pub fn lost_reason(&self) -> Option<&str> {
        match &self.last {
            Saved::Deferred { reason, recovery_file: None } => Some(reason),
            _ => None,
        }
    }

    fn report(&mut self, saved: Saved, out: &mut dyn Write) -> std::io::Result<()> {
        if let Saved::Deferred { reason, recovery_file } = &saved {
            if recovery_file.is_none() && !self.warned_memory {
                self.warned_memory = true;
                self.warned = true;
                // On stderr: it must be seen even when the conversation is not shown.
                eprintln!("错误：无法保存本次练习：{reason}");
            } else if !self.warned {
                self.warned = true;
                writeln!(out, "⚠ 暂时无法写入数据库：{reason}")?;
            }
        }
        self.last = saved;
        Ok(())
    }
}

fn short(uuid: &str) -> &str {
    uuid.get(..16).unwrap_or(uuid)
}
