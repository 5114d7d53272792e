//! vlan: an 802.1Q / 802.1ad tagged interface on a parent.

use super::{native_or_recreate, Keyword, KindDesc, Words};
use crate::model::{IfName, KindInfo, KindName, KindSpec, LinkRef, VlanProto};

pub(super) static DESC: KindDesc = KindDesc {
    kind: KindName::Vlan,
    name: "vlan",
    aliases: &[],
    summary: "an 802.1Q / 802.1ad tagged interface on a parent",
    // Exclusive: a vlan id is unique per parent, so the copy cannot exist beside the source.
    moves: native_or_recreate(KindName::Vlan, true),
    ports: false,
    on_parent: true,
    fds: false,
    keywords: &[
        Keyword {
            word: "vlan",
            value: Some("ID"),
            help: "the tag, 1..=4094 (or the name PARENT.VID)",
        },
        Keyword {
            word: "vlandev",
            value: Some("PARENT"),
            help: "the parent interface",
        },
        Keyword {
            word: "vlanproto",
            value: Some("PROTO"),
            help: "802.1q (the default) or 802.1ad",
        },
    ],
    validate,
    spec_of,
    link,
    lower: link,
    set_lower_name,
    parent,
    from_words,
};

fn validate(s: &KindSpec) -> Result<(), String> {
    match s {
        KindSpec::Vlan { id, .. } if *id == 0 || *id >= 4095 => {
            Err(format!("vlan id {id} is outside 1..=4094"))
        }
        _ => Ok(()),
    }
}

fn spec_of(k: &KindInfo) -> Option<KindSpec> {
    match k {
        KindInfo::Vlan { parent, id, proto } => Some(KindSpec::Vlan {
            parent: parent.as_ref()?.name?,
            id: *id,
            proto: *proto,
        }),
        _ => None,
    }
}

fn link(k: &KindInfo) -> Option<&LinkRef> {
    match k {
        KindInfo::Vlan { parent, .. } => parent.as_ref(),
        _ => None,
    }
}

fn set_lower_name(k: &mut KindInfo, name: IfName) {
    if let KindInfo::Vlan {
        parent: Some(l), ..
    } = k
    {
        l.name = Some(name);
    }
}

fn parent(s: &KindSpec) -> Option<IfName> {
    match s {
        KindSpec::Vlan { parent, .. } => Some(*parent),
        _ => None,
    }
}

fn from_words(w: &Words) -> Result<KindSpec, String> {
    Ok(KindSpec::Vlan {
        parent: w.need(w.name("vlandev")?, "vlandev")?,
        id: w.need(w.parse("vlan")?, "vlan")?,
        proto: w
            .parse_with("vlanproto", VlanProto::parse, "802.1q or 802.1ad")?
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use crate::model::{IfName, KindSpec, VlanProto};

    #[test]
    fn vlan_ids() {
        let v = |id| KindSpec::Vlan {
            parent: IfName::new("eth0").unwrap(),
            id,
            proto: VlanProto::Dot1Q,
        };
        assert!(v(1).validate("create", "x").is_ok());
        assert!(v(4094).validate("create", "x").is_ok());
        assert!(v(0).validate("create", "x").is_err());
        assert!(v(4095).validate("create", "x").is_err());
    }
}
