//! Linux backend: rtnetlink (netlink-packet-route over netlink-sys), network namespaces,
//! /dev/net/tun. Stub.

use std::sync::Arc;

use crate::backend::{Backend, Placement, StackHandle};
use crate::error::Result;
use crate::model::*;

pub const RUNTIME_DIR: &str = "/run/ifclone";

#[derive(Debug)]
pub struct SysStack {
    name: String,
}

impl StackHandle for SysStack {
    fn name(&self) -> &str {
        &self.name
    }
    fn key(&self) -> String {
        todo!()
    }
    fn selector(&self) -> StackSel {
        todo!()
    }
    fn is_host(&self) -> bool {
        todo!()
    }
}

pub struct System {}

impl System {
    pub fn new() -> System {
        System {}
    }
}

impl Backend for System {
    type Stack = SysStack;
    fn os(&self) -> &'static str {
        "Linux"
    }
    fn open_stack(&self, _sel: &StackSel) -> Result<Arc<SysStack>> {
        todo!()
    }
    fn create_stack(&self, _name: &str) -> Result<Arc<SysStack>> {
        todo!()
    }
    fn list_stacks(&self) -> Result<Vec<StackInfo>> {
        todo!()
    }
    fn remove_stack(&self, _stack: &SysStack) -> Result<()> {
        todo!()
    }
    fn stack_alive(&self, _stack: &SysStack) -> bool {
        todo!()
    }
    fn cloners(&self, _stack: &SysStack) -> Result<Vec<KindName>> {
        todo!()
    }
    fn list(&self, _stack: &SysStack) -> Result<Vec<Interface>> {
        todo!()
    }
    fn get(&self, _stack: &SysStack, _sel: IfSel) -> Result<Interface> {
        todo!()
    }
    fn create(
        &self,
        _stack: &SysStack,
        _req: &CreateRequest,
        _place: Placement<'_, SysStack>,
    ) -> Result<Created> {
        todo!()
    }
    fn destroy(&self, _stack: &SysStack, _sel: IfSel) -> Result<()> {
        todo!()
    }
    fn destroy_many(&self, _stack: &SysStack, _sels: &[IfSel]) -> Result<()> {
        todo!()
    }
    fn apply(&self, _stack: &SysStack, _sel: IfSel, _change: &Change) -> Result<()> {
        todo!()
    }
    fn addresses(&self, _stack: &SysStack, _index: u32) -> Result<Vec<IfAddr>> {
        todo!()
    }
    fn add_address(&self, _stack: &SysStack, _index: u32, _addr: IfAddr) -> Result<()> {
        todo!()
    }
    fn move_native(
        &self,
        _from: &SysStack,
        _sel: IfSel,
        _to: &SysStack,
        _new_name: Option<IfName>,
    ) -> Result<u32> {
        todo!()
    }
}
