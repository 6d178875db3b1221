#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: qemu_vm
short_description: Declarative QEMU virtual machines through libvirt, from a cloud image to SSH-ready
version_added: 0.1.0
description:
  - Creates, changes, starts, stops and removes a QEMU virtual machine (a libvirt domain) from a cloud image.
  - The image (a local file, or an http(s) URL with a checksum) is downloaded once into a cache and never
    modified; every VM gets a small qcow2 overlay backed by it, and a NoCloud seed ISO with its cloud-init data.
  - "Idempotent: a defined domain is compared only on the settings this module manages (never on the defaults
    libvirt fills in), so the second run reports no change. Check mode and diff mode are supported."
  - Files of a VM live in O(pool_dir)/NAME/ (C(disk.qcow2) and C(seed.iso), both mode 0600).
    O(state=absent) removes the domain and these files, never the base image and never a mounted host dir.
author: workstation.vms contributors (@workstation-vms)
extends_documentation_fragment:
  - workstation.vms.instance
  - workstation.vms.libvirt
attributes:
  check_mode:
    support: full
    description: Predicts the same C(changed), RV(diff) and RV(actions) as a real run, and changes nothing.
  diff_mode:
    support: full
    description: RV(diff) shows the managed settings before and after.
options:
  state:
    description:
      - V(present) defines the VM without changing whether it runs; V(started), V(stopped), V(paused) put it in that
        state; V(restarted) stops and starts it (always a change); V(absent) removes it with its overlay and seed.
    type: str
    choices: [present, started, stopped, restarted, paused, absent]
    default: started
  image:
    description:
      - The base image, an absolute path of a local qcow2 or raw image, or an http(s) URL of one (then O(checksum)
        is required). A URL is downloaded once into O(cache_dir), atomically (into a temporary file, renamed into
        place only after the checksum matched), so a partial download is never used.
      - Required to create a VM. The base image is never written to (each VM has an overlay backed by it) and
        never deleted. An existing VM keeps its base; a different O(image) only gives a warning.
    type: str
  checksum:
    description:
      - Checksum of the image as V(sha256:HEX) (also V(sha512:), V(sha1:), V(md5:)) or a bare sha256 hex digest.
      - Required with a URL. With a local path it is verified when the VM is created.
    type: str
  cache_dir:
    description: Where downloaded images are kept, one subdirectory per URL and checksum.
    type: path
    default: /var/cache/workstation-vms/downloads
  pool_dir:
    description: Directory holding one subdirectory per VM with its overlay and seed ISO.
    type: path
    default: /var/lib/libvirt/images/workstation-vms
  kernel:
    description:
      - Direct kernel boot (as NixOS microvm or build-vm do), a kernel on the host to boot instead of the
        image's boot loader. Needed for images without a boot loader (a bare file system on V(/dev/vda)).
    type: path
  initrd:
    description: Initial ramdisk on the host for O(kernel).
    type: path
  cmdline:
    description: Kernel command line for O(kernel), for example V(root=/dev/vda rw console=ttyS0).
    type: str
  meta_data:
    description:
      - Extra NoCloud meta-data keys; C(instance-id) and C(local-hostname) default to the VM name.
    type: dict
  network_config:
    description: NoCloud network-config (version 1 or 2), as a dict or a YAML string.
    type: raw
  mac:
    description:
      - MAC address of the network interface. Default is derived from the name (C(52:54:00:..)), so it is the
        same on every run and after the VM is re-created (and it keeps its DHCP address).
    type: str
  network:
    description:
      - V(default) (libvirt's NAT network) or any libvirt network name (also written V(network:NAME)),
        V(bridge:BRIDGE) for a host bridge, or V(user) for QEMU user-mode networking (use O(port_forwards) to
        reach the guest). Default on creation is V(default).
    type: str
  port_forwards:
    description:
      - Host ports forwarded to guest ports, with O(network=user) only.
    type: list
    elements: dict
    suboptions:
      host_port:
        description: Port on the host.
        type: int
        required: true
      guest_port:
        description: Port in the guest.
        type: int
        required: true
      protocol:
        description: tcp or udp.
        type: str
        choices: [tcp, udp]
        default: tcp
      host_address:
        description: Host address to listen on.
        type: str
        default: 127.0.0.1
  mount_type:
    description:
      - How host directories in O(mounts) reach the guest. V(auto) uses virtiofs (C(/usr/lib/qemu/virtiofsd),
        memfd shared memory backing) for read-write mounts and 9p (C(mapped)) for read-only ones, because only
        9p enforces read-only on the host side with this virtiofsd; 9p also where virtiofsd is missing.
      - The guest mounts them at every boot through cloud-init C(bootcmd) entries, which come before the C(bootcmd)
        entries of O(cloud_init) so that those find the host directories mounted.
    type: str
    choices: [auto, virtiofs, 9p]
    default: auto
  graphics:
    description:
      - V(none) (serial console only), V(spice) (with a QXL video device) or V(vnc) (with a virtio video device),
        listening on 127.0.0.1. The console URI is returned as RV(instance.console). Default on creation V(none).
    type: str
    choices: [none, spice, vnc]
  stateless:
    description:
      - Throw away every change to the root disk at each shutdown and at each reboot. The disk gets libvirt's
        C(<transient/>) (writes go to a temporary overlay deleted when QEMU stops), C(<on_reboot>) is C(destroy)
        so a guest reboot is a real stop, and a small keeper process started by this module starts the VM again
        after the guest stopped it (reboot or poweroff). Stop such a VM with O(state=stopped).
      - Keep data in O(mounts) (host directories survive). Default on creation V(false).
    type: bool
  autostart:
    description: Start the VM when libvirtd starts. Left alone when not given.
    type: bool
  accel:
    description:
      - Domain type. V(kvm) or V(tcg) (software emulation, domain type C(qemu)).
      - V(auto) uses the environment variable E(WORKSTATION_VMS_ACCEL) (V(kvm) or V(tcg)) when set, and else boots
        a 512-byte probe guest under KVM (about 0.1 s where KVM works, 3 s timeout where it hangs guests) and uses
        KVM only if the probe finished. Only evaluated when a VM is created; V(auto) never changes an existing VM.
    type: str
    choices: [auto, kvm, tcg]
    default: auto
  firmware:
    description: V(bios) (SeaBIOS) or V(uefi) (needs OVMF on the host). Default on creation V(bios).
    type: str
    choices: [bios, uefi]
  restart_on_change:
    description:
      - Restart a running VM when a setting that needs a restart changed (cpus, memory, network, mounts, ...).
        Without it the new definition takes effect at the next start and a warning says so.
    type: bool
    default: false
  stop_timeout:
    description: Seconds to wait for an ACPI shutdown before the VM is forced off.
    type: int
    default: 60
  wait_for:
    description:
      - V(ipv4) waits for an address from libvirt's DHCP leases, then from qemu-guest-agent. For a VM this task
        started, the leases it held before the start (still on record until they expire) are left out, so the
        address is one of this boot.
        V(ssh) also waits for an SSH banner (on the forwarded port with O(network=user)).
        V(cloud-init) also waits until C(cloud-init status) run through qemu-guest-agent (C(guest-exec)) says
        C(done); an C(error) status fails the task. Needs no SSH credentials.
    type: str
    choices: [none, ipv4, ssh, cloud-init]
    default: none
notes:
  - Bad input fails before anything is defined. A failed creation removes the overlay, seed and definition it made.
  - Changing O(cloud_init) on an existing VM rewrites its seed; cloud-init applies it only to a fresh instance
    (for a stateless VM, at the next boot). Pass O(cloud_init) on every run, the seed is compared with it.
  - O(disk) only grows (a running VM is grown live); it cannot be smaller than the image.
"""

EXAMPLES = r"""
- name: A VM from a local cloud image, direct kernel boot, reachable over SSH
  workstation.vms.qemu_vm:
    name: dev1
    image: /var/cache/workstation-vms/images/current/vm/base.qcow2
    kernel: /var/cache/workstation-vms/images/current/vm/vmlinuz
    initrd: /var/cache/workstation-vms/images/current/vm/initrd.img
    cmdline: root=/dev/vda rw console=ttyS0
    cpus: 2
    memory: 2G
    disk: 20G
    cloud_init:
      ssh_authorized_keys: ["{{ lookup('file', '~/.ssh/id_ed25519.pub') }}"]
    mounts:
      - source: /home/me/src
        path: /src
    labels:
      role: dev
    wait_for: ssh

- name: From a URL, cached once and verified
  workstation.vms.qemu_vm:
    name: web1
    image: https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2
    checksum: sha512:0123...
    memory: 1G
    network: user
    port_forwards:
      - {host_port: 2222, guest_port: 22}

- name: A stateless VM that keeps only /etc/wireguard, kept running
  workstation.vms.qemu_vm:
    name: wg1
    image: /srv/images/base.qcow2
    stateless: true
    autostart: true
    mounts:
      - {source: /srv/wg1/wireguard, path: /etc/wireguard}

- name: Remove it (overlay and seed go; base image and host dirs stay)
  workstation.vms.qemu_vm:
    name: wg1
    state: absent
"""

RETURN = r"""
instance:
  description: The VM in the shape every instance module of the collection returns (empty when absent).
  returned: always
  type: dict
  contains:
    name:
      description: "Domain name."
      type: str
      returned: success
    backend:
      description: "Always V(libvirt)."
      type: str
      returned: success
    type:
      description: "Always V(vm)."
      type: str
      returned: success
    state:
      description: "V(running), V(paused), V(stopped), and so on, as libvirt reports it."
      type: str
      returned: success
    ipv4:
      description: "IPv4 addresses (DHCP lease or guest agent)."
      type: list
      returned: success
      elements: str
    ipv6:
      description: "IPv6 addresses (guest agent)."
      type: list
      returned: success
      elements: str
    image:
      description: "The image the overlay is backed by (path or URL as given)."
      type: str
      returned: success
    cpus:
      description: "Virtual CPUs."
      type: int
      returned: success
    memory:
      description: "Memory in bytes (as in every backend's C(instance); the diff shows it as V(1GiB))."
      type: int
      returned: success
    disk:
      description: "Virtual size of the overlay in bytes."
      type: int
      returned: success
    mounts:
      description: "Host dirs shown in the guest (source, path, readonly)."
      type: list
      returned: success
      elements: dict
    labels:
      description: "Labels from the domain metadata."
      type: dict
      returned: success
    mac:
      description: "MAC address of the network interface."
      type: str
      returned: success
    network:
      description: "V(network:NAME), V(bridge:NAME) or V(user)."
      type: str
      returned: success
    stateless:
      description: "Whether root changes are thrown away at shutdown."
      type: bool
      returned: success
    accel:
      description: "Domain type, V(kvm) or V(qemu) (TCG)."
      type: str
      returned: success
    console:
      description: "V(spice://127.0.0.1:PORT) or V(vnc://...) while running with graphics, else null."
      type: str
      returned: success
    overlay:
      description: "Path of the VM's qcow2 overlay."
      type: str
      returned: success
    seed:
      description: "Path of the NoCloud seed ISO."
      type: str
      returned: success
    autostart:
      description: "Whether libvirtd starts it at boot."
      type: bool
      returned: success
    pending_restart:
      description: "The definition differs from the running VM until it is restarted."
      type: bool
      returned: success
    ssh:
      description: "Where SSH is reached (host and port), null when unknown."
      type: dict
      returned: success
    uri:
      description: "The libvirt connection URI."
      type: str
      returned: success
actions:
  description: What was done (or, in check mode, would be done), in order.
  returned: always
  type: list
  elements: str
  sample: [download image, create overlay, write seed, define, start, wait ssh]
diff:
  description: Before and after of the managed settings (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.urls import open_url
from ansible_collections.workstation.vms.plugins.module_utils import cloudinit
from ansible_collections.workstation.vms.plugins.module_utils import libvirt_accel as accel
from ansible_collections.workstation.vms.plugins.module_utils import libvirt_client as lvc
from ansible_collections.workstation.vms.plugins.module_utils import libvirt_domain as domain
from ansible_collections.workstation.vms.plugins.module_utils import libvirt_images as images
from ansible_collections.workstation.vms.plugins.module_utils import libvirt_keeper as keeper
from ansible_collections.workstation.vms.plugins.module_utils import libvirt_options as lvo
from ansible_collections.workstation.vms.plugins.module_utils.common import (
    COMMON_STATES, InputError, changed_keys, check_positive, format_size, instance_argument_spec, make_diff,
    normalize_mounts, parse_size, validate_labels)
from ansible_collections.workstation.vms.plugins.module_utils.waiting import WaitTimeout, poll, ssh_banner

STATES = COMMON_STATES + ["paused"]
MIB = 1024 ** 2


def argument_spec():
    spec = instance_argument_spec(STATES, default_state="started")
    spec.update(
        uri=dict(type="str", default=lvc.DEFAULT_URI),
        image=dict(type="str"),
        checksum=dict(type="str"),
        cache_dir=dict(type="path", default=images.DEFAULT_CACHE_DIR),
        pool_dir=dict(type="path", default=images.DEFAULT_POOL_DIR),
        kernel=dict(type="path"),
        initrd=dict(type="path"),
        cmdline=dict(type="str"),
        meta_data=dict(type="dict"),
        network_config=dict(type="raw"),
        mac=dict(type="str"),
        network=dict(type="str"),
        port_forwards=dict(type="list", elements="dict", options=dict(
            host_port=dict(type="int", required=True), guest_port=dict(type="int", required=True),
            protocol=dict(type="str", default="tcp", choices=["tcp", "udp"]),
            host_address=dict(type="str", default="127.0.0.1"))),
        mount_type=dict(type="str", default="auto", choices=["auto", "virtiofs", "9p"]),
        graphics=dict(type="str", choices=["none", "spice", "vnc"]),
        stateless=dict(type="bool"),
        autostart=dict(type="bool"),
        accel=dict(type="str", default="auto", choices=["auto", "kvm", "tcg"]),
        firmware=dict(type="str", choices=["bios", "uefi"]),
        restart_on_change=dict(type="bool", default=False),
        stop_timeout=dict(type="int", default=60),
    )
    return spec


class QemuVm:
    """parse -> compute difference -> act -> report."""

    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.actions = []
        self.warnings = []
        self.client = None
        self.opts = {}
        # DHCP lease records the VM held before this run started it: they name no address of this boot.
        self.stale_leases = frozenset()

    # ------------------------------------------------------------ parse (nothing touched yet)
    def parse(self):
        p = self.p
        opts = self.opts
        opts["name"] = lvo.validate_name(p["name"])
        if p["state"] == "absent":
            return
        opts["cpus"] = check_positive(p["cpus"], "cpus")
        memory = parse_size(p["memory"], "memory")
        if memory is not None and (memory < 128 * MIB or memory % MIB):
            raise InputError("memory: '%s' must be a whole number of MiB, at least 128MiB" % p["memory"])
        opts["memory"] = memory
        disk = parse_size(p["disk"], "disk")
        if disk is not None and disk % MIB:
            raise InputError("disk: '%s' must be a whole number of MiB" % p["disk"])
        opts["disk"] = disk
        opts["mac"] = lvo.normalize_mac(p["mac"]) if p["mac"] else None
        opts["network"] = lvo.parse_network(p["network"]) if p["network"] else None
        net_for_forwards = opts["network"] or {"mode": "user" if p["port_forwards"] else "network"}
        opts["port_forwards"] = (lvo.normalize_port_forwards(p["port_forwards"], net_for_forwards)
                                 if p["port_forwards"] is not None else None)
        if p["mounts"] is not None:
            mounts = normalize_mounts(p["mounts"], must_exist=True)
            for mount in mounts:
                mount["type"] = lvo.mount_kind(mount, p["mount_type"])
                mount["tag"] = lvo.mount_tag(mount["path"])
            opts["mounts"] = mounts
        else:
            opts["mounts"] = None
        opts["labels"] = validate_labels(p["labels"]) if p["labels"] is not None else None
        opts["checksum"] = images.parse_checksum(p["checksum"])
        image = p["image"]
        if image:
            if images.is_url(image):
                if not opts["checksum"]:
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
        self.user_data = cloudinit.render_user_data(p["cloud_init"])
        if isinstance(p["network_config"], dict):
            self.network_config = cloudinit.dump_yaml(p["network_config"])
        elif p["network_config"] is None or isinstance(p["network_config"], str):
            self.network_config = p["network_config"] or None
            if self.network_config:
                cloudinit.parse_cloud_config(self.network_config, "network_config")
        else:
            raise InputError("network_config: must be a dict or a YAML string")
        if p["stop_timeout"] < 0:
            raise InputError("stop_timeout: must be 0 or more")

    def seed_contents(self, mounts):
        user_data = self.user_data
        if mounts:
            user_data = cloudinit.extend_user_data(user_data, {"bootcmd": lvo.guest_mount_commands(mounts)})
        meta = {"instance-id": self.opts["name"], "local-hostname": self.opts["name"]}
        meta.update(self.p["meta_data"] or {})
        meta_text = cloudinit.dump_yaml(meta)
        return user_data, meta_text, self.network_config

    def seed_given(self):
        p = self.p
        return any(p[k] is not None for k in ("cloud_init", "meta_data", "network_config", "mounts"))

    # ------------------------------------------------------------ helpers
    def act(self, what, func=None, *args):
        self.actions.append(what)
        if func is not None and not self.module.check_mode:
            return func(*args)
        return None

    def fetch_image(self):
        image = self.p["image"]
        if not images.is_url(image):
            if self.opts["checksum"] and not self.module.check_mode:
                algo, want = self.opts["checksum"]
                got = images.file_digest(image, algo)
                if got != want:
                    raise InputError("checksum: %s has %s:%s, expected %s:%s" % (image, algo, got, algo, want))
            return os.path.realpath(image)
        dest = images.cache_path(self.p["cache_dir"], image, self.opts["checksum"])
        if os.path.exists(dest):
            return dest
        if self.module.check_mode:
            self.actions.append("download image")
            return None

        def _open(url):
            return open_url(url, timeout=60, follow_redirects="all")
        dest, downloaded = images.fetch_image(image, self.opts["checksum"], self.p["cache_dir"], _open)
        if downloaded:
            self.actions.append("download image")
        return dest

    # ------------------------------------------------------------ create
    def new_spec(self):
        p, o = self.p, self.opts
        name = o["name"]
        vm_dir = os.path.join(p["pool_dir"], name)
        if not p["image"]:
            raise InputError("image: required to create VM '%s'" % name)
        mounts = o["mounts"] or []
        user_data, meta, net_cfg = self.seed_contents(mounts)
        spec = dict(
            name=name, uuid=None, cpus=o["cpus"] or 1, memory=o["memory"] or 1024 * MIB,
            accel=accel.resolve_accel(p["accel"]), firmware=p["firmware"] or "bios",
            kernel=p["kernel"], initrd=p["initrd"], cmdline=p["cmdline"], stateless=bool(p["stateless"]),
            mac=o["mac"] or lvo.stable_mac(name), network=o["network"] or {"mode": "network", "source": "default"},
            port_forwards=o["port_forwards"] or [], mounts=mounts, graphics=p["graphics"] or "none",
            labels=o["labels"] or {}, image=p["image"], backing=None,
            cloud_init=cloudinit.seed_digest(user_data, meta, net_cfg), dir=vm_dir,
            overlay=os.path.join(vm_dir, images.OVERLAY_NAME), seed=os.path.join(vm_dir, images.SEED_NAME))
        return spec, (user_data, meta, net_cfg)

    def create(self, result):
        p = self.p
        spec, seed = self.new_spec()
        if not self.client.network_exists(spec["network"]):
            raise InputError("network: libvirt network '%s' does not exist" % spec["network"]["source"])
        if os.path.exists(spec["dir"]) and os.listdir(spec["dir"]):
            raise InputError("pool_dir: %s already holds files of another VM of that name; remove them first"
                             % spec["dir"])
        backing = self.fetch_image()
        spec["backing"] = backing or images.cache_path(p["cache_dir"], p["image"], self.opts["checksum"])
        base_size = images.image_virtual_size(backing) if backing else None
        disk = self.opts["disk"]
        if disk is not None and base_size is not None and disk < base_size:
            raise InputError("disk: %s is smaller than the image (%s); disks never shrink"
                             % (format_size(disk), format_size(base_size)))
        disk = disk or base_size
        result["diff"] = make_diff({}, dict(domain.shown(spec), disk=format_size(disk),
                                            autostart=bool(p["autostart"])), spec["name"])
        result["changed"] = True
        if self.module.check_mode:
            self.actions += ["create overlay", "write seed", "define"]
            if p["state"] in ("started", "restarted", "paused"):
                self.actions.append("start")
            return None
        created_dir = not os.path.isdir(spec["dir"])
        dom = None
        try:
            os.makedirs(spec["dir"], mode=0o711, exist_ok=True)
            self.act("create overlay", images.create_overlay, backing, spec["overlay"], disk)
            self.act("write seed", cloudinit.write_seed_iso, spec["seed"], *seed)
            dom = self.act("define", self.client.define, domain.build_domain_xml(spec))
            if p["autostart"]:
                self.act("autostart on", self.client.call, "autostart", dom.setAutostart, 1)
            self.run_state(dom, "stopped", spec)
        except BaseException:
            if dom is not None:
                try:
                    if dom.isActive():
                        dom.destroy()
                    dom.undefineFlags(self.undefine_flags())
                except Exception:  # pylint: disable=broad-except
                    pass
            if dom is not None:
                keeper.stop_keeper(spec["dir"], dom.UUIDString())
            images.remove_vm_files(spec["dir"])
            if created_dir and os.path.isdir(spec["dir"]):
                os.rmdir(spec["dir"])
            raise
        return dom

    @staticmethod
    def undefine_flags():
        return (lvc.libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | lvc.libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                | lvc.libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)

    # ------------------------------------------------------------ existing domain
    def update(self, dom, result):
        p, o = self.p, self.opts
        cur = domain.Domain(self.client.xml(dom, inactive=True)).spec
        want = dict(cur)
        for key in ("cpus", "memory", "mac", "network", "port_forwards", "mounts", "labels"):
            if o[key] is not None:
                want[key] = o[key]
        for key in ("kernel", "initrd", "cmdline", "firmware", "graphics", "stateless"):
            if p[key] is not None:
                want[key] = p[key]
        if p["network"] is not None and o["port_forwards"] is None and want["network"]["mode"] != "user":
            want["port_forwards"] = []
        if want["port_forwards"] and want["network"]["mode"] != "user":
            raise InputError("port_forwards: only with network=user")
        if p["accel"] != "auto":
            want["accel"] = accel.resolve_accel(p["accel"])
        if p["image"] and p["image"] != cur["image"]:
            self.warnings.append("image: VM '%s' was created from %s; its overlay cannot be moved to %s (remove and "
                                 "re-create the VM to change the base)" % (o["name"], cur["image"], p["image"]))
        seed = None
        if self.seed_given():
            seed = self.seed_contents(want["mounts"])
            want["cloud_init"] = cloudinit.seed_digest(*seed)
        before = domain.shown(cur)
        after = domain.shown(want)
        overlay = cur["overlay"]
        cur_disk = images.image_virtual_size(overlay) if overlay and os.path.exists(overlay) else None
        want_disk = cur_disk
        if o["disk"] is not None and cur_disk is not None:
            if o["disk"] < cur_disk:
                self.warnings.append("disk: %s is smaller than the disk (%s); disks never shrink"
                                     % (format_size(o["disk"]), format_size(cur_disk)))
            else:
                want_disk = o["disk"]
        before["disk"], after["disk"] = format_size(cur_disk), format_size(want_disk)
        cur_auto = bool(dom.autostart())
        before["autostart"] = cur_auto
        after["autostart"] = cur_auto if p["autostart"] is None else p["autostart"]
        changed = changed_keys(before, after)
        running = dom.isActive()
        # Settings defined earlier without a restart: the running VM still has the old ones.
        pending = self.pending_keys(dom, before) if running else []
        restart_pending = bool(pending) and p["restart_on_change"] and p["state"] in ("present", "started", "paused")
        if restart_pending:
            after["restarted"] = True
        result["diff"] = make_diff(before, after, o["name"])
        if not changed and not restart_pending:
            return dom, False
        result["changed"] = True
        if "cloud_init" in changed:
            self.act("write seed", cloudinit.write_seed_iso, cur["seed"], *seed)
        if "disk" in changed:
            if running and not cur["stateless"]:
                self.act("grow disk", self.client.call, "blockResize", dom.blockResize, "vda", want_disk,
                         lvc.libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES)
            else:
                self.act("grow disk", images.resize_overlay, overlay, want_disk)
        if set(changed) - {"disk", "autostart"}:
            dom = self.act("redefine", self.client.define, domain.build_domain_xml(want)) or dom
            if running and not self.module.check_mode and set(changed) & {"labels", "image", "cloud_init"}:
                self.set_live_metadata(dom)
        if "autostart" in changed:
            self.act("autostart %s" % ("on" if after["autostart"] else "off"), self.client.call, "autostart",
                     dom.setAutostart, int(after["autostart"]))
        restart = sorted(set(k for k in changed if k in domain.RESTART_KEYS) | set(pending))
        if restart and running and p["state"] in ("present", "started", "paused"):
            if p["restart_on_change"]:
                self.restart(dom, want)
            else:
                self.warnings.append("%s changed in the definition of running VM '%s'; it takes effect at the next "
                                     "start (set restart_on_change=true to restart now)"
                                     % (", ".join(restart), o["name"]))
        return dom, True

    def pending_keys(self, dom, persistent):
        live = domain.shown(domain.Domain(self.client.xml(dom)).spec)
        return [k for k in domain.RESTART_KEYS if live[k] != persistent[k]]

    def set_live_metadata(self, dom):
        import xml.etree.ElementTree as ET  # pylint: disable=import-outside-toplevel
        persistent = ET.fromstring(self.client.xml(dom, inactive=True))
        meta = persistent.find("metadata/{%s}vm" % domain.META_NS)
        text = ET.tostring(meta, encoding="unicode")
        self.client.call("setMetadata", dom.setMetadata, lvc.libvirt.VIR_DOMAIN_METADATA_ELEMENT, text, "wvm",
                         domain.META_NS, lvc.libvirt.VIR_DOMAIN_AFFECT_LIVE)

    # ------------------------------------------------------------ run state
    def start(self, dom, spec):
        if not self.module.check_mode and spec["network"] and spec["network"]["mode"] == "network":
            self.stale_leases = frozenset(record for record in self.client.lease_records([spec["network"]["source"]])
                                          if record[0] == spec["mac"])
        self.act("start", self.client.call, "start", dom.create)
        if spec["stateless"]:
            self.act("start keeper", self.start_keeper, dom, spec)

    def start_keeper(self, dom, spec):
        keeper.start_keeper(self.client.uri, spec["dir"], dom.UUIDString())

    def stop(self, dom, spec):
        if not self.module.check_mode:
            keeper.stop_keeper(spec["dir"], dom.UUIDString())
        self.act("stop", self.client.stop, dom, self.p["stop_timeout"])

    def restart(self, dom, spec):
        self.stop(dom, spec)
        self.start(dom, spec)

    def run_state(self, dom, current, spec):
        """Move from `current` (running/paused/stopped/...) to the wanted state; True if something was done."""
        state = self.p["state"]
        before = len(self.actions)
        if state == "started":
            if current == "paused":
                self.act("resume", self.client.call, "resume", dom.resume)
            elif current != "running":
                self.start(dom, spec)
        elif state == "paused":
            if current not in ("running", "paused"):
                self.start(dom, spec)
            if current != "paused":
                self.act("pause", self.client.call, "suspend", dom.suspend)
        elif state == "stopped":
            if current in ("running", "paused", "blocked"):
                self.stop(dom, spec)
        elif state == "restarted":
            if current in ("running", "paused", "blocked"):
                self.restart(dom, spec)
            else:
                self.start(dom, spec)
        return len(self.actions) > before

    # ------------------------------------------------------------ absent
    def remove(self, dom, result):
        xml_text = self.client.xml(dom, inactive=True)
        parsed = domain.Domain(xml_text)
        cur = parsed.spec
        if not parsed.ours:
            raise InputError("name: domain '%s' was not created by workstation.vms.qemu_vm; not removing it"
                             % cur["name"])
        result["changed"] = True
        result["diff"] = make_diff(domain.shown(cur), {}, cur["name"])
        if dom.isActive():
            if not self.module.check_mode:
                keeper.stop_keeper(cur["dir"], dom.UUIDString())
            self.act("destroy", self.client.call, "destroy", dom.destroy)
        self.act("undefine", self.client.call, "undefine", dom.undefineFlags, self.undefine_flags())
        if cur["dir"] and os.path.isdir(cur["dir"]):
            self.act("remove overlay and seed", images.remove_vm_files, cur["dir"])

    # ------------------------------------------------------------ wait and report
    def ssh_target(self, spec, ipv4):
        if spec["network"] and spec["network"]["mode"] == "user":
            for fwd in spec["port_forwards"]:
                if fwd["guest_port"] == 22 and fwd["protocol"] == "tcp":
                    host = fwd["host_address"]
                    return {"host": "127.0.0.1" if host == "0.0.0.0" else host, "port": fwd["host_port"]}
            return None
        return {"host": ipv4[0], "port": 22} if ipv4 else None

    def wait(self, dom, spec):
        what = self.p["wait_for"]
        timeout = self.p["wait_timeout"]
        network = lvo.network_text(spec["network"])
        found = {}

        def ipv4_probe():
            ipv4, ipv6 = self.client.addresses(dom, spec["mac"], network, self.stale_leases)
            found.update(ipv4=ipv4, ipv6=ipv6)
            return bool(ipv4) or (False, "no address yet")
        poll(ipv4_probe, timeout, "an IPv4 address of %s" % spec["name"])
        if what in ("ssh", "cloud-init"):
            if self.ssh_target(spec, found["ipv4"]) is None:
                raise InputError("wait_for: with network=user an SSH wait needs a port_forwards entry to guest "
                                 "port 22")

            # Addresses are read again on every try: the guest agent may answer before a lease shows, and the lease
            # then names the address the guest's network settled on.
            def ssh_probe():
                ipv4_probe()
                target = self.ssh_target(spec, found["ipv4"])
                return ssh_banner(target["host"], target["port"]) or (
                    False, "no SSH banner on %s:%s" % (target["host"], target["port"]))
            poll(ssh_probe, timeout, "SSH on %s" % spec["name"])
            self.actions.append("wait ssh")
        if what == "cloud-init":
            def cloud_init_probe():
                res = self.client.agent_exec(dom, "/usr/bin/cloud-init", ["status"])
                if res is None:
                    return False, "guest agent not answering"
                out = res[1]
                if "status: error" in out:
                    raise lvc.LibvirtError("wait_for: cloud-init in %s ended with an error: %s"
                                           % (spec["name"], out.strip()))
                return ("status: done" in out) or (False, out.strip())
            poll(cloud_init_probe, timeout, "cloud-init to finish in %s" % spec["name"])
            self.actions.append("wait cloud-init")
        return found

    def report(self, dom, found):
        live = self.client.xml(dom)
        persistent = self.client.xml(dom, inactive=True)
        spec = domain.Domain(persistent).spec
        state = self.client.state(dom)
        ipv4, ipv6 = found.get("ipv4"), found.get("ipv6")
        if state == "running" and ipv4 is None:
            ipv4, ipv6 = self.client.addresses(dom, spec["mac"], lvo.network_text(spec["network"]),
                                               self.stale_leases)
        overlay = spec["overlay"]
        disk = images.image_virtual_size(overlay) if overlay and os.path.exists(overlay) else None
        pending = False
        if state in ("running", "paused"):
            live_m, pers_m = domain.shown(domain.Domain(live).spec), domain.shown(spec)
            pending = any(live_m[k] != pers_m[k] for k in domain.RESTART_KEYS)
        return domain.Domain(live if state == "running" else persistent).instance(
            state, ipv4=ipv4, ipv6=ipv6, disk=disk, overlay=overlay, seed=spec["seed"], autostart=bool(dom.autostart()),
            pending_restart=pending, ssh=self.ssh_target(spec, ipv4 or []), uri=self.client.uri)

    def run(self):
        result = dict(changed=False, actions=self.actions, instance={})
        self.parse()
        self.client = lvc.LibvirtClient(self.p["uri"])
        try:
            dom = self.client.lookup(self.opts["name"])
            if self.p["state"] == "absent":
                if dom is not None:
                    self.remove(dom, result)
                return result
            if dom is not None and not domain.Domain(self.client.xml(dom, inactive=True)).ours:
                raise InputError("name: domain '%s' exists and was not created by workstation.vms.qemu_vm"
                                 % self.opts["name"])
            if dom is None:
                dom = self.create(result)
                if dom is None:  # check mode
                    return result
            else:
                dom, _changed = self.update(dom, result)
                spec = domain.Domain(self.client.xml(dom, inactive=True)).spec
                if self.run_state(dom, self.client.state(dom), spec):
                    result["changed"] = True
                    if self.p["state"] == "restarted" and "diff" in result:
                        result["diff"]["after"] = dict(result["diff"]["after"], restarted=True)
                elif spec["stateless"] and dom.isActive() and not self.module.check_mode:
                    self.start_keeper(dom, spec)  # after a host reboot; not a change of the VM
            found = {}
            if self.module.check_mode:
                return result
            spec = domain.Domain(self.client.xml(dom, inactive=True)).spec
            if self.p["wait_for"] != "none" and dom.isActive() and self.client.state(dom) == "running":
                found = self.wait(dom, spec)
            result["instance"] = self.report(dom, found)
            return result
        finally:
            self.client.close()


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not lvc.HAS_LIBVIRT:
        module.fail_json(msg=missing_required_lib("libvirt-python"))
    vm = QemuVm(module)
    try:
        result = vm.run()
    except InputError as exc:
        module.fail_json(msg=str(exc), actions=vm.actions)
    except (lvc.LibvirtError, WaitTimeout, OSError) as exc:
        module.fail_json(msg=str(exc), actions=vm.actions)
    if not module._diff:
        result.pop("diff", None)
    for warning in vm.warnings:
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
