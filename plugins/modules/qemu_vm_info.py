#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: qemu_vm_info
short_description: Read the QEMU VMs of workstation.vms.qemu_vm in the shape that module returns
version_added: 0.3.0
description:
  - Returns one VM (O(name)) or every libvirt domain that M(workstation.vms.qemu_vm) made on the connection, each
    as RV(instances[]) in the shape M(workstation.vms.qemu_vm) returns as its
    RV(workstation.vms.qemu_vm#module:instance).
  - Domains made otherwise (without the module's metadata) are not listed.
  - Read-only. Addresses of a running VM come from libvirt's DHCP leases, else from qemu-guest-agent.
author: workstation.vms contributors (@workstation-vms)
extends_documentation_fragment:
  - workstation.vms.instance.info
  - workstation.vms.instance.read_only
  - workstation.vms.libvirt
seealso:
  - module: workstation.vms.qemu_vm
  - module: workstation.vms.lxd_instance_info
  - module: workstation.vms.multipass_instance_info
"""

EXAMPLES = r"""
- name: Every VM qemu_vm made on the system connection
  workstation.vms.qemu_vm_info:
  register: vms

- name: One VM (an empty list when it does not exist)
  workstation.vms.qemu_vm_info:
    name: dev1
    uri: qemu:///system
  register: dev1

- name: Its SSH address
  ansible.builtin.debug:
    msg: "{{ (dev1.instances | first).ssh if dev1.instances else 'no such VM' }}"
"""

RETURN = r"""
instances:
  description: The VMs found; empty when O(name) does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: Domain name., type: str, returned: always, sample: dev1}
    backend: {description: Always V(libvirt)., type: str, returned: always}
    type: {description: Always V(vm)., type: str, returned: always}
    state: {description: "V(running), V(paused), V(stopped), and so on, as libvirt reports it.", type: str,
            returned: always}
    ipv4: {description: IPv4 addresses (DHCP lease or guest agent)., type: list, elements: str, returned: always}
    ipv6: {description: IPv6 addresses (guest agent)., type: list, elements: str, returned: always}
    image: {description: The image the overlay is backed by (path or URL as given)., type: str, returned: always}
    cpus: {description: Virtual CPUs., type: int, returned: always}
    memory: {description: Memory in bytes., type: int, returned: always}
    disk: {description: Virtual size of the overlay in bytes., type: int, returned: always}
    mounts: {description: "Host dirs shown in the guest (source, path, readonly).", type: list, elements: dict,
             returned: always}
    labels: {description: Labels from the domain metadata., type: dict, returned: always}
    mac: {description: MAC address of the network interface., type: str, returned: always}
    network: {description: "V(network:NAME), V(bridge:NAME) or V(user).", type: str, returned: always}
    stateless: {description: Whether root changes are thrown away at shutdown., type: bool, returned: always}
    accel: {description: "Domain type, V(kvm) or V(qemu) (TCG).", type: str, returned: always}
    console: {description: "V(spice://127.0.0.1:PORT) or V(vnc://...) while running with graphics, else null.",
              type: str, returned: always}
    overlay: {description: "Path of the VM's qcow2 overlay.", type: str, returned: always}
    seed: {description: Path of the NoCloud seed ISO., type: str, returned: always}
    autostart: {description: Whether libvirtd starts it at boot., type: bool, returned: always}
    pending_restart: {description: True while the definition differs from the running VM., type: bool,
                      returned: always}
    ssh: {description: "Where SSH is reached (host and port), null when unknown.", type: dict, returned: always}
    uri: {description: The libvirt connection URI., type: str, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.workstation.vms.plugins.module_utils import instance_info
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_client import HAS_LIBVIRT
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_instance_backend import (
    LibvirtInstance, connection_argument_spec)


def main():
    module = AnsibleModule(argument_spec=instance_info.argument_spec(connection_argument_spec()),
                           supports_check_mode=True)
    if not HAS_LIBVIRT:
        module.fail_json(msg=missing_required_lib("libvirt-python"))
    instance_info.run(module, LibvirtInstance(module))


if __name__ == "__main__":
    main()
