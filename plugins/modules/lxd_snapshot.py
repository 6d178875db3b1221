#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_snapshot
short_description: Take, restore and delete snapshots of LXD and Incus instances
version_added: 0.1.0
description:
  - Takes (O(state=present)), deletes (O(state=absent)) and restores (O(state=restored)) a snapshot of an LXD or
    Incus instance through the REST API, and returns the instance's snapshots.
  - Same options and return values as M(workstation.vms.qemu_snapshot) and M(workstation.vms.multipass_snapshot).
  - O(expires) becomes the snapshot's C(expires_at); LXD deletes expired snapshots by itself.
  - LXD 5.0 keeps no comment with a snapshot; O(comment) is then ignored with a warning.
author:
  - workstation.vms contributors (@workstation-vms)
extends_documentation_fragment:
  - workstation.vms.snapshot
  - workstation.vms.lxd
options:
  stateful:
    description:
      - Also save the running instance's memory and processes, and restore them with the snapshot.
      - Containers need CRIU on the LXD host for this; when it is missing the module fails and says so.
        Ignored (with a warning) for a stopped instance.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for LXD to finish taking, restoring or deleting the snapshot.
    type: int
    default: 120
notes:
  - A restore puts back the root disk and the configuration the instance had when the snapshot was taken. A running
    container keeps running (LXD restarts it); with a stateful snapshot its processes come back too.
"""

EXAMPLES = r"""
- name: Snapshot the dev container before the upgrade, kept for a week
  workstation.vms.lxd_snapshot:
    instance: dev
    name: before-upgrade
    expires: 7d

- name: Roll back
  workstation.vms.lxd_snapshot:
    instance: dev
    name: before-upgrade
    state: restored

- name: Drop the snapshot
  workstation.vms.lxd_snapshot:
    instance: dev
    name: before-upgrade
    state: absent
"""

RETURN = r"""
snapshot:
  description:
    - The snapshot named O(name) after the run; empty when it does not exist (O(state=absent)).
    - Keys on every backend, C(name), C(created) (UTC, ISO-8601; null in check mode for a snapshot not taken yet),
      C(comment), C(expires) (UTC, ISO-8601, or null) and C(expired) (bool), then those listed here.
  returned: success
  type: dict
  contains:
    stateful:
      description: Whether the memory state was saved too.
      type: bool
    size:
      description: Disk space the snapshot uses, in bytes, when the storage driver reports it.
      type: int
  sample: {name: before-upgrade, created: "2026-11-23T06:30:00Z", comment: "", expires: "2026-11-30T06:30:00Z",
           expired: false, stateful: false, size: 1234}
snapshots:
  description: Every snapshot of the instance after the run (predicted in check mode), oldest first, each like RV(snapshot).
  returned: success
  type: list
  elements: dict
pruned:
  description: Names of the expired snapshots deleted (O(state=pruned)).
  returned: success
  type: list
  elements: str
actions:
  description: What was done, in order.
  returned: always
  type: list
  elements: str
  sample: [take before-upgrade]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.workstation.vms.plugins.module_utils import lxd
from ansible_collections.workstation.vms.plugins.module_utils import snapshots as snaps
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError, check_positive


class LxdSnapshots(snaps.Backend):
    def __init__(self, client, instance, timeout):
        self.client, self.instance, self.timeout = client, instance, timeout
        self.actions, self.warnings = [], []
        self._inst = None

    def info(self):
        if self._inst is None:
            self._inst = self.client.instance(self.instance)
            if self._inst is None:
                self.client.check_project()
                raise InputError("instance: no LXD instance named '%s'" % self.instance)
        return self._inst

    def running(self):
        return (self.info().get("status") or "").lower() == "running"

    def list(self):
        self.info()
        return [snaps.entry(lxd.snapshot_short_name(s), snaps.format_time(snaps.parse_time(s.get("created_at"))),
                            s.get("description") or "",
                            snaps.format_time(snaps.parse_time(s.get("expires_at"))),
                            stateful=bool(s.get("stateful")),
                            size=s["size"] if (s.get("size") or -1) >= 0 else None)
                for s in lxd.list_snapshots(self.client, self.instance)]

    def check(self, params, action):
        if params["comment"] and action == "take":
            self.warnings.append("comment: LXD keeps no comment with a snapshot; ignored")
        if params["stateful"] and action == "take" and not self.running():
            self.warnings.append("stateful: %s is not running, so there is no memory state to save; taking a "
                                 "stateless snapshot" % self.instance)
        return super().check(params, action)

    def predict(self, params, expires):
        return snaps.entry(params["name"], None, "", snaps.format_time(expires),
                           stateful=bool(params["stateful"] and self.running()), size=None)

    def _call(self, what, func, *args, **kwargs):
        try:
            func(self.client, self.instance, *args, **kwargs)
        except lxd.LxdError as exc:
            text = str(exc)
            if "criu" in text.lower():
                raise snaps.SnapshotError(
                    "stateful: a stateful snapshot of container %s needs CRIU on the LXD host, which is not available "
                    "there (LXD said: %s). Install criu on the host or use stateful: false" % (self.instance, text))
            raise snaps.SnapshotError("%s of %s failed: %s" % (what, self.instance, text))
        self.actions.append(what)

    def take(self, params, expires):
        stateful = bool(params["stateful"] and self.running())
        self._call("take %s" % params["name"], lxd.take_snapshot, params["name"], stateful,
                   snaps.format_time(expires), timeout=self.timeout)

    def delete(self, snap):
        self._call("delete %s" % snap, lxd.delete_snapshot, snap, timeout=self.timeout)

    def restore(self, snap, params):
        stateful = any(s["name"] == snap and s.get("stateful") for s in self.list())
        self._call("restore %s" % snap, lxd.restore_snapshot, snap, stateful, timeout=self.timeout)


def main():
    spec = snaps.snapshot_argument_spec(
        stateful=dict(type="bool", default=False),
        timeout=dict(type="int", default=120),
        **lxd.connection_argument_spec()
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, mutually_exclusive=[("socket", "url")])
    params = module.params
    try:
        check_positive(params["timeout"], "timeout")
        client = lxd.LxdClient.from_params(params)
        backend = LxdSnapshots(client, params["instance"], params["timeout"])
        snaps.run(module, backend, (lxd.LxdError,))
    except (InputError, lxd.LxdError) as exc:
        module.fail_json(msg=str(exc), changed=False, actions=[])


if __name__ == "__main__":
    main()
