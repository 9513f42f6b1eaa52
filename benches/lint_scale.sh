#!/usr/bin/env bash
# How `peilian lint` time grows with a scenario's length: generates linear scenarios of
# 1,000 / 5,000 / 20,000 turns (each turn a customer line, a required concept, a model answer
# and two branches) and times linting each. Lint should grow about linearly: 20× the turns,
# about 20× the time.
# Usage: benches/lint_scale.sh [BIN] [TURNS...]   (default: the release build, 1000 5000 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$HOME/.cache/peilian-target}"
bin="$(realpath "${1:-$target/release/peilian}")"
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 5000 20000)
[ -x "$bin" ] || { echo "找不到可执行文件 $bin；先运行 cargo build --release" >&2; exit 2; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# Writes a scenario of $1 turns to $2.
generate() {
    awk -v n="$1" 'BEGIN {
        print "Scenario("
        print "    id: \"long-" n "\", title: \"长场景\", version: 1, skills: [Empathy], difficulty: 2,"
        print "    channel: Phone, provenance: [\"bench\"],"
        print "    persona: (kind: Normal, name: \"赵雷\", title: \"赵先生\", mood: 30, patience_secs: 60),"
        print "    concepts: { \"apology\": (label: \"致歉\", groups: [\"道歉\"]) },"
        print "    turns: ["
        for (i = 0; i < n; i++) {
            next_id = (i + 1 < n) ? "t" (i + 1) : "done"
            printf "        (id: \"t%d\", customer: [(text: \"第%d个问题：我的快递到底到哪儿了？\")],\n", i, i
            printf "         expect: (required: [\"apology\"], model_answer: \"非常抱歉让您久等，我马上帮您查快递。\"),\n"
            printf "         next: [(when: MoodAtLeast(95), goto: \"angry\"), (when: Always, goto: \"%s\")]),\n", next_id
        }
        print "    ],"
        print "    endings: [(id: \"done\", kind: Resolved), (id: \"angry\", kind: HungUp)],"
        print "    escalation: (policy: SolveYourself),"
        print "    samples: [(turn: \"t0\", answer: \"非常抱歉，我马上帮您查。\", score: (0, 100))],"
        print ")"
    }' > "$2"
}

printf 'turns\tbytes\tseconds\n'
for n in "${sizes[@]}"; do
    file="$scratch/long-$n.ron"
    generate "$n" "$file"
    start=$(date +%s%N)
    "$bin" lint "$file" >/dev/null || true
    end=$(date +%s%N)
    awk -v n="$n" -v b="$(wc -c <"$file")" -v ns="$((end - start))" 'BEGIN { printf "%s\t%s\t%.2f\n", n, b, ns / 1e9 }'
done
