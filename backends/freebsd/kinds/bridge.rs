//! bridge(4): cloner `bridge`, no creation parameters.

use super::{simple, Made};
use crate::error::Result;
use crate::model::{IfName, KindInfo, KindName};

pub fn create(on: &super::On<'_>, name: Option<IfName>) -> Result<Made> {
    simple(on, "bridge", KindName::Bridge, name)
}

pub fn observe() -> KindInfo {
    KindInfo::Bridge
}

pub static OPS: super::FreebsdKind = super::FreebsdKind {
    kind: KindName::Bridge,
    create: |on, req, _| create(on, req.name),
    observe: |_| Ok(observe()),
};
