//! Benchmark of the watcher and the supervisor, beside `ip monitor link` where it does the
//! same thing, in the same run.
//!
//! ```text
//! cargo build --release --examples && ./target/release/examples/bench_watch [--samples 200 --burst 2500 --backlog 1000 --rounds 20]
//! ```
//!
//! Run as root on Linux. Every row works in a fresh network namespace `ifcbenchw-<pid>-<tag>`,
//! removed at the end.
//!
//! - **latency**: one kernel change (an MTU flip of a veth end, by an RTM_SETLINK from this
//!   process) to its delivery: for ifclone, `Watcher::next` returning the `Changed` event; for
//!   `ip -n NS monitor link`, its line arriving on our pipe. The clock starts just before the
//!   request is sent. Median and p99 of `--samples`.
//! - **burst**: `ip -n NS -batch` creates `--burst` veth pairs (two arrivals each) as fast as
//!   the kernel goes while the watcher (default 4 MiB buffer) and `ip monitor link` (iproute2's
//!   1 MiB) read; arrivals per second from the first to the last, and whether the reader
//!   overflowed (ifclone: a `Resync`; ip: its "No buffer space" message or names missing).
//! - **backlog**: `--backlog` arrivals (half as many veth pairs) created while the watcher
//!   does not read (they wait in its default buffer), then read: the watcher's own rate.
//! - **supervisor**: a macvtap's veth lower destroyed and re-created `--rounds` times; time from
//!   the lower's re-creation (the request returning) to `Supervised::Created` with every queue
//!   descriptor opened and checked, then a frame written through queue 0.

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    linux::main()
}

