"""serve_cases_signals.py - the cases of run-serve-tests.py that need a
server of their own: SIGHUP reload of the route file (a good one takes
effect, a broken one is refused and the old routes stay), the default
access log on stderr, the idle-connection timeout, and SIGTERM draining
an in-flight request before exit 0.
"""
import os
import signal
import socket
import threading
import time

from serve_harness import Fail, parse_env
from serve_cases import expect, expect_status, route_file
from serve_cases_ops import access_line_of


def routes_v1(g):
    return f"""[route "/a"]
module = {g}/env.wasm
env = VERSION=1

[route "/keep"]
module = {g}/status.wasm

[route "/hog"]
module = {g}/hog.wasm

[route "/loop"]
module = {g}/loop.wasm
"""


def routes_v2(g):
    return f"""[route "/a"]
module = {g}/status.wasm

[route "/b"]
module = {g}/env.wasm
env = VERSION=2

[route "/keep"]
module = {g}/status.wasm

[route "/hog"]
module = {g}/hog.wasm

[route "/loop"]
module = {g}/loop.wasm
"""


BROKEN = {
    "syntax": '[route "/a"\nmodule = \nthis line is not INI\n',
    "no-module": '[route "/a"]\nenv = X=1\n',
    "missing-file": '[route "/a"]\nmodule = /nonexistent/moat-serve.wasm\n',
}


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
            if last is True:
                return
        except Fail as e:
            last = e
        time.sleep(0.1)
    raise Fail(f"{what}: not within {timeout} s; last: {last}")


def version_of(s, path):
    r = s.get(path)
    if r.status != 200:
        return r
    _, env = parse_env(r.body)
    return env.get("VERSION", r.body[:40])


def case_reload(s, routes, g):
    expect("GET /a before the reload (VERSION)", "1", version_of(s, "/a"))
    route_file(routes, routes_v2(g))
    s.signal(signal.SIGHUP)

    def new_routes():
        a, b = s.get("/a"), s.get("/b")
        return (a.status == 200 and a.body == b"status handler\n" and
                b.status == 200) or f"/a {a!r}; /b {b!r}"
    wait_for(new_routes, 30, "after SIGHUP, /a by status.wasm and /b")
    expect("GET /b after the reload (VERSION)", "2", version_of(s, "/b"))


def case_reload_broken(s, routes, g):
    for name, text in BROKEN.items():
        mark = s.log_mark()
        route_file(routes, text)
        s.signal(signal.SIGHUP)
        line = s.wait_log(lambda l: routes in l or "reload" in l.lower(),
                          10, mark)
        if line is None:
            raise Fail(f"SIGHUP with a broken route file ({name}): expected "
                       f"a log line naming {routes}; got "
                       f"{s.log_since(mark)[-5:]}")
        time.sleep(0.5)
        for path, want in (("/a", b"status handler\n"),
                           ("/keep", b"status handler\n")):
            r = s.get(path)
            expect_status(f"GET {path} after a broken reload ({name})", r,
                          200)
            expect(f"GET {path} body after a broken reload ({name})", want,
                   r.body)
        expect(f"GET /b after a broken reload ({name})", "2",
               version_of(s, "/b"))
    route_file(routes, routes_v2(g))


def case_access_log_stderr(s):
    mark = s.log_mark()
    r = s.get("/keep")
    expect_status("GET /keep", r, 200)
    line = s.wait_log(
        lambda l: access_line_of(l, r.rid()) and "/keep" in l, 5, mark)
    if line is None or "200" not in line:
        raise Fail(f"GET /keep ({r.rid()}): expected an access-log line on "
                   f"stderr (the default) with the route, 200 and the id; "
                   f"got {s.log_since(mark)[-5:]}")


def case_cli_defaults(s):
    """--timeout 1s and --max-memory 24M apply to routes that set
    neither."""
    t0 = time.monotonic()
    r = s.get("/loop")
    took = time.monotonic() - t0
    expect_status("GET /loop (no route timeout; --timeout 1s)", r, 504)
    if not 0.9 <= took <= 4:
        raise Fail(f"GET /loop under --timeout 1s: 504 after {took:.2f} s")
    r = s.get("/hog?mode=report")
    expect_status("GET /hog?mode=report (--max-memory 24M)", r, 200)
    got = r.text().split()
    if len(got) != 3 or not got[1].isdigit() or not 8 <= int(got[1]) < 24:
        raise Fail(f"GET /hog?mode=report under --max-memory 24M: expected "
                   f"'got N MiB' with 8 <= N < 24, got {r.body!r}")


