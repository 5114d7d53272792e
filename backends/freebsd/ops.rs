//! Interface operations on one VNET, through a socket that lives in it.
//!
//! Every ioctl acts on the VNET of the socket it is issued on (`so->so_vnet`), so the same code
//! serves the host and any jail: the jail's socket comes from `sys::socket_in_jail`. Listing
//! uses SIOCGIFCONF on that socket (it walks the socket's VNET and reports every interface with
//! its AF_LINK address: name, index, MAC), then per-interface ioctls (flags, MTU, description,
//! groups, vlan parameters). `if_nameindex`/`getifaddrs` are not used: they read the calling
//! process's VNET, not the socket's.

use std::os::fd::BorrowedFd;

use super::kinds;
use super::sys::{self, Plain};
use crate::error::{Error, Result};
use crate::freebsd;
use crate::freebsd::errs::kerr;
use crate::freebsd::origins::Recall;
use crate::model::*;
use ifclone_freebsd_abi::consts::IfReq;
use ifclone_freebsd_abi::consts::*;
use ifclone_freebsd_abi::{req, KernelName};

/// `InvalidArgument` for an MTU outside IF_MINMTU..=IF_MAXMTU, the limits of every FreeBSD
/// interface.
pub fn check_mtu(op: &'static str, object: &str, stack: &str, mtu: u32) -> Result<()> {
    if (IF_MINMTU..=IF_MAXMTU).contains(&mtu) {
        return Ok(());
    }
    Err(Error::invalid(
        op,
        object,
        format!("MTU {mtu} is outside the interface's limits {IF_MINMTU}..={IF_MAXMTU}"),
    )
    .in_stack(stack))
}

/// `Unsupported` for a group number other than 0: Linux's groups are numbers, FreeBSD's are
/// names (`ifconfig IF group NAME`), so ifclone's numeric group has no FreeBSD meaning.
pub fn check_group(object: &str, stack: &str, group: Option<u32>) -> Result<()> {
    match group {
        None | Some(0) => Ok(()),
        Some(g) => Err(Error::unsupported(
            "set group",
            object,
            format!(
                "group {g}: FreeBSD interface groups are names, not numbers (ifclone's group \
                 is Linux's numeric group)"
            ),
        )
        .in_stack(stack)),
    }
}

/// One interface as SIOCGIFCONF lists it.
#[derive(Clone, Copy, Debug)]
pub struct Link {
    pub name: IfName,
    pub index: u32,
    pub mac: Option<Mac>,
    /// The link type (`sdl_type`).
    pub ift: Option<u8>,
}

/// A VNET to act on: its socket and its stack name (for errors).
#[derive(Clone, Copy)]
pub struct On<'a> {
    /// AF_INET (or AF_LOCAL) socket: interface ioctls and IPv4 addresses.
    pub fd: BorrowedFd<'a>,
    /// AF_INET6 socket, when the kernel has INET6: IPv6 addresses.
    pub fd6: Option<BorrowedFd<'a>>,
    /// The stack's name (shared with the `Interface` records read here).
    pub stack: &'a std::sync::Arc<str>,
}

impl<'a> On<'a> {
    pub fn err(&self, op: &'static str, object: &str, errno: i32) -> Error {
        kerr(op, object, self.stack, errno)
    }

    /// The index of `name`, or `None` when it does not exist here.
    pub fn index(&self, name: &str) -> Result<Option<u32>> {
        let mut r = IfReq::new(name);
        match sys::plain(self.fd, Plain::GetIndex, &mut r) {
            Ok(()) => Ok(Some(req::index_of(&r))),
            Err(libc::ENXIO) => Ok(None),
            Err(e) => Err(self.err("get index", name, e)),
        }
    }

    pub fn exists(&self, name: &str) -> Result<bool> {
        Ok(self.index(name)?.is_some())
    }

