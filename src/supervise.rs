//! # Supervising a dependent interface
//!
//! A macvtap, macvlan or vlan lives on a lower device; when the lower goes away the kernel
//! deletes it, and a lower that comes back is a new device (a new index) with no dependents.
//! A [`Supervisor`] keeps one dependent alive across that: it creates the dependent when the
//! lower exists (and waits when it does not — deferred start), re-creates it with the same
//! parameters (name, MAC, MTU) every time the lower returns, can be re-targeted to another
//! lower, and tells its consumer each step as a [`Supervised`] event with a generation number
//! and, for a macvtap, the new generation's descriptors.
//!
//! The lower is matched by identity — its name and/or its MAC ([`LowerMatch`]) — never by
//! index, which the kernel gives anew. Descriptors are opened through
//! [`Stack::open_fds`](crate::Stack::open_fds), which checks that each serves the new device
//! (its name and index now), so a consumer never gets a descriptor of a deleted device whose
//! index was reused.
//!
//! Everything is driven by a [`Watcher`](crate::watch::Watcher) on the lower's stack (and the
//! dependent's, when it is placed elsewhere): [`Supervisor::next`] waits for the next step,
//! [`Supervisor::fd`] polls readable when one may be ready.

use std::os::fd::BorrowedFd;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::model::{
    CreateRequest, IfName, Interface, KindName, KindSpec, Mac, MacvlanMode, Queues, VlanProto,
};
use crate::stack::Stack;
use crate::watch::{Event, Watcher};

/// Which device is the lower: every given part must match. At least one is required.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LowerMatch {
    /// The lower's name.
    pub name: Option<IfName>,
    /// The lower's MAC address (stable across re-creation for a physical NIC, and for any
    /// device created with a fixed address).
    pub mac: Option<Mac>,
}

impl LowerMatch {
    /// The device named `name`.
    pub fn name(name: IfName) -> LowerMatch {
        LowerMatch {
            name: Some(name),
            mac: None,
        }
    }
    /// The device with MAC `mac`, whatever its name.
    pub fn mac(mac: Mac) -> LowerMatch {
        LowerMatch {
            name: None,
            mac: Some(mac),
        }
    }
    /// Whether `i` is the lower.
    pub fn matches(&self, i: &Interface) -> bool {
        (self.name.is_some() || self.mac.is_some())
            && self.name.is_none_or(|n| n == i.name)
            && self.mac.is_none_or(|m| Some(m) == i.mac)
    }
}

impl std::fmt::Display for LowerMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.name, self.mac) {
            (Some(n), Some(m)) => write!(f, "{n} with MAC {m}"),
            (Some(n), None) => write!(f, "{n}"),
            (None, Some(m)) => write!(f, "the device with MAC {m}"),
            (None, None) => f.write_str("(nothing)"),
        }
    }
}

/// The kind of dependent and its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DependentKind {
    /// A macvtap with `queues` descriptors (≥ 1), handed to the consumer each generation.
    Macvtap {
        mode: MacvlanMode,
        queues: u16,
    },
    Macvlan {
        mode: MacvlanMode,
    },
    Vlan {
        id: u16,
        proto: VlanProto,
    },
}

/// What to keep alive.
#[derive(Clone, Debug)]
pub struct DependentSpec {
    /// The dependent's name (the same every generation).
    pub name: IfName,
    pub kind: DependentKind,
    pub lower: LowerMatch,
    /// Its MAC; `None` lets the kernel pick one for the first generation, which every later
    /// generation then keeps (a guest sees the same NIC).
    pub mac: Option<Mac>,
    pub mtu: Option<u32>,
    /// Bring it up after each creation (once its lower is up, when it is not yet).
    pub up: bool,
}

impl DependentSpec {
    /// A dependent of `kind` named `name` on the lower `lower`, up, with the kernel's MAC.
    pub fn new(name: IfName, kind: DependentKind, lower: LowerMatch) -> DependentSpec {
        DependentSpec {
            name,
            kind,
            lower,
            mac: None,
            mtu: None,
            up: true,
        }
    }

    fn request(&self, lower: IfName) -> CreateRequest {
        let kind = match self.kind {
            DependentKind::Macvtap { mode, .. } => KindSpec::Macvtap {
                parent: lower,
                mode,
            },
            DependentKind::Macvlan { mode } => KindSpec::Macvlan {
                parent: lower,
                mode,
            },
            DependentKind::Vlan { id, proto } => KindSpec::Vlan {
                parent: lower,
                id,
                proto,
            },
        };
        let mut req = CreateRequest::new(kind).named(self.name);
        req.mac = self.mac;
        req.mtu = self.mtu;
        req.up = self.up;
        req
    }

