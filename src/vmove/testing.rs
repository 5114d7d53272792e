//! A deterministic hook for crash tests: [`set_step_hook`] installs a function that every move
//! calls at each step boundary (after its intent is written, after each mutating step, after it
//! finished) and every stack removal calls between its returns. A test's child process counts
//! the calls and kills itself with SIGKILL at the N-th, for every N in turn. Production code
//! never installs one; an unset hook costs one atomic load.

use std::sync::OnceLock;

type Hook = Box<dyn Fn(&str) + Send + Sync>;

static HOOK: OnceLock<Hook> = OnceLock::new();

/// Installs the step hook for the rest of the process (once; later calls are ignored).
#[doc(hidden)]
pub fn set_step_hook(f: impl Fn(&str) + Send + Sync + 'static) {
    let _ = HOOK.set(Box::new(f));
}

/// A step boundary named `label`.
pub(crate) fn boundary(label: &str) {
    if let Some(h) = HOOK.get() {
        h(label);
    }
}
