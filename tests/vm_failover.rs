//! Failover groups on the real kernel: Linux bonding (the development host has no bonding
//! module, so every test here is ignored by default and CI runs it in the qemu guest,
//! `ci/test-vm.sh`). The group's two ports are veth ends whose peers sit in a bridge in another
//! stack; traffic is checked with `ping`, the active port with `ip -d -j link` (not ifclone).

// Linux bonding, observed with `ip`; FreeBSD's lagg failover shares the framework and is only
// type-checked (its backend tests do not cover it yet).
#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, Instant};

use common::moves::addrs;
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

/// What a failover group looks like in `stack`, from `ip`: each interface's name, kind, MAC,
/// MTU, UP flag and master, and for a bond its mode, active and primary port. Indexes are left
/// out: a rolled-back re-create gives the master a new one.
fn group_state(stack: &str) -> Vec<String> {
    let mut v: Vec<String> = ip_links(stack)
        .iter()
        .map(|l| {
            let up = l["flags"].as_array().unwrap().iter().any(|f| f == "UP");
            let info = &l["linkinfo"]["info_data"];
            format!(
                "{} kind={} mac={} mtu={} up={up} master={} mode={} active={} primary={}",
                l["ifname"].as_str().unwrap(),
                l["linkinfo"]["info_kind"],
                l["address"],
                l["mtu"],
                l["master"],
                info["mode"],
                info["active_slave"],
                info["primary"],
            )
        })
        .collect();
    v.sort();
    v
}

/// The group of the first test, made in `g` over `pa` (primary) and `pb`, with an address,
/// and traffic through it.
fn make_group(g: &Stack) {
    g.set_up("pa", true).unwrap();
    g.set_up("pb", true).unwrap();
    FailoverGroup::create(g, &GroupSpec::new(n("bo0"), n("pa"), &[n("pb")])).expect("group");
    g.add_address("bo0", addr("10.77.0.1/24")).unwrap();
    wait_active(g.name(), "pa");
}

