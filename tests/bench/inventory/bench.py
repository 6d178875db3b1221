# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`ansible-inventory --list` over N LXD containers: workstation.vms.guests (project venv) against
community.general.lxd (anchors' venv), same daemon, same run, interleaved repetitions; plus a one-host static
inventory in each venv (Ansible's own start-up), and the API requests per listing counted by a proxy socket.

Usage: python bench.py --ours-venv V --anchor-venv V [--count 50] [--reps 5] [--keep]"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PREFIX = "inv-bench-"
LXD_SOCKET = "/var/lib/lxd/unix.socket"
REQUEST = re.compile(rb"(?:^|\r\n)(GET|POST|PUT|PATCH|DELETE) (/1\.0[^ ]*) HTTP/1\.[01]\r\n")


def sh(args, check=True, **kwargs):
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False, **kwargs)
    if check and result.returncode != 0:
        sys.exit("%s failed: %s%s" % (" ".join(args), result.stdout, result.stderr))
    return result


def names(count):
    return ["%s%02d" % (PREFIX, i) for i in range(count)]


def create(count):
    existing = set(sh(["lxc", "list", PREFIX, "--format", "csv", "-c", "n"]).stdout.split())
    todo = [n for n in names(count) if n not in existing]
    started = time.monotonic()
    # four at a time (ENVIRONMENT.md: 17 s for 20 containers), labels like real guests
    procs = []
    for index, name in enumerate(todo):
        args = ["lxc", "launch", "debian/12", name, "-c", "user.label.role=%s" % ("web" if index % 2 else "db"),
                "-c", "user.label.bench=yes"]
        procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        if len(procs) >= 4:
            wait(procs.pop(0))
    for proc in procs:
        wait(proc)
    # every container has its IPv4 (the anchor asks each one's state; both list the same data)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        rows = sh(["lxc", "list", PREFIX, "--format", "csv", "-c", "n4"]).stdout.splitlines()
        if len(rows) >= count and all(r.split(",", 1)[1].strip() for r in rows):
            break
        time.sleep(2)
    else:
        sys.exit("bench: timed out after 300 s waiting for %d containers %s* to have an IPv4 address" % (count, PREFIX))
    took = time.monotonic() - started
    print("created %d containers (%d already there) in %.0fs" % (len(todo), count - len(todo), took))


def wait(proc):
    _out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit("lxc launch failed: %s" % err.decode())


def delete(count):
    started = time.monotonic()
    mine = sh(["lxc", "list", PREFIX, "--format", "csv", "-c", "n"]).stdout.split()
    mine = [n for n in mine if n.startswith(PREFIX)]
    if mine:
        sh(["lxc", "stop", "--force"] + mine, check=False)   # stop all, then delete all: faster than delete -f
        sh(["lxc", "delete", "--force"] + mine)
    print("deleted %d containers in %.0fs" % (len(mine), time.monotonic() - started))


class CountingProxy(threading.Thread):
    """A unix socket in front of LXD's that counts the HTTP requests passing through."""

    def __init__(self, path, target=LXD_SOCKET):
        super().__init__(daemon=True)
        self.path, self.target, self.requests = path, target, []
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(path)
        self.server.listen(64)

    def run(self):
        while True:
            try:
                client = self.server.accept()[0]
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.target)
            threading.Thread(target=self.pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self.pipe, args=(upstream, client, False), daemon=True).start()

    def pipe(self, src, dst, count):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if count:
                    self.requests += [m.group(1).decode() + " " + m.group(2).decode().split("?")[0]
                                      for m in REQUEST.finditer(data)]
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def timed(args, env, cwd):
    started = time.monotonic()
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, check=False)
    took = time.monotonic() - started
    if result.returncode != 0:
        sys.exit("%s failed: %s" % (" ".join(args), result.stderr.decode()))
    return took, result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours-venv", required=True)
    parser.add_argument("--anchor-venv", required=True)
    parser.add_argument("--collections", required=True)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the containers for another run")
    opts = parser.parse_args()

    work = tempfile.mkdtemp(prefix="inv-bench-")
    try:
        create(opts.count)
        run(opts, work)
    finally:
        if not opts.keep:
            delete(opts.count)
        shutil.rmtree(work, ignore_errors=True)


def configs(work, socket_path):
    ours = os.path.join(work, "bench.guests.yml")
    with open(ours, "w") as handle:
        handle.write("plugin: workstation.vms.guests\nbackends:\n  lxd: {socket: %s}\nfilters: {state: all}\n"
                     % socket_path)
    anchor = os.path.join(work, "bench.lxd.yml")
    with open(anchor, "w") as handle:
        handle.write("plugin: community.general.lxd\nurl: unix:%s\ntype_filter: both\n" % socket_path)  # state: every
    return ours, anchor


