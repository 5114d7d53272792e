//! vmove: moving an interface to another stack, under the contract in `docs/vmove.md`.
//!
//! - [`vmove`] / [`vmove_many`]: move interfaces into another stack (one transaction).
//! - [`reclaim`]: send an interface back to its home stack (FreeBSD `-vnet`).
//! - [`plan`]: the steps a move will take, for review (`ifc … vnet S` prints it on request).
//! - [`vmove_with`]: the same algorithm over any [`Backend`] (used by the fault-injection tests).
//!
//! The algorithm lives in `exec.rs`, the per-kind drivers in `drivers.rs`, the steps in `plan.rs`.

use std::fmt;

use crate::backend::prelude::*;
use crate::error::{Context, Error, NotReturned, Result};
use crate::host::Host;
use crate::intent::Intents;
use crate::ledger::{Ledger, Loan};
use crate::model::{IfAddr, IfName, IfSel, Interface, KindInfo, LinkStack, StackSel};
use crate::stack::{RemoveReport, Stack};
use crate::state::StackLocks;

mod drivers;
mod exec;
mod plan;
mod recover;
pub mod testing;

pub use drivers::{driver, MoveDriver};
pub use plan::{plan, Plan, Step};
pub use recover::{Outcome, RecoverReport, Recovered};

pub use crate::kinds::Strategy;

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
#[non_exhaustive]
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
    /// A group (bond/lagg): the ports that moved with it and joined it again, in joining order.
    pub ports: Vec<IfName>,
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
        if !self.ports.is_empty() {
            let p: Vec<String> = self.ports.iter().map(|p| p.to_string()).collect();
            write!(f, "\n  ports moved with it: {}", p.join(", "))?;
        }
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
    let host = same_host(from, to)?;
    let mut r = vmove_with(
        host.backend(),
        host.ledger(),
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
    let host = same_host(from, to)?;
    vmove_with(
        host.backend(),
        host.ledger(),
        from.handle(),
        &moves,
        to.handle(),
        opts,
    )
}

/// The host both stacks belong to: a move is recorded in one state directory, so stacks of
/// hosts that keep their state apart cannot take part in one move.
fn same_host<'a>(from: &'a Stack, to: &Stack) -> Result<&'a Host> {
    if !from.host_of().same_state(to.host_of()) {
        return Err(Error::InvalidArgument(Box::new(
            Context::new("move", to.name())
                .stack(from.name())
                .detail(format!(
                    "the stacks keep their state in different directories ({} and {})",
                    from.host_of().state_dir().display(),
                    to.host_of().state_dir().display()
                )),
        )));
    }
    Ok(from.host_of())
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
    let host = stack.host_of();
    let (b, ledger) = (host.backend(), host.ledger());
    let key = stack.handle().key()?;
    // The home is read under the stack's lock: a move that is lending the interface to this
    // stack right now finishes (and records the loan) first.
    recover::abandoned(b, ledger, &[&key])?;
    let lock = StackLocks::take(ledger.runtime(), &[&stack.handle().lock_id()])?;
    let iface = b.get(stack.handle(), IfSel::Name(n))?;
    let home = match ledger
        .loans(&key)?
        .into_iter()
        .find(|l| l.identifies(&iface))
    {
        Some(l) => match recover::open_ref(b, &l.home)? {
            Some(h) => host.stack(h),
            None => {
                return Err(Error::NotFound(Box::new(
                    Context::new("reclaim", n.as_str())
                        .stack(stack.name())
                        .detail(format!("its home stack {} is gone", l.home.name)),
                )))
            }
        },
        None => host.host_stack()?,
    };
    // The move takes both locks in key order itself.
    drop(lock);
    let mut r = vmove_with(
        b,
        ledger,
        stack.handle(),
        &[(n, opts.new_name)],
        home.handle(),
        opts,
    )?;
    Ok(r.remove(0))
}

/// Finishes or undoes every move whose process died (`ifc recover`), then checks the ledger
/// against the kernel. Moves of processes that still run are left alone.
pub fn recover() -> Result<RecoverReport> {
    recover_in(&Host::system())
}

/// [`recover`] for the moves and ledger kept in `host`'s state directory.
pub fn recover_in(host: &Host) -> Result<RecoverReport> {
    let (b, ledger) = (host.backend(), host.ledger());
    let mut report = recover::abandoned(b, ledger, &[])?;
    recover::reconcile(b, ledger, &mut report)?;
    Ok(report)
}

/// [`recover`] for the unfinished moves that touch one stack. Every ifclone operation that
/// changes a stack's interfaces does this first, for the stacks it touches.
pub fn recover_stack(stack: &Stack) -> Result<RecoverReport> {
    let host = stack.host_of();
    recover::abandoned(host.backend(), host.ledger(), &[&stack.handle().key()?])
}

