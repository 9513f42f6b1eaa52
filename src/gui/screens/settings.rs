//! Settings: language, volume and mute, UI scale, database location.

use bevy::prelude::*;
use bevy::text::EditableText;
use bevy::ui_widgets::Activate;

use crate::gui::audio::AudioOut;
use crate::gui::i18n::{Lang, T, t};
use crate::gui::screens::Screen;
use crate::gui::screens::who::go;
use crate::gui::state::{Profile, Records};
use crate::gui::theme::palette::*;
use crate::gui::theme::widget::{self, Style};

pub fn plugin(app: &mut App) {
    app.add_systems(OnEnter(Screen::Settings), spawn);
}

#[derive(Component)]
struct DbInput;

fn spawn(mut commands: Commands, lang: Res<Lang>, profile: Res<Profile>, records: Res<Records>, audio: Res<AudioOut>) {
    let lang = *lang;
    let prefs = profile.prefs.clone();
    let root = commands.spawn((widget::screen_root("Settings"), DespawnOnExit(Screen::Settings))).id();
    commands.entity(root).with_children(|root| {
        root.spawn(Node { width: percent(100), ..widget::row(14.0) }).with_children(|r| {
            r.spawn(widget::button(t(&lang, T::Back), Style::Secondary, go(Screen::Who)));
            r.spawn(widget::heading(t(&lang, T::SettingsTitle)));
        });
        root.spawn(widget::panel_with(Node {
            width: px(760),
            row_gap: px(18),
            ..widget::panel_style(FlexDirection::Column)
        }))
        .with_children(|p| {
            p.spawn(widget::row(10.0)).with_children(|r| {
                r.spawn((widget::text(t(&lang, T::Language), 17.0, TEXT), Node { width: px(120), ..default() }));
                for (code, label) in [(Lang::Zh, "中文"), (Lang::En, "English")] {
                    r.spawn(widget::chip(
                        label,
                        lang == code,
                        move |_: On<Activate>,
                              mut lang: ResMut<Lang>,
                              mut profile: ResMut<Profile>,
                              mut next: ResMut<NextState<Screen>>| {
                            *lang = code;
                            profile.prefs.language = code.code().to_string();
                            profile.save();
                            next.set(Screen::Settings);
                        },
                    ));
                }
            });
            p.spawn(widget::row(10.0)).with_children(|r| {
                r.spawn((widget::text(t(&lang, T::Volume), 17.0, TEXT), Node { width: px(120), ..default() }));
                for step in [-0.1f32, 0.1] {
                    r.spawn(widget::button(
                        if step < 0.0 { "−" } else { "+" },
                        Style::Secondary,
                        move |_: On<Activate>,
                              mut profile: ResMut<Profile>,
                              audio: Res<AudioOut>,
                              mut next: ResMut<NextState<Screen>>| {
                            profile.prefs.volume =
                                ((profile.prefs.volume + step) * 10.0).round().clamp(0.0, 10.0) / 10.0;
                            audio.set_volume(profile.prefs.volume, profile.prefs.muted);
                            profile.save();
                            next.set(Screen::Settings);
                        },
                    ));
                }
                r.spawn((
                    Node { width: px(200), ..default() },
                    children![widget::bar(prefs.volume, if prefs.muted { MUTED } else { PRIMARY }, 10.0)],
                ));
                r.spawn(widget::label(format!("{:.0}%", prefs.volume * 100.0), 16.0, TEXT));
                let muted = prefs.muted;
                r.spawn(widget::chip(
                    t(&lang, if muted { T::Unmute } else { T::Mute }),
                    muted,
                    move |_: On<Activate>,
                          mut profile: ResMut<Profile>,
                          audio: Res<AudioOut>,
                          mut next: ResMut<NextState<Screen>>| {
                        profile.prefs.muted = !muted;
                        audio.set_volume(profile.prefs.volume, profile.prefs.muted);
                        profile.save();
                        next.set(Screen::Settings);
                    },
                ));
            });
            if audio.is_silent() {
                p.spawn(widget::paragraph(t(&lang, T::NoAudio), 14.0, MUTED));
            }
            p.spawn(widget::row(10.0)).with_children(|r| {
                r.spawn((widget::text(t(&lang, T::UiScale), 17.0, TEXT), Node { width: px(120), ..default() }));
                for scale in [0.9f32, 1.0, 1.15, 1.3, 1.5] {
                    r.spawn(widget::chip(
                        format!("{:.0}%", scale * 100.0),
                        (prefs.ui_scale - scale).abs() < 0.01,
                        move |_: On<Activate>,
                              mut profile: ResMut<Profile>,
                              mut ui: ResMut<UiScale>,
                              mut next: ResMut<NextState<Screen>>| {
                            profile.prefs.ui_scale = scale;
                            ui.0 = scale;
                            profile.save();
                            next.set(Screen::Settings);
                        },
                    ));
                }
            });
            p.spawn(widget::row(10.0)).with_children(|r| {
                r.spawn((
                    widget::text(t(&lang, T::Database), 17.0, TEXT),
                    Node { width: px(120), flex_shrink: 0.0, ..default() },
                ));
                r.spawn(widget::text_input(DbInput, 1.0, 400));
                r.spawn(widget::button(t(&lang, T::Apply), Style::Primary, apply_db));
            });
            p.spawn(widget::paragraph(records.db_path.display().to_string(), 14.0, MUTED));
        });
    });
}

/// Opens the database typed in the box (created when missing) and remembers it.
fn apply_db(
    _: On<Activate>,
    mut input: Single<&mut EditableText, With<DbInput>>,
    mut records: ResMut<Records>,
    mut profile: ResMut<Profile>,
    mut next: ResMut<NextState<Screen>>,
) {
    let path = input.value().to_string().trim().to_string();
    if path.is_empty() {
        return;
    }
    input.clear();
    let path = std::path::PathBuf::from(path);
    *records = Records::open(&path);
    profile.prefs.db_path = Some(path);
    profile.save();
    next.set(Screen::Settings);
}
