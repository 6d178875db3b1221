# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""MultipassCli: every talk with the `multipass` CLI (1.16.x; 1.17/main differences handled), and the label store.

Usable without an AnsibleModule: `run` defaults to a subprocess runner returning (rc, stdout, stderr); modules pass
a wrapper around module.run_command. Never a shell."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile

from ansible_collections.workstation.vms.plugins.module_utils.common import InputError, instance_result

BACKEND = "multipass"
PRIMARY_KEY = "client.primary-name"
PRIMARY_HOME = "Home"   # where `multipass launch` mounts the home directory in the primary instance (constants.h)
# The client's command names (1.16): an alias may not be called like one of them (alias.cpp findCommand).
COMMAND_NAMES = frozenset(
    "alias aliases authenticate clone connect copy-files delete exec find get help info launch list ls mount "
    "networks prefer purge recover restart restore set sh shell snapshot start stop suspend transfer umount "
    "unalias unmount version".split())
DEFAULT_LABEL_STORE = "~/.local/share/workstation.vms/multipass/labels.json"
HOME_IN_INSTANCE = "/home/ubuntu"
DAEMON_HINT = ("Start multipassd (the snap: `sudo snap start multipass`), or point "
               "MULTIPASS_SERVER_ADDRESS at the address it listens on, and run the task again.")
NAME_RE = re.compile(r"^([a-zA-Z]|[a-zA-Z][a-zA-Z0-9\-]*[a-zA-Z0-9])$")
MAP_RE = re.compile(r"^[0-9]+:[0-9]+$")
_HUMAN_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB|K|M|G)?\s*$", re.IGNORECASE)
_FACTORS = {"": 1, "b": 1, "k": 1024, "kib": 1024, "m": 1024 ** 2, "mib": 1024 ** 2, "g": 1024 ** 3, "gib": 1024 ** 3}

# Multipass states (format_utils.cpp status_string_for) -> the lower-case words of the common result.
STATES = {
    "Running": "running", "Stopped": "stopped", "Deleted": "deleted", "Starting": "starting",
    "Restarting": "restarting", "Delayed Shutdown": "running", "Suspending": "suspending",
    "Suspended": "suspended", "Unavailable": "unavailable", "Unknown": "unknown",
}

# What each driver cannot do (Multipass "Driver" docs; the daemon answers "The <feature> feature is not
# implemented on this backend."). Drivers not listed are not restricted here.
DRIVER_LACKS = {
    "libvirt": {"native mounts": "mount type native", "networks": "extra networks (networks, bridged)",
                "snapshots": "snapshots"},
    "lxd": {"suspend": "state suspended", "snapshots": "snapshots"},
}


class MultipassError(Exception):
    """A failed `multipass` command; `rc`, `stderr`, `command` and a readable message."""

    def __init__(self, message, rc=None, stdout="", stderr="", command=None):
        super().__init__(message)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.command = command or []


class DaemonUnreachable(MultipassError):
    """multipassd cannot be reached: rc 3 (gRPC UNAVAILABLE) or rc 2 with the unix-socket probe's message."""


class NotFound(MultipassError):
    """The instance does not exist."""


class Timeout(MultipassError):
    """A --timeout expired (rc 5)."""


class DriverLacks(MultipassError):
    """The selected driver lacks a feature the task asks for."""


def subprocess_runner(args, data=None):
    """Run argv without a shell; return (rc, stdout, stderr) as text."""
    try:
        proc = subprocess.run(args, input=data, capture_output=True, text=True, check=False)
    except OSError as exc:
        return 127, "", "%s: %s" % (args[0], exc.strerror or exc)
    return proc.returncode, proc.stdout, proc.stderr


def module_runner(module):
    """A `run` callable around AnsibleModule.run_command (argv list, never a shell)."""
    def run(args, data=None):
        try:
            return module.run_command(args, data=data, binary_data=True, check_rc=False, handle_exceptions=False,
                                      environ_update={"LC_ALL": "C"})
        except OSError as exc:
            return 127, "", "%s: %s" % (args[0], exc.strerror or exc)
    return run


def strip_spinner(text):
    """Remove the spinner frames Multipass writes to stdout even when it is not a TTY."""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "\n", text or "")
    return "\n".join(line for line in text.splitlines()
                     if line.strip() and not re.match(r"^[|/\-\\] ", line)).strip()


