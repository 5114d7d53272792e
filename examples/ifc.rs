//! `ifc`: an ifconfig-like command line over ifclone, with FreeBSD `ifconfig` syntax on both
//! Linux and FreeBSD.
//!
//! The argument parsing is a pure function from argv to a [`Cmd`]; it is unit-tested below
//! (`cargo test --examples`). Running a `Cmd` is the only part that talks to the kernel.

use std::fmt::Write as _;
use std::process::ExitCode;

use ifclone::vmove::{self, MoveOptions, Receipt, RemoveOptions, Strategy};
use ifclone::{
    Change, CreateRequest, IfAddr, IfName, Interface, KindInfo, KindName, KindSpec, LinkRef,
    LinkStack, Mac, MacvlanMode, OperState, Stack, StackSel, VlanProto, VxlanParams,
};

const USAGE: &str = "\
usage: ifc [-j STACK] [-a] [-u|-d]              list interfaces (ifconfig style)
       ifc [-j STACK] -l [-u|-d]                list interface names on one line
       ifc [-j STACK] -C                        list the cloners of the stack
       ifc [-j STACK] IF                        show one interface
       ifc [-j STACK] IF create [type KIND] [params…]
       ifc [-j STACK] IF destroy
       ifc [-j STACK] destroy IF [IF …]
       ifc [-j STACK] IF [mtu N] [ether MAC] [description TEXT | -description]
                         [name NEW] [group N] [up | down] [inet ADDR/PLEN | inet ADDR netmask M]
                         [inet6 ADDR/PLEN | inet6 ADDR prefixlen N] [alias | -alias | delete]
       ifc [-j STACK] IF vnet TARGET [name NEW] [strategy native|recreate] [addresses]
       ifc [-j STACK] IF -vnet [STACK] [strategy native|recreate] [addresses]
       ifc stack create NAME | ifc stack list | ifc stack remove [--force] NAME
       ifc [-j STACK] recover                  finish or undo the moves of crashed processes

Exit status: 0 when everything asked was done; 1 when something was not (an error, a loan
that could not go home, a loan lost by `remove --force`, an interface recover could not
find); 2 for a usage error.

STACK: a stack name, host, pid:N, jid:N or a path to a netns file.
IF create: IF is a cloner name with optional unit (epair, epair3, vlan, vlan5, tap, tun,
  bridge, lo, vxlan, lagg), NAME.VID for a vlan on NAME, or any name with `type KIND`
  (epair|veth, vlan, tap, tun, bridge, macvlan, macvtap, vxlan, lo, lagg, dummy).
create params:
  epair:   peer NAME, peervnet STACK (the b end goes straight into STACK)
  vlan:    vlan ID vlandev PARENT [vlanproto 802.1q|802.1ad]
  tap/tun: queues N
  macvlan/macvtap: macvlandev IF [macvlanmode private|vepa|bridge|passthru|source]
  vxlan:   vxlanid N [vxlanlocal IP] [vxlanremote IP | vxlangroup IP] [vxlandev IF]
           [vxlanport N]
  any:     mtu N, ether|lladdr MAC, description|descr TEXT, group N, up
";

/// A parsed command line.
#[derive(Debug, PartialEq)]
enum Cmd {
    Help,
    List {
        stack: Option<StackSel>,
        names_only: bool,
        filter: Filter,
    },
    Show {
        stack: Option<StackSel>,
        name: String,
    },
    Cloners {
        stack: Option<StackSel>,
    },
    Create {
        stack: Option<StackSel>,
        /// The word the user gave (printed back only when the created name differs).
        asked: String,
        req: CreateRequest,
        /// epair `peervnet`: the b end goes straight into this stack.
        peer_stack: Option<StackSel>,
    },
    Destroy {
        stack: Option<StackSel>,
        names: Vec<String>,
    },
    Set {
        stack: Option<StackSel>,
        name: String,
        change: Change,
        addrs: Vec<IfAddr>,
        /// Addresses followed by `delete` / `-alias`: removed before any is added.
        del_addrs: Vec<IfAddr>,
    },
    Vnet {
        stack: Option<StackSel>,
        name: String,
        target: StackSel,
        opts: MoveOptions,
    },
    Reclaim {
        stack: StackSel,
        name: String,
        opts: MoveOptions,
    },
    StackCreate(String),
    StackList,
    StackRemove {
        name: String,
        force: bool,
    },
    /// Finish or undo the moves of crashed processes (all, or those touching one stack).
    Recover(Option<StackSel>),
}

/// `-u` / `-d` filters of a listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Filter {
    #[default]
    All,
    Up,
    Down,
}

/// A usage error: printed with the synopsis, exit status 2.
#[derive(Debug, PartialEq)]
struct Usage(String);

fn usage<T>(msg: impl Into<String>) -> Result<T, Usage> {
    Err(Usage(msg.into()))
}

/// Takes the value after a keyword, or fails with "missing value after KEY".
fn value<'a>(it: &mut std::slice::Iter<'a, String>, key: &str) -> Result<&'a str, Usage> {
    match it.next() {
        Some(v) => Ok(v.as_str()),
        None => usage(format!("missing value after '{key}'")),
    }
}

fn num<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, Usage> {
    s.parse()
        .map_err(|_| Usage(format!("bad {what} '{s}': expected a number")))
}

fn ifname(s: &str) -> Result<IfName, Usage> {
    IfName::new(s).map_err(|e| Usage(e.to_string()))
}

fn mac(s: &str) -> Result<Mac, Usage> {
    s.parse().map_err(|e: ifclone::Error| Usage(e.to_string()))
}

fn ifaddr(s: &str, key: &str, v6: bool) -> Result<IfAddr, Usage> {
    let a: IfAddr = s
        .parse()
        .map_err(|e: ifclone::Error| Usage(format!("{key}: {e}")))?;
    if a.addr.is_ipv6() != v6 {
        return usage(format!(
            "{key} takes an IPv{} address, got '{s}'",
            if v6 { 6 } else { 4 }
        ));
    }
    Ok(a)
}

fn need_prefix(pending: &Option<std::net::IpAddr>) -> Result<(), Usage> {
    match pending {
        Some(a) => usage(format!(
            "address {a} needs a prefix: ADDR/PLEN, or netmask MASK / prefixlen N after it"
        )),
        None => Ok(()),
    }
}

/// `255.255.255.0` or `0xffffff00` → 24; a non-contiguous mask is refused.
fn mask_len(s: &str) -> Result<u8, Usage> {
    let bad = || Usage(format!("bad netmask '{s}'"));
    let m: u32 = match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).map_err(|_| bad())?,
        None => u32::from(s.parse::<std::net::Ipv4Addr>().map_err(|_| bad())?),
    };
    if m.leading_ones() + m.trailing_zeros() != 32 {
        return Err(bad());
    }
    Ok(m.leading_ones() as u8)
}

fn ip(s: &str, key: &str) -> Result<std::net::IpAddr, Usage> {
    s.parse()
        .map_err(|_| Usage(format!("bad address '{s}' after '{key}'")))
}

fn strategy(s: &str) -> Result<Strategy, Usage> {
    match s {
        "native" => Ok(Strategy::Native),
        "recreate" => Ok(Strategy::Recreate),
        _ => usage(format!("bad strategy '{s}': expected native or recreate")),
    }
}

