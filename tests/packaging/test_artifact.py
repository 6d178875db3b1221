# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection tarball `make build` made (.build/dist) and installed (.build/installed): what it holds, and that
ansible-builder makes an execution environment's build context from it (building the image needs a container
registry for the base image, which these machines cannot reach)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INSTALLED = os.path.join(ROOT, ".build", "installed")
COLLECTION = os.path.join(INSTALLED, "ansible_collections", "workstation", "vms")


@pytest.fixture(scope="module")
def tarball():
    found = glob.glob(os.path.join(ROOT, ".build", "dist", "workstation-vms-*.tar.gz"))
    assert len(found) == 1, "make build makes exactly one tarball in .build/dist, found %s" % found
    return found[0]


@pytest.fixture(scope="module")
def members(tarball):
    with tarfile.open(tarball) as tar:
        return {m.name.rstrip("/") for m in tar.getmembers()}


def test_tarball_has_no_test_output_venvs_or_build_tree(members):
    bad = sorted(m for m in members
                 if m.split("/")[0] in (".venv", ".build", ".git", ".ci") or m.startswith(".venv-")
                 or m.startswith("tests/output") or "__pycache__" in m.split("/") or m.endswith(".pyc")
                 or m == "requirements-test.txt")
    assert not bad, bad


def test_tarball_ships_docs_and_dependency_files(members):
    docs = {os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "docs", "*.md"))}
    assert docs, "docs/*.md"
    missing = sorted({"docs/" + d for d in docs} - members)
    assert not missing, missing
    for path in ("README.md", "CHANGELOG.md", "requirements.txt", "bindep.txt", "meta/execution-environment.yml",
                 "meta/runtime.yml", "MANIFEST.json", "FILES.json", "playbooks/status.yml",
                 "plugins/inventory/guests.py", "plugins/modules/qemu_vm.py", "roles/desktop_vm/meta/argument_specs.yml"):
        assert path in members, path


def test_execution_environment_file_points_at_shipped_files():
    with open(os.path.join(COLLECTION, "meta", "execution-environment.yml")) as handle:
        ee = yaml.safe_load(handle)
    deps = ee["dependencies"]
    for key in ("python", "system"):
        assert os.path.isfile(os.path.join(COLLECTION, deps[key])), deps[key]


def test_ansible_builder_introspect_reads_the_installed_collection():
    # what ansible-builder runs inside the image to collect every collection's dependencies
    proc = subprocess.run(["ansible-builder", "introspect", INSTALLED], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    found = yaml.safe_load(proc.stdout)
    python = " ".join(r for r in found["python"] if r.endswith("# from collection workstation.vms"))
    system = " ".join(r for r in found["system"] if r.endswith("# from collection workstation.vms"))
    for lib in ("pylxd==", "libvirt-python==", "pycdlib=="):
        assert lib in python, python
    for pkg in ("libvirt-dev", "pkg-config", "qemu-utils", "lxd-client"):
        assert pkg in system, system


def test_ansible_builder_create_from_the_collection_file(tmp_path):
    """The collection's file as an EE definition of its own. Its paths are relative to the collection's root (as
    introspection reads them); a definition's are relative to the definition, so it is used from the root."""
    for name in ("requirements.txt", "bindep.txt"):
        shutil.copy(os.path.join(COLLECTION, name), tmp_path / name)
    shutil.copy(os.path.join(COLLECTION, "meta", "execution-environment.yml"), tmp_path / "execution-environment.yml")
    proc = subprocess.run(["ansible-builder", "create", "-f", "execution-environment.yml", "--context", "context"],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    build = tmp_path / "context" / "_build"
    with open(os.path.join(COLLECTION, "requirements.txt")) as handle:
        assert (build / "requirements.txt").read_text() == handle.read()
    with open(os.path.join(COLLECTION, "bindep.txt")) as handle:
        assert (build / "bindep.txt").read_text() == handle.read()


def test_ansible_builder_create_of_an_ee_installing_the_tarball(tmp_path, tarball):
    """A user's execution environment (schema 3) with this collection from its tarball."""
    (tmp_path / "requirements.yml").write_text(yaml.safe_dump(
        {"collections": [{"name": "_build/" + os.path.basename(tarball), "type": "file"}]}))
    definition = {
        "version": 3,
        "images": {"base_image": {"name": "registry.invalid/ee-minimal:latest"}},
        "dependencies": {"galaxy": "requirements.yml", "ansible_core": {"package_pip": "ansible-core"},
                         "ansible_runner": {"package_pip": "ansible-runner"}},
        "additional_build_files": [{"src": tarball, "dest": "."}],
    }
    (tmp_path / "execution-environment.yml").write_text(yaml.safe_dump(definition))
    proc = subprocess.run(["ansible-builder", "create", "-f", "execution-environment.yml", "--context", "context",
                           "--output-filename", "Containerfile"], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    context = tmp_path / "context"
    assert (context / "_build" / os.path.basename(tarball)).is_file()
    assert "_build/" + os.path.basename(tarball) in (context / "_build" / "requirements.yml").read_text()
    containerfile = (context / "Containerfile").read_text()
    # the collection is installed from the galaxy file, then introspected for its requirements.txt and bindep.txt
    assert "ansible-galaxy collection install" in containerfile and "requirements.yml" in containerfile
    assert "introspect" in containerfile
