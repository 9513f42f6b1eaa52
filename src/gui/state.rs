//! The app's resources: the scenario library with its analyzer, the records, who is practising,
//! and the call in progress. The core does the work; these only hold it for the screens.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bevy::prelude::*;

use crate::customer::MoodModel;
use crate::customer::reactions::ReactionLibrary;
use crate::records::coaching::ScenarioMeta;
use crate::records::prefs::Prefs;
use crate::records::recorder::{Recorder, Saved, SessionRecording};
use crate::records::store::Store;
use crate::scenario::Layout;
use crate::scenario::compiled::CompiledScenario;
use crate::scenario::library::{Entry, Library, default_scenarios_dir, ron_files};
use crate::scoring::scorecard::Scorecard;
use crate::session::{Engine, Event, Mode, Session};
use crate::text::Analyzer;

/// How the app was started.
#[derive(Resource, Debug, Clone, Default)]
pub struct GuiConfig {
    /// The scenario library; the default library when `None`.
    pub scenarios_dir: Option<PathBuf>,
    /// The records database; `--db`, `PEILIAN_DB`, the saved setting or the default when `None`.
    pub db_path: Option<PathBuf>,
    /// Walk through every screen, save a PNG of each into this directory, then exit.
    pub demo_dir: Option<PathBuf>,
    /// A fixed seed for every call (tests, demos); random otherwise.
    pub seed: Option<u64>,
    /// Where preferences are kept; the platform's config directory when `None`.
    pub prefs_path: Option<PathBuf>,
    /// The UI language for this run ("zh" or "en"); the saved setting when `None`.
    pub lang: Option<String>,
}

/// The scenario library, loaded with its analyzer; reloaded when the files change.
#[derive(Resource)]
pub struct Core {
    pub dir: Option<PathBuf>,
    pub assets: Option<PathBuf>,
    pub analyzer: Arc<Analyzer>,
    pub model: Arc<MoodModel>,
    pub reactions: Arc<ReactionLibrary>,
    pub entries: Vec<Entry>,
    /// A fingerprint of the scenario files (names, sizes, modification times).
    pub fingerprint: u64,
    /// Why the library could not be read at all, if so.
    pub load_error: Option<String>,
}

