# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""workstation.vms.guests against real daemons at once: LXD containers (2 running + 1 stopped), one libvirt VM
(TCG, direct kernel boot, SSH key from a NoCloud seed) and the fake Multipass CLI.

Proven here: `ansible-inventory --graph` shows every running guest of every backend, default groups and
keyed_groups from labels, the stopped container is filtered out (and shows with state: all), `ansible all -m ping`
succeeds on every host through the connection each backend gets, and a cached second listing makes no backend
call (the same config path then points at dead backends with strict: true and still lists everything)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
IMAGES = "/var/cache/workstation-vms/images/current/vm"
LXD_SOCKET = "/var/lib/lxd/unix.socket"
URI = "qemu:///system"
FAKE = os.path.join(ROOT, "tests", "fakes", "multipass")
FAKE_DAEMON = os.path.join(ROOT, "tests", "fakes", "multipassd")
RUN = "inv-it%s" % uuid.uuid4().hex[:4]

pytestmark = pytest.mark.skipif(not (os.path.exists(LXD_SOCKET) and os.path.exists(IMAGES + "/base.qcow2")),
                                reason="needs the LXD daemon and the VM image (tests/env/setup.sh)")


def run(args, check=True, env=None, timeout=300):
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError("%s failed (rc %s):\n%s\n%s" % (args, result.returncode, result.stdout, result.stderr))
    return result


