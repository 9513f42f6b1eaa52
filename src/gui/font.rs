//! The bundled CJK font (a freely licensed subset, see `assets/fonts/OFL.txt`) as the default
//! font of every text: bevy has no fallback, and its own font has no Chinese.

use bevy::prelude::*;

/// The font file, compiled in so the app finds it wherever it is run from.
pub const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/PeilianSansSC.otf");

pub fn plugin(app: &mut App) {
    let font = Font::from_bytes(FONT_BYTES.to_vec());
    app.world_mut().resource_mut::<Assets<Font>>().insert(AssetId::default(), font).expect("the default font slot");
}
