//! vmove: moving an interface to another stack (stub; filled in by the vmove work).

use crate::backend::Backend;
use crate::error::Result;
use crate::stack::RemoveReport;

/// Returns every loan held by `stack` to its home stack.
pub fn return_loans<B: Backend>(_b: &B, _stack: &B::Stack) -> Result<RemoveReport> {
    Ok(RemoveReport::default())
}
