//! Linux backend: rtnetlink (netlink-packet-route over netlink-sys), network namespaces,
//! /dev/net/tun.
//!
//! - `netlink`: the per-stack socket (acks with extended-ack text, dumps retried on
//!   NLM_F_DUMP_INTR, pipelined batches).
//! - `sys`: every raw system call (setns on dedicated threads, netns creation, mounts, tun/tap
//!   ioctls, the macvtap node). The only `unsafe` of the backend.
//! - `stack`: netns as stacks; `link`: RTM_NEWLINK → `Interface`; `kinds/`: one file per kind;
//!   `addr`: addresses.
//!
//! Naming choices: an epair created without a name (or named exactly `epair`) gets
//! `epairNa`/`epairNb` with the lowest N free in the stacks involved; an explicitly named epair
//! without a peer name gets a peer whose trailing `a` is replaced by `b`, or `b` appended
//! (`InvalidName` if that exceeds 15 bytes). Other rtnetlink kinds without a name get `<kind>N`
//! (`vlan0`, `bridge0`, `vxlan0`, …) with the lowest free N; tap/tun get the kernel's
//! `tap%d`/`tun%d`. The epair peer lives in `Placement::peer`, else in the request's stack; the
//! request's MTU is given to both ends, the other properties to the main end only.

mod addr;
mod find;
mod kinds;
mod link;
mod netlink;
mod stack;
mod sys;
mod tc;
mod watch;

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use netlink_packet_core::{DefaultNla, NLM_F_APPEND, NLM_F_CREATE, NLM_F_ECHO, NLM_F_EXCL};
use netlink_packet_route::link::{InfoKind, LinkAttribute, LinkFlags, LinkInfo, LinkMessage, Prop};
use netlink_packet_route::RouteNetlinkMessage;

use crate::backend::{
    Addresses, Links, Marks, Moves, Placement, PortOp, StackHandle, Stacks, Watch,
};
use crate::error::{Context, Error, Result};
use crate::model::*;

use netlink::NlError;
pub use stack::SysStack;

pub const RUNTIME_DIR: &str = "/run/ifclone";

/// The state directory, `/run/ifclone`, checked once per process against this boot
/// (`/proc/sys/kernel/random/boot_id`): what an earlier boot left there is moved aside, never
/// read (see `crate::state`). `/run` is a tmpfs on most systems, but not in every container.
pub fn state_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
        crate::state::this_boot(std::path::Path::new(RUNTIME_DIR), id.trim())
    })
    .clone()
}
/// rtnetlink IFLA_IFALIAS (linux/if_link.h), sent as raw bytes (see `apply`).
const IFLA_IFALIAS: u16 = 20;

pub struct System {
    host: OnceLock<Arc<SysStack>>,
    /// Kinds a probe found (rtnl_link_ops are the kernel's, not a netns's, and a module in use
    /// is not unloaded): each is probed once. An absent kind is probed again next time, since
    /// its module may have been loaded since.
    present: std::sync::Mutex<u32>,
}

impl Default for System {
    fn default() -> Self {
        Self::new()
    }
}

impl System {
    pub fn new() -> System {
        System {
            host: OnceLock::new(),
            present: std::sync::Mutex::new(0),
        }
    }
}

/// ALTIFNAMSIZ - 1: the longest alternative name the kernel takes.
const ALT_NAME_MAX: usize = 127;

/// A mark is `ifclone.` + something: an alternative name the kernel will take (at most 127
/// bytes, no `/`, whitespace or control characters — what iproute2 checks too).
fn check_mark(op: &'static str, object: &str, mark: &str, s: &SysStack) -> Result<()> {
    let why = if !mark.starts_with(MARK_PREFIX) || mark.len() == MARK_PREFIX.len() {
        Some(format!(
            "a mark is {MARK_PREFIX} followed by at least one byte"
        ))
    } else if mark.len() > ALT_NAME_MAX {
        Some(format!(
            "a mark is at most {ALT_NAME_MAX} bytes (ALTIFNAMSIZ - 1)"
        ))
    } else if mark
        .chars()
        .any(|c| c == '/' || c.is_whitespace() || c.is_control())
    {
        Some("a mark contains no '/', whitespace or control characters".to_string())
    } else {
        None
    };
    match why {
        Some(w) => Err(Error::invalid(op, object, format!("{mark:?}: {w}")).in_stack(s.name())),
        None => Ok(()),
    }
}

/// `InvalidArgument` when `mtu` is outside what the device reports it takes (IFLA_MIN_MTU /
/// IFLA_MAX_MTU, the bounds the kernel's dev_validate_mtu applies).
fn check_mtu_limits(
    i: &Interface,
    mtu: u32,
    op: &'static str,
    object: &str,
    s: &SysStack,
) -> Result<()> {
    let min = i.min_mtu.unwrap_or(0);
    let too_small = mtu < min;
    let too_large = i.max_mtu.is_some_and(|max| mtu > max);
    if !too_small && !too_large {
        return Ok(());
    }
    let limits = match i.max_mtu {
        Some(max) => format!("{min}..={max}"),
        None => format!("{min}.."),
    };
    Err(Error::invalid(
        op,
        object,
        format!("MTU {mtu} is outside the interface's limits {limits}"),
    )
    .in_stack(s.name()))
}

/// The RTM_NEWLINKPROP / RTM_DELLINKPROP body naming one alternative name of `index`.
fn mark_msg(index: u32, mark: &str) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = index;
    m.attributes
        .push(LinkAttribute::PropList(vec![Prop::AltIfName(
            mark.to_string(),
        )]));
    m
}

/// `Unsupported` for a kind this kernel has no driver for: says which module is missing, then
/// the kernel's own text (already in `err`).
fn kind_missing(err: Error, kind: KindName) -> Error {
    let (rtnl, module) = match &kinds::ops(kind).rtnl {
        Some(r) => (r.name, r.module),
        None => (kind.as_str(), kind.as_str()),
    };
    let mut c = err.context().clone();
    let ours = format!("this kernel has no {rtnl} support loaded ({module})");
    c.detail = Some(match c.detail.take() {
        Some(k) => format!("{ours}; the kernel said: {k}"),
        None => ours,
    });
    Error::Unsupported(Box::new(c))
}

/// A kernel refusal with its context: op, object, stack, errno, extended-ack text.
fn kerr(e: NlError, op: &'static str, object: impl Into<String>, s: &SysStack) -> Error {
    let mut c = Context::new(op, object).stack(s.name());
    if let Some(m) = e.msg {
        c = c.detail(m);
    }
    Error::from_errno(e.errno, c)
}

/// A system call's refusal, classified by its errno. The errno's name and the OS's text are
/// what the message prints, so only an error without an errno (one ifclone made, a thread that
/// panicked) adds its own text, as EIO.
pub(crate) fn io_error(e: std::io::Error, c: Context) -> Error {
    match e.raw_os_error() {
        Some(errno) => Error::from_errno(errno, c),
        None => Error::from_errno(libc::EIO, c.detail(e.to_string())),
    }
}

