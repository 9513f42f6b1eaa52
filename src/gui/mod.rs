//! The desktop app (bevy): mock calls for trainees, a dashboard for managers. Only this module
//! uses bevy; it drives the core's session engine and records through the core's recorder.

pub mod audio;
pub mod demo;
pub mod font;
pub mod i18n;
pub mod reload;
pub mod screens;
pub mod state;
pub mod theme;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bevy::input_focus::tab_navigation::TabNavigationPlugin;
use bevy::prelude::*;
use bevy::winit::{UpdateMode, WinitSettings};

use crate::records;
use i18n::Lang;
use state::{Core, GuiConfig, Profile, Records, Toast};
use theme::palette::BACKGROUND;

/// Options of the app.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// 场景目录（默认为自带的场景库） (scenario library directory)
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// 数据库文件（也可用环境变量 PEILIAN_DB） (records database)
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// 演示：自动走过每个界面，把截图存入该目录后退出 (walk every screen, save PNGs, exit)
    #[arg(long, value_name = "DIR")]
    pub demo_screens: Option<PathBuf>,
    /// 固定随机种子（每次通话相同） (a fixed seed for every call)
    #[arg(long)]
    pub seed: Option<u64>,
    /// 持续重绘，不省电（录屏或虚拟显示器下使用） (redraw continuously)
    #[arg(long)]
    pub continuous: bool,
    /// 直接进入这个场景的通话（培训师检查场景用） (open straight into a call with this scenario)
    #[arg(long, value_name = "ID")]
    pub scenario: Option<String>,
    /// 界面语言，不给时用设置里的 (UI language; the saved setting when not given)
    #[arg(long, value_parser = ["zh", "en"])]
    pub lang: Option<String>,
    /// 启动时打开的界面 (the screen to open on)
    #[arg(long, value_enum, default_value_t = StartScreen::Who)]
    pub start: StartScreen,
}

/// Screens the app can open on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum StartScreen {
    #[default]
    Who,
    Picker,
    Dashboard,
    Settings,
}

/// When the process started, to report the time to the first frame.
#[derive(Resource)]
pub struct StartedAt(pub Instant);

