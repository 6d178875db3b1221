# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""All talk with LXD and Incus: LxdClient, image sources, the settings lxd_instance manages.

Transport. Reads (GET) go over the standard library (HTTP/1.1 on the unix socket with the socket module alone,
or http.client over HTTPS with the client certificate and server pinning): a no-op module run and an inventory
listing then cost one request and never pay the ~0.13 s of ``import pylxd``, nor, on the socket, the import of
http.client, ssl and the email package (~40 ms; modules run from a zip, so every import is compiled afresh).
Writes (create, update, state changes, exec, delete, certificate registration) go through pylxd's API session,
imported only when a write happens.

Labels. A label ``<key>: <value>`` is the config key ``user.label.<key>`` (LABEL_PREFIX). Other ``user.*``
keys (``user.user-data``, ``user.meta-data``, ``user.vendor-data``, ``user.network-config`` that cloud-init
reads on LXD, and keys set by other tools) are never labels, so managing labels never touches them.

Connection. ``url`` (https://host:8443) or a unix ``socket``; without either, the first existing socket of
$LXD_DIR/$INCUS_DIR, /var/snap/lxd/common/lxd, /var/lib/lxd, /var/lib/incus. Over HTTPS: ``client_cert``/
``client_key``; ``server_cert`` pins the server certificate (its SHA-256 must match, host name not
checked), else ``verify`` checks the chain and host name against the system CAs; ``trust_token``
registers the client certificate the first time the server answers "not trusted" (HTTP 403).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket as _socket
import time
from urllib.parse import quote, unquote, urlencode, urlparse

from ansible_collections.workstation.vms.plugins.module_utils.common import (
    InputError, check_keys, instance_result, order_nics, parse_size)

LABEL_PREFIX = "user.label."
CLOUD_INIT_KEY = "cloud-init.user-data"
# Config keys whose values cloud-init reads as user/vendor data: they may hold secrets, shown only as digests.
USER_DATA_KEYS = (CLOUD_INIT_KEY, "cloud-init.vendor-data", "user.user-data", "user.vendor-data")
DEFAULT_SOCKETS = ("/var/snap/lxd/common/lxd/unix.socket", "/var/lib/lxd/unix.socket", "/var/lib/incus/unix.socket")
# The image remotes each daemon's own CLI starts with (`lxc remote list` / `incus remote list` on a fresh
# install), by the daemon GET /1.0 names in environment.server; the `remotes` option adds or overrides entries.
# The URLs are the CLIs' own, byte for byte: LXD 5.21+/6.x canonical/lxd lxc/config/default.go (ImagesRemote
# images.lxd.canonical.com since images.linuxcontainers.org stopped serving LXD in 2024; the ubuntu-minimal ones
# end in "/"), Incus 6.x lxc/incus internal/cliconfig/default.go (images only, no ubuntu:).
_UBUNTU = "https://cloud-images.ubuntu.com/"
BUILTIN_REMOTES = {
    "lxd": {
        "images": "https://images.lxd.canonical.com",
        "ubuntu": _UBUNTU + "releases",
        "ubuntu-daily": _UBUNTU + "daily",
        "ubuntu-minimal": _UBUNTU + "minimal/releases/",
        "ubuntu-minimal-daily": _UBUNTU + "minimal/daily/",
    },
    "incus": {
        "images": "https://images.linuxcontainers.org",
    },
}
DAEMON_NAMES = {"lxd": "LXD", "incus": "Incus"}
# Local config keys that belong to LXD itself: never compared, never reported, never removed.
IGNORED_PREFIXES = ("volatile.", "image.")
CONNECTION_OPTIONS = ("socket", "url", "client_cert", "client_key", "server_cert", "verify", "project", "target",
                      "trust_token")
NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,62}$")
FINGERPRINT_RE = re.compile(r"^[0-9a-f]{12,64}$")
# Container settings LXD applies only at the next start.
CONTAINER_RESTART_PREFIXES = ("raw.", "security.privileged", "security.idmap.", "security.nesting",
                              "security.syscalls.", "linux.kernel_modules", "limits.kernel.", "nvidia.")
# Virtual-machine settings LXD 5.0 changes on a running VM; everything else waits for a restart.
VM_LIVE_PREFIXES = ("user.", "cloud-init.", "environment.", "snapshots.", "boot.", "security.protection.",
                    "security.agent.metrics")