def to_multipass_size(size):
    """Bytes -> the shortest spelling Multipass's MemorySize accepts (binary units K/M/G or plain bytes)."""
    if size is None:
        return None
    for suffix, factor in (("G", 1024 ** 3), ("M", 1024 ** 2), ("K", 1024)):
        if size and size % factor == 0:
            return "%d%s" % (size // factor, suffix)
    return "%d" % size


def parse_human_size(text):
    """`multipass get local.<i>.memory` prints MemorySize::human_readable(), e.g. "1.0GiB": (bytes, precision unit)."""
    match = _HUMAN_RE.match(text or "")
    if not match:
        return None, None
    factor = _FACTORS[(match.group(2) or "").lower()]
    decimals = len(match.group(1).partition(".")[2])
    return int(float(match.group(1)) * factor), factor / float(10 ** decimals)


def same_size(shown, wanted):
    """True when `wanted` bytes would be shown as `shown` (human_readable() is rounded)."""
    current, step = parse_human_size(shown)
    if current is None:
        return False
    return abs(current - wanted) <= step / 2.0 + 1


def state_word(status):
    return STATES.get(status, (status or "unknown").lower())


def validate_name(name):
    if not name or not NAME_RE.match(name):
        raise InputError("name: '%s' is not a valid Multipass instance name: letters, digits and hyphens, starting "
                         "with a letter and ending with a letter or digit" % name)
    return name


def mount_maps(values, option):
    result = []
    for value in values or []:
        text = str(value)
        if not MAP_RE.match(text):
            raise InputError("%s: '%s' must be <host id>:<instance id>, e.g. 1000:1000" % (option, text))
        result.append(text)
    return result


def cloud_init_dir():
    """Where the temporary user-data file goes: the snap's own user dir when Multipass is the snap (a confined
    client cannot read the host's /tmp or hidden dirs), else the system temp dir."""
    snap_dir = os.path.expanduser("~/snap/multipass/common")
    return snap_dir if os.path.isdir(snap_dir) else None


def write_user_data(text):
    """Write user-data to a 0600 temp file and return its path; the caller removes it."""
    handle, path = tempfile.mkstemp(prefix="workstation-vms-", suffix=".yaml", dir=cloud_init_dir())
    try:
        os.fchmod(handle, 0o600)
        os.write(handle, text.encode("utf-8"))
    finally:
        os.close(handle)
    return path


class LabelStore:
    """Labels, mount types (which Multipass does not report) and the user-data digest of each instance, per driver,
    in one JSON file (0600). Each Multipass driver has its own instances (`multipass set local.driver=...` shows
    another set), so an entry belongs to the driver the instance was made with:

        {"version": 2, "drivers": {"<driver>": {"<name>": {"labels": {...}, "mount_types": {"<path>": "native"}}}}}

    A version 1 file ({"version": 1, "instances": {...}}, written before entries were kept per driver) is read as
    the entries of the driver in use; the next write stores it in the version 2 layout under that driver.
    `driver` is the driver's name or a callable returning it, asked only when the file has entries."""

    VERSION = 2

    def __init__(self, path=None, driver=None):
        self.path = os.path.expanduser(path or DEFAULT_LABEL_STORE)
        self.driver = driver

    def current_driver(self):
        driver = self.driver() if callable(self.driver) else self.driver
        if not driver:
            raise MultipassError("label_store: the Multipass driver is not known (multipass get local.driver)")
        return driver

    def read_file(self):
        """The file as it is (checked), {} when it does not exist yet."""
        try:
            with open(self.path) as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return {}
        except (IOError, OSError) as exc:
            raise MultipassError("label_store: cannot read %s: %s" % (self.path, exc))
        except ValueError as exc:
            raise MultipassError("label_store: %s is not valid JSON (%s); repair it or move it away (it holds only "
                                 "labels and mount types, which the next run writes again)" % (self.path, exc))
        if isinstance(data, dict) and isinstance(data.get("version"), int) and data["version"] > self.VERSION:
            raise MultipassError("label_store: %s is version %s, written by a newer workstation.vms; upgrade the "
                                 "collection or use another label_store" % (self.path, data["version"]))
        if not self.well_formed(data):
            raise MultipassError("label_store: %s is not a label store (%s); repair it or move it away"
                                 % (self.path, 'want {"version": 2, "drivers": {DRIVER: {NAME: {...}}}}'))
        return data

    @staticmethod
    def well_formed(data):
        """{name: entry} dicts, one per driver (version 2) or one for all (version 1)."""
        if not isinstance(data, dict):
            return False
        scopes = data["drivers"] if "drivers" in data else {"": data.get("instances", {})}
        return isinstance(scopes, dict) and all(
            isinstance(entries, dict) and all(isinstance(entry, dict) for entry in entries.values())
            for entries in scopes.values())

    def load(self):
        """The whole store in the version 2 layout; a version 1 file's entries go to the driver in use."""
        data = self.read_file()
        if "drivers" in data:
            return {"version": self.VERSION, "drivers": data["drivers"]}
        legacy = data.get("instances") or {}
        return {"version": self.VERSION, "drivers": {self.current_driver(): legacy} if legacy else {}}

    def entries(self):
        """{name: entry} of the driver in use (the driver is not asked when the store is empty)."""
        drivers = self.load()["drivers"]
        return dict(drivers.get(self.current_driver()) or {}) if drivers else {}

    def entry(self, name):
        return self.entries().get(name) or {}

    def labels(self, name):
        return dict(self.entry(name).get("labels") or {})

    def update(self, name, **values):
        """Set keys of an instance's entry; a value of None removes the key; an empty entry is dropped."""
        data = self.load()
        entries = data["drivers"].setdefault(self.current_driver(), {})
        entry = dict(entries.get(name) or {})
        for key, value in values.items():
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
        if entry:
            entries[name] = entry
        else:
            entries.pop(name, None)
        self.save(data)

    def forget(self, name):
        data = self.load()
        entries = data["drivers"].get(self.current_driver()) if data["drivers"] else None
        if entries and name in entries:
            del entries[name]
            self.save(data)

    def save(self, data):
        """Atomically, 0600; drivers left without entries are dropped."""
        data = dict(data, drivers={driver: entries for driver, entries in data["drivers"].items() if entries})
        directory = os.path.dirname(self.path)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        handle, tmp = tempfile.mkstemp(prefix=".labels-", dir=directory)
        try:
            os.fchmod(handle, 0o600)
            os.write(handle, json.dumps(data, indent=2, sort_keys=True).encode("utf-8"))
        finally:
            os.close(handle)
        os.replace(tmp, self.path)


class MultipassCli:
    """The `multipass` command line: JSON output parsed, errors mapped to MultipassError subclasses."""

    def __init__(self, executable="multipass", run=None, label_store=None):
        self.executable = executable or "multipass"
        self.run = run or subprocess_runner
        # entries are kept per driver: the store asks this CLI's driver (once per run) when it needs it
        self.store = label_store if isinstance(label_store, LabelStore) else LabelStore(label_store, self.driver)
        self._driver = None

    # -- plumbing

    def call(self, *args, **kwargs):
        """Run `multipass <args>`; return stdout, raise MultipassError on a non-zero rc (unless ok_rcs has it)."""
        data = kwargs.get("data")
        argv = [self.executable] + [str(a) for a in args]
        rc, out, err = self.run(argv, data=data)
        if rc in kwargs.get("ok_rcs", (0,)):
            return out
        raise self.error(argv, rc, out, err)

    @staticmethod
    def error(argv, rc, out, err):
        text = (err or "").strip() or strip_spinner(out)
        what = argv[1] if len(argv) > 1 else ""
        if rc == 127 and not out:
            return MultipassError("cannot run %s: %s. Install Multipass or set the executable option"
                                  % (argv[0], text), rc, out, err, argv)
        if rc == 3 or "cannot connect to the multipass socket" in text or "multipass socket access denied" in text:
            return DaemonUnreachable("the Multipass daemon is not reachable (`multipass %s` exited %s): %s\n%s"
                                     % (what, rc, text, DAEMON_HINT), rc, out, err, argv)
        if rc == 5:
            return Timeout("`multipass %s` timed out: %s" % (what, text), rc, out, err, argv)
        if "does not exist" in text and rc == 2:
            return NotFound(text, rc, out, err, argv)
        if "Caught an unhandled exception: " in text:
            text = text.split("Caught an unhandled exception: ", 1)[1]
        return MultipassError("`multipass %s` failed (rc %s): %s" % (what, rc, text), rc, out, err, argv)

    def json(self, *args):
        out = self.call(*(args + ("--format", "json")))
        try:
            return json.loads(out[out.index("{"):] if "{" in out else out)
        except ValueError as exc:
            raise MultipassError("`multipass %s` did not print JSON (%s): %r" % (" ".join(args), exc, out[:200]))

    # -- queries

    def version(self):
        """{"multipass": client version, "multipassd": daemon version or None}."""
        data = self.json("version")
        return {"multipass": data.get("multipass"), "multipassd": data.get("multipassd")}

    def driver(self):
        if self._driver is None:
            self._driver = self.call("get", "local.driver").strip()
        return self._driver

    def check_driver(self, feature):
        """Raise DriverLacks when the selected driver does not have `feature` (a key of DRIVER_LACKS)."""
        driver = self.driver()
        what = DRIVER_LACKS.get(driver, {}).get(feature)
        if what:
            raise DriverLacks("the Multipass driver '%s' (multipass get local.driver) does not support %s; use "
                              "the qemu driver or drop that setting" % (driver, what))

    def list(self):
        return self.json("list").get("list") or []

    def info(self, name=None):
        """`info --format json` of one instance (None when it does not exist) or, without a name, of all."""
        if name is None:
            return self.json("info").get("info") or {}
        try:
            return (self.json("info", name).get("info") or {}).get(name)
        except NotFound:
            return None

    def get(self, key):
        return self.call("get", "--raw", key).strip()

    def set(self, key, value):
        self.call("set", "%s=%s" % (key, value))

    def primary_name(self):
        """`client.primary-name` (a client setting: no daemon needed); "" when the primary feature is off."""
        return self.get(PRIMARY_KEY)

    # -- aliases (client side; `multipass aliases --format json` lists every context)

    def aliases(self, instance):
        """(the aliases that run in `instance`, from every context: name, command, working_directory, context;
        the names the active context gives to other instances, which a new alias there cannot take)."""
        doc = self.json("aliases")
        active = doc.get("active-context") or "default"
        found, taken = [], []
        for context, entries in sorted((doc.get("contexts") or {}).items()):
            for name, definition in sorted(entries.items()):
                if definition.get("instance") == instance:
                    found.append(dict(name=name, command=definition.get("command"), context=context,
                                      working_directory=definition.get("working-directory") or "default"))
                elif context == active:
                    taken.append(name)
        return found, taken

    def add_alias(self, instance, command, name, working_directory="map"):
        """`multipass alias` defines the alias in the active context."""
        self.call(*(["alias"] + (["--no-map-working-directory"] if working_directory == "default" else [])
                    + ["%s:%s" % (instance, command), name]))

    def remove_alias(self, name, context):
        self.call("unalias", "%s.%s" % (context, name))

    def resources(self, name):
        """cpus (int), memory and disk as `multipass get` shows them (rounded human-readable text)."""
        cpus = self.get("local.%s.cpus" % name)
        return {"cpus": int(cpus) if cpus.isdigit() else None,
                "memory": self.get("local.%s.memory" % name), "disk": self.get("local.%s.disk" % name)}

    # -- actions

    def launch(self, name, image=None, cpus=None, memory=None, disk=None, cloud_init_file=None, mounts=None,
               networks=None, bridged=False, timeout=None):
        args = ["launch", "--name", name]
        if cpus:
            args += ["--cpus", cpus]
        if memory is not None:
            args += ["--memory", to_multipass_size(memory)]
        if disk is not None:
            args += ["--disk", to_multipass_size(disk)]
        if cloud_init_file:
            args += ["--cloud-init", cloud_init_file]
        for source, target in mounts or []:
            args += ["--mount", "%s:%s" % (source, target)]
        for net in networks or []:
            args += ["--network", network_spec(net)]
        if bridged:
            args.append("--bridged")
        if timeout:
            args += ["--timeout", timeout]
        if image:
            args.append(image)
        return self.call(*args)

    def lifecycle(self, command, name, timeout=None):
        args = [command]
        if timeout and command in ("start", "restart"):
            args += ["--timeout", timeout]
        return self.call(*(args + [name]))

    def delete(self, name, purge=True):
        self.call(*(["delete"] + (["--purge"] if purge else []) + [name]))
        if purge:
            self.store.forget(name)

    def recover(self, name):
        self.call("recover", name)

    def mount(self, name, source, target, mount_type=None, uid_maps=None, gid_maps=None):
        args = ["mount"]
        if mount_type:
            args += ["--type", mount_type]
        for mapping in uid_maps or []:
            args += ["--uid-map", mapping]
        for mapping in gid_maps or []:
            args += ["--gid-map", mapping]
        self.call(*(args + [source, "%s:%s" % (name, target)]))

    def umount(self, name, target):
        self.call("umount", "%s:%s" % (name, target))

    # -- snapshots (multipass_snapshot); Multipass takes and restores them only on a stopped instance

    def snapshots(self, name):
        """(instance info, {snapshot: details}) from ONE `info --snapshots` call; (None, {}) when it does not exist."""
        try:
            info = (self.json("info", "--snapshots", name).get("info") or {}).get(name)
        except NotFound:
            return None, {}
        if info is None:
            return None, {}
        return info, dict(info.get("snapshots") or {})

    def take_snapshot(self, name, snap, comment=None):
        args = ["snapshot", "--name", snap]
        if comment:
            args += ["--comment", comment]
        return self.call(*(args + [name]))

    def restore_snapshot(self, name, snap):
        return self.call("restore", "--destructive", "%s.%s" % (name, snap))

    def delete_snapshot(self, name, snap):
        return self.call("delete", "--purge", "%s.%s" % (name, snap))

    def cloud_init_status(self, name):
        """(status, detail) from `cloud-init status` in the instance; a failing exec without a status is "error"."""
        rc, out, err = self.run([self.executable, "exec", "--no-map-working-directory", name, "--",
                                 "cloud-init", "status"], data=None)
        status = ""
        for line in (out or "").splitlines():
            if line.startswith("status:"):
                status = line.split(":", 1)[1].strip()
        if not status and rc not in (0, 2):
            return "error", (err or out or "exit code %s" % rc).strip()
        return status or "unknown", (out or err).strip()

    # -- the inventory's view

    def guests(self, include_deleted=False):
        """Every instance as common.instance_result dicts, from ONE `multipass info --format json` call (and
        `multipass get local.driver` when the label store has entries: they are kept per driver)."""
        store = self.store.entries()
        result = []
        for name, info in sorted(self.info().items()):
            guest = self.describe(name, info, store.get(name) or {})
            if include_deleted or guest["state"] != "deleted":
                result.append(guest)
        return result

    def describe(self, name, info, entry=None, resources=None):
        """common.instance_result for one instance from its `info` JSON (+ store entry, + `get` resources)."""
        entry = entry if entry is not None else self.store.entry(name)
        resources = resources or {}
        running = bool(info.get("ipv4")) or info.get("cpu_count", "") != ""
        memory = (info.get("memory") or {}).get("total") if running else None
        disk = ((info.get("disks") or {}).get("sda1") or {}).get("total") if running else None
        cpus = info.get("cpu_count")
        if resources.get("memory"):
            memory = parse_human_size(resources["memory"])[0]
        if resources.get("disk"):
            disk = parse_human_size(resources["disk"])[0]
        if resources.get("cpus"):
            cpus = resources["cpus"]
        return instance_result(
            name=name, backend=BACKEND, itype="vm", state=state_word(info.get("state")),
            ipv4=[ip for ip in info.get("ipv4") or [] if ":" not in ip],
            ipv6=[ip for ip in info.get("ipv4") or [] if ":" in ip],
            image=info.get("image_release") or None,
            cpus=int(cpus) if cpus not in (None, "") else None,
            memory=int(memory) if memory not in (None, "") else None,
            disk=int(disk) if disk not in (None, "") else None,
            mounts=mounts_from_info(info, entry.get("mount_types")),
            labels=entry.get("labels") or {},
            status=info.get("state"), release=info.get("release") or None,
        )


def network_spec(net):
    """A networks entry (str or dict name/mode/mac) as launch's --network value."""
    if isinstance(net, str):
        return net
    parts = ["name=%s" % net["name"]]
    if net.get("mode"):
        parts.append("mode=%s" % net["mode"])
    if net.get("mac"):
        parts.append("mac=%s" % net["mac"])
    return ",".join(parts)


def mounts_from_info(info, mount_types=None):
    """The `mounts` of `info` JSON as sorted dicts: source, path, type, uid_map, gid_map, readonly."""
    result = []
    for target, mount in sorted((info.get("mounts") or {}).items()):
        result.append({
            "source": mount.get("source_path"), "path": target,
            "type": (mount_types or {}).get(target, "classic"),
            "uid_map": sorted(mount.get("uid_mappings") or []), "gid_map": sorted(mount.get("gid_mappings") or []),
            "readonly": False,
        })
    return result
