//! The FreeBSD backend's pure parts that use ifclone's model: naming rules, error construction
//! and the origins record (a state file, no interface call). The ABI constants, request
//! encoding and the routing-socket parser are the `ifclone-freebsd-abi` crate. They make no system call and
//! use no FreeBSD-only `libc` item, so besides being part of the backend (mounted from
//! `mod.rs`) they are compiled and unit-tested on Linux, mounted from `src/lib.rs` under
//! `cfg(test)`.
// On Linux only their tests use them.
#![allow(dead_code)]

#[path = "errs.rs"]
pub mod errs;
#[path = "names.rs"]
pub mod names;
#[path = "origins.rs"]
pub mod origins;
