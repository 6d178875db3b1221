# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible_collections.workstation.vms.plugins.module_utils import libvirt_snapshot_xml as sx
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_domain import build_domain_xml


# ---- libvirt: which snapshot a domain's disks allow, and the XML ------------------------------------------

@pytest.fixture
def domain_xml(vm_spec):
    def make(transient=False, fmt="qcow2"):
        text = build_domain_xml(vm_spec(name="snap-vm", stateless=transient, dir="/pool/snap-vm",
                                        overlay="/pool/snap-vm/disk.qcow2", seed="/pool/snap-vm/seed.iso"))
        return text.replace("type=\"qcow2\"", "type=\"%s\"" % fmt)
    return make


def test_disks_of_a_qemu_vm_domain(domain_xml):
    disks = sx.snapshot_disks(domain_xml())
    assert [(d["dev"], d["format"], d["readonly"], d["transient"]) for d in disks] == [
        ("vda", "qcow2", False, False), ("sda", "raw", True, False)]


@pytest.mark.parametrize("mode, running, expected", [
    ("auto", False, "internal"), ("auto", True, "internal"), ("external", True, "external"),
    ("internal", False, "internal")])
def test_snapshot_mode_on_a_qcow2_overlay(mode, running, expected, domain_xml):
    assert sx.snapshot_mode(mode, running, sx.snapshot_disks(domain_xml())) == expected


def test_raw_disks_get_external_or_a_clear_error(domain_xml):
    disks = sx.snapshot_disks(domain_xml(fmt="raw"))
    assert sx.snapshot_mode("auto", True, disks) == "external"
    with pytest.raises(InputError, match="^mode: internal snapshots need qcow2 disks; vda is raw"):
        sx.snapshot_mode("internal", False, disks)


def test_stateless_vm_refuses(domain_xml):
    with pytest.raises(InputError, match="stateless"):
        sx.snapshot_mode("auto", False, sx.snapshot_disks(domain_xml(transient=True)))


def test_snapshot_xml_leaves_the_seed_out(domain_xml):
    disks = sx.snapshot_disks(domain_xml())
    internal = sx.snapshot_xml("s1", "c", "internal", True, disks)
    assert '<disk name="vda" snapshot="internal" />' in internal and '<disk name="sda" snapshot="no" />' in internal
    assert "<memory" not in internal  # a running VM's internal snapshot keeps the memory
    stopped = sx.snapshot_xml("s1", "", "internal", False, disks)
    assert '<memory snapshot="no" />' in stopped and "<description" not in stopped
    external = sx.snapshot_xml("s1", "", "external", True, disks)
    assert '<source file="/pool/snap-vm/disk.s1" />' in external


def test_parse_snapshot_xml():
    text = """<domainsnapshot><name>s1</name><description>hi
workstation.vms.expires=2026-11-24T00:00:00Z</description><state>running</state><parent><name>s0</name></parent>
<creationTime>1795413600</creationTime><memory snapshot='internal'/><disks><disk name='vda' snapshot='internal'/>
<disk name='sda' snapshot='no'/></disks><domain type='qemu'><name>x</name></domain></domainsnapshot>"""
    data = sx.parse_snapshot_xml(text)
    assert data == {"name": "s1", "description": "hi\nworkstation.vms.expires=2026-11-24T00:00:00Z",
                    "created": 1795413600, "state": "running", "kind": "internal", "memory": True, "parent": "s0",
                    "files": {}}
    ext = sx.parse_snapshot_xml("<domainsnapshot><name>e</name><state>disk-snapshot</state><memory snapshot='no'/>"
                                "<disks><disk name='vda' snapshot='external'><source file='/p/d.e'/></disk></disks>"
                                "</domainsnapshot>")
    assert ext["kind"] == "external" and ext["files"] == {"vda": "/p/d.e"} and not ext["memory"]
    assert json.dumps(ext)
