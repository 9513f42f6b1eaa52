//! The call: the phone rings, the customer's card with a live mood meter and turn timer, the
//! chatbot's history, the transcript as bubbles, a text box that takes Chinese from an input
//! method (Enter sends), transfer with a handoff note, hang up; in practice mode each answer's
//! feedback beside it and a rewind to any turn. The session engine does the work; this screen
//! passes it text and durations and shows the events it returns.

use bevy::input::ButtonState;
use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::input_focus::{AutoFocus, FocusCause, FocusedInput, InputFocus};
use bevy::prelude::*;
use bevy::text::EditableText;
use bevy::ui_widgets::Activate;

use crate::gui::audio::AudioOut;
use crate::gui::i18n::{self, Lang, T, t};
use crate::gui::screens::{Screen, toast};
use crate::gui::state::{Call, Core, GuiConfig, Profile, Records, Toast};
use crate::gui::theme::palette::*;
use crate::gui::theme::widget::{self, BarFill, Side, Style};
use crate::records::recorder::SessionRecording;
use crate::scenario::schema::{BotSpeaker, Channel};
use crate::scoring::turn::TurnScore;
use crate::session::{Event, LineKind, Mode, Session, Speaker};

pub fn plugin(app: &mut App) {
    app.init_resource::<Call>();
    app.add_observer(start_call).add_observer(redraw).add_observer(submit_answer).add_observer(play_unseen);
    app.add_systems(OnEnter(Screen::Call), spawn);
    app.add_systems(Update, (notice_silence, handle_events, update_meters).chain().run_if(in_state(Screen::Call)));
}

/// Starts a call with a scenario (from the picker, the scorecard's "again" and "next").
#[derive(Event, Debug, Clone)]
pub struct StartCall {
    pub scenario_id: String,
}

/// Submits the answer box (the send button, Enter, tests).
#[derive(Event, Debug, Clone, Default)]
pub struct SubmitAnswer;

#[derive(Component)]
pub struct AnswerInput;
#[derive(Component)]
pub struct NoteInput;
#[derive(Component)]
struct Transcript;
#[derive(Component)]
struct Controls;
#[derive(Component)]
struct MoodText;
#[derive(Component)]
struct MoodBar;
#[derive(Component)]
struct TimerText;
#[derive(Component)]
struct TimerBar;
#[derive(Component)]
struct RingOverlay;

/// Buttons tests press.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallButton {
    PickUp,
    Send,
    Transfer,
    ConfirmTransfer,
    CancelTransfer,
    HangUp,
    Scorecard,
}

fn start_call(
    ev: On<StartCall>,
    core: Res<Core>,
    profile: Res<Profile>,
    config: Res<GuiConfig>,
    time: Res<Time<Real>>,
    mut records: ResMut<Records>,
    mut call: ResMut<Call>,
    audio: Res<AudioOut>,
    mut next: ResMut<NextState<Screen>>,
) {
    let Some(engine) = core.engine(&ev.scenario_id) else { return };
    let seed = config.seed.unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        u64::from(nanos % 1_000_000)
    });
    let channel = engine.scenario.scenario.channel;
    let (session, events) = Session::start(engine, seed, profile.mode);
    let trainee = profile
        .trainee
        .clone()
        .unwrap_or_else(|| crate::gui::i18n::T::Anonymous.get(crate::gui::i18n::Lang::Zh).to_string());
    let saved_and_recording = {
        let mut recorder = records.recorder.lock().unwrap_or_else(|e| e.into_inner());
        let (recording, saved) = SessionRecording::start(&mut recorder, &trainee, profile.team.as_deref(), &session);
        (saved, recording)
    };
    records.saw(saved_and_recording.0);
    *call = Call {
        session: Some(session),
        recording: Some(saved_and_recording.1),
        ringing: true,
        customer_spoke_at: time.elapsed_secs_f64(),
        typing_from: None,
        transferring: false,
        unseen: events,
        scorecard: None,
    };
    audio.ring(if channel == Channel::Phone { 4 } else { 1 });
    next.set(Screen::Call);
}

