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
version_added: 0.1.0
author: workstation.vms contributors (@workstation-vms)
extends_documentation_fragment:
  - workstation.vms.instance
  - workstation.vms.instance.restart
  - workstation.vms.instance.attributes
  - workstation.vms.lxd
  - workstation.vms.lxd.preferred_nics
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
      - V(remote:alias) with a built-in remote of the daemon or one of O(remotes), for example V(ubuntu:24.04)
        or V(images:debian/12). The built-in remotes are those of the daemon's own CLI, chosen by what the
        server says it is (C(GET /1.0)). On LXD V(images) is U(https://images.lxd.canonical.com), V(ubuntu),
        V(ubuntu-daily), V(ubuntu-minimal) and V(ubuntu-minimal-daily) are on U(https://cloud-images.ubuntu.com).
        On Incus V(images) is U(https://images.linuxcontainers.org) and there is no other; a remote the daemon
        does not have (V(ubuntu:24.04) on Incus) fails before anything is created, naming the remote and the
        daemon.
      - A local alias (V(debian/12)) or a local image fingerprint (12 to 64 hex digits). Local images are
        checked, and their type must match O(type), before anything is created.
      - A dict with C(server), C(protocol) (V(simplestreams) by default, or V(lxd)/V(incus)) and C(alias) or
        C(fingerprint).
      - Required to create an instance; ignored for an existing one.
    type: raw
  remotes:
    description:
      - Image servers by name, added to the built-in ones (a name given here wins over a built-in one), for
        O(image=name:alias). A value is a URL or a dict with C(server), C(protocol) and, for a server whose
        certificate the daemon does not trust, C(certificate) (its PEM text).
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
  cpus: {description: "Number of CPUs, C(limits.cpu)."}
  memory: {description: C(limits.memory).}
  disk: {description: "Size of the root disk device (a local C(root) device overriding the profile's, same pool)."}
  cloud_init: {description: "Stored as C(cloud-init.user-data) (not the older C(user.user-data), which is left alone)."}
  mounts:
    description:
      - Host directories shown in the guest. Host directories are never created or deleted by the module,
        not even with O(state=absent).
      - Each mount is a C(disk) device named C(mount-<guest path>). Mounts in the list and not on the instance
        are added; with O(mounts_mode=replace), local disk devices with a host source (other than the root disk, and
        not named in O(devices)) that are not in the list are removed (the host directory stays). With
        O(mounts_mode=merge) the other disk devices stay as they are. Omit the option to leave mounts alone.
    type: list
    elements: dict
    suboptions:
      source: {description: Absolute path of an existing directory on the host., type: path, required: true}
      path: {description: Absolute path in the guest., type: str, required: true}
      readonly: {description: Mount read-only in the guest., type: bool, default: false}
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
  labels: {description: "Stored as C(user.label.<key>) config keys. Other C(user.*) keys are not labels and stay untouched."}
  ephemeral:
    description:
      - An ephemeral instance is deleted by LXD when it stops. Cannot be combined with O(state=stopped).
    type: bool
  wait_for:
    description:
      - V(ipv4) waits for an IPv4 address on any NIC (or on O(wait_nic)); NICs without DHCP are never waited for.
      - V(agent) waits for the LXD agent of a virtual machine (needed for exec).
      - V(cloud-init) runs C(cloud-init status --wait); V(degraded) warns, V(error) and V(disabled) fail.
      - V(ssh) waits for an SSH banner on port 22 of the first IPv4 address.
      - Only with O(state=started), O(state=restarted) or O(state=present) (when running).
    choices: [none, ipv4, agent, cloud-init, ssh]
  wait_nic:
    description:
      - The guest interface (as C(lxc list) shows it, e.g. V(eth0)) O(wait_for=ipv4) waits on; else O(preferred_nics)' order.
    type: str
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
    name: {description: Instance name., type: str, returned: always}
    backend: {description: Always V(lxd) (LXD or Incus)., type: str, returned: always}
    type: {description: V(container) or V(virtual-machine)., type: str, returned: always}
    state: {description: "V(running), V(stopped), V(frozen) or V(absent).", type: str, returned: always}
    ipv4: {description: Global IPv4 addresses of every NIC but lo., type: list, elements: str, returned: always}
    ipv6: {description: Global IPv6 addresses., type: list, elements: str, returned: always}
    image: {description: Image description (or fingerprint) it was made from., type: str, returned: when it exists}
    cpus: {description: C(limits.cpu) when it is a number., type: int, returned: always}
    memory: {description: C(limits.memory) in bytes., type: int, returned: always}
    disk: {description: Root disk size in bytes., type: int, returned: always}
    mounts: {description: "Host directories mounted: C(source), C(path), C(readonly).", type: list, elements: dict,
             returned: always}
    labels: {description: Labels (from C(user.label.*) keys)., type: dict, returned: always}
    project: {description: Project., type: str, returned: when it exists}
    profiles: {description: Profiles., type: list, elements: str, returned: when it exists}
    ephemeral: {description: Whether it is ephemeral., type: bool, returned: when it exists}
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
  {description: "What C(cloud-init status) said (V(done) or V(degraded)).", returned: when O(wait_for=cloud-init), type: str}
api_calls: {description: Number of API requests this run made., returned: always, type: int}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.workstation.vms.plugins.module_utils.instance import run
from ansible_collections.workstation.vms.plugins.module_utils.lxd_instance_backend import LxdInstance, argument_spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[("socket", "url")])
    run(module, LxdInstance(module))


if __name__ == "__main__":
    main()
