//! Taps for hypervisors and the descriptors they get, on the real kernel (as root): the tap
//! options as `ip -d` shows them, a tap that goes with its last descriptor, a queue detached
//! and attached again, the descriptor bundle's invariant, and vhost-net (which the development
//! host's kernel lacks: `Unsupported` there; the VM suite's guest has it).

// Linux tun/tap and vhost-net, observed with `ip`; FreeBSD's tap refuses these options
// (type-checked).
#![cfg(target_os = "linux")]

mod common;

use common::*;
use ifclone::endpoint::{set_queue_attached, vhost_fds, EndpointFds};
use ifclone::{CreateRequest, Error, IfName, KindSpec, Queues, TapOptions};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

/// What a hypervisor's tap is made with: a vnet header, gone with its last fd, root's.
fn vm_tap() -> TapOptions {
    TapOptions {
        vnet_hdr: true,
        persist: false,
        owner: Some(0),
        group: Some(0),
    }
}

#[test]
fn a_tap_for_a_hypervisor_as_ip_shows_it() {
    require_root();
    let s = StackGuard::new("ep-tap");
    let req = CreateRequest::new(KindSpec::Tap { queues: 4 }).named(n("vmtap0"));
    let made = s.create_tap(&req, &vm_tap()).expect("create the tap");
    assert_eq!(made.fds.len(), 4);
    let v = ip_link(s.name(), "vmtap0").expect("the tap, by ip");
    let d = info_data(&v);
    assert_eq!(d["type"], "tap", "{v}");
    assert_eq!(d["pi"], false, "{v}");
    assert_eq!(d["vnet_hdr"], true, "{v}");
    assert_eq!(d["multi_queue"], true, "{v}");
    assert_eq!(d["numqueues"], 4, "{v}");
    assert_eq!(d["persist"], false, "{v}");
    assert_eq!(d["user"], "root", "{v}");
    assert_eq!(d["group"], "root", "{v}");

    // A queue detached stays open and gets no frames; attached again, it is back.
    let q = made.fds.iter().nth(2).unwrap();
    set_queue_attached(q, false).expect("detach");
    assert_eq!(
        info_data(&ip_link(s.name(), "vmtap0").unwrap())["numdisabled"],
        1
    );
    set_queue_attached(q, true).expect("attach");
    assert_eq!(
        info_data(&ip_link(s.name(), "vmtap0").unwrap())["numdisabled"],
        0
    );

    // Not persistent: it goes with its last descriptor.
    let fds = EndpointFds::new(made.fds, Vec::new()).expect("the bundle");
    assert_eq!(fds.device().0, "vmtap0");
    drop(fds);
    assert!(
        ip_link(s.name(), "vmtap0").is_none(),
        "the tap outlived its fds"
    );

    // The default options are a plain tap's: persistent, no vnet header.
    let req = CreateRequest::new(KindSpec::Tap { queues: 1 }).named(n("vmtap1"));
    drop(s.create_tap(&req, &TapOptions::default()).unwrap());
    let d = ip_link(s.name(), "vmtap1").expect("persistent: still there");
    assert_eq!(info_data(&d)["vnet_hdr"], false);
    assert_eq!(info_data(&d)["persist"], true);
    // Tap options on another kind are refused before anything is made.
    let req = CreateRequest::new(KindSpec::Bridge).named(n("vmbr0"));
    let e = s.create_tap(&req, &vm_tap()).unwrap_err();
    assert_eq!(variant(&e), "InvalidArgument", "{e}");
    assert!(ip_link(s.name(), "vmbr0").is_none());
}

