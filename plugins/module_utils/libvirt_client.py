# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""LibvirtClient: every call this collection makes to libvirt (domains, networks, the guest agent, snapshots).

It needs no AnsibleModule: the qemu_vm backend, qemu_snapshot and the inventory plugin all use it."""

from __future__ import annotations

import base64
import json
import os
import time
from urllib.parse import urlparse

from ansible_collections.workstation.vms.plugins.module_utils.common import instance_result, order_nics
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_domain import BACKEND, META_NS, Domain
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_snapshot_xml import parse_snapshot_xml

try:
    import libvirt
    HAS_LIBVIRT = True
except ImportError:  # the modules report it with missing_required_lib
    libvirt = None
    HAS_LIBVIRT = False

DEFAULT_URI = "qemu:///system"
STATE_NAMES = {0: "unknown", 1: "running", 2: "blocked", 3: "paused", 4: "stopping", 5: "stopped", 6: "crashed",
               7: "suspended"}


class LibvirtError(Exception):
    """A libvirt or host operation failed; the message says which."""


def state_name(state, reason):
    # A domain being started (by us, libvirt's autostart or the stateless keeper) is paused until QEMU runs it:
    # it is on its way to running, and resuming it fails ("domain is already running" a moment later).
    if state == libvirt.VIR_DOMAIN_PAUSED and reason == libvirt.VIR_DOMAIN_PAUSED_STARTING_UP:
        return "running"
    return STATE_NAMES.get(state, "unknown")


class LibvirtClient:
    """One libvirt connection; constructible without an AnsibleModule (the inventory plugin uses it)."""

    def __init__(self, uri=DEFAULT_URI):
        if not HAS_LIBVIRT:
            raise LibvirtError("the Python library libvirt-python is required (pip install libvirt-python)")
        self.uri = uri
        libvirt.registerErrorHandler(lambda *args: None, None)
        try:
            self.conn = libvirt.open(uri)
        except libvirt.libvirtError as exc:
            raise LibvirtError("uri: cannot connect to %s: %s" % (uri, exc))

    def close(self):
        try:
            self.conn.close()
        except libvirt.libvirtError:
            pass

    def lookup(self, name):
        try:
            return self.conn.lookupByName(name)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise LibvirtError("cannot look up domain %s: %s" % (name, exc))

    @staticmethod
    def state(dom):
        return state_name(*dom.state()[:2])

    @classmethod
    def xml(cls, dom, inactive=False):
        return cls.call("reading the XML of a domain", dom.XMLDesc, libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0)

    def list_domains(self):
        """Every domain of the connection (one listAllDomains)."""
        try:
            return self.conn.listAllDomains(0)
        except libvirt.libvirtError as exc:
            raise LibvirtError("listing domains on %s failed: %s" % (self.uri, exc))

    @staticmethod
    def name(dom):
        return dom.name()

    def define(self, xml_text):
        try:
            return self.conn.defineXML(xml_text)
        except libvirt.libvirtError as exc:
            raise LibvirtError("defining the domain failed: %s" % exc)

    def network_exists(self, net):
        """Whether the libvirt network or host bridge of `net` is there (user mode always is). A bridge is a host
        interface, checked where this process can see it: on a local connection."""
        if net["mode"] == "bridge":
            return urlparse(self.uri).hostname is not None or os.path.isdir("/sys/class/net/%s/bridge" % net["source"])
        if net["mode"] != "network":
            return True
        try:
            self.conn.networkLookupByName(net["source"])
            return True
        except libvirt.libvirtError:
            return False

    def host_memory(self):
        """The RAM of the libvirt host in bytes."""
        return self.call("reading the host's memory", self.conn.getInfo)[1] * 1024 ** 2

    @staticmethod
    def call(what, func, *args):
        try:
            return func(*args)
        except libvirt.libvirtError as exc:
            raise LibvirtError("%s failed: %s" % (what, exc))

    # --- one domain
    @staticmethod
    def is_active(dom):
        return bool(dom.isActive())

    @staticmethod
    def uuid(dom):
        return dom.UUIDString()

    @staticmethod
    def autostart(dom):
        return bool(dom.autostart())

    def set_autostart(self, dom, enabled):
        self.call("autostart", dom.setAutostart, int(enabled))

    def start(self, dom):
        self.call("start", dom.create)

    def resume(self, dom):
        self.call("resume", dom.resume)

    def pause(self, dom):
        self.call("suspend", dom.suspend)

    def destroy(self, dom):
        self.call("destroy", dom.destroy)

    def undefine(self, dom):
        """Undefine with its NVRAM, managed save image and snapshot metadata (the files are the caller's)."""
        self.call("undefine", dom.undefineFlags, libvirt.VIR_DOMAIN_UNDEFINE_NVRAM
                  | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)

    def grow_disk(self, dom, dev, size):
        """Grow a running VM's disk live (the overlay and the guest's view of it)."""
        self.call("blockResize", dom.blockResize, dev, size, libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES)

    def set_live_metadata(self, dom, meta_xml):
        """Our metadata element also in the running VM (the persistent definition has it already)."""
        self.call("setMetadata", dom.setMetadata, libvirt.VIR_DOMAIN_METADATA_ELEMENT, meta_xml, "wvm", META_NS,
                  libvirt.VIR_DOMAIN_AFFECT_LIVE)

    def stop(self, dom, timeout=60):
        """ACPI shutdown, then destroy if the guest has not stopped within `timeout` seconds."""
        if not dom.isActive():
            return
        if self.state(dom) == "paused":
            self.resume(dom)
        try:
            dom.shutdown()
        except libvirt.libvirtError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not dom.isActive():
                return
            time.sleep(0.5)
        if dom.isActive():
            self.destroy(dom)

    # --- addresses
    def lease_records(self, network_names=None):
        """(mac, ipv4, expirytime) of every IPv4 DHCP lease of the active libvirt networks named (all if None), one
        call per network, newest first: a guest whose DHCP client id changes at every boot (a stateless disk makes
        a new machine-id) leaves its old leases behind until they expire."""
        records = []
        try:
            networks = self.conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE)
        except libvirt.libvirtError:
            return records
        for net in networks:
            if network_names is not None and net.name() not in network_names:
                continue
            try:
                records += [(lease["mac"].lower(), lease["ipaddr"], lease.get("expirytime") or 0)
                            for lease in net.DHCPLeases()
                            if lease.get("type") == libvirt.VIR_IP_ADDR_TYPE_IPV4 and lease.get("mac")]
            except libvirt.libvirtError:
                continue
        return sorted(records, key=lambda record: record[2], reverse=True)

    def leases(self, network_names=None, stale=frozenset()):
        """MAC -> [ipv4], newest lease first, without the `stale` records (those a guest held before it was started
        again: dnsmasq renews a lease it hands out again, so a record still unchanged is from an earlier boot)."""
        result = {}
        for mac, ipv4, expiry in self.lease_records(network_names):
            if (mac, ipv4, expiry) not in stale:
                result.setdefault(mac, []).append(ipv4)
        return result

    @staticmethod
    def agent_addresses(dom, mac=None):
        """(ipv4, ipv6) the guest agent reports, in the address order of every backend (the NIC with the domain's
        `mac` first, never a bridge made inside the guest such as docker0), loopback and link-local left out;
        ([], []) if it does not answer."""
        ipv4, ipv6 = [], []
        try:
            ifaces = dom.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, 0)
        except libvirt.libvirtError:
            return ipv4, ipv6
        own = [name for name, data in ifaces.items() if mac and (data.get("hwaddr") or "").lower() == mac.lower()]
        for name in order_nics(ifaces, own=own):
            for addr in ifaces[name].get("addrs") or []:
                ip = addr.get("addr")
                if addr.get("type") == libvirt.VIR_IP_ADDR_TYPE_IPV4 and not ip.startswith("127."):
                    ipv4.append(ip)
                elif addr.get("type") == libvirt.VIR_IP_ADDR_TYPE_IPV6 and not ip.lower().startswith(("fe80", "::1")):
                    ipv6.append(ip)
        return ipv4, ipv6

    def addresses(self, dom, mac, network, stale=frozenset()):
        """DHCP lease first (libvirt networks; `stale` lease records left out), then the guest agent."""
        if network and network.startswith("network:") and mac:
            leases = self.leases([network.split(":", 1)[1]], stale)
            if leases.get(mac):
                return list(leases[mac]), []
        return self.agent_addresses(dom, mac)

    # --- guest agent
    def agent_exec(self, dom, path, args, timeout=10):
        """Run a command through qemu-guest-agent; (exitcode, stdout) or None while the agent is not there."""
        import libvirt_qemu  # pylint: disable=import-outside-toplevel
        try:
            started = json.loads(libvirt_qemu.qemuAgentCommand(dom, json.dumps(
                {"execute": "guest-exec", "arguments": {"path": path, "arg": args, "capture-output": True}}),
                timeout, 0))
            pid = started["return"]["pid"]
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                status = json.loads(libvirt_qemu.qemuAgentCommand(dom, json.dumps(
                    {"execute": "guest-exec-status", "arguments": {"pid": pid}}), timeout, 0))["return"]
                if status.get("exited"):
                    out = base64.b64decode(status.get("out-data", "")).decode("utf-8", "replace")
                    return status.get("exitcode"), out
                time.sleep(0.3)
        except (libvirt.libvirtError, KeyError, ValueError):
            return None
        return None

    # --- inventory
    def guests(self):
        """Every domain as a common instance_result dict: one getAllDomainStats for every domain's state, one
        XMLDesc per domain (labels and MAC come from our metadata: libvirt has no call for all domains' XML),
        the DHCP leases once per active network, and at most one guest-agent query per running domain whose
        MAC has no lease."""
        result = []
        try:
            stats = self.conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE)
        except libvirt.libvirtError as exc:
            raise LibvirtError("listing domains on %s failed: %s" % (self.uri, exc))
        leases = None
        for dom, record in stats:
            state = state_name(record.get("state.state"), record.get("state.reason"))
            try:
                xml_text = dom.XMLDesc(0)
            except libvirt.libvirtError:
                continue  # vanished meanwhile
            try:
                domain = Domain(xml_text)
            except (AttributeError, TypeError, ValueError):
                domain = None  # not a domain of ours: only its name and state
            ipv4, ipv6 = [], []
            if state == "running":
                if leases is None:
                    leases = self.leases()
                mac = domain.spec["mac"] if domain is not None else None
                if mac and leases.get(mac):
                    ipv4 = list(leases[mac])
                else:
                    ipv4, ipv6 = self.agent_addresses(dom, mac)
            if domain is not None:
                result.append(domain.instance(state, ipv4=ipv4, ipv6=ipv6))
            else:
                result.append(instance_result(dom.name(), BACKEND, itype="vm", state=state, ipv4=ipv4, ipv6=ipv6))
        return result

    # --- snapshots (qemu_snapshot)
    def library_version(self):
        try:
            return self.conn.getLibVersion()
        except libvirt.libvirtError:
            return 0

    @staticmethod
    def snapshots(dom):
        """[(virDomainSnapshot, parse_snapshot_xml dict + current)], oldest first."""
        found = []
        try:
            for snap in dom.listAllSnapshots(0):
                data = parse_snapshot_xml(snap.getXMLDesc(0))
                try:
                    data["current"] = bool(snap.isCurrent(0))
                except libvirt.libvirtError:
                    data["current"] = False
                found.append((snap, data))
        except libvirt.libvirtError as exc:
            raise LibvirtError("listing the snapshots of %s failed: %s" % (dom.name(), exc))
        return sorted(found, key=lambda item: (item[1]["created"] or 0, item[1]["name"]))

    @staticmethod
    def take_snapshot(dom, xml_text, mode, running):
        """Take the snapshot; an external one of a running VM is disk-only and atomic, quiesced when the agent
        answers."""
        flags = 0
        if mode == "external":
            flags = libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC
            if running:
                try:
                    return dom.snapshotCreateXML(xml_text, flags | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE)
                except libvirt.libvirtError:
                    pass  # no guest agent: a crash-consistent snapshot
        try:
            return dom.snapshotCreateXML(xml_text, flags)
        except libvirt.libvirtError as exc:
            raise LibvirtError("taking snapshot of %s failed: %s" % (dom.name(), exc))

    @staticmethod
    def revert_snapshot(dom, snap, start=False):
        flags = libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING if start else 0
        try:
            dom.revertToSnapshot(snap, flags)
        except libvirt.libvirtError as exc:
            raise LibvirtError("restoring snapshot %s of %s failed: %s" % (snap.getName(), dom.name(), exc))

    @staticmethod
    def delete_snapshot(dom, snap):
        try:
            snap.delete(0)
        except libvirt.libvirtError as exc:
            raise LibvirtError("deleting snapshot %s of %s failed: %s" % (snap.getName(), dom.name(), exc))
