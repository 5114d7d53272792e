//! Interface operations on one VNET, through a socket that lives in it.
//!
//! Every ioctl acts on the VNET of the socket it is issued on (`so->so_vnet`), so the same code
//! serves the host and any jail: the jail's socket comes from `sys::socket_in_jail`. Listing
//! uses SIOCGIFCONF on that socket (it walks the socket's VNET and reports every interface with
//! its AF_LINK address: name, index, MAC), then per-interface ioctls (flags, MTU, description,
//! groups, vlan parameters). `if_nameindex`/`getifaddrs` are not used: they read the calling
//! process's VNET, not the socket's.

use std::collections::HashMap;
use std::os::fd::BorrowedFd;

use super::kinds;
use super::pure::consts::IfReq;
use super::pure::consts::*;
use super::pure::errs::kerr;
use super::pure::req;
use super::sys::{self, Plain};
use crate::error::{Error, Result};
use crate::model::*;

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

    /// (name, index, MAC) of every interface here, in kernel order.
    pub fn links(&self) -> Result<Vec<(IfName, u32, Option<Mac>)>> {
        let buf = sys::ifconf(self.fd).map_err(|e| self.err("list", "interfaces", e))?;
        let mut out: Vec<(IfName, u32, Option<Mac>)> = Vec::new();
        for e in req::parse_ifconf(&buf) {
            if out.last().map(|l| l.0) == Some(e.name) {
                continue;
            }
            if e.family == AF_LINK {
                if let Some((index, mac)) = req::parse_sockaddr_dl(&e.sa) {
                    out.push((e.name, index, mac));
                    continue;
                }
            }
            // No link-level record first (unusual): ask for the index.
            if let Some(index) = self.index(e.name.as_str())? {
                out.push((e.name, index, None));
            }
        }
        Ok(out)
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
                .find(|l| l.1 == i)
                .map(|l| l.0)
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
        let mut r = req::set_lladdr(name, mac);
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

    pub fn destroy(&self, name: &str) -> Result<()> {
        let mut r = req::destroy(name);
        sys::plain(self.fd, Plain::Destroy, &mut r).map_err(|e| self.err("destroy", name, e))
    }

    pub fn groups(&self, name: &str) -> Result<Vec<String>> {
        sys::groups(self.fd, name).map_err(|e| self.err("get groups", name, e))
    }

    /// Applies a change in `Change`'s order (name, MTU, MAC, description, group — ignored on
    /// FreeBSD —, up last). Returns the final name.
    pub fn apply(&self, name: IfName, c: &Change) -> Result<IfName> {
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

    /// One interface record. `present` maps names to indexes in this VNET (for links).
    pub fn record(
        &self,
        name: IfName,
        index: u32,
        mac: Option<Mac>,
        present: &HashMap<IfName, u32>,
    ) -> Result<Interface> {
        let n = name.as_str();
        let flags = self.flags(n)?;
        let mtu = self.mtu(n)?;
        let description = self.descr(n)?.map(String::into_boxed_str);
        let groups = self.groups(n).unwrap_or_default();
        let kind = kinds::observe(self, &name, &groups, present);
        let up = flags & IFF_UP != 0;
        let oper = if !up {
            OperState::Down
        } else if flags & IFF_RUNNING != 0 {
            OperState::Up
        } else {
            OperState::Unknown
        };
        Ok(Interface {
            index,
            name,
            kind,
            mtu,
            mac,
            description,
            up,
            oper,
            master: None,
            group: 0,
            flags,
            stack: self.stack.clone(),
            mark: None,
            // One limit for every interface (IF_MINMTU/IF_MAXMTU), checked in `set_mtu`.
            min_mtu: None,
            max_mtu: None,
        })
    }

    /// Every interface here. Interfaces that vanish while being read are skipped.
    pub fn list(&self) -> Result<Vec<Interface>> {
        let links = self.links()?;
        let present: HashMap<IfName, u32> = links.iter().map(|l| (l.0, l.1)).collect();
        let mut out = Vec::with_capacity(links.len());
        for (name, index, mac) in links {
            match self.record(name, index, mac, &present) {
                Ok(i) => out.push(i),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    pub fn get(&self, sel: IfSel) -> Result<Interface> {
        let links = self.links()?;
        let present: HashMap<IfName, u32> = links.iter().map(|l| (l.0, l.1)).collect();
        let found = links.into_iter().find(|l| match sel {
            IfSel::Name(n) => l.0 == n,
            IfSel::Index(i) => l.1 == i,
        });
        match found {
            Some((name, index, mac)) => self.record(name, index, mac, &present),
            None => Err(self.err("get", &sel.to_string(), libc::ENXIO)),
        }
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
        let buf = sys::ifconf(self.fd).map_err(|e| self.err("list", "addresses", e))?;
        let entries = req::parse_ifconf(&buf);
        let name = entries
            .iter()
            .filter(|e| e.family == AF_LINK)
            .find(|e| req::parse_sockaddr_dl(&e.sa).map(|d| d.0) == Some(index))
            .map(|e| e.name)
            .ok_or_else(|| self.err("list addresses", &format!("#{index}"), libc::ENXIO))?;
        let n = name.as_str();
        let mut out = Vec::new();
        for e in entries.iter().filter(|e| e.name == name) {
            if e.family == AF_INET {
                if let Some(a) = req::parse_sockaddr_in(&e.sa) {
                    let mut r = req::netmask_query(n, a);
                    match sys::plain(self.fd, Plain::GetNetmask, &mut r) {
                        Ok(()) => out.push(IfAddr {
                            addr: a.into(),
                            prefix_len: req::prefix_of(&r),
                        }),
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
                        Ok(()) => out.push(IfAddr {
                            addr: a.into(),
                            prefix_len: req::prefix6_of(&r),
                        }),
                        Err(libc::EADDRNOTAVAIL) => {}
                        Err(er) => return Err(self.err("get netmask", n, er).with_detail(a)),
                    }
                }
            }
        }
        Ok(out)
    }

    pub fn add_address(&self, index: u32, addr: IfAddr) -> Result<()> {
        let name = self.name_of(IfSel::Index(index))?;
        let n = name.as_str();
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
    /// the address; EADDRNOTAVAIL when the interface does not carry it → `NotFound`).
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
        })
    }
}
