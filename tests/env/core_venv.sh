#!/usr/bin/env bash
# The venv of one ansible-core minor, made once and reused by every checkout on the host (CI's fresh clones too):
#   bash tests/env/core_venv.sh 2.21 [--integration]   prints the venv's path (made or reused)
#   bash tests/env/core_venv.sh --newest               prints the newest ansible-core minor on PyPI
#   bash tests/env/core_venv.sh --lowest               prints the lower bound of meta/runtime.yml's requires_ansible
# The venv holds ansible-core 2.N.*, requirements.txt and the unit-test tools pinned in requirements-test.txt;
# --integration adds molecule (the same pin) for the integration tests and scenarios run on the newest core.
# Its Python: 3.11 up to 2.19, 3.12 (or 3.13) from 2.20 on (tests/env/python.sh). It lives under
# $WSVMS_CACHE/matrix/core-2.N-<hash of what it holds>, so a venv is made again only when its Python or its
# requirements change, and two runs that want the same one wait for each other instead of both making it.
# .build/matrix/core-2.N in the checkout points at it. Exits 1 with the reason when no Python for it can be had.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cache=${WSVMS_CACHE:-/var/cache/workstation-vms}/matrix

case ${1:-} in
  --lowest)
    python3 -c 'import re, yaml; print(re.search(r">=\s*(\d+\.\d+)", yaml.safe_load(open("meta/runtime.yml"))["requires_ansible"]).group(1))'
    exit 0 ;;
  --newest)
    py=$(bash tests/env/python.sh 3.12 3.13 2>/dev/null) || py=python3
    # as a Python that can install every release sees the index
    newest=$("$py" -m pip index versions ansible-core 2>/dev/null \
      | sed -n 's/^Available versions: //p' | tr ',' '\n' | tr -d ' ' | grep -E '^2\.[0-9]+\.[0-9]+$' \
      | cut -d. -f1,2 | sort -t. -k2,2n -u | tail -n1)
    [ -n "$newest" ] || { echo "core_venv.sh: could not ask PyPI for ansible-core's releases" >&2; exit 1; }
    echo "$newest"; exit 0 ;;
  2.*) core=$1 ;;
  *) echo "usage: core_venv.sh 2.N [--integration] | --newest | --lowest" >&2; exit 2 ;;
esac

if [ "${core#2.}" -le 19 ]; then py=$(bash tests/env/python.sh 3.11); else py=$(bash tests/env/python.sh 3.12 3.13); fi
pins=$(grep -E '^(pytest|hypothesis)==' requirements-test.txt | tr '\n' ' ')
[ "${2:-}" = --integration ] && pins+=$(grep -E '^molecule==' requirements-test.txt)
want=$(printf '%s\n' "$py" "$("$py" -V)" "ansible-core==$core.*" "$pins" | cat - requirements.txt | sha256sum | cut -c1-16)
venv=$cache/core-$core-$want
mkdir -p "$cache" .build/matrix
(
  flock 9
  if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$want" ]; then
    echo "core_venv.sh: making $venv" >&2
    rm -rf "$venv"
    "$py" -m venv "$venv"
    # shellcheck disable=SC2086  # pins is a list of requirement specifiers
    "$venv/bin/pip" install -q --disable-pip-version-check "ansible-core==$core.*" $pins -r requirements.txt >&2
    echo "$want" >"$venv/.stamp"
  fi
  touch "$venv/.stamp"
) 9>"$venv.lock"
# venvs of this minor that no run has used for two weeks (older requirements) go
find "$cache" -maxdepth 2 -path "$cache/core-$core-*/.stamp" -mtime +14 -printf '%h\n' | xargs -r rm -rf
link=.build/matrix/core-$core
[ -L "$link" ] || rm -rf "$link"  # a venv of its own, from before the venvs were shared
ln -sfn "$venv" "$link"
echo "$venv"
