#!/usr/bin/env bash
# Fuzzes every parser that reads client or file bytes (the targets in fuzz/,
# which call reel::testing::fuzz): builds all targets once, runs each for
# SECONDS_PER_TARGET (default 20) from a scratch copy of its committed seeds
# (fuzz/seeds/<target>), two at a time (libFuzzer runs on one core), and
# prints one line per target with the number of inputs libFuzzer ran. Fails
# if any target crashed; the input that did is kept in
# fuzz/artifacts/<target>/ and its backtrace printed.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#   scripts/fuzz.sh build     (builds the targets, runs nothing)
#
# Stable Rust only, on purpose (CI has no nightly):
# - RUSTC_BOOTSTRAP=1 because cargo-fuzz passes -Z flags to cargo and rustc
#   (-Zunstable-options and friends) that stable refuses otherwise.
# - --sanitizer none because AddressSanitizer (-Zsanitizer) needs a nightly
#   standard library. The crate forbids unsafe code, so ASan would add little;
#   what we look for is panics, arithmetic overflow (--debug-assertions) and
#   the invariants the fuzz functions assert.
# - --codegen-units 16: the dependency tree (leptos, axum, sqlx) is large and
#   the build dominates a short run; 16 units build it markedly faster than
#   cargo-fuzz's default of 1, at a small cost in executions per second.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1

seconds=${1:-20}
case $seconds in
  build) ;;
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET | build]" >&2; exit 2 ;;
esac
command -v cargo-fuzz >/dev/null || { echo "fuzz: cargo-fuzz is missing: run scripts/setup.sh" >&2; exit 1; }

# The same flags for build and run, so `run` finds the build up to date.
flags=(--sanitizer none --release --debug-assertions --codegen-units 16)
cargo fuzz build "${flags[@]}"
[ "$seconds" = build ] && exit 0

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Runs one target; its outcome goes to $scratch/<target>.outcome.
fuzz_one() {
  local target=$1 corpus="$scratch/corpus/$1" log="$scratch/$1.log" started outcome runs
  # libFuzzer adds what it finds to its first corpus directory: a copy, so
  # only the hand-written seeds are ever committed.
  mkdir -p "$corpus"
  cp fuzz/seeds/"$target"/* "$corpus"/
  started=$(date +%s)
  # -timeout: an input taking 10 s is a hang worth reporting.
  if cargo fuzz run "${flags[@]}" "$target" "$corpus" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    outcome=ok
  else
    outcome=CRASHED
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  printf 'fuzz: %-16s %-7s %12s executions in %4d s\n' "$target" "$outcome" "${runs:-?}" \
    "$(($(date +%s) - started))"
  echo "$outcome" >"$scratch/$target.outcome"
}

running=0
for target in $(cargo fuzz list); do
  if [ "$running" -ge 2 ]; then
    wait -n || true
    running=$((running - 1))
  fi
  fuzz_one "$target" &
  running=$((running + 1))
done
wait

failed=()
for target in $(cargo fuzz list); do
  if [ "$(cat "$scratch/$target.outcome" 2>/dev/null)" != ok ]; then
    failed+=("$target")
    grep -v '^#[0-9]' "$scratch/$target.log" | tail -n 60 >&2
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
