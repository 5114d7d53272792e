//! vxlan: an Ethernet segment tunnelled over UDP, optionally bound to an underlay device.

use super::{native_or_recreate, no_link, Keyword, KindDesc, Words};
use crate::model::{IfName, KindInfo, KindName, KindSpec, LinkRef, VxlanParams};

pub(super) static DESC: KindDesc = KindDesc {
    kind: KindName::Vxlan,
    name: "vxlan",
    aliases: &[],
    summary: "an Ethernet segment tunnelled over UDP",
    // One vxlan per (vni, port, dev) in a stack: the copy is made in another stack, so it may
    // coexist.
    moves: native_or_recreate(KindName::Vxlan, false),
    ports: false,
    on_parent: false,
    fds: false,
    keywords: &[
        Keyword {
            word: "vxlanid",
            value: Some("N"),
            help: "the VNI, 0..=16777215",
        },
        Keyword {
            word: "vxlanlocal",
            value: Some("IP"),
            help: "the local address",
        },
        Keyword {
            word: "vxlanremote",
            value: Some("IP"),
            help: "the remote (not with vxlangroup)",
        },
        Keyword {
            word: "vxlangroup",
            value: Some("IP"),
            help: "the multicast group",
        },
        Keyword {
            word: "vxlandev",
            value: Some("IF"),
            help: "the underlying interface",
        },
        Keyword {
            word: "vxlanport",
            value: Some("N"),
            help: "the UDP port",
        },
    ],
    validate,
    spec_of,
    // Its underlay is not a link in the epair/vlan sense (the record keeps it in the params).
    link: no_link,
    lower,
    set_lower_name,
    parent,
    from_words,
};

fn validate(s: &KindSpec) -> Result<(), String> {
    match s {
        KindSpec::Vxlan(p) if p.vni >= 1 << 24 => Err(format!("vni {} is over 24 bits", p.vni)),
        KindSpec::Vxlan(p) if p.remote.is_some() && p.group.is_some() => {
            Err("vxlan takes a remote or a group, not both".into())
        }
        _ => Ok(()),
    }
}

fn spec_of(k: &KindInfo) -> Option<KindSpec> {
    match k {
        KindInfo::Vxlan(p) => Some(KindSpec::Vxlan(p.clone())),
        _ => None,
    }
}

fn lower(k: &KindInfo) -> Option<&LinkRef> {
    match k {
        KindInfo::Vxlan(p) => p.parent.as_ref(),
        _ => None,
    }
}

fn set_lower_name(k: &mut KindInfo, name: IfName) {
    if let KindInfo::Vxlan(p) = k {
        if let Some(l) = p.parent.as_mut() {
            l.name = Some(name);
            p.dev = Some(name);
        }
    }
}

fn parent(s: &KindSpec) -> Option<IfName> {
    match s {
        KindSpec::Vxlan(p) => p.dev,
        _ => None,
    }
}

fn from_words(w: &Words) -> Result<KindSpec, String> {
    Ok(KindSpec::Vxlan(Box::new(VxlanParams {
        vni: w.need(w.parse("vxlanid")?, "vxlanid")?,
        dev: w.name("vxlandev")?,
        local: w.parse("vxlanlocal")?,
        remote: w.parse("vxlanremote")?,
        group: w.parse("vxlangroup")?,
        port: w.parse("vxlanport")?,
        parent: None,
    })))
}
