#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: multipass_snapshot
short_description: Take, restore and delete snapshots of Multipass instances
version_added: 0.1.0
description:
  - Takes (O(state=present)), deletes (O(state=absent)) and restores (O(state=restored)) a snapshot of a Multipass
    instance with C(multipass snapshot), C(multipass restore --destructive) and C(multipass delete --purge
    <instance>.<snapshot>), and returns the instance's snapshots (C(multipass info --snapshots)).
  - Same options and return values as M(workstation.vms.lxd_snapshot) and M(workstation.vms.qemu_snapshot).
  - Multipass takes and restores snapshots only of a stopped instance. When the instance is running the module fails
    and says so, unless O(allow_restart=true); then it stops the instance, acts, and starts it again.
  - The C(qemu) driver has snapshots; with C(libvirt) or C(lxd) (C(multipass get local.driver)) the module fails
    before anything is changed.
  - Multipass has no snapshot expiry. O(expires) is kept as the last line of the snapshot's comment,
    C(workstation.vms.expires=<UTC time>); the returned C(comment) leaves that line out and C(expires) shows it.
    C(playbooks/reap_snapshots.yml) deletes expired snapshots.
author:
  - workstation.vms contributors (@workstation-vms)
extends_documentation_fragment:
  - workstation.vms.multipass
  - workstation.vms.snapshot
options:
  allow_restart:
    description:
      - Stop a running instance to take or restore the snapshot, and start it again afterwards.
      - When V(false), taking or restoring a snapshot of a running instance fails (nothing is changed).
        Deleting a snapshot never needs a stop.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Snapshot before the upgrade, stopping the instance for it (it is started again)
  workstation.vms.multipass_snapshot:
    instance: dev
    name: before-upgrade
    comment: Ubuntu 24.04 before dist-upgrade
    expires: 14d
    allow_restart: true

- name: Roll back (the instance must be stopped, or allow it to be)
  workstation.vms.multipass_snapshot:
    instance: dev
    name: before-upgrade
    state: restored
    allow_restart: true
"""

RETURN = r"""
snapshot:
  description:
    - The snapshot named O(name) after the run; empty when it does not exist.
    - Keys on every backend, C(name), C(created) (UTC, ISO-8601; null in check mode for a snapshot not taken yet),
      C(comment), C(expires) (UTC, ISO-8601, or null) and C(expired) (bool), then those listed here.
  returned: success
  type: dict
  contains:
    parent:
      description: The snapshot this one was taken on top of (empty for the first).
      type: str
  sample: {name: before-upgrade, created: "2026-11-23T06:30:00Z", comment: "", expires: null, expired: false,
           parent: ""}
snapshots:
  description: Every snapshot of the instance after the run (predicted in check mode), oldest first.
  returned: success
  type: list
  elements: dict
pruned:
  description: Names of the expired snapshots deleted (O(state=pruned)).
  returned: success
  type: list
  elements: str
actions:
  description: What was done, in order (including the stop and start that O(allow_restart) allows).
  returned: always
  type: list
  elements: str
  sample: [stop dev, take before-upgrade, start dev]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.workstation.vms.plugins.module_utils import snapshots as snaps
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError
from ansible_collections.workstation.vms.plugins.module_utils.multipass import (
    MultipassCli, MultipassError, module_runner, state_word)


class MultipassSnapshots(snaps.Backend):
    def __init__(self, cli, instance):
        self.cli, self.instance = cli, instance
        self.actions, self.warnings = [], []
        self.state = None

    def list(self):
        info, found = self.cli.snapshots(self.instance)
        if info is None:
            raise InputError("instance: no Multipass instance named '%s'" % self.instance)
        self.state = state_word(info.get("state"))
        result = []
        for name, snap in found.items():
            comment, expires = snaps.split_expiry(snap.get("comment"))
            result.append(snaps.entry(name, snaps.format_time(snaps.parse_time(snap.get("created"))), comment,
                                      expires, parent=snap.get("parent") or ""))
        return sorted(result, key=lambda s: (s["created"] or "", s["name"]))

    def needs_stop(self, action):
        return action in ("take", "restore") and self.state != "stopped"

    def check(self, params, action):
        self.cli.check_driver("snapshots")
        if self.state == "deleted":
            raise snaps.SnapshotError("instance: %s is deleted (multipass recover it first)" % self.instance)
        what = "%s %s" % (action, params["name"])
        if not self.needs_stop(action):
            return [what]
        if not params["allow_restart"]:
            raise snaps.SnapshotError(
                "Multipass can only %s snapshots of stopped instances and %s is %s: stop it first or set "
                "allow_restart: true (the module then stops it and starts it again)"
                % ("take" if action == "take" else "restore", self.instance, self.state))
        return ["stop %s" % self.instance, what] + (["start %s" % self.instance] if self.state == "running" else [])

    def predict(self, params, expires):
        return snaps.entry(params["name"], None, params["comment"] or "", snaps.format_time(expires), parent="")

    def _stopped(self, action, what, func):
        restart = self.needs_stop(action)
        if restart:
            self.cli.lifecycle("stop", self.instance)
            self.actions.append("stop %s" % self.instance)
        func()
        self.actions.append(what)
        if restart and self.state == "running":
            self.cli.lifecycle("start", self.instance)
            self.actions.append("start %s" % self.instance)

    def take(self, params, expires):
        comment = snaps.embed_expiry(params["comment"] or "", snaps.format_time(expires))
        self._stopped("take", "take %s" % params["name"],
                      lambda: self.cli.take_snapshot(self.instance, params["name"], comment))

    def delete(self, snap):
        self.cli.delete_snapshot(self.instance, snap)
        self.actions.append("delete %s" % snap)

    def restore(self, snap, params):
        self._stopped("restore", "restore %s" % snap, lambda: self.cli.restore_snapshot(self.instance, snap))


def main():
    spec = snaps.snapshot_argument_spec(
        allow_restart=dict(type="bool", default=False),
        executable=dict(type="str", default="multipass"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    cli = MultipassCli(module.params["executable"], run=module_runner(module))
    snaps.run(module, MultipassSnapshots(cli, module.params["instance"]), (MultipassError,))


if __name__ == "__main__":
    main()
