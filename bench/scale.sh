#!/usr/bin/env bash
# Growth with the catalogue: the same measurements at 100 000 and at 1 000 000 synthetic listings,
# on SQLite and on PostgreSQL (tantivy as the search engine), side by side, with the ratio of the
# large figure to the small one:
#   - load time (`vungcao demo --synthetic N`) and the database's size on disk;
#   - `vungcao reindex` (the tantivy index rebuilt whole) and the index's size;
#   - the time the server takes to load its search vocabulary after /readyz (the searches wait
#     for it: before, they run without the understanding layer and beside the load's core);
#   - search p50/p95 through GET /api/v1/search (bench/search-replay.py: 16 everyday queries, one
#     keep-alive client, response cache off), plain and with a filter and two facets;
#   - the home page alone (curl, one request at a time), the response cache off;
#   - the server's peak resident memory (VmHWM) after all of the above, and its anonymous part
#     (RssAnon) at that moment.
# Issue 10's targets: search p95 at 1 000 000 ≤ 2 × the 100 000 figure; server memory ≤ 300 MB.
#
#   VUNGCAO_BIN=/path/to/release/vungcao bench/scale.sh [SIZES="100000 1000000"] [BACKENDS="sqlite postgres"]
#
# Slow: about half an hour on 2 cores for both sizes and both databases. Needs python3, curl, bc,
# sqlite3 (to size nothing but the file: du) and psql; PostgreSQL on 127.0.0.1:5432 (trust auth).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${1:-"100000 1000000"}
BACKENDS=${2:-"sqlite postgres"}
PORT=18381
PG_ADMIN=${VUNGCAO_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=vungcao_scale
QUERIES=${VUNGCAO_BENCH_QUERIES:-800}

for tool in python3 curl bc psql du; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "bench/scale.sh needs $tool: apt-get install -y python3 curl bc postgresql-client coreutils" >&2
    exit 1
  }
done
if [ -z "${VUNGCAO_BIN:-}" ]; then
  cargo build --release --quiet --bin vungcao
fi
BIN=${VUNGCAO_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/vungcao}
[ -x "$BIN" ] || { echo "bench/scale.sh: no binary at $BIN" >&2; exit 1; }
WORK=$(mktemp -d)
SERVER=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
  psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

