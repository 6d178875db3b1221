# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`ansible-inventory --list` over N LXD containers (for each N of --counts): workstation.vms.guests (project venv;
the default leases listing, and backends.lxd.full_state: true) against community.general.lxd (anchors' venv),
same daemon, same run, interleaved repetitions; a one-host static inventory in each venv (Ansible's own
start-up) is subtracted. The floor: the very API requests our listing makes (recorded through a counting proxy
socket), replayed alone over one connection, timed the same way.

Usage: python bench.py --ours-venv V --anchor-venv V --collections DIR [--counts 50,200] [--reps 5] [--keep]"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import benchlib  # noqa: E402  pylint: disable=wrong-import-position

PREFIX = "inv-bench-"
LABELS = (lambda i: "user.label.role=%s" % ("web" if i % 2 else "db"), "user.label.bench=yes")


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("lxd")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)


def floor(requests, reps):
    """Median seconds of the recorded GETs replayed in order over one unix-socket connection."""
    times = []
    for _rep in range(reps + 1):
        started = time.monotonic()
        conn = UnixHTTP(benchlib.LXD_SOCKET)
        for method, path in requests:
            conn.request(method, path, headers={"Host": "lxd"})
            conn.getresponse().read()
        conn.close()
        times.append(time.monotonic() - started)
    return statistics.median(times[1:])


def configs(work, socket_path):
    paths = {}
    for name, text in (
            ("ours", "plugin: workstation.vms.guests\nbackends:\n  lxd: {socket: %s}\nfilters: {state: all}\n"),
            ("ours_full_state", "plugin: workstation.vms.guests\nbackends:\n  lxd: {socket: %s, full_state: true}\n"
                                "filters: {state: all}\n"),
            ("anchor", "plugin: community.general.lxd\nurl: unix:%s\ntype_filter: both\n")):   # every state
        paths[name] = os.path.join(work, "%s.%s" % (name, "guests.yml" if name.startswith("ours") else "lxd.yml"))
        with open(paths[name], "w") as handle:
            handle.write(text % socket_path)
    return paths


