//! The keywords of `IF create …` and `IF …` (set) as one table, the way FreeBSD ifconfig's
//! `cmd_register` tables work: each row is a keyword, how many values follow it, where it
//! applies (any kind, create only, an existing interface only, or the kinds it belongs to), its
//! help text and the setter that stores it in [`Params`]. The parsers (`create`, `opts`) and the
//! per-kind parameter list of `-h` are both read from here. A kind's own keywords come from the kind
//! registry (its `KindDesc::keywords`); [`SETTERS`] says where each value goes.

use std::ops::RangeInclusive;

use ifclone::{
    Change, GroupMode, IfAddr, IfName, KindName, MacvlanMode, StackSel, VlanProto, VxlanParams,
};

use crate::opts::{usage, Usage};
use crate::values::{ifaddr, ifname, ip, mac, mask_len, need_prefix, num, num_in, prefix_lens};

/// The ranges the library accepts (src/model.rs), checked here so that a number out of range is
/// a usage error that says the range; `-h` quotes them (a unit test keeps the two in step).
pub const MTUS: RangeInclusive<u32> = ifclone::MTU_MIN..=ifclone::MTU_MAX;
pub const VLAN_IDS: RangeInclusive<u16> = 1..=4094;
pub const QUEUE_COUNTS: RangeInclusive<u16> = 1..=256;
pub const VNIS: RangeInclusive<u32> = 0..=(1 << 24) - 1;

/// Where a keyword may be given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    /// At `IF create` of any kind and on an existing interface.
    Any,
    /// At `IF create` of any kind only.
    Create,
    /// On an existing interface only (`ifc IF …`).
    Set,
    /// At `IF create` of the kinds whose group in [`kind_groups`] has it only.
    Kind,
}

/// Stores a keyword's value: `key` is the word as given (an alias, for messages), `val` its value
/// ("" for a keyword that takes none).
pub type Setter = fn(&mut Params, key: &str, val: &str) -> Result<(), Usage>;

/// One row of the table.
#[derive(Debug)]
pub struct Keyword {
    /// The keyword and its aliases; `-h` shows them joined by `|`.
    pub names: &'static [&'static str],
    /// How many values follow (0 or 1).
    pub values: usize,
    pub applies: Applies,
    /// The value's placeholder in `-h` (`N`, `MAC`, …); "" when `values` is 0.
    pub arg: &'static str,
    pub help: &'static str,
    pub set: Setter,
}

impl Keyword {
    /// `ether|lladdr|link MAC`.
    pub fn synopsis(&self) -> String {
        let names = self.names.join("|");
        match self.arg {
            "" => names,
            a => format!("{names} {a}"),
        }
    }
}

/// Everything the keywords of one command line set. The create parser reads the generic and the
/// kind's fields, the set parser the generic and the address fields.
#[derive(Debug, Default)]
pub struct Params {
    /// mtu, ether, description, group, up/down, name.
    pub change: Change,
    pub ty: Option<KindName>,
    pub peer: Option<IfName>,
    pub peervnet: Option<StackSel>,
    pub vlan: Option<u16>,
    pub vlandev: Option<IfName>,
    pub vlanproto: Option<VlanProto>,
    pub queues: Option<u16>,
    pub macvlandev: Option<IfName>,
    pub macvlanmode: Option<MacvlanMode>,
    pub laggproto: Option<GroupMode>,
    pub miimon: Option<u32>,
    /// The vni is in `vxlan` only when `vxlanid` was given.
    pub vxlanid: bool,
    pub vxlan: VxlanParams,
    /// Addresses to add, and those followed by `delete` / `-alias` (removed before any is added).
    pub addrs: Vec<IfAddr>,
    pub del_addrs: Vec<IfAddr>,
    /// An address given without /PLEN, waiting for `netmask` or `prefixlen`.
    pub pending: Option<std::net::IpAddr>,
    /// Whether the word before this one completed an address (for `alias`, `delete`, `-alias`);
    /// the parser sets it before each setter call from what the setter before left in
    /// `just_added`.
    pub after_addr: bool,
    pub just_added: bool,
    /// Ports to take out of this bridge/lagg (`deletem`, `-laggport`) and to add (`addm`,
    /// `laggport`), in that order, after the other changes.
    pub del_ports: Vec<IfName>,
    pub add_ports: Vec<IfName>,
}

const fn kw(
    names: &'static [&'static str],
    values: usize,
    applies: Applies,
    arg: &'static str,
    help: &'static str,
    set: Setter,
) -> Keyword {
    Keyword {
        names,
        values,
        applies,
        arg,
        help,
        set,
    }
}

use Applies::{Any, Create, Kind, Set};

