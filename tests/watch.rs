//! The watcher against the real kernel: a gapless start under churn, every event type, a move
//! seen from both stacks, a forced overflow and its resync, named stacks coming and going, and
//! the pollable descriptor. Root; every test makes its own `ifct-…` stacks; what the watcher
//! reports is compared with what `ip` (not ifclone) lists.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use ifclone::vmove::{vmove, MoveOptions};
use ifclone::watch::{Event, WatchOptions, Watcher};
use ifclone::{CreateRequest, IfName, KindSpec, Stack};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

/// (stack, index) → name, as the watcher's listing plus its events say.
type Model = BTreeMap<(String, u32), String>;

fn model_of(w: &Watcher) -> Model {
    let mut m = Model::new();
    for s in w.stacks() {
        for i in w.interfaces(s.name()) {
            m.insert((s.name().to_string(), i.index), i.name.to_string());
        }
    }
    m
}

fn apply(m: &mut Model, e: &Event) {
    match e {
        Event::Arrived(i) | Event::Renamed { iface: i, .. } | Event::Changed { iface: i, .. } => {
            m.insert((i.stack.to_string(), i.index), i.name.to_string());
        }
        Event::Departed { iface, .. } => {
            m.remove(&(iface.stack.to_string(), iface.index));
        }
        Event::Moved { from, to, .. } => {
            m.remove(&(from.stack.to_string(), from.index));
            m.insert((to.stack.to_string(), to.index), to.name.to_string());
        }
        Event::Resync { diff, .. } => diff.iter().for_each(|d| apply(m, d)),
        _ => {}
    }
}

/// What `ip` lists in `stack`, in the model's form.
#[cfg(target_os = "linux")]
fn os_model(stack: &str) -> Model {
    ip_links(stack)
        .iter()
        .map(|v| {
            let index = v["ifindex"].as_u64().expect("ifindex") as u32;
            let name = v["ifname"].as_str().expect("ifname").to_string();
            ((stack.to_string(), index), name)
        })
        .collect()
}

/// What `netstat -i` lists in `stack`, in the model's form.
#[cfg(not(target_os = "linux"))]
fn os_model(stack: &str) -> Model {
    link_indexes(stack)
        .into_iter()
        .map(|(name, index)| ((stack.to_string(), index), name))
        .collect()
}

/// Every event until `quiet` passes without one.
fn drain(w: &mut Watcher, quiet: Duration) -> Vec<Event> {
    w.events(quiet).map(|e| e.expect("watch")).collect()
}

fn epair_req(a: &str, b: &str) -> CreateRequest {
    CreateRequest::new(KindSpec::Epair {
        peer_name: Some(n(b)),
    })
    .named(n(a))
}

/// The churn (create, rename, destroy epairs) runs while the watcher starts, then stops (joined);
/// listing + events must then equal the kernel's state, names and indexes, 20 times.
#[test]
fn gapless_start_exact_in_each_of_20_repetitions() {
    require_root();
    let g = StackGuard::new("watch-exact");
    let mut base = 0u32;
    for rep in 0..20 {
        let stop = Arc::new(AtomicBool::new(false));
        let churn = {
            let (s, stop) = (g.stack().clone(), stop.clone());
            std::thread::spawn(move || {
                let mut k = base;
                while !stop.load(Ordering::Relaxed) || k < base + 8 {
                    let (a, b) = (format!("g{k}a"), format!("g{k}b"));
                    s.create_interface(&epair_req(&a, &b)).expect("create");
                    if k.is_multiple_of(2) {
                        s.rename(&a, &format!("h{k}a")).expect("rename");
                    }
                    if k >= base + 3 {
                        let j = k - 3;
                        let old = if j.is_multiple_of(2) {
                            format!("h{j}a")
                        } else {
                            format!("g{j}a")
                        };
                        s.destroy(&old).expect("destroy");
                    }
                    k += 1;
                }
                // Leave nothing for the next repetition's names to clash with.
                for j in k.saturating_sub(3).max(base)..k {
                    let old = if j.is_multiple_of(2) {
                        format!("h{j}a")
                    } else {
                        format!("g{j}a")
                    };
                    let _ = s.destroy(&old);
                }
                k
            })
        };
        std::thread::sleep(Duration::from_millis(5 + rep as u64 * 3));
        let mut w = Watcher::new(&[g.stack()]).expect("watch");
        let mut m = model_of(&w);
        std::thread::sleep(Duration::from_millis(30));
        stop.store(true, Ordering::Relaxed);
        base = churn.join().unwrap() + 1;
        for e in drain(&mut w, Duration::from_millis(200)) {
            apply(&mut m, &e);
        }
        assert_eq!(
            m,
            os_model(g.name()),
            "repetition {rep}: listing + events differ from ip's listing"
        );
        assert_eq!(
            model_of(&w),
            m,
            "repetition {rep}: the watcher's view drifted"
        );
    }
}

