//! Widgets as functions returning `impl Bundle`: buttons (observers on `Activate`), chips,
//! labels, panels, badges, bars, text inputs, scroll columns and chat bubbles.

use bevy::ecs::system::IntoObserverSystem;
use bevy::input_focus::InputFocus;
use bevy::input_focus::tab_navigation::TabIndex;
use bevy::picking::hover::Hovered;
use bevy::prelude::*;
use bevy::text::{EditableText, TextCursorStyle};
use bevy::ui::Pressed;
use bevy::ui_widgets::{Activate, Button as WidgetButton, ScrollArea, observe};

use super::palette::*;

pub fn plugin(app: &mut App) {
    app.add_systems(Update, (button_colors, input_focus_border));
}

/// Colours of a button in its three states.
#[derive(Component, Clone, Copy)]
pub struct ButtonPalette {
    pub none: Color,
    pub hovered: Color,
    pub pressed: Color,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Primary,
    Secondary,
    Danger,
}

impl Style {
    fn palette(self) -> (ButtonPalette, Color) {
        match self {
            Style::Primary => {
                (ButtonPalette { none: PRIMARY, hovered: PRIMARY_HOVER, pressed: PRIMARY_PRESS }, ON_DARK)
            }
            Style::Secondary => {
                (ButtonPalette { none: SECONDARY, hovered: SECONDARY_HOVER, pressed: SECONDARY_PRESS }, TEXT)
            }
            Style::Danger => (ButtonPalette { none: DANGER, hovered: DANGER_HOVER, pressed: DANGER_PRESS }, ON_DARK),
        }
    }
}

/// A full-window screen: a column with the app's background.
pub fn screen_root(name: &'static str) -> impl Bundle {
    (
        Name::new(name),
        Node {
            width: percent(100),
            height: percent(100),
            flex_direction: FlexDirection::Column,
            padding: UiRect::axes(px(28), px(20)),
            row_gap: px(14),
            ..default()
        },
        BackgroundColor(BACKGROUND),
    )
}

/// One line of text in the app's font at a size and colour. (Wrapping text is measured at its
/// narrowest in flex rows, one character a line: use `paragraph` where text must wrap.)
pub fn text(content: impl Into<String>, size: f32, color: Color) -> impl Bundle {
    (Text::new(content), TextFont::from_font_size(size), TextColor(color), TextLayout::no_wrap())
}

/// Wrapping text that does not get squeezed in a row.
pub fn paragraph(content: impl Into<String>, size: f32, color: Color) -> impl Bundle {
    (
        Text::new(content),
        TextFont::from_font_size(size),
        TextColor(color),
        TextLayout::new(Justify::Left, LineBreak::WordOrCharacter),
    )
}

/// A label that keeps its width in a row.
pub fn label(content: impl Into<String>, size: f32, color: Color) -> impl Bundle {
    (text(content, size, color), Node { flex_shrink: 0.0, ..default() })
}

pub fn heading(content: impl Into<String>) -> impl Bundle {
    label(content, 30.0, HEADER)
}

pub fn subheading(content: impl Into<String>) -> impl Bundle {
    label(content, 20.0, HEADER)
}

/// The layout of a panel: padding, gaps, rounded border.
pub fn panel_style(direction: FlexDirection) -> Node {
    Node {
        flex_direction: direction,
        padding: px(14).all(),
        row_gap: px(8),
        column_gap: px(10),
        border: px(1).all(),
        border_radius: BorderRadius::all(px(10)),
        flex_shrink: 0.0,
        ..default()
    }
}

/// A white panel with rounded corners.
pub fn panel(direction: FlexDirection) -> impl Bundle {
    panel_with(panel_style(direction))
}

/// A white panel with its own layout (start from `panel_style`).
pub fn panel_with(node: Node) -> impl Bundle {
    (node, BackgroundColor(PANEL), BorderColor::all(BORDER))
}

/// A row of children with a gap, items centred vertically.
pub fn row(gap: f32) -> Node {
    Node { flex_direction: FlexDirection::Row, column_gap: px(gap), align_items: AlignItems::Center, ..default() }
}

/// A flexible space that pushes the following siblings to the end of a row.
pub fn spacer() -> Node {
    Node { flex_grow: 1.0, ..default() }
}

/// A button: emits `Activate` on click and on Enter/Space while focused; `action` observes it.
pub fn button<B: Bundle, M, I>(content: impl Into<String>, style: Style, action: I) -> impl Bundle
where
    I: IntoObserverSystem<Activate, B, M> + Send + Sync,
    M: Send + Sync + 'static,
{
    let (palette, fg) = style.palette();
    (
        Name::new("Button"),
        WidgetButton,
        Hovered::default(),
        TabIndex(0),
        Node {
            padding: UiRect::axes(px(18), px(9)),
            justify_content: JustifyContent::Center,
            align_items: AlignItems::Center,
            flex_shrink: 0.0,
            border_radius: BorderRadius::all(px(8)),
            ..default()
        },
        BackgroundColor(palette.none),
        palette,
        observe(action),
        children![(Text::new(content), TextFont::from_font_size(17.0), TextColor(fg), Pickable::IGNORE)],
    )
}

