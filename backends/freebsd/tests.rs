//! Backend tests against the real FreeBSD kernel (run by the Cirrus FreeBSD job as root; they
//! skip themselves when not root or when a cloner module is missing). Every test creates its
//! own uniquely named jails and interfaces (pid + counter) and removes them through drop guards,
//! even on failure.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::{SysStack, System};
use crate::backend::prelude::*;
use crate::model::*;

static N: AtomicU32 = AtomicU32::new(0);

fn uniq(prefix: &str) -> String {
    format!(
        "{prefix}{}x{}",
        std::process::id() % 100_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn name(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

fn ready(sys: &System, kinds: &[KindName]) -> Option<Arc<SysStack>> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: needs root");
        return None;
    }
    let host = sys.open_stack(&StackSel::Host).unwrap();
    let have = sys.cloners(&host).unwrap();
    for k in kinds {
        if !have.contains(k) {
            eprintln!("skipped: no {k} cloner (kldload the module)");
            return None;
        }
    }
    Some(host)
}

/// Removes a jail on drop.
struct JailGuard<'a>(&'a System, Arc<SysStack>);
impl Drop for JailGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.remove_stack(&self.1);
    }
}

/// Destroys an interface on drop, wherever it ended up.
struct IfGuard<'a>(&'a System, Vec<Arc<SysStack>>, IfName);
impl Drop for IfGuard<'_> {
    fn drop(&mut self) {
        for s in &self.1 {
            if self.0.destroy(s, IfSel::Name(self.2)).is_ok() {
                return;
            }
        }
    }
}

fn names_in(sys: &System, s: &SysStack) -> Vec<String> {
    sys.list(s)
        .unwrap()
        .into_iter()
        .map(|i| i.name.to_string())
        .collect()
}

/// An epair in the host, auto-named (`epairNa` / `epairNb`).
fn host_epair(sys: &System, host: &SysStack) -> crate::Created {
    sys.create(
        host,
        &CreateRequest::new(KindSpec::Epair { peer_name: None }),
        Placement::default(),
    )
    .unwrap()
}

#[test]
fn jail_lifecycle() {
    let sys = System::new();
    let Some(_host) = ready(&sys, &[]) else {
        return;
    };
    let jname = uniq("ifct");
    let j = sys.create_stack(&jname).unwrap();
    let g = JailGuard(&sys, j.clone());
    assert!(!j.is_host());
    assert_eq!(j.selector(), StackSel::Name(jname.clone()));
    assert!(sys.stack_alive(&j));
    assert!(sys.list_stacks().unwrap().iter().any(|s| s.name == jname));
    // The jail has its own VNET: its own lo0, and the cloners seen from inside.
    assert!(names_in(&sys, &j).contains(&"lo0".to_string()));
    assert!(sys.cloners(&j).unwrap().contains(&KindName::Loopback));
    // Reopen by name and by jid.
    let again = sys.open_stack(&StackSel::Name(jname.clone())).unwrap();
    assert_eq!(again.jid(), j.jid());
    let by_id = sys.open_stack(&StackSel::Id(j.jid())).unwrap();
    assert_eq!(by_id.name(), jname);
    drop((again, by_id));
    // A second create with the same name is refused.
    assert!(sys.create_stack(&jname).unwrap_err().is_exists());
    drop(g);
    assert!(!sys.stack_alive(&j));
    assert!(!sys.list_stacks().unwrap().iter().any(|s| s.name == jname));
}

#[test]
fn epair_create_move_and_back() {
    let sys = System::new();
    let Some(host) = ready(&sys, &[KindName::Epair]) else {
        return;
    };
    let j = sys.create_stack(&uniq("ifct")).unwrap();
    let _jg = JailGuard(&sys, j.clone());

    let made = host_epair(&sys, &host);
    let a = made.iface.name;
    let b = made.peer.as_ref().unwrap().name;
    let _g = IfGuard(&sys, vec![host.clone(), j.clone()], a);
    assert!(
        a.as_str().starts_with("epair") && a.as_str().ends_with('a'),
        "{a}"
    );
    assert_eq!(
        b.as_str(),
        format!("{}b", &a.as_str()[..a.as_str().len() - 1])
    );
    assert!(matches!(made.iface.kind, KindInfo::Epair { peer: Some(_) }));

    // Loan b into the jail under a new name.
    let moved = uniq("ifcm");
    let idx = sys
        .move_native(&host, IfSel::Name(b), &j, Some(name(&moved)))
        .unwrap();
    let inside = sys.get(&j, IfSel::Index(idx)).unwrap();
    assert_eq!(inside.name.as_str(), moved);
    assert!(!names_in(&sys, &host).contains(&b.to_string()));
    // The a end still sees a peer, now elsewhere.
    match sys.get(&host, IfSel::Name(a)).unwrap().kind {
        KindInfo::Epair { peer: Some(p) } => assert!(matches!(p.stack, LinkStack::Other { .. })),
        k => panic!("{k:?}"),
    }
    // Reclaim it under its old name.
    let back = sys
        .move_native(&j, IfSel::Name(name(&moved)), &host, Some(b))
        .unwrap();
    assert_eq!(sys.get(&host, IfSel::Index(back)).unwrap().name, b);
    assert!(!names_in(&sys, &j).contains(&moved));

    // Destroying one end destroys both.
    sys.destroy(&host, IfSel::Name(a)).unwrap();
    let now = names_in(&sys, &host);
    assert!(!now.contains(&a.to_string()) && !now.contains(&b.to_string()));
}