/// Parses argv (without the program name).
fn parse<S: AsRef<str>>(argv: &[S]) -> Result<Cmd, Usage> {
    let args: Vec<String> = argv.iter().map(|s| s.as_ref().to_string()).collect();
    let mut stack: Option<StackSel> = None;
    let (mut all, mut names_only, mut cloners, mut help) = (false, false, false, false);
    let mut filter = Filter::All;
    let mut i = 0;
    // Options come before the first word; `-vnet`, `-description` come after the interface.
    while i < args.len() && args[i].starts_with('-') && args[i].len() > 1 {
        let a = &args[i];
        i += 1;
        if a == "--help" {
            help = true;
            continue;
        }
        if a == "--" {
            break;
        }
        let letters: Vec<char> = a[1..].chars().collect();
        for (k, c) in letters.iter().enumerate() {
            match c {
                'a' => all = true,
                'l' => names_only = true,
                'C' => cloners = true,
                'h' => help = true,
                'u' => filter = Filter::Up,
                'd' => filter = Filter::Down,
                'j' => {
                    let rest: String = letters[k + 1..].iter().collect();
                    let v = if !rest.is_empty() {
                        rest
                    } else if i < args.len() {
                        i += 1;
                        args[i - 1].clone()
                    } else {
                        return usage("missing value after '-j'");
                    };
                    stack = Some(StackSel::parse(&v));
                    break;
                }
                _ => return usage(format!("unknown option '-{c}'")),
            }
        }
    }
    if help {
        return Ok(Cmd::Help);
    }
    let words = &args[i..];
    if cloners {
        if !words.is_empty() || all || names_only {
            return usage("-C takes no other arguments");
        }
        return Ok(Cmd::Cloners { stack });
    }
    if words.is_empty() {
        return Ok(Cmd::List {
            stack,
            names_only,
            filter,
        });
    }
    if all || names_only || filter != Filter::All {
        return usage("-a, -l, -u and -d list interfaces; they take no interface");
    }
    match words[0].as_str() {
        "stack" => {
            if stack.is_some() {
                return usage("-j does not apply to 'stack'");
            }
            return parse_stack(&words[1..]);
        }
        "recover" => {
            return match &words[1..] {
                [] => Ok(Cmd::Recover(stack)),
                _ => usage("recover takes no arguments (use -j STACK for one stack)"),
            };
        }
        "destroy" => {
            if words.len() < 2 {
                return usage("destroy needs at least one interface");
            }
            for w in &words[1..] {
                ifname(w)?;
            }
            return Ok(Cmd::Destroy {
                stack,
                names: words[1..].to_vec(),
            });
        }
        _ => {}
    }
    let name = words[0].clone();
    let rest = &words[1..];
    if rest.is_empty() {
        return Ok(Cmd::Show { stack, name });
    }
    match rest[0].as_str() {
        "create" => parse_create(stack, &name, &rest[1..]),
        "destroy" if rest.len() == 1 => {
            ifname(&name)?;
            Ok(Cmd::Destroy {
                stack,
                names: vec![name],
            })
        }
        "destroy" => usage("'destroy' takes nothing after it"),
        _ if rest.iter().any(|w| w == "vnet" || w == "-vnet") => parse_move(stack, name, rest),
        _ => parse_set(stack, name, rest),
    }
}

fn parse_stack(words: &[String]) -> Result<Cmd, Usage> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["create", n] => Ok(Cmd::StackCreate(n.to_string())),
        ["list"] => Ok(Cmd::StackList),
        ["remove" | "destroy", "-f" | "--force", n]
        | ["remove" | "destroy", n, "-f" | "--force"] => Ok(Cmd::StackRemove {
            name: n.to_string(),
            force: true,
        }),
        ["remove" | "destroy", n] if !n.starts_with('-') => Ok(Cmd::StackRemove {
            name: n.to_string(),
            force: false,
        }),
        [] => usage("stack: expected create NAME, list or remove [--force] NAME"),
        _ => usage(format!(
            "stack: expected create NAME, list or remove [--force] NAME, got '{}'",
            w.join(" ")
        )),
    }
}

/// The cloner names FreeBSD-style names start with; `name` is one of them, optionally followed by
/// a unit number. Returns the kind and the unit.
fn cloner_prefix(name: &str) -> Option<(KindName, Option<u32>)> {
    const CLONERS: [(&str, KindName); 12] = [
        ("epair", KindName::Epair),
        ("vlan", KindName::Vlan),
        ("tap", KindName::Tap),
        ("tun", KindName::Tun),
        ("bridge", KindName::Bridge),
        ("lo", KindName::Loopback),
        ("vxlan", KindName::Vxlan),
        ("lagg", KindName::Bond),
        ("macvlan", KindName::Macvlan),
        ("macvtap", KindName::Macvtap),
        ("veth", KindName::Epair),
        ("dummy", KindName::Dummy),
    ];
    for (p, k) in CLONERS {
        if let Some(unit) = name.strip_prefix(p) {
            if unit.is_empty() {
                return Some((k, None));
            }
            if unit.bytes().all(|b| b.is_ascii_digit()) && unit.len() <= 9 {
                return Some((k, unit.parse().ok()));
            }
        }
    }
    None
}

/// `NAME.VID` (FreeBSD's `em0.100`): the parent and the vlan id.
fn dotted_vlan(name: &str) -> Option<(&str, &str)> {
    let (parent, vid) = name.rsplit_once('.')?;
    if parent.is_empty() || vid.is_empty() || !vid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((parent, vid))
}

#[derive(Default)]
struct CreateParams<'a> {
    ty: Option<KindName>,
    peer: Option<&'a str>,
    peervnet: Option<&'a str>,
    vlan: Option<u16>,
    vlandev: Option<&'a str>,
    vlanproto: Option<VlanProto>,
    queues: Option<u16>,
    macvlandev: Option<&'a str>,
    macvlanmode: Option<MacvlanMode>,
    vxlan: VxlanParams,
    vxlan_given: Vec<&'static str>,
}

