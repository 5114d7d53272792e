#!/usr/bin/env python3
"""Writes the seed inputs of the `rtsock` fuzz target (amd64 = little-endian, like the kernel).

Run from anywhere: python3 fuzz/seeds/mk-seeds.py. The outputs are committed; rerun only to
change them.
"""
import os
import struct

RTM_VERSION = 5
RTM_IFINFO = 0x0E
RTM_IFANNOUNCE = 0x11
IFAN_ARRIVAL, IFAN_DEPARTURE = 0, 1


def announce(index, name, what):
    # if_announcemsghdr: msglen u16, version u8, type u8, index u16, name[16], what u16 = 24.
    return struct.pack("<HBBH16sH", 24, RTM_VERSION, RTM_IFANNOUNCE, index,
                       name.encode(), what)


def ifinfo(index, flags, link_state, mtu):
    # if_msghdr (16) + if_data (152 on amd64) = 168; only the prefix the parser reads is set:
    # addrs@4, flags@8, index@12, if_data.ifi_type@16, link_state@20, mtu@24.
    m = bytearray(168)
    struct.pack_into("<HBBiiH", m, 0, 168, RTM_VERSION, RTM_IFINFO, 0, flags, index)
    m[16] = 6  # IFT_ETHER
    m[20] = link_state
    struct.pack_into("<I", m, 24, mtu)
    return bytes(m)


here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rtsock")
seeds = {
    "announce-arrival": announce(7, "epair0a", IFAN_ARRIVAL),
    "ifinfo-up": ifinfo(7, 0x8843, 2, 1500),
    "arrival-ifinfo": announce(7, "epair0a", IFAN_ARRIVAL) + ifinfo(7, 0x8843, 2, 1500),
    "arrival-info-departure": announce(3, "tap0", IFAN_ARRIVAL) + ifinfo(3, 0x1, 1, 9000)
    + announce(3, "tap0", IFAN_DEPARTURE),
    "departure-15-byte-name": announce(65535, "abcdefghijklmno", IFAN_DEPARTURE),
    # 16 bytes, no NUL: not a name (Other); then a message of another type (RTM_NEWADDR = 0xc,
    # only its 4-byte header matters) and one of an older RTM_VERSION (4).
    "announce-16-byte-name": announce(1, "abcdefghijklmnop", IFAN_ARRIVAL),
    "newaddr-then-version4": struct.pack("<HBB4x", 8, RTM_VERSION, 0x0C)
    + struct.pack("<HBB", 4, 4, RTM_IFINFO),
}
os.makedirs(here, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")
