//! The scenario picker: the library as cards with persona, difficulty, skills and the trainee's
//! best score; filters; the recommended next scenario on top; broken files shown with their
//! error while the rest still work.

use std::collections::{BTreeMap, BTreeSet};

use bevy::ecs::spawn::{Spawn, SpawnIter};
use bevy::prelude::*;
use bevy::ui_widgets::Activate;

use crate::gui::i18n::{self, Lang, T, t};
use crate::gui::screens::Screen;
use crate::gui::screens::call::StartCall;
use crate::gui::state::{Core, PickerFilter, Profile, Records};
use crate::gui::theme::palette::*;
use crate::gui::theme::widget::{self, Style};
use crate::records::coaching::{Recommendation, recommend, trainee_report};
use crate::scenario::compiled::CompiledScenario;
use crate::scenario::library::Entry;

pub fn plugin(app: &mut App) {
    app.init_resource::<PickerFilter>();
    app.add_systems(OnEnter(Screen::Picker), spawn);
}

/// A scenario card (tests press it).
#[derive(Component, Debug, Clone)]
pub struct ScenarioCard(pub String);

/// The trainee's standing on each scenario, and what to practise next.
struct Standing {
    best: BTreeMap<String, (Option<f32>, bool)>,
    recommended: Vec<Recommendation>,
}

fn standing(core: &Core, records: &Records, trainee: Option<&str>) -> Standing {
    let metas = core.metas();
    let report = trainee.and_then(|name| records.read(|s| trainee_report(s, name, &metas).ok()).flatten());
    match report {
        Some(r) => Standing {
            best: r.scenarios.iter().map(|s| (s.scenario_id.clone(), (s.best, s.passed))).collect(),
            recommended: r.recommendations,
        },
        None => Standing { best: BTreeMap::new(), recommended: recommend(&[], &[], &metas) },
    }
}

fn spawn(
    mut commands: Commands,
    lang: Res<Lang>,
    core: Res<Core>,
    records: Res<Records>,
    profile: Res<Profile>,
    filter: Res<PickerFilter>,
) {
    let lang = *lang;
    let standing = standing(&core, &records, profile.trainee.as_deref());
    let root = commands.spawn((widget::screen_root("Picker"), DespawnOnExit(Screen::Picker))).id();
    let who = format!(
        "{} · {}",
        i18n::labelled(&lang, t(&lang, T::Current), profile.trainee.as_deref().unwrap_or(t(&lang, T::Anonymous))),
        t(&lang, if profile.mode == crate::session::Mode::Exam { T::Exam } else { T::Practice })
    );
    commands.entity(root).with_children(|p| {
        p.spawn(Node { width: percent(100), ..widget::row(14.0) }).with_children(|r| {
            r.spawn(widget::button(t(&lang, T::Back), Style::Secondary, crate::gui::screens::who::go(Screen::Who)));
            r.spawn(widget::heading(t(&lang, T::PickerTitle)));
            r.spawn(widget::spacer());
            r.spawn(widget::label(who, 16.0, MUTED));
        });
        filters(p, &lang, &core, &filter);
        p.spawn(widget::scroll_column(CardList)).with_children(|list| {
            if let Some(error) = &core.load_error {
                list.spawn(error_card(t(&lang, T::FailedToLoad).to_string(), error.clone()));
            }
            // The recommended scenario first.
            let first = standing.recommended.iter().find_map(|r| core.scenario(&r.scenario_id).map(|s| (s, r)));
            if let Some((sc, rec)) = first
                && matches(sc, &filter)
            {
                list.spawn(card(&lang, sc, standing.best.get(sc.id()), Some(&rec.reason)));
            }
            let mut shown = 0;
            let mut grid = list.spawn(Node {
                flex_wrap: FlexWrap::Wrap,
                row_gap: px(12),
                column_gap: px(12),
                flex_shrink: 0.0,
                ..default()
            });
            grid.with_children(|g| {
                for entry in &core.entries {
                    match entry {
                        Entry::Ready { scenario, .. } => {
                            if !matches(scenario, &filter) || first.is_some_and(|(s, _)| s.id() == scenario.id()) {
                                continue;
                            }
                            shown += 1;
                            g.spawn(card(&lang, scenario, standing.best.get(scenario.id()), None));
                        }
                        Entry::Failed { path, errors } => {
                            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                            let first_error = errors.0.first().map(ToString::to_string).unwrap_or_default();
                            g.spawn(error_card(format!("{} · {name}", t(&lang, T::FailedToLoad)), first_error));
                        }
                    }
                }
            });
            if shown == 0 && first.is_none() {
                list.spawn(widget::label(t(&lang, T::NoMatch), 16.0, MUTED));
            }
        });
    });
}

