//! One stack's state as the watcher has delivered it: interfaces by index and their
//! addresses. Applying a full interface state or an address yields exactly the events that
//! make the difference, so a notification that repeats what is already known (an echo of the
//! listing, a carrier message that changes nothing ifclone models) yields none.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::event::{Event, Fields};
use crate::model::{IfAddr, Interface};

/// Interfaces by index, and addresses as (index, address) pairs.
#[derive(Clone, Debug, Default)]
pub struct View {
    pub links: BTreeMap<u32, Interface>,
    pub addrs: BTreeSet<(u32, IfAddr)>,
}

impl View {
    /// A view of a listing.
    pub fn of(links: Vec<Interface>, addrs: Vec<(u32, IfAddr)>) -> View {
        View {
            links: links.into_iter().map(|i| (i.index, i)).collect(),
            addrs: addrs.into_iter().collect(),
        }
    }

    /// Takes `new` as the interface's state; the events that make the difference.
    pub fn put(&mut self, new: Interface, out: &mut Vec<Event>) {
        match self.links.insert(new.index, new.clone()) {
            None => out.push(Event::Arrived(new)),
            Some(old) => changes(&old, new, out),
        }
    }

    /// Forgets the interface at `index` (and its addresses); its last state, if it was known.
    pub fn remove(&mut self, index: u32) -> Option<Interface> {
        let gone = self.links.remove(&index)?;
        self.addrs.retain(|(i, _)| *i != index);
        Some(gone)
    }

    /// Adds or removes an address; the event, when it changes something.
    pub fn addr(
        &mut self,
        stack: &Arc<str>,
        index: u32,
        addr: IfAddr,
        added: bool,
    ) -> Option<Event> {
        let name = self.links.get(&index).map(|i| i.name);
        let (stack, changed) = (
            stack.clone(),
            if added {
                self.addrs.insert((index, addr))
            } else {
                self.addrs.remove(&(index, addr))
            },
        );
        changed.then_some(if added {
            Event::AddressAdded {
                stack,
                index,
                name,
                addr,
            }
        } else {
            Event::AddressRemoved {
                stack,
                index,
                name,
                addr,
            }
        })
    }

    /// The events that turn `self` into `new`, in index order: departures, then arrivals and
    /// changes, then addresses.
    pub fn diff(&self, new: &View, stack: &Arc<str>) -> Vec<Event> {
        let mut out = Vec::new();
        for (i, old) in &self.links {
            if !new.links.contains_key(i) {
                out.push(Event::Departed {
                    iface: old.clone(),
                    moved_to: None,
                });
            }
        }
        for (i, n) in &new.links {
            match self.links.get(i) {
                None => out.push(Event::Arrived(n.clone())),
                Some(old) => changes(old, n.clone(), &mut out),
            }
        }
        let name = |v: &View, i: u32| v.links.get(&i).map(|l| l.name);
        for &(index, addr) in self.addrs.difference(&new.addrs) {
            // The addresses of a departed interface leave with it.
            if new.links.contains_key(&index) {
                out.push(Event::AddressRemoved {
                    stack: stack.clone(),
                    index,
                    name: name(self, index),
                    addr,
                });
            }
        }
        for &(index, addr) in new.addrs.difference(&self.addrs) {
            out.push(Event::AddressAdded {
                stack: stack.clone(),
                index,
                name: name(new, index),
                addr,
            });
        }
        out
    }
}

/// The events between two states of one interface: a rename, then the other changes.
fn changes(old: &Interface, new: Interface, out: &mut Vec<Event>) {
    let what = Fields::between(old, &new);
    if old.name != new.name {
        let iface = new.clone();
        out.push(Event::Renamed {
            old: old.name,
            iface,
        });
    }
    if !what.is_empty() {
        out.push(Event::Changed { what, iface: new });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IfName, KindInfo};

    fn iface(index: u32, name: &str, mtu: u32) -> Interface {
        let mut i = Interface::new(index, IfName::new(name).unwrap(), KindInfo::Bridge, "s");
        i.mtu = mtu;
        i
    }

    fn a(s: &str) -> IfAddr {
        let (ip, p) = s.split_once('/').unwrap();
        IfAddr {
            addr: ip.parse().unwrap(),
            prefix_len: p.parse().unwrap(),
        }
    }

    #[test]
    fn a_repeated_state_yields_nothing_and_a_rename_with_mtu_yields_both() {
        let mut v = View::default();
        let mut out = Vec::new();
        v.put(iface(3, "br0", 1500), &mut out);
        v.put(iface(3, "br0", 1500), &mut out);
        assert_eq!(out.len(), 1);
        assert!(matches!(out[0], Event::Arrived(_)));
        out.clear();
        v.put(iface(3, "uplink", 9000), &mut out);
        assert!(
            matches!(&out[0], Event::Renamed { old, iface } if old.as_str() == "br0" && iface.name.as_str() == "uplink")
        );
        assert!(matches!(&out[1], Event::Changed { what, .. } if *what == Fields::MTU));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn diff_is_exactly_the_difference() {
        let s: Arc<str> = Arc::from("s");
        let old = View::of(
            vec![
                iface(1, "a", 1500),
                iface(2, "b", 1500),
                iface(3, "c", 1500),
            ],
            vec![
                (1, a("10.0.0.1/24")),
                (2, a("10.0.0.2/24")),
                (3, a("10.0.0.3/24")),
            ],
        );
        let new = View::of(
            vec![
                iface(1, "a", 1500),
                iface(3, "c2", 1500),
                iface(4, "d", 1500),
            ],
            vec![
                (1, a("10.0.0.9/24")),
                (3, a("10.0.0.3/24")),
                (4, a("fd00::4/64")),
            ],
        );
        let d = old.diff(&new, &s);
        let kinds: Vec<&str> = d.iter().map(|e| e.kind()).collect();
        assert_eq!(
            kinds,
            [
                "departed",
                "renamed",
                "arrived",
                "address-removed",
                "address-added",
                "address-added"
            ]
        );
        // Applying the diff's meaning to `old` gives `new`; the diff of equal views is empty.
        assert!(new.diff(&new, &s).is_empty());
        let mut v = old.clone();
        v.remove(2);
        assert!(v.addr(&s, 1, a("10.0.0.1/24"), false).is_some());
        assert!(v.addr(&s, 1, a("10.0.0.1/24"), false).is_none());
    }
}
