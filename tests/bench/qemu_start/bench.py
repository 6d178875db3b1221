# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start-to-SSH of one VM through workstation.vms.qemu_vm (a whole ansible-playbook run: state=started,
wait_for=ssh) against a raw `virsh create` of the same domain XML (same overlay layout, same seed, fresh overlay)
polled the same way (DHCP lease, then SSH banner), measured in the same run, one after the other.
Also the per-VM disk: overlay at creation and after the boot. Not part of `make test` (two TCG boots).

Usage: tests/bench/qemu_start/run.sh   (prints a JSON summary; QVM_BENCH_ORDER=module,raw or raw,module)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import libvirt

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
from ansible_collections.workstation.vms.plugins.module_utils.waiting import poll, ssh_banner  # noqa: E402

IMAGES = "/var/cache/workstation-vms/images/current/vm"
POOL = "/var/lib/libvirt/images/workstation-vms"
NAME = "qvm-bench"
RAW = "qvm-bench-raw"
TIMEOUT = 1800

PLAY = """
- hosts: localhost
  gather_facts: false
  vars: {ansible_python_interpreter: "{{ ansible_playbook_python }}"}
  tasks:
    - workstation.vms.qemu_vm:
        name: %(name)s
        state: %(state)s
        image: %(images)s/base.qcow2
        kernel: %(images)s/vmlinuz
        initrd: %(images)s/initrd.img
        cmdline: root=/dev/vda rw console=ttyS0
        cpus: 1
        memory: 768M
        accel: tcg
        cloud_init: {ssh_authorized_keys: ["%(key)s"]}
        wait_for: %(wait)s
        wait_timeout: %(timeout)d
"""


def kib(path):
    return os.stat(path).st_blocks // 2


def playbook(tmp, **values):
    path = os.path.join(tmp, "play-%s.yml" % values["state"])
    with open(path, "w") as handle:
        handle.write(PLAY % dict(values, images=IMAGES, timeout=TIMEOUT))
    start = time.monotonic()
    subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", path], check=True,
                   stdout=subprocess.DEVNULL)
    return time.monotonic() - start


def wait_ssh(conn, mac):
    net = conn.networkLookupByName("default")

    def lease():
        found = [x["ipaddr"] for x in net.DHCPLeases() if x["mac"].lower() == mac]
        return found[0] if found else False
    ip = poll(lease, TIMEOUT, "lease")
    poll(lambda: ssh_banner(ip), TIMEOUT, "ssh")
    return ip


def remove(conn, tmp):
    subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", os.path.join(tmp, "play-absent.yml")],
                   check=False, stdout=subprocess.DEVNULL)
    try:
        conn.lookupByName(RAW).destroy()
    except libvirt.libvirtError:
        pass


def main():
    order = os.environ.get("QVM_BENCH_ORDER", "raw,module").split(",")
    conn = libvirt.open("qemu:///system")
    tmp = tempfile.mkdtemp(prefix="qvm-bench-", dir="/var/lib/libvirt/images")
    os.chmod(tmp, 0o711)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(tmp, "id")], check=True)
    key = open(os.path.join(tmp, "id.pub")).read().strip()
    common = dict(name=NAME, key=key)
    result = {}
    try:
        with open(os.path.join(tmp, "play-absent.yml"), "w") as handle:
            handle.write(PLAY % dict(common, state="absent", wait="none", images=IMAGES, timeout=TIMEOUT))
        remove(conn, tmp)
        # Define through the module (not timed), so that the raw run can reuse the very same XML.
        playbook(tmp, state="present", wait="none", **common)
        overlay = os.path.join(POOL, NAME, "disk.qcow2")
        result["overlay_at_creation_kib"] = kib(overlay)
        result["seed_kib"] = kib(os.path.join(POOL, NAME, "seed.iso"))
        xml = conn.lookupByName(NAME).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        raw_mac = "52:54:00:be:7c:01"
        raw_xml = re.sub(r"<uuid>.*?</uuid>", "", xml).replace("<name>%s</name>" % NAME, "<name>%s</name>" % RAW)
        raw_xml = re.sub(r"<mac address='[^']+'/>", "<mac address='%s'/>" % raw_mac, raw_xml)
        raw_xml = raw_xml.replace(os.path.join(POOL, NAME), tmp)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", IMAGES + "/base.qcow2",
                        os.path.join(tmp, "disk.qcow2"), str(3 * 1024 ** 3)], check=True)
        shutil.copy(os.path.join(POOL, NAME, "seed.iso"), os.path.join(tmp, "seed.iso"))
        with open(os.path.join(tmp, "raw.xml"), "w") as handle:
            handle.write(raw_xml)
        for which in order:
            if which == "raw":
                start = time.monotonic()
                subprocess.run(["virsh", "-c", "qemu:///system", "create", os.path.join(tmp, "raw.xml")], check=True,
                               stdout=subprocess.DEVNULL)
                wait_ssh(conn, raw_mac)
                result["raw_virsh_create_to_ssh_s"] = round(time.monotonic() - start, 1)
                conn.lookupByName(RAW).destroy()
            else:
                result["module_start_to_ssh_s"] = round(playbook(tmp, state="started", wait="ssh", **common), 1)
                result["overlay_after_boot_kib"] = kib(overlay)
                subprocess.run(["virsh", "-c", "qemu:///system", "destroy", NAME], check=True,
                               stdout=subprocess.DEVNULL)
        start = time.monotonic()
        subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", "x=1",
                        os.path.join(tmp, "play-absent.yml")], check=True, stdout=subprocess.DEVNULL)
        result["ansible_noop_run_s"] = round(time.monotonic() - start, 1)
        result["ratio_module_vs_raw"] = round(result["module_start_to_ssh_s"] / result["raw_virsh_create_to_ssh_s"], 3)
        result["load_average"] = os.getloadavg()
        result["order"] = order
    finally:
        remove(conn, tmp)
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
