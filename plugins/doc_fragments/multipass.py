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
      - The inventory plugin C(workstation.vms.guests) reads the same default file.
      - Defaults to C(~/.local/share/workstation.vms/multipass/labels.json).
    type: path
"""
