//! The scorecard: overall, pass or fail, each rubric with its reasons, each turn with what was
//! hit, missed and the model answer; try again, or go to the recommended next scenario.

use bevy::prelude::*;
use bevy::ui_widgets::Activate;

use crate::gui::i18n::{self, Lang, T, t};
use crate::gui::screens::Screen;
use crate::gui::screens::call::StartCall;
use crate::gui::screens::who::go;
use crate::gui::state::{Call, Core, Profile, Records};
use crate::gui::theme::palette::*;
use crate::gui::theme::widget::{self, Style};
use crate::records::coaching::{recommend, trainee_report};
use crate::scoring::RUBRICS;

pub fn plugin(app: &mut App) {
    app.add_systems(OnEnter(Screen::Scorecard), spawn);
}

#[derive(Component)]
struct CardColumn;

/// The "try again" and "next" buttons (tests press them).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScorecardButton {
    Retry,
    Next,
}

fn spawn(
    mut commands: Commands,
    lang: Res<Lang>,
    call: Res<Call>,
    core: Res<Core>,
    records: Res<Records>,
    profile: Res<Profile>,
) {
    let lang = *lang;
    let Some(card) = &call.scorecard else { return };
    let metas = core.metas();
    let next_id = profile
        .trainee
        .as_deref()
        .and_then(|name| records.read(|s| trainee_report(s, name, &metas).ok()).flatten())
        .map(|r| r.recommendations)
        .unwrap_or_else(|| recommend(&[], &[], &metas))
        .into_iter()
        .map(|r| r.scenario_id)
        .find(|id| *id != card.scenario_id);
    let root = commands.spawn((widget::screen_root("Scorecard"), DespawnOnExit(Screen::Scorecard))).id();
    let retry_id = card.scenario_id.clone();
    commands.entity(root).with_children(|root| {
        root.spawn(Node { width: percent(100), ..widget::row(12.0) }).with_children(|r| {
            r.spawn(widget::heading(i18n::labelled(&lang, t(&lang, T::ScorecardTitle), &card.scenario_title)));
            r.spawn(widget::spacer());
            r.spawn((
                ScorecardButton::Retry,
                widget::button(t(&lang, T::Retry), Style::Secondary, move |_: On<Activate>, mut commands: Commands| {
                    commands.trigger(StartCall { scenario_id: retry_id.clone() });
                }),
            ));
            if let Some(id) = next_id.clone() {
                r.spawn((
                    ScorecardButton::Next,
                    widget::button(
                        t(&lang, T::NextRecommended),
                        Style::Primary,
                        move |_: On<Activate>, mut commands: Commands| {
                            commands.trigger(StartCall { scenario_id: id.clone() });
                        },
                    ),
                ));
            }
            r.spawn(widget::button(t(&lang, T::ToList), Style::Secondary, go(Screen::Picker)));
        });
        root.spawn(widget::scroll_column(CardColumn)).with_children(|col| {
            // Headline.
            col.spawn(widget::panel_with(Node {
                align_items: AlignItems::Center,
                column_gap: px(24),
                padding: px(18).all(),
                ..widget::panel_style(FlexDirection::Row)
            }))
            .with_children(|h| {
                h.spawn(widget::label(format!("{:.1}", card.overall), 56.0, score_color(card.overall)));
                h.spawn(Node { flex_direction: FlexDirection::Column, row_gap: px(6), ..default() }).with_children(
                    |c| {
                        c.spawn(widget::row(8.0)).with_children(|b| {
                            b.spawn(widget::badge(
                                t(&lang, if card.passed { T::Pass } else { T::Fail }),
                                if card.passed { GOOD } else { BAD },
                            ));
                            b.spawn(widget::label(
                                format!("{} {}", t(&lang, T::PassMark), card.pass_mark),
                                16.0,
                                MUTED,
                            ));
                            b.spawn(widget::label(
                                i18n::labelled(&lang, t(&lang, T::Outcome), i18n::outcome(&lang, card.outcome)),
                                16.0,
                                TEXT,
                            ));
                        });
                        for line in card.summary.iter().skip(1) {
                            c.spawn(widget::paragraph(line.clone(), 15.0, TEXT));
                        }
                    },
                );
            });
            // Rubrics.
            col.spawn(widget::panel_with(Node { row_gap: px(10), ..widget::panel_style(FlexDirection::Column) }))
                .with_children(|p| {
                    p.spawn(widget::subheading(t(&lang, T::Rubrics)));
                    for name in RUBRICS {
                        let Some(r) = card.rubrics.get(name) else { continue };
                        p.spawn(widget::row(10.0)).with_children(|row| {
                            row.spawn((
                                widget::text(i18n::rubric(&lang, name), 16.0, TEXT),
                                // Wide enough for "No asking twice" in the English UI; the
                                // reasons below start where the bar does (132 + the row gap).
                                Node { width: px(132), flex_shrink: 0.0, ..default() },
                            ));
                            if r.applicable {
                                row.spawn((
                                    Node { width: px(260), ..default() },
                                    children![widget::bar(r.score / 100.0, score_color(r.score), 12.0)],
                                ));
                                row.spawn(widget::label(format!("{:.1}", r.score), 16.0, score_color(r.score)));
                                row.spawn(widget::label(format!("×{:.2}", r.weight), 13.0, MUTED));
                            } else {
                                row.spawn(widget::label(t(&lang, T::NotApplicable), 15.0, MUTED));
                            }
                        });
                        for reason in r.reasons.iter().take(6) {
                            p.spawn((
                                widget::paragraph(reason.clone(), 14.0, MUTED),
                                Node { margin: UiRect::left(px(142)), ..default() },
                            ));
                        }
                    }
                });
            // Turns.
            col.spawn(widget::panel_with(Node { row_gap: px(10), ..widget::panel_style(FlexDirection::Column) }))
                .with_children(|p| {
                    p.spawn(widget::subheading(t(&lang, T::Turns)));
                    for turn in &card.turns {
                        let s = &turn.score;
                        p.spawn(widget::row(10.0)).with_children(|r| {
                            r.spawn(widget::label(format!("{} {}", t(&lang, T::Turn), turn.turn), 15.0, MUTED));
                            r.spawn(widget::label(format!("{:.0}", s.overall), 18.0, score_color(s.overall)));
                            r.spawn(widget::paragraph(i18n::labelled(&lang, t(&lang, T::You), &s.answer), 15.0, TEXT));
                        });
                        let hits: Vec<String> = s
                            .evidence
                            .iter()
                            .filter(|e| e.kind == "hit" || e.kind == "goal_met")
                            .map(|e| e.detail.clone())
                            .collect();
                        if !hits.is_empty() {
                            p.spawn(widget::paragraph(
                                i18n::labelled(&lang, t(&lang, T::Hits), hits.join(i18n::clause_sep(&lang))),
                                14.0,
                                GOOD,
                            ));
                        }
                        let issues: Vec<String> = s
                            .evidence
                            .iter()
                            .filter(|e| {
                                matches!(
                                    e.kind,
                                    "missed"
                                        | "goal_missed"
                                        | "red_line"
                                        | "asked_again"
                                        | "negated"
                                        | "curt"
                                        | "shouting"
                                )
                            })
                            .map(|e| e.detail.clone())
                            .collect();
                        if !issues.is_empty() {
                            p.spawn(widget::paragraph(
                                i18n::labelled(&lang, t(&lang, T::Issues), issues.join(i18n::clause_sep(&lang))),
                                14.0,
                                BAD,
                            ));
                        }
                        if !s.model_answer.is_empty() {
                            p.spawn(widget::paragraph(
                                i18n::labelled(&lang, t(&lang, T::ModelAnswer), &s.model_answer),
                                14.0,
                                MUTED,
                            ));
                        }
                    }
                    if !card.escalation.score.reasons.is_empty() {
                        p.spawn(widget::paragraph(
                            i18n::labelled(
                                &lang,
                                i18n::rubric(&lang, "escalation"),
                                card.escalation.score.reasons.join(i18n::clause_sep(&lang)),
                            ),
                            14.0,
                            TEXT,
                        ));
                    }
                });
            if !card.coaching.is_empty() {
                col.spawn(widget::panel(FlexDirection::Column)).with_children(|p| {
                    p.spawn(widget::subheading(t(&lang, T::Coaching)));
                    for c in &card.coaching {
                        p.spawn(widget::paragraph(format!("· {c}"), 15.0, TEXT));
                    }
                });
            }
        });
    });
}
