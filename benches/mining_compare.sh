#!/usr/bin/env bash
# Mining speed and memory in one run: `peilian mine` (release build) on a generated corpus of
# N dialogues (default 1,000,000) and on the shared corpus when present, each under
# `/usr/bin/time -v` for the peak memory, beside the Python jieba baseline
# (benches/mining_baseline.py: segmentation + TF-IDF only) and the same stage in Rust
# (`benches/mining.rs --tfidf`, jieba-rs on all cores) on the same input.
#
# Usage: benches/mining_compare.sh [N]
# The corpus is built by recombining the turns of ../shared/data/transcripts/ when present,
# else of tests/fixtures/mining/small.jsonl; it is kept in $CARGO_TARGET_DIR/bench-mining/.
# Installs jieba from PyPI into a venv under the target directory if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/peilian-target}"
work="$CARGO_TARGET_DIR/bench-mining"
mkdir -p "$work"
venv="$CARGO_TARGET_DIR/bench-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q jieba
fi
cargo build --release --locked --quiet   # the same binary as the app (mining does not need the GUI, but this reuses its build)
peilian="$CARGO_TARGET_DIR/release/peilian"
# The bench binary runs the like-for-like stage (`--tfidf`: jieba segmentation + TF-IDF only).
bench=$(cargo bench --no-default-features --bench mining --no-run 2>&1 | grep -o '(/[^)]*mining-[0-9a-f]*)' | tr -d '()' | tail -1)

shared="../shared/data/transcripts/stc3_weibo_helpdesk_dev.jsonl"
source_file="$shared"
[ -f "$source_file" ] || source_file="tests/fixtures/mining/small.jsonl"
corpus="$work/corpus-$n.jsonl"
if [ ! -s "$corpus" ]; then
  echo "generating $n dialogues from $source_file → $corpus" >&2
  python3 - "$source_file" "$corpus" "$n" <<'EOF'
import json, random, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [json.loads(l) for l in open(src, encoding="utf-8") if l.strip()]
customer = [t["text"] for r in rows for t in r["turns"] if t["role"] == "customer"]
agent = [t["text"] for r in rows for t in r["turns"] if t["role"] == "agent"]
shapes = [(len(r["turns"]), r.get("labels")) for r in rows]
rng = random.Random(42)
with open(dst, "w", encoding="utf-8") as f:
    for i in range(n):
        k, labels = shapes[rng.randrange(len(shapes))]
        turns = [{"role": "customer" if j % 2 == 0 else "agent",
                  "text": rng.choice(customer if j % 2 == 0 else agent)} for j in range(k)]
        d = {"id": f"G{i:08d}", "turns": turns}
        if labels:
            d["labels"] = labels
        f.write(json.dumps(d, ensure_ascii=False) + "\n")
EOF
fi

# Runs a command under /usr/bin/time -v; prints "seconds max_rss_kb".
timed() {
  local log="$work/time.log"
  /usr/bin/time -v "$@" >"$work/out.log" 2>"$log" || { cat "$log" >&2; return 1; }
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  echo "$wall $rss"
}

compare() {
  local input="$1" label="$2"
  local bytes dialogues
  bytes=$(stat -c %s "$input")
  dialogues=$(wc -l <"$input")
  rm -rf "$work/out"
  read -r rust_s rust_kb < <(timed "$peilian" mine "$input" --out "$work/out/drafts" --report "$work/out/report.html" --quiet)
  read -r seg_s seg_kb < <(timed "$bench" --tfidf "$input")
  read -r py_s py_kb < <(timed "$venv/bin/python" benches/mining_baseline.py "$input")
  awk -v l="$label" -v d="$dialogues" -v b="$bytes" -v rs="$rust_s" -v rk="$rust_kb" -v ss="$seg_s" -v sk="$seg_kb" -v ps="$py_s" -v pk="$py_kb" 'BEGIN {
    printf "%s: %d dialogues, %.1f MB\n", l, d, b / 1e6
    printf "  peilian mine (redact + tone + TF-IDF + families + drafts + report): %.1f s, %.0f dialogues/s, %.1f MB/s, peak RSS %.0f MB\n", rs, d / rs, b / 1e6 / rs, rk / 1024
    printf "  rust jieba-rs (segmentation + TF-IDF only, all cores):            %.1f s, %.0f dialogues/s, %.1f MB/s, peak RSS %.0f MB\n", ss, d / ss, b / 1e6 / ss, sk / 1024
    printf "  python jieba (segmentation + TF-IDF only):                        %.1f s, %.0f dialogues/s, %.2f MB/s, peak RSS %.0f MB\n", ps, d / ps, b / 1e6 / ps, pk / 1024
    printf "  ratio to python: peilian mine %.1fx, segmentation + TF-IDF %.1fx\n", ps / rs, ps / ss
  }'
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM"
if [ -f "$shared" ]; then
  compare "$shared" "shared corpus"
fi
compare "$corpus" "generated corpus"
