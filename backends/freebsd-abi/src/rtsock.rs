//! A pure parser for PF_ROUTE messages about interfaces and their addresses (RTM_IFANNOUNCE,
//! RTM_IFINFO, RTM_NEWADDR, RTM_DELADDR).
//!
//! It walks a read buffer message by message using each header's `msglen`, never reads past the
//! buffer and never panics, whatever the input (fuzzed in the tests below).
//!
//! Layouts are amd64's (the `sockaddr` padding is `sizeof(long)`, [`RT_SA_ALIGN`]) in the
//! machine's byte order, as the kernel writes them to the socket.

use std::net::IpAddr;

use crate::consts::*;
use crate::req::{parse_sockaddr_in, parse_sockaddr_in6};
use crate::KernelName;

/// One interface event from a routing socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RtEvent {
    /// RTM_IFANNOUNCE / IFAN_ARRIVAL: created, renamed (new name, ≤ 14.x) or moved in.
    Arrival { index: u32, name: KernelName },
    /// RTM_IFANNOUNCE / IFAN_DEPARTURE: destroyed, renamed (old name) or moved out.
    Departure { index: u32, name: KernelName },
    /// RTM_IFINFO: flags, link state or MTU changed.
    Info {
        index: u32,
        flags: u32,
        link_state: u8,
        mtu: u32,
    },
    /// RTM_NEWADDR (`added`) / RTM_DELADDR: an IPv4 or IPv6 address of interface `index`.
    /// `addr` is the message's RTA_IFA with a KAME embedded zone id cleared (as
    /// [`parse_sockaddr_in6`] does for listings); `prefix_len` counts the bits of RTA_NETMASK
    /// (a host /32 or /128 when the message has none).
    Addr {
        index: u32,
        added: bool,
        addr: IpAddr,
        prefix_len: u8,
    },
    /// A well-formed message of another type (routes, multicast addresses…), an announce with
    /// an unknown `what`, or an address message about no IPv4 or IPv6 address (no RTA_IFA, or
    /// another family).
    Other { msg_type: u8 },
    /// A message of an unknown RTM_VERSION (skipped by its length).
    BadVersion { version: u8 },
    /// The rest of the buffer could not be parsed (length 0, too short, past the end, or an
    /// address message whose sockaddrs do not fit in it).
    Truncated { offset: usize },
}

