#!/usr/bin/env python3
"""gen-and-compare.py - differential testing of Moat against V8 (node).

For seeds S..S+N-1: binaryen's translate-to-fuzz (`wasm-opt -ttf`) turns
seeded random bytes into a WebAssembly 2.0 module without imports; Moat
compiles it once (`moat compile -O<seed % 4>`), then every exported
function is called with a few deterministic argument sets, each call in a
fresh instance, in Moat (`moat run --invoke`, one process per call) and in
V8 (node-run.js, a fresh instance per call). Results must be equal (floats
bit for bit, except that any NaN equals any NaN: payloads and signs of
NaNs are nondeterministic in wasm and JS keeps neither) or both calls must
trap with the same spec wording (V8 merges some traps: TRAP_CLASSES).
Exports with v128 in their signature are called in V8 through a wrapper
function added to the module that passes each v128 as two i64s.

--nan checks arithmetic NaNs and copies of signalling NaNs instead, on
modules from nan_gen.py (its docstring says what they hold and how each
result is compared).

Prints a line per module with a mismatch (-v: per differing call), counts
by kind and `N passed, N failed, N skipped` (calls; skips are counted by
reason). Exit 0 if nothing failed, 1 otherwise, 77 (meson's skip) if node
or wasm-opt is missing. See docs/differential.md.
"""
import argparse
import collections
import json
import math
import multiprocessing
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_RUN = os.path.join(HERE, 'node-run.js')
sys.path.insert(0, HERE)
import nan_gen  # noqa: E402

# WebAssembly 2.0 = MVP + these proposals. Binaryen 108's -ttf with
# reference types often emits typed function references (`(ref $t)`,
# anyref holding a funcref), which 2.0 rejects; such a module is made
# again from other bytes, and after REF_TRIES inputs, from the first
# bytes without reference types (FEATURES_NO_REF).
FEATURES_NO_REF = ['--mvp-features', '--enable-mutable-globals',
                   '--enable-sign-ext', '--enable-nontrapping-float-to-int',
                   '--enable-bulk-memory', '--enable-multivalue',
                   '--enable-simd']
FEATURES = FEATURES_NO_REF + ['--enable-reference-types']
REF_TRIES = 3
# -ttf imports "fuzzing-support" logging functions (log-i32 ...). Binaryen's
# --remove-imports breaks modules that take a ref.func of one, so
# define_imports() turns each imported function into a defined one that
# returns zeros, keeping every function index.

# V8 reports these spec traps with one message (see node-run.js).
TRAP_CLASSES = {
    'class:conversion': {'invalid conversion to integer', 'integer overflow'},
    'class:table': {'undefined element', 'out of bounds table access'},
    'class:indirect': {'uninitialized element', 'indirect call type mismatch'},
}

# --- reading and writing the binary ------------------------------------

