#!/usr/bin/env python3
"""run-backtrace.py - `moat run`'s trap report (docs/backtraces.md) on C
and C++ guests built for wasm32-wasi at clang -O0 and -O2, each run at
moat -O0 and -O2. For every case: exit 134, the first line names the
trap and the innermost function, the frames are the expected functions
in order (demangled), "inlined into" names the next frame, nothing is
inlined at moat -O0, and every offset is checked against wasm-objdump's
disassembly of the guest: it lies in the frame's function, the innermost
one is the trapping instruction and every outer one a call of the frame
inside it. The C and C++ divisions also run as shared objects (`moat
compile -shared`). Prints `N passed, N failed, N skipped`.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

FRAME = re.compile(r"^  #(\d+) (.*?)(?: \(inlined into (.*)\))?"
                   r"(?: \[wasm 0x([0-9a-f]+)\])?(?: at (.*))?$")
FUNC = re.compile(r"^([0-9a-f]+) func\[(\d+)\] <(.*)>:$")
INSN = re.compile(r"^ ([0-9a-f]+): [0-9a-f ]+\|\s*(.*)$")

# guest -> (trap wording, innermost frames expected in order, the
# innermost instruction's mnemonic pattern, moat -O2 must inline frame 0)
CASES = {
    "div": ("integer divide by zero", ["divide", "main"], r"i32\.div_s",
            False),
    "oob": ("out of bounds memory access", ["level3", "level2", "level1",
                                            "main"], r"i32\.store", False),
    "unreach": ("unreachable", ["boom", "main"], r"unreachable", False),
    "stack": ("call stack exhausted", ["down"] * 32, None, False),
    "inline": ("integer divide by zero", ["helper", "main"], r"i32\.rem_s",
               True),
    "calc": ("integer divide by zero",
             ["ns::Calc::div(int, int)", "int ns::twice<int>(int, int)",
              "main"], r"i32\.div_s", False),
}


def demangle(names):
    """c++filt over the objdump names (C names come back unchanged)."""
    try:
        out = subprocess.run(["c++filt"], input="\n".join(names),
                             capture_output=True, text=True, check=True)
        return out.stdout.split("\n")[:len(names)]
    except (OSError, subprocess.CalledProcessError):
        return names


def disassemble(objdump, wasm):
    """offset -> (function name, instruction text); function starts."""
    out = subprocess.run([objdump, "-d", wasm], capture_output=True,
                         text=True, check=True).stdout
    insns, funcs, raw = {}, [], []
    cur = None
    for line in out.splitlines():
        m = FUNC.match(line)
        if m:
            cur = len(funcs)
            funcs.append(int(m.group(1), 16))
            raw.append(m.group(3))
            continue
        m = INSN.match(line)
        if m and cur is not None:
            insns[int(m.group(1), 16)] = (cur, m.group(2).strip())
    names = demangle(raw)
    return ({o: (names[f], t) for o, (f, t) in insns.items()},
            dict(zip(raw, names)))


def call_target(text, names_by_raw):
    m = re.match(r"call \d+ <(.*)>$", text)
    return names_by_raw.get(m.group(1), m.group(1)) if m else None


def check(moat, objdump, wasm, guest, opt, cache, shared):
    """Returns a list of failures (empty: passed)."""
    wording, want, insn0, must_inline = CASES[guest]
    env = dict(os.environ, MOAT_CACHE_DIR=cache)
    prog = wasm
    if shared:                  # a shared object (runtime/elf_dyn.c)
        prog = os.path.join(cache, guest + ".so")
        c = subprocess.run([moat, "compile", "-O%d" % opt, "-shared", wasm,
                            "-o", prog], capture_output=True, text=True)
        if c.returncode != 0:
            return ["moat compile -shared: %s" % c.stderr.strip()]
    # a .so cannot be verified: it runs trusted (docs/verify.md)
    trust = ["--no-verify"] if shared else []
    r = subprocess.run([moat, "run", "-O%d" % opt] + trust + [prog], env=env,
                       capture_output=True, text=True, timeout=120)
    lines = r.stderr.splitlines()
    errs = []
    if r.returncode != 134:
        errs.append("exit %d, not 134" % r.returncode)
    if not lines or not lines[0].startswith("moat: trap: " + wording):
        errs.append("first line %r" % (lines[:1],))
        return errs
    frames = [FRAME.match(l) for l in lines[1:] if l.startswith("  #")]
    if None in frames or not frames:
        return errs + ["bad frame lines: %r" % lines[1:4]]
    names = [m.group(2) for m in frames]
    if names[:len(want)] != want:
        errs.append("frames %r, want %r first" % (names[:6], want))
    if not lines[0].endswith(" in function " + want[0]):
        errs.append("first line does not name %s" % want[0])
    if guest == "stack" and not any(l.startswith("  ... ") for l in lines):
        errs.append("no '... N more frames' line")
    insns, by_raw = disassemble(objdump, wasm)
    for i, m in enumerate(frames):
        name, into, off = m.group(2), m.group(3), m.group(4)
        if into is not None:
            if opt == 0:
                errs.append("#%d inlined at -O0" % i)
            if i + 1 >= len(frames) or into != frames[i + 1].group(2):
                errs.append("#%d inlined into %r, not the next frame" %
                            (i, into))
        if off is None:
            errs.append("#%d %s has no offset" % (i, name))
            continue
        at = insns.get(int(off, 16))
        if at is None:
            errs.append("#%d offset 0x%s is no instruction" % (i, off))
            continue
        fname, text = at
        if fname != name:
            errs.append("#%d offset 0x%s is in %s, not %s" %
                        (i, off, fname, name))
        if i == 0:
            if insn0 and not re.match(insn0, text):
                errs.append("#0 at %r, want %s" % (text, insn0))
        elif call_target(text, by_raw) != frames[i - 1].group(2):
            errs.append("#%d at %r: not a call of %s" %
                        (i, text, frames[i - 1].group(2)))
    if must_inline and opt == 3 and frames[0].group(3) is None:
        errs.append("#0 not inlined at -O3")
    return errs


def cases():
    """(guest, clang -O, moat -O, shared) of every case."""
    out = []
    for guest in CASES:
        for cl in (0, 2):
            if guest == "inline" and cl == 2:
                continue        # clang inlines helper itself: not ours
            # shared objects: the C and C++ divisions at clang -O2
            shared = [False, True] if guest in ("div", "calc") and cl == 2 \
                else [False]
            # -O3 inlines (the -O2 pipeline leaves that to the producer)
            opts = (0, 2, 3) if guest == "inline" else (0, 2)
            out += [(guest, cl, opt, so) for opt in opts for so in shared]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--objdump", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--skip", default="")
    a = ap.parse_args()
    npass = nfail = nskip = 0
    if a.skip:
        print("skipped: all cases: %s" % a.skip)
        print("0 passed, 0 failed, %d skipped" % len(cases()))
        return 0
    with tempfile.TemporaryDirectory() as cache:
        for guest, cl, opt, so in cases():
            wasm = os.path.join(a.dir, "%s-O%d.wasm" % (guest, cl))
            what = "%s (clang -O%d, moat -O%d%s)" % (
                guest, cl, opt, " -shared" if so else "")
            if not os.path.exists(wasm):
                nskip += 1
                print("skip: %s: %s not built" % (what, wasm))
                continue
            errs = check(a.moat, a.objdump, wasm, guest, opt, cache, so)
            if errs:
                nfail += 1
                print("FAIL: %s: %s" % (what, "; ".join(errs)))
            else:
                npass += 1
                print("ok: %s" % what)
    print("%d passed, %d failed, %d skipped" % (npass, nfail, nskip))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
