# Copyright (c) Ansible Project
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Sphinx configuration of the collection's docs site (tests/env/docs.sh; made from `antsibull-docs sphinx-init`).
# Offline: intersphinx gets no inventory from the network; references into ansible-core's documentation (its
# configuration settings, environment variables, common return values: antsibull-docs writes them into every plugin
# page) resolve against an inventory made here from the installed ansible-core, linking to the public docs.
# nitpicky, so every other unresolved reference is a warning, and docs.sh builds with -W.

import os
import tempfile
import zlib

from ansible.config.manager import ConfigManager

ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'


def _ansible_core_inventory():
    lines = [
        'ansible_configuration_settings std:label -1 reference_appendices/config.html Ansible Configuration Settings',
        'common_return_values std:label -1 reference_appendices/common_return_values.html Return Values',
    ]
    for setting in ConfigManager().get_configuration_definitions().values():
        for env in setting.get('env') or []:
            lines.append('%s std:envvar 1 reference_appendices/config.html#envvar-$ -' % env['name'])
    header = b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n' \
             b'# The remainder of this file is compressed using zlib.\n'
    path = os.path.join(tempfile.mkdtemp(prefix='wsvms-docs-'), 'ansible_devel.inv')
    with open(path, 'wb') as handle:
        handle.write(header + zlib.compress(('\n'.join(sorted(set(lines))) + '\n').encode()))
    return path


intersphinx_mapping = {'ansible_devel': (ANSIBLE_DOCS, _ansible_core_inventory())}

project = 'workstation.vms'
copyright = 'workstation.vms contributors'
title = 'workstation.vms documentation'
html_short_title = 'workstation.vms'

extensions = ['sphinx.ext.intersphinx', 'sphinx_antsibull_ext', 'myst_parser']
source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
# the guide pages are GitHub-flavoured Markdown: tables, and headings as link targets
myst_enable_extensions = ['colon_fence']
myst_heading_anchors = 3

pygments_style = 'ansible'
# antsibull-docs names the language of every block it writes; a guide block without one is shown as it is
highlight_language = 'none'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

default_role = 'any'
nitpicky = True