#[test]
fn created_across_and_named() {
    let sys = System::new();
    let Some(host) = ready(&sys, &[KindName::Epair]) else {
        return;
    };
    let j = sys.create_stack(&uniq("ifct")).unwrap();
    let _jg = JailGuard(&sys, j.clone());
    let a = name(&uniq("ifcn"));
    let req = CreateRequest {
        mtu: Some(9000),
        mac: Some(Mac([2, 0, 0, 0x12, 0x34, 0x56])),
        description: Some("ifclone test".into()),
        up: true,
        ..CreateRequest::new(KindSpec::Epair { peer_name: None }).named(a)
    };
    let made = sys
        .create(
            &host,
            &req,
            Placement {
                iface: None,
                peer: Some(&*j),
            },
        )
        .unwrap();
    let _g = IfGuard(&sys, vec![host.clone(), j.clone()], a);
    assert_eq!(made.iface.name, a);
    assert_eq!(made.iface.mtu, 9000);
    assert_eq!(made.iface.mac, Some(Mac([2, 0, 0, 0x12, 0x34, 0x56])));
    assert_eq!(made.iface.description.as_deref(), Some("ifclone test"));
    assert!(made.iface.up);
    let peer = made.peer.unwrap();
    assert_eq!(peer.name, crate::freebsd::names::derive_peer(&a));
    assert!(names_in(&sys, &j).contains(&peer.name.to_string()));

    // Change, then clear the description.
    let c = Change {
        mtu: Some(1400),
        description: Some(String::new()),
        up: Some(false),
        ..Change::default()
    };
    sys.apply(&host, IfSel::Name(a), &c).unwrap();
    let now = sys.get(&host, IfSel::Name(a)).unwrap();
    assert_eq!(
        (now.mtu, now.description.as_deref(), now.up),
        (1400, None, false)
    );
}

#[test]
fn vlan_and_addresses() {
    let sys = System::new();
    let Some(host) = ready(&sys, &[KindName::Epair, KindName::Vlan]) else {
        return;
    };
    let made = host_epair(&sys, &host);
    let a = made.iface.name;
    let _g = IfGuard(&sys, vec![host.clone()], a);
    let v = name(&uniq("ifcv"));
    let vl = sys
        .create(
            &host,
            &CreateRequest::new(KindSpec::Vlan {
                parent: a,
                id: 42,
                proto: VlanProto::Dot1Q,
            })
            .named(v),
            Placement::default(),
        )
        .unwrap();
    let _gv = IfGuard(&sys, vec![host.clone()], v);
    match &vl.iface.kind {
        KindInfo::Vlan { parent, id, proto } => {
            assert_eq!((*id, *proto), (42, VlanProto::Dot1Q));
            assert_eq!(parent.unwrap().name, Some(a));
        }
        k => panic!("{k:?}"),
    }
    let idx = vl.iface.index;
    let v4: IfAddr = "10.249.3.1/24".parse().unwrap();
    let v6: IfAddr = "2001:db8:42::1/64".parse().unwrap();
    sys.add_address(&host, idx, v4).unwrap();
    sys.add_address(&host, idx, v6).unwrap();
    let got = sys.addresses(&host, idx).unwrap();
    assert!(got.contains(&v4), "{got:?}");
    assert!(got.contains(&v6), "{got:?}");
    sys.destroy_many(&host, &[IfSel::Name(v), IfSel::Name(a), IfSel::Name(a)])
        .unwrap();
}

