//! Pure naming rules: cloner names per kind, the epair b-end derivation, kind recognition from
//! interface groups or name prefixes.

use crate::model::{IfName, KindName};

/// The FreeBSD cloner that creates `kind`, if FreeBSD has one ifclone drives.
pub fn cloner_for(kind: KindName) -> Option<&'static str> {
    Some(match kind {
        KindName::Epair => "epair",
        KindName::Vlan => "vlan",
        KindName::Tap => "tap",
        KindName::Tun => "tun",
        KindName::Bridge => "bridge",
        KindName::Loopback => "lo",
        KindName::Bond => "lagg",
        KindName::Macvlan | KindName::Macvtap | KindName::Vxlan | KindName::Dummy => return None,
    })
}

/// The kind a cloner (as SIOCIFGCLONERS lists it) creates, if ifclone can drive it.
pub fn kind_of_cloner(cloner: &str) -> Option<KindName> {
    KindName::ALL
        .into_iter()
        .find(|k| cloner_for(*k) == Some(cloner))
}

/// The b end of an epair whose a end the kernel named `a` (`epair3a` → `epair3b`).
pub fn epair_peer(a: &str) -> Option<IfName> {
    let stem = a.strip_suffix('a')?;
    IfName::new(&format!("{stem}b")).ok()
}

/// The a end of an epair from its b end (`epair3b` → `epair3a`).
pub fn epair_other(b: &str) -> Option<IfName> {
    let stem = b.strip_suffix('b')?;
    IfName::new(&format!("{stem}a")).ok()
}

/// The peer name for an explicitly named epair when the caller gave none: the same rule as the
/// kernel's when the name ends in `a`, otherwise the name with its last byte replaced by (or,
/// when there is room, followed by) `b`.
pub fn derive_peer(name: &IfName) -> IfName {
    let s = name.as_str();
    if let Some(p) = epair_peer(s) {
        return p;
    }
    let cand = if s.len() < crate::model::IFNAMSIZ_MAX {
        format!("{s}b")
    } else {
        // The last character gives way (a whole one: a name may hold multi-byte UTF-8).
        let cut = s.char_indices().last().map_or(0, |(i, _)| i);
        format!("{}b", &s[..cut])
    };
    IfName::new(&cand).unwrap_or(*name)
}

/// Whether `name` is a kernel-made epair end name (`epair<digits>a|b`).
pub fn is_kernel_epair_name(name: &str) -> bool {
    name.strip_prefix("epair")
        .and_then(|r| r.strip_suffix('a').or_else(|| r.strip_suffix('b')))
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The names the peer of epair end `name` may have, most likely first: the kernel's rule
/// (`…a` ↔ `…b`) and the inverse of [`derive_peer`] (`x` ↔ `xb`).
pub fn epair_peer_candidates(name: &str) -> Vec<IfName> {
    let mut v = Vec::new();
    if let Some(p) = epair_peer(name) {
        v.push(p);
    }
    if let Some(p) = epair_other(name) {
        v.push(p);
    }
    if let Some(stem) = name.strip_suffix('b') {
        if let Ok(p) = IfName::new(stem) {
            v.push(p);
        }
    }
    if let Ok(n) = IfName::new(name) {
        let d = derive_peer(&n);
        if d != n && !v.contains(&d) {
            v.push(d);
        }
    }
    v
}

/// The kind of an interface from its groups (the kernel puts every clone in a group named after
/// its cloner) and, failing that, from its name (`epair3a`, `vlan0`, `tap1`, …).
pub fn kind_from(groups: &[String], name: &str) -> Option<KindName> {
    for g in groups {
        if let Some(k) = kind_of_cloner(g) {
            return Some(k);
        }
    }
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == 'a' || c == 'b');
    let stem_digits = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if stem == "epair" && name.len() > 5 {
        return Some(KindName::Epair);
    }
    if stem_digits.len() < name.len() {
        return kind_of_cloner(stem_digits).filter(|k| *k != KindName::Epair);
    }
    None
}

/// The kind a link type names on its own (vlan, bridge, loopback); epair, tap and lagg are all
/// plain Ethernet to the kernel.
pub fn kind_of_link_type(t: u8) -> Option<KindName> {
    use ifclone_freebsd_abi::consts::{IFT_BRIDGE, IFT_L2VLAN, IFT_LOOP};
    match t {
        IFT_L2VLAN => Some(KindName::Vlan),
        IFT_BRIDGE => Some(KindName::Bridge),
        IFT_LOOP => Some(KindName::Loopback),
        _ => None,
    }
}

/// The first group that is not `all` nor ifclone's own, as a driver hint for unknown kinds.
pub fn driver_hint(groups: &[String]) -> Option<&str> {
    groups.iter().map(String::as_str).find(|g| *g != "all")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_name_ending_in_a_multibyte_character_gives_way_whole() {
        // 15 bytes: 13 ASCII + a 2-byte é.
        let name = IfName::new("abcdefghijklmé").unwrap();
        let p = derive_peer(&name);
        assert_eq!(p.as_str(), "abcdefghijklmb");
    }

    fn n(s: &str) -> IfName {
        IfName::new(s).unwrap()
    }

    #[test]
    fn epair_names() {
        assert_eq!(epair_peer("epair3a"), Some(n("epair3b")));
        assert_eq!(epair_peer("epair3"), None);
        assert_eq!(epair_other("epair12b"), Some(n("epair12a")));
        assert_eq!(derive_peer(&n("web0a")), n("web0b"));
        assert_eq!(derive_peer(&n("web0")), n("web0b"));
        assert_eq!(derive_peer(&n("abcdefghijklmno")), n("abcdefghijklmnb"));
        assert!(is_kernel_epair_name("epair12a"));
        assert!(is_kernel_epair_name("epair0b"));
        assert!(!is_kernel_epair_name("epaira"));
        assert!(!is_kernel_epair_name("epair1c"));
        assert!(!is_kernel_epair_name("web0a"));
        assert_eq!(epair_peer_candidates("epair3a"), vec![n("epair3b")]);
        assert_eq!(
            epair_peer_candidates("web0b"),
            vec![n("web0a"), n("web0"), n("web0bb")]
        );
        assert_eq!(epair_peer_candidates("web0"), vec![n("web0b")]);
    }

    #[test]
    fn kinds() {
        assert_eq!(kind_of_cloner("epair"), Some(KindName::Epair));
        assert_eq!(kind_of_cloner("lagg"), Some(KindName::Bond));
        assert_eq!(kind_of_cloner("lo"), Some(KindName::Loopback));
        assert_eq!(kind_of_cloner("vxlan"), None);
        let g = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(kind_from(&g(&["all", "epair"]), "x"), Some(KindName::Epair));
        assert_eq!(kind_from(&g(&["all"]), "epair0b"), Some(KindName::Epair));
        assert_eq!(kind_from(&g(&[]), "vlan12"), Some(KindName::Vlan));
        assert_eq!(kind_from(&g(&[]), "lo0"), Some(KindName::Loopback));
        assert_eq!(kind_from(&g(&[]), "em0"), None);
        assert_eq!(kind_from(&g(&[]), "web"), None);
        assert_eq!(driver_hint(&g(&["all", "wg"])), Some("wg"));
        assert_eq!(kind_of_link_type(0x87), Some(KindName::Vlan));
        assert_eq!(kind_of_link_type(0xd1), Some(KindName::Bridge));
        assert_eq!(kind_of_link_type(0x06), None, "Ethernet says nothing");
    }
}
