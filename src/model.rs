//! The platform-neutral data model: names, kinds, interface records, create requests and changes.
//!
//! Nothing in here talks to a kernel. Validation of caller input (names, vlan ids, MTU bounds)
//! lives here so that every backend rejects bad input the same way, before any system call.

use std::fmt;
use std::str::FromStr;

use crate::error::{Context, Error, Result};

/// Longest interface name both kernels accept (IFNAMSIZ - 1).
pub const IFNAMSIZ_MAX: usize = 15;

/// Smallest MTU ifclone passes on to a backend: 68, the smallest MTU IPv4 allows (RFC 791; Linux's
/// ETH_MIN_MTU, which is what a veth accepts). This is only a sanity range: each backend refuses
/// what the interface itself cannot take (Linux: the device's IFLA_MIN_MTU/IFLA_MAX_MTU, see
/// [`Interface::min_mtu`]; FreeBSD: IF_MINMTU 72 / IF_MAXMTU 65535).
pub const MTU_MIN: u32 = 68;
/// Largest MTU ifclone passes on to a backend (the 16-bit IP total length; FreeBSD's IF_MAXMTU).
/// Linux drivers cap it lower per device ([`Interface::max_mtu`]).
pub const MTU_MAX: u32 = 65535;

/// A validated interface name: 1–15 bytes, no `/`, no whitespace, no NUL, not `.` or `..`.
///
/// Stored inline (16 bytes) so that a listing of 10 000 interfaces does not allocate per name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IfName {
    len: u8,
    buf: [u8; IFNAMSIZ_MAX],
}

impl IfName {
    /// Validates `s` as an interface name.
    pub fn new(s: &str) -> Result<IfName> {
        Self::check(s).map_err(|why| {
            Error::InvalidName(Box::new(
                Context::new("validate name", s).detail(why.to_string()),
            ))
        })?;
        let mut buf = [0u8; IFNAMSIZ_MAX];
        buf[..s.len()].copy_from_slice(s.as_bytes());
        Ok(IfName {
            len: s.len() as u8,
            buf,
        })
    }

    /// The reason `s` is not a valid name, if it is not.
    pub fn check(s: &str) -> std::result::Result<(), &'static str> {
        if s.is_empty() {
            return Err("name is empty");
        }
        if s.len() > IFNAMSIZ_MAX {
            return Err("name is longer than 15 bytes");
        }
        if s == "." || s == ".." {
            return Err("name is '.' or '..'");
        }
        if s.contains('/') {
            return Err("name contains '/'");
        }
        if s.chars().any(|c| c.is_whitespace()) {
            return Err("name contains whitespace");
        }
        if s.bytes().any(|b| b == 0 || b.is_ascii_control()) {
            return Err("name contains a control character");
        }
        Ok(())
    }

    /// Builds a name from kernel bytes (NUL-terminated or not). Kernel names are trusted: only the
    /// length is enforced.
    pub fn from_kernel(bytes: &[u8]) -> Option<IfName> {
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let s = std::str::from_utf8(&bytes[..end]).ok()?;
        if s.is_empty() || s.len() > IFNAMSIZ_MAX {
            return None;
        }
        let mut buf = [0u8; IFNAMSIZ_MAX];
        buf[..s.len()].copy_from_slice(s.as_bytes());
        Some(IfName {
            len: s.len() as u8,
            buf,
        })
    }

    pub fn as_str(&self) -> &str {
        // The constructors only store valid UTF-8.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

impl FromStr for IfName {
    type Err = Error;
    fn from_str(s: &str) -> Result<IfName> {
        IfName::new(s)
    }
}

impl TryFrom<&str> for IfName {
    type Error = Error;
    fn try_from(s: &str) -> Result<IfName> {
        IfName::new(s)
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl PartialEq<str> for IfName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl PartialEq<&str> for IfName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// An Ethernet MAC address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Mac {
    type Err = Error;
    fn from_str(s: &str) -> Result<Mac> {
        let bad = || {
            Error::InvalidArgument(Box::new(
                Context::new("parse MAC", s)
                    .detail("expected six hex octets like 02:00:00:00:00:01"),
            ))
        };
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for o in out.iter_mut() {
            let p = parts.next().ok_or_else(bad)?;
            if p.is_empty() || p.len() > 2 {
                return Err(bad());
            }
            *o = u8::from_str_radix(p, 16).map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Mac(out))
    }
}

/// The kinds of cloned interface ifclone knows. `epair` is Linux's veth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum KindName {
    Epair,
    Vlan,
    Tap,
    Tun,
    Bridge,
    Macvlan,
    Macvtap,
    Vxlan,
    Loopback,
    Bond,
    Dummy,
}

/// The VLAN tag protocol.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum VlanProto {
    /// 802.1Q, ethertype 0x8100.
    #[default]
    Dot1Q,
    /// 802.1ad (Q-in-Q), ethertype 0x88a8.
    Dot1Ad,
}

