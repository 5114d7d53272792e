//! The vlan half of the vmove scenarios. The host kernel has no 8021q, so every test here is
//! ignored on the host and run by CI inside a qemu guest (`ci/test-vm.sh`, with
//! `--include-ignored`). Real kernel, as root.

mod common;

use common::moves::*;
use common::*;
use ifclone::vmove::{self, MoveOptions, Strategy};
use ifclone::{CreateRequest, Error, IfName, KindInfo, KindSpec, LinkStack, Stack, VlanProto};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

/// A with a veth parent `vp0` (up) and vlan `v100` on it, configured; returns the vlan's MAC.
fn vlan_setup(a: &Stack, proto: VlanProto) -> String {
    let req = CreateRequest::new(KindSpec::Epair {
        peer_name: Some(n("vp1")),
    })
    .named(n("vp0"));
    a.create_interface(&req).unwrap();
    a.set_up("vp0", true).unwrap();
    let req = CreateRequest::new(KindSpec::Vlan {
        parent: n("vp0"),
        id: 100,
        proto,
    })
    .named(n("v100"));
    a.create_interface(&req).unwrap();
    let m = mac(0x71);
    configure(a, "v100", &m);
    settle(a);
    m
}

/// Waits until the kernel has worked out the operational state of every UP device (linkwatch
/// does it later, up to about a second under TCG), so that a snapshot taken now does not
/// change by itself.
fn settle(a: &Stack) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let pending: Vec<String> = snapshot(a.name())
            .into_iter()
            .filter(|(n, v)| {
                n != "lo"
                    && v["operstate"] == "UNKNOWN"
                    && v["flags"]
                        .as_array()
                        .is_some_and(|f| f.iter().any(|x| x == "UP"))
            })
            .map(|(n, _)| n)
            .collect();
        if pending.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the operational state of {pending:?} never settled"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[track_caller]
fn assert_vlan(stack: &Stack, parent_elsewhere: bool, proto: VlanProto) {
    let i = stack.interface("v100").unwrap();
    match &i.kind {
        KindInfo::Vlan {
            id,
            proto: p,
            parent: Some(parent),
        } => {
            assert_eq!((*id, *p), (100, proto));
            assert_eq!(
                matches!(parent.stack, LinkStack::Other { .. }),
                parent_elsewhere,
                "{parent:?}"
            );
        }
        k => panic!("kind {k:?}"),
    }
    // Independently, with ip.
    #[cfg(target_os = "linux")]
    {
        let v = ip_link(stack.name(), "v100").expect("v100 in ip -d -j link");
        let d = info_data(&v);
        assert_eq!(d["id"].as_u64(), Some(100), "{v}");
        assert_eq!(d["protocol"].as_str(), Some(proto.as_str()), "{v}");
        assert_eq!(v.get("link_netnsid").is_some(), parent_elsewhere, "{v}");
    }
}

/// The same scenario as the epair one: configure, move, check in S, move back, check again.
#[test]
#[ignore = "needs 8021q: runs in the VM (ci/test-vm.sh)"]
fn vlan_move_keeps_everything() {
    for proto in [VlanProto::Dot1Q, VlanProto::Dot1Ad] {
        let a = StackGuard::new("vm-a");
        let s = StackGuard::new("vm-s");
        let m = vlan_setup(&a, proto);
        let r = vmove::vmove(&a, "v100", &s, &MoveOptions::default()).unwrap();
        assert_eq!(r.strategy, Some(Strategy::Native));
        assert!(
            r.not_carried.iter().any(|x| x.contains("parent vp0")),
            "{r}"
        );
        assert_configured(s.name(), "v100", &m);
        assert_vlan(&s, true, proto);
        vmove::vmove(&s, "v100", &a, &MoveOptions::default()).unwrap();
        assert_configured(a.name(), "v100", &m);
        assert_vlan(&a, false, proto);
    }
}

