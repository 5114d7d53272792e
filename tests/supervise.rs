//! The supervisor against the real kernel (Linux host; vlan in the VM, tests/vm_kinds.rs): a
//! macvtap on a veth end whose lower is destroyed and re-created 20 times gets 20 new
//! generations, and each generation's descriptor carries a frame out through the lower (seen by
//! a packet socket on the veth's other end); a deferred start; a re-target; refusals before
//! anything changes. Root; every test makes its own `ifct-…` stacks.

// macvtap, macvlan and packet sockets are Linux's; FreeBSD's vlan supervision would share the
// framework but is not exercised here.
#![cfg(target_os = "linux")]

mod common;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use common::*;
use ifclone::supervise::{
    DependentKind, DependentSpec, LostReason, LowerMatch, Supervised, Supervisor,
};
use ifclone::{CreateRequest, IfName, KindSpec, Mac, MacvlanMode, Stack};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

const ETHERTYPE: u16 = 0x88b5; // IEEE local experimental

/// A veth pair `lower`/`peer` in `s`, both up, `lower` with MAC `mac`.
fn make_lower(s: &Stack, lower: &str, peer: &str, mac: Mac) {
    let mut req = CreateRequest::new(KindSpec::Epair {
        peer_name: Some(n(peer)),
    })
    .named(n(lower));
    req.mac = Some(mac);
    req.up = true;
    s.create_interface(&req).expect("create the lower");
    s.set_up(peer, true).expect("peer up");
}

/// A packet socket on `ifname` in stack `stack`, receiving our ethertype, opened on a thread of
/// its own that enters the netns (the test's own thread never changes netns).
fn packet_socket(stack: &str, ifname: &str) -> OwnedFd {
    let (path, ifname) = (format!("/run/netns/{stack}"), ifname.to_string());
    std::thread::spawn(move || {
        let ns = std::fs::File::open(&path).expect("open netns");
        nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        let index = nix::net::if_::if_nametoindex(ifname.as_str()).expect("ifindex");
        let proto = ETHERTYPE.to_be();
        // SAFETY: plain socket(2); the result is checked.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, proto as i32) };
        assert!(
            fd >= 0,
            "packet socket: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: sockaddr_ll is plain data; all-zero is valid before the fields are set.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = proto;
        sll.sll_ifindex = index as i32;
        // SAFETY: `sll` is a valid sockaddr_ll of the size given.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                &sll as *const libc::sockaddr_ll as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        assert_eq!(r, 0, "bind: {}", std::io::Error::last_os_error());
        let tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 200_000,
        };
        // SAFETY: SO_RCVTIMEO takes a timeval of the size given.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &tv as *const libc::timeval as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as u32,
            )
        };
        fd
    })
    .join()
    .unwrap()
}

/// Writes one frame carrying `marker` to the macvtap descriptor (after the virtio-net header
/// macvtap expects by default) and waits for it on `sock`.
fn frame_passes(tap: &OwnedFd, src: Mac, sock: &OwnedFd, marker: &str) -> bool {
    let mut frame = vec![0u8; 10]; // struct virtio_net_hdr, all zero: no offloads
    frame.extend_from_slice(&[0xff; 6]);
    frame.extend_from_slice(&src.0);
    frame.extend_from_slice(&ETHERTYPE.to_be_bytes());
    frame.extend_from_slice(marker.as_bytes());
    frame.resize(10 + 60, 0);
    for _ in 0..10 {
        let w = nix::unistd::write(tap, &frame);
        assert!(w.is_ok(), "write to the macvtap fd: {w:?}");
        let deadline = std::time::Instant::now() + Duration::from_millis(500);
        let mut buf = [0u8; 2048];
        while std::time::Instant::now() < deadline {
            // SAFETY: `buf` is writable for its length; the fd is open.
            let got = unsafe {
                libc::recv(
                    sock.as_raw_fd(),
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                    0,
                )
            };
            if got > 0 {
                let b = &buf[..got as usize];
                if b.windows(marker.len()).any(|w| w == marker.as_bytes()) {
                    return true;
                }
            }
        }
    }
    false
}

fn next(s: &mut Supervisor) -> Supervised {
    s.next(Some(Duration::from_secs(5)))
        .expect("supervisor")
        .expect("a step within 5 s")
}

