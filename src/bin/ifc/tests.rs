//! Unit tests of the parser (argv → `Cmd`).

use ifclone::vmove::{MoveOptions, Strategy};
use ifclone::{
    Change, CreateRequest, IfAddr, IfName, KindSpec, Mac, MacvlanMode, StackSel, VlanProto,
};

use crate::opts::*;

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
    let (_, _, req, _) =
        create("br0 create type bridge mtu 1400 ether 02:00:00:00:00:01 descr hello group 7 up");
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
        err("vxlan create vxlanid 1 vxlanremote 10.0.0.1 vxlangroup 239.1.1.1").contains("exclude")
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
