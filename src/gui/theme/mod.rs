//! Look and feel: colours and the widget functions every screen builds from.

pub mod palette;
pub mod widget;

use bevy::prelude::*;

pub fn plugin(app: &mut App) {
    app.add_plugins(widget::plugin);
}
