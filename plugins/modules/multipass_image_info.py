#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: multipass_image_info
short_description: List the images and blueprints Multipass can launch
version_added: 0.3.0
description:
  - Returns what C(multipass find) offers, so that a playbook can choose the
    O(workstation.vms.multipass_instance#module:image) of an instance. For each image and blueprint, the name to
    launch it by, its remote, aliases, OS, release and version.
  - Read-only; it changes nothing, also not in check mode.
  - With O(name), only what matches that name (C(multipass find <name>)); each match is returned under the name
    searched for and without other aliases, as Multipass does.
  - Blueprints are deprecated in Multipass 1.16 and later; their list is read from the JSON key named
    "blueprints (deprecated)", or C(blueprints) from older Multipass.
author:
  - workstation.vms contributors (@workstation-vms)
extends_documentation_fragment:
  - workstation.vms.instance.read_only
  - workstation.vms.multipass
options:
  name:
    description:
      - Only what matches this, written C([<remote>:]<string>) (for example V(noble), V(24.04), V(daily:devel),
        V(appliance:nextcloud)). Without a remote Multipass searches the release remote, then the daily one.
      - Omitted, everything supported is listed.
    type: str
  only_images:
    description: List only images (C(multipass find --only-images)); RV(blueprints) is then empty.
    type: bool
    default: false
  only_blueprints:
    description: List only blueprints (C(multipass find --only-blueprints)); RV(images) is then empty.
    type: bool
    default: false
  show_unsupported:
    description: Include old images Multipass no longer supports (C(multipass find --show-unsupported)).
    type: bool
    default: false
notes:
  - Fails with a clear message when the Multipass daemon is not reachable (C(multipass) rc 2 with the socket
    message, or rc 3).
seealso:
  - module: workstation.vms.multipass_instance
  - name: multipass find
    description: The Multipass command this module reads.
    link: https://canonical.com/multipass/docs/find-command
"""

EXAMPLES = r"""
- name: What can Multipass launch here?
  workstation.vms.multipass_image_info:
  register: offered

- name: Launch the current LTS, whatever its number is
  workstation.vms.multipass_instance:
    name: dev
    image: "{{ (offered.images | selectattr('aliases', 'contains', 'lts') | first).image }}"

- name: Is the Nextcloud appliance offered?
  workstation.vms.multipass_image_info:
    name: appliance:nextcloud
  register: nextcloud

- name: Only the blueprints
  workstation.vms.multipass_image_info:
    only_blueprints: true
  register: blueprints
"""

RETURN = r"""
images:
  description: The images, in the order Multipass lists them.
  returned: success
  type: list
  elements: dict
  contains:
    image:
      description: What to launch it by (O(workstation.vms.multipass_instance#module:image)), C([<remote>:]<name>).
      type: str
      sample: daily:25.10
    name:
      description: The image's name without the remote.
      type: str
      sample: "25.10"
    remote:
      description: The remote serving it; empty for the release remote.
      type: str
      sample: daily
    aliases:
      description: Other names it can be launched by (one-letter aliases and C(ubuntu)/C(default) are left out,
        as C(multipass find) does).
      type: list
      elements: str
      sample: [questing, devel]
    os:
      description: The operating system; empty for a blueprint.
      type: str
      sample: Ubuntu
    release:
      description: The release, or a blueprint's description.
      type: str
      sample: "25.10"
    version:
      description: The image's version (a build date), or C(latest) for a blueprint.
      type: str
      sample: "20260520"
    description:
      description: The OS and the release as the C(Description) column of C(multipass find) shows them.
      type: str
      sample: Ubuntu 25.10
    kind:
      description: V(image) or V(blueprint).
      type: str
      sample: image
  sample:
    - {image: "24.04", name: "24.04", remote: "", aliases: [noble, lts], os: Ubuntu, release: 24.04 LTS,
       version: "20260518", description: Ubuntu 24.04 LTS, kind: image}
blueprints:
  description: The blueprints, with the same keys as RV(images) (C(kind) is V(blueprint)).
  returned: success
  type: list
  elements: dict
  sample:
    - {image: docker, name: docker, remote: "", aliases: [], os: "",
       release: "A Docker environment with Portainer and related tools", version: latest,
       description: "A Docker environment with Portainer and related tools", kind: blueprint}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.workstation.vms.plugins.module_utils.common import InputError
from ansible_collections.workstation.vms.plugins.module_utils.multipass import (
    MultipassCli, MultipassError, module_runner)
from ansible_collections.workstation.vms.plugins.module_utils.multipass_images import find


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str"),
            only_images=dict(type="bool", default=False),
            only_blueprints=dict(type="bool", default=False),
            show_unsupported=dict(type="bool", default=False),
            executable=dict(type="str", default="multipass"),
        ),
        mutually_exclusive=[("only_images", "only_blueprints")],
        supports_check_mode=True,
    )
    options = {k: module.params[k] for k in ("name", "only_images", "only_blueprints", "show_unsupported")}
    try:
        found = find(MultipassCli(module.params["executable"], run=module_runner(module)), **options)
    except InputError as exc:
        module.fail_json(msg=str(exc))
    except MultipassError as exc:
        module.fail_json(msg=str(exc), rc=exc.rc, stderr=exc.stderr)
    module.exit_json(changed=False, **found)


if __name__ == "__main__":
    main()
