#!/bin/sh
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Run inside the nested machine. Where the host kernel keeps cpu and cpuacct in cgroup v1 hierarchies of their own
# (as on this CI machine), systemd in a container mounts neither (it expects them joined as cpu,cpuacct) and LXC
# there fails to start a container ("Failed to open 6/cpuacct"). Mounts each missing one where LXC looks for it.
# On cgroup2 hosts (any Debian 12 booted normally) there is nothing to do.
set -eu
cg=/sys/fs/cgroup
[ "$(stat -fc %T "$cg")" = tmpfs ] || exit 0
missing=""
for c in cpu cpuacct; do
  grep -Eq "^[0-9]+:$c:" /proc/self/cgroup || continue
  mountpoint -q "$cg/$c" || missing="$missing $c"
done
[ -n "$missing" ] || exit 0
mount -o remount,rw "$cg"
for c in $missing; do
  rm -f "$cg/$c"
  mkdir -p "$cg/$c"
  mount -t cgroup -o "$c" cgroup "$cg/$c"
done
mount -o remount,ro "$cg"
echo "mounted:$missing"
