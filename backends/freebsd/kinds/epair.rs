//! epair(4): cloner `epair` makes `epairNa` and `epairNb`; the kernel returns only the a name,
//! the b name is derived (trailing `a` → `b`). Destroying either end destroys both.

use super::super::ops::Link;
use super::{clone_create, Made, Undo};
use crate::error::{Error, Result};
use crate::freebsd::names;
use crate::freebsd::origins::{Origin, Recall};
use crate::model::*;

/// Creates an epair. `unit`: ask the kernel for `epair<unit>` (both `epair<unit>a` and
/// `…b` must be free; EEXIST otherwise) instead of letting it choose.
pub fn create(
    on: &super::On<'_>,
    name: Option<IfName>,
    peer_name: Option<IfName>,
    unit: Option<u32>,
) -> Result<Made> {
    let cloner = match unit {
        Some(u) => format!("epair{u}"),
        None => "epair".to_string(),
    };
    let a = clone_create(on, &cloner, None, KindName::Epair)?;
    // Destroying the a end removes the pair.
    let mut undo = Undo::new(*on, a);
    let b = names::epair_peer(a.as_str()).ok_or_else(|| {
        Error::invalid(
            "create",
            a.as_str(),
            "kernel returned an epair name not ending in 'a'",
        )
        .in_stack(on.stack)
    })?;
    let want_b = peer_name.or_else(|| name.map(|n| names::derive_peer(&n)));
    let mut peer = b;
    if let Some(pb) = want_b {
        if pb != b {
            on.name_created(b.as_str(), pb.as_str())?;
            peer = pb;
        }
    }
    let mut iface = a;
    if let Some(n) = name {
        if n != a {
            on.name_created(a.as_str(), n.as_str())?;
            iface = n;
            undo.renamed(n);
        }
    }
    undo.disarm();
    Ok(Made {
        iface,
        peer: Some(peer),
        fds: Vec::new(),
    })
}

/// An epair end always has a peer (destroying one end destroys both), but FreeBSD has no ioctl
/// that names it. ifclone's record gives the peer's MAC, which no move or rename changes: the
/// interface with that MAC here is the peer; otherwise the peer is in another stack, under the
/// name ifclone last gave it. Without a record, the names follow the kernel's rule
/// (`epairNa` ↔ `epairNb`) and ifclone's own (`x` ↔ `xb`); a peer of a renamed end in another
/// stack is then reported without a name.
pub fn observe(
    link: &Link,
    present: &[Link],
    known: Option<&Origin>,
    recall: &Recall,
) -> Result<KindInfo> {
    if let Some(pm) = known.and_then(|o| o.peer_mac) {
        let peer = match present
            .iter()
            .find(|l| l.mac == Some(pm) && l.name != link.name)
        {
            Some(p) => LinkRef {
                index: Some(p.index),
                name: Some(p.name),
                stack: LinkStack::Same,
            },
            None => LinkRef {
                index: None,
                name: recall
                    .get()?
                    .iter()
                    .find(|o| o.kind == KindName::Epair && o.mac == Some(pm))
                    .map(|o| o.name),
                stack: LinkStack::Other { id: None },
            },
        };
        return Ok(KindInfo::Epair { peer: Some(peer) });
    }
    let s = link.name.as_str();
    let cands = names::epair_peer_candidates(s);
    let here = cands
        .iter()
        .find_map(|c| present.iter().find(|l| l.name == *c).map(|l| (*c, l.index)));
    let peer = match here {
        Some((p, i)) => LinkRef {
            index: Some(i),
            name: Some(p),
            stack: LinkStack::Same,
        },
        None => LinkRef {
            index: None,
            name: if names::is_kernel_epair_name(s) {
                cands.first().copied()
            } else {
                None
            },
            stack: LinkStack::Other { id: None },
        },
    };
    Ok(KindInfo::Epair { peer: Some(peer) })
}

pub static OPS: super::FreebsdKind = super::FreebsdKind {
    kind: KindName::Epair,
    create: |on, req, unit| match &req.kind {
        KindSpec::Epair { peer_name } => create(on, req.name, *peer_name, unit),
        _ => Err(super::wrong_spec(on, req)),
    },
    observe: |o| observe(o.link, o.present, (o.known)()?.as_ref(), o.recall),
};
