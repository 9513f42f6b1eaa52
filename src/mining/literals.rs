//! Sets of phrases found in one pass over a text: each phrase carries the bits of the sets it
//! belongs to, and a text gets the bits of every phrase it holds. Used where rules are plain
//! lists of words (the detectors) or need one of a few words to match at all (redaction).
//!
//! The automaton reads the text coded one byte per character: each character of the phrases
//! its own code, every other character 0, which no phrase holds (so a phrase can match only
//! where it stands in the text). Over the phrases' characters (60 to 180 for the sets here)
//! instead of UTF-8 bytes the automaton is small and takes one step per character; the text is
//! coded a character at a time as it is read, each code stepping the automaton at once.

use std::collections::HashMap;

use aho_corasick::automaton::Automaton;
use aho_corasick::{AhoCorasick, Anchored, MatchKind, dfa::DFA};

#[derive(Clone)]
pub(crate) struct LiteralSets {
    matcher: Matcher,
    bits: Vec<u64>,
}

/// The automaton and what it reads: over the codes, a DFA stepped one code at a time; over
/// UTF-8 (a large set, such as a library's synonym groups) one that picks its own kind, as a
/// DFA could take tens of megabytes.
#[derive(Clone)]
enum Matcher {
    Coded { bmp: Box<[u8; 0x1_0000]>, beyond: Vec<(char, u8)>, dfa: Box<DFA> },
    Bytes(AhoCorasick),
}

/// What the automaton reads.
enum Alphabet {
    /// A code per character of the phrases (at most 255 of them): the Basic Multilingual
    /// Plane's in a table, the others in a short list.
    Coded { bmp: Box<[u8; 0x1_0000]>, beyond: Vec<(char, u8)> },
    /// The text's own bytes, when the phrases hold more than 255 characters.
    Bytes,
}

impl Alphabet {
    fn of(phrases: &[String]) -> Alphabet {
        let mut chars: Vec<char> = phrases.iter().flat_map(|p| p.chars()).collect();
        chars.sort_unstable();
        chars.dedup();
        if chars.len() > 255 {
            return Alphabet::Bytes;
        }
        let mut bmp: Box<[u8; 0x1_0000]> = Box::new([0u8; 0x1_0000]);
        let mut beyond = Vec::new();
        for (i, &c) in chars.iter().enumerate() {
            let code = i as u8 + 1;
            match bmp.get_mut(c as usize) {
                Some(slot) => *slot = code,
                None => beyond.push((c, code)),
            }
        }
        Alphabet::Coded { bmp, beyond }
    }

    /// The code of `c`: its entry in the table, or in the list for characters beyond the
    /// Basic Multilingual Plane; 0 for a character of no phrase.
    #[inline(always)]
    fn code(bmp: &[u8; 0x1_0000], beyond: &[(char, u8)], c: char) -> u8 {
        match bmp.get(c as usize) {
            Some(&code) => code,
            None => beyond.iter().find(|(x, _)| *x == c).map_or(0, |&(_, code)| code),
        }
    }

