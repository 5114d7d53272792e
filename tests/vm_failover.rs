//! Failover groups on the real kernel: Linux bonding (the development host has no bonding
//! module, so every test here is ignored by default and CI runs it in the qemu guest,
//! `ci/test-vm.sh`). The group's two ports are veth ends whose peers sit in a bridge in another
//! stack; traffic is checked with `ping`, the active port with `ip -d -j link` (not ifclone).

// Linux bonding, observed with `ip`; FreeBSD's lagg failover shares the framework and is only
// type-checked (its backend tests do not cover it yet).
#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, Instant};

use common::*;
use ifclone::failover::{FailoverGroup, GroupSpec};
use ifclone::watch::Watcher;
use ifclone::{CreateRequest, IfAddr, IfName, KindSpec, Stack};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

fn addr(s: &str) -> IfAddr {
    let (a, p) = s.split_once('/').unwrap();
    IfAddr {
        addr: a.parse().unwrap(),
        prefix_len: p.parse().unwrap(),
    }
}

/// Stack `g` with veth ends `pa`, `pb` whose peers `na`, `nb` are ports of the bridge `br0`
/// (10.77.0.2/24, up) in stack `net`.
fn wire(g: &Stack, net: &Stack) {
    for (here, there) in [("pa", "na"), ("pb", "nb")] {
        let req = CreateRequest::new(KindSpec::Epair {
            peer_name: Some(n(there)),
        })
        .named(n(here));
        g.create_placed(&req, None, Some(net))
            .unwrap_or_else(|e| panic!("epair {here}/{there}: {e}"));
    }
    let mut br = CreateRequest::new(KindSpec::Bridge).named(n("br0"));
    br.up = true;
    net.create_interface(&br).expect("bridge");
    for p in ["na", "nb"] {
        net.add_port("br0", p).expect("bridge port");
        net.set_up(p, true).expect("up");
    }
    net.add_address("br0", addr("10.77.0.2/24"))
        .expect("address");
}

fn pings(stack: &str) -> bool {
    exec_in(stack, &["ping", "-c", "1", "-W", "2", "10.77.0.2"])
        .status
        .success()
}

/// The active port as `ip` reports it (`info_data.active_slave`).
fn os_active(stack: &str, bond: &str) -> Option<String> {
    ip_link(stack, bond)?["linkinfo"]["info_data"]["active_slave"]
        .as_str()
        .map(String::from)
}

