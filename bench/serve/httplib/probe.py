#!/usr/bin/env python3
"""probe.py PORT PATH - POST PATH with a 20-byte body sent in two parts
(10 bytes, 0.3 s pause, 10 bytes), then a second GET on the same
connection; prints what came back and whether the connection stayed."""
import socket, sys, time

port, path = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n"
          .encode() + b"a" * 10)
time.sleep(0.3)
try:
    s.sendall(b"b" * 10)
except OSError as e:
    print("second part:", e)
time.sleep(0.5)
s.settimeout(1)
got = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            got += b"<EOF>"
            break
        got += d
except socket.timeout:
    got += b"<still open>"
except OSError as e:
    got += f"<{e}>".encode()
print(repr(got))
