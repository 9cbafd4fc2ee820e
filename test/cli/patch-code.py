#!/usr/bin/env python3
"""patch-code.py IN.o OUT.o SYMBOL OFFSET HEXBYTES - a copy of an ELF
object with HEXBYTES written over the code of function SYMBOL at OFFSET
from its start (the tests' way to plant an instruction); SYMBOL - is the
start of the first code section."""
import struct
import sys

src, dst, name, off, data = sys.argv[1:6]
b = bytearray(open(src, 'rb').read())
shoff, = struct.unpack_from('<Q', b, 0x28)
shnum, = struct.unpack_from('<H', b, 0x3c)
secs = [struct.unpack_from('<IIQQQQIIQQ', b, shoff + 64 * i)
        for i in range(shnum)]
if name == '-':
    code = next(s for s in secs if s[2] & 4)           # SHF_EXECINSTR
    at = code[4] + int(off, 0)
    patch = bytes.fromhex(data)
    b[at:at + len(patch)] = patch
    open(dst, 'wb').write(b)
    sys.exit(0)
symtab = next(s for s in secs if s[1] == 2)            # SHT_SYMTAB
strtab = secs[symtab[6]]
for k in range(symtab[5] // 24):
    st_name, _, _, shndx, value, _ = struct.unpack_from(
        '<IBBHQQ', b, symtab[4] + 24 * k)
    end = b.index(b'\0', strtab[4] + st_name)
    if b[strtab[4] + st_name:end].decode() == name:
        at = secs[shndx][4] + value + int(off, 0)
        patch = bytes.fromhex(data)
        b[at:at + len(patch)] = patch
        open(dst, 'wb').write(b)
        sys.exit(0)
sys.exit("patch-code.py: no symbol %s in %s" % (name, src))
