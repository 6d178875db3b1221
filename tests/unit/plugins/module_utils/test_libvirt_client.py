# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.workstation.vms.plugins.module_utils import libvirt_client as lvc


@pytest.mark.skipif(not lvc.HAS_LIBVIRT, reason="libvirt-python is not installed")
def test_leases_newest_first_without_the_stale_ones():
    v4 = lvc.libvirt.VIR_IP_ADDR_TYPE_IPV4

    class Net:
        def __init__(self, name, leases):
            self._name, self._leases = name, leases

        def name(self):
            return self._name

        def DHCPLeases(self):  # pylint: disable=invalid-name
            return self._leases

    class Conn:
        @staticmethod
        def listAllNetworks(flags):  # pylint: disable=invalid-name
            return [Net("default", [
                {"type": v4, "mac": "52:54:00:AA:00:01", "ipaddr": "192.168.122.10", "expirytime": 100},
                {"type": v4, "mac": "52:54:00:aa:00:01", "ipaddr": "192.168.122.20", "expirytime": 300},
                {"type": lvc.libvirt.VIR_IP_ADDR_TYPE_IPV6, "mac": "52:54:00:aa:00:01", "ipaddr": "fd00::1",
                 "expirytime": 400}]),
                Net("other", [{"type": v4, "mac": "52:54:00:aa:00:02", "ipaddr": "10.0.0.2", "expirytime": 5}])]

    client = object.__new__(lvc.LibvirtClient)
    client.conn = Conn()
    mac = "52:54:00:aa:00:01"
    assert client.leases() == {mac: ["192.168.122.20", "192.168.122.10"], "52:54:00:aa:00:02": ["10.0.0.2"]}
    assert client.leases(["default"]) == {mac: ["192.168.122.20", "192.168.122.10"]}
    # a VM started again: the records it held before name no address of this boot; a renewed one (new expiry) does
    stale = frozenset(client.lease_records(["default"]))
    assert client.leases(["default"], stale) == {}
    renewed = [(mac, "192.168.122.20", 300)]
    assert client.leases(["default"], stale - set(renewed)) == {mac: ["192.168.122.20"]}


@pytest.mark.skipif(not lvc.HAS_LIBVIRT, reason="libvirt-python is not installed")
@pytest.mark.parametrize("state, reason, name", [
    ("VIR_DOMAIN_PAUSED", "VIR_DOMAIN_PAUSED_STARTING_UP", "running"),  # being started: resuming it would fail
    ("VIR_DOMAIN_PAUSED", "VIR_DOMAIN_PAUSED_USER", "paused"),
    ("VIR_DOMAIN_RUNNING", "VIR_DOMAIN_RUNNING_BOOTED", "running"),
    ("VIR_DOMAIN_SHUTOFF", "VIR_DOMAIN_SHUTOFF_DESTROYED", "stopped"),
])
def test_state_of_a_domain_being_started_is_running(state, reason, name):
    class Dom:
        @staticmethod
        def state():
            return [getattr(lvc.libvirt, state), getattr(lvc.libvirt, reason)]
    assert lvc.LibvirtClient.state(Dom()) == name
