# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Multipass backend of the instance skeleton (instance.run): what multipass_instance compares (state,
resources, mounts, labels) and the steps (`multipass` commands through MultipassCli) that close the gap."""

from __future__ import annotations

import os

from ansible_collections.workstation.vms.plugins.module_utils import common
from ansible_collections.workstation.vms.plugins.module_utils.cloudinit import text_digest
from ansible_collections.workstation.vms.plugins.module_utils.instance import Backend, Plan, Step
from ansible_collections.workstation.vms.plugins.module_utils.multipass import (
    COMMAND_NAMES, PRIMARY_HOME, PRIMARY_KEY, MultipassCli, MultipassError, module_runner, mount_maps,
    mounts_from_info, parse_human_size, same_size, state_word, to_multipass_size, validate_name, write_user_data)

STATES = ["present", "started", "stopped", "restarted", "suspended", "absent"]
RESOURCES = ("cpus", "memory", "disk")
MIN_MEMORY = 128 * 1024 ** 2    # what `multipass launch` itself accepts at least
MIN_DISK = 512 * 1024 ** 2


def argument_spec():
    """multipass_instance's options: the common ones and Multipass's own."""
    spec = common.instance_argument_spec(
        STATES, default_state="started",
        mount_options=dict(type=dict(type="str", choices=["classic", "native"], default="classic"),
                           uid_map=dict(type="list", elements="str", default=[]),
                           gid_map=dict(type="list", elements="str", default=[])))
    spec.update(
        image=dict(type="str"),
        purge=dict(type="bool", default=True),
        networks=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True), mode=dict(type="str", choices=["auto", "manual"]),
            mac=dict(type="str"))),
        bridged=dict(type="bool", default=False),
        restart_on_change=dict(type="bool", default=False),
        timeout=dict(type="int"),
        aliases=dict(type="list", elements="dict", options=dict(
            command=dict(type="str", required=True), name=dict(type="str"),
            working_directory=dict(type="str", choices=["map", "default"], default="map"))),
        primary=dict(type="bool"),
    )
    spec.update(connection_argument_spec())
    return spec


def connection_argument_spec():
    """How the instance modules reach Multipass (doc fragments workstation.vms.multipass and .label_store)."""
    return dict(executable=dict(type="str", default="multipass"), label_store=dict(type="path"))


def wanted_aliases(aliases):
    """The aliases option checked and completed: the name defaults to the command's file name (alias.cpp)."""
    result = {}
    for index, alias in enumerate(aliases):
        command = alias["command"].strip()
        name = alias.get("name") or os.path.basename(command)
        where = "aliases[%d]" % index
        if not command:
            raise common.InputError("%s.command: must not be empty" % where)
        if not name or "/" in name or name in (".", ".."):
            raise common.InputError("%s.name: '%s' must be a file name (no '/')" % (where, name))
        if name in COMMAND_NAMES:
            raise common.InputError("%s.name: '%s' is a multipass command; give the alias another name" % (where, name))
        if name in result:
            raise common.InputError("%s.name: '%s' is given twice" % (where, name))
        result[name] = dict(name=name, command=command, working_directory=alias.get("working_directory") or "map")
    return result


def alias_text(alias):
    return "%s: %s (%s)" % (alias["name"], alias["command"], alias["working_directory"])


def effective_maps(mount):
    """The maps `multipass info` shows for a wanted mount: none given = the host user -> "default"."""
    return (mount["uid_map"] or ["%d:default" % os.getuid()], mount["gid_map"] or ["%d:default" % os.getgid()])


def shown(mount):
    """A wanted mount as `multipass info` will show it."""
    uid_map, gid_map = effective_maps(mount)
    return dict(mount, uid_map=sorted(uid_map), gid_map=sorted(gid_map))


def mount_text(mount):
    return "%s -> %s (%s; uid %s; gid %s)" % (
        mount["source"], mount["path"], mount["type"], ",".join(mount["uid_map"]), ",".join(mount["gid_map"]))


