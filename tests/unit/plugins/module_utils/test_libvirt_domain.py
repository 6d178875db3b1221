# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.workstation.vms.plugins.module_utils import libvirt_domain as dom
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_options import VIRTIOFSD, mount_tag


MOUNTS = [{"source": "/srv/a", "path": "/a", "readonly": False, "type": "virtiofs", "tag": mount_tag("/a")},
          {"source": "/srv/b", "path": "/b", "readonly": True, "type": "9p", "tag": mount_tag("/b")}]
USER_NET = {"network": {"mode": "user", "source": ""},
            "port_forwards": [{"protocol": "tcp", "host_address": "127.0.0.1", "host_port": 2222, "guest_port": 22},
                              {"protocol": "udp", "host_address": "0.0.0.0", "host_port": 5353, "guest_port": 53}]}


@pytest.mark.parametrize("over", [
    {},
    {"stateless": True, "graphics": "spice", "firmware": "uefi", "accel": "kvm", "kernel": None, "initrd": None,
     "cmdline": None},
    USER_NET,
    {"network": {"mode": "bridge", "source": "br0"}, "graphics": "vnc"},
    {"mounts": MOUNTS},
])
def test_xml_round_trip(over, vm_spec):
    """What we write is what we read back, every setting and every file: the basis of changed=false on the second
    run."""
    spec = vm_spec(**over)
    back = dom.Domain(dom.build_domain_xml(spec))
    assert back.spec == spec
    assert back.ours and back.name == "qvm-a"


def test_every_setting_is_written_and_read(vm_spec):
    """Each row of the table changes the XML and reads its own change back, and nothing else."""
    base = vm_spec()
    other = dict(cpus=3, memory=2 * 1024 ** 3, accel="kvm", firmware="uefi", kernel="/k/other", initrd="/k/i2",
                 cmdline="quiet", stateless=True, network={"mode": "bridge", "source": "br0"}, mac="52:54:00:00:00:09",
                 port_forwards=USER_NET["port_forwards"], mounts=MOUNTS, graphics="spice", labels={"a": "b"},
                 image="/img/other.qcow2", cloud_init="def")
    assert set(other) == {s.key for s in dom.SETTINGS}
    for key, value in other.items():
        spec = dict(base, **{key: value})
        if key == "port_forwards":
            spec["network"] = USER_NET["network"]
        back = dom.Domain(dom.build_domain_xml(spec)).spec
        assert back[key] == value, key
        assert back == spec, key


def test_restart_keys_come_from_the_table(vm_spec):
    assert dom.RESTART_KEYS == ("cpus", "memory", "accel", "firmware", "kernel", "initrd", "cmdline", "stateless",
                                "network", "mac", "port_forwards", "mounts", "graphics")
    live = dom.Domain(dom.build_domain_xml(vm_spec())).spec
    assert dom.restart_differences(live, dict(live, memory=1, labels={"x": "y"})) == ["memory"]


def test_round_trip_ignores_libvirt_defaults(vm_spec):
    """libvirt adds addresses, controllers, a uuid, its own metadata: none of it is compared."""
    spec = vm_spec(mounts=MOUNTS[:1])
    root = ET.fromstring(dom.build_domain_xml(spec))
    devices = root.find("devices")
    ET.SubElement(devices, "controller", type="usb", index="0")
    ET.SubElement(devices, "memballoon", model="virtio")
    ET.SubElement(root.find("os"), "boot", dev="hd")
    ET.SubElement(root, "cpu", mode="custom")
    assert dom.shown(dom.Domain(ET.tostring(root, encoding="unicode")).spec) == dom.shown(spec)


def test_xml_details(vm_spec):
    root = ET.fromstring(dom.build_domain_xml(vm_spec(stateless=True, mounts=MOUNTS[:1])))
    assert root.find("on_reboot").text == "destroy"
    assert root.find("devices/disk[@device='disk']/transient") is not None
    assert root.find("memoryBacking/source").get("type") == "memfd"
    assert root.find("devices/filesystem/binary").get("path") == VIRTIOFSD
    assert root.find("devices/channel/target").get("name") == "org.qemu.guest_agent.0"
    assert root.find("metadata/{%s}vm/{%s}labels/{%s}label" % ((dom.META_NS,) * 3)).get("value") == "dev"
    assert root.find("devices/serial/log").get("file") == "/pool/qvm-a/console.log"
    plain = ET.fromstring(dom.build_domain_xml(vm_spec()))
    assert plain.find("on_reboot").text == "restart" and plain.find("memoryBacking") is None
    user = ET.fromstring(dom.build_domain_xml(vm_spec(**USER_NET)))
    args = [a.get("value") for a in user.findall("{%s}commandline/{%s}arg" % (dom.QEMU_NS, dom.QEMU_NS))]
    assert args == ["-netdev", "user,id=wvmnet0,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp:0.0.0.0:5353-:53",
                    "-device", "virtio-net-pci,netdev=wvmnet0,mac=%s" % vm_spec()["mac"]]
    assert user.find("devices/interface") is None


def test_memory_is_bytes_and_the_diff_shows_it_short(vm_spec):
    before = dom.Domain(dom.build_domain_xml(vm_spec()))
    assert before.spec["memory"] == 1024 ** 3
    assert dom.shown(before.spec)["memory"] == "1GiB"
    assert dom.shown(vm_spec(memory=768 * 1024 ** 2))["memory"] == "768MiB"
    assert before.instance("stopped")["memory"] == 1024 ** 3


def test_console_uri_and_instance(vm_spec):
    root = ET.fromstring(dom.build_domain_xml(vm_spec(graphics="spice")))
    graphics = root.find("devices/graphics")
    graphics.set("port", "5901")
    live = dom.Domain(ET.tostring(root, encoding="unicode"))
    assert live.console_uri() == "spice://127.0.0.1:5901"
    result = live.instance("running", ipv4=["10.0.0.2"], disk=5)
    assert result["console"] == "spice://127.0.0.1:5901" and result["network"] == "network:default"
    assert result["backend"] == "libvirt" and result["type"] == "vm" and result["disk"] == 5
    assert live.instance("stopped")["console"] is None
    assert dom.Domain(dom.build_domain_xml(vm_spec())).console_uri() is None
