//! dummy: no parameters.

use netlink_packet_route::link::{InfoKind, LinkInfo};

use crate::model::KindInfo;

pub fn parse() -> KindInfo {
    KindInfo::Dummy
}

pub fn info() -> Vec<LinkInfo> {
    vec![LinkInfo::Kind(InfoKind::Dummy)]
}
