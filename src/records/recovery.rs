//! Recovery files: where a session waits when its database cannot take it, and how it gets
//! back in. Each file belongs to one database — keyed by the database's canonical path and
//! identity (`Store::identity`), or by the path alone when the database could not even be
//! opened — lives in a private (0700) per-user folder, is written 0600 and locked while in
//! use, and is imported only into its own database after its operations were checked. A file
//! that fails the check is kept (renamed `*.bad`), named to the user, and never applied.
//!
//! Layout: `<root>/<key>/<uuid>.jsonl`, where `<root>` is one of `recovery_roots()` and
//! `<key>` is `db-<hash>` (path and identity) or `path-<hash>` (path only). The first line of a
//! file is a `Header` naming the database; each further line is one `Op`.

use crate::diagnostic::display_path;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::records::ops::{Finish, Op, SessionStart, TurnRecord};
use crate::records::store::{Identity, Store, StoreError};
use crate::scenario::compiled::content_hash;
use crate::session::{MAX_ANSWER_CHARS, MAX_NOTE_CHARS, TranscriptEntry};

/// The format written in `Header::peilian_recovery`.
pub const FORMAT: u32 = 1;

/// A recovery file larger than this is not read (a session's file is a few kilobytes).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The database a recovery file belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// The database file's canonical path (`canonical_db_path`), as text.
    pub path: String,
    /// `application_id` and database id when the database was open; `None` when it could not
    /// be opened (the file then belongs to whatever peilian database is at `path`).
    pub database_id: Option<String>,
}

impl Owner {
    /// The owner for the database at `db_path`, with its identity when known.
    pub fn of(db_path: &Path, identity: Option<&Identity>) -> Owner {
        Owner {
            path: canonical_db_path(db_path).to_string_lossy().into_owned(),
            database_id: identity.map(|i| i.database_id.clone()),
        }
    }

    /// The folder name under a recovery root.
    pub fn key(&self) -> String {
        match &self.database_id {
            Some(id) => format!("db-{}", content_hash(format!("{}\0{id}", self.path).as_bytes())),
            None => format!("path-{}", content_hash(self.path.as_bytes())),
        }
    }
}

/// The first line of every recovery file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub peilian_recovery: u32,
    pub database: Owner,
}

/// The database path made absolute with symbolic links resolved; for a file that does not exist
/// yet, its folder's canonical path joined with its name (else the path made absolute).
pub fn canonical_db_path(db_path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(db_path) {
        return p;
    }
    if let (Some(parent), Some(name)) = (db_path.parent(), db_path.file_name()) {
        let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
        if let Ok(p) = std::fs::canonicalize(parent) {
            return p.join(name);
        }
    }
    std::path::absolute(db_path).unwrap_or_else(|_| db_path.to_path_buf())
}

/// Where recovery files may be written, first choice first: `recovery/` in peilian's data
/// folder (`$PEILIAN_HOME`, else `~/.local/share/peilian`); without `$PEILIAN_HOME`, also the
/// state folder (`$XDG_STATE_HOME/peilian` or `~/.local/state/peilian`); last, a folder of
/// this user's own in the temp directory (`peilian-recovery-<uid>`, 0700, refused if it
/// belongs to someone else). All are per user; none is shared.
pub fn recovery_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(d) = crate::records::prefs::data_dir() {
        roots.push(d.join("recovery"));
    }
    if std::env::var_os("PEILIAN_HOME").is_none()
        && let Some(dirs) = directories::ProjectDirs::from("", "", "peilian")
        && let Some(state) = dirs.state_dir()
    {
        roots.push(state.join("recovery"));
    }
    roots.push(std::env::temp_dir().join(format!("peilian-recovery-{}", user_tag())));
    roots.dedup();
    roots
}

#[cfg(unix)]
fn user_tag() -> String {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }.to_string()
}

#[cfg(not(unix))]
fn user_tag() -> String {
    std::env::var("USERNAME").unwrap_or_else(|_| "user".into())
}

