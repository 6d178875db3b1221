#!/usr/bin/env bash
# Runs every molecule scenario of the collection (extensions/molecule/*) with the full test sequence
# (converge, idempotence, check, verify, cleanup). MOLECULE_SCENARIOS="a b" limits the set.
# fresh_host (the README's make site on a nested fresh Debian 12, ~20 min) runs only when named, by `make fresh-host`:
# it joins the default set once it has passed end to end in CI's time budget (see docs/development.md).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root/extensions" || exit 1
if [ -z "${MOLECULE_SCENARIOS:-}" ]; then
  MOLECULE_SCENARIOS=$(for d in molecule/*/; do d=${d%/}; d=${d#molecule/}; case $d in default|fresh_host) ;; *) echo "$d";; esac; done)
fi
scenarios=$MOLECULE_SCENARIOS
failed=()
for s in $scenarios; do
  [ -f "molecule/$s/molecule.yml" ] || continue
  t0=$(date +%s)
  # Molecule remembers a scenario as prepared between runs; a test always starts from prepare.
  molecule reset -s "$s" >/dev/null 2>&1 || true
  if molecule test -s "$s"; then r=ok; else r=FAILED; failed+=("$s"); fi
  echo "molecule: $s $r in $(( $(date +%s) - t0 ))s"
done
if [ ${#failed[@]} -gt 0 ]; then echo "molecule: failed: ${failed[*]}"; exit 1; fi