class LxdError(Exception):
    """An error answer of the daemon (or no daemon at all); `status` is the HTTP status when there is one."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class OperationTimeout(LxdError):
    """A daemon operation still runs when its wait is over (it goes on on the daemon)."""


class _UnixHttp:
    """Keep-alive HTTP/1.1 GETs over a unix socket: what LXD and Incus answer (Content-Length or chunked bodies)."""

    def __init__(self, path, timeout):
        self._path, self._timeout = path, timeout
        self._sock = self._file = None

    def get(self, path):
        """(status, body) of GET `path`; OSError or ValueError when the connection breaks or the answer is bad."""
        if self._sock is None:
            self._sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            self._sock.settimeout(self._timeout)
            self._sock.connect(self._path)
            self._file = self._sock.makefile("rb")
        self._sock.sendall(("GET %s HTTP/1.1\r\nHost: lxd\r\n\r\n" % path).encode("ascii"))
        status_line = self._file.readline()
        if not status_line:
            raise OSError("the daemon closed the connection")
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise ValueError("not an HTTP answer: %r" % status_line[:80])
        status = int(parts[1])
        headers = {}
        while True:
            line = self._file.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            key, _sep, value = line.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b"".join(iter(self._chunk, b""))
        elif "content-length" in headers:
            body = self._exactly(int(headers["content-length"]))
        else:
            body = self._file.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def _chunk(self):
        size = int(self._file.readline().split(b";", 1)[0], 16)
        data = self._exactly(size)
        if size == 0:
            while self._file.readline() not in (b"\r\n", b"\n", b""):
                pass   # trailers
            return b""
        self._file.readline()
        return data

    def _exactly(self, size):
        data = self._file.read(size)
        if len(data) != size:
            raise OSError("the daemon closed the connection mid-answer")
        return data

    def close(self):
        for thing in (self._file, self._sock):
            if thing is not None:
                thing.close()
        self._sock = self._file = None


class _Https:
    """GETs over one http.client HTTPS connection (imported only here: the socket never needs it)."""

    def __init__(self, conn):
        self.conn = conn

    def get(self, path):
        import http.client  # pylint: disable=import-outside-toplevel
        try:
            self.conn.request("GET", path, headers={"Host": "lxd"})
            response = self.conn.getresponse()
            return response.status, response.read()
        except http.client.HTTPException as exc:
            raise OSError(str(exc) or exc.__class__.__name__)

    def close(self):
        self.conn.close()


def find_socket(socket=None):
    """The unix socket to use: the given one, $LXD_DIR / $INCUS_DIR, else the first existing default."""
    if socket:
        return socket
    candidates = [os.path.join(os.environ[var], "unix.socket") for var in ("LXD_DIR", "INCUS_DIR")
                  if os.environ.get(var)]
    for path in candidates + list(DEFAULT_SOCKETS):
        if os.path.exists(path):
            return path
    raise LxdError("no LXD or Incus socket found (looked at %s); give `socket` or `url`"
                   % ", ".join(candidates + list(DEFAULT_SOCKETS)))


def cert_fingerprint(pem_or_der):
    """SHA-256 (hex) of a certificate given as PEM text or DER bytes."""
    if isinstance(pem_or_der, str):
        import ssl  # pylint: disable=import-outside-toplevel
        pem_or_der = ssl.PEM_cert_to_DER_cert(pem_or_der)
    return hashlib.sha256(pem_or_der).hexdigest()


class LxdClient:
    """A client of one LXD or Incus server (one project), usable with or without an AnsibleModule."""

    def __init__(self, socket=None, url=None, client_cert=None, client_key=None, server_cert=None, verify=True,
                 project=None, target=None, trust_token=None, timeout=30, operation_timeout=None):
        if socket and url:
            raise InputError("socket and url: give one of them, not both")
        if url:
            parsed = urlparse(url)
            if parsed.scheme != "https" or not parsed.hostname:
                raise InputError("url: '%s' must look like https://host:8443" % url)
            self.url, self.socket = url.rstrip("/"), None
            self._host, self._port = parsed.hostname, parsed.port or 8443
        else:
            self.url, self.socket = None, find_socket(socket)
        for option, path in (("client_cert", client_cert), ("client_key", client_key), ("server_cert", server_cert)):
            if path and not os.path.isfile(path):
                raise InputError("%s: file '%s' does not exist; give the path of a PEM file" % (option, path))
        if client_key and not client_cert:
            raise InputError("client_key: needs client_cert (the certificate the key belongs to)")
        self.client_cert, self.client_key = client_cert, client_key
        self.server_cert, self.verify = server_cert, verify
        self.project, self.target, self.trust_token = project, target, trust_token
        self.timeout = timeout
        # how long a daemon operation (create, start, a busy instance's running operation) is waited for
        self.operation_timeout = operation_timeout or max(timeout, 60)
        self.calls = 0            # API requests made: the benchmark and the tests count them
        self.registered = False   # the client certificate was registered with trust_token in this run
        self._conn = None
        self._pylxd = None
        self._info = None

    @classmethod
    def from_params(cls, params, **overrides):
        """A client from the connection options (connection_argument_spec) of a module or an inventory block."""
        kwargs = {key: params.get(key) for key in CONNECTION_OPTIONS}
        kwargs["verify"] = params.get("verify", True) is not False
        kwargs.update(overrides)
        return cls(**kwargs)

    # ---- transport -------------------------------------------------------------------------------
    def _ssl_context(self):
        import ssl  # pylint: disable=import-outside-toplevel
        if self.server_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE   # pinned below: the fingerprint must match exactly
        else:
            ctx = ssl.create_default_context()
            if not self.verify:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
        if self.client_cert:
            try:
                ctx.load_cert_chain(self.client_cert, self.client_key)
            except (ssl.SSLError, OSError) as exc:
                raise InputError("client_cert, client_key: cannot load the client certificate %s%s: %s; give a PEM "
                                 "certificate and its key (without a passphrase)"
                                 % (self.client_cert, " with key %s" % self.client_key if self.client_key else "", exc))
        return ctx

    def _pinned_fingerprint(self):
        try:
            with open(self.server_cert, encoding="utf-8") as handle:
                return cert_fingerprint(handle.read())
        except (OSError, ValueError) as exc:
            raise InputError("server_cert: cannot read a PEM certificate from %s: %s" % (self.server_cert, exc))

    def _connection(self):
        if self._conn is None:
            if self.socket:
                self._conn = _UnixHttp(self.socket, self.timeout)
            else:
                import http.client  # pylint: disable=import-outside-toplevel
                import ssl  # pylint: disable=import-outside-toplevel
                conn = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout,
                                                   context=self._ssl_context())
                try:
                    conn.connect()
                except ssl.SSLError as exc:
                    raise LxdError("url: TLS with %s failed: %s (check server_cert, client_cert and verify)"
                                   % (self.url, exc))
                except OSError as exc:
                    raise LxdError("url: cannot reach %s: %s; check the url and that the server listens there "
                                   "(lxc config get core.https_address)" % (self.url, exc))
                if self.server_cert:
                    wanted = self._pinned_fingerprint()
                    seen = cert_fingerprint(conn.sock.getpeercert(binary_form=True))
                    if seen != wanted:
                        conn.close()
                        raise LxdError("server_cert: the server's certificate (sha256 %s) is not the pinned one "
                                       "(sha256 %s)" % (seen, wanted))
                self._conn = _Https(conn)
        return self._conn

    def _path(self, path, params=None):
        query = dict(params or {})
        if self.project and "project" not in query and not query.get("all-projects"):
            query["project"] = self.project
        return "/1.0" + path + ("?" + urlencode(query) if query else "")

    def _get(self, path, params=None, raw=False):
        """GET over the standard library; returns the parsed answer (or the body text when raw)."""
        full = self._path(path, params)
        for attempt in (1, 2):
            conn = self._connection()
            try:
                status, body = conn.get(full)
                break
            except (OSError, ValueError) as exc:
                conn.close()
                self._conn = None
                if attempt == 2:
                    option = "url" if self.url else "socket"
                    raise LxdError("%s: cannot reach %s: %s" % (option, self.url or self.socket, exc))
        self.calls += 1
        if raw and status == 200:
            return body.decode("utf-8", "replace")
        return self._check(status, body, "GET " + full)

    @staticmethod
    def _check(status, body, what):
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise LxdError("%s: HTTP %s, not a JSON answer: %r" % (what, status, body[:200]), status)
        if status >= 400 or data.get("type") == "error":
            raise LxdError("%s: %s" % (what, data.get("error") or "HTTP %s" % status), data.get("error_code") or status)
        return data

    def _session(self):
        """pylxd's API root, made on the first write (importing pylxd costs ~0.13 s)."""
        if self._pylxd is None:
            try:
                import pylxd  # pylint: disable=import-outside-toplevel
            except ImportError:
                raise LxdError("the Python library pylxd is required to change instances; pip install pylxd")
            cert = (self.client_cert, self.client_key) if self.client_cert else None
            endpoint = self.url or self.socket
            try:
                session = self._tls_session(cert) if self.url else None
                self._pylxd = pylxd.Client(endpoint=endpoint, cert=cert, verify=self.verify, project=self.project,
                                           timeout=self.timeout, session=session)
            except Exception as exc:  # pylint: disable=broad-except
                raise LxdError("%s: cannot connect to %s: %s" % ("url" if self.url else "socket", endpoint, exc))
            self.calls += 1  # pylxd asks GET /1.0 when it connects
        return self._pylxd.api

    def _tls_session(self, cert):
        """pylxd's requests session, checking the server as the reads do: the pinned certificate exactly, or
        the system CAs, or nothing (verify=false). $REQUESTS_CA_BUNDLE must not turn checks back on."""
        import requests  # pylint: disable=import-outside-toplevel
        from requests.adapters import HTTPAdapter  # pylint: disable=import-outside-toplevel
        session = requests.Session()
        session.cert = cert
        if self.server_cert:
            fingerprint = self._pinned_fingerprint()

            class PinnedAdapter(HTTPAdapter):
                def init_poolmanager(self, *args, **kwargs):
                    kwargs.update(assert_fingerprint=fingerprint, cert_reqs="CERT_NONE", assert_hostname=False)
                    super().init_poolmanager(*args, **kwargs)

            session.mount("https://", PinnedAdapter())
        if self.server_cert or not self.verify:
            session.verify = False
            session.trust_env = False
        return session

    def _write(self, method, path, body=None, params=None, wait=True, timeout=None):
        """POST/PUT/PATCH/DELETE through pylxd; waits for the operation LXD starts, returns its metadata."""
        node = self._session()
        for segment in path.strip("/").split("/"):
            node = node[segment]
        kwargs = {"params": dict(params or {})}
        if body is not None:
            kwargs["json"] = body
        try:
            response = getattr(node, method.lower())(**kwargs)
        except Exception as exc:  # pylint: disable=broad-except
            raise self._pylxd_error(exc, "%s %s" % (method, path))
        self.calls += 1
        try:
            data = response.json()
        except ValueError:
            data = {}
        if data.get("type") == "async" and wait:
            return self.wait_operation(data["operation"], timeout)
        return data.get("metadata")

    @staticmethod
    def _pylxd_error(exc, what):
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        message = str(exc)
        try:
            message = response.json().get("error") or message
        except Exception:  # pylint: disable=broad-except
            pass
        return LxdError("%s: %s" % (what, message), status)

    def wait_operation(self, operation, timeout=None):
        """Wait for an operation ("/1.0/operations/<id>" or its id); raise LxdError when it failed."""
        op_id = operation.rstrip("/").rsplit("/", 1)[-1]
        timeout = timeout or self.operation_timeout
        deadline = time.monotonic() + timeout
        while True:
            left = max(1, int(deadline - time.monotonic()))
            try:
                meta = self._get("/operations/%s/wait" % op_id, {"timeout": min(left, 30)})["metadata"]
            except LxdError as exc:
                # Incus answers a wait that outlasts its timeout with an error, LXD with the running operation.
                if "context deadline exceeded" not in str(exc):
                    raise
                meta = {"status_code": 103, "status": "Running", "description": "operation %s" % op_id}
            if meta["status_code"] == 200:
                return meta
            if meta["status_code"] >= 400:
                raise LxdError("%s: %s" % (meta.get("description", "operation"), meta.get("err") or meta["status"]))
            if time.monotonic() >= deadline:
                what = meta.get("description", "operation")
                raise OperationTimeout("%s: still %s after %ss" % (what, meta["status"], timeout))

    def instance_operations(self, name):
        """Ids of the operations running on instance `name` (a create, start or delete of another run)."""
        kinds = ("instances", "containers", "virtual-machines")
        ours = set("/1.0/%s/%s" % (kind, quote(name, safe="")) for kind in kinds)
        running = (self.request("GET", "/operations", {"recursion": 1})["metadata"] or {}).get("running") or []
        # a daemon may list an operation by its URL only (seen on LXD 5.0 right after a killed client's create)
        running = [op if isinstance(op, dict) else self.get_or_none(op[len("/1.0"):]) or {} for op in running]
        return [op["id"] for op in running
                if any(url.split("?")[0] in ours for urls in (op.get("resources") or {}).values() for url in urls or [])]

    def wait_idle(self, name, timeout=None):
        """Wait for every operation running on instance `name`; OperationTimeout when one still runs after
        `timeout`. A failed operation is not an error here: what it left is read again afterwards."""
        for op_id in self.instance_operations(name):
            try:
                self.wait_operation(op_id, timeout)
            except OperationTimeout:
                raise
            except LxdError:
                pass

    def request(self, method, path, body=None, params=None, **kwargs):
        """One API call (see _request). A write refused because the instance is busy (an operation of an
        interrupted or concurrent run, e.g. a create after kill -9) waits for that operation and is tried again."""
        try:
            return self._request(method, path, body, params, **kwargs)
        except LxdError as exc:
            name = busy_instance(method, path, exc)
            if name is None:
                raise
        self.wait_idle(name, kwargs.get("timeout"))
        return self._request(method, path, body, params, **kwargs)

    def _request(self, method, path, body=None, params=None, **kwargs):
        """GET over the standard library, anything else through pylxd. Retries once after registering the
        client certificate with `trust_token` when the server says "not trusted"."""
        try:
            if method == "GET":
                return self._get(path, params, **kwargs)
            return self._write(method, path, body, params, **kwargs)
        except LxdError as exc:
            if exc.status != 403 or not self.trust_token or self.registered or not self.url:
                raise
        self.register()
        return self._request(method, path, body, params, **kwargs)

    # ---- server ----------------------------------------------------------------------------------
    def info(self):
        if self._info is None:
            self._info = self.request("GET", "")["metadata"]
        return self._info

    def daemon(self):
        """'lxd' or 'incus': which daemon answers (GET /1.0 environment.server)."""
        server = ((self.info() or {}).get("environment") or {}).get("server")
        return "incus" if server == "incus" else "lxd"

    def register(self):
        """Add our client certificate to the server's trust store with the one-time `trust_token`."""
        if not self.client_cert:
            raise InputError("trust_token: needs client_cert and client_key (the certificate to register)")
        import ssl  # pylint: disable=import-outside-toplevel
        with open(self.client_cert, encoding="utf-8") as handle:
            der = ssl.PEM_cert_to_DER_cert(handle.read())
        body = {"type": "client", "certificate": base64.b64encode(der).decode("ascii"), "trust_token": self.trust_token}
        self.registered = True
        try:
            self._write("POST", "/certificates", body)
        except LxdError:
            # LXD before 5.21 takes the token in the `password` field.
            body["password"] = body.pop("trust_token")
            self._write("POST", "/certificates", body)

    # ---- instances ----------------------------------------------------------------------------------
    def get_or_none(self, path, params=None):
        """The `metadata` of GET `path`, or None when the server answers 404."""
        try:
            return self.request("GET", path, params=params)["metadata"]
        except LxdError as exc:
            if exc.status == 404:
                return None
            raise

    def instance(self, name):
        """The instance with its state (one request), or None."""
        return self.get_or_none("/instances/%s" % quote(name, safe=""), {"recursion": 1})

    def state(self, name, project=None):
        params = {"project": project} if project else None
        return self.request("GET", "/instances/%s/state" % quote(name, safe=""), params=params)["metadata"]

    def instances(self, all_projects=False, recursion=2):
        """Every instance; recursion 2 adds each one's state, which the daemon computes (disk, memory, processes,
        network) at about 20 ms per instance, recursion 1 is config and devices only."""
        params = {"recursion": recursion}
        if all_projects:
            params["all-projects"] = "true"
        return self.request("GET", "/instances", params=params)["metadata"] or []

    def check_project(self):
        """Raise InputError naming `project` when it is not on the server (the daemon answers a request in an
        unknown project as if only the object asked for were missing)."""
        if self.project and self.get_or_none("/projects/%s" % quote(self.project, safe="")) is None:
            raise InputError("project: no project '%s' on the server; create it (lxc project create %s) or fix "
                             "the name" % (self.project, self.project))

    def leases(self, network, project=None):
        """The DHCP leases of a managed network, or None where the daemon keeps none (an unmanaged bridge, a
        network type without DHCP)."""
        params = {"project": project} if project else None
        try:
            return self.request("GET", "/networks/%s/leases" % quote(network, safe=""), params=params)["metadata"] or []
        except LxdError as exc:
            if exc.status is None:
                raise
            return None

    def guests(self, all_projects=False, full_state=False, prefer=None):
        """Every instance as the common `instance` shape (for the inventory plugin).

        Default: instances with recursion=1, the leases of each network the running instances use (once per
        network and project), and /state only for the running instances whose addresses the leases cannot give
        (lease_addresses). full_state: one recursion=2 request, every instance's state computed by the daemon.
        prefer: NIC name globs whose addresses come next after those of the instance's own NICs."""
        if full_state:
            return [instance_summary(inst, prefer=prefer) for inst in self.instances(all_projects)]
        found = {}

        def leases(network, project):
            if (network, project) not in found:
                found[network, project] = self.leases(network, project)
            return found[network, project]

        result = []
        for inst in self.instances(all_projects, recursion=1):
            project = inst.get("project") if all_projects else None
            status = inst.get("status")
            # A stopped instance has no addresses; a frozen (or starting, ...) one shows what its /state says.
            addrs = ([], []) if status == "Stopped" else lease_addresses(inst, leases) if status == "Running" else None
            if addrs is None:
                state = self.state(inst["name"], project)
                addrs = addresses(state, "inet", prefer=prefer), addresses(state, "inet6", prefer=prefer)
            result.append(instance_summary(inst, *addrs, prefer=prefer))
        return result

    def image_alias(self, alias):
        return self.get_or_none("/images/aliases/%s" % quote(alias, safe=""))

    def image(self, fingerprint):
        return self.get_or_none("/images/%s" % quote(fingerprint, safe=""))

    def network(self, name):
        return self.get_or_none("/networks/%s" % quote(name, safe=""))

    def profile(self, name):
        return self.get_or_none("/profiles/%s" % quote(name, safe=""))

    def profile_root(self, profiles):
        """The root disk device ({name: device}) the profiles give, the last one winning as in LXD (to size it
        at create). Raises InputError when a profile is missing or none gives a root disk."""
        root = {}
        for pname in profiles if profiles is not None else ["default"]:
            profile = self.profile(pname)
            if profile is None:
                raise InputError("profiles: no profile '%s' on the server" % pname)
            for dname, device in (profile.get("devices") or {}).items():
                if device.get("type") == "disk" and device.get("path") == "/":
                    root = {dname: device}
        if not root:
            raise InputError("disk: the profiles give no root disk device to size")
        return root

    def create(self, body, timeout=None):
        params = {"target": self.target} if self.target else None
        if self.target and not (self.get_or_none("") or {}).get("environment", {}).get("server_clustered"):
            raise InputError("target: the server is not a cluster, so there is no member '%s' to create on; leave "
                             "target out" % self.target)
        return self.request("POST", "/instances", body, params, timeout=timeout)

    def update(self, name, body):
        return self.request("PUT", "/instances/%s" % quote(name, safe=""), body)

    def set_state(self, name, action, force=False, timeout=30):
        body = {"action": action, "timeout": timeout, "force": force}
        return self.request("PUT", "/instances/%s/state" % quote(name, safe=""), body, timeout=timeout + 30)

    def delete(self, name):
        return self.request("DELETE", "/instances/%s" % quote(name, safe=""))

    def execute(self, name, command, timeout=None):
        """Run `command` (a list) in the instance; returns (exit code, stdout, stderr)."""
        body = {"command": command, "record-output": True, "interactive": False, "wait-for-websocket": False,
                "environment": {"LANG": "C.UTF-8"}}
        op = self.request("POST", "/instances/%s/exec" % quote(name, safe=""), body, wait=False)
        meta = self.wait_operation(op["id"], timeout)["metadata"] or {}
        outputs = []
        for fd in ("1", "2"):
            log = (meta.get("output") or {}).get(fd)
            text = ""
            if log:
                text = self.request("GET", log[len("/1.0"):], raw=True)
                try:
                    self._write("DELETE", log[len("/1.0"):])
                except LxdError:
                    pass
            outputs.append(text if isinstance(text, str) else "")
        return meta.get("return", -1), outputs[0], outputs[1]


