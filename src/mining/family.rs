//! Case families: dialogues grouped by topic and persona. Topics come from the corpus itself:
//! the words that most often lead a dialogue's customer-side TF-IDF ranking become topic
//! seeds, and each dialogue joins the seed that scores highest in it. Each family keeps its
//! statistics and a few representatives, chosen deterministically by quality and id.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::mining::analyze::{DialogueFacts, Persona, Rating};
use crate::mining::corpus::{Corpus, WordClasses};
use crate::mining::input::Role;
use crate::mining::pipeline;
use crate::mining::spill::{RawRecord, Stored};
use crate::mining::vocab::Vocab;

/// Most customer turns an emotion curve follows.
pub const CURVE_LEN: usize = 7;
/// Agent answers whose synonym-group use is counted per position.
pub const POSITIONS: usize = 4;
/// Representatives kept per family.
pub const GOOD_REPS: usize = 8;
pub const POOR_REPS: usize = 6;

/// The topic seeds, best first.
#[derive(Debug, Clone, Default)]
pub struct Topics {
    /// Word ids of the seeds, in rank order.
    pub seeds: Vec<u32>,
    /// How many dialogues ranked each seed among their top three words.
    pub leads: Vec<u64>,
    rank: FxHashMap<u32, usize>,
}

impl Topics {
    /// Picks up to `k` seeds from the lead counts (ties by word).
    pub fn choose(leads: &FxHashMap<u32, u64>, vocab: &Vocab, k: usize) -> Topics {
        let mut all: Vec<(u32, u64)> = leads.iter().map(|(&w, &n)| (w, n)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| vocab.word(a.0).cmp(vocab.word(b.0))));
        all.truncate(k);
        let rank = all.iter().enumerate().map(|(i, (w, _))| (*w, i)).collect();
        Topics { seeds: all.iter().map(|x| x.0).collect(), leads: all.iter().map(|x| x.1).collect(), rank }
    }

    pub fn len(&self) -> usize {
        self.seeds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seeds.is_empty()
    }

    /// The topic of a dialogue: the seed with the highest TF-IDF among its words (ties to the
    /// better-ranked seed); `None` when it holds no seed.
    pub fn topic_of(&self, terms: &[(u32, u32)], df: &[u32], n: u64) -> Option<usize> {
        let total: u32 = terms.iter().map(|t| t.1).sum();
        let mut best: Option<(f64, usize)> = None;
        for &(w, c) in terms {
            let Some(&r) = self.rank.get(&w) else { continue };
            let score = tfidf(c, total, df[w as usize], n);
            let better = match best {
                None => true,
                Some((s, br)) => score > s || (score == s && r < br),
            };
            if better {
                best = Some((score, r));
            }
        }
        best.map(|b| b.1)
    }
}

/// TF-IDF of a word counted `count` times among `total` words of a document.
pub fn tfidf(count: u32, total: u32, df: u32, n: u64) -> f64 {
    tf(count, total) * Vocab::idf(df, n)
}

/// The term frequency: `count` of `total` words (0 for an empty document).
fn tf(count: u32, total: u32) -> f64 {
    if total == 0 { 0.0 } else { f64::from(count) / f64::from(total) }
}

/// The top `k` words of a document by TF-IDF among those `eligible` (ties by word id order of
/// first appearance in the corpus, which is deterministic). `idf[w]` is `Vocab::idf` of word
/// `w`, worked out once for the corpus.
pub fn top_words(terms: &[(u32, u32)], idf: &[f64], k: usize, eligible: impl Fn(u32) -> bool) -> Vec<(u32, f64)> {
    let total: u32 = terms.iter().map(|t| t.1).sum();
    let mut scored: Vec<(u32, f64)> =
        terms.iter().filter(|t| eligible(t.0)).map(|&(w, c)| (w, tf(c, total) * idf[w as usize])).collect();
    let order = |a: &(u32, f64), b: &(u32, f64)| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal).then(a.0.cmp(&b.0));
    // The first `k` in order, without sorting the rest.
    if scored.len() > k && k > 0 {
        scored.select_nth_unstable_by(k - 1, order);
    }
    scored.truncate(k);
    scored.sort_by(order);
    scored
}

