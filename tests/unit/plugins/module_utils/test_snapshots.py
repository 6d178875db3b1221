# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, strategies as st

from ansible_collections.workstation.vms.plugins.module_utils import snapshots as snaps
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 23, 6, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("text, expected", [
    ("30m", NOW + datetime.timedelta(minutes=30)),
    ("12h", NOW + datetime.timedelta(hours=12)),
    ("7d", NOW + datetime.timedelta(days=7)),
    ("2w", NOW + datetime.timedelta(weeks=2)),
    ("1d12h", NOW + datetime.timedelta(days=1, hours=12)),
    ("90s", NOW + datetime.timedelta(seconds=90)),
    ("2026-12-24T18:00:00Z", datetime.datetime(2026, 12, 24, 18, tzinfo=UTC)),
    ("2026-12-24T19:00:00+01:00", datetime.datetime(2026, 12, 24, 18, tzinfo=UTC)),
    ("2026-12-24T18:00:00.123456789Z", datetime.datetime(2026, 12, 24, 18, tzinfo=UTC)),
    ("2026-12-24", datetime.datetime(2026, 12, 24, tzinfo=UTC)),
    ("never", None), ("", None), (None, None), ("0", None),
])
def test_parse_expires(text, expected):
    assert snaps.parse_expires(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["tomorrow", "7 days", "-1d", "2026-13-01", "d"])
def test_parse_expires_rejects_and_names_the_option(text):
    with pytest.raises(InputError, match="^expires: "):
        snaps.parse_expires(text, now=NOW)


def test_lxd_no_expiry_and_expired():
    assert snaps.parse_time("0001-01-01T00:00:00Z") is None
    assert snaps.is_expired("2026-11-22T00:00:00Z", now=NOW)
    assert not snaps.is_expired("2026-11-24T00:00:00Z", now=NOW)
    assert not snaps.is_expired(None, now=NOW)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
       st.datetimes(min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2100, 1, 1)))
def test_expiry_marker_round_trip(comment, when):
    expires = snaps.format_time(when)
    text = snaps.embed_expiry(comment, expires)
    body, found = snaps.split_expiry(text)
    assert found == expires
    assert body == snaps.split_expiry(comment)[0].rstrip("\n") or body == comment.rstrip("\n")
    assert snaps.split_expiry(snaps.embed_expiry(text, None)) == (body, None)


def test_embed_expiry_replaces_the_old_line():
    text = snaps.embed_expiry("before upgrade", "2026-11-24T00:00:00Z")
    assert text == "before upgrade\nworkstation.vms.expires=2026-11-24T00:00:00Z"
    again = snaps.embed_expiry(text, "2027-01-01T00:00:00Z")
    assert snaps.split_expiry(again) == ("before upgrade", "2027-01-01T00:00:00Z")
    assert snaps.embed_expiry("", "2026-11-24T00:00:00Z") == "workstation.vms.expires=2026-11-24T00:00:00Z"


@pytest.mark.parametrize("name", ["s1", "before-upgrade", "a", "A" * 63])
def test_valid_names(name):
    assert snaps.validate_name(name) == name


@pytest.mark.parametrize("name", ["1abc", "a.b", "a/b", "-a", "a-", "", "a" * 64, "with space"])
def test_invalid_names(name):
    with pytest.raises(InputError, match="^name: "):
        snaps.validate_name(name)


@pytest.mark.parametrize("state, names, expected", [
    ("present", [], "take"), ("present", ["s1"], None),
    ("absent", ["s1"], "delete"), ("absent", [], None),
    ("restored", ["s1", "s2"], "restore"),
])
def test_plan(state, names, expected):
    assert snaps.plan(state, names, "s1", "vm") == expected


def test_restore_of_a_missing_snapshot_names_what_exists():
    with pytest.raises(InputError) as err:
        snaps.plan("restored", ["b", "a"], "nope", "vm")
    assert str(err.value) == "name: instance 'vm' has no snapshot 'nope' to restore (it has: a, b)"
    with pytest.raises(InputError, match=r"\(it has: none\)"):
        snaps.plan("restored", [], "nope", "vm")


def test_entry_and_diff_view():
    item = snaps.entry("s1", "2026-11-23T06:00:00Z", None, "2000-01-01T00:00:00Z", kind="internal")
    assert item == {"name": "s1", "created": "2026-11-23T06:00:00Z", "comment": "", "expires": "2000-01-01T00:00:00Z",
                    "expired": True, "kind": "internal"}
    assert snaps.diff_view([{"name": "b"}, {"name": "a"}], "a") == {"snapshots": ["a", "b"], "restored_from": "a"}


def test_remaining_gives_the_children_of_a_deleted_snapshot_its_parent():
    """Check mode's prediction of a delete follows Multipass: the deleted snapshot's children get its parent
    (BaseVirtualMachine::delete_snapshot_helper, src/platform/backends/shared/base_virtual_machine.cpp)."""
    tree = [dict(name="s1", parent=""), dict(name="s2", parent="s1"), dict(name="s3", parent="s2"),
            dict(name="s4", parent="s2")]
    assert snaps.remaining(tree, ["s2"]) == [dict(name="s1", parent=""), dict(name="s3", parent="s1"),
                                             dict(name="s4", parent="s1")]
    assert snaps.remaining(tree, ["s1", "s2"]) == [dict(name="s3", parent=""), dict(name="s4", parent="")]
    assert snaps.remaining([dict(name="a"), dict(name="b")], ["a"]) == [dict(name="b")]   # LXD: no parents


