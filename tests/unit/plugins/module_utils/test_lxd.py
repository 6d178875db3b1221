# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/lxd.py: pure helpers, the client over a fake unix-socket server (real HTTP, real socket)."""

from __future__ import annotations

import json
import os
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn

import pytest

from ansible_collections.workstation.vms.plugins.module_utils import lxd
from ansible_collections.workstation.vms.plugins.module_utils.common import InputError

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "lxd")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


# ---- names, images, devices -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["a", "web-1", "A" * 63, "x9-y"])
def test_valid_names(name):
    assert lxd.validate_name(name) == name


@pytest.mark.parametrize("name", ["", "1abc", "-a", "a-", "a_b", "a.b", "a" * 64, "é"])
def test_invalid_names(name):
    with pytest.raises(InputError, match="^name: "):
        lxd.validate_name(name)


def test_image_sources():
    assert lxd.image_source("ubuntu:24.04") == {
        "type": "image", "mode": "pull", "server": "https://cloud-images.ubuntu.com/releases",
        "protocol": "simplestreams", "alias": "24.04"}
    assert lxd.image_source("ubuntu-daily:noble")["server"] == "https://cloud-images.ubuntu.com/daily"
    assert lxd.image_source("debian/12") == {"type": "image", "alias": "debian/12", "local": True}
    assert lxd.image_source("local:debian/12") == {"type": "image", "alias": "debian/12", "local": True}
    assert lxd.image_source("1f2e3f1be0bf") == {"type": "image", "fingerprint": "1f2e3f1be0bf", "local": True}
    mine = lxd.image_source("corp:base", remotes={"corp": "https://img.corp:8443"})
    assert mine["server"] == "https://img.corp:8443" and mine["alias"] == "base"
    as_dict = lxd.image_source({"server": "https://img.corp:8443", "protocol": "lxd", "fingerprint": "abc"})
    assert as_dict == {"type": "image", "mode": "pull", "server": "https://img.corp:8443", "protocol": "lxd",
                       "fingerprint": "abc"}


# The default remotes of each daemon's CLI, as their sources define them (Addr of each Remote):
# - LXD 5.21/6.x: canonical/lxd lxc/config/default.go, the version whose ImagesRemote is
#   https://images.lxd.canonical.com (images, ubuntu, ubuntu-daily, ubuntu-minimal, ubuntu-minimal-daily; the two
#   minimal URLs end in "/"), the same names as doc/reference/remote_image_servers.md at 04d2731. LXD 5.0's
#   lxc/config/default.go at b9467b2 (Debian's 5.0.2 here) still had images.linuxcontainers.org, which stopped
#   serving LXD in 2024: LXD always gets Canonical's server.
# - Incus 6.x: lxc/incus internal/cliconfig/default.go at 99613e4: images -> https://images.linuxcontainers.org only.
def test_builtin_remotes_pinned_to_each_daemons_cli():
    assert lxd.BUILTIN_REMOTES == {
        "lxd": {"images": "https://images.lxd.canonical.com",
                "ubuntu": "https://cloud-images.ubuntu.com/releases",
                "ubuntu-daily": "https://cloud-images.ubuntu.com/daily",
                "ubuntu-minimal": "https://cloud-images.ubuntu.com/minimal/releases/",
                "ubuntu-minimal-daily": "https://cloud-images.ubuntu.com/minimal/daily/"},
        "incus": {"images": "https://images.linuxcontainers.org"},
    }


@pytest.mark.parametrize("daemon, server", [("lxd", "https://images.lxd.canonical.com"),
                                            ("incus", "https://images.linuxcontainers.org")])
def test_images_remote_follows_the_daemon(daemon, server):
    asked = []
    source = lxd.image_source("images:debian/12", daemon=lambda: asked.append(1) or daemon)
    assert source == {"type": "image", "mode": "pull", "server": server, "protocol": "simplestreams",
                      "alias": "debian/12"}
    assert asked == [1]