impl VlanProto {
    pub fn ethertype(self) -> u16 {
        match self {
            VlanProto::Dot1Q => 0x8100,
            VlanProto::Dot1Ad => 0x88a8,
        }
    }
    pub fn from_ethertype(t: u16) -> Option<VlanProto> {
        match t {
            0x8100 => Some(VlanProto::Dot1Q),
            0x88a8 => Some(VlanProto::Dot1Ad),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            VlanProto::Dot1Q => "802.1Q",
            VlanProto::Dot1Ad => "802.1ad",
        }
    }
    pub fn parse(s: &str) -> Option<VlanProto> {
        match s.to_ascii_lowercase().as_str() {
            "802.1q" | "8021q" | "dot1q" => Some(VlanProto::Dot1Q),
            "802.1ad" | "8021ad" | "qinq" | "dot1ad" => Some(VlanProto::Dot1Ad),
            _ => None,
        }
    }
}

/// macvlan / macvtap mode.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum MacvlanMode {
    Private,
    Vepa,
    #[default]
    Bridge,
    Passthru,
    Source,
}

impl MacvlanMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MacvlanMode::Private => "private",
            MacvlanMode::Vepa => "vepa",
            MacvlanMode::Bridge => "bridge",
            MacvlanMode::Passthru => "passthru",
            MacvlanMode::Source => "source",
        }
    }
    pub fn parse(s: &str) -> Option<MacvlanMode> {
        Some(match s {
            "private" => MacvlanMode::Private,
            "vepa" => MacvlanMode::Vepa,
            "bridge" => MacvlanMode::Bridge,
            "passthru" => MacvlanMode::Passthru,
            "source" => MacvlanMode::Source,
            _ => return None,
        })
    }
}

/// Administrative/operational state as the kernel reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum OperState {
    #[default]
    Unknown,
    NotPresent,
    Down,
    LowerLayerDown,
    Testing,
    Dormant,
    Up,
}

impl OperState {
    pub fn as_str(self) -> &'static str {
        match self {
            OperState::Unknown => "unknown",
            OperState::NotPresent => "notpresent",
            OperState::Down => "down",
            OperState::LowerLayerDown => "lowerlayerdown",
            OperState::Testing => "testing",
            OperState::Dormant => "dormant",
            OperState::Up => "up",
        }
    }
}

/// Where a linked interface (a vlan's parent, an epair's peer) lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
#[non_exhaustive]
pub enum LinkStack {
    /// In the same stack as the interface that points at it.
    Same,
    /// In another stack. `id` is the kernel's handle for that stack as seen from this one
    /// (Linux: the peer netnsid; FreeBSD: the jail id, 0 for the host), when it is known.
    Other { id: Option<i32> },
}

/// A reference to another interface: an epair's peer, a vlan's or macvlan's parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRef {
    /// Index in the stack that holds it, when the kernel reports it.
    pub index: Option<u32>,
    /// Name, when known (always on FreeBSD; on Linux when the link is in the same stack).
    pub name: Option<IfName>,
    pub stack: LinkStack,
}

