#!/usr/bin/env bash
# Installs the Debian packages the harness itself needs before Ansible can run: the Python venv (libvirt-python
# builds from source), python3-apt for Ansible's apt module, and the image-building tools. The daemons' own
# packages (LXD, Incus, libvirt, QEMU) come from the hypervisor_host role (tests/env/host.yml, run by daemons.sh).
# Idempotent: skips apt when all are there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(
  # python venv (libvirt-python builds against libvirt-dev)
  python3-venv python3-dev python3-apt gcc libvirt-dev pkg-config
  # image building without loop devices
  debootstrap e2fsprogs qemu-utils
  # guest tools the tests use from the host
  openssh-client wireguard-tools wireguard-go
  # the harness' own tools (openssl and ca-certificates: the image server's CA, image_server.py ca)
  rsync make bc openssl ca-certificates
)
# Only the tests need these (`packages.sh --test`, from make test / sanity / docs): `make site` installs no browser.
if [ "${1:-}" = --test ]; then
  PKGS+=(
    # ansible-test sanity runs shellcheck only where it is installed: the same on every host
    shellcheck
    # the docs site check (tests/docs) opens the built HTML in headless Chromium
    chromium fonts-dejavu-core
  )
fi

missing=()
for p in "${PKGS[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "packages: all present"; exit 0
fi
# A fresh machine's package lists may be empty or old.
apt-get update -q
# --no-install-recommends keeps a desktop and firmware stack out of the way
apt-get install -y -q --no-install-recommends "${PKGS[@]}"
