"""serve_harness.py - what run-serve-tests.py needs to drive `moat serve`:
a server process on a free port with its stderr collected, HTTP requests
through http.client (on its own connection or a kept-alive one), raw
requests on a plain socket, and the parsers of the handlers' answers and
of the Prometheus text format. Python standard library only; every socket
has a timeout, so nothing here can hang.
"""
import http.client
import os
import re
import select
import signal
import socket
import subprocess
import threading
import time

LISTEN_RE = re.compile(rb"moat serve: listening on http://127\.0\.0\.1:(\d+)")


class Fail(Exception):
    pass


def short(b, n=300):
    if isinstance(b, bytes):
        b = b.decode("utf-8", "replace")
    return repr(b if len(b) <= n else b[:n] + "...")


class Resp:
    """A response read to its end: status, headers (a list of pairs, in
    order), body bytes."""

    def __init__(self, status, headers, body, elapsed=0.0):
        self.status, self.headers, self.body = status, headers, body
        self.elapsed = elapsed

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def has(self, name):
        return self.header(name) is not None

    def rid(self):
        return self.header("X-Request-Id")

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return f"HTTP {self.status} {self.headers} body {short(self.body)}"


def read_response(sock, method="GET"):
    """Reads one HTTP response from sock with http.client's parser."""
    r = http.client.HTTPResponse(sock, method=method)
    r.begin()
    body = r.read()
    return Resp(r.status, r.getheaders(), body)


class Server:
    """`moat serve --listen 127.0.0.1:0 ARGS... [ROUTES]`, started in the
    constructor; ready() waits for the listening line."""

    def __init__(self, moat, env, args, routes=None, name="serve"):
        self.name = name
        self.routes = routes
        argv = [moat, "serve", "--listen", "127.0.0.1:0", *args]
        if routes:
            argv.append(routes)
        self.argv = argv
        self.lines = []                 # stderr, raw lines
        self.cond = threading.Condition()
        self.port = None
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in iter(self.proc.stderr.readline, b""):
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            with self.cond:
                for line in self.lines:
                    m = LISTEN_RE.search(line)
                    if m:
                        self.port = int(m.group(1))
                        return self.port
                exited = self.proc.poll() is not None
                left = deadline - time.monotonic()
                if not exited and left > 0:
                    self.cond.wait(min(left, 0.2))
                    continue
            if exited:
                self.reader.join(2)     # the last lines, for the message
                raise Fail(f"{self.name}: exited with status "
                           f"{self.proc.returncode} before listening; "
                           f"stderr: {self.tail()}")
            raise Fail(f"{self.name}: no 'moat serve: listening on "
                       f"http://127.0.0.1:PORT' line on stderr within "
                       f"{timeout} s; stderr: {self.tail()}")

    def tail(self, n=15):
        with self.cond:
            lines = self.lines[-n:]
        return short(b"".join(lines), 2000)

    def log_mark(self):
        with self.cond:
            return len(self.lines)

    def log_since(self, mark=0):
        with self.cond:
            return [l.decode("utf-8", "replace") for l in self.lines[mark:]]

    def wait_log(self, pred, timeout=5.0, mark=0):
        """The first stderr line from mark on that pred accepts, or None
        after timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for l in self.lines[mark:]:
                    s = l.decode("utf-8", "replace")
                    if pred(s):
                        return s
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.2))

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def stop(self, timeout=10.0):
        """SIGTERM, then the exit status (SIGKILL after timeout: None)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def kill(self):
        if self.alive():
            self.proc.kill()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass

    # ---- HTTP ----

    def conn(self, timeout=30.0):
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)

    def request(self, method, path, body=None, headers=(), timeout=30.0,
                conn=None):
        """One request; headers is a list of (name, value) pairs sent in
        order (a repeated name is sent twice). On conn when given (kept
        open), else on a connection of its own."""
        c = conn or self.conn(timeout)
        names = {k.lower() for k, _ in headers}
        t0 = time.monotonic()
        try:
            c.putrequest(method, path, skip_host="host" in names,
                         skip_accept_encoding=True)
            for k, v in headers:
                c.putheader(k, v)
            if body is not None and "content-length" not in names and \
                    "transfer-encoding" not in names:
                c.putheader("Content-Length", str(len(body)))
            c.endheaders(body)
            r = c.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException) as e:
            raise Fail(f"{method} {path}: {type(e).__name__}: {e}")
        finally:
            if conn is None:
                c.close()
        return Resp(r.status, r.getheaders(), data, time.monotonic() - t0)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def raw(self, pieces, timeout=10.0, method="GET", pause=0.0):
        """Sends the byte strings of pieces on a fresh socket and reads one
        response. Stops sending as soon as the server answers (or closes),
        so that an early 413 is read before the unread rest of the request
        makes the kernel reset the connection."""
        if isinstance(pieces, bytes):
            pieces = [pieces]
        s = socket.create_connection(("127.0.0.1", self.port),
                                     timeout=timeout)
        try:
            for p in pieces:
                r, _, _ = select.select([s], [], [], 0)
                if r:
                    break
                try:
                    s.sendall(p)
                except OSError:
                    break
                if pause:
                    time.sleep(pause)
            try:
                return read_response(s, method)
            except (OSError, http.client.HTTPException) as e:
                raise Fail(f"raw request {short(b''.join(pieces), 120)}: "
                           f"no response: {type(e).__name__}: {e}")
        finally:
            s.close()


