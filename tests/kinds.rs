//! Every kind the host kernel can create, on the real kernel: create, check the returned record
//! and the same through the OS's tool, find it in the listing, destroy, gone. Kinds the host
//! lacks (vlan, bond, dummy) are in `vm_kinds.rs`. Run as root.

mod common;

use common::*;
use ifclone::{
    CreateRequest, Created, IfName, Interface, KindInfo, KindName, KindSpec, LinkStack,
    MacvlanMode, Stack, VxlanParams,
};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

fn epair(name: &str, peer: &str) -> CreateRequest {
    CreateRequest::new(KindSpec::Epair {
        peer_name: Some(n(peer)),
    })
    .named(n(name))
}

/// Asserts the library's record and the OS agree on index, name, MTU and MAC.
#[track_caller]
fn assert_matches_os(stack: &str, i: &Interface) {
    let o = observe(stack, i.name.as_str())
        .unwrap_or_else(|| panic!("{} not in stack {stack} according to the OS", i.name));
    assert_eq!(o.index, i.index, "index of {}", i.name);
    assert_eq!(o.mtu, i.mtu, "mtu of {}", i.name);
    if let (Some(m), Some(om)) = (i.mac, &o.mac) {
        assert_eq!(&m.to_string(), om, "mac of {}", i.name);
    }
    assert_eq!(o.up, i.up, "up of {}", i.name);
    assert_eq!(
        i.flags.contains(ifclone::IfFlags::UP),
        i.up,
        "flags {} and up disagree for {}",
        i.flags,
        i.name
    );
    // The neutral flags are the OS's, by name (ip prints no RUNNING: it shows LOWER_UP).
    #[cfg(target_os = "linux")]
    {
        let mut os: Vec<String> = o.raw["flags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let mut ours: Vec<String> = i
            .flags
            .names()
            .filter(|n| *n != "RUNNING")
            .map(String::from)
            .collect();
        os.retain(|f| ifclone::IfFlags::NAMES.iter().any(|(_, n)| n == f));
        os.sort();
        ours.sort();
        assert_eq!(ours, os, "flags of {}", i.name);
    }
}

/// The library's own listing has it (by name and index), and `get` by both agrees.
#[track_caller]
fn assert_listed(s: &Stack, i: &Interface) {
    let all = s.interfaces().expect("interfaces");
    let l = all
        .iter()
        .find(|x| x.name == i.name)
        .unwrap_or_else(|| panic!("{} missing from the listing {all:?}", i.name));
    assert_eq!(l.index, i.index);
    assert_eq!(l.kind, i.kind, "listing and create disagree on the kind");
    let by_name = s.interface(i.name.as_str()).expect("get by name");
    assert_eq!(by_name.index, i.index);
    let by_index = s.interface_by_index(i.index).expect("get by index");
    assert_eq!(by_index.name, i.name);
}

/// Destroys through the library and checks it is gone for the library and for the OS.
#[track_caller]
fn destroy_and_check_gone(s: &Stack, stack: &str, name: &str) {
    s.destroy(name)
        .unwrap_or_else(|e| panic!("destroy {name}: {e}"));
    assert!(
        observe(stack, name).is_none(),
        "{name} still in {stack} after destroy"
    );
    let all = s.interfaces().expect("interfaces");
    assert!(
        !all.iter().any(|x| x.name == name),
        "{name} still listed after destroy"
    );
    expect_err(s.interface(name), "NotFound", "get a destroyed interface");
}

fn create(s: &Stack, req: &CreateRequest) -> Created {
    s.create_interface(req)
        .unwrap_or_else(|e| panic!("create {:?} in {}: {e}", req.kind, s.name()))
}

// ---------------------------------------------------------------------------------------------
// epair / veth
// ---------------------------------------------------------------------------------------------

#[test]
fn epair_auto_names_take_the_lowest_free_number() {
    let g = StackGuard::new("epauto");
    let auto = CreateRequest::new(KindSpec::Epair { peer_name: None });
    let m0 = create(&g, &auto);
    assert_eq!(m0.iface.name, "epair0a");
    let p0 = m0.peer.as_ref().expect("peer of epair0a");
    assert_eq!(p0.name, "epair0b");
    assert!(m0.fds.is_empty());
    assert_eq!(m0.iface.kind.kind(), Some(KindName::Epair));
    assert_matches_os(g.name(), &m0.iface);
    assert_matches_os(g.name(), p0);
    #[cfg(target_os = "linux")]
    {
        let a = ip_link(g.name(), "epair0a").unwrap();
        assert_eq!(a["linkinfo"]["info_kind"], "veth");
        assert_eq!(a["link"], "epair0b", "{a}");
    }

    let m1 = create(&g, &auto);
    assert_eq!(m1.iface.name, "epair1a");
    assert_eq!(m1.peer.as_ref().unwrap().name, "epair1b");

    // Free number 0 again: the next one takes it.
    g.destroy("epair0a").expect("destroy epair0a");
    assert!(observe(g.name(), "epair0a").is_none());
    assert!(
        observe(g.name(), "epair0b").is_none(),
        "destroying one end destroys the pair"
    );
    let m2 = create(&g, &auto);
    assert_eq!(m2.iface.name, "epair0a");
    assert_eq!(m2.peer.as_ref().unwrap().name, "epair0b");
}

#[test]
fn epair_explicit_names_and_links_in_the_same_stack() {
    let g = StackGuard::new("epexpl");
    let made = create(&g, &epair("left", "right"));
    assert_eq!(made.iface.name, "left");
    let peer = made.peer.as_ref().expect("peer");
    assert_eq!(peer.name, "right");
    assert_ne!(made.iface.index, peer.index);
    assert_matches_os(g.name(), &made.iface);
    assert_matches_os(g.name(), peer);
    assert_listed(&g, &made.iface);
    assert_listed(&g, peer);

    let l = made.iface.link().expect("left knows its peer");
    assert_eq!(l.stack, LinkStack::Same, "{l:?}");
    assert_eq!(l.index, Some(peer.index), "{l:?}");
    assert_eq!(l.name, Some(n("right")), "{l:?}");
    let r = peer.link().expect("right knows its peer");
    assert_eq!(r.stack, LinkStack::Same);
    assert_eq!(r.index, Some(made.iface.index));
    assert_eq!(r.name, Some(n("left")));

    #[cfg(target_os = "linux")]
    {
        assert_eq!(ip_link(g.name(), "left").unwrap()["link"], "right");
        assert_eq!(ip_link(g.name(), "right").unwrap()["link"], "left");
    }

    destroy_and_check_gone(&g, g.name(), "left");
    assert!(observe(g.name(), "right").is_none());
}

#[test]
fn epair_peer_placed_in_another_stack() {
    let a = StackGuard::new("epa");
    let b = StackGuard::new("epb");
    let made = a
        .create_placed(&epair("here", "there"), None, Some(b.stack()))
        .expect("create with the peer in b");
    let peer = made.peer.as_ref().expect("peer");
    assert_eq!(peer.name, "there");
    assert_matches_os(a.name(), &made.iface);
    assert_matches_os(b.name(), peer);
    assert!(observe(a.name(), "there").is_none(), "peer also in a");
    assert!(observe(b.name(), "here").is_none(), "main end also in b");

    // Each end's link() reports the other, in another stack.
    let here = a.interface("here").expect("get here");
    let l = here.link().expect("here knows its peer");
    assert!(matches!(l.stack, LinkStack::Other { .. }), "{l:?}");
    assert_eq!(l.index, Some(peer.index), "{l:?}");
    let there = b.interface("there").expect("get there");
    let r = there.link().expect("there knows its peer");
    assert!(matches!(r.stack, LinkStack::Other { .. }), "{r:?}");
    assert_eq!(r.index, Some(made.iface.index), "{r:?}");
    #[cfg(target_os = "linux")]
    {
        let ia = ip_link(a.name(), "here").unwrap();
        assert_eq!(ia["link_index"].as_u64(), Some(peer.index as u64), "{ia}");
        if let (LinkStack::Other { id: Some(id) }, Some(nsid)) =
            (l.stack, ia["link_netnsid"].as_i64())
        {
            assert_eq!(id as i64, nsid, "netnsid of the peer");
        }
    }

    // Also from the other side: a stack places the new interface itself elsewhere.
    let moved = b
        .create_placed(&epair("far", "near"), Some(a.stack()), Some(b.stack()))
        .expect("create with the main end in a");
    assert!(observe(a.name(), "far").is_some());
    assert!(observe(b.name(), "near").is_some());
    assert_eq!(moved.iface.name, "far");

    destroy_and_check_gone(&a, a.name(), "here");
    assert!(observe(b.name(), "there").is_none());
}

#[test]
fn epair_across_between_two_test_stacks() {
    let a = StackGuard::new("acra");
    let b = StackGuard::new("acrb");
    let made = a
        .create_epair_across(None, b.stack())
        .expect("create_epair_across");
    assert_eq!(made.iface.name, "epair0a");
    let peer = made.peer.expect("peer");
    assert_eq!(peer.name, "epair0b");
    assert!(observe(a.name(), "epair0a").is_some());
    assert!(observe(b.name(), "epair0b").is_some());
    assert!(observe(a.name(), "epair0b").is_none());
}

/// The lowest free number counts in both stacks involved: `epair0b` is taken in the peer's
/// stack, so a pair across gets number 1.
#[test]
fn epair_auto_names_across_avoid_names_taken_in_the_peer_stack() {
    let a = StackGuard::new("epxa");
    let b = StackGuard::new("epxb");
    let inb = create(&b, &CreateRequest::new(KindSpec::Epair { peer_name: None }));
    assert_eq!(inb.iface.name, "epair0a");
    let across = a
        .create_epair_across(None, b.stack())
        .expect("auto-named epair across");
    assert_eq!(across.iface.name, "epair1a");
    assert_eq!(across.peer.as_ref().unwrap().name, "epair1b");
    assert!(observe(a.name(), "epair1a").is_some());
    assert!(observe(b.name(), "epair1b").is_some());
    assert!(observe(a.name(), "epair0a").is_none());
}

/// Automatic names are picked by several threads at once in one stack: every pair gets its own
/// number (the backend retries when the kernel says the name was taken meanwhile).
#[test]
fn epair_auto_names_from_parallel_threads() {
    let g = StackGuard::new("epthreads");
    let threads = 6;
    let names: Vec<String> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                sc.spawn(|| {
                    let made = g
                        .create_interface(&CreateRequest::new(KindSpec::Epair { peer_name: None }))
                        .expect("auto-named epair from a thread");
                    made.iface.name.to_string()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), threads, "two threads got one name: {names:?}");
    let os = os_names(g.name());
    for i in 0..threads {
        for end in ["a", "b"] {
            let want = format!("epair{i}{end}");
            assert!(os.contains(&want), "{want} missing: {os:?}");
        }
    }
    assert_eq!(os.len(), 1 + 2 * threads, "{os:?}");
}

// ---------------------------------------------------------------------------------------------
// tap / tun
// ---------------------------------------------------------------------------------------------

fn tap_with_queues(queues: u16) {
    let g = StackGuard::new(&format!("tap{queues}"));
    let name = format!("tq{queues}");
    let made = create(
        &g,
        &CreateRequest::new(KindSpec::Tap { queues }).named(n(&name)),
    );
    assert_eq!(made.iface.name, name.as_str());
    assert_eq!(
        made.fds.len(),
        queues as usize,
        "one fd per queue for tap with {queues} queues"
    );
    // Each fd says which device and which queue it serves.
    for (q, fd) in made.fds.iter().enumerate() {
        assert_eq!(fd.queue as usize, q, "queue numbers in order");
        assert_eq!(fd.device, made.iface.name);
        assert_eq!(fd.index, made.iface.index);
        assert_eq!(fd.kind, ifclone::FdKind::TapQueue);
    }
    assert_eq!(made.iface.kind, KindInfo::Tap { queues });
    assert!(made.peer.is_none());
    assert_matches_os(g.name(), &made.iface);
    assert_listed(&g, &made.iface);
    #[cfg(target_os = "linux")]
    {
        let v = ip_link(g.name(), &name).unwrap();
        assert_eq!(v["linkinfo"]["info_kind"], "tun", "{v}");
        assert_eq!(info_data(&v)["type"], "tap", "{v}");
        if queues > 1 {
            assert_eq!(info_data(&v)["multi_queue"], true, "{v}");
            assert_eq!(
                info_data(&v)["numqueues"].as_u64(),
                Some(queues as u64),
                "{v}"
            );
        }
    }
    destroy_and_check_gone(&g, g.name(), &name);
    drop(made.fds);
}

#[test]
fn tap_one_queue() {
    tap_with_queues(1);
}

/// Linux: a multi-queue tap, one fd per queue.
#[cfg(target_os = "linux")]
#[test]
fn tap_two_queues() {
    tap_with_queues(2);
}

/// FreeBSD: a tap has a single queue (documented), so two are `Unsupported`, and nothing is
/// created (no `tq2`, no kernel-named `tapN` left behind).
#[cfg(not(target_os = "linux"))]
#[test]
fn tap_two_queues() {
    let g = StackGuard::new("tap2");
    let before = snapshot(g.name());
    let r = g.create_interface(&CreateRequest::new(KindSpec::Tap { queues: 2 }).named(n("tq2")));
    let e = expect_err(r, "Unsupported", "a tap with two queues on FreeBSD");
    assert_msg_has(&e, &["create", g.name()]);
    assert!(observe(g.name(), "tq2").is_none(), "tq2 was created");
    assert_eq!(
        before,
        snapshot(g.name()),
        "a refused tap changed the stack: {:?}",
        os_names(g.name())
    );
}

/// The fd a tap create hands back is attached to the device: a frame written to it arrives as
/// a received packet.
#[cfg(target_os = "linux")]
#[test]
fn tap_fd_carries_frames() {
    use std::io::Write;
    let g = StackGuard::new("tapfd");
    let made = create(
        &g,
        &CreateRequest::new(KindSpec::Tap { queues: 1 }).named(n("tf0")),
    );
    g.set_up("tf0", true).expect("up");
    let mut f = std::fs::File::from(made.fds.into_iter().next().expect("one fd"));
    // Broadcast Ethernet frame, ethertype 0x88b5 (local experimental), 46 bytes of payload.
    let mut frame = vec![0xff; 6];
    frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5]);
    frame.extend_from_slice(&[0u8; 46]);
    let w = f.write(&frame).expect("write a frame to the tap fd");
    assert_eq!(w, frame.len());
    let out = ip(&["-n", g.name(), "-s", "-j", "link", "show", "tf0"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rx = v[0]["stats64"]["rx"]["packets"].as_u64().unwrap_or(0);
    assert!(rx >= 1, "the frame did not arrive: {}", v[0]["stats64"]);
}

#[test]
fn tap_auto_name() {
    let g = StackGuard::new("tapauto");
    let made = create(&g, &CreateRequest::new(KindSpec::Tap { queues: 1 }));
    assert_eq!(made.iface.name, "tap0");
    assert_eq!(made.fds.len(), 1);
    assert!(observe(g.name(), "tap0").is_some());
}

#[test]
fn tun_one_queue() {
    let g = StackGuard::new("tun");
    let made = create(
        &g,
        &CreateRequest::new(KindSpec::Tun { queues: 1 }).named(n("tn0")),
    );
    assert_eq!(made.iface.name, "tn0");
    assert_eq!(made.fds.len(), 1);
    assert_eq!(made.iface.kind, KindInfo::Tun { queues: 1 });
    assert_eq!(made.iface.mac, None, "a tun has no MAC");
    assert_matches_os(g.name(), &made.iface);
    assert_listed(&g, &made.iface);
    #[cfg(target_os = "linux")]
    {
        let v = ip_link(g.name(), "tn0").unwrap();
        assert_eq!(v["linkinfo"]["info_kind"], "tun", "{v}");
        assert_eq!(info_data(&v)["type"], "tun", "{v}");
    }
    destroy_and_check_gone(&g, g.name(), "tn0");
}

// ---------------------------------------------------------------------------------------------
// bridge
// ---------------------------------------------------------------------------------------------

#[test]
fn bridge() {
    let g = StackGuard::new("bridge");
    let made = create(&g, &CreateRequest::new(KindSpec::Bridge).named(n("br0")));
    assert_eq!(made.iface.name, "br0");
    assert_eq!(made.iface.kind, KindInfo::Bridge);
    assert!(made.fds.is_empty());
    assert_matches_os(g.name(), &made.iface);
    assert_listed(&g, &made.iface);
    #[cfg(target_os = "linux")]
    assert_eq!(
        ip_link(g.name(), "br0").unwrap()["linkinfo"]["info_kind"],
        "bridge"
    );
    destroy_and_check_gone(&g, g.name(), "br0");
}

// ---------------------------------------------------------------------------------------------
// macvlan / macvtap (parent: a veth end in the same stack)
// ---------------------------------------------------------------------------------------------

fn macvlan_mode(mode: MacvlanMode) {
    let g = StackGuard::new(&format!("macvlan-{}", mode.as_str()));
    let parent = create(&g, &epair("up0", "up1")).iface;
    let made = create(
        &g,
        &CreateRequest::new(KindSpec::Macvlan {
            parent: n("up0"),
            mode,
        })
        .named(n("mv0")),
    );
    assert_eq!(made.iface.name, "mv0");
    match &made.iface.kind {
        KindInfo::Macvlan { parent: p, mode: m } => {
            assert_eq!(*m, mode);
            let p = p.as_ref().expect("macvlan knows its parent");
            assert_eq!(p.index, Some(parent.index), "{p:?}");
            assert_eq!(p.stack, LinkStack::Same, "{p:?}");
            assert_eq!(p.name, Some(n("up0")), "{p:?}");
        }
        k => panic!("expected a macvlan record, got {k:?}"),
    }
    assert_matches_os(g.name(), &made.iface);
    assert_listed(&g, &made.iface);
    #[cfg(target_os = "linux")]
    {
        let v = ip_link(g.name(), "mv0").unwrap();
        assert_eq!(v["linkinfo"]["info_kind"], "macvlan", "{v}");
        assert_eq!(info_data(&v)["mode"], mode.as_str(), "{v}");
        assert_eq!(v["link"], "up0", "{v}");
    }
    destroy_and_check_gone(&g, g.name(), "mv0");
    assert!(
        observe(g.name(), "up0").is_some(),
        "destroying the macvlan kept its parent"
    );
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "a Linux kind: FreeBSD has no macvlan, macvtap or vxlan(4) support in ifclone"
)]
fn macvlan_bridge() {
    macvlan_mode(MacvlanMode::Bridge);
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "a Linux kind: FreeBSD has no macvlan, macvtap or vxlan(4) support in ifclone"
)]
fn macvlan_private() {
    macvlan_mode(MacvlanMode::Private);
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "a Linux kind: FreeBSD has no macvlan, macvtap or vxlan(4) support in ifclone"
)]
fn macvtap_returns_a_char_device() {
    use std::os::unix::fs::FileTypeExt;
    let g = StackGuard::new("macvtap");
    let parent = create(&g, &epair("up0", "up1")).iface;
    let made = create(
        &g,
        &CreateRequest::new(KindSpec::Macvtap {
            parent: n("up0"),
            mode: MacvlanMode::Bridge,
        })
        .named(n("mt0")),
    );
    assert_eq!(made.iface.name, "mt0");
    assert_eq!(made.fds.len(), 1, "macvtap hands back its /dev/tapN");
    let q = made.fds.into_iter().next().unwrap();
    assert_eq!(
        (q.kind, q.queue, q.device),
        (ifclone::FdKind::Macvtap, 0, made.iface.name)
    );
    let f = std::fs::File::from(q);
    let ft = f.metadata().expect("fstat the macvtap fd").file_type();
    assert!(
        ft.is_char_device(),
        "macvtap fd is not a char device: {ft:?}"
    );
    match &made.iface.kind {
        KindInfo::Macvtap { parent: p, mode } => {
            assert_eq!(*mode, MacvlanMode::Bridge);
            assert_eq!(p.as_ref().and_then(|p| p.index), Some(parent.index));
        }
        k => panic!("expected a macvtap record, got {k:?}"),
    }
    assert_matches_os(g.name(), &made.iface);
    assert_listed(&g, &made.iface);
    #[cfg(target_os = "linux")]
    {
        let v = ip_link(g.name(), "mt0").unwrap();
        assert_eq!(v["linkinfo"]["info_kind"], "macvtap", "{v}");
        assert_eq!(info_data(&v)["mode"], "bridge", "{v}");
        assert_eq!(v["link"], "up0", "{v}");
    }
    drop(f);
    destroy_and_check_gone(&g, g.name(), "mt0");
}