/// Opens the app window and runs until it is closed.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    #[cfg(target_os = "linux")]
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        anyhow::bail!(
            "没有图形显示（DISPLAY 和 WAYLAND_DISPLAY 都未设置），无法打开窗口。\n    在终端练习：peilian practice 场景；查看所有命令：peilian --help"
        );
    }
    let demo = args.demo_screens.is_some();
    let mut config = GuiConfig {
        scenarios_dir: args.scenarios,
        db_path: args.db,
        demo_dir: args.demo_screens,
        seed: args.seed,
        prefs_path: None,
        lang: args.lang.clone(),
    };
    if let Some(shots) = &config.demo_dir {
        std::fs::create_dir_all(shots)?;
    }
    if demo {
        // The demo plays in a database of its own, filled with a small team's sessions.
        let dir = std::env::temp_dir().join(format!("peilian-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        config.db_path = Some(dir.join("demo.db"));
        config.prefs_path = Some(dir.join("prefs.ron"));
        config.seed = config.seed.or(Some(7));
    }
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title: i18n::T::AppTitle.get(Lang::Zh).to_string(),
            resolution: (1280u32, 800u32).into(),
            ..default()
        }),
        ..default()
    }));
    if args.continuous || demo {
        app.insert_resource(WinitSettings::continuous());
    } else {
        // Idle at almost no CPU: redraw on input, and on a timer only as often as the screen
        // needs (see `pace_redraws`).
        app.insert_resource(WinitSettings::desktop_app());
        app.add_systems(Update, pace_redraws);
    }
    app.insert_resource(ClearColor(BACKGROUND));
    app.insert_resource(StartedAt(started));
    app.insert_resource(config);
    app.add_plugins(plugin);
    app.add_systems(Last, report_first_frame);
    let start = match args.start {
        StartScreen::Who => screens::Screen::Who,
        StartScreen::Picker => screens::Screen::Picker,
        StartScreen::Dashboard => screens::Screen::Dashboard,
        StartScreen::Settings => screens::Screen::Settings,
    };
    if start != screens::Screen::Who {
        app.add_systems(Startup, move |mut next: ResMut<NextState<screens::Screen>>| next.set(start));
    }
    if let Some(id) = args.scenario {
        app.add_systems(Startup, move |mut commands: Commands| {
            commands.trigger(screens::call::StartCall { scenario_id: id.clone() })
        });
    }
    if std::env::var_os("PEILIAN_FRAME_STATS").is_some() {
        app.add_systems(Last, frame_stats);
    }
    let exit = app.run();
    Ok(if exit.is_success() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Everything of the app but the engine plugins, so tests can run it headless. Expects
/// `DefaultPlugins` (or the headless equivalent) and optionally a `GuiConfig`.
pub fn plugin(app: &mut App) {
    font::plugin(app);
    let config = app.world().get_resource::<GuiConfig>().cloned().unwrap_or_default();
    app.insert_resource(config.clone());
    let profile = Profile::load(config.prefs_path.clone());
    let prefs = profile.prefs.clone();
    let saved_db = if std::env::var_os("PEILIAN_DB").is_some() { None } else { prefs.db_path.clone() };
    let db_path = records::db_path(config.db_path.clone().or(saved_db));
    let core = Core::load(config.scenarios_dir.as_deref());
    if config.demo_dir.is_some() {
        demo::fill_records(&core, &db_path);
    }
    app.insert_resource(Lang::from_code(config.lang.as_deref().unwrap_or(&prefs.language)));
    app.insert_resource(UiScale(prefs.ui_scale.clamp(0.5, 2.0)));
    app.insert_resource(Records::open(&db_path));
    app.insert_resource(core);
    let mut profile = profile;
    if config.demo_dir.is_some() {
        profile.trainee = Some(demo::TRAINEE.to_string());
        profile.team = Some(demo::TEAM.to_string());
    }
    app.insert_resource(profile);
    app.init_resource::<Toast>();
    app.add_plugins((theme::plugin, audio::plugin, screens::plugin, reload::plugin, demo::plugin));
    if !app.is_plugin_added::<TabNavigationPlugin>() {
        app.add_plugins(TabNavigationPlugin);
    }
    app.add_systems(Startup, (spawn_camera, apply_volume));
}

fn spawn_camera(mut commands: Commands) {
    commands.spawn((Name::new("Camera"), Camera2d));
}

fn apply_volume(audio: Res<audio::AudioOut>, profile: Res<Profile>) {
    audio.set_volume(profile.prefs.volume, profile.prefs.muted);
}

fn report_first_frame(frames: Res<bevy::diagnostic::FrameCount>, started: Option<Res<StartedAt>>) {
    if frames.0 == 1
        && let Some(started) = started
    {
        info!("first frame after {} ms", started.0.elapsed().as_millis());
    }
}

/// Logs frame times every five seconds (`PEILIAN_FRAME_STATS=1`): mean, 95th percentile, worst.
fn frame_stats(time: Res<Time<Real>>, mut samples: Local<Vec<f32>>, mut since: Local<f32>) {
    samples.push(time.delta_secs() * 1000.0);
    *since += time.delta_secs();
    if *since < 5.0 {
        return;
    }
    let mut sorted = std::mem::take(&mut *samples);
    sorted.sort_by(f32::total_cmp);
    let mean = sorted.iter().sum::<f32>() / sorted.len().max(1) as f32;
    let p95 = sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)];
    let worst = sorted.last().copied().unwrap_or(0.0);
    info!("frame time over {} frames: mean {mean:.1} ms, p95 {p95:.1} ms, worst {worst:.1} ms", sorted.len());
    *since = 0.0;
}

/// Wakes the app only as often as the screen needs: twice a second while a text box has the
/// focus (the caret blinks), once a second in a call (the turn timer), else every five seconds.
fn pace_redraws(
    mut winit: ResMut<WinitSettings>,
    focus: Res<bevy::input_focus::InputFocus>,
    texts: Query<(), With<bevy::text::EditableText>>,
    screen: Res<State<screens::Screen>>,
) {
    let wait = if focus.get().is_some_and(|e| texts.contains(e)) {
        Duration::from_millis(500)
    } else if *screen.get() == screens::Screen::Call {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(5)
    };
    let mode = UpdateMode::reactive(wait);
    if winit.focused_mode != mode {
        winit.focused_mode = mode;
    }
}
