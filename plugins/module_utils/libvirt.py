# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Everything the collection says to libvirt: domain XML (xml.etree), the image cache, overlays, IP discovery.

`LibvirtClient(uri)` needs no AnsibleModule: the qemu_vm module and the inventory plugin both use it."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import shlex
import signal
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from ansible_collections.workstation.vms.plugins.module_utils.common import (
    InputError, format_size, instance_result, parse_size)

try:
    import libvirt
    HAS_LIBVIRT = True
except ImportError:  # the module reports it with missing_required_lib
    libvirt = None
    HAS_LIBVIRT = False

BACKEND = "libvirt"
DEFAULT_URI = "qemu:///system"
DEFAULT_POOL_DIR = "/var/lib/libvirt/images/workstation-vms"
DEFAULT_CACHE_DIR = "/var/cache/workstation-vms/downloads"
VIRTIOFSD = "/usr/lib/qemu/virtiofsd"
ACCEL_ENV = "WORKSTATION_VMS_ACCEL"
META_NS = "https://workstation.vms/libvirt/1"
QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
OVERLAY_NAME = "disk.qcow2"
SEED_NAME = "seed.iso"
KEEPER_PID = "keeper.pid"
CONSOLE_LOG = "console.log"
KEEPER_MARK = "workstation-vms-keeper"
NAME_RE = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
STATE_NAMES = {0: "unknown", 1: "running", 2: "blocked", 3: "paused", 4: "stopping", 5: "stopped", 6: "crashed",
               7: "suspended"}

ET.register_namespace("qemu", QEMU_NS)
ET.register_namespace("wvm", META_NS)


class LibvirtError(Exception):
    """A libvirt or host operation failed; the message says which."""


# ---------------------------------------------------------------- small pure helpers

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


def parse_checksum(value):
    """'sha256:HEX', 'sha512:HEX' or a bare sha256 HEX -> (algorithm, hex)."""
    if not value:
        return None
    algo, sep, digest = str(value).strip().partition(":")
    if not sep:
        algo, digest = "sha256", algo
    algo = algo.lower()
    lengths = {"sha256": 64, "sha512": 128, "sha1": 40, "md5": 32}
    digest = digest.lower()
    if algo not in lengths or len(digest) != lengths[algo] or not re.match(r"^[0-9a-f]+$", digest):
        raise InputError("checksum: '%s' must be ALGORITHM:HEX with ALGORITHM one of sha256, sha512, sha1, md5 "
                         "(or a bare sha256 hex digest)" % value)
    return algo, digest


def file_digest(path, algo):
    digest = hashlib.new(algo)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def image_format(path):
    with open(path, "rb") as handle:
        return "qcow2" if handle.read(4) == b"QFI\xfb" else "raw"


def image_virtual_size(path):
    """Virtual size of a qcow2 (from its header) or the size of a raw image, without running qemu-img."""
    with open(path, "rb") as handle:
        header = handle.read(32)
    if header[:4] == b"QFI\xfb":
        return struct.unpack(">Q", header[24:32])[0]
    return os.path.getsize(path)


def allocated_size(path):
    return os.stat(path).st_blocks * 512


# ---------------------------------------------------------------- domain XML

