# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every EXAMPLES block of the modules and every ```yaml snippet in docs/ that is a task list or a play: accepted by
`ansible-playbook --syntax-check`, and every task of one of our modules valid against that module's argument spec
(unknown options, wrong types, broken constraints fail). The spec is the one the module really builds: its main()
runs with AnsibleModule's constructor intercepted, so however the module assembles its spec, that is what is checked.
A chosen set runs for real: every example of every module, adapted only where it names things of the reader's own
(names, host paths, a download URL), on the LXD and libvirt daemons and the fake Multipass; the libvirt examples
define VMs without booting them (see test_libvirt_examples_run)."""

from __future__ import annotations

import copy
import functools
import glob
import hashlib
import http.server
import importlib
import os
import re
import subprocess
import sys
import threading
import uuid
from unittest import mock

import pytest
import yaml
from ansible.module_utils import basic
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
import multipassd_fake  # noqa: E402  pylint: disable=wrong-import-position,import-error
PREFIX = "workstation.vms."
MODULES = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")))
# a snippet is a play when its first item has one of these keys
PLAY_KEYS = {"hosts", "import_playbook"}
CONSTRAINTS = ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")


class Captured(Exception):
    """Raised by the intercepted AnsibleModule constructor, carrying what the module passed to it."""


def module_of(name):
    return importlib.import_module("ansible_collections.workstation.vms.plugins.modules." + name)


@functools.lru_cache(maxsize=None)
def spec_of(name):
    """(argument_spec, constraints) as the module's main() passes them to AnsibleModule, built once per module."""
    def capture(self, argument_spec, **kwargs):
        raise Captured(argument_spec, {k: v for k, v in kwargs.items() if k in CONSTRAINTS})

    with mock.patch.object(basic.AnsibleModule, "__init__", capture), pytest.raises(Captured) as caught:
        module_of(name).main()
    return caught.value.args


def snippets():
    """(source, yaml text) of every EXAMPLES block and every ```yaml block of docs/*.md."""
    found = [("plugins/modules/%s.py EXAMPLES" % m, module_of(m).EXAMPLES) for m in MODULES]
    for md in sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))):
        with open(md) as handle:
            text = handle.read()
        for match in re.finditer(r"^```ya?ml\n(.*?)^```", text, re.S | re.M):
            line = text.count("\n", 0, match.start()) + 1
            found.append(("docs/%s:%d" % (os.path.basename(md), line), match.group(1)))
    return found


def classify(data):
    """'play', 'tasks' or None (inventory configs, variables, role argument files: not runnable on their own)."""
    if not isinstance(data, list) or not data or not all(isinstance(i, dict) for i in data):
        return None
    if PLAY_KEYS & set(data[0]):
        return "play"
    if any(k.startswith(PREFIX) or k.startswith("ansible.builtin.") or k in ("block", "include_role", "import_role")
           for item in data for k in item):
        return "tasks"
    return None


CASES = [(source, text) for source, text in snippets() if classify(yaml.safe_load(text))]


def our_tasks(tasks):
    for task in tasks or []:
        for key in ("block", "rescue", "always"):
            yield from our_tasks(task.get(key))
        for key, args in task.items():
            if key.startswith(PREFIX) and key[len(PREFIX):] in MODULES:
                yield key[len(PREFIX):], args


def users_roles(plays):
    """Roles a snippet names that are neither the collection's nor the repository's test roles."""
    known = {os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "roles", "*"))
             + glob.glob(os.path.join(ROOT, "tests", "sample_roles", "*"))}
    names = set()
    for play in plays:
        for role in play.get("roles") or []:
            names.add(role if isinstance(role, str) else role.get("role") or role.get("name"))
    return sorted(n for n in names if n and not n.startswith(PREFIX) and n not in known)


def templated(value):
    return isinstance(value, str) and "{{" in value


def spec_errors(module, args):
    spec, constraints = spec_of(module)
    unknown = sorted(set(args) - set(spec) - {a for o in spec.values() for a in o.get("aliases", [])})
    if unknown:
        return ["unknown option(s) %s (the module has: %s)" % (", ".join(unknown), ", ".join(sorted(spec)))]
    # a templated value has no type until run time: checked for its name above, left out of the type checks
    concrete = {k: v for k, v in args.items() if not templated(v)}
    left_out = set(args) - set(concrete)
    errors = ArgumentSpecValidator(copy.deepcopy(spec), **constraints).validate(concrete).error_messages
    return [e for e in errors if not any(k in e for k in left_out)]


