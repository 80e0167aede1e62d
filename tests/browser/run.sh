#!/usr/bin/env bash
# Runs the real-browser tests against the real service (debug build, demo data, a temporary
# SQLite file per server): the citizens' pages and the console's pages on one server, then a
# whole year run from the console on a fresh one. Installs Debian's chromium and a CJK font
# when they are missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk'; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
(cd "$here" && npm ci --omit=optional --no-audit --no-fund --silent)
(cd "$root" && cargo build --quiet --locked -p pingyi-api --bin pingyi)

servers=()
dirs=()
trap 'for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; done; rm -rf "${dirs[@]}"' EXIT

# Starts a demo server on a free port; sets `url` and `log`, and the admin's name and password.
start_demo() {
  local data port admin
  data="$(mktemp -d)"
  dirs+=("$data")
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  url="http://127.0.0.1:$port"
  log="$data/server.log"
  PINGYI_DATA_DIR="$data" PINGYI_BIND="127.0.0.1:$port" PINGYI_PUBLIC_URL="$url" \
    "$root/target/debug/pingyi" --demo >"$log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 60); do
    curl -fsS "$url/healthz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  admin="$(grep -o 'admin account: [^ ]* / [^ ]*' "$log" | head -n 1)"
  admin_name="$(echo "$admin" | cut -d' ' -f3)"
  admin_password="$(echo "$admin" | cut -d' ' -f5)"
  [ -n "$admin_name" ] && [ -n "$admin_password" ] || { cat "$log"; echo "no demo admin found"; exit 1; }
}

start_demo
slug="$(grep -o '/s/[A-Za-z0-9]*' "$log" | head -n 1 | cut -d/ -f3)"
kiosk="$(grep '窗口平板' "$log" | grep -o '/s/[A-Za-z0-9]*' | head -n 1 | cut -d/ -f3)"
results="$(grep -o 'http://[^ ]*/api/v1/public/campaigns/[^ ]*/results' "$log" | head -n 1)"
[ -n "$slug" ] && [ -n "$kiosk" ] && [ -n "$results" ] || { cat "$log"; echo "no demo links found"; exit 1; }
export ARTIFACTS="$root/test-artifacts"
PINGYI_URL="$url" PINGYI_SLUG="$slug" PINGYI_KIOSK_SLUG="$kiosk" PINGYI_RESULTS_URL="$results" \
  node "$here/answer-page.mjs"
PINGYI_URL="$url" PINGYI_ADMIN="$admin_name" PINGYI_ADMIN_PASSWORD="$admin_password" node "$here/console.mjs"

start_demo
PINGYI_URL="$url" PINGYI_ADMIN="$admin_name" PINGYI_ADMIN_PASSWORD="$admin_password" node "$here/year.mjs"
