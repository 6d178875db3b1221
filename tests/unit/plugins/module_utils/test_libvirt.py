# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import hashlib
import io
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.workstation.vms.plugins.module_utils import libvirt as lv
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError


def make_spec(**over):
    spec = dict(
        name="qvm-a", uuid=None, cpus=1, memory=1024 ** 3, accel="qemu", firmware="bios",
        kernel="/k/vmlinuz", initrd="/k/initrd.img", cmdline="root=/dev/vda rw console=ttyS0", stateless=False,
        mac=lv.stable_mac("qvm-a"), network={"mode": "network", "source": "default"}, port_forwards=[],
        mounts=[], graphics="none", labels={"role": "dev"}, image="/img/base.qcow2", backing="/img/base.qcow2",
        seed_digest="abc", dir="/pool/qvm-a", overlay="/pool/qvm-a/disk.qcow2", seed="/pool/qvm-a/seed.iso")
    spec.update(over)
    return spec


def test_stable_mac_is_stable_and_local():
    assert lv.stable_mac("x") == lv.stable_mac("x")
    assert lv.stable_mac("x") != lv.stable_mac("y")
    assert lv.stable_mac("x").startswith("52:54:00:")


@pytest.mark.parametrize("name", ["", "-a", "a-", "a_b", "a.b", "x" * 64])
def test_bad_names(name):
    with pytest.raises(InputError, match="name"):
        lv.validate_name(name)


def test_mac_validation():
    assert lv.normalize_mac("52-54-00-AA-bb-01") == "52:54:00:aa:bb:01"
    for bad in ("52:54:00:aa:bb", "zz:54:00:aa:bb:01", "01:54:00:aa:bb:01"):
        with pytest.raises(InputError, match="mac"):
            lv.normalize_mac(bad)


@pytest.mark.parametrize("value,expected", [
    (None, {"mode": "network", "source": "default"}),
    ("lan", {"mode": "network", "source": "lan"}),
    ("network:lan", {"mode": "network", "source": "lan"}),
    ("bridge:br0", {"mode": "bridge", "source": "br0"}),
    ("user", {"mode": "user", "source": ""}),
])
def test_parse_network(value, expected):
    assert lv.parse_network(value) == expected


@pytest.mark.parametrize("value", ["bridge:", "foo:bar", "a b"])
def test_parse_network_bad(value):
    with pytest.raises(InputError, match="network"):
        lv.parse_network(value)


def test_port_forwards():
    user = {"mode": "user", "source": ""}
    fwd = lv.normalize_port_forwards([{"host_port": 2222, "guest_port": 22}], user)
    assert fwd == [{"protocol": "tcp", "host_address": "127.0.0.1", "host_port": 2222, "guest_port": 22}]
    with pytest.raises(InputError, match=r"port_forwards\[0\].guest_port"):
        lv.normalize_port_forwards([{"host_port": 2222, "guest_port": 70000}], user)
    with pytest.raises(InputError, match="only with network=user"):
        lv.normalize_port_forwards([{"host_port": 2222, "guest_port": 22}], {"mode": "network", "source": "d"})
    with pytest.raises(InputError, match="twice"):
        lv.normalize_port_forwards([{"host_port": 1, "guest_port": 22}, {"host_port": 1, "guest_port": 23}], user)


def test_checksum():
    assert lv.parse_checksum("sha256:" + "A" * 64) == ("sha256", "a" * 64)
    assert lv.parse_checksum("b" * 64) == ("sha256", "b" * 64)
    with pytest.raises(InputError, match="checksum"):
        lv.parse_checksum("sha256:abc")


@pytest.mark.parametrize("over", [
    {},
    {"stateless": True, "graphics": "spice", "firmware": "uefi", "accel": "kvm", "kernel": None, "initrd": None,
     "cmdline": None},
    {"network": {"mode": "user", "source": ""},
     "port_forwards": [{"protocol": "tcp", "host_address": "127.0.0.1", "host_port": 2222, "guest_port": 22}]},
    {"network": {"mode": "bridge", "source": "br0"}, "graphics": "vnc"},
    {"mounts": [{"source": "/srv/a", "path": "/a", "readonly": False, "type": "virtiofs", "tag": lv.mount_tag("/a")},
                {"source": "/srv/b", "path": "/b", "readonly": True, "type": "9p", "tag": lv.mount_tag("/b")}]},
])
def test_xml_round_trip(over):
    """What we write is what we read back: the basis of changed=false on the second run."""
    spec = make_spec(**over)
    xml = lv.build_domain_xml(spec)
    assert lv.managed_from_xml(xml) == lv.managed_from_spec(spec)
    back = lv.spec_from_xml(xml)
    assert back["overlay"] == spec["overlay"] and back["seed"] == spec["seed"] and back["dir"] == spec["dir"]
    assert back["ours"]


