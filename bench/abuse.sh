#!/usr/bin/env bash
# Abuse that must not hurt others, measured against a server on SQLite with the demo catalogue
# (a fresh copy per scenario, VUNGCAO_TRUSTED_PROXY_HEADER=X-Forwarded-For so one machine can
# play many addresses):
#   1. 200 parallel wrong-password sign-ins at one account, from one address and spread over 200
#      addresses: passwords checked (`vungcao_login_verifications_total` on /metrics), the most
#      any one address got checked, peak RSS over idle, p99 of GET /api/v1/listings/{slug} from
#      another client during the flood (response cache off, so it reads the database).
#   2. 30 parallel uploads of 10 × 19 MiB photos (fixture JPEGs padded to 19 MiB) by one member:
#      peak RSS over idle, every request answered (201, 429 or 503), no 5xx but 503, and nothing
#      left behind (`vungcao check` clean, photo rows = 10 per 201).
#   3. 20 000 distinct cacheable URLs with VUNGCAO_RESPONSE_CACHE_BYTES=32 MiB: RSS growth.
# Prints a markdown table against the targets; exits non-zero when a measurement failed.
#
#   VUNGCAO_BIN=target/release/vungcao bench/abuse.sh     (BENCH_ONLY=signin,uploads,cache picks scenarios)
#
# Without VUNGCAO_BIN it builds the release binary first (slow on a cold target). A debug
# binary checks the script, not the figures: RSS and latency mean something only in release.
# Needs python3 (standard library only) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in python3 curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "bench/abuse.sh needs $tool (Debian: apt-get install -y $tool)" >&2
    exit 1
  fi
done
if [ -z "${VUNGCAO_BIN:-}" ]; then
  cargo build --quiet --release --bin vungcao
  VUNGCAO_BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/vungcao
fi
if [ ! -x "$VUNGCAO_BIN" ]; then
  echo "VUNGCAO_BIN=$VUNGCAO_BIN is not an executable" >&2
  exit 1
fi
VUNGCAO_BIN=$(cd "$(dirname "$VUNGCAO_BIN")" && pwd)/$(basename "$VUNGCAO_BIN")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The catalogue and a member of Hồng Thái's tea cooperative, made once and copied per scenario.
mkdir -p "$WORK/setup"
(
  cd "$WORK/setup"
  export VUNGCAO_LOG=warn VUNGCAO_DATA_DIR=./data VUNGCAO_MEDIA_URL=./media
  "$VUNGCAO_BIN" demo >/dev/null
  echo 'mat-khau-dai-cho-bench' | "$VUNGCAO_BIN" user add --email bench@htx.vn --password-stdin \
    --coop htx-che-shan-tuyet-hong-thai >/dev/null 2>&1
  "$VUNGCAO_BIN" token create --email bench@htx.vn >"$WORK/token"
)
export VUNGCAO_BIN WORK
export BENCH_TOKEN=$(cat "$WORK/token")
export BENCH_FIXTURES=${BENCH_FIXTURES:-$PWD/../shared/fixtures/images/orientation}
python3 bench/abuse.py