fn io_kerr(e: std::io::Error, op: &'static str, object: impl Into<String>, s: &SysStack) -> Error {
    io_error(e, Context::new(op, object).stack(s.name()))
}

fn sel_msg(sel: IfSel) -> LinkMessage {
    let mut m = LinkMessage::default();
    match sel {
        IfSel::Name(n) => m.attributes.push(LinkAttribute::IfName(n.to_string())),
        IfSel::Index(i) => m.header.index = i,
    }
    m
}

/// A NEWLINK for `req` named `name`, with the request's generic properties the kernel takes at
/// creation (UP, MTU, MAC, group); the caller adds the kind's own attributes.
fn new_link_msg(req: &CreateRequest, name: IfName) -> LinkMessage {
    let mut m = LinkMessage::default();
    if req.up {
        m.header.flags = LinkFlags::Up;
        m.header.change_mask = LinkFlags::Up;
    }
    m.attributes.push(LinkAttribute::IfName(name.to_string()));
    if let Some(mtu) = req.mtu {
        m.attributes.push(LinkAttribute::Mtu(mtu));
    }
    if let Some(mac) = req.mac {
        m.attributes.push(LinkAttribute::Address(mac.0.to_vec()));
    }
    if let Some(g) = req.group {
        m.attributes.push(LinkAttribute::Group(g));
    }
    m
}

/// One SETLINK per property of `c`, in [`Change`]'s order, each with the operation it is (for
/// errors). `apply` sends them one by one; `apply_at_once` merges them into one.
fn change_msgs(sel: IfSel, c: &Change) -> Vec<(&'static str, LinkMessage)> {
    let with = |a: LinkAttribute| {
        let mut m = sel_msg(sel);
        m.attributes.push(a);
        m
    };
    let mut out = Vec::new();
    if let Some(n) = c.name {
        out.push(("rename", with(LinkAttribute::IfName(n.to_string()))));
    }
    if let Some(mtu) = c.mtu {
        out.push(("set mtu", with(LinkAttribute::Mtu(mtu))));
    }
    if let Some(mac) = c.mac {
        out.push(("set mac", with(LinkAttribute::Address(mac.0.to_vec()))));
    }
    if let Some(d) = &c.description {
        // Raw bytes: `LinkAttribute::IfAlias` appends a NUL, which the kernel counts against
        // IFALIASZ - 1 (255), so a 255-byte description would be refused with ERANGE. An
        // empty value clears the description.
        let alias = DefaultNla::new(IFLA_IFALIAS, d.as_bytes().to_vec());
        out.push(("set description", with(LinkAttribute::Other(alias))));
    }
    if let Some(g) = c.group {
        out.push(("set group", with(LinkAttribute::Group(g))));
    }
    if let Some(up) = c.up {
        let mut m = sel_msg(sel);
        m.header.change_mask = LinkFlags::Up;
        if up {
            m.header.flags = LinkFlags::Up;
        }
        out.push((if up { "set up" } else { "set down" }, m));
    }
    out
}

fn info_kind(k: KindName) -> Option<InfoKind> {
    kinds::ops(k).rtnl.as_ref().map(|r| r.info.clone())
}

/// The lowest group number ≥ `start` not in `used` (0, the default group, is never picked).
fn pick_group(used: &mut [u32], start: u32) -> u32 {
    used.sort_unstable();
    let mut g = start.max(1);
    for &u in used.iter() {
        if u == g {
            g = g.checked_add(1).unwrap_or(1);
        } else if u > g {
            break;
        }
    }
    g
}

/// The lowest N such that `<prefix>N` is not in `names`.
fn free_unit<'a>(names: impl Iterator<Item = &'a str>, prefix: &str, from: u32) -> u32 {
    let mut used: Vec<u32> = names
        .filter_map(|n| n.strip_prefix(prefix)?.parse().ok())
        .collect();
    used.sort_unstable();
    let mut n = from;
    for u in used {
        if u == n {
            n += 1;
        } else if u > n {
            break;
        }
    }
    n
}

static TMP_COUNTER: AtomicU32 = AtomicU32::new(0);

impl System {
    fn list_in(&self, s: &SysStack) -> Result<Vec<Interface>> {
        let mut out = self.dump_links(s, None)?;
        out.shrink_to_fit();
        out.sort_unstable_by_key(|i| i.index);
        kinds::fill_names(&mut out);
        Ok(out)
    }

    /// The interfaces a dump filtered by the kernel returns (`filter`: IFLA_LINKINFO kind or
    /// IFLA_MASTER; `rtnl_dump_ifinfo` skips every other device), so the answer grows with the
    /// matches, not with the stack.
    fn dump_filtered(&self, s: &SysStack, filter: LinkAttribute) -> Result<Vec<Interface>> {
        self.dump_links(s, Some(filter))
    }

    /// One link dump (restarted if interrupted), filtered by the kernel when `filter` is given.
    fn dump_links(&self, s: &SysStack, filter: Option<LinkAttribute>) -> Result<Vec<Interface>> {
        let mut out: Vec<Interface> = Vec::new();
        let make = || {
            let mut m = link::get_request(0, None);
            m.attributes.extend(filter.clone());
            RouteNetlinkMessage::GetLink(m)
        };
        s.nl()
            .dump_retry(&make, &mut |m| match m {
                None => out.clear(),
                Some(m) if m.kind == link::RTM_NEWLINK => {
                    out.extend(link::parse(m.payload, s.shared_name()))
                }
                Some(_) => {}
            })
            .map_err(|e| kerr(e, "list", "interfaces", s))?;
        Ok(out)
    }

    /// Names only (for picking free names/units), from one dump.
    fn names_in(&self, s: &SysStack) -> Result<Vec<IfName>> {
        Ok(self.list_in(s)?.into_iter().map(|i| i.name).collect())
    }

    /// One GETLINK; the peer/parent name is left unset (see `get_in`).
    fn get_raw(&self, s: &SysStack, sel: IfSel) -> Result<Interface> {
        let req = match sel {
            IfSel::Name(n) => link::get_request(0, Some(&n)),
            IfSel::Index(i) => link::get_request(i, None),
        };
        let got = s
            .nl()
            .get(RouteNetlinkMessage::GetLink(req), |m| {
                if m.kind == link::RTM_NEWLINK {
                    link::parse(m.payload, s.shared_name())
                } else {
                    None
                }
            })
            .map_err(|e| kerr(e, "get", sel.to_string(), s))?;
        got.ok_or_else(|| Error::not_found("get", sel.to_string()).in_stack(s.name()))
    }

    fn get_in(&self, s: &SysStack, sel: IfSel) -> Result<Interface> {
        let mut i = self.get_raw(s, sel)?;
        // Name the peer/parent when it is in the same stack (one more lookup by index).
        if let Some(l) = i.kind.lower().copied() {
            if l.stack == LinkStack::Same && l.name.is_none() {
                if let Some(idx) = l.index {
                    let req = link::get_request(idx, None);
                    if let Ok(Some(p)) = s.nl().get(RouteNetlinkMessage::GetLink(req), |m| {
                        link::parse(m.payload, s.shared_name()).map(|p| p.name)
                    }) {
                        i.kind.set_lower_name(p);
                    }
                }
            }
        }
        Ok(i)
    }

