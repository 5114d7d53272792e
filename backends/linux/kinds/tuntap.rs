//! tun and tap. Created through /dev/net/tun (TUNSETIFF, see `sys::tun_create`), never over
//! rtnetlink (the kernel refuses). Observed as IFLA_INFO_KIND "tun" with IFLA_TUN_TYPE and the
//! queue counts.

use super::{nlas, u32_of, u8_of};
use crate::model::KindInfo;

const IFLA_TUN_TYPE: u16 = 3;
const IFLA_TUN_NUM_QUEUES: u16 = 8;
const IFLA_TUN_NUM_DISABLED_QUEUES: u16 = 9;

/// tun or tap; `queues` = attached + disabled queues, at least 1 (a persistent device with no
/// open fd reports 0 queues).
pub fn parse(data: &[u8]) -> KindInfo {
    let (mut tap, mut q, mut dis) = (false, 0u32, 0u32);
    for a in nlas(data) {
        match a.kind() {
            IFLA_TUN_TYPE => tap = u8_of(a.value()) == Some(super::super::sys::IFF_TAP as u8),
            IFLA_TUN_NUM_QUEUES => q = u32_of(a.value()).unwrap_or(0),
            IFLA_TUN_NUM_DISABLED_QUEUES => dis = u32_of(a.value()).unwrap_or(0),
            _ => {}
        }
    }
    let queues = (q + dis).clamp(1, u16::MAX as u32) as u16;
    if tap {
        KindInfo::Tap { queues }
    } else {
        KindInfo::Tun { queues }
    }
}

pub static TAP: super::LinuxKind = super::LinuxKind {
    kind: crate::model::KindName::Tap,
    kernel_kind: Some("tun"),
    rtnl: None,
    make: super::Make::TunDevice { tap: true },
    netns_local: false,
    encode: super::no_encode,
    decode: |d, _| parse(d),
};

pub static TUN: super::LinuxKind = super::LinuxKind {
    kind: crate::model::KindName::Tun,
    kernel_kind: Some("tun"),
    rtnl: None,
    make: super::Make::TunDevice { tap: false },
    netns_local: false,
    encode: super::no_encode,
    decode: |d, _| parse(d),
};
