#!/usr/bin/env python3
"""check.py MOAT_BUILD_DIR SRCDIR - a guard against compile hangs and
blow-ups, not a timed benchmark: the adversarial modules of
bench/compile-adversarial at a small scale must each compile within a
generous bound of time and peak memory (bounds.txt: about 10x what they
took when measured, docs/bench-compile-adversarial.md), and a huge
function (compiled at -O0 in its own partition) must compute what
gen.straight_line_expect says. Prints "N passed, N failed, N skipped".
"""
import os
import re
import subprocess
import sys

build, src = sys.argv[1], sys.argv[2]
bench = os.path.join(src, "bench", "compile-adversarial")
sys.path.insert(0, bench)
import gen  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
passed = failed = skipped = 0


def run_bounds(scale, bounds):
    """Runs bench/compile-adversarial/run on the cases the bounds file
    names; the others are skips, with the reason its comment gives."""
    global passed, failed, skipped
    path = os.path.join(here, bounds)
    names = []
    with open(path) as f:
        for line in f:
            w = line.split("#")[0].split()
            if w and w[0] not in names:
                names.append(w[0])
    if bounds == "bounds.txt":
        bounded = set(names)
        for other in os.listdir(here):
            if other.startswith("bounds") and other.endswith(".txt"):
                with open(os.path.join(here, other)) as f:
                    bounded |= {ln.split()[0] for ln in f
                                if ln.split("#")[0].split()}
        for name, _, _, _ in gen.CASES:
            if name not in bounded:
                skipped += 2
                print(f"skipped {name} -O0 -O2: no bound in any bounds file")
    argv = [os.path.join(bench, "run"), "--build", build, "--scale",
            str(scale), "--cap", "300", "--bounds", path,
            "--only", ",".join(names)]
    r = subprocess.run(argv, capture_output=True, text=True)
    sys.stdout.write(r.stdout + r.stderr)
    m = re.search(r"(\d+) passed, (\d+) failed, (\d+) skipped", r.stdout)
    if not m:
        failed += 1
        print(f"FAIL: no totals from run --scale {scale}")
        return
    passed += int(m.group(1))
    failed += int(m.group(2))
    skipped += int(m.group(3))


def huge_function_computes(tmp):
    """300 KB of straight-line code: over the 256 KB threshold of
    llvm-lower/partition.c, so compiled at -O0 in a partition of its own."""
    global passed, failed
    path = os.path.join(tmp, "huge.wasm")
    with open(path, "wb") as f:
        f.write(gen.straight_line(300000).bytes())
    want = str(gen.straight_line_expect(300000, 7))
    for level in ("-O0", "-O2"):
        r = subprocess.run([os.path.join(build, "moat"), "run", "--no-cache",
                            "--invoke", "f", level, path, "7"],
                           capture_output=True, text=True)
        got = r.stdout.strip()
        if r.returncode == 0 and got == want:
            passed += 1
        else:
            failed += 1
            print(f"FAIL huge function {level}: got {got!r} "
                  f"(exit {r.returncode}, {r.stderr.strip()}), want {want}")


def huge_among_many(tmp):
    """A huge function beside 300 small ones, compiled with 2 and 8
    threads: 4 partitions per thread plus the huge function's own, which
    once overflowed the merge step's list of 8 objects (2 threads: 9
    partitions; 8 threads: the 32-partition maximum)."""
    global passed, failed
    m = gen.straight_line(300000)
    for i in range(300):
        m.funcs.append(gen.uleb(0))
        m.codes.append(gen.body(gen.lget(0) + gen.i32c(i) + b"\x6a"))
    gen.export_func(m, "g", 300)
    path, obj = os.path.join(tmp, "many.wasm"), os.path.join(tmp, "many.o")
    with open(path, "wb") as f:
        f.write(m.bytes())
    want = [str(gen.straight_line_expect(300000, 7)), str(7 + 299)]
    moat = os.path.join(build, "moat")
    for jobs in ("-j2", "-j8"):
        r = subprocess.run([moat, "compile", "-O2", jobs, path, "-o", obj],
                           capture_output=True, text=True)
        got = []
        if r.returncode == 0:
            for fn in ("f", "g"):
                x = subprocess.run([moat, "run", "--invoke", fn, obj, "7"],
                                   capture_output=True, text=True)
                got.append(x.stdout.strip())
        if got == want:
            passed += 1
        else:
            failed += 1
            print(f"FAIL huge function among many, {jobs}: got {got} "
                  f"(compile exit {r.returncode}, {r.stderr.strip()}), "
                  f"want {want}")


def main():
    import tempfile
    run_bounds(0.02, "bounds.txt")
    run_bounds(0.05, "bounds-huge.txt")
    run_bounds(0.005, "bounds-arity.txt")
    with tempfile.TemporaryDirectory() as tmp:
        huge_function_computes(tmp)
        huge_among_many(tmp)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
