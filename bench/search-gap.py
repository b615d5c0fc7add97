#!/usr/bin/env python3
"""What vungcao adds to Meilisearch, query by query: each query is sent to a running vungcao
on Meilisearch (GET /api/v1/search) and to that Meilisearch directly (POST
/indexes/INDEX/search, the same text, page and facets), the two taking turns, and the p50 / p95
of both and their difference are printed per query, largest difference first, with the
readings of the query understanding that ran (each one a Meilisearch search). The last line
is the p50 / p95 over every sample, as `bench/search-http.sh` counts them. That script gives
the whole mix's table; this tells which queries make the difference, and why.

    VUNGCAO_MEILI_URL=… VUNGCAO_RESPONSE_CACHE_SECONDS=0 ./vungcao serve &   # port 8080
    bench/search-gap.py 8080 http://127.0.0.1:7700 KEY listings 200            # no facets
    bench/search-gap.py 8080 http://127.0.0.1:7700 KEY listings 200 facets     # all 7 facets
    cargo run --release --example query_mix > mix.tsv                         # the bench's mix
    bench/search-gap.py --mix mix.tsv 8080 http://127.0.0.1:7700 KEY listings 20
    cargo run --release --example query_mix -- --filtered > filtered.tsv    # with their filters
    bench/search-gap.py --mix filtered.tsv 8080 http://127.0.0.1:7700 KEY listings 20 two
    bench/search-gap.py --pid SERVER_PID --mix filtered.tsv 8080 … listings 20 two   # + CPU

With `--pid PID` (the server's process id), the last line also gives the server's CPU time
(user + system, every thread, from /proc) per search it answered, over the timed samples.

Without --mix, a fixed list of 15 queries. The last argument picks the facets: none (the
default), `facets` (all 7) or `two` (kind and category, as the benchmarks' "filter + 2 facets");
a mix written with `--filtered` gives each query its filter, both ways. The catalogue should be the one the mix was made
for (`vungcao demo --synthetic 100000` + `vungcao reindex`). Wait until the server has loaded
its query vocabulary (bench/wait-vocabulary.sh; about 15 s at 100 000 listings): before, it
sends every accented query twice.
"""
import http.client
import json
import os
import sys
import time
import urllib.parse

QUERIES = ["che shan tuyet", "chè shan tuyết", "mat ong bac ha", "mật ong", "cam sanh ham yen",
           "le hoi hoa le", "lễ hội", "thit trau gac bep", "mien dong", "che sh", "gao nep",
           "ruou ngo", "le", "hong thai", ""]
FACETS = ["kind", "category_code", "place_path", "cooperative_slug", "ocop_stars",
          "certifications", "season_months"]
FACET_CHOICES = {"none": [], "facets": FACETS, "two": ["kind", "category_code"]}


def read_mix(path):
    """(kind, text, API parameters, Meilisearch filter) per distinct query of a
    `kind<TAB>text[<TAB>params<TAB>filter]` file (a bare line is a text)."""
    seen, out = set(), []
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) == 1:
                cols = ["", cols[0]]
            kind, text, params, filt = (cols + ["", ""])[:4]
            if (text, params) not in seen:
                seen.add((text, params))
                out.append((kind, text, params, filt))
    if not out:
        raise SystemExit(f"{path}: no queries")
    return out


def main() -> int:
    args = sys.argv[1:]
    queries = [("", q, "", "") for q in QUERIES]
    pid = None
    if args[:1] == ["--pid"]:
        if len(args) < 2 or not args[1].isdigit():
            print(__doc__, file=sys.stderr)
            return 2
        pid, args = int(args[1]), args[2:]
    if args[:1] == ["--mix"]:
        if len(args) < 2:
            print(__doc__, file=sys.stderr)
            return 2
        queries = read_mix(args[1])
        args = args[2:]
    if len(args) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    port, meili, key, index, n = args[:5]
    n = int(n)
    which = args[5] if len(args) > 5 else "none"
    if which not in FACET_CHOICES:
        raise SystemExit(f"facets: one of {', '.join(FACET_CHOICES)}, not {which!r}")
    facets = FACET_CHOICES[which]
    url = urllib.parse.urlparse(meili)
    ours = http.client.HTTPConnection("127.0.0.1", int(port))
    theirs = http.client.HTTPConnection(url.hostname, url.port or 80)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + key}
    path = f"/indexes/{urllib.parse.quote(index)}/search"
    extra = "&facets=" + (urllib.parse.quote(",".join(facets)) if facets else "false")

    def timed(send, conn, what):
        start = time.perf_counter()
        send()
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise SystemExit(f"{what}: HTTP {answer.status}")
        return (time.perf_counter() - start) * 1000, body

    pick = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(len(xs) * p))]
    tick = os.sysconf("SC_CLK_TCK")

    def server_cpu_ms():  # user + system time of every thread of the server
        if pid is None:
            return 0.0
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / tick

    cpu_spent = 0.0
    rows, all_via, all_direct = [], [], []
    for kind, q, params, filt in queries:
        api = "/api/v1/search?q=" + urllib.parse.quote(q) + extra + params
        _, body = timed(lambda: ours.request("GET", api + "&explain=true"), ours, q)
        answer = json.loads(body)
        ran = [r["role"] for r in answer.get("explain", {}).get("readings", []) if r["ran"]]
        direct_body = {"q": q, "limit": 20, "attributesToRetrieve": ["id", "slug"]}
        if facets:
            direct_body["facets"] = facets
        if filt:
            direct_body["filter"] = filt
        direct_body = json.dumps(direct_body)
        via, direct = [], []
        for _ in range(n):
            c0 = server_cpu_ms()
            via.append(timed(lambda: ours.request("GET", api), ours, q)[0])
            cpu_spent += server_cpu_ms() - c0
            direct.append(timed(lambda: theirs.request("POST", path, direct_body, headers),
                                theirs, q)[0])
        all_via += via
        all_direct += direct
        rows.append((pick(via, .5) - pick(direct, .5), kind, q + (" " + params if params else ""),
                     via, direct, answer["total"], "+".join(ran) or "-"))
    print(f"{'p50 gap':>7} {'kind':22} {'query':32} {'vungcao p50/p95':>16} "
          f"{'direct p50/p95':>16} {'total':>7}  readings run  "
          f"({n} each, {which + ' facets' if facets else 'no facets'}, ms)")
    for gap, kind, q, via, direct, total, ran in sorted(rows, key=lambda r: -r[0]):
        print(f"{gap:+7.2f} {kind[:22]:22} {q[:32]:32} {pick(via, .5):7.2f} /{pick(via, .95):7.2f} "
              f"{pick(direct, .5):7.2f} /{pick(direct, .95):7.2f} {total:7d}  {ran}")
    gaps = sorted(r[0] for r in rows)
    print(f"median of the queries' p50 gaps: {gaps[len(gaps) // 2]:.2f} ms; every sample: "
          f"vungcao p50 / p95 {pick(all_via, .5):.2f} / {pick(all_via, .95):.2f}, direct "
          f"{pick(all_direct, .5):.2f} / {pick(all_direct, .95):.2f} ms"
          + (f"; server CPU per search {cpu_spent / len(all_via):.3f} ms" if pid else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
