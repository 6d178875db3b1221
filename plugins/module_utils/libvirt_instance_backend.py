# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""LibvirtInstance: the libvirt backend of the instance skeleton (instance.run), used by qemu_vm.

Each run holds one Current: the persistent and (while active) live domain XML, each parsed once, the run state,
the overlay's size and autostart. Every libvirt API call goes through LibvirtClient."""

from __future__ import annotations

import os

from ansible.module_utils.urls import open_url
from ansible_collections.workstation.vms.plugins.module_utils import cloudinit
from ansible_collections.workstation.vms.plugins.module_utils import libvirt_images as images
from ansible_collections.workstation.vms.plugins.module_utils import libvirt_options as options
from ansible_collections.workstation.vms.plugins.module_utils.common import (
    COMMON_STATES, InputError, changed_keys, check_size, format_size, instance_argument_spec)
from ansible_collections.workstation.vms.plugins.module_utils.instance import Backend, Plan, Step
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_accel import resolve_accel
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_client import (
    DEFAULT_URI, LibvirtClient, LibvirtError)
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_domain import (
    RESTART_KEYS, SETTINGS, Domain, build_domain_xml, restart_differences, shown)
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_keeper import start_keeper, stop_keeper

MIB = 1024 ** 2
ACTIVE = ("running", "paused", "blocked")
# States in which a changed definition is applied by a restart (restart_on_change) or named as pending.
KEEP_RUNNING = ("present", "started", "paused")
# Settings the options give directly (the common ones parsed by instance.wanted_common, the others by wanted()).
GIVEN = tuple(s.key for s in SETTINGS if s.key not in ("accel", "image", "cloud_init"))


def argument_spec():
    """qemu_vm's options: the common ones and libvirt's own (the guest module validates `options` by it)."""
    spec = instance_argument_spec(COMMON_STATES + ["paused"], default_state="started")
    spec.update(
        image=dict(type="str"), checksum=dict(type="str"),
        cache_dir=dict(type="path", default=images.DEFAULT_CACHE_DIR),
        pool_dir=dict(type="path", default=images.DEFAULT_POOL_DIR),
        kernel=dict(type="path"), initrd=dict(type="path"), cmdline=dict(type="str"), meta_data=dict(type="dict"),
        network_config=dict(type="raw"), mac=dict(type="str"), network=dict(type="str"),
        port_forwards=dict(type="list", elements="dict", options=dict(
            host_port=dict(type="int", required=True), guest_port=dict(type="int", required=True),
            protocol=dict(type="str", default="tcp", choices=["tcp", "udp"]),
            host_address=dict(type="str", default="127.0.0.1"))),
        mount_type=dict(type="str", default="auto", choices=["auto", "virtiofs", "9p"]),
        graphics=dict(type="str", choices=["none", "spice", "vnc"]), stateless=dict(type="bool"),
        autostart=dict(type="bool"), accel=dict(type="str", default="auto", choices=["auto", "kvm", "tcg"]),
        firmware=dict(type="str", choices=["bios", "uefi"]), restart_on_change=dict(type="bool", default=False),
        stop_timeout=dict(type="int", default=60),
    )
    spec.update(connection_argument_spec())
    return spec


def connection_argument_spec():
    """The libvirt connection (doc fragment workstation.vms.libvirt)."""
    return dict(uri=dict(type="str", default=DEFAULT_URI))


SSH_NEEDS_FORWARD = "wait_for: with network=user an SSH wait needs a port_forwards entry to guest port 22"


class Current:
    """One domain as read once: `persistent` and `live` are Domain objects (live only while it is active)."""

    def __init__(self, dom, persistent, state, live=None, disk=None, autostart=False):
        self.dom, self.persistent, self.state, self.live = dom, persistent, state, live
        self.disk, self.autostart = disk, autostart

    @property
    def spec(self):
        return self.persistent.spec