def run(opts, work):
    static = os.path.join(work, "static.ini")
    with open(static, "w") as handle:
        handle.write("localhost ansible_connection=local\n")
    ours_cfg, anchor_cfg = configs(work, LXD_SOCKET)
    base = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    base["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "True"
    ours_env = dict(base, ANSIBLE_COLLECTIONS_PATH=opts.collections, ANSIBLE_INVENTORY_ENABLED="workstation.vms.guests,ini")
    anchor_env = dict(base, ANSIBLE_INVENTORY_ENABLED="community.general.lxd,ini")
    ours_inv = os.path.join(opts.ours_venv, "bin", "ansible-inventory")
    anchor_inv = os.path.join(opts.anchor_venv, "bin", "ansible-inventory")
    cases = [
        ("ours", [ours_inv, "-i", ours_cfg, "--list"], ours_env),
        ("anchor", [anchor_inv, "-i", anchor_cfg, "--list"], anchor_env),
        ("ours_static", [ours_inv, "-i", static, "--list"], ours_env),
        ("anchor_static", [anchor_inv, "-i", static, "--list"], anchor_env),
    ]
    # warm-up (page cache, .pyc) and a check that both list every container
    hosts = {}
    for name, args, env in cases[:2]:
        _took, out = timed(args, env, work)
        data = json.loads(out)
        hosts[name] = sorted(h for h in data.get("_meta", {}).get("hostvars", {}) if h.startswith(PREFIX))
        if len(hosts[name]) != opts.count:
            sys.exit("%s lists %d of our %d containers" % (name, len(hosts[name]), opts.count))
    times = {name: [] for name, _a, _e in cases}
    for _rep in range(opts.reps):  # interleaved, so drift on the shared machine hits all alike
        for name, args, env in cases:
            times[name].append(timed(args, env, work)[0])
    med = {name: statistics.median(values) for name, values in times.items()}

    # API requests per listing, counted through a proxy socket (not timed)
    calls = {}
    proxy_path = os.path.join(work, "count.socket")
    proxy = CountingProxy(proxy_path)
    proxy.start()
    ours_cfg_p, anchor_cfg_p = configs(os.path.join(work), proxy_path)
    for name, args, env in (("ours", [ours_inv, "-i", ours_cfg_p, "--list"], ours_env),
                            ("anchor", [anchor_inv, "-i", anchor_cfg_p, "--list"], anchor_env)):
        before = len(proxy.requests)
        # The proxy counts a request before it forwards it: all are counted once the listing has exited.
        timed(args, env, work)
        seen = proxy.requests[before:]
        kinds = {}
        for request in seen:
            key = re.sub(r"/1\.0/instances/[^/]+", "/1.0/instances/<name>", request)
            kinds[key] = kinds.get(key, 0) + 1
        calls[name] = (len(seen), kinds)
    proxy.server.close()

    ours_net, anchor_net = med["ours"] - med["ours_static"], med["anchor"] - med["anchor_static"]
    report = {
        "containers": opts.count, "repetitions": opts.reps,
        "median_s": {k: round(v, 3) for k, v in med.items()},
        "all_s": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "ratio_ours_over_anchor": round(med["ours"] / med["anchor"], 3),
        "ratio_without_startup": round(ours_net / anchor_net, 3) if anchor_net > 0 else None,
        "ours_minus_startup_s": round(ours_net, 3), "anchor_minus_startup_s": round(anchor_net, 3),
        "api_requests_per_listing": {k: v[0] for k, v in calls.items()},
        "api_requests_by_kind": {k: v[1] for k, v in calls.items()},
    }
    print(json.dumps(report, indent=2))
    print("ansible-inventory --list over %d LXD containers, median of %d: ours %.3fs, community.general.lxd %.3fs "
          "(ratio %.2f); static one-host start-up: ours' venv %.3fs, anchor's venv %.3fs; without start-up: ours "
          "%.3fs, anchor %.3fs (ratio %s); API requests per listing: ours %d, anchor %d"
          % (opts.count, opts.reps, med["ours"], med["anchor"], report["ratio_ours_over_anchor"], med["ours_static"],
             med["anchor_static"], ours_net, anchor_net, report["ratio_without_startup"], calls["ours"][0],
             calls["anchor"][0]))


if __name__ == "__main__":
    main()
