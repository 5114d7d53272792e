//! A real hypervisor consumes ifclone's descriptors: the project's qemu guest (Debian's kernel,
//! `ci/run-in-vm.sh`) boots on this host with a virtio-net device on a 2-queue tap attached by
//! ifclone (`-netdev tap,fds=…`), and the guest pings the stack on the tap's other side — for
//! model none (the tap alone, addressed, in a stack of its own) and for the bridged model (the
//! tap bridged to a veth in a container stack; the guest pings the veth's peer in a third
//! stack). It boots QEMU from the host, so it is ignored in the host suite and run by
//! `ci/test-all.sh` on the host with `--ignored`; the VM suite skips it by name (QEMU inside the
//! guest would take minutes). Real kernel, as root.

#![cfg(target_os = "linux")]

mod common;

use std::process::Command;

use common::*;
use ifclone::endpoint::{attach, Attached, Endpoint, Model, NetInfo, TapInfo};
use ifclone::{CreateRequest, IfName, KindSpec};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

fn net(name: &str) -> NetInfo {
    NetInfo {
        name: n(name),
        mac: Some("52:54:00:ee:00:01".parse().unwrap()),
        mtu: 1500,
        addresses: vec![],
        routes: vec![],
    }
}

fn tap(name: &str) -> TapInfo {
    TapInfo {
        name: n(name),
        queues: 2,
        vnet_hdr: true,
        vhost: false, // the development host's kernel has no vhost-net
    }
}

/// Boots the guest with the endpoint's fds as its NIC; in the guest: the NIC up with
/// `guest_ip`, then pings `target`. The guest's exit status and what it printed.
fn boot_and_ping(a: &Attached, guest_ip: &str, target: &str) -> (bool, String) {
    let fds = a.fds().expect("a tap endpoint has fds");
    assert_eq!(fds.queues(), 2);
    let child = fds.for_child().expect("inheritable copies");
    let opts = format!(
        "-netdev {} -device virtio-net-pci,netdev=n0,mq=on,vectors=6,mac=52:54:00:ee:00:01",
        child.qemu_netdev("n0")
    );
    let script = format!(
        "ip link set eth0 up && ip addr add {guest_ip} dev eth0 && \
         ethtool -L eth0 combined 2 2>/dev/null; ping -c 3 -W 3 {target}"
    );
    let out = Command::new("ci/run-in-vm.sh")
        .env("VMTEST_FAILOVER_NIC", "0")
        .env("VMTEST_MODULES", "virtio_net")
        .env("VMTEST_TIMEOUT", "300")
        .env("VMTEST_QEMU_OPTS", &opts)
        .args(["bash", "-c", &script])
        .output()
        .expect("ci/run-in-vm.sh");
    drop(child);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
#[ignore = "boots the qemu guest on this host: run by ci/test-all.sh with --ignored, skipped in the VM suite"]
fn a_hypervisor_boots_on_ifclones_taps_and_pings_through_them() {
    require_root();
    // Model none: the tap alone in stack `s`, addressed there.
    let s = StackGuard::new("hv-none");
    let a = attach(
        s.stack(),
        &Endpoint::Tap {
            net: net("hvtap0"),
            tap: tap("hvtap0"),
        },
    )
    .expect("attach the tap");
    s.add_address("hvtap0", "10.97.5.1/24".parse().unwrap())
        .unwrap();
    let (ok, out) = boot_and_ping(&a, "10.97.5.2/24", "10.97.5.1");
    assert!(
        ok,
        "model none: the guest could not ping the tap's stack:\n{out}"
    );
    a.detach().expect("detach");
    assert!(ip_link(s.name(), "hvtap0").is_none());

    // Bridged: the tap and the container's veth in a bridge; the guest pings the veth's peer.
    let (c, h) = (StackGuard::new("hv-br-c"), StackGuard::new("hv-br-h"));
    let req = CreateRequest::new(KindSpec::Epair {
        peer_name: Some(n("p0")),
    })
    .named(n("eth0"));
    c.create_placed(&req, None, Some(h.stack())).unwrap();
    c.set_up("eth0", true).unwrap();
    h.set_up("p0", true).unwrap();
    h.add_address("p0", "10.97.6.1/24".parse().unwrap())
        .unwrap();
    let a = attach(
        c.stack(),
        &Endpoint::Epair {
            net: net("eth0"),
            peer: n("p0"),
            model: Model::Bridged {
                bridge: n("br0_vm"),
            },
            tap: tap("tap0_vm"),
        },
    )
    .expect("attach bridged");
    let (ok, out) = boot_and_ping(&a, "10.97.6.2/24", "10.97.6.1");
    assert!(
        ok,
        "bridged: the guest could not ping the veth's peer:\n{out}"
    );
    a.detach().expect("detach");
    assert!(ip_link(c.name(), "br0_vm").is_none());
}
