//! Helpers for the vmove tests: what must survive a move, observed with the OS's own tool; the
//! backend wrapper that fails its N-th mutating call is the crate's `ifclone::testing::Faulty`.

use ifclone::{Change, IfName};

use ifclone::ledger::Ledger;
use ifclone::vmove::{vmove_with, MoveOptions};
use ifclone::Stack;

use super::{observe, os_names, Obs, StackGuard};

/// The observable properties the vmove contract keeps (index excluded: not promised).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Props {
    pub name: String,
    pub kind: Option<String>,
    pub mtu: u32,
    pub mac: Option<String>,
    pub alias: Option<String>,
    pub up: bool,
}

impl From<Obs> for Props {
    fn from(o: Obs) -> Props {
        Props {
            name: o.name,
            kind: o.kind,
            mtu: o.mtu,
            mac: o.mac,
            alias: o.alias,
            up: o.up,
        }
    }
}

/// The contract's properties of `name` in `stack`, from the OS's tool; panics if absent.
#[track_caller]
pub fn props(stack: &str, name: &str) -> Props {
    observe(stack, name)
        .unwrap_or_else(|| panic!("{name} is not in stack {stack}"))
        .into()
}

/// The properties every scenario sets before a move.
pub const MTU: u32 = 1400;
pub const DESCR: &str = "uplink";

/// Sets MTU 1400, description "uplink", `mac`, and UP through the library.
pub fn configure(stack: &ifclone::Stack, name: &str, mac: &str) {
    stack
        .set(
            name,
            &Change {
                mtu: Some(MTU),
                mac: Some(mac.parse().unwrap()),
                description: Some(DESCR.into()),
                up: Some(true),
                ..Change::default()
            },
        )
        .unwrap_or_else(|e| panic!("configure {name}: {e}"));
}

/// A locally administered MAC unique to this process and `n`.
pub fn mac(n: u8) -> String {
    let p = std::process::id();
    format!(
        "02:{:02x}:{:02x}:{:02x}:00:{n:02x}",
        (p >> 16) & 0xff,
        (p >> 8) & 0xff,
        p & 0xff
    )
}

/// Asserts `name` in `stack` carries what `configure` set.
#[track_caller]
pub fn assert_configured(stack: &str, name: &str, mac: &str) {
    let p = props(stack, name);
    assert_eq!(p.mtu, MTU, "{name} in {stack}: mtu");
    assert_eq!(p.mac.as_deref(), Some(mac), "{name} in {stack}: mac");
    assert_eq!(
        p.alias.as_deref(),
        Some(DESCR),
        "{name} in {stack}: description"
    );
    assert!(p.up, "{name} in {stack}: not up");
}

pub use ifclone::testing::Faulty;

/// The addresses of `name` in `stack` (from `ip`), without IPv6 link-local ones, which belong to
/// the kernel and are never carried (docs/vmove.md), sorted.
pub fn addrs(stack: &str, name: &str) -> Vec<String> {
    let mut v: Vec<String> = super::ip_addrs(stack, name)
        .into_iter()
        .filter(|a| !a.starts_with("fe80:"))
        .collect();
    v.sort();
    v
}

/// One ping from inside `stack`, waiting at most 3 s.
pub fn ping(stack: &str, addr: &str) -> bool {
    let wait = if cfg!(target_os = "linux") {
        "-W"
    } else {
        "-t"
    };
    super::exec_in(stack, &["ping", "-c", "1", wait, "3", addr])
        .status
        .success()
}

// ---------------------------------------------------------------------------------------------
// Fault injection: every step of a move fails once
// ---------------------------------------------------------------------------------------------

/// Everything the contract keeps, plus addresses, for the interfaces named in a stack.
pub fn state(stack: &str, names: &[&str]) -> Vec<(Props, Vec<String>)> {
    names
        .iter()
        .map(|x| (props(stack, x), addrs(stack, x)))
        .collect()
}

/// Builds the source interface(s) in `a`; returns the names to move and the names whose state
/// must be restored on rollback.
pub type Setup = fn(&Stack) -> (Vec<&'static str>, Vec<&'static str>);

/// A scenario: the setup, and whether the move goes the way back (the interfaces are first moved
/// natively into S by the setup, then the faulty move brings them back to A).
pub struct Scenario {
    pub setup: Setup,
    pub back: bool,
}

/// Runs the move with a failure at call 1, 2, … until it succeeds, checking the rollback each time.
pub fn every_step(label: &str, setup: Setup, opts: MoveOptions) {
    run_every_step(label, Scenario { setup, back: false }, opts)
}

pub fn run_every_step(label: &str, sc: Scenario, opts: MoveOptions) {
    let ledger = Ledger::system();
    for fail_at in 1.. {
        assert!(fail_at < 60, "{label}: the move never succeeded");
        let a = StackGuard::new("flt-a");
        let s = StackGuard::new("flt-s");
        let (moving, watched) = (sc.setup)(&a);
        let (src, dst): (&Stack, &Stack) = if sc.back { (&s, &a) } else { (&a, &s) };
        if sc.back {
            ifclone::vmove::vmove_many(&a, &moving, &s, &MoveOptions::default()).unwrap();
        }
        // What must be back where it was after a failure: the moved ends in the source stack,
        // everything else (peers, parents) in A, where the setup made it.
        let watch = |st: &Stack| -> Vec<&str> {
            watched
                .iter()
                .copied()
                .filter(|w| {
                    let home = if moving.contains(w) { src } else { &*a };
                    home.name() == st.name()
                })
                .collect()
        };
        let (ws, wd) = (watch(src), watch(dst));
        let before = (state(src.name(), &ws), state(dst.name(), &wd));
        let dst_names_before = os_names(dst.name());
        let faulty = Faulty::failing_at(fail_at);
        let moves: Vec<(IfName, Option<IfName>)> = moving
            .iter()
            .map(|x| (IfName::new(x).unwrap(), None))
            .collect();
        match vmove_with(&faulty, &ledger, src.handle(), &moves, dst.handle(), &opts) {
            Ok(rs) => {
                assert!(fail_at > 1, "{label}: no mutating step at all?");
                assert_eq!(rs.len(), moving.len());
                eprintln!(
                    "{label}: {} mutating steps, each failure rolled back",
                    fail_at - 1
                );
                return;
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("injected failure"),
                    "{label} step {fail_at}: {msg}"
                );
                assert!(
                    !msg.contains("ROLLBACK INCOMPLETE"),
                    "{label} step {fail_at}: {msg}"
                );
                assert_eq!(
                    (state(src.name(), &ws), state(dst.name(), &wd)),
                    before,
                    "{label}: failure at mutating call {fail_at} was not rolled back: {msg}"
                );
                let mut now = os_names(dst.name());
                let mut was = dst_names_before.clone();
                now.sort();
                was.sort();
                assert_eq!(now, was, "{label}: target after failure at call {fail_at}");
                assert!(
                    dst.loans().unwrap().is_empty(),
                    "{label}: loan recorded in the target after a failed move"
                );
            }
        }
    }
}
