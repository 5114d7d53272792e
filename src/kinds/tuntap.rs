//! tap and tun: interfaces whose other side is a file descriptor (a VM, a VPN daemon); one fd
//! per queue.

use super::{native_or_recreate, no_link, no_name, no_parent, Keyword, KindDesc, Words};
use crate::model::{KindInfo, KindName, KindSpec};

static QUEUES: &[Keyword] = &[Keyword {
    word: "queues",
    value: Some("N"),
    help: "the number of queues, 1..=256",
}];

pub(super) static TAP: KindDesc = queue_kind(
    KindName::Tap,
    "tap",
    "an Ethernet interface whose other side is a file descriptor",
);

pub(super) static TUN: KindDesc = queue_kind(
    KindName::Tun,
    "tun",
    "an IP interface whose other side is a file descriptor",
);

/// tap and tun differ only in name and frames: the same queues, moves and hooks.
const fn queue_kind(kind: KindName, name: &'static str, summary: &'static str) -> KindDesc {
    KindDesc {
        kind,
        name,
        aliases: &[],
        summary,
        moves: native_or_recreate(kind, false),
        ports: false,
        on_parent: false,
        fds: true,
        keywords: QUEUES,
        validate,
        spec_of,
        link: no_link,
        lower: no_link,
        set_lower_name: no_name,
        parent: no_parent,
        from_words,
    }
}

fn validate(s: &KindSpec) -> Result<(), String> {
    match s {
        KindSpec::Tap { queues } | KindSpec::Tun { queues } if *queues == 0 || *queues > 256 => {
            Err(format!("queue count {queues} is outside 1..=256"))
        }
        _ => Ok(()),
    }
}

fn spec_of(k: &KindInfo) -> Option<KindSpec> {
    match k {
        KindInfo::Tap { queues } => Some(KindSpec::Tap { queues: *queues }),
        KindInfo::Tun { queues } => Some(KindSpec::Tun { queues: *queues }),
        _ => None,
    }
}

fn from_words(w: &Words) -> Result<KindSpec, String> {
    let queues = w.parse("queues")?.unwrap_or(1);
    match w.kind {
        KindName::Tun => Ok(KindSpec::Tun { queues }),
        _ => Ok(KindSpec::Tap { queues }),
    }
}
