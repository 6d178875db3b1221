# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import contextlib
import io
import pathlib
import sys

import pytest

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader, inventory_loader

# The plugin loader must see the collection (this checkout sits at <root>/ansible_collections/workstation/vms).
# pytest's `pythonpath` may already have imported `ansible_collections` as a plain namespace package, which the
# loader cannot use: drop it, install Ansible's collection finder, then import through it.
if not any(type(f).__name__ == "_AnsibleCollectionFinder" for f in sys.meta_path):
    for _name in [m for m in sys.modules if m == "ansible_collections" or m.startswith("ansible_collections.")]:
        del sys.modules[_name]
    init_plugin_loader([str(pathlib.Path(__file__).absolute().parents[6])])

from ansible_collections.workstation.vms.plugins.inventory import guests as plugin_mod  # noqa: E402
from ansible_collections.workstation.vms.plugins.module_utils.common import instance_result  # noqa: E402

LXD = [
    dict(instance_result("web1", "lxd", "container", "Running", ipv4=["10.99.10.5"], labels={"env": "dev"}),
         project="default"),
    dict(instance_result("db1", "lxd", "container", "Stopped", labels={"env": "prod"}), project="default"),
]
LIBVIRT = [instance_result("vm1", "libvirt", "virtual-machine", "running", ipv4=["192.168.122.7"],
                           labels={"env": "dev", "role": "ci"}),
           instance_result("web1", "libvirt", "virtual-machine", "running", ipv4=["192.168.122.8"])]
MULTIPASS = [instance_result("mp1", "multipass", "virtual-machine", "Running", ipv4=["10.1.1.2"])]


@pytest.fixture
def calls(monkeypatch):
    """Replace the backends with stubs; record each listing call."""
    made = []

    def fake_list_job(job):
        made.append(job)
        if job["backend"] == "lxd":
            if job["block"].get("socket") == "/broken":
                raise OSError("connection refused")
            return [dict(g, project=job["project"] or g["project"]) for g in LXD]
        if job["backend"] == "libvirt":
            return list(LIBVIRT)
        return list(MULTIPASS)
    monkeypatch.setattr(plugin_mod, "list_job", fake_list_job)
    return made


def run(tmp_path, config, name="test.guests.yml", cache=True):
    path = tmp_path / name
    path.write_text(config)
    inventory = InventoryData()
    plugin = inventory_loader.get("workstation.vms.guests")
    assert plugin.verify_file(str(path))
    plugin.parse(inventory, DataLoader(), str(path), cache=cache)
    if getattr(plugin, "_cache", None) is not None:
        plugin.update_cache_if_changed()  # what InventoryManager does after parse()
    return inventory


def hostvars(inventory, host):
    return inventory.get_host(host).get_vars()


def group_hosts(inventory, group):
    return sorted(h.name for h in inventory.groups[group].get_hosts()) if group in inventory.groups else []


ALL = """
plugin: workstation.vms.guests
backends:
  lxd: {socket: /var/lib/lxd/unix.socket}
  libvirt: {uri: qemu:///system}
  multipass: {}
"""


def test_verify_file_wants_guests_yml(tmp_path):
    plugin = inventory_loader.get("workstation.vms.guests")
    for name, ok in (("a.guests.yml", True), ("guests.yaml", True), ("a.yml", False), ("guests.json", False)):
        (tmp_path / name).write_text("plugin: workstation.vms.guests\n")
        assert bool(plugin.verify_file(str(tmp_path / name))) is ok, name


def test_all_backends_one_call_each_running_only(tmp_path, calls):
    inventory = run(tmp_path, ALL)
    assert [j["backend"] for j in calls] == ["lxd", "libvirt", "multipass"]
    # web1 exists on lxd and libvirt: both qualified; db1 is stopped: filtered out by default
    assert sorted(inventory.hosts) == ["mp1", "vm1", "web1.libvirt", "web1.lxd"]
    assert group_hosts(inventory, "lxd") == ["web1.lxd"]
    assert group_hosts(inventory, "libvirt") == ["vm1", "web1.libvirt"]
    assert group_hosts(inventory, "running") == ["mp1", "vm1", "web1.libvirt", "web1.lxd"]
    assert group_hosts(inventory, "label_env_dev") == ["vm1", "web1.lxd"]
    assert "stopped" not in inventory.groups


