//! Recording a session as it happens, without ever losing it silently: each operation goes to
//! the database; when the database is unavailable (missing, corrupt, read-only, locked, disk
//! full) it is kept in memory and appended to a recovery file of that database
//! (`records::recovery`), and written once the store is back (or imported from the recovery
//! file at the next start). When even the recovery file cannot be written, `Saved::Deferred`
//! says so (no `recovery_file`) and the shell must offer the transcript another way.
//!
//! A locked database is waited for once (`RECORDER_WAIT`); after that the recorder fails fast
//! for the rest of the session, and waits once more at the finish.

use crate::diagnostic::display_path;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::records::ops::{Finish, Op, SessionStart, TurnRecord};
pub use crate::records::recovery::import_recovery;
use crate::records::recovery::{ImportReport, Journal, Owner, explain_io, recovery_roots};
use crate::records::store::{Identity, Store, StoreError, now_ms};
use crate::scoring::scorecard::Scorecard;
use crate::session::Session;

/// How long the recorder waits for a database locked by another program, once a session (at
/// the first operation that meets the lock, and again at the finish).
pub const RECORDER_WAIT: Duration = Duration::from_secs(3);

/// What became of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// In the database.
    Stored,
    /// The database is unavailable: kept in memory and, when `recovery_file` is given, in
    /// that recovery file. `recovery_file: None` means it is only in memory: lost when the
    /// program ends (the reason says so).
    Deferred { reason: String, recovery_file: Option<PathBuf> },
}

impl Saved {
    /// True when the operation is neither in the database nor in a recovery file.
    pub fn only_in_memory(&self) -> bool {
        matches!(self, Saved::Deferred { recovery_file: None, .. })
    }
}

/// Records one or more sessions. Holds the store (reopened when it failed; a read-only one is
/// kept for reading) and the operations not yet stored.
pub struct Recorder {
    db_path: PathBuf,
    store: Option<Store>,
    /// The identity of the database at `db_path`, once it was opened.
    identity: Option<Identity>,
    pending: Vec<Op>,
    /// The recovery file being written, and how many of `pending` are in it.
    journal: Option<Journal>,
    journaled: usize,
    recovery_roots: Vec<PathBuf>,
    /// Why the recovery file could not be written, when it could not.
    journal_error: Option<String>,
    last_error: Option<String>,
    /// A lock timeout was met: fail fast until the next patient flush.
    locked: bool,
    imports: ImportReport,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("db_path", &self.db_path).field("pending", &self.pending.len()).finish()
    }
}

impl Recorder {
    /// A recorder for the database at `db_path`. Opening may fail; recording then goes to the
    /// recovery file until the database can be opened. The error, if any, is returned beside
    /// the recorder so the shell can warn once.
    pub fn open(db_path: &Path) -> (Recorder, Option<StoreError>) {
        Recorder::open_with(db_path, recovery_roots())
    }

    /// As `open`, with the recovery roots given (tests keep them private).
    pub fn open_with(db_path: &Path, recovery_roots: Vec<PathBuf>) -> (Recorder, Option<StoreError>) {
        let mut recorder = Recorder::empty(db_path.to_path_buf(), None, recovery_roots);
        // A read-only database still serves reports; recording says so from the start.
        let error = recorder.ensure_store().err();
        if let Some(StoreError::Locked { .. }) = &error {
            recorder.fail_fast();
        }
        (recorder, error)
    }

    fn empty(db_path: PathBuf, store: Option<Store>, recovery_roots: Vec<PathBuf>) -> Recorder {
        let identity = store.as_ref().and_then(|s| s.identity().ok().flatten());
        Recorder {
            db_path,
            store,
            identity,
            pending: Vec::new(),
            journal: None,
            journaled: 0,
            recovery_roots,
            journal_error: None,
            last_error: None,
            locked: false,
            imports: ImportReport::default(),
        }
    }

    /// A recorder over an already open store (tests, the app).
    pub fn with_store(store: Store) -> Recorder {
        let db_path = store.path().to_path_buf();
        Recorder::empty(db_path, Some(store), recovery_roots())
    }

