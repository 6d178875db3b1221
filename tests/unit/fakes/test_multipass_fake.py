# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fake `multipass` against shared/multipass-cli-spec.md: its JSON samples (copied verbatim from Multipass's own
tests), messages and exit codes. If the fake drifts from the real CLI, these fail."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys

import pytest

FAKES = os.path.join(os.path.dirname(__file__), "..", "..", "fakes")
FAKE = os.path.abspath(os.path.join(FAKES, "multipass"))
sys.path.insert(0, os.path.abspath(FAKES))

import multipass_fake  # noqa: E402  pylint: disable=wrong-import-position,import-error

# Verbatim, v1.16.3 tests/test_output_formatter.cpp json_list_empty
LIST_EMPTY = """{
    "list": [
    ]
}
"""
# Verbatim, v1.16.3 tests/test_output_formatter.cpp json_list_multiple
LIST_MULTIPLE = """{
    "list": [
        {
            "ipv4": [
                "10.21.124.56"
            ],
            "name": "bogus-instance",
            "release": "Ubuntu 16.04 LTS",
            "state": "Running"
        },
        {
            "ipv4": [
            ],
            "name": "bombastic",
            "release": "Ubuntu 18.04 LTS",
            "state": "Stopped"
        }
    ]
}
"""
# Verbatim, main tests/unit/test_data/formatters/json/multiple_instances_list_reply.json
LIST_MULTIPLE_MAIN = """{
    "list": [
        {
            "name": "bogus-instance",
            "state": "Running",
            "ipv4": [
                "10.21.124.56"
            ],
            "release": "Ubuntu 16.04 LTS",
            "zone": {
                "name": "zone1",
                "available": true
            }
        },
        {
            "name": "bombastic",
            "state": "Stopped",
            "ipv4": [
            ],
            "release": "Ubuntu 18.04 LTS",
            "zone": {
                "name": "zone2",
                "available": false
            }
        }
    ]
}
"""
# Verbatim, v1.16.3 tests/test_output_formatter.cpp json_info_multiple_instances
INFO_MULTIPLE = """{
    "errors": [
    ],
    "info": {
        "bogus-instance": {
            "cpu_count": "4",
            "disks": {
                "sda1": {
                    "total": "6764573492",
                    "used": "1932735284"
                }
            },
            "image_hash": "1797c5c82016c1e65f4008fcf89deae3a044ef76087a9ec5b907c6d64a3609ac",
            "image_release": "16.04 LTS",
            "ipv4": [
                "10.21.124.56"
            ],
            "load": [
                0.03,
                0.1,
                0.15
            ],
            "memory": {
                "total": 1610612736,
                "used": 38797312
            },
            "mounts": {
                "source": {
                    "gid_mappings": [
                        "1000:501"
                    ],
                    "source_path": "/home/user/source",
                    "uid_mappings": [
                        "1000:501"
                    ]
                }
            },
            "release": "Ubuntu 16.04.3 LTS",
            "snapshot_count": "1",
            "state": "Running"
        },
        "bombastic": {
            "cpu_count": "",
            "disks": {
                "sda1": {
                }
            },
            "image_hash": "ab5191cc172564e7cc0eafd397312a32598823e645279c820f0935393aead509",
            "image_release": "18.04 LTS",
            "ipv4": [
            ],
            "load": [
            ],
            "memory": {
            },
            "mounts": {
            },
            "release": "",
            "snapshot_count": "3",
            "state": "Stopped"
        }
    }
}
"""
# Verbatim, v1.16.3 tests/test_output_formatter.cpp json_list_multiple_snapshots
SNAPSHOTS_LIST = """{
    "errors": [
    ],
    "info": {
        "hale-roller": {
            "pristine": {
                "comment": "A first snapshot",
                "parent": ""
            },
            "rocking": {
                "comment": "A very long comment that should be truncated by the table formatter",
                "parent": "pristine"
            },
            "rolling": {
                "comment": "Loaded with stuff",
                "parent": "pristine"
            }
        },
        "prosperous-spadefish": {
            "snapshot10": {
                "comment": "",
                "parent": "snapshot2"
            },
            "snapshot2": {
                "comment": "Before restoring snap1\\nContains a newline that\\r\\nshould be truncated",
                "parent": ""
            }
        }
    }
}
"""
# Verbatim, v1.16.3 tests/test_output_formatter.cpp json_info_single_snapshot_info_reply
SNAPSHOT_INFO = """{
    "errors": [
    ],
    "info": {
        "bogus-instance": {
            "snapshots": {
                "snapshot2": {
                    "children": [
                        "snapshot3",
                        "snapshot4"
                    ],
                    "comment": "This is a comment with some\\nnew\\r\\nlines.",
                    "cpu_count": "2",
                    "created": "1972-01-01T10:00:20.021Z",
                    "disk_space": "4.9GiB",
                    "memory_size": "0.9GiB",
                    "mounts": {
                        "Home": {
                            "source_path": "/home/user"
                        },
                        "source": {
                            "source_path": "/home/user/source"
                        }
                    },
                    "parent": "snapshot1",
                    "size": "128MiB"
                }
            }
        }
    }
}
"""
MEMORY_MESSAGE = ("1CiG is not a valid memory size - need a non-negative integer (in base 10) or a decimal followed "
                  "by K, M, or G (e.g. 1234B, 42MiB, 0.5G)")


