#!/usr/bin/env python3
"""Meilisearch indexing levers, measured directly (standard library only): the same documents
ingested into fresh indexes under different settings, variants taking turns, ROUNDS times.

    meili_levers.py URL KEY export UID FILE        # UID's documents (NDJSON) and settings
                                                   # (FILE.settings.json) to files
    meili_levers.py URL KEY run FILE ROUNDS VARIANT...

FILE holds one JSON document a line; FILE.settings.json the base settings (what vungcao applies;
`export` writes both from an index a `vungcao reindex` filled). Each VARIANT is a name from
VARIANTS below, optionally `@BATCH` (documents per payload, default 5 000), e.g. `base@20000`.
For each round and variant: a fresh index, the settings (waited for), then the documents as NDJSON
payloads, all enqueued before waiting, timed until the last task succeeded; prints seconds, the
batches Meilisearch made, their summed duration, the load average; then the medians.
Exits non-zero on any Meilisearch error.
"""
import copy
import json
import os
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from meili_ingest import Meili, batches_of, export  # noqa: E402

# Equality only where a filter is `=`/`IN`; comparison where a range (`>=`, `TO`) is used
# (see `filter_expression` in src/search/meili.rs).
COMPARISON = {"ocop_stars", "price_vnd", "event_days"}


def granular(settings):
    out = []
    for a in settings.get("filterableAttributes", []):
        name = a if isinstance(a, str) else a["attributePatterns"][0]
        out.append({"attributePatterns": [name],
                    "features": {"facetSearch": False,
                                 "filter": {"equality": True, "comparison": name in COMPARISON}}})
    return {"filterableAttributes": out}


def without_searchable(field):
    def patch(settings):
        return {"searchableAttributes": [a for a in settings["searchableAttributes"] if a != field]}
    return patch


VARIANTS = {
    "base": lambda s: {},
    "nofacetsearch": lambda s: {"facetSearch": False},
    "granular": granular,
    "granular+nofacetsearch": lambda s: {**granular(s), "facetSearch": False},
    "locales-vie": lambda s: {"localizedAttributes": [{"attributePatterns": ["*"], "locales": ["vie"]}]},
    "locales-eng": lambda s: {"localizedAttributes": [{"attributePatterns": ["*"], "locales": ["eng"]}]},
    # Not behaviour-preserving; only to see what a field costs.
    "no-description": without_searchable("description"),
    "no-facets": lambda s: {"filterableAttributes": [], "sortableAttributes": []},
    "no-rest_x": without_searchable("rest_x"),
    "no-other": without_searchable("other"),
}


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_seconds():
    """User + system CPU seconds of the Meilisearch process (VUNGCAO_BENCH_MEILI_PID), or 0."""
    pid = os.environ.get("VUNGCAO_BENCH_MEILI_PID")
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_one(m, lines, settings, batch, uid):
    m.drop(uid)
    m.wait(m.call("POST", "/indexes", {"uid": uid, "primaryKey": "id"})["taskUid"])
    m.wait(m.call("PATCH", f"/indexes/{uid}/settings", settings)["taskUid"])
    payloads = [b"\n".join(lines[i:i + batch]) for i in range(0, len(lines), batch)]
    start, cpu = time.perf_counter(), cpu_seconds()
    tasks = [m.call("POST", f"/indexes/{uid}/documents?primaryKey=id", p, "application/x-ndjson")["taskUid"]
             for p in payloads]
    for t in tasks:
        m.wait(t)
    took = time.perf_counter() - start
    cpu = cpu_seconds() - cpu
    n_batches, busy = batches_of(m, uid)
    steps = {"cpu": cpu, **steps_of(m, uid)}
    m.drop(uid)
    return took, n_batches, busy, steps


STEPS = {"extracting words": "words", "extracting facets": "facets", "writing geo points": "geo",
         "extracting documents": "docs", "merging word caches": "merge-w",
         "merging facet caches": "merge-f", "finalizing": "commit"}


def duration(text):
    for unit, mult in (("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9), ("s", 1.0)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * mult
    return 0.0


def steps_of(m, uid):
    """Seconds per indexing step (Meilisearch's progressTrace), summed over the batches."""
    r = m.call("GET", f"/batches?limit=1000&indexUids={urllib.parse.quote(uid)}&types=documentAdditionOrUpdate")
    out = dict.fromkeys(STEPS.values(), 0.0)
    for b in r["results"]:
        for key, value in (b.get("stats", {}).get("progressTrace") or {}).items():
            step = key.removeprefix("processing tasks > indexing > ")
            if step in STEPS:
                out[STEPS[step]] += duration(value)
    return out


def main():
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    m = Meili(sys.argv[1], sys.argv[2])
    what = sys.argv[3]
    if what == "export":
        uid, path = sys.argv[4], sys.argv[5]
        settings = m.call("GET", f"/indexes/{uid}/settings")
        with open(path, "wb") as f:
            f.write(b"\n".join(export(m, uid)) + b"\n")
        with open(path + ".settings.json", "w") as f:
            json.dump(settings, f, ensure_ascii=False, indent=1)
        return 0
    if what != "run" or len(sys.argv) < 7:
        print(__doc__, file=sys.stderr)
        return 2
    path, rounds, names = sys.argv[4], int(sys.argv[5]), sys.argv[6:]
    with open(path, "rb") as f:
        lines = [line for line in f.read().split(b"\n") if line.strip()]
    with open(path + ".settings.json") as f:
        base = json.load(f)
    for key in ("embedders", "localizedAttributes", "chat", "vectorStore"):
        base.pop(key, None)
    plan = []
    for name in names:
        variant, _, batch = name.partition("@")
        if variant.startswith("only:"):
            VARIANTS[variant] = lambda s, f=variant[5:]: {"searchableAttributes": f.split(",")}
        if variant.startswith("drop:"):
            VARIANTS[variant] = without_searchable(variant[5:])
        if variant not in VARIANTS:
            print(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}", file=sys.stderr)
            return 2
        settings = copy.deepcopy(base)
        settings.update(VARIANTS[variant](base))
        plan.append((name, settings, int(batch) if batch else 5_000))
    size = sum(len(line) for line in lines) / len(lines)
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), "unknown")
    print(f"machine: {os.cpu_count()} cores, {model}")
    print(f"{len(lines)} documents, {size:.0f} bytes each; {rounds} rounds; load average {load()}")
    print(f"{'round':<6} {'variant':<28} {'s':>7} {'batches':>8} {'busy s':>8}   load average")
    took = {name: [] for name in names}
    cpus = {name: [] for name in names}
    for r in range(1, rounds + 1):
        order = plan if r % 2 else list(reversed(plan))
        for name, settings, batch in order:
            secs, nb, busy, steps = run_one(m, lines, settings, batch, f"levers_{os.getpid()}_{r}_{len(took[name])}_{names.index(name)}")
            took[name].append(secs)
            cpus[name].append(steps["cpu"])
            detail = " ".join(f"{k} {v:.2f}" for k, v in steps.items())
            print(f"{r:<6} {name:<28} {secs:7.2f} {nb:8} {busy:8.2f}   {load()}   ({detail})", flush=True)
    print("medians:")
    for name in names:
        vs = took[name]
        print(f"  {name:<28} {statistics.median(vs):7.2f} s  ({', '.join(f'{v:.2f}' for v in vs)})"
              f"   Meilisearch CPU {statistics.median(cpus[name]):.2f} s")
    print(f"load average at the end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
