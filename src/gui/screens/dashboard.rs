//! The manager's dashboard: the trainees' table (sortable), one trainee's trend, rubric bars,
//! weakest skills with evidence, recommendations, and recorded sessions to replay.

use bevy::prelude::*;
use bevy::ui_widgets::Activate;

use crate::gui::i18n::{self, Lang, T, t};
use crate::gui::screens::Screen;
use crate::gui::screens::who::go;
use crate::gui::state::{Core, DashboardView, Records, SortKey};
use crate::gui::theme::palette::*;
use crate::gui::theme::widget::{self, Style};
use crate::records::coaching::{TraineeReport, TraineeRow, recent_sessions, team_report, trainee_report};
use crate::records::qa::{RealCalls, real_calls};

pub fn plugin(app: &mut App) {
    app.init_resource::<DashboardView>();
    app.add_systems(OnEnter(Screen::Dashboard), spawn);
}

#[derive(Component)]
struct DetailColumn;

/// A trainee's row (tests press it).
#[derive(Component, Debug, Clone)]
pub struct TraineeRowButton(pub String);

/// The panel of the selected trainee's real calls, as `peilian qa` scored them (tests find it).
#[derive(Component, Debug, Clone)]
pub struct RealCallsPanel {
    pub agent: String,
    pub calls: u32,
}

/// A recorded session's button (tests press it).
#[derive(Component, Debug, Clone)]
pub struct SessionButton(pub i64);

fn sorted(mut rows: Vec<TraineeRow>, view: &DashboardView) -> Vec<TraineeRow> {
    let key = |r: &TraineeRow| -> f32 {
        match view.sort {
            SortKey::Name | SortKey::Sessions => r.sessions as f32,
            SortKey::Average => r.average.unwrap_or(-1.0),
            SortKey::Best => r.best.unwrap_or(-1.0),
            SortKey::PassRate => r.pass_rate.unwrap_or(-1.0),
            SortKey::Trend => r.trend.delta.unwrap_or(-1000.0),
        }
    };
    if view.sort == SortKey::Name {
        rows.sort_by(|a, b| a.name.cmp(&b.name));
    } else {
        rows.sort_by(|a, b| key(a).total_cmp(&key(b)).then_with(|| a.name.cmp(&b.name)));
    }
    if view.descending {
        rows.reverse();
    }
    rows
}

fn spawn(
    mut commands: Commands,
    lang: Res<Lang>,
    records: Res<Records>,
    core: Res<Core>,
    mut view: ResMut<DashboardView>,
) {
    let lang = *lang;
    let team = records.read(|s| team_report(s, None).ok()).flatten();
    let rows = sorted(team.as_ref().map(|t| t.rows.clone()).unwrap_or_default(), &view);
    if view.selected.is_none() {
        view.selected = rows.first().map(|r| r.name.clone());
    }
    let metas = core.metas();
    let detail: Option<TraineeReport> =
        view.selected.as_deref().and_then(|name| records.read(|s| trainee_report(s, name, &metas).ok()).flatten());
    let sessions = view
        .selected
        .as_deref()
        .and_then(|name| records.read(|s| recent_sessions(s, Some(name), 12).ok()).flatten())
        .unwrap_or_default();
    // The same person's real calls, when `peilian qa` has scored any under this name.
    let real = view.selected.as_deref().and_then(|name| records.read(|s| real_calls(s, name).ok().flatten()).flatten());

    let root = commands.spawn((widget::screen_root("Dashboard"), DespawnOnExit(Screen::Dashboard))).id();
    commands.entity(root).with_children(|root| {
        root.spawn(Node { width: percent(100), ..widget::row(14.0) }).with_children(|r| {
            r.spawn(widget::button(t(&lang, T::Back), Style::Secondary, go(Screen::Who)));
            r.spawn(widget::heading(t(&lang, T::DashboardTitle)));
            r.spawn(widget::spacer());
            r.spawn(widget::label(t(&lang, T::Sort), 14.0, MUTED));
        });
        root.spawn(Node { flex_grow: 1.0, min_height: px(0), column_gap: px(16), ..default() }).with_children(|main| {
            // The table.
            main.spawn(widget::panel_with(Node {
                width: px(600),
                min_height: px(0),
                ..widget::panel_style(FlexDirection::Column)
            }))
            .with_children(|table| {
                table.spawn(widget::row(4.0)).with_children(|h| {
                    for (key, label, width) in [
                        (SortKey::Name, T::Trainee, COLUMNS[0]),
                        (SortKey::Sessions, T::Sessions, COLUMNS[1]),
                        (SortKey::Average, T::Average, COLUMNS[2]),
                        (SortKey::Best, T::Best, COLUMNS[3]),
                        (SortKey::PassRate, T::PassRate, COLUMNS[4]),
                        (SortKey::Trend, T::Trend, COLUMNS[5]),
                    ] {
                        let arrow = if view.sort == key { if view.descending { "▼" } else { "▲" } } else { "" };
                        h.spawn((Node { width: px(width), flex_shrink: 0.0, ..default() },)).with_children(|c| {
                            c.spawn(widget::chip(
                                format!("{}{arrow}", t(&lang, label)),
                                view.sort == key,
                                move |_: On<Activate>,
                                      mut view: ResMut<DashboardView>,
                                      mut next: ResMut<NextState<Screen>>| {
                                    view.descending =
                                        if view.sort == key { !view.descending } else { key != SortKey::Name };
                                    view.sort = key;
                                    next.set(Screen::Dashboard);
                                },
                            ));
                        });
                    }
                });
                table.spawn(widget::scroll_column(TableBody)).with_children(|body| {
                    if rows.is_empty() {
                        body.spawn(widget::label(t(&lang, T::NoRecords), 16.0, MUTED));
                    }
                    for r in &rows {
                        body.spawn(row_button(&lang, r, view.selected.as_deref() == Some(&r.name)));
                    }
                });
            });
            // The selected trainee.
            main.spawn(widget::scroll_column(DetailColumn)).with_children(|col| {
                if let Some(d) = &detail {
                    trainee_detail(col, &lang, d, &sessions, real.as_ref());
                }
            });
        });
    });
}

