#!/usr/bin/env bash
# Bulk import benchmark: the N-listing synthetic catalogue (default 100 000) exported as CSV and
# XLSX, imported into an empty SQLite and PostgreSQL catalogue (its places, categories and
# cooperatives loaded first, untimed), with review off so every row is published through the
# outbox. Prints rows/s, peak memory (/usr/bin/time -v) and the seconds until the search index
# caught up (`vungcao serve` drains the outbox, then `vungcao check` must be clean).
# Anchor, same run: `vungcao demo --synthetic N`, the bulk loader that skips every check.
#
#   bench/import.sh [N]          VUNGCAO_BIN=path/to/vungcao (default: target/release/vungcao)
#   PG=postgres://postgres@127.0.0.1:5432 (admin URL; PG= skips PostgreSQL); BACKENDS="sqlite postgres"
set -euo pipefail
for tool in python3 bc /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "bench/import.sh needs $tool (Debian: apt-get install -y python3 bc time)" >&2
    exit 1
  }
done
N=${1:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${VUNGCAO_BIN:-$ROOT/target/release/vungcao}
PG=${PG-postgres://postgres@127.0.0.1:5432}
if [ ! -x "$BIN" ]; then (cd "$ROOT" && cargo build --release --bin vungcao); fi
WORK=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
export VUNGCAO_LOG=warn VUNGCAO_MEDIA_URL=$WORK/media PGOPTIONS=--client-min-messages=warning
unset VUNGCAO_DATABASE_URL VUNGCAO_MEILI_URL

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "preparing $N synthetic listings…" >&2
anchor_start=$(date +%s.%N)
VUNGCAO_DATA_DIR=$WORK/src "$BIN" demo --synthetic "$N" 2>/dev/null
anchor=$(echo "$(date +%s.%N) - $anchor_start" | bc)
for f in csv xlsx json; do VUNGCAO_DATA_DIR=$WORK/src "$BIN" export --format $f --out "$WORK/catalogue.$f"; done
python3 - "$WORK" <<'PY'
import json, sys
d = json.load(open(sys.argv[1] + "/catalogue.json"))
d["listings"] = []
json.dump(d, open(sys.argv[1] + "/reference.json", "w"))
PY

outbox() { # rows waiting in the outbox of the current target
  if [ "$backend" = sqlite ]; then sqlite3 "$WORK/$run/vungcao.db" "SELECT COUNT(*) FROM outbox"
  else psql -qtA "$PG/$db" -c "SELECT COUNT(*) FROM outbox"; fi
}

printf '%-10s %-6s %8s %10s %10s %12s %10s\n' database format rows seconds "rows/s" "peak MiB" "index s"
printf '%-10s %-6s %8s %10.1f %10.0f %12s %10s\n' "sqlite" "anchor" "$N" "$anchor" "$(echo "$N / $anchor" | bc -l)" "-" "-"
for backend in ${BACKENDS:-sqlite postgres}; do
  if [ "$backend" = postgres ] && { [ -z "$PG" ] || ! psql -qtA "$PG/postgres" -c 'SELECT 1' >/dev/null 2>&1; }; then
    echo "SKIPPED: PostgreSQL at $PG does not answer" >&2; continue
  fi
  for format in csv xlsx; do
    run=$backend-$format
    db=bench_import_$format
    if [ "$backend" = postgres ]; then
      psql -qtA "$PG/postgres" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
      export VUNGCAO_DATABASE_URL=$PG/$db
    else
      unset VUNGCAO_DATABASE_URL
    fi
    export VUNGCAO_DATA_DIR=$WORK/$run VUNGCAO_REVIEW_REQUIRED=false
    "$BIN" import "$WORK/reference.json" 2>/dev/null
    /usr/bin/time -v "$BIN" import "$WORK/catalogue.$format" 2>"$WORK/$run.log" || { cat "$WORK/$run.log" >&2; exit 1; }
    secs=$(grep -oP 'imported in \K[0-9.]+' "$WORK/$run.log")
    peak=$(grep -oP 'Maximum resident set size \(kbytes\): \K[0-9]+' "$WORK/$run.log")
    # The index catches up: a server drains the outbox, then `check` must be clean.
    start=$(date +%s.%N)
    VUNGCAO_LISTEN=127.0.0.1:0 "$BIN" serve >/dev/null 2>&1 &
    SERVER=$!
    until [ "$(outbox)" = 0 ]; do sleep 0.5; done
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
    # Into a file, not a pipe: `grep -q` would stop reading and break check's output.
    "$BIN" check >"$WORK/$run.check" 2>&1 || { cat "$WORK/$run.check" >&2; exit 1; }
    grep -q "the index matches the database" "$WORK/$run.check"
    index=$(echo "$(date +%s.%N) - $start" | bc)
    printf '%-10s %-6s %8s %10.1f %10.0f %12.0f %10.1f\n' "$backend" "$format" "$N" "$secs" \
      "$(echo "$N / $secs" | bc -l)" "$(echo "$peak / 1024" | bc -l)" "$index"
    [ "$backend" = postgres ] && psql -qtA "$PG/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null
  done
done
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/ \+/ /g'), load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg); binary $BIN" >&2
