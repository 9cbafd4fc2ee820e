"""serve_cases.py - the cases of run-serve-tests.py, in groups that share
one server. The main server runs every handler of guests/ with 2 workers
and small limits; the reload and shutdown groups get servers of their own.
Every case raises Fail("what was sent: expected X, got Y").
"""
import http.client
import os
import random
import socket
import threading
import time

from serve_harness import Fail, chunked, parse_env, big_pattern, short

MAX_BODY = 1 << 20
LOOP_DEADLINE = 2.0         # s, the /loop route's timeout
SLACK = 3.0                 # s, allowed past a deadline
HOG_CAP_MIB = 16


def expect(what, want, got):
    if want != got:
        raise Fail(f"{what}: expected {short(str(want))}, got "
                   f"{short(str(got))}")


def expect_status(what, r, want):
    if r.status != want:
        raise Fail(f"{what}: expected status {want}, got {r!r}")
    if not r.rid():
        raise Fail(f"{what}: no X-Request-Id in {r!r}")


def route_file(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main_routes(g):
    w = lambda n: os.path.join(g, n + ".wasm")   # noqa: E731
    return f"""; routes of the main test server
[defaults]
timeout = 5s
max-memory = 64M

[route "/env"]
module = {w('env')}
env = ROUTE_VAR=route value
env = SECOND=2

[route "/wild/..."]
module = {w('env')}

[route "/echo"]
module = {w('echo')}

[route "/status"]
module = {w('status')}

[route "/hello"]
module = {w('status')}

[route "/trap"]
module = {w('trap')}

[route "/loop"]
module = {w('loop')}
timeout = {int(LOOP_DEADLINE * 1000)}ms

[route "/sleep"]
module = {w('sleep')}
timeout = 10s

[route "/sleepshort"]
module = {w('sleep')}
timeout = 1s

[route "/echoshort"]
module = {w('echo')}
timeout = 1s

[route "/secret"]
module = {w('secret')}

[route "/scan"]
module = {w('scan')}

[route "/hog"]
module = {w('hog')}
max-memory = {HOG_CAP_MIB}M

[route "/big"]
module = {w('big')}
timeout = 60s

[route "/stderr"]
module = {w('stderr')}

[route "/badcgi"]
module = {w('badcgi')}

[route "/exit"]
module = {w('exit')}
"""


# ---- warm-up: the first request of a module may compile it ----

def warm(s):
    for path in ["/env", "/echo", "/status", "/hello", "/trap", "/sleep?ms=1",
                 "/secret?s=x", "/scan", "/hog?mode=report", "/big?mib=0",
                 "/stderr?n=0", "/badcgi", "/exit", "/loop", "/cli"]:
        s.get(path, timeout=300)


# ---- the WAGI environment ----

def env_get(s, path, headers=(), method="GET", body=None):
    r = s.request(method, path, headers=headers, body=body)
    expect_status(f"{method} {path}", r, 200)
    return parse_env(r.body)


def check_vars(what, env, want):
    bad = [f"{k}: expected {want[k]!r}, got {env.get(k, '<absent>')!r}"
           for k in want if env.get(k) != want[k]]
    if bad:
        raise Fail(f"{what}: " + "; ".join(bad))


def case_env_basic(s):
    q = "greet=matt&two+words%21&x%26y=1"
    hdrs = [("X-Custom", "abc"), ("X-Multi", "a"), ("X-Multi", "b"),
            ("User-Agent", "serve-tests"), ("Proxy", "http://evil:1"),
            ("Accept", "*/*")]
    argv, env = env_get(s, "/env?" + q, hdrs)
    host = f"127.0.0.1:{s.port}"
    check_vars(f"GET /env?{q}", env, {
        "REQUEST_METHOD": "GET", "PATH_INFO": "", "X_RAW_PATH_INFO": "",
        "QUERY_STRING": q, "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(s.port), "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "GATEWAY_INTERFACE": "CGI/1.1",
        "SCRIPT_NAME": "/env", "X_MATCHED_ROUTE": "/env",
        "X_FULL_URL": f"http://{host}/env?{q}",
        "HTTP_X_CUSTOM": "abc", "HTTP_X_MULTI": "a, b",
        "HTTP_USER_AGENT": "serve-tests", "HTTP_ACCEPT": "*/*",
        "HTTP_HOST": host, "ROUTE_VAR": "route value", "SECOND": "2"})
    # WAGI: argv[0] is the path, then the query split on '&', each word
    # %-decoded with '+' as a space
    expect(f"argv of GET /env?{q}", ["/env", "greet=matt", "two words!",
                                     "x&y=1"], argv)
    for k in ("HTTP_PROXY", "MOAT_LEAK_PROBE", "MOAT_CACHE_DIR", "PATH"):
        if k in env:
            raise Fail(f"GET /env: {k} must not reach the handler, got "
                       f"{env[k]!r}")
    if env.get("CONTENT_LENGTH", "0") not in ("0", ""):
        raise Fail(f"GET /env without a body: CONTENT_LENGTH "
                   f"{env['CONTENT_LENGTH']!r}")


def case_env_no_query(s):
    argv, env = env_get(s, "/env")
    check_vars("GET /env", env, {
        "QUERY_STRING": "", "X_FULL_URL": f"http://127.0.0.1:{s.port}/env"})
    expect("argv of GET /env", ["/env"], argv)


def case_env_post(s):
    argv, env = env_get(s, "/env", [("Content-Type", "application/x-thing")],
                        "POST", b"hello")
    check_vars("POST /env (5 bytes)", env, {
        "REQUEST_METHOD": "POST", "CONTENT_LENGTH": "5",
        "CONTENT_TYPE": "application/x-thing"})
    for k in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
        if k in env:
            raise Fail(f"POST /env: {k} must not be set (CGI has "
                       f"CONTENT_*), got {env[k]!r}")


def case_env_path_info(s):
    raw = "/a%20b/c%2Fd"
    path = "/wild" + raw + "?x=1"
    argv, env = env_get(s, path)
    check_vars(f"GET {path}", env, {
        "PATH_INFO": "/a b/c/d", "X_RAW_PATH_INFO": raw,
        "SCRIPT_NAME": "/wild", "X_MATCHED_ROUTE": "/wild/...",
        "QUERY_STRING": "x=1",
        "X_FULL_URL": f"http://127.0.0.1:{s.port}{path}"})
    expect(f"argv of GET {path}", ["/wild" + raw, "x=1"], argv)
    argv, env = env_get(s, "/wild")
    check_vars("GET /wild", env, {"PATH_INFO": "", "SCRIPT_NAME": "/wild",
                                  "X_MATCHED_ROUTE": "/wild/..."})


def case_env_host(s):
    _, env = env_get(s, "/env", [("Host", "example.test:8123")])
    check_vars("GET /env with Host: example.test:8123", env, {
        "SERVER_NAME": "example.test", "SERVER_PORT": "8123",
        "HTTP_HOST": "example.test:8123",
        "X_FULL_URL": "http://example.test:8123/env"})
    _, env = env_get(s, "/env", [("Host", "example.test")])
    check_vars("GET /env with Host: example.test", env, {
        "SERVER_NAME": "example.test", "HTTP_HOST": "example.test"})


def case_cli_route(s):
    r = s.get("/cli?body=from-cli")
    expect_status("GET /cli (a --route)", r, 200)
    expect("GET /cli body", b"from-cli", r.body)


# ---- CGI headers out ----

def case_status_418(s):
    r = s.get("/status?status=418")
    expect_status("GET /status?status=418", r, 418)
    expect("its body", b"status handler\n", r.body)


def case_location_302(s):
    r = s.get("/status?location=/elsewhere")
    expect_status("GET /status?location=/elsewhere", r, 302)
    expect("its Location", "/elsewhere", r.header("Location"))
    r = s.get("/status?location=/x&status=301")
    expect_status("GET /status?location=/x&status=301", r, 301)


def case_custom_headers(s):
    r = s.get("/status?h=X-Custom-Out:%20hello&ct=text/x-test&body=b")
    expect_status("GET /status with h= and ct=", r, 200)
    expect("X-Custom-Out", "hello", r.header("X-Custom-Out"))
    expect("Content-Type", "text/x-test", r.header("Content-Type"))
    expect("body", b"b", r.body)


def case_default_content_type(s):
    r = s.get("/status?ct=none&body=x")
    expect_status("GET /status without a Content-Type line", r, 200)
    expect("its Content-Type", "application/octet-stream",
           r.header("Content-Type"))


def case_framing_headers(s):
    """Headers that frame the message are the server's: a handler's
    Content-Length, Transfer-Encoding or Connection must not reach the
    client, where they would cut or corrupt the response."""
    for h in ("Content-Length:%203", "Transfer-Encoding:%20gzip",
              "Content-Length:%20999999", "Connection:%20close"):
        what = f"GET /status?h={h}&body=hello-world"
        r = s.get(f"/status?h={h}&body=hello-world", timeout=10)
        expect_status(what, r, 200)
        expect(f"{what}: body", b"hello-world", r.body)


def case_request_ids(s):
    ids = [s.get("/hello").rid() for _ in range(5)]
    ids.append(s.get("/no-such-route").rid())
    if None in ids or len(set(ids)) != len(ids):
        raise Fail(f"X-Request-Id of 6 requests: expected 6 distinct, got "
                   f"{ids}")


# ---- bodies and connections ----

def case_echo(s):
    body = random.Random(1).randbytes(100000)
    r = s.request("POST", "/echo", body, [("Content-Type", "app/x-echo")])
    expect_status("POST /echo (100000 bytes)", r, 200)
    expect("Content-Type", "app/x-echo", r.header("Content-Type"))
    if r.body != body:
        raise Fail(f"POST /echo: {len(body)} bytes sent, {len(r.body)} "
                   f"back, differing")
    r = s.request("POST", "/echo", b"")
    expect_status("POST /echo (empty)", r, 200)
    expect("POST /echo (empty) body", b"", r.body)


def case_echo_at_limit(s):
    body = random.Random(2).randbytes(MAX_BODY)
    r = s.request("POST", "/echo", body, timeout=60)
    expect_status(f"POST /echo ({MAX_BODY} bytes = --max-body)", r, 200)
    if r.body != body:
        raise Fail(f"POST /echo at the limit: {len(r.body)} bytes back")


def case_chunked_request(s):
    body = random.Random(3).randbytes(50000)
    head = (b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked"
            b"\r\nContent-Type: text/x-chunks\r\nConnection: close\r\n\r\n")
    r = s.raw([head] + chunked(body, [1, 7, 4096, 333, 10000]),
              method="POST")
    expect_status("POST /echo chunked (50000 bytes)", r, 200)
    expect("Content-Type", "text/x-chunks", r.header("Content-Type"))
    if r.body != body:
        raise Fail(f"chunked POST /echo: {len(body)} bytes sent, "
                   f"{len(r.body)} back, differing")


def case_big_response(s):
    mib = 8
    r = s.get(f"/big?mib={mib}", timeout=120)
    expect_status(f"GET /big?mib={mib}", r, 200)
    if r.has("Content-Length"):
        raise Fail(f"GET /big: expected no Content-Length (streamed), got "
                   f"{r.header('Content-Length')}")
    expect("Transfer-Encoding", "chunked", r.header("Transfer-Encoding"))
    want = big_pattern(mib << 20)
    if r.body != want:
        at = next((i for i, (a, b) in enumerate(zip(r.body, want))
                   if a != b), min(len(r.body), len(want)))
        raise Fail(f"GET /big?mib={mib}: expected {len(want)} bytes of the "
                   f"pattern, got {len(r.body)}, first difference at {at}")


def case_keep_alive(s):
    c = s.conn()
    try:
        sent = [("GET", "/env", None), ("POST", "/echo", b"abc"),
                ("GET", "/status?status=418", None),
                ("GET", "/no-such-route", None), ("GET", "/hello", None)]
        want = [200, 200, 418, 404, 200]
        socks = []
        for (m, p, b), w in zip(sent, want):
            r = s.request(m, p, b, conn=c)
            expect_status(f"{m} {p} on a kept-alive connection", r, w)
            if c.sock is None:
                raise Fail(f"{m} {p}: the server closed the kept-alive "
                           f"connection ({r!r})")
            socks.append(c.sock.getsockname())
        if len(set(socks)) != 1:
            raise Fail(f"5 requests: expected one connection, got local "
                       f"ends {socks}")
    finally:
        c.close()


# ---- request errors ----

def case_404(s):
    for p in ("/no-such-route", "/wildx", "/env/extra", "/"):
        r = s.get(p)
        expect_status(f"GET {p}", r, 404)


BAD_REQUESTS = (b"THIS IS NOT HTTP\r\n\r\n",
                b"GET /env HTTP/1.1\r\n\r\n",     # HTTP/1.1 needs Host
                b"GET /env HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n")
BIG_HEADS = (("a 64 KiB header", [("X-Big", "a" * 65536)]),
             ("200 headers of 100 bytes",
              [(f"X-H{i}", "v" * 100) for i in range(200)]))


def every(what, checks):
    """Runs every check (a thunk) and fails with all that failed."""
    bad = []
    for c in checks:
        try:
            c()
        except Fail as e:
            bad.append(str(e))
    if bad:
        raise Fail(f"{what}: " + "; ".join(bad))


def status_only(what, r, want):
    if r.status != want:
        raise Fail(f"{what}: expected status {want}, got {r!r}")


def case_400(s):
    every("malformed requests", [
        lambda raw=raw: status_only(f"raw {short(raw, 60)}", s.raw(raw), 400)
        for raw in BAD_REQUESTS])


def case_encoded_nul(s):
    """MHD would hand "/env%00x" to routing as "/env": refused instead."""
    for path in (b"/env%00x", b"/env%00", b"/e%00nv"):
        r = s.raw(b"GET " + path + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        expect_status(f"GET {path.decode()}", r, 400)
        if b"argv" in r.body:
            raise Fail(f"GET {path.decode()}: the /env handler ran: {r!r}")


def case_431(s):
    every(f"heads over --max-header 8K", [
        lambda n=n, h=h: status_only(f"GET /env with {n}",
                                     s.get("/env", headers=h), 431)
        for n, h in BIG_HEADS])


def case_ids_on_http_errors(s):
    """The 400, 414 and 431 that libmicrohttpd makes itself never reach
    Moat, so they carry no X-Request-Id (docs/serve.md, "Why
    libmicrohttpd"); the access log still has a line for each, marked
    refused-by-http-layer=1."""
    def refused():
        with open(s.access_log, errors="replace") as f:
            return sum("refused-by-http-layer=1" in l for l in f)

    before = refused()
    for raw in BAD_REQUESTS:
        r = s.raw(raw)
        if r.status != 400:
            raise Fail(f"raw {short(raw, 60)}: expected 400, got {r!r}")
    for n, h in BIG_HEADS:
        r = s.get("/env", headers=h)
        if r.status != 431:
            raise Fail(f"GET /env with {n}: expected 431, got {r!r}")
    # Logged: the 431s and the header line without a colon (MHD read the
    # request line); not: the garbled request line (MHD never hands it
    # over; its own error line is in the server log) and the request
    # without Host (Moat's own 400, logged as status=400).
    want = len(BIG_HEADS) + 1
    deadline = time.monotonic() + 2
    while True:
        got = refused() - before
        if got >= want or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if got < want:
        raise Fail(f"access log: expected {want} more lines marked "
                   f"refused-by-http-layer=1, got {got}")


def case_413_length(s):
    head = (b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n"
            % (MAX_BODY + 1))
    r = s.raw([head], method="POST")
    expect_status(f"POST /echo Content-Length {MAX_BODY + 1} "
                  f"(headers only sent)", r, 413)


def case_413_chunked(s):
    head = (b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked"
            b"\r\n\r\n")
    body = b"z" * (MAX_BODY + 65536 * 4)
    r = s.raw([head] + chunked(body, [65536]), method="POST", pause=0.01)
    expect_status(f"POST /echo chunked {len(body)} bytes (over --max-body)",
                  r, 413)


# ---- handler faults ----

def case_trap(s):
    r = s.get("/trap")
    expect_status("GET /trap", r, 500)
    r = s.get("/hello")
    expect_status("GET /hello after a trap", r, 200)
    s.get("/trap?after=1")          # headers sent, then a trap: no crash
    expect_status("GET /hello after a late trap", s.get("/hello"), 200)


def case_exit(s):
    r = s.get("/exit?code=0&out=1")
    expect_status("GET /exit?code=0&out=1", r, 200)
    expect("its body", b"exiting 0\n", r.body)
    r = s.get("/exit?code=3")
    expect_status("GET /exit?code=3 (no output)", r, 500)


def case_badcgi(s):
    for mode in ("noblank", "nocolon", "badstatus", "badname", "empty"):
        r = s.get(f"/badcgi?mode={mode}")
        expect_status(f"GET /badcgi?mode={mode}", r, 502)


def case_hog(s):
    r = s.get("/hog")
    expect_status(f"GET /hog (mallocs until NULL, then traps; cap "
                  f"{HOG_CAP_MIB}M)", r, 500)
    r = s.get("/hog?mode=exit")
    expect_status("GET /hog?mode=exit (exit 1 at NULL)", r, 500)
    r = s.get("/hog?mode=report")
    expect_status("GET /hog?mode=report", r, 200)
    got = r.text().split()
    if len(got) != 3 or not got[1].isdigit() or \
            not 4 <= int(got[1]) < HOG_CAP_MIB:
        raise Fail(f"GET /hog?mode=report: expected 'got N MiB' with "
                   f"4 <= N < {HOG_CAP_MIB}, got {short(r.body)}")


def case_loop_deadline(s):
    out = {}

    def loop():
        try:
            out["loop"] = s.get("/loop", timeout=LOOP_DEADLINE + 30)
        except Fail as e:
            out["loop"] = e
        out["loop_end"] = time.monotonic()
    t0 = time.monotonic()
    th = threading.Thread(target=loop)
    th.start()
    time.sleep(0.2)
    h = s.get("/hello", timeout=30)
    h_end = time.monotonic()
    th.join(LOOP_DEADLINE + 40)
    r = out.get("loop")
    if isinstance(r, Fail) or r is None:
        raise Fail(f"GET /loop: {r}")
    took = out["loop_end"] - t0
    expect_status("GET /loop (route timeout "
                  f"{LOOP_DEADLINE} s)", r, 504)
    if not LOOP_DEADLINE * 0.9 <= took <= LOOP_DEADLINE + SLACK:
        raise Fail(f"GET /loop: expected 504 after {LOOP_DEADLINE} s "
                   f"(+{SLACK} s slack), got it after {took:.2f} s")
    expect_status("GET /hello while /loop runs", h, 200)
    if h.elapsed > 0.5 or h_end > out["loop_end"]:
        raise Fail(f"GET /hello while /loop runs: expected < 0.5 s and "
                   f"before the loop's 504, took {h.elapsed:.2f} s")


def timed_status(what, fn, want, deadline):
    t0 = time.monotonic()
    r = fn()
    took = time.monotonic() - t0
    expect_status(what, r, want)
    if not deadline * 0.9 <= took <= deadline + SLACK:
        raise Fail(f"{what}: expected {want} after {deadline} s "
                   f"(+{SLACK} s slack), got it after {took:.2f} s")


def case_sleep_deadline(s):
    timed_status("GET /sleepshort?ms=5000 (route timeout 1 s)",
                 lambda: s.get("/sleepshort?ms=5000"), 504, 1.0)


def case_body_deadline(s):
    """MHD answers only once the whole body is in, so a request whose
    deadline passes while the client is still sending is cut: the
    connection is closed about a second later (docs/serve.md)."""
    head = (b"POST /echoshort HTTP/1.1\r\nHost: t\r\nContent-Length: 100"
            b"\r\n\r\n0123456789")
    t0 = time.monotonic()
    try:
        r = s.raw([head], method="POST", timeout=15)
        raise Fail(f"POST /echoshort with 10 of 100 body bytes: expected "
                   f"the connection cut, got {r!r}")
    except Fail as e:
        if "no response" not in str(e):
            raise
    took = time.monotonic() - t0
    if not 1.0 <= took <= 2.0 + SLACK:
        raise Fail(f"POST /echoshort with 10 of 100 body bytes (timeout "
                   f"1 s): expected the connection cut after 1 to 2 s, "
                   f"took {took:.2f} s")


def hello_during(s, what, limit=0.5):
    h = s.get("/hello", timeout=30)
    expect_status(f"GET /hello while {what}", h, 200)
    if h.elapsed > limit:
        raise Fail(f"GET /hello while {what}: expected < {limit} s, took "
                   f"{h.elapsed:.2f} s")


def case_loops_preempted(s):
    """3 infinite loops on 2 workers: the slicer must still let /hello
    run at once."""
    out = []
    ths = [threading.Thread(target=lambda: out.append(
        s.get("/loop", timeout=LOOP_DEADLINE + 30))) for _ in range(3)]
    for t in ths:
        t.start()
    time.sleep(0.3)
    try:
        hello_during(s, "3 /loop run on 2 workers")
    finally:
        for t in ths:
            t.join(LOOP_DEADLINE + 40)
    bad = [r for r in out if r.status != 504]
    if len(out) != 3 or bad:
        raise Fail(f"3 x GET /loop: expected 3 x 504, got {out}")


def case_slow_reader(s):
    """A client that does not read: the handler's output fills its buffer,
    the guest waits, and the worker serves others meanwhile. 32 MiB is
    more than the kernel's socket buffers hold on loopback."""
    mib = 32
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    try:
        sock.sendall(f"GET /big?mib={mib} HTTP/1.1\r\nHost: t\r\n"
                     f"\r\n".encode())
        r = http.client.HTTPResponse(sock, method="GET")
        r.begin()
        first = r.read(1000)
        time.sleep(0.5)
        hello_during(s, f"a client stalls reading GET /big?mib={mib}")
        body = first + r.read()
    except (OSError, http.client.HTTPException) as e:
        raise Fail(f"GET /big?mib={mib} read slowly: {type(e).__name__}: "
                   f"{e}")
    finally:
        sock.close()
    if body != big_pattern(mib << 20):
        raise Fail(f"GET /big?mib={mib} read slowly: expected "
                   f"{mib << 20} bytes of the pattern, got {len(body)}")


def case_slow_body(s):
    """A body that arrives slowly: the guest waits in fd_read, the worker
    serves others meanwhile."""
    body = random.Random(4).randbytes(30000)
    pieces = chunked(body, [10000])
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    try:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:"
                     b" chunked\r\n\r\n" + pieces[0])
        time.sleep(0.5)
        hello_during(s, "a chunked POST /echo waits for its second chunk")
        sock.sendall(b"".join(pieces[1:]))
        r = http.client.HTTPResponse(sock, method="POST")
        r.begin()
        got = r.read()
    except (OSError, http.client.HTTPException) as e:
        raise Fail(f"slow chunked POST /echo: {type(e).__name__}: {e}")
    finally:
        sock.close()
    expect("slow chunked POST /echo: status", 200, r.status)
    if got != body:
        raise Fail(f"slow chunked POST /echo: {len(body)} bytes sent, "
                   f"{len(got)} back, differing")


# ---- the groups ----

def run_main(runner, tmp, start):
    from serve_cases_ops import (case_scan_control, case_isolation_serial,
                                 case_isolation_concurrent, case_stderr_log,
                                 case_access_log_file, case_metrics,
                                 case_200_sleepers, case_stderr_escaped)
    g = runner.args.guests
    routes = os.path.join(tmp, "main.ini")
    route_file(routes, main_routes(g))
    alog = os.path.join(tmp, "access.log")
    s = start(runner, "main", tmp, [
        "--workers", "2", "--timeout", "5s", "--max-body", "1M",
        "--max-header", "8K", "--metrics", "/metrics", "--access-log", alog,
        "--route", "/cli=" + os.path.join(g, "status.wasm")], routes)
    if s is not None:
        s.access_log = alog
        runner.case("main/warm-up (compiles every module)", warm, s)
    runner.group("env", s, [
        ("basic", case_env_basic), ("no-query", case_env_no_query),
        ("post", case_env_post), ("path-info", case_env_path_info),
        ("host", case_env_host), ("cli-route", case_cli_route)])
    runner.group("headers", s, [
        ("status-418", case_status_418), ("location-302", case_location_302),
        ("custom", case_custom_headers),
        ("default-content-type", case_default_content_type),
        ("framing-headers-dropped", case_framing_headers),
        ("request-ids", case_request_ids)])
    runner.group("bodies", s, [
        ("echo", case_echo), ("echo-at-limit", case_echo_at_limit),
        ("chunked-request", case_chunked_request),
        ("big-response", case_big_response), ("keep-alive", case_keep_alive)])
    runner.group("errors", s, [
        ("404", case_404), ("400", case_400), ("431", case_431),
        ("encoded-nul-400", case_encoded_nul),
        ("http-layer-errors-logged", case_ids_on_http_errors),
        ("413-length", case_413_length), ("413-chunked", case_413_chunked)])
    runner.group("faults", s, [
        ("trap", case_trap), ("exit", case_exit), ("badcgi", case_badcgi),
        ("hog", case_hog), ("loop-deadline", case_loop_deadline),
        ("sleep-deadline", case_sleep_deadline),
        ("body-deadline", case_body_deadline),
        ("loops-preempted", case_loops_preempted)])
    runner.group("yielding", s, [
        ("slow-reader", case_slow_reader), ("slow-body", case_slow_body)])
    runner.group("isolation", s, [
        ("control", case_scan_control), ("serial", case_isolation_serial),
        ("concurrent", case_isolation_concurrent)])
    runner.group("logs", s, [
        ("stderr", case_stderr_log), ("stderr-escaped", case_stderr_escaped),
        ("access-log", lambda s: case_access_log_file(s, alog)),
        ("metrics", case_metrics)])
    runner.group("load", s, [("200-sleepers", case_200_sleepers)])
    if s is not None and s.alive() and runner.selected("load"):
        runner.case("main/sigterm-idle-exits-0", case_stop_idle, s)


def case_stop_idle(s):
    t0 = time.monotonic()
    st = s.stop(10)
    took = time.monotonic() - t0
    if st != 0 or took > 5:
        raise Fail(f"SIGTERM to an idle server: expected exit 0 within 5 s, "
                   f"got {'no exit (killed)' if st is None else st} after "
                   f"{took:.2f} s; stderr: {s.tail()}")


def run_all(runner, tmp, start):
    run_main(runner, tmp, start)
    import serve_cases_signals
    serve_cases_signals.run(runner, tmp, start)
    import serve_cases_activation
    serve_cases_activation.run(runner, tmp)
