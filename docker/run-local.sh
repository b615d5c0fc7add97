#!/usr/bin/env bash
# The scale-out topology of docker/compose.yaml, started from local processes (no Docker):
# the machine's PostgreSQL, Meilisearch and an S3-compatible store (s3s-fs), two `vungcao serve`
# replicas and nginx with the proxy config the compose file mounts. Then a smoke journey through
# the proxy: sign in, create a listing, upload a photo, submit, approve, search, follow /go/.
#
#   docker/run-local.sh            # journey, then stop everything
#   docker/run-local.sh --keep     # journey, then keep serving until Ctrl-C
#   VUNGCAO_BIN=target/release/vungcao docker/run-local.sh --bench
#                                  # journey, then wrk through the proxy: two replicas vs one
#
# Needs: PostgreSQL on 127.0.0.1:5432 (VUNGCAO_LOCAL_PG, trust auth), the meilisearch and s3s-fs
# binaries (MEILISEARCH_BIN, S3S_FS_BIN; default ../shared/tools), nginx (installed with apt-get
# when missing and running as root), python3 and curl. Uses target/debug/vungcao (VUNGCAO_BIN),
# building it when missing. Exits non-zero on the first failed step.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
tools="$(cd "$repo/.." && pwd)/shared/tools"
meili_bin="${MEILISEARCH_BIN:-$tools/meilisearch}"
s3_bin="${S3S_FS_BIN:-$tools/s3s-fs}"
vungcao="${VUNGCAO_BIN:-$repo/target/debug/vungcao}"
pg_base="${VUNGCAO_LOCAL_PG:-postgres://postgres@127.0.0.1:5432}"
photo="${VUNGCAO_SMOKE_PHOTO:-$repo/../shared/fixtures/images/phone-gps.jpg}"
keep=false
bench=false
case "${1:-}" in
  --keep) keep=true ;;
  --bench) bench=true ;;
  "") ;;
  *) echo "usage: $0 [--keep|--bench]" >&2; exit 2 ;;
esac
if $bench && ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  fi
  command -v wrk >/dev/null || { echo "FAIL: wrk is missing (apt-get install wrk)" >&2; exit 1; }
fi

fail() {
  echo "FAIL: $*" >&2
  for log in "${tmp:-/nonexistent}"/app*.log; do
    [ -f "$log" ] && { echo "--- $(basename "$log") (last lines)" >&2; tail -n 15 "$log" >&2; }
  done
  exit 1
}
passed=0
step() { printf '  %-58s' "$1"; }
ok() { passed=$((passed + 1)); echo "ok${1:+ ($1)}"; }

for tool in python3 curl psql; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install python3 curl postgresql-client)"
done
[ -x "$meili_bin" ] || fail "no Meilisearch binary at $meili_bin (set MEILISEARCH_BIN)"
[ -x "$s3_bin" ] || fail "no s3s-fs binary at $s3_bin (set S3S_FS_BIN)"
[ -f "$photo" ] || fail "no photo for the journey at $photo (set VUNGCAO_SMOKE_PHOTO)"
if ! command -v nginx >/dev/null && ! [ -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing nginx (Debian)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  else
    fail "nginx is missing (apt-get install nginx-light)"
  fi
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
if ! [ -x "$vungcao" ]; then
  echo "== building vungcao"
  (cd "$repo" && cargo build --bin vungcao)
fi

tmp="$(mktemp -d)"
db="vc_local_$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# json FIELD...: reads JSON on stdin and prints the value at the path (numbers index arrays).
json() {
  python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1:]:
    v=v[int(k)] if isinstance(v,list) else v[k]
print(v if not isinstance(v,(dict,list)) else json.dumps(v))' "$@"
}
wait_http() { # NAME URL
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
    sleep 0.25
  done
  echo "--- $1 log:" >&2; tail -n 30 "$tmp/$1.log" >&2 || true
  fail "$1 did not answer at $2"
}

meili_port="$(free_port)"; s3_port="$(free_port)"; proxy_port="$(free_port)"
app_ports=("$(free_port)" "$(free_port)")
meili_key="local-master-key-$(date +%s)-0123456789"