    fn code_phrase(&self, phrase: &str) -> Vec<u8> {
        match self {
            Alphabet::Coded { bmp, beyond } => phrase.chars().map(|c| Alphabet::code(bmp, beyond, c)).collect(),
            Alphabet::Bytes => phrase.as_bytes().to_vec(),
        }
    }
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
        let alphabet = Alphabet::of(&phrases);
        let coded: Vec<Vec<u8>> = phrases.iter().map(|p| alphabet.code_phrase(p)).collect();
        let matcher = match alphabet {
            // Standard semantics: a match state holds every phrase ending there, the shorter
            // ones inside it included (what an overlapping search reports).
            Alphabet::Coded { bmp, beyond } => Matcher::Coded {
                bmp,
                beyond,
                dfa: Box::new(
                    DFA::builder()
                        .match_kind(MatchKind::Standard)
                        .prefilter(false)
                        .build(&coded)
                        .expect("phrase sets build an automaton"),
                ),
            },
            Alphabet::Bytes => Matcher::Bytes(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&coded)
                    .expect("phrase sets build an automaton"),
            ),
        };
        LiteralSets { matcher, bits }
    }

    /// The bits of every phrase found in `text`.
    pub(crate) fn find(&self, text: &str) -> u64 {
        match &self.matcher {
            Matcher::Coded { bmp, beyond, dfa } => {
                let start = dfa.start_state(Anchored::No).expect("an unanchored automaton");
                let (mut sid, mut bits) = (start, 0);
                for code in text.chars().map(|c| Alphabet::code(bmp, beyond, c)) {
                    // No phrase holds code 0: it leads back to the start.
                    if code == 0 {
                        sid = start;
                        continue;
                    }
                    sid = dfa.next_state(Anchored::No, sid, code);
                    if dfa.is_special(sid) && dfa.is_match(sid) {
                        for i in 0..dfa.match_len(sid) {
                            bits |= self.bits[dfa.match_pattern(sid, i).as_usize()];
                        }
                    }
                }
                bits
            }
            Matcher::Bytes(automaton) => automaton
                .find_overlapping_iter(text.as_bytes())
                .fold(0, |acc, m| acc | self.bits[m.pattern().as_usize()]),
        }
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
        assert!(matches!(s.matcher, Matcher::Coded { .. }));
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

    /// Each character of the phrases has its own code, of one to four UTF-8 bytes alike;
    /// every other character has 0.
    #[test]
    fn the_phrases_characters_have_codes_of_their_own() {
        let s = sets(&[("aé中", 1), ("\u{20000}", 2), ("\u{FFFF}ß", 4)]);
        let Matcher::Coded { bmp, beyond, .. } = &s.matcher else { panic!("a coded alphabet") };
        let code = |c| Alphabet::code(bmp, beyond, c);
        let mut codes: Vec<u8> = "aé中\u{20000}\u{FFFF}ß".chars().map(code).collect();
        assert!(codes.iter().all(|&c| c != 0), "{codes:?}");
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 6);
        for c in ['x', '，', '\u{7FF}', '\u{800}', '\u{20001}', '\u{10FFFF}'] {
            assert_eq!(code(c), 0, "{c:?}");
        }
        assert_eq!(s.find("xaé中y"), 1);
        assert_eq!(s.find("\u{20001}\u{20000}"), 2);
        assert_eq!(s.find("\u{FFFF}ß"), 4);
        assert_eq!(s.find("aé\u{20001}中 \u{FFFF}xß"), 0);
    }

    /// Every phrase set, coded or not, finds what a search for each phrase finds.
    #[test]
    fn coded_and_byte_sets_find_what_searching_each_phrase_finds() {
        let phrases = ["转接", "转人工", "人工", "vip", "12315", "315", "找你们领导", "领导", "的", "qq客服"];
        let few: Vec<(&str, u64)> = phrases.iter().enumerate().map(|(i, &p)| (p, 1 << i)).collect();
        // More than 255 characters: the automaton reads the text's bytes.
        let many_chars: String = (0x4E00u32..0x4F10).filter_map(char::from_u32).collect();
        let mut many = few.clone();
        many.push((many_chars.as_str(), 1 << 20));
        let (few, many) = (sets(&few), sets(&many));
        assert!(matches!(few.matcher, Matcher::Coded { .. }));
        assert!(matches!(many.matcher, Matcher::Bytes(_)));
        let pieces =
            ["转", "接", "人", "工", "v", "ip", "123", "15", "找你们", "领", "导", "的", "qq", "客服", "，", "x"];
        for t in crate::text::texts_of_pieces(&pieces, 4) {
            let want = phrases.iter().enumerate().filter(|(_, p)| t.contains(*p)).fold(0, |acc, (i, _)| acc | 1 << i);
            assert_eq!(few.find(&t), want, "{t}");
            assert_eq!(many.find(&t), want, "{t}");
        }
    }
}