/// Forced Recreate on a vlan (exclusive kind: the source goes first) gives the same result.
#[test]
#[ignore = "needs 8021q: runs in the VM (ci/test-vm.sh)"]
fn vlan_recreate_matches_native() {
    let a = StackGuard::new("vm-a");
    let s = StackGuard::new("vm-s");
    let m = vlan_setup(&a, VlanProto::Dot1Q);
    let opts = MoveOptions {
        strategy: Some(Strategy::Recreate),
        ..MoveOptions::default()
    };
    let r = vmove::vmove(&a, "v100", &s, &opts).unwrap();
    assert_eq!(r.strategy, Some(Strategy::Recreate));
    assert_configured(s.name(), "v100", &m);
    assert_vlan(&s, true, VlanProto::Dot1Q);
}

/// Moving a vlan's parent would unconfigure the vlan on FreeBSD: refused on both systems, and
/// nothing changes.
#[test]
#[ignore = "needs 8021q: runs in the VM (ci/test-vm.sh)"]
fn moving_a_vlan_parent_is_refused() {
    let a = StackGuard::new("vm-a");
    let s = StackGuard::new("vm-s");
    vlan_setup(&a, VlanProto::Dot1Q);
    let before = snapshot(a.name());
    let e = vmove::vmove(&a, "vp0", &s, &MoveOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Busy(_)), "{e}");
    assert_msg_has(&e, &["v100"]);
    assert_same_links(
        a.name(),
        &before,
        &snapshot(a.name()),
        true,
        &[],
        "refused parent move",
    );
}

fn setup_vlan(a: &Stack) -> (Vec<&'static str>, Vec<&'static str>) {
    vlan_setup(a, VlanProto::Dot1Q);
    a.add_address("v100", "10.85.0.1/24".parse().unwrap())
        .unwrap();
    (vec!["v100"], vec!["v100", "vp0"])
}

/// Native vlan move: a failure at every mutating step is rolled back.
#[test]
#[ignore = "needs 8021q: runs in the VM (ci/test-vm.sh)"]
fn vlan_native_rolls_back_at_every_step() {
    let opts = MoveOptions {
        carry_addresses: true,
        ..MoveOptions::default()
    };
    every_step("native vlan", setup_vlan, opts);
}

/// Recreate on an exclusive kind (the source is destroyed first, since a vlan id exists once per
/// parent): a failure at every mutating step re-creates the source.
#[test]
#[ignore = "needs 8021q: runs in the VM (ci/test-vm.sh)"]
fn vlan_recreate_rolls_back_at_every_step() {
    let opts = MoveOptions {
        strategy: Some(Strategy::Recreate),
        carry_addresses: true,
        ..MoveOptions::default()
    };
    every_step("recreate vlan", setup_vlan, opts);
}

/// A vlan made inside stack S on top of a loaned epair end would die with S anyway: removing S
/// destroys it first, so the loan can go home (it used to be reported lost: "busy … parent of
/// vlan", and destroyed with S).
#[test]
#[ignore = "needs 8021q: runs in the VM (ci/test-vm.sh)"]
fn removing_a_stack_destroys_a_vlan_on_a_loan_and_returns_the_loan() {
    let a = StackGuard::new("vm-a");
    let mut s = StackGuard::new("vm-s");
    let req = CreateRequest::new(KindSpec::Epair {
        peer_name: Some(n("lp1")),
    })
    .named(n("lp0"));
    a.create_interface(&req).unwrap();
    let m = mac(0x72);
    configure(&a, "lp0", &m);
    vmove::vmove(&a, "lp0", &s, &MoveOptions::default()).unwrap();
    let req = CreateRequest::new(KindSpec::Vlan {
        parent: n("lp0"),
        id: 7,
        proto: VlanProto::Dot1Q,
    })
    .named(n("lp0.7"));
    s.create_interface(&req).unwrap();
    assert!(observe(s.name(), "lp0.7").is_some());
    let r = s
        .remove()
        .expect("remove S: the vlan goes first, then the loan");
    assert_eq!(r.destroyed, vec![n("lp0.7")], "{r:?}");
    assert_eq!(r.returned, vec![(n("lp0"), a.name().to_string())], "{r:?}");
    assert!(r.lost.is_empty(), "{r:?}");
    assert_configured(a.name(), "lp0", &m);
    assert!(
        observe(a.name(), "lp1").is_some(),
        "its peer is still there"
    );
    s.forget();
}