/// The bundle holds its invariant: at least one queue, all of one device, in order, and no
/// vhost fds or one per queue.
#[test]
fn the_descriptor_bundle_keeps_its_invariant() {
    require_root();
    let s = StackGuard::new("ep-fds");
    let tap = |name: &str, q: u16| {
        let req = CreateRequest::new(KindSpec::Tap { queues: q }).named(n(name));
        s.create_tap(&req, &vm_tap()).unwrap().fds
    };
    let devnull = || std::os::fd::OwnedFd::from(std::fs::File::open("/dev/null").unwrap());
    // One vhost fd for two queues.
    let e = EndpointFds::new(tap("vmf0", 2), vec![devnull()]).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    // No queue at all.
    let none = Queues::of(n("x"), 1, ifclone::FdKind::TapQueue, Vec::new());
    assert!(EndpointFds::new(none, Vec::new()).is_err());
    // Good: two queues, two vhost fds; QEMU's -netdev names them in order.
    let ok = EndpointFds::new(tap("vmf3", 2), vec![devnull(), devnull()]).unwrap();
    assert_eq!(ok.queues(), 2);
    let netdev = ok.qemu_netdev("n0");
    let taps: Vec<String> = ok
        .taps()
        .map(|f| std::os::fd::AsRawFd::as_raw_fd(&f).to_string())
        .collect();
    let vh: Vec<String> = ok
        .vhosts()
        .map(|f| std::os::fd::AsRawFd::as_raw_fd(&f).to_string())
        .collect();
    assert_eq!(
        netdev,
        format!(
            "tap,id=n0,fds={},vhost=on,vhostfds={}",
            taps.join(":"),
            vh.join(":")
        )
    );
}

/// vhost-net where the kernel has it (the VM suite's guest); `Unsupported` where it has not
/// (the development host): both are checked, whichever kernel this runs on, and said.
#[test]
fn vhost_net_descriptors_or_a_clear_unsupported() {
    require_root();
    let here = std::path::Path::new("/dev/vhost-net").exists();
    match vhost_fds(2, false) {
        Ok(v) => {
            assert!(here, "vhost fds without /dev/vhost-net?");
            assert_eq!(v.len(), 2);
            eprintln!("vhost-net: present, 2 descriptors opened");
        }
        Err(e) => {
            assert!(!here, "/dev/vhost-net is there but: {e}");
            assert_eq!(variant(&e), "Unsupported", "{e}");
            eprintln!("vhost-net: absent, {e}");
        }
    }
}

/// vhost-net opened and owned inside the guest's kernel: each descriptor is /dev/vhost-net,
/// owned by this process (a second owner would be refused, which is why `own` is off for fds
/// handed to a hypervisor).
#[test]
#[ignore = "needs vhost-net: runs in the VM (ci/test-vm.sh)"]
fn vhost_net_descriptors_open_and_owned() {
    require_root();
    let v = vhost_fds(4, true).expect("vhost-net in the guest");
    assert_eq!(v.len(), 4);
    for f in &v {
        let link = std::fs::read_link(format!(
            "/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(f)
        ))
        .unwrap();
        assert_eq!(link, std::path::Path::new("/dev/vhost-net"));
    }
    let s = StackGuard::new("ep-vhost");
    let req = CreateRequest::new(KindSpec::Tap { queues: 4 }).named(n("vmvh0"));
    let made = s.create_tap(&req, &vm_tap()).unwrap();
    let fds = EndpointFds::new(made.fds, v).expect("4 taps, 4 vhosts");
    assert!(fds.qemu_netdev("n0").contains(",vhost=on,vhostfds="));
}

// ---------------------------------------------------------------------------------------------
// attach / detach: every interworking model on the real kernel
// ---------------------------------------------------------------------------------------------

use ifclone::endpoint::{attach, Endpoint, Model, NetInfo, TapInfo};

fn net(name: &str) -> NetInfo {
    NetInfo {
        name: n(name),
        mac: Some("02:00:00:00:5e:01".parse().unwrap()),
        mtu: 1500,
        addresses: vec!["10.98.0.2/24".parse().unwrap()],
        routes: vec![],
    }
}

fn tap_info(name: &str, queues: u16) -> TapInfo {
    TapInfo {
        name: n(name),
        queues,
        vnet_hdr: false,
        vhost: false,
    }
}

/// A container stack `c` whose `eth0` is a veth end, up (as a CNI plugin leaves it); its peer
/// `p0` (10.98.0.1/24, up) is in stack `h`. (An interface brought up for the first time gets
/// the kernel's default qdisc, which stays after it goes down: a down `eth0` would not look the
/// same after detach, through no doing of ifclone's.)
fn container(c: &ifclone::Stack, h: &ifclone::Stack) {
    let req = CreateRequest::new(KindSpec::Epair {
        peer_name: Some(n("p0")),
    })
    .named(n("eth0"));
    c.create_placed(&req, None, Some(h)).expect("veth");
    c.set_up("eth0", true).unwrap();
    h.set_up("p0", true).unwrap();
    h.add_address("p0", "10.98.0.1/24".parse().unwrap())
        .unwrap();
}

