#!/usr/bin/env python3
"""caps.py PORT - what a server does with (1) request headers of 12 KiB
and of 40 KiB, (2) a chunked request body, followed by a second request
on the same connection. Prints the status line of each answer."""
import socket, sys

port = int(sys.argv[1])


def exchange(raw, then_get=True):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(2)
    try:
        s.sendall(raw)
        if then_get:
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    except OSError as e:
        got = f"<send failed: {e.strerror}>".encode()
    else:
        got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                got += b"<EOF>"
                break
            got += d
    except socket.timeout:
        got += b"<open>"
    except OSError as e:
        got += f"<{e}>".encode()
    import re
    st = re.findall(rb"HTTP/1\.[01] [^\r\n]*", got)
    ends = re.findall(rb"<[^<>]*>$", got)
    return " | ".join(x.decode() for x in st + ends[-1:])


for kib in (12, 40, 600):
    big = b"X-Big: " + b"a" * (kib * 1024) + b"\r\n"
    print(f"{kib} KiB header:", exchange(
        b"GET /hello HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n"))
print("chunked body:", exchange(
    b"POST /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"))
