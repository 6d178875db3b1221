# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fake's table format (the default `--format`), after src/client/cli/formatter/table_formatter.cpp; the
expected strings in Multipass's tests/test_output_formatter.cpp are reproduced by tests/unit/fakes."""

from __future__ import annotations

import re

import multipass_fake_images as images  # pylint: disable=import-error

COLUMN_GAP = 3
LABEL = "{:<16}{}\n"
INDENT = " " * 16
NEWLINE = re.compile(r"(\r\n|\n)")


def width(values, header):
    """mp::format::column_width: the longest cell or the header, plus the gap between columns."""
    return max([len(v) for v in values] + [len(header)]) + COLUMN_GAP


def find(image_entries, blueprint_entries, show_images, show_blueprints):
    def rows(entries, kind):
        out = "{:<28}{:<18}{:<17}{:<}\n".format(kind, "Aliases", "Version", "Description")
        for entry in entries:
            aliases = images.filter_aliases(entry["aliases"])
            out += "{:<28}{:<18}{:<17}{:<}\n".format(
                images.image_string(dict(entry, aliases=aliases)), ",".join(aliases[1:]), entry["version"],
                (entry["os"] + " " if entry["os"] else "") + entry["release"])
        return out + "\n"
    if show_images and show_blueprints:
        if not image_entries and not blueprint_entries:
            return "No images or blueprints found.\n"
        return (rows(image_entries, "Image") if image_entries else "") + (
            rows(blueprint_entries, "Blueprint (deprecated)") if blueprint_entries else "")
    if show_images:
        return rows(image_entries, "Image") if image_entries else "No images found.\n"
    if show_blueprints:
        return rows(blueprint_entries, "Blueprint (deprecated)") if blueprint_entries else "No blueprints found.\n"
    return ""


def snapshots_list(snapshots):
    """snapshots: [(instance, snapshot, parent, comment)] in the daemon's order."""
    if not snapshots:
        return "No snapshots found.\n"
    widths = [width([row[i] for row in snapshots], header)
              for i, header in enumerate(("Instance", "Snapshot", "Parent"))]
    row_format = "{:<%d}{:<%d}{:<%d}{}\n" % tuple(widths)
    out = row_format.format("Instance", "Snapshot", "Parent", "Comment")
    for instance, snapshot, parent, comment in snapshots:
        limit = 50
        newline = NEWLINE.search(comment)
        if newline:
            limit = min(newline.start() + 1, limit)
        shown = "--" if not comment else (comment[:limit - 1] + "\u2026" if len(comment) > limit else comment)
        out += row_format.format(instance, snapshot, parent or "--", shown)
    return out


def mount_lines(mounts, with_maps):
    """mounts: {target: {"source_path", "uid_mappings", "gid_mappings"}}."""
    if not mounts:
        return LABEL.format("Mounts:", "--")
    longest = max(len(m["source_path"]) for m in mounts.values())
    out = ""
    for index, (target, mount) in enumerate(mounts.items()):
        out += "{:<16}{:{}} => {}\n".format("Mounts:" if index == 0 else "", mount["source_path"], longest, target)
        if with_maps:
            out += "{:>29}{}\n".format("UID map: ", ", ".join(mount["uid_mappings"]))
            out += "{:>29}{}\n".format("GID map: ", ", ".join(mount["gid_mappings"]))
    return out


def usage(used, total, human):
    return "--" if used is None or total is None else "%s out of %s" % (human(int(used)), human(int(total)))


def instance_details(name, entry, human):
    """entry: the instance as `info --format json` shows it."""
    out = LABEL.format("Name:", name) + LABEL.format("State:", entry["state"])
    if "zone" in entry:
        out += LABEL.format("Zone:", "%s(%s)" % (entry["zone"]["name"], "a" if entry["zone"]["available"] else "u/a"))
    if "snapshot_count" in entry:
        out += LABEL.format("Snapshots:", entry["snapshot_count"])
    ipv4 = entry["ipv4"] or ["--"]
    out += LABEL.format("IPv4:", ipv4[0]) + "".join(LABEL.format("", ip) for ip in ipv4[1:])
    out += LABEL.format("Release:", entry["release"] or "--")
    out += LABEL.format("Image hash:", entry["image_hash"][:12] + (
        " (Ubuntu %s)" % entry["image_release"] if entry["image_release"] else "") if entry["image_hash"]
        else "Not Available")
    out += LABEL.format("CPU(s):", entry["cpu_count"] or "--")
    out += LABEL.format("Load:", " ".join("%.2f" % v for v in entry["load"]) or "--")
    disk = entry["disks"]["sda1"]
    out += LABEL.format("Disk usage:", usage(disk.get("used"), disk.get("total"), human))
    out += LABEL.format("Memory usage:", usage(entry["memory"].get("used"), entry["memory"].get("total"), human))
    return out + mount_lines(entry["mounts"], with_maps=True)


def snapshot_details(instance, snapshot, entry):
    """entry: the snapshot as `info --format json` shows it."""
    out = LABEL.format("Snapshot:", snapshot) + LABEL.format("Instance:", instance)
    if entry["size"]:
        out += LABEL.format("Size:", entry["size"])
    out += LABEL.format("CPU(s):", entry["cpu_count"]) + LABEL.format("Disk space:", entry["disk_space"])
    out += LABEL.format("Memory size:", entry["memory_size"])
    out += mount_lines(entry["mounts"], with_maps=False)
    out += LABEL.format("Created:", entry["created"]) + LABEL.format("Parent:", entry["parent"] or "--")
    children = entry["children"] or ["--"]
    out += LABEL.format("Children:", children[0]) + "".join(LABEL.format("", c) for c in children[1:])
    comment = NEWLINE.sub(lambda m: m.group(0) + INDENT, entry["comment"]) if entry["comment"] else "--"
    return out + LABEL.format("Comment:", comment)


def info(blocks, snapshots_requested):
    """blocks: the text of each instance and snapshot; separated by blank lines, as TableFormatter::format does."""
    if not blocks:
        return "No %s found.\n" % ("snapshots" if snapshots_requested else "instances")
    return "\n".join(blocks)
