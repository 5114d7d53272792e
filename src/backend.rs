//! # The backend contract
//!
//! This is the complete surface an OS backend provides. The neutral layers above it (the public
//! [`Stack`](crate::Stack) API, the kind registry and the [`vmove`](crate::vmove) framework) use
//! nothing else, so a new OS is exactly one implementation of these traits plus its
//! [`StackHandle`] type, mounted by `src/sys.rs` (the only file that names an OS).
//!
//! Layering (no cycles): `model` and `error` depend on nothing; `kinds` (the registry) on
//! `model`; this contract on them; `backends/<os>/` implement it and depend only on these;
//! `stack`, `vmove` and `ledger` sit on top and reach the OS only through these traits.
//!
//! The contract is split by concern, one trait each; [`Backend`] is all of them. It is sealed
//! (only this crate implements it: its OS backends and [`crate::testing::Faulty`]), and every
//! operation has a default — `Unsupported`, or a derivation from the others — so adding an
//! operation breaks no backend and no wrapper. Bring the parts into scope with
//! `use ifclone::backend::prelude::*`.
//!
//! | part          | operations                                                          |
//! |---------------|---------------------------------------------------------------------|
//! | [`Stacks`]    | [`open_stack`], [`find_stack`] (by kernel identity), [`create_stack`], [`list_stacks`], [`remove_stack`], [`stack_alive`], [`link_stack`] (the stack a peer/parent lives in, from the kernel's id) |
//! | [`Links`]     | [`cloners`] (probed from the kernel, never guessed), [`list`] (one dump), [`get`], [`create`] (optionally placed in other stacks), [`destroy`], [`destroy_many`] (the kernel's bulk path), [`apply`] |
//! | [`Addresses`] | [`addresses`], [`add_address`], [`del_address`]                      |
//! | [`Moves`]     | [`move_native`] — the kernel's own move, with an optional new name   |
//! | [`Marks`]     | [`add_mark`], [`del_mark`] — a mark that travels with the device (Linux: an alternative name); [`Interface::mark`](crate::model::Interface::mark) reads it back |
//! | [`Watch`]     | [`subscribe`] (a stack's notifications as [`Raw`]s), [`stacks_feed`], [`join_fds`] |
//!
//! Rules every backend follows:
//! - **No caller thread ever changes stack.** Linux enters a netns only on a short-lived dedicated
//!   thread that opens a socket and hands it back; FreeBSD forks a child that `jail_attach`es and
//!   passes a socket back over SCM_RIGHTS.
//! - **Errors** carry the operation, the object, the stack name and the kernel's own text
//!   (netlink extended ack; jail errmsg), classified with [`Error::from_errno`].
//! - **Validation** of names, ids and MTUs happens above the backend (in `model`), so a backend
//!   may assume its inputs are well-formed; it still maps every kernel refusal to a typed error.
//! - **`unsafe`** lives only in a backend's sys layer (`backends/<os>/sys.rs`), each block with a
//!   `SAFETY:` comment.
//!
//! [`open_stack`]: Stacks::open_stack
//! [`find_stack`]: Stacks::find_stack
//! [`create_stack`]: Stacks::create_stack
//! [`list_stacks`]: Stacks::list_stacks
//! [`remove_stack`]: Stacks::remove_stack
//! [`stack_alive`]: Stacks::stack_alive
//! [`link_stack`]: Stacks::link_stack
//! [`cloners`]: Links::cloners
//! [`list`]: Links::list
//! [`get`]: Links::get
//! [`create`]: Links::create
//! [`destroy`]: Links::destroy
//! [`destroy_many`]: Links::destroy_many
//! [`apply`]: Links::apply
//! [`addresses`]: Addresses::addresses
//! [`add_address`]: Addresses::add_address
//! [`del_address`]: Addresses::del_address
//! [`move_native`]: Moves::move_native
//! [`add_mark`]: Marks::add_mark
//! [`del_mark`]: Marks::del_mark
//! [`subscribe`]: Watch::subscribe
//! [`stacks_feed`]: Watch::stacks_feed
//! [`join_fds`]: Watch::join_fds

use std::fmt::Debug;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::model::{
    Change, CreateRequest, Created, IfAddr, IfName, IfRoute, IfSel, Interface, KindName, Mac,
    Queues, StackInfo, StackSel, TapOptions,
};

static REQUESTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many requests this process has sent to the kernel through ifclone's backend so far
/// (Linux: netlink messages, each pipelined one counted; FreeBSD: interface and jail system
/// calls). Benchmarks read it before and after a piece of work; it costs one relaxed atomic
/// add per request.
pub fn kernel_requests() -> u64 {
    REQUESTS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Counts one request (called by the backends' sys layers).
pub(crate) fn count_request() {
    REQUESTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// An open network stack. Holding one keeps the stack alive (Linux: an open netns fd; FreeBSD: a
/// jail reference plus a socket inside it), so a move's target cannot vanish mid-move.
pub trait StackHandle: Send + Sync + Debug + 'static {
    /// The name used in messages and listings (`host` for the host's own stack).
    fn name(&self) -> &str;
    /// The stack's kernel identity, stable for the stack's whole life and never given to another
    /// stack while ifclone's state may still name it (Linux: `netns:<inode>:<cookie>`, the
    /// netns inode and its never-reused `SO_NETNS_COOKIE`; FreeBSD: `jail:<jid>`, `jail:0` for
    /// the host). It names the kernel object, not the way it was opened: one stack opened as
    /// `host`, by name, by path or by pid has one key. Reading it may ask the kernel (Linux
    /// opens the stack's netlink socket for the cookie), so it can fail.
    fn key(&self) -> Result<String>;
    /// What this stack's lock is named after: cheap (no request), the same for every handle of
    /// the stack, and shared at most with stacks that no longer exist (Linux: `netns:<inode>`;
    /// FreeBSD: the key). [`Stacks::lock_id_of`] gives it from a key.
    fn lock_id(&self) -> String;
    /// A selector that reopens this same stack from another process.
    fn selector(&self) -> StackSel;
    /// Whether this is the host's own stack.
    fn is_host(&self) -> bool;
}

/// Where `create` puts what it makes: by default both the interface and an epair's peer go
/// into the stack the request is sent to.
pub struct Placement<'a, S> {
    /// Create the interface directly in this stack (Linux: IFLA_NET_NS_FD on create).
    pub iface: Option<&'a S>,
    /// Put an epair's peer directly in this stack.
    pub peer: Option<&'a S>,
}

impl<S> Default for Placement<'_, S> {
    fn default() -> Self {
        Placement {
            iface: None,
            peer: None,
        }
    }
}

impl<S> Clone for Placement<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for Placement<'_, S> {}

/// The contract is sealed: only this crate's backends (and its test wrapper,
/// [`crate::testing::Faulty`]) implement it, so an operation added with a default breaks no one.
mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

/// The `Unsupported` answer of an operation a backend does not provide.
fn missing(os: &str, op: &'static str) -> Error {
    Error::unsupported(op, os, format!("the {os} backend does not provide {op}"))
}

/// Stacks: open, find, create, list, remove. The root of the contract: it names the backend's
/// [`StackHandle`] type, which every other part takes. Every operation has a default that
/// answers `Unsupported` (or, where one exists, is derived from the others), so adding an
/// operation breaks no backend.
pub trait Stacks: Sealed + Send + Sync {
    type Stack: StackHandle;

    /// The OS name, for `Unsupported` errors (`"Linux"`, `"FreeBSD"`).
    fn os(&self) -> &'static str;

