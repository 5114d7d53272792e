//! The move algorithm, in one place: pre-check, save, move, restore, verify, record — and the
//! rollback that undoes a failed move. Drivers only supply their ops table (`drivers.rs`); the
//! backend only supplies the contract's operations.

use std::collections::HashSet;

use crate::backend::prelude::*;
use crate::error::{Context, Error, Result};
use crate::intent::{self, Intent, Intents, Pending, Saved};
use crate::ledger::{Ledger, Loan, StackRef};
use crate::model::*;
use crate::state::StackLocks;
use crate::vmove::drivers::{
    apply_vparams, differences, driver, generic_change, save_vparams, VParams,
};
use crate::vmove::plan::{plan, Plan, Step};
use crate::vmove::{recover, testing, MoveOptions, Receipt, Strategy};

/// One interface of a move, with its saved state and its progress.
struct Item {
    src_name: IfName,
    final_name: IfName,
    tmp_name: IfName,
    saved: VParams,
    /// epair re-create: the peer's saved parameters.
    peer: Option<VParams>,
    /// epair re-create: the peer lives in the target stack (the way back), not the source.
    peer_in_target: bool,
    peer_tmp: Option<IfName>,
    plan: Plan,
    /// Current index in the source stack.
    src_index: u32,
    /// Index in the target once the interface (or its copy) is there.
    tgt_index: Option<u32>,
    /// The copy was made UP already (an epair re-create's end): the Up step has nothing to do.
    created_up: bool,
    /// The interface as the target reported it right after a native move, while nothing has
    /// changed it since: RestoreParams and Verify read it instead of asking again.
    seen: Option<Interface>,
    /// epair re-create: index of the new peer (in the source stack).
    new_peer_index: Option<u32>,
    /// epair re-create: where the source's peer is now (its index; changed by a rollback that
    /// re-creates the source pair).
    cur_peer_index: Option<u32>,
    /// Bridge ports attached to it (for the receipt).
    ports: usize,
    /// A group that moves with its ports: their items, in joining order (the primary first).
    members: Vec<usize>,
    /// Its place in the caller's list (`None`: a port its group took along).
    asked: Option<usize>,
    /// A port of a group in the same move: it joins the group's copy in the target.
    joins_group: bool,
    /// Its loan record in the source stack (it is on loan there), and the peer's in its stack.
    prior: Option<Loan>,
    peer_prior: Option<Loan>,
    /// The identity mark it carried in the source, and the one it gets in the target.
    old_mark: Option<Box<str>>,
    mark: String,
    receipt: Receipt,
}

/// What has been done, with enough to undo it.
enum Done {
    /// The old identity mark was taken off the source.
    Unmarked(usize),
    /// The port left its bridge/lagg in the source.
    Left(usize),
    Moved(usize),
    Created(usize),
    DestroyedSource(usize),
    /// The prior loan was taken from the source's ledger; `.1`: the loan was recorded in the
    /// target's (with the mark on the device).
    Recorded(usize, bool),
}

fn ctx(op: &'static str, object: impl Into<String>, stack: &str) -> Context {
    Context::new(op, object).stack(stack)
}

/// A temporary name no other move uses: "vm", a salt, 12 random hex digits (15 bytes). The
/// intent records it, so a recoverer knows the copy when it finds it.
fn tmp_name(salt: char) -> IfName {
    let s = format!("vm{salt}{:012x}", intent::random() & 0xffff_ffff_ffff);
    IfName::new(&s).expect("temporary names are valid")
}

/// Runs one move of `moves` (source name, optional new name) from `from` into `to`: first
/// finishes any move a crashed process left on either stack, then holds both stacks' locks for
/// the whole move, with its intent written before the first change.
pub fn run<B: Backend>(
    b: &B,
    ledger: &Ledger,
    from: &B::Stack,
    moves: &[(IfName, Option<IfName>)],
    to: &B::Stack,
    opts: &MoveOptions,
) -> Result<Vec<Receipt>> {
    recover::abandoned(b, ledger, &[&from.key()?, &to.key()?])?;
    let _locks = StackLocks::take(ledger.runtime(), &[&from.lock_id(), &to.lock_id()])?;
    let items = precheck_and_save(b, ledger, from, moves, to, opts)?;

    // Items with the same plan run step by step together (so a bulk step like DestroySource
    // is one kernel request); groups run one after another, all in one transaction.
    let mut groups: Vec<(Plan, Vec<usize>)> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        match groups.iter_mut().find(|(p, _)| *p == it.plan) {
            Some((_, v)) => v.push(i),
            None => groups.push((it.plan.clone(), vec![i])),
        }
    }
    // A bond/lagg's ports move before it: the groups with such a master run last.
    groups.sort_by_key(|(_, v)| v.iter().any(|&i| !items[i].members.is_empty()));

    let mut run = Run {
        b,
        ledger,
        from,
        to,
        from_ref: StackRef::of(from)?,
        to_ref: StackRef::of(to)?,
        opts,
        items,
        journal: Vec::new(),
        pending: None,
    };
    let mut outcome = Ok(());
    'groups: for (plan, group) in &groups {
        for step in &plan.steps {
            if let Err(e) = run.do_step(*step, group) {
                outcome = Err(e);
                break 'groups;
            }
            if step.mutates() {
                testing::boundary("step");
            }
        }
    }

    match outcome {
        Ok(()) => {
            if let Some(p) = run.pending.take() {
                p.finish()?;
            }
            testing::boundary("finished");
            // One receipt per interface asked for, in the caller's order (a group's receipt
            // names the ports that moved with it).
            let mut out: Vec<(usize, Receipt)> = run
                .items
                .into_iter()
                .filter_map(|it| it.asked.map(|k| (k, it.receipt)))
                .collect();
            out.sort_by_key(|(k, _)| *k);
            Ok(out.into_iter().map(|(_, r)| r).collect())
        }
        Err(e) => {
            let problems = run.rollback();
            let e = if problems.is_empty() {
                // Fully undone: the intent has nothing left to do.
                match run.pending.take().map(Pending::finish) {
                    Some(Err(fe)) => {
                        e.with_detail(format!("the intent could not be removed: {fe}"))
                    }
                    _ => e,
                }
            } else {
                // The intent stays: `recover` finishes what the rollback could not.
                e.with_detail(format!(
                    "ROLLBACK INCOMPLETE: {}; the intent is kept for `ifc recover`",
                    problems.join("; ")
                ))
            };
            Err(e.with_detail(run.where_now()))
        }
    }
}

/// One move in progress: what it works on, its items and the journal of what was done.
struct Run<'a, B: Backend> {
    b: &'a B,
    ledger: &'a Ledger,
    from: &'a B::Stack,
    to: &'a B::Stack,
    /// The two stacks as the ledger and the intent name them (keys read once, before the move).
    from_ref: StackRef,
    to_ref: StackRef,
    opts: &'a MoveOptions,
    items: Vec<Item>,
    journal: Vec<Done>,
    /// The intent, once written (the first group's `Intent` step).
    pending: Option<Pending>,
}

