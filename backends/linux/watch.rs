//! The Linux side of [`Watch`](crate::backend::Watch): an rtnetlink socket of its own per
//! stack, opened inside the stack's netns and joined to the link and address multicast groups
//! (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR); the stacks feed, an inotify watch
//! on `/run/netns`; and epoll to join descriptors.
//!
//! What the kernel sends and how it is reported:
//! - RTM_NEWLINK (ifi_family AF_UNSPEC) carries the interface's whole state → `Raw::Link`.
//!   The AF_BRIDGE copies the bridge code sends for its ports are skipped: they describe the
//!   port's bridge state, not the interface.
//! - RTM_DELLINK → `Raw::Gone`; on a move (`__dev_change_net_namespace`) it carries
//!   IFLA_NEW_NETNSID and IFLA_NEW_IFINDEX, and the target netns gets a plain RTM_NEWLINK.
//! - RTM_NEWADDR / RTM_DELADDR → `Raw::Addr`.
//! - ENOBUFS from recv, or an NLMSG_OVERRUN, → `Raw::Lost`. The socket keeps working after it.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use netlink_packet_core::{NetlinkBuffer, NLMSG_OVERRUN};

use super::kinds::{i32_of, nlas, u32_of};
use super::{link, sys, SysStack};
use crate::backend::{Feed, FeedOpts, MovedTo, Raw};
use crate::error::{Context, Error, Result};
use crate::model::IfName;

const RTNLGRP_LINK: u32 = 1;
const RTNLGRP_IPV4_IFADDR: u32 = 5;
const RTNLGRP_IPV6_IFADDR: u32 = 9;
const RTM_DELLINK: u16 = 17;
const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;
const IFLA_IFNAME: u16 = 3;
const IFLA_NEW_NETNSID: u16 = 45;
const IFLA_NEW_IFINDEX: u16 = 49;
const AF_UNSPEC: u8 = 0;
/// The receive buffer a feed asks for by default: room for tens of thousands of notifications.
pub const DEFAULT_RCVBUF: usize = 4 * 1024 * 1024;

/// One stack's notification socket.
pub struct LinkFeed {
    sock: netlink_sys::Socket,
    stack: std::sync::Arc<str>,
    rx: Vec<u8>,
}

impl std::fmt::Debug for LinkFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LinkFeed({})", self.stack)
    }
}

fn werr(e: io::Error, object: &str, stack: &str) -> Error {
    super::io_error(e, Context::new("watch", object.to_string()).stack(stack))
}

/// Subscribes to `s`'s link and address notifications.
pub fn subscribe(s: &SysStack, opts: &FeedOpts) -> Result<LinkFeed> {
    let stack = s.shared_name().clone();
    let err = |e| werr(e, "rtnetlink multicast groups", &stack);
    let sock = sys::socket_in(s.fd()).map_err(err)?;
    for g in [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR] {
        sock.add_membership(g).map_err(err)?;
    }
    sock.set_non_blocking(true).map_err(err)?;
    sys::set_rcvbuf(&sock, opts.rcvbuf.unwrap_or(DEFAULT_RCVBUF));
    Ok(LinkFeed {
        sock,
        stack,
        rx: Vec::with_capacity(64 * 1024),
    })
}

impl Feed for LinkFeed {
    fn fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    fn read(&mut self, out: &mut Vec<Raw>, max: usize) -> Result<bool> {
        let start = out.len();
        let mut any = false;
        while out.len() - start < max {
            self.rx.clear();
            match self.sock.recv(&mut self.rx, 0) {
                Ok(_) => {
                    any = true;
                    parse_datagram(&self.rx, &self.stack, out);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    any = true;
                    out.push(Raw::Lost);
                }
                Err(e) => return Err(werr(e, "rtnetlink notifications", &self.stack)),
            }
        }
        Ok(any)
    }

    fn moves_announced(&self) -> bool {
        true
    }
}

