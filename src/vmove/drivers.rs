//! The move side of each kind: its [`MoveDriver`] (in its descriptor in the kind registry,
//! `src/kinds/`), and `save_vparams` / `apply_vparams`, which keep what must survive a move;
//! the framework (`exec.rs`) owns the algorithm.

use crate::model::{Change, Interface, KindInfo, KindName, KindSpec};

pub use crate::kinds::MoveDriver;

/// The driver of a kind, from its descriptor in the kind registry (`None`: a device ifclone
/// does not model).
pub fn driver(kind: Option<KindName>) -> &'static MoveDriver {
    match kind {
        Some(k) => &k.desc().moves,
        None => &crate::kinds::PHYSICAL,
    }
}

/// The saved parameters of one interface: the generic ones plus the kind's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VParams {
    pub iface: Interface,
    /// How to create the same kind again (`None`: cannot be re-created).
    pub spec: Option<KindSpec>,
    pub addresses: Vec<crate::model::IfAddr>,
    /// The bridge/lagg it is a port of, in the source stack: the kernel detaches a port that
    /// leaves; a move that is undone makes it a port again.
    pub master: Option<crate::model::IfName>,
    /// A failover group's preferred port, and the one active when the move began.
    pub primary: Option<crate::model::IfName>,
    pub active: Option<crate::model::IfName>,
}

impl VParams {
    /// Its MAC changes with its ports (a group master: a Linux bond that loses its last port
    /// takes a random MAC): it is told by name and kind, not by MAC.
    pub fn mac_varies(&self) -> bool {
        driver(self.iface.kind.kind()).takes_ports
    }
}

/// `ifc_save_vparams`: what must survive the move.
pub fn save_vparams(iface: &Interface, addresses: Vec<crate::model::IfAddr>) -> VParams {
    VParams {
        iface: iface.clone(),
        spec: KindSpec::from_info(&iface.kind),
        master: None,
        primary: None,
        active: None,
        addresses: addresses
            .into_iter()
            .filter(|a| !is_link_local(a))
            .collect(),
    }
}

/// IPv6 link-local addresses belong to the kernel; they are never copied.
pub fn is_link_local(a: &crate::model::IfAddr) -> bool {
    match a.addr {
        std::net::IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
        std::net::IpAddr::V4(_) => false,
    }
}

/// `ifc_apply_vparams`: the change that makes `now` look like `saved` (generic parameters; `up`
/// is left out and applied last by the framework).
pub fn apply_vparams(saved: &Interface, now: &Interface) -> Change {
    generic_change(saved.mtu, saved.mac, saved.description.as_deref(), now)
}

/// The change that gives `now` these generic parameters.
pub fn generic_change(
    mtu: u32,
    mac: Option<crate::model::Mac>,
    description: Option<&str>,
    now: &Interface,
) -> Change {
    let mut c = Change::default();
    if mtu != now.mtu {
        c.mtu = Some(mtu);
    }
    if mac.is_some() && mac != now.mac {
        c.mac = mac;
    }
    if description != now.description.as_deref() {
        c.description = Some(description.unwrap_or("").to_string());
    }
    c
}

/// The differences between the saved record and the one observed in the target, for
/// verification. Indexes, oper state and link stacks are expected to change.
pub fn differences(saved: &Interface, now: &Interface, expect_name: &str) -> Vec<String> {
    let mut d = Vec::new();
    if now.name.as_str() != expect_name {
        d.push(format!("name is {} (expected {expect_name})", now.name));
    }
    if now.mtu != saved.mtu {
        d.push(format!("mtu is {} (expected {})", now.mtu, saved.mtu));
    }
    if saved.mac.is_some() && now.mac != saved.mac {
        d.push(format!("mac is {:?} (expected {:?})", now.mac, saved.mac));
    }
    if now.description != saved.description {
        d.push(format!(
            "description is {:?} (expected {:?})",
            now.description, saved.description
        ));
    }
    if now.up != saved.up {
        d.push(format!("up is {} (expected {})", now.up, saved.up));
    }
    match (&saved.kind, &now.kind) {
        // id 0: the kernel would not tell (FreeBSD answers EPERM to SIOCGETVLAN outside the
        // vlan's home VNET); nothing to compare.
        (
            KindInfo::Vlan { id, proto, .. },
            KindInfo::Vlan {
                id: id2, proto: p2, ..
            },
        ) if *id2 != 0 && (id != id2 || proto != p2) => d.push(format!(
            "vlan is {id2} {} (expected {id} {})",
            p2.as_str(),
            proto.as_str()
        )),
        (KindInfo::Epair { peer: Some(_) }, KindInfo::Epair { peer: None }) => {
            d.push("epair lost its peer".into())
        }
        (KindInfo::Bond { mode, .. }, KindInfo::Bond { mode: m2, .. }) if mode != m2 => {
            d.push(format!(
                "mode is {} (expected {})",
                m2.map(|m| m.to_string()).unwrap_or_default(),
                mode.map(|m| m.to_string()).unwrap_or_default()
            ))
        }
        (a, b) if a.kind() != b.kind() => {
            d.push(format!("kind is {} (expected {})", b.name(), a.name()))
        }
        _ => {}
    }
    d
}