// ---------------------------------------------------------------------------------------------
// vxlan
// ---------------------------------------------------------------------------------------------

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "a Linux kind: FreeBSD has no macvlan, macvtap or vxlan(4) support in ifclone"
)]
fn vxlan() {
    let g = StackGuard::new("vxlan");
    let under = create(&g, &epair("ul0", "ul1")).iface;
    let params = VxlanParams {
        vni: 42,
        dev: Some(n("ul0")),
        local: Some("10.1.1.1".parse().unwrap()),
        remote: Some("10.1.1.2".parse().unwrap()),
        group: None,
        port: Some(4789),
        parent: None,
    };
    let made = create(
        &g,
        &CreateRequest::new(KindSpec::Vxlan(Box::new(params))).named(n("vx42")),
    );
    assert_eq!(made.iface.name, "vx42");
    match &made.iface.kind {
        KindInfo::Vxlan(p) => {
            assert_eq!(p.vni, 42);
            assert_eq!(p.local, Some("10.1.1.1".parse().unwrap()));
            assert_eq!(p.remote, Some("10.1.1.2".parse().unwrap()));
            assert_eq!(p.group, None);
            assert_eq!(p.port, Some(4789));
            let dev_ok = p.dev == Some(n("ul0"))
                || p.parent.as_ref().and_then(|l| l.index) == Some(under.index);
            assert!(dev_ok, "vxlan does not name its underlay ul0: {p:?}");
        }
        k => panic!("expected a vxlan record, got {k:?}"),
    }
    assert_matches_os(g.name(), &made.iface);
    assert_listed(&g, &made.iface);
    #[cfg(target_os = "linux")]
    {
        let v = ip_link(g.name(), "vx42").unwrap();
        let d = info_data(&v);
        assert_eq!(v["linkinfo"]["info_kind"], "vxlan", "{v}");
        assert_eq!(d["id"], 42, "{v}");
        assert_eq!(d["local"], "10.1.1.1", "{v}");
        assert_eq!(d["remote"], "10.1.1.2", "{v}");
        assert_eq!(d["link"], "ul0", "{v}");
        assert_eq!(d["port"], 4789, "{v}");
    }
    destroy_and_check_gone(&g, g.name(), "vx42");
}

