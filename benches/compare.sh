#!/usr/bin/env bash
# Scoring speed in one run: the Rust benchmark (all rubrics, end to end) beside the Python jieba
# baseline (segmentation + synonym lookup + lexicon counts only) on the same answers.
# Usage: benches/compare.sh   (installs jieba from PyPI into a venv under target/ if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/peilian-target}"
venv="$CARGO_TARGET_DIR/bench-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q jieba
fi
rust=$(cargo bench --no-default-features --bench scoring -- --noplot score_one_answer 2>/dev/null | grep -A1 '^score_one_answer' | grep -o 'time: *\[[^]]*\]')
python=$("$venv/bin/python" benches/python_baseline.py)
echo "rust  score_one_answer_all_rubrics: $rust"
echo "python jieba baseline: $python"
median_rust=$(echo "$rust" | awk -F'[][ ]+' '{for(i=1;i<=NF;i++) if($i ~ /^[0-9.]+$/){n++; if(n==2){v=$i; u=$(i+1)}} } END {if(u=="ns") v=v/1000; if(u=="ms") v=v*1000; print v}')
median_py=$(echo "$python" | sed -E 's/.*"python_jieba_us_per_answer": ([0-9.]+).*/\1/')
awk -v r="$median_rust" -v p="$median_py" 'BEGIN { printf "median: rust %.2f µs, python %.2f µs per answer — rust is %.1f× faster\n", r, p, p / r }'
