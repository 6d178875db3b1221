# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.workstation.vms.plugins.module_utils import libvirt_client as lvc
from ansible_collections.workstation.vms.plugins.modules import qemu_vm


class Exit(Exception):
    pass


def run(args, monkeypatch, capsys):
    """Run the module; LibvirtClient must never be built (bad input fails before any libvirt talk)."""
    def no_client(*a, **k):
        raise AssertionError("LibvirtClient was constructed for bad input")
    monkeypatch.setattr(lvc, "LibvirtClient", no_client)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            qemu_vm.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("args,needle", [
    ({"name": "bad_name"}, "name:"),
    ({"name": "qvm-u", "memory": "lots"}, "memory:"),
    ({"name": "qvm-u", "memory": "64M"}, "memory:"),
    ({"name": "qvm-u", "disk": "10.5K"}, "disk:"),
    ({"name": "qvm-u", "cpus": 0}, "cpus:"),
    ({"name": "qvm-u", "mac": "nope"}, "mac:"),
    ({"name": "qvm-u", "network": "x:y"}, "network:"),
    ({"name": "qvm-u", "network": "default", "port_forwards": [{"host_port": 2222, "guest_port": 22}]},
     "port_forwards:"),
    ({"name": "qvm-u", "mounts": [{"source": "/nonexistent/qvm", "path": "/x"}]}, "mounts[0].source"),
    ({"name": "qvm-u", "labels": {"bad key": 1}}, "labels:"),
    ({"name": "qvm-u", "image": "https://example.invalid/x.qcow2"}, "checksum:"),
    ({"name": "qvm-u", "image": "relative.qcow2"}, "image:"),
    ({"name": "qvm-u", "image": "/nonexistent/base.qcow2"}, "image:"),
    ({"name": "qvm-u", "cmdline": "console=ttyS0"}, "kernel:"),
    ({"name": "qvm-u", "cloud_init": "- not a mapping"}, "cloud_init:"),
    ({"name": "qvm-u", "checksum": "md5:xyz"}, "checksum:"),
])
def test_bad_input_fails_before_libvirt(args, needle, monkeypatch, capsys):
    result = run(args, monkeypatch, capsys)
    assert result["failed"] and needle in result["msg"]
    assert result.get("actions", []) == []


def test_argument_choices(monkeypatch, capsys):
    result = run({"name": "qvm-u", "state": "frozen"}, monkeypatch, capsys)
    assert result["failed"] and "state" in result["msg"]


def test_seed_contents_mount_bootcmd():
    class Mod:
        params = {"cloud_init": {"ssh_authorized_keys": ["k"]}, "meta_data": {"x": 1}, "network_config": None,
                  "mounts": None}
        check_mode = False
    vm = qemu_vm.QemuVm(Mod())
    vm.opts["name"] = "qvm-u"
    vm.user_data = "#cloud-config\nssh_authorized_keys: [k]\n"
    vm.network_config = None
    user, meta, net = vm.seed_contents([{"path": "/m", "type": "virtiofs", "readonly": False, "tag": "t"}])
    assert "bootcmd" in user and "ssh_authorized_keys" in user and "mount -t virtiofs" in user
    assert "local-hostname: qvm-u" in meta and "x: 1" in meta and net is None