fn spawn(mut commands: Commands, lang: Res<Lang>, call: Res<Call>) {
    let lang = *lang;
    let Some(session) = &call.session else { return };
    let sc = &session.scenario().scenario;
    let p = &sc.persona;
    let root = commands.spawn((widget::screen_root("Call"), DespawnOnExit(Screen::Call))).id();
    let surname: String = p.name.chars().next().map(String::from).unwrap_or_default();
    let mode_label = t(&lang, if session.mode() == Mode::Exam { T::Exam } else { T::Practice });
    commands.entity(root).with_children(|root| {
        // Title row.
        root.spawn(Node { width: percent(100), ..widget::row(12.0) }).with_children(|r| {
            r.spawn(widget::heading(sc.title.clone()));
            r.spawn(widget::badge(mode_label, if session.mode() == Mode::Exam { BAD } else { PRIMARY }));
            r.spawn(widget::spacer());
            r.spawn(widget::label(
                format!("{} · {} {}", i18n::channel(&lang, sc.channel), t(&lang, T::Seed), session.seed()),
                14.0,
                MUTED,
            ));
        });
        // Main area: the customer on the left, the conversation on the right.
        root.spawn(Node { flex_grow: 1.0, min_height: px(0), column_gap: px(16), ..default() }).with_children(|main| {
            main.spawn((Node {
                width: px(310),
                flex_shrink: 0.0,
                flex_direction: FlexDirection::Column,
                row_gap: px(12),
                ..default()
            },))
                .with_children(|left| {
                    left.spawn(widget::panel(FlexDirection::Column)).with_children(|card| {
                        card.spawn(widget::row(12.0)).with_children(|r| {
                            r.spawn((
                                Node {
                                    width: px(58),
                                    height: px(58),
                                    justify_content: JustifyContent::Center,
                                    align_items: AlignItems::Center,
                                    border_radius: BorderRadius::MAX,
                                    flex_shrink: 0.0,
                                    ..default()
                                },
                                BackgroundColor(persona_color(&p.kind.key())),
                                children![widget::text(surname, 28.0, ON_DARK)],
                            ));
                            r.spawn(Node { flex_direction: FlexDirection::Column, row_gap: px(4), ..default() })
                                .with_children(|c| {
                                    c.spawn(widget::label(p.title.clone(), 22.0, TEXT));
                                    c.spawn(widget::label(p.name.clone(), 14.0, MUTED));
                                    c.spawn(widget::row(6.0)).with_children(|b| {
                                        b.spawn(widget::badge(
                                            i18n::persona(&lang, &p.kind),
                                            persona_color(&p.kind.key()),
                                        ));
                                        if let Some(tier) = &p.vip_tier {
                                            b.spawn(widget::badge(tier.clone(), persona_color("vip")));
                                        }
                                    });
                                });
                        });
                        card.spawn((MoodText, widget::label(String::new(), 16.0, TEXT)));
                        card.spawn((MoodBar, widget::bar(0.0, GOOD, 12.0)));
                        card.spawn((TimerText, widget::label(String::new(), 15.0, MUTED)));
                        card.spawn((TimerBar, widget::bar(0.0, PRIMARY, 8.0)));
                    });
                    if !sc.briefing.is_empty() {
                        left.spawn(widget::panel(FlexDirection::Column)).with_children(|b| {
                            b.spawn(widget::label(t(&lang, T::Briefing), 15.0, HEADER));
                            b.spawn(widget::paragraph(sc.briefing.clone(), 14.0, TEXT));
                        });
                    }
                    if let Some(history) = &sc.bot_history {
                        left.spawn(widget::panel(FlexDirection::Column)).with_children(|b| {
                            b.spawn(widget::label(t(&lang, T::BotHistory), 15.0, HEADER));
                            for line in &history.lines {
                                let who = match line.speaker {
                                    BotSpeaker::Customer => t(&lang, T::Customer),
                                    BotSpeaker::Bot => "Bot",
                                };
                                b.spawn(widget::paragraph(i18n::labelled(&lang, who, &line.text), 13.0, TEXT));
                            }
                        });
                    }
                });
            main.spawn((Node {
                flex_grow: 1.0,
                min_width: px(0),
                flex_direction: FlexDirection::Column,
                row_gap: px(10),
                ..default()
            },))
                .with_children(|right| {
                    right
                        .spawn((
                            Node {
                                flex_grow: 1.0,
                                min_height: px(0),
                                flex_direction: FlexDirection::Column,
                                border: px(1).all(),
                                border_radius: BorderRadius::all(px(10)),
                                ..default()
                            },
                            BackgroundColor(PANEL_ALT),
                            BorderColor::all(BORDER),
                        ))
                        .with_children(|c| {
                            c.spawn(widget::scroll_column(Transcript));
                        });
                    right.spawn((
                        Controls,
                        Node { flex_direction: FlexDirection::Column, row_gap: px(8), flex_shrink: 0.0, ..default() },
                    ));
                });
        });
    });
    commands.trigger(Redraw);
}

