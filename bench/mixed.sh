#!/usr/bin/env bash
# Mixed load on the demo catalogue (SQLite, indexer and response cache on, as served): page and
# API reads with 10 % member price edits (bench/wrk-mixed.lua), wrk -t2 -c64. Each binary named
# gets a fresh data folder; binaries take turns for ROUNDS rounds, so machine noise hits them
# alike. The first binary is the anchor (e.g. main's build); prints machine, load, req/s and the
# mean, p50 and p99 latency. Cached answers take well under a millisecond and the pages are never
# kept, so the mean (64 connections / req/s) says more than the p50, which is a page's.
#
#   bench/mixed.sh NAME=BINARY [NAME=BINARY...]   (env: SECONDS_EACH=20 ROUNDS=2 EDITS=10 MIX=all|api RATE=)
#   e.g. bench/mixed.sh main=/tmp/vungcao-main cache=/tmp/vungcao-cache
#
# Needs wrk (apt-get install wrk), sqlite3 and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${SECONDS_EACH:-20}
ROUNDS=${ROUNDS:-2}
EDITS=${EDITS:-10}
MIX=${MIX:-all}
# RATE (req/s, all 64 connections together): each connection pauses between requests so that at
# most this much is offered; empty: as fast as the server answers.
RATE=${RATE:-}
PAUSE=0
[ -n "$RATE" ] && PAUSE=$((64000 / RATE))
PORT=18191
COOP=htx-nong-san-lang-can

for tool in wrk sqlite3 curl; do
  command -v "$tool" >/dev/null || {
    echo "bench/mixed.sh needs $tool: apt-get install wrk sqlite3 curl" >&2
    exit 1
  }
done
if [ $# -eq 0 ]; then
  sed -n '2,12p' "$0" >&2
  exit 1
fi
for arg in "$@"; do
  [ -x "${arg#*=}" ] || { echo "not an executable: ${arg#*=}" >&2; exit 1; }
done
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

wait_ready() {
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not come up" >&2
  return 1
}

# run NAME BIN: one round on a fresh demo catalogue; prints a table row.
run() {
  local name=$1 bin=$2 dir
  dir=$(mktemp -d -p "$WORK")
  export VUNGCAO_DATA_DIR=$dir VUNGCAO_DATABASE_URL=$dir/vungcao.db VUNGCAO_MEDIA_URL=$dir/media
  export VUNGCAO_LISTEN=127.0.0.1:$PORT VUNGCAO_LOG=warn
  "$bin" demo >"$dir/setup.log" 2>&1
  echo "mat-khau-bench-an-toan" | "$bin" user add --email bench@htx.vn --password-stdin --coop "$COOP" >>"$dir/setup.log" 2>&1
  local token
  token=$("$bin" token create --email bench@htx.vn --label bench | tail -1)
  sqlite3 "$dir/vungcao.db" "SELECT slug FROM listings WHERE status = 'published'" >"$dir/slugs.txt"
  sqlite3 "$dir/vungcao.db" "SELECT l.id FROM listings l JOIN cooperatives c ON c.id = l.cooperative_id
    WHERE c.slug = '$COOP' AND l.status = 'published' AND l.price_vnd IS NOT NULL" >"$dir/ids.txt"
  "$bin" serve &
  local pid=$!
  wait_ready
  # A short warm-up: the search index readied, the first answers read once.
  wrk -t2 -c16 -d3s -s bench/wrk-mixed.lua "http://127.0.0.1:$PORT" -- "$dir/slugs.txt" "$dir/ids.txt" "$token" "$EDITS" "$MIX" "$PAUSE" >/dev/null
  local out
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -s bench/wrk-mixed.lua "http://127.0.0.1:$PORT" \
    -- "$dir/slugs.txt" "$dir/ids.txt" "$token" "$EDITS" "$MIX" "$PAUSE")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  local avg p50 p99 rps errors
  avg=$(awk '/^ +Latency/ {print $2; exit}' <<<"$out")
  p50=$(awk '/^ +50%/ {print $2}' <<<"$out")
  p99=$(awk '/^ +99%/ {print $2}' <<<"$out")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | tr '\n' ' ' || true)
  printf '| %-10s | %5s | %10s | %9s | %9s | %9s | %s\n' "$name" "$3" "$rps" "$avg" "$p50" "$p99" "$errors"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
ROWS=()
for round in $(seq 1 "$ROUNDS"); do
  for arg in "$@"; do
    ROWS+=("$(run "${arg%%=*}" "${arg#*=}" "$round")")
    echo "${ROWS[-1]}" >&2
  done
done
echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); load before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo "demo catalogue (SQLite), mix: $MIX, offered: ${RATE:-as fast as answered} req/s, $EDITS % member price edits ($COOP), wrk -t2 -c64 -d${DURATION}s; anchor: ${1%%=*}"
echo
printf '| %-10s | %5s | %10s | %9s | %9s | %9s |\n' "binary" "round" "req/s" "mean" "p50" "p99"
echo "|------------|-------|------------|-----------|-----------|-----------|"
printf '%s\n' "${ROWS[@]}"
