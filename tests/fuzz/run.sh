#!/usr/bin/env bash
# Schema fuzzing in CI: schemathesis (from PyPI, in a throwaway virtualenv) against the served
# OpenAPI document, with every check, every phase including the stateful one, authenticated
# as an admin, on a fresh embedded database. Fails on any 5xx, any answer the document does
# not allow, and any answer slower than 5 s.
#   tests/fuzz/run.sh [BINARY [SCHEMATHESIS OPTIONS…]]   (default target/debug/pingyi)
set -euo pipefail
cd "$(dirname "$0")/../.."
BINARY=$(realpath "${1:-target/debug/pingyi}")
shift || true
PORT=18093
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
SCHEMATHESIS_VERSION=4.32.5

python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"

export PINGYI_DATA_DIR="$WORK/data" PINGYI_BIND="127.0.0.1:$PORT" RUST_LOG=warn
export PINGYI_JWT_SECRET=schemathesis-fuzzing-secret-0123456789abcdef
"$BINARY" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do
  curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
TOKEN=$(python3 tests/fuzz/seed.py "$BINARY" "$BASE")

cd tests/fuzz
"$WORK/venv/bin/schemathesis" run "$BASE/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --header "Authorization: Bearer $TOKEN" \
  --max-examples 25 \
  --workers 2 \
  --request-timeout 10 \
  --max-response-time 5 \
  --max-time 240 \
  --seed 20261128 \
  --warnings off \
  "$@"
kill -0 $SERVER  # the server is still up after all of it
