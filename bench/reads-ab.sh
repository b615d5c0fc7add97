#!/usr/bin/env bash
# Reads without the response cache, binaries taking turns on the same catalogue: detail by slug
# (20 000 random slugs), the two filtered list pages of issue 10 and the search page
# (/tim-kiem?q=che on the embedded index), wrk -t2 -c64, on SQLite, or
# on PostgreSQL when VUNGCAO_BENCH_PG names its admin URL (e.g.
# postgres://postgres@127.0.0.1:5432/postgres). Each binary serves its own copy of one synthetic
# catalogue (a newer binary may migrate it).
#
#   bench/reads-ab.sh NAME=BIN NAME=BIN... [-- LISTINGS=100000 SECONDS=8 ROUNDS=2]
#   e.g. bench/reads-ab.sh main=/tmp/vungcao-main new=target/release/vungcao -- 100000 8 2
#
# The first binary loads the catalogue. Needs wrk, sqlite3 (or psql), curl. After the table,
# each server's memory at the end of its rows (VmHWM, anonymous and file-backed RSS).
# VUNGCAO_BENCH_ROWS picks the rows (any of "detail lists search"; default all of them), e.g.
# VUNGCAO_BENCH_ROWS=search for more rounds of the search page in the same time.
# VUNGCAO_BENCH_MORE_LISTS=1 adds three lists (certification, a category by price, events):
# the filters whose plans a change of PostgreSQL planning could make worse.
# VUNGCAO_BENCH_STALE_EVENTS=1 moves the next dates held by every event's card to 2001, in
# place, once each server has written its cards in its first round: the state of a catalogue
# whose festivals have all taken place since their cards were written (the reads must work the
# day's dates out).
# VUNGCAO_BENCH_ENV_<NAME>="VAR=VALUE ..." is given to NAME's server only, to compare settings
# of one binary, e.g. VUNGCAO_BENCH_ENV_p6="VUNGCAO_DB_POOL_SIZE=6" … p8=BIN p6=BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
BINS=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do BINS+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
N=${1:-100000}
DURATION=${2:-8}
ROUNDS=${3:-2}
PORT=18183
if [ ${#BINS[@]} -eq 0 ]; then
  echo "usage: bench/reads-ab.sh NAME=BIN [NAME=BIN...] [-- LISTINGS SECONDS ROUNDS]" >&2
  exit 2
fi
for spec in "${BINS[@]}"; do
  # Each binary's copy of the catalogue is a folder (and database) named after it.
  [ "${spec%%=*}" != base ] || { echo "bench/reads-ab.sh: \"base\" names the loaded catalogue; call the binary otherwise" >&2; exit 2; }
done
PG=${VUNGCAO_BENCH_PG:-}
for tool in wrk curl $([ -n "$PG" ] && echo psql || echo sqlite3); do
  command -v "$tool" >/dev/null || {
    echo "bench/reads-ab.sh needs $tool: apt-get install wrk curl sqlite3 postgresql-client" >&2
    exit 1
  }
done
WANTED=" ${VUNGCAO_BENCH_ROWS:-detail lists search} "
for r in $WANTED; do
  case $r in
    detail | lists | search) ;;
    *) echo "bench/reads-ab.sh: VUNGCAO_BENCH_ROWS: unknown row \"$r\" (detail, lists, search)" >&2; exit 2 ;;
  esac
done
wanted() { [[ $WANTED == *" $1 "* ]]; }
WORK=$(mktemp -d)
PG_DBS=()
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  for db in "${PG_DBS[@]}"; do psql "$PG" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
# db_url NAME: where NAME's copy of the catalogue lives.
db_url() {
  if [ -n "$PG" ]; then echo "${PG%/*}/vungcao_ab_$1"; else echo "$WORK/$1/vungcao.db"; fi
}
# sql QUERY: one column from the base catalogue.
sql() {
  if [ -n "$PG" ]; then psql "$(db_url base)" -Atc "$1"; else sqlite3 "$WORK/base/vungcao.db" "$1"; fi
}

