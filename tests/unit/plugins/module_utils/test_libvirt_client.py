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


@pytest.mark.skipif(not lvc.HAS_LIBVIRT, reason="libvirt-python is not installed")
def test_guests_one_stats_call_leases_once_agent_only_without_lease(vm_spec):
    from ansible_collections.workstation.vms.plugins.module_utils.libvirt_domain import build_domain_xml
    libvirt = lvc.libvirt
    made = []

    class Dom:
        def __init__(self, name, xml_text, agent=None):
            self._name, self._xml, self._agent = name, xml_text, agent

        def name(self):
            return self._name

        def XMLDesc(self, flags):  # pylint: disable=invalid-name
            made.append("XMLDesc " + self._name)
            return self._xml

        def interfaceAddresses(self, source, flags):  # pylint: disable=invalid-name
            made.append("agent " + self._name)
            if self._agent is None:
                raise libvirt.libvirtError("Guest agent is not responding")
            return self._agent

        def state(self):
            raise AssertionError("the state comes from getAllDomainStats, not one call per domain")

    leased, unleased, off = (vm_spec(name=n, mac="52:54:00:00:00:0%d" % i) for i, n in enumerate(("a", "b", "c")))
    agent = {"eth0": {"addrs": [{"type": libvirt.VIR_IP_ADDR_TYPE_IPV4, "addr": "10.0.0.9"},
                                {"type": libvirt.VIR_IP_ADDR_TYPE_IPV6, "addr": "fd00::9"}]}}
    running = {"state.state": libvirt.VIR_DOMAIN_RUNNING, "state.reason": libvirt.VIR_DOMAIN_RUNNING_BOOTED}
    stats = [(Dom("a", build_domain_xml(leased)), running), (Dom("b", build_domain_xml(unleased), agent), running),
             (Dom("c", build_domain_xml(off)), {"state.state": libvirt.VIR_DOMAIN_SHUTOFF, "state.reason": 0}),
             (Dom("other", "<domain type='kvm'><name>other</name></domain>"), running)]

    class Net:
        @staticmethod
        def DHCPLeases():  # pylint: disable=invalid-name
            made.append("leases")
            return [{"type": libvirt.VIR_IP_ADDR_TYPE_IPV4, "mac": "52:54:00:00:00:00", "ipaddr": "192.168.122.5",
                     "expirytime": 1}]

        @staticmethod
        def name():
            return "default"

    class Conn:
        @staticmethod
        def getAllDomainStats(flags):  # pylint: disable=invalid-name
            assert flags == libvirt.VIR_DOMAIN_STATS_STATE
            made.append("stats")
            return stats

        @staticmethod
        def listAllNetworks(flags):  # pylint: disable=invalid-name
            return [Net()]

    client = object.__new__(lvc.LibvirtClient)
    client.conn, client.uri = Conn(), "qemu:///system"
    guests = {g["name"]: g for g in client.guests()}
    assert [(g["state"], g["ipv4"], g["ipv6"]) for _n, g in sorted(guests.items())] == [
        ("running", ["192.168.122.5"], []), ("running", ["10.0.0.9"], ["fd00::9"]), ("stopped", [], []),
        ("running", [], [])]
    assert guests["a"]["labels"] == {"role": "dev"}
    assert made.count("stats") == 1 and made.count("leases") == 1
    assert [m for m in made if m.startswith("agent")] == ["agent b", "agent other"]


@pytest.mark.skipif(not lvc.HAS_LIBVIRT, reason="libvirt-python is not installed")
def test_agent_addresses_follow_the_one_address_rule():
    """The domain's own NIC (by MAC) first, then the others by name; docker0 (sorted first by name) never."""
    libvirt = lvc.libvirt

    def nic(hwaddr, *ips):
        return {"hwaddr": hwaddr, "addrs": [{"type": libvirt.VIR_IP_ADDR_TYPE_IPV4, "addr": ip} for ip in ips]}

    class Dom:
        @staticmethod
        def interfaceAddresses(source, flags):  # pylint: disable=invalid-name
            assert source == libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT
            return {"lo": nic("00:00:00:00:00:00", "127.0.0.1"), "docker0": nic("02:42:ac:11:00:01", "172.17.0.1"),
                    "ens9": nic("52:54:00:AA:00:09", "10.0.0.9"), "enp1s0": nic("52:54:00:aa:00:01", "10.1.0.5")}

    assert lvc.LibvirtClient.agent_addresses(Dom(), "52:54:00:aa:00:09") == (["10.0.0.9", "10.1.0.5"], [])
    assert lvc.LibvirtClient.agent_addresses(Dom()) == (["10.1.0.5", "10.0.0.9"], [])
