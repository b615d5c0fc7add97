#!/usr/bin/env python3
"""What vungcao adds to Meilisearch, query by query: each query is sent to a running vungcao
on Meilisearch (GET /api/v1/search) and to that Meilisearch directly (POST
/indexes/INDEX/search, the same text, page and facets), the two taking turns, and the p50 / p95
of both and their difference are printed per query. `bench/search-http.sh` gives the whole
mix's table; this tells which queries make the difference.

    VUNGCAO_MEILI_URL=… VUNGCAO_RESPONSE_CACHE_SECONDS=0 ./vungcao serve &   # port 8080
    bench/search-gap.py 8080 http://127.0.0.1:7700 KEY listings 200            # no facets
    bench/search-gap.py 8080 http://127.0.0.1:7700 KEY listings 200 facets     # all 7 facets

Wait until the server has loaded its query vocabulary (about 15 s at 100 000 listings).
"""
import http.client
import json
import sys
import time
import urllib.parse

QUERIES = ["che shan tuyet", "chè shan tuyết", "mat ong bac ha", "mật ong", "cam sanh ham yen",
           "le hoi hoa le", "lễ hội", "thit trau gac bep", "mien dong", "che sh", "gao nep",
           "ruou ngo", "le", "hong thai", ""]
FACETS = ["kind", "category_code", "place_path", "cooperative_slug", "ocop_stars",
          "certifications", "season_months"]


def main() -> int:
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    port, meili, key, index, n = sys.argv[1:6]
    n = int(n)
    facets = len(sys.argv) > 6 and sys.argv[6] == "facets"
    url = urllib.parse.urlparse(meili)
    ours = http.client.HTTPConnection("127.0.0.1", int(port))
    theirs = http.client.HTTPConnection(url.hostname, url.port or 80)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + key}
    path = f"/indexes/{urllib.parse.quote(index)}/search"
    extra = "" if facets else "&facets=false"

    def timed(send, conn, what):
        start = time.perf_counter()
        send()
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise SystemExit(f"{what}: HTTP {answer.status}")
        return (time.perf_counter() - start) * 1000

    pick = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(len(xs) * p))]
    print(f"{'query':24} {'vungcao p50/p95':>16} {'direct p50/p95':>16} {'p50 gap':>8}  "
          f"({n} each, {'all facets' if facets else 'no facets'}, ms)")
    gaps = []
    for q in QUERIES:
        body = {"q": q, "limit": 20, "attributesToRetrieve": ["id", "slug"]}
        if facets:
            body["facets"] = FACETS
        body = json.dumps(body)
        via, direct = [], []
        for _ in range(n):
            via.append(timed(lambda: ours.request(
                "GET", "/api/v1/search?q=" + urllib.parse.quote(q) + extra), ours, q))
            direct.append(timed(lambda: theirs.request("POST", path, body, headers), theirs, q))
        gap = pick(via, 0.5) - pick(direct, 0.5)
        gaps.append(gap)
        print(f"{q!r:24} {pick(via, .5):7.2f} /{pick(via, .95):7.2f} "
              f"{pick(direct, .5):7.2f} /{pick(direct, .95):7.2f} {gap:8.2f}")
    print(f"median of the queries' p50 gaps: {sorted(gaps)[len(gaps) // 2]:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