/// The keywords of every kind, and those of an existing interface.
#[rustfmt::skip]
pub const GENERIC_ROWS: &[Keyword] = &[
    kw(&["type"], 1, Create, "KIND", "the kind, when IF is not a cloner name",
        |p, _, v| put(&mut p.ty, KindName::parse(v)
            .ok_or_else(|| Usage(format!("unknown kind '{v}'"))))),
    kw(&["mtu"], 1, Any, "N", "the MTU, 68..=65535",
        |p, k, v| put(&mut p.change.mtu, num_in(v, k, MTUS))),
    kw(&["ether", "lladdr", "link"], 1, Any, "MAC", "the link-layer address",
        |p, _, v| put(&mut p.change.mac, mac(v))),
    kw(&["description", "descr"], 1, Any, "TEXT", "the description",
        |p, _, v| put(&mut p.change.description, Ok(v.to_string()))),
    kw(&["-description", "-descr"], 0, Set, "", "clear the description",
        |p, _, _| put(&mut p.change.description, Ok(String::new()))),
    kw(&["group"], 1, Any, "N", "the interface group number",
        |p, k, v| put(&mut p.change.group, num(v, k))),
    kw(&["name"], 1, Set, "NEW", "rename the interface",
        |p, _, v| put(&mut p.change.name, ifname(v))),
    kw(&["up"], 0, Any, "", "bring it up (last, once configured)",
        |p, _, _| put(&mut p.change.up, Ok(true))),
    kw(&["down"], 0, Set, "", "bring it down",
        |p, _, _| put(&mut p.change.up, Ok(false))),
    kw(&["inet", "inet6"], 1, Set, "ADDR[/PLEN]", "add an address", set_inet),
    kw(&["netmask"], 1, Set, "MASK", "the inet address before has this mask", set_plen),
    kw(&["prefixlen"], 1, Set, "N", "the address before has this prefix length", set_plen),
    kw(&["alias"], 0, Set, "", "(the address before is added; the default)",
        |p, _, _| { p.just_added = p.after_addr; Ok(()) }),
    kw(&["delete", "-alias"], 0, Set, "", "remove the address before instead", set_delete),
    kw(&["addm", "laggport"], 1, Set, "IF", "make IF a port of this bridge / lagg",
        |p, _, v| { p.add_ports.push(ifname(v)?); Ok(()) }),
    kw(&["deletem", "-laggport"], 1, Set, "IF", "take IF out of this bridge / lagg",
        |p, _, v| { p.del_ports.push(ifname(v)?); Ok(()) }),
];

/// Stores a parsed value.
fn put<T>(slot: &mut Option<T>, v: Result<T, Usage>) -> Result<(), Usage> {
    *slot = Some(v?);
    Ok(())
}

fn set_delete(p: &mut Params, key: &str, _: &str) -> Result<(), Usage> {
    need_prefix(&p.pending)?;
    match p.addrs.pop().filter(|_| p.after_addr) {
        Some(a) => p.del_addrs.push(a),
        None => return usage(format!("'{key}' must follow an address")),
    }
    Ok(())
}

fn set_inet(p: &mut Params, key: &str, v: &str) -> Result<(), Usage> {
    need_prefix(&p.pending)?;
    let v6 = key == "inet6";
    if v.contains('/') {
        p.addrs.push(ifaddr(v, key, v6)?);
        p.just_added = true;
        return Ok(());
    }
    let a = ip(v, key)?;
    if a.is_ipv6() != v6 {
        return usage(format!(
            "{key} takes an IPv{} address, got '{v}'",
            if v6 { 6 } else { 4 }
        ));
    }
    p.pending = Some(a);
    Ok(())
}

/// `netmask M` / `prefixlen N` after an address without /PLEN.
fn set_plen(p: &mut Params, key: &str, v: &str) -> Result<(), Usage> {
    let Some(a) = p.pending.take() else {
        return usage(format!("'{key}' must follow an address without /PLEN"));
    };
    let prefix_len: u8 = if key == "prefixlen" {
        num_in(v, key, prefix_lens(a.is_ipv6()))?
    } else if a.is_ipv4() {
        mask_len(v)?
    } else {
        return usage("netmask applies to inet; use prefixlen with inet6");
    };
    p.addrs.push(IfAddr {
        addr: a,
        prefix_len,
    });
    p.just_added = true;
    Ok(())
}

