#!/usr/bin/env python3
"""The two ways vungcao can put exact spellings first on Meilisearch, asked of Meilisearch
directly (`search::meili::exact_for`): the folded query with an exact query sent at the same
time (its hits first), or the folded query with the markers appended. Prints p50/p95 of the
folded query alone, the exact query alone, both at once, and the folded query with markers;
then, for each filter given, whether the one query gives what the pair's merge gave: the same
listings, every exact one before every other, and in the same order.

    bench/meili-exact.py URL KEY INDEX FOLDED EXACT MARKERS [N] [FILTER...]
    bench/meili-exact.py http://127.0.0.1:7700 KEY listings "che shan tuyet" \\
        "cheqcfq shan tuyetqdcdsq" "cheqcfq" 300 'place_path = "TQ-D01"'

FOLDED is the query without marks, EXACT the query with each accented word as its marker,
MARKERS the markers to append. A document's markers are in its `name_x` field
(`GET /indexes/INDEX/documents/ID?fields=name_x,name`). Run on an index `vungcao reindex` built.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse


def main() -> int:
    if len(sys.argv) < 7:
        print(__doc__, file=sys.stderr)
        return 2
    url, key, index, folded, exact_q, markers = sys.argv[1:7]
    n = int(sys.argv[7]) if len(sys.argv) > 7 else 300
    filters = sys.argv[8:]
    parsed = urllib.parse.urlparse(url)
    headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    path = f"/indexes/{urllib.parse.quote(index)}/search"

    def connect():
        return http.client.HTTPConnection(parsed.hostname, parsed.port or 80)

    first, second = connect(), connect()

    def ask(conn, body):
        conn.request("POST", path, json.dumps(body), headers)
        answer = conn.getresponse()
        data = answer.read()
        if answer.status != 200:
            raise SystemExit(f"HTTP {answer.status}: {data[:200]!r}")
        return json.loads(data)

    def query(q, strategy, limit=20, filt=None):
        body = {"q": q, "limit": limit, "matchingStrategy": strategy,
                "attributesToRetrieve": ["id"]}
        if filt:
            body["filter"] = filt
        return body

    main_q = query(folded, "last")
    exact = query(exact_q, "all")
    single = query(folded + " " + markers, "last")

    def both():
        t = threading.Thread(target=ask, args=(second, exact))
        t.start()
        ask(first, main_q)
        t.join()

    def timed(send):
        times = []
        for _ in range(n):
            start = time.perf_counter()
            send()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        return f"p50 {times[n // 2]:6.2f}  p95 {times[min(n - 1, int(n * 0.95))]:6.2f} ms"

    with open("/proc/loadavg") as f:
        print(f"{n} searches each, one client; load average {' '.join(f.read().split()[:3])}")
    print(f"  folded query alone        {timed(lambda: ask(first, main_q))}")
    print(f"  exact query alone         {timed(lambda: ask(first, exact))}")
    print(f"  both at once              {timed(both)}")
    print(f"  folded + markers appended {timed(lambda: ask(first, single))}")

    for filt in filters:
        ids = lambda body: [h["id"] for h in ask(first, body)["hits"]]
        exact_ids = ids(query(exact_q, "all", 1000, filt))
        exact_set = set(exact_ids)
        folded_ids = ids(query(folded, "last", 1000, filt))
        one = ids(query(folded + " " + markers, "last", 1000, filt))
        merged = exact_ids + [i for i in folded_ids if i not in exact_set]
        first_other = next((i for i, x in enumerate(one) if x not in exact_set), len(one))
        exact_first = all(x not in exact_set for x in one[first_other:])
        print(f"  {filt}: {len(exact_ids)} exact of {len(one)}; same listings "
              f"{set(one) == set(folded_ids)}; exact first {exact_first}; "
              f"same order as the pair {one == merged}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
