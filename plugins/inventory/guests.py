# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: guests
short_description: Every guest of LXD/Incus, libvirt and Multipass, grouped and reachable
description:
  - Lists the instances of one or more LXD or Incus daemons (all projects, a list of projects or one), of one or more
    libvirt connection URIs and of Multipass, with one listing call per backend and project
    (LXD C(GET /1.0/instances?recursion=1) plus the DHCP leases of each network the running instances use;
    libvirt C(getAllDomainStats) plus the DHCP leases of the active networks once; one
    C(multipass info --format json)). Only a running guest whose address no lease gives costs one more call
    (LXD C(/state), the libvirt guest agent).
  - Each host gets a working C(ansible_connection) for its backend. LXD guests use P(workstation.vms.lxd#connection) with the
    instance B(name), project and daemon (the connection never uses the IP address to find the instance);
    libvirt guests use C(ssh) to their first IPv4 address; Multipass guests use P(workstation.vms.multipass#connection).
  - Host names are the guest names. When two guests on different backends, projects or libvirt URIs share a name, both
    are renamed to C(<name>.<source>) where C(<source>) is C(lxd), C(lxd-<project>) for an LXD project other than
    C(default), C(lxd<N>-...) for the Nth LXD block when there are several, C(libvirt) or C(libvirt<N>) for the Nth URI
    when there are several, and C(multipass). Set O(qualified_names=true) to always use the qualified names.
  - Default groups are C(lxd), C(libvirt) and C(multipass) (by backend), C(running), C(stopped), ... (by state) and
    C(label_<key>_<value>) (by label). O(keyed_groups), O(groups) and O(compose) add your own.
  - A backend that cannot be reached is a warning (its guests are left out), or an error with O(strict=true).
  - The configuration file must end in C(guests.yml) or C(guests.yaml).
version_added: 0.1.0
author: workstation.vms contributors (@workstation-vms)
requirements:
  - pylxd for the LXD backend, libvirt-python for the libvirt backend, the C(multipass) CLI for Multipass.
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: Marks this file as a configuration of this plugin.
    type: str
    required: true
    choices: [workstation.vms.guests]
  backends:
    description:
      - One block per backend; a backend that is not named is not listed.
      - With no O(backends) at all, LXD on its default socket is listed.
    type: dict
    default: {lxd: {}}
    suboptions:
      lxd:
        description:
          - The LXD or Incus daemon to list; a list of such blocks lists several daemons (e.g. LXD and Incus).
          - Keys C(socket) (unix socket path) or C(url) (HTTPS), C(client_cert), C(client_key), C(server_cert),
            C(verify) (default true), C(projects) (a project name, a list of names, or V(all); default C(default)),
            C(cli) (V(lxc) or V(incus); the CLI the P(workstation.vms.lxd#connection) connection uses; defaults to V(incus) when
            the socket path contains C(incus), else V(lxc)), C(remote) (name of the CLI remote for this daemon, needed
            for the connection when C(url) is used), C(preferred_nics) (interface name globs, in order, saying which
            addresses come after those of the guest's own NICs in C(vm_ipv4) and C(ansible_host); bridges made inside
            a guest, such as C(docker0) or C(br-*), are never used unless named here; as in
            M(workstation.vms.lxd_instance)).
          - C(full_state) (default false) asks the daemon for every instance's full state in one
            C(GET /1.0/instances?recursion=2) instead, which it computes for each instance (disk, memory, processes;
            about 20 ms each). Without it, a running instance's addresses come from the leases of its networks, and
            from its C(/state) only where a NIC has no single IPv4 lease or its network has IPv6 (addresses the guest
            picks itself); the host variables are the same either way.
        type: raw
      libvirt:
        description:
          - Keys C(uri) (one connection URI or a list; default V(qemu:///system)) and C(ssh_user) (the user
            Ansible logs in as over SSH; default V(debian)).
        type: dict
      multipass:
        description:
          - Keys C(executable) (default V(multipass)) and C(label_store) (where the labels of Multipass guests are
            kept, as for M(workstation.vms.multipass_instance)). The guests and their labels are those of the
            Multipass driver in use (C(multipass get local.driver)); each driver has its own instances.
        type: dict
  filters:
    description:
      - Which guests become hosts.
      - C(state) is a state or list of states (V(running), V(stopped), V(frozen), V(paused), V(suspended), ...) or
        V(all); default V(running).
      - C(backend) is a backend name or list of them.
      - C(labels) is a dict; a guest is kept when each key is present with the given value (or one of a list of
        values; V(null) means any value).
    type: dict
    default: {}
  default_groups:
    description: Add the default groups by backend, by state and by label.
    type: bool
    default: true
  qualified_names:
    description: Always name hosts C(<name>.<source>) instead of only when names collide.
    type: bool
    default: false
  strict:
    description:
      - Besides the meaning in the O(compose) and O(groups) documentation, an unreachable backend is an error rather
        than a warning.
"""

EXAMPLES = r"""
# workstation.guests.yml: every running guest of LXD, libvirt and Multipass
plugin: workstation.vms.guests
backends:
  lxd: {}
  libvirt:
    uri: qemu:///system
    ssh_user: debian
  multipass: {}

# lab.guests.yml: LXD and Incus at once, all projects, stopped guests too, grouped by label
plugin: workstation.vms.guests
backends:
  lxd:
    - socket: /var/lib/lxd/unix.socket
      projects: all
    - socket: /var/lib/incus/unix.socket
      cli: incus
filters:
  state: all
  labels:
    env: [dev, test]
keyed_groups:
  - key: vm_labels.role
    prefix: role
compose:
  ansible_user: "'ubuntu' if vm_backend == 'multipass' else omit"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/workstation-vms-inventory
cache_timeout: 300
"""

import re

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

BACKENDS = ("lxd", "libvirt", "multipass")
DEFAULT_SSH_USER = "debian"
# Backend state words -> one vocabulary (LXD "Running", libvirt "shutoff", Multipass "Delayed Shutdown", ...).
_STATE_MAP = {
    "started": "running", "delayed_shutdown": "running", "shutoff": "stopped", "shut_off": "stopped",
    "shutdown": "stopped", "crashed": "error", "pmsuspended": "suspended", "blocked": "running",
}


def normalize_state(state):
    word = re.sub(r"[\s\-]+", "_", str(state or "unknown").strip().lower())
    return _STATE_MAP.get(word, word)


def _as_list(value, option):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, (str, int)):
        return [str(value)]
    raise AnsibleParserError("%s: expected a string or a list of strings, got %r" % (option, value))


def _check_keys(block, allowed, option):
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise AnsibleParserError("%s: expected a dict, got %r" % (option, block))
    unknown = sorted(set(block) - set(allowed))
    if unknown:
        raise AnsibleParserError("%s: unknown key(s) %s; allowed: %s"
                                 % (option, ", ".join(unknown), ", ".join(sorted(allowed))))
    return block


LXD_KEYS = ("socket", "url", "client_cert", "client_key", "server_cert", "verify", "projects", "cli", "remote",
            "preferred_nics", "full_state")
LIBVIRT_KEYS = ("uri", "ssh_user")
MULTIPASS_KEYS = ("executable", "label_store")


def parse_backends(backends):
    """Validate the `backends` option; return a list of listing jobs (one per daemon+project / URI / CLI)."""
    backends = _check_keys(backends if backends is not None else {"lxd": {}}, BACKENDS, "backends")
    jobs = []
    if "lxd" in backends:
        blocks = backends["lxd"]
        blocks = blocks if isinstance(blocks, list) else [blocks or {}]
        for index, block in enumerate(blocks):
            where = "backends.lxd" + ("[%d]" % index if len(blocks) > 1 else "")
            block = _check_keys(block or {}, LXD_KEYS, where)
            if block.get("socket") and block.get("url"):
                raise AnsibleParserError("%s: give either socket or url, not both" % where)
            if not isinstance(block.get("full_state", False), bool):
                raise AnsibleParserError("%s.full_state: expected true or false, got %r" % (where, block["full_state"]))
            cli = block.get("cli") or ("incus" if "incus" in str(block.get("socket") or "") else "lxc")
            if cli not in ("lxc", "incus"):
                raise AnsibleParserError("%s.cli: '%s' is not one of lxc, incus" % (where, cli))
            projects = block.get("projects", "default")
            all_projects = projects == "all"
            projects = [None] if all_projects else _as_list(projects, where + ".projects") or ["default"]
            for project in projects:
                qualifier = "lxd%d" % (index + 1) if len(blocks) > 1 else "lxd"
                jobs.append(dict(backend="lxd", where=where, block=block, cli=cli, project=project,
                                 all_projects=all_projects, qualifier=qualifier,
                                 label="%s %s%s" % (where, block.get("url") or block.get("socket") or "default socket",
                                                    "" if all_projects else " project %s" % project)))
    if "libvirt" in backends:
        block = _check_keys(backends["libvirt"] or {}, LIBVIRT_KEYS, "backends.libvirt")
        uris = _as_list(block.get("uri"), "backends.libvirt.uri") or ["qemu:///system"]
        for index, uri in enumerate(uris):
            jobs.append(dict(backend="libvirt", where="backends.libvirt", uri=uri,
                             ssh_user=block.get("ssh_user") or DEFAULT_SSH_USER,
                             qualifier="libvirt%d" % (index + 1) if len(uris) > 1 else "libvirt",
                             label="backends.libvirt %s" % uri))
    if "multipass" in backends:
        block = _check_keys(backends["multipass"] or {}, MULTIPASS_KEYS, "backends.multipass")
        jobs.append(dict(backend="multipass", where="backends.multipass",
                         executable=block.get("executable") or "multipass", label_store=block.get("label_store"),
                         qualifier="multipass", label="backends.multipass %s" % (block.get("executable") or "multipass")))
    return jobs


def list_job(job):
    """One listing call for one job; returns the backend's instance_result dicts."""
    if job["backend"] == "lxd":
        from ansible_collections.workstation.vms.plugins.module_utils.lxd import LxdClient
        block = job["block"]
        client = LxdClient.from_params(block, project=job["project"], target=None, trust_token=None)
        return client.guests(all_projects=job["all_projects"], full_state=block.get("full_state", False),
                             prefer=_as_list(block.get("preferred_nics"), job["where"] + ".preferred_nics"))
    if job["backend"] == "libvirt":
        from ansible_collections.workstation.vms.plugins.module_utils.libvirt_client import LibvirtClient
        return LibvirtClient(job["uri"]).guests()
    from ansible_collections.workstation.vms.plugins.module_utils.multipass import MultipassCli
    kwargs = dict(executable=job["executable"])
    if job.get("label_store"):
        kwargs["label_store"] = job["label_store"]
    return MultipassCli(**kwargs).guests()


def _first_address(addresses):
    for address in addresses or []:
        address = str(address).split("/", maxsplit=1)[0]
        if address and not address.startswith("127."):
            return address
    return None


def connection_vars(job, guest):
    """The ansible_* variables that make `-m ping` work for this guest."""
    name = guest["name"]
    ipv4 = _first_address(guest.get("ipv4"))
    if job["backend"] == "lxd":
        block = job["block"]
        hostvars = dict(ansible_connection="workstation.vms.lxd", ansible_lxd_instance=name,
                        ansible_lxd_cli=job["cli"],
                        ansible_lxd_project=guest.get("project") or job["project"] or "default")
        if block.get("socket"):
            hostvars["ansible_lxd_socket"] = block["socket"]
        if block.get("remote"):
            hostvars["ansible_lxd_remote"] = block["remote"]
    elif job["backend"] == "libvirt":
        hostvars = dict(ansible_connection="ssh", ansible_user=job["ssh_user"])
    else:
        hostvars = dict(ansible_connection="workstation.vms.multipass", ansible_multipass_instance=name)
        if job["executable"] != "multipass":
            hostvars["ansible_multipass_executable"] = job["executable"]
    if ipv4:
        hostvars["ansible_host"] = ipv4
    return hostvars


def describe(job, guest):
    """A guest as cached and as turned into a host: backend result + our vm_* and connection variables."""
    project = guest.get("project") or job.get("project")
    qualifier = job["qualifier"]
    if job["backend"] == "lxd" and project and project != "default":
        qualifier = "%s-%s" % (qualifier, project)
    hostvars = dict(vm_name=guest["name"], vm_backend=job["backend"], vm_state=normalize_state(guest.get("state")),
                    vm_type=guest.get("type") or "", vm_ipv4=list(guest.get("ipv4") or []),
                    vm_ipv6=list(guest.get("ipv6") or []), vm_labels=dict(guest.get("labels") or {}),
                    vm_image=guest.get("image"), vm_cpus=guest.get("cpus"), vm_memory=guest.get("memory"),
                    vm_disk=guest.get("disk"))
    if job["backend"] == "lxd":
        hostvars["vm_project"] = project or "default"
    if job["backend"] == "libvirt":
        hostvars["vm_uri"] = job["uri"]
    hostvars.update(connection_vars(job, guest))
    return dict(name=guest["name"], qualified="%s.%s" % (guest["name"], qualifier), hostvars=hostvars)


def assign_names(described, qualified_names=False):
    """Host names: the guest name when it is unique, else (or always, if asked) `<name>.<source>`."""
    counts = {}
    for item in described:
        counts[item["name"]] = counts.get(item["name"], 0) + 1
    return [(item["qualified"] if qualified_names or counts[item["name"]] > 1 else item["name"], item)
            for item in described]


def parse_filters(filters):
    filters = _check_keys(filters or {}, ("state", "backend", "labels"), "filters")
    states = [normalize_state(s) for s in _as_list(filters.get("state", "running"), "filters.state")]
    backends = _as_list(filters.get("backend"), "filters.backend")
    for backend in backends:
        if backend not in BACKENDS:
            raise AnsibleParserError("filters.backend: '%s' is not one of %s" % (backend, ", ".join(BACKENDS)))
    labels = filters.get("labels") or {}
    if not isinstance(labels, dict):
        raise AnsibleParserError("filters.labels: expected a dict of label: value, got %r" % (labels,))
    return dict(states=None if "all" in states else set(states), backends=set(backends),
                labels={str(k): (None if v is None else set(_as_list(v, "filters.labels.%s" % k)))
                        for k, v in labels.items()})


def keep(hostvars, filters):
    if filters["states"] is not None and hostvars["vm_state"] not in filters["states"]:
        return False
    if filters["backends"] and hostvars["vm_backend"] not in filters["backends"]:
        return False
    labels = hostvars["vm_labels"]
    for key, wanted in filters["labels"].items():
        if key not in labels or (wanted is not None and str(labels[key]) not in wanted):
            return False
    return True


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "workstation.vms.guests"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("guests.yml", "guests.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        config = self._read_config_data(path)
        # Ansible sets the options it knows and drops the rest silently: a misspelt option would just not apply.
        unknown = sorted(set(config) - set(self._options))
        if unknown:
            raise AnsibleParserError("%s: unknown option '%s' (options of %s: %s)"
                                     % (path, unknown[0], self.NAME, ", ".join(sorted(self._options))))
        jobs = parse_backends(self.get_option("backends"))
        filters = parse_filters(self.get_option("filters"))

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        described = None
        if use_cache:
            try:
                described = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if described is None:
            described = self._list(jobs)
        if update_cache:
            self._cache[cache_key] = described
        self._populate(described, filters)

    def _list(self, jobs):
        """Run every listing (in parallel: they wait on different daemons) and describe the guests."""
        results = [None] * len(jobs)
        if len(jobs) > 1:
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
                futures = [pool.submit(self._run, job) for job in jobs]
                results = [f.result() for f in futures]
        elif jobs:
            results = [self._run(jobs[0])]
        described = []
        for job, (guests, error) in zip(jobs, results):
            if error is not None:
                message = "workstation.vms.guests: %s could not be listed: %s" % (job["label"], error)
                if self.get_option("strict"):
                    raise AnsibleError(message)
                self.display.warning(message + " (its guests are left out; strict: true makes this an error)")
                continue
            described.extend(describe(job, guest) for guest in guests)
        return described

    @staticmethod
    def _run(job):
        try:
            return list_job(job), None
        except Exception as exc:  # any failure of one backend must not hide the others
            return None, to_native(exc) or exc.__class__.__name__

    def _populate(self, described, filters):
        strict = self.get_option("strict")
        for host, item in assign_names(described, self.get_option("qualified_names")):
            hostvars = item["hostvars"]
            if not keep(hostvars, filters):
                continue
            self.inventory.add_host(host)
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            if self.get_option("default_groups"):
                names = [hostvars["vm_backend"], hostvars["vm_state"]]
                names += ["label_%s_%s" % (k, v) for k, v in sorted(hostvars["vm_labels"].items())]
                for name in names:
                    group = self.inventory.add_group(self._sanitize_group_name(name))
                    self.inventory.add_child(group, host)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)