echo "== services"
mkdir -p "$tmp/meili" "$tmp/s3/vungcao"
"$meili_bin" --db-path "$tmp/meili/db" --dump-dir "$tmp/meili/dumps" --snapshot-dir "$tmp/meili/snap" \
  --http-addr "127.0.0.1:$meili_port" --master-key "$meili_key" --no-analytics --env development \
  >"$tmp/meilisearch.log" 2>&1 &
pids+=($!)
"$s3_bin" --host 127.0.0.1 --port "$s3_port" --access-key local-access \
  --secret-key local-secret-0123456789 "$tmp/s3" >"$tmp/s3s-fs.log" 2>&1 &
pids+=($!)
wait_http meilisearch "http://127.0.0.1:$meili_port/health"
psql "$pg_base/postgres" -qc "CREATE DATABASE $db" >/dev/null || fail "cannot create database $db at $pg_base"

export VUNGCAO_DATABASE_URL="$pg_base/$db"
export VUNGCAO_MEILI_URL="http://127.0.0.1:$meili_port" VUNGCAO_MEILI_KEY="$meili_key"
export VUNGCAO_MEDIA_URL="${VUNGCAO_SMOKE_MEDIA_URL:-s3://vungcao/media}"
export VUNGCAO_S3_ENDPOINT="http://127.0.0.1:$s3_port" VUNGCAO_S3_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local-access AWS_SECRET_ACCESS_KEY=local-secret-0123456789
export VUNGCAO_PUBLIC_URL="http://127.0.0.1:$proxy_port"
export VUNGCAO_DATA_DIR="$tmp/data" VUNGCAO_LOG_FORMAT=json
# Warnings, plus the indexer's one line per applied batch (the crash phase reads them).
export VUNGCAO_LOG="${VUNGCAO_LOG:-warn,vungcao::indexer=info}"
# Reads must reflect writes made through the other replica at once in the journey.
export VUNGCAO_RESPONSE_CACHE_SECONDS=0

echo "== catalogue and accounts (CLI)"
"$vungcao" migrate >/dev/null
"$vungcao" demo >/dev/null
"$vungcao" coop add --slug htx-smoke --name "HTX Chè Shan tuyết Kiểm thử" --place TQ-NH-HT >/dev/null
echo 'mat-khau-thanh-vien' | "$vungcao" user add --email member@smoke.vn --password-stdin --coop htx-smoke >/dev/null
echo 'mat-khau-quan-tri' | "$vungcao" user add --email admin@smoke.vn --password-stdin --admin >/dev/null

echo "== two replicas and the proxy"
for i in 0 1; do
  VUNGCAO_LISTEN="127.0.0.1:${app_ports[$i]}" "$vungcao" serve >"$tmp/app$((i + 1)).log" 2>&1 &
  pids+=($!)
done
for i in 0 1; do
  for _ in $(seq 1 120); do
    "$vungcao" healthcheck --addr "127.0.0.1:${app_ports[$i]}" >/dev/null 2>&1 && break
    sleep 0.25
  done
  "$vungcao" healthcheck --addr "127.0.0.1:${app_ports[$i]}" >/dev/null || {
    tail -n 30 "$tmp/app$((i + 1)).log" >&2; fail "replica $((i + 1)) is not ready"; }
done
mkdir -p "$tmp/nginx/logs"
printf 'server 127.0.0.1:%s max_fails=1 fail_timeout=5s;\nserver 127.0.0.1:%s max_fails=1 fail_timeout=5s;\n' \
  "${app_ports[0]}" "${app_ports[1]}" >"$tmp/nginx/vungcao-upstreams.conf"
printf 'listen 127.0.0.1:%s;\n' "$proxy_port" >"$tmp/nginx/vungcao-listen.conf"
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  log_format upstream '\$upstream_addr \$status \$request_uri';
  access_log $tmp/nginx/logs/access.log upstream;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  include $repo/docker/nginx/vungcao.conf;
}
EOF
"$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' >"$tmp/nginx.log" 2>&1 &
pids+=($!)
proxy="http://127.0.0.1:$proxy_port"
wait_http nginx "$proxy/healthz"

echo "== smoke journey through the proxy ($proxy)"
step "member signs in"
member=$(curl -fsS -H 'content-type: application/json' -d '{"email":"member@smoke.vn","password":"mat-khau-thanh-vien"}' \
  "$proxy/api/v1/auth/tokens" | json token) || fail "member sign-in"
