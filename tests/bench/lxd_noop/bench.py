# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A play converging N existing running containers (a loop, state started, no change): workstation.vms.lxd_instance
(project venv) against community.general.lxd_container (anchors' venv), same daemon, interleaved repetitions,
each minus a loop of N `ping` in the same venv; API requests per instance counted by a proxy socket.

Usage: python bench.py --ours-venv V --anchor-venv V --collections DIR [--count 20] [--reps 5] [--keep]"""

from __future__ import annotations

import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import benchlib  # noqa: E402  pylint: disable=wrong-import-position

PREFIX = "lxdi-bench-"
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


def write(work, name, task, count, extra=""):
    path = os.path.join(work, name + ".yml")
    with open(path, "w") as handle:
        handle.write(PLAY % {"names": json.dumps(benchlib.names(PREFIX, count)), "task": task % {"extra": extra}})
    return path


def main():
    opts = benchlib.options(__doc__, count=20)
    benchlib.ensure_containers(PREFIX, opts.count, ("limits.cpu=1", "limits.memory=128MiB"))
    try:
        with tempfile.TemporaryDirectory(prefix="lxdi-bench-") as work:
            run(opts, work)
    finally:
        if not opts.keep:
            benchlib.delete_containers(PREFIX)


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
    cases = [(key, cmd[venv] + inv + [plays[play]], run_env) for key, (venv, play, run_env) in runs.items()]

    def converged(key, out):
        if not key.endswith("_ping") and "CHANGED 0" not in out:
            sys.exit("%s changed something: the containers were not converged already\n%s" % (key, out))
    started_load = benchlib.gate("lxd_noop")
    times = benchlib.interleaved(cases, opts.reps, warmup=1, check=converged)
    med = benchlib.medians(times)
    ours_cost, anchor_cost = med["ours"] - med["ours_ping"], med["anchor"] - med["anchor_ping"]

    # API requests per instance, through a counting proxy (not timed)
    proxy = benchlib.CountingProxy(os.path.join(work, "count.socket"))
    proxy.start()
    calls = {}
    for key, venv, task, extra, run_env in (
            ("ours", "ours", OURS, "        socket: %s\n" % proxy.path, env),
            ("anchor", "anchor", THEIRS, "        url: unix:%s\n" % proxy.path, anchor_env)):
        seen = proxy.during(cmd[venv] + inv + [write(work, key + "_count", task, opts.count, extra)], run_env, work)
        calls[key] = {"per_instance": len(seen) / float(opts.count),
                      "requests": sorted({"%s %s" % (m, p.split("?")[0]) for m, p in seen})}
    proxy.close()
    figures = {"containers": opts.count, "repetitions": opts.reps,
               "median_s": {k: round(v, 3) for k, v in med.items()},
               "all_s": {k: [round(x, 3) for x in v] for k, v in times.items()},
               "ours_minus_ping_s": round(ours_cost, 3), "anchor_minus_ping_s": round(anchor_cost, 3),
               "ours_per_item_over_ping_s": round(ours_cost / opts.count, 4),
               "ratio_ours_over_anchor": benchlib.ratio(ours_cost, anchor_cost), "api_calls": calls}
    benchlib.report("lxd_noop", figures, started_load, [
        "%d running containers converged (no-op), median of %d: ours %.2fs, community.general %.2fs over their "
        "ping loops (%.2fs / %.2fs): ratio %s (goal <= 0.5); ours %.1f ms per item over ping"
        % (opts.count, opts.reps, ours_cost, anchor_cost, med["ours_ping"], med["anchor_ping"],
           figures["ratio_ours_over_anchor"], 1000 * ours_cost / opts.count),
        "API requests per instance: ours %.1f, anchor %.1f"
        % (calls["ours"]["per_instance"], calls["anchor"]["per_instance"]),
    ])


if __name__ == "__main__":
    main()
