#!/usr/bin/env bash
# Runs every molecule scenario of the collection (extensions/molecule/*) with the full test sequence
# (converge, idempotence, check, verify, cleanup). MOLECULE_SCENARIOS="a b" limits the set; MOLECULE_LANE=vm runs
# the scenarios that boot QEMU VMs, MOLECULE_LANE=other the rest (make test runs them side by side); --list prints
# the set and runs nothing.
# fresh_host (the README's make site on a nested fresh machine) runs only when named: `make fresh-host`, its own lane.
# The scenarios in MOLECULE_NEWEST_CORE (one on LXD, one on libvirt) run on the newest ansible-core on PyPI
# (tests/env/newest_core.sh) instead of the project's own: the newest core gets molecule coverage without another
# VM boot; every other scenario covers the project's core.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root/extensions" || exit 1
# The scenarios that boot a QEMU VM (under TCG each takes a core for minutes: one at a time per lane), the longest
# first (fresh-clone runs of 2026-12-01 and 02: 400-1500 s down to 160-180 s), so two lanes sharing them end close together.
vm_scenarios=" qemu_vm desktop_vm wireguard_vm sample_role_libvirt home_mount snapshots guest site "
if [ -z "${MOLECULE_SCENARIOS:-}" ]; then
  if [ "${MOLECULE_LANE:-all}" = vm ]; then
    MOLECULE_SCENARIOS=$vm_scenarios
  else
    MOLECULE_SCENARIOS=$(for d in molecule/*/; do
      d=${d%/}; d=${d#molecule/}
      case $d in default|fresh_host) continue;; esac
      case "${MOLECULE_LANE:-all}:$vm_scenarios" in
        other:*" $d "*) ;;
        *) echo "$d";;
      esac
    done)
  fi
fi
if [ "${1:-}" = --list ]; then
  for s in $MOLECULE_SCENARIOS; do echo "$s"; done
  exit 0
fi
newest_core=" ${MOLECULE_NEWEST_CORE-sample_role_lxd sample_role_libvirt} "
failed=()
run() {
  local s=$1 t0 on core r log
  [ -f "molecule/$s/molecule.yml" ] || return 0
  t0=$(date +%s)
  # Molecule remembers a scenario as prepared between runs; a test always starts from prepare.
  molecule reset -s "$s" >/dev/null 2>&1 || true
  # A scenario names its guests itself: two checkouts testing on one host take turns per scenario.
  on=() core="the project's ansible-core"
  [[ $newest_core == *" $s "* ]] && on=(bash "$root/tests/env/newest_core.sh") core="the newest ansible-core"
  log=$(mktemp)
  # tee reads to the end, so the status is molecule's own (PIPESTATUS)
  flock "/tmp/wsvms-molecule-$s.lock" "${on[@]}" molecule test -s "$s" 2>&1 | tee "$log"
  if [ "${PIPESTATUS[0]}" = 0 ]; then r=ok; else r=FAILED; failed+=("$s"); fi
  echo "molecule: $s $r in $(( $(date +%s) - t0 ))s on $core"
  if [ $r = FAILED ]; then
    python3 "$root/tests/env/failure_digest.py" "$log" | sed "s/^/molecule: why $s: /"
  fi
  rm -f "$log"
}
if [ -n "${MOLECULE_QUEUE:-}" ] && [ "${MOLECULE_LANE:-}" = vm ]; then
  # MOLECULE_QUEUE: a file of VM scenario names (from --list) that several lanes share; each run takes the next name
  # until none is left, so a lane done with its other parts takes over VM scenarios (tests/env/lanes.sh)
  # shellcheck disable=SC2016  # the inner script's $1 is the inner shell's, not ours
  while s=$(flock "$MOLECULE_QUEUE" bash -c 'head -n 1 "$1"; sed -i 1d "$1"' _ "$MOLECULE_QUEUE") && [ -n "$s" ]; do
    run "$s"
  done
else
  for s in $MOLECULE_SCENARIOS; do run "$s"; done
fi
if [ ${#failed[@]} -gt 0 ]; then echo "molecule: failed: ${failed[*]}"; exit 1; fi
