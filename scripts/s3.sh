#!/usr/bin/env bash
# A throwaway S3-compatible server on loopback, for tests only: s3s-fs (it
# checks every request's signature; pinned in Cargo.toml, installed by
# scripts/setup.sh) over a temp folder with the tests' bucket.
#
#   eval "$(scripts/s3.sh start)"   # exports REEL_TEST_SHARED_S3 (its endpoint),
#                                   # REEL_TEST_SHARED_S3_ROOT (its folder) and REEL_TEST_S3_PID
#   scripts/s3.sh stop "$REEL_TEST_S3_PID" "$REEL_TEST_SHARED_S3_ROOT"
#
# The key and secret are the tests' own (tests/it/common/s3.rs).
set -euo pipefail

start() {
  command -v s3s-fs >/dev/null || { echo "s3.sh: s3s-fs is missing: run scripts/setup.sh" >&2; exit 1; }
  local root pid endpoint=""
  root=$(mktemp -d -t reel-s3.XXXXXX)
  mkdir "$root/reel-media"
  RUST_LOG=info NO_COLOR=1 s3s-fs --host 127.0.0.1 --port 0 \
    --access-key reel-test-key --secret-key reel-test-secret-0f9e8d7c6b5a \
    "$root" >"$root.log" 2>&1 &
  pid=$!
  # It says where it listens once it does (port 0: the system chose).
  for _ in $(seq 100); do
    endpoint=$(sed -n 's/\x1b\[[0-9;]*m//g; s/.*server is running at \([^ ]*\).*/\1/p' "$root.log" | head -n1)
    [ -n "$endpoint" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$endpoint" ]; then
    cat "$root.log" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
  fi
  echo "export REEL_TEST_SHARED_S3=$endpoint"
  echo "export REEL_TEST_SHARED_S3_ROOT=$root"
  echo "export REEL_TEST_S3_PID=$pid"
}

stop() {
  local pid=${1:?usage: s3.sh stop PID ROOT} root=${2:?usage: s3.sh stop PID ROOT}
  case "$root" in */reel-s3.*) ;; *) echo "s3.sh: $root is not a folder of ours" >&2; exit 1 ;; esac
  kill "$pid" 2>/dev/null || true
  rm -rf "$root" "$root.log"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" "${3:-}" ;;
  *) echo "usage: scripts/s3.sh start | stop PID ROOT" >&2; exit 2 ;;
esac