    /// The store for reading (it may be read-only), if the database could be opened at all.
    pub fn store(&mut self) -> Option<&mut Store> {
        self.store.as_mut()
    }

    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// Operations not yet in the database.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// The recovery file holding the pending operations, when they are all in it.
    pub fn recovery_file(&self) -> Option<&Path> {
        self.journal.as_ref().filter(|_| self.journaled >= self.pending.len()).map(Journal::path)
    }

    /// What the imports of recovery files did so far (files refused are named there).
    pub fn imports(&self) -> &ImportReport {
        &self.imports
    }

    fn wait(&self) -> Duration {
        if self.locked { Duration::ZERO } else { RECORDER_WAIT }
    }

    fn fail_fast(&mut self) {
        self.locked = true;
        if let Some(store) = &self.store {
            let _ = store.set_busy_timeout(Duration::ZERO);
        }
    }

    /// Opens the store for writing if it is not; a database that is back imports what earlier
    /// runs could not store. When it can only be read, it is kept for reading and the reason
    /// returned.
    fn ensure_store(&mut self) -> Result<(), StoreError> {
        if self.store.as_ref().is_some_and(|s| !s.is_read_only()) {
            return Ok(());
        }
        let path = self.db_path.clone();
        match Store::open_waiting(&path, self.wait()) {
            Ok(store) if store.is_read_only() => {
                self.identity = store.identity().ok().flatten().or(self.identity.take());
                self.store = Some(store);
                Err(StoreError::ReadOnly { path })
            }
            Ok(mut store) => {
                self.identity = store.identity().ok().flatten();
                if let Ok(report) = import_recovery(&mut store, &self.recovery_roots) {
                    self.imports.files += report.files;
                    self.imports.ops += report.ops;
                    self.imports.in_use += report.in_use;
                    self.imports.bad.extend(report.bad);
                }
                self.store = Some(store);
                Ok(())
            }
            Err(e) => {
                // A folder or file SQLite cannot write: the records can still be read.
                if self.store.is_none()
                    && matches!(e, StoreError::ReadOnly { .. } | StoreError::Open { .. })
                    && let Ok(reader) = Store::open_read_only(&path)
                {
                    self.identity = reader.identity().ok().flatten().or(self.identity.take());
                    self.store = Some(reader);
                }
                Err(e)
            }
        }
    }

    /// Records an operation: stores it with everything pending before it, or keeps it.
    pub fn record(&mut self, op: Op) -> Saved {
        self.pending.push(op);
        self.flush()
    }

    /// As `record`, waiting for a locked database once more (the end of a session).
    pub fn record_patiently(&mut self, op: Op) -> Saved {
        self.pending.push(op);
        self.flush_patiently()
    }

    /// As `flush`, waiting for a locked database once more even after a lock timeout.
    pub fn flush_patiently(&mut self) -> Saved {
        self.locked = false;
        if let Some(store) = &self.store {
            let _ = store.set_busy_timeout(RECORDER_WAIT);
        }
        self.flush()
    }

    /// Tries to store everything pending, in order.
    pub fn flush(&mut self) -> Saved {
        match self.try_flush() {
            Ok(()) => {
                self.last_error = None;
                // Everything the recovery file held is in the database now.
                if let Some(journal) = self.journal.take() {
                    let _ = journal.remove();
                    self.journaled = 0;
                }
                Saved::Stored
            }
            Err(e) => {
                match e {
                    StoreError::Locked { .. } => self.fail_fast(),
                    // A read-only store is kept, for reading.
                    StoreError::Sql(_) | StoreError::NotFound(_) | StoreError::ReadOnly { .. } => {}
                    // A store that failed is reopened next time (it may have been replaced or fixed).
                    _ => self.store = None,
                }
                let journaled = self.journal();
                let reason = match (&self.journal_error, journaled) {
                    (Some(why), false) => {
                        format!("{e}；恢复文件也无法写入（{why}）：本次记录只在内存中，程序结束后就会丢失")
                    }
                    _ => format!("{e}；{}", e.hint()),
                };
                self.last_error = Some(reason.clone());
                Saved::Deferred { reason, recovery_file: self.recovery_file().map(Path::to_path_buf) }
            }
        }
    }