@pytest.fixture(scope="module")
def workdir():
    path = tempfile.mkdtemp(prefix="inv-it-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def vm(workdir):
    """One libvirt VM, started here and left booting while the other fixtures run (waited for in `ready`)."""
    import libvirt
    from ansible_collections.workstation.vms.plugins.module_utils import cloudinit
    from ansible_collections.workstation.vms.plugins.module_utils.libvirt_domain import build_domain_xml
    from ansible_collections.workstation.vms.plugins.module_utils.libvirt_options import stable_mac

    name = "%s-vm1" % RUN
    vm_dir = "/var/lib/libvirt/images/%s" % name
    key = os.path.join(workdir, "id_ed25519")
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
    with open(key + ".pub") as handle:
        pub = handle.read().strip()
    conn = libvirt.open(URI)
    dom = None
    try:
        os.makedirs(vm_dir)
        overlay, seed = os.path.join(vm_dir, "disk.qcow2"), os.path.join(vm_dir, "seed.iso")
        run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", IMAGES + "/base.qcow2", overlay])
        user_data = cloudinit.render_user_data({"ssh_authorized_keys": [pub], "locale": "C.UTF-8"})
        cloudinit.write_seed_iso(seed, user_data, cloudinit.meta_data(name, name))
        spec = dict(name=name, accel="qemu", image=IMAGES + "/base.qcow2", backing=IMAGES + "/base.qcow2",
                    cloud_init="-", dir=vm_dir, mounts=[], labels={"env": "dev", "role": "db"},
                    memory=768 * 1024 ** 2, cpus=1, firmware="bios", kernel=IMAGES + "/vmlinuz",
                    initrd=IMAGES + "/initrd.img", cmdline="root=/dev/vda rw console=ttyS0", stateless=False,
                    overlay=overlay, seed=seed, network={"mode": "network", "source": "default"}, uuid=None,
                    mac=stable_mac(name), graphics="none", port_forwards=[])
        dom = conn.defineXML(build_domain_xml(spec))
        dom.create()
        yield dict(name=name, key=key)
    finally:
        if dom is not None:
            if dom.isActive():
                dom.destroy()
            dom.undefine()
        conn.close()
        shutil.rmtree(vm_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def containers():
    """web1, web2 running, off stopped; all with labels (user.label.<key>)."""
    specs = {"web1": ("launch", {"env": "dev", "role": "web"}), "web2": ("launch", {"env": "prod", "role": "web"}),
             "off": ("init", {"env": "dev", "role": "batch"})}
    names = {short: "%s-%s" % (RUN, short) for short in specs}
    try:
        procs = []
        for short, (verb, labels) in specs.items():
            args = ["lxc", verb, "debian/12", names[short]]
            for key, value in labels.items():
                args += ["-c", "user.label.%s=%s" % (key, value)]
            procs.append((args, subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
        for args, proc in procs:
            _out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, "%s: %s" % (args, err)
        yield names
    finally:
        for name in names.values():
            run(["lxc", "delete", "--force", name], check=False)
        left = run(["lxc", "list", RUN, "--format", "csv", "-c", "n"]).stdout.split()
        assert left == [], "containers left behind: %s" % left


@pytest.fixture(scope="module")
def multipass(workdir):
    """The fake Multipass CLI with its own state directory: mp1 running."""
    if not os.path.exists(FAKE):
        pytest.skip("the fake multipass CLI is missing")
    state = os.path.join(workdir, "multipass-state")
    # the fake daemon listens on this socket for the module's lifetime (the client finds the daemon by it)
    env = dict(os.environ, MULTIPASS_FAKE_STATE=state,
               MULTIPASS_SERVER_ADDRESS="unix:" + os.path.join(workdir, "multipass_socket"))
    name = "%s-mp1" % RUN
    run([FAKE_DAEMON, "start"], env=env)
    run([FAKE, "launch", "--name", name], env=env)
    from ansible_collections.workstation.vms.plugins.module_utils.multipass import LabelStore
    store = os.path.join(workdir, "multipass-labels.json")
    LabelStore(store).update(name, labels={"env": "prod", "role": "mp"})
    yield dict(name=name, env=env, state=state, store=store)
    run([FAKE, "delete", "--purge", name], env=env, check=False)
    run([FAKE_DAEMON, "stop"], env=env, check=False)


@pytest.fixture(scope="module")
def ready(vm, containers, multipass):
    """Everything up: containers have IPv4, the VM answers SSH."""
    from ansible_collections.workstation.vms.plugins.module_utils.libvirt_client import LibvirtClient
    from ansible_collections.workstation.vms.plugins.module_utils.lxd import LxdClient
    from ansible_collections.workstation.vms.plugins.module_utils.waiting import poll, ssh_banner

    def lxd_up():
        got = {g["name"]: g for g in LxdClient(socket=LXD_SOCKET).guests() if g["name"].startswith(RUN)}
        return all(got.get(containers[s], {}).get("ipv4") for s in ("web1", "web2")) or (False, str(got))
    poll(lxd_up, 120, "container addresses")

    def vm_up():
        client = LibvirtClient(URI)
        try:
            guest = next(g for g in client.guests() if g["name"] == vm["name"])
        finally:
            client.close()
        if not guest["ipv4"]:
            return False, "no address yet"
        return ssh_banner(guest["ipv4"][0]) or (False, "no SSH banner at %s" % guest["ipv4"][0])
    # TCG: ~45 s on an idle host; 15-20 min were seen on a host loaded 10x over by parallel test runs
    poll(vm_up, int(os.environ.get("INV_IT_VM_TIMEOUT", "1800")), "the VM's SSH")
    return dict(vm=vm, containers=containers, multipass=multipass)


def config(workdir, extra="", lxd="{socket: %s}" % LXD_SOCKET, uri=URI, executable=FAKE, name="it.guests.yml"):
    store = os.path.join(workdir, "multipass-labels.json")
    path = os.path.join(workdir, name)
    with open(path, "w") as handle:
        handle.write("""plugin: workstation.vms.guests
backends:
  lxd: %s
  libvirt:
    uri: %s
    ssh_user: debian
  multipass:
    executable: %s
    label_store: %s
keyed_groups:
  - key: vm_labels.role | default('none')
    prefix: role
groups:
  mine: vm_name.startswith('%s')
""" % (lxd, uri, executable, store, RUN) + extra)
    return path


def ansible_env(ready, workdir):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""),
               ANSIBLE_PRIVATE_KEY_FILE=ready["vm"]["key"], ANSIBLE_HOST_KEY_CHECKING="False",
               ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3", ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    env.update(ready["multipass"]["env"])
    env.pop("ANSIBLE_CONFIG", None)
    return env


def plain(value):
    """ansible-core 2.19 prints inventory-plugin strings as {"__ansible_unsafe": "..."}; compare plain values."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def inventory_list(path, env, *extra):
    result = run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list"] + list(extra), env=env)
    return plain(json.loads(result.stdout)), result


def members(data, group):
    return sorted(data.get(group, {}).get("hosts", []))


def test_every_backend_listed_grouped_and_pingable(ready, workdir):
    env = ansible_env(ready, workdir)
    names = ready["containers"]
    web1, web2, off = names["web1"], names["web2"], names["off"]
    vm, mp = ready["vm"]["name"], ready["multipass"]["name"]
    path = config(workdir)

    result = run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--graph"], env=env)
    graph = result.stdout
    for host in (web1, web2, vm, mp):
        assert host in graph, graph + result.stderr
    assert "could not be listed" not in result.stderr, result.stderr
    assert off not in graph  # stopped: filtered out by default

    data = inventory_list(path, env)[0]
    ours = {h for h in data["_meta"]["hostvars"] if h.startswith(RUN)}
    assert ours == {web1, web2, vm, mp}
    assert members(data, "mine") == sorted(ours)
    assert {web1, web2} <= set(members(data, "lxd")) and vm in members(data, "libvirt")
    assert mp in members(data, "multipass") and mp in members(data, "role_mp") and mp in members(data, "label_env_prod")
    assert {web1, web2, vm, mp} <= set(members(data, "running"))
    assert {web1, web2} <= set(members(data, "role_web")) and vm in members(data, "role_db")  # keyed_groups
    assert web1 in members(data, "label_env_dev") and vm in members(data, "label_env_dev")
    hv = data["_meta"]["hostvars"]
    assert hv[web1]["ansible_connection"] == "workstation.vms.lxd" and hv[web1]["ansible_lxd_instance"] == web1
    assert hv[web1]["ansible_host"] == hv[web1]["vm_ipv4"][0]
    assert hv[vm]["ansible_connection"] == "ssh" and hv[vm]["ansible_user"] == "debian"
    assert hv[vm]["ansible_host"].startswith("192.168.122.") and hv[vm]["vm_labels"] == {"env": "dev", "role": "db"}
    assert hv[mp]["ansible_connection"] == "workstation.vms.multipass"
    for host in ours:
        assert {"vm_name", "vm_backend", "vm_state", "vm_ipv4", "vm_labels", "vm_type"} <= set(hv[host])

    # stopped guests come with state: all
    data_all = inventory_list(config(workdir, "filters: {state: all}\n", name="all.guests.yml"), env)[0]
    assert off in members(data_all, "stopped") and off in members(data_all, "role_batch")

    started = time.monotonic()
    # the fake Multipass runs commands on this host: /usr/bin/python3 is there, in the containers and in the VM
    ping = run([os.path.join(BIN, "ansible"), "-i", path, "mine", "-m", "ping"], env=env, check=False, timeout=600)
    took = time.monotonic() - started
    assert ping.returncode == 0, ping.stdout + ping.stderr
    for host in (web1, web2, vm, mp):
        assert "%s | SUCCESS" % host in ping.stdout, ping.stdout
    assert off not in ping.stdout
    print("ansible mine -m ping over 4 guests of 3 backends: %.1fs" % took)


def test_cached_second_listing_makes_no_backend_call(ready, workdir):
    env = ansible_env(ready, workdir)
    cache = "cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\ncache_timeout: 600\n" % (
        os.path.join(workdir, "cache"))
    path = config(workdir, cache, name="cached.guests.yml")
    first, listed = inventory_list(path, env, "--flush-cache")
    ours = sorted(h for h in first["_meta"]["hostvars"] if h.startswith(RUN))
    assert len(ours) == 4
    assert "Failed to parse" not in listed.stderr and "cache plugin" not in listed.stderr, listed.stderr
    assert os.listdir(os.path.join(workdir, "cache")), "the first listing wrote no cache file:\n" + listed.stderr

    # The same file (the cache key is its path) now names dead backends and makes them fatal. strict also makes
    # keyed_groups errors fatal: the cache holds every guest of the daemons, and other guests on them (another
    # suite's) have no `role` label, hence the key's default in config().
    dead = config(workdir, cache + "strict: true\n", lxd="{socket: /nonexistent/unix.socket}",
                  uri="qemu+unix:///system?socket=/nonexistent/libvirt-sock", executable="/nonexistent/multipass",
                  name="cached.guests.yml")
    assert dead == path
    second, result = inventory_list(path, env)
    assert sorted(h for h in second["_meta"]["hostvars"] if h.startswith(RUN)) == ours, result.stderr
    assert second["_meta"]["hostvars"] == first["_meta"]["hostvars"]
    assert "could not be listed" not in result.stderr

    # ... and without the cache those backends really are unreachable.
    failed = run([os.path.join(BIN, "ansible-inventory"), "-i", path, "--list", "--flush-cache"], env=env,
                 check=False)
    assert "could not be listed" in failed.stderr, failed.stderr
