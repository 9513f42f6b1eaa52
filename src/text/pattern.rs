//! The pattern language of act rules: regular expressions with word classes, gaps and anchors.
//!
//! A pattern is a regular expression (the `regex` crate's syntax) with four additions that keep
//! rules short and readable for trainers:
//!
//! - `{名字}` stands for any word of the class of that name (`{我方}` → 我, 我们, 我这边 …);
//!   `{2,3}` and other repetitions are left alone.
//! - `…` is a gap of up to 8 characters inside the same clause, `……` one of up to 20 inside the
//!   same sentence. A gap never holds a negator character (不 没 别 未 无 勿), so
//!   "我…回电" does not read "我不会给您回电" as a promise.
//! - `<` at the very start and `>` at the very end anchor the match to word boundaries (jieba's
//!   words, see `Analyzed::on_word_boundaries`): `<滚>` is the word 滚, not the 滚 of 滚动.
//! - Back-references (`\1`) and look-around (`(?!…)`) are allowed; such patterns run on
//!   `fancy-regex`, all others on `regex`.
//!
//! A plain pattern's syntax is checked when it is made, and its automaton is built the first
//! time it is run: a start-up loads a thousand patterns of which one answer runs a few dozen.
//! `Pattern::check_compiles` builds it at once, for lint, which must also report a pattern too
//! large to build.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::OnceLock;

use crate::text::normalize::normalize;

/// Characters a gap may not hold: they would negate what follows.
const GAP_EXCLUDES: &str = "不没别未无勿";
/// Clause punctuation (the normalised text has ASCII punctuation, but 。、… stay full-width).
const CLAUSE_BREAKS: &str = ",.!?;:\\n。、…~";
const SENTENCE_BREAKS: &str = ".!?\\n。…";

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// As the trainer wrote it.
    pub source: String,
    matcher: Matcher,
    anchor_start: bool,
    anchor_end: bool,
    prefilter: Option<String>,
}

#[derive(Debug, Clone)]
enum Matcher {
    Plain(Box<LazyRegex>),
    Fancy(Box<fancy_regex::Regex>),
}

/// A regular expression whose syntax is known to be valid, built when first run.
#[derive(Debug, Clone)]
struct LazyRegex {
    regex: String,
    built: OnceLock<Result<regex::Regex, String>>,
}

impl LazyRegex {
    /// The automaton, or why it could not be built (it is too large).
    fn get(&self) -> Result<&regex::Regex, &str> {
        self.built
            .get_or_init(|| build_plain(&self.regex).map_err(|e| first_line(&e.to_string())))
            .as_ref()
            .map_err(String::as_str)
    }
}

fn build_plain(regex: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(regex).size_limit(1 << 22).dfa_size_limit(1 << 24).build()
}

/// Why a pattern could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("词类“{0}”没有定义")]
    UnknownClass(String),
    #[error("正则表达式无效：{0}")]
    Syntax(String),
    #[error("模式为空")]
    Empty,
}

impl Pattern {
    /// Compiles a pattern, expanding `{class}` from `classes`.
    pub fn compile(source: &str, classes: &BTreeMap<String, Vec<String>>) -> Result<Pattern, PatternError> {
        let trimmed = source.trim();
        let (anchor_start, rest) = match trimmed.strip_prefix('<') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let (anchor_end, body) = match rest.strip_suffix('>') {
            Some(body) if !body.ends_with('\\') => (true, body),
            _ => (false, rest),
        };
        if body.is_empty() {
            return Err(PatternError::Empty);
        }
        let body = normalize_pattern(body);
        let regex = expand(&body, classes, Gaps::Bounded)?;
        // Parsing is what `regex` does first, and where its syntax errors come from.
        let matcher = match regex_syntax::Parser::new().parse(&regex) {
            Ok(_) => Matcher::Plain(Box::new(LazyRegex { regex: regex.clone(), built: OnceLock::new() })),
            // The seek pre-filter skips to where the pattern's plain approximation matches
            // before the backtracking VM runs (it never skips a match); always wanted here,
            // whatever the characters of the pattern.
            Err(plain) => {
                match fancy_regex::RegexBuilder::new(&regex).delegate_size_limit(1 << 22).seek_filter(|_| true).build()
                {
                    Ok(re) if needs_fancy(&regex) => Matcher::Fancy(Box::new(re)),
                    _ => return Err(PatternError::Syntax(first_line(&plain.to_string()))),
                }
            }
        };
        // The prefilter's version: gaps without their bounds, look-arounds dropped, back-references
        // as any text — a superset of the pattern whose automaton stays small.
        // Only its literals are used (`acts::required_literals`), so it need only parse.
        let loose = relax(&expand(&body, classes, Gaps::Unbounded)?);
        let prefilter = regex_syntax::Parser::new().parse(&loose).is_ok().then_some(loose);
        Ok(Pattern { source: source.to_string(), matcher, anchor_start, anchor_end, prefilter })
    }