def test_argument_spec_shares_the_vocabulary():
    spec = snaps.snapshot_argument_spec(allow_restart=dict(type="bool", default=False))
    assert spec["state"]["choices"] == ["present", "absent", "restored", "pruned"]
    assert spec["comment"]["aliases"] == ["description"]
    assert set(spec) == {"instance", "name", "state", "comment", "expires", "allow_restart"}


# ---- run(): the state machine with a fake backend and a fake module --------------------------------------

class Done(Exception):
    pass


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.params = dict(dict(state="present", comment=None, expires=None, instance="vm"), **params)
        self.check_mode, self._diff, self.warned = check_mode, True, []

    def warn(self, text):
        self.warned.append(text)

    def exit_json(self, **result):
        raise Done(dict(result, failed=False))

    def fail_json(self, **result):
        raise Done(dict(result, failed=True))


class FakeBackend(snaps.Backend):
    def __init__(self, names, expires=None):
        self.names, self.actions, self.warnings, self.calls = list(names), [], [], []
        self.expires = dict(expires or {})

    def list(self):
        return [snaps.entry(n, "2026-11-23T06:00:00Z", "", self.expires.get(n)) for n in self.names]

    def take(self, params, expires):
        self.calls.append(("take", params["name"], snaps.format_time(expires)))
        self.names.append(params["name"])
        self.actions.append("take %s" % params["name"])

    def delete(self, snap):
        self.calls.append(("delete", snap))
        self.names.remove(snap)
        self.actions.append("delete %s" % snap)

    def restore(self, snap, params):
        self.calls.append(("restore", snap))
        self.actions.append("restore %s" % snap)


def outcome(backend, **params):
    params.setdefault("name", None)
    backend.actions = []  # a module run starts with a fresh backend
    with pytest.raises(Done) as done:
        snaps.run(FakeModule(**params), backend)
    return done.value.args[0]


@pytest.mark.parametrize("check_mode", [False, True])
def test_take_then_again_is_unchanged(check_mode):
    backend = FakeBackend(["old"])
    first = outcome(backend, name="s1", check_mode=check_mode)
    assert first["changed"] and first["actions"] == ["take s1"]
    assert [s["name"] for s in first["snapshots"]] == ["old", "s1"]
    assert first["diff"]["before"] == {"snapshots": ["old"]} and first["diff"]["after"] == {"snapshots": ["old", "s1"]}
    assert backend.calls == ([] if check_mode else [("take", "s1", None)])
    if not check_mode:
        again = outcome(backend, name="s1")
        assert not again["changed"] and again["actions"] == [] and again["snapshot"]["name"] == "s1"


def test_check_mode_predicts_the_same_diff_as_the_run():
    predicted = outcome(FakeBackend(["a", "s1"]), name="s1", state="absent", check_mode=True)
    real = outcome(FakeBackend(["a", "s1"]), name="s1", state="absent")
    assert predicted["diff"] == real["diff"] and predicted["changed"] and real["changed"]
    assert predicted["snapshot"] == real["snapshot"] == {}


def test_restore_is_an_action_and_a_missing_one_changes_nothing():
    backend = FakeBackend(["s1"])
    result = outcome(backend, name="s1", state="restored")
    assert result["changed"] and result["diff"]["after"]["restored_from"] == "s1"
    failed = outcome(backend, name="nope", state="restored")
    assert failed["failed"] and not failed["changed"] and "has no snapshot 'nope'" in failed["msg"]
    assert backend.calls == [("restore", "s1")]


def test_bad_expires_fails_before_any_call():
    backend = FakeBackend([])
    result = outcome(backend, name="s1", expires="soon")
    assert result["failed"] and result["msg"].startswith("expires: ") and backend.calls == []


def test_expires_reaches_the_backend():
    backend = FakeBackend([])
    outcome(backend, name="s1", expires="2026-12-24")
    assert backend.calls == [("take", "s1", "2026-12-24T00:00:00Z")]


@pytest.mark.parametrize("check_mode", [False, True])
def test_pruned_deletes_only_the_expired(check_mode):
    backend = FakeBackend(["old", "new", "plain"], {"old": "2000-01-01T00:00:00Z", "new": "2100-01-01T00:00:00Z"})
    result = outcome(backend, state="pruned", check_mode=check_mode)
    assert result["changed"] and result["pruned"] == ["old"] and result["actions"] == ["delete old"]
    assert [s["name"] for s in result["snapshots"]] == ["new", "plain"]
    assert backend.calls == ([] if check_mode else [("delete", "old")])
    if not check_mode:
        again = outcome(backend, state="pruned")
        assert not again["changed"] and again["pruned"] == [] and again["actions"] == []


def test_name_is_required_except_for_pruned():
    result = outcome(FakeBackend([]), state="present")
    assert result["failed"] and result["msg"] == "name: required with state present"
