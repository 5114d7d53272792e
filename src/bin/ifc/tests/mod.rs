//! Unit tests of the parser (argv → `Cmd`): the command forms here, `IF create` in [`create`].

use ifclone::vmove::{MoveOptions, Strategy};
use ifclone::{Change, CreateRequest, IfAddr, IfName, Mac, StackSel};

use crate::opts::*;

mod create;

pub fn p(s: &str) -> Result<Cmd, Usage> {
    let v: Vec<&str> = s.split_whitespace().collect();
    parse(&v)
}

pub fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

pub fn err(s: &str) -> String {
    match p(s) {
        Err(Usage(m)) => m,
        Ok(c) => panic!("{s:?} parsed as {c:?}"),
    }
}

pub fn create(s: &str) -> (Option<StackSel>, String, CreateRequest, Option<StackSel>) {
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
            del_ports: vec![],
            add_ports: vec![],
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
fn non_utf8_argument() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let argv = vec![
        OsString::from("eth0"),
        OsString::from("description"),
        OsString::from_vec(b"caf\xe9".to_vec()),
    ];
    match parse_os(&argv) {
        Err(Usage(m)) => assert_eq!(m, "argument 3 is not valid UTF-8: \"caf\u{fffd}\""),
        Ok(c) => panic!("parsed as {c:?}"),
    }
    let ok = vec![
        OsString::from("-j"),
        OsString::from("ns1"),
        OsString::from("-l"),
    ];
    assert_eq!(parse_os(&ok).unwrap(), p("-j ns1 -l").unwrap());
}

#[test]
fn help_lists_every_keyword() {
    let h = crate::help::usage();
    let rows = crate::keywords::GENERIC_ROWS.iter().chain(
        crate::keywords::kind_groups()
            .iter()
            .flat_map(|(_, rows)| rows.iter()),
    );
    for row in rows {
        assert!(h.contains(&row.synopsis()), "{:?} not in -h", row.names);
        assert!(h.contains(row.help), "{:?} help not in -h", row.names);
    }
    for (k, _) in crate::keywords::kind_groups()
        .iter()
        .filter(|(_, r)| !r.is_empty())
    {
        let label = |sep| format!(" {k}{sep}");
        assert!(
            h.contains(&label(':')) || h.contains(&label(',')),
            "{k} not in -h"
        );
    }
    assert!(err("eth0 vlan 5").contains("create parameter"));
    assert!(err("eth0 type tap").contains("create parameter"));
}

#[test]
fn numbers_out_of_range_say_the_range() {
    for (line, want) in [
        ("eth1 mtu 70000", "mtu: 70000 is out of range 68..=65535"),
        ("eth1 mtu 67", "mtu: 67 is out of range 68..=65535"),
        ("eth1 mtu -1", "mtu: -1 is out of range 68..=65535"),
        (
            "eth1 mtu 99999999999999999999999999999999999999999",
            "mtu: 99999999999999999999999999999999999999999 is out of range 68..=65535",
        ),
        (
            "eth1 group 4294967296",
            "group: 4294967296 is out of range 0..=4294967295",
        ),
        (
            "eth1 inet 10.0.0.1/33",
            "prefix length: 33 is out of range 0..=32",
        ),
        (
            "eth1 inet6 fd00::1/129",
            "prefix length: 129 is out of range 0..=128",
        ),
        (
            "eth1 inet 10.0.0.1 prefixlen 33",
            "prefixlen: 33 is out of range 0..=32",
        ),
        (
            "eth1 inet6 fd00::1 prefixlen 300",
            "prefixlen: 300 is out of range 0..=128",
        ),
        (
            "vlan create vlan 0 vlandev eth0",
            "vlan id: 0 is out of range 1..=4094",
        ),
        (
            "vlan create vlan 4095 vlandev eth0",
            "vlan id: 4095 is out of range 1..=4094",
        ),
        ("eth0.4095 create", "vlan id: 4095 is out of range 1..=4094"),
        (
            "tap create queues 0",
            "queue count: 0 is out of range 1..=256",
        ),
        (
            "tun create queues 257",
            "queue count: 257 is out of range 1..=256",
        ),
        (
            "vxlan create vxlanid 16777216",
            "vxlanid: 16777216 is out of range 0..=16777215",
        ),
        (
            "vxlan create vxlanid 1 vxlanport 65536",
            "vxlanport: 65536 is out of range 0..=65535",
        ),
    ] {
        assert_eq!(err(line), want, "{line}");
    }
    // Not numbers at all.
    for (line, want) in [
        ("eth1 mtu 15OO", "bad mtu '15OO': expected a number"),
        ("eth1 mtu -", "bad mtu '-': expected a number"),
        ("eth1 mtu 0x5dc", "bad mtu '0x5dc': expected a number"),
        ("eth1 mtu 1.5", "bad mtu '1.5': expected a number"),
        (
            "eth1 inet 10.0.0.1/x",
            "bad prefix length 'x': expected a number",
        ),
        (
            "tap create queues x1",
            "bad queue count 'x1': expected a number",
        ),
    ] {
        assert_eq!(err(line), want, "{line}");
    }
    // The edges are in, and a sign is a sign.
    for line in [
        "eth1 mtu 68",
        "eth1 mtu 65535",
        "eth1 mtu +1500",
        "eth1 group 4294967295",
        "eth1 inet6 fd00::1 prefixlen 128",
        "vlan create vlan 4094 vlandev eth0",
        "vxlan create vxlanid 16777215 vxlanport 0",
        "tun create queues 256",
    ] {
        assert!(p(line).is_ok(), "{line}");
    }
    // -h quotes the same ranges the parser enforces.
    let h = crate::help::usage();
    use crate::keywords::{MTUS, QUEUE_COUNTS, VLAN_IDS, VNIS};
    for r in [
        format!("{MTUS:?}"),
        format!("{VLAN_IDS:?}"),
        format!("{QUEUE_COUNTS:?}"),
        format!("{VNIS:?}"),
    ] {
        assert!(h.contains(&r), "{r} not in -h");
    }
}

