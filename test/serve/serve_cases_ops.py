"""serve_cases_ops.py - the cases of run-serve-tests.py about what an
operator relies on, on the main server: isolation between requests (a
secret one request plants is never seen by the next: fresh sandboxes),
the log lines (guest stderr, access log), the metrics endpoint, and 200
sleeping requests at once on 2 workers.
"""
import random
import re
import threading
import time

from serve_harness import Fail, metric, parse_metrics, short
from serve_cases import LOOP_DEADLINE, expect, expect_status


# ---- isolation ----

def scan_once(s, what):
    r = s.get("/scan")
    expect_status(what, r, 200)
    t = r.text()
    if not t.startswith("NOT FOUND"):
        raise Fail(f"{what}: a fresh sandbox saw another request's "
                   f"secret: {short(t)}")
    words = t.split()
    if "scanned" not in words or \
            int(words[words.index("scanned") + 1]) < 5 << 20:
        raise Fail(f"{what}: expected a scan of >= 5 MiB, got {short(t)}")


def plant(s, tag, what):
    sec = f"MOATSECRET-{tag}-{random.getrandbits(64):016x}"
    r = s.get(f"/secret?s={sec}")
    expect_status(what, r, 200)
    expect(f"{what} body", b"OK\n", r.body)


def case_scan_control(s):
    r = s.get(f"/secret?s=MOATSECRET-control&check=1")
    expect_status("GET /secret?check=1 (scans its own memory)", r, 200)
    expect("its answer (the scan must find a planted secret)",
           b"FOUND\n", r.body)


def case_isolation_serial(s):
    for i in range(100):
        plant(s, f"serial{i}", f"round {i}: GET /secret")
        scan_once(s, f"round {i}: GET /scan after /secret")