@pytest.mark.parametrize("source, text", CASES, ids=[c[0] for c in CASES])
def test_example_is_valid(source, text, tmp_path):
    data = yaml.safe_load(text)
    kind = classify(data)
    plays = data if kind == "play" else [{"name": source, "hosts": "localhost", "gather_facts": False, "tasks": data}]
    errors = []
    for play in plays:
        for module, args in our_tasks(play.get("tasks", []) + play.get("pre_tasks", []) + play.get("post_tasks", [])):
            errors += ["%s: %s" % (module, e) for e in spec_errors(module, args or {})]
    assert not errors, "\n".join(errors)
    # a guide's stand-in for the reader's own role (`myrole`) gets an empty role beside the playbook
    for role in users_roles(plays):
        (tmp_path / "roles" / role / "tasks").mkdir(parents=True)
        (tmp_path / "roles" / role / "tasks" / "main.yml").write_text("[]\n")
    playbook = tmp_path / "example.yml"
    playbook.write_text(yaml.safe_dump(plays))
    proc = subprocess.run(["ansible-playbook", "--syntax-check", "-i", "localhost,", str(playbook)],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_every_module_has_examples_that_are_checked():
    checked = {case[0].split("/")[-1].split(".py")[0] for case in CASES if case[0].startswith("plugins/modules/")}
    assert checked == set(MODULES)


def test_a_wrong_option_or_type_is_caught():
    # the checker itself: a renamed option and a wrong type are errors
    assert spec_errors("lxd_instance", {"name": "x", "imagee": "debian/12"})
    assert spec_errors("lxd_instance", {"name": "x", "cpus": "four"})
    assert not spec_errors("lxd_instance", {"name": "x", "cpus": "{{ n }}"})


def run_tasks(tmp_path, tasks, env=None):
    playbook = tmp_path / "run.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks,
                                         "vars": {"ansible_connection": "local",
                                                  "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}]))
    return subprocess.run(["ansible-playbook", "-i", "localhost,", str(playbook)], capture_output=True, text=True,
                          check=False, cwd=ROOT, env=env)


def examples_of(module):
    return yaml.safe_load(module_of(module).EXAMPLES)


def args_of(task):
    return next(v for k, v in task.items() if k.startswith(PREFIX))


def renamed(tasks, names):
    """The tasks with the instance names of the examples (name:, instance:) replaced by this test's own."""
    for task in tasks:
        args = args_of(task)
        for key in ("name", "instance"):
            if args.get(key) in names:
                args[key] = names[args[key]]
    return tasks


def test_lxd_examples_run(tmp_path):
    """guest's LXD examples create the container and change it, then lxd_instance's third example and every
    lxd_snapshot example act on it and lxd_instance's last deletes it, in order on the real LXD daemon (lxd_instance's
    first two examples need a remote image server and a remote LXD: not here)."""
    name = "ex-%s" % uuid.uuid4().hex[:8]
    names = {"dev": name}
    guest = renamed(examples_of("guest"), names)
    instance = renamed(examples_of("lxd_instance"), names)[2:]
    snapshot = renamed(examples_of("lxd_snapshot"), names)
    try:
        proc = run_tasks(tmp_path, guest[:2] + instance[:1] + snapshot + instance[1:])
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        assert "failed=0" in proc.stdout
    finally:
        subprocess.run(["lxc", "delete", "--force", name], capture_output=True, check=False)
    assert subprocess.run(["lxc", "info", name], capture_output=True, check=False).returncode != 0, "left behind"


@pytest.fixture
def http_dir(tmp_path):
    """(directory, base URL) of a local HTTP server: the stand-in for a download site these machines cannot reach."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def virsh(*args):
    return subprocess.run(["virsh", "-c", "qemu:///system"] + list(args), capture_output=True, text=True, check=False)


def test_libvirt_examples_run(tmp_path, http_dir):
    """Every qemu_vm example, then every qemu_snapshot example on the first one's VM, on the real libvirt daemon.
    No VM boots (CI has no time for one): each example that would start its VM gets state: stopped, so qemu_vm
    downloads, verifies, makes the overlay and the seed, and defines the domain; qemu_snapshot then takes and restores
    a disk snapshot of the shut-off domain. Their running-VM halves (wait_for ssh, the memory checkpoint reverted
    live) run in the qemu_vm and snapshots scenarios, which boot VMs anyway. Adapted: names, host paths, the download
    URL (a local HTTP server with an image of this test) and its checksum, the pool and cache dirs (this test's)."""
    prefix = "ex-%s-" % uuid.uuid4().hex[:6]
    names = {n: prefix + n for n in ("dev", "dev1", "web1", "wg1")}
    names["dev"] = names["dev1"]
    www, url = http_dir
    small = www / "small.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(small), "64M"], check=True)
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / ".ssh" / "id_ed25519")],
                   check=True)
    images = "/var/cache/workstation-vms/images/current/vm/"
    local = {"/home/me/src": tmp_path / "src", "/srv/wg1/wireguard": tmp_path / "wg1" / "wireguard",
             "/srv/images/base.qcow2": images + "base.qcow2"}
    for path in local.values():
        if not str(path).startswith(images):
            path.mkdir(parents=True)
    vms = renamed(examples_of("qemu_vm"), names)
    for task in vms:
        args = args_of(task)
        args.setdefault("state", "stopped")
        args.update(pool_dir=str(tmp_path / "pool"), cache_dir=str(tmp_path / "cache"))
        if args.get("image", "").startswith("https://"):
            args["image"] = url + "/small.qcow2"
            args["checksum"] = "sha512:" + hashlib.sha512(small.read_bytes()).hexdigest()
        args["image"] = str(local.get(args.get("image"), args.get("image")))
        for mount in args.get("mounts", []):
            mount["source"] = str(local[mount["source"]])
    snapshots = renamed(examples_of("qemu_snapshot"), names)
    domains = sorted(set(names.values()))
    try:
        proc = run_tasks(tmp_path, vms + snapshots, env=dict(os.environ, HOME=str(home)))
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        # the last qemu_vm example removed wg1; dev1 and web1 are defined, shut off, with their files
        for vm in ("dev1", "web1"):
            assert virsh("domstate", names[vm]).stdout.strip() == "shut off", vm
            assert (tmp_path / "pool" / names[vm]).is_dir(), vm
        assert virsh("dominfo", names["wg1"]).returncode != 0, "wg1 was removed by the last qemu_vm example"
        assert not (tmp_path / "pool" / names["wg1"]).exists()
        cached = [f for f in (tmp_path / "cache").rglob("*") if f.is_file() and f.read_bytes() == small.read_bytes()]
        assert cached, "web1's image was not downloaded into cache_dir"
        listed = virsh("snapshot-list", names["dev1"], "--name")
        assert listed.stdout.split() == ["before-upgrade"], listed.stdout + listed.stderr
    finally:
        cleanup = [{"workstation.vms.qemu_vm": {"name": d, "state": "absent", "pool_dir": str(tmp_path / "pool")}}
                   for d in domains]
        run_tasks(tmp_path, cleanup)
    for d in domains:
        assert virsh("dominfo", d).returncode != 0, "%s left behind" % d