@pytest.fixture
def mp(tmp_path, monkeypatch):
    """Run the fake executable with its own state directory; returns (rc, stdout, stderr)."""
    for key in ("MULTIPASS_FAKE_DAEMON", "MULTIPASS_SERVER_ADDRESS", "MULTIPASS_FAKE_VERSION",
                "MULTIPASS_FAKE_BOOT_SECONDS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MULTIPASS_FAKE_STATE", str(tmp_path / "state"))

    def run(*args, **env):
        """In this process (fast), or through the executable when real=True."""
        if env.pop("real", False):
            proc = subprocess.run([FAKE] + list(args), capture_output=True, text=True, check=False,
                                  env=dict(os.environ, **env), stdin=subprocess.DEVNULL)
            return proc.returncode, proc.stdout, proc.stderr
        with monkeypatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stderr(err):
                rc = multipass_fake.run(list(args), stdout=out)
        return rc, out.getvalue(), err.getvalue()
    run.state = tmp_path / "state"
    run.src = tmp_path / "src"
    run.src.mkdir()
    return run


def spinner_free(text):
    return re.sub(r"(\x1b\[2K\x1b\[0A\x1b\[0E)([|/\-\\] [^\x1b]*)?", "", text)


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


def test_daemon_unreachable(mp):
    assert mp("list", MULTIPASS_FAKE_DAEMON="down", real="1") == (
        2, "", "list failed: cannot connect to the multipass socket\nPlease ensure multipassd is running and "
               "'/run/multipass_socket' is accessible\n")
    rc, _out, err = mp("info", "x", MULTIPASS_FAKE_DAEMON="down", MULTIPASS_SERVER_ADDRESS="unix:/tmp/mp.sock")
    assert rc == 2 and "'/tmp/mp.sock' is accessible" in err
    rc, _out, err = mp("launch", MULTIPASS_FAKE_DAEMON="down", MULTIPASS_SERVER_ADDRESS="localhost:50051")
    assert rc == 3 and err.startswith("launch failed: failed to connect to all addresses")
    assert mp("version", MULTIPASS_FAKE_DAEMON="down") == (0, "multipass   1.16.3\n", "")
    (mp.state / "daemon-down").write_text("")
    assert mp("list")[0] == 2


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
    assert rc == 33 and spinner_free(out).strip().endswith("instances/ex/rootfs/home/ubuntu")
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
    assert "native mounts feature is not implemented" in mp("mount", "-t", "native", str(mp.src), "lx:/x")[2]


def test_version(mp):
    assert mp("version", real="1") == (0, "multipass   1.16.3\nmultipassd  1.16.3\n", "")
    assert json.loads(mp("version", "--format", "json")[1]) == {"multipass": "1.16.3", "multipassd": "1.16.3"}
    assert json.loads(mp("networks", "--format", "json")[1])["list"][0] == {
        "description": "Ethernet device", "name": "eth1", "type": "ethernet"}
