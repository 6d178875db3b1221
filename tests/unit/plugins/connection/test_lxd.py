# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

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


class Recorder:
    def __init__(self, rc=0, stdout=b"", stderr=b""):
        self.calls = []
        self.rc, self.stdout, self.stderr = rc, stdout, stderr

    def __call__(self, args, input=None, env=None, **kwargs):
        self.calls.append(dict(args=[a.decode() for a in args], input=input, env=env))
        return subprocess.CompletedProcess(args, self.rc, self.stdout, self.stderr)


def connection(monkeypatch, recorder, **hostvars):
    conn = connection_loader.get("workstation.vms.lxd", PlayContext(), None)
    variables = dict(inventory_hostname="web1.lxd", ansible_host="10.99.10.5")
    variables.update(hostvars)
    conn.set_options(var_options=variables)
    monkeypatch.setattr(subprocess, "run", recorder)
    return conn


def test_instance_by_name_never_by_ansible_host(monkeypatch):
    rec = Recorder(stdout=b"ok")
    conn = connection(monkeypatch, rec, ansible_lxd_instance="web1", ansible_lxd_project="lab",
                      ansible_lxd_socket="/var/lib/lxd/unix.socket")
    rc, out, _err = conn.exec_command("echo ok", in_data=b"data")
    assert (rc, out) == (0, b"ok")
    call = rec.calls[0]
    assert call["args"] == ["lxc", "--project", "lab", "exec", "web1", "--", "/bin/sh", "-c", "echo ok"]
    assert call["input"] == b"data"
    assert call["env"]["LXD_SOCKET"] == "/var/lib/lxd/unix.socket"


def test_inventory_hostname_is_the_default_instance(monkeypatch):
    rec = Recorder()
    conn = connection(monkeypatch, rec)
    conn.exec_command("true")
    assert rec.calls[0]["args"][:4] == ["lxc", "exec", "web1.lxd", "--"]


def test_incus_cli_remote_and_socket(monkeypatch):
    rec = Recorder()
    conn = connection(monkeypatch, rec, ansible_lxd_instance="db", ansible_lxd_cli="incus",
                      ansible_lxd_remote="lab", ansible_lxd_socket="/var/lib/incus/unix.socket")
    conn.exec_command("true")
    assert rec.calls[0]["args"][:3] == ["incus", "exec", "lab:db"]
    assert rec.calls[0]["env"]["INCUS_SOCKET"] == "/var/lib/incus/unix.socket"


def test_non_root_user_runs_through_su(monkeypatch):
    rec = Recorder()
    conn = connection(monkeypatch, rec, ansible_lxd_instance="web1", ansible_user="debian")
    conn.exec_command("id")
    assert rec.calls[0]["args"][-6:] == ["su", "-s", "/bin/sh", "debian", "-c", "id"]


@pytest.mark.parametrize("stderr, message", [
    (b"Error: Instance is not running", "is not running"),
    (b"Error: Instance not found", "not found"),
    (b'Error: Get "http://unix.socket/1.0": dial unix /x: connect: no such file or directory', "cannot reach"),
])
def test_instance_errors_are_connection_failures(monkeypatch, stderr, message):
    conn = connection(monkeypatch, Recorder(rc=1, stderr=stderr), ansible_lxd_instance="web1")
    with pytest.raises(AnsibleConnectionFailure, match=message):
        conn.exec_command("true")


def test_command_failure_is_returned_not_raised(monkeypatch):
    conn = connection(monkeypatch, Recorder(rc=3, stderr=b"boom"), ansible_lxd_instance="web1")
    assert conn.exec_command("false") == (3, b"", b"boom")


def test_put_and_fetch(monkeypatch, tmp_path):
    rec = Recorder()
    conn = connection(monkeypatch, rec, ansible_lxd_instance="web1", ansible_lxd_project="lab")
    src = tmp_path / "f"
    src.write_text("x")
    conn.put_file(str(src), "/tmp/f")
    conn.fetch_file("/etc/hostname", str(tmp_path / "h"))
    assert rec.calls[0]["args"] == ["lxc", "--project", "lab", "file", "push", str(src), "web1/tmp/f"]
    assert rec.calls[1]["args"] == ["lxc", "--project", "lab", "file", "pull", "web1/etc/hostname", str(tmp_path / "h")]
    with pytest.raises(AnsibleFileNotFound):
        conn.put_file(str(tmp_path / "missing"), "/tmp/x")


def test_put_as_user_sets_owner(monkeypatch, tmp_path):
    rec = Recorder(stdout=b"1000\n1000\n")
    conn = connection(monkeypatch, rec, ansible_lxd_instance="web1", ansible_user="debian")
    src = tmp_path / "f"
    src.write_text("x")
    conn.put_file(str(src), "/home/debian/f")
    assert rec.calls[-1]["args"][:7] == ["lxc", "file", "push", "--uid", "1000", "--gid", "1000"]


def test_put_failure_raises(monkeypatch, tmp_path):
    conn = connection(monkeypatch, Recorder(rc=1, stderr=b"Error: permission denied"), ansible_lxd_instance="w")
    src = tmp_path / "f"
    src.write_text("x")
    with pytest.raises(AnsibleError, match="permission denied"):
        conn.put_file(str(src), "/root/f")