# ---- pure helpers (no requests) ----------------------------------------------------------------------
def busy_instance(method, path, exc):
    """The instance a write to `path` was refused for because an operation runs on it, else None."""
    parts = path.strip("/").split("/")
    if method == "GET" or len(parts) < 2 or parts[0] != "instances" or "busy" not in str(exc).lower():
        return None
    return unquote(parts[1])


def validate_name(name):
    """LXD's instance name rules: 1-63 letters, digits and '-', starting with a letter, not ending in '-'."""
    if not name or not NAME_RE.match(name) or name.endswith("-"):
        raise InputError("name: '%s' is not a valid instance name: use 1 to 63 letters, digits and '-', "
                         "starting with a letter and not ending with '-'" % name)
    return name


def ignored_key(key):
    return key.startswith(IGNORED_PREFIXES)


def decode_labels(config):
    """The labels stored in an instance's config (user.label.<key>)."""
    return {k[len(LABEL_PREFIX):]: v for k, v in (config or {}).items() if k.startswith(LABEL_PREFIX)}


def addresses(state, family="inet", nic=None, prefer=None):
    """Global addresses of `family` from an instance state: of the NIC `nic` only, or of every NIC by one rule
    (docs/lxd_instance.md, Addresses). First the NICs LXD made for the instance's own devices (their state names a
    host-side `host_name`, e.g. eth0 on lxdbr0), then NICs matching the `prefer` globs in their order, then the
    others by name; never lo, and never a bridge made inside the guest (docker0, br-*, ...) unless `prefer`
    names it."""
    nets = (state or {}).get("network") or {}
    if nic:
        chosen = [nic] if nic in nets else []
    else:
        chosen = order_nics(nets, own=[ifname for ifname in nets if nets[ifname].get("host_name")], prefer=prefer)
    return [addr["address"] for ifname in chosen for addr in nets[ifname].get("addresses") or []
            if addr.get("family") == family and addr.get("scope") == "global"]


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _size_or_none(value):
    try:
        return parse_size(value)
    except (InputError, TypeError):
        return None


