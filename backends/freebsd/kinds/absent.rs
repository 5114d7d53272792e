//! Kinds FreeBSD does not have (macvlan, macvtap, dummy) or that ifclone does not implement
//! there yet (vxlan: its creation parameters, `struct ifvxlanparam`). Creating one is
//! `Unsupported`; an interface is never observed as one.

use super::{FreebsdKind, Observe};
use crate::backend::unsupported_kind;
use crate::error::Result;
use crate::model::{KindInfo, KindName};

fn other(_: &Observe<'_>) -> Result<KindInfo> {
    Ok(KindInfo::Other(None))
}

pub static MACVLAN: FreebsdKind = FreebsdKind {
    kind: KindName::Macvlan,
    create: |on, req, _| Err(unsupported_kind("FreeBSD", req.kind.kind()).in_stack(on.stack)),
    observe: other,
};

pub static MACVTAP: FreebsdKind = FreebsdKind {
    kind: KindName::Macvtap,
    create: |on, req, _| Err(unsupported_kind("FreeBSD", req.kind.kind()).in_stack(on.stack)),
    observe: other,
};

pub static DUMMY: FreebsdKind = FreebsdKind {
    kind: KindName::Dummy,
    create: |on, req, _| Err(unsupported_kind("FreeBSD", req.kind.kind()).in_stack(on.stack)),
    observe: other,
};

pub static VXLAN: FreebsdKind = FreebsdKind {
    kind: KindName::Vxlan,
    create: |on, _, _| {
        Err(unsupported_kind("FreeBSD", KindName::Vxlan)
            .with_detail("vxlan(4) creation parameters (ifvxlanparam) are not implemented")
            .in_stack(on.stack))
    },
    observe: other,
};
