# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start-to-SSH of one VM through workstation.vms.qemu_vm (a whole ansible-playbook run: state=started,
wait_for=ssh) against a raw `virsh create` of the same domain XML (same overlay layout, same seed, fresh overlay)
polled the same way (DHCP lease, then SSH banner), measured in the same run, one after the other.
Also the per-VM disk: overlay at creation and after the boot. Not part of `make test` (two TCG boots).

Repetitions interleaved (raw, module, raw, module, ...), each boot a first boot (fresh overlay and seed).

Usage: tests/bench/run.sh qemu_start [--reps 3]   (QVM_BENCH_ORDER=module,raw to start with the module)"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import libvirt

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))
import benchlib  # noqa: E402  pylint: disable=wrong-import-position
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


def raw_boot(conn, tmp, raw_xml, raw_mac):
    """A fresh overlay and seed, `virsh create`, then the same polls as the module: seconds to the SSH banner."""
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", IMAGES + "/base.qcow2",
                    os.path.join(tmp, "disk.qcow2"), str(3 * 1024 ** 3)], check=True)
    shutil.copy(os.path.join(POOL, NAME, "seed.iso"), os.path.join(tmp, "seed.iso"))
    start = time.monotonic()
    subprocess.run(["virsh", "-c", "qemu:///system", "create", raw_xml], check=True, stdout=subprocess.DEVNULL)
    wait_ssh(conn, raw_mac)
    took = time.monotonic() - start
    conn.lookupByName(RAW).destroy()
    return took


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    opts = parser.parse_args()
    order = os.environ.get("QVM_BENCH_ORDER", "raw,module").split(",")
    started_load = benchlib.gate("qemu_start")
    conn = libvirt.open("qemu:///system")
    tmp = tempfile.mkdtemp(prefix="qvm-bench-", dir="/var/lib/libvirt/images")
    os.chmod(tmp, 0o711)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(tmp, "id")], check=True)
    with open(os.path.join(tmp, "id.pub")) as handle:
        common = dict(name=NAME, key=handle.read().strip())
    times = {"module": [], "raw": []}
    result = {"repetitions": opts.reps, "order": order, "overlay_after_first_boot_kib": []}
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
        with open(os.path.join(tmp, "raw.xml"), "w") as handle:
            handle.write(raw_xml)
        for rep in range(opts.reps):
            for which in order:
                if which == "raw":
                    times["raw"].append(raw_boot(conn, tmp, os.path.join(tmp, "raw.xml"), raw_mac))
                    continue
                if rep:   # a fresh domain: every timed boot is a first boot
                    remove(conn, tmp)
                    playbook(tmp, state="present", wait="none", **common)
                times["module"].append(playbook(tmp, state="started", wait="ssh", **common))
                result["overlay_after_first_boot_kib"].append(kib(overlay))
                subprocess.run(["virsh", "-c", "qemu:///system", "destroy", NAME], check=True,
                               stdout=subprocess.DEVNULL)
        start = time.monotonic()
        subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", "x=1",
                        os.path.join(tmp, "play-absent.yml")], check=True, stdout=subprocess.DEVNULL)
        result["ansible_noop_run_s"] = round(time.monotonic() - start, 1)
    finally:
        remove(conn, tmp)
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    result.update(all_s={k: [round(x, 1) for x in v] for k, v in times.items()},
                  median_s={k: round(v, 1) for k, v in med.items()},
                  ratio_module_over_raw=benchlib.ratio(med["module"], med["raw"]))
    overlay_mib = max(result["overlay_after_first_boot_kib"]) / 1024.0
    benchlib.report("qemu_start", result, started_load, [
        "start to SSH, median of %d: qemu_vm %.1fs, raw virsh create %.1fs: ratio %s (goal <= 1.1)"
        % (opts.reps, med["module"], med["raw"], result["ratio_module_over_raw"]),
        "per-VM overlay: %d KiB at creation, up to %.1f MiB after the first boot (goal <= 5 MiB); seed %d KiB"
        % (result["overlay_at_creation_kib"], overlay_mib, result["seed_kib"]),
    ])


if __name__ == "__main__":
    main()
