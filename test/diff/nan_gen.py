"""nan_gen.py - modules that put signalling NaNs through every float
operation, for `gen-and-compare.py --nan` (docs/differential.md).

binaryen's generator rarely makes a signalling NaN, and JS can neither
pass nor receive one, so a float never crosses the JS boundary here:
every export takes and returns i32/i64 bits, reinterpreted inside. Each
export applies one operation (scalar or f32x4/f64x2) to operands that are
parameters, inline constants, constants through locals (the -O2 constant
propagation path), parameters through locals, or the third result of a
call to a function with three float results; a SIMD operand may be the
lanes of an f32x4 (f64x2) add, sub, mul or div by an identity constant,
read as f64x2 (f32x4). Values are biased towards signalling NaNs and the
constants LLVM folds with (+-0, +-1).

Each result carries how to compare it with V8 (spec 4.3.3):
  'exact'  a copy or a sign-bit operation (abs, neg, copysign, pmin, pmax,
           select, globals, memory, locals, multi-value results): the bits
           must be equal, NaN payloads included;
  'arith'  add, sub, mul, div, sqrt, min, max, ceil, floor, trunc,
           nearest, promote, demote: a NaN result must be an arithmetic
           NaN (quiet bit set) in both engines, its payload open; any
           other result must be bit-equal.
Exports named `m*` return floats (multi-value, 3 or 5 results) and are
checked in Moat only: each result must be its argument, bit for bit
('arg:K'); node prints any NaN as `nan`.
"""
import random
import struct
import subprocess

# bits by kind; the kinds are drawn with weights (signalling NaNs first)
F32 = {'snan': [0x7fa00001, 0xffa00001, 0x7f800001, 0x7fbfffff],
       'qnan': [0x7fc00000, 0xffc00000, 0x7fe00001],
       'ident': [0x3f800000, 0xbf800000, 0x00000000, 0x80000000],
       'other': [0x40200000, 0x7f800000, 0xff800000, 0x00000001,
                 0xc0490fdb]}
F64 = {'snan': [0x7ff4000000000001, 0xfff4000000000001, 0x7ff0000000000001,
                0x7ff7ffffffffffff],
       'qnan': [0x7ff8000000000000, 0xfff8000000000000, 0x7ffc000000000001],
       'ident': [0x3ff0000000000000, 0xbff0000000000000, 0,
                 0x8000000000000000],
       'other': [0x4004000000000000, 0x7ff0000000000000, 0xfff0000000000000,
                 1, 0xc00921fb54442d18]}
POOLS = {'f32': F32, 'f64': F64}
KINDS, WEIGHTS = ['snan', 'qnan', 'ident', 'other'], [4, 1, 3, 2]
INT = {'f32': 'i32', 'f64': 'i64'}
WIDTH = {'f32': 32, 'f64': 64}

UNARY = {'sqrt': 'arith', 'ceil': 'arith', 'floor': 'arith',
         'trunc': 'arith', 'nearest': 'arith', 'abs': 'exact',
         'neg': 'exact'}
BINARY = {'add': 'arith', 'sub': 'arith', 'mul': 'arith', 'div': 'arith',
          'min': 'arith', 'max': 'arith', 'copysign': 'exact'}
SIMD_BINARY = dict(BINARY, pmin='exact', pmax='exact')
del SIMD_BINARY['copysign']
LANES = {'f32x4': ('f32', 4), 'f64x2': ('f64', 2)}


def pick(rng, t):
    kind = rng.choices(KINDS, WEIGHTS)[0]
    return rng.choice(POOLS[t][kind])


def is_nan(t, bits):
    w = WIDTH[t]
    exp = (bits >> (23 if w == 32 else 52)) & (0xff if w == 32 else 0x7ff)
    frac = bits & ((1 << (23 if w == 32 else 52)) - 1)
    return exp == (0xff if w == 32 else 0x7ff) and frac != 0


def is_quiet(t, bits):
    return bool(bits >> (22 if t == 'f32' else 51) & 1)


