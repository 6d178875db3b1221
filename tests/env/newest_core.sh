#!/usr/bin/env bash
# Runs a command on the newest ansible-core on PyPI: its venv (tests/env/core_venv.sh --integration, the one the matrix
# made) first on PATH. make integration and make molecule run their newest-core parts through it:
#   bash tests/env/newest_core.sh python -m pytest tests/integration/test_smoke_lxd.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$(bash "$here/core_venv.sh" "$(bash "$here/core_venv.sh" --newest)" --integration)
echo "newest_core: ansible-core $("$venv/bin/python" -c 'import ansible; print(ansible.__version__)') ($venv): $*" >&2
PATH=$venv/bin:$PATH exec "$@"