// ---------------------------------------------------------------------------------------------
// The identity mark (Linux: an alternative name)
// ---------------------------------------------------------------------------------------------

/// `ip -d -j link` altnames of one interface (empty when it has none).
#[cfg(target_os = "linux")]
fn os_altnames(stack: &str, name: &str) -> Vec<String> {
    let v = ip_link(stack, name).unwrap_or_else(|| panic!("{name} not in {stack}"));
    v["altnames"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A mark put on a veth end through the backend is in the listing and in `ip`'s altnames,
/// travels with the kernel's own move, and is gone after `del_mark`; removing a mark that is
/// not there is no error.
#[cfg(target_os = "linux")]
#[test]
fn mark_travels_with_a_native_move() {
    use ifclone::backend::prelude::*;
    use ifclone::{IfSel, MARK_PREFIX};
    let a = StackGuard::new("marka");
    let b = StackGuard::new("markb");
    let made = create(&a, &epair("mk0", "mk1"));
    let sys = ifclone::system();
    let mark = format!(
        "{MARK_PREFIX}test.{}.{}",
        std::process::id(),
        made.iface.index
    );
    assert!(sys
        .add_mark(a.handle(), made.iface.index, &mark)
        .expect("add_mark"));
    // Putting it on again is fine (the kernel says EEXIST; it is this interface's).
    assert!(sys
        .add_mark(a.handle(), made.iface.index, &mark)
        .expect("add_mark again"));
    assert_eq!(os_altnames(a.name(), "mk0"), vec![mark.clone()]);
    let listed = a.interfaces().expect("list");
    let l = listed.iter().find(|i| i.name == "mk0").expect("mk0 listed");
    assert_eq!(l.mark.as_deref(), Some(mark.as_str()), "{l:?}");
    let p = listed.iter().find(|i| i.name == "mk1").expect("mk1 listed");
    assert_eq!(p.mark, None, "the peer carries no mark: {p:?}");
    assert_eq!(
        a.interface("mk0").unwrap().mark.as_deref(),
        Some(mark.as_str())
    );

    let index = sys
        .move_native(a.handle(), IfSel::Name(n("mk0")), b.handle(), None)
        .expect("move_native");
    assert!(
        ip_link(a.name(), "mk0").is_none(),
        "mk0 still in {}",
        a.name()
    );
    assert_eq!(os_altnames(b.name(), "mk0"), vec![mark.clone()]);
    let there = b.interface("mk0").expect("mk0 in b");
    assert_eq!(there.index, index);
    assert_eq!(there.mark.as_deref(), Some(mark.as_str()), "{there:?}");

    // A mark is a name: another interface of the stack cannot carry it too.
    let br = create(&b, &CreateRequest::new(KindSpec::Bridge).named(n("mkbr")));
    let e = expect_err(
        sys.add_mark(b.handle(), br.iface.index, &mark),
        "Exists",
        "the same mark on a second interface",
    );
    assert_msg_has(&e, &["add mark", b.name()]);
    assert!(os_altnames(b.name(), "mkbr").is_empty());

    sys.del_mark(b.handle(), index, &mark).expect("del_mark");
    assert!(os_altnames(b.name(), "mk0").is_empty());
    assert_eq!(b.interface("mk0").unwrap().mark, None);
    // Not there (ENOENT), and carried by another interface (EINVAL): neither is an error, and
    // the other interface keeps its own.
    sys.del_mark(b.handle(), index, &mark)
        .expect("del_mark of an absent mark");
    assert!(sys.add_mark(b.handle(), br.iface.index, &mark).unwrap());
    sys.del_mark(b.handle(), index, &mark)
        .expect("del_mark of another interface's mark");
    assert_eq!(os_altnames(b.name(), "mkbr"), vec![mark.clone()]);
    // An interface that is not there is.
    let e = expect_err(
        sys.del_mark(b.handle(), 999_999, &mark),
        "NotFound",
        "del_mark on a missing interface",
    );
    assert_msg_has(&e, &["del mark", "#999999", b.name(), "ENODEV"]);
    // And what is not a mark is refused before the kernel.
    let e = expect_err(
        sys.add_mark(b.handle(), index, "not-ours"),
        "InvalidArgument",
        "a mark without the prefix",
    );
    assert_eq!(e.errno(), None);
}

// ---------------------------------------------------------------------------------------------
// The cloner registry against what the OS tool can actually create
// ---------------------------------------------------------------------------------------------

/// Whether `ip` can create `kind` in `stack` (also loads the kernel module where it can, so do
/// this before asking the registry).
#[cfg(target_os = "linux")]
fn ip_can_create(stack: &str, kind: &str) -> bool {
    let probe = format!("pr{kind}");
    let mut args = vec!["-n", stack, "link", "add", probe.as_str()];
    match kind {
        "vlan" => args.extend(["link", "pp0", "type", "vlan", "id", "5"]),
        k => args.extend(["type", k]),
    }
    let ok = ip_ok(&args);
    if ok {
        let _ = ip(&["-n", stack, "link", "del", probe.as_str()]);
    }
    ok
}

#[cfg(target_os = "linux")]
#[test]
fn cloners_match_what_the_kernel_can_create() {
    let g = StackGuard::new("cloners");
    assert!(ip_ok(&[
        "-n",
        g.name(),
        "link",
        "add",
        "pp0",
        "type",
        "veth",
        "peer",
        "name",
        "pp1"
    ]));
    let probes: Vec<(KindName, bool)> = [
        (KindName::Vlan, "vlan"),
        (KindName::Bond, "bond"),
        (KindName::Dummy, "dummy"),
        (KindName::Bridge, "bridge"),
        (KindName::Macvlan, "macvlan"),
        (KindName::Vxlan, "vxlan"),
    ]
    .into_iter()
    .map(|(k, s)| {
        let can = if s == "macvlan" {
            ip_ok(&[
                "-n",
                g.name(),
                "link",
                "add",
                "prm",
                "link",
                "pp0",
                "type",
                "macvlan",
            ]) && ip_ok(&["-n", g.name(), "link", "del", "prm"])
        } else if s == "vxlan" {
            ip_ok(&[
                "-n",
                g.name(),
                "link",
                "add",
                "prx",
                "type",
                "vxlan",
                "id",
                "7",
                "dstport",
                "4789",
            ]) && ip_ok(&["-n", g.name(), "link", "del", "prx"])
        } else {
            ip_can_create(g.name(), s)
        };
        (k, can)
    })
    .collect();

    let host = Stack::host()
        .expect("Stack::host")
        .cloners()
        .expect("host cloners");
    let inside = g.cloners().expect("cloners in a test stack");
    for must in [
        KindName::Epair,
        KindName::Tap,
        KindName::Tun,
        KindName::Bridge,
        KindName::Macvlan,
        KindName::Macvtap,
        KindName::Vxlan,
    ] {
        assert!(host.contains(&must), "host cloners {host:?} lack {must}");
        assert!(
            inside.contains(&must),
            "stack cloners {inside:?} lack {must}"
        );
    }
    for (k, can) in probes {
        assert_eq!(
            host.contains(&k),
            can,
            "host cloners {host:?}: {k} listed = {}, but ip can create it = {can}",
            host.contains(&k)
        );
        assert_eq!(
            inside.contains(&k),
            can,
            "stack cloners {inside:?} vs ip for {k}"
        );
    }
    let mut sorted = host.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), host.len(), "duplicates in {host:?}");
}

