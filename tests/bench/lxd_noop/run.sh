#!/usr/bin/env bash
# Benchmark: 20 existing, running LXD containers converged (no-op, state started, same settings) by
# workstation.vms.lxd_instance (project venv) and by community.general.lxd_container (anchors' venv,
# tests/bench/venv.sh), same daemon, same run, interleaved repetitions; a loop of 20 `ping` in each venv is
# subtracted (Ansible's own per-item cost). API requests per instance counted through a proxy socket.
# Containers are lxdi-bench-NN (debian/12), created once and deleted at the end (--keep keeps them).
# Not part of `make test`.   Usage: bash tests/bench/lxd_noop/run.sh [--count 20] [--reps 3] [--keep]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
anchor=$(bash "$root/tests/bench/venv.sh" | tail -n1)
mkdir -p "$root/.build/collections/ansible_collections/workstation"
ln -sfn "$root" "$root/.build/collections/ansible_collections/workstation/vms"
exec "$root/.venv/bin/python" "$root/tests/bench/lxd_noop/bench.py" --ours-venv "$root/.venv" \
  --anchor-venv "$anchor" --collections "$root/.build/collections" "$@"
