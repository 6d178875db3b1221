# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: multipass
short_description: Run tasks in Multipass instances through C(multipass exec) and C(multipass transfer)
version_added: 0.1.0
description:
  - Runs commands in a Multipass instance with C(multipass exec <instance> -- <shell> -c <command>) and copies
    files with C(multipass transfer), so a freshly launched instance can be configured without setting up SSH.
  - Commands run as the instance's default user (C(ubuntu)), who may C(sudo) without a password, so
    C(become) works with the default C(sudo) method.
  - Pipelining is supported (the module is sent on the standard input of C(multipass exec)).
author:
  - workstation.vms contributors (@workstation-vms)
options:
  remote_addr:
    description: Name of the Multipass instance.
    type: str
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_multipass_instance
  multipass_executable:
    description: The C(multipass) command to run (a name looked up in E(PATH), or a path).
    type: str
    default: multipass
    vars:
      - name: ansible_multipass_executable
    env:
      - name: ANSIBLE_MULTIPASS_EXECUTABLE
  executable:
    description: The shell that runs the command in the instance.
    type: str
    default: /bin/sh
    vars:
      - name: ansible_executable
    env:
      - name: ANSIBLE_EXECUTABLE
  pipelining:
    description: Send modules over the standard input instead of copying them into the instance first.
    type: bool
    default: false
    vars:
      - name: ansible_pipelining
      - name: ansible_multipass_pipelining
    env:
      - name: ANSIBLE_PIPELINING
    ini:
      - section: defaults
        key: pipelining
notes:
  - Multipass starts a stopped instance by itself when a command is run in it.
  - The inventory plugin C(workstation.vms.guests) sets this connection for Multipass guests.
"""

EXAMPLES = r"""
# ansible all -i 'dev,' -c workstation.vms.multipass -m ping
- name: Configure a fresh instance without SSH
  hosts: dev
  gather_facts: false
  vars:
    ansible_connection: workstation.vms.multipass
  tasks:
    - name: Install a package
      become: true
      ansible.builtin.apt:
        name: git
"""

import os
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

display = Display()

# `multipass exec` exit codes that are Multipass's own and not the command's (spec: 2, 3, 255 "exec failed").
_CLIENT_FAILURE_RCS = (2, 3, 255)


class Connection(ConnectionBase):
    """Tasks in a Multipass instance, over the multipass CLI."""

    transport = "workstation.vms.multipass"
    has_pipelining = True

    def _multipass(self, *args):
        return [self.get_option("multipass_executable")] + [to_text(arg) for arg in args]

    def _instance(self):
        return self.get_option("remote_addr")

    def _connect(self):
        super()._connect()  # pylint: disable=no-member
        if not self._connected:
            display.vvv("MULTIPASS instance %s" % self._instance(), host=self._instance())
            self._connected = True
        return self

    def _run(self, argv, in_data=None):
        display.vvvvv("MULTIPASS %s" % argv, host=self._instance())
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,  # pylint: disable=consider-using-with
                                    stderr=subprocess.PIPE)
        except OSError as exc:
            raise AnsibleConnectionFailure("cannot run %s: %s (set ansible_multipass_executable)"
                                           % (argv[0], exc.strerror))
        stdout, stderr = proc.communicate(in_data)
        return proc.returncode, stdout, stderr

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        argv = self._multipass("exec", "--no-map-working-directory", self._instance(), "--",
                               self.get_option("executable"), "-c", cmd)
        display.vvv("EXEC %s" % cmd, host=self._instance())
        rc, stdout, stderr = self._run(argv, to_bytes(in_data) if in_data is not None else None)
        if rc in _CLIENT_FAILURE_RCS and stderr.startswith(b"exec failed:"):
            raise AnsibleConnectionFailure("multipass exec in %s failed: %s"
                                           % (self._instance(), to_text(stderr).strip()))
        return rc, stdout, stderr

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        display.vvv("PUT %s TO %s" % (in_path, out_path), host=self._instance())
        if not os.path.exists(to_bytes(in_path, errors="surrogate_or_strict")):
            raise AnsibleFileNotFound("file or module does not exist: %s" % in_path)
        self._transfer(in_path, "%s:%s" % (self._instance(), out_path))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        display.vvv("FETCH %s TO %s" % (in_path, out_path), host=self._instance())
        self._transfer("%s:%s" % (self._instance(), in_path), out_path)

    def _transfer(self, source, target):
        rc, stdout, stderr = self._run(self._multipass("transfer", source, target))
        if rc != 0:
            raise AnsibleError("multipass transfer %s %s failed (rc %s): %s"
                               % (source, target, rc, to_text(stderr or stdout).strip()))

    def close(self):
        super().close()
        self._connected = False
