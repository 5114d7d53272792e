//! vxlan: VNI, underlay device, local/remote or group address, UDP port.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_route::link::{InfoData, InfoKind, InfoVxlan, LinkInfo};

use super::{link_ref, nlas, u16_be, u32_of, LinkCtx};
use crate::model::{KindInfo, VxlanParams};

const IFLA_VXLAN_ID: u16 = 1;
const IFLA_VXLAN_GROUP: u16 = 2;
const IFLA_VXLAN_LINK: u16 = 3;
const IFLA_VXLAN_LOCAL: u16 = 4;
const IFLA_VXLAN_PORT: u16 = 15;
const IFLA_VXLAN_GROUP6: u16 = 16;
const IFLA_VXLAN_LOCAL6: u16 = 17;

fn ip(v: &[u8]) -> Option<IpAddr> {
    match v.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3]))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(v).ok()?))),
        _ => None,
    }
}

pub fn parse(data: &[u8], ctx: LinkCtx) -> KindInfo {
    let mut p = VxlanParams::default();
    for a in nlas(data) {
        let v = a.value();
        match a.kind() {
            IFLA_VXLAN_ID => p.vni = u32_of(v).unwrap_or(0),
            IFLA_VXLAN_GROUP | IFLA_VXLAN_GROUP6 => {
                if let Some(addr) = ip(v).filter(|a| !a.is_unspecified()) {
                    if addr.is_multicast() {
                        p.group = Some(addr);
                    } else {
                        p.remote = Some(addr);
                    }
                }
            }
            IFLA_VXLAN_LOCAL | IFLA_VXLAN_LOCAL6 => p.local = ip(v).filter(|a| !a.is_unspecified()),
            IFLA_VXLAN_LINK => p.parent = u32_of(v).and_then(|i| link_ref(i, ctx.netnsid)),
            IFLA_VXLAN_PORT => p.port = u16_be(v),
            _ => {}
        }
    }
    KindInfo::Vxlan(Box::new(p))
}

/// IFLA_LINKINFO for a vxlan; `dev` is the underlay's index, resolved by the caller.
pub fn info(p: &VxlanParams, dev: Option<u32>) -> Vec<LinkInfo> {
    let mut d = vec![InfoVxlan::Id(p.vni)];
    for a in [p.remote, p.group].into_iter().flatten() {
        d.push(match a {
            IpAddr::V4(a) => InfoVxlan::Group(a),
            IpAddr::V6(a) => InfoVxlan::Group6(a),
        });
    }
    if let Some(l) = p.local {
        d.push(match l {
            IpAddr::V4(a) => InfoVxlan::Local(a),
            IpAddr::V6(a) => InfoVxlan::Local6(a),
        });
    }
    if let Some(i) = dev {
        d.push(InfoVxlan::Link(i));
    }
    if let Some(port) = p.port {
        d.push(InfoVxlan::Port(port));
    }
    vec![
        LinkInfo::Kind(InfoKind::Vxlan),
        LinkInfo::Data(InfoData::Vxlan(d)),
    ]
}

pub static OPS: super::LinuxKind = super::LinuxKind {
    kind: crate::model::KindName::Vxlan,
    kernel_kind: Some("vxlan"),
    rtnl: Some(super::Rtnl {
        name: "vxlan",
        info: InfoKind::Vxlan,
        module: "vxlan",
    }),
    make: super::Make::Rtnl,
    netns_local: false,
    encode: |s, e| match s {
        crate::model::KindSpec::Vxlan(p) => info(p, e.parent),
        _ => Vec::new(),
    },
    decode: parse,
};
