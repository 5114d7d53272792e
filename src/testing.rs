//! Fault injection for tests of code built on ifclone's contract: [`Faulty`] wraps a backend
//! and fails its N-th mutating call. It lives in the crate because the contract is sealed
//! ([`crate::backend`]); it delegates every operation, so a test sees the real kernel except
//! for the one injected failure.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::backend::prelude::*;
use crate::backend::Sealed;
use crate::error::{Context, Error, Result};
use crate::model::{
    Change, CreateRequest, Created, IfAddr, IfName, IfSel, Interface, KindName, StackInfo, StackSel,
};

/// A hook run after a given mutating call succeeded.
pub type After = Option<(usize, Box<dyn Fn() + Send + Sync>)>;

/// A backend that delegates to `inner` but fails its `fail_at`-th mutating call (create,
/// destroy, destroy_many, apply, set_master, set_active_port, set_primary_port, add_address,
/// del_address, move_native, add_mark, del_mark),
/// counting from 1, with `Error::Kernel` "injected failure at mutating call N". `after` runs a
/// hook right after the given mutating call succeeded (to break the system mid-move). The
/// derived operations (`create_pair`, `apply_at_once`, `move_native_known`, …) use the
/// contract's defaults, so they go through the counted primitives.
pub struct Faulty<B: Backend + 'static = crate::System> {
    pub inner: &'static B,
    pub fail_at: usize,
    pub count: AtomicUsize,
    pub after: After,
}

impl Faulty<crate::System> {
    /// The OS backend, failing its `n`-th mutating call (0: never).
    pub fn failing_at(n: usize) -> Faulty<crate::System> {
        Faulty {
            inner: crate::system(),
            fail_at: n,
            count: AtomicUsize::new(0),
            after: None,
        }
    }
}

impl<B: Backend + 'static> Faulty<B> {
    /// How many mutating calls were made.
    pub fn calls(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    fn tick<T>(&self, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.fail_at {
            return Err(Error::Kernel(Box::new(
                Context::new("injected", what)
                    .detail(format!("injected failure at mutating call {n}")),
            )));
        }
        let r = f()?;
        if let Some((at, hook)) = &self.after {
            if *at == n {
                hook();
            }
        }
        Ok(r)
    }
}

impl<B: Backend + 'static> Sealed for Faulty<B> {}

impl<B: Backend + 'static> Stacks for Faulty<B> {
    type Stack = B::Stack;
    fn os(&self) -> &'static str {
        self.inner.os()
    }
    fn open_stack(&self, sel: &StackSel) -> Result<Arc<B::Stack>> {
        self.inner.open_stack(sel)
    }
    fn find_stack(&self, key: &str) -> Result<Option<Arc<B::Stack>>> {
        self.inner.find_stack(key)
    }
    fn lock_id_of(&self, key: &str) -> String {
        self.inner.lock_id_of(key)
    }
    fn lock_ids_reused(&self) -> bool {
        self.inner.lock_ids_reused()
    }
    fn create_stack(&self, name: &str) -> Result<Arc<B::Stack>> {
        self.inner.create_stack(name)
    }
    fn list_stacks(&self) -> Result<Vec<StackInfo>> {
        self.inner.list_stacks()
    }
    fn remove_stack(&self, s: &B::Stack) -> Result<()> {
        self.inner.remove_stack(s)
    }
    fn stack_alive(&self, s: &B::Stack) -> bool {
        self.inner.stack_alive(s)
    }
    fn link_stack(&self, s: &B::Stack, id: i32) -> Result<Option<Arc<B::Stack>>> {
        self.inner.link_stack(s, id)
    }
}

