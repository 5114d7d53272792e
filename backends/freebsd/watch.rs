//! The FreeBSD watcher's feed: a PF_ROUTE socket in one stack's VNET, read without blocking.
//!
//! Each receive is one routing message; the ABI crate parses it and `crate::freebsd::watch`
//! turns it into [`Raw`]s (the pure, unit-tested half). An overflow of the socket's receive
//! buffer shows as ENOBUFS (SO_RERROR, FreeBSD 13.1+) and is reported as [`Raw::Lost`].

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

use super::sys;
use crate::backend::{Feed, Raw};
use crate::error::Result;
use crate::freebsd::errs::kerr;

/// The receive buffer asked for when the caller gives none: room for thousands of messages
/// (an announce is 24 bytes, an address message about 130, an IFINFO 168 plus its sockaddr).
/// The kernel may grant less (see [`sys::route_socket`]).
pub const DEFAULT_RCVBUF: usize = 4 << 20;

/// Room for one routing message: the largest (`rt_msghdr` and eight sockaddrs) is well under
/// 2 KiB. A message longer than this would be cut by the kernel and read as [`Raw::Lost`].
const RECV_BUF: usize = 16 * 1024;

/// What the errors of a feed name as their object.
const OBJECT: &str = "routing socket";

/// One stack's routing socket.
pub struct RouteFeed {
    sock: OwnedFd,
    buf: Vec<u8>,
    /// The stack's name, for errors.
    stack: Arc<str>,
    /// The receive buffer the kernel granted (`None`: its default), shown by `Debug`.
    rcvbuf: Option<usize>,
    /// Whether an overflow is reported (SO_RERROR); without it an overflow goes unseen.
    rerror: bool,
}

impl RouteFeed {
    pub fn new(sock: sys::RouteSock, stack: Arc<str>) -> RouteFeed {
        RouteFeed {
            sock: sock.fd,
            buf: vec![0; RECV_BUF],
            stack,
            rcvbuf: sock.rcvbuf,
            rerror: sock.rerror,
        }
    }
}

impl std::fmt::Debug for RouteFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteFeed")
            .field("sock", &self.sock)
            .field("stack", &self.stack)
            .field("rcvbuf", &self.rcvbuf)
            .field("rerror", &self.rerror)
            .finish_non_exhaustive()
    }
}

impl Feed for RouteFeed {
    fn fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    /// Receives until the socket is empty (EAGAIN) or `max` entries were appended. ENOBUFS (an
    /// overflow: the kernel dropped messages) appends [`Raw::Lost`] and reading goes on; EINTR
    /// is retried; any other errno is an error naming op `watch`.
    fn read(&mut self, out: &mut Vec<Raw>, max: usize) -> Result<bool> {
        let start = out.len();
        while out.len() - start < max.max(1) {
            match sys::recv_nonblock(self.sock.as_fd(), &mut self.buf) {
                // A routing socket never sends an empty datagram: nothing more to read.
                Ok(0) => break,
                Ok(n) => {
                    let events = ifclone_freebsd_abi::rtsock::parse(&self.buf[..n]);
                    crate::freebsd::watch::to_raw(events, out);
                }
                Err(libc::EAGAIN) => break,
                Err(libc::EINTR) => continue,
                Err(libc::ENOBUFS) => out.push(Raw::Lost),
                Err(e) => return Err(kerr("watch", OBJECT, &self.stack, e)),
            }
        }
        Ok(out.len() > start)
    }
}