VALTYPES = {0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64',
            0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref'}
TYPECODE = {v: k for k, v in VALTYPES.items()}


def leb(n):
    out = bytearray()
    while True:
        x = n & 0x7f
        n >>= 7
        out.append(x | (0x80 if n else 0))
        if not n:
            return bytes(out)


def vec(items):
    return leb(len(items)) + b''.join(items)


class Reader:
    def __init__(self, b, pos=0):
        self.b, self.pos = b, pos

    def byte(self):
        self.pos += 1
        return self.b[self.pos - 1]

    def u32(self):
        v = shift = 0
        while True:
            x = self.byte()
            v |= (x & 0x7f) << shift
            shift += 7
            if not x & 0x80:
                return v

    def name(self):
        n = self.u32()
        self.pos += n
        return self.b[self.pos - n:self.pos].decode('utf-8', 'replace')

    def valtype(self):
        t = self.byte()
        if t not in VALTYPES:
            raise ValueError('value type 0x%02x is not WebAssembly 2.0' % t)
        return VALTYPES[t]

    def limits(self):
        flags = self.u32()
        self.u32()
        if flags & 1:
            self.u32()


def sections(b):
    """[(id, payload start, payload end)] of a binary module."""
    r, out = Reader(b, 8), []
    while r.pos < len(b):
        sid = r.byte()
        size = r.u32()
        out.append((sid, r.pos, r.pos + size))
        r.pos += size
    return out


def module_info(b):
    """types, function type indices (imports first), imports, exports."""
    types, funcs, imports, exports = [], [], [], []
    for sid, start, end in sections(b):
        r = Reader(b, start)
        if sid == 1:
            for _ in range(r.u32()):
                if r.byte() != 0x60:
                    raise ValueError('type is not a function type')
                params = [r.valtype() for _ in range(r.u32())]
                results = [r.valtype() for _ in range(r.u32())]
                types.append((params, results))
        elif sid == 2:
            for _ in range(r.u32()):
                imp = (r.name(), r.name())
                kind = r.byte()
                imports.append(imp)
                if kind == 0:
                    funcs.append(r.u32())
                elif kind == 1:
                    r.valtype()
                    r.limits()
                elif kind == 2:
                    r.limits()
                else:
                    r.valtype()
                    r.byte()
        elif sid == 3:
            funcs.extend(r.u32() for _ in range(r.u32()))
        elif sid == 7:
            for _ in range(r.u32()):
                name, kind, idx = r.name(), r.byte(), r.u32()
                if kind == 0:
                    exports.append((name, idx))
    return types, funcs, imports, exports

ZERO = {'i32': b'\x41\x00', 'i64': b'\x42\x00',
        'f32': b'\x43' + bytes(4), 'f64': b'\x44' + bytes(8),
        'v128': b'\xfd\x0c' + bytes(16), 'funcref': b'\xd0\x70',
        'externref': b'\xd0\x6f'}
SECTION_ORDER = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11]


def define_imports(b):
    """b with its imported functions made defined functions (at the same
    indices) that return zeros; None if it imports anything else."""
    types, funcs, imports, _ = module_info(b)
    if not imports:
        return b
    if len(imports) != len(funcs) - count_defined(b):
        return None                     # a table, memory or global import
    k = len(imports)
    bodies = []
    for ti in funcs[:k]:
        body = b''.join(ZERO[t] for t in types[ti][1]) + b'\x0b'
        bodies.append(leb(len(body) + 1) + b'\x00' + body)
    pre = {3: b''.join(leb(ti) for ti in funcs[:k]), 10: b''.join(bodies)}
    secs = [[sid, b[start:end]] for sid, start, end in sections(b)
            if sid != 2]
    for sid in (3, 10):
        if sid not in [x[0] for x in secs]:
            secs.append([sid, b'\x00'])
    for x in secs:
        if x[0] in pre:
            r = Reader(x[1])
            n = r.u32()
            x[1] = leb(n + k) + pre[x[0]] + x[1][r.pos:]
    key = lambda x: SECTION_ORDER.index(x[0]) if x[0] else 99  # noqa: E731
    out = bytearray(b[:8])
    for sid, payload in sorted(secs, key=key):
        out += bytes([sid]) + leb(len(payload)) + payload
    return bytes(out)


def count_defined(b):
    for sid, start, _ in sections(b):
        if sid == 3:
            return Reader(b, start).u32()
    return 0


# --- v128 wrappers for V8 ------------------------------------------------


def wrapper(funcidx, params, results):
    """(type, body) of a function calling funcidx with each v128 param and
    result passed as two i64s (low half first)."""
    wparams = [p for t in params for p in
               (['i64', 'i64'] if t == 'v128' else [t])]
    wresults = [p for t in results for p in
                (['i64', 'i64'] if t == 'v128' else [t])]
    ftype = (b'\x60' + vec([bytes([TYPECODE[t]]) for t in wparams]) +
             vec([bytes([TYPECODE[t]]) for t in wresults]))
    code, a = bytearray(), 0
    for t in params:
        if t == 'v128':                 # i64x2.splat, i64x2.replace_lane 1
            code += (b'\x20' + leb(a) + b'\xfd\x12' + b'\x20' + leb(a + 1) +
                     b'\xfd\x1e\x01')
            a += 2
        else:
            code += b'\x20' + leb(a)
            a += 1
    code += b'\x10' + leb(funcidx)
    first = len(wparams)                # one local per result
    for k in reversed(range(len(results))):
        code += b'\x21' + leb(first + k)
    for k, t in enumerate(results):
        if t == 'v128':                 # i64x2.extract_lane 0 and 1
            code += (b'\x20' + leb(first + k) + b'\xfd\x1d\x00' +
                     b'\x20' + leb(first + k) + b'\xfd\x1d\x01')
        else:
            code += b'\x20' + leb(first + k)
    locs = vec([leb(1) + bytes([TYPECODE[t]]) for t in results])
    body = locs + bytes(code) + b'\x0b'
    return ftype, leb(len(body)) + body


