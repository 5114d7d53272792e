//! `IF create …`: the kind from the name or `type`, its parameters, and what is refused.

use ifclone::{GroupMode, KindSpec, Mac, MacvlanMode, StackSel, VlanProto};

use super::{create, err, n};

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
    assert_eq!(
        req.kind,
        KindSpec::Bond {
            mode: GroupMode::Failover,
            miimon: None
        }
    );
    let (_, _, req, _) = create("bond0 create type bond laggproto 802.3ad miimon 100");
    assert_eq!(
        req.kind,
        KindSpec::Bond {
            mode: GroupMode::Lacp,
            miimon: Some(100)
        }
    );
    assert!(err("lagg0 create laggproto broadcast").contains("bad laggproto"));
    assert!(err("lagg0 create miimon 99999999999").contains("miimon"));
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
    // A number, but not a vlan id: the message says the range (it said "bad vlan id").
    assert!(err("vlan create vlan 70000 vlandev eth0")
        .contains("vlan id: 70000 is out of range 1..=4094"));
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
