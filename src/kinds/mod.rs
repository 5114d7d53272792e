//! The kind registry: one descriptor per kind of cloned interface, the way FreeBSD's
//! `struct if_clone` and Linux's `struct rtnl_link_ops` describe one kind each. Everything the
//! neutral core knows about a kind is in its file here (names, parameters and their validation,
//! how it moves, how its saved parameters re-create it, the ifconfig keywords it adds); each
//! backend holds a matching ops entry (`backends/<os>/kinds/`) for what the kernel needs. The
//! framework, the CLI and the tests iterate [`REGISTRY`].
//!
//! Adding a kind: its file here with a [`KindDesc`] and a line in [`REGISTRY`]; its variants in
//! [`KindName`], [`KindSpec`] and [`KindInfo`] (the data shapes, in `model.rs`); one file per
//! backend with its ops entry and a line in that backend's table. See docs/architecture.md.

mod bridge;
mod dummy;
mod epair;
mod lagg;
pub use lagg::MIIMON_MAX;
mod loopback;
mod macvlan;
mod params;
pub use params::{KindParams, Words};
mod tuntap;
mod vlan;
mod vxlan;

use std::fmt;
use std::str::FromStr;

use crate::error::{Context, Error, Result};
use crate::model::{
    check_mac, check_mtu, CreateRequest, IfName, Interface, KindInfo, KindName, KindSpec, LinkRef,
};

/// Every kind ifclone models, in the order `ifc -C` and [`KindName::ALL`] list them.
pub static REGISTRY: &[&KindDesc] = &[
    &epair::DESC,
    &vlan::DESC,
    &tuntap::TAP,
    &tuntap::TUN,
    &bridge::DESC,
    &macvlan::MACVLAN,
    &macvlan::MACVTAP,
    &vxlan::DESC,
    &loopback::DESC,
    &lagg::DESC,
    &dummy::DESC,
];

/// How a kind moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Strategy {
    /// The kernel's own move (Linux RTM_NEWLINK + IFLA_NET_NS_FD; FreeBSD SIOCSIFVNET).
    Native,
    /// Re-create the same kind in the target from the saved parameters, under a temporary name,
    /// then destroy the source and rename (the cloner-vmove proposal's `if_vmove_simple`).
    Recreate,
    /// The kind cannot be moved.
    NoMove,
}

impl Strategy {
    pub fn parse(s: &str) -> Option<Strategy> {
        match s {
            "native" => Some(Strategy::Native),
            "recreate" => Some(Strategy::Recreate),
            "nomove" => Some(Strategy::NoMove),
            _ => None,
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Native => "native",
            Strategy::Recreate => "recreate",
            Strategy::NoMove => "nomove",
        })
    }
}

/// One kind's move operations: which strategy it moves with by default, which a caller may
/// force, and whether two copies may coexist during a re-create.
#[derive(Debug)]
pub struct MoveDriver {
    /// `None` for interfaces ifclone does not model (physical devices).
    pub kind: Option<KindName>,
    pub default: Strategy,
    /// Strategies a caller may force.
    pub allowed: &'static [Strategy],
    /// An identical twin cannot exist while the source does (a vlan id is unique per parent), so
    /// Recreate destroys the source before creating the copy.
    pub exclusive: bool,
    /// A move takes its ports along (a bond/lagg: a failover group moves as one). The ports
    /// move natively first; the copy is made in the target and they join it there.
    pub takes_ports: bool,
}

/// The driver of devices ifclone does not model (physical ones): the kernel's move only.
pub static PHYSICAL: MoveDriver = MoveDriver {
    kind: None,
    default: Strategy::Native,
    allowed: &[Strategy::Native],
    exclusive: false,
    takes_ports: false,
};