/// A kind together with its own parameters, as observed on a live interface.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KindInfo {
    Epair {
        peer: Option<LinkRef>,
    },
    Vlan {
        parent: Option<LinkRef>,
        id: u16,
        proto: VlanProto,
    },
    Tap {
        queues: u16,
    },
    Tun {
        queues: u16,
    },
    Bridge,
    Macvlan {
        parent: Option<LinkRef>,
        mode: MacvlanMode,
    },
    Macvtap {
        parent: Option<LinkRef>,
        mode: MacvlanMode,
    },
    Vxlan(Box<VxlanParams>),
    Loopback,
    /// A failover group (Linux bond, FreeBSD lagg).
    Bond {
        /// `None`: a mode ifclone does not model (Linux broadcast, balance-tlb, balance-alb).
        mode: Option<GroupMode>,
        /// Link monitoring interval in ms (Linux miimon; `None` on FreeBSD and when off).
        miimon: Option<u32>,
        /// The index of the port carrying the traffic now (failover mode), if any.
        active: Option<u32>,
        /// The index of the preferred port, if one is set.
        primary: Option<u32>,
    },
    Dummy,
    /// A physical device or a kind ifclone does not model; the kernel's kind string if any.
    Other(Option<Box<str>>),
}

impl KindInfo {
    /// The neutral kind, if this is a kind ifclone models.
    pub fn kind(&self) -> Option<KindName> {
        Some(match self {
            KindInfo::Epair { .. } => KindName::Epair,
            KindInfo::Vlan { .. } => KindName::Vlan,
            KindInfo::Tap { .. } => KindName::Tap,
            KindInfo::Tun { .. } => KindName::Tun,
            KindInfo::Bridge => KindName::Bridge,
            KindInfo::Macvlan { .. } => KindName::Macvlan,
            KindInfo::Macvtap { .. } => KindName::Macvtap,
            KindInfo::Vxlan(_) => KindName::Vxlan,
            KindInfo::Loopback => KindName::Loopback,
            KindInfo::Bond { .. } => KindName::Bond,
            KindInfo::Dummy => KindName::Dummy,
            KindInfo::Other(_) => return None,
        })
    }
}

/// How a failover group — a Linux bond, a FreeBSD lagg — uses its ports. The same four modes
/// exist on both systems, under these (FreeBSD `laggproto`) names; the Linux names are accepted
/// too.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum GroupMode {
    /// One port carries the traffic, the others stand by (Linux `active-backup`, lagg
    /// `failover`). The default on both systems in ifclone (Linux's own default is
    /// `balance-rr`).
    #[default]
    Failover,
    /// IEEE 802.3ad / 802.1AX LACP (Linux `802.3ad`, lagg `lacp`).
    Lacp,
    /// Round robin over the ports (Linux `balance-rr`, lagg `roundrobin`).
    RoundRobin,
    /// A port chosen by a hash of the headers (Linux `balance-xor`, lagg `loadbalance`).
    LoadBalance,
}

impl GroupMode {
    pub const ALL: [GroupMode; 4] = [
        GroupMode::Failover,
        GroupMode::Lacp,
        GroupMode::RoundRobin,
        GroupMode::LoadBalance,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            GroupMode::Failover => "failover",
            GroupMode::Lacp => "lacp",
            GroupMode::RoundRobin => "roundrobin",
            GroupMode::LoadBalance => "loadbalance",
        }
    }
    /// The Linux bonding name of the mode.
    pub fn linux_name(self) -> &'static str {
        match self {
            GroupMode::Failover => "active-backup",
            GroupMode::Lacp => "802.3ad",
            GroupMode::RoundRobin => "balance-rr",
            GroupMode::LoadBalance => "balance-xor",
        }
    }
    /// A mode by its neutral or its Linux name.
    pub fn parse(s: &str) -> Option<GroupMode> {
        GroupMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s || m.linux_name() == s)
    }
}

impl fmt::Display for GroupMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// vxlan parameters (both for creation and as observed).
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VxlanParams {
    pub vni: u32,
    /// Underlay device name; on observation only the index may be known (see `parent`).
    pub dev: Option<IfName>,
    pub local: Option<std::net::IpAddr>,
    pub remote: Option<std::net::IpAddr>,
    /// Multicast group (mutually exclusive with `remote`).
    pub group: Option<std::net::IpAddr>,
    /// UDP destination port; `None` means the kernel default (Linux: 8472; IANA: 4789).
    pub port: Option<u16>,
    pub parent: Option<LinkRef>,
}