#[derive(Component)]
struct TableBody;

/// Widths of the trainees' table columns (header and rows), wide enough for the English names.
const COLUMNS: [f32; 6] = [104.0, 84.0, 80.0, 84.0, 88.0, 100.0];

fn row_button(lang: &Lang, r: &TraineeRow, selected: bool) -> impl Bundle {
    let name = r.name.clone();
    let cells = [
        (r.name.clone(), COLUMNS[0]),
        (r.sessions.to_string(), COLUMNS[1]),
        (r.average.map_or("—".into(), |v| format!("{v:.1}")), COLUMNS[2]),
        (r.best.map_or("—".into(), |v| format!("{v:.1}")), COLUMNS[3]),
        (r.pass_rate.map_or("—".into(), |v| format!("{:.0}%", v * 100.0)), COLUMNS[4]),
        (
            format!(
                "{} {}",
                i18n::trend(lang, &r.trend),
                r.trend.delta.map(|d| format!("{d:+.1}")).unwrap_or_default()
            ),
            COLUMNS[5],
        ),
    ];
    (
        TraineeRowButton(name.clone()),
        bevy::ui_widgets::Button,
        bevy::picking::hover::Hovered::default(),
        widget::ButtonPalette {
            none: if selected { SECONDARY } else { PANEL },
            hovered: PANEL_ALT,
            pressed: SECONDARY_PRESS,
        },
        Node {
            padding: UiRect::axes(px(4), px(6)),
            column_gap: px(4),
            border_radius: BorderRadius::all(px(6)),
            flex_shrink: 0.0,
            ..default()
        },
        BackgroundColor(if selected { SECONDARY } else { PANEL }),
        bevy::ui_widgets::observe(
            move |_: On<Activate>, mut view: ResMut<DashboardView>, mut next: ResMut<NextState<Screen>>| {
                view.selected = Some(name.clone());
                next.set(Screen::Dashboard);
            },
        ),
        Children::spawn(SpawnIter(cells.into_iter().map(|(text, width)| {
            (widget::text(text, 15.0, TEXT), Node { width: px(width), flex_shrink: 0.0, ..default() }, Pickable::IGNORE)
        }))),
    )
}

