#!/usr/bin/env python3
"""concurrency.py - bench/serve: N (default 10,000) concurrent requests to
a route whose handler sleeps one second (sleep.c), on one `moat serve`.

  concurrency.py --moat BUILD/moat --wasm BUILD/bench/serve/sleep.wasm
                 [-n 10000] [--workers 2] [--runs K]
  concurrency.py --url http://127.0.0.1:PORT/sleep --pid PID [-n 10000]

Phase 1 opens all N connections (not timed in the headline figure: that
is the client's and the kernel's accept work, reported separately).
Phase 2 writes one GET on each and waits for every response; its wall
time should be about one second when the server keeps N sleeping
handlers in flight at once. Meanwhile a thread samples the server's
VmRSS every 20 ms; (peak - idle) / N is the memory per in-flight
request. Every response must be 200 with body "slept". It raises
RLIMIT_NOFILE to the hard limit (it needs N + a few descriptors; the
server needs as many, which --moat arranges for the server it starts).
--runs K repeats the burst on the same server (the first grows its
instance pool; later ones reuse it). The client is python: it spends
about as much CPU as the server on the same cores, so its wall times are
an upper bound (bench/serve/burst, a C epoll client, spends a tenth).
Exit status 0 when all N succeeded in every run.
"""
import argparse
import asyncio
import os
import re
import resource
import subprocess
import sys
import threading
import time
import shutil
import tempfile
import urllib.parse


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, need)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    print(f"RLIMIT_NOFILE: {soft} (hard {hard}); needs about {need}")
    if soft < need:
        sys.exit(f"concurrency.py: RLIMIT_NOFILE {soft} < {need}: "
                 "raise the hard limit (ulimit -Hn) or lower -n")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def threads_of(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def cpu_s(pid):
    """User + system CPU seconds of pid so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


class Sampler(threading.Thread):
    """Peak VmRSS of pid while running."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, False

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)


def start_moat(args):
    """Starts moat serve with /sleep; returns (Popen, port)."""
    cmd = [args.moat, "serve", "--listen", "127.0.0.1:0", "--workers",
           str(args.workers), "--access-log", args.access_log,
           "--timeout", "30s",
           "--route", f"/sleep={args.wasm}"]
    cmd += args.serve_arg
    print("server:", " ".join(cmd))
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    for line in proc.stderr:
        sys.stderr.write(line)
        m = re.search(r"listening on http://[^ ]*:(\d+)", line)
        if m:
            # keep draining its stderr so it never blocks on a full pipe
            threading.Thread(target=lambda: [sys.stderr.write(x)
                             for x in proc.stderr], daemon=True).start()
            return proc, int(m.group(1))
        if time.time() > deadline:
            break
    proc.kill()
    sys.exit("concurrency.py: the server did not start")


async def connect_all(host, port, n, batch=500):
    """Opens n connections, batch at a time (the listen backlog); the
    failures come back as exceptions, counted by report()."""
    conns = []
    for i in range(0, n, batch):
        conns += await asyncio.gather(*[asyncio.open_connection(host, port)
                                        for _ in range(min(batch, n - i))],
                                      return_exceptions=True)
    return conns


async def one(reader, writer):
    data = await reader.read()          # Connection: close: to EOF
    done = time.monotonic()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1].decode() if head.startswith(b"HTTP/") \
        else "no-response"
    return status, body, done


async def run(host, port, path, n):
    t0 = time.monotonic()
    conns = await connect_all(host, port, n)
    t_conn = time.monotonic() - t0
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
               "Connection: close\r\n\r\n").encode()
    # all writes first: a small request fits the socket buffer, so write()
    # sends it at once and the client's own overhead stays out of the
    # way of the server's work
    failed = [c for c in conns if isinstance(c, BaseException)]
    conns = [c for c in conns if not isinstance(c, BaseException)]
    t1 = time.monotonic()
    for _, w in conns:
        w.write(request)
    t_sent = time.monotonic() - t1
    results = await asyncio.gather(*[one(r, w) for r, w in conns],
                                   return_exceptions=True)
    results += failed
    t_all = time.monotonic() - t1
    return t_conn, t_sent, t_all, t1, results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=10000)
    ap.add_argument("--url")
    ap.add_argument("--pid", type=int)
    ap.add_argument("--moat")
    ap.add_argument("--wasm")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--runs", type=int, default=1,
                    help="bursts on the same server (the first grows its "
                    "instance pool)")
    ap.add_argument("--serve-arg", action="append", default=[],
                    help="one more moat serve argument (repeatable)")
    args = ap.parse_args()
    raise_nofile(args.n + 64)
    logdir = tempfile.mkdtemp(prefix="moat-concurrency.")
    args.access_log = os.path.join(logdir, "access.log")

    proc = None
    if args.moat:
        proc, port = start_moat(args)
        pid, host, path = proc.pid, "127.0.0.1", "/sleep"
    else:
        u = urllib.parse.urlsplit(args.url)
        pid, host, port, path = args.pid, u.hostname, u.port, u.path
    try:
        # warm-up: a few requests (first compile, pools), then idle RSS
        asyncio.run(run(host, port, path, 4))
        idle0 = rss_kib(pid)
        ok = True
        for i in range(args.runs):
            if args.runs > 1:
                print(f"-- run {i + 1} of {args.runs}")
            ok = one_run(args, proc, pid, host, port, path, idle0) and ok
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            server_side(args.access_log, args.n * args.runs)
        shutil.rmtree(logdir, ignore_errors=True)
    sys.exit(0 if ok else 1)


