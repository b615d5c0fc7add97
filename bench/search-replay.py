#!/usr/bin/env python3
"""Replays 16 everyday searches against a running vungcao, one keep-alive client, and prints
p50/p95/p99 in ms. For A/B runs of two binaries on the same data dir, taking turns:

    VUNGCAO_DATA_DIR=… VUNGCAO_RESPONSE_CACHE_SECONDS=0 ./vungcao serve &   # port 8080
    bench/search-replay.py 8080 1500
    bench/search-replay.py 8080 1500 '&category=tea&facets=kind,category_code'

    # the same searches sent to Meilisearch directly (the anchor for vungcao on Meilisearch):
    bench/search-replay.py meili http://127.0.0.1:7700 KEY INDEX 1500

    # each query's own p50 / p95 and hits as well (which query sets the p95); with the server's
    # pid instead of 1, also its CPU time per search (user + system, all threads: steadier
    # than wall time on a busy machine):
    VUNGCAO_REPLAY_BY_QUERY=1 bench/search-replay.py 8080 1600
    VUNGCAO_REPLAY_BY_QUERY=$SERVER_PID bench/search-replay.py 8080 1600

Run `bench/search-http.sh` for the full table next to Meilisearch.
"""
import os
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
    by = os.environ.get("VUNGCAO_REPLAY_BY_QUERY", "")
    pid = int(by) if by.isdigit() and by != "1" else None
    tick = os.sysconf("SC_CLK_TCK")

    def cpu_ms():  # the server's user + system time, all threads
        if pid is None:
            return 0.0
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / tick

    took = []
    by_query, cpu, hits = {}, {}, {}
    for i in range(n):
        q = QUERIES[i % len(QUERIES)]
        c0 = cpu_ms()
        start = time.perf_counter()
        send(q)
        answer = conn.getresponse()
        body = answer.read()
        took.append((time.perf_counter() - start) * 1000)
        cpu[q] = cpu.get(q, 0.0) + cpu_ms() - c0
        if answer.status != 200:
            print(f"search {q!r}: HTTP {answer.status}", file=sys.stderr)
            return 1
        if by and q not in hits:
            answered = json.loads(body)
            hits[q] = answered.get("total", answered.get("estimatedTotalHits", "?"))
        by_query.setdefault(q, []).append(took[-1])
    pick = lambda took, p: sorted(took)[min(len(took) - 1, int(len(took) * p))]
    if by:
        for q, times in sorted(by_query.items(), key=lambda e: -pick(e[1], 0.95)):
            line = f"  {q!r:24} p50 {pick(times, 0.5):7.2f} p95 {pick(times, 0.95):7.2f} ms"
            if pid is not None:
                line += f", server CPU {cpu[q] / len(times):6.2f} ms"
            print(f"{line}, {hits[q]} hits")
    print(f"p50 {pick(took, 0.5):.2f} p95 {pick(took, 0.95):.2f} p99 {pick(took, 0.99):.2f} ms "
          f"({n} searches)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
