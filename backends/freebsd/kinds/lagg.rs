//! lagg(4), ifclone's `bond`: cloner `lagg`, created without ports (the default protocol is
//! failover). Ports join and leave with SIOCSLAGGPORT / SIOCSLAGGDELPORT (`Links::set_master`,
//! in `ops.rs`); the protocol (SIOCSLAGG) is not implemented.

use super::{simple, Made};
use crate::error::Result;
use crate::model::{IfName, KindInfo, KindName};

pub fn create(on: &super::On<'_>, name: Option<IfName>) -> Result<Made> {
    simple(on, "lagg", KindName::Bond, name)
}

pub fn observe() -> KindInfo {
    KindInfo::Bond
}

pub static OPS: super::FreebsdKind = super::FreebsdKind {
    kind: KindName::Bond,
    create: |on, req, _| create(on, req.name),
    observe: |_| Ok(observe()),
};