/// Which words a family counts, by word id: the customer's that may be keywords and the
/// agent's that may be concepts (the drafts use no others).
pub struct CountedWords<'a> {
    pub customer: &'a [bool],
    pub agent: &'a [bool],
}

impl CountedWords<'_> {
    /// For dialogues without words.
    #[cfg(test)]
    const NONE: CountedWords<'static> = CountedWords { customer: &[], agent: &[] };
}

/// A family's key: its topic (an index into `Topics::seeds`, `None` for no seed) and persona.
pub type FamilyKey = (Option<usize>, Persona);

/// A dialogue kept as a representative, ordered by its sort key.
#[derive(Debug, Clone)]
pub struct Rep {
    /// Quality in thousandths (higher is better).
    pub quality: i32,
    pub facts: DialogueFacts,
}

/// A bounded set of the best (or worst) dialogues by quality, ties by id: the same members
/// whatever order the dialogues arrive in.
#[derive(Debug, Clone, Default)]
pub struct Reservoir {
    cap: usize,
    /// Keep the highest quality (true) or the lowest (false).
    best: bool,
    pub items: Vec<Rep>,
}

impl Reservoir {
    pub fn new(cap: usize, best: bool) -> Self {
        Reservoir { cap, best, items: Vec::new() }
    }

    fn before(&self, a: &Rep, b: &Rep) -> bool {
        self.ranks_before(a.quality, &a.facts, b)
    }

    /// Whether a dialogue of this quality ranks before `other` (by quality, then id and line).
    fn ranks_before(&self, quality: i32, facts: &DialogueFacts, other: &Rep) -> bool {
        let q = if self.best { other.quality.cmp(&quality) } else { quality.cmp(&other.quality) };
        q.then_with(|| facts.id.cmp(&other.facts.id)).then_with(|| facts.line.cmp(&other.facts.line)) == Ordering::Less
    }

    /// Keeps `rep` if it ranks among the `cap` first. Returns what is no longer kept: `rep`
    /// itself, or the item it pushed out.
    pub fn offer(&mut self, rep: Rep) -> Option<Rep> {
        if !self.would_keep(rep.quality, &rep.facts) {
            return Some(rep);
        }
        let at = self.items.iter().position(|x| self.before(&rep, x)).unwrap_or(self.items.len());
        self.items.insert(at, rep);
        if self.items.len() > self.cap { self.items.pop() } else { None }
    }

    /// Whether a dialogue of this quality would be kept (so it is cloned only then).
    fn would_keep(&self, quality: i32, facts: &DialogueFacts) -> bool {
        self.items.len() < self.cap || self.items.last().is_some_and(|worst| self.ranks_before(quality, facts, worst))
    }
}

/// Counts of one rating class per agent position and synonym group.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GroupUse {
    /// Dialogues with an agent answer at that position.
    pub answers: [u64; POSITIONS],
    /// `hits[position][group]`: of those, how many used the group.
    pub hits: [[u64; 32]; POSITIONS],
}

impl GroupUse {
    fn add(&mut self, d: &DialogueFacts) {
        for (pos, a) in d.agent_turns().filter(|t| !t.is_empty()).take(POSITIONS).enumerate() {
            self.answers[pos] += 1;
            // The groups used, lowest bit first.
            let mut groups = a.groups;
            while groups != 0 {
                self.hits[pos][groups.trailing_zeros() as usize] += 1;
                groups &= groups - 1;
            }
        }
    }

    /// Share of answers at `pos` that used group `g`.
    pub fn share(&self, pos: usize, g: usize) -> f32 {
        if self.answers[pos] == 0 { 0.0 } else { self.hits[pos][g] as f32 / self.answers[pos] as f32 }
    }
}

