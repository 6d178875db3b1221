# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The LXD/Incus backend of the instance skeleton (instance.run): the settings lxd_instance manages, their
difference from what the server has, and the steps (REST calls through LxdClient) that close it."""

from __future__ import annotations

import copy
import re

from ansible_collections.workstation.vms.plugins.module_utils import lxd
from ansible_collections.workstation.vms.plugins.module_utils.cloudinit import text_digest
from ansible_collections.workstation.vms.plugins.module_utils.common import (
    InputError, format_size, instance_argument_spec, parse_size)
from ansible_collections.workstation.vms.plugins.module_utils.instance import Backend, Plan, Step
from ansible_collections.workstation.vms.plugins.module_utils.waiting import WaitTimeout, poll

STATES = ["present", "started", "stopped", "restarted", "frozen", "absent"]
WAIT_FOR = ["none", "ipv4", "agent", "cloud-init", "ssh"]
RUNNING = ("running", "frozen")


def argument_spec():
    """lxd_instance's options: the common ones, LXD's own, the connection options."""
    spec = instance_argument_spec(STATES, "started", WAIT_FOR, dict(shift=dict(type="bool", default=False)))
    spec.update(
        type=dict(type="str", choices=["container", "virtual-machine"]),
        image=dict(type="raw"),
        remotes=dict(type="dict"),
        config=dict(type="dict"),
        config_mode=dict(type="str", default="merge", choices=["merge", "replace"]),
        devices=dict(type="dict"),
        profiles=dict(type="list", elements="str"),
        ports=dict(type="list", elements="raw"),
        ephemeral=dict(type="bool"),
        restart_on_change=dict(type="bool", default=False),
        wait_nic=dict(type="str"),
        preferred_nics=dict(type="list", elements="str"),
    )
    spec.update(lxd.connection_argument_spec())
    return spec


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---- parse: the wanted settings, validated before anything is touched ------------------------------
def wanted_settings(params, common):
    """LXD's view of the task: config keys, devices, and which groups are managed. `common` holds the common
    options as instance.wanted_common() parsed them."""
    state, itype = params["state"], params["type"] or "container"
    config = {}
    for key, value in (params["config"] or {}).items():
        if lxd.ignored_key(key):
            raise InputError("config: '%s' belongs to LXD (volatile.* and image.* keys cannot be set)" % key)
        if isinstance(value, (dict, list)) or value is None:
            raise InputError("config: value of '%s' must be a string, number or boolean" % key)
        config[key] = _text(value)
    derived = {}
    if common["cpus"] is not None:
        derived["limits.cpu"] = ("cpus", str(common["cpus"]))
    if common["memory"] is not None:
        derived["limits.memory"] = ("memory", common["memory"])
    if common["user_data"]:
        derived[lxd.CLOUD_INIT_KEY] = ("cloud_init", common["user_data"])
    labels = common["labels"]
    for key, value in (labels or {}).items():
        derived[lxd.LABEL_PREFIX + key] = ("labels", value)
    for key, (option, value) in derived.items():
        if key in config:
            raise InputError("config: '%s' is set by the option %s; give it in one place only" % (key, option))
        config[key] = value
    if labels is not None:
        clash = sorted(k for k in config if k.startswith(lxd.LABEL_PREFIX) and k[len(lxd.LABEL_PREFIX):] not in labels)
        if clash:
            raise InputError("config: '%s' is a label key; give labels with the labels option" % clash[0])

    devices = {}
    for dname, device in (params["devices"] or {}).items():
        if not isinstance(device, dict) or not device.get("type"):
            raise InputError("devices: '%s' must be a dict with a type" % dname)
        devices[dname] = {k: _text(v) for k, v in device.items()}
    mounts = lxd.mount_devices(common["mounts"]) if common["mounts"] is not None else None
    ports = None
    if params["ports"] is not None:
        if itype == "virtual-machine":
            raise InputError("ports: proxy devices on virtual machines need NAT mode and a static address; "
                             "give them with devices")
        ports = lxd.port_devices(params["ports"])
    for group, option in ((mounts, "mounts"), (ports, "ports")):
        for dname in group or {}:
            if dname in devices:
                raise InputError("devices: '%s' is the device the option %s makes; rename it" % (dname, option))
            devices[dname] = group[dname]

    if params["ephemeral"] and state == "stopped":
        raise InputError("ephemeral: an ephemeral instance is deleted when it stops; state=stopped is not possible")
    if params["wait_for"] == "agent" and itype != "virtual-machine" and params["type"]:
        raise InputError("wait_for: agent is for type virtual-machine (containers have no agent)")
    if params["wait_for"] != "none" and state in ("stopped", "frozen", "absent"):
        raise InputError("wait_for: %s cannot be awaited with state=%s" % (params["wait_for"], state))
    if params["wait_nic"] and params["wait_for"] not in ("ipv4", "ssh"):
        raise InputError("wait_nic: only used with wait_for=ipv4 or ssh")
    for profile in params["profiles"] or []:
        if not profile:
            raise InputError("profiles: empty profile name")
    return dict(common, config=config, devices=devices, labels=labels is not None,
                ports=ports is not None, profiles=params["profiles"], ephemeral=params["ephemeral"])


def _same_size(current, wanted):
    """The current text when it already stands for `wanted` bytes (no change for 2GiB vs 2048MiB)."""
    try:
        if current is not None and parse_size(current) == wanted:
            return current
    except InputError:
        pass
    return format_size(wanted)


def root_device_name(devices):
    for dname, device in (devices or {}).items():
        if device.get("type") == "disk" and device.get("path") == "/":
            return dname
    return "root"


# ---- compute the difference -----------------------------------------------------------------------
def local_config(inst):
    """An instance's local config without the keys that belong to LXD."""
    return {k: v for k, v in (inst.get("config") or {}).items() if not lxd.ignored_key(k)}


