# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The address rule on the real LXD and Incus daemons: a container with a docker0 bridge made inside it (with
172.17.0.1, which sorts before eth0) reports eth0's address first in lxd_instance's instance.ipv4 and
`wait_for: ipv4`, and as ansible_host / vm_ipv4 in the guests inventory."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

import pylxd
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOCKETS = {"lxd": "/var/lib/lxd/unix.socket", "incus": "/var/lib/incus/unix.socket"}
DOCKER0 = "172.17.0.1"


def eth0_ipv4(instance):
    nets = instance.state().network or {}
    return [a["address"] for a in (nets.get("eth0") or {}).get("addresses", []) if a["family"] == "inet"]


@pytest.fixture(scope="module", params=sorted(SOCKETS))
def docker_host(request, remove_instance):
    """One container per daemon for both tests (the module run changes nothing in it)."""
    socket = SOCKETS[request.param]
    if not os.path.exists(socket):
        pytest.skip("%s is not installed on this host" % request.param)
    client = pylxd.Client(endpoint=socket)
    name = "addr-%s" % uuid.uuid4().hex[:8]
    try:
        instance = client.instances.create({"name": name, "source": {"type": "image", "alias": "debian/12"},
                                            "config": {"user.label.addr-probe": name}}, wait=True)
        instance.start(wait=True)
        made = instance.execute(["sh", "-c", "ip link add docker0 type bridge && ip addr add %s/16 dev docker0 && "
                                 "ip link set docker0 up" % DOCKER0])
        assert made.exit_code == 0, made.stderr
        deadline = time.monotonic() + 60
        while not eth0_ipv4(instance):
            assert time.monotonic() < deadline, "no IPv4 on eth0 of %s within 60 s" % name
            time.sleep(0.5)
        docker0 = (instance.state().network or {}).get("docker0", {}).get("addresses", [])
        assert DOCKER0 in [a["address"] for a in docker0], "the daemon does not show docker0's address"
        yield socket, name, eth0_ipv4(instance)[0]
    finally:
        remove_instance(client, name)


def test_module_and_wait_for_pick_eth0(docker_host, run_module):
    socket, name, eth0 = docker_host
    result = run_module("lxd_instance", {"name": name, "socket": socket, "wait_for": "ipv4"})
    assert not result.get("failed") and not result["changed"], result
    assert result["instance"]["ipv4"][0] == eth0 and DOCKER0 not in result["instance"]["ipv4"], result["instance"]


def test_inventory_picks_eth0(docker_host, tmp_path):
    socket, name, eth0 = docker_host
    config = tmp_path / "addr.guests.yml"
    config.write_text("plugin: workstation.vms.guests\nbackends:\n  lxd: {socket: %s}\n"
                      "filters: {labels: {addr-probe: %s}}\n" % (socket, name))
    proc = subprocess.run(["ansible-inventory", "-i", str(config), "--list"], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    # ansible-core 2.19 prints plugin strings as {"__ansible_unsafe": "..."}
    hostvars = json.loads(proc.stdout, object_hook=lambda d: d["__ansible_unsafe"] if list(d) == ["__ansible_unsafe"]
                          else d)["_meta"]["hostvars"]
    host = next(h for h in hostvars.values() if h.get("ansible_lxd_instance") == name)
    assert host["ansible_host"] == eth0 and host["vm_ipv4"][0] == eth0 and DOCKER0 not in host["vm_ipv4"], host