def add_wrappers(b, wraps):
    """b with wraps [(export name, funcidx, params, results)] appended as
    functions exported under the same name prefixed by '__v128_'."""
    types, funcs, _, _ = module_info(b)
    ntypes, nfuncs = len(types), len(funcs)
    extra = {1: [], 3: [], 7: [], 10: []}
    for i, (name, idx, params, results) in enumerate(wraps):
        ftype, body = wrapper(idx, params, results)
        extra[1].append(ftype)
        extra[3].append(leb(ntypes + i))
        nm = ('__v128_' + name).encode()
        extra[7].append(leb(len(nm)) + nm + b'\x00' + leb(nfuncs + i))
        extra[10].append(body)
    out = bytearray(b[:8])
    for sid, start, end in sections(b):
        payload = b[start:end]
        if sid in extra:
            r = Reader(payload)
            n = r.u32()
            payload = (leb(n + len(extra[sid])) + payload[r.pos:] +
                       b''.join(extra[sid]))
            extra[sid] = []
        out += bytes([sid]) + leb(len(payload)) + payload
    assert not any(extra.values()), 'module lacks a section to extend'
    return bytes(out)

# --- arguments -----------------------------------------------------------


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


POOL = {
    'i32': [0, 1, -1, 2, 7, 31, 32, 255, 65535, 65536, 2**31 - 1, -2**31,
            -65536, 1000],
    'i64': [0, 1, -1, 2, 63, 64, 2**32, 2**32 - 1, 2**63 - 1, -2**63,
            -2**31, 123456789],
    'f32': [0.0, -0.0, 1.0, -1.0, 0.5, f32(3.4028234663852886e38),
            f32(1.401298464324817e-45), math.inf, -math.inf, math.nan,
            2147483648.0, -2147483904.0, f32(1e10), f32(123.456)],
    'f64': [0.0, -0.0, 1.0, -1.0, 0.5, 1.7976931348623157e308, 5e-324,
            math.inf, -math.inf, math.nan, 9223372036854775808.0,
            -2147483649.0, 4294967296.5, 123.456],
    'v128': [bytes(16), b'\xff' * 16, bytes(range(16)),
             struct.pack('<4f', 1.0, -0.0, math.inf, 2.5),
             struct.pack('<2d', -1.5, 1e300)],
    'funcref': [None],
    'externref': [None],
}
ONE = {'i32': 1, 'i64': 1, 'f32': 1.0, 'f64': 1.0, 'v128': b'\x01' * 16,
       'funcref': None, 'externref': None}


def arg_text(t, v):
    if v is None:
        return 'null'
    if t == 'v128':
        return '0x' + v[::-1].hex()
    if t in ('f32', 'f64'):
        if math.isnan(v):
            return 'nan'
        if math.isinf(v):
            return 'inf' if v > 0 else '-inf'
        return repr(v)
    return str(v)


def arg_sets(seed, name, params):
    """Up to 3 distinct argument lists: zeros, ones, random from POOL."""
    rng = random.Random('%d/%s' % (seed, name))
    sets = [[POOL[t][0] for t in params], [ONE[t] for t in params]]
    sets.append([rng.choice(POOL[t]) for t in params])
    out = []
    for s in sets:
        txt = [arg_text(t, v) for t, v in zip(params, s)]
        if txt not in out:
            out.append(txt)
    return out


def split_v128(t, txt):
    """A v128 argument as two i64 texts (low, high) for the wrapper."""
    n = int(txt, 16)
    lo, hi = n & (2**64 - 1), n >> 64
    s = lambda x: str(x - 2**64 if x >= 2**63 else x)  # noqa: E731
    return [['i64', s(lo)], ['i64', s(hi)]]

