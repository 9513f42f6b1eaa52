//! Agreement with people: how far the scores order and separate answers the way a QA team's grades do.
//!
//! The input is a list of graded answers, each with the group it is compared within (a scenario's
//! turn) and its overall score. Three figures come out of it, and the worst disagreements:
//!
//! - **order**: within each group, every pair of answers with different grades is one pair; it
//!   agrees when the answer graded higher has the strictly higher score (a tie disagrees);
//! - **caught**: grade-1 answers (unacceptable) scoring under [`CAUGHT_BELOW`];
//! - **accepted**: grade-5 answers (excellent) scoring [`ACCEPTED_FROM`] or more;
//! - **worst**: the grade-1 answers not caught, highest score first; the grade-5 answers not
//!   accepted, lowest first; the pairs in the wrong order, biggest score gap first. Ties are
//!   broken by line number, so the same input always gives the same lists.
//!
//! The file format of the graded answers (a TSV row, [`Columns`]) is read here too, so the command
//! line only has to find scenarios and score.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::scoring::turn::TurnScore;
use crate::scoring::{RUBRICS, round1, rubric_label};
use crate::session::MAX_ANSWER_CHARS;

/// The lowest grade: unacceptable.
pub const LOWEST_GRADE: u8 = 1;
/// The highest grade: excellent.
pub const HIGHEST_GRADE: u8 = 5;
/// A grade-1 answer is caught when it scores under this.
pub const CAUGHT_BELOW: f32 = 50.0;
/// A grade-5 answer is accepted when it scores this or more.
pub const ACCEPTED_FROM: f32 = 70.0;
/// How many disagreements of each kind are listed unless asked otherwise.
pub const DEFAULT_WORST: usize = 10;

/// One graded and scored answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Graded {
    /// Where the answer is in its file (1-based); it names the answer in every figure.
    pub line: usize,
    /// The people's grade, 1–5.
    pub grade: u8,
    /// Answers are compared only within their group (a scenario's turn).
    pub group: String,
    /// The overall score, 0–100.
    pub score: f32,
}

/// Why a list of graded answers cannot be measured.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AgreementError {
    #[error("第 {line} 行：等级 {grade} 不在 1–5 之内 (grade out of range)")]
    Grade { line: usize, grade: u8 },
    #[error("第 {line} 行：得分不是有限的数 (score is not finite)")]
    Score { line: usize },
    #[error("第 {line} 行出现了不止一次 (line given twice)")]
    DuplicateLine { line: usize },
}

/// Pairs that agree out of all pairs with different grades.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pairs {
    pub agreed: usize,
    pub total: usize,
    /// `agreed / total`; `None` when there is no pair.
    pub ratio: Option<f64>,
}

impl Pairs {
    fn new(agreed: usize, total: usize) -> Self {
        Pairs { agreed, total, ratio: (total > 0).then(|| agreed as f64 / total as f64) }
    }
}

/// The order figure of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupOrder {
    pub group: String,
    pub answers: usize,
    #[serde(flatten)]
    pub pairs: Pairs,
}

/// Pairwise order agreement: over all groups, and group by group (sorted by group).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Order {
    #[serde(flatten)]
    pub pairs: Pairs,
    pub groups: Vec<GroupOrder>,
}

/// How many answers of one grade met a threshold, and those that did not (by line).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    pub met: usize,
    pub total: usize,
    pub not_met: Vec<Graded>,
}

/// Two answers of one group in the wrong order: the one graded higher scored no more.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvertedPair {
    /// The answer with the higher grade.
    pub higher: Graded,
    /// The answer with the lower grade.
    pub lower: Graded,
    /// `lower.score − higher.score`, 0 for a tie.
    pub gap: f32,
}

/// The worst disagreements, at most N of each kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Worst {
    /// Grade-1 answers not caught, highest score first.
    pub grade_1_high: Vec<Graded>,
    /// Grade-5 answers not accepted, lowest score first.
    pub grade_5_low: Vec<Graded>,
    /// Pairs in the wrong order, biggest gap first.
    pub inverted: Vec<InvertedPair>,
}

/// All the figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub answers: usize,
    pub order: Order,
    /// Grade-1 answers scoring under [`CAUGHT_BELOW`].
    pub caught: Threshold,
    /// Grade-5 answers scoring [`ACCEPTED_FROM`] or more.
    pub accepted: Threshold,
    pub worst: Worst,
}

