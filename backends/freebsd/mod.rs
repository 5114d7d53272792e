//! FreeBSD backend: cloner ioctls and VNET jails (FreeBSD 13.2 and 14.x).
//!
//! - the `ifclone-freebsd-abi` crate (`backends/freebsd-abi/`): ABI constants, request
//!   encoding, parsers of the kernel's answers and routing-socket messages. No system calls
//!   and none of ifclone's types; built and tested on Linux too.
//! - `crate::freebsd` (`src/freebsd/`): the parts that use ifclone's model but no OS API —
//!   naming rules (`names`), errno to `Error` (`errs`), ifclone's record of what it created
//!   (`origins`), and the conversion of the ABI crate's names and MACs. Compiled into ifclone's
//!   tests on every OS.
//! - `sys`: the only `unsafe` (ioctls, jail(2), fork + SCM_RIGHTS).
//! - `ops`: interface operations on one VNET through a socket that lives in it.
//! - `kinds/`: one file per kind. `jail`: VNET jails as stacks. `moves`: SIOCSIFVNET/RVNET.
//! - `watch`: a stack's routing socket as the contract's `Feed` (the translation of its
//!   messages is `crate::freebsd::watch`).
//!
//! A [`SysStack`] is a jail id plus a datagram socket inside the jail's VNET (the host's own
//! socket for the host). The socket is obtained by a forked child that `jail_attach`es and
//! passes it back, so no caller thread ever changes jail; every ioctl on it acts on the jail's
//! VNET.

mod jail;
mod kinds;
mod moves;
mod ops;
mod sys;
#[cfg(test)]
mod tests;
mod watch;

use std::os::fd::AsFd;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::backend::{
    Addresses, Feed, FeedOpts, Links, Marks, Moves, Placement, PortOp, StackHandle, Stacks, Watch,
};
use crate::error::{Error, Result};
use crate::freebsd::errs::kerr;
use crate::freebsd::names;
use crate::freebsd::origins::{self, Origin, Origins, Recall, VlanOrigin};
use crate::model::*;
use ops::On;

pub const RUNTIME_DIR: &str = "/var/run/ifclone";

/// This boot's state directory: `/var/run/ifclone` itself, since FreeBSD's `rc.d/cleanvar`
/// empties `/var/run` at every boot (see `crate::state`). No boot id is asked for: the kernel's
/// `kern.boottime` moves when the clock is stepped, which would put live state aside.
pub fn state_dir() -> std::path::PathBuf {
    crate::state::this_boot(std::path::Path::new(RUNTIME_DIR), "")
}

/// ifclone's record of the interfaces it created or moved (what the kernel forgets).
fn origins() -> Origins {
    Origins::in_dir(&state_dir())
}

/// How long `remove_stack` waits for a removed jail to be freed.
const REMOVE_WAIT: Duration = Duration::from_secs(5);

/// An open stack: the host (jid 0) or a VNET jail, with a socket in its VNET.
#[derive(Debug)]
pub struct SysStack {
    /// Shared with every `Interface` record read from this stack.
    name: Arc<str>,
    jid: i32,
    /// Taken (closed) by `remove_stack`: an open socket holds a reference on the jail and would
    /// keep its VNET from being torn down.
    sock: Mutex<Option<Arc<sys::Socks>>>,
}

impl SysStack {
    fn new(name: String, jid: i32, fd: sys::Socks) -> SysStack {
        SysStack {
            name: name.into(),
            jid,
            sock: Mutex::new(Some(Arc::new(fd))),
        }
    }

    fn host() -> Result<SysStack> {
        let fd = sys::host_sockets().map_err(|e| kerr("open stack", "host", "host", e))?;
        Ok(SysStack::new("host".into(), 0, fd))
    }