def nic_networks(inst):
    """(interface name in the guest, network, MAC) of each NIC device; network None for NIC types without a
    managed network (macvlan, physical, ...)."""
    config = dict(inst.get("expanded_config") or {}, **(inst.get("config") or {}))
    nics = []
    for key, dev in sorted((inst.get("expanded_devices") or inst.get("devices") or {}).items()):
        if dev.get("type") != "nic":
            continue
        network = dev.get("network") or (dev.get("parent") if dev.get("nictype") == "bridged" else None)
        mac = (dev.get("hwaddr") or config.get("volatile.%s.hwaddr" % key) or "").lower()
        nics.append((dev.get("name") or key, network, mac))
    return sorted(nics)


def lease_addresses(inst, leases):
    """(ipv4, ipv6) of a running instance from its networks' DHCP leases (`leases(network, project)` -> the
    network's lease records or None), exactly as addresses() of its /state would give them; None when the leases
    cannot tell: a NIC without a managed network, without exactly one IPv4 lease, or on a network with IPv6
    (where the guest picks its own addresses: SLAAC, privacy addresses), or a VM with several NICs (the guest
    names and orders them)."""
    nics = nic_networks(inst)
    if not nics or (inst.get("type") == "virtual-machine" and len(nics) > 1):
        return None
    ipv4 = []
    for _ifname, network, mac in nics:
        records = leases(network, inst.get("project")) if network and mac else None
        if records is None:
            return None
        mine = {r.get("address") for r in records if (r.get("hwaddr") or "").lower() == mac and r.get("address")}
        if any(":" in address for address in mine) or len(mine) != 1:
            return None
        ipv4.append(mine.pop())
    return ipv4, []


