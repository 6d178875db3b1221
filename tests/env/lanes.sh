#!/usr/bin/env bash
# make test's parts in three lanes that run side by side, each part after the other within its lane:
#   vm      the parts that boot QEMU VMs (a TCG guest keeps one core busy, so one VM part at a time)
#   other   everything that is Python on the host or system containers (units, sanity, matrix, lint, examples,
#           the container scenarios, build, docs): it fills the other core while a guest boots
#   fresh   fresh_host, the README's `make site` on a nested fresh machine (its own daemons, networks and guests)
# Each lane's lines are prefixed with its name; each part reports its time. Setup ran once before (make test's
# prerequisite), so the parts are made with `-o host`: two lanes never run the host role (apt, daemons) at once.
# LANES="vm other" limits the lanes. Exits non-zero when any part of any lane failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

declare -A parts=(
  [vm]="integration molecule-vm"
  [other]="units sanity matrix lint examples molecule-other build docs"
  [fresh]="fresh-host"
)

lane() {
  local name=$1 t s status=0 l0
  l0=$(date +%s)
  for t in ${parts[$name]}; do
    s=$(date +%s)
    make --no-print-directory -o host "$t" </dev/null || status=1
    echo "make test: $t took $(( $(date +%s) - s ))s (load $(cut -d' ' -f1-3 /proc/loadavg))"
  done
  echo "make test: lane $name took $(( $(date +%s) - l0 ))s, $([ $status = 0 ] && echo passed || echo FAILED)"
  return $status
}

t0=$(date +%s)
pids=()
names=()
for name in ${LANES:-vm other fresh}; do
  # sed -u reads to the end (no early close), so a lane's exit status is its own (PIPESTATUS)
  ( lane "$name" 2>&1 | sed -u "s/^/[$name] /"; exit "${PIPESTATUS[0]}" ) &
  pids+=($!)
  names+=("$name")
done
failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done
python3 tests/env/image_server.py stop
echo "make test: all took $(( $(date +%s) - t0 ))s (load $(cut -d' ' -f1-3 /proc/loadavg))"
if [ ${#failed[@]} -gt 0 ]; then echo "make test: failed lanes: ${failed[*]}"; exit 1; fi
