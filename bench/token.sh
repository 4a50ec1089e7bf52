#!/usr/bin/env bash
# Prints an API token for the benchmarks' admin on the Reel at ORIGIN, which
# must have been started with REEL_ADMIN_USER=bench and
# REEL_ADMIN_PASSWORD=bench-password-1, as every benchmark starts it. Prints
# nothing for builds from before accounts, which need no token.
# Usage: bench/token.sh http://127.0.0.1:PORT
set -euo pipefail
origin=$1
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
curl -sf -c "$jar" -d username=bench -d password=bench-password-1 "$origin/api/login" \
  >/dev/null 2>&1 || exit 0
curl -sf -b "$jar" -H "Origin: $origin" -d name=bench "$origin/api/create_token" |
  grep -o '"token":"[^"]*"' | cut -d'"' -f4
