# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the three *_snapshot modules share: options, the state machine, expiry, the result shape and the diff.

Backend talk stays in lxd.py / libvirt_client.py / multipass.py; a module hands this file a `Backend` object with
list/take/delete/restore and gets the whole run (check mode, diff, actions, result) from `run()`."""

from __future__ import annotations

import datetime
import re

from ansible_collections.workstation.vms.plugins.module_utils.common import InputError, make_diff

SNAPSHOT_STATES = ["present", "absent", "restored", "pruned"]
# Expiry kept in a snapshot's free text (libvirt description, Multipass comment) as its own last line, so the
# reap playbook (playbooks/reap_snapshots.yml) can honour it on backends without an expiry field.
EXPIRY_MARKER = "workstation.vms.expires="
EXPIRY_LINE_RE = re.compile(r"(?:^|\n)" + re.escape(EXPIRY_MARKER) + r"(\S+)\s*$")
_DURATION_RE = re.compile(r"^\s*(?:(\d+)\s*w)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$",
                          re.IGNORECASE)
_NEVER = ("", "never", "none", "0")
EXPIRES_HELP = ("a duration from now (30m, 12h, 7d, 2w, 1d12h), an ISO-8601 UTC time (2026-12-24T18:00:00Z), "
                "a date (2026-12-24) or never")


class SnapshotError(Exception):
    """A backend refused or cannot do what was asked; the message says why and what to do."""


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def format_time(when):
    """UTC ISO-8601 with a Z, seconds precision; None stays None."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    """An ISO-8601 time (Z or offset; fractions ignored) or a date, as an aware UTC datetime; None if unparsable."""
    if not text or not isinstance(text, str):
        return None
    value = text.strip()
    if value.startswith("0001-01-01"):  # LXD's "no expiry"
        return None
    value = re.sub(r"\.\d+", "", value)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        if len(value) == 10:
            parsed = datetime.datetime.strptime(value, "%Y-%m-%d")
        else:
            parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def parse_expires(value, now=None):
    """The `expires` option as an aware UTC datetime, or None for no expiry. Raises InputError naming the option."""
    if value is None:
        return None
    text = str(value).strip()
    if text.lower() in _NEVER:
        return None
    match = _DURATION_RE.match(text)
    if match and any(match.groups()):
        weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
        delta = datetime.timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
        return (now or utcnow()) + delta
    when = parse_time(text)
    if when is None:
        raise InputError("expires: '%s' is not %s" % (value, EXPIRES_HELP))
    return when


def is_expired(expires, now=None):
    """True when `expires` (ISO text or datetime) lies in the past."""
    when = parse_time(expires) if isinstance(expires, str) else expires
    return when is not None and when <= (now or utcnow())


def embed_expiry(text, expires):
    """Free text (comment, description) with the expiry marker as its last line (replacing an old one)."""
    body = split_expiry(text)[0]
    if not expires:
        return body
    line = EXPIRY_MARKER + (expires if isinstance(expires, str) else format_time(expires))
    return body + "\n" + line if body else line


def split_expiry(text):
    """(text without the marker line, expiry ISO text or None)."""
    text = text or ""
    match = EXPIRY_LINE_RE.search(text)
    if not match:
        return text, None
    return text[:match.start()].rstrip("\n"), match.group(1)


def validate_name(name, option="name"):
    """A snapshot name every backend accepts: letters, digits and '-', starting with a letter, at most 63."""
    if not isinstance(name, str) or not re.match(r"^[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$", name):
        raise InputError("%s: '%s' is not a valid snapshot name (letters, digits and '-', starting with a letter and "
                         "not ending with '-', at most 63 characters)" % (option, name))
    return name


def snapshot_argument_spec(**extra):
    """The options every *_snapshot module shares (doc fragment workstation.vms.snapshot) plus the module's own."""
    spec = dict(
        instance=dict(type="str", required=True),
        name=dict(type="str"),
        state=dict(type="str", default="present", choices=SNAPSHOT_STATES),
        comment=dict(type="str", aliases=["description"]),
        expires=dict(type="str"),
    )
    spec.update(extra)
    return spec


def entry(name, created=None, comment="", expires=None, **extra):
    """One snapshot in the shape every module returns."""
    result = dict(name=name, created=created, comment=comment or "", expires=expires,
                  expired=is_expired(expires) if expires else False)
    result.update(extra)
    return result


