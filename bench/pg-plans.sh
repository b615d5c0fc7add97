#!/usr/bin/env bash
# How PostgreSQL plans a shopper's list statement: the month + OCOP + price page (the API's
# statement, its values bound as parameters) run by pgbench under each session setting, taking
# turns ROUNDS times: PostgreSQL's own choice (`auto`: planned for each execution's values),
# the generic plan kept, and the generic plan kept without parallel workers (what the server's
# read connections use, `store::READ_SESSION`).
#
#   bench/pg-plans.sh DATABASE_URL [SECONDS=6] [ROUNDS=2]
#   e.g. bench/pg-plans.sh postgres://postgres@127.0.0.1:5432/vungcao_bench
#
# DATABASE_URL: a catalogue loaded by `vungcao demo --synthetic N`. Needs pgbench and psql
# (Debian: postgresql-client).
set -euo pipefail
URL=${1:?usage: bench/pg-plans.sh DATABASE_URL [SECONDS] [ROUNDS]}
SECONDS_EACH=${2:-6}
ROUNDS=${3:-2}
for tool in pgbench psql; do
  command -v "$tool" >/dev/null || {
    echo "bench/pg-plans.sh needs $tool: apt-get install postgresql-client" >&2
    exit 1
  }
done
listings=$(psql "$URL" -Atc "SELECT count(*) FROM listings WHERE status = 'published'")
[ "$listings" -gt 0 ] || { echo "no published listings in $URL" >&2; exit 1; }
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<'SQL'
\set stars 4
\set mask 64
\set price 500000
\set page 21
SELECT l.id, l.published_at, l.price_vnd, c.format, c.body FROM listings l LEFT OUTER JOIN listing_cards c ON c.listing_id = l.id WHERE l.status = 'published' AND l.ocop_stars >= :stars AND (l.season_mask & :mask) <> 0 AND l.price_vnd <= :price ORDER BY l.published_at DESC, l.id DESC LIMIT :page;
SQL
MODES=("auto|-c plan_cache_mode=auto"
  "generic|-c plan_cache_mode=force_generic_plan"
  "generic, no parallel workers|-c plan_cache_mode=force_generic_plan -c max_parallel_workers_per_gather=0")
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$listings published listings; pgbench -n -M prepared -c 8 -j 2 -T $SECONDS_EACH, settings taking turns"
echo
printf '| %-30s | %5s | %12s | %5s |\n' setting round executions/s load
echo "|--------------------------------|-------|--------------|-------|"
for round in $(seq 1 "$ROUNDS"); do
  for mode in "${MODES[@]}"; do
    name=${mode%%|*} options=${mode#*|}
    tps=$(PGOPTIONS="$options" pgbench -n -M prepared -c 8 -j 2 -T "$SECONDS_EACH" -f "$script" "$URL" 2>&1 |
      awk '/^tps/ {print $3}')
    [ -n "$tps" ] || { echo "pgbench gave no figure for $name" >&2; exit 1; }
    printf '| %-30s | %5s | %12.0f | %5s |\n' "$name" "$round" "$tps" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