#[test]
#[cfg(target_os = "linux")] // macvlan is Linux's
fn every_event_type_on_veth_macvlan_tap_bridge() {
    use ifclone::watch::Fields;
    use ifclone::IfAddr;
    require_root();
    let g = StackGuard::new("watch-kinds");
    let s = g.stack();
    let mut w = Watcher::new(&[s]).expect("watch");
    let mut seen: Vec<Event> = Vec::new();
    let mut step = |w: &mut Watcher, f: &dyn Fn()| {
        f();
        seen.extend(drain(w, Duration::from_millis(300)));
    };
    step(&mut w, &|| epair(s, "va", "vb"));
    step(&mut w, &|| {
        let req = CreateRequest::new(KindSpec::Macvlan {
            parent: n("va"),
            mode: ifclone::MacvlanMode::Bridge,
        })
        .named(n("mv0"));
        s.create_interface(&req).expect("macvlan");
    });
    step(&mut w, &|| {
        s.create_interface(&CreateRequest::new(KindSpec::Tap { queues: 1 }).named(n("tp0")))
            .expect("tap");
    });
    step(&mut w, &|| {
        s.create_interface(&CreateRequest::new(KindSpec::Bridge).named(n("br0")))
            .expect("bridge");
    });
    step(&mut w, &|| s.set_mtu("va", 1400).unwrap());
    step(&mut w, &|| s.set_up("br0", true).unwrap());
    // Linux announces a description change only for an interface that is up
    // (netdev_state_change), so it is made on the bridge, which is.
    step(&mut w, &|| s.set_description("br0", "vm lan").unwrap());
    step(&mut w, &|| s.rename("tp0", "tp1").unwrap());
    step(&mut w, &|| s.add_port("br0", "vb").unwrap());
    let a = IfAddr {
        addr: "192.0.2.7".parse().unwrap(),
        prefix_len: 24,
    };
    step(&mut w, &|| s.add_address("br0", a).unwrap());
    step(&mut w, &|| s.del_address("br0", a).unwrap());
    step(&mut w, &|| s.destroy("mv0").unwrap());

    let has = |pred: &dyn Fn(&Event) -> bool, what: &str| {
        assert!(seen.iter().any(pred), "no {what} event among {seen:#?}");
    };
    for name in ["va", "vb", "mv0", "tp0", "br0"] {
        has(
            &|e| matches!(e, Event::Arrived(i) if i.name.as_str() == name),
            &format!("arrival of {name}"),
        );
    }
    has(
        &|e| matches!(e, Event::Changed { what, iface } if iface.name.as_str() == "va" && what.contains(Fields::MTU) && iface.mtu == 1400),
        "mtu change",
    );
    has(
        &|e| matches!(e, Event::Changed { what, iface } if iface.name.as_str() == "br0" && what.contains(Fields::UP) && iface.up),
        "up change",
    );
    has(
        &|e| matches!(e, Event::Changed { what, iface } if iface.name.as_str() == "br0" && what.contains(Fields::DESCRIPTION)),
        "description change",
    );
    has(
        &|e| matches!(e, Event::Renamed { old, iface } if old.as_str() == "tp0" && iface.name.as_str() == "tp1"),
        "rename tp0 → tp1",
    );
    has(
        &|e| matches!(e, Event::Changed { what, iface } if iface.name.as_str() == "vb" && what.contains(Fields::MASTER) && iface.master.is_some()),
        "master change",
    );
    has(
        &|e| matches!(e, Event::AddressAdded { addr, name, .. } if *addr == a && name.map(|x| x.to_string()) == Some("br0".into())),
        "address added",
    );
    has(
        &|e| matches!(e, Event::AddressRemoved { addr, .. } if *addr == a),
        "address removed",
    );
    has(
        &|e| matches!(e, Event::Departed { iface, moved_to: None } if iface.name.as_str() == "mv0"),
        "departure of mv0",
    );
    // No event for a state that did not change: exactly one arrival per interface.
    let arrivals = seen
        .iter()
        .filter(|e| matches!(e, Event::Arrived(i) if i.name.as_str() == "br0"))
        .count();
    assert_eq!(arrivals, 1, "br0 arrived {arrivals} times");
    assert_eq!(model_of(&w), os_model(g.name()));
}

