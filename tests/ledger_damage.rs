//! The ledger of loans on the real kernel (as root): a damaged ledger file stops every operation
//! that needs it with `Error::Corrupt` naming the file, and changes nothing; a loan is known by
//! its identity, never by an index alone; a loan goes home by its home's kernel identity, even
//! when the recorded selector now leads elsewhere; what stands on a loan is destroyed first; a
//! loan whose home is gone is kept (or, forced, reported lost), never dropped silently.
//!
//! Every scenario: A is the home, B (or S) the borrower, both fresh test stacks; an epair is
//! made in A and one end moved into B. What the library did is checked with the OS's own tools
//! (`ip`; FreeBSD: `ifconfig`, `jail`). Scenarios that need what only Linux has (identity marks,
//! a chosen index, macvlan, a process inside one stack opening another) are visibly ignored on
//! FreeBSD.

mod common;

use std::path::{Path, PathBuf};

use common::child::{self, Ended};
use common::*;
use ifclone::ledger::Ledger;
use ifclone::vmove::{self, MoveOptions, RemoveOptions};
use ifclone::{CreateRequest, Error, IfName, KindSpec, MacvlanMode, Stack, StackHandle, StackSel};
use serde_json::Value;

fn n(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

/// The ledger file of a stack.
fn ledger_file(s: &Stack) -> PathBuf {
    Ledger::system().file_of(&s.handle().key().unwrap())
}

/// The stacks (of `stacks`, and the host) where the OS's tool shows `name`.
fn where_is(stacks: &[&str], name: &str) -> Vec<String> {
    std::iter::once(&"host")
        .chain(stacks)
        .filter(|st| observe(st, name).is_some())
        .map(|st| st.to_string())
        .collect()
}

#[test]
fn child() {
    child::child_entry(|scenario, args| match scenario {
        // `lend_from_host NAME S`: moves NAME from this process's own stack (`Stack::host()`)
        // into S. The parent runs it inside X (`ip netns exec X`), so "host" is X here.
        "lend_from_host" => {
            let [name, s] = args else {
                return Err(format!("bad arguments {args:?}"));
            };
            let host = Stack::host().map_err(|e| e.to_string())?;
            let s = Stack::open_name(s).map_err(|e| e.to_string())?;
            vmove::vmove(&host, name, &s, &MoveOptions::default())
                .map(|_| ())
                .map_err(|e| format!("move {name} from host into {}: {e}", s.name()))
        }
        // `remove S`: removes S, as a process started after an upgrade would (fresh state).
        "remove" => {
            let [s] = args else {
                return Err(format!("bad arguments {args:?}"));
            };
            Stack::open_name(s)
                .and_then(Stack::remove)
                .map(|_| ())
                .map_err(|e| format!("remove {s}: {e}"))
        }
        _ => Err(format!("unknown scenario {scenario}")),
    });
}

// ---------------------------------------------------------------------------------------------
// A damaged ledger file
// ---------------------------------------------------------------------------------------------

/// A: home, with the epair ld0a/ld0b; ld0a lent to B (moved in).
struct Lent {
    a: StackGuard,
    b: StackGuard,
    path: PathBuf,
    good: Vec<u8>,
    index: u32,
}

const LENT: &str = "ld0a";
const PEER: &str = "ld0b";
const OTHER: &str = "ld1a";

fn lent(tag: &str) -> Lent {
    let a = StackGuard::new(&format!("{tag}-a"));
    let b = StackGuard::new(&format!("{tag}-b"));
    epair(&a, LENT, PEER);
    epair(&a, OTHER, "ld1b");
    a.set_up(LENT, true).unwrap();
    vmove::vmove(&a, LENT, &b, &MoveOptions::default()).unwrap();
    let path = ledger_file(&b);
    let good =
        std::fs::read(&path).unwrap_or_else(|e| panic!("the ledger file {}: {e}", path.display()));
    let index = observe(b.name(), LENT).expect("moved into B").index;
    assert_eq!(
        b.loans().unwrap(),
        vec![(n(LENT), index, a.name().to_string())]
    );
    Lent {
        a,
        b,
        path,
        good,
        index,
    }
}

/// How the file is damaged.
enum Damage {
    Bytes(Vec<u8>),
    Directory,
}

fn json(good: &[u8]) -> Value {
    serde_json::from_slice(good).expect("the good ledger is JSON")
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap()
}

impl Lent {
    fn damage(&self, d: &Damage) {
        match d {
            Damage::Bytes(b) => std::fs::write(&self.path, b).unwrap(),
            Damage::Directory => {
                std::fs::remove_file(&self.path).unwrap();
                std::fs::create_dir(&self.path).unwrap();
            }
        }
    }

    fn restore(&self) {
        if self.path.is_dir() {
            std::fs::remove_dir(&self.path).unwrap();
        }
        std::fs::write(&self.path, &self.good).unwrap();
    }

    /// Nothing was moved, destroyed or rewritten: the loan in B, its peer and the other epair
    /// in A, B listed, the damaged file as it was.
    #[track_caller]
    fn assert_untouched(&self, d: &Damage, what: &str) {
        let st = [self.a.name(), self.b.name()];
        assert_eq!(
            where_is(&st, LENT),
            vec![self.b.name()],
            "{what}: the loan moved"
        );
        for x in [PEER, OTHER] {
            assert_eq!(where_is(&st, x), vec![self.a.name()], "{what}: {x}");
        }
        assert!(
            os_stacks().iter().any(|s| s == self.b.name()),
            "{what}: B was removed"
        );
        match d {
            Damage::Bytes(b) => assert_eq!(
                &std::fs::read(&self.path).unwrap(),
                b,
                "{what}: the damaged file was rewritten"
            ),
            Damage::Directory => assert!(self.path.is_dir(), "{what}: the directory was replaced"),
        }
    }
}

#[track_caller]
fn assert_corrupt<T: std::fmt::Debug>(r: ifclone::Result<T>, path: &Path, what: &str) {
    let e = expect_err(r, "Corrupt", what);
    assert_msg_has(&e, &[&path.display().to_string()]);
}

/// Damages B's ledger, then: `B.loans()`, `reclaim`, `B.remove()` (through a fresh handle, as
/// another process would), a move into B, a move out of B and a pair created across into B
/// must each fail with Corrupt naming the file, and change nothing. With the good file back, `B.remove()` returns the loan home.
fn damaged(tag: &str, make: impl FnOnce(&[u8]) -> Damage) {
    let mut l = lent(tag);
    let d = make(&l.good);
    l.damage(&d);
    let p = l.path.clone();
    assert_corrupt(l.b.loans(), &p, &format!("{tag}: loans"));
    l.assert_untouched(&d, &format!("{tag}: loans"));
    assert_corrupt(
        vmove::reclaim(&l.b, LENT, &MoveOptions::default()),
        &p,
        &format!("{tag}: reclaim"),
    );
    l.assert_untouched(&d, &format!("{tag}: reclaim"));
    assert_corrupt(
        Stack::open_name(l.b.name()).unwrap().remove(),
        &p,
        &format!("{tag}: remove"),
    );
    l.assert_untouched(&d, &format!("{tag}: remove"));
    // A move into B would have to record a loan in the damaged file: refused, and undone.
    assert_corrupt(
        vmove::vmove(&l.a, OTHER, &l.b, &MoveOptions::default()),
        &p,
        &format!("{tag}: move into B"),
    );
    l.assert_untouched(&d, &format!("{tag}: move into B"));
    // Nor can the loan be taken out by an explicit move, nor a pair be created across into B.
    assert_corrupt(
        vmove::vmove(&l.b, LENT, &l.a, &MoveOptions::default()),
        &p,
        &format!("{tag}: move out of B"),
    );
    l.assert_untouched(&d, &format!("{tag}: move out of B"));
    assert_corrupt(
        l.a.create_epair_across(Some("ld2a"), &l.b),
        &p,
        &format!("{tag}: create across into B"),
    );
    l.assert_untouched(&d, &format!("{tag}: create across into B"));
    let st = [l.a.name(), l.b.name()];
    for x in ["ld2a", "ld2b"] {
        assert!(
            where_is(&st, x).is_empty(),
            "{tag}: the refused creation left {x} in {:?}",
            where_is(&st, x)
        );
    }

    l.restore();
    let a_name = l.a.name().to_string();
    let r =
        l.b.remove()
            .unwrap_or_else(|e| panic!("{tag}: remove after repair: {e}"));
    assert_eq!(r.returned, vec![(n(LENT), a_name.clone())], "{tag}: {r:?}");
    assert!(r.lost.is_empty() && r.gone.is_empty(), "{tag}: {r:?}");
    assert_eq!(where_is(&[&a_name], LENT), vec![a_name.clone()]);
    assert!(
        !l.path.exists(),
        "{tag}: the removed stack's ledger file stays"
    );
}

#[test]
fn truncated_ledger_is_corrupt() {
    damaged("trunc", |g| Damage::Bytes(g[..g.len() / 2].to_vec()));
}

#[test]
fn garbage_ledger_is_corrupt() {
    damaged("garbage", |_| {
        Damage::Bytes(b"\x00\xff\xfe\x7fgarbage\x80{\"loans\":".to_vec())
    });
}

#[test]
fn empty_ledger_is_corrupt() {
    damaged("empty", |_| Damage::Bytes(Vec::new()));
}

#[test]
fn directory_in_place_of_the_ledger_is_corrupt() {
    damaged("dir", |_| Damage::Directory);
}

#[test]
fn ledger_of_another_stack_is_corrupt() {
    damaged("key", |g| {
        let mut v = json(g);
        // Another stack's key: its home's (a key that really exists).
        let home = v["loans"][0]["home"]["key"].clone();
        v["stack"] = home;
        Damage::Bytes(bytes(&v))
    });
}

#[test]
fn ledger_of_an_unknown_version_is_corrupt() {
    damaged("version", |g| {
        let mut v = json(g);
        v["version"] = Value::from(99);
        Damage::Bytes(bytes(&v))
    });
}

#[test]
fn ledger_with_a_duplicate_entry_is_corrupt() {
    damaged("dup", |g| {
        let mut v = json(g);
        let loan = v["loans"][0].clone();
        v["loans"].as_array_mut().unwrap().push(loan);
        Damage::Bytes(bytes(&v))
    });
}

/// A wrong index is not damage: the loan is found by its mark, and goes home.
#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "needs an identity mark: FreeBSD has none, so a loan is known by index, kind, MAC \
              and name together, and a forged index hides it"
)]
fn ledger_with_a_wrong_index_still_finds_the_loan_by_its_mark() {
    let mut l = lent("index");
    let forge = |l: &Lent| {
        let mut v = json(&std::fs::read(&l.path).unwrap());
        v["loans"][0]["index"] = Value::from(l.index + 4242);
        std::fs::write(&l.path, bytes(&v)).unwrap();
    };
    forge(&l);
    let (a, st) = (l.a.name().to_string(), [l.a.name(), l.b.name()]);
    assert_eq!(
        l.b.loans().unwrap(),
        vec![(n(LENT), l.index + 4242, a.clone())],
        "loans read the record as it is"
    );
    let r = vmove::reclaim(&l.b, LENT, &MoveOptions::default())
        .unwrap_or_else(|e| panic!("reclaim with a wrong index: {e}"));
    assert_eq!(r.to, a, "reclaim went to {}, not home", r.to);
    assert_eq!(where_is(&st, LENT), vec![a.clone()]);
    assert!(l.b.loans().unwrap().is_empty(), "the record stays");
    // Lent again, the index forged again: the removal returns it.
    vmove::vmove(&l.a, LENT, &l.b, &MoveOptions::default()).unwrap();
    forge(&l);
    let r =
        l.b.remove()
            .unwrap_or_else(|e| panic!("remove with a wrong index: {e}"));
    assert_eq!(r.returned, vec![(n(LENT), a.clone())], "{r:?}");
    assert!(
        r.gone.is_empty() && r.lost.is_empty() && r.destroyed.is_empty(),
        "{r:?}"
    );
    assert_eq!(where_is(&[&a], LENT), vec![a.clone()]);
}

