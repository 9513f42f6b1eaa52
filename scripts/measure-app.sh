#!/usr/bin/env bash
# Measures the real app under Xvfb (software Vulkan): time to the first frame, CPU while idle
# on the picker (reactive mode), memory, and frame times while typing in a call.
# Usage: scripts/measure-app.sh   (needs xdotool: apt-get install xdotool)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
command -v xdotool >/dev/null || { echo "needs xdotool (apt-get install xdotool)" >&2; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/peilian-target}"
cargo build --release --locked --quiet
bin="$CARGO_TARGET_DIR/release/peilian"
display=99
while [ -e "/tmp/.X${display}-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
work="$(mktemp -d)"
trap 'kill $xvfb 2>/dev/null || true; kill $app 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=":$display" XDG_RUNTIME_DIR="$work" PEILIAN_NO_AUDIO=1 PEILIAN_HOME="$work" PEILIAN_DB="$work/m.db"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# 1–3: idle on the picker in the normal (reactive) mode, the window focused.
"$bin" app --start picker >"$work/idle.log" 2>&1 &
app=$!
sleep 6
xdotool windowfocus "$(xdotool search --sync --pid $app | head -1)" 2>/dev/null || true
sleep 4
t0=$(cpu_ticks $app); sleep 30; t1=$(cpu_ticks $app)
idle=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN { printf "%.1f", 100 * (b - a) / hz / 30 }')
rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$app/status")
hwm=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$app/status")
first=$(grep -o "first frame after [0-9]* ms" "$work/idle.log" | head -1)
kill $app; wait $app 2>/dev/null || true
echo "time to first frame: ${first#first frame after }"
echo "CPU idle on the picker (reactive, focused window): ${idle}% of one core over 30 s"
echo "memory: ${rss} MB RSS (peak ${hwm} MB)"

# 4: frame times while typing into the answer box of a call (continuous mode, as a worst case).
PEILIAN_FRAME_STATS=1 "$bin" app --continuous --seed 1 --scenario angry-late-delivery-refund >"$work/typing.log" 2>&1 &
app=$!
sleep 8
win=$(xdotool search --sync --pid $app | head -1)
xdotool windowfocus "$win" 2>/dev/null || true
xdotool mousemove --window "$win" 640 443 click 1; sleep 1   # 接听
xdotool mousemove --window "$win" 680 748 click 1; sleep 1   # the answer box
for _ in $(seq 1 6); do xdotool type --delay 80 "nihao wo lai bang nin cha yi xia "; done
sleep 2
grep -o "frame time over.*" "$work/typing.log" | tail -3 | sed 's/^/while typing: /'
kill $app; wait $app 2>/dev/null || true
