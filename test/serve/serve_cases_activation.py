"""serve_cases_activation.py - systemd socket activation without systemd:
the test makes the listening socket, passes it as descriptor 3 with
LISTEN_FDS=1 and LISTEN_PID set to the server's own pid (what
sd_listen_fds checks), and gives a --listen the server must ignore. The
server must answer on the passed socket, say so, and exit 0 on SIGTERM.
"""
import http.client
import os
import signal
import socket
import subprocess
import time

from serve_harness import Fail, env_for_server, short
from serve_cases import route_file

# fd 3 from the passed socket, then the pid the shell keeps across exec
WRAP = 'exec 3<&"$MOAT_TEST_FD"; LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"'


def case_socket_activation(moat, guests, tmp):
    routes = os.path.join(tmp, "activation.ini")
    route_file(routes, f'[route "/a"]\nmodule = {guests}/status.wasm\n')
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    port = ls.getsockname()[1]
    env = env_for_server(tmp)
    env["MOAT_TEST_FD"] = str(ls.fileno())
    proc = subprocess.Popen(
        ["sh", "-c", WRAP, "sh", moat, "serve", "--listen", "127.0.0.1:1",
         "--workers", "2", routes],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, env=env, pass_fds=(ls.fileno(),))
    ls.close()                  # the server's copy is the one that counts
    err = b""
    try:
        deadline = time.monotonic() + 120
        while b"listening on" not in err:
            line = proc.stderr.readline()
            if not line or time.monotonic() > deadline:
                raise Fail(f"no listening line; stderr: {short(err)}")
            err += line
        if b"the socket systemd passed" not in err:
            raise Fail(f"the server did not take the passed socket: "
                       f"{short(err)}")
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/a?body=activated")
        r = c.getresponse()
        body = r.read()
        c.close()
        if r.status != 200 or b"activated" not in body:
            raise Fail(f"GET /a on the passed socket: expected 200 with "
                       f"'activated', got {r.status} {short(body)}")
        proc.send_signal(signal.SIGTERM)
        st = proc.wait(15)
        if st != 0:
            raise Fail(f"SIGTERM: expected exit 0, got {st}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run(runner, tmp):
    runner.case("activation/socket-activation", case_socket_activation,
                runner.args.moat, runner.args.guests, tmp)
