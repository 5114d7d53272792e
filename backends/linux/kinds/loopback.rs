//! lo: every netns has exactly one, made by the kernel with the netns; it has no IFLA_INFO_KIND
//! (recognised by IFF_LOOPBACK) and cannot be created, destroyed or moved.

use crate::model::KindInfo;

pub static OPS: super::LinuxKind = super::LinuxKind {
    kind: crate::model::KindName::Loopback,
    kernel_kind: None,
    rtnl: None,
    make: super::Make::Never("Linux cannot create another loopback"),
    netns_local: true,
    encode: super::no_encode,
    decode: |_, _| KindInfo::Loopback,
};
