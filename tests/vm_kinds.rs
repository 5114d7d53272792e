//! Kinds that need kernel features the development host lacks (8021q, bonding, dummy). Every
//! test here is ignored by default; CI runs them in a qemu guest that has those modules:
//! `ci/test-vm.sh` (cargo test … -- --include-ignored under ci/run-in-vm.sh). Run as root.

mod common;

use common::*;
use ifclone::{
    CreateRequest, GroupMode, IfName, Interface, KindInfo, KindName, KindSpec, LinkStack, Stack,
    VlanProto,
};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

/// A test stack with the epair `pa`/`pb` to hang vlans on.
fn stack_with_pair(tag: &str) -> (StackGuard, Interface) {
    let g = StackGuard::new(tag);
    let made = g
        .create_interface(
            &CreateRequest::new(KindSpec::Epair {
                peer_name: Some(n("pb")),
            })
            .named(n("pa")),
        )
        .expect("create pa/pb");
    (g, made.iface)
}

#[track_caller]
fn destroy_and_check_gone(g: &StackGuard, name: &str) {
    g.destroy(name)
        .unwrap_or_else(|e| panic!("destroy {name}: {e}"));
    assert!(observe(g.name(), name).is_none(), "{name} still there");
    assert!(!g
        .interfaces()
        .expect("interfaces")
        .iter()
        .any(|i| i.name == name));
}

fn vlan(proto: VlanProto) {
    let (g, parent) = stack_with_pair(&format!("vlan-{}", proto.as_str()));
    let made = g
        .create_interface(
            &CreateRequest::new(KindSpec::Vlan {
                parent: n("pa"),
                id: 100,
                proto,
            })
            .named(n("vl100")),
        )
        .unwrap_or_else(|e| panic!("create vlan {}: {e}", proto.as_str()));
    assert_eq!(made.iface.name, "vl100");
    match &made.iface.kind {
        KindInfo::Vlan {
            parent: p,
            id,
            proto: got,
        } => {
            assert_eq!(*id, 100);
            assert_eq!(*got, proto);
            let p = p.as_ref().expect("vlan knows its parent");
            assert_eq!(p.index, Some(parent.index), "{p:?}");
            assert_eq!(p.stack, LinkStack::Same);
            assert_eq!(p.name, Some(n("pa")));
        }
        k => panic!("expected a vlan record, got {k:?}"),
    }
    let o = observe(g.name(), "vl100").expect("vl100 for the OS");
    assert_eq!(o.index, made.iface.index);
    let listed = g.interfaces().expect("interfaces");
    assert!(listed
        .iter()
        .any(|i| i.name == "vl100" && i.kind == made.iface.kind));
    #[cfg(target_os = "linux")]
    {
        let v = ip_link(g.name(), "vl100").unwrap();
        assert_eq!(v["linkinfo"]["info_kind"], "vlan", "{v}");
        assert_eq!(info_data(&v)["protocol"], proto.as_str(), "{v}");
        assert_eq!(info_data(&v)["id"], 100, "{v}");
        assert_eq!(v["link"], "pa", "{v}");
    }
    destroy_and_check_gone(&g, "vl100");
    assert!(observe(g.name(), "pa").is_some(), "the parent survives");
}

#[test]
#[ignore = "needs 8021q/bonding/dummy: run in the VM by ci/test-vm.sh"]
fn vlan_dot1q() {
    vlan(VlanProto::Dot1Q);
}

#[test]
#[ignore = "needs 8021q/bonding/dummy: run in the VM by ci/test-vm.sh"]
fn vlan_dot1ad() {
    vlan(VlanProto::Dot1Ad);
}