    /// Every interface here (name, index, MAC, link type), in kernel order.
    pub fn links(&self) -> Result<Vec<Link>> {
        let buf = sys::ifconf(self.fd).map_err(|e| self.err("list", "interfaces", e))?;
        let mut out: Vec<Link> = Vec::new();
        for e in req::parse_ifconf(&buf) {
            let Some(name) = freebsd::ifname(e.name) else {
                continue;
            };
            if out.last().map(|l| l.name) == Some(name) {
                continue;
            }
            if e.family == AF_LINK {
                if let Some((index, mac)) = req::parse_sockaddr_dl(&e.sa) {
                    out.push(Link {
                        name,
                        index,
                        mac: mac.map(freebsd::mac),
                        ift: req::link_type(&e.sa),
                    });
                    continue;
                }
            }
            // No link-level record first (unusual): ask for the index.
            if let Some(index) = self.index(name.as_str())? {
                out.push(Link {
                    name,
                    index,
                    mac: None,
                    ift: None,
                });
            }
        }
        Ok(out)
    }

    /// The link record of the selected interface.
    pub fn link(&self, sel: IfSel) -> Result<Link> {
        self.links()?
            .into_iter()
            .find(|l| match sel {
                IfSel::Name(n) => l.name == n,
                IfSel::Index(i) => l.index == i,
            })
            .ok_or_else(|| self.err("find", &sel.to_string(), libc::ENXIO))
    }

    /// The name of the selected interface.
    pub fn name_of(&self, sel: IfSel) -> Result<IfName> {
        match sel {
            IfSel::Name(n) => {
                if self.exists(n.as_str())? {
                    Ok(n)
                } else {
                    Err(self.err("find", n.as_str(), libc::ENXIO))
                }
            }
            IfSel::Index(i) => self
                .links()?
                .into_iter()
                .find(|l| l.index == i)
                .map(|l| l.name)
                .ok_or_else(|| self.err("find", &format!("#{i}"), libc::ENXIO)),
        }
    }

    pub fn flags(&self, name: &str) -> Result<u32> {
        let mut r = IfReq::new(name);
        sys::plain(self.fd, Plain::GetFlags, &mut r).map_err(|e| self.err("get flags", name, e))?;
        Ok(req::flags_of(&r))
    }

    pub fn set_up(&self, name: &str, up: bool) -> Result<()> {
        let f = self.flags(name)?;
        let nf = if up { f | IFF_UP } else { f & !IFF_UP };
        if nf == f {
            return Ok(());
        }
        let mut r = req::set_flags(name, nf);
        sys::plain(self.fd, Plain::SetFlags, &mut r)
            .map_err(|e| self.err(if up { "set up" } else { "set down" }, name, e))
    }

    pub fn mtu(&self, name: &str) -> Result<u32> {
        let mut r = IfReq::new(name);
        sys::plain(self.fd, Plain::GetMtu, &mut r).map_err(|e| self.err("get mtu", name, e))?;
        Ok(req::mtu_of(&r))
    }

    /// Refuses, before any ioctl, an MTU outside the kernel's limits for every interface
    /// (IF_MINMTU..=IF_MAXMTU); drivers may refuse more, which the ioctl then reports.
    pub fn check_mtu(&self, op: &'static str, name: &str, mtu: u32) -> Result<()> {
        check_mtu(op, name, self.stack, mtu)
    }

    pub fn set_mtu(&self, name: &str, mtu: u32) -> Result<()> {
        self.check_mtu("set mtu", name, mtu)?;
        let mut r = req::set_mtu(name, mtu);
        sys::plain(self.fd, Plain::SetMtu, &mut r).map_err(|e| self.err("set mtu", name, e))
    }

    pub fn set_mac(&self, name: &str, mac: Mac) -> Result<()> {
        let mut r = req::set_lladdr(name, mac.0);
        sys::plain(self.fd, Plain::SetLladdr, &mut r).map_err(|e| self.err("set mac", name, e))
    }

    pub fn set_descr(&self, name: &str, text: &str) -> Result<()> {
        sys::set_descr(self.fd, name, text).map_err(|e| self.err("set description", name, e))
    }

    pub fn descr(&self, name: &str) -> Result<Option<String>> {
        sys::get_descr(self.fd, name).map_err(|e| self.err("get description", name, e))
    }