/// A kind whose kernel module is not loaded is `Unsupported`, names the module (Linux) and
/// carries the kernel's own text; nothing is left behind.
#[test]
fn creating_a_kind_the_registry_lacks_is_unsupported() {
    let g = StackGuard::new("unsupp");
    create(&g, &epair("up0", "up1"));
    let have = g.cloners().expect("cloners");
    let vlan = KindSpec::Vlan {
        parent: n("up0"),
        id: 5,
        proto: ifclone::VlanProto::Dot1Q,
    };
    let mut tried = 0;
    // The kind as Linux calls it, and the module that provides it.
    for (k, spec, linux, module) in [
        (KindName::Dummy, KindSpec::Dummy, "dummy", "dummy"),
        (
            KindName::Bond,
            KindSpec::Bond {
                mode: Default::default(),
                miimon: None,
            },
            "bond",
            "bonding",
        ),
        (KindName::Vlan, vlan, "vlan", "8021q"),
    ] {
        if have.contains(&k) {
            continue;
        }
        tried += 1;
        let before = snapshot(g.name());
        let e = expect_err(
            g.create_interface(&CreateRequest::new(spec).named(n("nothere0"))),
            "Unsupported",
            &format!("create a {k} the kernel lacks"),
        );
        assert_msg_has(&e, &["create", "nothere0", g.name()]);
        #[cfg(target_os = "linux")]
        {
            assert_msg_has(
                &e,
                &[
                    &format!("this kernel has no {linux} support loaded ({module})"),
                    "EOPNOTSUPP",
                    "Unknown device type",
                ],
            );
            assert!(!e.to_string().contains("cannot create"), "{e}");
        }
        let _ = (linux, module);
        assert_eq!(before, snapshot(g.name()), "a failed create left something");
    }
    if tried == 0 {
        eprintln!("note: this kernel has dummy, bond and vlan: nothing to check");
    }
}