    /// Opens an existing stack.
    fn open_stack(&self, sel: &StackSel) -> Result<Arc<Self::Stack>> {
        let _ = sel;
        Err(missing(self.os(), "open stack"))
    }
    /// The live stack whose [`StackHandle::key`] is `key`, however it can be reached (Linux:
    /// the host, the named stacks, any process's netns; FreeBSD: the jail with that jid), or
    /// `None` when no live stack has it. Used to find a loan's home when the selector it was
    /// recorded with leads elsewhere (a stack opened as `host` from inside another netns).
    fn find_stack(&self, key: &str) -> Result<Option<Arc<Self::Stack>>> {
        let _ = key;
        Err(missing(self.os(), "find stack"))
    }
    /// The [`StackHandle::lock_id`] of the stack with key `key` (for a stack known only by a
    /// recorded key). By default the key itself.
    fn lock_id_of(&self, key: &str) -> String {
        key.to_string()
    }
    /// Whether a lock id is given again to later stacks (Linux: netns inodes are). Then a
    /// removed stack's lock file is kept for the next stack with its id, and their number stays
    /// bounded by the stacks alive at once; otherwise it is deleted with the stack. Keeping it
    /// spares a removal the file system writes of creating and deleting it.
    fn lock_ids_reused(&self) -> bool {
        false
    }
    /// Creates a named, persistent stack visible to the OS tools (`ip netns list`, `jls`).
    fn create_stack(&self, name: &str) -> Result<Arc<Self::Stack>> {
        let _ = name;
        Err(missing(self.os(), "create stack"))
    }
    /// Lists the named stacks.
    fn list_stacks(&self) -> Result<Vec<StackInfo>> {
        Err(missing(self.os(), "list stacks"))
    }
    /// Removes a named stack. The framework has already returned its loans; the kernel destroys
    /// whatever was created inside.
    fn remove_stack(&self, stack: &Self::Stack) -> Result<()> {
        let _ = stack;
        Err(missing(self.os(), "remove stack"))
    }
    /// Whether the stack can still be used (it has not been torn down under us).
    fn stack_alive(&self, stack: &Self::Stack) -> bool {
        let _ = stack;
        false
    }
    /// The stack that the kernel's id `id` (a [`LinkStack::Other`](crate::model::LinkStack) id),
    /// as seen from `stack`, refers to, among the host stack and the named stacks; `None` if
    /// none of them. Linux: `id` is a netnsid of `stack`, compared (RTM_GETNSID) with the id
    /// `stack` gives each candidate's netns; FreeBSD: `id` is a jid (0 for the host). Nothing
    /// is cached: ids are per stack and are reused.
    fn link_stack(&self, stack: &Self::Stack, id: i32) -> Result<Option<Arc<Self::Stack>>> {
        let _ = (stack, id);
        Err(missing(self.os(), "link stack"))
    }
}

/// Interfaces: the cloner registry, listing, creation, destruction, property changes.
pub trait Links: Stacks {
    /// The kinds this stack can create, probed from the kernel.
    fn cloners(&self, stack: &Self::Stack) -> Result<Vec<KindName>> {
        let _ = stack;
        Err(missing(self.os(), "cloners"))
    }
    /// Whether `stack` can create `kind` (what a re-create asks; the default asks
    /// [`Links::cloners`], a backend may probe just the one kind and cache it).
    fn offers(&self, stack: &Self::Stack, kind: KindName) -> Result<bool> {
        Ok(self.cloners(stack)?.contains(&kind))
    }

