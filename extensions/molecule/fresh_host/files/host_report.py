# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prints, as JSON, the last hypervisor_host_report the role showed in an Ansible log read from stdin.

The project's ansible.cfg shows results as YAML: the report is the block indented under its key.
"""
import json
import re
import sys

import yaml

KEY = re.compile(r"^( *)hypervisor_host_report:\s*$")


def last_report(lines):
    starts = [i for i, line in enumerate(lines) if KEY.match(line)]
    if not starts:
        sys.exit("host_report: no hypervisor_host_report in the log")
    first = starts[-1]
    indent = len(KEY.match(lines[first]).group(1))
    block = [lines[first]]
    for line in lines[first + 1:]:
        if line.strip() and len(line) - len(line.lstrip(" ")) <= indent:
            break
        block.append(line)
    return yaml.safe_load("\n".join(line[indent:] for line in block))["hypervisor_host_report"]


if __name__ == "__main__":
    print(json.dumps(last_report(sys.stdin.read().splitlines())))
