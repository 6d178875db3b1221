#!/usr/bin/env bash
# Start-to-SSH through workstation.vms.qemu_vm vs a raw `virsh create` of the same XML (see bench.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
export PATH=$root/.venv/bin:$PATH ANSIBLE_COLLECTIONS_PATH=$root/.build/collections ANSIBLE_CONFIG=$root/ansible.cfg
exec python "$root/tests/bench/qemu_start/bench.py"
