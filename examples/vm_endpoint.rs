//! What a VM manager does with ifclone's endpoints: attach one with N queues, start QEMU on
//! its descriptors, detach when QEMU is gone.
//!
//! ```text
//! cargo build --examples
//! ./target/debug/examples/vm_endpoint [--stack NAME] [--queues N] [--vhost] -- \
//!     qemu-system-x86_64 -M q35 -m 1G -kernel … -device virtio-net-pci,netdev=n0,mq=on,vectors=10
//! ```
//!
//! It attaches a tap endpoint (model none: the tap alone, in stack NAME or the host's) named
//! `vmep0` with N queues (default 2) and a vnet header, and vhost-net fds with `--vhost`; then
//! runs the command with `-netdev tap,id=n0,fds=…[,vhost=on,vhostfds=…]` appended, on
//! inherited copies of the fds (`EndpointFds::for_child`); when the command exits the endpoint
//! is detached (the tap goes) and the command's status is the example's. The tap is not
//! persistent: if this process and QEMU die, it goes with their descriptors.

use std::process::{Command, ExitCode};

use ifclone::endpoint::{attach, Endpoint, NetInfo, TapInfo};
use ifclone::{IfName, Stack};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let split = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let (opts, cmd) = (&args[..split], args.get(split + 1..).unwrap_or(&[]));
    let value = |flag: &str| {
        opts.iter()
            .position(|a| a == flag)
            .and_then(|i| opts.get(i + 1))
            .cloned()
    };
    let queues: u16 = value("--queues").and_then(|v| v.parse().ok()).unwrap_or(2);
    let vhost = opts.iter().any(|a| a == "--vhost");
    if cmd.is_empty() {
        eprintln!("usage: vm_endpoint [--stack NAME] [--queues N] [--vhost] -- QEMU ARGS…");
        return ExitCode::from(2);
    }
    let stack = match value("--stack") {
        Some(s) => Stack::open_name(&s),
        None => Stack::host(),
    };
    let stack = match stack {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vm_endpoint: {e}");
            return ExitCode::from(1);
        }
    };
    let name = IfName::new("vmep0").unwrap();
    let endpoint = Endpoint::Tap {
        net: NetInfo {
            name,
            mac: None,
            mtu: 1500,
            addresses: vec![],
            routes: vec![],
        },
        tap: TapInfo {
            name,
            queues,
            vnet_hdr: true,
            vhost,
        },
    };
    let attached = match attach(&stack, &endpoint) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("vm_endpoint: {e}");
            return ExitCode::from(1);
        }
    };
    let fds = attached.fds().expect("a tap endpoint has fds");
    let status = match fds.for_child() {
        Ok(child) => {
            let netdev = child.qemu_netdev("n0");
            println!(
                "vm_endpoint: {} queues on {name}: -netdev {netdev}",
                fds.queues()
            );
            let st = Command::new(&cmd[0])
                .args(&cmd[1..])
                .args(["-netdev", &netdev])
                .status();
            drop(child);
            st
        }
        Err(e) => {
            eprintln!("vm_endpoint: {e}");
            let _ = attached.detach();
            return ExitCode::from(1);
        }
    };
    if let Err(e) = attached.detach() {
        eprintln!("vm_endpoint: detach: {e}");
        return ExitCode::from(1);
    }
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(s.code().unwrap_or(1).clamp(1, 255) as u8),
        Err(e) => {
            eprintln!("vm_endpoint: {}: {e}", cmd[0]);
            ExitCode::from(1)
        }
    }
}
