# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""multipass_instance_info against the fake CLI (tests/fakes/multipass): what multipass_instance made, read back in
its shape; one by name, all, by label, a missing name, never a change."""

from __future__ import annotations

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.workstation.vms.plugins.modules import multipass_instance_info
from ansible_collections.workstation.vms.tests.unit.plugins.modules import test_multipass_instance as mp_test

env = mp_test.env   # the Multipass fake's state dir and in-process runner (a pytest fixture)


def run_info(env, check=False, **args):  # pylint: disable=redefined-outer-name
    args.setdefault("executable", mp_test.FAKE)
    args.setdefault("label_store", str(env / "labels.json"))
    with patch_module_args(dict(args, _ansible_check_mode=check)):
        with pytest.raises(mp_test.Done) as done:
            multipass_instance_info.main()
    return done.value.result


def test_what_multipass_instance_made_read_back(env):  # pylint: disable=redefined-outer-name
    web = mp_test.run_module(env, name="mpi-i1", cpus=2, memory="1G", labels={"role": "web"},
                             mounts=[dict(source=str(env / "src"), path="/data")])
    mp_test.run_module(env, name="mpi-i2", state="stopped", labels={"role": "db"})
    for check in (False, True):
        one = run_info(env, check=check, name="mpi-i1")
        assert not one["changed"] and one["instances"] == [web["instance"]]
    listed = run_info(env)
    assert [i["name"] for i in listed["instances"]] == ["mpi-i1", "mpi-i2"]
    assert listed["instances"][1]["state"] == "stopped" and listed["instances"][1]["labels"] == {"role": "db"}
    assert [i["name"] for i in run_info(env, labels={"role": "db"})["instances"]] == ["mpi-i2"]
    assert run_info(env, name="mpi-none")["instances"] == []
    assert mp_test.info("mpi-i2")["state"] == "Stopped"


def test_bad_input_and_an_unreachable_daemon(env, monkeypatch):  # pylint: disable=redefined-outer-name
    bad = run_info(env, name="1bad")
    assert bad["failed"] and bad["msg"].startswith("name:") and bad["instances"] == []
    monkeypatch.setenv("MULTIPASS_SERVER_ADDRESS", "localhost:1")
    down = run_info(env)
    assert down["failed"] and down["rc"] == 3 and "daemon is not reachable" in down["msg"] and down["instances"] == []


def test_each_driver_lists_its_own_instances_and_labels(env):  # pylint: disable=redefined-outer-name
    mp_test.run_module(env, name="mpi-i1", labels={"role": "web"})
    assert mp_test.fake("set", "local.driver=lxd")[0] == 0
    assert run_info(env)["instances"] == [] and run_info(env, name="mpi-i1")["instances"] == []
    assert mp_test.fake("launch", "--name", "mpi-i1")[0] == 0
    assert [i["labels"] for i in run_info(env, name="mpi-i1")["instances"]] == [{}]
    assert mp_test.fake("set", "local.driver=qemu")[0] == 0
    assert [i["labels"] for i in run_info(env)["instances"]] == [{"role": "web"}]
