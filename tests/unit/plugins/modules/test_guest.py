# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""guest: one declaration, the backend's own checks and results (LXD on recorded answers, the Multipass fake)."""

from __future__ import annotations

import pytest

from ansible_collections.workstation.vms.plugins.module_utils import guest
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError
from ansible_collections.workstation.vms.plugins.modules import guest as guest_module
from ansible_collections.workstation.vms.tests.unit.plugins.modules import test_lxd_instance as lxd_test
from ansible_collections.workstation.vms.tests.unit.plugins.modules import test_multipass_instance as mp_test

env = mp_test.env   # the Multipass fake's state dir and in-process runner (a pytest fixture)


def params(**kwargs):
    base = {key: None for key in guest.argument_spec()}
    base.update(dict(options={}), **kwargs)
    return base


@pytest.mark.parametrize("kwargs, words", [
    (dict(backend="lxd", options={"memory": "1G"}), "options.memory: give memory at the top level"),
    (dict(backend="multipass", options={"config": {}}), "options.config: not an option of the multipass backend"),
    (dict(backend="lxd", options={"config_mode": "sideways"}), "lxd backend: "),
    (dict(backend="lxd", state="suspended"), "state"),
    (dict(backend="lxd", options={"socket": "/a", "url": "https://b"}), "socket"),
    (dict(backend="libvirt", options={"profiles": ["default"]}), "options.profiles: not an option of the libvirt"),
    (dict(backend="libvirt", options={"accel": "hvf"}), "libvirt backend: "),
])
def test_bad_options_fail_naming_them(kwargs, words):
    with pytest.raises(InputError) as err:
        guest.backend_params(params(name="g1", **kwargs))
    assert words in str(err.value)


def test_incus_is_lxd_on_the_incus_socket(monkeypatch):
    monkeypatch.delenv("INCUS_DIR", raising=False)
    got, _secrets = guest.backend_params(params(name="g1", backend="incus"))
    assert got["socket"] == "/var/lib/incus/unix.socket" and got["state"] == "started" and got["wait_for"] == "none"
    got, _secrets = guest.backend_params(params(name="g1", backend="incus", options={"url": "https://h:8443"}))
    assert got["socket"] is None and got["url"] == "https://h:8443"


def test_libvirt_takes_qemu_vm_options_and_defaults():
    got, _secrets = guest.backend_params(params(name="g1", backend="libvirt", options={"stateless": True}))
    assert got["uri"] == "qemu:///system" and got["stateless"] and got["state"] == "started"
    assert got["mount_type"] == "auto" and got["accel"] == "auto"


def test_secrets_in_options_are_no_log():
    _got, secrets = guest.backend_params(params(name="g1", backend="lxd", options={"trust_token": "s3cret"}))
    assert "s3cret" in secrets


def run_guest(monkeypatch, capsys, args, **fake):
    """guest.main() on LXD recorded answers, through the LXD module test's harness."""
    monkeypatch.setattr(lxd_test, "lxd_instance", guest_module)
    return lxd_test.run(monkeypatch, capsys, args, **fake)


def test_lxd_guest_is_the_lxd_instance_run(monkeypatch, capsys):
    inst = lxd_test.fixture("container_running.json")
    args = {"name": inst["name"], "cpus": 1, "memory": "128MiB"}
    direct, _client = lxd_test.run(monkeypatch, capsys, args, instances=[inst])
    via_guest, client = run_guest(monkeypatch, capsys, dict(args, backend="lxd"), instances=[inst])
    assert not via_guest["changed"] and client.calls == 1
    assert via_guest["instance"] == direct["instance"] and via_guest["pending_restart"] == []
    frozen, _client = run_guest(monkeypatch, capsys, dict(args, backend="lxd", state="frozen"), instances=[inst])
    assert frozen["actions"] == ["freeze"]


def test_multipass_guest_via_main(env):  # pylint: disable=redefined-outer-name
    options = dict(executable=mp_test.FAKE, label_store=str(env / "labels.json"))
    common = dict(name="mpi-g2", image="22.04", cpus=2, memory="1G", labels={"role": "db"},
                  mounts=[dict(source=str(env / "src"), path="/data")], backend="multipass", options=options)
    predicted = run_plain(env, check=True, **common)
    created = run_plain(env, **common)
    assert created["actions"] == predicted["actions"] == ["launch", "labels"]
    assert created["instance"]["labels"] == {"role": "db"} and created["instance"]["backend"] == "multipass"
    assert not run_plain(env, **common)["changed"]
    common.update(state="absent", mounts=None)
    gone = run_plain(env, **common)
    assert gone["actions"] == ["delete"] and mp_test.info("mpi-g2") is None


def run_plain(env, check=False, **args):  # pylint: disable=redefined-outer-name
    """mp_test.run_module without its multipass_instance defaults (guest takes them under options)."""
    with mp_test.patch_module_args(dict(args, _ansible_check_mode=check)):
        with pytest.raises(mp_test.Done) as done:
            guest_module.main()
    return done.value.result
