# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The read-only *_info modules: one instance (by name) or all of a backend, in the common `instance` shape, read
with the same Backend (instance.py) the instance module of that backend runs on."""

from __future__ import annotations

from ansible_collections.workstation.vms.plugins.module_utils.common import InputError, validate_labels
from ansible_collections.workstation.vms.plugins.module_utils.instance import InstanceError


def argument_spec(connection):
    """The options of an info module: `name`, `labels` and the backend's connection options."""
    spec = dict(name=dict(type="str"), labels=dict(type="dict"))
    spec.update(connection)
    return spec


def matches(instance, labels):
    return all(instance["labels"].get(key) == value for key, value in labels.items())


def run(module, backend):
    """List the instances (one when `name` is given: none when it does not exist) and exit; never a change."""
    errors = (InputError, InstanceError) + tuple(backend.errors)
    try:
        labels = validate_labels(module.params["labels"])
        if module.params["name"]:
            backend.validate_name(module.params["name"])
            found = [current for current in [backend.read()] if current is not None]
        else:
            found = backend.read_all()
        instances = [summary for summary in map(backend.summary, found) if summary and matches(summary, labels)]
    except errors as exc:
        result = backend.error_result(exc) if isinstance(exc, tuple(backend.errors)) else {}
        module.fail_json(msg=str(exc), instances=[], **result)
    module.exit_json(changed=False, instances=instances)
