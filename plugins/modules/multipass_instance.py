#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: multipass_instance
short_description: Manage Multipass instances through the multipass CLI
version_added: 0.1.0
description:
  - Creates, starts, stops, suspends, restarts and deletes Canonical Multipass instances by running the
    C(multipass) command line (Multipass 1.16.x; the 1.17 development line is handled too).
  - Resources (O(cpus), O(memory), O(disk)) of an existing instance are changed with C(multipass set local.<name>.*),
    which Multipass allows only on a stopped instance. A running instance is only reported as differing
    (a warning), unless O(restart_on_change=true) or O(state=stopped).
  - Mounts are reconciled with C(multipass mount) / C(multipass umount). Multipass keeps no labels, so O(labels)
    (and the type of each mount, which C(multipass info) does not report) are kept in a local JSON file, O(label_store),
    that the C(workstation.vms.guests) inventory plugin reads.
  - The selected driver (C(multipass get local.driver)) is checked before anything is changed; features the
    driver lacks (native mounts and extra networks on C(libvirt), suspend on C(lxd)) fail with a clear message.
author:
  - workstation.vms contributors (@workstation-vms)
extends_documentation_fragment:
  - workstation.vms.instance
attributes:
  check_mode:
    support: full
    description: Predicts the same C(changed), C(diff) and C(actions) as a real run and runs only read-only commands.
  diff_mode:
    support: full
    description: Shows state, resources, mounts and labels before and after.
