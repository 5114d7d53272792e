//! dummy: no parameters.

use netlink_packet_route::link::{InfoKind, LinkInfo};

use crate::model::KindInfo;

pub fn parse() -> KindInfo {
    KindInfo::Dummy
}

pub fn info() -> Vec<LinkInfo> {
    vec![LinkInfo::Kind(InfoKind::Dummy)]
}

pub static OPS: super::LinuxKind = super::LinuxKind {
    kind: crate::model::KindName::Dummy,
    kernel_kind: Some("dummy"),
    rtnl: Some(super::Rtnl {
        name: "dummy",
        info: InfoKind::Dummy,
        module: "dummy",
    }),
    make: super::Make::Rtnl,
    netns_local: false,
    encode: |_, _| info(),
    decode: |_, _| parse(),
};
