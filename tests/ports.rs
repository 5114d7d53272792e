//! Ports of bridges (and laggs, in the VM): join, list, leave, refusals, and what a move does to
//! a port — the kernel detaches it; a move that fails gives it back to its master. Root, real
//! kernel; every test makes its own `ifct-…` stacks.

mod common;

use common::moves::Faulty;
use common::*;
use ifclone::ledger::Ledger;
use ifclone::vmove::{vmove_with, MoveOptions};
use ifclone::{CreateRequest, IfName, KindSpec};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

/// The master of `ifname` in `stack` as `ip` reports it.
#[cfg(target_os = "linux")]
fn os_master(stack: &str, ifname: &str) -> Option<String> {
    ip_link(stack, ifname).and_then(|v| v["master"].as_str().map(String::from))
}

/// The bridge/lagg whose `ifconfig` block lists `ifname` as a `member:` / `laggport:`.
#[cfg(target_os = "freebsd")]
fn os_master(stack: &str, ifname: &str) -> Option<String> {
    let out = String::from_utf8_lossy(&ifconfig_in(stack, &["-a"]).stdout).into_owned();
    let mut current = None;
    for line in out.lines() {
        if !line.starts_with(['\t', ' ']) {
            current = line.split(':').next().map(String::from);
        } else {
            let l = line.trim_start();
            for tag in ["member: ", "laggport: "] {
                if l.strip_prefix(tag)
                    .and_then(|r| r.split_whitespace().next())
                    == Some(ifname)
                {
                    return current.clone();
                }
            }
        }
    }
    None
}

fn bridge_and_epair(g: &StackGuard) {
    g.create_interface(&CreateRequest::new(KindSpec::Bridge).named(n("br0")))
        .expect("bridge");
    g.create_interface(
        &CreateRequest::new(KindSpec::Epair {
            peer_name: Some(n("pb0")),
        })
        .named(n("pa0")),
    )
    .expect("epair");
}

#[test]
fn a_port_joins_is_listed_and_leaves() {
    let g = StackGuard::new("ports");
    bridge_and_epair(&g);
    g.add_port("br0", "pa0").expect("add port");
    assert_eq!(os_master(g.name(), "pa0").as_deref(), Some("br0"));
    let br = g.interface("br0").unwrap();
    assert_eq!(g.interface("pa0").unwrap().master, Some(br.index));
    let ports: Vec<String> = g
        .ports("br0")
        .unwrap()
        .into_iter()
        .map(|i| i.name.to_string())
        .collect();
    assert_eq!(ports, ["pa0"]);
    // Joining again changes nothing.
    g.add_port("br0", "pa0").expect("add port again");
    g.del_port("br0", "pa0").expect("remove port");
    assert_eq!(os_master(g.name(), "pa0"), None);
    assert!(g.ports("br0").unwrap().is_empty());
}

#[test]
fn bad_port_requests_are_refused_before_anything_changes() {
    let g = StackGuard::new("ports-bad");
    bridge_and_epair(&g);
    let before = snapshot(g.name());
    let e = expect_err(
        g.add_port("pb0", "pa0"),
        "InvalidArgument",
        "a veth as master",
    );
    assert_msg_has(&e, &["pb0", "has no ports"]);
    expect_err(
        g.add_port("br0", "br0"),
        "InvalidArgument",
        "a bridge in itself",
    );
    expect_err(g.add_port("br0", "nosuch0"), "NotFound", "an unknown port");
    expect_err(
        g.add_port("nosuch0", "pa0"),
        "NotFound",
        "an unknown master",
    );
    expect_err(g.del_port("br0", "pa0"), "InvalidArgument", "not a port");
    expect_err(g.add_port("br0", "a/b"), "InvalidName", "a bad name");
    assert_eq!(
        snapshot(g.name()),
        before,
        "a refused request changed the stack"
    );
}

#[test]
fn a_moved_port_leaves_its_bridge_and_a_failed_move_gives_it_back() {
    let a = StackGuard::new("port-mv-a");
    let b = StackGuard::new("port-mv-b");
    bridge_and_epair(&a);
    a.add_port("br0", "pa0").expect("add port");

    // Every mutating step of the move fails once in turn: the port is back in br0 each time.
    let mut n_ok = None;
    for fail_at in 1..=12 {
        let faulty = Faulty::failing_at(fail_at);
        let r = vmove_with(
            &faulty,
            &Ledger::system(),
            a.handle(),
            &[(n("pa0"), None)],
            b.handle(),
            &MoveOptions::default(),
        );
        match r {
            Err(e) => {
                assert_eq!(
                    os_master(a.name(), "pa0").as_deref(),
                    Some("br0"),
                    "after the move failed at call {fail_at} ({e}), pa0 is not in br0"
                );
            }
            Ok(rc) => {
                n_ok = Some(fail_at);
                // It moved: the kernel detached it, and the receipt says so.
                assert!(
                    rc[0].not_carried.iter().any(|s| s.contains("br0")),
                    "{:?}",
                    rc[0].not_carried
                );
                assert_eq!(os_master(b.name(), "pa0"), None);
                break;
            }
        }
    }
    // At least one failure came after the kernel had moved it (the move is the first or
    // second mutating call), so an undo had to bring it back into br0.
    let n_ok = n_ok.expect("the move never succeeded");
    assert!(
        n_ok >= 3,
        "the move succeeded at call {n_ok}: no failure came after the move"
    );
}

#[test]
fn ifc_addm_and_deletem_with_freebsd_syntax() {
    let g = StackGuard::new("ports-ifc");
    bridge_and_epair(&g);
    let ifc = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ifc"))
            .args(["-j", g.name()])
            .args(args)
            .output()
            .expect("run ifc");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = ifc(&["br0", "addm", "pa0"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(os_master(g.name(), "pa0").as_deref(), Some("br0"));
    let (_, shown, _) = ifc(&["br0"]);
    assert!(shown.contains("\tmember: pa0\n"), "{shown}");
    // A veth has no ports: refused, exit 1, one line.
    let (code, _, err) = ifc(&["pb0", "addm", "pa0"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("has no ports"), "{err}");
    let (code, _, err) = ifc(&["br0", "deletem", "pa0"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(os_master(g.name(), "pa0"), None);
}