impl Core {
    pub fn load(dir: Option<&Path>) -> Core {
        let dir = dir.map(Path::to_path_buf).or_else(default_scenarios_dir);
        let layout = dir.as_deref().map(Layout::around).unwrap_or_default();
        let mut load_error = None;
        let mut analyzer = layout.analyzer().unwrap_or_else(|problems| {
            load_error = Some(problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"));
            Analyzer::with_embedded_lexicons()
        });
        let entries = match &dir {
            Some(d) => match Library::load(d, &mut analyzer, false) {
                Ok(lib) => lib.entries,
                Err(e) => {
                    load_error = Some(format!("{}: {e}", d.display()));
                    Vec::new()
                }
            },
            None => {
                load_error = Some("找不到场景目录（scenarios/）".to_string());
                Vec::new()
            }
        };
        // A mood model that does not load is named (like a broken library), never silently
        // replaced: the calls would not react as the trainer calibrated them.
        let model = match std::env::var_os("PEILIAN_MOOD_MODEL") {
            Some(p) => MoodModel::load(Path::new(&p)).unwrap_or_else(|e| {
                let problem = format!("PEILIAN_MOOD_MODEL：{e}；本次使用内置的客户情绪模型");
                load_error = Some(load_error.take().map_or(problem.clone(), |before| format!("{before}\n{problem}")));
                MoodModel::embedded()
            }),
            None => MoodModel::embedded(),
        };
        // A broken library under assets/ falls back to the shipped one (lint names the problem).
        let reactions = ReactionLibrary::from_assets(layout.assets.as_deref()).unwrap_or_default();
        Core {
            fingerprint: dir.as_deref().map_or(0, fingerprint),
            assets: layout.assets,
            dir,
            analyzer: Arc::new(analyzer),
            model: Arc::new(model),
            reactions: Arc::new(reactions),
            entries,
            load_error,
        }
    }

    pub fn ready(&self) -> impl Iterator<Item = &Arc<CompiledScenario>> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Ready { scenario, .. } => Some(scenario),
            Entry::Failed { .. } => None,
        })
    }

    pub fn scenario(&self, id: &str) -> Option<&Arc<CompiledScenario>> {
        self.ready().find(|s| s.id() == id)
    }

    pub fn engine(&self, id: &str) -> Option<Engine> {
        self.scenario(id).map(|s| Engine {
            analyzer: self.analyzer.clone(),
            scenario: s.clone(),
            model: self.model.clone(),
            reactions: self.reactions.clone(),
        })
    }

    pub fn metas(&self) -> Vec<ScenarioMeta> {
        self.ready().map(|s| ScenarioMeta::of(&s.scenario)).collect()
    }

    /// The voice clip for a customer line: the line's own `voice`, else the conventional
    /// `assets/voice/<scenario>/<turn>-<n>.(ogg|wav)` written by `peilian voice`.
    pub fn voice_path(
        &self,
        scenario: &CompiledScenario,
        turn_id: &str,
        text: &str,
        explicit: Option<&str>,
    ) -> Option<PathBuf> {
        let assets = self.assets.as_ref()?;
        if let Some(v) = explicit {
            // Lint refuses a voice path that leads out of assets/; the app never plays one.
            return crate::scenario::lint::stays_inside(assets, Path::new(v)).then(|| assets.join(v));
        }
        let lines = scenario
            .scenario
            .turns
            .iter()
            .find(|t| t.id == turn_id)
            .map(|t| &t.customer)
            .or_else(|| scenario.scenario.endings.iter().find(|e| e.id == turn_id).map(|e| &e.customer))?;
        let n = lines.iter().position(|l| l.text == text)? + 1;
        ["ogg", "wav"]
            .iter()
            .map(|ext| assets.join("voice").join(scenario.id()).join(format!("{turn_id}-{n}.{ext}")))
            .find(|p| p.is_file())
    }
}

/// A fingerprint of the `*.ron` files under a directory: changes when one is added, removed or
/// saved.
pub fn fingerprint(dir: &Path) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for f in ron_files(dir, true).unwrap_or_default() {
        mix(f.to_string_lossy().as_bytes());
        if let Ok(meta) = std::fs::metadata(&f) {
            mix(&meta.len().to_le_bytes());
            if let Ok(t) =
                meta.modified().and_then(|m| m.duration_since(std::time::UNIX_EPOCH).map_err(std::io::Error::other))
            {
                mix(&t.as_nanos().to_le_bytes());
            }
        }
    }
    hash
}

/// The records database. The recorder keeps sessions safe when the database is unavailable.
#[derive(Resource)]
pub struct Records {
    pub recorder: Mutex<Recorder>,
    pub db_path: PathBuf,
    /// Shown as a banner while the database cannot be used.
    pub problem: Option<DbProblem>,
    /// Recovery files refused at start (kept as `*.bad`), named in the banner.
    pub bad_imports: Vec<String>,
}

/// Why records are not reaching the database, and whether they are kept anywhere.
#[derive(Debug, Clone, PartialEq)]
pub struct DbProblem {
    pub detail: String,
    /// Neither the database nor a recovery file could be written: the session is only in
    /// memory, lost when the app closes.
    pub saved_nowhere: bool,
}

impl Records {
    pub fn open(path: &Path) -> Records {
        let (recorder, error) = Recorder::open(path);
        let bad_imports = recorder
            .imports()
            .bad
            .iter()
            .map(|b| crate::text::safe::terminal_safe(&b.to_string()).into_owned())
            .collect();
        Records {
            recorder: Mutex::new(recorder),
            db_path: path.to_path_buf(),
            problem: error.map(|e| DbProblem { detail: format!("{e}（{}）", e.hint()), saved_nowhere: false }),
            bad_imports,
        }
    }

