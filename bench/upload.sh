#!/usr/bin/env bash
# Upload benchmark (not a test): sends a ~1 GB WAV through the multipart route
# of the release server and reports MB/s, the server's peak RSS, and the time
# from the last byte received to a playable item (from the server's log).
# For scale, the same file is copied on the same disk with `cp` in the same run.
# Usage: bench/upload.sh [size_mb]   (after scripts/run.sh or `cargo leptos build --release --split`)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-1024}
bin=target/release/reel
[ -x "$bin" ] || { echo "build first: cargo leptos build --release --split" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
# 48 kHz stereo s16 WAV: 192,000 bytes per second of sound.
seconds=$(( size_mb * 1000000 / 192000 ))
ffmpeg -v error -y -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$seconds" -ac 2 -c:a pcm_s16le "$work/big.wav"
bytes=$(stat -c %s "$work/big.wav")

port=39${RANDOM:0:3}
REEL_DATA_DIR="$work/data" REEL_LISTEN="127.0.0.1:$port" LEPTOS_OUTPUT_NAME=reel \
  REEL_ADMIN_USER=bench REEL_ADMIN_PASSWORD=bench-password-1 \
  LEPTOS_SITE_ROOT=target/site RUST_LOG=info NO_COLOR=1 "$bin" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
token=$(bench/token.sh "http://127.0.0.1:$port")

sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
cp_start=$(date +%s.%N); cp "$work/big.wav" "$work/copy.wav"; sync; cp_end=$(date +%s.%N)
rm -f "$work/copy.wav"

total=$(curl -s -o "$work/response.json" -w '%{time_total}' ${token:+-H "Authorization: Bearer $token"} \
  -F "file=@$work/big.wav" "http://127.0.0.1:$port/api/uploads")
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
playable_ms=$(grep -o 'playable_after_ms=[0-9.]*' "$work/server.log" | tail -n1 | cut -d= -f2)
grep -q '"id"' "$work/response.json" || { echo "upload failed: $(cat "$work/response.json")" >&2; exit 1; }

awk -v b="$bytes" -v t="$total" -v c0="$cp_start" -v c1="$cp_end" -v rss="$rss_kb" -v p="$playable_ms" 'BEGIN {
  up = b / 1e6 / t; cp = b / 1e6 / (c1 - c0);
  printf "file            %.0f MB\n", b / 1e6;
  printf "reel upload     %.1f MB/s (%.2f s)\n", up, t;
  printf "cp, same disk   %.1f MB/s (%.2f s)\n", cp, c1 - c0;
  printf "ratio           %.2f x cp\n", up / cp;
  printf "server peak RSS %.1f MiB\n", rss / 1024;
  printf "last byte -> playable %s ms\n", p;
}'
