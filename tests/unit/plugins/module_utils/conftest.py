# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A full qemu_vm spec (every setting of libvirt_domain.SETTINGS plus the files) for the libvirt tests."""

from __future__ import annotations

import pytest

from ansible_collections.workstation.vms.plugins.module_utils.libvirt_options import stable_mac


@pytest.fixture
def vm_spec():
    def make(**over):
        spec = dict(
            name="qvm-a", uuid=None, cpus=1, memory=1024 ** 3, accel="qemu", firmware="bios",
            kernel="/k/vmlinuz", initrd="/k/initrd.img", cmdline="root=/dev/vda rw console=ttyS0", stateless=False,
            mac=stable_mac("qvm-a"), network={"mode": "network", "source": "default"}, port_forwards=[],
            mounts=[], graphics="none", labels={"role": "dev"}, image="/img/base.qcow2", backing="/img/base.qcow2",
            cloud_init="abc", dir="/pool/qvm-a", overlay="/pool/qvm-a/disk.qcow2", seed="/pool/qvm-a/seed.iso")
        spec.update(over)
        return spec
    return make
