//! A [`Host`] is a value: the OS backend with a state directory of its own. Its stacks record
//! their loans there, not in the system state; stacks of hosts with different state cannot
//! take part in one move. Root, real kernel; every test makes its own `ifct-…` stacks and state
//! directory.

mod common;

use common::*;
use ifclone::vmove::{self, MoveOptions};
use ifclone::{Host, StackSel};

/// A fresh state directory under the system temp dir, removed at the end.
struct StateDir(std::path::PathBuf);

impl StateDir {
    fn new(tag: &str) -> StateDir {
        let d = std::env::temp_dir().join(unique_stack_name(tag));
        std::fs::create_dir_all(&d).expect("state dir");
        StateDir(d)
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_host_with_its_own_state_dir_keeps_its_loans_there() {
    let dir = StateDir::new("hstate");
    let host = Host::with_state_dir(&dir.0);
    assert_eq!(host.state_dir(), dir.0.as_path());
    let a = StackGuard::new("host-a");
    let b = StackGuard::new("host-b");
    let a2 = host.open(StackSel::Name(a.name().into())).expect("open a");
    let b2 = host.open(StackSel::Name(b.name().into())).expect("open b");
    assert_eq!(a2.host_of().state_dir(), dir.0.as_path());

    let made = a2.create_epair_across(None, &b2).expect("epair across");
    let peer = made.peer.expect("peer").name;
    // The loan is in this host's ledger, not in the system one.
    let here = b2.loans().expect("loans");
    assert!(here.iter().any(|(n, _, _)| *n == peer), "{here:?}");
    assert!(
        b.stack().loans().expect("system loans").is_empty(),
        "the system ledger recorded a loan of another host's stack"
    );
    assert!(
        std::fs::read_dir(dir.0.join("loans"))
            .map(|d| d.count() > 0)
            .unwrap_or(false),
        "no ledger file under {}",
        dir.0.display()
    );

    // Removing b through this host sends the peer home to a.
    let report = b2.remove().expect("remove b");
    assert!(
        report.returned.iter().any(|(n, _)| *n == peer),
        "{report:?}"
    );
    assert!(os_names(a.name()).iter().any(|n| n == peer.as_str()));
}

#[test]
fn a_move_between_hosts_with_different_state_is_refused_before_anything_changes() {
    let d1 = StateDir::new("hs1");
    let d2 = StateDir::new("hs2");
    let a = StackGuard::new("hx-a");
    let b = StackGuard::new("hx-b");
    let a1 = Host::with_state_dir(&d1.0)
        .open(StackSel::Name(a.name().into()))
        .expect("open a");
    let b2 = Host::with_state_dir(&d2.0)
        .open(StackSel::Name(b.name().into()))
        .expect("open b");
    let made = a1.create_epair_across(None, &a1).expect("epair");
    let before_a = snapshot(a.name());
    let before_b = snapshot(b.name());
    let e = expect_err(
        vmove::vmove(&a1, made.iface.name.as_str(), &b2, &MoveOptions::default()),
        "InvalidArgument",
        "a move across state directories",
    );
    assert_msg_has(&e, &["different directories"]);
    assert_eq!(snapshot(a.name()), before_a, "the source changed");
    assert_eq!(snapshot(b.name()), before_b, "the target changed");
}
