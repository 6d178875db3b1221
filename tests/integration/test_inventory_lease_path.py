# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""workstation.vms.guests lists LXD and Incus by recursion=1 + network leases (the default) with exactly the output
of the full state (backends.lxd.full_state: true, recursion=2), on the real daemons: 2 running containers and
1 stopped one on each (containers only). The leases listing asks no instance's /state. libvirt: the state of every
domain from the one getAllDomainStats equals each domain's own state() (on whatever domains exist; no VM boots)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid

import pytest

from ansible_collections.workstation.vms.plugins.module_utils.lxd import LxdClient
from ansible_collections.workstation.vms.plugins.module_utils.waiting import poll

BIN = os.path.dirname(sys.executable)
RUN = "invl-%s" % uuid.uuid4().hex[:4]
DAEMONS = {"lxd": ("lxc", "/var/lib/lxd/unix.socket"), "incus": ("incus", "/var/lib/incus/unix.socket")}


def run(args, check=True, env=None, timeout=300):
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError("%s failed (rc %s):\n%s\n%s" % (args, result.returncode, result.stdout, result.stderr))
    return result


@pytest.fixture(scope="module", params=sorted(DAEMONS))
def daemon(request):
    """web1, web2 running (labels), off stopped, on one daemon; deleted afterwards."""
    cli, socket = DAEMONS[request.param]
    if not os.path.exists(socket):
        pytest.skip("no %s daemon at %s" % (request.param, socket))
    names = {"web1": "launch", "web2": "launch", "off": "init"}
    created = []
    try:
        procs = []
        for short, verb in names.items():
            name = "%s-%s" % (RUN, short)
            args = [cli, verb, "debian/12", name, "-c", "user.label.role=%s" % short]
            procs.append((args, subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
            created.append(name)
        for args, proc in procs:
            _out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, "%s: %s" % (args, err)

        def addressed():
            got = {g["name"]: g["ipv4"] for g in LxdClient(socket=socket).guests(full_state=True)}
            wanted = ["%s-web1" % RUN, "%s-web2" % RUN]
            return all(got.get(name) for name in wanted) or (False, "addresses: %s" % {n: got.get(n) for n in wanted})
        poll(addressed, 120, "IPv4 of the running containers on %s" % request.param)
        yield dict(cli=cli, socket=socket, names=created)
    finally:
        for name in created:
            run([cli, "delete", "--force", name], check=False)
        left = run([cli, "list", RUN, "--format", "csv", "-c", "n"]).stdout.split()
        assert left == [], "containers left behind: %s" % left


def listing(socket, full_state):
    with tempfile.NamedTemporaryFile("w", suffix=".guests.yml", delete=False) as handle:
        handle.write("plugin: workstation.vms.guests\nbackends:\n  lxd: {socket: %s, full_state: %s}\n"
                     "filters: {state: all}\nkeyed_groups:\n  - key: vm_labels.role | default('none')\n"
                     "    prefix: role\n" % (socket, "true" if full_state else "false"))
    try:
        env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
        env.pop("ANSIBLE_CONFIG", None)
        out = run([os.path.join(BIN, "ansible-inventory"), "-i", handle.name, "--list"], env=env).stdout
    finally:
        os.unlink(handle.name)
    return json.loads(out)


def test_lease_listing_equals_full_state(daemon):
    """Every host (ours and any other on the daemon), every variable, every group: the same either way. Each
    path is listed twice around the other, so that another user's instance changing meanwhile shows as a
    difference between the two full-state listings too, and is then left out."""
    full, leases, full_again = (listing(daemon["socket"], flag) for flag in (True, False, True))
    ours = daemon["names"]
    assert set(ours) <= set(full["_meta"]["hostvars"]), "not every container listed: %s" % full["_meta"]
    steady = {h for h, v in full["_meta"]["hostvars"].items() if full_again["_meta"]["hostvars"].get(h) == v}
    assert set(ours) <= steady, "our containers changed between two full-state listings"
    for host in sorted(steady):
        assert leases["_meta"]["hostvars"].get(host) == full["_meta"]["hostvars"][host], host
    assert full["_meta"]["hostvars"]["%s-web1" % RUN]["vm_ipv4"]
    for group in ("role_web1", "role_web2", "role_off", "running", "stopped", "lxd"):
        assert {h for h in full[group]["hosts"] if h.startswith(RUN)} == \
            {h for h in leases[group]["hosts"] if h.startswith(RUN)}, group


def test_lease_listing_asks_no_instance_state(daemon):
    """Our running containers have leases on the daemon's managed bridge: the listing is the instances call plus
    one leases call per network (and project) in use; /state only for other users' instances the leases cannot
    tell (a frozen one, one on an unmanaged bridge)."""
    client = LxdClient(socket=daemon["socket"])
    asked = {"state": [], "leases": []}
    for what in asked:
        def counting(*args, _real=getattr(client, what), _seen=asked[what]):
            _seen.append(args)
            return _real(*args)
        setattr(client, what, counting)
    guests = {g["name"]: g for g in client.guests()}
    assert not [args for args in asked["state"] if args[0].startswith(RUN)], asked
    assert guests["%s-web1" % RUN]["ipv4"] and guests["%s-off" % RUN]["ipv4"] == []
    assert len(set(asked["leases"])) == len(asked["leases"]) >= 1
    assert client.calls == 1 + len(asked["leases"]) + len(asked["state"])


def test_libvirt_states_from_one_stats_call_equal_each_domain_state():
    pytest.importorskip("libvirt")
    from ansible_collections.workstation.vms.plugins.module_utils.libvirt_client import LibvirtClient
    try:
        client = LibvirtClient("qemu:///system")
    except Exception as exc:  # pylint: disable=broad-except
        pytest.skip("no libvirt daemon: %s" % exc)
    try:
        listed = {g["name"]: g["state"] for g in client.guests()}
        each = {dom.name(): LibvirtClient.state(dom) for dom in client.conn.listAllDomains(0)}
    finally:
        client.close()
    steady = set(listed) & set(each)
    assert {n: listed[n] for n in steady} == {n: each[n] for n in steady}
