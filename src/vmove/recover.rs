//! Crash recovery: finishing or undoing the moves whose process died.
//!
//! A move's intent ([`crate::intent`]) says what it was about to do; the kernel says how far it
//! got. Recovery trusts the kernel, not a progress counter (a process can die between the
//! kernel's answer and any note of it), and decides per interface:
//!
//! | what the kernel shows | Native | Recreate |
//! |---|---|---|
//! | the interface (or its copy) in the target, the source gone | roll forward | roll forward |
//! | the source still in the source stack | roll back | destroy the copy, roll back |
//! | neither | missing (reported) | re-create the source from the saved parameters |
//!
//! Rolling forward finishes the plan: the final name, the saved MTU/MAC/description, the
//! addresses when the move carried them, UP last, the identity mark and the loan. Rolling back
//! restores the saved parameters, addresses and UP state in the source stack and puts its loan
//! record back. Both are idempotent: recovering twice, or recovering a move that a second crash
//! interrupted while it was itself recovering, converges to the same state.

use std::fmt;
use std::sync::Arc;

use crate::backend::prelude::*;
use crate::error::{Context, Error, Result};
use crate::intent::{Intent, Intents, Item, Peer, Saved};
use crate::ledger::{Ledger, Loan, StackRef};
use crate::model::{Change, IfName, IfSel, Interface};
use crate::state::StackLocks;
use crate::vmove::exec::{add_missing, create_request, join_group, relend, restore_saved, set};
use crate::vmove::Strategy;

/// What recovery did with one interface of an unfinished move.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The kernel had moved it (or its copy was complete): the move was finished.
    RolledForward,
    /// It was still in its source stack: the move was undone.
    RolledBack,
    /// Neither the source nor a copy existed (a re-create died between destroying the source and
    /// creating the copy): it was re-created in its source stack from the saved parameters.
    Recreated,
    /// Neither stack has it and it cannot be re-created; the reason.
    Missing(String),
}

/// One interface recovery dealt with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recovered {
    /// The unfinished move's transaction id.
    pub txn: String,
    /// Its name in the stack where recovery left it.
    pub name: IfName,
    /// That stack.
    pub stack: String,
    pub outcome: Outcome,
}

impl fmt::Display for Recovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::RolledForward => {
                write!(f, "{}: move finished, in stack {}", self.name, self.stack)
            }
            Outcome::RolledBack => write!(f, "{}: move undone, in stack {}", self.name, self.stack),
            Outcome::Recreated => write!(f, "{}: re-created in stack {}", self.name, self.stack),
            Outcome::Missing(why) => write!(f, "{}: MISSING: {why}", self.name),
        }?;
        write!(f, " (txn {})", self.txn)
    }
}

/// What [`recover`](crate::vmove::recover) did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecoverReport {
    pub recovered: Vec<Recovered>,
    /// Ledger records that no longer matched the kernel and were dropped: (stack, interface,
    /// why). Only the explicit `recover` checks the whole ledger.
    pub dropped: Vec<(String, IfName, String)>,
}

impl RecoverReport {
    /// Whether an interface could be neither found nor re-created.
    pub fn has_missing(&self) -> bool {
        self.recovered
            .iter()
            .any(|r| matches!(r.outcome, Outcome::Missing(_)))
    }
}

/// Finishes or undoes every move whose process died and that touches one of the stacks with
/// these keys (every such move, when `keys` is empty). Moves whose process still runs are left
/// alone. A damaged intent is [`Error::Corrupt`]; an intent that could not be recovered stays on
/// disk and its error is returned.
pub(crate) fn abandoned<B: Backend>(
    b: &B,
    ledger: &Ledger,
    keys: &[&str],
) -> Result<RecoverReport> {
    let intents = Intents::new(ledger.runtime());
    let mut report = RecoverReport::default();
    for txn in intents.list()? {
        // Only the intents that concern these stacks are claimed: a claim holds the intent's
        // lock, and a recovery elsewhere must not take it for a live owner and skip it.
        match intents.peek(&txn)? {
            Some(i) if keys.is_empty() || keys.iter().any(|k| i.touches(k)) => {}
            _ => continue,
        }
        // The explicit `recover` (no keys) waits for a running owner to finish or die; an
        // operation recovering on its way leaves a running move alone.
        let Some((pending, intent)) = intents.claim(&txn, keys.is_empty())? else {
            continue;
        };
        let (fl, tl) = (b.lock_id_of(&intent.from.key), b.lock_id_of(&intent.to.key));
        let _locks = StackLocks::take(ledger.runtime(), &[&fl, &tl])?;
        report.recovered.extend(one(b, ledger, &intent)?);
        pending.finish()?;
    }
    Ok(report)
}

