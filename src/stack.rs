//! The public, synchronous API: a [`Stack`] and what can be done in it. Thin by design: it
//! validates input, then calls the backend contract; the ledger of loans is kept here so that it
//! is the same on every OS.

use std::sync::Arc;

use crate::backend::prelude::*;
use crate::error::{Context, Error, Result};
use crate::host::Host;
use crate::ledger::{Ledger, Loan, StackRef};
use crate::model::*;
use crate::state::StackLocks;
use crate::sys::{SysStack, System};

/// One network stack: a Linux network namespace or a FreeBSD VNET jail.
///
/// Cloning a `Stack` is cheap and shares the open handle; the stack stays usable (it cannot be
/// torn down under a handle) while any clone is alive.
#[derive(Clone, Debug)]
pub struct Stack {
    h: Arc<SysStack>,
    host: Host,
}

/// What [`Stack::remove`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoveReport {
    /// Interfaces returned to their home stack before removal: (name, home stack).
    pub returned: Vec<(IfName, String)>,
    /// Only with `force`: loans that could not be returned, with the reason; the kernel destroyed
    /// them with the stack.
    pub lost: Vec<(IfName, String)>,
    /// Interfaces made inside the stack on top of a loan (a vlan on a loaned epair end), destroyed
    /// first so that the loan could go home (they would have died with the stack).
    pub destroyed: Vec<IfName>,
    /// Loans the ledger recorded that were no longer in the stack (destroyed or taken away by
    /// other means): (name, home stack). Their records were dropped; nothing was destroyed.
    pub gone: Vec<(IfName, String)>,
}

fn name_arg(op: &'static str, s: &str, stack: &str) -> Result<IfName> {
    IfName::new(s).map_err(|e| match e {
        Error::InvalidName(mut c) => {
            c.op = op;
            c.stack = Some(stack.to_string());
            Error::InvalidName(c)
        }
        e => e,
    })
}

impl Stack {
    /// The backend handle (for [`crate::vmove`] with a custom backend).
    pub fn handle(&self) -> &Arc<SysStack> {
        &self.h
    }

    /// The backend and state directory this stack was opened with.
    pub fn host_of(&self) -> &Host {
        &self.host
    }

    pub(crate) fn from_parts(h: Arc<SysStack>, host: Host) -> Stack {
        Stack { h, host }
    }

    fn sys(&self) -> &System {
        self.host.backend()
    }

    /// The host's own stack.
    pub fn host() -> Result<Stack> {
        Self::open(StackSel::Host)
    }

    /// Opens an existing stack by name, path, pid or id ([`Host::system`]'s; see
    /// [`Host::open`]).
    pub fn open(sel: StackSel) -> Result<Stack> {
        Self::open_in(&Host::system(), sel)
    }

    pub(crate) fn open_in(host: &Host, sel: StackSel) -> Result<Stack> {
        if let StackSel::Name(n) = &sel {
            check_stack_name(n).map_err(|e| retag(e, "open stack"))?;
        }
        Ok(host.stack(host.backend().open_stack(&sel)?))
    }

    /// Opens an existing stack by its name.
    pub fn open_name(name: &str) -> Result<Stack> {
        Self::open(StackSel::Name(name.to_string()))
    }

    /// Creates a named, persistent stack (Linux: bind-mounted under /run/netns, visible to
    /// `ip netns list`; FreeBSD: a persistent VNET jail).
    pub fn create(name: &str) -> Result<Stack> {
        Self::create_in(&Host::system(), name)
    }

    pub(crate) fn create_in(host: &Host, name: &str) -> Result<Stack> {
        check_stack_name(name)?;
        Ok(host.stack(host.backend().create_stack(name)?))
    }

    /// Lists the named stacks.
    pub fn list() -> Result<Vec<StackInfo>> {
        Host::system().stacks()
    }

