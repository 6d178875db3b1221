#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: multipass_instance_info
short_description: Read Multipass instances in the shape workstation.vms.multipass_instance returns
version_added: 0.3.0
description:
  - Returns one instance (O(name)) or every Multipass instance, each as RV(instances[]) in the shape
    M(workstation.vms.multipass_instance) returns as its RV(workstation.vms.multipass_instance#module:instance).
  - Read-only. One C(multipass info --format json) for all instances, plus C(multipass get) of each one's
    resources (exact, where C(info) rounds them); labels and mount types come from O(label_store).
  - Deleted (recoverable) instances are listed with state V(deleted).
author: workstation.vms contributors (@workstation-vms)
extends_documentation_fragment:
  - workstation.vms.instance.info
  - workstation.vms.instance.read_only
  - workstation.vms.multipass
  - workstation.vms.multipass.label_store
seealso:
  - module: workstation.vms.multipass_instance
  - module: workstation.vms.lxd_instance_info
  - module: workstation.vms.qemu_vm_info
"""

EXAMPLES = r"""
- name: Every Multipass instance
  workstation.vms.multipass_instance_info:
  register: mp

- name: The running ones labelled role=dev
  ansible.builtin.debug:
    msg: "{{ mp.instances | selectattr('state', 'eq', 'running') | selectattr('labels.role', 'defined')
             | selectattr('labels.role', 'eq', 'dev') | map(attribute='name') }}"

- name: One instance (an empty list when it does not exist)
  workstation.vms.multipass_instance_info:
    name: dev
"""

RETURN = r"""
instances:
  description: The instances found, sorted by name; empty when O(name) does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: Instance name., type: str, returned: always, sample: dev}
    backend: {description: Always V(multipass)., type: str, returned: always}
    type: {description: Always V(vm)., type: str, returned: always}
    state: {description: "V(running), V(stopped), V(suspended), V(deleted), V(starting), ...", type: str,
            returned: always}
    status: {description: The state as Multipass spells it., type: str, returned: always, sample: Running}
    ipv4: {description: IPv4 addresses (management address first)., type: list, elements: str, returned: always}
    ipv6: {description: IPv6 addresses (Multipass reports none)., type: list, elements: str, returned: always}
    image: {description: Image release (C(image_release))., type: str, returned: always, sample: 24.04 LTS}
    cpus: {description: Number of CPUs., type: int, returned: always}
    memory: {description: Memory in bytes., type: int, returned: always}
    disk: {description: Disk size in bytes., type: int, returned: always}
    mounts: {description: "Mounts (source, path, type, uid_map, gid_map, readonly).", type: list, elements: dict,
             returned: always}
    labels: {description: Labels from the label store., type: dict, returned: always}
    release: {description: OS release inside the instance (only while running)., type: str, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.workstation.vms.plugins.module_utils import instance_info
from ansible_collections.workstation.vms.plugins.module_utils.multipass_instance_backend import (
    MultipassInstance, connection_argument_spec)


def main():
    module = AnsibleModule(argument_spec=instance_info.argument_spec(connection_argument_spec()),
                           supports_check_mode=True)
    instance_info.run(module, MultipassInstance(module))


if __name__ == "__main__":
    main()
