# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.workstation.vms.plugins.module_utils.common import InputError
from ansible_collections.workstation.vms.plugins.module_utils.multipass import (
    DaemonUnreachable, DriverLacks, LabelStore, MultipassCli, MultipassError, NotFound, Timeout, mount_maps,
    mounts_from_info, network_spec, parse_human_size, same_size, state_word, strip_spinner, to_multipass_size,
    validate_name, write_user_data)

GiB = 1024 ** 3
INFO = {"errors": [], "info": {
    "mpi-run": {"cpu_count": "2", "disks": {"sda1": {"total": "5368709120", "used": "1"}}, "image_hash": "x",
                "image_release": "24.04 LTS", "ipv4": ["10.1.2.3"], "load": [0.1, 0.1, 0.1],
                "memory": {"total": 1073741824, "used": 1}, "mounts": {"/data": {
                    "gid_mappings": ["1000:default"], "source_path": "/srv/data", "uid_mappings": ["1000:default"]}},
                "release": "Ubuntu 24.04.3 LTS", "snapshot_count": "0", "state": "Running"},
    "mpi-off": {"cpu_count": "", "disks": {"sda1": {}}, "image_hash": "y", "image_release": "22.04 LTS",
                "ipv4": [], "load": [], "memory": {}, "mounts": {}, "release": "", "state": "Stopped"},
    "mpi-gone": {"cpu_count": "", "disks": {"sda1": {}}, "image_hash": "z", "image_release": "22.04 LTS",
                 "ipv4": [], "load": [], "memory": {}, "mounts": {}, "release": "", "state": "Deleted"},
}}


class Runner:
    """Answers argv with canned (rc, stdout, stderr) and records the calls."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, args, data=None):
        self.calls.append((args, data))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_guests_is_one_info_call_and_common_shape(tmp_path):
    path = str(tmp_path / "labels.json")
    LabelStore(path, "qemu").update("mpi-run", labels={"role": "web"}, mount_types={"/data": "native"})
    run = Runner((0, "qemu\n", ""), (0, json.dumps(INFO), ""))
    guests = MultipassCli("mp", run=run, label_store=path).guests()
    # the store's entries are the current driver's: one `get local.driver` next to the one `info`
    assert [c[0] for c in run.calls] == [["mp", "get", "local.driver"], ["mp", "info", "--format", "json"]]
    assert [g["name"] for g in guests] == ["mpi-off", "mpi-run"]
    running = guests[1]
    assert running == dict(name="mpi-run", backend="multipass", type="vm", state="running", ipv4=["10.1.2.3"],
                           ipv6=[], image="24.04 LTS", cpus=2, memory=GiB, disk=5 * GiB, labels={"role": "web"},
                           mounts=[dict(source="/srv/data", path="/data", type="native", uid_map=["1000:default"],
                                        gid_map=["1000:default"], readonly=False)],
                           status="Running", release="Ubuntu 24.04.3 LTS")
    assert guests[0]["state"] == "stopped" and guests[0]["cpus"] is None and guests[0]["labels"] == {}
    assert len(MultipassCli("mp", run=Runner((0, json.dumps(INFO), "")), label_store=LabelStore(path, "qemu")).guests(
        include_deleted=True)) == 3
    empty = Runner((0, json.dumps(INFO), ""))
    MultipassCli("mp", run=empty, label_store=str(tmp_path / "none.json")).guests()
    assert [c[0] for c in empty.calls] == [["mp", "info", "--format", "json"]]   # no entries: no driver asked


def test_guests_of_another_driver_carry_none_of_the_first_drivers_labels(tmp_path):
    """The same instance name under two drivers is two instances (each driver has its own): labels and mount
    types are the current driver's only."""
    path = str(tmp_path / "labels.json")
    LabelStore(path, "qemu").update("mpi-run", labels={"role": "web"}, mount_types={"/data": "native"})
    guests = MultipassCli("mp", run=Runner((0, "lxd\n", ""), (0, json.dumps(INFO), "")), label_store=path).guests()
    running = [g for g in guests if g["name"] == "mpi-run"][0]
    assert running["labels"] == {} and running["mounts"][0]["type"] == "classic"


def test_default_runner_and_store_path_without_a_module(tmp_path):
    cli = MultipassCli(executable=str(tmp_path / "nope"))
    assert cli.store.path == os.path.expanduser("~/.local/share/workstation.vms/multipass/labels.json")
    with pytest.raises(MultipassError) as err:
        cli.guests()
    assert "cannot run" in str(err.value)