def instance_summary(inst, ipv4=None, ipv6=None, prefer=None):
    """The common `instance` shape of an LXD instance (as GET /1.0/instances/<name>?recursion=1 returns it);
    ipv4/ipv6 given when they come from elsewhere than the instance's `state` (the inventory's leases);
    `prefer`: NIC name globs whose addresses come next after those of the instance's own NICs."""
    config = inst.get("expanded_config") or inst.get("config") or {}
    devices = inst.get("expanded_devices") or inst.get("devices") or {}
    state = inst.get("state") or {}
    root = devices.get("root") or next((d for d in devices.values()
                                        if d.get("type") == "disk" and d.get("path") == "/"), {})
    mounts = [dict(source=d["source"], path=d.get("path"), readonly=d.get("readonly") in ("true", "1", "yes", "on"))
              for d in devices.values()
              if d.get("type") == "disk" and d.get("source") and d.get("path") not in (None, "/")]
    image = config.get("image.description") or config.get("volatile.base_image")
    return instance_result(
        inst["name"], "lxd", itype=inst.get("type", "container"), state=(inst.get("status") or "").lower(),
        ipv4=addresses(state, "inet", prefer=prefer) if ipv4 is None else ipv4,
        ipv6=addresses(state, "inet6", prefer=prefer) if ipv6 is None else ipv6, image=image,
        cpus=_int_or_none(config.get("limits.cpu")), memory=_size_or_none(config.get("limits.memory")),
        disk=_size_or_none(root.get("size")), mounts=sorted(mounts, key=lambda m: m["path"]),
        labels=decode_labels(config), project=inst.get("project") or "default", location=inst.get("location"),
        profiles=list(inst.get("profiles") or []), ephemeral=bool(inst.get("ephemeral")))


