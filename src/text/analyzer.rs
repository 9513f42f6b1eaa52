//! The `Analyzer`: jieba segmentation plus the lexicons, built once and shared by all scoring.

use rustc_hash::{FxHashMap, FxHashSet};
use std::ops::Range;

use jieba_rs::Jieba;

use crate::lexicon::{LexiconKind, LexiconSet};
use crate::text::acts::{ActReport, CompiledActs};
use crate::text::normalize::{is_clause_break, normalize};
use crate::text::phrases::PhraseIndex;

/// The synonym group whose phrases announce a transfer to the customer ("我为您转接主管").
pub const TRANSFER_ANNOUNCEMENT_GROUP: &str = "转接告知";

/// How many tokens before a phrase a negator may stand and still negate it.
const NEGATION_REACH: usize = 4;

/// A token of the normalised text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte range in `Analyzed::norm`.
    pub span: Range<usize>,
    pub negator: bool,
    /// Punctuation that ends a clause.
    pub clause_break: bool,
}

/// A text ready for matching: normalised, segmented, with the places where a phrase may start
/// and end.
#[derive(Debug, Clone)]
pub struct Analyzed {
    pub original: String,
    pub norm: String,
    pub tokens: Vec<Token>,
    /// Per byte of `norm` (length `norm.len() + 1`): `WORD_START` when a word may start there,
    /// `WORD_END` when one may end there.
    boundaries: Vec<u8>,
    /// The matching text of act rules and concepts: `norm` without filler words (非常, 特别 …),
    /// with characters folded (你 → 您) and without the spaces an input method puts around
    /// numbers ("48 小时"), so "我特别理解你" reads as "我理解您".
    pub key: String,
    /// Per byte of `key`: the byte range in `norm` of the character it comes from.
    key_map: Vec<(u32, u32)>,
    sentences: Vec<Range<usize>>,
    clauses: Vec<Range<usize>>,
    /// The byte offset in `original` of each character (one more at the end), when normalising
    /// kept one character for one (it does but for rare conversions).
    original_chars: Option<Vec<u32>>,
    /// The byte offset in `norm` of each character.
    norm_chars: Vec<u32>,
}

impl Analyzed {
    pub fn token_text(&self, i: usize) -> &str {
        &self.norm[self.tokens[i].span.clone()]
    }

    /// True when `range` starts and ends on word boundaries.
    pub fn on_word_boundaries(&self, range: &Range<usize>) -> bool {
        self.is_boundary(range.start, true) && self.is_boundary(range.end, false)
    }

    /// True when a word may start (`start`) or end at byte `offset` of `norm`.
    pub fn is_boundary(&self, offset: usize, start: bool) -> bool {
        let flag = if start { WORD_START } else { WORD_END };
        self.boundaries.get(offset).is_some_and(|b| b & flag != 0)
    }

    /// The byte offset in `norm` of byte `i` of `key`: where its character starts (`start`),
    /// or where the character before it ends.
    pub fn key_to_norm(&self, i: usize, start: bool) -> usize {
        if start {
            self.key_map.get(i).map_or(self.norm.len(), |m| m.0 as usize)
        } else {
            i.checked_sub(1).and_then(|j| self.key_map.get(j)).map_or(0, |m| m.1 as usize)
        }
    }

    /// The matching text of a byte range of `norm`.
    pub fn key_of(&self, range: &Range<usize>) -> &str {
        let from = self.key_map.partition_point(|m| (m.0 as usize) < range.start);
        let to = self.key_map.partition_point(|m| (m.0 as usize) < range.end);
        &self.key[from..to]
    }

    /// The text the trainee wrote for a byte range of `norm` (normalising keeps one character
    /// for one; should it not, the normalised text is given).
    pub fn original_of(&self, range: &Range<usize>) -> String {
        match &self.original_chars {
            Some(bytes) => {
                let (from, to) = (self.char_offset(range.start), self.char_offset(range.end));
                self.original[bytes[from] as usize..bytes[to] as usize].trim().to_string()
            }
            None => self.norm[range.clone()].trim().to_string(),
        }
    }

    /// The character offset of byte `offset` of `norm`.
    pub fn char_offset(&self, offset: usize) -> usize {
        self.norm_chars.partition_point(|&b| (b as usize) < offset)
    }

    /// Index of the token holding byte `offset`.
    pub fn token_at(&self, offset: usize) -> usize {
        // Tokens are in text order: the last one starting at or before `offset`.
        self.tokens.partition_point(|t| t.span.start <= offset).saturating_sub(1)
    }