def test_round_trip_ignores_libvirt_defaults():
    """libvirt adds addresses, controllers, a uuid, its own metadata: none of it is compared."""
    spec = make_spec(mounts=[{"source": "/srv/a", "path": "/a", "readonly": False, "type": "virtiofs",
                              "tag": lv.mount_tag("/a")}])
    root = ET.fromstring(lv.build_domain_xml(spec))
    ET.SubElement(root, "uuid").text = "0b8f4d43-1d8e-4f5e-9b55-1a3c5f1f1e11"
    devices = root.find("devices")
    ET.SubElement(devices, "controller", type="usb", index="0")
    ET.SubElement(devices, "memballoon", model="virtio")
    ET.SubElement(root.find("os"), "boot", dev="hd")
    ET.SubElement(root, "cpu", mode="custom")
    assert lv.managed_from_xml(ET.tostring(root, encoding="unicode")) == lv.managed_from_spec(spec)


def test_xml_details():
    xml = lv.build_domain_xml(make_spec(stateless=True, mounts=[
        {"source": "/srv/a", "path": "/a", "readonly": False, "type": "virtiofs", "tag": "t1"}]))
    root = ET.fromstring(xml)
    assert root.find("on_reboot").text == "destroy"
    assert root.find("devices/disk[@device='disk']/transient") is not None
    assert root.find("memoryBacking/source").get("type") == "memfd"
    assert root.find("devices/filesystem/binary").get("path") == lv.VIRTIOFSD
    assert root.find("devices/channel/target").get("name") == "org.qemu.guest_agent.0"
    assert root.find("metadata/{%s}vm/{%s}labels/{%s}label" % ((lv.META_NS,) * 3)).get("value") == "dev"
    plain = ET.fromstring(lv.build_domain_xml(make_spec()))
    assert plain.find("on_reboot").text == "restart" and plain.find("memoryBacking") is None


def test_changed_memory_is_seen():
    before = lv.managed_from_xml(lv.build_domain_xml(make_spec()))
    after = lv.managed_from_spec(make_spec(memory=768 * 1024 ** 2))
    assert before["memory"] == "1GiB" and after["memory"] == "768MiB"


def test_console_uri():
    xml = ("<domain><devices><graphics type='spice' port='5901' listen='127.0.0.1'/></devices></domain>")
    assert lv.console_uri(xml) == "spice://127.0.0.1:5901"
    assert lv.console_uri("<domain><devices/></domain>") is None


def test_guest_mount_commands():
    cmds = lv.guest_mount_commands([{"path": "/a b", "type": "virtiofs", "readonly": True, "tag": "t"},
                                    {"path": "/c", "type": "9p", "readonly": False, "tag": "u"}])
    assert "mount -t virtiofs -o ro t '/a b'" in cmds[0][2]
    assert "mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 u /c" in cmds[1][2]


def test_mount_kind(tmp_path):
    fake = tmp_path / "virtiofsd"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert lv.mount_kind({"readonly": False}, "auto", str(fake)) == "virtiofs"
    assert lv.mount_kind({"readonly": True}, "auto", str(fake)) == "9p"
    assert lv.mount_kind({"readonly": False}, "auto", str(tmp_path / "missing")) == "9p"


def test_resolve_accel():
    assert lv.resolve_accel("tcg") == "qemu"
    assert lv.resolve_accel("kvm") == "kvm"
    assert lv.resolve_accel("auto", {lv.ACCEL_ENV: "tcg"}, probe=lambda: True) == "qemu"
    assert lv.resolve_accel("auto", {}, probe=lambda: True) == "kvm"
    assert lv.resolve_accel("auto", {}, probe=lambda: False) == "qemu"
    with pytest.raises(InputError, match=lv.ACCEL_ENV):
        lv.resolve_accel("auto", {lv.ACCEL_ENV: "xen"})