def test_daemon_is_asked_only_for_builtin_remotes():
    def never():
        raise AssertionError("the daemon was asked")
    lxd.image_source("debian/12", daemon=never)
    lxd.image_source("corp:a", remotes={"corp": "https://c"}, daemon=never)
    over = lxd.image_source("images:a", remotes={"images": {"server": "https://mirror", "certificate": "PEM"}},
                            daemon=never)
    assert over["server"] == "https://mirror" and over["certificate"] == "PEM"


@pytest.mark.parametrize("remote", sorted(set(lxd.BUILTIN_REMOTES["lxd"]) | set(lxd.BUILTIN_REMOTES["incus"])))
def test_every_builtin_name_can_point_at_a_mirror(remote):
    """A user's mirror keeps the built-in name on either daemon (tests/integration/test_image_remotes.py launches
    images:debian/12 that way on LXD and Incus)."""
    def never():
        raise AssertionError("the daemon was asked")
    source = lxd.image_source("%s:debian/12" % remote, remotes={remote: "https://mirror.example/"}, daemon=never)
    assert source == {"type": "image", "mode": "pull", "server": "https://mirror.example/", "protocol": "simplestreams",
                      "alias": "debian/12"}


@pytest.mark.parametrize("remote", ["ubuntu", "ubuntu-daily", "ubuntu-minimal", "ubuntu-minimal-daily"])
def test_remote_missing_on_incus_names_remote_and_daemon(remote):
    with pytest.raises(InputError) as err:
        lxd.image_source("%s:24.04" % remote, daemon=lambda: "incus")
    message = str(err.value)
    assert message.startswith("image: remote '%s' in '%s:24.04' is not a built-in remote of Incus" % (remote, remote))
    assert "incus remote list has images" in message and "remotes" in message


@pytest.mark.parametrize("image, why", [
    ("nowhere:debian/12", "unknown remote 'nowhere'"),
    ({"server": "ftp://x", "alias": "a"}, "must be a URL"),
    ({"server": "https://x", "protocol": "oci", "alias": "a"}, "protocol"),
    ({"server": "https://x"}, "alias or a fingerprint"),
    (42, "give 'remote:alias'"),
])
def test_bad_images(image, why):
    with pytest.raises(InputError) as err:
        lxd.image_source(image)
    assert str(err.value).startswith("image: ") and why in str(err.value)


def test_ports():
    devices = lxd.port_devices(["8080:80", "127.0.0.1:2222:22", "5353:53/udp",
                                {"host": 9000, "guest": 9001, "protocol": "tcp"}])
    assert devices == {
        "port-tcp-8080": {"type": "proxy", "listen": "tcp:0.0.0.0:8080", "connect": "tcp:127.0.0.1:80"},
        "port-tcp-2222": {"type": "proxy", "listen": "tcp:127.0.0.1:2222", "connect": "tcp:127.0.0.1:22"},
        "port-udp-5353": {"type": "proxy", "listen": "udp:0.0.0.0:5353", "connect": "udp:127.0.0.1:53"},
        "port-tcp-9000": {"type": "proxy", "listen": "tcp:0.0.0.0:9000", "connect": "tcp:127.0.0.1:9001"},
    }
    with pytest.raises(InputError, match=r"^ports\[1\]: host port 80/tcp is forwarded twice"):
        lxd.port_devices(["80:80", "80:81"])


def test_mount_devices_and_names():
    devices = lxd.mount_devices([{"source": "/h", "path": "/srv/data", "readonly": True, "shift": True},
                                 {"source": "/g", "path": "/mnt"}])
    assert devices == {"mount-srv-data": {"type": "disk", "source": "/h", "path": "/srv/data", "readonly": "true",
                                          "shift": "true"},
                       "mount-mnt": {"type": "disk", "source": "/g", "path": "/mnt"}}


