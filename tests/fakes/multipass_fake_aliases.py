# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's alias dictionary and the alias scripts, as the real client keeps them (tests/SPEC-ADDITIONS.md 9).

src/client/common/alias_dict.cpp: `<GenericConfigLocation>/multipass/multipass_aliases.json` holding
{"active-context": ..., "contexts": {<context>: {<alias>: {command, instance, working-directory}}}}; contexts
without aliases are dropped on save except the active one. src/platform/platform_linux.cpp: one script per alias
in `<AppLocalDataLocation>/bin` named `<context>.<alias>`, plus `<alias>` while the name is unique."""

from __future__ import annotations

import json
import os

DEFAULT_CONTEXT = "default"


def config_home():
    return os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")


def scripts_folder():
    data = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return os.path.join(data, "multipass", "bin")


def path_message():
    """Platform::alias_path_message, printed when the first alias is made and the folder is not on PATH."""
    return ("You'll need to add this to your shell configuration (.bashrc, .zshrc or so) for\n"
            "aliases to work without prefixing with `multipass`:\n\nPATH=\"$PATH:%s\"\n" % scripts_folder())


class AliasDict:
    def __init__(self):
        self.path = os.path.join(config_home(), "multipass", "multipass_aliases.json")
        self.active = DEFAULT_CONTEXT
        self.contexts = {DEFAULT_CONTEXT: {}}
        try:
            with open(self.path) as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return
        self.active = data.get("active-context") or DEFAULT_CONTEXT
        self.contexts = {name: dict(aliases) for name, aliases in (data.get("contexts") or {}).items()}
        self.contexts.setdefault(self.active, {})

    def to_json(self):
        return {"active-context": self.active, "contexts": self.contexts}

    def save(self):
        self.contexts = {name: aliases for name, aliases in self.contexts.items() if aliases or name == self.active}
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "w") as handle:
            json.dump(self.to_json(), handle, indent=4, sort_keys=True)

    def empty(self):
        return not any(self.contexts.values())

    def unique(self, alias):
        return sum(alias in aliases for aliases in self.contexts.values()) == 1

    def get(self, alias):
        """AliasDict::get_alias: the current context, else a name unique over all contexts, else `context.alias`."""
        if alias in self.contexts[self.active]:
            return self.active, alias
        owners = [name for name, aliases in self.contexts.items() if alias in aliases]
        if len(owners) == 1:
            return owners[0], alias
        context, dot, alias_only = alias.partition(".")
        if dot and alias_only in self.contexts.get(context, {}):
            return context, alias_only
        return None

    def context_and_alias(self, alias):
        """AliasDict::get_context_and_alias (what unalias accepts): the current context or `context.alias`."""
        if alias in self.contexts[self.active]:
            return self.active, alias
        context, dot, alias_only = alias.rpartition(".")
        if dot and alias_only in self.contexts.get(context, {}):
            return context, alias_only
        return None

    def add(self, context, alias, definition, executable):
        """create_alias(): the entry, the `<context>.<alias>` script and, while unique, the `<alias>` script."""
        self.contexts.setdefault(context, {})[alias] = definition
        write_script("%s.%s" % (context, alias), executable)
        if self.unique(alias):
            write_script(alias, executable)

    def remove(self, context, alias):
        del self.contexts[context][alias]
        remove_script("%s.%s" % (context, alias))
        if not any(alias in aliases for aliases in self.contexts.values()):
            remove_script(alias)

    def remove_for_instance(self, instance):
        """AliasDict::remove_aliases_for_instance (delete --purge): the context named like the instance goes, and
        every alias of the instance in the other contexts."""
        for alias in list(self.contexts.pop(instance, {})):
            remove_script("%s.%s" % (instance, alias))
            if not any(alias in aliases for aliases in self.contexts.values()):
                remove_script(alias)
        if self.active == instance:
            self.active = DEFAULT_CONTEXT
            self.contexts.setdefault(DEFAULT_CONTEXT, {})
        for context, aliases in list(self.contexts.items()):
            for alias, definition in list(aliases.items()):
                if definition["instance"] == instance:
                    self.remove(context, alias)


def write_script(name, executable):
    """Platform::create_alias_script (Linux, outside the snap): `#!/bin/sh`, a blank line, then the client's path
    (quoted as fmt's {:?} does) with the alias name, `--` and the arguments; executable by everyone."""
    folder = scripts_folder()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, "w") as handle:
        handle.write('#!/bin/sh\n\n%s %s -- "${@}"\n' % (json.dumps(executable), name))
    os.chmod(path, os.stat(path).st_mode | 0o111)


def remove_script(name):
    try:
        os.unlink(os.path.join(scripts_folder(), name))
    except FileNotFoundError:
        pass


def table(doc):
    """`aliases` as a table: Alias, Instance, Command, Context, Working directory (the current context marked
    with `*`), columns as wide as their longest cell plus 2."""
    rows = [(alias, d["instance"], d["command"], context + ("*" if context == doc["active-context"] else ""),
             d["working-directory"])
            for context, aliases in sorted(doc["contexts"].items()) for alias, d in sorted(aliases.items())]
    if not rows:
        return "No aliases defined.\n"
    header = ("Alias", "Instance", "Command", "Context", "Working directory")
    widths = [max(len(row[i]) for row in rows + [header]) + 2 for i in range(4)]
    return "".join("".join(cell.ljust(width) for cell, width in zip(row, widths)) + row[4] + "\n"
                   for row in [header] + rows)