def builtin_remote(remote, daemon):
    """The server of built-in remote `remote` on `daemon` ('lxd' or 'incus'), or None when it has none."""
    server = BUILTIN_REMOTES.get(daemon, BUILTIN_REMOTES["lxd"]).get(remote)
    return {"server": server, "protocol": "simplestreams"} if server else None


def image_source(image, remotes=None, daemon=None):
    """The `source` of POST /1.0/instances for `image`; a local alias/fingerprint is marked `local: True`.

    image: 'remote:alias', 'alias', 'fingerprint' or a dict (server, protocol, alias or fingerprint).
    daemon: a function answering 'lxd' or 'incus', called only when `image` names a built-in remote."""
    user = {}
    for rname, remote in (remotes or {}).items():
        if isinstance(remote, dict):
            check_keys(remote, ("server", "protocol", "certificate"), "remotes.%s" % rname)
        user[rname] = remote if isinstance(remote, dict) else {"server": remote}
    if isinstance(image, dict):
        spec = dict(check_keys(image, ("server", "protocol", "alias", "fingerprint", "certificate"), "image"))
    elif isinstance(image, str) and image:
        remote, sep, alias = image.partition(":")
        if sep and remote not in ("local", "") and "/" not in remote:
            spec = user.get(remote) or _builtin_spec(remote, image, user, daemon)
            spec = dict(spec, alias=alias)
        else:
            spec = {"alias": alias if sep else image}
    else:
        raise InputError("image: give 'remote:alias', a local alias, a fingerprint or a dict "
                         "(server, protocol, alias); got %r" % (image,))
    source = {"type": "image"}
    ref = spec.get("fingerprint") or spec.get("alias")
    if not ref:
        raise InputError("image: name an alias or a fingerprint")
    if spec.get("server"):
        server = spec["server"]
        if not str(server).startswith(("https://", "http://", "unix:")):
            raise InputError("image: server '%s' must be a URL" % server)
        protocol = spec.get("protocol") or "simplestreams"
        if protocol not in ("simplestreams", "lxd", "incus"):
            raise InputError("image: protocol '%s' must be simplestreams, lxd or incus" % protocol)
        source.update(mode="pull", server=server, protocol=protocol)
        if spec.get("fingerprint"):
            source["fingerprint"] = spec["fingerprint"]
        else:
            source["alias"] = spec["alias"]
        if spec.get("certificate"):
            source["certificate"] = spec["certificate"]
        return source
    source["local"] = True
    if spec.get("fingerprint") or FINGERPRINT_RE.match(ref):
        source["fingerprint"] = ref
    else:
        source["alias"] = ref
    return source


