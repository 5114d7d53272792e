//! # Failover groups
//!
//! A [`FailoverGroup`] is a bond (Linux) or lagg (FreeBSD) in failover mode: one port carries
//! the traffic, the others stand by, and the kernel switches to a standby when the active port
//! loses its link. ifclone makes one in one transaction ([`FailoverGroup::create`]: the master,
//! then its ports, the primary first), tells which port is active ([`FailoverGroup::active`])
//! and switches it ([`FailoverGroup::set_active`]). A [`Watcher`](crate::watch::Watcher) reports
//! each switch as [`Event::Changed`](crate::watch::Event::Changed) of the master with
//! [`Fields::ACTIVE`](crate::watch::Fields::ACTIVE); [`FailoverGroup::failover_in`] reads one.
//!
//! Members can be named after the group ([`Naming::AfterMaster`]: `bo0npri`, `bo0nsby`, …), at
//! creation and when a standby joins; an UP member is renamed natively where the kernel allows
//! it, else down–rename–up ([`Stack::rename_live`](crate::Stack::rename_live)).
//!
//! What each kernel needs is handled inside: a Linux port that is up is taken down before it
//! joins (the bonding driver refuses it) and the bond brings it up; a FreeBSD lagg's failover
//! port is the one that joined it empty, so making another active takes the others out and in
//! again (and gives the lagg its MAC back).
//!
//! A group moves as one: [`vmove`](crate::vmove::vmove) of its master takes the ports along
//! (`docs/vmove.md`, group moves). The kernel's own failover of a paravirtual NIC (Linux
//! net_failover) is recognised by [`kernel_failovers`], never changed.

use crate::error::{Context, Error, Result};
use crate::model::{CreateRequest, GroupMode, IfName, Interface, KindInfo, KindSpec};
use crate::stack::Stack;
use crate::watch::{Event, Fields};

/// How a group's members are named.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Naming {
    /// They keep their names.
    #[default]
    Keep,
    /// Names that show the relation (as Linux's net_failover gives `ens3nsby` for the standby of
    /// `ens3`): the primary `<master>npri`, the standbys `<master>nsby`, `<master>nsby1`, …
    /// Renaming an UP member is done natively where the kernel allows it, else down–rename–up.
    AfterMaster,
}

impl Naming {
    /// The name the `k`-th member (0: the primary) of `master` gets, if the policy renames.
    pub fn member(self, master: IfName, k: usize) -> Result<Option<IfName>> {
        match self {
            Naming::Keep => Ok(None),
            Naming::AfterMaster => {
                let n = match k {
                    0 => format!("{master}npri"),
                    1 => format!("{master}nsby"),
                    k => format!("{master}nsby{}", k - 1),
                };
                IfName::new(&n).map(Some).map_err(|e| {
                    e.with_detail(format_args!(
                        "the member name after {master} does not fit in 15 bytes"
                    ))
                })
            }
        }
    }
}

/// What to make: a failover master and its ports.
#[derive(Clone, Debug)]
pub struct GroupSpec {
    pub name: IfName,
    /// The preferred port: active first, and what the group returns to.
    pub primary: IfName,
    /// The standby ports, in order.
    pub standby: Vec<IfName>,
    /// Link monitoring interval in ms (Linux; FreeBSD's lagg follows the link state itself and
    /// refuses it).
    pub miimon: Option<u32>,
    /// Bring the master up.
    pub up: bool,
    /// How the members are named.
    pub naming: Naming,
}

impl GroupSpec {
    /// A group `name` over `primary` and `standby`, up, with the link monitoring the OS's
    /// failover master needs ([`Links::FAILOVER_MIIMON`](crate::backend::Links::FAILOVER_MIIMON):
    /// 100 ms for Linux bonding, none for FreeBSD's lagg).
    pub fn new(name: IfName, primary: IfName, standby: &[IfName]) -> GroupSpec {
        GroupSpec {
            name,
            primary,
            standby: standby.to_vec(),
            miimon: <crate::System as crate::backend::Links>::FAILOVER_MIIMON,
            up: true,
            naming: Naming::Keep,
        }
    }

