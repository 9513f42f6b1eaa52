//! The app's real plugins, headless (no window, no GPU): pick a trainee, choose a scenario,
//! answer with text committed by an input method and Enter, transfer, reach the scorecard, and
//! check that its scores equal the core's for the same answers and seed.

use std::path::Path;

use bevy::input::ButtonState;
use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::input_focus::{FocusCause, InputFocus};
use bevy::log::LogPlugin;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::settings::WgpuSettings;
use bevy::text::EditableText;
use bevy::ui_widgets::Activate;
use bevy::window::{ExitCondition, Ime, PrimaryWindow};
use bevy::winit::WinitPlugin;
use peilian::gui::audio::AudioOut;
use peilian::gui::screens::Screen;
use peilian::gui::screens::call::{AnswerInput, CallButton, NoteInput};
use peilian::gui::screens::dashboard::{RealCallsPanel, TraineeRowButton};
use peilian::gui::screens::picker::ScenarioCard;
use peilian::gui::screens::scorecard::ScorecardButton;
use peilian::gui::screens::who::{NameInput, StartButton};
use peilian::gui::state::{Call, Core, GuiConfig, Profile};
use peilian::records::coaching::recorded_session;
use peilian::records::store::Store;
use peilian::session::{Mode, Session};

use crate::support::root;

const SCENARIO: &str = "angry-late-delivery-refund";

fn headless_app(scenarios: &Path, dir: &Path) -> App {
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .build()
            .disable::<WinitPlugin>()
            .disable::<LogPlugin>()
            .set(RenderPlugin { render_creation: WgpuSettings { backends: None, ..default() }.into(), ..default() })
            .set(WindowPlugin {
                primary_window: Some(Window { resolution: (1280u32, 800u32).into(), ..default() }),
                exit_condition: ExitCondition::DontExit,
                ..default()
            }),
    );
    app.insert_resource(GuiConfig {
        scenarios_dir: Some(scenarios.to_path_buf()),
        db_path: Some(dir.join("gui.db")),
        demo_dir: None,
        seed: Some(7),
        prefs_path: Some(dir.join("prefs.ron")),
        lang: None,
    });
    app.insert_resource(AudioOut::silent("test"));
    app.add_plugins(peilian::gui::plugin);
    app.finish();
    app.cleanup();
    for _ in 0..3 {
        app.update();
    }
    app
}

fn updates(app: &mut App, n: usize) {
    for _ in 0..n {
        app.update();
    }
}

fn entities<C: Component>(app: &mut App) -> Vec<(Entity, C)>
where
    C: Clone,
{
    app.world_mut().query::<(Entity, &C)>().iter(app.world()).map(|(e, c)| (e, c.clone())).collect()
}

fn single<C: Component>(app: &mut App) -> Entity {
    app.world_mut().query_filtered::<Entity, With<C>>().single(app.world()).expect("one entity")
}

fn press(app: &mut App, entity: Entity) {
    app.world_mut().trigger(Activate { entity });
    updates(app, 3);
}

fn press_call_button(app: &mut App, which: CallButton) {
    let (entity, _) = entities::<CallButton>(app).into_iter().find(|(_, b)| *b == which).expect("button on screen");
    press(app, entity);
}

/// Focuses an input and types Chinese through the input method: preedit, then commit.
fn ime_type(app: &mut App, input: Entity, text: &str) {
    app.world_mut().resource_mut::<InputFocus>().set(input, FocusCause::Navigated);
    app.update();
    let window = single::<PrimaryWindow>(app);
    app.world_mut().write_message(Ime::Preedit { window, value: "pinyin".into(), cursor: Some((6, 6)) });
    app.update();
    app.world_mut().write_message(Ime::Commit { window, value: text.into() });
    app.update();
}

fn enter(app: &mut App) {
    let window = single::<PrimaryWindow>(app);
    for state in [ButtonState::Pressed, ButtonState::Released] {
        app.world_mut().write_message(KeyboardInput {
            key_code: KeyCode::Enter,
            logical_key: Key::Enter,
            state,
            text: None,
            repeat: false,
            window,
        });
        app.update();
    }
    updates(app, 2);
}

fn screen(app: &App) -> Screen {
    *app.world().resource::<State<Screen>>().get()
}

