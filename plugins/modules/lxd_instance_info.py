#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_instance_info
short_description: Read LXD and Incus instances in the shape workstation.vms.lxd_instance returns
version_added: 0.3.0
description:
  - Returns one instance (O(name)) or every instance of the project, each as RV(instances[]) in the shape
    M(workstation.vms.lxd_instance) returns as its RV(workstation.vms.lxd_instance#module:instance).
  - Read-only; listing all instances is one API request (one more per instance is never made).
  - With O(trust_token), connecting may register the client certificate with the server, as every LXD module does.
author: workstation.vms contributors (@workstation-vms)
extends_documentation_fragment:
  - workstation.vms.instance.info
  - workstation.vms.instance.read_only
  - workstation.vms.lxd
  - workstation.vms.lxd.preferred_nics
notes:
  - Works with LXD 5.0 and later and with Incus 6 (give O(socket) of Incus, for example V(/var/lib/incus/unix.socket)).
seealso:
  - module: workstation.vms.lxd_instance
  - module: workstation.vms.qemu_vm_info
  - module: workstation.vms.multipass_instance_info
"""

EXAMPLES = r"""
- name: Every instance of the default project
  workstation.vms.lxd_instance_info:
  register: lxd_all

- name: The mounts of one instance (an empty list of instances when it does not exist)
  workstation.vms.lxd_instance_info:
    name: dev
  register: dev_info

- name: Show them
  ansible.builtin.debug:
    msg: "{{ dev_info.instances | map(attribute='mounts') | first | default([]) }}"

- name: The instances labelled role=ci on Incus
  workstation.vms.lxd_instance_info:
    socket: /var/lib/incus/unix.socket
    labels:
      role: ci
"""

RETURN = r"""
instances:
  description: The instances found, sorted as the server lists them; empty when O(name) does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: Instance name., type: str, returned: always, sample: dev}
    backend: {description: Always V(lxd) (LXD or Incus)., type: str, returned: always}
    type: {description: V(container) or V(virtual-machine)., type: str, returned: always}
    state: {description: "V(running), V(stopped) or V(frozen).", type: str, returned: always}
    ipv4: {description: Global IPv4 addresses of every NIC but lo., type: list, elements: str, returned: always}
    ipv6: {description: Global IPv6 addresses., type: list, elements: str, returned: always}
    image: {description: Image description (or fingerprint) it was made from., type: str, returned: always}
    cpus: {description: C(limits.cpu) when it is a number., type: int, returned: always}
    memory: {description: C(limits.memory) in bytes., type: int, returned: always}
    disk: {description: Root disk size in bytes., type: int, returned: always}
    mounts: {description: "Host directories mounted: C(source), C(path), C(readonly).", type: list, elements: dict,
             returned: always}
    labels: {description: Labels (from C(user.label.*) keys)., type: dict, returned: always, sample: {role: dev}}
    project: {description: Project., type: str, returned: always}
    location: {description: Cluster member it runs on., type: str, returned: always}
    profiles: {description: Profiles., type: list, elements: str, returned: always}
    ephemeral: {description: Whether it is ephemeral., type: bool, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.workstation.vms.plugins.module_utils import instance_info, lxd
from ansible_collections.workstation.vms.plugins.module_utils.lxd_instance_backend import LxdInstance


def main():
    spec = dict(lxd.connection_argument_spec(), preferred_nics=dict(type="list", elements="str"))
    module = AnsibleModule(argument_spec=instance_info.argument_spec(spec),
                           supports_check_mode=True, mutually_exclusive=[("socket", "url")])
    instance_info.run(module, LxdInstance(module))


if __name__ == "__main__":
    main()