    /// Whether the interface at `index` has `name` among its alternative names (one GETLINK).
    fn carries_alt_name(&self, s: &SysStack, index: u32, name: &str) -> Result<bool> {
        let req = link::get_request(index, None);
        s.nl()
            .get(RouteNetlinkMessage::GetLink(req), |m| {
                m.kind == link::RTM_NEWLINK && link::has_alt_name(m.payload, name)
            })
            .map_err(|e| kerr(e, "get", format!("#{index}"), s))
    }

    fn setlink(&self, s: &SysStack, m: LinkMessage, op: &'static str, object: &str) -> Result<()> {
        s.nl()
            .ack(RouteNetlinkMessage::SetLink(m), 0)
            .map_err(|e| kerr(e, op, object, s))
    }

    fn destroy_in(&self, s: &SysStack, sel: IfSel) -> Result<()> {
        s.nl()
            .ack(RouteNetlinkMessage::DelLink(sel_msg(sel)), 0)
            .map_err(|e| kerr(e, "destroy", sel.to_string(), s))
    }

    /// Resolves a parent by name in the request's stack.
    fn parent_index(&self, s: &SysStack, parent: &IfName, object: &str) -> Result<u32> {
        match self.get_in(s, IfSel::Name(*parent)) {
            Ok(i) => Ok(i.index),
            Err(e) if e.is_not_found() => Err(Error::NotFound(Box::new(
                Context::new("create", object)
                    .stack(s.name())
                    .detail(format!("parent {parent} not found in stack {}", s.name())),
            ))),
            Err(e) => Err(e),
        }
    }

    /// Applies the generic properties after creation (tap/tun) or the description (all kinds).
    fn post_create(&self, home: &SysStack, name: IfName, change: &Change) -> Result<()> {
        if change.is_empty() {
            return Ok(());
        }
        self.apply(home, IfSel::Name(name), change)
    }

    /// Undo of a create: destroys what was made and returns `err`.
    fn undo(&self, home: &SysStack, name: IfName, err: Error) -> Error {
        match self.destroy_in(home, IfSel::Name(name)) {
            Ok(()) => err.with_detail(format!("while creating {name}; it was destroyed again")),
            Err(d) => err.with_detail(format!("while creating {name}; destroying it failed: {d}")),
        }
    }

    fn create_rtnl(
        &self,
        stack: &SysStack,
        req: &CreateRequest,
        place: Placement<'_, SysStack>,
    ) -> Result<Created> {
        let kind = req.kind.kind();
        let home = place.iface.unwrap_or(stack);
        let peer_home = place.peer.unwrap_or(stack);
        let object = req
            .name
            .map(|n| n.to_string())
            .unwrap_or_else(|| kind.to_string());
        // Parent / underlay in the request's stack, before anything is created.
        let parent = match req.kind.parent() {
            Some(p) => Some(self.parent_index(stack, &p, &object)?),
            None => None,
        };
        // Names: explicit, or the lowest free unit (retried on EEXIST).
        let auto = match (&req.kind, req.name) {
            (KindSpec::Epair { .. }, None) => true,
            (KindSpec::Epair { .. }, Some(n)) => n == "epair",
            (_, n) => n.is_none(),
        };
        let mut taken: Vec<IfName> = Vec::new();
        if auto {
            taken = self.names_in(home)?;
            if matches!(req.kind, KindSpec::Epair { .. }) && !peer_home.same(home) {
                taken.extend(self.names_in(peer_home)?);
            }
        }
        let mut unit = 0u32;
        for _attempt in 0..32 {
            let (name, peer) = match &req.kind {
                KindSpec::Epair { peer_name } if auto => {
                    unit = kinds::veth::free_epair_unit(taken.iter().map(|n| n.as_str()), unit);
                    let a = IfName::new(&format!("epair{unit}a"))?;
                    let b = match peer_name {
                        Some(p) => *p,
                        None => IfName::new(&format!("epair{unit}b"))?,
                    };
                    (a, Some(b))
                }
                KindSpec::Epair { peer_name } => {
                    let n = req.name.expect("named");
                    let p = match peer_name {
                        Some(p) => *p,
                        None => kinds::veth::derive_peer_name(&n).ok_or_else(|| {
                            Error::InvalidName(Box::new(
                                Context::new("create", n.to_string()).stack(stack.name()).detail(
                                    "the derived peer name would be longer than 15 bytes; give a peer name",
                                ),
                            ))
                        })?,
                    };
                    (n, Some(p))
                }
                _ if auto => {
                    let prefix = kinds::rtnl_kind(kind).unwrap_or("if");
                    unit = free_unit(taken.iter().map(|n| n.as_str()), prefix, unit);
                    (IfName::new(&format!("{prefix}{unit}"))?, None)
                }
                _ => (req.name.expect("named"), None),
            };
            match self.create_once(stack, home, peer_home, req, place, name, peer, parent) {
                Err(e) if auto && e.is_exists() => {
                    unit += 1;
                    continue;
                }
                r => return r,
            }
        }
        Err(Error::Exists(Box::new(
            Context::new("create", object)
                .stack(home.name())
                .detail("no free name found after 32 attempts"),
        )))
    }

