#!/usr/bin/env bash
# Photo upload to S3 against the local media folder: the 12 MP phone photo posted to
# `POST /api/v1/my/listings/1/photos` on two servers started side by side (SQLite, one with
# `VUNGCAO_MEDIA_URL=./media`, one with `s3://…` on s3s-fs), requests interleaved so both see the
# same machine load. Each upload is deleted again (untimed) so every run stores the same photo
# afresh. Prints p50/p99 per store and the S3/local ratio (target: within 1.3×).
#
#   bench/media-upload.sh [UPLOADS=40]
#
# Needs curl and jq, and an S3-compatible server: by default ../shared/tools/s3s-fs is started on
# a free loopback port; or set S3_ENDPOINT (plus AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and an
# existing bucket in S3_BUCKET). PROFILE=dev uses the debug build (dependencies are optimised
# there too) when no release build is at hand.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in curl jq; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "bench/media-upload.sh needs $tool (Debian: apt-get install -y curl jq)" >&2
    exit 1
  }
done
N=${1:-40}
PROFILE=${PROFILE:-release}
PHOTO=${PHOTO:-../shared/fixtures/images/phone-12mp.jpg}
LOCAL_PORT=18281
S3_PORT=18282
S3S_PORT=18283

cargo build --quiet --profile "$PROFILE" --bin vungcao
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
if [ "$PROFILE" = dev ]; then BIN=$TARGET/debug/vungcao; else BIN=$TARGET/$PROFILE/vungcao; fi
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${S3_ENDPOINT:-}" ]; then
  mkdir -p "$WORK/s3/vungcao"
  ../shared/tools/s3s-fs --host 127.0.0.1 --port "$S3S_PORT" \
    --access-key bench-access --secret-key bench-secret-0123456789 "$WORK/s3" \
    >"$WORK/s3s.log" 2>&1 &
  PIDS+=($!)
  S3_ENDPOINT=http://127.0.0.1:$S3S_PORT
  S3_BUCKET=vungcao
  export AWS_ACCESS_KEY_ID=bench-access AWS_SECRET_ACCESS_KEY=bench-secret-0123456789
fi

wait_ready() {
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on port $1 did not come up" >&2
  return 1
}

# setup DIR: a demo catalogue and a member token of Hồng Thái's tea cooperative (listing 1).
setup() {
  local dir=$1
  mkdir -p "$dir"
  (
    cd "$dir"
    export VUNGCAO_LOG=warn
    "$BIN" demo >/dev/null 2>&1
    echo 'mat-khau-dai-cho-bench' | "$BIN" user add --email bench@htx.vn --password-stdin \
      --coop htx-che-shan-tuyet-hong-thai >/dev/null 2>&1
    "$BIN" token create --email bench@htx.vn
  )
}

LOCAL_TOKEN=$(setup "$WORK/local")
S3_TOKEN=$(setup "$WORK/s3app")
(
  cd "$WORK/local"
  VUNGCAO_LOG=warn VUNGCAO_LISTEN=127.0.0.1:$LOCAL_PORT VUNGCAO_MEDIA_URL=./media exec "$BIN" serve
) >"$WORK/local.log" 2>&1 &
PIDS+=($!)
(
  cd "$WORK/s3app"
  VUNGCAO_LOG=warn VUNGCAO_LISTEN=127.0.0.1:$S3_PORT VUNGCAO_MEDIA_URL="s3://$S3_BUCKET/bench" \
    VUNGCAO_S3_ENDPOINT="$S3_ENDPOINT" exec "$BIN" serve
) >"$WORK/s3app.log" 2>&1 &
PIDS+=($!)
wait_ready $LOCAL_PORT
wait_ready $S3_PORT

# upload PORT TOKEN: prints the seconds one upload took, then deletes the photo again.
upload() {
  local port=$1 token=$2 out seconds id
  out=$(curl -sS -o "$WORK/answer.json" -w '%{http_code} %{time_total}' \
    -H "Authorization: Bearer $token" -F "photo=@$PHOTO;type=image/jpeg" \
    "http://127.0.0.1:$port/api/v1/my/listings/1/photos")
  if [ "${out%% *}" != 201 ]; then
    echo "upload to port $port failed: $out $(cat "$WORK/answer.json")" >&2
    exit 1
  fi
  seconds=${out#* }
  id=$(jq -r '.items[-1].id' "$WORK/answer.json")
  curl -fsS -o /dev/null -X DELETE -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/api/v1/my/listings/1/photos/$id"
  echo "$seconds"
}

# One warm-up each (page cache, connection pools), then interleaved timed runs.
upload $LOCAL_PORT "$LOCAL_TOKEN" >/dev/null
upload $S3_PORT "$S3_TOKEN" >/dev/null
: >"$WORK/local.times"
: >"$WORK/s3.times"
for _ in $(seq 1 "$N"); do
  upload $LOCAL_PORT "$LOCAL_TOKEN" >>"$WORK/local.times"
  upload $S3_PORT "$S3_TOKEN" >>"$WORK/s3.times"
done

# percentile FILE P: nearest-rank percentile in milliseconds.
percentile() {
  sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END {
    r = int((p / 100) * NR + 0.999999); if (r < 1) r = 1; if (r > NR) r = NR; printf "%.0f", v[r] * 1000 }'
}
L50=$(percentile "$WORK/local.times" 50)
L99=$(percentile "$WORK/local.times" 99)
S50=$(percentile "$WORK/s3.times" 50)
S99=$(percentile "$WORK/s3.times" 99)
echo
echo "photo upload, $(basename "$PHOTO") ($(du -k "$PHOTO" | cut -f1) KiB), $N uploads each, interleaved, $PROFILE build, $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %10s %10s\n' "media store" "p50 ms" "p99 ms"
printf '%-34s %10s %10s\n' "local folder (anchor)" "$L50" "$L99"
printf '%-34s %10s %10s\n' "S3 ($S3_ENDPOINT)" "$S50" "$S99"
awk -v a="$L50" -v b="$S50" -v c="$L99" -v d="$S99" 'BEGIN {
  printf "%-34s %9.2fx %9.2fx   (target: within 1.30x)\n", "S3 / local", b / a, d / c }'