/// One interface as the kernel reports it. Compact: about 120 bytes plus the description.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Interface {
    pub index: u32,
    pub name: IfName,
    pub kind: KindInfo,
    pub mtu: u32,
    pub mac: Option<Mac>,
    /// Linux ifalias, FreeBSD description.
    pub description: Option<Box<str>>,
    /// Administratively up (IFF_UP).
    pub up: bool,
    pub oper: OperState,
    /// Index of the bridge/lagg this interface is a member of, if any.
    pub master: Option<u32>,
    /// Interface group number (Linux `group`; 0 when unset or on FreeBSD).
    pub group: u32,
    /// The interface flags, in neutral form ([`IfFlags`]; each backend maps its OS's bits).
    pub flags: IfFlags,
    /// The stack it is in (its name; shared by every record of one listing).
    pub stack: std::sync::Arc<str>,
    /// ifclone's identity mark on the device, if any (see [`MARK_PREFIX`]): on Linux the first
    /// alternative name that starts with the prefix; always `None` on FreeBSD.
    pub mark: Option<Box<str>>,
    /// The smallest MTU the device takes, as the kernel reports it (Linux IFLA_MIN_MTU; `None`
    /// when not reported, and on FreeBSD, whose limit is the same for every interface).
    pub min_mtu: Option<u32>,
    /// The largest MTU the device takes (Linux IFLA_MAX_MTU; `None` when the kernel reports
    /// none or no limit, and on FreeBSD).
    pub max_mtu: Option<u32>,
    /// The hardware device it is a network interface of, as the kernel names it (Linux
    /// IFLA_PARENT_DEV_NAME: `virtio2`, `0000:00:03.0`). Two interfaces of one device are one
    /// NIC's: Linux's net_failover master and its standby ([`crate::failover::kernel_failovers`]).
    /// `None` for virtual interfaces, and on FreeBSD.
    pub parent_dev: Option<Box<str>>,
}

/// Interface flags, the same on every OS: each backend maps its kernel's `IFF_*` bits (whose
/// values differ between Linux and FreeBSD) onto these. [`IfFlags::NAMES`] lists them in
/// ifconfig's order, with ifconfig's names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct IfFlags(u32);

impl IfFlags {
    /// Administratively up.
    pub const UP: IfFlags = IfFlags(1);
    pub const BROADCAST: IfFlags = IfFlags(1 << 1);
    pub const LOOPBACK: IfFlags = IfFlags(1 << 2);
    pub const POINTOPOINT: IfFlags = IfFlags(1 << 3);
    /// The driver runs (Linux IFF_RUNNING: operationally up; FreeBSD IFF_DRV_RUNNING).
    pub const RUNNING: IfFlags = IfFlags(1 << 4);
    pub const NOARP: IfFlags = IfFlags(1 << 5);
    pub const PROMISC: IfFlags = IfFlags(1 << 6);
    pub const ALLMULTI: IfFlags = IfFlags(1 << 7);
    pub const MULTICAST: IfFlags = IfFlags(1 << 8);
    /// It cannot hear its own transmissions (FreeBSD IFF_SIMPLEX; Linux has no such flag).
    pub const SIMPLEX: IfFlags = IfFlags(1 << 9);
    /// The carrier is up (Linux IFF_LOWER_UP; FreeBSD reports it as the link state instead).
    pub const LOWER_UP: IfFlags = IfFlags(1 << 10);
    /// Waiting for an external event to become operational (Linux IFF_DORMANT).
    pub const DORMANT: IfFlags = IfFlags(1 << 11);

