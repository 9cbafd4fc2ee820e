#!/usr/bin/env python3
"""seed-zlib.py OUT_DIR - seed inputs for fuzz_zlib (fuzz_zlib.c's
format: byte 0 the operation, bytes 1-3 its parameters, then the data):
valid zlib, raw and gzip streams at several levels for uncompress and
inflate, plain data for deflate and the checksums. Made with Python's
zlib module (Debian's zlib1g), so the fuzzer starts from inputs that reach
deep into inflate instead of failing at the header."""
import os
import random
import sys
import zlib


def samples():
    rnd = random.Random(12)
    words = b"the of and to in is sandbox stream window deflate buffer".split()
    text = b" ".join(rnd.choice(words) for _ in range(400))
    yield b""
    yield b"hello, hello!"
    yield text
    yield bytes(rnd.randrange(256) for _ in range(700))
    yield bytes(1500)
    yield bytes(i % 7 for i in range(2000))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seeds = []
    for i, data in enumerate(samples()):
        for level in (0, 1, 6, 9):
            seeds.append(b"\x00\x10\x00\x00" + zlib.compress(data, level))
            # inflate: window byte 7 -> 15 (zlib), 15 -> -15 (raw),
            # 23 -> 31 (gzip), 39 -> 47 (detected); chunk byte pairs
            for wb, byte in ((15, 7), (-15, 15), (31, 23), (47, 39)):
                c = zlib.compressobj(level, zlib.DEFLATED,
                                     31 if wb == 47 else wb)
                z = c.compress(data) + c.flush()
                seeds.append(bytes([1, byte, i, 17 * level]) + z)
        seeds.append(bytes([2, 7, i * 9, i * 3]) + data)
        seeds.append(bytes([3, i, 1, 2]) + data)
    for n, s in enumerate(seeds):
        with open(os.path.join(out, "seed-%03d" % n), "wb") as f:
            f.write(s)
    print("seed-zlib.py: %d seeds in %s" % (len(seeds), out),
          file=sys.stderr)


main()
