# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The instance skeleton every instance module runs: parse -> plan -> act -> wait -> report.

`run(module, backend)` owns what the instance modules share: the common options (validated once, here), the
check-mode gate and the `actions` list, before/after/diff, the wait (ipv4, ssh, cloud-init with one outcome
rule), the result (`changed`, `actions`, `diff`, `pending_restart`, `instance`) and the error tail that undoes
what this run created. A backend (lxd_instance_backend.py, multipass_instance_backend.py, libvirt) is a
`Backend` subclass holding every call to its daemon or CLI; docs/development.md ("Adding a backend") says what
it implements."""

from __future__ import annotations

import time

from ansible_collections.workstation.vms.plugins.module_utils.cloudinit import render_user_data
from ansible_collections.workstation.vms.plugins.module_utils.common import (
    MAX_CPUS, MAX_DISK, MAX_MEMORY, MIN_MEMORY, InputError, check_positive, check_size, instance_result, make_diff,
    normalize_mounts, parse_size, validate_labels)
from ansible_collections.workstation.vms.plugins.module_utils.waiting import WaitTimeout, poll, ssh_banner

# What `cloud-init status` may say, and what each means for wait_for=cloud-init (the one outcome rule).
CLOUD_INIT_OK = ("done",)
CLOUD_INIT_WARN = ("degraded",)
CLOUD_INIT_FAIL = ("error", "disabled", "missing")
CLOUD_INIT_BUSY = ("running", "not started", "not run", "unknown", "")


UNCHANGED = object()   # Plan.predicted: the instance stays as read() found it


class InstanceError(Exception):
    """A backend refused or cannot do what was asked; the message says why and what to do."""


class Step:
    """One action of a plan. `action` is what `actions` reports; `op` names the backend method doing it
    (`do_<op>`, and `undo_<op>` when `creates`); `args` are that method's keyword arguments."""

    def __init__(self, action, op=None, creates=False, **args):
        self.action = action
        self.op = op or action.split()[0]
        self.creates = creates
        self.args = args

    def __repr__(self):
        return "Step(%r, op=%r, creates=%r, %r)" % (self.action, self.op, self.creates, self.args)


class Plan:
    """What a backend's plan() returns.

    steps:           Step objects, in order (empty: nothing to do).
    before / after:  the managed settings as the diff shows them (current, and wanted once the steps are done).
    pending_restart: names of settings that differ but take effect only after a restart (not applied).
    warnings:        texts for module.warn().
    predicted:       the backend's current state as it would be after the steps (what summary() reports in
                     check mode); None: gone; UNCHANGED (the default): as read()."""

    def __init__(self, steps=None, before=None, after=None, pending_restart=None, warnings=None,
                 predicted=UNCHANGED):
        self.steps = list(steps or [])
        self.before = before or {}
        self.after = after or {}
        self.pending_restart = list(pending_restart or [])
        self.warnings = list(warnings or [])
        self.predicted = predicted


