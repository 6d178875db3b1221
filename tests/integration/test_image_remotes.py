# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lxd_instance from the harness' simplestreams server (tests/env/image_server.py) on the real LXD and Incus daemons,
through a user remote (`teststreams:debian/12`, with the server's certificate pinned) and through built-in remote
names pointed at it with `remotes` (`images:debian/12`), as a user with a mirror of their own writes them. The
daemon itself downloads the image (check mode predicts the create and downloads nothing), caches it with the server
as its update source, and the second run changes nothing. The built-in names carry no
certificate: the daemon checks the server against the system CAs, where setup.sh put the test CA. Built-in remote
names resolve per daemon (GET /1.0). Each image has a container and a VM item; which one an instance type gets
is shown with the daemons' own simplestreams client (their VMs cannot run on this kernel)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid

import pylxd
import pytest

SOCKETS = {"lxd": "/var/lib/lxd/unix.socket", "incus": "/var/lib/incus/unix.socket"}


@pytest.fixture(scope="module")
def streams(image_server):
    with open(image_server.path("server.pem"), encoding="utf-8") as handle:
        certificate = handle.read()
    with open(image_server.path("streams", "v1", "images.json"), encoding="utf-8") as handle:
        product = json.load(handle)["products"][image_server.PRODUCT % "default"]
    items = next(iter(product["versions"].values()))["items"]
    return {"url": image_server.streams_url(), "certificate": certificate, "log": image_server.path("access.log"),
            "fingerprint": items["lxd.tar.xz"]["combined_sha256"],
            "vm_fingerprint": items["lxd.tar.xz"]["combined_disk-kvm-img_sha256"]}


def downloads(streams):
    """How many times the rootfs (and, to be sure, the VM disk) was fetched from the server so far."""
    with open(streams["log"], encoding="utf-8") as log:
        lines = [line for line in log if '" 200 ' in line]
    assert not any("disk.qcow2 HTTP" in line for line in lines), "a container launch fetched the VM disk"
    return sum(1 for line in lines if "rootfs.tar.gz HTTP" in line)


@pytest.fixture
def daemon(request, streams, remove_instance):
    socket = SOCKETS[request.param]
    if not os.path.exists(socket):
        pytest.skip("%s is not installed on this host" % request.param)
    client = pylxd.Client(endpoint=socket)
    name = "streams-%s" % uuid.uuid4().hex[:8]

    def forget_image():   # the image this test downloads: so that the daemon really downloads it
        if client.images.exists(streams["fingerprint"]):
            client.images.get(streams["fingerprint"]).delete(wait=True)
    forget_image()
    try:
        yield request.param, socket, client, name
    finally:
        remove_instance(client, name)
        forget_image()


# One built-in name per daemon: `ubuntu:` on LXD takes the same path in the module as `images:` (a name under
# `remotes` wins over the built-in one; tests/unit/plugins/module_utils/test_lxd.py), and a launch costs 20-70 s here.
@pytest.mark.parametrize("daemon, remote", [("lxd", "teststreams"), ("incus", "teststreams"), ("lxd", "images"),
                                            ("incus", "images")], indirect=["daemon"])
def test_launch_through_a_remote(daemon, remote, streams, run_module):
    kind, socket, client, name = daemon
    if remote == "teststreams":   # a user remote: a self-signed mirror's certificate pinned
        remotes = {remote: {"server": streams["url"], "protocol": "simplestreams", "certificate": streams["certificate"]}}
    else:                         # a built-in name with the URL of the user's mirror, nothing else
        remotes = {remote: streams["url"]}
    args = {"name": name, "socket": socket, "image": "%s:debian/12" % remote, "state": "started", "remotes": remotes}
    before = downloads(streams)

    predicted = run_module("lxd_instance", args, check_mode=True)
    assert predicted["changed"] and predicted["actions"] == ["create"], predicted
    assert not client.instances.exists(name) and downloads(streams) == before
    assert not client.images.exists(streams["fingerprint"])

    created = run_module("lxd_instance", args)
    assert created["changed"] and created["actions"] == ["create"], created
    assert created["instance"]["type"] == "container"
    assert created["instance"]["state"] == "running"
    assert downloads(streams) == before + 1, "the %s daemon did not download the rootfs from %s" % (kind, streams["url"])
    instance = client.instances.get(name)
    assert instance.config["volatile.base_image"] == streams["fingerprint"]
    image = client.api.images[streams["fingerprint"]].get().json()["metadata"]
    assert image["cached"] is True
    assert image["update_source"]["server"] == streams["url"]
    assert image["update_source"]["alias"] == "debian/12"
    assert image["update_source"]["protocol"] == "simplestreams"

    again = run_module("lxd_instance", args)
    assert not again["changed"] and again["actions"] == [], again
    assert downloads(streams) == before + 1

    gone = run_module("lxd_instance", dict(args, state="absent"))
    assert gone["changed"] and not client.instances.exists(name)


@pytest.mark.parametrize("kind, image, outcome", [
    ("lxd", "ubuntu:24.04", "create"),
    ("incus", "images:debian/12", "create"),
    ("incus", "ubuntu:24.04", "image: remote 'ubuntu' in 'ubuntu:24.04' is not a built-in remote of Incus"),
])
def test_builtin_remotes_follow_the_daemon(kind, image, outcome, run_module):
    """Check mode on the real daemons: the module asks GET /1.0 which daemon it is; Incus has no ubuntu:."""
    if not os.path.exists(SOCKETS[kind]):
        pytest.skip("%s is not installed on this host" % kind)
    args = {"name": "remotes-%s" % uuid.uuid4().hex[:8], "socket": SOCKETS[kind], "image": image, "state": "stopped"}
    result = run_module("lxd_instance", args, check_mode=True)
    if outcome == "create":
        assert not result.get("failed") and result["actions"] == ["create"], result
    else:
        assert result["failed"] and result["msg"].startswith(outcome), result


@pytest.mark.parametrize("cli, conf", [("lxc", "LXD_CONF"), ("incus", "INCUS_CONF")])
def test_instance_type_picks_the_container_or_the_vm_item(cli, conf, streams, tmp_path):
    """The daemon resolves `source.alias` for the instance type it is asked to create (lxd_instance sends `type`
    and the alias, never an item: tests/unit/plugins/modules/test_lxd_instance.py). The CLI of the same package
    resolves with the same simplestreams client, which shows what each type gets from this index without a VM."""
    if not os.path.exists(SOCKETS["lxd" if cli == "lxc" else cli]):
        pytest.skip("%s is not installed on this host" % cli)
    env = dict(os.environ, **{conf: str(tmp_path)})   # a CLI config of its own: the user's remotes stay as they are

    def cli_run(*args):
        proc = subprocess.run([cli] + list(args), env=env, capture_output=True, text=True, check=False, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout
    cli_run("remote", "add", "teststreams", streams["url"], "--protocol", "simplestreams", "--public")
    for flags, itype, fingerprint in (((), "container", streams["fingerprint"]),
                                      (("--vm",), "virtual-machine", streams["vm_fingerprint"])):
        info = cli_run("image", "info", "teststreams:debian/12", *flags)
        assert re.search(r"^Fingerprint: %s$" % fingerprint, info, re.M), info
        assert re.search(r"^Type: %s$" % itype, info, re.M), info
