#!/usr/bin/env bash
# The long runs of the reliability suite (RELIABILITY.md): the load tool at
# full scale, many crashes, and every fuzz target for ten minutes. The
# README's test command runs the quick version of each.
#
#   scripts/reliability.sh
#   REEL_SOAK_ITERATIONS=500 FUZZ_SECONDS=3600 scripts/reliability.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

step "release build (the server the load tool starts)"
LEPTOS_HASH_FILES=true cargo leptos build --release --split
scripts/precompress.sh target/site

step "load at full scale"
cargo run --release --features ssr --example load -- --scale full

step "crash soak: ${REEL_SOAK_ITERATIONS:=200} crashes"
REEL_SOAK_ITERATIONS=$REEL_SOAK_ITERATIONS \
  cargo test --features ssr --test it crash_soak -- --nocapture

step "fuzzing: ${FUZZ_SECONDS:=600} s per target"
scripts/fuzz.sh "$FUZZ_SECONDS"
