# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vocabulary the three instance modules share: sizes, states, mounts, labels and the result shape."""

from __future__ import annotations

import fnmatch
import os
import re
from decimal import Decimal, InvalidOperation

# Bare letters and the IEC "iB" forms are binary, as in QEMU, virsh and Multipass ("40G" = 40 GiB);
# the SI "kB/MB/GB/TB" forms are decimal, as in LXD ("40GB" = 40 * 10**9).
_UNITS = {
    "": 1, "b": 1,
    "k": 1024, "kib": 1024, "kb": 1000,
    "m": 1024 ** 2, "mib": 1024 ** 2, "mb": 1000 ** 2,
    "g": 1024 ** 3, "gib": 1024 ** 3, "gb": 1000 ** 3,
    "t": 1024 ** 4, "tib": 1024 ** 4, "tb": 1000 ** 4,
}
_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")
SIZE_HELP = ("a whole number of bytes or a number with a unit: K/KiB, M/MiB, G/GiB, T/TiB (binary) "
             "or kB, MB, GB, TB (decimal), e.g. 40G, 16GiB, 512MiB, 1.5G")

# The states every backend knows; each module adds the ones its backend has (frozen, paused, suspended).
COMMON_STATES = ["present", "started", "stopped", "restarted", "absent"]
WAIT_FOR = ["none", "ipv4", "ssh", "cloud-init"]
LABEL_KEY_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.\-]{0,62}$")
# The hard caps of every backend (doc fragment workstation.vms.instance): far above any real machine, low enough
# that a typo (999999T) is refused before anything is made. Backends add their own minimum and the host's RAM.
MAX_MEMORY = 16 * 1024 ** 4
MAX_DISK = 1024 ** 5
MAX_CPUS = 1024
# Below this no guest's kernel starts (a typo like 1K or 64 without a unit); backends may ask for more.
MIN_MEMORY = 32 * 1024 ** 2
# Bridges and veth ends that software inside a guest makes (Docker, libvirt, LXD, CNI, flannel): never the
# guest's address unless preferred_nics names them.
GUEST_BRIDGES = ("docker*", "br-*", "virbr*", "lxdbr*", "cni*", "flannel*", "veth*")


class InputError(ValueError):
    """Bad user input; the message names the option and what is allowed."""


def parse_size(value, option="size"):
    """Return the number of bytes that `value` ("40G", "16GiB", 512, "1.5G") stands for."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputError("%s: %r is not a size; use %s" % (option, value, SIZE_HELP))
    if isinstance(value, int):
        if value < 0:
            raise InputError("%s: %d is negative; use %s" % (option, value, SIZE_HELP))
        return value
    text = str(value)
    if text.strip().startswith("-"):
        raise InputError("%s: '%s' is negative; use %s" % (option, text, SIZE_HELP))
    match = _SIZE_RE.match(text)
    unit = match.group(2).lower() if match else None
    if not match or unit not in _UNITS:
        raise InputError("%s: '%s' is not a size; use %s" % (option, text, SIZE_HELP))
    try:
        number = Decimal(match.group(1)) * _UNITS[unit]
    except InvalidOperation:
        raise InputError("%s: '%s' is not a size; use %s" % (option, text, SIZE_HELP))
    if number != number.to_integral_value():
        raise InputError("%s: '%s' is not a whole number of bytes; use %s" % (option, text, SIZE_HELP))
    return int(number)


def format_size(size):
    """Shortest exact binary spelling of a byte count: 42949672960 -> '40GiB'."""
    if size is None:
        return None
    for unit, factor in (("TiB", 1024 ** 4), ("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if size and size % factor == 0:
            return "%d%s" % (size // factor, unit)
    return "%dB" % size


def check_size(size, option, minimum=1, maximum=None, why=None):
    """The one bounds check of a size in bytes (None: not given): at least `minimum`, at most `maximum` (`why`
    says where that limit comes from). Returns `size`."""
    if size is None:
        return None
    if size < minimum:
        raise InputError("%s: %s is too small; give at least %s" % (option, format_size(size), format_size(minimum)))
    if maximum is not None and size > maximum:
        raise InputError("%s: %s is more than %s (%s); give a smaller size"
                         % (option, format_size(size), format_size(maximum), why or "the limit"))
    return size


def host_memory():
    """This host's physical RAM in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_keys(value, allowed, where):
    """Refuse keys of the dict `value` that are not in `allowed` (suboptions of a free-form `raw` option)."""
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise InputError("%s: unknown key '%s'; allowed keys: %s" % (where, unknown[0], ", ".join(sorted(allowed))))
    return value


