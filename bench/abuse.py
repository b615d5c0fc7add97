#!/usr/bin/env python3
"""The measurements of bench/abuse.sh (run that script: it makes the data and the token).

Standard library only. Each scenario gets a fresh server on a fresh copy of the set-up data.
"""
import concurrent.futures as cf
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

BIN = os.environ["VUNGCAO_BIN"]
WORK = os.environ["WORK"]
TOKEN = os.environ["BENCH_TOKEN"]
FIXTURES = os.environ["BENCH_FIXTURES"]
EMAIL = "bench@htx.vn"
MIB = 1024 * 1024
CACHE_BYTES = 32 * MIB
ROWS = []  # (scenario, measure, value, target, ok)


def fail(message):
    print(f"bench/abuse.sh: {message}", file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name, **env):
        self.dir = os.path.join(WORK, name)
        shutil.copytree(os.path.join(WORK, "setup"), self.dir)
        self.port = free_port()
        self.env = dict(os.environ)
        self.env.update(
            VUNGCAO_LISTEN=f"127.0.0.1:{self.port}",
            VUNGCAO_LOG="warn",
            VUNGCAO_DATA_DIR="./data",
            VUNGCAO_MEDIA_URL="./media",
            VUNGCAO_TRUSTED_PROXY_HEADER="X-Forwarded-For",
        )
        self.env.update({k: str(v) for k, v in env.items()})
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(
            [BIN, "serve"], cwd=self.dir, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if request(self.port, "GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        fail(f"the server for {name} did not come up; see its log:\n" + open(os.path.join(self.dir, "server.log")).read()[-2000:])

    def status(self):
        fields = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0]) * 1024
        return fields

    def reset_peak(self):
        """Peak RSS from now on (`clear_refs` 5 resets VmHWM; root or the same user may)."""
        try:
            with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class PeakSampler(threading.Thread):
    """Samples VmRSS every 10 ms: the peak even where VmHWM cannot be reset."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.peak, self.done = server, 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, self.server.status()["VmRSS"])
            except (OSError, KeyError):
                return
            time.sleep(0.01)

    def finish(self):
        self.done.set()
        self.join()
        hwm = self.server.status().get("VmHWM", 0)
        return max(self.peak, hwm if self.server.hwm_reset else 0)


def measure_peak(server):
    server.hwm_reset = server.reset_peak()
    sampler = PeakSampler(server)
    sampler.start()
    return sampler


def request(port, method, path, body=None, headers=None, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        data = res.read()
        return res.status, dict(res.getheaders()), data
    finally:
        conn.close()


def login_verifications(port):
    status, _, body = request(port, "GET", "/metrics")
    if status != 200:
        fail(f"/metrics answered {status}")
    found = re.search(rb"^vungcao_login_verifications_total (\d+)", body, re.M)
    if not found:
        fail("/metrics has no vungcao_login_verifications_total")
    return int(found.group(1))


class Reader(threading.Thread):
    """Another client: reads one listing over a kept-alive connection until told to stop."""

    def __init__(self, port, slug):
        super().__init__(daemon=True)
        self.port, self.path = port, f"/api/v1/listings/{slug}"
        self.times, self.errors, self.done = [], 0, threading.Event()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.done.is_set():
            started = time.perf_counter()
            try:
                conn.request("GET", self.path)
                res = conn.getresponse()
                res.read()
                if res.status != 200:
                    self.errors += 1
            except OSError:
                self.errors += 1
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                continue
            self.times.append(time.perf_counter() - started)
            time.sleep(0.002)

    def p99_ms(self):
        self.done.set()
        self.join()
        if len(self.times) < 20:
            fail(f"the reader got only {len(self.times)} answers during the flood")
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000


def first_slug(port):
    status, _, body = request(port, "GET", "/api/v1/listings?limit=1")
    items = json.loads(body).get("items") if status == 200 else None
    if not items:
        fail(f"GET /api/v1/listings answered {status} with no listing")
    return items[0]["slug"]


def sign_in_flood(name, addresses):
    server = Server(name, VUNGCAO_RESPONSE_CACHE_SECONDS=0)
    try:
        slug = first_slug(server.port)
        for _ in range(50):  # warm: connections, page cache, allocator
            request(server.port, "GET", f"/api/v1/listings/{slug}")
        before = login_verifications(server.port)
        idle = server.status()["VmRSS"]
        reader = Reader(server.port, slug)
        reader.start()
        time.sleep(0.5)
        sampler = measure_peak(server)
        gate = threading.Barrier(len(addresses))

        def guess(n):
            body = json.dumps({"email": EMAIL, "password": f"doan-mo-{n}"})
            headers = {"Content-Type": "application/json", "X-Forwarded-For": addresses[n]}
            gate.wait()
            return addresses[n], request(server.port, "POST", "/api/v1/auth/login", body, headers)

        with cf.ThreadPoolExecutor(len(addresses)) as pool:
            answers = list(pool.map(guess, range(len(addresses))))
        time.sleep(0.5)
        peak = sampler.finish()
        p99 = reader.p99_ms()
        checked = login_verifications(server.port) - before
    finally:
        server.stop()
    statuses = {}
    per_address = {}
    for address, (status, headers, _) in answers:
        statuses[status] = statuses.get(status, 0) + 1
        if status == 401:
            per_address[address] = per_address.get(address, 0) + 1
        if status in (429, 503) and "Retry-After" not in headers and "retry-after" not in headers:
            fail(f"a {status} without Retry-After in {name}")
    unexpected = {s: n for s, n in statuses.items() if s not in (401, 429, 503)}
    if unexpected:
        fail(f"{name}: unexpected answers {unexpected}")
    most = max(per_address.values(), default=0)
    label = f"sign-in flood, {len(set(addresses))} address(es)"
    answered = ", ".join(f"{n}×{s}" for s, n in sorted(statuses.items()))
    ROWS.append((label, "answers", answered, "401, 429 or 503 only", True))
    ROWS.append((label, "passwords checked (metrics)", str(checked), "-", True))
    ROWS.append((label, "most checks for one account+address", str(most), "≤ 10", most <= 10))
    growth = (peak - idle) / MIB
    ROWS.append((label, "peak RSS over idle", f"{growth:.1f} MiB (idle {idle / MIB:.0f} MiB)", "≤ 100 MB", growth * MIB <= 100e6))
    ROWS.append((label, "p99 GET /api/v1/listings/{slug} meanwhile", f"{p99:.1f} ms ({len(reader.times)} reads, {reader.errors} errors)", "≤ 50 ms", p99 <= 50 and reader.errors == 0))


def padded_photos(count, size):
    names = sorted(n for n in os.listdir(FIXTURES) if n.endswith(".jpg"))
    if not names:
        fail(f"no fixture JPEGs in {FIXTURES}")
    paths = []
    for i in range(count):
        with open(os.path.join(FIXTURES, names[i % len(names)]), "rb") as f:
            jpeg = f.read()
        path = os.path.join(WORK, f"photo-{i}.jpg")
        with open(path, "wb") as f:
            # Bytes after the end-of-image marker are kept by the upload and skipped by decoders
            # (phones append video there): the photo costs its full size on the wire.
            f.write(jpeg + bytes(size - len(jpeg)))
        paths.append(path)
    return paths


def upload_flood():
    photos = padded_photos(10, 19 * MIB)
    server = Server("uploads")
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    listing = {
        "kind": "product",
        "name": {"vi": "Chè búp bench"},
        "description": {"vi": "Hàng mới của hợp tác xã."},
        "category": "tea",
        "price_vnd": 250000,
        "unit": "túi 200 g",
        "marketplace_links": [{"platform": "shopee", "url": "https://shopee.vn/hang-moi"}],
    }
    try:
        status, _, body = request(server.port, "POST", "/api/v1/my/listings", json.dumps(listing), auth)
        if status != 201:
            fail(f"creating the bench listing answered {status}: {body[:300]!r}")
        listing_id = json.loads(body)["id"]
        idle = server.status()["VmRSS"]
        sampler = measure_peak(server)
        command = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Authorization: Bearer {TOKEN}"]
        for path in photos:
            command += ["-F", f"photo=@{path};type=image/jpeg"]
        command.append(f"http://127.0.0.1:{server.port}/api/v1/my/listings/{listing_id}/photos")
        started = time.time()
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(30)]
        codes = []
        for run in runs:
            out, _ = run.communicate(timeout=900)
            codes.append(out.decode().strip() or "000")
        seconds = time.time() - started
        time.sleep(0.5)
        peak = sampler.finish()
        status, _, body = request(server.port, "GET", f"/api/v1/my/listings/{listing_id}", headers=auth)
        rows = len(json.loads(body).get("photos", [])) if status == 200 else -1
    finally:
        server.stop()
    check = subprocess.run([BIN, "check"], cwd=server.dir, env=server.env, capture_output=True, text=True)
    counts = {}
    for code in codes:
        counts[code] = counts.get(code, 0) + 1
    answered = ", ".join(f"{n}×{c}" for c, n in sorted(counts.items()))
    processed = counts.get("201", 0)
    label = "30 uploads of 10 × 19 MiB, one member"
    all_answered = all(c in ("201", "429", "503") for c in codes)
    ROWS.append((label, "answers", f"{answered} in {seconds:.0f} s", "201, 429 or 503 only", all_answered))
    errors = sum(n for c, n in counts.items() if c.startswith("5") and c != "503")
    ROWS.append((label, "5xx other than 503", str(errors), "0", errors == 0))
    growth = (peak - idle) / MIB
    ROWS.append((label, "peak RSS over idle", f"{growth:.1f} MiB (idle {idle / MIB:.0f} MiB)", "≤ 400 MB", growth * MIB <= 400e6))
    kept = rows == 10 * processed and check.returncode == 0
    ROWS.append((label, "left behind", f"{rows} photo rows for {processed} uploads; vungcao check exit {check.returncode}", "10 rows per 201, check clean", kept))
    if check.returncode != 0:
        print(check.stdout + check.stderr, file=sys.stderr)


def cache_flood(cache_on=True):
    """20 000 distinct search URLs; with the cache on, and again with it off (the same requests
    grow the server by what answering them costs anyway: the SQLite page caches of the pooled
    connections, the search engine's readers), so the cache's own share can be read."""
    if cache_on:
        server = Server("cache", VUNGCAO_RESPONSE_CACHE_BYTES=CACHE_BYTES, VUNGCAO_RESPONSE_CACHE_SECONDS=3600)
    else:
        server = Server("cache-off", VUNGCAO_RESPONSE_CACHE_SECONDS=0)
    try:
        # Warm with the same eight clients as the measurement (every worker thread and its
        # allocator arena, the pooled connections' page caches) on the same search path. The
        # warm requests carry an Authorization header, which the response cache never keeps
        # (public search ignores it), so the cache starts empty.
        def warm(n):
            path = "/api/v1/search?" + urllib.parse.urlencode({"q": f"chè {n}", "limit": 20})
            status, _, _ = request(server.port, "GET", path, headers={"Authorization": "Bearer warm-up"})
            if status != 200:
                fail(f"a warm-up search answered {status}")

        with cf.ThreadPoolExecutor(8) as pool:
            list(pool.map(warm, range(400)))
        time.sleep(0.5)
        idle = server.status()["VmRSS"]
        sampler = measure_peak(server)
        served = [0, 0]
        lock = threading.Lock()

        def fetch(n):
            path = "/api/v1/search?" + urllib.parse.urlencode({"q": f"chè {n}", "limit": 20})
            status, _, body = request(server.port, "GET", path)
            with lock:
                served[0] += 1 if status == 200 else 0
                served[1] += len(body)

        with cf.ThreadPoolExecutor(8) as pool:
            list(pool.map(fetch, range(20000)))
        time.sleep(0.5)
        peak = sampler.finish()
    finally:
        server.stop()
    if served[0] != 20000:
        fail(f"only {served[0]} of 20000 cacheable requests answered 200")
    growth = (peak - idle) / MIB
    if not cache_on:
        ROWS.append(("the same 20 000 URLs, cache off", "RSS growth", f"{growth:.1f} MiB (idle {idle / MIB:.0f} MiB)", "- (baseline)", True))
        return
    label = "20 000 distinct cacheable URLs, cache 32 MiB"
    ROWS.append((label, "bodies served", f"{served[1] / MIB:.0f} MiB", "-", True))
    ROWS.append((label, "RSS growth", f"{growth:.1f} MiB (idle {idle / MIB:.0f} MiB)", "≤ 35.2 MiB", growth * MIB <= CACHE_BYTES * 1.1))


def main():
    # BENCH_ONLY=signin,uploads,cache runs some of the scenarios (all by default).
    only = set(filter(None, os.environ.get("BENCH_ONLY", "signin,uploads,cache").split(",")))
    if "signin" in only:
        sign_in_flood("flood-one-address", ["203.0.113.9"] * 200)
        sign_in_flood("flood-200-addresses", [f"10.0.{n // 250}.{n % 250 + 1}" for n in range(200)])
    if "uploads" in only:
        upload_flood()
    if "cache" in only:
        cache_flood(cache_on=True)
        cache_flood(cache_on=False)
    if not ROWS:
        fail("nothing was measured")
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    machine = f"{os.cpu_count()} cores, {cpu_model()}, load {load}, binary {BIN}"
    print(f"\nbench/abuse.sh, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {machine}\n")
    print("| scenario | measure | value | target | met |")
    print("|---|---|---|---|---|")
    for scenario, measure, value, target, ok in ROWS:
        print(f"| {scenario} | {measure} | {value} | {target} | {'yes' if ok else 'NO'} |")
    sys.exit(0 if all(row[4] for row in ROWS) else 2)


def cpu_model():
    """The processor's name, as /proc/cpuinfo gives it (figures differ a lot between models)."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown processor"


if __name__ == "__main__":
    main()
