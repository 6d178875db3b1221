# Copyright (c) 2026 workstation.vms contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ICMP echo to ADDRESS (root, raw socket): the test host and the Debian minbase guest image have no `ping`.

Usage: icmp_ping.py ADDRESS [COUNT]. Prints one line per reply; exit 0 when at least one reply came back."""

from __future__ import annotations

import os
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def main():
    address = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    ident = os.getpid() & 0xFFFF
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    replies = 0
    for seq in range(count):
        payload = b"wg-molecule-%d" % seq
        header = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        packet = struct.pack("!BBHHH", 8, 0, checksum(header + payload), ident, seq) + payload
        sent = time.monotonic()
        sock.sendto(packet, (address, 0))
        deadline = sent + 2
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data, peer = sock.recvfrom(2048)
            except socket.timeout:
                break
            ihl = (data[0] & 0x0F) * 4
            kind, _code, _sum, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if peer[0] == address and kind == 0 and rid == ident and rseq == seq:
                replies += 1
                print("reply from %s seq=%d time=%.1f ms" % (address, seq, (time.monotonic() - sent) * 1000))
                break
        time.sleep(0.2)
    print("%d/%d replies" % (replies, count))
    return 0 if replies else 1


if __name__ == "__main__":
    sys.exit(main())