    #[allow(clippy::too_many_arguments)]
    fn create_once(
        &self,
        stack: &SysStack,
        home: &SysStack,
        peer_home: &SysStack,
        req: &CreateRequest,
        place: Placement<'_, SysStack>,
        name: IfName,
        peer: Option<IfName>,
        parent: Option<u32>,
    ) -> Result<Created> {
        let kind = req.kind.kind();
        let mut m = new_link_msg(req, name);
        if let Some(p) = parent {
            m.attributes.push(LinkAttribute::Link(p));
        }
        if !home.same(stack) {
            m.attributes
                .push(LinkAttribute::NetNsFd(home.fd().as_raw_fd()));
        }
        // The peer goes to `peer_home`; say so explicitly whenever that is not simply the
        // requesting socket's netns.
        let enc = kinds::Encode {
            peer,
            peer_ns: (!peer_home.same(stack) || !home.same(stack))
                .then(|| peer_home.fd().as_raw_fd()),
            mtu: req.mtu,
            parent,
        };
        let info = (kinds::ops(kind).encode)(&req.kind, &enc);
        m.attributes.push(LinkAttribute::LinkInfo(info));
        // Created in the requesting socket's own netns: the kernel's echo (NLM_F_ECHO) is the
        // new interface's record, so no GETLINK is needed for it. (An echo for a device made in
        // another netns goes to a socket there, so it is not asked for.)
        let mut echoed: Option<Interface> = None;
        let echo = if home.same(stack) && req.description.is_none() {
            NLM_F_ECHO
        } else {
            0
        };
        // The socket's guard is released before the error is worked out (which reads links).
        let acked = stack.nl().ack_with(
            RouteNetlinkMessage::NewLink(m),
            NLM_F_CREATE | NLM_F_EXCL | echo,
            |msg| {
                if msg.kind == link::RTM_NEWLINK && echoed.is_none() {
                    echoed =
                        link::parse(msg.payload, stack.shared_name()).filter(|i| i.name == name);
                }
            },
        );
        acked.map_err(|e| {
            // "Unknown device type": no rtnl_link_ops for the kind, i.e. its module is not
            // loaded (and could not be auto-loaded here).
            let missing = e.errno == libc::EOPNOTSUPP
                && e.msg
                    .as_deref()
                    .is_none_or(|m| m.contains("Unknown device type"));
            // EEXIST for a veth: the kernel does not say which end's name is taken.
            let peer_taken = match peer {
                Some(p) if e.errno == libc::EEXIST => {
                    self.get_raw(home, IfSel::Name(name)).is_err()
                        && self.get_raw(peer_home, IfSel::Name(p)).is_ok()
                }
                _ => false,
            };
            let err = match peer {
                Some(p) if peer_taken => kerr(e, "create", p.to_string(), peer_home)
                    .with_detail(format_args!("peer of {name}: the name {p} is taken")),
                _ => kerr(e, "create", name.to_string(), home),
            };
            if missing {
                kind_missing(err, kind)
            } else {
                err
            }
        })?;
        // From here on the interface exists: any failure destroys it again.
        let mut finish = || -> Result<Created> {
            if let Some(d) = &req.description {
                let c = Change {
                    description: Some(d.clone()),
                    ..Change::default()
                };
                self.post_create(home, name, &c)?;
            }
            // One lookup per end: the names of the peer / parent are known from the request, so
            // the extra lookup `get_in` does to name them is not needed here.
            let mut iface = match echoed.take() {
                Some(i) => i,
                None => self.get_raw(home, IfSel::Name(name))?,
            };
            let peer = match peer {
                Some(p) => {
                    let mut pi = self.get_raw(peer_home, IfSel::Name(p))?;
                    if peer_home.same(home) {
                        iface.kind.set_lower_name(p);
                        pi.kind.set_lower_name(name);
                    }
                    Some(pi)
                }
                None => None,
            };
            if let Some(parent_name) = req.kind.parent() {
                if home.same(stack) {
                    iface.kind.set_lower_name(parent_name);
                }
            }
            let fds = if kind == KindName::Macvtap {
                let fd = self.open_macvtap(home, &iface)?;
                Queues::of(iface.name, iface.index, FdKind::Macvtap, [fd])
            } else {
                Queues::default()
            };
            Ok(Created { iface, peer, fds })
        };
        let _ = place;
        finish().map_err(|e| self.undo(home, name, e))
    }

    fn open_macvtap(&self, home: &SysStack, iface: &Interface) -> Result<OwnedFd> {
        let mut fds = self.open_macvtap_queues(home, iface, 1)?;
        Ok(fds.remove(0))
    }

    fn open_macvtap_queues(
        &self,
        home: &SysStack,
        iface: &Interface,
        queues: u16,
    ) -> Result<Vec<OwnedFd>> {
        let op = "open macvtap device of";
        let dir = PathBuf::from(RUNTIME_DIR).join(format!(
            "macvtap-{}-{}",
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| io_kerr(e, op, iface.name.to_string(), home))?;
        let (d, name, index) = (dir.clone(), iface.name.to_string(), iface.index);
        let r = sys::in_netns(home.fd(), move || {
            sys::macvtap_open(&d, &name, index, queues)
        });
        let _ = std::fs::remove_dir(&dir);
        r.map_err(|e| io_kerr(e, op, iface.name.to_string(), home))
    }

    fn create_tun(
        &self,
        stack: &SysStack,
        req: &CreateRequest,
        place: Placement<'_, SysStack>,
        tap: bool,
        queues: u16,
        opts: &TapOptions,
    ) -> Result<Created> {
        let home = place.iface.unwrap_or(stack);
        let opts = sys::TunOpts {
            vnet_hdr: opts.vnet_hdr,
            persist: opts.persist,
            owner: opts.owner,
            group: opts.group,
        };
        let template = match req.name {
            Some(n) => n.to_string(),
            None => (if tap { "tap%d" } else { "tun%d" }).to_string(),
        };
        let flag = if tap { sys::IFF_TAP } else { sys::IFF_TUN };
        let t = template.clone();
        let (real, fds) = sys::in_netns(home.fd(), move || sys::tun_create(&t, flag, queues, opts))
            .map_err(|e| io_kerr(e, "create", template.clone(), home))?;
        let name = IfName::from_kernel(real.as_bytes()).ok_or_else(|| {
            Error::invalid(
                "create",
                real.clone(),
                "the kernel returned an invalid name",
            )
        })?;
        let change = req.generic_change();
        let finish = || -> Result<Interface> {
            self.post_create(home, name, &change)?;
            self.get_in(home, IfSel::Name(name))
        };
        match finish() {
            Ok(iface) => Ok(Created {
                fds: Queues::of(
                    iface.name,
                    iface.index,
                    if tap {
                        FdKind::TapQueue
                    } else {
                        FdKind::TunQueue
                    },
                    fds,
                ),
                iface,
                peer: None,
            }),
            Err(e) => {
                drop(fds);
                Err(self.undo(home, name, e))
            }
        }
    }

    /// Whether the kernel knows the rtnetlink kind: a create with an invalid name so nothing is
    /// ever made; "Unknown device type" (EOPNOTSUPP) means absent.
    fn probe(&self, s: &SysStack, k: KindName) -> Result<bool> {
        let Some(ik) = info_kind(k) else {
            return Ok(false);
        };
        const PROBE: &str = "if/probe";
        let mut m = LinkMessage::default();
        m.attributes.push(LinkAttribute::IfName(PROBE.into()));
        let mut info = vec![LinkInfo::Kind(ik)];
        if k == KindName::Epair {
            info = kinds::veth::info(
                IfName::from_kernel(b"if-probe").expect("name"),
                None,
                None,
                None,
            );
            // the peer name is invalid too
            if let Some(LinkInfo::Data(netlink_packet_route::link::InfoData::Veth(
                netlink_packet_route::link::InfoVeth::Peer(p),
            ))) = info.get_mut(1)
            {
                p.attributes = vec![LinkAttribute::IfName(PROBE.into())];
            }
        }
        m.attributes.push(LinkAttribute::LinkInfo(info));
        let answer = s
            .nl()
            .ack(RouteNetlinkMessage::NewLink(m), NLM_F_CREATE | NLM_F_EXCL);
        match answer {
            Err(e) if e.errno == libc::EOPNOTSUPP => Ok(!e
                .msg
                .as_deref()
                .is_none_or(|t| t.contains("Unknown device type"))),
            Ok(()) => {
                // Cannot happen with an invalid name; never leave anything behind.
                let _ = self.destroy_in(s, IfSel::Name(IfName::from_kernel(b"if").expect("n")));
                Ok(true)
            }
            Err(_) => Ok(true),
        }
    }
}

impl Stacks for System {
    type Stack = SysStack;

    fn os(&self) -> &'static str {
        "Linux"
    }

