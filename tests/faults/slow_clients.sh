#!/usr/bin/env bash
# Many slow clients: while slowhttptest (Debian package) holds over 1,000 connections open —
# first sending headers a few bytes at a time (slowloris), then bodies (slow POST) — other
# clients must still be served: every probe answers 200/201 within one second.
#   tests/faults/slow_clients.sh [BINARY]   (default target/debug/pingyi)
set -euo pipefail
cd "$(dirname "$0")/../.."
BINARY=$(realpath "${1:-target/debug/pingyi}")
PORT=18095
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)

if ! command -v slowhttptest >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq slowhttptest >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq slowhttptest >/dev/null; }
fi
ulimit -n 8192 2>/dev/null || true

source tests/support/serve_seeded.sh
trap 'kill ${SERVER:-} 2>/dev/null; kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
serve_seeded "$BINARY" "$PORT" "$WORK"

probe() {
  local failures=0 slowest=0
  for _ in $(seq 1 20); do
    local out code seconds
    out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/units") || out="000 5"
    code=${out% *}
    seconds=${out#* }
    if [ "$code" != 200 ] || awk "BEGIN{exit !($seconds > 1.0)}"; then
      failures=$((failures + 1))
    fi
    slowest=$(awk "BEGIN{print ($seconds > $slowest) ? $seconds : $slowest}")
    sleep 0.25
  done
  echo "$1: 20 probes, $failures failed or slower than 1 s, slowest ${slowest}s"
  [ "$failures" -eq 0 ]
}

# -H: slowloris (headers a few bytes at a time); -B: slow bodies. 4,000 connections opened
# at 400 per second; actix-web closes one whose request head is not in after 5 s, so about
# 2,000 are open at once while the probes run.
for mode in -H -B; do
  # The answer page's form endpoint reads any urlencoded body, so slow bodies are read.
  slowhttptest $mode -c 4000 -r 400 -i 10 -s 8192 -l 15 -u "$BASE/s/none" -t POST \
    -p 5 -g -o "$WORK/slow$mode" >/dev/null 2>&1 &
  sleep 5  # let the slow connections pile up
  probe "slowhttptest $mode"
  wait %% 2>/dev/null || true
  peak=$(awk -F, 'NR > 1 && $4 > max { max = $4 } END { print max + 0 }' "$WORK/slow$mode.csv")
  echo "slowhttptest $mode: at most $peak slow connections open at once"
  [ "$peak" -ge 1000 ] || { echo "slowhttptest never held 1,000 connections: the check proved nothing"; exit 1; }
done
kill -0 $SERVER
echo "ok: the service kept serving others while over 1,000 slow connections were open"