/// How `ifc` stores each kind keyword's value. Which kind has which keyword, its placeholder
/// and its help come from the kind registry (`ifclone::kinds`, each kind's `KindDesc::keywords`);
/// this table only says where a value goes (a test checks that every registry keyword has a
/// setter here and every setter a keyword there).
#[rustfmt::skip]
const SETTERS: &[(&str, Setter)] = &[
    ("peer", |p, _, v| put(&mut p.peer, ifname(v))),
    ("peervnet", |p, _, v| put(&mut p.peervnet, Ok(StackSel::parse(v)))),
    ("vlan", |p, _, v| put(&mut p.vlan, num_in(v, "vlan id", VLAN_IDS))),
    ("vlandev", |p, _, v| put(&mut p.vlandev, ifname(v))),
    ("vlanproto", |p, _, v| put(&mut p.vlanproto, VlanProto::parse(v)
        .ok_or_else(|| Usage(format!("bad vlanproto '{v}': 802.1q or 802.1ad"))))),
    ("queues", |p, _, v| put(&mut p.queues, num_in(v, "queue count", QUEUE_COUNTS))),
    ("macvlandev", |p, _, v| put(&mut p.macvlandev, ifname(v))),
    ("macvlanmode", |p, _, v| put(&mut p.macvlanmode, MacvlanMode::parse(v)
        .ok_or_else(|| Usage(format!("bad macvlanmode '{v}'"))))),
    ("laggproto", |p, _, v| put(&mut p.laggproto, GroupMode::parse(v)
        .ok_or_else(|| Usage(format!("bad laggproto '{v}': failover, lacp, roundrobin or loadbalance"))))),
    ("miimon", |p, k, v| put(&mut p.miimon, num_in(v, k, 0..=ifclone::kinds::MIIMON_MAX))),
    ("vxlanid", |p, k, v| { p.vxlan.vni = num_in(v, k, VNIS)?; p.vxlanid = true; Ok(()) }),
    ("vxlanlocal", |p, k, v| put(&mut p.vxlan.local, ip(v, k))),
    ("vxlanremote", |p, k, v| put(&mut p.vxlan.remote, ip(v, k))),
    ("vxlangroup", |p, k, v| put(&mut p.vxlan.group, ip(v, k))),
    ("vxlandev", |p, _, v| put(&mut p.vxlan.dev, ifname(v))),
    ("vxlanport", |p, k, v| put(&mut p.vxlan.port, num(v, k))),
];

/// A keyword the registry lists with no setter here (the test below keeps this unreachable).
fn no_setter(_: &mut Params, key: &str, _: &str) -> Result<(), Usage> {
    usage(format!("'{key}' is not supported by ifc yet"))
}

/// The create parameters of each kind, in registry order, built once from the kind registry.
/// A kind without parameters of its own has an empty group.
pub fn kind_groups() -> &'static [(KindName, Vec<Keyword>)] {
    static GROUPS: std::sync::OnceLock<Vec<(KindName, Vec<Keyword>)>> = std::sync::OnceLock::new();
    GROUPS.get_or_init(|| {
        ifclone::kinds::REGISTRY
            .iter()
            .map(|d| {
                let rows = d
                    .keywords
                    .iter()
                    .map(|k| {
                        let set = SETTERS
                            .iter()
                            .find(|(w, _)| *w == k.word)
                            .map_or(no_setter as Setter, |(_, s)| *s);
                        kw(
                            std::slice::from_ref(&k.word),
                            usize::from(k.value.is_some()),
                            Kind,
                            k.value.unwrap_or(""),
                            k.help,
                            set,
                        )
                    })
                    .collect();
                (d.kind, rows)
            })
            .collect()
    })
}

/// The create parameters of `kind`.
pub fn kind_rows(kind: KindName) -> &'static [Keyword] {
    kind_groups()
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(&[], |(_, rows)| rows.as_slice())
}

/// The row of the word `key`: a generic row first, else the first kind's row that has it.
pub fn lookup(key: &str) -> Option<&'static Keyword> {
    let generic = GENERIC_ROWS.iter();
    let kinds = kind_groups().iter().flat_map(|(_, rows)| rows.iter());
    generic.chain(kinds).find(|k| k.names.contains(&key))
}

/// Whether `row` may be given when creating a `kind`.
pub fn applies_to(row: &Keyword, kind: KindName) -> bool {
    match row.applies {
        Any | Create => true,
        Set => false,
        Kind => kind_rows(kind).iter().any(|r| r.names == row.names),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        let all = GENERIC_ROWS
            .iter()
            .chain(kind_groups().iter().flat_map(|(_, r)| r.iter()));
        for row in all {
            assert!(row.values <= 1, "{:?}", row.names);
            assert_eq!(row.arg.is_empty(), row.values == 0, "{:?}", row.names);
            assert!(!row.help.is_empty(), "{:?}", row.names);
            for n in row.names {
                // A row shared by kinds (tap and tun) is seen once per kind, with the same names.
                let first = seen.insert(*n);
                assert!(first || lookup(n).unwrap().names == row.names, "{n} twice");
            }
        }
        for (k, rows) in kind_groups() {
            assert!(rows.iter().all(|r| r.applies == Kind), "{k}");
        }
        assert!(GENERIC_ROWS.iter().all(|r| r.applies != Kind));
        assert!(KindName::ALL
            .iter()
            .all(|k| kind_groups().iter().filter(|(x, _)| x == k).count() <= 1));
    }

    #[test]
    fn every_registry_keyword_has_a_setter_and_every_setter_a_keyword() {
        let words: Vec<&str> = ifclone::kinds::REGISTRY
            .iter()
            .flat_map(|d| d.keywords.iter().map(|k| k.word))
            .collect();
        for w in &words {
            assert!(SETTERS.iter().any(|(s, _)| s == w), "no setter for {w}");
        }
        for (s, _) in SETTERS {
            assert!(
                words.contains(s),
                "setter {s} has no keyword in the registry"
            );
        }
    }
}
