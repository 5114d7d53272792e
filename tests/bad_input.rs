//! Bad input, class by class: each gives a typed error whose message names the operation and
//! the stack, AND leaves the system unchanged — the host's and the test stack's interfaces (as
//! `ip -d -j link` shows them) and the list of stacks are the same before and after.
//!
//! The tests of this file take one lock, so the before/after pictures of one test are not
//! disturbed by the others. Run as root.

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use common::*;
use ifclone::{
    Change, CreateRequest, IfName, KindSpec, Mac, MacvlanMode, Stack, StackSel, VlanProto,
};

static LOCK: Mutex<()> = Mutex::new(());

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

const BAD_NAMES: [&str; 5] = ["", "a234567890123456", "a/b", "a b", "a\tb"];

struct Picture {
    host: BTreeMap<String, serde_json::Value>,
    stack: BTreeMap<String, serde_json::Value>,
    stacks: Vec<String>,
}

fn picture(g: &StackGuard) -> Picture {
    let mut stacks = os_stacks();
    stacks.sort();
    Picture {
        host: snapshot("host"),
        stack: snapshot(g.name()),
        stacks,
    }
}

/// Runs `body` in a fresh stack that holds the epair `pa`/`pb`, and checks that nothing changed
/// in the host, in the stack, or in the list of stacks. `ours` are names the body tried to use.
fn unchanged(tag: &str, ours: &[&str], body: impl FnOnce(&StackGuard)) {
    let _l = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let g = StackGuard::new(tag);
    g.create_interface(
        &CreateRequest::new(KindSpec::Epair {
            peer_name: Some(n("pb")),
        })
        .named(n("pa")),
    )
    .expect("create pa/pb");
    let before = picture(&g);
    body(&g);
    let after = picture(&g);
    assert_same_links(g.name(), &before.stack, &after.stack, true, ours, tag);
    assert_same_links("host", &before.host, &after.host, false, ours, tag);
    let mine = format!("{STACK_PREFIX}{}-", std::process::id());
    let filt = |v: &[String]| -> Vec<String> {
        v.iter().filter(|s| s.starts_with(&mine)).cloned().collect()
    };
    assert_eq!(
        filt(&before.stacks),
        filt(&after.stacks),
        "{tag}: the list of stacks changed"
    );
    if before.stacks != after.stacks {
        eprintln!("{tag}: note: stacks of others changed meanwhile (ignored)");
    }
}

// ---------------------------------------------------------------------------------------------
// Invalid names
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_names_everywhere() {
    unchanged("badnames", &[], |g| {
        let host = Stack::host().expect("host");
        for bad in BAD_NAMES {
            let e = expect_err(IfName::new(bad), "InvalidName", &format!("IfName {bad:?}"));
            drop(e);

            let e = expect_err(
                g.create_epair_across(Some(bad), &host),
                "InvalidName",
                &format!("create {bad:?}"),
            );
            assert_msg_has(&e, &["create", g.name()]);

            let e = expect_err(
                g.rename("pa", bad),
                "InvalidName",
                &format!("rename pa to {bad:?}"),
            );
            assert_msg_has(&e, &["rename", g.name()]);

            let e = expect_err(
                g.rename(bad, "ok0"),
                "InvalidName",
                &format!("rename {bad:?}"),
            );
            assert_msg_has(&e, &[g.name()]);

            let e = expect_err(g.destroy(bad), "InvalidName", &format!("destroy {bad:?}"));
            assert_msg_has(&e, &["destroy", g.name()]);

            let e = expect_err(
                g.destroy_many(&["pa", bad]),
                "InvalidName",
                &format!("destroy_many with {bad:?}"),
            );
            assert_msg_has(&e, &["destroy", g.name()]);

            let e = expect_err(g.interface(bad), "InvalidName", &format!("get {bad:?}"));
            assert_msg_has(&e, &["get", g.name()]);

            let e = expect_err(
                g.set_mtu(bad, 1400),
                "InvalidName",
                &format!("set on {bad:?}"),
            );
            assert_msg_has(&e, &[g.name()]);

            let e = expect_err(
                g.addresses(bad),
                "InvalidName",
                &format!("addresses of {bad:?}"),
            );
            assert_msg_has(&e, &[g.name()]);

            // The host: names are checked before anything reaches its kernel.
            let e = expect_err(host.destroy(bad), "InvalidName", "destroy on the host");
            assert_msg_has(&e, &["destroy", "host"]);
            let e = expect_err(host.interface(bad), "InvalidName", "get on the host");
            assert_msg_has(&e, &["get", "host"]);
        }
    });
}

