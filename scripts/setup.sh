#!/usr/bin/env bash
# Installs whatever this machine lacks to build, run and test Reel. Idempotent:
# every step checks first and does nothing when the tool is already there.
# Tool versions are read from Cargo.toml ([package.metadata.reel.tools]) so the
# pins live in one place. Needs only crates.io, npm and Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

pin() { sed -n "/^\[package.metadata.reel.tools\]/,/^\[/s/^$1 *= *\"\(.*\)\"/\1/p" Cargo.toml; }
LEPTOS_VER=$(pin cargo-leptos)
BINDGEN_VER=$(pin wasm-bindgen-cli)
if ! grep -q "^wasm-bindgen = { version = \"=$BINDGEN_VER\"" Cargo.toml; then
  echo "setup: the wasm-bindgen dependency in Cargo.toml must be pinned to =$BINDGEN_VER" >&2
  exit 1
fi
export PATH="$HOME/.cargo/bin:$PATH"
log() { echo "setup: $*" >&2; }

for tool in cargo rustup node npm; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is missing: install rustup (stable) and Node.js with npm first" >&2; exit 1; }
done

# Debian packages: ffmpeg/ffprobe for media work, chromium for end-to-end
# tests, brotli and zopfli for the precompressed assets (scripts/precompress.sh),
# a C and C++ toolchain and perl for crates that build C (SQLite, openssl)
# and C++ (libFuzzer, for scripts/fuzz.sh).
need_apt=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || need_apt+=(ffmpeg)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v brotli >/dev/null || need_apt+=(brotli)
command -v zopfli >/dev/null || need_apt+=(zopfli)
command -v cc >/dev/null && command -v c++ >/dev/null && command -v make >/dev/null || need_apt+=(build-essential)
perl -MIPC::Cmd -e1 2>/dev/null || need_apt+=(perl)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
# setpriv starts ffmpeg with a parent-death signal (src/server/media/process.rs).
command -v setpriv >/dev/null || need_apt+=(util-linux)
# PostgreSQL for the repository's tests on the second backend (scripts/postgres.sh).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
if [ "${#need_apt[@]}" -gt 0 ]; then
  log "installing ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  # An unreachable third-party source makes update fail; the install decides.
  $SUDO apt-get update -qq || log "apt-get update reported errors; trying the install anyway"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The toolchain: new enough for the crate, with the lint and format tools.
want_rust=$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' Cargo.toml)
have_rust=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$want_rust" "$have_rust" | sort -V | head -n1)" != "$want_rust" ]; then
  log "rustc $have_rust is older than $want_rust: updating stable"
  rustup update stable
fi
for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The tools below are built from crates.io, once per machine, and their
# build is most of a fresh machine's set-up: cargo-leptos alone took 17 of 24
# minutes at opt-level 3. They do little work when they run (orchestrate
# cargo, rewrite one wasm file, serve test objects), so they are built at
# opt-level 1 (C parts too: the cc crate follows it), without LTO, in 16
# codegen units.
tool_build=(env CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16)

# cargo-leptos: a plain --locked install of this version works with this rustc.
if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$LEPTOS_VER" ]; then
  log "installing cargo-leptos $LEPTOS_VER (takes a while on a small machine)"
  "${tool_build[@]}" \
    cargo install cargo-leptos --version "$LEPTOS_VER" --locked
fi

# wasm-bindgen-cli: its own lock file names a webpki-roots release the registry
# no longer serves, so build it from its source with that one crate moved back.
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$BINDGEN_VER" ]; then
  log "installing wasm-bindgen-cli $BINDGEN_VER"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/fetch/src"
  printf '[package]\nname = "fetch-wasm-bindgen-cli"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nwasm-bindgen-cli = "=%s"\n' \
    "$BINDGEN_VER" >"$tmp/fetch/Cargo.toml"
  echo 'fn main() {}' >"$tmp/fetch/src/main.rs"
  (cd "$tmp/fetch" && cargo fetch -q)
  src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasm-bindgen-cli-"$BINDGEN_VER" | head -n1)
  cp -r "$src" "$tmp/cli"
  (cd "$tmp/cli" && cargo update -q -p webpki-roots --precise 1.0.10 &&
    "${tool_build[@]}" \
      cargo install -q --path . --locked)
fi

# s3s-fs: a real S3-compatible server (signatures checked) for the
# object-storage tests.
S3S_VER=$(pin s3s-fs)
if [ "$(s3s-fs --version 2>/dev/null | awk '{print $2}')" != "$S3S_VER" ]; then
  log "installing s3s-fs $S3S_VER"
  "${tool_build[@]}" \
    cargo install -q s3s-fs --version "$S3S_VER" --locked --features binary
fi

# cargo-fuzz: runs the parser fuzz targets in fuzz/ (scripts/fuzz.sh), on
# stable Rust; libFuzzer itself is built from source by libfuzzer-sys.
FUZZ_VER=$(pin cargo-fuzz)
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$FUZZ_VER" ]; then
  log "installing cargo-fuzz $FUZZ_VER"
  "${tool_build[@]}" \
    cargo install -q cargo-fuzz --version "$FUZZ_VER" --locked
fi

# npm packages: Playwright and binaryen's wasm-opt (end2end), tus-js-client for
# the tus interoperability test, @tus/server for the tus benchmark.
# Browsers come from Debian, never from a download.
for dir in end2end tests/tus-js bench/tus-node; do
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "installing $dir npm packages"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
done

# hls.js for the media page's adaptive player: the build npm pins (in
# end2end/package.json), copied into the site's public files under a name
# with its version (src/app/adaptive.rs names it; nothing else loads it).
HLS_VER=$(node -p "require('./end2end/package.json').devDependencies['hls.js']")
hls_js="public/vendor/hls-$HLS_VER.light.min.js"
if ! cmp -s end2end/node_modules/hls.js/dist/hls.light.min.js "$hls_js"; then
  log "copying hls.js $HLS_VER into public/vendor"
  rm -rf public/vendor
  mkdir -p public/vendor
  cp end2end/node_modules/hls.js/dist/hls.light.min.js "$hls_js"
fi