def run_reload(runner, tmp, start):
    g = runner.args.guests
    routes = os.path.join(tmp, "reload.ini")
    route_file(routes, routes_v1(g))
    s = start(runner, "reload", tmp, ["--workers", "2", "--timeout", "1s",
                                      "--max-memory", "24M"], routes)
    if s is not None:
        try:
            s.get("/a", timeout=300)
            s.get("/keep", timeout=300)
        except Fail:
            pass
    runner.group("reload", s, [
        ("access-log-stderr", case_access_log_stderr),
        ("cli-defaults", case_cli_defaults),
        ("sighup", lambda s: case_reload(s, routes, g)),
        ("sighup-broken", lambda s: case_reload_broken(s, routes, g))])
    if s is not None:
        s.stop(5)


def case_idle_timeout(s):
    c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    try:
        t0 = time.monotonic()
        try:
            got = c.recv(1)
        except ConnectionResetError:
            got = b""
        except socket.timeout:
            raise Fail("an idle connection with --idle-timeout 1s: still "
                       "open after 10 s")
        took = time.monotonic() - t0
        if got != b"" or took > 4:
            raise Fail(f"an idle connection with --idle-timeout 1s: "
                       f"expected closed within 4 s, got {got!r} after "
                       f"{took:.2f} s")
    finally:
        c.close()


def case_sigterm_drain(s):
    ms = 1500
    out = {}

    def sleeper():
        try:
            out["r"] = s.get(f"/sleep?ms={ms}", timeout=30)
        except Fail as e:
            out["r"] = e
        out["t"] = time.monotonic()
    th = threading.Thread(target=sleeper)
    th.start()
    time.sleep(0.4)
    t_sig = time.monotonic()
    s.signal(signal.SIGTERM)
    time.sleep(0.3)
    refused = None
    try:
        r = s.get("/hello", timeout=3)
        refused = f"answered {r.status}"
    except Fail as e:
        refused = None if "refused" in str(e).lower() or \
            "reset" in str(e).lower() or "closed" in str(e).lower() or \
            "remotedisconnected" in str(e).lower() else str(e)
    th.join(30)
    r = out.get("r")
    if not hasattr(r, "status"):
        raise Fail(f"GET /sleep?ms={ms} in flight at SIGTERM: expected a "
                   f"complete 200, got {r}")
    expect_status(f"GET /sleep?ms={ms} in flight at SIGTERM", r, 200)
    expect("its body", f"slept {ms}\n".encode(), r.body)
    try:
        st = s.proc.wait(10)
    except Exception:
        st = None
    took = time.monotonic() - t_sig
    if st != 0 or took > ms / 1000 + 5:
        raise Fail(f"SIGTERM with a request in flight: expected exit 0 "
                   f"soon after the response, got "
                   f"{'still running' if st is None else st} after "
                   f"{took:.2f} s; stderr: {s.tail()}")
    if refused:
        raise Fail(f"a new request 0.3 s after SIGTERM: expected the "
                   f"connection refused, got {refused}")


def run_shutdown(runner, tmp, start):
    g = runner.args.guests
    routes = os.path.join(tmp, "shutdown.ini")
    route_file(routes, f"""[route "/sleep"]
module = {g}/sleep.wasm
timeout = 10s

[route "/hello"]
module = {g}/status.wasm
""")
    s = start(runner, "shutdown", tmp, [
        "--workers", "2", "--idle-timeout", "1s", "--drain-timeout", "10s",
        "--access-log", "none"], routes)
    if s is not None:
        try:
            s.get("/sleep?ms=1", timeout=300)
            s.get("/hello", timeout=300)
        except Fail:
            pass
    # sigterm last: it ends the server
    runner.group("shutdown", s, [("idle-timeout", case_idle_timeout),
                                 ("sigterm-drain", case_sigterm_drain)],
                 ends_server=True)


def case_drain_timeout(s):
    """SIGTERM with a request that will not finish: the server waits
    --drain-timeout (1 s), then exits 0 anyway."""
    out = {}

    def loop():
        try:
            out["r"] = s.get("/loop", timeout=30)
        except Fail as e:
            out["r"] = e
    th = threading.Thread(target=loop)
    th.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    s.signal(signal.SIGTERM)
    try:
        st = s.proc.wait(15)
    except Exception:
        st = None
    took = time.monotonic() - t0
    th.join(30)
    if st != 0 or not 0.9 <= took <= 4:
        raise Fail(f"SIGTERM with /loop in flight, --drain-timeout 1s: "
                   f"expected exit 0 after about 1 s, got "
                   f"{'no exit in 15 s' if st is None else st} after "
                   f"{took:.2f} s (the loop's client got {out.get('r')})")


def run_drain(runner, tmp, start):
    g = runner.args.guests
    routes = os.path.join(tmp, "drain.ini")
    route_file(routes, f"""[route "/loop"]
module = {g}/loop.wasm
timeout = 30s
""")
    s = start(runner, "drain", tmp, ["--workers", "2", "--drain-timeout",
                                     "1s"], routes)
    runner.group("drain", s, [("drain-timeout", case_drain_timeout)],
                 ends_server=True)


def run(runner, tmp, start):
    run_reload(runner, tmp, start)
    run_shutdown(runner, tmp, start)
    run_drain(runner, tmp, start)
