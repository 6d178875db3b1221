# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the fake daemon's image servers offer: images and blueprints for `find` and `launch`.

Shapes from Multipass itself (tests/SPEC-ADDITIONS.md names the files): an image has a remote ("" for the release
remote), aliases (the first one names it), os, release and version; a blueprint has no os and version "latest".
The entries are examples of what the servers list (versions are dates), not a copy of today's streams."""

from __future__ import annotations

# remote, aliases, os, release, version, PRETTY_NAME in a running instance, supported, first fake version
IMAGES = [
    ("", ["20.04", "focal", "f"], "Ubuntu", "20.04 LTS", "20250515", "Ubuntu 20.04.6 LTS", False, "1.16"),
    ("", ["22.04", "jammy", "j"], "Ubuntu", "22.04 LTS", "20260515", "Ubuntu 22.04.5 LTS", True, "1.16"),
    ("", ["24.04", "noble", "n", "lts", "default", "ubuntu"], "Ubuntu", "24.04 LTS", "20260518",
     "Ubuntu 24.04.3 LTS", True, "1.16"),
    ("", ["25.04", "plucky", "p"], "Ubuntu", "25.04", "20260115", "Ubuntu 25.04", True, "1.16"),
    ("daily", ["25.10", "questing", "q", "devel"], "Ubuntu", "25.10", "20260520", "Ubuntu 25.10", True, "1.16"),
    ("appliance", ["adguard-home"], "Ubuntu", "AdGuard Home Appliance", "20200812", "Ubuntu Core 16", True, "1.16"),
    ("appliance", ["mosquitto"], "Ubuntu", "Mosquitto Appliance", "20200812", "Ubuntu Core 16", True, "1.16"),
    ("appliance", ["nextcloud"], "Ubuntu", "Nextcloud Appliance", "20200812", "Ubuntu Core 16", True, "1.16"),
    ("appliance", ["openhab"], "Ubuntu", "openHAB Home Appliance", "20200812", "Ubuntu Core 16", True, "1.16"),
    ("appliance", ["plexmediaserver"], "Ubuntu", "Plex Media Server Appliance", "20200812", "Ubuntu Core 16", True,
     "1.16"),
    ("", ["debian", "trixie"], "Debian", "Trixie", "20260601", "Debian GNU/Linux 13 (trixie)", True, "1.17"),
    ("", ["fedora"], "Fedora", "44", "20260422", "Fedora Linux 44 (Cloud Edition)", True, "1.17"),
]
# name, description; a blueprint launches the current LTS with its own defaults (BLUEPRINT_DEFAULTS)
BLUEPRINTS = [
    ("anbox-cloud-appliance", "Anbox Cloud Appliance"),
    ("charm-dev", "A development and testing environment for charmers"),
    ("docker", "A Docker environment with Portainer and related tools"),
    ("jellyfin", "Jellyfin is a Free Software Media System that puts you in control of managing and streaming "
                 "your media."),
    ("minikube", "minikube is local Kubernetes"),
    ("ros2-humble", "A development and testing environment for ROS 2 Humble."),
    ("ros2-jazzy", "A development and testing environment for ROS 2 Jazzy."),
]
BLUEPRINT_BASE = "lts"
# The docker blueprint (SPEC-ADDITIONS.md 11): limits (used as defaults when not given), aliases (made in the
# instance's context) and a workspace (~/multipass/<name> mounted at <name>). The other blueprints' definitions were
# not read: they launch with Multipass's defaults.
BLUEPRINT_DEFAULTS = {
    "docker": dict(cpus=2, memory="4G", disk="40G", aliases={"docker": "docker", "docker-compose": "docker-compose"},
                   workspace=True),
}
UNWANTED_ALIASES = ("ubuntu", "default")


def offered(main, unsupported=False):
    """The images the daemon of this version offers: dicts with remote, aliases, os, release, version, pretty."""
    return [dict(remote=remote, aliases=aliases, os=os_name, release=release, version=version, pretty=pretty)
            for remote, aliases, os_name, release, version, pretty, supported, since in IMAGES
            if (main or since == "1.16") and (supported or unsupported)]


def blueprints():
    return [dict(remote="", aliases=[name], os="", release=description, version="latest", pretty="")
            for name, description in BLUEPRINTS]


def is_blueprint(image):
    return image in [name for name, _description in BLUEPRINTS]


def filter_aliases(aliases):
    """src/client/cli/formatter/format_utils.cpp filter_aliases: one-letter aliases and "ubuntu"/"default" are not
    shown, but the first alias always stays."""
    return aliases[:1] + [a for a in aliases[1:] if len(a) > 1 and a not in UNWANTED_ALIASES]


def image_string(entry):
    return "%s:%s" % (entry["remote"], entry["aliases"][0]) if entry["remote"] else entry["aliases"][0]


def search(entries, remote, text):
    """The daemon's find with a search string: the matches, each under the alias searched for and no other."""
    def matches(wanted_remote):
        return [dict(entry, aliases=[text]) for entry in entries
                if entry["remote"] == wanted_remote and text in entry["aliases"]]
    if remote:
        return matches("" if remote == "release" else remote)
    return matches("") or matches("daily")


def lookup(main, remote, alias):
    """The image (or blueprint) a launch of [remote:]alias gets, or None. The daily remote serves every series."""
    entries = offered(main, unsupported=True)
    wanted = {"": [""], "release": [""], "daily": ["daily", ""]}.get(remote, [remote])
    for want in wanted:
        for entry in entries:
            if entry["remote"] == want and alias in entry["aliases"]:
                return entry
    if not remote and is_blueprint(alias):
        return lookup(main, "", BLUEPRINT_BASE)
    return None