fn parse_create(stack: Option<StackSel>, asked: &str, words: &[String]) -> Result<Cmd, Usage> {
    let mut p = CreateParams::default();
    let mut req = CreateRequest::new(KindSpec::Bridge);
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let key = w.as_str();
        match key {
            "type" => {
                let v = value(&mut it, key)?;
                p.ty =
                    Some(KindName::parse(v).ok_or_else(|| Usage(format!("unknown kind '{v}'")))?);
            }
            "peer" => p.peer = Some(value(&mut it, key)?),
            "peervnet" => p.peervnet = Some(value(&mut it, key)?),
            "vlan" => p.vlan = Some(num(value(&mut it, key)?, "vlan id")?),
            "vlandev" => p.vlandev = Some(value(&mut it, key)?),
            "vlanproto" => {
                let v = value(&mut it, key)?;
                p.vlanproto = Some(
                    VlanProto::parse(v)
                        .ok_or_else(|| Usage(format!("bad vlanproto '{v}': 802.1q or 802.1ad")))?,
                );
            }
            "queues" => p.queues = Some(num(value(&mut it, key)?, "queue count")?),
            "macvlandev" => p.macvlandev = Some(value(&mut it, key)?),
            "macvlanmode" => {
                let v = value(&mut it, key)?;
                p.macvlanmode = Some(
                    MacvlanMode::parse(v).ok_or_else(|| Usage(format!("bad macvlanmode '{v}'")))?,
                );
            }
            "vxlanid" => {
                p.vxlan.vni = num(value(&mut it, key)?, "vxlanid")?;
                p.vxlan_given.push("vxlanid");
            }
            "vxlanlocal" => {
                p.vxlan.local = Some(ip(value(&mut it, key)?, key)?);
                p.vxlan_given.push("vxlanlocal");
            }
            "vxlanremote" => {
                p.vxlan.remote = Some(ip(value(&mut it, key)?, key)?);
                p.vxlan_given.push("vxlanremote");
            }
            "vxlangroup" => {
                p.vxlan.group = Some(ip(value(&mut it, key)?, key)?);
                p.vxlan_given.push("vxlangroup");
            }
            "vxlandev" => {
                p.vxlan.dev = Some(ifname(value(&mut it, key)?)?);
                p.vxlan_given.push("vxlandev");
            }
            "vxlanport" => {
                p.vxlan.port = Some(num(value(&mut it, key)?, "vxlanport")?);
                p.vxlan_given.push("vxlanport");
            }
            "mtu" => req.mtu = Some(num(value(&mut it, key)?, "mtu")?),
            "ether" | "lladdr" | "link" => req.mac = Some(mac(value(&mut it, key)?)?),
            "description" | "descr" => req.description = Some(value(&mut it, key)?.to_string()),
            "group" => req.group = Some(num(value(&mut it, key)?, "group")?),
            "up" => req.up = true,
            _ => return usage(format!("unknown create parameter '{key}'")),
        }
    }

    // The kind: an explicit `type`, else the cloner prefix of the name, else NAME.VID.
    let prefix = cloner_prefix(asked);
    let dotted = dotted_vlan(asked);
    let (kind, cloner_unit): (KindName, Option<Option<u32>>) = match (p.ty, prefix, dotted) {
        (Some(t), Some((k, unit)), _) if t == k => (t, Some(unit)),
        (Some(t), _, _) => (t, None),
        (None, Some((k, unit)), _) => (k, Some(unit)),
        (None, None, Some(_)) => (KindName::Vlan, None),
        (None, None, None) => {
            return usage(format!(
                "'{asked}' is not a cloner name: give the kind with 'type KIND'"
            ))
        }
    };
    // The name: a bare cloner name lets the cloner pick; epairN makes epairNa/epairNb.
    let mut peer_name: Option<IfName> = None;
    req.name = match (kind, cloner_unit) {
        (_, Some(None)) => None,
        (KindName::Epair, Some(Some(n))) if asked.starts_with("epair") => {
            peer_name = Some(ifname(&format!("epair{n}b"))?);
            Some(ifname(&format!("epair{n}a"))?)
        }
        _ => Some(ifname(asked)?),
    };

    let not_for = |what: &str| Usage(format!("'{what}' does not apply to a {kind}"));
    if kind != KindName::Epair {
        if p.peer.is_some() {
            return Err(not_for("peer"));
        }
        if p.peervnet.is_some() {
            return Err(not_for("peervnet"));
        }
    }
    if kind != KindName::Vlan && (p.vlan.is_some() || p.vlandev.is_some() || p.vlanproto.is_some())
    {
        return Err(not_for("vlan"));
    }
    if !matches!(kind, KindName::Tap | KindName::Tun) && p.queues.is_some() {
        return Err(not_for("queues"));
    }
    if !matches!(kind, KindName::Macvlan | KindName::Macvtap)
        && (p.macvlandev.is_some() || p.macvlanmode.is_some())
    {
        return Err(not_for("macvlandev"));
    }
    if kind != KindName::Vxlan {
        if let Some(w) = p.vxlan_given.first() {
            return Err(not_for(w));
        }
    }

    req.kind = match kind {
        KindName::Epair => {
            if let Some(peer) = p.peer {
                peer_name = Some(ifname(peer)?);
            }
            KindSpec::Epair { peer_name }
        }
        KindName::Vlan => {
            let (dparent, did) = match dotted.filter(|_| cloner_unit.is_none()) {
                Some((par, vid)) => (Some(par), Some(num::<u16>(vid, "vlan id")?)),
                None => (None, None),
            };
            let parent = p.vlandev.or(dparent).ok_or_else(|| {
                Usage("a vlan needs 'vlandev PARENT' (or the name PARENT.VID)".into())
            })?;
            let id = p
                .vlan
                .or(did)
                .ok_or_else(|| Usage("a vlan needs 'vlan ID' (or the name PARENT.VID)".into()))?;
            KindSpec::Vlan {
                parent: ifname(parent)?,
                id,
                proto: p.vlanproto.unwrap_or_default(),
            }
        }
        KindName::Tap => KindSpec::Tap {
            queues: p.queues.unwrap_or(1),
        },
        KindName::Tun => KindSpec::Tun {
            queues: p.queues.unwrap_or(1),
        },
        KindName::Bridge => KindSpec::Bridge,
        KindName::Macvlan | KindName::Macvtap => {
            let parent = ifname(
                p.macvlandev
                    .ok_or_else(|| Usage(format!("a {kind} needs 'macvlandev PARENT'")))?,
            )?;
            let mode = p.macvlanmode.unwrap_or_default();
            if kind == KindName::Macvlan {
                KindSpec::Macvlan { parent, mode }
            } else {
                KindSpec::Macvtap { parent, mode }
            }
        }
        KindName::Vxlan => {
            if !p.vxlan_given.contains(&"vxlanid") {
                return usage("a vxlan needs 'vxlanid N'");
            }
            if p.vxlan.remote.is_some() && p.vxlan.group.is_some() {
                return usage("vxlanremote and vxlangroup exclude each other");
            }
            KindSpec::Vxlan(Box::new(p.vxlan))
        }
        KindName::Loopback => KindSpec::Loopback,
        KindName::Bond => KindSpec::Bond,
        KindName::Dummy => KindSpec::Dummy,
    };
    Ok(Cmd::Create {
        stack,
        asked: asked.to_string(),
        req,
        peer_stack: p.peervnet.map(StackSel::parse),
    })
}

fn parse_set(stack: Option<StackSel>, name: String, words: &[String]) -> Result<Cmd, Usage> {
    let mut change = Change::default();
    let mut addrs = Vec::new();
    // An address given without /PLEN, waiting for `netmask` or `prefixlen`.
    let mut pending: Option<std::net::IpAddr> = None;
    let mut del_addrs = Vec::new();
    // Whether the previous word completed an address (for `delete` / `-alias`).
    let mut just_added = false;
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let key = w.as_str();
        let after_addr = std::mem::take(&mut just_added);
        match key {
            "mtu" => change.mtu = Some(num(value(&mut it, key)?, "mtu")?),
            "ether" | "lladdr" | "link" => change.mac = Some(mac(value(&mut it, key)?)?),
            "description" | "descr" => change.description = Some(value(&mut it, key)?.to_string()),
            "-description" | "-descr" => change.description = Some(String::new()),
            "name" => change.name = Some(ifname(value(&mut it, key)?)?),
            "group" => change.group = Some(num(value(&mut it, key)?, "group")?),
            "up" => change.up = Some(true),
            "down" => change.up = Some(false),
            "inet" | "inet6" => {
                need_prefix(&pending)?;
                let v = value(&mut it, key)?;
                let v6 = key == "inet6";
                if v.contains('/') {
                    addrs.push(ifaddr(v, key, v6)?);
                    just_added = true;
                } else {
                    let a = ip(v, key)?;
                    if a.is_ipv6() != v6 {
                        return usage(format!(
                            "{key} takes an IPv{} address, got '{v}'",
                            if v6 { 6 } else { 4 }
                        ));
                    }
                    pending = Some(a);
                }
            }
            "netmask" | "prefixlen" => {
                let v = value(&mut it, key)?;
                let Some(a) = pending.take() else {
                    return usage(format!("'{key}' must follow an address without /PLEN"));
                };
                let prefix_len = if key == "prefixlen" {
                    num(v, "prefixlen")?
                } else if a.is_ipv4() {
                    mask_len(v)?
                } else {
                    return usage("netmask applies to inet; use prefixlen with inet6");
                };
                addrs.push(ifaddr(&format!("{a}/{prefix_len}"), key, a.is_ipv6())?);
                just_added = true;
            }
            // FreeBSD's `alias`: addresses are always added here, never replaced.
            "alias" => just_added = after_addr,
            // The address just given is removed instead of added.
            "delete" | "-alias" => {
                need_prefix(&pending)?;
                match addrs.pop().filter(|_| after_addr) {
                    Some(a) => del_addrs.push(a),
                    None => return usage(format!("'{key}' must follow an address")),
                }
            }
            "create" | "destroy" => {
                return usage(format!("'{key}' must come right after the interface name"))
            }
            _ => return usage(format!("unknown word '{key}'")),
        }
    }
    need_prefix(&pending)?;
    Ok(Cmd::Set {
        stack,
        name,
        change,
        addrs,
        del_addrs,
    })
}

