#!/usr/bin/env bash
# Crash suite: a mixed write load (creates, publishes, price edits, photo uploads, an import and a
# reindex) against one `vungcao serve`, SIGKILLed at random moments and restarted after each;
# then `vungcao check --fix` and a checker that every acknowledged write is there, nothing is
# half-written, the index equals the database and no media object is orphaned.
#
#   bench/crash-suite.sh                 # 20 kills on SQLite and 20 on PostgreSQL
#   bench/crash-suite.sh --kills 5 --db sqlite
#
# Needs python3, curl, psql (PostgreSQL on 127.0.0.1:5432, VUNGCAO_LOCAL_PG) and a phone photo
# (VUNGCAO_SMOKE_PHOTO, default ../shared/fixtures/images/phone-gps.jpg). Uses
# target/debug/vungcao (VUNGCAO_BIN), building it when missing. Exits non-zero when any
# inconsistency is found.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
vungcao="${VUNGCAO_BIN:-$repo/target/debug/vungcao}"
pg_base="${VUNGCAO_LOCAL_PG:-postgres://postgres@127.0.0.1:5432}"
photo="${VUNGCAO_SMOKE_PHOTO:-$repo/../shared/fixtures/images/phone-gps.jpg}"
kills=20
backends="sqlite postgres"
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills="$2"; shift 2 ;;
    --db) backends="$2"; shift 2 ;;
    *) echo "usage: $0 [--kills N] [--db sqlite|postgres|'sqlite postgres']" >&2; exit 2 ;;
  esac
done

fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in python3 curl; do command -v "$tool" >/dev/null || fail "$tool is missing"; done
[ -f "$photo" ] || fail "no photo at $photo (set VUNGCAO_SMOKE_PHOTO)"
if ! [ -x "$vungcao" ]; then (cd "$repo" && cargo build --bin vungcao); fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

