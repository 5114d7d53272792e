//! The steps of a move, as data: what `exec.rs` runs, what the snapshots show a reviewer.

use std::fmt;

use crate::model::KindName;
use crate::vmove::drivers::driver;
use crate::vmove::{MoveOptions, Strategy};

/// One step of a move. Steps run in order over every interface of the move; each step that
/// changes something is journaled with its inverse (see `exec.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Source exists, target alive and held, names free, kind movable. Changes nothing.
    PreCheck,
    /// Save the generic and the kind's own parameters, addresses and memberships.
    Save,
    /// Write the move's intent durably (identities, stacks, saved parameters, plan), so that a
    /// crash at any later point can be finished or undone by `recover`.
    Intent,
    /// A port of a bridge/lagg leaves it in the source, before the kernel's move would detach
    /// it: both kernels then give a lagg port its own MAC back (FreeBSD keeps the lagg's on a
    /// move). Nothing to do for an interface that is no port.
    LeaveMaster,
    /// Take the interface's old identity mark off in the source (it gets a new one in the target).
    Unmark,
    /// The kernel's own move, with the final name in the same request.
    MoveNative,
    /// Create the same kind in the target under a temporary name, with the saved parameters.
    CreateInTarget,
    /// epair: create a new pair with its main end in the target and its peer beside the old peer,
    /// both under temporary names.
    CreatePairAcross,
    /// Re-apply MTU, MAC and description where the target differs from the saved record.
    RestoreParams,
    /// Destroy the source (an epair end takes its peer with it). Many at once: one bulk delete.
    DestroySource,
    /// Rename the copy in the target from its temporary to its final name.
    RenameInTarget,
    /// epair: rename the new peer to the old peer's name and re-apply its parameters, addresses
    /// and UP state.
    RestorePeer,
    /// A group (bond/lagg): its ports, moved before it, join the copy in the target — the
    /// primary first — and the copy gets its saved MTU and MAC back where the kernel gave it the
    /// first port's.
    JoinPorts,
    /// Re-add the saved addresses (only with `carry_addresses`).
    RestoreAddresses,
    /// Bring it up, last, if it was up before.
    Up,
    /// A group: its saved primary port again, and the port the kernel makes active is the one
    /// that was (waited for a bounded time).
    RestoreActive,
    /// Compare the target with the saved record; check the target stack is still alive.
    Verify,
    /// Mark the device and record the loan in the ledger, so the interface goes home when the
    /// target is removed; forget the loan it had in the source.
    RecordLoan,
}

impl Step {
    /// Whether the step changes the system (and may therefore need undoing).
    pub fn mutates(self) -> bool {
        !matches!(self, Step::PreCheck | Step::Save | Step::Verify)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Step::PreCheck => "pre-check: source exists, target alive and held open, names free, kind movable",
            Step::Save => "save parameters (generic + kind's own), addresses, memberships",
            Step::Intent => "write the intent durably (identities, stacks, saved parameters, plan)",
            Step::LeaveMaster => "a port leaves its bridge/lagg in the source (own MAC back)",
            Step::Unmark => "take the old identity mark off the source",
            Step::MoveNative => "kernel move into the target, final name in the same request",
            Step::CreateInTarget => "create the same kind in the target under a temporary name",
            Step::CreatePairAcross => "create a new pair from the target: main end under its final name, peer beside the old peer under a temporary name",
            Step::RestoreParams => "re-apply MTU, MAC, description where they differ",
            Step::DestroySource => "destroy the source (many: one bulk delete)",
            Step::RenameInTarget => "rename temporary -> final name in the target",
            Step::RestorePeer => "rename the new peer to the old peer's name, re-apply its parameters and UP (one request)",
            Step::JoinPorts => "the moved ports join the copy, primary first; MTU and MAC again",
            Step::RestoreAddresses => "re-add the saved addresses",
            Step::Up => "bring it up if it was up",
            Step::RestoreActive => "the saved primary again; the same port active (bounded wait)",
            Step::Verify => "verify every saved property in the target; target still alive",
            Step::RecordLoan => "mark the device, record the loan (home stack) in the ledger",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self)
    }
}

/// A move plan: the strategy and the ordered steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub kind: Option<KindName>,
    pub strategy: Strategy,
    pub steps: Vec<Step>,
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "move {} with strategy {}",
            self.kind.map(|k| k.as_str()).unwrap_or("device"),
            self.strategy
        )?;
        for (i, s) in self.steps.iter().enumerate() {
            writeln!(f, "{:2}. {:<17} {}", i + 1, s.to_string(), s.describe())?;
        }
        Ok(())
    }
}

/// The plan for moving an interface of `kind` (`None`: a device ifclone does not model).
/// Fails when the kind cannot move with the requested strategy.
pub fn plan(kind: Option<KindName>, opts: &MoveOptions) -> Result<Plan, String> {
    let d = driver(kind);
    let forced = if opts.epair_fast_path && kind == Some(KindName::Epair) {
        Some(opts.strategy.unwrap_or(Strategy::Recreate))
    } else {
        opts.strategy
    };
    let strategy = d.choose(forced)?;
    use Step::*;
    let mut steps = vec![PreCheck, Save, Intent];
    match strategy {
        Strategy::Native => steps.extend([LeaveMaster, Unmark, MoveNative, RestoreParams]),
        Strategy::Recreate if kind == Some(KindName::Epair) => {
            steps.extend([CreatePairAcross, RestoreParams, DestroySource, RestorePeer])
        }
        Strategy::Recreate if d.exclusive => {
            steps.extend([DestroySource, CreateInTarget, RestoreParams, RenameInTarget])
        }
        Strategy::Recreate => {
            steps.extend([CreateInTarget, RestoreParams, DestroySource, RenameInTarget])
        }
        Strategy::NoMove => unreachable!("choose() refuses NoMove"),
    }
    if d.takes_ports {
        steps.push(JoinPorts);
    }
    if opts.carry_addresses {
        steps.push(RestoreAddresses);
    }
    steps.push(Up);
    if d.takes_ports {
        steps.push(RestoreActive);
    }
    steps.extend([Verify, RecordLoan]);
    Ok(Plan {
        kind,
        strategy,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind × strategy plan, for review. A change here changes the algorithm's order.
    #[test]
    fn plans() {
        let mut out = String::new();
        let kinds = std::iter::once(None).chain(KindName::ALL.iter().copied().map(Some));
        for kind in kinds {
            for (label, opts) in [
                ("default", MoveOptions::default()),
                (
                    "native",
                    MoveOptions {
                        strategy: Some(Strategy::Native),
                        ..MoveOptions::default()
                    },
                ),
                (
                    "recreate",
                    MoveOptions {
                        strategy: Some(Strategy::Recreate),
                        ..MoveOptions::default()
                    },
                ),
                (
                    "default+addresses",
                    MoveOptions {
                        carry_addresses: true,
                        ..MoveOptions::default()
                    },
                ),
            ] {
                let name = kind.map(|k| k.as_str()).unwrap_or("device");
                match plan(kind, &opts) {
                    Ok(p) => out.push_str(&format!("## {name} [{label}]\n{p}\n")),
                    Err(e) => out.push_str(&format!("## {name} [{label}]\nrefused: {e}\n\n")),
                }
            }
        }
        let fast = MoveOptions {
            epair_fast_path: true,
            ..MoveOptions::default()
        };
        out.push_str(&format!(
            "## epair [fast path]\n{}",
            plan(Some(KindName::Epair), &fast).unwrap()
        ));
        insta::assert_snapshot!(out);
    }
}