#[derive(Component)]
pub struct CardList;

fn matches(sc: &CompiledScenario, f: &PickerFilter) -> bool {
    let s = &sc.scenario;
    f.persona.as_ref().is_none_or(|p| s.persona.kind.key() == *p)
        && f.skill.as_ref().is_none_or(|k| s.skills.iter().any(|x| x.key() == *k))
        && f.difficulty.is_none_or(|d| s.difficulty == d)
}

fn filters(p: &mut ChildSpawnerCommands<'_>, lang: &Lang, core: &Core, filter: &PickerFilter) {
    let personas: BTreeSet<(String, String)> =
        core.ready().map(|s| (s.scenario.persona.kind.key(), i18n::persona(lang, &s.scenario.persona.kind))).collect();
    let skills: BTreeMap<String, String> = core
        .ready()
        .flat_map(|s| s.scenario.skills.iter().map(|k| (k.key(), i18n::skill(lang, &k.key(), k.label()))))
        .collect();
    p.spawn(widget::panel(FlexDirection::Column)).with_children(|panel| {
        panel.spawn(Node { flex_wrap: FlexWrap::Wrap, row_gap: px(6), ..widget::row(6.0) }).with_children(|r| {
            r.spawn(widget::label(t(lang, T::Persona), 15.0, MUTED));
            r.spawn(chip(t(lang, T::All).to_string(), filter.persona.is_none(), |f| f.persona = None));
            for (key, label) in personas {
                let active = filter.persona.as_deref() == Some(&key);
                r.spawn(chip(label, active, move |f| f.persona = Some(key.clone())));
            }
            r.spawn(Node { width: px(16), ..default() });
            r.spawn(widget::label(t(lang, T::Difficulty), 15.0, MUTED));
            r.spawn(chip(t(lang, T::All).to_string(), filter.difficulty.is_none(), |f| f.difficulty = None));
            for d in 1..=5u8 {
                r.spawn(chip("★".repeat(d as usize), filter.difficulty == Some(d), move |f| f.difficulty = Some(d)));
            }
        });
        panel.spawn(Node { flex_wrap: FlexWrap::Wrap, row_gap: px(6), ..widget::row(6.0) }).with_children(|r| {
            r.spawn(widget::label(t(lang, T::Skill), 15.0, MUTED));
            r.spawn(chip(t(lang, T::All).to_string(), filter.skill.is_none(), |f| f.skill = None));
            for (key, label) in skills {
                let active = filter.skill.as_deref() == Some(&key);
                r.spawn(chip(label, active, move |f| f.skill = Some(key.clone())));
            }
        });
    });
}

/// A filter chip that changes the filter and rebuilds the picker.
fn chip(label: String, active: bool, change: impl Fn(&mut PickerFilter) + Send + Sync + 'static) -> impl Bundle {
    widget::chip(
        label,
        active,
        move |_: On<Activate>, mut filter: ResMut<PickerFilter>, mut next: ResMut<NextState<Screen>>| {
            change(&mut filter);
            next.set(Screen::Picker);
        },
    )
}

