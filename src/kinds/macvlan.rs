//! macvlan and macvtap: interfaces with their own MAC on a parent's link (macvtap adds a tap
//! fd, for VMs).

use super::{always_valid, native_or_recreate, Keyword, KindDesc};
use crate::model::{IfName, KindInfo, KindName, KindSpec, LinkRef};

static KEYWORDS: &[Keyword] = &[
    Keyword {
        word: "macvlandev",
        value: Some("IF"),
        help: "the parent interface",
    },
    Keyword {
        word: "macvlanmode",
        value: Some("MODE"),
        help: "private, vepa, bridge (the default), passthru or source",
    },
];

pub(super) static MACVLAN: KindDesc = KindDesc {
    kind: KindName::Macvlan,
    name: "macvlan",
    aliases: &[],
    summary: "an interface with its own MAC address on a parent's link",
    moves: native_or_recreate(KindName::Macvlan, false),
    ports: false,
    on_parent: true,
    fds: false,
    keywords: KEYWORDS,
    validate: always_valid,
    spec_of,
    link,
    lower: link,
    set_lower_name,
    parent,
};

pub(super) static MACVTAP: KindDesc = KindDesc {
    kind: KindName::Macvtap,
    name: "macvtap",
    aliases: &[],
    summary: "a macvlan with a tap file descriptor (for a VM)",
    moves: native_or_recreate(KindName::Macvtap, false),
    ports: false,
    on_parent: true,
    fds: false,
    keywords: KEYWORDS,
    validate: always_valid,
    spec_of,
    link,
    lower: link,
    set_lower_name,
    parent,
};

fn spec_of(k: &KindInfo) -> Option<KindSpec> {
    match k {
        KindInfo::Macvlan { parent, mode } => Some(KindSpec::Macvlan {
            parent: parent.as_ref()?.name?,
            mode: *mode,
        }),
        KindInfo::Macvtap { parent, mode } => Some(KindSpec::Macvtap {
            parent: parent.as_ref()?.name?,
            mode: *mode,
        }),
        _ => None,
    }
}

fn link(k: &KindInfo) -> Option<&LinkRef> {
    match k {
        KindInfo::Macvlan { parent, .. } | KindInfo::Macvtap { parent, .. } => parent.as_ref(),
        _ => None,
    }
}

fn set_lower_name(k: &mut KindInfo, name: IfName) {
    if let KindInfo::Macvlan {
        parent: Some(l), ..
    }
    | KindInfo::Macvtap {
        parent: Some(l), ..
    } = k
    {
        l.name = Some(name);
    }
}

fn parent(s: &KindSpec) -> Option<IfName> {
    match s {
        KindSpec::Macvlan { parent, .. } | KindSpec::Macvtap { parent, .. } => Some(*parent),
        _ => None,
    }
}
