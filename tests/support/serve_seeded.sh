# Sourced by the shell checks: starts a Pingyi binary on a fresh embedded database, waits for it,
# and seeds it (tests/support/seed.py). Sets SERVER (the pid, for the caller's trap) and TOKEN
# (an admin token).
#   serve_seeded BINARY PORT WORKDIR
serve_seeded() {
  local binary=$1 port=$2 work=$3
  export PINGYI_DATA_DIR="$work/data" PINGYI_BIND="127.0.0.1:$port" RUST_LOG=warn
  export PINGYI_JWT_SECRET=shell-check-secret-0123456789abcdef-0123456789
  "$binary" >"$work/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  TOKEN=$(python3 tests/support/seed.py "$binary" "http://127.0.0.1:$port")
}