    fn open_stack(&self, sel: &StackSel) -> Result<Arc<SysStack>> {
        match sel {
            StackSel::Host => stack::host(&self.host),
            _ => Ok(Arc::new(stack::open(sel)?)),
        }
    }

    fn find_stack(&self, key: &str) -> Result<Option<Arc<SysStack>>> {
        find::by_key(self, key)
    }

    /// The kernel hands a freed netns inode to a later netns.
    fn lock_ids_reused(&self) -> bool {
        true
    }

    /// `netns:<inode>:<cookie>` → `netns:<inode>` (see `SysStack::lock_id`).
    fn lock_id_of(&self, key: &str) -> String {
        match key.rsplit_once(':') {
            Some((id, _cookie)) if id.starts_with("netns:") => id.to_string(),
            _ => key.to_string(),
        }
    }

    fn create_stack(&self, name: &str) -> Result<Arc<SysStack>> {
        Ok(Arc::new(stack::create(name)?))
    }

    fn list_stacks(&self) -> Result<Vec<StackInfo>> {
        stack::list()
    }

    fn remove_stack(&self, s: &SysStack) -> Result<()> {
        stack::remove(s)
    }

    fn stack_alive(&self, s: &SysStack) -> bool {
        stack::alive(s)
    }

    fn link_stack(&self, s: &SysStack, id: i32) -> Result<Option<Arc<SysStack>>> {
        if id < 0 {
            return Ok(None);
        }
        // Candidates: the host, then every named stack. A stack that vanishes or cannot be
        // opened while we look is simply not a candidate.
        let host = stack::host(&self.host)?;
        if stack::nsid_of(s, &host)? == id {
            return Ok(Some(host));
        }
        for info in stack::list()? {
            let Ok(c) = stack::open(&StackSel::Name(info.name)) else {
                continue;
            };
            if stack::nsid_of(s, &c)? == id {
                return Ok(Some(Arc::new(c)));
            }
        }
        Ok(None)
    }
}

impl Links for System {
    /// Bonding watches no link unless told to (miimon 0): a failover group gets 100 ms.
    const FAILOVER_MIIMON: Option<u32> = Some(100);

    fn cloners(&self, s: &SysStack) -> Result<Vec<KindName>> {
        let mut out = Vec::new();
        for k in KindName::ALL {
            if self.offers(s, k)? {
                out.push(k);
            }
        }
        Ok(out)
    }

    /// One kind: a probe only the first time it is found (see `System::present`).
    fn offers(&self, s: &SysStack, k: KindName) -> Result<bool> {
        let bit = 1u32 << (k as u32);
        if *self.present.lock().unwrap_or_else(|p| p.into_inner()) & bit != 0 {
            return Ok(true);
        }
        let present = match kinds::ops(k).make {
            kinds::Make::TunDevice { .. } => sys::tun_available(),
            kinds::Make::Never(_) => false,
            kinds::Make::Rtnl => self.probe(s, k)?,
        };
        if present {
            *self.present.lock().unwrap_or_else(|p| p.into_inner()) |= bit;
        }
        Ok(present)
    }

    fn list(&self, s: &SysStack) -> Result<Vec<Interface>> {
        self.list_in(s)
    }

    fn get(&self, s: &SysStack, sel: IfSel) -> Result<Interface> {
        self.get_in(s, sel)
    }

