# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The `guest` module's table of backends and how it turns one guest declaration into a backend's own task.

A backend registers here with its instance module's argument spec and its `instance.Backend` class; the guest
module then validates `options` (and the common options) against that spec, exactly as the backend's own module
would, and runs the backend through the same skeleton (instance.run)."""

from __future__ import annotations

import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.workstation.vms.plugins.module_utils import (
    libvirt_instance_backend, lxd_instance_backend, multipass_instance_backend)
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError, instance_argument_spec


def _incus_defaults(options):
    """Incus is the LXD backend on the Incus socket (unless `socket` or `url` says otherwise)."""
    if not options.get("socket") and not options.get("url"):
        return dict(socket=os.path.join(os.environ.get("INCUS_DIR") or "/var/lib/incus", "unix.socket"))
    return {}


# backend name -> (argument spec of its own options and the common ones, Backend class, mutually exclusive
# options, defaults that depend on the backend name).
BACKENDS = {
    "libvirt": (libvirt_instance_backend.argument_spec, libvirt_instance_backend.LibvirtInstance, [], None),
    "lxd": (lxd_instance_backend.argument_spec, lxd_instance_backend.LxdInstance, [("socket", "url")], None),
    "incus": (lxd_instance_backend.argument_spec, lxd_instance_backend.LxdInstance, [("socket", "url")],
              _incus_defaults),
    "multipass": (multipass_instance_backend.argument_spec, multipass_instance_backend.MultipassInstance, [], None),
}
# The options every backend takes, given at the top level of a `guest` task.
COMMON = ("name", "state", "image", "cpus", "memory", "disk", "cloud_init", "mounts", "mounts_mode", "labels",
          "wait_for", "wait_timeout")


def argument_spec():
    """The guest module's own spec: the common options of common.instance_argument_spec with their types only
    (no defaults, choices or suboptions: the backend's own spec checks and completes them)."""
    spec = {key: {k: v for k, v in option.items() if k in ("type", "elements", "required", "no_log")}
            for key, option in instance_argument_spec([]).items()}
    spec.update(
        backend=dict(type="str", required=True, choices=sorted(BACKENDS)),
        image=dict(type="raw"),
        options=dict(type="dict", default={}),
    )
    return spec


class BackendModule:
    """The AnsibleModule as the backend sees it: the same module (check mode, diff, warn, exit, run_command)
    with the params the backend's own module would have."""

    def __init__(self, module, params):
        self._module = module
        self.params = params

    def __getattr__(self, name):
        return getattr(self._module, name)


def backend_params(params):
    """The backend's params from a guest task: common options + `options`, validated by the backend's spec.
    Raises InputError naming the option."""
    spec_of, _cls, exclusive, defaults = BACKENDS[params["backend"]]
    options = dict(params["options"] or {})
    for key in sorted(options):
        if key in COMMON or key == "backend":
            raise InputError("options.%s: give %s at the top level of the guest task, not under options" % (key, key))
    if defaults:
        options.update(defaults(options))
    given = {key: params[key] for key in COMMON if params.get(key) is not None}
    given.update(options)
    spec = spec_of()
    validator = ArgumentSpecValidator(spec, mutually_exclusive=exclusive)
    validated = validator.validate(given)
    if validated.error_messages:
        unknown = sorted(set(options) - set(spec))
        if unknown:
            raise InputError("options.%s: not an option of the %s backend (it takes: %s)"
                             % (unknown[0], params["backend"], ", ".join(sorted(set(spec) - set(COMMON)))))
        raise InputError("%s backend: %s" % (params["backend"], "; ".join(validated.error_messages)))
    return validated.validated_parameters, validated._no_log_values  # pylint: disable=protected-access


def backend_for(module):
    """(module as the backend sees it, the Backend) for a guest task; raises InputError on bad options."""
    params, secrets = backend_params(module.params)
    module.no_log_values.update(secrets)
    proxy = BackendModule(module, params)
    return proxy, BACKENDS[module.params["backend"]][1](proxy)
