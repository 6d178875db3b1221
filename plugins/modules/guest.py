#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: guest
short_description: One guest declaration for every backend (LXD, Incus, libvirt, Multipass)
version_added: 0.3.0
description:
  - Converges one guest on the backend that O(backend) names, with the options every instance module shares at
    the top level and the backend's own options under O(options). Switching backend is changing one word.
  - Runs exactly what the backend's own module runs (M(workstation.vms.lxd_instance) for V(lxd) and V(incus),
    M(workstation.vms.qemu_vm) for V(libvirt), M(workstation.vms.multipass_instance) for V(multipass)), with the
    same checks, results and errors.
author: workstation.vms contributors (@workstation-vms)
extends_documentation_fragment:
  - workstation.vms.instance.attributes
options:
  backend:
    description:
      - V(lxd) and V(incus) use the LXD backend (V(incus) on the Incus socket unless O(options) gives C(socket)
        or C(url)); V(libvirt) QEMU through libvirt (C(uri), default C(qemu:///system)); V(multipass) the
        C(multipass) command line.
    type: str
    required: true
    choices: [incus, libvirt, lxd, multipass]
  name:
    description: Name of the guest, checked against the backend's naming rules before anything is changed.
    type: str
    required: true
  state:
    description:
      - V(present), V(started), V(stopped), V(restarted), V(absent), or a state only the backend has (V(frozen) on
        LXD, V(suspended) on Multipass). The backend module's default (V(started)) when not given.
    type: str
  image:
    description: Where the root disk comes from, as the backend spells it (see the backend module's O(image)).
    type: raw
  cpus:
    description: Number of virtual CPUs.
    type: int
  memory:
    description: Memory size as people write it (V(4G), V(16GiB), V(512MiB)).
    type: str
  disk:
    description: Size of the root disk, in the same syntax as O(memory).
    type: str
  cloud_init:
    description: cloud-init user-data, a dict (written as C(#cloud-config)) or a string.
    type: raw
  mounts:
    description:
      - Host directories in the guest, each with C(source), C(path), C(readonly) and the backend's own keys
        (C(shift) on LXD; C(type), C(uid_map), C(gid_map) on Multipass). Omit to leave mounts alone.
    type: list
    elements: dict
  mounts_mode:
    description:
      - V(replace) makes the guest's mounts exactly O(mounts); V(merge) adds or updates the given mounts, matched by
        guest path, and leaves the others. V(replace) when not given.
    type: str
  labels:
    description: Key/value labels the inventory plugin C(workstation.vms.guests) groups by.
    type: dict
  wait_for:
    description:
      - V(none), V(ipv4), V(ssh), V(cloud-init) (V(done) ok, V(degraded) a warning, V(error)/V(disabled) a
        failure), or a wait only the backend has (V(agent) on LXD). V(none) when not given.
    type: str
  wait_timeout:
    description: Seconds to wait for O(wait_for) (300 when not given).
    type: int
  options:
    description:
      - The backend's own options, as its module names them, for example C(config), C(profiles), C(socket),
        C(project) for LXD, or C(executable), C(label_store), C(purge) for Multipass.
      - An option of another backend, or a common option given here, fails before anything is changed.
    type: dict
    default: {}
notes:
  - Secrets among O(options) (such as C(trust_token)) are hidden from the output as in the backend's module.
seealso:
  - module: workstation.vms.lxd_instance
  - module: workstation.vms.multipass_instance
"""

EXAMPLES = r"""
- name: The same development guest, wherever it runs
  workstation.vms.guest:
    backend: "{{ guest_backend | default('lxd') }}"
    name: dev
    image: "{{ 'debian/12' if guest_backend | default('lxd') != 'multipass' else '24.04' }}"
    cpus: 2
    memory: 2GiB
    labels:
      role: dev
    wait_for: ipv4

- name: With options only LXD has
  workstation.vms.guest:
    backend: lxd
    name: dev
    options:
      config:
        security.nesting: true
      profiles: [default]

- name: Gone
  workstation.vms.guest:
    backend: multipass
    name: dev
    state: absent
"""

RETURN = r"""
instance:
  description: The guest in the common shape (name, backend, type, state, ipv4, ipv6, image, cpus, memory, disk,
    mounts, labels), plus what the backend's module adds.
  returned: always
  type: dict
actions:
  description: What was done (or, in check mode, would be done), in order.
  returned: always
  type: list
  elements: str
  sample: [create]
pending_restart:
  description: Settings that differ but take effect only after a restart (left alone).
  returned: always
  type: list
  elements: str
cloud_init_status:
  description: What C(cloud-init status) said with O(wait_for=cloud-init).
  returned: when O(wait_for=cloud-init)
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError
from ansible_collections.workstation.vms.plugins.module_utils.guest import argument_spec, backend_for
from ansible_collections.workstation.vms.plugins.module_utils.instance import run


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        proxy, backend = backend_for(module)
    except InputError as exc:
        module.fail_json(msg=str(exc), changed=False, actions=[])
    run(proxy, backend)


if __name__ == "__main__":
    main()
