//! vmove on the real kernel (host features only: veth/epair, bridge, tap, macvlan). Runs as root.
//! The vlan half of the same scenarios needs 8021q and runs in the VM (`tests/vm_vmove.rs`).
//!
//! Every test uses its own fresh stacks (A = source, S = target) and never touches the host's
//! interfaces; the guards remove the stacks even when a test fails.

mod common;

use common::moves::*;
use common::*;
use ifclone::vmove::{self, MoveOptions, Strategy};
use ifclone::{CreateRequest, Error, IfName, KindInfo, KindSpec, LinkStack, MacvlanMode, Stack};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

/// The scenario of the issue, for epair: configure, move, check in S (library and `ip`), ping
/// across the pair, move back, check again.
#[test]
fn epair_move_keeps_everything_and_still_pairs() {
    let a = StackGuard::new("mv-a");
    let s = StackGuard::new("mv-s");
    epair(&a, "mva0", "mvb0");
    let m = mac(1);
    configure(&a, "mva0", &m);
    a.set_up("mvb0", true).unwrap();

    let r = vmove::vmove(&a, "mva0", &s, &MoveOptions::default()).unwrap();
    assert_eq!(r.strategy, Some(Strategy::Native));
    assert!(r.restored.contains(&"up".to_string()), "{r}");
    assert_configured(s.name(), "mva0", &m);
    assert!(observe(a.name(), "mva0").is_none(), "still in the source");
    // The library sees the peer in another stack.
    let i = s.interface("mva0").unwrap();
    match i.kind {
        KindInfo::Epair { peer: Some(p) } => {
            assert!(matches!(p.stack, LinkStack::Other { .. }), "{p:?}")
        }
        k => panic!("kind {k:?}"),
    }
    let os_kind = if cfg!(target_os = "linux") {
        "veth"
    } else {
        "epair"
    };
    assert_eq!(props(s.name(), "mva0").kind.as_deref(), Some(os_kind));

    // Still a pair: addresses on both ends, ping across.
    s.add_address("mva0", "10.77.0.1/24".parse().unwrap())
        .unwrap();
    a.add_address("mvb0", "10.77.0.2/24".parse().unwrap())
        .unwrap();
    assert!(
        ping(s.name(), "10.77.0.2"),
        "no ping across the moved epair"
    );

    // And back: the same properties; the address was dropped (not carried by default).
    let r = vmove::vmove(&s, "mva0", &a, &MoveOptions::default()).unwrap();
    assert!(
        r.not_carried.iter().any(|x| x.contains("10.77.0.1/24")),
        "{r}"
    );
    assert_configured(a.name(), "mva0", &m);
    assert!(addrs(a.name(), "mva0").is_empty());
}

#[test]
fn carry_addresses_readds_them() {
    let a = StackGuard::new("mv-a");
    let s = StackGuard::new("mv-s");
    epair(&a, "mca0", "mcb0");
    configure(&a, "mca0", &mac(2));
    a.add_address("mca0", "10.78.0.1/24".parse().unwrap())
        .unwrap();
    let opts = MoveOptions {
        carry_addresses: true,
        ..MoveOptions::default()
    };
    let r = vmove::vmove(&a, "mca0", &s, &opts).unwrap();
    assert_eq!(addrs(s.name(), "mca0"), vec!["10.78.0.1/24".to_string()]);
    assert!(r.restored.contains(&"addresses".to_string()), "{r}");
}

#[test]
fn move_with_a_new_name() {
    let a = StackGuard::new("mv-a");
    let s = StackGuard::new("mv-s");
    epair(&a, "mna0", "mnb0");
    configure(&a, "mna0", &mac(3));
    let opts = MoveOptions {
        new_name: Some(n("inside0")),
        ..MoveOptions::default()
    };
    vmove::vmove(&a, "mna0", &s, &opts).unwrap();
    assert_configured(s.name(), "inside0", &mac(3));
}

/// Moves `name` with `strategy` and returns the properties observed in the target.
fn moved_props(kind: KindSpec, strategy: Strategy, tag: &str) -> (Props, Props) {
    let a = StackGuard::new(tag);
    let s = StackGuard::new(tag);
    // A parent for macvlan: a veth end in A.
    epair(&a, "par0", "par1");
    a.set_up("par0", true).unwrap();
    let req = CreateRequest::new(kind).named(n("obj0"));
    a.create_interface(&req).unwrap();
    configure(&a, "obj0", &mac(9));
    let before = props(a.name(), "obj0");
    let opts = MoveOptions {
        strategy: Some(strategy),
        ..MoveOptions::default()
    };
    let r = vmove::vmove(&a, "obj0", &s, &opts).unwrap_or_else(|e| panic!("{strategy}: {e}"));
    assert_eq!(r.strategy, Some(strategy));
    assert!(
        observe(a.name(), "obj0").is_none(),
        "{strategy}: source left behind"
    );
    let names = os_names(s.name());
    assert!(
        !names.iter().any(|x| x.starts_with("vm")),
        "temporary name left in target: {names:?}"
    );
    (before, props(s.name(), "obj0"))
}

