//! vmove: moving an interface to another stack, under the contract in `docs/vmove.md`.
//! (API fixed; the algorithm is being filled in.)

use std::fmt;

use crate::backend::Backend;
use crate::error::Result;
use crate::model::{IfAddr, IfName};
use crate::stack::{RemoveReport, Stack};

/// How a kind moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// The kernel's own move (Linux RTM_NEWLINK + IFLA_NET_NS_FD; FreeBSD SIOCSIFVNET).
    Native,
    /// Re-create the same kind in the target from the saved parameters, under a temporary name,
    /// then destroy the source and rename (the cloner-vmove proposal's `if_vmove_simple`).
    Recreate,
    /// The kind cannot be moved.
    NoMove,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Native => "native",
            Strategy::Recreate => "recreate",
            Strategy::NoMove => "nomove",
        })
    }
}

/// Options of one move.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MoveOptions {
    /// The name in the target (default: keep the name).
    pub new_name: Option<IfName>,
    /// Force a strategy instead of the kind's own.
    pub strategy: Option<Strategy>,
    /// Re-add the interface's addresses in the target (off by default: both kernels drop them).
    pub carry_addresses: bool,
    /// epair only, with `move_many`: re-create whole pairs with one end placed in the target and
    /// destroy the old pairs through the bulk path. The other end is re-created too (new index;
    /// its parameters and addresses are re-applied).
    pub epair_fast_path: bool,
}

/// What a move did, and what it could not carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Receipt {
    pub name: Option<IfName>,
    /// Index in the target stack.
    pub index: u32,
    pub from: String,
    pub to: String,
    pub strategy: Option<Strategy>,
    /// Properties ifclone restored after the kernel dropped them (`up`, addresses).
    pub restored: Vec<String>,
    /// What could not be carried: bridge/lagg membership, routes, multicast groups, addresses
    /// when not carried, a parent left behind.
    pub not_carried: Vec<String>,
    /// Addresses re-added in the target.
    pub addresses: Vec<IfAddr>,
}

/// Moves `name` from `from` into `to`.
pub fn vmove(_from: &Stack, _name: &str, _to: &Stack, _opts: &MoveOptions) -> Result<Receipt> {
    todo!("vmove")
}

/// Moves many interfaces from `from` into `to`.
pub fn vmove_many(
    _from: &Stack,
    _names: &[&str],
    _to: &Stack,
    _opts: &MoveOptions,
) -> Result<Vec<Receipt>> {
    todo!("vmove_many")
}

/// Moves `name` from the child stack `stack` back to its home (FreeBSD `-vnet`); on Linux the
/// home is the stack it came from, as recorded when it was moved or created there.
pub fn reclaim(_stack: &Stack, _name: &str, _opts: &MoveOptions) -> Result<Receipt> {
    todo!("reclaim")
}

/// Returns every loan held by `stack` to its home stack.
pub fn return_loans<B: Backend>(_b: &B, _stack: &B::Stack) -> Result<RemoveReport> {
    Ok(RemoveReport::default())
}
