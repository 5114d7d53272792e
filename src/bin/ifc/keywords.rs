//! The keywords of `IF create …` and `IF …` (set) as one table, the way FreeBSD ifconfig's
//! `cmd_register` tables work: each row is a keyword, how many values follow it, where it
//! applies (any kind, create only, an existing interface only, or the kinds it belongs to), its
//! help text and the setter that stores it in [`Params`]. The parsers (`create`, `opts`) and the
//! per-kind parameter list of `-h` are both read from here, so a new kind's keywords are added in
//! one place: a row group in [`KIND_ROWS`] under its [`KindName`].

use std::ops::RangeInclusive;

use ifclone::{Change, IfAddr, IfName, KindName, MacvlanMode, StackSel, VlanProto, VxlanParams};

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
    /// At `IF create` of the kinds of its group in [`KIND_ROWS`] only.
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

#[rustfmt::skip]
const EPAIR: &[Keyword] = &[
    kw(&["peer"], 1, Kind, "NAME", "the b end's name",
        |p, _, v| put(&mut p.peer, ifname(v))),
    kw(&["peervnet"], 1, Kind, "STACK", "the b end goes straight into STACK",
        |p, _, v| put(&mut p.peervnet, Ok(StackSel::parse(v)))),
];

#[rustfmt::skip]
const VLAN: &[Keyword] = &[
    kw(&["vlan"], 1, Kind, "ID", "the tag, 1..=4094 (or the name PARENT.VID)",
        |p, _, v| put(&mut p.vlan, num_in(v, "vlan id", VLAN_IDS))),
    kw(&["vlandev"], 1, Kind, "PARENT", "the parent interface",
        |p, _, v| put(&mut p.vlandev, ifname(v))),
    kw(&["vlanproto"], 1, Kind, "PROTO", "802.1q (the default) or 802.1ad",
        |p, _, v| put(&mut p.vlanproto, VlanProto::parse(v)
            .ok_or_else(|| Usage(format!("bad vlanproto '{v}': 802.1q or 802.1ad"))))),
];

#[rustfmt::skip]
const QUEUES: &[Keyword] = &[
    kw(&["queues"], 1, Kind, "N", "the number of queues, 1..=256",
        |p, _, v| put(&mut p.queues, num_in(v, "queue count", QUEUE_COUNTS))),
];

#[rustfmt::skip]
const MACVLAN: &[Keyword] = &[
    kw(&["macvlandev"], 1, Kind, "IF", "the parent interface",
        |p, _, v| put(&mut p.macvlandev, ifname(v))),
    kw(&["macvlanmode"], 1, Kind, "MODE", "private, vepa, bridge (the default), passthru or source",
        |p, _, v| put(&mut p.macvlanmode, MacvlanMode::parse(v)
            .ok_or_else(|| Usage(format!("bad macvlanmode '{v}'"))))),
];

#[rustfmt::skip]
const VXLAN: &[Keyword] = &[
    kw(&["vxlanid"], 1, Kind, "N", "the VNI, 0..=16777215",
        |p, k, v| { p.vxlan.vni = num_in(v, k, VNIS)?; p.vxlanid = true; Ok(()) }),
    kw(&["vxlanlocal"], 1, Kind, "IP", "the local address",
        |p, k, v| put(&mut p.vxlan.local, ip(v, k))),
    kw(&["vxlanremote"], 1, Kind, "IP", "the remote (not with vxlangroup)",
        |p, k, v| put(&mut p.vxlan.remote, ip(v, k))),
    kw(&["vxlangroup"], 1, Kind, "IP", "the multicast group",
        |p, k, v| put(&mut p.vxlan.group, ip(v, k))),
    kw(&["vxlandev"], 1, Kind, "IF", "the underlying interface",
        |p, _, v| put(&mut p.vxlan.dev, ifname(v))),
    kw(&["vxlanport"], 1, Kind, "N", "the UDP port",
        |p, k, v| put(&mut p.vxlan.port, num(v, k))),
];

/// The create parameters of each kind, in `KindName::ALL` order. A kind without parameters of its
/// own has no row group.
pub const KIND_ROWS: &[(KindName, &[Keyword])] = &[
    (KindName::Epair, EPAIR),
    (KindName::Vlan, VLAN),
    (KindName::Tap, QUEUES),
    (KindName::Tun, QUEUES),
    (KindName::Macvlan, MACVLAN),
    (KindName::Macvtap, MACVLAN),
    (KindName::Vxlan, VXLAN),
];

/// The create parameters of `kind`.
pub fn kind_rows(kind: KindName) -> &'static [Keyword] {
    KIND_ROWS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(&[], |(_, rows)| rows)
}

/// The row of the word `key`: a generic row first, else the first kind's row that has it.
pub fn lookup(key: &str) -> Option<&'static Keyword> {
    let generic = GENERIC_ROWS.iter();
    let kinds = KIND_ROWS.iter().flat_map(|(_, rows)| rows.iter());
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
            .chain(KIND_ROWS.iter().flat_map(|(_, r)| r.iter()));
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
        for (k, rows) in KIND_ROWS {
            assert!(rows.iter().all(|r| r.applies == Kind), "{k}");
        }
        assert!(GENERIC_ROWS.iter().all(|r| r.applies != Kind));
        assert!(KindName::ALL
            .iter()
            .all(|k| KIND_ROWS.iter().filter(|(x, _)| x == k).count() <= 1));
    }
}
