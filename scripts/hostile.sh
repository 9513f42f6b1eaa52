#!/usr/bin/env bash
# Feeds peilian the bad inputs in scripts/hostile/*.sh and counts what went wrong.
# Each area script takes the binary as $1 and a scratch folder as $2, and prints one line per
# case: AREA<TAB>CASE<TAB>RESULT<TAB>DETAIL, RESULT one of
#   ok        handled: a clear message naming what and what to do, no lost or misplaced record
#   panic     the program panicked (exit 101 or "panicked at")
#   hang      it did not finish within the case's time limit
#   lost      a finished turn or session was not kept anywhere
#   wrong-db  a record showed up in a database it does not belong to
#   unclear   the message does not say what is wrong and what to do
# Usage: scripts/hostile.sh [BIN]   (default: the release build in $CARGO_TARGET_DIR)
set -uo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$HOME/.cache/peilian-target}"
bin="$(realpath "${1:-$target/release/peilian}")"
[ -x "$bin" ] || { echo "找不到可执行文件 $bin；先运行 cargo build --release" >&2; exit 2; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
results="$scratch/results.tsv"
for area in scripts/hostile/*.sh; do
    mkdir -p "$scratch/$(basename "$area" .sh)"
    bash "$area" "$bin" "$scratch/$(basename "$area" .sh)" >>"$results"
done
awk -F'\t' '
    { n++; count[$3]++; if ($3 != "ok") bad[n] = $0 }
    END {
        printf "bad inputs tried: %d\n", n
        split("panic hang lost wrong-db unclear", kinds, " ")
        for (i = 1; i <= 5; i++) printf "  %-9s %d\n", kinds[i], count[kinds[i]] + 0
        for (k in bad) print "  " bad[k]
    }' "$results"
awk -F'\t' '$3 != "ok" { exit 1 }' "$results"
