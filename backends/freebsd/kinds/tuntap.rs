//! tap(4) / tun(4): cloners `tap` and `tun`; the queue is the character device `/dev/<unit>`,
//! opened right after creation (before any rename, under the unit name the device node has).
//! FreeBSD has one queue per interface, so more than one is `Unsupported`.

use std::os::fd::OwnedFd;

use super::{clone_create, named, Made, Undo};
use crate::error::{Error, Result};
use crate::model::*;

pub fn create(
    on: &super::On<'_>,
    kind: KindName,
    name: Option<IfName>,
    queues: u16,
) -> Result<Made> {
    if queues > 1 {
        return Err(Error::unsupported(
            "create",
            name.map(|n| n.to_string())
                .unwrap_or_else(|| kind.to_string()),
            format!("FreeBSD {kind} interfaces have a single queue ({queues} requested)"),
        )
        .in_stack(on.stack));
    }
    let cloner = if kind == KindName::Tun { "tun" } else { "tap" };
    let got = clone_create(on, cloner, None, kind)?;
    let undo = Undo::new(*on, got);
    let dev = format!("/dev/{got}");
    let fd: OwnedFd = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&dev)
        .map_err(|e| {
            on.err("open", &dev, e.raw_os_error().unwrap_or(libc::EIO))
                .with_detail("tap/tun character device")
        })?
        .into();
    named(undo, on, got, name, vec![fd])
}

pub static TAP: super::FreebsdKind = super::FreebsdKind {
    kind: KindName::Tap,
    create: |on, req, _| match &req.kind {
        KindSpec::Tap { queues } => create(on, KindName::Tap, req.name, *queues),
        _ => Err(super::wrong_spec(on, req)),
    },
    observe: |_| Ok(KindInfo::Tap { queues: 1 }),
};

pub static TUN: super::FreebsdKind = super::FreebsdKind {
    kind: KindName::Tun,
    create: |on, req, _| match &req.kind {
        KindSpec::Tun { queues } => create(on, KindName::Tun, req.name, *queues),
        _ => Err(super::wrong_spec(on, req)),
    },
    observe: |_| Ok(KindInfo::Tun { queues: 1 }),
};