    /// True when the phrase at `range` is negated: a negator stands before it in the same
    /// clause, at most a few tokens back (an odd number of them: "不是不能" is not negated).
    /// The 不 or 没 of a question in the A-not-A form ("是不是有病", "能不能告诉我",
    /// "有没有办法") negates nothing.
    pub fn is_negated(&self, range: &Range<usize>, negators: &Negators) -> bool {
        if self.tokens.is_empty() {
            return false;
        }
        let first = self.token_at(range.start);
        let mut count = 0;
        // Inside the token that holds the phrase: e.g. the added word "不能退款" holds "退款".
        let token = &self.tokens[first];
        if token.span.start < range.start {
            let prefix = &self.norm[token.span.start..range.start];
            // Each suffix of the prefix (a part of one token: a few characters).
            let negated_prefix = prefix
                .char_indices()
                .any(|(i, _)| negators.contains(&prefix[i..]) && !self.asks_a_not_a(token.span.start + i));
            if negated_prefix {
                count += 1;
            }
        }
        for i in (first.saturating_sub(NEGATION_REACH)..first).rev() {
            let t = &self.tokens[i];
            if t.clause_break {
                break;
            }
            if t.negator && !self.asks_a_not_a(t.span.start) {
                count += 1;
            }
        }
        count % 2 == 1
    }

    /// True when the negator starting at byte `at` is the middle of an A-not-A question: the
    /// character before it is the one after its 不 or 没 (是不是, 能不能, 有没有, 可不可以).
    fn asks_a_not_a(&self, at: usize) -> bool {
        let mut after = self.norm[at..].chars();
        if !matches!(after.next(), Some('不' | '没')) {
            return false;
        }
        let before = self.norm[..at].chars().next_back();
        before.is_some() && before == after.next()
    }

    /// Byte ranges of the sentences (split at 。！？ and line breaks).
    pub fn sentences(&self) -> &[Range<usize>] {
        &self.sentences
    }

    /// Byte ranges of the clauses (split at any clause punctuation).
    pub fn clauses(&self) -> &[Range<usize>] {
        &self.clauses
    }
}

fn split_ranges(text: &str, is_break: fn(char) -> bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if is_break(c) {
            if i > start {
                out.push(start..i);
            }
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// Marker payload of the shared tone index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneMarker {
    pub kind: LexiconKind,
    pub weight: f32,
}

/// jieba with the lexicons and every scenario phrase in its dictionary, and the tone markers
/// compiled for fast matching. Build it once (about 0.1 s) and share it; cloning is cheaper
/// than building when a copy with extra phrases is needed.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Jieba,
    lexicons: LexiconSet,
    negators: Negators,
    tone_index: PhraseIndex<ToneMarker>,
    /// Phrases that tell the customer they are being transferred (the lexicon group
    /// `TRANSFER_ANNOUNCEMENT_GROUP`).
    transfer_index: PhraseIndex<()>,
    /// The act rules, compiled.
    acts: CompiledActs,
    /// Every word added to the dictionary, with the inner word boundaries (byte offsets) jieba
    /// saw in it before it was added: an added phrase is kept whole, yet the words inside it
    /// ("您" in "我教您", "请" in "请放心") can still be matched.
    added: FxHashMap<String, Vec<usize>>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").field("lexicons", &self.lexicons.lexicons.len()).finish()
    }
}

impl Analyzer {
    /// Builds jieba with its default dictionary and the lexicons' phrases added.
    pub fn new(lexicons: LexiconSet) -> Self {
        Analyzer::with_jieba(lexicons, Jieba::new())
    }

    /// As `new`, from a jieba with the default dictionary already loaded (a clone of one the
    /// caller also uses: loading the dictionary is the slow part).
    pub fn with_jieba(mut lexicons: LexiconSet, jieba: Jieba) -> Self {
        let checked = lexicons.take_checked_acts();
        let negators: Negators = lexicons.markers(LexiconKind::Negation).map(|(p, _)| normalize(p)).collect();
        let mut tone_entries = Vec::new();
        for lexicon in &lexicons.lexicons {
            if lexicon.kind == LexiconKind::Negation || lexicon.kind == LexiconKind::Synonyms {
                continue;
            }
            for (phrase, weight) in &lexicon.markers {
                tone_entries.push((phrase.clone(), ToneMarker { kind: lexicon.kind, weight: *weight }));
            }
        }
        let mut words: Vec<String> = tone_entries.iter().map(|(p, _)| normalize(p)).collect();
        words.extend(negators.iter().cloned());
        for phrases in lexicons.lexicons.iter().flat_map(|l| l.groups.values()) {
            words.extend(phrases.iter().map(|p| normalize(p)));
        }
        words.extend(lexicons.acts.classes.values().flatten().map(|w| normalize(w)));
        let acts = match checked {
            Some(acts) => acts,
            None => CompiledActs::compile(&lexicons.acts).expect("act rules are checked when the lexicons are loaded"),
        };
        let tone_index = PhraseIndex::build(tone_entries);
        let transfer_index = PhraseIndex::build(
            lexicons.group(TRANSFER_ANNOUNCEMENT_GROUP).unwrap_or_default().iter().map(|p| (p.clone(), ())),
        );
        let mut analyzer =
            Analyzer { jieba, lexicons, tone_index, transfer_index, acts, added: FxHashMap::default(), negators };
        analyzer.add_normalized(words);
        analyzer
    }

