//! Benchmark of failover groups, beside `ip -batch` doing the same by hand, in the same run.
//!
//! ```text
//! cargo build --release --examples
//! ci/run-in-vm.sh ./target/release/examples/bench_failover [--reps 10]   # needs bonding: the VM
//! ```
//!
//! Run as root on Linux with the bonding module (the project's qemu guest has it; the
//! development host does not). Each sample works in fresh namespaces `ifcbenchf-<pid>-<n>`: the
//! group's stack holds veth ends `pa`, `pb`, whose peers are ports of a bridge (10.78.0.2/24) in
//! a second stack, both ends up.
//!
//! - **create a 2-port failover group**: ifclone's `FailoverGroup::create` (bond, miimon 100, pa
//!   primary, pb standby, up) against `ip -batch` with the same result, which has to take each
//!   port down before it joins (the bonding driver refuses an up port). Wall time of the work,
//!   in this process for ifclone and of the whole `ip` process for ip; a row gives what
//!   starting `ip` on an empty batch costs, to read it against.
//! - **failover**: the active port set down (the request returning) → the watcher's `Changed
//!   [active-port]` event; and → the first ping through the bond that succeeds (one `ping -c 1
//!   -W 1` after another).
//! - **move the 2-port group to another stack** (its address carried): ifclone's `vmove` of the
//!   bond (one transaction: ports moved natively, the bond re-created, the ports joined, primary
//!   and active port restored, verified, recorded) against two `ip -batch` runs by hand (in the
//!   source: each port into the target, the bond deleted; in the target: the bond made again
//!   with its MAC, the ports joined, the primary, the address, up). Then the first ping in the
//!   target, for ifclone's.

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    linux::main()
}

#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    eprintln!("bench_failover: needs Linux bonding");
    std::process::ExitCode::from(2)
}

#[cfg(target_os = "linux")]
mod linux {
    use std::process::{Command, ExitCode};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::{Duration, Instant};

    use ifclone::failover::{FailoverGroup, GroupSpec};
    use ifclone::watch::Watcher;
    use ifclone::{CreateRequest, IfAddr, IfName, KindSpec, Stack};

    static N: AtomicU32 = AtomicU32::new(0);

    fn n(s: &str) -> IfName {
        IfName::new(s).unwrap()
    }

    /// A fresh namespace made by `ip`, removed on drop.
    struct Ns(String);
    impl Ns {
        fn new() -> Ns {
            let name = format!(
                "ifcbenchf-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            );
            let ok = Command::new("ip").args(["netns", "add", &name]).status();
            assert!(ok.is_ok_and(|s| s.success()), "ip netns add {name}");
            Ns(name)
        }
        fn stack(&self) -> Stack {
            Stack::open_name(&self.0).expect("open")
        }
    }
    impl Drop for Ns {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        }
    }

    /// The group's stack and the network stack, wired and up.
    fn wired() -> (Ns, Ns) {
        let (g, net) = (Ns::new(), Ns::new());
        let (gs, ns) = (g.stack(), net.stack());
        for (here, there) in [("pa", "na"), ("pb", "nb")] {
            let req = CreateRequest::new(KindSpec::Epair {
                peer_name: Some(n(there)),
            })
            .named(n(here));
            gs.create_placed(&req, None, Some(&ns)).expect("epair");
            gs.set_up(here, true).unwrap();
        }
        let mut br = CreateRequest::new(KindSpec::Bridge).named(n("br0"));
        br.up = true;
        ns.create_interface(&br).unwrap();
        for p in ["na", "nb"] {
            ns.add_port("br0", p).unwrap();
            ns.set_up(p, true).unwrap();
        }
        ns.add_address(
            "br0",
            IfAddr {
                addr: "10.78.0.2".parse().unwrap(),
                prefix_len: 24,
            },
        )
        .unwrap();
        (g, net)
    }

    fn ping(ns: &str) -> bool {
        Command::new("ip")
            .args([
                "netns",
                "exec",
                ns,
                "ping",
                "-c",
                "1",
                "-W",
                "1",
                "10.78.0.2",
            ])
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn median(v: &mut [Duration]) -> Duration {
        v.sort();
        v[v.len() / 2]
    }

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1e3
    }

