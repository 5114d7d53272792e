//! A pure parser for PF_ROUTE messages about interfaces (RTM_IFANNOUNCE, RTM_IFINFO).
//!
//! It walks a read buffer message by message using each header's `msglen`, never reads past the
//! buffer and never panics, whatever the input (fuzzed in the tests below).

use crate::consts::*;
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
    /// A well-formed message of another type (addresses, routes…), or an announce with an
    /// unknown `what`.
    Other { msg_type: u8 },
    /// A message of an unknown RTM_VERSION (skipped by its length).
    BadVersion { version: u8 },
    /// The rest of the buffer could not be parsed (length 0, too short, or past the end).
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
                        b.push([RTM_IFANNOUNCE, RTM_IFINFO, 0xc][rng.next() as usize % 3]);
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
        }
    }
}