options:
  state:
    description:
      - V(present) the instance exists (created, and so running, when missing; a deleted one is recovered, stopped).
      - V(started), V(stopped), V(suspended) the instance exists and is in that state.
      - V(restarted) the instance is restarted (started when stopped); a freshly created one is not restarted again.
      - V(absent) the instance is deleted and purged (C(multipass delete --purge <name>)); with O(purge=false) it is
        only deleted (recoverable). Mounted host directories are never touched.
    type: str
    choices: [present, started, stopped, restarted, suspended, absent]
    default: started
  image:
    description:
      - What to launch, a release (V(24.04), V(noble), V(lts)), an alias with a remote (V(daily:25.04)), a blueprint,
        a V(file:///path/to/image.img) or an V(https://) URL of an image. Multipass's default image when omitted.
      - Used only when the instance is created; an existing instance keeps its image.
    type: str
  mounts:
    description:
      - Host directories mounted into the instance with C(multipass mount). Host directories are never created or
        deleted by the module, not even with O(state=absent).
      - Mounts in the list and not on the instance are added; mounts on the instance that are not in the list are
        removed (C(multipass umount), the host directory stays); a mount whose source, type or id maps differ is
        unmounted and mounted again. Omit the option to leave mounts alone.
    type: list
    elements: dict
    suboptions:
      source:
        description: Absolute path of an existing directory on the host.
        type: path
        required: true
      path:
        description: Absolute path in the instance.
        type: str
        required: true
      readonly:
        description: Multipass has no read-only mounts; V(true) fails with a clear message.
        type: bool
        default: false
      type:
        description:
          - C(multipass mount --type). V(native) is not available with the C(libvirt) driver.
          - C(multipass info) does not report the type, so the type the module mounted with is remembered in
            O(label_store); mounts made by hand count as V(classic).
        type: str
        choices: [classic, native]
        default: classic
      uid_map:
        description:
          - C(--uid-map) values, C(<host uid>:<instance uid>). Empty means Multipass's default, the host user
            mapped to the instance's default user.
        type: list
        elements: str
        default: []
      gid_map:
        description: C(--gid-map) values, C(<host gid>:<instance gid>), like O(mounts[].uid_map).
        type: list
        elements: str
        default: []
  wait_for:
    description:
      - What to wait for once the instance runs. V(ssh) waits for an SSH banner on the first IPv4 address;
        V(cloud-init) runs C(cloud-init status) in the instance through C(multipass exec).
    type: str
    choices: [none, ipv4, ssh, cloud-init]
    default: none
  purge:
    description:
      - With O(state=absent), also purge the instance (only this one) so that it cannot be recovered and its name is
        free again. V(false) leaves it deleted (recoverable with O(state=present)).
    type: bool
    default: true
  networks:
    description:
      - Extra network interfaces, given to C(multipass launch --network) when the instance is created
        (C(multipass networks) lists the names). Not available with the C(libvirt) driver.
      - Multipass does not report an instance's networks, so they are used only at creation.
    type: list
    elements: dict
    suboptions:
      name:
        description: Host network (interface or bridge) name.
        type: str
        required: true
      mode:
        description: V(auto) configures the interface in the instance, V(manual) leaves it unconfigured.
        type: str
        choices: [auto, manual]
      mac:
        description: MAC address of the interface in the instance.
        type: str
  bridged:
    description: Add C(--bridged) at creation (the network named by C(multipass get local.bridged-network)).
    type: bool
    default: false
  restart_on_change:
    description:
      - Stop the running instance, change its resources and start it again. Without it, differing resources of a
        running instance are reported in a warning and RV(pending) and left alone.
    type: bool
    default: false
  timeout:
    description: Seconds given to C(multipass launch/start/restart --timeout). Multipass's default when omitted.
    type: int
  executable:
    description: The C(multipass) command to run (a name looked up in E(PATH), or a path).
    type: str
    default: multipass
  label_store:
    description:
      - JSON file holding the labels (and mount types) of Multipass instances, created 0600 when needed.
      - The inventory plugin C(workstation.vms.guests) reads the same default file.
      - Defaults to C(~/.local/share/workstation.vms/multipass/labels.json).
    type: path
notes:
  - O(cloud_init) is rendered to a 0600 temporary file that is removed afterwards. When Multipass is the snap, the
    file is written to C(~/snap/multipass/common), a directory the confined client can read.
  - Multipass reports memory and disk only rounded (C(1.0GiB)); sizes are compared at that precision.
  - Disks only grow; a smaller O(disk) than the instance has fails before anything is changed.
seealso:
  - name: Multipass command-line reference
    description: The commands this module runs.
    link: https://documentation.ubuntu.com/multipass/latest/reference/command-line-interface/
  - module: workstation.vms.lxd_instance
  - module: workstation.vms.qemu_vm
"""

EXAMPLES = r"""
- name: A development VM with the project mounted and cloud-init packages
  workstation.vms.multipass_instance:
    name: dev
    image: "24.04"
    cpus: 2
    memory: 4G
    disk: 20G
    cloud_init:
      packages: [git, make]
    mounts:
      - source: "{{ lookup('env', 'HOME') }}/src"
        path: /home/ubuntu/src
    labels:
      role: dev
    wait_for: cloud-init

- name: Give it more memory (applied while stopped, then started again)
  workstation.vms.multipass_instance:
    name: dev
    memory: 8G
    restart_on_change: true

- name: Native mount with explicit id maps
  workstation.vms.multipass_instance:
    name: dev
    state: present
    mounts:
      - source: /srv/data
        path: /data
        type: native
        uid_map: ["1000:1000"]
        gid_map: ["1000:1000"]

- name: Delete and purge it
  workstation.vms.multipass_instance:
    name: dev
    state: absent
"""

RETURN = r"""
instance:
  description: The instance after the run, in the shape every workstation.vms instance module returns.
  returned: success, unless O(state=absent) purged it (then only name, backend and state V(absent))
  type: dict
  contains:
    name: {description: Instance name., type: str, returned: always, sample: dev}
    backend: {description: Always V(multipass)., type: str, returned: always, sample: multipass}
    type: {description: Always V(vm)., type: str, returned: always, sample: vm}
    state:
      description: V(running), V(stopped), V(suspended), V(deleted), V(starting), ..., or V(absent).
      type: str
      returned: always
      sample: running
    status: {description: The state as Multipass spells it., type: str, returned: when it exists, sample: Running}
    ipv4: {description: IPv4 addresses (management address first)., type: list, elements: str, returned: always}
    ipv6: {description: IPv6 addresses (Multipass reports none)., type: list, elements: str, returned: always}
    image: {description: Image release (C(image_release))., type: str, returned: always, sample: 24.04 LTS}
    cpus: {description: Number of CPUs., type: int, returned: always, sample: 2}
    memory: {description: Memory in bytes (rounded as Multipass reports it)., type: int, returned: always}
    disk: {description: Disk size in bytes (rounded as Multipass reports it)., type: int, returned: always}
    mounts:
      description: Mounts (source, path, type, uid_map, gid_map, readonly).
      type: list
      elements: dict
      returned: always
    labels: {description: Labels from the label store., type: dict, returned: always, sample: {role: dev}}
    release: {description: OS release inside the instance (only while running)., type: str, returned: always}
actions:
  description: What was done (or, in check mode, would be done), in order.
  returned: always
  type: list
  elements: str
  sample: ["launch", "mount /home/ubuntu/src", "set memory"]
pending:
  description: Resources that differ on a running instance and were left alone (see O(restart_on_change)).
  returned: always
  type: list
  elements: str
  sample: [memory]
driver:
  description: The Multipass driver, when it had to be checked.
  returned: when checked
  type: str
  sample: qemu
"""

import hashlib
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.workstation.vms.plugins.module_utils import common
from ansible_collections.workstation.vms.plugins.module_utils.cloudinit import render_user_data
from ansible_collections.workstation.vms.plugins.module_utils.multipass import (
    LabelStore, MultipassCli, MultipassError, module_runner, mount_maps, mounts_from_info, parse_human_size,
    same_size, state_word, to_multipass_size, validate_name, write_user_data)
from ansible_collections.workstation.vms.plugins.module_utils.waiting import WaitTimeout, poll, ssh_banner

STATES = ["present", "started", "stopped", "restarted", "suspended", "absent"]
RESOURCES = ("cpus", "memory", "disk")


def argument_spec():
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
        executable=dict(type="str", default="multipass"),
        label_store=dict(type="path"),
    )
    return spec


def wanted_settings(params):
    """Validate the input (before any change) and return what the task asks for."""
    want = dict(name=validate_name(params["name"]), state=params["state"])
    want["cpus"] = common.check_positive(params["cpus"], "cpus")
    want["memory"] = common.parse_size(params["memory"], "memory")
    want["disk"] = common.parse_size(params["disk"], "disk")
    for option in ("memory", "disk"):
        if want[option] == 0:
            raise common.InputError("%s: must be more than 0" % option)
    want["user_data"] = render_user_data(params["cloud_init"])
    want["labels"] = common.validate_labels(params["labels"]) if params["labels"] is not None else None
    want["mounts"] = None
    if params["mounts"] is not None:
        mounts = common.normalize_mounts(params["mounts"], must_exist=params["state"] != "absent")
        want["mounts"] = []
        for index, mount in enumerate(mounts):
            if mount["readonly"]:
                raise common.InputError("mounts[%d].readonly: Multipass has no read-only mounts; drop readonly "
                                        "or use another backend" % index)
            want["mounts"].append(dict(
                source=mount["source"], path=mount["path"], type=mount.get("type") or "classic",
                uid_map=sorted(mount_maps(mount.get("uid_map"), "mounts[%d].uid_map" % index)),
                gid_map=sorted(mount_maps(mount.get("gid_map"), "mounts[%d].gid_map" % index)), readonly=False))
    if params["timeout"] is not None:
        common.check_positive(params["timeout"], "timeout")
    return want


def effective_maps(mount):
    """The maps `multipass info` shows for a wanted mount: none given = the host user -> "default"."""
    return (mount["uid_map"] or ["%d:default" % os.getuid()], mount["gid_map"] or ["%d:default" % os.getgid()])


def mount_text(mount):
    return "%s -> %s (%s; uid %s; gid %s)" % (
        mount["source"], mount["path"], mount["type"], ",".join(mount["uid_map"]), ",".join(mount["gid_map"]))


class Converger:
    """parse -> compare -> act -> report, for one instance."""

    def __init__(self, module, cli, want):
        self.module = module
        self.cli = cli
        self.want = want
        self.params = module.params
        self.check = module.check_mode
        self.actions = []
        self.pending = []
        self.warnings = []
        self.before = {}
        self.after = {}

    def act(self, label, func, *args, **kwargs):
        self.actions.append(label)
        if not self.check:
            func(*args, **kwargs)

    def converge(self):
        want = self.want
        name = want["name"]
        info = self.cli.info(name)
        status = info.get("state") if info else None
        self.before = self.managed(info) if info else {"state": "absent"}
        if want["state"] == "absent":
            return self.absent(name, status)
        self.check_driver(info is None)
        created = False
        if info is None:
            info = self.launch(name)
            created = True
            status = "Running"
        elif status == "Deleted":
            self.act("recover", self.cli.recover, name)
            status = "Stopped"
        elif self.params["image"]:
            self.warnings.append("image is used only when the instance is created; %s keeps its image" % name)
        self.after = self.managed(info) if not created or not self.check else dict(
            state="running", mounts=[mount_text(m) for m in self.launch_mounts()], labels={})
        restarted = created
        if not created:
            status, restarted = self.resources(name, status)
        self.reconcile_mounts(name, info if not (created and self.check) else None)
        self.reconcile_labels(name, created)
        status = self.reach_state(name, status, restarted)
        self.after["state"] = state_word(status)
        if not self.check and status == "Running":
            self.wait(name)
        return self.report(name)

    # -- pieces

    def check_driver(self, creating):
        needs = []
        if self.want["mounts"] and any(m["type"] == "native" for m in self.want["mounts"]):
            needs.append("native mounts")
        if creating and (self.params["networks"] or self.params["bridged"]):
            needs.append("networks")
        if self.want["state"] == "suspended":
            needs.append("suspend")
        for feature in needs:
            self.cli.check_driver(feature)

    def launch_mounts(self):
        """Wanted mounts that `launch --mount` can make (classic, default maps); the rest are mounted after."""
        return [m for m in self.want["mounts"] or [] if m["type"] == "classic" and not m["uid_map"]
                and not m["gid_map"]]

    def launch(self, name):
        want = self.want
        path = None
        try:
            if want["user_data"] and not self.check:
                path = write_user_data(want["user_data"])
            at_launch = self.launch_mounts()
            self.act("launch", self.cli.launch, name, image=self.params["image"], cpus=want["cpus"],
                     memory=want["memory"], disk=want["disk"], cloud_init_file=path,
                     mounts=[(m["source"], m["path"]) for m in at_launch],
                     networks=self.params["networks"], bridged=self.params["bridged"], timeout=self.params["timeout"])
        finally:
            if path:
                os.unlink(path)
        if want["user_data"] and not self.check:
            self.cli.store.update(name, cloud_init_digest=digest(want["user_data"]))
        if self.check:
            return {"state": "Running", "mounts": {}}
        return self.cli.info(name) or {}

    def resources(self, name, status):
        want = self.want
        asked = [key for key in RESOURCES if want[key] is not None]
        if not asked:
            return status, False
        current = self.cli.resources(name)
        differ = []
        for key in asked:
            if key == "cpus":
                same = current["cpus"] == want["cpus"]
            else:
                same = same_size(current[key], want[key])
            self.before[key] = current[key] if key != "cpus" else current["cpus"]
            self.after[key] = self.before[key] if same else (
                want[key] if key == "cpus" else common.format_size(want[key]))
            if not same:
                differ.append(key)
        if "disk" in differ and (parse_human_size(current["disk"])[0] or 0) > want["disk"]:
            raise common.InputError("disk: Multipass disks only grow; %s has %s, asked for %s"
                                    % (name, current["disk"], common.format_size(want["disk"])))
        if not differ:
            return status, False
        restarted = False
        if status != "Stopped":
            if self.want["state"] == "stopped":
                self.act("stop", self.cli.lifecycle, "stop", name)
            elif self.params["restart_on_change"] or self.want["state"] == "restarted":
                self.act("stop", self.cli.lifecycle, "stop", name)
                restarted = True
            else:
                self.pending = differ
                for key in differ:
                    self.after[key] = self.before[key]
                self.warnings.append("%s of %s differ, but Multipass changes them only on a stopped instance; "
                                     "set restart_on_change=true or state=stopped to apply them"
                                     % (", ".join(differ), name))
                return status, False
            status = "Stopped"
        for key in differ:
            value = want[key] if key == "cpus" else to_multipass_size(want[key])
            self.act("set %s" % key, self.cli.set, "local.%s.%s" % (name, key), value)
        if restarted:
            self.act("start", self.cli.lifecycle, "start", name, self.params["timeout"])
            status = "Running"
        return status, restarted

    def reconcile_mounts(self, name, info):
        wanted = self.want["mounts"]
        if wanted is None:
            return
        store = self.cli.store.entry(name).get("mount_types") or {}
        current = {m["path"]: m for m in mounts_from_info(info or {}, store)}
        if info is None:  # just launched in check mode: --mount made these
            current = {m["path"]: dict(m, uid_map=effective_maps(m)[0], gid_map=effective_maps(m)[1])
                       for m in self.launch_mounts()}
        want_by_path = {m["path"]: m for m in wanted}
        types = dict(store)
        for path in sorted(current):
            if path not in want_by_path:
                self.act("umount %s" % path, self.cli.umount, name, path)
                types.pop(path, None)
        for path, mount in sorted(want_by_path.items()):
            have = current.get(path)
            uid_map, gid_map = effective_maps(mount)
            if have is not None and (have["source"], have["type"], tuple(have["uid_map"]), tuple(have["gid_map"])) \
                    == (mount["source"], mount["type"], tuple(sorted(uid_map)), tuple(sorted(gid_map))):
                continue
            if have is not None:
                self.act("umount %s" % path, self.cli.umount, name, path)
            self.act("mount %s" % path, self.cli.mount, name, mount["source"], path, mount["type"],
                     mount["uid_map"], mount["gid_map"])
            if mount["type"] == "native":
                types[path] = "native"
            else:
                types.pop(path, None)
        self.after["mounts"] = [mount_text(dict(m, uid_map=effective_maps(m)[0], gid_map=effective_maps(m)[1]))
                                for _p, m in sorted(want_by_path.items())]
        if types != store and not self.check:
            self.cli.store.update(name, mount_types=types or None)

    def reconcile_labels(self, name, created):
        labels = self.want["labels"]
        current = self.cli.store.labels(name) if not created else {}
        if labels is None or labels == current:
            return
        self.after["labels"] = labels
        self.act("labels", self.cli.store.update, name, labels=labels or None)

    def reach_state(self, name, status, restarted):
        state = self.want["state"]
        lifecycle = self.cli.lifecycle
        timeout = self.params["timeout"]
        if state == "started" and status != "Running":
            self.act("start", lifecycle, "start", name, timeout)
            status = "Running"
        elif state == "stopped" and status != "Stopped":
            self.act("stop", lifecycle, "stop", name)
            status = "Stopped"
        elif state == "restarted" and not restarted:
            self.act("restart" if status == "Running" else "start", lifecycle,
                     "restart" if status == "Running" else "start", name, timeout)
            status = "Running"
        elif state == "suspended" and status != "Suspended":
            if status != "Running":
                self.act("start", lifecycle, "start", name, timeout)
            self.act("suspend", lifecycle, "suspend", name)
            status = "Suspended"
        return status

    def absent(self, name, status):
        purge = self.params["purge"]
        if status is None or (status == "Deleted" and not purge):
            return self.finish({"name": name, "backend": "multipass", "state": "absent"}, {"state": "absent"})
        self.act("purge" if status == "Deleted" else "delete", self.cli.delete, name, purge)
        after = {"state": "absent" if purge else "deleted"}
        return self.finish(common.instance_result(name, "multipass", "vm", after["state"]), after)

    def wait(self, name):
        what = self.params["wait_for"]
        timeout = self.params["wait_timeout"]
        if what in ("ipv4", "ssh"):
            addresses = poll(lambda: self.ipv4(name), timeout, "an IPv4 address of %s" % name)
            if what == "ssh":
                poll(lambda: ssh_banner(addresses[0]), timeout, "SSH on %s (%s)" % (name, addresses[0]))
        elif what == "cloud-init":
            poll(lambda: self.cli.cloud_init_done(name), timeout, "cloud-init in %s" % name)

    def ipv4(self, name):
        info = self.cli.info(name) or {}
        addresses = [ip for ip in info.get("ipv4") or [] if ":" not in ip]
        return addresses or (False, "state %s, no address" % info.get("state"))

    def managed(self, info):
        return dict(state=state_word(info.get("state")),
                    mounts=[mount_text(m) for m in mounts_from_info(info, self.cli.store.entry(
                        self.want["name"]).get("mount_types"))],
                    labels=self.cli.store.labels(self.want["name"]))

    def report(self, name):
        if self.check:
            instance = common.instance_result(name, "multipass", "vm", self.after["state"],
                                              labels=self.after.get("labels") or {})
        else:
            info = self.cli.info(name) or {}
            instance = self.cli.describe(name, info, resources=self.cli.resources(name))
            if self.want["user_data"] and self.actions[:1] != ["launch"]:
                stored = self.cli.store.entry(name).get("cloud_init_digest")
                if stored and stored != digest(self.want["user_data"]):
                    self.warnings.append("cloud_init differs from the user-data %s was created with; it takes "
                                         "effect only on a new instance" % name)
        return self.finish(instance, self.after)

    def finish(self, instance, after):
        diff = common.make_diff(self.before, after, self.want["name"])
        result = dict(changed=bool(self.actions), actions=self.actions, pending=self.pending, instance=instance,
                      diff=diff)
        if self.cli._driver:  # pylint: disable=protected-access
            result["driver"] = self.cli._driver  # pylint: disable=protected-access
        return result


def digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        want = wanted_settings(module.params)
    except common.InputError as exc:
        module.fail_json(msg=str(exc))
    cli = MultipassCli(module.params["executable"], run=module_runner(module),
                       label_store=LabelStore(module.params["label_store"]))
    converger = Converger(module, cli, want)
    try:
        result = converger.converge()
    except common.InputError as exc:
        module.fail_json(msg=str(exc), actions=converger.actions)
    except MultipassError as exc:
        module.fail_json(msg=str(exc), rc=exc.rc, stderr=exc.stderr, cmd=exc.command, actions=converger.actions)
    except WaitTimeout as exc:
        module.fail_json(msg=str(exc), actions=converger.actions)
    for warning in converger.warnings:
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