def chunked(data, sizes):
    """data as a chunked body, in chunks of the sizes given (cycled)."""
    out, i, k = [], 0, 0
    while i < len(data):
        n = sizes[k % len(sizes)]
        k += 1
        piece = data[i:i + n]
        out.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
        i += n
    out.append(b"0\r\n\r\n")
    return out


def parse_env(body):
    """The env handler's answer: (argv list, env dict)."""
    argv, env = {}, {}
    for line in body.decode("utf-8", "replace").split("\n"):
        m = re.match(r"argv\[(\d+)\]=(.*)$", line)
        if m:
            argv[int(m.group(1))] = m.group(2)
        elif line.startswith("env "):
            k, _, v = line[4:].partition("=")
            env[k] = v
    return [argv[i] for i in sorted(argv)], env


def big_pattern(n):
    """The bytes big.c writes: byte I is (I + I // 65536) % 251."""
    out = bytearray(n)
    for blk in range(0, n, 65536):
        base = blk // 65536
        m = min(65536, n - blk)
        # one period of 251 repeated, shifted for the block
        period = bytes((blk + base + j) % 251 for j in range(251))
        reps = period * (m // 251 + 1)
        out[blk:blk + m] = reps[:m]
    return bytes(out)


METRIC_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)"
                       r"(?:\s+\S+)?$")
LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse_metrics(text):
    """Prometheus text format: ({(name, frozenset(labels)): value},
    {family: type}); raises Fail on a line it cannot read."""
    samples, types = {}, {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3]
            continue
        m = METRIC_RE.match(line)
        if not m:
            raise Fail(f"metrics: unreadable line {short(line)}")
        labels, rest = {}, m.group(2) or ""
        pos = 0
        while pos < len(rest):
            lm = LABEL_RE.match(rest, pos)
            if not lm or lm.end() == pos:
                raise Fail(f"metrics: bad labels in {short(line)}")
            labels[lm.group(1)] = lm.group(2)
            pos = lm.end()
        try:
            value = float(m.group(3))
        except ValueError:
            raise Fail(f"metrics: bad value in {short(line)}")
        samples[(m.group(1), frozenset(labels.items()))] = value
    return samples, types


def metric(samples, name, **labels):
    """The sum of the samples of name whose labels include labels."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items()
               if n == name and want <= set(ls))


def env_for_server(tmp):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "MOAT_CACHE_DIR": os.path.join(tmp, "cache"),
           # seen by the server only: no handler may see it
           "MOAT_LEAK_PROBE": "host-only"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    return env
