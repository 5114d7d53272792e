//! 802.1Q / 802.1ad vlan: IFLA_VLAN_ID, IFLA_VLAN_PROTOCOL; the parent is IFLA_LINK.

use netlink_packet_route::link::{InfoData, InfoKind, InfoVlan, LinkInfo, VlanProtocol};

use super::{nlas, u16_be, u16_of, LinkCtx};
use crate::model::{KindInfo, VlanProto};

const IFLA_VLAN_ID: u16 = 1;
const IFLA_VLAN_PROTOCOL: u16 = 5;

pub fn parse(data: &[u8], ctx: LinkCtx) -> KindInfo {
    let (mut id, mut proto) = (0, VlanProto::Dot1Q);
    for a in nlas(data) {
        match a.kind() {
            IFLA_VLAN_ID => id = u16_of(a.value()).unwrap_or(0),
            IFLA_VLAN_PROTOCOL => {
                proto = u16_be(a.value())
                    .and_then(VlanProto::from_ethertype)
                    .unwrap_or_default()
            }
            _ => {}
        }
    }
    KindInfo::Vlan {
        parent: ctx.link_ref(),
        id,
        proto,
    }
}

pub fn info(id: u16, proto: VlanProto) -> Vec<LinkInfo> {
    let p = match proto {
        VlanProto::Dot1Q => VlanProtocol::Ieee8021Q,
        VlanProto::Dot1Ad => VlanProtocol::Ieee8021Ad,
    };
    vec![
        LinkInfo::Kind(InfoKind::Vlan),
        LinkInfo::Data(InfoData::Vlan(vec![
            InfoVlan::Id(id),
            InfoVlan::Protocol(p),
        ])),
    ]
}

pub static OPS: super::LinuxKind = super::LinuxKind {
    kind: crate::model::KindName::Vlan,
    kernel_kind: Some("vlan"),
    rtnl: Some(super::Rtnl {
        name: "vlan",
        info: InfoKind::Vlan,
        module: "8021q",
    }),
    make: super::Make::Rtnl,
    netns_local: false,
    encode: |s, _| match s {
        crate::model::KindSpec::Vlan { id, proto, .. } => info(*id, *proto),
        _ => Vec::new(),
    },
    decode: parse,
};
