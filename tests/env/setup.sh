#!/usr/bin/env bash
# Makes this Debian 12 host ready for the tests and the main job, from nothing, idempotently:
# the harness' Debian packages, the Python venv, the daemons (LXD, Incus, libvirtd: the collection's
# hypervisor_host role, see daemons.sh), the test images (built once, cached) imported into LXD and Incus
# as local alias "debian/12", and the image server on loopback serving them (image_server.py). Run as root.
# Times every step.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
step() { local name=$1; shift; local t0; t0=$(date +%s.%N); "$@"; printf 'setup: %-10s %6.1fs\n' "$name" "$(echo "$(date +%s.%N) - $t0" | bc)"; }
command -v bc >/dev/null || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q bc >/dev/null; }

import_image() { # $1 = lxc|incus, $2 = image dir
  local cli=$1 dir=$2 fp
  command -v "$cli" >/dev/null || return 0
  "$cli" query /1.0 >/dev/null 2>&1 || return 0
  fp=$(cat "$dir/meta.tar.gz" "$dir/rootfs.tar.gz" | sha256sum | cut -d' ' -f1)
  if [ "$("$cli" query "/1.0/images/aliases/debian/12" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["target"])' 2>/dev/null)" = "$fp" ]; then
    echo "$cli image debian/12: present"; return 0
  fi
  "$cli" image alias delete debian/12 >/dev/null 2>&1 || true
  "$cli" image import "$dir/meta.tar.gz" "$dir/rootfs.tar.gz" --alias debian/12 >/dev/null
  echo "$cli image debian/12: imported"
}

root=$(cd "$here/../.." && pwd)
step packages bash "$here/packages.sh"
step venv make -C "$root" --no-print-directory venv collection
# The image server's CA goes into the system store before the daemons start: Go reads the system CAs once per
# process. daemons.sh leaves a daemon that runs already alone: ca-check says if one started before the CA.
step image-ca python3 "$here/image_server.py" ca
step daemons bash "$here/daemons.sh"
step ca-check python3 "$here/image_server.py" ca-check
step images bash "$here/build_images.sh"
images=${WSVMS_CACHE:-/var/cache/workstation-vms}/images/current
step import-lxd import_image lxc "$images/lxd"
step import-incus import_image incus "$images/lxd"
step image-srv python3 "$here/image_server.py" start
