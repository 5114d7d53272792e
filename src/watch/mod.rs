//! # Watching stacks: a gapless event stream
//!
//! A [`Watcher`] follows one or more stacks and delivers [`Event`]s: interfaces arriving,
//! departing, renamed, changed (with the [`Fields`] that changed), moved between watched stacks
//! (one event with both ends), addresses added and removed, and — on request — named stacks
//! created and removed. docs/watch.md is the user's guide; the algorithm is here, the same on
//! every OS; a backend only reports what its kernel said ([`Raw`], through a
//! [`Feed`](crate::backend::Feed)).
//!
//! **Gapless start.** For each stack the watcher subscribes first, then lists the stack (its
//! interfaces and addresses) and finally takes in what the subscription queued during the
//! listing, silently. [`Watcher::interfaces`] is then exactly the kernel's state, and every
//! later change arrives as an event: a change made during the listing is either in the listing
//! or in the queue (or both — applying a state that is already known yields no event), never in
//! neither.
//!
//! **Overflow is never a dead stream.** When the kernel drops notifications (Linux ENOBUFS or
//! NLMSG_OVERRUN, FreeBSD SO_RERROR) the watcher lists the stack again the same gapless way and
//! delivers one [`Event::Resync`] whose `diff` is exactly what changed between what it had
//! delivered and the stack now, as ordinary events. The stream goes on.
//!
//! **Bounded.** The watcher reads from the kernel only when its queue is empty and at most
//! [`BATCH`] notifications at a time, so its memory is the stacks' state plus one batch; the
//! kernel's socket buffer holds the rest, and when that overflows the stream resyncs.
//!
//! **Blocking or event loop.** [`Watcher::next`] waits up to a timeout; [`Watcher::try_next`]
//! never blocks; [`Watcher::fd`] is one descriptor that polls readable when the kernel has
//! queued something (Linux epoll, FreeBSD kqueue). After it polls readable, call
//! [`Watcher::try_next`] until it answers `None`.
//!
//! **Moves.** When both stacks of a move are watched the move is one [`Event::Moved`] with both
//! names, stacks and indexes. Linux says so itself (RTM_DELLINK with IFLA_NEW_NETNSID and
//! IFLA_NEW_IFINDEX, then RTM_NEWLINK in the target); FreeBSD announces a departure in the old
//! stack and an arrival in the jail, which the watcher pairs when the arrival is the same device
//! (same name, kind and MAC) read in the same batch. A watcher of only the old stack gets
//! [`Event::Departed`] (with where to, when the kernel said); one of only the new stack gets
//! [`Event::Arrived`]: neither kernel marks an arrival as a move.

mod event;
mod view;

pub use event::{Destination, End, Event, Fields};

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::backend::prelude::*;
use crate::backend::MovedTo;
use crate::error::{Error, Result};
use crate::model::{IfAddr, IfSel, Interface};
use crate::stack::Stack;
use crate::Host;
use view::View;

/// At most this many notifications are taken from the kernel at once.
pub const BATCH: usize = 4096;
/// How often named stacks are listed again where the OS gives no signal for their creation.
pub const STACKS_POLL: Duration = Duration::from_secs(1);
/// How long a departure the kernel marked as a move waits for its arrival in a watched stack
/// (the kernel sends it once the device is registered there; never more than a few ms).
pub const MOVE_WAIT: Duration = Duration::from_millis(500);
/// How long a departure the kernel does not mark (FreeBSD) waits for an arrival of the same
/// name in another watched stack before it is reported as a departure.
pub const PAIR_WAIT: Duration = Duration::from_millis(20);
/// How often a listing that was overrun itself is retried before the watcher gives up.
const RELIST_TRIES: usize = 5;

/// How a [`Watcher`] is set up.
#[derive(Clone, Debug, Default)]
pub struct WatchOptions {
    rcvbuf: Option<usize>,
    stacks: bool,
}

