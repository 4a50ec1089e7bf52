#!/usr/bin/env bash
# Sets up what is missing, builds the release app and serves it.
# Address: http://127.0.0.1:3000 (REEL_LISTEN or --listen to change);
# data: ./data (REEL_DATA_DIR or --data-dir). `target/release/reel --help` lists all settings.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# wasm-opt comes from the pinned npm binaryen, never from a download.
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
exec cargo leptos serve --release
