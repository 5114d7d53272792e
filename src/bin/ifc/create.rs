//! `IF create [type KIND] [params…]`: the kind from `type`, the cloner prefix or NAME.VID, and
//! the kind's parameters.

use ifclone::{CreateRequest, IfName, KindName, KindSpec, StackSel};

use crate::keywords::{self, Applies, Keyword, Params};
use crate::opts::{usage, value, Cmd, Usage};
use crate::values::{ifname, num_in};

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

pub fn parse_create(stack: Option<StackSel>, asked: &str, words: &[String]) -> Result<Cmd, Usage> {
    let mut p = Params::default();
    // The kind rows given, checked against the kind once it is known.
    let mut given: Vec<(&str, &Keyword)> = Vec::new();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let key = w.as_str();
        let row = match keywords::lookup(key) {
            Some(row) if row.applies != Applies::Set => row,
            _ => return usage(format!("unknown create parameter '{key}'")),
        };
        let v = if row.values == 0 {
            ""
        } else {
            value(&mut it, key)?
        };
        (row.set)(&mut p, key, v)?;
        if row.applies == Applies::Kind {
            given.push((key, row));
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
    if let Some((key, _)) = given
        .iter()
        .find(|(_, row)| !keywords::applies_to(row, kind))
    {
        return usage(format!("'{key}' does not apply to a {kind}"));
    }
    // The name: a bare cloner name lets the cloner pick; epairN makes epairNa/epairNb.
    let mut peer_name: Option<IfName> = None;
    let name = match (kind, cloner_unit) {
        (_, Some(None)) => None,
        (KindName::Epair, Some(Some(n))) if asked.starts_with("epair") => {
            peer_name = Some(ifname(&format!("epair{n}b"))?);
            Some(ifname(&format!("epair{n}a"))?)
        }
        _ => Some(ifname(asked)?),
    };

    let spec = match kind {
        KindName::Epair => KindSpec::Epair {
            peer_name: p.peer.or(peer_name),
        },
        KindName::Vlan => {
            let (dparent, did) = match dotted.filter(|_| cloner_unit.is_none()) {
                Some((par, vid)) => (
                    Some(ifname(par)?),
                    Some(num_in(vid, "vlan id", keywords::VLAN_IDS)?),
                ),
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
                parent,
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
            let parent = p
                .macvlandev
                .ok_or_else(|| Usage(format!("a {kind} needs 'macvlandev PARENT'")))?;
            let mode = p.macvlanmode.unwrap_or_default();
            if kind == KindName::Macvlan {
                KindSpec::Macvlan { parent, mode }
            } else {
                KindSpec::Macvtap { parent, mode }
            }
        }
        KindName::Vxlan => {
            if !p.vxlanid {
                return usage("a vxlan needs 'vxlanid N'");
            }
            if p.vxlan.remote.is_some() && p.vxlan.group.is_some() {
                return usage("vxlanremote and vxlangroup exclude each other");
            }
            KindSpec::Vxlan(Box::new(p.vxlan))
        }
        KindName::Loopback => KindSpec::Loopback,
        KindName::Bond => KindSpec::Bond {
            mode: p.laggproto.unwrap_or_default(),
            miimon: p.miimon,
        },
        KindName::Dummy => KindSpec::Dummy,
        k => return usage(format!("ifc does not know how to create a {k}")),
    };
    let mut req = CreateRequest::new(spec);
    req.name = name;
    req.mtu = p.change.mtu;
    req.mac = p.change.mac;
    req.description = p.change.description;
    req.group = p.change.group;
    req.up = p.change.up == Some(true);
    Ok(Cmd::Create {
        stack,
        asked: asked.to_string(),
        req,
        peer_stack: p.peervnet,
    })
}
