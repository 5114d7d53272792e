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
