# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a user writes for a libvirt VM (name, MAC, network, port forwards, mounts), checked and normalized."""

from __future__ import annotations

import hashlib
import os
import re
import shlex

from ansible_collections.workstation.vms.plugins.module_utils.common import InputError

VIRTIOFSD = "/usr/lib/qemu/virtiofsd"
NAME_RE = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


def validate_name(name):
    if not name or not NAME_RE.match(name):
        raise InputError("name: '%s' must be 1-63 letters, digits or '-' (not at either end); it is also the "
                         "guest's hostname" % name)
    return name


def stable_mac(name):
    """A locally administered MAC in QEMU's 52:54:00 range, the same for the same name on every run."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return "52:54:00:%02x:%02x:%02x" % (digest[0], digest[1], digest[2])


def normalize_mac(mac):
    value = str(mac).strip().lower().replace("-", ":")
    if not MAC_RE.match(value):
        raise InputError("mac: '%s' is not a MAC address like 52:54:00:12:34:56" % mac)
    if int(value[:2], 16) & 1:
        raise InputError("mac: '%s' is a multicast address; the first byte must be even" % mac)
    return value


def parse_network(value):
    """'default' / 'NAME' / 'network:NAME' -> libvirt network, 'bridge:BR' -> host bridge, 'user' -> user mode."""
    text = (value or "default").strip()
    if text == "user":
        return {"mode": "user", "source": ""}
    kind, sep, rest = text.partition(":")
    if sep and kind in ("network", "bridge") and rest:
        return {"mode": kind, "source": rest}
    if sep or not re.match(r"^[a-zA-Z0-9_.\-]+$", text):
        raise InputError("network: '%s' must be a libvirt network name (e.g. default), 'network:NAME', "
                         "'bridge:BRIDGE' or 'user'" % value)
    return {"mode": "network", "source": text}


def network_text(net):
    return "user" if net["mode"] == "user" else "%s:%s" % (net["mode"], net["source"])


def normalize_port_forwards(forwards, net):
    result = []
    seen = set()
    for index, fwd in enumerate(forwards or []):
        where = "port_forwards[%d]" % index
        proto = fwd.get("protocol") or "tcp"
        if proto not in ("tcp", "udp"):
            raise InputError("%s.protocol: '%s' must be tcp or udp" % (where, proto))
        ports = []
        for key in ("host_port", "guest_port"):
            port = fwd.get(key)
            if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
                raise InputError("%s.%s: '%s' must be a port number 1-65535" % (where, key, port))
            ports.append(port)
        address = fwd.get("host_address") or "127.0.0.1"
        if not re.match(r"^[0-9.]+$", address):
            raise InputError("%s.host_address: '%s' must be an IPv4 address" % (where, address))
        if (proto, ports[0]) in seen:
            raise InputError("%s.host_port: %s/%d is forwarded twice" % (where, proto, ports[0]))
        seen.add((proto, ports[0]))
        result.append({"protocol": proto, "host_address": address, "host_port": ports[0], "guest_port": ports[1]})
    if result and net["mode"] != "user":
        raise InputError("port_forwards: only with network=user (with a libvirt network or bridge the guest has "
                         "its own address)")
    return sorted(result, key=lambda f: (f["protocol"], f["host_port"]))


def mount_tag(path):
    return "wvm-" + hashlib.sha256(path.encode("utf-8")).hexdigest()[:12]


def mount_kind(mount, mount_type, virtiofsd=VIRTIOFSD):
    """virtiofs for read-write mounts; 9p for read-only ones (only 9p enforces read-only on the host side with
    this libvirt/virtiofsd) and wherever virtiofsd is missing."""
    if mount_type == "auto":
        if mount["readonly"] or not os.access(virtiofsd, os.X_OK):
            return "9p"
        return "virtiofs"
    if mount_type == "virtiofs" and not os.access(virtiofsd, os.X_OK):
        raise InputError("mount_type: virtiofs needs %s (Debian package qemu-system-common); use auto or 9p"
                         % virtiofsd)
    return mount_type


def guest_mount_commands(mounts):
    """cloud-init bootcmd entries that mount each share at every boot (stateless guests start fresh each time)."""
    commands = []
    for mount in mounts:
        path = shlex.quote(mount["path"])
        if mount["type"] == "virtiofs":
            fstype, opts = "virtiofs", "ro" if mount["readonly"] else "rw"
        else:
            fstype = "9p"
            opts = "trans=virtio,version=9p2000.L,msize=262144" + (",ro" if mount["readonly"] else "")
        commands.append(["sh", "-c", "mkdir -p %s && { mountpoint -q %s || mount -t %s -o %s %s %s; }"
                         % (path, path, fstype, opts, mount["tag"], path)])
    return commands
