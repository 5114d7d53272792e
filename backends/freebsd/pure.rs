//! The FreeBSD backend's pure parts: ABI constants and mirror structs, request encoding,
//! naming rules, the routing-socket parser, error construction and the origins record (a state
//! file, no interface call). They make no system call and
//! use no FreeBSD-only `libc` item, so besides being part of the backend (mounted from
//! `mod.rs`) they are compiled and unit-tested on Linux, mounted from `src/lib.rs` under
//! `cfg(test)`.
// These modules are the complete ABI description (every request value, layout and parser), not
// only what the backend calls today: `rtsock` serves interface-event watching, which is not wired
// into the contract yet, and the byte renderers serve the snapshot tests.
#![allow(dead_code)]

#[path = "consts.rs"]
pub mod consts;
#[path = "errs.rs"]
pub mod errs;
#[path = "names.rs"]
pub mod names;
#[path = "origins.rs"]
pub mod origins;
#[path = "req.rs"]
pub mod req;
#[path = "rtsock.rs"]
pub mod rtsock;