/// A wrong index that happens to be another loan's: the two loans still carry different marks,
/// so they are two devices. Lending the second must keep the first loan's record, and B.remove()
/// must return both (the first by its mark), destroying neither.
#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "needs an identity mark: FreeBSD has none, so a loan is known by index, kind, MAC \
              and name together, and a forged index hides it"
)]
fn a_wrong_index_equal_to_another_loans_keeps_both_loans() {
    let mut l = lent("index2");
    let (a, b) = (l.a.name().to_string(), l.b.name().to_string());
    let other_index = observe(&a, OTHER).unwrap().index;
    let mut v = json(&l.good);
    v["loans"][0]["index"] = Value::from(other_index);
    std::fs::write(&l.path, bytes(&v)).unwrap();
    vmove::vmove(&l.a, OTHER, &l.b, &MoveOptions::default()).unwrap();
    assert_eq!(
        observe(&b, OTHER).unwrap().index,
        other_index,
        "the kernel kept the index"
    );
    let mut names: Vec<String> =
        l.b.loans()
            .unwrap()
            .into_iter()
            .map(|(x, _, _)| x.to_string())
            .collect();
    names.sort();
    assert_eq!(
        names,
        vec![LENT.to_string(), OTHER.to_string()],
        "lending {OTHER} dropped the record of {LENT}, another device (another mark) that \
         only shares a recorded index with it"
    );
    let r = l.b.remove().unwrap_or_else(|e| panic!("remove: {e}"));
    let st = [a.as_str()];
    assert_eq!(
        where_is(&st, LENT),
        vec![a.clone()],
        "{LENT} did not come home: {r:?}"
    );
    assert_eq!(where_is(&st, OTHER), vec![a.clone()], "{r:?}");
}

