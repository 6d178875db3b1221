# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The test harness' image server on loopback: the locally built images (build_images.sh) as a real simplestreams
index over HTTPS, and any file under files/ over plain HTTP (qemu_vm's URL images).

    image_server.py ca | ca-check | start | stop | status | clean

start builds what is missing (a CA and a server certificate, the index), puts the CA into the host's trust
store (update-ca-certificates: LXD and Incus check an image server against the system CAs), and starts the
server unless one answers already. ca does the CA part only (setup.sh runs it before the daemons start);
ca-check warns about a running daemon that started before the CA was installed. Every request is appended to access.log, so a test can tell that the
daemon downloaded from here (or that a cached file was not fetched again).

Each product version has a container item (root.tar.xz) and a VM item (disk-kvm.img, the libvirt guest disk
vm/base.qcow2), as images.linuxcontainers.org lists them: the daemon picks the item by the instance type it is
asked for. LXD/Incus VMs cannot run on this kernel (no vhost_vsock), so the VM item is there to be listed and
chosen, not booted.

Why the metadata tarball is rewritten: its description names this server, and the image fingerprint (the
SHA-256 of metadata + rootfs) then differs from the local debian/12 alias that setup.sh imports, so a
launch through the remote really downloads instead of reusing the local image.
"""

import functools
import gzip
import hashlib
import http.server
import io
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request

CACHE = os.environ.get("WSVMS_CACHE", "/var/cache/workstation-vms")
IMAGES = os.path.join(CACHE, "images", "current", "lxd")
VM_DISK = os.path.join(CACHE, "images", "current", "vm", "base.qcow2")
# Another root (and WSVMS_STREAMS_PORT/WSVMS_FILES_PORT) runs a second server beside a shared one.
ROOT = os.environ.get("WSVMS_IMAGE_SERVER", os.path.join(CACHE, "image-server"))
HOST = "127.0.0.1"
HTTPS_PORT = int(os.environ.get("WSVMS_STREAMS_PORT", "18443"))
HTTP_PORT = int(os.environ.get("WSVMS_FILES_PORT", "18080"))
SYSTEM_CA = "/usr/local/share/ca-certificates/workstation-vms-test.crt"
PRODUCT = "debian:12:amd64:%s"
INDEX_FORMAT = "4"   # bump when build_index() writes something else: a cached index is then rebuilt
VARIANTS = {"default": ["debian/12", "debian/12/default", "debian/bookworm"],
            "cloud": ["debian/12/cloud", "debian/bookworm/cloud"]}
STREAMS_URL = "https://%s:%d" % (HOST, HTTPS_PORT)
FILES_URL = "http://%s:%d" % (HOST, HTTP_PORT)


def path(*parts):
    return os.path.join(ROOT, *parts)


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdin=subprocess.DEVNULL, capture_output=True)


def make_certificates():
    """A CA of our own and a server certificate for 127.0.0.1/localhost signed by it (Go needs the SAN)."""
    if os.path.exists(path("server.pem")):
        return
    os.makedirs(ROOT, exist_ok=True)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650",
            "-subj", "/CN=workstation.vms test image server CA", "-keyout", path("ca.key"), "-out", path("ca.pem"),
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", path("server.key"), "-out", path("server.csr"))
    with open(path("server.ext"), "w", encoding="utf-8") as ext:
        ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
                  "keyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n")
    openssl("x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-days", "3650", "-extfile", path("server.ext"), "-out", path("server.pem"))
    for name in ("ca.key", "server.key"):
        os.chmod(path(name), 0o600)


def trust_ca():
    """The CA in the host's store (LXD and Incus are Go: they read the system CAs when they first need them)."""
    with open(path("ca.pem"), "rb") as handle:
        wanted = handle.read()
    if os.path.exists(SYSTEM_CA):
        with open(SYSTEM_CA, "rb") as handle:
            if handle.read() == wanted:
                return
    with open(SYSTEM_CA, "wb") as handle:
        handle.write(wanted)
    subprocess.run(["update-ca-certificates"], check=True, stdin=subprocess.DEVNULL, capture_output=True)


def daemons_started_before_ca():
    """(name, pid) of each running LXD/Incus daemon of this host that started before the CA went into the system
    store. Go reads the system CAs once per process (crypto/x509 root.go: once.Do(initSystemRoots)), so such a
    daemon may not trust this server until it restarts; a remote that gives `certificate` works either way."""
    with open("/proc/stat", encoding="utf-8") as handle:
        boot = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
    installed, here = os.stat(SYSTEM_CA).st_mtime, os.readlink("/proc/self/ns/mnt")
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8") as handle:
                comm, fields = handle.read().rsplit(")", 1)
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                args = handle.read().decode(errors="replace").split("\0")
            same_host = os.readlink("/proc/%s/ns/mnt" % entry) == here   # not a nested machine's daemon
        except (OSError, ValueError):
            continue
        name = comm.split("(", 1)[1]
        # the daemon itself (`lxd --group lxd ...`), not its helpers (`lxd forkproxy ...`, `[lxc monitor]`)
        daemon = (name in ("lxd", "incusd") and same_host and os.path.basename(args[0]) == name
                  and (len(args) < 2 or args[1] == "" or args[1].startswith("-")))
        if daemon and boot + int(fields.split()[19]) / os.sysconf("SC_CLK_TCK") < installed:
            found.append((name, int(entry)))
    return sorted(found)


def sha256s(file_name, prefixes):
    """SHA-256 (hex) of each prefix followed by the file's bytes (LXD's fingerprint: metadata + root), in one read."""
    digests = [hashlib.sha256(prefix) for prefix in prefixes]
    with open(file_name, "rb") as handle:
        for block in iter(functools.partial(handle.read, 1 << 20), b""):
            for digest in digests:
                digest.update(block)
    return [digest.hexdigest() for digest in digests]


def variant_meta(variant):
    """The image's metadata tarball with a description that names this server and the variant. The same bytes at
    every rebuild (gzip without a time stamp): a rebuilt index keeps the image's fingerprints."""
    out = io.BytesIO()
    with tarfile.open(os.path.join(IMAGES, "meta.tar.gz")) as src, \
            gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as packed, tarfile.open(fileobj=packed, mode="w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name == "metadata.yaml":
                data = data.replace(b"(workstation.vms test image)",
                                    b"(workstation.vms test image server, %s)" % variant.encode())
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def build_index():
    """streams/v1/index.json and images.json for the current images; rebuilt only when an image changed."""
    rootfs = os.path.join(IMAGES, "rootfs.tar.gz")
    stat, vm_stat = os.stat(rootfs), os.stat(VM_DISK)
    key = "%s-%d-%d-%d" % (INDEX_FORMAT, stat.st_size, int(stat.st_mtime), int(vm_stat.st_mtime))
    if os.path.exists(path("streams", "v1", "images.json")) and index_key() == key:
        return
    serial = time.strftime("%Y%m%d_%H%M", time.gmtime(stat.st_mtime))
    base = "images/debian/12/amd64"
    os.makedirs(path(base), exist_ok=True)
    # by item name: the container's root and the VM's disk, each linked into this server under `name`
    roots = {"root.tar.xz": {"ftype": "root.tar.xz", "name": "rootfs.tar.gz", "file": rootfs, "stat": stat},
             "disk.qcow2": {"ftype": "disk-kvm.img", "name": "disk.qcow2", "file": VM_DISK, "stat": vm_stat}}
    for root in roots.values():
        if os.path.lexists(path(base, root["name"])):
            os.unlink(path(base, root["name"]))
        os.symlink(root["file"], path(base, root["name"]))
    metas = {variant: variant_meta(variant) for variant in VARIANTS}
    # hashes[item] = [the root's own sha256, then metadata + root for each variant, in VARIANTS order]
    hashes = {item: sha256s(root["file"], [b""] + list(metas.values())) for item, root in roots.items()}
    products = {}
    for number, (variant, aliases) in enumerate(VARIANTS.items(), start=1):
        meta = metas[variant]
        meta_path = "%s/%s/%s/lxd.tar.xz" % (base, variant, serial)
        os.makedirs(os.path.dirname(path(meta_path)), exist_ok=True)
        with open(path(meta_path), "wb") as handle:
            handle.write(meta)
        combined, combined_vm = hashes["root.tar.xz"][number], hashes["disk.qcow2"][number]
        # The same metadata file under both names, as images.linuxcontainers.org does: LXD reads the
        # lxd.tar.xz item, Incus the incus.tar.xz one (shared/simplestreams/products.go of each). Its
        # combined hashes are the fingerprints of the container (metadata + rootfs) and the VM (+ disk).
        items = {ftype: {"ftype": ftype, "path": meta_path, "size": len(meta), "sha256": hashlib.sha256(meta).hexdigest(),
                         "combined_sha256": combined, "combined_rootxz_sha256": combined,
                         "combined_disk-kvm-img_sha256": combined_vm}
                 for ftype in ("lxd.tar.xz", "incus.tar.xz")}
        for item, root in roots.items():
            items[item] = {"ftype": root["ftype"], "path": "%s/%s" % (base, root["name"]), "size": root["stat"].st_size,
                           "sha256": hashes[item][0]}
        products[PRODUCT % variant] = {
            "aliases": ",".join(aliases), "arch": "amd64", "os": "Debian", "release": "bookworm",
            "release_title": "12", "variant": variant, "versions": {serial: {"items": items}}}
    updated = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    images = {"content_id": "images", "datatype": "image-downloads", "format": "products:1.0",
              "updated": updated, "products": products}
    index = {"format": "index:1.0", "updated": updated, "index": {"images": {
        "datatype": "image-downloads", "path": "streams/v1/images.json", "format": "products:1.0",
        "updated": updated, "products": sorted(products)}}}
    os.makedirs(path("streams", "v1"), exist_ok=True)
    for name, data in (("images.json", images), ("index.json", index)):
        with open(path("streams", "v1", name + ".tmp"), "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
        os.replace(path("streams", "v1", name + ".tmp"), path("streams", "v1", name))
    os.makedirs(path("files"), exist_ok=True)
    with open(path("index.key"), "w", encoding="utf-8") as handle:
        handle.write(key)


def index_key():
    try:
        with open(path("index.key"), encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


def streams_url():
    """The server URL for a simplestreams remote. It carries the index key: LXD and Incus cache a server's
    index for an hour by URL, so a rebuilt index gets a URL they have not cached."""
    return "%s/%s" % (STREAMS_URL, index_key())


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=ROOT, **kwargs)

    def translate_path(self, path_in_url):  # pylint: disable=arguments-renamed
        prefix = "/%s/" % index_key()
        if path_in_url.startswith(prefix):
            path_in_url = path_in_url[len(prefix) - 1:]
        if not path_in_url.startswith(("/streams/", "/images/", "/files/")):
            return path("not-served")   # the keys, the pid and the logs beside them are not for clients
        return super().translate_path(path_in_url)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        with open(path("access.log"), "a", encoding="utf-8") as log:
            log.write("%s %s %s\n" % (time.strftime("%H:%M:%S"), self.server.server_port, format % args))


def serve():
    https = http.server.ThreadingHTTPServer((HOST, HTTPS_PORT), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(path("server.pem"), path("server.key"))
    https.socket = ctx.wrap_socket(https.socket, server_side=True)
    plain = http.server.ThreadingHTTPServer((HOST, HTTP_PORT), Handler)
    for server in (https, plain):
        server.daemon_threads = True

    def stop_serving(*_):
        https.server_close()
        plain.server_close()
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop_serving)
    threading.Thread(target=plain.serve_forever, daemon=True).start()
    https.serve_forever()


def answers():
    try:
        ctx = ssl.create_default_context(cafile=path("ca.pem"))
        with urllib.request.urlopen(streams_url() + "/streams/v1/index.json", context=ctx, timeout=2) as response:
            json.load(response)
        with urllib.request.urlopen(FILES_URL + "/streams/v1/index.json", timeout=2) as response:
            json.load(response)
        return True
    except (OSError, ValueError):
        return False


def pid():
    """The server's pid while it runs; a zombie counts as gone (PID 1 here does not reap orphans)."""
    try:
        with open(path("server.pid"), encoding="utf-8") as handle:
            number = int(handle.read())
        with open("/proc/%d/stat" % number, encoding="utf-8") as handle:
            alive = handle.read().rsplit(")", 1)[1].split()[0] != "Z"
        return number if alive else None
    except (OSError, ValueError, IndexError):
        return None


def wait_for(condition, what, timeout=15):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            sys.exit("image_server: timed out after %ds waiting for %s" % (timeout, what))
        time.sleep(0.1)


def start():
    make_certificates()
    trust_ca()
    build_index()
    if pid() and answers():
        print("image_server: running (pid %d) at %s and %s" % (pid(), streams_url(), FILES_URL))
        return
    stop()
    with open(path("server.log"), "ab") as log:
        child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve"], stdin=subprocess.DEVNULL,
                                 stdout=log, stderr=log, start_new_session=True)
    with open(path("server.pid"), "w", encoding="utf-8") as handle:
        handle.write(str(child.pid))
    wait_for(lambda: answers() or child.poll() is not None, "the server to answer at %s" % STREAMS_URL)
    if child.poll() is not None:
        sys.exit("image_server: the server exited (%s); see %s" % (child.returncode, path("server.log")))
    print("image_server: started (pid %d) at %s and %s" % (child.pid, streams_url(), FILES_URL))


def stop():
    number = pid()
    if number:
        os.kill(number, signal.SIGTERM)
        wait_for(lambda: pid() is None, "pid %d to exit" % number)
        print("image_server: stopped (pid %d)" % number)
    if os.path.exists(path("server.pid")):
        os.unlink(path("server.pid"))


def main():
    action = sys.argv[1] if len(sys.argv) > 1 else "start"
    if action == "serve":
        serve()
    elif action == "ca":
        make_certificates()
        trust_ca()
    elif action == "ca-check":
        for name, number in daemons_started_before_ca():
            print("image_server: WARNING: %s (pid %d) started before the test CA was put into the system store (%s):"
                  " it may not trust %s until it restarts (without `certificate`, launches from this server then"
                  " fail with 'certificate signed by unknown authority')" % (name, number, SYSTEM_CA, STREAMS_URL))
    elif action == "start":
        start()
    elif action == "stop":
        stop()
    elif action == "status":
        running = bool(pid() and answers())
        print("image_server: %s" % ("running at %s and %s" % (streams_url(), FILES_URL) if running else "stopped"))
        sys.exit(0 if running else 3)
    elif action == "clean":
        stop()
        shutil.rmtree(ROOT, ignore_errors=True)
    else:
        sys.exit("usage: image_server.py ca|ca-check|start|stop|status|clean")


if __name__ == "__main__":
    main()