def test_multipass_examples_run(tmp_path, monkeypatch):
    """Every multipass_instance and multipass_snapshot example, then every multipass_image_info example (the second
    launches an instance by what the first found) and guest's Multipass example (it deletes that instance), in order,
    against the fake Multipass CLI (tests/fakes/multipass; Multipass is snap-only and cannot run here), the host paths
    made under tmp_path."""
    home, data = tmp_path / "home", tmp_path / "data"
    (home / "src").mkdir(parents=True)
    data.mkdir()
    instance = examples_of("multipass_instance")
    for task in instance:
        for mount in task["workstation.vms.multipass_instance"].get("mounts", []):
            if mount["source"] == "/srv/data":
                mount["source"] = str(data)
    snapshot = examples_of("multipass_snapshot")
    image_info = examples_of("multipass_image_info")
    guest = examples_of("guest")[2:]
    # The fake's own daemon answers on a socket of this test, as multipassd does for the real client.
    fake = multipassd_fake.environment(str(tmp_path / "fake"))
    for key, value in fake.items():
        monkeypatch.setenv(key, value)
    env = dict(os.environ, HOME=str(home), PATH=os.path.join(ROOT, "tests", "fakes") + os.pathsep + os.environ["PATH"])
    with multipassd_fake.running():
        proc = run_tasks(tmp_path, instance[:-1] + snapshot + instance[-1:] + image_info + guest, env=env)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        listed = subprocess.run(["multipass", "list", "--format", "json"], capture_output=True, text=True, env=env,
                                check=True)
    assert "failed=0" in proc.stdout
    names = sorted(entry["name"] for entry in yaml.safe_load(listed.stdout)["list"])
    # guest's last example deletes dev; the blueprint example's box is deleted by no example
    assert names == ["box"], names
