//! Records: every session in an embedded SQLite database, coaching reports from them, and the
//! user's remembered preferences.

pub mod coaching;
pub mod drilldown;
pub mod html;
pub mod ops;
pub mod prefs;
pub mod qa;
pub mod recorder;
pub mod recovery;
pub mod store;

use std::path::PathBuf;

/// The database path: `--db` (given here), else `$PEILIAN_DB`, else the platform's data
/// directory (`~/.local/share/peilian/peilian.db` on Linux).
pub fn db_path(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("PEILIAN_DB").map(PathBuf::from))
        .or_else(|| prefs::data_dir().map(|d| d.join("peilian.db")))
        .unwrap_or_else(|| PathBuf::from("peilian.db"))
}