def _builtin_spec(remote, image, user, daemon):
    if not any(remote in table for table in BUILTIN_REMOTES.values()):
        known = sorted(set(user) | set().union(*BUILTIN_REMOTES.values()))
        raise InputError("image: unknown remote '%s' in '%s'; known remotes: %s (add yours with `remotes`)"
                         % (remote, image, ", ".join(known)))
    kind = daemon() if daemon else "lxd"
    spec = builtin_remote(remote, kind)
    if spec is None:
        name = DAEMON_NAMES.get(kind, kind)
        raise InputError("image: remote '%s' in '%s' is not a built-in remote of %s (its %s remote list has %s); "
                         "define it under `remotes` (name: server URL) or use another remote"
                         % (remote, image, name, "incus" if kind == "incus" else "lxc",
                            ", ".join(sorted(BUILTIN_REMOTES[kind]))))
    return spec


def resolve_local_image(client, source, itype):
    """Check a local image exists and fits `itype`; fills in the fingerprint. Raises InputError."""
    source = dict(source)
    source.pop("local", None)
    if "alias" in source:
        alias = client.image_alias(source["alias"])
        if alias is None:
            client.check_project()
            raise InputError("image: no local image alias '%s' on the server (for a remote image write "
                             "'remote:alias', e.g. images:debian/12)" % source["alias"])
        kind = alias.get("type") or "container"
        what = "alias '%s'" % source["alias"]
    else:
        image = client.image(source["fingerprint"])
        if image is None:
            raise InputError("image: no local image with fingerprint '%s' on the server" % source["fingerprint"])
        kind = image.get("type") or "container"
        what = "image %s" % source["fingerprint"]
    if kind != itype:
        raise InputError("image: %s is a %s image; type is %s" % (what, kind, itype))
    return source


def mount_device_name(path):
    return "mount" + (re.sub(r"[^a-zA-Z0-9]+", "-", path).rstrip("-") or "-root")


