//! # VM endpoints, as data
//!
//! How a VM's network reaches it, the way container runtimes that run each container in a VM
//! (Kata Containers) describe it: an [`Endpoint`] of one kind — a physical NIC, a veth/epair end,
//! a macvlan, a macvtap, a tap, a vhost-user socket — with its network information ([`NetInfo`]:
//! name, MAC, MTU, addresses, routes) and, where a tap joins it to the hypervisor, the tap
//! ([`TapInfo`]) and the interworking [`Model`] (none, bridged, macvtap, tc-filter).
//!
//! The list a runtime keeps is stored as **lossless typed JSON** ([`to_json`], [`from_json`],
//! [`save`], [`load`]): each endpoint is an object whose `kind` names its variant, every field
//! of every kind is written, and reading refuses — with [`Error::Corrupt`] naming the place — an
//! unknown kind, an unknown or missing field, a format or version it does not know, and values
//! no endpoint can have (0 queues). Nothing is ever skipped: Kata's own reader once dropped every
//! macvlan and macvtap endpoint of a saved list (kata-containers/runtime#842) because one
//! branch forgot to keep what it had read; here one derived reader serves every kind, and a test
//! saves and loads a list with every kind. File descriptors are never stored: a VM manager keeps
//! the names and queue counts and opens the fds again.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Context, Error, Result};
use crate::model::{IfAddr, IfName, Mac, MacvlanMode};

/// The `format` of an endpoint list.
pub const FORMAT: &str = "ifclone-endpoints";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;
/// The most queues a tap or macvtap endpoint may have (the kernel's limit for a tap).
pub const MAX_QUEUES: u16 = 256;

/// A route through an endpoint's interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The destination network (`0.0.0.0/0`: the default route).
    pub dst: IfAddr,
    pub gateway: Option<IpAddr>,
}

/// An endpoint's network information: what the VM's interface is to look like.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetInfo {
    /// The interface in the container's (or the host's) stack.
    pub name: IfName,
    pub mac: Option<Mac>,
    pub mtu: u32,
    pub addresses: Vec<IfAddr>,
    pub routes: Vec<Route>,
}

/// The tap a hypervisor opens for an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TapInfo {
    pub name: IfName,
    /// 1..=[`MAX_QUEUES`]; more than one makes a multiqueue tap (IFF_MULTI_QUEUE).
    pub queues: u16,
    /// The virtio-net header in front of each frame (IFF_VNET_HDR).
    pub vnet_hdr: bool,
    /// A vhost-net fd per queue goes with the tap fds.
    pub vhost: bool,
}

/// How a veth/epair (or macvlan) in the container's stack is joined to the hypervisor's tap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Model {
    /// No join: the tap is the endpoint.
    None,
    /// The interface and the tap are ports of one bridge.
    Bridged { bridge: IfName },
    /// A macvtap on the interface is what the hypervisor opens.
    Macvtap,
    /// tc mirred redirects frames between the interface and the tap, both ways.
    TcFilter,
}

/// Which side of a vhost-user socket listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VhostUserMode {
    /// The hypervisor connects; the backend (a vswitch) listens.
    Client,
    /// The hypervisor listens.
    Server,
}

/// One endpoint. The `kind` tag names the variant in JSON; every variant is read by the same
/// derived code, so none can be dropped on the way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Endpoint {
    /// A physical NIC (or a VF) the VM gets whole.
    Physical {
        net: NetInfo,
        /// Its hardware device (Linux `IFLA_PARENT_DEV_NAME`: a PCI address).
        device: Option<String>,
    },
    /// A veth/epair end in the container's stack (its peer elsewhere), joined to the tap.
    Epair {
        net: NetInfo,
        peer: IfName,
        model: Model,
        tap: TapInfo,
    },
    /// A macvlan on `parent`, joined to the tap (Kata's bridged macvlan).
    Macvlan {
        net: NetInfo,
        parent: IfName,
        mode: MacvlanMode,
        model: Model,
        tap: TapInfo,
    },
    /// A macvtap on `parent`: the hypervisor opens its queues.
    Macvtap {
        net: NetInfo,
        parent: IfName,
        mode: MacvlanMode,
        queues: u16,
        vhost: bool,
    },
    /// A tap alone in its stack (model none: no netns, no veth pair).
    Tap { net: NetInfo, tap: TapInfo },
    /// A vhost-user socket: frames go through a user-space switch, not the kernel.
    VhostUser {
        net: NetInfo,
        socket: PathBuf,
        mode: VhostUserMode,
    },
}

/// The kinds of endpoint, in the order documented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndpointKind {
    Physical,
    Epair,
    Macvlan,
    Macvtap,
    Tap,
    VhostUser,
}

impl EndpointKind {
    pub const ALL: [EndpointKind; 6] = [
        EndpointKind::Physical,
        EndpointKind::Epair,
        EndpointKind::Macvlan,
        EndpointKind::Macvtap,
        EndpointKind::Tap,
        EndpointKind::VhostUser,
    ];
}