    /// Every flag with its ifconfig name, in ifconfig's order.
    pub const NAMES: [(IfFlags, &'static str); 12] = [
        (IfFlags::UP, "UP"),
        (IfFlags::BROADCAST, "BROADCAST"),
        (IfFlags::LOOPBACK, "LOOPBACK"),
        (IfFlags::POINTOPOINT, "POINTOPOINT"),
        (IfFlags::RUNNING, "RUNNING"),
        (IfFlags::NOARP, "NOARP"),
        (IfFlags::PROMISC, "PROMISC"),
        (IfFlags::ALLMULTI, "ALLMULTI"),
        (IfFlags::SIMPLEX, "SIMPLEX"),
        (IfFlags::MULTICAST, "MULTICAST"),
        (IfFlags::LOWER_UP, "LOWER_UP"),
        (IfFlags::DORMANT, "DORMANT"),
    ];

    pub const fn empty() -> IfFlags {
        IfFlags(0)
    }
    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: IfFlags) -> bool {
        self.0 & other.0 == other.0
    }
    /// `self` with `other`'s flags set too.
    pub const fn with(self, other: IfFlags) -> IfFlags {
        IfFlags(self.0 | other.0)
    }
    /// `self` without `other`'s flags.
    pub const fn without(self, other: IfFlags) -> IfFlags {
        IfFlags(self.0 & !other.0)
    }
    /// `self` with `other` set when `on`.
    pub const fn with_if(self, other: IfFlags, on: bool) -> IfFlags {
        if on {
            self.with(other)
        } else {
            self
        }
    }
    /// The neutral flags of an OS's flag word, by a backend's table of (OS bit, flag).
    pub fn from_os_bits(bits: u32, table: &[(u32, IfFlags)]) -> IfFlags {
        table.iter().fold(IfFlags::empty(), |acc, (bit, f)| {
            acc.with_if(*f, bits & bit != 0)
        })
    }

    /// The names of the flags that are set, in ifconfig's order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        IfFlags::NAMES
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, n)| n)
    }
}

impl std::ops::BitOr for IfFlags {
    type Output = IfFlags;
    fn bitor(self, o: IfFlags) -> IfFlags {
        self.with(o)
    }
}

impl fmt::Display for IfFlags {
    /// `UP,BROADCAST,RUNNING,MULTICAST`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.names().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(n)?;
        }
        Ok(())
    }
}

/// Every identity mark ifclone puts on an interface starts with this (Linux: an alternative
/// name, shown by `ip link` as `altname ifclone.…`).
pub const MARK_PREFIX: &str = "ifclone.";

impl Interface {
    /// A record with only its identity filled in (everything else empty, MTU 0): for code that
    /// builds records itself (a test, a renderer's example). The struct is `non_exhaustive`.
    pub fn new(index: u32, name: IfName, kind: KindInfo, stack: &str) -> Interface {
        Interface {
            index,
            name,
            kind,
            mtu: 0,
            mac: None,
            description: None,
            up: false,
            oper: OperState::Unknown,
            master: None,
            group: 0,
            flags: IfFlags::empty(),
            stack: stack.into(),
            mark: None,
            min_mtu: None,
            max_mtu: None,
            parent_dev: None,
        }
    }

    /// Whether this is a vlan whose parent is the interface `index` of its own stack.
    pub fn is_vlan_on(&self, index: u32) -> bool {
        matches!(&self.kind, KindInfo::Vlan { parent: Some(p), .. }
            if p.stack == LinkStack::Same && p.index == Some(index))
    }
}

/// An interface address with its prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IfAddr {
    pub addr: std::net::IpAddr,
    pub prefix_len: u8,
}

impl fmt::Display for IfAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

impl FromStr for IfAddr {
    type Err = Error;
    fn from_str(s: &str) -> Result<IfAddr> {
        let bad =
            |d: &str| Error::InvalidArgument(Box::new(Context::new("parse address", s).detail(d)));
        let (a, p) = s
            .split_once('/')
            .ok_or_else(|| bad("expected ADDR/PREFIX"))?;
        let addr: std::net::IpAddr = a.parse().map_err(|_| bad("bad IP address"))?;
        let prefix_len: u8 = p.parse().map_err(|_| bad("bad prefix length"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix_len > max {
            return Err(bad("prefix length too large"));
        }
        Ok(IfAddr { addr, prefix_len })
    }
}

/// A route through one interface: the destination network, the next hop (none: the
/// destination is on the link), and the metric (none: the kernel's default). In the stack's
/// main table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IfRoute {
    pub dst: IfAddr,
    pub gateway: Option<std::net::IpAddr>,
    pub metric: Option<u32>,
}

impl fmt::Display for IfRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.dst)?;
        if let Some(g) = self.gateway {
            write!(f, " via {g}")?;
        }
        if let Some(m) = self.metric {
            write!(f, " metric {m}")?;
        }
        Ok(())
    }
}

/// Selects an interface inside one stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IfSel {
    Name(IfName),
    Index(u32),
}

impl fmt::Display for IfSel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IfSel::Name(n) => write!(f, "{n}"),
            IfSel::Index(i) => write!(f, "#{i}"),
        }
    }
}

