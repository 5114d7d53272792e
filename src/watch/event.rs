//! What a [`Watcher`](super::Watcher) delivers: [`Event`]s, the [`Fields`] a change touched,
//! and the two ends of a move.

use std::fmt;
use std::sync::Arc;

use crate::model::{IfAddr, IfName, Interface, KindInfo};

/// Which properties of an interface a [`Event::Changed`] touched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fields(u16);

impl Fields {
    pub const MTU: Fields = Fields(1);
    /// Administratively up or down.
    pub const UP: Fields = Fields(1 << 1);
    /// Operational state (carrier).
    pub const OPER: Fields = Fields(1 << 2);
    pub const MAC: Fields = Fields(1 << 3);
    pub const DESCRIPTION: Fields = Fields(1 << 4);
    /// Became, or stopped being, a port of a bridge/lagg/bond (or changed master).
    pub const MASTER: Fields = Fields(1 << 5);
    /// Other interface flags (promiscuous, running, …).
    pub const FLAGS: Fields = Fields(1 << 6);
    pub const GROUP: Fields = Fields(1 << 7);
    /// The kind's parameters (a vlan's parent, a tap's queues, …).
    pub const KIND: Fields = Fields(1 << 8);
    /// ifclone's identity mark.
    pub const MARK: Fields = Fields(1 << 9);
    /// The MTU limits the kernel reports.
    pub const MTU_LIMITS: Fields = Fields(1 << 10);
    /// A failover group's active port (a failover; the master's kind says which port now).
    pub const ACTIVE: Fields = Fields(1 << 11);

    /// Every field with its name, in the order [`fmt::Display`] prints them.
    pub const NAMES: [(Fields, &'static str); 12] = [
        (Fields::MTU, "mtu"),
        (Fields::UP, "up"),
        (Fields::OPER, "oper"),
        (Fields::MAC, "mac"),
        (Fields::DESCRIPTION, "description"),
        (Fields::MASTER, "master"),
        (Fields::FLAGS, "flags"),
        (Fields::GROUP, "group"),
        (Fields::KIND, "kind"),
        (Fields::MARK, "mark"),
        (Fields::MTU_LIMITS, "mtu-limits"),
        (Fields::ACTIVE, "active-port"),
    ];

    pub const fn empty() -> Fields {
        Fields(0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn contains(self, f: Fields) -> bool {
        self.0 & f.0 == f.0
    }
    pub fn insert(&mut self, f: Fields) {
        self.0 |= f.0;
    }

    /// What differs between two states of one interface, leaving the name aside (a new name is
    /// an [`Event::Renamed`]) and the stack (a move is an event of its own).
    pub fn between(old: &Interface, new: &Interface) -> Fields {
        let mut f = Fields::empty();
        let mut mark = |differs: bool, x: Fields| {
            if differs {
                f.insert(x)
            }
        };
        mark(old.mtu != new.mtu, Fields::MTU);
        mark(old.up != new.up, Fields::UP);
        mark(old.oper != new.oper, Fields::OPER);
        mark(old.mac != new.mac, Fields::MAC);
        mark(old.description != new.description, Fields::DESCRIPTION);
        mark(old.master != new.master, Fields::MASTER);
        // UP has a field of its own.
        let other = |i: &Interface| i.flags.without(crate::model::IfFlags::UP);
        mark(other(old) != other(new), Fields::FLAGS);
        mark(old.group != new.group, Fields::GROUP);
        // A bond's active port is a field of its own; the rest of its kind is KIND.
        let (ok, nk) = (without_active(&old.kind), without_active(&new.kind));
        mark(ok != nk, Fields::KIND);
        mark(active(&old.kind) != active(&new.kind), Fields::ACTIVE);
        mark(old.mark != new.mark, Fields::MARK);
        mark(
            (old.min_mtu, old.max_mtu) != (new.min_mtu, new.max_mtu),
            Fields::MTU_LIMITS,
        );
        f
    }
}

/// A bond's active port.
fn active(k: &KindInfo) -> Option<u32> {
    match k {
        KindInfo::Bond { active, .. } => *active,
        _ => None,
    }
}

/// A kind without the bond's active port.
fn without_active(k: &KindInfo) -> std::borrow::Cow<'_, KindInfo> {
    match k {
        KindInfo::Bond {
            mode,
            miimon,
            primary,
            ..
        } => std::borrow::Cow::Owned(KindInfo::Bond {
            mode: *mode,
            miimon: *miimon,
            active: None,
            primary: *primary,
        }),
        k => std::borrow::Cow::Borrowed(k),
    }
}

impl std::ops::BitOr for Fields {
    type Output = Fields;
    fn bitor(self, o: Fields) -> Fields {
        Fields(self.0 | o.0)
    }
}

impl fmt::Display for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (x, name) in Fields::NAMES {
            if self.contains(x) {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// One end of a move: the stack, and the interface's index and name in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct End {
    pub stack: Arc<str>,
    pub index: u32,
    pub name: IfName,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} (index {})", self.stack, self.name, self.index)
    }
}

/// Where a departed interface went, as far as the kernel said (Linux) or the watcher could pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    /// The target stack's name, when ifclone could name it.
    pub stack: Option<Arc<str>>,
    /// Its index there, when the kernel said.
    pub index: Option<u32>,
}

