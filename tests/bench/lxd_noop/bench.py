# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A play converging N existing running containers (a loop, state started, no change): workstation.vms.lxd_instance
(project venv) against community.general.lxd_container (anchors' venv), same daemon, interleaved repetitions,
each minus a loop of N `ping` in the same venv; API requests per instance counted by a proxy socket.

Usage: python bench.py --ours-venv V --anchor-venv V --collections DIR [--count 20] [--reps 3] [--keep]"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = "lxdi-bench-"
# The counting proxy, `sh` and `timed` of the inventory benchmark (one copy in the tree).
_SPEC = importlib.util.spec_from_file_location("inventory_bench", os.path.join(HERE, "..", "inventory", "bench.py"))
common = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(common)

PLAY = """- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    names: %(names)s
  tasks:
%(task)s
"""
PING = """    - ansible.builtin.ping:
      loop: "{{ names }}"
"""
OURS = """    - workstation.vms.lxd_instance:
        name: "{{ item }}"
        image: debian/12
        cpus: 1
        memory: 128MiB
        state: started
%(extra)s      loop: "{{ names }}"
      register: out
    - ansible.builtin.debug:
        msg: "CALLS {{ out.results | map(attribute='api_calls') | sum }} CHANGED {{ out.results | select('changed') | list | length }}"
"""
THEIRS = """    - community.general.lxd_container:
        name: "{{ item }}"
        source: {type: image, alias: debian/12}
        config: {limits.cpu: "1", limits.memory: 128MiB}
        ignore_volatile_options: true
        state: started
%(extra)s      loop: "{{ names }}"
      register: out
    - ansible.builtin.debug:
        msg: "CHANGED {{ out.results | select('changed') | list | length }}"
"""


def names(count):
    return ["%s%02d" % (PREFIX, i) for i in range(count)]


def create(count):
    existing = set(common.sh(["lxc", "list", PREFIX, "--format", "csv", "-c", "n"]).stdout.split())
    todo = [n for n in names(count) if n not in existing]
    started = time.monotonic()
    procs = []
    for name in todo:
        args = ["lxc", "launch", "debian/12", name, "-c", "limits.cpu=1", "-c", "limits.memory=128MiB"]
        procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        if len(procs) >= 4:
            common.wait(procs.pop(0))
    for proc in procs:
        common.wait(proc)
    stopped = [row.split(",")[0] for row in common.sh(["lxc", "list", PREFIX, "--format", "csv", "-c", "ns"]).stdout.split()
               if row.endswith(",STOPPED")]
    if stopped:
        common.sh(["lxc", "start"] + stopped)
    took = time.monotonic() - started
    print("created %d containers (%d already there) in %.0fs" % (len(todo), count - len(todo), took))


def delete():
    mine = [n for n in common.sh(["lxc", "list", PREFIX, "--format", "csv", "-c", "n"]).stdout.split()
            if n.startswith(PREFIX)]
    if mine:
        common.sh(["lxc", "stop", "--force"] + mine, check=False)
        common.sh(["lxc", "delete", "--force"] + mine, check=False)
    print("deleted %d containers" % len(mine))


def write(work, name, task, count, extra=""):
    path = os.path.join(work, name + ".yml")
    with open(path, "w") as handle:
        handle.write(PLAY % {"names": json.dumps(names(count)), "task": task % {"extra": extra}})
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours-venv", required=True)
    parser.add_argument("--anchor-venv", required=True)
    parser.add_argument("--collections", required=True)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    opts = parser.parse_args()
    create(opts.count)
    try:
        with tempfile.TemporaryDirectory(prefix="lxdi-bench-") as work:
            run(opts, work)
    finally:
        if not opts.keep:
            delete()


def run(opts, work):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=opts.collections, ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_CONFIG=os.path.join(work, "ansible.cfg"))
    with open(env["ANSIBLE_CONFIG"], "w") as handle:
        handle.write("[defaults]\ninterpreter_python = auto_silent\n")
    anchor_env = dict(env)
    anchor_env.pop("ANSIBLE_COLLECTIONS_PATH")   # community.general comes with the `ansible` package
    cmd = {"ours": [os.path.join(opts.ours_venv, "bin", "ansible-playbook")],
           "anchor": [os.path.join(opts.anchor_venv, "bin", "ansible-playbook")]}
    plays = {"ours": write(work, "ours", OURS, opts.count), "anchor": write(work, "anchor", THEIRS, opts.count),
             "ping": write(work, "ping", PING, opts.count)}
    inv = ["-i", "localhost,", "-c", "local"]
    runs = {"ours": ("ours", "ours", env), "anchor": ("anchor", "anchor", anchor_env),
            "ours_ping": ("ours", "ping", env), "anchor_ping": ("anchor", "ping", anchor_env)}
    times = {k: [] for k in runs}
    for rep in range(opts.reps + 1):   # the first round warms caches and is not counted
        for key, (venv, play, run_env) in runs.items():
            took, out = common.timed(cmd[venv] + inv + [plays[play]], run_env, work)
            if play != "ping" and "CHANGED 0" not in out.decode():
                sys.exit("%s changed something: the containers were not converged already\n%s" % (key, out.decode()))
            if rep:
                times[key].append(took)
    med = {k: statistics.median(v) for k, v in times.items()}
    ours_cost, anchor_cost = med["ours"] - med["ours_ping"], med["anchor"] - med["anchor_ping"]

    # API requests per instance, through a counting proxy (not timed)
    proxy_path = os.path.join(work, "count.socket")
    proxy = common.CountingProxy(proxy_path)
    proxy.start()
    calls = {}
    for key, venv, task, extra, run_env in (
            ("ours", "ours", OURS, "        socket: %s\n" % proxy_path, env),
            ("anchor", "anchor", THEIRS, "        url: unix:%s\n" % proxy_path, anchor_env)):
        before = len(proxy.requests)
        common.timed(cmd[venv] + inv + [write(work, key + "_count", task, opts.count, extra)], run_env, work)
        seen = proxy.requests[before:]
        calls[key] = {"per_instance": len(seen) / float(opts.count), "requests": sorted(set(seen))}
    proxy.server.close()
    report = {"containers": opts.count, "repetitions": opts.reps,
              "median_s": {k: round(v, 2) for k, v in med.items()},
              "ours_minus_ping_s": round(ours_cost, 2), "anchor_minus_ping_s": round(anchor_cost, 2),
              "ratio_ours_over_anchor": round(ours_cost / anchor_cost, 2) if anchor_cost > 0 else None,
              "api_calls": calls}
    print(json.dumps(report, indent=2))
    print("lxd_noop: %d containers, ours %.2fs, community.general %.2fs (minus ping loops %.2fs / %.2fs): "
          "ratio %s (goal <= 0.8); API requests per instance %.1f vs %.1f"
          % (opts.count, ours_cost, anchor_cost, med["ours_ping"], med["anchor_ping"],
             report["ratio_ours_over_anchor"], calls["ours"]["per_instance"], calls["anchor"]["per_instance"]))


if __name__ == "__main__":
    main()
