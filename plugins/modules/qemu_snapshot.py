#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: qemu_snapshot
short_description: Take, restore and delete snapshots of libvirt/QEMU virtual machines
version_added: 0.1.0
description:
  - Takes (O(state=present)), deletes (O(state=absent)) and restores (O(state=restored)) a libvirt snapshot of a
    domain (for example one made by M(workstation.vms.qemu_vm)), and returns the domain's snapshots.
  - Same options and return values as M(workstation.vms.lxd_snapshot) and M(workstation.vms.multipass_snapshot).
  - Internal snapshots live inside the qcow2 disk (also a qcow2 overlay on a read-only base image, as
    M(workstation.vms.qemu_vm) makes). Of a stopped VM it is a disk snapshot; of a running VM it is a checkpoint of
    the disks and the memory, which libvirt reverts live (the VM goes on running from the moment of the snapshot).
  - External snapshots are disk-only; of a running VM they are atomic (and quiesced through the guest agent when it
    answers). libvirt reverts them only from 9.9 and deletes them only from 9.7 on; older libvirt (Debian 12 has 9.0)
    refuses, and so does this module, with a message.
  - A stateless VM (root disk C(<transient/>), O(workstation.vms.qemu_vm#module:stateless=true)) has nothing to
    snapshot, so the module refuses. Read-only disks (the cloud-init seed) are left out of snapshots.
  - libvirt has no snapshot expiry. O(expires) is kept as the last line of the snapshot's description,
    C(workstation.vms.expires=<UTC time>); C(playbooks/reap_snapshots.yml) deletes expired snapshots.
author:
  - workstation.vms contributors (@workstation-vms)
extends_documentation_fragment:
  - workstation.vms.snapshot
  - workstation.vms.libvirt
options:
  mode:
    description:
      - Where the snapshot is kept, used when it is taken.
      - V(auto) is V(internal) when every writable disk is qcow2 (always the case for M(workstation.vms.qemu_vm)),
        V(external) otherwise.
      - V(internal) keeps it inside the qcow2 disks (with the memory when the VM is running).
      - V(external) makes a disk-only snapshot in new overlay files C(<disk>.<name>) next to each disk; the VM goes
        on writing to those.
    type: str
    choices: [auto, internal, external]
    default: auto
  allow_restart:
    description:
      - Restoring a snapshot taken of a stopped VM while the VM runs needs a stop. With V(true) the module shuts the
        VM down (ACPI, then forced after O(stop_timeout)), restores, and starts it again; with V(false) it fails and
        changes nothing.
    type: bool
    default: false
  stop_timeout:
    description:
      - Seconds to wait for an ACPI shutdown before the VM is forced off (O(allow_restart)).
    type: int
    default: 60
"""

EXAMPLES = r"""
- name: Checkpoint the running VM (disks and memory) before the upgrade
  workstation.vms.qemu_snapshot:
    instance: dev
    name: before-upgrade
    comment: before apt full-upgrade
    expires: 3d

- name: Roll back, live
  workstation.vms.qemu_snapshot:
    instance: dev
    name: before-upgrade
    state: restored
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
    kind:
      description: V(internal) or V(external).
      type: str
    memory:
      description: Whether the memory was saved too (an internal snapshot of a running VM).
      type: bool
    vm_state:
      description: The domain's state when it was taken (C(shutoff), C(running), C(disk-snapshot)).
      type: str
    parent:
      description: The snapshot this one was taken on top of.
      type: str
    current:
      description: Whether this is the domain's current snapshot (the last taken or restored).
      type: bool
  sample: {name: before-upgrade, created: "2026-11-23T06:30:00Z", comment: "", expires: null, expired: false,
           kind: internal, memory: true, vm_state: running, parent: "", current: true}
snapshots:
  description: Every snapshot of the VM after the run (predicted in check mode), oldest first.
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

import datetime

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.workstation.vms.plugins.module_utils import libvirt_snapshot_xml as snapxml
from ansible_collections.workstation.vms.plugins.module_utils import snapshots as snaps
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_client import (
    DEFAULT_URI, HAS_LIBVIRT, LibvirtClient, LibvirtError)
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError


def _created(epoch):
    if not epoch:
        return None
    return snaps.format_time(datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc))


class LibvirtSnapshots(snaps.Backend):
    def __init__(self, client, instance, stop_timeout):
        self.client, self.instance, self.stop_timeout = client, instance, stop_timeout
        self.actions, self.warnings = [], []
        self.dom = client.lookup(instance)
        if self.dom is None:
            raise InputError("instance: no libvirt domain named '%s' on %s" % (instance, client.uri))
        self._found = {}
        self.mode = None

    def running(self):
        return self.client.state(self.dom) in ("running", "paused", "blocked")

    def disks(self):
        return snapxml.snapshot_disks(self.client.xml(self.dom))

    def list(self):
        result = []
        self._found = {}
        for snap, data in self.client.snapshots(self.dom):
            self._found[data["name"]] = (snap, data)
            comment, expires = snaps.split_expiry(data["description"])
            result.append(snaps.entry(data["name"], _created(data["created"]), comment, expires, kind=data["kind"],
                                      memory=data["memory"], vm_state=data["state"], parent=data["parent"],
                                      current=data["current"]))
        return result

    def _version_check(self, data, what, needed):
        have = self.client.library_version() if data["kind"] == "external" else needed
        if have < needed:
            raise snaps.SnapshotError(
                "libvirt %d.%d cannot %s an external snapshot (it can from %d.%d on); snapshot %s of %s is external"
                % (have // 1000000, have // 1000 % 1000, what, needed // 1000000, needed // 1000 % 1000,
                   data["name"], self.instance))

    def needs_stop(self, data):
        """A disk-only snapshot cannot be put back under a running VM."""
        return self.running() and not data["memory"]

    def check(self, params, action):
        if action == "take":
            self.mode = snapxml.snapshot_mode(params["mode"], self.running(), self.disks())
            return ["take %s (%s%s)" % (params["name"], self.mode,
                                        ", with memory" if self.running() and self.mode == "internal" else "")]
        data = self._found[params["name"]][1]
        if action == "delete":
            self._version_check(data, "delete", snapxml.EXTERNAL_DELETE_VERSION)
            return ["delete %s" % params["name"]]
        self._version_check(data, "restore", snapxml.EXTERNAL_REVERT_VERSION)
        if self.needs_stop(data):
            if not params["allow_restart"]:
                raise snaps.SnapshotError(
                    "snapshot %s of %s was taken without memory state, so %s must be stopped to restore it: stop it "
                    "first or set allow_restart: true" % (params["name"], self.instance, self.instance))
            return ["stop %s" % self.instance, "restore %s" % params["name"], "start %s" % self.instance]
        return ["restore %s" % params["name"]]

    def predict(self, params, expires):
        running = self.running()
        return snaps.entry(params["name"], None, params["comment"] or "", snaps.format_time(expires), kind=self.mode,
                           memory=running and self.mode == "internal",
                           vm_state=("running" if running else "shutoff") if self.mode == "internal"
                           else "disk-snapshot", parent="", current=True)

    def take(self, params, expires):
        running = self.running()
        description = snaps.embed_expiry(params["comment"] or "", snaps.format_time(expires))
        xml_text = snapxml.snapshot_xml(params["name"], description, self.mode, running, self.disks())
        self.client.take_snapshot(self.dom, xml_text, self.mode, running)
        self.actions.append("take %s (%s%s)" % (params["name"], self.mode,
                                                ", with memory" if running and self.mode == "internal" else ""))

    def delete(self, snap):
        self.client.delete_snapshot(self.dom, self._found[snap][0])
        self.actions.append("delete %s" % snap)

    def restore(self, snap, params):
        handle, data = self._found[snap]
        restart = self.needs_stop(data)
        if restart:
            self.client.stop(self.dom, self.stop_timeout)
            self.actions.append("stop %s" % self.instance)
        self.client.revert_snapshot(self.dom, handle, start=restart)
        self.actions.append("restore %s" % snap)
        if restart:
            self.actions.append("start %s" % self.instance)


def main():
    spec = snaps.snapshot_argument_spec(
        mode=dict(type="str", default="auto", choices=list(snapxml.SNAPSHOT_MODES)),
        allow_restart=dict(type="bool", default=False),
        stop_timeout=dict(type="int", default=60),
        uri=dict(type="str", default=DEFAULT_URI),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    if not HAS_LIBVIRT:
        module.fail_json(msg=missing_required_lib("libvirt-python"))
    client = None
    try:
        # the options first: a bad one is named even when the domain is missing too
        snaps.parse_expires(module.params["expires"])
        if module.params["stop_timeout"] < 0:
            raise InputError("stop_timeout: must be 0 or more, got %d" % module.params["stop_timeout"])
        client = LibvirtClient(module.params["uri"])
        backend = LibvirtSnapshots(client, module.params["instance"], module.params["stop_timeout"])
    except (InputError, LibvirtError) as exc:
        module.fail_json(msg=str(exc), changed=False, actions=[])
    try:
        snaps.run(module, backend, (LibvirtError,))
    finally:
        client.close()


if __name__ == "__main__":
    main()
