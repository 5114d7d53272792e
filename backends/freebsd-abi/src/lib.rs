//! # ifclone-freebsd-abi
//!
//! The FreeBSD kernel interface that ifclone's FreeBSD backend (`backends/freebsd/`) speaks, as
//! plain data: no system call, no `unsafe`, no FreeBSD-only `libc` item. It builds and is
//! tested on any OS, so its unit and snapshot tests run on Linux in CI, and the fuzz target
//! (`fuzz/fuzz_targets/rtsock.rs`) links it like any other crate.
//!
//! - [`consts`]: ioctl request values (the `_IOC` arithmetic, checked at compile time), the
//!   mirror structs (`ifreq`, `vlanreq`, `if_clonereq`, …) with their offsets, jail(2) flags.
//! - [`req`]: the exact bytes of every ioctl and jail(2) request the backend makes, and the
//!   parsers for what the kernel writes back (SIOCGIFCONF records, `sockaddr_dl`, jail
//!   parameters). Snapshot tests in `src/snapshots/`.
//! - [`rtsock`]: the PF_ROUTE message parser (interface arrival, departure, state changes,
//!   addresses added and removed).
//! - [`name`]: [`KernelName`], an interface name as the kernel wrote it.
//!
//! ## What is not here, and why
//!
//! ifclone depends on this crate (on FreeBSD), so this crate cannot use ifclone's types. It
//! speaks in its own plain values instead: names the kernel writes back are [`KernelName`]s,
//! MAC addresses are `[u8; 6]`, errors are errnos left to the caller. The backend converts
//! them to ifclone's `IfName`/`Mac` at its boundary (`backends/freebsd/ops.rs` and friends).
//!
//! The FreeBSD parts that need ifclone's model stay in ifclone, in `src/freebsd/` (compiled
//! for FreeBSD and for ifclone's own tests on every OS, since they call no OS API): the naming
//! rules that map cloners to ifclone's `KindName` and derive epair peer `IfName`s, the origins
//! record (a state file of `KindName`, `IfName`, `Mac`), and the construction of ifclone's
//! `Error` from an errno.

pub mod consts;
pub mod name;
pub mod req;
pub mod rtsock;

pub use name::KernelName;