    fn ports(&self) -> impl Iterator<Item = IfName> + '_ {
        std::iter::once(self.primary).chain(self.standby.iter().copied())
    }
}

/// A switch of the active port, as a watcher reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failover {
    /// The group's master.
    pub group: IfName,
    /// The index of the port carrying the traffic now (`None`: none can).
    pub active: Option<u32>,
}

/// A failover-mode bond/lagg of one stack; see the module documentation.
#[derive(Clone, Debug)]
pub struct FailoverGroup {
    stack: Stack,
    name: IfName,
}

impl FailoverGroup {
    /// Makes the group: the master, then the primary and the standby ports in order. Every port
    /// must exist in `stack` and be a port of nothing; that, and the names, are checked before
    /// anything changes. A failure on the way takes the ports out again and destroys the
    /// master.
    pub fn create(stack: &Stack, spec: &GroupSpec) -> Result<FailoverGroup> {
        let op = "create failover group";
        let bad = |d: String| {
            Error::InvalidArgument(Box::new(
                Context::new(op, spec.name.to_string())
                    .stack(stack.name())
                    .detail(d),
            ))
        };
        let ports: Vec<IfName> = spec.ports().collect();
        // Every check from one listing.
        let all = stack.interfaces()?;
        let find = |n: IfName| all.iter().find(|i| i.name == n);
        let mut renames: Vec<(IfName, IfName)> = Vec::new();
        for (k, p) in ports.iter().enumerate() {
            if *p == spec.name {
                return Err(bad(format!("{p} cannot be a port of itself")));
            }
            if ports[..k].contains(p) {
                return Err(bad(format!("{p} is given twice")));
            }
            let i = match find(*p) {
                Some(i) => i,
                // Not listed: the lookup gives the error a missing name gets everywhere.
                None => &stack.interface(p.as_str())?,
            };
            if i.master.is_some() {
                return Err(bad(format!("{p} is a port of another master already")));
            }
            if let Some(to) = spec.naming.member(spec.name, k)?.filter(|to| to != p) {
                if find(to).is_some() || ports.contains(&to) {
                    return Err(bad(format!("{p} is to be named {to}, which is taken")));
                }
                renames.push((*p, to));
            }
        }
        // The names first (a port may be up: rename_live), each undone if a later step fails.
        let undo_renames = |done: &[(IfName, IfName)]| {
            for (from, to) in done.iter().rev() {
                let _ = stack.rename_live(to.as_str(), from.as_str());
            }
        };
        for (k, (from, to)) in renames.iter().enumerate() {
            if let Err(e) = stack.rename_live(from.as_str(), to.as_str()) {
                undo_renames(&renames[..k]);
                return Err(e);
            }
        }
        let named = |p: IfName| renames.iter().find(|(f, _)| *f == p).map_or(p, |(_, t)| *t);
        let ports: Vec<IfName> = ports.into_iter().map(named).collect();
        let mut req = CreateRequest::new(KindSpec::Bond {
            mode: GroupMode::Failover,
            miimon: spec.miimon,
        })
        .named(spec.name);
        req.up = spec.up;
        if let Err(e) = stack.create_interface(&req) {
            undo_renames(&renames);
            return Err(e);
        }
        let g = FailoverGroup {
            stack: stack.clone(),
            name: spec.name,
        };
        let joined = (|| {
            for p in &ports {
                g.stack.add_port(spec.name.as_str(), p.as_str())?;
            }
            g.set_active(ports[0].as_str())
        })();
        if let Err(e) = joined {
            for p in &ports {
                let _ = g.stack.del_port(spec.name.as_str(), p.as_str());
            }
            let _ = g.stack.destroy(spec.name.as_str());
            undo_renames(&renames);
            return Err(e);
        }
        Ok(g)
    }