// ---------------------------------------------------------------------------------------------
// A stale index, reused
// ---------------------------------------------------------------------------------------------

/// The loan's device is destroyed inside B (by the OS's tool), then a device made inside B takes its
/// index (`make` returns its name). B.remove() must not move that device to A: it dies with B,
/// and the stale loan is reported `gone`.
fn stale_index(tag: &str, make: impl FnOnce(&Lent) -> String) {
    let mut l = lent(tag);
    let (a, b) = (l.a.name().to_string(), l.b.name().to_string());
    assert!(os_destroy_in(&b, LENT), "destroy {LENT} inside {b}");
    assert!(where_is(&[&a, &b], LENT).is_empty());
    let impostor = make(&l);
    let o = observe(&b, &impostor).expect("the new device is in B");
    if o.index != l.index {
        // The kernel did not give it the old index: the record is made to point at it.
        let mut v = json(&std::fs::read(&l.path).unwrap());
        v["loans"][0]["index"] = Value::from(o.index);
        std::fs::write(&l.path, bytes(&v)).unwrap();
    }
    assert_eq!(
        l.b.loans().unwrap(),
        vec![(n(LENT), o.index, a.clone())],
        "{tag}: the stale record"
    );
    let a_before = os_names(&a);
    let r =
        l.b.remove()
            .unwrap_or_else(|e| panic!("{tag}: remove: {e}"));
    assert!(
        r.returned.is_empty(),
        "{tag}: {impostor} (index {}) was taken for the loan: {r:?}",
        o.index
    );
    assert_eq!(r.gone, vec![(n(LENT), a.clone())], "{tag}: {r:?}");
    assert!(r.lost.is_empty() && r.destroyed.is_empty(), "{tag}: {r:?}");
    assert!(
        observe(&a, &impostor).is_none(),
        "{tag}: {impostor} was moved to A"
    );
    let mut now = os_names(&a);
    let mut was = a_before;
    now.sort();
    was.sort();
    assert_eq!(now, was, "{tag}: A changed");
    assert!(!os_stacks().contains(&b));
}

