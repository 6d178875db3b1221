# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fake `multipass` against shared/multipass-cli-spec.md: its JSON samples (copied verbatim from Multipass's own
tests), messages and exit codes. If the fake drifts from the real CLI, these fail."""

from __future__ import annotations

import json
import os
import re
import sys

import pytest

FAKES = os.path.join(os.path.dirname(__file__), "..", "..", "fakes")
FAKE = os.path.abspath(os.path.join(FAKES, "multipass"))
sys.path.insert(0, os.path.abspath(FAKES))

import multipass_fake  # noqa: E402  pylint: disable=wrong-import-position,import-error
import multipassd_fake  # noqa: E402  pylint: disable=wrong-import-position,import-error
from multipass_expected import (  # noqa: E402  pylint: disable=wrong-import-position,import-error
    INFO_MULTIPLE, LIST_EMPTY, LIST_MULTIPLE, LIST_MULTIPLE_MAIN, SNAPSHOT_INFO, SNAPSHOTS_LIST, spinner_free)

MEMORY_MESSAGE = ("1CiG is not a valid memory size - need a non-negative integer (in base 10) or a decimal followed "
                  "by K, M, or G (e.g. 1234B, 42MiB, 0.5G)")


def types_of(value):
    if isinstance(value, dict):
        return {k: types_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [types_of(v) for v in value[:1]]
    return type(value).__name__


# -- the printer reproduces the formatter byte for byte

@pytest.mark.parametrize("sample", [LIST_EMPTY, LIST_MULTIPLE, INFO_MULTIPLE, SNAPSHOTS_LIST, SNAPSHOT_INFO])
def test_qt_printer_reproduces_v1_16_samples(sample, monkeypatch):
    monkeypatch.delenv("MULTIPASS_FAKE_VERSION", raising=False)
    assert multipass_fake.emit_json(json.loads(sample)) == sample


def test_main_printer_keeps_insertion_order(monkeypatch):
    monkeypatch.setenv("MULTIPASS_FAKE_VERSION", "1.17.0")
    assert multipass_fake.emit_json(json.loads(LIST_MULTIPLE_MAIN)) == LIST_MULTIPLE_MAIN


# -- list / info shapes and types

def test_list_empty_and_table(mp):
    assert mp("list", "--format", "json") == (0, LIST_EMPTY, "")
    assert mp("list") == (0, "No instances found.\n", "")


def test_list_and_info_match_the_samples(mp):
    assert mp("launch", "-n", "bogus-instance", "-c", "4", "22.04")[0] == 0
    assert mp("launch", "-n", "bombastic", "22.04")[0] == 0
    assert mp("stop", "bombastic")[0] == 0
    rc, out, _err = mp("list", "--format", "json")
    assert rc == 0
    listed = json.loads(out)["list"]
    sample = json.loads(LIST_MULTIPLE)["list"]
    assert [types_of(e) for e in listed] == [types_of(e) for e in sample]
    assert [e["state"] for e in listed] == ["Running", "Stopped"] and listed[1]["ipv4"] == []
    assert listed[0]["release"] == "Ubuntu 22.04 LTS"
    mp("mount", str(mp.src), "bogus-instance:source", "-u", "1000:501", "-g", "1000:501")
    mp("mount", str(mp.src), "bogus-instance:/srv/source", "-u", "1000:501", "-g", "1000:501")
    rc, out, _err = mp("info", "--format", "json")
    info = json.loads(out)
    sample = json.loads(INFO_MULTIPLE)
    assert info["errors"] == [] and set(info["info"]) == set(sample["info"])
    for name in sample["info"]:
        assert list(info["info"][name]) == list(sample["info"][name])  # same keys, same (sorted) order
        got, want = dict(info["info"][name]), dict(sample["info"][name])
        got.pop("mounts"), want.pop("mounts")
        assert types_of(got) == types_of(want), name
    running = info["info"]["bogus-instance"]
    assert running["cpu_count"] == "4" and len(running["load"]) == 3
    assert running["mounts"]["/srv/source"] == {"gid_mappings": ["1000:501"], "source_path": str(mp.src),
                                                "uid_mappings": ["1000:501"]}
    stopped = info["info"]["bombastic"]
    assert (stopped["ipv4"], stopped["load"], stopped["memory"], stopped["disks"], stopped["release"],
            stopped["cpu_count"]) == ([], [], {}, {"sda1": {}}, "", "")
    # the stopped instance prints empty containers as Qt does
    assert '"memory": {\n            },' in out and '"load": [\n            ],' in out


def test_main_adds_zone_and_bigger_minimums(mp):
    env = dict(MULTIPASS_FAKE_VERSION="1.17.0")
    rc, out, _err = mp("launch", "-n", "zoned", **env)
    assert rc == 0 and "Launched: zoned in zone1" in out
    listed = json.loads(mp("list", "--format", "json", **env)[1])["list"][0]
    assert list(listed) == ["name", "state", "ipv4", "release", "zone"]
    assert list(json.loads(mp("info", "zoned", "--format", "json", **env)[1])["info"]["zoned"])[0] == "zone"
    assert mp("launch", "-n", "small", "-m", "256M", **env) == (
        2, "", "launch failed: Invalid arguments supplied\nInvalid memory size value supplied: 256M.\n")


def test_default_mount_maps_and_target(mp):
    mp("launch", "-n", "m1")
    assert mp("mount", str(mp.src), "m1") == (0, "", "")
    mounts = json.loads(mp("info", "m1", "--format", "json")[1])["info"]["m1"]["mounts"]
    assert mounts == {"/home/ubuntu/src": {"gid_mappings": ["%d:default" % os.getgid()], "source_path": str(mp.src),
                                           "uid_mappings": ["%d:default" % os.getuid()]}}


# -- messages and exit codes (spec section 0)

def test_instance_selection_messages(mp):
    assert mp("info", "foo", "bar", real="1") == (
        2, "", 'info failed: The following errors occurred:\ninstance "foo" does not exist\ninstance "bar" does not exist\n')
    assert mp("snapshot", "foo") == (2, "", 'snapshot failed: instance "foo" does not exist\n')
    assert mp("restore", "foo.snap") == (2, "", 'restore failed: instance "foo" does not exist\n')
    assert mp("mount", str(mp.src), "foo") == (2, "", "mount failed: The following errors occurred:\n"
                                                      "instance 'foo' does not exist\n")
    mp("launch", "-n", "bar")
    mp("delete", "bar")
    assert mp("start", "foo", "bar") == (2, "", "start failed: instance(s) missing\nInstance 'foo' does not exist.\n"
                                                "Instance 'bar' is deleted. Use 'recover' to recover it or 'purge' to "
                                                "permanently delete it.\n")
    assert mp("launch", "-n", "bar") == (2, "", 'launch failed: instance "bar" already exists\n')
    for command in ("suspend", "stop", "delete", "recover", "restart"):
        rc, _out, err = mp(command, "nothere")
        assert rc == 2 and 'instance "nothere" does not exist' in err, command


def test_invalid_sizes(mp):
    rc, out, err = mp("launch", "--memory", "1CiG", real="1")
    assert rc == 1 and out == ""
    assert re.match(r"^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\] \[error\] \[client\] Caught an unhandled exception: "
                    + re.escape(MEMORY_MESSAGE) + "\n$", err)
    rc, _out, err = mp("launch", "--disk", "6CiG")
    assert rc == 1 and "6CiG is not a valid memory size" in err
    assert mp("launch", "-m", "100M") == (2, "", "launch failed: Invalid arguments supplied\n"
                                                 "Invalid memory size value supplied: 100M.\n")
    assert mp("launch", "-d", "100M") == (2, "", "launch failed: Invalid arguments supplied\n"
                                                 "Invalid disk size value supplied: 100M.\n")
    for good in ("1073741824", "1024M", "1G", "1.5G", "2GiB", "512MB", "4096B"):
        assert multipass_fake.MEMORY_SIZE_RE.match(good), good


def test_other_launch_errors(mp):
    assert mp("launch", "--cpus", "0") == (1, "", "Error: invalid CPU count '0', need a positive integer value.\n")
    assert mp("launch", "a", "b") == (1, "", "Too many arguments supplied\n")
    assert mp("launch", "a:b:c") == (1, "", "Invalid remote and source image name supplied\n")
    assert mp("launch", "--mount", "/nope:/x") == (1, "", 'Mount source path "/nope" does not exist\n')
    assert mp("launch", "--cloud-init", "/nope") == (1, "", "Could not load cloud-init configuration: bad file: "
                                                            "/nope\nPlease ensure that Multipass can read it.\n")
    assert mp("launch", "--network", "foo=bar") == (1, "", "error: Bad network field: foo\n")
    assert mp("launch", "--network", "mode=x,name=y") == (1, "", "error: Bad network mode 'x', need 'auto' or "
                                                                 "'manual'\n")
    assert mp("launch", "--network", "name=a,mac=zz") == (1, "", "error: Invalid MAC address: zz\n")
    assert mp("launch", "--timeout", "0") == (1, "", "error: --timeout value has to be a positive integer\n")
    for bad in ("1nvalid-name", "invalid.name", "invalid-name-"):
        assert mp("launch", "-n", bad) == (2, "", "launch failed: Invalid arguments supplied\nInvalid instance name "
                                                  "supplied: %s\n" % bad)
    assert mp("launch", "--foo") == (1, "", "Unknown option 'foo'.\n")
    assert mp("foo") == (1, 'Error: Unknown command or alias \'foo\' (try "multipass help" or "multipass '
                            'aliases")\n', "")
    assert mp("launch", "nosuch")[2] == 'launch failed: Unable to find an image matching "nosuch" in remote ' \
                                        '"release".\n'


def test_timeout_message(mp):
    rc, _out, err = mp("launch", "-n", "slow", "--timeout", "1", MULTIPASS_FAKE_BOOT_SECONDS="30", real="1")
    assert (rc, err) == (5, "Timed out waiting for instance launch.\n")


def test_daemon_up_or_down_is_whether_its_socket_answers(mp, tmp_path, monkeypatch):
    """Real: the client connects to MULTIPASS_SERVER_ADDRESS (default unix:/run/multipass_socket,
    src/client/common/client_common.cpp get_server_address, v1.16.3); on a unix socket that does not answer it
    reports "cannot connect to the multipass socket" through the standard failure handler, rc 2
    (include/multipass/cli/command.h, v1.16.3); a host:port that does not answer is gRPC UNAVAILABLE, rc 3
    (return_code_for); `version` then prints only the client line (src/client/cli/cmd/version.cpp on_failure,
    table formatter `{:<12}{}`). The fake daemon is a process listening on that socket."""
    socket_path = str(tmp_path / "multipass_socket")
    assert mp("list", "--format", "json", real="1")[0] == 0
    multipassd_fake.stop()
    assert mp("list", real="1") == (
        2, "", "list failed: cannot connect to the multipass socket\nPlease ensure multipassd is running and "
               "'%s' is accessible\n" % socket_path)
    assert mp("version", real="1") == (0, "multipass   1.16.3\n", "")
    assert mp("version", "--format", "json") == (0, '{\n    "multipass": "1.16.3"\n}\n', "")
    rc, _out, err = mp("launch", MULTIPASS_SERVER_ADDRESS="localhost:1")
    assert rc == 3 and err.startswith("launch failed: failed to connect to all addresses")
    with monkeypatch.context() as patch:
        patch.delenv("MULTIPASS_SERVER_ADDRESS")
        if multipassd_fake.probe(multipassd_fake.DEFAULT_ADDRESS) is not None:
            rc, _out, err = mp("info", "x")
            assert rc == 2 and "'/run/multipass_socket' is accessible" in err
    multipassd_fake.start()
    assert mp("list")[0] == 0


def test_launch_output_and_lifecycle(mp):
    rc, out, _err = mp("launch", "-n", "life", "--mount", "%s:/data" % mp.src)
    assert rc == 0 and "\x1b[2K\x1b[0A\x1b[0E" in out
    assert spinner_free(out) == "Launched: life\nMounted '%s' into 'life:/data'\n" % mp.src

    def state():
        return json.loads(mp("info", "life", "--format", "json")[1])["info"]["life"]["state"]
    for command, expected in (("stop", "Stopped"), ("start", "Running"), ("suspend", "Suspended"),
                              ("start", "Running"), ("restart", "Running"), ("delete", "Deleted"),
                              ("recover", "Stopped")):
        assert mp(command, "life")[0] == 0 and state() == expected, command
    mp("delete", "life")
    assert json.loads(mp("list", "--format", "json")[1])["list"][0]["state"] == "Deleted"
    assert mp("purge") == (0, "", "")
    assert mp("info", "life")[0] == 2
    assert mp("delete") == (1, "", "Name argument or --all is required\n")
    assert mp("purge", "x") == (1, "", "This command takes no arguments\n")


def test_mount_umount_errors(mp):
    mp("launch", "-n", "mnt")
    assert mp("mount", str(mp.src), "mnt:/data", "-t", "native") == (0, "", "")
    assert mp("mount", str(mp.src), "mnt:/data") == (2, "", "mount failed: The following errors occurred:\n"
                                                            "\"/data\" is already mounted in 'mnt'\n")
    assert mp("mount", str(mp.src), "mnt:/x", "-t", "weird") == (
        1, "", "error: Bad mount type 'weird' specified, please use 'classic' or 'native'\n")
    assert mp("mount", str(mp.src), "mnt:/x", "-u", "a:b") == (1, "", "Invalid UID map given: a:b\n")
    assert mp("mount", "/nope", "mnt:/x") == (1, "", 'Source path "/nope" does not exist\n')
    assert mp("umount", "mnt:/nothere") == (2, "", "umount failed: The following errors occurred:\n"
                                                   "path \"/nothere\" is not mounted in 'mnt'\n")
    assert mp("umount", "mnt") == (0, "", "")
    assert json.loads(mp("info", "mnt", "--format", "json")[1])["info"]["mnt"]["mounts"] == {}
    assert mp.src.is_dir()


def test_snapshots(mp):
    mp("launch", "-n", "snap")
    assert mp("snapshot", "snap") == (2, "", "snapshot failed: Multipass can only take snapshots of stopped "
                                             "instances.\n")
    mp("stop", "snap")
    rc, out, _err = mp("snapshot", "snap", "--comment", "first")
    assert rc == 0 and spinner_free(out) == "Snapshot taken: snap.snapshot1\n"
    assert mp("snapshot", "snap", "-n", "snapshot1")[2] == "snapshot failed: Snapshot already exists: " \
                                                           "snap.snapshot1\n"
    listed = json.loads(mp("list", "--snapshots", "--format", "json")[1])
    assert listed["info"]["snap"]["snapshot1"] == {"comment": "first", "parent": ""}
    info = json.loads(mp("info", "--snapshots", "snap", "--format", "json")[1])["info"]["snap"]["snapshots"]
    want = json.loads(SNAPSHOT_INFO)["info"]["bogus-instance"]["snapshots"]["snapshot2"]
    assert sorted(info["snapshot1"]) == sorted(want)
    assert types_of(dict(info["snapshot1"], mounts={}, children=[])) == types_of(dict(want, mounts={}, children=[]))
    rc, _out, err = mp("restore", "snap.snapshot1")
    assert rc == 2 and err.endswith("restore failed: Cannot get confirmation from client. Aborting...\n")
    assert mp("restore", "--destructive", "snap.nope") == (2, "", "restore failed: No such snapshot: snap.nope\n")
    assert spinner_free(mp("restore", "-d", "snap.snapshot1")[1]) == "Snapshot restored: snap.snapshot1\n"


def test_snapshot_keeps_and_restores_the_files(mp):
    mp("launch", "-n", "fs")
    home = mp.state / "instances" / "fs" / "rootfs" / "home" / "ubuntu"
    home.mkdir(parents=True, exist_ok=True)
    (home / "f").write_text("original")
    mp("stop", "fs")
    assert mp("snapshot", "fs", "-n", "s1")[0] == 0
    (home / "f").write_text("changed")
    (home / "new").write_text("x")
    assert mp("restore", "--destructive", "fs.s1")[0] == 0
    assert (home / "f").read_text() == "original" and not (home / "new").exists()
    assert mp("delete", "--purge", "fs.s1") == (0, "", "")
    assert not (mp.state / "instances" / "fs" / "snapshots" / "s1").exists()


def test_exec(mp):
    mp("launch", "-n", "ex")
    mp("stop", "ex")
    rc, out, _err = mp("exec", "ex", "--", "sh", "-c", "pwd; exit 33", real="1")
    assert rc == 33 and spinner_free(out) == "/home/ubuntu\n"
    assert json.loads(mp("info", "ex", "--format", "json")[1])["info"]["ex"]["state"] == "Running"
    assert mp("exec", "ex", "--", "cloud-init", "status", "--wait") == (0, "status: done\n", "")
    assert mp("exec", "-n", "nope", "--", "true") == (2, "", 'exec failed: The following errors occurred:\n'
                                                             'instance "nope" does not exist\n')
    assert mp("exec", "ex") == (1, "", "Wrong number of arguments\n")


def test_settings(mp):
    assert mp("get", "local.driver") == (0, "qemu\n", "")
    assert mp("get", "--keys")[1].split() == ["client.primary-name", "local.bridged-network", "local.driver",
                                              "local.image.mirror", "local.passphrase", "local.privileged-mounts"]
    assert mp("get", "local.bridged-network") == (0, "<empty>\n", "")
    assert mp("set", "local.driver=nope") == (2, "", "set failed: Invalid setting 'local.driver=nope': Invalid "
                                                     "driver\n")
    assert mp("set", "local.driver=LXD") == (0, "", "")
    assert mp("get", "local.driver") == (0, "lxd\n", "")
    assert mp("set", "local.driver=lxd", MULTIPASS_FAKE_VERSION="1.17.0")[0] == 2
    assert mp("set", "nope") == (1, "", "Bad key-value format.\n")
    mp("launch", "-n", "res", "-c", "2", "-m", "2G", "-d", "8G")
    assert mp("get", "local.res.memory") == (0, "2.0GiB\n", "")
    assert mp("set", "local.res.cpus=3") == (2, "", "set failed: Cannot update instance settings; instance: res; "
                                                    "reason: Instance must be stopped for modification\n")
    mp("stop", "res")
    assert mp("set", "local.res.cpus=3") == (0, "", "")
    assert mp("set", "local.res.memory=1536M") == (0, "", "")
    assert mp("set", "local.res.disk=4G") == (2, "", "set failed: Invalid setting 'local.res.disk=4G': Disk can "
                                                     "only be expanded\n")
    rc, _out, err = mp("set", "local.res.memory=1CiG")
    assert rc == 2 and MEMORY_MESSAGE in err
    assert [mp("get", "local.res.%s" % k)[1] for k in ("cpus", "memory", "disk")] == ["3\n", "1.5GiB\n", "8.0GiB\n"]


def test_driver_limits(mp):
    mp("set", "local.driver=lxd")
    mp("launch", "-n", "lx")
    assert mp("suspend", "lx") == (2, "", "suspend failed: The suspend feature is not implemented on this backend.\n")
    mp("set", "local.driver=libvirt")
    assert mp("launch", "-n", "lv", "--network", "eth1")[2] == (
        "launch failed: The networks feature is not implemented on this backend.\n")
    mp("launch", "-n", "lv")   # a driver sees only its own instances
    assert "native mounts feature is not implemented" in mp("mount", "-t", "native", str(mp.src), "lv:/x")[2]


def test_version(mp):
    assert mp("version", real="1") == (0, "multipass   1.16.3\nmultipassd  1.16.3\n", "")
    assert json.loads(mp("version", "--format", "json")[1]) == {"multipass": "1.16.3", "multipassd": "1.16.3"}
    assert json.loads(mp("networks", "--format", "json")[1])["list"][0] == {
        "description": "Ethernet device", "name": "eth1", "type": "ethernet"}
