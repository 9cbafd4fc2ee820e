#!/usr/bin/env python3
"""Conformance of the text front-end (frontend/wat_*.c): every top-level
(module ...) command in the 2.0 spec suite's .wast files, and every text
module inside an assertion, converted by Moat (wast_modules, which also
validates the result) and by wabt's wast2json, must give the same module:
equal bytes, or else equal wasm2wat text.
Binary and quoted modules are skipped (they are not text modules), with
the reason. Prints "N passed, N failed, N skipped"; exit 77 without wabt.

  run-wat-spec.py WAST_MODULES SPECDIR [NAME.wast ...]
  run-wat-spec.py WAST_MODULES --tree ROOT SUBDIR...   every .wat below
                                                       ROOT/SUBDIR
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile


def wasm2wat(path):
    r = subprocess.run(['wasm2wat', '--no-check', '--enable-threads', path],
                       capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else 'wasm2wat failed: ' + r.stderr


def run_file(tool, wast, tmp, totals, skips, failures):
    theirs_dir = os.path.join(tmp, 'theirs')
    ours_dir = os.path.join(tmp, 'ours')
    for d in (theirs_dir, ours_dir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    base = os.path.basename(wast)
    # threads: the repository's atomics tests (2.0 modules are the same)
    r = subprocess.run(['wast2json', '--enable-annotations',
                        '--enable-threads', wast, '-o',
                        os.path.join(theirs_dir, 'x.json')],
                       capture_output=True, text=True)
    theirs = {}
    if r.returncode == 0:
        with open(os.path.join(theirs_dir, 'x.json')) as f:
            for c in json.load(f)['commands']:
                if 'filename' in c and c.get('module_type') != 'text':
                    theirs[c['line']] = os.path.join(theirs_dir,
                                                     c['filename'])
    out = subprocess.run([tool, wast, ours_dir], capture_output=True,
                         text=True)
    if out.returncode != 0:
        failures.append(f'{base}: wast_modules exited {out.returncode}: '
                        f'{out.stderr.strip()}')
        totals['failed'] += 1
        return
    for line in out.stdout.splitlines():
        verdict, num, *rest = line.split(' ', 2)
        num = int(num)
        why = rest[0] if rest else ''
        kind = 'nested' if why == 'nested' else 'top'
        if verdict == 'ok' and why == 'malformed':
            totals['passed'] += 1       # rejected, as it must be
            totals['malformed'] += 1
            continue
        if verdict == 'skip':
            totals['skipped'] += 1
            skips[why] += 1
            continue
        if verdict == 'fail':
            totals['failed'] += 1
            failures.append(f'{base}:{num}: {why}')
            continue
        if num not in theirs:
            totals['skipped'] += 1
            skips['wast2json wrote no module for the line (' +
                  (r.stderr.strip().splitlines() or [f'{base}:{num}'])[0][:60]
                  + ')'] += 1
            continue
        ours = os.path.join(ours_dir, f'{num}.wasm')
        with open(ours, 'rb') as a, open(theirs[num], 'rb') as b:
            if a.read() == b.read():
                totals['passed'] += 1
                totals['byte-equal'] += 1
                totals[kind] += 1
                continue
        wa, wb = wasm2wat(ours), wasm2wat(theirs[num])
        if wa == wb and not wa.startswith('wasm2wat failed'):
            totals['passed'] += 1
            totals[kind] += 1
            continue
        totals['failed'] += 1
        diff = [f'  ours:   {x}\n  theirs: {y}'
                for x, y in zip(wa.splitlines(), wb.splitlines()) if x != y]
        failures.append(f'{base}:{num}: differs from wast2json\n' +
                        '\n'.join(diff[:3] or [wa[:200], wb[:200]]))


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    for prog in ('wast2json', 'wasm2wat'):
        if not shutil.which(prog):
            print(f'SKIP: {prog} (wabt) is not installed')
            return 77
    tool, specdir = sys.argv[1], sys.argv[2]
    if specdir == '--tree':
        specdir, names = sys.argv[3], []
        for sub in sys.argv[4:]:
            for top, _, files in os.walk(os.path.join(specdir, sub)):
                names += [os.path.join(top, f) for f in files
                          if f.endswith('.wat')]
        names.sort()
    elif not os.path.isdir(specdir):
        print(f'SKIP: no spec suite at {specdir}')
        return 77
    else:
        names = sys.argv[3:] or sorted(n for n in os.listdir(specdir)
                                       if n.endswith(('.wast', '.wat')))
    totals = collections.Counter()
    skips = collections.Counter()
    failures = []
    with tempfile.TemporaryDirectory(prefix='wat-spec-') as tmp:
        for n in names:
            run_file(tool, os.path.join(specdir, n), tmp, totals, skips,
                     failures)
    for f in failures[:60]:
        print('FAIL', f)
    if len(failures) > 60:
        print(f'... and {len(failures) - 60} more failures')
    for why, k in sorted(skips.items()):
        print(f'skipped {k}: {why}')
    print(f"passed: {totals['top']} top-level modules, {totals['nested']} "
          'modules inside assert_invalid/_unlinkable/_uninstantiable/'
          '_trap/_exhaustion (assert_invalid ones rejected by the validator), '
          f"{totals['malformed']} assert_malformed quoted modules rejected")
    print(f"{totals['passed']} passed ({totals['byte-equal']} byte-equal), "
          f"{totals['failed']} failed, {totals['skipped']} skipped "
          f'({len(names)} files)')
    return 1 if totals['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