#[test]
fn refusals_are_typed() {
    let sys = System::new();
    let Some(host) = ready(&sys, &[KindName::Vlan]) else {
        return;
    };
    let missing = name(&uniq("nope"));
    let e = sys.destroy(&host, IfSel::Name(missing)).unwrap_err();
    assert!(e.is_not_found(), "{e}");
    let e = sys
        .create(
            &host,
            &CreateRequest::new(KindSpec::Vlan {
                parent: missing,
                id: 7,
                proto: VlanProto::Dot1Q,
            }),
            Placement::default(),
        )
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert_eq!(e.context().stack.as_deref(), Some("host"));
    let e = sys
        .create(
            &host,
            &CreateRequest::new(KindSpec::Macvlan {
                parent: missing,
                mode: MacvlanMode::Bridge,
            }),
            Placement::default(),
        )
        .unwrap_err();
    assert!(matches!(e, crate::Error::Unsupported(_)), "{e}");
    let e = sys.open_stack(&StackSel::Name(uniq("nojail"))).unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

/// Reads `feed` every 20 ms until `done` accepts everything read so far, for at most 5 s.
fn read_until(feed: &mut dyn Feed, done: impl Fn(&[Raw]) -> bool) -> Vec<Raw> {
    let mut got = Vec::new();
    let start = std::time::Instant::now();
    while !done(&got) && start.elapsed() < std::time::Duration::from_secs(5) {
        if !feed.read(&mut got, 1000).unwrap() {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    got
}

fn touched(r: &[Raw], name: IfName) -> bool {
    r.iter()
        .any(|x| matches!(x, Raw::Touched { name: Some(n), .. } if *n == name))
}

#[test]
fn watch_the_host_and_a_jail() {
    let sys = System::new();
    let Some(host) = ready(&sys, &[KindName::Epair]) else {
        return;
    };
    let j = sys.create_stack(&uniq("ifct")).unwrap();
    let _jg = JailGuard(&sys, j.clone());
    // Declared after the jail's guard, so dropped before it: a feed keeps the jail alive.
    let mut hf = sys.subscribe(&host, &FeedOpts::default()).unwrap();
    let mut jf = sys.subscribe(&j, &FeedOpts::default()).unwrap();
    let _kq = sys.join_fds(&[hf.fd(), jf.fd()]).unwrap();
    assert!(sys.stacks_feed().unwrap().is_none());

    let made = host_epair(&sys, &host);
    let a = made.iface.name;
    let b = made.peer.as_ref().unwrap().name;
    let _g = IfGuard(&sys, vec![host.clone(), j.clone()], a);
    let got = read_until(&mut *hf, |r| touched(r, a) && touched(r, b));
    assert!(touched(&got, a) && touched(&got, b), "{got:?}");

    // A move is a departure here and an arrival there.
    let moved = name(&uniq("ifcm"));
    let idx = sys
        .move_native(&host, IfSel::Name(b), &j, Some(moved))
        .unwrap();
    let gone = |r: &[Raw]| {
        r.iter()
            .any(|x| matches!(x, Raw::Gone { name: Some(n), moved: None, .. } if *n == b))
    };
    let got = read_until(&mut *hf, gone);
    assert!(gone(&got), "{got:?}");
    let got = read_until(&mut *jf, |r| touched(r, moved));
    assert!(touched(&got, moved), "{got:?}");

    let addr: IfAddr = "10.249.7.1/24".parse().unwrap();
    sys.add_address(&j, idx, addr).unwrap();
    let added = |r: &[Raw]| {
        r.contains(&Raw::Addr {
            index: idx,
            addr,
            added: true,
        })
    };
    let got = read_until(&mut *jf, added);
    assert!(added(&got), "{got:?}");
}

#[test]
fn an_overflow_is_lost_not_an_error() {
    let sys = System::new();
    let Some(host) = ready(&sys, &[KindName::Epair]) else {
        return;
    };
    let mut f = sys
        .subscribe(&host, &FeedOpts { rcvbuf: Some(2048) })
        .unwrap();
    let mut guards = Vec::new();
    for _ in 0..16 {
        let made = sys
            .create(
                &host,
                &CreateRequest::new(KindSpec::Epair { peer_name: None }),
                Placement::default(),
            )
            .unwrap();
        guards.push(IfGuard(&sys, vec![host.clone()], made.iface.name));
    }
    let got = read_until(&mut *f, |r| r.contains(&Raw::Lost));
    assert!(got.contains(&Raw::Lost), "{got:?}");
}