/// Rebuilds the transcript and the controls from the session.
#[derive(Event, Debug, Clone, Copy)]
struct Redraw;

#[allow(clippy::too_many_arguments)]
fn redraw(
    _: On<Redraw>,
    mut commands: Commands,
    lang: Res<Lang>,
    call: Res<Call>,
    transcript: Single<(Entity, &mut ScrollPosition), With<Transcript>>,
    controls: Single<Entity, With<Controls>>,
    overlays: Query<Entity, With<RingOverlay>>,
) {
    let lang = *lang;
    let Some(session) = &call.session else { return };
    let (list, mut scroll) = transcript.into_inner();
    commands.entity(list).despawn_related::<Children>();
    let feedback = session.mode() == Mode::Practice;
    let scores = session.turn_scores();
    let mut answer_index = 0;
    commands.entity(list).with_children(|l| {
        for entry in session.transcript() {
            match (entry.speaker, entry.kind) {
                (Speaker::Customer, kind) => {
                    let prefix = match kind {
                        LineKind::Script | LineKind::Reaction => {
                            format!("{} {} · {}", t(&lang, T::Turn), entry.turn, t(&lang, T::Customer))
                        }
                        LineKind::SupervisorDemand => "要求找领导".to_string(),
                        LineKind::SilenceNudge => "等得不耐烦".to_string(),
                        _ => t(&lang, T::CallEnded).to_string(),
                    };
                    l.spawn((
                        Node {
                            flex_direction: FlexDirection::Column,
                            row_gap: px(2),
                            align_self: AlignSelf::FlexStart,
                            flex_shrink: 0.0,
                            ..default()
                        },
                        children![
                            widget::label(prefix, 12.0, MUTED),
                            widget::bubble(entry.text.clone(), Side::Customer)
                        ],
                    ));
                }
                (Speaker::Agent, LineKind::Answer) => {
                    let score = scores.get(answer_index).map(|(_, s)| s);
                    let turn = scores.get(answer_index).map_or(entry.turn, |(t, _)| *t);
                    answer_index += 1;
                    let latency = entry
                        .latency_ms
                        .map(|ms| format!("{} · {:.0}{}", t(&lang, T::You), ms as f64 / 1000.0, t(&lang, T::Seconds)))
                        .unwrap_or_default();
                    l.spawn((
                        Node {
                            flex_direction: FlexDirection::Column,
                            row_gap: px(2),
                            align_self: AlignSelf::FlexEnd,
                            align_items: AlignItems::FlexEnd,
                            flex_shrink: 0.0,
                            ..default()
                        },
                        children![widget::label(latency, 12.0, MUTED), widget::bubble(entry.text.clone(), Side::Agent)],
                    ));
                    if feedback && let Some(score) = score {
                        feedback_card(l, &lang, score, turn);
                    }
                }
                (_, _) => {
                    l.spawn(widget::bubble(entry.text.clone(), Side::System));
                }
            }
        }
    });
    scroll.y = f32::MAX;

    // Controls: the answer box and buttons, the handoff note, or the end of the call.
    commands.entity(*controls).despawn_related::<Children>();
    commands.entity(*controls).with_children(|c| {
        if session.is_over() {
            c.spawn(widget::row(12.0)).with_children(|r| {
                r.spawn(widget::label(
                    i18n::labelled(&lang, t(&lang, T::CallEnded), i18n::outcome(&lang, session.outcome())),
                    20.0,
                    HEADER,
                ));
                r.spawn(widget::spacer());
                r.spawn((
                    CallButton::Scorecard,
                    widget::button(t(&lang, T::SeeScorecard), Style::Primary, finish_call),
                ));
            });
        } else if call.transferring {
            c.spawn(widget::label(t(&lang, T::HandoffNote), 15.0, MUTED));
            c.spawn(widget::row(8.0)).with_children(|r| {
                r.spawn((widget::text_input(NoteInput, 2.0, 400), AutoFocus));
                r.spawn((
                    CallButton::ConfirmTransfer,
                    widget::button(t(&lang, T::ConfirmTransfer), Style::Primary, confirm_transfer),
                ));
                r.spawn((
                    CallButton::CancelTransfer,
                    widget::button(
                        t(&lang, T::Cancel),
                        Style::Secondary,
                        |_: On<Activate>, mut call: ResMut<Call>, mut commands: Commands| {
                            call.transferring = false;
                            commands.trigger(Redraw);
                        },
                    ),
                ));
            });
        } else {
            c.spawn(widget::label(t(&lang, T::TypeHere), 14.0, MUTED));
            c.spawn(widget::row(8.0)).with_children(|r| {
                r.spawn((widget::text_input(AnswerInput, 2.0, 500), AutoFocus)).observe(enter_sends);
                r.spawn((
                    CallButton::Send,
                    widget::button(t(&lang, T::Send), Style::Primary, |_: On<Activate>, mut commands: Commands| {
                        commands.trigger(SubmitAnswer);
                    }),
                ));
                r.spawn((
                    CallButton::Transfer,
                    widget::button(
                        t(&lang, T::Transfer),
                        Style::Secondary,
                        |_: On<Activate>, mut call: ResMut<Call>, mut commands: Commands| {
                            call.transferring = true;
                            commands.trigger(Redraw);
                        },
                    ),
                ));
                r.spawn((CallButton::HangUp, widget::button(t(&lang, T::HangUp), Style::Danger, hang_up)));
            });
        }
    });

    // The ringing overlay until the trainee picks up.
    for e in &overlays {
        commands.entity(e).despawn();
    }
    if call.ringing {
        let sc = &session.scenario().scenario;
        let title = t(&lang, if sc.channel == Channel::Phone { T::Incoming } else { T::IncomingChat });
        commands
            .spawn((
                RingOverlay,
                DespawnOnExit(Screen::Call),
                GlobalZIndex(5),
                Node {
                    position_type: PositionType::Absolute,
                    width: percent(100),
                    height: percent(100),
                    justify_content: JustifyContent::Center,
                    align_items: AlignItems::Center,
                    ..default()
                },
                BackgroundColor(Color::srgba(0.08, 0.12, 0.18, 0.55)),
            ))
            .with_children(|o| {
                o.spawn(widget::panel_with(Node {
                    align_items: AlignItems::Center,
                    padding: px(32).all(),
                    row_gap: px(14),
                    border_radius: BorderRadius::all(px(14)),
                    ..widget::panel_style(FlexDirection::Column)
                }))
                .with_children(|p| {
                    p.spawn(widget::label(title, 18.0, MUTED));
                    p.spawn(widget::label(
                        i18n::paren(&lang, &sc.persona.title, i18n::persona(&lang, &sc.persona.kind)),
                        30.0,
                        HEADER,
                    ));
                    p.spawn((CallButton::PickUp, widget::button(t(&lang, T::Answer), Style::Primary, pick_up)));
                });
            });
    }
}