/// A tap made inside B (`ip tuntap`; FreeBSD: `ifconfig tap create`) on the freed index:
/// another kind, no mark.
#[test]
fn stale_index_reused_by_a_tap_is_not_the_loan() {
    stale_index("stale-tap", |l| {
        assert!(
            os_add_tap_in(l.b.name(), "t0"),
            "create tap t0 in {}",
            l.b.name()
        );
        "t0".to_string()
    });
}

/// Harder: an epair made inside B with the loan's own name, on its own index (`ip link add ...
/// index N`): the same kind, name and index; only the mark (and MAC) tell it apart.
#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "needs a chosen index (`ip link add ... index N`): FreeBSD's ifconfig cannot choose one"
)]
fn stale_index_reused_by_a_same_named_epair_is_not_the_loan() {
    #[cfg(target_os = "linux")]
    stale_index("stale-veth", |l| {
        let idx = l.index.to_string();
        let b = l.b.name();
        let args = [
            "-n", b, "link", "add", "name", LENT, "index", &idx, "type", "veth", "peer", "name",
            "ld9b",
        ];
        let out = ip(&args);
        assert!(
            out.status.success(),
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(observe(b, LENT).unwrap().index, l.index, "ip ignored index");
        LENT.to_string()
    });
}

// ---------------------------------------------------------------------------------------------
// Homes found by identity; what stands on a loan; a home that is gone
// ---------------------------------------------------------------------------------------------

/// A move made from inside netns X, with `Stack::host()` as the source, records "host" as the
/// home's name and selector. From the real host, S.remove() must find X by its identity and
/// return the loan there, not to the real host, and not lose it.
#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "needs a process inside one stack that opens another: a jailed process sees no \
              sibling jail"
)]
fn a_loan_made_from_inside_another_netns_goes_home_there() {
    let x = StackGuard::new("hid-x");
    let mut s = StackGuard::new("hid-s");
    epair(&x, "hx0a", "hx0b");
    x.set_up("hx0a", true).unwrap();
    let exe = std::env::current_exe().unwrap();
    let c = command_in(x.name(), exe)
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(child::ROLE, "lend_from_host")
        .env(child::ARGS, ["hx0a", s.name()].join("\x1f"))
        .env_remove(child::KILL_AT)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(child::wait(c), Ended::Completed);
    let (xn, sn) = (x.name().to_string(), s.name().to_string());
    let st = [xn.as_str(), sn.as_str()];
    assert_eq!(where_is(&st, "hx0a"), vec![sn.clone()]);
    let idx = observe(&sn, "hx0a").unwrap().index;
    assert_eq!(
        s.loans().unwrap(),
        vec![(n("hx0a"), idx, "host".to_string())],
        "the child's own stack is its host"
    );
    // The record names X by its identity (the selector says "host").
    let v = json(&std::fs::read(ledger_file(&s)).unwrap());
    assert_eq!(
        v["loans"][0]["home"]["key"],
        x.handle().key().unwrap(),
        "{v}"
    );
    assert_ne!(
        v["loans"][0]["home"]["key"],
        Stack::host().unwrap().handle().key().unwrap(),
        "{v}"
    );
    assert_eq!(
        serde_json::from_value::<StackSel>(v["loans"][0]["home"]["sel"].clone()).ok(),
        Some(StackSel::Host),
        "{v}"
    );

    let r = Stack::open_name(&sn)
        .unwrap()
        .remove()
        .unwrap_or_else(|e| panic!("remove S from the real host: {e}"));
    s.forget();
    assert_eq!(r.returned, vec![(n("hx0a"), xn.clone())], "{r:?}");
    assert!(r.lost.is_empty() && r.gone.is_empty(), "{r:?}");
    assert_eq!(
        where_is(&[&xn], "hx0a"),
        vec![xn.clone()],
        "the loan did not go home to X"
    );
    assert!(observe(&xn, "hx0a").unwrap().up, "UP not restored at home");
}

