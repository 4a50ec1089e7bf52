#!/usr/bin/env bash
# Interleaved A/B of two Reel builds serving random 64 KiB ranges (not a
# test): both run side by side and take turns under wrk, round after round,
# so machine noise hits both alike (single runs of bench/bytes.sh vary by
# 5-20% on a shared machine). Prints req/s per round and the mean ratio B/A.
# Usage: [BENCH_ACCESS=public|signed] [ROUNDS=3] [SECONDS_PER=6] bench/bytes_ab.sh BIN_A BIN_B
set -euo pipefail
cd "$(dirname "$0")/.."
a_bin=$1 b_bin=$2
rounds=${ROUNDS:-3}
secs=${SECONDS_PER:-6}
access=${BENCH_ACCESS:-public}
work=$(mktemp -d)
# The servers' pids, in a file: they are started inside $(…), a subshell.
cleanup() {
  for p in $(cat "$work/pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

ffmpeg -v error -y -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=520" \
  -ac 2 -c:a pcm_s16le "$work/big.wav"
size=$(stat -c %s "$work/big.wav")
cat >"$work/ranges.lua" <<LUA
local counter = 0
function setup(thread) counter = counter + 1; thread:set("seed", counter) end
function init(args) math.randomseed(os.time() * 97 + (seed or 0)) end
function request()
  local start = math.random(0, $size - 65536)
  return wrk.format(nil, nil, { Range = "bytes=" .. start .. "-" .. (start + 65535) })
end
LUA

# Starts a build on its own port and data, uploads the file; prints its URL.
start() {
  local name=$1 bin=$2 port=$3 origin="http://127.0.0.1:$3"
  REEL_DATA_DIR="$work/$name" REEL_LISTEN="127.0.0.1:$port" LEPTOS_OUTPUT_NAME=reel \
    REEL_ADMIN_USER=bench REEL_ADMIN_PASSWORD=bench-password-1 LEPTOS_SITE_ROOT=target/site \
    RUST_LOG=warn "$bin" >"$work/$name.log" 2>&1 &
  echo $! >>"$work/pids"
  for _ in $(seq 200); do curl -sf -o /dev/null "$origin/healthz" && break; sleep 0.05; done
  # Builds from before accounts need no sign-in (and fail it harmlessly).
  curl -sf -c "$work/$name.jar" -d username=bench -d password=bench-password-1 \
    "$origin/api/login" >/dev/null || true
  local answer id path
  answer=$(curl -sf -b "$work/$name.jar" -H "Origin: $origin" -F "file=@$work/big.wav" "$origin/api/uploads")
  id=$(grep -o '"id":"[0-9a-f]*"' <<<"$answer" | cut -d'"' -f4)
  path=$(grep -o '"original":"[^"]*"' <<<"$answer" | cut -d'"' -f4)
  # Builds from before accounts answer no signed address: theirs is public.
  if [ "$access" = public ] || [ -z "$path" ]; then
    curl -sf -b "$work/$name.jar" -H "Origin: $origin" -d "id=$id" -d title=big -d description= \
      -d visibility=public "$origin/api/update_media" >/dev/null || true
    path="/files/$id/original"
  fi
  local got
  got=$(curl -s -H 'Range: bytes=1000-1999' -o /dev/null -w '%{http_code} %{size_download}' "$origin$path")
  [ "$got" = "206 1000" ] || { echo "$name answered '$got' to a range at $path" >&2; exit 1; }
  echo "$origin$path"
}
a_url=$(start a "$a_bin" 39301)
b_url=$(start b "$b_bin" 39302)
cat "$work/big.wav" >/dev/null

rate() { wrk -t2 -c64 -d"${secs}s" -s "$work/ranges.lua" "$1" | awk '/Requests\/sec/ {print $2}'; }
sum_a=0 sum_b=0
for round in $(seq "$rounds"); do
  ra=$(rate "$a_url"); rb=$(rate "$b_url")
  echo "round $round: A $ra req/s, B $rb req/s"
  sum_a=$(echo "$sum_a + $ra" | bc -l); sum_b=$(echo "$sum_b + $rb" | bc -l)
done
printf 'mean: A %.0f req/s, B %.0f req/s, B/A %.3f (%s items)\n' \
  "$(echo "$sum_a / $rounds" | bc -l)" "$(echo "$sum_b / $rounds" | bc -l)" \
  "$(echo "$sum_b / $sum_a" | bc -l)" "$access"
