# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The keeper of a stateless VM: a detached process that starts the domain again whenever the guest stopped it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from ansible_collections.workstation.vms.plugins.module_utils.libvirt_images import KEEPER_PID

KEEPER_MARK = "workstation-vms-keeper"

# Started detached for a stateless domain: its <on_reboot> is destroy (so a guest reboot is a real stop that
# drops the <transient/> overlay), and this loop starts it again. Killed by the module before a host-side
# stop/restart; exits by itself when the domain is undefined.
KEEPER_CODE = r"""
import sys, time, libvirt
uri, uuid = sys.argv[2], sys.argv[3]
libvirt.registerErrorHandler(lambda *args: None, None)
while True:
    try:
        conn = libvirt.open(uri)
        while True:
            try:
                dom = conn.lookupByUUIDString(uuid)
            except libvirt.libvirtError as exc:
                if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                    sys.exit(0)
                raise
            if not dom.isActive():
                dom.create()
            time.sleep(1)
    except libvirt.libvirtError:
        time.sleep(2)
"""


def keeper_pid(vm_dir, uuid):
    try:
        with open(os.path.join(vm_dir, KEEPER_PID)) as handle:
            pid = int(handle.read().strip())
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            cmdline = handle.read().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if KEEPER_MARK.encode() in cmdline and uuid.encode() in cmdline else None


def start_keeper(uri, vm_dir, uuid):
    if keeper_pid(vm_dir, uuid):
        return False
    proc = subprocess.Popen([sys.executable, "-c", KEEPER_CODE, KEEPER_MARK, uri, uuid], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True,
                            start_new_session=True)
    with open(os.path.join(vm_dir, KEEPER_PID), "w") as handle:
        handle.write("%d\n" % proc.pid)
    return True


def stop_keeper(vm_dir, uuid):
    pid = keeper_pid(vm_dir, uuid)
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _dummy in range(50):
            if keeper_pid(vm_dir, uuid) is None:
                break
            time.sleep(0.05)
    try:
        os.unlink(os.path.join(vm_dir, KEEPER_PID))
    except OSError:
        pass
    return bool(pid)
