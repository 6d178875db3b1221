# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: lxd
short_description: Run tasks in LXD or Incus instances by name, through the C(lxc) or C(incus) CLI
description:
  - Runs commands and puts/fetches files in an LXD or Incus instance with C(lxc exec) / C(lxc file push|pull)
    (or the C(incus) equivalents), like C(community.general.lxd), without needing that collection.
  - The instance is found by its B(name) (O(instance)), never by C(ansible_host); so an inventory can set
    C(ansible_host) to the guest's IP address for other uses and the connection still reaches the right instance.
  - The daemon is chosen with O(socket) (a local unix socket) or O(remote) (a remote configured in the CLI),
    the project with O(project). P(workstation.vms.guests#inventory) sets all of these.
  - Supports pipelining (a module runs with one C(exec)).
version_added: 0.1.0
author: workstation.vms contributors (@workstation-vms)
requirements:
  - The C(lxc) CLI (LXD) or the C(incus) CLI (Incus) on the controller.
options:
  instance:
    description: Name of the instance to run in.
    type: str
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_lxd_instance
  cli:
    description: The CLI to run, V(lxc) for LXD or V(incus) for Incus (a name on E(PATH) or a path).
    type: str
    default: lxc
    vars:
      - name: ansible_lxd_cli
    env:
      - name: ANSIBLE_LXD_CLI
  socket:
    description:
      - Unix socket of the daemon (passed to the CLI as E(LXD_SOCKET) or E(INCUS_SOCKET)).
      - The CLI's default when not set.
    type: str
    vars:
      - name: ansible_lxd_socket
  remote:
    description: A remote configured in the CLI (C(lxc remote add)); the CLI's default remote when not set.
    type: str
    vars:
      - name: ansible_lxd_remote
  project:
    description: Project of the instance; the CLI's current project when not set.
    type: str
    vars:
      - name: ansible_lxd_project
  executable:
    description: Shell that runs commands in the instance.
    type: str
    default: /bin/sh
    vars:
      - name: ansible_executable
      - name: ansible_lxd_executable
  remote_user:
    description:
      - User to run as in the instance; commands of users other than root run through C(su).
    type: str
    default: root
    vars:
      - name: ansible_user
    env:
      - name: ANSIBLE_REMOTE_USER
    keyword:
      - name: remote_user
"""

EXAMPLES = r"""
# inventory (static): an instance of the Incus daemon, project "lab"
# web1 ansible_connection=workstation.vms.lxd ansible_lxd_cli=incus ansible_lxd_project=lab

- name: Run in an LXD container by name
  hosts: web1
  gather_facts: false
  vars:
    ansible_connection: workstation.vms.lxd
    ansible_lxd_instance: web1
  tasks:
    - ansible.builtin.ping:
"""

import os
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.connection import ConnectionBase

_NOT_RUNNING = ("is not running", "Instance is not running")
_NOT_FOUND = ("Instance not found", "not found")


class Connection(ConnectionBase):
    """Run in an LXD/Incus instance through the CLI."""

    transport = "workstation.vms.lxd"
    has_pipelining = True
    default_user = "root"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._ids = None

    # --- building command lines -------------------------------------------------------------------
    def _target(self):
        instance = self.get_option("instance")
        remote = self.get_option("remote")
        return "%s:%s" % (remote, instance) if remote else instance

    def _base(self):
        command = [self.get_option("cli")]
        if self.get_option("project"):
            command += ["--project", self.get_option("project")]
        return command

    def _env(self):
        env = dict(os.environ)
        socket = self.get_option("socket")
        if socket:
            name = "INCUS_SOCKET" if os.path.basename(self.get_option("cli")).startswith("incus") else "LXD_SOCKET"
            env[name] = socket
        return env

    def build_exec(self, cmd):
        command = self._base() + ["exec", self._target(), "--"]
        user = self.get_option("remote_user")
        if user and user != "root":
            command += ["su", "-s", self.get_option("executable"), user, "-c", cmd]
        else:
            command += [self.get_option("executable"), "-c", cmd]
        return command

    def _run(self, command, in_data=None):
        self._display.vvvvv("LXD RUN %s" % command, host=self.get_option("instance"))
        try:
            process = subprocess.run([to_bytes(c, errors="surrogate_or_strict") for c in command], input=in_data,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self._env(), check=False)
        except OSError as exc:
            raise AnsibleConnectionFailure("cannot run %s: %s" % (command[0], exc))
        return process.returncode, process.stdout, process.stderr

    def _check(self, rc, stderr):
        """Turn the CLI's errors about the instance itself into connection failures (unreachable)."""
        text = to_text(stderr, errors="surrogate_or_strict").strip()
        instance = self.get_option("instance")
        if rc != 0 and any(s in text for s in _NOT_RUNNING):
            raise AnsibleConnectionFailure("instance %s is not running: %s" % (instance, text))
        if rc != 0 and text.startswith("Error:") and any(s in text for s in _NOT_FOUND):
            raise AnsibleConnectionFailure("instance %s not found: %s" % (instance, text))
        if rc != 0 and text.startswith("Error:") and ("unix.socket" in text or "connect:" in text):
            raise AnsibleConnectionFailure("cannot reach the daemon for %s: %s" % (instance, text))

    # --- ConnectionBase ---------------------------------------------------------------------------
    def _connect(self):
        super()._connect()
        if not self._connected:
            self._display.vvv("ESTABLISH LXD CONNECTION TO %s (project %s) AS %s"
                              % (self._target(), self.get_option("project") or "current",
                                 self.get_option("remote_user")), host=self.get_option("instance"))
            self._connected = True
        return self

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        self._display.vvv("EXEC %s" % cmd, host=self.get_option("instance"))
        in_data = to_bytes(in_data, errors="surrogate_or_strict", nonstring="passthru")
        rc, stdout, stderr = self._run(self.build_exec(cmd), in_data)
        self._check(rc, stderr)
        return rc, stdout, stderr

    def _owner(self):
        if self._ids is None:
            rc, out, err = self.exec_command("id -u; id -g")
            if rc != 0:
                raise AnsibleError("cannot find the uid/gid of %s in %s: %s"
                                   % (self.get_option("remote_user"), self.get_option("instance"), to_text(err)))
            self._ids = to_text(out).split()[:2]
        return self._ids

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        self._display.vvv("PUT %s TO %s" % (in_path, out_path), host=self.get_option("instance"))
        if not os.path.isfile(to_bytes(in_path, errors="surrogate_or_strict")):
            raise AnsibleFileNotFound("input path is not a file: %s" % in_path)
        command = self._base() + ["file", "push"]
        user = self.get_option("remote_user")
        if user and user != "root":
            uid, gid = self._owner()
            command += ["--uid", uid, "--gid", gid]
        rc, _out, err = self._run(command + [in_path, "%s/%s" % (self._target(), out_path.lstrip("/"))])
        self._check(rc, err)
        if rc != 0:
            raise AnsibleError("failed to put %s to %s:%s: %s"
                               % (in_path, self.get_option("instance"), out_path, to_text(err).strip()))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        self._display.vvv("FETCH %s TO %s" % (in_path, out_path), host=self.get_option("instance"))
        command = self._base() + ["file", "pull", "%s/%s" % (self._target(), in_path.lstrip("/")), out_path]
        rc, _out, err = self._run(command)
        self._check(rc, err)
        if rc != 0:
            raise AnsibleError("failed to fetch %s:%s: %s" % (self.get_option("instance"), in_path, to_text(err).strip()))

    def close(self):
        super().close()
        self._connected = False