#[test]
fn invalid_stack_names() {
    unchanged("badstacks", &[], |_g| {
        let long = "s".repeat(65);
        for bad in [
            "",
            "a/b",
            "a b",
            "a\tb",
            ".",
            "..",
            "host",
            "123",
            long.as_str(),
        ] {
            let e = expect_err(
                Stack::create(bad),
                "InvalidName",
                &format!("create stack {bad:?}"),
            );
            assert_msg_has(&e, &["create stack"]);
            if bad != "host" {
                expect_err(
                    Stack::open_name(bad),
                    "InvalidName",
                    &format!("open stack {bad:?}"),
                );
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Out-of-range arguments, caught before the kernel
// ---------------------------------------------------------------------------------------------

/// vlan ids are checked before the kernel, so this holds even where the kernel has no 8021q.
#[test]
fn vlan_id_out_of_range() {
    unchanged("vlanid", &["vl0"], |g| {
        for id in [0u16, 4095, 4096, u16::MAX] {
            for proto in [VlanProto::Dot1Q, VlanProto::Dot1Ad] {
                let req = CreateRequest::new(KindSpec::Vlan {
                    parent: n("pa"),
                    id,
                    proto,
                })
                .named(n("vl0"));
                let e = expect_err(
                    g.create_interface(&req),
                    "InvalidArgument",
                    &format!("vlan id {id}"),
                );
                assert_msg_has(&e, &["create", "vl0", g.name(), &id.to_string()]);
                assert_eq!(e.errno(), None, "vlan id {id} reached the kernel: {e}");
            }
        }
    });
}

#[test]
fn queue_count_and_vni_out_of_range() {
    unchanged("queues", &["tq0", "vx0"], |g| {
        for q in [0u16, 257] {
            let e = expect_err(
                g.create_interface(
                    &CreateRequest::new(KindSpec::Tap { queues: q }).named(n("tq0")),
                ),
                "InvalidArgument",
                &format!("tap with {q} queues"),
            );
            assert_msg_has(&e, &["create", g.name()]);
        }
        let p = ifclone::VxlanParams {
            vni: 1 << 24,
            ..Default::default()
        };
        let e = expect_err(
            g.create_interface(&CreateRequest::new(KindSpec::Vxlan(Box::new(p))).named(n("vx0"))),
            "InvalidArgument",
            "vni over 24 bits",
        );
        assert_msg_has(&e, &["create", g.name()]);
    });
}

#[test]
fn mtu_out_of_range() {
    unchanged("mtu", &["mt0"], |g| {
        for mtu in [10u32, 70000] {
            let e = expect_err(
                g.set_mtu("pa", mtu),
                "InvalidArgument",
                &format!("set mtu {mtu}"),
            );
            assert_msg_has(&e, &["mtu", "pa", g.name()]);
            assert_eq!(e.errno(), None, "mtu {mtu} reached the kernel: {e}");

            let mut req = CreateRequest::new(KindSpec::Bridge).named(n("mt0"));
            req.mtu = Some(mtu);
            let e = expect_err(
                g.create_interface(&req),
                "InvalidArgument",
                &format!("create with mtu {mtu}"),
            );
            assert_msg_has(&e, &["create", g.name()]);

            // Part of a larger change: nothing of it is applied.
            let e = expect_err(
                g.set(
                    "pa",
                    &Change {
                        description: Some("never".into()),
                        mtu: Some(mtu),
                        up: Some(true),
                        ..Change::default()
                    },
                ),
                "InvalidArgument",
                &format!("change with mtu {mtu}"),
            );
            assert_msg_has(&e, &[g.name()]);
        }
    });
}

#[test]
fn multicast_mac() {
    unchanged("mcmac", &["mc0"], |g| {
        let mc: Mac = "01:00:5e:00:00:01".parse().unwrap();
        let e = expect_err(
            g.set_mac("pa", mc),
            "InvalidArgument",
            "set a multicast mac",
        );
        assert_msg_has(&e, &["mac", "pa", g.name()]);
        let zero = Mac([0; 6]);
        expect_err(g.set_mac("pa", zero), "InvalidArgument", "set the zero mac");

        let mut req = CreateRequest::new(KindSpec::Bridge).named(n("mc0"));
        req.mac = Some(mc);
        let e = expect_err(
            g.create_interface(&req),
            "InvalidArgument",
            "create with a multicast mac",
        );
        assert_msg_has(&e, &["create", g.name()]);
    });
}

// ---------------------------------------------------------------------------------------------
// What only the kernel refuses: the error is typed and no half-made interface stays behind
// ---------------------------------------------------------------------------------------------

#[test]
fn kernel_refusals_leave_nothing_behind() {
    unchanged("kernelno", &["tn9", "tq9", "mv9"], |g| {
        // A tun is a layer-3 device: it has no MAC to set.
        let mut req = CreateRequest::new(KindSpec::Tun { queues: 1 }).named(n("tn9"));
        req.mac = Some("02:00:00:00:00:09".parse().unwrap());
        let e = g
            .create_interface(&req)
            .expect_err("a tun with a MAC must fail");
        assert_msg_has(&e, &[g.name()]);
        assert!(observe(g.name(), "tn9").is_none(), "tn9 left behind: {e}");

        // Linux's own limits and kinds.
        #[cfg(target_os = "linux")]
        {
            // A tap's largest MTU is below 65535; the MTU is applied after the device exists, so
            // the backend has to take the device back.
            let mut req = CreateRequest::new(KindSpec::Tap { queues: 1 }).named(n("tq9"));
            req.mtu = Some(65535);
            let e = expect_err(
                g.create_interface(&req),
                "InvalidArgument",
                "a tap with MTU 65535",
            );
            assert_msg_has(&e, &[g.name()]);
            assert!(observe(g.name(), "tq9").is_none(), "tq9 left behind");

            // A macvlan cannot have a larger MTU than its parent.
            let mut req = CreateRequest::new(KindSpec::Macvlan {
                parent: n("pa"),
                mode: MacvlanMode::Bridge,
            })
            .named(n("mv9"));
            req.mtu = Some(9000);
            let e = expect_err(
                g.create_interface(&req),
                "InvalidArgument",
                "a macvlan with an MTU above its parent's",
            );
            assert_msg_has(&e, &["create", "mv9", g.name()]);
            assert!(observe(g.name(), "mv9").is_none(), "mv9 left behind");

            // An MTU the veth driver refuses on an existing interface.
            let e = g.set_mtu("pa", 65535).err();
            if let Some(e) = e {
                assert_msg_has(&e, &["pa", g.name()]);
            } else {
                // Accepted by this kernel: put it back so the picture matches.
                g.set_mtu("pa", 1500).expect("restore the MTU");
            }
        }
    });
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "Linux's limit (IFALIASZ); FreeBSD descriptions may be longer"
)]
fn description_too_long() {
    unchanged("longdescr", &[], |g| {
        let text = "d".repeat(300);
        let e = expect_err(
            g.set_description("pa", &text),
            "InvalidArgument",
            "a 300-byte description",
        );
        assert_msg_has(&e, &["pa", g.name()]);
    });
}

#[test]
fn more_kernel_refusals() {
    unchanged("kernelno2", &["dup0", "mvlo", "vx1"], |g| {
        // Both ends of a pair with one name.
        let e = expect_err(
            g.create_interface(
                &CreateRequest::new(KindSpec::Epair {
                    peer_name: Some(n("dup0")),
                })
                .named(n("dup0")),
            ),
            "Exists",
            "an epair whose two ends share a name",
        );
        assert_msg_has(&e, &["create", g.name()]);

        // Linux kinds and Linux's loopback.
        #[cfg(target_os = "linux")]
        {
            // A macvlan needs an Ethernet parent; lo is not one.
            let e = expect_err(
                g.create_interface(
                    &CreateRequest::new(KindSpec::Macvlan {
                        parent: n("lo"),
                        mode: MacvlanMode::Bridge,
                    })
                    .named(n("mvlo")),
                ),
                "InvalidArgument",
                "a macvlan on lo",
            );
            assert_msg_has(&e, &["create", "mvlo", g.name()]);

            // A vxlan on an underlay that is not there.
            let p = ifclone::VxlanParams {
                vni: 5,
                dev: Some(n("nosuch0")),
                remote: Some("10.1.1.2".parse().unwrap()),
                port: Some(4789),
                ..Default::default()
            };
            let e = expect_err(
                g.create_interface(
                    &CreateRequest::new(KindSpec::Vxlan(Box::new(p))).named(n("vx1")),
                ),
                "NotFound",
                "a vxlan on a missing underlay",
            );
            assert_msg_has(&e, &["create", "nosuch0", g.name()]);

            // The loopback device cannot be destroyed.
            let e = g.destroy("lo").expect_err("destroying lo must fail");
            assert_msg_has(&e, &["destroy", "lo", g.name()]);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Missing things
// ---------------------------------------------------------------------------------------------

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "a Linux kind: FreeBSD has no macvlan, macvtap or vxlan(4) support in ifclone"
)]
fn unknown_parent_for_macvlan() {
    unchanged("noparent-mv", &["mv0", "mt0"], |g| {
        for mode in [MacvlanMode::Bridge, MacvlanMode::Private] {
            let e = expect_err(
                g.create_interface(
                    &CreateRequest::new(KindSpec::Macvlan {
                        parent: n("nosuch0"),
                        mode,
                    })
                    .named(n("mv0")),
                ),
                "NotFound",
                "macvlan on a missing parent",
            );
            assert_msg_has(&e, &["create", "nosuch0", g.name()]);
        }
        let e = expect_err(
            g.create_interface(
                &CreateRequest::new(KindSpec::Macvtap {
                    parent: n("nosuch0"),
                    mode: MacvlanMode::Bridge,
                })
                .named(n("mt0")),
            ),
            "NotFound",
            "macvtap on a missing parent",
        );
        assert_msg_has(&e, &["create", "nosuch0", g.name()]);
    });
}

/// The parent is resolved before the kernel sees the request, so this holds even where the
/// kernel has no 8021q.
#[test]
fn unknown_parent_for_vlan() {
    unchanged("noparent-vl", &["vl0"], |g| {
        let e = expect_err(
            g.create_interface(
                &CreateRequest::new(KindSpec::Vlan {
                    parent: n("nosuch0"),
                    id: 100,
                    proto: VlanProto::Dot1Q,
                })
                .named(n("vl0")),
            ),
            "NotFound",
            "vlan on a missing parent",
        );
        assert_msg_has(&e, &["create", "nosuch0", g.name()]);
    });
}

#[test]
fn missing_stack() {
    unchanged("nostack", &[], |_g| {
        let name = unique_stack_name("absent");
        let e = expect_err(Stack::open_name(&name), "NotFound", "open a missing stack");
        assert_msg_has(&e, &["open", &name]);
        #[cfg(target_os = "linux")]
        {
            let e = expect_err(
                Stack::open(StackSel::Path(format!("/run/netns/{name}").into())),
                "NotFound",
                "open a missing path",
            );
            assert_msg_has(&e, &[&name]);
        }
        // A pid that no process has (above the kernel's pid_max limit of 2^22).
        expect_err(
            Stack::open(StackSel::Pid(4_194_305 + 17)),
            "NotFound",
            "open a missing pid",
        );
        assert!(!os_stacks().contains(&name));
    });
}

#[test]
fn destroy_missing_interface() {
    unchanged("nodestroy", &["nosuch0"], |g| {
        let e = expect_err(
            g.destroy("nosuch0"),
            "NotFound",
            "destroy a missing interface",
        );
        assert_msg_has(&e, &["destroy", "nosuch0", g.name()]);
        let e = expect_err(
            g.interface("nosuch0"),
            "NotFound",
            "get a missing interface",
        );
        assert_msg_has(&e, &["get", "nosuch0", g.name()]);
        let e = expect_err(
            g.set_mtu("nosuch0", 1400),
            "NotFound",
            "set on a missing one",
        );
        assert_msg_has(&e, &["nosuch0", g.name()]);
        let e = expect_err(
            g.rename("nosuch0", "other0"),
            "NotFound",
            "rename a missing one",
        );
        assert_msg_has(&e, &["nosuch0", g.name()]);
        expect_err(
            g.addresses("nosuch0"),
            "NotFound",
            "addresses of a missing one",
        );
    });
}

/// `ip -d -j link`'s group of one interface (`default` for 0).
#[cfg(target_os = "linux")]
fn os_group(stack: &str, name: &str) -> String {
    let v = ip_link(stack, name).unwrap_or_else(|| panic!("{name} not in {stack}"));
    v["group"].as_str().unwrap_or("").to_string()
}

/// Bulk destroy checks every name before it changes anything: a missing name is `NotFound`
/// naming it, the loopback device is refused like `destroy lo`; nothing is destroyed and no
/// interface group changes.
#[test]
fn destroy_many_checks_every_name_first() {
    unchanged("bulkcheck", &["nosuch0", "nosuch1"], |g| {
        // A group of its own, so that a group change would show.
        #[cfg(target_os = "linux")]
        g.set(
            "pa",
            &Change {
                group: Some(7),
                ..Change::default()
            },
        )
        .expect("set group");

        let e = expect_err(
            g.destroy_many(&["pa", "nosuch0", "pb", "nosuch1"]),
            "NotFound",
            "destroy_many with missing names",
        );
        assert_msg_has(&e, &["destroy", "nosuch0", "nosuch1", g.name()]);
        assert!(!e.to_string().contains("pa,"), "{e}");
        assert_eq!(e.errno(), None, "the check reached the kernel: {e}");

        let lo = common::LOOPBACK;
        let single = g.destroy(lo).expect_err("destroy lo");
        let e = expect_err(
            g.destroy_many(&[lo, "pa"]),
            variant(&single),
            "destroy_many with the loopback device",
        );
        assert_msg_has(&e, &["destroy", lo, g.name()]);
        let e = expect_err(
            g.destroy_many(&["pa", lo, "nosuch0"]),
            "NotFound",
            "missing names are reported first",
        );
        assert_msg_has(&e, &["nosuch0", g.name()]);

        let host = Stack::host().expect("host");
        let e = expect_err(
            host.destroy_many(&["nosuch0", "nosuch1"]),
            "NotFound",
            "destroy_many of missing names on the host",
        );
        assert_msg_has(&e, &["destroy", "nosuch0", "host"]);

        #[cfg(target_os = "linux")]
        {
            assert_eq!(os_group(g.name(), "pa"), "7");
            assert_eq!(os_group(g.name(), "pb"), "default");
            assert_eq!(os_group(g.name(), lo), "default");
            g.set(
                "pa",
                &Change {
                    group: Some(0),
                    ..Change::default()
                },
            )
            .expect("group back to default");
        }
    });
}

/// Linux: the backend's bulk path itself (no neutral check in front): the group delete fails
/// because the loopback device is in the group (the kernel refuses the whole group, EOPNOTSUPP),
/// and every interface gets its old group back.
#[cfg(target_os = "linux")]
#[test]
fn backend_destroy_many_failure_restores_the_groups() {
    use ifclone::backend::prelude::*;
    use ifclone::IfSel;
    unchanged("bulkundo", &[], |g| {
        g.set(
            "pa",
            &Change {
                group: Some(9),
                ..Change::default()
            },
        )
        .expect("set group");
        let e = ifclone::system()
            .destroy_many(
                g.handle(),
                &[
                    IfSel::Name(n("lo")),
                    IfSel::Name(n("pa")),
                    IfSel::Name(n("pb")),
                ],
            )
            .expect_err("a group with lo in it cannot be deleted");
        assert_msg_has(&e, &["destroy", g.name(), "old group back"]);
        assert_eq!(os_group(g.name(), "pa"), "9");
        assert_eq!(os_group(g.name(), "pb"), "default");
        assert_eq!(os_group(g.name(), "lo"), "default");
        assert!(observe(g.name(), "pa").is_some() && observe(g.name(), "pb").is_some());
        g.set(
            "pa",
            &Change {
                group: Some(0),
                ..Change::default()
            },
        )
        .expect("group back to default");
    });
}

// ---------------------------------------------------------------------------------------------
// Names that exist
// ---------------------------------------------------------------------------------------------

/// A create over a name that exists is reported as the create it is: `Exists`, naming the
/// operation, the name and the stack, and never as the internal step that met the name (FreeBSD
/// makes `epairNa`/`epairNb` or `tapN` and then renames them: the error must not be that rename's,
/// and the kernel-named interface must not stay behind). `names`: what the message must name
/// besides "create" and the stack (the requested name and, for a taken peer name, that one too).
#[track_caller]
fn assert_create_exists(g: &StackGuard, req: &CreateRequest, names: &[&str], what: &str) {
    let e = expect_err(g.create_interface(req), "Exists", what);
    let mut parts = vec!["create", g.name()];
    parts.extend_from_slice(names);
    assert_msg_has(&e, &parts);
    assert!(
        !e.to_string().to_lowercase().contains("rename"),
        "{what}: the error is an internal rename's: {e}"
    );
    let mut names = os_names(g.name());
    names.sort();
    let mut want = vec![common::LOOPBACK.to_string(), "pa".into(), "pb".into()];
    want.sort();
    assert_eq!(names, want, "{what}: the stack's interfaces changed ({e})");
}

#[test]
fn create_existing_name() {
    unchanged("exists", &["pa", "pb", "new0", "new1"], |g| {
        // The same kind (with and without a peer name), another kind, and an epair whose peer
        // name is taken: the whole request is refused, so no half of it stays behind.
        let epair = |name: &str, peer: Option<&str>| {
            CreateRequest::new(KindSpec::Epair {
                peer_name: peer.map(n),
            })
            .named(n(name))
        };
        assert_create_exists(
            g,
            &epair("pa", Some("new1")),
            &["pa"],
            "epair named like an existing one",
        );
        assert_create_exists(
            g,
            &epair("pa", None),
            &["pa"],
            "epair named like an existing one, its peer unnamed",
        );
        assert_create_exists(
            g,
            &epair("pb", Some("new1")),
            &["pb"],
            "epair named like the b end of an existing one",
        );
        assert_create_exists(
            g,
            &CreateRequest::new(KindSpec::Bridge).named(n("pb")),
            &["pb"],
            "bridge named like an existing one",
        );
        assert_create_exists(
            g,
            &CreateRequest::new(KindSpec::Tap { queues: 1 }).named(n("pa")),
            &["pa"],
            "tap named like an existing one",
        );
        // A taken peer name: the message names it, not only the free name that was asked for.
        assert_create_exists(
            g,
            &epair("new0", Some("pb")),
            &["new0", "pb"],
            "epair whose peer name exists",
        );
        assert_create_exists(
            g,
            &epair("new0", Some("pa")),
            &["new0", "pa"],
            "epair whose peer name is another pair's a end",
        );
    });
}

#[test]
fn rename_onto_an_existing_name() {
    unchanged("rnexists", &["pa", "pb"], |g| {
        let e = expect_err(
            g.rename("pa", "pb"),
            "Exists",
            "rename onto an existing name",
        );
        assert_msg_has(&e, &["pa", g.name()]);
    });
}

#[test]
fn create_existing_stack() {
    unchanged("stexists", &[], |g| {
        let e = expect_err(
            Stack::create(g.name()),
            "Exists",
            "create an existing stack",
        );
        assert_msg_has(&e, &["create", g.name()]);
    });
}