    pub fn rename(&self, name: &str, new: &str) -> Result<()> {
        sys::rename(self.fd, name, new).map_err(|e| {
            self.err("rename", name, e)
                .with_detail(format_args!("new name {new}"))
        })
    }

    /// The rename that gives a freshly created interface (kernel name `got`) the requested
    /// name: its failure is the create's (`create NAME`), not an internal rename's.
    pub fn name_created(&self, got: &str, want: &str) -> Result<()> {
        sys::rename(self.fd, got, want).map_err(|e| {
            let err = self.err("create", want, e);
            if e == libc::EEXIST {
                err.with_detail(format_args!("an interface named {want} already exists"))
            } else {
                err.with_detail(format_args!("naming the new interface {got}"))
            }
        })
    }

    pub fn destroy(&self, name: &str) -> Result<()> {
        let mut r = req::destroy(name);
        sys::plain(self.fd, Plain::Destroy, &mut r).map_err(|e| self.err("destroy", name, e))
    }

    /// Puts `name` back in its cloner's group (`epair`, `vlan`, …) when the kernel dropped it
    /// (13.x, on the way home from a child VNET), so that FreeBSD's own tools show it as
    /// before the move.
    pub fn restore_cloner_group(&self, name: &str, kind: KindName) -> Result<()> {
        let Some(cloner) = freebsd::names::cloner_for(kind) else {
            return Ok(());
        };
        if self.groups(name)?.iter().any(|g| g == cloner) {
            return Ok(());
        }
        match sys::add_group(self.fd, name, cloner) {
            Ok(()) | Err(libc::EEXIST) => Ok(()),
            Err(e) => Err(self
                .err("restore group", name, e)
                .with_detail(format_args!("cloner group {cloner}"))),
        }
    }

    pub fn groups(&self, name: &str) -> Result<Vec<String>> {
        sys::groups(self.fd, name).map_err(|e| self.err("get groups", name, e))
    }

    /// Applies a change in `Change`'s order (name, MTU, MAC, description, up last). Returns the
    /// final name. A group number is refused before anything changes: FreeBSD's interface
    /// groups are names, not numbers (docs/vmove.md §5).
    pub fn apply(&self, name: IfName, c: &Change) -> Result<IfName> {
        check_group(name.as_str(), self.stack, c.group)?;
        if let Some(m) = c.mtu {
            // Before the rename: nothing changes when the MTU is refused.
            self.check_mtu("set mtu", name.as_str(), m)?;
        }
        let mut cur = name;
        if let Some(n) = c.name {
            if n != cur {
                self.rename(cur.as_str(), n.as_str())?;
                cur = n;
            }
        }
        if let Some(m) = c.mtu {
            self.set_mtu(cur.as_str(), m)?;
        }
        if let Some(m) = c.mac {
            self.set_mac(cur.as_str(), m)?;
        }
        if let Some(d) = &c.description {
            self.set_descr(cur.as_str(), d)?;
        }
        if let Some(up) = c.up {
            self.set_up(cur.as_str(), up)?;
        }
        Ok(cur)
    }

    /// One interface record. `present`: every interface of this VNET (for links); `recall`:
    /// ifclone's records, read where the kernel is silent.
    pub fn record(&self, link: &Link, present: &[Link], recall: &Recall) -> Result<Interface> {
        let n = link.name.as_str();
        let flags = self.flags(n)?;
        let mtu = self.mtu(n)?;
        let description = self.descr(n)?.map(String::into_boxed_str);
        let groups = self.groups(n).unwrap_or_default();
        let kind = kinds::observe(self, link, &groups, present, recall)?;
        let up = flags & IFF_UP != 0;
        let oper = if !up {
            OperState::Down
        } else if flags & IFF_RUNNING != 0 {
            OperState::Up
        } else {
            OperState::Unknown
        };
        Ok(Interface {
            index: link.index,
            name: link.name,
            kind,
            mtu,
            mac: link.mac,
            description,
            up,
            oper,
            master: None,
            group: 0,
            flags: neutral_flags(flags),
            stack: self.stack.clone(),
            mark: None,
            // One limit for every interface (IF_MINMTU/IF_MAXMTU), checked in `set_mtu`.
            min_mtu: None,
            max_mtu: None,
            parent_dev: None,
        })
    }

