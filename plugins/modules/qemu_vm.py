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
  - workstation.vms.instance.restart
  - workstation.vms.instance.attributes
  - workstation.vms.libvirt
  - workstation.vms.libvirt.vm
options:
  state:
    description:
      - V(present) defines the VM without changing whether it runs; V(started), V(stopped), V(paused) put it in that
        state; V(restarted) stops and starts it (always a change); V(absent) removes it with its overlay and seed.
    type: str
    choices: [present, started, stopped, restarted, paused, absent]
    default: started
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
        V(cloud-init) waits until C(cloud-init status) run through qemu-guest-agent (C(guest-exec)) says C(done);
        V(degraded) is a warning, V(error) or V(disabled) fails the task. Needs no SSH credentials.
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
  description: The VM in the shape every instance module of the collection returns (name, backend, state when absent).
  returned: always
  type: dict
  contains:
    name: {description: Domain name., type: str, returned: success}
    backend: {description: Always V(libvirt)., type: str, returned: success}
    type: {description: Always V(vm)., type: str, returned: success}
    state: {description: "V(running), V(paused), V(stopped), and so on, as libvirt reports it.", type: str,
            returned: success}
    ipv4: {description: IPv4 addresses (DHCP lease or guest agent)., type: list, elements: str, returned: success}
    ipv6: {description: IPv6 addresses (guest agent)., type: list, elements: str, returned: success}
    image: {description: The image the overlay is backed by (path or URL as given)., type: str, returned: success}
    cpus: {description: Virtual CPUs., type: int, returned: success}
    memory: {description: "Memory in bytes (as in every backend's C(instance); the diff shows it as V(1GiB)).",
             type: int, returned: success}
    disk: {description: Virtual size of the overlay in bytes., type: int, returned: success}
    mounts: {description: "Host dirs shown in the guest (source, path, readonly).", type: list, elements: dict,
             returned: success}
    labels: {description: Labels from the domain metadata., type: dict, returned: success}
    mac: {description: MAC address of the network interface., type: str, returned: success}
    network: {description: "V(network:NAME), V(bridge:NAME) or V(user).", type: str, returned: success}
    stateless: {description: Whether root changes are thrown away at shutdown., type: bool, returned: success}
    accel: {description: "Domain type, V(kvm) or V(qemu) (TCG).", type: str, returned: success}
    console: {description: "V(spice://127.0.0.1:PORT) or V(vnc://...) while running with graphics, else null.",
              type: str, returned: success}
    overlay: {description: "Path of the VM's qcow2 overlay.", type: str, returned: success}
    seed: {description: Path of the NoCloud seed ISO., type: str, returned: success}
    autostart: {description: Whether libvirtd starts it at boot., type: bool, returned: success}
    pending_restart:
      description: Deprecated, use the top-level RV(pending_restart) (a list of names). True while the definition
        differs from the running VM until it is restarted. Will be removed in 2.0.0.
      type: bool
      returned: success
    ssh: {description: "Where SSH is reached (host and port), null when unknown.", type: dict, returned: success}
    uri: {description: The libvirt connection URI., type: str, returned: success}
actions:
  description: What was done (or, in check mode, would be done), in order.
  returned: always
  type: list
  elements: str
  sample: [download image, create overlay, write seed, define, start, start keeper]
pending_restart:
  description: Settings changed in the definition of the running VM that take effect only at its next start (see
    O(restart_on_change)); empty when nothing waits for a restart.
  returned: always
  type: list
  elements: str
  sample: [memory]
cloud_init_status: {description: "What C(cloud-init status) said (V(done) or V(degraded)).", type: str,
                    returned: when O(wait_for=cloud-init)}
diff:
  description: Before and after of the managed settings (with C(--diff)).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.workstation.vms.plugins.module_utils.instance import run
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_client import HAS_LIBVIRT
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_instance_backend import (
    LibvirtInstance, argument_spec)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not HAS_LIBVIRT:
        module.fail_json(msg=missing_required_lib("libvirt-python"))
    run(module, LibvirtInstance(module))


if __name__ == "__main__":
    main()
