# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Aliases, the primary instance, blueprint launches and driver scopes of the fake, each as the real Multipass
does it (tests/fakes/SPEC-ADDITIONS.md 9-12 name the files read)."""

from __future__ import annotations

import json
import os
import subprocess

from multipass_expected import FAKE  # pylint: disable=import-error


def aliases(mp):
    return json.loads(mp("aliases", "--format", "json")[1])


def test_alias_dictionary_scripts_and_purge(mp, tmp_path):
    """tests/cli/cli_alias_test.py (the JSON, verbatim shape), alias_dict.cpp, platform_linux.cpp
    create_alias_script, create_alias.cpp (path message on the first alias)."""
    assert mp("launch", "--name", "dev")[0] == 0
    rc, out, err = mp("alias", "dev:whoami", "wai", real=True)
    assert (rc, err) == (0, "")
    folder = tmp_path / "client-data" / "multipass" / "bin"
    assert out == ("You'll need to add this to your shell configuration (.bashrc, .zshrc or so) for\n"
                   "aliases to work without prefixing with `multipass`:\n\nPATH=\"$PATH:%s\"\n" % folder)
    assert aliases(mp) == {"active-context": "default", "contexts": {"default": {
        "wai": {"command": "whoami", "instance": "dev", "working-directory": "map"}}}}
    stored = tmp_path / "client-config" / "multipass" / "multipass_aliases.json"
    assert json.loads(stored.read_text()) == aliases(mp)
    for script in ("wai", "default.wai"):
        assert (folder / script).read_text() == '#!/bin/sh\n\n"%s" %s -- "${@}"\n' % (os.path.realpath(FAKE), script)
        assert os.access(str(folder / script), os.X_OK)
    assert mp("alias", "dev:ls", "wai") == (1, "", "Alias 'wai' already exists in current context\n")
    assert mp("alias", "dev:ls", "list") == (1, "", "Alias name 'list' clashes with a command name\n")
    assert mp("alias", "nope:ls") == (1, "", "Error retrieving list of instances\n")
    assert mp("alias", ":ls")[2] == "No instance name given\n"
    assert mp("alias", "dev:")[2] == "No command given\n"
    assert mp("alias", "-n", "dev:/usr/bin/id")[0] == 0
    assert aliases(mp)["contexts"]["default"]["id"]["working-directory"] == "default"
    assert mp("unalias", "nope", "gone") == (1, "", "Nonexistent aliases: nope, gone.\n")
    assert mp("unalias", "id") == (0, "", "")
    assert not (folder / "id").exists()
    assert mp("delete", "--purge", "dev")[0] == 0
    assert aliases(mp) == {"active-context": "default", "contexts": {"default": {}}}
    assert not (folder / "wai").exists() and not (folder / "default.wai").exists()


def test_an_alias_runs_its_command_in_the_instance(mp, tmp_path):
    """argparser.cpp: an alias is run as `exec <instance> -- <command> <args>`; the script passes `--` first."""
    assert mp("launch", "--name", "dev")[0] == 0
    assert mp("alias", "dev:echo", "say", real=True)[0] == 0
    script = tmp_path / "client-data" / "multipass" / "bin" / "say"
    proc = subprocess.run([str(script), "hello", "world"], capture_output=True, text=True, check=False,
                          env=dict(os.environ, PATH="/usr/bin:/bin"))
    assert (proc.returncode, proc.stdout) == (0, "hello world\n")
    assert mp("nosuch", real=True) == (1, 'Error: Unknown command or alias \'nosuch\' (try "multipass help" or '
                                          '"multipass aliases")\n', "")


def test_contexts_and_prefer(mp):
    """cli_alias_test.py test_create_alias_in_another_context: aliases per context, `context.alias` names."""
    assert mp("launch", "--name", "dev")[0] == 0
    assert mp("prefer", "foo")[0] == 0
    assert mp("alias", "dev:whoami", "wai")[0] == 0
    assert mp("prefer", "bar")[0] == 0
    assert mp("alias", "dev:sudo", "si", "--no-map-working-directory")[0] == 0
    assert aliases(mp) == {"active-context": "bar", "contexts": {
        "bar": {"si": {"command": "sudo", "instance": "dev", "working-directory": "default"}},
        "foo": {"wai": {"command": "whoami", "instance": "dev", "working-directory": "map"}}}}
    assert mp("unalias", "si")[0] == 0
    assert mp("unalias", "foo.wai")[0] == 0
    assert aliases(mp) == {"active-context": "bar", "contexts": {"bar": {}}}


def test_shell_makes_the_primary_instance_with_the_home_mounted(mp, tmp_path, monkeypatch):
    """shell.cpp: no name = client.primary-name; missing, the client runs `launch --name primary`; launch.cpp
    mounts the home directory at `Home` (constants.h home_automount_dir) in the primary instance."""
    home = tmp_path / "home"
    (home / "notes").mkdir(parents=True)
    (home / "notes" / "todo").write_text("water the plants\n")
    monkeypatch.setenv("HOME", str(home))
    proc = subprocess.run([FAKE, "shell"], input="cat Home/notes/todo\nhostname -s >/dev/null; echo $PWD\n",
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Launched: primary\n" in proc.stdout
    assert "Mounted '%s' into 'primary:Home'\n" % home in proc.stdout
    assert proc.stdout.endswith("water the plants\n/home/ubuntu\n")
    info = json.loads(mp("info", "primary", "--format", "json")[1])["info"]["primary"]
    assert info["mounts"]["Home"]["source_path"] == str(home)
    assert mp("set", "client.primary-name=dev")[0] == 0
    rc, out, _err = mp("launch", "--name", "dev")
    assert rc == 0 and "Mounted '%s' into 'dev:Home'\n" % home in out
    assert mp("launch", "--name", "other")[1].endswith("Launched: other\n")


def test_a_blueprint_launch_brings_its_defaults_aliases_and_workspace(mp, tmp_path, monkeypatch):
    """default_vm_blueprint_provider.cpp (limits as defaults, aliases, workspace), launch.cpp on_success (aliases
    in the instance's context, then `Mounted '<home>/multipass/<name>' into '<name>:<name>'`, then `Launched:`),
    multipass-blueprints v1/docker.yaml (2 CPUs, 4G, 40G, docker and docker-compose aliases)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    rc, out, err = mp("launch", "docker", "--name", "box")
    assert rc == 0
    assert err.startswith("*** Warning! Blueprints are deprecated and will be removed in a future release. ***\n")
    workspace = tmp_path / "home" / "multipass" / "box"
    assert out.index("Mounted '%s' into 'box:box'\n" % workspace) < out.index("Launched: box\n")
    shown = [mp("get", "local.box.%s" % key)[1] for key in ("cpus", "memory", "disk")]
    assert shown == ["2\n", "4.0GiB\n", "40.0GiB\n"]
    assert aliases(mp)["contexts"]["box"] == {
        "docker": {"command": "docker", "instance": "box", "working-directory": "map"},
        "docker-compose": {"command": "docker-compose", "instance": "box", "working-directory": "map"}}
    assert mp("launch", "docker", "--name", "small", "--cpus", "1", "--memory", "2G")[0] == 0
    assert mp("get", "local.small.cpus")[1] == "1\n"


def test_each_driver_keeps_its_own_instances(mp):
    """The daemon reads its instance records from the driver's own data directory: after `set local.driver=lxd`
    the list is empty; switching back shows the qemu instances again."""
    assert mp("launch", "--name", "q1")[0] == 0
    assert mp("set", "local.driver=lxd")[0] == 0
    assert json.loads(mp("list", "--format", "json")[1]) == {"list": []}
    assert mp("launch", "--name", "q1")[0] == 0
    assert mp("exec", "q1", "--", "true")[0] == 0
    assert mp("set", "local.driver=qemu")[0] == 0
    assert [i["name"] for i in json.loads(mp("list", "--format", "json")[1])["list"]] == ["q1"]
    assert mp("delete", "--purge", "q1")[0] == 0
    assert mp("set", "local.driver=lxd")[0] == 0
    assert [i["name"] for i in json.loads(mp("list", "--format", "json")[1])["list"]] == ["q1"]
