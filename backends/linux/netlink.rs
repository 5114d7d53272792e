//! The rtnetlink socket of one stack: send a request and wait for its ack, read one answer, run a
//! dump (restarted when the kernel marks it interrupted), pipeline many requests. Requests are
//! built with netlink-packet-route; answers are handed to the caller as raw payloads so that the
//! hot paths (a 10 000-link dump) parse only the attributes they need.

use std::io;

use netlink_packet_core::{
    NetlinkBuffer, NetlinkHeader, NetlinkMessage, NetlinkPayload, NLMSG_DONE, NLMSG_ERROR,
    NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP,
    NLM_F_DUMP_INTR, NLM_F_MULTIPART, NLM_F_REQUEST,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

/// NLMSGERR_ATTR_MSG: the extended-ack text.
const NLMSGERR_ATTR_MSG: u16 = 1;
/// Receive buffer for one datagram. The kernel caps a dump skb at 32 KiB.
const RX_BUF: usize = 64 * 1024;
/// Socket receive buffer asked for (SO_RCVBUFFORCE as root, else SO_RCVBUF capped by rmem_max).
const SO_RCV: usize = 4 * 1024 * 1024;
/// Requests in flight at once when pipelining (keeps the acks within the socket buffer).
const WINDOW: usize = 64;
/// How often a dump is restarted when the kernel marks it interrupted.
pub const DUMP_RETRIES: usize = 10;
/// Backoff before the n-th restart of an interrupted dump: 0, 1, 2, 4 … 64 ms (≈0.25 s in all),
/// so that a burst of concurrent changes can pass instead of interrupting every attempt.
fn dump_backoff(attempt: usize) -> std::time::Duration {
    match attempt {
        0 => std::time::Duration::ZERO,
        n => std::time::Duration::from_millis(1 << (n - 1).min(6)),
    }
}

/// What the kernel answered: an errno and the extended-ack text, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NlError {
    pub errno: i32,
    pub msg: Option<String>,
}

impl NlError {
    pub fn io(e: io::Error) -> NlError {
        NlError {
            errno: e.raw_os_error().unwrap_or(libc::EIO),
            msg: None,
        }
    }
    pub fn errno(errno: i32, msg: &str) -> NlError {
        NlError {
            errno,
            msg: Some(msg.to_string()),
        }
    }
}

pub type NlResult<T> = std::result::Result<T, NlError>;

/// Parses the payload of an NLMSG_ERROR message: the (negated) errno and, when the kernel set
/// NLM_F_ACK_TLVS, the NLMSGERR_ATTR_MSG text. `flags` are the error message's header flags.
pub fn parse_error(payload: &[u8], flags: u16) -> (i32, Option<String>) {
    if payload.len() < 4 {
        return (libc::EIO, None);
    }
    let code = i32::from_ne_bytes([payload[0], payload[1], payload[2], payload[3]]);
    let errno = -code;
    if flags & NLM_F_ACK_TLVS == 0 || payload.len() < 20 {
        return (errno, None);
    }
    // The original request's header follows the code; its payload too unless NLM_F_CAPPED.
    let orig_len = u32::from_ne_bytes([payload[4], payload[5], payload[6], payload[7]]) as usize;
    let mut off = 4 + if flags & NLM_F_CAPPED != 0 {
        16
    } else {
        orig_len
    };
    off = (off + 3) & !3;
    let mut msg = None;
    while off + 4 <= payload.len() {
        let len = u16::from_ne_bytes([payload[off], payload[off + 1]]) as usize;
        let kind = u16::from_ne_bytes([payload[off + 2], payload[off + 3]]) & 0x3fff;
        if len < 4 || off + len > payload.len() {
            break;
        }
        if kind == NLMSGERR_ATTR_MSG {
            let v = &payload[off + 4..off + len];
            let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
            let s = String::from_utf8_lossy(&v[..end]).trim().to_string();
            if !s.is_empty() {
                msg = Some(s);
            }
        }
        off += (len + 3) & !3;
    }
    (errno, msg)
}

/// One rtnetlink socket of a stack, opened inside the stack's netns with its first request (a
/// stack that is only created, or opened to be removed, never enters the netns for it).
pub struct Netlink {
    sock: Option<Socket>,
    /// Why the last [`Netlink::open_in`] failed, for the request that needed the socket.
    open_err: Option<io::Error>,
    seq: u32,
    tx: Vec<u8>,
    rx: Vec<u8>,
}

impl std::fmt::Debug for Netlink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Netlink(seq {})", self.seq)
    }
}

