# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What several integration tests share: one module run as Ansible makes it, the harness' image server, removing
an LXD/Incus instance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER = os.path.join(ROOT, "tests", "env", "image_server.py")


@pytest.fixture(scope="session")
def run_module():
    """run(module_name, args, check_mode=False): the module's JSON result; the arguments go in a JSON file as
    Ansible passes them, so the module runs its real main() in its own process."""
    def run(module, args, check_mode=False):
        fd, path = tempfile.mkstemp(prefix="wsvms-%s-" % module, suffix=".json")
        with os.fdopen(fd, "w") as handle:
            json.dump({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=check_mode)}, handle)
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))
        try:
            proc = subprocess.run([sys.executable, os.path.join(ROOT, "plugins", "modules", module + ".py"), path],
                                  capture_output=True, text=True, env=env, check=False, timeout=300)
        finally:
            os.unlink(path)
        return json.loads(proc.stdout)
    return run


@pytest.fixture(scope="session")
def image_server():
    """tests/env/image_server.py, started (a no-op when it runs already); its module for paths and URLs."""
    proc = subprocess.run([sys.executable, SERVER, "start"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sys.path.insert(0, os.path.dirname(SERVER))
    try:
        import image_server as server  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    return server


@pytest.fixture(scope="session")
def remove_instance():
    """remove(client, name): stop (forced) and delete a pylxd instance if it exists."""
    def remove(client, name):
        if client.instances.exists(name):
            instance = client.instances.get(name)
            if instance.status != "Stopped":
                instance.stop(force=True, wait=True)
            instance.delete(wait=True)
        assert not client.instances.exists(name)
    return remove
