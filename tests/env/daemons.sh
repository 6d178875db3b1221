#!/usr/bin/env bash
# Starts and initialises LXD, Incus and libvirtd (+ its default network) with the collection's own role,
# workstation.vms.hypervisor_host (tests/env/host.yml), exactly as users set up their hosts: packages,
# a direct start where PID 1 is not systemd, preseeded initialisation (LXD lxdbr0 10.99.10.1/24,
# Incus incusbr0 10.99.20.1/24, libvirt default 192.168.122.0/24), inotify limits. Daemons that already
# run and are initialised are left alone. Needs the venv (make venv collection).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export PATH=$root/.venv/bin:$PATH ANSIBLE_COLLECTIONS_PATH=$root/.build/collections ANSIBLE_CONFIG=$root/ansible.cfg
export ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_NOCOLOR=1
cd "$root"
ansible-playbook -i localhost, tests/env/host.yml "$@"
