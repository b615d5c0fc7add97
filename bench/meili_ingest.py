#!/usr/bin/env python3
"""Meilisearch helpers for bench/meili-reindex.sh (standard library only).

    meili_ingest.py URL KEY anchor UID [BATCH]   # UID's documents and settings into a fresh
                                                 # index, directly: prints seconds, batches
    meili_ingest.py URL KEY batches UID          # how Meilisearch batched the documents of the
                                                 # last rebuild of UID (its `UID_rebuild_*` index)
    meili_ingest.py URL KEY drop UID...          # deletes the indexes, waits

`anchor` exports every document of UID (GET /documents, every field) and its settings, creates
`UID_anchor`, applies the settings (waited for, as vungcao does before its documents), then
times sending the documents as NDJSON payloads of BATCH (default 5 000), all enqueued before
waiting, until the last task succeeded; the index is deleted afterwards.
"""
import http.client
import json
import sys
import time
import urllib.parse


class Meili:
    def __init__(self, url, key):
        u = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=600)
        self.key = key

    def call(self, method, path, body=None, content_type="application/json"):
        headers = {"Content-Type": content_type}
        if self.key:
            headers["Authorization"] = "Bearer " + self.key
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        self.conn.request(method, path, body=body, headers=headers)
        answer = self.conn.getresponse()
        data = answer.read()
        if answer.status >= 400 and not (method == "DELETE" and answer.status == 404):
            raise SystemExit(f"Meilisearch {method} {path}: HTTP {answer.status} {data[:300]!r}")
        return json.loads(data) if data else None

    def wait(self, task_uid):
        while True:
            task = self.call("GET", f"/tasks/{task_uid}")
            if task["status"] in ("succeeded", "failed", "canceled"):
                if task["status"] != "succeeded" and task.get("type") != "indexDeletion":
                    raise SystemExit(f"Meilisearch task {task_uid}: {task}")
                return task
            time.sleep(0.02)

    def drop(self, uid):
        task = self.call("DELETE", f"/indexes/{urllib.parse.quote(uid)}")
        if task and "taskUid" in task:
            self.wait(task["taskUid"])


def export(m, uid):
    lines, offset, page = [], 0, 10_000
    while True:
        r = m.call("GET", f"/indexes/{uid}/documents?offset={offset}&limit={page}")
        lines.extend(json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode() for d in r["results"])
        offset += len(r["results"])
        if len(r["results"]) < page:
            return lines


def seconds(iso):
    # "PT12.345S" / "PT1M2.5S"
    t = iso[2:]
    total = 0.0
    for unit, mult in (("H", 3600), ("M", 60), ("S", 1)):
        if unit in t:
            num, t = t.split(unit, 1)
            total += float(num) * mult
    return total


def anchor(m, uid, batch):
    settings = m.call("GET", f"/indexes/{uid}/settings")
    lines = export(m, uid)
    target = f"{uid}_anchor"
    m.drop(target)
    m.wait(m.call("POST", "/indexes", {"uid": target, "primaryKey": "id"})["taskUid"])
    m.wait(m.call("PATCH", f"/indexes/{target}/settings", settings)["taskUid"])
    payloads = [b"\n".join(lines[i:i + batch]) for i in range(0, len(lines), batch)]
    size = sum(len(p) for p in payloads)
    start = time.perf_counter()
    tasks = [m.call("POST", f"/indexes/{target}/documents?primaryKey=id", p, "application/x-ndjson")["taskUid"]
             for p in payloads]
    for t in tasks:
        m.wait(t)
    took = time.perf_counter() - start
    n_batches, busy = batches_of(m, target)
    m.drop(target)
    print(f"{len(lines)} {took:.2f} {size / len(lines):.0f} {n_batches} {busy:.2f}")


def batches_of(m, uid):
    """Document batches Meilisearch made for index `uid` and their summed duration."""
    r = m.call("GET", f"/batches?limit=1000&indexUids={urllib.parse.quote(uid)}&types=documentAdditionOrUpdate")
    docs = [b for b in r["results"] if b.get("duration")]
    return len(docs), sum(seconds(b["duration"]) for b in docs)


def rebuild_batches(m, uid):
    # The temp index is gone after the swap: find its name through the creation tasks.
    tasks = m.call("GET", f"/tasks?limit=1000&types=indexCreation")["results"]
    temps = sorted({t["indexUid"] for t in tasks if (t.get("indexUid") or "").startswith(uid + "_rebuild_")})
    if not temps:
        print("0 0.00")
        return
    n, busy = batches_of(m, temps[-1])
    print(f"{n} {busy:.2f}")


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    m = Meili(sys.argv[1], sys.argv[2])
    what = sys.argv[3]
    if what == "anchor":
        anchor(m, sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 5_000)
    elif what == "batches":
        rebuild_batches(m, sys.argv[4])
    elif what == "drop":
        for uid in sys.argv[4:]:
            m.drop(uid)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