/// The next Created, skipping Waiting; panics on anything else.
fn next_created(s: &mut Supervisor) -> (u64, ifclone::Interface, ifclone::Queues) {
    loop {
        match next(s) {
            Supervised::Waiting { .. } => continue,
            Supervised::Created(g) => {
                let g = *g;
                return (g.generation, g.iface, g.fds);
            }
            other => panic!("expected a new generation, got {other:?}"),
        }
    }
}

#[test]
fn lower_destroyed_and_recreated_20_times_gives_20_working_generations() {
    require_root();
    let g = StackGuard::new("sup-macvtap");
    let s = g.stack();
    let mac = Mac([0x02, 0x1c, 0, 0, 0, 0x01]);
    make_lower(s, "low0", "lowp", mac);
    let spec = DependentSpec::new(
        n("vmtap0"),
        DependentKind::Macvtap {
            mode: MacvlanMode::Bridge,
            queues: 2,
        },
        LowerMatch::mac(mac),
    );
    let mut sup = Supervisor::start(s, spec).expect("supervise");
    let mut seen_index = Vec::new();
    let mut tap_mac = None;
    for round in 1..=20u64 {
        let (generation, iface, fds) = next_created(&mut sup);
        assert_eq!(generation, round);
        assert_eq!(fds.len(), 2, "two queues asked for");
        assert!(fds
            .iter()
            .all(|q| q.index == iface.index && q.device == iface.name));
        assert!(
            !seen_index.contains(&iface.index),
            "generation {round} reuses index {}",
            iface.index
        );
        seen_index.push(iface.index);
        // Every generation keeps the first one's MAC.
        let m = *tap_mac.get_or_insert(iface.mac.expect("a macvtap has a MAC"));
        assert_eq!(iface.mac, Some(m));
        // `ip` sees a macvtap on low0.
        let v = ip_link(g.name(), "vmtap0").expect("ip sees vmtap0");
        assert_eq!(v["linkinfo"]["info_kind"], "macvtap");
        assert_eq!(v["link"], "low0");
        let sock = packet_socket(g.name(), "lowp");
        let fd = &fds.iter().next().unwrap().fd;
        assert!(
            frame_passes(fd, m, &sock, &format!("gen{round}")),
            "generation {round}'s fd does not pass a frame to the lower"
        );
        // Take the lower away: the kernel deletes the macvtap with it.
        s.destroy("low0").expect("destroy the lower");
        match next(&mut sup) {
            Supervised::Lost { generation, reason } => {
                assert_eq!(generation, round);
                assert_eq!(reason, LostReason::LowerGone { lower: n("low0") });
            }
            other => panic!("expected the loss of generation {round}, got {other:?}"),
        }
        assert!(matches!(next(&mut sup), Supervised::Waiting { .. }));
        make_lower(s, "low0", "lowp", mac);
    }
    let (generation, _, _) = next_created(&mut sup);
    assert_eq!(generation, 21);
    sup.stop().expect("stop");
    assert!(
        ip_link(g.name(), "vmtap0").is_none(),
        "stop leaves vmtap0 behind"
    );
}

#[test]
fn deferred_start_then_retarget_to_another_lower() {
    require_root();
    let g = StackGuard::new("sup-retarget");
    let s = g.stack();
    let spec = DependentSpec::new(
        n("mvl0"),
        DependentKind::Macvlan {
            mode: MacvlanMode::Bridge,
        },
        LowerMatch::name(n("lowa")),
    );
    let mut sup = Supervisor::start(s, spec).expect("supervise");
    assert!(
        matches!(next(&mut sup), Supervised::Waiting { lower } if lower.name == Some(n("lowa"))),
        "no lower yet: the supervisor waits"
    );
    assert!(ip_link(g.name(), "mvl0").is_none());
    make_lower(s, "lowa", "lowap", Mac([2, 0, 0, 0, 0, 0xa]));
    let (generation, iface, _) = next_created(&mut sup);
    assert_eq!(generation, 1);
    assert_eq!(ip_link(g.name(), "mvl0").unwrap()["link"], "lowa");
    make_lower(s, "lowb", "lowbp", Mac([2, 0, 0, 0, 0, 0xb]));
    sup.retarget(LowerMatch::name(n("lowb"))).expect("retarget");
    match next(&mut sup) {
        Supervised::Lost { generation, reason } => {
            assert_eq!((generation, reason), (1, LostReason::Retargeted))
        }
        other => panic!("expected the loss of generation 1, got {other:?}"),
    }
    let (generation, iface2, _) = next_created(&mut sup);
    assert_eq!(generation, 2);
    assert_eq!(iface2.mac, iface.mac, "the MAC survives a re-target");
    assert_eq!(ip_link(g.name(), "mvl0").unwrap()["link"], "lowb");
    // Deleting the dependent itself (the lower stays) makes the next generation at once.
    s.destroy("mvl0").unwrap();
    assert!(matches!(
        next(&mut sup),
        Supervised::Lost {
            generation: 2,
            reason: LostReason::DependentGone
        }
    ));
    let (generation, _, _) = next_created(&mut sup);
    assert_eq!(generation, 3);
    drop(sup);
    assert!(ip_link(g.name(), "mvl0").is_some(), "dropping leaves it");
}

