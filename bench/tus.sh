#!/usr/bin/env bash
# tus benchmark (not a test): the same client (8 MiB chunks, sequential)
# uploads the same ~1 GB WAV to Reel and to @tus/server with its file store,
# in alternating rounds of this run, each on a loopback port with its data on
# the same disk. Prints the median MB/s and the peak server RSS (VmHWM, over
# all rounds) for both, and the ratios. Goal: Reel >= 2x the Node server's
# MB/s, peak RSS < 64 MiB.
# The client: CLIENT=rust (default; examples/tus_upload.rs, a minimal tus
# client that leaves the 2 cores to the servers) or CLIENT=node
# (tus-js-client, which spends as much CPU as the servers do).
# Usage: [CLIENT=rust|node] bench/tus.sh [size_mb] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-1024}
rounds=${2:-3}
chunk=$((8 * 1024 * 1024))
bin=target/release/reel
client=${CLIENT:-rust}
if [ ! -x "$bin" ]; then
  echo "bench: building $bin" >&2
  cargo build --release --features ssr --bin reel
fi
if [ "$client" = rust ]; then
  cargo build -q --release --features ssr --example tus_upload
fi
if [ ! -f bench/tus-node/node_modules/@tus/server/package.json ] ||
  [ ! -f bench/tus-node/node_modules/tus-js-client/package.json ]; then
  (cd bench/tus-node && npm ci --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
# 48 kHz stereo s16 WAV: 192,000 bytes per second of sound; real media, so
# Reel finalises it into an item as it would any upload.
seconds=$((size_mb * 1000000 / 192000))
ffmpeg -v error -y -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$seconds" \
  -ac 2 -c:a pcm_s16le "$work/big.wav"
bytes=$(stat -c %s "$work/big.wav")

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_for() { # url: until it answers at all (any status), at most 10 s
  for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "bench: $1 never answered" >&2
  exit 1
}
# Runs the client against an endpoint; prints "<elapsed_ms> <upload id>".
upload() {
  sync
  local out
  if [ "$client" = rust ]; then
    out=$(target/release/examples/tus_upload "$1" "$work/big.wav" "$chunk")
  else
    out=$(node bench/tus-node/client.mjs "$1" "$work/big.wav" "$chunk")
  fi
  node -e 'const o=JSON.parse(process.argv[1]); if (o.bytes !== Number(process.argv[2])) process.exit(1); console.log(o.elapsedMs, o.url.split("/").pop())' "$out" "$bytes"
}
peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

settled() { # upload id: waits until the item's processing (the waveform of 1 GB of sound) is over
  local media
  media=$(curl -s "${auth[@]}" -d "upload_id=$1" "http://127.0.0.1:$reel_port/api/upload_status" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).phase.media_id))')
  for _ in $(seq 1200); do
    state=$(curl -s "${auth[@]}" -d "id=$media" "http://127.0.0.1:$reel_port/api/media" |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).state.state)}catch{console.log("?")}})')
    [ "$state" = processing ] || return 0
    sleep 0.1
  done
  echo "bench: Reel did not finish processing" >&2
  exit 1
}

finalised() { # upload id: polls Reel's upload_status until it has left receiving/finalising (<= 120 s)
  for _ in $(seq 1200); do
    phase=$(curl -s "${auth[@]}" -d "upload_id=$1" "http://127.0.0.1:$reel_port/api/upload_status" |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).phase.phase)}catch{console.log("?")}})')
    case "$phase" in done) settled "$1"; return 0 ;; failed) echo "bench: Reel failed the upload" >&2; exit 1 ;; esac
    sleep 0.1
  done
  echo "bench: Reel did not finalise the upload" >&2
  exit 1
}

reel_port=$(free_port)
REEL_DATA_DIR="$work/reel" REEL_LISTEN="127.0.0.1:$reel_port" LEPTOS_OUTPUT_NAME=reel \
  REEL_ADMIN_USER=bench REEL_ADMIN_PASSWORD=bench-password-1 \
  LEPTOS_SITE_ROOT=target/site RUST_LOG=warn NO_COLOR=1 "$bin" >"$work/reel.log" 2>&1 &
reel_pid=$!
pids+=("$reel_pid")
node_port=$(free_port)
mkdir -p "$work/node"
node bench/tus-node/server.mjs "$node_port" "$work/node" >"$work/node.log" 2>&1 &
node_pid=$!
pids+=("$node_pid")
wait_for "http://127.0.0.1:$reel_port/healthz"
# Both clients send it to both servers (@tus/server ignores it).
REEL_TOKEN=$(bench/token.sh "http://127.0.0.1:$reel_port")
export REEL_TOKEN
auth=(${REEL_TOKEN:+-H "Authorization: Bearer $REEL_TOKEN"})
wait_for "http://127.0.0.1:$node_port/files"

# Rounds alternate between the servers; each starts with the disk quiet and
# Reel's previous upload finalised (hashed, probed, stored) and processed
# (its waveform drawn), so neither run pays for the other's background work.
reel_runs=() node_runs=()
for round in $(seq "$rounds"); do
  out=$(upload "http://127.0.0.1:$reel_port/api/tus")
  reel_runs+=("${out% *}")
  finalised "${out#* }"
  rm -rf "$work/reel/files/media"
  out=$(upload "http://127.0.0.1:$node_port/files")
  node_runs+=("${out% *}")
  rm -rf "$work/node"/*
  echo "bench: round $round: reel ${reel_runs[-1]} ms, node ${node_runs[-1]} ms" >&2
done
reel_kib=$(peak_kib "$reel_pid")
node_kib=$(peak_kib "$node_pid")
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
reel_ms=$(median "${reel_runs[@]}")
node_ms=$(median "${node_runs[@]}")

awk -v b="$bytes" -v rm="$reel_ms" -v nm="$node_ms" -v rk="$reel_kib" -v nk="$node_kib" -v c="$chunk" -v r="$rounds" -v cl="$client" 'BEGIN {
  rr = b / 1e6 / (rm / 1000); n = b / 1e6 / (nm / 1000);
  printf "file                    %.0f MB in %d MiB chunks, client %s, median of %d rounds\n", b / 1e6, c / 1048576, cl, r;
  printf "reel                    %7.1f MB/s (%.2f s)   peak RSS %6.1f MiB\n", rr, rm / 1000, rk / 1024;
  printf "@tus/server+file-store  %7.1f MB/s (%.2f s)   peak RSS %6.1f MiB\n", n, nm / 1000, nk / 1024;
  printf "reel / node             %.2fx throughput, %.2fx peak RSS\n", rr / n, rk / nk;
}'
