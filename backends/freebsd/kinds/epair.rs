//! epair(4): cloner `epair` makes `epairNa` and `epairNb`; the kernel returns only the a name,
//! the b name is derived (trailing `a` → `b`). Destroying either end destroys both.

use std::collections::HashMap;

use super::super::pure::names;
use super::{clone_create, Made, Undo};
use crate::error::{Error, Result};
use crate::model::*;

pub fn create(on: &super::On<'_>, name: Option<IfName>, peer_name: Option<IfName>) -> Result<Made> {
    let a = clone_create(on, "epair", None, KindName::Epair)?;
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
            on.rename(b.as_str(), pb.as_str())?;
            peer = pb;
        }
    }
    let mut iface = a;
    if let Some(n) = name {
        if n != a {
            on.rename(a.as_str(), n.as_str())?;
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
/// that names it. The candidates follow the kernel's rule (`epairNa` ↔ `epairNb`) and ifclone's
/// own (`x` ↔ `xb`): the first one present in this stack is reported with its index. Otherwise
/// the peer lives in another stack; its name is reported only when this end still has a
/// kernel-made name (then the rule holds unless the peer was renamed).
pub fn observe(name: &IfName, present: &HashMap<IfName, u32>) -> KindInfo {
    let s = name.as_str();
    let cands = names::epair_peer_candidates(s);
    let here = cands.iter().find_map(|c| present.get(c).map(|i| (*c, *i)));
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
    KindInfo::Epair { peer: Some(peer) }
}