fn feedback_card(l: &mut ChildSpawnerCommands<'_>, lang: &Lang, score: &TurnScore, turn: u32) {
    let marks: Vec<String> = score
        .rubrics
        .values()
        .filter(|r| r.applicable)
        .flat_map(|r| r.reasons.iter())
        .filter(|r| r.starts_with('✓') || r.starts_with('×'))
        .cloned()
        .collect();
    let notes: Vec<String> = score
        .evidence
        .iter()
        .filter(|e| matches!(e.kind, "negated" | "asked_again" | "red_line"))
        .map(|e| e.detail.clone())
        .collect();
    let color = score_color(score.overall);
    l.spawn((
        Node {
            align_self: AlignSelf::FlexEnd,
            width: px(widget::BUBBLE_MAX_WIDTH),
            flex_direction: FlexDirection::Column,
            row_gap: px(4),
            padding: UiRect::axes(px(12), px(8)),
            border: UiRect::left(px(4)),
            border_radius: BorderRadius::all(px(6)),
            flex_shrink: 0.0,
            ..default()
        },
        BackgroundColor(if score.overall >= 70.0 {
            GOOD_BG
        } else if score.overall >= 50.0 {
            WARN_BG
        } else {
            BAD_BG
        }),
        BorderColor::all(color),
    ))
    .with_children(|f| {
        f.spawn(widget::row(10.0)).with_children(|r| {
            r.spawn(widget::label(format!("{} {:.0}", t(lang, T::TurnScore), score.overall), 16.0, color));
            for name in ["concepts", "tone", "no_repeat", "responsiveness"] {
                if let Some(rs) = score.rubrics.get(name).filter(|x| x.applicable) {
                    r.spawn(widget::label(format!("{} {:.0}", i18n::rubric(lang, name), rs.score), 13.0, MUTED));
                }
            }
            r.spawn(widget::spacer());
            r.spawn(widget::button(
                t(lang, T::RewindHere),
                Style::Secondary,
                move |_: On<Activate>,
                      mut call: ResMut<Call>,
                      mut records: ResMut<Records>,
                      time: Res<Time<Real>>,
                      mut commands: Commands| {
                    let Some(session) = call.session.as_mut() else { return };
                    if session.rewind(turn).is_err() {
                        return;
                    }
                    call.customer_spoke_at = time.elapsed_secs_f64();
                    call.transferring = false;
                    record(&mut call, &mut records);
                    commands.trigger(Redraw);
                },
            ));
        });
        if let Some(c) = &score.capped {
            f.spawn(widget::paragraph(c.clone(), 14.0, BAD));
        }
        if !marks.is_empty() {
            f.spawn(widget::paragraph(marks.join("   "), 14.0, TEXT));
        }
        for n in notes {
            f.spawn(widget::paragraph(n, 13.0, TEXT));
        }
        if score.overall < 80.0 && !score.model_answer.is_empty() {
            f.spawn(widget::paragraph(i18n::labelled(lang, t(lang, T::ModelAnswer), &score.model_answer), 14.0, MUTED));
        }
    });
}

