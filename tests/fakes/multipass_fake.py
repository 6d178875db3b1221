# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake `multipass` CLI for tests, following shared/multipass-cli-spec.md (Multipass 1.16.3, main/1.17 on demand).

State lives in the directory named by MULTIPASS_FAKE_STATE (default ~/.cache/multipass-fake): `state.json`
plus one directory per instance, `instances/<name>/rootfs`, that stands for the instance's file system; a snapshot
keeps a copy of it in `instances/<name>/snapshots/<snapshot>`, which a restore puts back.

Environment:
  MULTIPASS_FAKE_STATE     state directory
  MULTIPASS_FAKE_VERSION   version to imitate, default 1.16.3; 1.17.x imitates `main` (zone, insertion order,
                           minimum sizes 512M memory / 1G disk, the Debian and Fedora images)
  MULTIPASS_SERVER_ADDRESS where the daemon is, as the real client reads it (default unix:/run/multipass_socket).
                           The daemon is up when that socket answers: tests run the fake daemon
                           (tests/fakes/multipassd start|stop). Down: the unix-socket message and rc 2, or gRPC
                           UNAVAILABLE and rc 3 for a host:port address.
  MULTIPASS_FAKE_BOOT_SECONDS  simulated boot time (not slept); launch/start --timeout below it gives rc 5.

Every invocation makes the client certificate the real client makes ($XDG_DATA_HOME or ~/.local/share, then
multipass-client-certificate/multipass_cert.pem and multipass_cert_key.pem).