#[test]
fn monitor() {
    let mon = |stacks: Vec<StackSel>, json, count| Cmd::Monitor {
        stacks,
        json,
        count,
    };
    assert_eq!(p("monitor").unwrap(), mon(vec![], false, None));
    assert_eq!(
        p("monitor --json a host").unwrap(),
        mon(vec![StackSel::Name("a".into()), StackSel::Host], true, None)
    );
    assert_eq!(
        p("-j a monitor --count 3").unwrap(),
        mon(vec![StackSel::Name("a".into())], false, Some(3))
    );
    assert!(err("monitor --count 0").contains("positive"));
    assert!(err("monitor --count").contains("missing value"));
    assert!(err("monitor --bogus").contains("unknown option"));
}

#[test]
fn monitor_lines() {
    use crate::monitor::{json, line};
    use ifclone::watch::{End, Event};
    let mut i = ifclone::Interface::new(9, n("moved0"), ifclone::KindInfo::Bridge, "b");
    i.mtu = 1500;
    let e = Event::Moved {
        from: End {
            stack: "a".into(),
            index: 4,
            name: n("ma"),
        },
        to: End {
            stack: "b".into(),
            index: 9,
            name: n("moved0"),
        },
        iface: i,
    };
    assert_eq!(line(&e), "b: moved a:ma (index 4) -> b:moved0 (index 9)");
    let v = json(&e);
    assert_eq!(v["event"], "moved");
    assert_eq!(v["from"]["name"], "ma");
    assert_eq!(v["to"]["stack"], "b");
    assert_eq!(v["iface"]["kind"], "bridge");
}

#[test]
fn a_lagg_shows_its_mode_ports_and_the_active_one() {
    use ifclone::{GroupMode, Interface, KindInfo};
    let mut bo = Interface::new(
        5,
        n("bo0"),
        KindInfo::Bond {
            mode: Some(GroupMode::Failover),
            miimon: Some(100),
            active: Some(7),
            primary: Some(7),
        },
        "s",
    );
    bo.mtu = 1500;
    let mut pa = Interface::new(7, n("pa"), KindInfo::Other(None), "s");
    pa.master = Some(5);
    let mut pb = Interface::new(8, n("pb"), KindInfo::Other(None), "s");
    pb.master = Some(5);
    let all = vec![bo.clone(), pa, pb];
    assert_eq!(
        crate::render::kind_line(&bo, &all, None).unwrap(),
        "laggproto failover miimon 100 laggport pa (active) laggport pb primary pa"
    );
}
