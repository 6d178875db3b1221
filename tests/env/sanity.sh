#!/usr/bin/env bash
# ansible-test sanity, offline: the collection copied to <dest>/ansible_collections/workstation/vms, and
# ansible-test's pip bootstrap served from PyPI instead of the host it normally downloads from.
# Arguments are passed to `ansible-test sanity`. The ansible-core under test is that of SANITY_VENV (default: the
# project's .venv) with its Python SANITY_PYTHON (X.Y, default 3.11); SANITY_DEST is the copy's root (default
# .build/sanity). tests/env/matrix.sh runs it once per ansible-core version.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${SANITY_VENV:-$root/.venv}
python=${SANITY_PYTHON:-3.11}
dest=${SANITY_DEST:-$root/.build/sanity}/ansible_collections/workstation/vms
pip_version=$("$venv/bin/python" -c "from ansible_test._internal.python_requirements import get_venv_packages; print(get_venv_packages(type('P', (), {'version': '$python'})())['pip'])")
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
standin=$cache/get_pip_${pip_version//./_}.py
if [ ! -f "$standin" ] || ! ls "$cache"/pip-"$pip_version"-*.whl >/dev/null 2>&1; then
  "$venv/bin/pip" download -q --no-deps -d "$cache" "pip==$pip_version"
  cp "$root/tests/env/get_pip_standin.py" "$standin"
fi
mkdir -p "$dest"
rsync -a --delete --exclude .git --exclude .venv --exclude '.venv-*' --exclude .build --exclude tests/output \
  --exclude __pycache__ --exclude .pytest_cache --exclude .hypothesis "$root/" "$dest/"
cd "$dest"
git init -q . 2>/dev/null || true
# ansible-test keeps its test venvs in ~/.ansible/test/venv, shared by every checkout on the host, and two runs that
# create the same one at once break each other (a half-made venv is deleted by the other run): one run at a time.
PATH=$venv/bin:$PATH flock "$cache/../wsvms-sanity.lock" ansible-test sanity --venv --python "$python" --color no "$@"
