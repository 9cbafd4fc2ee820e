#!/usr/bin/env python3
"""run-programs.py - runs the C programs of test/wasi-programs, built for
wasm32-wasi, through `moat run`, and checks each against the same source
built natively (same output, same exit status) and, where the answer is
known, against what this script computes itself.

    run-programs.py --moat MOAT --dir BUILD_DIR [--cache DIR] [--verbose]
                    [--skip REASON]

BUILD_DIR holds NAME.wasm and NAME-native for every program. --skip REASON
(given by meson when clang-19 cannot build for wasm32-wasi) counts every
case as skipped with that reason. Prints a line per failure and per skip,
then "N passed, N failed, N skipped"; exit 1 on a failure, 77 when all
were skipped.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT = 300           # the first run of a module compiles it


class Fail(Exception):
    pass


class Ctx:
    def __init__(self, args):
        self.moat = os.path.abspath(args.moat)
        self.dir = os.path.abspath(args.dir)
        self.verbose = args.verbose
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                self.env[k] = os.environ[k]
        self.env["MOAT_CACHE_DIR"] = os.path.abspath(
            args.cache or os.path.join(self.dir, "moat-cache"))
        # seen by the launcher's process only, never by a guest unless
        # --inherit-env is given
        self.env["MOAT_LEAK_PROBE"] = "host-only"

    def run(self, argv, stdin=b"", env=None):
        t0 = time.perf_counter()
        try:
            r = subprocess.run(argv, input=stdin, capture_output=True,
                               env=self.env if env is None else env,
                               timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Fail(f"timed out after {TIMEOUT} s: {' '.join(argv)}")
        if self.verbose:
            print(f"  {time.perf_counter() - t0:6.2f} s  exit "
                  f"{r.returncode}  {' '.join(argv)}")
        return r

    def wasm(self, name, args, opts=(), stdin=b""):
        return self.run([self.moat, "run", *opts,
                         os.path.join(self.dir, name + ".wasm"), *args],
                        stdin)

    def native(self, name, args, stdin=b"", env=None):
        return self.run([os.path.join(self.dir, name + "-native"), *args],
                        stdin, env)


def short(b, n=300):
    s = b.decode("utf-8", "replace")
    return repr(s if len(s) <= n else s[:n] + "...")


def first_diff(a, b):
    lines_a, lines_b = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(lines_a, lines_b)):
        if x != y:
            return f"line {i + 1}: {short(x, 120)} vs {short(y, 120)}"
    return f"{len(lines_a)} lines vs {len(lines_b)} lines"


def expect_ok(r, what, code=0):
    if r.returncode != code:
        raise Fail(f"{what}: exit {r.returncode}, expected {code}; "
                   f"stderr {short(r.stderr)}")


def same(wasm, native, what="output"):
    """Same exit status and stdout under Moat and natively."""
    expect_ok(wasm, "moat run", native.returncode)
    if wasm.stdout != native.stdout:
        raise Fail(f"{what} differs from native: "
                   f"{first_diff(wasm.stdout, native.stdout)}")


# --- the cases -------------------------------------------------------------

def case_fileio(c):
    with tempfile.TemporaryDirectory() as wd, \
            tempfile.TemporaryDirectory() as nd:
        w = c.wasm("fileio", ["/data"], ["--dir", f"{wd}::/data"])
        n = c.native("fileio", [nd])
        expect_ok(n, "native fileio")
        same(w, n, "transcript")
        if b"\n0 failed\n" not in b"\n" + w.stdout:
            raise Fail(f"fileio reports failures: {short(w.stdout)}")
        with open(os.path.join(wd, "result.txt"), "rb") as f:
            if f.read() != b"done\n":
                raise Fail("result.txt on the host is not 'done\\n'")
        left = sorted(os.listdir(wd))
        if left != ["result.txt"]:
            raise Fail(f"host directory holds {left}, expected "
                       "['result.txt']")


def make_tree(root):
    def put(rel, size):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(bytes((i * 7) & 0xff for i in range(size)))
    put("a.txt", 0)
    put("b.bin", 100000)
    put("dir1/x", 5)
    put("dir1/dir2/y", 70000)
    put("dir1/dir2/z", 1)
    put("\u00e9-unicode.txt", 3)
    os.makedirs(os.path.join(root, "empty"))
    for i in range(300):                # several fd_readdir buffers
        put(f"many/file-with-a-longish-name-{i:03d}", i)
    os.symlink("a.txt", os.path.join(root, "link"))


def expected_listing(root):
    out, counts = [], [0, 0, 0]

    def walk(rel):
        full = os.path.join(root, rel) if rel else root
        for name in sorted(os.listdir(full),
                           key=lambda s: s.encode("utf-8")):
            sub = f"{rel}/{name}" if rel else name
            p = os.path.join(root, sub)
            if os.path.islink(p):
                out.append(f"l {sub} -> {os.readlink(p)}")
            elif os.path.isdir(p):
                out.append(f"d {sub}/")
                counts[0] += 1
                walk(sub)
            else:
                size = os.path.getsize(p)
                out.append(f"f {sub} {size}")
                counts[1] += 1
                counts[2] += size
    walk("")
    out.append(f"{counts[0]} directories, {counts[1]} files, "
               f"{counts[2]} bytes")
    return ("\n".join(out) + "\n").encode("utf-8")


def case_listdir(c):
    with tempfile.TemporaryDirectory() as td:
        make_tree(td)
        w = c.wasm("listdir", ["/tree"], ["--dir", f"{td}::/tree"])
        n = c.native("listdir", [td])
        expect_ok(n, "native listdir")
        same(w, n, "listing")
        want = expected_listing(td)
        if w.stdout != want:
            raise Fail(f"listing differs from the tree: "
                       f"{first_diff(w.stdout, want)}")


def text_input(size):
    """Deterministic text: words, punctuation, newlines, some high bytes."""
    rng = random.Random(1)
    words = [b"alpha", b"Beta", b"gamma", b"DELTA", b"\xc3\xa9t\xc3\xa9",
             b"x", b"Hello,", b"world!", b"\tTab", b"rot13", b"Zebra"]
    out, n = [], 0
    while n < size:
        w = rng.choice(words)
        sep = rng.choice([b" ", b" ", b" ", b"  ", b"\n", b"\r\n", b"\v"])
        out.append(w + sep)
        n += len(w) + len(sep)
    return b"".join(out)[:size]


def wc_of(data):
    words, in_word = 0, False
    space = set(b" \t\n\v\f\r")
    for b in data:
        s = b in space
        if not s and not in_word:
            words += 1
        in_word = not s
    lines = data.count(b"\n")
    return f"{lines} {words} {len(data)}\n".encode()


INPUT = None


def big_input():
    global INPUT
    if INPUT is None:
        INPUT = text_input(4 << 20)
    return INPUT


def filter_case(c, prog, args, want):
    data = big_input()
    w = c.wasm(prog, args, stdin=data)
    n = c.native(prog, args, stdin=data)
    expect_ok(n, f"native {prog}")
    same(w, n)
    if w.stdout != want:
        raise Fail(f"output differs from the expected "
                   f"{len(want)} bytes: {first_diff(w.stdout, want)}")


def case_wc(c):
    filter_case(c, "wc", [], wc_of(big_input()))


LOWER = bytes(range(ord("a"), ord("z") + 1))
UPPER = bytes(range(ord("A"), ord("Z") + 1))


def case_upper(c):
    filter_case(c, "filter", ["upper"],
                big_input().translate(bytes.maketrans(LOWER, UPPER)))


def case_rot13(c):
    rot = LOWER[13:] + LOWER[:13] + UPPER[13:] + UPPER[:13]
    filter_case(c, "filter", ["rot13"],
                big_input().translate(bytes.maketrans(LOWER + UPPER, rot)))


def case_clockrand(c):
    now = f"{time.time():.0f}"
    w = c.wasm("clockrand", [now])
    n = c.native("clockrand", [now])
    expect_ok(n, "native clockrand")
    same(w, n, "checks")


ARGS = ["plain", "with space", 'quote"s', "", "-dash", "\u00fcnic\u00f6de",
        "a=b"]
GUEST_ENV = {"A": "1", "B": "x y", "EMPTY": "", "UNI": "\u00e9",
             "EQ": "a=b=c"}


def case_args_env(c):
    opts = []
    for k, v in GUEST_ENV.items():
        opts += ["--env", f"{k}={v}"]
    w = c.wasm("argsenv", ARGS, opts)
    n = c.native("argsenv", ARGS, env=GUEST_ENV)
    expect_ok(n, "native argsenv")
    same(w, n, "arguments and environment")
    if b"MOAT_LEAK_PROBE" in w.stdout:
        raise Fail("the launcher's environment leaked into the guest")


def case_empty_env(c):
    w = c.wasm("argsenv", [])
    expect_ok(w, "moat run")
    if w.stdout != b"argc 1\nenviron 0\n":
        raise Fail(f"guest without --env sees {short(w.stdout)}, expected "
                   "argc 1 and no environment")


def case_inherit_env(c):
    w = c.wasm("argsenv", ["x"], ["--inherit-env"])
    n = c.native("argsenv", ["x"], env=c.env)
    expect_ok(n, "native argsenv")
    same(w, n, "inherited environment")


def case_exit_code(c):
    w = c.wasm("argsenv", ["--exit", "7"])
    expect_ok(w, "moat run", 7)


def case_escape(c):
    want = """denied open ../outside.txt
