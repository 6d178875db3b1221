#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_instance
short_description: LXD and Incus containers and virtual machines
description:
  - Creates, configures, starts, stops, freezes and deletes LXD or Incus instances over the REST API.
  - Converges the settings it manages (O(config), O(devices), O(profiles), the common options) and only those;
    C(volatile.*) and C(image.*) keys belong to LXD and are never compared, reported or removed.
  - Configuration changes on a stopped instance are applied without starting it. On a running instance,
    changes LXD can apply live are applied live; the others are reported in RV(pending_restart) and applied
    with a restart only when O(restart_on_change=true).
  - A no-op run costs one API request and does not import pylxd (pylxd is imported for changes only).
version_added: 1.0.0
author: workstation.vms contributors (@workstation-vms)
extends_documentation_fragment:
  - workstation.vms.instance
  - workstation.vms.lxd
options:
  state:
    description:
      - V(present) creates the instance without starting it and leaves an existing one in its power state.
      - V(started), V(stopped), V(frozen) put it in that state (creating it when missing).
      - V(restarted) restarts a running instance (always reports a change) or starts a stopped one.
      - V(absent) deletes it. Host directories mounted into it are never touched.
    type: str
    choices: [present, started, stopped, restarted, frozen, absent]
    default: started
  type:
    description:
      - V(container) or V(virtual-machine). Only used to create; an existing instance of the other type is an
        error. V(container) when not given.
    type: str
    choices: [container, virtual-machine]
  image:
    description:
      - Where the root file system comes from, when the instance is created.
      - V(remote:alias) with a built-in remote (V(ubuntu), V(ubuntu-daily), V(ubuntu-minimal), V(images)) or
        one of O(remotes), for example V(ubuntu:24.04) or V(images:debian/12).
      - A local alias (V(debian/12)) or a local image fingerprint (12 to 64 hex digits). Local images are
        checked, and their type must match O(type), before anything is created.
      - A dict with C(server), C(protocol) (V(simplestreams) by default, or V(lxd)/V(incus)) and C(alias) or
        C(fingerprint).
      - Required to create an instance; ignored for an existing one.
    type: raw
  remotes:
    description:
      - Image servers by name, added to the built-in ones, for O(image=name:alias). A value is a URL or a dict
        with C(server) and C(protocol).
    type: dict
  config:
    description:
      - LXD config keys, for example C(limits.cpu), C(security.nesting), C(boot.autostart). Values are
        turned into strings (V(true) becomes C("true")).
      - Must not repeat a key that O(cpus), O(memory), O(cloud_init) or O(labels) set.
    type: dict
  config_mode:
    description:
      - V(merge) sets the given keys and leaves the instance's other keys alone.
      - V(replace) also removes every other local key (user keys included), except C(volatile.*) and
        C(image.*), and every local device that is not given by O(devices), O(mounts), O(ports) or O(disk).
        Keys and devices from profiles are not touched.
    type: str
    choices: [merge, replace]
    default: merge
  devices:
    description:
      - LXD devices by name, each a dict with C(type) and its properties (values turned into strings).
      - Devices of the instance not named here are left alone in O(config_mode=merge).
    type: dict
  profiles:
    description:
      - Profiles in the order LXD applies them. The server's choice (C(default)) when not given.
    type: list
    elements: str
  cpus:
    description:
      - Number of CPUs, C(limits.cpu).
  memory:
    description:
      - C(limits.memory).
  disk:
    description:
      - Size of the root disk device (a local C(root) device overriding the profile's, same pool).
  cloud_init:
    description:
      - Stored as C(cloud-init.user-data) (not the older C(user.user-data), which is left alone).
  mounts:
    description:
      - Host directories shown in the guest. Host directories are never created or deleted by the module,
        not even with O(state=absent).
      - Each mount is a C(disk) device named C(mount-<guest path>). Mounts in the list and not on the instance
        are added; local disk devices with a host source (other than the root disk, and not named in O(devices))
        that are not in the list are removed (the host directory stays). Omit the option to leave mounts alone.
    type: list
    elements: dict
    suboptions:
      source:
        description: Absolute path of an existing directory on the host.
        type: path
        required: true
      path:
        description: Absolute path in the guest.
        type: str
        required: true
      readonly:
        description: Mount read-only in the guest.
        type: bool
        default: false
      shift:
        description:
          - Map ownership with idmapped mounts (C(shift=true)) so the guest's users own what the host's own.
          - Needs kernel and daemon support. Incus 6 has it; on LXD 5.0 without idmapped-mount support the
            daemon refuses it and the module fails naming this option.
        type: bool
        default: false
  ports:
    description:
      - Host ports forwarded into the instance, as LXD C(proxy) devices named C(port-<protocol>-<host port>).
      - V(8080:80) listens on all host addresses, V(127.0.0.1:8080:80) on one, V(5353:53/udp) for UDP; or a
        dict with C(host), C(guest), C(protocol) and C(address).
      - Omit the option to leave proxy devices alone; given, proxy devices not listed are removed.
      - Containers only (on virtual machines LXD needs NAT mode and a static address, so use O(devices)).
    type: list
    elements: raw
  labels:
    description:
      - Stored as C(user.label.<key>) config keys. Other C(user.*) keys are not labels and stay untouched.
  ephemeral:
    description:
      - An ephemeral instance is deleted by LXD when it stops. Cannot be combined with O(state=stopped).
    type: bool
  restart_on_change:
    description:
      - Restart a running instance to apply changes that LXD cannot apply live (see RV(pending_restart)).
    type: bool
    default: false
  wait_for:
    description:
      - V(ipv4) waits for an IPv4 address on any NIC (or on O(wait_nic)). NICs without DHCP are never
        waited for.
      - V(agent) waits for the LXD agent of a virtual machine (needed for exec).
      - V(cloud-init) runs C(cloud-init status --wait) in the instance; V(error) fails, V(degraded) warns.
      - V(ssh) waits for an SSH banner on port 22 of the first IPv4 address.
      - Only with O(state=started), O(state=restarted) or O(state=present) (when running).
    choices: [none, ipv4, agent, cloud-init, ssh]
  wait_nic:
    description:
      - Name of the guest network interface (as C(lxc list) shows it, for example V(eth0)) that O(wait_for=ipv4)
        waits on. Any interface when not given.
    type: str
attributes:
  check_mode:
    support: full
    description: Predicts the same C(changed), C(diff) and RV(actions) as a real run, and changes nothing.
  diff_mode:
    support: full
    description: Shows the managed settings (config, devices, profiles, ephemeral, state) before and after.
notes:
  - Works with LXD 5.0 and later and with Incus 6. Virtual machines need a host with KVM and vhost_vsock.
  - A create that fails (for example the first start) deletes the instance it made.
requirements:
  - pylxd (for changes; a no-op run does not import it)
seealso:
  - name: LXD instance options
    description: Every config key and device type.
    link: https://documentation.ubuntu.com/lxd/en/latest/reference/instance_options/
"""

EXAMPLES = r"""
- name: A development container with a mounted project dir, a port and cloud-init
  workstation.vms.lxd_instance:
    name: dev
    image: ubuntu:24.04
    cpus: 4
    memory: 8GiB
    disk: 40G
    mounts:
      - source: /home/me/src
        path: /src
    ports: ["8080:80"]
    labels:
      role: dev
    cloud_init:
      packages: [git]
    wait_for: cloud-init

- name: A virtual machine on a remote server, its certificate pinned, registered once with a token
  workstation.vms.lxd_instance:
    name: vm1
    type: virtual-machine
    image: images:debian/12/cloud
    url: https://lxd.example.net:8443
    client_cert: ~/.config/lxc/client.crt
    client_key: ~/.config/lxc/client.key
    server_cert: files/lxd-server.crt
    trust_token: "{{ lxd_trust_token }}"
    wait_for: agent

- name: Exactly these settings, dropping keys and devices added by hand
  workstation.vms.lxd_instance:
    name: dev
    config_mode: replace
    config:
      security.nesting: true
    restart_on_change: true

- name: Gone (the mounted host directories stay)
  workstation.vms.lxd_instance:
    name: dev
    state: absent
"""

RETURN = r"""
instance:
  description: The instance in the shape every workstation.vms instance module returns.
  returned: always
  type: dict
  contains:
    name:
      description: Instance name.
      type: str
      returned: always
    backend:
      description: Always V(lxd) (LXD or Incus).
      type: str
      returned: always
    type:
      description: V(container) or V(virtual-machine).
      type: str
      returned: always
    state:
      description: "V(running), V(stopped), V(frozen) or V(absent)."
      type: str
      returned: always
    ipv4:
      description: Global IPv4 addresses of every NIC but lo.
      type: list
      elements: str
      returned: always
    ipv6:
      description: Global IPv6 addresses.
      type: list
      elements: str
      returned: always
    image:
      description: Image description (or fingerprint) the instance was made from.
      type: str
      returned: when it exists
    cpus:
      description: C(limits.cpu) when it is a number.
      type: int
      returned: always
    memory:
      description: C(limits.memory) in bytes.
      type: int
      returned: always
    disk:
      description: Root disk size in bytes.
      type: int
      returned: always
    mounts:
      description: "Host directories mounted: C(source), C(path), C(readonly)."
      type: list
      elements: dict
      returned: always
    labels:
      description: Labels (from C(user.label.*) keys).
      type: dict
      returned: always
    project:
      description: Project.
      type: str
      returned: when it exists
    profiles:
      description: Profiles.
      type: list
      elements: str
      returned: when it exists
    ephemeral:
      description: Whether it is ephemeral.
      type: bool
      returned: when it exists
actions:
  description: What was done (or, in check mode, would be done), in order.
  returned: always
  type: list
  elements: str
  sample: [create, start, wait cloud-init]
pending_restart:
  description: Managed settings that differ but take effect only after a restart (not applied, because
    O(restart_on_change=false)).
  returned: always
  type: list
  elements: str
  sample: ["config security.nesting"]
cloud_init_status:
  description: What C(cloud-init status) said with O(wait_for=cloud-init) (V(done) or V(degraded)).
  returned: when O(wait_for=cloud-init)
  type: str
api_calls:
  description: Number of API requests this run made.
  returned: always
  type: int
"""

import copy
import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.workstation.vms.plugins.module_utils import lxd
from ansible_collections.workstation.vms.plugins.module_utils.common import (
    InputError, check_positive, format_size, instance_argument_spec, instance_result, make_diff,
    normalize_mounts, parse_size, validate_labels)
from ansible_collections.workstation.vms.plugins.module_utils.waiting import WaitTimeout, poll, ssh_banner

STATES = ["present", "started", "stopped", "restarted", "frozen", "absent"]
WAIT_FOR = ["none", "ipv4", "agent", "cloud-init", "ssh"]
RUNNING = ("running", "frozen")


def argument_spec():
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
    )
    spec.update(lxd.connection_argument_spec())
    return spec


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---- parse: the wanted settings, validated before anything is touched ------------------------------
def wanted_settings(params):
    """Validate the options and return what they ask for: config keys, devices, and which groups are managed."""
    lxd.validate_name(params["name"])
    state, itype = params["state"], params["type"] or "container"
    config = {}
    for key, value in (params["config"] or {}).items():
        if lxd.ignored_key(key):
            raise InputError("config: '%s' belongs to LXD (volatile.* and image.* keys cannot be set)" % key)
        if isinstance(value, (dict, list)) or value is None:
            raise InputError("config: value of '%s' must be a string, number or boolean" % key)
        config[key] = _text(value)
    derived = {}
    if params["cpus"] is not None:
        derived["limits.cpu"] = ("cpus", str(check_positive(params["cpus"], "cpus")))
    memory = parse_size(params["memory"], "memory")
    if memory is not None:
        derived["limits.memory"] = ("memory", memory)
    if params["cloud_init"] is not None:
        from ansible_collections.workstation.vms.plugins.module_utils.cloudinit import render_user_data
        text = render_user_data(params["cloud_init"])
        if text:
            derived[lxd.CLOUD_INIT_KEY] = ("cloud_init", text)
    labels = None
    if params["labels"] is not None:
        labels = validate_labels(params["labels"])
        for key, value in labels.items():
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
    mounts = None
    if params["mounts"] is not None:
        mounts = normalize_mounts(params["mounts"], must_exist=state != "absent")
        mounts = lxd.mount_devices(mounts)
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
    disk = parse_size(params["disk"], "disk")

    if params["ephemeral"] and state == "stopped":
        raise InputError("ephemeral: an ephemeral instance is deleted when it stops; state=stopped is not possible")
    if params["wait_for"] == "agent" and itype != "virtual-machine" and params["type"]:
        raise InputError("wait_for: agent is for type virtual-machine (containers have no agent)")
    if params["wait_for"] != "none" and state in ("stopped", "frozen", "absent"):
        raise InputError("wait_for: %s cannot be awaited with state=%s" % (params["wait_for"], state))
    if params["wait_nic"] and params["wait_for"] not in ("ipv4", "ssh"):
        raise InputError("wait_nic: only used with wait_for=ipv4 or ssh")
    if params["profiles"] is not None:
        for profile in params["profiles"]:
            if not profile:
                raise InputError("profiles: empty profile name")
    return dict(config=config, devices=devices, labels=labels is not None, mounts=mounts is not None,
                ports=ports is not None, disk=disk, profiles=params["profiles"], ephemeral=params["ephemeral"])


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
def plan_settings(current, wanted, mode):
    """The local config and devices the instance should have: returns (config, devices) without the
    volatile.*/image.* keys (they are carried over untouched when the update is sent)."""
    cur_config = {k: v for k, v in (current.get("config") or {}).items() if not lxd.ignored_key(k)}
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
            if (wanted["mounts"] and lxd.is_mount_device(devices[dname])) or \
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
    """The managed settings as the diff shows them."""
    return {"state": state, "config": dict(sorted(config.items())), "devices": dict(sorted(devices.items())),
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


# ---- act ---------------------------------------------------------------------------------------------
class Runner:
    """Plans and (unless check mode) performs the changes; records actions in order."""

    def __init__(self, module, client, params, wanted):
        self.module, self.client, self.params, self.wanted = module, client, params, wanted
        self.check = module.check_mode
        self.actions = []
        self.warnings = []
        self.name = params["name"]
        self.result_extra = {}

    def act(self, action, func, *args, **kwargs):
        self.actions.append(action)
        if not self.check:
            return func(*args, **kwargs)
        return None

    def stop(self, status, force=False):
        if status == "frozen":
            self.act("unfreeze", self.client.set_state, self.name, "unfreeze")
        self.act("stop", self._stop, force)

    def _stop(self, force):
        try:
            self.client.set_state(self.name, "stop", force=force)
        except lxd.LxdError:
            if force:
                raise
            self.client.set_state(self.name, "stop", force=True)

    def power(self, status, target):
        """From `status` (running, stopped, frozen) to the wanted state."""
        if target in ("started", "restarted", "frozen") and status == "stopped":
            self.act("start", self.client.set_state, self.name, "start")
            status = "running"
        if target == "started" and status == "frozen":
            self.act("unfreeze", self.client.set_state, self.name, "unfreeze")
        if target == "frozen" and status == "running":
            self.act("freeze", self.client.set_state, self.name, "freeze")
        if target == "stopped" and status in RUNNING:
            self.stop(status)

    def create(self):
        params, wanted = self.params, self.wanted
        itype = params["type"] or "container"
        if params["image"] is None:
            raise InputError("image: required to create instance '%s'" % self.name)
        source = lxd.image_source(params["image"], params["remotes"])
        if source.get("local"):
            source = lxd.resolve_local_image(self.client, source, itype)
        current = {"config": {}, "devices": {}}
        if wanted["disk"] is not None:
            current["expanded_devices"] = self.profile_root(wanted["profiles"])
        config, devices = plan_settings(current, wanted, "replace")
        profiles = wanted["profiles"] if wanted["profiles"] is not None else ["default"]
        body = {"name": self.name, "type": itype, "source": source, "config": config, "devices": devices,
                "ephemeral": bool(wanted["ephemeral"])}
        if wanted["profiles"] is not None:
            body["profiles"] = wanted["profiles"]
        target = params["state"] if params["state"] != "present" else "stopped"
        after = view(config, devices, profiles, wanted["ephemeral"], "running" if target != "stopped" else "stopped")
        if target == "frozen":
            after["state"] = "frozen"
        self.act("create", self._create, body, target)
        return view({}, {}, [], False, "absent"), after

    def _create(self, body, target):
        try:
            self.client.create(body, timeout=max(self.params["wait_timeout"], 120))
            if target != "stopped":
                self.client.set_state(self.name, "start")
                if target == "frozen":
                    self.client.set_state(self.name, "freeze")
        except lxd.LxdError as exc:
            self.undo_create()
            raise lxd.LxdError("creating %s failed (what was created is deleted again): %s%s"
                               % (self.name, exc, shift_hint(exc)))

    def undo_create(self):
        try:
            if self.client.instance(self.name) is not None:
                try:
                    self.client.set_state(self.name, "stop", force=True)
                except lxd.LxdError:
                    pass
                self.client.delete(self.name)
        except lxd.LxdError as exc:
            self.warnings.append("could not delete the half-made instance %s: %s" % (self.name, exc))

    def profile_root(self, profiles):
        """The root disk device the profiles give (to set its size at create)."""
        root = {}
        for profile in profiles if profiles is not None else ["default"]:
            devices = self.client.request("GET", "/profiles/%s" % profile)["metadata"].get("devices") or {}
            for dname, device in devices.items():
                if device.get("type") == "disk" and device.get("path") == "/":
                    root = {dname: device}
        if not root:
            raise InputError("disk: the profiles give no root disk device to size")
        return root

    def converge(self, current):
        params, wanted = self.params, self.wanted
        status = (current.get("status") or "").lower()
        itype = current.get("type", "container")
        if params["type"] and params["type"] != itype:
            raise InputError("type: instance %s is a %s; the type cannot change (delete it first)" % (self.name, itype))
        config, devices = plan_settings(current, wanted, params["config_mode"])
        profiles = wanted["profiles"] if wanted["profiles"] is not None else list(current.get("profiles") or [])
        ephemeral = wanted["ephemeral"] if wanted["ephemeral"] is not None else bool(current.get("ephemeral"))
        cur_config = {k: v for k, v in (current.get("config") or {}).items() if not lxd.ignored_key(k)}
        cur_devices = current.get("devices") or {}
        target = params["state"]
        if ephemeral and target == "stopped":
            raise InputError("state: %s is ephemeral; stopping it would delete it" % self.name)
        stays_running = status in RUNNING and target not in ("stopped", "restarted")
        live_config, live_devices, pending = split_restart(itype, stays_running, cur_config, cur_devices,
                                                           config, devices)
        restart = bool(pending) and params["restart_on_change"]
        if restart or not stays_running:
            live_config, live_devices = config, devices
        if not restart:
            self.result_extra["pending_restart"] = pending
            if pending:
                self.warnings.append("%s: %s changed but take(s) effect only after a restart; not applied "
                                     "(set restart_on_change: true)" % (self.name, ", ".join(pending)))
        changes = any((live_config != cur_config, live_devices != cur_devices,
                       list(profiles) != list(current.get("profiles") or []),
                       ephemeral != bool(current.get("ephemeral"))))
        end = {"started": "running", "restarted": "running", "stopped": "stopped", "frozen": "frozen"}.get(target, status)
        before = view(cur_config, cur_devices, current.get("profiles") or [], current.get("ephemeral"), status)
        after = view(live_config, live_devices, profiles, ephemeral, end)
        body = put_body(current, live_config, live_devices, profiles, ephemeral)
        if target == "restarted" and status in RUNNING:
            self.stop(status)
            status = "stopped"
        elif target == "stopped" and status in RUNNING:
            self.stop(status)
            status = "stopped"
        elif restart and changes:
            self.stop(status)
            if changes:
                self.act("update", self.client.update, self.name, body)
            self.act("start", self.client.set_state, self.name, "start")
            changes, status = False, "running"
            if target == "frozen" or (target == "present" and current.get("status", "").lower() == "frozen"):
                self.act("freeze", self.client.set_state, self.name, "freeze")
                status = "frozen"
        if changes:
            self.act("update", self._update, body)
        if target != "present":
            self.power(status, target)
        return before, after

    def _update(self, body):
        try:
            self.client.update(self.name, body)
        except lxd.LxdError as exc:
            raise lxd.LxdError("%s%s" % (exc, shift_hint(exc)))

    def remove(self, current):
        status = (current.get("status") or "").lower()
        before = view({k: v for k, v in (current.get("config") or {}).items() if not lxd.ignored_key(k)},
                      current.get("devices") or {}, current.get("profiles") or [], current.get("ephemeral"), status)
        if status in RUNNING:
            self.stop(status, force=True)
        self.act("delete", self._delete)
        return before, {"state": "absent"}

    def _delete(self):
        try:
            self.client.delete(self.name)
        except lxd.LxdError as exc:
            if exc.status != 404:   # an ephemeral instance is gone once stopped
                raise


def shift_hint(exc):
    if "idmap" in str(exc).lower() or "shift" in str(exc).lower():
        return " (mounts[].shift needs idmapped mounts or shiftfs on the server; LXD 5.0 here has neither: " \
               "set shift: false)"
    return ""


# ---- wait ----------------------------------------------------------------------------------------------
def wait_for(client, params, inst, deadline):
    """Wait for what O(wait_for) names; returns (latest state or None, cloud-init status or None)."""
    name, what, nic = params["name"], params["wait_for"], params["wait_nic"]
    itype = inst.get("type", "container")
    if what == "agent" and itype != "virtual-machine":
        raise InputError("wait_for: agent is for virtual machines; %s is a container" % name)

    def remaining():
        return max(1, int(deadline - time.monotonic()))

    if what in ("ipv4", "ssh"):
        check_nic(client, inst, nic)
        state = {}

        def probe_ip():
            state.update(client.state(name))
            found = lxd.addresses(state, "inet", nic)
            return (found, None) if found else (False, "no IPv4 on %s" % (nic or "any NIC"))
        ips = poll(probe_ip, remaining(), "an IPv4 address of %s" % name)
        if what == "ssh":
            poll(lambda: (ssh_banner(ips[0]), "no SSH banner on %s:22" % ips[0]), remaining(),
                 "SSH on %s:22" % ips[0])
        return state, None
    if what == "agent" or (what == "cloud-init" and itype == "virtual-machine"):
        wait_agent(client, name, remaining())
    if what == "cloud-init":
        return None, wait_cloud_init(client, name, remaining)
    return None, None


def check_nic(client, inst, nic):
    """Fail rather than wait for an address that DHCP will never give."""
    nics = {dname: d for dname, d in (inst.get("expanded_devices") or {}).items() if d.get("type") == "nic"}
    if not nics:
        raise InputError("wait_for: instance %s has no NIC; there is no address to wait for" % inst["name"])
    if not nic:
        return
    for dname, device in nics.items():
        if nic in (dname, device.get("name")) and device.get("network"):
            network = client.network(device["network"]) or {}
            conf = network.get("config") or {}
            if conf.get("ipv4.address") in ("none", "") or conf.get("ipv4.dhcp") == "false":
                raise InputError("wait_nic: NIC %s is on network %s, which has no IPv4 DHCP; nothing to wait for"
                                 % (nic, device["network"]))


def wait_agent(client, name, timeout):
    def probe():
        state = client.state(name)
        return (state.get("processes", -1) > 0, "agent not answering (status %s)" % state.get("status"))
    poll(probe, timeout, "the LXD agent of %s" % name)


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


def wait_cloud_init(client, name, remaining):
    try:
        code, out, err = client.execute(name, ["cloud-init", "status", "--wait", "--long"], timeout=remaining())
    except lxd.LxdError as exc:
        if "still" in str(exc):
            raise WaitTimeout("timed out waiting for cloud-init in %s" % name)
        raise
    status, detail = cloud_init_outcome(code, out, err)
    if status not in ("done", "degraded"):
        raise lxd.LxdError("cloud-init in %s: %s (%s)" % (name, status, detail))
    return status


# ---- report -------------------------------------------------------------------------------------------
def predicted(current, after, name, itype):
    """The instance shape a check-mode run predicts."""
    inst = dict(current or {"name": name, "type": itype})
    inst.update(config=after.get("config", {}), devices=after.get("devices", {}), status=after.get("state", ""))
    inst.pop("expanded_config", None)
    inst.pop("expanded_devices", None)
    return lxd.instance_summary(inst)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[("socket", "url")])
    params = module.params
    result = dict(changed=False, actions=[], pending_restart=[], instance={}, api_calls=0)
    client = None
    try:
        wanted = wanted_settings(params)
        client = lxd.LxdClient(socket=params["socket"], url=params["url"], client_cert=params["client_cert"],
                               client_key=params["client_key"], server_cert=params["server_cert"],
                               verify=params["verify"], project=params["project"], target=params["target"],
                               trust_token=params["trust_token"])
        deadline = time.monotonic() + params["wait_timeout"]
        runner = Runner(module, client, params, wanted)
        current = client.instance(params["name"])
        if params["state"] == "absent":
            before, after = runner.remove(current) if current else ({"state": "absent"}, {"state": "absent"})
        elif current is None:
            before, after = runner.create()
        else:
            before, after = runner.converge(current)
        result.update(runner.result_extra)
        if client.registered:
            runner.actions.insert(0, "register client certificate")
        result["actions"] = runner.actions
        result["changed"] = bool(runner.actions)
        if module._diff:
            result["diff"] = make_diff(before, after, params["name"])
        inst = None
        if params["state"] == "absent":
            result["instance"] = instance_result(params["name"], "lxd", itype=(current or {}).get("type", ""),
                                                 state="absent")
        elif module.check_mode:
            result["instance"] = predicted(current, after, params["name"], params["type"] or "container")
        else:
            inst = client.instance(params["name"]) if runner.actions else current
            if inst is None:
                raise lxd.LxdError("instance %s vanished (ephemeral and stopped?)" % params["name"])
            if params["wait_for"] != "none" and (inst.get("status") or "").lower() == "running":
                state, ci_status = wait_for(client, params, inst, deadline)
                inst = dict(inst, state=state or client.state(params["name"]))
                if ci_status:
                    result["cloud_init_status"] = ci_status
                    if ci_status == "degraded":
                        runner.warnings.append("cloud-init in %s finished degraded (recoverable errors)"
                                               % params["name"])
            result["instance"] = lxd.instance_summary(inst)
        for warning in runner.warnings:
            module.warn(warning)
    except InputError as exc:
        result["api_calls"] = client.calls if client else 0
        module.fail_json(msg=str(exc), **result)
    except (lxd.LxdError, WaitTimeout) as exc:
        result["api_calls"] = client.calls if client else 0
        module.fail_json(msg=str(exc), **result)
    result["api_calls"] = client.calls
    module.exit_json(**result)


if __name__ == "__main__":
    main()