impl MoveDriver {
    /// The strategy for a move: the forced one if allowed, else the kind's default.
    pub fn choose(&self, forced: Option<Strategy>) -> std::result::Result<Strategy, String> {
        match forced {
            None => Ok(self.default),
            Some(Strategy::NoMove) => Err("strategy nomove refuses every move".into()),
            Some(s) if self.allowed.contains(&s) => Ok(s),
            Some(s) => Err(format!(
                "kind {} cannot be moved with strategy {s} (allowed: {})",
                self.kind.map(|k| k.as_str()).unwrap_or("device"),
                self.allowed
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// A create parameter a kind adds to `ifconfig IF create` (`ifc`'s keyword table shows them).
#[derive(Debug)]
pub struct Keyword {
    pub word: &'static str,
    /// What follows the keyword (`None`: a bare flag).
    pub value: Option<&'static str>,
    pub help: &'static str,
}

/// Everything the neutral core knows about one kind.
pub struct KindDesc {
    pub kind: KindName,
    /// The neutral (FreeBSD cloner) name: `epair`, `vlan`, `lagg`, …
    pub name: &'static str,
    /// Other names accepted for it (Linux's: `veth`, `bond`, `loopback`).
    pub aliases: &'static [&'static str],
    pub summary: &'static str,
    /// How it moves between stacks.
    pub moves: MoveDriver,
    /// It has member ports (bridge, lagg). A bridge's stay behind in a move, detached; a
    /// lagg's move with it ([`MoveDriver::takes_ports`], docs/vmove.md).
    pub ports: bool,
    /// It sits on a parent interface (its [`KindDesc::link`]), which stays behind in a move.
    pub on_parent: bool,
    /// Its other side is file descriptors (queues), which a re-create leaves pointing at the
    /// destroyed device.
    pub fds: bool,
    /// The create parameters it adds.
    pub keywords: &'static [Keyword],
    /// Its own parameters' check, before any kernel call (an error text for the user).
    pub validate: fn(&KindSpec) -> std::result::Result<(), String>,
    /// `save_vparams`: the spec that creates the same interface again (`None`: the record
    /// lacks what creation needs, a parent only known by index in another stack, say).
    pub spec_of: fn(&KindInfo) -> Option<KindSpec>,
    /// The peer or parent an observed interface points at.
    pub link: fn(&KindInfo) -> Option<&LinkRef>,
    /// The interface it sits on, including an underlay that is not its `link` (vxlan's).
    pub lower: fn(&KindInfo) -> Option<&LinkRef>,
    /// Names the lower interface once its name is known.
    pub set_lower_name: fn(&mut KindInfo, IfName),
    /// The interface a create request sits on (a vlan's parent, a vxlan's underlay).
    pub parent: fn(&KindSpec) -> Option<IfName>,
    /// The spec its keywords' values make ([`KindParams`]): `words` holds only its own
    /// keywords; a missing required one or a bad value is an error text for the user.
    pub from_words: fn(&Words) -> std::result::Result<KindSpec, String>,
}

impl fmt::Debug for KindDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindDesc")
            .field("name", &self.name)
            .finish()
    }
}

/// The descriptor of a kind.
pub fn desc(k: KindName) -> &'static KindDesc {
    REGISTRY
        .iter()
        .copied()
        .find(|d| d.kind == k)
        .expect("every KindName has a descriptor (tests::registry_covers_every_kind)")
}

/// The kind with this name or alias.
pub fn lookup(name: &str) -> Option<&'static KindDesc> {
    REGISTRY
        .iter()
        .copied()
        .find(|d| d.name == name || d.aliases.contains(&name))
}

/// The move driver of a kind that moves natively by default and may be re-created.
pub(crate) const fn native_or_recreate(kind: KindName, exclusive: bool) -> MoveDriver {
    MoveDriver {
        kind: Some(kind),
        default: Strategy::Native,
        allowed: &[Strategy::Native, Strategy::Recreate],
        exclusive,
        takes_ports: false,
    }
}

/// The move driver of a kind that only re-creation moves (the kernel cannot move it on Linux).
pub(crate) const fn recreate_only(kind: KindName) -> MoveDriver {
    MoveDriver {
        kind: Some(kind),
        default: Strategy::Recreate,
        allowed: &[Strategy::Recreate],
        exclusive: false,
        takes_ports: false,
    }
}

/// The move driver of a master that moves with its ports (a bond/lagg): re-created in the
/// target (Linux cannot move a bond), its ports moved natively and joined to the copy.
pub(crate) const fn group(kind: KindName) -> MoveDriver {
    MoveDriver {
        takes_ports: true,
        ..recreate_only(kind)
    }
}

/// The descriptor of a kind without parameters, link or fds (bridge, lagg, lo, dummy): its
/// `spec_of` says whether a record is of it and gives its one spec.
pub(crate) const fn without_params(
    kind: KindName,
    name: &'static str,
    aliases: &'static [&'static str],
    summary: &'static str,
    moves: MoveDriver,
    ports: bool,
    spec_of: fn(&KindInfo) -> Option<KindSpec>,
) -> KindDesc {
    KindDesc {
        kind,
        name,
        aliases,
        summary,
        moves,
        ports,
        on_parent: false,
        fds: false,
        keywords: &[],
        validate: always_valid,
        spec_of,
        link: no_link,
        lower: no_link,
        set_lower_name: no_name,
        parent: no_parent,
        from_words: unit_spec,
    }
}

/// The one spec of a kind without parameters.
fn unit_spec(w: &Words) -> std::result::Result<KindSpec, String> {
    match w.kind {
        KindName::Bridge => Ok(KindSpec::Bridge),
        KindName::Loopback => Ok(KindSpec::Loopback),
        KindName::Dummy => Ok(KindSpec::Dummy),
        k => Err(format!("a {k} has parameters")),
    }
}

/// Descriptor helpers for kinds without a link or parameters.
pub(crate) fn no_link(_: &KindInfo) -> Option<&LinkRef> {
    None
}
pub(crate) fn no_name(_: &mut KindInfo, _: IfName) {}
pub(crate) fn no_parent(_: &KindSpec) -> Option<IfName> {
    None
}
pub(crate) fn always_valid(_: &KindSpec) -> std::result::Result<(), String> {
    Ok(())
}