#[test]
fn a_move_between_watched_stacks_is_one_event_with_both_names() {
    require_root();
    let (a, b) = (StackGuard::new("watch-mv-a"), StackGuard::new("watch-mv-b"));
    epair(a.stack(), "ma", "mb");
    let mut both = Watcher::new(&[a.stack(), b.stack()]).expect("watch both");
    let mut only_a = Watcher::new(&[a.stack()]).expect("watch a");
    let opts = MoveOptions {
        new_name: Some(n("moved0")),
        ..MoveOptions::default()
    };
    let r = vmove(a.stack(), "ma", b.stack(), &opts).expect("move");
    let evs = drain(&mut both, Duration::from_millis(200));
    let moved: Vec<&Event> = evs
        .iter()
        .filter(|e| matches!(e, Event::Moved { .. }))
        .collect();
    assert_eq!(moved.len(), 1, "one move event expected in {evs:#?}");
    let Event::Moved { from, to, iface } = moved[0] else {
        unreachable!()
    };
    assert_eq!((&*from.stack, from.name.as_str()), (a.name(), "ma"));
    assert_eq!(&*to.stack, b.name());
    assert_eq!(to.index, r.index);
    assert_eq!(&*iface.stack, b.name());
    // The kernel moves the device, then vmove gives it its new name there: a move with the
    // name it arrived with, then a rename in the target — or one move with the new name.
    if to.name.as_str() != "moved0" {
        assert_eq!(to.name.as_str(), "ma");
        assert!(
            evs.iter().any(|e| matches!(e, Event::Renamed { old, iface }
                if old.as_str() == "ma" && iface.name.as_str() == "moved0" && &*iface.stack == b.name())),
            "no rename to moved0 in the target: {evs:#?}"
        );
    }
    assert!(
        !evs.iter()
            .any(|e| matches!(e, Event::Arrived(i) if i.index == r.index)
                || matches!(e, Event::Departed { iface, .. } if iface.name.as_str() == "ma")),
        "the move was reported twice: {evs:#?}"
    );
    // The old stack alone sees a departure that says where to.
    let evs = drain(&mut only_a, Duration::from_millis(200));
    let dep = evs
        .iter()
        .find_map(|e| match e {
            Event::Departed { iface, moved_to } if iface.name.as_str() == "ma" => Some(moved_to),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no departure of ma in {evs:#?}"));
    let d = dep.as_ref().expect("Linux says where it went");
    assert_eq!(d.stack.as_deref(), Some(b.name()));
    assert_eq!(d.index, Some(r.index));
    let mut m = os_model(a.name());
    m.extend(os_model(b.name()));
    assert_eq!(model_of(&both), m);
}

#[test]
fn overflow_becomes_a_resync_with_exactly_the_difference() {
    require_root();
    let g = StackGuard::new("watch-overflow");
    let s = g.stack();
    epair(s, "keep0", "keep1");
    // A tiny buffer (the kernel's minimum), and 5 000 creations while nobody reads.
    let mut w = Watcher::with_options(&[s], WatchOptions::new().rcvbuf(4096)).expect("watch");
    let before = model_of(&w);
    // epairs: their bulk destruction at the end is fast (the kernel destroys thousands of
    // bridges at one RCU grace period each, ≈16 ms apiece, even in one request).
    const N: usize = 5000;
    for k in 0..N {
        s.create_interface(&epair_req(&format!("o{k}a"), &format!("o{k}b")))
            .expect("create epair");
    }
    s.destroy("keep1").expect("destroy");
    let evs = drain(&mut w, Duration::from_millis(300));
    let resyncs = evs
        .iter()
        .filter(|e| matches!(e, Event::Resync { .. }))
        .count();
    assert!(
        resyncs >= 1,
        "no resync after {N} creations with a 4 KiB buffer"
    );
    assert_eq!(w.resyncs() as usize, resyncs);
    let mut m = before;
    for e in &evs {
        apply(&mut m, e);
    }
    assert_eq!(
        m,
        os_model(g.name()),
        "listing + events + resync diff differ from ip"
    );
    // Exactly the difference: every epair end arrives once, in an event or in a resync's diff,
    // and keep0/keep1 (unchanged) … keep1 departs once, keep0 is never re-announced.
    let mut arrivals: BTreeMap<String, usize> = BTreeMap::new();
    let mut count = |e: &Event| {
        if let Event::Arrived(i) = e {
            *arrivals.entry(i.name.to_string()).or_default() += 1;
        }
    };
    for e in &evs {
        match e {
            Event::Resync { diff, .. } => diff.iter().for_each(&mut count),
            e => count(e),
        }
    }
    assert_eq!(arrivals.len(), 2 * N, "arrivals: {} names", arrivals.len());
    assert!(
        arrivals.values().all(|&c| c == 1),
        "an arrival was delivered twice"
    );
    assert!(!arrivals.contains_key("keep0"));
    let names: Vec<String> = (0..N).map(|k| format!("o{k}a")).collect();
    s.destroy_many(&names).expect("destroy the epairs");
}

#[test]
fn named_stacks_created_and_removed_are_events() {
    require_root();
    let mut w = Watcher::with_options(&[], WatchOptions::new().stacks(true)).expect("watch");
    let mut g = StackGuard::new("watch-stacks");
    let name = g.name().to_string();
    let created = w
        .events(Duration::from_millis(500))
        .map(|e| e.unwrap())
        .any(|e| matches!(&e, Event::StackCreated { name: x } if *x == name));
    assert!(created, "no stack-created event for {name}");
    g.remove().expect("remove");
    let removed = w
        .events(Duration::from_millis(500))
        .map(|e| e.unwrap())
        .any(|e| matches!(&e, Event::StackRemoved { name: x } if *x == name));
    assert!(removed, "no stack-removed event for {name}");
}

#[test]
fn the_pollable_fd_signals_and_try_next_drains() {
    require_root();
    use std::os::fd::AsFd;
    let g = StackGuard::new("watch-fd");
    let mut w = Watcher::new(&[g.stack()]).expect("watch");
    assert!(w.try_next().unwrap().is_none(), "nothing happened yet");
    epair(g.stack(), "pa", "pb");
    let fd = w.fd().expect("fd").try_clone_to_owned().unwrap();
    let mut p = [nix::poll::PollFd::new(
        fd.as_fd(),
        nix::poll::PollFlags::POLLIN,
    )];
    let ready = nix::poll::poll(&mut p, nix::poll::PollTimeout::from(2000u16)).unwrap();
    assert_eq!(ready, 1, "the watcher's fd did not poll readable");
    let mut names = Vec::new();
    while let Some(e) = w.try_next().unwrap() {
        if let Event::Arrived(i) = e {
            names.push(i.name.to_string());
        }
    }
    names.sort();
    assert_eq!(names, ["pa", "pb"]);
}

#[test]
fn watching_a_stack_twice_is_refused_before_anything() {
    require_root();
    let g = StackGuard::new("watch-twice");
    let again = Stack::open_name(g.name()).unwrap();
    let e = Watcher::new(&[g.stack(), &again]).unwrap_err();
    assert_eq!(variant(&e), "InvalidArgument", "{e}");
}

/// `ifc monitor A B` prints a move between them as one line with both names and stacks, and
/// `--json` prints one object per line.
#[test]
fn ifc_monitor_prints_a_move_with_both_names() {
    require_root();
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let (a, b) = (StackGuard::new("mon-a"), StackGuard::new("mon-b"));
    epair(a.stack(), "qa", "qb");
    // The lines of a running `ifc monitor`, through a channel, and the child to kill.
    let start = |json: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ifc"));
        cmd.arg("monitor");
        if json {
            cmd.arg("--json");
        }
        let mut child = cmd
            .args([a.name(), b.name()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ifc monitor");
        // Wait until it is subscribed.
        let mut first = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.starts_with("ifc: watching "), "{first}");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        (child, rx)
    };
    let until_moved =
        |(mut child, rx): (std::process::Child, std::sync::mpsc::Receiver<String>)| {
            let mut lines = Vec::new();
            let found = loop {
                match rx.recv_timeout(Duration::from_secs(5)) {
                    Ok(l) if l.contains("moved") => break Some(l),
                    Ok(l) => lines.push(l),
                    Err(_) => break None,
                }
            };
            let _ = child.kill();
            let _ = child.wait();
            found.unwrap_or_else(|| panic!("no move among {lines:?}"))
        };
    let (text, json) = (start(false), start(true));
    let opts = MoveOptions {
        strategy: Some(ifclone::vmove::Strategy::Native),
        ..MoveOptions::default()
    };
    vmove(a.stack(), "qa", b.stack(), &opts).expect("move");
    let l = until_moved(text);
    assert!(
        l.starts_with(&format!("{}: moved {}:qa (index", b.name(), a.name()))
            && l.contains(&format!("-> {}:qa (index", b.name())),
        "{l}"
    );
    let v: serde_json::Value = serde_json::from_str(&until_moved(json)).expect("a JSON line");
    assert_eq!(v["event"], "moved");
    assert_eq!(v["from"]["stack"], a.name());
    assert_eq!(v["to"]["stack"], b.name());
    assert_eq!(v["from"]["name"], "qa");
}
