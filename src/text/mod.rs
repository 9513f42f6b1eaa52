//! Text analysis: normalisation, segmentation with jieba, phrase matching, acts, tone.

pub mod acts;
pub mod analyzer;
pub mod anger;
pub mod glyphs;
pub mod normalize;
pub mod pattern;
pub mod phrases;
pub mod safe;
pub mod tone;

pub use analyzer::{Analyzed, Analyzer};

/// Every text made of 1 to `max` pieces, each piece any number of times.
#[cfg(test)]
pub(crate) fn texts_of_pieces(pieces: &[&str], max: usize) -> Vec<String> {
    let mut all = Vec::new();
    let mut shorter = vec![String::new()];
    for _ in 0..max {
        shorter = shorter.iter().flat_map(|t| pieces.iter().map(move |p| format!("{t}{p}"))).collect();
        all.extend(shorter.iter().cloned());
    }
    all
}
