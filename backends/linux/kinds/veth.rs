//! veth (ifclone's epair): the peer is IFLA_LINK (+ IFLA_LINK_NETNSID when it lives elsewhere).

use std::os::fd::RawFd;

use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo, LinkMessage,
};

use super::LinkCtx;
use crate::model::{IfName, KindInfo};

pub fn parse(ctx: LinkCtx) -> KindInfo {
    KindInfo::Epair {
        peer: ctx.link_ref(),
    }
}

/// IFLA_LINKINFO for a veth whose peer is `peer`, created in the netns `peer_ns` when given
/// (else in the netns of the requesting socket), with MTU `mtu` when given.
pub fn info(
    peer: IfName,
    peer_ns: Option<RawFd>,
    mtu: Option<u32>,
    mac: Option<crate::model::Mac>,
) -> Vec<LinkInfo> {
    let mut p = LinkMessage::default();
    p.attributes.push(LinkAttribute::IfName(peer.to_string()));
    if let Some(fd) = peer_ns {
        p.attributes.push(LinkAttribute::NetNsFd(fd));
    }
    if let Some(m) = mtu {
        p.attributes.push(LinkAttribute::Mtu(m));
    }
    if let Some(m) = mac {
        p.attributes.push(LinkAttribute::Address(m.0.to_vec()));
    }
    vec![
        LinkInfo::Kind(InfoKind::Veth),
        LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(p))),
    ]
}

/// The peer name for an explicitly named epair without a peer name: a trailing `a` becomes `b`
/// (`left-a` → `left-b`), else `b` is appended (`veth0` → `veth0b`). `None` if that would be
/// longer than 15 bytes.
pub fn derive_peer_name(name: &IfName) -> Option<IfName> {
    let s = name.as_str();
    let p = match s.strip_suffix('a') {
        Some(stem) => format!("{stem}b"),
        None => format!("{s}b"),
    };
    IfName::new(&p).ok()
}

/// The FreeBSD-style pair `epairNa` / `epairNb` with the lowest N not used by any name in
/// `taken` (names of the stacks involved).
pub fn free_epair_unit<'a>(taken: impl Iterator<Item = &'a str>, from: u32) -> u32 {
    let mut used: Vec<u32> = taken
        .filter_map(|n| n.strip_prefix("epair"))
        .filter_map(|r| r.strip_suffix('a').or_else(|| r.strip_suffix('b')))
        .filter_map(|d| d.parse::<u32>().ok())
        .collect();
    used.sort_unstable();
    used.dedup();
    let mut n = from;
    for u in used {
        if u < n {
            continue;
        }
        if u == n {
            n += 1;
        } else {
            break;
        }
    }
    n
}

pub static OPS: super::LinuxKind = super::LinuxKind {
    kind: crate::model::KindName::Epair,
    kernel_kind: Some("veth"),
    rtnl: Some(super::Rtnl {
        name: "veth",
        info: InfoKind::Veth,
        module: "veth",
    }),
    make: super::Make::Rtnl,
    netns_local: false,
    encode,
    decode: |_, ctx| parse(ctx),
};

fn encode(_: &crate::model::KindSpec, e: &super::Encode) -> Vec<LinkInfo> {
    info(
        e.peer.expect("an epair request has a peer name"),
        e.peer_ns,
        e.mtu,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_names() {
        let n = |s| IfName::new(s).unwrap();
        assert_eq!(derive_peer_name(&n("left-a")).unwrap(), "left-b");
        assert_eq!(derive_peer_name(&n("veth0")).unwrap(), "veth0b");
        assert_eq!(derive_peer_name(&n("a")).unwrap(), "b");
        assert!(derive_peer_name(&n("abcdefghijklmno")).is_none());
        assert_eq!(
            derive_peer_name(&n("abcdefghijklmna")).unwrap(),
            "abcdefghijklmnb"
        );
    }

    #[test]
    fn epair_units() {
        let names = [
            "lo", "epair0a", "epair0b", "epair1b", "epair3a", "epairXa", "epair2",
        ];
        assert_eq!(free_epair_unit(names.iter().copied(), 0), 2);
        assert_eq!(free_epair_unit(names.iter().copied(), 3), 4);
        assert_eq!(free_epair_unit(["eth0"].iter().copied(), 0), 0);
    }
}