#[test]
#[ignore = "needs 8021q/bonding/dummy: run in the VM by ci/test-vm.sh"]
fn vlan_auto_name_and_existing_id() {
    let (g, _) = stack_with_pair("vlanauto");
    let spec = KindSpec::Vlan {
        parent: n("pa"),
        id: 7,
        proto: VlanProto::Dot1Q,
    };
    let made = g
        .create_interface(&CreateRequest::new(spec.clone()))
        .expect("vlan with an automatic name");
    assert_eq!(made.iface.name, "vlan0", "the cloner's own name");
    assert!(observe(g.name(), "vlan0").is_some());
    // The same id on the same parent again: the kernel refuses, nothing is left.
    let before = snapshot(g.name());
    let e = expect_err(
        g.create_interface(&CreateRequest::new(spec).named(n("again7"))),
        "Exists",
        "a second vlan 7 on pa",
    );
    assert_msg_has(&e, &["create", g.name()]);
    assert_eq!(before, snapshot(g.name()));
}

fn bond_spec(mode: GroupMode, miimon: Option<u32>) -> KindSpec {
    KindSpec::Bond { mode, miimon }
}

/// Every mode ifclone models, created with and without link monitoring, reads back as created;
/// `ip` sees the kernel's mode name.
#[test]
#[ignore = "needs 8021q/bonding/dummy: run in the VM by ci/test-vm.sh"]
fn bond() {
    let g = StackGuard::new("bond");
    for (k, mode) in GroupMode::ALL.into_iter().enumerate() {
        let name = format!("bo{k}");
        let miimon = (k % 2 == 0).then_some(100);
        let made = g
            .create_interface(&CreateRequest::new(bond_spec(mode, miimon)).named(n(&name)))
            .unwrap_or_else(|e| panic!("create bond {mode}: {e}"));
        assert_eq!(made.iface.name, name.as_str());
        let KindInfo::Bond {
            mode: got,
            miimon: mon,
            ..
        } = made.iface.kind
        else {
            panic!("{name} is a {:?}", made.iface.kind)
        };
        // Linux turns link monitoring on (100 ms) for an 802.3ad bond created without it.
        let kernel_miimon = miimon.or((mode == GroupMode::Lacp).then_some(100));
        assert_eq!((got, mon), (Some(mode), kernel_miimon), "{name}");
        let o = observe(g.name(), &name).expect("the bond for the OS");
        assert_eq!(o.index, made.iface.index);
        #[cfg(target_os = "linux")]
        {
            let v = ip_link(g.name(), &name).unwrap();
            assert_eq!(v["linkinfo"]["info_kind"], "bond");
            assert_eq!(v["linkinfo"]["info_data"]["mode"], mode.linux_name());
            assert_eq!(
                v["linkinfo"]["info_data"]["miimon"].as_u64(),
                Some(kernel_miimon.unwrap_or(0) as u64)
            );
        }
        assert_eq!(g.interface(&name).unwrap().kind, made.iface.kind);
        destroy_and_check_gone(&g, &name);
    }
}

/// A port that is up joins a failover bond without the caller taking it down first (the
/// bonding driver refuses an up device, EPERM): ifclone takes it down, enslaves it and the
/// bond brings it up; the bond reports an active port.
#[test]
#[ignore = "needs 8021q/bonding/dummy: run in the VM by ci/test-vm.sh"]
fn an_up_port_joins_a_failover_bond() {
    let g = StackGuard::new("bondup");
    let mut req = CreateRequest::new(bond_spec(GroupMode::Failover, Some(100))).named(n("bo0"));
    req.up = true;
    g.create_interface(&req).expect("create bond");
    for p in ["pa", "pb"] {
        let mut d = CreateRequest::new(KindSpec::Dummy).named(n(p));
        d.up = true;
        g.create_interface(&d).expect("create dummy");
        assert!(observe(g.name(), p).unwrap().up);
        g.add_port("bo0", p)
            .unwrap_or_else(|e| panic!("{p} (up) joins bo0: {e}"));
        assert!(observe(g.name(), p).unwrap().up, "{p} is up again");
    }
    let bo = g.interface("bo0").unwrap();
    let KindInfo::Bond { active, .. } = bo.kind else {
        panic!("{:?}", bo.kind)
    };
    let pa = g.interface("pa").unwrap();
    assert_eq!(active, Some(pa.index), "the first port is the active one");
    #[cfg(target_os = "linux")]
    assert_eq!(ip_link(g.name(), "pb").unwrap()["master"], "bo0");
}

