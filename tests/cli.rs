//! The `ifc` binary as a user runs it: exit status, what goes to stderr, no panic whatever the
//! words.
//!
//! Nothing here changes the system. Every command is either refused by the parser (exit 2,
//! before any kernel call), only reads (`-h`), or names a stack that does not exist
//! (`-j ifct-cli-nonexistent-<pid>`), so it fails when it opens that stack (exit 1). None of
//! these tests needs root.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output};

fn ifc<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    Command::new(env!("CARGO_BIN_EXE_ifc"))
        .args(&args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap_or_else(|e| panic!("running ifc {args:?}: {e}"))
}

/// The stack every command that gets past the parser is aimed at: it does not exist.
fn nonexistent_stack() -> String {
    format!("ifct-cli-nonexistent-{}", std::process::id())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Neither a panic nor a signal, whatever the arguments.
fn assert_sane(o: &Output, what: &str) {
    assert_eq!(o.status.signal(), None, "{what}: killed by a signal");
    assert_ne!(
        o.status.code(),
        Some(101),
        "{what}: exit 101\n{}",
        stderr(o)
    );
    assert!(!stderr(o).contains("panicked"), "{what}: {}", stderr(o));
}

/// A usage error: exit 2, `ifc: …` and the hint, at most 3 lines on stderr, nothing on stdout.
fn assert_usage(o: &Output, what: &str) -> String {
    assert_sane(o, what);
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{what}: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.len() <= 3,
        "{what}: {} lines on stderr:\n{err}",
        lines.len()
    );
    assert!(lines[0].starts_with("ifc: "), "{what}: {err}");
    assert_eq!(
        lines.last(),
        Some(&"ifc -h for the syntax"),
        "{what}: {err}"
    );
    assert!(o.stdout.is_empty(), "{what}: stdout {:?}", o.stdout);
    lines[0].to_string()
}

#[test]
fn usage_error_is_short() {
    let first = assert_usage(&ifc(["-x"]), "-x");
    assert_eq!(first, "ifc: unknown option '-x'");
    let first = assert_usage(&ifc(["eth0", "frob"]), "eth0 frob");
    assert_eq!(first, "ifc: unknown word 'frob'");
}

#[test]
fn help_goes_to_stdout() {
    for h in ["-h", "--help"] {
        let o = ifc([h]);
        assert_sane(&o, h);
        assert_eq!(o.status.code(), Some(0), "{h}");
        assert!(o.stderr.is_empty(), "{h}: {}", stderr(&o));
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(out.starts_with("usage: ifc "), "{out}");
        for needle in [
            "host:",
            "/run/ifclone",
            "/var/run/ifclone",
            "Exit status: 0",
        ] {
            assert!(out.contains(needle), "{h}: no {needle:?} in\n{out}");
        }
    }
}

#[test]
fn non_utf8_argument_is_a_usage_error() {
    let bad = || OsString::from_vec(b"eth\xff0".to_vec());
    for argv in [
        vec![bad()],
        vec!["-j".into(), bad()],
        vec!["eth0".into(), "description".into(), bad()],
        vec!["stack".into(), "create".into(), bad()],
        vec![OsString::from_vec(vec![0x80]), "create".into()],
    ] {
        let what = format!("{argv:?}");
        let first = assert_usage(&ifc(argv), &what);
        assert!(first.contains("not valid UTF-8"), "{what}: {first}");
    }
}

#[test]
fn number_out_of_range_says_the_range() {
    for (args, want) in [
        (
            &["eth0", "mtu", "70000"][..],
            "ifc: mtu: 70000 is out of range 68..=65535",
        ),
        (
            &["eth0", "mtu", "15OO"],
            "ifc: bad mtu '15OO': expected a number",
        ),
        (
            &["vlan0", "create", "vlan", "4095", "vlandev", "eth0"],
            "ifc: vlan id: 4095 is out of range 1..=4094",
        ),
        (
            &["eth0", "group", "99999999999999999999999"],
            "ifc: group: 99999999999999999999999 is out of range 0..=4294967295",
        ),
    ] {
        let what = args.join(" ");
        assert_eq!(assert_usage(&ifc(args), &what), want, "{what}");
    }
}

