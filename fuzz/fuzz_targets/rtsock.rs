//! Fuzz target for the FreeBSD routing-socket parser (`rtsock` in the `ifclone-freebsd-abi`
//! crate, `backends/freebsd-abi/src/rtsock.rs`).
//!
//! The ABI crate is pure and builds on any OS, so the target uses it like any other crate
//! (ifclone itself, whose FreeBSD backend only builds on FreeBSD, is not needed).
//!
//! Beyond "never panics", every input is checked against an independent walk of the buffer:
//! message `i` starts where the `msglen`s of the messages before it end, a `Truncated` event is
//! the last one and sits at such a boundary, and each event's fields are the bytes at its offset.

#![no_main]

use libfuzzer_sys::fuzz_target;

use ifclone_freebsd_abi::consts::*;
use ifclone_freebsd_abi::rtsock::{parse, RtEvent};
use ifclone_freebsd_abi::KernelName;

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_ne_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

fn check_name(name: &KernelName, raw: &[u8]) {
    let b = name.as_bytes();
    assert!(!b.is_empty() && b.len() <= 15, "name length {}", b.len());
    assert!(!b.contains(&0), "NUL in name {b:?}");
    assert!(std::str::from_utf8(b).is_ok(), "name not UTF-8 {b:?}");
    // The name is the kernel's ifan_name up to its first NUL.
    let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
    assert_eq!(b, &raw[..end], "name differs from ifan_name");
}

fuzz_target!(|data: &[u8]| {
    let events = parse(data);

    if data.is_empty() {
        assert!(events.is_empty());
        return;
    }
    // Every event but a final Truncated consumed a whole message of at least 4 bytes.
    let n = events.len();
    assert!(n <= data.len() / 4 + 1, "{n} events");

    let mut off = 0usize;
    for (i, ev) in events.iter().enumerate() {
        let last = i + 1 == events.len();
        if let RtEvent::Truncated { offset } = ev {
            assert!(last, "Truncated is event {i} of {}", events.len());
            assert_eq!(*offset, off, "Truncated not at a message boundary");
            assert!(*offset < data.len(), "Truncated past the end");
            return;
        }
        // A whole message at `off`.
        assert!(off + 2 <= data.len(), "event {i} past the end");
        let len = usize::from(u16_at(data, off));
        let whole = len >= 4 && off + len <= data.len();
        assert!(whole, "event {i}: bad msglen {len} at {off}");
        let m = &data[off..off + len];
        match ev {
            RtEvent::BadVersion { version } => {
                assert_ne!(*version, RTM_VERSION);
                assert_eq!(*version, m[2]);
            }
            RtEvent::Arrival { index, name } | RtEvent::Departure { index, name } => {
                assert_eq!(m[2], RTM_VERSION);
                assert_eq!(m[3], RTM_IFANNOUNCE);
                assert!(len >= IF_ANNOUNCEMSGHDR_SIZE);
                assert_eq!(*index, u32::from(u16_at(m, 4)));
                let what = u16_at(m, 22);
                match ev {
                    RtEvent::Arrival { .. } => assert_eq!(what, IFAN_ARRIVAL),
                    _ => assert_eq!(what, IFAN_DEPARTURE),
                }
                check_name(name, &m[6..22]);
            }
            RtEvent::Info {
                index,
                flags,
                link_state,
                mtu,
            } => {
                assert_eq!(m[2], RTM_VERSION);
                assert_eq!(m[3], RTM_IFINFO);
                assert!(len >= 28);
                assert_eq!(*flags, u32_at(m, 8));
                assert_eq!(*index, u32::from(u16_at(m, 12)));
                assert_eq!(*link_state, m[20]);
                assert_eq!(*mtu, u32_at(m, 24));
            }
            RtEvent::Addr {
                index,
                added,
                addr,
                prefix_len,
            } => {
                assert_eq!(m[2], RTM_VERSION);
                assert!(m[3] == RTM_NEWADDR || m[3] == RTM_DELADDR);
                assert_eq!(*added, m[3] == RTM_NEWADDR);
                assert!(len >= IFA_MSGHDR_SIZE);
                assert_eq!(*index, u32::from(u16_at(m, 12)));
                assert!(*prefix_len <= if addr.is_ipv4() { 32 } else { 128 });
                // RTA_IFA is named by the message.
                assert_ne!(u32_at(m, 4) & rta::IFA, 0);
            }
            RtEvent::Other { msg_type } => {
                assert_eq!(m[2], RTM_VERSION);
                assert_eq!(*msg_type, m[3]);
                // A short IFINFO is Truncated, never Other; an Other announce is a whole one
                // with an unknown `what` or an unusable name; an Other address message has a
                // whole header (and no IPv4/IPv6 RTA_IFA).
                assert_ne!(*msg_type, RTM_IFINFO);
                if *msg_type == RTM_IFANNOUNCE {
                    assert!(len >= IF_ANNOUNCEMSGHDR_SIZE);
                }
                if *msg_type == RTM_NEWADDR || *msg_type == RTM_DELADDR {
                    assert!(len >= IFA_MSGHDR_SIZE);
                }
            }
            RtEvent::Truncated { .. } => unreachable!(),
        }
        off += len;
    }
    // No Truncated: the messages cover the buffer exactly.
    assert_eq!(off, data.len(), "messages end before the buffer");
});
