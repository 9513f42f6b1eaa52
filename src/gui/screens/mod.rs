//! The screens, one `State` each: `OnEnter` spawns a screen, `DespawnOnExit` cleans it up.
//! Setting the current screen again rebuilds it (after a filter or a language change).

pub mod call;
pub mod dashboard;
pub mod picker;
pub mod replay;
pub mod scorecard;
pub mod settings;
pub mod who;

use bevy::ecs::spawn::{Spawn, SpawnIter};
use bevy::prelude::*;
use bevy::ui_widgets::Activate;

use crate::gui::i18n::{Lang, T, t};
use crate::gui::state::{Records, Toast};
use crate::gui::theme::palette::*;
use crate::gui::theme::widget::{self, Style};

#[derive(States, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Screen {
    /// Who is practising, and in which mode.
    #[default]
    Who,
    Picker,
    Call,
    Scorecard,
    Dashboard,
    Replay,
    Settings,
}

pub fn plugin(app: &mut App) {
    app.init_state::<Screen>();
    app.add_plugins((
        who::plugin,
        picker::plugin,
        call::plugin,
        scorecard::plugin,
        dashboard::plugin,
        replay::plugin,
        settings::plugin,
    ));
    app.add_systems(Update, (show_toast, show_banner));
}

/// The bar at the top of every screen: a back button (when given), the title, and extra
/// buttons on the right.
pub fn top_bar(lang: &Lang, title: impl Into<String>, back_to: Option<Screen>) -> impl Bundle {
    let back = back_to.map(|target| {
        widget::button(
            t(lang, T::Back),
            Style::Secondary,
            move |_: On<Activate>, mut next: ResMut<NextState<Screen>>| {
                next.set(target);
            },
        )
    });
    (
        Node { width: percent(100), flex_shrink: 0.0, ..widget::row(14.0) },
        Children::spawn((SpawnIter(back.into_iter()), Spawn(widget::heading(title)))),
    )
}

/// The banner shown while the records database is unavailable.
#[derive(Component)]
struct Banner;

fn show_banner(
    records: Option<Res<Records>>,
    lang: Res<Lang>,
    mut commands: Commands,
    banners: Query<Entity, With<Banner>>,
) {
    let Some(records) = records else { return };
    if !records.is_changed() && !lang.is_changed() {
        return;
    }
    for e in &banners {
        commands.entity(e).despawn();
    }
    let mut lines: Vec<String> = Vec::new();
    let title = match &records.problem {
        Some(p) => {
            lines.push(p.detail.clone());
            Some(if p.saved_nowhere { T::NotSaved } else { T::DbUnavailable })
        }
        None => None,
    };
    if !records.bad_imports.is_empty() {
        lines.push(t(&lang, T::RecoveryBad).to_string());
        lines.extend(records.bad_imports.iter().take(3).cloned());
    }
    let title = title.or((!lines.is_empty()).then_some(T::RecoveryBadTitle));
    if let Some(title) = title {
        let details = lines.into_iter().map(|l| widget::paragraph(l, 13.0, MUTED)).collect::<Vec<_>>();
        commands.spawn((
            Banner,
            GlobalZIndex(10),
            Node {
                position_type: PositionType::Absolute,
                left: px(0),
                right: px(0),
                bottom: px(0),
                padding: UiRect::axes(px(20), px(8)),
                flex_direction: FlexDirection::Column,
                ..default()
            },
            BackgroundColor(WARN_BG),
            Children::spawn((Spawn(widget::paragraph(t(&lang, title), 15.0, TEXT)), SpawnIter(details.into_iter()))),
        ));
    }
}

#[derive(Component)]
struct ToastNode;

fn show_toast(
    toast: Res<Toast>,
    time: Res<Time<Real>>,
    mut commands: Commands,
    nodes: Query<Entity, With<ToastNode>>,
    mut shown: Local<Option<String>>,
) {
    let visible = time.elapsed_secs_f64() < toast.until && !toast.text.is_empty();
    let want = visible.then(|| toast.text.clone());
    if *shown == want {
        return;
    }
    for e in &nodes {
        commands.entity(e).despawn();
    }
    if let Some(text) = &want {
        commands.spawn((
            ToastNode,
            GlobalZIndex(20),
            Node {
                position_type: PositionType::Absolute,
                right: px(24),
                top: px(18),
                padding: UiRect::axes(px(16), px(8)),
                border_radius: BorderRadius::all(px(8)),
                ..default()
            },
            BackgroundColor(HEADER),
            children![widget::text(text.clone(), 16.0, ON_DARK)],
        ));
    }
    *shown = want;
}

/// Shows a toast for a few seconds.
pub fn toast(toast: &mut Toast, time: &Time<Real>, text: impl Into<String>) {
    toast.text = text.into();
    toast.until = time.elapsed_secs_f64() + 3.0;
}