def plan(state, names, name, instance):
    """The action for `state` given the existing snapshot names: "take", "delete", "restore" or None.

    A restore of a snapshot that does not exist raises InputError (nothing is changed)."""
    if state == "present":
        return None if name in names else "take"
    if state == "absent":
        return "delete" if name in names else None
    if state == "restored":
        if name not in names:
            raise InputError("name: instance '%s' has no snapshot '%s' to restore (it has: %s)"
                             % (instance, name, ", ".join(sorted(names)) or "none"))
        return "restore"
    raise InputError("state: '%s' is not one of %s" % (state, ", ".join(SNAPSHOT_STATES[:3])))


def remaining(snapshots, deleted):
    """The snapshots left after deleting `deleted` (check mode's prediction). Where the backend reports a parent,
    the children of a deleted snapshot get its parent, as Multipass does (BaseVirtualMachine::delete_snapshot_helper,
    src/platform/backends/shared/base_virtual_machine.cpp)."""
    parents = {s["name"]: s.get("parent") for s in snapshots}
    result = []
    for snap in snapshots:
        if snap["name"] in deleted:
            continue
        if "parent" in snap:
            parent = snap["parent"]
            while parent in deleted:
                parent = parents[parent] or ""
            snap = dict(snap, parent=parent)
        result.append(snap)
    return result


def diff_view(snapshots, current=None):
    """What the diff shows: the snapshot names (and which one the instance was last restored to)."""
    view = {"snapshots": sorted(s["name"] for s in snapshots)}
    if current:
        view["restored_from"] = current
    return view


class Backend:
    """What a module implements for run(); every method may raise SnapshotError."""

    def check(self, params, action):
        """Refuse early (before any change) what this instance/backend cannot do; return the actions a run
        would take (check mode reports them), by default just the one asked for."""
        return ["%s %s" % (action, params["name"])]

    def list(self):
        """The instance's snapshots as entry() dicts, oldest first."""
        raise NotImplementedError

    def take(self, params, expires):
        raise NotImplementedError

    def delete(self, snap):
        raise NotImplementedError

    def restore(self, snap, params):
        raise NotImplementedError

    def predict(self, params, expires):
        """The entry() a take would make (check mode)."""
        return entry(params["name"], None, params.get("comment") or "", format_time(expires))


def run(module, backend, errors=()):
    """Parse -> compute the difference -> act -> report, for any backend. Exits the module; `errors` are the
    backend's own exception classes, reported like SnapshotError."""
    params = module.params
    result = dict(changed=False, actions=[], snapshot={}, snapshots=[])
    try:
        if params["name"] is not None or params["state"] != "pruned":
            if params["name"] is None:
                raise InputError("name: required with state %s" % params["state"])
            validate_name(params["name"])
        expires = parse_expires(params.get("expires"))
        before = backend.list()
        result["snapshots"] = before
        names = [s["name"] for s in before]
        pruned = []
        if params["state"] == "pruned":
            pruned = [s["name"] for s in before if s["expired"] and params["name"] in (None, s["name"])]
            action = "prune" if pruned else None
            predicted = [a for snap in pruned for a in backend.check(dict(params, name=snap), "delete")]
        else:
            action = plan(params["state"], names, params["name"], params["instance"])
            predicted = backend.check(params, action) if action else []
        after = list(before)
        restored = None
        if action == "prune":
            for snap in [] if module.check_mode else pruned:
                backend.delete(snap)
            after = remaining(before, pruned)
        elif action == "take":
            if module.check_mode:
                after = before + [backend.predict(params, expires)]
            else:
                backend.take(params, expires)
        elif action == "delete":
            if not module.check_mode:
                backend.delete(params["name"])
            after = remaining(before, [params["name"]])
        elif action == "restore":
            if not module.check_mode:
                backend.restore(params["name"], params)
            restored = params["name"]
        if action and not module.check_mode:
            after = backend.list()
        actions = []
        if action:
            actions = predicted if module.check_mode else list(getattr(backend, "actions", None) or predicted)
        result.update(changed=bool(action), actions=actions, snapshots=after,
                      snapshot=next((s for s in after if s["name"] == params["name"]), {}), pruned=pruned)
        if module._diff:
            result["diff"] = make_diff(diff_view(before), diff_view(after, restored),
                                       "%s snapshots" % params["instance"])
        for warning in getattr(backend, "warnings", []):
            module.warn(warning)
    except (InputError, SnapshotError) + tuple(errors) as exc:
        result["actions"] = list(getattr(backend, "actions", []))
        result["changed"] = bool(result["actions"])
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)