impl KindName {
    /// Every kind, in registry order.
    pub const ALL: [KindName; 11] = [
        KindName::Epair,
        KindName::Vlan,
        KindName::Tap,
        KindName::Tun,
        KindName::Bridge,
        KindName::Macvlan,
        KindName::Macvtap,
        KindName::Vxlan,
        KindName::Loopback,
        KindName::Bond,
        KindName::Dummy,
    ];

    /// The kind's descriptor in the registry.
    pub fn desc(self) -> &'static KindDesc {
        desc(self)
    }

    /// The neutral (FreeBSD-style) name: `epair`, `vlan`, `tap`, …
    pub fn as_str(self) -> &'static str {
        desc(self).name
    }

    /// Accepts the neutral names and the Linux aliases (`veth`, `bond`, `loopback`).
    pub fn parse(s: &str) -> Option<KindName> {
        lookup(s).map(|d| d.kind)
    }
}

impl fmt::Display for KindName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KindName {
    type Err = Error;
    fn from_str(s: &str) -> Result<KindName> {
        KindName::parse(s)
            .ok_or_else(|| Error::invalid("parse kind", s, "not a kind ifclone knows"))
    }
}
crate::model::serde_as_str!(KindName);

impl KindSpec {
    /// The same spec a live interface was created with (used by the re-create strategy).
    /// `None` where the record lacks what creation needs (a parent only known by index in
    /// another stack, say).
    pub fn from_info(info: &KindInfo) -> Option<KindSpec> {
        (desc(info.kind()?).spec_of)(info)
    }

    /// Checks the kind's own parameters (vlan id 1–4094, queue counts, vni) before any kernel call.
    pub fn validate(&self, op: &'static str, object: &str) -> Result<()> {
        (desc(self.kind()).validate)(self)
            .map_err(|d| Error::InvalidArgument(Box::new(Context::new(op, object).detail(d))))
    }

    /// The interface the request sits on (a vlan's parent, a vxlan's underlay), if any.
    pub fn parent(&self) -> Option<IfName> {
        (desc(self.kind()).parent)(self)
    }
}

impl KindInfo {
    /// The parent or peer this interface points at.
    pub fn link(&self) -> Option<&LinkRef> {
        (self.kind().map(desc)?.link)(self)
    }

    /// The interface it sits on or pairs with, including a vxlan's underlay device.
    pub fn lower(&self) -> Option<&LinkRef> {
        (self.kind().map(desc)?.lower)(self)
    }

    /// Names the interface's lower link (peer, parent, underlay) once the name is known.
    pub fn set_lower_name(&mut self, name: IfName) {
        if let Some(d) = self.kind().map(desc) {
            (d.set_lower_name)(self, name)
        }
    }

    /// The kind's name, or the kernel's kind string for a device ifclone does not model.
    pub fn name(&self) -> &str {
        match self {
            KindInfo::Other(Some(k)) => k,
            KindInfo::Other(None) => "device",
            k => k.kind().map(KindName::as_str).unwrap_or("device"),
        }
    }
}

impl Interface {
    /// The parent or peer, also when it lives in another stack.
    pub fn link(&self) -> Option<&LinkRef> {
        self.kind.link()
    }
}

impl CreateRequest {
    /// Checks everything that can be checked without the kernel: the kind's own parameters
    /// (its descriptor), the MTU and the MAC.
    pub fn validate(&self, stack: &str) -> Result<()> {
        let object = self
            .name
            .map(|n| n.to_string())
            .unwrap_or_else(|| self.kind.kind().to_string());
        self.kind
            .validate("create", &object)
            .map_err(|e| e.in_stack(stack))?;
        if let Some(mtu) = self.mtu {
            check_mtu(mtu, "create", &object).map_err(|e| e.in_stack(stack))?;
        }
        if let Some(mac) = self.mac {
            check_mac(mac, "create", &object).map_err(|e| e.in_stack(stack))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_covers_every_kind_once_in_order() {
        assert_eq!(REGISTRY.len(), KindName::ALL.len());
        for (d, k) in REGISTRY.iter().zip(KindName::ALL) {
            assert_eq!(d.kind, k, "{}", d.name);
            assert_eq!(d.moves.kind, Some(k), "{}", d.name);
        }
    }

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for d in REGISTRY {
            for n in std::iter::once(&d.name).chain(d.aliases) {
                assert!(seen.insert(*n), "{n} names two kinds");
                assert_eq!(KindName::parse(n), Some(d.kind));
            }
            assert_eq!(d.kind.as_str(), d.name);
        }
    }

    #[test]
    fn every_default_strategy_is_allowed() {
        for d in REGISTRY {
            assert!(d.moves.allowed.contains(&d.moves.default), "{}", d.name);
            assert_eq!(d.moves.choose(None), Ok(d.moves.default));
        }
    }
}