def test_restart_rules():
    assert lxd.needs_restart("container", key="security.nesting")
    assert lxd.needs_restart("container", key="raw.idmap")
    assert not lxd.needs_restart("container", key="limits.memory")
    assert not lxd.needs_restart("container", device={"type": "disk"})
    assert lxd.needs_restart("virtual-machine", key="limits.memory")
    assert not lxd.needs_restart("virtual-machine", key="user.label.x")
    assert not lxd.needs_restart("virtual-machine", key="cloud-init.user-data")
    assert lxd.needs_restart("virtual-machine", device={"type": "disk"})
    assert not lxd.needs_restart("virtual-machine", device={"type": "proxy"})


# ---- the instance shape ---------------------------------------------------------------------------------
def test_summary_of_a_recorded_container():
    inst = fixture("container_running.json")
    inst["config"]["user.label.env"] = "prod"
    inst["expanded_config"]["user.label.env"] = "prod"
    inst["expanded_config"]["user.user-data"] = "#cloud-config\n"   # not a label
    summary = lxd.instance_summary(inst)
    assert summary["name"] == inst["name"] and summary["backend"] == "lxd" and summary["state"] == "running"
    assert summary["ipv4"] == ["10.99.10.75"] and summary["ipv6"] == []
    assert summary["labels"] == {"env": "prod"}
    assert summary["cpus"] == 1 and summary["memory"] == 128 * 1024 ** 2


def test_summary_of_a_vm_without_agent_has_no_addresses():
    summary = lxd.instance_summary(fixture("vm_running_no_agent.json"))
    assert summary["type"] == "virtual-machine" and summary["ipv4"] == [] and summary["disk"] == 10 * 1024 ** 3


LEASE = {"hostname": "lxdi-bench-00", "hwaddr": "00:16:3e:7e:ae:4c", "address": "10.99.10.75", "type": "dynamic",
         "location": "none", "project": "default"}


def running(devices, itype="container"):
    """A recorded running container (without its state, as recursion=1 lists it) with other NIC devices."""
    inst = fixture("container_running.json")
    inst.pop("state")
    inst.update(type=itype, expanded_devices=dict(devices, root={"type": "disk", "path": "/", "pool": "default"}))
    return inst


def leases_of(book):
    return lambda network, project: book.get(network)


def test_lease_addresses_by_hwaddr_in_guest_nic_order():
    inst = running({"eth1": {"type": "nic", "nictype": "bridged", "parent": "br1", "hwaddr": "00:16:3E:00:00:01"},
                    "eth0": {"type": "nic", "network": "lxdbr0", "name": "eth0"}})
    book = {"lxdbr0": [LEASE, dict(LEASE, type="static")],   # a reserved address: listed static and dynamic
            "br1": [dict(LEASE, hwaddr="00:16:3e:00:00:01", address="10.1.0.9")]}
    assert lxd.lease_addresses(inst, leases_of(book)) == (["10.99.10.75", "10.1.0.9"], [])


@pytest.mark.parametrize("devices, book", [
    ({"eth0": {"type": "nic", "nictype": "macvlan", "parent": "eno1"}}, {}),
    ({"eth0": {"type": "nic", "network": "lxdbr0"}}, {"lxdbr0": [LEASE, dict(LEASE, address="fd42::1")]}),
    ({"eth0": {"type": "nic", "network": "lxdbr0"}}, {"lxdbr0": [dict(LEASE, hwaddr="00:16:3e:00:00:02")]}),
    ({"eth0": {"type": "nic", "network": "lxdbr0"}}, {"lxdbr0": None}),
    ({}, {}),
], ids=["macvlan", "ipv6-network", "no-lease-of-ours", "unmanaged", "no-nic"])
def test_lease_addresses_none_where_only_state_knows(devices, book):
    assert lxd.lease_addresses(running(devices), leases_of(book)) is None


def test_lease_addresses_of_a_vm_only_with_one_nic():
    one = {"eth0": {"type": "nic", "network": "lxdbr0"}}
    book = {"lxdbr0": [LEASE, dict(LEASE, hwaddr="00:16:3e:00:00:03", address="10.99.10.80")]}
    assert lxd.lease_addresses(running(one, "virtual-machine"), leases_of(book)) == (["10.99.10.75"], [])
    two = dict(one, eth1={"type": "nic", "network": "lxdbr0", "hwaddr": "00:16:3e:00:00:03"})
    assert lxd.lease_addresses(running(two, "virtual-machine"), leases_of(book)) is None


