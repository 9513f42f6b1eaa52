//! Mining throughput and peak memory: `peilian::mining::mine` end to end (read, redact,
//! analyse, families, drafts, calibration, report) on a corpus recombined from the fixture
//! exports and, when `../shared` is present, on the shared corpus (skipped cleanly otherwise).
//!
//! `cargo bench --no-default-features --bench mining [-- N]` (N dialogues in the generated
//! corpus, default 200,000). Each run happens in a child process so that its peak resident
//! memory (VmHWM from /proc/self/status) is its own. The 1,000,000-dialogue run against the
//! Python baseline is `benches/mining_compare.sh`, which also calls this binary with
//! `--tfidf FILE` (only segmentation + TF-IDF, like the Python script). `--stages FILE` shows
//! the single-thread speed of each stage (parse, redact, analyze, tone, words).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use peilian::mining::{MineOptions, Quiet, mine};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from)
}

/// Peak resident memory of this process, in MB (Linux).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Writes `n` dialogues recombined from the turns of `source` (deterministic).
fn generate(source: &Path, n: usize, out: &Path) {
    let text = std::fs::read_to_string(source).expect("fixture corpus");
    let rows: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let mut customer = Vec::new();
    let mut agent = Vec::new();
    for r in &rows {
        for t in r["turns"].as_array().into_iter().flatten() {
            let s = t["text"].as_str().unwrap_or_default().to_string();
            if t["role"] == "customer" { customer.push(s) } else { agent.push(s) }
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut f = std::io::BufWriter::new(std::fs::File::create(out).expect("corpus file"));
    for i in 0..n {
        let shape = &rows[rng.random_range(0..rows.len())];
        let k = shape["turns"].as_array().map_or(2, Vec::len);
        let turns: Vec<serde_json::Value> = (0..k)
            .map(|j| {
                let pool = if j % 2 == 0 { &customer } else { &agent };
                serde_json::json!({"role": if j % 2 == 0 { "customer" } else { "agent" }, "text": pool[rng.random_range(0..pool.len())]})
            })
            .collect();
        let d = serde_json::json!({"id": format!("G{i:08}"), "turns": turns, "labels": shape["labels"]});
        writeln!(f, "{d}").expect("write corpus");
    }
}

/// One measured run (in the child process): prints a result line.
fn child(input: &Path, label: &str) {
    let work = target_dir().join("bench-mining").join(format!("out-{label}"));
    let _ = std::fs::remove_dir_all(&work);
    let mut opts = MineOptions::new(vec![input.to_path_buf()], work.join("drafts"));
    opts.report = Some(work.join("report.html"));
    opts.temp_dir = Some(target_dir().join("bench-mining"));
    let bytes = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
    let started = Instant::now();
    let outcome = mine(&opts, &Quiet).expect("mining runs");
    let secs = started.elapsed().as_secs_f64();
    let n = outcome.report.totals.dialogues as f64;
    println!(
        "{label}: {:.0} dialogues, {:.1} MB in {secs:.2} s → {:.0} dialogues/s, {:.2} MB/s, peak RSS {:.0} MB, {} drafts",
        n,
        bytes as f64 / 1e6,
        n / secs,
        bytes as f64 / 1e6 / secs,
        peak_rss_mb().unwrap_or(f64::NAN),
        outcome.drafts.len()
    );
}

/// Time of each stage over every turn of `input`, on one thread: where the time goes.
fn stages(input: &Path) {
    use peilian::mining::analyze::{Context, Detectors};
    use peilian::mining::redact::Redactor;
    use peilian::text::Analyzer;
    use std::sync::Arc;
    // Each stage runs three times; the fastest counts (this machine's timings vary by ±20 %).
    fn fastest<T>(mut f: impl FnMut() -> T) -> (T, f64) {
        let mut best = f64::MAX;
        let mut out = None;
        for _ in 0..3 {
            let t = Instant::now();
            out = Some(f());
            best = best.min(t.elapsed().as_secs_f64());
        }
        (out.expect("ran"), best)
    }
    let text = std::fs::read_to_string(input).expect("corpus");
    let lines: Vec<&str> = text.lines().take(50_000).collect();
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    let (dialogues, parse) =
        fastest(|| lines.iter().filter_map(|l| peilian::mining::input::parse_json_line(l).ok()).collect::<Vec<_>>());
    let texts: Vec<(bool, String)> = dialogues
        .iter()
        .flat_map(|d| d.turns.iter().map(|t| (t.role == peilian::mining::input::Role::Customer, t.text.to_string())))
        .collect();
    let analyzer = Arc::new(Analyzer::with_embedded_lexicons());
    let ctx = Context { detectors: Detectors::new(&analyzer), analyzer: analyzer.clone(), redactor: Redactor::new() };
    let (redacted, redact) = fastest(|| texts.iter().map(|(_, s)| ctx.redactor.redact(s).0).collect::<Vec<String>>());
    let (analyzed, analyze) = fastest(|| redacted.iter().map(|s| analyzer.analyze(s)).collect::<Vec<_>>());
    let normalized: Vec<String> = redacted.iter().map(|s| peilian::text::normalize::normalize(s)).collect();
    let (_, normalize) =
        fastest(|| redacted.iter().map(|s| peilian::text::normalize::normalize(s).len()).sum::<usize>());
    let jieba = jieba_rs::Jieba::new();
    let (_, cut) = fastest(|| normalized.iter().map(|s| jieba.cut(s, true).len()).sum::<usize>());
    let (tones, tone) = fastest(|| analyzed.iter().map(|a| analyzer.tone_of(a)).collect::<Vec<_>>());
    let (words, terms) = fastest(|| {
        let mut words = 0usize;
        for a in &analyzed {
            let br = peilian::mining::vocab::bracket_ranges(&a.norm);
            for tok in &a.tokens {
                if !br.iter().any(|r| tok.span.start < r.end && r.start < tok.span.end)
                    && peilian::mining::vocab::is_term(&a.norm[tok.span.clone()])
                {
                    words += 1;
                }
            }
        }
        words
    });
    let anger: f32 = texts.iter().zip(&tones).filter(|((customer, _), _)| *customer).map(|(_, t)| t.anger).sum();
    let mb = bytes as f64 / 1e6;
    println!(
        "stages on {} dialogues ({mb:.1} MB, one thread, fastest of 3): parse {:.1} MB/s, redact {:.1} MB/s, analyze {:.1} MB/s (normalize {:.1} MB/s, jieba cut alone {:.1} MB/s), tone {:.1} MB/s, words {:.1} MB/s ({words} words, anger sum {anger:.0})",
        dialogues.len(),
        mb / parse,
        mb / redact,
        mb / analyze,
        mb / normalize,
        mb / cut,
        mb / tone,
        mb / terms,
    );
}

/// The like-for-like stage of the Python baseline: jieba segmentation (HMM on, default
/// dictionary) of every turn, document frequencies, TF-IDF top 5 per dialogue, in parallel.
/// Prints the same JSON fields as `mining_baseline.py`.
fn tfidf_only(input: &Path) {
    use rayon::prelude::*;
    use std::collections::HashMap;
    use std::io::BufRead;
    let jieba = jieba_rs::Jieba::new();
    let started = Instant::now();
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(input).expect("input"));
    let mut vocab: HashMap<String, u32> = HashMap::new();
    let mut df: Vec<u32> = Vec::new();
    let mut bags: Vec<Vec<(u32, u32)>> = Vec::new();
    let mut bytes = 0usize;
    let mut lines = reader.lines();
    loop {
        let batch: Vec<String> = lines.by_ref().take(4096).map_while(Result::ok).collect();
        if batch.is_empty() {
            break;
        }
        bytes += batch.iter().map(|l| l.len() + 1).sum::<usize>();
        let counted: Vec<Vec<(String, u32)>> = batch
            .par_iter()
            .map(|l| {
                let Ok(d) = peilian::mining::input::parse_json_line(l) else { return Vec::new() };
                let mut words: HashMap<&str, u32> = HashMap::new();
                for t in &d.turns {
                    for tok in jieba.cut(&t.text, true) {
                        if tok.word.chars().count() >= 2 {
                            *words.entry(tok.word).or_insert(0) += 1;
                        }
                    }
                }
                let mut v: Vec<(String, u32)> = words.into_iter().map(|(w, c)| (w.to_string(), c)).collect();
                v.sort_unstable();
                v
            })
            .collect();
        for words in counted {
            let bag = words
                .into_iter()
                .map(|(w, c)| {
                    let next = vocab.len() as u32;
                    let id = *vocab.entry(w).or_insert(next);
                    if id as usize == df.len() {
                        df.push(0);
                    }
                    df[id as usize] += 1;
                    (id, c)
                })
                .collect();
            bags.push(bag);
        }
    }
    let n = bags.len() as f64;
    let keywords: usize = bags
        .par_iter()
        .map(|bag| {
            let total: u32 = bag.iter().map(|b| b.1).sum::<u32>().max(1);
            let mut scored: Vec<(f64, u32)> = bag
                .iter()
                .map(|&(w, c)| {
                    (f64::from(c) / f64::from(total) * (((n + 1.0) / (f64::from(df[w as usize]) + 1.0)).ln() + 1.0), w)
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            scored.len().min(5)
        })
        .sum();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"rust_jieba_dialogues\": {}, \"bytes\": {bytes}, \"seconds\": {secs:.2}, \"dialogues_per_s\": {:.1}, \"mb_per_s\": {:.3}, \"keywords\": {keywords}, \"peak_rss_mb\": {:.0}}}",
        bags.len(),
        n / secs,
        bytes as f64 / 1e6 / secs,
        peak_rss_mb().unwrap_or(f64::NAN)
    );
}

fn run_child(input: &Path, label: &str) {
    let exe = std::env::current_exe().expect("bench executable");
    let status = Command::new(exe).arg("--child").arg(input).arg(label).status().expect("run child");
    assert!(status.success(), "{label} failed");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.first().map(String::as_str) == Some("--redact-loop") {
        let text = std::fs::read_to_string(&args[1]).expect("corpus");
        let r = peilian::mining::redact::Redactor::new();
        let texts: Vec<String> = text
            .lines()
            .filter_map(|l| peilian::mining::input::parse_json_line(l).ok())
            .flat_map(|d| d.turns.into_iter().map(|t| t.text.into_owned()))
            .collect();
        let (mut n, mut best, mut total) = (0, f64::MAX, 0.0);
        for _ in 0..10 {
            let t = Instant::now();
            for s in &texts {
                n += r.redact(s).1.total();
            }
            best = best.min(t.elapsed().as_secs_f64());
            total += t.elapsed().as_secs_f64();
        }
        println!("redact ×10: {total:.2} s, fastest pass {:.0} ms ({n} items)", best * 1e3);
        return;
    }
    if args.first().map(String::as_str) == Some("--tfidf") {
        tfidf_only(Path::new(&args[1]));
        return;
    }
    if args.first().map(String::as_str) == Some("--stages") {
        stages(Path::new(&args[1]));
        return;
    }
    if args.first().map(String::as_str) == Some("--child") {
        child(Path::new(&args[1]), &args[2]);
        return;
    }
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(200_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = target_dir().join("bench-mining");
    std::fs::create_dir_all(&work).expect("bench dir");

    let shared = root.join("../shared/data/transcripts/stc3_weibo_helpdesk_dev.jsonl");
    if shared.is_file() {
        run_child(&shared, "shared corpus");
    } else {
        println!("shared corpus: not present ({}), skipped", shared.display());
    }

    let corpus = work.join(format!("fixture-corpus-{n}.jsonl"));
    if !corpus.is_file() {
        generate(&root.join("tests/fixtures/mining/small.jsonl"), n, &corpus);
    }
    run_child(&corpus, &format!("fixture corpus ×{n}"));
}
