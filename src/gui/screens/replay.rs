//! A recorded session replayed turn by turn: what the customer said, the answer, its scores
//! and problems; rewound attempts marked.

use bevy::prelude::*;

use crate::gui::i18n::{self, Lang, T, t};
use crate::gui::screens::Screen;
use crate::gui::screens::who::go;
use crate::gui::state::{DashboardView, Records};
use crate::gui::theme::palette::*;
use crate::gui::theme::widget::{self, Side, Style};
use crate::records::coaching::recorded_session;

pub fn plugin(app: &mut App) {
    app.add_systems(OnEnter(Screen::Replay), spawn);
}

#[derive(Component)]
struct ReplayColumn;

fn spawn(mut commands: Commands, lang: Res<Lang>, records: Res<Records>, view: Res<DashboardView>) {
    let lang = *lang;
    let session = view.replay.and_then(|id| records.read(|s| recorded_session(s, &id.to_string()).ok()).flatten());
    let root = commands.spawn((widget::screen_root("Replay"), DespawnOnExit(Screen::Replay))).id();
    commands.entity(root).with_children(|root| {
        root.spawn(Node { width: percent(100), ..widget::row(14.0) }).with_children(|r| {
            r.spawn(widget::button(t(&lang, T::Back), Style::Secondary, go(Screen::Dashboard)));
            r.spawn(widget::heading(t(&lang, T::ReplayTitle)));
        });
        let Some(s) = session else {
            root.spawn(widget::label(t(&lang, T::NoRecords), 16.0, MUTED));
            return;
        };
        root.spawn(widget::panel(FlexDirection::Row)).with_children(|p| {
            p.spawn(widget::label(s.scenario_title.clone(), 20.0, HEADER));
            p.spawn(widget::badge(s.trainee.clone(), HEADER));
            p.spawn(widget::label(format!("v{} · seed {}", s.scenario_version, s.seed), 14.0, MUTED));
            p.spawn(widget::spacer());
            match s.overall {
                Some(o) => p.spawn(widget::label(format!("{} {o:.1}", t(&lang, T::Overall)), 22.0, score_color(o))),
                None => p.spawn(widget::label(t(&lang, T::Incomplete), 18.0, MUTED)),
            };
        });
        root.spawn(widget::scroll_column(ReplayColumn)).with_children(|col| {
            for turn in &s.turns {
                match turn.kind.as_str() {
                    "answer" => {
                        col.spawn(widget::bubble(
                            format!("{} {} · {}", t(&lang, T::Turn), turn.turn, turn.customer_line),
                            Side::Customer,
                        ));
                        let mark =
                            if turn.superseded { i18n::paren(&lang, "", t(&lang, T::Rewound)) } else { String::new() };
                        col.spawn(widget::bubble(format!("{}{mark}", turn.text), Side::Agent));
                        let issues = turn.problems();
                        let overall = turn.overall.unwrap_or(0.0);
                        col.spawn((
                            widget::panel_with(Node {
                                align_self: AlignSelf::FlexEnd,
                                width: px(widget::BUBBLE_MAX_WIDTH),
                                ..widget::panel_style(FlexDirection::Column)
                            }),
                            children![
                                widget::label(
                                    format!(
                                        "{} {overall:.0} · {:.1}{}",
                                        t(&lang, T::TurnScore),
                                        turn.latency_ms as f64 / 1000.0,
                                        t(&lang, T::Seconds)
                                    ),
                                    15.0,
                                    score_color(overall)
                                ),
                                widget::paragraph(issues.join(i18n::clause_sep(&lang)), 14.0, TEXT)
                            ],
                        ));
                    }
                    "transfer" => {
                        col.spawn(widget::bubble(
                            i18n::labelled(&lang, t(&lang, T::Transfer), &turn.text),
                            Side::System,
                        ));
                    }
                    "hangup" => {
                        col.spawn(widget::bubble(t(&lang, T::HangUp), Side::System));
                    }
                    "rewind" => {
                        col.spawn(widget::bubble(format!("◀ {} {}", t(&lang, T::RewindHere), turn.turn), Side::System));
                    }
                    _ => {}
                }
            }
        });
    });
}