/// How [`Stack::remove_with`] treats loans that cannot go home.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RemoveOptions {
    /// Remove the stack even when some loans cannot go home; they are destroyed with it and
    /// listed in [`RemoveReport::lost`]. Off: such a removal fails with
    /// [`Error::NotReturned`] and leaves the stack and those loans in place.
    pub force: bool,
}

/// Returns every loan held by `stack` to its home stack. What was created inside the stack on
/// top of a loan (a vlan on a loaned epair end) is destroyed first, so that the loan can go.
/// Returns the loans that could not go home, with the reason.
pub fn return_loans<B: Backend>(
    b: &B,
    ledger: &Ledger,
    stack: &B::Stack,
    report: &mut RemoveReport,
) -> Result<Vec<(IfName, String)>> {
    let mut stranded = Vec::new();
    let key = stack.key()?;
    let loans = ledger.loans(&key)?;
    if loans.is_empty() {
        return Ok(stranded);
    }
    let mut here = b.list(stack)?;
    // Loans that stand on another interface of this stack go first (a vlan moved in on top of
    // a loaned parent): a parent cannot leave while a vlan uses it.
    let mut order: Vec<(Loan, Interface)> = Vec::new();
    for loan in loans {
        match loan.find(&here) {
            Some(i) => order.push((loan, i.clone())),
            None => {
                // Not in the stack (destroyed, or taken away by other means): removing the
                // stack cannot destroy it, so the record goes.
                ledger.take_where(&key, |l| *l == loan)?;
                report.gone.push((loan.name, loan.home.name.clone()));
            }
        }
    }
    // A group (bond/lagg) goes before its ports: it takes them along, and they stay its ports.
    order.sort_by_key(|(_, i)| {
        (
            parent_here(i).is_none(),
            !drivers::driver(i.kind.kind()).takes_ports,
        )
    });
    let mut carried: Vec<(IfName, String)> = Vec::new();
    for (loan, iface) in order {
        testing::boundary("return");
        if let Some(at) = carried.iter().position(|(n, _)| *n == iface.name) {
            if loan.find(&here).is_none() {
                // Home with its group.
                let (n, home) = carried.remove(at);
                report.returned.push((n, home));
                continue;
            }
        }
        let home = match recover::open_ref(b, &loan.home) {
            Ok(Some(h)) => h,
            Ok(None) => {
                stranded.push((
                    iface.name,
                    format!("its home stack {} is gone", loan.home.name),
                ));
                continue;
            }
            Err(e) => {
                stranded.push((
                    iface.name,
                    format!("its home stack {}: {e}", loan.home.name),
                ));
                continue;
            }
        };
        // What was made here on top of it dies with the stack anyway; it goes first.
        let on_top: Vec<Interface> = here
            .iter()
            .filter(|d| parent_here(d) == Some(iface.index) && loans_of(ledger, &key, d).is_none())
            .cloned()
            .collect();
        let mut blocked = None;
        for d in &on_top {
            match b.destroy(stack, IfSel::Index(d.index)) {
                Ok(()) => report.destroyed.push(d.name),
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    blocked = Some(format!(
                        "{} stands on it and could not be destroyed: {e}",
                        d.name
                    ))
                }
            }
        }
        if let Some(why) = blocked {
            stranded.push((iface.name, why));
            continue;
        }
        match exec::run(
            b,
            ledger,
            stack,
            &[(iface.name, None)],
            &home,
            &MoveOptions::default(),
        ) {
            Ok(rs) => {
                for p in rs.iter().flat_map(|r| r.ports.iter()) {
                    carried.push((*p, home.name().to_string()));
                }
                report.returned.push((iface.name, home.name().to_string()))
            }
            Err(e) => stranded.push((iface.name, e.to_string())),
        }
        here = b.list(stack)?;
    }
    Ok(stranded)
}

/// The index of the interface in the same stack that `i` stands on (a vlan's or macvlan's
/// parent), if any.
fn parent_here(i: &Interface) -> Option<u32> {
    match &i.kind {
        KindInfo::Vlan {
            parent: Some(p), ..
        }
        | KindInfo::Macvlan {
            parent: Some(p), ..
        }
        | KindInfo::Macvtap {
            parent: Some(p), ..
        } => (p.stack == LinkStack::Same).then_some(p.index).flatten(),
        _ => None,
    }
}

fn loans_of(ledger: &Ledger, stack_key: &str, i: &Interface) -> Option<Loan> {
    ledger
        .loans(stack_key)
        .ok()?
        .into_iter()
        .find(|l| l.identifies(i))
}