first=${BINS[0]#*=}
mkdir -p "$WORK/base"
if [ -n "$PG" ]; then
  PG_DBS+=(vungcao_ab_base)
  psql "$PG" -qc "DROP DATABASE IF EXISTS vungcao_ab_base WITH (FORCE)" -c "CREATE DATABASE vungcao_ab_base" >/dev/null
fi
echo "loading $N synthetic listings with ${BINS[0]%%=*}…" >&2
VUNGCAO_DATA_DIR=$WORK/base VUNGCAO_DATABASE_URL=$(db_url base) \
  VUNGCAO_MEDIA_URL=$WORK/base/media "$first" demo --synthetic "$N" >/dev/null
[ -n "$PG" ] || sql "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
sql "SELECT slug FROM listings WHERE status='published' ORDER BY random() LIMIT 20000" >"$WORK/slugs.txt"
PLACE=$(sql "SELECT parent_code FROM places WHERE kind='commune' AND parent_code IS NOT NULL ORDER BY code LIMIT 1 OFFSET 3")

row() {
  local name=$1 what=$2 out
  shift 2
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "$@")
  printf '| %-10s | %-32s | %9s | %9s | %9s | %5s | %s\n' "$name" "$what" \
    "$(awk '/^ +50%/ {print $2}' <<<"$out")" "$(awk '/^ +99%/ {print $2}' <<<"$out")" \
    "$(awk '/^Requests\/sec/ {print $2}' <<<"$out")" "$(cut -d' ' -f1 /proc/loadavg)" \
    "$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | tr '\n' ' ' || true)"
}