def _sub(parent, element, text=None, **attrs):
    elem = ET.SubElement(parent, element, {k.rstrip("_"): str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        elem.text = str(text)
    return elem


def build_domain_xml(spec):
    """Domain XML from a resolved spec (see QemuVmSpec in the module); only settings we manage, libvirt fills
    in the rest."""
    dom = ET.Element("domain", {"type": spec["accel"]})
    _sub(dom, "name", spec["name"])
    if spec.get("uuid"):
        _sub(dom, "uuid", spec["uuid"])
    meta = _sub(_sub(dom, "metadata"), "{%s}vm" % META_NS)
    _sub(meta, "{%s}image" % META_NS, source=spec["image"], backing=spec["backing"])
    _sub(meta, "{%s}seed" % META_NS, digest=spec["seed_digest"])
    _sub(meta, "{%s}dir" % META_NS, path=spec["dir"])
    mounts_el = _sub(meta, "{%s}mounts" % META_NS)
    for mount in spec["mounts"]:
        _sub(mounts_el, "{%s}mount" % META_NS, tag=mount["tag"], path=mount["path"],
             readonly="true" if mount["readonly"] else "false")
    labels_el = _sub(meta, "{%s}labels" % META_NS)
    for key in sorted(spec["labels"]):
        _sub(labels_el, "{%s}label" % META_NS, key=key, value=spec["labels"][key])
    _sub(dom, "memory", spec["memory"] // 1024, unit="KiB")
    _sub(dom, "currentMemory", spec["memory"] // 1024, unit="KiB")
    _sub(dom, "vcpu", spec["cpus"], placement="static")
    if any(m["type"] == "virtiofs" for m in spec["mounts"]):
        backing = _sub(dom, "memoryBacking")
        _sub(backing, "source", type="memfd")
        _sub(backing, "access", mode="shared")
    os_el = _sub(dom, "os", firmware="efi" if spec["firmware"] == "uefi" else None)
    _sub(os_el, "type", "hvm", arch="x86_64", machine="q35")
    if spec.get("kernel"):
        _sub(os_el, "kernel", spec["kernel"])
        if spec.get("initrd"):
            _sub(os_el, "initrd", spec["initrd"])
        if spec.get("cmdline"):
            _sub(os_el, "cmdline", spec["cmdline"])
    else:
        _sub(os_el, "boot", dev="hd")
    features = _sub(dom, "features")
    _sub(features, "acpi")
    _sub(features, "apic")
    if spec["accel"] == "kvm":
        _sub(dom, "cpu", mode="host-passthrough")
    _sub(dom, "on_poweroff", "destroy")
    _sub(dom, "on_reboot", "destroy" if spec["stateless"] else "restart")
    _sub(dom, "on_crash", "destroy")
    devices = _sub(dom, "devices")
    disk = _sub(devices, "disk", type="file", device="disk")
    _sub(disk, "driver", name="qemu", type="qcow2", discard="unmap")
    _sub(disk, "source", file=spec["overlay"])
    _sub(disk, "target", dev="vda", bus="virtio")
    if spec["stateless"]:
        _sub(disk, "transient")
    seed = _sub(devices, "disk", type="file", device="cdrom")
    _sub(seed, "driver", name="qemu", type="raw")
    _sub(seed, "source", file=spec["seed"])
    _sub(seed, "target", dev="sda", bus="sata")
    _sub(seed, "readonly")
    net = spec["network"]
    if net["mode"] != "user":
        iface = _sub(devices, "interface", type=net["mode"])
        _sub(iface, "mac", address=spec["mac"])
        _sub(iface, "source", **{net["mode"]: net["source"]})
        _sub(iface, "model", type="virtio")
    for mount in spec["mounts"]:
        fs_el = _sub(devices, "filesystem", type="mount",
                     accessmode="passthrough" if mount["type"] == "virtiofs" else "mapped")
        if mount["type"] == "virtiofs":
            _sub(fs_el, "driver", type="virtiofs")
            _sub(fs_el, "binary", path=VIRTIOFSD)
        _sub(fs_el, "source", dir=mount["source"])
        _sub(fs_el, "target", dir=mount["tag"])
        if mount["readonly"] and mount["type"] == "9p":
            _sub(fs_el, "readonly")
    serial = _sub(devices, "serial", type="pty")
    _sub(serial, "log", file=os.path.join(spec["dir"], CONSOLE_LOG), append="off")
    _sub(serial, "target", port="0")
    _sub(_sub(devices, "console", type="pty"), "target", type="serial", port="0")
    channel = _sub(devices, "channel", type="unix")
    _sub(channel, "target", type="virtio", name="org.qemu.guest_agent.0")
    if spec["graphics"] != "none":
        graphics = _sub(devices, "graphics", type=spec["graphics"], autoport="yes", listen="127.0.0.1")
        _sub(graphics, "listen", type="address", address="127.0.0.1")
        _sub(_sub(devices, "video"), "model", type="qxl" if spec["graphics"] == "spice" else "virtio")
        if spec["graphics"] == "spice":
            # spice-vdagent in the guest (clipboard sharing, resize with the window) talks over this channel.
            _sub(_sub(devices, "channel", type="spicevmc"), "target", type="virtio", name="com.redhat.spice.0")
    else:
        _sub(_sub(devices, "video"), "model", type="none")
    rng = _sub(devices, "rng", model="virtio")
    _sub(rng, "backend", "/dev/urandom", model="random")
    if net["mode"] == "user":
        netdev = "user,id=wvmnet0" + "".join(
            ",hostfwd=%s:%s:%d-:%d" % (f["protocol"], f["host_address"], f["host_port"], f["guest_port"])
            for f in spec["port_forwards"])
        cmd = _sub(dom, "{%s}commandline" % QEMU_NS)
        for arg in ("-netdev", netdev, "-device", "virtio-net-pci,netdev=wvmnet0,mac=%s" % spec["mac"]):
            _sub(cmd, "{%s}arg" % QEMU_NS, value=arg)
    return ET.tostring(dom, encoding="unicode")


def managed_from_spec(spec):
    """The settings we manage, in the form the diff shows; the same function reads a domain (spec_from_xml)."""
    return {
        "cpus": spec["cpus"], "memory": format_size(spec["memory"]), "accel": spec["accel"],
        "firmware": spec["firmware"], "kernel": spec.get("kernel") or None, "initrd": spec.get("initrd") or None,
        "cmdline": spec.get("cmdline") or None, "stateless": spec["stateless"], "mac": spec["mac"],
        "network": network_text(spec["network"]) if spec["network"] else None,
        "port_forwards": list(spec["port_forwards"]),
        "mounts": [{k: m[k] for k in ("source", "path", "readonly", "type")} for m in spec["mounts"]],
        "graphics": spec["graphics"], "labels": dict(spec["labels"]), "image": spec["image"],
        "cloud_init": spec["seed_digest"],
    }


def _text(root, path):
    elem = root.find(path)
    return elem.text if elem is not None and elem.text is not None else None


def _meta(meta, tag, attr):
    if meta is None:
        return None
    elem = meta.find("{%s}%s" % (META_NS, tag))
    return elem.get(attr) if elem is not None else None


def spec_from_xml(xml_text):
    """Read back the spec from a domain's XML: only what build_domain_xml writes; libvirt's defaults are ignored."""
    root = ET.fromstring(xml_text)
    meta = root.find("metadata/{%s}vm" % META_NS)
    mount_meta = {}
    labels = {}
    if meta is not None:
        for mount in meta.findall("{%s}mounts/{%s}mount" % (META_NS, META_NS)):
            mount_meta[mount.get("tag")] = mount
        for label in meta.findall("{%s}labels/{%s}label" % (META_NS, META_NS)):
            labels[label.get("key")] = label.get("value")
    memory = root.find("memory")
    mem_bytes = int(memory.text) * {"KiB": 1024, "k": 1024, "MiB": 1024 ** 2, "M": 1024 ** 2, "GiB": 1024 ** 3,
                                    "G": 1024 ** 3, "b": 1, "bytes": 1}.get(memory.get("unit", "KiB"), 1024)
    os_el = root.find("os")
    mac = network = None
    forwards = []
    iface = root.find("devices/interface")
    if iface is not None:
        mode = iface.get("type")
        source = iface.find("source")
        network = {"mode": mode, "source": source.get(mode, "") if source is not None else ""}
        mac_el = iface.find("mac")
        mac = mac_el.get("address") if mac_el is not None else None
    for arg in root.findall("{%s}commandline/{%s}arg" % (QEMU_NS, QEMU_NS)):
        value = arg.get("value", "")
        if value.startswith("user,id=wvmnet0"):
            network = {"mode": "user", "source": ""}
            for proto, addr, hport, gport in re.findall(r"hostfwd=(tcp|udp):([0-9.]*):(\d+)-:(\d+)", value):
                forwards.append({"protocol": proto, "host_address": addr, "host_port": int(hport),
                                 "guest_port": int(gport)})
        match = re.search(r"netdev=wvmnet0,mac=([0-9a-f:]+)", value)
        if match:
            mac = match.group(1)
    mounts = []
    for fs_el in root.findall("devices/filesystem"):
        driver = fs_el.find("driver")
        kind = "virtiofs" if driver is not None and driver.get("type") == "virtiofs" else "9p"
        tag = fs_el.find("target").get("dir")
        info = mount_meta.get(tag)
        readonly = fs_el.find("readonly") is not None or (info is not None and info.get("readonly") == "true")
        mounts.append({"source": fs_el.find("source").get("dir"), "path": info.get("path") if info is not None
                       else tag, "readonly": readonly, "type": kind, "tag": tag})
    mounts.sort(key=lambda m: m["path"])
    disk_el = root.find("devices/disk[@device='disk']")
    seed_el = root.find("devices/disk[@device='cdrom']/source")
    graphics = root.find("devices/graphics")
    uuid = root.find("uuid")
    return {
        "name": root.find("name").text, "uuid": uuid.text if uuid is not None else None,
        "cpus": int(root.find("vcpu").text), "memory": mem_bytes, "accel": root.get("type"),
        "firmware": "uefi" if (os_el.get("firmware") == "efi" or os_el.find("loader") is not None) else "bios",
        "kernel": _text(root, "os/kernel"), "initrd": _text(root, "os/initrd"), "cmdline": _text(root, "os/cmdline"),
        "stateless": disk_el is not None and disk_el.find("transient") is not None, "mac": mac,
        "network": network, "port_forwards": sorted(forwards, key=lambda f: (f["protocol"], f["host_port"])),
        "mounts": mounts, "graphics": graphics.get("type") if graphics is not None else "none",
        "labels": labels, "image": _meta(meta, "image", "source"), "backing": _meta(meta, "image", "backing"),
        "seed_digest": _meta(meta, "seed", "digest"), "dir": _meta(meta, "dir", "path"),
        "overlay": disk_el.find("source").get("file") if disk_el is not None and disk_el.find("source") is not None
        else None,
        "seed": seed_el.get("file") if seed_el is not None else None,
        "ours": meta is not None,
    }


def managed_from_xml(xml_text):
    return managed_from_spec(spec_from_xml(xml_text))


def console_uri(xml_text):
    """spice://127.0.0.1:5900 / vnc://... from the live XML, or None."""
    graphics = ET.fromstring(xml_text).find("devices/graphics")
    if graphics is None or graphics.get("port") in (None, "-1"):
        return None
    host = graphics.get("listen") or "127.0.0.1"
    return "%s://%s:%s" % (graphics.get("type"), host, graphics.get("port"))


def instance_from_xml(xml_text, state, ipv4=None, ipv6=None, disk=None, **extra):
    cur = managed_from_xml(xml_text)
    root = ET.fromstring(xml_text)
    return instance_result(
        root.find("name").text, BACKEND, itype="vm", state=state, ipv4=ipv4, ipv6=ipv6, image=cur["image"],
        cpus=cur["cpus"], memory=parse_size(cur["memory"]) if cur["memory"] else None, disk=disk,
        mounts=[{k: m[k] for k in ("source", "path", "readonly")} for m in cur["mounts"]],
        labels=cur["labels"], mac=cur["mac"], network=cur["network"], stateless=cur["stateless"],
        accel=cur["accel"], console=console_uri(xml_text) if state == "running" else None, **extra)


# ---------------------------------------------------------------- accelerator choice

PROBE_BOOT_SECTOR = bytes([0xb0, 0x01, 0xe6, 0xf4, 0xf4, 0xeb, 0xfe])  # mov al,1; out 0xf4,al; hlt; jmp $


def probe_kvm(qemu="qemu-system-x86_64", timeout=3.0):
    """True when KVM really runs a guest: boot a 512-byte boot sector under -accel kvm that writes to QEMU's
    isa-debug-exit port (QEMU exits with status 3). Where KVM hangs guests (nested setups without working
    virtualisation), the probe times out instead; under TCG the same sector exits in about 0.1 s."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    with tempfile.TemporaryDirectory(prefix="wvm-kvm-probe-") as tmp:
        image = os.path.join(tmp, "probe.img")
        with open(image, "wb") as handle:
            handle.write(PROBE_BOOT_SECTOR + b"\0" * (510 - len(PROBE_BOOT_SECTOR)) + b"\x55\xaa")
        try:
            result = subprocess.run(
                [qemu, "-accel", "kvm", "-display", "none", "-nodefaults", "-no-user-config", "-m", "16",
                 "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-drive",
                 "file=%s,format=raw,if=floppy" % image, "-boot", "a"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return result.returncode == 3


def resolve_accel(accel, environ=None, probe=probe_kvm):
    """Domain type for accel auto|kvm|tcg. auto: $WORKSTATION_VMS_ACCEL (kvm|tcg) if set, else the KVM probe."""
    environ = os.environ if environ is None else environ
    if accel == "auto":
        override = environ.get(ACCEL_ENV, "").strip().lower()
        if override in ("kvm", "tcg"):
            accel = override
        elif override:
            raise InputError("accel: environment variable %s='%s' must be kvm or tcg" % (ACCEL_ENV, override))
        else:
            accel = "kvm" if probe() else "tcg"
    return "kvm" if accel == "kvm" else "qemu"


# ---------------------------------------------------------------- the stateless keeper

# Started detached for a stateless domain: its <on_reboot> is destroy (so a guest reboot is a real stop that
# drops the <transient/> overlay), and this loop starts it again. Killed by the module before a host-side
# stop/restart; exits by itself when the domain is undefined.
KEEPER_CODE = r"""
import sys, time, libvirt
uri, uuid = sys.argv[2], sys.argv[3]
libvirt.registerErrorHandler(lambda *args: None, None)
while True:
    try:
        conn = libvirt.open(uri)
        while True:
            try:
                dom = conn.lookupByUUIDString(uuid)
            except libvirt.libvirtError as exc:
                if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                    sys.exit(0)
                raise
            if not dom.isActive():
                dom.create()
            time.sleep(1)
    except libvirt.libvirtError:
        time.sleep(2)
"""


def keeper_pid(vm_dir, uuid):
    try:
        with open(os.path.join(vm_dir, KEEPER_PID)) as handle:
            pid = int(handle.read().strip())
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            cmdline = handle.read().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if KEEPER_MARK.encode() in cmdline and uuid.encode() in cmdline else None


def start_keeper(uri, vm_dir, uuid):
    if keeper_pid(vm_dir, uuid):
        return False
    proc = subprocess.Popen([sys.executable, "-c", KEEPER_CODE, KEEPER_MARK, uri, uuid], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True,
                            start_new_session=True)
    with open(os.path.join(vm_dir, KEEPER_PID), "w") as handle:
        handle.write("%d\n" % proc.pid)
    return True


def stop_keeper(vm_dir, uuid):
    pid = keeper_pid(vm_dir, uuid)
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _dummy in range(50):
            if keeper_pid(vm_dir, uuid) is None:
                break
            time.sleep(0.05)
    try:
        os.unlink(os.path.join(vm_dir, KEEPER_PID))
    except OSError:
        pass
    return bool(pid)


# ---------------------------------------------------------------- image cache and per-VM files

def cache_path(cache_dir, url, checksum):
    key = hashlib.sha256(("%s\n%s" % (url, checksum or "")).encode("utf-8")).hexdigest()[:16]
    base = re.sub(r"[^A-Za-z0-9._-]", "_", url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]) or "image"
    return os.path.join(cache_dir, key, base)


def fetch_image(url, checksum, cache_dir, open_url):
    """Download `url` once into the cache and return its path. The data goes to a temporary file in the same
    directory and is renamed into place only after the checksum matched: a partial or corrupt download is
    never used. A lock file serialises concurrent runs."""
    dest = cache_path(cache_dir, url, checksum)
    if os.path.exists(dest):
        return dest, False
    os.makedirs(os.path.dirname(dest), mode=0o755, exist_ok=True)
    with open(dest + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(dest):
            return dest, False
        algo, want = checksum
        digest = hashlib.new(algo)
        fd, tmp = tempfile.mkstemp(prefix=".part-", dir=os.path.dirname(dest))
        try:
            with os.fdopen(fd, "wb") as out:
                response = open_url(url)
                for block in iter(lambda: response.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != want:
                raise LibvirtError("image: checksum mismatch for %s: expected %s:%s, got %s:%s"
                                   % (url, algo, want, algo, digest.hexdigest()))
            os.chmod(tmp, 0o644)
            os.rename(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return dest, True


def create_overlay(backing, overlay, size, run=subprocess.run):
    """A qcow2 overlay whose backing file is the (never written) base image; its virtual size is `size`."""
    result = run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", image_format(backing), "-b", backing,
                  overlay, str(size)], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LibvirtError("qemu-img create %s failed: %s" % (overlay, result.stderr.strip()))
    os.chmod(overlay, 0o600)


def resize_overlay(overlay, size, run=subprocess.run):
    result = run(["qemu-img", "resize", "-q", overlay, str(size)], stdin=subprocess.DEVNULL,
                 capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LibvirtError("qemu-img resize %s failed: %s" % (overlay, result.stderr.strip()))


def remove_vm_files(vm_dir):
    """Remove only the files this collection put in the VM's own directory, then the directory if empty.
    The base image lives elsewhere and mounted host dirs are never touched."""
    removed = []
    if not vm_dir or not os.path.isdir(vm_dir):
        return removed
    for entry in sorted(os.listdir(vm_dir)):
        ours = entry in (OVERLAY_NAME, SEED_NAME, KEEPER_PID, CONSOLE_LOG)
        if ours or entry.startswith((OVERLAY_NAME + ".TRANSIENT", ".seed-")):
            os.unlink(os.path.join(vm_dir, entry))
            removed.append(entry)
    try:
        os.rmdir(vm_dir)
    except OSError:
        pass
    return removed


# ---------------------------------------------------------------- the client

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
        return STATE_NAMES.get(dom.state()[0], "unknown")

    @staticmethod
    def xml(dom, inactive=False):
        return dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0)

    def define(self, xml_text):
        try:
            return self.conn.defineXML(xml_text)
        except libvirt.libvirtError as exc:
            raise LibvirtError("defining the domain failed: %s" % exc)

    def network_exists(self, net):
        if net["mode"] != "network":
            return True
        try:
            self.conn.networkLookupByName(net["source"])
            return True
        except libvirt.libvirtError:
            return False

    @staticmethod
    def call(what, func, *args):
        try:
            return func(*args)
        except libvirt.libvirtError as exc:
            raise LibvirtError("%s failed: %s" % (what, exc))

    def stop(self, dom, timeout=60):
        """ACPI shutdown, then destroy if the guest has not stopped within `timeout` seconds."""
        if not dom.isActive():
            return
        if self.state(dom) == "paused":
            self.call("resume", dom.resume)
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
            self.call("destroy", dom.destroy)

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
    def agent_addresses(dom):
        """(ipv4, ipv6) the guest agent reports, loopback and link-local left out; ([], []) if it does not answer."""
        ipv4, ipv6 = [], []
        try:
            ifaces = dom.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, 0)
        except libvirt.libvirtError:
            return ipv4, ipv6
        for name, data in sorted(ifaces.items()):
            if name == "lo":
                continue
            for addr in data.get("addrs") or []:
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
        return self.agent_addresses(dom)

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
        """Every domain as a common instance_result dict: one listAllDomains, one XMLDesc per domain (labels
        come from our metadata), the DHCP leases once per active network, and at most one guest-agent query
        per running domain whose MAC has no lease."""
        result = []
        try:
            domains = self.conn.listAllDomains(0)
        except libvirt.libvirtError as exc:
            raise LibvirtError("listing domains on %s failed: %s" % (self.uri, exc))
        leases = None
        for dom in domains:
            try:
                xml_text = dom.XMLDesc(0)
                state = self.state(dom)
            except libvirt.libvirtError:
                continue  # vanished meanwhile
            ipv4, ipv6 = [], []
            if state == "running":
                if leases is None:
                    leases = self.leases()
                try:
                    cur = managed_from_xml(xml_text)
                except (AttributeError, TypeError, ValueError):
                    cur = {"mac": None, "network": None}
                if cur["mac"] and leases.get(cur["mac"]):
                    ipv4 = list(leases[cur["mac"]])
                else:
                    ipv4, ipv6 = self.agent_addresses(dom)
            try:
                result.append(instance_from_xml(xml_text, state, ipv4=ipv4, ipv6=ipv6))
            except (AttributeError, TypeError, ValueError):
                root = ET.fromstring(xml_text)
                result.append(instance_result(root.find("name").text, BACKEND, itype="vm", state=state,
                                              ipv4=ipv4, ipv6=ipv6))
        return result


# ---------------------------------------------------------------- snapshots (qemu_snapshot)
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
    _sub(root, "name", name)
    if description:
        _sub(root, "description", description)
    if mode == "external" or not running:
        _sub(root, "memory", snapshot="no")
    disks_el = _sub(root, "disks")
    for disk in disks:
        if disk["readonly"] or not disk["file"]:
            _sub(disks_el, "disk", name=disk["dev"], snapshot="no")
        elif mode == "external":
            disk_el = _sub(disks_el, "disk", name=disk["dev"], snapshot="external")
            _sub(disk_el, "driver", type="qcow2")
            _sub(disk_el, "source", file="%s.%s" % (re.sub(r"\.qcow2$", "", disk["file"]), name))
        else:
            _sub(disks_el, "disk", name=disk["dev"], snapshot="internal")
    return ET.tostring(root, encoding="unicode")


def parse_snapshot_xml(xml_text):
    """name, description, created (epoch seconds), state, kind (internal/external), memory, parent, files."""
    root = ET.fromstring(xml_text)
    disks = root.findall("./disks/disk")
    external = [d for d in disks if d.get("snapshot") == "external"]
    memory = root.find("memory")
    parent = root.find("./parent/name")
    return {
        "name": _text(root, "name"),
        "description": _text(root, "description") or "",
        "created": int(_text(root, "creationTime") or 0) or None,
        "state": _text(root, "state") or "",
        "kind": "external" if external else "internal",
        "memory": memory is not None and memory.get("snapshot") not in (None, "no"),
        "parent": parent.text if parent is not None else "",
        "files": {d.get("name"): d.find("source").get("file") for d in external if d.find("source") is not None},
    }


def list_snapshots(dom):
    """[(virDomainSnapshot, parse_snapshot_xml dict)], oldest first."""
    try:
        found = [(snap, parse_snapshot_xml(snap.getXMLDesc(0))) for snap in dom.listAllSnapshots(0)]
    except libvirt.libvirtError as exc:
        raise LibvirtError("listing the snapshots of %s failed: %s" % (dom.name(), exc))
    return sorted(found, key=lambda item: (item[1]["created"] or 0, item[1]["name"]))


def create_snapshot(dom, xml_text, mode, running):
    """Take the snapshot; an external one of a running VM is disk-only and atomic, quiesced when the agent answers."""
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


def library_version(conn):
    try:
        return conn.getLibVersion()
    except libvirt.libvirtError:
        return 0


def revert_snapshot(dom, snap, start=False):
    flags = libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING if start else 0
    try:
        dom.revertToSnapshot(snap, flags)
    except libvirt.libvirtError as exc:
        raise LibvirtError("restoring snapshot %s of %s failed: %s" % (snap.getName(), dom.name(), exc))


def delete_snapshot(dom, snap):
    try:
        snap.delete(0)
    except libvirt.libvirtError as exc:
        raise LibvirtError("deleting snapshot %s of %s failed: %s" % (snap.getName(), dom.name(), exc))
