# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.workstation.vms.plugins.module_utils import libvirt_options as lvo
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError


def test_stable_mac_is_stable_and_local():
    assert lvo.stable_mac("x") == lvo.stable_mac("x")
    assert lvo.stable_mac("x") != lvo.stable_mac("y")
    assert lvo.stable_mac("x").startswith("52:54:00:")


@pytest.mark.parametrize("name", ["", "-a", "a-", "a_b", "a.b", "x" * 64])
def test_bad_names(name):
    with pytest.raises(InputError, match="name"):
        lvo.validate_name(name)


def test_mac_validation():
    assert lvo.normalize_mac("52-54-00-AA-bb-01") == "52:54:00:aa:bb:01"
    for bad in ("52:54:00:aa:bb", "zz:54:00:aa:bb:01", "01:54:00:aa:bb:01"):
        with pytest.raises(InputError, match="mac"):
            lvo.normalize_mac(bad)


@pytest.mark.parametrize("value,expected", [
    (None, {"mode": "network", "source": "default"}),
    ("lan", {"mode": "network", "source": "lan"}),
    ("network:lan", {"mode": "network", "source": "lan"}),
    ("bridge:br0", {"mode": "bridge", "source": "br0"}),
    ("user", {"mode": "user", "source": ""}),
])
def test_parse_network(value, expected):
    assert lvo.parse_network(value) == expected


@pytest.mark.parametrize("value", ["bridge:", "foo:bar", "a b"])
def test_parse_network_bad(value):
    with pytest.raises(InputError, match="network"):
        lvo.parse_network(value)


def test_port_forwards():
    user = {"mode": "user", "source": ""}
    fwd = lvo.normalize_port_forwards([{"host_port": 2222, "guest_port": 22}], user)
    assert fwd == [{"protocol": "tcp", "host_address": "127.0.0.1", "host_port": 2222, "guest_port": 22}]
    with pytest.raises(InputError, match=r"port_forwards\[0\].guest_port"):
        lvo.normalize_port_forwards([{"host_port": 2222, "guest_port": 70000}], user)
    with pytest.raises(InputError, match="only with network=user"):
        lvo.normalize_port_forwards([{"host_port": 2222, "guest_port": 22}], {"mode": "network", "source": "d"})
    with pytest.raises(InputError, match="twice"):
        lvo.normalize_port_forwards([{"host_port": 1, "guest_port": 22}, {"host_port": 1, "guest_port": 23}], user)


def test_guest_mount_commands():
    cmds = lvo.guest_mount_commands([{"path": "/a b", "type": "virtiofs", "readonly": True, "tag": "t"},
                                    {"path": "/c", "type": "9p", "readonly": False, "tag": "u"}])
    assert "mount -t virtiofs -o ro t '/a b'" in cmds[0][2]
    assert "mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 u /c" in cmds[1][2]


def test_mount_kind(tmp_path):
    fake = tmp_path / "virtiofsd"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert lvo.mount_kind({"readonly": False}, "auto", str(fake)) == "virtiofs"
    assert lvo.mount_kind({"readonly": True}, "auto", str(fake)) == "9p"
    assert lvo.mount_kind({"readonly": False}, "auto", str(tmp_path / "missing")) == "9p"