    /// One dump the kernel filters to vlans (IFLA_LINKINFO { IFLA_INFO_KIND "vlan" }). The
    /// kernel filters by the kind's link ops: without the 8021q module it has none and would
    /// send every link, but then no vlan can exist either, so the (cached) probe comes first.
    fn vlans_on(&self, s: &SysStack, index: u32) -> Result<Vec<Interface>> {
        if !self.offers(s, KindName::Vlan)? {
            return Ok(Vec::new());
        }
        let kind = LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::Vlan)]);
        Ok(self
            .dump_filtered(s, kind)?
            .into_iter()
            .filter(|v| v.is_vlan_on(index))
            .collect())
    }

    /// One dump the kernel filters to the master's ports (IFLA_MASTER).
    fn ports_of(&self, s: &SysStack, master: u32) -> Result<usize> {
        Ok(self
            .dump_filtered(s, LinkAttribute::Controller(master))?
            .iter()
            .filter(|i| i.master == Some(master))
            .count())
    }

    fn create(
        &self,
        stack: &SysStack,
        req: &CreateRequest,
        place: Placement<'_, SysStack>,
    ) -> Result<Created> {
        let kind = req.kind.kind();
        match kinds::ops(kind).make {
            kinds::Make::Never(why) => Err(Error::Unsupported(Box::new(
                Context::new("create", kind.as_str())
                    .stack(stack.name())
                    .detail(why),
            ))),
            kinds::Make::TunDevice { tap } => {
                let queues = match &req.kind {
                    KindSpec::Tap { queues } | KindSpec::Tun { queues } => *queues,
                    _ => 1,
                };
                self.create_tun(stack, req, place, tap, queues, &TapOptions::default())
            }
            kinds::Make::Rtnl => self.create_rtnl(stack, req, place),
        }
    }

    /// TUNSETIFF with IFF_VNET_HDR as asked, TUNSETOWNER / TUNSETGROUP, and TUNSETPERSIST only
    /// when the device is to outlive its fds.
    fn create_tap(
        &self,
        stack: &SysStack,
        req: &CreateRequest,
        place: Placement<'_, SysStack>,
        opts: &TapOptions,
    ) -> Result<Created> {
        let KindSpec::Tap { queues } = req.kind else {
            return Err(Error::invalid(
                "create tap",
                req.kind.kind().as_str(),
                "tap options are for a tap",
            ));
        };
        self.create_tun(stack, req, place, true, queues, opts)
    }

    fn set_queue_attached(&self, fd: std::os::fd::BorrowedFd<'_>, attached: bool) -> Result<()> {
        let op = if attached {
            "attach queue"
        } else {
            "detach queue"
        };
        sys::tun_set_queue(fd, attached).map_err(|e| {
            io_error(
                e,
                Context::new(op, format!("fd {}", std::os::fd::AsRawFd::as_raw_fd(&fd))),
            )
        })
    }

    fn destroy(&self, s: &SysStack, sel: IfSel) -> Result<()> {
        self.destroy_in(s, sel)
    }

    /// Puts every interface into one fresh interface group and deletes the group (one
    /// RTM_DELLINK, one RCU barrier). Interfaces not there are skipped. If any step fails,
    /// nothing is destroyed and every interface whose group was changed gets its old group
    /// back; the error says what failed (and what could not be put back, if anything).
    fn destroy_many(&self, s: &SysStack, sels: &[IfSel]) -> Result<()> {
        if sels.is_empty() {
            return Ok(());
        }
        let now = self.list_in(s)?;
        // Each selected interface that is there, once, with its group before we touch it.
        let mut targets: Vec<(u32, IfName, u32)> = Vec::with_capacity(sels.len());
        for sel in sels {
            let found = now.iter().find(|i| match sel {
                IfSel::Name(n) => i.name == *n,
                IfSel::Index(x) => i.index == *x,
            });
            if let Some(i) = found {
                if !targets.iter().any(|t| t.0 == i.index) {
                    targets.push((i.index, i.name, i.group));
                }
            }
        }
        if targets.is_empty() {
            return Ok(());
        }
        let mut used: Vec<u32> = now.iter().map(|i| i.group).collect();
        // Start from a per-process number so that two processes rarely pick the same group.
        let g = pick_group(&mut used, 0x4000_0000 | (std::process::id() & 0xffff) << 8);
        let set_group = |index: u32, group: u32| {
            let mut m = sel_msg(IfSel::Index(index));
            m.attributes.push(LinkAttribute::Group(group));
            (RouteNetlinkMessage::SetLink(m), 0)
        };
        let results = s
            .nl()
            .batch(targets.iter().map(|t| set_group(t.0, g)))
            .map_err(|e| kerr(e, "destroy", "interfaces", s))?;
        let mut changed: Vec<(u32, IfName, u32)> = Vec::new();
        let mut failed = None;
        for (t, r) in targets.iter().zip(results) {
            match r {
                Ok(()) => changed.push(*t),
                // Gone since the dump (an epair's other end, destroyed concurrently): skipped.
                Err(e) if e.errno == libc::ENODEV => {}
                Err(e) => {
                    failed.get_or_insert_with(|| {
                        kerr(e, "destroy", t.1.to_string(), s)
                            .with_detail(format!("putting it into group {g} failed"))
                    });
                }
            }
        }
        if failed.is_none() && !changed.is_empty() {
            let mut m = LinkMessage::default();
            m.attributes.push(LinkAttribute::Group(g));
            let answer = s.nl().ack(RouteNetlinkMessage::DelLink(m), 0);
            match answer {
                Ok(()) => return Ok(()),
                Err(e) if e.errno == libc::ENODEV => return Ok(()),
                Err(e) => {
                    let names: Vec<String> = changed.iter().map(|t| t.1.to_string()).collect();
                    failed = Some(kerr(e, "destroy", names.join(", "), s).with_detail(format!(
                        "deleting interface group {g} failed; nothing was destroyed"
                    )));
                }
            }
        }
        let Some(err) = failed else {
            return Ok(());
        };
        // Undo: every group we changed goes back to what it was.
        let back = s
            .nl()
            .batch(changed.iter().map(|t| set_group(t.0, t.2)))
            .map(|rs| {
                changed
                    .iter()
                    .zip(rs)
                    .filter_map(|(t, r)| match r {
                        Ok(()) => None,
                        Err(e) if e.errno == libc::ENODEV => None,
                        Err(e) => Some(kerr(e, "set group", t.1.to_string(), s).to_string()),
                    })
                    .collect::<Vec<_>>()
            });
        Err(match back {
            Ok(lost) if lost.is_empty() => {
                err.with_detail("every interface has its old group back")
            }
            Ok(lost) => err.with_detail(format!(
                "could not put back the old group of: {}",
                lost.join("; ")
            )),
            Err(e) => err.with_detail(format!(
                "could not put back the old groups: {}",
                kerr(e, "set group", "interfaces", s)
            )),
        })
    }

    fn apply(&self, s: &SysStack, sel: IfSel, change: &Change) -> Result<()> {
        // A rename needs the index: IFLA_IFNAME then carries the new name.
        let object = sel.to_string();
        let mut sel = sel;
        if let Some(mtu) = change.mtu {
            // The device's own limits (IFLA_MIN_MTU / IFLA_MAX_MTU), before anything changes.
            let i = self.get_raw(s, sel)?;
            check_mtu_limits(&i, mtu, "set mtu", &object, s)?;
            sel = IfSel::Index(i.index);
        }
        if change.name.is_some() {
            if let IfSel::Name(_) = sel {
                sel = IfSel::Index(self.get_in(s, sel)?.index);
            }
        }
        for (op, m) in change_msgs(sel, change) {
            self.setlink(s, m, op, &object)?;
        }
        Ok(())
    }

    fn set_master(&self, s: &SysStack, port: &Interface, op: PortOp<'_>) -> Result<()> {
        let (opname, index) = match op {
            PortOp::Join(m) => ("add port", m.index),
            PortOp::Leave(_) => ("remove port", 0),
        };
        // The bonding driver refuses a port that is up ("Device can not be enslaved while up",
        // EPERM); it opens the port itself once enslaved. So a port that is up (as the caller
        // just read it) is taken down first, and brought back up if the join fails.
        let bond_join = matches!(op, PortOp::Join(m) if m.kind.kind() == Some(KindName::Bond));
        let was_up = bond_join && port.up;
        if was_up {
            self.apply(
                s,
                IfSel::Index(port.index),
                &Change {
                    up: Some(false),
                    ..Change::default()
                },
            )
            .map_err(|e| e.during(opname, port.name.as_str()))?;
        }
        let mut m = sel_msg(IfSel::Index(port.index));
        m.attributes.push(LinkAttribute::Controller(index));
        let joined = self.setlink(s, m, opname, port.name.as_str());
        if was_up {
            // Up again: after a join the bond has opened it already (this is a no-op then);
            // after a failed join, it is given back as it was.
            let up = self.apply(
                s,
                IfSel::Index(port.index),
                &Change {
                    up: Some(true),
                    ..Change::default()
                },
            );
            if joined.is_ok() {
                up.map_err(|e| e.during(opname, port.name.as_str()))?;
            }
        }
        joined
    }

    fn set_active_port(&self, s: &SysStack, master: &Interface, port: &Interface) -> Result<()> {
        use netlink_packet_route::link::InfoBond;
        let active_now = || {
            matches!(self.get_in(s, IfSel::Index(master.index)),
                Ok(Interface { kind: KindInfo::Bond { active: Some(a), .. }, .. }) if a == port.index)
        };
        // The primary first: the bond returns to it by itself whenever its link is up.
        self.set_primary_port(s, master, port)?;
        if active_now() {
            return Ok(());
        }
        // Then the switch now. The driver refuses it (EINVAL) while its link monitor has not
        // yet seen the port's link up — a port brought up a moment ago — and will switch to the
        // primary itself at its next check: wait for that, a bounded time.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        loop {
            match bond_option(s, master, port, InfoBond::ActivePort(port.index)) {
                Ok(()) => return Ok(()),
                Err(_) if active_now() => return Ok(()),
                Err(e)
                    if e.errno() == Some(libc::EINVAL) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// IFLA_BOND_PRIMARY alone: the kernel makes the primary active at once if its link is up
    /// (primary_reselect "always", the default), else keeps the port it has.
    fn set_primary_port(&self, s: &SysStack, master: &Interface, port: &Interface) -> Result<()> {
        bond_option(
            s,
            master,
            port,
            netlink_packet_route::link::InfoBond::Primary(port.index),
        )
    }

    const REDIRECTS: bool = true;

    /// `tc qdisc add dev A ingress` + `tc filter add dev A parent ffff: protocol all u32 match
    /// u32 0 0 action mirred egress redirect dev B`, and the same from B to A.
    fn redirect_pair(&self, s: &SysStack, a: &Interface, b: &Interface) -> Result<()> {
        let op = "redirect";
        let one = |from: &Interface, to: &Interface| -> Result<()> {
            let err =
                |e| kerr(e, op, from.name.as_str(), s).with_detail(format_args!("to {}", to.name));
            s.nl()
                .ack(
                    RouteNetlinkMessage::NewQueueDiscipline(tc::ingress_qdisc(from.index)),
                    NLM_F_CREATE | NLM_F_EXCL,
                )
                .map_err(err)?;
            s.nl()
                .ack(
                    RouteNetlinkMessage::NewTrafficFilter(tc::redirect_filter(
                        from.index, to.index,
                    )),
                    NLM_F_CREATE | NLM_F_EXCL,
                )
                .map_err(err)
        };
        one(a, b).and_then(|()| one(b, a)).inspect_err(|_| {
            let _ = self.drop_redirect(s, a);
            let _ = self.drop_redirect(s, b);
        })
    }

    fn drop_redirect(&self, s: &SysStack, iface: &Interface) -> Result<()> {
        match s.nl().ack(
            // The same qdisc as added: RTM_DELQDISC takes its filters with it.
            RouteNetlinkMessage::DelQueueDiscipline(tc::ingress_qdisc(iface.index)),
            0,
        ) {
            // No ingress qdisc there (EINVAL: "cannot find specified qdisc on specified
            // device"), or no such device any more: nothing to take off.
            Err(e) if matches!(e.errno, libc::EINVAL | libc::ENOENT | libc::ENODEV) => Ok(()),
            r => r.map_err(|e| kerr(e, "drop redirect", iface.name.as_str(), s)),
        }
    }

    /// `/dev/vhost-net`, `n` times; a kernel without vhost-net (no device node: the module
    /// `vhost_net` is not there) is `Unsupported`.
    fn vhost_fds(&self, n: u16, own: bool) -> Result<Vec<std::os::fd::OwnedFd>> {
        let ctx = || Context::new("open vhost-net", "/dev/vhost-net");
        sys::vhost_net_open(n, own).map_err(|e| match e.raw_os_error() {
            Some(libc::ENOENT) | Some(libc::ENODEV) | Some(libc::ENXIO) => {
                Error::Unsupported(Box::new(ctx().detail(format!(
                    "{e}: this kernel has no vhost-net (module vhost_net)"
                ))))
            }
            _ => io_error(e, ctx().detail(format!("{n} descriptors"))),
        })
    }

    fn open_fds(&self, s: &SysStack, iface: &Interface, queues: u16) -> Result<Queues> {
        if iface.kind.kind() != Some(KindName::Macvtap) {
            return Err(Error::unsupported(
                "open descriptors of",
                iface.name.to_string(),
                "only a macvtap hands out descriptors after it is created",
            ));
        }
        let fds = self.open_macvtap_queues(s, iface, queues)?;
        Ok(Queues::of(iface.name, iface.index, FdKind::Macvtap, fds))
    }

    /// One NEWLINK sent in `stack`: the end there, the peer (with its MTU and MAC) in `peer_in`;
    /// the kernel's echo of the end (6.2+) carries the peer's index as IFLA_LINK. Without an
    /// echo, one lookup per end.
    fn create_pair(
        &self,
        stack: &SysStack,
        req: &CreateRequest,
        peer_in: Option<&SysStack>,
        peer_mtu: u32,
        peer_mac: Option<Mac>,
    ) -> Result<(u32, u32)> {
        let peer_home = peer_in.unwrap_or(stack);
        let (name, peer) = match (req.name, &req.kind) {
            (Some(n), KindSpec::Epair { peer_name: Some(p) }) if req.description.is_none() => {
                (n, *p)
            }
            _ => return crate::backend::pair_by_create(self, stack, req, peer_in),
        };
        let mut m = new_link_msg(req, name);
        let fd = (!peer_home.same(stack)).then(|| peer_home.fd().as_raw_fd());
        m.attributes.push(LinkAttribute::LinkInfo(kinds::veth::info(
            peer,
            fd,
            Some(peer_mtu),
            peer_mac,
        )));
        let mut echoed: Option<(u32, Option<u32>)> = None;
        stack
            .nl()
            .ack_with(
                RouteNetlinkMessage::NewLink(m),
                NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO,
                |msg| {
                    if msg.kind == link::RTM_NEWLINK && echoed.is_none() {
                        echoed = link::parse(msg.payload, stack.shared_name())
                            .filter(|i| i.name == name)
                            .map(|i| (i.index, i.link().and_then(|l| l.index)));
                    }
                },
            )
            .map_err(|e| {
                kerr(e, "create", name.to_string(), stack).with_detail(format_args!(
                    "an epair with its peer {peer} in {}",
                    peer_home.name()
                ))
            })?;
        match echoed {
            Some((i, Some(p))) => Ok((i, p)),
            _ => {
                let found = (|| {
                    let i = self.get_raw(stack, IfSel::Name(name))?.index;
                    let p = self.get_raw(peer_home, IfSel::Name(peer))?.index;
                    Ok((i, p))
                })();
                found.map_err(|e| self.undo(stack, name, e))
            }
        }
    }

    fn apply_at_once(&self, s: &SysStack, index: u32, change: &Change) -> Result<()> {
        if change.is_empty() {
            return Ok(());
        }
        let mut m = sel_msg(IfSel::Index(index));
        let mut what = Vec::new();
        for (op, part) in change_msgs(IfSel::Index(index), change) {
            m.attributes.extend(part.attributes);
            if !part.header.change_mask.is_empty() {
                m.header.flags = part.header.flags;
                m.header.change_mask = part.header.change_mask;
            }
            what.push(op);
        }
        self.setlink(s, m, "change", &format!("#{index}"))
            .map_err(|e| e.with_detail(format!("in one request: {}", what.join(", "))))
    }
}

impl Addresses for System {
    fn addresses(&self, s: &SysStack, index: u32) -> Result<Vec<IfAddr>> {
        addr::list(&mut s.nl(), index)
            .map_err(|e| kerr(e, "list addresses of", format!("#{index}"), s))
    }

    fn all_addresses(&self, s: &SysStack) -> Result<Vec<(u32, IfAddr)>> {
        addr::list_all(&mut s.nl()).map_err(|e| kerr(e, "list", "addresses", s))
    }

    fn add_address(&self, s: &SysStack, index: u32, a: IfAddr) -> Result<()> {
        addr::add(&mut s.nl(), index, a)
            .map_err(|e| kerr(e, "add address", format!("{a} on #{index}"), s))
    }

    fn del_address(&self, s: &SysStack, index: u32, a: IfAddr) -> Result<()> {
        addr::del(&mut s.nl(), index, a).map_err(|e| {
            // EADDRNOTAVAIL ("Cannot assign requested address") means: not on this interface.
            let absent = e.errno == libc::EADDRNOTAVAIL;
            let err = kerr(e, "delete address", format!("{a} on #{index}"), s);
            if absent {
                let mut c = err.context().clone();
                if c.detail.is_none() {
                    c = c.detail("the interface does not carry this address");
                }
                Error::NotFound(Box::new(c))
            } else {
                err
            }
        })
    }

    fn add_route(&self, s: &SysStack, index: u32, r: &IfRoute) -> Result<()> {
        addr::add_route(&mut s.nl(), index, r)
            .map_err(|e| kerr(e, "add route", format!("{r} dev #{index}"), s))
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
        // Only the name, index and kind are needed (not the peer's name).
        let i = self.get_raw(from, sel)?;
        Ok(self.move_native_known(from, &i, to, new_name)?.index)
    }

    /// The NEWLINK with IFLA_NET_NS_FD, and one GETLINK in the target for the new index.
    fn move_native_known(
        &self,
        from: &SysStack,
        i: &Interface,
        to: &SysStack,
        new_name: Option<IfName>,
    ) -> Result<Interface> {
        let object = i.name.to_string();
        if i.kind.kind().is_some_and(|k| kinds::ops(k).netns_local) {
            return Err(Error::Unsupported(Box::new(
                Context::new("move", object)
                    .stack(from.name())
                    .detail("the Linux kernel cannot move netns-local devices (bridge, lo)"),
            )));
        }
        let mut m = sel_msg(IfSel::Index(i.index));
        m.attributes
            .push(LinkAttribute::NetNsFd(to.fd().as_raw_fd()));
        if let Some(n) = new_name {
            m.attributes.push(LinkAttribute::IfName(n.to_string()));
        }
        from.nl()
            .ack(RouteNetlinkMessage::NewLink(m), 0)
            .map_err(|e| {
                // The kernel refuses netns-local devices with EINVAL ("The interface netns is
                // immutable" on recent kernels).
                let local = e.errno == libc::EINVAL
                    && e.msg.as_deref().is_some_and(|m| m.contains("immutable"));
                let err = kerr(e, "move", object.clone(), from)
                    .with_detail(format!("to stack {}", to.name()));
                if local {
                    Error::Unsupported(Box::new(err.context().clone().detail(format!(
                        "{}; the Linux kernel cannot move netns-local devices",
                        err.context().detail.as_deref().unwrap_or("")
                    ))))
                } else {
                    err
                }
            })?;
        let there = new_name.unwrap_or(i.name);
        self.get_raw(to, IfSel::Name(there))
    }
}

impl Marks for System {
    /// An alternative name (RTM_NEWLINKPROP, IFLA_PROP_LIST { IFLA_ALT_IFNAME }): the kernel
    /// keeps it with the device across netns moves and reports it in every RTM_NEWLINK. A mark
    /// the interface already carries is not an error; one another interface of the stack
    /// carries (alternative names are names) is `Exists`.
    fn add_mark(&self, s: &SysStack, index: u32, mark: &str) -> Result<bool> {
        let object = format!("#{index}");
        check_mark("add mark", &object, mark, s)?;
        let m = mark_msg(index, mark);
        // Bound first: the socket's lock must be released before `carries_alt_name` asks again.
        let answer = s.nl().ack(
            RouteNetlinkMessage::NewLinkProp(m),
            NLM_F_CREATE | NLM_F_EXCL | NLM_F_APPEND,
        );
        match answer {
            Ok(()) => Ok(true),
            Err(e) if e.errno == libc::EEXIST => {
                if self.carries_alt_name(s, index, mark)? {
                    return Ok(true);
                }
                Err(kerr(e, "add mark", object, s).with_detail(format!(
                    "{mark} is already a name or alternative name of another interface"
                )))
            }
            Err(e) => Err(kerr(e, "add mark", object, s).with_detail(format!("mark {mark}"))),
        }
    }

    /// RTM_DELLINKPROP. The kernel answers ENOENT when no device has that alternative name and
    /// EINVAL when the name is another device's (or this one's primary name): neither means
    /// this interface carries the mark, so neither is an error. A missing interface is
    /// `NotFound`.
    fn del_mark(&self, s: &SysStack, index: u32, mark: &str) -> Result<()> {
        let object = format!("#{index}");
        check_mark("del mark", &object, mark, s)?;
        let answer = s
            .nl()
            .ack(RouteNetlinkMessage::DelLinkProp(mark_msg(index, mark)), 0);
        match answer {
            Ok(()) => Ok(()),
            Err(e) if e.errno == libc::ENOENT => Ok(()),
            Err(e) if e.errno == libc::EINVAL && !self.carries_alt_name(s, index, mark)? => Ok(()),
            Err(e) => Err(kerr(e, "del mark", object, s).with_detail(format!("mark {mark}"))),
        }
    }
}

impl Watch for System {
    fn subscribe(
        &self,
        s: &SysStack,
        opts: &crate::backend::FeedOpts,
    ) -> Result<Box<dyn crate::backend::Feed>> {
        Ok(Box::new(watch::subscribe(s, opts)?))
    }
    fn stacks_feed(&self) -> Result<Option<Box<dyn crate::backend::Feed>>> {
        Ok(Some(Box::new(watch::stacks_feed(std::path::Path::new(
            stack::NETNS_DIR,
        ))?)))
    }
    fn join_fds(&self, fds: &[std::os::fd::BorrowedFd<'_>]) -> Result<OwnedFd> {
        watch::join(fds)
    }
}

impl crate::backend::Sealed for System {}

/// One bond option set on an existing bond: a kind's own attributes change through
/// RTM_NEWLINK on the existing device (rtnl_newlink → changelink); RTM_SETLINK ignores
/// IFLA_LINKINFO. Errors name the master and the port.
fn bond_option(
    s: &SysStack,
    master: &Interface,
    port: &Interface,
    attr: netlink_packet_route::link::InfoBond,
) -> Result<()> {
    use netlink_packet_route::link::InfoData;
    let mut m = sel_msg(IfSel::Index(master.index));
    m.attributes.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::Bond),
        LinkInfo::Data(InfoData::Bond(vec![attr])),
    ]));
    s.nl()
        .ack(RouteNetlinkMessage::NewLink(m), 0)
        .map_err(|e| kerr(e, "set active port of", master.name.as_str(), s))
        .map_err(|e| e.with_detail(format_args!("port {}", port.name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        assert_eq!(pick_group(&mut [0, 0, 5], 1), 1);
        assert_eq!(pick_group(&mut [0, 1, 2, 4], 1), 3);
        assert_eq!(pick_group(&mut [7, 0, 8], 7), 9);
        assert_eq!(pick_group(&mut [], 0), 1);
    }

    #[test]
    fn units() {
        let names = ["vlan0", "vlan1", "vlan3", "vlanx", "bridge0"];
        assert_eq!(free_unit(names.iter().copied(), "vlan", 0), 2);
        assert_eq!(free_unit(names.iter().copied(), "bridge", 0), 1);
        assert_eq!(free_unit(names.iter().copied(), "vxlan", 0), 0);
    }

    #[test]
    fn devnum() {
        assert_eq!(sys::parse_devnum("241:3\n"), Some((241, 3)));
        assert_eq!(sys::parse_devnum("x"), None);
    }
}
