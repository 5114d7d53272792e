//! Routing-socket events as the backend contract's [`Raw`] notifications: the pure half of the
//! FreeBSD watcher (the socket itself is `backends/freebsd/watch.rs`).
//!
//! FreeBSD says less than Linux, and this layer adds nothing it did not say:
//! - an IFAN_ARRIVAL (created, renamed — new name —, or moved in) and an RTM_IFINFO (flags,
//!   link state, MTU) are [`Raw::Touched`]: the framework reads the interface again;
//! - an IFAN_DEPARTURE is [`Raw::Gone`] with `moved: None`: the kernel sends the same message
//!   for a destroy, a rename (old name; the arrival of the new name with the same index
//!   follows) and a vnet move (the arrival is in the other VNET, with a new index), and the
//!   framework pairs them;
//! - RTM_NEWADDR / RTM_DELADDR are [`Raw::Addr`];
//! - a buffer the parser could not walk to its end is [`Raw::Lost`]: what it held is unknown,
//!   so the stack must be read again rather than the rest skipped;
//! - messages of another type or RTM_VERSION (routes, multicast memberships…) say nothing
//!   about interfaces and are dropped.

use ifclone_freebsd_abi::rtsock::RtEvent;

use crate::backend::Raw;
use crate::freebsd::ifname;
use crate::model::IfAddr;