impl Stack {
    /// Removes the stack. First every interface whose home is another stack (moved in, or
    /// created from another stack straight into this one) goes back home; then the stack is
    /// removed and the kernel destroys what was created inside.
    ///
    /// If a loan cannot go home, the others still go, the stack stays, and the removal fails
    /// with [`Error::NotReturned`] listing each one and why. See [`Stack::remove_with`].
    pub fn remove(self) -> Result<RemoveReport> {
        self.remove_with(RemoveOptions::default())
    }

    /// [`Stack::remove`] with options: `force` removes the stack even when loans cannot go
    /// home, and lists them in [`RemoveReport::lost`].
    pub fn remove_with(self, opts: RemoveOptions) -> Result<RemoveReport> {
        if self.is_host() {
            return Err(Error::invalid(
                "remove stack",
                "host",
                "the host stack cannot be removed",
            ));
        }
        let host = self.host_of().clone();
        let (b, ledger) = (host.backend(), host.ledger());
        let lock_id = self.handle().lock_id();
        {
            // Nothing in the state names this stack (no move under way or abandoned anywhere,
            // and its mark says the ledger never recorded a loan in it): nothing can be lent
            // to it while its lock is held, so it goes at once, without its key (on Linux: no
            // socket in the netns), in one `fstat` and one directory read.
            let lock = StackLocks::take(ledger.runtime(), &[&lock_id])?;
            if Intents::new(ledger.runtime()).list()?.is_empty()
                && ledger.marks_ready()?
                && !lock.named(&lock_id)?
            {
                b.remove_stack(self.handle())?;
                forget_lock(b, ledger, &lock_id);
                return Ok(RemoveReport::default());
            }
        }
        let key = self.handle().key()?;
        recover::abandoned(b, ledger, &[&key])?;
        let mut report = RemoveReport::default();
        // A loan that arrives while others go home is returned in the next round; under the
        // stack's lock nothing can arrive.
        for _round in 0..3 {
            let stranded = return_loans(b, ledger, self.handle(), &mut report)?;
            let lock = StackLocks::take(ledger.runtime(), &[&lock_id])?;
            // No loans (the common case): nothing to look for in the stack.
            let loans = ledger.loans(&key)?;
            let left: Vec<Loan> = if loans.is_empty() {
                Vec::new()
            } else {
                let here = b.list(self.handle())?;
                loans
                    .into_iter()
                    .filter(|l| l.find(&here).is_some())
                    .collect()
            };
            let unreturned: Vec<(IfName, String)> = left
                .iter()
                .map(|l| {
                    let why = stranded
                        .iter()
                        .find(|(n, _)| *n == l.name)
                        .map(|(_, w)| w.clone())
                        .unwrap_or_else(|| "it arrived while the others were returned".into());
                    (l.name, why)
                })
                .collect();
            let newcomers = left.len() > stranded.len();
            if unreturned.is_empty() || (opts.force && !newcomers) {
                report.lost = unreturned;
                b.remove_stack(self.handle())?;
                // The stack is gone and its key names no other stack, ever (the kernel identity
                // is never reused).
                ledger.forget_removed(&key)?;
                if b.lock_ids_reused() {
                    // The lock file stays for the next stack with this id, unmarked: the ledger
                    // holds nothing of this one any more.
                    lock.unname(&lock_id)?;
                }
                forget_lock(b, ledger, &lock_id);
                return Ok(report);
            }
            if !newcomers {
                return Err(not_returned(self.name(), &report, &unreturned));
            }
        }
        Err(Error::Busy(Box::new(
            Context::new("remove stack", self.name())
                .detail("loans keep arriving while the stack is being removed"),
        )))
    }

    /// Removes a named stack (see [`Stack::remove`]).
    pub fn remove_name(name: &str) -> Result<RemoveReport> {
        Stack::open(StackSel::Name(name.to_string()))?.remove()
    }
}

/// Deletes a removed stack's lock file unless its lock id will name a later stack
/// ([`Stacks::lock_ids_reused`]); a waiter on the deleted file finds the stack gone.
fn forget_lock<B: Backend>(b: &B, ledger: &Ledger, lock_id: &str) {
    if !b.lock_ids_reused() {
        let _ = std::fs::remove_file(crate::state::stack_lock_path(ledger.runtime(), lock_id));
    }
}

fn not_returned(stack: &str, report: &RemoveReport, stranded: &[(IfName, String)]) -> Error {
    Error::NotReturned(Box::new(NotReturned {
        ctx: Context::new("remove stack", stack).stack(stack),
        returned: report
            .returned
            .iter()
            .map(|(n, h)| (n.to_string(), h.clone()))
            .collect(),
        stranded: stranded
            .iter()
            .map(|(n, w)| (n.to_string(), w.clone()))
            .collect(),
    }))
}
