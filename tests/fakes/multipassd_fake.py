# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fake `multipassd` (tests only): a process that listens on the daemon's address, so that the fake client
finds the daemon up or down the way the real client does, by whether the socket answers.

    multipassd start | stop | serve

The address is MULTIPASS_SERVER_ADDRESS as the client reads it (`unix:<path>` or `<host>:<port>`; unset: the real
client's default, unix:/run/multipass_socket). `start` returns once the socket answers; the pid is kept in
MULTIPASS_FAKE_STATE/multipassd.pid. `stop` ends that process and returns once the socket no longer answers (a
stopped multipassd leaves no one listening). A daemon nobody talked to for IDLE_EXIT seconds ends by itself, so a
test run that dies before its cleanup leaves no process behind for long.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

DEFAULT_ADDRESS = "unix:/run/multipass_socket"
IDLE_EXIT = 3600
WAIT = 10


def address():
    """The daemon address as src/client/common/client_common.cpp get_server_address() picks it (Linux)."""
    if os.environ.get("MULTIPASS_SERVER_ADDRESS"):
        return os.environ["MULTIPASS_SERVER_ADDRESS"]
    if os.environ.get("SNAP_COMMON"):
        return "unix:" + os.path.join(os.environ["SNAP_COMMON"], "multipass_socket")
    return DEFAULT_ADDRESS


def endpoint(addr):
    """(family, sockaddr) for an address."""
    if addr.startswith("unix:"):
        return socket.AF_UNIX, addr[len("unix:"):]
    host, _sep, port = addr.rpartition(":")
    return socket.AF_INET, (host or "localhost", int(port))


def probe(addr):
    """None when the daemon answers at addr, else the OSError of the connection attempt."""
    family, where = endpoint(addr)
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        try:
            sock.connect(where)
        except OSError as exc:
            return exc
    return None


def pidfile():
    """Next to the socket (a unix address), else in the state directory."""
    family, where = endpoint(address())
    if family == socket.AF_UNIX:
        return where + ".pid"
    state = os.environ.get("MULTIPASS_FAKE_STATE") or os.path.expanduser("~/.cache/multipass-fake")
    return os.path.join(state, "multipassd-%s.pid" % where[1])


def serve(addr):
    """Listen at addr and accept (and drop) connections until SIGTERM or IDLE_EXIT seconds of silence."""
    family, where = endpoint(addr)
    if family == socket.AF_UNIX:
        os.makedirs(os.path.dirname(where) or ".", exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(where)
    server = socket.socket(family, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(where)
    server.listen(64)
    server.settimeout(IDLE_EXIT)

    def finish(*_args):
        server.close()
        if family == socket.AF_UNIX:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(where)
        sys.exit(0)
    signal.signal(signal.SIGTERM, finish)
    while True:
        try:
            conn, _peer = server.accept()
        except socket.timeout:
            finish()
        conn.close()


def poll(condition, what):
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("fake multipassd: timed out after %ds waiting for %s" % (WAIT, what))
        time.sleep(0.02)


def start():
    addr = address()
    if probe(addr) is None:
        return
    os.makedirs(os.path.dirname(pidfile()), exist_ok=True)
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    with open(pidfile(), "w") as handle:
        handle.write("%d\n" % proc.pid)
    poll(lambda: probe(addr) is None or proc.poll() is not None, "the socket %s to answer" % addr)
    if proc.poll() is not None:
        raise SystemExit("fake multipassd: could not listen at %s" % addr)


def stop():
    try:
        with open(pidfile()) as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    addr = address()
    poll(lambda: probe(addr) is not None, "the socket %s to stop answering" % addr)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    os.unlink(pidfile())


def environment(base):
    """The variables that give a test its own fake Multipass under the directory base: the state directory, the
    daemon's socket, and the client certificate, alias scripts and alias dictionary instead of in the user's data
    and config directories."""
    return {"MULTIPASS_FAKE_STATE": os.path.join(base, "state"),
            "MULTIPASS_SERVER_ADDRESS": "unix:" + os.path.join(base, "multipass_socket"),
            "XDG_DATA_HOME": os.path.join(base, "client-data"), "XDG_CONFIG_HOME": os.path.join(base, "client-config")}


@contextlib.contextmanager
def running():
    """The fake daemon up for the duration of a `with` block (test fixtures)."""
    start()
    try:
        yield
    finally:
        stop()


def main(argv):
    commands = {"start": start, "stop": stop, "serve": lambda: serve(address())}
    if len(argv) != 1 or argv[0] not in commands:
        sys.stderr.write("usage: multipassd start|stop|serve\n")
        return 1
    commands[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
