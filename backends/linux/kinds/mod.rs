//! The Linux half of the kind registry: one file per kind with its ops entry ([`LinuxKind`],
//! the counterpart of the kernel's `struct rtnl_link_ops`): how the kind is made, how to build
//! its IFLA_LINKINFO for creation and how to read its IFLA_INFO_DATA back into a [`KindInfo`].
//! The neutral half (names, parameters, moves) is `src/kinds/`.

use std::os::fd::RawFd;

use netlink_packet_core::{NlaBuffer, NlasIterator, NLA_TYPE_MASK};
use netlink_packet_route::link::{InfoKind, LinkInfo};

use crate::model::{IfName, KindInfo, KindName, KindSpec, LinkRef, LinkStack};

pub mod bond;
pub mod bridge;
pub mod dummy;
pub mod loopback;
pub mod macvlan;
pub mod macvtap;
pub mod tuntap;
pub mod veth;
pub mod vlan;
pub mod vxlan;

/// This backend's ops for every kind, in the registry's order.
pub static TABLE: &[&LinuxKind] = &[
    &veth::OPS,
    &vlan::OPS,
    &tuntap::TAP,
    &tuntap::TUN,
    &bridge::OPS,
    &macvlan::OPS,
    &macvtap::OPS,
    &vxlan::OPS,
    &loopback::OPS,
    &bond::OPS,
    &dummy::OPS,
];

/// One kind's Linux operations.
pub struct LinuxKind {
    pub kind: KindName,
    /// The IFLA_INFO_KIND the kernel lists it with (`None`: lo, which has none).
    pub kernel_kind: Option<&'static str>,
    /// Made over rtnetlink: its IFLA_INFO_KIND. `None` for tun/tap and lo.
    pub rtnl: Option<Rtnl>,
    pub make: Make,
    /// The kernel refuses to move it to another netns (NETIF_F_NETNS_LOCAL: bridge, lo).
    pub netns_local: bool,
    /// Its IFLA_LINKINFO for an RTM_NEWLINK (rtnetlink kinds only).
    pub encode: fn(&KindSpec, &Encode) -> Vec<LinkInfo>,
    /// Its [`KindInfo`] from IFLA_INFO_DATA and the link message's IFLA_LINK.
    pub decode: fn(&[u8], LinkCtx) -> KindInfo,
}

/// A kind's rtnetlink identity.
pub struct Rtnl {
    /// IFLA_INFO_KIND, also the prefix of the names the kernel-style numbering gives it.
    pub name: &'static str,
    pub info: InfoKind,
    /// The module that provides it (named when the kernel does not know the kind).
    pub module: &'static str,
}

/// How the kind is made on Linux.
pub enum Make {
    /// RTM_NEWLINK with the kind's IFLA_LINKINFO.
    Rtnl,
    /// TUNSETIFF on /dev/net/tun.
    TunDevice { tap: bool },
    /// It cannot be made; why.
    Never(&'static str),
}

/// What a create request resolved before its IFLA_LINKINFO is built.
#[derive(Default)]
pub struct Encode {
    /// An epair's peer name and the netns fd it goes to (`None`: the requesting socket's).
    pub peer: Option<IfName>,
    pub peer_ns: Option<RawFd>,
    pub mtu: Option<u32>,
    /// The parent's / underlay's index.
    pub parent: Option<u32>,
}

/// The encoder of kinds not made over rtnetlink.
pub fn no_encode(_: &KindSpec, _: &Encode) -> Vec<LinkInfo> {
    Vec::new()
}

/// The ops of a kind.
pub fn ops(k: KindName) -> &'static LinuxKind {
    TABLE
        .iter()
        .copied()
        .find(|o| o.kind == k)
        .expect("every KindName has Linux ops (tests::table_covers_every_kind)")
}

/// What the generic part of a link message says about the interface's link: IFLA_LINK and
/// IFLA_LINK_NETNSID.
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkCtx {
    pub link: Option<u32>,
    pub netnsid: Option<i32>,
}

impl LinkCtx {
    /// The reference to IFLA_LINK; the name is filled later when it is in the same stack.
    pub fn link_ref(&self) -> Option<LinkRef> {
        link_ref(self.link?, self.netnsid)
    }
}

