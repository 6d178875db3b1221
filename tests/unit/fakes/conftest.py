# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The `mp` fixture: the fake Multipass with its own state, daemon and client certificate directory."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

import pytest

FAKES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "fakes"))
FAKE = os.path.join(FAKES, "multipass")
sys.path.insert(0, FAKES)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import multipass_fake  # noqa: E402  pylint: disable=wrong-import-position,import-error
import multipassd_fake  # noqa: E402  pylint: disable=wrong-import-position,import-error


@pytest.fixture
def mp(tmp_path, monkeypatch):
    """Run the fake executable with its own state directory and its own daemon; returns (rc, stdout, stderr)."""
    for key in ("MULTIPASS_FAKE_VERSION", "MULTIPASS_FAKE_BOOT_SECONDS", "SNAP_COMMON"):
        monkeypatch.delenv(key, raising=False)
    for key, value in multipassd_fake.environment(str(tmp_path)).items():
        monkeypatch.setenv(key, value)

    def run(*args, **env):
        """In this process (fast), or through the executable when real=True."""
        if env.pop("real", False):
            proc = subprocess.run([FAKE] + list(args), capture_output=True, text=True, check=False,
                                  env=dict(os.environ, **env), stdin=subprocess.DEVNULL)
            return proc.returncode, proc.stdout, proc.stderr
        with monkeypatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stderr(err):
                rc = multipass_fake.run(list(args), stdout=out)
        return rc, out.getvalue(), err.getvalue()
    run.state = tmp_path / "state"
    run.src = tmp_path / "src"
    run.src.mkdir()
    with multipassd_fake.running():
        yield run
