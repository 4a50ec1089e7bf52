#!/usr/bin/env bash
# Byte-serving benchmark (not a test): the same ~200 MB file served by Reel's
# /files route and by Debian's nginx with sendfile, measured by wrk in one run:
# full GETs with 1 and 16 connections, random 64 KiB ranges with 64
# connections, and peak RSS with 100 concurrent full streams.
# Loopback only; every wrk run is bounded (BENCH_SECONDS, default 10 s).
# Usage: [BENCH_ACCESS=signed|public] bench/bytes.sh [size_mb]   (builds target/release/reel when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-200}
secs=${BENCH_SECONDS:-10}
bin=${REEL_BIN:-target/release/reel}

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null
fi
if [ ! -x "$bin" ]; then
  cargo build --release --features ssr --bin reel
fi

work=$(mktemp -d)
reel_pid= nginx_pid=
cleanup() {
  [ -n "$reel_pid" ] && kill "$reel_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  local port
  while :; do
    port=$(( 20000 + RANDOM % 20000 ))
    ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { echo "$port"; return; }
  done
}
wait_up() {
  for _ in $(seq 200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "server at $1 did not come up" >&2
  return 1
}

# 48 kHz stereo s16 WAV: 192,000 bytes per second of sound; valid media for the upload route.
seconds=$(( size_mb * 1000000 / 192000 ))
ffmpeg -v error -y -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$seconds" \
  -ac 2 -c:a pcm_s16le "$work/big.wav"
bytes=$(stat -c %s "$work/big.wav")

reel_port=$(free_port)
REEL_DATA_DIR="$work/data" REEL_LISTEN="127.0.0.1:$reel_port" LEPTOS_OUTPUT_NAME=reel \
  REEL_ADMIN_USER=bench REEL_ADMIN_PASSWORD=bench-password-1 \
  LEPTOS_SITE_ROOT=target/site RUST_LOG=warn NO_COLOR=1 "$bin" >"$work/reel.log" 2>&1 &
reel_pid=$!
origin="http://127.0.0.1:$reel_port"
wait_up "$origin/healthz"
# Sign in (builds from before accounts have no sign-in and need none).
curl -sf -c "$work/jar" -d username=bench -d password=bench-password-1 "$origin/api/login" \
  >/dev/null || true
answer=$(curl -sf -b "$work/jar" -H "Origin: $origin" -F "file=@$work/big.wav" "$origin/api/uploads")
id=$(grep -o '"id":"[0-9a-f]*"' <<<"$answer" | cut -d'"' -f4)
[ -n "$id" ] || { echo "upload failed" >&2; exit 1; }
# BENCH_ACCESS=signed (default): the private item's signed address, as its
# owner's page and share links use; public: the item made public first.
path=$(grep -o '"original":"[^"]*"' <<<"$answer" | cut -d'"' -f4)
if [ "${BENCH_ACCESS:-signed}" = public ]; then
  curl -sf -b "$work/jar" -H "Origin: $origin" -d "id=$id" -d title=big -d description= -d visibility=public \
    "$origin/api/update_media" >/dev/null || true
  path="/files/$id/original"
fi
reel_url="$origin$path"
echo "reel serves $path"

# nginx serves a hard link to the very file Reel stores: one inode, one page cache.
mkdir -p "$work/nginx/www" "$work/nginx/tmp"
stored=$(find "$work/data/files/media" -name original | head -n1)
ln "$stored" "$work/nginx/www/big.wav"
rm -f "$work/big.wav"
nginx_port=39081
if (exec 3<>"/dev/tcp/127.0.0.1/$nginx_port") 2>/dev/null; then nginx_port=$(free_port); fi
sed "s/127.0.0.1:39081/127.0.0.1:$nginx_port/" bench/nginx.conf >"$work/nginx/nginx.conf"
nginx -p "$work/nginx/" -c "$work/nginx/nginx.conf" -e stderr -g 'daemon off;' \
  2>"$work/nginx/stderr.log" &
nginx_pid=$!
nginx_url="http://127.0.0.1:$nginx_port/big.wav"
wait_up "$nginx_url"

# Both must answer a range alike before their speed means anything.
for url in "$reel_url" "$nginx_url"; do
  got=$(curl -sf -H 'Range: bytes=1000-1999' -o /dev/null -w '%{http_code} %{size_download}' "$url")
  [ "$got" = "206 1000" ] || { echo "$url answered '$got' to a range" >&2; exit 1; }
done
cat "$work/nginx/www/big.wav" >/dev/null # warm the page cache for both

cat >"$work/bench.lua" <<'LUA'
-- With an argument (the file length): random 64 KiB ranges. Prints one
-- machine-readable line: requests, bytes, microseconds, non-2xx, socket errors.
local size
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
function init(args)
  size = tonumber(args[1])
  math.randomseed(os.time() * 97 + (seed or 0))
end
function request()
  if not size then return wrk.format() end
  local start = math.random(0, size - 65536)
  return wrk.format(nil, nil, { Range = "bytes=" .. start .. "-" .. (start + 65535) })
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.bytes,
    summary.duration, e.status, e.connect + e.read + e.write + e.timeout))
