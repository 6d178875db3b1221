# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.workstation.vms.plugins.module_utils import libvirt_accel as acc
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError


def test_resolve_accel():
    assert acc.resolve_accel("tcg") == "qemu"
    assert acc.resolve_accel("kvm") == "kvm"
    assert acc.resolve_accel("auto", {acc.ACCEL_ENV: "tcg"}, probe=lambda: True) == "qemu"
    assert acc.resolve_accel("auto", {}, probe=lambda: True) == "kvm"
    assert acc.resolve_accel("auto", {}, probe=lambda: False) == "qemu"
    with pytest.raises(InputError, match=acc.ACCEL_ENV):
        acc.resolve_accel("auto", {acc.ACCEL_ENV: "xen"})