    pub fn main() -> ExitCode {
        let args: Vec<String> = std::env::args().collect();
        let reps = args
            .iter()
            .position(|a| a == "--reps")
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(10usize);
        let (mut ours, mut theirs, mut event, mut traffic) = (vec![], vec![], vec![], vec![]);
        let (mut moved, mut moved_ip, mut moved_ping) = (vec![], vec![], vec![]);
        // What starting `ip` costs by itself, to read its row against.
        let mut empty = vec![];
        let nothing = std::env::temp_dir().join(format!("ifcbenchf-{}.empty", std::process::id()));
        std::fs::write(&nothing, "").unwrap();
        for _ in 0..reps {
            // ip, by hand.
            let (g, _net) = wired();
            let batch =
                std::env::temp_dir().join(format!("ifcbenchf-{}.batch", std::process::id()));
            std::fs::write(
                &batch,
                "link add bo0 type bond mode active-backup miimon 100\n\
                 link set pa down\nlink set pa master bo0\n\
                 link set pb down\nlink set pb master bo0\n\
                 link set bo0 type bond primary pa\nlink set bo0 up\n",
            )
            .unwrap();
            let t = Instant::now();
            let ok = Command::new("ip")
                .args(["-n", &g.0, "-batch"])
                .arg(&batch)
                .status()
                .expect("ip -batch");
            theirs.push(t.elapsed());
            assert!(ok.success(), "ip -batch failed");
            let _ = std::fs::remove_file(&batch);
            let t = Instant::now();
            let _ = Command::new("ip")
                .args(["-n", &g.0, "-batch"])
                .arg(&nothing)
                .status();
            empty.push(t.elapsed());
            drop(g);
            // ifclone.
            let (g, net) = wired();
            let s = g.stack();
            let t = Instant::now();
            let group = FailoverGroup::create(&s, &GroupSpec::new(n("bo0"), n("pa"), &[n("pb")]))
                .expect("create the group");
            ours.push(t.elapsed());
            s.add_address(
                "bo0",
                IfAddr {
                    addr: "10.78.0.1".parse().unwrap(),
                    prefix_len: 24,
                },
            )
            .unwrap();
            let deadline = Instant::now() + Duration::from_secs(20);
            while !ping(&g.0) {
                assert!(Instant::now() < deadline, "no traffic through the group");
            }
            // Failover: the active port down.
            let mut w = Watcher::new(&[&s]).expect("watch");
            let active = group.active().unwrap().expect("an active port");
            let t = Instant::now();
            s.set_up(active.name.as_str(), false).unwrap();
            loop {
                let e = w
                    .next(Some(Duration::from_secs(10)))
                    .unwrap()
                    .expect("an event");
                if group
                    .failover_in(&e)
                    .is_some_and(|f| f.active.is_some_and(|a| a != active.index))
                {
                    event.push(t.elapsed());
                    break;
                }
            }
            while !ping(&g.0) {
                assert!(
                    t.elapsed() < Duration::from_secs(20),
                    "no traffic after the failover"
                );
            }
            traffic.push(t.elapsed());
            // The group moves (pa back up first: both ports with link, pa active again).
            s.set_up(active.name.as_str(), true).unwrap();
            group.set_active("pa").unwrap();
            let h = Ns::new();
            let hs = h.stack();
            let carry = ifclone::vmove::MoveOptions {
                carry_addresses: true,
                ..Default::default()
            };
            let t = Instant::now();
            ifclone::vmove::vmove(&s, "bo0", &hs, &carry).expect("move the group");
            moved.push(t.elapsed());
            while !ping(&h.0) {
                assert!(
                    t.elapsed() < Duration::from_secs(20),
                    "no traffic after the move"
                );
            }
            moved_ping.push(t.elapsed());
            drop((g, net, h));
            // The same by hand.
            let (g, _net) = wired();
            let h = Ns::new();
            let by_hand = |ns: &str, lines: String| {
                let batch =
                    std::env::temp_dir().join(format!("ifcbenchf-{}.mv", std::process::id()));
                std::fs::write(&batch, lines).unwrap();
                let ok = Command::new("ip")
                    .args(["-n", ns, "-batch"])
                    .arg(&batch)
                    .status()
                    .expect("ip -batch");
                let _ = std::fs::remove_file(&batch);
                assert!(ok.success(), "ip -batch failed");
            };
            by_hand(
                &g.0,
                "link add bo0 type bond mode active-backup miimon 100\n\
                 link set pa down\nlink set pa master bo0\n\
                 link set pb down\nlink set pb master bo0\n\
                 link set bo0 type bond primary pa\nlink set bo0 up\n\
                 addr add 10.78.0.1/24 dev bo0\n"
                    .into(),
            );
            let mac = g.stack().interface("bo0").unwrap().mac.unwrap();
            let t = Instant::now();
            by_hand(
                &g.0,
                format!(
                    "link set pa netns {h}\nlink set pb netns {h}\nlink del bo0\n",
                    h = h.0
                ),
            );
            by_hand(
                &h.0,
                format!(
                    "link add bo0 type bond mode active-backup miimon 100\n\
                     link set bo0 address {mac}\n\
                     link set pa master bo0\nlink set pb master bo0\n\
                     link set bo0 type bond primary pa\nlink set pa up\nlink set pb up\n\
                     addr add 10.78.0.1/24 dev bo0\nlink set bo0 up\n"
                ),
            );
            moved_ip.push(t.elapsed());
            drop((g, h));
        }
        println!("| row ({reps} samples) | ifclone | ip -batch by hand |");
        println!("|---|---|---|");
        println!(
            "| create a 2-port failover group | median {:.1} ms | median {:.1} ms |",
            ms(median(&mut ours)),
            ms(median(&mut theirs))
        );
        let _ = std::fs::remove_file(&nothing);
        println!(
            "| (`ip -batch` of an empty file: starting ip) | | median {:.1} ms |",
            ms(median(&mut empty))
        );
        println!(
            "| failover: active port down → watcher event | median {:.1} ms | (the kernel's; no watcher) |",
            ms(median(&mut event))
        );
        println!(
            "| failover: active port down → first ping through the other port | median {:.1} ms | (the kernel's, the same) |",
            ms(median(&mut traffic))
        );
        println!(
            "| move the 2-port group to another stack, address carried | median {:.1} ms | median {:.1} ms (two ip runs) |",
            ms(median(&mut moved)),
            ms(median(&mut moved_ip))
        );
        println!(
            "| move the group → first ping in the target | median {:.1} ms | |",
            ms(median(&mut moved_ping))
        );
        ExitCode::SUCCESS
    }
}