/// Creates `dir` (and missing parents) private to this user and checks that it is: a real
/// folder (not a link), owned by this user, no access for group or others.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return Err(std::io::Error::other(format!("{} 不是目录（可能是符号链接）", display_path(dir))));
    }
    if !owned_by_me(&meta) {
        return Err(std::io::Error::other(format!("{} 属于另一个用户", display_path(dir))));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if meta.mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

/// A file-system error in Chinese, with the system's error number (never its English text),
/// e.g. "路径中有一段是文件，不是目录（系统错误 20）". Messages peilian made itself are kept.
pub fn explain_io(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let what = match e.kind() {
        K::NotFound => "路径不存在",
        K::PermissionDenied => "没有权限",
        K::AlreadyExists => "文件已存在",
        K::NotADirectory => "路径中有一段是文件，不是目录",
        K::IsADirectory => "这是一个目录",
        K::ReadOnlyFilesystem => "文件系统是只读的",
        K::StorageFull | K::QuotaExceeded => "磁盘已满或超出配额",
        K::WouldBlock => "正被另一个程序使用",
        K::InvalidFilename => "文件名无效",
        K::FileTooLarge => "文件太大",
        _ => match e.raw_os_error() {
            Some(_) => "文件系统出错",
            // Made by peilian (`io::Error::other` with a Chinese message).
            None => return e.to_string(),
        },
    };
    match e.raw_os_error() {
        Some(code) => format!("{what}（系统错误 {code}）"),
        None => what.to_string(),
    }
}

/// A JSON error in Chinese, with the column (serde_json's text is English).
fn explain_json(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Syntax => "不是 JSON",
        Category::Data => "字段缺失、多余或类型不对",
        Category::Eof => "不完整",
        Category::Io => "无法读取",
    };
    format!("{what}，第 {} 列附近", e.column())
}

/// True when `meta` (from `symlink_metadata`) belongs to this user.
fn owned_by_me(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        meta.uid() == unsafe { libc::geteuid() }
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        true
    }
}

/// A folder files may be imported from: a real folder (not a link) of this user's. One that
/// others could read is closed (0700) on the way.
fn importable_dir(dir: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(dir) else { return false };
    if !meta.is_dir() || !owned_by_me(&meta) {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
    true
}

/// A recovery file being written, locked for as long as it is held.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
    /// Bytes written and synced so far: a failed append is cut back to this.
    len: u64,
}

impl Journal {
    /// Creates `<root>/<owner key>/<name>.jsonl` (it must not exist yet), private and locked,
    /// with its header. It is made as `<name>.jsonl.part` and takes its name only once locked
    /// and headed, so an import never meets it unlocked.
    pub fn create(root: &Path, owner: &Owner, name: &str) -> std::io::Result<Journal> {
        let dir = root.join(owner.key());
        private_dir(root)?;
        private_dir(&dir)?;
        let path = dir.join(format!("{name}.jsonl"));
        let part = dir.join(format!("{name}.jsonl.part"));
        if std::fs::symlink_metadata(&path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} 已存在", display_path(&path)),
            ));
        }
        let mut options = OpenOptions::new();
        options.create_new(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        let file = options.open(&part)?;
        let mut journal = Journal { file, path: part.clone(), len: 0 };
        let header = Header { peilian_recovery: FORMAT, database: owner.clone() };
        let line = serde_json::to_string(&header).map_err(std::io::Error::other)? + "\n";
        let ready = journal
            .file
            .try_lock()
            .map_err(|_| std::io::Error::other(format!("{} 正被另一个程序使用", display_path(&part))))
            .and_then(|()| journal.write(line.as_bytes()))
            .and_then(|()| std::fs::rename(&part, &path));
        if let Err(e) = ready {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        journal.path = path;
        Ok(journal)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends operations, then forces them to disk. On failure the file is cut back to what
    /// it held before, so it never ends in half a line.
    pub fn append(&mut self, ops: &[Op]) -> std::io::Result<()> {
        let mut text = String::new();
        for op in ops {
            text.push_str(&serde_json::to_string(op).map_err(std::io::Error::other)?);
            text.push('\n');
        }
        self.write(text.as_bytes())
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self.file.write_all(bytes).and_then(|()| self.file.sync_all()) {
            Ok(()) => {
                self.len += bytes.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = self.file.set_len(self.len);
                Err(e)
            }
        }
    }

    /// Everything in it is in the database: removes the file.
    pub fn remove(self) -> std::io::Result<()> {
        std::fs::remove_file(&self.path)
    }
}

/// A recovery file that was not imported: where it is now (renamed `*.bad`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFile {
    pub file: PathBuf,
    pub why: String,
}

