//! Text analysis: normalisation, segmentation with jieba, phrase matching, tone.

pub mod analyzer;
pub mod glyphs;
pub mod normalize;
pub mod phrases;
pub mod tone;

pub use analyzer::{Analyzed, Analyzer};