/// A macvlan made inside S on top of a loaned epair end: S.remove() destroys it first (so the
/// loan can leave) and returns the loan; the report names the macvlan.
#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "a Linux kind: FreeBSD has no macvlan, macvtap or vxlan(4) support in ifclone"
)]
fn a_macvlan_on_a_loan_is_destroyed_first_and_the_loan_returned() {
    let a = StackGuard::new("mvl-a");
    let mut s = StackGuard::new("mvl-s");
    epair(&a, "mv0a", "mv0b");
    vmove::vmove(&a, "mv0a", &s, &MoveOptions::default()).unwrap();
    s.set_up("mv0a", true).unwrap();
    s.create_interface(
        &CreateRequest::new(KindSpec::Macvlan {
            parent: n("mv0a"),
            mode: MacvlanMode::Bridge,
        })
        .named(n("mvl0")),
    )
    .unwrap();
    let o = observe(s.name(), "mvl0").expect("the macvlan in S");
    assert_eq!(o.kind.as_deref(), Some("macvlan"));
    // ip names the parent ("link") when it is in the same stack.
    #[cfg(target_os = "linux")]
    assert_eq!(
        o.raw["link"].as_str(),
        Some("mv0a"),
        "the macvlan stands on mv0a: {}",
        o.raw
    );
    let an = a.name().to_string();
    let r = s.remove().unwrap_or_else(|e| panic!("remove: {e}"));
    assert_eq!(r.destroyed, vec![n("mvl0")], "{r:?}");
    assert_eq!(r.returned, vec![(n("mv0a"), an.clone())], "{r:?}");
    assert!(r.lost.is_empty() && r.gone.is_empty(), "{r:?}");
    assert_eq!(where_is(&[&an], "mv0a"), vec![an.clone()]);
    assert!(observe(&an, "mvl0").is_none(), "the macvlan came along");
}

