#!/usr/bin/env bash
# Where a read's time goes: a release server on N synthetic listings (SQLite, or PostgreSQL with
# VUNGCAO_BENCH_PG=admin URL), response cache off, settled as bench/api-http.sh settles it, under
# wrk -t2 -c64; `perf record --call-graph dwarf` of the server for SECONDS; then the inclusive
# share of the server's samples for each function pattern (bench/perf_shares.py).
#
#   bench/profile-read.sh PATH [N=100000] [SECONDS=5] [PATTERN...]
#   PATH: a URL path, or "detail" for GET /api/v1/listings/{slug} over 20 000 random slugs
#   e.g. VUNGCAO_BIN=target/release/vungcao bench/profile-read.sh detail 100000 5
#
# Needs wrk, perf (Debian linux-perf), python3, curl, sqlite3 (or psql). VUNGCAO_BIN: the binary
# (default target/release/vungcao, built with debug line tables by the release profile).
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT=${1:?usage: bench/profile-read.sh PATH|detail [N] [SECONDS] [PATTERN...]}
N=${2:-100000}
SECONDS_=${3:-5}
shift $(($# < 3 ? $# : 3))
PATTERNS=("$@")
if [ ${#PATTERNS[@]} -eq 0 ]; then
  # What the detail read and the search page were seen to spend on (README, "The detail read's
  # own costs"): routing, the card statement, its parts, the ETag, the search.
  PATTERNS=(capture_match_info published_json_by_slug card_by_slug sqlite3_step
    core::str::converts::from_utf8 with_media_base etag::tag_of observe_request
    search_generation top_by_tiers collect_block published_views Card::list poll_flush)
fi
PG=${VUNGCAO_BENCH_PG:-}
for tool in wrk perf python3 curl $([ -n "$PG" ] && echo psql || echo sqlite3); do
  command -v "$tool" >/dev/null || {
    echo "bench/profile-read.sh needs $tool: apt-get install wrk linux-perf python3 curl sqlite3 postgresql-client" >&2
    exit 1
  }
done
BIN=${VUNGCAO_BIN:-target/release/vungcao}
[ -x "$BIN" ] || { echo "bench/profile-read.sh: no binary at $BIN (cargo build --release, or set VUNGCAO_BIN)" >&2; exit 1; }
PORT=18191
WORK=$(mktemp -d)
DB_NAME=vungcao_profile
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  [ -z "$PG" ] || psql "$PG" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ -n "$PG" ]; then
  URL=${PG%/*}/$DB_NAME
  psql "$PG" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >/dev/null
  sql() { psql "$URL" -Atc "$1"; }
else
  URL=$WORK/vungcao.db
  sql() { sqlite3 "$URL" "$1"; }
fi
export VUNGCAO_DATA_DIR=$WORK VUNGCAO_DATABASE_URL=$URL VUNGCAO_MEDIA_URL=$WORK/media
echo "loading $N synthetic listings…" >&2
"$BIN" demo --synthetic "$N" >/dev/null
"$BIN" reindex >/dev/null 2>&1
if [ -n "$PG" ]; then sql "VACUUM (ANALYZE)" >/dev/null; else sql "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null; fi
VUNGCAO_LISTEN=127.0.0.1:$PORT VUNGCAO_INDEXER=false VUNGCAO_LOG=warn VUNGCAO_RESPONSE_CACHE_SECONDS=0 \
  "$BIN" serve >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null && break; sleep 0.2; done
sleep "${VUNGCAO_BENCH_SETTLE:-15}"
if [ "$WHAT" = detail ]; then
  sql "SELECT slug FROM listings WHERE status='published' ORDER BY random() LIMIT 20000" >"$WORK/slugs.txt"
  LOAD=(-s bench/wrk-slugs.lua "http://127.0.0.1:$PORT" -- "$WORK/slugs.txt")
else
  LOAD=("http://127.0.0.1:$PORT$WHAT")
fi
wrk -t2 -c64 -d"$((SECONDS_ + 5))s" --latency "${LOAD[@]}" >"$WORK/wrk.txt" &
WRK=$!
sleep 2
perf record -q -F 999 --call-graph dwarf,16384 -p "$SERVER" -o "$WORK/perf.data" -- sleep "$SECONDS_" 2>/dev/null
wait "$WRK"
perf script -i "$WORK/perf.data" -F comm,tid,ip,sym 2>/dev/null >"$WORK/perf.txt"
# VUNGCAO_PROFILE_KEEP=FILE keeps the stack dump for a closer look (bench/perf_shares.py, perf_below.py).
[ -z "${VUNGCAO_PROFILE_KEEP:-}" ] || cp "$WORK/perf.txt" "$VUNGCAO_PROFILE_KEEP"
echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$N synthetic listings on $([ -n "$PG" ] && echo PostgreSQL || echo SQLite), $WHAT, wrk -t2 -c64: $(awk '/^Requests\/sec/ {print $2}' "$WORK/wrk.txt") req/s, p99 $(awk '/^ +99%/ {print $2}' "$WORK/wrk.txt")"
echo
echo "| function (inclusive, share of the server's samples) | share |"
echo "|---|---|"
python3 bench/perf_shares.py "$WORK/perf.txt" "${PATTERNS[@]}"