    /// An existing failover-mode bond/lagg of `stack`.
    pub fn open(stack: &Stack, name: &str) -> Result<FailoverGroup> {
        let i = stack.interface(name)?;
        match i.kind {
            KindInfo::Bond {
                mode: Some(GroupMode::Failover),
                ..
            } => Ok(FailoverGroup {
                stack: stack.clone(),
                name: i.name,
            }),
            _ => Err(Error::InvalidArgument(Box::new(
                Context::new("open failover group", name)
                    .stack(stack.name())
                    .detail(format!("{name} is not a bond/lagg in failover mode")),
            ))),
        }
    }

    pub fn name(&self) -> IfName {
        self.name
    }

    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The master as the kernel has it now.
    pub fn master(&self) -> Result<Interface> {
        self.stack.interface(self.name.as_str())
    }

    /// The ports, from one listing.
    pub fn ports(&self) -> Result<Vec<Interface>> {
        self.stack.ports(self.name.as_str())
    }

    /// The port carrying the traffic now, if any.
    pub fn active(&self) -> Result<Option<Interface>> {
        self.port_at(|k| match k {
            KindInfo::Bond { active, .. } => *active,
            _ => None,
        })
    }

    /// The preferred port, if one is set.
    pub fn primary(&self) -> Result<Option<Interface>> {
        self.port_at(|k| match k {
            KindInfo::Bond { primary, .. } => *primary,
            _ => None,
        })
    }

    fn port_at(&self, which: impl Fn(&KindInfo) -> Option<u32>) -> Result<Option<Interface>> {
        let all = self.stack.interfaces()?;
        let Some(m) = all.iter().find(|i| i.name == self.name) else {
            return Err(self.stack.interface(self.name.as_str()).unwrap_err());
        };
        Ok(which(&m.kind).and_then(|x| all.iter().find(|i| i.index == x).cloned()))
    }

    /// Makes `port` the active and preferred port. A name that is not a port of the group is
    /// refused before anything changes.
    pub fn set_active(&self, port: &str) -> Result<()> {
        let m = self.master()?;
        let p = self.stack.interface(port)?;
        if p.master != Some(m.index) {
            return Err(Error::InvalidArgument(Box::new(
                Context::new("set active port of", self.name.to_string())
                    .stack(self.stack.name())
                    .detail(format!("{port} is not a port of {}", self.name)),
            )));
        }
        self.stack.set_active_port(&m, &p)
    }

    /// Adds `port` as a standby, named by `naming` after the group (the next standby name
    /// free); a port of another master is refused before anything changes, and the rename is
    /// undone if the join fails.
    pub fn add_standby(&self, port: &str, naming: Naming) -> Result<IfName> {
        let p = self.stack.interface(port)?;
        if p.master.is_some() {
            return Err(Error::InvalidArgument(Box::new(
                Context::new("add standby to", self.name.to_string())
                    .stack(self.stack.name())
                    .detail(format!("{port} is a port of a master already")),
            )));
        }
        let mut to = None;
        for k in 1.. {
            match naming.member(self.name, k)? {
                None => break,
                Some(n) if self.stack.interface(n.as_str()).is_err() => {
                    to = Some(n);
                    break;
                }
                Some(_) => continue,
            }
        }
        let name = to.unwrap_or(p.name);
        if name != p.name {
            self.stack.rename_live(port, name.as_str())?;
        }
        if let Err(e) = self.stack.add_port(self.name.as_str(), name.as_str()) {
            if name != p.name {
                let _ = self.stack.rename_live(name.as_str(), port);
            }
            return Err(e);
        }
        Ok(name)
    }

    /// The switch an event of a watcher reports for this group, if it is one: a change of the
    /// master's active port.
    pub fn failover_in(&self, e: &Event) -> Option<Failover> {
        match e {
            Event::Changed { what, iface }
                if what.contains(Fields::ACTIVE)
                    && iface.name == self.name
                    && &*iface.stack == self.stack.name() =>
            {
                let KindInfo::Bond { active, .. } = iface.kind else {
                    return None;
                };
                Some(Failover {
                    group: self.name,
                    active,
                })
            }
            _ => None,
        }
    }
}