/// Measures the figures, listing at most `worst` disagreements of each kind.
pub fn measure(items: &[Graded], worst: usize) -> Result<Agreement, AgreementError> {
    let mut lines = std::collections::BTreeSet::new();
    for it in items {
        if !(LOWEST_GRADE..=HIGHEST_GRADE).contains(&it.grade) {
            return Err(AgreementError::Grade { line: it.line, grade: it.grade });
        }
        if !it.score.is_finite() {
            return Err(AgreementError::Score { line: it.line });
        }
        if !lines.insert(it.line) {
            return Err(AgreementError::DuplicateLine { line: it.line });
        }
    }
    let mut sorted: Vec<&Graded> = items.iter().collect();
    sorted.sort_by_key(|it| it.line);
    let groups = groups(&sorted);
    let caught = threshold(&sorted, LOWEST_GRADE, |s| s < CAUGHT_BELOW);
    let accepted = threshold(&sorted, HIGHEST_GRADE, |s| s >= ACCEPTED_FROM);
    let worst = Worst {
        grade_1_high: worst_of(&caught.not_met, worst, |a, b| b.total_cmp(&a)),
        grade_5_low: worst_of(&accepted.not_met, worst, |a, b| a.total_cmp(&b)),
        inverted: inverted_pairs(&groups, worst),
    };
    Ok(Agreement { answers: items.len(), order: order(&groups), caught, accepted, worst })
}

/// The answers of each group, by line; groups sorted by name.
fn groups<'a>(sorted: &[&'a Graded]) -> BTreeMap<&'a str, Vec<&'a Graded>> {
    let mut by: BTreeMap<&str, Vec<&Graded>> = BTreeMap::new();
    for it in sorted {
        by.entry(it.group.as_str()).or_default().push(it);
    }
    by
}

/// Every pair of a group with different grades: (higher grade, lower grade).
fn pairs<'a>(items: &'a [&'a Graded]) -> impl Iterator<Item = (&'a Graded, &'a Graded)> + 'a {
    items.iter().enumerate().flat_map(move |(i, a)| {
        items[i + 1..].iter().filter_map(move |b| match a.grade.cmp(&b.grade) {
            Ordering::Greater => Some((*a, *b)),
            Ordering::Less => Some((*b, *a)),
            Ordering::Equal => None,
        })
    })
}

fn order(groups: &BTreeMap<&str, Vec<&Graded>>) -> Order {
    let (mut agreed, mut total) = (0, 0);
    let mut per_group = Vec::new();
    for (group, items) in groups {
        let (mut a, mut t) = (0, 0);
        for (hi, lo) in pairs(items) {
            t += 1;
            a += usize::from(hi.score > lo.score);
        }
        agreed += a;
        total += t;
        per_group.push(GroupOrder { group: group.to_string(), answers: items.len(), pairs: Pairs::new(a, t) });
    }
    Order { pairs: Pairs::new(agreed, total), groups: per_group }
}

fn threshold(sorted: &[&Graded], grade: u8, met: impl Fn(f32) -> bool) -> Threshold {
    let of_grade: Vec<&Graded> = sorted.iter().copied().filter(|it| it.grade == grade).collect();
    let not_met: Vec<Graded> = of_grade.iter().filter(|it| !met(it.score)).map(|it| (*it).clone()).collect();
    Threshold { met: of_grade.len() - not_met.len(), total: of_grade.len(), not_met }
}

/// The first `n` by score (as `by` orders scores), ties by line.
fn worst_of(items: &[Graded], n: usize, by: impl Fn(f32, f32) -> Ordering) -> Vec<Graded> {
    let mut v = items.to_vec();
    v.sort_by(|a, b| by(a.score, b.score).then(a.line.cmp(&b.line)));
    v.truncate(n);
    v
}

fn inverted_pairs(groups: &BTreeMap<&str, Vec<&Graded>>, n: usize) -> Vec<InvertedPair> {
    let mut v: Vec<InvertedPair> = groups
        .values()
        .flat_map(|items| pairs(items))
        .filter(|(hi, lo)| hi.score <= lo.score)
        .map(|(hi, lo)| InvertedPair { higher: hi.clone(), lower: lo.clone(), gap: round1(lo.score - hi.score) })
        .collect();
    let lines = |p: &InvertedPair| {
        let (a, b) = (p.higher.line, p.lower.line);
        (a.min(b), a.max(b))
    };
    v.sort_by(|a, b| b.gap.total_cmp(&a.gap).then_with(|| lines(a).cmp(&lines(b))));
    v.truncate(n);
    v
}

/// What explains one answer's score, for a person reading a disagreement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// Why the score is capped, when it is.
    pub capped: Option<String>,
    /// Red-line phrases the answer crossed.
    pub red_lines: Vec<String>,
    /// Required concepts it lacked, as the trainee sees them.
    pub missed: Vec<String>,
    /// Each applicable rubric with its score and reasons, in the order rubrics are shown.
    pub rubrics: Vec<RubricReasons>,
    /// Evidence the reasons do not show: words that did not count because they were negated,
    /// questions the customer had already answered.
    pub notes: Vec<String>,
}