    /// The stack's name (`host` for the host's own).
    pub fn name(&self) -> &str {
        self.h.name()
    }

    /// Whether this is the host's own stack.
    pub fn is_host(&self) -> bool {
        self.h.is_host()
    }

    /// The interfaces this stack borrows from others, as the ledger records them: (name when
    /// lent, index, home stack name). A damaged ledger is [`Error::Corrupt`].
    pub fn loans(&self) -> Result<Vec<(IfName, u32, String)>> {
        Ok(self
            .host
            .ledger()
            .loans(&self.h.key()?)?
            .into_iter()
            .map(|l: Loan| (l.name, l.index, l.home.name))
            .collect())
    }

    /// The kinds this stack can create, probed from the kernel (`ifconfig -C`).
    pub fn cloners(&self) -> Result<Vec<KindName>> {
        self.sys().cloners(&self.h)
    }

    /// All interfaces, from one dump.
    pub fn interfaces(&self) -> Result<Vec<Interface>> {
        self.sys().list(&self.h)
    }

    /// One interface by name.
    pub fn interface(&self, name: &str) -> Result<Interface> {
        let n = name_arg("get", name, self.name())?;
        self.sys().get(&self.h, IfSel::Name(n))
    }

    /// One interface by index.
    pub fn interface_by_index(&self, index: u32) -> Result<Interface> {
        self.sys().get(&self.h, IfSel::Index(index))
    }

    /// Opens `queues` descriptors of interface `name` that hands them out (a macvtap's
    /// character device), each checked to serve this very device — its name and its index now —
    /// so no descriptor of a destroyed device whose name or index was reused is ever returned.
    pub fn open_fds(&self, name: &str, queues: u16) -> Result<Queues> {
        let iface = self.interface(name)?;
        self.sys()
            .open_fds(&self.h, &iface, queues)
            .map_err(|e| e.in_stack(self.name()))
    }

    /// Creates an interface in this stack.
    pub fn create_interface(&self, req: &CreateRequest) -> Result<Created> {
        self.create_placed(req, None, None)
    }

    /// Creates a tap for a hypervisor here (`req.kind` must be `KindSpec::Tap`) with `opts`
    /// (vnet header, persistence, owner and group) and hands back its queue fds
    /// ([`Created::fds`]). Not persistent, the tap goes when the last of them is closed.
    /// Options the OS cannot give are `Unsupported`, refused before anything is made.
    pub fn create_tap(&self, req: &CreateRequest, opts: &TapOptions) -> Result<Created> {
        req.validate(self.name())?;
        if !matches!(req.kind, KindSpec::Tap { .. }) {
            return Err(Error::invalid(
                "create tap",
                req.kind.kind().as_str(),
                "tap options are for a tap",
            ));
        }
        let place = Placement {
            iface: None,
            peer: None,
        };
        self.sys().create_tap(&self.h, req, place, opts)
    }

