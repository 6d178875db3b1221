# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input on the real daemons (LXD, Incus) and the Multipass fake: every case fails with a message naming the
option, and the daemon holds no instance of that name afterwards. And no secret at -vvv --diff: a private key
planted in user-data is in no line of a whole playbook run's output, on LXD (container) and the Multipass fake.

On libvirt, qemu_vm's checks before anything is defined (a missing bridge or network, more memory than the host
has, an unknown suboption) and its image cache (a truncated cached image is downloaded again): VMs are only defined,
never started.

All the bad-input cases of one daemon run as tasks of one play (one Ansible start per daemon); nothing boots
(containers are created stopped, for the secret runs only)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKE = os.path.join(ROOT, "tests", "fakes", "multipass")
FAKE_DAEMON = os.path.join(ROOT, "tests", "fakes", "multipassd")
SOCKETS = {"lxd": "/var/lib/lxd/unix.socket", "incus": "/var/lib/incus/unix.socket"}
IMAGE = "debian/12"   # the locally built image (tests/env/build_images.sh), as tests/integration/test_smoke_lxd.py
RUN = "rel%s" % uuid.uuid4().hex[:6]


def run(args, env=None, check=True, timeout=300):
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError("%s failed (rc %s):\n%s" % (args, result.returncode, result.stdout))
    return result


