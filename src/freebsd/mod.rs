//! The FreeBSD backend's parts that speak ifclone's model but call no OS API, so they are
//! compiled for FreeBSD and, for their unit tests, on every OS (`cfg(any(target_os =
//! "freebsd", test))` in `lib.rs`). The backend proper (ioctls, jails) is `backends/freebsd/`;
//! the kernel ABI it speaks (constants, request encoding, parsers) is the
//! `ifclone-freebsd-abi` crate in `backends/freebsd-abi/`, which cannot use ifclone's types
//! (ifclone depends on it).
//!
//! - [`names`]: cloner names per kind, epair peer names, kind recognition (groups, name
//!   prefixes, link types) — in [`KindName`](crate::model::KindName)s and `IfName`s.
//! - [`errs`]: a kernel errno (and the jail's errmsg) as ifclone's `Error`.
//! - [`origins`]: ifclone's record of the interfaces it created or moved, a state file under
//!   `crate::state`'s rules, for what the FreeBSD kernel forgets.
//! - [`watch`]: routing-socket events (the ABI crate's `RtEvent`s) as the backend contract's
//!   [`Raw`](crate::backend::Raw) notifications, for the backend's `Feed`.
//! - this file: the boundary between the backend and the ABI crate, [`ifname`] and [`mac`],
//!   turning the ABI crate's plain values into ifclone's `IfName` and `Mac`.

// On other OSes only their unit tests use these modules.
#![cfg_attr(not(target_os = "freebsd"), allow(dead_code))]

pub mod errs;
pub mod names;
pub mod origins;
pub mod watch;

use ifclone_freebsd_abi::KernelName;

use crate::model::{IfName, Mac};

/// A name the kernel wrote back, as ifclone's [`IfName`]. Both types take kernel names by the
/// same rule (1–15 bytes of UTF-8 up to the first NUL; see the test below), so this is `Some`
/// for every [`KernelName`]; the `Option` only keeps the call sites free of a panic path.
pub fn ifname(k: KernelName) -> Option<IfName> {
    IfName::from_kernel(k.as_bytes())
}

/// A MAC address the ABI crate parsed, as ifclone's [`Mac`].
pub fn mac(b: [u8; 6]) -> Mac {
    Mac(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_names_take_the_same_rule() {
        let cases: &[&[u8]] = &[
            b"epair0a",
            b"epair0a\0junk",
            b"",
            b"\0",
            b"abcdefghijklmno",
            b"abcdefghijklmnop",
            b"abcdefghijklmn\xc3\xa9",
            b"\xff",
            b"a b/c",
            b"\xc3",
        ];
        for &c in cases {
            let k = KernelName::from_kernel(c);
            let i = IfName::from_kernel(c);
            assert_eq!(
                k.map(|k| k.as_str().to_owned()),
                i.map(|i| i.to_string()),
                "{c:?}"
            );
            assert_eq!(k.and_then(ifname), i, "{c:?}");
        }
    }
}
