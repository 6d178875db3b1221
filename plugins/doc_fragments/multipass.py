# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # How to reach Multipass (module_utils/multipass.py MultipassCli), for every multipass_* module.
    DOCUMENTATION = r"""
options:
  executable:
    description:
      - The C(multipass) command to run (a name looked up in E(PATH), or a path).
    type: str
    default: multipass
"""

    # Where the labels of Multipass instances are kept (multipass_instance, multipass_instance_info).
    LABEL_STORE = r"""
options:
  label_store:
    description:
      - JSON file holding the labels (and mount types) of Multipass instances, created 0600 when needed.
      - Entries are kept per Multipass driver (C(multipass get local.driver)), since each driver has its own instances,
        so after C(multipass set local.driver=...) an instance of the same name is another instance, with its own
        labels, and the first driver's entries are kept for when it is selected again.
      - A file written before entries were kept per driver (version 1, without C(drivers)) is read as the entries
        of the driver in use, and written back per driver at the next change.
      - The inventory plugin C(workstation.vms.guests) reads the same default file.
      - Defaults to C(~/.local/share/workstation.vms/multipass/labels.json).
    type: path
"""

    # What only Multipass instances have: launch-time networks and timeout, aliases, the primary instance
    # (multipass_instance; guest passes them through its options). Not named INSTANCE: the fragment name
    # workstation.vms.multipass.instance would load the fragment file instance.py instead.
    INSTANCE_OPTIONS = r"""
options:
  networks:
    description:
      - Extra network interfaces, given to C(multipass launch --network) when the instance is created
        (C(multipass networks) lists the names). Not available with the C(libvirt) driver.
      - Multipass does not report an instance's networks, so they are used only at creation.
    type: list
    elements: dict
    suboptions:
      name: {description: Host network (interface or bridge) name., type: str, required: true}
      mode:
        description: V(auto) configures the interface in the instance, V(manual) leaves it unconfigured.
        type: str
        choices: [auto, manual]
      mac: {description: MAC address of the interface in the instance., type: str}
  bridged:
    description: Add C(--bridged) at creation (the network named by C(multipass get local.bridged-network)).
    type: bool
    default: false
  timeout:
    description: Seconds given to C(multipass launch/start/restart --timeout). Multipass's default when omitted.
    type: int
  aliases:
    description:
      - Commands of the instance run as local commands (C(multipass alias <name>:<command> <alias>); the alias script
        in Multipass's alias folder, for example C(~/snap/multipass/common/bin), runs it). The list is exact; aliases
        of this instance that are not listed are removed (C(multipass unalias)). Omit the option to leave them alone.
      - New aliases are made in the active alias context (C(multipass prefer)); an alias already defined in another
        context (a blueprint's, in the context named like the instance) counts as present.
      - Multipass drops an instance's aliases when the instance is purged.
    type: list
    elements: dict
    suboptions:
      command: {description: The command in the instance (with arguments if needed)., type: str, required: true}
      name:
        description: The local name. Defaults to the command's file name, as C(multipass alias) does.
        type: str
      working_directory:
        description:
          - V(map) runs the command in the instance's path of the host's working directory when that is inside a
            mount; V(default) always in the instance's home (C(--no-map-working-directory)).
        type: str
        choices: [map, default]
        default: map
  primary:
    description:
      - V(true) makes this the primary instance (C(multipass set client.primary-name=<name>)), the one
        C(multipass shell), C(start), C(stop) use when no name is given. When the instance is created by this run,
        the setting comes first, so that C(multipass launch) mounts the home directory at C(Home) in it, as it does
        for the primary instance; with O(mounts) given, that mount is kept.
      - V(false) turns the primary feature off (empty C(client.primary-name)) when this instance is the primary one.
        Omit to leave the setting alone.
    type: bool
"""