    /// All interfaces of a stack, from one dump (retried if the kernel marks it interrupted).
    fn list(&self, stack: &Self::Stack) -> Result<Vec<Interface>> {
        let _ = stack;
        Err(missing(self.os(), "list"))
    }
    /// One interface by name or index.
    fn get(&self, stack: &Self::Stack, sel: IfSel) -> Result<Interface> {
        let _ = (stack, sel);
        Err(missing(self.os(), "get"))
    }
    /// The vlans of `stack` whose parent is its interface `index`. A move asks this instead of
    /// listing the stack, so its cost does not grow with what the stack holds; the default
    /// lists the stack, a backend whose kernel filters dumps answers from a filtered one.
    fn vlans_on(&self, stack: &Self::Stack, index: u32) -> Result<Vec<Interface>> {
        Ok(self
            .list(stack)?
            .into_iter()
            .filter(|v| v.is_vlan_on(index))
            .collect())
    }
    /// How many interfaces of `stack` have the bridge/lagg `master` as their master (the
    /// default lists the stack, as for [`Links::vlans_on`]).
    fn ports_of(&self, stack: &Self::Stack, master: u32) -> Result<usize> {
        Ok(self
            .list(stack)?
            .iter()
            .filter(|i| i.master == Some(master))
            .count())
    }
    /// Creates an interface. The request is sent in `stack`; `place` may put the interface or an
    /// epair's peer directly into other stacks. Generic properties in the request (MTU, MAC,
    /// description, group, up) are applied before this returns.
    fn create(
        &self,
        stack: &Self::Stack,
        req: &CreateRequest,
        place: Placement<'_, Self::Stack>,
    ) -> Result<Created> {
        let _ = (stack, req, place);
        Err(missing(self.os(), "create"))
    }
    /// A move's new epair (the Recreate of an epair): made by `stack`, the end `req.name` there
    /// and the peer in `peer_in` (else in `stack`), the peer with `peer_mtu` and `peer_mac` from
    /// the start where the kernel takes them at creation. Only the two indexes are returned:
    /// the move renames and restores the peer in one change afterwards, and reads the end in
    /// its own verification. By default [`Links::create`].
    fn create_pair(
        &self,
        stack: &Self::Stack,
        req: &CreateRequest,
        peer_in: Option<&Self::Stack>,
        peer_mtu: u32,
        peer_mac: Option<Mac>,
    ) -> Result<(u32, u32)> {
        let _ = (peer_mtu, peer_mac);
        pair_by_create(self, stack, req, peer_in)
    }
    /// Destroys one interface (an epair end destroys the pair).
    fn destroy(&self, stack: &Self::Stack, sel: IfSel) -> Result<()> {
        let _ = (stack, sel);
        Err(missing(self.os(), "destroy"))
    }
    /// Destroys many interfaces through the kernel's bulk path (Linux: one group delete; the
    /// RCU barrier is paid once). Interfaces that are already gone are not an error (the
    /// framework checks names first where the caller asked for them). On failure nothing is
    /// destroyed and every interface whose group was changed gets its old group back.
    fn destroy_many(&self, stack: &Self::Stack, sels: &[IfSel]) -> Result<()> {
        let _ = (stack, sels);
        Err(missing(self.os(), "destroy many"))
    }
    /// Applies a set of property changes, in [`Change`]'s documented order.
    fn apply(&self, stack: &Self::Stack, sel: IfSel, change: &Change) -> Result<()> {
        let _ = (stack, sel, change);
        Err(missing(self.os(), "apply"))
    }
    /// [`Links::apply`] for values known to suit the device (saved from a device of the same
    /// kind, by a move): Linux sends them all in one RTM_SETLINK (the kernel renames before it
    /// brings the device up) and skips the MTU-limit lookup. On failure some may have been
    /// applied, as with `apply`.
    fn apply_at_once(&self, stack: &Self::Stack, index: u32, change: &Change) -> Result<()> {
        self.apply(stack, IfSel::Index(index), change)
    }
    /// Makes `port` a port of a bridge/lagg, or takes it out of one ([`PortOp`]); both are in
    /// `stack`, and the master's kind has ports (the framework checks). `port` is as the caller
    /// just read it (its UP state decides whether Linux bonding needs it down first). Linux:
    /// IFLA_MASTER (0 to leave); FreeBSD: the bridge's BRDGADD/BRDGDEL, the lagg's
    /// SIOCSLAGGPORT / SIOCSLAGGDELPORT.
    fn set_master(&self, stack: &Self::Stack, port: &Interface, op: PortOp<'_>) -> Result<()> {
        let _ = (stack, port, op);
        Err(missing(self.os(), "set_master"))
    }
    /// The link monitoring interval (ms) a failover group is made with when none is asked
    /// for: what the OS's failover master needs to notice a port's link going away
    /// (`None`: it follows the ports' link state by itself, as FreeBSD's lagg does).
    const FAILOVER_MIIMON: Option<u32> = None;
    /// Makes `port` (a port of the failover-mode bond/lagg `master`) the one that carries the
    /// traffic, and the preferred one from now on. Linux: IFLA_BOND_PRIMARY and
    /// IFLA_BOND_ACTIVE_SLAVE; FreeBSD: lagg's failover port is its first, so the other ports
    /// leave and join again after it.
    fn set_active_port(
        &self,
        stack: &Self::Stack,
        master: &Interface,
        port: &Interface,
    ) -> Result<()> {
        let _ = (stack, master, port);
        Err(missing(self.os(), "set_active_port"))
    }
    /// Makes `port` (a port of the failover-mode bond/lagg `master`) the preferred one without
    /// forcing a switch: the kernel makes it active when its link is up. Linux:
    /// IFLA_BOND_PRIMARY; FreeBSD: lagg's preferred port is its first (as `set_active_port`).
    fn set_primary_port(
        &self,
        stack: &Self::Stack,
        master: &Interface,
        port: &Interface,
    ) -> Result<()> {
        self.set_active_port(stack, master, port)
    }
    /// Opens `queues` descriptors of an existing interface that hands out descriptors (a
    /// macvtap's character device), each checked to serve exactly `iface` — its name *and*
    /// index — so a descriptor never reaches a consumer for a device that was destroyed and
    /// whose index or name was reused. Linux: `/dev/tapN` of a macvtap, once per queue.
    fn open_fds(&self, stack: &Self::Stack, iface: &Interface, queues: u16) -> Result<Queues> {
        let _ = (stack, iface, queues);
        Err(missing(self.os(), "open_fds"))
    }
    /// Creates a tap (`req.kind` is `KindSpec::Tap`) with these options and hands back its
    /// queue fds. The default makes only what [`Links::create`] makes (the default options)
    /// and answers `Unsupported` for others.
    fn create_tap(
        &self,
        stack: &Self::Stack,
        req: &CreateRequest,
        place: Placement<'_, Self::Stack>,
        opts: &TapOptions,
    ) -> Result<Created> {
        if *opts == TapOptions::default() {
            return self.create(stack, req, place);
        }
        Err(missing(self.os(), "tap options"))
    }
    /// Attaches (`true`) or detaches one queue fd of a multiqueue tap: a detached queue stays
    /// open and gets no frames (Linux TUNSETQUEUE).
    fn set_queue_attached(&self, fd: std::os::fd::BorrowedFd<'_>, attached: bool) -> Result<()> {
        let _ = (fd, attached);
        Err(missing(self.os(), "attaching and detaching queues"))
    }
    /// Whether [`Links::redirect_pair`] can be done at all (Linux tc: yes; FreeBSD: no), so an
    /// attach that needs it is refused before anything changes.
    const REDIRECTS: bool = false;
    /// Every frame that arrives on `a` leaves through `b`, and every frame that arrives on `b`
    /// leaves through `a` — the tc-filter interworking model, both in `stack`. Linux: an
    /// ingress qdisc on each and a u32 match-all filter whose mirred action redirects. On a
    /// failure half-way, what was added is taken off.
    fn redirect_pair(&self, stack: &Self::Stack, a: &Interface, b: &Interface) -> Result<()> {
        let _ = (stack, a, b);
        Err(missing(self.os(), "redirect_pair"))
    }
    /// Takes a redirect off `iface` ([`Links::redirect_pair`]: its ingress qdisc, and with it
    /// the filter). None there is not an error.
    fn drop_redirect(&self, stack: &Self::Stack, iface: &Interface) -> Result<()> {
        let _ = (stack, iface);
        Err(missing(self.os(), "drop_redirect"))
    }
    /// `n` vhost-net descriptors, one per queue of a tap a hypervisor runs (not tied to a
    /// stack). With `own`, each is made this process's (Linux VHOST_SET_OWNER) — only for a
    /// process that runs the datapath itself: a hypervisor handed the fds sets the owner.
    fn vhost_fds(&self, n: u16, own: bool) -> Result<Vec<std::os::fd::OwnedFd>> {
        let _ = (n, own);
        Err(missing(self.os(), "vhost_fds"))
    }
}

