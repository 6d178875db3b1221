#!/usr/bin/env bash
# make bench: every benchmark of tests/bench/, each against its anchor on the same daemon in the same run, with
# interleaved repetitions; figures printed with their ratios and written as JSON to .build/bench/<bench>.json.
# A bench waits (up to BENCH_SETTLE s, 900) for the 1-minute load average to fall to 2 once its containers are up,
# and refuses to start while it is above (BENCH_FORCE=1 runs it anyway and marks
# every figure NOT QUIET). Not part of `make test`.
#
# Usage: bash tests/bench/run.sh                  every bench at its full size:
#          inventory (50 and 200 containers), lxd_noop (20), connection (10 tasks x 4 guests), ci_machines (N=8),
#          qemu_start (VM boots: 3 repetitions, under the VM lock)
#        bash tests/bench/run.sh BENCH [ARGS...]  one bench, its own arguments (see the head of each bench file)
# Environment: BENCH_REPS (default 5; qemu_start 3), BENCH_SMALL=1 (5 containers / N=5 everywhere: proves the
#              benches run end to end, the figures mean little), BENCH_FORCE=1, BENCH_SKIP="qemu_start ..."
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/bench
exec 9>/tmp/wsvms-bench.lock   # the benches' containers and VM have fixed names
flock 9
anchor=$(bash "$here/venv.sh" | tail -n1)
mkdir -p "$root/.build/collections/ansible_collections/workstation" "$root/.build/bench"
ln -sfn "$root" "$root/.build/collections/ansible_collections/workstation/vms"
export PATH=$root/.venv/bin:$PATH ANSIBLE_COLLECTIONS_PATH=$root/.build/collections ANSIBLE_CONFIG=$root/ansible.cfg
export ANSIBLE_NOCOLOR=1
reps=${BENCH_REPS:-5}
small=${BENCH_SMALL:-0}

one() {
  local name=$1; shift
  local venvs=(--ours-venv "$root/.venv" --anchor-venv "$anchor" --collections "$root/.build/collections")
  echo "=== bench $name $* (load $(cut -d' ' -f1-3 /proc/loadavg), $(date +%H:%M:%S))"
  case $name in
    inventory|lxd_noop|connection) python "$here/$name/bench.py" "${venvs[@]}" "$@" ;;
    ci_machines) bash "$here/ci_machines/bench.sh" "$anchor" "$@" ;;
    qemu_start) flock /tmp/wsvms-vm.lock python "$here/qemu_start/bench.py" "$@" ;;
    *) echo "unknown bench '$name'; one of: inventory lxd_noop connection ci_machines qemu_start" >&2; return 2 ;;
  esac
}

if [ $# -gt 0 ]; then
  one "$@"
  exit
fi
if [ "$small" = 1 ]; then
  sizes=(inventory "--counts 5,10" lxd_noop "--count 5" connection "--count 4" ci_machines "--count 5"
         qemu_start "")
else
  sizes=(inventory "--counts 50,200" lxd_noop "--count 20" connection "--count 4" ci_machines "--count 8"
         qemu_start "")
fi
status=0
for ((i = 0; i < ${#sizes[@]}; i += 2)); do
  name=${sizes[i]}
  case " ${BENCH_SKIP:-} " in *" $name "*) echo "=== bench $name: skipped (BENCH_SKIP)"; continue ;; esac
  if [ "$name" = qemu_start ]; then r=${BENCH_REPS:-3}; else r=$reps; fi
  # shellcheck disable=SC2086  # the sizes are word lists
  one "$name" ${sizes[i+1]} --reps "$r" || { echo "=== bench $name FAILED (rc $?)"; status=1; }
done
echo "=== make bench: figures in $root/.build/bench/ (load now $(cut -d' ' -f1-3 /proc/loadavg))"
exit $status