    fn try_flush(&mut self) -> Result<(), StoreError> {
        while !self.pending.is_empty() {
            self.ensure_store()?;
            let store = self.store.as_mut().expect("ensured");
            store.apply(&self.pending[0])?;
            self.pending.remove(0);
            self.journaled = self.journaled.saturating_sub(1);
        }
        Ok(())
    }

    /// Appends the pending operations not yet journaled to the recovery file (a new file, with
    /// all of them, when there is none or it failed). True when all pending operations are in
    /// a recovery file.
    fn journal(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        if let Some(journal) = &mut self.journal {
            if self.journaled >= self.pending.len() {
                return true;
            }
            match journal.append(&self.pending[self.journaled..]) {
                Ok(()) => {
                    self.journaled = self.pending.len();
                    return true;
                }
                Err(e) => {
                    self.journal_error = Some(format!("{}：{}", display_path(journal.path()), explain_io(&e)));
                    self.journal = None;
                    self.journaled = 0;
                }
            }
        }
        let owner = Owner::of(&self.db_path, self.identity.as_ref());
        let name = new_uuid();
        let mut errors = Vec::new();
        for root in &self.recovery_roots {
            match Journal::create(root, &owner, &name).and_then(|mut j| j.append(&self.pending).map(|()| j)) {
                Ok(journal) => {
                    self.journal = Some(journal);
                    self.journaled = self.pending.len();
                    self.journal_error = None;
                    return true;
                }
                Err(e) => errors.push(format!("{}：{}", display_path(root), explain_io(&e))),
            }
        }
        if errors.is_empty() {
            errors.push("没有可用的恢复目录".into());
        }
        self.journal_error = Some(errors.join("；"));
        false
    }
}

/// Records one session: the shell calls `action` after every accepted action and `finish` at
/// the end.
#[derive(Debug, Clone)]
pub struct SessionRecording {
    pub uuid: String,
    recorded: usize,
}

impl SessionRecording {
    /// Starts recording `session` for `trainee`.
    pub fn start(
        recorder: &mut Recorder,
        trainee: &str,
        team: Option<&str>,
        session: &Session,
    ) -> (SessionRecording, Saved) {
        let uuid = new_uuid();
        let saved = recorder.record(Op::Start(SessionStart::new(uuid.clone(), trainee, team, session, now_ms())));
        (SessionRecording { uuid, recorded: 0 }, saved)
    }

    /// Records every action of `session` not yet recorded.
    pub fn sync(&mut self, recorder: &mut Recorder, session: &Session) -> Saved {
        let mut saved = Saved::Stored;
        let history = session.history();
        while self.recorded < history.len() {
            // `last_of` describes the latest action; earlier unrecorded ones (rare) are
            // described from a session replayed up to them.
            let record = if self.recorded + 1 == history.len() {
                TurnRecord::last_of(&self.uuid, session, now_ms())
            } else {
                let (partial, _) = Session::replay(
                    session.engine().clone(),
                    session.seed(),
                    session.mode(),
                    &history[..=self.recorded],
                );
                TurnRecord::last_of(&self.uuid, &partial, now_ms())
            };
            if let Some(r) = record {
                saved = recorder.record(Op::Turn(r));
            }
            self.recorded += 1;
        }
        saved
    }

    /// Records the end of the call with its scorecard.
    pub fn finish(&mut self, recorder: &mut Recorder, session: &Session, card: &Scorecard) -> Saved {
        self.sync(recorder, session);
        recorder.record_patiently(Op::Finish(Finish::new(&self.uuid, session, card, now_ms())))
    }
}

/// A unique id for a session: time, process and a counter, hex.
pub fn new_uuid() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}-{:08x}-{:04x}", nanos as u64, std::process::id(), n & 0xffff)
}