/// Appends what `events` (one receive's parse) tell the framework to `out`.
pub fn to_raw(events: Vec<RtEvent>, out: &mut Vec<Raw>) {
    for e in events {
        match e {
            RtEvent::Arrival { index, name } => out.push(Raw::Touched {
                index,
                name: ifname(name),
            }),
            RtEvent::Info { index, .. } => out.push(Raw::Touched { index, name: None }),
            RtEvent::Departure { index, name } => out.push(Raw::Gone {
                index,
                name: ifname(name),
                moved: None,
            }),
            RtEvent::Addr {
                index,
                added,
                addr,
                prefix_len,
            } => out.push(Raw::Addr {
                index,
                addr: IfAddr { addr, prefix_len },
                added,
            }),
            RtEvent::Truncated { .. } => out.push(Raw::Lost),
            RtEvent::BadVersion { .. } | RtEvent::Other { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IfName;
    use ifclone_freebsd_abi::rtsock::parse;

    // Byte buffers written out field by field from the amd64 layouts (little-endian; these
    // tests assume a little-endian host), in the form and order the kernel writes them to a
    // routing socket. Hand-built, not captured from a running kernel.

    /// `struct if_announcemsghdr` (24 bytes) for interface `index` named `name`.
    fn announce(index: u8, name: &[u8], what: u8) -> Vec<u8> {
        let mut n = [0u8; 16];
        n[..name.len()].copy_from_slice(name);
        #[rustfmt::skip]
        let head = [
            24, 0,      // ifan_msglen
            5,          // ifan_version = RTM_VERSION
            0x11,       // ifan_type = RTM_IFANNOUNCE
            index, 0,   // ifan_index
        ];
        // ifan_name[16], then ifan_what (IFAN_ARRIVAL 0, IFAN_DEPARTURE 1)
        [&head[..], &n[..], &[what, 0][..]].concat()
    }

    /// RTM_IFINFO: `struct if_msghdr` (16) + `struct if_data` (152 on amd64) = 168 bytes.
    fn ifinfo(index: u8) -> Vec<u8> {
        #[rustfmt::skip]
        let head = [
            168, 0,             // ifm_msglen
            5, 0x0e,            // RTM_VERSION, RTM_IFINFO
            0x10, 0, 0, 0,      // ifm_addrs = RTA_IFP (not parsed)
            0x43, 0x88, 0, 0,   // ifm_flags = UP|BROADCAST|RUNNING|SIMPLEX|MULTICAST
            index, 0,           // ifm_index
            0, 0,               // _ifm_spare1
            0x87,               // ifi_type = IFT_L2VLAN
            0, 6, 18,           // ifi_physical, ifi_addrlen, ifi_hdrlen
            2,                  // ifi_link_state = LINK_STATE_UP
            0,                  // ifi_vhid
            0x98, 0,            // ifi_datalen = 152
            0xdc, 0x05, 0, 0,   // ifi_mtu = 1500
        ];
        // The rest of if_data: counters and times, never read.
        [&head[..], &[0u8; 140][..]].concat()
    }

    /// RTM_NEWADDR: 192.0.2.1/24 on `uplink0`, index 5 (124 bytes).
    #[rustfmt::skip]
    const NEWADDR: [u8; 124] = [
        124, 0, 5, 0x0c,        // ifam_msglen, RTM_VERSION, RTM_NEWADDR
        0xb4, 0, 0, 0,          // ifam_addrs = NETMASK | IFP | IFA | BRD
        0x01, 0, 0, 0,          // ifam_flags = IFA_ROUTE
        5, 0, 0, 0,             // ifam_index, spare
        0, 0, 0, 0,             // ifam_metric
        // RTA_NETMASK: sockaddr_in 255.255.255.0
        16, 2, 0, 0, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        // RTA_IFP: sockaddr_dl (56 bytes): len, AF_LINK, index 5, IFT_L2VLAN, nlen 7, alen 6,
        // slen 0, then "uplink0" and the MAC in sdl_data[46]
        56, 18, 5, 0, 0x87, 7, 6, 0,
        b'u', b'p', b'l', b'i', b'n', b'k', b'0', 0x02, 0, 0, 0, 0, 0x05,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0,
        // RTA_IFA: sockaddr_in 192.0.2.1
        16, 2, 0, 0, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0,
        // RTA_BRD: sockaddr_in 192.0.2.255
        16, 2, 0, 0, 192, 0, 2, 255, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    /// The RTM_ADD of the prefix route that follows an address: `struct rt_msghdr` (152 bytes
    /// on amd64) and, shortened here, only RTA_DST (a real one also carries RTA_GATEWAY and
    /// RTA_NETMASK). Only its type is read: it must be dropped.
    fn route_add() -> Vec<u8> {
        #[rustfmt::skip]
        let head = [
            168, 0,         // rtm_msglen = 152 + 16
            5, 0x01,        // RTM_VERSION, RTM_ADD
            5, 0,           // rtm_index
            0, 0,           // _rtm_spare1
            0x01, 0, 0, 0,  // rtm_flags = RTF_UP
            0x01, 0, 0, 0,  // rtm_addrs = RTA_DST
        ];
        // pid, seq, errno, fmask, inits and the metrics: 136 bytes, then RTA_DST 192.0.2.0.
        let dst = [16, 2, 0, 0, 192, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        [&head[..], &[0u8; 136][..], &dst[..]].concat()
    }

    fn raw(buf: &[u8]) -> Vec<Raw> {
        let mut out = Vec::new();
        to_raw(parse(buf), &mut out);
        out
    }

    fn n(s: &str) -> Option<IfName> {
        Some(IfName::new(s).unwrap())
    }

    #[test]
    fn create_rename_address_move() {
        // One receive each, as the kernel queues them on the host's routing socket.
        let recvs: Vec<Vec<u8>> = vec![
            // `ifconfig vlan0 create`: if_attach announces it, then its state.
            announce(5, b"vlan0", 0),
            ifinfo(5),
            // `ifconfig vlan0 name uplink0`: the old name leaves, the new one arrives.
            announce(5, b"vlan0", 1),
            announce(5, b"uplink0", 0),
            // `ifconfig uplink0 inet 192.0.2.1/24`: the address, then its prefix route.
            NEWADDR.to_vec(),
            route_add(),
            // `ifconfig uplink0 vnet j1`: if_vmove detaches it here (it arrives in j1's VNET,
            // whose own socket reports that).
            announce(5, b"uplink0", 1),
        ];
        let mut out = Vec::new();
        for r in &recvs {
            to_raw(parse(r), &mut out);
        }
        assert_eq!(
            out,
            vec![
                Raw::Touched {
                    index: 5,
                    name: n("vlan0")
                },
                Raw::Touched {
                    index: 5,
                    name: None
                },
                Raw::Gone {
                    index: 5,
                    name: n("vlan0"),
                    moved: None
                },
                Raw::Touched {
                    index: 5,
                    name: n("uplink0")
                },
                Raw::Addr {
                    index: 5,
                    addr: "192.0.2.1/24".parse().unwrap(),
                    added: true
                },
                Raw::Gone {
                    index: 5,
                    name: n("uplink0"),
                    moved: None
                },
            ]
        );
        // The same messages in one buffer give the same list.
        assert_eq!(raw(&recvs.concat()), out);
        // The bytes say what the comments say.
        assert_eq!(
            parse(&ifinfo(5)),
            vec![RtEvent::Info {
                index: 5,
                flags: 0x8843,
                link_state: 2,
                mtu: 1500
            }]
        );
        assert_eq!(parse(&route_add()), vec![RtEvent::Other { msg_type: 1 }]);
    }

    #[test]
    fn a_buffer_not_understood_is_lost() {
        // A datagram cut short (a receive buffer smaller than the message: the kernel drops
        // the rest), with no ENOBUFS: the message's msglen runs past the end.
        assert_eq!(raw(&NEWADDR[..100]), vec![Raw::Lost]);
        // What came before the cut is kept; nothing after it is guessed.
        let mut buf = announce(6, b"tap0", 0);
        buf.extend(&NEWADDR[..30]);
        assert_eq!(
            raw(&buf),
            vec![
                Raw::Touched {
                    index: 6,
                    name: n("tap0")
                },
                Raw::Lost
            ]
        );
        // A zero msglen.
        assert_eq!(raw(&[0, 0, 5, 0x11]), vec![Raw::Lost]);
    }

    #[test]
    fn other_messages_and_versions_are_dropped() {
        assert_eq!(raw(&route_add()), vec![]);
        let mut old = announce(5, b"vlan0", 0);
        old[2] = 4; // RTM_VERSION 4
        assert_eq!(raw(&old), vec![]);
        // An announce with an unknown `what`.
        assert_eq!(raw(&announce(5, b"vlan0", 7)), vec![]);
        assert_eq!(raw(&[]), vec![]);
    }
}