fn enter_sends(ev: On<FocusedInput<KeyboardInput>>, mut commands: Commands) {
    let k = &ev.input;
    if k.state == ButtonState::Pressed && !k.repeat && k.logical_key == Key::Enter {
        commands.trigger(SubmitAnswer);
    }
}

/// Records the session's new actions.
fn record(call: &mut Call, records: &mut Records) {
    let Call { session, recording, .. } = call;
    let (Some(session), Some(recording)) = (session.as_ref(), recording.as_mut()) else { return };
    let saved = {
        let mut recorder = records.recorder.lock().unwrap_or_else(|e| e.into_inner());
        recording.sync(&mut recorder, session)
    };
    records.saw(saved);
}

fn latency_ms(call: &Call, time: &Time<Real>) -> u64 {
    ((time.elapsed_secs_f64() - call.customer_spoke_at).max(0.0) * 1000.0) as u64
}

#[allow(clippy::too_many_arguments)]
fn submit_answer(
    _: On<SubmitAnswer>,
    mut inputs: Query<(Entity, &mut EditableText), With<AnswerInput>>,
    mut call: ResMut<Call>,
    mut records: ResMut<Records>,
    mut toasts: ResMut<Toast>,
    time: Res<Time<Real>>,
    mut focus: ResMut<InputFocus>,
    mut commands: Commands,
) {
    let Ok((entity, mut input)) = inputs.single_mut() else { return };
    if input.is_composing() || call.ringing {
        return;
    }
    let text = input.value().to_string();
    if text.trim().is_empty() {
        return;
    }
    let latency = latency_ms(&call, &time);
    let Some(session) = call.session.as_mut() else { return };
    match session.answer(text.trim(), latency) {
        Ok(events) => {
            input.clear();
            call.unseen.extend(events);
            record(&mut call, &mut records);
            focus.set(entity, FocusCause::Navigated);
            commands.trigger(Redraw);
        }
        Err(e) => toast(&mut toasts, &time, e.to_string()),
    }
}