fn trainee_detail(
    col: &mut ChildSpawnerCommands<'_>,
    lang: &Lang,
    d: &TraineeReport,
    sessions: &[crate::records::coaching::RecordedSession],
    real: Option<&RealCalls>,
) {
    col.spawn(widget::panel(FlexDirection::Column)).with_children(|p| {
        p.spawn(widget::row(10.0)).with_children(|r| {
            r.spawn(widget::subheading(d.trainee.clone()));
            if !d.team.is_empty() {
                r.spawn(widget::badge(d.team.clone(), HEADER));
            }
        });
        p.spawn(widget::paragraph(
            format!(
                "{} {} · {} {} · {} {} · {} {}",
                t(lang, T::Sessions),
                d.sessions,
                t(lang, T::Average),
                d.average.map_or("—".into(), |v| format!("{v:.1}")),
                t(lang, T::PassRate),
                d.pass_rate.map_or("—".into(), |v| format!("{:.0}%", v * 100.0)),
                t(lang, T::Trend),
                i18n::trend(lang, &d.trend)
            ),
            15.0,
            TEXT,
        ));
        // Trend chart: one bar per session, the pass mark as a line.
        p.spawn(widget::label(t(lang, T::TrendChart), 15.0, HEADER));
        p.spawn((
            Node {
                height: px(150),
                align_items: AlignItems::FlexEnd,
                column_gap: px(3),
                padding: UiRect::axes(px(4), px(0)),
                border: UiRect::bottom(px(1)),
                flex_shrink: 0.0,
                ..default()
            },
            BorderColor::all(BORDER),
        ))
        .with_children(|chart| {
            chart.spawn((
                Node {
                    position_type: PositionType::Absolute,
                    left: px(0),
                    right: px(0),
                    bottom: percent(70),
                    height: px(1),
                    ..default()
                },
                BackgroundColor(BAD.with_alpha(0.6)),
            ));
            for point in d.timeline.iter().rev().take(40).rev() {
                chart.spawn((
                    Node {
                        width: px(12),
                        height: percent(point.overall.clamp(2.0, 100.0)),
                        border_radius: BorderRadius::top(px(3)),
                        flex_shrink: 0.0,
                        ..default()
                    },
                    BackgroundColor(if point.incidents > 0 {
                        BAD
                    } else if point.passed {
                        GOOD
                    } else {
                        score_color(point.overall)
                    }),
                ));
            }
        });
        p.spawn(widget::label(t(lang, T::RubricBars), 15.0, HEADER));
        for name in ["concepts", "tone", "escalation", "no_repeat", "responsiveness"] {
            if let Some(v) = d.rubric_averages.get(name) {
                p.spawn(widget::row(8.0)).with_children(|r| {
                    r.spawn((
                        widget::text(i18n::rubric(lang, name), 14.0, TEXT),
                        // Wide enough for "Responsiveness" in the English UI.
                        Node { width: px(110), flex_shrink: 0.0, ..default() },
                    ));
                    r.spawn((
                        Node { flex_grow: 1.0, ..default() },
                        children![widget::bar(v / 100.0, score_color(*v), 10.0)],
                    ));
                    r.spawn((
                        widget::text(format!("{v:.1}"), 14.0, TEXT),
                        Node { width: px(44), flex_shrink: 0.0, ..default() },
                    ));
                });
            }
        }
    });
    col.spawn(widget::panel(FlexDirection::Column)).with_children(|p| {
        p.spawn(widget::label(t(lang, T::Incidents), 15.0, HEADER));
        if d.incidents.is_empty() {
            p.spawn(widget::paragraph(t(lang, T::NoIncidents).to_string(), 14.0, GOOD));
        }
        for i in d.incidents.iter().take(10) {
            let quote = quoted_or_empty(lang, &i.quote);
            p.spawn(widget::paragraph(
                format!(
                    "{} {} · {} {} · {} · {}{quote}",
                    i.date,
                    i.scenario_title,
                    t(lang, T::Turn),
                    i.turn,
                    i.kind_label,
                    i.label
                ),
                14.0,
                BAD,
            ));
        }
    });
    if let Some(real) = real {
        real_calls_panel(col, lang, real);
    }
    col.spawn(widget::panel(FlexDirection::Column)).with_children(|p| {
        p.spawn(widget::label(t(lang, T::WeakSkills), 15.0, HEADER));
        for w in &d.weakest {
            p.spawn(widget::label(
                i18n::paren(lang, i18n::skill(lang, &w.skill.skill, &w.skill.label), format!("{:.1}", w.skill.average)),
                16.0,
                BAD,
            ));
            if !w.misses.is_empty() {
                let v: Vec<String> = w.misses.iter().map(|c| format!("{}×{}", c.label, c.count)).collect();
                p.spawn(widget::paragraph(
                    i18n::labelled(lang, t(lang, T::Missed), v.join(i18n::list_sep(lang))),
                    14.0,
                    TEXT,
                ));
            }
        }
        let tr = &d.transfers;
        if tr.mistimed() > 0 {
            p.spawn(widget::paragraph(
                i18n::transfer_counts(lang, tr.early, tr.premature, tr.late, tr.missed),
                14.0,
                TEXT,
            ));
        }
        p.spawn(widget::label(t(lang, T::Recommendations), 15.0, HEADER));
        for r in &d.recommendations {
            p.spawn(widget::paragraph(format!("· {}", i18n::paren(lang, &r.title, &r.reason)), 14.0, TEXT));
        }
    });
    col.spawn(widget::panel(FlexDirection::Column)).with_children(|p| {
        p.spawn(widget::label(t(lang, T::RecentSessions), 15.0, HEADER));
        for s in sessions {
            let id = s.id;
            let score = s.overall.map_or(t(lang, T::Incomplete).to_string(), |o| format!("{o:.1}"));
            p.spawn(widget::row(10.0)).with_children(|r| {
                r.spawn((widget::text(s.scenario_title.clone(), 14.0, TEXT), Node { flex_grow: 1.0, ..default() }));
                r.spawn(widget::label(score, 14.0, s.overall.map_or(MUTED, score_color)));
                r.spawn((
                    SessionButton(id),
                    widget::button(
                        t(lang, T::Replay),
                        Style::Secondary,
                        move |_: On<Activate>, mut view: ResMut<DashboardView>, mut next: ResMut<NextState<Screen>>| {
                            view.replay = Some(id);
                            next.set(Screen::Replay);
                        },
                    ),
                ));
            });
        }
    });
}