/// Everything kept about one family.
#[derive(Debug, Clone)]
pub struct Family {
    pub key: FamilyKey,
    pub dialogues: u64,
    pub good: u64,
    pub poor: u64,
    pub labelled: u64,
    pub satisfaction_sum: f64,
    pub complaints: u64,
    pub demands: u64,
    pub transfers: u64,
    pub channel_moves: u64,
    /// First transfer per agent position, among well-rated dialogues.
    pub good_transfer_at: [u64; POSITIONS + 1],
    pub good_transfers: u64,
    pub first_anger_sum: f64,
    pub curve_sum: [f64; CURVE_LEN],
    pub curve_n: [u64; CURVE_LEN],
    pub customer_turns_sum: u64,
    pub groups_good: GroupUse,
    pub groups_poor: GroupUse,
    pub groups_all: GroupUse,
    /// Agent words that may be concepts: in how many well-rated dialogues of the family.
    pub agent_words_good: FxHashMap<u32, u32>,
    /// Customer words that may be keywords: in how many of the family's dialogues.
    pub customer_words: FxHashMap<u32, u32>,
    pub vip_words: BTreeMap<String, u64>,
    pub good_reps: Reservoir,
    pub poor_reps: Reservoir,
    /// Dialogues with a supervisor demand (for the customer's demand lines).
    pub demand_reps: Reservoir,
}

impl Family {
    pub fn new(key: FamilyKey) -> Self {
        Family {
            key,
            dialogues: 0,
            good: 0,
            poor: 0,
            labelled: 0,
            satisfaction_sum: 0.0,
            complaints: 0,
            demands: 0,
            transfers: 0,
            channel_moves: 0,
            good_transfer_at: [0; POSITIONS + 1],
            good_transfers: 0,
            first_anger_sum: 0.0,
            curve_sum: [0.0; CURVE_LEN],
            curve_n: [0; CURVE_LEN],
            customer_turns_sum: 0,
            groups_good: GroupUse::default(),
            groups_poor: GroupUse::default(),
            groups_all: GroupUse::default(),
            agent_words_good: FxHashMap::default(),
            customer_words: FxHashMap::default(),
            vip_words: BTreeMap::new(),
            good_reps: Reservoir::new(GOOD_REPS, true),
            poor_reps: Reservoir::new(POOR_REPS, false),
            demand_reps: Reservoir::new(4, true),
        }
    }