// ---------------------------------------------------------------------------------------------
// destroy_many
// ---------------------------------------------------------------------------------------------

#[test]
fn destroy_many_fifty_pairs_keeps_the_rest() {
    let g = StackGuard::new("many");
    let keep = create(&g, &epair("keep0", "keep1"));
    create(&g, &CreateRequest::new(KindSpec::Bridge).named(n("keepbr")));
    // Linux: survivors sit in interface groups of their own; a bulk delete by group must not
    // take them.
    #[cfg(target_os = "linux")]
    for (name, group) in [("keep0", 1), ("keep1", 2), ("keepbr", 3)] {
        g.set(
            name,
            &ifclone::Change {
                group: Some(group),
                ..Default::default()
            },
        )
        .expect("set group");
    }
    let mut names = vec![];
    for i in 0..50 {
        create(&g, &epair(&format!("m{i}a"), &format!("m{i}b")));
        names.push(format!("m{i}a"));
        // Half of the pairs are named by both ends: the second is gone by the time the
        // kernel gets to it, which is not an error.
        if i % 2 == 0 {
            names.push(format!("m{i}b"));
        }
    }
    assert_eq!(os_names(g.name()).len(), 1 + 2 + 1 + 100);
    g.destroy_many(&names).expect("destroy_many");

    let left = os_names(g.name());
    let leaked: Vec<&String> = left.iter().filter(|x| x.starts_with('m')).collect();
    assert!(leaked.is_empty(), "destroy_many left {leaked:?}");
    for k in [LOOPBACK, "keep0", "keep1", "keepbr"] {
        assert!(left.iter().any(|x| x == k), "{k} did not survive: {left:?}");
    }
    let k0 = g.interface("keep0").expect("keep0 still there");
    assert_eq!(k0.index, keep.iface.index);
    #[cfg(target_os = "linux")]
    for (name, group) in [("keep0", 1), ("keep1", 2), ("keepbr", 3)] {
        let i = g.interface(name).expect("survivor");
        assert_eq!(i.group, group, "the survivor's group changed: {i:?}");
        #[cfg(target_os = "linux")]
        assert_eq!(ip_link(g.name(), name).unwrap()["group"], group.to_string());
    }
    assert_eq!(g.interfaces().expect("list").len(), 4);
}