def test_image_virtual_size(tmp_path):
    qcow = tmp_path / "a.qcow2"
    qcow.write_bytes(b"QFI\xfb" + b"\0" * 20 + (3 * 1024 ** 3).to_bytes(8, "big") + b"\0" * 100)
    assert lv.image_virtual_size(str(qcow)) == 3 * 1024 ** 3
    assert lv.image_format(str(qcow)) == "qcow2"
    raw = tmp_path / "b.img"
    raw.write_bytes(b"\0" * 4096)
    assert lv.image_virtual_size(str(raw)) == 4096 and lv.image_format(str(raw)) == "raw"


class _Stream(io.BytesIO):
    pass


def test_fetch_image_once_and_verified(tmp_path):
    data = b"image-bytes" * 1000
    checksum = ("sha256", hashlib.sha256(data).hexdigest())
    calls = []

    def opener(url):
        calls.append(url)
        return _Stream(data)
    path, downloaded = lv.fetch_image("http://x/img.qcow2", checksum, str(tmp_path), opener)
    assert downloaded and open(path, "rb").read() == data and path.endswith("/img.qcow2")
    path2, downloaded2 = lv.fetch_image("http://x/img.qcow2", checksum, str(tmp_path), opener)
    assert path2 == path and not downloaded2 and len(calls) == 1


def test_fetch_image_bad_checksum_leaves_nothing(tmp_path):
    checksum = ("sha256", "0" * 64)
    with pytest.raises(lv.LibvirtError, match="checksum mismatch"):
        lv.fetch_image("http://x/img.qcow2", checksum, str(tmp_path), lambda url: _Stream(b"data"))
    dest = lv.cache_path(str(tmp_path), "http://x/img.qcow2", checksum)
    assert not os.path.exists(dest)
    assert [f for f in os.listdir(os.path.dirname(dest)) if not f.endswith(".lock")] == []


def test_fetch_image_interrupted_download_is_not_used(tmp_path):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            raise OSError("connection reset")
    checksum = ("sha256", "0" * 64)
    with pytest.raises(OSError):
        lv.fetch_image("http://x/i", checksum, str(tmp_path), lambda url: Broken())
    assert not os.path.exists(lv.cache_path(str(tmp_path), "http://x/i", checksum))


def test_remove_vm_files_only_ours(tmp_path):
    vm = tmp_path / "vm"
    vm.mkdir()
    for name in ("disk.qcow2", "seed.iso", "disk.qcow2.TRANSIENT-x"):
        (vm / name).write_text("x")
    (vm / "user-file").write_text("keep")
    assert lv.remove_vm_files(str(vm)) == ["disk.qcow2", "disk.qcow2.TRANSIENT-x", "seed.iso"]
    assert (vm / "user-file").exists()


@pytest.mark.skipif(not lv.HAS_LIBVIRT, reason="libvirt-python is not installed")
def test_leases_newest_first_without_the_stale_ones():
    v4 = lv.libvirt.VIR_IP_ADDR_TYPE_IPV4

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
                {"type": lv.libvirt.VIR_IP_ADDR_TYPE_IPV6, "mac": "52:54:00:aa:00:01", "ipaddr": "fd00::1",
                 "expirytime": 400}]),
                Net("other", [{"type": v4, "mac": "52:54:00:aa:00:02", "ipaddr": "10.0.0.2", "expirytime": 5}])]

    client = object.__new__(lv.LibvirtClient)
    client.conn = Conn()
    mac = "52:54:00:aa:00:01"
    assert client.leases() == {mac: ["192.168.122.20", "192.168.122.10"], "52:54:00:aa:00:02": ["10.0.0.2"]}
    assert client.leases(["default"]) == {mac: ["192.168.122.20", "192.168.122.10"]}
    # a VM started again: the records it held before name no address of this boot; a renewed one (new expiry) does
    stale = frozenset(client.lease_records(["default"]))
    assert client.leases(["default"], stale) == {}
    renewed = [(mac, "192.168.122.20", 300)]
    assert client.leases(["default"], stale - set(renewed)) == {mac: ["192.168.122.20"]}