fn card(
    lang: &Lang,
    sc: &CompiledScenario,
    best: Option<&(Option<f32>, bool)>,
    recommended: Option<&str>,
) -> impl Bundle {
    let s = &sc.scenario;
    let id = s.id.clone();
    let persona = s.persona.kind.clone();
    let stars = format!("{}{}", "★".repeat(s.difficulty.min(5) as usize), "☆".repeat(5 - s.difficulty.min(5) as usize));
    let skills: Vec<String> = s.skills.iter().map(|k| i18n::skill(lang, &k.key(), k.label())).collect();
    let standing = match best {
        Some((Some(score), passed)) => {
            let mark = if *passed { format!(" · {}", t(lang, T::Passed)) } else { String::new() };
            format!("{} {score:.0} / {} {}{mark}", t(lang, T::Best), t(lang, T::PassMark), s.rubric.pass_mark)
        }
        _ => format!("{} · {} {}", t(lang, T::NotTried), t(lang, T::PassMark), s.rubric.pass_mark),
    };
    let passed = best.is_some_and(|b| b.1);
    let width = if recommended.is_some() { percent(100) } else { px(386) };
    let border = if recommended.is_some() { PRIMARY } else { BORDER };
    let mut badges: Vec<(String, Color)> = vec![(i18n::persona(lang, &persona), persona_color(&persona.key()))];
    if let Some(tier) = &s.persona.vip_tier {
        badges.push((tier.clone(), persona_color("vip")));
    }
    badges.push((i18n::channel(lang, s.channel).to_string(), Color::srgb(0.45, 0.52, 0.60)));
    let headline = match recommended {
        Some(_) => format!("{} · {}", t(lang, T::Recommended), s.title),
        None => s.title.clone(),
    };
    let reason = recommended.unwrap_or_default().to_string();
    (
        ScenarioCard(id.clone()),
        bevy::ui_widgets::Button,
        bevy::picking::hover::Hovered::default(),
        bevy::input_focus::tab_navigation::TabIndex(0),
        widget::ButtonPalette { none: PANEL, hovered: PANEL_ALT, pressed: SECONDARY },
        Node {
            width,
            flex_direction: FlexDirection::Column,
            padding: px(14).all(),
            row_gap: px(6),
            border: px(if recommended.is_some() { 2 } else { 1 }).all(),
            border_radius: BorderRadius::all(px(10)),
            flex_shrink: 0.0,
            ..default()
        },
        BackgroundColor(PANEL),
        BorderColor::all(border),
        bevy::ui_widgets::observe(move |_: On<Activate>, mut commands: Commands| {
            commands.trigger(StartCall { scenario_id: id.clone() });
        }),
        Children::spawn((
            Spawn((widget::paragraph(headline, 18.0, HEADER), Pickable::IGNORE)),
            Spawn((
                widget::row(6.0),
                Pickable::IGNORE,
                Children::spawn((
                    SpawnIter(badges.into_iter().map(|(text, color)| (widget::badge(text, color), Pickable::IGNORE))),
                    Spawn((
                        widget::label(format!("{} {stars}", t(lang, T::Difficulty)), 14.0, MUTED),
                        Pickable::IGNORE,
                    )),
                )),
            )),
            Spawn((
                widget::paragraph(
                    i18n::labelled(lang, t(lang, T::Skill), skills.join(i18n::list_sep(lang))),
                    14.0,
                    MUTED,
                ),
                Pickable::IGNORE,
            )),
            Spawn((widget::label(standing, 15.0, if passed { GOOD } else { TEXT }), Pickable::IGNORE)),
            Spawn((widget::paragraph(reason, 14.0, PRIMARY), Pickable::IGNORE)),
        )),
    )
}

fn error_card(title: String, detail: String) -> impl Bundle {
    (
        Node {
            width: px(370),
            flex_direction: FlexDirection::Column,
            padding: px(14).all(),
            row_gap: px(6),
            border: px(1).all(),
            border_radius: BorderRadius::all(px(10)),
            flex_shrink: 0.0,
            ..default()
        },
        BackgroundColor(BAD_BG),
        BorderColor::all(BAD),
        children![widget::paragraph(title, 17.0, BAD), widget::paragraph(detail, 13.0, TEXT)],
    )
}