/// One rubric's part of an explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RubricReasons {
    pub rubric: &'static str,
    pub label: &'static str,
    pub score: f32,
    pub weight: f32,
    pub reasons: Vec<String>,
}

/// The evidence behind a turn score, most telling first: the cap, red lines, missed concepts,
/// then each applicable rubric's reasons.
pub fn explain(score: &TurnScore) -> Explanation {
    let rubrics = RUBRICS
        .iter()
        .filter_map(|name| score.rubrics.get_key_value(name))
        .filter(|(_, r)| r.applicable)
        .map(|(name, r)| RubricReasons {
            rubric: name,
            label: rubric_label(name),
            score: r.score,
            weight: r.weight,
            reasons: r.reasons.clone(),
        })
        .collect();
    let mut notes: Vec<String> = Vec::new();
    for e in score.evidence.iter().filter(|e| matches!(e.kind, "negated" | "asked_again")) {
        if !notes.contains(&e.detail) {
            notes.push(e.detail.clone());
        }
    }
    Explanation {
        capped: score.capped.clone(),
        red_lines: score.red_lines.clone(),
        missed: score.missed_labels.clone(),
        rubrics,
        notes,
    }
}

/// The columns of a graded-answers file, in the order of the standard header.
pub const COLUMNS: [&str; 6] = ["grade", "kind", "scenario", "turn", "mood", "answer"];

/// Where each column is in a line of a graded-answers file (tab-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// For each of [`COLUMNS`], its position in a line.
    at: [usize; 6],
    /// How many columns every line has.
    width: usize,
    /// Header columns that are not among [`COLUMNS`]; their values are not read.
    pub ignored: Vec<String>,
}

/// A header that names the columns but cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("表头缺少列：{} (missing columns)", .0.join("、"))]
    Missing(Vec<&'static str>),
    #[error("表头里“{0}”出现了不止一次 (column named twice)")]
    Duplicate(String),
}

/// One line of a graded-answers file, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    pub grade: u8,
    pub kind: &'a str,
    pub scenario: &'a str,
    pub turn: &'a str,
    /// The customer's mood before the answer; `None` when left empty.
    pub mood: Option<f32>,
    pub answer: &'a str,
}

/// Why a line of a graded-answers file cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RowError {
    #[error("有 {found} 列，应为 {expected} 列（与表头相同） (wrong number of columns)")]
    Columns { found: usize, expected: usize },
    #[error("等级“{0}”不是 1–5 的整数 (grade must be 1–5)")]
    Grade(String),
    #[error("情绪“{0}”不是 0–100 的数 (mood must be 0–100)")]
    Mood(String),
    #[error("没有填场景 (no scenario)")]
    NoScenario,
    #[error("没有填回合 (no turn)")]
    NoTurn,
    #[error("回答为空 (empty answer)")]
    EmptyAnswer,
    #[error("回答有 {chars} 个字，超过上限 {max} 字 (answer too long)")]
    TooLong { chars: usize, max: usize },
}