/// Loans whose home stack is gone (`ip netns del`, FreeBSD `jail -r`, after lending): S.remove() fails with
/// NotReturned listing them and keeps S and them; `remove_with(force)` removes S and lists them
/// as lost.
#[test]
fn loans_whose_home_is_gone_are_kept_unless_forced() {
    let mut a = StackGuard::new("hg-a");
    let mut s = StackGuard::new("hg-s");
    // Loans that do not die with A: a tap, and both ends of an epair (a veth whose peer stayed
    // in A would be destroyed with A).
    a.create_interface(&CreateRequest::new(KindSpec::Tap { queues: 1 }).named(n("hgt0")))
        .unwrap();
    epair(&a, "hge0a", "hge0b");
    vmove::vmove_many(&a, &["hgt0", "hge0a", "hge0b"], &s, &MoveOptions::default()).unwrap();
    let mut names = vec!["hge0a", "hge0b", "hgt0"];
    names.sort();
    let an = a.name().to_string();
    a.forget();
    assert!(os_remove_stack_ok(&an), "remove {an} with the OS's tool");
    assert!(!os_stacks().contains(&an));
    let sn = s.name().to_string();

    let e = expect_err(
        Stack::open_name(&sn).unwrap().remove(),
        "NotReturned",
        "remove with the home gone",
    );
    let Error::NotReturned(nr) = &e else {
        unreachable!()
    };
    let mut stranded: Vec<&str> = nr.stranded.iter().map(|(x, _)| x.as_str()).collect();
    stranded.sort();
    assert_eq!(stranded, names, "{e}");
    assert!(os_stacks().contains(&sn), "S was removed: {e}");
    for x in &names {
        assert_eq!(where_is(&[&sn], x), vec![sn.clone()], "{x} after {e}");
    }
    assert_eq!(s.loans().unwrap().len(), 3, "the records stay");

    let r = Stack::open_name(&sn)
        .unwrap()
        .remove_with(RemoveOptions { force: true })
        .unwrap_or_else(|e| panic!("forced remove: {e}"));
    s.forget();
    let mut lost: Vec<&str> = r.lost.iter().map(|(x, _)| x.as_str()).collect();
    lost.sort();
    assert_eq!(lost, names, "{r:?}");
    assert!(r.returned.is_empty(), "{r:?}");
    assert!(!os_stacks().contains(&sn));
}