fn parse_move(stack: Option<StackSel>, name: String, words: &[String]) -> Result<Cmd, Usage> {
    let mut opts = MoveOptions::default();
    let mut target: Option<StackSel> = None;
    let mut reclaim: Option<Option<StackSel>> = None;
    let mut i = 0;
    let take = |i: &mut usize, key: &str| -> Result<String, Usage> {
        *i += 1;
        match words.get(*i - 1) {
            Some(v) => Ok(v.clone()),
            None => usage(format!("missing value after '{key}'")),
        }
    };
    while i < words.len() {
        let key = words[i].as_str();
        i += 1;
        match key {
            "vnet" => {
                if target.is_some() || reclaim.is_some() {
                    return usage("give one 'vnet' or '-vnet'");
                }
                target = Some(StackSel::parse(&take(&mut i, key)?));
            }
            "-vnet" => {
                if target.is_some() || reclaim.is_some() {
                    return usage("give one 'vnet' or '-vnet'");
                }
                // The optional argument is the stack the interface is in (FreeBSD: the jail).
                let arg = match words.get(i).map(String::as_str) {
                    Some("name" | "strategy" | "addresses") | None => None,
                    Some(s) => {
                        i += 1;
                        Some(StackSel::parse(s))
                    }
                };
                reclaim = Some(arg);
            }
            "name" => opts.new_name = Some(ifname(&take(&mut i, key)?)?),
            "strategy" => opts.strategy = Some(strategy(&take(&mut i, key)?)?),
            "addresses" => opts.carry_addresses = true,
            _ => return usage(format!("'{key}' cannot be combined with vnet/-vnet")),
        }
    }
    ifname(&name)?;
    if let Some(target) = target {
        return Ok(Cmd::Vnet {
            stack,
            name,
            target,
            opts,
        });
    }
    let arg = reclaim.flatten();
    let stack = match (stack, arg) {
        (Some(j), Some(a)) if j != a => {
            return usage(format!("-vnet {a} disagrees with -j {j}"));
        }
        (Some(s), _) | (None, Some(s)) => s,
        (None, None) => {
            return usage("-vnet needs the stack the interface is in: -j STACK or -vnet STACK")
        }
    };
    Ok(Cmd::Reclaim { stack, name, opts })
}

// ---------------------------------------------------------------------------------------------
// Output

/// Interface flag names, in bit order, as each system's ifconfig prints them.
#[cfg(target_os = "linux")]
const FLAG_NAMES: &[(u32, &str)] = &[
    (0x1, "UP"),
    (0x2, "BROADCAST"),
    (0x4, "DEBUG"),
    (0x8, "LOOPBACK"),
    (0x10, "POINTOPOINT"),
    (0x20, "NOTRAILERS"),
    (0x40, "RUNNING"),
    (0x80, "NOARP"),
    (0x100, "PROMISC"),
    (0x200, "ALLMULTI"),
    (0x400, "MASTER"),
    (0x800, "SLAVE"),
    (0x1000, "MULTICAST"),
    (0x2000, "PORTSEL"),
    (0x4000, "AUTOMEDIA"),
    (0x8000, "DYNAMIC"),
    (0x10000, "LOWER_UP"),
    (0x20000, "DORMANT"),
    (0x40000, "ECHO"),
];

#[cfg(not(target_os = "linux"))]
const FLAG_NAMES: &[(u32, &str)] = &[
    (0x1, "UP"),
    (0x2, "BROADCAST"),
    (0x4, "DEBUG"),
    (0x8, "LOOPBACK"),
    (0x10, "POINTOPOINT"),
    (0x20, "NEEDSEPOCH"),
    (0x40, "RUNNING"),
    (0x80, "NOARP"),
    (0x100, "PROMISC"),
    (0x200, "ALLMULTI"),
    (0x400, "OACTIVE"),
    (0x800, "SIMPLEX"),
    (0x1000, "LINK0"),
    (0x2000, "LINK1"),
    (0x4000, "LINK2"),
    (0x8000, "MULTICAST"),
    (0x10000, "CANTCONFIG"),
    (0x20000, "PPROMISC"),
    (0x40000, "MONITOR"),
    (0x80000, "STATICARP"),
    (0x100000, "STICKYARP"),
    (0x200000, "DYING"),
    (0x400000, "RENAMING"),
];

fn flags_str(flags: u32) -> String {
    let names: Vec<&str> = FLAG_NAMES
        .iter()
        .filter(|(b, _)| flags & b != 0)
        .map(|(_, n)| *n)
        .collect();
    format!("flags={flags:x}<{}>", names.join(","))
}

/// A peer/parent in another stack, resolved: its name and the name of its stack.
type Resolved = (IfName, String);

/// `peer epair0b`, `epair0b in stack demo (index 2)`, `#7 (in other stack, id 3)`.
fn link_str(l: &LinkRef, all: &[Interface], resolved: Option<&Resolved>) -> String {
    if let Some((name, stack)) = resolved {
        let mut s = format!("{name} in stack {stack}");
        if let Some(x) = l.index {
            write!(s, " (index {x})").unwrap();
        }
        return s;
    }
    let name = l.name.map(|n| n.to_string()).or_else(|| {
        (l.stack == LinkStack::Same)
            .then(|| l.index.and_then(|x| all.iter().find(|i| i.index == x)))
            .flatten()
            .map(|i| i.name.to_string())
    });
    let mut s = match (name, l.index) {
        (Some(n), _) => n,
        (None, Some(x)) => format!("#{x}"),
        (None, None) => "?".to_string(),
    };
    if let LinkStack::Other { id } = l.stack {
        match id {
            Some(id) => write!(s, " (in other stack, id {id})").unwrap(),
            None => s.push_str(" (in other stack)"),
        }
    }
    s
}

fn kind_line(i: &Interface, all: &[Interface], resolved: Option<&Resolved>) -> Option<String> {
    let link = |l: &Option<LinkRef>| {
        l.as_ref()
            .map(|l| link_str(l, all, resolved))
            .unwrap_or_else(|| "?".into())
    };
    Some(match &i.kind {
        KindInfo::Epair { peer } => format!("epair: peer {}", link(peer)),
        KindInfo::Vlan { parent, id, proto } => format!(
            "vlan: {id} vlanproto {} parent interface: {}",
            proto.as_str().to_ascii_lowercase(),
            link(parent)
        ),
        KindInfo::Macvlan { parent, mode } => {
            format!("macvlan mode {} parent {}", mode.as_str(), link(parent))
        }
        KindInfo::Macvtap { parent, mode } => {
            format!("macvtap mode {} parent {}", mode.as_str(), link(parent))
        }
        KindInfo::Vxlan(p) => {
            let mut s = format!("vxlan vni {}", p.vni);
            if let Some(a) = p.local {
                write!(s, " local {a}").unwrap();
            }
            if let Some(a) = p.remote {
                write!(s, " remote {a}").unwrap();
            }
            if let Some(a) = p.group {
                write!(s, " group {a}").unwrap();
            }
            if let Some(d) = p.dev {
                write!(s, " dev {d}").unwrap();
            } else if p.parent.is_some() {
                write!(s, " dev {}", link(&p.parent)).unwrap();
            }
            if let Some(port) = p.port {
                write!(s, " port {port}").unwrap();
            }
            s
        }
        KindInfo::Tap { queues } => format!("tap queues {queues}"),
        KindInfo::Tun { queues } => format!("tun queues {queues}"),
        _ => return None,
    })
}

