#!/usr/bin/env bash
# Runs the real app under Xvfb with Mesa's software Vulkan renderer, walks it through every
# screen with the scripted demo (`peilian app --demo-screens DIR`), and saves a PNG of each.
# Usage: scripts/screenshots.sh [DIR]   (default: docs/screenshots)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/peilian-target}"
cargo build --release --locked --quiet
out="${1:-docs/screenshots}"
mkdir -p "$out"
display=99
while [ -e "/tmp/.X${display}-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
runtime="$(mktemp -d)"
start=$(date +%s%N)
DISPLAY=":$display" XDG_RUNTIME_DIR="$runtime" PEILIAN_NO_AUDIO=1 \
  "$CARGO_TARGET_DIR/release/peilian" app --demo-screens "$out" 2>&1 | grep -E "first frame|ERROR|panicked" || true
echo "demo finished in $(( ($(date +%s%N) - start) / 1000000 )) ms; screenshots in $out:"
ls "$out"
