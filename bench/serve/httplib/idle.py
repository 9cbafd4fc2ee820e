#!/usr/bin/env python3
"""idle.py PORT N PID - open N keep-alive connections to 127.0.0.1:PORT,
send one GET /hello on each and read its answer, then hold them all open;
print the server PID's VmRSS before and with them, and how many were
answered. Raises RLIMIT_NOFILE to its hard limit first."""
import asyncio, resource, sys

REQ = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def nfds(pid):
    import os
    return len(os.listdir(f"/proc/{pid}/fd"))


async def one(port, sem, held):
    async with sem:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(REQ)
        await w.drain()
        head = await r.readuntil(b"\r\n\r\n")
        body = b""
        if b"content-length: 13" in head.lower():
            body = await r.readexactly(13)
        else:                       # chunked
            body = await r.readuntil(b"0\r\n\r\n")
        held.append((r, w))
        return head.startswith(b"HTTP/1.1 200") and b"Hello, world" in body


async def main():
    port, n, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    before = rss_kib(pid)
    held = []
    sem = asyncio.Semaphore(200)       # connect at most 200 at a time
    res = await asyncio.gather(*(one(port, sem, held) for _ in range(n)),
                               return_exceptions=True)
    ok = sum(1 for x in res if x is True)
    await asyncio.sleep(2)
    # still open? a closed one reads EOF at once
    alive = sum(1 for r, w in held if not r.at_eof())
    after = rss_kib(pid)
    print(f"rss_before_kib={before} rss_idle_kib={after} answered={ok} "
          f"open_after_2s={alive} server_fds={nfds(pid)}")
    errs = [x for x in res if isinstance(x, BaseException)]
    if errs:
        print("first error:", repr(errs[0]), file=sys.stderr)
    for r, w in held:
        w.close()

asyncio.run(main())
