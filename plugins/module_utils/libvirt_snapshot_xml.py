# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Snapshot XML for qemu_snapshot: which kind a domain's disks allow, <domainsnapshot> written and read."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ansible_collections.workstation.vms.plugins.module_utils.common import InputError
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_domain import sub, text_of

SNAPSHOT_MODES = ("auto", "internal", "external")
# libvirt reverts (9.9) and deletes (9.7) external snapshots only from these versions on.
EXTERNAL_REVERT_VERSION = 9009000
EXTERNAL_DELETE_VERSION = 9007000


def snapshot_disks(xml_text):
    """The domain's disks as dicts: dev, device (disk/cdrom), file, format, readonly, transient."""
    disks = []
    for disk in ET.fromstring(xml_text).findall("./devices/disk"):
        target, source, driver = disk.find("target"), disk.find("source"), disk.find("driver")
        disks.append({
            "dev": target.get("dev") if target is not None else None,
            "device": disk.get("device", "disk"),
            "file": source.get("file") if source is not None else None,
            "format": driver.get("type") if driver is not None else None,
            "readonly": disk.find("readonly") is not None or disk.get("device") == "cdrom",
            "transient": disk.find("transient") is not None,
        })
    return disks


def snapshot_mode(mode, running, disks):
    """"internal" or "external" for `mode` (auto/internal/external) and the domain's disks; raises InputError.

    auto: internal whenever every writable disk is qcow2 (a stopped VM gets a disk snapshot, a running one a
    checkpoint of disks + memory that libvirt reverts live); external disk-only otherwise."""
    writable = [d for d in disks if not d["readonly"]]
    if any(d["transient"] for d in writable):
        raise InputError("instance: the VM is stateless (its root disk is <transient/>, thrown away at every stop): "
                         "there is nothing to snapshot")
    if not writable:
        raise InputError("instance: the VM has no writable disk to snapshot")
    all_qcow2 = all(d["format"] == "qcow2" for d in writable)
    if mode == "internal" and not all_qcow2:
        raise InputError("mode: internal snapshots need qcow2 disks; %s is %s"
                         % next((d["dev"], d["format"]) for d in writable if d["format"] != "qcow2"))
    if mode == "auto":
        return "internal" if all_qcow2 else "external"
    return mode


def snapshot_xml(name, description, mode, running, disks):
    """<domainsnapshot> for snapshotCreateXML. External files go next to each disk: <disk>.<snapshot>."""
    root = ET.Element("domainsnapshot")
    sub(root, "name", name)
    if description:
        sub(root, "description", description)
    if mode == "external" or not running:
        sub(root, "memory", snapshot="no")
    disks_el = sub(root, "disks")
    for disk in disks:
        if disk["readonly"] or not disk["file"]:
            sub(disks_el, "disk", name=disk["dev"], snapshot="no")
        elif mode == "external":
            disk_el = sub(disks_el, "disk", name=disk["dev"], snapshot="external")
            sub(disk_el, "driver", type="qcow2")
            sub(disk_el, "source", file="%s.%s" % (re.sub(r"\.qcow2$", "", disk["file"]), name))
        else:
            sub(disks_el, "disk", name=disk["dev"], snapshot="internal")
    return ET.tostring(root, encoding="unicode")


def parse_snapshot_xml(xml_text):
    """name, description, created (epoch seconds), state, kind (internal/external), memory, parent, files."""
    root = ET.fromstring(xml_text)
    disks = root.findall("./disks/disk")
    external = [d for d in disks if d.get("snapshot") == "external"]
    memory = root.find("memory")
    parent = root.find("./parent/name")
    return {
        "name": text_of(root, "name"),
        "description": text_of(root, "description") or "",
        "created": int(text_of(root, "creationTime") or 0) or None,
        "state": text_of(root, "state") or "",
        "kind": "external" if external else "internal",
        "memory": memory is not None and memory.get("snapshot") not in (None, "no"),
        "parent": parent.text if parent is not None else "",
        "files": {d.get("name"): d.find("source").get("file") for d in external if d.find("source") is not None},
    }