ok
step "admin signs in"
admin=$(curl -fsS -H 'content-type: application/json' -d '{"email":"admin@smoke.vn","password":"mat-khau-quan-tri"}' \
  "$proxy/api/v1/auth/tokens" | json token) || fail "admin sign-in"
ok
step "member creates a listing"
created=$(curl -fsS -H "authorization: Bearer $member" -H 'content-type: application/json' -d '{
  "kind":"product","name":{"vi":"Chè Shan tuyết kiểm thử khói"},"description":{"vi":"Chè búp khô từ cây cổ thụ."},
  "category":"tea","price_vnd":180000,"unit":"gói 100 g",
  "marketplace_links":[{"platform":"shopee","url":"https://shopee.vn/che-shan-tuyet-kiem-thu"}]}' \
  "$proxy/api/v1/my/listings") || fail "create listing"
id=$(echo "$created" | json id)
ok "id $id"
step "member uploads a phone photo"
started=$(date +%s%N)
uploaded=$(curl -fsS -H "authorization: Bearer $member" -F "photo=@$photo;type=image/jpeg" \
  "$proxy/api/v1/my/listings/$id/photos") || fail "photo upload"
ms=$(( ($(date +%s%N) - started) / 1000000 ))
ok "${ms} ms"
step "member submits for review"
version=$(curl -fsS -X POST -H "authorization: Bearer $member" "$proxy/api/v1/my/listings/$id/submit" | json version) \
  || fail "submit"
ok
step "admin approves the version it reviewed"
status=$(curl -fsS -X POST -H "authorization: Bearer $admin" -H "if-match: \"v$version\"" \
  "$proxy/api/v1/admin/listings/$id/approve" | json status) || fail "approve"
[ "$status" = published ] || fail "approve answered status $status"
ok
step "shopper finds it by searching without diacritics"
found=""
for _ in $(seq 1 80); do
  found=$(curl -fsS "$proxy/api/v1/search?q=che+shan+tuyet+kiem+thu+khoi" | json items 0 slug 2>/dev/null || true)
  [ "$found" = che-shan-tuyet-kiem-thu-khoi ] && break
  sleep 0.25