/// What the pre-check reads of the two stacks. A few interfaces: asked one by one (a lookup by
/// name or index, and filtered dumps for vlans and ports), so a move costs the same in a stack
/// of ten interfaces and in one of ten thousand. Many: both stacks listed once, which is
/// cheaper than that many lookups.
enum View<'a, B: Backend> {
    Listed {
        src: Vec<Interface>,
        tgt: Vec<Interface>,
        /// Every address of the source, with its interface's index.
        addrs: Vec<(u32, IfAddr)>,
        /// Every address of the target, read when first asked for (an epair's peer there).
        tgt_addrs: std::cell::OnceCell<Vec<(u32, IfAddr)>>,
        b: &'a B,
        to: &'a B::Stack,
    },
    Direct {
        b: &'a B,
        from: &'a B::Stack,
        to: &'a B::Stack,
    },
}

/// From this many interfaces on, one move lists both stacks instead of asking one by one.
const LIST_FROM: usize = 8;

impl<'a, B: Backend> View<'a, B> {
    fn new(b: &'a B, from: &'a B::Stack, to: &'a B::Stack, n: usize) -> Result<View<'a, B>> {
        Ok(if n >= LIST_FROM {
            View::Listed {
                src: b.list(from)?,
                tgt: b.list(to)?,
                addrs: b.all_addresses(from)?,
                tgt_addrs: std::cell::OnceCell::new(),
                b,
                to,
            }
        } else {
            View::Direct { b, from, to }
        })
    }

    fn find(list: &[Interface], sel: IfSel) -> Option<Interface> {
        list.iter()
            .find(|i| match sel {
                IfSel::Name(n) => i.name == n,
                IfSel::Index(x) => i.index == x,
            })
            .cloned()
    }

    fn ask(b: &B, s: &B::Stack, sel: IfSel) -> Result<Option<Interface>> {
        match b.get(s, sel) {
            Ok(i) => Ok(Some(i)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// An interface of the source stack.
    fn src(&self, sel: IfSel) -> Result<Option<Interface>> {
        match self {
            View::Listed { src, .. } => Ok(Self::find(src, sel)),
            View::Direct { b, from, .. } => Self::ask(b, from, sel),
        }
    }

    /// An interface of the target stack.
    fn tgt(&self, sel: IfSel) -> Result<Option<Interface>> {
        match self {
            View::Listed { tgt, .. } => Ok(Self::find(tgt, sel)),
            View::Direct { b, to, .. } => Self::ask(b, to, sel),
        }
    }

    /// A vlan of the source stack that stands on its interface `index`.
    fn vlan_on(&self, index: u32) -> Result<Option<Interface>> {
        match self {
            View::Listed { src, .. } => Ok(src.iter().find(|v| v.is_vlan_on(index)).cloned()),
            View::Direct { b, from, .. } => Ok(b.vlans_on(from, index)?.into_iter().next()),
        }
    }

    /// The addresses of the source's interface `index`.
    fn addresses(&self, index: u32) -> Result<Vec<IfAddr>> {
        match self {
            View::Listed { addrs, .. } => Ok(addrs
                .iter()
                .filter(|(i, _)| *i == index)
                .map(|(_, a)| *a)
                .collect()),
            View::Direct { b, from, .. } => b.addresses(from, index),
        }
    }

    /// The addresses of the target's interface `index`.
    fn tgt_addresses(&self, index: u32) -> Result<Vec<IfAddr>> {
        match self {
            View::Listed {
                tgt_addrs, b, to, ..
            } => {
                let all = match tgt_addrs.get() {
                    Some(a) => a,
                    None => {
                        let a = b.all_addresses(to)?;
                        tgt_addrs.get_or_init(|| a)
                    }
                };
                Ok(all
                    .iter()
                    .filter(|(i, _)| *i == index)
                    .map(|(_, a)| *a)
                    .collect())
            }
            View::Direct { b, to, .. } => b.addresses(to, index),
        }
    }

    /// How many ports the source's bridge/lagg `index` has.
    fn ports(&self, index: u32) -> Result<usize> {
        match self {
            View::Listed { src, .. } => Ok(src.iter().filter(|i| i.master == Some(index)).count()),
            View::Direct { b, from, .. } => b.ports_of(from, index),
        }
    }
}

fn precheck_and_save<B: Backend>(
    b: &B,
    ledger: &Ledger,
    from: &B::Stack,
    moves: &[(IfName, Option<IfName>)],
    to: &B::Stack,
    opts: &MoveOptions,
) -> Result<Vec<Item>> {
    let first = moves.first().map(|m| m.0.to_string()).unwrap_or_default();
    if from.key()? == to.key()? {
        return Err(Error::InvalidArgument(Box::new(
            ctx("move", &first, from.name()).detail("source and target are the same stack"),
        )));
    }
    if !b.stack_alive(to) {
        return Err(Error::NotFound(Box::new(
            ctx("move", &first, to.name()).detail("the target stack is gone"),
        )));
    }
    let view = View::new(b, from, to, moves.len())?;
    let (order, groups) = with_group_ports(b, from, &view, moves)?;
    let src_loans = ledger.loans(&from.key()?)?;
    let mut tgt_loans: Option<Vec<Loan>> = None;
    let moving: HashSet<IfName> = order.iter().map(|m| m.0).collect();
    let mut finals = HashSet::new();
    let mut items = Vec::with_capacity(order.len());

    for (name, new_name, asked) in &order {
        let iface = view.src(IfSel::Name(*name))?.ok_or_else(|| {
            Error::NotFound(Box::new(
                ctx("move", name.as_str(), from.name())
                    .detail("no such interface in the source stack"),
            ))
        })?;
        let iface = &iface;
        let kind = iface.kind.kind();
        // A port its group takes along moves natively (its peer or wire stays connected).
        let group = groups.iter().find(|(_, ports)| ports.contains(name));
        let port_opts;
        let opts_here = match group {
            Some(_) => {
                port_opts = MoveOptions {
                    strategy: Some(Strategy::Native),
                    epair_fast_path: false,
                    ..opts.clone()
                };
                &port_opts
            }
            None => opts,
        };
        let plan = plan(kind, opts_here).map_err(|why| {
            let why = match group {
                Some((m, _)) => format!("a port of {m}, which moves with it natively: {why}"),
                None => why,
            };
            Error::Unsupported(Box::new(
                ctx("move", name.as_str(), from.name()).detail(why),
            ))
        })?;
        if let (Some((m, _)), true) = (group, driver(kind).takes_ports) {
            return Err(Error::Unsupported(Box::new(
                ctx("move", name.as_str(), from.name())
                    .detail(format!("a group nested in group {m} cannot move")),
            )));
        }
        let final_name = new_name.unwrap_or(*name);
        if !finals.insert(final_name) {
            return Err(Error::InvalidArgument(Box::new(
                ctx("move", final_name.as_str(), to.name())
                    .detail("the same final name twice in one move"),
            )));
        }
        if view.tgt(IfSel::Name(final_name))?.is_some() {
            return Err(Error::Exists(Box::new(
                ctx("move", final_name.as_str(), to.name())
                    .detail("an interface with this name already exists in the target stack"),
            )));
        }
        // Moving a vlan's parent unconfigures the vlan on FreeBSD; refuse on both systems.
        if let Some(v) = view.vlan_on(iface.index)? {
            return Err(Error::Busy(Box::new(
                ctx("move", name.as_str(), from.name()).detail(format!(
                    "it is the parent of vlan {}; move or destroy the vlan first",
                    v.name
                )),
            )));
        }
        let addresses = view.addresses(iface.index)?;
        let mut saved = save_vparams(iface, addresses);
        if let Some(m) = iface.master {
            let master = view.src(IfSel::Index(m))?;
            saved.master = master.as_ref().map(|m| m.name);
            // A bond/lagg port carries its master's MAC, not its own: the move neither restores
            // nor checks it, and tells the device by name and kind (its MAC changes when it
            // leaves, and again when it joins).
            if master.is_some_and(|m| driver(m.kind.kind()).takes_ports) {
                saved.iface.mac = None;
            }
        }
        if let KindInfo::Bond {
            primary, active, ..
        } = &iface.kind
        {
            let name_of = |x: &Option<u32>| -> Result<Option<IfName>> {
                Ok(match x {
                    Some(x) => view.src(IfSel::Index(*x))?.map(|p| p.name),
                    None => None,
                })
            };
            saved.primary = name_of(primary)?;
            saved.active = name_of(active)?;
        }
        let mut peer = None;
        let mut peer_tmp = None;
        let mut peer_in_target = false;
        let mut peer_prior = None;
        if plan.strategy == Strategy::Recreate {
            if saved.spec.is_none() {
                return Err(Error::Unsupported(Box::new(ctx("move", name.as_str(), from.name()).detail(
                    "its parameters are not all known (a parent in another stack?), so it cannot be re-created",
                ))));
            }
            let k = kind.expect("recreate needs a modelled kind");
            if !b.offers(to, k)? {
                return Err(Error::Unsupported(Box::new(
                    ctx("move", name.as_str(), to.name()).detail(format!(
                        "re-create needs kind {k}, which the target stack cannot create"
                    )),
                )));
            }
            if k == KindName::Epair {
                let link = iface.link().copied();
                let in_src = match link
                    .filter(|l| l.stack == LinkStack::Same)
                    .and_then(|l| l.index)
                {
                    Some(pi) => view.src(IfSel::Index(pi))?,
                    None => None,
                };
                // The way back: the peer is the target's epair that points at us — by index
                // where the kernel gives one across stacks (Linux), else by the names both ends
                // report of each other (FreeBSD, from its record of the pair).
                let other = link.filter(|l| l.stack != LinkStack::Same);
                let by_index = match other.and_then(|l| l.index) {
                    Some(pi) => view.tgt(IfSel::Index(pi))?.filter(|i| {
                        matches!(i.kind, KindInfo::Epair { .. })
                            && i.link().and_then(|l| l.index) == Some(iface.index)
                    }),
                    None => None,
                };
                let in_tgt = match (by_index, other.filter(|l| l.index.is_none())) {
                    (Some(p), _) => Some(p),
                    (None, Some(LinkRef { name: Some(pn), .. })) => {
                        view.tgt(IfSel::Name(pn))?.filter(|i| {
                            matches!(i.kind, KindInfo::Epair { .. })
                                && i.link().and_then(|l| l.name) == Some(iface.name)
                        })
                    }
                    _ => None,
                };
                let Some(p) = in_src.as_ref().or(in_tgt.as_ref()) else {
                    return Err(Error::Unsupported(Box::new(
                        ctx("move", name.as_str(), from.name()).detail(
                            "re-creating an epair needs its peer in the source or the target stack",
                        ),
                    )));
                };
                if in_src.is_some() && moving.contains(&p.name) {
                    return Err(Error::InvalidArgument(Box::new(
                        ctx("move", name.as_str(), from.name()).detail(format!(
                            "its peer {} is in the same re-create move; move one end",
                            p.name
                        )),
                    )));
                }
                peer_in_target = in_src.is_none();
                let pa = if in_src.is_some() {
                    view.addresses(p.index)?
                } else {
                    view.tgt_addresses(p.index)?
                };
                // The peer's loan record: the source's ledger is read already, the target's once.
                let peer_loans = if in_src.is_some() {
                    &src_loans
                } else {
                    match &tgt_loans {
                        Some(l) => l,
                        None => tgt_loans.insert(ledger.loans(&to.key()?)?),
                    }
                };
                peer_prior = peer_loans.iter().find(|l| l.identifies(p)).cloned();
                peer = Some(save_vparams(p, pa));
                peer_tmp = Some(tmp_name('p'));
            }
        }
        let ports = if iface.kind.kind().is_some_and(|k| k.desc().ports) {
            view.ports(iface.index)?
        } else {
            0
        };
        let receipt = Receipt {
            name: Some(final_name),
            index: 0,
            from: from.name().to_string(),
            to: to.name().to_string(),
            strategy: Some(plan.strategy),
            ..Receipt::default()
        };
        let cur_peer_index = peer.as_ref().map(|p: &VParams| p.iface.index);
        items.push(Item {
            cur_peer_index,
            src_name: *name,
            final_name,
            tmp_name: tmp_name('t'),
            prior: src_loans.iter().find(|l| l.identifies(iface)).cloned(),
            peer_prior,
            old_mark: iface.mark.clone(),
            mark: intent::new_mark(),
            src_index: iface.index,
            saved,
            peer,
            peer_tmp,
            peer_in_target,
            plan,
            tgt_index: None,
            new_peer_index: None,
            created_up: false,
            seen: None,
            ports,
            members: Vec::new(),
            asked: *asked,
            joins_group: group.is_some(),
            receipt,
        });
    }
    for (m, ports) in &groups {
        let at = |n: &IfName| items.iter().position(|it| it.src_name == *n);
        let members: Vec<usize> = ports.iter().filter_map(at).collect();
        if let Some(mi) = at(m) {
            items[mi].members = members;
        }
    }
    Ok(items)
}

/// A move's list with the ports of every group (bond/lagg) in it, each just before its group,
/// in joining order (the primary first, then the active one, then as the kernel lists them):
/// (name, new name, place in the caller's list). Also each group's ports, by group.
type Order = Vec<(IfName, Option<IfName>, Option<usize>)>;

#[allow(clippy::type_complexity)]
fn with_group_ports<B: Backend>(
    b: &B,
    from: &B::Stack,
    view: &View<'_, B>,
    moves: &[(IfName, Option<IfName>)],
) -> Result<(Order, Vec<(IfName, Vec<IfName>)>)> {
    let mut order: Order = Vec::with_capacity(moves.len());
    let mut groups = Vec::new();
    let mut listing: Option<Vec<Interface>> = None;
    for (k, (name, new_name)) in moves.iter().enumerate() {
        if order.iter().any(|(n, _, _)| n == name) {
            continue; // a port its group took along already
        }
        let master = match view.src(IfSel::Name(*name))? {
            Some(m) if driver(m.kind.kind()).takes_ports => m,
            _ => {
                order.push((*name, *new_name, Some(k)));
                continue;
            }
        };
        let all = match &listing {
            Some(l) => l,
            None => listing.insert(b.list(from)?),
        };
        let first = match &master.kind {
            KindInfo::Bond {
                primary, active, ..
            } => primary.or(*active),
            _ => None,
        };
        let mut ports: Vec<&Interface> = all
            .iter()
            .filter(|i| i.master == Some(master.index))
            .collect();
        ports.sort_by_key(|i| Some(i.index) != first);
        let names: Vec<IfName> = ports.iter().map(|i| i.name).collect();
        for p in &names {
            if !order.iter().any(|(n, _, _)| n == p) {
                let asked = moves.iter().position(|(x, _)| x == p);
                order.push((*p, asked.and_then(|a| moves[a].1), asked));
            }
        }
        groups.push((*name, names));
        order.push((*name, *new_name, Some(k)));
    }
    Ok((order, groups))
}

pub(crate) fn create_request(
    saved: &Saved,
    name: IfName,
    peer_name: Option<IfName>,
) -> CreateRequest {
    let mut kind = saved.spec.clone().expect("checked in pre-check");
    if let KindSpec::Epair { peer_name: p } = &mut kind {
        *p = peer_name;
    }
    CreateRequest {
        name: Some(name),
        kind,
        mtu: Some(saved.mtu),
        mac: saved.mac,
        description: saved.description.clone(),
        up: false,
        group: None,
    }
}

pub(crate) fn set<B: Backend>(b: &B, s: &B::Stack, index: u32, c: Change) -> Result<()> {
    if c.is_empty() {
        return Ok(());
    }
    b.apply(s, IfSel::Index(index), &c)
}

pub(crate) fn add_missing<B: Backend>(
    b: &B,
    s: &B::Stack,
    index: u32,
    want: &[IfAddr],
) -> Result<()> {
    let have = b.addresses(s, index)?;
    for a in want.iter().filter(|a| !have.contains(a)) {
        match b.add_address(s, index, *a) {
            Err(e) if e.is_exists() => {}
            r => r?,
        }
    }
    Ok(())
}

impl<B: Backend> Run<'_, B> {
    /// Runs one step over a group of items with the same plan.
    fn do_step(&mut self, step: Step, group: &[usize]) -> Result<()> {
        let (b, from) = (self.b, self.from);
        let (items, journal) = (&mut self.items, &mut self.journal);
        match step {
            Step::PreCheck | Step::Save => Ok(()),
            Step::Intent => {
                // One intent for the whole move, written before its first change.
                if self.pending.is_none() {
                    let intent = self.intent();
                    self.pending = Some(Intents::new(self.ledger.runtime()).begin(&intent)?);
                }
                Ok(())
            }
            Step::RecordLoan => self.record_loans(group),
            Step::JoinPorts => self.join_ports(group),
            // Many interfaces: the target is read once for the whole group, not once each.
            // (Unless each was seen by the move and not changed since.)
            Step::RestoreParams | Step::Verify
                if group.len() >= LIST_FROM && group.iter().any(|&i| items[i].seen.is_none()) =>
            {
                if step == Step::Verify {
                    target_alive(b, self.to, self.items[group[0]].src_name)?;
                }
                let now = b.list(self.to)?;
                for &i in group {
                    self.item_step_seen(step, i, &now)?;
                }
                Ok(())
            }
            Step::DestroySource => {
                let sels: Vec<IfSel> = group
                    .iter()
                    .map(|&i| IfSel::Index(items[i].src_index))
                    .collect();
                let r = if sels.len() == 1 {
                    b.destroy(from, sels[0])
                } else {
                    b.destroy_many(from, &sels)
                };
                // Journal what is really gone, whatever the call returned.
                for &i in group {
                    let gone = r.is_ok()
                        || matches!(b.get(from, IfSel::Index(items[i].src_index)), Err(e) if e.is_not_found());
                    if gone {
                        journal.push(Done::DestroyedSource(i));
                    }
                }
                r
            }
            _ => {
                for &i in group {
                    self.item_step(step, i)?;
                }
                Ok(())
            }
        }
    }

    /// Each group master's moved ports join its copy in the target.
    fn join_ports(&mut self, group: &[usize]) -> Result<()> {
        let (b, to) = (self.b, self.to);
        for &i in group {
            if self.items[i].members.is_empty() {
                continue;
            }
            let idx = self.items[i].tgt_index.expect("in target");
            let ports: Vec<u32> = self.items[i]
                .members
                .iter()
                .map(|&p| self.items[p].tgt_index.expect("moved"))
                .collect();
            let names: Vec<IfName> = self.items[i]
                .members
                .iter()
                .map(|&p| self.items[p].final_name)
                .collect();
            self.items[i].seen = None;
            join_group(b, to, idx, &ports, &saved_of(&self.items[i].saved, None))?;
            let it = &mut self.items[i];
            it.receipt.ports = names;
            it.receipt.restored.push("ports".into());
        }
        Ok(())
    }

    /// Records the group's loans: their prior records leave the source's ledger in one write,
    /// each device gets its mark, and the new records enter the target's ledger in one write
    /// (a write is a locked atomic replace: one per stack, not one per interface).
    fn record_loans(&mut self, group: &[usize]) -> Result<()> {
        let (b, ledger, from, to) = (self.b, self.ledger, self.from, self.to);
        let priors: Vec<&Loan> = group
            .iter()
            .filter_map(|&i| self.items[i].prior.as_ref())
            .collect();
        let taken: Vec<Loan> = if priors.is_empty() {
            Vec::new()
        } else {
            ledger.edit(&self.from_ref.key, |v| {
                let mut out = Vec::new();
                for p in &priors {
                    if let Some(at) = v.iter().position(|l| l == *p) {
                        out.push(v.remove(at));
                    }
                }
                out
            })?
        };
        // Journaled before anything can fail: a rollback puts every taken prior back.
        let first = self.journal.len();
        for &i in group {
            self.journal.push(Done::Recorded(i, false));
        }
        let mut loans = Vec::new();
        let mut lent = Vec::new();
        for (k, &i) in group.iter().enumerate() {
            let it = &self.items[i];
            let home = it
                .prior
                .as_ref()
                .and_then(|p| taken.iter().find(|l| *l == p))
                .map(|l| l.home.clone())
                .unwrap_or_else(|| self.from_ref.clone());
            if home.key == self.to_ref.key {
                continue; // it came home: no loan
            }
            let idx = it.tgt_index.expect("in target");
            let marked = b.add_mark(to, idx, &it.mark)?;
            loans.push(Loan {
                index: idx,
                name: it.final_name,
                kind: it.saved.iface.kind.kind(),
                mac: it.saved.iface.mac,
                mark: marked.then(|| it.mark.clone()),
                home,
            });
            lent.push(first + k);
        }
        if !loans.is_empty() {
            ledger.record_many(&self.to_ref.key, loans)?;
            for j in lent {
                if let Done::Recorded(_, rec) = &mut self.journal[j] {
                    *rec = true;
                }
            }
        }
        // A re-created peer that was itself a loan keeps its record (and its mark) on the new
        // device.
        for &i in group {
            let it = &self.items[i];
            if let (Some(pl), Some(np)) = (&it.peer_prior, it.new_peer_index) {
                let ps = if it.peer_in_target { to } else { from };
                relend(b, ledger, ps, np, pl)?;
            }
        }
        Ok(())
    }

    /// RestoreParams or Verify for one item of a group, from the group's one reading of the
    /// target.
    fn item_step_seen(&mut self, step: Step, i: usize, now: &[Interface]) -> Result<()> {
        let (b, to, opts) = (self.b, self.to, self.opts);
        let it = &mut self.items[i];
        let idx = it.tgt_index.expect("in target");
        let cur = now.iter().find(|x| x.index == idx).ok_or_else(|| {
            Error::NotFound(Box::new(
                ctx("move", it.final_name.as_str(), to.name())
                    .detail(format!("#{idx} is not in the target any more")),
            ))
        })?;
        match step {
            Step::RestoreParams => {
                it.seen = None;
                restore_params(b, to, it, cur).map(|_| ())
            }
            Step::Verify => verify(b, to, it, cur, opts),
            _ => unreachable!("only RestoreParams and Verify read the group's target"),
        }
    }

    /// Runs one step for one item.
    fn item_step(&mut self, step: Step, i: usize) -> Result<()> {
        let (b, from, to, opts) = (self.b, self.from, self.to, self.opts);
        let (items, journal) = (&mut self.items, &mut self.journal);
        let it = &mut items[i];
        // What the move saw is kept only while nothing has touched the interface since (Up and
        // RestoreAddresses drop it when they change something).
        if !matches!(
            step,
            Step::RestoreParams | Step::Verify | Step::Up | Step::RestoreAddresses
        ) {
            it.seen = None;
        }
        match step {
            Step::MoveNative => {
                let rename = (it.final_name != it.src_name).then_some(it.final_name);
                let mut known = it.saved.iface.clone();
                known.index = it.src_index;
                let now = b.move_native_known(from, &known, to, rename)?;
                it.tgt_index = Some(now.index);
                it.seen = Some(now);
                journal.push(Done::Moved(i));
            }
            Step::CreatePairAcross => {
                // Made by the target: the main end gets its final name at once (the pre-check
                // found it free there and the stack lock keeps it so), the peer a temporary one
                // beside the old peer, with the old peer's MTU and MAC where the kernel takes
                // them at creation ([`Links::create_pair`]: one request where the kernel allows).
                let mut req =
                    create_request(&saved_of(&it.saved, None), it.final_name, it.peer_tmp);
                // UP from the start, if it was (its peer stays down until RestorePeer).
                req.up = it.saved.iface.up;
                let peer = &it.peer.as_ref().expect("epair").iface;
                let (idx, pidx) = b.create_pair(
                    to,
                    &req,
                    (!it.peer_in_target).then_some(from),
                    peer.mtu,
                    peer.mac,
                )?;
                it.tgt_index = Some(idx);
                it.new_peer_index = Some(pidx);
                it.created_up = req.up;
                journal.push(Done::Created(i));
            }
            Step::CreateInTarget => {
                let req = create_request(&saved_of(&it.saved, None), it.tmp_name, it.peer_tmp);
                let made = b.create(
                    from,
                    &req,
                    Placement {
                        iface: Some(to),
                        peer: it.peer_in_target.then_some(to),
                    },
                )?;
                it.tgt_index = Some(made.iface.index);
                it.new_peer_index = made.peer.as_ref().map(|p| p.index);
                journal.push(Done::Created(i));
            }
            Step::RestoreParams => match it.seen.take() {
                Some(now) => {
                    if restore_params(b, to, it, &now)? {
                        it.seen = Some(now); // nothing changed: still what the target has
                    }
                }
                None => {
                    let now = b.get(to, IfSel::Index(it.tgt_index.expect("in target")))?;
                    restore_params(b, to, it, &now)?;
                }
            },
            Step::RenameInTarget => {
                let idx = it.tgt_index.expect("in target");
                set(
                    b,
                    to,
                    idx,
                    Change {
                        name: Some(it.final_name),
                        ..Change::default()
                    },
                )?;
            }
            Step::RestorePeer => {
                let (peer, pidx) = (
                    it.peer.as_ref().expect("epair"),
                    it.new_peer_index.expect("peer"),
                );
                let ps = if it.peer_in_target { to } else { from };
                // One change renames the new peer and gives it the old one's parameters (the
                // kernel renames before it brings a device up); a new device has no address yet.
                let c = Change {
                    name: Some(peer.iface.name),
                    mtu: Some(peer.iface.mtu),
                    mac: peer.iface.mac,
                    description: peer.iface.description.as_deref().map(str::to_string),
                    up: peer.iface.up.then_some(true),
                    group: None,
                };
                b.apply_at_once(ps, pidx, &c)?;
                if !peer.addresses.is_empty() {
                    add_missing(b, ps, pidx, &peer.addresses)?;
                }
            }
            Step::RestoreAddresses => {
                if !it.saved.addresses.is_empty() {
                    it.seen = None;
                }
                let idx = it.tgt_index.expect("in target");
                add_missing(b, to, idx, &it.saved.addresses)?;
                it.receipt.addresses = it.saved.addresses.clone();
                if !it.saved.addresses.is_empty() {
                    it.receipt.restored.push("addresses".into());
                }
            }
            Step::Up => {
                if it.saved.iface.up {
                    if !it.created_up {
                        it.seen = None;
                        let idx = it.tgt_index.expect("in target");
                        set(
                            b,
                            to,
                            idx,
                            Change {
                                up: Some(true),
                                ..Change::default()
                            },
                        )?;
                    }
                    it.receipt.restored.push("up".into());
                }
            }
            Step::Verify => {
                target_alive(b, to, it.src_name)?;
                let now = match it.seen.take() {
                    Some(now) => now,
                    None => b.get(to, IfSel::Index(it.tgt_index.expect("in target")))?,
                };
                verify(b, to, it, &now, opts)?;
            }
            Step::LeaveMaster => {
                if let Some(m) = it.saved.iface.master {
                    // Only a master ifclone models takes it out (a kernel failover, a team or
                    // a vrf lets go of a port that leaves the stack by itself).
                    let master = b.get(from, IfSel::Index(m))?;
                    if master.kind.kind().is_some_and(|k| k.desc().ports) {
                        let mut port = it.saved.iface.clone();
                        port.index = it.src_index;
                        b.set_master(from, &port, PortOp::Leave(&master))?;
                        journal.push(Done::Left(i));
                    }
                }
            }
            Step::RestoreActive => {
                let idx = it.tgt_index.expect("in target");
                if it.saved.primary.is_some() || it.saved.active.is_some() {
                    restore_active(b, to, idx, it.saved.primary, it.saved.active)?;
                    it.receipt.restored.push("active port".into());
                }
            }
            Step::Unmark => {
                if let Some(m) = it.old_mark.clone() {
                    b.del_mark(from, it.src_index, &m)?;
                    journal.push(Done::Unmarked(i));
                }
            }
            Step::PreCheck
            | Step::Save
            | Step::Intent
            | Step::DestroySource
            | Step::JoinPorts
            | Step::RecordLoan => {
                unreachable!("group steps")
            }
        }
        Ok(())
    }
}

/// Records `loan` (a loan in `s`) again for the device now at `index`, with its mark on it.
pub(crate) fn relend<B: Backend>(
    b: &B,
    ledger: &Ledger,
    s: &B::Stack,
    index: u32,
    loan: &Loan,
) -> Result<()> {
    let marked = match &loan.mark {
        Some(m) => {
            let now = b.get(s, IfSel::Index(index))?;
            now.mark.as_deref() == Some(m.as_str()) || b.add_mark(s, index, m)?
        }
        None => false,
    };
    ledger.take_where(&s.key()?, |l| l == loan)?;
    ledger.record(
        &s.key()?,
        Loan {
            index,
            mark: if marked { loan.mark.clone() } else { None },
            ..loan.clone()
        },
    )
}

fn note_restored(r: &mut Receipt, c: &Change) {
    for (set, what) in [
        (c.mtu.is_some(), "mtu"),
        (c.mac.is_some(), "mac"),
        (c.description.is_some(), "description"),
    ] {
        if set {
            r.restored.push(what.into());
        }
    }
}

/// Makes the interface at `index` in `s` match `saved`: generic parameters, addresses (when
/// `addresses`), then UP last.
fn restore_on<B: Backend>(
    b: &B,
    s: &B::Stack,
    index: u32,
    saved: &VParams,
    addresses: bool,
) -> Result<()> {
    restore_saved(b, s, index, &saved_of(saved, None), addresses)
}

/// [`restore_on`] from a saved record (what an intent holds).
pub(crate) fn restore_saved<B: Backend>(
    b: &B,
    s: &B::Stack,
    index: u32,
    saved: &Saved,
    addresses: bool,
) -> Result<()> {
    let now = b.get(s, IfSel::Index(index))?;
    set(
        b,
        s,
        index,
        generic_change(saved.mtu, saved.mac, saved.description.as_deref(), &now),
    )?;
    if addresses {
        add_missing(b, s, index, &saved.addresses)?;
    }
    if let Some(m) = saved.master.filter(|_| now.master.is_none()) {
        // Back in the source, out of its bridge/lagg (the kernel detached it): a port again.
        let master = b.get(s, IfSel::Name(m))?;
        b.set_master(s, &now, PortOp::Join(&master))?;
    }
    if saved.up && !now.up {
        set(
            b,
            s,
            index,
            Change {
                up: Some(true),
                ..Change::default()
            },
        )?;
    }
    if let (Some(p), KindInfo::Bond { primary, .. }) = (saved.primary, &now.kind) {
        // A group whose ports are back: its preferred port again (the kernel makes it active
        // when its link is up).
        if let Ok(port) = b.get(s, IfSel::Name(p)) {
            if port.master == Some(index) && *primary != Some(port.index) {
                b.set_primary_port(s, &now, &port)?;
            }
        }
    }
    Ok(())
}

/// Makes `ports` (indexes in `s`, the primary first) ports of the group master at
/// `master_index`, then gives the master its saved MTU, MAC and description where the kernel
/// gave it the first port's (FreeBSD's lagg takes both from its first port).
pub(crate) fn join_group<B: Backend>(
    b: &B,
    s: &B::Stack,
    master_index: u32,
    ports: &[u32],
    saved: &Saved,
) -> Result<()> {
    let master = b.get(s, IfSel::Index(master_index))?;
    for &p in ports {
        let port = b.get(s, IfSel::Index(p))?;
        if port.master != Some(master_index) {
            b.set_master(s, &port, PortOp::Join(&master))?;
        }
    }
    let now = b.get(s, IfSel::Index(master_index))?;
    set(
        b,
        s,
        master_index,
        generic_change(saved.mtu, saved.mac, saved.description.as_deref(), &now),
    )
}

/// How long a moved group's kernel may take to make the saved port active again (its link
/// monitor's next check).
const ACTIVE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A moved group's saved primary port again, then the saved active port active: forced when it
/// is the primary (the kernel switches to it once its link is seen), else waited for (the
/// kernel picks a standby by the links' state) a bounded time. `Kernel` when another port
/// stays active.
fn restore_active<B: Backend>(
    b: &B,
    s: &B::Stack,
    index: u32,
    primary: Option<IfName>,
    active: Option<IfName>,
) -> Result<()> {
    let bond = |i: &Interface| match i.kind {
        KindInfo::Bond {
            primary, active, ..
        } => (primary, active),
        _ => (None, None),
    };
    let master = b.get(s, IfSel::Index(index))?;
    if let Some(p) = primary {
        let port = b.get(s, IfSel::Name(p))?;
        if Some(p) == active {
            if bond(&master) != (Some(port.index), Some(port.index)) {
                b.set_active_port(s, &master, &port)?;
            }
            return Ok(());
        }
        if bond(&master).0 != Some(port.index) {
            b.set_primary_port(s, &master, &port)?;
        }
    }
    let Some(a) = active else { return Ok(()) };
    let port = b.get(s, IfSel::Name(a))?;
    let deadline = std::time::Instant::now() + ACTIVE_WAIT;
    loop {
        let now = b.get(s, IfSel::Index(index))?;
        let cur = bond(&now).1;
        if cur == Some(port.index) {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            let cur = cur
                .and_then(|c| b.get(s, IfSel::Index(c)).ok())
                .map(|c| c.name.to_string())
                .unwrap_or_else(|| "no port".into());
            return Err(Error::Kernel(Box::new(
                ctx("restore active port of", now.name.as_str(), s.name()).detail(format!(
                    "{cur} is active, not {a}, {} ms after the move",
                    ACTIVE_WAIT.as_millis()
                )),
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn not_carried(it: &Item, opts: &MoveOptions) -> Vec<String> {
    let mut v = Vec::new();
    let i = &it.saved.iface;
    // A port whose group moved with it is a port there again.
    if let Some(m) = i.master.filter(|_| !it.joins_group) {
        let name = it
            .saved
            .master
            .map(|n| n.to_string())
            .unwrap_or_else(|| format!("#{m}"));
        v.push(format!(
            "membership of bridge/lagg {name} (the kernel detaches a port that leaves the stack; \
             {name} stays in stack {})",
            it.receipt.from
        ));
    }
    if !opts.carry_addresses && !it.saved.addresses.is_empty() {
        let a: Vec<String> = it.saved.addresses.iter().map(|a| a.to_string()).collect();
        v.push(format!(
            "addresses {} (dropped by the kernel; see MoveOptions::carry_addresses)",
            a.join(" ")
        ));
    }
    if !it.saved.addresses.is_empty() {
        v.push("routes through the interface (they go with its addresses)".into());
    }
    let desc = i.kind.kind().map(|k| k.desc());
    if let Some(p) = i.kind.link().filter(|_| desc.is_some_and(|d| d.on_parent)) {
        let name = p
            .name
            .map(|n| n.to_string())
            .unwrap_or_else(|| format!("#{}", p.index.unwrap_or(0)));
        // A parent in the source stack stays behind; one elsewhere (the way back) is not lost.
        if p.stack == LinkStack::Same {
            v.push(format!("parent {name} stays in stack {}", it.receipt.from));
        }
    }
    if it.plan.strategy == Strategy::Recreate {
        v.push(format!(
            "interface index (was {}, re-created as {})",
            i.index,
            it.tgt_index.unwrap_or(0)
        ));
        match i.kind {
            _ if desc.is_some_and(|d| d.fds) => {
                v.push("open queue file descriptors (they refer to the destroyed device)".into())
            }
            _ if desc.is_some_and(|d| d.ports && !d.moves.takes_ports) && it.ports > 0 => {
                v.push(format!(
                    "{} member port(s) (they stay in the source stack, detached)",
                    it.ports
                ))
            }
            KindInfo::Epair { .. } => v.push(format!(
                "peer {} re-created: new index {}",
                it.peer
                    .as_ref()
                    .map(|p| p.iface.name.to_string())
                    .unwrap_or_default(),
                it.new_peer_index.unwrap_or(0)
            )),
            _ => {}
        }
    }
    v
}

/// Re-applies the saved MTU, MAC and description where `now` (the interface in the target)
/// differs; `true` when nothing differed.
fn restore_params<B: Backend>(
    b: &B,
    to: &B::Stack,
    it: &mut Item,
    now: &Interface,
) -> Result<bool> {
    let c = apply_vparams(&it.saved.iface, now);
    note_restored(&mut it.receipt, &c);
    let unchanged = c.is_empty();
    set(b, to, now.index, c)?;
    Ok(unchanged)
}

/// Checks every saved property on `now` (the interface in the target) and that the target still
/// lives; fills the receipt.
fn verify<B: Backend>(
    b: &B,
    to: &B::Stack,
    it: &mut Item,
    now: &Interface,
    opts: &MoveOptions,
) -> Result<()> {
    target_alive(b, to, it.src_name)?;
    let diffs = differences(&it.saved.iface, now, it.final_name.as_str());
    if !diffs.is_empty() {
        return Err(Error::Kernel(Box::new(
            ctx("verify move", it.final_name.as_str(), to.name()).detail(diffs.join(", ")),
        )));
    }
    it.receipt.index = now.index;
    it.receipt.not_carried = not_carried(it, opts);
    Ok(())
}

/// `NotFound` when the target stack was removed during the move.
fn target_alive<B: Backend>(b: &B, to: &B::Stack, name: IfName) -> Result<()> {
    if b.stack_alive(to) {
        return Ok(());
    }
    Err(Error::NotFound(Box::new(
        ctx("move", name.as_str(), to.name())
            .detail("the target stack was removed during the move"),
    )))
}

/// Destroys the copy a re-create made in the target: by the index the create reported and, if
/// nothing has that index, by the names only this move gives there (the temporary name, or the
/// final one, which the pre-check found free and the stack lock kept free). An index is not
/// enough on its own: a kernel that hands out new indexes on moves (FreeBSD 13) can leave it
/// pointing at nothing, and a copy left behind would keep the source from being re-created
/// (a vlan tag is exclusive on its parent).
fn destroy_copy<B: Backend>(b: &B, to: &B::Stack, it: &Item) -> Result<()> {
    if let Some(t) = it.tgt_index {
        match b.destroy(to, IfSel::Index(t)) {
            Ok(()) => return Ok(()),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    for name in [it.tmp_name, it.final_name] {
        let Ok(now) = b.get(to, IfSel::Name(name)) else {
            continue;
        };
        // The final name: only a device with the saved MAC is ours.
        if name == it.final_name && it.saved.iface.mac.is_some() && now.mac != it.saved.iface.mac {
            continue;
        }
        match b.destroy(to, IfSel::Index(now.index)) {
            Ok(()) => return Ok(()),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl<B: Backend> Run<'_, B> {
    /// Undoes the journal: destroy what was created, re-create what was destroyed, move back
    /// what was moved, restore the ledger, then re-apply the saved parameters in the source
    /// stack. Returns the problems it could not fix (empty: fully rolled back).
    fn rollback(&mut self) -> Vec<String> {
        let (b, ledger, from, to) = (self.b, self.ledger, self.from, self.to);
        let journal = std::mem::take(&mut self.journal);
        let items = &mut self.items;
        let mut problems = Vec::new();
        let mut touched = Vec::new();
        // 1. The target's ledger first: the loan this move recorded goes (the source's record
        //    is put back in step 5, once the device's index there is known).
        for d in journal.iter().rev() {
            if let Done::Recorded(i, true) = d {
                let it = &items[*i];
                let (mark, t) = (it.mark.as_str(), it.tgt_index);
                if let Err(e) = ledger.take_where(&self.to_ref.key, |l| match &l.mark {
                    Some(m) => m == mark,
                    None => Some(l.index) == t && l.name == it.final_name,
                }) {
                    problems.push(format!(
                        "could not forget the loan of {}: {e}",
                        it.final_name
                    ));
                }
                // The mark goes with the record (a device that moves back must not carry it
                // home); a copy that is destroyed below takes its mark along anyway.
                if let Some(t) = t {
                    if let Err(e) = b.del_mark(to, t, mark) {
                        if !e.is_not_found() {
                            problems.push(format!(
                                "could not take the mark off {}: {e}",
                                it.final_name
                            ));
                        }
                    }
                }
            }
            if let Done::Recorded(i, _) | Done::Unmarked(i) | Done::Left(i) = d {
                touched.push(*i);
            }
        }
        // 2. Destroy everything created in the target (an epair copy takes its new peer with it).
        let created: Vec<usize> = journal
            .iter()
            .filter_map(|d| {
                if let Done::Created(i) = d {
                    Some(*i)
                } else {
                    None
                }
            })
            .collect();
        for &i in &created {
            let it = &items[i];
            if let Err(e) = destroy_copy(b, to, it) {
                problems.push(format!(
                    "could not destroy the copy of {} in {}: {e}",
                    it.src_name,
                    to.name()
                ));
            }
            touched.push(i);
        }
        // 3. Re-create destroyed sources from their saved parameters.
        for d in &journal {
            if let Done::DestroyedSource(i) = d {
                let it = &mut items[*i];
                let req = create_request(
                    &saved_of(&it.saved, None),
                    it.src_name,
                    it.peer.as_ref().map(|p| p.iface.name),
                );
                let place = Placement {
                    iface: None,
                    peer: it.peer_in_target.then_some(to),
                };
                match b.create(from, &req, place) {
                    Ok(made) => {
                        it.src_index = made.iface.index;
                        let ps = if it.peer_in_target { to } else { from };
                        it.cur_peer_index = made.peer.as_ref().map(|p| p.index);
                        if let (Some(p), Some(np)) = (&it.peer, &made.peer) {
                            if let Err(e) = restore_on(b, ps, np.index, p, true) {
                                problems.push(format!(
                                    "peer {} re-created but not restored: {e}",
                                    p.iface.name
                                ));
                            }
                        }
                    }
                    Err(e) => problems.push(format!(
                        "could not re-create {} in {}: {e}",
                        it.src_name,
                        from.name()
                    )),
                }
                touched.push(*i);
            }
        }
        // 4. Move back what the kernel moved, latest first.
        for d in journal.iter().rev() {
            if let Done::Moved(i) = d {
                let it = &mut items[*i];
                let t = it.tgt_index.expect("moved");
                let rename = (it.final_name != it.src_name).then_some(it.src_name);
                match b.move_native(to, IfSel::Index(t), from, rename) {
                    Ok(idx) => it.src_index = idx,
                    Err(e) => problems.push(format!(
                        "could not move {} back from {}: {e}",
                        it.final_name,
                        to.name()
                    )),
                }
                touched.push(*i);
            }
        }
        // 5. Re-apply the saved parameters (UP and addresses are what the kernels drop), and the
        //    loan records (with their marks) the interface and its peer had.
        touched.sort_unstable();
        touched.dedup();
        for i in touched {
            let it = &items[i];
            if let Err(e) = restore_on(b, from, it.src_index, &it.saved, true) {
                problems.push(format!(
                    "{} is back in {} but not fully restored: {e}",
                    it.src_name,
                    from.name()
                ));
            }
            if let Some(l) = &it.prior {
                if let Err(e) = relend(b, ledger, from, it.src_index, l) {
                    problems.push(format!(
                        "could not record the loan of {} again: {e}",
                        it.src_name
                    ));
                }
            }
            if let (Some(pl), Some(pi)) = (&it.peer_prior, it.cur_peer_index) {
                let ps = if it.peer_in_target { to } else { from };
                if let Err(e) = relend(b, ledger, ps, pi, pl) {
                    problems.push(format!(
                        "could not record the loan of peer {} again: {e}",
                        pl.name
                    ));
                }
            }
        }
        problems
    }

    /// The intent of this move: everything a recoverer needs after a crash.
    fn intent(&self) -> Intent {
        let items = self
            .items
            .iter()
            .map(|it| intent::Item {
                strategy: it.plan.strategy,
                exclusive: driver(it.plan.kind).exclusive,
                plan: it.plan.steps.iter().map(|s| s.to_string()).collect(),
                src_name: it.src_name,
                final_name: it.final_name,
                tmp_name: it.tmp_name,
                saved: saved_of(&it.saved, it.prior.clone()),
                peer: it.peer.as_ref().map(|p| intent::Peer {
                    saved: saved_of(p, it.peer_prior.clone()),
                    tmp: it.peer_tmp.expect("an epair re-create names its peer"),
                    in_target: it.peer_in_target,
                }),
                carry_addresses: self.opts.carry_addresses,
                mark: it.mark.clone(),
                ports: it
                    .members
                    .iter()
                    .map(|&p| self.items[p].final_name)
                    .collect(),
            })
            .collect();
        Intent::new(self.from_ref.clone(), self.to_ref.clone(), items)
    }

    /// Where each interface of a failed move is now, as the kernel says (not as assumed).
    fn where_now(&self) -> String {
        let (b, from, to) = (self.b, self.from, self.to);
        let (src, tgt) = (b.list(from), b.list(to));
        let mut out = Vec::new();
        for it in &self.items {
            let has = |l: &Result<Vec<Interface>>, n: IfName| {
                l.as_ref().ok().map(|v| v.iter().any(|i| it.saved_is(i, n)))
            };
            let at = match (has(&src, it.src_name), has(&tgt, it.final_name)) {
                (Some(true), _) => format!("{} is in stack {}", it.src_name, from.name()),
                (_, Some(true)) => format!("{} is in stack {}", it.final_name, to.name()),
                (Some(false), Some(false)) => {
                    format!(
                        "{} is in neither {} nor {}",
                        it.src_name,
                        from.name(),
                        to.name()
                    )
                }
                _ => format!("where {} is could not be checked", it.src_name),
            };
            out.push(at);
        }
        format!("now: {}", out.join("; "))
    }
}

fn saved_of(v: &VParams, loan: Option<Loan>) -> Saved {
    Saved {
        master: v.master,
        primary: v.primary,
        mac_varies: v.mac_varies(),
        ..Saved::of(&v.iface, v.spec.clone(), v.addresses.clone(), loan)
    }
}

impl Item {
    /// Whether `i` is this item's device (or its copy) under the name `n`.
    fn saved_is(&self, i: &Interface, n: IfName) -> bool {
        let saved = &self.saved.iface;
        let mac = saved.mac.filter(|_| !self.saved.mac_varies());
        intent::is_device(i, n, saved.kind.kind(), mac)
    }
}