/// One message of an answer, as handed to callbacks.
pub struct Msg<'a> {
    pub kind: u16,
    pub flags: u16,
    pub payload: &'a [u8],
}

impl Netlink {
    /// A socket not opened yet: [`Netlink::open_in`] opens it.
    pub fn lazy() -> Netlink {
        Netlink {
            sock: None,
            open_err: None,
            seq: 0,
            tx: Vec::with_capacity(4096),
            rx: Vec::with_capacity(RX_BUF),
        }
    }

    /// A configured rtnetlink socket in the calling thread's netns, with extended acks, capped
    /// acks and strict checking.
    pub fn socket() -> io::Result<Socket> {
        let mut sock = Socket::new(NETLINK_ROUTE)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        sock.set_ext_ack(true)?;
        sock.set_cap_ack(true)?;
        // Strict checking lets the kernel filter dumps (addresses by index); older kernels lack
        // it, which is harmless.
        let _ = sock.set_netlink_get_strict_chk(true);
        super::sys::set_rcvbuf(&sock, SO_RCV);
        Ok(sock)
    }

    /// Opens the socket inside the netns `ns` unless it is open (a failure is kept for the
    /// request that needs the socket, and the next call tries again).
    pub fn open_in(&mut self, ns: std::os::fd::BorrowedFd<'_>) {
        if self.sock.is_none() {
            match super::sys::socket_in(ns) {
                Ok(s) => self.sock = Some(s),
                Err(e) => self.open_err = Some(e),
            }
        }
    }

    /// The socket, or why it could not be opened.
    fn sock(&mut self) -> io::Result<&Socket> {
        match &self.sock {
            Some(s) => Ok(s),
            None => Err(self
                .open_err
                .take()
                .unwrap_or_else(|| io::Error::other("the netlink socket is not open"))),
        }
    }

    /// The `SO_NETNS_COOKIE` of the netns this socket was opened in (`None` on kernels before
    /// 5.14). A socket stays in the netns it was created in, so this names the stack for good.
    pub fn netns_cookie(&mut self) -> io::Result<Option<u64>> {
        use std::os::fd::AsFd;
        super::sys::netns_cookie(self.sock()?.as_fd())
    }

