# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The options every instance module takes (lxd_instance, qemu_vm, multipass_instance).
    # A module documents `state` and `image` itself: their values differ per backend.
    DOCUMENTATION = r"""
options:
  name:
    description:
      - Name of the instance. Validated against the backend's naming rules before anything is changed.
    type: str
    required: true
  cpus:
    description:
      - Number of virtual CPUs, 1 to 1024 (the hard cap of every backend). Left as it is when not given.
    type: int
  memory:
    description:
      - Memory size as people write it, for example V(4G), V(16GiB), V(512MiB), V(1.5G), or a number of bytes.
      - Bare letters and C(KiB/MiB/GiB/TiB) are binary; C(kB/MB/GB/TB) are decimal.
      - At least 32MiB and at most 16TiB on every backend; V(qemu_vm) and V(multipass_instance) also refuse more than
        the host's RAM, and each backend has its own minimum (V(qemu_vm) 128MiB, V(multipass_instance) 128MiB).
    type: str
  disk:
    description:
      - Size of the root disk, in the same syntax as O(memory). Disks grow; they never shrink.
      - More than 0 and at most 1PiB (V(multipass_instance) at least 512MiB).
    type: str
  cloud_init:
    description:
      - cloud-init user-data, as a dict (written as C(#cloud-config)) or as a string (a C(#cloud-config)
        document, a script starting with C(#!), or any other cloud-init format).
      - Applied when the instance is created; a change on an existing instance is stored and reported,
        and takes effect only on a fresh instance (as in cloud-init itself).
    type: raw
  mounts:
    description:
      - Host directories shown in the guest. Host directories are never created or deleted by the module,
        not even with O(state=absent).
      - Mounts in the list and not on the instance are added; with O(mounts_mode=replace), mounts on the instance
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
  mounts_mode:
    description:
      - V(replace) makes the instance's mounts exactly O(mounts).
      - V(merge) adds or updates the mounts of O(mounts), matched by guest path, and leaves the instance's other
        mounts as they are (a role can add its mount without knowing the others).
    type: str
    choices: [merge, replace]
    default: replace
  labels:
    description:
      - Key/value labels the inventory plugin C(workstation.vms.guests) groups by. Keys hold letters, digits,
        C(_), C(.) and C(-). Values are stored as strings.
      - The given labels replace the instance's labels. Omit the option to leave labels alone.
    type: dict
  wait_for:
    description:
      - What to wait for after the instance is started. V(none), an IPv4 address (V(ipv4)), an SSH server
        answering (V(ssh)), or cloud-init having finished (V(cloud-init)). Backends may add their own.
    type: str
    default: none
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for) before failing; 1 or more.
    type: int
    default: 300
"""

    # restart_on_change as every backend means it (workstation.vms.instance.restart).
    RESTART = r"""
options:
  restart_on_change:
    description:
      - Restart a running instance to apply managed settings that the backend changes only while it is stopped.
      - Without it such settings are left alone and named in RV(pending_restart) and in a warning.
    type: bool
    default: false
"""

    # The check and diff modes of every instance module (workstation.vms.instance.attributes).
    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Predicts the same C(changed), C(diff) and RV(actions) as a real run, and changes nothing.
  diff_mode:
    support: full
    description: Shows the settings the module manages (and the power state) before and after.
"""

    # The options of the instance *_info modules (workstation.vms.instance.info).
    INFO = r"""
options:
  name:
    description:
      - Only the instance of this name. A name that does not exist gives an empty RV(instances), not a failure.
      - Every instance of the backend when omitted.
    type: str
  labels:
    description:
      - Only the instances that have all these labels (key and value).
    type: dict
"""

    # The attributes of a read-only module (workstation.vms.instance.read_only): the *_info modules.
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    description: Runs the same as without check mode; nothing is changed in either mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
"""