`exec` runs the command line as the real client builds it (every argument quoted, `cd <dir>&&` first when a working
directory applies) through bash inside the guest: a private mount namespace where the rootfs is / (with the host's
/usr bound read-only standing for the image's programs, /dev and /proc) and the instance's mounts are bound at
their targets, so guest paths (/home/ubuntu/<mount>, /etc/...) are the guest's. It needs root. `cloud-init status`
is answered by the fake itself. `transfer` copies inside the same mount namespace (without the chroot).
cloud-init `write_files` are applied to the rootfs at launch.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import fcntl
import hashlib
import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
import sys

# The daemon stand-in, the image catalogue and the table format live next to this file.
import multipass_fake_aliases as aliases  # pylint: disable=import-error
import multipass_fake_images as images  # pylint: disable=import-error
import multipass_fake_tables as tables  # pylint: disable=import-error
import multipassd_fake  # pylint: disable=import-error

SPINNER = "\x1b[2K\x1b[0A\x1b[0E"
PRIMARY_HOME = "Home"   # constants.h home_automount_dir: launch mounts the user's home there in the primary instance
BLUEPRINT_WARNING = (
    "*** Warning! Blueprints are deprecated and will be removed in a future release. ***\n\n"
    "You can achieve similar results with cloud-init and other launch options.\n"
    "Run `multipass help launch` for more info, or find out more at:\n"
    "- https://documentation.ubuntu.com/multipass/en/latest/how-to-guides/manage-instances/"
    "launch-customized-instances-with-multipass-and-cloud-init/\n"
    "- https://cloudinit.readthedocs.io\n\n")
MEMORY_SIZE_RE = re.compile(r"^\s*(\d+)(?:\.(\d+)(?=[KMG]))?(?:([KMG])(?:i?B)?|B)?\s*$", re.IGNORECASE)
NAME_RE = re.compile(r"^([a-zA-Z]|[a-zA-Z][a-zA-Z0-9\-]*[a-zA-Z0-9])$")
MAP_RE = re.compile(r"^([0-9]+[:][0-9]+)$")
MAC_RE = re.compile(r"^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$")
SNAPSHOT_NAME_RE = re.compile(r"^[a-zA-Z]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$")
MEMORY_MESSAGE = ("{} is not a valid memory size - need a non-negative integer (in base 10) or a decimal followed by "
                  "K, M, or G (e.g. 1234B, 42MiB, 0.5G)")
HOME = "/home/ubuntu"
GIB = 1024 ** 3
MIB = 1024 ** 2

REMOTES = ("release", "daily", "appliance", "snapcraft", "core")
DRIVERS_1_16 = ("qemu", "libvirt", "lxd")
DRIVERS_MAIN = ("qemu",)
# What a driver cannot do; the daemon answers with NotImplementedOnThisBackendException's text.
LACKS = {"libvirt": ("native mounts", "networks", "snapshots"), "lxd": ("suspend", "snapshots")}
NETWORKS = [{"description": "Ethernet device", "name": "eth1", "type": "ethernet"},
            {"description": "Network bridge", "name": "mpbr0", "type": "bridge"}]
DEFAULT_SETTINGS = {
    "client.primary-name": "primary", "local.bridged-network": "", "local.driver": "qemu",
    "local.image.mirror": "", "local.passphrase": "", "local.privileged-mounts": "true",
}


def load_yaml():
    """PyYAML, imported only when needed (it is most of the fake's start-up time); None when missing."""
    try:
        import yaml  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return yaml


class Exit(Exception):
    """Stop with an exit code after printing `err` to stderr (and `out` to stdout)."""

    def __init__(self, code, err="", out=""):
        super().__init__(err)
        self.code = code
        self.err = err
        self.out = out


def version():
    return os.environ.get("MULTIPASS_FAKE_VERSION", "1.16.3")


def is_main():
    """True when imitating the development head (1.17)."""
    parts = version().split(".")
    return len(parts) > 1 and parts[0] == "1" and int(re.sub(r"\D.*", "", parts[1]) or 0) >= 17


def state_dir():
    return os.environ.get("MULTIPASS_FAKE_STATE") or os.path.expanduser("~/.cache/multipass-fake")


# ---------------------------------------------------------------------------------------------- JSON output

def qt_json(value, indent=0):
    """JSON as Qt's QJsonDocument::Indented prints it: 4 spaces, empty containers over two lines."""
    pad = " " * (indent + 4)
    end = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{\n" + end + "}"
        items = [pad + json.dumps(k) + ": " + qt_json(v, indent + 4) for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(value, list):
        if not value:
            return "[\n" + end + "]"
        return "[\n" + ",\n".join(pad + qt_json(v, indent + 4) for v in value) + "\n" + end + "]"
    return json.dumps(value)


def emit_json(doc):
    """v1.16.3 sorts keys (QJsonObject); main keeps insertion order (Boost.JSON)."""
    if not is_main():
        doc = sort_keys(doc)
    return qt_json(doc) + "\n"


def sort_keys(value):
    if isinstance(value, dict):
        return {k: sort_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sort_keys(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------- sizes

def memory_size(text):
    """Bytes for a Multipass memory size; raises Exit(1) with the uncaught-exception log line if invalid."""
    match = MEMORY_SIZE_RE.match(text or "")
    if not match:
        stamp = datetime.datetime.now().isoformat(timespec="milliseconds")
        raise Exit(1, "[%s] [error] [client] Caught an unhandled exception: %s\n" % (stamp, MEMORY_MESSAGE.format(text)))
    return size_bytes(match)


def size_bytes(match):
    whole, frac, unit = match.group(1), match.group(2), (match.group(3) or "").upper()
    factor = {"": 1, "K": 1024, "M": MIB, "G": GIB}[unit]
    value = int(whole) * factor
    if frac:
        value += int(int(frac) * factor // (10 ** len(frac)))
    return value


def human_readable(size):
    """mp::MemorySize::human_readable(): one decimal and the largest binary unit that fits."""
    for unit, suffix in ((GIB, "GiB"), (MIB, "MiB"), (1024, "KiB")):
        if size / float(unit) >= 1:
            return "%.1f%s" % (size / float(unit), suffix)
    return "%dB" % size


# ---------------------------------------------------------------------------------------------- state

class State:
    """state.json under an exclusive lock for the duration of one command."""

    def __init__(self, root):
        self.root = root
        self.path = os.path.join(root, "state.json")
        self.lock = None
        self.data = None

    def __enter__(self):
        os.makedirs(self.root, exist_ok=True)
        self.lock = open(os.path.join(self.root, ".lock"), "a+")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        if os.path.exists(self.path):
            with open(self.path) as handle:
                self.data = json.load(handle)
        else:
            self.data = {"settings": dict(DEFAULT_SETTINGS), "instances": {}, "next_ip": 2, "serial": 0}
        self.data.setdefault("other_drivers", {})
        return self

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as handle:
            json.dump(self.data, handle, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    def __exit__(self, *exc):
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        self.lock.close()

    @property
    def instances(self):
        return self.data["instances"]

    def switch_driver(self, driver):
        """Each driver keeps its own instances (the daemon's instance records live in the driver's data directory):
        the current set is put aside and the new driver's set, empty the first time, comes back."""
        current = self.driver()
        if driver == current:
            return
        self.data["other_drivers"][current] = self.data["instances"]
        self.data["instances"] = self.data["other_drivers"].pop(driver, {})
        self.settings["local.driver"] = driver

    @property
    def settings(self):
        return self.data["settings"]

    def rootfs(self, name):
        scope = ["instances"] if self.driver() == "qemu" else ["drivers", self.driver(), "instances"]
        return os.path.join(self.root, *(scope + [name, "rootfs"]))

    def snapshot_fs(self, name, snap):
        """The copy of the rootfs a snapshot keeps (a real snapshot keeps the disk)."""
        return os.path.join(os.path.dirname(self.rootfs(name)), "snapshots", snap)

    def driver(self):
        return self.settings.get("local.driver", "qemu")


def daemon_failure(command):
    """None when the daemon's socket answers; else the client's failure (spec 0.0): over a unix socket the client
    probes the socket itself and reports through the standard failure handler (rc 2); over host:port gRPC says
    UNAVAILABLE (rc 3)."""
    address = multipassd_fake.address()
    error = multipassd_fake.probe(address)
    if error is None:
        return None
    if address.startswith("unix:"):
        socket_path = address[len("unix:"):]
        if isinstance(error, PermissionError):
            return Exit(2, "%s failed: multipass socket access denied\nPlease check that you have read/write "
                           "permissions to '%s'\n" % (command, socket_path))
        return Exit(2, "%s failed: cannot connect to the multipass socket\nPlease ensure multipassd is running and "
                       "'%s' is accessible\n" % (command, socket_path))
    return Exit(3, "%s failed: failed to connect to all addresses; last error: UNKNOWN: ipv4:%s: Failed to connect "
                   "to remote host: Connection refused\n" % (command, address))


def require_daemon(command):
    failure = daemon_failure(command)
    if failure is not None:
        raise failure


def failed(command, message, details=""):
    """standard_failure_handler_for: "{} failed: {}\n{}"."""
    return Exit(2, "%s failed: %s\n%s" % (command, message, details + "\n" if details else ""))


def errors_occurred(command, lines):
    return failed(command, "The following errors occurred:\n" + "\n".join(lines))


# ---------------------------------------------------------------------------------------------- arguments

class Args:
    """A small Qt-like option parser: -x value, --long value, --long=value, flags, positionals, `--`."""

    def __init__(self, argv, values=(), flags=(), repeat=(), aliases=None, stop_at_positional=False):
        self.options = {}
        self.positional = []
        self.rest = None
        aliases = aliases or {}
        index = 0
        while index < len(argv):
            arg = argv[index]
            index += 1
            if arg == "--":
                self.rest = argv[index:]
                return
            if arg.startswith("-") and arg != "-":
                key, _sep, inline = arg.lstrip("-").partition("=")
                key = aliases.get(key, key)
                if key in values or key in repeat:
                    if _sep:
                        value = inline
                    elif index < len(argv):
                        value = argv[index]
                        index += 1
                    else:
                        raise Exit(1, "Missing value after '%s'.\n" % arg)
                    if key in repeat:
                        self.options.setdefault(key, []).append(value)
                    else:
                        self.options[key] = value
                elif key in flags:
                    self.options[key] = True
                else:
                    raise Exit(1, "Unknown option '%s'.\n" % key)
            else:
                self.positional.append(arg)
                if stop_at_positional:
                    self.rest = argv[index:]
                    return

    def get(self, key, default=None):
        return self.options.get(key, default)


def by_index(snapshots):
    """Snapshots in the order they were taken (the daemon's order)."""
    return sorted(snapshots.items(), key=lambda item: item[1].get("index", 0))


def split_target(text):
    name, _sep, path = text.partition(":")
    return name, path or None


# ---------------------------------------------------------------------------------------------- the commands

class Fake:
    def __init__(self, state, stdout):
        self.state = state
        self.out = stdout

    # -- helpers

    def instance(self, name):
        return self.state.instances.get(name)

    def lacks(self, feature):
        return feature in LACKS.get(self.state.driver(), ())

    def not_implemented(self, command, feature):
        return failed(command, "The %s feature is not implemented on this backend." % feature)

    def select(self, command, names, all_flag=False, allow_deleted=False):
        """Resolve names as the daemon does for multi-name commands (spec 0.1)."""
        if all_flag:
            return sorted(self.state.instances)
        if not names:
            names = [self.state.settings.get("client.primary-name", "primary")]
        lines = []
        for name in names:
            inst = self.instance(name)
            if inst is None:
                lines.append('instance "%s" does not exist' % name)
            elif inst["deleted"] and not allow_deleted:
                lines.append('instance "%s" is deleted' % name)
        if lines:
            raise errors_occurred(command, lines)
        return names

    def spin(self, text):
        frames = "".join("%s%s %s" % (SPINNER, frame, text) for frame in "|/-\\")
        self.out.write(frames + SPINNER)

    def boot_check(self, timeout, what):
        boot = float(os.environ.get("MULTIPASS_FAKE_BOOT_SECONDS", "0") or 0)
        if timeout is not None and boot > int(timeout):
            raise Exit(5, "Timed out waiting for instance %s.\n" % what)

    def new_ip(self):
        serial = self.state.data["next_ip"]
        self.state.data["next_ip"] = serial + 1
        return "10.151.%d.%d" % (serial // 250, serial % 250 + 2)

    def mount_into(self, inst, name, source, target, mtype, uid_maps, gid_maps):
        inst["mounts"][target] = {"source_path": source, "uid_mappings": uid_maps, "gid_mappings": gid_maps,
                                  "type": mtype}
        mountpoint(self.state.rootfs(name), target)

    @staticmethod
    def unmount_from(inst, target):
        del inst["mounts"][target]

    # -- launch

    def launch(self, argv):
        args = Args(argv, values=("name", "cpus", "memory", "disk", "cloud-init", "timeout", "zone"),
                    flags=("bridged",), repeat=("mount", "network"),
                    aliases={"n": "name", "c": "cpus", "m": "memory", "mem": "memory", "d": "disk"})
        if len(args.positional) > 1:
            raise Exit(1, "Too many arguments supplied\n")
        image = args.positional[0] if args.positional else "default"
        blueprint = images.BLUEPRINT_DEFAULTS.get(image, {}) if images.is_blueprint(image) else {}
        cpus_text = args.get("cpus", str(blueprint.get("cpus", 1)))
        if not re.match(r"^[0-9]+$", cpus_text) or int(cpus_text) < 1:
            raise Exit(1, "Error: invalid CPU count '%s', need a positive integer value.\n" % cpus_text)
        memory = memory_size(args.get("memory", blueprint.get("memory", "1G")))
        disk = memory_size(args.get("disk", blueprint.get("disk", "5G")))
        timeout = args.get("timeout")
        if timeout is not None and (not timeout.isdigit() or int(timeout) < 1):
            raise Exit(1, "error: --timeout value has to be a positive integer\n")
        if image.count(":") > 1 and "://" not in image:
            raise Exit(1, "Invalid remote and source image name supplied\n")
        mounts = [self.parse_launch_mount(spec) for spec in args.get("mount", [])]
        networks = [self.parse_network(spec) for spec in args.get("network", [])]
        if args.get("bridged"):
            networks.append({"name": "bridged", "mode": "auto", "mac": ""})
        user_data = self.load_cloud_init(args.get("cloud-init"))
        require_daemon("launch")
        name = args.get("name") or self.pet_name()
        if not NAME_RE.match(name):
            raise failed("launch", "Invalid arguments supplied", "Invalid instance name supplied: %s" % name)
        if name in self.state.instances:
            raise failed("launch", 'instance "%s" already exists' % name)
        min_memory, min_disk = (512 * MIB, GIB) if is_main() else (128 * MIB, 512 * MIB)
        if memory < min_memory:
            raise failed("launch", "Invalid arguments supplied",
                         "Invalid memory size value supplied: %s." % args.get("memory"))
        if disk < min_disk:
            raise failed("launch", "Invalid arguments supplied",
                         "Invalid disk size value supplied: %s." % args.get("disk"))
        if networks and self.lacks("networks"):
            raise self.not_implemented("launch", "networks")
        for net in networks:
            wanted = net["name"]
            if wanted == "bridged":
                wanted = self.state.settings.get("local.bridged-network") or ""
                if not wanted:
                    raise failed("launch", "Invalid network options supplied",
                                 "Bridged network requested but no interface selected. Use `multipass set "
                                 "local.bridged-network=<name>` to select one.")
            if wanted not in [n["name"] for n in NETWORKS]:
                raise failed("launch", "Invalid network options supplied", "Invalid network '%s' set." % wanted)
        image_release, release, os_name = self.resolve_image(image)
        self.state.data["serial"] += 1
        inst = {
            "state": "Running", "deleted": False, "image": image, "image_release": image_release, "os": os_name,
            "release": release, "image_hash": hashlib.sha256(image_release.encode() + image.encode()).hexdigest(),
            "cpus": int(cpus_text), "memory": memory, "disk": disk, "mounts": {}, "networks": networks,
            "ipv4": [self.new_ip()] + [self.new_ip() for _n in networks], "snapshots": {}, "snapshot_seq": 0,
            "created": self.state.data["serial"], "zone": args.get("zone", "zone1"),
        }
        self.state.instances[name] = inst
        root = self.state.rootfs(name)
        make_guest_root(root)
        self.apply_cloud_init(root, user_data)
        self.spin("Launching %s" % name)
        self.boot_check(timeout, "launch")
        if images.is_blueprint(image):
            sys.stderr.write(BLUEPRINT_WARNING)
            self.blueprint_extras(name, inst, blueprint)
        self.out.write("Launched: %s%s\n" % (name, " in %s" % inst["zone"] if is_main() else ""))
        if name == self.state.settings.get("client.primary-name") and not any(t == PRIMARY_HOME for _s, t in mounts):
            mounts.append((os.path.expanduser("~"), PRIMARY_HOME))
        if mounts and self.state.settings.get("local.privileged-mounts") == "false":
            self.out.write("Skipping mount due to disabled mounts feature\n")
            return
        for source, target in mounts:
            self.launch_mount(name, inst, source, target or "%s/%s" % (HOME, os.path.basename(source.rstrip("/"))))

    def launch_mount(self, name, inst, source, target):
        """Launch runs `multipass mount <source> <name>:<target>` for each route and says so."""
        self.mount_into(inst, name, source, target, "classic", ["%d:default" % os.getuid()],
                        ["%d:default" % os.getgid()])
        self.out.write("Mounted '%s' into '%s:%s'\n" % (source, name, target))

    def blueprint_extras(self, name, inst, blueprint):
        """launch.cpp on_success, before `Launched:`: the blueprint's aliases in the instance's context (the path
        message when they are the first), then its workspace ~/multipass/<name> mounted at <name>."""
        table = aliases.AliasDict()
        first = table.empty()
        for alias, command in sorted(blueprint.get("aliases", {}).items()):
            table.add(name, alias, {"instance": name, "command": command, "working-directory": "map"}, executable())
        table.save()
        if first and blueprint.get("aliases") and aliases.scripts_folder() not in os.environ.get("PATH", "").split(":"):
            self.out.write(aliases.path_message())
        if blueprint.get("workspace"):
            workspace = os.path.join(os.path.expanduser("~"), "multipass", name)
            if os.path.isdir(workspace):
                sys.stderr.write('Folder "%s" already exists.\n' % workspace)
            os.makedirs(workspace, exist_ok=True)
            self.launch_mount(name, inst, workspace, name)

    def pet_name(self):
        adjectives = ("calm", "brisk", "jolly", "sunny", "witty")
        animals = ("squirrel", "otter", "heron", "lynx", "marten")
        serial = self.state.data["serial"]
        return "%s-%s" % (adjectives[serial % 5], animals[(serial // 5) % 5]) + ("" if serial < 25 else str(serial))

    @staticmethod
    def parse_launch_mount(spec):
        source, _sep, target = spec.partition(":")
        source = os.path.abspath(os.path.expanduser(source))
        check_source(source, "Mount source path")
        return source, target or None

    @staticmethod
    def parse_network(spec):
        fields = {"name": "", "mode": "auto", "mac": ""}
        if "=" not in spec:
            fields["name"] = spec
        else:
            for part in spec.split(","):
                key, _sep, value = part.partition("=")
                if key not in fields:
                    raise Exit(1, "error: Bad network field: %s\n" % key)
                fields[key] = value
        if fields["mode"] not in ("auto", "manual"):
            raise Exit(1, "error: Bad network mode '%s', need 'auto' or 'manual'\n" % fields["mode"])
        if fields["mac"] and not MAC_RE.match(fields["mac"]):
            raise Exit(1, "error: Invalid MAC address: %s\n" % fields["mac"])
        return fields

    @staticmethod
    def load_cloud_init(path):
        if path is None:
            return None
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path) as handle:
                    text = handle.read()
        except OSError:
            raise Exit(1, "Could not load cloud-init configuration: bad file: %s\nPlease ensure that Multipass "
                          "can read it.\n" % path)
        yaml = load_yaml()
        if yaml is not None:
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise Exit(1, "Could not load cloud-init configuration: %s\n" % str(exc).replace("\n", " "))
            return data if isinstance(data, dict) else {}
        return {}

    @staticmethod
    def apply_cloud_init(root, data):
        """Keep the user-data and apply `write_files` to the rootfs, as cloud-init would in the guest."""
        cloud = os.path.join(root, "var", "lib", "cloud", "instance")
        os.makedirs(cloud, exist_ok=True)
        with open(os.path.join(cloud, "user-data.txt"), "w") as handle:
            handle.write("#cloud-config\n" + (json.dumps(data or {}, sort_keys=True)) + "\n")
        for entry in (data or {}).get("write_files") or []:
            target = root + "/" + str(entry.get("path", "")).lstrip("/")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w") as handle:
                handle.write(str(entry.get("content", "")))
        with open(os.path.join(cloud, "boot-finished"), "w") as handle:
            handle.write("done\n")

    @staticmethod
    def resolve_image(image):
        if image.startswith("file://"):
            path = image[len("file://"):]
            if not os.path.isfile(path):
                raise failed("launch", "Custom image `%s` does not exist." % path)
            return "", "", ""
        if image.startswith(("http://", "https://")):
            return "", "", ""
        remote, _sep, alias = image.rpartition(":")
        if remote and remote not in REMOTES:
            raise failed("launch", 'Remote "%s" is unknown or unreachable.' % remote)
        entry = images.lookup(is_main(), remote, alias)
        if entry is None:
            raise failed("launch", 'Unable to find an image matching "%s" in remote "%s".' % (alias, remote or "release"))
        return entry["release"], entry["pretty"], entry["os"]

    # -- list / info

    def list(self, argv):
        args = Args(argv, values=("format",), flags=("snapshots", "no-ipv4"))
        if args.positional:
            raise Exit(1, "This command takes no arguments\n")
        require_daemon("list")
        if args.get("snapshots"):
            doc = {"errors": [], "info": {}}
            rows = []
            for name, inst in self.ordered():
                if inst["snapshots"]:
                    doc["info"][name] = {snap: self.snapshot_brief(s) for snap, s in by_index(inst["snapshots"])}
                    rows += [(name, snap, s["parent"], s["comment"]) for snap, s in by_index(inst["snapshots"])]
            return self.output(args.get("format"), doc, tables.snapshots_list(rows))
        entries = []
        for name, inst in self.ordered():
            entry = {"name": name, "state": self.status(inst),
                     "ipv4": list(inst["ipv4"]) if self.running(inst) and not args.get("no-ipv4") else [],
                     "release": self.release_shown(inst)}
            if is_main():
                entry["zone"] = {"name": inst.get("zone", "zone1"), "available": True}
            entries.append(entry)
        table = None
        if not entries:
            table = "No instances found.\n"
        else:
            table = "%-24s%-18s%-17s%s\n" % ("Name", "State", "IPv4", "Image") + "".join(
                "%-24s%-18s%-17s%s\n" % (e["name"], e["state"], (e["ipv4"] or ["--"])[0], e["release"])
                for e in entries)
        return self.output(args.get("format"), {"list": entries}, table)

    @staticmethod
    def release_shown(inst):
        """`list`: "Ubuntu <release>" hard-coded in 1.16.3, "<os> <release>" in main."""
        if not inst["image_release"]:
            return "Not Available"
        os_name = (inst.get("os") or "Ubuntu") if is_main() else "Ubuntu"
        return "%s %s" % (os_name, inst["image_release"])

    def snapshot_brief(self, snap):
        if is_main():
            return {"parent": snap["parent"], "comment": snap["comment"]}
        return {"comment": snap["comment"], "parent": snap["parent"]}

    def ordered(self):
        items = sorted(self.state.instances.items(), key=lambda item: item[0])
        return [i for i in items if not i[1]["deleted"]] + [i for i in items if i[1]["deleted"]]

    @staticmethod
    def running(inst):
        return not inst["deleted"] and inst["state"] in ("Running", "Delayed Shutdown")

    @staticmethod
    def status(inst):
        return "Deleted" if inst["deleted"] else inst["state"]

    def output(self, fmt, doc, table):
        fmt = fmt or "table"
        if fmt == "json":
            self.out.write(emit_json(doc))
        elif fmt == "yaml" and load_yaml() is not None:
            self.out.write(load_yaml().safe_dump(doc, default_flow_style=False))
        elif fmt in ("table", "csv", "yaml"):
            self.out.write(table if table is not None else qt_json(doc) + "\n")
        else:
            raise Exit(1, "Invalid format type given.\n")

    def info(self, argv):
        args = Args(argv, values=("format",), flags=("all", "snapshots", "no-runtime-information"))
        require_daemon("info")
        names = args.positional
        wanted = {}
        lines = []
        for item in names or [n for n, _i in self.ordered()]:
            name, _dot, snap = item.partition(".")
            inst = self.instance(name)
            if inst is None:
                lines.append('instance "%s" does not exist' % name)
                continue
            if snap and snap not in inst["snapshots"]:
                lines.append("No such snapshot: %s.%s" % (name, snap))
                continue
            wanted.setdefault(name, {"whole": False, "snaps": []})
            if snap:
                wanted[name]["snaps"].append(snap)
            else:
                wanted[name]["whole"] = True
        if lines:
            raise errors_occurred("info", lines)
        doc = {"errors": [], "info": {}}
        blocks = []
        for name, what in wanted.items():
            inst = self.instance(name)
            entry = self.details(inst, not args.get("no-runtime-information")) if what["whole"] else {}
            if what["whole"]:
                blocks.append(tables.instance_details(name, entry, human_readable))
            snaps = what["snaps"] or ([n for n, _s in by_index(inst["snapshots"])] if args.get("snapshots") else [])
            if snaps or (args.get("snapshots") and what["whole"]):
                entry["snapshots"] = {s: self.snapshot_details(inst, s) for s in snaps}
                blocks += [tables.snapshot_details(name, s, entry["snapshots"][s]) for s in snaps]
            doc["info"][name] = entry
        return self.output(args.get("format"), doc, tables.info(blocks, args.get("snapshots")))

    def details(self, inst, runtime):
        running = self.running(inst) and runtime
        entry = {}
        if is_main():
            entry["zone"] = {"name": inst.get("zone", "zone1"), "available": True}
        entry["state"] = self.status(inst)
        entry["image_hash"] = inst["image_hash"]
        entry["image_release"] = inst["image_release"]
        entry["release"] = inst["release"] if running else ""
        entry["cpu_count"] = str(inst["cpus"]) if running else ""
        if not self.lacks("snapshots"):
            entry["snapshot_count"] = str(len(inst["snapshots"]))
        entry["load"] = [0.08, 0.03, 0.01] if running else []
        entry["disks"] = {"sda1": {"used": str(min(1932735284, inst["disk"] // 3)), "total": str(inst["disk"])}
                          if running else {}}
        entry["memory"] = {"used": min(188743680, inst["memory"] // 4), "total": inst["memory"]} if running else {}
        entry["ipv4"] = list(inst["ipv4"]) if running else []
        entry["mounts"] = {}
        for target in sorted(inst["mounts"]):
            mount = inst["mounts"][target]
            entry["mounts"][target] = {"uid_mappings": list(mount["uid_mappings"]),
                                       "gid_mappings": list(mount["gid_mappings"]),
                                       "source_path": mount["source_path"]}
        return entry

    @staticmethod
    def snapshot_details(inst, snap_name):
        snap = inst["snapshots"][snap_name]
        children = sorted(n for n, s in inst["snapshots"].items() if s["parent"] == snap_name)
        return {"size": "", "cpu_count": str(snap["cpus"]), "disk_space": human_readable(snap["disk"]),
                "memory_size": human_readable(snap["memory"]),
                "mounts": {t: {"source_path": m["source_path"]} for t, m in snap["mounts"].items()},
                "created": snap["created"], "parent": snap["parent"], "children": children,
                "comment": snap["comment"]}

    # -- lifecycle

    def lifecycle(self, command, argv):
        values = ("timeout",) if command in ("start", "restart") else ()
        flags = ["all"]
        if command == "stop":
            values = ("time",)
            flags += ["cancel", "force"]
        args = Args(argv, values=values, flags=tuple(flags), aliases={"t": "time", "c": "cancel"})
        if args.get("all") and args.positional:
            raise Exit(1, "Cannot specify name when --all option set\n")
        require_daemon(command)
        if command == "start":
            names = args.positional or ([] if args.get("all") else
                                        [self.state.settings.get("client.primary-name", "primary")])
            if args.get("all"):
                names = [n for n, i in self.ordered() if not i["deleted"]]
            missing = []
            for name in names:
                inst = self.instance(name)
                if inst is None:
                    missing.append("Instance '%s' does not exist." % name)
                elif inst["deleted"]:
                    missing.append("Instance '%s' is deleted. Use 'recover' to recover it or 'purge' to "
                                   "permanently delete it." % name)
            if missing:
                raise failed("start", "instance(s) missing", "\n".join(missing))
        else:
            names = self.select(command, args.positional, args.get("all"))
        if command == "suspend" and self.lacks("suspend"):
            raise self.not_implemented("suspend", "suspend")
        verb = {"start": "Starting", "stop": "Stopping", "restart": "Restarting", "suspend": "Suspending"}[command]
        for name in names:
            inst = self.instance(name)
            self.spin("%s %s" % (verb, name))
            if command in ("start", "restart"):
                self.boot_check(args.get("timeout"), "start" if command == "start" else "restart")
                inst["state"] = "Running"
            elif command == "stop":
                if not args.get("cancel"):
                    inst["state"] = "Stopped"
            elif inst["state"] == "Running":
                inst["state"] = "Suspended"

    def delete(self, argv):
        args = Args(argv, flags=("all", "purge"), aliases={"p": "purge"})
        if not args.positional and not args.get("all"):
            raise Exit(1, "Name argument or --all is required\n")
        if args.get("all") and args.positional:
            raise Exit(1, "Cannot specify name when --all option set\n")
        require_daemon("delete")
        snaps = [p for p in args.positional if "." in p]
        if snaps and not args.get("purge"):
            raise Exit(2, "Snapshots can only be purged (after deletion, they cannot be recovered). Unable to query "
                          "client for confirmation. Please use the `--purge` flag if that is what you want.\n")
        plain = [p for p in args.positional if "." not in p]
        names = self.select("delete", plain, args.get("all"), allow_deleted=True) if plain or args.get("all") else []
        lines = []
        for item in snaps:
            name, _dot, snap = item.partition(".")
            inst = self.instance(name)
            if inst is None:
                lines.append('instance "%s" does not exist' % name)
            elif snap not in inst["snapshots"]:
                lines.append("No such snapshot: %s.%s" % (name, snap))
        if lines:
            raise errors_occurred("delete", lines)
        for item in snaps:
            name, _dot, snap = item.partition(".")
            self.delete_snapshot(name, snap)
        for name in names:
            if args.get("purge"):
                self.purge_one(name)
            else:
                self.instance(name)["deleted"] = True

    def delete_snapshot(self, name, snap):
        """BaseVirtualMachine::delete_snapshot_helper: the head moves to the deleted snapshot's parent, and its
        children become children of that parent."""
        inst = self.instance(name)
        parent = inst["snapshots"].pop(snap)["parent"]
        for other in inst["snapshots"].values():
            if other["parent"] == snap:
                other["parent"] = parent
        if inst.get("head") == snap:
            inst["head"] = parent
        shutil.rmtree(self.state.snapshot_fs(name, snap), ignore_errors=True)

    def purge_one(self, name):
        """Mount sources are bound only inside short-lived namespaces, so removing the root never reaches them.
        The client drops the instance's aliases with it (delete.cpp, AliasDict::remove_aliases_for_instance)."""
        self.state.instances.pop(name)
        table = aliases.AliasDict()
        table.remove_for_instance(name)
        table.save()
        shutil.rmtree(os.path.dirname(self.state.rootfs(name)), ignore_errors=True)

    def recover(self, argv):
        args = Args(argv, flags=("all",))
        if not args.positional and not args.get("all"):
            raise Exit(1, "Name argument or --all is required\n")
        require_daemon("recover")
        for name in self.select("recover", args.positional, args.get("all"), allow_deleted=True):
            inst = self.instance(name)
            if inst["deleted"]:
                inst["deleted"] = False
                inst["state"] = "Stopped"

    def purge(self, argv):
        if argv:
            raise Exit(1, "This command takes no arguments\n")
        require_daemon("purge")
        for name in [n for n, i in self.state.instances.items() if i["deleted"]]:
            self.purge_one(name)

    # -- mounts

    def mount(self, argv):
        args = Args(argv, values=("type",), repeat=("uid-map", "gid-map"),
                    aliases={"t": "type", "u": "uid-map", "g": "gid-map"})
        if len(args.positional) < 2:
            raise Exit(1, "Not enough arguments given\n")
        source = os.path.abspath(os.path.expanduser(args.positional[0]))
        check_source(source, "Source path")
        mtype = args.get("type", "classic")
        if mtype not in ("classic", "native"):
            raise Exit(1, "error: Bad mount type '%s' specified, please use 'classic' or 'native'\n" % mtype)
        for key, label in (("uid-map", "UID"), ("gid-map", "GID")):
            for mapping in args.get(key, []):
                if not MAP_RE.match(mapping):
                    raise Exit(1, "Invalid %s map given: %s\n" % (label, mapping))
        uid_maps = list(args.get("uid-map", [])) or ["%d:default" % os.getuid()]
        gid_maps = list(args.get("gid-map", [])) or ["%d:default" % os.getgid()]
        require_daemon("mount")
        if self.state.settings.get("local.privileged-mounts") == "false":
            raise failed("mount", "Mounts are disabled on this installation of Multipass.\n\nSee "
                                  "https://canonical.com/multipass/docs/set-command#local.privileged-mounts for "
                                  "information\non how to enable them.")
        lines = []
        todo = []
        for spec in args.positional[1:]:
            name, target = split_target(spec)
            target = target or "%s/%s" % (HOME, os.path.basename(source.rstrip("/")))
            inst = self.instance(name)
            if inst is None or inst["deleted"]:
                lines.append("instance '%s' does not exist" % name)
            elif not target.startswith("/") or target.rstrip("/") == "":
                lines.append('unable to mount to "%s"' % target)
            elif target in inst["mounts"]:
                lines.append('"%s" is already mounted in \'%s\'' % (target, name))
            elif mtype == "native" and self.lacks("native mounts"):
                lines.append('error mounting "%s": The native mounts feature is not implemented on this backend.'
                             % target)
            else:
                todo.append((name, target))
        if lines:
            raise errors_occurred("mount", lines)
        for name, target in todo:
            self.mount_into(self.instance(name), name, source, target, mtype, uid_maps, gid_maps)

    def umount(self, argv):
        args = Args(argv)
        if not args.positional:
            raise Exit(1, "Not enough arguments given\n")
        require_daemon("umount")
        lines = []
        todo = []
        for spec in args.positional:
            name, target = split_target(spec)
            inst = self.instance(name)
            if inst is None or inst["deleted"]:
                lines.append("instance '%s' does not exist" % name)
            elif target is None:
                todo.extend((name, t) for t in list(inst["mounts"]))
            elif target not in inst["mounts"]:
                lines.append('path "%s" is not mounted in \'%s\'' % (target, name))
            else:
                todo.append((name, target))
        if lines:
            raise errors_occurred("umount", lines)
        for name, target in todo:
            self.unmount_from(self.instance(name), target)

    # -- snapshots

    def single(self, command, name):
        inst = self.instance(name)
        if inst is None:
            raise failed(command, 'instance "%s" does not exist' % name)
        if inst["deleted"]:
            raise failed(command, 'instance "%s" is deleted' % name)
        return inst

    def snapshot(self, argv):
        args = Args(argv, values=("name", "comment"), aliases={"n": "name", "c": "comment", "m": "comment"})
        if not args.positional:
            raise Exit(1, "Need the name of an instance to snapshot.\n")
        if len(args.positional) > 1:
            raise Exit(1, "Too many arguments supplied\n")
        require_daemon("snapshot")
        name = args.positional[0]
        inst = self.single("snapshot", name)
        if self.lacks("snapshots"):
            raise self.not_implemented("snapshot", "snapshots")
        if inst["state"] != "Stopped":
            raise failed("snapshot", "Multipass can only take snapshots of stopped instances.")
        snap = args.get("name") or "snapshot%d" % (inst["snapshot_seq"] + 1)
        if not SNAPSHOT_NAME_RE.match(snap):
            raise failed("snapshot", 'Invalid snapshot name: "%s".' % snap)
        if snap in inst["snapshots"]:
            raise failed("snapshot", "Snapshot already exists: %s.%s" % (name, snap))
        inst["snapshot_seq"] += 1
        inst["snapshots"][snap] = {
            "index": inst["snapshot_seq"], "parent": inst.get("head", ""), "comment": args.get("comment", ""),
            "cpus": inst["cpus"],
            "memory": inst["memory"], "disk": inst["disk"], "mounts": json.loads(json.dumps(inst["mounts"])),
            "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}
        inst["head"] = snap
        saved = self.state.snapshot_fs(name, snap)
        shutil.rmtree(saved, ignore_errors=True)
        if os.path.isdir(self.state.rootfs(name)):
            shutil.copytree(self.state.rootfs(name), saved, symlinks=True)
        self.spin("Taking snapshot")
        self.out.write("Snapshot taken: %s.%s\n" % (name, snap))

    def restore(self, argv):
        args = Args(argv, flags=("destructive",), aliases={"d": "destructive"})
        if len(args.positional) != 1:
            raise Exit(1, "Need the name of an instance and snapshot to restore.\n")
        name, _dot, snap = args.positional[0].partition(".")
        if not snap:
            raise Exit(1, "Invalid format. Please specify the instance to restore and snapshot to use in the form "
                          "<instance>.<snapshot>.\n")
        require_daemon("restore")
        inst = self.single("restore", name)
        if inst["state"] != "Stopped":
            raise failed("restore", "Multipass can only restore snapshots of stopped instances.")
        if snap not in inst["snapshots"]:
            raise failed("restore", "No such snapshot: %s.%s" % (name, snap))
        if not args.get("destructive"):
            raise Exit(2, "Unable to query client for confirmation. Use '--destructive' to automatically discard "
                          "current machine state.\nrestore failed: Cannot get confirmation from client. Aborting...\n")
        saved = inst["snapshots"][snap]
        inst.update(cpus=saved["cpus"], memory=saved["memory"], disk=saved["disk"],
                    mounts=json.loads(json.dumps(saved["mounts"])), head=snap)
        if os.path.isdir(self.state.snapshot_fs(name, snap)):
            shutil.rmtree(self.state.rootfs(name), ignore_errors=True)
            shutil.copytree(self.state.snapshot_fs(name, snap), self.state.rootfs(name), symlinks=True)
        self.spin("Restoring snapshot")
        self.out.write("Snapshot restored: %s.%s\n" % (name, snap))

    # -- exec / transfer

    def exec_(self, argv):
        args = Args(argv, values=("working-directory",), flags=("no-map-working-directory",),
                    aliases={"d": "working-directory", "n": "no-map-working-directory"}, stop_at_positional=True)
        if args.get("working-directory") and args.get("no-map-working-directory"):
            raise Exit(1, "Options --working-directory and --no-map-working-directory clash\n")
        if not args.positional:
            raise Exit(1, "Wrong number of arguments\n")
        command = args.rest or []
        if command and command[0] == "--":
            command = command[1:]
        if not command:
            raise Exit(1, "Wrong number of arguments\n")
        require_daemon("exec")
        name = args.positional[0]
        inst = self.instance(name)
        if inst is None or inst["deleted"]:
            line = 'instance "%s" %s' % (name, "does not exist" if inst is None else "is deleted")
            twice = not (args.get("working-directory") or args.get("no-map-working-directory"))
            message = "exec failed: The following errors occurred:\n%s\n" % line
            raise Exit(2, message * (2 if twice else 1))
        if inst["state"] != "Running":
            inst["state"] = "Running"
            self.spin("Starting %s" % name)
            self.state.save()
        if os.path.basename(command[0]) == "cloud-init":
            return self.cloud_init_status(command[1:])
        work_dir = args.get("working-directory")
        if work_dir is None and not args.get("no-map-working-directory"):
            work_dir = mapped_working_directory(inst["mounts"])
        return GuestCommand(self.state.rootfs(name), guest_mounts(inst), command_line(command, work_dir))

    def cloud_init_status(self, argv):
        if argv and argv[0] == "status":
            if "--format" in argv or any(a.startswith("--format=") for a in argv):
                self.out.write(json.dumps({"status": "done", "extended_status": "done", "errors": []}) + "\n")
            else:
                self.out.write("status: done\n")
            return 0
        sys.stderr.write("fake multipass: only `cloud-init status` is emulated inside instances\n")
        return 1

    def transfer(self, argv):
        args = Args(argv, flags=("recursive", "parents"), aliases={"r": "recursive", "p": "parents"})
        if len(args.positional) < 2:
            raise Exit(1, "Not enough arguments given\n")
        require_daemon("transfer")
        resolved = []
        guest = None
        for spec in args.positional:
            if ":" in spec and not spec.startswith("/"):
                name, _sep, path = spec.partition(":")
                inst = self.instance(name)
                if inst is None or inst["deleted"]:
                    raise errors_occurred("transfer", ['instance "%s" %s' % (
                        name, "does not exist" if inst is None else "is deleted")])
                if inst["state"] != "Running":
                    raise errors_occurred("transfer", ['instance "%s" is not running' % name])
                guest = (self.state.rootfs(name), guest_mounts(inst))
                resolved.append(guest[0] + "/" + (path if path.startswith("/") else HOME + "/" + path).lstrip("/"))
            else:
                resolved.append(os.path.abspath(spec))
        *sources, target = resolved

        def copy():
            for source in sources:
                dest = os.path.join(target, os.path.basename(source)) if os.path.isdir(target) else target
                if args.get("parents"):
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                if os.path.isdir(source):
                    if not args.get("recursive"):
                        raise Exit(1, "[sftp] '%s' is a directory, use --recursive\n" % source)
                    shutil.copytree(source, dest, dirs_exist_ok=True)
                else:
                    shutil.copyfile(source, dest)
        if guest is None:
            copy()
        else:
            in_guest_mounts(guest[0], guest[1], copy)

    # -- settings

    def get(self, argv):
        args = Args(argv, flags=("keys", "raw"))
        if args.get("keys"):
            if args.positional:
                raise Exit(1, "Need at most one setting key.\n")
            keys = sorted(DEFAULT_SETTINGS)
            self.out.write("\n".join(keys) + "\n")
            return
        if len(args.positional) != 1:
            raise Exit(1, "Multiple settings not implemented yet. Please try again with one setting key or just "
                          "the `--keys` option for now.\n" if args.positional else "Need at most one setting key.\n")
        key = args.positional[0]
        if key.startswith("client."):
            if key not in DEFAULT_SETTINGS:
                raise Exit(1, "Unrecognized settings key: '%s'\n" % key)
            value = self.state.settings.get(key, DEFAULT_SETTINGS[key])
        else:
            require_daemon("get")
            value = self.get_local(key)
        self.out.write((value if value or args.get("raw") else "<empty>") + "\n")

    def get_local(self, key):
        match = re.match(r"^local\.(.+)\.(cpus|memory|disk|bridged)$", key)
        if key in DEFAULT_SETTINGS:
            return self.state.settings.get(key, DEFAULT_SETTINGS[key])
        if not match:
            raise failed("get", "Unrecognized settings key: '%s'" % key)
        name, prop = match.groups()
        inst = self.instance(name)
        if inst is None:
            raise failed("get", "Cannot obtain instance settings; instance: %s; reason: No such instance" % name)
        if prop == "cpus":
            return str(inst["cpus"])
        if prop == "bridged":
            return "true" if any(n["name"] == "bridged" for n in inst["networks"]) else "false"
        return human_readable(inst[prop])

    def set(self, argv):
        args = Args(argv)
        if len(args.positional) != 1:
            raise Exit(1, "Need exactly one key-value pair (in <key>=<value> form).\n")
        key, sep, value = args.positional[0].partition("=")
        if not sep or not key:
            raise Exit(1, "Bad key-value format.\n")
        if key.startswith("client."):
            if key not in DEFAULT_SETTINGS:
                raise Exit(1, "Unrecognized settings key: '%s'\n" % key)
            self.state.settings[key] = value
            return
        require_daemon("set")
        match = re.match(r"^local\.(.+)\.(cpus|memory|disk|bridged)$", key)
        invalid = "Invalid setting '%s=%s': %%s" % (key, value)
        if key == "local.driver":
            driver = {"hyper-v": "hyperv", "vbox": "virtualbox"}.get(value.lower(), value.lower())
            if driver not in (DRIVERS_MAIN if is_main() else DRIVERS_1_16):
                raise failed("set", invalid % "Invalid driver")
            self.state.switch_driver(driver)
        elif key == "local.privileged-mounts":
            if value.lower() not in ("true", "false", "on", "off", "yes", "no", "1", "0"):
                raise failed("set", invalid % "Invalid flag, need \"true\" or \"false\"")
            self.state.settings[key] = "true" if value.lower() in ("true", "on", "yes", "1") else "false"
        elif key in DEFAULT_SETTINGS:
            self.state.settings[key] = value
        elif match:
            self.set_instance(match.group(1), match.group(2), value, invalid)
        else:
            raise failed("set", "Unrecognized settings key: '%s'" % key)

    def set_instance(self, name, prop, value, invalid):
        inst = self.instance(name)
        if inst is None or inst["deleted"]:
            raise failed("set", "Cannot update instance settings; instance: %s; reason: %s" % (
                name, "No such instance" if inst is None else "Instance is deleted"))
        if inst["state"] != "Stopped":
            raise failed("set", "Cannot update instance settings; instance: %s; reason: Instance must be stopped "
                                "for modification" % name)
        if prop == "cpus":
            if not re.match(r"^[0-9]+$", value) or int(value) < 1:
                raise failed("set", invalid % "Need a positive integer (in decimal format) of minimum 1")
            inst["cpus"] = int(value)
            return
        if prop == "bridged":
            raise failed("set", invalid % "Removing the bridged network is currently not supported")
        match = MEMORY_SIZE_RE.match(value)
        if not match:
            raise failed("set", invalid % MEMORY_MESSAGE.format(value))
        size = size_bytes(match)
        if size == 0:
            raise failed("set", invalid % "Need a positive size.")
        if prop == "memory":
            minimum = "512M" if is_main() else "128M"
            if size < (512 if is_main() else 128) * MIB:
                raise failed("set", invalid % ("Memory less than %s minimum not allowed" % minimum))
            inst["memory"] = size
        else:
            if size < inst["disk"]:
                raise failed("set", invalid % "Disk can only be expanded")
            inst["disk"] = size

    # -- misc

    def version_cmd(self, argv):
        args = Args(argv, values=("format",))
        down = daemon_failure("version") is not None
        if args.get("format") == "json":
            doc = {"multipass": version()}
            if not down:
                doc["multipassd"] = version()
            self.out.write(emit_json(doc))
        else:
            self.out.write("multipass   %s\n" % version() + ("" if down else "multipassd  %s\n" % version()))

    def find(self, argv):
        args = Args(argv, values=("format",),
                    flags=("show-unsupported", "force-update", "only-images", "only-blueprints"))
        if len(args.positional) > 1:
            raise Exit(1, "Wrong number of arguments\n")
        remote, text = "", None
        if args.positional:
            if args.positional[0].count(":") > 1:
                raise Exit(1, "Invalid remote and search string supplied\n")
            remote, _sep, text = args.positional[0].rpartition(":")
        require_daemon("find")
        if remote and remote not in REMOTES:
            raise failed("find", 'Remote "%s" is unknown or unreachable.' % remote)
        show_images, show_blueprints = not args.get("only-blueprints"), not args.get("only-images")
        found_images = images.offered(is_main(), args.get("show-unsupported")) if show_images else []
        found_blueprints = images.blueprints() if show_blueprints and not remote else []
        if text is not None:
            found_images = images.search(found_images, remote, text)
            found_blueprints = images.search(found_blueprints, "", text)
        elif remote:
            found_images = [e for e in found_images if e["remote"] == ("" if remote == "release" else remote)]

        def listing(entries):
            return {images.image_string(e): self.find_entry(e) for e in entries}
        doc = {"errors": [], "blueprints (deprecated)": listing(found_blueprints), "images": listing(found_images)}
        table = tables.find(found_images, found_blueprints, show_images, show_blueprints)
        return self.output(args.get("format"), doc, table)

    @staticmethod
    def find_entry(entry):
        aliases = images.filter_aliases(entry["aliases"])
        return {"os": entry["os"], "release": entry["release"], "version": entry["version"],
                "aliases": aliases[1:], "remote": entry["remote"]}

    # -- aliases (client side: src/client/cli/cmd/alias.cpp, aliases.cpp, unalias.cpp, prefer.cpp)

    def alias(self, argv):
        args = Args(argv, flags=("no-map-working-directory",), aliases={"n": "no-map-working-directory"})
        if len(args.positional) not in (1, 2):
            raise Exit(1, "Wrong number of arguments given\n")
        instance, colon, command = args.positional[0].partition(":")
        if not colon or not command:
            raise Exit(1, "No command given\n")
        if not instance:
            raise Exit(1, "No instance name given\n")
        name = args.positional[1] if len(args.positional) == 2 else os.path.basename(command)
        if os.path.basename(name) != name:
            raise Exit(1, "Alias has to be a valid filename\n")
        if daemon_failure("info") is not None or self.instance(instance) is None:
            # the client asks `info` for the instance and treats any failure but INVALID_ARGUMENT as the daemon's
            raise Exit(1, "Error retrieving list of instances\n")
        table = aliases.AliasDict()
        if name in table.contexts[table.active]:
            raise Exit(1, "Alias '%s' already exists in current context\n" % name)
        if name in COMMANDS or name in CLIENT_COMMANDS:
            raise Exit(1, "Alias name '%s' clashes with a command name\n" % name)
        first = table.empty()
        table.add(table.active, name, {"instance": instance, "command": command, "working-directory":
                                       "default" if args.get("no-map-working-directory") else "map"}, executable())
        table.save()
        if first and aliases.scripts_folder() not in os.environ.get("PATH", "").split(":"):
            self.out.write(aliases.path_message())

    def aliases_cmd(self, argv):
        args = Args(argv, values=("format",))
        if args.positional:
            raise Exit(1, "This command takes no arguments\n")
        doc = aliases.AliasDict().to_json()
        return self.output(args.get("format"), doc, aliases.table(doc))

    def unalias(self, argv):
        args = Args(argv, flags=("all",))
        if not args.positional and not args.get("all"):
            raise Exit(1, "Name argument or --all is required\n")
        if args.positional and args.get("all"):
            raise Exit(1, "Cannot specify name when --all option set\n")
        table = aliases.AliasDict()
        if args.get("all"):
            found = [(table.active, alias) for alias in sorted(table.contexts[table.active])]
        else:
            found = [table.context_and_alias(name) for name in args.positional]
            bad = [name for name, pair in zip(args.positional, found) if pair is None]
            if bad:
                raise Exit(1, "Nonexistent %s: %s.\n" % ("alias" if len(bad) == 1 else "aliases", ", ".join(bad)))
        for context, alias in found:
            table.remove(context, alias)
        table.save()

    def prefer(self, argv):
        args = Args(argv)
        if len(args.positional) != 1:
            raise Exit(1, "Wrong number of arguments given\n")
        table = aliases.AliasDict()
        table.active = args.positional[0]
        table.contexts.setdefault(table.active, {})
        table.save()

    def run_alias(self, name, argv):
        """argparser.cpp: a word that is no command but an alias runs `exec <instance> -- <command> <args>`, in the
        mapped working directory unless the alias says `default`."""
        table = aliases.AliasDict()
        found = table.get(name)
        if found is None:
            self.out.write('Error: Unknown command or alias \'%s\' (try "multipass help" or "multipass aliases")\n'
                           % name)
            return 1
        definition = table.contexts[found[0]][found[1]]
        rest = argv[1:] if argv[:1] == ["--"] else argv
        flags = ["--no-map-working-directory"] if definition["working-directory"] == "default" else []
        return self.exec_(flags + [definition["instance"], "--"] + shlex.split(definition["command"]) + rest)

    def shell(self, argv):
        """shell.cpp: no name = the primary instance; when that one does not exist the client runs
        `multipass launch --name <primary>` (which mounts the home directory) and connects. The fake's shell is
        bash in the guest reading the commands from standard input."""
        args = Args(argv, values=("timeout",))
        if len(args.positional) > 1:
            raise Exit(1, "Too many arguments given\n")
        primary = self.state.settings.get("client.primary-name", "primary")
        name = args.positional[0] if args.positional else primary
        require_daemon("shell")
        inst = self.instance(name)
        if inst is None and name == primary and primary:
            self.launch(["--name", primary] + (["--timeout", args.get("timeout")] if args.get("timeout") else []))
            self.state.save()
        elif inst is None or inst["deleted"]:
            raise errors_occurred("shell", ['instance "%s" %s' % (name, "does not exist" if inst is None
                                                                  else "is deleted")])
        inst = self.instance(name)
        if inst["state"] != "Running":
            inst["state"] = "Running"
            self.spin("Starting %s" % name)
            self.state.save()
        return GuestCommand(self.state.rootfs(name), guest_mounts(inst), "cd && exec bash -l -s")

    def networks(self, argv):
        args = Args(argv, values=("format",))
        require_daemon("networks")
        if self.lacks("networks"):
            raise self.not_implemented("networks", "networks")
        table = "Name   Type      Description\n" + "".join(
            "%-7s%-10s%s\n" % (n["name"], n["type"], n["description"]) for n in NETWORKS)
        self.output(args.get("format"), {"list": NETWORKS}, table)


# -- the guest: its root file system, its mounts, its shell

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
GUEST_ENV = {"HOME": HOME, "USER": "ubuntu", "LOGNAME": "ubuntu", "SHELL": "/bin/bash", "LANG": "C.UTF-8",
             "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
GUEST_PASSWD = "root:x:0:0:root:/root:/bin/bash\nubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n"
GUEST_GROUP = "root:x:0:\nubuntu:x:1000:\n"


def make_guest_root(root):
    """The skeleton of an Ubuntu root: the guest's own /etc, /home/ubuntu, /tmp; /usr (and /bin, /lib... as
    merged-/usr links) is the host's, bound read-only while a command runs, standing for the image's programs."""
    for directory in ("home/ubuntu", "usr", "dev", "proc", "etc", "root", "var/tmp"):
        os.makedirs(os.path.join(root, directory), exist_ok=True)
    os.makedirs(os.path.join(root, "tmp"), mode=0o1777, exist_ok=True)
    for link in ("bin", "sbin", "lib", "lib64"):
        if not os.path.lexists(os.path.join(root, link)):
            os.symlink("usr/" + link, os.path.join(root, link))
    for name, text in (("passwd", GUEST_PASSWD), ("group", GUEST_GROUP)):
        if not os.path.exists(os.path.join(root, "etc", name)):
            with open(os.path.join(root, "etc", name), "w") as handle:
                handle.write(text)


def mountpoint(root, target):
    """The directory a mount covers in the guest (a symlink there is what an older fake left)."""
    path = root + posixpath.join(HOME, target)
    if os.path.islink(path):
        os.unlink(path)
    os.makedirs(path, exist_ok=True)
    return path


def guest_mounts(inst):
    """(guest path, source) of each mount; a relative target (`Home`, a blueprint's workspace) is under the default
    user's home, where sshfs_mount resolves it."""
    return [(posixpath.join(HOME, target), mount["source_path"]) for target, mount in sorted(inst["mounts"].items())]


def libc_call(name, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, "%s%r: %s" % (name, args, os.strerror(errno)))


def bind(source, target, flags=0):
    libc_call("mount", source.encode() if source else None, target.encode(), None, MS_BIND | flags, None)


def enter_guest_mounts(root, mounts):
    """In a child process: a private mount namespace in which the instance's mounts are bound at their targets in
    its root, as Multipass mounts them inside the guest (the host's own view is left alone)."""
    libc_call("unshare", CLONE_NEWNS)
    libc_call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    for target, source in mounts:
        bind(source, mountpoint(root, target), MS_REC)


def enter_guest(root, mounts):
    """enter_guest_mounts, then the guest's root becomes / and its home the working directory (as SSH logs in)."""
    make_guest_root(root)
    enter_guest_mounts(root, mounts)
    bind("/usr", root + "/usr", MS_REC)
    bind(None, root + "/usr", MS_REMOUNT | MS_RDONLY)
    bind("/dev", root + "/dev", MS_REC)
    bind("/proc", root + "/proc", MS_REC)
    os.chroot(root)
    os.chdir(HOME)


def in_guest_mounts(root, mounts, work):
    """Run work() in a child process inside the instance's mount namespace; an Exit it raises is raised here."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        outcome = [0, ""]
        try:
            enter_guest_mounts(root, mounts)
            work()
        except Exit as exc:
            outcome = [exc.code, exc.err]
        except OSError as exc:
            outcome = [2, "[sftp] %s\n" % exc]
        os.write(write, json.dumps(outcome).encode())
        os._exit(0)  # pylint: disable=protected-access
    os.close(write)
    with os.fdopen(read) as handle:
        report = handle.read()
    os.waitpid(pid, 0)
    code, err = json.loads(report) if report else [2, "[sftp] the copy ended without a word\n"]
    if code:
        raise Exit(code, err)


def mapped_working_directory(mounts):
    """src/client/cli/cmd/exec.cpp: a host working directory inside a mount's source maps to the same place under
    the mount's target (the last matching mount wins)."""
    here = os.path.normpath(os.getcwd()).split("/")
    mapped = None
    for target, mount in mounts.items():
        source = os.path.normpath(mount["source_path"]).split("/")
        if here[:len(source)] == source:
            mapped = target + "/" + "/".join(here[len(source):])
    return mapped


def command_line(command, work_dir):
    """SSHClient::exec: every argument shell-quoted, `cd <dir>` joined with `&&`; the guest's shell runs it."""
    line = " ".join(shlex.quote(arg) for arg in command)
    return "cd %s&&%s" % (shlex.quote(work_dir), line) if work_dir else line


class GuestCommand:
    """A command for the guest's shell, run once the state lock is released: bash -c <line> with the guest's root
    as /, its home as working directory and a login environment (nothing of the caller's environment)."""

    def __init__(self, root, mounts, line):
        self.root = root
        self.mounts = mounts
        self.line = line

    def __call__(self, stdout):
        stdout.flush()
        try:
            return subprocess.call(["/bin/bash", "-c", self.line], env=GUEST_ENV,
                                   preexec_fn=lambda: enter_guest(self.root, self.mounts))
        except subprocess.SubprocessError:
            sys.stderr.write("exec failed: cannot enter the instance (the fake needs root for a mount namespace)\n")
            return 255


def check_source(source, what):
    if not os.path.exists(source):
        raise Exit(1, '%s "%s" does not exist\n' % (what, source))
    if not os.path.isdir(source):
        raise Exit(1, '%s "%s" is not a directory\n' % (what, source))
    if not os.access(source, os.R_OK):
        raise Exit(1, '%s "%s" is not readable\n' % (what, source))


COMMANDS = {
    "launch": "launch", "list": "list", "ls": "list", "info": "info", "start": "start", "stop": "stop",
    "restart": "restart", "suspend": "suspend", "delete": "delete", "recover": "recover", "purge": "purge",
    "mount": "mount", "umount": "umount", "unmount": "umount", "snapshot": "snapshot", "restore": "restore",
    "exec": "exec", "transfer": "transfer", "copy-files": "transfer", "get": "get", "set": "set",
    "version": "version", "networks": "networks", "find": "find", "shell": "shell", "sh": "shell",
    "connect": "shell",
}
# commands of the client alone (no daemon call); the table above is the daemon's
CLIENT_COMMANDS = {"alias": "alias", "aliases": "aliases_cmd", "unalias": "unalias", "prefer": "prefer"}


def executable():
    """The client's own path, as the alias scripts name it (QCoreApplication::applicationFilePath)."""
    return os.environ.get("MULTIPASS_FAKE_EXE") or os.path.abspath(sys.argv[0])


def client_certificate():
    """src/client/common/client_common.cpp make_secure_channel: the client makes its certificate and key in the
    common client certificate directory when they are missing, before any command runs."""
    data = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    directory = os.path.join(data, "multipass-client-certificate")
    cert, key = (os.path.join(directory, name) for name in ("multipass_cert.pem", "multipass_cert_key.pem"))
    if os.path.exists(cert) and os.path.exists(key):
        return
    os.makedirs(directory, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-subj", "/CN=localhost", "-days", "3650", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)


def run(argv, stdout=None):
    """Run one fake command; returns the exit code."""
    stdout = stdout or sys.stdout
    client_certificate()
    argv = [a for a in argv if a not in ("-v", "-vv", "-vvv", "-vvvv", "--verbose")]
    if not argv or argv[0] in ("help", "-h", "--help"):
        stdout.write("Usage: multipass [options] <command>\nCreate, control and connect to Ubuntu instances.\n")
        return 0
    command = COMMANDS.get(argv[0]) or CLIENT_COMMANDS.get(argv[0])
    with contextlib.ExitStack() as stack:
        state = stack.enter_context(State(state_dir()))
        fake = Fake(state, stdout)
        try:
            if command is None:
                code = fake.run_alias(argv[0], argv[1:])
            elif command in ("start", "stop", "restart", "suspend"):
                code = fake.lifecycle(command, argv[1:])
            elif command == "exec":
                code = fake.exec_(argv[1:])
            elif command == "version":
                code = fake.version_cmd(argv[1:])
            else:
                code = getattr(fake, command)(argv[1:])
        except Exit as exc:
            stdout.write(exc.out)
            stdout.flush()
            sys.stderr.write(exc.err)
            state.save()
            return exc.code
        state.save()
    if isinstance(code, GuestCommand):
        return code(stdout)
    stdout.flush()
    return code or 0


def main():
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