def test_addresses_of_one_nic():
    state = fixture("vm_state_agent.json")
    assert lxd.addresses(state, "inet") == ["10.99.10.50"]
    assert lxd.addresses(state, "inet", nic="eth0") == []
    assert lxd.addresses(state, "inet6", nic="enp5s0") == ["fd42::50"]


def _nic(host_name, *addresses):
    return {"host_name": host_name, "addresses": [
        {"family": "inet6" if ":" in a else "inet", "address": a, "scope": "global"} for a in addresses]}


DOCKER_HOST = {"network": {
    "docker0": _nic("", "172.17.0.1"), "br-5e1f": _nic("", "172.18.0.1"), "vethab12": _nic("", "169.254.9.9"),
    "eth0": _nic("veth0a1b2c3d", "10.99.10.75", "fd42::75"), "lo": _nic("", "127.0.0.1"),
    "wg0": _nic("", "10.8.0.2"), "ens7": _nic("", "192.168.5.7")}}


def test_addresses_own_nic_first_never_guest_bridges():
    # docker0 sorts before eth0 by name; the rule still puts the NIC LXD made (host_name set) first
    assert lxd.addresses(DOCKER_HOST, "inet") == ["10.99.10.75", "192.168.5.7", "10.8.0.2"]
    assert lxd.addresses(DOCKER_HOST, "inet6") == ["fd42::75"]
    assert lxd.instance_summary({"name": "d", "state": DOCKER_HOST})["ipv4"][0] == "10.99.10.75"


def test_addresses_preferred_globs_in_order():
    assert lxd.addresses(DOCKER_HOST, "inet", prefer=["wg*", "en*"]) == ["10.99.10.75", "10.8.0.2", "192.168.5.7"]
    # a bridge is used only when a glob names it, and after the own NIC
    assert lxd.addresses(DOCKER_HOST, "inet", prefer=["docker*"])[:2] == ["10.99.10.75", "172.17.0.1"]
    assert lxd.addresses(DOCKER_HOST, "inet", nic="docker0") == ["172.17.0.1"]
    assert lxd.addresses(DOCKER_HOST, "inet", nic="nope") == []


# ---- the client over a real unix socket ------------------------------------------------------------------
class FakeDaemon(ThreadingMixIn, HTTPServer):
    address_family = socket.AF_UNIX
    daemon_threads = True

    def server_bind(self):
        self.socket.bind(self.server_address)


def envelope(metadata, status=200):
    if status >= 400:
        return {"type": "error", "error": "not found" if status == 404 else "forbidden", "error_code": status}
    return {"type": "sync", "status": "Success", "status_code": 200, "metadata": metadata}