#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    eprintln!("bench_watch: compares against iproute2's `ip monitor`, so it runs on Linux only");
    std::process::ExitCode::from(2)
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, ExitCode, Stdio};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use ifclone::supervise::{DependentKind, DependentSpec, LowerMatch, Supervised, Supervisor};
    use ifclone::watch::{Event, Watcher};
    use ifclone::{CreateRequest, IfName, KindSpec, Mac, MacvlanMode, Stack};

    fn arg(name: &str, default: usize) -> usize {
        let args: Vec<String> = std::env::args().collect();
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// A fresh namespace made by `ip`, removed on drop.
    struct Ns(String);
    impl Ns {
        fn new(tag: &str) -> Ns {
            let n = format!("ifcbenchw-{}-{tag}", std::process::id());
            let ok = Command::new("ip").args(["netns", "add", &n]).status();
            assert!(ok.is_ok_and(|s| s.success()), "ip netns add {n}");
            Ns(n)
        }
        fn stack(&self) -> Stack {
            Stack::open_name(&self.0).expect("open the namespace")
        }
    }
    impl Drop for Ns {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        }
    }

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1e3
    }

    fn pct(v: &mut [Duration], p: f64) -> Duration {
        v.sort();
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    }

    /// `ip -n NS monitor link`, its lines through a channel with their arrival time.
    fn ip_monitor(ns: &str) -> (std::process::Child, mpsc::Receiver<(Instant, String)>) {
        let mut child = Command::new("ip")
            .args(["-n", ns, "monitor", "link"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ip monitor");
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send((Instant::now(), l));
            }
        });
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send((Instant::now(), format!("stderr: {l}")));
            }
        });
        // ip has no "subscribed" signal: give it time to bind before anything changes.
        std::thread::sleep(Duration::from_millis(300));
        (child, rx)
    }

    fn latency(samples: usize) -> (Duration, Duration, Duration, Duration) {
        let ns = Ns::new("lat");
        let s = ns.stack();
        let req = CreateRequest::new(KindSpec::Epair {
            peer_name: Some(IfName::new("lb").unwrap()),
        })
        .named(IfName::new("la").unwrap());
        s.create_interface(&req).expect("veth");
        let mut w = Watcher::new(&[&s]).expect("watch");
        let (mut ip, rx) = ip_monitor(&ns.0);
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for k in 0..samples {
            let mtu = if k % 2 == 0 { 1400 } else { 1500 };
            let t0 = Instant::now();
            s.set_mtu("la", mtu).expect("set mtu");
            loop {
                match w.next(Some(Duration::from_secs(2))).expect("watch") {
                    Some(Event::Changed { iface, .. }) if iface.mtu == mtu => break,
                    Some(_) => continue,
                    None => panic!("no event for mtu {mtu}"),
                }
            }
            ours.push(t0.elapsed());
            loop {
                let (t, l) = rx
                    .recv_timeout(Duration::from_secs(2))
                    .expect("ip monitor line");
                if l.contains(&format!("mtu {mtu} ")) {
                    theirs.push(t - t0);
                    break;
                }
            }
        }
        let _ = ip.kill();
        let _ = ip.wait();
        (
            pct(&mut ours, 0.5),
            pct(&mut ours, 0.99),
            pct(&mut theirs, 0.5),
            pct(&mut theirs, 0.99),
        )
    }

    struct Burst {
        secs: f64,
        delivered: usize,
        resyncs: u64,
    }

    fn burst(n: usize) -> (Burst, Burst) {
        let ns = Ns::new("burst");
        let s = ns.stack();
        let batch = std::env::temp_dir().join(format!("ifcbenchw-{}.batch", std::process::id()));
        let mut f = std::fs::File::create(&batch).unwrap();
        for k in 0..n {
            writeln!(f, "link add b{k}a type veth peer name b{k}b").unwrap();
        }
        drop(f);
        let mut w = Watcher::new(&[&s]).expect("watch");
        let (mut ip, rx) = ip_monitor(&ns.0);
        let maker = {
            let (ns, batch) = (ns.0.clone(), batch.clone());
            std::thread::spawn(move || {
                Command::new("ip")
                    .args(["-n", &ns, "-batch"])
                    .arg(&batch)
                    .status()
                    .expect("ip -batch")
            })
        };
        // Ours: count arrivals (from events and from resync diffs) until all 2n ends are in.
        let (mut first, mut last, mut seen) = (None, Instant::now(), 0usize);
        while seen < 2 * n {
            let Some(e) = w.next(Some(Duration::from_secs(10))).expect("watch") else {
                break;
            };
            let add = match &e {
                Event::Arrived(_) => 1,
                Event::Resync { diff, .. } => diff
                    .iter()
                    .filter(|d| matches!(d, Event::Arrived(_)))
                    .count(),
                _ => 0,
            };
            if add > 0 {
                first.get_or_insert_with(Instant::now);
                last = Instant::now();
                seen += add;
            }
        }
        let ours = Burst {
            secs: first.map_or(0.0, |f| (last - f).as_secs_f64()),
            delivered: seen,
            resyncs: w.resyncs(),
        };
        assert!(maker.join().unwrap().success(), "ip -batch failed");
        // Theirs: the distinct ends its lines name (`7: b0a@b0b: <…>`), or its overflow message.
        let (mut first, mut last, mut overflow) = (None, Instant::now(), 0u64);
        let mut names = std::collections::HashSet::new();
        while let Ok((t, l)) = rx.recv_timeout(Duration::from_millis(1500)) {
            if l.contains("No buffer space") {
                overflow += 1;
            } else if let Some(name) = l
                .split_once(": ")
                .and_then(|(_, r)| r.split(['@', ':']).next())
                .filter(|n| n.starts_with('b'))
            {
                if names.insert(name.to_string()) {
                    first.get_or_insert(t);
                    last = t;
                }
            }
        }
        let lines = names.len();
        let _ = ip.kill();
        let _ = ip.wait();
        let _ = std::fs::remove_file(&batch);
        let theirs = Burst {
            secs: first.map_or(0.0, |f| (last - f).as_secs_f64()),
            delivered: lines,
            resyncs: overflow,
        };
        (ours, theirs)
    }

    /// The watcher's own rate: `n` arrivals (n/2 veth pairs) queued in the socket while nobody
    /// reads (within the default buffer), then read. Returns (seconds to read them, resyncs).
    fn backlog(n: usize) -> (f64, u64) {
        let ns = Ns::new("backlog");
        let s = ns.stack();
        let batch = std::env::temp_dir().join(format!("ifcbenchw-{}.backlog", std::process::id()));
        let mut f = std::fs::File::create(&batch).unwrap();
        for k in 0..n / 2 {
            writeln!(f, "link add q{k}a type veth peer name q{k}b").unwrap();
        }
        drop(f);
        let mut w = Watcher::new(&[&s]).expect("watch");
        let ok = Command::new("ip")
            .args(["-n", &ns.0, "-batch"])
            .arg(&batch)
            .status()
            .expect("ip -batch");
        assert!(ok.success());
        let _ = std::fs::remove_file(&batch);
        let t0 = Instant::now();
        let mut seen = 0;
        while seen < n {
            match w.next(Some(Duration::from_secs(5))).expect("watch") {
                Some(Event::Arrived(_)) => seen += 1,
                Some(Event::Resync { diff, .. }) => {
                    seen += diff
                        .iter()
                        .filter(|d| matches!(d, Event::Arrived(_)))
                        .count()
                }
                Some(_) => {}
                None => break,
            }
        }
        (t0.elapsed().as_secs_f64(), w.resyncs())
    }

    fn supervisor(rounds: usize) -> (Duration, Duration, usize) {
        let ns = Ns::new("sup");
        let s = ns.stack();
        let mac = Mac([2, 0, 0x5e, 0, 0, 9]);
        let plug = || {
            let mut req = CreateRequest::new(KindSpec::Epair {
                peer_name: Some(IfName::new("lowp").unwrap()),
            })
            .named(IfName::new("low").unwrap());
            req.mac = Some(mac);
            req.up = true;
            s.create_interface(&req).expect("lower");
        };
        plug();
        let spec = DependentSpec::new(
            IfName::new("tap0").unwrap(),
            DependentKind::Macvtap {
                mode: MacvlanMode::Bridge,
                queues: 2,
            },
            LowerMatch::mac(mac),
        );
        let mut sup = Supervisor::start(&s, spec).expect("supervise");
        let mut times = Vec::new();
        let mut written = 0;
        let mut t0 = None;
        while times.len() < rounds {
            match sup.next(Some(Duration::from_secs(10))).expect("supervisor") {
                Some(Supervised::Created(g)) => {
                    let q = g.fds.iter().next().expect("a queue");
                    let mut f = vec![0u8; 10];
                    f.extend_from_slice(&[0xff; 6]);
                    f.extend_from_slice(&g.iface.mac.unwrap().0);
                    f.extend_from_slice(&0x88b5u16.to_be_bytes());
                    f.resize(70, 0);
                    if nix::unistd::write(&q.fd, &f).is_ok() {
                        written += 1;
                    }
                    if let Some(t) = t0.take() {
                        times.push(Instant::now() - t);
                    }
                    s.destroy("low").expect("destroy the lower");
                }
                Some(Supervised::Lost { .. }) => {
                    // The clock starts when the lower is back.
                    plug();
                    t0 = Some(Instant::now());
                }
                Some(_) => {}
                None => panic!("the supervisor stalled"),
            }
        }
        let _ = sup.stop();
        (pct(&mut times, 0.5), pct(&mut times, 0.99), written)
    }

    pub fn main() -> ExitCode {
        if !nix::unistd::Uid::effective().is_root() {
            eprintln!("bench_watch: run as root");
            return ExitCode::from(2);
        }
        let (samples, n, rounds) = (
            arg("--samples", 200),
            arg("--burst", 2500),
            arg("--rounds", 20),
        );
        let (m, p, im, ip) = latency(samples);
        let (ours, theirs) = burst(n);
        let backlog_n = arg("--backlog", 1000);
        let (bsecs, bres) = backlog(backlog_n);
        let (sm, sp, written) = supervisor(rounds);
        println!("| row | ifclone Watcher | ip monitor link |");
        println!("|---|---|---|");
        println!(
            "| event latency, MTU change → delivery ({samples} samples) | median {:.3} ms, p99 {:.3} ms | median {:.3} ms, p99 {:.3} ms |",
            ms(m), ms(p), ms(im), ms(ip)
        );
        let rate = |b: &Burst| {
            if b.secs > 0.0 {
                format!("{:.0} events/s", b.delivered as f64 / b.secs)
            } else {
                "n/a".into()
            }
        };
        println!(
            "| burst of {n} veth pairs = {} arrivals (ip -batch) | {} delivered, {}, {} resync(s) | {} named, {}, {} overflow message(s) |",
            2 * n,
            ours.delivered, rate(&ours), ours.resyncs, theirs.delivered, rate(&theirs), theirs.resyncs
        );
        println!(
            "| {backlog_n} notifications queued, then read (the watcher's own rate, default 4 MiB buffer) | {:.0} events/s, {bres} resync(s) | (not measured) |",
            backlog_n as f64 / bsecs
        );
        println!(
            "| supervisor: lower back → new macvtap with 2 checked fds ({rounds} rounds) | median {:.2} ms, p99 {:.2} ms; {written} frames written | (no equivalent) |",
            ms(sm), ms(sp)
        );
        if ours.delivered < 2 * n {
            eprintln!(
                "bench_watch: the watcher delivered {} of {}",
                ours.delivered,
                2 * n
            );
            return ExitCode::FAILURE;
        }
        ExitCode::SUCCESS
    }
}
