# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/status.yml on the real LXD daemon: a running and a stopped container appear in its one table with
backend, state, address, labels and console command (the backends found by the playbook itself)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

import pylxd
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOCKET = "/var/lib/lxd/unix.socket"


def ipv4_of(instance):
    nets = instance.state().network or {}
    return [a["address"] for a in nets.get("eth0", {}).get("addresses", []) if a["family"] == "inet"]


@pytest.fixture
def guests():
    client = pylxd.Client(endpoint=SOCKET)
    probe = uuid.uuid4().hex[:8]
    names = ["status-run-" + probe, "status-off-" + probe]
    try:
        for name in names:
            client.instances.create({"name": name, "source": {"type": "image", "alias": "debian/12"},
                                     "config": {"user.label.status-probe": probe}}, wait=True)
        running = client.instances.get(names[0])
        running.start(wait=True)
        deadline = time.monotonic() + 60
        while not ipv4_of(running):
            assert time.monotonic() < deadline, "no IPv4 on eth0 of %s within 60 s" % names[0]
            time.sleep(0.5)
        yield probe, names, ipv4_of(running)[0]
    finally:
        for name in names:
            if client.instances.exists(name):
                instance = client.instances.get(name)
                if instance.status != "Stopped":
                    instance.stop(force=True, wait=True)
                instance.delete(wait=True)


def test_status_table_lists_every_state_with_address_labels_console(guests):
    probe, (running, stopped), address = guests
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    proc = subprocess.run(["ansible-playbook", os.path.join(ROOT, "playbooks", "status.yml"),
                           "-e", json.dumps({"status_labels": {"status-probe": probe}})],
                          capture_output=True, text=True, env=env, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    shown = proc.stdout.split("TASK [Show the table]", 1)[1].split("ok: [localhost] => ", 1)[1]
    table = json.JSONDecoder().raw_decode(shown)[0]["msg"]
    header, *rows = table
    columns = ["NAME", "BACKEND", "STATE", "ADDRESSES", "LABELS", "CONSOLE"]
    assert header.split() == columns
    starts = [header.index(c) for c in columns] + [None]
    cells = [[row[a:b].strip() for a, b in zip(starts, starts[1:])] for row in rows]
    assert sorted(cells) == sorted([
        [running, "lxd", "running", address, "status-probe=" + probe, "lxc console " + running],
        [stopped, "lxd", "stopped", "", "status-probe=" + probe, "lxc console " + stopped],
    ]), table