impl RowError {
    /// What to do about it, in Chinese.
    pub fn hint(&self) -> &'static str {
        match self {
            RowError::Columns { .. } => {
                "每行的列数要与表头相同，列之间用一个制表符（Tab）分隔；mood 可以留空，但它前后的制表符不能省；回答里不能有制表符"
            }
            RowError::Grade(_) => "填 1（不可接受）到 5（优秀）之间的整数",
            RowError::Mood(_) => "填 0–100 之间的数，或留空（用客户的初始情绪）",
            RowError::NoScenario => "填场景 id（如 angry-late-delivery-refund）或场景 .ron 文件的路径",
            RowError::NoTurn => "填这个场景里的回合 id",
            RowError::EmptyAnswer => "填上要评分的回答",
            RowError::TooLong { .. } => "把回答缩短到上限以内",
        }
    }
}

impl Columns {
    /// The standard order, for a file without a header.
    pub fn standard() -> Self {
        Columns { at: [0, 1, 2, 3, 4, 5], width: COLUMNS.len(), ignored: Vec::new() }
    }

    /// Reads a header line (column names in any order, case and surrounding spaces ignored).
    /// `Ok(None)` when the line names none of the columns: the file has no header.
    pub fn from_header(line: &str) -> Result<Option<Self>, HeaderError> {
        let names: Vec<String> = line.split('\t').map(|n| n.trim().to_lowercase()).collect();
        if !names.iter().any(|n| COLUMNS.contains(&n.as_str())) {
            return Ok(None);
        }
        let mut at = [usize::MAX; 6];
        let mut ignored = Vec::new();
        for (i, name) in names.iter().enumerate() {
            match COLUMNS.iter().position(|c| c == name) {
                Some(c) if at[c] != usize::MAX => return Err(HeaderError::Duplicate(name.clone())),
                Some(c) => at[c] = i,
                None => ignored.push(name.clone()),
            }
        }
        let missing: Vec<&'static str> =
            COLUMNS.iter().zip(at).filter(|(_, i)| *i == usize::MAX).map(|(c, _)| *c).collect();
        if !missing.is_empty() {
            return Err(HeaderError::Missing(missing));
        }
        Ok(Some(Columns { at, width: names.len(), ignored }))
    }

