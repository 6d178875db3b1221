# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from ansible_collections.workstation.vms.plugins.module_utils.common import (
    InputError, changed_keys, check_positive, format_size, instance_argument_spec, instance_result, make_diff, normalize_mounts,
    parse_size, validate_labels)

GiB = 1024 ** 3


@pytest.mark.parametrize("text, expected", [
    ("40G", 40 * GiB), ("16GiB", 16 * GiB), ("512MiB", 512 * 1024 ** 2), ("1.5G", 3 * GiB // 2),
    ("1024", 1024), (4096, 4096), ("512M", 512 * 1024 ** 2), ("2GB", 2 * 10 ** 9), ("1T", 1024 ** 4),
    ("100kB", 100000), ("64K", 65536), ("7B", 7), (" 3 G ", 3 * GiB), ("0", 0), ("1tb", 10 ** 12),
])
def test_parse_size_accepts_what_people_write(text, expected):
    assert parse_size(text, "memory") == expected


@pytest.mark.parametrize("text, why", [
    ("-1G", "negative"), (-5, "negative"), ("12XB", "not a size"), ("G", "not a size"), ("", "not a size"),
    ("1.2.3G", "not a size"), ("ten", "not a size"), ("1.5", "whole number"), ("0.3K", "whole number"),
    (True, "not a size"), ("1e9", "not a size"),
])
def test_parse_size_rejects_with_option_name(text, why):
    with pytest.raises(InputError) as err:
        parse_size(text, "memory")
    assert str(err.value).startswith("memory: ")
    assert why in str(err.value)
    assert "e.g. 40G" in str(err.value)


def test_parse_size_none_means_not_managed():
    assert parse_size(None) is None


@given(st.integers(min_value=0, max_value=2 ** 50))
def test_format_then_parse_round_trips(size):
    assert parse_size(format_size(size)) == size


@given(st.integers(min_value=0, max_value=10 ** 6), st.sampled_from(["K", "KiB", "M", "MiB", "G", "GiB", "T", "TiB"]))
def test_binary_units_are_powers_of_1024(number, unit):
    power = {"K": 1, "M": 2, "G": 3, "T": 4}[unit[0]]
    assert parse_size("%d%s" % (number, unit)) == number * 1024 ** power


@given(st.integers(min_value=0, max_value=10 ** 6), st.sampled_from(["kB", "MB", "GB", "TB"]))
def test_si_units_are_powers_of_1000(number, unit):
    power = {"k": 1, "M": 2, "G": 3, "T": 4}[unit[0]]
    assert parse_size("%d%s" % (number, unit)) == number * 1000 ** power


@given(st.text(alphabet="0123456789.-+eEXYZ ", max_size=8))
def test_parse_size_never_raises_anything_but_input_error(text):
    try:
        assert parse_size(text) >= 0
    except InputError:
        pass


def test_format_size_picks_largest_exact_unit():
    assert format_size(40 * GiB) == "40GiB"
    assert format_size(1536 * 1024 ** 2) == "1536MiB"
    assert format_size(1000) == "1000B"
    assert format_size(0) == "0B"
    assert format_size(None) is None


def test_normalize_mounts_sorts_and_validates(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    mounts = normalize_mounts([
        {"source": str(tmp_path / "b") + "/", "path": "/srv/b/", "readonly": None},
        {"source": str(tmp_path / "a"), "path": "/home/debian/Home", "readonly": True},
    ])
    assert [m["path"] for m in mounts] == ["/home/debian/Home", "/srv/b"]
    assert mounts[1]["source"] == str(tmp_path / "b")
    assert mounts[1]["readonly"] is False


@pytest.mark.parametrize("mount, message", [
    ({"source": "relative", "path": "/x"}, "mounts[0].source: 'relative' must be an absolute host path"),
    ({"source": "/nonexistent/dir", "path": "/x"}, "does not exist; create it first"),
    ({"source": "/tmp", "path": "x"}, "mounts[0].path: 'x' must be an absolute path in the guest"),
])
def test_normalize_mounts_errors_name_the_option(mount, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        normalize_mounts([mount])


def test_normalize_mounts_rejects_two_mounts_on_one_path():
    with pytest.raises(InputError, match="mounted twice"):
        normalize_mounts([{"source": "/tmp", "path": "/x"}, {"source": "/var", "path": "/x/"}])


def test_labels_are_strings_and_keys_are_checked():
    assert validate_labels({"env": "dev", "n": 3, "gui": True}) == {"env": "dev", "n": "3", "gui": "true"}
    assert validate_labels(None) == {}
    with pytest.raises(InputError, match="labels: key 'bad key'"):
        validate_labels({"bad key": "x"})
    with pytest.raises(InputError, match="labels: value of 'k'"):
        validate_labels({"k": {"nested": 1}})


def test_instance_result_has_the_common_shape():
    result = instance_result("dev", "lxd", "container", "running", ipv4=("10.0.0.2",), extra_key=1)
    assert set(result) == {"name", "backend", "type", "state", "ipv4", "ipv6", "image", "cpus", "memory", "disk",
                           "mounts", "labels", "extra_key"}
    assert result["ipv4"] == ["10.0.0.2"]


def test_diff_and_changed_keys():
    before, after = {"cpus": 1, "memory": 1}, {"cpus": 2, "memory": 1, "disk": 5}
    assert changed_keys(before, after) == ["cpus", "disk"]
    diff = make_diff(before, after, "dev")
    assert diff["before"] == before and diff["after"] == after
    assert diff["before_header"] == "dev (current)"


def test_instance_argument_spec_takes_backend_states_and_mount_options():
    spec = instance_argument_spec(["started", "absent", "frozen"], mount_options={"shift": {"type": "bool"}})
    assert spec["state"]["choices"] == ["started", "absent", "frozen"]
    assert set(spec["mounts"]["options"]) == {"source", "path", "readonly", "shift"}


def test_check_positive_bounds_both_ends():
    assert check_positive(None, "cpus") is None and check_positive(4, "cpus", maximum=1024, why="the cap") == 4
    with pytest.raises(InputError, match="cpus: must be 1 or more, got 0"):
        check_positive(0, "cpus")
    with pytest.raises(InputError, match=r"cpus: 100000 is more than 1024 \(the cap\); give a smaller number"):
        check_positive(100000, "cpus", maximum=1024, why="the cap")
