#!/usr/bin/env bash
# Installs every Debian package the tests and the main job need. Idempotent: skips apt when all are there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(
  # LXD and Incus (Incus comes from bookworm-backports)
  lxd lxd-client dnsmasq-base
  # libvirt + QEMU under software emulation
  libvirt-daemon-system libvirt-clients libvirt-dev pkg-config iptables qemu-system-x86 qemu-utils
  qemu-system-common
  # image building without loop devices
  debootstrap e2fsprogs
  # guest tools the tests use from the host
  openssh-client wireguard-tools
  # python venv
  python3-venv python3-dev gcc rsync make
)
BACKPORTS=(incus-base incus-client)
BP_LIST=/etc/apt/sources.list.d/workstation-vms-backports.list

missing=()
for p in "${PKGS[@]}" "${BACKPORTS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "packages: all present"; exit 0
fi
if [ ! -f "$BP_LIST" ]; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" > "$BP_LIST"
fi
apt-get update -q
# --no-install-recommends keeps a desktop and firmware stack out of the way
apt-get install -y -q --no-install-recommends "${PKGS[@]}"
apt-get install -y -q --no-install-recommends -t bookworm-backports "${BACKPORTS[@]}"
