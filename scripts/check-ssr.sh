#!/usr/bin/env bash
# Smoke test of the `cargo leptos build` output: the server built with `ssr`
# renders the page, links its hydration bundle and serves it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
data="$(mktemp -d)"
log="$data/server.log"
LEPTOS_OUTPUT_NAME=confab LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_RELOAD_PORT=3001 \
    target/debug/confab --listen "127.0.0.1:$port" --data-dir "$data" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
page="$(curl -fsS "http://127.0.0.1:$port/")"
fail() { echo "check-ssr: $*" >&2; cat "$log" >&2; exit 1; }
grep -qi '<!DOCTYPE html>' <<<"$page" || fail "/ is not an HTML page"
grep -q '/pkg/confab' <<<"$page" || fail "the page does not load the hydration bundle"
grep -q 'hydrate' <<<"$page" || fail "the page does not hydrate"
for asset in confab.js confab.wasm confab.css; do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/pkg/$asset" || fail "/pkg/$asset is not served"
done
echo "check-ssr: server-side rendered page and its hydration bundle are served"
