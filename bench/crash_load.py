#!/usr/bin/env python3
"""Write load for bench/crash-suite.sh: members create, publish, edit and photograph listings
through one vungcao server until it is killed. Every write is logged twice, to a journal that is
flushed and fsync'd: `try` before the request is sent and `ack` after the server answered 2xx, so
the checker knows what must be there (acked) and what may be there (tried, answer lost).

usage: crash_load.py BASE_URL MEMBER_TOKEN ADMIN_TOKEN JOURNAL PHOTO SEED
"""
import json
import os
import random
import sys
import urllib.error
import urllib.request

base, member, admin, journal_path, photo_path, seed = sys.argv[1:7]
rng = random.Random(int(seed))
photo = open(photo_path, "rb").read()
journal = open(journal_path, "a", encoding="utf-8")


def log(*fields):
    journal.write(" ".join(str(f) for f in fields) + "\n")
    journal.flush()
    os.fsync(journal.fileno())


def call(method, path, token, body=None, content_type="application/json"):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("authorization", "Bearer " + token)
    if data is not None:
        req.add_header("content-type", content_type)
    with urllib.request.urlopen(req, timeout=30) as res:
        text = res.read()
        return json.loads(text) if text else None


def multipart(field, filename, payload):
    boundary = "crash-suite-%d" % rng.randrange(1 << 30)
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
        f"filename=\"{filename}\"\r\nContent-Type: image/jpeg\r\n\r\n"
    ).encode()
    return head + payload + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


published = []
n = 0
while True:
    n += 1
    try:
        action = rng.random()
        if action < 0.45 or not published:
            name = f"Mật ong bạc hà mẻ {seed}-{n}"
            price = 150000 + n
            log("try", "create", name, price)
            created = call("POST", "/api/v1/my/listings", member, {
                "kind": "product", "name": {"vi": name},
                "description": {"vi": "Mật ong hoa bạc hà Hà Giang, mẻ thử."},
                "category": "honey", "price_vnd": price, "unit": "chai 500 ml",
                "marketplace_links": [{"platform": "shopee", "url": f"https://shopee.vn/mat-ong-{seed}-{n}"}],
            })
            lid = created["id"]
            log("ack", "create", lid, price)
            submitted = call("POST", f"/api/v1/my/listings/{lid}/submit", member)
            log("try", "publish", lid)
            # The admin names the version reviewed.
            call("POST", f"/api/v1/admin/listings/{lid}/approve", admin, {"version": submitted["version"]})
            log("ack", "publish", lid)
            published.append(lid)
        elif action < 0.85:
            lid = rng.choice(published)
            price = 200000 + n
            log("try", "price", lid, price)
            call("PATCH", f"/api/v1/my/listings/{lid}", member, {"price_vnd": price})
            log("ack", "price", lid, price)
        else:
            lid = rng.choice(published)
            body, ctype = multipart("photo", "mat-ong.jpg", photo)
            log("try", "photo", lid)
            answer = call("POST", f"/api/v1/my/listings/{lid}/photos", member, body, ctype)
            photos = answer if isinstance(answer, list) else answer.get("photos", answer.get("items", [answer]))
            log("ack", "photo", lid, len(photos) if isinstance(photos, list) else 1)
    except urllib.error.HTTPError as e:
        # A refusal (e.g. 503 while the photo pool is full) is an answer, not an acknowledgement.
        log("refused", e.code)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        # The server died mid-request: the write may or may not be there; stop like a client would.
        log("lost", n)
        sys.exit(0)