    fn jail(j: jail::JailInfo) -> Result<SysStack> {
        if !j.vnet {
            return Err(Error::invalid(
                "open stack",
                j.name,
                "the jail has no VNET of its own (created without vnet)",
            ));
        }
        let fd = sys::socket_in_jail(j.jid).map_err(|e| {
            kerr("open stack", &j.name, "host", e)
                .with_detail(format_args!("socket inside jail {}", j.jid))
        })?;
        Ok(SysStack::new(j.name, j.jid, fd))
    }

    pub(crate) fn jid(&self) -> i32 {
        self.jid
    }

    pub(crate) fn shared_name(&self) -> &Arc<str> {
        &self.name
    }

    pub(crate) fn is_host_stack(&self) -> bool {
        self.jid == 0
    }

    /// The socket in this stack's VNET.
    pub(crate) fn sock(&self) -> Result<Arc<sys::Socks>> {
        self.sock
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| {
                Error::not_found("use stack", self.name.as_ref())
                    .with_detail("the stack was removed")
            })
    }

    fn close(&self) {
        self.sock.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// Runs `f` on this stack's VNET.
    fn with<T>(&self, f: impl FnOnce(&On<'_>) -> Result<T>) -> Result<T> {
        let fd = self.sock()?;
        f(&On {
            fd: fd.inet.as_fd(),
            fd6: fd.inet6.as_ref().map(|f| f.as_fd()),
            stack: &self.name,
        })
    }
}

impl StackHandle for SysStack {
    fn name(&self) -> &str {
        &self.name
    }
    /// `jail:<jid>` (`jail:0` for the host). The kernel hands out jids in increasing order and
    /// wraps only after JAIL_MAX (999999), so a jid names one jail for as long as ifclone's
    /// state may name it; a name, by contrast, is free again as soon as the jail is removed.
    fn key(&self) -> Result<String> {
        Ok(self.lock_id())
    }
    /// The key itself: reading it asks nothing of the kernel.
    fn lock_id(&self) -> String {
        format!("jail:{}", self.jid)
    }
    fn selector(&self) -> StackSel {
        if self.is_host_stack() {
            StackSel::Host
        } else {
            StackSel::Name(self.name.to_string())
        }
    }
    fn is_host(&self) -> bool {
        self.is_host_stack()
    }
}

/// The FreeBSD backend.
#[derive(Default)]
pub struct System {
    /// The host stack, opened on first use (jail → jail moves pass through it).
    host: Mutex<Option<Arc<SysStack>>>,
}

impl System {
    pub fn new() -> System {
        System::default()
    }

    fn host(&self) -> Result<Arc<SysStack>> {
        let mut h = self.host.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = h.as_ref() {
            return Ok(s.clone());
        }
        let s = Arc::new(SysStack::host()?);
        *h = Some(s.clone());
        Ok(s)
    }

    /// An epair unit N whose ends `epairNa`/`epairNb` are free in every one of `stacks`: the
    /// kernel only looks in the stack it creates in, and the other end is moved to another.
    fn free_epair_unit(&self, stacks: &[&SysStack]) -> Result<u32> {
        let mut taken = std::collections::HashSet::new();
        for s in stacks {
            for l in s.with(|on| on.links())? {
                taken.insert(l.name);
            }
        }
        (0..32768u32)
            .find(|u| {
                [format!("epair{u}a"), format!("epair{u}b")]
                    .iter()
                    .all(|n| IfName::new(n).is_ok_and(|n| !taken.contains(&n)))
            })
            .ok_or_else(|| {
                Error::from_errno(
                    libc::ENOSPC,
                    crate::error::Context::new("create", "epair")
                        .detail("no epair unit is free in every stack of the request"),
                )
            })
    }

    /// Refuses, before anything is created, a requested name that is taken in the stack the
    /// interface is to end up in.
    fn check_free(&self, s: &SysStack, name: Option<IfName>) -> Result<()> {
        let Some(n) = name else { return Ok(()) };
        if s.with(|on| on.exists(n.as_str()))? {
            return Err(Error::from_errno(
                libc::EEXIST,
                crate::error::Context::new("create", n.as_str())
                    .stack(s.name())
                    .detail(format!("an interface named {n} already exists")),
            ));
        }
        Ok(())
    }

    /// Records what was created (kind, names, MACs, a vlan's parameters).
    fn remember_created(
        &self,
        home: &SysStack,
        req: &CreateRequest,
        iface: &ops::Link,
        peer: Option<&ops::Link>,
    ) -> Result<()> {
        let vlan = match &req.kind {
            KindSpec::Vlan { parent, id, proto } => Some(VlanOrigin {
                parent: *parent,
                id: *id,
                proto: *proto,
                home: home.jid,
            }),
            _ => None,
        };
        let kind = req.kind.kind();
        origins().edit(|l| {
            origins::remember(
                l,
                Origin {
                    kind,
                    name: iface.name,
                    mac: iface.mac,
                    peer_mac: peer.and_then(|p| p.mac),
                    vlan,
                },
            );
            if let Some(p) = peer {
                origins::remember(
                    l,
                    Origin {
                        kind,
                        name: p.name,
                        mac: p.mac,
                        peer_mac: iface.mac,
                        vlan: None,
                    },
                );
            }
        })
    }

    /// Records an interface ifclone is about to move (as observed in its source, where the
    /// kernel still knows it), unless it is recorded already; `to_name`: its name after.
    fn remember_moving(
        &self,
        now: &Interface,
        peer_mac: Option<Mac>,
        src: &SysStack,
        to_name: IfName,
    ) -> Result<()> {
        let Some(kind) = now.kind.kind() else {
            return Ok(());
        };
        let vlan = match &now.kind {
            KindInfo::Vlan { parent, id, proto } => parent
                .and_then(|p| p.name)
                .filter(|_| *id != 0)
                .map(|p| VlanOrigin {
                    parent: p,
                    id: *id,
                    proto: *proto,
                    home: src.jid,
                }),
            _ => None,
        };
        origins().edit(|l| {
            if origins::find(l, now.mac, &now.name, None).is_some() {
                origins::changed(l, now.mac, &now.name, to_name, None);
                return;
            }
            origins::remember(
                l,
                Origin {
                    kind,
                    name: to_name,
                    mac: now.mac,
                    peer_mac,
                    vlan,
                },
            );
        })
    }

    /// Destroys `name` wherever it ended up (used to undo a half-done create).
    fn undo_create(&self, stacks: &[&SysStack], name: IfName) {
        for s in stacks {
            if let Ok(l) = s.with(|on| on.link(IfSel::Name(name))) {
                if s.with(|on| on.destroy(name.as_str())).is_ok() {
                    let _ = origins().edit(|o| origins::forget(o, l.mac, &l.name));
                    return;
                }
            }
        }
    }
}

impl Stacks for System {
    type Stack = SysStack;

    fn os(&self) -> &'static str {
        "FreeBSD"
    }

    fn find_stack(&self, key: &str) -> Result<Option<Arc<SysStack>>> {
        // The key is `jail:<jid>` (`jail:0`: the host); a jid names one live jail.
        let Some(jid) = key
            .strip_prefix("jail:")
            .and_then(|j| j.parse::<i32>().ok())
        else {
            return Ok(None);
        };
        match self.open_stack(&StackSel::Id(jid)) {
            Ok(s) if s.key()? == key => Ok(Some(s)),
            Ok(_) => Ok(None),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn open_stack(&self, sel: &StackSel) -> Result<Arc<SysStack>> {
        let s = match sel {
            StackSel::Host => SysStack::host()?,
            StackSel::Name(n) => SysStack::jail(jail::by_name(n)?)?,
            StackSel::Id(0) => SysStack::host()?,
            StackSel::Id(j) => SysStack::jail(jail::by_jid(*j, false)?)?,
            // A process's stack is its jail's VNET (the host's when it is in no jail).
            StackSel::Pid(pid) => match sys::jail_of_pid(*pid) {
                Ok(0) => SysStack::host()?,
                Ok(jid) => SysStack::jail(jail::by_jid(jid, false)?)?,
                Err(libc::ESRCH) => {
                    return Err(Error::not_found("open stack", sel.to_string())
                        .with_detail("no process has this pid"))
                }
                Err(e) => return Err(kerr("open stack", &sel.to_string(), "host", e)),
            },
            StackSel::Path(_) => {
                return Err(Error::unsupported(
                    "open stack",
                    sel.to_string(),
                    "FreeBSD stacks are jails: select them by name, jid or a process's pid",
                ))
            }
        };
        Ok(Arc::new(s))
    }

    fn create_stack(&self, name: &str) -> Result<Arc<SysStack>> {
        let j = jail::create(name)?;
        match SysStack::jail(j.clone()) {
            Ok(s) => Ok(Arc::new(s)),
            Err(e) => {
                let _ = jail::remove(j.jid, name, REMOVE_WAIT);
                Err(e)
            }
        }
    }

    fn list_stacks(&self) -> Result<Vec<StackInfo>> {
        Ok(jail::list()?
            .into_iter()
            .filter(|j| j.vnet)
            .map(|j| StackInfo {
                name: j.name,
                id: j.jid as u64,
            })
            .collect())
    }

    fn remove_stack(&self, stack: &SysStack) -> Result<()> {
        if stack.is_host_stack() {
            return Err(Error::invalid(
                "remove stack",
                "host",
                "the host stack cannot be removed",
            ));
        }
        stack.close();
        jail::remove(stack.jid, &stack.name, REMOVE_WAIT)
    }

    fn stack_alive(&self, stack: &SysStack) -> bool {
        if stack.sock().is_err() {
            return false;
        }
        stack.is_host_stack()
            || matches!(jail::by_jid(stack.jid, false), Ok(j) if *j.name == *stack.name)
    }

    fn link_stack(&self, _stack: &SysStack, id: i32) -> Result<Option<Arc<SysStack>>> {
        // A jid is global (the host sees every jail), so `_stack` does not change its meaning.
        if id < 0 {
            return Ok(None);
        }
        if id == 0 {
            return self.host().map(Some);
        }
        match jail::by_jid(id, false) {
            Ok(j) if j.vnet => Ok(Some(Arc::new(SysStack::jail(j)?))),
            Ok(_) => Ok(None),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Links for System {
    fn cloners(&self, stack: &SysStack) -> Result<Vec<KindName>> {
        let list = stack
            .with(|on| sys::cloners(on.fd).map_err(|e| on.err("list cloners", "interfaces", e)))?;
        let mut kinds: Vec<KindName> = list
            .iter()
            .filter_map(|c| names::kind_of_cloner(c))
            .collect();
        kinds.sort();
        kinds.dedup();
        Ok(kinds)
    }

    fn list(&self, stack: &SysStack) -> Result<Vec<Interface>> {
        stack.with(|on| on.list(&Recall::new(origins())))
    }

    fn get(&self, stack: &SysStack, sel: IfSel) -> Result<Interface> {
        stack.with(|on| on.get(sel, &Recall::new(origins())))
    }

    fn create(
        &self,
        stack: &SysStack,
        req: &CreateRequest,
        place: Placement<'_, SysStack>,
    ) -> Result<Created> {
        let object = req.name.map(|n| n.to_string());
        let object = object.as_deref().unwrap_or(req.kind.kind().as_str());
        if let Some(mtu) = req.mtu {
            ops::check_mtu("create", object, stack.name(), mtu)?;
        }
        ops::check_group(object, stack.name(), req.group)?;
        // Names taken where the interfaces are to end up: refused before anything is made.
        let iface_stack = place.iface.unwrap_or(stack);
        let peer_stack = place.peer.unwrap_or(stack);
        let peer_name = match &req.kind {
            KindSpec::Epair { peer_name } => peer_name.or(req.name.map(|n| names::derive_peer(&n))),
            _ => None,
        };
        self.check_free(iface_stack, req.name)?;
        self.check_free(peer_stack, peer_name)?;
        // An unnamed epair end that is moved to another stack keeps the kernel's name: choose
        // a unit whose names are free in every stack involved.
        let unit = match &req.kind {
            KindSpec::Epair { .. }
                if (req.name.is_none() || peer_name.is_none())
                    && (iface_stack.jid != stack.jid || peer_stack.jid != stack.jid) =>
            {
                Some(self.free_epair_unit(&[stack, iface_stack, peer_stack])?)
            }
            _ => None,
        };
        let made = stack.with(|on| kinds::create(on, req, unit))?;
        let mut iface_at: &SysStack = stack;
        let mut iface = made.iface;
        let result = (|| {
            let host = self.host()?;
            if let Some(t) = place.iface {
                if t.jid != stack.jid {
                    iface = moves::relocate(&host, stack, made.iface, t, None)?.0;
                    iface_at = t;
                }
            }
            let mut peer_at = None;
            if let Some(p) = made.peer {
                let ps = place.peer.unwrap_or(stack);
                let pn = if ps.jid != stack.jid {
                    moves::relocate(&host, stack, p, ps, None)?.0
                } else {
                    p
                };
                peer_at = Some((ps, pn));
            }
            let change = req.generic_change();
            iface_at.with(|on| on.apply(iface, &change))?;
            // Recorded before it is read back, so that the read finds what the kernel forgets.
            let link = iface_at.with(|on| on.link(IfSel::Name(iface)))?;
            let peer_link = match peer_at {
                Some((ps, pn)) => Some(ps.with(|on| on.link(IfSel::Name(pn)))?),
                None => None,
            };
            self.remember_created(stack, req, &link, peer_link.as_ref())?;
            let recall = Recall::new(origins());
            let rec = iface_at.with(|on| on.get(IfSel::Name(iface), &recall))?;
            let peer = match peer_at {
                Some((ps, pn)) => Some(ps.with(|on| on.get(IfSel::Name(pn), &recall))?),
                None => None,
            };
            Ok(Created {
                iface: rec,
                peer,
                fds: Queues::default(),
            })
        })();
        match result {
            Ok(c) => {
                let kind = match req.kind.kind() {
                    KindName::Tun => FdKind::TunQueue,
                    _ => FdKind::TapQueue,
                };
                let fds = Queues::of(c.iface.name, c.iface.index, kind, made.fds);
                Ok(Created { fds, ..c })
            }
            Err(e) => {
                drop(made.fds);
                self.undo_create(&[iface_at, stack], iface);
                Err(e)
            }
        }
    }

    fn destroy(&self, stack: &SysStack, sel: IfSel) -> Result<()> {
        let l = stack.with(|on| {
            let l = on.link(sel)?;
            on.destroy(l.name.as_str())?;
            Ok(l)
        })?;
        origins().edit(|o| origins::forget(o, l.mac, &l.name))
    }

    fn destroy_many(&self, stack: &SysStack, sels: &[IfSel]) -> Result<()> {
        // FreeBSD has no bulk destroy: one SIOCIFDESTROY each. Gone is not an error (destroying
        // one epair end also removes the other).
        let gone = stack.with(|on| {
            let links = on.links()?;
            let mut gone = Vec::new();
            for sel in sels {
                let found = links.iter().find(|l| match sel {
                    IfSel::Name(n) => l.name == *n,
                    IfSel::Index(i) => l.index == *i,
                });
                if let Some(l) = found {
                    match on.destroy(l.name.as_str()) {
                        Ok(()) => gone.push(*l),
                        Err(e) if e.is_not_found() => gone.push(*l),
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok(gone)
        })?;
        origins().edit(|o| {
            for l in &gone {
                origins::forget(o, l.mac, &l.name);
            }
        })
    }

    /// bridge(4): BRDGADD / BRDGDEL; lagg(4) (ifclone's bond): SIOCSLAGGPORT /
    /// SIOCSLAGGDELPORT. Both name the port; the kernel answers EEXIST (already a port of this
    /// master), EBUSY (a port of another one), ENOENT (not a port, on leave), EINVAL /
    /// EPROTONOSUPPORT (a type or MTU it refuses).
    fn set_master(&self, stack: &SysStack, port: &Interface, op: PortOp<'_>) -> Result<()> {
        let (master, join) = match op {
            PortOp::Join(m) => (m, true),
            PortOp::Leave(m) => (m, false),
        };
        stack.with(|on| on.set_master(port, master, join))
    }

    /// tap(4) as the cloner makes it: persistent (until destroyed), root's, without a vnet
    /// header. Other options are refused before anything is made.
    fn create_tap(
        &self,
        stack: &SysStack,
        req: &CreateRequest,
        place: Placement<'_, SysStack>,
        opts: &TapOptions,
    ) -> Result<Created> {
        let name = req
            .name
            .map(|n| n.to_string())
            .unwrap_or_else(|| "tap".into());
        let refuse = |what: &str| {
            Err(Error::unsupported(
                "create tap",
                name.clone(),
                format!("{what}: ifclone makes FreeBSD taps with the cloner, persistent and root's, without a vnet header"),
            )
            .in_stack(stack.name()))
        };
        if opts.vnet_hdr {
            return refuse("a vnet header");
        }
        if !opts.persist {
            return refuse("a tap that goes with its last descriptor");
        }
        if opts.owner.is_some() || opts.group.is_some() {
            return refuse("an owner or group");
        }
        self.create(stack, req, place)
    }

    /// FreeBSD has no vhost-net: bhyve's virtio-net reads and writes the tap itself.
    fn vhost_fds(&self, _n: u16, _own: bool) -> Result<Vec<std::os::fd::OwnedFd>> {
        Err(Error::unsupported(
            "open vhost-net",
            "vhost-net",
            "FreeBSD has no vhost-net (bhyve's virtio-net serves the tap itself)",
        ))
    }

    fn set_active_port(
        &self,
        stack: &SysStack,
        master: &Interface,
        port: &Interface,
    ) -> Result<()> {
        stack.with(|on| kinds::lagg::set_first(on, master.name.as_str(), port.name.as_str()))
    }

    fn apply(&self, stack: &SysStack, sel: IfSel, change: &Change) -> Result<()> {
        let (before, after) = stack.with(|on| {
            let l = on.link(sel)?;
            let name = on.apply(l.name, change)?;
            Ok((l, name))
        })?;
        if after != before.name || change.mac.is_some() {
            origins().edit(|o| origins::changed(o, before.mac, &before.name, after, change.mac))?;
        }
        Ok(())
    }
}

impl Addresses for System {
    fn addresses(&self, stack: &SysStack, index: u32) -> Result<Vec<IfAddr>> {
        stack.with(|on| on.addresses(index))
    }

    fn all_addresses(&self, stack: &SysStack) -> Result<Vec<(u32, IfAddr)>> {
        stack.with(|on| on.all_addresses())
    }

    fn add_address(&self, stack: &SysStack, index: u32, addr: IfAddr) -> Result<()> {
        stack.with(|on| on.add_address(index, addr))
    }

    fn del_address(&self, stack: &SysStack, index: u32, addr: IfAddr) -> Result<()> {
        stack.with(|on| on.del_address(index, addr))
    }
}

impl Moves for System {
    fn move_native(
        &self,
        from: &SysStack,
        sel: IfSel,
        to: &SysStack,
        new_name: Option<IfName>,
    ) -> Result<u32> {
        // Recorded while the source still knows what it is (the kernel may forget on the way:
        // see `origins`).
        let now = self.get(from, sel)?;
        let peer_mac = match &now.kind {
            KindInfo::Epair {
                peer:
                    Some(LinkRef {
                        index: Some(pi),
                        stack: LinkStack::Same,
                        ..
                    }),
            } => from
                .with(|on| on.link(IfSel::Index(*pi)))
                .ok()
                .and_then(|l| l.mac),
            _ => None,
        };
        let host = self.host()?;
        let to_name = new_name.unwrap_or(now.name);
        // Before the move: a record that cannot be written stops the move, rather than leave
        // a moved interface the framework believes unmoved.
        self.remember_moving(&now, peer_mac, from, to_name)?;
        match moves::relocate(&host, from, now.name, to, new_name) {
            Ok((name, index)) => {
                // 13.x drops the cloner group on the way home: put it back, so the kernel's
                // own tools show what they showed before the move. Cosmetic for ifclone (its
                // record knows the kind): a failure here must not report the done move undone.
                if let Some(k) = now.kind.kind() {
                    let _ = to.with(|on| on.restore_cloner_group(name.as_str(), k));
                }
                Ok(index)
            }
            Err(e) => {
                if to_name != now.name {
                    let _ = origins().edit(|o| {
                        origins::changed(o, now.mac, &to_name, now.name, None);
                    });
                }
                Err(e)
            }
        }
    }
}

impl Marks for System {
    /// FreeBSD has no place for a mark that travels: the description is the user's, and a
    /// vnet move drops interface groups. Nothing is changed.
    fn add_mark(&self, _stack: &SysStack, _index: u32, _mark: &str) -> Result<bool> {
        Ok(false)
    }

    /// Nothing is ever marked (see `add_mark`), so there is nothing to remove.
    fn del_mark(&self, _stack: &SysStack, _index: u32, _mark: &str) -> Result<()> {
        Ok(())
    }
}

/// The routing socket (PF_ROUTE) of the stack's VNET: interface arrival and departure
/// (RTM_IFANNOUNCE), state changes (RTM_IFINFO), addresses (RTM_NEWADDR / RTM_DELADDR). devd
/// is no substitute: the kernel sends its IFNET notifications only for the host's VNET, and a
/// jail has no devd of its own.
impl Watch for System {
    /// A routing socket opened in the stack's VNET: directly for the host, by a forked child
    /// that `jail_attach`es for a jail (the caller never changes jail). The feed holds a
    /// reference on the jail: drop it before removing the stack, or the jail stays dying (its
    /// VNET not torn down) until it is dropped.
    fn subscribe(&self, stack: &SysStack, opts: &FeedOpts) -> Result<Box<dyn Feed>> {
        // A removed stack has no VNET to watch (and its jid may name nothing, or be reused).
        stack.sock()?;
        let jid = (!stack.is_host_stack()).then_some(stack.jid);
        let rcvbuf = opts.rcvbuf.unwrap_or(watch::DEFAULT_RCVBUF);
        let sock = sys::route_socket(jid, rcvbuf).map_err(|e| {
            let err = kerr("watch", "routing socket", stack.name(), e);
            match jid {
                Some(j) => err.with_detail(format_args!("socket inside jail {j}")),
                None => err,
            }
        })?;
        Ok(Box::new(watch::RouteFeed::new(
            sock,
            stack.shared_name().clone(),
        )))
    }

    /// FreeBSD has no notification of a jail being created or removed (no routing message, no
    /// devd event, no kqueue filter for jails), so there is no feed: the framework lists the
    /// stacks again on a timer.
    fn stacks_feed(&self) -> Result<Option<Box<dyn Feed>>> {
        Ok(None)
    }

    /// A kqueue with one EVFILT_READ per descriptor.
    fn join_fds(&self, fds: &[std::os::fd::BorrowedFd<'_>]) -> Result<std::os::fd::OwnedFd> {
        sys::kqueue_of(fds).map_err(|e| kerr("watch", "kqueue", "host", e))
    }
}

impl crate::backend::Sealed for System {}