    /// Adds a dialogue. `agent_terms` / `customer_terms` are its word ids; only the words
    /// `counted` names are counted (bounded memory). `add_texts` reads the turn texts of a
    /// dialogue that is kept as a representative.
    pub fn add(
        &mut self,
        mut d: DialogueFacts,
        assessed: &Assessed,
        customer_terms: &[(u32, u32)],
        agent_terms: &[(u32, u32)],
        counted: &CountedWords,
        add_texts: &mut dyn FnMut(&mut DialogueFacts) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.dialogues += 1;
        let Assessed { rating, quality, usable } = *assessed;
        if let Some(s) = d.labels.satisfaction {
            self.labelled += 1;
            self.satisfaction_sum += f64::from(s);
        }
        self.complaints += u64::from(d.complaint);
        self.demands += u64::from(d.demand_at.is_some());
        self.transfers += u64::from(d.transfer_at.is_some());
        self.channel_moves += u64::from(d.channel_at.is_some());
        if let Some(w) = &d.vip_word {
            *self.vip_words.entry(w.clone()).or_insert(0) += 1;
        }
        // The anger curve: the customer's turns that said something, in order.
        let mut curve_len = 0;
        for a in d.customer_turns().filter(|t| !t.is_empty()).map(|t| t.anger) {
            if curve_len == 0 {
                self.first_anger_sum += f64::from(a);
            }
            if curve_len < CURVE_LEN {
                self.curve_sum[curve_len] += f64::from(a);
                self.curve_n[curve_len] += 1;
            }
            curve_len += 1;
        }
        self.customer_turns_sum += curve_len as u64;
        self.groups_all.add(&d);
        for &(w, _) in customer_terms {
            if counted.customer[w as usize] {
                *self.customer_words.entry(w).or_insert(0) += 1;
            }
        }
        match rating {
            Rating::Good => {
                self.good += 1;
                self.groups_good.add(&d);
                if let Some(t) = d.transfer_at {
                    self.good_transfers += 1;
                    self.good_transfer_at[usize::from(t).min(POSITIONS)] += 1;
                }
                for &(w, _) in agent_terms {
                    if counted.agent[w as usize] {
                        *self.agent_words_good.entry(w).or_insert(0) += 1;
                    }
                }
            }
            Rating::Poor => {
                self.poor += 1;
                self.groups_poor.add(&d);
            }
            Rating::Middle => {}
        }
        let q = (quality * 1000.0).round() as i32;
        // `d` may come without its texts (`spill::RawRecord::decode_without_texts`): they are
        // added when a representative is kept, which its texts do not decide.
        let keep_demand = d.demand_at.is_some() && self.demand_reps.would_keep(q, &d);
        let (reps, rep_quality) = match rating {
            Rating::Good => (&mut self.good_reps, q),
            Rating::Poor => (&mut self.poor_reps, q),
            // Without enough well-rated dialogues the better middle ones stand in; they
            // always rank below every well-rated one.
            Rating::Middle => (&mut self.good_reps, q - 100_000),
        };
        let keep_rep = usable && reps.would_keep(rep_quality, &d);
        if keep_demand || keep_rep {
            add_texts(&mut d)?;
        }
        if keep_demand {
            self.demand_reps.offer(Rep { quality: q, facts: d.clone() });
        }
        if keep_rep {
            reps.offer(Rep { quality: rep_quality, facts: d });
        }
        Ok(())
    }

    pub fn mean_satisfaction(&self) -> Option<f32> {
        (self.labelled > 0).then(|| (self.satisfaction_sum / self.labelled as f64) as f32)
    }

    pub fn mean_first_anger(&self) -> f32 {
        if self.dialogues == 0 { 0.0 } else { (self.first_anger_sum / self.dialogues as f64) as f32 }
    }

    pub fn curve(&self) -> Vec<f32> {
        (0..CURVE_LEN)
            .filter(|&i| self.curve_n[i] > 0)
            .map(|i| (self.curve_sum[i] / self.curve_n[i] as f64) as f32)
            .collect()
    }

    pub fn rate(&self, k: u64) -> f32 {
        if self.dialogues == 0 { 0.0 } else { k as f32 / self.dialogues as f32 }
    }
}

/// Every family, with the counts per topic of the dialogues they hold.
pub(crate) struct FamilyTable {
    pub families: BTreeMap<FamilyKey, Family>,
    pub topic_dialogues: Vec<u64>,
    /// Per topic, dialogues per persona (`Persona::as_u8`).
    pub topic_personas: Vec<[u64; Persona::ALL.len()]>,
    /// Per topic, dialogues per keyword.
    pub topic_words: Vec<FxHashMap<u32, u32>>,
}

impl FamilyTable {
    /// Reads the corpus's spill and puts every dialogue in its family (topic × persona), in
    /// input order (a family's sums of real numbers depend on it). The texts are read only for
    /// the dialogues kept as representatives.
    pub(crate) fn group(corpus: &Corpus, topics: &Topics, words: &WordClasses) -> std::io::Result<FamilyTable> {
        let (n, vocab) = (corpus.dialogues(), &corpus.vocab);
        let counted = CountedWords { customer: &words.keyword, agent: &words.concept };
        let mut table = FamilyTable {
            families: BTreeMap::new(),
            topic_dialogues: vec![0; topics.len()],
            topic_personas: vec![[0; Persona::ALL.len()]; topics.len()],
            topic_words: vec![FxHashMap::default(); topics.len()],
        };
        pipeline::over_spill(
            &corpus.spill,
            |raw: RawRecord| {
                let stored = raw.decode_without_texts()?;
                let assessed = Assessed::of(&stored.facts, stored.usable);
                // The customer's words decide; when they hold no topic word, the agent's (agents
                // often restate the problem: "关于您反映的宽带问题").
                let topic = topics
                    .topic_of(&stored.customer_terms, &vocab.df_customer, n)
                    .or_else(|| topics.topic_of(&stored.agent_terms, &vocab.df_agent, n));
                Ok((stored, raw, topic, assessed))
            },
            |batch: Vec<(Stored, RawRecord, Option<usize>, Assessed)>| {
                for (stored, raw, topic, assessed) in batch {
                    table.add(stored, &raw, topic, &assessed, &counted)?;
                }
                Ok(())
            },
        )?;
        Ok(table)
    }