def wat_float(t, bits):
    """bits as a wat float literal, exact (NaN payloads included)."""
    w = WIDTH[t]
    sign = '-' if bits >> (w - 1) else ''
    mant = 23 if w == 32 else 52
    if is_nan(t, bits):
        return '%snan:0x%x' % (sign, bits & ((1 << mant) - 1))
    fmt, ifmt = ('<f', '<I') if w == 32 else ('<d', '<Q')
    x = struct.unpack(fmt, struct.pack(ifmt, bits))[0]
    if x in (float('inf'), float('-inf')):
        return sign + 'inf'
    return x.hex()


def float_text_bits(t, s):
    """Bits of a float as `moat run` prints it (nan:0x..., inf, decimal)."""
    s = s.strip()
    neg = s.startswith('-')
    body = s[1:] if neg else s
    w = WIDTH[t]
    mant = 23 if w == 32 else 52
    if body.startswith('nan'):
        payload = int(body[6:], 16) if body.startswith('nan:0x') else \
            1 << (mant - 1)
        bits = ((1 << (w - 1 - mant)) - 1) << mant | payload
    else:
        fmt, ifmt = ('<f', '<I') if w == 32 else ('<d', '<Q')
        x = float('inf') if body == 'inf' else \
            float.fromhex(body) if body.startswith('0x') else float(body)
        bits = struct.unpack(ifmt, struct.pack(fmt, x))[0] & \
            ((1 << (w - 1)) - 1)
    return bits | (neg << (w - 1))


class Func:
    """One export under construction: params are i32/i64 bits ($pN), the
    body is `pre` (statements) then the result expressions."""

    def __init__(self, name):
        self.name, self.params, self.locals, self.pre = name, [], [], []
        self.results, self.checks = [], []

    def param(self, t):
        self.params.append(t)
        return '$p%d' % (len(self.params) - 1)

    def local(self, t):
        self.locals.append(t)
        return '$l%d' % (len(self.locals) - 1)

    def result(self, t, expr, check):
        """a float expression of type t, returned as its bits"""
        self.results.append(INT[t])
        self.checks.append((check, t))
        self.pre.append('(%s.reinterpret_%s %s)' % (INT[t], t, expr))

    def wat(self):
        ps = ''.join(' (param $p%d %s)' % (i, t)
                     for i, t in enumerate(self.params))
        rs = ' (result %s)' % ' '.join(self.results) if self.results else ''
        ls = ''.join(' (local $l%d %s)' % (i, t)
                     for i, t in enumerate(self.locals))
        return '(func (export "%s")%s%s%s\n    %s)' % (
            self.name, ps, rs, ls, '\n    '.join(self.pre))


def scalar(rng, fn, t):
    """A float operand of type t, in one of the forms above."""
    form = rng.choice(['param', 'const', 'local', 'param_local', 'call3'])
    if form in ('param', 'param_local', 'call3'):
        x = '(%s.reinterpret_%s (local.get %s))' % (t, INT[t],
                                                     fn.param(INT[t]))
    else:
        x = '(%s.const %s)' % (t, wat_float(t, pick(rng, t)))
    if form == 'param' or form == 'const':
        return x
    loc = fn.local(t)
    if form == 'call3':                 # the third of three results
        tmp = fn.local(t)
        fn.pre.append('(call $tri_%s %s) (local.set %s) (drop) (drop)' %
                      (t, x, tmp))
        x = '(local.get %s)' % tmp
    fn.pre.append('(local.set %s %s)' % (loc, x))
    return '(local.get %s)' % loc


def vector(rng, fn, shape, cross=True):
    lane, n = LANES[shape]
    form = rng.choice(['splat', 'const', 'local_const'] +
                      (['cross'] if cross else []))
    if form == 'cross':         # lanes of the other shape's arithmetic
        other = 'f64x2' if shape == 'f32x4' else 'f32x4'
        op = rng.choice(['add', 'sub', 'mul', 'div'])
        ident = {'add': '-0', 'sub': '0', 'mul': '1', 'div': '1'}[op]
        k = LANES[other][1]
        return '(%s.%s %s (v128.const %s%s))' % (
            other, op, vector(rng, fn, other, False), other,
            (' ' + ident) * k)
    if form == 'splat':
        return '(%s.splat %s)' % (shape, scalar(rng, fn, lane))
    c = '(v128.const %s %s)' % (shape, ' '.join(
        wat_float(lane, pick(rng, lane)) for _ in range(n)))
    if form == 'const':
        return c
    loc = fn.local('v128')
    fn.pre.append('(local.set %s %s)' % (loc, c))
    return '(local.get %s)' % loc


