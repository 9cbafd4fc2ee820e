#!/usr/bin/env python3
"""cache-tag.py KEY ENTRY IFACE_H - recomputes a compile-cache entry's tag
of format 2 (cli/cache_tag.c) with Python's hashlib and hmac, independently
of moat's SHA-256, and says whether the entry's trailer matches:

    HMAC-SHA-256(key, "MOATTAG2" || le64(len) || SHA-256(lane 0) || ...
                      || SHA-256(lane 3) || MOAT_VERIFY_ENTRY)

over the object (the entry without its 40-byte trailer) cut into 4 lanes
of ceil(len / 256) * 64 bytes, the last ones shorter or empty. The
interface name is read from runtime/verify_iface.h (IFACE_H). Exit 0 and
"tag ok", or 1 naming what differs.
"""
import hashlib
import hmac
import re
import sys

LANES = 4


def tag_of(key, obj, domain):
    chunk = (len(obj) + 64 * LANES - 1) // (64 * LANES) * 64
    msg = b"MOATTAG2" + len(obj).to_bytes(8, "little")
    for i in range(LANES):
        msg += hashlib.sha256(obj[i * chunk:(i + 1) * chunk]).digest()
    return hmac.new(key, msg + domain, "sha256").digest()


def main():
    key = open(sys.argv[1], "rb").read()
    entry = open(sys.argv[2], "rb").read()
    m = re.search(r'#define MOAT_VERIFY_ENTRY "([^"]+)"',
                  open(sys.argv[3]).read())
    if len(key) != 32 or len(entry) < 40 or not m:
        sys.exit("cache-tag.py: key not 32 bytes, entry too short, or no "
                 "MOAT_VERIFY_ENTRY in " + sys.argv[3])
    if entry[-8:] != b"MOATTAG2":
        sys.exit(f"cache-tag.py: trailer magic {entry[-8:]!r}")
    want = tag_of(key, entry[:-40], m.group(1).encode())
    if want != entry[-40:-8]:
        sys.exit(f"cache-tag.py: tag {entry[-40:-8].hex()}, python "
                 f"computes {want.hex()}")
    print("tag ok")


if __name__ == "__main__":
    main()