done
[ "$found" = che-shan-tuyet-kiem-thu-khoi ] || fail "search did not find the new listing (top hit: ${found:-none})"
ok
step "shopper opens the listing and its photo"
detail=$(curl -fsS "$proxy/api/v1/listings/che-shan-tuyet-kiem-thu-khoi") || fail "detail"
photo_url=$(echo "$detail" | json photos 0 variants 0 url 2>/dev/null || echo "$uploaded" | python3 -c '
import json,sys,re; t=sys.stdin.read(); m=re.search(r"\"(/media/[^\"]+|https?://[^\"]+\.(?:webp|jpg))\"", t); print(m.group(1) if m else "")')
[ -n "$photo_url" ] || fail "no photo URL in the listing: $detail"
case "$photo_url" in http*) ;; *) photo_url="$proxy$photo_url" ;; esac
ctype=$(curl -fsS -o /dev/null -w '%{content_type}' "$photo_url") || fail "photo $photo_url"
case "$ctype" in image/*) ;; *) fail "photo answered $ctype" ;; esac
ok "$ctype"
step "shopper follows the marketplace button (/go/)"
go=$(echo "$detail" | json marketplace_links 0 go_url)
where=$(curl -sS -o /dev/null -A 'Mozilla/5.0 (Linux; Android 13)' -w '%{http_code} %{redirect_url}' "$proxy$go")
[ "$where" = "302 https://shopee.vn/che-shan-tuyet-kiem-thu" ] || [ "$where" = "303 https://shopee.vn/che-shan-tuyet-kiem-thu" ] \
  || [ "$where" = "307 https://shopee.vn/che-shan-tuyet-kiem-thu" ] || fail "/go/ answered: $where"
ok "$where"
step "the proxy spread the journey over both replicas"
for i in 0 1; do
  grep -q "127.0.0.1:${app_ports[$i]} " "$tmp/nginx/logs/access.log" || fail "replica $((i + 1)) got no request through the proxy"
  "$vungcao" healthcheck --addr "127.0.0.1:${app_ports[$i]}" >/dev/null || fail "replica $((i + 1)) unhealthy"
done
ok "$(grep -c "127.0.0.1:${app_ports[0]} " "$tmp/nginx/logs/access.log") + $(grep -c "127.0.0.1:${app_ports[1]} " "$tmp/nginx/logs/access.log") requests"
step "vungcao check: index equals the database"
"$vungcao" check >"$tmp/check.log" 2>&1 || { cat "$tmp/check.log" >&2; fail "check found differences"; }
ok

echo "== two replicas under writes, one killed with SIGKILL, then restarted"
# Members write straight to both replicas (not through the proxy, so both surely take writes);
# a write counts as acknowledged once its approve answered 200.
write_load() { # COUNT OUT
  local n port replica created_id
  for n in $(seq 1 "$1"); do
    for replica in $((n % 2)) $(((n + 1) % 2)); do
      port=${app_ports[$replica]}
      created_id=$(curl -fsS --max-time 20 -H "authorization: Bearer $member" -H 'content-type: application/json' \
        -d "{\"kind\":\"product\",\"name\":{\"vi\":\"Mật ong bạc hà lô $n\"},\"description\":{\"vi\":\"Lô thử số $n.\"},\"category\":\"honey\",\"price_vnd\":$((200000 + n)),\"unit\":\"chai 500 ml\"}" \
        "http://127.0.0.1:$port/api/v1/my/listings" 2>/dev/null | json id 2>/dev/null) || continue
      version=$(curl -fsS --max-time 20 -X POST -H "authorization: Bearer $member" \
        "http://127.0.0.1:$port/api/v1/my/listings/$created_id/submit" 2>/dev/null | json version 2>/dev/null) || continue
      curl -fsS --max-time 20 -o /dev/null -X POST -H "authorization: Bearer $admin" -H "if-match: \"v$version\"" \
        "http://127.0.0.1:$port/api/v1/admin/listings/$created_id/approve" 2>/dev/null || continue
      curl -fsS --max-time 20 -o /dev/null -X PATCH -H "authorization: Bearer $member" -H 'content-type: application/json' \
        -d "{\"price_vnd\":$((300000 + n))}" "http://127.0.0.1:$port/api/v1/my/listings/$created_id" 2>/dev/null || continue
      echo "$created_id $((300000 + n))" >>"$2"
      # Every sixth listing also gets a photo, through the same replica.
      if [ $((n % 6)) = 0 ] && curl -fsS --max-time 120 -o /dev/null -H "authorization: Bearer $member" \
        -F "photo=@$photo;type=image/jpeg" "http://127.0.0.1:$port/api/v1/my/listings/$created_id/photos" 2>/dev/null; then
        echo "$created_id" >>"$2.photos"
      fi
      break
    done
  done
}
crash_writes="${VUNGCAO_CRASH_WRITES:-24}"
: >"$tmp/acknowledged"
write_load "$crash_writes" "$tmp/acknowledged" &
load_pid=$!
for _ in $(seq 1 200); do
  [ "$(wc -l <"$tmp/acknowledged" 2>/dev/null || echo 0)" -ge $((crash_writes / 3)) ] && break
  sleep 0.1
done
step "SIGKILL replica 1 while writes and indexing run"
kill -9 "${pids[2]}"
wait "${pids[2]}" 2>/dev/null || true
ok "$(wc -l <"$tmp/acknowledged") writes acknowledged before"
step "restart replica 1"
VUNGCAO_LISTEN="127.0.0.1:${app_ports[0]}" "$vungcao" serve >"$tmp/app1-restarted.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  "$vungcao" healthcheck --addr "127.0.0.1:${app_ports[0]}" >/dev/null 2>&1 && break
  sleep 0.25
done
"$vungcao" healthcheck --addr "127.0.0.1:${app_ports[0]}" >/dev/null || fail "replica 1 did not come back"
ok
wait "$load_pid"
acknowledged=$(wc -l <"$tmp/acknowledged")
[ "$acknowledged" -ge $((crash_writes * 2 / 3)) ] || fail "only $acknowledged of $crash_writes writes acknowledged"
step "every acknowledged write is there, with its last price"
while read -r lid price; do
  got=$(curl -fsS -H "authorization: Bearer $member" "http://127.0.0.1:${app_ports[1]}/api/v1/my/listings/$lid" | json price vnd)
  [ "$got" = "$price" ] || fail "listing $lid: price $got, acknowledged $price"
done <"$tmp/acknowledged"
photographed=0
while read -r lid; do
  # A photo added to a published listing waits in its revision until an admin approves it.
  mine=$(curl -fsS -H "authorization: Bearer $member" "http://127.0.0.1:${app_ports[0]}/api/v1/my/listings/$lid") \
    || fail "listing $lid: not readable"
  url=$(echo "$mine" | json revision photos 0 variants 0 url 2>/dev/null || echo "$mine" | json photos 0 variants 0 url) \
    || fail "listing $lid: acknowledged photo missing"
  case "$url" in http*) ;; *) url="$proxy$url" ;; esac
  curl -fsS -o /dev/null "$url" || fail "listing $lid: photo $url does not answer"
  photographed=$((photographed + 1))
done < <(cat "$tmp/acknowledged.photos" 2>/dev/null)
ok "$acknowledged listings, $photographed with photos"
step "index caught up by itself once leases expire (<= 90 s)"
caught_up=false
for _ in $(seq 1 90); do
  "$vungcao" check >"$tmp/check.log" 2>&1 || true
  if grep -q "outbox rows waiting: 0" "$tmp/check.log" && grep -q "missing from the index: 0 " "$tmp/check.log" \
    && grep -q "in the index but not published: 0 " "$tmp/check.log"; then caught_up=true; break; fi
  sleep 1
done
$caught_up || { cat "$tmp/check.log" >&2; fail "the index did not catch up after the crash"; }
ok
step "check --fix removes what the kill cut off; check clean"
# No upload is in flight now, so objects of the killed replica's cut-off upload may go at once.
"$vungcao" check --fix --orphan-grace 0 >"$tmp/fix.log" 2>&1 || true
"$vungcao" check >"$tmp/check.log" 2>&1 || { cat "$tmp/fix.log" "$tmp/check.log" >&2; fail "check not clean after --fix"; }
removed=$(sed -n 's/.*deleted \([0-9]*\) orphan objects.*/\1/p' "$tmp/fix.log" | head -n1)
ok "${removed:-0} orphans removed"
step "no outbox row applied by both replicas"
python3 - "$tmp/app1.log" "$tmp/app1-restarted.log" "$tmp/app2.log" <<'PY' || fail "an outbox row was applied by two replicas"
import json, re, sys
def applied(paths):
    rows = set()
    for path in paths:
        for line in open(path, errors="replace"):
            if "outbox batch applied" not in line:
                continue
            fields = json.loads(line).get("fields", {})
            rows.update(int(x) for x in re.findall(r"\d+", str(fields.get("row_ids", ""))))
    return rows
