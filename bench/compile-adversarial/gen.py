#!/usr/bin/env python3
"""bench/compile-adversarial/gen.py - writes adversarial .wasm modules: each
one small to send and valid, and each built to make a compiler's work grow
faster than the module (docs/bench-compile-adversarial.md). Every module
stays inside Moat's implementation limits (docs/limits.md), most at one of
them.

    gen.py [--scale S] [--only NAME,...] [--list] OUTDIR

--scale multiplies each case's size knob (1 = the table in the docs; the
test suite uses a small scale). Each case writes OUTDIR/NAME.wasm.
The encoder is ours: binary format of WebAssembly 2.0 (spec 5).
"""
import argparse
import os
import sys

I32, I64, F32, F64 = 0x7F, 0x7E, 0x7D, 0x7C
FUNCREF = 0x70
VOID = 0x40


def uleb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def sleb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        done = (v == 0 and not b & 0x40) or (v == -1 and b & 0x40)
        out.append(b | (0 if done else 0x80))
        if done:
            return bytes(out)


def vec(items):
    """A vector of already-encoded items."""
    items = list(items)
    return uleb(len(items)) + b"".join(items)


def name(s):
    s = s.encode()
    return uleb(len(s)) + s


def section(sid, content):
    return bytes([sid]) + uleb(len(content)) + content


def functype(params, results):
    return b"\x60" + vec(bytes([t]) for t in params) + \
        vec(bytes([t]) for t in results)


def body(code, local_runs=()):
    """A function body: local runs [(count, type)], code (without end)."""
    locs = vec(uleb(n) + bytes([t]) for n, t in local_runs)
    b = locs + code + b"\x0b"
    return uleb(len(b)) + b


class Mod:
    """Sections in binary order; None = absent."""

    def __init__(self):
        self.types, self.imports, self.funcs = [], [], []
        self.tables, self.mems, self.globals = [], [], []
        self.exports, self.elems, self.codes, self.datas = [], [], [], []
        self.start = None
        self.names = None               # function names, or None

    def bytes(self):
        out = bytearray(b"\0asm\x01\0\0\0")
        parts = [(1, self.types), (2, self.imports), (3, self.funcs),
                 (4, self.tables), (5, self.mems), (6, self.globals),
                 (7, self.exports)]
        for sid, items in parts:
            if items:
                out += section(sid, vec(items))
        if self.start is not None:
            out += section(8, uleb(self.start))
        if self.elems:
            out += section(9, vec(self.elems))
        if self.datas:
            out += section(12, uleb(len(self.datas)))   # data count
        if self.codes:
            out += section(10, vec(self.codes))
        if self.datas:
            out += section(11, vec(self.datas))
        if self.names:
            sub = vec(uleb(i) + name(n) for i, n in self.names)
            out += section(0, name("name") + b"\x01" + uleb(len(sub)) + sub)
        return bytes(out)


def lget(i):
    return b"\x20" + uleb(i)


def lset(i):
    return b"\x21" + uleb(i)


def i32c(v):
    return b"\x41" + sleb(v)


def call(f):
    return b"\x10" + uleb(f)


def export_func(m, nm, idx):
    m.exports.append(name(nm) + b"\x00" + uleb(idx))


# ---- the cases: (name, knob at scale 1, builder(knob) -> Mod, what) ----

def params_results(n):
    """One function of n params and n results that calls itself (issue 9:
    1,000 and 1,000, 4.9 KB, did not finish in 120 s at -O2)."""
    m = Mod()
    m.types.append(functype([I32] * n, [I32] * n))
    m.funcs.append(uleb(0))
    code = b"".join(lget(i) for i in range(n)) + call(0)
    m.codes.append(body(code))
    export_func(m, "f", 0)
    return m