/// Recreate forced on tap and macvlan gives the same observable result as Native.
#[test]
fn recreate_matches_native_for_tap_and_macvlan() {
    let mut kinds = vec![KindSpec::Tap { queues: 1 }];
    // macvlan is a Linux kind.
    if cfg!(target_os = "linux") {
        kinds.push(KindSpec::Macvlan {
            parent: n("par0"),
            mode: MacvlanMode::Private,
        });
    }
    for kind in kinds {
        let (b1, native) = moved_props(kind.clone(), Strategy::Native, "mv-nat");
        let (b2, recreated) = moved_props(kind.clone(), Strategy::Recreate, "mv-rec");
        assert_eq!(b1, b2);
        assert_eq!(
            native, b1,
            "native move of {kind:?} changed what the contract keeps"
        );
        assert_eq!(
            recreated, native,
            "recreate differs from native for {kind:?}"
        );
    }
}

/// A bridge cannot be moved by the Linux kernel; its default strategy re-creates it, with the
/// same observable result.
#[test]
fn bridge_moves_by_recreate() {
    let (before, after) = moved_props(KindSpec::Bridge, Strategy::Recreate, "mv-br");
    assert_eq!(before, after);
    // Native is refused before anything changes.
    let a = StackGuard::new("mv-br");
    let s = StackGuard::new("mv-br");
    a.create_interface(&CreateRequest::new(KindSpec::Bridge).named(n("br9")))
        .unwrap();
    let snap = snapshot(a.name());
    let opts = MoveOptions {
        strategy: Some(Strategy::Native),
        ..MoveOptions::default()
    };
    let e = vmove::vmove(&a, "br9", &s, &opts).unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e}");
    assert_same_links(
        a.name(),
        &snap,
        &snapshot(a.name()),
        true,
        &[],
        "refused native bridge move",
    );
    let r = vmove::vmove(&a, "br9", &s, &MoveOptions::default()).unwrap();
    assert_eq!(r.strategy, Some(Strategy::Recreate));
}

#[test]
fn name_taken_in_target_changes_nothing() {
    let a = StackGuard::new("mv-a");
    let s = StackGuard::new("mv-s");
    epair(&a, "clash0", "clash1");
    epair(&s, "clash0", "other1");
    let (sa, ss) = (snapshot(a.name()), snapshot(s.name()));
    let e = vmove::vmove(&a, "clash0", &s, &MoveOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Exists(_)), "{e}");
    assert_msg_has(&e, &["clash0", s.name()]);
    assert_same_links(a.name(), &sa, &snapshot(a.name()), true, &[], "source");
    assert_same_links(s.name(), &ss, &snapshot(s.name()), true, &[], "target");
}

#[test]
fn invalid_targets_are_refused() {
    let a = StackGuard::new("mv-a");
    epair(&a, "inv0", "inv1");
    let sa = snapshot(a.name());
    // The same stack.
    let e = vmove::vmove(&a, "inv0", &a, &MoveOptions::default()).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    // A missing stack.
    let e = Stack::open_name("ifct-no-such-stack").unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e}");
    // A stack removed after it was opened.
    let mut gone = StackGuard::new("mv-gone");
    let held = gone.stack().clone();
    gone.remove().unwrap();
    let e = vmove::vmove(&a, "inv0", &held, &MoveOptions::default()).unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e}");
    // A missing interface and a bad name.
    let s = StackGuard::new("mv-s");
    let e = vmove::vmove(&a, "nosuch0", &s, &MoveOptions::default()).unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e}");
    let e = vmove::vmove(&a, "bad/name", &s, &MoveOptions::default()).unwrap_err();
    assert!(matches!(e, Error::InvalidName(_)), "{e}");
    assert_same_links(
        a.name(),
        &sa,
        &snapshot(a.name()),
        true,
        &[],
        "after refused moves",
    );
}