def plan_settings(current, wanted, mode):
    """The local config and devices the instance should have: returns (config, devices) without the
    volatile.*/image.* keys (they are carried over untouched when the update is sent)."""
    cur_config = local_config(current)
    cur_devices = copy.deepcopy(current.get("devices") or {})
    config = dict(wanted["config"])
    if "limits.memory" in config:
        config["limits.memory"] = _same_size(cur_config.get("limits.memory"), config["limits.memory"])
    if mode == "replace":
        devices = copy.deepcopy(wanted["devices"])
    else:
        merged = dict(cur_config)
        if wanted["labels"]:
            merged = {k: v for k, v in merged.items() if not k.startswith(lxd.LABEL_PREFIX)}
        merged.update(config)
        config = merged
        devices = cur_devices
        for dname in list(devices):
            if dname in wanted["devices"]:
                continue
            if (wanted["mounts"] is not None and lxd.is_mount_device(devices[dname])) or \
                    (wanted["ports"] and devices[dname].get("type") == "proxy"):
                del devices[dname]
        devices.update(copy.deepcopy(wanted["devices"]))
    if wanted["disk"] is not None:
        expanded = current.get("expanded_devices") or {}
        rname = root_device_name(devices) if root_device_name(devices) in devices else root_device_name(expanded)
        base = dict(cur_devices.get(rname) or expanded.get(rname) or {"type": "disk", "path": "/"})
        base["size"] = _same_size(base.get("size"), wanted["disk"])
        devices[rname] = base
    return config, devices


def view(config, devices, profiles, ephemeral, state):
    """The managed settings as the diff shows them; user-data (which may hold keys) only as its digest."""
    shown = {key: "sha256:" + text_digest(value) if key in lxd.USER_DATA_KEYS else value
             for key, value in sorted(config.items())}
    return {"state": state, "config": shown, "devices": dict(sorted(devices.items())),
            "profiles": list(profiles), "ephemeral": bool(ephemeral)}


def split_restart(itype, running, cur_config, cur_devices, config, devices):
    """Changes LXD can't apply to a running instance: returns (live config, live devices, pending names)."""
    if not running:
        return config, devices, []
    live_config, live_devices, pending = dict(config), copy.deepcopy(devices), []
    for key in sorted(set(cur_config) | set(config)):
        if cur_config.get(key) != config.get(key) and lxd.needs_restart(itype, key=key):
            pending.append("config " + key)
            if key in cur_config:
                live_config[key] = cur_config[key]
            else:
                live_config.pop(key, None)
    for dname in sorted(set(cur_devices) | set(devices)):
        if cur_devices.get(dname) != devices.get(dname) and \
                lxd.needs_restart(itype, device=devices.get(dname) or cur_devices.get(dname)):
            pending.append("device " + dname)
            if dname in cur_devices:
                live_devices[dname] = cur_devices[dname]
            else:
                live_devices.pop(dname, None)
    return live_config, live_devices, pending


