#!/usr/bin/env bash
# Schema fuzzing in CI: schemathesis (from PyPI, in a throwaway virtualenv) against the served
# OpenAPI document, with every check, every phase including the stateful one, authenticated
# as an admin, on a fresh embedded database. Fails on any 5xx, any answer the document does
# not allow, and any answer slower than 5 s. One worker: CPython 3.11 can fail with "AST
# constructor recursion depth mismatch" when hypothesis parses lambdas in two threads at once.
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

source tests/support/serve_seeded.sh
trap 'kill ${SERVER:-} 2>/dev/null; rm -rf "$WORK"' EXIT
serve_seeded "$BINARY" "$PORT" "$WORK"

cd tests/fuzz
"$WORK/venv/bin/schemathesis" run "$BASE/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --header "Authorization: Bearer $TOKEN" \
  --max-examples 25 \
  --workers 1 \
  --request-timeout 10 \
  --max-response-time 5 \
  --max-time 240 \
  --seed 20261128 \
  --warnings off \
  "$@"
kill -0 $SERVER  # the server is still up after all of it