impl<B: Backend + 'static> Links for Faulty<B> {
    fn cloners(&self, s: &B::Stack) -> Result<Vec<KindName>> {
        self.inner.cloners(s)
    }
    fn list(&self, s: &B::Stack) -> Result<Vec<Interface>> {
        self.inner.list(s)
    }
    fn get(&self, s: &B::Stack, sel: IfSel) -> Result<Interface> {
        self.inner.get(s, sel)
    }
    fn create(
        &self,
        s: &B::Stack,
        req: &CreateRequest,
        place: Placement<'_, B::Stack>,
    ) -> Result<Created> {
        self.tick("create", || self.inner.create(s, req, place))
    }
    fn destroy(&self, s: &B::Stack, sel: IfSel) -> Result<()> {
        self.tick("destroy", || self.inner.destroy(s, sel))
    }
    fn destroy_many(&self, s: &B::Stack, sels: &[IfSel]) -> Result<()> {
        self.tick("destroy_many", || self.inner.destroy_many(s, sels))
    }
    fn apply(&self, s: &B::Stack, sel: IfSel, c: &Change) -> Result<()> {
        self.tick("apply", || self.inner.apply(s, sel, c))
    }
    fn set_master(&self, s: &B::Stack, port: &Interface, op: PortOp<'_>) -> Result<()> {
        self.tick("set_master", || self.inner.set_master(s, port, op))
    }
    const FAILOVER_MIIMON: Option<u32> = B::FAILOVER_MIIMON;
    fn set_active_port(&self, s: &B::Stack, m: &Interface, p: &Interface) -> Result<()> {
        self.tick("set_active_port", || self.inner.set_active_port(s, m, p))
    }
    fn set_primary_port(&self, s: &B::Stack, m: &Interface, p: &Interface) -> Result<()> {
        self.tick("set_primary_port", || self.inner.set_primary_port(s, m, p))
    }
    fn open_fds(&self, s: &B::Stack, i: &Interface, q: u16) -> Result<crate::model::Queues> {
        self.inner.open_fds(s, i, q)
    }
    fn vhost_fds(&self, n: u16, own: bool) -> Result<Vec<std::os::fd::OwnedFd>> {
        self.inner.vhost_fds(n, own)
    }
    fn create_tap(
        &self,
        s: &B::Stack,
        req: &CreateRequest,
        place: Placement<'_, B::Stack>,
        opts: &crate::model::TapOptions,
    ) -> Result<Created> {
        self.tick("create_tap", || self.inner.create_tap(s, req, place, opts))
    }
    const REDIRECTS: bool = B::REDIRECTS;
    fn redirect_pair(&self, s: &B::Stack, a: &Interface, b: &Interface) -> Result<()> {
        self.tick("redirect_pair", || self.inner.redirect_pair(s, a, b))
    }
    fn drop_redirect(&self, s: &B::Stack, i: &Interface) -> Result<()> {
        self.tick("drop_redirect", || self.inner.drop_redirect(s, i))
    }
}

impl<B: Backend + 'static> Addresses for Faulty<B> {
    fn addresses(&self, s: &B::Stack, index: u32) -> Result<Vec<IfAddr>> {
        self.inner.addresses(s, index)
    }
    fn add_address(&self, s: &B::Stack, index: u32, a: IfAddr) -> Result<()> {
        self.tick("add_address", || self.inner.add_address(s, index, a))
    }
    fn del_address(&self, s: &B::Stack, index: u32, a: IfAddr) -> Result<()> {
        self.tick("del_address", || self.inner.del_address(s, index, a))
    }
}

impl<B: Backend + 'static> Moves for Faulty<B> {
    fn move_native(
        &self,
        from: &B::Stack,
        sel: IfSel,
        to: &B::Stack,
        n: Option<IfName>,
    ) -> Result<u32> {
        self.tick("move_native", || self.inner.move_native(from, sel, to, n))
    }
}

impl<B: Backend + 'static> Marks for Faulty<B> {
    fn add_mark(&self, s: &B::Stack, index: u32, mark: &str) -> Result<bool> {
        self.tick("add_mark", || self.inner.add_mark(s, index, mark))
    }
    fn del_mark(&self, s: &B::Stack, index: u32, mark: &str) -> Result<()> {
        self.tick("del_mark", || self.inner.del_mark(s, index, mark))
    }
}

impl<B: Backend + 'static> Watch for Faulty<B> {}