impl WatchOptions {
    pub fn new() -> WatchOptions {
        WatchOptions::default()
    }
    /// The kernel socket buffer per stack, in bytes (default: the backend's, 4 MiB). A small
    /// one overflows early — for tests of [`Event::Resync`].
    pub fn rcvbuf(mut self, bytes: usize) -> WatchOptions {
        self.rcvbuf = Some(bytes);
        self
    }
    /// Also report named stacks created and removed ([`Event::StackCreated`],
    /// [`Event::StackRemoved`]).
    pub fn stacks(mut self, on: bool) -> WatchOptions {
        self.stacks = on;
        self
    }
}

/// One watched stack.
struct Watched {
    stack: Stack,
    key: String,
    name: Arc<str>,
    feed: Box<dyn crate::backend::Feed>,
    view: View,
    /// Stack ids (Linux nsids) seen in this stack's move notifications that name a watched
    /// stack, by the watched stack's position.
    ids: HashMap<i32, usize>,
}

/// The named stacks, when they are watched too.
struct StacksWatch {
    feed: Option<Box<dyn crate::backend::Feed>>,
    names: BTreeSet<String>,
    listed: Instant,
}

/// A gapless event stream of one or more stacks; see the module documentation.
pub struct Watcher {
    host: Host,
    watched: Vec<Watched>,
    stacks: Option<StacksWatch>,
    queue: VecDeque<Event>,
    joined: Option<OwnedFd>,
    resyncs: u64,
    /// Where the stack ids seen in this batch's departures lead, by (stack position, id):
    /// each is resolved once per batch (an id of an unwatched stack may be reused later).
    dests: HashMap<(usize, i32), Destination>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.watched.iter().map(|w| &*w.name).collect();
        f.debug_struct("Watcher")
            .field("stacks", &names)
            .field("queued", &self.queue.len())
            .finish()
    }
}

/// Whether two states are the same device: a rename or a move keeps the kind and the MAC.
fn same_device(a: &Interface, b: &Interface) -> bool {
    a.kind.kind() == b.kind.kind() && a.mac == b.mac
}

impl Watcher {
    /// Watches `stacks` with the default options.
    pub fn new(stacks: &[&Stack]) -> Result<Watcher> {
        Watcher::with_options(stacks, WatchOptions::default())
    }

    /// Watches `stacks` (none, to watch only the named stacks, with
    /// [`WatchOptions::stacks`]). Every stack must be a different stack of one [`Host`]; that
    /// is checked before anything is subscribed.
    pub fn with_options(stacks: &[&Stack], opts: WatchOptions) -> Result<Watcher> {
        let host = match stacks.first() {
            Some(s) => s.host_of().clone(),
            None if opts.stacks => Host::system(),
            None => {
                return Err(Error::invalid(
                    "watch",
                    "",
                    "give at least one stack, or watch the named stacks",
                ))
            }
        };
        let mut keys = Vec::with_capacity(stacks.len());
        for s in stacks {
            if !s.host_of().same_state(&host) {
                return Err(Error::invalid(
                    "watch",
                    s.name(),
                    "the stacks belong to different state directories",
                ));
            }
            let key = s.handle().key().map_err(|e| e.during("watch", s.name()))?;
            if keys.contains(&key) {
                return Err(Error::invalid(
                    "watch",
                    s.name(),
                    "the same stack is given twice",
                ));
            }
            keys.push(key);
        }
        let feed_opts = crate::backend::FeedOpts {
            rcvbuf: opts.rcvbuf,
        };
        let sys = host.backend();
        let stacks_watch = if opts.stacks {
            let feed = sys.stacks_feed()?;
            let names = sys.list_stacks()?.into_iter().map(|i| i.name).collect();
            Some(StacksWatch {
                feed,
                names,
                listed: Instant::now(),
            })
        } else {
            None
        };
        let mut watched = Vec::with_capacity(stacks.len());
        for (s, key) in stacks.iter().zip(keys) {
            let feed = sys
                .subscribe(s.handle(), &feed_opts)
                .map_err(|e| e.in_stack(s.name()))?;
            watched.push(Watched {
                stack: (*s).clone(),
                key,
                name: Arc::from(s.name()),
                feed,
                view: View::default(),
                ids: HashMap::new(),
            });
        }
        let mut w = Watcher {
            host,
            watched,
            stacks: stacks_watch,
            queue: VecDeque::new(),
            joined: None,
            resyncs: 0,
            dests: HashMap::new(),
        };
        for i in 0..w.watched.len() {
            w.watched[i].view = w.relist(i)?;
        }
        Ok(w)
    }

