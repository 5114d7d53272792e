//! What a VM manager does with ifclone's supervisor: keep a VM's macvtap NIC alive across the
//! loss of the host NIC under it, and hand the VM each new generation of queue descriptors.
//!
//! ```text
//! cargo run --example vm_macvtap [-- --rounds 3 --queues 2]
//! ```
//!
//! Run as root on Linux. The "host NIC" is simulated by a veth end with a fixed MAC in a stack
//! of its own (`vmdemo-<pid>`), removed at the end; the "VM" is this program, which writes one
//! frame through queue 0 of every generation. Between generations the NIC is hot-unplugged
//! (destroyed) and plugged back (re-created with the same MAC, so a new device with a new
//! index): the supervisor matches it by MAC, makes a new macvtap with the same name and MAC,
//! checks every descriptor serves that new device, and says so.
//!
//! The part to copy is `supervise()`: start, then react to `Created` (hand the fds over, e.g.
//! through QMP `getfd` + `netdev_add`) and `Lost` (unplug the old generation).

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use ifclone::supervise::{DependentKind, DependentSpec, LowerMatch, Supervised, Supervisor};
use ifclone::{CreateRequest, IfName, KindSpec, Mac, MacvlanMode, Stack};

const NIC_MAC: Mac = Mac([0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]);

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Plugs the simulated host NIC in: a veth end `nic0` with a fixed MAC (its peer up too, so
/// frames flow).
fn plug(s: &Stack) -> ifclone::Result<()> {
    let mut req = CreateRequest::new(KindSpec::Epair {
        peer_name: Some(IfName::new("nic0peer")?),
    })
    .named(IfName::new("nic0")?);
    req.mac = Some(NIC_MAC);
    req.up = true;
    s.create_interface(&req)?;
    s.set_up("nic0peer", true)
}

/// One frame through a macvtap queue descriptor (after the virtio-net header macvtap expects).
fn send_frame(fd: &std::os::fd::OwnedFd, src: Mac) -> std::io::Result<usize> {
    let mut f = vec![0u8; 10];
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&src.0);
    f.extend_from_slice(&0x88b5u16.to_be_bytes());
    f.resize(10 + 60, 0);
    nix::unistd::write(fd, &f).map_err(std::io::Error::from)
}

fn supervise(s: &Stack, rounds: u64, queues: u16) -> ifclone::Result<()> {
    let spec = DependentSpec::new(
        IfName::new("vm0tap")?,
        DependentKind::Macvtap {
            mode: MacvlanMode::Bridge,
            queues,
        },
        LowerMatch::mac(NIC_MAC),
    );
    let mut sup = Supervisor::start(s, spec)?;
    let mut unplugged_at = None;
    let mut generations = 0;
    while generations < rounds {
        let Some(step) = sup.next(Some(Duration::from_secs(10)))? else {
            eprintln!("vm_macvtap: nothing happened for 10 s");
            break;
        };
        match step {
            Supervised::Waiting { lower } => println!("waiting for {lower}"),
            Supervised::Created(g) => {
                let fds: Vec<String> = g
                    .fds
                    .iter()
                    .map(|q| format!("queue {} -> fd {}", q.queue, q.fd.as_raw_fd()))
                    .collect();
                let since = unplugged_at
                    .take()
                    .map(|t: Instant| {
                        format!(
                            ", {:.1} ms after the NIC came back",
                            t.elapsed().as_secs_f64() * 1e3
                        )
                    })
                    .unwrap_or_default();
                println!(
                    "generation {}: {} index {} on {} (index {}), {}{since}",
                    g.generation,
                    g.iface.name,
                    g.iface.index,
                    g.lower.name,
                    g.lower.index,
                    fds.join(", ")
                );
                if let (Some(q), Some(mac)) = (g.fds.iter().next(), g.iface.mac) {
                    match send_frame(&q.fd, mac) {
                        Ok(n) => println!("  the VM wrote a {n}-byte frame through queue 0"),
                        Err(e) => println!("  writing through queue 0 failed: {e}"),
                    }
                }
                generations += 1;
                if generations < rounds {
                    // Hot-unplug the NIC, then plug it back.
                    s.destroy("nic0")?;
                }
            }
            Supervised::Lost { generation, reason } => {
                println!("generation {generation} lost: {reason:?}; the VM unplugs its fds");
                std::thread::sleep(Duration::from_millis(100));
                plug(s)?;
                unplugged_at = Some(Instant::now());
            }
            Supervised::Failed { error } => println!("could not make the next generation: {error}"),
            other => println!("{other:?}"),
        }
    }
    sup.stop()
}

fn main() -> std::process::ExitCode {
    let (rounds, queues) = (arg("--rounds", 3), arg("--queues", 2) as u16);
    let name = format!("vmdemo-{}", std::process::id());
    let run = || -> ifclone::Result<()> {
        let s = Stack::create(&name)?;
        let r = plug(&s).and_then(|()| supervise(&s, rounds, queues));
        let removed = s.remove().map(|_| ());
        r.and(removed)
    };
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vm_macvtap: {e}");
            let _ = Stack::open_name(&name).and_then(|s| s.remove());
            std::process::ExitCode::FAILURE
        }
    }
}