class MultipassInstance(Backend):
    """One Multipass instance: `info` (+ `get` of its resources, + its label store entry) read once per run."""

    name = "multipass"
    errors = (MultipassError,)

    def __init__(self, module):
        super().__init__(module)
        self.cli = MultipassCli(self.params["executable"], run=module_runner(module),
                                label_store=self.params["label_store"])

    # ---- parse / read ------------------------------------------------------------------------------
    def validate_name(self, name):
        return validate_name(name)

    def wanted(self, wanted):
        # Multipass's own minimums; a VM larger than this host's RAM (Multipass runs here) never starts.
        common.check_size(wanted["memory"], "memory", MIN_MEMORY, common.host_memory(), "the RAM of this host")
        common.check_size(wanted["disk"], "disk", MIN_DISK)
        if wanted["mounts"] is not None:
            mounts = []
            for index, mount in enumerate(wanted["mounts"]):
                if mount["readonly"]:
                    raise common.InputError("mounts[%d].readonly: Multipass has no read-only mounts; drop readonly "
                                            "or use another backend" % index)
                mounts.append(dict(
                    source=mount["source"], path=mount["path"], type=mount.get("type") or "classic",
                    uid_map=sorted(mount_maps(mount.get("uid_map"), "mounts[%d].uid_map" % index)),
                    gid_map=sorted(mount_maps(mount.get("gid_map"), "mounts[%d].gid_map" % index)), readonly=False))
            wanted["mounts"] = mounts
        if self.params["timeout"] is not None:
            common.check_positive(self.params["timeout"], "timeout")
        wanted["aliases"] = None if self.params["aliases"] is None else wanted_aliases(self.params["aliases"])
        return wanted

    def read(self):
        name = self.params["name"]
        # The label store first: a store that cannot be read must stop the run before a launch, not after it. Its
        # entries are the current driver's (`multipass get local.driver`, reported too): each driver has its own
        # instances, so a name seen with another driver is another instance.
        entry = self.cli.store.entry(name)
        self.cli.driver()
        info = self.cli.info(name)
        return self.current(name, info, entry) if info is not None else None

    def read_all(self):
        """One `multipass info` for all (+ `get` of each one's resources), the label store read once."""
        entries = self.cli.store.entries()
        return [self.current(name, info, entries.get(name) or {}) for name, info in sorted(self.cli.info().items())]

    def current(self, name, info, entry):
        resources = None
        if self.params.get("state") != "absent" and info.get("state") != "Deleted":
            resources = self.cli.resources(name)
        return dict(name=name, info=info, resources=resources, entry=entry, **self.client_side(name))

    def mounts(self, current):
        return mounts_from_info(current["info"], current["entry"].get("mount_types"))

    def client_side(self, name):
        """What the client keeps, not the daemon: the instance's aliases and whether it is the primary one."""
        aliases, self.taken_aliases = self.cli.aliases(name)
        return dict(aliases=aliases, primary=self.cli.primary_name() == name)

    def managed(self, current):
        """The settings the diff shows."""
        settings = dict(state=state_word(current["info"].get("state")),
                        mounts=[mount_text(m) for m in self.mounts(current)], labels=current["entry"].get("labels") or {})
        if self.params.get("aliases") is not None:
            settings["aliases"] = sorted(alias_text(a) for a in current["aliases"])
        if self.params.get("primary") is not None:
            settings["primary"] = current["primary"]
        return settings

    # ---- plan --------------------------------------------------------------------------------------
    def plan(self, current, wanted):
        if wanted["state"] == "absent":
            return self.plan_absent(current)
        return Planner(self, current, wanted).plan()

    def plan_absent(self, current):
        purge = self.params["purge"]
        status = current["info"].get("state") if current else None
        if status is None or (status == "Deleted" and not purge):
            return Plan([], before=self.managed(current) if current else {"state": "absent"}, after={"state": "absent"})
        predicted = None if purge else dict(current, info=dict(current["info"], state="Deleted"))
        return Plan([Step("purge" if status == "Deleted" else "delete", op="delete", purge=purge)],
                    before=self.managed(current), after={"state": "absent" if purge else "deleted"},
                    predicted=predicted)

    def check_driver(self, wanted, creating):
        needs = []
        if wanted["mounts"] and any(m["type"] == "native" for m in wanted["mounts"]):
            needs.append("native mounts")
        if creating and (self.params["networks"] or self.params["bridged"]):
            needs.append("networks")
        if wanted["state"] == "suspended":
            needs.append("suspend")
        for feature in needs:
            self.cli.check_driver(feature)

    # ---- act -----------------------------------------------------------------------------------------
    def do_launch(self, user_data, cpus, memory, disk, mounts):
        name, params = self.params["name"], self.params
        path = write_user_data(user_data) if user_data else None
        try:
            self.cli.launch(name, image=params["image"], cpus=cpus, memory=memory, disk=disk, cloud_init_file=path,
                            mounts=mounts, networks=params["networks"], bridged=params["bridged"],
                            timeout=params["timeout"])
        finally:
            if path:
                os.unlink(path)
        if user_data:
            self.cli.store.update(name, cloud_init_digest=text_digest(user_data))

    def undo_launch(self, **_launch):
        name = self.params["name"]
        if self.cli.info(name) is None:
            return False
        self.cli.delete(name, True)
        return True

    def do_delete(self, purge):
        self.cli.delete(self.params["name"], purge)

    def do_recover(self):
        self.cli.recover(self.params["name"])

    def do_power(self, command):
        self.cli.lifecycle(command, self.params["name"], self.params["timeout"])

    def do_set(self, key, value):
        self.cli.set("local.%s.%s" % (self.params["name"], key), value)

    def do_umount(self, path):
        self.cli.umount(self.params["name"], path)
        self.remember_type(path, None)

    def do_mount(self, mount):
        self.cli.mount(self.params["name"], mount["source"], mount["path"], mount["type"], mount["uid_map"],
                       mount["gid_map"])
        self.remember_type(mount["path"], "native" if mount["type"] == "native" else None)

    def remember_type(self, path, mount_type):
        """`multipass info` does not say a mount's type: native ones are kept in the label store."""
        name = self.params["name"]
        types = dict(self.cli.store.entry(name).get("mount_types") or {})
        if types.get(path) != mount_type:
            types.pop(path, None)
            if mount_type:
                types[path] = mount_type
            self.cli.store.update(name, mount_types=types or None)

    def do_primary(self, value):
        self.cli.set(PRIMARY_KEY, value)

    def do_alias(self, alias):
        self.cli.add_alias(self.params["name"], alias["command"], alias["name"], alias["working_directory"])

    def do_unalias(self, name, context):
        self.cli.remove_alias(name, context)

    def do_labels(self, labels):
        self.cli.store.update(self.params["name"], labels=labels or None)

    # ---- report / wait -----------------------------------------------------------------------------
    def summary(self, current):
        summary = self.cli.describe(current["name"], current["info"], current["entry"], resources=current["resources"])
        summary.update(aliases=[dict(name=a["name"], command=a["command"], working_directory=a["working_directory"])
                                for a in current["aliases"]], primary=current["primary"])
        return summary

    def report(self, result):
        result["pending"] = list(result["pending_restart"])   # deprecated: pending_restart
        if self.cli._driver:  # pylint: disable=protected-access
            result["driver"] = self.cli._driver  # pylint: disable=protected-access

    def error_result(self, exc):
        return dict(rc=exc.rc, stderr=exc.stderr, cmd=exc.command)

    def ipv4(self):
        info = self.cli.info(self.params["name"]) or {}
        addresses = [ip for ip in info.get("ipv4") or [] if ":" not in ip]
        return addresses, "state %s, no address" % info.get("state")

    def cloud_init_status(self, timeout):
        return self.cli.cloud_init_status(self.params["name"])