ROWS=()
MEM=()
for round in $(seq 1 "$ROUNDS"); do
  for spec in "${BINS[@]}"; do
    name=${spec%%=*} bin=${spec#*=} dir=$WORK/$name
    fresh=
    if [ ! -d "$dir" ]; then
      fresh=1
      cp -r "$WORK/base" "$dir"
      if [ -n "$PG" ]; then
        PG_DBS+=("vungcao_ab_$name")
        psql "$PG" -qc "DROP DATABASE IF EXISTS vungcao_ab_$name WITH (FORCE)" \
          -c "CREATE DATABASE vungcao_ab_$name TEMPLATE vungcao_ab_base" >/dev/null
      fi
      # Each binary builds its own copy's index: another build may have another index schema.
      rm -rf "$dir/search"
      VUNGCAO_DATA_DIR=$dir VUNGCAO_DATABASE_URL=$(db_url "$name") VUNGCAO_MEDIA_URL=$dir/media \
        "$bin" reindex >/dev/null 2>&1
    fi
    settings=()
    if [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
      settings_var="VUNGCAO_BENCH_ENV_$name"
      read -ra settings <<<"${!settings_var:-}"
    fi
    env "${settings[@]}" VUNGCAO_DATA_DIR=$dir VUNGCAO_DATABASE_URL=$(db_url "$name") VUNGCAO_MEDIA_URL=$dir/media \
      VUNGCAO_LISTEN=127.0.0.1:$PORT VUNGCAO_INDEXER=false VUNGCAO_LOG=warn,vungcao::startup=debug \
      VUNGCAO_RESPONSE_CACHE_SECONDS=0 "$bin" serve >"$dir/serve.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do
      curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null && break
      sleep 0.2
    done
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" || { cat "$dir/serve.log" >&2; exit 1; }
    # The search page row means nothing on an empty index.
    # (Read whole first: `grep -q` leaving early would break curl's pipe, and pipefail would fail.)
    found=$(curl -fsS "http://127.0.0.1:$PORT/api/v1/search?q=che&limit=1")
    grep -q '"total":[1-9]' <<<"$found" || {
      echo "$name: GET /api/v1/search?q=che finds nothing: is the index built? It answered: ${found:0:300}" >&2
      exit 1
    }
    if [ "${VUNGCAO_BENCH_STALE_EVENTS:-}" = 1 ] && [ -n "$fresh" ]; then
      # A binary with another card format writes every card again at start-up: wait for it.
      for _ in $(seq 1 1500); do
        grep -q "stored views of published listings \(written\|all current\)" "$dir/serve.log" && break
        sleep 0.2
      done
      grep -q "stored views of published listings \(written\|all current\)" "$dir/serve.log" || {
        echo "$name: its cards were not written within 5 minutes" >&2; cat "$dir/serve.log" >&2; exit 1
      }
      # The cards' bodies with the dates after "next_start":" and "next_end":" replaced (same
      # length, so the place a card's head gives for its event object stays right).
      find=$([ -n "$PG" ] && echo strpos || echo instr)
      stale="UPDATE listing_cards SET body = substr(body, 1, $find(body, '\"next_start\":\"') + 13) || '2001-01-01' || substr(body, $find(body, '\"next_start\":\"') + 24) WHERE $find(body, '\"next_start\":\"') > 0;
        UPDATE listing_cards SET body = substr(body, 1, $find(body, '\"next_end\":\"') + 11) || '2001-01-02' || substr(body, $find(body, '\"next_end\":\"') + 22) WHERE $find(body, '\"next_end\":\"') > 0;"
      if [ -n "$PG" ]; then psql "$(db_url "$name")" -qAtc "$stale"; else sqlite3 "$(db_url "$name")" "$stale"; fi
      echo "$name: $(curl -fsS "http://127.0.0.1:$PORT/api/v1/listings?kind=event&limit=1" | grep -o '"next_start":"[^"]*"' | head -n1) after moving the cards' dates" >&2
    fi
    # Let start-up work (the search vocabulary) finish before measuring.
    sleep "${VUNGCAO_BENCH_SETTLE:-15}"
    if wanted detail; then
      ROWS+=("$(row "$name" "detail (round $round)" -s bench/wrk-slugs.lua "http://127.0.0.1:$PORT" -- "$WORK/slugs.txt")")
    fi
    if wanted lists; then
      ROWS+=("$(row "$name" "category+place (round $round)" "http://127.0.0.1:$PORT/api/v1/listings?category=tea&place=$PLACE&limit=20")")
      ROWS+=("$(row "$name" "month+ocop+price (round $round)" "http://127.0.0.1:$PORT/api/v1/listings?month=6&ocop=4&price_max=500000&limit=20")")
    fi
    if wanted search; then
      ROWS+=("$(row "$name" "page /tim-kiem?q=che (round $round)" "http://127.0.0.1:$PORT/tim-kiem?q=che")")
    fi
    if [ "${VUNGCAO_BENCH_MORE_LISTS:-}" = 1 ]; then
      ROWS+=("$(row "$name" "certification (round $round)" "http://127.0.0.1:$PORT/api/v1/listings?certification=vietgap&limit=20")")
      ROWS+=("$(row "$name" "tea by price (round $round)" "http://127.0.0.1:$PORT/api/v1/listings?category=tea&sort=price_asc&limit=20")")
      ROWS+=("$(row "$name" "events (round $round)" "http://127.0.0.1:$PORT/api/v1/listings?kind=event&limit=20")")
    fi
    # What the server holds after its rows: its peak, and its own (anonymous) memory against
    # the file pages it has mapped (SQLite's memory map, the index).
    MEM+=("$(awk -v name="$name" -v round="$round" '/^VmHWM/ { h = $2 } /^RssAnon/ { a = $2 } /^RssFile/ { f = $2 }
      END { printf "| %-10s | %5s | %9.1f | %9.1f | %9.1f |", name, round, h / 1024, a / 1024, f / 1024 }' "/proc/$pid/status")")
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done

echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$N synthetic listings on $([ -n "$PG" ] && echo PostgreSQL || echo SQLite); response cache off; wrk -t2 -c64 -d${DURATION}s; binaries taking turns"
echo
printf '| %-10s | %-32s | %9s | %9s | %9s | %5s |\n' binary request p50 p99 req/s load
echo "|------------|----------------------------------|-----------|-----------|-----------|-------|"
printf '%s\n' "${ROWS[@]}"
echo
echo "the server's memory after its rows, MiB"
echo
printf '| %-10s | %5s | %9s | %9s | %9s |\n' binary round VmHWM 'RSS anon' 'RSS file'
echo "|------------|-------|-----------|-----------|-----------|"
printf '%s\n' "${MEM[@]}"
