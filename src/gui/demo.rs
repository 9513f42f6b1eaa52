//! The scripted demo (`peilian app --demo-screens DIR`): fills a demo database with a small
//! team's sessions, walks through every screen pressing the real buttons, saves a PNG of each,
//! and exits. `scripts/screenshots.sh` runs it under Xvfb.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy::text::EditableText;
use bevy::ui_widgets::Activate;

use crate::gui::screens::Screen;
use crate::gui::screens::call::{AnswerInput, CallButton, NoteInput, StartCall, SubmitAnswer};
use crate::gui::screens::dashboard::SessionButton;
use crate::gui::state::{Core, GuiConfig};
use crate::records::recorder::{Recorder, SessionRecording};
use crate::session::{Input, Mode, Session};

pub const TRAINEE: &str = "张敏";
pub const TEAM: &str = "一组";
const SCENARIO: &str = "angry-late-delivery-refund";

pub fn plugin(app: &mut App) {
    let Some(dir) = app.world().get_resource::<GuiConfig>().and_then(|c| c.demo_dir.clone()) else { return };
    app.insert_resource(Demo { dir, step: 0, wait: 90 });
    app.add_systems(Update, run_demo);
}

#[derive(Resource)]
struct Demo {
    dir: PathBuf,
    step: usize,
    /// Frames to wait before the next step (layout, fonts and screenshots take a few).
    wait: u32,
}

/// Plays each scenario's sample calls for a few trainees into `db`, so the dashboard and the
/// picker have something to show.
pub fn fill_records(core: &Core, db: &Path) {
    let (mut recorder, error) = Recorder::open(db);
    if let Some(e) = error {
        warn!("demo database: {e}");
        return;
    }
    let people =
        [(TRAINEE, TEAM, 0usize), ("李强", TEAM, 1), ("王芳", "二组", 0), ("陈刚", "二组", 1), ("刘洋", TEAM, 0)];
    for (name, team, skip) in people {
        for (i, scenario) in core.ready().enumerate().filter(|(i, _)| (i + skip) % 2 == 0) {
            let Some(engine) = core.engine(scenario.id()) else { continue };
            for call in &scenario.scenario.sample_calls {
                let (mut session, _) = Session::start(engine.clone(), call.seed + i as u64, Mode::Practice);
                let (mut rec, _) = SessionRecording::start(&mut recorder, name, Some(team), &session);
                for line in &call.answers {
                    let _ = match Input::parse(line) {
                        Input::Answer { text, latency_ms } => session.answer(&text, latency_ms.unwrap_or(5000)),
                        Input::Transfer { note, latency_ms } => session.transfer(&note, latency_ms.unwrap_or(5000)),
                        Input::HangUp => session.hang_up(),
                        _ => Ok(Vec::new()),
                    };
                }
                let card = session.scorecard();
                if session.is_over() {
                    rec.finish(&mut recorder, &session, &card);
                } else {
                    rec.sync(&mut recorder, &session);
                }
            }
        }
    }
}

fn shot(commands: &mut Commands, dir: &Path, name: &str) {
    let path = dir.join(format!("{name}.png"));
    commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path));
}

fn press<C: Component>(commands: &mut Commands, q: &Query<(Entity, &C)>, want: impl Fn(&C) -> bool) -> bool {
    match q.iter().find(|(_, c)| want(c)) {
        Some((entity, _)) => {
            commands.trigger(Activate { entity });
            true
        }
        None => false,
    }
}

#[allow(clippy::too_many_arguments)]
fn run_demo(
    mut demo: ResMut<Demo>,
    mut commands: Commands,
    mut next: ResMut<NextState<Screen>>,
    buttons: Query<(Entity, &CallButton)>,
    sessions: Query<(Entity, &SessionButton)>,
    mut answers: Query<&mut EditableText, (With<AnswerInput>, Without<NoteInput>)>,
    mut notes: Query<&mut EditableText, (With<NoteInput>, Without<AnswerInput>)>,
    mut exit: MessageWriter<AppExit>,
) {
    if demo.wait > 0 {
        demo.wait -= 1;
        return;
    }
    let dir = demo.dir.clone();
    let type_into = |input: &mut EditableText, text: &str| {
        input.editor_mut().set_text(text);
        input.queue_edit(bevy::text::TextEdit::TextEnd(false));
    };
    let step = demo.step;
    demo.step += 1;
    demo.wait = 25;
    match step {
        0 => shot(&mut commands, &dir, "01-who"),
        1 => next.set(Screen::Picker),
        2 => shot(&mut commands, &dir, "02-picker"),
        3 => commands.trigger(StartCall { scenario_id: SCENARIO.to_string() }),
        4 => shot(&mut commands, &dir, "03-incoming-call"),
        5 => {
            press(&mut commands, &buttons, |b| *b == CallButton::PickUp);
        }
        6 => {
            if let Ok(mut input) = answers.single_mut() {
                type_into(&mut input, "你好，有什么事？");
            }
        }
        7 => commands.trigger(SubmitAnswer),
        8 => {
            if let Ok(mut input) = answers.single_mut() {
                type_into(
                    &mut input,
                    "王先生，非常抱歉让您等了这么久，换作是我也会着急。麻烦您告诉我退货单号，我马上帮您查一下。",
                );
            }
        }
        9 => commands.trigger(SubmitAnswer),
        10 => shot(&mut commands, &dir, "04-call-practice-feedback"),
        11 => {
            press(&mut commands, &buttons, |b| *b == CallButton::Transfer);
        }
        12 => {
            if let Ok(mut input) = notes.single_mut() {
                type_into(&mut input, "客户王先生，退货单号 TH20261109，商家签收一周未退款，情绪激动，要求尽快退款。");
            }
        }
        13 => shot(&mut commands, &dir, "05-transfer-note"),
        14 => {
            press(&mut commands, &buttons, |b| *b == CallButton::ConfirmTransfer);
        }
        15 => shot(&mut commands, &dir, "06-call-ended"),
        16 => {
            press(&mut commands, &buttons, |b| *b == CallButton::Scorecard);
        }
        17 => shot(&mut commands, &dir, "07-scorecard"),
        18 => next.set(Screen::Dashboard),
        19 => shot(&mut commands, &dir, "08-dashboard"),
        20 => {
            if let Some((entity, _)) = sessions.iter().next() {
                commands.trigger(Activate { entity });
            }
        }
        21 => shot(&mut commands, &dir, "09-replay"),
        22 => next.set(Screen::Settings),
        23 => shot(&mut commands, &dir, "10-settings"),
        24 => {
            demo.wait = 30;
        }
        _ => {
            exit.write(AppExit::Success);
        }
    }
}
