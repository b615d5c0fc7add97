#!/usr/bin/env bash
# Waits until a running vungcao has its search vocabulary in (the understanding layer: Telex,
# synonyms, places, "did you mean"), which loads in the background after /readyz: seconds at
# 100 000 listings, minutes at a million. Searches measured before it are neither the served
# ones nor alone on the machine (the load takes a core).
#
#   bench/wait-vocabulary.sh PORT SERVER_PID [MAX_SECONDS=2400]
#
# Exits 1 when the server dies or the vocabulary is not in after MAX_SECONDS.
set -euo pipefail
PORT=${1:?port}
SERVER=${2:?server pid}
MAX=${3:-2400}
for _ in $(seq 1 "$MAX"); do
  n=$({ curl -fsS "http://127.0.0.1:$PORT/metrics" 2>/dev/null || true; } | awk '/^[a-z_]*search_vocabulary_listings / { print $2 }')
  [ -n "$n" ] && [ "${n%.*}" -gt 0 ] && exit 0
  kill -0 "$SERVER" 2>/dev/null || { echo "the server (pid $SERVER) is gone" >&2; exit 1; }
  sleep 1
done
echo "the search vocabulary was not loaded after ${MAX}s" >&2
exit 1
