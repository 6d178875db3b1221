#!/usr/bin/env bash
# Runs every molecule scenario of the collection (extensions/molecule/*) with the full test sequence
# (converge, idempotence, check, verify, cleanup). MOLECULE_SCENARIOS="a b" limits the set; MOLECULE_LANE=vm runs
# the scenarios that boot QEMU VMs, MOLECULE_LANE=other the rest (make test runs the two side by side).
# fresh_host (the README's make site on a nested fresh machine) runs only when named: `make fresh-host`, its own lane.
# The scenarios in MOLECULE_NEWEST_CORE (one on LXD, one on libvirt) run on the newest ansible-core on PyPI
# (tests/env/newest_core.sh) instead of the project's own: the newest core gets molecule coverage without another
# VM boot; every other scenario covers the project's core.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root/extensions" || exit 1
# The scenarios that boot a QEMU VM (under TCG each takes a core for minutes: one at a time).
vm_scenarios=" desktop_vm guest home_mount qemu_vm sample_role_libvirt site snapshots wireguard_vm "
if [ -z "${MOLECULE_SCENARIOS:-}" ]; then
  MOLECULE_SCENARIOS=$(for d in molecule/*/; do
    d=${d%/}; d=${d#molecule/}
    case $d in default|fresh_host) continue;; esac
    case "${MOLECULE_LANE:-all}:$vm_scenarios" in
      vm:*" $d "*|all:*) echo "$d";;
      vm:*) ;;
      other:*" $d "*) ;;
      *) echo "$d";;
    esac
  done)
fi
scenarios=$MOLECULE_SCENARIOS
newest_core=" ${MOLECULE_NEWEST_CORE-sample_role_lxd sample_role_libvirt} "
failed=()
for s in $scenarios; do
  [ -f "molecule/$s/molecule.yml" ] || continue
  t0=$(date +%s)
  # Molecule remembers a scenario as prepared between runs; a test always starts from prepare.
  molecule reset -s "$s" >/dev/null 2>&1 || true
  # A scenario names its guests itself: two checkouts testing on one host take turns per scenario.
  on=() core="the project's ansible-core"
  [[ $newest_core == *" $s "* ]] && on=(bash "$root/tests/env/newest_core.sh") core="the newest ansible-core"
  if flock "/tmp/wsvms-molecule-$s.lock" "${on[@]}" molecule test -s "$s"; then r=ok; else r=FAILED; failed+=("$s"); fi
  echo "molecule: $s $r in $(( $(date +%s) - t0 ))s on $core"
done
if [ ${#failed[@]} -gt 0 ]; then echo "molecule: failed: ${failed[*]}"; exit 1; fi
