//! lagg(4), ifclone's `bond`: cloner `lagg`, then the protocol (SIOCSLAGG) when it is not the
//! kernel's default, failover. Ports join and leave with SIOCSLAGGPORT / SIOCSLAGGDELPORT
//! (`Links::set_master`, in `ops.rs`). The protocol is read back with SIOCGLAGG.

use super::super::sys;
use super::{clone_create, named, Made, Undo};
use crate::error::{Error, Result};
use crate::model::{GroupMode, IfName, KindInfo, KindName};
use ifclone_freebsd_abi::consts::{
    LAGG_PORT_ACTIVE, LAGG_PORT_MASTER, LAGG_PROTO_FAILOVER, LAGG_PROTO_LACP,
    LAGG_PROTO_LOADBALANCE, LAGG_PROTO_ROUNDROBIN,
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

/// The protocol and, from the ports' flags, the primary (LAGG_PORT_MASTER: the first port)
/// and, in failover, the port in use (LAGG_PORT_ACTIVE), from one SIOCGLAGG.
pub fn observe(o: &super::Observe<'_>) -> Result<KindInfo> {
    let n = o.link.name.as_str();
    let (proto, ports) = sys::lagg_status(o.on.fd, n).map_err(|e| o.on.err("read lagg", n, e))?;
    let mode = mode_of(proto);
    let index = |flag: u32| {
        ports
            .iter()
            .find(|(_, f)| f & flag != 0)
            .and_then(|(p, _)| o.present.iter().find(|l| l.name.as_str() == p))
            .map(|l| l.index)
    };
    Ok(KindInfo::Bond {
        mode,
        miimon: None,
        active: (mode == Some(GroupMode::Failover))
            .then(|| index(LAGG_PORT_ACTIVE))
            .flatten(),
        primary: index(LAGG_PORT_MASTER),
    })
}

/// Makes `port` the failover port of `lagg`. lagg(4)'s preferred port (`sc_primary`,
/// LAGG_PORT_MASTER) is the one that joined an empty lagg, or after the preferred one leaves,
/// the first of the list — which the kernel keeps sorted by interface index, whatever the
/// order of joining. So every other port leaves (then `port` is the only one, and preferred)
/// and joins again, in order. The kernel gives the lagg the new preferred port's own MAC on the
/// way; the lagg's MAC is put back (ports follow it when the lagg is next brought up), so the
/// group keeps its address as a Linux bond does. A port that cannot join again is put back
/// with the others before the error is returned.
pub fn set_first(on: &super::On<'_>, lagg: &str, port: &str) -> Result<()> {
    let op = "set active port of";
    let (_, ports) = sys::lagg_status(on.fd, lagg).map_err(|e| on.err(op, lagg, e))?;
    let Some((_, flags)) = ports.iter().find(|(p, _)| p == port) else {
        return Err(Error::not_found(op, port.to_string())
            .in_stack(on.stack)
            .with_detail(format_args!("{port} is not a port of {lagg}")));
    };
    if flags & LAGG_PORT_MASTER != 0 {
        return Ok(());
    }
    let name = IfName::new(lagg).map_err(|e| e.in_stack(on.stack))?;
    let mac = on.link(crate::model::IfSel::Name(name))?.mac;
    let others: Vec<&str> = ports
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| *p != port)
        .collect();
    let mut out: Vec<&str> = Vec::new();
    let mut failed = None;
    for p in &others {
        match sys::lagg_del_port(on.fd, lagg, p) {
            Ok(()) => out.push(p),
            Err(e) => {
                failed = Some(
                    on.err(op, lagg, e)
                        .with_detail(format_args!("taking out {p}")),
                );
                break;
            }
        }
    }
    for p in &out {
        if let Err(e) = sys::lagg_add_port(on.fd, lagg, p) {
            failed.get_or_insert(
                on.err(op, lagg, e)
                    .with_detail(format_args!("adding back {p}")),
            );
        }
    }
    let now = on.link(crate::model::IfSel::Name(name))?.mac;
    if mac.is_some() && now != mac {
        let c = crate::model::Change {
            mac,
            ..crate::model::Change::default()
        };
        if let Err(e) = on.apply(name, &c) {
            failed.get_or_insert(e.with_detail("putting back the lagg's MAC"));
        }
    }
    failed.map_or(Ok(()), Err)
}

pub static OPS: super::FreebsdKind = super::FreebsdKind {
    kind: KindName::Bond,
    create: |on, req, _| match req.kind {
        crate::model::KindSpec::Bond { mode, miimon } => create(on, req.name, mode, miimon),
        _ => Err(super::wrong_spec(on, req)),
    },
    observe,
};