/// Whether a frame of `ethertype` can be read from one of the fds within `ms` (the peer's ARP
/// for an address on the VM's side reaches the tap when the model joins them).
fn frame_on(fds: &ifclone::endpoint::EndpointFds, ethertype: u16, ms: u64) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    while std::time::Instant::now() < deadline {
        let taps: Vec<_> = fds.taps().collect();
        let mut pf: Vec<PollFd> = taps
            .iter()
            .map(|f| PollFd::new(*f, PollFlags::POLLIN))
            .collect();
        if poll(&mut pf, PollTimeout::from(100u16)).unwrap_or(0) == 0 {
            continue;
        }
        for (k, p) in pf.iter().enumerate() {
            if p.revents().is_some_and(|r| r.contains(PollFlags::POLLIN)) {
                let mut buf = [0u8; 2048];
                let got = nix::unistd::read(taps[k], &mut buf).unwrap_or(0);
                if got >= 14 && u16::from_be_bytes([buf[12], buf[13]]) == ethertype {
                    return true;
                }
            }
        }
    }
    false
}

/// The peer asks for the VM's address (one ping, which nobody answers): its ARP request.
fn arp_from_peer(h: &str) {
    let _ = exec_in(h, &["ping", "-c", "1", "-W", "1", "10.98.0.2"]);
}

#[test]
fn model_none_a_tap_alone_then_nothing() {
    require_root();
    let s = StackGuard::new("ep-none");
    let before = snapshot(s.name());
    let e = Endpoint::Tap {
        net: net("vtap0"),
        tap: tap_info("vtap0", 2),
    };
    let a = attach(s.stack(), &e).expect("attach");
    assert_eq!(a.fds().unwrap().queues(), 2);
    let v = ip_link(s.name(), "vtap0").expect("the tap");
    assert_eq!(info_data(&v)["numqueues"], 2);
    assert_eq!(info_data(&v)["persist"], false);
    // Its name is taken now: a second attach is refused before anything changes.
    let e2 = attach(s.stack(), &e).unwrap_err();
    assert_eq!(variant(&e2), "Exists", "{e2}");
    a.detach().expect("detach");
    assert_eq!(snapshot(s.name()), before, "detach left something");
}

#[test]
fn bridged_model_joins_the_veth_and_the_tap_and_detach_undoes_it() {
    require_root();
    let (c, h) = (StackGuard::new("ep-br-c"), StackGuard::new("ep-br-h"));
    container(c.stack(), h.stack());
    let before = snapshot(c.name());
    let e = Endpoint::Epair {
        net: net("eth0"),
        peer: n("p0"),
        model: Model::Bridged {
            bridge: n("br0_vm"),
        },
        tap: tap_info("tap0_vm", 2),
    };
    let a = attach(c.stack(), &e).expect("attach");
    assert_eq!(ip_link(c.name(), "eth0").unwrap()["master"], "br0_vm");
    assert_eq!(ip_link(c.name(), "tap0_vm").unwrap()["master"], "br0_vm");
    arp_from_peer(h.name());
    assert!(
        frame_on(a.fds().unwrap(), 0x0806, 5000),
        "the peer's ARP never reached the tap"
    );
    a.detach().expect("detach");
    assert_eq!(snapshot(c.name()), before, "detach left something");
}

