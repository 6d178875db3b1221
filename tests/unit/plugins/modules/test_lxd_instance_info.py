# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lxd_instance_info on recorded API answers: one by name, all in one request, labels, a missing name, never a
change. The real daemons answer it in the lxd_instance and lxd_instance_incus molecule scenarios."""

from __future__ import annotations

import copy

from ansible_collections.workstation.vms.plugins.modules import lxd_instance_info
from ansible_collections.workstation.vms.tests.unit.plugins.modules import test_lxd_instance as lxd_test


class ListingLxd(lxd_test.FakeLxd):
    """The recorded instances also answer GET /1.0/instances?recursion=2 (each with its state)."""

    def _get(self, path, params=None, raw=False):
        if path.strip("/") == "instances":
            assert params == {"recursion": 2}, "all instances are read in one request"
            self.calls += 1
            return {"metadata": [copy.deepcopy(inst) for inst in self.instances_by_name.values()]}
        return super()._get(path, params, raw)


def run(monkeypatch, capsys, args, check_mode=False, **fake):
    monkeypatch.setattr(lxd_test, "lxd_instance", lxd_instance_info)
    monkeypatch.setattr(lxd_test, "FakeLxd", ListingLxd)
    return lxd_test.run(monkeypatch, capsys, args, check_mode=check_mode, **fake)


def two():
    web = lxd_test.fixture("container_running.json")
    idle = copy.deepcopy(web)
    idle.update(name="lxdi-u2", status="Stopped", state={"status": "Stopped", "network": {}})
    idle["config"] = dict(idle["config"], **{"user.label.tier": "idle"})
    idle.pop("expanded_config", None)
    return web, idle


def test_one_by_name_is_the_instance_modules_shape(monkeypatch, capsys):
    web, idle = two()
    direct, _client = lxd_test.run(monkeypatch, capsys, {"name": web["name"], "state": "present"}, instances=[web])
    for check_mode in (False, True):
        result, client = run(monkeypatch, capsys, {"name": web["name"]}, check_mode=check_mode, instances=[web, idle])
        assert not result["changed"] and result["instances"] == [direct["instance"]]
        assert client.calls == 1 and client.writes == []


def test_all_in_one_request_and_by_label(monkeypatch, capsys):
    web, idle = two()
    result, client = run(monkeypatch, capsys, {}, instances=[web, idle])
    assert [i["name"] for i in result["instances"]] == [web["name"], "lxdi-u2"] and client.calls == 1
    assert result["instances"][1]["state"] == "stopped" and result["instances"][1]["ipv4"] == []
    idle_only, _client = run(monkeypatch, capsys, {"labels": {"tier": "idle"}}, instances=[web, idle])
    assert [i["name"] for i in idle_only["instances"]] == ["lxdi-u2"]
    none, _client = run(monkeypatch, capsys, {"labels": {"tier": "idle", "role": "db"}}, instances=[web, idle])
    assert none["instances"] == []


def test_missing_name_is_an_empty_list_and_bad_input_fails(monkeypatch, capsys):
    missing, _client = run(monkeypatch, capsys, {"name": "lxdi-none"}, instances=[])
    assert not missing.get("failed") and missing["instances"] == [] and not missing["changed"]
    bad, client = run(monkeypatch, capsys, {"name": "bad_name"}, instances=[])
    assert bad["failed"] and bad["msg"].startswith("name:") and client is None
    bad_label, _client = run(monkeypatch, capsys, {"labels": {"bad key": 1}}, instances=[])
    assert bad_label["failed"] and bad_label["msg"].startswith("labels:")


def test_daemon_errors_fail_with_the_message(monkeypatch, capsys):
    class Refusing(ListingLxd):
        def _get(self, path, params=None, raw=False):
            raise lxd_test.lxd.LxdError("GET %s: not authorized" % path, 403)
    monkeypatch.setattr(lxd_test, "lxd_instance", lxd_instance_info)
    monkeypatch.setattr(lxd_test, "FakeLxd", Refusing)
    result, _client = lxd_test.run(monkeypatch, capsys, {}, instances=[])
    assert result["failed"] and "not authorized" in result["msg"] and result["instances"] == []