#[test]
#[ignore = "needs 8021q/bonding/dummy: run in the VM by ci/test-vm.sh"]
fn bond_ports_join_and_leave() {
    let g = StackGuard::new("bondports");
    g.create_interface(&CreateRequest::new(bond_spec(GroupMode::Failover, None)).named(n("bo0")))
        .expect("create bond");
    g.create_interface(&CreateRequest::new(KindSpec::Dummy).named(n("du0")))
        .expect("create dummy");
    g.add_port("bo0", "du0").expect("du0 joins bo0");
    let bo = g.interface("bo0").unwrap();
    assert_eq!(g.interface("du0").unwrap().master, Some(bo.index));
    #[cfg(target_os = "linux")]
    assert_eq!(ip_link(g.name(), "du0").unwrap()["master"], "bo0");
    let ports: Vec<String> = g
        .ports("bo0")
        .unwrap()
        .iter()
        .map(|i| i.name.to_string())
        .collect();
    assert_eq!(ports, ["du0"]);
    g.del_port("bo0", "du0").expect("du0 leaves bo0");
    assert_eq!(g.interface("du0").unwrap().master, None);
    #[cfg(target_os = "linux")]
    assert!(ip_link(g.name(), "du0").unwrap()["master"].is_null());
}

#[test]
#[ignore = "needs 8021q/bonding/dummy: run in the VM by ci/test-vm.sh"]
fn dummy() {
    let g = StackGuard::new("dummy");
    let made = g
        .create_interface(&CreateRequest::new(KindSpec::Dummy).named(n("du0")))
        .expect("create dummy");
    assert_eq!(made.iface.name, "du0");
    assert_eq!(made.iface.kind, KindInfo::Dummy);
    let o = observe(g.name(), "du0").expect("du0 for the OS");
    assert_eq!(o.index, made.iface.index);
    assert_eq!(o.mtu, made.iface.mtu);
    #[cfg(target_os = "linux")]
    assert_eq!(
        ip_link(g.name(), "du0").unwrap()["linkinfo"]["info_kind"],
        "dummy"
    );
    g.set_mtu("du0", 1400).expect("set mtu on a dummy");
    assert_eq!(observe(g.name(), "du0").unwrap().mtu, 1400);
    destroy_and_check_gone(&g, "du0");
}

#[test]
#[ignore = "needs 8021q/bonding/dummy: run in the VM by ci/test-vm.sh"]
fn cloners_include_vlan_bond_dummy() {
    let g = StackGuard::new("vmcloners");
    // Let the kernel load the modules first, as `ip` would.
    #[cfg(target_os = "linux")]
    {
        for k in ["bond", "dummy"] {
            let _ = ip(&["-n", g.name(), "link", "add", "probe0", "type", k]);
            let _ = ip(&["-n", g.name(), "link", "del", "probe0"]);
        }
        let _ = ip(&[
            "-n",
            g.name(),
            "link",
            "add",
            "pp0",
            "type",
            "veth",
            "peer",
            "name",
            "pp1",
        ]);
        let _ = ip(&[
            "-n",
            g.name(),
            "link",
            "add",
            "link",
            "pp0",
            "name",
            "probe1",
            "type",
            "vlan",
            "id",
            "5",
        ]);
        let _ = ip(&["-n", g.name(), "link", "del", "pp0"]);
    }
    let host = Stack::host()
        .expect("host")
        .cloners()
        .expect("host cloners");
    let inside = g.cloners().expect("stack cloners");
    for k in [KindName::Vlan, KindName::Bond, KindName::Dummy] {
        assert!(host.contains(&k), "host cloners {host:?} lack {k}");
        assert!(inside.contains(&k), "stack cloners {inside:?} lack {k}");
    }
}

