#!/usr/bin/env bash
# Catalogue API under load: 100 000 synthetic listings on SQLite and on PostgreSQL, detail by slug
# and a filtered list page at 64 connections (wrk), next to an actix-web hello world measured in
# the same run. Prints load time, database size and p50/p99 latency and throughput.
#
#   bench/api-http.sh [LISTINGS=100000] [SECONDS=15]
#   VUNGCAO_BENCH_ONLY=storefront bench/api-http.sh …   # only the home page, /le-hoi, the events API
#
# Needs wrk (apt-get install wrk), sqlite3 and psql; PostgreSQL on 127.0.0.1:5432 (trust auth).
# The hello world anchor is measured again right before each database's rows (a VM's speed drifts
# over minutes). After loading, the catalogue is settled as a running one would be (SQLite's WAL
# checkpointed; PostgreSQL vacuumed and analysed, so autovacuum of the fresh tables does not share
# the cores with the measurement) and the server gets VUNGCAO_BENCH_SETTLE seconds (15) for its
# start-up work (the search vocabulary) before the first row.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
DURATION=${2:-15}
PORT=18181
HELLO_PORT=18182
PG_ADMIN=${VUNGCAO_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=vungcao_bench

for tool in wrk sqlite3 psql bc curl; do
  command -v "$tool" >/dev/null || {
    echo "bench/api-http.sh needs $tool: apt-get install wrk sqlite3 postgresql-client bc curl" >&2
    exit 1
  }
done
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
# VUNGCAO_BIN: a copy of the binary to measure, built beforehand (a shared target directory may
# be rebuilt by another checkout while this runs); the anchor is then the hello example there.
if [ -z "${VUNGCAO_BIN:-}" ]; then
  cargo build --release --quiet --bin vungcao --example hello
fi
BIN=${VUNGCAO_BIN:-$TARGET/release/vungcao}
HELLO=$TARGET/release/examples/hello
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

wait_ready() {
  for _ in $(seq 1 200); do
    curl -fsS "http://127.0.0.1:$1$2" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on port $1 did not come up" >&2
  return 1
}

# wrk_row NAME URL [LUA ARGS...]: one table row "name p50 p99 req/s".
wrk_row() {
  local name=$1 url=$2
  shift 2
  local out
  if [ $# -gt 0 ]; then
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$1" "$url" -- "${@:2}")
  else
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "$url")
  fi
  local p50 p99 rps errors
  p50=$(awk '/^ +50%/ {print $2}' <<<"$out")
  p99=$(awk '/^ +99%/ {print $2}' <<<"$out")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | tr '\n' ' ' || true)
  printf '| %-34s | %9s | %9s | %10s | %s\n' "$name" "$p50" "$p99" "$rps" "$errors"
}

# alone_row NAME URL: one client, one request at a time (200 of them): p50, p95 and max in ms.
alone_row() {
  local name=$1 url=$2
  curl -fsS -o /dev/null "$url"
  for _ in $(seq 1 200); do curl -s -o /dev/null -w '%{time_total}\n' "$url"; done |
    sort -n | awk -v name="$name" '{ t[NR] = $1 * 1000 } END {
      printf "| %-34s | %9.2f | %9.2f | %10.2f |\n", name, t[int(NR * 0.5)], t[int(NR * 0.95)], t[NR] }'
}

ROWS=()
ALONE=()
SUMMARY=()
PLANS=$WORK/plans.txt

# The plans of the statements behind detail and the two list pages (the SQL diesel builds,
# written out): a listing's card by slug; a page of ids with their cards, the place's path read by
# the same statement (every path ends in `/`, so `path || U+10FFFF` ends its range).
explain() {
  local name=$1 url=$2 district=$3 slug
  slug=$(head -1 "$WORK/slugs.txt")
  local cards="FROM listings LEFT OUTER JOIN listing_cards ON listing_cards.listing_id = listings.id"
  local page="SELECT listings.id, listings.published_at, listings.price_vnd, listing_cards.format, listing_cards.body $cards"
  local path="(SELECT places.path FROM places WHERE places.code = '$district')" end=$'\U10FFFF'
  local q_detail="SELECT listings.id, listing_cards.format, listing_cards.body $cards WHERE listings.slug = '$slug' AND listings.status = 'published'"
  local q_list="$page WHERE listings.status = 'published' AND listings.category_code = 'tea' AND listings.place_path >= $path AND listings.place_path < ($path || '$end') ORDER BY listings.published_at DESC, listings.id DESC LIMIT 21"
  local q_month="$page WHERE listings.status = 'published' AND listings.ocop_stars >= 4 AND (listings.season_mask & 64) <> 0 AND listings.price_vnd <= 500000 ORDER BY listings.published_at DESC, listings.id DESC LIMIT 21"
  {
    echo "==== $name"
    for q in "$q_detail" "$q_list" "$q_month"; do
      echo "-- ${q:0:160}"
      if [ "$name" = sqlite ]; then
        sqlite3 "$url" "EXPLAIN QUERY PLAN $q"
      else
        psql "$url" -Atc "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) $q"
      fi
    done
  } >>"$PLANS"
}

