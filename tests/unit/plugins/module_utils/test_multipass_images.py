# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""multipass_images.py on recorded `multipass find --format json` documents (fixtures/multipass/README.md)."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.workstation.vms.plugins.module_utils.common import InputError
from ansible_collections.workstation.vms.plugins.module_utils.multipass import DaemonUnreachable, MultipassCli
from ansible_collections.workstation.vms.plugins.module_utils.multipass_images import find, find_args, parse_find

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "multipass")


def recorded(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def test_multipass_own_sample_with_the_older_blueprints_key():
    found = parse_find(json.loads(recorded("find_multiple.json")))
    assert found["images"] == [
        {"image": "daily:19.10", "name": "19.10", "remote": "daily", "aliases": ["eoan", "devel"], "os": "Ubuntu",
         "release": "19.10", "version": "20190516", "description": "Ubuntu 19.10", "kind": "image"},
        {"image": "lts", "name": "lts", "remote": "", "aliases": [], "os": "Ubuntu", "release": "18.04 LTS",
         "version": "20190516", "description": "Ubuntu 18.04 LTS", "kind": "image"}]
    assert found["blueprints"] == [
        {"image": "anbox-cloud-appliance", "name": "anbox-cloud-appliance", "remote": "", "aliases": [], "os": "",
         "release": "Anbox Cloud Appliance", "version": "latest", "description": "Anbox Cloud Appliance",
         "kind": "blueprint"}]


def test_the_deprecated_blueprints_key_of_1_16():
    found = parse_find(json.loads(recorded("find_fake_1_16_3.json")))
    lts = [i for i in found["images"] if "lts" in i["aliases"]]
    assert [i["image"] for i in lts] == ["24.04"]
    assert "docker" in [b["image"] for b in found["blueprints"]]
    nextcloud = next(i for i in found["images"] if i["image"] == "appliance:nextcloud")
    assert (nextcloud["name"], nextcloud["remote"]) == ("nextcloud", "appliance")


def test_find_args_and_bad_input():
    assert find_args() == ["find"]
    assert find_args("daily:devel", only_images=True, show_unsupported=True) == [
        "find", "daily:devel", "--only-images", "--show-unsupported"]
    assert find_args(only_blueprints=True) == ["find", "--only-blueprints"]
    for bad in ("a:b:c", "daily:", ""):
        with pytest.raises(InputError, match=r"^name: '%s' must be \[<remote>:\]<image>" % bad):
            find_args(bad)
    with pytest.raises(InputError, match="^only_images and only_blueprints"):
        find_args(only_images=True, only_blueprints=True)


def test_find_runs_the_cli_and_maps_its_errors():
    calls = []

    def run(argv, data=None):
        calls.append(argv)
        return 0, recorded("find_multiple.json"), ""
    found = find(MultipassCli("multipass", run=run), name="lts", only_images=True)
    assert calls == [["multipass", "find", "lts", "--only-images", "--format", "json"]]
    assert [i["image"] for i in found["images"]] == ["daily:19.10", "lts"]

    def down(argv, data=None):
        return 2, "", ("find failed: cannot connect to the multipass socket\nPlease ensure multipassd is running and "
                       "'/run/multipass_socket' is accessible\n")
    with pytest.raises(DaemonUnreachable, match="daemon is not reachable"):
        find(MultipassCli("multipass", run=down))
    calls.clear()
    with pytest.raises(InputError):
        find(MultipassCli("multipass", run=run), name="a:b:c")
    assert calls == []
