#!/usr/bin/env bash
# ansible-test sanity, offline: the collection copied to .build/sanity/ansible_collections/workstation/vms,
# and ansible-test's pip bootstrap served from PyPI instead of the host it normally downloads from.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=$root/.venv
pip_version=$("$venv/bin/python" -c 'from ansible_test._internal.python_requirements import get_venv_packages; print(get_venv_packages(type("P", (), {"version": "3.11"})())["pip"])' 2>/dev/null || echo 24.2)
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
standin=$cache/get_pip_${pip_version//./_}.py
if [ ! -f "$standin" ] || ! ls "$cache"/pip-"$pip_version"-*.whl >/dev/null 2>&1; then
  "$venv/bin/pip" download -q --no-deps -d "$cache" "pip==$pip_version"
  cp "$root/tests/env/get_pip_standin.py" "$standin"
fi
dest=$root/.build/sanity/ansible_collections/workstation/vms
mkdir -p "$dest"
rsync -a --delete --exclude .git --exclude .venv --exclude '.venv-*' --exclude .build --exclude tests/output \
  --exclude __pycache__ --exclude .pytest_cache --exclude .hypothesis "$root/" "$dest/"
cd "$dest"
git init -q . 2>/dev/null || true
PATH=$venv/bin:$PATH ansible-test sanity --venv --python 3.11 --color no "$@"