    /// Runs a query on the store, if it is open.
    pub fn read<R>(&self, f: impl FnOnce(&Store) -> R) -> Option<R> {
        let mut recorder = self.recorder.lock().unwrap_or_else(|e| e.into_inner());
        recorder.store().map(|s| f(s))
    }

    /// Notes what happened to a record, for the banner.
    pub fn saw(&mut self, saved: Saved) {
        let saved_nowhere = saved.only_in_memory();
        self.problem = match saved {
            Saved::Stored => None,
            Saved::Deferred { reason, .. } => Some(DbProblem { detail: reason, saved_nowhere }),
        };
    }

    pub fn trainee_names(&self) -> Vec<(String, String)> {
        self.read(|s| {
            let mut stmt = s.conn().prepare("SELECT name, team FROM trainees ORDER BY name").ok()?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).ok()?;
            Some(rows.filter_map(Result::ok).collect::<Vec<_>>())
        })
        .flatten()
        .unwrap_or_default()
    }
}

/// Who is practising, in which mode, and the saved preferences.
#[derive(Resource, Debug, Clone)]
pub struct Profile {
    pub trainee: Option<String>,
    pub team: Option<String>,
    pub mode: Mode,
    pub prefs: Prefs,
    /// Where to save them (the platform's config directory when `None`).
    pub path: Option<PathBuf>,
}

impl Profile {
    pub fn load(path: Option<PathBuf>) -> Profile {
        let prefs = path.as_deref().map_or_else(Prefs::load, Prefs::load_from);
        Profile {
            trainee: prefs.trainee.clone(),
            team: prefs.team.clone(),
            mode: if prefs.exam { Mode::Exam } else { Mode::Practice },
            prefs,
            path,
        }
    }

    /// Saves the choices; failing to save is not worth stopping for.
    pub fn save(&mut self) {
        self.prefs.trainee = self.trainee.clone();
        self.prefs.team = self.team.clone();
        self.prefs.exam = self.mode == Mode::Exam;
        let saved = match &self.path {
            Some(p) => self.prefs.save_to(p),
            None => self.prefs.save(),
        };
        if let Err(e) = saved {
            warn!("无法保存设置：{e}");
        }
    }
}

/// The call in progress (or just ended).
#[derive(Resource, Default)]
pub struct Call {
    pub session: Option<Session>,
    pub recording: Option<SessionRecording>,
    /// The customer's line waits for the trainee to pick up.
    pub ringing: bool,
    /// Real time (seconds) when the customer last spoke: answers' latency runs from here.
    pub customer_spoke_at: f64,
    /// Real time (seconds) since when the answer box has held text: in chat the customer
    /// sees the agent typing.
    pub typing_from: Option<f64>,
    /// The handoff-note box is open.
    pub transferring: bool,
    /// Events not yet shown or played.
    pub unseen: Vec<Event>,
    /// The scorecard of the last finished call.
    pub scorecard: Option<Scorecard>,
}

impl Call {
    pub fn scenario_id(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.scenario().id())
    }
}

/// What the manager is looking at.
#[derive(Resource, Debug, Clone, Default)]
pub struct DashboardView {
    pub sort: SortKey,
    pub descending: bool,
    pub selected: Option<String>,
    /// The session opened in the replay screen (row id).
    pub replay: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Sessions,
    Average,
    Best,
    PassRate,
    Trend,
}

/// The picker's filters.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct PickerFilter {
    pub persona: Option<String>,
    pub skill: Option<String>,
    pub difficulty: Option<u8>,
}

/// A short message shown at the bottom for a few seconds.
#[derive(Resource, Debug, Clone, Default)]
pub struct Toast {
    pub text: String,
    pub until: f64,
}