/// A reference to index `index`, in another stack when `netnsid` is set.
pub fn link_ref(index: u32, netnsid: Option<i32>) -> Option<LinkRef> {
    if index == 0 {
        return None;
    }
    Some(LinkRef {
        index: Some(index),
        name: None,
        stack: match netnsid {
            Some(id) => LinkStack::Other { id: Some(id) },
            None => LinkStack::Same,
        },
    })
}

/// One attribute: its type (flags masked off) and its value.
pub struct Attr<'a> {
    kind: u16,
    value: &'a [u8],
}

impl<'a> Attr<'a> {
    pub fn kind(&self) -> u16 {
        self.kind
    }
    pub fn value(&self) -> &'a [u8] {
        self.value
    }
}

/// Iterates the attributes of a (nested) payload, skipping malformed ones.
pub fn nlas(data: &[u8]) -> impl Iterator<Item = Attr<'_>> {
    NlasIterator::new(data).filter_map(|r| {
        let b: NlaBuffer<&[u8]> = r.ok()?;
        let kind = b.kind() & NLA_TYPE_MASK;
        let len = b.length() as usize;
        let raw = b.into_inner();
        Some(Attr {
            kind,
            value: raw.get(4..len)?,
        })
    })
}

pub fn u8_of(v: &[u8]) -> Option<u8> {
    v.first().copied()
}
pub fn u16_of(v: &[u8]) -> Option<u16> {
    Some(u16::from_ne_bytes(v.get(..2)?.try_into().ok()?))
}
pub fn u16_be(v: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(v.get(..2)?.try_into().ok()?))
}
pub fn u32_of(v: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(v.get(..4)?.try_into().ok()?))
}
pub fn i32_of(v: &[u8]) -> Option<i32> {
    Some(i32::from_ne_bytes(v.get(..4)?.try_into().ok()?))
}

/// Turns IFLA_INFO_KIND (+ IFLA_INFO_DATA) into a [`KindInfo`]. `loopback` is set for the
/// loopback device (which has no kind).
pub fn parse(kind: Option<&[u8]>, data: Option<&[u8]>, ctx: LinkCtx, loopback: bool) -> KindInfo {
    let data = data.unwrap_or(&[]);
    // IFLA_INFO_KIND is NUL-terminated.
    let kind = kind.map(|k| &k[..k.iter().position(|&b| b == 0).unwrap_or(k.len())]);
    match kind {
        None if loopback => KindInfo::Loopback,
        None => KindInfo::Other(None),
        Some(k) => match TABLE
            .iter()
            .find(|o| o.kernel_kind.is_some_and(|n| n.as_bytes() == k))
        {
            Some(o) => (o.decode)(data, ctx),
            None => match std::str::from_utf8(k) {
                Ok("") | Err(_) => KindInfo::Other(None),
                Ok(s) => KindInfo::Other(Some(s.into())),
            },
        },
    }
}

/// The rtnetlink kind string of a kind that is created over rtnetlink.
pub fn rtnl_kind(k: KindName) -> Option<&'static str> {
    ops(k).rtnl.as_ref().map(|r| r.name)
}

/// Resolves the names of links in the same stack from a listing (sorted by index).
pub fn fill_names(ifaces: &mut [crate::model::Interface]) {
    let lookup = |ifs: &[crate::model::Interface], idx: u32| -> Option<IfName> {
        ifs.binary_search_by_key(&idx, |i| i.index)
            .ok()
            .map(|p| ifs[p].name)
    };
    for n in 0..ifaces.len() {
        let Some(l) = ifaces[n].kind.lower().copied() else {
            continue;
        };
        if l.stack != LinkStack::Same || l.name.is_some() {
            continue;
        }
        let Some(name) = l.index.and_then(|i| lookup(ifaces, i)) else {
            continue;
        };
        ifaces[n].kind.set_lower_name(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_covers_every_kind_once_in_order() {
        assert_eq!(TABLE.len(), KindName::ALL.len());
        for (o, k) in TABLE.iter().zip(KindName::ALL) {
            assert_eq!(o.kind, k);
            assert_eq!(o.rtnl.is_some(), matches!(o.make, Make::Rtnl), "{k}");
        }
    }
}
