# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The docs site tests/env/docs.sh built in .build/docs/html: a page for every module, plugin, role entry point and
guide page, no broken internal link or anchor, and, in headless Chromium (Debian's package), a module page whose
options table and examples are rendered. The screenshots stay in .build/docs-shots/ as artifacts."""

from __future__ import annotations

import functools
import glob
import os
import re
import subprocess
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HTML = os.path.join(ROOT, ".build", "docs", "html")
PAGES = os.path.join(HTML, "collections", "workstation", "vms")
SHOTS = os.path.join(ROOT, ".build", "docs-shots")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])


@functools.lru_cache(maxsize=None)
def parsed(path):
    """The ids and links of a page, parsed once across tests."""
    links = Links()
    with open(path, encoding="utf-8") as handle:
        links.feed(handle.read())
    return links


def plugin_names(kind):
    return sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(ROOT, "plugins", kind, "*.py"))
                  if not os.path.basename(p).startswith("_"))


def test_site_was_built():
    assert os.path.isfile(os.path.join(HTML, "index.html")), "run tests/env/docs.sh (make docs) first"


@pytest.mark.parametrize("kind, suffix", [("modules", "module"), ("connection", "connection"), ("inventory", "inventory")])
def test_every_plugin_has_a_page(kind, suffix):
    names = plugin_names(kind)
    assert names
    missing = [n for n in names if not os.path.isfile(os.path.join(PAGES, "%s_%s.html" % (n, suffix)))]
    assert not missing, missing


def test_every_role_entry_point_has_a_section():
    for spec in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")):
        role = spec.split(os.sep)[-3]
        with open(spec) as handle:
            entry_points = yaml.safe_load(handle)["argument_specs"]
        page = os.path.join(PAGES, "%s_role.html" % role)
        ids = parsed(page).ids
        for entry_point in entry_points:
            anchor = "ansible-collections-workstation-vms-%s-role-entrypoint-%s" % (role.replace("_", "-"), entry_point)
            assert anchor in ids, (page, anchor)


def test_every_guide_page_is_in_the_site():
    for md in glob.glob(os.path.join(ROOT, "docs", "*.md")):
        name = os.path.splitext(os.path.basename(md))[0]
        assert os.path.isfile(os.path.join(HTML, "guide", name + ".html")), md


def test_no_broken_internal_links_or_anchors():
    broken = []
    for page in glob.glob(os.path.join(HTML, "**", "*.html"), recursive=True):
        for link in parsed(page).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("mailto:"):
                continue
            target = os.path.normpath(os.path.join(os.path.dirname(page), unquote(parts.path))) if parts.path else page
            if not os.path.exists(target):
                broken.append("%s -> %s" % (os.path.relpath(page, HTML), link))
            elif parts.fragment and target.endswith(".html") and unquote(parts.fragment) not in parsed(target).ids:
                broken.append("%s -> %s (no such anchor)" % (os.path.relpath(page, HTML), link))
    assert not broken, "\n".join(sorted(set(broken)))


def chromium(*args):
    proc = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--window-size=1280,1600", *args], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.parametrize("page, shot", [("index.html", "index.png"),
                                        ("collections/workstation/vms/qemu_vm_module.html", "qemu_vm_module.png")])
def test_chromium_screenshot(page, shot):
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, shot)
    if os.path.exists(path):
        os.unlink(path)
    chromium("--screenshot=%s" % path, "file://" + os.path.join(HTML, page))
    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n", path
    assert os.path.getsize(path) > 20000, "a nearly empty screenshot: %s" % path


def test_chromium_renders_the_options_table_and_examples():
    # the DOM after Chromium has laid the page out and run its scripts (the theme's JavaScript included)
    dom = chromium("--dump-dom", "file://" + os.path.join(PAGES, "qemu_vm_module.html"))
    tables = re.findall(r'<table[^>]*class="[^"]*ansible-option-table[^"]*"[^>]*>(.*?)</table>', dom, re.S)
    assert tables, "no options table"
    options = re.findall(r'<p class="ansible-option-title"[^>]*><strong>([a-z_]+)</strong>', tables[0])
    assert {"name", "state", "image", "memory", "cloud_init", "wait_for"} <= set(options), options
    examples = re.search(r'<section id="examples">(.*?)</section>', dom, re.S)
    assert examples, "no Examples section"
    code = re.sub(r"<[^>]+>", "", examples.group(1))
    assert "workstation.vms.qemu_vm:" in code, code[:500]