def put_body(current, config, devices, profiles, ephemeral):
    full = {k: v for k, v in (current.get("config") or {}).items() if lxd.ignored_key(k)}
    full.update(config)
    return {"architecture": current.get("architecture"), "config": full, "devices": devices,
            "profiles": list(profiles), "ephemeral": bool(ephemeral), "stateful": current.get("stateful", False),
            "description": current.get("description", "")}


def predicted(current, after, name, itype):
    """The instance a check-mode run predicts, as LXD would answer it."""
    inst = dict(current or {"name": name, "type": itype})
    inst.update(config=after.get("config", {}), devices=after.get("devices", {}), status=after.get("state", ""))
    inst.pop("expanded_config", None)
    inst.pop("expanded_devices", None)
    return inst


def shift_hint(exc):
    if "idmap" in str(exc).lower() or "shift" in str(exc).lower():
        return " (mounts[].shift needs idmapped mounts or shiftfs on the server; LXD 5.0 here has neither: " \
               "set shift: false)"
    return ""


def cloud_init_outcome(code, out, err):
    """('done' | 'degraded' | 'error' | other, detail) from `cloud-init status --wait --long`."""
    match = re.search(r"^status:\s*(\S+)", out, re.M)
    status = match.group(1) if match else ""
    extended = re.search(r"^extended_status:\s*(.+)$", out, re.M)
    detail = (out + err).strip()
    if code == 127 or "not found" in err:
        return "missing", "cloud-init is not installed in the instance"
    if code == 2 or (extended and "degraded" in extended.group(1)) or status == "degraded":
        return "degraded", detail
    if code == 0 and status == "done":
        return "done", detail
    if status in ("error",) or code == 1:
        return "error", detail
    return status or "unknown", detail


def _state(step_verb):
    """A power step: `PUT .../state {action}`, reported as the verb."""
    return Step(step_verb, op="state", verb=step_verb)


def stop_steps(status, force=False):
    return ([_state("unfreeze")] if status == "frozen" else []) + [Step("stop", force=force)]


def power_steps(status, target):
    """From `status` (running, stopped, frozen) to the wanted state."""
    steps = []
    if target in ("started", "restarted", "frozen") and status == "stopped":
        steps.append(_state("start"))
        status = "running"
    if target == "started" and status == "frozen":
        steps.append(_state("unfreeze"))
    if target == "frozen" and status == "running":
        steps.append(_state("freeze"))
    if target == "stopped" and status in RUNNING:
        steps += stop_steps(status)
    return steps