def test_lxd_hostvars_name_the_instance_not_the_ip(tmp_path, calls):
    inventory = run(tmp_path, ALL)
    v = hostvars(inventory, "web1.lxd")
    assert v["ansible_connection"] == "workstation.vms.lxd"
    assert v["ansible_lxd_instance"] == "web1"
    assert v["ansible_lxd_socket"] == "/var/lib/lxd/unix.socket"
    assert v["ansible_lxd_project"] == "default"
    assert v["ansible_lxd_cli"] == "lxc"
    assert v["ansible_host"] == "10.99.10.5"
    assert v["vm_name"] == "web1" and v["vm_backend"] == "lxd" and v["vm_state"] == "running"
    assert v["vm_labels"] == {"env": "dev"} and v["vm_type"] == "container" and v["vm_ipv4"] == ["10.99.10.5"]


def test_libvirt_and_multipass_hostvars(tmp_path, calls):
    inventory = run(tmp_path, ALL.replace("{uri: qemu:///system}", "{uri: qemu:///system, ssh_user: admin}"))
    v = hostvars(inventory, "vm1")
    assert (v["ansible_connection"], v["ansible_user"], v["ansible_host"]) == ("ssh", "admin", "192.168.122.7")
    assert v["vm_uri"] == "qemu:///system"
    m = hostvars(inventory, "mp1")
    assert m["ansible_connection"] == "workstation.vms.multipass" and m["ansible_multipass_instance"] == "mp1"


def test_state_filter_all_and_stopped(tmp_path, calls):
    inventory = run(tmp_path, ALL + "filters: {state: all}\n")
    assert "db1" in inventory.hosts and group_hosts(inventory, "stopped") == ["db1"]
    inventory = run(tmp_path, ALL + "filters: {state: [stopped]}\n")
    assert sorted(inventory.hosts) == ["db1"]


def test_backend_and_label_filters(tmp_path, calls):
    inventory = run(tmp_path, ALL + "filters: {backend: libvirt}\n")
    assert sorted(inventory.hosts) == ["vm1", "web1.libvirt"]
    inventory = run(tmp_path, ALL + "filters: {labels: {env: dev, role: null}}\n")
    assert sorted(inventory.hosts) == ["vm1"]
    inventory = run(tmp_path, ALL + "filters: {state: all, labels: {env: [prod, dev]}}\n")
    assert sorted(inventory.hosts) == ["db1", "vm1", "web1.lxd"]


def test_qualified_names_always(tmp_path, calls):
    inventory = run(tmp_path, ALL + "qualified_names: true\n")
    assert sorted(inventory.hosts) == ["mp1.multipass", "vm1.libvirt", "web1.libvirt", "web1.lxd"]


def test_projects_list_one_call_per_project_and_names(tmp_path, calls):
    inventory = run(tmp_path, "plugin: workstation.vms.guests\nbackends:\n  lxd: {projects: [default, lab]}\n")
    assert [j["project"] for j in calls] == ["default", "lab"]
    assert sorted(inventory.hosts) == ["web1.lxd", "web1.lxd-lab"]
    assert hostvars(inventory, "web1.lxd-lab")["ansible_lxd_project"] == "lab"
    assert "ansible_lxd_socket" not in hostvars(inventory, "web1.lxd")


def test_all_projects_is_one_call(tmp_path, calls):
    run(tmp_path, "plugin: workstation.vms.guests\nbackends:\n  lxd: {projects: all}\n")
    assert len(calls) == 1 and calls[0]["all_projects"] is True and calls[0]["project"] is None


