//! epair (Linux: veth): two interfaces joined back to back; the b end may be placed in another
//! stack at creation (`peervnet`).

use super::{always_valid, native_or_recreate, Keyword, KindDesc, Words};
use crate::model::{IfName, KindInfo, KindName, KindSpec, LinkRef};

pub(super) static DESC: KindDesc = KindDesc {
    kind: KindName::Epair,
    name: "epair",
    aliases: &["veth"],
    summary: "a pair of interfaces joined back to back (Linux veth)",
    moves: native_or_recreate(KindName::Epair, false),
    ports: false,
    on_parent: false,
    fds: false,
    keywords: &[
        Keyword {
            word: "peer",
            value: Some("NAME"),
            help: "the b end's name",
        },
        Keyword {
            word: "peervnet",
            value: Some("STACK"),
            help: "the b end goes straight into STACK",
        },
    ],
    validate: always_valid,
    spec_of,
    link,
    lower: link,
    set_lower_name,
    parent: super::no_parent,
    from_words,
};

fn spec_of(_: &KindInfo) -> Option<KindSpec> {
    Some(KindSpec::Epair { peer_name: None })
}

fn link(k: &KindInfo) -> Option<&LinkRef> {
    match k {
        KindInfo::Epair { peer } => peer.as_ref(),
        _ => None,
    }
}

fn set_lower_name(k: &mut KindInfo, name: IfName) {
    if let KindInfo::Epair { peer: Some(l) } = k {
        l.name = Some(name);
    }
}

fn from_words(w: &Words) -> Result<KindSpec, String> {
    if w.get("peervnet").is_some() {
        return Err(
            "peervnet names a stack: the b end is placed by the create call (Stack::create_placed)"
                .into(),
        );
    }
    Ok(KindSpec::Epair {
        peer_name: w.name("peer")?,
    })
}
