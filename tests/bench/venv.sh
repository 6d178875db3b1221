#!/usr/bin/env bash
# The anchors' venv for benchmarks: the `ansible` package (community.general, community.libvirt), which needs
# ansible-core 2.21 and so Python 3.12+. Ours runs from .venv; both talk to the same daemons in the same run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=$root/.venv-bench
if [ ! -x "$venv/bin/ansible-playbook" ]; then
  py=$(command -v python3.12 || true)
  for candidate in /root/.pyenv/versions/3.12*/bin/python3; do [ -x "$candidate" ] && py=$candidate; done
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check ansible==14.5.0 libvirt-python==12.8.0 pylxd==2.4.2
fi
echo "$venv"
