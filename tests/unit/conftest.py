# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-core before 2.19 has no ansible.module_utils.testing: the module tests get its patch_module_args from
here on those versions (tests/env/matrix.sh runs the unit tests on every ansible-core the collection supports)."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
import types
from unittest import mock

# 2.19 and later: the real one is used
if importlib.util.find_spec("ansible.module_utils.testing") is None:
    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """What 2.19's patch_module_args does for the legacy profile: the args AnsibleModule reads from stdin."""
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()):
            yield

    testing = types.ModuleType("ansible.module_utils.testing")
    testing.patch_module_args = patch_module_args
    sys.modules["ansible.module_utils.testing"] = testing

try:
    from hypothesis import settings
except ImportError:  # the matrix' venvs of older cores may run without it
    settings = None
if settings is not None:
    # Hypothesis' per-example deadline (200 ms) fails a test by timing alone on a loaded 2-core host.
    settings.register_profile("workstation-vms", deadline=None)
    settings.load_profile("workstation-vms")