impl From<IfName> for IfSel {
    fn from(n: IfName) -> IfSel {
        IfSel::Name(n)
    }
}
impl From<u32> for IfSel {
    fn from(i: u32) -> IfSel {
        IfSel::Index(i)
    }
}

/// The kind and its own parameters for creating an interface.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
#[non_exhaustive]
pub enum KindSpec {
    /// An epair (veth pair). The main end gets the request's name; the peer gets `peer_name`,
    /// or, when both are unset, FreeBSD naming: `epairNa` / `epairNb` with the lowest free N.
    Epair {
        peer_name: Option<IfName>,
    },
    Vlan {
        parent: IfName,
        id: u16,
        proto: VlanProto,
    },
    Tap {
        queues: u16,
    },
    Tun {
        queues: u16,
    },
    Bridge,
    Macvlan {
        parent: IfName,
        mode: MacvlanMode,
    },
    Macvtap {
        parent: IfName,
        mode: MacvlanMode,
    },
    Vxlan(Box<VxlanParams>),
    Loopback,
    /// A failover group (Linux bond, FreeBSD lagg), created without ports.
    Bond {
        #[serde(default)]
        mode: GroupMode,
        /// Link monitoring interval in ms (Linux miimon; FreeBSD has none and refuses it).
        #[serde(default)]
        miimon: Option<u32>,
    },
    Dummy,
}

impl KindSpec {
    pub fn kind(&self) -> KindName {
        match self {
            KindSpec::Epair { .. } => KindName::Epair,
            KindSpec::Vlan { .. } => KindName::Vlan,
            KindSpec::Tap { .. } => KindName::Tap,
            KindSpec::Tun { .. } => KindName::Tun,
            KindSpec::Bridge => KindName::Bridge,
            KindSpec::Macvlan { .. } => KindName::Macvlan,
            KindSpec::Macvtap { .. } => KindName::Macvtap,
            KindSpec::Vxlan(_) => KindName::Vxlan,
            KindSpec::Loopback => KindName::Loopback,
            KindSpec::Bond { .. } => KindName::Bond,
            KindSpec::Dummy => KindName::Dummy,
        }
    }
}

/// What to create: a kind, a name, and generic properties applied at creation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateRequest {
    /// The name. `None` lets the cloner pick (`epair` → `epair0a`, `vlan` → `vlan0`, `tap0`, …).
    pub name: Option<IfName>,
    pub kind: KindSpec,
    pub mtu: Option<u32>,
    pub mac: Option<Mac>,
    pub description: Option<String>,
    pub up: bool,
    /// Interface group number to put it in (Linux's `group`). FreeBSD's groups are names, so
    /// a number other than 0 is `Error::Unsupported` there (docs/vmove.md §5).
    pub group: Option<u32>,
}

impl CreateRequest {
    pub fn new(kind: KindSpec) -> CreateRequest {
        CreateRequest {
            name: None,
            kind,
            mtu: None,
            mac: None,
            description: None,
            up: false,
            group: None,
        }
    }

    pub fn named(mut self, name: IfName) -> Self {
        self.name = Some(name);
        self
    }

    /// The request's generic properties (MTU, MAC, description, UP, group) as a [`Change`], for
    /// a backend that applies them after the kernel created the interface.
    pub fn generic_change(&self) -> Change {
        Change {
            name: None,
            mtu: self.mtu,
            mac: self.mac,
            description: self.description.clone(),
            up: self.up.then_some(true),
            group: self.group,
        }
    }
}

/// A set of property changes applied to one interface, in a fixed order: name, MTU, MAC,
/// description, group, then up/down last (so an interface only comes up once configured).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    pub name: Option<IfName>,
    pub mtu: Option<u32>,
    pub mac: Option<Mac>,
    /// `Some("")` clears the description.
    pub description: Option<String>,
    pub up: Option<bool>,
    pub group: Option<u32>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        *self == Change::default()
    }

    pub fn validate(&self, object: &str) -> Result<()> {
        if let Some(mtu) = self.mtu {
            check_mtu(mtu, "set mtu", object)?;
        }
        if let Some(mac) = self.mac {
            check_mac(mac, "set mac", object)?;
        }
        Ok(())
    }
}

