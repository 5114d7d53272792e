//! `IF create [type KIND] [params…]`: the kind from `type`, the cloner prefix or NAME.VID, and
//! the kind's parameters.

use ifclone::{
    CreateRequest, IfName, KindName, KindSpec, MacvlanMode, StackSel, VlanProto, VxlanParams,
};

use crate::opts::{ifname, ip, mac, num, usage, value, Cmd, Usage};

/// The cloner names FreeBSD-style names start with; `name` is one of them, optionally followed by
/// a unit number. Returns the kind and the unit.
pub fn cloner_prefix(name: &str) -> Option<(KindName, Option<u32>)> {
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
pub fn dotted_vlan(name: &str) -> Option<(&str, &str)> {
    let (parent, vid) = name.rsplit_once('.')?;
    if parent.is_empty() || vid.is_empty() || !vid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((parent, vid))
}

#[derive(Default)]
pub struct CreateParams<'a> {
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

pub fn parse_create(stack: Option<StackSel>, asked: &str, words: &[String]) -> Result<Cmd, Usage> {
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