    /// Refuses a spec that could never be created, before anything happens.
    fn validate(&self, stack: &str) -> Result<()> {
        if self.lower.name.is_none() && self.lower.mac.is_none() {
            return Err(Error::invalid(
                "supervise",
                self.name.to_string(),
                "the lower must be matched by name, MAC or both",
            ));
        }
        if let DependentKind::Macvtap { queues, .. } = self.kind {
            if !(1..=256).contains(&queues) {
                return Err(Error::invalid(
                    "supervise",
                    self.name.to_string(),
                    format!("a macvtap takes 1 to 256 queues, not {queues}"),
                ));
            }
        }
        // The kind's own rules (vlan id, MTU, MAC) with a stand-in lower name.
        let stand_in = self.lower.name.unwrap_or(self.name);
        self.request(stand_in).validate(stack)
    }
}

/// Why a generation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LostReason {
    /// The lower device went away (the kernel deleted the dependent with it).
    LowerGone { lower: IfName },
    /// The dependent itself was deleted (or moved away) while its lower stayed.
    DependentGone,
    /// [`Supervisor::retarget`] moved it to another lower.
    Retargeted,
}

/// One step of a supervised dependent.
#[derive(Debug)]
#[non_exhaustive]
pub enum Supervised {
    /// No lower matches now; the dependent is created when one appears.
    Waiting { lower: LowerMatch },
    /// A new generation exists.
    Created(Box<Generation>),
    /// Generation `generation` is gone; its descriptors now serve nothing.
    Lost { generation: u64, reason: LostReason },
    /// Creating the next generation failed (the kernel's reason); it is tried again when the
    /// lower changes next.
    Failed { error: Error },
}

/// One generation of the dependent: the dependent and its lower as they are now, and (for a
/// macvtap) its descriptors, each checked to serve this very device.
#[derive(Debug)]
#[non_exhaustive]
pub struct Generation {
    /// 1 for the first, one more for each re-creation.
    pub generation: u64,
    pub iface: Interface,
    pub lower: Interface,
    pub fds: Queues,
}

/// The current generation.
struct Current {
    generation: u64,
    iface_index: u32,
    lower_index: u32,
    lower_name: IfName,
}

/// Keeps one dependent alive on its lower; see the module documentation.
pub struct Supervisor {
    lower_stack: Stack,
    into: Option<Stack>,
    spec: DependentSpec,
    watcher: Watcher,
    current: Option<Current>,
    generation: u64,
    /// The index of the lower whose loss ended the last generation: still listed until its
    /// own departure is read, never used again.
    lost_lower: Option<u32>,
    queue: std::collections::VecDeque<Supervised>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("dependent", &self.spec.name)
            .field("lower", &self.spec.lower)
            .field("generation", &self.generation)
            .finish()
    }
}

impl Supervisor {
    /// Supervises `spec` on a lower in `stack`, the dependent in the same stack.
    pub fn start(stack: &Stack, spec: DependentSpec) -> Result<Supervisor> {
        Supervisor::start_into(stack, spec, None)
    }

    /// Like [`Supervisor::start`], with the dependent placed in stack `into` (a macvtap or
    /// macvlan in a VM's or container's stack; the kernel creates it there directly).
    pub fn start_into(
        stack: &Stack,
        spec: DependentSpec,
        into: Option<&Stack>,
    ) -> Result<Supervisor> {
        spec.validate(stack.name())?;
        if into.is_some() && matches!(spec.kind, DependentKind::Vlan { .. }) {
            return Err(Error::invalid(
                "supervise",
                spec.name.to_string(),
                "a vlan lives in its parent's stack; move it after it is made instead",
            ));
        }
        let mut stacks = vec![stack];
        if let Some(t) = into {
            stacks.push(t);
        }
        let watcher = Watcher::new(&stacks)?;
        let mut s = Supervisor {
            lower_stack: stack.clone(),
            into: into.cloned(),
            spec,
            watcher,
            current: None,
            generation: 0,
            lost_lower: None,
            queue: Default::default(),
        };
        // A dependent left by an earlier run is taken over when it sits on the lower; anything
        // else with its name is refused, so nobody's interface is replaced.
        if let Some(old) = s.find_dependent() {
            let lower = s.find_lower();
            match lower {
                Some(l) if s.is_ours(&old, &l) => {
                    s.spec.mac = s.spec.mac.or(old.mac);
                    s.adopt(old, l);
                    return Ok(s);
                }
                _ => {
                    return Err(Error::Exists(Box::new(
                        crate::Context::new("supervise", s.spec.name.to_string())
                            .stack(s.home().name())
                            .detail(format!(
                                "an interface of that name exists and is not a {} on {}",
                                s.kind_name(),
                                s.spec.lower
                            )),
                    )))
                }
            }
        }
        s.try_create();
        Ok(s)
    }