    fn add(
        &mut self,
        s: Stored,
        raw: &RawRecord,
        topic: Option<usize>,
        assessed: &Assessed,
        counted: &CountedWords,
    ) -> std::io::Result<()> {
        if let Some(t) = topic {
            self.topic_dialogues[t] += 1;
            self.topic_personas[t][usize::from(s.facts.persona.as_u8())] += 1;
            let words = &mut self.topic_words[t];
            for &(w, _) in &s.customer_terms {
                if counted.customer[w as usize] {
                    *words.entry(w).or_insert(0) += 1;
                }
            }
        }
        let key = (topic, s.facts.persona);
        self.families.entry(key).or_insert_with(|| Family::new(key)).add(
            s.facts,
            assessed,
            &s.customer_terms,
            &s.agent_terms,
            counted,
            &mut |facts| raw.texts_into(facts),
        )
    }
}

/// What `Family::add` asks of a dialogue beyond its counts, worked out where it is decoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessed {
    pub rating: Rating,
    pub quality: f32,
    /// It can serve as a representative (`usable_as_script`).
    pub usable: bool,
}

impl Assessed {
    /// `usable` is `usable_as_script(d)`, worked out where the texts were (see `spill::Stored`).
    pub fn of(d: &DialogueFacts, usable: bool) -> Assessed {
        Assessed { rating: d.rating(), quality: d.quality(), usable }
    }
}

