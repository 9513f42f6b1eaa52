//! How long a trainee takes to type an answer with a full-pinyin input method (全拼), measured
//! on the answers the shipped scenarios hold: every turn's `model_answer`, every sample's
//! `answer` and every answer of every sample call. `docs/typing-time.md` gives the method, the
//! figures and the minimum persona patience drawn from them.
//!
//! Run: `cargo bench --no-default-features --bench typing_time`
//!
//! Keystrokes, per answer:
//! - the answer is segmented by jieba (default dictionary, HMM on), and each word holding
//!   Chinese characters is typed as the toneless pinyin of its characters (`pinyin` crate, the
//!   most common reading of each character) followed by one selection key (space or a digit);
//! - every other character costs one key (ASCII letters and digits, spaces, `，。、；`), plus one
//!   Shift where the US layout needs it (`？！：“”（）《》`, capitals), as the KLM counts Shift as a
//!   keystroke of its own; `……` and `——` are one Shift+key pair for the two characters.
//!
//! Time, per answer, by the Keystroke-Level Model (Card, Moran & Newell, "The keystroke-level
//! model for user performance time with interactive systems", CACM 23(7), 1980):
//! `keys × K + clauses × M`, with M = 1.35 s of mental preparation per clause (split on
//! `，。？！；`) and K the time of one keystroke: 0.28 s for an average non-secretary typist
//! (40 wpm), 0.20 s for an average skilled typist (55 wpm), 0.50 s for typing random letters
//! (used here for a poor or unfamiliar typist). The KLM predicts error-free execution by a
//! practised user: it leaves out choosing the content, scanning the candidate list, wrong
//! candidates and corrections, so the figures are a floor, not a typical time.
//!
//! Cross-check, with published figures (stated loosely where unsure):
//! - Ruan, Wobbrock, Liou, Ng & Landay, "Comparing speech and keyboard text entry for short
//!   messages in two languages on touchscreen phones" (IMWUT 1(4), 2017): the iOS pinyin
//!   keyboard at 43 WPM in lab transcription, with a Mandarin "word" of 1.5 characters, i.e.
//!   about 65 characters a minute: copying a given text on a phone, with no composing.
//! - Commonly reported for full pinyin on a PC keyboard: some 30–60 characters a minute for
//!   ordinary users, 60–100 for practised ones; Chinese customer-service job ads commonly ask for
//!   50–60 字/分钟.

use std::path::Path;

use jieba_rs::Jieba;
use peilian::scenario::Layout;
use peilian::scenario::library::Library;
use peilian::session::Input;
use pinyin::ToPinyin;

/// Seconds per keystroke (KLM K) by typist, as printed.
const TYPISTS: [(&str, f64); 3] = [
    ("good (K=0.20 s, average skilled, 55 wpm)", 0.20),
    ("average (K=0.28 s, average non-secretary, 40 wpm)", 0.28),
    ("poor (K=0.50 s, typing random letters)", 0.50),
];
/// The K of the summary line and of the recommended patience.
const K_AVERAGE: f64 = 0.28;
/// KLM mental preparation, once per clause.
const M: f64 = 1.35;
/// The answer length the issue asks about.
const TARGET_CHARS: usize = 40;
/// The real answers taken as "about 40 characters".
const NEAR_TARGET: std::ops::RangeInclusive<usize> = 35..=45;
/// Answers shorter than this are left out of the per-character scaling: one clause of a
/// three-character answer scaled to 40 characters would be thirteen mental preparations.
const MIN_SCALED_CHARS: usize = 20;
/// Letters assumed for a Chinese character the pinyin table lacks (about the mean).
const UNKNOWN_LETTERS: usize = 3;

/// The keystrokes and clauses of one answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Typing {
    /// Characters of the answer, as the app counts them (`chars()`).
    chars: usize,
    /// Chinese characters.
    han: usize,
    /// Pinyin letters typed for the Chinese characters.
    letters: usize,
    /// Selection keys: one per word holding Chinese characters.
    selections: usize,
    /// Keys for everything else (digits, ASCII, punctuation, spaces), Shift included.
    other: usize,
    /// Clauses, each preceded by one mental preparation.
    clauses: usize,
    /// Chinese characters missing from the pinyin table.
    unknown: usize,
}