@pytest.mark.parametrize("rc, stderr, kind, words", [
    (2, "info failed: cannot connect to the multipass socket\nPlease ensure multipassd is running and "
        "'/run/multipass_socket' is accessible\n", DaemonUnreachable, "not reachable"),
    (3, "list failed: failed to connect to all addresses", DaemonUnreachable,
     "not reachable (`multipass launch` exited 3)"),
    (2, "info failed: multipass socket access denied\n", DaemonUnreachable, "socket access denied"),
    (5, "Timed out waiting for instance launch.\n", Timeout, "timed out"),
    (2, 'start failed: The following errors occurred:\ninstance "x" does not exist\n', NotFound, "does not exist"),
    (1, "[2026-05-20T10:11:12.345] [error] [client] Caught an unhandled exception: 1CiG is not a valid memory "
        "size - need", MultipassError, "`multipass launch` failed (rc 1): 1CiG is not a valid memory"),
    (2, "launch failed: Invalid arguments supplied\nInvalid memory size value supplied: 100M.\n", MultipassError,
     "Invalid memory size value supplied: 100M."),
])
def test_errors_are_mapped(rc, stderr, kind, words):
    cli = MultipassCli("multipass", run=Runner((rc, "", stderr)))
    with pytest.raises(kind) as err:
        cli.call("launch", "--memory", "1CiG")
    assert words in str(err.value)
    assert err.value.rc == rc and err.value.stderr == stderr


def test_info_of_missing_instance_is_none():
    cli = MultipassCli("mp", run=Runner((2, "", 'info failed: The following errors occurred:\ninstance "a" does '
                                                'not exist\n')))
    assert cli.info("a") is None


def test_launch_arguments_in_multipass_syntax():
    run = Runner((0, "Launched: a\n", ""))
    MultipassCli("mp", run=run).launch("a", image="22.04", cpus=2, memory=3 * GiB // 2, disk=10 * GiB,
                                       cloud_init_file="/tmp/u.yaml", mounts=[("/src", "/dst")],
                                       networks=[{"name": "eth1", "mode": "manual", "mac": None}, "br0"],
                                       bridged=True, timeout=600)
    assert run.calls[0][0] == ["mp", "launch", "--name", "a", "--cpus", "2", "--memory", "1536M", "--disk", "10G",
                               "--cloud-init", "/tmp/u.yaml", "--mount", "/src:/dst", "--network",
                               "name=eth1,mode=manual", "--network", "br0", "--bridged", "--timeout", "600", "22.04"]


def test_mount_and_lifecycle_arguments():
    run = Runner((0, "", ""))
    cli = MultipassCli("mp", run=run)
    cli.mount("a", "/src", "/dst", "native", ["1000:1000"], ["100:100"])
    cli.umount("a", "/dst")
    cli.lifecycle("start", "a", timeout=60)
    cli.lifecycle("stop", "a", timeout=60)
    cli.set("local.a.memory", "2G")
    assert [c[0][1:] for c in run.calls] == [
        ["mount", "--type", "native", "--uid-map", "1000:1000", "--gid-map", "100:100", "/src", "a:/dst"],
        ["umount", "a:/dst"], ["start", "--timeout", "60", "a"], ["stop", "a"], ["set", "local.a.memory=2G"]]


def test_driver_is_asked_once_and_checked():
    run = Runner((0, "libvirt\n", ""))
    cli = MultipassCli("mp", run=run)
    with pytest.raises(DriverLacks) as err:
        cli.check_driver("native mounts")
    assert "'libvirt'" in str(err.value) and "native" in str(err.value)
    cli.check_driver("suspend")
    assert len(run.calls) == 1
    lxd = MultipassCli("mp", run=Runner((0, "lxd\n", "")))
    with pytest.raises(DriverLacks):
        lxd.check_driver("suspend")
    MultipassCli("mp", run=Runner((0, "qemu\n", ""))).check_driver("networks")