#[test]
fn reclaim_goes_back_home() {
    let a = StackGuard::new("mv-a");
    let s = StackGuard::new("mv-s");
    epair(&a, "rc0", "rc1");
    configure(&a, "rc0", &mac(4));
    vmove::vmove(&a, "rc0", &s, &MoveOptions::default()).unwrap();
    assert_eq!(s.loans().unwrap().len(), 1);
    let r = vmove::reclaim(&s, "rc0", &MoveOptions::default()).unwrap();
    assert_eq!(r.to, a.name());
    assert_configured(a.name(), "rc0", &mac(4));
    assert!(s.loans().unwrap().is_empty());
}

/// Removing a stack returns its loans (moved in, or created from A straight into it) to their
/// home first; what was created inside is destroyed with it. The stack is removed through a
/// handle opened afresh by name, as another process would.
#[test]
fn removing_a_stack_returns_its_loans() {
    let a = StackGuard::new("mv-a");
    let mut s = StackGuard::new("mv-s");
    epair(&a, "ln0", "ln1");
    configure(&a, "ln0", &mac(5));
    vmove::vmove(&a, "ln0", &s, &MoveOptions::default()).unwrap();
    let placed = a.create_epair_across(Some("lp0a"), &s).unwrap();
    let placed_peer = placed.peer.unwrap().name.to_string();
    epair(&s, "inner0", "inner1");

    let report = Stack::open_name(s.name()).unwrap().remove().unwrap();
    s.forget();
    let mut returned: Vec<String> = report.returned.iter().map(|(n, _)| n.to_string()).collect();
    returned.sort();
    let mut want = vec!["ln0".to_string(), placed_peer.clone()];
    want.sort();
    assert_eq!(returned, want, "{report:?}");
    assert!(report.lost.is_empty(), "{report:?}");
    assert_configured(a.name(), "ln0", &mac(5));
    assert!(observe(a.name(), &placed_peer).is_some());
    assert!(observe(a.name(), "inner0").is_none());
}

/// Many at once, as one transaction, with each strategy: to a stack and back.
#[test]
fn move_many_there_and_back_with_each_strategy() {
    for (label, opts) in [
        ("native", MoveOptions::default()),
        (
            "recreate",
            MoveOptions {
                strategy: Some(Strategy::Recreate),
                ..MoveOptions::default()
            },
        ),
        (
            "fast",
            MoveOptions {
                epair_fast_path: true,
                ..MoveOptions::default()
            },
        ),
    ] {
        let a = StackGuard::new("mv-many");
        let s = StackGuard::new("mv-many");
        let names: Vec<String> = (0..5).map(|i| format!("mm{i}a")).collect();
        for (i, x) in names.iter().enumerate() {
            epair(&a, x, &format!("mm{i}b"));
            a.set_mtu(x, 1400).unwrap();
            a.set_up(&format!("mm{i}b"), true).unwrap();
            a.set_up(x, true).unwrap();
        }
        let list: Vec<&str> = names.iter().map(String::as_str).collect();
        for (from, to, dir) in [(&a, &s, "there"), (&s, &a, "back")] {
            let rs = vmove::vmove_many(from, &list, to, &opts)
                .unwrap_or_else(|e| panic!("{label} {dir}: {e}"));
            assert_eq!(rs.len(), 5);
            for (i, x) in names.iter().enumerate() {
                let p = props(to.name(), x);
                assert_eq!(p.mtu, 1400, "{label} {dir} {x}");
                assert!(p.up, "{label} {dir} {x}");
                assert!(
                    props(a.name(), &format!("mm{i}b")).up,
                    "{label} {dir}: peer down"
                );
                assert!(
                    observe(from.name(), x).is_none(),
                    "{label} {dir}: {x} left behind"
                );
            }
            let leftovers: Vec<String> = os_names(s.name())
                .into_iter()
                .chain(os_names(a.name()))
                .filter(|x| x.starts_with("vm"))
                .collect();
            assert!(
                leftovers.is_empty(),
                "{label} {dir}: temporary names {leftovers:?}"
            );
        }
        a.add_address("mm0a", "10.79.0.1/24".parse().unwrap())
            .unwrap();
        a.add_address("mm1a", "10.79.1.1/24".parse().unwrap())
            .unwrap();
        vmove::vmove(&a, "mm1b", &s, &MoveOptions::default()).unwrap();
        s.add_address("mm1b", "10.79.1.2/24".parse().unwrap())
            .unwrap();
        assert!(
            ping(s.name(), "10.79.1.1"),
            "{label}: no ping across after the round trip"
        );
        assert!(
            s.loans().unwrap().len() == 1,
            "{label}: loans {:?}",
            s.loans().unwrap()
        );
    }
}
