//! # ifclone
//!
//! One driver model for cloned network interfaces and network stacks on Linux (network
//! namespaces, rtnetlink) and FreeBSD (VNET jails, cloner ioctls).
//!
//! - [`Stack`]: a network stack — create, open, list, remove.
//! - Interfaces: create any kind the [cloner registry](Stack::cloners) offers, list them with
//!   one dump, change their properties, destroy many at once through the kernel's bulk path.
//! - [`vmove`]: move an interface to another stack under one written contract (`docs/vmove.md`)
//!   that behaves the same on both systems.
//! - [`watch`]: a gapless event stream of stacks (interfaces, addresses, moves, stacks), and
//!   [`supervise`]: dependents (macvtap, macvlan, vlan) re-created when their lower device
//!   comes back, with new descriptors per generation.
//!
//! ```no_run
//! use ifclone::{CreateRequest, KindSpec, Stack};
//!
//! let host = Stack::host()?;
//! let jail = Stack::create("demo")?;
//! // An epair with its b end placed straight into the new stack.
//! let made = host.create_epair_across(None, &jail)?;
//! println!("{} here, {} in {}", made.iface.name, made.peer.unwrap().name, jail.name());
//! jail.remove()?;
//! # Ok::<(), ifclone::Error>(())
//! ```

pub mod backend;
pub mod endpoint;
pub mod error;
pub mod failover;
// The FreeBSD backend's model-level parts: no OS API, so also compiled for the tests elsewhere.
#[cfg(any(target_os = "freebsd", test))]
mod freebsd;
mod host;
pub mod intent;
pub mod kinds;
pub mod ledger;
pub mod model;
mod stack;
mod state;
pub mod supervise;
mod sys;
pub mod testing;
pub mod vmove;
pub mod watch;

pub use backend::{kernel_requests, Backend, Placement, StackHandle};
pub use error::{Context, Error, NotReturned, Result};
pub use host::Host;
pub use model::*;
pub use stack::{RemoveReport, Stack};
/// The OS backend and its stack handle. Opaque: their only public surface is the neutral
/// contract ([`backend`]: the traits and [`StackHandle`]), the same on every OS, so code that
/// names them (a test with [`testing::Faulty`], `vmove::vmove_with`) is portable.
pub use sys::{SysStack, System};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

#[doc = include_str!("../docs/watch.md")]
#[cfg(doctest)]
pub struct WatchDoctests;

#[doc = include_str!("../docs/failover.md")]
#[cfg(doctest)]
pub struct FailoverDoctests;

/// The backend for the OS this crate was built for.
pub fn system() -> &'static System {
    host::shared_system()
}
