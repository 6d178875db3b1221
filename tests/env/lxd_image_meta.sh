#!/usr/bin/env bash
# Writes an LXD/Incus image's metadata (metadata.yaml + the hostname template) as DIR/meta.tar.gz: shared by
# build_images.sh and fresh_rootfs.sh, whose cache hashes include this file.
#   lxd_image_meta.sh DIR DESCRIPTION
set -euo pipefail
out=$1 description=$2
meta=$(mktemp -d /var/tmp/wsvms-meta.XXXXXX)
trap 'rm -rf "$meta"' EXIT
mkdir -p "$meta/templates"
cat > "$meta/metadata.yaml" <<META
architecture: x86_64
creation_date: $(date +%s)
properties:
  os: debian
  release: bookworm
  architecture: amd64
  description: $description
templates:
  /etc/hostname:
    when: [create, copy]
    template: hostname.tpl
META
echo '{{ container.name }}' > "$meta/templates/hostname.tpl"
tar -C "$meta" -czf "$out/meta.tar.gz" metadata.yaml templates