/// The notifications in one datagram.
pub fn parse_datagram(rx: &[u8], stack: &std::sync::Arc<str>, out: &mut Vec<Raw>) {
    let mut off = 0;
    while off + 16 <= rx.len() {
        let buf = NetlinkBuffer::new(&rx[off..]);
        let len = buf.length() as usize;
        if len < 16 || off + len > rx.len() {
            // A datagram the kernel wrote is never cut; if it were, the stack must be re-read.
            out.push(Raw::Lost);
            return;
        }
        let payload = &rx[off + 16..off + len];
        match buf.message_type() {
            NLMSG_OVERRUN => out.push(Raw::Lost),
            link::RTM_NEWLINK if payload.first() == Some(&AF_UNSPEC) => {
                out.extend(link::parse(payload, stack).map(Raw::Link))
            }
            RTM_DELLINK if payload.first() == Some(&AF_UNSPEC) => out.extend(gone(payload)),
            t @ (RTM_NEWADDR | RTM_DELADDR) => {
                if let Some((index, addr)) = super::addr::parse_any(payload) {
                    out.push(Raw::Addr {
                        index,
                        addr,
                        added: t == RTM_NEWADDR,
                    });
                }
            }
            _ => {}
        }
        off += (len + 3) & !3;
    }
}

/// An RTM_DELLINK payload: the index, the name and, on a move, where to.
fn gone(payload: &[u8]) -> Option<Raw> {
    let index = u32_of(payload.get(4..8)?)?;
    let (mut name, mut nsid, mut new_index) = (None, None, None);
    for a in nlas(payload.get(16..)?) {
        match a.kind() {
            IFLA_IFNAME => name = IfName::from_kernel(a.value()),
            IFLA_NEW_NETNSID => nsid = i32_of(a.value()),
            IFLA_NEW_IFINDEX => new_index = u32_of(a.value()),
            _ => {}
        }
    }
    let moved = (nsid.is_some() || new_index.is_some()).then_some(MovedTo {
        stack_id: nsid,
        index: new_index,
    });
    Some(Raw::Gone { index, name, moved })
}

/// Signals when entries of `/run/netns` come and go.
pub struct NetnsDirFeed {
    ino: nix::sys::inotify::Inotify,
}

impl std::fmt::Debug for NetnsDirFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NetnsDirFeed")
    }
}

/// An inotify watch on `dir` (and on its parent, so that the directory's own creation is
/// seen: named stacks live in it once the first is made).
pub fn stacks_feed(dir: &Path) -> Result<NetnsDirFeed> {
    use nix::sys::inotify::{AddWatchFlags as W, InitFlags, Inotify};
    let err = |e: nix::errno::Errno| {
        Error::from_errno(
            e as i32,
            Context::new("watch", dir.display().to_string()).detail("inotify"),
        )
    };
    let ino = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).map_err(err)?;
    let what = W::IN_CREATE | W::IN_DELETE | W::IN_MOVED_FROM | W::IN_MOVED_TO;
    if let Some(parent) = dir.parent() {
        ino.add_watch(parent, W::IN_CREATE | W::IN_ONLYDIR)
            .map_err(err)?;
    }
    match ino.add_watch(dir, what) {
        Ok(_) | Err(nix::errno::Errno::ENOENT) => {}
        Err(e) => return Err(err(e)),
    }
    Ok(NetnsDirFeed { ino })
}

impl Feed for NetnsDirFeed {
    fn fd(&self) -> BorrowedFd<'_> {
        self.ino.as_fd()
    }

    fn read(&mut self, _out: &mut Vec<Raw>, _max: usize) -> Result<bool> {
        use nix::sys::inotify::AddWatchFlags as W;
        match self.ino.read_events() {
            Ok(evs) => {
                // The directory may just have been made: watch it from now on.
                let what = W::IN_CREATE | W::IN_DELETE | W::IN_MOVED_FROM | W::IN_MOVED_TO;
                let _ = self.ino.add_watch(super::stack::NETNS_DIR, what);
                Ok(!evs.is_empty())
            }
            Err(nix::errno::Errno::EAGAIN) => Ok(false),
            Err(e) => Err(Error::from_errno(
                e as i32,
                Context::new("watch", super::stack::NETNS_DIR).detail("inotify"),
            )),
        }
    }
}