def bench(opts, work, count):
    started_load = benchlib.gate("inventory_%d" % count)
    static = os.path.join(work, "static.ini")
    with open(static, "w") as handle:
        handle.write("localhost ansible_connection=local\n")
    base = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    base["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "True"
    ours_env = dict(base, ANSIBLE_COLLECTIONS_PATH=opts.collections,
                    ANSIBLE_INVENTORY_ENABLED="workstation.vms.guests,ini")
    anchor_env = dict(base, ANSIBLE_INVENTORY_ENABLED="community.general.lxd,ini")
    inv = {"ours": os.path.join(opts.ours_venv, "bin", "ansible-inventory"),
           "anchor": os.path.join(opts.anchor_venv, "bin", "ansible-inventory")}
    cfg = configs(work, benchlib.LXD_SOCKET)
    cases = [
        ("ours", [inv["ours"], "-i", cfg["ours"], "--list"], ours_env),
        ("ours_full_state", [inv["ours"], "-i", cfg["ours_full_state"], "--list"], ours_env),
        ("anchor", [inv["anchor"], "-i", cfg["anchor"], "--list"], anchor_env),
        ("ours_static", [inv["ours"], "-i", static, "--list"], ours_env),
        ("anchor_static", [inv["anchor"], "-i", static, "--list"], anchor_env),
    ]
    # every listing shows every container (and ours the same host variables either way)
    listed = {}
    for name, args, env in cases[:3]:
        data = json.loads(benchlib.timed(args, env, work, tries=2)[1])
        listed[name] = {h: v for h, v in data.get("_meta", {}).get("hostvars", {}).items() if h.startswith(PREFIX)}
        if len(listed[name]) != count:
            sys.exit("%s lists %d of our %d containers" % (name, len(listed[name]), count))
    if listed["ours"] != listed["ours_full_state"]:
        sys.exit("the leases listing and the full-state listing differ")
    times = benchlib.interleaved(cases, opts.reps, warmup=0, tries=2)
    med = benchlib.medians(times)

    # the requests of one listing, through a counting proxy (not timed), then replayed alone: the floor
    proxy = benchlib.CountingProxy(os.path.join(work, "count-%d.socket" % count))
    proxy.start()
    pcfg = configs(os.path.join(work), proxy.path)
    requests = {name: proxy.during([inv[name.split("_", maxsplit=1)[0]], "-i", pcfg[name], "--list"], env, work)
                for name, env in (("ours", ours_env), ("ours_full_state", ours_env), ("anchor", anchor_env))}
    proxy.close()
    floor_s = floor(requests["ours"], opts.reps)

    net = {name: med[name] - med[("anchor" if name == "anchor" else "ours") + "_static"]
           for name in ("ours", "ours_full_state", "anchor")}
    kinds = {name: sorted(set(re.sub(r"/1\.0/(instances|networks)/[^/?]+", r"/1.0/\1/<name>", p.split("?")[0])
                              for _m, p in seen)) for name, seen in requests.items()}
    figures = {
        "containers": count, "repetitions": opts.reps,
        "median_s": {k: round(v, 3) for k, v in med.items()},
        "all_s": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "minus_startup_s": {k: round(v, 3) for k, v in net.items()},
        "ratio_ours_over_anchor_minus_startup": benchlib.ratio(net["ours"], net["anchor"]),
        "ratio_full_state_over_anchor_minus_startup": benchlib.ratio(net["ours_full_state"], net["anchor"]),
        "floor_s": round(floor_s, 4), "floor_requests": ["%s %s" % r for r in requests["ours"]],
        "ours_over_floor_s": round(net["ours"] - floor_s, 3),
        "ratio_ours_over_floor": benchlib.ratio(net["ours"], floor_s),
        "api_requests_per_listing": {k: len(v) for k, v in requests.items()},
        "api_request_kinds": kinds,
    }
    return benchlib.report("inventory_%d" % count, figures, started_load, [
        "ansible-inventory --list over %d LXD containers, median of %d: ours %.3fs (full_state %.3fs), "
        "community.general.lxd %.3fs; start-up (one-host static): %.3fs / %.3fs"
        % (count, opts.reps, med["ours"], med["ours_full_state"], med["anchor"], med["ours_static"],
           med["anchor_static"]),
        "minus start-up: ours %.3fs, full_state %.3fs, anchor %.3fs: ratio ours/anchor %s (goal <= 0.05)"
        % (net["ours"], net["ours_full_state"], net["anchor"], figures["ratio_ours_over_anchor_minus_startup"]),
        "floor (ours' %d API requests replayed alone): %.4fs; ours costs %.3fs over it: %s x the floor (goal <= 3)"
        % (len(requests["ours"]), floor_s, figures["ours_over_floor_s"], figures["ratio_ours_over_floor"]),
        "API requests per listing: ours %d, full_state %d, anchor %d"
        % tuple(len(requests[k]) for k in ("ours", "ours_full_state", "anchor")),
    ])


def main():
    opts = benchlib.options(__doc__, counts="50,200")
    counts = sorted(int(c) for c in opts.counts.split(","))
    work = tempfile.mkdtemp(prefix="inv-bench-")
    results = []
    try:
        for count in counts:
            benchlib.ensure_containers(PREFIX, count, LABELS, addresses=True)
            results.append(bench(opts, work, count))
        if len(results) > 1:
            small, large = results[0], results[-1]
            growth = benchlib.ratio(large["minus_startup_s"]["ours"], small["minus_startup_s"]["ours"])
            print("inventory: ours' cost minus start-up grows %sx from %d to %d containers (goal < 2)"
                  % (growth, small["containers"], large["containers"]))
    finally:
        if not opts.keep:
            benchlib.delete_containers(PREFIX)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