    /// Builds the pattern's automaton now: an error when it is too large to build (a pattern
    /// that fails so later is taken as matching nothing).
    pub fn check_compiles(&self) -> Result<(), PatternError> {
        match &self.matcher {
            Matcher::Plain(lazy) => lazy.get().map(|_| ()).map_err(|e| PatternError::Syntax(e.to_string())),
            Matcher::Fancy(_) => Ok(()),
        }
    }

    /// Every match in `text`, leftmost first, not overlapping, whose anchored ends lie where
    /// `is_boundary` says a word starts or ends.
    pub fn find_all(&self, text: &str, is_boundary: impl Fn(usize, bool) -> bool) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut from = 0;
        while from <= text.len() {
            let Some(m) = self.find_at(text, from) else { break };
            let ok =
                (!self.anchor_start || is_boundary(m.start, true)) && (!self.anchor_end || is_boundary(m.end, false));
            if ok && !m.is_empty() {
                from = m.end;
                out.push(m);
            } else {
                // Try again one character further on.
                from = m.start + text[m.start..].chars().next().map_or(1, char::len_utf8);
            }
        }
        out
    }

    /// True when the pattern matches anywhere in `text`, word boundaries not checked.
    pub fn is_in(&self, text: &str) -> bool {
        // Whether, not where: no search back for the start of the match.
        match &self.matcher {
            Matcher::Plain(lazy) => lazy.get().is_ok_and(|re| re.is_match(text)),
            Matcher::Fancy(re) => re.is_match(text).unwrap_or(false),
        }
    }

    fn find_at(&self, text: &str, from: usize) -> Option<Range<usize>> {
        match &self.matcher {
            Matcher::Plain(lazy) => lazy.get().ok()?.find_at(text, from).map(|m| m.range()),
            // A pattern that fails at run time (backtracking limit) is taken as not matching.
            Matcher::Fancy(re) => re.find_from_pos(text, from).ok().flatten().map(|m| m.range()),
        }
    }

    /// A plain regular expression that matches wherever the pattern does (and maybe more): gaps
    /// without their bounds, look-arounds dropped, back-references as any text. For a set
    /// prefilter; `None` when no such expression compiles.
    pub fn prefilter_source(&self) -> Option<&str> {
        self.prefilter.as_deref()
    }
}