one, two = applied(sys.argv[1:3]), applied(sys.argv[3:4])
both = one & two
print(f"replica 1 applied {len(one)} rows, replica 2 {len(two)}, both: {len(both)}", end=" ")
sys.exit(1 if both or not (one or two) else 0)
PY
ok

echo "== backup and restore: pg_dump + a copy of the bucket + vungcao reindex"
command -v pg_dump >/dev/null && command -v pg_restore >/dev/null || fail "pg_dump/pg_restore missing (apt-get install postgresql-client)"
step "pg_dump, then pg_restore into an empty database"
pg_dump -Fc "$VUNGCAO_DATABASE_URL" >"$tmp/vungcao.dump" || fail "pg_dump"
psql "$pg_base/postgres" -qc "CREATE DATABASE ${db}_restored" >/dev/null || fail "create ${db}_restored"
trap 'cleanup; psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS ${db}_restored WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
pg_restore --no-owner -d "$pg_base/${db}_restored" "$tmp/vungcao.dump" || fail "pg_restore"
ok "$(du -k "$tmp/vungcao.dump" | cut -f1) KiB"
step "bucket copied, search index rebuilt, check clean"
case "$VUNGCAO_MEDIA_URL" in
  s3://*) cp -a "$tmp/s3/vungcao" "$tmp/s3/vungcao-restored"; restored_media="s3://vungcao-restored/media" ;;
  *) cp -a "$VUNGCAO_MEDIA_URL" "$tmp/media-restored"; restored_media="$tmp/media-restored" ;;