class LxdInstance(Backend):
    """One LXD or Incus instance, read with one request, changed through LxdClient."""

    name = "lxd"
    errors = (lxd.LxdError,)

    def __init__(self, module):
        super().__init__(module)
        self._client = None

    @property
    def client(self):
        if self._client is None:
            # long operations (an image download, a create under load) are waited for as long as the task allows
            self._client = lxd.LxdClient.from_params(self.params,
                                                     operation_timeout=max(self.params.get("wait_timeout") or 0, 120))
        return self._client

    # ---- parse / read / plan -----------------------------------------------------------------------
    def validate_name(self, name):
        return lxd.validate_name(name)

    def wanted(self, wanted):
        return wanted_settings(self.params, wanted)

    def read(self):
        found = self.client.instance(self.params["name"])
        if found is None:
            self.client.check_project()   # "no instance" may really be "no such project"
        return found

    def read_all(self):
        found = self.client.instances()
        if not found:
            self.client.check_project()
        return found

    def mounts(self, current):
        return [dict(path=device["path"], device_name=dname, device=device)
                for dname, device in (current.get("devices") or {}).items() if lxd.is_mount_device(device)]

    def keep_mounts(self, wanted, kept):
        # the devices as they are (name and all), so that a kept mount is no change
        for mount in kept:
            wanted["devices"].setdefault(mount["device_name"], mount["device"])

    def plan(self, current, wanted):
        if wanted["state"] == "absent":
            return self.plan_remove(current)
        if current is None:
            return self.plan_create(wanted)
        return self.plan_converge(current, wanted)

    def plan_create(self, wanted):
        params, name = self.params, self.params["name"]
        itype = params["type"] or "container"
        if params["image"] is None:
            raise InputError("image: required to create instance '%s'" % name)
        source = lxd.image_source(params["image"], params["remotes"], self.client.daemon)
        if source.get("local"):
            source = lxd.resolve_local_image(self.client, source, itype)
        current = {"config": {}, "devices": {}}
        if wanted["disk"] is not None:
            current["expanded_devices"] = self.client.profile_root(wanted["profiles"])
        config, devices = plan_settings(current, wanted, "replace")
        profiles = wanted["profiles"] if wanted["profiles"] is not None else ["default"]
        body = {"name": name, "type": itype, "source": source, "config": config, "devices": devices,
                "ephemeral": bool(wanted["ephemeral"])}
        if wanted["profiles"] is not None:
            body["profiles"] = wanted["profiles"]
        target = params["state"] if params["state"] != "present" else "stopped"
        after = view(config, devices, profiles, wanted["ephemeral"], "running" if target != "stopped" else "stopped")
        if target == "frozen":
            after["state"] = "frozen"
        return Plan([Step("create", creates=True, body=body, target=target)],
                    before=view({}, {}, [], False, "absent"), after=after,
                    predicted=predicted(None, after, name, itype))

    def plan_converge(self, current, wanted):
        params, name = self.params, self.params["name"]
        status = (current.get("status") or "").lower()
        itype = current.get("type", "container")
        if params["type"] and params["type"] != itype:
            raise InputError("type: instance %s is a %s; the type cannot change (delete it first)" % (name, itype))
        config, devices = plan_settings(current, wanted, params["config_mode"])
        profiles = wanted["profiles"] if wanted["profiles"] is not None else list(current.get("profiles") or [])
        ephemeral = wanted["ephemeral"] if wanted["ephemeral"] is not None else bool(current.get("ephemeral"))
        cur_config, cur_devices = local_config(current), current.get("devices") or {}
        target = params["state"]
        if ephemeral and target == "stopped":
            raise InputError("state: %s is ephemeral; stopping it would delete it" % name)
        stays_running = status in RUNNING and target not in ("stopped", "restarted")
        live_config, live_devices, pending = split_restart(itype, stays_running, cur_config, cur_devices,
                                                           config, devices)
        restart = bool(pending) and params["restart_on_change"]
        if restart or not stays_running:
            live_config, live_devices = config, devices
        warnings = []
        if pending and not restart:
            warnings.append("%s: %s changed but take(s) effect only after a restart; not applied "
                            "(set restart_on_change: true)" % (name, ", ".join(pending)))
        changes = any((live_config != cur_config, live_devices != cur_devices,
                       list(profiles) != list(current.get("profiles") or []),
                       ephemeral != bool(current.get("ephemeral"))))
        end = {"started": "running", "restarted": "running", "stopped": "stopped", "frozen": "frozen"}.get(target, status)
        before = view(cur_config, cur_devices, current.get("profiles") or [], current.get("ephemeral"), status)
        after = view(live_config, live_devices, profiles, ephemeral, end)
        update = Step("update", body=put_body(current, live_config, live_devices, profiles, ephemeral))
        steps = []
        if target in ("restarted", "stopped") and status in RUNNING:
            steps += stop_steps(status)
            status = "stopped"
        elif restart and changes:
            steps += stop_steps(status) + [update, _state("start")]
            changes, status = False, "running"
            if target == "frozen" or (target == "present" and current.get("status", "").lower() == "frozen"):
                steps.append(_state("freeze"))
                status = "frozen"
        if changes:
            steps.append(update)
        if target != "present":
            steps += power_steps(status, target)
        return Plan(steps, before=before, after=after, pending_restart=[] if restart else pending,
                    warnings=warnings, predicted=predicted(current, after, name, itype))

    def plan_remove(self, current):
        if current is None:
            return Plan([], before={"state": "absent"}, after={"state": "absent"}, predicted=None)
        status = (current.get("status") or "").lower()
        before = view(local_config(current), current.get("devices") or {}, current.get("profiles") or [],
                      current.get("ephemeral"), status)
        steps = stop_steps(status, force=True) if status in RUNNING else []
        return Plan(steps + [Step("delete")], before=before, after={"state": "absent"}, predicted=None)

    # ---- act -----------------------------------------------------------------------------------------
    def do_create(self, body, target):
        name = self.params["name"]
        try:
            self.client.create(body)
            if target != "stopped":
                self.client.set_state(name, "start")
                if target == "frozen":
                    self.client.set_state(name, "freeze")
        except lxd.LxdError as exc:
            raise lxd.LxdError("creating %s failed: %s%s" % (name, exc, shift_hint(exc)), exc.status)

    def undo_create(self, body, target):
        name = self.params["name"]
        # A create that timed out goes on on the daemon, and a busy instance cannot be deleted: wait for it first.
        try:
            self.client.wait_idle(name)
        except lxd.OperationTimeout as exc:
            raise lxd.LxdError("instance %s is left on the server, still being created (%s); a re-run waits for "
                               "the operation, or delete the instance once it is done" % (name, exc))
        if self.client.instance(name) is None:
            return False
        try:
            self.client.set_state(name, "stop", force=True)
        except lxd.LxdError:
            pass
        self.client.delete(name)
        return True

    def do_state(self, verb):
        self.client.set_state(self.params["name"], verb)

    def do_stop(self, force):
        try:
            self.client.set_state(self.params["name"], "stop", force=force)
        except lxd.LxdError:
            if force:
                raise
            self.client.set_state(self.params["name"], "stop", force=True)

    def do_update(self, body):
        try:
            self.client.update(self.params["name"], body)
        except lxd.LxdError as exc:
            raise lxd.LxdError("%s%s" % (exc, shift_hint(exc)), exc.status)

    def do_delete(self):
        try:
            self.client.delete(self.params["name"])
        except lxd.LxdError as exc:
            if exc.status != 404:   # an ephemeral instance is gone once stopped
                raise

    # ---- report ------------------------------------------------------------------------------------
    def summary(self, current):
        return lxd.instance_summary(current, prefer=self.params["preferred_nics"])

    def report(self, result):
        if self._client is not None and self._client.registered:
            result["actions"].insert(0, "register client certificate")
        result["api_calls"] = self._client.calls if self._client is not None else 0

    # ---- wait --------------------------------------------------------------------------------------
    def wait_ready(self, what, current, timeout):
        name, itype = self.params["name"], current.get("type", "container")
        if what == "agent" and itype != "virtual-machine":
            raise InputError("wait_for: agent is for virtual machines; %s is a container" % name)
        if what in ("ipv4", "ssh"):
            self.check_nic(current, self.params["wait_nic"])
        if what == "agent" or (what == "cloud-init" and itype == "virtual-machine"):
            def probe():
                state = self.client.state(name)
                return (state.get("processes", -1) > 0, "agent not answering (status %s)" % state.get("status"))
            poll(probe, timeout, "the LXD agent of %s" % name)

    def check_nic(self, inst, nic):
        """Fail rather than wait for an address that DHCP will never give."""
        nics = {dname: d for dname, d in (inst.get("expanded_devices") or {}).items() if d.get("type") == "nic"}
        if not nics:
            raise InputError("wait_for: instance %s has no NIC; there is no address to wait for" % inst["name"])
        for dname, device in nics.items() if nic else ():
            if nic in (dname, device.get("name")) and device.get("network"):
                conf = (self.client.network(device["network"]) or {}).get("config") or {}
                if conf.get("ipv4.address") in ("none", "") or conf.get("ipv4.dhcp") == "false":
                    raise InputError("wait_nic: NIC %s is on network %s, which has no IPv4 DHCP; nothing to wait "
                                     "for" % (nic, device["network"]))

    def ipv4(self):
        nic = self.params["wait_nic"]
        found = lxd.addresses(self.client.state(self.params["name"]), "inet", nic, self.params["preferred_nics"])
        return found, "no IPv4 on %s" % (nic or "any NIC")

    def cloud_init_status(self, timeout):
        name = self.params["name"]
        try:
            code, out, err = self.client.execute(name, ["cloud-init", "status", "--wait", "--long"], timeout=timeout)
        except lxd.LxdError as exc:
            if isinstance(exc, lxd.OperationTimeout):
                raise WaitTimeout("timed out waiting for cloud-init in %s" % name)
            raise
        return cloud_init_outcome(code, out, err)
