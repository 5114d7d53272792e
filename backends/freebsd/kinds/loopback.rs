//! lo(4): cloner `lo` (every VNET has lo0; lo1… can be created and destroyed).

use super::{simple, Made};
use crate::error::Result;
use crate::model::{IfName, KindInfo, KindName};

pub fn create(on: &super::On<'_>, name: Option<IfName>) -> Result<Made> {
    simple(on, "lo", KindName::Loopback, name)
}

pub fn observe() -> KindInfo {
    KindInfo::Loopback
}

pub static OPS: super::FreebsdKind = super::FreebsdKind {
    kind: KindName::Loopback,
    create: |on, req, _| create(on, req.name),
    observe: |_| Ok(observe()),
};
