# -*- coding: utf-8 -*-
# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the real Multipass prints, copied verbatim from its own tests (tests/test_output_formatter.cpp of the
version named), for the fake's tests to compare against."""

from __future__ import annotations

import os
import re

FAKE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "fakes", "multipass"))

# Verbatim, v1.16.3 tests/test_output_formatter.cpp json_list_empty
LIST_EMPTY = """{
    "list": [
    ]
}
"""
# Verbatim, v1.16.3 tests/test_output_formatter.cpp json_list_multiple
LIST_MULTIPLE = """{
    "list": [
        {
            "ipv4": [
                "10.21.124.56"
            ],
            "name": "bogus-instance",
            "release": "Ubuntu 16.04 LTS",
            "state": "Running"
        },
        {
            "ipv4": [
            ],
            "name": "bombastic",
            "release": "Ubuntu 18.04 LTS",
            "state": "Stopped"
        }
    ]
}
"""
# Verbatim, main tests/unit/test_data/formatters/json/multiple_instances_list_reply.json
LIST_MULTIPLE_MAIN = """{
    "list": [
        {
            "name": "bogus-instance",
            "state": "Running",
            "ipv4": [
                "10.21.124.56"
            ],
            "release": "Ubuntu 16.04 LTS",
            "zone": {
                "name": "zone1",
                "available": true
            }
        },
        {
            "name": "bombastic",
            "state": "Stopped",
            "ipv4": [
            ],
            "release": "Ubuntu 18.04 LTS",
            "zone": {
                "name": "zone2",
                "available": false
            }
        }
    ]
}
"""
# Verbatim, v1.16.3 tests/test_output_formatter.cpp json_info_multiple_instances
INFO_MULTIPLE = """{
    "errors": [
    ],
    "info": {
        "bogus-instance": {
            "cpu_count": "4",
            "disks": {
                "sda1": {
                    "total": "6764573492",
                    "used": "1932735284"
                }
            },
            "image_hash": "1797c5c82016c1e65f4008fcf89deae3a044ef76087a9ec5b907c6d64a3609ac",
            "image_release": "16.04 LTS",
            "ipv4": [
                "10.21.124.56"
            ],
            "load": [
                0.03,
                0.1,
                0.15
            ],
            "memory": {
                "total": 1610612736,
                "used": 38797312
            },
            "mounts": {
                "source": {
                    "gid_mappings": [
                        "1000:501"
                    ],
                    "source_path": "/home/user/source",
                    "uid_mappings": [
                        "1000:501"
                    ]
                }
            },
            "release": "Ubuntu 16.04.3 LTS",
            "snapshot_count": "1",
            "state": "Running"
        },
        "bombastic": {
            "cpu_count": "",
            "disks": {
                "sda1": {
                }
            },
            "image_hash": "ab5191cc172564e7cc0eafd397312a32598823e645279c820f0935393aead509",
            "image_release": "18.04 LTS",
            "ipv4": [
            ],
            "load": [
            ],
            "memory": {
            },
            "mounts": {
            },
            "release": "",
            "snapshot_count": "3",
            "state": "Stopped"
        }
    }
}
"""
# Verbatim, v1.16.3 tests/test_output_formatter.cpp json_list_multiple_snapshots
SNAPSHOTS_LIST = """{
    "errors": [
    ],
    "info": {
        "hale-roller": {
            "pristine": {
                "comment": "A first snapshot",
                "parent": ""
            },
            "rocking": {
                "comment": "A very long comment that should be truncated by the table formatter",
                "parent": "pristine"
            },
            "rolling": {
                "comment": "Loaded with stuff",
                "parent": "pristine"
            }
        },
        "prosperous-spadefish": {
            "snapshot10": {
                "comment": "",
                "parent": "snapshot2"
            },
            "snapshot2": {
                "comment": "Before restoring snap1\\nContains a newline that\\r\\nshould be truncated",
                "parent": ""
            }
        }
    }
}
"""
# Verbatim, v1.16.3 tests/test_output_formatter.cpp json_info_single_snapshot_info_reply
SNAPSHOT_INFO = """{
    "errors": [
    ],
    "info": {
        "bogus-instance": {
            "snapshots": {
                "snapshot2": {
                    "children": [
                        "snapshot3",
                        "snapshot4"
                    ],
                    "comment": "This is a comment with some\\nnew\\r\\nlines.",
                    "cpu_count": "2",
                    "created": "1972-01-01T10:00:20.021Z",
                    "disk_space": "4.9GiB",
                    "memory_size": "0.9GiB",
                    "mounts": {
                        "Home": {
                            "source_path": "/home/user"
                        },
                        "source": {
                            "source_path": "/home/user/source"
                        }
                    },
                    "parent": "snapshot1",
                    "size": "128MiB"
                }
            }
        }
    }
}
"""
# Verbatim, tests/test_output_formatter.cpp table_list_multiple_snapshots
TABLE_LIST_SNAPSHOTS = (
    "Instance               Snapshot     Parent      Comment\n"
    "hale-roller            pristine     --          A first snapshot\n"
    "hale-roller            rocking      pristine    A very long comment that should be truncated by t\u2026\n"
    "hale-roller            rolling      pristine    Loaded with stuff\n"
    "prosperous-spadefish   snapshot2    --          Before restoring snap1\u2026\n"
    "prosperous-spadefish   snapshot10   snapshot2   --\n")
