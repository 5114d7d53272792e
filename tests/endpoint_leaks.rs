//! No descriptor leaks: 1000 attach/detach cycles of a 2-queue tap endpoint leave the process
//! with the descriptors it had and the stack as it was. Alone in its binary, so that no other
//! test opens descriptors meanwhile. Real kernel, as root.

#![cfg(target_os = "linux")]

mod common;

use common::*;
use ifclone::endpoint::{attach, Endpoint, NetInfo, TapInfo};
use ifclone::IfName;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn a_thousand_attach_detach_cycles_leak_nothing() {
    require_root();
    let s = StackGuard::new("ep-leak");
    let before = snapshot(s.name());
    let e = Endpoint::Tap {
        net: NetInfo {
            name: IfName::new("leak0").unwrap(),
            mac: None,
            mtu: 1500,
            addresses: vec![],
            routes: vec![],
        },
        tap: TapInfo {
            name: IfName::new("leak0").unwrap(),
            queues: 2,
            vnet_hdr: true,
            vhost: false,
        },
    };
    // One cycle first: the backend's long-lived sockets (this stack's netlink socket, the
    // netns worker) are opened once and stay.
    attach(s.stack(), &e).unwrap().detach().unwrap();
    let fds = open_fds();
    for k in 0..1000 {
        let a = attach(s.stack(), &e).unwrap_or_else(|e| panic!("cycle {k}: {e}"));
        assert_eq!(a.fds().unwrap().queues(), 2);
        a.detach().unwrap_or_else(|e| panic!("cycle {k}: {e}"));
    }
    assert_eq!(open_fds(), fds, "descriptors leaked over 1000 cycles");
    assert_eq!(snapshot(s.name()), before, "something outlived its detach");
}