    /// The generation alive now (0: none yet).
    pub fn generation(&self) -> u64 {
        self.current.as_ref().map_or(0, |c| c.generation)
    }

    /// The next step, waiting up to `timeout` (`None`: for ever); `Ok(None)` when the time
    /// passed without one.
    pub fn next(&mut self, timeout: Option<Duration>) -> Result<Option<Supervised>> {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        loop {
            if let Some(s) = self.queue.pop_front() {
                return Ok(Some(s));
            }
            let left = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
            match self.watcher.next(left)? {
                Some(e) => self.on(e),
                None => return Ok(None),
            }
        }
    }

    /// One descriptor that polls readable when a step may be ready; then call
    /// [`Supervisor::next`] with a zero timeout until it answers `None`.
    pub fn fd(&mut self) -> Result<BorrowedFd<'_>> {
        self.watcher.fd()
    }

    /// Moves the dependent to another lower: the current generation (if any) is destroyed and
    /// reported lost, and the next is created on `lower` as soon as it exists.
    pub fn retarget(&mut self, lower: LowerMatch) -> Result<()> {
        let mut spec = self.spec.clone();
        spec.lower = lower;
        spec.validate(self.lower_stack.name())?;
        if let Some(c) = self.current.take() {
            self.home().destroy(self.spec.name.as_str()).or_else(|e| {
                if e.is_not_found() {
                    Ok(())
                } else {
                    Err(e)
                }
            })?;
            self.queue.push_back(Supervised::Lost {
                generation: c.generation,
                reason: LostReason::Retargeted,
            });
        }
        self.spec.lower = spec.lower;
        self.try_create();
        Ok(())
    }

    /// Stops supervising and destroys the dependent. (Dropping the supervisor instead leaves
    /// the dependent as it is, for a consumer that still uses it.)
    pub fn stop(self) -> Result<()> {
        if self.current.is_some() {
            match self.home().destroy(self.spec.name.as_str()) {
                Err(e) if !e.is_not_found() => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    fn home(&self) -> &Stack {
        self.into.as_ref().unwrap_or(&self.lower_stack)
    }

    fn kind_name(&self) -> KindName {
        match self.spec.kind {
            DependentKind::Macvtap { .. } => KindName::Macvtap,
            DependentKind::Macvlan { .. } => KindName::Macvlan,
            DependentKind::Vlan { .. } => KindName::Vlan,
        }
    }

    fn find_lower(&self) -> Option<Interface> {
        self.watcher
            .interfaces(self.lower_stack.name())
            .into_iter()
            .find(|i| {
                i.name != self.spec.name
                    && Some(i.index) != self.lost_lower
                    && self.spec.lower.matches(i)
            })
            .cloned()
    }

    fn find_dependent(&self) -> Option<Interface> {
        self.watcher
            .interfaces(self.home().name())
            .into_iter()
            .find(|i| i.name == self.spec.name)
            .cloned()
    }

    fn is_ours(&self, dep: &Interface, lower: &Interface) -> bool {
        dep.kind.kind() == Some(self.kind_name())
            && dep.kind.link().and_then(|l| l.index) == Some(lower.index)
    }

    /// Creates the next generation if a lower matches; queues what happened.
    fn try_create(&mut self) {
        let Some(lower) = self.find_lower() else {
            self.queue.push_back(Supervised::Waiting {
                lower: self.spec.lower.clone(),
            });
            return;
        };
        let mut req = self.spec.request(lower.name);
        // A vlan cannot be up on a lower that is down (ENETDOWN): it is made down then, and
        // brought up when the lower is (see `arrived`).
        req.up &= lower.up;
        let made = self
            .lower_stack
            .create_placed(&req, self.into.as_ref(), None);
        match made {
            Ok(made) => {
                // The first generation's MAC is every later one's.
                self.spec.mac = self.spec.mac.or(made.iface.mac);
                self.adopt_created(made.iface, lower, made.fds);
            }
            // The lower left while we made it: its departure is next in the stream.
            Err(e) if e.is_not_found() => {}
            Err(error) => self.queue.push_back(Supervised::Failed { error }),
        }
    }

    fn adopt(&mut self, iface: Interface, lower: Interface) {
        self.adopt_created(iface, lower, Queues::default());
    }

    /// Makes `iface` the next generation and opens its descriptors.
    fn adopt_created(&mut self, iface: Interface, lower: Interface, fds: Queues) {
        let fds = match self.spec.kind {
            DependentKind::Macvtap { queues, .. } => {
                // Create opened (and checked) one queue already; the rest are opened the same
                // way. A taken-over dependent comes with none.
                let mut all: Vec<std::os::fd::OwnedFd> = fds.into_iter().map(|q| q.fd).collect();
                let more = usize::from(queues).saturating_sub(all.len()) as u16;
                if more > 0 {
                    match self.home().open_fds(iface.name.as_str(), more) {
                        Ok(q) => all.extend(q.into_iter().map(|q| q.fd)),
                        Err(e) if e.is_not_found() => return, // gone again: its departure follows
                        Err(error) => {
                            self.queue.push_back(Supervised::Failed { error });
                            return;
                        }
                    }
                }
                Queues::of(iface.name, iface.index, crate::model::FdKind::Macvtap, all)
            }
            _ => fds,
        };
        self.generation += 1;
        self.current = Some(Current {
            generation: self.generation,
            iface_index: iface.index,
            lower_index: lower.index,
            lower_name: lower.name,
        });
        self.queue
            .push_back(Supervised::Created(Box::new(Generation {
                generation: self.generation,
                iface,
                lower,
                fds,
            })));
    }

    /// Reacts to one event of the watched stacks.
    fn on(&mut self, e: Event) {
        let lower_stack = self.lower_stack.name().to_string();
        let home = self.home().name().to_string();
        match e {
            Event::Resync { diff, .. } => diff.into_iter().for_each(|d| self.on(d)),
            Event::Departed { iface, .. } => self.departed(&iface, &lower_stack, &home),
            Event::Moved { from, iface, .. } => {
                // Leaving a stack is a departure from it; arriving is an arrival.
                let mut old = iface.clone();
                old.index = from.index;
                old.name = from.name;
                old.stack = from.stack;
                self.departed(&old, &lower_stack, &home);
                self.arrived(&iface, &lower_stack);
            }
            Event::Arrived(i)
            | Event::Renamed { iface: i, .. }
            | Event::Changed { iface: i, .. } => self.arrived(&i, &lower_stack),
            _ => {}
        }
    }

    fn departed(&mut self, iface: &Interface, lower_stack: &str, home: &str) {
        let Some(c) = &self.current else {
            return;
        };
        let (lower_index, generation) = (c.lower_index, c.generation);
        let lower_gone = |s: &Self| {
            // The kernel deletes the dependents first, then announces the lower, which is
            // already unlisted: ask the kernel rather than wait for that announcement.
            matches!(s.lower_stack.interface_by_index(lower_index), Err(e) if e.is_not_found())
        };
        let reason = if &*iface.stack == lower_stack && iface.index == lower_index {
            LostReason::LowerGone { lower: iface.name }
        } else if &*iface.stack == home && iface.index == c.iface_index {
            if lower_gone(self) {
                LostReason::LowerGone {
                    lower: c.lower_name,
                }
            } else {
                LostReason::DependentGone
            }
        } else {
            return;
        };
        self.current = None;
        self.lost_lower = matches!(reason, LostReason::LowerGone { .. }).then_some(lower_index);
        self.queue
            .push_back(Supervised::Lost { generation, reason });
        // Another matching lower, or the same one when only the dependent went: the next
        // generation now.
        self.try_create();
    }

    fn arrived(&mut self, iface: &Interface, lower_stack: &str) {
        if let Some(c) = &self.current {
            if self.spec.up
                && iface.up
                && &*iface.stack == lower_stack
                && iface.index == c.lower_index
            {
                let home = self.home();
                // The watcher's view is current up to this event: no request needed.
                let down = self
                    .watcher
                    .interfaces(home.name())
                    .into_iter()
                    .any(|d| d.index == c.iface_index && !d.up && d.name == self.spec.name);
                if down {
                    if let Err(error) = home.set_up(self.spec.name.as_str(), true) {
                        self.queue.push_back(Supervised::Failed { error });
                    }
                }
            }
            return;
        }
        if &*iface.stack == lower_stack
            && iface.name != self.spec.name
            && self.spec.lower.matches(iface)
        {
            // Drop the Waiting that try_create would repeat.
            self.try_create();
            if let Some(Supervised::Waiting { .. }) = self.queue.back() {
                self.queue.pop_back();
            }
        }
    }
}
