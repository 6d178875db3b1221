# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The harness is real: a container from the locally built image, launched through pylxd, runs a command."""

from __future__ import annotations

import os
import uuid

import pylxd
import pytest

SOCKETS = {"lxd": "/var/lib/lxd/unix.socket", "incus": "/var/lib/incus/unix.socket"}


@pytest.fixture(params=sorted(SOCKETS))
def client(request):
    socket = SOCKETS[request.param]
    if request.param == "incus" and not os.path.exists(socket):
        pytest.skip("Incus is not installed on this host")
    return pylxd.Client(endpoint=socket)


@pytest.fixture
def container(client, remove_instance):
    name = "smoke-%s" % uuid.uuid4().hex[:8]
    config = {"name": name, "source": {"type": "image", "alias": "debian/12"}}
    try:
        instance = client.instances.create(config, wait=True)
        instance.start(wait=True)
        yield instance
    finally:
        remove_instance(client, name)


def test_container_from_built_image_runs_a_command(container):
    result = container.execute(["sh", "-c", "cat /etc/debian_version; command -v python3; command -v cloud-init"])
    assert result.exit_code == 0, result.stderr
    version, python3, cloud_init = result.stdout.split()
    assert version.startswith("12.")
    assert python3 == "/usr/bin/python3"
    assert cloud_init == "/usr/bin/cloud-init"
    assert container.status == "Running"