def test_several_lxd_daemons_incus_cli_guessed(tmp_path, calls):
    inventory = run(tmp_path, "plugin: workstation.vms.guests\nbackends:\n  lxd:\n"
                              "    - {socket: /var/lib/lxd/unix.socket}\n"
                              "    - {socket: /var/lib/incus/unix.socket}\n")
    assert sorted(inventory.hosts) == ["web1.lxd1", "web1.lxd2"]
    assert hostvars(inventory, "web1.lxd2")["ansible_lxd_cli"] == "incus"


def test_unreachable_backend_warns_or_fails_when_strict(tmp_path, calls):
    config = ALL.replace("/var/lib/lxd/unix.socket", "/broken")
    inventory = run(tmp_path, config)
    assert sorted(inventory.hosts) == ["mp1", "vm1", "web1"]  # no collision left: plain name
    with pytest.raises(AnsibleError, match="backends.lxd /broken project default could not be listed"):
        run(tmp_path, config + "strict: true\n")


def test_constructable_compose_groups_keyed_groups(tmp_path, calls):
    inventory = run(tmp_path, ALL + """
compose:
  short: vm_name | upper
groups:
  devs: vm_labels.env | default('') == 'dev'
keyed_groups:
  - key: vm_labels.env
    prefix: env
default_groups: false
""")
    assert hostvars(inventory, "vm1")["short"] == "VM1"
    assert group_hosts(inventory, "devs") == ["vm1", "web1.lxd"]
    assert group_hosts(inventory, "env_dev") == ["vm1", "web1.lxd"]
    assert "lxd" not in inventory.groups and "label_env_dev" not in inventory.groups


def test_cache_second_listing_makes_no_call(tmp_path, calls):
    config = ALL + "cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n" % (tmp_path / "c")
    first = run(tmp_path, config, cache=False)  # like --flush-cache: list and write the cache
    assert len(calls) == 3
    second = run(tmp_path, config, cache=True)
    assert len(calls) == 3
    assert sorted(first.hosts) == sorted(second.hosts)
    assert hostvars(second, "web1.lxd")["ansible_lxd_instance"] == "web1"


