# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The accelerator a new VM gets: KVM only where a probe guest really runs under it, else TCG."""

from __future__ import annotations

import os
import subprocess
import tempfile

from ansible_collections.workstation.vms.plugins.module_utils.common import InputError

ACCEL_ENV = "WORKSTATION_VMS_ACCEL"
PROBE_BOOT_SECTOR = bytes([0xb0, 0x01, 0xe6, 0xf4, 0xf4, 0xeb, 0xfe])  # mov al,1; out 0xf4,al; hlt; jmp $


def probe_kvm(qemu="qemu-system-x86_64", timeout=3.0):
    """True when KVM really runs a guest: boot a 512-byte boot sector under -accel kvm that writes to QEMU's
    isa-debug-exit port (QEMU exits with status 3). Where KVM hangs guests (nested setups without working
    virtualisation), the probe times out instead; under TCG the same sector exits in about 0.1 s."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    with tempfile.TemporaryDirectory(prefix="wvm-kvm-probe-") as tmp:
        image = os.path.join(tmp, "probe.img")
        with open(image, "wb") as handle:
            handle.write(PROBE_BOOT_SECTOR + b"\0" * (510 - len(PROBE_BOOT_SECTOR)) + b"\x55\xaa")
        try:
            result = subprocess.run(
                [qemu, "-accel", "kvm", "-display", "none", "-nodefaults", "-no-user-config", "-m", "16",
                 "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-drive",
                 "file=%s,format=raw,if=floppy" % image, "-boot", "a"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return result.returncode == 3


def resolve_accel(accel, environ=None, probe=probe_kvm):
    """Domain type for accel auto|kvm|tcg. auto: $WORKSTATION_VMS_ACCEL (kvm|tcg) if set, else the KVM probe."""
    environ = os.environ if environ is None else environ
    if accel == "auto":
        override = environ.get(ACCEL_ENV, "").strip().lower()
        if override in ("kvm", "tcg"):
            accel = override
        elif override:
            raise InputError("accel: environment variable %s='%s' must be kvm or tcg" % (ACCEL_ENV, override))
        else:
            accel = "kvm" if probe() else "tcg"
    return "kvm" if accel == "kvm" else "qemu"