fn confirm_transfer(
    _: On<Activate>,
    mut notes: Query<&mut EditableText, With<NoteInput>>,
    mut call: ResMut<Call>,
    mut records: ResMut<Records>,
    mut toasts: ResMut<Toast>,
    time: Res<Time<Real>>,
    mut commands: Commands,
) {
    let note = notes.single_mut().map(|n| n.value().to_string()).unwrap_or_default();
    let latency = latency_ms(&call, &time);
    let Some(session) = call.session.as_mut() else { return };
    match session.transfer(&note, latency) {
        Ok(events) => {
            call.unseen.extend(events);
            call.transferring = false;
            record(&mut call, &mut records);
            commands.trigger(Redraw);
        }
        // Too long a note: said, and the box keeps the text to shorten.
        Err(e) => toast(&mut toasts, &time, e.to_string()),
    }
}

fn hang_up(_: On<Activate>, mut call: ResMut<Call>, mut records: ResMut<Records>, mut commands: Commands) {
    let Some(session) = call.session.as_mut() else { return };
    if let Ok(events) = session.hang_up() {
        call.unseen.extend(events);
        record(&mut call, &mut records);
        commands.trigger(Redraw);
    }
}

fn pick_up(
    _: On<Activate>,
    mut call: ResMut<Call>,
    time: Res<Time<Real>>,
    audio: Res<AudioOut>,
    mut commands: Commands,
) {
    call.ringing = false;
    call.customer_spoke_at = time.elapsed_secs_f64();
    audio.stop_ring();
    commands.trigger(PlayUnseen);
    commands.trigger(Redraw);
}

/// Ends the call: records the finish with its scorecard and shows the scorecard.
fn finish_call(
    _: On<Activate>,
    mut call: ResMut<Call>,
    mut records: ResMut<Records>,
    mut next: ResMut<NextState<Screen>>,
) {
    let call = &mut *call;
    let Some(session) = call.session.as_ref() else { return };
    let card = session.scorecard();
    if let Some(recording) = call.recording.as_mut() {
        let saved = {
            let mut recorder = records.recorder.lock().unwrap_or_else(|e| e.into_inner());
            recording.finish(&mut recorder, session, &card)
        };
        records.saw(saved);
    }
    call.recording = None;
    call.scorecard = Some(card);
    next.set(Screen::Scorecard);
}

/// Silence past the persona's patience makes the customer speak up (once a turn).
fn notice_silence(
    mut call: ResMut<Call>,
    mut records: ResMut<Records>,
    inputs: Query<&EditableText, With<AnswerInput>>,
    time: Res<Time<Real>>,
    mut commands: Commands,
) {
    if call.ringing {
        return;
    }
    let now = time.elapsed_secs_f64();
    let typing = inputs.single().is_ok_and(|input| input.is_composing() || !input.value().to_string().is_empty());
    match (typing, call.typing_from) {
        (false, _) => call.typing_from = None,
        (true, None) => call.typing_from = Some(now.max(call.customer_spoke_at)),
        (true, Some(_)) => {}
    }
    let waited = latency_ms(&call, &time);
    let typing_ms =
        call.typing_from.map_or(0, |from| ((now - from.max(call.customer_spoke_at)).max(0.0) * 1000.0) as u64);
    let Some(session) = call.session.as_mut() else { return };
    if !session.silence_matters(waited, typing_ms) {
        return;
    }
    if let Ok(events) = session.silence(waited, typing_ms)
        && !events.is_empty()
    {
        call.unseen.extend(events);
        record(&mut call, &mut records);
        commands.trigger(PlayUnseen);
        commands.trigger(Redraw);
    }
}

