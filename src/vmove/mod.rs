//! vmove: moving an interface to another stack, under the contract in `docs/vmove.md`.
//!
//! - [`vmove`] / [`vmove_many`]: move interfaces into another stack (one transaction).
//! - [`reclaim`]: send an interface back to its home stack (FreeBSD `-vnet`).
//! - [`plan`]: the steps a move will take, for review (`ifc … vnet S` prints it on request).
//! - [`vmove_with`]: the same algorithm over any [`Backend`] (used by the fault-injection tests).
//!
//! The algorithm lives in `exec.rs`, the per-kind drivers in `drivers.rs`, the steps in `plan.rs`.

use std::fmt;

use crate::backend::{Backend, StackHandle};
use crate::error::{Context, Error, Result};
use crate::ledger::Ledger;
use crate::model::{IfAddr, IfName, IfSel, StackSel};
use crate::stack::{RemoveReport, Stack};
use crate::system;

mod drivers;
mod exec;
mod plan;

pub use drivers::{driver, MoveDriver};
pub use plan::{plan, Plan, Step};

/// How a kind moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// The kernel's own move (Linux RTM_NEWLINK + IFLA_NET_NS_FD; FreeBSD SIOCSIFVNET).
    Native,
    /// Re-create the same kind in the target from the saved parameters, under a temporary name,
    /// then destroy the source and rename (the cloner-vmove proposal's `if_vmove_simple`).
    Recreate,
    /// The kind cannot be moved.
    NoMove,
}

impl Strategy {
    pub fn parse(s: &str) -> Option<Strategy> {
        match s {
            "native" => Some(Strategy::Native),
            "recreate" => Some(Strategy::Recreate),
            "nomove" => Some(Strategy::NoMove),
            _ => None,
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Native => "native",
            Strategy::Recreate => "recreate",
            Strategy::NoMove => "nomove",
        })
    }
}

/// Options of one move.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MoveOptions {
    /// The name in the target (default: keep the name). Only for single moves.
    pub new_name: Option<IfName>,
    /// Force a strategy instead of the kind's own.
    pub strategy: Option<Strategy>,
    /// Re-add the interface's addresses in the target (off by default: both kernels drop them).
    pub carry_addresses: bool,
    /// epair only: re-create whole pairs with one end placed in the target and destroy the old
    /// pairs through the bulk path. The other end is re-created too (new index; its parameters
    /// and addresses are re-applied).
    pub epair_fast_path: bool,
}

/// What a move did, and what it could not carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Receipt {
    pub name: Option<IfName>,
    /// Index in the target stack.
    pub index: u32,
    pub from: String,
    pub to: String,
    pub strategy: Option<Strategy>,
    /// What ifclone restored after the kernel dropped or changed it (`up`, `addresses`, `mtu`…).
    pub restored: Vec<String>,
    /// What could not be carried: bridge/lagg membership, routes, addresses when not carried, a
    /// parent left behind, for Recreate the old index and open fds.
    pub not_carried: Vec<String>,
    /// Addresses re-added in the target.
    pub addresses: Vec<IfAddr>,
}

impl fmt::Display for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} moved {} -> {} (index {}, strategy {})",
            self.name.map(|n| n.to_string()).unwrap_or_default(),
            self.from,
            self.to,
            self.index,
            self.strategy.map(|s| s.to_string()).unwrap_or_default()
        )?;
        if !self.restored.is_empty() {
            write!(f, "\n  restored: {}", self.restored.join(", "))?;
        }
        for n in &self.not_carried {
            write!(f, "\n  not carried: {n}")?;
        }
        Ok(())
    }
}

fn names(op: &'static str, stack: &str, names: &[&str]) -> Result<Vec<IfName>> {
    names
        .iter()
        .map(|n| IfName::new(n).map_err(|e| retag(e, op, stack)))
        .collect()
}

fn retag(e: Error, op: &'static str, stack: &str) -> Error {
    match e {
        Error::InvalidName(mut c) => {
            c.op = op;
            c.stack = Some(stack.to_string());
            Error::InvalidName(c)
        }
        e => e,
    }
}

/// Moves `name` from `from` into `to`.
pub fn vmove(from: &Stack, name: &str, to: &Stack, opts: &MoveOptions) -> Result<Receipt> {
    let n = names("move", from.name(), &[name])?[0];
    let mut r = vmove_with(
        system(),
        &Ledger::system(),
        from.handle(),
        &[(n, opts.new_name)],
        to.handle(),
        opts,
    )?;
    Ok(r.remove(0))
}