/// A fancy regular expression made plain: look-around groups dropped, back-references turned
/// into a short run of any characters. Matches a superset of what the original matches.
fn relax(regex: &str) -> String {
    let mut out = String::with_capacity(regex.len());
    let mut rest = regex;
    while let Some(c) = rest.chars().next() {
        if ["(?=", "(?!", "(?<=", "(?<!"].iter().any(|p| rest.starts_with(p)) {
            // Skip to the closing parenthesis of the group.
            let (mut depth, mut skip) = (0usize, 0usize);
            let mut chars = rest.char_indices();
            while let Some((i, ch)) = chars.next() {
                match ch {
                    '\\' => {
                        chars.next();
                    }
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            skip = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            rest = &rest[skip.max(1)..];
        } else if c == '\\' {
            let next = rest[1..].chars().next();
            if next.is_some_and(|d| d.is_ascii_digit()) {
                out.push_str(".*");
                rest = &rest[2..];
            } else {
                let len = escape_len(rest);
                out.push_str(&rest[..len]);
                rest = &rest[len..];
            }
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn needs_fancy(regex: &str) -> bool {
    regex.contains("(?=") || regex.contains("(?!") || regex.contains("(?<=") || regex.contains("(?<!") || {
        regex.chars().zip(regex.chars().skip(1)).any(|(a, b)| a == '\\' && b.is_ascii_digit())
    }
}

fn first_line(s: &str) -> String {
    s.lines().rfind(|l| !l.trim().is_empty()).unwrap_or(s).trim().to_string()
}

/// The regular expression of a pattern body: classes and gaps expanded.
/// How gaps are expanded: bounded as patterns mean them, or without bounds for a prefilter.
#[derive(Clone, Copy, PartialEq)]
enum Gaps {
    Bounded,
    Unbounded,
}

fn expand(body: &str, classes: &BTreeMap<String, Vec<String>>, gaps: Gaps) -> Result<String, PatternError> {
    let (clause_gap, sentence_gap) = match gaps {
        Gaps::Bounded => (
            format!("[^{CLAUSE_BREAKS}{GAP_EXCLUDES}]{{0,8}}?"),
            format!("[^{SENTENCE_BREAKS}{GAP_EXCLUDES}]{{0,20}}?"),
        ),
        Gaps::Unbounded => {
            (format!("[^{CLAUSE_BREAKS}{GAP_EXCLUDES}]*"), format!("[^{SENTENCE_BREAKS}{GAP_EXCLUDES}]*"))
        }
    };
    let mut out = String::with_capacity(body.len() * 2);
    let mut rest = body;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("……") {
            out.push_str(&sentence_gap);
            rest = after;
        } else if let Some(after) = rest.strip_prefix('…') {
            out.push_str(&clause_gap);
            rest = after;
        } else if c == '\\' {
            let len = escape_len(rest);
            out.push_str(&rest[..len]);
            rest = &rest[len..];
        } else if c == '{'
            && let Some(end) = rest.find('}')
            && !rest[1..end].chars().all(|c| c.is_ascii_digit() || c == ',')
        {
            let name = &rest[1..end];
            let words = classes.get(name).ok_or_else(|| PatternError::UnknownClass(name.to_string()))?;
            out.push_str(&alternation(words));
            rest = &rest[end + 1..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Ok(out)
}

/// The length of the escape at the start of `s` (`\d`, `\{`, `\p{Han}` …), copied whole.
fn escape_len(s: &str) -> usize {
    let two = s.chars().take(2).map(char::len_utf8).sum::<usize>();
    let tail = &s[two..];
    if (s.starts_with("\\p") || s.starts_with("\\P")) && tail.starts_with('{') {
        two + tail.find('}').map_or(0, |i| i + 1)
    } else {
        two
    }
}

/// A pattern normalised as the texts it is matched against (full-width forms folded, ASCII
/// letters lower-cased, traditional characters simplified) — but not inside escapes, where
/// `\S` must stay `\S`.
pub fn normalize_pattern(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while !rest.is_empty() {
        let run = rest.find('\\').unwrap_or(rest.len());
        push_literal_punctuation(&mut out, &rest[..run]);
        rest = &rest[run..];
        if !rest.is_empty() {
            let len = escape_len(rest);
            out.push_str(&rest[..len]);
            rest = &rest[len..];
        }
    }
    out
}

/// Normalises a run of a pattern. Full-width punctuation a trainer types (？ （ ） ＋) folds to
/// ASCII, where it would be an operator: it is escaped, so "您好？" still needs the question mark.
fn push_literal_punctuation(out: &mut String, run: &str) {
    let mut piece = String::new();
    for c in run.chars() {
        let folded = crate::text::normalize::fold_width_and_case(c);
        if c != folded && "\\.+*?()|[]{}^$#&-~".contains(folded) {
            out.push_str(&normalize(&piece));
            piece.clear();
            out.push('\\');
            out.push(folded);
        } else {
            piece.push(c);
        }
    }
    out.push_str(&normalize(&piece));
}

/// `(?:w1|w2|…)`, longest words first so the longest one is taken.
fn alternation(words: &[String]) -> String {
    let mut words: Vec<&str> = words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()).collect();
    words.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    words.dedup();
    let parts: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
    format!("(?:{})", parts.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> BTreeMap<String, Vec<String>> {
        BTreeMap::from([
            ("我方".to_string(), vec!["我".to_string(), "我们".to_string(), "我这边".to_string()]),
            ("时".to_string(), vec!["明天".to_string()]),
        ])
    }

    fn all(p: &str, text: &str) -> Vec<String> {
        let pattern = Pattern::compile(p, &classes()).unwrap();
        pattern.find_all(text, |_, _| true).into_iter().map(|r| text[r].to_string()).collect()
    }

    #[test]
    fn classes_expand_longest_first() {
        assert_eq!(all("{我方}会", "我这边会处理"), vec!["我这边会"]);
        assert_eq!(all("{我方}会", "我们会处理"), vec!["我们会"]);
        // Repetitions are not classes.
        assert_eq!(all("[0-9]{2,3}天", "15天内"), vec!["15天"]);
    }

    #[test]
    fn unknown_class_is_an_error() {
        assert_eq!(
            Pattern::compile("{没有}会", &classes()).unwrap_err(),
            PatternError::UnknownClass("没有".to_string())
        );
        assert!(matches!(Pattern::compile("(会", &classes()).unwrap_err(), PatternError::Syntax(_)));
        assert_eq!(Pattern::compile(" <> ", &classes()).unwrap_err(), PatternError::Empty);
    }

    #[test]
    fn a_pattern_too_large_to_build_is_an_error_for_lint_and_matches_nothing() {
        // Valid syntax, so making it succeeds; its automaton is over the size limit.
        let huge = Pattern::compile("\\w{500}\\w{500}", &classes()).unwrap();
        let err = huge.check_compiles().unwrap_err();
        assert!(matches!(&err, PatternError::Syntax(m) if m.contains("size limit")), "{err:?}");
        assert!(huge.find_all(&"字".repeat(1000), |_, _| true).is_empty());
        assert!(!huge.is_in("字"));
        // An ordinary pattern builds.
        let fine = Pattern::compile("{我方}会", &classes()).unwrap();
        assert_eq!(fine.check_compiles(), Ok(()));
        assert_eq!(all("{我方}会", "我们会"), vec!["我们会"]);
    }

    #[test]
    fn gaps_stay_in_the_clause_and_never_hold_a_negator() {
        assert_eq!(all("{我方}…回电", "我明天给您回电"), vec!["我明天给您回电"]);
        assert!(all("{我方}…回电", "我不会给您回电").is_empty());
        assert!(all("{我方}…回电", "我知道,回电的事").is_empty());
        assert_eq!(all("密码……记", "密码告诉我,我帮您记"), vec!["密码告诉我,我帮您记"]);
        assert!(all("密码……记", "密码告诉我。我帮您记").is_empty());
    }

    #[test]
    fn anchors_ask_for_word_boundaries() {
        let p = Pattern::compile("<滚>", &classes()).unwrap();
        let text = "滚动条,滚";
        // Only the last 滚 stands alone as a word.
        let words = |i: usize, _start: bool| i == "滚动条,".len() || i == text.len();
        assert_eq!(p.find_all(text, words), vec!["滚动条,".len()..text.len()]);
    }

    #[test]
    fn patterns_are_normalised_outside_escapes() {
        assert_eq!(normalize_pattern("對不起？\\S{1,2}ＯＫ\\p{Han}"), "对不起\\?\\S{1,2}ok\\p{Han}");
        assert_eq!(all("\\p{Han}总", "李总好"), vec!["李总"]);
        assert_eq!(all("您好？", "您好?"), vec!["您好?"]);
    }

    #[test]
    fn fancy_patterns_relax_to_a_plain_superset() {
        assert_eq!(relax("爱(.{1,3}?)不\\1"), "爱(.{1,3}?)不.*");
        assert_eq!(relax("放心(?!不下)了"), "放心了");
        assert_eq!(relax("(?<!临时(?:密))密码"), "密码");
    }

    #[test]
    fn the_prefilter_version_matches_wherever_the_pattern_does() {
        for p in ["爱(.{1,3}?)不\\1", "{我方}…回电", "放心(?!不下)", "密码……记"] {
            let p = Pattern::compile(p, &classes()).unwrap();
            let loose = regex::Regex::new(p.prefilter_source().unwrap()).unwrap();
            for text in [
                "爱等不等",
                "爱投诉不投诉",
                "我明天给您回电",
                "我们这边一定尽快给您回电",
                "放心,放心不下",
                "密码告诉我,我帮您记",
            ] {
                assert!(p.find_all(text, |_, _| true).is_empty() || loose.is_match(text), "{} on {text}", p.source);
            }
        }
    }

    /// The seek pre-filter of the backtracking engine only skips to where a match may start:
    /// every backtracking pattern of the shipped rules finds the same matches with and without it.
    #[test]
    fn the_seek_prefilter_changes_no_match() {
        let rules = crate::text::acts::ActRules::embedded();
        let classes: BTreeMap<String, Vec<String>> =
            rules.classes.iter().map(|(k, v)| (k.clone(), v.iter().map(|w| normalize(w.trim())).collect())).collect();
        let texts = [
            "您好好,您好!早上好",
            "好的,好,行吧。可以啊?对",
            "再见到您真好,再见",
            "麻烦您报一下订单号,报警电话,请您留一下手机号,挽留一下",
            "您先看一下首页,我帮您看一下",
            "这个不能退款,能不能退款,我们没有办法给您退,没有办法",
            "您想怎么样?您想怎样处理,吼什么,什么时候",
            "爱等不等,要退就退,不退拉倒,爱咋咋地,随便您,随便您定",
            "我们不怕您投诉,我们不怕麻烦",
            "您可真行,您真行动快,连这个都不会,您想得多了,想多了解",
            "快点吧,快点帮您处理,赶紧的",
            "王先生,非常抱歉让您等了这么久,换作是我也会着急,麻烦您告诉我退货单号,我马上帮您查一下。",
            "",
        ];
        let mut checked = 0;
        for source in rules.rules.iter().flat_map(|r| r.patterns.iter().chain(&r.unless)) {
            let body = source.trim().trim_start_matches('<').trim_end_matches('>');
            let regex = expand(&normalize_pattern(body), &classes, Gaps::Bounded).unwrap();
            if !needs_fancy(&regex) {
                continue;
            }
            let build = |seek: bool| {
                let mut b = fancy_regex::RegexBuilder::new(&regex);
                b.delegate_size_limit(1 << 22);
                if seek {
                    b.seek_filter(|_| true);
                }
                b.build().unwrap()
            };
            let (plain, seeking) = (build(false), build(true));
            for text in texts {
                for (from, _) in text.char_indices().chain([(text.len(), ' ')]) {
                    let find = |re: &fancy_regex::Regex| re.find_from_pos(text, from).unwrap().map(|m| m.range());
                    assert_eq!(find(&plain), find(&seeking), "{source} on {text} from {from}");
                }
            }
            checked += 1;
        }
        assert!(checked >= 10, "only {checked} backtracking patterns");
    }

    #[test]
    fn back_references_use_the_fancy_engine() {
        assert_eq!(all("爱(.{1,3}?)不\\1", "爱等不等,爱投诉不投诉"), vec!["爱等不等", "爱投诉不投诉"]);
        assert!(all("爱(.{1,3}?)不\\1", "爱吃不喝").is_empty());
        assert_eq!(all("放心(?!不下)", "放心不下,放心"), vec!["放心"]);
    }
}
