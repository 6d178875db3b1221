#!/usr/bin/env bash
# The ansible-core matrix: unit tests and the version-sensitive ansible-test sanity tests on every ansible-core minor
# from the lower bound of meta/runtime.yml's requires_ansible up to the newest release on PyPI, each in its own venv
# (.build/matrix/core-2.N) with the Python that ansible-core supports as a controller: 3.11 (Debian 12's own) up to
# 2.19, 3.12 (or 3.13 where 3.12 cannot be had: see python.sh) from 2.20 on. A version whose Python cannot be had is
# skipped loudly, with the reason, and the matrix fails only on versions that ran and failed.
#
# Sanity tests run here are those whose outcome depends on the ansible-core under test (its doc and argument-spec
# schema, its module loader, its runtime.yml schema, its supported Pythons, its per-version ignore file):
# MATRIX_SANITY_TESTS. The style linters (pylint, pep8, yamllint, shellcheck, ...) check the same files with tool
# versions ansible-test pins; they run in full in `make sanity` on the project's own ansible-core (requirements-test.txt),
# and pylint's ansible-specific deprecation checks run here on the newest version, where deprecations first show.
#
# Wheels built from source (libvirt-python) land in pip's cache once per Python; a venv is rebuilt only when its
# requirements change. Prints one result line per version and the time each took.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tests=${MATRIX_SANITY_TESTS:-action-plugin-docs ansible-doc compile ignores import runtime-metadata validate-modules}
newest_extra=${MATRIX_NEWEST_EXTRA_TESTS:-pylint}

lowest=$(python3 -c 'import re, yaml; print(re.search(r">=\s*(\d+\.\d+)", yaml.safe_load(open("meta/runtime.yml"))["requires_ansible"]).group(1))')
py_new=$(bash tests/env/python.sh 3.12 3.13) || py_new=
# the newest minor on PyPI, as a Python that can install every release sees it
index_py=${py_new:-python3}
newest=$("$index_py" -m pip index versions ansible-core 2>/dev/null \
  | sed -n 's/^Available versions: //p' | tr ',' '\n' | tr -d ' ' | grep -E '^2\.[0-9]+\.[0-9]+$' \
  | cut -d. -f1,2 | sort -t. -k2,2n -u | tail -n1)
[ -n "$newest" ] || { echo "matrix: could not ask PyPI for ansible-core's releases" >&2; exit 1; }
echo "matrix: ansible-core $lowest .. $newest (requires_ansible lower bound .. newest on PyPI)"

# pins of the test tools the unit tests need, from the project's own test requirements
unit_tools=$(grep -E '^(pytest|hypothesis)==' requirements-test.txt | tr '\n' ' ')

status=0
results=()
for minor in $(seq "${lowest#2.}" "${newest#2.}"); do
  core=2.$minor
  t0=$(date +%s)
  if [ "$minor" -le 19 ]; then py=$(bash tests/env/python.sh 3.11) || py=; else py=$py_new; fi
  if [ -z "$py" ]; then
    echo "matrix: SKIPPED ansible-core $core: no Python it supports as a controller on this host (see tests/env/python.sh)" >&2
    results+=("ansible-core $core: SKIPPED (no Python for it)"); continue
  fi
  pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  venv=$root/.build/matrix/core-$core
  want=$(printf '%s\n' "$py" "ansible-core==$core.*" "$unit_tools" | cat - requirements.txt | sha256sum | cut -c1-16)
  if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$want" ]; then
    rm -rf "$venv"
    "$py" -m venv "$venv"
    # shellcheck disable=SC2086  # unit_tools is a list of requirement specifiers
    "$venv/bin/pip" install -q --disable-pip-version-check "ansible-core==$core.*" $unit_tools -r requirements.txt
    echo "$want" >"$venv/.stamp"
  fi
  installed=$("$venv/bin/python" -c 'import ansible; print(ansible.__version__)')
  echo "matrix: ansible-core $installed on Python $pyver ($venv)"
  ok=true
  PATH=$venv/bin:$PATH "$venv/bin/python" -m pytest -q tests/unit || ok=false
  extra=
  [ "$core" = "$newest" ] && extra=$newest_extra
  sanity_args=()
  for t in $tests $extra; do sanity_args+=(--test "$t"); done
  SANITY_VENV=$venv SANITY_PYTHON=$pyver SANITY_DEST=$root/.build/matrix/sanity-$core \
    bash tests/env/sanity.sh "${sanity_args[@]}" || ok=false
  took=$(( $(date +%s) - t0 ))
  if $ok; then results+=("ansible-core $installed (Python $pyver): passed in ${took}s")
  else results+=("ansible-core $installed (Python $pyver): FAILED in ${took}s"); status=1; fi
done
printf 'matrix: %s\n' "${results[@]}"
exit $status
