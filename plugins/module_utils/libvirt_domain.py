# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The domain XML of a VM, from one table of settings.

Each managed setting is declared once in SETTINGS: how it is written into the XML, how it is read back (only what
we write; libvirt's defaults are never compared), how the diff shows it and whether a running VM sees a change
only after a restart. A spec is a dict of every setting's value plus the VM's files (FILES)."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET

from ansible_collections.workstation.vms.plugins.module_utils.common import format_size, instance_result
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_options import VIRTIOFSD, network_text

BACKEND = "libvirt"
CONSOLE_LOG = "console.log"
META_NS = "https://workstation.vms/libvirt/1"
QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
USER_NET = "user,id=wvmnet0"
USER_NIC = "virtio-net-pci,netdev=wvmnet0"
MEMORY_UNITS = {"KiB": 1024, "k": 1024, "MiB": 1024 ** 2, "M": 1024 ** 2, "GiB": 1024 ** 3, "G": 1024 ** 3, "b": 1,
                "bytes": 1}
# Not settings: where the VM's files are, and its identity.
FILES = ("name", "uuid", "dir", "backing", "overlay", "seed")

ET.register_namespace("qemu", QEMU_NS)
ET.register_namespace("wvm", META_NS)


def sub(parent, element, text=None, **attrs):
    elem = ET.SubElement(parent, element, {k.rstrip("_"): str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        elem.text = str(text)
    return elem


def text_of(root, path):
    elem = root.find(path)
    return elem.text if elem is not None and elem.text is not None else None


def _w(tag):
    return "{%s}%s" % (META_NS, tag)


class Doc:
    """A domain XML tree and the places settings write into and read from."""

    def __init__(self, root):
        self.root = root
        self.meta = root.find("metadata/" + _w("vm"))
        self.os = root.find("os")
        self.devices = root.find("devices")
        self.disk = root.find("devices/disk[@device='disk']")
        self.iface = root.find("devices/interface")

    def meta_attr(self, tag, attr):
        elem = self.meta.find(_w(tag)) if self.meta is not None else None
        return elem.get(attr) if elem is not None else None

    def user_args(self):
        """The qemu:commandline arguments of the user-mode NIC (netdev, device), or ()."""
        args = self.root.findall("{%s}commandline/{%s}arg" % (QEMU_NS, QEMU_NS))
        return tuple(arg for arg in args if arg.get("value", "").startswith((USER_NET, USER_NIC)))


# ---------------------------------------------------------------- the settings, each: write, read


def _write_memory(doc, value, spec):
    sub(doc.root, "memory", value // 1024, unit="KiB")
    sub(doc.root, "currentMemory", value // 1024, unit="KiB")


def _read_memory(doc):
    memory = doc.root.find("memory")
    return int(memory.text) * MEMORY_UNITS.get(memory.get("unit", "KiB"), 1024)


def _write_accel(doc, value, spec):
    doc.root.set("type", value)
    if value == "kvm":
        sub(doc.root, "cpu", mode="host-passthrough")


def _write_kernel(doc, value, spec):
    if value:
        sub(doc.os, "kernel", value)
    else:
        sub(doc.os, "boot", dev="hd")


def _kernel_part(tag):
    def write(doc, value, spec):
        if value and spec.get("kernel"):
            sub(doc.os, tag, value)
    return write


def _write_stateless(doc, value, spec):
    doc.root.find("on_reboot").text = "destroy" if value else "restart"
    if value:
        sub(doc.disk, "transient")


def _write_network(doc, value, spec):
    if value["mode"] == "user":
        cmd = sub(doc.root, "{%s}commandline" % QEMU_NS)
        for arg in ("-netdev", USER_NET, "-device", USER_NIC):
            sub(cmd, "{%s}arg" % QEMU_NS, value=arg)
        return
    doc.iface = sub(doc.devices, "interface", type=value["mode"])
    sub(doc.iface, "source", **{value["mode"]: value["source"]})
    sub(doc.iface, "model", type="virtio")


def _read_network(doc):
    if doc.iface is not None:
        mode = doc.iface.get("type")
        source = doc.iface.find("source")
        return {"mode": mode, "source": source.get(mode, "") if source is not None else ""}
    if doc.user_args():
        return {"mode": "user", "source": ""}
    return None


def _write_mac(doc, value, spec):
    if doc.iface is not None:
        sub(doc.iface, "mac", address=value)
    for arg in doc.user_args()[1:]:
        arg.set("value", arg.get("value") + ",mac=" + value)


def _read_mac(doc):
    if doc.iface is not None:
        mac = doc.iface.find("mac")
        return mac.get("address") if mac is not None else None
    for arg in doc.user_args():
        match = re.search(r"netdev=wvmnet0,mac=([0-9a-f:]+)", arg.get("value"))
        if match:
            return match.group(1)
    return None


def _write_port_forwards(doc, value, spec):
    for arg in doc.user_args()[:1]:
        arg.set("value", arg.get("value") + "".join(
            ",hostfwd=%s:%s:%d-:%d" % (f["protocol"], f["host_address"], f["host_port"], f["guest_port"])
            for f in value))


def _read_port_forwards(doc):
    pattern = r"hostfwd=(tcp|udp):([0-9.]*):(\d+)-:(\d+)"
    forwards = [{"protocol": proto, "host_address": addr, "host_port": int(hport), "guest_port": int(gport)}
                for arg in doc.user_args()[:1] for proto, addr, hport, gport in re.findall(pattern, arg.get("value"))]
    return sorted(forwards, key=lambda f: (f["protocol"], f["host_port"]))


def _write_mounts(doc, value, spec):
    if any(m["type"] == "virtiofs" for m in value):
        backing = sub(doc.root, "memoryBacking")
        sub(backing, "source", type="memfd")
        sub(backing, "access", mode="shared")
    listed = sub(doc.meta, _w("mounts"))
    for mount in value:
        sub(listed, _w("mount"), tag=mount["tag"], path=mount["path"], readonly="true" if mount["readonly"] else "false")
        virtiofs = mount["type"] == "virtiofs"
        fs_el = sub(doc.devices, "filesystem", type="mount", accessmode="passthrough" if virtiofs else "mapped")
        if virtiofs:
            sub(fs_el, "driver", type="virtiofs")
            sub(fs_el, "binary", path=VIRTIOFSD)
        sub(fs_el, "source", dir=mount["source"])
        sub(fs_el, "target", dir=mount["tag"])
        if mount["readonly"] and not virtiofs:
            sub(fs_el, "readonly")


def _read_mounts(doc):
    listed = {}
    if doc.meta is not None:
        listed = {m.get("tag"): m for m in doc.meta.findall("%s/%s" % (_w("mounts"), _w("mount")))}
    mounts = []
    for fs_el in doc.root.findall("devices/filesystem"):
        driver = fs_el.find("driver")
        tag = fs_el.find("target").get("dir")
        info = listed.get(tag)
        mounts.append({"source": fs_el.find("source").get("dir"), "path": info.get("path") if info is not None else tag,
                       "readonly": fs_el.find("readonly") is not None or (info is not None
                                                                          and info.get("readonly") == "true"),
                       "type": "virtiofs" if driver is not None and driver.get("type") == "virtiofs" else "9p",
                       "tag": tag})
    return sorted(mounts, key=lambda m: m["path"])


def _write_graphics(doc, value, spec):
    if value == "none":
        sub(sub(doc.devices, "video"), "model", type="none")
        return
    graphics = sub(doc.devices, "graphics", type=value, autoport="yes", listen="127.0.0.1")
    sub(graphics, "listen", type="address", address="127.0.0.1")
    sub(sub(doc.devices, "video"), "model", type="qxl" if value == "spice" else "virtio")
    if value == "spice":
        # spice-vdagent in the guest (clipboard sharing, resize with the window) talks over this channel.
        sub(sub(doc.devices, "channel", type="spicevmc"), "target", type="virtio", name="com.redhat.spice.0")


def _read_graphics(doc):
    graphics = doc.root.find("devices/graphics")
    return graphics.get("type") if graphics is not None else "none"


def _write_labels(doc, value, spec):
    listed = sub(doc.meta, _w("labels"))
    for key in sorted(value):
        sub(listed, _w("label"), key=key, value=value[key])


def _read_labels(doc):
    if doc.meta is None:
        return {}
    return {label.get("key"): label.get("value")
            for label in doc.meta.findall("%s/%s" % (_w("labels"), _w("label")))}


def _meta_setting(tag, attr):
    def write(doc, value, spec):
        doc.meta.find(_w(tag)).set(attr, value)

    def read(doc):
        return doc.meta_attr(tag, attr)
    return write, read


class Setting:
    """One VM setting: written into and read from the domain XML, shown in the diff (show), and whether a running
    VM sees a change only after a restart (restart; the others reach it live or are ours alone)."""

    def __init__(self, key, write, read, restart=True, show=None):
        self.key, self.write, self.read, self.restart = key, write, read, restart
        self.show = show or (lambda value: value)


SETTINGS = (
    Setting("cpus", lambda doc, value, spec: sub(doc.root, "vcpu", value, placement="static"),
            lambda doc: int(doc.root.find("vcpu").text)),
    Setting("memory", _write_memory, _read_memory, show=format_size),
    Setting("accel", _write_accel, lambda doc: doc.root.get("type")),
    Setting("firmware", lambda doc, value, spec: doc.os.set("firmware", "efi") if value == "uefi" else None,
            lambda doc: "uefi" if doc.os.get("firmware") == "efi" or doc.os.find("loader") is not None else "bios"),
    Setting("kernel", _write_kernel, lambda doc: text_of(doc.os, "kernel")),
    Setting("initrd", _kernel_part("initrd"), lambda doc: text_of(doc.os, "initrd")),
    Setting("cmdline", _kernel_part("cmdline"), lambda doc: text_of(doc.os, "cmdline")),
    Setting("stateless", _write_stateless, lambda doc: doc.disk is not None and doc.disk.find("transient") is not None),
    Setting("network", _write_network, _read_network, show=lambda net: network_text(net) if net else None),
    Setting("mac", _write_mac, _read_mac),
    Setting("port_forwards", _write_port_forwards, _read_port_forwards, show=list),
    Setting("mounts", _write_mounts, _read_mounts,
            show=lambda mounts: [{k: m[k] for k in ("source", "path", "readonly", "type")} for m in mounts]),
    Setting("graphics", _write_graphics, _read_graphics),
    Setting("labels", _write_labels, _read_labels, restart=False, show=dict),
    Setting("image", *_meta_setting("image", "source"), restart=False),
    Setting("cloud_init", *_meta_setting("seed", "digest"), restart=False),
)
RESTART_KEYS = tuple(s.key for s in SETTINGS if s.restart)


def build_domain_xml(spec):
    """Domain XML from a spec: the fixed frame (files, console, guest agent channel, rng), then every setting."""
    root = ET.Element("domain")
    sub(root, "name", spec["name"])
    if spec.get("uuid"):
        sub(root, "uuid", spec["uuid"])
    meta = sub(sub(root, "metadata"), _w("vm"))
    sub(meta, _w("image"), backing=spec["backing"])
    sub(meta, _w("seed"))
    sub(meta, _w("dir"), path=spec["dir"])
    sub(sub(root, "os"), "type", "hvm", arch="x86_64", machine="q35")
    features = sub(root, "features")
    sub(features, "acpi")
    sub(features, "apic")
    for event in ("on_poweroff", "on_reboot", "on_crash"):
        sub(root, event, "destroy")
    devices = sub(root, "devices")
    disk = sub(devices, "disk", type="file", device="disk")
    sub(disk, "driver", name="qemu", type="qcow2", discard="unmap")
    sub(disk, "source", file=spec["overlay"])
    sub(disk, "target", dev="vda", bus="virtio")
    seed = sub(devices, "disk", type="file", device="cdrom")
    sub(seed, "driver", name="qemu", type="raw")
    sub(seed, "source", file=spec["seed"])
    sub(seed, "target", dev="sda", bus="sata")
    sub(seed, "readonly")
    serial = sub(devices, "serial", type="pty")
    sub(serial, "log", file=os.path.join(spec["dir"], CONSOLE_LOG), append="off")
    sub(serial, "target", port="0")
    sub(sub(devices, "console", type="pty"), "target", type="serial", port="0")
    sub(sub(devices, "channel", type="unix"), "target", type="virtio", name="org.qemu.guest_agent.0")
    rng = sub(devices, "rng", model="virtio")
    sub(rng, "backend", "/dev/urandom", model="random")
    doc = Doc(root)
    for setting in SETTINGS:
        setting.write(doc, spec[setting.key], spec)
    return ET.tostring(root, encoding="unicode")


class Domain:
    """One domain XML document, parsed once: its settings (`spec`, as build_domain_xml takes it), whether it is
    ours (our metadata is there) and, in the live XML, the console URI."""

    def __init__(self, xml_text):
        doc = Doc(ET.fromstring(xml_text))
        self.doc = doc
        self.ours = doc.meta is not None
        disk_source = doc.disk.find("source") if doc.disk is not None else None
        seed = doc.root.find("devices/disk[@device='cdrom']/source")
        self.spec = dict(
            name=doc.root.find("name").text, uuid=text_of(doc.root, "uuid"), dir=doc.meta_attr("dir", "path"),
            backing=doc.meta_attr("image", "backing"),
            overlay=disk_source.get("file") if disk_source is not None else None,
            seed=seed.get("file") if seed is not None else None)
        self.spec.update((s.key, s.read(doc)) for s in SETTINGS)

    @property
    def name(self):
        return self.spec["name"]

    def meta_xml(self):
        """Our metadata element as text (setMetadata gives it to a running VM)."""
        return ET.tostring(self.doc.meta, encoding="unicode")

    def console_uri(self):
        """spice://127.0.0.1:5900 / vnc://... (the live XML has the port), or None."""
        graphics = self.doc.root.find("devices/graphics")
        if graphics is None or graphics.get("port") in (None, "-1"):
            return None
        return "%s://%s:%s" % (graphics.get("type"), graphics.get("listen") or "127.0.0.1", graphics.get("port"))

    def instance(self, state, ipv4=None, ipv6=None, disk=None, **extra):
        """The common `instance` shape (this document should be the live XML of a running VM: console)."""
        spec = self.spec
        return instance_result(
            spec["name"], BACKEND, itype="vm", state=state, ipv4=ipv4, ipv6=ipv6, image=spec["image"],
            cpus=spec["cpus"], memory=spec["memory"], disk=disk,
            mounts=[{k: m[k] for k in ("source", "path", "readonly")} for m in spec["mounts"]],
            labels=spec["labels"], mac=spec["mac"], network=network_text(spec["network"]) if spec["network"] else None,
            stateless=spec["stateless"], accel=spec["accel"],
            console=self.console_uri() if state == "running" else None, **extra)


def shown(spec):
    """The settings of a spec as the diff shows them."""
    return {s.key: s.show(spec[s.key]) for s in SETTINGS}


def restart_differences(live, persistent):
    """Names of the settings a running VM (`live` spec) still has differently from its definition."""
    return [key for key in RESTART_KEYS if live[key] != persistent[key]]