#[track_caller]
fn wait_active(stack: &str, port: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while os_active(stack, "bo0").as_deref() != Some(port) {
        assert!(
            Instant::now() < deadline,
            "{port} never became active in {stack}: {:?}",
            group_state(stack)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[track_caller]
fn wait_pings(stack: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pings(stack) {
        assert!(
            Instant::now() < deadline,
            "no traffic through the group in {stack}: {:?}",
            group_state(stack)
        );
    }
}

/// A group moves as one: the master re-created in the target with its parameters, both ports
/// moved (their peers stay in the bridge's stack) and joined again, the primary active, the
/// address carried, traffic through it; then back, after a failover in the target, with the
/// standby still active and the primary still preferred.
#[test]
#[ignore = "needs bonding: run in the VM by ci/test-vm.sh"]
fn a_group_moves_as_one_and_back_with_traffic() {
    use ifclone::vmove::{vmove, MoveOptions};
    require_root();
    let (g, h, net) = (
        StackGuard::new("fo-mv-g"),
        StackGuard::new("fo-mv-h"),
        StackGuard::new("fo-mv-net"),
    );
    wire(g.stack(), net.stack());
    make_group(g.stack());
    wait_pings(g.name());
    let before = group_state(g.name());
    let carry = MoveOptions {
        carry_addresses: true,
        ..MoveOptions::default()
    };

    let r = vmove(g.stack(), "bo0", h.stack(), &carry).expect("move the group");
    let ports: Vec<String> = r.ports.iter().map(|p| p.to_string()).collect();
    assert_eq!(ports, ["pa", "pb"], "{r}");
    assert!(
        !r.not_carried.iter().any(|x| x.contains("port")),
        "ports reported as not carried: {r}"
    );
    assert_eq!(group_state(h.name()), before, "the group in the target");
    assert_eq!(os_names(g.name()), ["lo"], "left in the source");
    assert_eq!(addrs(h.name(), "bo0"), ["10.77.0.1/24"]);
    wait_pings(h.name());
    // The loans: each member goes home with the stack's removal.
    let mut loans: Vec<String> = h.loans().unwrap().iter().map(|l| l.0.to_string()).collect();
    loans.sort();
    assert_eq!(loans, ["bo0", "pa", "pb"]);

    // A failover in the target: pa's wire goes down, pb carries the traffic.
    net.set_up("na", false).unwrap();
    wait_active(h.name(), "pb");
    wait_pings(h.name());
    let failed_over = group_state(h.name());

    let r = vmove(h.stack(), "bo0", g.stack(), &carry).expect("move the group back");
    assert_eq!(r.ports.len(), 2, "{r}");
    assert_eq!(group_state(g.name()), failed_over, "back in the source");
    assert_eq!(os_names(h.name()), ["lo"]);
    assert!(g.loans().unwrap().is_empty(), "it came home: no loan");
    wait_pings(g.name());
    // pa's wire back: the group returns to its primary by itself.
    net.set_up("na", true).unwrap();
    wait_active(g.name(), "pa");
    wait_pings(g.name());
}

/// The group move is one transaction: a failure at every mutating call of it (leave, move,
/// create, destroy, join, set primary…) is undone — the master, its ports, which port is
/// active, the MACs and the address are as before in the source, nothing is left in the
/// target, and no loan is recorded.
#[test]
#[ignore = "needs bonding: run in the VM by ci/test-vm.sh"]
fn a_group_move_rolls_back_at_every_step() {
    use ifclone::ledger::Ledger;
    use ifclone::testing::Faulty;
    use ifclone::vmove::{vmove_with, MoveOptions};
    require_root();
    let ledger = Ledger::system();
    let opts = MoveOptions {
        carry_addresses: true,
        ..MoveOptions::default()
    };
    for fail_at in 1.. {
        assert!(fail_at < 80, "the group move never succeeded");
        let (a, s, net) = (
            StackGuard::new("fo-flt-a"),
            StackGuard::new("fo-flt-s"),
            StackGuard::new("fo-flt-net"),
        );
        wire(a.stack(), net.stack());
        make_group(a.stack());
        let before = group_state(a.name());
        let faulty = Faulty::failing_at(fail_at);
        let r = vmove_with(
            &faulty,
            &ledger,
            a.handle(),
            &[(n("bo0"), None)],
            s.handle(),
            &opts,
        );
        match r {
            Ok(rs) => {
                assert!(fail_at > 5, "too few mutating steps: {fail_at}");
                assert_eq!(rs.len(), 1);
                assert_eq!(rs[0].ports.len(), 2);
                wait_pings(s.name());
                eprintln!(
                    "group move: {} mutating steps, each failure rolled back",
                    fail_at - 1
                );
                return;
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.contains("injected failure"), "step {fail_at}: {msg}");
                assert!(
                    !msg.contains("ROLLBACK INCOMPLETE"),
                    "step {fail_at}: {msg}"
                );
                // The active port may take the link monitor's next check to be the primary
                // again after the ports re-joined.
                wait_active(a.name(), "pa");
                assert_eq!(
                    group_state(a.name()),
                    before,
                    "failure at mutating call {fail_at} was not rolled back: {msg}"
                );
                assert_eq!(addrs(a.name(), "bo0"), ["10.77.0.1/24"], "call {fail_at}");
                assert_eq!(os_names(s.name()), ["lo"], "target after call {fail_at}");
                assert!(s.loans().unwrap().is_empty(), "loan after call {fail_at}");
                wait_pings(a.name());
            }
        }
    }
}

/// Removing the stack a group was moved into sends the group home whole: the master first,
/// taking its ports along, so they are its ports again at home.
#[test]
#[ignore = "needs bonding: run in the VM by ci/test-vm.sh"]
fn removing_the_target_sends_the_group_home_whole() {
    use ifclone::vmove::{vmove, MoveOptions};
    require_root();
    let (g, net) = (StackGuard::new("fo-rm-g"), StackGuard::new("fo-rm-net"));
    let mut t = StackGuard::new("fo-rm-t");
    wire(g.stack(), net.stack());
    make_group(g.stack());
    let before = group_state(g.name());
    vmove(g.stack(), "bo0", t.stack(), &MoveOptions::default()).expect("move the group");
    let report = t.remove().expect("remove the target");
    let mut back: Vec<String> = report.returned.iter().map(|(n, _)| n.to_string()).collect();
    back.sort();
    assert_eq!(back, ["bo0", "pa", "pb"], "{report:?}");
    wait_active(g.name(), "pa");
    assert_eq!(group_state(g.name()), before);
}

/// The kernel's own failover (net_failover): the VM suite boots its guest with a virtio-net NIC
/// offered with `failover=on` (`ci/run-in-vm.sh`), which the guest kernel makes a master and
/// its standby port (phys_port_name "sby"). ifclone recognises the pair from one listing, as
/// `ip` shows it, and renames the standby while it is UP — natively: the kernel allows it for
/// failover slaves, which it opens itself.
#[test]
#[ignore = "needs a net_failover NIC: the VM suite's guest has one (ci/run-in-vm.sh)"]
fn the_kernels_net_failover_is_recognised() {
    use ifclone::failover::kernel_failovers;
    require_root();
    let host = Stack::host().unwrap();
    let found = kernel_failovers(&host).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let master = found[0].master.name.to_string();
    let standby = found[0].standby.as_ref().unwrap().name.to_string();
    assert!(found[0].primary.is_none(), "no VF in the guest: {found:?}");
    let v = ip_link("host", &standby).expect("the standby, by ip");
    assert_eq!(v["master"], master.as_str(), "{v}");
    assert_eq!(v["phys_port_name"], "sby", "{v}");
    assert_eq!(
        v["parentdev"],
        ip_link("host", &master).unwrap()["parentdev"],
        "one device"
    );
    // The master up opens its standby; the standby is then renamed while UP, in one request.
    host.set_up(&master, true).unwrap();
    let is_up = |n: &str| {
        ip_link("host", n).is_some_and(|v| v["flags"].as_array().unwrap().iter().any(|f| f == "UP"))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !is_up(&standby) {
        assert!(Instant::now() < deadline, "the standby never came up");
        std::thread::sleep(Duration::from_millis(100));
    }
    let to = format!("{master}nsby");
    host.rename(&standby, &to)
        .expect("the kernel renames an UP failover slave");
    assert!(is_up(&to), "renamed, and still UP");
    assert_eq!(ip_link("host", &to).unwrap()["master"], master.as_str());
    let again = kernel_failovers(&host).unwrap();
    assert_eq!(again[0].standby.as_ref().unwrap().name, to.as_str());
    host.rename(&to, &standby).unwrap();
    host.set_up(&master, false).unwrap();
}
