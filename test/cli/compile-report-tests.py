#!/usr/bin/env python3
"""compile-report-tests.py MOAT SRCDIR - what `moat compile` prints while
and after it compiles (cli/compile_report.c): the progress line on a
terminal (run under a pseudo-terminal; MOAT_PROGRESS_DELAY_MS=0 so that a
quick compilation shows it too), nothing on a pipe, and --time-report's
table of phases. Prints "N passed, N failed, N skipped"."""
import os
import re
import pty
import select
import subprocess
import sys
import tempfile

moat, src = os.path.realpath(sys.argv[1]), sys.argv[2]
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}\n{detail}")


def on_tty(argv, env):
    """Exit status and what the command wrote to its terminal stderr."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        r, _, _ = select.select([master], [], [], 120)
        if not r:
            p.kill()
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:             # EIO: the slave side is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return p.wait(), out.decode(errors="replace")


with tempfile.TemporaryDirectory() as tmp:
    wasm = os.path.join(tmp, "cases.wasm")
    subprocess.run(["wat2wasm", "--enable-all", os.path.join(src,
                    "cases.wat"), "-o", wasm], check=True)
    obj = os.path.join(tmp, "out.o")
    env = dict(os.environ, MOAT_PROGRESS_DELAY_MS="0")

    rc, err = on_tty([moat, "compile", "-O2", wasm, "-o", obj], env)
    check("progress: compile succeeds on a terminal", rc == 0, err)
    check("progress: the line names functions done of all",
          "\rmoat compile: " in err and "functions, " in err, repr(err))
    check("progress: redrawn in place (\\r) and erased at the end",
          err.endswith("\r\x1b[K"), repr(err))
    check("progress: no newline on the terminal", "\n" not in err,
          repr(err))

    r = subprocess.run([moat, "compile", "-O2", wasm, "-o", obj], env=env,
                       capture_output=True, text=True)
    check("progress: nothing when stderr is not a terminal",
          r.returncode == 0 and r.stderr == "", repr(r.stderr))

    r = subprocess.run([moat, "compile", "-O2", "--time-report", wasm, "-o",
                        obj], capture_output=True, text=True)
    err = r.stderr
    check("--time-report: compiles", r.returncode == 0, err)
    check("--time-report: a table", "moat compile: time report" in err, err)
    for phase in ("decode", "lower", "descriptor", "verify", "optimise",
                  "codegen", "total"):
        check(f"--time-report: phase {phase}",
              any(line.split()[:1] == [phase] for line in err.splitlines()),
              err)
    check("--time-report: LLVM's pass timers",
          "Pass execution timing report" in err, err)
    check("--time-report: the object is the same as without",
          os.path.getsize(obj) > 0)
    # the machine-code checker's own line, its CPU time against the
    # compile's (docs/verify.md, "Cost of verification")
    m = re.search(r"machine-code checker \(default rules\): ([0-9.]+) s "
                  r"cpu, ([0-9.]+) s wall; ([0-9]+)% of the compile's "
                  r"([0-9.]+) s cpu", err)
    check("--time-report: the checker's time", m is not None and
          float(m.group(4)) > 0, err)
    r = subprocess.run([moat, "compile", "-O2", "--time-report",
                        "--no-verify", wasm, "-o", obj], capture_output=True,
                       text=True)
    check("--time-report --no-verify: no checker line",
          r.returncode == 0 and "machine-code checker" not in r.stderr,
          r.stderr)

    r = subprocess.run([moat, "compile", "-O2", "-j2", "--time-report",
                        wasm, "-o", obj], capture_output=True, text=True)
    check("--time-report -j2: partitions and a merge",
          "partitions:" in r.stderr and
          any(line.split()[:2] == ["merge", "-"]
              for line in r.stderr.splitlines()), r.stderr)

    # a module without functions is one partition, whatever -j says (the
    # partition count once became 0: "ld.lld: no input files")
    empty = os.path.join(tmp, "empty.wasm")
    with open(empty, "wb") as f:
        f.write(b"\0asm\1\0\0\0")
    for j in ([], ["-j1"], ["-j2"], ["-j4"]):
        r = subprocess.run([moat, "compile", "-O2", *j, empty, "-o", obj],
                           capture_output=True, text=True)
        check(f"no functions, {j or 'default threads'}: compiles",
              r.returncode == 0 and os.path.getsize(obj) > 0, r.stderr)

print(f"{passed} passed, {failed} failed, 0 skipped")
sys.exit(1 if failed else 0)