#[test]
fn refusals_change_nothing() {
    require_root();
    let g = StackGuard::new("sup-refuse");
    let s = g.stack();
    epair(s, "taken0", "takenp");
    // Nothing to match the lower by.
    let bad = DependentSpec::new(
        n("x0"),
        DependentKind::Macvlan {
            mode: MacvlanMode::Bridge,
        },
        LowerMatch::default(),
    );
    let e = Supervisor::start(s, bad).unwrap_err();
    assert_eq!(variant(&e), "InvalidArgument", "{e}");
    // A vlan id out of range.
    let bad = DependentSpec::new(
        n("x0"),
        DependentKind::Vlan {
            id: 5000,
            proto: Default::default(),
        },
        LowerMatch::name(n("takenp")),
    );
    assert!(Supervisor::start(s, bad).is_err());
    // A name taken by something that is not ours.
    let taken = DependentSpec::new(
        n("taken0"),
        DependentKind::Macvlan {
            mode: MacvlanMode::Bridge,
        },
        LowerMatch::name(n("takenp")),
    );
    let e = Supervisor::start(s, taken).unwrap_err();
    assert_eq!(variant(&e), "Exists", "{e}");
    let v = ip_link(g.name(), "taken0").expect("taken0 is still there");
    assert_eq!(v["linkinfo"]["info_kind"], "veth");
    assert!(ip_link(g.name(), "x0").is_none());
}

/// A macvlan placed in another stack (a container's), its lower in ours: each generation is
/// made there directly, and the loss of the lower here ends it there.
#[test]
fn dependent_placed_in_another_stack() {
    require_root();
    let (g, c) = (StackGuard::new("sup-into-a"), StackGuard::new("sup-into-c"));
    let mac = Mac([0x02, 0x1c, 0, 0, 0, 0x02]);
    make_lower(g.stack(), "up0", "up0p", mac);
    let spec = DependentSpec::new(
        n("eth0"),
        DependentKind::Macvlan {
            mode: MacvlanMode::Bridge,
        },
        LowerMatch::name(n("up0")),
    );
    let mut sup = Supervisor::start_into(g.stack(), spec, Some(c.stack())).expect("supervise");
    for round in 1..=3u64 {
        let (generation, iface, _) = next_created(&mut sup);
        assert_eq!(generation, round);
        assert_eq!(&*iface.stack, c.name());
        let v = ip_link(c.name(), "eth0").expect("ip sees eth0 in the container's stack");
        assert_eq!(v["linkinfo"]["info_kind"], "macvlan");
        assert!(ip_link(g.name(), "eth0").is_none());
        g.destroy("up0").expect("destroy the lower");
        match next(&mut sup) {
            Supervised::Lost { generation, reason } => {
                assert_eq!(generation, round);
                assert_eq!(reason, LostReason::LowerGone { lower: n("up0") });
            }
            other => panic!("round {round}: expected a loss, got {other:?}"),
        }
        make_lower(g.stack(), "up0", "up0p", mac);
    }
    // A vlan cannot be placed elsewhere: refused before anything.
    let vlan = DependentSpec::new(
        n("v0"),
        DependentKind::Vlan {
            id: 5,
            proto: Default::default(),
        },
        LowerMatch::name(n("up0")),
    );
    let e = Supervisor::start_into(g.stack(), vlan, Some(c.stack())).unwrap_err();
    assert_eq!(variant(&e), "InvalidArgument", "{e}");
}
