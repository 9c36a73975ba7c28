#!/usr/bin/env bash
# Installs, when missing, what building and testing Confab needs on Debian:
#   - the wasm32-unknown-unknown target from rustup, or, where rustup cannot
#     fetch it, Debian's own Rust (rustc-web, cargo-web, rust-web-src, lld)
#     which builds std for wasm itself;
#   - trunk, wasm-bindgen-cli at the exact version Cargo.lock pins, and (for
#     the tests) cargo-leptos;
#   - (for the tests) Debian's chromium, chromium-driver and fonts-nanum
#     (Hangul glyphs), and axe-core
#     from npm for the accessibility test;
#   - (for the tests) cargo-fuzz, which builds the fuzz target in fuzz/ with
#     the nightly toolchain (rustup's, minimal profile, when missing).
# It never downloads a toolchain or a browser build of its own, and does
# nothing when everything is already there.
#
# Usage: scripts/setup.sh [run|test]     (default: test)
set -euo pipefail
what="${1:-test}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
sudo=""
[[ "$(id -u)" == 0 ]] || sudo="sudo"

say() { echo "setup: [$(date +%T)] $*" >&2; }
started=$SECONDS

apt_missing=()
want_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_missing+=("$1"); }
debian_rust() { for p in rustc-web cargo-web rust-web-src lld-22; do want_pkg "$p"; done; }

if ! command -v cargo >/dev/null 2>&1; then
    say "cargo not found: install Rust with rustup first"
    exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    if timeout 300 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
        say "installed the wasm32-unknown-unknown target with rustup"
    else
        say "rustup cannot fetch wasm32-unknown-unknown here: using Debian's rustc-web"
        debian_rust
    fi
fi

# cargo-leptos 0.3 needs Rust >= 1.96. Prefer rustup's own 1.96 (minimal
# profile); only where rustup cannot fetch it, build it with Debian's Rust.
host_minor="$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')"
leptos_toolchain=""
if [[ "$what" == test ]] && ! command -v cargo-leptos >/dev/null 2>&1 && ((host_minor < 96)); then
    if rustup toolchain list 2>/dev/null | grep -q '^1\.96' ||
        timeout 600 rustup toolchain install 1.96 --profile minimal >/dev/null 2>&1; then
        leptos_toolchain="+1.96"
        say "rustup toolchain 1.96 (minimal) builds cargo-leptos"
    else
        debian_rust
    fi
fi
if [[ "$what" == test ]]; then
    want_pkg chromium
    want_pkg chromium-driver
    # Hangul glyphs, so the browser tests' screenshots (and axe-core's
    # contrast checks) see Korean text as users do, not as empty boxes.
    want_pkg fonts-nanum
    # The benchmark's yardstick, a Node.js `ws` relay (run briefly by the tests).
    command -v node >/dev/null 2>&1 || want_pkg nodejs
    command -v npm >/dev/null 2>&1 || want_pkg npm
fi

if ((${#apt_missing[@]})); then
    say "apt-get install ${apt_missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

has_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qF "$2"; }

# trunk and cargo-leptos only drive other programs (cargo, wasm-bindgen),
# so they are built without optimisation (`--debug`): 4 and 7 minutes here
# instead of 12-16 and 24-36, and a UI build with them takes as long as
# with optimised ones (measured: 26 s against 24 s for trunk, 6.4 s against
# 5.5 s for cargo-leptos). wasm-bindgen-cli does the heavy lifting on the
# wasm file, so it stays optimised.
if ! has_version trunk 0.21.14; then
    say "cargo install --debug trunk 0.21.14"
    cargo install --debug trunk --version 0.21.14 --locked
fi

# wasm-bindgen-cli must match the wasm-bindgen crate exactly.
bindgen="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' "$root/Cargo.lock")"
if [[ -n "$bindgen" ]] && ! has_version wasm-bindgen "$bindgen"; then
    say "cargo install wasm-bindgen-cli $bindgen"
    cargo install wasm-bindgen-cli --version "$bindgen"
fi

if [[ "$what" == test ]] && ! command -v cargo-leptos >/dev/null 2>&1; then
    say "cargo install --debug cargo-leptos"
    if ((host_minor >= 96)); then
        cargo install --debug cargo-leptos --locked
    elif [[ -n "$leptos_toolchain" ]]; then
        cargo "$leptos_toolchain" install --debug cargo-leptos --locked ||
            cargo "$leptos_toolchain" install --debug cargo-leptos
    else
        RUSTC=/usr/bin/rustc /usr/bin/cargo install --debug cargo-leptos --locked --root "$HOME/.cargo"
    fi
fi
# The frame decoder's fuzz target (fuzz/) needs nightly (libFuzzer's
# sanitizer flags) and cargo-fuzz.
if [[ "$what" == test ]]; then
    if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        say "rustup toolchain install nightly (minimal)"
        timeout 600 rustup toolchain install nightly --profile minimal >/dev/null ||
            say "rustup cannot fetch nightly here: building the fuzz target will fail"
    fi
    if ! has_version cargo-fuzz 0.13.2; then
        say "cargo install cargo-fuzz 0.13.2"
        cargo install cargo-fuzz --version 0.13.2 --locked
    fi
fi

# The Node relay the benchmark measures Confab against: the `ws` package
# at the version its package-lock.json pins.
relay="$root/crates/server/examples/bench/node_relay"
if [[ "$what" == test && ! -d "$relay/node_modules/ws" ]]; then
    say "npm ci (the benchmark's Node ws relay)"
    npm ci --prefix "$relay" --no-audit --no-fund >/dev/null
fi

# axe-core, which the accessibility browser test runs inside Chromium, at
# the version its package-lock.json pins.
axe="$root/crates/server/tests/browser/axe"
if [[ "$what" == test && ! -f "$axe/node_modules/axe-core/axe.min.js" ]]; then
    say "npm ci (axe-core for the accessibility test)"
    npm ci --prefix "$axe" --no-audit --no-fund >/dev/null
fi

# The tests talk to a real PostgreSQL (127.0.0.1:5432, trust auth, database
# `test`) and Redis (127.0.0.1:6379). Where they are installed but stopped,
# start them the way this machine kind does; the tests themselves fail with
# a message saying how, if they still cannot reach them.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ "$what" == test ]]; then
    if ! port_open 5432 && [[ -d /etc/postgresql ]]; then
        say "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
    fi
    if ! port_open 6379 && command -v redis-server >/dev/null 2>&1; then
        say "starting Redis"
        mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
            --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    fi
    port_open 5432 || say "PostgreSQL is not reachable on 127.0.0.1:5432: the PostgreSQL tests will fail"
    port_open 6379 || say "Redis is not reachable on 127.0.0.1:6379: the cluster tests will fail"
fi
say "ready ($((SECONDS - started)) s)"
