#!/usr/bin/env python3
"""Checker for bench/crash-suite.sh: compares what the load's journal says was acknowledged with
what the restarted server shows. Prints one line per inconsistency and the count last.

usage: crash_verify.py BASE_URL MEMBER_TOKEN JOURNAL MEDIA_DIR
"""
import json
import os
import sys
import urllib.error
import urllib.request

base, member, journal_path, media_dir = sys.argv[1:5]


def get(path, token=None):
    req = urllib.request.Request(base + path)
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            body = res.read()
            return res.status, body
    except urllib.error.HTTPError as e:
        return e.code, e.read()


created, published, photographed = set(), set(), set()
# Per listing: the acknowledged price, and the prices tried after it whose answer was lost.
price_ok = {}
for line in open(journal_path, encoding="utf-8"):
    f = line.split()
    if len(f) < 2:
        continue
    kind, what = f[0], f[1]
    if kind == "ack" and what == "create":
        created.add(int(f[2]))
        price_ok[int(f[2])] = {int(f[3])}
    elif kind == "ack" and what == "publish":
        published.add(int(f[2]))
    elif kind == "ack" and what == "photo":
        photographed.add(int(f[2]))
    elif kind == "ack" and what == "price":
        price_ok[int(f[2])] = {int(f[3])}
    elif kind == "try" and what == "price":
        price_ok.setdefault(int(f[2]), set()).add(int(f[3]))

problems = []
referenced = set()
for lid in sorted(created):
    status, body = get(f"/api/v1/my/listings/{lid}", member)
    if status != 200:
        problems.append(f"listing {lid}: acknowledged create, answers {status}")
        continue
    listing = json.loads(body)
    if lid in published and listing.get("status") != "published":
        problems.append(f"listing {lid}: acknowledged publish, status {listing.get('status')}")
    price = (listing.get("price") or {}).get("vnd")
    if price not in price_ok.get(lid, set()):
        problems.append(f"listing {lid}: price {price}, acknowledged {sorted(price_ok.get(lid, []))}")
    # Photos added to a published listing wait in its revision until an admin approves them.
    photos = (listing.get("revision") or {}).get("photos") or listing.get("photos") or []
    if lid in photographed and not photos:
        problems.append(f"listing {lid}: acknowledged photo upload, no photo")
    for photo in photos:
        for variant in photo.get("variants", []):
            url = variant["url"]
            # A photo's objects (its variants and its master) share one content-addressed folder.
            referenced.add(os.path.dirname(url.split("/media/", 1)[-1]))
            status, _ = get(url if url.startswith("/") else "/" + url)
            if status != 200:
                problems.append(f"listing {lid}: photo variant {url} answers {status}")
    if lid in published:
        status, _ = get(f"/api/v1/listings/{listing['slug']}")
        if status != 200:
            problems.append(f"listing {lid}: published but the public detail answers {status}")

# Media files no photo row points at (the local store keeps one file per key; dot files are its
# temporary and bookkeeping files).
if os.path.isdir(media_dir):
    for root, _, files in os.walk(media_dir):
        for name in files:
            if name.startswith("."):
                continue
            key = os.path.relpath(os.path.join(root, name), media_dir)
            if os.path.dirname(key) not in referenced:
                problems.append(f"orphan media object {key}")

for p in problems[:50]:
    print(p)
print(f"acknowledged: {len(created)} creates, {len(published)} publishes, "
      f"{len(photographed)} listings with photos; inconsistencies: {len(problems)}")
sys.exit(1 if problems else 0)
