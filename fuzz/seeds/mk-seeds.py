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
RTM_NEWADDR, RTM_DELADDR = 0x0C, 0x0D
IFAN_ARRIVAL, IFAN_DEPARTURE = 0, 1


def announce(index, name, what):
    # if_announcemsghdr: msglen u16, version u8, type u8, index u16, name[16], what u16 = 24.
    return struct.pack("<HBBH16sH", 24, RTM_VERSION, RTM_IFANNOUNCE, index,
                       name.encode(), what)


def sockaddr_in(a, b, c, d):
    # sockaddr_in: len 16, family AF_INET (2), port, addr, zero[8]; SA_SIZE 16.
    return struct.pack("<BBH4B8x", 16, 2, 0, a, b, c, d)


def newaddr(index, addr, mask=None, msg_type=RTM_NEWADDR):
    # ifa_msghdr: msglen u16, version u8, type u8, addrs i32, flags i32, index u16, spare u16,
    # metric i32 = 20; then RTA_NETMASK (0x4) if given and RTA_IFA (0x20), in that order.
    sas = (sockaddr_in(*mask) if mask else b"") + sockaddr_in(*addr)
    addrs = (0x4 if mask else 0) | 0x20
    return struct.pack("<HBBiiHHi", 20 + len(sas), RTM_VERSION, msg_type, addrs, 0, index, 0,
                       0) + sas


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
    # 16 bytes, no NUL: not a name (Other).
    "announce-16-byte-name": announce(1, "abcdefghijklmnop", IFAN_ARRIVAL),
    # A host address with no netmask (Addr /32), then a message of an older RTM_VERSION (4).
    "newaddr-then-version4": newaddr(9, (10, 1, 2, 3))
    + struct.pack("<HBB", 4, 4, RTM_IFINFO),
    # 192.0.2.1/24 added to index 5, then removed.
    "newaddr-deladdr": newaddr(5, (192, 0, 2, 1), (255, 255, 255, 0))
    + newaddr(5, (192, 0, 2, 1), (255, 255, 255, 0), RTM_DELADDR),
}
os.makedirs(here, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")