/// How many of the real calls' findings and weeks the panel shows.
const REAL_FINDINGS: usize = 5;
const REAL_WEEKS: usize = 4;

/// Real-call QA beside practice: the calls' figures, the findings by kind, the most severe
/// findings with their words, and the last weeks of practice and real calls side by side.
fn real_calls_panel(col: &mut ChildSpawnerCommands<'_>, lang: &Lang, r: &RealCalls) {
    let figure = |v: Option<f32>| v.map_or("—".to_string(), |v| format!("{v:.1}"));
    col.spawn((RealCallsPanel { agent: r.agent.clone(), calls: r.calls }, widget::panel(FlexDirection::Column)))
        .with_children(|p| {
            p.spawn(widget::label(t(lang, T::RealCalls), 15.0, HEADER));
            p.spawn(widget::paragraph(
                i18n::fill(
                    lang,
                    T::RealCallsSummary,
                    &[
                        r.calls.to_string(),
                        r.turns.to_string(),
                        figure(r.manner),
                        figure(r.incidents_per_100_turns),
                        r.breaches.to_string(),
                    ],
                ),
                14.0,
                TEXT,
            ));
            if !r.by_kind.is_empty() {
                let kinds: Vec<String> = r.by_kind.iter().map(|k| format!("{}×{}", k.label, k.count)).collect();
                p.spawn(widget::paragraph(kinds.join(i18n::list_sep(lang)), 14.0, TEXT));
            }
            for f in r.findings.iter().take(REAL_FINDINGS) {
                let colour = if f.severity == crate::qa::score::Severity::Breach { BAD } else { TEXT };
                p.spawn(widget::paragraph(
                    format!("{} {} · {}{}", t(lang, T::Turn), f.turn, f.label, quoted_or_empty(lang, &f.quote)),
                    14.0,
                    colour,
                ));
            }
            for w in r.weeks.iter().rev().take(REAL_WEEKS).rev() {
                p.spawn(widget::paragraph(
                    i18n::fill(
                        lang,
                        T::RealCallsWeek,
                        &[
                            w.week.clone(),
                            w.practice_sessions.to_string(),
                            figure(w.practice_average),
                            w.real_calls.to_string(),
                            figure(w.real_manner),
                        ],
                    ),
                    13.0,
                    MUTED,
                ));
            }
        });
}

/// A quote after a label: 「…」 straight after it in Chinese, “…” after a space in English.
fn quoted_or_empty(lang: &Lang, quote: &str) -> String {
    match (quote.is_empty(), lang) {
        (true, _) => String::new(),
        (false, Lang::Zh) => i18n::quoted(lang, quote),
        (false, Lang::En) => format!(" {}", i18n::quoted(lang, quote)),
    }
}

use bevy::ecs::spawn::SpawnIter;