def wide_calls(n):
    """n back-to-back calls of a 1,000-param, 1,000-result function in one
    caller: each call is 2 bytes and moves 2,000 values (the arity limits
    bound this amplification; docs/limits.md)."""
    m = Mod()
    m.types.append(functype([I32] * 1000, [I32] * 1000))
    m.types.append(functype([I32], [I32]))
    m.funcs += [uleb(0), uleb(1)]
    m.codes.append(body(b"\x00"))               # unreachable: any results
    code = b"".join(lget(0) for _ in range(1000)) + call(0) * n + \
        b"\x1a" * 999                           # keep one result
    m.codes.append(body(code))
    export_func(m, "g", 1)
    return m


def many_types(n):
    """n types (1,000,000 is the limit), one function (issue 9: 3.5 MB,
    did not finish, 6.3 GB: a trampoline per type index)."""
    m = Mod()
    kinds = [I32, I64, F32, F64]
    for i in range(n):
        k = i % 5
        m.types.append(functype([] if k == 4 else [kinds[k]],
                                [kinds[(i // 5) % 4]] if i % 3 == 0 else []))
    m.funcs.append(uleb(4))                     # type 4 is [] -> []
    m.codes.append(body(b""))
    export_func(m, "f", 0)
    return m


def _straight_units():
    """The 64 units of straight_line: (k, offset, bytes)."""
    units = []
    for k in range(64):
        o = (k * 4) % 4096
        units.append((k, o,
                      lget(0) + i32c(k * 7 + 1) + b"\x6a" + i32c(4095) +
                      b"\x71" + lset(1) +                 # l1 = l0+c & 4095
                      lget(2) + lget(1) + b"\x28\x02" + uleb(o) + b"\x6c" +
                      lget(1) + b"\x6a" + lset(2) +       # l2 = l2*m[l1+o]+l1
                      lget(1) + lget(2) + b"\x36\x02" + uleb(o + 4) +
                      lget(2) + i32c(3) + b"\x74" + lget(0) + b"\x73" +
                      lset(0)))                          # l0 = l2<<3 ^ l0
    return units


def straight_line(nbytes):
    """One function of about nbytes of straight-line code: arithmetic,
    loads and stores on a few locals (issue 9: 10 MB did not finish; the
    body size limit is 7,654,321 bytes). f(x) is straight_line_expect."""
    m = Mod()
    m.types.append(functype([I32], [I32]))
    m.funcs.append(uleb(0))
    m.mems.append(b"\x00\x01")
    units = _straight_units()
    code = bytearray()
    i = 0
    while len(code) < nbytes:
        code += units[i % len(units)][2]
        i += 1
    code += lget(0) + lget(2) + b"\x6a"
    m.codes.append(body(bytes(code), [(2, I32)]))
    export_func(m, "f", 0)
    return m


def straight_line_expect(nbytes, x):
    """What f(x) of straight_line(nbytes) returns, as a signed i32."""
    mask = 0xFFFFFFFF
    mem = {}
    units = _straight_units()
    l0, l1, l2 = x & mask, 0, 0
    size = i = 0
    while size < nbytes:
        k, o, code = units[i % len(units)]
        size += len(code)
        i += 1
        l1 = (l0 + k * 7 + 1) & 4095
        a = l1 + o
        v = int.from_bytes(bytes(mem.get(a + j, 0) for j in range(4)),
                           "little")
        l2 = (l2 * v + l1) & mask
        for j in range(4):
            mem[l1 + o + 4 + j] = (l2 >> (8 * j)) & 255
        l0 = ((l2 << 3) ^ l0) & mask
    r = (l0 + l2) & mask
    return r - (1 << 32) if r >> 31 else r


def many_funcs(n):
    """n trivial functions with names (issue 9: 100,000, 600 KB, took
    98 s and 800 MB at -O2)."""
    m = Mod()
    m.types.append(functype([], [I32]))
    for i in range(n):
        m.funcs.append(uleb(0))
        m.codes.append(body(i32c(i & 63)))
    export_func(m, "f0", 0)
    m.names = [(i, f"func{i}") for i in range(n)]
    return m


def br_table(ntargets, nblocks=5000, per_table=65520):
    """ntargets br_table targets over nblocks nested blocks, as br_tables
    of per_table targets (65,520 is the limit) at the innermost levels
    (issue 9: one br_table of 1M targets over 5,000 blocks took 70 s)."""
    m = Mod()
    m.types.append(functype([I32], [I32]))
    m.funcs.append(uleb(0))
    code = bytearray(b"\x02\x40" * nblocks)
    ntables = max(1, (ntargets + per_table - 1) // per_table)
    left = ntargets
    for t in range(ntables):
        depth = nblocks - t                     # labels reachable here
        k = min(per_table, left)
        left -= k
        targets = b"".join(uleb((i * 7919) % depth) for i in range(k))
        code += lget(0) + b"\x0e" + uleb(k) + targets + uleb(depth - 1)
        code += b"\x0b"                         # end one block
    code += b"\x0b" * (nblocks - ntables)
    code += lget(0)
    m.codes.append(body(bytes(code)))
    export_func(m, "f", 0)
    return m


def deep_nesting(depth):
    """depth nested blocks, loops and ifs with results, each arm adding."""
    m = Mod()
    m.types.append(functype([I32], [I32]))
    m.funcs.append(uleb(0))
    code = bytearray()
    for i in range(depth):
        code += [b"\x02\x7f", b"\x03\x7f", lget(0) + b"\x04\x7f"][i % 3]
    code += lget(0)
    for i in reversed(range(depth)):
        if i % 3 == 2:
            code += b"\x05" + i32c(i) + b"\x0b"   # else i32.const i end
        else:
            code += b"\x0b"
        code += i32c(1) + b"\x6a"                 # + 1 after each level
    m.codes.append(body(bytes(code)))
    export_func(m, "f", 0)
    return m


def many_locals(nfuncs, nlocals=49999):
    """nfuncs functions each declaring nlocals locals (with the parameter,
    50,000: the limit) in a few bytes, touching three of them."""
    m = Mod()
    m.types.append(functype([I32], [I32]))
    for i in range(nfuncs):
        m.funcs.append(uleb(0))
        code = lget(0) + lset(nlocals) + lget(nlocals) + lget(1) + b"\x6a"
        m.codes.append(body(code, [(nlocals // 4, I32), (nlocals // 4, I64),
                                   (nlocals // 4, F64),
                                   (nlocals - 3 * (nlocals // 4), I32)]))
    export_func(m, "f", 0)
    return m


def many_params(nfuncs, nparams=1000):
    """nfuncs functions of one type with nparams params (1,000 is the
    limit), each 3 bytes of body: per-function cost must not be
    per-parameter."""
    m = Mod()
    m.types.append(functype([I64] * nparams, [I64]))
    for i in range(nfuncs):
        m.funcs.append(uleb(0))
        m.codes.append(body(lget(i % nparams)))
    export_func(m, "f", 0)
    return m


def many_globals(n):
    """n mutable globals (1,000,000 is the limit), one function touching
    a few."""
    m = Mod()
    m.types.append(functype([], [I32]))
    for i in range(n):
        m.globals.append(bytes([I32, 1]) + i32c(i & 63) + b"\x0b")
    m.funcs.append(uleb(0))
    m.codes.append(body(b"\x23" + uleb(n - 1) + b"\x23\x00\x6a"))
    export_func(m, "f", 0)
    return m


def imports_exports(n):
    """n imported functions re-exported and n defined ones exported, with
    n // 10 distinct signatures (100,000 imports and exports are the
    limits)."""
    m = Mod()
    kinds = [I32, I64, F32, F64]
    nsig = max(1, n // 10)
    for s in range(nsig):
        ps = [kinds[(s >> (2 * j)) & 3] for j in range(1 + s % 6)]
        m.types.append(functype(ps, [kinds[s & 3]]))
    for i in range(n):
        m.imports.append(name("env") + name(f"i{i}") + b"\x00" +
                         uleb(i % nsig))
    for i in range(n):
        m.funcs.append(uleb(i % nsig))
        m.codes.append(body(b"\x00"))           # unreachable
    half = n // 2
    for i in range(half):
        export_func(m, f"ri{i}", i)             # imports re-exported
    for i in range(n - half):
        export_func(m, f"f{i}", n + i)
    return m


def big_data(nsegs, seg_bytes=64):
    """nsegs data segments (100,000 is the limit), the last of 4 MB."""
    m = Mod()
    m.mems.append(b"\x00" + uleb(256))
    m.types.append(functype([], []))
    m.funcs.append(uleb(0))
    m.codes.append(body(b""))
    for i in range(nsegs - 1):
        m.datas.append(b"\x00" + i32c((i * seg_bytes) % (8 << 20)) + b"\x0b" +
                       uleb(seg_bytes) + bytes([i & 255]) * seg_bytes)
    big = 4 << 20
    m.datas.append(b"\x01" + uleb(big) + bytes(range(256)) * (big // 256))
    export_func(m, "f", 0)
    return m


def big_elem(nitems, nsegs=100):
    """nitems table entries (10,000,000 is the limit) in nsegs active
    segments, over 1,000 functions of 100 signatures."""
    m = Mod()
    for s in range(100):
        m.types.append(functype([I32] * (s % 7), [I32] * (s % 2)))
    nf = 1000
    for i in range(nf):
        m.funcs.append(uleb(i % 100))
        m.codes.append(body(b"\x00"))
    m.tables.append(bytes([FUNCREF]) + b"\x00" + uleb(nitems))
    per = max(1, nitems // nsegs)
    at = 0
    while at < nitems:
        k = min(per, nitems - at)
        m.elems.append(b"\x00" + i32c(at) + b"\x0b" +
                       vec(uleb((at + j) % nf) for j in range(k)))
        at += k
    return m


CASES = [
    ("params-results", 1000, params_results,
     "1 function, 1,000 params and 1,000 results, calls itself"),
    ("wide-calls", 10000, wide_calls,
     "10,000 calls of a 1,000-param, 1,000-result function"),
    ("many-types", 1000000, many_types, "1,000,000 types, 1 function"),
    ("straight-line", 7000000, straight_line,
     "one 7 MB function of straight-line code"),
    ("many-funcs", 100000, many_funcs, "100,000 trivial named functions"),
    ("br-table", 1000000, br_table,
     "1M br_table targets (16 tables) over 5,000 blocks"),
    ("deep-nesting", 100000, deep_nesting,
     "100,000 nested block/loop/if with results"),
    ("many-locals", 1000, many_locals,
     "1,000 functions of 50,000 locals each"),
    ("many-params", 100000, many_params,
     "100,000 functions of 1,000 params each"),
    ("many-globals", 1000000, many_globals, "1,000,000 globals"),
    ("imports-exports", 100000, imports_exports,
     "100,000 imports and 100,000 exports"),
    ("big-data", 100000, big_data, "100,000 data segments, one of 4 MB"),
    ("big-elem", 10000000, big_elem, "10,000,000 table entries"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.
                                 RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--only", default="")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("outdir", nargs="?")
    a = ap.parse_args()
    if a.list:
        for nm, knob, _, what in CASES:
            print(f"{nm:<16} {what}")
        return
    if not a.outdir:
        ap.error("OUTDIR is required")
    only = set(filter(None, a.only.split(",")))
    unknown = only - {c[0] for c in CASES}
    if unknown:
        ap.error("unknown case(s): " + ", ".join(sorted(unknown)))
    os.makedirs(a.outdir, exist_ok=True)
    for nm, knob, build, _ in CASES:
        if only and nm not in only:
            continue
        data = build(max(1, int(knob * a.scale))).bytes()
        with open(os.path.join(a.outdir, nm + ".wasm"), "wb") as f:
            f.write(data)
        print(f"{nm:<16} {len(data):>10} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
