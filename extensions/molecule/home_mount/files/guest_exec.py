# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a shell command in a libvirt guest through qemu-guest-agent (no SSH needed); test helper.

usage: guest_exec.py DOMAIN 'shell command' [URI]
Prints the command's stdout and stderr and exits with its exit code."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time


def agent(uri, domain, command):
    out = subprocess.run(["virsh", "-c", uri, "qemu-agent-command", domain, json.dumps(command)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["return"]


def main():
    domain, script = sys.argv[1], sys.argv[2]
    uri = sys.argv[3] if len(sys.argv) > 3 else "qemu:///system"
    pid = agent(uri, domain, {"execute": "guest-exec", "arguments": {
        "path": "/bin/sh", "arg": ["-c", script], "capture-output": True}})["pid"]
    deadline = time.time() + 120
    while True:
        status = agent(uri, domain, {"execute": "guest-exec-status", "arguments": {"pid": pid}})
        if status.get("exited"):
            break
        if time.time() > deadline:
            sys.exit("guest_exec: timed out after 120 s waiting for the guest agent to report that %r exited in %s"
                     % (script, domain))
        time.sleep(0.5)
    sys.stdout.write(base64.b64decode(status.get("out-data", "")).decode("utf-8", "replace"))
    sys.stderr.write(base64.b64decode(status.get("err-data", "")).decode("utf-8", "replace"))
    sys.exit(status.get("exitcode", 1))


if __name__ == "__main__":
    main()
