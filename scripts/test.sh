#!/usr/bin/env bash
# Sets up what is missing, then runs every check: formatting, lints for both
# builds, unit and integration tests (the crash soak, hostile media, disk
# full and slow clients among them; the integration suite a second time on
# PostgreSQL and S3), the load tool and the fuzz targets in
# their quick versions (RELIABILITY.md; scripts/reliability.sh runs the long
# ones), and end-to-end tests in headless Chromium against the release build
# the run command serves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

step "formatting"
cargo fmt --check

step "lints (server and browser builds)"
cargo clippy --all-targets --features ssr -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --features hydrate -- -D warnings

step "unit and integration tests (the repository's on SQLite and PostgreSQL)"
# A throwaway PostgreSQL cluster on loopback; each test makes its own database.
pg_env=$(scripts/postgres.sh start)
eval "$pg_env"
trap 'scripts/postgres.sh stop "$REEL_TEST_PG_DIR"' EXIT
cargo test --features ssr

step "integration tests again, every server on PostgreSQL and S3 (s3s-fs)"
# Tests of what exists only with local disk and SQLite (sendfile, a full
# disk, the database file) skip themselves in this run (local_only!).
s3_env=$(scripts/s3.sh start)
eval "$s3_env"
trap 'scripts/postgres.sh stop "$REEL_TEST_PG_DIR"; scripts/s3.sh stop "$REEL_TEST_S3_PID" "$REEL_TEST_SHARED_S3_ROOT"' EXIT
cargo test --features ssr --test it
scripts/s3.sh stop "$REEL_TEST_S3_PID" "$REEL_TEST_SHARED_S3_ROOT"
unset REEL_TEST_SHARED_S3 REEL_TEST_SHARED_S3_ROOT
scripts/postgres.sh stop "$REEL_TEST_PG_DIR"
trap - EXIT

step "release build (what scripts/run.sh serves), the fuzz targets built beside it"
# The fuzz build (its own workspace and target directory, about 13 minutes
# from nothing) runs beside the release build, which leaves a core idle at
# times (the browser build's single codegen unit, wasm-opt). Measured once,
# the pair took about as long as the two one after the other: no clear gain.
fuzz_log=$(mktemp)
scripts/fuzz.sh build >"$fuzz_log" 2>&1 &
fuzz_build=$!
trap 'kill "$fuzz_build" 2>/dev/null || true' EXIT
# Hashed /pkg names and precompressed siblings, as in scripts/run.sh; the
# end-to-end server is started with LEPTOS_HASH_FILES=true to match.
LEPTOS_HASH_FILES=true cargo leptos build --release --split
scripts/precompress.sh target/site

step "load: uploads, streams, ranges, pages and events at once (small)"
cargo run --features ssr --example load -- --scale small

step "fuzzing every parser of client and file bytes (20 s per target)"
if ! wait "$fuzz_build"; then
  cat "$fuzz_log" >&2
  echo "fuzz: the build failed" >&2
  exit 1
fi
rm -f "$fuzz_log"
scripts/fuzz.sh 20

step "end-to-end tests in Chromium"
REEL_E2E_DATA_DIR=$(mktemp -d)
export REEL_E2E_DATA_DIR
trap 'rm -rf "$REEL_E2E_DATA_DIR"' EXIT
(cd end2end && npx playwright test)
