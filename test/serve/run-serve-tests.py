#!/usr/bin/env python3
"""run-serve-tests.py - `moat serve` end to end: starts servers on free
ports with route files written to a temp dir, and checks the WAGI
environment, the CGI response headers, request and response bodies
(chunked both ways), keep-alive, the error statuses (400 404 413 431 500
502 504), sandbox isolation, logs, metrics, 200 concurrent sleeping
requests on 2 workers, SIGHUP reload and SIGTERM drain.

    run-serve-tests.py --moat MOAT --guests DIR [--skip REASON] [-v]
                       [--only GROUP,...]

DIR holds the handlers of guests/ built as NAME.wasm. Prints each failure
with what was expected and what came, then "N passed, N failed, N
skipped"; exit 1 on a failure, 77 when everything was skipped (no
wasm32-wasi toolchain, or a moat without the serve command).
"""
import argparse
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_harness import Fail, Server, env_for_server, short  # noqa: E402
import serve_cases  # noqa: E402

WATCHDOG = 840          # s, the whole run; meson's own timeout is 900
START_TIMEOUT = 120     # s, from exec to the listening line
SERVER_GONE = "server not running"


class Runner:
    def __init__(self, args):
        self.args = args
        self.passed, self.failed, self.skipped = 0, [], []
        self.servers = []

    def case(self, name, fn, *a):
        if self.args.verbose:
            print(f"-- {name}", flush=True)
        t0 = time.monotonic()
        try:
            fn(*a)
            self.passed += 1
            if self.args.verbose:
                print(f"   ok ({time.monotonic() - t0:.2f} s)", flush=True)
        except Fail as e:
            self.failed.append((name, str(e)))
            print(f"FAIL {name}: {e}", flush=True)
        except Exception as e:      # a bug here, or a surprise: say which
            self.failed.append((name, f"{type(e).__name__}: {e}"))
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)

    def skip(self, name, why):
        self.skipped.append((name, why))
        print(f"SKIP {name}: {why}", flush=True)

    def group(self, gname, server, cases, ends_server=False):
        """Runs cases [(name, fn)], each fn(server); then checks that the
        server is still running (unless the last case ends it)."""
        if not self.selected(gname):
            return
        for name, fn in cases:
            if server is None or not server.alive():
                self.failed.append((f"{gname}/{name}", SERVER_GONE))
                print(f"FAIL {gname}/{name}: not run, {SERVER_GONE}",
                      flush=True)
                continue
            self.case(f"{gname}/{name}", fn, server)
        if server is not None and not ends_server:
            self.case(f"{gname}/server-still-running", check_alive, server)

    def selected(self, gname):
        return not self.args.only or gname in self.args.only.split(",")

    def report(self):
        print(f"{self.passed} passed, {len(self.failed)} failed, "
              f"{len(self.skipped)} skipped")
        if self.failed:
            print("failures:")
            for name, why in self.failed:
                print(f"  {name}: {why}")
        for name, why in self.skipped:
            print(f"  skipped {name}: {why}")


def check_alive(s):
    if not s.alive():
        raise Fail(f"{s.name} exited with status {s.proc.returncode}; "
                   f"stderr: {s.tail()}")


def serve_available(moat, env):
    """None when `moat serve` exists, else why not."""
    import subprocess
    try:
        r = subprocess.run([moat, "serve", "--help"], capture_output=True,
                           env=env, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"'{moat} serve --help' did not run: {e}"
    out = (r.stdout + r.stderr).decode("utf-8", "replace")
    if "unknown command" in out:
        return f"this moat has no serve command ({short(out, 80)})"
    if r.returncode != 0:
        raise Fail(f"'moat serve --help' exited {r.returncode}: "
                   f"{short(out)}")
    return None


def start(runner, name, tmp, args, routes):
    env = env_for_server(tmp)
    s = Server(runner.args.moat, env, args, routes, name)
    runner.servers.append(s)
    try:
        s.ready(START_TIMEOUT)
    except Fail as e:
        runner.failed.append((f"{name}/start", str(e)))
        print(f"FAIL {name}/start: {e}", flush=True)
        s.kill()
        return None
    if runner.args.verbose:
        print(f"{name}: listening on port {s.port}: {' '.join(s.argv)}",
              flush=True)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--guests", required=True)
    ap.add_argument("--skip")
    ap.add_argument("--only", help="comma-separated groups")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    runner = Runner(args)

    def watchdog():
        print(f"watchdog: the run took over {WATCHDOG} s; killing the "
              "servers", flush=True)
        for s in runner.servers:
            print(f"  {s.name} stderr tail: {s.tail()}", flush=True)
            s.kill()
        runner.failed.append(("watchdog", f"run exceeded {WATCHDOG} s"))
        runner.report()
        os._exit(1)
    dog = threading.Timer(WATCHDOG, watchdog)
    dog.daemon = True
    dog.start()

    if args.skip:
        runner.skip("serve", args.skip)
        runner.report()
        return 77
    args.moat = os.path.abspath(args.moat)
    args.guests = os.path.abspath(args.guests)
    with tempfile.TemporaryDirectory(prefix="moat-serve-") as tmp:
        try:
            why = serve_available(args.moat, env_for_server(tmp))
        except Fail as e:
            runner.failed.append(("serve --help", str(e)))
            runner.report()
            return 1
        if why:                 # this build's moat must have it
            runner.failed.append(("serve --help", why))
            runner.report()
            return 1
        try:
            serve_cases.run_all(runner, tmp, start)
        finally:
            for s in runner.servers:
                s.kill()
    runner.report()
    dog.cancel()
    return 1 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
