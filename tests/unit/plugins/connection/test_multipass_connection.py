# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The multipass connection plugin against the fake CLI: exec, put, fetch, failures."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader, init_plugin_loader

# See tests/unit/plugins/inventory/test_guests.py: the plugin loader needs Ansible's collection finder.
if not any(type(f).__name__ == "_AnsibleCollectionFinder" for f in sys.meta_path):
    for _name in [m for m in sys.modules if m == "ansible_collections" or m.startswith("ansible_collections.")]:
        del sys.modules[_name]
    init_plugin_loader([str(pathlib.Path(__file__).absolute().parents[6])])

FAKES = pathlib.Path(__file__).absolute().parents[3] / "fakes"
FAKE = str(FAKES / "multipass")
sys.path.insert(0, str(FAKES))

import multipassd_fake  # noqa: E402  pylint: disable=wrong-import-position,import-error


@pytest.fixture
def conn(tmp_path, monkeypatch):
    for key, value in multipassd_fake.environment(str(tmp_path)).items():
        monkeypatch.setenv(key, value)
    with multipassd_fake.running():
        yield launched(tmp_path)


def launched(tmp_path):
    subprocess.run([FAKE, "launch", "-n", "mpi-c1"], check=True, capture_output=True)
    connection = connection_loader.get("workstation.vms.multipass", PlayContext(), None)
    connection.set_options(var_options=dict(inventory_hostname="mpi-c1.multipass",
                                            ansible_multipass_instance="mpi-c1",
                                            ansible_multipass_executable=FAKE))
    connection.root = tmp_path / "state" / "instances" / "mpi-c1" / "rootfs"
    return connection


def test_exec_runs_in_the_instance_with_stdin(conn):
    rc, out, err = conn.exec_command("cat; echo; echo $HOME; exit 7", in_data=b"piped")
    assert rc == 7 and err == b""
    assert out.decode().splitlines() == ["piped", "/home/ubuntu"]


def test_put_and_fetch(conn, tmp_path):
    local = tmp_path / "in.txt"
    local.write_text("payload")
    conn.put_file(str(local), "/home/ubuntu/copied.txt")
    assert (conn.root / "home" / "ubuntu" / "copied.txt").read_text() == "payload"
    conn.fetch_file("/home/ubuntu/copied.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_text() == "payload"
    with pytest.raises(AnsibleFileNotFound):
        conn.put_file(str(tmp_path / "missing"), "/x")
    with pytest.raises(AnsibleError, match="multipass transfer"):
        conn.fetch_file("/home/ubuntu/nothere", str(tmp_path / "x"))


def test_missing_instance_and_missing_executable(conn, tmp_path):
    conn.set_options(var_options=dict(inventory_hostname="nope", ansible_multipass_executable=FAKE))
    with pytest.raises(AnsibleConnectionFailure, match='instance "nope" does not exist'):
        conn.exec_command("true")
    conn.set_options(var_options=dict(inventory_hostname="nope",
                                      ansible_multipass_executable=str(tmp_path / "no-multipass")))
    with pytest.raises(AnsibleConnectionFailure, match="cannot run"):
        conn.exec_command("true")


def test_the_instance_name_defaults_to_the_inventory_name(conn):
    conn.set_options(var_options=dict(inventory_hostname="mpi-c1", ansible_multipass_executable=FAKE))
    assert conn.exec_command("true")[0] == 0
    assert os.path.isdir(conn.root)
