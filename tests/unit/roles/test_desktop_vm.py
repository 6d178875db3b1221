# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The desktop_vm role keeps no image-server table of its own: its default images must mean, on each daemon, what
lxd_instance's per-daemon remote table (module_utils/lxd.py BUILTIN_REMOTES) says, and the role's documented
defaults must be its real ones."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.workstation.vms.plugins.module_utils import lxd

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "desktop_vm")


def load(*parts):
    with open(os.path.join(ROLE, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


DEFAULTS = load("defaults", "main.yml")


@pytest.mark.parametrize("backend", ["lxd", "incus"])
def test_default_image_is_a_builtin_remote_of_its_daemon(backend):
    image = DEFAULTS["desktop_vm_default_images"][backend]
    remote, alias = image.split(":", 1)
    source = lxd.image_source(image, daemon=lambda: backend)
    assert source["server"] == lxd.BUILTIN_REMOTES[backend][remote]
    assert source["alias"] == alias and source["protocol"] == "simplestreams"


def test_role_has_no_remote_table_beside_the_modules():
    assert not [name for name in DEFAULTS if "server" in name or "remote" in name]
    tasks = load("tasks", "main.yml") + load("tasks", "lxd.yml")
    assert not any("image_servers" in str(task) for task in tasks)


def test_documented_defaults_are_the_defaults():
    options = load("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name, spec in options.items():
        if "default" in spec:
            assert spec["default"] == DEFAULTS[name], name
