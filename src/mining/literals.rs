//! Sets of phrases found in one pass over a text: each phrase carries the bits of the sets it
//! belongs to, and a text gets the bits of every phrase it holds. Used where rules are plain
//! lists of words (the detectors) or need one of a few words to match at all (redaction).
//!
//! One aho-corasick automaton over the phrases reads the text's UTF-8 bytes, reporting
//! overlapping matches (a phrase inside another one counts too). UTF-8 is self-synchronising,
//! so a phrase matches only where its characters stand in the text.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};

#[derive(Clone)]
pub(crate) struct LiteralSets {
    automaton: AhoCorasick,
    /// The bits of each phrase, by pattern id.
    bits: Vec<u64>,
}

impl LiteralSets {
    /// The phrases with the bit of their set; a phrase in several sets gets all their bits.
    /// Empty phrases are left out.
    pub(crate) fn new(sets: impl IntoIterator<Item = (String, u64)>) -> LiteralSets {
        let mut index: HashMap<String, usize> = HashMap::new();
        let (mut phrases, mut bits) = (Vec::new(), Vec::new());
        for (phrase, bit) in sets {
            if phrase.is_empty() {
                continue;
            }
            let i = *index.entry(phrase.clone()).or_insert_with(|| {
                phrases.push(phrase);
                bits.push(0);
                bits.len() - 1
            });
            bits[i] |= bit;
        }
        // Standard semantics: the only kind that reports overlapping matches.
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
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

    fn sets(phrases: &[(&str, u64)]) -> LiteralSets {
        LiteralSets::new(phrases.iter().map(|&(p, b)| (p.to_string(), b)))
    }

    #[test]
    fn a_text_gets_the_bits_of_every_phrase_it_holds_overlapping_or_not() {
        let s = sets(&[("小区", 1), ("区", 2), ("先生", 4), ("区", 8), ("生", 16), ("", 32), ("a\u{20000}b", 64)]);
        assert_eq!(s.find("阳光小区"), 1 | 2 | 8);
        assert_eq!(s.find("王先生"), 4 | 16);
        assert_eq!(s.find("你好"), 0);
        assert_eq!(s.find(""), 0);
        // Characters outside the phrases break a phrase, however many of them stand there.
        assert_eq!(s.find("小。区"), 2 | 8);
        assert_eq!(s.find("小你你你区先 生"), 2 | 8 | 16);
        assert_eq!(s.find("xa\u{20000}b"), 64);
        assert_eq!(s.find("a\u{20001}b a\u{20000}"), 0);
    }

    /// Every phrase set, small or large, finds what a search for each phrase finds.
    #[test]
    fn phrase_sets_find_what_searching_each_phrase_finds() {
        let phrases = ["转接", "转人工", "人工", "vip", "12315", "315", "找你们领导", "领导", "的", "qq客服"];
        let few: Vec<(&str, u64)> = phrases.iter().enumerate().map(|(i, &p)| (p, 1 << i)).collect();
        // A set with a phrase of many characters.
        let many_chars: String = (0x4E00u32..0x4F10).filter_map(char::from_u32).collect();
        let mut many = few.clone();
        many.push((many_chars.as_str(), 1 << 20));
        let (few, many) = (sets(&few), sets(&many));
        let pieces =
            ["转", "接", "人", "工", "v", "ip", "123", "15", "找你们", "领", "导", "的", "qq", "客服", "，", "x"];
        for t in crate::text::texts_of_pieces(&pieces, 4) {
            let want = phrases.iter().enumerate().filter(|(_, p)| t.contains(*p)).fold(0, |acc, (i, _)| acc | 1 << i);
            assert_eq!(few.find(&t), want, "{t}");
            assert_eq!(many.find(&t), want, "{t}");
        }
    }
}
