//! Attaching a VM endpoint with 8 queues, beside the same kernel work done bare and by `ip`, in
//! the same run.
//!
//! ```text
//! cargo build --release --examples
//! ./target/release/examples/bench_endpoint [--reps 200]        # on the host (no vhost-net)
//! ci/run-in-vm.sh ./target/release/examples/bench_endpoint     # in the VM: with vhost-net fds
//! ```
//!
//! Each sample works in one namespace `ifcbenche-<pid>`. Rows, per endpoint:
//! - **attach + detach**: `endpoint::attach` of a tap endpoint (model none) with 8 queues, a
//!   vnet header and, where the kernel has vhost-net, 8 vhost fds; then `detach`.
//! - **the floor**: the same kernel work without attach's checks and bookkeeping — 8
//!   `TUNSETIFF`s through `Stack::create_tap` with the MTU and UP that attach sets, 8 opens of
//!   `/dev/vhost-net` where there is one, and closing them all (the tap is not persistent: the
//!   last close deletes it).
//! - **`ip tuntap` by hand**: `ip -batch` of `tuntap add mode tap multi_queue vnet_hdr name X` and
//!   `link del X` (ip opens no queue fds it hands over; its start-up is included).

#[cfg(target_os = "linux")]
fn main() {
    use std::process::Command;
    use std::time::{Duration, Instant};

    use ifclone::endpoint::{attach, vhost_fds, Endpoint, NetInfo, TapInfo};
    use ifclone::{CreateRequest, IfName, KindSpec, Stack, TapOptions};

    let args: Vec<String> = std::env::args().collect();
    let reps: usize = args
        .iter()
        .position(|a| a == "--reps")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let ns = format!("ifcbenche-{}", std::process::id());
    assert!(Command::new("ip")
        .args(["netns", "add", &ns])
        .status()
        .unwrap()
        .success());
    let s = Stack::open_name(&ns).unwrap();
    let vhost = vhost_fds(1, false).is_ok();
    let name = IfName::new("bench0").unwrap();
    let e = Endpoint::Tap {
        net: NetInfo {
            name,
            mac: None,
            mtu: 1500,
            addresses: vec![],
            routes: vec![],
        },
        tap: TapInfo {
            name,
            queues: 8,
            vnet_hdr: true,
            vhost,
        },
    };
    let per = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    let (mut ours, mut floor, mut theirs) = (vec![], vec![], vec![]);
    let batch = std::env::temp_dir().join(format!("ifcbenche-{}.batch", std::process::id()));
    std::fs::write(
        &batch,
        "tuntap add mode tap multi_queue vnet_hdr name bench1\nlink del bench1\n",
    )
    .unwrap();
    // One of each first: the backend's sockets and the kernel's caches are warm for all.
    attach(&s, &e).unwrap().detach().unwrap();
    for _ in 0..reps {
        let t = Instant::now();
        attach(&s, &e).unwrap().detach().unwrap();
        ours.push(t.elapsed());

        let t = Instant::now();
        let mut req = CreateRequest::new(KindSpec::Tap { queues: 8 }).named(name);
        // What attach asks for too: the endpoint's MTU, and up.
        req.mtu = Some(1500);
        req.up = true;
        let opts = TapOptions {
            vnet_hdr: true,
            persist: false,
            ..TapOptions::default()
        };
        let made = s.create_tap(&req, &opts).unwrap();
        let v = if vhost {
            vhost_fds(8, false).unwrap()
        } else {
            vec![]
        };
        drop((made, v)); // not persistent: the last fd takes the tap
        floor.push(t.elapsed());

        let t = Instant::now();
        let ok = Command::new("ip")
            .args(["-n", &ns, "-batch"])
            .arg(&batch)
            .status()
            .unwrap();
        theirs.push(t.elapsed());
        assert!(ok.success());
    }
    let _ = std::fs::remove_file(&batch);
    let _ = Command::new("ip").args(["netns", "del", &ns]).status();
    let v = if vhost { " + 8 vhost fds" } else { "" };
    println!("| row ({reps} samples, 8 queues{v}) | median per endpoint |");
    println!("|---|---|");
    println!("| ifclone attach + detach | {:.2} ms |", per(&mut ours));
    println!(
        "| the floor: the same system calls, bare | {:.2} ms |",
        per(&mut floor)
    );
    println!(
        "| `ip -batch`: tuntap add + link del (no fds handed over) | {:.2} ms |",
        per(&mut theirs)
    );
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("bench_endpoint: Linux tun/tap and vhost-net");
    std::process::exit(2);
}