seconds_of() { # seconds_of CMD...: runs it quietly, prints the wall time in seconds
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$WORK/cmd.log" 2>&1 || { cat "$WORK/cmd.log" >&2; return 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}

wait_ready() {
  for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "the server did not come up" >&2
  return 1
}

# p95 of the replayed searches: "p50 p95"
replay() {
  python3 bench/search-replay.py "$PORT" "$QUERIES" "${1:-}" |
    awk '/p50/ { for (i = 1; i <= NF; i++) { if ($i ~ /^p50/) a = $(i + 1); if ($i ~ /^p95/) b = $(i + 1) } } END { print a, b }'
}

home_alone() { # p95 of 100 home page requests, ms
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/"
  for _ in $(seq 1 100); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$PORT/"; done |
    sort -n | awk '{ t[NR] = $1 * 1000 } END { printf "%.2f", t[int(NR * 0.95)] }'
}

declare -A R
run() {
  local backend=$1 n=$2 url size load reindex index_size
  export VUNGCAO_DATA_DIR=$WORK/$backend-$n VUNGCAO_MEDIA_URL=$WORK/$backend-$n/media
  export VUNGCAO_LISTEN=127.0.0.1:$PORT VUNGCAO_LOG=warn VUNGCAO_RESPONSE_CACHE_SECONDS=0 VUNGCAO_INDEXER=false
  unset VUNGCAO_MEILI_URL
  mkdir -p "$VUNGCAO_DATA_DIR"
  if [ "$backend" = sqlite ]; then
    url=$VUNGCAO_DATA_DIR/vungcao.db
  else
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null
    url=${PG_ADMIN%/*}/$PG_DB
  fi
  export VUNGCAO_DATABASE_URL=$url
  echo "$backend, $n listings: loading…" >&2
  load=$(seconds_of "$BIN" demo --synthetic "$n")
  if [ "$backend" = sqlite ]; then
    size=$(du -cb "$url"* | tail -1 | cut -f1)
  else
    size=$(psql "$url" -Atc "SELECT pg_database_size(current_database())")
  fi
  echo "$backend, $n listings: reindexing…" >&2
  reindex=$(seconds_of "$BIN" reindex)
  index_size=$(du -sb "$VUNGCAO_DATA_DIR" | cut -f1)
  [ "$backend" = sqlite ] && index_size=$((index_size - $(du -cb "$url"* | tail -1 | cut -f1)))
  "$BIN" serve >"$WORK/serve.log" 2>&1 &
  SERVER=$!
  wait_ready
  echo "$backend, $n listings: waiting for the search vocabulary…" >&2
  local t0 vocabulary
  t0=$(date +%s.%N)
  bench/wait-vocabulary.sh "$PORT" "$SERVER" 2400
  vocabulary=$(echo "$(date +%s.%N) - $t0" | bc)
  echo "$backend, $n listings: searching…" >&2
  replay >/dev/null # warm: the index's files and the database's pages, once
  local plain filtered home hwm anon
  plain=$(replay)
  filtered=$(replay '&category=tea&facets=kind,category_code')
  home=$(home_alone)
  hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVER/status")
  # The resident pages that are the process's own; the rest of VmHWM is files mapped (SQLite's
  # database through its memory map, the index), which the kernel may drop and read again.
  anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$SERVER/status")
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  SERVER=
  R[$backend,$n,load]=$load
  R[$backend,$n,db]=$(echo "$size / 1048576" | bc -l)
  R[$backend,$n,reindex]=$reindex
  R[$backend,$n,index]=$(echo "$index_size / 1048576" | bc -l)
  R[$backend,$n,vocabulary]=$vocabulary
  R[$backend,$n,plain50]=${plain% *}
  R[$backend,$n,plain95]=${plain#* }
  R[$backend,$n,filt95]=${filtered#* }
  R[$backend,$n,home]=$home
  R[$backend,$n,hwm]=$(echo "$hwm / 1024" | bc -l)
  R[$backend,$n,anon]=$(echo "$anon / 1024" | bc -l)
  rm -rf "$VUNGCAO_DATA_DIR"
  [ "$backend" = postgres ] && psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
  return 0
}

for backend in $BACKENDS; do
  for n in $SIZES; do run "$backend" "$n"; done
done

read -r -a SZ <<<"$SIZES"
SMALL=${SZ[0]}
echo
echo "bench/scale.sh, $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary $BIN; tantivy; response cache off; $QUERIES searches per row (bench/search-replay.py)"
echo
header="| measure | backend |"
rule="|---|---|"
for n in "${SZ[@]}"; do header+=" $n |"; rule+="---|"; done
[ ${#SZ[@]} -gt 1 ] && { header+=" ratio (last / first) |"; rule+="---|"; }
echo "$header"
echo "$rule"
for m in "load:load time, s" "db:database size, MiB" "reindex:reindex, s" "index:index size, MiB" \
  "vocabulary:search vocabulary loaded after ready, s" \
  "plain50:search p50, ms" "plain95:search p95, ms" "filt95:search + filter + 2 facets p95, ms" \
  "home:home page alone p95, ms" "hwm:server peak memory, MiB" "anon:of it anonymous at the end, MiB"; do
  key=${m%%:*}
  label=${m#*:}
  for backend in $BACKENDS; do
    line="| $label | $backend |"
    for n in "${SZ[@]}"; do line+=" $(printf '%.1f' "${R[$backend,$n,$key]}") |"; done
    if [ ${#SZ[@]} -gt 1 ]; then
      last=${SZ[${#SZ[@]}-1]}
      line+=" $(printf '%.2f' "$(echo "${R[$backend,$last,$key]} / ${R[$backend,$SMALL,$key]}" | bc -l)") |"
    fi
    echo "$line"
  done
done
