#!/usr/bin/env bash
# Search benchmark through the HTTP API, next to the engine, on a fresh synthetic catalogue.
#
#   bench/search-http.sh            # 100 000 listings, 200 queries × 3, one keep-alive client
#   VUNGCAO_BENCH_DOCS=20000 bench/search-http.sh
#
# What it does (see benches/search_http.rs): builds the release binary, creates a fresh data dir,
# `vungcao demo --synthetic N` (SQLite), `vungcao reindex` (documents/s), runs the fixed query mix
# directly against the embedded tantivy engine, starts `vungcao serve` with VUNGCAO_INDEXER=false,
# runs the same mix through GET /api/v1/search, reads the server's VmHWM, and prints the table
# with the Meilisearch anchor. Run it on a quiet machine: the load average is printed with it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/ \+/ /g'), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
cargo build --release --quiet
cargo bench --quiet --bench search_http --no-run
export VUNGCAO_BENCH_BIN="$CARGO_TARGET_DIR/release/vungcao"
exec cargo bench --quiet --bench search_http
