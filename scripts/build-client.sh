#!/usr/bin/env bash
# Builds the browser UI (crates/client, feature `csr`) into dist/ with trunk,
# offline.
#
# The wasm32-unknown-unknown target comes from rustup when it is installed;
# otherwise Debian's toolchain (/usr/bin/cargo, rustc-web with rust-web-src,
# lld) builds std for wasm itself (-Zbuild-std, allowed by RUSTC_BOOTSTRAP).
# Wasm builds use their own target dir (target/wasm-build) so they never
# invalidate host builds; both toolchains share it (their artifacts differ by
# hash, so switching does not throw the other's away).
#
# Usage: scripts/build-client.sh [--fetch] [extra trunk build args...]
#   --fetch   allow the network once, to download crates missing from the
#             cargo cache (first build on a new machine, std's own crates).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

offline=(--offline)
if [[ "${1:-}" == "--fetch" ]]; then
    offline=()
    shift
fi

export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/wasm-build}"

# CONFAB_WASM_TOOLCHAIN=rustup|debian forces a choice (default: detect).
toolchain="${CONFAB_WASM_TOOLCHAIN:-}"
if [[ -z "$toolchain" ]]; then
    if command -v rustup >/dev/null 2>&1 &&
        rustup target list --installed 2>/dev/null | grep -qx 'wasm32-unknown-unknown'; then
        toolchain=rustup
    else
        toolchain=debian
    fi
fi

if [[ "$toolchain" == rustup ]]; then
    echo "build-client: rustup toolchain with wasm32-unknown-unknown" >&2
else
    if [[ ! -x /usr/bin/cargo || ! -d /usr/lib/rustlib/src/rust/library ]]; then
        echo "build-client: no wasm32 target from rustup and no Debian rustc-web/rust-web-src" >&2
        exit 1
    fi
    echo "build-client: Debian toolchain ($(/usr/bin/rustc --version)) with -Zbuild-std" >&2
    # Debian's cargo and rustc first; trunk and wasm-bindgen stay reachable.
    export PATH="/usr/bin:$PATH"
    export RUSTC_BOOTSTRAP=1
    export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
fi

for tool in trunk wasm-bindgen; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build-client: $tool not found (cargo install trunk@0.21.14 wasm-bindgen-cli@0.2.130)" >&2
        exit 1
    fi
done

if [[ ${#offline[@]} -gt 0 ]]; then
    export CARGO_NET_OFFLINE=true
else
    # Fill the cargo cache (the workspace for every target; std's crates
    # get fetched by the build itself).
    cargo fetch
fi

exec nice -n 10 trunk build "${offline[@]}" --release "$@"
