#!/usr/bin/env bash
# Writes brotli (.br) and gzip (.gz) siblings of the text and wasm files of a
# built site (default: target/site), once, at the highest levels; the server
# sends the sibling a client's Accept-Encoding allows (src/server/http/assets.rs).
# gzip matters as much as brotli: browsers offer brotli only over HTTPS and
# localhost, so a library reached at http://<LAN address> gets gzip. zopfli
# writes standard gzip about 4 % smaller than `gzip -9` does.
# Run by scripts/run.sh and scripts/test.sh after `cargo leptos build --release`;
# brotli and zopfli are Debian packages that scripts/setup.sh installs.
set -euo pipefail
site=${1:-target/site}
[ -d "$site" ] || { echo "precompress: no site at $site (build first)" >&2; exit 1; }
for tool in brotli zopfli; do
  command -v "$tool" >/dev/null || { echo "precompress: $tool is missing: run scripts/setup.sh" >&2; exit 1; }
done

# Siblings left from an earlier build would be sent for a file that changed.
find "$site" -type f \( -name '*.br' -o -name '*.gz' \) | while read -r sibling; do
  [ -e "${sibling%.*}" ] || rm -f "$sibling"
done

find "$site" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \
  -o -name '*.html' -o -name '*.json' -o -name '*.txt' \) | while read -r file; do
  size=$(stat -c %s "$file")
  brotli --force --best --output="$file.br" "$file"
  # -c keeps the original name out of the gzip header, like `gzip -n`.
  zopfli --i5 -c "$file" >"$file.gz.tmp" && mv "$file.gz.tmp" "$file.gz"
  # A sibling no smaller than the file would only cost the client decoding.
  for sibling in "$file.br" "$file.gz"; do
    [ "$(stat -c %s "$sibling")" -lt "$size" ] || rm -f "$sibling"
  done
done
