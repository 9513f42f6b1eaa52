//! Who is practising: pick or add a trainee (remembered), choose practice or exam mode.

use bevy::input::ButtonState;
use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::input_focus::FocusedInput;
use bevy::prelude::*;
use bevy::text::EditableText;
use bevy::ui_widgets::Activate;

use crate::gui::i18n::{self, Lang, T, t};
use crate::gui::screens::{Screen, toast};
use crate::gui::state::{Profile, Records, Toast};
use crate::gui::theme::palette::*;
use crate::gui::theme::widget::{self, Style};
use crate::session::Mode;
use crate::text::safe::{validate_team_name, validate_trainee_name};

pub fn plugin(app: &mut App) {
    app.add_systems(OnEnter(Screen::Who), spawn);
}

#[derive(Component)]
pub struct NameInput;
#[derive(Component)]
pub struct TeamInput;

/// Marks the "start" button (tests press it).
#[derive(Component)]
pub struct StartButton;

/// A trainee's button.
#[derive(Component, Debug, Clone)]
pub struct TraineeButton(pub String);

fn spawn(mut commands: Commands, lang: Res<Lang>, profile: Res<Profile>, records: Res<Records>) {
    let lang = *lang;
    let trainees = records.trainee_names();
    let root = commands.spawn((widget::screen_root("Who"), DespawnOnExit(Screen::Who))).id();

    let header = commands
        .spawn((Node { width: percent(100), ..widget::row(12.0) },))
        .with_children(|p| {
            p.spawn(widget::heading(t(&lang, T::AppTitle)));
            p.spawn(widget::spacer());
            p.spawn(widget::button(t(&lang, T::Dashboard), Style::Secondary, go(Screen::Dashboard)));
            p.spawn(widget::button(t(&lang, T::Settings), Style::Secondary, go(Screen::Settings)));
        })
        .id();

    let panel = commands
        .spawn((
            Node {
                width: px(760),
                align_self: AlignSelf::Center,
                flex_direction: FlexDirection::Column,
                padding: px(22).all(),
                row_gap: px(14),
                border: px(1).all(),
                border_radius: BorderRadius::all(px(12)),
                ..default()
            },
            BackgroundColor(PANEL),
            BorderColor::all(BORDER),
        ))
        .id();
    commands.entity(panel).with_children(|p| {
        p.spawn(widget::subheading(t(&lang, T::WhoTitle)));
        p.spawn(widget::paragraph(t(&lang, T::WhoHint), 15.0, MUTED));
        // Known trainees.
        p.spawn(Node { flex_wrap: FlexWrap::Wrap, row_gap: px(8), ..widget::row(8.0) }).with_children(|list| {
            if trainees.is_empty() && profile.trainee.is_none() {
                list.spawn(widget::label(t(&lang, T::NoTrainees), 16.0, MUTED));
            }
            let mut names: Vec<(String, String)> = trainees.clone();
            if let Some(current) = &profile.trainee
                && !names.iter().any(|(n, _)| n == current)
            {
                names.insert(0, (current.clone(), profile.team.clone().unwrap_or_default()));
            }
            for (name, team) in names {
                let active = profile.trainee.as_deref() == Some(&name);
                let shown = if team.is_empty() { name.clone() } else { i18n::paren(&lang, &name, &team) };
                let (n, tm) = (name.clone(), team.clone());
                list.spawn((
                    TraineeButton(name),
                    widget::chip(
                        shown,
                        active,
                        move |_: On<Activate>, mut profile: ResMut<Profile>, mut next: ResMut<NextState<Screen>>| {
                            profile.trainee = Some(n.clone());
                            profile.team = (!tm.is_empty()).then(|| tm.clone());
                            profile.save();
                            next.set(Screen::Who);
                        },
                    ),
                ));
            }
        });
        // A new trainee.
        p.spawn(widget::row(8.0)).with_children(|r| {
            r.spawn(widget::label(t(&lang, T::NewTrainee), 16.0, TEXT));
            r.spawn(widget::text_input(NameInput, 1.0, 20)).observe(add_on_enter);
            r.spawn(widget::label(t(&lang, T::Team), 16.0, TEXT));
            r.spawn(Node { width: px(140), flex_shrink: 0.0, ..default() }).with_children(|w| {
                w.spawn(widget::text_input(TeamInput, 1.0, 20)).observe(add_on_enter);
            });
            r.spawn(widget::button(t(&lang, T::Add), Style::Secondary, |_: On<Activate>, mut commands: Commands| {
                commands.trigger(AddTrainee);
            }));
        });
        // Mode.
        p.spawn(widget::row(10.0)).with_children(|r| {
            r.spawn(widget::label(t(&lang, T::Mode), 16.0, TEXT));
            for (mode, key) in [(Mode::Practice, T::Practice), (Mode::Exam, T::Exam)] {
                r.spawn(widget::chip(
                    t(&lang, key),
                    profile.mode == mode,
                    move |_: On<Activate>, mut profile: ResMut<Profile>, mut next: ResMut<NextState<Screen>>| {
                        profile.mode = mode;
                        profile.save();
                        next.set(Screen::Who);
                    },
                ));
            }
            let hint = if profile.mode == Mode::Practice { T::PracticeHint } else { T::ExamHint };
            r.spawn(widget::label(t(&lang, hint), 14.0, MUTED));
        });
        if let Some(name) = &profile.trainee {
            p.spawn(widget::row(10.0)).with_children(|r| {
                r.spawn(widget::label(i18n::labelled(&lang, t(&lang, T::Current), name), 18.0, HEADER));
                r.spawn(widget::spacer());
                r.spawn((StartButton, widget::button(t(&lang, T::Start), Style::Primary, go(Screen::Picker))));
            });
        }
    });
    commands.entity(root).add_children(&[header, panel]);
    commands.add_observer(add_trainee).insert(DespawnOnExit(Screen::Who));
}