/// Makes the ledger match the kernel: the records of a stack that no longer exists (it died
/// with its loans, outside ifclone), and records of loans that are no longer in their stack
/// (destroyed, or taken away by other means), are dropped and reported. Nothing is destroyed.
pub(crate) fn reconcile<B: Backend>(
    b: &B,
    ledger: &Ledger,
    report: &mut RecoverReport,
) -> Result<()> {
    for key in ledger.stacks()? {
        let _lock = StackLocks::take(ledger.runtime(), &[&b.lock_id_of(&key)])?;
        let loans = ledger.loans(&key)?;
        match b.find_stack(&key)? {
            None => {
                for l in &loans {
                    report.dropped.push((
                        key.clone(),
                        l.name,
                        "its stack no longer exists (it was removed without ifclone)".into(),
                    ));
                }
                ledger.forget_removed(&key)?;
            }
            Some(s) => {
                let here = b.list(&s)?;
                for l in loans.iter().filter(|l| l.find(&here).is_none()) {
                    ledger.take_where(&key, |x| x == l)?;
                    report.dropped.push((
                        s.name().to_string(),
                        l.name,
                        "no longer in the stack (destroyed, or taken away by other means)".into(),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Opens the stack a state file names: by its selector when that still leads to the same
/// kernel identity, else by the identity itself. `None`: no live stack has it.
pub(crate) fn open_ref<B: Backend>(b: &B, r: &StackRef) -> Result<Option<Arc<B::Stack>>> {
    match b.open_stack(&r.sel) {
        Ok(s) if s.key()? == r.key => return Ok(Some(s)),
        Ok(_) => {}
        // Gone, or the name now holds no stack (a netns file that is being removed or created).
        Err(e) if e.is_not_found() || matches!(e, Error::InvalidArgument(_)) => {}
        Err(e) => return Err(e),
    }
    b.find_stack(&r.key)
}

fn one<B: Backend>(b: &B, ledger: &Ledger, intent: &Intent) -> Result<Vec<Recovered>> {
    let from = open_ref(b, &intent.from)?;
    let to = open_ref(b, &intent.to)?;
    let items = &intent.items;
    // A group (bond/lagg) moves as one: its ports follow it — into the target when the group
    // was rolled forward, back into the source otherwise.
    let group_of = |it: &Item| items.iter().position(|m| m.ports.contains(&it.final_name));
    let mut outcomes: Vec<Option<Outcome>> = vec![None; items.len()];
    let mut out = Vec::new();
    let order = (0..items.len())
        .filter(|&k| group_of(&items[k]).is_none())
        .chain((0..items.len()).filter(|&k| group_of(&items[k]).is_some()));
    for k in order {
        let it = &items[k];
        let r = Recovery {
            b,
            ledger,
            intent,
            it,
            from: from.as_deref(),
            to: to.as_deref(),
        };
        let toward = group_of(it).map(|m| outcomes[m] == Some(Outcome::RolledForward));
        let (name, stack, outcome) = match toward {
            None => r.run(),
            Some(forward) => r.run_toward(forward),
        }
        .map_err(|e| {
            e.with_detail(format!(
                "recovering the move of {} (txn {}); the intent is kept",
                it.src_name, intent.txn
            ))
        })?;
        outcomes[k] = Some(outcome.clone());
        out.push(Recovered {
            txn: intent.txn.clone(),
            name,
            stack,
            outcome,
        });
    }
    for (k, m) in items
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.ports.is_empty())
    {
        regroup(
            b,
            intent,
            m,
            outcomes[k].as_ref(),
            from.as_deref(),
            to.as_deref(),
        )
        .map_err(|e| {
            e.with_detail(format!(
                "recovering the ports of {} (txn {}); the intent is kept",
                m.src_name, intent.txn
            ))
        })?;
    }
    Ok(out)
}

/// A recovered group with its ports where it is: joined again (in the target, after a roll
/// forward; in the source the ports' own recovery joins them) and its primary port again.
fn regroup<B: Backend>(
    b: &B,
    intent: &Intent,
    m: &Item,
    outcome: Option<&Outcome>,
    from: Option<&B::Stack>,
    to: Option<&B::Stack>,
) -> Result<()> {
    let (forward, s, name) = match outcome {
        Some(Outcome::RolledForward) => (true, to, m.final_name),
        Some(Outcome::RolledBack | Outcome::Recreated) => (false, from, m.src_name),
        _ => return Ok(()),
    };
    let Some(s) = s.filter(|s| b.stack_alive(s)) else {
        return Ok(());
    };
    let list = b.list(s)?;
    let Some(master) = find(&list, &m.saved, &[name]) else {
        return Ok(());
    };
    if forward {
        let ports: Vec<u32> = m
            .ports
            .iter()
            .filter_map(|p| {
                let port = intent.items.iter().find(|it| it.final_name == *p)?;
                find(&list, &port.saved, &[*p]).map(|i| i.index)
            })
            .collect();
        join_group(b, s, master.index, &ports, &m.saved)?;
    }
    restore_saved(b, s, master.index, &m.saved, !forward || m.carry_addresses)
}

struct Recovery<'a, B: Backend> {
    b: &'a B,
    ledger: &'a Ledger,
    intent: &'a Intent,
    it: &'a Item,
    from: Option<&'a B::Stack>,
    to: Option<&'a B::Stack>,
}

fn find<'v>(list: &'v [Interface], saved: &Saved, names: &[IfName]) -> Option<&'v Interface> {
    list.iter().find(|i| names.iter().any(|n| saved.is(i, *n)))
}

/// An epair re-create's new peer: under its temporary name ([`Peer::is_new`]), or already
/// renamed to the old peer's name (then by name, kind and MAC).
fn new_peer<'v>(list: &'v [Interface], p: &Peer) -> Option<&'v Interface> {
    list.iter()
        .find(|i| p.is_new(i))
        .or_else(|| find(list, &p.saved, &[p.saved.name]))
}

impl<B: Backend> Recovery<'_, B> {
    fn list(&self, s: Option<&B::Stack>) -> Result<Vec<Interface>> {
        match s {
            Some(s) if self.b.stack_alive(s) => self.b.list(s),
            _ => Ok(Vec::new()),
        }
    }

    fn run(&self) -> Result<(IfName, String, Outcome)> {
        let it = self.it;
        let src = self.list(self.from)?;
        let tgt = self.list(self.to)?;
        let in_src = find(&src, &it.saved, &[it.src_name]);
        let mut names = vec![it.final_name, it.tmp_name];
        if it.strategy == Strategy::Native {
            // FreeBSD moves first and renames in the target second.
            names.push(it.src_name);
        }
        let in_tgt = find(&tgt, &it.saved, &names);
        let from_name = || self.intent.from.name.clone();
        let to_name = || self.intent.to.name.clone();
        match (it.strategy, in_src, in_tgt) {
            (Strategy::Native, _, Some(t)) | (_, None, Some(t)) => {
                self.forward(t)?;
                Ok((it.final_name, to_name(), Outcome::RolledForward))
            }
            (_, Some(s), t) => {
                if let Some(t) = t {
                    // A copy made before the source was destroyed: it goes (with its peer).
                    self.destroy(self.to, t.index)?;
                }
                self.destroy_peer_copy()?;
                self.back(s.index)?;
                Ok((it.src_name, from_name(), Outcome::RolledBack))
            }
            (Strategy::Native, None, None) => Ok((
                it.src_name,
                String::new(),
                Outcome::Missing(format!(
                    "in neither {} nor {}: something else destroyed it",
                    self.intent.from.name, self.intent.to.name
                )),
            )),
            (_, None, None) => self.recreate_source(),
        }
    }

    /// A port of a group, recovered toward where its group went: into the target (`forward`)
    /// or back into the source, moved by the kernel if it is on the other side.
    fn run_toward(&self, forward: bool) -> Result<(IfName, String, Outcome)> {
        let (b, it) = (self.b, self.it);
        let src = self.list(self.from)?;
        let tgt = self.list(self.to)?;
        let in_src = find(&src, &it.saved, &[it.src_name]).map(|i| i.index);
        let in_tgt = find(&tgt, &it.saved, &[it.final_name, it.src_name]).map(|i| i.index);
        let missing = || {
            Ok((
                it.src_name,
                String::new(),
                Outcome::Missing(format!(
                    "in neither {} nor {}: something else destroyed it",
                    self.intent.from.name, self.intent.to.name
                )),
            ))
        };
        let from_alive = self.from.filter(|s| b.stack_alive(s));
        let to_alive = self.to.filter(|s| b.stack_alive(s));
        if forward {
            let (Some(to), Some(t)) = (to_alive, in_tgt.or(in_src)) else {
                return missing();
            };
            let index = match (in_tgt, from_alive) {
                (Some(t), _) => t,
                (None, Some(from)) => {
                    let rename = (it.final_name != it.src_name).then_some(it.final_name);
                    b.move_native(from, IfSel::Index(t), to, rename)?
                }
                (None, None) => return missing(),
            };
            let t = b.get(to, IfSel::Index(index))?;
            self.forward(&t)?;
            return Ok((
                it.final_name,
                self.intent.to.name.clone(),
                Outcome::RolledForward,
            ));
        }
        let Some(from) = from_alive else {
            return missing();
        };
        let index = match (in_src, in_tgt, to_alive) {
            (Some(s), _, _) => s,
            (None, Some(t), Some(to)) => {
                // Its loan in the target may have been recorded, its mark put on: both go.
                b.del_mark(to, t, &it.mark)?;
                let rename = (it.final_name != it.src_name).then_some(it.src_name);
                b.move_native(to, IfSel::Index(t), from, rename)?
            }
            _ => return missing(),
        };
        self.back(index)?;
        Ok((
            it.src_name,
            self.intent.from.name.clone(),
            Outcome::RolledBack,
        ))
    }

    fn destroy(&self, s: Option<&B::Stack>, index: u32) -> Result<()> {
        let Some(s) = s else { return Ok(()) };
        match self.b.destroy(s, IfSel::Index(index)) {
            Err(e) if !e.is_not_found() => Err(e),
            _ => Ok(()),
        }
    }

    /// The stack an epair re-create's peer lives in.
    fn peer_stack(&self) -> Option<&B::Stack> {
        match &self.it.peer {
            Some(p) if p.in_target => self.to,
            _ => self.from,
        }
    }

    /// epair re-create: a new peer (under its temporary name) goes when the move is undone.
    fn destroy_peer_copy(&self) -> Result<()> {
        let Some(p) = &self.it.peer else {
            return Ok(());
        };
        let ps = self.peer_stack();
        let list = self.list(ps)?;
        if let Some(c) = list.iter().find(|i| p.is_new(i)) {
            self.destroy(ps, c.index)?;
        }
        Ok(())
    }

    /// Finishes the move of `t`, found in the target.
    fn forward(&self, t: &Interface) -> Result<()> {
        let (b, ledger, it) = (self.b, self.ledger, self.it);
        let to = self.to.expect("found in the target");
        if t.name != it.final_name {
            set(
                b,
                to,
                t.index,
                Change {
                    name: Some(it.final_name),
                    ..Change::default()
                },
            )?;
        }
        // A peer whose stack is gone died with it (and a veth pair dies whole).
        if let (Some(p), Some(ps)) = (&it.peer, self.peer_stack()) {
            let list = b.list(ps)?;
            let np = new_peer(&list, p).ok_or_else(|| {
                Error::NotFound(Box::new(
                    Context::new("recover", p.saved.name.as_str())
                        .detail("the re-created epair's peer is missing"),
                ))
            })?;
            if np.name != p.saved.name {
                set(
                    b,
                    ps,
                    np.index,
                    Change {
                        name: Some(p.saved.name),
                        ..Change::default()
                    },
                )?;
            }
            restore_saved(b, ps, np.index, &p.saved, true)?;
            if let Some(pl) = &p.saved.loan {
                relend(b, ledger, ps, np.index, pl)?;
            }
        }
        // In the target: no UP yet, and no master (a bridge/lagg stays in the source).
        let saved = Saved {
            up: false,
            master: None,
            ..it.saved.clone()
        };
        restore_saved(b, to, t.index, &saved, false)?;
        if it.carry_addresses {
            add_missing(b, to, t.index, &it.saved.addresses)?;
        }
        if it.saved.up {
            set(
                b,
                to,
                t.index,
                Change {
                    up: Some(true),
                    ..Change::default()
                },
            )?;
        }
        // The ledger: the source's record goes, the target's is made (unless it went home).
        let prior = it.saved.loan.as_ref();
        if let (Some(p), Some(_)) = (prior, self.from) {
            ledger.take_where(&self.intent.from.key, |l| l == p)?;
        }
        let home = prior
            .map(|l| l.home.clone())
            .unwrap_or_else(|| self.intent.from.clone());
        if home.key != self.intent.to.key {
            let marked =
                t.mark.as_deref() == Some(it.mark.as_str()) || b.add_mark(to, t.index, &it.mark)?;
            ledger.record(
                &self.intent.to.key,
                Loan {
                    index: t.index,
                    name: it.final_name,
                    kind: it.saved.kind,
                    mac: it.saved.mac,
                    mark: marked.then(|| it.mark.clone()),
                    home,
                },
            )?;
        } else {
            b.del_mark(to, t.index, &it.mark)?;
        }
        Ok(())
    }

    /// Undoes the move: the source at `index` gets its saved state and loan record back.
    fn back(&self, index: u32) -> Result<()> {
        let (b, ledger, it) = (self.b, self.ledger, self.it);
        let from = self.from.expect("found in the source");
        restore_saved(b, from, index, &it.saved, true)?;
        if let Some(l) = &it.saved.loan {
            relend(b, ledger, from, index, l)?;
        }
        let mark = it.mark.as_str();
        ledger.take_where(&self.intent.to.key, |l| l.mark.as_deref() == Some(mark))?;
        if let (Some(p), Some(ps)) = (&it.peer, self.peer_stack()) {
            if let Some(op) = find(&b.list(ps)?, &p.saved, &[p.saved.name]) {
                restore_saved(b, ps, op.index, &p.saved, true)?;
                if let Some(pl) = &p.saved.loan {
                    relend(b, ledger, ps, op.index, pl)?;
                }
            }
        }
        Ok(())
    }

    /// Neither the source nor a copy exists: the source is made again where it was.
    fn recreate_source(&self) -> Result<(IfName, String, Outcome)> {
        let (b, ledger, it) = (self.b, self.ledger, self.it);
        let missing = |why: &str| {
            Ok((
                it.src_name,
                String::new(),
                Outcome::Missing(why.to_string()),
            ))
        };
        let Some(from) = self.from.filter(|f| b.stack_alive(f)) else {
            return missing("its source stack is gone, and the copy was never made");
        };
        if it.saved.spec.is_none() {
            return missing("it has no saved parameters to re-create it from");
        }
        let peer_name = it.peer.as_ref().map(|p| p.saved.name);
        let req = create_request(&it.saved, it.src_name, peer_name);
        let peer_in = match &it.peer {
            Some(p) if p.in_target => match self.to.filter(|t| b.stack_alive(t)) {
                Some(t) => Some(t),
                // The way back: the pair's other end lived in the target, which is gone, and
                // a veth pair dies whole.
                None => {
                    return missing("its peer's stack (the target) is gone, and the pair with it")
                }
            },
            _ => None,
        };
        let made = b.create(
            from,
            &req,
            Placement {
                iface: None,
                peer: peer_in,
            },
        )?;
        restore_saved(b, from, made.iface.index, &it.saved, true)?;
        if let Some(l) = &it.saved.loan {
            relend(b, ledger, from, made.iface.index, l)?;
        }
        if let (Some(p), Some(np)) = (&it.peer, &made.peer) {
            let ps = peer_in.unwrap_or(from);
            restore_saved(b, ps, np.index, &p.saved, true)?;
            if let Some(pl) = &p.saved.loan {
                relend(b, ledger, ps, np.index, pl)?;
            }
        }
        Ok((
            it.src_name,
            self.intent.from.name.clone(),
            Outcome::Recreated,
        ))
    }
}