def case_isolation_concurrent(s):
    errors = []

    def worker(kind, k):
        try:
            for i in range(25):
                if kind == "secret":
                    plant(s, f"c{k}-{i}", f"thread {k}: GET /secret")
                else:
                    scan_once(s, f"thread {k}: GET /scan")
        except Fail as e:
            errors.append(str(e))
    ths = [threading.Thread(target=worker, args=(kind, k))
           for k, kind in enumerate(["secret", "scan"] * 4)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(300)
    if errors:
        raise Fail(f"{len(errors)} of 8 threads failed; first: {errors[0]}")


# ---- logs and metrics ----

def case_stderr_log(s):
    tag = f"tag{random.getrandbits(32):08x}"
    mark = s.log_mark()
    r = s.get(f"/stderr?n=3&tag={tag}")
    expect_status("GET /stderr", r, 200)
    rid = r.rid()
    for i in range(3):
        text = f"stderr line {i} tag={tag}"
        line = s.wait_log(lambda l: text in l, 5, mark)
        if line is None:
            raise Fail(f"GET /stderr: expected {text!r} in the server's "
                       f"stderr; last lines: {s.log_since(mark)[-5:]}")
        if not has_id(line.split(text)[0], rid):
            raise Fail(f"GET /stderr: expected the line prefixed with the "
                       f"request id {rid}, got {line!r}")


def case_stderr_escaped(s):
    tag = f"ctl{random.getrandbits(32):08x}"
    mark = s.log_mark()
    r = s.get(f"/stderr?n=2&tag={tag}&ctl=1")
    expect_status("GET /stderr?ctl=1", r, 200)
    if s.wait_log(lambda l: f"stderr line 1 tag={tag}" in l, 5, mark) is None:
        raise Fail(f"GET /stderr?ctl=1: its lines are not in the log: "
                   f"{s.log_since(mark)[-5:]}")
    for l in s.log_since(mark):
        if tag in l and any(c in l for c in "\x1b\r\x07"):
            raise Fail(f"GET /stderr?ctl=1: expected ESC, CR and BEL "
                       f"escaped in the server's log, got {l!r}")


def access_lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError as e:
        raise Fail(f"access log {path}: {e}")


def has_id(line, rid):
    """rid in line as a word of its own (ids are short: '1c5' must not
    match inside a hex secret)."""
    return re.search(r"(?<![0-9A-Za-z])" + re.escape(rid) +
                     r"(?![0-9A-Za-z])", line) is not None


def access_line_of(line, rid):
    """The access log's own field: id=RID (a bare word could be another
    field's value: dur_us=229 is not request 229)."""
    return re.search(r"(?<![0-9A-Za-z_])id=" + re.escape(rid) +
                     r"(?![0-9A-Za-z])", line) is not None


def check_access_line(lines, rid, route, status, what):
    mine = [l for l in lines if access_line_of(l, rid)]
    if len(mine) != 1:
        raise Fail(f"{what}: expected one access-log line with request id "
                   f"{rid}, got {mine} (log has {len(lines)} lines)")
    line = mine[0]
    nums = [w for w in line.replace("=", " ").split()
            if w.rstrip("smbB").replace(".", "", 1).isdigit()]
    if route not in line or str(status) not in line or len(nums) < 4:
        raise Fail(f"{what}: expected route {route}, status {status}, "
                   f"duration, instance time, bytes in and out in "
                   f"{line!r}")


def case_access_log_file(s, path):
    r1 = s.request("POST", "/echo", b"x" * 1234)
    r2 = s.get("/no-such-route")
    r3 = s.get("/trap")
    time.sleep(0.3)
    lines = access_lines(path)
    check_access_line(lines, r1.rid(), "/echo", 200, "POST /echo 1234 B")
    check_access_line(lines, r2.rid(), "/no-such-route", 404, "404")
    check_access_line(lines, r3.rid(), "/trap", 500, "GET /trap")
    mine = [l for l in lines if access_line_of(l, r1.rid())][0]
    if "1234" not in mine:
        raise Fail(f"POST /echo of 1234 bytes: expected bytes in (1234) in "
                   f"{mine!r}")


def scrape(s):
    r = s.get("/metrics")
    expect_status("GET /metrics", r, 200)
    return parse_metrics(r.text())


def case_metrics(s):
    samples, types = scrape(s)
    want_types = {"moat_requests_total": "counter",
                  "moat_request_duration_seconds": "histogram",
                  "moat_requests_in_flight": "gauge",
                  "moat_pool_instances": "gauge",
                  "moat_traps_total": "counter",
                  "moat_deadline_hits_total": "counter"}
    bad = [f"{k}: expected # TYPE {v}, got {types.get(k)}"
           for k, v in want_types.items() if types.get(k) != v]
    if bad:
        raise Fail("GET /metrics: " + "; ".join(bad))
    for n in ("moat_request_duration_seconds_bucket",
              "moat_request_duration_seconds_sum",
              "moat_request_duration_seconds_count"):
        if not any(k[0] == n for k in samples):
            raise Fail(f"GET /metrics: no {n} samples")
    before = samples
    for _ in range(3):
        s.get("/hello")
    s.get("/trap")
    s.get("/loop", timeout=LOOP_DEADLINE + 30)
    # a request is counted when it completes, which may be just after the
    # client read its last byte: retry for up to 2 s
    deadline = time.monotonic() + 2
    while True:
        after, _ = scrape(s)
        try:
            check_deltas(before, after)
            return
        except Fail:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def check_deltas(before, after):
    def delta(name, **labels):
        return metric(after, name, **labels) - metric(before, name, **labels)
    checks = [
        ("moat_requests_total{route=/hello,status=200}",
         delta("moat_requests_total", route="/hello", status="200"), 3),
        ("moat_requests_total{route=/trap,status=500}",
         delta("moat_requests_total", route="/trap", status="500"), 1),
        ("moat_requests_total{route=/loop,status=504}",
         delta("moat_requests_total", route="/loop", status="504"), 1),
        ("moat_traps_total", delta("moat_traps_total"), 1),
        ("moat_deadline_hits_total", delta("moat_deadline_hits_total"), 1)]
    bad = [f"{n} rose by {got:g}, expected {want}"
           for n, got, want in checks if got != want]
    cnt = delta("moat_request_duration_seconds_count")
    if cnt < 5:
        bad.append(f"moat_request_duration_seconds_count rose by {cnt:g}, "
                   f"expected >= 5")
    inflight = metric(after, "moat_requests_in_flight")
    if inflight not in (0, 1):
        bad.append(f"moat_requests_in_flight {inflight:g} with at most the "
                   f"scrape in flight")
    if bad:
        raise Fail("after 3 /hello, 1 /trap, 1 /loop: " + "; ".join(bad))


# ---- load ----

def case_200_sleepers(s):
    n, ms = 200, 500
    results, barrier = [None] * n, threading.Barrier(n + 1)

    def one(i):
        try:
            barrier.wait(30)
            results[i] = s.get(f"/sleep?ms={ms}", timeout=30)
        except Exception as e:          # noqa: BLE001 (reported below)
            results[i] = e
    ths = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ths:
        t.start()
    barrier.wait(30)
    t0 = time.monotonic()
    time.sleep(ms / 2000)
    mid = None
    try:
        mid, _ = scrape(s)
    except Fail as e:
        mid = e
    for t in ths:
        t.join(60)
    took = time.monotonic() - t0
    bad = [r for r in results
           if not hasattr(r, "status") or r.status != 200 or
           r.body != f"slept {ms}\n".encode()]
    if bad:
        raise Fail(f"{n} x GET /sleep?ms={ms}: {len(bad)} failed; first: "
                   f"{bad[0]!r}")
    if took >= 2.0:
        raise Fail(f"{n} x GET /sleep?ms={ms} at once, --workers 2: "
                   f"expected all done in < 2 s, took {took:.2f} s")
    if isinstance(mid, Fail):
        raise Fail(f"GET /metrics while {n} requests sleep: {mid}")
    fl = metric(mid, "moat_requests_in_flight")
    pool = metric(mid, "moat_pool_instances", route="/sleep")
    if fl < n / 2 or pool < n / 2:
        raise Fail(f"GET /metrics while {n} requests sleep: expected "
                   f"moat_requests_in_flight and moat_pool_instances"
                   f"{{route=/sleep}} >= {n // 2}, got {fl:g} and {pool:g}")
