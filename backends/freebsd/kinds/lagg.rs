//! lagg(4), ifclone's `bond`: cloner `lagg`, then the protocol (SIOCSLAGG) when it is not the
//! kernel's default, failover. Ports join and leave with SIOCSLAGGPORT / SIOCSLAGGDELPORT
//! (`Links::set_master`, in `ops.rs`). The protocol is read back with SIOCGLAGG.

use super::super::sys;
use super::{clone_create, named, Made, Undo};
use crate::error::{Error, Result};
use crate::model::{GroupMode, IfName, KindInfo, KindName};
use ifclone_freebsd_abi::consts::{
    LAGG_PROTO_FAILOVER, LAGG_PROTO_LACP, LAGG_PROTO_LOADBALANCE, LAGG_PROTO_ROUNDROBIN,
};

/// The kernel's `lagg_proto` of a mode.
pub fn proto_of(m: GroupMode) -> u32 {
    match m {
        GroupMode::Failover => LAGG_PROTO_FAILOVER,
        GroupMode::Lacp => LAGG_PROTO_LACP,
        GroupMode::RoundRobin => LAGG_PROTO_ROUNDROBIN,
        GroupMode::LoadBalance => LAGG_PROTO_LOADBALANCE,
    }
}

/// The mode of a kernel `lagg_proto` (`None`: none set, or broadcast).
pub fn mode_of(proto: u32) -> Option<GroupMode> {
    GroupMode::ALL.into_iter().find(|&m| proto_of(m) == proto)
}

pub fn create(
    on: &super::On<'_>,
    name: Option<IfName>,
    mode: GroupMode,
    miimon: Option<u32>,
) -> Result<Made> {
    if miimon.is_some() {
        return Err(Error::unsupported(
            "create",
            name.map_or_else(|| "lagg".to_string(), |n| n.to_string()),
            "FreeBSD's lagg has no miimon (it follows each port's link state)",
        )
        .in_stack(on.stack));
    }
    let got = clone_create(on, "lagg", None, KindName::Bond)?;
    let undo = Undo::new(*on, got);
    if mode != GroupMode::Failover {
        sys::lagg_set_proto(on.fd, got.as_str(), proto_of(mode)).map_err(|e| {
            on.err("set laggproto of", got.as_str(), e)
                .with_detail(mode)
        })?;
    }
    named(undo, on, got, name, Vec::new())
}

/// The protocol, from SIOCGLAGG; which port is active is not in its answer.
pub fn observe(o: &super::Observe<'_>) -> Result<KindInfo> {
    let n = o.link.name.as_str();
    let (proto, _) = sys::lagg_status(o.on.fd, n).map_err(|e| o.on.err("read lagg", n, e))?;
    Ok(KindInfo::Bond {
        mode: mode_of(proto),
        miimon: None,
        active: None,
        primary: None,
    })
}

pub static OPS: super::FreebsdKind = super::FreebsdKind {
    kind: KindName::Bond,
    create: |on, req, _| match req.kind {
        crate::model::KindSpec::Bond { mode, miimon } => create(on, req.name, mode, miimon),
        _ => Err(super::wrong_spec(on, req)),
    },
    observe,
};