    /// An analyzer with the shipped lexicons.
    pub fn with_embedded_lexicons() -> Self {
        Analyzer::new(LexiconSet::embedded())
    }

    /// Adds phrases (a scenario's concepts, red lines …) to the dictionary so that jieba keeps
    /// them whole. Adding a phrase twice is harmless.
    pub fn add_phrases<'a>(&mut self, phrases: impl IntoIterator<Item = &'a str>) {
        self.add_normalized(phrases.into_iter().map(normalize).collect());
    }

    fn add_normalized(&mut self, words: Vec<String>) {
        // Inner boundaries are taken before any of the words is added, so they are those of
        // the dictionary the analyzer started from.
        let mut fresh: Vec<(String, Vec<usize>)> = Vec::new();
        for word in words {
            let word = word.trim();
            if word.chars().count() < 2 || self.added.contains_key(word) || fresh.iter().any(|(w, _)| w == word) {
                continue;
            }
            let inner: Vec<usize> =
                self.jieba.cut(word, true).iter().map(|t| t.byte_end).filter(|&end| end < word.len()).collect();
            fresh.push((word.to_string(), inner));
        }
        for (word, inner) in fresh {
            if !self.jieba.has_word(&word) {
                self.jieba.add_word(&word, None, None);
            }
            self.added.insert(word, inner);
        }
    }

    pub fn lexicons(&self) -> &LexiconSet {
        &self.lexicons
    }

    pub fn negators(&self) -> &Negators {
        &self.negators
    }

    pub fn tone_index(&self) -> &PhraseIndex<ToneMarker> {
        &self.tone_index
    }

    /// The words with which a text tells the customer they are being transferred, if it does
    /// ("我现在为您转接主管"; not "不用转接").
    pub fn announces_transfer(&self, text: &str) -> Option<String> {
        self.transfer_announcement(&self.analyze(text))
    }

    /// As `announces_transfer`, for an already analysed text.
    pub fn transfer_announcement(&self, a: &Analyzed) -> Option<String> {
        self.transfer_index.find(a, &self.negators).into_iter().find(|h| !h.negated).map(|h| h.phrase.to_string())
    }

    /// What an analysed answer does: its acts and conduct, with their evidence.
    pub fn acts_of(&self, a: &Analyzed) -> ActReport {
        self.acts.find(a, &self.negators)
    }

    /// True when the phrase at `range` is negated in either word order: a negator before it
    /// in its clause ("不能退款"), or a refusal after it ("退款我这边办不了").
    pub fn negated_either_way(&self, a: &Analyzed, range: &Range<usize>) -> bool {
        a.is_negated(range, &self.negators) || self.acts.is_negated_after(a, range)
    }

    /// The compiled act rules (questions, hedges, topic patterns).
    pub fn act_rules(&self) -> &CompiledActs {
        &self.acts
    }

    /// Normalises and segments a text.
    pub fn analyze(&self, text: &str) -> Analyzed {
        self.analyze_owned(text.to_string())
    }

    /// As `analyze`, keeping `text` itself as the original (no copy).
    pub fn analyze_owned(&self, text: String) -> Analyzed {
        let norm = normalize(&text);
        let mut boundaries = vec![0u8; norm.len() + 1];
        let cut = self.jieba.cut(&norm, true);
        let mut tokens = Vec::with_capacity(cut.len());
        for tok in cut {
            let span = tok.byte_start..tok.byte_end;
            boundaries[span.start] |= WORD_START;
            boundaries[span.end] |= WORD_END;
            let chars = tok.end - tok.start;
            if chars >= 2 {
                // Single characters are never added words, nor hold inner words.
                if let Some(inner) = self.added.get(tok.word) {
                    for &b in inner {
                        boundaries[span.start + b] |= WORD_START | WORD_END;
                    }
                }
                if chars >= 3 {
                    self.mark_inner_words(tok.word, span.start, &mut boundaries);
                }
            }
            // Punctuation ends a clause; a space alone does not ("不 退款" is still negated).
            let clause_break = tok.word.chars().all(|c| is_clause_break(c) || c.is_whitespace())
                && tok.word.chars().any(is_clause_break);
            let negator = self.negators.contains(tok.word);
            tokens.push(Token { negator, clause_break, span });
        }
        // Inside a run of ASCII letters and digits no word starts or ends: jieba cuts "usb"
        // into "u" + "sb" when "sb" is in its dictionary, and "12315" holds "315".
        let mut previous = None;
        for (i, c) in norm.char_indices() {
            if previous.is_some_and(|p: char| p.is_ascii_alphanumeric()) && c.is_ascii_alphanumeric() {
                boundaries[i] = 0;
            }
            previous = Some(c);
        }
        let (key, key_map) = self.matching_text(&norm, &tokens);
        let sentences = split_ranges(&norm, crate::text::normalize::is_sentence_break);
        let clauses = split_ranges(&norm, is_clause_break);
        let offsets =
            |s: &str| -> Vec<u32> { s.char_indices().map(|(i, _)| i as u32).chain([s.len() as u32]).collect() };
        let norm_chars = offsets(&norm);
        let original_chars = Some(offsets(&text)).filter(|o| o.len() == norm_chars.len());
        Analyzed {
            original: text,
            norm,
            tokens,
            boundaries,
            key,
            key_map,
            sentences,
            clauses,
            original_chars,
            norm_chars,
        }
    }

    /// The matching text: the tokens that are not fillers, with characters folded.
    fn matching_text(&self, norm: &str, tokens: &[Token]) -> (String, Vec<(u32, u32)>) {
        let mut key = String::with_capacity(norm.len());
        let mut map = Vec::with_capacity(norm.len());
        for (n, t) in tokens.iter().enumerate() {
            let word = &norm[t.span.clone()];
            if self.acts.fillers.contains(word) {
                continue;
            }
            // Spaces an input method puts around numbers and Latin words ("48 小时", "WiFi 通话")
            // are left out; a space between two Latin words or numbers stays.
            if word.chars().all(char::is_whitespace) {
                let before = key.chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric());
                let after = tokens
                    .get(n + 1)
                    .and_then(|next| norm[next.span.clone()].chars().next())
                    .is_some_and(|c| c.is_ascii_alphanumeric());
                if !(before && after) {
                    continue;
                }
            }
            for (i, c) in word.char_indices() {
                let from = (t.span.start + i) as u32;
                let range = (from, from + c.len_utf8() as u32);
                match self.acts.folds.iter().find(|(f, _)| *f == c) {
                    Some((_, to)) => {
                        key.push_str(to);
                        map.extend(std::iter::repeat_n(range, to.len()));
                    }
                    None => {
                        key.push(c);
                        map.extend(std::iter::repeat_n(range, c.len_utf8()));
                    }
                }
            }
        }
        (key, map)
    }

    /// Marks the 2- and 3-character dictionary words inside a longer token as word boundaries,
    /// so "抱歉" is found inside the added phrase "非常抱歉" while "请" is not found in "申请".
    fn mark_inner_words(&self, word: &str, base: usize, boundaries: &mut [u8]) {
        let mut offsets = [0usize; 17];
        let mut n = 0;
        for (i, _) in word.char_indices().take(16) {
            offsets[n] = i;
            n += 1;
        }
        if n == 16 {
            return; // a 16-character token holds no phrase worth splitting out
        }
        offsets[n] = word.len();
        for width in 2..=3 {
            for i in 0..n.saturating_sub(width - 1) {
                let (a, b) = (offsets[i], offsets[i + width]);
                if (a, b) != (0, word.len()) && self.jieba.has_word(&word[a..b]) {
                    boundaries[base + a] |= WORD_START;
                    boundaries[base + b] |= WORD_END;
                }
            }
        }
    }
}

