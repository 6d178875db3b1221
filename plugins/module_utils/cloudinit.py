# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""cloud-init user-data for every backend, and the NoCloud seed ISO for QEMU (pycdlib: no genisoimage)."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile

from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError

# What cloud-init accepts as the first line of user-data besides "#cloud-config".
_OTHER_HEADERS = ("#!", "#include", "#cloud-boothook", "#part-handler", "#upstart-job", "#cloud-config-archive",
                  "Content-Type:", "## template:")


# PyYAML and pycdlib are imported when first needed: a run without cloud-init (every no-op of an instance
# module) then does not pay their import (~40 ms each).
def _yaml():
    try:
        import yaml  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise InputError("cloud_init: the Python library PyYAML is required on the host running the module "
                         "(pip install pyyaml)")
    return yaml


def dump_yaml(data):
    """YAML text of `data` as every cloud-init file here is written: block style, sorted keys."""
    return _yaml().safe_dump(data, default_flow_style=False, sort_keys=True)


def render_user_data(value, option="cloud_init"):
    """A dict, or a YAML text with or without its header, as the user-data text cloud-init reads.

    Returns None when there is no user-data."""
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, dict):
        return "#cloud-config\n" + dump_yaml(value)
    if not isinstance(value, str):
        raise InputError("%s: must be a dict or a string, got %s" % (option, type(value).__name__))
    if value.startswith("#cloud-config"):
        parse_cloud_config(value, option)
        return value if value.endswith("\n") else value + "\n"
    if value.startswith(_OTHER_HEADERS):
        return value
    data = parse_cloud_config(value, option)
    if not isinstance(data, dict):
        raise InputError("%s: a string must be a #cloud-config document (a YAML mapping) or start with one of %s"
                         % (option, ", ".join(("#cloud-config",) + _OTHER_HEADERS)))
    return "#cloud-config\n" + dump_yaml(data)


def parse_cloud_config(text, option="cloud_init"):
    yaml = _yaml()
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError("%s: not valid YAML: %s" % (option, exc))


def extend_user_data(user_data, extra):
    """Merge `extra` (a dict of lists such as mounts/bootcmd/write_files) into #cloud-config text.

    Used by backends that have to mount host dirs or set up the guest through cloud-init. Their list entries go
    before the user's, so that the user's own commands find the host dirs already mounted."""
    if user_data is None:
        data = {}
    elif user_data.startswith("#cloud-config"):
        data = parse_cloud_config(user_data) or {}
    else:
        raise InputError("cloud_init: must be #cloud-config for %s to be added; got a %s script"
                         % (", ".join(sorted(extra)), user_data.splitlines()[0]))
    for key, value in extra.items():
        if isinstance(value, list):
            data[key] = value + list(data.get(key) or [])
        elif isinstance(value, dict):
            merged = dict(data.get(key) or {})
            merged.update(value)
            data[key] = merged
        else:
            data[key] = value
    return "#cloud-config\n" + dump_yaml(data)


def meta_data(instance_id, hostname):
    return dump_yaml({"instance-id": instance_id, "local-hostname": hostname})


def text_digest(text):
    """The SHA-256 (hex) of user-data text: what diffs and stores show instead of the text (it may hold secrets)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seed_digest(user_data, meta, network_config=None):
    """A short digest of the seed contents; stored beside the instance to tell whether the seed changed."""
    digest = hashlib.sha256()
    for part in (user_data or "", meta or "", network_config or ""):
        digest.update(to_bytes(part))
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def write_seed_iso(path, user_data, meta, network_config=None, mode=0o600):
    """Write a NoCloud seed ISO (volume label "cidata") atomically: a reader never sees half an ISO.

    The ISO holds the user-data, which may hold secrets: it is written with `mode` (0600 by default)."""
    try:
        import pycdlib  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise InputError("cloud_init: the Python library pycdlib is required to write the NoCloud seed ISO "
                         "(pip install pycdlib)")
    files = [("user-data", user_data or "#cloud-config\n{}\n"), ("meta-data", meta)]
    if network_config:
        files.append(("network-config", network_config))
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident="cidata")
    for name, text in files:
        data = to_bytes(text)
        iso_name = "/" + name.replace("-", "").upper()[:8] + ".;1"
        iso.add_fp(io.BytesIO(data), len(data), iso_name, rr_name=name, joliet_path="/" + name)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".seed-", suffix=".iso", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            iso.write_fp(handle)
        iso.close()
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
