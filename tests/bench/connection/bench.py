# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A play of 10 tasks (command, stat, copy, slurp, file, ...) on 4 running LXD containers through the
workstation.vms.lxd connection (project venv) against community.general.lxd (anchors' venv), and the same play on
4 `local` hosts in each venv (Ansible's own per-task cost, subtracted): interleaved repetitions, cost per task
(one task on one host) over local.

Usage: python bench.py --ours-venv V --anchor-venv V --collections DIR [--count 4] [--reps 5] [--keep]"""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import benchlib  # noqa: E402  pylint: disable=wrong-import-position

PREFIX = "conn-bench-"
TASKS = 10
PLAY = """- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.command: "true"
      changed_when: false
    - ansible.builtin.stat: {path: /etc/os-release}
    - ansible.builtin.copy: {content: "bench\\n", dest: "/tmp/conn-bench-{{ inventory_hostname }}", mode: "0644"}
    - ansible.builtin.slurp: {src: "/tmp/conn-bench-{{ inventory_hostname }}"}
    - ansible.builtin.file: {path: "/tmp/conn-bench-{{ inventory_hostname }}", mode: "0600"}
    - ansible.builtin.command: "cat /etc/hostname"
      changed_when: false
    - ansible.builtin.lineinfile: {path: "/tmp/conn-bench-{{ inventory_hostname }}", line: "more"}
    - ansible.builtin.shell: "echo $HOME"
      changed_when: false
    - ansible.builtin.stat: {path: "/tmp/conn-bench-{{ inventory_hostname }}"}
    - ansible.builtin.file: {path: "/tmp/conn-bench-{{ inventory_hostname }}", state: absent}
"""


def inventories(work, containers):
    common = "ansible_python_interpreter=/usr/bin/python3"
    lines = {
        "ours": ["%s ansible_connection=workstation.vms.lxd ansible_lxd_instance=%s %s" % (n, n, common)
                 for n in containers],
        "anchor": ["%s ansible_connection=community.general.lxd ansible_host=%s %s" % (n, n, common)
                   for n in containers],
        "local": ["local-%d ansible_connection=local %s" % (i, common) for i in range(len(containers))],
    }
    paths = {}
    for name, hosts in lines.items():
        paths[name] = os.path.join(work, name + ".ini")
        with open(paths[name], "w") as handle:
            handle.write("\n".join(hosts) + "\n")
    return paths


def main():
    opts = benchlib.options(__doc__, count=4)
    containers = benchlib.ensure_containers(PREFIX, opts.count)
    try:
        with tempfile.TemporaryDirectory(prefix="conn-bench-") as work:
            run(opts, work, containers)
    finally:
        if not opts.keep:
            benchlib.delete_containers(PREFIX)


def run(opts, work, containers):
    play = os.path.join(work, "play.yml")
    with open(play, "w") as handle:
        handle.write(PLAY)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=opts.collections, ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_CONFIG=os.path.join(work, "ansible.cfg"))
    with open(env["ANSIBLE_CONFIG"], "w") as handle:
        handle.write("[defaults]\nforks = %d\n" % opts.count)
    anchor_env = dict(env)
    anchor_env.pop("ANSIBLE_COLLECTIONS_PATH")   # community.general comes with the `ansible` package
    inv = inventories(work, containers)
    ours_pb = os.path.join(opts.ours_venv, "bin", "ansible-playbook")
    anchor_pb = os.path.join(opts.anchor_venv, "bin", "ansible-playbook")
    cases = [("ours", [ours_pb, "-i", inv["ours"], play], env),
             ("anchor", [anchor_pb, "-i", inv["anchor"], play], anchor_env),
             ("ours_local", [ours_pb, "-i", inv["local"], play], env),
             ("anchor_local", [anchor_pb, "-i", inv["local"], play], anchor_env)]
    started_load = benchlib.gate("connection")
    # community.general.lxd's connection now and then reads an empty reply to Ansible's temp-dir command from
    # `lxc exec` (make bench, 2026-12-02): such a run is run again, and only the run that succeeds is timed
    times = benchlib.interleaved(cases, opts.reps, warmup=1, tries=2)
    med = benchlib.medians(times)
    per_task = {name: (med[name] - med[name + "_local"]) / (TASKS * opts.count) for name in ("ours", "anchor")}
    figures = {"guests": opts.count, "tasks": TASKS, "repetitions": opts.reps,
               "median_s": {k: round(v, 3) for k, v in med.items()},
               "all_s": {k: [round(x, 3) for x in v] for k, v in times.items()},
               "per_task_over_local_s": {k: round(v, 4) for k, v in per_task.items()},
               "ratio_ours_over_anchor_per_task": benchlib.ratio(per_task["ours"], per_task["anchor"])}
    benchlib.report("connection", figures, started_load, [
        "%d tasks on %d containers, median of %d: workstation.vms.lxd %.2fs, community.general.lxd %.2fs, local "
        "%.2fs / %.2fs" % (TASKS, opts.count, opts.reps, med["ours"], med["anchor"], med["ours_local"],
                           med["anchor_local"]),
        "per task over local: ours %.1f ms, anchor %.1f ms: ratio %s (goal <= 1)"
        % (1000 * per_task["ours"], 1000 * per_task["anchor"], figures["ratio_ours_over_anchor_per_task"]),
    ])


if __name__ == "__main__":
    main()
