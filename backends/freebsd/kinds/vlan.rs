//! vlan(4): created in one SIOCIFCREATE2 call with a `struct vlanreq` (parent, tag, protocol)
//! in `ifr_data`; observed with SIOCGETVLAN (which the kernel refuses with EPERM once the vlan
//! has left its home VNET — then ifclone's record of the vlan answers, see `origins`).

use super::super::ops::Link;
use super::super::sys;
use super::{clone_create, named, Made, Undo};
use crate::error::Result;
use crate::freebsd;
use crate::freebsd::origins::Origin;
use crate::model::*;
use ifclone_freebsd_abi::consts::ETHERTYPE_VLAN;
use ifclone_freebsd_abi::req;

pub fn create(
    on: &super::On<'_>,
    name: Option<IfName>,
    parent: IfName,
    id: u16,
    proto: VlanProto,
) -> Result<Made> {
    let v = req::vlanreq(parent.as_str(), id, proto.ethertype());
    let got = clone_create(on, "vlan", Some(&v), KindName::Vlan).map_err(|e| {
        e.with_detail(format_args!(
            "parent {parent}, vlan {id}, {}",
            proto.as_str()
        ))
    })?;
    named(Undo::new(*on, got), on, got, name, Vec::new())
}

/// The vlan's parent, tag and protocol: from SIOCGETVLAN in its home VNET; elsewhere the kernel
/// answers EPERM, and ifclone's record (`known`) gives what it was created or moved with, the
/// parent in the stack that holds it.
pub fn observe(
    on: &super::On<'_>,
    link: &Link,
    present: &[Link],
    known: impl FnOnce() -> Result<Option<Origin>>,
) -> Result<KindInfo> {
    let here = |p: IfName| present.iter().find(|l| l.name == p).map(|l| l.index);
    if let Ok(v) = sys::get_vlan(on.fd, link.name.as_str()) {
        let parent = v.parent().and_then(freebsd::ifname).map(|p| LinkRef {
            index: here(p),
            name: Some(p),
            stack: if here(p).is_some() {
                LinkStack::Same
            } else {
                LinkStack::Other { id: None }
            },
        });
        return Ok(KindInfo::Vlan {
            parent,
            id: v.vlr_tag,
            proto: VlanProto::from_ethertype(if v.vlr_proto == 0 {
                ETHERTYPE_VLAN
            } else {
                v.vlr_proto
            })
            .unwrap_or_default(),
        });
    }
    Ok(match known()?.and_then(|o| o.vlan) {
        Some(v) => KindInfo::Vlan {
            parent: Some(LinkRef {
                index: None,
                name: Some(v.parent),
                stack: LinkStack::Other { id: Some(v.home) },
            }),
            id: v.id,
            proto: v.proto,
        },
        // Neither the kernel nor a record knows (a vlan ifclone never created nor moved).
        None => KindInfo::Vlan {
            parent: None,
            id: 0,
            proto: VlanProto::Dot1Q,
        },
    })
}

pub static OPS: super::FreebsdKind = super::FreebsdKind {
    kind: KindName::Vlan,
    create: |on, req, _| match &req.kind {
        KindSpec::Vlan { parent, id, proto } => create(on, req.name, *parent, *id, *proto),
        _ => Err(super::wrong_spec(on, req)),
    },
    observe: |o| observe(o.on, o.link, o.present, o.known),
};