def free_port():
    """A port nothing listens on (it was just free)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def workdir():
    path = tempfile.mkdtemp(prefix="rel-it-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def playbook(workdir, name, tasks, verbosity=None, env=None):
    """Run `tasks` on localhost; returns (results by task index, whole output). Every task may fail."""
    out = os.path.join(workdir, name + ".json")
    plays = [{"hosts": "localhost", "gather_facts": False, "connection": "local",
              "vars": {"ansible_python_interpreter": sys.executable},
              "tasks": [dict(task, register="r%d" % i, ignore_errors=True) for i, task in enumerate(tasks)] + [
                  {"name": "Keep the results",
                   "ansible.builtin.copy": {"dest": out, "mode": "0600", "content": "{{ {%s} | to_json }}" % ", ".join(
                       "'%d': r%d" % (i, i) for i in range(len(tasks)))}}]}]
    path = os.path.join(workdir, name + ".yml")
    with open(path, "w") as handle:
        yaml.safe_dump(plays, handle)
    args = ["ansible-playbook", "-i", "localhost,", path] + (["-" + "v" * verbosity, "--diff"] if verbosity else [])
    result = run(args, env=env, check=False)
    assert os.path.exists(out), result.stdout
    with open(out) as handle:
        return json.load(handle), result.stdout


def check_cases(results, cases):
    for i, (_task, words) in enumerate(cases):
        got = results[str(i)]
        assert got.get("failed"), "case %d (%s) did not fail: %s" % (i, words, got)
        assert words in got["msg"] and "Traceback" not in got["msg"], "case %d: %r not in %r" % (i, words, got["msg"])
        assert not got.get("changed"), "case %d changed something: %s" % (i, got)


# ---- LXD and Incus ---------------------------------------------------------------------------------------
def lxd_client(daemon):
    from ansible_collections.workstation.vms.plugins.module_utils.lxd import LxdClient
    if not os.path.exists(SOCKETS[daemon]):
        pytest.skip("%s is not running on this host" % daemon)
    return LxdClient(socket=SOCKETS[daemon])


def lxd_cases(daemon, name, workdir):
    cert = os.path.join(workdir, "client.crt")
    base = {"name": name, "image": IMAGE, "state": "stopped", "socket": SOCKETS[daemon]}
    url = "https://127.0.0.1:%d" % free_port()
    missing = os.path.join(workdir, "missing.pem")
    cases = [
        (dict(base, memory="999999T"), "memory: 999999TiB is more than 16TiB"),
        (dict(base, disk="999999T"), "disk: 999999TiB is more than 1024TiB"),
        (dict(base, disk="0"), "disk: 0B is too small"),
        (dict(base, wait_timeout=-5), "wait_timeout: must be 1 or more"),
        (dict(base, wait_timeout=0), "wait_timeout: must be 1 or more"),
        (dict(base, ports=[{"host": 18080, "guest": 80, "bogus": 1}]), "ports[0]: unknown key 'bogus'"),
        (dict(base, mounts=[{"source": workdir, "path": "/x", "bogus": 1}]), "bogus"),
        (dict(base, image={"alias": IMAGE, "fingerprnt": "x"}), "image: unknown key 'fingerprnt'"),
        (dict(base, project="nosuch-" + RUN), "project: no project 'nosuch-%s' on the server" % RUN),
    ]
    tasks = [({"workstation.vms.lxd_instance": args}, words) for args, words in cases]
    if daemon == "lxd":   # the HTTPS cases: one daemon is enough (the client is the same)
        https = {"name": name, "image": IMAGE, "state": "stopped", "url": url, "verify": False}
        tasks += [
            ({"workstation.vms.lxd_instance": https}, "url: cannot reach %s" % url),
            ({"workstation.vms.lxd_instance": dict(https, client_cert=missing, client_key=cert)},
             "client_cert: file '%s' does not exist" % missing),
            ({"workstation.vms.lxd_instance": dict(https, server_cert=missing)},
             "server_cert: file '%s' does not exist" % missing),
            ({"workstation.vms.lxd_snapshot": {"instance": name, "name": "s1", "url": url, "verify": False}},
             "url: cannot reach %s" % url),
            ({"workstation.vms.lxd_snapshot": {"instance": name, "name": "s1", "url": url, "server_cert": missing}},
             "server_cert: file '%s' does not exist" % missing),
            ({"workstation.vms.guest": {"backend": "lxd", "name": name, "image": IMAGE, "memory": "999999T",
                                        "options": {"url": url, "verify": False}}}, "memory: 999999TiB"),
        ]
    return tasks


@pytest.mark.parametrize("daemon", sorted(SOCKETS))
def test_lxd_bad_input_creates_nothing(daemon, workdir):
    client = lxd_client(daemon)
    with open(os.path.join(workdir, "client.crt"), "w") as handle:
        handle.write("placeholder: the case fails on the missing file first\n")
    name = "%s-%s" % (RUN, daemon)
    cases = lxd_cases(daemon, name, workdir)
    results, _out = playbook(workdir, "lxd-" + daemon, [task for task, _words in cases])
    check_cases(results, cases)
    assert client.instance(name) is None
    assert not [i["name"] for i in client.instances(all_projects=True) if i["name"].startswith(RUN + "-" + daemon)]


SECRET_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA%s\n-----END OPENSSH PRIVATE KEY-----\n"


def secret_user_data(marker):
    return {"write_files": [{"path": "/root/.ssh/id_planted", "permissions": "0600",
                             "content": SECRET_KEY % marker}]}


def assert_no_secret(output, marker):
    hits = [line for line in output.splitlines() if marker in line]
    assert not hits, "the planted secret is in the output:\n%s" % "\n".join(hits)


def test_lxd_user_data_never_in_the_output_at_vvv(workdir):
    client = lxd_client("lxd")
    name, marker = "%s-sec" % RUN, "PLANTED%s" % uuid.uuid4().hex
    task = {"name": "lxd_instance", "socket": SOCKETS["lxd"], "image": IMAGE, "state": "stopped",
            "cloud_init": secret_user_data(marker)}
    try:
        results, output = playbook(workdir, "lxd-secret", [
            {"workstation.vms.lxd_instance": dict(task, name=name)},
            {"workstation.vms.lxd_instance": dict(task, name=name, labels={"changed": "yes"})},
            {"workstation.vms.guest": {"backend": "lxd", "name": name + "g", "image": IMAGE, "state": "stopped",
                                       "cloud_init": secret_user_data(marker),
                                       "options": {"socket": SOCKETS["lxd"]}}},
        ], verbosity=3)
        assert all(not results[str(i)].get("failed") for i in range(3)), output
        assert client.instance(name)["config"]["cloud-init.user-data"].count(marker) == 1   # it did reach LXD
        assert_no_secret(output, marker)
        assert_no_secret(json.dumps(results), marker)
    finally:
        for each in (name, name + "g"):
            if client.instance(each) is not None:
                client.delete(each)
    assert client.instance(name) is None and client.instance(name + "g") is None


# ---- Multipass (the fake) --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def multipass(workdir):
    if not os.path.exists(FAKE):
        pytest.skip("the fake multipass CLI is missing")
    env = dict(os.environ, MULTIPASS_FAKE_STATE=os.path.join(workdir, "multipass-state"),
               MULTIPASS_SERVER_ADDRESS="unix:" + os.path.join(workdir, "multipass_socket"))
    run([FAKE_DAEMON, "start"], env=env)
    yield env
    run([FAKE_DAEMON, "stop"], env=env, check=False)


def multipass_names(env):
    listed = json.loads(run([FAKE, "list", "--format", "json"], env=env).stdout)
    return sorted(item["name"] for item in listed.get("list") or [])


def test_multipass_bad_input_creates_nothing(workdir, multipass):
    name = "%s-mp" % RUN
    corrupt = os.path.join(workdir, "corrupt-labels.json")
    with open(corrupt, "w") as handle:
        handle.write("{not json")
    base = {"name": name, "executable": FAKE, "label_store": os.path.join(workdir, "labels.json")}
    cases = [
        (dict(base, memory="999999T"), "memory: 999999TiB is more than 16TiB"),
        (dict(base, memory="1000G"), "(the RAM of this host)"),
        (dict(base, memory="64M"), "memory: 64MiB is too small; give at least 128MiB"),
        (dict(base, disk="0"), "disk: 0B is too small"),
        (dict(base, disk="999999T"), "disk: 999999TiB is more than 1024TiB"),
        (dict(base, wait_timeout=-1), "wait_timeout: must be 1 or more"),
        (dict(base, networks=[{"name": "eth1", "bogus": 1}]), "bogus"),
        (dict(base, label_store=corrupt, labels={"role": "db"}), "label_store: %s is not valid JSON" % corrupt),
    ]
    results, _out = playbook(workdir, "multipass", [{"workstation.vms.multipass_instance": args}
                                                    for args, _words in cases], env=multipass)
    check_cases(results, cases)
    assert name not in multipass_names(multipass)
    with open(corrupt) as handle:
        assert handle.read() == "{not json"   # the user's file is left as it was
    assert not os.path.exists(base["label_store"])


def test_multipass_user_data_never_in_the_output_at_vvv(workdir, multipass):
    name, marker = "%s-mpsec" % RUN, "PLANTED%s" % uuid.uuid4().hex
    task = {"name": name, "executable": FAKE, "label_store": os.path.join(workdir, "labels-sec.json"),
            "cloud_init": secret_user_data(marker)}
    try:
        results, output = playbook(workdir, "multipass-secret", [
            {"workstation.vms.multipass_instance": task},
            {"workstation.vms.multipass_instance": dict(task, labels={"changed": "yes"})},
        ], verbosity=3, env=multipass)
        assert not results["0"].get("failed") and not results["1"].get("failed"), output
        planted = os.path.join(multipass["MULTIPASS_FAKE_STATE"], "instances", name, "rootfs", "root", ".ssh",
                               "id_planted")
        with open(planted) as handle:   # it did reach the instance
            assert marker in handle.read()
        assert_no_secret(output, marker)
        assert_no_secret(json.dumps(results), marker)
        assert oct(os.stat(task["label_store"]).st_mode & 0o777) == "0o600"
    finally:
        run([FAKE, "delete", "--purge", name], env=multipass, check=False)
    assert name not in multipass_names(multipass)


# ---- the inventory plugin ----------------------------------------------------------------------------------
@pytest.mark.parametrize("config, words", [
    ("backends: {lxd: {socket: %s}}\nfilterz: {}\n" % SOCKETS["lxd"], "unknown option 'filterz'"),
    ("backends: {lxd: {url: 'https://127.0.0.1:%d', verify: false}}\nstrict: true\n" % free_port(),
     "url: cannot reach https://127.0.0.1:"),
    ("backends: {lxd: {url: 'https://127.0.0.1:8443', server_cert: /nonexistent/server.crt}}\nstrict: true\n",
     "server_cert: file '/nonexistent/server.crt' does not exist"),
])
def test_inventory_refuses_bad_config(workdir, config, words):
    path = os.path.join(workdir, "bad.guests.yml")
    with open(path, "w") as handle:
        handle.write("plugin: workstation.vms.guests\n" + config)
    result = run(["ansible-inventory", "-i", path, "--list"], check=False,
                 env=dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_FAILED="true"))
    assert result.returncode != 0 and words in result.stdout, result.stdout
    assert "Traceback" not in result.stdout


# ---- libvirt (qemu_vm): validation before anything is defined, and the image cache; nothing boots ---------------
URI = "qemu:///system"


@pytest.fixture(scope="module")
def image_server(workdir):
    """A 1 MiB raw "image" over HTTP (never booted: the VMs here are only defined, or refused)."""
    root = os.path.join(workdir, "www")
    os.makedirs(root)
    data = os.urandom(1024 * 1024)
    with open(os.path.join(root, "tiny.img"), "wb") as handle:
        handle.write(data)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(http.server.SimpleHTTPRequestHandler, directory=root))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield dict(url="http://127.0.0.1:%d/tiny.img" % server.server_port,
               checksum="sha256:" + hashlib.sha256(data).hexdigest())
    server.shutdown()


@pytest.fixture(scope="module")
def libvirt_conn():
    libvirt = pytest.importorskip("libvirt")
    try:
        conn = libvirt.open(URI)
    except libvirt.libvirtError as exc:
        pytest.skip("libvirt is not running here: %s" % exc)
    yield conn
    conn.close()


def defined(conn, name):
    return name in [dom.name() for dom in conn.listAllDomains()]


def test_qemu_vm_bad_input_defines_nothing(workdir, libvirt_conn, image_server):
    name, pool = "%s-qvm" % RUN, os.path.join(workdir, "pool")
    base = {"name": name, "image": image_server["url"], "checksum": image_server["checksum"], "state": "present",
            "pool_dir": pool, "cache_dir": os.path.join(workdir, "cache-bad"), "accel": "tcg", "uri": URI}
    cases = [
        (dict(base, network="bridge:nobr%s" % RUN[3:]), "network: host bridge 'nobr%s' does not exist" % RUN[3:]),
        (dict(base, network="nonet-" + RUN), "network: libvirt network 'nonet-%s' does not exist" % RUN),
        (dict(base, memory="1000G"), "(the RAM of the libvirt host)"),
        (dict(base, memory="999999T"), "memory: 999999TiB is more than 16TiB"),
        (dict(base, disk="0"), "disk: 0B is too small"),
        (dict(base, network="user", port_forwards=[{"host_port": 2222, "guest_port": 22, "bogus": 1}]), "bogus"),
        (dict(base, wait_timeout=0), "wait_timeout: must be 1 or more"),
    ]
    results, _out = playbook(workdir, "qemu-bad", [{"workstation.vms.qemu_vm": args} for args, _words in cases])
    check_cases(results, cases)
    assert not defined(libvirt_conn, name) and not os.path.exists(pool)
    assert not os.path.exists(base["cache_dir"])   # refused before the download


def test_qemu_vm_truncated_cached_image_is_downloaded_again(workdir, libvirt_conn, image_server):
    cache, pool = os.path.join(workdir, "cache"), os.path.join(workdir, "pool-cache")
    task = {"image": image_server["url"], "checksum": image_server["checksum"], "state": "present",
            "pool_dir": pool, "cache_dir": cache, "accel": "tcg", "uri": URI}
    names = ["%s-qc1" % RUN, "%s-qc2" % RUN]
    try:
        first, _out = playbook(workdir, "qemu-cache1", [{"workstation.vms.qemu_vm": dict(task, name=names[0])}])
        assert first["0"]["actions"][0] == "download image", first
        cached = [os.path.join(d, f) for d, _dirs, files in os.walk(cache) for f in files if f == "tiny.img"]
        assert len(cached) == 1
        with open(cached[0], "r+b") as handle:
            handle.truncate(4096)
        second, _out = playbook(workdir, "qemu-cache2", [{"workstation.vms.qemu_vm": dict(task, name=names[1])}])
        assert not second["0"].get("failed") and second["0"]["actions"][0] == "download image", second
        assert os.path.getsize(cached[0]) == 1024 * 1024
        leftovers = [f for _d, _dirs, files in os.walk(cache) for f in files if f.startswith(".") or f.endswith(".lock")]
        assert leftovers == []
    finally:
        playbook(workdir, "qemu-cache-rm", [{"workstation.vms.qemu_vm": dict(task, name=n, state="absent")}
                                            for n in names])
    assert not any(defined(libvirt_conn, n) for n in names)