end
LUA

# Waits (up to a minute) for the CPUs to be idle: on a shared machine another
# build running during a run skews both servers' numbers by 20% or more.
quiet() {
  local a b total idle
  for _ in $(seq 30); do
    read -ra a </proc/stat; sleep 1; read -ra b </proc/stat
    total=0; for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
    idle=$(( (b[4] - a[4]) * 100 / (total > 0 ? total : 1) ))
    [ "$idle" -ge 90 ] && return 0
    sleep 1
  done
  echo "warning: the machine is busy (${idle}% idle); numbers will be noisy" >&2
}

# Peak RSS (VmHWM) in KiB of a pid and its children; reset before each run.
pids_of() { echo "$1" $(pgrep -P "$1" || true); }
reset_peak() { for p in $(pids_of "$1"); do echo 5 >"/proc/$p/clear_refs" 2>/dev/null || true; done; }
peak_kb() {
  local total=0 kb
  for p in $(pids_of "$1"); do
    kb=$(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    total=$(( total + ${kb:-0} ))
  done
  echo "$total"
}

# run NAME PID URL THREADS CONNECTIONS [range-size-arg] -> "req/s MB/s rss_kb"
run() {
  local pid=$2 url=$3 threads=$4 conns=$5 extra=${6:-}
  quiet
  reset_peak "$pid"
  local out
  out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 30s -s "$work/bench.lua" "$url" \
    ${extra:+-- "$extra"} | grep '^RESULT')
  local rss
  rss=$(peak_kb "$pid")
  # shellcheck disable=SC2086
  set -- $out
  [ "$5" = 0 ] || echo "warning: $1 saw $5 non-2xx answers" >&2
  awk -v r="$2" -v b="$3" -v us="$4" -v rss="$rss" \
    'BEGIN { printf "%.1f %.1f %d\n", r / (us / 1e6), b / 1e6 / (us / 1e6), rss }'
}

printf '%s\n' "file: $bytes bytes; $secs s per run; $(nproc) cores; $(nginx -v 2>&1 | cut -d' ' -f3)"
printf '%-28s %12s %12s %10s %12s %12s %10s %8s\n' scenario "reel MB/s" "reel req/s" "reel RSS" \
  "nginx MB/s" "nginx req/s" "nginx RSS" ratio
scenario() {
  local name=$1 metric=$2; shift 2
  read -r r_req r_mb r_rss < <(run reel "$reel_pid" "$reel_url" "$@")
  read -r n_req n_mb n_rss < <(run nginx "$nginx_pid" "$nginx_url" "$@")
  awk -v name="$name" -v m="$metric" -v rr="$r_req" -v rm="$r_mb" -v rs="$r_rss" \
    -v nr="$n_req" -v nm="$n_mb" -v ns="$n_rss" 'BEGIN {
      ratio = (m == "req") ? rr / nr : rm / nm;
      printf "%-28s %12.1f %12.1f %8.1fMi %12.1f %12.1f %8.1fMi %7.2fx\n",
        name, rm, rr, rs / 1024, nm, nr, ns / 1024, ratio }'
}
# Streams before ranges: glibc keeps memory that the range run's many blocking
# threads freed, which would otherwise count in the streams' peak.
scenario "full GET, 1 conn"        mb 1 1
scenario "full GET, 16 conns"      mb 2 16
scenario "100 streams (RSS)"       mb 2 100
scenario "64 KiB ranges, 64 conns" req 2 64 "$bytes"
echo "ratio: Reel/nginx MB/s (full GETs, streams) or requests/s (ranges); RSS is peak VmHWM"
echo "per run (nginx: master + workers). Goals: full >= 0.9x, ranges >= 0.8x, RSS < 64 MiB."
