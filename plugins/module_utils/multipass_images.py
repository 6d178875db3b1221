# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What `multipass find` offers: images and blueprints, read from its JSON through MultipassCli.

The JSON (src/client/cli/formatter/json_formatter.cpp, format(FindReply)) is
{"errors": [], "images": {<key>: {...}}, "blueprints (deprecated)": {<key>: {...}}}; Multipass before the
blueprint deprecation calls the second key "blueprints". <key> is [<remote>:]<name>, what `multipass launch` takes;
each entry has aliases (the other names), os, release, remote and version."""

from __future__ import annotations

from ansible_collections.workstation.vms.plugins.module_utils.common import InputError

BLUEPRINT_KEYS = ("blueprints (deprecated)", "blueprints")


def find_args(name=None, only_images=False, only_blueprints=False, show_unsupported=False):
    """The `multipass find` arguments; bad input fails here, before anything runs."""
    if only_images and only_blueprints:
        raise InputError("only_images and only_blueprints: set at most one of them (neither lists both)")
    args = ["find"]
    if name is not None:
        if not name or name.count(":") > 1 or name.endswith(":"):
            raise InputError("name: '%s' must be [<remote>:]<image>, e.g. noble, 24.04, daily:devel or "
                             "appliance:nextcloud" % name)
        args.append(name)
    for flag, wanted in (("--only-images", only_images), ("--only-blueprints", only_blueprints),
                         ("--show-unsupported", show_unsupported)):
        if wanted:
            args.append(flag)
    return args


def entry(key, value, kind):
    """One image or blueprint as the module returns it."""
    remote = value.get("remote") or ""
    name = key[len(remote) + 1:] if remote and key.startswith(remote + ":") else key
    return {"image": key, "name": name, "remote": remote, "aliases": list(value.get("aliases") or []),
            "os": value.get("os") or "", "release": value.get("release") or "", "version": value.get("version") or "",
            "description": " ".join(p for p in (value.get("os"), value.get("release")) if p), "kind": kind}


def parse_find(doc):
    """{"images": [...], "blueprints": [...]} from the `find --format json` document, in Multipass's order."""
    blueprints = next((doc[k] for k in BLUEPRINT_KEYS if k in doc), {}) or {}
    return {"images": [entry(k, v, "image") for k, v in (doc.get("images") or {}).items()],
            "blueprints": [entry(k, v, "blueprint") for k, v in blueprints.items()]}


def find(cli, **options):
    """Run `multipass find` with find_args(**options) through a MultipassCli."""
    return parse_find(cli.json(*find_args(**options)))
