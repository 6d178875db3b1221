#!/usr/bin/env bash
# Benchmark: `ansible-inventory --list` over 50 LXD containers, workstation.vms.guests (project venv) against
# community.general.lxd (anchors' venv, tests/bench/venv.sh), same daemon, same run, 5 interleaved repetitions
# each, plus a one-host static inventory in each venv (Ansible's own start-up) and API requests per listing.
# Containers are named inv-bench-NN (debian/12), created once and deleted at the end (--keep keeps them).
# Not part of `make test`.   Usage: bash tests/bench/inventory/run.sh [--count 50] [--reps 5] [--keep]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
anchor=$(bash "$root/tests/bench/venv.sh" | tail -n1)
mkdir -p "$root/.build/collections/ansible_collections/workstation"
ln -sfn "$root" "$root/.build/collections/ansible_collections/workstation/vms"
exec "$root/.venv/bin/python" "$root/tests/bench/inventory/bench.py" --ours-venv "$root/.venv" \
  --anchor-venv "$anchor" --collections "$root/.build/collections" "$@"
