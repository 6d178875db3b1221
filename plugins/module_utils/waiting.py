# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One poll loop with a deadline, and the probes every backend waits on (SSH banner)."""

from __future__ import annotations

import socket
import time


class WaitTimeout(Exception):
    """The deadline passed; the message says what was awaited and what was last seen."""


def poll(probe, timeout, what, interval=0.5, max_interval=3.0):
    """Call `probe()` until it returns a truthy value, and return that value.

    `probe` may return (False, "last seen ...") to say why it is not ready yet."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        result = probe()
        if isinstance(result, tuple):
            result, last = result
        if result:
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout("timed out after %ss waiting for %s%s"
                              % (timeout, what, " (last seen: %s)" % last if last else ""))
        time.sleep(min(interval, remaining))
        interval = min(interval * 1.5, max_interval)


def ssh_banner(host, port=22, timeout=3.0):
    """True when an SSH server answers on host:port with its banner."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False