/// Boundary flags of `Analyzed::boundaries`.
const WORD_START: u8 = 1;
const WORD_END: u8 = 2;

/// The negators, hashed fast (they are looked up for every token).
pub type Negators = FxHashSet<String>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    pub(crate) fn analyzer() -> &'static Analyzer {
        static A: OnceLock<Analyzer> = OnceLock::new();
        A.get_or_init(Analyzer::with_embedded_lexicons)
    }

    fn find(a: &Analyzed, phrase: &str) -> Range<usize> {
        let start = a.norm.find(phrase).unwrap();
        start..start + phrase.len()
    }

    #[test]
    fn added_words_and_negators_are_found_whole() {
        let mut an = analyzer().clone();
        // A rare first character (U+4E8D), written as an escape: the app's font need not draw it.
        an.add_phrases(["\u{4E8D}\u{4E8D}回首", "\u{20000}办理"]);
        for word in ["\u{4E8D}\u{4E8D}回首", "\u{20000}办理"] {
            let a = an.analyze(&format!("好的{word}了"));
            assert!(a.tokens.iter().any(|t| &a.norm[t.span.clone()] == word), "{word}: {:?}", a.tokens);
        }
        let a = an.analyze("这个不能退款");
        assert!(a.tokens.iter().any(|t| t.negator && &a.norm[t.span.clone()] == "不能"), "{:?}", a.tokens);
        assert!(a.tokens.iter().filter(|t| t.negator).count() == 1, "{:?}", a.tokens);
    }

    #[test]
    fn no_word_starts_or_ends_inside_a_latin_run() {
        let an = analyzer();
        let a = an.analyze("usb坏了，打12315");
        assert!(!a.on_word_boundaries(&find(&a, "sb")) && !a.on_word_boundaries(&find(&a, "315")));
        assert!(a.on_word_boundaries(&find(&a, "usb")) && a.on_word_boundaries(&find(&a, "12315")));
    }

    #[test]
    fn negation_in_the_same_clause() {
        let an = analyzer();
        let a = an.analyze("不好意思，这个订单不能退款");
        assert!(an.negators().contains("不能"));
        assert!(a.is_negated(&find(&a, "退款"), an.negators()));
        let b = an.analyze("没问题，马上给您退款");
        assert!(!b.is_negated(&find(&b, "退款"), an.negators()));
        let c = an.analyze("我们无法为您办理退款");
        assert!(c.is_negated(&find(&c, "退款"), an.negators()));
    }

    #[test]
    fn an_a_not_a_question_negates_nothing() {
        let an = analyzer();
        for (text, phrase) in [
            ("您是不是有病啊", "有病"),
            ("您能不能告诉我订单号", "告诉"),
            ("有没有办法加急", "办法"),
            ("可不可以退款", "退款"),
        ] {
            let a = an.analyze(text);
            assert!(!a.is_negated(&find(&a, phrase), an.negators()), "{text}");
        }
        // A negator after another word still negates.
        let a = an.analyze("我们不能告诉您");
        assert!(a.is_negated(&find(&a, "告诉"), an.negators()));
        let b = an.analyze("这个没有办法加急");
        assert!(b.is_negated(&find(&b, "办法"), an.negators()));
    }

    #[test]
    fn negation_does_not_cross_clauses() {
        let an = analyzer();
        let a = an.analyze("不用担心，已经为您退款了");
        assert!(!a.is_negated(&find(&a, "退款"), an.negators()));
    }

    #[test]
    fn inner_words_of_added_phrases_are_boundaries() {
        let an = analyzer();
        let a = an.analyze("非常抱歉给您添麻烦了");
        assert!(a.on_word_boundaries(&find(&a, "抱歉")));
        let b = an.analyze("您可以在线申请");
        assert!(!b.on_word_boundaries(&find(&b, "请")));
    }

    #[test]
    fn words_inside_added_phrases_still_match() {
        let mut an = analyzer().clone();
        an.add_phrases(["我教您", "联系您"]);
        let a = an.analyze("不着急，我教您。稍后联系您");
        assert!(a.on_word_boundaries(&find(&a, "您")), "{:?}", a.tokens);
        let t = an.tone_of(&a);
        assert!(t.evidence.iter().filter(|e| e.matched == "您").count() >= 1, "{t:?}");
        let b = an.analyze("请放心");
        assert!(b.on_word_boundaries(&find(&b, "请")));
    }

    #[test]
    fn transfer_announcements() {
        let an = analyzer();
        assert_eq!(an.announces_transfer("好的，我现在为您转接主管").as_deref(), Some("转接"));
        assert_eq!(an.announces_transfer("这个不用转接，我来处理"), None);
        assert_eq!(an.announces_transfer("我马上帮您查"), None);
    }

    #[test]
    fn traditional_input_is_segmented_as_simplified() {
        let an = analyzer();
        let a = an.analyze("對不起，給您添麻煩了");
        assert_eq!(a.norm, "对不起,给您添麻烦了");
        assert!(a.on_word_boundaries(&find(&a, "对不起")));
    }
}
