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
# The page is rendered in the reader's language: the one remembered in the
# language cookie, else the browser's (Accept-Language), else English.
in_lang() { curl -fsS "$@" "http://127.0.0.1:$port/"; }
grep -q '<html[^>]*lang="en"' <<<"$page" || fail "no Accept-Language: the page is not English"
grep -q 'Loading Confab' <<<"$page" || fail "no Accept-Language: no English text"
korean="$(in_lang -H 'Accept-Language: ko-KR,ko;q=0.9,en;q=0.5')"
grep -q '<html[^>]*lang="ko"' <<<"$korean" || fail "Accept-Language ko: the page is not Korean"
grep -q 'Confab을 여는 중' <<<"$korean" || fail "Accept-Language ko: no Korean text"
kept="$(in_lang -H 'Accept-Language: en-US,en' -H 'Cookie: i18n_pref_locale=ko')"
grep -q 'Confab을 여는 중' <<<"$kept" || fail "the remembered language (cookie) is not used"
echo "check-ssr: server-side rendered page (English, Korean by Accept-Language and by cookie) and its hydration bundle are served"