/// The name and stack of `i`'s peer/parent when it lives in another stack and the library can
/// tell which one (a named stack or the host). Unresolved links fall back to the kernel's id.
fn resolve(st: &Stack, i: &Interface) -> Option<Resolved> {
    let l = i.link().filter(|l| l.stack != LinkStack::Same)?;
    let (s, name) = st.link_name(l).ok()??;
    Some((name, s.name().to_string()))
}

fn netmask(plen: u8) -> u32 {
    if plen == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(plen.min(32)))
    }
}

/// One interface in `ifconfig` style.
fn render(
    i: &Interface,
    addrs: &[IfAddr],
    all: &[Interface],
    resolved: Option<&Resolved>,
) -> String {
    let mut s = format!(
        "{}: {} metric 0 mtu {}\n",
        i.name,
        flags_str(i.flags),
        i.mtu
    );
    if let Some(d) = &i.description {
        writeln!(s, "\tdescription: {d:?}").unwrap();
    }
    if let Some(m) = i.mac.filter(|m| m.0 != [0; 6]) {
        writeln!(s, "\tether {m}").unwrap();
    }
    for a in addrs {
        match a.addr {
            std::net::IpAddr::V4(v4) => {
                writeln!(s, "\tinet {v4} netmask 0x{:08x}", netmask(a.prefix_len)).unwrap()
            }
            std::net::IpAddr::V6(v6) => {
                writeln!(s, "\tinet6 {v6} prefixlen {}", a.prefix_len).unwrap()
            }
        }
    }
    if let Some(k) = kind_line(i, all, resolved) {
        writeln!(s, "\t{k}").unwrap();
    }
    // FreeBSD puts a cloned interface in the group named after its cloner; the kernel's own
    // kind string stands in for kinds ifclone does not model.
    let group_name = match &i.kind {
        KindInfo::Other(None) => None,
        k => Some(k.name()),
    };
    if let Some(k) = group_name {
        write!(s, "\tgroups: {k}").unwrap();
        if i.group != 0 {
            write!(s, " {}", i.group).unwrap();
        }
        s.push('\n');
    } else if i.group != 0 {
        writeln!(s, "\tgroups: {}", i.group).unwrap();
    }
    if let Some(m) = i.master {
        let n = all
            .iter()
            .find(|x| x.index == m)
            .map(|x| x.name.to_string())
            .unwrap_or_else(|| format!("#{m}"));
        writeln!(s, "\tmember of: {n}").unwrap();
    }
    match i.oper {
        OperState::Up => writeln!(s, "\tstatus: active").unwrap(),
        OperState::Unknown => {}
        _ => writeln!(s, "\tstatus: no carrier").unwrap(),
    }
    writeln!(s, "\tindex {}", i.index).unwrap();
    s
}

fn print_receipt(r: &Receipt) {
    let name = r.name.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    let strategy = r
        .strategy
        .map(|s| s.to_string())
        .unwrap_or_else(|| "?".into());
    println!(
        "{name}: moved from {} to {} (strategy {strategy}), index {}",
        r.from, r.to, r.index
    );
    if !r.restored.is_empty() {
        println!("\trestored: {}", r.restored.join(", "));
    }
    if !r.addresses.is_empty() {
        let a: Vec<String> = r.addresses.iter().map(|a| a.to_string()).collect();
        println!("\taddresses: {}", a.join(" "));
    }
    if !r.not_carried.is_empty() {
        println!("\tnot carried: {}", r.not_carried.join(", "));
    }
}

// ---------------------------------------------------------------------------------------------
// Running

fn open(sel: &Option<StackSel>) -> ifclone::Result<Stack> {
    match sel {
        None => Stack::host(),
        Some(s) => Stack::open(s.clone()),
    }
}