/// The watcher reports a vlan arriving on its parent and leaving with it (the kernel deletes
/// the vlan first), both as events of the stack.
#[test]
#[ignore = "needs 8021q/bonding/dummy: run in the VM by ci/test-vm.sh"]
fn watch_sees_a_vlan_arrive_and_leave_with_its_parent() {
    use ifclone::watch::{Event, Watcher};
    use std::time::Duration;
    require_root();
    let (g, _pa) = stack_with_pair("vm-watch-vlan");
    let mut w = Watcher::new(&[g.stack()]).expect("watch");
    g.create_interface(
        &CreateRequest::new(KindSpec::Vlan {
            parent: n("pa"),
            id: 42,
            proto: VlanProto::Dot1Q,
        })
        .named(n("pa.42")),
    )
    .expect("create vlan");
    g.destroy("pa").expect("destroy the parent");
    let evs: Vec<Event> = w
        .events(Duration::from_millis(500))
        .map(|e| e.expect("event"))
        .collect();
    let pos = |pred: &dyn Fn(&Event) -> bool| evs.iter().position(pred);
    let arrived = pos(&|e| {
        matches!(e, Event::Arrived(i) if i.name.as_str() == "pa.42"
        && matches!(&i.kind, KindInfo::Vlan { id: 42, .. }))
    });
    let vlan_gone =
        pos(&|e| matches!(e, Event::Departed { iface, .. } if iface.name.as_str() == "pa.42"));
    let parent_gone =
        pos(&|e| matches!(e, Event::Departed { iface, .. } if iface.name.as_str() == "pa"));
    assert!(
        arrived.is_some() && vlan_gone.is_some() && parent_gone.is_some(),
        "{evs:#?}"
    );
    assert!(arrived < vlan_gone);
}

/// A supervised vlan is re-created on its parent every time the parent comes back (3 times),
/// each generation a new device with the same name, id and MAC.
#[test]
#[ignore = "needs 8021q/bonding/dummy: run in the VM by ci/test-vm.sh"]
fn supervised_vlan_comes_back_with_its_parent() {
    use ifclone::supervise::{
        DependentKind, DependentSpec, LostReason, LowerMatch, Supervised, Supervisor,
    };
    use std::time::Duration;
    require_root();
    let (g, _pa) = stack_with_pair("vm-sup-vlan");
    let spec = DependentSpec::new(
        n("uplink"),
        DependentKind::Vlan {
            id: 7,
            proto: VlanProto::Dot1Q,
        },
        LowerMatch::name(n("pa")),
    );
    let mut sup = Supervisor::start(g.stack(), spec).expect("supervise");
    let step = |sup: &mut Supervisor| {
        sup.next(Some(Duration::from_secs(10)))
            .expect("supervisor")
            .expect("a step within 10 s")
    };
    let mut mac = None;
    for round in 1..=3u64 {
        let gen = loop {
            match step(&mut sup) {
                Supervised::Waiting { .. } => continue,
                Supervised::Created(gen) => break gen,
                other => panic!("round {round}: {other:?}"),
            }
        };
        assert_eq!(gen.generation, round);
        assert!(matches!(&gen.iface.kind, KindInfo::Vlan { id: 7, .. }));
        assert_eq!(gen.lower.name.as_str(), "pa");
        let m = *mac.get_or_insert(gen.iface.mac);
        assert_eq!(gen.iface.mac, m, "the vlan keeps its MAC");
        let o = observe(g.name(), "uplink").expect("ip sees the vlan");
        assert_eq!(o.kind.as_deref(), Some("vlan"), "{o:?}");
        // The parent is down, so the vlan is too; it follows its parent up.
        assert!(!o.up, "a vlan up on a parent that is down: {o:?}");
        g.set_up("pa", true).expect("parent up");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !observe(g.name(), "uplink").is_some_and(|o| o.up) {
            assert!(
                std::time::Instant::now() < deadline,
                "the vlan did not follow its parent up"
            );
            let _ = sup
                .next(Some(Duration::from_millis(100)))
                .expect("supervisor");
        }
        g.destroy("pa").expect("destroy the parent");
        match step(&mut sup) {
            Supervised::Lost { generation, reason } => {
                assert_eq!(generation, round);
                assert_eq!(reason, LostReason::LowerGone { lower: n("pa") });
            }
            other => panic!("round {round}: expected a loss, got {other:?}"),
        }
        g.create_interface(
            &CreateRequest::new(KindSpec::Epair {
                peer_name: Some(n("pb")),
            })
            .named(n("pa")),
        )
        .expect("re-create pa/pb");
    }
}