/// Every name is checked before anything is destroyed: one that is not there makes the whole
/// call `NotFound` (naming it) and destroys nothing.
#[test]
fn destroy_many_with_a_missing_name_destroys_nothing() {
    let g = StackGuard::new("manygone");
    create(&g, &epair("da", "db"));
    create(&g, &CreateRequest::new(KindSpec::Bridge).named(n("dbr")));
    let before = snapshot(g.name());
    let e = expect_err(
        g.destroy_many(&["da", "nosuch0", "dbr", "nosuch1"]),
        "NotFound",
        "destroy_many with missing names",
    );
    assert_msg_has(&e, &["destroy", "nosuch0", "nosuch1", g.name()]);
    assert_eq!(before, snapshot(g.name()), "destroy_many changed something");
    // Both ends of one pair are fine: the second is gone by the time the kernel gets to it.
    g.destroy_many(&["da", "db", "dbr"])
        .expect("destroy_many of both ends and a bridge");
    assert_eq!(os_names(g.name()), vec![LOOPBACK.to_string()]);
}

#[test]
fn destroy_many_of_nothing_is_ok() {
    let g = StackGuard::new("manynone");
    let none: [&str; 0] = [];
    g.destroy_many(&none).expect("destroy_many of nothing");
    assert_eq!(os_names(g.name()), vec![LOOPBACK.to_string()]);
}
