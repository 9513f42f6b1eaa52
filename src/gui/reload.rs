//! Hot reload: a scenario or lexicon file saved while the app runs takes effect without a
//! restart (never in the middle of a call); files that now fail show their lint errors.

use bevy::prelude::*;

use crate::gui::i18n::{Lang, T, t};
use crate::gui::screens::{Screen, toast};
use crate::gui::state::{Core, Toast, fingerprint};

/// How often the scenario files are looked at.
const EVERY_SECS: f32 = 1.0;

pub fn plugin(app: &mut App) {
    app.insert_resource(ReloadTimer(Timer::from_seconds(EVERY_SECS, TimerMode::Repeating)));
    app.add_systems(Update, reload_when_changed);
}

#[derive(Resource)]
struct ReloadTimer(Timer);

fn reload_when_changed(
    time: Res<Time<Real>>,
    mut timer: ResMut<ReloadTimer>,
    mut core: ResMut<Core>,
    screen: Res<State<Screen>>,
    mut next: ResMut<NextState<Screen>>,
    mut toasts: ResMut<Toast>,
    lang: Res<Lang>,
) {
    if !timer.0.tick(time.delta()).just_finished() || *screen.get() == Screen::Call {
        return;
    }
    let Some(dir) = core.dir.clone() else { return };
    if fingerprint(&dir) == core.fingerprint {
        return;
    }
    *core = Core::load(Some(&dir));
    let failed = core.entries.iter().filter(|e| matches!(e, crate::scenario::library::Entry::Failed { .. })).count();
    let note = if failed > 0 {
        crate::gui::i18n::paren(&lang, t(&lang, T::Reloaded), format!("{failed} {}", t(&lang, T::FilesWithErrors)))
    } else {
        t(&lang, T::Reloaded).to_string()
    };
    toast(&mut toasts, &time, note);
    if *screen.get() == Screen::Picker {
        next.set(Screen::Picker);
    }
}