@pytest.mark.parametrize("config, message", [
    ("backends: {docker: {}}", "backends: unknown key(s) docker"),
    ("backends: {lxd: {socket: /a, url: 'https://x'}}", "either socket or url"),
    ("backends: {lxd: {cli: podman}}", "backends.lxd.cli: 'podman'"),
    ("backends: {lxd: {sockt: /a}}", "backends.lxd: unknown key(s) sockt"),
    ("backends: {lxd: {full_state: 'yes please'}}", "backends.lxd.full_state: expected true or false"),
    ("backends: {libvirt: {uri: {a: 1}}}", "backends.libvirt.uri: expected a string"),
    ("filters: {backend: docker}", "filters.backend: 'docker'"),
    ("filters: {labels: [a]}", "filters.labels: expected a dict"),
    ("filters: {status: running}", "filters: unknown key(s) status"),
    ("backends: {lxd: {}}\nfilterz: {}", "unknown option 'filterz' (options of workstation.vms.guests: backends, "),
])
def test_bad_config_names_the_option(tmp_path, calls, config, message):
    with pytest.raises(AnsibleParserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(tmp_path, "plugin: workstation.vms.guests\n" + config + "\n")
    assert calls == []


@pytest.mark.parametrize("block, full_state", [({}, False), ({"full_state": True}, True)])
def test_lxd_full_state_reaches_the_client(monkeypatch, block, full_state):
    from ansible_collections.workstation.vms.plugins.module_utils import lxd
    asked = []
    monkeypatch.setattr(lxd.LxdClient, "guests", lambda self, **kwargs: asked.append(kwargs) or [])
    job, = plugin_mod.parse_backends({"lxd": dict(block, socket="/nonexistent.socket")})
    assert plugin_mod.list_job(job) == []
    assert asked == [{"all_projects": False, "full_state": full_state, "prefer": []}]


@pytest.mark.parametrize("raw, state", [
    ("Running", "running"), ("Stopped", "stopped"), ("shutoff", "stopped"), ("Delayed Shutdown", "running"),
    ("Frozen", "frozen"), ("paused", "paused"), ("Suspended", "suspended"), (None, "unknown"),
])
def test_normalize_state(raw, state):
    assert plugin_mod.normalize_state(raw) == state


def test_lxd_preferred_nics_order_vm_ipv4_and_ansible_host(monkeypatch):
    """list_job passes the block's preferred_nics to the one listing request's summaries: eth0 (the NIC LXD made)
    first, then the globs in order; docker0 never."""
    from ansible_collections.workstation.vms.plugins.module_utils import lxd  # pylint: disable=import-outside-toplevel

    def nic(host_name, address):
        return {"host_name": host_name, "addresses": [{"family": "inet", "address": address, "scope": "global"}]}
    state = {"network": {"docker0": nic("", "172.17.0.1"), "eth0": nic("veth1", "10.99.10.9"),
                         "wg0": nic("", "10.8.0.2"), "ens7": nic("", "192.168.5.7")}}
    monkeypatch.setattr(lxd.LxdClient, "instances", lambda self, all_projects=False, recursion=2: [
        {"name": "dock", "status": "Running", "state": state}])
    monkeypatch.setattr(lxd, "find_socket", lambda socket=None: "/fake.socket")
    # full_state: the addresses come from the listing's state (the lease path is the leases test's)
    job = plugin_mod.parse_backends({"lxd": {"preferred_nics": ["wg*"], "full_state": True}})[0]
    guest = plugin_mod.list_job(job)[0]
    assert guest["ipv4"] == ["10.99.10.9", "10.8.0.2", "192.168.5.7"]
    assert plugin_mod.connection_vars(job, guest)["ansible_host"] == "10.99.10.9"


def test_multipass_guests_and_labels_are_the_current_drivers(tmp_path, monkeypatch):
    """The fake Multipass CLI (tests/fakes/multipass) with instances per driver, as the real daemon keeps them:
    after `multipass set local.driver=lxd` the lxd driver's instance of the same name is listed without the qemu
    instance's labels; switching back brings those back. No stub of the plugin: the fake's own code answers each
    command line, in this process (a Python start per command would cost seconds)."""
    sys.path.insert(0, str(pathlib.Path(__file__).absolute().parents[3] / "fakes"))
    import multipass_fake  # pylint: disable=import-error,import-outside-toplevel
    import multipassd_fake  # pylint: disable=import-error,import-outside-toplevel
    from ansible_collections.workstation.vms.plugins.module_utils import multipass

    def in_process(args, data=None):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = multipass_fake.run(list(args[1:]), stdout=out)
        return rc, out.getvalue(), err.getvalue()

    def fake(*args):
        assert in_process(["multipass"] + list(args))[0] == 0
    for key, value in multipassd_fake.environment(str(tmp_path)).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(multipass, "subprocess_runner", in_process)
    store = tmp_path / "labels.json"
    config = "plugin: workstation.vms.guests\nbackends:\n  multipass: {label_store: %s}\n" % store
    with multipassd_fake.running():
        fake("launch", "--name", "mp-a")
        multipass.LabelStore(str(store), "qemu").update("mp-a", labels={"role": "web"})
        assert hostvars(run(tmp_path, config, cache=False), "mp-a")["vm_labels"] == {"role": "web"}
        fake("set", "local.driver=lxd")
        assert not run(tmp_path, config, cache=False).hosts
        fake("launch", "--name", "mp-a")
        inventory = run(tmp_path, config, cache=False)
        assert hostvars(inventory, "mp-a")["vm_labels"] == {} and "label_role_web" not in inventory.groups
        fake("set", "local.driver=qemu")
        assert group_hosts(run(tmp_path, config, cache=False), "label_role_web") == ["mp-a"]