/// One epoll descriptor that polls readable when any of `fds` is.
pub fn join(fds: &[BorrowedFd<'_>]) -> Result<OwnedFd> {
    use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
    let err = |e: nix::errno::Errno| Error::from_errno(e as i32, Context::new("watch", "epoll"));
    let ep = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).map_err(err)?;
    for fd in fds {
        ep.add(
            fd,
            EpollEvent::new(EpollFlags::EPOLLIN, fd.as_raw_fd() as u64),
        )
        .map_err(err)?;
    }
    Ok(ep.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: u16, payload: &[u8]) -> Vec<u8> {
        let len = 16 + payload.len();
        let mut m = (len as u32).to_ne_bytes().to_vec();
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&[0; 10]);
        m.extend_from_slice(payload);
        while !m.len().is_multiple_of(4) {
            m.push(0);
        }
        m
    }

    fn attr(kind: u16, v: &[u8]) -> Vec<u8> {
        let mut a = ((4 + v.len()) as u16).to_ne_bytes().to_vec();
        a.extend_from_slice(&kind.to_ne_bytes());
        a.extend_from_slice(v);
        while !a.len().is_multiple_of(4) {
            a.push(0);
        }
        a
    }

    fn ifinfo(family: u8, index: u32) -> Vec<u8> {
        let mut p = vec![family, 0, 1, 0];
        p.extend_from_slice(&index.to_ne_bytes());
        p.extend_from_slice(&[0; 8]);
        p
    }

    #[test]
    fn a_move_a_bridge_port_copy_an_address_and_an_overrun() {
        let stack: std::sync::Arc<str> = "s".into();
        let mut dl = ifinfo(AF_UNSPEC, 7);
        dl.extend(attr(IFLA_IFNAME, b"veth0\0"));
        dl.extend(attr(IFLA_NEW_NETNSID, &3i32.to_ne_bytes()));
        dl.extend(attr(IFLA_NEW_IFINDEX, &9u32.to_ne_bytes()));
        let mut rx = msg(RTM_DELLINK, &dl);
        let mut port = ifinfo(7, 7); // AF_BRIDGE: the bridge's view of a port
        port.extend(attr(IFLA_IFNAME, b"veth0\0"));
        rx.extend(msg(link::RTM_NEWLINK, &port));
        let mut ad = vec![2, 24, 0, 0];
        ad.extend_from_slice(&7u32.to_ne_bytes());
        ad.extend(attr(2, &[192, 0, 2, 1]));
        rx.extend(msg(RTM_NEWADDR, &ad));
        rx.extend(msg(NLMSG_OVERRUN, &[]));
        let mut out = Vec::new();
        parse_datagram(&rx, &stack, &mut out);
        assert_eq!(
            out,
            vec![
                Raw::Gone {
                    index: 7,
                    name: IfName::new("veth0").ok(),
                    moved: Some(MovedTo {
                        stack_id: Some(3),
                        index: Some(9)
                    }),
                },
                Raw::Addr {
                    index: 7,
                    addr: crate::model::IfAddr {
                        addr: "192.0.2.1".parse().unwrap(),
                        prefix_len: 24
                    },
                    added: true
                },
                Raw::Lost,
            ]
        );
        // A cut datagram is a loss, not a silent skip.
        let mut out = Vec::new();
        parse_datagram(&rx[..20], &stack, &mut out);
        assert_eq!(out, vec![Raw::Lost]);
    }
}
