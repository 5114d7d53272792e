//! bridge: no parameters modelled. A bridge is netns-local (it cannot be moved natively).

use netlink_packet_route::link::{InfoKind, LinkInfo};

use crate::model::KindInfo;

pub fn parse() -> KindInfo {
    KindInfo::Bridge
}

pub fn info() -> Vec<LinkInfo> {
    vec![LinkInfo::Kind(InfoKind::Bridge)]
}