    /// How many columns every line must have.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Reads one line (without its line ending). Grade, scenario, turn and mood are trimmed;
    /// the answer is kept as written.
    pub fn row<'a>(&self, line: &'a str) -> Result<Row<'a>, RowError> {
        let cells: Vec<&str> = line.split('\t').collect();
        if cells.len() != self.width {
            return Err(RowError::Columns { found: cells.len(), expected: self.width });
        }
        let cell = |c: usize| cells[self.at[c]];
        let grade_cell = cell(0).trim();
        let grade = grade_cell
            .parse::<u8>()
            .ok()
            .filter(|g| (LOWEST_GRADE..=HIGHEST_GRADE).contains(g))
            .ok_or_else(|| RowError::Grade(grade_cell.to_string()))?;
        let scenario = cell(2).trim();
        if scenario.is_empty() {
            return Err(RowError::NoScenario);
        }
        let turn = cell(3).trim();
        if turn.is_empty() {
            return Err(RowError::NoTurn);
        }
        let mood_cell = cell(4).trim();
        let mood = if mood_cell.is_empty() {
            None
        } else {
            let m = mood_cell.parse::<f32>().ok().filter(|m| m.is_finite() && (0.0..=100.0).contains(m));
            Some(m.ok_or_else(|| RowError::Mood(mood_cell.to_string()))?)
        };
        let answer = cell(5);
        if answer.trim().is_empty() {
            return Err(RowError::EmptyAnswer);
        }
        let chars = answer.chars().count();
        if chars > MAX_ANSWER_CHARS {
            return Err(RowError::TooLong { chars, max: MAX_ANSWER_CHARS });
        }
        Ok(Row { grade, kind: cell(1).trim(), scenario, turn, mood, answer })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(line: usize, grade: u8, group: &str, score: f32) -> Graded {
        Graded { line, grade, group: group.to_string(), score }
    }

    fn lines(v: &[Graded]) -> Vec<usize> {
        v.iter().map(|x| x.line).collect()
    }

    #[test]
    fn empty_input_has_no_pairs_and_no_ratio() {
        let a = measure(&[], DEFAULT_WORST).unwrap();
        assert_eq!(a.answers, 0);
        assert_eq!(a.order.pairs, Pairs { agreed: 0, total: 0, ratio: None });
        assert!(a.order.groups.is_empty());
        assert_eq!((a.caught.met, a.caught.total), (0, 0));
        assert_eq!((a.accepted.met, a.accepted.total), (0, 0));
        assert!(a.worst.grade_1_high.is_empty() && a.worst.grade_5_low.is_empty() && a.worst.inverted.is_empty());
    }

    #[test]
    fn order_counts_pairs_within_groups_and_ties_disagree() {
        // Group a: grades 5, 3, 1 scored 90, 60, 60 — pairs (5,3) ✓, (5,1) ✓, (3,1) tie × → 2/3.
        // Group b: grades 4, 2 scored 40, 80 — (4,2) × → 0/1.
        // Across groups nothing is compared: 2/4 = 0.5.
        let items =
            [g(2, 5, "a", 90.0), g(3, 3, "a", 60.0), g(4, 1, "a", 60.0), g(5, 4, "b", 40.0), g(6, 2, "b", 80.0)];
        let a = measure(&items, DEFAULT_WORST).unwrap();
        assert_eq!(a.order.pairs, Pairs { agreed: 2, total: 4, ratio: Some(0.5) });
        assert_eq!(
            a.order.groups,
            vec![
                GroupOrder {
                    group: "a".into(),
                    answers: 3,
                    pairs: Pairs { agreed: 2, total: 3, ratio: Some(2.0 / 3.0) }
                },
                GroupOrder { group: "b".into(), answers: 2, pairs: Pairs { agreed: 0, total: 1, ratio: Some(0.0) } },
            ]
        );
    }

    #[test]
    fn single_answers_and_equal_grades_make_no_pairs() {
        // "solo" has one answer, "same" three answers all graded 4: no pair in either.
        let items = [g(2, 1, "solo", 99.0), g(3, 4, "same", 10.0), g(4, 4, "same", 90.0), g(5, 4, "same", 50.0)];
        let a = measure(&items, DEFAULT_WORST).unwrap();
        assert_eq!(a.order.pairs, Pairs { agreed: 0, total: 0, ratio: None });
        let groups: Vec<(&str, usize, usize)> =
            a.order.groups.iter().map(|g| (g.group.as_str(), g.answers, g.pairs.total)).collect();
        assert_eq!(groups, vec![("same", 3, 0), ("solo", 1, 0)]);
        assert!(a.order.groups.iter().all(|g| g.pairs.ratio.is_none()));
        assert!(a.worst.inverted.is_empty());
    }

    #[test]
    fn caught_and_accepted_use_strict_and_inclusive_bounds() {
        // Grade 1: 49.9 caught, 50.0 not, 12 caught → 2/3. Grade 5: 70.0 accepted, 69.9 not → 1/2.
        let items = [
            g(2, 1, "a", 49.9),
            g(3, 1, "b", 50.0),
            g(4, 1, "c", 12.0),
            g(5, 5, "d", 70.0),
            g(6, 5, "e", 69.9),
            g(7, 3, "f", 0.0),
        ];
        let a = measure(&items, DEFAULT_WORST).unwrap();
        assert_eq!((a.caught.met, a.caught.total, lines(&a.caught.not_met)), (2, 3, vec![3]));
        assert_eq!((a.accepted.met, a.accepted.total, lines(&a.accepted.not_met)), (1, 2, vec![6]));
    }

    #[test]
    fn worst_lists_are_sorted_with_ties_by_line_and_truncated() {
        let items = [
            // Grade 1 not caught: 80 (line 9), 60 (line 3), 60 (line 2) → 9, 2, 3.
            g(3, 1, "x", 60.0),
            g(9, 1, "y", 80.0),
            g(2, 1, "z", 60.0),
            g(4, 1, "w", 10.0), // caught
            // Grade 5 not accepted: 30 (line 8), 30 (line 5), 65 (line 6) → 5, 8, 6.
            g(6, 5, "p", 65.0),
            g(8, 5, "q", 30.0),
            g(5, 5, "r", 30.0),
            g(7, 5, "s", 95.0), // accepted
        ];
        let a = measure(&items, DEFAULT_WORST).unwrap();
        assert_eq!(lines(&a.worst.grade_1_high), vec![9, 2, 3]);
        assert_eq!(lines(&a.worst.grade_5_low), vec![5, 8, 6]);
        let two = measure(&items, 2).unwrap();
        assert_eq!(lines(&two.worst.grade_1_high), vec![9, 2]);
        assert_eq!(lines(&two.worst.grade_5_low), vec![5, 8]);
        // The figures do not depend on how many are listed.
        assert_eq!((two.caught.met, two.caught.total), (1, 4));
        assert_eq!(measure(&items, 0).unwrap().worst.grade_1_high, vec![]);
    }

    #[test]
    fn inverted_pairs_biggest_gap_first_ties_included() {
        // Group a: line 2 grade 5 scored 40, line 3 grade 2 scored 70, line 4 grade 4 scored 40.
        //   (5,2): 40 ≤ 70, gap 30; (5,4): tie, gap 0; (4,2): 40 ≤ 70, gap 30.
        // Group b: line 5 grade 3 scored 20.5, line 6 grade 1 scored 30 → gap 9.5.
        let items =
            [g(2, 5, "a", 40.0), g(3, 2, "a", 70.0), g(4, 4, "a", 40.0), g(5, 3, "b", 20.5), g(6, 1, "b", 30.0)];
        let a = measure(&items, DEFAULT_WORST).unwrap();
        let got: Vec<(usize, usize, f32)> =
            a.worst.inverted.iter().map(|p| (p.higher.line, p.lower.line, p.gap)).collect();
        assert_eq!(got, vec![(2, 3, 30.0), (4, 3, 30.0), (5, 6, 9.5), (2, 4, 0.0)]);
        assert_eq!(a.order.pairs, Pairs { agreed: 0, total: 4, ratio: Some(0.0) });
        assert_eq!(measure(&items, 1).unwrap().worst.inverted.len(), 1);
    }

    #[test]
    fn same_figures_whatever_the_input_order() {
        let items = [g(4, 1, "a", 60.0), g(2, 5, "a", 40.0), g(3, 2, "a", 70.0), g(5, 5, "b", 10.0)];
        let mut reversed = items.to_vec();
        reversed.reverse();
        assert_eq!(measure(&items, 10).unwrap(), measure(&reversed, 10).unwrap());
    }

    #[test]
    fn bad_items_are_refused() {
        assert_eq!(measure(&[g(2, 0, "a", 1.0)], 1), Err(AgreementError::Grade { line: 2, grade: 0 }));
        assert_eq!(measure(&[g(2, 6, "a", 1.0)], 1), Err(AgreementError::Grade { line: 2, grade: 6 }));
        assert_eq!(measure(&[g(3, 3, "a", f32::NAN)], 1), Err(AgreementError::Score { line: 3 }));
        assert_eq!(measure(&[g(3, 3, "a", 1.0), g(3, 4, "a", 2.0)], 1), Err(AgreementError::DuplicateLine { line: 3 }));
    }

    #[test]
    fn header_in_any_order_with_extra_columns() {
        let c = Columns::from_header("answer\tMood\t turn \tscenario\tkind\tgrade\tnote").unwrap().unwrap();
        assert_eq!(c.width(), 7);
        assert_eq!(c.ignored, vec!["note".to_string()]);
        let r = c.row("您好\t\topen\ts\tplain\t4\tx").unwrap();
        assert_eq!((r.grade, r.kind, r.scenario, r.turn, r.mood, r.answer), (4, "plain", "s", "open", None, "您好"));
        assert_eq!(Columns::from_header(&COLUMNS.join("\t")), Ok(Some(Columns::standard())));
    }

    #[test]
    fn header_problems() {
        assert_eq!(Columns::from_header("5\tplain\ts\topen\t\t您好"), Ok(None));
        assert_eq!(
            Columns::from_header("grade\tkind\tscenario\tturn\tanswer"),
            Err(HeaderError::Missing(vec!["mood"]))
        );
        assert_eq!(
            Columns::from_header("grade\tkind\tscenario\tturn\tmood\tanswer\tgrade"),
            Err(HeaderError::Duplicate("grade".into()))
        );
    }

    #[test]
    fn rows_are_checked_field_by_field() {
        let c = Columns::standard();
        let ok = c.row("5\tparaphrase\t s \topen\t 25 \t 您好。 ").unwrap();
        assert_eq!((ok.grade, ok.scenario, ok.mood, ok.answer), (5, "s", Some(25.0), " 您好。 "));
        assert_eq!(c.row("1\tk\ts\tt\t100\ta").unwrap().mood, Some(100.0));
        assert_eq!(c.row("1\tk\ts\tt\t0\ta").unwrap().mood, Some(0.0));
        assert_eq!(c.row("5\tk\ts\tt\ta"), Err(RowError::Columns { found: 5, expected: 6 }));
        assert_eq!(c.row("5\tk\ts\tt\t\ta\tb"), Err(RowError::Columns { found: 7, expected: 6 }));
        for bad in ["0", "6", "x", "4.5", "", "-1"] {
            assert_eq!(c.row(&format!("{bad}\tk\ts\tt\t\ta")), Err(RowError::Grade(bad.into())), "grade {bad:?}");
        }
        for bad in ["101", "-0.5", "abc", "NaN", "inf"] {
            assert_eq!(c.row(&format!("3\tk\ts\tt\t{bad}\ta")), Err(RowError::Mood(bad.into())), "mood {bad:?}");
        }
        assert_eq!(c.row("3\tk\t \tt\t\ta"), Err(RowError::NoScenario));
        assert_eq!(c.row("3\tk\ts\t\t\ta"), Err(RowError::NoTurn));
        assert_eq!(c.row("3\tk\ts\tt\t\t  "), Err(RowError::EmptyAnswer));
        let long = "好".repeat(MAX_ANSWER_CHARS + 1);
        assert_eq!(
            c.row(&format!("3\tk\ts\tt\t\t{long}")),
            Err(RowError::TooLong { chars: MAX_ANSWER_CHARS + 1, max: MAX_ANSWER_CHARS })
        );
        assert!(c.row(&format!("3\tk\ts\tt\t\t{}", "好".repeat(MAX_ANSWER_CHARS))).is_ok());
    }

    #[test]
    fn explanation_puts_the_cap_red_lines_and_misses_first_and_skips_rubrics_that_do_not_apply() {
        use crate::scoring::{Evidence, RubricScore};
        use crate::text::tone::ToneReport;
        let mut rubrics = std::collections::BTreeMap::new();
        rubrics.insert("tone", RubricScore::new(10.0, 0.25, vec!["敌意/推责「不归我管」−58.8".into()]));
        rubrics.insert("concepts", RubricScore::new(50.0, 0.4, vec!["必需要点命中 1/2（按权重）".into()]));
        rubrics.insert("responsiveness", RubricScore::not_applicable(0.1, "未计时"));
        let negated = Evidence::new("concepts", "negated", "退款", "「退款」前有否定词，不算提到“退款”");
        let score = TurnScore {
            turn_id: "open".into(),
            answer: "不归我管，不能退款".into(),
            overall: 30.0,
            capped: Some("触犯红线「不归我管」，本回合最高 30 分".into()),
            rubrics,
            hits: vec![],
            missed: vec!["refund".into()],
            missed_labels: vec!["退款".into()],
            red_lines: vec!["不归我管".into()],
            conduct: vec![],
            evidence: vec![
                negated.clone(),
                Evidence::new("concepts", "red_line", "不归我管", "触犯红线：说了「不归我管」"),
                negated,
            ],
            model_answer: String::new(),
            tone: ToneReport {
                politeness: 0.0,
                empathy: 0.0,
                reassurance: 0.0,
                hostility: 0.98,
                anger: 0.0,
                demands_supervisor: false,
                shouting: false,
                exclamations: 0,
                content_chars: 8,
                first_empathy_at: None,
                hollow: false,
                evidence: vec![],
                acts: Default::default(),
            },
            features: Default::default(),
            skills: vec![],
        };
        let e = explain(&score);
        assert_eq!(e.capped.as_deref(), Some("触犯红线「不归我管」，本回合最高 30 分"));
        assert_eq!(e.red_lines, vec!["不归我管"]);
        assert_eq!(e.missed, vec!["退款"]);
        let shown: Vec<(&str, &str, f32)> = e.rubrics.iter().map(|r| (r.rubric, r.label, r.score)).collect();
        assert_eq!(shown, vec![("concepts", "关键要点", 50.0), ("tone", "语气态度", 10.0)]);
        assert_eq!(e.notes, vec!["「退款」前有否定词，不算提到“退款”"], "negated evidence once, red line not repeated");
    }
}
