#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs every test: the core without bevy (the fast loop),
# then the full build with the app and its headless tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/peilian-target}"
cargo test --locked --no-default-features
# The benchmarks are not built by `cargo test`: check that they still compile.
cargo check --locked --no-default-features --benches
cargo test --locked
