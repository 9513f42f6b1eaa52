//! Mining draft scenarios from exports of historical transcripts, with personal data removed.
//!
//! `mine` runs the stages in order, each in its own module:
//!
//! - `input`: reading exports (JSON Lines, CSV; gzip; UTF-8, GB18030, Big5) into dialogues;
//! - `redact` (with `address`, `pii_forms`, `literals`): personal data out of every text;
//! - `analyze`: a dialogue's facts — persona, tone per turn, escalations, words;
//! - `corpus`: every dialogue through the above once, into a temporary `spill` file, with the
//!   corpus counts and the vocabulary; which words may name topics and concepts; the topics;
//! - `family`: the dialogues grouped by topic and persona, a few representatives each;
//! - `drafting` (with `draft`): a draft scenario for each family that can have one;
//! - `calibrate`: the simulated customer's calibration; `report`: the corpus report.
//!
//! Only `pipeline` knows about threads. Memory stays bounded: the vocabulary, counters and a
//! few representatives per family. `docs/mining.md` is the user's guide.

pub(crate) mod address;
pub mod analyze;
pub mod calibrate;
pub(crate) mod corpus;
pub mod draft;
pub(crate) mod drafting;
pub mod family;
pub mod input;
pub(crate) mod literals;
pub(crate) mod pii_forms;
pub(crate) mod pipeline;
pub mod redact;
pub mod redact_export;
pub mod report;
pub mod spill;
pub mod vocab;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jieba_rs::Jieba;

use crate::customer::MoodModel;
use crate::diagnostic::{display_path, io_reason};
use crate::lexicon::LexiconSet;
use crate::scenario::Layout;
use crate::scenario::schema::Channel;
use crate::text::Analyzer;
use analyze::{Context, Detectors};
use corpus::{Corpus, WordClasses};
use family::FamilyTable;
use input::{BadLine, InputInfo};
use redact::Redactor;
use report::Report;

/// Why mining could not run (problems with single lines are `BadLine`s, not errors).
#[derive(Debug, thiserror::Error)]
pub enum MineError {
    #[error("{}: 无法读取：{}", display_path(.path), io_reason(.source))]
    Input { path: PathBuf, source: std::io::Error },
    #[error("{}: 是目录，不是导出文件", display_path(.0))]
    IsDirectory(PathBuf),
    #[error("没有一个输入文件可以读取")]
    NoInput,
    #[error("没有读到任何可用的对话（{bad} 行有问题）")]
    NoDialogues { bad: u64, lines: Vec<(PathBuf, BadLine)> },
    #[error("{}: 无法写入：{}", display_path(.path), io_reason(.source))]
    Output { path: PathBuf, source: std::io::Error },
    #[error("临时文件出错：{}", io_reason(.0))]
    Spill(std::io::Error),
}

impl MineError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            MineError::Input { .. } => "检查路径是否正确、是否有读取权限",
            MineError::IsDirectory(_) => "给出目录里的导出文件，例如 data/*.jsonl",
            MineError::NoInput => "检查文件路径；支持 JSON Lines 与 CSV，可为 gzip 压缩",
            MineError::NoDialogues { .. } => "看上面列出的有问题的行：格式、编码或字段名是否正确",
            MineError::Output { source, .. } if is_not_a_folder(source) => {
                "--out 要给一个目录：这个路径（或它的上一级）已经是一个文件；换一个路径，或先移走那个文件"
            }
            MineError::Output { .. } => "检查输出目录是否可写、磁盘是否已满",
            MineError::Spill(_) => "检查临时目录（TMPDIR）是否可写、空间是否足够",
        }
    }
}

/// A folder was wanted where a file is (`create_dir_all` over a file says "File exists").
fn is_not_a_folder(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::NotADirectory)
}

/// What to mine and where to write.
#[derive(Debug, Clone)]
pub struct MineOptions {
    pub inputs: Vec<PathBuf>,
    /// Directory for the drafts (and `calibration.ron` unless `calibration` is given).
    pub out: PathBuf,
    /// HTML report; the JSON goes beside it with the extension `.json`.
    pub report: Option<PathBuf>,
    pub calibration: Option<PathBuf>,
    /// Families with fewer dialogues get no draft.
    pub min_family: u64,
    /// At most this many drafts (the largest families first).
    pub max_drafts: usize,
    pub channel: Channel,
    /// Where the spill file goes (the system's temporary directory by default).
    pub temp_dir: Option<PathBuf>,
    /// How to read lines that are not UTF-8 (detected per file by default).
    pub encoding: input::TextEncoding,
}

impl MineOptions {
    pub fn new(inputs: Vec<PathBuf>, out: PathBuf) -> Self {
        MineOptions {
            inputs,
            out,
            report: None,
            calibration: None,
            min_family: 5,
            max_drafts: 30,
            channel: Channel::Chat,
            temp_dir: None,
            encoding: input::TextEncoding::Auto,
        }
    }

    pub fn calibration_path(&self) -> PathBuf {
        self.calibration.clone().unwrap_or_else(|| self.out.join("calibration.ron"))
    }

    /// The report's HTML and JSON paths: `r.html` and `r.json` (a `.json` path gets the HTML
    /// beside it with `.html`).
    pub fn report_paths(&self) -> Option<(PathBuf, PathBuf)> {
        let r = self.report.as_ref()?;
        if r.extension().is_some_and(|e| e == "json") {
            Some((r.with_extension("html"), r.clone()))
        } else {
            Some((r.clone(), r.with_extension("json")))
        }
    }
}

