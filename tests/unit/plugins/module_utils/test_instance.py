# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The instance skeleton on a backend made of plain dicts: the gate, the result, the wait rule, the undo."""

from __future__ import annotations

import pytest

from ansible_collections.workstation.vms.plugins.module_utils import instance
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError, instance_result


class Exit(Exception):
    def __init__(self, failed, result):
        super().__init__(result.get("msg"))
        self.failed, self.result = failed, result


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.params = dict(name="box", state="started", cpus=None, memory=None, disk=None, cloud_init=None,
                           mounts=None, labels=None, wait_for="none", wait_timeout=5)
        self.params.update(params)
        self.check_mode = check_mode
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)

    def exit_json(self, **result):
        raise Exit(False, result)

    def fail_json(self, **result):
        raise Exit(True, result)


class DictError(Exception):
    pass


class DictBackend(instance.Backend):
    """An instance is a dict {state, cpus}; `fail_on` makes that op raise DictError."""
    name = "dict"
    errors = (DictError,)

    def __init__(self, module, existing=None, fail_on=None, cloud_init=("done", "")):
        super().__init__(module)
        self.store = dict(existing) if existing else None
        self.fail_on = fail_on
        self.applied = []
        self.cloud = list(cloud_init) if isinstance(cloud_init, list) else [cloud_init]
        self.reads = 0

    def validate_name(self, name):
        if "_" in name:
            raise InputError("name: '%s' has a '_'" % name)
        return name

    def read(self):
        self.reads += 1
        return dict(self.store) if self.store is not None else None

    def plan(self, current, wanted):
        steps, pending = [], []
        if wanted["state"] == "absent":
            return instance.Plan([instance.Step("delete")] if current else [], before=current or {},
                                 after={"state": "absent"}, predicted=None)
        if current is None:
            steps.append(instance.Step("create", creates=True, cpus=wanted["cpus"] or 1))
            steps.append(instance.Step("start"))
            predicted = {"state": "running", "cpus": wanted["cpus"] or 1}
        else:
            predicted = dict(current)
            if wanted["cpus"] and wanted["cpus"] != current["cpus"]:
                pending.append("cpus")
            if current["state"] != "running":
                steps.append(instance.Step("start"))
                predicted["state"] = "running"
        return instance.Plan(steps, before=current or {"state": "absent"}, after=predicted, pending_restart=pending,
                             predicted=predicted)

    def apply(self, step):
        self.applied.append(step.action)
        if step.op == self.fail_on:
            raise DictError("%s refused" % step.op)
        return super().apply(step)

    def do_create(self, cpus):
        self.store = {"state": "stopped", "cpus": cpus}

    def undo_create(self, cpus):
        self.applied.append("undo create")
        gone, self.store = self.store is None, None
        return not gone

    def do_start(self):
        self.store["state"] = "running"

    def do_delete(self):
        self.store = None

    def summary(self, current):
        return instance_result(self.module.params["name"], self.name, "box", current["state"], ipv4=["10.0.0.2"],
                               cpus=current["cpus"])

    def ipv4(self):
        return ["10.0.0.2"], None

    def cloud_init_status(self, timeout):
        return self.cloud.pop(0) if len(self.cloud) > 1 else self.cloud[0]

    def error_result(self, exc):
        return {"rc": 7}


def run(backend):
    with pytest.raises(Exit) as info:
        instance.run(backend.module, backend)
    return info.value


def test_create_reports_actions_and_the_common_shape():
    backend = DictBackend(FakeModule(cpus=2))
    out = run(backend)
    assert not out.failed
    assert out.result["changed"] and out.result["actions"] == ["create", "start"]
    assert out.result["instance"]["state"] == "running" and out.result["instance"]["backend"] == "dict"
    assert out.result["pending_restart"] == []
    assert out.result["diff"]["before"] == {"state": "absent"}


def test_check_mode_predicts_and_applies_nothing():
    backend = DictBackend(FakeModule(check_mode=True, cpus=2))
    out = run(backend)
    assert out.result["actions"] == ["create", "start"] and out.result["changed"]
    assert backend.applied == [] and backend.store is None
    assert out.result["instance"]["cpus"] == 2


def test_noop_reads_once_and_pending_restart_is_a_list():
    backend = DictBackend(FakeModule(cpus=4), existing={"state": "running", "cpus": 2})
    out = run(backend)
    assert not out.result["changed"] and backend.reads == 1
    assert out.result["pending_restart"] == ["cpus"]


def test_failure_undoes_what_this_run_created():
    backend = DictBackend(FakeModule(), fail_on="start")
    out = run(backend)
    assert out.failed and "start refused" in out.result["msg"] and "deleted again: create" in out.result["msg"]
    assert backend.store is None and backend.applied == ["create", "start", "undo create"]
    assert out.result["actions"] == ["create", "start"] and out.result["rc"] == 7 and out.result["changed"]


