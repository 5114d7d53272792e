//! One file per kind: how each is created through its cloner and how it is recognised.
//!
//! Creation always goes through SIOCIFCREATE2 on the cloner's own name (FreeBSD matches cloners
//! by name prefix, so a requested name like `web0` would match no cloner); the kernel writes the
//! final name back, and a requested name is then set with SIOCSIFNAME. Anything that fails
//! after the kernel created the interface destroys it again ([`Undo`]).

pub mod bridge;
pub mod epair;
pub mod lagg;
pub mod loopback;
pub mod tuntap;
pub mod vlan;

use std::os::fd::OwnedFd;

use super::ops::{Link, On};
use super::pure::consts::VlanReq;
use super::pure::names;
use super::pure::origins::{self, Origin, Recall};
use super::sys;
use crate::backend::unsupported_kind;
use crate::error::{Error, Result};
use crate::model::*;

/// What a kind's create made, in the stack the request was sent to.
pub struct Made {
    pub iface: IfName,
    pub peer: Option<IfName>,
    pub fds: Vec<OwnedFd>,
}

/// Destroys a freshly created interface unless disarmed.
pub struct Undo<'a> {
    on: On<'a>,
    name: Option<IfName>,
}

impl<'a> Undo<'a> {
    pub fn new(on: On<'a>, name: IfName) -> Undo<'a> {
        Undo {
            on,
            name: Some(name),
        }
    }
    /// The interface was renamed: destroy it under its new name.
    pub fn renamed(&mut self, name: IfName) {
        if self.name.is_some() {
            self.name = Some(name);
        }
    }
    pub fn disarm(mut self) {
        self.name = None;
    }
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        if let Some(n) = self.name.take() {
            let _ = self.on.destroy(n.as_str());
        }
    }
}

/// SIOCIFCREATE2 on `cloner`; returns the name the kernel chose.
pub fn clone_create(
    on: &On<'_>,
    cloner: &str,
    vlan: Option<&VlanReq>,
    kind: KindName,
) -> Result<IfName> {
    let r = sys::clone_create(on.fd, cloner, vlan).map_err(|e| {
        let err = on.err("create", cloner, e);
        if e == libc::EINVAL {
            err.with_detail(format_args!(
                "no {kind} cloner matched (is the {cloner} module loaded in this VNET?)"
            ))
        } else {
            err
        }
    })?;
    r.name().ok_or_else(|| {
        Error::invalid("create", cloner, "kernel returned an empty name").in_stack(on.stack)
    })
}

/// Creates a kind with no parameters (bridge, lo, lagg) and gives it the requested name.
pub fn simple(on: &On<'_>, cloner: &str, kind: KindName, name: Option<IfName>) -> Result<Made> {
    let got = clone_create(on, cloner, None, kind)?;
    named(Undo::new(*on, got), on, got, name, Vec::new())
}

/// The last step of every single-interface create: rename what the kernel made (`got`) to the
/// requested name, if any, and disarm the undo. Any failure destroys the interface (`undo`).
pub fn named(
    mut undo: Undo<'_>,
    on: &On<'_>,
    got: IfName,
    name: Option<IfName>,
    fds: Vec<std::os::fd::OwnedFd>,
) -> Result<Made> {
    let mut iface = got;
    if let Some(n) = name.filter(|n| *n != got) {
        on.name_created(got.as_str(), n.as_str())?;
        iface = n;
        undo.renamed(n);
    }
    undo.disarm();
    Ok(Made {
        iface,
        peer: None,
        fds,
    })
}

/// Creates `req`'s kind in `on` (generic properties are applied by the caller). `unit`: the
/// epair unit to ask for (see `epair::create`).
pub fn create(on: &On<'_>, req: &CreateRequest, unit: Option<u32>) -> Result<Made> {
    let name = req.name;
    match &req.kind {
        KindSpec::Epair { peer_name } => epair::create(on, name, *peer_name, unit),
        KindSpec::Vlan { parent, id, proto } => vlan::create(on, name, *parent, *id, *proto),
        KindSpec::Tap { queues } => tuntap::create(on, KindName::Tap, name, *queues),
        KindSpec::Tun { queues } => tuntap::create(on, KindName::Tun, name, *queues),
        KindSpec::Bridge => bridge::create(on, name),
        KindSpec::Loopback => loopback::create(on, name),
        KindSpec::Bond => lagg::create(on, name),
        KindSpec::Macvlan { .. } | KindSpec::Macvtap { .. } | KindSpec::Dummy => {
            Err(unsupported_kind("FreeBSD", req.kind.kind()).in_stack(on.stack))
        }
        KindSpec::Vxlan(_) => Err(unsupported_kind("FreeBSD", KindName::Vxlan)
            .with_detail("vxlan(4) creation parameters (ifvxlanparam) are not implemented")
            .in_stack(on.stack)),
    }
}

/// The kind of a live interface, with its parameters. In this order: the cloner group the
/// kernel put it in; its link type (vlan, bridge, loopback); ifclone's record of it (13.x
/// forgets the group of an interface that comes home, see `origins`); its name. The record is
/// read only where the kernel leaves a question open (the kind, an epair's peer, the parameters
/// of a vlan outside its home VNET).
pub fn observe(
    on: &On<'_>,
    link: &Link,
    groups: &[String],
    present: &[Link],
    recall: &Recall,
) -> Result<KindInfo> {
    let by_type = link.ift.and_then(names::kind_of_link_type);
    let known = || -> Result<Option<Origin>> {
        Ok(origins::find(&recall.get()?, link.mac, &link.name, by_type).cloned())
    };
    let kind = match groups
        .iter()
        .find_map(|g| names::kind_of_cloner(g))
        .or(by_type)
    {
        Some(k) => Some(k),
        None => known()?
            .map(|o| o.kind)
            .or_else(|| names::kind_from(&[], link.name.as_str())),
    };
    Ok(match kind {
        Some(KindName::Epair) => epair::observe(link, present, known()?.as_ref(), recall)?,
        Some(KindName::Vlan) => vlan::observe(on, link, present, known)?,
        Some(KindName::Tap) => KindInfo::Tap { queues: 1 },
        Some(KindName::Tun) => KindInfo::Tun { queues: 1 },
        Some(KindName::Bridge) => bridge::observe(),
        Some(KindName::Loopback) => loopback::observe(),
        Some(KindName::Bond) => lagg::observe(),
        _ => KindInfo::Other(names::driver_hint(groups).map(Into::into)),
    })
}