# --- running ---------------------------------------------------------------


def run_moat(moat, obj, name, args, timeout):
    try:
        p = subprocess.run([moat, 'run', '--invoke', name, obj] + args,
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return ('timeout',)
    if p.returncode == 0:
        return ('ok', p.stdout.split())
    err = p.stderr.strip()
    if p.returncode == 134 and err.startswith('trap: '):
        return ('trap', err[6:])
    return ('error', 'exit %d: %s' % (p.returncode, err[-300:]))


def node_outcome(d):
    if 'r' in d:
        return ('ok', d['r'])
    if 'trap' in d:
        return ('trap', d['trap'])
    return ('error', d['err'])


def run_node(path, calls, timeout):
    """Outcomes of calls [{name, args}] in V8, each in a fresh instance.
    A batch that outlives the timeout is resumed after the call it was
    in, that call being run again alone to tell a hang from slowness."""
    out = []
    while len(out) < len(calls):
        todo = calls[len(out):]
        try:
            p = subprocess.run(['node', NODE_RUN, '--batch', path],
                               input=json.dumps(todo), capture_output=True,
                               text=True, timeout=timeout)
            lines, hung = p.stdout.splitlines(), False
        except subprocess.TimeoutExpired as e:
            so = e.stdout or b''
            lines = (so.decode() if isinstance(so, bytes) else so).split('\n')
            lines, hung = lines[:-1], True      # last one may be cut
        for ln in lines:
            out.append(node_outcome(json.loads(ln)))
        if hung:
            if len(lines) == 0 or len(todo) == 1:
                out.append(('timeout',))
            continue
        if len(lines) < len(todo):
            err = p.stderr.strip()[-300:]
            out += [('error', 'node exit %d: %s' % (p.returncode, err))] * \
                (len(todo) - len(lines))
    return out


def float_bits(t, s):
    """Bits of a printed f32/f64, or None for a NaN of any kind."""
    s = s.strip()
    if 'nan' in s:
        return None
    x = -math.inf if s == '-inf' else math.inf if s == 'inf' else float(s)
    return struct.pack('<f' if t == 'f32' else '<d', x)


def v128_equal(a, b):
    """Bit-equal, or differing only in lanes that are NaN in both (as f32
    lanes or f64 lanes): SIMD float ops leave NaN payloads open too."""
    if a == b:
        return True
    x, y = bytes.fromhex(a[2:])[::-1], bytes.fromhex(b[2:])[::-1]
    for fmt, w in (('<f', 4), ('<d', 8)):
        ok = True
        for i in range(0, 16, w):
            p, q = x[i:i + w], y[i:i + w]
            if p != q and not (math.isnan(struct.unpack(fmt, p)[0]) and
                               math.isnan(struct.unpack(fmt, q)[0])):
                ok = False
        if ok:
            return True
    return False


def value_equal(t, a, b):
    if t in ('i32', 'i64'):
        return int(a) == int(b)
    if t in ('f32', 'f64'):
        return float_bits(t, a) == float_bits(t, b)
    if t == 'v128':
        return v128_equal(a, b)
    return a == b                       # references: null / ref


def trap_equal(moat_word, node_word):
    return moat_word in TRAP_CLASSES.get(node_word, {node_word})


def node_results(results, vals):
    """Node's printed results of a (maybe wrapped) call in moat's shape."""
    out, i = [], 0
    for t in results:
        if t == 'v128':
            lo, hi = int(vals[i]) % 2**64, int(vals[i + 1]) % 2**64
            out.append('0x%016x%016x' % (hi, lo))
            i += 2
        else:
            out.append(vals[i])
            i += 1
    return out


def compare(results, m, n):
    """'pass', ('skip', reason) or ('fail', why)."""
    if m[0] == 'timeout' and n[0] == 'timeout':
        return ('skip', 'timeout in both')
    if m[0] != n[0]:
        return ('fail', 'outcome differs')
    if m[0] == 'trap':
        return 'pass' if trap_equal(m[1], n[1]) else ('fail', 'trap differs')
    if m[0] == 'error':
        return ('fail', 'both failed')
    if len(m[1]) != len(results) or len(n[1]) != len(results):
        return ('fail', 'result count differs')
    for t, a, b in zip(results, m[1], n[1]):
        if not value_equal(t, a, b):
            return ('fail', 'results differ')
    return 'pass'


def show(o):
    if o[0] == 'ok':
        return ' '.join(o[1]) or '(no results)'
    if o[0] == 'trap':
        return 'trap: ' + o[1]
    return ' '.join(str(x) for x in o)


def generate(seed, path, size_max, extra=()):
    """Writes seed's module to path; returns (bytes, info, note) or
    (None, None, reason) when no usable module came out. Up to REF_TRIES
    inputs are tried with reference types, then the first without; extra
    features (--threads) are enabled in all."""
    rng = random.Random(seed)
    raws = [rng.randbytes(rng.randint(64, size_max))
            for _ in range(REF_TRIES)]
    tries = ([(FEATURES + list(extra), raw) for raw in raws] +
             [(FEATURES_NO_REF + list(extra), raws[0])])
    for k, (feats, raw) in enumerate(tries):
        with open(path + '.bin', 'wb') as f:
            f.write(raw)
        p = subprocess.run(['wasm-opt', '-ttf', path + '.bin'] + feats +
                           ['-o', path], capture_output=True)
        if p.returncode != 0:
            continue
        with open(path, 'rb') as f:
            b = f.read()
        try:
            b = define_imports(b)
            info = b and module_info(b)
        except (ValueError, IndexError):
            b = None
        if b is None:
            continue
        with open(path, 'wb') as f:
            f.write(b)
        v = subprocess.run(['node', '-e', 'process.exit(WebAssembly.'
                            'validate(require("fs").readFileSync('
                            'process.argv[1]))?0:1)', path],
                           capture_output=True)
        if v.returncode == 0:
            note = ('module with reference types enabled (input %d)' %
                    (k + 1) if k < REF_TRIES else
                    'module without reference types')
            return b, info, note
    return None, None, 'no valid 2.0 module without imports'


def given(src, path):
    """Like generate(), for a module from a file (--file)."""
    with open(src, 'rb') as f:
        b = f.read()
    try:
        b = define_imports(b)
        info = b and module_info(b)
    except (ValueError, IndexError):
        b = None
    if b is None:
        return None, None, 'not a WebAssembly 2.0 module without imports'
    with open(path, 'wb') as f:
        f.write(b)
    v = subprocess.run(['node', '-e', 'process.exit(WebAssembly.validate('
                        'require("fs").readFileSync(process.argv[1]))?0:1)',
                        path], capture_output=True)
    if v.returncode != 0:
        return None, None, 'invalid in V8'
    return b, info, 'module from ' + os.path.basename(src)


def kind(o):
    """An outcome without its values: ok, trap: WORDING, timeout, error."""
    return o[0] if o[0] != 'trap' else 'trap: ' + o[1]


def check_module(job):
    """Everything about one seed: {seed, opt, calls, lines, counts}."""
    seed, a = job
    res = {'seed': seed, 'pass': 0, 'fail': 0, 'skip': collections.Counter(),
           'notes': collections.Counter(), 'lines': []}
    d = tempfile.mkdtemp(prefix='moat-diff-%d-' % seed, dir=a.workdir)
    try:
        check_in(seed, a, d, res)
    finally:
        if (res['fail'] or a.keep_all) and a.keep:
            dst = os.path.join(a.keep, 'seed-%d' % seed)
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(d, dst)
        shutil.rmtree(d, ignore_errors=True)
    return res


def compile_moat(seed, a, wasm, obj, res):
    """moat compile -O<seed % 4 or --opt>; False (a failure) if it fails"""
    opt = seed % 4 if a.opt is None else a.opt
    res['opt'] = opt
    try:
        p = subprocess.run([a.moat, 'compile', '-O%d' % opt, wasm, '-o', obj],
                           capture_output=True, text=True,
                           timeout=a.compile_timeout)
        why = 'exit %d: %s' % (p.returncode, p.stderr.strip()[-300:])
    except subprocess.TimeoutExpired:
        p, why = None, 'timed out'
    if p is None or p.returncode != 0:
        res['fail'] += 1
        res['lines'].append('seed %d: moat compile -O%d failed: %s' %
                            (seed, opt, why))
        return False
    return True


def check_nan(seed, a, d, res):
    """--nan: one module of nan_gen.py, every call compared its way"""
    wasm, obj = os.path.join(d, 'm.wasm'), os.path.join(d, 'm.o')
    try:
        calls = nan_gen.make(seed, wasm)
    except OSError as e:
        res['notes']['module skipped: %s' % e] += 1
        return
    res['notes']['signalling-NaN module (nan_gen.py)'] += 1
    if not compile_moat(seed, a, wasm, obj, res):
        return
    calls = [c for c in calls if not a.only or c['name'] == a.only]
    nouts = run_node(wasm, [{'name': c['name'], 'args': [
        [t, v] for t, v in zip(c['params'], c['args'])]} for c in calls],
        a.timeout)
    for c, n in zip(calls, nouts):
        m = run_moat(a.moat, obj, c["name"], c["args"],
                     a.timeout)
        v = nan_gen.compare(c, m, n)
        if v == 'pass':
            res['pass'] += 1
        elif v[0] == 'skip':
            res['skip'][v[1]] += 1
        else:
            res['fail'] += 1
            res['lines'].append('seed %d -O%d: %s(%s): %s: moat %s | node %s'
                                % (seed, res['opt'], c['name'],
                                   ' '.join(c['args']), v[1], show(m),
                                   show(n)))


def check_in(seed, a, d, res):
    if a.nan:
        return check_nan(seed, a, d, res)
    wasm = os.path.join(d, 'm.wasm')
    if a.file:
        b, info, note = given(a.file, wasm)
    else:
        b, info, note = generate(seed, wasm, a.size,
                                 ['--enable-threads'] if a.threads else [])
    if b is None:
        res['notes']['module skipped: ' + note] += 1
        return
    res['notes'][note] += 1
    obj = os.path.join(d, 'm.o')
    if not compile_moat(seed, a, wasm, obj, res):
        return
    opt = res['opt']
    types, funcs, _, exports = info
    calls, wraps = [], {}
    for name, idx in exports:
        if a.only and name != a.only:
            continue
        params, results = types[funcs[idx]]
        node_name = name
        if 'v128' in params + results:
            if name not in wraps:
                wraps[name] = (name, idx, params, results)
            node_name = '__v128_' + name
        for args in arg_sets(seed, name, params):
            nargs = []
            for t, v in zip(params, args):
                nargs += split_v128(t, v) if t == 'v128' else [[t, v]]
            calls.append({'name': name, 'args': args, 'params': params,
                          'results': results, 'node': {'name': node_name,
                                                       'args': nargs}})
    node_wasm = wasm
    if wraps:
        node_wasm = os.path.join(d, 'node.wasm')
        with open(node_wasm, 'wb') as f:
            f.write(add_wrappers(b, list(wraps.values())))
    nouts = run_node(node_wasm, [c['node'] for c in calls], a.timeout)
    for c, n in zip(calls, nouts):
        m = run_moat(a.moat, obj, c['name'], c['args'], a.timeout)
        if n[0] == 'ok':
            n = ('ok', node_results(c['results'], n[1]))
        v = compare(c['results'], m, n)
        sig = c['params'] + c['results']
        if 'v128' in sig:
            res['notes']['calls with v128 (through a wrapper in V8)'] += 1
        if 'funcref' in sig or 'externref' in sig:
            res['notes']['calls with references'] += 1
        if v == 'pass':
            res['pass'] += 1
        elif v[0] == 'skip':
            res['skip'][v[1]] += 1
        else:
            res['fail'] += 1
            if a.brief:                 # stable while wasm-reduce shrinks
                res['lines'].append('%s: %s: moat %s | node %s' %
                                    (c['name'], v[1], kind(m), kind(n)))
                continue
            sig = ','.join(c['params']) + '->' + ','.join(c['results'])
            res['lines'].append(
                'seed %d -O%d: %s(%s) [%s]: %s: moat %s | node %s' %
                (seed, opt, c['name'], ' '.join(c['args']), sig, v[1],
                 show(m), show(n)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--moat', required=True, help='path to build/moat')
    ap.add_argument('--count', type=int, default=100, help='modules')
    ap.add_argument('--seed', type=int, default=1, help='first seed')
    ap.add_argument('--seeds', help='comma-separated seeds (instead of '
                    '--seed and --count)')
    ap.add_argument('--file', help='check this module (seed: for the '
                    'arguments and -O level) instead of generating one')
    ap.add_argument('--only', help='call only this export')
    ap.add_argument('--brief', action='store_true',
                    help='print only mismatching calls without values (for '
                    'wasm-reduce)')
    ap.add_argument('--jobs', type=int, default=2, help='processes')
    ap.add_argument('--timeout', type=float, default=5.0,
                    help='seconds per call (node: per batch of calls)')
    ap.add_argument('--compile-timeout', type=float, default=120.0)
    ap.add_argument('--opt', type=int, choices=range(4),
                    help='moat compile level (default: seed %% 4)')
    ap.add_argument('--size', type=int, default=16384,
                    help='most random input bytes given to -ttf')
    ap.add_argument('--keep', help='copy the files of failing seeds here')
    ap.add_argument('--keep-all', action='store_true',
                    help='with --keep: keep every seed\'s files')
    ap.add_argument('--verbose', '-v', action='store_true',
                    help='print every differing call, not one per module')
    ap.add_argument('--workdir', help='where temporary files go')
    ap.add_argument('--threads', action='store_true',
                    help='also the threads proposal: atomic instructions '
                    'and shared memories')
    ap.add_argument('--nan', action='store_true',
                    help='signalling-NaN modules (nan_gen.py) instead of '
                    'binaryen\'s')
    a = ap.parse_args()

    missing = [t for t in ('node', 'wat2wasm' if a.nan else 'wasm-opt')
               if not shutil.which(t)]
    if missing:
        print('skipped: %s not found' % ' and '.join(missing))
        return 77
    a.moat = os.path.abspath(a.moat)
    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
    seeds = ([int(x) for x in a.seeds.split(',')] if a.seeds else
             list(range(a.seed, a.seed + a.count)))
    if a.file:
        if not os.path.isfile(a.file):
            ap.error('no file %s' % a.file)
        a.file = os.path.abspath(a.file)
        seeds = seeds[:1]
    jobs = [(s, a) for s in seeds]
    tot = {'pass': 0, 'fail': 0, 'modules': 0}
    skip, notes, fails = (collections.Counter(), collections.Counter(),
                          collections.Counter())
    if a.brief:
        r = check_module(jobs[0])
        print('\n'.join(r['lines'] + [k for k in r['notes']
                                       if k.startswith('module skipped')]))
        return 1 if r['fail'] else 0
    with multiprocessing.Pool(a.jobs) as pool:
        for r in pool.imap(check_module, jobs):
            tot['modules'] += 1
            tot['pass'] += r['pass']
            tot['fail'] += r['fail']
            skip.update(r['skip'])
            notes.update(r['notes'])
            if r['fail']:
                fails['seed'] += 1
            if r['lines'] and not a.verbose:
                more = len(r['lines']) - 1
                print(r['lines'][0] + (' (and %d more)' % more if more
                                       else ''), flush=True)
            elif r['lines']:
                print('\n'.join(r['lines']), flush=True)
    what = ('%s, seed %d' % (a.file, seeds[0]) if a.file else
            'seeds ' + (a.seeds or '%d..%d' % (seeds[0], seeds[-1])))
    print('modules: %d (%s), %d with a mismatch' %
          (tot['modules'], what, fails['seed']))
    for k, v in sorted(notes.items()):
        print('  %s: %d' % (k, v))
    for k, v in sorted(skip.items()):
        print('  skipped (%s): %d' % (k, v))
    print('%d passed, %d failed, %d skipped' %
          (tot['pass'], tot['fail'], sum(skip.values())))
    return 1 if tot['fail'] else 0


if __name__ == '__main__':
    sys.exit(main())
