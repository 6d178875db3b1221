# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # How to reach an LXD or Incus server (module_utils/lxd.py LxdClient). Used by lxd_* modules and
    # mirrored by the `lxd` block of the guests inventory plugin.
    DOCUMENTATION = r"""
options:
  socket:
    description:
      - Path of the unix socket of the LXD or Incus daemon.
      - When neither O(socket) nor O(url) is given, the first that exists of C($LXD_DIR/unix.socket),
        C($INCUS_DIR/unix.socket), C(/var/snap/lxd/common/lxd/unix.socket) (snap),
        C(/var/lib/lxd/unix.socket) (Debian package) and C(/var/lib/incus/unix.socket) (Incus) is used.
      - Mutually exclusive with O(url).
    type: path
  url:
    description:
      - HTTPS address of a remote server, for example V(https://lxd.example.net:8443).
      - Mutually exclusive with O(socket).
    type: str
  client_cert:
    description:
      - Client certificate (PEM) presented over HTTPS. The server must trust it (see O(trust_token)).
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Private key (PEM) of O(client_cert).
    type: path
    aliases: [key_file]
  server_cert:
    description:
      - The server's certificate (PEM). When given, the connection is accepted only if the server presents
        exactly this certificate (SHA-256 pinning), whatever its host name and issuer.
    type: path
  verify:
    description:
      - Check the server's certificate chain and host name against the system's CAs when O(server_cert) is
        not given. V(false) accepts any certificate (not recommended).
    type: bool
    default: true
  trust_token:
    description:
      - A one-time trust token (C(lxc config trust add), C(incus config trust add)). When the server answers
        that our O(client_cert) is not trusted, the certificate is registered with this token once and the
        request is repeated. Later runs are already trusted and do not use the token.
    type: str
  project:
    description:
      - Project the instance lives in. The server's default project when not given.
    type: str
  target:
    description:
      - Cluster member on which to create the instance. Used only when the instance is created.
    type: str
"""

    # The order of an LXD instance's addresses (lxd_instance, lxd_instance_info).
    PREFERRED_NICS = r"""
options:
  preferred_nics:
    description:
      - The order of an instance's addresses in C(ipv4) of its result (the first is the one
        O(workstation.vms.lxd_instance#module:wait_for=ipv4) and V(ssh) use).
      - First the NICs LXD made for the instance's own NIC devices (C(eth0) on its network), then the interfaces
        matching these globs in the order given, then the others by name. Bridges and veth ends made inside the
        guest (C(docker*), C(br-*), C(virbr*), C(lxdbr*), C(cni*), C(flannel*), C(veth*)) are left out unless a
        glob here names them.
    type: list
    elements: str
"""
