//! bond (ifclone's lagg): no parameters modelled.

use netlink_packet_route::link::{InfoKind, LinkInfo};

use crate::model::KindInfo;

pub fn parse() -> KindInfo {
    KindInfo::Bond
}

pub fn info() -> Vec<LinkInfo> {
    vec![LinkInfo::Kind(InfoKind::Bond)]
}