impl std::fmt::Display for BadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "恢复文件 {} 未导入：{}；文件已保留，请人工检查后删除", display_path(&self.file), self.why)
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Files imported (and removed).
    pub files: usize,
    /// Operations applied from them.
    pub ops: usize,
    /// Files refused, kept as `*.bad`.
    pub bad: Vec<BadFile>,
    /// Files left alone because another program is writing them.
    pub in_use: usize,
}

/// Imports into `store` the recovery files that belong to it (its canonical path with its
/// identity, or its path alone) from every root. Each file is checked first and applied in one
/// transaction; a bad file is renamed `*.bad` and reported, and the others go on. Stops (files
/// kept as they are) only when the database itself fails, e.g. locked.
pub fn import_recovery(store: &mut Store, roots: &[PathBuf]) -> Result<ImportReport, StoreError> {
    let identity = store.identity()?;
    let mut owners = vec![Owner::of(store.path(), None)];
    if let Some(id) = &identity {
        owners.insert(0, Owner::of(store.path(), Some(id)));
    }
    let mut report = ImportReport::default();
    for root in roots {
        if !importable_dir(root) {
            continue;
        }
        for owner in &owners {
            let dir = root.join(owner.key());
            if !importable_dir(&dir) {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect();
            files.sort();
            for file in files {
                import_file(store, &file, owner, &mut report)?;
            }
        }
    }
    Ok(report)
}

fn import_file(store: &mut Store, file: &Path, owner: &Owner, report: &mut ImportReport) -> Result<(), StoreError> {
    let meta = std::fs::symlink_metadata(file).ok();
    if meta.as_ref().is_some_and(|m| !owned_by_me(m)) {
        report.bad.push(mark_bad(file, "文件属于另一个用户".into()));
        return Ok(());
    }
    let regular = meta.is_some_and(|m| m.is_file());
    let handle = if regular { File::open(file).ok() } else { None };
    let Some(handle) = handle else {
        report.bad.push(mark_bad(file, "不是可读的普通文件（链接、管道或设备）".into()));
        return Ok(());
    };
    if handle.try_lock().is_err() {
        // Another recorder is still writing it.
        report.in_use += 1;
        return Ok(());
    }
    let ops = match read_file(handle, owner).and_then(|ops| check(store, &ops).map(|()| ops)) {
        Ok(ops) => ops,
        Err(why) => {
            report.bad.push(mark_bad(file, why));
            return Ok(());
        }
    };
    match store.apply_all(&ops) {
        Ok(()) => {
            report.files += 1;
            report.ops += ops.len();
            let _ = std::fs::remove_file(file);
            Ok(())
        }
        Err(StoreError::Sql(e)) => {
            report.bad.push(mark_bad(file, format!("写入数据库时出错（{}）", crate::records::store::explain_sql(&e))));
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Renames a refused file `*.bad` (kept for a person) and says why.
fn mark_bad(file: &Path, why: String) -> BadFile {
    let mut bad = file.as_os_str().to_owned();
    bad.push(".bad");
    let bad = PathBuf::from(bad);
    match std::fs::rename(file, &bad) {
        Ok(()) => BadFile { file: bad, why },
        Err(e) => {
            BadFile { file: file.to_path_buf(), why: format!("{why}（无法改名为 .bad：{}）", explain_io(&e)) }
        }
    }
}

/// Reads the header and operations; the reason, with the line, when the file is not one of
/// this database's well-formed recovery files.
fn read_file(file: File, owner: &Owner) -> Result<Vec<Op>, String> {
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES {
        return Err(format!("文件有 {size} 字节，超过上限 {MAX_FILE_BYTES} 字节"));
    }
    let mut lines = BufReader::new(file.take(MAX_FILE_BYTES)).lines();
    let first = match lines.next() {
        Some(Ok(l)) => l,
        Some(Err(e)) => return Err(format!("第 1 行无法读取（{}）", explain_io(&e))),
        None => return Err("文件是空的".into()),
    };
    let header: Header = serde_json::from_str(&first).map_err(|_| "第 1 行不是恢复文件的文件头".to_string())?;
    if header.peilian_recovery != FORMAT {
        return Err(format!("文件格式版本 {} 不是本程序的 {FORMAT}", header.peilian_recovery));
    }
    if header.database != *owner {
        return Err(format!("它属于另一个数据库（{}）", header.database.path));
    }
    let mut ops = Vec::new();
    for (i, line) in lines.enumerate() {
        let n = i + 2;
        let line = line.map_err(|e| format!("第 {n} 行无法读取（{}）", explain_io(&e)))?;
        if line.trim().is_empty() {
            continue;
        }
        let op: Op =
            serde_json::from_str(&line).map_err(|e| format!("第 {n} 行不是有效的记录（{}）", explain_json(&e)))?;
        ops.push(op);
    }
    if ops.is_empty() {
        return Err("文件里没有记录".into());
    }
    Ok(ops)
}

/// A session id as `new_uuid` makes them: 16, 8 and 4 lowercase hex digits.
pub fn is_session_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && [16, 8, 4]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// A trainee or team name as the recorder writes it: the rules of
/// [`crate::text::safe::validate_trainee_name`], already trimmed.
pub fn is_valid_name(s: &str) -> bool {
    crate::text::safe::validate_trainee_name(s) == Ok(s)
}

fn score_ok(x: f32) -> bool {
    x.is_finite() && (0.0..=100.0).contains(&x)
}

fn close(a: f64, b: f32) -> bool {
    (a - f64::from(b)).abs() < 0.05
}

const OUTCOMES: &[&str] =
    &["resolved", "unresolved", "customer_hung_up", "transferred", "agent_hung_up", "in_progress"];
const KINDS: &[&str] = &["answer", "transfer", "hangup", "silence", "rewind"];

/// Checks a file's operations before anything is applied: each well formed, each session
/// started in the file before its other operations (or already in the database), scores in
/// 0–100, and the finish consistent with its scorecard.
fn check(store: &Store, ops: &[Op]) -> Result<(), String> {
    let mut started: Vec<&str> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let n = i + 2;
        let uuid = op.uuid();
        if !is_session_uuid(uuid) {
            return Err(format!("第 {n} 行的练习编号“{}”格式不对", uuid.escape_debug()));
        }
        let why = match op {
            Op::Start(s) => {
                started.push(uuid);
                check_start(s)
            }
            Op::Turn(t) => in_session(store, &started, uuid).and_then(|()| check_turn(t)),
            Op::Finish(f) => in_session(store, &started, uuid).and_then(|()| check_finish(f)),
        };
        why.map_err(|w| format!("第 {n} 行：{w}"))?;
    }
    Ok(())
}

fn in_session(store: &Store, started: &[&str], uuid: &str) -> Result<(), String> {
    if started.contains(&uuid) {
        return Ok(());
    }
    let known = store
        .conn()
        .query_row("SELECT count(*) FROM sessions WHERE uuid = ?1", [uuid], |r| r.get::<_, i64>(0))
        .unwrap_or(0);
    if known > 0 { Ok(()) } else { Err(format!("练习 {uuid} 没有开始记录（start），数据库里也没有")) }
}

fn check_start(s: &SessionStart) -> Result<(), String> {
    if !is_valid_name(&s.trainee) {
        return Err(format!("学员姓名“{}”无效（空、过长、首尾有空格或含控制字符）", s.trainee.escape_debug()));
    }
    if let Some(team) = &s.team
        && !team.is_empty()
        && !is_valid_name(team)
    {
        return Err(format!("团队名“{}”无效（过长或含控制字符）", team.escape_debug()));
    }
    if s.scenario_id.trim().is_empty() {
        return Err("没有场景 id".into());
    }
    if !matches!(s.mode.as_str(), "practice" | "exam") {
        return Err(format!("模式“{}”不是 practice 或 exam", s.mode.escape_debug()));
    }
    if s.started_ms < 0 {
        return Err("开始时间为负数".into());
    }
    Ok(())
}

fn check_turn(t: &TurnRecord) -> Result<(), String> {
    if !KINDS.contains(&t.kind.as_str()) {
        return Err(format!("动作类型“{}”未知", t.kind.escape_debug()));
    }
    if t.latency_ms > i64::MAX as u64 {
        return Err(format!("用时 {} 毫秒超出范围", t.latency_ms));
    }
    let max = if t.kind == "transfer" { MAX_NOTE_CHARS } else { MAX_ANSWER_CHARS };
    let chars = t.text.chars().count();
    if chars > max {
        return Err(format!("文字有 {chars} 个字，超过上限 {max} 字"));
    }
    if let Some(o) = t.overall
        && !score_ok(o)
    {
        return Err(format!("回合得分 {o} 不在 0–100 之间"));
    }
    if t.kind == "answer" {
        let (Some(overall), Some(score)) = (t.overall, &t.score) else {
            return Err("回答没有得分".into());
        };
        let v: serde_json::Value = serde_json::from_str(score).map_err(|_| "回答的评分不是有效的 JSON".to_string())?;
        if !v["overall"].as_f64().is_some_and(|x| close(x, overall)) {
            return Err(format!("回合得分 {overall} 与评分明细里的总分不一致"));
        }
    }
    Ok(())
}

fn check_finish(f: &Finish) -> Result<(), String> {
    if !score_ok(f.overall) {
        return Err(format!("总分 {} 不在 0–100 之间", f.overall));
    }
    if !OUTCOMES.contains(&f.outcome.as_str()) {
        return Err(format!("结果“{}”未知", f.outcome.escape_debug()));
    }
    let r = &f.rubrics;
    let columns = [
        ("concepts", r.concepts),
        ("tone", r.tone),
        ("escalation", r.escalation),
        ("no_repeat", r.no_repeat),
        ("responsiveness", r.responsiveness),
    ];
    let card: serde_json::Value =
        serde_json::from_str(&f.scorecard).map_err(|_| "成绩单不是有效的 JSON".to_string())?;
    if !card["overall"].as_f64().is_some_and(|x| close(x, f.overall)) {
        return Err(format!("总分 {} 与成绩单里的总分不一致", f.overall));
    }
    if card["passed"].as_bool() != Some(f.passed) {
        return Err(format!("“{}”与成绩单不一致", if f.passed { "通过" } else { "未通过" }));
    }
    if card["outcome"].as_str() != Some(f.outcome.as_str()) {
        return Err("结果与成绩单不一致".into());
    }
    let pass_mark = card["pass_mark"].as_f64().filter(|m| (0.0..=100.0).contains(m));
    let Some(pass_mark) = pass_mark else { return Err("成绩单没有有效的及格线".into()) };
    if f.passed
        && (f64::from(f.overall) < pass_mark - 0.05
            || matches!(f.outcome.as_str(), "customer_hung_up" | "agent_hung_up" | "in_progress"))
    {
        return Err(format!("标为通过，但总分 {} 低于及格线 {pass_mark} 或通话未正常结束", f.overall));
    }
    // The overall is re-derived from the rubrics in the scorecard: their weighted mean, or
    // less when a cap (red line, hang-up …) is given.
    let (sum, weights) =
        card["rubrics"].as_object().into_iter().flat_map(|m| m.values()).fold((0.0, 0.0), |(s, w), r| {
            let (score, weight) = (r["score"].as_f64().unwrap_or(0.0), r["weight"].as_f64().unwrap_or(0.0));
            if r["applicable"].as_bool() == Some(true) && weight > 0.0 {
                (s + score * weight, w + weight)
            } else {
                (s, w)
            }
        });
    let mean = if weights > 0.0 { sum / weights } else { 0.0 };
    let capped = card["capped"].is_string();
    if f64::from(f.overall) > mean + 0.15 || (!capped && (f64::from(f.overall) - mean).abs() > 0.15) {
        return Err(format!("总分 {} 与成绩单各项得分的加权平均 {mean:.1} 不符", f.overall));
    }
    for (name, column) in columns {
        if let Some(x) = column
            && !score_ok(x)
        {
            return Err(format!("{name} 得分 {x} 不在 0–100 之间"));
        }
        let rubric = &card["rubrics"][name];
        let in_card = rubric["applicable"].as_bool().unwrap_or(false).then(|| rubric["score"].as_f64()).flatten();
        let same = match (column, in_card) {
            (Some(a), Some(b)) => close(b, a),
            (None, None) => true,
            _ => false,
        };
        if !same {
            return Err(format!("{name} 得分与成绩单不一致"));
        }
    }
    serde_json::from_str::<Vec<TranscriptEntry>>(&f.transcript).map_err(|_| "对话记录不是有效的 JSON".to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_errors_are_told_in_chinese() {
        let e = std::io::Error::from_raw_os_error(20); // ENOTDIR on Linux
        let text = explain_io(&e);
        assert!(!text.is_ascii() && !text.contains("Not a directory"), "{text}");
        let mine = std::io::Error::other("x 正被另一个程序使用");
        assert_eq!(explain_io(&mine), "x 正被另一个程序使用");
        let json = serde_json::from_str::<Op>("{\"op\":\"turn\",\"uuid\":1}").unwrap_err();
        let text = explain_json(&json);
        assert!(text.starts_with("字段缺失") && text.contains("列"), "{text}");
    }

    #[test]
    fn uuids_and_names() {
        assert!(is_session_uuid("0123456789abcdef-00001234-00ff"));
        assert!(!is_session_uuid("0123456789ABCDEF-00001234-00ff"), "uppercase is not how they are written");
        assert!(!is_session_uuid("x"));
        assert!(!is_session_uuid("0123456789abcdef-00001234-00ff-1"));
        assert!(is_valid_name("小王"));
        assert!(!is_valid_name("  "));
        assert!(!is_valid_name("a\u{1b}]0;x\u{7}"));
        assert!(!is_valid_name("小王\n小李"));
        assert!(!is_valid_name(&"名".repeat(crate::text::safe::MAX_NAME_CHARS + 1)));
        assert!(is_valid_name(&"名".repeat(crate::text::safe::MAX_NAME_CHARS)));
        assert!(!is_valid_name(" 小王"), "the recorder writes names trimmed");
        assert!(!is_valid_name("小王\u{202e}"), "bidirectional controls are refused as at practice");
    }

    #[test]
    fn keys_tell_databases_and_paths_apart() {
        let a = Owner { path: "/x/teamA.db".into(), database_id: None };
        let b = Owner { path: "/x/teamB.db".into(), database_id: None };
        let a1 = Owner { path: "/x/teamA.db".into(), database_id: Some("1".repeat(32)) };
        let a2 = Owner { path: "/x/teamA.db".into(), database_id: Some("2".repeat(32)) };
        let keys = [a.key(), b.key(), a1.key(), a2.key()];
        for (i, k) in keys.iter().enumerate() {
            assert!(keys[i + 1..].iter().all(|other| other != k), "{keys:?}");
        }
        assert!(a.key().starts_with("path-") && a1.key().starts_with("db-"));
        assert_eq!(a.key(), Owner { path: "/x/teamA.db".into(), database_id: None }.key(), "stable");
    }

    #[test]
    fn a_missing_database_is_keyed_by_its_folder_and_name() {
        let dir = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(canonical_db_path(&dir.path().join("new.db")), real.join("new.db"));
        std::fs::write(dir.path().join("new.db"), b"").unwrap();
        assert_eq!(canonical_db_path(&dir.path().join("./new.db")), real.join("new.db"));
    }

    #[cfg(unix)]
    #[test]
    fn folders_are_private_and_files_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("recovery");
        std::fs::create_dir(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).unwrap();
        let owner = Owner { path: "/x/a.db".into(), database_id: None };
        let journal = Journal::create(&root, &owner, "0123456789abcdef-00001234-00ff").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&root), 0o700, "a too open folder is closed");
        assert_eq!(mode(&root.join(owner.key())), 0o700);
        assert_eq!(mode(journal.path()), 0o600);
        let again = Journal::create(&root, &owner, "0123456789abcdef-00001234-00ff");
        assert!(again.is_err(), "never two writers on one file");
        let held = File::open(journal.path()).unwrap();
        assert!(held.try_lock().is_err(), "locked while held");
        // A link where the key folder should be is refused.
        let other = Owner { path: "/x/b.db".into(), database_id: None };
        std::os::unix::fs::symlink(dir.path(), root.join(other.key())).unwrap();
        assert!(Journal::create(&root, &other, "0123456789abcdef-00001234-00fe").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_not_imported_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("r.db");
        let mut store = Store::open(&db).unwrap();
        let owner = Owner::of(&db, store.identity().unwrap().as_ref());
        // A real file in a real folder, reached through a linked root.
        let real = dir.path().join("real");
        drop(Journal::create(&real, &owner, "x").unwrap());
        let linked = dir.path().join("linked");
        std::os::unix::fs::symlink(&real, &linked).unwrap();
        assert_eq!(import_recovery(&mut store, &[linked]).unwrap(), ImportReport::default());
        // Through the real root it is read (and refused: it holds no records).
        assert_eq!(import_recovery(&mut store, &[real]).unwrap().bad.len(), 1);
    }
}
