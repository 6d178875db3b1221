# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The image cache (download once, verified) and each VM's own files (overlay, seed, console log)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import struct
import subprocess
import tempfile

from ansible_collections.workstation.vms.plugins.module_utils.common import InputError
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_client import LibvirtError
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_domain import CONSOLE_LOG

DEFAULT_POOL_DIR = "/var/lib/libvirt/images/workstation-vms"
DEFAULT_CACHE_DIR = "/var/cache/workstation-vms/downloads"
OVERLAY_NAME = "disk.qcow2"
SEED_NAME = "seed.iso"
KEEPER_PID = "keeper.pid"


def is_url(image):
    return bool(re.match(r"^https?://", image or ""))


def parse_checksum(value):
    """'sha256:HEX', 'sha512:HEX' or a bare sha256 HEX -> (algorithm, hex)."""
    if not value:
        return None
    algo, sep, digest = str(value).strip().partition(":")
    if not sep:
        algo, digest = "sha256", algo
    algo = algo.lower()
    lengths = {"sha256": 64, "sha512": 128, "sha1": 40, "md5": 32}
    digest = digest.lower()
    if algo not in lengths or len(digest) != lengths[algo] or not re.match(r"^[0-9a-f]+$", digest):
        raise InputError("checksum: '%s' must be ALGORITHM:HEX with ALGORITHM one of sha256, sha512, sha1, md5 "
                         "(or a bare sha256 hex digest)" % value)
    return algo, digest


def file_digest(path, algo):
    digest = hashlib.new(algo)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def image_format(path):
    with open(path, "rb") as handle:
        return "qcow2" if handle.read(4) == b"QFI\xfb" else "raw"


def image_virtual_size(path):
    """Virtual size of a qcow2 (from its header) or the size of a raw image, without running qemu-img."""
    with open(path, "rb") as handle:
        header = handle.read(32)
    if header[:4] == b"QFI\xfb":
        return struct.unpack(">Q", header[24:32])[0]
    return os.path.getsize(path)


def cache_path(cache_dir, url, checksum):
    key = hashlib.sha256(("%s\n%s" % (url, checksum or "")).encode("utf-8")).hexdigest()[:16]
    base = re.sub(r"[^A-Za-z0-9._-]", "_", url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]) or "image"
    return os.path.join(cache_dir, key, base)


def record_path(dest):
    """The record beside a cached image: its size and checksum, written once it was verified."""
    return dest + ".verified"


def cached(dest, checksum):
    """True when the cache holds `dest` as verified: its record names `checksum` and its size is the recorded one
    (a truncated or replaced file, or one without a record, is not used: it is downloaded again)."""
    try:
        with open(record_path(dest)) as handle:
            record = json.load(handle)
        return record.get("checksum") == list(checksum) and os.path.getsize(dest) == record.get("size")
    except (OSError, ValueError, AttributeError):
        return False


def fetch_image(url, checksum, cache_dir, open_url):
    """Download `url` into the cache unless a verified copy is there; return (path, downloaded). The data goes to
    a temporary file and is renamed into place, with its record, only after the checksum matched: a partial or
    corrupt download is never used and leaves nothing behind (no temporary file, no empty directory). Concurrent
    runs are serialised by a lock on the cache directory itself (no lock files)."""
    dest = cache_path(cache_dir, url, checksum)
    if cached(dest, checksum):
        return dest, False
    os.makedirs(cache_dir, mode=0o755, exist_ok=True)
    lock = os.open(cache_dir, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cached(dest, checksum):
            return dest, False
        if os.path.isfile(dest) and file_digest(dest, checksum[0]) == checksum[1]:
            # cached before records were kept: verified once in full, then recorded
            _write_record(dest, {"url": url, "checksum": list(checksum), "size": os.path.getsize(dest)})
            return dest, False
        directory = os.path.dirname(dest)
        made_dir = not os.path.isdir(directory)
        os.makedirs(directory, mode=0o755, exist_ok=True)
        try:
            _download(url, checksum, dest, open_url)
        except BaseException:
            if made_dir and not os.listdir(directory):
                os.rmdir(directory)
            raise
    finally:
        os.close(lock)
    return dest, True


def _download(url, checksum, dest, open_url):
    algo, want = checksum
    digest = hashlib.new(algo)
    fd, tmp = tempfile.mkstemp(prefix=".part-", dir=os.path.dirname(dest))
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = open_url(url)
                for block in iter(lambda: response.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
                    size += len(block)
            except OSError as exc:   # urllib's URLError/HTTPError, a refused or cut connection
                raise LibvirtError("image: downloading %s failed: %s" % (url, getattr(exc, "reason", exc)))
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != want:
            raise LibvirtError("checksum: the download of %s has %s:%s, expected %s:%s (nothing was cached; check "
                               "the checksum or the URL)" % (url, algo, digest.hexdigest(), algo, want))
        os.chmod(tmp, 0o644)
        os.rename(tmp, dest)
        _write_record(dest, {"url": url, "checksum": [algo, want], "size": size})
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_record(dest, record):
    fd, tmp = tempfile.mkstemp(prefix=".record-", dir=os.path.dirname(dest))
    with os.fdopen(fd, "w") as out:
        json.dump(record, out)
    os.chmod(tmp, 0o644)
    os.rename(tmp, record_path(dest))


def create_overlay(backing, overlay, size, run=subprocess.run):
    """A qcow2 overlay whose backing file is the (never written) base image; its virtual size is `size`."""
    result = run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", image_format(backing), "-b", backing,
                  overlay, str(size)], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LibvirtError("qemu-img create %s failed: %s" % (overlay, result.stderr.strip()))
    os.chmod(overlay, 0o600)


def resize_overlay(overlay, size, run=subprocess.run):
    result = run(["qemu-img", "resize", "-q", overlay, str(size)], stdin=subprocess.DEVNULL,
                 capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LibvirtError("qemu-img resize %s failed: %s" % (overlay, result.stderr.strip()))


def remove_vm_files(vm_dir):
    """Remove only the files this collection put in the VM's own directory, then the directory if empty.
    The base image lives elsewhere and mounted host dirs are never touched."""
    removed = []
    if not vm_dir or not os.path.isdir(vm_dir):
        return removed
    for entry in sorted(os.listdir(vm_dir)):
        ours = entry in (OVERLAY_NAME, SEED_NAME, KEEPER_PID, CONSOLE_LOG)
        if ours or entry.startswith((OVERLAY_NAME + ".TRANSIENT", ".seed-")):
            os.unlink(os.path.join(vm_dir, entry))
            removed.append(entry)
    try:
        os.rmdir(vm_dir)
    except OSError:
        pass
    return removed