/// A port joining or leaving a master ([`Links::set_master`]).
#[derive(Clone, Copy, Debug)]
pub enum PortOp<'a> {
    /// Make the interface a port of this bridge/lagg.
    Join(&'a Interface),
    /// Take the interface out of this bridge/lagg.
    Leave(&'a Interface),
}

/// Addresses of interfaces.
pub trait Addresses: Links {
    /// The addresses of one interface.
    fn addresses(&self, stack: &Self::Stack, index: u32) -> Result<Vec<IfAddr>> {
        let _ = (stack, index);
        Err(missing(self.os(), "addresses"))
    }
    /// Every address of the stack with its interface's index (what a move of many interfaces
    /// saves, read once instead of once per interface). The default asks per interface.
    fn all_addresses(&self, stack: &Self::Stack) -> Result<Vec<(u32, IfAddr)>> {
        let mut out = Vec::new();
        for i in self.list(stack)? {
            for a in self.addresses(stack, i.index)? {
                out.push((i.index, a));
            }
        }
        Ok(out)
    }
    /// Adds an address.
    fn add_address(&self, stack: &Self::Stack, index: u32, addr: IfAddr) -> Result<()> {
        let _ = (stack, index, addr);
        Err(missing(self.os(), "add address"))
    }
    /// Removes an address (address and prefix length must match). `NotFound` when the
    /// interface does not carry it.
    fn del_address(&self, stack: &Self::Stack, index: u32, addr: IfAddr) -> Result<()> {
        let _ = (stack, index, addr);
        Err(missing(self.os(), "del address"))
    }
    /// Adds a route through the interface at `index` to the stack's main table. `Exists` when
    /// the table has that route already.
    fn add_route(&self, stack: &Self::Stack, index: u32, route: &IfRoute) -> Result<()> {
        let _ = (stack, index, route);
        Err(missing(self.os(), "add route"))
    }
}

/// The kernel's own move between stacks.
pub trait Moves: Links {
    /// The kernel's own move of `sel` from `from` into `to`, renamed to `new_name` when given.
    /// Returns the interface's index in `to`. Fails with `Unsupported` for kinds the kernel cannot
    /// move (Linux netns-local devices).
    fn move_native(
        &self,
        from: &Self::Stack,
        sel: IfSel,
        to: &Self::Stack,
        new_name: Option<IfName>,
    ) -> Result<u32> {
        let _ = (from, sel, to, new_name);
        Err(missing(self.os(), "move native"))
    }
    /// [`Moves::move_native`] of an interface the caller has just read (`iface`, in `from`):
    /// a backend may skip looking it up again. Returns the interface as the target now reports
    /// it (the move restores and verifies from it). The default moves it by its index and
    /// reads it there.
    fn move_native_known(
        &self,
        from: &Self::Stack,
        iface: &Interface,
        to: &Self::Stack,
        new_name: Option<IfName>,
    ) -> Result<Interface> {
        let index = self.move_native(from, IfSel::Index(iface.index), to, new_name)?;
        self.get(to, IfSel::Index(index))
    }
}

/// The identity mark that travels with a device.
pub trait Marks: Stacks {
    /// Puts `mark` (it starts with [`MARK_PREFIX`](crate::model::MARK_PREFIX)) on the interface
    /// at `index`, in a place that travels with the device when it moves and that listings
    /// report as [`Interface::mark`](crate::model::Interface::mark). Linux: an alternative name
    /// (RTM_NEWLINKPROP, IFLA_ALT_IFNAME). Returns `false`, changing nothing, where the OS
    /// offers no such place (FreeBSD: the description is the user's, groups are dropped on a
    /// move).
    fn add_mark(&self, stack: &Self::Stack, index: u32, mark: &str) -> Result<bool> {
        let _ = (stack, index, mark);
        Ok(false)
    }
    /// Removes `mark` from the interface at `index`; a mark that is not there is not an error.
    fn del_mark(&self, stack: &Self::Stack, index: u32, mark: &str) -> Result<()> {
        let _ = (stack, index, mark);
        Ok(())
    }
}

/// One thing a stack's kernel reported, as a backend's [`Feed`] reads it. The framework
/// ([`crate::watch`]) turns these into [`Event`](crate::watch::Event)s: it keeps the stack's
/// state, so a backend only says what the kernel said and never diffs or pairs anything.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Raw {
    /// An interface's whole current state (Linux: an RTM_NEWLINK).
    Link(Interface),
    /// Interface `index` appeared or changed, and the kernel did not say how (FreeBSD:
    /// RTM_IFINFO, IFAN_ARRIVAL): the framework reads it again with [`Links::get`]. `name` is
    /// the name the kernel gave, if any.
    Touched { index: u32, name: Option<IfName> },
    /// Interface `index` left the stack (destroyed, moved out, or — FreeBSD — renamed away).
    Gone {
        index: u32,
        name: Option<IfName>,
        /// Set when the kernel says it moved (Linux: IFLA_NEW_NETNSID / IFLA_NEW_IFINDEX of
        /// the RTM_DELLINK); FreeBSD's departure does not say, the framework pairs it.
        moved: Option<MovedTo>,
    },
    /// An address was added to (`added`) or removed from interface `index`.
    Addr {
        index: u32,
        addr: IfAddr,
        added: bool,
    },
    /// The kernel dropped messages (Linux: ENOBUFS or NLMSG_OVERRUN; FreeBSD: ENOBUFS with
    /// SO_RERROR): the stack must be read again.
    Lost,
}