def vector_results(fn, shape, expr, checks):
    """each lane of a v128 expression as a result; checks per lane"""
    lane, n = LANES[shape]
    v = fn.local('v128')
    fn.pre.append('(local.set %s %s)' % (v, expr))
    for k in range(n):
        fn.result(lane, '(%s.extract_lane %d (local.get %s))' %
                  (shape, k, v), checks[k])


def gen_scalar(rng, fn):
    t = rng.choice(['f32', 'f64'])
    kind = rng.choice(['unary', 'binary', 'binary', 'conv', 'copy'])
    if kind == 'unary':
        op = rng.choice(sorted(UNARY))
        fn.result(t, '(%s.%s %s)' % (t, op, scalar(rng, fn, t)), UNARY[op])
    elif kind == 'binary':
        op = rng.choice(sorted(BINARY))
        a, b = scalar(rng, fn, t), scalar(rng, fn, t)
        fn.result(t, '(%s.%s %s %s)' % (t, op, a, b), BINARY[op])
    elif kind == 'conv':
        if rng.random() < 0.5:
            fn.result('f64', '(f64.promote_f32 %s)' % scalar(rng, fn, 'f32'),
                      'arith')
        elif rng.random() < 0.5:
            fn.result('f32', '(f32.demote_f64 %s)' % scalar(rng, fn, 'f64'),
                      'arith')
        else:
            fn.result('f32', '(f32.demote_f64 (f64.promote_f32 %s))' %
                      scalar(rng, fn, 'f32'), 'arith')
    else:
        gen_copy(rng, fn, t)


def gen_copy(rng, fn, t):
    x = scalar(rng, fn, t)
    how = rng.choice(['select', 'global', 'memory', 'id5'])
    if how == 'select':
        y = scalar(rng, fn, t)
        fn.result(t, '(select (result %s) %s %s (local.get %s))' %
                  (t, x, y, fn.param('i32')), 'exact')
    elif how == 'global':
        fn.pre.append('(global.set $g_%s %s)' % (t, x))
        fn.result(t, '(global.get $g_%s)' % t, 'exact')
    elif how == 'memory':
        fn.pre.append('(%s.store (i32.const 8) %s)' % (t, x))
        fn.result(t, '(%s.load (i32.const 8))' % t, 'exact')
    else:                       # five results through the table
        at = rng.choice([k for k, u in enumerate(ID5) if u == t])
        args = [x if k == at else scalar(rng, fn, u)
                for k, u in enumerate(ID5)]
        tmps = [fn.local(u) for u in ID5]
        fn.pre.append('(call_indirect (type $id5_t) %s (i32.const 0))' %
                      ' '.join(args))
        fn.pre.append(' '.join('(local.set %s)' % v for v in reversed(tmps)))
        for v, u in zip(tmps, ID5):
            fn.result(u, '(local.get %s)' % v, 'exact')


def gen_simd(rng, fn):
    shape = rng.choice(['f32x4', 'f64x2'])
    lane, n = LANES[shape]
    kind = rng.choice(['unary', 'binary', 'binary', 'conv'])
    if kind == 'unary':
        op = rng.choice(sorted(UNARY))
        vector_results(fn, shape, '(%s.%s %s)' % (shape, op,
                                                  vector(rng, fn, shape)),
                       [UNARY[op]] * n)
    elif kind == 'binary':
        op = rng.choice(sorted(SIMD_BINARY))
        a, b = vector(rng, fn, shape), vector(rng, fn, shape)
        vector_results(fn, shape, '(%s.%s %s %s)' % (shape, op, a, b),
                       [SIMD_BINARY[op]] * n)
    elif shape == 'f32x4':      # demote: lanes 2 and 3 are +0
        vector_results(fn, 'f32x4', '(f32x4.demote_f64x2_zero %s)' %
                       vector(rng, fn, 'f64x2'),
                       ['arith', 'arith', 'exact', 'exact'])
    else:
        vector_results(fn, 'f64x2', '(f64x2.promote_low_f32x4 %s)' %
                       vector(rng, fn, 'f32x4'), ['arith', 'arith'])