#[test]
fn a_whole_call_through_the_app_scores_like_the_core() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = headless_app(&root().join("scenarios"), dir.path());
    assert_eq!(screen(&app), Screen::Who);

    // A new trainee, typed with the input method, added with Enter.
    let name_box = single::<NameInput>(&mut app);
    ime_type(&mut app, name_box, "测试员");
    assert_eq!(app.world().get::<EditableText>(name_box).unwrap().value().to_string(), "测试员");
    enter(&mut app);
    assert_eq!(app.world().resource::<Profile>().trainee.as_deref(), Some("测试员"));

    // Start, and the picker lists every scenario of the library.
    let start = single::<StartButton>(&mut app);
    press(&mut app, start);
    assert_eq!(screen(&app), Screen::Picker);
    let ready = app.world().resource::<Core>().ready().count();
    let cards = entities::<ScenarioCard>(&mut app);
    assert_eq!(cards.len(), ready, "one card per scenario (the recommended one on top)");
    let (card, _) = cards.iter().find(|(_, c)| c.0 == SCENARIO).cloned().expect("the scenario's card");
    press(&mut app, card);
    assert_eq!(screen(&app), Screen::Call);
    assert!(app.world().resource::<Call>().ringing);
    press_call_button(&mut app, CallButton::PickUp);
    assert!(!app.world().resource::<Call>().ringing);

    // Two answers, typed through the input method and sent with Enter.
    let answers = [
        "王先生，非常抱歉让您等了这么久，换作是我也会着急。麻烦您告诉我退货单号，我马上帮您查一下。",
        "谢谢王先生，商家已经签收，正在质检，质检 1-2 个工作日，通过后 3 个工作日内原路退回，我帮您加急处理。",
    ];
    for (i, answer) in answers.iter().enumerate() {
        let input = single::<AnswerInput>(&mut app);
        ime_type(&mut app, input, answer);
        enter(&mut app);
        let call = app.world().resource::<Call>();
        let session = call.session.as_ref().unwrap();
        assert_eq!(session.turn_scores().len(), i + 1, "answer {i} was scored");
    }
    // Transfer with a handoff note.
    press_call_button(&mut app, CallButton::Transfer);
    let note = single::<NoteInput>(&mut app);
    ime_type(&mut app, note, "客户王先生退货单号TH20261109已签收未退款，情绪激动");
    press_call_button(&mut app, CallButton::ConfirmTransfer);
    assert!(app.world().resource::<Call>().session.as_ref().unwrap().is_over());
    press_call_button(&mut app, CallButton::Scorecard);
    assert_eq!(screen(&app), Screen::Scorecard);

    // The app's scorecard equals the core's for the same answers, latencies and seed.
    let call = app.world().resource::<Call>();
    let gui_card = call.scorecard.clone().expect("scorecard");
    let session = call.session.as_ref().unwrap();
    let engine = app.world().resource::<Core>().engine(SCENARIO).unwrap();
    let (core_session, skipped) = Session::replay(engine, 7, Mode::Practice, session.history());
    assert_eq!(skipped, 0);
    assert_eq!(serde_json::to_value(&gui_card).unwrap(), serde_json::to_value(core_session.scorecard()).unwrap());
    assert_eq!(gui_card.seed, 7);
    assert_eq!(gui_card.turns.len(), 2);
    assert_eq!(gui_card.turns[0].score.answer, answers[0]);

    // Recorded, turn by turn, with the finish.
    let store = Store::open(&dir.path().join("gui.db")).unwrap();
    let recorded = recorded_session(&store, "1").unwrap();
    assert_eq!(recorded.trainee, "测试员");
    assert_eq!(recorded.outcome, "transferred");
    assert_eq!(recorded.overall, Some(gui_card.overall));
    assert_eq!(recorded.turns.iter().filter(|t| t.kind == "answer").count(), 2);

    // "Try again" starts the same scenario afresh.
    let (retry, _) =
        entities::<ScorecardButton>(&mut app).into_iter().find(|(_, b)| *b == ScorecardButton::Retry).unwrap();
    press(&mut app, retry);
    assert_eq!(screen(&app), Screen::Call);
    assert_eq!(app.world().resource::<Call>().scenario_id(), Some(SCENARIO));
    assert!(app.world().resource::<Call>().session.as_ref().unwrap().turn_scores().is_empty());

    // The dashboard lists the trainee.
    app.world_mut().resource_mut::<NextState<Screen>>().set(Screen::Dashboard);
    updates(&mut app, 3);
    let rows = entities::<TraineeRowButton>(&mut app);
    assert!(rows.iter().any(|(_, r)| r.0 == "测试员"), "dashboard rows");
    assert!(entities::<RealCallsPanel>(&mut app).is_empty(), "no real calls scored yet");

    // Real calls of the same person, scored by `peilian qa`, appear beside the practice.
    let conn = rusqlite::Connection::open(dir.path().join("gui.db")).unwrap();
    conn.execute_batch(
        "INSERT INTO qa_runs (started_ms, inputs, agents_from) VALUES (0, '[]', 'agent');
         INSERT INTO qa_calls (agent, dialogue_id, run_id, call_ms, turns, manner_sum, incidents, breaches)
             VALUES ('测试员', 'd1', 1, 0, 4, 200.0, 1, 1), ('测试员', 'd2', 1, 0, 2, 160.0, 0, 0),
                    ('别人', 'd3', 1, 0, 3, 90.0, 0, 0);
         INSERT INTO qa_findings (call_id, seq, turn, kind, skill, label, quote, severity)
             VALUES (1, 0, 2, 'impatience', 'deescalation', '不耐烦', '说了多少遍了', 'breach');",
    )
    .unwrap();
    app.world_mut().resource_mut::<NextState<Screen>>().set(Screen::Who);
    updates(&mut app, 2);
    app.world_mut().resource_mut::<peilian::gui::state::DashboardView>().selected = Some("测试员".into());
    app.world_mut().resource_mut::<NextState<Screen>>().set(Screen::Dashboard);
    updates(&mut app, 3);
    let panels = entities::<RealCallsPanel>(&mut app);
    assert_eq!(panels.len(), 1);
    assert_eq!((panels[0].1.agent.as_str(), panels[0].1.calls), ("测试员", 2));
    let texts: Vec<String> = app.world_mut().query::<&Text>().iter(app.world()).map(|t| t.0.clone()).collect();
    assert!(
        texts.iter().any(|t| t.contains("通话 2 通") && t.contains("态度 60.0") && t.contains("严重违规 1")),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == "回合 2 · 不耐烦「说了多少遍了」"), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("不耐烦") && t.ends_with("×1")), "findings by kind: {texts:?}");
}