    /// Creates an interface from this stack, placing it (`iface_in`) or an epair's peer
    /// (`peer_in`) directly into other stacks. What lands elsewhere is recorded as a loan from
    /// this stack, so it comes back here when that stack is removed.
    pub fn create_placed(
        &self,
        req: &CreateRequest,
        iface_in: Option<&Stack>,
        peer_in: Option<&Stack>,
    ) -> Result<Created> {
        req.validate(self.name())?;
        let sys = self.sys();
        let place = Placement {
            iface: iface_in.map(|s| &*s.h),
            peer: peer_in.map(|s| &*s.h),
        };
        let here = self.h.key()?;
        let iface_away = match iface_in {
            Some(t) if t.h.key()? != here => Some(t),
            _ => None,
        };
        let peer_away = match peer_in {
            Some(t) if t.h.key()? != here => Some(t),
            _ => None,
        };
        let away: Vec<&Stack> = iface_away.into_iter().chain(peer_away).collect();
        if away.is_empty() {
            return sys.create(&self.h, req, place);
        }
        // What lands elsewhere is a loan: the borrowing stacks are locked (so that a removal
        // cannot pass between the creation and the record) and a failed record undoes the
        // creation, so that nothing exists that the ledger does not know.
        let ledger = self.host.ledger();
        let mut ids: Vec<String> = away.iter().map(|t| t.h.lock_id()).collect();
        ids.push(self.h.lock_id());
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let _locks = StackLocks::take(ledger.runtime(), &ids)?;
        for t in &away {
            if !sys.stack_alive(&t.h) {
                return Err(Error::NotFound(Box::new(
                    Context::new(
                        "create",
                        req.name.map(|n| n.to_string()).unwrap_or_default(),
                    )
                    .stack(t.name())
                    .detail("the stack to place it in is gone"),
                )));
            }
        }
        let made = sys.create(&self.h, req, place)?;
        let mut lent = Ok(());
        if let Some(t) = iface_away {
            lent = self.lend(ledger, t, &made.iface);
        }
        if let (Some(t), Some(p), Ok(())) = (peer_away, &made.peer, &lent) {
            lent = self.lend(ledger, t, p);
        }
        if let Err(e) = lent {
            let s = iface_in.map(|s| &s.h).unwrap_or(&self.h);
            let undone = sys.destroy(s, IfSel::Index(made.iface.index));
            return Err(e.with_detail(match undone {
                Ok(()) => "the interface was destroyed again".to_string(),
                Err(u) => format!("and it could not be destroyed again: {u}"),
            }));
        }
        Ok(made)
    }

    /// Records `iface`, made by this stack in `to`, as a loan from this stack, with its mark.
    fn lend(&self, ledger: &Ledger, to: &Stack, iface: &Interface) -> Result<()> {
        let mark = crate::intent::new_mark();
        let marked = self.sys().add_mark(&to.h, iface.index, &mark)?;
        ledger.record(
            &to.h.key()?,
            Loan {
                index: iface.index,
                name: iface.name,
                kind: iface.kind.kind(),
                mac: iface.mac,
                mark: marked.then_some(mark),
                home: StackRef::of(&*self.h)?,
            },
        )
    }

    /// Creates an epair whose b end is placed straight into `other` (Linux: one request; the
    /// fastest way to connect two stacks).
    pub fn create_epair_across(&self, name: Option<&str>, other: &Stack) -> Result<Created> {
        let mut req = CreateRequest::new(KindSpec::Epair { peer_name: None });
        if let Some(n) = name {
            req.name = Some(name_arg("create", n, self.name())?);
        }
        self.create_placed(&req, None, Some(other))
    }

    /// Destroys one interface (an epair end destroys the pair). [`Error::NotFound`] when the
    /// stack has no interface of that name; the loopback device is refused by the kernel
    /// ([`Error::Unsupported`]).
    pub fn destroy(&self, name: &str) -> Result<()> {
        let n = name_arg("destroy", name, self.name())?;
        self.sys().destroy(&self.h, IfSel::Name(n))?;
        Ok(())
    }