    /// The watched stacks.
    pub fn stacks(&self) -> impl Iterator<Item = &Stack> {
        self.watched.iter().map(|w| &w.stack)
    }

    /// The interfaces of watched stack `stack` (by name) as of the last delivered event, in
    /// index order: right after [`Watcher::new`], the kernel's state.
    pub fn interfaces(&self, stack: &str) -> Vec<&Interface> {
        self.watched
            .iter()
            .filter(|w| &*w.name == stack)
            .flat_map(|w| w.view.links.values())
            .collect()
    }

    /// The addresses of watched stack `stack`, as (interface index, address).
    pub fn addresses(&self, stack: &str) -> Vec<(u32, IfAddr)> {
        self.watched
            .iter()
            .filter(|w| &*w.name == stack)
            .flat_map(|w| w.view.addrs.iter().copied())
            .collect()
    }

    /// How many times a stack was listed again after an overflow.
    pub fn resyncs(&self) -> u64 {
        self.resyncs
    }

    /// The next event, waiting up to `timeout` (`None`: for ever). `Ok(None)` when the time
    /// passed without one.
    pub fn next(&mut self, timeout: Option<Duration>) -> Result<Option<Event>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(e) = self.queue.pop_front() {
                return Ok(Some(e));
            }
            self.pump()?;
            if !self.queue.is_empty() {
                continue;
            }
            let mut wait = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if wait == Some(Duration::ZERO) {
                return Ok(None);
            }
            if matches!(&self.stacks, Some(s) if s.feed.is_none()) {
                wait = Some(wait.map_or(STACKS_POLL, |w| w.min(STACKS_POLL)));
            }
            self.wait(wait)?;
        }
    }

    /// The next event if one is ready, without blocking.
    pub fn try_next(&mut self) -> Result<Option<Event>> {
        self.next(Some(Duration::ZERO))
    }

    /// The events that come within `timeout` of each other, as an iterator that ends when
    /// `timeout` passes without one (or at the first error, which it yields).
    pub fn events(&mut self, timeout: Duration) -> impl Iterator<Item = Result<Event>> + '_ {
        let mut failed = false;
        std::iter::from_fn(move || {
            if failed {
                return None;
            }
            match self.next(Some(timeout)) {
                Ok(e) => e.map(Ok),
                Err(e) => {
                    failed = true;
                    Some(Err(e))
                }
            }
        })
    }

    /// One descriptor that polls readable when the kernel queued something for this watcher,
    /// for an event loop; then call [`Watcher::try_next`] until it answers `None`. (Named
    /// stacks on an OS without a signal for them are only noticed by [`Watcher::next`]'s
    /// timer.)
    pub fn fd(&mut self) -> Result<BorrowedFd<'_>> {
        if self.joined.is_none() {
            let fds = self.fds();
            let joined = self.host.backend().join_fds(&fds)?;
            self.joined = Some(joined);
        }
        Ok(self.joined.as_ref().expect("set above").as_fd())
    }

    fn fds(&self) -> Vec<BorrowedFd<'_>> {
        let mut fds: Vec<BorrowedFd<'_>> = self.watched.iter().map(|w| w.feed.fd()).collect();
        if let Some(f) = self.stacks.as_ref().and_then(|s| s.feed.as_ref()) {
            fds.push(f.fd());
        }
        fds
    }

    /// Waits until a feed is readable or `wait` passes.
    fn wait(&self, wait: Option<Duration>) -> Result<()> {
        self.wait_on(self.fds(), wait)
    }

    /// Waits until one of `fds` is readable or `wait` passes.
    fn wait_on(&self, fds: Vec<BorrowedFd<'_>>, wait: Option<Duration>) -> Result<()> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let mut pfds: Vec<PollFd<'_>> = fds
            .iter()
            .map(|fd| PollFd::new(*fd, PollFlags::POLLIN))
            .collect();
        let timeout = match wait {
            None => PollTimeout::NONE,
            // Rounded up, so a wait never spins at 0 ms before its deadline.
            Some(w) => PollTimeout::try_from(w.as_millis().max(1).min(i32::MAX as u128) as u64)
                .unwrap_or(PollTimeout::MAX),
        };
        match poll(&mut pfds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(()),
            Err(e) => Err(Error::from_errno(
                e as i32,
                crate::Context::new("watch", "poll"),
            )),
        }
    }

    /// Lists watched stack `i` the gapless way: what the feed queued before is dropped (the
    /// listing covers it), then the listing, then what was queued during it, applied silently.
    fn relist(&mut self, i: usize) -> Result<View> {
        let sys = self.host.backend();
        let w = &mut self.watched[i];
        let h = w.stack.handle();
        let ctx = |e: Error| e.during("watch", &w.name);
        'again: for _ in 0..RELIST_TRIES {
            let mut raws = Vec::new();
            let mut reads = 0;
            while w.feed.read(&mut raws, BATCH)? && reads < 64 {
                raws.clear();
                reads += 1;
            }
            raws.clear();
            let links = sys.list(h).map_err(ctx)?;
            let addrs = sys.all_addresses(h).map_err(ctx)?;
            let mut view = View::of(links, addrs);
            let mut sink = Vec::new();
            loop {
                raws.clear();
                if !w.feed.read(&mut raws, BATCH)? {
                    break;
                }
                for r in resolve(sys, h, std::mem::take(&mut raws))? {
                    match r {
                        Raw::Lost => continue 'again,
                        Raw::Link(l) => view.put(l, &mut sink),
                        Raw::Gone { index, .. } => {
                            view.remove(index);
                        }
                        Raw::Addr { index, addr, added } => {
                            view.addr(&w.name, index, addr, added);
                        }
                        _ => {}
                    }
                }
                sink.clear();
            }
            return Ok(view);
        }
        Err(Error::Busy(Box::new(
            crate::Context::new("watch", w.name.to_string())
                .stack(w.name.to_string())
                .detail("the stack changes faster than it can be listed: every listing overflowed"),
        )))
    }

    /// Lists stack `i` again after an overflow and queues the difference as one Resync.
    fn resync(&mut self, i: usize) -> Result<()> {
        let new = self.relist(i)?;
        let w = &mut self.watched[i];
        let diff = w.view.diff(&new, &w.name);
        w.view = new;
        self.resyncs += 1;
        self.queue.push_back(Event::Resync {
            stack: w.name.clone(),
            diff,
        });
        Ok(())
    }

    /// Where a stack id seen in stack `i` leads: a watched stack, another stack ifclone can
    /// name, or nowhere known.
    fn target(&mut self, i: usize, id: Option<i32>) -> Result<Destination> {
        let Some(id) = id else {
            return Ok(Destination {
                stack: None,
                index: None,
            });
        };
        if let Some(d) = self.dests.get(&(i, id)) {
            return Ok(d.clone());
        }
        let d = self.lookup(i, id)?;
        self.dests.insert((i, id), d.clone());
        Ok(d)
    }

    /// [`Watcher::target`] without the batch's memo.
    fn lookup(&mut self, i: usize, id: i32) -> Result<Destination> {
        if let Some(&j) = self.watched[i].ids.get(&id) {
            return Ok(Destination {
                stack: Some(self.watched[j].name.clone()),
                index: None,
            });
        }
        let sys = self.host.backend();
        let Some(h) = sys.link_stack(self.watched[i].stack.handle(), id)? else {
            return Ok(Destination {
                stack: None,
                index: None,
            });
        };
        let key = h.key()?;
        match self.watched.iter().position(|w| w.key == key) {
            Some(j) => {
                self.watched[i].ids.insert(id, j);
                Ok(Destination {
                    stack: Some(self.watched[j].name.clone()),
                    index: None,
                })
            }
            None => Ok(Destination {
                stack: Some(Arc::from(h.name())),
                index: None,
            }),
        }
    }

    /// Reads one batch from every feed and turns it into queued events.
    fn pump(&mut self) -> Result<()> {
        self.pump_stacks()?;
        self.dests.clear();
        let n = self.watched.len();
        let mut batch: Vec<Vec<Raw>> = (0..n).map(|_| Vec::new()).collect();
        // Read until one round over all feeds reads nothing: a notification another stack
        // got for the same kernel operation (a move) is queued before the one already read.
        let mut total = 0;
        loop {
            let mut any = false;
            for (i, w) in self.watched.iter_mut().enumerate() {
                if total >= BATCH {
                    break;
                }
                let before = batch[i].len();
                any |= w.feed.read(&mut batch[i], BATCH - total)?;
                total += batch[i].len() - before;
            }
            if !any || total >= BATCH {
                break;
            }
        }
        if total == 0 {
            return Ok(());
        }
        // FreeBSD's notifications say only which interface; read them now.
        let sys = self.host.backend();
        for (i, raws) in batch.iter_mut().enumerate() {
            *raws = resolve(sys, self.watched[i].stack.handle(), std::mem::take(raws))?;
        }
        self.await_arrivals(&mut batch)?;
        for (i, raws) in batch.iter_mut().enumerate() {
            if raws.contains(&Raw::Lost) {
                raws.clear();
                self.resync(i)?;
            }
        }
        let pairs = self.pair(&batch)?;
        let mut consumed: BTreeSet<(usize, usize)> = pairs.values().map(|p| p.link).collect();
        let mut events = Vec::new();
        for (i, raws) in batch.iter().enumerate() {
            for (k, r) in raws.iter().enumerate() {
                match r {
                    Raw::Link(l) if consumed.contains(&(i, k)) => {
                        // Part of a rename or move, reported at its departure.
                        self.watched[i].view.put(l.clone(), &mut Vec::new());
                    }
                    Raw::Link(l) => self.watched[i].view.put(l.clone(), &mut events),
                    Raw::Gone { index, moved, .. } => {
                        let Some(old) = self.watched[i].view.remove(*index) else {
                            continue; // already gone (or never seen): nothing to report
                        };
                        match pairs.get(&(i, k)) {
                            Some(p) => {
                                let (j, kk) = p.link;
                                let Raw::Link(new) = &batch[j][kk] else {
                                    continue;
                                };
                                consumed.insert((j, kk));
                                if j == i {
                                    // FreeBSD's rename: departure + arrival, same index.
                                    self.watched[i].view.links.insert(old.index, old);
                                    self.watched[i].view.put(new.clone(), &mut events);
                                } else {
                                    let (from, to) = (&self.watched[i].name, &self.watched[j].name);
                                    events.push(Event::Moved {
                                        from: End {
                                            stack: from.clone(),
                                            index: old.index,
                                            name: old.name,
                                        },
                                        to: End {
                                            stack: to.clone(),
                                            index: new.index,
                                            name: new.name,
                                        },
                                        iface: new.clone(),
                                    });
                                    self.watched[j].view.put(new.clone(), &mut Vec::new());
                                }
                            }
                            None => {
                                let moved_to = match moved {
                                    Some(MovedTo { stack_id, index }) => {
                                        let mut d = self.target(i, *stack_id)?;
                                        d.index = *index;
                                        Some(d)
                                    }
                                    None => None,
                                };
                                events.push(Event::Departed {
                                    iface: old,
                                    moved_to,
                                });
                            }
                        }
                    }
                    Raw::Addr { index, addr, added } => {
                        let w = &mut self.watched[i];
                        events.extend(w.view.addr(&w.name, *index, *addr, *added));
                    }
                    _ => {}
                }
            }
        }
        self.queue.extend(events);
        Ok(())
    }

    /// A move's arrival is announced after its departure — on Linux only once the device is
    /// re-registered in the target, which takes milliseconds — so for each departure into a
    /// watched stack whose arrival is not in the batch yet, waits for it a bounded time
    /// ([`MOVE_WAIT`]; where the kernel does not mark moves, [`PAIR_WAIT`]).
    fn await_arrivals(&mut self, batch: &mut [Vec<Raw>]) -> Result<()> {
        let n = batch.len();
        if n < 2 {
            return Ok(());
        }
        // (target stack or None for "any other", wanted index, departure's name, how long)
        let mut wants: Vec<Want> = Vec::new();
        for (i, raws) in batch.iter().enumerate() {
            for r in raws {
                let Raw::Gone { index, name, moved } = r else {
                    continue;
                };
                if !self.watched[i].view.links.contains_key(index) {
                    continue;
                }
                match moved {
                    Some(to) => {
                        let dest = self.target(i, to.stack_id)?;
                        let j = self
                            .watched
                            .iter()
                            .position(|w| Some(&w.name) == dest.stack.as_ref());
                        if let Some(j) = j.filter(|&j| j != i) {
                            wants.push((Some(j), to.index, None, MOVE_WAIT));
                        }
                    }
                    None if !self.watched[i].feed.moves_announced() => {
                        wants.push((None, None, *name, PAIR_WAIT));
                    }
                    None => {}
                }
            }
        }
        for (target, index, name, wait) in wants {
            let found = |batch: &[Vec<Raw>]| {
                batch.iter().enumerate().any(|(j, raws)| {
                    target.is_none_or(|t| t == j)
                        && raws.iter().any(|r| match r {
                            Raw::Link(l) => {
                                index.is_none_or(|x| x == l.index)
                                    && name.is_none_or(|nm| nm == l.name)
                            }
                            _ => false,
                        })
                })
            };
            let deadline = Instant::now() + wait;
            while !found(batch) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                let fds = match target {
                    Some(t) => vec![self.watched[t].feed.fd()],
                    None => self.fds(),
                };
                self.wait_on(fds, Some(left))?;
                let sys = self.host.backend();
                for (j, w) in self.watched.iter_mut().enumerate() {
                    if target.is_some_and(|t| t != j) {
                        continue;
                    }
                    let mut more = Vec::new();
                    w.feed.read(&mut more, BATCH)?;
                    batch[j].extend(resolve(sys, w.stack.handle(), more)?);
                }
            }
        }
        Ok(())
    }

    /// Finds, for each departure in the batch, the arrival that is the same device: in the
    /// same stack (a FreeBSD rename) or in another watched stack (a move).
    fn pair(&mut self, batch: &[Vec<Raw>]) -> Result<HashMap<(usize, usize), Pair>> {
        let mut pairs = HashMap::new();
        let mut taken: BTreeSet<(usize, usize)> = BTreeSet::new();
        for (i, raws) in batch.iter().enumerate() {
            for (k, r) in raws.iter().enumerate() {
                let Raw::Gone { index, moved, .. } = r else {
                    continue;
                };
                let Some(old) = self.watched[i].view.links.get(index).cloned() else {
                    continue;
                };
                let arrival = |j: usize, from: usize, ok: &dyn Fn(&Interface) -> bool| {
                    batch[j]
                        .iter()
                        .enumerate()
                        .skip(from)
                        .find_map(|(kk, r)| match r {
                            Raw::Link(l) if !taken.contains(&(j, kk)) && ok(l) => Some((j, kk)),
                            _ => None,
                        })
                };
                let found = match moved {
                    // A rename the kernel reported as a departure and an arrival.
                    None => arrival(i, k + 1, &|l| l.index == *index && same_device(&old, l))
                        .or_else(|| {
                            (0..batch.len()).filter(|&j| j != i).find_map(|j| {
                                let view = &self.watched[j].view;
                                arrival(j, 0, &|l| {
                                    l.name == old.name
                                        && same_device(&old, l)
                                        && !view.links.contains_key(&l.index)
                                })
                            })
                        }),
                    Some(to) => {
                        let dest = self.target(i, to.stack_id)?;
                        match self
                            .watched
                            .iter()
                            .position(|w| Some(&w.name) == dest.stack.as_ref())
                        {
                            Some(j) if j != i => arrival(j, 0, &|l| {
                                to.index.is_none_or(|x| x == l.index)
                                    && l.kind.kind() == old.kind.kind()
                            }),
                            _ => None,
                        }
                    }
                };
                if let Some(link) = found {
                    taken.insert(link);
                    pairs.insert((i, k), Pair { link });
                }
            }
        }
        Ok(pairs)
    }

    /// Lists the named stacks again when their feed (or timer) says so.
    fn pump_stacks(&mut self) -> Result<()> {
        let Some(sw) = self.stacks.as_mut() else {
            return Ok(());
        };
        let due = match sw.feed.as_mut() {
            Some(f) => {
                let mut sink = Vec::new();
                let mut any = false;
                while f.read(&mut sink, 64)? {
                    any = true;
                    sink.clear();
                }
                any
            }
            None => sw.listed.elapsed() >= STACKS_POLL,
        };
        if !due {
            return Ok(());
        }
        let names: BTreeSet<String> = self
            .host
            .backend()
            .list_stacks()?
            .into_iter()
            .map(|i| i.name)
            .collect();
        for gone in sw.names.difference(&names) {
            self.queue
                .push_back(Event::StackRemoved { name: gone.clone() });
        }
        for new in names.difference(&sw.names) {
            self.queue
                .push_back(Event::StackCreated { name: new.clone() });
        }
        sw.names = names;
        sw.listed = Instant::now();
        Ok(())
    }
}

