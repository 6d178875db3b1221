# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""qemu_vm with an http URL image, on the real libvirt daemon, against the harness' HTTP server on loopback
(tests/env/image_server.py), without booting: state=stopped downloads the image once into the cache (checksum
checked), makes the overlay and defines the domain, never starts it. A re-run makes no request; a wrong
checksum or a server that is down fails with the URL and the option named and leaves nothing behind."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

libvirt = pytest.importorskip("libvirt")

URI = "qemu:///system"


@pytest.fixture
def served(image_server):
    """A small qcow2 under the server's files/, its URL, checksum and a way to count requests for it."""
    probe = "qvm-url-%s" % uuid.uuid4().hex[:8]
    folder = image_server.path("files", probe)
    os.makedirs(folder)
    image = os.path.join(folder, "tiny.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", image, "64M"], check=True)
    with open(image, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()

    def requests():
        with open(image_server.path("access.log"), encoding="utf-8") as log:
            return sum(1 for line in log if "/files/%s/tiny.qcow2" % probe in line)
    work = tempfile.mkdtemp(prefix="qvm-url-", dir="/var/lib/libvirt/images")
    try:
        yield {"name": probe, "url": "%s/files/%s/tiny.qcow2" % (image_server.FILES_URL, probe), "sha256": digest,
               "requests": requests, "cache": os.path.join(work, "cache"), "pool": os.path.join(work, "pool")}
    finally:
        conn = libvirt.open(URI)
        try:
            for name in (probe, probe + "-bad", probe + "-down"):
                try:
                    conn.lookupByName(name).undefine()
                except libvirt.libvirtError:
                    pass
        finally:
            conn.close()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def domain_state(name):
    conn = libvirt.open(URI)
    try:
        try:
            dom = conn.lookupByName(name)
        except libvirt.libvirtError:
            return None
        return "active" if dom.isActive() else "defined"
    finally:
        conn.close()


def files_under(path):
    return sorted(os.path.relpath(os.path.join(d, f), path) for d, _dirs, names in os.walk(path) for f in names)


def test_url_image_downloaded_once_and_verified_without_booting(served, run_module):
    args = {"name": served["name"], "uri": URI, "image": served["url"], "checksum": "sha256:" + served["sha256"],
            "state": "stopped", "cache_dir": served["cache"], "pool_dir": served["pool"], "memory": "256MiB"}

    predicted = run_module("qemu_vm", args, check_mode=True)
    assert predicted["changed"] and predicted["actions"][0] == "download image", predicted
    assert served["requests"]() == 0 and not os.path.exists(served["cache"]) and domain_state(args["name"]) is None

    created = run_module("qemu_vm", args)
    assert created["changed"] and created["actions"][:2] == ["download image", "create overlay"], created
    assert "start" not in created["actions"] and domain_state(args["name"]) == "defined"
    assert served["requests"]() == 1
    cached = files_under(served["cache"])
    # the image and its record (size and checksum, written once verified): no lock file
    assert len(cached) == 2 and cached[0].endswith("/tiny.qcow2") and cached[1].endswith("/tiny.qcow2.verified"), cached
    with open(os.path.join(served["cache"], cached[0]), "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == served["sha256"]
    overlay = os.path.join(served["pool"], args["name"], "disk.qcow2")
    info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", overlay], capture_output=True,
                                     text=True, check=True).stdout)
    assert info["backing-filename"] == os.path.join(served["cache"], cached[0])

    again = run_module("qemu_vm", args)
    assert not again["changed"] and again["actions"] == [], again
    assert served["requests"]() == 1, "the cached image was fetched again"

    gone = run_module("qemu_vm", dict(args, state="absent"))
    assert gone["changed"] and domain_state(args["name"]) is None
    assert files_under(served["cache"]) == cached, "absent must keep the cached base image"


def test_bad_checksum_and_server_down_leave_nothing(served, run_module):
    base = {"uri": URI, "state": "stopped", "cache_dir": served["cache"], "pool_dir": served["pool"],
            "memory": "256MiB"}
    wrong = "0" * 64
    bad = run_module("qemu_vm", dict(base, name=served["name"] + "-bad", image=served["url"], checksum="sha256:" + wrong))
    assert bad["failed"] and bad["msg"].startswith("checksum: the download of %s has sha256:%s, expected sha256:%s"
                                                   % (served["url"], served["sha256"], wrong)), bad
    assert served["requests"]() == 1
    down_url = "http://127.0.0.1:9/tiny.qcow2"   # the discard port: nothing listens there
    down = run_module("qemu_vm", dict(base, name=served["name"] + "-down", image=down_url, checksum="sha256:" + wrong))
    assert down["failed"] and down["msg"].startswith("image: downloading %s failed: " % down_url), down
    for name in (served["name"] + "-bad", served["name"] + "-down"):
        assert domain_state(name) is None
    assert files_under(served["cache"]) == [] and files_under(served["pool"]) == []
