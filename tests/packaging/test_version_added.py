# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module, plugin and role says in `version_added` the release that first shipped it, as changelogs/changelog.yaml
lists it: antsibull-changelog lists a new module under the release whose version equals its version_added, so a wrong
one leaves it out of CHANGELOG.md (lxd_instance said 1.0.0 and was missing from 0.1.0). One not released yet names the
next release, newer than every release in the changelog."""

from __future__ import annotations

import ast
import glob
import os

import yaml
from ansible.module_utils.compat.version import LooseVersion

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def documented():
    """{(kind, name): version_added} of every module, plugin and role entry point."""
    found = {}
    for path in glob.glob(os.path.join(ROOT, "plugins", "*", "*.py")):
        kind = os.path.basename(os.path.dirname(path))
        if kind in ("module_utils", "doc_fragments"):
            continue
        tree = ast.parse(open(path).read())
        doc = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                   and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets))
        name = os.path.splitext(os.path.basename(path))[0]
        found[("module" if kind == "modules" else kind, name)] = str(yaml.safe_load(doc)["version_added"])
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")):
        role = path.split(os.sep)[-3]
        with open(path) as handle:
            specs = yaml.safe_load(handle)["argument_specs"]
        found[("role", role)] = str(specs["main"]["version_added"])
    return found


def released():
    """{(kind, name): release} of everything changelog.yaml lists as new in a release."""
    with open(os.path.join(ROOT, "changelogs", "changelog.yaml")) as handle:
        releases = yaml.safe_load(handle)["releases"]
    listed = {}
    for version, release in releases.items():
        for module in release.get("modules", []):
            listed[("module", module["name"])] = version
        for kind, plugins in release.get("plugins", {}).items():
            for plugin in plugins:
                listed[(kind, plugin["name"])] = version
        for kind, objects in release.get("objects", {}).items():
            for obj in objects:
                listed[(kind, obj["name"])] = version
    return listed, sorted(releases, key=LooseVersion)


def test_version_added_is_the_release_that_lists_it():
    docs, (listed, versions) = documented(), released()
    wrong = ["%s %s: version_added %s, but changelog.yaml lists it in %s" % (k[0], k[1], docs[k], listed[k])
             for k in sorted(docs) if k in listed and listed[k] != docs[k]]
    unlisted = ["%s %s: version_added %s, a release that does not list it" % (k[0], k[1], docs[k])
                for k in sorted(docs) if k not in listed and docs[k] in versions]
    not_next = ["%s %s: version_added %s, not released yet, must be newer than %s" % (k[0], k[1], docs[k], versions[-1])
                for k in sorted(docs) if k not in listed and LooseVersion(docs[k]) <= LooseVersion(versions[-1])]
    gone = ["%s %s: in changelog.yaml, but not in the collection" % k for k in sorted(set(listed) - set(docs))]
    assert not wrong + unlisted + not_next + gone, "\n".join(wrong + unlisted + not_next + gone)


def test_unreleased_ones_name_one_next_release():
    docs, (listed, versions) = documented(), released()
    pending = sorted({docs[k] for k in docs if k not in listed})
    assert len(pending) <= 1, "unreleased plugins name different next releases: %s" % pending
    major, minor, patch = (int(p) for p in versions[-1].split("."))
    successors = {"%d.%d.%d" % v for v in ((major, minor, patch + 1), (major, minor + 1, 0), (major + 1, 0, 0))}
    assert set(pending) <= successors, "%s is not a release right after %s" % (pending, versions[-1])
