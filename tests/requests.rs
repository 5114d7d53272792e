//! What ifclone asks of the kernel, counted ([`ifclone::kernel_requests`]): a single move costs
//! the same number of requests in a stack of a few interfaces and in one of hundreds (no
//! whole-stack dump), a create is one request plus one lookup per epair end it does not get
//! echoed, an epair re-create costs at most 5 per pair, and a stack is made and removed without
//! any. One test in its own binary: the counter is per process, so nothing may run beside it.
//! Real kernel, as root.

mod common;

use common::*;
use ifclone::vmove::{self, MoveOptions};
use ifclone::{kernel_requests, CreateRequest, IfName, KindSpec, Stack};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

/// The running kernel's (major, minor).
fn kernel_version() -> (u32, u32) {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut v = release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|x| x.parse::<u32>().ok());
    (v.next().unwrap_or(0), v.next().unwrap_or(0))
}

/// Requests `f` sends.
fn count<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = kernel_requests();
    let t = f();
    (t, kernel_requests() - before)
}

/// Moves `x0` there and back between stacks that also hold `extra` other epairs each, and
/// returns the requests of each direction.
fn one_move_each_way(extra: usize) -> (u64, u64) {
    let a = StackGuard::new("rq-a");
    let s = StackGuard::new("rq-s");
    for st in [&*a as &Stack, &*s] {
        let req: Vec<CreateRequest> = (0..extra)
            .map(|i| {
                CreateRequest::new(KindSpec::Epair {
                    peer_name: Some(n(&format!("f{i}b"))),
                })
                .named(n(&format!("f{i}a")))
            })
            .collect();
        for r in &req {
            st.create_interface(r).expect("filler epair");
        }
    }
    epair(&a, "x0", "y0");
    let (r, there) = count(|| vmove::vmove(&a, "x0", &s, &MoveOptions::default()));
    r.expect("move there");
    let (r, back) = count(|| vmove::vmove(&s, "x0", &a, &MoveOptions::default()));
    r.expect("move back");
    (there, back)
}

#[test]
fn requests_do_not_grow_with_the_stacks() {
    require_root();
    // Warm: the first move probes once for what the kernel offers (the vlan kind, cached).
    one_move_each_way(1);
    let small = one_move_each_way(2);
    let big = one_move_each_way(150);
    assert_eq!(
        small, big,
        "a single vmove sent (there, back) = {small:?} requests beside 2 other epairs and \
         {big:?} beside 150: its cost must not depend on what the stacks hold"
    );
    eprintln!("single vmove requests (there, back): {small:?}");
    // Each way: a handful of lookups, the move (whose one lookup after it serves the restore
    // and the verification), the mark.
    assert!(small.0 <= 10 && small.1 <= 10, "{small:?}");

    // Many at once: the stacks are read once for the group; per interface the kernel's move,
    // the lookup of its new index and its mark.
    let a = StackGuard::new("rq-ma");
    let s = StackGuard::new("rq-ms");
    let names: Vec<String> = (0..20).map(|i| format!("m{i}a")).collect();
    for (i, x) in names.iter().enumerate() {
        epair(&a, x, &format!("m{i}b"));
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (r, there) = count(|| vmove::vmove_many(&a, &refs, &s, &MoveOptions::default()));
    r.expect("move many there");
    let (r, back) = count(|| vmove::vmove_many(&s, &refs, &a, &MoveOptions::default()));
    r.expect("move many back");
    eprintln!("vmove_many of 20 requests (there, back): ({there}, {back})");
    for (dir, n) in [("there", there), ("back", back)] {
        assert!(
            n <= 3 * 20 + 8,
            "vmove_many of 20 {dir}: {n} requests (at most 3 per interface and a few per move)"
        );
    }

    // Re-created (Recreate), UP and beside an address: per pair the new pair (one NEWLINK), the
    // old pair into the bulk delete's group, the new peer's rename with its parameters and UP,
    // the mark (there only; back home there is no loan); the stacks are read a few times for
    // the whole group.
    let a = StackGuard::new("rq-ra");
    let s = StackGuard::new("rq-rs");
    let names: Vec<String> = (0..20).map(|i| format!("r{i}a")).collect();
    for (i, x) in names.iter().enumerate() {
        epair(&a, x, &format!("r{i}b"));
        let up = ifclone::Change {
            up: Some(true),
            ..ifclone::Change::default()
        };
        a.set(x, &up).expect("up");
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let opts = MoveOptions {
        strategy: Some(vmove::Strategy::Recreate),
        ..MoveOptions::default()
    };
    let (r, there) = count(|| vmove::vmove_many(&a, &refs, &s, &opts));
    r.expect("re-create many there");
    let (r, back) = count(|| vmove::vmove_many(&s, &refs, &a, &opts));
    r.expect("re-create many back");
    eprintln!("recreate of 20 requests (there, back): ({there}, {back})");
    // Without the NEWLINK echo (before 6.2) each new pair is looked up: two more.
    let per = if kernel_version() >= (6, 2) { 5 } else { 7 };
    for (dir, n) in [("there", there), ("back", back)] {
        assert!(
            n <= per * 20,
            "re-creating 20 epairs {dir}: {n} requests (at most {per} per interface)"
        );
    }
    assert!(
        a.interface("r7a").expect("home again").up,
        "r7a is UP again"
    );

    // A create in the socket's own stack: the NEWLINK (its echo is the first end's record)
    // and one lookup of the peer.
    let g = StackGuard::new("rq-c");
    let req = CreateRequest::new(KindSpec::Epair {
        peer_name: Some(n("cb0")),
    })
    .named(n("ca0"));
    let (made, c) = count(|| g.create_interface(&req));
    let made = made.expect("create");
    assert_eq!(made.iface.name, n("ca0"));
    assert_eq!(made.peer.expect("peer").name, n("cb0"));
    eprintln!("epair create requests: {c}");
    // The kernel echoes an NLM_F_ECHO NEWLINK from Linux 6.2 on; before, the first end is one
    // more lookup.
    let (major, minor) = kernel_version();
    let most = if (major, minor) >= (6, 2) { 2 } else { 3 };
    assert!(
        c <= most,
        "an epair create sent {c} requests (at most {most} on Linux {major}.{minor})"
    );

    // A stack made, opened again by name and removed with nothing lent to it: no request at
    // all (no netlink socket is opened in it), like `ip netns add` / `ip netns del`.
    let mut g = StackGuard::new("rq-e");
    let ((), c) = count(|| {
        let again = Stack::open_name(g.name()).expect("open by name");
        again.remove().expect("remove an empty stack");
        g.forget();
    });
    assert_eq!(c, 0, "removing an empty stack sent {c} requests");
    let (mut made, c) = count(|| StackGuard::new("rq-f"));
    assert_eq!(c, 0, "creating a stack sent {c} requests");
    made.remove().expect("remove the made stack");
}
