#!/usr/bin/env python3
"""check-embedding-doc.py SRCDIR - docs/embedding.md against the public
headers: every moat_ name it mentions is declared in include/ (a name
ending in '_' is a prefix of one), and every call it writes out, in a code
block or an inline `code` span, has as many arguments as the declaration
has parameters; a block after `<!-- quoted from FILE -->` is FILE's text
(FILE is built and run by the test suite). Prints "N passed, N failed"."""
import re
import sys

src = sys.argv[1]
heads = ''.join(open(f'{src}/include/{h}').read()
                for h in ('moat.h', 'moat_compile.h', 'moat_wasi.h'))
heads = re.sub(r'/\*.*?\*/', '', heads, flags=re.S)


def split_args(s):
    """Top-level comma-separated pieces of s (inside one pair of parens)."""
    depth, cur, out = 0, '', []
    for ch in s:
        if ch in '([{':
            depth += 1
        elif ch in ')]}':
            depth -= 1
        if ch == ',' and depth == 0:
            out.append(cur)
            cur = ''
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return out


def paren_body(text, i):
    """The text between the '(' at i and its match, or None."""
    depth = 0
    for j in range(i, len(text)):
        depth += text[j] == '('
        depth -= text[j] == ')'
        if depth == 0:
            return text[i + 1:j]
    return None


# functions: name -> parameter count (variadic: None)
funcs = {}
for m in re.finditer(r'\b(moat_\w+)\s*\(', heads):
    before = heads[max(0, m.start() - 80):m.start()]
    if not re.search(r'(MOAT_API|static inline)[^;{}]*$', before):
        continue
    body = paren_body(heads, m.end() - 1)
    if body is None:
        continue
    args = split_args(body)
    n = 0 if [a.strip() for a in args] == ['void'] else len(args)
    funcs[m.group(1)] = None if '...' in body else n
names = set(re.findall(r'\bmoat_\w+', heads)) | set(funcs)

doc = open(f'{src}/docs/embedding.md').read()
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f'FAIL {what}')


for name in sorted(set(re.findall(r'\bmoat_\w+', doc))):
    if name.endswith('_'):
        check(any(n.startswith(name) for n in names),
              f'{name}: no declared name starts so')
    else:
        check(name in names, f'{name}: not declared in include/')

for path, block in re.findall(
        r'<!-- quoted from (\S+) -->\n```c\n(.*?)```', doc, flags=re.S):
    check(block in open(f'{src}/{path}').read(),
          f'the quote of {path} differs from the file')

code = re.findall(r'```c\n(.*?)```', doc, flags=re.S)
code += re.findall(r'`([^`\n]*\([^`]*)`', doc)
for block in code:
    for m in re.finditer(r'\b(moat_\w+)\(', block):
        name = m.group(1)
        body = paren_body(block, m.end() - 1)
        if name not in funcs or funcs[name] is None or body is None:
            continue
        args = split_args(body)
        n = 0 if not body.strip() else len(args)
        check(n == funcs[name],
              f'{name}({body.strip()[:60]}): {n} arguments, declared '
              f'with {funcs[name]}')

print(f'{passed} passed, {failed} failed')
sys.exit(1 if failed else 0)