fn run(cmd: Cmd) -> ifclone::Result<()> {
    match cmd {
        Cmd::Help => print!("{USAGE}"),
        Cmd::List {
            stack,
            names_only,
            filter,
        } => {
            let st = open(&stack)?;
            let mut all = st.interfaces()?;
            all.sort_by_key(|i| i.index);
            let shown: Vec<&Interface> = all
                .iter()
                .filter(|i| match filter {
                    Filter::All => true,
                    Filter::Up => i.up,
                    Filter::Down => !i.up,
                })
                .collect();
            if names_only {
                let names: Vec<&str> = shown.iter().map(|i| i.name.as_str()).collect();
                println!("{}", names.join(" "));
            } else {
                let mut out = String::new();
                for i in shown {
                    let addrs = st.addresses(i.name.as_str())?;
                    let r = resolve(&st, i);
                    out.push_str(&render(i, &addrs, &all, r.as_ref()));
                }
                print!("{out}");
            }
        }
        Cmd::Show { stack, name } => {
            let st = open(&stack)?;
            let i = st.interface(&name)?;
            let addrs = st.addresses(&name)?;
            // Resolving a same-stack peer by index needs the listing; only do it when needed.
            let all = match i.link() {
                Some(l) if l.name.is_none() && l.stack == LinkStack::Same => st.interfaces()?,
                _ => Vec::new(),
            };
            let r = resolve(&st, &i);
            print!("{}", render(&i, &addrs, &all, r.as_ref()));
        }
        Cmd::Cloners { stack } => {
            let st = open(&stack)?;
            let c: Vec<&str> = st.cloners()?.into_iter().map(KindName::as_str).collect();
            println!("{}", c.join(" "));
        }
        Cmd::Create {
            stack,
            asked,
            req,
            peer_stack,
        } => {
            let st = open(&stack)?;
            let made = match &peer_stack {
                Some(p) => {
                    let peer = Stack::open(p.clone())?;
                    st.create_placed(&req, None, Some(&peer))?
                }
                None => st.create_interface(&req)?,
            };
            // tap/macvtap hand back their fds; the interface is persistent, so drop them.
            drop(made.fds);
            if made.iface.name != asked.as_str() {
                println!("{}", made.iface.name);
            }
        }
        Cmd::Destroy { stack, names } => {
            let st = open(&stack)?;
            if names.len() == 1 {
                st.destroy(&names[0])?;
            } else {
                st.destroy_many(&names)?;
            }
        }
        Cmd::Set {
            stack,
            name,
            change,
            addrs,
            del_addrs,
        } => {
            let st = open(&stack)?;
            if !change.is_empty() {
                st.set(&name, &change)?;
            }
            let now = change.name.map(|n| n.to_string()).unwrap_or(name);
            for a in del_addrs {
                st.del_address(&now, a)?;
            }
            for a in addrs {
                st.add_address(&now, a)?;
            }
        }
        Cmd::Vnet {
            stack,
            name,
            target,
            opts,
        } => {
            let from = open(&stack)?;
            let to = Stack::open(target)?;
            print_receipt(&vmove::vmove(&from, &name, &to, &opts)?);
        }
        Cmd::Reclaim { stack, name, opts } => {
            let st = Stack::open(stack)?;
            print_receipt(&vmove::reclaim(&st, &name, &opts)?);
        }
        Cmd::StackCreate(name) => {
            Stack::create(&name)?;
        }
        Cmd::StackList => {
            for s in Stack::list()? {
                println!("{} {}", s.name, s.id);
            }
        }
        Cmd::StackRemove { name, force } => {
            let st = Stack::open(StackSel::parse(&name))?;
            let r = match st.remove_with(RemoveOptions { force }) {
                Ok(r) => r,
                Err(ifclone::Error::NotReturned(n)) => {
                    for (i, home) in &n.returned {
                        println!("{i}: returned to {home}");
                    }
                    return Err(ifclone::Error::NotReturned(n).with_detail(
                        "nothing was destroyed; fix the cause and remove again, or remove --force",
                    ));
                }
                Err(e) => return Err(e),
            };
            for (n, home) in &r.returned {
                println!("{n}: returned to {home}");
            }
            for n in &r.destroyed {
                println!("{n}: destroyed (it stood on a loan)");
            }
            for (n, home) in &r.gone {
                println!("{n}: no longer in the stack (its loan from {home} was dropped)");
            }
            if !r.lost.is_empty() {
                for (n, why) in &r.lost {
                    eprintln!("ifc: {n}: LOST (destroyed with the stack): {why}");
                }
                return Err(ifclone::Error::Busy(Box::new(
                    ifclone::Context::new("remove stack", name)
                        .detail(format!("removed by force; {} loan(s) lost", r.lost.len())),
                )));
            }
        }
        Cmd::Recover(sel) => {
            let r = match sel {
                Some(s) => vmove::recover_stack(&Stack::open(s)?)?,
                None => vmove::recover()?,
            };
            for x in &r.recovered {
                println!("{x}");
            }
            for (stack, n, why) in &r.dropped {
                println!("{n}: loan record in stack {stack} dropped: {why}");
            }
            if r.has_missing() {
                return Err(ifclone::Error::NotFound(Box::new(
                    ifclone::Context::new("recover", "interfaces")
                        .detail("some interfaces of unfinished moves are in neither stack"),
                )));
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match parse(&argv) {
        Err(Usage(msg)) => {
            eprintln!("ifc: {msg}");
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
        Ok(cmd) => match run(cmd) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ifc: {e}");
                ExitCode::from(1)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Cmd, Usage> {
        let v: Vec<&str> = s.split_whitespace().collect();
        parse(&v)
    }

    fn n(s: &str) -> IfName {
        IfName::new(s).unwrap()
    }

    fn err(s: &str) -> String {
        match p(s) {
            Err(Usage(m)) => m,
            Ok(c) => panic!("{s:?} parsed as {c:?}"),
        }
    }

    fn create(s: &str) -> (Option<StackSel>, String, CreateRequest, Option<StackSel>) {
        match p(s).unwrap() {
            Cmd::Create {
                stack,
                asked,
                req,
                peer_stack,
            } => (stack, asked, req, peer_stack),
            c => panic!("{s:?} parsed as {c:?}"),
        }
    }

    #[test]
    fn listing() {
        let list = |stack, names_only, filter| Cmd::List {
            stack,
            names_only,
            filter,
        };
        assert_eq!(p("").unwrap(), list(None, false, Filter::All));
        assert_eq!(p("-a").unwrap(), list(None, false, Filter::All));
        assert_eq!(
            p("-j ns1 -a").unwrap(),
            list(Some(StackSel::Name("ns1".into())), false, Filter::All)
        );
        assert_eq!(
            p("-jns1 -l").unwrap(),
            list(Some(StackSel::Name("ns1".into())), true, Filter::All)
        );
        assert_eq!(
            p("-lu -j pid:42").unwrap(),
            list(Some(StackSel::Pid(42)), true, Filter::Up)
        );
        assert_eq!(
            p("-j jid:3 -a -d").unwrap(),
            list(Some(StackSel::Id(3)), false, Filter::Down)
        );
        assert_eq!(
            p("-j /proc/1/ns/net").unwrap(),
            list(
                Some(StackSel::Path("/proc/1/ns/net".into())),
                false,
                Filter::All
            )
        );
        assert_eq!(
            p("-j host eth0").unwrap(),
            Cmd::Show {
                stack: Some(StackSel::Host),
                name: "eth0".into()
            }
        );
        assert_eq!(p("-C").unwrap(), Cmd::Cloners { stack: None });
        assert_eq!(
            p("-j ns -C").unwrap(),
            Cmd::Cloners {
                stack: Some(StackSel::Name("ns".into()))
            }
        );
        assert_eq!(p("-h").unwrap(), Cmd::Help);
        assert_eq!(p("--help").unwrap(), Cmd::Help);
    }

    #[test]
    fn listing_errors() {
        assert!(err("-j").contains("missing value after '-j'"));
        assert!(err("-x").contains("unknown option '-x'"));
        assert!(err("-C eth0").contains("-C"));
        assert!(err("-a eth0").contains("take no interface"));
        assert!(err("-l eth0").contains("take no interface"));
    }

    #[test]
    fn create_cloner_names() {
        let (_, asked, req, _) = create("epair create");
        assert_eq!(asked, "epair");
        assert_eq!(req.name, None);
        assert_eq!(req.kind, KindSpec::Epair { peer_name: None });

        let (_, _, req, _) = create("epair7 create");
        assert_eq!(req.name, Some(n("epair7a")));
        assert_eq!(
            req.kind,
            KindSpec::Epair {
                peer_name: Some(n("epair7b"))
            }
        );

        let (_, _, req, _) = create("tap create");
        assert_eq!((req.name, req.kind), (None, KindSpec::Tap { queues: 1 }));
        let (_, _, req, _) = create("tap2 create queues 4 up");
        assert_eq!(req.name, Some(n("tap2")));
        assert_eq!(req.kind, KindSpec::Tap { queues: 4 });
        assert!(req.up);
        let (_, _, req, _) = create("tun create");
        assert_eq!(req.kind, KindSpec::Tun { queues: 1 });
        let (_, _, req, _) = create("bridge0 create mtu 9000");
        assert_eq!(
            (req.name, req.kind, req.mtu),
            (Some(n("bridge0")), KindSpec::Bridge, Some(9000))
        );
        let (_, _, req, _) = create("lo1 create");
        assert_eq!(req.kind, KindSpec::Loopback);
        let (_, _, req, _) = create("lagg0 create");
        assert_eq!(req.kind, KindSpec::Bond);
    }

    #[test]
    fn create_typed() {
        let (stack, asked, req, peer) =
            create("-j ns1 veth0 create type epair peer veth1 peervnet ns2");
        assert_eq!(stack, Some(StackSel::Name("ns1".into())));
        assert_eq!(asked, "veth0");
        assert_eq!(req.name, Some(n("veth0")));
        assert_eq!(
            req.kind,
            KindSpec::Epair {
                peer_name: Some(n("veth1"))
            }
        );
        assert_eq!(peer, Some(StackSel::Name("ns2".into())));

        let (_, _, req, _) = create("mv0 create type macvlan macvlandev eth1 macvlanmode private");
        assert_eq!(
            req.kind,
            KindSpec::Macvlan {
                parent: n("eth1"),
                mode: MacvlanMode::Private
            }
        );
        let (_, _, req, _) = create("mvt0 create type macvtap macvlandev eth1");
        assert_eq!(
            req.kind,
            KindSpec::Macvtap {
                parent: n("eth1"),
                mode: MacvlanMode::Bridge
            }
        );
        // An explicit type wins over a misleading prefix, and the name is then literal.
        let (_, _, req, _) = create("tap9 create type epair");
        assert_eq!(req.name, Some(n("tap9")));
        assert_eq!(req.kind, KindSpec::Epair { peer_name: None });
        let (_, _, req, _) = create("d0 create type dummy");
        assert_eq!(req.kind, KindSpec::Dummy);
    }

    #[test]
    fn create_generic_params() {
        let (_, _, req, _) = create(
            "br0 create type bridge mtu 1400 ether 02:00:00:00:00:01 descr hello group 7 up",
        );
        assert_eq!(req.mtu, Some(1400));
        assert_eq!(req.mac, Some(Mac([2, 0, 0, 0, 0, 1])));
        assert_eq!(req.description.as_deref(), Some("hello"));
        assert_eq!(req.group, Some(7));
        assert!(req.up);
        let (_, _, req, _) = create("tap create lladdr 02:00:00:00:00:02 description x");
        assert_eq!(req.mac, Some(Mac([2, 0, 0, 0, 0, 2])));
        assert_eq!(req.description.as_deref(), Some("x"));
    }

    #[test]
    fn create_vlan() {
        let (_, _, req, _) = create("vlan create vlan 100 vlandev eth0");
        assert_eq!(req.name, None);
        assert_eq!(
            req.kind,
            KindSpec::Vlan {
                parent: n("eth0"),
                id: 100,
                proto: VlanProto::Dot1Q
            }
        );
        let (_, _, req, _) = create("vlan5 create vlandev eth0 vlan 7 vlanproto 802.1ad");
        assert_eq!(req.name, Some(n("vlan5")));
        assert_eq!(
            req.kind,
            KindSpec::Vlan {
                parent: n("eth0"),
                id: 7,
                proto: VlanProto::Dot1Ad
            }
        );
        let (_, _, req, _) = create("eth0.100 create");
        assert_eq!(req.name, Some(n("eth0.100")));
        assert_eq!(
            req.kind,
            KindSpec::Vlan {
                parent: n("eth0"),
                id: 100,
                proto: VlanProto::Dot1Q
            }
        );
        let (_, _, req, _) = create("v9 create type vlan vlan 9 vlandev b0a");
        assert_eq!(req.name, Some(n("v9")));
    }

    #[test]
    fn create_vxlan() {
        let (_, _, req, _) = create(
            "vxlan0 create vxlanid 42 vxlanlocal 10.0.0.1 vxlanremote 10.0.0.2 vxlandev eth0 vxlanport 4789",
        );
        let KindSpec::Vxlan(v) = req.kind else {
            panic!("{:?}", req.kind)
        };
        assert_eq!(v.vni, 42);
        assert_eq!(v.local, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(v.remote, Some("10.0.0.2".parse().unwrap()));
        assert_eq!(v.group, None);
        assert_eq!(v.dev, Some(n("eth0")));
        assert_eq!(v.port, Some(4789));
        let (_, _, req, _) = create("vx1 create type vxlan vxlanid 1 vxlangroup 239.0.0.1");
        let KindSpec::Vxlan(v) = req.kind else {
            panic!()
        };
        assert_eq!(v.group, Some("239.0.0.1".parse().unwrap()));
    }

    #[test]
    fn create_errors() {
        assert!(err("vlan create vlan abc vlandev eth0").contains("bad vlan id 'abc'"));
        assert!(err("vlan create vlan 70000 vlandev eth0").contains("bad vlan id"));
        assert!(err("vlan create vlandev eth0").contains("vlan ID"));
        assert!(err("vlan create vlan 5").contains("vlandev"));
        assert!(err("eth0.x1 create").contains("not a cloner name"));
        assert!(err("foo create").contains("type KIND"));
        assert!(err("foo create type bogus").contains("unknown kind 'bogus'"));
        assert!(err("foo create type epair mtu").contains("missing value after 'mtu'"));
        assert!(err("tap create mtu big").contains("bad mtu 'big'"));
        assert!(err("tap create frobnicate").contains("unknown create parameter 'frobnicate'"));
        assert!(err("tap create vlan 5").contains("does not apply to a tap"));
        assert!(err("tap create peer x").contains("does not apply"));
        assert!(err("bridge create queues 2").contains("does not apply"));
        assert!(err("epair create vxlanid 3").contains("does not apply"));
        assert!(err("mv0 create type macvlan").contains("macvlandev"));
        assert!(err("mv0 create type macvlan macvlandev eth0 macvlanmode odd").contains("odd"));
        assert!(err("vxlan create vxlanremote 10.0.0.1").contains("vxlanid"));
        assert!(err("vxlan create vxlanid 1 vxlanremote nope").contains("bad address 'nope'"));
        assert!(
            err("vxlan create vxlanid 1 vxlanremote 10.0.0.1 vxlangroup 239.1.1.1")
                .contains("exclude")
        );
        assert!(err("tap create ether 01:02").contains("MAC"));
        assert!(err("a23456789012345678 create type bridge").contains("15 bytes"));
    }

    #[test]
    fn destroy() {
        assert_eq!(
            p("b0a destroy").unwrap(),
            Cmd::Destroy {
                stack: None,
                names: vec!["b0a".into()]
            }
        );
        assert_eq!(
            p("-j ns destroy b0a b1a b2a").unwrap(),
            Cmd::Destroy {
                stack: Some(StackSel::Name("ns".into())),
                names: vec!["b0a".into(), "b1a".into(), "b2a".into()]
            }
        );
        assert!(err("destroy").contains("at least one"));
        assert!(err("b0a destroy now").contains("nothing after"));
        assert!(err("destroy a/b").contains("invalid name"));
    }

    #[test]
    fn set() {
        let c = p("-j ns eth1 mtu 9000 ether 02:00:00:00:00:09 description uplink name wan0 group 3 up inet 10.0.0.1/24 inet6 fd00::1/64").unwrap();
        assert_eq!(
            c,
            Cmd::Set {
                stack: Some(StackSel::Name("ns".into())),
                name: "eth1".into(),
                change: Change {
                    name: Some(n("wan0")),
                    mtu: Some(9000),
                    mac: Some(Mac([2, 0, 0, 0, 0, 9])),
                    description: Some("uplink".into()),
                    up: Some(true),
                    group: Some(3),
                },
                addrs: vec![
                    "10.0.0.1/24".parse().unwrap(),
                    "fd00::1/64".parse().unwrap()
                ],
                del_addrs: vec![],
            }
        );
        let Cmd::Set { change, .. } = p("eth1 -description down").unwrap() else {
            panic!()
        };
        assert_eq!(change.description.as_deref(), Some(""));
        assert_eq!(change.up, Some(false));
        let Cmd::Set { addrs, change, .. } = p("eth1 inet 192.0.2.1/32").unwrap() else {
            panic!()
        };
        assert!(change.is_empty());
        assert_eq!(addrs.len(), 1);
        // FreeBSD's long forms.
        let Cmd::Set { addrs, .. } = p(
            "eth1 inet 192.0.2.1 netmask 255.255.255.0 alias inet 192.0.2.9 netmask 0xffff0000 \
             inet6 fd00::1 prefixlen 64 inet 198.51.100.1 prefixlen 30",
        )
        .unwrap() else {
            panic!()
        };
        let want: Vec<IfAddr> = [
            "192.0.2.1/24",
            "192.0.2.9/16",
            "fd00::1/64",
            "198.51.100.1/30",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        assert_eq!(addrs, want);
    }

    #[test]
    fn delete_address() {
        let a = |s: &str| -> IfAddr { s.parse().unwrap() };
        for line in [
            "eth1 inet 10.0.0.1/24 delete",
            "eth1 inet 10.0.0.1/24 -alias",
            "eth1 inet 10.0.0.1 netmask 255.255.255.0 -alias",
        ] {
            let Cmd::Set {
                addrs,
                del_addrs,
                change,
                ..
            } = p(line).unwrap()
            else {
                panic!("{line}")
            };
            assert!(addrs.is_empty() && change.is_empty(), "{line}");
            assert_eq!(del_addrs, vec![a("10.0.0.1/24")], "{line}");
        }
        // Replace one address by another; `alias` between is harmless.
        let Cmd::Set {
            addrs, del_addrs, ..
        } = p("eth1 inet6 fd00::1 prefixlen 64 delete inet 10.0.0.2/24 alias inet 10.0.0.3/24 alias -alias")
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(addrs, vec![a("10.0.0.2/24")]);
        assert_eq!(del_addrs, vec![a("fd00::1/64"), a("10.0.0.3/24")]);
        assert!(err("eth1 delete").contains("must follow an address"));
        assert!(err("eth1 up -alias").contains("must follow an address"));
        assert!(err("eth1 inet 10.0.0.1/24 delete delete").contains("must follow an address"));
        assert!(err("eth1 inet 10.0.0.1 -alias").contains("needs a prefix"));
    }

    #[test]
    fn set_errors() {
        assert!(err("eth1 mtu").contains("missing value after 'mtu'"));
        assert!(err("eth1 mtu 15OO").contains("bad mtu '15OO'"));
        assert!(err("eth1 frob").contains("unknown word 'frob'"));
        assert!(err("eth1 up create").contains("right after"));
        assert!(err("eth1 inet 10.0.0.1").contains("needs a prefix"));
        assert!(err("eth1 inet 10.0.0.1 up").contains("needs a prefix"));
        assert!(err("eth1 inet 10.0.0.1 netmask 255.0.255.0").contains("bad netmask"));
        assert!(err("eth1 prefixlen 64").contains("must follow"));
        assert!(err("eth1 inet6 fd00::1 netmask 0xffffff00").contains("prefixlen"));
        assert!(err("eth1 inet6 fd00::1 prefixlen 129").contains("prefix"));
        assert!(err("eth1 inet nope/24").contains("inet"));
        assert!(err("eth1 inet fd00::1/64").contains("IPv4"));
        assert!(err("eth1 inet6 10.0.0.1/8").contains("IPv6"));
        assert!(err("eth1 inet 10.0.0.1/33").contains("prefix"));
        assert!(err("eth1 name a/b").contains("invalid name"));
        assert!(err("eth1 description").contains("missing value"));
    }

    #[test]
    fn moves() {
        assert_eq!(
            p("b0b vnet ns2").unwrap(),
            Cmd::Vnet {
                stack: None,
                name: "b0b".into(),
                target: StackSel::Name("ns2".into()),
                opts: MoveOptions::default(),
            }
        );
        assert_eq!(
            p("-j ns1 b0b vnet host name e0 strategy recreate addresses").unwrap(),
            Cmd::Vnet {
                stack: Some(StackSel::Name("ns1".into())),
                name: "b0b".into(),
                target: StackSel::Host,
                opts: MoveOptions {
                    new_name: Some(n("e0")),
                    strategy: Some(Strategy::Recreate),
                    carry_addresses: true,
                    epair_fast_path: false,
                },
            }
        );
        let reclaim = |stack: &str, strategy| Cmd::Reclaim {
            stack: StackSel::Name(stack.into()),
            name: "b0b".into(),
            opts: MoveOptions {
                strategy,
                ..MoveOptions::default()
            },
        };
        assert_eq!(p("b0b -vnet jail1").unwrap(), reclaim("jail1", None));
        assert_eq!(p("-j jail1 b0b -vnet").unwrap(), reclaim("jail1", None));
        assert_eq!(
            p("-j jail1 b0b -vnet jail1").unwrap(),
            reclaim("jail1", None)
        );
        assert_eq!(
            p("-j jail1 b0b -vnet strategy native").unwrap(),
            reclaim("jail1", Some(Strategy::Native))
        );
        assert_eq!(
            p("b0b -vnet jail1 strategy native").unwrap(),
            reclaim("jail1", Some(Strategy::Native))
        );
    }

    #[test]
    fn move_errors() {
        assert!(err("b0b vnet").contains("missing value after 'vnet'"));
        assert!(err("b0b -vnet").contains("-j STACK or -vnet STACK"));
        assert!(err("-j a b0b -vnet b").contains("disagrees"));
        assert!(err("b0b vnet x strategy teleport").contains("bad strategy"));
        assert!(err("b0b vnet x mtu 1400").contains("cannot be combined"));
        assert!(err("b0b vnet x -vnet y").contains("one 'vnet'"));
    }

    #[test]
    fn stacks() {
        assert_eq!(
            p("stack create ns1").unwrap(),
            Cmd::StackCreate("ns1".into())
        );
        assert_eq!(p("stack list").unwrap(), Cmd::StackList);
        assert_eq!(
            p("stack remove ns1").unwrap(),
            Cmd::StackRemove {
                name: "ns1".into(),
                force: false
            }
        );
        for forced in ["stack remove --force ns1", "stack remove ns1 -f"] {
            assert_eq!(
                p(forced).unwrap(),
                Cmd::StackRemove {
                    name: "ns1".into(),
                    force: true
                },
                "{forced}"
            );
        }
        assert!(err("stack remove --bogus").contains("expected"));
        assert_eq!(p("recover").unwrap(), Cmd::Recover(None));
        assert_eq!(
            p("-j ns1 recover").unwrap(),
            Cmd::Recover(Some(StackSel::Name("ns1".into())))
        );
        assert!(err("recover ns1").contains("-j"));
        assert!(err("stack").contains("expected"));
        assert!(err("stack create").contains("expected"));
        assert!(err("stack frob x").contains("expected"));
        assert!(err("-j x stack list").contains("-j"));
    }

    #[test]
    fn rendering() {
        let mk = |index, name: &str, kind| Interface {
            index,
            name: n(name),
            kind,
            mtu: 1500,
            mac: Some(Mac([2, 0, 0, 0, 0, 1])),
            description: Some("to the jail".into()),
            up: true,
            oper: OperState::Up,
            master: None,
            group: 0,
            flags: 0x1003,
            stack: "host".into(),
            mark: None,
            min_mtu: Some(68),
            max_mtu: Some(65535),
        };
        let a = mk(
            5,
            "epair0a",
            KindInfo::Epair {
                peer: Some(LinkRef {
                    index: Some(6),
                    name: None,
                    stack: LinkStack::Other { id: Some(3) },
                }),
            },
        );
        let out = render(&a, &["10.0.0.1/24".parse().unwrap()], &[], None);
        let want = "\
epair0a: flags=1003<UP,BROADCAST,MULTICAST> metric 0 mtu 1500
\tdescription: \"to the jail\"
\tether 02:00:00:00:00:01
\tinet 10.0.0.1 netmask 0xffffff00
\tepair: peer #6 (in other stack, id 3)
\tgroups: epair
\tstatus: active
\tindex 5
";
        #[cfg(target_os = "linux")]
        assert_eq!(out, want);
        #[cfg(not(target_os = "linux"))]
        let _ = (out, want);

        let parent = mk(2, "eth0", KindInfo::Other(None));
        let v = mk(
            7,
            "eth0.100",
            KindInfo::Vlan {
                parent: Some(LinkRef {
                    index: Some(2),
                    name: None,
                    stack: LinkStack::Same,
                }),
                id: 100,
                proto: VlanProto::Dot1Q,
            },
        );
        let resolved = (n("epair0b"), "demo".to_string());
        assert!(render(&a, &[], &[], Some(&resolved))
            .contains("\tepair: peer epair0b in stack demo (index 6)\n"));
        let mv = mk(
            8,
            "mv0",
            KindInfo::Macvlan {
                parent: Some(LinkRef {
                    index: Some(2),
                    name: None,
                    stack: LinkStack::Other { id: Some(0) },
                }),
                mode: MacvlanMode::Bridge,
            },
        );
        let up = (n("up0"), "host".to_string());
        assert!(render(&mv, &[], &[], Some(&up))
            .contains("\tmacvlan mode bridge parent up0 in stack host (index 2)\n"));
        assert!(render(&mv, &[], &[], None).contains("parent #2 (in other stack, id 0)\n"));
        assert!(render(&v, &[], &[parent], None)
            .contains("\tvlan: 100 vlanproto 802.1q parent interface: eth0\n"));
        assert_eq!(netmask(0), 0);
        assert_eq!(netmask(32), 0xffff_ffff);
    }
}