/// A tiny fixed-seed PRNG (xorshift64*), so that a failure names a sequence that can be rerun.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Real keywords, commands, kinds, names, addresses, junk and numbers. No word that starts with
/// `-` contains a `j`: as the first word it would be read as options, and `-j` there would aim
/// the command at a stack that exists (checked below).
#[rustfmt::skip]
const VOCABULARY: &[&str] = &[
    // keywords of create and set
    "type", "mtu", "ether", "lladdr", "link", "description", "descr", "-description", "-descr",
    "group", "name", "up", "down", "inet", "inet6", "netmask", "prefixlen", "alias", "delete",
    "-alias", "peer", "peervnet", "vlan", "vlandev", "vlanproto", "queues", "macvlandev",
    "macvlanmode", "vxlanid", "vxlanlocal", "vxlanremote", "vxlangroup", "vxlandev", "vxlanport",
    // commands and their words
    "create", "destroy", "vnet", "-vnet", "strategy", "native", "recreate", "addresses", "stack",
    "list", "remove", "--force", "-f", "recover", "802.1q", "802.1ad", "bridge", "private",
    // kinds and names
    "epair", "epair7", "tap", "tun", "macvlan", "macvtap", "vxlan", "lo", "lagg", "dummy", "veth",
    "eth0", "eth0.100", "ifctcli0", "lo0", "a23456789012345678",
    // options (never -j)
    "-a", "-l", "-u", "-d", "-C", "-lu", "-h", "--help", "--",
    // stacks
    "host", "-", "pid:1", "jid:0", "/proc/1/ns/net",
    // addresses
    "10.0.0.1", "10.0.0.1/24", "10.0.0.1/33", "fd00::1", "fd00::1/64", "255.255.255.0",
    "0xffffff00", "255.0.255.0", "02:00:00:00:00:01", "01:02", "ff:ff:ff:ff:ff:ff",
    // junk
    "", " ", "x y", "a/b", "é", "\n", "\t", "%s%n", "--x", "-x", "-", "..", "'", "\"", "épair",
    "\u{202e}", "ifc",
    // numbers
    "0", "1", "-1", "+5", "68", "1500", "4094", "4095", "65535", "65536", "4294967295",
    "4294967296", "16777216", "99999999999999999999999999999999999999999", "1.5", "0x10",
];

/// A few hundred random word sequences, each aimed at a stack that does not exist: whatever the
/// words, ifc refuses them (exit 2, a short message) or fails to open the stack (exit 1) — or
/// prints the help (exit 0). Never a panic, never a signal, and never anything done.
#[test]
fn random_words_never_panic() {
    let stack = nonexistent_stack();
    #[cfg(target_os = "linux")]
    assert!(
        !std::path::Path::new("/run/netns").join(&stack).exists(),
        "{stack} exists: this test must not be able to change a stack"
    );
    for w in VOCABULARY {
        assert!(
            !(w.starts_with('-') && w.contains('j')),
            "{w:?} could be -j"
        );
    }
    let mut rng = Rng(0x1fc1_0ce5_eed5_0001);
    let mut by_status = [0u32; 3];
    for case in 0..400 {
        let len = 1 + rng.below(8);
        let words: Vec<&str> = (0..len)
            .map(|_| VOCABULARY[rng.below(VOCABULARY.len())])
            .collect();
        let mut argv = vec!["-j", stack.as_str()];
        argv.extend(&words);
        let what = format!("case {case}: ifc {argv:?}");
        let o = ifc(&argv);
        assert_sane(&o, &what);
        let err = stderr(&o);
        if let Some(c @ 0..=2) = o.status.code() {
            by_status[c as usize] += 1;
        }
        match o.status.code() {
            Some(2) => {
                assert_usage(&o, &what);
            }
            Some(1) => {
                assert!(err.starts_with("ifc: "), "{what}: {err}");
                assert!(err.lines().count() <= 3, "{what}: {err}");
            }
            Some(0) => {
                let out = String::from_utf8_lossy(&o.stdout);
                assert!(
                    out.starts_with("usage: ifc "),
                    "{what} succeeded:\n{out}{err}"
                );
            }
            c => panic!("{what}: exit {c:?}\n{err}"),
        }
    }
    // Both the parser's refusals and the commands that got past it were exercised.
    eprintln!("exit 0/1/2: {by_status:?}");
    assert!(by_status[1] >= 20 && by_status[2] >= 20, "{by_status:?}");
}

/// `ifc -h | head -1`, `ifc -a > /dev/full`: output that cannot be written is exit 1 and, but
/// for a closed pipe, one message, never a panic.
#[test]
fn unwritable_stdout_is_exit_1() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_ifc"))
        .arg("-h")
        .stdout(writer)
        .output()
        .unwrap();
    assert_sane(&o, "-h into a closed pipe");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));

    #[cfg(target_os = "linux")]
    {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_ifc"))
            .arg("-h")
            .stdout(full)
            .output()
            .unwrap();
        assert_sane(&o, "-h into /dev/full");
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(
            stderr(&o).starts_with("ifc: cannot write the output: "),
            "{}",
            stderr(&o)
        );
    }
}

/// The whole `-h` text, as reviewed: a change to it shows up here (`cargo insta review`).
#[test]
fn help_text() {
    let o = ifc(["-h"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("help", String::from_utf8(o.stdout).unwrap());
}