/// The neutral sanity check ([`MTU_MIN`]..=[`MTU_MAX`]); the interface's own limits are the
/// backend's to enforce.
pub(crate) fn check_mtu(mtu: u32, op: &'static str, object: &str) -> Result<()> {
    if !(MTU_MIN..=MTU_MAX).contains(&mtu) {
        return Err(Error::InvalidArgument(Box::new(
            Context::new(op, object).detail(format!("MTU {mtu} is outside {MTU_MIN}..={MTU_MAX}")),
        )));
    }
    Ok(())
}

pub(crate) fn check_mac(mac: Mac, op: &'static str, object: &str) -> Result<()> {
    if mac.is_multicast() || mac.0 == [0; 6] {
        return Err(Error::InvalidArgument(Box::new(
            Context::new(op, object).detail(format!("{mac} is not a unicast address")),
        )));
    }
    Ok(())
}

/// What a create returns: the interface, its peer for an epair, and file descriptors the kind
/// hands back (tap/tun queues, the macvtap `/dev/tapN`).
#[derive(Debug)]
pub struct Created {
    pub iface: Interface,
    pub peer: Option<Interface>,
    pub fds: Queues,
}

/// What a file descriptor a kind hands back is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FdKind {
    /// One queue of a tap (Ethernet frames; Linux `/dev/net/tun` with IFF_TAP, FreeBSD
    /// `/dev/tapN`).
    TapQueue,
    /// One queue of a tun (IP packets).
    TunQueue,
    /// A macvtap's character device (`/dev/tapN`, N its index).
    Macvtap,
}

/// One file descriptor a kind hands back, with the device and the queue it serves.
#[derive(Debug)]
pub struct QueueFd {
    /// The interface, by its name and index when the fd was opened (a rename or a move does
    /// not change which device the fd serves; a re-create leaves it on the destroyed one).
    pub device: IfName,
    pub index: u32,
    /// The queue it serves, from 0.
    pub queue: u16,
    pub kind: FdKind,
    pub fd: std::os::fd::OwnedFd,
}

impl std::os::fd::AsFd for QueueFd {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl From<QueueFd> for std::os::fd::OwnedFd {
    fn from(q: QueueFd) -> std::os::fd::OwnedFd {
        q.fd
    }
}

impl From<QueueFd> for std::fs::File {
    fn from(q: QueueFd) -> std::fs::File {
        std::fs::File::from(q.fd)
    }
}

/// The file descriptors a created interface hands back, in queue order (empty for most kinds).
#[derive(Debug, Default)]
pub struct Queues(Vec<QueueFd>);

impl Queues {
    /// The fds of one device, one per queue, numbered from 0 in order.
    pub fn of(
        device: IfName,
        index: u32,
        kind: FdKind,
        fds: impl IntoIterator<Item = std::os::fd::OwnedFd>,
    ) -> Queues {
        Queues(
            fds.into_iter()
                .enumerate()
                .map(|(q, fd)| QueueFd {
                    device,
                    index,
                    queue: q as u16,
                    kind,
                    fd,
                })
                .collect(),
        )
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, QueueFd> {
        self.0.iter()
    }
}

impl IntoIterator for Queues {
    type Item = QueueFd;
    type IntoIter = std::vec::IntoIter<QueueFd>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Queues {
    type Item = &'a QueueFd;
    type IntoIter = std::slice::Iter<'a, QueueFd>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// How a tap for a hypervisor is made, beyond its queue count ([`crate::Stack::create_tap`]).
/// The default is what a plain `KindSpec::Tap` makes: no vnet header, persistent, root's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TapOptions {
    /// The virtio-net header in front of each frame (Linux IFF_VNET_HDR), as QEMU's
    /// `vnet_hdr=on` and vhost-net want it.
    pub vnet_hdr: bool,
    /// The device outlives its descriptors (Linux TUNSETPERSIST). `false`: it goes with the
    /// last fd — a hypervisor that dies leaves no tap behind.
    pub persist: bool,
    /// The user and group that may attach queues without CAP_NET_ADMIN (TUNSETOWNER,
    /// TUNSETGROUP).
    pub owner: Option<u32>,
    pub group: Option<u32>,
}

impl Default for TapOptions {
    fn default() -> TapOptions {
        TapOptions {
            vnet_hdr: false,
            persist: true,
            owner: None,
            group: None,
        }
    }
}

/// A stack as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StackInfo {
    pub name: String,
    /// Linux: netns inode; FreeBSD: jid.
    pub id: u64,
}

/// How to find a stack.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StackSel {
    /// The host's own stack (the initial netns / vnet0 as seen by this process).
    Host,
    /// A named stack (Linux: /run/netns/NAME; FreeBSD: a jail name).
    Name(String),
    /// Linux: a path to a netns file (/proc/PID/ns/net, a bind mount).
    Path(std::path::PathBuf),
    /// The stack a process is in.
    Pid(u32),
    /// FreeBSD: a jail id.
    Id(i32),
}

impl StackSel {
    /// Parses `host`, `pid:N`, `jid:N`, a path (contains `/`), or a name.
    pub fn parse(s: &str) -> StackSel {
        if s == "host" || s == "-" {
            StackSel::Host
        } else if let Some(p) = s.strip_prefix("pid:").and_then(|p| p.parse().ok()) {
            StackSel::Pid(p)
        } else if let Some(p) = s.strip_prefix("jid:").and_then(|p| p.parse().ok()) {
            StackSel::Id(p)
        } else if s.contains('/') {
            StackSel::Path(s.into())
        } else {
            StackSel::Name(s.to_string())
        }
    }
}

impl fmt::Display for StackSel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StackSel::Host => f.write_str("host"),
            StackSel::Name(n) => f.write_str(n),
            StackSel::Path(p) => write!(f, "{}", p.display()),
            StackSel::Pid(p) => write!(f, "pid:{p}"),
            StackSel::Id(i) => write!(f, "jid:{i}"),
        }
    }
}

