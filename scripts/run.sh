#!/usr/bin/env bash
# Sets up what is missing, builds the release app and serves it.
# Address: http://127.0.0.1:3000 (REEL_LISTEN or --listen to change);
# data: ./data (REEL_DATA_DIR or --data-dir). Arguments go to the server;
# `target/release/reel --help` lists all settings.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# wasm-opt comes from the pinned npm binaryen, never from a download.
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Release assets: /pkg names carry a content hash (cached for a year), and
# the site gets brotli and gzip siblings; the server links the hashed names
# when it runs with LEPTOS_HASH_FILES=true (it reads target/release/hash.txt).
export LEPTOS_HASH_FILES=true
cargo leptos build --release --split
scripts/precompress.sh target/site
# What `cargo leptos serve` would set, and the binary itself rather than
# cargo-leptos around it: Ctrl-C reaches the server's graceful shutdown.
export LEPTOS_OUTPUT_NAME=reel LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg LEPTOS_ENV=PROD
exec target/release/reel "$@"
