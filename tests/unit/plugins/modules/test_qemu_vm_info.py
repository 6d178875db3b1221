# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""qemu_vm_info on the recorded libvirt of test_qemu_vm: the VMs qemu_vm made (not other domains), one by name, by
label, a missing name; never a change. A real VM answers it in the qemu_vm molecule scenario."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.workstation.vms.plugins.modules import qemu_vm_info
from ansible_collections.workstation.vms.tests.unit.plugins.modules import test_qemu_vm as qemu_test
from ansible_collections.workstation.vms.tests.unit.plugins.modules.test_qemu_vm import FakeClient, FakeDom

run = qemu_test.run   # qemu_vm on the fake client (a pytest fixture)


@pytest.fixture
def info(run, capsys):  # pylint: disable=redefined-outer-name
    """qemu_vm_info on the same fake client as `run`."""
    def run_info(check_mode=False, **args):
        with patch_module_args(dict(args, _ansible_check_mode=check_mode)):
            with pytest.raises(SystemExit):
                qemu_vm_info.main()
        return json.loads(capsys.readouterr().out)
    return run_info


def without_addresses(instance):
    return {key: value for key, value in instance.items() if key not in ("ipv4", "ipv6", "ssh")}


def test_the_vms_of_qemu_vm_in_its_shape(run, info):  # pylint: disable=redefined-outer-name
    made = run(labels={"role": "web"})
    run(name="qvm-u2", mac="52:54:00:aa:bb:cd", state="stopped", wait_for="none", labels={"role": "db"})
    FakeClient.domains["other"] = FakeDom("<domain type='kvm'><name>other</name><vcpu>1</vcpu>"
                                          "<memory unit='KiB'>1024</memory><os/><devices/></domain>")
    del FakeClient.calls[:]
    for check_mode in (False, True):
        one = info(check_mode=check_mode, name="qvm-u")
        # the addresses aside: the fake's lease of the boot before this run's start is an address only qemu_vm skips
        assert not one["changed"] and [without_addresses(i) for i in one["instances"]] == [
            without_addresses(made["instance"])]
    listed = info()
    assert sorted(i["name"] for i in listed["instances"]) == ["qvm-u", "qvm-u2"]
    assert [i["name"] for i in info(labels={"role": "db"})["instances"]] == ["qvm-u2"]
    assert info(name="other")["instances"] == [] and info(name="qvm-none")["instances"] == []
    assert FakeClient.calls == []


def test_bad_input_fails_naming_the_option(info):  # pylint: disable=redefined-outer-name
    bad = info(name="bad_name")
    assert bad["failed"] and bad["msg"].startswith("name:") and bad["instances"] == []
