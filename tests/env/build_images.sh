#!/usr/bin/env bash
# Builds the test images from Debian packages (no image server is reachable here), once:
# the result is cached under $CACHE/<hash of this script and lxd_image_meta.sh>/ and reused while both are unchanged.
#   lxd/meta.tar.gz + lxd/rootfs.tar.gz  Debian 12 container image (systemd, cloud-init, python3, sshd)
#   vm/base.qcow2 + vm/vmlinuz + vm/initrd.img  Debian 12 cloud-init VM disk for direct kernel boot
# Prints the cache directory on its last line.
set -euo pipefail
CACHE=${WSVMS_CACHE:-/var/cache/workstation-vms}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
here=$(cd "$(dirname "$0")" && pwd)
HASH=$(cat "$0" "$here/lxd_image_meta.sh" | sha256sum | cut -c1-16)
OUT=$CACHE/images/$HASH
if [ -f "$OUT/.done" ]; then echo "images: cached"; echo "$OUT"; exit 0; fi

WORK=$(mktemp -d /var/tmp/wsvms-build.XXXXXX)
ROOT=$WORK/rootfs
cleanup() {
  for m in proc sys; do umount -l "$ROOT/$m" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
in_root() { chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
apt_in_root() { in_root apt-get install -y -q --no-install-recommends "$@"; }

debootstrap --variant=minbase --include=systemd-sysv,udev,dbus,iproute2,python3,sudo,ca-certificates \
  bookworm "$ROOT" "$MIRROR"
mount -t proc proc "$ROOT/proc"
mount -t sysfs sys "$ROOT/sys"
# Keep package scripts from starting daemons inside the chroot.
printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"; chmod +x "$ROOT/usr/sbin/policy-rc.d"
in_root apt-get update -q
# cloud-init cannot go into the debootstrap step itself (a dependency it cannot resolve there).
apt_in_root cloud-init openssh-server
cat > "$ROOT/etc/cloud/cloud.cfg.d/90-workstation-vms.cfg" <<'CFG'
# Without a locale cloud-init ends in status "error" on minbase.
locale: C.UTF-8
CFG
# A fallback for images booted without network-config: DHCP on the first NIC.
cat > "$ROOT/etc/systemd/network/99-dhcp.network" <<'NET'
[Match]
Name=eth0 en*
[Network]
DHCP=yes
NET
in_root systemctl enable systemd-networkd >/dev/null
# e2scrub_reap (e2fsprogs) looks for LVM snapshots these guests never have; under TCG on a loaded host a VM's boot
# once waited 21 minutes on its job.
in_root systemctl mask e2scrub_reap.service e2scrub_all.timer >/dev/null
echo debian > "$ROOT/etc/hostname"

# Every guest gets its own identity at first boot.
reset_identity() {
  : > "$ROOT/etc/machine-id"
  rm -f "$ROOT"/etc/ssh/ssh_host_* "$ROOT/var/lib/dbus/machine-id"
  rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb
}

# --- LXD container image
reset_identity
mkdir -p "$WORK/lxd"
bash "$here/lxd_image_meta.sh" "$WORK/lxd" "Debian 12 (workstation.vms test image)"
umount "$ROOT/proc" "$ROOT/sys"
tar -C "$ROOT" --numeric-owner -czf "$WORK/lxd-rootfs.tar.gz" .
mount -t proc proc "$ROOT/proc"
mount -t sysfs sys "$ROOT/sys"

# --- VM disk: kernel, guest agent, WireGuard on top of the same rootfs
in_root apt-get update -q
apt_in_root linux-image-amd64 qemu-guest-agent wireguard-tools kmod
cp "$ROOT"/boot/vmlinuz-* "$WORK/vmlinuz"
cp "$ROOT"/boot/initrd.img-* "$WORK/initrd.img"
printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' > "$ROOT/etc/fstab"
reset_identity
umount "$ROOT/proc" "$ROOT/sys"
rm -f "$ROOT/usr/sbin/policy-rc.d"
mkfs.ext4 -q -L root -d "$ROOT" "$WORK/disk.raw" 3G
qemu-img convert -O qcow2 "$WORK/disk.raw" "$WORK/base.qcow2"

mkdir -p "$OUT.tmp/lxd" "$OUT.tmp/vm"
mv "$WORK/lxd/meta.tar.gz" "$OUT.tmp/lxd/meta.tar.gz"
mv "$WORK/lxd-rootfs.tar.gz" "$OUT.tmp/lxd/rootfs.tar.gz"
mv "$WORK/base.qcow2" "$WORK/vmlinuz" "$WORK/initrd.img" "$OUT.tmp/vm/"
chmod 0644 "$OUT.tmp"/vm/*
touch "$OUT.tmp/.done"
rm -rf "$OUT"; mv "$OUT.tmp" "$OUT"
ln -sfn "$OUT" "$CACHE/images/current"
echo "images: built"
echo "$OUT"
