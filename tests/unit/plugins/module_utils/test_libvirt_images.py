# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import hashlib
import io
import os

import pytest

from ansible_collections.workstation.vms.plugins.module_utils import libvirt_images as img
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_client import LibvirtError


def test_checksum():
    assert img.parse_checksum("sha256:" + "A" * 64) == ("sha256", "a" * 64)
    assert img.parse_checksum("b" * 64) == ("sha256", "b" * 64)
    with pytest.raises(InputError, match="checksum"):
        img.parse_checksum("sha256:abc")


def test_image_virtual_size(tmp_path):
    qcow = tmp_path / "a.qcow2"
    qcow.write_bytes(b"QFI\xfb" + b"\0" * 20 + (3 * 1024 ** 3).to_bytes(8, "big") + b"\0" * 100)
    assert img.image_virtual_size(str(qcow)) == 3 * 1024 ** 3
    assert img.image_format(str(qcow)) == "qcow2"
    raw = tmp_path / "b.img"
    raw.write_bytes(b"\0" * 4096)
    assert img.image_virtual_size(str(raw)) == 4096 and img.image_format(str(raw)) == "raw"


class _Stream(io.BytesIO):
    pass


def test_fetch_image_once_and_verified(tmp_path):
    data = b"image-bytes" * 1000
    checksum = ("sha256", hashlib.sha256(data).hexdigest())
    calls = []

    def opener(url):
        calls.append(url)
        return _Stream(data)
    path, downloaded = img.fetch_image("http://x/img.qcow2", checksum, str(tmp_path), opener)
    assert downloaded and open(path, "rb").read() == data and path.endswith("/img.qcow2")
    path2, downloaded2 = img.fetch_image("http://x/img.qcow2", checksum, str(tmp_path), opener)
    assert path2 == path and not downloaded2 and len(calls) == 1


def test_fetch_image_bad_checksum_leaves_nothing(tmp_path):
    checksum = ("sha256", "0" * 64)
    with pytest.raises(LibvirtError, match="checksum: the download of http://x/img.qcow2 has sha256:"):
        img.fetch_image("http://x/img.qcow2", checksum, str(tmp_path), lambda url: _Stream(b"data"))
    assert os.listdir(str(tmp_path)) == []   # no key directory, no lock file, no partial download


def test_fetch_image_truncated_cache_entry_is_downloaded_again(tmp_path):
    data = b"image-bytes" * 1000
    checksum = ("sha256", hashlib.sha256(data).hexdigest())
    path = img.fetch_image("http://x/img.qcow2", checksum, str(tmp_path), lambda url: _Stream(data))[0]
    with open(path, "r+b") as handle:
        handle.truncate(100)
    assert not img.cached(path, checksum)
    path2, downloaded = img.fetch_image("http://x/img.qcow2", checksum, str(tmp_path), lambda url: _Stream(data))
    assert downloaded and path2 == path and open(path, "rb").read() == data and img.cached(path, checksum)


def test_fetch_image_entry_without_record_is_verified_not_downloaded(tmp_path):
    data = b"old-cache" * 100
    checksum = ("sha256", hashlib.sha256(data).hexdigest())
    dest = img.cache_path(str(tmp_path), "http://x/i", checksum)
    os.makedirs(os.path.dirname(dest))
    open(dest, "wb").write(data)
    assert not img.cached(dest, checksum)

    def no_download(url):
        raise AssertionError("downloaded again")
    assert img.fetch_image("http://x/i", checksum, str(tmp_path), no_download) == (dest, False)
    assert img.cached(dest, checksum)


def test_fetch_image_interrupted_download_is_not_used(tmp_path):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            raise OSError("connection reset")
    checksum = ("sha256", "0" * 64)
    with pytest.raises(LibvirtError, match=r"^image: downloading http://x/i failed: connection reset"):
        img.fetch_image("http://x/i", checksum, str(tmp_path), lambda url: Broken())
    assert os.listdir(str(tmp_path)) == []


def test_remove_vm_files_only_ours(tmp_path):
    vm = tmp_path / "vm"
    vm.mkdir()
    for name in ("disk.qcow2", "seed.iso", "disk.qcow2.TRANSIENT-x"):
        (vm / name).write_text("x")
    (vm / "user-file").write_text("keep")
    assert img.remove_vm_files(str(vm)) == ["disk.qcow2", "disk.qcow2.TRANSIENT-x", "seed.iso"]
    assert (vm / "user-file").exists()
