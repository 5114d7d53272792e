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

pub static OPS: super::LinuxKind = super::LinuxKind {
    kind: crate::model::KindName::Macvtap,
    kernel_kind: Some("macvtap"),
    rtnl: Some(super::Rtnl {
        name: "macvtap",
        info: InfoKind::MacVtap,
        module: "macvtap",
    }),
    make: super::Make::Rtnl,
    netns_local: false,
    encode: |s, _| match s {
        crate::model::KindSpec::Macvtap { mode, .. } => info(*mode),
        _ => Vec::new(),
    },
    decode: parse,
};