impl Endpoint {
    pub fn kind(&self) -> EndpointKind {
        match self {
            Endpoint::Physical { .. } => EndpointKind::Physical,
            Endpoint::Epair { .. } => EndpointKind::Epair,
            Endpoint::Macvlan { .. } => EndpointKind::Macvlan,
            Endpoint::Macvtap { .. } => EndpointKind::Macvtap,
            Endpoint::Tap { .. } => EndpointKind::Tap,
            Endpoint::VhostUser { .. } => EndpointKind::VhostUser,
        }
    }

    pub fn net(&self) -> &NetInfo {
        match self {
            Endpoint::Physical { net, .. }
            | Endpoint::Epair { net, .. }
            | Endpoint::Macvlan { net, .. }
            | Endpoint::Macvtap { net, .. }
            | Endpoint::Tap { net, .. }
            | Endpoint::VhostUser { net, .. } => net,
        }
    }

    /// The tap a hypervisor opens for it, if it has one.
    pub fn tap(&self) -> Option<&TapInfo> {
        match self {
            Endpoint::Epair { tap, .. }
            | Endpoint::Macvlan { tap, .. }
            | Endpoint::Tap { tap, .. } => Some(tap),
            _ => None,
        }
    }

    /// What no endpoint can be: a queue count outside 1..=[`MAX_QUEUES`], an MTU of 0, a
    /// macvtap model on a macvlan (the macvtap replaces it), an empty socket path. The text says
    /// which; `None` when it is sound.
    pub fn problem(&self) -> Option<String> {
        let queues = |q: u16, what: &str| {
            (q == 0 || q > MAX_QUEUES).then(|| format!("{what} has {q} queues (1 to {MAX_QUEUES})"))
        };
        if self.net().mtu == 0 {
            return Some(format!("{} has MTU 0", self.net().name));
        }
        if let Some(t) = self.tap() {
            if let Some(p) = queues(t.queues, &format!("tap {}", t.name)) {
                return Some(p);
            }
        }
        match self {
            Endpoint::Macvtap { queues: q, net, .. } => {
                queues(*q, &format!("macvtap {}", net.name))
            }
            Endpoint::Macvlan {
                model: Model::Macvtap,
                net,
                ..
            } => Some(format!(
                "macvlan {} cannot use the macvtap model (a macvtap endpoint is its own kind)",
                net.name
            )),
            Endpoint::VhostUser { socket, net, .. } if socket.as_os_str().is_empty() => {
                Some(format!("vhost-user {} has no socket path", net.name))
            }
            _ => None,
        }
    }
}

/// The stored form: format, version, the endpoints in order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: String,
    version: u32,
    endpoints: Vec<Endpoint>,
}

/// The endpoints as their stored JSON (pretty, stable: the same list gives the same bytes).
/// A list with an endpoint that no endpoint can be is refused ([`Endpoint::problem`]).
pub fn to_json(endpoints: &[Endpoint]) -> Result<String> {
    for e in endpoints {
        if let Some(p) = e.problem() {
            return Err(Error::InvalidArgument(Box::new(
                Context::new("save endpoints", e.net().name.to_string()).detail(p),
            )));
        }
    }
    let f = File {
        format: FORMAT.into(),
        version: VERSION,
        endpoints: endpoints.to_vec(),
    };
    let mut s = serde_json::to_string_pretty(&f).expect("endpoints always serialise");
    s.push('\n');
    Ok(s)
}

/// Reads a stored list. Anything it does not know — a kind, a field, a format, a version — or
/// a value no endpoint can have is [`Error::Corrupt`] with serde's line and column; nothing is
/// skipped. `what` names the source in the error (a path).
pub fn from_json(json: &str, what: &str) -> Result<Vec<Endpoint>> {
    let bad = |why: String| {
        Error::Corrupt(Box::new(
            Context::new("read endpoints", what.to_string()).detail(why),
        ))
    };
    let f: File = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    if f.format != FORMAT {
        return Err(bad(format!("format {:?}, not {FORMAT:?}", f.format)));
    }
    if f.version != VERSION {
        return Err(bad(format!(
            "version {} (this build reads version {VERSION})",
            f.version
        )));
    }
    for (k, e) in f.endpoints.iter().enumerate() {
        if let Some(p) = e.problem() {
            return Err(bad(format!("endpoint {k}: {p}")));
        }
    }
    Ok(f.endpoints)
}

/// Writes the list to `path` atomically (a reader sees the old list or the new one, whole).
pub fn save(path: &Path, endpoints: &[Endpoint]) -> Result<()> {
    crate::state::write(path, to_json(endpoints)?.as_bytes())
}

/// Reads the list at `path`. A missing file is [`Error::NotFound`] — never an empty list; a
/// damaged one is [`Error::Corrupt`].
pub fn load(path: &Path) -> Result<Vec<Endpoint>> {
    match crate::state::read(path)? {
        Some(s) => from_json(&s, &path.display().to_string()),
        None => Err(Error::NotFound(Box::new(
            Context::new("read endpoints", path.display().to_string())
                .detail("no such file: no endpoint list was saved there"),
        ))),
    }
}

mod attach;
mod fds;
pub use attach::{attach, Attached};
pub use fds::{set_queue_attached, vhost_fds, ChildFds, EndpointFds};

#[cfg(test)]
mod tests;
