//! [`Host`]: an OS backend and the directory its state lives in — what every [`Stack`] is
//! built from. [`Host::system`] is this machine's backend with the system state directory
//! (`/run/ifclone`, FreeBSD `/var/run/ifclone`, per boot); [`Host::with_state_dir`] keeps the
//! state (ledger, intents, stack locks) elsewhere, for an embedder or a test that must not share
//! it. Every process that works on the same stacks must use the same directory: the state is
//! how they see each other's moves and loans.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::backend::prelude::*;
use crate::error::Result;
use crate::ledger::Ledger;
use crate::model::{StackInfo, StackSel};
use crate::stack::Stack;
use crate::sys::{SysStack, System};

/// An OS backend with its state directory. Cheap to clone.
#[derive(Clone)]
pub struct Host {
    sys: Arc<System>,
    ledger: Ledger,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("os", &self.sys.os())
            .field("state_dir", &self.ledger.runtime())
            .finish()
    }
}

/// The process's backend (its caches of probed kinds and the host stack are shared).
pub(crate) fn shared_system() -> &'static Arc<System> {
    static SYS: OnceLock<Arc<System>> = OnceLock::new();
    SYS.get_or_init(|| Arc::new(System::new()))
}

impl Host {
    /// This machine's backend with the system state directory.
    pub fn system() -> Host {
        static HOST: OnceLock<Host> = OnceLock::new();
        HOST.get_or_init(|| Host {
            sys: shared_system().clone(),
            ledger: Ledger::system(),
        })
        .clone()
    }

    /// This machine's backend with its state under `dir` (created when first written).
    pub fn with_state_dir(dir: impl Into<PathBuf>) -> Host {
        Host {
            sys: shared_system().clone(),
            ledger: Ledger::system_at(&dir.into()),
        }
    }

    /// The backend.
    pub fn backend(&self) -> &System {
        &self.sys
    }

    /// The ledger of loans under this state directory.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Where the state lives.
    pub fn state_dir(&self) -> &Path {
        self.ledger.runtime()
    }

    /// Whether two hosts keep the same state (so their stacks may take part in one move).
    pub fn same_state(&self, other: &Host) -> bool {
        self.state_dir() == other.state_dir()
    }

    /// A [`Stack`] of this host from a backend handle.
    pub fn stack(&self, h: Arc<SysStack>) -> Stack {
        Stack::from_parts(h, self.clone())
    }

    /// The host's own stack.
    pub fn host_stack(&self) -> Result<Stack> {
        self.open(StackSel::Host)
    }

    /// Opens an existing stack by name, path, pid or id.
    pub fn open(&self, sel: StackSel) -> Result<Stack> {
        Stack::open_in(self, sel)
    }

    /// Creates a named, persistent stack (see [`Stack::create`]).
    pub fn create(&self, name: &str) -> Result<Stack> {
        Stack::create_in(self, name)
    }

    /// Lists the named stacks.
    pub fn stacks(&self) -> Result<Vec<StackInfo>> {
        self.sys.list_stacks()
    }
}
