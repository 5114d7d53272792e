//! macvlan: IFLA_MACVLAN_MODE; the parent is IFLA_LINK.

use netlink_packet_route::link::{InfoData, InfoKind, InfoMacVlan, LinkInfo, MacVlanMode};

use super::{nlas, u32_of, LinkCtx};
use crate::model::{KindInfo, MacvlanMode};

const IFLA_MACVLAN_MODE: u16 = 1;

/// The mode in IFLA_MACVLAN_MODE (shared with macvtap).
pub fn parse_mode(data: &[u8]) -> MacvlanMode {
    for a in nlas(data) {
        if a.kind() == IFLA_MACVLAN_MODE {
            return match u32_of(a.value()).unwrap_or(4) {
                1 => MacvlanMode::Private,
                2 => MacvlanMode::Vepa,
                8 => MacvlanMode::Passthru,
                16 => MacvlanMode::Source,
                _ => MacvlanMode::Bridge,
            };
        }
    }
    MacvlanMode::Bridge
}

pub fn mode_of(m: MacvlanMode) -> MacVlanMode {
    match m {
        MacvlanMode::Private => MacVlanMode::Private,
        MacvlanMode::Vepa => MacVlanMode::Vepa,
        MacvlanMode::Bridge => MacVlanMode::Bridge,
        MacvlanMode::Passthru => MacVlanMode::Passthrough,
        MacvlanMode::Source => MacVlanMode::Source,
    }
}

pub fn parse(data: &[u8], ctx: LinkCtx) -> KindInfo {
    KindInfo::Macvlan {
        parent: ctx.link_ref(),
        mode: parse_mode(data),
    }
}

pub fn info(mode: MacvlanMode) -> Vec<LinkInfo> {
    vec![
        LinkInfo::Kind(InfoKind::MacVlan),
        LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::Mode(mode_of(mode))])),
    ]
}

pub static OPS: super::LinuxKind = super::LinuxKind {
    kind: crate::model::KindName::Macvlan,
    kernel_kind: Some("macvlan"),
    rtnl: Some(super::Rtnl {
        name: "macvlan",
        info: InfoKind::MacVlan,
        module: "macvlan",
    }),
    make: super::Make::Rtnl,
    netns_local: false,
    encode: |s, _| match s {
        crate::model::KindSpec::Macvlan { mode, .. } => info(*mode),
        _ => Vec::new(),
    },
    decode: parse,
};
