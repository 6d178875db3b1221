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
  - workstation.vms.multipass
  - workstation.vms.multipass.label_store
  - workstation.vms.multipass.instance_options
  - workstation.vms.instance
  - workstation.vms.instance.restart
  - workstation.vms.instance.attributes
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
      - Mounts in the list and not on the instance are added; with O(mounts_mode=replace), mounts on the instance that
        are not in the list are removed (C(multipass umount), the host directory stays); a mount whose source, type or
        id maps differ is unmounted and mounted again. Omit the option to leave mounts alone.
    type: list
    elements: dict
    suboptions:
      source: {description: Absolute path of an existing directory on the host., type: path, required: true}
      path: {description: Absolute path in the instance., type: str, required: true}
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
        V(cloud-init) runs C(cloud-init status) in the instance through C(multipass exec) until it is final.
      - V(done) is success, V(degraded) a warning; V(error), and V(disabled) (cloud-init does not run), fail.
    choices: [none, ipv4, ssh, cloud-init]
  purge:
    description:
      - With O(state=absent), also purge the instance (only this one) so that it cannot be recovered and its name is
        free again. V(false) leaves it deleted (recoverable with O(state=present)).
    type: bool
    default: true
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

- name: The primary instance (home directory mounted at ~/Home), with docker as a local command
  workstation.vms.multipass_instance:
    name: dev
    primary: true
    aliases:
      - command: docker
      - command: docker compose
        name: dcompose
        working_directory: default

- name: From the docker blueprint (its CPUs, memory, disk, aliases and workspace are reported)
  workstation.vms.multipass_instance:
    name: box
    image: docker

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
    aliases:
      description: The aliases that run in this instance, from every alias context (name, command, working_directory).
      type: list
      elements: dict
      returned: always
      sample: [{name: mdocker, command: docker, working_directory: map}]
    primary: {description: Whether this is the primary instance (C(client.primary-name))., type: bool, returned: always}
    release: {description: OS release inside the instance (only while running)., type: str, returned: always}
actions:
  description: What was done (or, in check mode, would be done), in order.
  returned: always
  type: list
  elements: str
  sample: ["launch", "mount /home/ubuntu/src", "set memory"]
pending_restart:
  description: Resources that differ on a running instance and were left alone (see O(restart_on_change)).
  returned: always
  type: list
  elements: str
  sample: [memory]
pending:
  description: Deprecated, use RV(pending_restart) (the same list, the name every instance module returns).
    Will be removed in 2.0.0.
  returned: always
  type: list
  elements: str
cloud_init_status:
  {description: "What C(cloud-init status) said (V(done) or V(degraded)).", returned: when O(wait_for=cloud-init), type: str}
driver:
  description:
    - The Multipass driver (C(multipass get local.driver)) the run used. Each driver has its own instances, so an
      instance launched with another driver is not seen (and would be created again) while this one is selected.
  returned: when the instance could be read
  type: str
  sample: qemu
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.workstation.vms.plugins.module_utils.instance import run
from ansible_collections.workstation.vms.plugins.module_utils.multipass_instance_backend import (
    MultipassInstance, argument_spec)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run(module, MultipassInstance(module))


if __name__ == "__main__":
    main()
