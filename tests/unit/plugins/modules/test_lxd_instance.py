# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lxd_instance on recorded API answers: VM-only paths (LXD VMs cannot run here), input errors, check mode,
restart gating, the clean-up of a half-made create. The container paths run for real in molecule."""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.workstation.vms.plugins.module_utils import instance, lxd
from ansible_collections.workstation.vms.plugins.module_utils import lxd_instance_backend as backend
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError
from ansible_collections.workstation.vms.plugins.module_utils.waiting import WaitTimeout
from ansible_collections.workstation.vms.plugins.modules import lxd_instance

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "lxd")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


class FakeLxd(lxd.LxdClient):
    """LxdClient whose two transport calls answer from recorded data and record the writes."""

    def __init__(self, instances=None, states=None, fail=None, exec_result=(0, "status: done\n", ""), server="lxd",
                 slow_create=None, **kwargs):
        kwargs.pop("trust_token", None)
        # slow_create: the create's wait times out while the daemon goes on; "done" (it ends at the next wait)
        # or "running" (it never ends)
        self.slow_create = slow_create
        self.running_ops = {}
        super().__init__(socket="/nonexistent.socket", **kwargs)
        self.instances_by_name = {i["name"]: i for i in (instances or [])}
        self.states = list(states or [])       # successive answers of GET .../state
        self.fail = dict(fail or {})           # "PUT /instances/x/state start" -> error text
        self.exec_result = exec_result
        self.server = server                   # what GET /1.0 says the daemon is
        self.writes = []
        self.last_state = None                 # the daemon's latest state, also in the next instance answer

    def _get(self, path, params=None, raw=False):
        self.calls += 1
        parts = path.strip("/").split("/")
        if parts == [""]:
            return {"metadata": {"environment": {"server": self.server}}}
        if parts[0] == "instances" and len(parts) == 2:
            assert params == {"recursion": 1}, "the instance is read with its state in one request"
            inst = self.instances_by_name.get(lxd_unquote(parts[1]))
            if inst is None:
                raise lxd.LxdError("GET %s: not found" % path, 404)
            inst = copy.deepcopy(inst)
            if self.last_state is not None:
                inst["state"] = copy.deepcopy(self.last_state)
            return {"metadata": inst}
        if parts[0] == "instances" and parts[2:] == ["state"]:
            state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
            self.last_state = state
            return {"metadata": copy.deepcopy(state)}
        if parts[0] == "instances" and parts[2] == "logs":
            return "status: done\n" if raw else {}
        if parts[:2] == ["images", "aliases"]:
            if lxd_unquote(parts[2]) == "debian/12":
                return {"metadata": fixture("alias_debian12.json")}
            raise lxd.LxdError("GET %s: not found" % path, 404)
        if parts[0] == "profiles":
            return {"metadata": {"devices": {"root": {"type": "disk", "path": "/", "pool": "default"}}}}
        if parts == ["operations"]:
            return {"metadata": {"running": [{"id": op, "resources": {"instances": ["/1.0/instances/" + name]}}
                                             for op, name in self.running_ops.items()]}}
        if parts[0] == "operations" and parts[1] in self.running_ops:
            if self.slow_create == "running":
                return {"metadata": {"status_code": 103, "status": "Running", "description": "Creating instance"}}
            del self.running_ops[parts[1]]
            return {"metadata": {"status_code": 200, "status": "Success"}}
        if parts[0] == "operations":
            code, out, dummy = self.exec_result
            return {"metadata": {"status_code": 200, "status": "Success", "metadata": {
                "return": code, "output": {"1": "/1.0/instances/x/logs/o.stdout"}}, "out": out}}
        raise AssertionError("unexpected GET %s" % path)

    def _write(self, method, path, body=None, params=None, wait=True, timeout=None):
        self.calls += 1
        what = "%s %s%s" % (method, path, " " + body["action"] if body and "action" in body else "")
        self.writes.append((what, copy.deepcopy(body)))
        if what in self.fail:
            text, status = self.fail[what] if isinstance(self.fail[what], tuple) else (self.fail[what], 400)
            raise lxd.LxdError(text, status)
        if method == "POST" and path == "/instances":
            self.instances_by_name[body["name"]] = {"name": body["name"], "type": body["type"], "status": "Stopped",
                                                    "config": body["config"], "devices": body["devices"]}
            if self.slow_create:
                self.running_ops["create1"] = body["name"]
                raise lxd.OperationTimeout("Creating instance: still Running after 120s")
        if self.running_ops and method in ("PUT", "DELETE"):
            raise lxd.LxdError("Instance is busy running a create operation", 400)
        if method == "DELETE" and path.startswith("/instances/"):
            self.instances_by_name.pop(lxd_unquote(path.split("/")[2]), None)
        if path.endswith("/exec"):
            return {"id": "op1"}
        return {}

    def execute(self, name, command, timeout=None):
        self.writes.append(("EXEC " + " ".join(command), None))
        return self.exec_result


def lxd_unquote(text):
    from urllib.parse import unquote
    return unquote(text)


def run(monkeypatch, capsys, args, check_mode=False, diff=False, **fake):
    client = {}

    def factory(params, **_overrides):
        client["c"] = FakeLxd(**dict(fake, **{k: params[k] for k in ("project", "target")}))
        return client["c"]
    monkeypatch.setattr(lxd.LxdClient, "from_params", staticmethod(factory))
    monkeypatch.setattr(instance, "poll", fast_poll)
    monkeypatch.setattr(backend, "poll", fast_poll)
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    warned = []
    monkeypatch.setattr(lxd_instance.AnsibleModule, "warn", lambda self, msg: warned.append(msg))
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            lxd_instance.main()
    result = json.loads(capsys.readouterr().out)
    result["warned"] = warned
    return result, client.get("c")


def fast_poll(probe, timeout, what, interval=0.0, max_interval=0.0):
    for dummy in range(20):
        value = probe()
        if isinstance(value, tuple):
            value = value[0]
        if value:
            return value
    raise WaitTimeout("timed out waiting for %s" % what)


def vm():
    return fixture("vm_running_no_agent.json")


# ---- virtual machines (recorded answers) --------------------------------------------------------------
def test_vm_noop_is_one_request_and_reports_the_vm(monkeypatch, capsys):
    result, client = run(monkeypatch, capsys, {"name": "lxdi-vm1", "cpus": 2, "memory": "1GiB",
                                               "labels": {"role": "ci"}}, instances=[vm()])
    assert not result["changed"] and result["actions"] == []
    assert client.writes == [] and result["api_calls"] == 1
    inst = result["instance"]
    assert inst["type"] == "virtual-machine" and inst["cpus"] == 2 and inst["memory"] == 1024 ** 3
    assert inst["disk"] == 10 * 1024 ** 3 and inst["labels"] == {"role": "ci"}


def test_vm_memory_change_while_running_waits_for_restart(monkeypatch, capsys):
    result, client = run(monkeypatch, capsys, {"name": "lxdi-vm1", "memory": "2GiB", "labels": {"role": "ci",
                                                                                                "team": "a"}},
                         instances=[vm()], diff=True)
    # the label goes in live, the memory waits for a restart and is not applied
    assert result["pending_restart"] == ["config limits.memory"]
    assert result["actions"] == ["update"]
    body = client.writes[0][1]
    assert body["config"]["limits.memory"] == "1GiB" and body["config"]["user.label.team"] == "a"
    assert body["config"]["volatile.vsock_id"] == "27"          # LXD's keys sent back untouched
    assert "limits.memory" not in [k for k in result["diff"]["after"]["config"]
                                   if result["diff"]["after"]["config"][k] != "1GiB"]
    assert "restart" in json.dumps(result["warned"])


def test_vm_restart_on_change_stops_updates_starts(monkeypatch, capsys):
    result, client = run(monkeypatch, capsys, {"name": "lxdi-vm1", "memory": "2GiB", "restart_on_change": True},
                         instances=[vm()])
    assert result["actions"] == ["stop", "update", "start"]
    assert [w for w, dummy in client.writes] == [
        "PUT /instances/lxdi-vm1/state stop", "PUT /instances/lxdi-vm1", "PUT /instances/lxdi-vm1/state start"]
    assert client.writes[1][1]["config"]["limits.memory"] == "2GiB"
    assert result["pending_restart"] == []


def test_vm_check_mode_predicts_and_writes_nothing(monkeypatch, capsys):
    args = {"name": "lxdi-vm1", "memory": "2GiB", "restart_on_change": True, "state": "started"}
    checked, client = run(monkeypatch, capsys, args, check_mode=True, diff=True, instances=[vm()])
    assert client.writes == []
    real, _client = run(monkeypatch, capsys, args, diff=True, instances=[vm()])
    assert checked["changed"] and checked["actions"] == real["actions"] and checked["diff"] == real["diff"]


def test_vm_stopped_config_change_does_not_start(monkeypatch, capsys):
    stopped = dict(vm(), status="Stopped")
    result, client = run(monkeypatch, capsys, {"name": "lxdi-vm1", "memory": "2GiB", "state": "stopped"},
                         instances=[stopped])
    assert result["actions"] == ["update"] and result["pending_restart"] == []
    assert [w for w, dummy in client.writes] == ["PUT /instances/lxdi-vm1"]


def test_vm_wait_for_agent_polls_state(monkeypatch, capsys):
    states = [vm()["state"], vm()["state"], fixture("vm_state_agent.json")]
    result, client = run(monkeypatch, capsys, {"name": "lxdi-vm1", "wait_for": "agent"}, instances=[vm()],
                         states=states)
    assert not result.get("failed"), result
    assert result["instance"]["ipv4"] == ["10.99.10.50"] and result["instance"]["ipv6"] == ["fd42::50"]
    assert client.writes == []


def test_vm_wait_for_agent_times_out_with_what_it_saw(monkeypatch, capsys):
    result, _client = run(monkeypatch, capsys, {"name": "lxdi-vm1", "wait_for": "agent"}, instances=[vm()],
                          states=[vm()["state"]])
    assert result["failed"] and "LXD agent" in result["msg"]


def test_vm_cloud_init_waits_for_agent_then_execs(monkeypatch, capsys):
    states = [vm()["state"], fixture("vm_state_agent.json")]
    result, client = run(monkeypatch, capsys, {"name": "lxdi-vm1", "wait_for": "cloud-init"}, instances=[vm()],
                         states=states, exec_result=(2, "status: done\nextended_status: degraded done\n", ""))
    assert result["cloud_init_status"] == "degraded"
    assert ("EXEC cloud-init status --wait --long", None) in client.writes
    assert "degraded" in json.dumps(result["warned"])


def test_vm_cloud_init_error_fails(monkeypatch, capsys):
    result, _client = run(monkeypatch, capsys, {"name": "lxdi-vm1", "wait_for": "cloud-init"}, instances=[vm()],
                          states=[fixture("vm_state_agent.json")], exec_result=(1, "status: error\n", ""))
    assert result["failed"] and "cloud-init in lxdi-vm1: error" in result["msg"]


def test_vm_create_checks_image_type_before_creating(monkeypatch, capsys):
    result, client = run(monkeypatch, capsys, {"name": "lxdi-vm2", "type": "virtual-machine", "image": "debian/12"})
    assert result["failed"] and result["msg"].startswith("image: alias 'debian/12' is a container image")
    assert client.writes == []


def test_vm_create_from_remote_with_disk(monkeypatch, capsys):
    result, client = run(monkeypatch, capsys, {"name": "lxdi-vm2", "type": "virtual-machine", "state": "stopped",
                                               "image": "images:debian/12/cloud", "disk": "20G", "cpus": 2})
    assert result["actions"] == ["create"], result
    what, body = client.writes[0]
    assert what == "POST /instances" and body["type"] == "virtual-machine"
    assert body["source"] == {"type": "image", "mode": "pull", "server": "https://images.lxd.canonical.com",
                              "protocol": "simplestreams", "alias": "debian/12/cloud"}
    assert body["devices"]["root"] == {"type": "disk", "path": "/", "pool": "default", "size": "20GiB"}


@pytest.mark.parametrize("server", ["lxd", "incus"])
def test_instance_type_not_an_item_is_what_the_daemon_gets(monkeypatch, capsys, server):
    """A remote image's container and VM items share an alias: the module sends the alias and the instance type,
    and the daemon picks the item (root.tar.xz or disk-kvm.img) for that type (tests/integration/test_image_remotes)."""
    sent = {}
    for itype in ("container", "virtual-machine"):
        args = {"name": "lxdi-c9", "type": itype, "image": "images:debian/12", "state": "stopped",
                "remotes": {"images": "https://mirror.example"}}
        result, client = run(monkeypatch, capsys, args, server=server)
        assert result["actions"] == ["create"] and result["instance"]["type"] == itype, result
        what, body = client.writes[0]
        assert what == "POST /instances" and body["type"] == itype
        sent[itype] = body["source"]
    assert sent["container"] == sent["virtual-machine"] == {
        "type": "image", "mode": "pull", "server": "https://mirror.example", "protocol": "simplestreams",
        "alias": "debian/12"}


def test_images_remote_on_incus_is_linuxcontainers(monkeypatch, capsys):
    result, client = run(monkeypatch, capsys, {"name": "lxdi-c9", "image": "images:debian/12", "state": "stopped"},
                         server="incus")
    assert result["actions"] == ["create"], result
    assert client.writes[0][1]["source"]["server"] == "https://images.linuxcontainers.org"


def test_ubuntu_remote_on_incus_fails_before_anything(monkeypatch, capsys):
    result, client = run(monkeypatch, capsys, {"name": "lxdi-c9", "image": "ubuntu:24.04"}, server="incus")
    assert result["failed"] and result["msg"].startswith(
        "image: remote 'ubuntu' in 'ubuntu:24.04' is not a built-in remote of Incus")
    assert client.writes == []


def test_ports_refused_on_vms():
    params = base_params(name="lxdi-vm2", type="virtual-machine", ports=["8080:80"])
    with pytest.raises(InputError, match="^ports: "):
        wanted_settings(params)


# ---- containers: failures, clean-up, absent --------------------------------------------------------------
def test_failed_start_deletes_the_new_instance(monkeypatch, capsys):
    result, client = run(monkeypatch, capsys, {"name": "lxdi-c1", "image": "debian/12"},
                         fail={"PUT /instances/lxdi-c1/state start": "Failed to start"})
    assert result["failed"] and "deleted again" in result["msg"]
    assert "DELETE /instances/lxdi-c1" in [w for w, dummy in client.writes]
    assert "lxdi-c1" not in client.instances_by_name


def test_shift_refused_by_the_daemon_is_explained(monkeypatch, capsys, tmp_path):
    result, _client = run(monkeypatch, capsys, {"name": "lxdi-c1", "image": "debian/12", "mounts": [
        {"source": str(tmp_path), "path": "/mnt", "shift": True}]},
        fail={"POST /instances": "Failed creating instance: idmapping abilities are required but aren't supported"})
    assert result["failed"] and "mounts[].shift" in result["msg"]


def test_absent_on_ephemeral_tolerates_vanishing(monkeypatch, capsys):
    inst = dict(fixture("container_running.json"), ephemeral=True)
    gone = {"DELETE /instances/%s" % inst["name"]: ("not found", 404)}
    result, client = run(monkeypatch, capsys, {"name": inst["name"], "state": "absent"}, instances=[inst], fail=gone)
    assert result["changed"] and result["actions"] == ["stop", "delete"] and not result.get("failed")
    assert [w for w, dummy in client.writes][0] == "PUT /instances/%s/state stop" % inst["name"]
    # any other error of the delete surfaces
    other = {"DELETE /instances/%s" % inst["name"]: ("busy", 400)}
    result, client = run(monkeypatch, capsys, {"name": inst["name"], "state": "absent"}, instances=[inst], fail=other)
    assert result["failed"] and "busy" in result["msg"]


def test_absent_missing_is_a_noop(monkeypatch, capsys):
    result, client = run(monkeypatch, capsys, {"name": "lxdi-none", "state": "absent"})
    assert not result["changed"] and client.writes == [] and result["instance"]["state"] == "absent"


def test_container_noop_from_recorded_answer(monkeypatch, capsys):
    inst = fixture("container_running.json")
    result, client = run(monkeypatch, capsys, {"name": inst["name"], "cpus": 1, "memory": "128MiB"},
                         instances=[inst])
    assert not result["changed"] and client.calls == 1
    assert result["instance"]["ipv4"] == ["10.99.10.75"]


def test_frozen_to_started_unfreezes(monkeypatch, capsys):
    inst = dict(fixture("container_running.json"), status="Frozen")
    result, _client = run(monkeypatch, capsys, {"name": inst["name"]}, instances=[inst])
    assert result["actions"] == ["unfreeze"]


def test_freeze_and_restart(monkeypatch, capsys):
    inst = fixture("container_running.json")
    result, _c = run(monkeypatch, capsys, {"name": inst["name"], "state": "frozen"}, instances=[inst])
    assert result["actions"] == ["freeze"]
    result, _c = run(monkeypatch, capsys, {"name": inst["name"], "state": "restarted"}, instances=[inst])
    assert result["actions"] == ["stop", "start"]


# ---- input errors: before any request ------------------------------------------------------------------
class Params:
    def __init__(self, params):
        self.params = params


def wanted_settings(params):
    """What the backend makes of the task, after the skeleton parsed the common options."""
    lxdi = backend.LxdInstance(Params(params))
    return lxdi.wanted(instance.wanted_common(params, lxdi))


def base_params(**kwargs):
    params = {k: None for k in backend.argument_spec()}
    params.update(state="started", config_mode="merge", wait_for="none", wait_timeout=300, verify=True,
                  restart_on_change=False)
    params.update(kwargs)
    return params


@pytest.mark.parametrize("kwargs, option", [
    ({"name": "bad_name"}, "name"),
    ({"name": "9lives"}, "name"),
    ({"name": "a" * 64}, "name"),
    ({"memory": "lots"}, "memory"),
    ({"disk": "-1G"}, "disk"),
    ({"cpus": 0}, "cpus"),
    ({"cpus": 2, "config": {"limits.cpu": "4"}}, "config"),
    ({"config": {"volatile.uuid": "x"}}, "config"),
    ({"labels": {"a": "b"}, "config": {"user.label.c": "d"}}, "config"),
    ({"ephemeral": True, "state": "stopped"}, "ephemeral"),
    ({"wait_for": "agent", "type": "container"}, "wait_for"),
    ({"wait_for": "ipv4", "state": "stopped"}, "wait_for"),
    ({"wait_nic": "eth0"}, "wait_nic"),
    ({"ports": ["80"]}, "ports[0]"),
    ({"ports": ["70000:80"]}, "ports[0]"),
    ({"devices": {"x": {"path": "/"}}}, "devices"),
    ({"mounts": [{"source": "relative", "path": "/x"}]}, "mounts[0].source"),
])
def test_bad_input_names_the_option(kwargs, option):
    params = base_params(name=kwargs.pop("name", "lxdi-ok"), **kwargs)
    with pytest.raises(InputError) as err:
        wanted_settings(params)
    assert str(err.value).startswith(option + ":"), str(err.value)


def test_unknown_remote_fails_before_any_request(monkeypatch, capsys):
    result, client = run(monkeypatch, capsys, {"name": "lxdi-c9", "image": "nowhere:debian/12"})
    assert result["failed"] and result["msg"].startswith("image: unknown remote 'nowhere'")
    assert client.writes == []


# ---- planning ---------------------------------------------------------------------------------------------
def test_replace_drops_unmanaged_keys_but_not_volatile():
    inst = fixture("container_running.json")
    inst["config"]["user.by-hand"] = "1"
    inst["devices"] = {"hand": {"type": "disk", "source": "/srv", "path": "/srv"}}
    wanted = wanted_settings(base_params(name=inst["name"], cpus=1))
    config, devices = backend.plan_settings(inst, wanted, "replace")
    assert config == {"limits.cpu": "1"} and devices == {}
    body = backend.put_body(inst, config, devices, ["default"], False)
    assert body["config"]["volatile.base_image"] == inst["config"]["volatile.base_image"]
    assert "user.by-hand" not in body["config"]


def test_merge_keeps_hand_keys_and_same_size_spelling():
    inst = fixture("container_running.json")
    inst["config"]["limits.memory"] = "131072KiB"    # 128 MiB written another way: no change
    wanted = wanted_settings(base_params(name=inst["name"], memory="128MiB"))
    config, _devices = backend.plan_settings(inst, wanted, "merge")
    assert config["limits.memory"] == "131072KiB"


def test_mounts_option_owns_host_dir_disks_only(tmp_path):
    inst = fixture("container_running.json")
    inst["devices"] = {"old": {"type": "disk", "source": "/old", "path": "/old"},
                       "root": {"type": "disk", "path": "/", "pool": "default"},
                       "gpu": {"type": "gpu"}}
    wanted = wanted_settings(base_params(name=inst["name"], mounts=[
        {"source": str(tmp_path), "path": "/data/", "readonly": True}]))
    _config, devices = backend.plan_settings(inst, wanted, "merge")
    assert sorted(devices) == ["gpu", "mount-data", "root"]
    assert devices["mount-data"] == {"type": "disk", "source": str(tmp_path), "path": "/data", "readonly": "true"}


def test_cloud_init_outcomes():
    assert backend.cloud_init_outcome(0, "status: done\n", "")[0] == "done"
    assert backend.cloud_init_outcome(2, "status: done\n", "")[0] == "degraded"
    assert backend.cloud_init_outcome(1, "status: error\n", "")[0] == "error"
    assert backend.cloud_init_outcome(127, "", "cloud-init: not found")[0] == "missing"
    assert backend.cloud_init_outcome(0, "status: disabled\n", "")[0] == "disabled"


def test_create_that_timed_out_is_waited_for_then_deleted(monkeypatch, capsys):
    result, client = run(monkeypatch, capsys, {"name": "lxdi-c1", "image": "debian/12"}, slow_create="done")
    assert result["failed"] and "still Running after 120s" in result["msg"]
    assert "deleted again: create" in result["msg"] and "lxdi-c1" not in client.instances_by_name


def test_create_still_running_says_what_is_left(monkeypatch, capsys):
    clock = [0.0]
    monkeypatch.setattr(lxd.time, "monotonic", lambda: clock.__setitem__(0, clock[0] + 50) or clock[0])
    result, client = run(monkeypatch, capsys, {"name": "lxdi-c1", "image": "debian/12"}, slow_create="running")
    assert result["failed"] and "deleted again" not in result["msg"]
    assert "NOT cleaned up: create: instance lxdi-c1 is left on the server, still being created" in result["msg"]
    assert "a re-run waits for the operation" in result["msg"] and "lxdi-c1" in client.instances_by_name


def test_user_data_is_a_digest_in_the_diff(monkeypatch, capsys):
    result, _client = run(monkeypatch, capsys, {"name": "lxdi-c1", "image": "debian/12", "state": "stopped",
                                                "cloud_init": {"runcmd": [["echo", "TOPSECRET"]]}}, diff=True)
    shown = result["diff"]["after"]["config"]["cloud-init.user-data"]
    assert shown.startswith("sha256:") and "TOPSECRET" not in json.dumps(result)


def test_mounts_mode_merge_keeps_the_other_mount_devices_as_they_are(monkeypatch, capsys, tmp_path):
    inst = fixture("container_running.json")
    data = {"type": "disk", "source": "/srv/data", "path": "/data", "shift": "true"}
    inst["devices"] = dict(inst.get("devices") or {}, data=data)
    args = {"name": inst["name"], "mounts": [{"source": str(tmp_path), "path": "/new"}], "mounts_mode": "merge"}
    for config_mode in ("merge", "replace"):
        result, client = run(monkeypatch, capsys, dict(args, config_mode=config_mode), instances=[inst])
        assert result["actions"] == ["update"]
        devices = client.writes[0][1]["devices"]
        assert devices["data"] == inst["devices"]["data"] and devices["mount-new"]["source"] == str(tmp_path)
    replaced, client = run(monkeypatch, capsys, dict(args, mounts_mode="replace"), instances=[inst])
    assert replaced["changed"] and "data" not in client.writes[0][1]["devices"]
    # a given path replaces the device mounted there, whatever its name
    moved, client = run(monkeypatch, capsys, dict(args, mounts=[{"source": str(tmp_path), "path": "/data"}]),
                        instances=[inst])
    assert moved["changed"] and "data" not in client.writes[0][1]["devices"] and "mount-data" in client.writes[0][1]["devices"]