    /// Destroys many interfaces at once through the kernel's bulk path: on Linux the interfaces
    /// are put in one interface group and the group is deleted, so the kernel's ≈16 ms barrier is
    /// paid once instead of once per interface.
    ///
    /// Checked before anything changes, from one listing: every name must be an interface of
    /// this stack ([`Error::NotFound`] naming the missing ones otherwise), and every one must be
    /// a device the kernel can destroy — not the loopback device, not a physical device (one
    /// with no kind) — ([`Error::Unsupported`] otherwise, as `destroy` of `lo` is). Naming both
    /// ends of an epair is fine: the second is gone by the time the kernel gets to it.
    pub fn destroy_many<S: AsRef<str>>(&self, names: &[S]) -> Result<()> {
        let names = names
            .iter()
            .map(|n| name_arg("destroy", n.as_ref(), self.name()))
            .collect::<Result<Vec<_>>>()?;
        if names.is_empty() {
            return Ok(());
        }
        let sys = self.sys();
        let now = sys.list(&self.h)?;
        let mut missing: Vec<String> = Vec::new();
        let mut refused: Vec<String> = Vec::new();
        for n in &names {
            let why = match now.iter().find(|i| i.name == *n).map(|i| &i.kind) {
                None => {
                    if !missing.contains(&n.to_string()) {
                        missing.push(n.to_string());
                    }
                    continue;
                }
                Some(KindInfo::Loopback) => "the loopback device",
                Some(KindInfo::Other(None)) => "a physical device",
                Some(_) => continue,
            };
            let r = format!("{n} ({why})");
            if !refused.contains(&r) {
                refused.push(r);
            }
        }
        if !missing.is_empty() {
            let what = if missing.len() == 1 {
                "no such interface"
            } else {
                "no such interfaces"
            };
            return Err(Error::NotFound(Box::new(
                crate::error::Context::new("destroy", missing.join(", "))
                    .stack(self.name())
                    .detail(format!("{what}; nothing was destroyed")),
            )));
        }
        if !refused.is_empty() {
            return Err(Error::Unsupported(Box::new(
                crate::error::Context::new("destroy", refused.join(", "))
                    .stack(self.name())
                    .detail("the kernel cannot destroy the loopback device or a physical one; nothing was destroyed"),
            )));
        }
        let sels: Vec<IfSel> = names.into_iter().map(IfSel::Name).collect();
        sys.destroy_many(&self.h, &sels)
    }

    /// Applies a set of changes to one interface.
    pub fn set(&self, name: &str, change: &Change) -> Result<()> {
        let n = name_arg("set", name, self.name())?;
        change.validate(name).map_err(|e| e.in_stack(self.name()))?;
        self.sys().apply(&self.h, IfSel::Name(n), change)
    }

    pub fn set_mtu(&self, name: &str, mtu: u32) -> Result<()> {
        self.set(
            name,
            &Change {
                mtu: Some(mtu),
                ..Change::default()
            },
        )
    }

    pub fn set_mac(&self, name: &str, mac: Mac) -> Result<()> {
        self.set(
            name,
            &Change {
                mac: Some(mac),
                ..Change::default()
            },
        )
    }

    /// Sets the description (Linux ifalias). An empty string clears it.
    pub fn set_description(&self, name: &str, text: &str) -> Result<()> {
        self.set(
            name,
            &Change {
                description: Some(text.to_string()),
                ..Change::default()
            },
        )
    }

    pub fn set_up(&self, name: &str, up: bool) -> Result<()> {
        self.set(
            name,
            &Change {
                up: Some(up),
                ..Change::default()
            },
        )
    }

    /// Renames an interface. Linux allows this while UP since 6.2 for most devices; elsewhere
    /// the kernel answers EBUSY, reported as [`Error::Busy`].
    pub fn rename(&self, name: &str, new_name: &str) -> Result<()> {
        let to = name_arg("rename", new_name, self.name())?;
        self.set(
            name,
            &Change {
                name: Some(to),
                ..Change::default()
            },
        )
    }

    /// Renames an interface whether or not it is up: natively where the kernel allows it, and
    /// where it answers EBUSY (an UP device before Linux 6.2) by a transaction — down, rename,
    /// up — that puts the old name and UP back if a step fails. Taking a failover group's
    /// active port down for the rename makes the group fail over (and, with a primary, back).
    /// A taken or invalid name is refused before anything changes.
    pub fn rename_live(&self, name: &str, new_name: &str) -> Result<()> {
        let to = name_arg("rename", new_name, self.name())?;
        match self.rename(name, new_name) {
            Err(e @ Error::Busy(_)) => {
                let i = self.interface(name)?;
                if !i.up {
                    return Err(e);
                }
                if self.interface(new_name).is_ok() {
                    return Err(Error::Exists(Box::new(
                        Context::new("rename", name)
                            .stack(self.name())
                            .detail(format!("{to} exists")),
                    )));
                }
                self.set_up(name, false)?;
                if let Err(e) = self.rename(name, new_name) {
                    let _ = self.set_up(name, true);
                    return Err(e);
                }
                if let Err(e) = self.set_up(new_name, true) {
                    // Back as it was: the old name, up.
                    let _ = self.rename(new_name, name);
                    let _ = self.set_up(name, true);
                    return Err(e);
                }
                Ok(())
            }
            r => r,
        }
    }