/// One thing that happened in a watched stack. Every event that concerns an interface says the
/// stack (each [`Interface`] carries its stack's name).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An interface appeared: created, or moved in from a stack this watcher does not watch
    /// (the kernel does not say which; Linux's arrival carries no origin).
    Arrived(Interface),
    /// An interface left: destroyed, or moved out. `moved_to` is set when the kernel said it
    /// moved (Linux) and where; when both stacks are watched, a move is one [`Event::Moved`].
    Departed {
        /// Its last known state.
        iface: Interface,
        moved_to: Option<Destination>,
    },
    /// An interface moved between two watched stacks: one event, with both ends.
    Moved {
        from: End,
        to: End,
        /// Its state in the new stack.
        iface: Interface,
    },
    /// An interface got a new name (same index, same stack).
    Renamed { old: IfName, iface: Interface },
    /// Properties other than the name changed; `what` says which.
    Changed { what: Fields, iface: Interface },
    /// An address was added to an interface.
    AddressAdded {
        stack: Arc<str>,
        index: u32,
        name: Option<IfName>,
        addr: IfAddr,
    },
    /// An address was removed (not reported for the addresses of an interface that departs:
    /// they leave with it).
    AddressRemoved {
        stack: Arc<str>,
        index: u32,
        name: Option<IfName>,
        addr: IfAddr,
    },
    /// The kernel dropped notifications (its buffer overflowed) or the watcher could not keep
    /// up: the stack was listed again and `diff` holds exactly the difference between what the
    /// watcher had delivered and what the stack holds now, as ordinary events. The stream goes
    /// on; nothing is lost in between.
    Resync { stack: Arc<str>, diff: Vec<Event> },
    /// A named stack appeared (only with [`WatchOptions::stacks`](super::WatchOptions::stacks)).
    StackCreated { name: String },
    /// A named stack disappeared.
    StackRemoved { name: String },
}

impl Event {
    /// The stack the event happened in (a move's target stack).
    pub fn stack(&self) -> &str {
        match self {
            Event::Arrived(i)
            | Event::Departed { iface: i, .. }
            | Event::Moved { iface: i, .. }
            | Event::Renamed { iface: i, .. }
            | Event::Changed { iface: i, .. } => &i.stack,
            Event::AddressAdded { stack, .. }
            | Event::AddressRemoved { stack, .. }
            | Event::Resync { stack, .. } => stack,
            Event::StackCreated { name } | Event::StackRemoved { name } => name,
        }
    }

    /// A short name of the event's type, as `ifc monitor` prints it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Arrived(_) => "arrived",
            Event::Departed { .. } => "departed",
            Event::Moved { .. } => "moved",
            Event::Renamed { .. } => "renamed",
            Event::Changed { .. } => "changed",
            Event::AddressAdded { .. } => "address-added",
            Event::AddressRemoved { .. } => "address-removed",
            Event::Resync { .. } => "resync",
            Event::StackCreated { .. } => "stack-created",
            Event::StackRemoved { .. } => "stack-removed",
        }
    }
}