#[test]
fn tc_filter_model_redirects_both_ways_and_detach_undoes_it() {
    require_root();
    let (c, h) = (StackGuard::new("ep-tc-c"), StackGuard::new("ep-tc-h"));
    container(c.stack(), h.stack());
    let before = snapshot(c.name());
    let e = Endpoint::Epair {
        net: net("eth0"),
        peer: n("p0"),
        model: Model::TcFilter,
        tap: tap_info("tap0_vm", 1),
    };
    let mut a = attach(c.stack(), &e).expect("attach");
    let tc = |dev: &str| {
        let o = exec_in(c.name(), &["tc", "filter", "show", "dev", dev, "ingress"]);
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(
        tc("eth0").contains("Egress Redirect to device tap0_vm"),
        "{}",
        tc("eth0")
    );
    assert!(
        tc("tap0_vm").contains("Egress Redirect to device eth0"),
        "{}",
        tc("tap0_vm")
    );
    arp_from_peer(h.name());
    let fds = a.take_fds().unwrap();
    assert!(
        frame_on(&fds, 0x0806, 5000),
        "the peer's ARP never reached the tap"
    );
    // The other way: a frame the VM writes into the tap leaves through eth0 to the peer.
    let frame = {
        let mut f = vec![0xffu8; 6]; // broadcast
        f.extend_from_slice(&[0x02, 0, 0, 0, 0x5e, 0x01]);
        f.extend_from_slice(&0x88b5u16.to_be_bytes()); // local experimental ethertype
        f.extend_from_slice(b"from the vm: ifclone tc-filter test");
        f
    };
    let out = exec_in(h.name(), &["ip", "-s", "-j", "link", "show", "p0"]);
    let count = |o: &std::process::Output| -> u64 {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v[0]["stats64"]["rx"]["packets"].as_u64().unwrap()
    };
    let was = count(&out);
    let tap0 = fds.taps().next().unwrap();
    nix::unistd::write(tap0, &frame).expect("write a frame into the tap");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let now = count(&exec_in(
            h.name(),
            &["ip", "-s", "-j", "link", "show", "p0"],
        ));
        if now > was {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the VM's frame never reached the peer"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(fds);
    a.detach().expect("detach");
    assert!(!tc("eth0").contains("mirred"), "a redirect outlived detach");
    assert_eq!(snapshot(c.name()), before, "detach left something");
}

#[test]
fn macvtap_model_and_endpoint() {
    require_root();
    let (c, h) = (StackGuard::new("ep-mvt-c"), StackGuard::new("ep-mvt-h"));
    container(c.stack(), h.stack());
    let before = snapshot(c.name());
    let e = Endpoint::Epair {
        net: net("eth0"),
        peer: n("p0"),
        model: Model::Macvtap,
        tap: tap_info("mvtap0", 2),
    };
    let a = attach(c.stack(), &e).expect("attach");
    let v = ip_link(c.name(), "mvtap0").expect("the macvtap");
    assert_eq!(v["linkinfo"]["info_kind"], "macvtap", "{v}");
    assert_eq!(v["link"], "eth0", "{v}");
    assert_eq!(a.fds().unwrap().queues(), 2);
    a.detach().expect("detach");
    assert_eq!(snapshot(c.name()), before, "detach left something");
    // A macvtap endpoint of its own, on the veth as its parent.
    let e = Endpoint::Macvtap {
        net: net("mvtap1"),
        parent: n("eth0"),
        mode: ifclone::MacvlanMode::Bridge,
        queues: 1,
        vhost: false,
    };
    let a = attach(c.stack(), &e).expect("attach a macvtap endpoint");
    assert_eq!(
        ip_link(c.name(), "mvtap1").unwrap()["address"],
        "02:00:00:00:5e:01"
    );
    a.detach().unwrap();
    assert_eq!(snapshot(c.name()), before);
}

/// What no model can build is refused before anything changes.
#[test]
fn impossible_attachments_change_nothing() {
    require_root();
    let (c, h) = (StackGuard::new("ep-bad-c"), StackGuard::new("ep-bad-h"));
    container(c.stack(), h.stack());
    let before = snapshot(c.name());
    let cases = [
        (
            "model none on a veth",
            Endpoint::Epair {
                net: net("eth0"),
                peer: n("p0"),
                model: Model::None,
                tap: tap_info("tap0_vm", 1),
            },
            "InvalidArgument",
        ),
        (
            "a missing interface",
            Endpoint::Epair {
                net: net("eth9"),
                peer: n("p0"),
                model: Model::TcFilter,
                tap: tap_info("tap0_vm", 1),
            },
            "NotFound",
        ),
        (
            "a tap named as the veth",
            Endpoint::Epair {
                net: net("eth0"),
                peer: n("p0"),
                model: Model::TcFilter,
                tap: tap_info("eth0", 1),
            },
            "Exists",
        ),
        (
            "zero queues",
            Endpoint::Tap {
                net: net("tap5"),
                tap: tap_info("tap5", 0),
            },
            "InvalidArgument",
        ),
        (
            "a physical NIC",
            Endpoint::Physical {
                net: net("eth0"),
                device: None,
            },
            "Unsupported",
        ),
    ];
    for (what, e, want) in cases {
        let err = attach(c.stack(), &e).unwrap_err();
        assert_eq!(variant(&err), want, "{what}: {err}");
        assert_eq!(snapshot(c.name()), before, "{what} changed something");
    }
}
