# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every benchmark shares: commands, timing, interleaved repetitions, the load gate, the counting proxy
socket, LXD container sets, and the JSON figures under .build/bench/.

The load gate: a figure taken while the 1-minute load average is above MAX_LOAD measures the other users of the
machine as much as our code. A benchmark then refuses to start, unless BENCH_FORCE=1, which runs it and marks
every report `"quiet": false` and prints NOT QUIET next to each figure."""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, ".build", "bench")
LXD_SOCKET = "/var/lib/lxd/unix.socket"
MAX_LOAD = 2.0
REQUEST = re.compile(rb"(?:^|\r\n)(GET|POST|PUT|PATCH|DELETE) (/1\.0[^ ]*) HTTP/1\.[01]\r\n")


def sh(args, check=True, **kwargs):
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False, **kwargs)
    if check and result.returncode != 0:
        sys.exit("%s failed: %s%s" % (" ".join(args), result.stdout, result.stderr))
    return result


def timed(args, env=None, cwd=None, tries=1):
    """(seconds, stdout) of one successful run. With tries > 1 a failed run is run again (and that run timed):
    on a daemon shared with other users, an instance deleted while an anchor lists it fails that listing."""
    for attempt in range(1, tries + 1):
        started = time.monotonic()
        result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, check=False)
        took = time.monotonic() - started
        if result.returncode == 0:
            return took, result.stdout
        failure = "%s failed: %s%s" % (" ".join(args), result.stdout.decode()[-3000:], result.stderr.decode()[-3000:])
        if attempt < tries:
            print("bench: run %d of %d failed, trying again: %s" % (attempt, tries, failure[-300:]), file=sys.stderr)
    sys.exit(failure)


def load():
    return [round(x, 2) for x in os.getloadavg()]


def gate(name):
    """Wait for a quiet machine, then refuse to measure on a busy one (unless BENCH_FORCE=1); returns the load seen.

    A bench's own setup (launching 50 or 200 containers) drives the 1-minute average far above MAX_LOAD, and the
    average decays over minutes once the launches are done: wait for it, up to BENCH_SETTLE seconds (default 900)."""
    seen = load()
    deadline = time.monotonic() + float(os.environ.get("BENCH_SETTLE", "900"))
    if seen[0] > MAX_LOAD and os.environ.get("BENCH_FORCE") != "1":
        print("%s: waiting for the load average %s to fall to %s" % (name, seen, MAX_LOAD), flush=True)
        while seen[0] > MAX_LOAD and time.monotonic() < deadline:
            time.sleep(10)
            seen = load()
        print("%s: load average %s" % (name, seen), flush=True)
    if seen[0] > MAX_LOAD:
        if os.environ.get("BENCH_FORCE") != "1":
            sys.exit("%s: load average %s is above %s: the figures would measure the other users of this machine. "
                     "Wait for a quiet machine, or BENCH_FORCE=1 to run anyway (figures marked NOT QUIET)"
                     % (name, seen, MAX_LOAD))
        print("!" * 100 + "\n!!! %s: load average %s > %s: NOT QUIET, these figures show direction only\n" % (
            name, seen, MAX_LOAD) + "!" * 100, file=sys.stderr, flush=True)
    return seen


def options(doc, **sizes):
    """The command line every bench takes (both venvs, the collection path, --reps, --keep) plus its sizes,
    e.g. count=20 gives --count N (an int)."""
    import argparse  # pylint: disable=import-outside-toplevel
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--ours-venv", required=True)
    parser.add_argument("--anchor-venv", required=True)
    parser.add_argument("--collections", required=True)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the containers for another run")
    for name, default in sizes.items():
        parser.add_argument("--" + name, type=type(default), default=default)
    return parser.parse_args()


def interleaved(cases, reps, warmup=1, check=None, tries=1):
    """Run each (name, args, env) of `cases` in turn, `reps` rounds after `warmup` uncounted ones, so drift on a
    shared machine hits all alike; returns {name: [seconds, ...]}. check(name, stdout) may reject an output."""
    times = {name: [] for name, _args, _env in cases}
    for rep in range(warmup + reps):
        for name, args, env in cases:
            took, out = timed(args, env, tries=tries)
            if check:
                check(name, out.decode())
            if rep >= warmup:
                times[name].append(took)
    return times


def medians(times):
    return {name: statistics.median(values) for name, values in times.items()}


def ratio(a, b):
    return round(a / b, 3) if b > 0 else None


def report(name, figures, started_load, lines):
    """Write .build/bench/<name>.json and print the summary lines (marked NOT QUIET when the load was high)."""
    ended = load()
    quiet = max(started_load[0], ended[0]) <= MAX_LOAD
    figures = dict(figures, bench=name, load_start=started_load, load_end=ended, quiet=quiet,
                   commit=sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], check=False).stdout.strip(),
                   date=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as handle:
        json.dump(figures, handle, indent=2, sort_keys=True)
    mark = "" if quiet else "  [NOT QUIET: load %s -> %s, direction only]" % (started_load, ended)
    for line in lines:
        print("%s: %s%s" % (name, line, mark))
    print("%s: figures in %s" % (name, os.path.relpath(path, ROOT)))
    return figures


# ---- LXD container sets -------------------------------------------------------------------------------
def wait(proc):
    _out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit("lxc launch failed: %s" % err.decode())


def names(prefix, count):
    return ["%s%02d" % (prefix, i) for i in range(count)]


def ensure_containers(prefix, count, config=(), addresses=False):
    """Containers <prefix>00.. running (debian/12), four launches at a time; with `addresses`, poll until each
    has its IPv4. Extra ones of an earlier, larger run are deleted so that exactly `count` exist."""
    existing = set(lxc_names(prefix))
    wanted = names(prefix, count)
    extra = sorted(existing - set(wanted))
    if extra:
        delete_containers(prefix, only=extra)
    started = time.monotonic()
    procs = []
    for index, name in enumerate(n for n in wanted if n not in existing):
        args = ["lxc", "launch", "debian/12", name]
        for item in config:
            args += ["-c", item(index) if callable(item) else item]
        procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        if len(procs) >= 4:
            wait(procs.pop(0))
    for proc in procs:
        wait(proc)
    stopped = [row.split(",")[0] for row in sh(["lxc", "list", prefix, "--format", "csv", "-c", "ns"]).stdout.split()
               if row.endswith(",STOPPED") and row.startswith(prefix)]
    if stopped:
        sh(["lxc", "start"] + stopped)
    deadline = time.monotonic() + 300
    while addresses:
        rows = [r for r in sh(["lxc", "list", prefix, "--format", "csv", "-c", "n4"]).stdout.splitlines()
                if r.startswith(prefix)]
        if len(rows) >= count and all(r.split(",", 1)[1].strip() for r in rows):
            break
        if time.monotonic() > deadline:
            sys.exit("bench: timed out after 300 s waiting for %d containers %s* to have an IPv4 address"
                     % (count, prefix))
        time.sleep(2)
    took = time.monotonic() - started
    print("%d containers %s* ready (%d already there) in %.0fs" % (count, prefix, len(existing & set(wanted)), took),
          flush=True)
    return wanted


def lxc_names(prefix):
    return [n for n in sh(["lxc", "list", prefix, "--format", "csv", "-c", "n"]).stdout.split() if n.startswith(prefix)]


def delete_containers(prefix, only=None):
    mine = only if only is not None else lxc_names(prefix)
    if mine:
        sh(["lxc", "stop", "--force"] + mine, check=False)   # stop all, then delete all: faster than delete -f
        sh(["lxc", "delete", "--force"] + mine, check=False)
    print("deleted %d containers %s*" % (len(mine), prefix), flush=True)


class CountingProxy(threading.Thread):
    """A unix socket in front of LXD's that records the HTTP requests passing through (method and path with
    its query, in order)."""

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
                    self.requests += [(m.group(1).decode(), m.group(2).decode()) for m in REQUEST.finditer(data)]
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def during(self, args, env=None, cwd=None):
        """The requests one command makes through the proxy (counted before they are forwarded, so all are in
        once it has exited)."""
        before = len(self.requests)
        timed(args, env, cwd, tries=2)
        return self.requests[before:]

    def close(self):
        self.server.close()