class LibvirtInstance(Backend):
    name = "libvirt"
    errors = (LibvirtError, OSError)

    def __init__(self, module):
        super().__init__(module)
        self.client = None
        self.dom = None
        self.created_dir = False       # the VM's directory was made by this run (undo removes it)
        self.waiting = None            # the spec of the VM being waited for
        self.found = None              # (ipv4, ipv6) seen by the last ipv4() of the wait
        # DHCP lease records the VM held before this run started it: they name no address of this boot.
        self.stale_leases = frozenset()

    # ---- parse ---------------------------------------------------------------------------------------
    def validate_name(self, name):
        return options.validate_name(name)

    def wanted(self, wanted):
        p = self.params
        if wanted["state"] == "absent":
            return wanted
        memory, disk = wanted["memory"], wanted["disk"]
        if memory is not None and (memory < 128 * MIB or memory % MIB):
            raise InputError("memory: '%s' must be a whole number of MiB, at least 128MiB" % p["memory"])
        if disk is not None and disk % MIB:
            raise InputError("disk: '%s' must be a whole number of MiB" % p["disk"])
        network = options.parse_network(p["network"]) if p["network"] else None
        forwards = None
        if p["port_forwards"] is not None:
            forwards = options.normalize_port_forwards(
                p["port_forwards"], network or {"mode": "user" if p["port_forwards"] else "network"})
        if (p["wait_for"] == "ssh" and network and network["mode"] == "user"
                and not any(f["guest_port"] == 22 for f in forwards or [])):
            raise InputError(SSH_NEEDS_FORWARD)   # before anything is defined, not after the start
        for mount in wanted["mounts"] or []:
            mount["type"] = options.mount_kind(mount, p["mount_type"])
            mount["tag"] = options.mount_tag(mount["path"])
        checksum = images.parse_checksum(p["checksum"])
        image = p["image"]
        if image:
            if images.is_url(image):
                if not checksum:
                    raise InputError("checksum: required with an image URL (%s)" % image)
            elif not os.path.isabs(image):
                raise InputError("image: '%s' must be an absolute path or an http(s) URL" % image)
            elif not os.path.isfile(image):
                raise InputError("image: '%s' does not exist" % image)
        for key in ("kernel", "initrd"):
            if p[key] and not os.path.isfile(p[key]):
                raise InputError("%s: '%s' does not exist" % (key, p[key]))
        if (p["initrd"] or p["cmdline"]) and not p["kernel"]:
            raise InputError("kernel: required when initrd or cmdline is given (direct kernel boot)")
        network_config = p["network_config"]
        if isinstance(network_config, dict):
            network_config = cloudinit.dump_yaml(network_config)
        elif network_config is not None and not isinstance(network_config, str):
            raise InputError("network_config: must be a dict or a YAML string")
        elif network_config:
            cloudinit.parse_cloud_config(network_config, "network_config")
        if p["stop_timeout"] < 0:
            raise InputError("stop_timeout: must be 0 or more")
        given = dict((key, p.get(key)) for key in GIVEN)
        given.update(cpus=wanted["cpus"], memory=memory, mac=options.normalize_mac(p["mac"]) if p["mac"] else None,
                     network=network, port_forwards=forwards, mounts=wanted["mounts"], labels=wanted["labels"])
        wanted.update(settings=given, checksum=checksum, network_config=network_config or None)
        return wanted

    def seed_contents(self, wanted, mounts):
        """(user-data, meta-data, network-config) of the NoCloud seed; the mounts come first in bootcmd."""
        user_data = wanted["user_data"]
        if mounts:
            user_data = cloudinit.extend_user_data(user_data, {"bootcmd": options.guest_mount_commands(mounts)})
        meta = {"instance-id": wanted["name"], "local-hostname": wanted["name"]}
        meta.update(self.params["meta_data"] or {})
        return user_data, cloudinit.dump_yaml(meta), wanted["network_config"]

    def seed_given(self):
        return any(self.params[k] is not None for k in ("cloud_init", "meta_data", "network_config", "mounts"))

    # ---- read ----------------------------------------------------------------------------------------
    def connect(self):
        if self.client is None:
            self.client = LibvirtClient(self.params["uri"])
        return self.client

    def read(self):
        dom = self.connect().lookup(self.params["name"])
        self.dom = dom
        return self.current(dom) if dom is not None else None

    def read_all(self):
        """Every domain, each read as read() does (summary() leaves out those qemu_vm did not make)."""
        found = []
        for dom in self.connect().list_domains():
            try:
                current = self.current(dom)
            except LibvirtError:
                if self.client.lookup(self.client.name(dom)) is None:
                    continue   # removed while we listed
                raise
            except (AttributeError, TypeError, ValueError):
                continue   # XML not of a kind qemu_vm writes: not a domain of ours
            found.append(current)
        return found

    def current(self, dom):
        persistent = Domain(self.client.xml(dom, inactive=True))
        state = self.client.state(dom)
        active = self.client.is_active(dom)
        overlay = persistent.spec["overlay"]
        return Current(dom, persistent, state, live=Domain(self.client.xml(dom)) if active else None,
                       disk=images.image_virtual_size(overlay) if overlay and os.path.exists(overlay) else None,
                       autostart=self.client.autostart(dom))

    def mounts(self, current):
        return [dict(mount) for mount in current.spec["mounts"]]

    # ---- plan ----------------------------------------------------------------------------------------
    def plan(self, current, wanted):
        absent = wanted["state"] == "absent"
        if current is None:
            return Plan(predicted=None) if absent else self.plan_create(wanted)
        if not current.persistent.ours:
            raise InputError("name: domain '%s' %s not created by workstation.vms.qemu_vm%s" % (
                wanted["name"], "was" if absent else "exists and was", "; not removing it" if absent else ""))
        return self.plan_remove(current) if absent else self.plan_update(current, wanted)

    def plan_remove(self, current):
        spec = current.spec
        steps = [Step("destroy", vm_dir=spec["dir"])] if current.live is not None else []
        steps.append(Step("undefine"))
        if spec["dir"] and os.path.isdir(spec["dir"]):
            steps.append(Step("remove overlay and seed", op="remove_files", vm_dir=spec["dir"]))
        return Plan(steps, before=shown(spec), predicted=None)

    def backing(self, wanted):
        """(path of the base image, whether it must be downloaded first)."""
        image = self.params["image"]
        if not images.is_url(image):
            return os.path.realpath(image), False
        path = images.cache_path(self.params["cache_dir"], image, wanted["checksum"])
        return path, not images.cached(path, wanted["checksum"])

    def plan_create(self, wanted):
        p, name = self.params, wanted["name"]
        if not p["image"]:
            raise InputError("image: required to create VM '%s'" % name)
        vm_dir = os.path.join(p["pool_dir"], name)
        given = wanted["settings"]
        mounts = given["mounts"] or []
        seed = self.seed_contents(wanted, mounts)
        spec = dict(given, name=name, uuid=None, cpus=given["cpus"] or 1, memory=given["memory"] or 1024 * MIB,
                    accel=resolve_accel(p["accel"]), firmware=given["firmware"] or "bios",
                    stateless=bool(given["stateless"]), mac=given["mac"] or options.stable_mac(name),
                    network=given["network"] or {"mode": "network", "source": "default"},
                    port_forwards=given["port_forwards"] or [], mounts=mounts, graphics=given["graphics"] or "none",
                    labels=given["labels"] or {}, image=p["image"], cloud_init=cloudinit.seed_digest(*seed),
                    dir=vm_dir, overlay=os.path.join(vm_dir, images.OVERLAY_NAME),
                    seed=os.path.join(vm_dir, images.SEED_NAME))
        self.check_host(spec["network"], wanted["memory"])
        if os.path.exists(vm_dir) and os.listdir(vm_dir):
            raise InputError("pool_dir: %s already holds files of another VM of that name; remove them first" % vm_dir)
        spec["backing"], download = self.backing(wanted)
        disk = None if download else disk_size(spec["backing"], wanted["disk"])
        steps = [Step("download image", op="download", checksum=wanted["checksum"])] if download else []
        steps += [Step("create overlay", op="overlay", creates=True, spec=spec, disk=wanted["disk"],
                       checksum=None if images.is_url(p["image"]) else wanted["checksum"]),
                  Step("write seed", op="seed", path=spec["seed"], contents=seed),
                  Step("define", creates=True, spec=spec)]
        if p["autostart"]:
            steps.append(Step("autostart on", op="autostart", enabled=True))
        run_steps, state = self.state_steps("stopped", spec)
        after = dict(shown(spec), disk=format_size(disk or wanted["disk"]), autostart=bool(p["autostart"]))
        return Plan(steps + run_steps, after=after,
                    predicted=Current(None, Domain(build_domain_xml(spec)), state, disk=disk or wanted["disk"],
                                      autostart=bool(p["autostart"])))

    def check_host(self, network, memory):
        """Refuse what the host cannot give: a missing network or bridge, more memory than the host has."""
        if network and not self.client.network_exists(network):
            if network["mode"] == "bridge":
                raise InputError("network: host bridge '%s' does not exist (no /sys/class/net/%s/bridge); create "
                                 "it first or use a libvirt network" % (network["source"], network["source"]))
            raise InputError("network: libvirt network '%s' does not exist" % network["source"])
        if memory is not None:
            check_size(memory, "memory", maximum=self.client.host_memory(), why="the RAM of the libvirt host")

    def plan_update(self, current, wanted):
        p, name, cur = self.params, wanted["name"], current.spec
        self.check_host(wanted["settings"]["network"], wanted["memory"])
        want = dict(cur)
        want.update((key, value) for key, value in wanted["settings"].items() if value is not None)
        if p["network"] is not None and p["port_forwards"] is None and want["network"]["mode"] != "user":
            want["port_forwards"] = []
        if want["port_forwards"] and want["network"]["mode"] != "user":
            raise InputError("port_forwards: only with network=user")
        if p["accel"] != "auto":
            want["accel"] = resolve_accel(p["accel"])
        warnings = []
        if p["image"] and p["image"] != cur["image"]:
            warnings.append("image: VM '%s' was created from %s; its overlay cannot be moved to %s (remove and "
                            "re-create the VM to change the base)" % (name, cur["image"], p["image"]))
        seed = None
        if self.seed_given():
            seed = self.seed_contents(wanted, want["mounts"])
            want["cloud_init"] = cloudinit.seed_digest(*seed)
        before, after = shown(cur), shown(want)
        want_disk = current.disk
        if wanted["disk"] is not None and current.disk is not None:
            if wanted["disk"] < current.disk:
                warnings.append("disk: %s is smaller than the disk (%s); disks never shrink"
                                % (format_size(wanted["disk"]), format_size(current.disk)))
            else:
                want_disk = wanted["disk"]
        before["disk"], after["disk"] = format_size(current.disk), format_size(want_disk)
        before["autostart"] = current.autostart
        after["autostart"] = current.autostart if p["autostart"] is None else p["autostart"]
        changed = changed_keys(before, after)
        running = current.live is not None
        # Settings defined earlier without a restart: the running VM still has the old ones.
        pending = restart_differences(current.live.spec, cur) if running else []
        keep_running = running and p["state"] in KEEP_RUNNING
        if pending and keep_running and p["restart_on_change"]:
            after["restarted"] = True
        steps = []
        if "cloud_init" in changed:
            steps.append(Step("write seed", op="seed", path=cur["seed"], contents=seed))
        if "disk" in changed:
            steps.append(Step("grow disk", op="grow", size=want_disk, live=running and not cur["stateless"],
                              overlay=cur["overlay"]))
        if set(changed) - {"disk", "autostart"}:
            steps.append(Step("redefine", op="define", spec=want,
                              live_metadata=running and bool(set(changed) & {"labels", "image", "cloud_init"})))
        if "autostart" in changed:
            steps.append(Step("autostart %s" % ("on" if after["autostart"] else "off"), op="autostart",
                              enabled=after["autostart"]))
        restart = sorted(set(k for k in changed if k in RESTART_KEYS) | set(pending))
        state, pending_restart = current.state, []
        if restart and keep_running:
            if p["restart_on_change"]:
                steps += self.stop_steps(want) + self.start_steps(want)
                state = "running"
            else:
                pending_restart = restart
                warnings.append("%s changed in the definition of running VM '%s'; it takes effect at the next start "
                                "(set restart_on_change=true to restart now)" % (", ".join(restart), name))
        run_steps, state = self.state_steps(state, want)
        if run_steps and p["state"] == "restarted":
            after["restarted"] = True
        elif not run_steps and want["stateless"] and running and not self.module.check_mode:
            # not a change of the VM: its keeper is gone with a host reboot
            start_keeper(self.client.uri, cur["dir"], self.client.uuid(current.dom))
        steps += run_steps
        ops = set(step.op for step in steps)
        predicted = Current(current.dom, Domain(build_domain_xml(want)) if "define" in ops else current.persistent,
                            state, live=current.live if state in ACTIVE and "stop" not in ops else None,
                            disk=want_disk, autostart=after["autostart"])
        return Plan(steps, before=before, after=after, pending_restart=pending_restart, warnings=warnings,
                    predicted=predicted)

    def start_steps(self, spec):
        steps = [Step("start", network=spec["network"], mac=spec["mac"])]
        if spec["stateless"]:
            steps.append(Step("start keeper", op="keeper", vm_dir=spec["dir"]))
        return steps

    def stop_steps(self, spec):
        return [Step("stop", vm_dir=spec["dir"])]

    def state_steps(self, current, spec):
        """Steps from run state `current` to the wanted one, and the run state they lead to."""
        state = self.params["state"]
        if state == "started":
            if current == "paused":
                return [Step("resume")], "running"
            return ([], current) if current == "running" else (self.start_steps(spec), "running")
        if state == "paused":
            steps = self.start_steps(spec) if current not in ("running", "paused") else []
            return steps + ([Step("pause")] if current != "paused" else []), "paused"
        if state == "stopped":
            return (self.stop_steps(spec), "stopped") if current in ACTIVE else ([], current)
        if state == "restarted":
            return (self.stop_steps(spec) if current in ACTIVE else []) + self.start_steps(spec), "running"
        return [], current

    # ---- act (instance.run calls do_<op>, and undo_<op> for what this run created) ---------------------
    def do_download(self, checksum):
        images.fetch_image(self.params["image"], checksum, self.params["cache_dir"],
                           lambda url: open_url(url, timeout=60, follow_redirects="all"))

    def do_overlay(self, spec, disk, checksum):
        if checksum:
            algo, want = checksum
            got = images.file_digest(spec["backing"], algo)
            if got != want:
                raise InputError("checksum: %s has %s:%s, expected %s:%s" % (spec["backing"], algo, got, algo, want))
        size = disk_size(spec["backing"], disk)
        self.created_dir = not os.path.isdir(spec["dir"])
        os.makedirs(spec["dir"], mode=0o711, exist_ok=True)
        images.create_overlay(spec["backing"], spec["overlay"], size)

    def undo_overlay(self, spec, **_args):
        removed = images.remove_vm_files(spec["dir"])
        if self.created_dir and os.path.isdir(spec["dir"]):
            os.rmdir(spec["dir"])
        return bool(removed)

    @staticmethod
    def do_seed(path, contents):
        cloudinit.write_seed_iso(path, *contents)

    def do_define(self, spec, live_metadata=False):
        xml_text = build_domain_xml(spec)
        self.dom = self.client.define(xml_text)
        if live_metadata:
            self.client.set_live_metadata(self.dom, Domain(xml_text).meta_xml())

    def undo_define(self, spec):
        if self.dom is None:
            return False
        stop_keeper(spec["dir"], self.client.uuid(self.dom))
        if self.client.is_active(self.dom):
            self.client.destroy(self.dom)
        self.client.undefine(self.dom)
        return True

    def do_autostart(self, enabled):
        self.client.set_autostart(self.dom, enabled)

    def do_grow(self, size, live, overlay):
        if live:
            self.client.grow_disk(self.dom, "vda", size)
        else:
            images.resize_overlay(overlay, size)

    def do_start(self, network, mac):
        if network["mode"] == "network":
            self.stale_leases = frozenset(record for record in self.client.lease_records([network["source"]])
                                          if record[0] == mac)
        self.client.start(self.dom)

    def do_keeper(self, vm_dir):
        start_keeper(self.client.uri, vm_dir, self.client.uuid(self.dom))

    def do_stop(self, vm_dir):
        stop_keeper(vm_dir, self.client.uuid(self.dom))
        self.client.stop(self.dom, self.params["stop_timeout"])

    def do_destroy(self, vm_dir):
        stop_keeper(vm_dir, self.client.uuid(self.dom))
        self.client.destroy(self.dom)

    def do_resume(self):
        self.client.resume(self.dom)

    def do_pause(self):
        self.client.pause(self.dom)

    def do_undefine(self):
        self.client.undefine(self.dom)

    @staticmethod
    def do_remove_files(vm_dir):
        images.remove_vm_files(vm_dir)

    # ---- wait and report -----------------------------------------------------------------------------
    def addresses(self, dom, spec):
        net = spec["network"]
        return self.client.addresses(dom, spec["mac"], options.network_text(net) if net else None, self.stale_leases)

    def wait_ready(self, what, current, timeout):
        self.waiting = current.spec
        if what == "ssh" and is_user_network(current.spec) and ssh_forward(current.spec) is None:
            raise InputError(SSH_NEEDS_FORWARD)

    def ipv4(self):
        self.found = self.addresses(self.dom, self.waiting)
        return self.found[0], "no address yet"

    def ssh_target(self, addresses):
        return ssh_forward(self.waiting) or (addresses[0], 22)

    def cloud_init_status(self, timeout):
        # `cloud-init status` is a Python start in the guest, tens of seconds under TCG; asked while cloud-init still
        # runs, such runs pile up (an unfinished one is not waited for) and starve cloud-init itself. So a cheap
        # test first: cloud-init has finished once it wrote result.json, or will never run when its generator did
        # not enable it. Only then the real answer, waited for in full.
        res = self.client.agent_exec(self.dom, "/bin/sh", [
            "-c", "test -e /run/cloud-init/result.json || ! test -e /run/cloud-init/enabled"], timeout=min(timeout, 10))
        if res is None:
            return "", "guest agent not answering"
        if res[0] != 0:
            return "running", "no /run/cloud-init/result.json yet"
        res = self.client.agent_exec(self.dom, "/usr/bin/cloud-init", ["status"], timeout=timeout)
        if res is None:
            return "", "guest agent not answering"
        out = res[1].strip()
        for line in out.splitlines():
            if line.startswith("status:"):
                return line.split(":", 1)[1].strip(), out
        return "unknown", out

    def summary(self, current):
        if current is None or not current.persistent.ours:   # absent, or a domain qemu_vm leaves alone
            return None
        spec, state = current.spec, current.state
        ipv4, ipv6 = [], []
        if state == "running" and current.dom is not None:  # not a predicted VM
            ipv4, ipv6 = self.found or self.addresses(current.dom, spec)
        shown_doc = current.live if state == "running" and current.live is not None else current.persistent
        pending = state in ("running", "paused") and current.live is not None \
            and bool(restart_differences(current.live.spec, spec))
        forward = ssh_forward(spec)
        ssh = None
        if forward:
            ssh = {"host": forward[0], "port": forward[1]}
        elif ipv4 and not is_user_network(spec):
            ssh = {"host": ipv4[0], "port": 22}
        return shown_doc.instance(state, ipv4=ipv4, ipv6=ipv6, disk=current.disk, overlay=spec["overlay"],
                                  seed=spec["seed"], autostart=current.autostart, pending_restart=pending, ssh=ssh,
                                  uri=self.params["uri"])

    def report(self, result):
        if self.client is not None:
            self.client.close()


def disk_size(backing, disk):
    """The overlay's size: `disk`, or the image's own; never smaller than the image."""
    base = images.image_virtual_size(backing)
    if disk is not None and disk < base:
        raise InputError("disk: %s is smaller than the image (%s); disks never shrink"
                         % (format_size(disk), format_size(base)))
    return disk or base


def is_user_network(spec):
    return bool(spec["network"]) and spec["network"]["mode"] == "user"


def ssh_forward(spec):
    """(host, port) of the forward to guest port 22 with network=user, else None."""
    if is_user_network(spec):
        for fwd in spec["port_forwards"]:
            if fwd["guest_port"] == 22 and fwd["protocol"] == "tcp":
                host = fwd["host_address"]
                return "127.0.0.1" if host == "0.0.0.0" else host, fwd["host_port"]
    return None