#[test]
fn exam_mode_hides_feedback_and_practice_rewinds() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = headless_app(&root().join("scenarios"), dir.path());
    let count_rewind_buttons = |app: &mut App| {
        app.world_mut()
            .query::<&Text>()
            .iter(app.world())
            .filter(|t| t.0 == peilian::gui::i18n::T::RewindHere.get(peilian::gui::i18n::Lang::Zh))
            .count()
    };
    for mode in [Mode::Practice, Mode::Exam] {
        app.world_mut().resource_mut::<Profile>().mode = mode;
        app.world_mut().trigger(peilian::gui::screens::call::StartCall { scenario_id: SCENARIO.into() });
        updates(&mut app, 3);
        press_call_button(&mut app, CallButton::PickUp);
        let input = single::<AnswerInput>(&mut app);
        ime_type(&mut app, input, "单号多少");
        enter(&mut app);
        let shown = count_rewind_buttons(&mut app);
        match mode {
            Mode::Practice => assert_eq!(shown, 1, "feedback with a rewind button after the answer"),
            Mode::Exam => assert_eq!(shown, 0, "no feedback in exam mode"),
        }
    }
    // Rewinding (practice) through the button: back to turn 1 with no answers.
    app.world_mut().resource_mut::<Profile>().mode = Mode::Practice;
    app.world_mut().trigger(peilian::gui::screens::call::StartCall { scenario_id: SCENARIO.into() });
    updates(&mut app, 3);
    press_call_button(&mut app, CallButton::PickUp);
    let input = single::<AnswerInput>(&mut app);
    ime_type(&mut app, input, "单号多少");
    enter(&mut app);
    let rewind = app
        .world_mut()
        .query::<(Entity, &Children)>()
        .iter(app.world())
        .find(|(_, children)| children.iter().any(|c| app.world().get::<Text>(c).is_some_and(|t| t.0 == "从这里重答")))
        .map(|(e, _)| e)
        .expect("rewind button");
    press(&mut app, rewind);
    let call = app.world().resource::<Call>();
    let session = call.session.as_ref().unwrap();
    assert_eq!((session.turn(), session.turn_scores().len()), (1, 0));
}

#[test]
fn a_broken_scenario_shows_its_error_and_a_saved_file_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let lib = crate::support::empty_library(dir.path());
    std::fs::copy(root().join("scenarios").join(format!("{SCENARIO}.ron")), lib.join("a.ron")).unwrap();
    std::fs::write(lib.join("broken.ron"), "Scenario(id: \"broken\", moood: 1)").unwrap();
    let mut app = headless_app(&lib, dir.path());
    app.world_mut().resource_mut::<NextState<Screen>>().set(Screen::Picker);
    updates(&mut app, 3);
    assert_eq!(entities::<ScenarioCard>(&mut app).len(), 1, "the good scenario still works");
    let texts: Vec<String> = app.world_mut().query::<&Text>().iter(app.world()).map(|t| t.0.clone()).collect();
    assert!(texts.iter().any(|t| t.contains("broken.ron")), "the broken file is named");
    assert!(texts.iter().any(|t| t.contains("unknown-field") || t.contains("未知字段")), "with its error: {texts:?}");

    // The trainer fixes the file while the app runs.
    let fixed = std::fs::read_to_string(lib.join("a.ron"))
        .unwrap()
        .replace(&format!("id: \"{SCENARIO}\""), "id: \"fixed-copy\"");
    std::fs::write(lib.join("broken.ron"), fixed).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1200));
    updates(&mut app, 5);
    assert_eq!(entities::<ScenarioCard>(&mut app).len(), 2, "reloaded without a restart");
}