bench_backend() {
  local name=$1 url=$2
  export VUNGCAO_DATA_DIR=$WORK/$name VUNGCAO_DATABASE_URL=$url VUNGCAO_MEDIA_URL=$WORK/$name/media
  # Reads without the response cache: every answer below is worked out per request.
  export VUNGCAO_LISTEN=127.0.0.1:$PORT VUNGCAO_INDEXER=false VUNGCAO_LOG=warn VUNGCAO_RESPONSE_CACHE_SECONDS=0
  mkdir -p "$VUNGCAO_DATA_DIR"
  local t0 t1 size slugs place
  t0=$(date +%s.%N)
  "$BIN" demo --synthetic "$N" >/dev/null
  t1=$(date +%s.%N)
  # The search page searches the embedded index: build it (the server runs without its indexer,
  # which would otherwise build it at start-up, so every row below measures reads alone).
  "$BIN" reindex >/dev/null 2>&1
  if [ "$name" = sqlite ]; then
    sqlite3 "$url" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    size=$(du -cb "$url"* | tail -1 | cut -f1)
    sqlite3 "$url" "SELECT slug FROM listings WHERE status='published' ORDER BY random() LIMIT 20000" >"$WORK/slugs.txt"
    place=$(sqlite3 "$url" "SELECT parent_code FROM places WHERE kind='commune' AND parent_code IS NOT NULL ORDER BY code LIMIT 1 OFFSET 3")
  else
    psql "$url" -qc "VACUUM (ANALYZE)" >/dev/null
    size=$(psql "$url" -Atc "SELECT pg_database_size(current_database())")
    psql "$url" -Atc "SELECT slug FROM listings WHERE status='published' ORDER BY random() LIMIT 20000" >"$WORK/slugs.txt"
    place=$(psql "$url" -Atc "SELECT parent_code FROM places WHERE kind='commune' AND parent_code IS NOT NULL ORDER BY code LIMIT 1 OFFSET 3")
  fi
  explain "$name" "$url" "$place"
  SUMMARY+=("$(printf '| %-10s | %8.1f s | %8.1f MiB |' "$name" "$(echo "$t1 - $t0" | bc)" "$(echo "$size / 1048576" | bc -l)")")
  "$BIN" serve &
  local pid=$!
  wait_ready $PORT /readyz
  sleep "${VUNGCAO_BENCH_SETTLE:-15}"
  local hits
  hits=$(curl -fsS "http://127.0.0.1:$PORT/api/v1/search?q=che&limit=1" | grep -o '"total":[0-9]*' | cut -d: -f2)
  if [ "${hits:-0}" -eq 0 ]; then
    echo "bench/api-http.sh: the search index finds nothing for 'che'; the search page row would measure an empty page" >&2
    kill "$pid"
    exit 1
  fi
  ROWS+=("$(wrk_row "hello world (anchor, before $name)" "http://127.0.0.1:$HELLO_PORT/")")
  # 20 000 distinct listings: the first run meets each one for the first time (every answer
  # read from the database once), the second finds them kept in memory (steady state).
  if [ "${VUNGCAO_BENCH_ONLY:-}" != storefront ]; then
    ROWS+=("$(wrk_row "$name: detail, first 20k slugs" "http://127.0.0.1:$PORT" bench/wrk-slugs.lua "$WORK/slugs.txt")")
    ROWS+=("$(wrk_row "$name: detail, same slugs again" "http://127.0.0.1:$PORT" bench/wrk-slugs.lua "$WORK/slugs.txt")")
    ROWS+=("$(wrk_row "$name: list category+place, 20" "http://127.0.0.1:$PORT/api/v1/listings?category=tea&place=$place&limit=20")")
    ROWS+=("$(wrk_row "$name: list month+ocop+price, 20" "http://127.0.0.1:$PORT/api/v1/listings?month=6&ocop=4&price_max=500000&limit=20")")
    # The same reads as pages: a listing's page, a category page of a district, the search page.
    ROWS+=("$(wrk_row "$name: page /san-pham/{slug}" "http://127.0.0.1:$PORT" bench/wrk-slugs.lua "$WORK/slugs.txt" /san-pham/)")
    ROWS+=("$(wrk_row "$name: page /tim-kiem?q=che" "http://127.0.0.1:$PORT/tim-kiem?q=che")")
  fi
  # The storefront pages a shopper opens first, and the calendar API.
  for page in / /le-hoi /api/v1/events; do
    ALONE+=("$(alone_row "$name: $page" "http://127.0.0.1:$PORT$page")")
    ROWS+=("$(wrk_row "$name: $page" "http://127.0.0.1:$PORT$page")")
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

"$HELLO" 127.0.0.1:$HELLO_PORT &
HELLO_PID=$!
wait_ready $HELLO_PORT /
ROWS+=("$(wrk_row "actix-web hello world (anchor)" "http://127.0.0.1:$HELLO_PORT/")")

bench_backend sqlite "$WORK/sqlite/vungcao.db"

psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null
PG_URL=${PG_ADMIN%/*}/$PG_DB
bench_backend postgres "$PG_URL"

echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$N synthetic listings; response cache off; wrk -t2 -c64 -d${DURATION}s"
echo
echo "| backend    | load time  | database size |"
echo "|------------|------------|---------------|"
printf '%s\n' "${SUMMARY[@]}"
echo
printf '| %-34s | %9s | %9s | %10s |\n' "endpoint" "p50" "p99" "req/s"
echo "|------------------------------------|-----------|-----------|------------|"
printf '%s\n' "${ROWS[@]}"
echo
echo "One request at a time (200 requests, curl), ms:"
printf '| %-34s | %9s | %9s | %10s |\n' "page" "p50" "p95" "max"
echo "|------------------------------------|-----------|-----------|------------|"
printf '%s\n' "${ALONE[@]}"
echo
echo "Query plans:"
cat "$PLANS"
kill $HELLO_PID
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