/// `if_msghdr`: msglen(0) version(2) type(3) addrs(4) flags(8) index(12) spare(14), then
/// `struct if_data` at 16 (link_state at +4, mtu at +8).
const IF_MSGHDR_MIN: usize = 16 + 12;

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_ne_bytes([*b.get(o)?, *b.get(o + 1)?]))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    let s = b.get(o..o + 4)?;
    Some(u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

/// `SA_SIZE(sa)` (net/route.h): the room a sockaddr of length `sa_len` takes in a message.
fn sa_size(sa_len: usize) -> usize {
    if sa_len == 0 {
        RT_SA_ALIGN
    } else {
        1 + ((sa_len - 1) | (RT_SA_ALIGN - 1))
    }
}

/// The sockaddrs that follow a header at `m[off..]`, one slot per RTA_* bit set in `addrs` (in
/// bit order), each cut to its own `sa_len`. `None` when one of them does not fit in `m`. Bits
/// past RTAX_MAX are not looked at: their sockaddrs would follow the eight known ones.
fn sockaddrs(m: &[u8], mut off: usize, addrs: u32) -> Option<[Option<&[u8]>; rta::MAX]> {
    let mut out = [None; rta::MAX];
    for (i, slot) in out.iter_mut().enumerate() {
        if addrs & (1 << i) == 0 {
            continue;
        }
        let sa_len = usize::from(*m.get(off)?);
        *slot = Some(m.get(off..off + sa_len)?);
        off += sa_size(sa_len);
    }
    Some(out)
}

/// The slot of the sockaddr an RTA_* bit names.
const fn rtax(bit: u32) -> usize {
    bit.trailing_zeros() as usize
}

/// The prefix length of a netmask sockaddr for an address of `family`: the one bits of the
/// mask bytes present. The kernel may shorten a mask (an `sa_len` below the family's sockaddr
/// size, trailing zero bytes dropped), and its own family byte is not trusted (0 or 255 in
/// shortened masks): the address's family says where the mask bytes start. No mask: a host.
fn prefix_len(mask: Option<&[u8]>, family: u8) -> u8 {
    let (start, len, host) = if family == AF_INET {
        (4, 4, 32)
    } else {
        (8, 16, 128)
    };
    let Some(sa) = mask else { return host };
    let bits: u32 = sa
        .iter()
        .skip(start)
        .take(len)
        .map(|b| b.count_ones())
        .sum();
    // At most `len` bytes of 8 bits: never above `host`.
    bits as u8
}

/// An RTM_NEWADDR / RTM_DELADDR message (`struct ifa_msghdr`, then its sockaddrs).
fn parse_addr(m: &[u8], msg_type: u8) -> Option<RtEvent> {
    if m.len() < IFA_MSGHDR_SIZE {
        return None;
    }
    // ifa_msghdr: msglen(0) version(2) type(3) addrs(4) flags(8) index(12) spare(14) metric(16).
    let addrs = u32_at(m, 4)?;
    let index = u32::from(u16_at(m, 12)?);
    let sas = sockaddrs(m, IFA_MSGHDR_SIZE, addrs)?;
    let Some(ifa) = sas[rtax(rta::IFA)] else {
        return Some(RtEvent::Other { msg_type });
    };
    // A sockaddr too short for its own family is a message not understood (Truncated), not
    // another kind of address.
    let (addr, family) = match ifa.get(1) {
        Some(&AF_INET) => (IpAddr::V4(parse_sockaddr_in(ifa)?), AF_INET),
        Some(&AF_INET6) => (IpAddr::V6(parse_sockaddr_in6(ifa)?), AF_INET6),
        _ => return Some(RtEvent::Other { msg_type }),
    };
    Some(RtEvent::Addr {
        index,
        added: msg_type == RTM_NEWADDR,
        addr,
        prefix_len: prefix_len(sas[rtax(rta::NETMASK)], family),
    })
}

fn parse_one(m: &[u8]) -> Option<RtEvent> {
    let version = *m.get(2)?;
    let msg_type = *m.get(3)?;
    if version != RTM_VERSION {
        return Some(RtEvent::BadVersion { version });
    }
    match msg_type {
        RTM_IFANNOUNCE => {
            if m.len() < IF_ANNOUNCEMSGHDR_SIZE {
                return None;
            }
            let index = u32::from(u16_at(m, 4)?);
            let name = KernelName::from_kernel(m.get(6..22)?);
            let what = u16_at(m, 22)?;
            match (what, name) {
                (IFAN_ARRIVAL, Some(name)) => Some(RtEvent::Arrival { index, name }),
                (IFAN_DEPARTURE, Some(name)) => Some(RtEvent::Departure { index, name }),
                _ => Some(RtEvent::Other { msg_type }),
            }
        }
        RTM_IFINFO => {
            if m.len() < IF_MSGHDR_MIN {
                return None;
            }
            Some(RtEvent::Info {
                flags: u32_at(m, 8)?,
                index: u32::from(u16_at(m, 12)?),
                link_state: *m.get(20)?,
                mtu: u32_at(m, 24)?,
            })
        }
        RTM_NEWADDR | RTM_DELADDR => parse_addr(m, msg_type),
        _ => Some(RtEvent::Other { msg_type }),
    }
}

/// Parses every message in `buf`.
pub fn parse(buf: &[u8]) -> Vec<RtEvent> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off < buf.len() {
        let len = match u16_at(buf, off) {
            Some(l) => l as usize,
            None => {
                out.push(RtEvent::Truncated { offset: off });
                break;
            }
        };
        if len < 4 || off + len > buf.len() {
            out.push(RtEvent::Truncated { offset: off });
            break;
        }
        match parse_one(&buf[off..off + len]) {
            Some(e) => out.push(e),
            None => {
                out.push(RtEvent::Truncated { offset: off });
                break;
            }
        }
        off += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announce(index: u16, name: &str, what: u16) -> Vec<u8> {
        let mut m = vec![0u8; 24];
        m[0..2].copy_from_slice(&24u16.to_ne_bytes());
        m[2] = RTM_VERSION;
        m[3] = RTM_IFANNOUNCE;
        m[4..6].copy_from_slice(&index.to_ne_bytes());
        m[6..6 + name.len()].copy_from_slice(name.as_bytes());
        m[22..24].copy_from_slice(&what.to_ne_bytes());
        m
    }

    fn ifinfo(index: u16, flags: u32, mtu: u32) -> Vec<u8> {
        // if_msghdr is 16 + sizeof(if_data) (152 on amd64); only the prefix matters here.
        let mut m = vec![0u8; 168];
        m[0..2].copy_from_slice(&168u16.to_ne_bytes());
        m[2] = RTM_VERSION;
        m[3] = RTM_IFINFO;
        m[8..12].copy_from_slice(&flags.to_ne_bytes());
        m[12..14].copy_from_slice(&index.to_ne_bytes());
        m[20] = 2; // LINK_STATE_UP
        m[24..28].copy_from_slice(&mtu.to_ne_bytes());
        m
    }

    #[test]
    fn walks_messages() {
        let mut buf = announce(7, "epair0a", IFAN_ARRIVAL);
        buf.extend(ifinfo(7, 0x8843, 1500));
        buf.extend(announce(7, "epair0a", IFAN_DEPARTURE));
        let ev = parse(&buf);
        assert_eq!(
            ev,
            vec![
                RtEvent::Arrival {
                    index: 7,
                    name: KernelName::from_kernel(b"epair0a").unwrap()
                },
                RtEvent::Info {
                    index: 7,
                    flags: 0x8843,
                    link_state: 2,
                    mtu: 1500
                },
                RtEvent::Departure {
                    index: 7,
                    name: KernelName::from_kernel(b"epair0a").unwrap()
                },
            ]
        );
        // Truncation is reported, not a panic.
        let ev = parse(&buf[..30]);
        assert_eq!(ev.last(), Some(&RtEvent::Truncated { offset: 24 }));
        assert_eq!(parse(&[0, 0]), vec![RtEvent::Truncated { offset: 0 }]);
    }

    // ---- RTM_NEWADDR / RTM_DELADDR, byte by byte ----
    //
    // These buffers are written out by hand from the amd64 layouts (`struct ifa_msghdr`,
    // `sockaddr_in`, `sockaddr_in6`, `sockaddr_dl`, SA_SIZE padding to 8) in the order and form
    // `rtsock_addrmsg` fills them: RTA_NETMASK, RTA_IFP (the interface's link-level address),
    // RTA_IFA, RTA_BRD. Little-endian, as amd64 writes them (so these tests assume a
    // little-endian host). They were not captured from a running kernel.

    /// RTM_NEWADDR: 192.0.2.1/24 (broadcast 192.0.2.255) on `vlan0`, index 5, in FreeBSD 13/14's
    /// form (the netmask is full-length: `rtsock_fix_netmask` copies it into a sockaddr_in).
    #[rustfmt::skip]
    const NEWADDR_V4: [u8; 124] = [
        // struct ifa_msghdr (20 bytes)
        124, 0,         // ifam_msglen = 20 + 16 + 56 + 16 + 16
        5,              // ifam_version = RTM_VERSION
        0x0c,           // ifam_type = RTM_NEWADDR
        0xb4, 0, 0, 0,  // ifam_addrs = NETMASK 0x4 | IFP 0x10 | IFA 0x20 | BRD 0x80
        0x01, 0, 0, 0,  // ifam_flags = IFA_ROUTE
        5, 0,           // ifam_index
        0, 0,           // _ifam_spare1
        0, 0, 0, 0,     // ifam_metric
        // RTA_NETMASK: sockaddr_in, 16 bytes (SA_SIZE 16)
        16, 2,          // sin_len, sin_family = AF_INET
        0, 0,           // sin_port
        255, 255, 255, 0, // sin_addr
        0, 0, 0, 0, 0, 0, 0, 0, // sin_zero
        // RTA_IFP: sockaddr_dl, 56 bytes (if_attach sizes it for any 15-byte name + the MAC)
        56, 18,         // sdl_len, sdl_family = AF_LINK
        5, 0,           // sdl_index
        0x87,           // sdl_type = IFT_L2VLAN
        5,              // sdl_nlen
        6,              // sdl_alen
        0,              // sdl_slen
        b'v', b'l', b'a', b'n', b'0', // sdl_data: the name,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x05, // then the MAC
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, // the rest of sdl_data[46]
        // RTA_IFA: sockaddr_in 192.0.2.1
        16, 2, 0, 0,
        192, 0, 2, 1,
        0, 0, 0, 0, 0, 0, 0, 0,
        // RTA_BRD: sockaddr_in 192.0.2.255
        16, 2, 0, 0,
        192, 0, 2, 255,
        0, 0, 0, 0, 0, 0, 0, 0,
    ];

    /// RTM_DELADDR: fe80::1/64 on index 7, with the KAME zone id (7) still embedded in bytes
    /// 2–3 of the address (a kernel with `net.inet6.ip6.deembed_scopeid=0`, or an older one) and
    /// the netmask shortened to the bytes that are not zero (`sa_len` 16 of 28: header 8, then 8
    /// bytes of 0xff; family 0, as radix masks have it). No RTA_IFP, no RTA_BRD.
    #[rustfmt::skip]
    const DELADDR_V6_LINKLOCAL: [u8; 68] = [
        // struct ifa_msghdr
        68, 0,          // ifam_msglen = 20 + 16 + 32
        5, 0x0d,        // RTM_VERSION, RTM_DELADDR
        0x24, 0, 0, 0,  // ifam_addrs = NETMASK 0x4 | IFA 0x20
        0, 0, 0, 0,     // ifam_flags
        7, 0,           // ifam_index
        0, 0,           // spare
        0, 0, 0, 0,     // metric
        // RTA_NETMASK: a shortened sockaddr_in6, sa_len 16 (SA_SIZE 16)
        16, 0,          // sin6_len, sin6_family (0 in a radix mask)
        0, 0,           // sin6_port
        0, 0, 0, 0,     // sin6_flowinfo
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // the first 8 bytes of the mask
        // RTA_IFA: sockaddr_in6, 28 bytes (SA_SIZE 32)
        28, 28,         // sin6_len, sin6_family = AF_INET6
        0, 0,           // sin6_port
        0, 0, 0, 0,     // sin6_flowinfo
        0xfe, 0x80, 0x00, 0x07, 0, 0, 0, 0, // fe80:7:: — bytes 2..4: the embedded zone
        0, 0, 0, 0, 0, 0, 0, 1,             // ::1
        0, 0, 0, 0,     // sin6_scope_id
        0, 0, 0, 0,     // padding to SA_SIZE 32
    ];

    /// RTM_NEWADDR: 2001:db8::5/48 on index 3 with a full-length netmask, followed by a
    /// zero-length RTA_AUTHOR sockaddr (which still takes 8 bytes) — nothing after it.
    #[rustfmt::skip]
    const NEWADDR_V6: [u8; 92] = [
        92, 0, 5, 0x0c, // msglen = 20 + 32 + 32 + 8, RTM_VERSION, RTM_NEWADDR
        0x64, 0, 0, 0,  // ifam_addrs = NETMASK 0x4 | IFA 0x20 | AUTHOR 0x40
        0, 0, 0, 0,     // flags
        3, 0, 0, 0,     // index 3, spare
        0, 0, 0, 0,     // metric
        // RTA_NETMASK: sockaddr_in6 ffff:ffff:ffff::, 28 bytes (SA_SIZE 32)
        28, 28, 0, 0, 0, 0, 0, 0,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0,     // scope id
        0, 0, 0, 0,     // padding
        // RTA_IFA: sockaddr_in6 2001:db8::5
        28, 28, 0, 0, 0, 0, 0, 0,
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5,
        0, 0, 0, 0,
        0, 0, 0, 0,
        // RTA_AUTHOR: sa_len 0, padded to 8
        0, 0, 0, 0, 0, 0, 0, 0,
    ];

    #[test]
    fn address_messages() {
        let v4 = parse(&NEWADDR_V4);
        assert_eq!(
            v4,
            vec![RtEvent::Addr {
                index: 5,
                added: true,
                addr: "192.0.2.1".parse().unwrap(),
                prefix_len: 24,
            }]
        );
        // The zone id is cleared; the shortened mask counts the bytes it has.
        assert_eq!(
            parse(&DELADDR_V6_LINKLOCAL),
            vec![RtEvent::Addr {
                index: 7,
                added: false,
                addr: "fe80::1".parse().unwrap(),
                prefix_len: 64,
            }]
        );
        assert_eq!(
            parse(&NEWADDR_V6),
            vec![RtEvent::Addr {
                index: 3,
                added: true,
                addr: "2001:db8::5".parse().unwrap(),
                prefix_len: 48,
            }]
        );
        // Messages follow each other like any others.
        let mut buf = NEWADDR_V4.to_vec();
        buf.extend(announce(5, "vlan0", IFAN_DEPARTURE));
        buf.extend(NEWADDR_V6);
        let ev = parse(&buf);
        assert_eq!(ev.len(), 3);
        assert!(matches!(ev[1], RtEvent::Departure { index: 5, .. }));
        assert!(matches!(ev[2], RtEvent::Addr { index: 3, .. }));
    }

    #[test]
    fn address_edge_cases() {
        // No RTA_NETMASK: a host address.
        #[rustfmt::skip]
        let host: [u8; 36] = [
            36, 0, 5, 0x0c, // msglen = 20 + 16, RTM_NEWADDR
            0x20, 0, 0, 0,  // ifam_addrs = IFA
            0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, // flags, index 9, spare, metric
            16, 2, 0, 0, 10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, // sockaddr_in 10.1.2.3
        ];
        assert_eq!(
            parse(&host),
            vec![RtEvent::Addr {
                index: 9,
                added: true,
                addr: "10.1.2.3".parse().unwrap(),
                prefix_len: 32,
            }]
        );
        // A shortened IPv4 mask (sa_len 5: 255.0.0.0 without its zero bytes), family 0, and a
        // zero-length one (0.0.0.0, which takes 8 bytes).
        let mut short = host;
        short[4] = 0x24; // NETMASK | IFA
        let mut m = short[..20].to_vec();
        m.extend([5, 0, 0, 0, 0xff, 0, 0, 0]); // sa_len 5, padded to 8
        m.extend(&host[20..]);
        m[0] = m.len() as u8;
        assert!(matches!(
            parse(&m)[..],
            [RtEvent::Addr { prefix_len: 8, .. }]
        ));
        let mut z = short[..20].to_vec();
        z.extend([0u8; 8]);
        z.extend(&host[20..]);
        z[0] = z.len() as u8;
        assert!(matches!(
            parse(&z)[..],
            [RtEvent::Addr { prefix_len: 0, .. }]
        ));
        // An IPv6 host: no mask, /128.
        let mut v6 = NEWADDR_V6[..20].to_vec();
        v6[4] = 0x20;
        v6.extend(&NEWADDR_V6[52..84]);
        v6[0] = v6.len() as u8;
        assert!(matches!(
            parse(&v6)[..],
            [RtEvent::Addr {
                prefix_len: 128,
                ..
            }]
        ));

        // No RTA_IFA, or an address of another family: nothing ifclone models.
        let mut no_ifa = host;
        no_ifa[4] = 0x04; // the sockaddr is now read as the netmask
        assert_eq!(
            parse(&no_ifa),
            vec![RtEvent::Other {
                msg_type: RTM_NEWADDR
            }]
        );
        let mut link = host;
        link[21] = AF_LINK;
        assert_eq!(
            parse(&link),
            vec![RtEvent::Other {
                msg_type: RTM_NEWADDR
            }]
        );

        // Not understood: a header cut short, a sockaddr running past the message, an address
        // too short for its family, sockaddrs the message has no room for.
        assert_eq!(
            parse(&[8, 0, 5, 0x0c, 0, 0, 0, 0]),
            vec![RtEvent::Truncated { offset: 0 }]
        );
        let mut long_sa = host;
        long_sa[20] = 17;
        assert_eq!(parse(&long_sa), vec![RtEvent::Truncated { offset: 0 }]);
        let mut short_sa = host;
        short_sa[20] = 6;
        assert_eq!(parse(&short_sa), vec![RtEvent::Truncated { offset: 0 }]);
        let mut more = host;
        more[4] = 0xa0; // IFA | BRD: no bytes are left for RTA_BRD
        assert_eq!(parse(&more), vec![RtEvent::Truncated { offset: 0 }]);
        // A message cut by a too-small receive buffer: its msglen is past the end.
        assert_eq!(
            parse(&NEWADDR_V4[..100]),
            vec![RtEvent::Truncated { offset: 0 }]
        );
    }

    /// xorshift64*: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    #[test]
    fn never_panics() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        let mut valid = announce(3, "tap0", IFAN_ARRIVAL);
        valid.extend(ifinfo(3, 1, 9000));
        valid.extend(NEWADDR_V4);
        valid.extend(DELADDR_V6_LINKLOCAL);
        valid.extend(NEWADDR_V6);
        valid.extend(announce(3, "tap0", IFAN_DEPARTURE));
        for round in 0..20_000 {
            let buf: Vec<u8> = match round % 4 {
                // pure noise
                0 => (0..rng.next() % 400).map(|_| rng.next() as u8).collect(),
                // valid messages truncated anywhere
                1 => valid[..(rng.next() as usize % (valid.len() + 1))].to_vec(),
                // valid messages with a few bytes flipped (lengths included)
                2 => {
                    let mut b = valid.clone();
                    for _ in 0..(rng.next() % 6) {
                        let i = rng.next() as usize % b.len();
                        b[i] = rng.next() as u8;
                    }
                    b
                }
                // plausible headers with random lengths and types
                _ => {
                    let mut b = Vec::new();
                    for _ in 0..(rng.next() % 5) {
                        let len = (rng.next() % 64) as u16;
                        b.extend_from_slice(&len.to_ne_bytes());
                        b.push(if rng.next() & 3 == 0 { 4 } else { RTM_VERSION });
                        b.push(
                            [RTM_IFANNOUNCE, RTM_IFINFO, RTM_NEWADDR, RTM_DELADDR, 0x1]
                                [rng.next() as usize % 5],
                        );
                        for _ in 0..len.saturating_sub(4) {
                            b.push(rng.next() as u8);
                        }
                    }
                    b
                }
            };
            let ev = parse(&buf);
            // Every event but a final Truncated consumed a whole message.
            assert!(ev.len() <= buf.len() / 4 + 1);
            for e in &ev {
                if let RtEvent::Addr {
                    addr, prefix_len, ..
                } = e
                {
                    assert!(
                        *prefix_len <= if addr.is_ipv4() { 32 } else { 128 },
                        "{e:?}"
                    );
                }
            }
        }
    }
}
