#!/usr/bin/env bash
# Builds the root filesystem of a machine that has never seen the project (molecule scenario fresh_host), once:
# a minimal Debian 12 shaped like today's cloud and container images. systemd is PID 1 and systemd-networkd takes
# DHCP on eth0; apt reads only deb822 sources (/etc/apt/sources.list.d/debian.sources, no /etc/apt/sources.list);
# none of the project's packages (not even git, make or python3), no kvm/libvirt/lxd groups.
# Cached as an Incus image (meta.tar.gz + rootfs.tar.gz) under $CACHE/fresh-host/<hash of this script and
# lxd_image_meta.sh>/ and reused while both are unchanged. Prints the cache directory on its last line. Run as root.
set -euo pipefail
CACHE=${WSVMS_CACHE:-/var/cache/workstation-vms}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
here=$(cd "$(dirname "$0")" && pwd)
HASH=$(cat "$0" "$here/lxd_image_meta.sh" | sha256sum | cut -c1-16)
OUT=$CACHE/fresh-host/$HASH
if [ -f "$OUT/.done" ]; then echo "fresh rootfs: cached"; echo "$OUT"; exit 0; fi

WORK=$(mktemp -d /var/tmp/wsvms-fresh.XXXXXX)
ROOT=$WORK/rootfs
trap 'rm -rf "$WORK"' EXIT

# ca-certificates: today's images reach HTTPS (PyPI) out of the box; systemd-resolved takes the DNS servers of
# the DHCP lease (udev: without it systemd-networkd never configures eth0).
debootstrap --variant=minbase --include=systemd-sysv,systemd-resolved,udev,dbus,iproute2,ca-certificates \
  bookworm "$ROOT" "$MIRROR"

# debootstrap writes a one-line sources.list; today's images carry deb822 sources only.
rm -f "$ROOT/etc/apt/sources.list"
cat > "$ROOT/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

cat > "$ROOT/etc/systemd/network/10-eth0.network" <<'NET'
[Match]
Name=eth0
[Network]
DHCP=yes
NET
chroot "$ROOT" systemctl enable systemd-networkd systemd-resolved >/dev/null
ln -sfn ../run/systemd/resolve/stub-resolv.conf "$ROOT/etc/resolv.conf"

# Each machine gets its own identity at first boot; no package lists or .debs come along.
: > "$ROOT/etc/machine-id"
rm -f "$ROOT/var/lib/dbus/machine-id"
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb
echo debian > "$ROOT/etc/hostname"

# Debian's udev adds a kvm group; the machines CI and newcomers get (no udev) have none, and neither does this
# one: packages that want it must make it (the hypervisor_host role's kvm step runs after its packages).
chroot "$ROOT" groupdel kvm 2>/dev/null || true
for g in kvm libvirt lxd incus incus-admin libvirt-qemu; do
  if chroot "$ROOT" getent group "$g" >/dev/null; then echo "fresh rootfs: group $g exists" >&2; exit 1; fi
done

mkdir -p "$OUT.tmp"
bash "$here/lxd_image_meta.sh" "$OUT.tmp" "Debian 12 fresh host (workstation.vms fresh_host scenario)"
tar -C "$ROOT" --numeric-owner -czf "$OUT.tmp/rootfs.tar.gz" .
touch "$OUT.tmp/.done"
rm -rf "$OUT"; mv "$OUT.tmp" "$OUT"
echo "fresh rootfs: built"
echo "$OUT"
