# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The options every *_snapshot module shares (module_utils/snapshots.py snapshot_argument_spec).
    DOCUMENTATION = r"""
options:
  instance:
    description:
      - Name of the instance (container, VM) whose snapshot this is. It must exist.
    type: str
    required: true
  name:
    description:
      - Name of the snapshot. Letters, digits and V(-), starting with a letter, at most 63 characters,
        so that the same name works on every backend.
      - Required unless O(state=pruned).
    type: str
  state:
    description:
      - V(present) takes the snapshot unless one of that name exists already (an existing snapshot is never
        retaken or changed).
      - V(absent) deletes the snapshot if it exists.
      - V(restored) puts the instance back to the snapshot. This is an action, like a service's V(restarted);
        it reports a change every time it runs. A restore of a snapshot that does not exist fails before
        anything is changed, naming the snapshots that do exist.
      - V(pruned) deletes every snapshot of the instance whose expiry (O(expires) when it was taken) has passed, or
        only the one named O(name) when given. Returned as RV(pruned).
    type: str
    choices: [present, absent, restored, pruned]
    default: present
  comment:
    description:
      - Free text kept with the snapshot when it is taken.
    type: str
    aliases: [description]
  expires:
    description:
      - When the snapshot may be deleted, set when it is taken. A duration from now (V(30m), V(12h), V(7d), V(2w),
        V(1d12h)), an ISO-8601 time (V(2026-12-24T18:00:00Z)), a date (V(2026-12-24)) or V(never).
      - Each backend keeps it where the playbook C(workstation.vms.reap_snapshots) finds it; see the module's notes.
    type: str
attributes:
  check_mode:
    support: full
    description: Check mode predicts the same C(changed), C(actions) and diff and changes nothing.
  diff_mode:
    support: full
    description: The diff shows the names of the instance's snapshots before and after (and C(restored_from)).
"""