class Backend:
    """What an instance module hands to run(). Subclasses hold every REST/CLI/API call of their backend."""

    name = "backend"          # `instance.backend` in the result (lxd, libvirt, multipass)
    errors = ()               # the backend's own exception classes, reported like InstanceError

    def __init__(self, module):
        self.module = module
        self.params = module.params

    # ---- parse -------------------------------------------------------------------------------------
    def validate_name(self, name):
        """Raise InputError when `name` breaks the backend's naming rules; return it."""
        return name

    def wanted(self, wanted):
        """Check the backend's own options and add what it needs to `wanted` (the common options, parsed by
        run(): see wanted_common()). Raise InputError before anything is touched. Returns the dict."""
        return wanted

    # ---- read / plan / act -------------------------------------------------------------------------
    def read(self):
        """The instance as the backend sees it (parsed once), or None when it does not exist."""
        raise NotImplementedError

    def read_all(self):
        """Every instance of the backend, each as read() answers it (for the *_info modules)."""
        raise NotImplementedError

    def mounts(self, current):
        """The mounts `current` has, each a dict with the guest `path`, in the form wanted() gives wanted["mounts"]
        (what mounts_mode=merge keeps)."""
        raise NotImplementedError

    def keep_mounts(self, wanted, kept):
        """mounts_mode=merge: add `kept` (some of mounts(current)) to the wanted mounts, unchanged."""
        wanted["mounts"].extend(kept)
        wanted["mounts"].sort(key=lambda mount: mount["path"])

    def plan(self, current, wanted):
        """A Plan from `current` (read()'s answer) to `wanted`; may raise InputError (nothing is changed)."""
        raise NotImplementedError

    def apply(self, step):
        """Do one step (never called in check mode)."""
        return getattr(self, "do_" + step.op)(**step.args)

    def undo(self, step):
        """Remove what `step` (one with creates=True, done or failed half-way) made in this run; return True
        when something was removed (False: nothing was there)."""
        return getattr(self, "undo_" + step.op)(**step.args)

    # ---- report ------------------------------------------------------------------------------------
    def summary(self, current):
        """The common `instance` shape (common.instance_result) of `current`; None means absent."""
        raise NotImplementedError

    def report(self, result):
        """Add backend-specific keys to `result` (or prepend actions done outside the steps)."""

    def error_result(self, exc):
        """Extra keys for the failure result of a backend error (for example rc/stderr of a CLI)."""
        return {}

    # ---- wait --------------------------------------------------------------------------------------
    def wait_ready(self, what, current, timeout):
        """Before the common wait: refuse what can never come (a NIC without DHCP), wait for what the backend
        needs first (a VM agent), and do the waits only this backend has (its own wait_for values) entirely."""

    def ipv4(self):
        """(list of IPv4 addresses now, text of what was seen when there is none)."""
        raise NotImplementedError

    def ssh_target(self, addresses):
        """(host, port) where the SSH banner is awaited."""
        return addresses[0], 22

    def cloud_init_status(self, timeout):
        """(status, detail) of `cloud-init status` in the guest: done, degraded, error, disabled, missing, or a
        busy word (running, not started) that makes run() ask again. May block up to `timeout` seconds."""
        raise NotImplementedError


def wanted_common(params, backend):
    """The common options validated and parsed: sizes in bytes, normalized mounts, labels, user-data text.
    A key is None when its option is not given (the backend leaves that setting alone)."""
    state = params["state"]
    wanted = dict(name=backend.validate_name(params["name"]), state=state,
                  cpus=check_positive(params.get("cpus"), "cpus", maximum=MAX_CPUS, why="the hard cap of every backend"),
                  memory=check_size(parse_size(params.get("memory"), "memory"), "memory", minimum=MIN_MEMORY,
                                    maximum=MAX_MEMORY, why="the hard cap of every backend"),
                  disk=check_size(parse_size(params.get("disk"), "disk"), "disk", maximum=MAX_DISK,
                                  why="the hard cap of every backend"),
                  user_data=render_user_data(params.get("cloud_init")),
                  labels=validate_labels(params["labels"]) if params.get("labels") is not None else None,
                  mounts=None, wait_for=params.get("wait_for") or "none",
                  wait_timeout=check_positive(params.get("wait_timeout"), "wait_timeout") or 300)
    if params.get("mounts") is not None:
        wanted["mounts"] = normalize_mounts(params["mounts"], must_exist=state != "absent")
    return wanted


def merge_mounts(backend, current, wanted):
    """mounts_mode=merge: the given mounts are added or updated (matched by guest path); the instance's mounts at
    the other paths stay as they are."""
    if current is None or wanted["mounts"] is None or wanted["state"] == "absent":
        return
    given = set(mount["path"] for mount in wanted["mounts"])
    backend.keep_mounts(wanted, [mount for mount in backend.mounts(current) if mount["path"] not in given])


def cloud_init_outcome(status, detail, name):
    """The one rule for wait_for=cloud-init: done is ok, degraded a warning, error/disabled/missing a failure.
    Returns the warning text or None; raises InstanceError on a failure."""
    if status in CLOUD_INIT_OK:
        return None
    if status in CLOUD_INIT_WARN:
        return "cloud-init in %s finished degraded (recoverable errors)" % name
    raise InstanceError("cloud-init in %s: %s (%s)" % (name, status, detail))