/// A toggle chip for filters: filled when active.
pub fn chip<B: Bundle, M, I>(content: impl Into<String>, active: bool, action: I) -> impl Bundle
where
    I: IntoObserverSystem<Activate, B, M> + Send + Sync,
    M: Send + Sync + 'static,
{
    let palette = if active {
        ButtonPalette { none: PRIMARY, hovered: PRIMARY_HOVER, pressed: PRIMARY_PRESS }
    } else {
        ButtonPalette { none: PANEL, hovered: SECONDARY_HOVER, pressed: SECONDARY_PRESS }
    };
    (
        Name::new("Chip"),
        WidgetButton,
        Hovered::default(),
        TabIndex(0),
        Node {
            padding: UiRect::axes(px(12), px(5)),
            border: px(1).all(),
            flex_shrink: 0.0,
            border_radius: BorderRadius::all(px(14)),
            ..default()
        },
        BackgroundColor(palette.none),
        BorderColor::all(if active { PRIMARY } else { BORDER }),
        palette,
        observe(action),
        children![(
            Text::new(content),
            TextFont::from_font_size(15.0),
            TextColor(if active { ON_DARK } else { TEXT }),
            Pickable::IGNORE
        )],
    )
}

/// A small coloured badge (persona, pass/fail, VIP tier).
pub fn badge(content: impl Into<String>, color: Color) -> impl Bundle {
    (
        Node {
            padding: UiRect::axes(px(8), px(2)),
            border_radius: BorderRadius::all(px(6)),
            flex_shrink: 0.0,
            ..default()
        },
        BackgroundColor(color),
        children![(Text::new(content), TextFont::from_font_size(14.0), TextColor(ON_DARK))],
    )
}

/// The filled part of a bar; its `Node.width` is the value.
#[derive(Component)]
pub struct BarFill;

/// A horizontal bar, `fraction` 0–1.
pub fn bar(fraction: f32, color: Color, height: f32) -> impl Bundle {
    (
        Node {
            width: percent(100),
            height: px(height),
            flex_shrink: 1.0,
            border_radius: BorderRadius::all(px(height / 2.0)),
            overflow: Overflow::clip(),
            ..default()
        },
        BackgroundColor(TRACK),
        children![(
            BarFill,
            Node {
                width: percent(fraction.clamp(0.0, 1.0) * 100.0),
                height: percent(100),
                border_radius: BorderRadius::all(px(height / 2.0)),
                ..default()
            },
            BackgroundColor(color),
        )],
    )
}

/// A text box; Enter is free for "submit" (observe `FocusedInput<KeyboardInput>`).
pub fn text_input(marker: impl Component, lines: f32, max_chars: usize) -> impl Bundle {
    (
        Name::new("TextInput"),
        marker,
        EditableText {
            allow_newlines: false,
            visible_lines: Some(lines),
            max_characters: Some(max_chars),
            ..default()
        },
        TextFont::from_font_size(18.0),
        TextColor(TEXT),
        TextLayout::default(),
        TextCursorStyle::default(),
        TabIndex(0),
        Node {
            flex_grow: 1.0,
            padding: px(8).all(),
            border: px(2).all(),
            border_radius: BorderRadius::all(px(8)),
            ..default()
        },
        BorderColor::all(BORDER),
        BackgroundColor(PANEL),
    )
}

fn input_focus_border(focus: Res<InputFocus>, mut q: Query<(Entity, &mut BorderColor), With<EditableText>>) {
    if !focus.is_changed() {
        return;
    }
    for (e, mut border) in &mut q {
        border.set_all(if focus.get() == Some(e) { FOCUS } else { BORDER });
    }
}

/// A vertical scroll column; the mouse wheel scrolls it.
pub fn scroll_column(marker: impl Component) -> impl Bundle {
    (
        Name::new("ScrollColumn"),
        marker,
        ScrollArea,
        Node {
            flex_direction: FlexDirection::Column,
            flex_grow: 1.0,
            min_height: px(0),
            overflow: Overflow::scroll_y(),
            row_gap: px(10),
            padding: px(12).all(),
            ..default()
        },
    )
}

/// Who a chat bubble belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Customer,
    Agent,
    System,
}

/// The width a line of text needs at a font size: CJK and full-width characters are a square
/// em, others about half. (bevy measures wrapping text at its narrowest inside flex rows, so
/// bubbles are given this width, capped by their `max_width`.)
pub fn text_width(content: &str, size: f32) -> f32 {
    content
        .lines()
        .map(|line| line.chars().map(|c| if c.is_ascii() { 0.56 } else { 1.0 }).sum::<f32>() * size)
        .fold(0.0, f32::max)
}

/// The widest a chat bubble gets (logical pixels; the UI scale applies).
pub const BUBBLE_MAX_WIDTH: f32 = 620.0;

/// A chat bubble with wrapped text.
pub fn bubble(content: impl Into<String>, side: Side) -> impl Bundle {
    let content = content.into();
    let (align, bg) = match side {
        Side::Customer => (AlignSelf::FlexStart, BUBBLE_CUSTOMER),
        Side::Agent => (AlignSelf::FlexEnd, BUBBLE_AGENT),
        Side::System => (AlignSelf::Center, BUBBLE_SYSTEM),
    };
    let size = 17.0;
    (
        Name::new("Bubble"),
        Node {
            width: px((text_width(&content, size) + 32.0).min(BUBBLE_MAX_WIDTH)),
            flex_direction: FlexDirection::Column,
            align_self: align,
            padding: UiRect::axes(px(14), px(9)),
            border: px(1).all(),
            border_radius: BorderRadius::all(px(12)),
            flex_shrink: 0.0,
            ..default()
        },
        BackgroundColor(bg),
        BorderColor::all(BORDER),
        children![paragraph(content, size, if side == Side::System { MUTED } else { TEXT })],
    )
}

fn button_colors(mut q: Query<(&ButtonPalette, &Hovered, Has<Pressed>, &mut BackgroundColor)>) {
    for (palette, hovered, pressed, mut bg) in &mut q {
        let c = match (pressed, hovered.get()) {
            (true, _) => palette.pressed,
            (false, true) => palette.hovered,
            _ => palette.none,
        };
        bg.set_if_neq(BackgroundColor(c));
    }
}