/// A dialogue a script can be built on: the customer says something real first and an agent
/// answers it with more than a word or two.
pub(crate) fn usable_as_script(d: &DialogueFacts) -> bool {
    let mut turns = d.turns.iter().filter(|t| !t.is_empty());
    // At least six characters of content (`content_chars`), counted no further.
    let enough = |text: &str| text.chars().filter(|&c| crate::text::normalize::is_content_char(c)).nth(5).is_some();
    match (turns.next(), turns.next()) {
        (Some(c), Some(a)) => c.role == Role::Customer && a.role == Role::Agent && enough(&c.text) && enough(&a.text),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mining::input::Labels;

    /// The top words are the first of all the words sorted by TF-IDF, then id.
    #[test]
    fn top_words_are_the_first_of_the_sorted_words() {
        let (n, df) = (1000, [1u32, 5, 5, 20, 100, 999, 1, 3]);
        let idf: Vec<f64> = df.iter().map(|&d| Vocab::idf(d, n)).collect();
        let mut rng = 17u64;
        for _ in 0..2000 {
            let mut terms: Vec<(u32, u32)> = Vec::new();
            for w in 0..df.len() as u32 {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                if rng >> 62 != 0 {
                    terms.push((w, (rng >> 40) as u32 % 4 + 1));
                }
            }
            let eligible = |w: u32| w != 6;
            let total: u32 = terms.iter().map(|t| t.1).sum();
            let mut all: Vec<(u32, f64)> =
                terms.iter().filter(|t| eligible(t.0)).map(|&(w, c)| (w, tfidf(c, total, df[w as usize], n))).collect();
            all.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap().then(a.0.cmp(&b.0)));
            for k in [0, 1, 3, 10] {
                let want: Vec<(u32, f64)> = all.iter().take(k).copied().collect();
                assert_eq!(top_words(&terms, &idf, k, eligible), want, "{terms:?} k={k}");
            }
        }
    }

    fn facts(id: &str, sat: f32) -> DialogueFacts {
        DialogueFacts {
            input: 0,
            line: 1,
            id: id.into(),
            labels: Labels { satisfaction: Some(sat), ..Labels::default() },
            turns: vec![],
            persona: Persona::Normal,
            vip_word: None,
            demand_at: None,
            transfer_at: None,
            channel_at: None,
            complaint: false,
            truncated_turns: 0,
            empty_turns: 0,
            redactions: Default::default(),
        }
    }

    #[test]
    fn texts_are_read_back_for_the_kept_dialogues_only() {
        let mut family = Family::new((None, Persona::Normal));
        let mut given = Vec::new();
        // Rising quality: each well-rated dialogue is kept when it comes, and the first ones
        // are pushed out again; the poorly rated ones stay only while there is room.
        for i in 0..30 {
            let sat = if i % 2 == 0 { 0.3 + 0.05 * i as f32 } else { -1.0 };
            let d = facts(&format!("d{i:02}"), sat);
            let assessed = Assessed::of(&d, true);
            let mut add_texts = |f: &mut DialogueFacts| {
                given.push(f.id.clone());
                f.truncated_turns = 99; // stands for the texts
                Ok(())
            };
            family.add(d, &assessed, &[], &[], &CountedWords::NONE, &mut add_texts).unwrap();
        }
        let kept: Vec<&DialogueFacts> =
            family.good_reps.items.iter().chain(&family.poor_reps.items).map(|r| &r.facts).collect();
        assert_eq!(kept.len(), GOOD_REPS + POOR_REPS);
        assert!(kept.iter().all(|f| f.truncated_turns == 99), "every kept dialogue has its texts");
        // All 15 well-rated ones were kept when they came; of the poorly rated, the first six.
        assert_eq!(given.len(), 15 + POOR_REPS, "{given:?}");
        // An unusable dialogue is never kept, so its texts are never read.
        let d = facts("e", 2.0);
        let assessed = Assessed::of(&d, false);
        family.add(d, &assessed, &[], &[], &CountedWords::NONE, &mut |_| panic!("texts read")).unwrap();
        // A damaged record is an error, not a dialogue kept without its texts.
        let d = facts("f", 2.0);
        let assessed = Assessed::of(&d, true);
        let damaged = family.add(d, &assessed, &[], &[], &CountedWords::NONE, &mut |_| Err(std::io::Error::other("x")));
        assert!(damaged.is_err());
    }

    #[test]
    fn reservoir_is_order_independent() {
        let items = [("a", 0.5), ("b", 1.5), ("c", 0.5), ("d", -1.0), ("e", 1.5)];
        let run = |order: &[usize]| {
            let mut r = Reservoir::new(3, true);
            for &i in order {
                let (id, q) = items[i];
                r.offer(Rep { quality: (q * 1000.0) as i32, facts: facts(id, q) });
            }
            r.items.iter().map(|x| x.facts.id.clone()).collect::<Vec<_>>()
        };
        assert_eq!(run(&[0, 1, 2, 3, 4]), vec!["b", "e", "a"]);
        assert_eq!(run(&[4, 3, 2, 1, 0]), vec!["b", "e", "a"]);
        let mut worst = Reservoir::new(2, false);
        let mut dropped = Vec::new();
        for (id, q) in items {
            dropped.extend(worst.offer(Rep { quality: (q * 1000.0) as i32, facts: facts(id, q) }).map(|r| r.facts.id));
        }
        // What is not kept comes back: pushed out (b by c, c by d) or rejected (e).
        dropped.sort();
        assert_eq!(dropped, vec!["b", "c", "e"]);
        assert_eq!(worst.items.iter().map(|x| x.facts.id.as_str()).collect::<Vec<_>>(), vec!["d", "a"]);
    }
}
