# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The libvirt connection (qemu_vm module, libvirt backend of the guests inventory plugin).
    DOCUMENTATION = r"""
options:
  uri:
    description:
      - libvirt connection URI, for example V(qemu:///system), V(qemu:///session) or V(qemu+ssh://host/system).
    type: str
    default: qemu:///system
requirements:
  - libvirt-python
"""

    # The options of a libvirt VM beside the common ones (qemu_vm, and the libvirt backend wherever it is offered).
    VM = r"""
options:
  image:
    description:
      - The base image, an absolute path of a local qcow2 or raw image, or an http(s) URL of one (then O(checksum)
        is required). A URL is downloaded once into O(cache_dir), atomically (into a temporary file, renamed into
        place only after the checksum matched), so a partial download is never used.
      - Required to create a VM. The base image is never written to (each VM has an overlay backed by it) and
        never deleted. An existing VM keeps its base; a different O(image) only gives a warning.
    type: str
  checksum:
    description:
      - Checksum of the image as V(sha256:HEX) (also V(sha512:), V(sha1:), V(md5:)) or a bare sha256 hex digest.
      - Required with a URL. With a local path it is verified when the VM is created.
    type: str
  cache_dir:
    description: Where downloaded images are kept, one subdirectory per URL and checksum.
    type: path
    default: /var/cache/workstation-vms/downloads
  pool_dir:
    description: Directory holding one subdirectory per VM with its overlay and seed ISO.
    type: path
    default: /var/lib/libvirt/images/workstation-vms
  kernel:
    description:
      - Direct kernel boot (as NixOS microvm or build-vm do), a kernel on the host to boot instead of the
        image's boot loader. Needed for images without a boot loader (a bare file system on V(/dev/vda)).
    type: path
  initrd:
    description: Initial ramdisk on the host for O(kernel).
    type: path
  cmdline:
    description: Kernel command line for O(kernel), for example V(root=/dev/vda rw console=ttyS0).
    type: str
  meta_data:
    description:
      - Extra NoCloud meta-data keys; C(instance-id) and C(local-hostname) default to the VM name.
    type: dict
  network_config:
    description: NoCloud network-config (version 1 or 2), as a dict or a YAML string.
    type: raw
  mac:
    description:
      - MAC address of the network interface. Default is derived from the name (C(52:54:00:..)), so it is the
        same on every run and after the VM is re-created (and it keeps its DHCP address).
    type: str
  network:
    description:
      - V(default) (libvirt's NAT network) or any libvirt network name (also written V(network:NAME)),
        V(bridge:BRIDGE) for a host bridge, or V(user) for QEMU user-mode networking (use O(port_forwards) to
        reach the guest). Default on creation is V(default).
    type: str
  port_forwards:
    description:
      - Host ports forwarded to guest ports, with O(network=user) only.
    type: list
    elements: dict
    suboptions:
      host_port:
        description: Port on the host.
        type: int
        required: true
      guest_port:
        description: Port in the guest.
        type: int
        required: true
      protocol:
        description: tcp or udp.
        type: str
        choices: [tcp, udp]
        default: tcp
      host_address:
        description: Host address to listen on.
        type: str
        default: 127.0.0.1
  mount_type:
    description:
      - How host directories in O(mounts) reach the guest. V(auto) uses virtiofs (C(/usr/lib/qemu/virtiofsd),
        memfd shared memory backing) for read-write mounts and 9p (C(mapped)) for read-only ones, because only
        9p enforces read-only on the host side with this virtiofsd; 9p also where virtiofsd is missing.
      - The guest mounts them at every boot through cloud-init C(bootcmd) entries, which come before the C(bootcmd)
        entries of O(cloud_init) so that those find the host directories mounted.
    type: str
    choices: [auto, virtiofs, 9p]
    default: auto
  graphics:
    description:
      - V(none) (serial console only), V(spice) (with a QXL video device) or V(vnc) (with a virtio video device),
        listening on 127.0.0.1. The console URI is returned as RV(instance.console). Default on creation V(none).
    type: str
    choices: [none, spice, vnc]
  stateless:
    description:
      - Throw away every change to the root disk at each shutdown and at each reboot. The disk gets libvirt's
        C(<transient/>) (writes go to a temporary overlay deleted when QEMU stops), C(<on_reboot>) is C(destroy)
        so a guest reboot is a real stop, and a small keeper process started by this module starts the VM again
        after the guest stopped it (reboot or poweroff). Stop such a VM with O(state=stopped).
      - Keep data in O(mounts) (host directories survive). Default on creation V(false).
    type: bool
  autostart:
    description: Start the VM when libvirtd starts. Left alone when not given.
    type: bool
  accel:
    description:
      - Domain type. V(kvm) or V(tcg) (software emulation, domain type C(qemu)).
      - V(auto) uses the environment variable E(WORKSTATION_VMS_ACCEL) (V(kvm) or V(tcg)) when set, and else boots
        a 512-byte probe guest under KVM (about 0.1 s where KVM works, 3 s timeout where it hangs guests) and uses
        KVM only if the probe finished. Only evaluated when a VM is created; V(auto) never changes an existing VM.
    type: str
    choices: [auto, kvm, tcg]
    default: auto
  firmware:
    description: V(bios) (SeaBIOS) or V(uefi) (needs OVMF on the host). Default on creation V(bios).
    type: str
    choices: [bios, uefi]
"""