    /// Makes `port` a port of the bridge/lagg `master` (ifconfig's `addm` / `laggport`). Both
    /// are in this stack; a master whose kind has no ports, an unknown name or a port that is
    /// the master itself is refused before anything changes (Linux: IFLA_MASTER; FreeBSD:
    /// BRDGADD / SIOCSLAGGPORT, type-checked, not yet run on a FreeBSD kernel). Already a port of `master`:
    /// nothing to do.
    pub fn add_port(&self, master: &str, port: &str) -> Result<()> {
        let (m, p) = self.master_and_port("add port", master, port)?;
        if p.master == Some(m.index) {
            return Ok(());
        }
        self.sys().set_master(&self.h, &p, PortOp::Join(&m))
    }

    /// Takes `port` out of the bridge/lagg `master` (ifconfig's `deletem` / `-laggport`). A
    /// port of another master, or of none, is refused before anything changes.
    pub fn del_port(&self, master: &str, port: &str) -> Result<()> {
        let (m, p) = self.master_and_port("remove port", master, port)?;
        if p.master != Some(m.index) {
            return Err(Error::InvalidArgument(Box::new(
                Context::new("remove port", port)
                    .stack(self.name())
                    .detail(format!("{port} is not a port of {master}")),
            )));
        }
        self.sys().set_master(&self.h, &p, PortOp::Leave(&m))
    }

    /// Makes `port` the active port of the failover bond/lagg `master` (see
    /// [`FailoverGroup`](crate::failover::FailoverGroup), which checks both first).
    /// Frames arriving on `a` leave through `b` and the other way round (the tc-filter model,
    /// [`Links::redirect_pair`]).
    pub(crate) fn redirect_pair(&self, a: &Interface, b: &Interface) -> Result<()> {
        self.sys().redirect_pair(&self.h, a, b)
    }

    /// Takes a redirect off `iface` ([`Links::drop_redirect`]).
    pub(crate) fn drop_redirect(&self, iface: &Interface) -> Result<()> {
        self.sys().drop_redirect(&self.h, iface)
    }

    pub(crate) fn set_active_port(&self, master: &Interface, port: &Interface) -> Result<()> {
        self.sys()
            .set_active_port(&self.h, master, port)
            .map_err(|e| e.in_stack(self.name()))
    }

    /// The ports of the bridge/lagg `master`, from one listing.
    pub fn ports(&self, master: &str) -> Result<Vec<Interface>> {
        let all = self.interfaces()?;
        let index = match all.iter().find(|i| i.name == master) {
            Some(m) => m.index,
            // Not in the listing: the lookup gives the error a missing name gets everywhere.
            None => self.interface(master)?.index,
        };
        Ok(all
            .into_iter()
            .filter(|i| i.master == Some(index))
            .collect())
    }