def same_alias(have, want):
    return have["command"] == want["command"] and have["working_directory"] == want["working_directory"]


class Planner:
    """The steps from one read() answer to the wanted instance (state, resources, mounts, labels)."""

    def __init__(self, backend, current, wanted):
        self.backend, self.current, self.wanted = backend, current, wanted
        self.params, self.name = backend.params, wanted["name"]
        self.steps, self.warnings, self.pending = [], [], []

    def add(self, action, op=None, creates=False, **args):
        self.steps.append(Step(action, op=op, creates=creates, **args))

    def plan(self):
        current, wanted = self.current, self.wanted
        info = current["info"] if current else None
        status = info.get("state") if info else None
        before = self.backend.managed(current) if current else {"state": "absent"}
        self.backend.check_driver(wanted, creating=info is None)
        created = info is None
        entry = current["entry"] if current else {}
        client = current or self.backend.client_side(self.name)
        primary = self.primary(client)
        if created:
            at_launch = [m for m in wanted["mounts"] or [] if m["type"] == "classic" and not m["uid_map"]
                         and not m["gid_map"]]
            self.add("launch", creates=True, user_data=wanted["user_data"], cpus=wanted["cpus"],
                     memory=wanted["memory"], disk=wanted["disk"], mounts=[(m["source"], m["path"]) for m in at_launch])
            status, restarted = "Running", True
            have_mounts = [shown(m) for m in at_launch]
            if primary:
                have_mounts.append(shown(dict(source=os.path.expanduser("~"), path=PRIMARY_HOME, type="classic",
                                              uid_map=[], gid_map=[], readonly=False)))
            after = dict(state="running", mounts=sorted(mount_text(m) for m in have_mounts), labels={})
        else:
            if status == "Deleted":
                self.add("recover")
                status = "Stopped"
            elif self.params["image"]:
                self.warnings.append("image is used only when the instance is created; %s keeps its image"
                                     % self.name)
            after = self.backend.managed(current)
            have_mounts = self.backend.mounts(current)
            status, restarted = self.resources(status, before, after)
            stored = entry.get("cloud_init_digest")
            if wanted["user_data"] and stored and stored != text_digest(wanted["user_data"]):
                self.warnings.append("cloud_init differs from the user-data %s was created with; it takes "
                                     "effect only on a new instance" % self.name)
        self.mounts(have_mounts, after, primary)
        aliases = self.aliases([] if created else client["aliases"], after)
        if self.params["primary"] is not None:
            after["primary"] = primary
        labels = wanted["labels"]
        if labels is not None and labels != ({} if created else entry.get("labels") or {}):
            after["labels"] = labels
            self.add("labels", labels=labels)
        status = self.reach_state(status, restarted)
        after["state"] = state_word(status)
        predicted = dict(name=self.name, info=dict(info or {}, state=status), resources=None,
                         entry=dict(entry, labels=after["labels"]), aliases=aliases, primary=primary)
        return Plan(self.steps, before=before, after=after, pending_restart=self.pending, warnings=self.warnings,
                    predicted=predicted)

    def resources(self, status, before, after):
        """Steps for cpus/memory/disk; returns (status, restarted). Multipass sets them only while stopped."""
        wanted = self.wanted
        asked = [key for key in RESOURCES if wanted[key] is not None]
        if not asked:
            return status, False
        current = self.current["resources"] or self.backend.cli.resources(self.name)
        differ = []
        for key in asked:
            same = current[key] == wanted[key] if key == "cpus" else same_size(current[key], wanted[key])
            before[key] = after[key] = current[key]
            if not same:
                differ.append(key)
                after[key] = wanted[key] if key == "cpus" else common.format_size(wanted[key])
        if "disk" in differ and (parse_human_size(current["disk"])[0] or 0) > wanted["disk"]:
            raise common.InputError("disk: Multipass disks only grow; %s has %s, asked for %s"
                                    % (self.name, current["disk"], common.format_size(wanted["disk"])))
        if not differ:
            return status, False
        restarted = False
        if status != "Stopped":
            bounce = self.params["restart_on_change"] or wanted["state"] == "restarted"
            if wanted["state"] != "stopped" and not bounce:
                self.pending = differ
                for key in differ:
                    after[key] = before[key]
                self.warnings.append("%s of %s differ, but Multipass changes them only on a stopped instance; "
                                     "set restart_on_change=true or state=stopped to apply them"
                                     % (", ".join(differ), self.name))
                return status, False
            restarted = wanted["state"] != "stopped"
            self.add("stop", op="power", command="stop")
            status = "Stopped"
        for key in differ:
            self.add("set %s" % key, op="set", key=key,
                     value=wanted[key] if key == "cpus" else to_multipass_size(wanted[key]))
        if restarted:
            self.add("start", op="power", command="start")
            status = "Running"
        return status, restarted

    def primary(self, client):
        """A step setting client.primary-name, placed before a launch so that launch mounts the home directory as
        it does for the primary instance; returns whether the instance is primary afterwards."""
        wanted, now = self.params["primary"], client["primary"]
        if wanted is None or wanted == now:
            return now
        self.add("set primary" if wanted else "unset primary", op="primary", value=self.name if wanted else "")
        return wanted

    def aliases(self, have, after):
        """Steps for the aliases option; returns the aliases after them. An alias is kept wherever (in whichever
        context) it is defined; a new one goes to the active context, where the name must be free."""
        wanted = self.wanted["aliases"]
        if wanted is None:
            return have
        kept = [a for a in have if a["name"] in wanted and same_alias(a, wanted[a["name"]])]
        for alias in have:
            if alias not in kept and not (alias["name"] in wanted and
                                          any(k["name"] == alias["name"] for k in kept)):
                self.add("unalias %s" % alias["name"], op="unalias", name=alias["name"], context=alias["context"])
        result = list(kept)
        for name, alias in sorted(wanted.items()):
            if any(k["name"] == name for k in kept):
                continue
            if name in self.backend.taken_aliases:
                raise common.InputError("aliases: '%s' is already an alias of another instance in the active alias "
                                        "context; give this one another name" % name)
            self.add("alias %s" % name, op="alias", alias=alias)
            result.append(dict(alias, context=None))
        after["aliases"] = sorted(alias_text(a) for a in result)
        return result

    def mounts(self, have_mounts, after, primary):
        wanted = self.wanted["mounts"]
        if wanted is None:
            return
        have = {m["path"]: m for m in have_mounts if not (primary and m["path"] == PRIMARY_HOME)}
        want_by_path = {m["path"]: m for m in wanted}
        for path in sorted(have):
            if path not in want_by_path:
                self.add("umount %s" % path, op="umount", path=path)
        for path, mount in sorted(want_by_path.items()):
            old = have.get(path)
            key = ("source", "type", "uid_map", "gid_map")
            if old is not None and all(old[k] == shown(mount)[k] for k in key):
                continue
            if old is not None:
                self.add("umount %s" % path, op="umount", path=path)
            self.add("mount %s" % path, op="mount", mount=mount)
        after["mounts"] = sorted([mount_text(shown(m)) for _p, m in sorted(want_by_path.items())] +
                                 [mount_text(m) for m in have_mounts if primary and m["path"] == PRIMARY_HOME])

    def reach_state(self, status, restarted):
        state = self.wanted["state"]
        if state == "started" and status != "Running":
            self.add("start", op="power", command="start")
            status = "Running"
        elif state == "stopped" and status != "Stopped":
            self.add("stop", op="power", command="stop")
            status = "Stopped"
        elif state == "restarted" and not restarted:
            command = "restart" if status == "Running" else "start"
            self.add(command, op="power", command=command)
            status = "Running"
        elif state == "suspended" and status != "Suspended":
            if status != "Running":
                self.add("start", op="power", command="start")
            self.add("suspend", op="power", command="suspend")
            status = "Suspended"
        return status
