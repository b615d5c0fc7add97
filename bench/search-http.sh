#!/usr/bin/env bash
# Search benchmark through the HTTP API, next to the engines, on a fresh synthetic catalogue.
#
#   bench/search-http.sh            # 100 000 listings, 200 queries × 3, one keep-alive client
#   VUNGCAO_BENCH_DOCS=20000 bench/search-http.sh
#   VUNGCAO_BENCH_MEILI_URL=http://127.0.0.1:7700 VUNGCAO_BENCH_MEILI_KEY=… bench/search-http.sh
#
# What it does (see benches/search_http.rs): builds the release binary, creates a fresh data dir,
# `vungcao demo --synthetic N` (SQLite), `vungcao reindex` (documents/s), runs the fixed query mix
# on the tantivy engine alone and through GET /api/v1/search of `vungcao serve`; then reindexes
# into Meilisearch, runs the same mix on Meilisearch directly (the anchor) and through
# `vungcao serve` on Meilisearch, and prints one table. Without VUNGCAO_BENCH_MEILI_URL it starts
# a throwaway Meilisearch: `meilisearch` from PATH, else ../shared/tools/meilisearch (this
# workplace's copy); it stops with a message when there is none.
# Run it on a quiet machine: the load average is printed with it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/ \+/ /g'), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

meili_pid=
tmp=
cleanup() {
  [ -n "$meili_pid" ] && kill "$meili_pid" 2>/dev/null || true
  [ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
if [ -z "${VUNGCAO_BENCH_MEILI_URL:-}" ] && [ "${VUNGCAO_BENCH_NO_MEILI:-}" != 1 ]; then
  meili_bin="$(command -v meilisearch || true)"
  [ -z "$meili_bin" ] && [ -x ../shared/tools/meilisearch ] && meili_bin="$(cd .. && pwd)/shared/tools/meilisearch"
  if [ -z "$meili_bin" ]; then
    echo "bench/search-http.sh: no Meilisearch for the anchor: put \`meilisearch\` (v1.x) on PATH," >&2
    echo "or set VUNGCAO_BENCH_MEILI_URL/_KEY, or VUNGCAO_BENCH_NO_MEILI=1 to measure vungcao alone" >&2
    exit 1
  fi
  tmp="$(mktemp -d)"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  key="bench-master-key-0123456789abcdef"
  "$meili_bin" --db-path "$tmp/db" --dump-dir "$tmp/dumps" --snapshot-dir "$tmp/snapshots" \
    --http-addr "127.0.0.1:$port" --master-key "$key" --no-analytics --env development \
    >"$tmp/meilisearch.log" 2>&1 &
  meili_pid=$!
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break
    sleep 0.5
  done
  curl -fsS -o /dev/null "http://127.0.0.1:$port/health" || { cat "$tmp/meilisearch.log" >&2; exit 1; }
  export VUNGCAO_BENCH_MEILI_URL="http://127.0.0.1:$port" VUNGCAO_BENCH_MEILI_KEY="$key"
  echo "Meilisearch $("$meili_bin" --version 2>/dev/null | head -n1) on port $port" >&2
fi

cargo build --release --quiet
cargo bench --quiet --bench search_http --no-run
export VUNGCAO_BENCH_BIN="$CARGO_TARGET_DIR/release/vungcao"
cargo bench --quiet --bench search_http