results=()
total_bad=0
for backend in $backends; do
  tmp="$(mktemp -d)"
  db="vc_crash_$$"
  server=""
  load=""
  importer=""
  cleanup_backend() {
    for pid in $server $load $importer; do kill -9 "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ "$backend" = postgres ] && psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$tmp"
  }
  trap cleanup_backend EXIT
  export VUNGCAO_DATA_DIR="$tmp/data" VUNGCAO_MEDIA_URL="$tmp/media" VUNGCAO_LOG=warn
  unset VUNGCAO_MEILI_URL
  if [ "$backend" = postgres ]; then
    command -v psql >/dev/null || fail "psql is missing"
    psql "$pg_base/postgres" -qc "CREATE DATABASE $db" >/dev/null || fail "cannot create $db at $pg_base"
    export VUNGCAO_DATABASE_URL="$pg_base/$db"
  else
    unset VUNGCAO_DATABASE_URL
  fi
  port="$(free_port)"
  export VUNGCAO_LISTEN="127.0.0.1:$port"
  base="http://127.0.0.1:$port"
  "$vungcao" migrate >/dev/null 2>&1
  "$vungcao" demo >/dev/null 2>&1
  "$vungcao" coop add --slug htx-mat-ong --name "HTX Mật ong bạc hà" --place HG-MV >/dev/null 2>&1
  echo 'mat-khau-mat-ong' | "$vungcao" user add --email mat@ong.vn --password-stdin --coop htx-mat-ong >/dev/null 2>&1
  echo 'mat-khau-quan-tri' | "$vungcao" user add --email quan@tri.vn --password-stdin --admin >/dev/null 2>&1
  member=$("$vungcao" token create --email mat@ong.vn 2>/dev/null)
  admin=$("$vungcao" token create --email quan@tri.vn 2>/dev/null)
  "$vungcao" export >"$tmp/catalogue.json" 2>/dev/null

  start_server() {
    "$vungcao" serve >>"$tmp/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 200); do
      "$vungcao" healthcheck --addr "127.0.0.1:$port" >/dev/null 2>&1 && return 0
      kill -0 "$server" 2>/dev/null || break
      sleep 0.1
    done
    tail -n 20 "$tmp/server.log" >&2
    fail "$backend: the server did not come back"
  }

  survived=0
  for k in $(seq 1 "$kills"); do
    start_server
    python3 "$repo/bench/crash_load.py" "$base" "$member" "$admin" "$tmp/journal" "$photo" "$k" &
    load=$!
    # Every few rounds, the catalogue import (idempotent) and a reindex run alongside.
    if [ $((k % 4)) = 1 ]; then
      "$vungcao" import "$tmp/catalogue.json" >/dev/null 2>&1 &
      importer=$!
    fi
    if [ $((k % 4)) = 3 ]; then
      curl -s -o /dev/null -X POST -H "authorization: Bearer $admin" "$base/api/v1/admin/reindex" &
    fi
    # Mostly short rounds; every fifth is long enough for a photo upload to be acknowledged even
    # on a debug build (a 12 MP photo takes seconds there).
    if [ $((k % 5)) = 0 ]; then window=15; else
      window="$(python3 -c "import random; print(round(random.uniform(0.3, 2.5), 2))")"; fi
    sleep "$window"
    kill -9 "$server" 2>/dev/null || true
    [ -n "$importer" ] && kill -9 "$importer" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    wait "$load" 2>/dev/null || true
    [ -n "$importer" ] && { wait "$importer" 2>/dev/null || true; }
    server="" load="" importer=""
    survived=$((survived + 1))
  done

  # Restart, let the indexer catch up, repair what the crashes left, then verify.
  start_server
  for _ in $(seq 1 120); do
    [ "$(curl -s "$base/metrics" | awk '/^vungcao_outbox_pending /{print $2}')" = "0" ] && break
    sleep 0.5
  done
  kill -TERM "$server"; wait "$server" 2>/dev/null || true; server=""
  # The index must have caught up by itself (no --fix for the search half).
  index_out=$("$vungcao" check 2>&1) || true
  index_drift=0
  for line in "missing from the index: 0 " "in the index but not published: 0 " "outbox rows waiting: 0"; do
    grep -q "$line" <<<"$index_out" || index_drift=$((index_drift + 1))
  done
  # Objects of uploads cut off between storing and recording are expected after SIGKILL: the
  # repair deletes them (no server runs, so no grace), then everything must match.
  fix_out=$("$vungcao" check --fix --orphan-grace 0 2>&1) || true
  check_out=$("$vungcao" check 2>&1) && check_ok=yes || check_ok=no
  start_server
  verify_out=$(python3 "$repo/bench/crash_verify.py" "$base" "$member" "$tmp/journal" "$tmp/media") && bad=0 || bad=1
  kill -TERM "$server"; wait "$server" 2>/dev/null || true; server=""
  inconsistencies=$(echo "$verify_out" | sed -n 's/.*inconsistencies: \([0-9]*\).*/\1/p')
  [ "$check_ok" = yes ] || inconsistencies=$((inconsistencies + 1))
  inconsistencies=$((inconsistencies + index_drift))
  orphans=$(sed -n 's/.*deleted \([0-9]*\) orphan objects.*/\1/p' <<<"$fix_out" | head -n1)
  echo "== $backend"
  echo "$index_out" | sed 's/^/   check (before repair): /' 
  echo "$fix_out" | sed 's/^/   check --fix: /'
  echo "$check_out" | sed 's/^/   check: /'
  echo "$verify_out" | sed 's/^/   /'
  writes=$(grep -c '^ack' "$tmp/journal" || true)
  results+=("| $backend | $kills | $survived | $writes | ${orphans:-0} | $inconsistencies |")
  total_bad=$((total_bad + inconsistencies))
  cleanup_backend
  trap - EXIT
done

echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| database | kills | kills survived | acknowledged writes | crash orphans repaired | inconsistencies |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${results[@]}"
[ "$total_bad" = 0 ] || fail "$total_bad inconsistencies"
echo "crash suite: ${#results[@]} passed, 0 failed"
