#!/usr/bin/env python3
"""Replays 16 everyday searches against a running vungcao, one keep-alive client, and prints
p50/p95/p99 in ms. For A/B runs of two binaries on the same data dir, taking turns:

    VUNGCAO_DATA_DIR=… VUNGCAO_RESPONSE_CACHE_SECONDS=0 ./vungcao serve &   # port 8080
    bench/search-replay.py 8080 1500
    bench/search-replay.py 8080 1500 '&category=tea&facets=kind,category_code'

    # the same searches sent to Meilisearch directly (the anchor for vungcao on Meilisearch):
    bench/search-replay.py meili http://127.0.0.1:7700 KEY INDEX 1500

Run `bench/search-http.sh` for the full table next to Meilisearch.
"""
import json
import http.client
import sys
import time
import urllib.parse

QUERIES = ["che shan tuyet", "mat ong bac ha", "cam sanh ham yen", "le hoi hoa le",
           "thit trau gac bep", "mien dong", "che sh", "cam s", "mat ong hoang su phi", "gao nep",
           "ruou ngo", "che shan tueyt", "le", "thit", "hong thai", ""]


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "meili":
        if len(sys.argv) < 6:
            print(__doc__, file=sys.stderr)
            return 2
        url = urllib.parse.urlparse(sys.argv[2])
        conn = http.client.HTTPConnection(url.hostname, url.port or 80)
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + sys.argv[3]}
        path, n = f"/indexes/{urllib.parse.quote(sys.argv[4])}/search", int(sys.argv[5])

        def send(q):
            body = json.dumps({"q": q, "limit": 20, "attributesToRetrieve": ["id", "slug"]})
            conn.request("POST", path, body, headers)
    else:
        port, n = int(sys.argv[1]), int(sys.argv[2])
        extra = sys.argv[3] if len(sys.argv) > 3 else ""
        conn = http.client.HTTPConnection("127.0.0.1", port)

        def send(q):
            conn.request("GET", "/api/v1/search?q=" + urllib.parse.quote(q) + extra)
    took = []
    for i in range(n):
        q = QUERIES[i % len(QUERIES)]
        start = time.perf_counter()
        send(q)
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            print(f"search {q!r}: HTTP {answer.status}", file=sys.stderr)
            return 1
        took.append((time.perf_counter() - start) * 1000)
    took.sort()
    pick = lambda p: took[min(len(took) - 1, int(len(took) * p))]
    print(f"p50 {pick(0.5):.2f} p95 {pick(0.95):.2f} p99 {pick(0.99):.2f} ms ({n} searches)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