def check_positive(value, option, maximum=None, why=None):
    if value is not None and value < 1:
        raise InputError("%s: must be 1 or more, got %d" % (option, value))
    if value is not None and maximum is not None and value > maximum:
        raise InputError("%s: %d is more than %d (%s); give a smaller number" % (option, value, maximum, why))
    return value


def normalize_mounts(mounts, must_exist=True):
    """Validate `mounts` (source, path, readonly) and return them sorted by guest path.

    Sources must be absolute host directories; they are never created or deleted by us."""
    result = []
    seen = set()
    for index, mount in enumerate(mounts or []):
        where = "mounts[%d]" % index
        source = mount.get("source")
        path = mount.get("path")
        if not source or not os.path.isabs(source):
            raise InputError("%s.source: '%s' must be an absolute host path" % (where, source))
        if must_exist and not os.path.isdir(source):
            raise InputError("%s.source: host directory '%s' does not exist; create it first "
                             "(it is never created or deleted by this module)" % (where, source))
        if not path or not path.startswith("/"):
            raise InputError("%s.path: '%s' must be an absolute path in the guest" % (where, path))
        path = os.path.normpath(path)
        if path in seen:
            raise InputError("%s.path: '%s' is mounted twice" % (where, path))
        seen.add(path)
        normalized = dict(mount)
        normalized.update(source=os.path.normpath(source), path=path, readonly=bool(mount.get("readonly")))
        result.append(normalized)
    return sorted(result, key=lambda m: m["path"])


def validate_labels(labels):
    """Labels are flat string key/values that every backend can store and the inventory can group by."""
    result = {}
    for key, value in (labels or {}).items():
        if not LABEL_KEY_RE.match(str(key)):
            raise InputError("labels: key '%s' must start with a letter or digit and hold only letters, digits, "
                             "'_', '.', '-' (at most 63 characters)" % key)
        if isinstance(value, (dict, list)):
            raise InputError("labels: value of '%s' must be a string, number or boolean" % key)
        result[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return result


def order_nics(names, own=(), prefer=None):
    """Guest interface names in the one address order of every backend (docs/lxd_instance.md, Addresses): the
    instance's own NICs first (the ones its backend made), then those matching the `prefer` globs in their order,
    then the others by name; never lo, and never a bridge made inside the guest (docker0, br-*, ...) unless
    `prefer` names it."""
    prefer = list(prefer or [])

    def rank(ifname):
        if ifname in own:
            return (0, 0, ifname)
        hits = [index for index, glob in enumerate(prefer) if fnmatch.fnmatchcase(ifname, glob)]
        if hits:
            return (1, hits[0], ifname)
        if any(fnmatch.fnmatchcase(ifname, glob) for glob in GUEST_BRIDGES):
            return None
        return (2, 0, ifname)
    return sorted((ifname for ifname in names if ifname != "lo" and rank(ifname)), key=rank)


def instance_result(name, backend, itype="", state="", ipv4=None, ipv6=None, image=None, cpus=None,
                    memory=None, disk=None, mounts=None, labels=None, **extra):
    """The `instance` value every module returns, whatever the backend."""
    result = dict(name=name, backend=backend, type=itype, state=state, ipv4=list(ipv4 or []),
                  ipv6=list(ipv6 or []), image=image, cpus=cpus, memory=memory, disk=disk,
                  mounts=list(mounts or []), labels=dict(labels or {}))
    result.update(extra)
    return result


def make_diff(before, after, name):
    """A diff in the form `--diff` prints; `before`/`after` are dicts of the settings we manage."""
    return {"before": before or {}, "after": after or {},
            "before_header": "%s (current)" % name, "after_header": "%s (wanted)" % name}


def changed_keys(before, after):
    """Names of the managed settings whose wanted value differs from the current one."""
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def instance_argument_spec(states, default_state="started", wait_for=None, mount_options=None):
    """The argument_spec of the options every instance module shares (doc fragment workstation.vms.instance).

    A module passes its own state names, extra wait_for values and extra mount suboptions."""
    mount_suboptions = dict(source=dict(type="path", required=True), path=dict(type="str", required=True),
                            readonly=dict(type="bool", default=False))
    mount_suboptions.update(mount_options or {})
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default=default_state, choices=states),
        cpus=dict(type="int"),
        memory=dict(type="str"),
        disk=dict(type="str"),
        # user-data routinely carries keys and passwords
        cloud_init=dict(type="raw", no_log=True),
        mounts=dict(type="list", elements="dict", options=mount_suboptions),
        mounts_mode=dict(type="str", default="replace", choices=["merge", "replace"]),
        labels=dict(type="dict"),
        wait_for=dict(type="str", default="none", choices=wait_for or WAIT_FOR),
        wait_timeout=dict(type="int", default=300),
    )