/// Moves many interfaces from `from` into `to`, as one transaction: either all move, or none.
/// With Recreate (or the epair fast path) the sources are destroyed by one bulk delete.
pub fn vmove_many(
    from: &Stack,
    list: &[&str],
    to: &Stack,
    opts: &MoveOptions,
) -> Result<Vec<Receipt>> {
    if opts.new_name.is_some() && list.len() > 1 {
        return Err(Error::InvalidArgument(Box::new(
            Context::new("move", list.join(","))
                .stack(from.name())
                .detail("a new name applies to a single move"),
        )));
    }
    let moves: Vec<(IfName, Option<IfName>)> = names("move", from.name(), list)?
        .into_iter()
        .map(|n| (n, opts.new_name))
        .collect();
    if moves.is_empty() {
        return Ok(Vec::new());
    }
    vmove_with(
        system(),
        &Ledger::system(),
        from.handle(),
        &moves,
        to.handle(),
        opts,
    )
}

/// The move algorithm over any backend: `moves` are (source name, optional new name).
pub fn vmove_with<B: Backend>(
    b: &B,
    ledger: &Ledger,
    from: &B::Stack,
    moves: &[(IfName, Option<IfName>)],
    to: &B::Stack,
    opts: &MoveOptions,
) -> Result<Vec<Receipt>> {
    exec::run(b, ledger, from, moves, to, opts)
}

/// Moves `name` from `stack` back to its home: the stack it was moved or created from, as the
/// ledger recorded it; with no record, the host stack (FreeBSD's parent).
pub fn reclaim(stack: &Stack, name: &str, opts: &MoveOptions) -> Result<Receipt> {
    let n = names("reclaim", stack.name(), &[name])?[0];
    let b = system();
    let iface = b.get(stack.handle(), IfSel::Name(n))?;
    let ledger = Ledger::system();
    let home = match ledger
        .loans(&stack.handle().key())
        .into_iter()
        .find(|l| l.index == iface.index)
    {
        Some(l) => {
            Stack::open(l.home.clone()).map_err(|e| e.with_detail(format!("home stack of {n}")))?
        }
        None => Stack::host()?,
    };
    let mut r = vmove_with(
        b,
        &ledger,
        stack.handle(),
        &[(n, opts.new_name)],
        home.handle(),
        opts,
    )?;
    Ok(r.remove(0))
}

/// Returns every loan held by `stack` to its home stack; what cannot go home is reported.
pub fn return_loans<B: Backend>(b: &B, ledger: &Ledger, stack: &B::Stack) -> Result<RemoveReport> {
    let mut report = RemoveReport::default();
    let loans = ledger.loans(&stack.key());
    if loans.is_empty() {
        return Ok(report);
    }
    let here = b.list(stack)?;
    for loan in loans {
        let Some(iface) = here.iter().find(|i| i.index == loan.index) else {
            ledger.take(&stack.key(), loan.index);
            report
                .lost
                .push((loan.name, "no longer in the stack (destroyed)".into()));
            continue;
        };
        let home = match b.open_stack(&loan.home) {
            Ok(h) if h.key() == loan.home_key => h,
            Ok(_) => {
                report
                    .lost
                    .push((iface.name, format!("home stack {} was replaced", loan.home)));
                continue;
            }
            Err(e) => {
                report
                    .lost
                    .push((iface.name, format!("home stack {} is gone: {e}", loan.home)));
                continue;
            }
        };
        match exec::run(
            b,
            ledger,
            stack,
            &[(iface.name, None)],
            &home,
            &MoveOptions::default(),
        ) {
            Ok(_) => report.returned.push((iface.name, home.name().to_string())),
            Err(e) => report.lost.push((iface.name, e.to_string())),
        }
    }
    Ok(report)
}

impl Stack {
    /// Removes the stack. First every interface whose home is another stack (moved in, or
    /// created from another stack straight into this one) goes back home; then the stack is
    /// removed and the kernel destroys what was created inside.
    pub fn remove(self) -> Result<RemoveReport> {
        if self.is_host() {
            return Err(Error::invalid(
                "remove stack",
                "host",
                "the host stack cannot be removed",
            ));
        }
        let ledger = Ledger::system();
        let report = return_loans(system(), &ledger, self.handle())?;
        system().remove_stack(self.handle())?;
        ledger.forget(&self.handle().key());
        Ok(report)
    }

    /// Removes a named stack (see [`Stack::remove`]).
    pub fn remove_name(name: &str) -> Result<RemoveReport> {
        Stack::open(StackSel::Name(name.to_string()))?.remove()
    }
}
