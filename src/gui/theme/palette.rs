//! The colours of the app: calm blue-grey, with green/amber/red only where they mean something.

use bevy::prelude::*;

pub const BACKGROUND: Color = Color::srgb(0.945, 0.955, 0.97);
pub const PANEL: Color = Color::srgb(1.0, 1.0, 1.0);
pub const PANEL_ALT: Color = Color::srgb(0.93, 0.945, 0.965);
pub const BORDER: Color = Color::srgb(0.82, 0.85, 0.89);
pub const FOCUS: Color = Color::srgb(0.18, 0.45, 0.80);
pub const TEXT: Color = Color::srgb(0.12, 0.16, 0.22);
pub const MUTED: Color = Color::srgb(0.40, 0.45, 0.52);
pub const HEADER: Color = Color::srgb(0.12, 0.31, 0.47);
pub const ON_DARK: Color = Color::srgb(1.0, 1.0, 1.0);

pub const PRIMARY: Color = Color::srgb(0.16, 0.42, 0.74);
pub const PRIMARY_HOVER: Color = Color::srgb(0.20, 0.49, 0.84);
pub const PRIMARY_PRESS: Color = Color::srgb(0.11, 0.33, 0.60);
pub const SECONDARY: Color = Color::srgb(0.88, 0.91, 0.95);
pub const SECONDARY_HOVER: Color = Color::srgb(0.82, 0.87, 0.93);
pub const SECONDARY_PRESS: Color = Color::srgb(0.74, 0.80, 0.88);
pub const DANGER: Color = Color::srgb(0.77, 0.21, 0.21);
pub const DANGER_HOVER: Color = Color::srgb(0.85, 0.27, 0.27);
pub const DANGER_PRESS: Color = Color::srgb(0.62, 0.15, 0.15);

pub const GOOD: Color = Color::srgb(0.18, 0.55, 0.35);
pub const WARN: Color = Color::srgb(0.85, 0.58, 0.12);
pub const BAD: Color = Color::srgb(0.77, 0.21, 0.21);
pub const GOOD_BG: Color = Color::srgb(0.89, 0.96, 0.91);
pub const BAD_BG: Color = Color::srgb(0.99, 0.91, 0.91);
pub const WARN_BG: Color = Color::srgb(1.0, 0.96, 0.86);

pub const BUBBLE_CUSTOMER: Color = Color::srgb(1.0, 1.0, 1.0);
pub const BUBBLE_AGENT: Color = Color::srgb(0.85, 0.92, 1.0);
pub const BUBBLE_SYSTEM: Color = Color::srgb(0.95, 0.95, 0.95);
pub const TRACK: Color = Color::srgb(0.88, 0.90, 0.93);

/// Green from 70, amber from 50, red below: for scores 0–100.
pub fn score_color(score: f32) -> Color {
    if score >= 70.0 {
        GOOD
    } else if score >= 50.0 {
        WARN
    } else {
        BAD
    }
}

/// Calm green to angry red: for moods 0–100.
pub fn mood_color(mood: f32) -> Color {
    if mood < 40.0 {
        GOOD
    } else if mood < 70.0 {
        WARN
    } else {
        BAD
    }
}

/// The badge colour of a persona kind.
pub fn persona_color(key: &str) -> Color {
    match key {
        "angry" => Color::srgb(0.80, 0.25, 0.22),
        "vip" => Color::srgb(0.66, 0.50, 0.10),
        "anxious" => Color::srgb(0.52, 0.35, 0.70),
        "elderly" => Color::srgb(0.25, 0.55, 0.55),
        _ => Color::srgb(0.40, 0.47, 0.56),
    }
}
