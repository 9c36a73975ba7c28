#!/usr/bin/env bash
# `cargo leptos build`: the server with server-side rendering (feature `ssr`)
# plus the hydrating WASM bundle in target/site/pkg. Same toolchain choice
# as scripts/build-client.sh: rustup's wasm32 target when installed, else
# Debian's rustc-web building std for wasm itself (only the lib needs it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
args=()
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo "build-ssr: Debian toolchain ($(/usr/bin/rustc --version)) with -Zbuild-std for the wasm lib" >&2
    export PATH="/usr/bin:$PATH"
    export RUSTC_BOOTSTRAP=1
    args+=("--lib-cargo-args=-Zbuild-std=std,panic_abort")
fi
exec nice -n 10 cargo leptos build "${args[@]}" "$@"
