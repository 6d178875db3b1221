# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lxd_instance with `image: teststreams:debian/12` on the real LXD and Incus daemons: the remote is defined like
any user remote and points at the harness' simplestreams server (tests/env/image_server.py). The daemon itself
downloads the image (check mode predicts the create and downloads nothing), caches it with the server as its
update source, and the second run changes nothing. Built-in remote names resolve per daemon (GET /1.0)."""

from __future__ import annotations

import json
import os
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
            "fingerprint": items["lxd.tar.xz"]["combined_sha256"]}


def downloads(streams):
    """How many times the rootfs was fetched from the server so far."""
    with open(streams["log"], encoding="utf-8") as log:
        return sum(1 for line in log if "rootfs.tar.gz HTTP" in line and '" 200 ' in line)


@pytest.fixture(params=sorted(SOCKETS))
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


def test_launch_from_user_simplestreams_remote(daemon, streams, run_module):
    kind, socket, client, name = daemon
    args = {"name": name, "socket": socket, "image": "teststreams:debian/12", "state": "started",
            "remotes": {"teststreams": {"server": streams["url"], "protocol": "simplestreams",
                                        "certificate": streams["certificate"]}}}
    before = downloads(streams)

    predicted = run_module("lxd_instance", args, check_mode=True)
    assert predicted["changed"] and predicted["actions"] == ["create"], predicted
    assert not client.instances.exists(name) and downloads(streams) == before
    assert not client.images.exists(streams["fingerprint"])

    created = run_module("lxd_instance", args)
    assert created["changed"] and created["actions"] == ["create"], created
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
