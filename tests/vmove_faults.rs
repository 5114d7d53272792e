//! A move is transactional. A backend wrapper fails its N-th mutating call, for every N of every
//! strategy, until the move succeeds; after each failure the interface must be back in its source
//! stack with its saved parameters (and addresses), and nothing the move created may be left in
//! the target. Real kernel, as root.

mod common;

use common::moves::*;
use common::*;
use ifclone::ledger::Ledger;
use ifclone::vmove::{vmove_with, MoveOptions, Strategy};
use ifclone::{CreateRequest, IfName, KindSpec, MacvlanMode, Stack};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

fn setup_epair(a: &Stack) -> (Vec<&'static str>, Vec<&'static str>) {
    let req = CreateRequest::new(KindSpec::Epair {
        peer_name: Some(n("fb0")),
    })
    .named(n("fa0"));
    a.create_interface(&req).unwrap();
    configure(a, "fa0", &mac(0x21));
    configure(a, "fb0", &mac(0x22));
    a.add_address("fa0", "10.81.0.1/24".parse().unwrap())
        .unwrap();
    a.add_address("fb0", "10.81.0.2/24".parse().unwrap())
        .unwrap();
    (vec!["fa0"], vec!["fa0", "fb0"])
}

fn setup_two_epairs(a: &Stack) -> (Vec<&'static str>, Vec<&'static str>) {
    for (x, y) in [("fa0", "fb0"), ("fa1", "fb1")] {
        let req = CreateRequest::new(KindSpec::Epair {
            peer_name: Some(n(y)),
        })
        .named(n(x));
        a.create_interface(&req).unwrap();
        configure(a, x, &mac(if x == "fa0" { 0x31 } else { 0x32 }));
        a.set_up(y, true).unwrap();
    }
    a.add_address("fb1", "10.82.0.2/24".parse().unwrap())
        .unwrap();
    (vec!["fa0", "fa1"], vec!["fa0", "fb0", "fa1", "fb1"])
}

fn setup_bridge(a: &Stack) -> (Vec<&'static str>, Vec<&'static str>) {
    a.create_interface(&CreateRequest::new(KindSpec::Bridge).named(n("fbr0")))
        .unwrap();
    configure(a, "fbr0", &mac(0x41));
    a.add_address("fbr0", "10.83.0.1/24".parse().unwrap())
        .unwrap();
    (vec!["fbr0"], vec!["fbr0"])
}

fn setup_tap(a: &Stack) -> (Vec<&'static str>, Vec<&'static str>) {
    a.create_interface(&CreateRequest::new(KindSpec::Tap { queues: 1 }).named(n("ftap0")))
        .unwrap();
    configure(a, "ftap0", &mac(0x51));
    (vec!["ftap0"], vec!["ftap0"])
}

fn setup_macvlan(a: &Stack) -> (Vec<&'static str>, Vec<&'static str>) {
    let req = CreateRequest::new(KindSpec::Epair {
        peer_name: Some(n("fp1")),
    })
    .named(n("fp0"));
    a.create_interface(&req).unwrap();
    a.set_up("fp0", true).unwrap();
    let req = CreateRequest::new(KindSpec::Macvlan {
        parent: n("fp0"),
        mode: MacvlanMode::Bridge,
    })
    .named(n("fmv0"));
    a.create_interface(&req).unwrap();
    configure(a, "fmv0", &mac(0x61));
    a.add_address("fmv0", "10.84.0.1/24".parse().unwrap())
        .unwrap();
    (vec!["fmv0"], vec!["fmv0", "fp0"])
}

#[test]
fn native_epair_rolls_back_at_every_step() {
    let opts = MoveOptions {
        carry_addresses: true,
        ..MoveOptions::default()
    };
    every_step("native epair", setup_epair, opts);
}

#[test]
fn native_many_rolls_back_at_every_step() {
    every_step("native many", setup_two_epairs, MoveOptions::default());
}

#[test]
fn recreate_bridge_rolls_back_at_every_step() {
    let opts = MoveOptions {
        carry_addresses: true,
        ..MoveOptions::default()
    };
    every_step("recreate bridge", setup_bridge, opts);
}

#[test]
fn recreate_tap_rolls_back_at_every_step() {
    let opts = MoveOptions {
        strategy: Some(Strategy::Recreate),
        ..MoveOptions::default()
    };
    every_step("recreate tap", setup_tap, opts);
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "a Linux kind: FreeBSD has no macvlan, macvtap or vxlan(4) support in ifclone"
)]
fn recreate_macvlan_rolls_back_at_every_step() {
    let opts = MoveOptions {
        strategy: Some(Strategy::Recreate),
        carry_addresses: true,
        ..MoveOptions::default()
    };
    every_step("recreate macvlan", setup_macvlan, opts);
}

/// The way back: the peers are in the target stack.
#[test]
fn epair_fast_path_back_rolls_back_at_every_step() {
    let opts = MoveOptions {
        epair_fast_path: true,
        ..MoveOptions::default()
    };
    let sc = Scenario {
        setup: setup_two_epairs,
        back: true,
    };
    run_every_step("epair fast path back", sc, opts);
}

#[test]
fn epair_fast_path_rolls_back_at_every_step() {
    let opts = MoveOptions {
        epair_fast_path: true,
        ..MoveOptions::default()
    };
    every_step("epair fast path", setup_two_epairs, opts);
}

/// The real kernel: the target stack is removed (unmounted) right after the kernel moved the
/// interface. Verification notices, and the interface comes back with its parameters.
#[test]
fn target_removed_during_the_move() {
    let a = StackGuard::new("flt-a");
    let mut s = StackGuard::new("flt-gone");
    let (moving, watched) = setup_epair(&a);
    let before = state(a.name(), &watched);
    let target = s.name().to_string();
    let faulty = Faulty {
        after: Some((1, Box::new(move || os_remove_stack(&target)))),
        ..Faulty::failing_at(0)
    };
    let moves = [(n(moving[0]), None)];
    let e = vmove_with(
        &faulty,
        &Ledger::system(),
        a.handle(),
        &moves,
        s.handle(),
        &MoveOptions::default(),
    )
    .unwrap_err();
    s.forget();
    assert!(e.to_string().contains("removed during the move"), "{e}");
    assert!(!e.to_string().contains("ROLLBACK INCOMPLETE"), "{e}");
    // Addresses are restored too; compare everything.
    assert_eq!(state(a.name(), &watched), before);
}
