//! bond (ifclone's lagg): no parameters modelled.

use netlink_packet_route::link::{InfoKind, LinkInfo};

use crate::model::KindInfo;

pub fn parse() -> KindInfo {
    KindInfo::Bond
}

pub fn info() -> Vec<LinkInfo> {
    vec![LinkInfo::Kind(InfoKind::Bond)]
}

pub static OPS: super::LinuxKind = super::LinuxKind {
    kind: crate::model::KindName::Bond,
    kernel_kind: Some("bond"),
    rtnl: Some(super::Rtnl {
        name: "bond",
        info: InfoKind::Bond,
        module: "bonding",
    }),
    make: super::Make::Rtnl,
    netns_local: false,
    encode: |_, _| info(),
    decode: |_, _| parse(),
};
