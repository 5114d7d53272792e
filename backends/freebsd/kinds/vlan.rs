//! vlan(4): created in one SIOCIFCREATE2 call with a `struct vlanreq` (parent, tag, protocol)
//! in `ifr_data`; observed with SIOCGETVLAN (which the kernel refuses with EPERM once the vlan
//! has left its home VNET — then parent and tag are reported as unknown).

use std::collections::HashMap;

use super::super::pure::consts::ETHERTYPE_VLAN;
use super::super::pure::req;
use super::super::sys;
use super::{clone_create, named, Made, Undo};
use crate::error::Result;
use crate::model::*;

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

pub fn observe(on: &super::On<'_>, name: &IfName, present: &HashMap<IfName, u32>) -> KindInfo {
    match sys::get_vlan(on.fd, name.as_str()) {
        Ok(v) => {
            let parent = v.parent().map(|p| LinkRef {
                index: present.get(&p).copied(),
                name: Some(p),
                stack: if present.contains_key(&p) {
                    LinkStack::Same
                } else {
                    LinkStack::Other { id: None }
                },
            });
            KindInfo::Vlan {
                parent,
                id: v.vlr_tag,
                proto: VlanProto::from_ethertype(if v.vlr_proto == 0 {
                    ETHERTYPE_VLAN
                } else {
                    v.vlr_proto
                })
                .unwrap_or_default(),
            }
        }
        Err(_) => KindInfo::Vlan {
            parent: None,
            id: 0,
            proto: VlanProto::Dot1Q,
        },
    }
}