def server_side(path, n):
    """The server's own view from its access log: how long each of the
    last n requests (every run's) took from arrival to answer (dur_us) and how long its
    guest ran (inst_us; a sleep does not count)."""
    try:
        with open(path) as f:
            lines = f.readlines()[-n:]
    except OSError:
        return
    def col(key):
        v = sorted(int(m.group(1)) / 1e6 for m in
                   (re.search(rf"\b{key}=(\d+)", x) for x in lines) if m)
        return v
    for key, what in (("dur_us", "arrival to answer"),
                      ("inst_us", "running the guest")):
        v = col(key)
        if v:
            print(f"server side, {what} ({key}): p50 "
                  f"{v[len(v) // 2]:.3f} s, p99 "
                  f"{v[int(len(v) * 0.99)]:.3f} s, max {v[-1]:.3f} s")


def one_run(args, proc, pid, host, port, path, idle0):
    """One burst of args.n requests; True when all were answered right."""
    idle = rss_kib(pid)
    sampler = Sampler(pid)
    sampler.start()
    cpu0, me0 = cpu_s(pid), time.process_time()
    t_conn, t_sent, t_all, t1, results = asyncio.run(
        run(host, port, path, args.n))
    cpu = cpu_s(pid) - cpu0
    me = time.process_time() - me0
    sampler.stop = True
    sampler.join()
    if proc and proc.poll() is not None:
        print(f"the server exited: status {proc.returncode}")
    alive = proc.poll() is None if proc else os.path.exists(f"/proc/{pid}")
    report(args.n, t_conn, t_sent, t_all, t1, results, idle, sampler.peak,
           threads_of(pid), alive)
    if idle != idle0:
        print(f"RSS at the first idle: {idle0} KiB; (peak - that) / n = "
              f"{(sampler.peak - idle0) / args.n:.1f} KiB (pools keep "
              "their slots after a burst)")
    print(f"CPU during the {args.n} requests (connects included): "
          f"server {cpu:.2f} s, this client {me:.2f} s; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return alive and all(not isinstance(r, BaseException) and
                         r[0] == "200" and r[1] == b"slept\n"
                         for r in results)


def report(n, t_conn, t_sent, t_all, t1, results, idle, peak, nthreads, alive):
    statuses = {}
    ends = []
    for r in results:
        key = type(r).__name__ if isinstance(r, BaseException) else r[0]
        statuses[key] = statuses.get(key, 0) + 1
        if not isinstance(r, BaseException):
            ends.append(r[2] - t1)
    ends.sort()
    pct = (lambda q: ends[min(len(ends) - 1, int(q * len(ends)))]
           if ends else float("nan"))
    print(f"{n} connections opened in {t_conn:.3f} s; all {n} requests "
          f"written in {t_sent:.3f} s")
    print(f"{n} requests (each handler sleeps 1 s): all answered in "
          f"{t_all:.3f} s; completion p50 {pct(0.5):.3f} s, "
          f"p99 {pct(0.99):.3f} s, last {pct(1.0):.3f} s")
    print("statuses:", ", ".join(f"{k}: {v}" for k, v in
                                 sorted(statuses.items())))
    print(f"server: {nthreads} threads, VmRSS idle {idle} KiB, peak {peak} "
          f"KiB: {(peak - idle) / n:.1f} KiB per in-flight request; "
          f"{'alive' if alive else 'DEAD'}")
    print(f"RESULT n={n} wall_s={t_all:.3f} connect_s={t_conn:.3f} "
          f"ok={statuses.get('200', 0)} rss_idle_kib={idle} "
          f"rss_peak_kib={peak} kib_per_req={(peak - idle) / n:.1f}")


if __name__ == "__main__":
    main()