/// Plays the voice clips of lines not yet heard.
#[derive(Event, Debug, Clone, Copy)]
struct PlayUnseen;

fn play_unseen(
    _: On<PlayUnseen>,
    mut call: ResMut<Call>,
    core: Res<Core>,
    audio: Res<AudioOut>,
    time: Res<Time<Real>>,
) {
    if call.ringing {
        return;
    }
    let events = std::mem::take(&mut call.unseen);
    let Some(session) = call.session.as_ref() else { return };
    let scenario = session.scenario();
    let mut spoke = false;
    for e in &events {
        if let Event::CustomerSaid { turn_id, text, voice, .. } = e {
            spoke = true;
            if let Some(path) = turn_id.as_deref().and_then(|id| core.voice_path(scenario, id, text, voice.as_deref()))
                && let Err(err) = audio.play_file(&path)
            {
                warn!("无法播放语音 {err}");
            }
        }
    }
    if spoke {
        call.customer_spoke_at = time.elapsed_secs_f64();
    }
}

fn handle_events(call: Res<Call>, mut commands: Commands) {
    if !call.unseen.is_empty() && !call.ringing {
        commands.trigger(PlayUnseen);
    }
}

fn update_meters(
    call: Res<Call>,
    lang: Res<Lang>,
    time: Res<Time<Real>>,
    mut texts: ParamSet<(Query<&mut Text, With<MoodText>>, Query<&mut Text, With<TimerText>>)>,
    bars: Query<(Entity, Has<MoodBar>), Or<(With<MoodBar>, With<TimerBar>)>>,
    children: Query<&Children>,
    mut fills: Query<(&mut Node, &mut BackgroundColor), With<BarFill>>,
) {
    let Some(session) = &call.session else { return };
    let mood = session.mood();
    // The patience bar shows the wait as the customer feels it (in chat, typing counts less).
    let patience = session.patience_ms().max(1) as f64 / 1000.0;
    let now = time.elapsed_secs_f64();
    let waited = if call.ringing || session.is_over() {
        0.0
    } else {
        let waited_ms = ((now - call.customer_spoke_at).max(0.0) * 1000.0) as u64;
        let typing_ms =
            call.typing_from.map_or(0, |from| ((now - from.max(call.customer_spoke_at)).max(0.0) * 1000.0) as u64);
        session.felt_wait_ms(waited_ms, typing_ms) as f64 / 1000.0
    };
    let mood_word = t(
        &lang,
        if mood < 40.0 {
            T::MoodCalm
        } else if mood < 70.0 {
            T::MoodUpset
        } else {
            T::MoodAngry
        },
    );
    if let Ok(mut text) = texts.p0().single_mut() {
        let want = format!("{} {mood:.0} · {mood_word}", t(&lang, T::Mood));
        if text.0 != want {
            text.0 = want;
        }
    }
    if let Ok(mut text) = texts.p1().single_mut() {
        let want = format!(
            "{} {:.0}{s} / {} {:.0}{s}",
            t(&lang, T::Waiting),
            waited,
            t(&lang, T::Patience),
            patience,
            s = t(&lang, T::Seconds)
        );
        if text.0 != want {
            text.0 = want;
        }
    }
    for (bar, is_mood) in &bars {
        let (fraction, color) = if is_mood {
            (mood / 100.0, mood_color(mood))
        } else {
            let f = (waited / patience).min(1.0) as f32;
            (
                f,
                if f >= 1.0 {
                    BAD
                } else if f > 0.7 {
                    WARN
                } else {
                    PRIMARY
                },
            )
        };
        for child in children.iter_descendants(bar) {
            if let Ok((mut node, mut bg)) = fills.get_mut(child) {
                let width = percent(fraction.clamp(0.0, 1.0) * 100.0);
                if node.width != width {
                    node.width = width;
                }
                if bg.0 != color {
                    bg.0 = color;
                }
            }
        }
    }
}