# Verbatim, tests/test_output_formatter.cpp table_info_multiple_instances (same reply as INFO_MULTIPLE)
TABLE_INFO_MULTIPLE = (
    "Name:           bogus-instance\n"
    "State:          Running\n"
    "Snapshots:      1\n"
    "IPv4:           10.21.124.56\n"
    "Release:        Ubuntu 16.04.3 LTS\n"
    "Image hash:     1797c5c82016 (Ubuntu 16.04 LTS)\n"
    "CPU(s):         4\n"
    "Load:           0.03 0.10 0.15\n"
    "Disk usage:     1.8GiB out of 6.3GiB\n"
    "Memory usage:   37.0MiB out of 1.5GiB\n"
    "Mounts:         /home/user/source => source\n"
    "                    UID map: 1000:501\n"
    "                    GID map: 1000:501\n\n"
    "Name:           bombastic\n"
    "State:          Stopped\n"
    "Snapshots:      3\n"
    "IPv4:           --\n"
    "Release:        --\n"
    "Image hash:     ab5191cc1725 (Ubuntu 18.04 LTS)\n"
    "CPU(s):         --\n"
    "Load:           --\n"
    "Disk usage:     --\n"
    "Memory usage:   --\n"
    "Mounts:         --\n")
# Verbatim, tests/test_output_formatter.cpp table_info_multiple_snapshots (its second snapshot)
TABLE_INFO_BLACK_HOLE = (
    "Snapshot:       black-hole\n"
    "Instance:       messier-87\n"
    "CPU(s):         1\n"
    "Disk space:     1024GiB\n"
    "Memory size:    128GiB\n"
    "Mounts:         --\n"
    "Created:        2019-04-10T11:59:59Z\n"
    "Parent:         --\n"
    "Children:       --\n"
    "Comment:        Captured by EHT\n")
# Verbatim, tests/test_output_formatter.cpp table_find_multiple_duplicate_image
TABLE_FIND_DUPLICATE = (
    "Image                       Aliases           Version          Description\n"
    "core18                                        20190520         Ubuntu Core 18\n"
    "snapcraft:core18                              20190520         Snapcraft builder for core18\n"
    "\n")


def spinner_free(text):
    return re.sub(r"(\x1b\[2K\x1b\[0A\x1b\[0E)([|/\-\\] [^\x1b]*)?", "", text)
