#!/usr/bin/env bash
# Sets up a fresh Debian machine (system packages, Rust build) and opens the peilian app.
# Extra arguments go to peilian, e.g. `scripts/run.sh practice angry-late-delivery-refund`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/peilian-target}"
exec cargo run --release --locked -- "$@"
