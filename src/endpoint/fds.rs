//! The descriptors a hypervisor gets for one endpoint.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use crate::error::{Context, Error, Result};
use crate::model::{FdKind, IfName, Queues};

/// One endpoint's descriptors: a queue fd of its tap (or macvtap) per queue, and — when the
/// hypervisor runs the queues in the kernel — a vhost-net fd per queue. The type holds its
/// invariant, checked once by [`EndpointFds::new`]: at least one queue, every queue fd serves
/// the same device (name and index), queue `k` is the `k`-th, and there are no vhost fds or
/// exactly one per queue. Descriptors are never serialised: a VM manager stores the endpoint
/// ([`crate::endpoint::Endpoint`]) and opens them again. Dropping it closes them all.
#[derive(Debug)]
pub struct EndpointFds {
    queues: Queues,
    vhost: Vec<OwnedFd>,
}

impl EndpointFds {
    /// Checks the invariant; on a violation nothing is kept (the fds are closed) and the error
    /// says which.
    pub fn new(queues: Queues, vhost: Vec<OwnedFd>) -> Result<EndpointFds> {
        let bad = |why: String| {
            let dev = queues
                .iter()
                .next()
                .map_or_else(|| "endpoint".to_string(), |q| q.device.to_string());
            Err(Error::InvalidArgument(Box::new(
                Context::new("hand over descriptors of", dev).detail(why),
            )))
        };
        let Some(first) = queues.iter().next() else {
            return bad("no queue: an endpoint has at least one".into());
        };
        let (device, index, kind) = (first.device, first.index, first.kind);
        if kind == FdKind::TunQueue {
            return bad("a tun carries IP packets; a VM's NIC needs a tap or a macvtap".into());
        }
        for (k, q) in queues.iter().enumerate() {
            if (q.device, q.index, q.kind) != (device, index, kind) {
                return bad(format!(
                    "queue {k} serves {} #{} ({:?}), not {device} #{index} ({kind:?})",
                    q.device, q.index, q.kind
                ));
            }
            if usize::from(q.queue) != k {
                return bad(format!("queue fd {k} is numbered {}", q.queue));
            }
        }
        if !vhost.is_empty() && vhost.len() != queues.len() {
            return bad(format!(
                "{} vhost fds for {} queues (none, or one per queue)",
                vhost.len(),
                queues.len()
            ));
        }
        Ok(EndpointFds { queues, vhost })
    }

    /// How many queues (≥ 1).
    pub fn queues(&self) -> usize {
        self.queues.len()
    }

    /// The device the queue fds serve: its name and index when they were opened.
    pub fn device(&self) -> (IfName, u32) {
        let q = self.queues.iter().next().expect("at least one queue");
        (q.device, q.index)
    }

    /// The queue fds, queue 0 first.
    pub fn taps(&self) -> impl Iterator<Item = BorrowedFd<'_>> {
        self.queues.iter().map(|q| q.as_fd())
    }

    /// The vhost-net fds, one per queue, or none.
    pub fn vhosts(&self) -> impl Iterator<Item = BorrowedFd<'_>> {
        self.vhost.iter().map(|f| f.as_fd())
    }

    /// QEMU's `-netdev` for these fds in this process (`tap,id=ID,fds=3:4,vhost=on,vhostfds=5:6`):
    /// the fds must reach QEMU under the same numbers (inherited; they are close-on-exec, so
    /// the caller clears that flag in the child, see `examples/vm_endpoint.rs`).
    pub fn qemu_netdev(&self, id: &str) -> String {
        netdev(id, self.taps(), self.vhosts())
    }

    /// The fds themselves, to hand over.
    pub fn into_parts(self) -> (Queues, Vec<OwnedFd>) {
        (self.queues, self.vhost)
    }
}

/// `n` vhost-net descriptors ([`Links::vhost_fds`](crate::backend::Links::vhost_fds)): Linux
/// `/dev/vhost-net`, `Unsupported` where the kernel has none (and on FreeBSD). With `own`, each
/// is made this process's (only for a process that runs the datapath itself).
pub fn vhost_fds(n: u16, own: bool) -> Result<Vec<OwnedFd>> {
    use crate::backend::Links;
    crate::system().vhost_fds(n, own)
}

/// Attaches (`true`) or detaches one queue of a multiqueue tap
/// ([`Links::set_queue_attached`](crate::backend::Links::set_queue_attached)): a detached queue
/// stays open and gets no frames, as a guest that uses fewer queues wants.
pub fn set_queue_attached(q: &crate::model::QueueFd, attached: bool) -> Result<()> {
    use crate::backend::Links;
    crate::system()
        .set_queue_attached(q.as_fd(), attached)
        .map_err(|e| e.with_detail(format_args!("queue {} of {}", q.queue, q.device)))
}

/// Copies of an endpoint's fds that a child process inherits (the originals are close-on-exec,
/// so a hypervisor started from this process would not see them): each is a `dup` without
/// close-on-exec, under a number of its own. Made just before the child is spawned and dropped
/// right after — meanwhile any child this process starts inherits them, so keep that short.
#[derive(Debug)]
pub struct ChildFds {
    taps: Vec<OwnedFd>,
    vhost: Vec<OwnedFd>,
}

impl EndpointFds {
    /// Inheritable copies of every fd ([`ChildFds`]).
    pub fn for_child(&self) -> Result<ChildFds> {
        let dup = |f: BorrowedFd<'_>| {
            nix::unistd::dup(f).map_err(|e| {
                Error::from_errno(
                    e as i32,
                    Context::new("copy descriptor of", self.device().0.to_string()),
                )
            })
        };
        Ok(ChildFds {
            taps: self.taps().map(dup).collect::<Result<_>>()?,
            vhost: self.vhosts().map(dup).collect::<Result<_>>()?,
        })
    }
}

impl ChildFds {
    /// QEMU's `-netdev` for the copies (see [`EndpointFds::qemu_netdev`]).
    pub fn qemu_netdev(&self, id: &str) -> String {
        netdev(
            id,
            self.taps.iter().map(|f| f.as_fd()),
            self.vhost.iter().map(|f| f.as_fd()),
        )
    }
}

/// `tap,id=ID,fds=A:B[,vhost=on,vhostfds=C:D]`.
fn netdev<'a>(
    id: &str,
    taps: impl Iterator<Item = BorrowedFd<'a>>,
    vhost: impl Iterator<Item = BorrowedFd<'a>>,
) -> String {
    fn join<'a>(it: impl Iterator<Item = BorrowedFd<'a>>) -> String {
        it.map(|f| f.as_raw_fd().to_string())
            .collect::<Vec<_>>()
            .join(":")
    }
    let mut s = format!("tap,id={id},fds={}", join(taps));
    let v = join(vhost);
    if !v.is_empty() {
        s.push_str(&format!(",vhost=on,vhostfds={v}"));
    }
    s
}
