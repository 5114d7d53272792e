//! ifconfig-style output of interfaces and move receipts. Pure: the caller resolves links.

use std::fmt::Write as _;

use ifclone::vmove::Receipt;
use ifclone::{IfAddr, IfFlags, IfName, Interface, KindInfo, LinkRef, LinkStack, OperState};

/// `flags=<UP,BROADCAST,RUNNING,MULTICAST>`: the library's neutral flags, the same names on
/// both systems (no OS bit value: the bits differ between the kernels).
pub fn flags_str(flags: IfFlags) -> String {
    format!("flags=<{flags}>")
}

/// A peer/parent in another stack, resolved: its name and the name of its stack.
pub type Resolved = (IfName, String);

/// `peer epair0b`, `epair0b in stack demo (index 2)`, `#7 (in other stack, id 3)`.
pub fn link_str(l: &LinkRef, all: &[Interface], resolved: Option<&Resolved>) -> String {
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

pub fn kind_line(i: &Interface, all: &[Interface], resolved: Option<&Resolved>) -> Option<String> {
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
        KindInfo::Bond {
            mode,
            miimon,
            active,
            primary,
        } => {
            let name_of = |x: u32| {
                all.iter()
                    .find(|p| p.index == x)
                    .map_or_else(|| format!("#{x}"), |p| p.name.to_string())
            };
            let mut s = format!("laggproto {}", mode.map_or("other", |m| m.as_str()));
            if let Some(ms) = miimon {
                write!(s, " miimon {ms}").unwrap();
            }
            for p in all.iter().filter(|p| p.master == Some(i.index)) {
                write!(s, " laggport {}", p.name).unwrap();
                if *active == Some(p.index) {
                    s.push_str(" (active)");
                }
            }
            if let Some(x) = primary {
                write!(s, " primary {}", name_of(*x)).unwrap();
            }
            s
        }
        KindInfo::Tap { queues } => format!("tap queues {queues}"),
        KindInfo::Tun { queues } => format!("tun queues {queues}"),
        KindInfo::Other(_) => {
            // The kernel's own failover (Linux net_failover): shown, never changed.
            let f = ifclone::failover::kernel_failover(i, all)?;
            let mut s = String::from("failover (kernel net_failover)");
            for (role, p) in [("standby", &f.standby), ("primary", &f.primary)] {
                if let Some(p) = p {
                    write!(s, " {role} {}", p.name).unwrap();
                }
            }
            s
        }
        _ => return None,
    })
}

pub fn netmask(plen: u8) -> u32 {
    if plen == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(plen.min(32)))
    }
}

/// One interface in `ifconfig` style.
pub fn render(
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
    // A bridge's / lagg's ports, as FreeBSD's ifconfig lists them.
    if i.kind.kind().is_some_and(|k| k.desc().ports) {
        let tag = if i.kind.kind() == Some(ifclone::KindName::Bond) {
            "laggport"
        } else {
            "member"
        };
        for p in all.iter().filter(|p| p.master == Some(i.index)) {
            writeln!(s, "\t{tag}: {}", p.name).unwrap();
        }
    }
    match i.oper {
        OperState::Up => writeln!(s, "\tstatus: active").unwrap(),
        OperState::Unknown => {}
        _ => writeln!(s, "\tstatus: no carrier").unwrap(),
    }
    writeln!(s, "\tindex {}", i.index).unwrap();
    s
}

/// What a move did, for stdout.
pub fn receipt(r: &Receipt) -> String {
    let mut s = String::new();
    let name = r.name.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    let strategy = r
        .strategy
        .map(|s| s.to_string())
        .unwrap_or_else(|| "?".into());
    writeln!(
        s,
        "{name}: moved from {} to {} (strategy {strategy}), index {}",
        r.from, r.to, r.index
    )
    .unwrap();
    if !r.ports.is_empty() {
        let p: Vec<String> = r.ports.iter().map(|p| p.to_string()).collect();
        writeln!(s, "\tports moved with it: {}", p.join(" ")).unwrap();
    }
    if !r.restored.is_empty() {
        writeln!(s, "\trestored: {}", r.restored.join(", ")).unwrap();
    }
    if !r.addresses.is_empty() {
        let a: Vec<String> = r.addresses.iter().map(|a| a.to_string()).collect();
        writeln!(s, "\taddresses: {}", a.join(" ")).unwrap();
    }
    if !r.not_carried.is_empty() {
        writeln!(s, "\tnot carried: {}", r.not_carried.join(", ")).unwrap();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ifclone::{Mac, MacvlanMode, VlanProto};

    fn n(s: &str) -> IfName {
        IfName::new(s).unwrap()
    }

    #[test]
    fn rendering() {
        let mk = |index, name: &str, kind| {
            let mut i = Interface::new(index, n(name), kind, "host");
            i.mtu = 1500;
            i.mac = Some(Mac([2, 0, 0, 0, 0, 1]));
            i.description = Some("to the jail".into());
            i.up = true;
            i.oper = OperState::Up;
            i.flags = IfFlags::UP | IfFlags::BROADCAST | IfFlags::MULTICAST;
            i.min_mtu = Some(68);
            i.max_mtu = Some(65535);
            i
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
epair0a: flags=<UP,BROADCAST,MULTICAST> metric 0 mtu 1500
\tdescription: \"to the jail\"
\tether 02:00:00:00:00:01
\tinet 10.0.0.1 netmask 0xffffff00
\tepair: peer #6 (in other stack, id 3)
\tgroups: epair
\tstatus: active
\tindex 5
";
        // The same on both systems: the flags are the library's neutral ones.
        assert_eq!(out, want);

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

    /// A net_failover master (as the VM suite's guest has one) shows its standby; a plain
    /// NIC shows no kind line.
    #[test]
    fn a_kernel_failover_shows_its_standby() {
        let nic = |index, name: &str, master| {
            let mut i = Interface::new(index, n(name), KindInfo::Other(None), "host");
            i.parent_dev = Some("virtio2".into());
            i.master = master;
            i
        };
        let all = [nic(2, "eth0", None), nic(3, "eth1", Some(2))];
        let out = render(&all[0], &[], &all, None);
        assert!(
            out.contains("\tfailover (kernel net_failover) standby eth1\n"),
            "{out}"
        );
        assert!(render(&all[1], &[], &all, None).contains("\tmember of: eth0\n"));
        assert!(!render(&nic(4, "eth9", None), &[], &all, None).contains("failover"));
    }
}