ID5 = ['f32', 'f64', 'f32', 'f64', 'f32']
FIXED = '''
  (memory 1)
  (global $g_f32 (mut f32) (f32.const 0))
  (global $g_f64 (mut f64) (f64.const 0))
  (type $id5_t (func (param f32 f64 f32 f64 f32)
                     (result f32 f64 f32 f64 f32)))
  (table 1 funcref)
  (elem (i32.const 0) $id5)
  (func $id5 (export "m_id5") (type $id5_t)
    (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4))
  (func $tri_f32 (export "m_tri_f32") (param f32) (result f32 f32 f32)
    (local.get 0) (local.get 0) (local.get 0))
  (func $tri_f64 (export "m_tri_f64") (param f64) (result f64 f64 f64)
    (local.get 0) (local.get 0) (local.get 0))
'''
# the float-result exports: parameter types; result k is argument ARG[k]
MOAT_ONLY = {'m_id5': (ID5, [0, 1, 2, 3, 4]),
             'm_tri_f32': (['f32'], [0, 0, 0]),
             'm_tri_f64': (['f64'], [0, 0, 0])}


def arg_text(rng, t):
    if t in ('i32', 'i64'):
        ft = 'f32' if t == 'i32' else 'f64'
        return '0x%x' % pick(rng, ft)
    return wat_float(t, pick(rng, t))


def make(seed, path, nfuncs=40):
    """Writes seed's module to path (through wat2wasm); returns the calls
    [{name, params, results, checks, args}] or raises OSError."""
    rng = random.Random('nan/%d' % seed)
    funcs = []
    for i in range(nfuncs):
        fn = Func('f%d' % i)
        (gen_simd if rng.random() < 0.4 else gen_scalar)(rng, fn)
        funcs.append(fn)
    text = '(module%s%s)\n' % (FIXED, '\n'.join('  ' + f.wat()
                                                 for f in funcs))
    with open(path + '.wat', 'w') as f:
        f.write(text)
    p = subprocess.run(['wat2wasm', path + '.wat', '-o', path],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise OSError('wat2wasm: ' + p.stderr.strip()[-300:])
    calls = []
    for fn in funcs:
        for _ in range(3 if fn.params else 1):
            calls.append({'name': fn.name, 'params': fn.params,
                          'results': fn.results, 'checks': fn.checks,
                          'args': [arg_text(rng, t) for t in fn.params]})
    for name, (params, which) in sorted(MOAT_ONLY.items()):
        for _ in range(2):
            args = [arg_text(rng, t) for t in params]
            calls.append({'name': name, 'params': params,
                          'results': [params[k] for k in which],
                          'checks': [('arg:%d' % k, params[k])
                                     for k in which], 'args': args})
    return calls


def compare(call, m, n):
    """'pass', ('skip', reason) or ('fail', why) for one call's outcomes
    (as gen-and-compare.py's run_moat and run_node give them)."""
    if m[0] != 'ok':
        return ('fail', 'moat: ' + ' '.join(str(x) for x in m))
    if len(m[1]) != len(call['checks']):
        return ('fail', 'result count differs')
    for k, ((check, t), got) in enumerate(zip(call['checks'], m[1])):
        mask = (1 << WIDTH[t]) - 1
        if check.startswith('arg:'):
            want = float_text_bits(t, call['args'][int(check[4:])])
            if float_text_bits(t, got) != want:
                return ('fail', 'result %d: copy changed the bits' % k)
            continue
        if n[0] != 'ok':
            return ('fail', 'outcome differs')
        mb, nb = int(got) & mask, int(n[1][k]) & mask
        if check == 'arith' and is_nan(t, nb):
            if not is_quiet(t, nb):
                return ('skip', 'V8 gave a signalling NaN')
            if not is_nan(t, mb) or not is_quiet(t, mb):
                return ('fail', 'result %d: 0x%x is not an arithmetic NaN '
                        '(V8 0x%x)' % (k, mb, nb))
        elif mb != nb:
            return ('fail', 'result %d: 0x%x, V8 0x%x' % (k, mb, nb))
    return 'pass'