esac
restored_env=(VUNGCAO_DATABASE_URL="$pg_base/${db}_restored" VUNGCAO_MEDIA_URL="$restored_media"
  VUNGCAO_MEILI_INDEX=restored)
env "${restored_env[@]}" "$vungcao" reindex >/dev/null 2>&1 || fail "reindex of the restored database"
env "${restored_env[@]}" "$vungcao" check >"$tmp/check-restored.log" 2>&1 || { cat "$tmp/check-restored.log" >&2; fail "check after restore"; }
ok
step "restored: every listing, photo and click is there"
restored_port="$(free_port)"
env "${restored_env[@]}" VUNGCAO_LISTEN="127.0.0.1:$restored_port" "$vungcao" serve >"$tmp/restored.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  "$vungcao" healthcheck --addr "127.0.0.1:$restored_port" >/dev/null 2>&1 && break
  sleep 0.25
done
restored="http://127.0.0.1:$restored_port"
before=$(curl -fsS -H "authorization: Bearer $member" "http://127.0.0.1:${app_ports[1]}/api/v1/my/listings" | python3 -c 'import json,sys; print(sorted(l["id"] for l in json.load(sys.stdin)["items"]))')
after=$(curl -fsS -H "authorization: Bearer $member" "$restored/api/v1/my/listings" | python3 -c 'import json,sys; print(sorted(l["id"] for l in json.load(sys.stdin)["items"]))')
[ "$before" = "$after" ] || fail "listings differ after restore"
restored_photo=$(curl -fsS "$restored/api/v1/listings/che-shan-tuyet-kiem-thu-khoi" | json photos 0 variants 0 url)
case "$restored_photo" in http*) ;; *) restored_photo="$restored$restored_photo" ;; esac
curl -fsS -o /dev/null "$restored_photo" || fail "restored photo $restored_photo"
clicks=$(curl -fsS -H "authorization: Bearer $member" "$restored/api/v1/my/clicks" | json items 0 clicks)
[ "$clicks" -ge 1 ] || fail "restored clicks: $clicks"
ok "$(echo "$after" | tr -cd ',' | wc -c | awk '{print $1 + 1}') listings, $clicks click"

echo "smoke journey: $passed passed, 0 failed"

if $bench; then
  echo "== bench: wrk -t2 -c64 -d${VUNGCAO_BENCH_SECONDS:-10}s through nginx, two replicas vs one (same run)"
  # wrk_row LABEL PATH: one table row from wrk's latency distribution.
  wrk_row() {
    local out
    out=$(wrk -t2 -c64 -d"${VUNGCAO_BENCH_SECONDS:-10}s" --latency "$proxy$2")
    local p50 p99 rps errors
    p50=$(echo "$out" | awk '$1=="50%"{print $2}')
    p99=$(echo "$out" | awk '$1=="99%"{print $2}')
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    errors=$(echo "$out" | awk '/Non-2xx/{print $NF}')
    [ -n "$rps" ] || fail "wrk printed no result for $2"
    printf '| %s | %s | %s | %s | %s | %s |\n' "$replicas" "$1" "$p50" "$p99" "$rps" "${errors:-0}"
  }
  rows=()
  for replicas in 2 1; do
    if [ "$replicas" = 1 ]; then
      printf 'server 127.0.0.1:%s;\n' "${app_ports[0]}" >"$tmp/nginx/vungcao-upstreams.conf"
      "$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -s reload
      sleep 1
    fi
    rows+=("$(wrk_row "GET /api/v1/search?q=mat+ong" "/api/v1/search?q=mat+ong")")
    rows+=("$(wrk_row "GET /api/v1/listings/{slug}" "/api/v1/listings/che-shan-tuyet-co-thu-hong-thai")")
  done
  echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); binary $vungcao"
  echo "| replicas | request | p50 | p99 | req/s | non-2xx |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
fi

if $keep; then
  echo "serving at $proxy (Ctrl-C stops everything)"
  wait
fi
