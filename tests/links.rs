//! Naming the stack a peer or parent lives in: `Stack::link_stack` and `Stack::link_name` on
//! the real kernel, through the public API. Only test stacks are used. Run as root.

mod common;

use common::*;
use ifclone::{CreateRequest, IfName, Interface, KindSpec, LinkStack, MacvlanMode, Stack};

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

/// `link_stack` and `link_name` of `i`'s peer/parent, listed in `from`, must be `want` and
/// `want_name`.
#[track_caller]
fn assert_resolves(from: &Stack, i: &Interface, want: &Stack, want_name: &str) {
    let l = i.link().unwrap_or_else(|| panic!("{} has no link", i.name));
    assert!(matches!(l.stack, LinkStack::Other { .. }), "{l:?}");
    let s = from
        .link_stack(l)
        .expect("link_stack")
        .unwrap_or_else(|| panic!("{}'s link {l:?} not resolved from {}", i.name, from.name()));
    assert_eq!(s.name(), want.name(), "stack of {}'s link", i.name);
    let (s2, name) = from
        .link_name(l)
        .expect("link_name")
        .unwrap_or_else(|| panic!("{}'s link {l:?} not named from {}", i.name, from.name()));
    assert_eq!(s2.name(), want.name());
    assert_eq!(name, want_name, "name of {}'s link", i.name);
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "FreeBSD reports no jid for the stack of an epair's peer"
)]
fn epair_peer_stack_both_ways() {
    let a = StackGuard::new("links-a");
    let b = StackGuard::new("links-b");
    let made = a
        .create_epair_across(Some("lka"), b.stack())
        .expect("epair across");
    let peer = made.peer.expect("peer");
    assert_eq!(peer.name, "lkb");

    let here = a.interface("lka").expect("get lka");
    assert_resolves(a.stack(), &here, b.stack(), "lkb");
    let there = b.interface("lkb").expect("get lkb");
    assert_resolves(b.stack(), &there, a.stack(), "lka");

    // The listing carries the same links.
    let listed = a.interfaces().expect("list a");
    let here2 = listed.iter().find(|i| i.name == "lka").expect("lka listed");
    assert_resolves(a.stack(), here2, b.stack(), "lkb");

    // A same-stack link resolves to the listing stack itself.
    let local = a
        .create_interface(&CreateRequest::new(KindSpec::Epair { peer_name: None }).named(n("lkl")))
        .expect("local epair");
    let l = *local.iface.link().expect("local link");
    let s = a.link_stack(&l).expect("link_stack").expect("same stack");
    assert_eq!(s.name(), a.name());
    let (_, pn) = a.link_name(&l).expect("link_name").expect("named");
    assert_eq!(pn, "lklb");

    // An id that refers to no stack, and an unknown id.
    let none = ifclone::LinkRef {
        index: Some(1),
        name: None,
        stack: LinkStack::Other { id: None },
    };
    assert!(a.link_stack(&none).expect("unknown id").is_none());
    assert!(a.link_name(&none).expect("unknown id").is_none());
    let bogus = ifclone::LinkRef {
        stack: LinkStack::Other { id: Some(1 << 30) },
        ..none
    };
    assert!(a.link_stack(&bogus).expect("bogus id").is_none());
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "a Linux kind: FreeBSD has no macvlan support in ifclone"
)]
fn macvlan_parent_in_other_stack() {
    let a = StackGuard::new("links-mva");
    let b = StackGuard::new("links-mvb");
    a.create_interface(&CreateRequest::new(KindSpec::Epair { peer_name: None }).named(n("lkup")))
        .expect("parent epair in a");
    let req = CreateRequest::new(KindSpec::Macvlan {
        parent: n("lkup"),
        mode: MacvlanMode::Bridge,
    })
    .named(n("lkmv"));
    a.create_placed(&req, Some(b.stack()), None)
        .expect("macvlan placed into b");
    let mv = b.interface("lkmv").expect("get lkmv in b");
    assert_resolves(b.stack(), &mv, a.stack(), "lkup");
}