denied open sub/../../outside.txt
denied open /etc/passwd
denied open link-out/passwd (-> /etc)
denied open link-up (-> ../outside.txt)
denied stat ..
denied mkdir ../newdir
denied rename inside.txt to ../stolen.txt
denied link inside.txt to ../hard.txt
denied open new symlink to /etc/passwd
readlink link-out: /etc
"""
    allowed = """allowed open inside.txt
allowed open sub/../inside.txt
allowed open link-in (-> inside.txt)
"""
    with tempfile.TemporaryDirectory() as td:
        box = os.path.join(td, "box")
        os.makedirs(os.path.join(box, "sub"))
        for p in (os.path.join(td, "outside.txt"),
                  os.path.join(box, "inside.txt")):
            with open(p, "w") as f:
                f.write("secret\n" if "outside" in p else "fine\n")
        os.symlink("/etc", os.path.join(box, "link-out"))
        os.symlink("../outside.txt", os.path.join(box, "link-up"))
        os.symlink("inside.txt", os.path.join(box, "link-in"))
        w = c.wasm("escape", ["/box"], ["--dir", f"{box}::/box"])
        expect_ok(w, "moat run")
        got = w.stdout.decode("utf-8", "replace")
        if got != allowed + want:
            raise Fail("sandbox: " + first_diff(
                w.stdout, (allowed + want).encode()) +
                f"; stderr {short(w.stderr)}")
        for name in ("newdir", "stolen.txt", "hard.txt"):
            if os.path.lexists(os.path.join(td, name)):
                raise Fail(f"the guest created {name} outside its dir")
        if not os.path.exists(os.path.join(box, "inside.txt")):
            raise Fail("inside.txt was moved out of the box")


def case_stdio_flags(c):
    """The guest sets O_NONBLOCK|O_APPEND on the stdio it inherits from
    here; afterwards this process's descriptions have none of them (a
    shell's terminal would have stayed non-blocking), while the guest saw
    its flags and got their effect (EAGAIN on the empty stdin pipe, kept
    open; "tail" appended to the file although it seeked to 0)."""
    import fcntl
    keep = os.O_NONBLOCK | os.O_APPEND
    with tempfile.TemporaryDirectory() as td:
        path = os.path.join(td, "out.txt")
        with open(path, "wb") as f:
            f.write(b"head\n")
        out = os.open(path, os.O_WRONLY)
        in_r, in_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            before = [fcntl.fcntl(fd, fcntl.F_GETFL) & keep
                      for fd in (in_r, out, err_w)]
            argv = [c.moat, "run", os.path.join(c.dir, "stdflags.wasm")]
            # the guest writes far less than a pipe holds: wait, then read
            p = subprocess.Popen(argv, stdin=in_r, stdout=out, stderr=err_w,
                                 env=c.env)
            try:
                code = p.wait(timeout=120)      # a read that blocks hangs
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise Fail("timed out after 120 s (a blocking read?)")
            after = [fcntl.fcntl(fd, fcntl.F_GETFL) & keep
                     for fd in (in_r, out, err_w)]
            os.close(err_w)
            err_w = -1
            with os.fdopen(err_r, "rb") as ef:
                err_r = -1
                err = ef.read()
            if code != 0 or not err.endswith(b"\n0 failed\n"):
                raise Fail(f"guest exit {code}: {short(err, 600)}")
            if after != before or before != [0, 0, 0]:
                raise Fail(f"host flags changed: before {before} (stdin, "
                           f"stdout, stderr), after {after}")
            with open(path, "rb") as f:
                data = f.read()
            if data != b"head\ntail\n":
                raise Fail(f"stdout file holds {short(data)}, expected "
                           "'head\\ntail\\n' (append)")
        finally:
            for fd in (in_r, in_w, err_r, err_w, out):
                if fd >= 0:
                    os.close(fd)


CASES = [
    ("fileio", case_fileio),
    ("listdir", case_listdir),
    ("wc", case_wc),
    ("upper", case_upper),
    ("rot13", case_rot13),
    ("clockrand", case_clockrand),
    ("args-env", case_args_env),
    ("empty-env", case_empty_env),
    ("inherit-env", case_inherit_env),
    ("exit-code", case_exit_code),
    ("escape", case_escape),
    ("stdio-flags", case_stdio_flags),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--moat", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cache")
    ap.add_argument("--skip", help="skip every case, with this reason")
    ap.add_argument("--only", default="", help="comma-separated cases")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    only = [s for s in args.only.split(",") if s]
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    c = Ctx(args)
    for name, fn in CASES:
        if only and name not in only:
            continue
        if args.skip:
            print(f"SKIP {name}: {args.skip}")
            counts["skipped"] += 1
            continue
        t0 = time.perf_counter()
        try:
            fn(c)
            counts["passed"] += 1
            if args.verbose:
                print(f"PASS {name} ({time.perf_counter() - t0:.2f} s)")
        except Fail as e:
            counts["failed"] += 1
            print(f"FAIL {name}: {e}")
        sys.stdout.flush()
    print(f"{counts['passed']} passed, {counts['failed']} failed, "
          f"{counts['skipped']} skipped")
    if counts["failed"]:
        return 1
    return 77 if counts["passed"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