    /// The master and the port of a port operation, checked.
    fn master_and_port(
        &self,
        op: &'static str,
        master: &str,
        port: &str,
    ) -> Result<(Interface, Interface)> {
        let mn = name_arg(op, master, self.name())?;
        let pn = name_arg(op, port, self.name())?;
        let bad = |d: String| {
            Error::InvalidArgument(Box::new(
                Context::new(op, port).stack(self.name()).detail(d),
            ))
        };
        if mn == pn {
            return Err(bad(format!("{port} cannot be a port of itself")));
        }
        let m = self.sys().get(&self.h, IfSel::Name(mn))?;
        match m.kind.kind() {
            Some(k) if k.desc().ports => {}
            _ => {
                return Err(bad(format!(
                    "{master} is a {}, which has no ports (bridge and lagg have)",
                    m.kind.name()
                )))
            }
        }
        let p = self.sys().get(&self.h, IfSel::Name(pn))?;
        Ok((m, p))
    }

    /// The addresses of one interface.
    pub fn addresses(&self, name: &str) -> Result<Vec<IfAddr>> {
        let i = self.interface(name)?;
        self.sys().addresses(&self.h, i.index)
    }

    /// Every address of the stack with its interface's index, from one dump (Linux: one
    /// RTM_GETADDR; a listing of many interfaces needs no query per interface).
    pub fn all_addresses(&self) -> Result<Vec<(u32, IfAddr)>> {
        self.sys().all_addresses(&self.h)
    }

    /// Adds an address to an interface.
    pub fn add_address(&self, name: &str, addr: IfAddr) -> Result<()> {
        let i = self.interface(name)?;
        self.sys().add_address(&self.h, i.index, addr)
    }

    /// Removes an address from an interface (address and prefix length must match).
    /// [`Error::NotFound`] when the interface does not carry it.
    pub fn del_address(&self, name: &str, addr: IfAddr) -> Result<()> {
        let i = self.interface(name)?;
        self.sys().del_address(&self.h, i.index, addr)
    }

    /// Adds a route through an interface (the main table): what a container's network set-up
    /// puts beside its addresses (a default route via the gateway).
    pub fn add_route(&self, name: &str, route: IfRoute) -> Result<()> {
        let i = self.interface(name)?;
        self.sys()
            .add_route(&self.h, i.index, &route)
            .map_err(|e| e.in_stack(self.name()))
    }

    /// The stack an interface's peer or parent ([`Interface::link`]) lives in, seen from this
    /// stack (the one the interface was listed in): this stack for [`LinkStack::Same`]; for
    /// [`LinkStack::Other`], the host or the named stack the kernel's id refers to. `None` when
    /// the id is unknown or refers to none of them (an unnamed stack).
    pub fn link_stack(&self, link: &LinkRef) -> Result<Option<Stack>> {
        match link.stack {
            LinkStack::Same => Ok(Some(self.clone())),
            LinkStack::Other { id: Some(id) } => Ok(self
                .sys()
                .link_stack(&self.h, id)?
                .map(|h| self.host.stack(h))),
            LinkStack::Other { id: None } => Ok(None),
        }
    }

    /// The stack of a peer or parent (see [`Stack::link_stack`]) and its name there: looked up
    /// by index when the index is known, else the name the kernel reported. `None` when the
    /// stack or the name cannot be resolved.
    pub fn link_name(&self, link: &LinkRef) -> Result<Option<(Stack, IfName)>> {
        let Some(s) = self.link_stack(link)? else {
            return Ok(None);
        };
        let name = match link.index {
            Some(x) => match s.interface_by_index(x) {
                Ok(i) => Some(i.name),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e),
            },
            None => link.name,
        };
        Ok(name.map(|n| (s, n)))
    }
}

fn retag(e: Error, op: &'static str) -> Error {
    match e {
        Error::InvalidName(mut c) => {
            c.op = op;
            Error::InvalidName(c)
        }
        e => e,
    }
}

impl From<Arc<SysStack>> for Stack {
    /// A stack of [`Host::system`].
    fn from(h: Arc<SysStack>) -> Stack {
        Host::system().stack(h)
    }
}

/// A `Stack` and the backend are shared across threads.
const _: () = {
    const fn is<T: Send + Sync>() {}
    is::<Stack>();
    is::<System>();
};
