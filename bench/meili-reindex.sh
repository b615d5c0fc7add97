#!/usr/bin/env bash
# `vungcao reindex` into Meilisearch, timed, next to Meilisearch ingesting the same documents
# directly (the anchor), in the same run.
#
#   bench/meili-reindex.sh [N] [ROUNDS]        # 100 000 synthetic listings, 3 rounds
#   VUNGCAO_BIN=new/vungcao VUNGCAO_BIN_OLD=old/vungcao bench/meili-reindex.sh 100000 3
#
# Loads N synthetic listings into a fresh SQLite data dir (`vungcao demo --synthetic N`), starts
# a throwaway Meilisearch (`meilisearch` from PATH, else ../shared/tools/meilisearch; or uses
# VUNGCAO_BENCH_MEILI_URL/_KEY), then, ROUNDS times, runs `vungcao reindex` into a fresh index
# with each binary in turn (the old one first in odd rounds, second in even ones, so both see the
# same load) and, after each, the anchor: the documents and settings that binary's reindex left
# in Meilisearch, exported and sent straight back into a fresh index (NDJSON payloads of 5 000,
# all enqueued before waiting: what Meilisearch can do with those very documents). Prints the
# machine, the load average with every figure, the time `reindex` reports (rebuild and swap),
# the command's wall time, how many document batches Meilisearch made, and the medians.
# Without VUNGCAO_BIN it builds the release binary (CARGO_TARGET_DIR or ./target).
# Needs python3 and curl; exits non-zero when a tool is missing. Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench/meili-reindex.sh: $tool is missing" >&2; exit 1; }
done
n="${1:-100000}"
rounds="${2:-3}"
load() { cut -d' ' -f1-3 /proc/loadavg; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(date +%s.%N)"; }
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'), load average $(load)"

if [ -z "${VUNGCAO_BIN:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
  cargo build --release --quiet
  VUNGCAO_BIN="$CARGO_TARGET_DIR/release/vungcao"
fi
bins=(new)
declare -A path=([new]="$(realpath "$VUNGCAO_BIN")")
if [ -n "${VUNGCAO_BIN_OLD:-}" ]; then
  bins=(old new)
  path[old]="$(realpath "$VUNGCAO_BIN_OLD")"
fi
for b in "${bins[@]}"; do
  [ -x "${path[$b]}" ] || { echo "bench/meili-reindex.sh: ${path[$b]} is not an executable" >&2; exit 1; }
  echo "$b: ${path[$b]} ($(stat -c %y "${path[$b]}" | cut -d. -f1))"
done

meili_pid=
tmp="$(mktemp -d)"
cleanup() {
  [ -n "$meili_pid" ] && kill "$meili_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
if [ -z "${VUNGCAO_BENCH_MEILI_URL:-}" ]; then
  meili_bin="$(command -v meilisearch || true)"
  [ -z "$meili_bin" ] && [ -x ../shared/tools/meilisearch ] && meili_bin="$(cd .. && pwd)/shared/tools/meilisearch"
  if [ -z "$meili_bin" ]; then
    echo "bench/meili-reindex.sh: no Meilisearch: put \`meilisearch\` (v1.x) on PATH or set VUNGCAO_BENCH_MEILI_URL/_KEY" >&2
    exit 1
  fi
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  key="bench-master-key-0123456789abcdef"
  "$meili_bin" --db-path "$tmp/meili/db" --dump-dir "$tmp/meili/dumps" --snapshot-dir "$tmp/meili/snapshots" \
    --http-addr "127.0.0.1:$port" --master-key "$key" --no-analytics --env development \
    >"$tmp/meilisearch.log" 2>&1 &
  meili_pid=$!
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break
    sleep 0.5
  done
  curl -fsS -o /dev/null "http://127.0.0.1:$port/health" || { cat "$tmp/meilisearch.log" >&2; exit 1; }
  VUNGCAO_BENCH_MEILI_URL="http://127.0.0.1:$port" VUNGCAO_BENCH_MEILI_KEY="$key"
  echo "Meilisearch $("$meili_bin" --version 2>/dev/null | head -n1) on port $port"
fi
url="$VUNGCAO_BENCH_MEILI_URL"
key="${VUNGCAO_BENCH_MEILI_KEY:-}"
meili() { python3 bench/meili_ingest.py "$url" "$key" "$@"; }

# vungcao BIN [NAME=VALUE...] ARGS...: the binary on the bench's data dir, with these settings
# and no other VUNGCAO_ setting inherited.
vungcao() {
  local bin="$1"
  shift
  local set=()
  while [ $# -gt 0 ] && [[ "$1" == VUNGCAO_*=* ]]; do set+=("$1"); shift; done
  env $(env | grep -o '^VUNGCAO_[A-Z_]*' | sed 's/^/-u /') \
    VUNGCAO_DATA_DIR="$tmp/data" VUNGCAO_MEDIA_URL="$tmp/data/media" VUNGCAO_LOG=warn "${set[@]}" \
    "$bin" "$@"
}

mkdir -p "$tmp/data"
start=$(date +%s.%N)
vungcao "${path[new]}" demo --synthetic "$n" 2>"$tmp/load.log" >/dev/null || { cat "$tmp/load.log" >&2; exit 1; }
echo "loaded $n synthetic listings into SQLite in $(since "$start") s; load average $(load)"
echo
printf '%-6s %-5s %10s %10s %8s %8s   %s\n' round bin "reindex s" "wall s" batches "busy s" "load average"

results="$tmp/results"
: >"$results"
for r in $(seq 1 "$rounds"); do
  order=("${bins[@]}")
  if [ $((r % 2)) -eq 0 ] && [ "${#bins[@]}" -eq 2 ]; then order=(new old); fi
  for b in "${order[@]}"; do
    uid="bench_${b}_${r}_$$"
    l="$(load)"
    t0=$(date +%s.%N)
    vungcao "${path[$b]}" VUNGCAO_MEILI_URL="$url" VUNGCAO_MEILI_KEY="$key" VUNGCAO_MEILI_INDEX="$uid" \
      reindex 2>"$tmp/reindex.log" >/dev/null || { cat "$tmp/reindex.log" >&2; exit 1; }
    grep -q "$n listings indexed in .*meilisearch" "$tmp/reindex.log" || { echo "reindex did not index $n listings into Meilisearch:" >&2; cat "$tmp/reindex.log" >&2; exit 1; }
    wall="$(since "$t0")"
    inner="$(grep -o 'indexed in [0-9.]* s' "$tmp/reindex.log" | grep -o '[0-9.]*' | tail -n1)"
    batches="$(meili batches "$uid")" || exit 1
    read -r nb busy <<<"$batches"
    printf '%-6s %-5s %10s %10s %8s %8s   %s\n' "$r" "$b" "$inner" "$wall" "$nb" "$busy" "$l"
    echo "$b reindex $inner" >>"$results"
    l="$(load)"
    anchor="$(meili anchor "$uid")" || exit 1
    read -r docs secs bytes nb busy <<<"$anchor"
    [ "$docs" = "$n" ] || { echo "the anchor found $docs documents, not $n" >&2; exit 1; }
    printf '%-6s %-5s %10s %10s %8s %8s   %s   (%s documents, %s bytes each)\n' "$r" "A:$b" "$secs" "" "$nb" "$busy" "$l" "$docs" "$bytes"
    echo "$b anchor $secs" >>"$results"
    meili drop "$uid"
  done
done
echo
echo "medians over $rounds rounds (reindex: as \`vungcao reindex\` reports it; A: Meilisearch ingesting the same documents and settings directly):"
python3 - "$results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    b, what, v = line.split()
    rows.setdefault((b, what), []).append(float(v))
for (b, what), vs in rows.items():
    m = statistics.median(vs)
    verdict = f"   target ≤ 20 s: {'met' if m <= 20 else 'MISSED'}" if what == "reindex" else ""
    print(f"  {b:<4} {what:<8} {m:6.2f} s  ({len(vs)} runs: {', '.join(f'{v:.2f}' for v in vs)}){verdict}")
EOF
echo "load average at the end: $(load)"
