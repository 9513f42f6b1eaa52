//! The user's remembered choices (trainee, team, language, sound, UI scale, database), as a
//! small RON file in the platform's config directory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Prefs {
    pub trainee: Option<String>,
    pub team: Option<String>,
    /// "zh" or "en".
    pub language: String,
    /// 0–1.
    pub volume: f32,
    pub muted: bool,
    pub ui_scale: f32,
    /// A database chosen in the app's settings (the `--db` flag and `PEILIAN_DB` win).
    pub db_path: Option<PathBuf>,
    /// Practice or exam, as last chosen in the app.
    pub exam: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            trainee: None,
            team: None,
            language: "zh".into(),
            volume: 0.8,
            muted: false,
            ui_scale: 1.0,
            db_path: None,
            exam: false,
        }
    }
}

/// `$PEILIAN_HOME` when set (tests, portable installs), else the platform directory.
fn project_dir(config: bool) -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("PEILIAN_HOME") {
        return Some(PathBuf::from(home));
    }
    let dirs = directories::ProjectDirs::from("", "", "peilian")?;
    Some(if config { dirs.config_dir().to_path_buf() } else { dirs.data_dir().to_path_buf() })
}

pub fn data_dir() -> Option<PathBuf> {
    project_dir(false)
}

pub fn prefs_path() -> Option<PathBuf> {
    project_dir(true).map(|d| d.join("prefs.ron"))
}

impl Prefs {
    /// The saved preferences; defaults when there are none or the file cannot be read.
    pub fn load() -> Prefs {
        prefs_path().map(|p| Prefs::load_from(&p)).unwrap_or_default()
    }

    pub fn load_from(path: &Path) -> Prefs {
        std::fs::read_to_string(path).ok().and_then(|t| ron::from_str(&t).ok()).unwrap_or_default()
    }

    /// Saves; a failure is returned for the caller to mention, never fatal.
    pub fn save(&self) -> std::io::Result<()> {
        match prefs_path() {
            Some(p) => self.save_to(&p),
            None => Ok(()),
        }
    }

    pub fn save_to(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text =
            ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default()).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("ron.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bad_files_fall_back_to_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.ron");
        let prefs = Prefs { trainee: Some("小李".into()), volume: 0.5, ..Prefs::default() };
        prefs.save_to(&path).unwrap();
        assert_eq!(Prefs::load_from(&path), prefs);
        std::fs::write(&path, "garbage(").unwrap();
        assert_eq!(Prefs::load_from(&path), Prefs::default());
    }
}