def test_sizes():
    sizes = (GiB, 1536 * 1024 ** 2, 1025, 4096, None)
    assert [to_multipass_size(v) for v in sizes] == ["1G", "1536M", "1025", "4K", None]
    assert parse_human_size("1.0GiB") == (GiB, GiB / 10.0)
    assert parse_human_size("512.0MiB")[0] == 512 * 1024 ** 2
    assert parse_human_size("junk") == (None, None)
    assert same_size("1.0GiB", GiB) and same_size("1.5GiB", 3 * GiB // 2) and not same_size("1.0GiB", 2 * GiB)
    assert same_size("1.00GiB", GiB) and not same_size("1.10GiB", GiB)


def test_small_helpers():
    assert strip_spinner("\x1b[2K\x1b[0A\x1b[0E| Launching a\x1b[2K\x1b[0A\x1b[0ELaunched: a\n") == "Launched: a"
    assert state_word("Delayed Shutdown") == "running" and state_word("Suspended") == "suspended"
    assert network_spec({"name": "eth1", "mode": None, "mac": "52:54:00:00:00:01"}) == "name=eth1,mac=52:54:00:00:00:01"
    assert mount_maps(["1000:1000"], "x") == ["1000:1000"]
    with pytest.raises(InputError, match="mounts.0..uid_map: 'a:b'"):
        mount_maps(["a:b"], "mounts[0].uid_map")
    for bad in ("1nvalid-name", "invalid.name", "invalid-name-", ""):
        with pytest.raises(InputError, match="name: "):
            validate_name(bad)
    assert mounts_from_info({"mounts": {}}) == []


def test_label_store_is_private_and_forgets(tmp_path):
    path = tmp_path / "deep" / "labels.json"
    store = LabelStore(str(path), "qemu")
    assert store.labels("a") == {}
    store.update("a", labels={"x": "1"})
    store.update("b", labels={"y": "2"})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert store.labels("a") == {"x": "1"}
    store.update("a", labels=None)
    store.forget("b")
    assert json.loads(path.read_text()) == {"drivers": {}, "version": 2}
    path.write_text("{broken")
    with pytest.raises(MultipassError, match="not valid JSON"):
        store.load()


def test_label_store_keeps_each_drivers_entries(tmp_path):
    path = str(tmp_path / "labels.json")
    driver = ["qemu"]
    store = LabelStore(path, lambda: driver[0])
    store.update("dev", labels={"on": "qemu"}, mount_types={"/data": "native"})
    driver[0] = "lxd"
    assert store.entry("dev") == {} and store.entries() == {}
    store.update("dev", labels={"on": "lxd"})
    store.forget("dev")
    store.forget("other")
    driver[0] = "qemu"
    assert store.entry("dev") == {"labels": {"on": "qemu"}, "mount_types": {"/data": "native"}}
    assert json.loads(open(path).read()) == {"version": 2, "drivers": {
        "qemu": {"dev": {"labels": {"on": "qemu"}, "mount_types": {"/data": "native"}}}}}


def test_label_store_reads_a_version_1_file_and_migrates_it_on_write(tmp_path):
    """A file written before entries were kept per driver: read as the driver in use; written back as version 2,
    still 0600, at the next change only."""
    path = tmp_path / "labels.json"
    old = {"version": 1, "instances": {"a": {"labels": {"x": "1"}}, "b": {"mount_types": {"/m": "native"}}}}
    path.write_text(json.dumps(old))
    path.chmod(0o600)
    asked = []
    store = LabelStore(str(path), lambda: asked.append(1) or "qemu")
    assert store.labels("a") == {"x": "1"} and store.entry("b") == {"mount_types": {"/m": "native"}}
    assert json.loads(path.read_text()) == old      # reading changes nothing
    store.update("c", labels={"z": "3"})
    assert json.loads(path.read_text()) == {"version": 2, "drivers": {"qemu": {
        "a": {"labels": {"x": "1"}}, "b": {"mount_types": {"/m": "native"}}, "c": {"labels": {"z": "3"}}}}}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert LabelStore(str(path), "lxd").entries() == {}
    path.write_text(json.dumps({"version": 1, "instances": {}}))
    assert LabelStore(str(path), lambda: pytest.fail("driver asked")).entries() == {}
    assert asked


@pytest.mark.parametrize("content, words", [
    ({"version": 3, "drivers": {}}, "is version 3, written by a newer workstation.vms"),
    ({"version": 2, "drivers": []}, "is not a label store"),
    ({"version": 2, "drivers": {"qemu": {"a": "x"}}}, "is not a label store"),
    ({"version": 1, "instances": {"a": 1}}, "is not a label store"),
    ([], "is not a label store"),
])
def test_label_store_refuses_what_it_cannot_read(tmp_path, content, words):
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(content))
    with pytest.raises(MultipassError, match=words):
        LabelStore(str(path), "qemu").entries()
    with pytest.raises(MultipassError, match="driver is not known"):
        LabelStore(str(tmp_path / "new.json")).update("a", labels={"x": "1"})


def test_user_data_file_is_0600(tmp_path):
    path = write_user_data("#cloud-config\n{}\n")
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with open(path) as handle:
            assert handle.read() == "#cloud-config\n{}\n"
    finally:
        os.unlink(path)
