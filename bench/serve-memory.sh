#!/usr/bin/env bash
# Where `vungcao serve`'s memory goes, phase by phase, on an existing catalogue (e.g. the one
# `vungcao demo --synthetic 1000000` + `vungcao reindex` left in a data dir):
#   VUNGCAO_BIN=… VUNGCAO_DATA_DIR=… VUNGCAO_DATABASE_URL=… bench/serve-memory.sh [QUERIES]
# Samples RssAnon/RssFile of the server every 100 ms while it starts (until /readyz and the
# vocabulary is loaded), during the search replay of bench/scale.sh (warm, plain, filter + 2
# facets), the home page and then VUNGCAO_BENCH_DETAIL_SECONDS (30) of detail reads of random
# listings (wrk -t2 -c64, 20 000 slugs: a server that has been read for a while); prints the
# peak of each phase, VmHWM and smaps_rollup at the end. Same settings as bench/scale.sh
# (indexer off, response cache off). Needs python3, curl, bc, wrk and sqlite3 (or psql).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VUNGCAO_BIN:?set VUNGCAO_BIN}
: "${VUNGCAO_DATA_DIR:?set VUNGCAO_DATA_DIR}"
DB_URL=${VUNGCAO_DATABASE_URL:-$VUNGCAO_DATA_DIR/vungcao.db}
case $DB_URL in postgres://* | postgresql://*) DB_TOOL=psql ;; *) DB_TOOL=sqlite3 ;; esac
for tool in python3 curl bc wrk "$DB_TOOL"; do
  command -v "$tool" >/dev/null || {
    echo "bench/serve-memory.sh needs $tool (Debian: apt-get install -y python3 curl bc wrk sqlite3 postgresql-client)" >&2
    exit 1
  }
done
DETAIL_SECONDS=${VUNGCAO_BENCH_DETAIL_SECONDS:-30}
QUERIES=${1:-800}
PORT=${VUNGCAO_BENCH_PORT:-18382}
export VUNGCAO_LISTEN=127.0.0.1:$PORT VUNGCAO_LOG=warn VUNGCAO_RESPONSE_CACHE_SECONDS=0 VUNGCAO_INDEXER=false
export VUNGCAO_MEDIA_URL=${VUNGCAO_MEDIA_URL:-$VUNGCAO_DATA_DIR/media}
unset VUNGCAO_MEILI_URL
WORK=$(mktemp -d)
SLUGS_SQL="SELECT slug FROM listings WHERE status = 'published' ORDER BY random() LIMIT 20000"
if [ "$DB_TOOL" = psql ]; then psql "$DB_URL" -Atc "$SLUGS_SQL"; else sqlite3 "$DB_URL" "$SLUGS_SQL"; fi >"$WORK/slugs.txt"
"$BIN" serve >"$WORK/serve.log" 2>&1 &
SERVER=$!
SAMPLER=
cleanup() {
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null || true
  kill "$SERVER" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
echo start >"$WORK/phase"
(
  while [ -r "/proc/$SERVER/status" ]; do
    awk -v phase="$(cat "$WORK/phase")" '/^RssAnon/ { a = $2 } /^RssFile/ { f = $2 } END { print phase, a, f }' "/proc/$SERVER/status" 2>/dev/null || true
    sleep 0.1
  done
) >"$WORK/samples" &
SAMPLER=$!
t0=$(date +%s.%N)
for _ in $(seq 1 3000); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
ready=$(echo "$(date +%s.%N) - $t0" | bc)
# The vocabulary loads in the background after /readyz: wait until the metric says it is in.
# (A million listings read from a busy machine's SQLite take minutes: wait up to 40.)
bench/wait-vocabulary.sh "$PORT" "$SERVER" 2400 || { cat "$WORK/serve.log" >&2; exit 1; }
loaded=$(echo "$(date +%s.%N) - $t0" | bc)
echo warm >"$WORK/phase"
python3 bench/search-replay.py "$PORT" "$QUERIES" >/dev/null
echo plain >"$WORK/phase"
plain=$(python3 bench/search-replay.py "$PORT" "$QUERIES")
echo filtered >"$WORK/phase"
filtered=$(python3 bench/search-replay.py "$PORT" "$QUERIES" '&category=tea&facets=kind,category_code')
echo home >"$WORK/phase"
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/"; done
echo detail >"$WORK/phase"
detail=$(wrk -t2 -c64 -d"${DETAIL_SECONDS}s" --latency -s bench/wrk-slugs.lua "http://127.0.0.1:$PORT" -- "$WORK/slugs.txt")
sleep 0.3
echo "serve-memory.sh $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ready after ${ready}s, vocabulary loaded after ${loaded}s"
echo "plain: $plain"
echo "filter + 2 facets: $filtered"
echo "detail, ${DETAIL_SECONDS} s: $(awk '/^Requests\/sec/ { r = $2 } /^ +99%/ { p = $2 } END { printf "%s req/s, p99 %s", r, p }' <<<"$detail")"
echo "| phase | peak RSS MiB | anon MiB | file MiB |"
echo "|---|---|---|---|"
awk '{ t = $2 + $3; if (t > peak[$1]) { peak[$1] = t; anon[$1] = $2; file[$1] = $3 } if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
  END { for (i = 0; i < n; i++) { p = order[i]; printf "| %s | %.1f | %.1f | %.1f |\n", p, peak[p] / 1024, anon[p] / 1024, file[p] / 1024 } }' "$WORK/samples"
grep -E '^(VmHWM|VmRSS|RssAnon|RssFile)' "/proc/$SERVER/status"
grep -E '^(Rss|Anonymous|Private_Clean|Shared_Clean)' "/proc/$SERVER/smaps_rollup"
