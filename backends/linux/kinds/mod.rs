//! One file per kind: how to build its IFLA_LINKINFO for creation and how to read its
//! IFLA_INFO_DATA back into a [`KindInfo`].

use netlink_packet_core::{NlaBuffer, NlasIterator, NLA_TYPE_MASK};

use crate::model::{IfName, KindInfo, LinkRef, LinkStack};

pub mod bond;
pub mod bridge;
pub mod dummy;
pub mod macvlan;
pub mod macvtap;
pub mod tuntap;
pub mod veth;
pub mod vlan;
pub mod vxlan;

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
        Some(b"veth") => veth::parse(ctx),
        Some(b"vlan") => vlan::parse(data, ctx),
        Some(b"tun") => tuntap::parse(data),
        Some(b"bridge") => bridge::parse(),
        Some(b"macvlan") => macvlan::parse(data, ctx),
        Some(b"macvtap") => macvtap::parse(data, ctx),
        Some(b"vxlan") => vxlan::parse(data, ctx),
        Some(b"bond") => bond::parse(),
        Some(b"dummy") => dummy::parse(),
        None if loopback => KindInfo::Loopback,
        None => KindInfo::Other(None),
        Some(k) => match std::str::from_utf8(k) {
            Ok("") | Err(_) => KindInfo::Other(None),
            Ok(s) => KindInfo::Other(Some(s.into())),
        },
    }
}

/// The rtnetlink kind string of a kind that is created over rtnetlink.
pub fn rtnl_kind(k: crate::model::KindName) -> Option<&'static str> {
    use crate::model::KindName as K;
    Some(match k {
        K::Epair => "veth",
        K::Vlan => "vlan",
        K::Bridge => "bridge",
        K::Macvlan => "macvlan",
        K::Macvtap => "macvtap",
        K::Vxlan => "vxlan",
        K::Bond => "bond",
        K::Dummy => "dummy",
        K::Tap | K::Tun | K::Loopback => return None,
    })
}

/// Resolves the names of links in the same stack from a listing (sorted by index).
pub fn fill_names(ifaces: &mut [crate::model::Interface]) {
    let lookup = |ifs: &[crate::model::Interface], idx: u32| -> Option<IfName> {
        ifs.binary_search_by_key(&idx, |i| i.index)
            .ok()
            .map(|p| ifs[p].name)
    };
    for n in 0..ifaces.len() {
        let Some(l) = link_of(&ifaces[n].kind).copied() else {
            continue;
        };
        if l.stack != LinkStack::Same || l.name.is_some() {
            continue;
        }
        let Some(name) = l.index.and_then(|i| lookup(ifaces, i)) else {
            continue;
        };
        set_link_name(&mut ifaces[n].kind, name);
    }
}

/// The interface's peer or parent, including a vxlan's underlay device.
pub fn link_of(k: &KindInfo) -> Option<&LinkRef> {
    match k {
        KindInfo::Vxlan(p) => p.parent.as_ref(),
        k => k.link(),
    }
}

/// Sets the name of the interface's link (peer or parent).
pub fn set_link_name(k: &mut KindInfo, name: IfName) {
    match k {
        KindInfo::Epair { peer: Some(l) }
        | KindInfo::Vlan {
            parent: Some(l), ..
        }
        | KindInfo::Macvlan {
            parent: Some(l), ..
        }
        | KindInfo::Macvtap {
            parent: Some(l), ..
        } => l.name = Some(name),
        KindInfo::Vxlan(p) => {
            if let Some(l) = p.parent.as_mut() {
                l.name = Some(name);
                p.dev = Some(name);
            }
        }
        _ => {}
    }
}
