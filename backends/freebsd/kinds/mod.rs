//! The FreeBSD half of the kind registry: one file per kind with its ops entry
//! ([`FreebsdKind`], the counterpart of the kernel's `struct if_clone`): how it is created
//! through its cloner and how a live one is recognised. The neutral half (names, parameters,
//! moves) is `src/kinds/`; the cloner names are in `src/freebsd/names.rs` (no OS API, tested on Linux
//! too).
//!
//! Creation always goes through SIOCIFCREATE2 on the cloner's own name (FreeBSD matches cloners
//! by name prefix, so a requested name like `web0` would match no cloner); the kernel writes the
//! final name back, and a requested name is then set with SIOCSIFNAME. Anything that fails
//! after the kernel created the interface destroys it again ([`Undo`]).

pub mod absent;
pub mod bridge;
pub mod epair;
pub mod lagg;
pub mod loopback;
pub mod tuntap;
pub mod vlan;

use std::os::fd::OwnedFd;

use super::ops::{Link, On};
use super::sys;
use crate::error::{Error, Result};
use crate::freebsd;
use crate::freebsd::names;
use crate::freebsd::origins::{self, Origin, Recall};
use crate::model::*;
use ifclone_freebsd_abi::consts::VlanReq;

/// This backend's ops for every kind, in the registry's order.
pub static TABLE: &[&FreebsdKind] = &[
    &epair::OPS,
    &vlan::OPS,
    &tuntap::TAP,
    &tuntap::TUN,
    &bridge::OPS,
    &absent::MACVLAN,
    &absent::MACVTAP,
    &absent::VXLAN,
    &loopback::OPS,
    &lagg::OPS,
    &absent::DUMMY,
];

/// One kind's FreeBSD operations.
pub struct FreebsdKind {
    pub kind: KindName,
    /// Creates the kind in `on` (generic properties are applied by the caller). The unit is
    /// the epair unit to ask for (see `epair::create`).
    pub create: fn(&On<'_>, &CreateRequest, Option<u32>) -> Result<Made>,
    /// Its [`KindInfo`], once [`observe`] has found which kind a live interface is.
    pub observe: fn(&Observe<'_>) -> Result<KindInfo>,
}

/// What [`observe`] knows of a live interface when it asks its kind for the parameters.
pub struct Observe<'a> {
    pub on: &'a On<'a>,
    pub link: &'a Link,
    /// Every interface of the stack.
    pub present: &'a [Link],
    /// ifclone's record of this interface (read only when asked: it is a file).
    pub known: &'a dyn Fn() -> Result<Option<Origin>>,
    pub recall: &'a Recall,
}

/// The ops of a kind.
pub fn ops(k: KindName) -> &'static FreebsdKind {
    TABLE
        .iter()
        .copied()
        .find(|o| o.kind == k)
        .expect("every KindName has FreeBSD ops")
}

/// A request whose spec is not of the kind whose ops received it: a bug in the dispatch.
fn wrong_spec(on: &On<'_>, req: &CreateRequest) -> Error {
    Error::invalid(
        "create",
        req.kind.kind().as_str(),
        "the request reached another kind's create",
    )
    .in_stack(on.stack)
}

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
    r.name().and_then(freebsd::ifname).ok_or_else(|| {
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
    (ops(req.kind.kind()).create)(on, req, unit)
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
    match kind {
        Some(k) => (ops(k).observe)(&Observe {
            on,
            link,
            present,
            known: &known,
            recall,
        }),
        None => Ok(KindInfo::Other(names::driver_hint(groups).map(Into::into))),
    }
}