/// A button action that goes to a screen.
pub fn go(target: Screen) -> impl Fn(On<Activate>, ResMut<NextState<Screen>>) + Send + Sync + 'static {
    move |_: On<Activate>, mut next: ResMut<NextState<Screen>>| next.set(target)
}

#[derive(Event)]
struct AddTrainee;

fn add_on_enter(ev: On<FocusedInput<KeyboardInput>>, mut commands: Commands) {
    let k = &ev.input;
    if k.state == ButtonState::Pressed && !k.repeat && k.logical_key == Key::Enter {
        commands.trigger(AddTrainee);
    }
}

#[allow(clippy::too_many_arguments)]
fn add_trainee(
    _: On<AddTrainee>,
    mut names: Query<&mut EditableText, (With<NameInput>, Without<TeamInput>)>,
    mut teams: Query<&mut EditableText, (With<TeamInput>, Without<NameInput>)>,
    mut profile: ResMut<Profile>,
    records: Res<Records>,
    mut next: ResMut<NextState<Screen>>,
    mut toasts: ResMut<Toast>,
    time: Res<Time<Real>>,
) {
    let Ok(mut name_box) = names.single_mut() else { return };
    if name_box.is_composing() {
        return;
    }
    let name = name_box.value().to_string().trim().to_string();
    if name.is_empty() {
        return;
    }
    let team = teams.single().ok().map(|t| t.value().to_string().trim().to_string()).filter(|t| !t.is_empty());
    // A name with control characters or line breaks is refused; the boxes keep the text to fix.
    let checked =
        validate_trainee_name(&name).and_then(|_| team.as_deref().map_or(Ok(""), validate_team_name).map(|_| ()));
    if let Err(e) = checked {
        toast(&mut toasts, &time, format!("{e}。{}", e.hint()));
        return;
    }
    if let Ok(mut t) = teams.single_mut() {
        t.clear();
    }
    name_box.clear();
    {
        let mut recorder = records.recorder.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(store) = recorder.store() {
            let _ = store.trainee_id(&name, team.as_deref());
        }
    }
    profile.trainee = Some(name);
    profile.team = team;
    profile.save();
    next.set(Screen::Who);
}
