//! Many phrases found at once in an analysed text, on word boundaries, with negation marked.

use std::collections::HashMap;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::text::analyzer::Analyzed;
use crate::text::normalize::normalize;

/// A set of phrases, each carrying one or more payloads (the same phrase may belong to several
/// concepts or lexicons). Phrases are normalised like the texts they are matched against.
#[derive(Debug, Clone)]
pub struct PhraseIndex<T> {
    automaton: Option<AhoCorasick>,
    phrases: Vec<String>,
    payloads: Vec<Vec<T>>,
}

/// One occurrence of a phrase.
#[derive(Debug, Clone, PartialEq)]
pub struct PhraseHit<'a, T> {
    pub phrase: &'a str,
    /// Byte range in the normalised text.
    pub span: Range<usize>,
    pub negated: bool,
    pub payloads: &'a [T],
}

impl<T> PhraseIndex<T> {
    pub fn build(entries: impl IntoIterator<Item = (String, T)>) -> Self {
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut phrases = Vec::new();
        let mut payloads: Vec<Vec<T>> = Vec::new();
        for (phrase, payload) in entries {
            let norm = normalize(phrase.trim());
            if norm.is_empty() {
                continue;
            }
            let id = *ids.entry(norm.clone()).or_insert_with(|| {
                phrases.push(norm);
                payloads.push(Vec::new());
                phrases.len() - 1
            });
            payloads[id].push(payload);
        }
        let automaton = if phrases.is_empty() {
            None
        } else {
            // Always a DFA (the automaton picks one by itself only up to 100 phrases; the tone
            // markers are more, and the tone stage ran 15 % faster with a DFA); no prefilter: the
            // phrases' first bytes are those of most Chinese characters.
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .prefilter(false)
                    .build(&phrases)
                    .expect("phrase automaton within size limits"),
            )
        };
        PhraseIndex { automaton, phrases, payloads }
    }

    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    pub fn phrases(&self) -> impl Iterator<Item = &str> {
        self.phrases.iter().map(String::as_str)
    }

    /// Every occurrence, overlapping ones included, that starts and ends on word boundaries,
    /// in text order.
    pub fn find<'a>(&'a self, text: &Analyzed, negators: &crate::text::analyzer::Negators) -> Vec<PhraseHit<'a, T>> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        for m in automaton.find_overlapping_iter(&text.norm) {
            let span = m.start()..m.end();
            if !text.on_word_boundaries(&span) {
                continue;
            }
            let id = m.pattern().as_usize();
            hits.push(PhraseHit {
                phrase: &self.phrases[id],
                negated: text.is_negated(&span, negators),
                span,
                payloads: &self.payloads[id],
            });
        }
        hits.sort_by_key(|h| (h.span.start, std::cmp::Reverse(h.span.end)));
        hits
    }

    /// As `find`, on the text's matching text (fillers left out, characters folded) for
    /// phrases keyed the same way; spans are given in the normalised text.
    pub fn find_key<'a>(
        &'a self,
        text: &Analyzed,
        negators: &crate::text::analyzer::Negators,
    ) -> Vec<PhraseHit<'a, T>> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let mut hits = Vec::new();
        for m in automaton.find_overlapping_iter(&text.key) {
            let span = text.key_to_norm(m.start(), true)..text.key_to_norm(m.end(), false);
            if span.start >= span.end || !text.on_word_boundaries(&span) {
                continue;
            }
            let id = m.pattern().as_usize();
            hits.push(PhraseHit {
                phrase: &self.phrases[id],
                negated: text.is_negated(&span, negators),
                span,
                payloads: &self.payloads[id],
            });
        }
        hits.sort_by_key(|h| (h.span.start, std::cmp::Reverse(h.span.end)));
        hits
    }
}

/// Drops hits lying inside a longer hit with the same payload key, so "非常抱歉" counts once,
/// not also as "抱歉".
pub fn drop_nested<T, K: PartialEq>(hits: &mut Vec<(Range<usize>, K, T)>) {
    if hits.len() < 2 {
        return;
    }
    let nested = |i: usize| {
        let (span, key, _) = &hits[i];
        hits.iter().enumerate().any(|(j, (other, other_key, _))| {
            i != j && other.start <= span.start && span.end <= other.end && other.len() > span.len() && key == other_key
        })
    };
    let keep: Vec<bool> = (0..hits.len()).map(|i| !nested(i)).collect();
    let mut k = keep.into_iter();
    hits.retain(|_| k.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_nested_keeps_the_longest_per_key() {
        let mut hits = vec![(0..12, "empathy", 1), (6..12, "empathy", 2), (6..12, "apology", 3)];
        drop_nested(&mut hits);
        assert_eq!(hits.iter().map(|h| h.2).collect::<Vec<_>>(), vec![1, 3]);
    }
}
