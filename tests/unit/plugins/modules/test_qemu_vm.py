# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""qemu_vm and its backend (LibvirtInstance) on a recorded libvirt: a fake LibvirtClient that keeps domains as the XML
libvirt answers (the definition as given, the live XML as it was at the last start)."""

from __future__ import annotations

import hashlib
import io
import json
import xml.etree.ElementTree as ET

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.workstation.vms.plugins.module_utils import libvirt_instance_backend as backend
from ansible_collections.workstation.vms.plugins.module_utils.libvirt_client import LibvirtError
from ansible_collections.workstation.vms.plugins.modules import qemu_vm

MAC = "52:54:00:aa:bb:cc"


class FakeDom:
    def __init__(self, xml_text):
        self.persistent = xml_text
        self.live = None
        self.state = "stopped"
        self.autostart = False


class FakeClient:
    """The LibvirtClient calls the backend makes, answered from memory; `calls` records the changing ones."""

    domains = {}
    calls = []
    fail = ()

    def __init__(self, uri):
        self.uri = uri

    def _do(self, what, *args):
        if what in self.fail:
            raise LibvirtError("%s failed: recorded error" % what)
        self.calls.append((what,) + args)

    def close(self):
        pass

    def lookup(self, name):
        return self.domains.get(name)

    def list_domains(self):
        return list(self.domains.values())

    @staticmethod
    def name(dom):
        return ET.fromstring(dom.persistent).find("name").text

    @staticmethod
    def state(dom):
        return dom.state

    @staticmethod
    def xml(dom, inactive=False):
        return dom.persistent if inactive or dom.live is None else dom.live

    @staticmethod
    def is_active(dom):
        return dom.state in ("running", "paused")

    @staticmethod
    def autostart(dom):
        return dom.autostart

    @staticmethod
    def uuid(dom):
        return "0b8f4d43-1d8e-4f5e-9b55-1a3c5f1f1e11"

    @staticmethod
    def network_exists(net):
        return net["source"] == "default"

    @staticmethod
    def host_memory():
        return 8 * 1024 ** 3

    def define(self, xml_text):
        self._do("define")
        name = ET.fromstring(xml_text).find("name").text
        dom = self.domains.get(name) or FakeDom(xml_text)
        dom.persistent = xml_text
        self.domains[name] = dom
        return dom

    def start(self, dom):
        self._do("start")
        dom.state, dom.live = "running", dom.persistent

    def stop(self, dom, timeout):
        self._do("stop", timeout)
        dom.state, dom.live = "stopped", None

    def destroy(self, dom):
        self._do("destroy")
        dom.state, dom.live = "stopped", None

    def undefine(self, dom):
        self._do("undefine")
        for name in [name for name, known in self.domains.items() if known is dom]:
            del self.domains[name]

    def set_autostart(self, dom, enabled):
        self._do("autostart", enabled)
        dom.autostart = enabled

    def set_live_metadata(self, dom, meta_xml):
        self._do("setMetadata")

    def pause(self, dom):
        self._do("suspend")
        dom.state = "paused"

    def resume(self, dom):
        self._do("resume")
        dom.state = "running"

    @staticmethod
    def lease_records(names):
        return [(MAC, "192.168.122.9", 100)]

    @staticmethod
    def addresses(dom, mac, network, stale):
        """The lease of the boot before the last start is stale: this boot has a new address."""
        return (["192.168.122.10"] if (mac, "192.168.122.9", 100) in stale else ["192.168.122.9"]), []


@pytest.fixture
def run(tmp_path, monkeypatch, capsys):
    """Run qemu_vm against FakeClient; overlay and seed are written as plain files."""
    FakeClient.domains, FakeClient.calls, FakeClient.fail = {}, [], ()
    monkeypatch.setattr(backend, "LibvirtClient", FakeClient)
    monkeypatch.setattr(backend, "start_keeper", lambda *args: None)
    monkeypatch.setattr(backend, "stop_keeper", lambda *args: None)

    def overlay(backing, path, size):
        with open(path, "wb") as handle:
            handle.write(b"QFI\xfb" + b"\0" * 20 + size.to_bytes(8, "big"))
    monkeypatch.setattr(backend.images, "create_overlay", overlay)
    monkeypatch.setattr(backend.cloudinit, "write_seed_iso", lambda path, *data: open(path, "w").close())
    image = tmp_path / "base.qcow2"
    image.write_bytes(b"QFI\xfb" + b"\0" * 20 + (2 * 1024 ** 3).to_bytes(8, "big"))

    def run_module(check_mode=False, **args):
        args = dict(dict(name="qvm-u", image=str(image), pool_dir=str(tmp_path / "pool"), accel="tcg", memory="768M",
                         mac=MAC, wait_for="ipv4", wait_timeout=3, _ansible_check_mode=check_mode, _ansible_diff=True), **args)
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                qemu_vm.main()
        return json.loads(capsys.readouterr().out)
    return run_module


def test_create_check_mode_predicts_the_real_run(run):
    check = run(check_mode=True, stateless=True, autostart=True)
    assert check["changed"] and FakeClient.calls == []
    assert check["instance"]["state"] == "running" and check["instance"]["memory"] == 768 * 1024 ** 2
    real = run(stateless=True, autostart=True)
    assert real["actions"] == check["actions"] == ["create overlay", "write seed", "define", "autostart on", "start",
                                                   "start keeper"]
    assert real["diff"] == check["diff"] and real["diff"]["after"]["memory"] == "768MiB"
    assert real["diff"]["after"]["disk"] == "2GiB" and real["pending_restart"] == []
    assert real["instance"]["ipv4"] == ["192.168.122.10"]
    assert real["instance"]["ssh"] == {"host": "192.168.122.10", "port": 22}
    assert real["instance"]["stateless"] and not real["instance"]["pending_restart"]


def test_second_run_is_no_change(run):
    run()
    del FakeClient.calls[:]
    again = run()
    assert not again["changed"] and again["actions"] == [] and FakeClient.calls == []
    assert again["diff"]["before"] == again["diff"]["after"]


def test_change_on_a_running_vm_is_pending_until_restart_on_change(run):
    run()
    changed = run(memory="640M", labels={"role": "db"})
    assert changed["actions"] == ["redefine"] and changed["pending_restart"] == ["memory"]
    assert changed["instance"]["pending_restart"] is True and changed["instance"]["memory"] == 768 * 1024 ** 2
    assert ("setMetadata",) in FakeClient.calls
    still = run(memory="640M", labels={"role": "db"})
    assert not still["changed"] and still["pending_restart"] == ["memory"]
    restarted = run(memory="640M", labels={"role": "db"}, restart_on_change=True)
    assert restarted["actions"] == ["stop", "start"] and restarted["pending_restart"] == []
    assert restarted["diff"]["after"]["restarted"] and restarted["instance"]["memory"] == 640 * 1024 ** 2
    assert restarted["instance"]["pending_restart"] is False


def test_states(run):
    assert run(state="present")["actions"] == ["create overlay", "write seed", "define"]
    assert run(state="paused")["actions"] == ["start", "pause"]
    assert run(state="started")["actions"] == ["resume"]
    assert run(state="restarted", wait_for="none")["actions"] == ["stop", "start"]
    stopped = run(state="stopped")
    assert stopped["actions"] == ["stop"] and stopped["instance"]["state"] == "stopped"


def test_absent_removes_domain_and_files_and_nothing_else(run, tmp_path):
    run()
    (tmp_path / "pool" / "qvm-u" / "user-file").write_text("keep")
    gone = run(state="absent")
    assert gone["actions"] == ["destroy", "undefine", "remove overlay and seed"]
    assert gone["instance"]["state"] == "absent" and FakeClient.domains == {}
    assert (tmp_path / "pool" / "qvm-u" / "user-file").exists() and (tmp_path / "base.qcow2").exists()
    assert not run(state="absent")["changed"]


def test_failed_creation_removes_what_it_made(run, tmp_path):
    FakeClient.fail = ("start",)
    failed = run()
    assert failed["failed"] and "start failed" in failed["msg"]
    assert "deleted again: define, create overlay" in failed["msg"]
    assert FakeClient.domains == {} and not (tmp_path / "pool" / "qvm-u").exists()


def test_a_domain_not_ours_is_left_alone(run):
    FakeClient.domains["qvm-u"] = FakeDom("<domain type='kvm'><name>qvm-u</name><vcpu>1</vcpu>"
                                          "<memory unit='KiB'>1024</memory><os/><devices/></domain>")
    for state in ("started", "absent"):
        result = run(state=state)
        assert result["failed"] and "not created by workstation.vms.qemu_vm" in result["msg"]
    assert FakeClient.calls == []


def test_seed_contents_mount_bootcmd():
    class Mod:
        params = {"meta_data": {"x": 1}}
    user, meta, net = backend.LibvirtInstance(Mod()).seed_contents(
        {"name": "qvm-u", "user_data": "#cloud-config\nssh_authorized_keys: [k]\n", "network_config": None},
        [{"path": "/m", "type": "virtiofs", "readonly": False, "tag": "t"}])
    assert "bootcmd" in user and "ssh_authorized_keys" in user and "mount -t virtiofs" in user
    assert "local-hostname: qvm-u" in meta and "x: 1" in meta and net is None


@pytest.mark.parametrize("args,needle", [
    ({"name": "bad_name"}, "name:"),
    ({"name": "qvm-u", "memory": "lots"}, "memory:"),
    ({"name": "qvm-u", "memory": "64M"}, "memory:"),
    ({"name": "qvm-u", "disk": "10.5K"}, "disk:"),
    ({"name": "qvm-u", "cpus": 0}, "cpus:"),
    ({"name": "qvm-u", "mac": "nope"}, "mac:"),
    ({"name": "qvm-u", "network": "x:y"}, "network:"),
    ({"name": "qvm-u", "network": "default", "port_forwards": [{"host_port": 2222, "guest_port": 22}]},
     "port_forwards:"),
    ({"name": "qvm-u", "mounts": [{"source": "/nonexistent/qvm", "path": "/x"}]}, "mounts[0].source"),
    ({"name": "qvm-u", "labels": {"bad key": 1}}, "labels:"),
    ({"name": "qvm-u", "image": "https://example.invalid/x.qcow2"}, "checksum:"),
    ({"name": "qvm-u", "image": "relative.qcow2"}, "image:"),
    ({"name": "qvm-u", "image": "/nonexistent/base.qcow2"}, "image:"),
    ({"name": "qvm-u", "cmdline": "console=ttyS0"}, "kernel:"),
    ({"name": "qvm-u", "cloud_init": "- not a mapping"}, "cloud_init:"),
    ({"name": "qvm-u", "checksum": "md5:xyz"}, "checksum:"),
    ({"name": "qvm-u", "state": "frozen"}, "state"),
])
def test_bad_input_fails_before_libvirt(args, needle, monkeypatch, capsys):
    def no_client(*a, **k):
        raise AssertionError("LibvirtClient was constructed for bad input")
    monkeypatch.setattr(backend, "LibvirtClient", no_client)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            qemu_vm.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] and needle in result["msg"]
    assert result.get("actions", []) == []


@pytest.mark.parametrize("args, needle", [
    ({"memory": "16G"}, "memory: 16GiB is more than 8GiB (the RAM of the libvirt host)"),
    ({"memory": "999999T"}, "memory: 999999TiB is more than 16TiB"),
    ({"disk": "0"}, "disk: 0B is too small"),
    ({"disk": "2000T"}, "disk: 2000TiB is more than 1024TiB"),
    ({"network": "bridge:nosuchbr0"}, "network: host bridge 'nosuchbr0' does not exist (no /sys/class/net/nosuchbr0/"),
    ({"network": "nosuchnet"}, "network: libvirt network 'nosuchnet' does not exist"),
    ({"network": "user", "port_forwards": [{"host_port": 2222, "guest_port": 22, "bogus": 1}]}, "bogus"),
    ({"wait_timeout": 0}, "wait_timeout: must be 1 or more"),
])
def test_what_the_host_cannot_give_is_refused_before_anything_is_made(run, tmp_path, args, needle):
    result = run(**args)
    assert result["failed"] and needle in result["msg"] and result.get("actions", []) == []
    assert FakeClient.calls == [] and FakeClient.domains == {} and not (tmp_path / "pool").exists()


def test_a_truncated_cached_image_is_downloaded_again(run, tmp_path):
    data = b"QFI\xfb" + b"\0" * 20 + (1024 ** 3).to_bytes(8, "big") + b"\0" * 4096
    checksum = ("sha256", hashlib.sha256(data).hexdigest())
    cache, url = tmp_path / "cache", "http://images.example/base.qcow2"
    backend.images.fetch_image(url, checksum, str(cache), lambda _url: io.BytesIO(data))
    args = dict(image=url, checksum="sha256:" + checksum[1], cache_dir=str(cache))
    assert run(check_mode=True, **args)["actions"][0] == "create overlay"
    with open(backend.images.cache_path(str(cache), url, checksum), "r+b") as handle:
        handle.truncate(32)
    assert run(check_mode=True, **args)["actions"][0] == "download image"


def test_bridge_check_on_a_local_connection_only():
    client = backend.LibvirtClient.__new__(backend.LibvirtClient)
    client.uri = "qemu:///system"
    assert not client.network_exists({"mode": "bridge", "source": "nosuchbr0"})
    client.uri = "qemu+ssh://root@elsewhere/system"
    assert client.network_exists({"mode": "bridge", "source": "nosuchbr0"})


def test_mounts_mode_merge_keeps_the_other_mounts(run, tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    run(state="stopped", wait_for="none", mounts=[{"source": str(tmp_path / "a"), "path": "/a", "readonly": True}])
    merged = run(state="stopped", wait_for="none", mounts_mode="merge",
                 mounts=[{"source": str(tmp_path / "b"), "path": "/b"}])
    assert merged["actions"] == ["write seed", "redefine"]
    assert [(m["path"], m["readonly"]) for m in merged["instance"]["mounts"]] == [("/a", True), ("/b", False)]
    same = run(state="stopped", wait_for="none", mounts=[{"source": str(tmp_path / "a"), "path": "/a", "readonly": True},
                                                         {"source": str(tmp_path / "b"), "path": "/b"}])
    assert not same["changed"], "merge made what the whole list makes"
