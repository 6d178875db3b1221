# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""multipass_instance against the fake CLI (tests/fakes/multipass): real commands, real state changes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.workstation.vms.plugins.module_utils import multipass_instance_backend as backend
from ansible_collections.workstation.vms.plugins.modules import multipass_instance

FAKES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "fakes"))
FAKE = os.path.join(FAKES, "multipass")
sys.path.insert(0, FAKES)

import multipass_fake  # noqa: E402  pylint: disable=wrong-import-position,import-error
import multipassd_fake  # noqa: E402  pylint: disable=wrong-import-position,import-error


def in_process(args, data=None):
    """The fake run in this process (same code as the executable, without a Python start per command)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = multipass_fake.run(list(args[1:]), stdout=out)
    return rc, out.getvalue(), err.getvalue()


class Done(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


real_runner = backend.module_runner


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.delenv("MULTIPASS_FAKE_VERSION", raising=False)
    for key, value in multipassd_fake.environment(str(tmp_path)).items():
        monkeypatch.setenv(key, value)
    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "other").mkdir()

    def exit_json(_self, **result):
        raise Done(dict(result, failed=False))

    def fail_json(_self, **result):
        raise Done(dict(result, failed=True))
    monkeypatch.setattr(multipass_instance.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(multipass_instance.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(backend, "module_runner", lambda module: in_process)
    with multipassd_fake.running():
        yield tmp_path


def run_module(env, check=False, diff=False, **args):
    args.setdefault("executable", FAKE)
    args.setdefault("label_store", str(env / "labels.json"))
    if check:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True
    with patch_module_args(args):
        with pytest.raises(Done) as done:
            multipass_instance.main()
    return done.value.result


def fake(*args):
    return in_process(["multipass"] + list(args))


def info(name):
    rc, out, _err = fake("info", name, "--format", "json")
    return json.loads(out)["info"][name] if rc == 0 else None


@pytest.mark.parametrize("args, words", [
    (dict(name="1bad"), "name: '1bad' is not a valid Multipass instance name"),
    (dict(name="mpi-a", memory="1CiG"), "memory: '1CiG' is not a size"),
    (dict(name="mpi-a", disk="0"), "disk: 0B is too small"),
    (dict(name="mpi-a", disk="100M"), "disk: 100MiB is too small; give at least 512MiB"),
    (dict(name="mpi-a", memory="999999T"), "memory: 999999TiB is more than 16TiB"),
    (dict(name="mpi-a", memory="1000G"), "(the RAM of this host)"),
    (dict(name="mpi-a", cpus=0), "cpus: must be 1 or more"),
    (dict(name="mpi-a", mounts=[dict(source="/nonexistent-mpi", path="/x")]), "mounts[0].source"),
    (dict(name="mpi-a", mounts=[dict(source="/tmp", path="/x", readonly=True)]), "mounts[0].readonly"),
    (dict(name="mpi-a", mounts=[dict(source="/tmp", path="/x", uid_map=["me:1"])]), "mounts[0].uid_map: 'me:1'"),
    (dict(name="mpi-a", labels={"bad key": 1}), "labels: key 'bad key'"),
    (dict(name="mpi-a", aliases=[dict(command="ls", name="a/b")]), "aliases[0].name: 'a/b' must be a file name"),
    (dict(name="mpi-a", aliases=[dict(command="/usr/bin/list")]), "aliases[0].name: 'list' is a multipass command"),
    (dict(name="mpi-a", aliases=[dict(command="id"), dict(command="/bin/id")]), "aliases[1].name: 'id' is given"),
])
def test_bad_input_fails_before_any_command(env, args, words):
    result = run_module(env, **args)
    assert result["failed"] and words in result["msg"]
    assert not (env / "state").exists()


def test_create_idempotent_check_and_diff(env):
    args = dict(name="mpi-u1", image="22.04", cpus=2, memory="1.5G", disk="6G", labels={"role": "db"},
                cloud_init={"write_files": [{"path": "/etc/motd", "content": "hello\n"}]},
                mounts=[dict(source=str(env / "src"), path="/data")], wait_for="cloud-init")
    predicted = run_module(env, check=True, diff=True, **args)
    assert predicted["changed"] and predicted["actions"] == ["launch", "labels"] and info("mpi-u1") is None
    created = run_module(env, diff=True, **args)
    assert created["changed"] and created["actions"] == predicted["actions"]
    assert created["diff"] == predicted["diff"] and created["diff"]["after"]["state"] == "running"
    inst = created["instance"]
    assert (inst["state"], inst["cpus"], inst["memory"], inst["disk"], inst["image"]) == (
        "running", 2, 1536 * 1024 ** 2, 6 * 1024 ** 3, "22.04 LTS")
    assert inst["labels"] == {"role": "db"} and inst["mounts"][0]["path"] == "/data"
    root = env / "state" / "instances" / "mpi-u1" / "rootfs"
    assert (root / "etc" / "motd").read_text() == "hello\n"
    assert not [f for f in os.listdir("/tmp") if f.startswith("workstation-vms-")]
    again = run_module(env, check=True, **args)
    assert not again["changed"] and again["actions"] == []
    assert not run_module(env, **args)["changed"]


def test_mounts_reconciled(env):
    src, other = str(env / "src"), str(env / "other")
    run_module(env, name="mpi-u2", mounts=[dict(source=src, path="/a"), dict(source=src, path="/b")])
    wanted = [dict(source=other, path="/a"),
              dict(source=src, path="/c", type="native", uid_map=["1000:1000"], gid_map=["1000:1000"])]
    predicted = run_module(env, check=True, name="mpi-u2", mounts=wanted)
    result = run_module(env, name="mpi-u2", mounts=wanted)
    assert result["actions"] == predicted["actions"] == ["umount /b", "umount /a", "mount /a", "mount /c"]
    assert result["diff"] == predicted["diff"] and result["diff"]["before"] != result["diff"]["after"]
    mounts = info("mpi-u2")["mounts"]
    assert sorted(mounts) == ["/a", "/c"] and mounts["/a"]["source_path"] == other
    assert mounts["/c"]["uid_mappings"] == ["1000:1000"]
    assert [m["type"] for m in result["instance"]["mounts"]] == ["classic", "native"]
    assert not run_module(env, name="mpi-u2", mounts=wanted)["changed"]
    # only the type changes: remembered in the store, so it is seen
    wanted[1]["type"] = "classic"
    assert run_module(env, name="mpi-u2", mounts=wanted)["actions"] == ["umount /c", "mount /c"]
    assert run_module(env, name="mpi-u2", mounts=[])["actions"] == ["umount /a", "umount /c"]
    assert os.path.isdir(src) and os.path.isdir(other)


def test_resources_on_running_and_stopped(env):
    run_module(env, name="mpi-u3", memory="1G")
    pending = run_module(env, name="mpi-u3", memory="2G", cpus=2)
    assert not pending["changed"] and pending["pending"] == pending["pending_restart"] == ["cpus", "memory"]
    assert fake("get", "local.mpi-u3.memory")[1] == "1.0GiB\n"
    stopped = run_module(env, name="mpi-u3", state="stopped", memory="2G", cpus=2)
    assert stopped["actions"] == ["stop", "set cpus", "set memory"]
    assert stopped["instance"]["memory"] == 2 * 1024 ** 3 and stopped["instance"]["state"] == "stopped"
    bounced = run_module(env, name="mpi-u3", state="started", disk="10G", restart_on_change=True)
    assert bounced["actions"] == ["set disk", "start"]
    again = run_module(env, name="mpi-u3", disk="12G", restart_on_change=True)
    assert again["actions"] == ["stop", "set disk", "start"] and info("mpi-u3")["state"] == "Running"
    shrink = run_module(env, name="mpi-u3", disk="5G", state="stopped")
    assert shrink["failed"] and "disks only grow" in shrink["msg"] and info("mpi-u3")["state"] == "Running"


def test_states_and_absent(env):
    assert run_module(env, name="mpi-u4", state="suspended")["actions"] == ["launch", "suspend"]
    assert info("mpi-u4")["state"] == "Suspended"
    assert run_module(env, name="mpi-u4", state="started")["actions"] == ["start"]
    assert run_module(env, name="mpi-u4", state="restarted")["actions"] == ["restart"]
    assert run_module(env, name="mpi-u4", state="absent", purge=False)["actions"] == ["delete"]
    assert info("mpi-u4")["state"] == "Deleted"
    assert not run_module(env, name="mpi-u4", state="absent", purge=False)["changed"]
    assert run_module(env, name="mpi-u4", state="present")["actions"] == ["recover"]
    assert info("mpi-u4")["state"] == "Stopped"
    run_module(env, name="mpi-u4", state="present", labels={"a": "b"})
    assert run_module(env, check=True, name="mpi-u4", state="absent")["actions"] == ["delete"]
    assert info("mpi-u4") is not None
    gone = run_module(env, name="mpi-u4", state="absent")
    assert gone["actions"] == ["delete"] and gone["instance"]["state"] == "absent" and info("mpi-u4") is None
    assert json.loads((env / "labels.json").read_text())["drivers"] == {}   # its entry dropped (and the empty driver)
    assert not run_module(env, name="mpi-u4", state="absent")["changed"]


def test_driver_limits_refused_before_changes(env):
    fake("set", "local.driver=lxd")
    result = run_module(env, name="mpi-u5", state="suspended")
    assert result["failed"] and "driver 'lxd'" in result["msg"] and "suspended" in result["msg"]
    fake("set", "local.driver=libvirt")
    result = run_module(env, name="mpi-u5", networks=[dict(name="eth1")])
    assert result["failed"] and "driver 'libvirt'" in result["msg"] and result["actions"] == []
    result = run_module(env, name="mpi-u5", mounts=[dict(source=str(env / "src"), path="/x", type="native")])
    assert result["failed"] and "mount type native" in result["msg"]
    assert info("mpi-u5") is None


def test_daemon_unreachable_and_cli_errors(env, monkeypatch):
    multipassd_fake.stop()
    result = run_module(env, name="mpi-u6")
    assert result["failed"] and result["rc"] == 2 and "daemon is not reachable" in result["msg"]
    assert "Start multipassd (the snap: `sudo snap start multipass`)" in result["msg"] and result["actions"] == []
    with monkeypatch.context() as patch:
        patch.setenv("MULTIPASS_SERVER_ADDRESS", "localhost:1")
        result = run_module(env, name="mpi-u6")
    assert result["failed"] and result["rc"] == 3 and "daemon is not reachable" in result["msg"]
    multipassd_fake.start()
    result = run_module(env, name="mpi-u6", memory="100M")
    assert result["failed"] and "memory: 100MiB is too small; give at least 128MiB" in result["msg"]
    assert result["actions"] == [] and info("mpi-u6") is None
    result = run_module(env, name="mpi-u6", image="nosuch")
    assert result["failed"] and 'Unable to find an image matching "nosuch"' in result["msg"]
    monkeypatch.setattr(backend, "module_runner", real_runner)
    result = run_module(env, name="mpi-u6", executable=str(env / "no-multipass"))
    assert result["failed"] and "cannot run" in result["msg"] and "No such file" in result["msg"]


def test_the_executable_through_run_command(env, monkeypatch):
    monkeypatch.setattr(backend, "module_runner", real_runner)
    result = run_module(env, name="mpi-u7", state="stopped", mounts=[dict(source=str(env / "src"), path="/s")])
    assert result["actions"] == ["launch", "stop"] and info("mpi-u7")["state"] == "Stopped"
    assert subprocess.run([FAKE, "delete", "--purge", "mpi-u7"], check=False).returncode == 0


def test_main_1_17_output_is_read_the_same(env, monkeypatch):
    monkeypatch.setenv("MULTIPASS_FAKE_VERSION", "1.17.0")
    args = dict(name="mpi-u8", memory="1G", disk="5G", mounts=[dict(source=str(env / "src"), path="/s")])
    created = run_module(env, **args)
    assert created["actions"] == ["launch"] and created["instance"]["memory"] == 1024 ** 3
    assert not run_module(env, **args)["changed"]
    small = run_module(env, name="mpi-u9", memory="256M")
    assert small["failed"] and "Invalid memory size value supplied: 256M." in small["msg"]


def test_failure_after_launch_deletes_the_new_instance(env, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise backend.MultipassError("`multipass mount` failed (rc 2): refused", 2, "", "refused", ["multipass"])
    monkeypatch.setattr(backend.MultipassCli, "mount", refuse)
    result = run_module(env, name="mpi-u10", mounts=[dict(source=str(env / "src"), path="/s", uid_map=["1000:1000"])])
    assert result["failed"] and result["actions"] == ["launch", "mount /s"] and result["rc"] == 2
    assert "refused" in result["msg"] and "deleted again: launch" in result["msg"]
    assert info("mpi-u10") is None


def test_cloud_init_status_words(env, monkeypatch):
    cli = backend.MultipassCli(FAKE, run=lambda args, data=None: (0, "status: disabled\n", ""))
    assert cli.cloud_init_status("x") == ("disabled", "status: disabled")
    cli.run = lambda args, data=None: (1, "", "instance not running")
    assert cli.cloud_init_status("x") == ("error", "instance not running")


@pytest.mark.parametrize("content", ["{not json", "[]", '{"instances": {"mpi-u9": "x"}}',
                                     '{"version": 2, "drivers": {"qemu": {"mpi-u9": "x"}}}'])
def test_bad_label_store_is_refused_before_launch(env, content):
    (env / "labels.json").write_text(content)
    result = run_module(env, name="mpi-u9", labels={"role": "db"})
    assert result["failed"] and result["msg"].startswith("label_store: ") and "repair it or move it away" in result["msg"]
    assert result["actions"] == [] and info("mpi-u9") is None


def test_mounts_mode_merge_adds_and_updates_by_path(env):
    src, other = str(env / "src"), str(env / "other")
    run_module(env, name="mpi-u9", mounts=[dict(source=src, path="/a"), dict(source=src, path="/b")])
    merge = dict(name="mpi-u9", mounts_mode="merge", mounts=[dict(source=other, path="/b"), dict(source=other, path="/c")])
    predicted = run_module(env, check=True, **merge)
    result = run_module(env, **merge)
    assert result["actions"] == predicted["actions"] == ["umount /b", "mount /b", "mount /c"]
    mounts = info("mpi-u9")["mounts"]
    assert sorted(mounts) == ["/a", "/b", "/c"] and mounts["/a"]["source_path"] == src
    assert mounts["/b"]["source_path"] == other
    assert not run_module(env, **merge)["changed"]
    replace = dict(merge)
    replace["mounts_mode"] = "replace"
    assert run_module(env, **replace)["actions"] == ["umount /a"]


def aliases_json():
    return json.loads(fake("aliases", "--format", "json")[1])


def test_aliases_exact_idempotent_check_and_diff(env):
    wanted = [dict(command="docker", name="mdocker"), dict(command="/usr/bin/id", working_directory="default")]
    checked = run_module(env, check=True, diff=True, name="mpi-al", aliases=wanted)
    assert checked["changed"] and checked["actions"] == ["launch", "alias id", "alias mdocker"]
    assert info("mpi-al") is None
    assert checked["diff"]["after"]["aliases"] == ["id: /usr/bin/id (default)", "mdocker: docker (map)"]
    done = run_module(env, diff=True, name="mpi-al", aliases=wanted)
    assert done["actions"] == checked["actions"] and done["diff"] == checked["diff"]
    assert sorted(a["name"] for a in done["instance"]["aliases"]) == ["id", "mdocker"]
    assert aliases_json()["contexts"]["default"]["mdocker"] == {
        "command": "docker", "instance": "mpi-al", "working-directory": "map"}
    again = run_module(env, check=True, name="mpi-al", aliases=wanted)
    assert not again["changed"] and not run_module(env, name="mpi-al", aliases=wanted)["changed"]
    fewer = [dict(command="docker", name="mdocker", working_directory="default")]
    assert run_module(env, check=True, name="mpi-al", aliases=fewer)["actions"] == [
        "unalias id", "unalias mdocker", "alias mdocker"]
    assert run_module(env, name="mpi-al", aliases=fewer)["changed"]
    assert aliases_json()["contexts"]["default"] == {
        "mdocker": {"command": "docker", "instance": "mpi-al", "working-directory": "default"}}
    assert not run_module(env, name="mpi-al", aliases=fewer)["changed"]
    assert fake("launch", "--name", "mpi-other")[0] == 0
    clash = run_module(env, name="mpi-other", aliases=[dict(command="ls", name="mdocker")])
    assert clash["failed"] and "'mdocker' is already an alias of another instance" in clash["msg"]
    assert not clash["changed"]
    assert run_module(env, name="mpi-al", state="absent")["changed"]
    assert aliases_json()["contexts"]["default"] == {}


def test_primary_launch_mounts_home_and_is_idempotent(env, monkeypatch):
    home = env / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    args = dict(name="mpi-pri", primary=True, mounts=[dict(source=str(env / "src"), path="/home/ubuntu/src")])
    checked = run_module(env, check=True, diff=True, **args)
    assert checked["actions"] == ["set primary", "launch"] and checked["diff"]["after"]["primary"] is True
    assert fake("get", "client.primary-name")[1] == "primary\n"
    done = run_module(env, diff=True, **args)
    assert done["actions"] == checked["actions"] and done["instance"]["primary"] is True
    assert sorted(m["path"] for m in done["instance"]["mounts"]) == ["/home/ubuntu/src", "Home"]
    assert info("mpi-pri")["mounts"]["Home"]["source_path"] == str(home)
    assert not run_module(env, check=True, **args)["changed"] and not run_module(env, **args)["changed"]
    off = run_module(env, name="mpi-pri", primary=False)
    assert off["actions"] == ["unset primary"] and fake("get", "--raw", "client.primary-name")[1] == "\n"
    assert not run_module(env, name="mpi-pri", primary=False)["changed"]


def test_blueprint_launch_reports_its_defaults(env, monkeypatch):
    monkeypatch.setenv("HOME", str(env / "home"))
    done = run_module(env, name="mpi-box", image="docker")
    assert (done["instance"]["cpus"], done["instance"]["memory"], done["instance"]["disk"]) == (2, 4 << 30, 40 << 30)
    assert sorted(a["name"] for a in done["instance"]["aliases"]) == ["docker", "docker-compose"]
    assert [m["path"] for m in done["instance"]["mounts"]] == ["mpi-box"]
    blueprint_aliases = [dict(command="docker"), dict(command="docker-compose")]
    keep = run_module(env, name="mpi-box", image="docker", aliases=blueprint_aliases)
    assert not keep["changed"]


def test_each_driver_shows_its_own_instances(env):
    """A driver switch between runs: the other driver's instance of the same name is another instance; its
    labels and mount types are not this one's, and removing it leaves the first driver's entry alone."""
    mounts = [dict(source=str(env / "src"), path="/data", type="native")]
    first = run_module(env, name="mpi-drv", labels={"role": "web"}, mounts=mounts)
    assert first["driver"] == "qemu" and first["instance"]["labels"] == {"role": "web"}
    assert fake("set", "local.driver=lxd")[0] == 0
    other = run_module(env, name="mpi-drv", state="absent")
    assert not other["changed"] and other["driver"] == "lxd" and other["instance"]["state"] == "absent"
    planned = run_module(env, check=True, diff=True, name="mpi-drv", labels={"role": "web"})
    assert planned["actions"] == ["launch", "labels"] and planned["diff"]["before"] == {"state": "absent"}
    made = run_module(env, name="mpi-drv", labels={"role": "db"}, mounts=[dict(mounts[0], type="classic")])
    assert made["instance"]["labels"] == {"role": "db"}
    assert [m["type"] for m in made["instance"]["mounts"]] == ["classic"]
    assert run_module(env, name="mpi-drv", state="absent")["changed"]
    assert fake("set", "local.driver=qemu")[0] == 0
    back = run_module(env, name="mpi-drv", labels={"role": "web"}, mounts=mounts)
    assert not back["changed"] and back["instance"]["state"] == "running" and back["driver"] == "qemu"
    assert back["instance"]["labels"] == {"role": "web"} and back["instance"]["mounts"][0]["type"] == "native"
    assert list(json.loads((env / "labels.json").read_text())["drivers"]) == ["qemu"]


def test_a_version_1_label_store_is_read_and_written_back_per_driver(env):
    """Stores written before entries were kept per driver keep working: read as the current driver's."""
    assert run_module(env, name="mpi-old", labels={"role": "web"})["changed"]
    store = env / "labels.json"
    entry = json.loads(store.read_text())["drivers"]["qemu"]["mpi-old"]
    store.write_text(json.dumps({"version": 1, "instances": {"mpi-old": entry}}))
    assert not run_module(env, name="mpi-old", labels={"role": "web"})["changed"]
    assert json.loads(store.read_text())["version"] == 1
    assert run_module(env, name="mpi-old", labels={"role": "db"})["actions"] == ["labels"]
    assert json.loads(store.read_text()) == {"version": 2, "drivers": {"qemu": {"mpi-old": dict(
        entry, labels={"role": "db"})}}}
    assert oct(os.stat(store).st_mode & 0o777) == "0o600"
