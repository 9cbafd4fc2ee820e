// node-run.js - the reference side of test/diff: calls an export of a wasm
// module in V8 (node) and prints what `moat run --invoke` prints.
// Each call gets a fresh instance, so no call sees another's state.
// V8's trap messages are mapped to the spec's assert_trap wording; a few
// V8 messages stand for more than one spec trap (see TRAPS below).
//
//   node node-run.js FILE.wasm NAME [ARG...]   one call, moat's format:
//       each result on its own line, a trap as `trap: WORDING` on stderr
//       and exit 134. ARG is TYPE:VALUE (i32:5 i64:-1 f32:nan f64:-0
//       funcref:null externref:null) or a bare number (i32/f32/f64).
//   node node-run.js --batch FILE.wasm          calls read as JSON from
//       stdin: [{"name": N, "args": [[TYPE, VALUE]...]}...]; one JSON
//       line per call: {"r": [RESULT...]} | {"trap": WORDING, "v8": MSG}
//       | {"err": MSG}. Lines are written as calls finish (a pipe is
//       synchronous on Linux), so a killed run keeps what it finished.
'use strict';
const fs = require('fs');

// V8 message -> spec wording. Where V8 merges spec traps, the wording is
// a class name that gen-and-compare.py expands (TRAP_CLASSES there).
const TRAPS = {
    'unreachable': 'unreachable',
    'memory access out of bounds': 'out of bounds memory access',
    'data segment out of bounds': 'out of bounds memory access',
    'divide by zero': 'integer divide by zero',
    'remainder by zero': 'integer divide by zero',
    'divide result unrepresentable': 'integer overflow',
    // trunc of NaN ("invalid conversion") and of a value out of range
    // ("integer overflow") give the same V8 message
    'float unrepresentable in integer range': 'class:conversion',
    // call_indirect past the end ("undefined element") and table.get/set/
    // fill/copy/init past the end ("out of bounds table access")
    'table index is out of bounds': 'class:table',
    'element segment out of bounds': 'out of bounds table access',
    'table access out of bounds': 'out of bounds table access',
    // a null entry ("uninitialized element") and a wrong signature
    // ("indirect call type mismatch")
    'null function or function signature mismatch': 'class:indirect',
    // threads proposal: an atomic access at a misaligned address
    'operation does not support unaligned accesses': 'unaligned atomic',
};

function trapWording(e) {
    if (e instanceof RangeError && /call stack size/.test(e.message))
        return 'call stack exhausted';
    if (e instanceof WebAssembly.RuntimeError)
        return TRAPS[e.message] || 'unknown: ' + e.message;
    return null;
}

function toWasm(type, v) {
    switch (type) {
    case 'i32': return Number(v) | 0;
    case 'i64': return BigInt(v);
    case 'f32':
    case 'f64': {
        const s = v.replace(/^\+/, '');
        if (/^-?nan$/.test(s)) return NaN;
        if (/^-?inf(inity)?$/.test(s)) return s[0] === '-' ? -Infinity
                                                          : Infinity;
        return Number(s);
    }
    case 'funcref':
    case 'externref':
        if (v !== 'null') throw new Error('only null can be passed');
        return null;
    default: throw new Error('cannot pass a ' + type + ' from JS');
    }
}

function fromWasm(x) {
    if (typeof x === 'bigint') return x.toString();
    if (typeof x === 'number') {
        if (Number.isNaN(x)) return 'nan';    // JS keeps no payload or sign
        if (x === Infinity) return 'inf';
        if (x === -Infinity) return '-inf';
        if (Object.is(x, -0)) return '-0';
        return String(x);                     // shortest round-trip
    }
    return x === null ? 'null' : 'ref';
}

function call(mod, name, args) {
    let inst;
    try {
        inst = new WebAssembly.Instance(mod, {});
        const f = inst.exports[name];
        if (typeof f !== 'function') return { err: 'no exported function ' +
                                                   name };
        const r = f(...args.map(([t, v]) => toWasm(t, v)));
        const rs = Array.isArray(r) ? r : (r === undefined ? [] : [r]);
        return { r: rs.map(fromWasm) };
    } catch (e) {
        const w = trapWording(e);
        return w ? { trap: w, v8: e.message } : { err: String(e) };
    }
}

function parseArg(s) {
    const m = /^(i32|i64|f32|f64|funcref|externref):(.*)$/.exec(s);
    return m ? [m[1], m[2]] : [/^[-+]?\d+$/.test(s) ? 'i32' : 'f64', s];
}

function main(argv) {
    if (argv[0] === '--batch' && argv.length === 2) {
        const mod = new WebAssembly.Module(fs.readFileSync(argv[1]));
        const calls = JSON.parse(fs.readFileSync(0, 'utf8'));
        for (const c of calls)
            fs.writeSync(1, JSON.stringify(call(mod, c.name, c.args)) + '\n');
        return 0;
    }
    if (argv.length < 2) {
        process.stderr.write('usage: node node-run.js FILE.wasm NAME ' +
                             '[TYPE:VALUE...] | --batch FILE.wasm\n');
        return 2;
    }
    const mod = new WebAssembly.Module(fs.readFileSync(argv[0]));
    const out = call(mod, argv[1], argv.slice(2).map(parseArg));
    if (out.r) {
        for (const s of out.r) process.stdout.write(s + '\n');
        return 0;
    }
    if (out.trap) {
        process.stderr.write('trap: ' + out.trap + ' (V8: ' + out.v8 + ')\n');
        return 134;
    }
    process.stderr.write('node-run: ' + out.err + '\n');
    return 1;
}

process.exitCode = main(process.argv.slice(2));