    /// Every interface here. Interfaces that vanish while being read are skipped. Masters
    /// (`Interface::master`) are filled by [`On::fill_masters`].
    pub fn list(&self, recall: &Recall) -> Result<Vec<Interface>> {
        let links = self.links()?;
        let mut out = Vec::with_capacity(links.len());
        for l in &links {
            match self.record(l, &links, recall) {
                Ok(i) => out.push(i),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        self.fill_masters(&mut out)?;
        Ok(out)
    }

    /// The ports of the bridge or lagg `master` by name: a bridge's members (BRDGGIFS) or a
    /// lagg's ports (SIOCGLAGG), one request; `None` for a kind without ports.
    pub fn port_names(&self, master: &Interface) -> Result<Option<Vec<String>>> {
        let n = master.name.as_str();
        let got = match master.kind {
            KindInfo::Bridge => sys::bridge_members(self.fd, n),
            KindInfo::Bond { .. } => sys::lagg_ports(self.fd, n),
            _ => return Ok(None),
        };
        got.map(Some).map_err(|e| self.err("list ports", n, e))
    }

    /// Sets `master` on every record of `list` that is a port of a bridge or lagg in it: one
    /// request per bridge/lagg (their kinds are already known), none per other interface. A
    /// master that vanishes meanwhile has no ports.
    fn fill_masters(&self, list: &mut [Interface]) -> Result<()> {
        let mut ports: Vec<(String, u32)> = Vec::new();
        for m in list.iter() {
            match self.port_names(m) {
                Ok(Some(names)) => ports.extend(names.into_iter().map(|n| (n, m.index))),
                Ok(None) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        for (name, master) in ports {
            if let Some(i) = list.iter_mut().find(|i| i.name.as_str() == name) {
                i.master = Some(master);
            }
        }
        Ok(())
    }

    /// The master of one interface, without reading every record of the stack: each bridge
    /// here (known by its link type, from the SIOCGIFCONF listing already read, the signal
    /// [`kinds::observe`] uses too) is asked for its members only if there is one, and the
    /// interface itself is asked whether it is a lagg port (one SIOCGLAGGPORT, see
    /// `sys::lagg_of_port`), instead of reading every interface's groups to find the laggs.
    fn master_of(&self, me: &Interface, links: &[Link]) -> Result<Option<u32>> {
        for b in links
            .iter()
            .filter(|l| l.ift == Some(IFT_BRIDGE) && l.index != me.index)
        {
            match sys::bridge_members(self.fd, b.name.as_str()) {
                Ok(m) if m.iter().any(|n| n == me.name.as_str()) => return Ok(Some(b.index)),
                Ok(_) | Err(libc::ENXIO) => {}
                Err(e) => return Err(self.err("list ports", b.name.as_str(), e)),
            }
        }
        let lagg = sys::lagg_of_port(self.fd, me.name.as_str())
            .map_err(|e| self.err("get master", me.name.as_str(), e))?;
        Ok(lagg.and_then(|n| links.iter().find(|l| l.name.as_str() == n).map(|l| l.index)))
    }

    pub fn get(&self, sel: IfSel, recall: &Recall) -> Result<Interface> {
        let links = self.links()?;
        let found = links.iter().find(|l| match sel {
            IfSel::Name(n) => l.name == n,
            IfSel::Index(i) => l.index == i,
        });
        match found {
            Some(l) => {
                let mut i = self.record(l, &links, recall)?;
                i.master = self.master_of(&i, &links)?;
                Ok(i)
            }
            None => Err(self.err("get", &sel.to_string(), libc::ENXIO)),
        }
    }

    /// Makes `port` a port of the bridge or lagg `master`, or takes it out
    /// ([`Links::set_master`](crate::backend::Links::set_master)): BRDGADD / BRDGDEL, or
    /// SIOCSLAGGPORT / SIOCSLAGGDELPORT. Errors name the port.
    pub fn set_master(&self, port: &Interface, master: &Interface, join: bool) -> Result<()> {
        let (m, p) = (master.name.as_str(), port.name.as_str());
        let op = if join { "add port" } else { "remove port" };
        let r = match (&master.kind, join) {
            (KindInfo::Bridge, true) => sys::bridge_add(self.fd, m, p),
            (KindInfo::Bridge, false) => sys::bridge_del(self.fd, m, p),
            (KindInfo::Bond { .. }, true) => sys::lagg_add_port(self.fd, m, p),
            (KindInfo::Bond { .. }, false) => sys::lagg_del_port(self.fd, m, p),
            _ => {
                return Err(Error::invalid(
                    op,
                    p,
                    format!("{m} is neither a bridge nor a lagg: it has no ports"),
                )
                .in_stack(self.stack))
            }
        };
        r.map_err(|e| {
            self.err(op, p, e)
                .with_detail(format_args!("{} {m}", if join { "to" } else { "from" }))
        })
    }

    fn fd6(&self, op: &'static str, object: &str) -> Result<BorrowedFd<'a>> {
        self.fd6.ok_or_else(|| {
            Error::unsupported(op, object, "this kernel has no INET6 (no AF_INET6 socket)")
                .in_stack(self.stack)
        })
    }

    /// The IPv4 and IPv6 addresses of the interface with `index`, from SIOCGIFCONF, with their
    /// prefix lengths from SIOCGIFNETMASK / SIOCGIFNETMASK_IN6.
    pub fn addresses(&self, index: u32) -> Result<Vec<IfAddr>> {
        let got = self.addresses_of(Some(index))?;
        if got.is_empty() && !self.links()?.iter().any(|l| l.index == index) {
            return Err(self.err("list addresses", &format!("#{index}"), libc::ENXIO));
        }
        Ok(got.into_iter().map(|(_, a)| a).collect())
    }

    /// Every IPv4 and IPv6 address here with its interface's index, from one SIOCGIFCONF.
    pub fn all_addresses(&self) -> Result<Vec<(u32, IfAddr)>> {
        self.addresses_of(None)
    }

    /// The addresses of the interface `only` (all interfaces: `None`), each with its index.
    fn addresses_of(&self, only: Option<u32>) -> Result<Vec<(u32, IfAddr)>> {
        let buf = sys::ifconf(self.fd).map_err(|e| self.err("list", "addresses", e))?;
        let entries = req::parse_ifconf(&buf);
        let index_of: std::collections::HashMap<KernelName, u32> = entries
            .iter()
            .filter(|e| e.family == AF_LINK)
            .filter_map(|e| req::parse_sockaddr_dl(&e.sa).map(|d| (e.name, d.0)))
            .collect();
        let mut out = Vec::new();
        for e in &entries {
            let Some(&index) = index_of.get(&e.name) else {
                continue;
            };
            if only.is_some_and(|o| o != index) {
                continue;
            }
            let n = e.name.as_str();
            if e.family == AF_INET {
                if let Some(a) = req::parse_sockaddr_in(&e.sa) {
                    let mut r = req::netmask_query(n, a);
                    match sys::plain(self.fd, Plain::GetNetmask, &mut r) {
                        Ok(()) => out.push((
                            index,
                            IfAddr {
                                addr: a.into(),
                                prefix_len: req::prefix_of(&r),
                            },
                        )),
                        // Removed in between.
                        Err(libc::EADDRNOTAVAIL) => {}
                        Err(er) => return Err(self.err("get netmask", n, er)),
                    }
                }
            } else if e.family == AF_INET6 {
                if let Some(a) = req::parse_sockaddr_in6(&e.sa) {
                    let fd6 = self.fd6("get netmask", n)?;
                    let mut r = req::netmask6_query(n, a);
                    match sys::netmask6(fd6, &mut r) {
                        Ok(()) => out.push((
                            index,
                            IfAddr {
                                addr: a.into(),
                                prefix_len: req::prefix6_of(&r),
                            },
                        )),
                        Err(libc::EADDRNOTAVAIL) => {}
                        Err(er) => return Err(self.err("get netmask", n, er).with_detail(a)),
                    }
                }
            }
        }
        Ok(out)
    }

    /// Adds an address. SIOCAIFADDR on an address the interface already has succeeds (it
    /// updates the entry); ifclone answers `Exists` instead, as Linux does, and changes nothing.
    pub fn add_address(&self, index: u32, addr: IfAddr) -> Result<()> {
        let name = self.name_of(IfSel::Index(index))?;
        let n = name.as_str();
        if let Some(have) = self
            .addresses(index)?
            .into_iter()
            .find(|a| a.addr == addr.addr)
        {
            return Err(Error::from_errno(
                libc::EEXIST,
                crate::error::Context::new("add address", n)
                    .stack(self.stack.as_ref())
                    .detail(format!("{addr}: the interface already has {have}")),
            ));
        }
        match addr.addr {
            std::net::IpAddr::V4(a) => {
                let areq = req::in_aliasreq(n, a, addr.prefix_len);
                sys::add_inet(self.fd, &areq)
                    .map_err(|e| self.err("add address", n, e).with_detail(addr))
            }
            std::net::IpAddr::V6(a) => {
                let fd6 = self.fd6("add address", n)?;
                let areq = req::in6_aliasreq(n, a, addr.prefix_len);
                sys::add_inet6(fd6, &areq)
                    .map_err(|e| self.err("add address", n, e).with_detail(addr))
            }
        }
    }

    /// Removes an address: SIOCDIFADDR / SIOCDIFADDR_IN6 with `ifr_addr` set (the kernel matches
    /// the address; EADDRNOTAVAIL when the interface does not carry it → `NotFound`). The
    /// kernel's answer is checked against the interface's addresses afterwards: a delete that
    /// reports success while the address is still there is an error, never a success.
    pub fn del_address(&self, index: u32, addr: IfAddr) -> Result<()> {
        let name = self.name_of(IfSel::Index(index))?;
        let n = name.as_str();
        let r = match addr.addr {
            std::net::IpAddr::V4(a) => {
                let mut r = req::netmask_query(n, a);
                sys::plain(self.fd, Plain::DelAddr, &mut r)
            }
            std::net::IpAddr::V6(a) => {
                let fd6 = self.fd6("delete address", n)?;
                sys::del_inet6(fd6, &req::netmask6_query(n, a))
            }
        };
        r.map_err(|e| {
            let err = self.err("delete address", n, e).with_detail(addr);
            if e == libc::EADDRNOTAVAIL {
                Error::NotFound(Box::new(err.context().clone()))
            } else {
                err
            }
        })?;
        if self.addresses(index)?.iter().any(|a| a.addr == addr.addr) {
            return Err(Error::Kernel(Box::new(
                crate::error::Context::new("delete address", n)
                    .stack(self.stack.as_ref())
                    .detail(format!(
                        "{addr}: the kernel answered success but the interface still has it"
                    )),
            )));
        }
        Ok(())
    }
}

/// FreeBSD's IFF_* bits (sys/net/if.h) as [`IfFlags`]. IFF_DRV_RUNNING is reported by
/// SIOCGIFFLAGS as IFF_RUNNING; FreeBSD has no LOWER_UP or DORMANT flag (its link state says it).
pub fn neutral_flags(f: u32) -> IfFlags {
    const MAP: [(u32, IfFlags); 10] = [
        (0x1, IfFlags::UP),
        (0x2, IfFlags::BROADCAST),
        (0x8, IfFlags::LOOPBACK),
        (0x10, IfFlags::POINTOPOINT),
        (0x40, IfFlags::RUNNING),
        (0x80, IfFlags::NOARP),
        (0x100, IfFlags::PROMISC),
        (0x200, IfFlags::ALLMULTI),
        (0x800, IfFlags::SIMPLEX),
        (0x8000, IfFlags::MULTICAST),
    ];
    IfFlags::from_os_bits(f, &MAP)
}