/// An arrival a departure waits for: in this watched stack (`None`: any other), with this index
/// and this name (when known), for at most this long.
type Want = (
    Option<usize>,
    Option<u32>,
    Option<crate::model::IfName>,
    Duration,
);

/// A departure's arrival: (stack position, position in the batch).
struct Pair {
    link: (usize, usize),
}

/// The notifications of one stack with those that only name an interface (FreeBSD's) read:
/// each becomes its state, or nothing when it is gone already (its departure follows). An
/// interface named several times is read once; several are read with one listing.
fn resolve(sys: &crate::System, h: &crate::SysStack, raws: Vec<Raw>) -> Result<Vec<Raw>> {
    let mut touched: Vec<u32> = raws
        .iter()
        .filter_map(|r| match r {
            Raw::Touched { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    if touched.is_empty() {
        return Ok(raws);
    }
    touched.sort_unstable();
    touched.dedup();
    let err = |e: Error| e.during("watch", h.name());
    let now: HashMap<u32, Interface> = match touched[..] {
        [one] => match sys.get(h, IfSel::Index(one)) {
            Ok(i) => HashMap::from([(one, i)]),
            Err(e) if e.is_not_found() => HashMap::new(),
            Err(e) => return Err(err(e)),
        },
        _ => sys
            .list(h)
            .map_err(err)?
            .into_iter()
            .map(|i| (i.index, i))
            .collect(),
    };
    Ok(raws
        .into_iter()
        .filter_map(|r| match r {
            Raw::Touched { index, .. } => now.get(&index).cloned().map(Raw::Link),
            r => Some(r),
        })
        .collect())
}