/// Checks a stack name: like an interface name but up to 64 bytes (netns names and jail names are
/// both path-like components).
pub fn check_stack_name(name: &str) -> Result<()> {
    let why = if name.is_empty() {
        Some("stack name is empty")
    } else if name.len() > 64 {
        Some("stack name is longer than 64 bytes")
    } else if name == "." || name == ".." || name == "host" {
        Some("stack name is reserved")
    } else if name.contains('/') {
        Some("stack name contains '/'")
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("stack name contains whitespace or control characters")
    } else if name.bytes().all(|b| b.is_ascii_digit()) {
        Some("stack name is all digits (reserved for ids)")
    } else {
        None
    };
    match why {
        Some(w) => Err(Error::InvalidName(Box::new(
            Context::new("create stack", name).detail(w),
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(IfName::new("eth0").is_ok());
        assert!(IfName::new("a23456789012345").is_ok());
        for bad in ["", "a234567890123456", "a/b", "a b", "a\tb", ".", ".."] {
            assert!(
                matches!(IfName::new(bad), Err(Error::InvalidName(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn macs() {
        assert_eq!(
            "02:00:00:aa:bb:0c".parse::<Mac>().unwrap().0,
            [2, 0, 0, 0xaa, 0xbb, 0xc]
        );
        assert!("02:00:00:aa:bb".parse::<Mac>().is_err());
        assert!("zz:00:00:aa:bb:cc".parse::<Mac>().is_err());
    }

    #[test]
    fn mtu_sanity_range() {
        assert!(check_mtu(68, "set mtu", "x").is_ok());
        assert!(check_mtu(65535, "set mtu", "x").is_ok());
        for bad in [0, 67, 65536] {
            let e = check_mtu(bad, "set mtu", "x").expect_err("refused");
            assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
            assert!(e.to_string().contains("68..=65535"), "{e}");
        }
    }

    #[test]
    fn compact() {
        assert!(
            // 160: the identity mark and the kernel's MTU limits joined the record; 176: the
            // hardware device's name (net_failover is told by it).
            std::mem::size_of::<Interface>() <= 176,
            "{}",
            std::mem::size_of::<Interface>()
        );
    }
}

/// The model's small values are stored (ledger, intents) as the strings users see.
macro_rules! serde_as_str {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}
pub(crate) use serde_as_str;
serde_as_str!(IfName, Mac, IfAddr, StackSel);

impl FromStr for StackSel {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> std::result::Result<StackSel, Self::Err> {
        Ok(StackSel::parse(s))
    }
}
