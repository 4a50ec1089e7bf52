#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for tests only (fsync off,
# trust authentication, its socket in its own temp directory).
#
#   eval "$(scripts/postgres.sh start)"   # exports REEL_TEST_PG_URL and REEL_TEST_PG_DIR
#   scripts/postgres.sh stop "$REEL_TEST_PG_DIR"   # stops it and removes its files
#
# Tests make their own database in it (CREATE DATABASE reel_t_…), so they
# run in parallel. The server refuses to run as root: as root, it runs as
# the `postgres` user that Debian's package creates.
set -euo pipefail

bin_dir() {
  local initdb
  initdb=$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n1 || true)
  [ -n "$initdb" ] || { echo "postgres.sh: PostgreSQL is missing: run scripts/setup.sh" >&2; exit 1; }
  dirname "$initdb"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A random high port; one that is taken makes pg_ctl fail and start tries another.
random_port() {
  echo $((20000 + RANDOM % 40000))
}

start() {
  local bin dir port
  bin=$(bin_dir)
  dir=$(mktemp -d -t reel-pg.XXXXXX)
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  for _ in 1 2 3 4 5; do
    port=$(random_port)
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -s \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start; then
      echo "export REEL_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/postgres"
      echo "export REEL_TEST_PG_DIR=$dir"
      return
    fi
  done
  cat "$dir/log" >&2
  exit 1
}

stop() {
  local dir=${1:?usage: postgres.sh stop DIR}
  [ -f "$dir/data/PG_VERSION" ] || { echo "postgres.sh: $dir is not a cluster of ours" >&2; exit 1; }
  as_owner "$(bin_dir)/pg_ctl" -D "$dir/data" -m immediate -w -s stop || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: scripts/postgres.sh start | stop DIR" >&2; exit 2 ;;
esac