#[test]
#[ignore = "needs bonding: run in the VM by ci/test-vm.sh"]
fn failover_when_the_active_port_goes_down_and_back_by_set_active() {
    require_root();
    let (g, net) = (StackGuard::new("fo-group"), StackGuard::new("fo-net"));
    wire(g.stack(), net.stack());
    let mut w = Watcher::new(&[g.stack()]).expect("watch");
    // Both ports are up before they join: ifclone takes them down for the bonding driver.
    g.set_up("pa", true).unwrap();
    g.set_up("pb", true).unwrap();
    let group = FailoverGroup::create(g.stack(), &GroupSpec::new(n("bo0"), n("pa"), &[n("pb")]))
        .expect("create the group");
    g.add_address("bo0", addr("10.77.0.1/24")).expect("address");
    let ports: Vec<String> = group
        .ports()
        .unwrap()
        .iter()
        .map(|p| p.name.to_string())
        .collect();
    assert_eq!(ports, ["pa", "pb"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while group
        .active()
        .unwrap()
        .map(|p| p.name.to_string())
        .as_deref()
        != Some("pa")
    {
        assert!(Instant::now() < deadline, "pa never became active");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(os_active(g.name(), "bo0").as_deref(), Some("pa"));
    assert_eq!(group.primary().unwrap().unwrap().name, "pa");
    assert!(pings(g.name()), "no traffic through the bond");

    // The active port goes down: the kernel fails over to pb, the watcher says so.
    let pb = g.interface("pb").unwrap().index;
    for e in w.events(Duration::from_millis(200)) {
        e.unwrap();
    }
    g.set_up("pa", false).unwrap();
    let t0 = Instant::now();
    let mut seen = None;
    while seen.is_none() && t0.elapsed() < Duration::from_secs(10) {
        if let Some(e) = w.next(Some(Duration::from_millis(500))).unwrap() {
            seen = group.failover_in(&e).filter(|f| f.active == Some(pb));
        }
    }
    assert!(seen.is_some(), "no failover to pb seen by the watcher");
    assert_eq!(os_active(g.name(), "bo0").as_deref(), Some("pb"));
    assert!(pings(g.name()), "no traffic after the failover");

    // Back: pa up, and made active by hand.
    g.set_up("pa", true).unwrap();
    group.set_active("pa").expect("set active");
    let deadline = Instant::now() + Duration::from_secs(10);
    while os_active(g.name(), "bo0").as_deref() != Some("pa") {
        assert!(Instant::now() < deadline, "pa did not become active again");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(group.active().unwrap().unwrap().name, "pa");
    assert!(pings(g.name()), "no traffic after set_active");
    // Something that is not a port is refused before anything changes.
    let e = group.set_active("lo").unwrap_err();
    assert_eq!(variant(&e), "InvalidArgument", "{e}");
}

#[test]
#[ignore = "needs bonding: run in the VM by ci/test-vm.sh"]
fn a_failed_group_creation_leaves_nothing() {
    require_root();
    let (g, net) = (StackGuard::new("fo-fail"), StackGuard::new("fo-fail-net"));
    wire(g.stack(), net.stack());
    let before = snapshot(g.name());
    // A port given twice, a port that does not exist, a port already in a bridge.
    for (primary, standby) in [("pa", "pa"), ("pa", "nope0")] {
        let e = FailoverGroup::create(
            g.stack(),
            &GroupSpec::new(n("bo1"), n(primary), &[n(standby)]),
        );
        assert!(e.is_err(), "{primary}/{standby} accepted");
        assert_eq!(
            snapshot(g.name()),
            before,
            "{primary}/{standby} changed something"
        );
    }
    // Refused by the kernel half-way (a port that cannot be enslaved: the loopback): undone.
    let e = FailoverGroup::create(g.stack(), &GroupSpec::new(n("bo1"), n("pa"), &[n("lo")]));
    assert!(e.is_err(), "lo accepted as a bond port");
    assert!(
        ip_link(g.name(), "bo1").is_none(),
        "the master was left behind"
    );
    assert!(
        ip_link(g.name(), "pa").unwrap()["master"].is_null(),
        "pa was left in a destroyed bond"
    );
}

/// Members named after the group at creation (they are up: renamed down–rename–up on a kernel
/// that refuses renaming an UP device), a standby added later named the same way, and an UP,
/// enslaved member renamed: each stays a port and up, and traffic goes on.
#[test]
#[ignore = "needs bonding: run in the VM by ci/test-vm.sh"]
fn members_named_after_the_group_and_renamed_while_up() {
    use ifclone::failover::Naming;
    require_root();
    let (g, net) = (StackGuard::new("fo-names"), StackGuard::new("fo-names-net"));
    wire(g.stack(), net.stack());
    g.set_up("pa", true).unwrap();
    g.set_up("pb", true).unwrap();
    let mut spec = GroupSpec::new(n("bo0"), n("pa"), &[]);
    spec.naming = Naming::AfterMaster;
    let group = FailoverGroup::create(g.stack(), &spec).expect("create");
    assert!(ip_link(g.name(), "pa").is_none());
    assert_eq!(ip_link(g.name(), "bo0npri").unwrap()["master"], "bo0");
    let name = group
        .add_standby("pb", Naming::AfterMaster)
        .expect("add standby");
    assert_eq!(name, "bo0nsby");
    assert_eq!(ip_link(g.name(), "bo0nsby").unwrap()["master"], "bo0");
    g.add_address("bo0", addr("10.77.0.1/24")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pings(g.name()) {
        assert!(
            Instant::now() < deadline,
            "no traffic through the named group"
        );
    }
    // Rename the standby while it is up and enslaved.
    g.rename_live("bo0nsby", "bo0spare")
        .expect("rename an UP member");
    let v = ip_link(g.name(), "bo0spare").expect("renamed");
    assert_eq!(v["master"], "bo0");
    assert!(
        v["flags"].as_array().unwrap().iter().any(|f| f == "UP"),
        "{v}"
    );
    assert!(pings(g.name()), "no traffic after the rename");
}