/// Where the kernel said an interface went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MovedTo {
    /// The target stack's id as seen from the old stack (Linux: IFLA_NEW_NETNSID), resolved
    /// with [`Stacks::link_stack`].
    pub stack_id: Option<i32>,
    /// The interface's index in the target stack (Linux: IFLA_NEW_IFINDEX).
    pub index: Option<u32>,
}

/// How a feed is opened.
#[derive(Clone, Debug, Default)]
pub struct FeedOpts {
    /// The socket receive buffer to ask for, in bytes (`None`: the backend's default, large
    /// enough for bursts of thousands of changes). Small values make overflow easy to test.
    pub rcvbuf: Option<usize>,
}

/// A subscription to one stack's kernel notifications, open before the stack is listed so no
/// change falls between the two. Reading never blocks; [`Feed::fd`] tells when to read.
pub trait Feed: Send + Debug {
    /// A descriptor that polls readable when [`Feed::read`] may return something.
    fn fd(&self) -> std::os::fd::BorrowedFd<'_>;
    /// Appends what the kernel queued so far to `out` without blocking, at most about `max`
    /// entries (the rest stays queued in the kernel). Returns whether anything was read. An
    /// overflow is reported as [`Raw::Lost`], never as an error; an error means the feed is
    /// broken (its stack is gone).
    fn read(&mut self, out: &mut Vec<Raw>, max: usize) -> Result<bool>;
    /// Whether this kernel marks a move in the departure itself ([`Raw::Gone::moved`], Linux),
    /// so a departure without the mark is final. When it does not (FreeBSD), the framework
    /// waits a moment for a matching arrival in the other watched stacks.
    fn moves_announced(&self) -> bool {
        false
    }
}

