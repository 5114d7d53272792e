//! macvlan and macvtap: interfaces with their own MAC on a parent's link (macvtap adds a tap
//! fd, for VMs).

use super::{always_valid, native_or_recreate, Keyword, KindDesc, Words};
use crate::model::{IfName, KindInfo, KindName, KindSpec, LinkRef, MacvlanMode};

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

pub(super) static MACVLAN: KindDesc = on_a_parent(
    KindName::Macvlan,
    "macvlan",
    "an interface with its own MAC address on a parent's link",
);

pub(super) static MACVTAP: KindDesc = on_a_parent(
    KindName::Macvtap,
    "macvtap",
    "a macvlan with a tap file descriptor (for a VM)",
);

/// macvlan and macvtap share their parameters, moves and hooks.
const fn on_a_parent(kind: KindName, name: &'static str, summary: &'static str) -> KindDesc {
    KindDesc {
        kind,
        name,
        aliases: &[],
        summary,
        moves: native_or_recreate(kind, false),
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
        from_words,
    }
}

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

fn from_words(w: &Words) -> Result<KindSpec, String> {
    let parent = w.need(w.name("macvlandev")?, "macvlandev")?;
    let mode = w
        .parse_with(
            "macvlanmode",
            MacvlanMode::parse,
            "private, vepa, bridge, passthru or source",
        )?
        .unwrap_or_default();
    match w.kind {
        KindName::Macvtap => Ok(KindSpec::Macvtap { parent, mode }),
        _ => Ok(KindSpec::Macvlan { parent, mode }),
    }
}