/// How the run is shown (a progress bar in the terminal; nothing in tests).
pub trait Progress: Sync {
    fn start(&self, _total_bytes: u64) {}
    fn update(&self, _bytes: u64, _dialogues: u64) {}
    fn phase(&self, _text: &str) {}
    fn finish(&self) {}
}

/// No progress display.
pub struct Quiet;
impl Progress for Quiet {}

/// What a run produced.
#[derive(Debug)]
pub struct MineOutcome {
    pub report: Report,
    /// Every bad line, in input order (the report keeps the first ones).
    pub bad_lines: Vec<(PathBuf, BadLine)>,
    pub bad_line_count: u64,
    /// Inputs that could not be opened at all.
    pub unreadable: Vec<(PathBuf, String)>,
    pub drafts: Vec<PathBuf>,
    pub calibration: PathBuf,
    pub report_files: Option<(PathBuf, PathBuf)>,
}

/// Runs the whole mining: read → redact → analyse (the corpus) → which words name topics and
/// concepts → topics → families → drafts → calibration → report.
pub fn mine(opts: &MineOptions, progress: &dyn Progress) -> Result<MineOutcome, MineError> {
    let (infos, unreadable) = probe_inputs(opts)?;
    let (ctx, jieba) = tools(&opts.out);

    let temp_dir = opts.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let corpus = Corpus::read(&infos, &ctx, &temp_dir, progress)?;
    let n = corpus.dialogues();
    if n == 0 {
        progress.finish();
        return Err(MineError::NoDialogues { bad: corpus.bad_count, lines: corpus.bad_lines });
    }

    progress.phase("选主题");
    let words = WordClasses::choose(&corpus.vocab, n, jieba);
    let topics = corpus::choose_topics(&corpus, &words).map_err(MineError::Spill)?;

    progress.phase("归类案例家族");
    let table = FamilyTable::group(&corpus, &topics, &words).map_err(MineError::Spill)?;

    progress.phase("写场景草稿");
    let drafted = drafting::write_drafts(opts, &table, &corpus, &topics, &words, &ctx)?;

    let calibration = corpus.calibration.finish(&MoodModel::embedded());
    let calibration_path = opts.calibration_path();
    write_file(&calibration_path, &calibration.to_ron())?;

    let draft_files = drafted.files.clone();
    let report = Report::assemble(&infos, &unreadable, &corpus, &topics, &table, drafted, calibration);
    let report_files = opts.report_paths();
    if let Some((html, json)) = &report_files {
        write_file(html, &report.to_html())?;
        write_file(json, &(serde_json::to_string_pretty(&report).expect("the report serialises") + "\n"))?;
    }
    progress.finish();
    let Corpus { bad_lines, bad_count, .. } = corpus;
    Ok(MineOutcome {
        report,
        bad_lines,
        bad_line_count: bad_count,
        unreadable,
        drafts: draft_files,
        calibration: calibration_path,
        report_files,
    })
}

/// Inputs that could not be opened, with why.
type Unreadable = Vec<(PathBuf, String)>;

/// The inputs that can be read (with their format and encoding), and those that cannot.
fn probe_inputs(opts: &MineOptions) -> Result<(Vec<InputInfo>, Unreadable), MineError> {
    let mut infos: Vec<InputInfo> = Vec::new();
    let mut unreadable = Vec::new();
    for p in &opts.inputs {
        match input::probe(p) {
            Ok(i) => infos.push(InputInfo { encoding: opts.encoding, ..i }),
            Err(e) => unreadable.push((p.clone(), e.to_string())),
        }
    }
    if infos.is_empty() {
        return Err(MineError::NoInput);
    }
    Ok((infos, unreadable))
}

/// The analyzer, detectors and redactor every dialogue goes through, with the lexicons of the
/// library the drafts go to (so their synonym groups exist) and without any scenario phrases:
/// a second run must segment exactly as the first. jieba's dictionary is loaded once (the
/// analyzer adds its words to a copy); the analyzer and the redaction rules are built side by
/// side.
fn tools(out: &Path) -> (Context, Arc<Jieba>) {
    let lexicons = Layout::around(out).lexicon_set().unwrap_or_else(|_| LexiconSet::embedded());
    let jieba = Arc::new(Jieba::new());
    let ((analyzer, detectors), redactor) = rayon::join(
        || {
            let analyzer = Arc::new(Analyzer::with_jieba(lexicons, Jieba::clone(&jieba)));
            let detectors = Detectors::new(&analyzer);
            (analyzer, detectors)
        },
        || Redactor::with_jieba(jieba.clone()),
    );
    (Context { analyzer, redactor, detectors }, jieba)
}

/// Writes an output file, making its folder first.
fn write_file(path: &Path, text: &str) -> Result<(), MineError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| MineError::Output { path: dir.to_path_buf(), source })?;
    }
    std::fs::write(path, text).map_err(|source| MineError::Output { path: path.to_path_buf(), source })
}

pub(crate) fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

/// Paths of every draft file `mine` wrote under a directory (`mined-*.ron`), sorted.
pub fn draft_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("mined-") && n.ends_with(".ron"))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}
