# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import io
import os
import stat

import pycdlib
import pytest
import yaml
from hypothesis import given, settings, strategies as st

from ansible_collections.workstation.vms.plugins.module_utils.cloudinit import (
    extend_user_data, meta_data, render_user_data, seed_digest, write_seed_iso)
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError


def test_dict_becomes_cloud_config():
    text = render_user_data({"packages": ["htop"], "ssh_authorized_keys": ["ssh-ed25519 AAA x"]})
    assert text.startswith("#cloud-config\n")
    assert yaml.safe_load(text) == {"packages": ["htop"], "ssh_authorized_keys": ["ssh-ed25519 AAA x"]}


def test_strings_keep_their_format():
    assert render_user_data("#cloud-config\nruncmd: [ls]") == "#cloud-config\nruncmd: [ls]\n"
    script = "#!/bin/sh\necho hi\n"
    assert render_user_data(script) == script
    assert render_user_data("packages: [git]") == "#cloud-config\npackages:\n- git\n"


@pytest.mark.parametrize("empty", [None, "", {}])
def test_nothing_means_no_user_data(empty):
    assert render_user_data(empty) is None


@pytest.mark.parametrize("value, message", [
    ("#cloud-config\n: : :\n  - [", "cloud_init: not valid YAML"),
    ("just words", "cloud_init: a string must be a #cloud-config document"),
    (["a"], "cloud_init: must be a dict or a string, got list"),
])
def test_bad_user_data_names_the_option(value, message):
    with pytest.raises(InputError, match=message):
        render_user_data(value)


def test_extend_appends_lists_and_merges_dicts():
    text = extend_user_data("#cloud-config\nruncmd: [a]\nwrite_files: []\n", {"runcmd": ["b"], "mounts": [["x", "/y"]]})
    data = yaml.safe_load(text)
    # the backend's entries first: the user's commands run with the host dirs mounted
    assert data == {"runcmd": ["b", "a"], "write_files": [], "mounts": [["x", "/y"]]}
    assert yaml.safe_load(extend_user_data(None, {"runcmd": ["b"]})) == {"runcmd": ["b"]}


def test_extend_refuses_a_script():
    with pytest.raises(InputError, match="must be #cloud-config for mounts"):
        extend_user_data("#!/bin/sh\n", {"mounts": []})


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.text("abcdefghij_", min_size=1, max_size=8),
                       st.one_of(st.text(max_size=20), st.integers(), st.lists(st.text(max_size=5), max_size=3)),
                       max_size=5))
def test_any_dict_round_trips_through_yaml(data):
    text = render_user_data(data)
    if data:
        assert yaml.safe_load(text) == data


def _read_iso(path):
    iso = pycdlib.PyCdlib()
    iso.open(path)
    files = {}
    for name in ("user-data", "meta-data", "network-config"):
        out = io.BytesIO()
        try:
            iso.get_file_from_iso_fp(out, rr_path="/" + name)
        except pycdlib.pycdlibexception.PyCdlibInvalidInput:
            continue
        files[name] = out.getvalue().decode()
    label = iso.pvd.volume_identifier.decode().strip()
    iso.close()
    return label, files


def test_seed_iso_is_nocloud_and_private(tmp_path):
    path = tmp_path / "seed.iso"
    user = render_user_data({"runcmd": ["true"]})
    write_seed_iso(str(path), user, meta_data("i-1", "dev"), "version: 2\n")
    label, files = _read_iso(str(path))
    assert label == "cidata"
    assert files == {"user-data": user, "meta-data": "instance-id: i-1\nlocal-hostname: dev\n",
                     "network-config": "version: 2\n"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["seed.iso"]


def test_seed_digest_tells_contents_apart():
    assert seed_digest("a", "b") == seed_digest("a", "b")
    assert seed_digest("a", "b") != seed_digest("ab", "")
    assert seed_digest("a", "b", None) != seed_digest("a", "b", "n")