/// A home removed and a new stack made under its name (`ip netns del`, `ip netns add`; FreeBSD:
/// `jail -r`, `jail -c`): the
/// selector leads to the new stack, whose identity is not the home's (even if the kernel gave
/// it the same inode). S.remove() must not send the loan there: the home is gone.
#[test]
fn a_new_stack_under_the_home_s_name_is_not_the_home() {
    let mut a = StackGuard::new("rn-a");
    let mut s = StackGuard::new("rn-s");
    a.create_interface(&CreateRequest::new(KindSpec::Tap { queues: 1 }).named(n("rnt0")))
        .unwrap();
    vmove::vmove(&a, "rnt0", &s, &MoveOptions::default()).unwrap();
    let an = a.name().to_string();
    let old_key = a.handle().key().unwrap();
    a.forget();
    assert!(os_remove_stack_ok(&an), "remove {an} with the OS's tool");
    assert!(os_add_stack(&an), "create {an} again with the OS's tool");
    // The guard removes the impostor when the test ends.
    let _impostor = OsStack(an.clone());
    let new_key = Stack::open_name(&an).unwrap().handle().key().unwrap();
    assert_ne!(new_key, old_key, "a new stack has the old one's key");
    let sn = s.name().to_string();
    let e = expect_err(
        Stack::open_name(&sn).unwrap().remove(),
        "NotReturned",
        "remove with the home replaced",
    );
    assert_msg_has(&e, &["rnt0"]);
    assert_eq!(where_is(&[&an, &sn], "rnt0"), vec![sn.clone()], "{e}");
    let r = Stack::open_name(&sn)
        .unwrap()
        .remove_with(RemoveOptions { force: true })
        .unwrap();
    s.forget();
    assert_eq!(r.lost.len(), 1, "{r:?}");
    assert!(observe(&an, "rnt0").is_none(), "sent to the new stack");
}

/// Removes a test stack made with the OS's tool (`ip netns add`, `jail -c`) when dropped.
struct OsStack(String);

impl Drop for OsStack {
    fn drop(&mut self) {
        os_remove_stack(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// The stack mark that lets an empty stack's removal skip the ledger
// ---------------------------------------------------------------------------------------------

/// B's lock file as an ifclone from before stack marks left it: empty, though B's ledger file
/// holds a loan, and no scan done (`marks-v1` missing). The removal must not take B for empty:
/// the scan marks B, and the loan goes home. Without the scan's file, an unmarked B would be
/// removed at once and its loan destroyed with it.
#[test]
fn a_loan_recorded_before_stack_marks_existed_still_goes_home() {
    require_root();
    let mut l = lent("mk");
    let ledger = Ledger::system();
    let runtime = ledger.runtime().to_path_buf();
    let lock = ledger.stack_lock_file(&l.b.handle().lock_id());
    assert!(
        std::fs::metadata(&lock).unwrap().len() > 0,
        "recording the loan marked B's lock file {}",
        lock.display()
    );
    std::fs::write(&lock, b"").unwrap();
    let _ = std::fs::remove_file(runtime.join("marks-v1"));
    // In a new process: this one may have found the scan's file before (it asks once).
    assert_eq!(child::run("remove", &[l.b.name()], None), Ended::Completed);
    l.b.forget();
    assert_eq!(where_is(&[l.a.name()], LENT), vec![l.a.name()]);
    assert!(!os_stacks().iter().any(|s| s == l.b.name()));
}