/// The kernel's own failover of a paravirtual NIC — Linux's net_failover, the "3-netdev model":
/// a virtio-net device offered with a standby feature becomes a master (which carries the
/// addresses) and its standby port, and a passthrough VF with the same MAC joins as the primary
/// when it appears. The kernel enslaves and opens the VF itself, so its members may be renamed
/// while UP ([`Stack::rename`] works natively there). ifclone recognises it and reports it; it
/// never creates, changes or moves one (the master cannot leave its netns).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelFailover {
    /// The master: the interface the system uses.
    pub master: Interface,
    /// The paravirtual port (same hardware device as the master), if registered.
    pub standby: Option<Interface>,
    /// The passthrough port (a VF), while one is there.
    pub primary: Option<Interface>,
}

/// The kernel failovers of `stack`, from one listing: a master ifclone does not model that
/// shares its hardware device ([`Interface::parent_dev`]) with one of its ports — that port is
/// the standby, another port the primary. None on FreeBSD, which has no such driver.
pub fn kernel_failovers(stack: &Stack) -> Result<Vec<KernelFailover>> {
    let all = stack.interfaces()?;
    Ok(kernel_failovers_in(&all))
}

fn kernel_failovers_in(all: &[Interface]) -> Vec<KernelFailover> {
    all.iter().filter_map(|m| kernel_failover(m, all)).collect()
}

/// `m` as a kernel failover master, with its ports among `all` (one listing of its stack).
pub fn kernel_failover(m: &Interface, all: &[Interface]) -> Option<KernelFailover> {
    let (KindInfo::Other(_), Some(dev)) = (&m.kind, &m.parent_dev) else {
        return None;
    };
    let ports: Vec<&Interface> = all.iter().filter(|p| p.master == Some(m.index)).collect();
    let standby = ports.iter().find(|p| p.parent_dev.as_ref() == Some(dev))?;
    let primary = ports.iter().find(|p| p.index != standby.index);
    Some(KernelFailover {
        master: m.clone(),
        standby: Some((*standby).clone()),
        primary: primary.map(|p| (*p).clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_after_the_master_fit_or_are_refused() {
        let m = IfName::new("bo0").unwrap();
        let names: Vec<String> = (0..4)
            .map(|k| {
                Naming::AfterMaster
                    .member(m, k)
                    .unwrap()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["bo0npri", "bo0nsby", "bo0nsby1", "bo0nsby2"]);
        assert_eq!(Naming::Keep.member(m, 0).unwrap(), None);
        let long = IfName::new("uplinkbond1").unwrap(); // 11 bytes + "npri"/"nsby" = 15: fits
        assert!(Naming::AfterMaster.member(long, 0).is_ok());
        assert!(Naming::AfterMaster.member(long, 1).is_ok());
        assert!(
            Naming::AfterMaster.member(long, 2).is_err(),
            "nsby1: 16 bytes"
        );
    }

    #[test]
    fn a_kernel_failover_is_a_master_sharing_its_device_with_a_port() {
        let nic = |i: u32, name: &str, dev: Option<&str>, master: Option<u32>| {
            let mut x = Interface::new(i, IfName::new(name).unwrap(), KindInfo::Other(None), "s");
            x.parent_dev = dev.map(Into::into);
            x.master = master;
            x
        };
        // As the VM suite's virtio-net with failover=on shows it, plus a VF.
        let all = [
            nic(2, "eth0", Some("virtio2"), None),
            nic(3, "eth0nsby", Some("virtio2"), Some(2)),
            nic(4, "eth0npri", Some("0000:00:05.0"), Some(2)),
            nic(5, "eth9", Some("virtio3"), None),
        ];
        let f = kernel_failovers_in(&all);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].master.name, "eth0");
        assert_eq!(f[0].standby.as_ref().unwrap().name, "eth0nsby");
        assert_eq!(f[0].primary.as_ref().unwrap().name, "eth0npri");
        // A bond is no kernel failover, even over two ports of one NIC.
        let mut bond = all.clone();
        bond[0].kind = KindInfo::Bond {
            mode: Some(GroupMode::Failover),
            miimon: None,
            active: None,
            primary: None,
        };
        assert!(kernel_failovers_in(&bond).is_empty());
    }
}
