# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import socket
import threading

import pytest

from ansible_collections.workstation.vms.plugins.module_utils.waiting import WaitTimeout, poll, ssh_banner


def test_poll_returns_the_first_truthy_value():
    answers = iter([None, (False, "booting"), "10.0.0.2"])
    assert poll(lambda: next(answers), timeout=5, what="IPv4", interval=0.01) == "10.0.0.2"


def test_poll_timeout_says_what_and_last_seen():
    with pytest.raises(WaitTimeout, match=r"waiting for cloud-init \(last seen: running\)"):
        poll(lambda: (False, "running"), timeout=0.05, what="cloud-init", interval=0.01)


def _serve_once(payload):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer():
        conn = server.accept()[0]
        conn.sendall(payload)
        conn.close()
        server.close()
    threading.Thread(target=answer, daemon=True).start()
    return server.getsockname()[1]


def test_ssh_banner_needs_an_ssh_server():
    assert ssh_banner("127.0.0.1", _serve_once(b"SSH-2.0-OpenSSH_9.2\r\n"))
    assert not ssh_banner("127.0.0.1", _serve_once(b"HTTP/1.1 400\r\n"))
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    assert not ssh_banner("127.0.0.1", port, timeout=0.5)
