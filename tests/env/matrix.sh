#!/usr/bin/env bash
# The ansible-core matrix: unit tests and the version-sensitive ansible-test sanity tests on every ansible-core minor
# from the lower bound of meta/runtime.yml's requires_ansible up to the newest release on PyPI, each in its own venv
# (tests/env/core_venv.sh: made once per host and reused while its requirements are unchanged) with the Python that
# ansible-core supports as a controller: 3.11 (Debian 12's own) up to 2.19, 3.12 (or 3.13 where 3.12 cannot be had:
# see python.sh) from 2.20 on. A version whose Python cannot be had is skipped loudly, with the reason, and the matrix
# fails only on versions that ran and failed.
#
# Sanity tests run here are those whose outcome depends on the ansible-core under test (its doc and argument-spec
# schema, its module loader, its runtime.yml schema, its supported Pythons, its per-version ignore file):
# MATRIX_SANITY_TESTS. The style linters (pylint, pep8, yamllint, shellcheck, ...) check the same files with tool
# versions ansible-test pins; they run in full in `make sanity` on the project's own ansible-core (requirements-test.txt),
# and pylint's ansible-specific deprecation checks run here on the newest version, where deprecations first show.
#
# MATRIX_SKIP_PROJECT_CORE=1 (make test sets it): the project's own ansible-core (.venv, requirements-test.txt) is not
# run again here, as make test's units and sanity targets have just run all of these tests on it. The newest core's
# venv also gets molecule: make integration and make molecule run their newest-core parts in it.
# Prints one result line per version and the time each took.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tests=${MATRIX_SANITY_TESTS:-action-plugin-docs ansible-doc compile ignores import runtime-metadata validate-modules}
newest_extra=${MATRIX_NEWEST_EXTRA_TESTS:-pylint}

lowest=$(bash tests/env/core_venv.sh --lowest)
newest=$(bash tests/env/core_venv.sh --newest)
project=$(sed -n 's/^ansible-core==\([0-9]*\.[0-9]*\)\..*/\1/p' requirements-test.txt)
echo "matrix: ansible-core $lowest .. $newest (requires_ansible lower bound .. newest on PyPI)"

status=0
results=()
for minor in $(seq "${lowest#2.}" "${newest#2.}"); do
  core=2.$minor
  t0=$(date +%s)
  if [ "${MATRIX_SKIP_PROJECT_CORE:-}" = 1 ] && [ "$core" = "$project" ]; then
    results+=("ansible-core $core: units and the full sanity run in make test's units and sanity targets (.venv)")
    continue
  fi
  extra=() venv_args=()
  [ "$core" = "$newest" ] && extra=("$newest_extra") venv_args=(--integration)
  if ! venv=$(bash tests/env/core_venv.sh "$core" "${venv_args[@]}"); then
    echo "matrix: SKIPPED ansible-core $core: no Python it supports as a controller on this host (see tests/env/python.sh)" >&2
    results+=("ansible-core $core: SKIPPED (no Python for it)"); continue
  fi
  pyver=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  installed=$("$venv/bin/python" -c 'import ansible; print(ansible.__version__)')
  echo "matrix: ansible-core $installed on Python $pyver ($venv)"
  ok=true
  PATH=$venv/bin:$PATH "$venv/bin/python" -m pytest -q tests/unit || ok=false
  sanity_args=()
  for t in $tests "${extra[@]}"; do sanity_args+=(--test "$t"); done
  SANITY_VENV=$venv SANITY_PYTHON=$pyver SANITY_DEST=$root/.build/matrix/sanity-$core \
    bash tests/env/sanity.sh "${sanity_args[@]}" || ok=false
  took=$(( $(date +%s) - t0 ))
  if $ok; then results+=("ansible-core $installed (Python $pyver): passed in ${took}s")
  else results+=("ansible-core $installed (Python $pyver): FAILED in ${took}s"); status=1; fi
done
printf 'matrix: %s\n' "${results[@]}"
exit $status
