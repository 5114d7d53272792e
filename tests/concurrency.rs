//! Moves from several processes at once, on the real kernel (as root): the stack locks and the
//! ledger must keep every interface existing exactly once, where its mover says it left it, with
//! a ledger entry exactly for what is away from home.
//!
//! The movers are child processes (this test binary re-run as a scenario, `common::child`), so
//! that they share nothing but the kernel and /run/ifclone, as separate `ifc` invocations would.
//! Where the scenarios start together they wait for a barrier file the parent creates once every
//! child has said it is ready. What the children did is checked with the OS's own tools
//! (`ip -j link`; FreeBSD: `ifconfig`), never with the library.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use common::child::{self, Ended};
use common::*;
use ifclone::vmove::{self, MoveOptions};
use ifclone::{IfName, Stack, StackHandle};

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

/// A scratch directory for barrier and result files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(unique_stack_name(tag));
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
    fn file(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Children that are killed (by their pid) if the test fails before it waited for them.
#[derive(Default)]
struct Kids(Vec<(String, Option<Child>)>);

impl Kids {
    fn spawn(&mut self, label: impl Into<String>, scenario: &str, args: &[&str]) {
        self.0
            .push((label.into(), Some(child::spawn(scenario, args, None))));
    }

    /// Starts a child inside NETNS (`ip netns exec`; FreeBSD: `jexec`): its own stack
    /// (`Stack::host()`) is NETNS.
    fn spawn_in(&mut self, netns: &str, label: impl Into<String>, scenario: &str, args: &[&str]) {
        let exe = std::env::current_exe().expect("the test binary's path");
        let c = command_in(netns, exe)
            .args(["--exact", "child", "--nocapture", "--test-threads=1"])
            .env(child::ROLE, scenario)
            .env(child::ARGS, args.join("\x1f"))
            .env_remove(child::KILL_AT)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn the test binary inside a stack");
        self.0.push((label.into(), Some(c)));
    }

    /// Waits for every child; a child that did not complete is a test failure, with its output.
    fn wait_all(&mut self) {
        let mut failed = Vec::new();
        for (label, c) in &mut self.0 {
            let c = c.take().expect("waited once");
            match child::wait(c) {
                Ended::Completed => {}
                other => failed.push(format!("child {label}: {other:?}")),
            }
        }
        assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    }
}

impl Drop for Kids {
    fn drop(&mut self) {
        for (_, c) in &mut self.0 {
            if let Some(mut c) = c.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// Waits until every file exists (the children are ready), then creates `go` (the barrier).
fn release(ready: &[String], go: &str) {
    let t0 = Instant::now();
    while !ready.iter().all(|r| Path::new(r).exists()) {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "children not ready after 60 s"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    std::fs::write(go, b"go").unwrap();
}

/// In a child: says it is ready, then waits for the barrier.
fn barrier(ready: &str, go: &str) -> Result<(), String> {
    std::fs::write(ready, b"ready").map_err(|e| format!("write {ready}: {e}"))?;
    let t0 = Instant::now();
    while !Path::new(go).exists() {
        if t0.elapsed() > Duration::from_secs(120) {
            return Err(format!("barrier {go} never appeared"));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(())
}

fn open(name: &str) -> Result<Stack, String> {
    Stack::open_name(name).map_err(|e| format!("open stack {name}: {e}"))
}

/// One line of a result file: an error as its variant and its one-line message.
fn err_line(e: &ifclone::Error) -> String {
    format!(
        "err\t{}\t{}",
        variant(e),
        e.to_string().replace('\n', " | ")
    )
}

/// Where each of `names` is, as `ip -j link` shows it: every stack of `stacks` (and the host)
/// that has it. An interface listed once is where it is; none is lost, more than one doubled.
fn whereabouts(stacks: &[&str], names: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut at: BTreeMap<String, Vec<String>> =
        names.iter().map(|x| (x.clone(), Vec::new())).collect();
    for st in std::iter::once(&"host").chain(stacks) {
        for o in observe_all(st) {
            if let Some(v) = at.get_mut(&o.name) {
                v.push(st.to_string());
            }
        }
    }
    at
}

fn lost_and_doubled(at: &BTreeMap<String, Vec<String>>) -> (Vec<String>, Vec<String>) {
    let lost = at
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| k.clone())
        .collect();
    let doubled = at
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, v)| format!("{k} in {v:?}"))
        .collect();
    (lost, doubled)
}

/// The loans of a stack as (name, index, home), sorted.
fn loans_of(s: &Stack) -> Vec<(String, u32, String)> {
    let mut v: Vec<(String, u32, String)> = s
        .loans()
        .unwrap_or_else(|e| panic!("loans of {}: {e}", s.name()))
        .into_iter()
        .map(|(n, i, h)| (n.to_string(), i, h))
        .collect();
    v.sort();
    v
}

/// What the ledger of `stack` must hold: each of `names` that ip shows in it, with ip's index,
/// lent by `home`.
fn expected_loans(stack: &str, names: &[&String], home: &str) -> Vec<(String, u32, String)> {
    let here = observe_all(stack);
    let mut v: Vec<(String, u32, String)> = names
        .iter()
        .map(|x| {
            let o = here
                .iter()
                .find(|o| &o.name == *x)
                .unwrap_or_else(|| panic!("{x} is not in {stack}"));
            (x.to_string(), o.index, home.to_string())
        })
        .collect();
    v.sort();
    v
}

/// No intent on disk names one of these stacks: every move finished or was rolled back.
fn assert_no_intents_for(stacks: &[&str]) {
    let dir = ifclone::ledger::Ledger::system().runtime().join("intents");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        for s in stacks {
            assert!(
                !text.contains(&format!("\"{s}\"")),
                "intent {} about stack {s} left behind:\n{text}",
                p.display()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The child scenarios
// ---------------------------------------------------------------------------------------------

#[test]
fn child() {
    child::child_entry(|scenario, args| match scenario {
        "mover" => mover(args),
        "racer" => racer(args),
        "mover_in" => mover_in(args),
        "remover" => remover(args),
        "reclaimer" => reclaimer(args),
        _ => Err(format!("unknown scenario {scenario}")),
    });
}

/// A small deterministic generator, seeded per child.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, m: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % m
    }
}

/// `mover HOME S1 S2 READY GO OUT SEED MOVES NAME...`: moves its own interfaces around
/// HOME → S1 → S2 → HOME (from S1, sometimes straight home by reclaim; from S2 home by reclaim
/// or by an explicit move, at random), MOVES moves in all, then writes where it left each one
/// (`name\tstack` lines) to OUT.
fn mover(args: &[String]) -> Result<(), String> {
    let [home, s1, s2, ready, go, out, seed, moves, names @ ..] = args else {
        return Err(format!("mover: bad arguments {args:?}"));
    };
    let stacks = [open(home)?, open(s1)?, open(s2)?];
    let moves: usize = moves.parse().map_err(|e| format!("moves: {e}"))?;
    let mut rng = Lcg(seed.parse().map_err(|e| format!("seed: {e}"))?);
    // 0: home, 1: S1, 2: S2.
    let mut pos = vec![0usize; names.len()];
    let o = MoveOptions::default();
    barrier(ready, go)?;
    for m in 0..moves {
        let k = rng.next(names.len() as u64) as usize;
        let name = names[k].as_str();
        let (from, to, how) = match pos[k] {
            0 => (0, 1, "vmove"),
            1 if rng.next(4) == 0 => (1, 0, "reclaim"),
            1 => (1, 2, "vmove"),
            _ if rng.next(2) == 0 => (2, 0, "reclaim"),
            _ => (2, 0, "vmove"),
        };
        let r = match how {
            "reclaim" => vmove::reclaim(&stacks[from], name, &o),
            _ => vmove::vmove(&stacks[from], name, &stacks[to], &o),
        };
        let r = r.map_err(|e| {
            format!(
                "move {m}: {how} {name} {} -> {}: {e}",
                stacks[from].name(),
                stacks[to].name()
            )
        })?;
        if r.to != stacks[to].name() {
            return Err(format!(
                "move {m}: {how} {name} from {} went to {}, not {}",
                stacks[from].name(),
                r.to,
                stacks[to].name()
            ));
        }
        pos[k] = to;
    }
    let text: String = names
        .iter()
        .zip(&pos)
        .map(|(x, p)| format!("{x}\t{}\n", stacks[*p].name()))
        .collect();
    std::fs::write(out, text).map_err(|e| format!("write {out}: {e}"))
}

/// `racer FROM NAME TO READY GO OUT`: once the barrier is there, moves NAME from FROM into TO;
/// writes `ok` or the error to OUT. A failed move is an outcome, not a failure of the child.
fn racer(args: &[String]) -> Result<(), String> {
    let [from, name, to, ready, go, out] = args else {
        return Err(format!("racer: bad arguments {args:?}"));
    };
    let (from, to) = (open(from)?, open(to)?);
    barrier(ready, go)?;
    let line = match vmove::vmove(&from, name, &to, &MoveOptions::default()) {
        Ok(r) => format!("ok\t{}", r.to),
        Err(e) => err_line(&e),
    };
    std::fs::write(out, line).map_err(|e| format!("write {out}: {e}"))
}

/// `mover_in HOME S READY GO OUT PACE_MS NAME...`: moves each NAME from HOME into S, one by
/// one, PACE_MS apart, whatever happens to S meanwhile; writes `name\tok` or `name\terr\t...`
/// lines to OUT.
fn mover_in(args: &[String]) -> Result<(), String> {
    let [home, s, ready, go, out, pace, names @ ..] = args else {
        return Err(format!("mover_in: bad arguments {args:?}"));
    };
    let pace: u64 = pace.parse().map_err(|e| format!("pace: {e}"))?;
    let (home, s) = (open(home)?, open(s)?);
    barrier(ready, go)?;
    let mut text = String::new();
    for x in names {
        std::thread::sleep(Duration::from_millis(pace));
        let line = match vmove::vmove(&home, x, &s, &MoveOptions::default()) {
            Ok(_) => "ok".to_string(),
            Err(e) => err_line(&e),
        };
        text.push_str(&format!("{x}\t{line}\n"));
    }
    std::fs::write(out, text).map_err(|e| format!("write {out}: {e}"))
}

/// `remover S READY GO OUT DELAY_MS`: once the barrier is there and DELAY_MS later, removes S;
/// writes `ok\treturned...` or the error to OUT.
fn remover(args: &[String]) -> Result<(), String> {
    let [s, ready, go, out, delay] = args else {
        return Err(format!("remover: bad arguments {args:?}"));
    };
    let delay: u64 = delay.parse().map_err(|e| format!("delay: {e}"))?;
    let s = open(s)?;
    barrier(ready, go)?;
    std::thread::sleep(Duration::from_millis(delay));
    let line = match s.remove() {
        Ok(r) => {
            let names = |v: &[(IfName, String)]| {
                v.iter()
                    .map(|(n, h)| format!("{n}@{h}"))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!(
                "ok\treturned={}\tlost={}\tgone={}\tdestroyed={}",
                names(&r.returned),
                names(&r.lost),
                names(&r.gone),
                r.destroyed
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            )
        }
        Err(e) => err_line(&e),
    };
    std::fs::write(out, line).map_err(|e| format!("write {out}: {e}"))
}

/// `reclaimer S NAME READY GO OUT`: once the barrier is there, waits for NAME to appear in S and
/// reclaims it at once; writes `ok\tTO` or the error to OUT.
fn reclaimer(args: &[String]) -> Result<(), String> {
    let [s, name, ready, go, out] = args else {
        return Err(format!("reclaimer: bad arguments {args:?}"));
    };
    let s = open(s)?;
    barrier(ready, go)?;
    let t0 = Instant::now();
    while s.interface(name).is_err() {
        if t0.elapsed() > Duration::from_secs(30) {
            return Err(format!("{name} never appeared in {}", s.name()));
        }
    }
    let line = match vmove::reclaim(&s, name, &MoveOptions::default()) {
        Ok(r) => format!("ok\t{}", r.to),
        Err(e) => err_line(&e),
    };
    std::fs::write(out, line).map_err(|e| format!("write {out}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// (a) Six processes × 200 moves through two shared stacks
// ---------------------------------------------------------------------------------------------

const PROCS: usize = 6;
const MOVES: usize = 200;
const PER_CHILD: usize = 2;

fn a_end(i: usize, j: usize) -> String {
    format!("cc{i}e{j}a")
}

fn b_end(i: usize, j: usize) -> String {
    format!("cc{i}e{j}b")
}

/// Six processes, each moving its own two epair ends 200 times among a shared home A and two
/// shared stacks S1 and S2, all at once. Afterwards every interface exists exactly once, where
/// its mover says it left it; the ledgers of S1 and S2 hold exactly what is away from home in
/// them (with the index ip shows and A as the home); removing S1 and S2 brings everything home.
#[test]
fn six_processes_moving_through_shared_stacks_lose_and_double_nothing() {
    require_root();
    let a = StackGuard::new("cc-home");
    let mut s1 = StackGuard::new("cc-s1");
    let mut s2 = StackGuard::new("cc-s2");
    let dir = Scratch::new("cc");
    let mut all: Vec<String> = Vec::new();
    for i in 0..PROCS {
        for j in 0..PER_CHILD {
            epair(&a, &a_end(i, j), &b_end(i, j));
            a.set_up(&b_end(i, j), true).unwrap();
            // Half of them up: those moves restore UP in the target too.
            if j == 0 {
                a.set_up(&a_end(i, j), true).unwrap();
            }
            all.push(a_end(i, j));
            all.push(b_end(i, j));
        }
    }
    let go = dir.file("go");
    let mut kids = Kids::default();
    let mut ready = Vec::new();
    let mut outs = Vec::new();
    for i in 0..PROCS {
        let (r, o) = (dir.file(&format!("ready{i}")), dir.file(&format!("out{i}")));
        let seed = (1000 + i).to_string();
        let moves = MOVES.to_string();
        let names: Vec<String> = (0..PER_CHILD).map(|j| a_end(i, j)).collect();
        let mut args: Vec<&str> = vec![a.name(), s1.name(), s2.name(), &r, &go, &o, &seed, &moves];
        args.extend(names.iter().map(String::as_str));
        kids.spawn(format!("mover {i}"), "mover", &args);
        ready.push(r);
        outs.push(o);
    }
    release(&ready, &go);
    let t0 = Instant::now();
    kids.wait_all();
    let took = t0.elapsed();

    // Where each mover says it left its interfaces; the b ends never left A.
    let mut want: BTreeMap<String, String> = BTreeMap::new();
    for o in &outs {
        let text = std::fs::read_to_string(o).unwrap_or_else(|e| panic!("{o}: {e}"));
        for line in text.lines() {
            let (x, st) = line.split_once('\t').expect("name\\tstack");
            want.insert(x.to_string(), st.to_string());
        }
    }
    for i in 0..PROCS {
        for j in 0..PER_CHILD {
            assert!(want.contains_key(&a_end(i, j)), "mover {i} did not report");
            want.insert(b_end(i, j), a.name().to_string());
        }
    }
    let stacks = [a.name(), s1.name(), s2.name()];
    let at = whereabouts(&stacks, &all);
    let (lost, doubled) = lost_and_doubled(&at);
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert!(doubled.is_empty(), "doubled: {doubled:?}");
    for (x, st) in &want {
        assert_eq!(
            at[x],
            vec![st.clone()],
            "{x}: its mover left it in {st}, ip shows it in {:?}",
            at[x]
        );
    }
    // The ledgers: exactly what is away from home, with ip's index, lent by A.
    for s in [&s1, &s2] {
        let away: Vec<&String> = want
            .iter()
            .filter(|(_, st)| st.as_str() == s.name())
            .map(|(x, _)| x)
            .collect();
        assert_eq!(
            loans_of(s),
            expected_loans(s.name(), &away, a.name()),
            "ledger of {}",
            s.name()
        );
    }
    assert!(loans_of(&a).is_empty(), "A lends, it borrows nothing");
    assert_no_intents_for(&stacks);

    // Removing S1 and S2 brings every loan home.
    for s in [&mut s1, &mut s2] {
        let name = s.name().to_string();
        let key = s.handle().key().unwrap();
        let mut away: Vec<String> = want
            .iter()
            .filter(|(_, st)| **st == name)
            .map(|(x, _)| x.clone())
            .collect();
        away.sort();
        let r = s.remove().unwrap_or_else(|e| panic!("remove {name}: {e}"));
        let mut returned: Vec<String> = r.returned.iter().map(|(x, _)| x.to_string()).collect();
        returned.sort();
        assert_eq!(returned, away, "remove {name}: {r:?}");
        assert!(r.returned.iter().all(|(_, h)| h == a.name()), "{r:?}");
        assert!(
            r.lost.is_empty() && r.gone.is_empty() && r.destroyed.is_empty(),
            "{r:?}"
        );
        assert!(!os_stacks().contains(&name), "{name} still listed");
        assert!(
            !ifclone::ledger::Ledger::system().file_of(&key).exists(),
            "the ledger file of the removed {name} is left behind"
        );
    }
    let at = whereabouts(&[a.name()], &all);
    let (lost, doubled) = lost_and_doubled(&at);
    assert!(
        lost.is_empty() && doubled.is_empty(),
        "after removal: lost {lost:?}, doubled {doubled:?}"
    );
    assert!(at.values().all(|v| v == &vec![a.name().to_string()]));
    let total = PROCS * MOVES;
    eprintln!(
        "{PROCS} processes × {MOVES} moves: {} lost, {} doubled ({total} moves in {:.1} s, {:.1} ms per move)",
        lost.len(),
        doubled.len(),
        took.as_secs_f64(),
        took.as_secs_f64() * 1000.0 / total as f64
    );
}

// ---------------------------------------------------------------------------------------------
// (b) Two processes racing for one interface
// ---------------------------------------------------------------------------------------------

const RACE_ROUNDS: usize = 20;

/// Two processes try to move the same X out of A at the same moment, one into B, the other into
/// C. Each round exactly one wins; the loser fails with NotFound, and its message does not
/// claim X is anywhere ip does not show it (in particular not in A). X exists once, and the
/// ledgers agree with where it is.
#[test]
fn two_processes_racing_for_one_interface_one_wins() {
    require_root();
    let a = StackGuard::new("race-a");
    let b = StackGuard::new("race-b");
    let c = StackGuard::new("race-c");
    let dir = Scratch::new("race");
    let x = "rx0a";
    epair(&a, x, "rx0b");
    a.set_up(x, true).unwrap();
    let names = vec![x.to_string(), "rx0b".to_string()];
    let stacks = [a.name(), b.name(), c.name()];
    let mut wins = BTreeMap::new();
    for round in 0..RACE_ROUNDS {
        let go = dir.file(&format!("go{round}"));
        let mut kids = Kids::default();
        let mut ready = Vec::new();
        let mut outs = Vec::new();
        for (k, to) in [b.name(), c.name()].into_iter().enumerate() {
            let r = dir.file(&format!("ready{round}-{k}"));
            let o = dir.file(&format!("out{round}-{k}"));
            kids.spawn(
                format!("racer {k} round {round}"),
                "racer",
                &[a.name(), x, to, &r, &go, &o],
            );
            ready.push(r);
            outs.push(o);
        }
        release(&ready, &go);
        kids.wait_all();
        let results: Vec<String> = outs
            .iter()
            .map(|o| std::fs::read_to_string(o).unwrap_or_else(|e| panic!("{o}: {e}")))
            .collect();
        let at = whereabouts(&stacks, &names);
        let (lost, doubled) = lost_and_doubled(&at);
        assert!(
            lost.is_empty() && doubled.is_empty(),
            "round {round}: lost {lost:?}, doubled {doubled:?}; results {results:?}"
        );
        let here = at[x][0].clone();
        assert_eq!(at["rx0b"], vec![a.name().to_string()]);
        let oks: Vec<usize> = (0..2).filter(|&k| results[k].starts_with("ok")).collect();
        assert_eq!(
            oks.len(),
            1,
            "round {round}: exactly one must win: {results:?}"
        );
        let (winner, loser) = (oks[0], 1 - oks[0]);
        let target = [b.name(), c.name()][winner];
        assert_eq!(
            here, target,
            "round {round}: {x} is in {here}, the winner moved it into {target}"
        );
        let lost_msg = &results[loser];
        let mut f = lost_msg.splitn(3, '\t');
        assert_eq!(f.next(), Some("err"), "round {round}: {lost_msg}");
        assert_eq!(
            f.next(),
            Some("NotFound"),
            "round {round}: the loser's error: {lost_msg}"
        );
        let text = f.next().unwrap_or("");
        for st in stacks.iter().filter(|s| **s != here) {
            for claim in [format!("{x} is in stack {st}"), format!("{x} is in {st}")] {
                assert!(
                    !text.contains(&claim),
                    "round {round}: the loser says {claim:?}, but ip shows {x} in {here}: {text}"
                );
            }
        }
        assert!(
            text.contains(x) && text.contains(a.name()),
            "round {round}: the loser's message names neither {x} nor its source: {text}"
        );
        if round == 0 {
            eprintln!("the loser said: {text}");
        }
        // The ledgers agree: the winner's stack borrows X from A; nobody else holds anything.
        let (ws, ls) = if winner == 0 { (&b, &c) } else { (&c, &b) };
        assert_eq!(
            loans_of(ws),
            expected_loans(ws.name(), &[&x.to_string()], a.name()),
            "round {round}"
        );
        assert!(loans_of(ls).is_empty(), "round {round}: loser's stack");
        assert!(loans_of(&a).is_empty(), "round {round}: A");
        *wins.entry(target.to_string()).or_insert(0) += 1;
        // Home again, for the next round.
        if round % 2 == 0 {
            vmove::reclaim(ws, x, &MoveOptions::default()).unwrap();
        } else {
            vmove::vmove(ws, x, &a, &MoveOptions::default()).unwrap();
        }
        assert_eq!(whereabouts(&stacks, &names)[x], vec![a.name().to_string()]);
        assert!(loans_of(ws).is_empty(), "round {round}: after the way home");
    }
    assert_no_intents_for(&stacks);
    eprintln!("2 processes × {RACE_ROUNDS} races: one winner each time ({wins:?})");
}

// ---------------------------------------------------------------------------------------------
// (c) Moving loans in while the stack is being removed
// ---------------------------------------------------------------------------------------------

/// (delay before the removal, pause between two moves in), in ms: back to back, and paced so
/// that a removal can finish between two arrivals.
const REMOVE_ROUNDS: [(u64, u64); 6] = [(0, 0), (30, 0), (100, 0), (250, 0), (60, 25), (200, 25)];
const MOVED_IN: usize = 16;

/// One process moves interfaces from A into S, one by one, while another removes S (after a
/// delay and at a pace that vary per round). Nothing is lost: every interface ends in A, or in S with a
/// ledger entry if S survived; the b ends never leave A; a move that lost the race is refused
/// because S is gone, and leaves its interface in A.
#[test]
fn moving_in_while_the_stack_is_removed_loses_nothing() {
    require_root();
    let mut summary = Vec::new();
    for (round, (delay, pace)) in REMOVE_ROUNDS.into_iter().enumerate() {
        let a = StackGuard::new("rm-a");
        let mut s = StackGuard::new("rm-s");
        let s_key = s.handle().key().unwrap();
        let dir = Scratch::new("rm");
        let ends: Vec<(String, String)> = (0..MOVED_IN)
            .map(|i| (format!("rm{i}a"), format!("rm{i}b")))
            .collect();
        for (x, y) in &ends {
            epair(&a, x, y);
        }
        let all: Vec<String> = ends
            .iter()
            .flat_map(|(x, y)| [x.clone(), y.clone()])
            .collect();
        let go = dir.file("go");
        let (r1, o1) = (dir.file("ready-mover"), dir.file("out-mover"));
        let (r2, o2) = (dir.file("ready-remover"), dir.file("out-remover"));
        let mut kids = Kids::default();
        let p = pace.to_string();
        let mut args: Vec<&str> = vec![a.name(), s.name(), &r1, &go, &o1, &p];
        args.extend(ends.iter().map(|(x, _)| x.as_str()));
        kids.spawn(format!("mover round {round}"), "mover_in", &args);
        let d = delay.to_string();
        kids.spawn(
            format!("remover round {round}"),
            "remover",
            &[s.name(), &r2, &go, &o2, &d],
        );
        release(&[r1, r2], &go);
        kids.wait_all();
        let moved = std::fs::read_to_string(&o1).unwrap();
        let removed = std::fs::read_to_string(&o2).unwrap();

        let survived = os_stacks().iter().any(|x| x == s.name());
        if removed.starts_with("ok") {
            assert!(!survived, "round {round}: removed, but still listed");
        } else {
            // The only acceptable refusal: loans kept arriving while the others went home.
            assert!(
                removed.starts_with("err\tBusy"),
                "round {round}: the removal failed: {removed}"
            );
            assert!(survived, "round {round}: refused, but S is gone");
        }
        let stacks: Vec<&str> = if survived {
            vec![a.name(), s.name()]
        } else {
            vec![a.name()]
        };
        let at = whereabouts(&stacks, &all);
        let (lost, doubled) = lost_and_doubled(&at);
        assert!(
            lost.is_empty() && doubled.is_empty(),
            "round {round} (delay {delay} ms): lost {lost:?}, doubled {doubled:?}\nmover: {moved}\nremover: {removed}"
        );
        for (_, y) in &ends {
            assert_eq!(at[y], vec![a.name().to_string()], "round {round}: {y}");
        }
        // A move either went in or was refused because S was gone, with its interface in A.
        let mut refused = 0;
        for line in moved.lines() {
            let (x, res) = line.split_once('\t').unwrap();
            if res != "ok" {
                refused += 1;
                assert!(
                    res.starts_with("err\tNotFound"),
                    "round {round}: moving {x} in failed otherwise: {res}"
                );
                assert_eq!(at[x], vec![a.name().to_string()], "round {round}: {x}");
            }
        }
        let in_s: Vec<&String> = ends
            .iter()
            .map(|(x, _)| x)
            .filter(|x| at[*x] != vec![a.name().to_string()])
            .collect();
        if survived {
            assert_eq!(
                loans_of(&s),
                expected_loans(s.name(), &in_s, a.name()),
                "round {round}: ledger of the surviving S"
            );
            let r = s.remove().unwrap();
            assert!(r.lost.is_empty(), "{r:?}");
        } else {
            assert!(in_s.is_empty());
            assert!(
                !ifclone::ledger::Ledger::system().file_of(&s_key).exists(),
                "round {round}: the removed stack's ledger file is left behind"
            );
            s.forget();
        }
        assert!(loans_of(&a).is_empty());
        let at = whereabouts(&[a.name()], &all);
        let (lost, doubled) = lost_and_doubled(&at);
        assert!(
            lost.is_empty() && doubled.is_empty(),
            "round {round} at the end: lost {lost:?}, doubled {doubled:?}"
        );
        summary.push(format!(
            "delay {delay} ms, pace {pace} ms: {} moved in, {refused} refused, S {}",
            MOVED_IN - refused,
            if survived { "kept (busy)" } else { "removed" }
        ));
    }
    eprintln!(
        "move in while removing: 0 lost, 0 doubled; {}",
        summary.join("; ")
    );
}

// ---------------------------------------------------------------------------------------------
// (d) A reclaim racing the move that lends the interface
// ---------------------------------------------------------------------------------------------

const RECLAIM_ROUNDS: usize = 20;

/// One process moves X from A into S; another reclaims X from S the moment it sees X there.
/// X's home is A, and by the time the reclaim holds the stacks' locks the loan is recorded, so X
/// must go to A. The reclaimer runs inside the test stack H (`ip netns exec`), so that "the host
/// stack" (where reclaim sends an interface with no loan recorded) is H, not the real host: an X
/// found in H was sent to the host by a home decided before the loan was recorded.
#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "needs a process inside one stack that opens another: a jailed process sees no \
              sibling jail"
)]
fn a_reclaim_racing_the_lending_move_sends_it_home() {
    require_root();
    let a = StackGuard::new("rq-a");
    let s = StackGuard::new("rq-s");
    let h = StackGuard::new("rq-h");
    let dir = Scratch::new("rq");
    let x = "rq0a";
    epair(&a, x, "rq0b");
    let names = vec![x.to_string(), "rq0b".to_string()];
    let stacks = [a.name(), s.name(), h.name()];
    let mut errors = 0;
    let mut misrouted = Vec::new();
    for round in 0..RECLAIM_ROUNDS {
        let go = dir.file(&format!("go{round}"));
        let (r, o) = (
            dir.file(&format!("ready{round}")),
            dir.file(&format!("out{round}")),
        );
        let mut kids = Kids::default();
        kids.spawn_in(
            h.name(),
            format!("reclaimer round {round}"),
            "reclaimer",
            &[s.name(), x, &r, &go, &o],
        );
        release(std::slice::from_ref(&r), &go);
        vmove::vmove(&a, x, &s, &MoveOptions::default()).unwrap();
        kids.wait_all();
        let res = std::fs::read_to_string(&o).unwrap();
        let at = whereabouts(&stacks, &names);
        let (lost, doubled) = lost_and_doubled(&at);
        assert!(
            lost.is_empty() && doubled.is_empty(),
            "round {round}: lost {lost:?}, doubled {doubled:?}: {res}"
        );
        if res.starts_with("err") {
            // Refused (the loan not found yet, say): then X must still be in S, lent by A.
            errors += 1;
            assert_eq!(at[x], vec![s.name().to_string()], "round {round}: {res}");
            vmove::reclaim(&s, x, &MoveOptions::default()).unwrap();
            continue;
        }
        if at[x] == vec![h.name().to_string()] {
            // Sent to the reclaimer's host stack, though the ledger knew the home all along.
            misrouted.push(format!(
                "round {round}: {res}; ledger of H: {:?}",
                loans_of(&h)
            ));
            vmove::reclaim(&h, x, &MoveOptions::default()).unwrap();
        }
        assert_eq!(at[x].len(), 1);
        assert_eq!(
            whereabouts(&stacks, &names)[x],
            vec![a.name().to_string()],
            "round {round}: {res}"
        );
        assert!(loans_of(&s).is_empty() && loans_of(&h).is_empty());
    }
    assert!(
        misrouted.is_empty(),
        "{} of {RECLAIM_ROUNDS} reclaims racing the lending move sent {x} to the reclaimer's host \
         stack {} instead of its home {}:\n{}",
        misrouted.len(),
        h.name(),
        a.name(),
        misrouted.join("\n")
    );
    eprintln!(
        "reclaim racing the lending move: {RECLAIM_ROUNDS} rounds, all home ({errors} refused)"
    );
}