def wait(backend, wanted, current, warnings):
    """Wait for wanted["wait_for"] on a running instance; returns the cloud-init status when it was awaited."""
    what, name, timeout = wanted["wait_for"], wanted["name"], wanted["wait_timeout"]
    deadline = time.monotonic() + timeout

    def remaining():
        return max(1, int(deadline - time.monotonic()))

    backend.wait_ready(what, current, remaining())
    if what == "ipv4":
        poll(lambda: _addresses(backend), remaining(), "an IPv4 address of %s" % name)
    if what == "ssh":
        # The addresses are read again on every try: the first one seen may be a stale DHCP lease of an earlier boot.
        def ssh_probe():
            found, seen = backend.ipv4()
            if not found:
                return False, seen
            host, port = backend.ssh_target(found)
            return ssh_banner(host, port), "no SSH banner on %s:%s" % (host, port)
        poll(ssh_probe, remaining(), "SSH on %s" % name)
    if what == "cloud-init":
        seen = {}

        def probe():
            status, detail = backend.cloud_init_status(remaining())
            seen.update(status=status, detail=detail)
            return (status not in CLOUD_INIT_BUSY, "cloud-init status %s" % (status or "unknown"))
        poll(probe, remaining(), "cloud-init in %s" % name)
        warning = cloud_init_outcome(seen["status"], seen["detail"], name)
        if warning:
            warnings.append(warning)
        return seen["status"]
    return None


def _addresses(backend):
    found, seen = backend.ipv4()
    return (found, None) if found else (False, seen)


def run(module, backend):
    """Parse -> plan -> act -> wait -> report, for any backend. Exits the module.

    A failure while the steps are applied undoes the creating steps of this run; a failing wait does not (the
    instance is made and reported: the next run waits again)."""
    result = dict(changed=False, actions=[], pending_restart=[], instance={})
    handled = (InputError, InstanceError, WaitTimeout) + tuple(backend.errors)
    started = []     # steps begun in this run (the failing one included); emptied once all are done
    applied = None   # how many steps were done; None once the steps are over
    try:
        wanted = backend.wanted(wanted_common(module.params, backend))
        current = backend.read()
        if module.params.get("mounts_mode") == "merge":
            merge_mounts(backend, current, wanted)
        plan = backend.plan(current, wanted)
        result["pending_restart"] = plan.pending_restart
        applied = 0
        for step in plan.steps:
            result["actions"].append(step.action)
            if not module.check_mode:
                started.append(step)
                backend.apply(step)
                applied += 1
        started, applied = [], None
        if module.check_mode:
            after = current if plan.predicted is UNCHANGED else plan.predicted
        else:
            after = backend.read() if plan.steps else current
            if after is None and wanted["state"] != "absent":
                raise InstanceError("instance %s vanished (ephemeral and stopped?)" % wanted["name"])
        summary = backend.summary(after) if after is not None else None
        if not module.check_mode and wanted["wait_for"] != "none" and summary and summary["state"] == "running":
            status = wait(backend, wanted, after, plan.warnings)
            if status is not None:
                result["cloud_init_status"] = status
            after = backend.read()
            summary = backend.summary(after) if after is not None else None
        result["instance"] = summary or absent(backend, wanted, current)
        result["diff"] = make_diff(plan.before, plan.after, wanted["name"])
        backend.report(result)
        result["changed"] = bool(result["actions"])
        for warning in plan.warnings:
            module.warn(warning)
    except handled as exc:
        msg = str(exc)
        undone, left = _undo(backend, started)
        if undone:
            msg = "%s (what this run created is deleted again: %s)" % (msg, ", ".join(undone))
        if left:
            msg = "%s (NOT cleaned up: %s)" % (msg, "; ".join(left))
        backend.report(result)
        # a step that failed changed nothing by itself; what was done before it did (even when undone)
        result["changed"] = bool(applied) if applied is not None else bool(result["actions"])
        if isinstance(exc, tuple(backend.errors)):
            result.update(backend.error_result(exc))
        module.fail_json(msg=msg, **result)
    module.exit_json(**result)


def absent(backend, wanted, current):
    """The `instance` of an instance that is gone (or never was)."""
    itype = (backend.summary(current) or {}).get("type", "") if current is not None else ""
    return instance_result(wanted["name"], backend.name, itype=itype, state="absent")


def _undo(backend, done):
    """Undo, newest first, the creating steps this run started; returns (what was undone, what could not be
    undone and why). The original error stays first in the message: it is the one the user needs."""
    undone, left = [], []
    for step in reversed(done):
        if not step.creates:
            continue
        try:
            if backend.undo(step):
                undone.append(step.action)
        except Exception as exc:  # pylint: disable=broad-except
            left.append("%s: %s" % (step.action, exc))
    return undone, left