/// A stack's event stream: the raw notifications the framework's
/// [`Watcher`](crate::watch::Watcher) merges with listings.
pub trait Watch: Stacks {
    /// Subscribes to `stack`'s interface and address notifications.
    fn subscribe(&self, stack: &Self::Stack, opts: &FeedOpts) -> Result<Box<dyn Feed>> {
        let _ = (stack, opts);
        Err(missing(self.os(), "subscribe"))
    }
    /// A feed that becomes readable when named stacks may have been created or removed (its
    /// `read` reports nothing useful; the framework lists the stacks again). `None` when the OS
    /// has no such signal (the framework then lists on a timer).
    fn stacks_feed(&self) -> Result<Option<Box<dyn Feed>>> {
        Ok(None)
    }
    /// One descriptor that polls readable when any of `fds` does (Linux: epoll; FreeBSD:
    /// kqueue), for an event loop that wants a single descriptor per watcher.
    fn join_fds(&self, fds: &[std::os::fd::BorrowedFd<'_>]) -> Result<std::os::fd::OwnedFd> {
        let _ = fds;
        Err(missing(self.os(), "join_fds"))
    }
}

/// The operations one OS provides: every part of the contract. See the module header for the
/// rules. Implemented for every type that implements the parts.
pub trait Backend: Stacks + Links + Addresses + Moves + Marks + Watch {}

impl<T: Stacks + Links + Addresses + Moves + Marks + Watch> Backend for T {}

/// [`Links::create_pair`] through [`Links::create`]: the peer placed in `peer_in`, the two
/// indexes from what `create` reports.
pub(crate) fn pair_by_create<B: Links + ?Sized>(
    b: &B,
    stack: &B::Stack,
    req: &CreateRequest,
    peer_in: Option<&B::Stack>,
) -> Result<(u32, u32)> {
    let made = b.create(
        stack,
        req,
        Placement {
            iface: None,
            peer: peer_in,
        },
    )?;
    match made.peer {
        Some(p) => Ok((made.iface.index, p.index)),
        None => Err(Error::Kernel(Box::new(
            crate::error::Context::new("create", made.iface.name.to_string())
                .stack(stack.name())
                .detail("the epair was made without a peer"),
        ))),
    }
}

/// Shorthand used by the neutral layers for "this OS cannot do that".
pub fn unsupported_kind(os: &str, kind: KindName) -> Error {
    Error::unsupported(
        "create",
        kind.as_str(),
        format!("{os} cannot create interfaces of kind {kind}"),
    )
}

/// The whole contract in scope at once (its parts are separate traits, whose methods a caller
/// on a concrete backend needs in scope).
pub mod prelude {
    pub use super::{
        Addresses, Backend, Feed, FeedOpts, Links, Marks, Moves, Placement, PortOp, Raw,
        StackHandle, Stacks, Watch,
    };
}
