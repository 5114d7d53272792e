//! bridge: no parameters modelled. A bridge is netns-local (it cannot be moved natively).

use netlink_packet_route::link::{InfoKind, LinkInfo};

use crate::model::KindInfo;

pub fn parse() -> KindInfo {
    KindInfo::Bridge
}

pub fn info() -> Vec<LinkInfo> {
    vec![LinkInfo::Kind(InfoKind::Bridge)]
}

pub static OPS: super::LinuxKind = super::LinuxKind {
    kind: crate::model::KindName::Bridge,
    kernel_kind: Some("bridge"),
    rtnl: Some(super::Rtnl {
        name: "bridge",
        info: InfoKind::Bridge,
        module: "bridge",
    }),
    make: super::Make::Rtnl,
    netns_local: true,
    encode: |_, _| info(),
    decode: |_, _| parse(),
};
