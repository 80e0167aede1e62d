#!/usr/bin/env bash
# Runs the real-browser tests (the citizens' pages, the console, the conference room) against
# the real service (debug build, demo data, a temporary SQLite file). Installs Debian's
# chromium and a CJK font when they are missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk'; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
(cd "$here" && npm ci --no-audit --no-fund --silent)
(cd "$root" && cargo build --quiet --locked -p pingyi-api --bin pingyi)

data="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PINGYI_DATA_DIR="$data" PINGYI_BIND="127.0.0.1:$port" PINGYI_PUBLIC_URL="http://127.0.0.1:$port" \
  "$root/target/debug/pingyi" --demo >"$data/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
slug="$(grep -o '/s/[A-Za-z0-9]*' "$data/server.log" | head -n 1 | cut -d/ -f3)"
kiosk="$(grep '窗口平板' "$data/server.log" | grep -o '/s/[A-Za-z0-9]*' | head -n 1 | cut -d/ -f3)"
results="$(grep -o 'http://[^ ]*/api/v1/public/campaigns/[^ ]*/results' "$data/server.log" | head -n 1)"
[ -n "$slug" ] && [ -n "$kiosk" ] && [ -n "$results" ] || { cat "$data/server.log"; echo "no demo links found"; exit 1; }

admin="$(grep -o 'admin account: [^ ]* / [^ ]*' "$data/server.log" | head -n 1)"
admin_name="$(echo "$admin" | cut -d' ' -f3)"
admin_password="$(echo "$admin" | cut -d' ' -f5)"
[ -n "$admin_name" ] && [ -n "$admin_password" ] || { cat "$data/server.log"; echo "no demo admin found"; exit 1; }

PINGYI_URL="http://127.0.0.1:$port" PINGYI_SLUG="$slug" PINGYI_KIOSK_SLUG="$kiosk" PINGYI_RESULTS_URL="$results" \
  ARTIFACTS="$root/test-artifacts" node "$here/answer-page.mjs"
PINGYI_URL="http://127.0.0.1:$port" PINGYI_ADMIN="$admin_name" PINGYI_ADMIN_PASSWORD="$admin_password" \
  ARTIFACTS="$root/test-artifacts" node "$here/console.mjs"
PINGYI_URL="http://127.0.0.1:$port" PINGYI_ADMIN="$admin_name" PINGYI_ADMIN_PASSWORD="$admin_password" \
  ARTIFACTS="$root/test-artifacts" node "$here/conference.mjs"
PINGYI_URL="http://127.0.0.1:$port" PINGYI_ADMIN="$admin_name" PINGYI_ADMIN_PASSWORD="$admin_password" \
  ARTIFACTS="$root/test-artifacts" node "$here/results.mjs"