def test_undo_that_fails_says_what_is_left():
    backend = DictBackend(FakeModule(), fail_on="start")

    def undo_create(cpus):
        raise DictError("instance box is still being created")
    backend.undo_create = undo_create
    out = run(backend)
    assert out.failed and "deleted again" not in out.result["msg"]
    assert "start refused (NOT cleaned up: create: instance box is still being created)" in out.result["msg"]


def test_failure_on_existing_instance_undoes_nothing():
    backend = DictBackend(FakeModule(), existing={"state": "stopped", "cpus": 1}, fail_on="start")
    out = run(backend)
    assert out.failed and "deleted again" not in out.result["msg"] and backend.store is not None


def test_bad_input_fails_before_anything_is_read():
    backend = DictBackend(FakeModule(name="a_b", memory="lots"))
    out = run(backend)
    assert out.failed and out.result["msg"].startswith("name: ") and backend.reads == 0


@pytest.mark.parametrize("option, value, words", [
    ("memory", "lots", "memory: "), ("cpus", 0, "cpus: "), ("labels", {"bad key": 1}, "labels: "),
    ("mounts", [{"source": "relative", "path": "/x"}], "mounts[0].source"), ("wait_timeout", -1, "wait_timeout"),
    ("wait_timeout", 0, "wait_timeout: must be 1 or more"), ("memory", "999999T", "memory: 999999TiB is more than 16TiB"),
    ("disk", "999999T", "disk: 999999TiB is more than 1024TiB"), ("disk", "0", "disk: 0B is too small"),
    ("memory", "0", "memory: 0B is too small"),
])
def test_common_options_are_validated_here(option, value, words):
    out = run(DictBackend(FakeModule(**{option: value})))
    assert out.failed and words in out.result["msg"]


def test_absent_reports_the_absent_shape():
    backend = DictBackend(FakeModule(state="absent"), existing={"state": "running", "cpus": 1})
    out = run(backend)
    assert out.result["actions"] == ["delete"] and out.result["instance"]["state"] == "absent"


@pytest.mark.parametrize("answers, failed, warned", [
    ([("running", ""), ("done", "")], False, False),
    ([("degraded", "a module failed")], False, True),
    ([("error", "boom")], True, False),
    ([("disabled", "")], True, False),
])
def test_cloud_init_one_outcome_rule(monkeypatch, answers, failed, warned):
    monkeypatch.setattr(instance.time, "sleep", lambda seconds: None)
    monkeypatch.setattr("ansible_collections.workstation.vms.plugins.module_utils.waiting.time.sleep",
                        lambda seconds: None)
    backend = DictBackend(FakeModule(wait_for="cloud-init"), cloud_init=answers)
    out = run(backend)
    assert out.failed is failed
    assert bool(backend.module.warnings) is warned
    if not failed:
        assert out.result["cloud_init_status"] == answers[-1][0]


def test_ssh_wait_uses_the_backend_target(monkeypatch):
    seen = []
    monkeypatch.setattr(instance, "ssh_banner", lambda host, port: seen.append((host, port)) or True)
    out = run(DictBackend(FakeModule(wait_for="ssh"), existing={"state": "running", "cpus": 1}))
    assert not out.failed and seen == [("10.0.0.2", 22)]


def test_wait_timeout_says_what_was_awaited(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr("ansible_collections.workstation.vms.plugins.module_utils.waiting.time.monotonic",
                        lambda: clock[0])
    monkeypatch.setattr("ansible_collections.workstation.vms.plugins.module_utils.waiting.time.sleep",
                        lambda seconds: clock.__setitem__(0, clock[0] + seconds))
    backend = DictBackend(FakeModule(wait_for="ipv4", wait_timeout=1), existing={"state": "running", "cpus": 1})
    backend.ipv4 = lambda: ([], "no lease yet")
    out = run(backend)
    assert out.failed and "IPv4 address of box" in out.result["msg"] and "no lease yet" in out.result["msg"]


def test_create_failing_before_anything_exists_undoes_nothing():
    backend = DictBackend(FakeModule(), fail_on="create")
    out = run(backend)
    assert out.failed and "deleted again" not in out.result["msg"] and backend.applied == ["create", "undo create"]
    assert out.result["actions"] == ["create"] and not out.result["changed"]


def test_failing_wait_keeps_the_new_instance(monkeypatch):
    monkeypatch.setattr("ansible_collections.workstation.vms.plugins.module_utils.waiting.time.sleep",
                        lambda seconds: None)
    backend = DictBackend(FakeModule(wait_for="cloud-init"), cloud_init=("error", "boom"))
    out = run(backend)
    assert out.failed and backend.store is not None and out.result["actions"] == ["create", "start"]


def test_check_mode_absent_predicts_gone():
    backend = DictBackend(FakeModule(state="absent", check_mode=True), existing={"state": "running", "cpus": 1})
    out = run(backend)
    assert out.result["instance"]["state"] == "absent" and backend.store is not None
