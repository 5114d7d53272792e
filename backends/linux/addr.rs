//! Interface addresses (RTM_GETADDR dump filtered by index, RTM_NEWADDR, RTM_DELADDR) and the
//! routes through an interface (RTM_NEWROUTE).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::kinds::nlas;
use super::netlink::{Netlink, NlResult};
use crate::model::{IfAddr, IfRoute};

const RTM_NEWADDR: u16 = 20;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;

fn parse(payload: &[u8], index: u32) -> Option<IfAddr> {
    parse_any(payload)
        .filter(|(i, _)| *i == index)
        .map(|(_, a)| a)
}

/// An RTM_NEWADDR payload: the interface index and the address.
pub(super) fn parse_any(payload: &[u8]) -> Option<(u32, IfAddr)> {
    if payload.len() < 8 {
        return None;
    }
    let prefix_len = payload[1];
    let idx = u32::from_ne_bytes(payload[4..8].try_into().ok()?);
    let (mut local, mut address) = (None, None);
    for a in nlas(&payload[8..]) {
        let v = a.value();
        let ip = match v.len() {
            4 => IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3])),
            16 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(v).ok()?)),
            _ => continue,
        };
        match a.kind() {
            IFA_LOCAL => local = Some(ip),
            IFA_ADDRESS => address = Some(ip),
            _ => {}
        }
    }
    Some((
        idx,
        IfAddr {
            addr: local.or(address)?,
            prefix_len,
        },
    ))
}

/// Every address of the netns, with its interface's index: one dump.
pub fn list_all(nl: &mut Netlink) -> NlResult<Vec<(u32, IfAddr)>> {
    let mut out = Vec::new();
    let make = || RouteNetlinkMessage::GetAddress(AddressMessage::default());
    nl.dump_retry(&make, &mut |m| match m {
        None => out.clear(),
        Some(m) if m.kind == RTM_NEWADDR => out.extend(parse_any(m.payload)),
        Some(_) => {}
    })?;
    Ok(out)
}

/// The addresses of interface `index` (the kernel filters by index under strict checking; the
/// answer is filtered again here for kernels without it).
pub fn list(nl: &mut Netlink, index: u32) -> NlResult<Vec<IfAddr>> {
    let mut out = Vec::new();
    let make = || {
        let mut m = AddressMessage::default();
        m.header.index = index;
        RouteNetlinkMessage::GetAddress(m)
    };
    nl.dump_retry(&make, &mut |m| match m {
        None => out.clear(),
        Some(m) if m.kind == RTM_NEWADDR => out.extend(parse(m.payload, index)),
        Some(_) => {}
    })?;
    Ok(out)
}

/// The message naming one address of one interface (IFA_LOCAL + IFA_ADDRESS for IPv4,
/// IFA_ADDRESS for IPv6), for adding or removing it.
fn message(index: u32, a: IfAddr) -> AddressMessage {
    let mut m = AddressMessage::default();
    m.header.index = index;
    m.header.prefix_len = a.prefix_len;
    m.header.family = if a.addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    if a.addr.is_ipv4() {
        m.attributes.push(AddressAttribute::Local(a.addr));
    }
    m.attributes.push(AddressAttribute::Address(a.addr));
    m
}

/// Adds an address.
pub fn add(nl: &mut Netlink, index: u32, a: IfAddr) -> NlResult<()> {
    nl.ack(
        RouteNetlinkMessage::NewAddress(message(index, a)),
        NLM_F_CREATE | NLM_F_EXCL,
    )
}

/// Removes an address (RTM_DELADDR; the kernel matches address and prefix length). The kernel
/// answers EADDRNOTAVAIL when the interface does not carry it.
pub fn del(nl: &mut Netlink, index: u32, a: IfAddr) -> NlResult<()> {
    nl.ack(RouteNetlinkMessage::DelAddress(message(index, a)), 0)
}

/// Adds a route through interface `index` to the main table (RTM_NEWROUTE, NLM_F_EXCL: an
/// existing route is EEXIST). Without a gateway the destination is on the link (scope link).
pub fn add_route(nl: &mut Netlink, index: u32, r: &IfRoute) -> NlResult<()> {
    let mut m = RouteMessage::default();
    m.header.address_family = if r.dst.addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    m.header.destination_prefix_length = r.dst.prefix_len;
    m.header.table = RouteHeader::RT_TABLE_MAIN;
    m.header.protocol = RouteProtocol::Boot;
    m.header.kind = RouteType::Unicast;
    m.header.scope = if r.gateway.is_some() {
        RouteScope::Universe
    } else {
        RouteScope::Link
    };
    if r.dst.prefix_len > 0 {
        m.attributes
            .push(RouteAttribute::Destination(RouteAddress::from(r.dst.addr)));
    }
    if let Some(g) = r.gateway {
        m.attributes
            .push(RouteAttribute::Gateway(RouteAddress::from(g)));
    }
    m.attributes.push(RouteAttribute::Oif(index));
    if let Some(p) = r.metric {
        m.attributes.push(RouteAttribute::Priority(p));
    }
    nl.ack(RouteNetlinkMessage::NewRoute(m), NLM_F_CREATE | NLM_F_EXCL)
}