impl Typing {
    fn keys(&self) -> usize {
        self.letters + self.selections + self.other
    }

    /// Keys spent on the Chinese characters: letters and selections.
    fn han_keys(&self) -> usize {
        self.letters + self.selections
    }

    /// KLM execution time with keystroke time `k`.
    fn seconds(&self, k: f64) -> f64 {
        self.keys() as f64 * k + self.clauses as f64 * M
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

/// Keys for a character that is not Chinese, typed outside the pinyin composition.
fn other_keys(c: char) -> usize {
    const SHIFTED: &str = "？！：“”（）《》～￥｛｝｜＿＋＂＜＞~!@#$%^&*()_+{}|:\"<>?";
    match c {
        // Shift+6 gives "……" and Shift+- gives "——": one pair of keys for two characters.
        '…' | '—' => 1,
        c if c.is_ascii_uppercase() || SHIFTED.contains(c) => 2,
        _ => 1,
    }
}

fn is_clause_end(c: char) -> bool {
    matches!(c, '，' | '。' | '？' | '！' | '；' | '?' | '!' | ';')
}

/// Clauses of an answer: the non-blank pieces between `，。？！；`, at least one.
fn clauses(answer: &str) -> usize {
    answer.split(is_clause_end).filter(|p| !p.trim().is_empty()).count().max(1)
}

/// Counts the keystrokes of typing `answer` with a full-pinyin input method, word by word as
/// jieba segments it.
fn typing(jieba: &Jieba, answer: &str) -> Typing {
    let mut t = Typing { chars: answer.chars().count(), clauses: clauses(answer), ..Typing::default() };
    for token in jieba.cut(answer, true) {
        let word = token.word;
        let mut has_han = false;
        for c in word.chars() {
            if is_han(c) {
                has_han = true;
                t.han += 1;
                match c.to_pinyin() {
                    // `plain` writes ü as "ü" (one key: v), so count characters, not bytes.
                    Some(p) => t.letters += p.plain().chars().count(),
                    None => {
                        t.unknown += 1;
                        t.letters += UNKNOWN_LETTERS;
                    }
                }
            } else {
                t.other += other_keys(c);
            }
        }
        if has_han {
            t.selections += 1;
        }
    }
    t
}

/// The segmentation the counts rest on, for the checks: words joined by `/`.
fn segmented(jieba: &Jieba, text: &str) -> String {
    jieba.cut(text, true).iter().map(|t| t.word).collect::<Vec<_>>().join("/")
}

/// The toneless pinyin of the Chinese characters of `text`, space-separated.
fn spelled(text: &str) -> String {
    text.chars().filter_map(|c| c.to_pinyin()).map(|p| p.plain()).collect::<Vec<_>>().join(" ")
}

/// Worked examples, checked before anything is measured.
fn self_check(jieba: &Jieba) {
    // 你好 is one jieba word: "nihao" (5 letters) + 1 selection = 6 keys, one clause.
    assert_eq!(segmented(jieba, "你好"), "你好");
    let t = typing(jieba, "你好");
    assert_eq!((t.han, t.letters, t.selections, t.other, t.clauses), (2, 5, 1, 0, 1));
    assert_eq!(t.keys(), 6);
    assert!((t.seconds(0.28) - (6.0 * 0.28 + 1.35)).abs() < 1e-9);

    // 您好，请问有什么可以帮您？ is 您好/，/请问/有/什么/可以/帮/您/？:
    // nin hao | qing wen | you | shen me | ke yi | bang | nin = 33 letters, 7 selections;
    // "，" is 1 key and "？" is Shift+/ = 2 keys; two clauses.
    let text = "您好，请问有什么可以帮您？";
    assert_eq!(segmented(jieba, text), "您好/，/请问/有/什么/可以/帮/您/？");
    assert_eq!(spelled(text), "nin hao qing wen you shen me ke yi bang nin");
    let t = typing(jieba, text);
    assert_eq!((t.han, t.letters, t.selections, t.other, t.clauses), (11, 33, 7, 3, 2));
    assert_eq!(t.keys(), 43);

    // Digits and ASCII are one key each (capitals two, with Shift); 绿 is "lü", typed "lv".
    let t = typing(jieba, "48小时VIP绿");
    assert_eq!(t.other, 2 + 3 * 2);
    assert_eq!(t.letters, "xiaoshi".len() + 2);
    assert_eq!(t.clauses, 1);
}

/// Every answer of the shipped library, loaded with the crate's own scenario loader, without
/// duplicates: model answers, sample answers and the answers of sample calls, read as the
/// session reads them (the `@12s ` latency prefix dropped; `/transfer`, `/silence` … skipped).
fn shipped_answers() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut analyzer = Layout::around(&dir).analyzer().expect("lexicons");
    let library = Library::load(&dir, &mut analyzer, true).expect("scenarios directory");
    let failed: Vec<_> = library.failed().map(|(p, e)| format!("{}: {e:?}", p.display())).collect();
    assert!(failed.is_empty(), "scenarios that do not load: {failed:#?}");
    let mut answers = Vec::new();
    for compiled in library.ready() {
        let s = &compiled.scenario;
        answers.extend(s.turns.iter().map(|t| t.expect.model_answer.clone()));
        answers.extend(s.samples.iter().map(|x| x.answer.clone()));
        answers.extend(s.sample_calls.iter().flat_map(|c| c.answers.iter()).filter_map(|line| {
            match Input::parse(line) {
                Input::Answer { text, .. } => Some(text),
                _ => None,
            }
        }));
    }
    let mut answers: Vec<String> =
        answers.into_iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
    answers.sort();
    answers.dedup();
    answers
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn sorted(xs: &[f64]) -> Vec<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

fn median(xs: &[f64]) -> f64 {
    let v = sorted(xs);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// Nearest-rank percentile: the smallest value with at least `p`% of the values at or below.
fn percentile(xs: &[f64], p: f64) -> f64 {
    let v = sorted(xs);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

fn main() {
    let jieba = Jieba::new();
    self_check(&jieba);

    let answers = shipped_answers();
    let typed: Vec<(String, Typing)> = answers.iter().map(|a| (a.clone(), typing(&jieba, a))).collect();
    let unknown: usize = typed.iter().map(|(_, t)| t.unknown).sum();
    let lengths: Vec<f64> = typed.iter().map(|(_, t)| t.chars as f64).collect();

    println!("Typing time with a full-pinyin IME, Keystroke-Level Model");
    println!(
        "answers: {} distinct (model answers, samples, sample calls), {} to {} characters, median {:.0}",
        typed.len(),
        lengths.iter().copied().fold(f64::INFINITY, f64::min),
        lengths.iter().copied().fold(0.0, f64::max),
        median(&lengths)
    );
    if unknown > 0 {
        println!(
            "warning: {unknown} Chinese characters missing from the pinyin table, counted as {UNKNOWN_LETTERS} letters"
        );
    }

    // Keystrokes per character.
    let with_han: Vec<&Typing> = typed.iter().map(|(_, t)| t).filter(|t| t.han > 0).collect();
    let per_han: Vec<f64> = with_han.iter().map(|t| t.han_keys() as f64 / t.han as f64).collect();
    let letters_per_han: Vec<f64> = with_han.iter().map(|t| t.letters as f64 / t.han as f64).collect();
    let han_per_word: Vec<f64> = with_han.iter().map(|t| t.han as f64 / t.selections as f64).collect();
    let per_char: Vec<f64> = typed.iter().map(|(_, t)| t.keys() as f64 / t.chars as f64).collect();
    let total = |f: fn(&Typing) -> usize| typed.iter().map(|(_, t)| f(t)).sum::<usize>() as f64;
    println!();
    println!("keystrokes per Chinese character (pinyin letters + selections), per answer:");
    println!(
        "  mean {:.2}, median {:.2}, pooled {:.2}  (letters per character {:.2}, characters per word {:.2})",
        mean(&per_han),
        median(&per_han),
        total(Typing::han_keys) / total(|t| t.han),
        mean(&letters_per_han),
        mean(&han_per_word)
    );
    println!(
        "keystrokes per character of the answer (punctuation and ASCII included): mean {:.2}, median {:.2}, pooled {:.2}",
        mean(&per_char),
        median(&per_char),
        total(Typing::keys) / total(|t| t.chars)
    );
    let clauses_per_char: Vec<f64> = typed.iter().map(|(_, t)| t.clauses as f64 / t.chars as f64).collect();
    println!(
        "clauses per 40 characters: mean {:.1} (pooled {:.1})",
        mean(&clauses_per_char) * TARGET_CHARS as f64,
        total(|t| t.clauses) / total(|t| t.chars) * TARGET_CHARS as f64
    );

    // A 40-character answer: each answer's time per character, scaled to 40 characters.
    let scaled: Vec<&Typing> = typed.iter().map(|(_, t)| t).filter(|t| t.chars >= MIN_SCALED_CHARS).collect();
    println!();
    println!(
        "a {TARGET_CHARS}-character answer, scaled from the {} answers of {MIN_SCALED_CHARS}+ characters (seconds):",
        scaled.len()
    );
    let scaled_secs =
        |k: f64| -> Vec<f64> { scaled.iter().map(|t| t.seconds(k) * TARGET_CHARS as f64 / t.chars as f64).collect() };
    for (name, k) in TYPISTS {
        let s = scaled_secs(k);
        println!("  {name:<52} mean {:5.1}  median {:5.1}  p90 {:5.1}", mean(&s), median(&s), percentile(&s, 90.0));
    }

    // The real answers of about 40 characters.
    let near: Vec<&(String, Typing)> = typed.iter().filter(|(_, t)| NEAR_TARGET.contains(&t.chars)).collect();
    println!();
    println!(
        "the {} real answers of {}–{} characters (seconds, unscaled):",
        near.len(),
        NEAR_TARGET.start(),
        NEAR_TARGET.end()
    );
    for (name, k) in TYPISTS {
        let s: Vec<f64> = near.iter().map(|(_, t)| t.seconds(k)).collect();
        println!("  {name:<52} mean {:5.1}  median {:5.1}  p90 {:5.1}", mean(&s), median(&s), percentile(&s, 90.0));
    }
    println!("  chars keys clauses  t(K=0.28)  answer");
    let mut listed = near.clone();
    listed.sort_by(|a, b| a.1.seconds(K_AVERAGE).total_cmp(&b.1.seconds(K_AVERAGE)));
    for (answer, t) in listed {
        println!("  {:5} {:4} {:7}  {:8.1}s  {answer}", t.chars, t.keys(), t.clauses, t.seconds(K_AVERAGE));
    }

    // Cross-check against published speeds: the characters a minute the model implies.
    let avg = scaled_secs(K_AVERAGE);
    let (med, p90) = (median(&avg), percentile(&avg, 90.0));
    let good = median(&scaled_secs(0.20));
    let per_min = |secs: f64| TARGET_CHARS as f64 / secs * 60.0;
    println!();
    println!(
        "implied speed: {:.0} characters/min (average typist, median), {:.0} (good typist); \
         typing only, no mental preparation: {:.0} and {:.0}",
        per_min(med),
        per_min(good),
        60.0 / (K_AVERAGE * total(Typing::keys) / total(|t| t.chars)),
        60.0 / (0.20 * total(Typing::keys) / total(|t| t.chars)),
    );
    println!(
        "published: iOS pinyin keyboard ~65 characters/min in lab transcription (Ruan et al., IMWUT 2017: \
         43 WPM at 1.5 characters a word); commonly reported for full pinyin on a PC: 30–60/min ordinary users, \
         60–100/min practised; customer-service job ads commonly ask for 50–60/min"
    );

    let floor = (p90 / 5.0).ceil() as u32 * 5;
    println!();
    println!("{TARGET_CHARS}-char answer, average typist: {med:.0} s (p90 {p90:.0} s)");
    println!("recommended minimum patience: {floor} s (average-typist p90 {p90:.1} s, rounded up to the next 5 s)");
}
