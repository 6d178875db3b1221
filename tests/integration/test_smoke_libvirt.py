# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The VM harness is real: one transient TCG domain from the built qcow2, booted through libvirt-python directly
(hand-written XML, not the collection's), reached over SSH with a key from a NoCloud seed ISO, cloud-init done.
One boot. Everything is removed also when the test fails (fixture finalizers)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

from ansible_collections.workstation.vms.plugins.module_utils import cloudinit
from ansible_collections.workstation.vms.plugins.module_utils.waiting import poll, ssh_banner

libvirt = pytest.importorskip("libvirt")

IMAGES = "/var/cache/workstation-vms/images/current/vm"
URI = "qemu:///system"
TIMEOUT = int(os.environ.get("QVM_SMOKE_TIMEOUT", "1200"))

DOMAIN = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>{images}/vmlinuz</kernel>
    <initrd>{images}/initrd.img</initrd>
    <cmdline>root=/dev/vda rw console=ttyS0</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/><source file='{work}/disk.qcow2'/><target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/><source file='{work}/seed.iso'/><target dev='sda' bus='sata'/><readonly/>
    </disk>
    <interface type='network'><source network='default'/><mac address='{mac}'/><model type='virtio'/></interface>
    <serial type='pty'><target port='0'/></serial>
  </devices>
</domain>"""


@pytest.fixture
def conn():
    if not os.path.exists(os.path.join(IMAGES, "base.qcow2")):
        pytest.skip("no built VM image in %s (tests/env/build_images.sh)" % IMAGES)
    connection = libvirt.open(URI)
    yield connection
    connection.close()


@pytest.fixture
def work():
    path = tempfile.mkdtemp(prefix="qvm-smoke-", dir="/var/lib/libvirt/images")
    os.chmod(path, 0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)
    assert not os.path.exists(path)


@pytest.fixture
def key(work):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(work, "id")], check=True)
    with open(os.path.join(work, "id.pub")) as handle:
        return os.path.join(work, "id"), handle.read().strip()


@pytest.fixture
def vm(conn, work, key):
    name = "qvm-smoke-%s" % uuid.uuid4().hex[:8]
    mac = "52:54:00:%s:%s:%s" % tuple(uuid.uuid4().hex[i:i + 2] for i in (0, 2, 4))
    base = os.path.join(IMAGES, "base.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base,
                    os.path.join(work, "disk.qcow2")], check=True)
    user_data = cloudinit.render_user_data({"ssh_authorized_keys": [key[1]]})
    cloudinit.write_seed_iso(os.path.join(work, "seed.iso"), user_data, cloudinit.meta_data(name, name))
    dom = None
    try:
        dom = conn.createXML(DOMAIN.format(name=name, images=IMAGES, work=work, mac=mac), 0)
        yield dom, mac
    finally:
        try:
            conn.lookupByName(name).destroy()  # transient: destroy also removes the definition
        except libvirt.libvirtError:
            pass
        with pytest.raises(libvirt.libvirtError):
            conn.lookupByName(name)


def ssh(key_path, ip, command):
    return subprocess.run(["ssh", "-i", key_path, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                           "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
                           "debian@" + ip, command], capture_output=True, text=True, timeout=120, check=False)


def test_vm_from_built_image_ssh_and_cloud_init(conn, vm, key):
    dom, mac = vm
    started = time.monotonic()
    net = conn.networkLookupByName("default")

    def lease():
        leases = [x["ipaddr"] for x in net.DHCPLeases() if x["mac"].lower() == mac]
        return leases[0] if leases else (False, "no DHCP lease for %s" % mac)
    ip = poll(lease, TIMEOUT, "a DHCP lease")
    poll(lambda: ssh_banner(ip), TIMEOUT, "SSH on %s" % ip)

    def cloud_init_done():
        result = ssh(key[0], ip, "cloud-init status")
        assert "error" not in result.stdout, result.stdout + result.stderr
        return "status: done" in result.stdout or (False, (result.stdout + result.stderr).strip())
    poll(cloud_init_done, TIMEOUT, "cloud-init done", interval=2)
    result = ssh(key[0], ip, "cat /etc/debian_version; hostname")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0].startswith("12.")
    assert dom.isActive()
    print("smoke: boot to cloud-init done in %.0fs" % (time.monotonic() - started))
