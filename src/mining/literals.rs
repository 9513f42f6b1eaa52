//! Sets of phrases found in one pass over a text: each phrase carries the bits of the sets it
//! belongs to, and a text gets the bits of every phrase it holds. Used where rules are plain
//! lists of words (the detectors) or need one of a few words to match at all (redaction).

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

#[derive(Clone)]
pub(crate) struct LiteralSets {
    automaton: AhoCorasick,
    bits: Vec<u64>,
}

impl LiteralSets {
    /// The phrases with the bit of their set; a phrase in several sets gets all their bits.
    pub(crate) fn new(sets: impl IntoIterator<Item = (String, u64)>) -> LiteralSets {
        let mut index: HashMap<String, usize> = HashMap::new();
        let (mut phrases, mut bits) = (Vec::new(), Vec::new());
        for (phrase, bit) in sets {
            let i = *index.entry(phrase.clone()).or_insert_with(|| {
                phrases.push(phrase);
                bits.push(0);
                bits.len() - 1
            });
            bits[i] |= bit;
        }
        // A DFA without prefilter, as for the tone markers: the phrases' first bytes are those
        // of most Chinese characters.
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .prefilter(false)
            .build(&phrases)
            .expect("phrase sets build an automaton");
        LiteralSets { automaton, bits }
    }

    /// The bits of every phrase found in `text`.
    pub(crate) fn find(&self, text: &str) -> u64 {
        self.automaton.find_overlapping_iter(text).fold(0, |acc, m| acc | self.bits[m.pattern().as_usize()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_gets_the_bits_of_every_phrase_it_holds_overlapping_or_not() {
        let sets = LiteralSets::new([
            ("小区".to_string(), 1),
            ("区".to_string(), 2),
            ("先生".to_string(), 4),
            ("区".to_string(), 8),
            ("生".to_string(), 16),
        ]);
        assert_eq!(sets.find("阳光小区"), 1 | 2 | 8);
        assert_eq!(sets.find("王先生"), 4 | 16);
        assert_eq!(sets.find("你好"), 0);
        assert_eq!(sets.find(""), 0);
    }
}
