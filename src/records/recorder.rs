//! Recording a session as it happens, without ever losing it: each operation goes to the
//! database; when the database is unavailable (missing, corrupt, read-only, locked, disk full)
//! it is kept in memory and appended to a recovery file, and written once the store is back
//! (or imported from the recovery file at the next start).

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use crate::records::ops::{Finish, Op, SessionStart, TurnRecord};
use crate::records::store::{Store, StoreError, now_ms};
use crate::scoring::scorecard::Scorecard;
use crate::session::Session;

/// What became of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// In the database.
    Stored,
    /// The database is unavailable: kept in memory and in the recovery file.
    Deferred { reason: String, recovery_file: Option<PathBuf> },
}

/// Records one or more sessions. Holds the store (reopened when it failed) and the operations
/// not yet stored.
pub struct Recorder {
    db_path: PathBuf,
    store: Option<Store>,
    pending: Vec<Op>,
    /// How many of `pending` are already in the recovery file.
    journaled: usize,
    recovery_dirs: Vec<PathBuf>,
    recovery_file: Option<PathBuf>,
    last_error: Option<String>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("db_path", &self.db_path).field("pending", &self.pending.len()).finish()
    }
}

/// Where recovery files are written: beside the database, else in the temp directory.
pub fn recovery_dirs(db_path: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(parent) = db_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        dirs.push(parent.join("recovery"));
    }
    dirs.push(std::env::temp_dir().join("peilian-recovery"));
    dirs
}

impl Recorder {
    /// A recorder for the database at `db_path`. Opening may fail; recording then goes to the
    /// recovery file until the database can be opened. The error, if any, is returned beside
    /// the recorder so the shell can warn once.
    pub fn open(db_path: &Path) -> (Recorder, Option<StoreError>) {
        Recorder::open_with(db_path, recovery_dirs(db_path))
    }

    /// As `open`, with the recovery directories given (tests keep them private).
    pub fn open_with(db_path: &Path, recovery_dirs: Vec<PathBuf>) -> (Recorder, Option<StoreError>) {
        let mut recorder = Recorder {
            db_path: db_path.to_path_buf(),
            store: None,
            pending: Vec::new(),
            journaled: 0,
            recovery_dirs,
            recovery_file: None,
            last_error: None,
        };
        // A read-only database still serves reports; recording says so from the start.
        let error = match recorder.ensure_store() {
            Err(e) => Some(e),
            Ok(store) if store.is_read_only() => Some(StoreError::ReadOnly { path: db_path.to_path_buf() }),
            Ok(_) => None,
        };
        (recorder, error)
    }

    /// A recorder over an already open store (tests, the app).
    pub fn with_store(store: Store) -> Recorder {
        let db_path = store.path().to_path_buf();
        Recorder {
            recovery_dirs: recovery_dirs(&db_path),
            db_path,
            store: Some(store),
            pending: Vec::new(),
            journaled: 0,
            recovery_file: None,
            last_error: None,
        }
    }

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

    pub fn recovery_file(&self) -> Option<&Path> {
        self.recovery_file.as_deref()
    }

    fn ensure_store(&mut self) -> Result<&mut Store, StoreError> {
        if self.store.is_none() {
            let mut store = Store::open(&self.db_path)?;
            // A database that is back imports what earlier runs could not store.
            let _ = import_recovery(&mut store, &self.recovery_dirs);
            self.store = Some(store);
        }
        Ok(self.store.as_mut().expect("just opened"))
    }

    /// Records an operation: stores it with everything pending before it, or keeps it.
    pub fn record(&mut self, op: Op) -> Saved {
        self.pending.push(op);
        self.flush()
    }

    /// Tries to store everything pending, in order.
    pub fn flush(&mut self) -> Saved {
        let result = self.try_flush();
        match result {
            Ok(()) => {
                self.last_error = None;
                Saved::Stored
            }
            Err(e) => {
                // A store that failed is reopened next time (it may have been replaced or fixed);
                // a read-only one is kept, for reading.
                if !matches!(e, StoreError::Sql(_) | StoreError::NotFound(_) | StoreError::ReadOnly { .. }) {
                    self.store = None;
                }
                let reason = format!("{e}；{}", e.hint());
                self.last_error = Some(reason.clone());
                self.journal();
                Saved::Deferred { reason, recovery_file: self.recovery_file.clone() }
            }
        }
    }

    fn try_flush(&mut self) -> Result<(), StoreError> {
        while !self.pending.is_empty() {
            self.ensure_store()?;
            let store = self.store.as_mut().expect("ensured");
            if store.is_read_only() {
                return Err(StoreError::ReadOnly { path: self.db_path.clone() });
            }
            store.apply(&self.pending[0])?;
            self.pending.remove(0);
            self.journaled = self.journaled.saturating_sub(1);
        }
        Ok(())
    }

    /// Appends the pending operations not yet journaled to the recovery file.
    fn journal(&mut self) {
        if self.journaled >= self.pending.len() {
            return;
        }
        let uuid = self.pending[0].uuid().to_string();
        for dir in self.recovery_dirs.clone() {
            let path = dir.join(format!("{uuid}.jsonl"));
            let written = std::fs::create_dir_all(&dir).and_then(|_| {
                let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
                for op in &self.pending[self.journaled..] {
                    let line = serde_json::to_string(op).map_err(std::io::Error::other)?;
                    writeln!(file, "{line}")?;
                }
                file.sync_all()
            });
            if written.is_ok() {
                self.journaled = self.pending.len();
                self.recovery_file = Some(path);
                return;
            }
        }
    }
}

/// Imports every recovery file found in `dirs` into the store; files fully imported are
/// removed. Returns the number of operations imported. Unreadable lines are skipped and the
/// file is kept (renamed `*.bad`) for a person to look at.
pub fn import_recovery(store: &mut Store, dirs: &[PathBuf]) -> Result<usize, StoreError> {
    let mut imported = 0;
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        for file in files {
            let Ok(f) = std::fs::File::open(&file) else { continue };
            let mut ops = Vec::new();
            let mut bad = false;
            for line in BufReader::new(f).lines() {
                match line.ok().and_then(|l| serde_json::from_str::<Op>(&l).ok()) {
                    Some(op) => ops.push(op),
                    None => bad = true,
                }
            }
            store.apply_all(&ops)?;
            imported += ops.len();
            if bad {
                let _ = std::fs::rename(&file, file.with_extension("jsonl.bad"));
            } else {
                let _ = std::fs::remove_file(&file);
            }
        }
    }
    Ok(imported)
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
        recorder.record(Op::Finish(Finish::new(&self.uuid, session, card, now_ms())))
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
