# Stand-in for the get-pip script ansible-test downloads from a host this machine cannot reach:
# it runs `pip install` from a pip wheel fetched from PyPI beside it (tests/env/sanity.sh puts it there).
import glob
import os
import sys

wheel = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-*.whl")))[-1]
sys.path.insert(0, wheel)
from pip._internal.cli.main import main  # noqa: E402  (importable only once the wheel is on the path)

# get-pip's own flags, which `pip install` does not know.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install"] + args))