@pytest.fixture
def daemon(tmp_path):
    seen = []
    container = fixture("container_running.json")
    # what the daemon answers: a test may change the leases (None: 404, as for an unmanaged bridge)
    answers = {"leases": [LEASE]}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 (http.server's naming)
            seen.append(self.path)
            status, body = 404, envelope(None, 404)
            if self.path.startswith("/1.0/instances?"):
                listed = dict(container)
                if "recursion=1" in self.path:
                    listed.pop("state")
                status, body = 200, envelope([listed])
            elif self.path.startswith("/1.0/instances/%s/state" % container["name"]):
                status, body = 200, envelope(container["state"])
            elif self.path.startswith("/1.0/instances/%s?" % container["name"]):
                status, body = 200, envelope(container)
            elif self.path.split("?")[0] == "/1.0":
                status, body = 200, envelope({"environment": {"server": "incus", "server_name": "host1"}})
            elif self.path.startswith("/1.0/networks/lxdbr0/leases") and answers["leases"] is not None:
                status, body = 200, envelope(answers["leases"])
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    path = str(tmp_path / "unix.socket")
    server = FakeDaemon(path, Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path, seen, answers
    server.shutdown()
    server.server_close()


def test_full_state_guests_is_one_request_and_never_imports_pylxd(daemon, monkeypatch):
    path, seen, _answers = daemon
    monkeypatch.delitem(sys.modules, "pylxd", raising=False)
    client = lxd.LxdClient(socket=path, project="dev")
    guests = client.guests(all_projects=True, full_state=True)
    assert len(seen) == 1 and client.calls == 1
    assert seen[0].startswith("/1.0/instances?") and "recursion=2" in seen[0] and "all-projects=true" in seen[0]
    assert "project=" not in seen[0]
    assert guests[0]["ipv4"] == ["10.99.10.75"] and guests[0]["backend"] == "lxd"
    assert "pylxd" not in sys.modules


def test_guests_from_leases_equal_full_state_without_asking_state(daemon):
    path, seen, _answers = daemon
    full = lxd.LxdClient(socket=path).guests(full_state=True)
    del seen[:]
    client = lxd.LxdClient(socket=path)
    assert client.guests() == full
    assert [p.split("?")[0] for p in seen] == ["/1.0/instances", "/1.0/networks/lxdbr0/leases"]
    assert "recursion=1" in seen[0] and "project=default" in seen[1] and client.calls == 2


@pytest.mark.parametrize("leases", [None, [], [dict(LEASE, address="10.99.10.76")] + [LEASE]],
                         ids=["unmanaged-bridge", "no-lease", "two-leases"])
def test_guests_ask_state_where_leases_cannot_tell(daemon, leases):
    path, seen, answers = daemon
    full = lxd.LxdClient(socket=path).guests(full_state=True)
    answers["leases"] = leases
    del seen[:]
    assert lxd.LxdClient(socket=path).guests() == full
    assert seen[-1].startswith("/1.0/instances/lxdi-bench-00/state")


def test_instance_get_and_missing(daemon):
    path, seen, _answers = daemon
    client = lxd.LxdClient(socket=path, project="dev")
    assert client.instance("lxdi-bench-00")["name"] == "lxdi-bench-00"
    assert client.instance("nope") is None
    assert "project=dev" in seen[0] and "recursion=1" in seen[0]
    assert client.calls == 2   # one kept-alive connection, two requests


def test_daemon_kind_is_read_once(daemon):
    path, seen, _answers = daemon
    client = lxd.LxdClient(socket=path)
    assert client.daemon() == "incus" and client.daemon() == "incus"
    assert seen == ["/1.0"]


def test_socket_detection(tmp_path, monkeypatch):
    sock = tmp_path / "unix.socket"
    sock.write_text("")
    monkeypatch.setenv("INCUS_DIR", str(tmp_path))
    monkeypatch.delenv("LXD_DIR", raising=False)
    assert lxd.find_socket() == str(sock)
    assert lxd.find_socket("/given") == "/given"
    monkeypatch.setattr(lxd, "DEFAULT_SOCKETS", ("/nonexistent/a",))
    monkeypatch.delenv("INCUS_DIR")
    with pytest.raises(lxd.LxdError, match="no LXD or Incus socket"):
        lxd.find_socket()


def test_connection_option_errors():
    with pytest.raises(InputError, match="^socket and url"):
        lxd.LxdClient(socket="/a", url="https://b")
    with pytest.raises(InputError, match="^url: "):
        lxd.LxdClient(url="http://plain:8443")


def test_trust_token_registers_once_then_retries(monkeypatch, tmp_path):
    cert = tmp_path / "client.crt"
    cert.write_text(PEM)
    client = lxd.LxdClient(url="https://lxd.example:8443", client_cert=str(cert), client_key=str(cert),
                           trust_token="tok")
    answers = {"count": 0}
    posted = []

    def fake_get(path, params=None, raw=False):
        answers["count"] += 1
        if not posted:
            raise lxd.LxdError("GET %s: not authorized" % path, 403)
        return {"metadata": []}

    def fake_write(method, path, body=None, params=None, **kwargs):
        posted.append((method, path, body))
        return {}

    monkeypatch.setattr(client, "_get", fake_get)
    monkeypatch.setattr(client, "_write", fake_write)
    assert client.instances() == []
    assert len(posted) == 1 and posted[0][1] == "/certificates" and posted[0][2]["trust_token"] == "tok"
    assert posted[0][2]["type"] == "client" and posted[0][2]["certificate"]
    assert client.registered and answers["count"] == 2


def test_pinning_compares_sha256():
    assert lxd.cert_fingerprint(PEM) == lxd.cert_fingerprint(ssl.PEM_cert_to_DER_cert(PEM))
    assert len(lxd.cert_fingerprint(PEM)) == 64


# A throwaway self-signed certificate (no key: only the certificate's bytes matter here).
PEM = """-----BEGIN CERTIFICATE-----
MIIBhTCCASugAwIBAgIUJ6JbH1dXWQ2m3u3m1o0ZQ8M4Xl0wCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNbHhkLmV4YW1wbGUuMB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEw
MTAwMDAwMFowGDEWMBQGA1UEAwwNbHhkLmV4YW1wbGUuMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEz3Yk0m7b1f3o8nq2c1y9cZ9a5m2h8o3kq8w0r9t7y6u5i4o3
p2a1s0d9f8g7h6j5k4l3z2x1c0v9b8n7m6q5w6NTMFEwHQYDVR0OBBYEFAAAAAAA
AAAAAAAAAAAAAAAAAAAAMB8GA1UdIwQYMBaAFAAAAAAAAAAAAAAAAAAAAAAAAAAA
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAO7+7+7+7+7+7+7+
7+7+7+7+7+7+7+7+7+7+7+7+7+7+AiAO7+7+7+7+7+7+7+7+7+7+7+7+7+7+7+7+
7+7+7+7+7w==
-----END CERTIFICATE-----
"""


def test_wait_operation_rides_over_incus_wait_timeouts(monkeypatch):
    """Incus answers /wait?timeout=30 on a still running operation with 'context deadline exceeded'."""
    answers = [lxd.LxdError("GET /1.0/operations/op1/wait?timeout=30: context deadline exceeded", 500),
               {"metadata": {"status_code": 200, "status": "Success", "metadata": {"return": 0}}}]

    class Slow(lxd.LxdClient):
        def _get(self, path, params=None, raw=False):
            answer = answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
    monkeypatch.setattr(lxd, "find_socket", lambda socket=None: "/nonexistent.socket")
    assert Slow().wait_operation("/1.0/operations/op1", timeout=60)["status"] == "Success"
    answers[:] = [lxd.LxdError("GET /1.0/operations/op1/wait: not found", 404)]
    with pytest.raises(lxd.LxdError, match="not found"):
        Slow().wait_operation("op1", timeout=60)


@pytest.mark.parametrize("call, words", [
    (lambda: lxd.port_devices([{"host": 8080, "guest": 80, "bogus": 1}]), "ports[0]: unknown key 'bogus'"),
    (lambda: lxd.image_source({"alias": "a", "fingerprnt": "x"}), "image: unknown key 'fingerprnt'"),
    (lambda: lxd.image_source("mine:a", {"mine": {"server": "https://x", "proto": "lxd"}}),
     "remotes.mine: unknown key 'proto'"),
])
def test_unknown_keys_of_free_form_options_are_refused(call, words):
    with pytest.raises(InputError) as err:
        call()
    assert str(err.value).startswith(words)


@pytest.mark.parametrize("option", ["client_cert", "client_key", "server_cert"])
def test_missing_certificate_files_are_named(tmp_path, option):
    cert = tmp_path / "client.crt"
    cert.write_text(PEM)
    kwargs = dict(url="https://127.0.0.1:8443", client_cert=str(cert), client_key=str(cert))
    kwargs[option] = str(tmp_path / "nope.pem")
    with pytest.raises(InputError, match=r"^%s: file '.*nope.pem' does not exist" % option):
        lxd.LxdClient(**kwargs)


def test_unloadable_client_certificate_and_pinned_certificate_are_named(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(InputError, match="^client_cert, client_key: cannot load the client certificate"):
        lxd.LxdClient(url="https://127.0.0.1:8443", client_cert=str(junk), client_key=str(junk)).instances()
    with pytest.raises(InputError, match="^server_cert: cannot read a PEM certificate"):
        lxd.LxdClient(url="https://127.0.0.1:8443", server_cert=str(junk))._pinned_fingerprint()


def test_url_with_nothing_listening_names_the_url():
    import socket
    with socket.socket() as sock:   # a port that was just free: nothing listens on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(lxd.LxdError, match=r"^url: cannot reach https://127.0.0.1:%d: .*check the url" % port):
        lxd.LxdClient(url="https://127.0.0.1:%d" % port, verify=False).instances()


def test_busy_instance_is_waited_for_then_the_write_is_retried(monkeypatch):
    monkeypatch.setattr(lxd, "find_socket", lambda socket=None: "/nonexistent.socket")
    client = lxd.LxdClient()
    writes, waited = [], []
    running = {"running": [
        {"id": "op1", "resources": {"instances": ["/1.0/instances/box?project=default"]}},
        {"id": "op2", "resources": {"instances": ["/1.0/instances/other"]}}]}

    def fake_get(path, params=None, raw=False):
        if path == "/operations":
            return {"metadata": running}
        assert path == "/operations/op1/wait"
        waited.append(path)
        return {"metadata": {"status_code": 200, "status": "Success"}}

    def fake_write(method, path, body=None, params=None, **kwargs):
        writes.append(path)
        if len(writes) == 1:
            raise lxd.LxdError("PUT %s: Instance is busy running a create operation" % path, 400)
        return {}
    monkeypatch.setattr(client, "_get", fake_get)
    monkeypatch.setattr(client, "_write", fake_write)
    client.update("box", {})
    assert writes == ["/instances/box", "/instances/box"] and waited == ["/operations/op1/wait"]
    assert lxd.busy_instance("PUT", "/instances/box/state", lxd.LxdError("busy")) == "box"
    assert lxd.busy_instance("PUT", "/instances/box", lxd.LxdError("not found")) is None


def test_unknown_project_is_named_not_the_image(monkeypatch):
    monkeypatch.setattr(lxd, "find_socket", lambda socket=None: "/nonexistent.socket")
    client = lxd.LxdClient(project="nosuch")
    asked = []

    def fake_get(path, params=None, raw=False):
        asked.append(path)
        raise lxd.LxdError("GET %s: not found" % path, 404)
    monkeypatch.setattr(client, "_get", fake_get)
    with pytest.raises(InputError, match="^project: no project 'nosuch' on the server"):
        lxd.resolve_local_image(client, {"alias": "debian/12", "local": True}, "container")
    assert asked == ["/images/aliases/debian%2F12", "/projects/nosuch"]


def test_socket_client_reads_chunked_and_closing_answers(tmp_path):
    """LXD (Go) sends large answers chunked; a server may also close after an answer without a length."""
    path = str(tmp_path / "raw.socket")
    body = json.dumps(envelope(1)).encode()
    chunks = b"".join(b"%x%s\r\n%s\r\n" % (len(part), b";ext=1" if i == 1 else b"", part)
                      for i, part in enumerate((body[:5], body[5:30], body[30:])))
    answers = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\nX-T: 1\r\n\r\n",
               b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + json.dumps(envelope([2])).encode()]
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(1)

    def serve():
        conn = server.accept()[0]
        for index, answer in enumerate(answers):
            conn.recv(65536)
            conn.sendall(answer)
            if index == len(answers) - 1:
                conn.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = lxd.LxdClient(socket=path)
    assert client.request("GET", "/a")["metadata"] == 1
    assert client.request("GET", "/b")["metadata"] == [2]
    assert client._conn._sock is None   # closed as the server said
    thread.join(5)
    server.close()