    fn send(&mut self, msg: RouteNetlinkMessage, flags: u16) -> NlResult<u32> {
        self.seq = self.seq.wrapping_add(1).max(1);
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | flags;
        header.sequence_number = self.seq;
        let mut m = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(msg));
        m.finalize();
        let len = m.buffer_len();
        self.tx.clear();
        self.tx.resize(len, 0);
        m.serialize(&mut self.tx[..]);
        self.sock().map_err(NlError::io)?;
        crate::backend::count_request();
        let sock = self.sock.as_ref().expect("opened above");
        loop {
            match sock.send(&self.tx, 0) {
                Ok(_) => return Ok(self.seq),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(NlError::io(e)),
            }
        }
    }

    fn recv(&mut self) -> NlResult<()> {
        self.sock().map_err(NlError::io)?;
        let sock = self.sock.as_ref().expect("opened above");
        loop {
            self.rx.clear();
            match sock.recv(&mut self.rx, 0) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(NlError::io(e)),
            }
        }
    }

    /// Reads datagrams until `f` says the answer to `seq` is complete. `f` sees every message
    /// carrying `seq` and returns `Some(result)` to stop.
    fn read_until<T>(
        &mut self,
        seq: u32,
        mut f: impl FnMut(Msg<'_>) -> Option<NlResult<T>>,
    ) -> NlResult<T> {
        loop {
            self.recv()?;
            let mut out = None;
            for m in frames(&self.rx) {
                if m.seq != seq || out.is_some() {
                    continue; // stale answer to an abandoned request, or after the end
                }
                if m.kind == NLMSG_NOOP || m.kind == NLMSG_OVERRUN {
                    continue;
                }
                out = f(Msg {
                    kind: m.kind,
                    flags: m.flags,
                    payload: m.payload,
                });
            }
            if let Some(r) = out {
                return r;
            }
        }
    }

    /// Sends a request with NLM_F_ACK and waits for the ack.
    pub fn ack(&mut self, msg: RouteNetlinkMessage, flags: u16) -> NlResult<()> {
        self.ack_with(msg, flags, |_| {})
    }

    /// Like [`Netlink::ack`], but every other message that answers the request before its ack
    /// (the kernel's echo of an NLM_F_ECHO request) is handed to `f`.
    pub fn ack_with(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
        mut f: impl FnMut(&Msg<'_>),
    ) -> NlResult<()> {
        let seq = self.send(msg, flags | NLM_F_ACK)?;
        self.read_until(seq, |m| {
            if m.kind == NLMSG_ERROR {
                let (errno, msg) = parse_error(m.payload, m.flags);
                Some(if errno == 0 {
                    Ok(())
                } else {
                    Err(NlError { errno, msg })
                })
            } else {
                f(&m);
                None
            }
        })
    }

    /// Sends a request and hands the one answer message (not an error) to `f`.
    pub fn get<T>(
        &mut self,
        msg: RouteNetlinkMessage,
        mut f: impl FnMut(&Msg<'_>) -> T,
    ) -> NlResult<T> {
        let seq = self.send(msg, 0)?;
        self.read_until(seq, |m| {
            if m.kind == NLMSG_ERROR {
                let (errno, msg) = parse_error(m.payload, m.flags);
                Some(Err(NlError {
                    errno: if errno == 0 { libc::ENODATA } else { errno },
                    msg,
                }))
            } else {
                Some(Ok(f(&m)))
            }
        })
    }

    /// Runs one dump, handing each message to `f`. Returns `Ok(true)` if the kernel marked the
    /// dump interrupted (the caller restarts it; see [`Netlink::dump_retry`]).
    pub fn dump_once(
        &mut self,
        msg: RouteNetlinkMessage,
        f: &mut dyn FnMut(&Msg<'_>),
    ) -> NlResult<bool> {
        let seq = self.send(msg, NLM_F_DUMP)?;
        let mut intr = false;
        self.read_until(seq, |m| {
            if m.flags & NLM_F_DUMP_INTR != 0 {
                intr = true;
            }
            match m.kind {
                NLMSG_DONE => {
                    let (errno, msg) = parse_error(m.payload, m.flags);
                    Some(if errno > 0 {
                        Err(NlError { errno, msg })
                    } else {
                        Ok(())
                    })
                }
                NLMSG_ERROR => {
                    let (errno, msg) = parse_error(m.payload, m.flags);
                    Some(Err(NlError {
                        errno: if errno == 0 { libc::EIO } else { errno },
                        msg,
                    }))
                }
                _ => {
                    if m.flags & NLM_F_MULTIPART != 0 || m.kind >= 16 {
                        f(&m);
                    }
                    None
                }
            }
        })?;
        Ok(intr)
    }

    /// Runs a dump, restarting it up to [`DUMP_RETRIES`] times (with a short backoff) while the
    /// kernel marks it interrupted. `f` gets `None` before each (re)start, so it can drop what it
    /// collected, then every message. A dump still interrupted after that fails with EBUSY: the
    /// stack is changing faster than it can be read consistently, never a silent partial list.
    pub fn dump_retry(
        &mut self,
        make: &dyn Fn() -> RouteNetlinkMessage,
        f: &mut dyn FnMut(Option<&Msg<'_>>),
    ) -> NlResult<()> {
        for attempt in 0..DUMP_RETRIES {
            std::thread::sleep(dump_backoff(attempt));
            f(None);
            if !self.dump_once(make(), &mut |m| f(Some(m)))? {
                return Ok(());
            }
        }
        Err(NlError::errno(
            libc::EBUSY,
            "dump interrupted by concurrent changes on every attempt (NLM_F_DUMP_INTR); try again",
        ))
    }

    /// Pipelines requests (each with NLM_F_ACK), at most [`WINDOW`] in flight, and returns each
    /// request's result in order.
    pub fn batch(
        &mut self,
        msgs: impl IntoIterator<Item = (RouteNetlinkMessage, u16)>,
    ) -> NlResult<Vec<NlResult<()>>> {
        let mut results: Vec<NlResult<()>> = Vec::new();
        let mut first_seq: Option<u32> = None;
        let mut pending = 0usize;
        let mut it = msgs.into_iter();
        let mut done_sending = false;
        loop {
            while !done_sending && pending < WINDOW {
                match it.next() {
                    Some((m, flags)) => {
                        let s = self.send(m, flags | NLM_F_ACK)?;
                        first_seq.get_or_insert(s);
                        results.push(Err(NlError::errno(libc::EINPROGRESS, "no answer")));
                        pending += 1;
                    }
                    None => done_sending = true,
                }
            }
            if pending == 0 {
                return Ok(results);
            }
            self.recv()?;
            let base = first_seq.unwrap_or(0);
            for m in frames(&self.rx) {
                let i = m.seq.wrapping_sub(base) as usize;
                if m.kind != NLMSG_ERROR || i >= results.len() {
                    continue;
                }
                let (errno, msg) = parse_error(m.payload, m.flags);
                results[i] = if errno == 0 {
                    Ok(())
                } else {
                    Err(NlError { errno, msg })
                };
                pending -= 1;
            }
        }
    }
}

/// One netlink message in a receive buffer.
struct Frame<'a> {
    kind: u16,
    flags: u16,
    seq: u32,
    payload: &'a [u8],
}

/// The messages of one received datagram, in order; stops at the first malformed header.
fn frames(rx: &[u8]) -> impl Iterator<Item = Frame<'_>> {
    let mut off = 0;
    std::iter::from_fn(move || {
        if off + 16 > rx.len() {
            return None;
        }
        let buf = NetlinkBuffer::new(&rx[off..]);
        let len = buf.length() as usize;
        if len < 16 || off + len > rx.len() {
            return None;
        }
        let f = Frame {
            kind: buf.message_type(),
            flags: buf.flags(),
            seq: buf.sequence_number(),
            payload: &rx[off + 16..off + len],
        };
        off += (len + 3) & !3;
        Some(f)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_payload(code: i32, capped: bool, text: Option<&str>) -> (Vec<u8>, u16) {
        let mut p = code.to_ne_bytes().to_vec();
        // original header: length 40 (16 header + 24 payload), type 16, flags, seq, pid
        p.extend_from_slice(&40u32.to_ne_bytes());
        p.extend_from_slice(&16u16.to_ne_bytes());
        p.extend_from_slice(&5u16.to_ne_bytes());
        p.extend_from_slice(&7u32.to_ne_bytes());
        p.extend_from_slice(&0u32.to_ne_bytes());
        if !capped {
            p.extend_from_slice(&[0u8; 24]);
        }
        let mut flags = if capped { NLM_F_CAPPED } else { 0 };
        if let Some(t) = text {
            flags |= NLM_F_ACK_TLVS;
            let v = format!("{t}\0");
            p.extend_from_slice(&((4 + v.len()) as u16).to_ne_bytes());
            p.extend_from_slice(&NLMSGERR_ATTR_MSG.to_ne_bytes());
            p.extend_from_slice(v.as_bytes());
            while !p.len().is_multiple_of(4) {
                p.push(0);
            }
            // an offset attribute after it, which is ignored
            p.extend_from_slice(&8u16.to_ne_bytes());
            p.extend_from_slice(&2u16.to_ne_bytes());
            p.extend_from_slice(&32u32.to_ne_bytes());
        }
        (p, flags)
    }

    #[test]
    fn extack_text_capped_and_not() {
        for capped in [true, false] {
            let (p, f) = err_payload(-libc::EOPNOTSUPP, capped, Some("Unknown device type"));
            assert_eq!(
                parse_error(&p, f),
                (libc::EOPNOTSUPP, Some("Unknown device type".to_string()))
            );
        }
    }

    #[test]
    fn frames_walk_aligned_messages_and_stop_at_garbage() {
        let msg = |kind: u16, seq: u32, payload: &[u8]| {
            let len = 16 + payload.len();
            let mut m = (len as u32).to_ne_bytes().to_vec();
            m.extend_from_slice(&kind.to_ne_bytes());
            m.extend_from_slice(&0u16.to_ne_bytes());
            m.extend_from_slice(&seq.to_ne_bytes());
            m.extend_from_slice(&0u32.to_ne_bytes());
            m.extend_from_slice(payload);
            while !m.len().is_multiple_of(4) {
                m.push(0);
            }
            m
        };
        let mut rx = msg(16, 1, &[1, 2, 3]);
        rx.extend(msg(NLMSG_ERROR, 2, &[0; 4]));
        rx.extend([200, 0, 0, 0, 0, 0]); // a header claiming more than there is
        let got: Vec<(u16, u32, usize)> = frames(&rx)
            .map(|f| (f.kind, f.seq, f.payload.len()))
            .collect();
        assert_eq!(got, vec![(16, 1, 3), (NLMSG_ERROR, 2, 4)]);
        assert_eq!(frames(&[]).count(), 0);
    }

    #[test]
    fn plain_ack_and_errno() {
        let (p, f) = err_payload(0, true, None);
        assert_eq!(parse_error(&p, f), (0, None));
        let (p, f) = err_payload(-libc::EEXIST, false, None);
        assert_eq!(parse_error(&p, f), (libc::EEXIST, None));
        assert_eq!(parse_error(&[1, 2], 0).0, libc::EIO);
    }
}
