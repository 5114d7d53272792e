//! macvtap: like macvlan (same IFLA_MACVLAN_MODE); its character device /dev/tapN (N = ifindex)
//! is opened by `sys::macvtap_open` after creation.

use netlink_packet_route::link::{InfoData, InfoKind, InfoMacVtap, LinkInfo};

use super::{macvlan, LinkCtx};
use crate::model::{KindInfo, MacvlanMode};

pub fn parse(data: &[u8], ctx: LinkCtx) -> KindInfo {
    KindInfo::Macvtap {
        parent: ctx.link_ref(),
        mode: macvlan::parse_mode(data),
    }
}

pub fn info(mode: MacvlanMode) -> Vec<LinkInfo> {
    vec![
        LinkInfo::Kind(InfoKind::MacVtap),
        LinkInfo::Data(InfoData::MacVtap(vec![InfoMacVtap::Mode(
            macvlan::mode_of(mode),
        )])),
    ]
}