def mount_devices(mounts):
    devices = {}
    for mount in mounts or []:
        device = {"type": "disk", "source": mount["source"], "path": mount["path"]}
        if mount.get("readonly"):
            device["readonly"] = "true"
        if mount.get("shift"):
            device["shift"] = "true"
        devices[mount_device_name(mount["path"])] = device
    return devices


_PORT_RE = re.compile(r"^(?:(?P<addr>\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?P<host>[0-9]{1,5}):(?P<guest>[0-9]{1,5})"
                      r"(?:/(?P<proto>tcp|udp))?$")


def port_devices(ports):
    """Proxy devices for `ports`: 'host:guest', 'addr:host:guest', '.../udp', or dicts (host, guest, protocol,
    address). Listen on the host, connect to 127.0.0.1:<guest> inside the instance."""
    devices = {}
    for index, port in enumerate(ports or []):
        where = "ports[%d]" % index
        if isinstance(port, dict):
            check_keys(port, ("host", "guest", "protocol", "address"), where)
            spec = {"host": port.get("host"), "guest": port.get("guest"), "proto": port.get("protocol") or "tcp",
                    "addr": port.get("address") or "0.0.0.0"}
        else:
            match = _PORT_RE.match(str(port).strip())
            if not match:
                raise InputError("%s: '%s' must look like 8080:80, 127.0.0.1:8080:80 or 5353:53/udp" % (where, port))
            spec = {"host": match.group("host"), "guest": match.group("guest"),
                    "proto": match.group("proto") or "tcp", "addr": match.group("addr") or "0.0.0.0"}
        for key in ("host", "guest"):
            number = _int_or_none(spec[key])
            if number is None or not 0 < number < 65536:
                raise InputError("%s: %s port '%s' must be 1-65535" % (where, key, spec[key]))
            spec[key] = number
        if spec["proto"] not in ("tcp", "udp"):
            raise InputError("%s: protocol '%s' must be tcp or udp" % (where, spec["proto"]))
        name = "port-%s-%d" % (spec["proto"], spec["host"])
        if name in devices:
            raise InputError("%s: host port %d/%s is forwarded twice" % (where, spec["host"], spec["proto"]))
        devices[name] = {"type": "proxy", "listen": "%s:%s:%d" % (spec["proto"], spec["addr"], spec["host"]),
                         "connect": "%s:127.0.0.1:%d" % (spec["proto"], spec["guest"])}
    return devices


def is_mount_device(device):
    return device.get("type") == "disk" and bool(device.get("source")) and device.get("path") not in (None, "/")


def needs_restart(itype, key=None, device=None):
    """True when LXD applies a change of config `key` (or of a device) only at the next start."""
    if itype == "virtual-machine":
        if device is not None:
            return device.get("type") != "proxy"
        return not key.startswith(VM_LIVE_PREFIXES)
    if device is not None:
        return False
    return key.startswith(CONTAINER_RESTART_PREFIXES)


# ---- snapshots (lxd_snapshot) ------------------------------------------------------------------------
NO_EXPIRY = "0001-01-01T00:00:00Z"


def _snapshots_path(instance, snap=None):
    path = "/instances/%s/snapshots" % quote(instance, safe="")
    return path + ("/%s" % quote(snap, safe="") if snap else "")


def list_snapshots(client, instance):
    """The instance's snapshots (full objects, oldest first); raises LxdError 404 when the instance is missing."""
    snaps = client.request("GET", _snapshots_path(instance), params={"recursion": 1})["metadata"] or []
    return sorted(snaps, key=lambda s: (s.get("created_at") or "", s.get("name") or ""))


def take_snapshot(client, instance, snap, stateful=False, expires_at=None, timeout=None):
    body = {"name": snap, "stateful": bool(stateful)}
    if expires_at:
        body["expires_at"] = expires_at
    return client.request("POST", _snapshots_path(instance), body, timeout=timeout)


def delete_snapshot(client, instance, snap, timeout=None):
    return client.request("DELETE", _snapshots_path(instance, snap), timeout=timeout)


def restore_snapshot(client, instance, snap, stateful=False, timeout=None):
    """PUT /instances/<name> {"restore": snap}: the instance (its root disk, config, devices) goes back."""
    return client.request("PUT", "/instances/%s" % quote(instance, safe=""), {"restore": snap, "stateful": stateful},
                          timeout=timeout)


def snapshot_short_name(snap):
    """LXD names a snapshot "<instance>/<snap>" in some answers and "<snap>" in others."""
    return (snap.get("name") or "").rsplit("/", 1)[-1]


def connection_argument_spec():
    """The connection options of every LXD module (doc fragment workstation.vms.lxd documents them)."""
    return dict(
        socket=dict(type="path"),
        url=dict(type="str"),
        client_cert=dict(type="path", aliases=["cert_file"]),
        client_key=dict(type="path", aliases=["key_file"], no_log=False),
        server_cert=dict(type="path"),
        verify=dict(type="bool", default=True),
        trust_token=dict(type="str", no_log=True),
        project=dict(type="str"),
        target=dict(type="str"),
    )
