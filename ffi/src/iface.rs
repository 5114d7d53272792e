//! Interfaces: listing, one interface's properties, changing them, addresses, ports, destroy.

use std::ffi::{c_char, CString};

use ifclone::{IfAddr, Interface, LinkStack, Mac};

use crate::boundary::{
    bytes, call, cstring, free, give, handle, lend, ptr, text, texts, unlend, value, Handle, Out,
    OutBuf, Res,
};
use crate::stack::ifclone_stack;
use crate::{ifclone_result, ifclone_strings};

/// One interface as the kernel reported it when it was read (a snapshot: it does not follow
/// later changes). Free an owned one with `ifclone_iface_free`; one borrowed from a list,
/// a create result or an event goes with that.
pub struct ifclone_iface {
    pub(crate) i: Interface,
    name: CString,
    kind: CString,
    stack: CString,
    oper: CString,
    description: Option<CString>,
    link_name: Option<CString>,
}

impl Handle for ifclone_iface {
    const NAME: &'static str = "ifclone_iface";
}

impl ifclone_iface {
    pub(crate) fn new(i: Interface) -> ifclone_iface {
        ifclone_iface {
            name: cstring(i.name.as_str()),
            kind: cstring(i.kind.name()),
            stack: cstring(&i.stack),
            oper: cstring(i.oper.as_str()),
            description: i.description.as_deref().map(cstring),
            link_name: i.link().and_then(|l| l.name).map(|n| cstring(n.as_str())),
            i,
        }
    }

    /// A boxed interface registered as borrowed from its owner; [`Lent::drop`] forgets it.
    pub(crate) fn lent(i: Interface) -> Lent {
        let b = Box::new(ifclone_iface::new(i));
        lend(&*b);
        Lent(b)
    }
}

/// An interface owned by another handle (a list, a create result, an event), which C may read
/// through a borrowed pointer while that handle lives.
pub(crate) struct Lent(Box<ifclone_iface>);

impl Lent {
    pub(crate) fn ptr(&self) -> *const ifclone_iface {
        &*self.0
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        unlend(&*self.0);
    }
}

fn iface<'a>(i: *const ifclone_iface) -> Res<&'a ifclone_iface> {
    handle(i, "iface")
}

/// The interface's name; NULL for an invalid handle.
#[no_mangle]
pub extern "C" fn ifclone_iface_name(iface_: *const ifclone_iface) -> *const c_char {
    value(std::ptr::null(), || Ok(iface(iface_)?.name.as_ptr()))
}

/// The interface's index in its stack (0 for an invalid handle).
#[no_mangle]
pub extern "C" fn ifclone_iface_index(iface_: *const ifclone_iface) -> u32 {
    value(0, || Ok(iface(iface_)?.i.index))
}

/// Its kind: a neutral kind name (`epair`, `vlan`, …), the kernel's kind string for a kind
/// ifclone does not model, or `device` for a physical one.
#[no_mangle]
pub extern "C" fn ifclone_iface_kind(iface_: *const ifclone_iface) -> *const c_char {
    value(std::ptr::null(), || Ok(iface(iface_)?.kind.as_ptr()))
}

/// The name of the stack it was read in.
#[no_mangle]
pub extern "C" fn ifclone_iface_stack(iface_: *const ifclone_iface) -> *const c_char {
    value(std::ptr::null(), || Ok(iface(iface_)?.stack.as_ptr()))
}

#[no_mangle]
pub extern "C" fn ifclone_iface_mtu(iface_: *const ifclone_iface) -> u32 {
    value(0, || Ok(iface(iface_)?.i.mtu))
}

/// Writes its MAC address (6 bytes) to `out_mac`; `IFCLONE_RESULT_NOT_FOUND` when it has none
/// (a tun, the loopback).
#[no_mangle]
pub extern "C" fn ifclone_iface_mac(
    iface_: *const ifclone_iface,
    out_mac: *mut u8,
) -> ifclone_result {
    call(|| {
        let i = iface(iface_)?;
        let out = OutBuf::new(out_mac, 6, "out_mac")?;
        let mac =
            i.i.mac
                .ok_or_else(|| ifclone::Error::not_found("mac", i.i.name.as_str()))?;
        out.write(&mac.0);
        Ok(())
    })
}

/// Administratively up (false for an invalid handle).
#[no_mangle]
pub extern "C" fn ifclone_iface_is_up(iface_: *const ifclone_iface) -> bool {
    value(false, || Ok(iface(iface_)?.i.up))
}

/// The operational state as the kernel reports it: `up`, `down`, `lowerlayerdown`, `unknown`, …
#[no_mangle]
pub extern "C" fn ifclone_iface_oper(iface_: *const ifclone_iface) -> *const c_char {
    value(std::ptr::null(), || Ok(iface(iface_)?.oper.as_ptr()))
}

/// Its description (Linux ifalias), or NULL when it has none.
#[no_mangle]
pub extern "C" fn ifclone_iface_description(iface_: *const ifclone_iface) -> *const c_char {
    value(std::ptr::null(), || Ok(ptr(&iface(iface_)?.description)))
}

/// The index of the bridge or lagg it is a port of, 0 when none.
#[no_mangle]
pub extern "C" fn ifclone_iface_master(iface_: *const ifclone_iface) -> u32 {
    value(0, || Ok(iface(iface_)?.i.master.unwrap_or(0)))
}

/// The name of its peer (epair) or parent (vlan, macvlan, macvtap), when the kernel says it;
/// NULL otherwise (Linux does not name a peer in another stack).
#[no_mangle]
pub extern "C" fn ifclone_iface_link_name(iface_: *const ifclone_iface) -> *const c_char {
    value(std::ptr::null(), || Ok(ptr(&iface(iface_)?.link_name)))
}

/// The index of its peer or parent in the stack that holds it, 0 when unknown or none.
#[no_mangle]
pub extern "C" fn ifclone_iface_link_index(iface_: *const ifclone_iface) -> u32 {
    value(0, || {
        Ok(iface(iface_)?.i.link().and_then(|l| l.index).unwrap_or(0))
    })
}

/// Whether its peer or parent lives in another stack (an epair across two stacks).
#[no_mangle]
pub extern "C" fn ifclone_iface_link_elsewhere(iface_: *const ifclone_iface) -> bool {
    value(false, || {
        Ok(iface(iface_)?
            .i
            .link()
            .is_some_and(|l| matches!(l.stack, LinkStack::Other { .. })))
    })
}

/// Frees an interface the caller owns (NULL is ignored).
#[no_mangle]
pub extern "C" fn ifclone_iface_free(iface_: *mut ifclone_iface) {
    free(iface_)
}

/// Reads one interface of the stack by name.
#[no_mangle]
pub extern "C" fn ifclone_stack_interface(
    stack: *const ifclone_stack,
    name: *const c_char,
    out: *mut *mut ifclone_iface,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        let name = text(name, "name")?;
        let out = Out::new(out, "out")?;
        out.write(give(ifclone_iface::new(s.s.interface(name)?)));
        Ok(())
    })
}

/// Every interface of a stack, from one dump. Free with `ifclone_iface_list_free`; the
/// interfaces it holds go with it.
pub struct ifclone_iface_list {
    items: Vec<Lent>,
}

impl Handle for ifclone_iface_list {
    const NAME: &'static str = "ifclone_iface_list";
}

/// Lists the stack's interfaces.
#[no_mangle]
pub extern "C" fn ifclone_stack_interfaces(
    stack: *const ifclone_stack,
    out: *mut *mut ifclone_iface_list,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        let out = Out::new(out, "out")?;
        let items =
            s.s.interfaces()?
                .into_iter()
                .map(ifclone_iface::lent)
                .collect();
        out.write(give(ifclone_iface_list { items }));
        Ok(())
    })
}

#[no_mangle]
pub extern "C" fn ifclone_iface_list_len(list: *const ifclone_iface_list) -> usize {
    value(0, || Ok(handle(list, "list")?.items.len()))
}

/// Interface `i` of the list (borrowed: it goes with the list), or NULL past the end.
#[no_mangle]
pub extern "C" fn ifclone_iface_list_get(
    list: *const ifclone_iface_list,
    i: usize,
) -> *const ifclone_iface {
    value(std::ptr::null(), || {
        Ok(handle(list, "list")?
            .items
            .get(i)
            .map_or(std::ptr::null(), Lent::ptr))
    })
}

/// Frees the list and the interfaces it holds (NULL is ignored).
#[no_mangle]
pub extern "C" fn ifclone_iface_list_free(list: *mut ifclone_iface_list) {
    free(list)
}

/// One change to the interface `name` of `stack`: the arguments checked, then `f`.
fn on_iface(
    stack: *const ifclone_stack,
    name: *const c_char,
    f: impl FnOnce(&ifclone::Stack, &str) -> Res,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        f(&s.s, text(name, "name")?)
    })
}

/// Sets an interface's MTU.
#[no_mangle]
pub extern "C" fn ifclone_stack_set_mtu(
    stack: *const ifclone_stack,
    name: *const c_char,
    mtu: u32,
) -> ifclone_result {
    on_iface(stack, name, |s, n| Ok(s.set_mtu(n, mtu)?))
}

/// Sets an interface's MAC address (`mac`: 6 bytes).
#[no_mangle]
pub extern "C" fn ifclone_stack_set_mac(
    stack: *const ifclone_stack,
    name: *const c_char,
    mac: *const u8,
) -> ifclone_result {
    on_iface(stack, name, |s, n| {
        let b: [u8; 6] = bytes(mac, 6, "mac")?.try_into().expect("6 bytes");
        Ok(s.set_mac(n, Mac(b))?)
    })
}

/// Sets an interface's description; "" clears it.
#[no_mangle]
pub extern "C" fn ifclone_stack_set_description(
    stack: *const ifclone_stack,
    name: *const c_char,
    description: *const c_char,
) -> ifclone_result {
    on_iface(stack, name, |s, n| {
        Ok(s.set_description(n, text(description, "description")?)?)
    })
}

/// Brings an interface up or down.
#[no_mangle]
pub extern "C" fn ifclone_stack_set_up(
    stack: *const ifclone_stack,
    name: *const c_char,
    up: bool,
) -> ifclone_result {
    on_iface(stack, name, |s, n| Ok(s.set_up(n, up)?))
}

/// Renames an interface. Linux refuses to rename an interface that is up
/// (`IFCLONE_RESULT_BUSY`) before 6.2; `ifclone_stack_rename_live` takes it down for the rename
/// where the kernel needs that.
#[no_mangle]
pub extern "C" fn ifclone_stack_rename(
    stack: *const ifclone_stack,
    name: *const c_char,
    new_name: *const c_char,
) -> ifclone_result {
    on_iface(stack, name, |s, n| {
        Ok(s.rename(n, text(new_name, "new_name")?)?)
    })
}

/// Renames an interface even when it is up (on a kernel that refuses that: down for the
/// rename, up again after, the old name and state put back if a step fails).
#[no_mangle]
pub extern "C" fn ifclone_stack_rename_live(
    stack: *const ifclone_stack,
    name: *const c_char,
    new_name: *const c_char,
) -> ifclone_result {
    on_iface(stack, name, |s, n| {
        Ok(s.rename_live(n, text(new_name, "new_name")?)?)
    })
}

/// Makes `port` a port of the bridge or lagg `name`.
#[no_mangle]
pub extern "C" fn ifclone_stack_add_port(
    stack: *const ifclone_stack,
    name: *const c_char,
    port: *const c_char,
) -> ifclone_result {
    on_iface(stack, name, |s, n| Ok(s.add_port(n, text(port, "port")?)?))
}

/// Takes `port` out of the bridge or lagg `name`.
#[no_mangle]
pub extern "C" fn ifclone_stack_del_port(
    stack: *const ifclone_stack,
    name: *const c_char,
    port: *const c_char,
) -> ifclone_result {
    on_iface(stack, name, |s, n| Ok(s.del_port(n, text(port, "port")?)?))
}

fn addr(a: *const c_char) -> Res<IfAddr> {
    Ok(text(a, "address")?.parse::<IfAddr>()?)
}

/// Adds an address, `"ADDR/PREFIX"` (`"10.0.0.1/24"`, `"fd00::1/64"`).
#[no_mangle]
pub extern "C" fn ifclone_stack_add_address(
    stack: *const ifclone_stack,
    name: *const c_char,
    address: *const c_char,
) -> ifclone_result {
    on_iface(stack, name, |s, n| Ok(s.add_address(n, addr(address)?)?))
}

/// Removes an address, `"ADDR/PREFIX"`.
#[no_mangle]
pub extern "C" fn ifclone_stack_del_address(
    stack: *const ifclone_stack,
    name: *const c_char,
    address: *const c_char,
) -> ifclone_result {
    on_iface(stack, name, |s, n| Ok(s.del_address(n, addr(address)?)?))
}

/// An interface's addresses, each `"ADDR/PREFIX"`.
#[no_mangle]
pub extern "C" fn ifclone_stack_addresses(
    stack: *const ifclone_stack,
    name: *const c_char,
    out: *mut *mut ifclone_strings,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        let name = text(name, "name")?;
        let out = Out::new(out, "out")?;
        let a = s.s.addresses(name)?;
        out.write(give(ifclone_strings::new(a.iter().map(|a| a.to_string()))));
        Ok(())
    })
}

/// Destroys one interface (an epair end destroys the pair).
#[no_mangle]
pub extern "C" fn ifclone_stack_destroy(
    stack: *const ifclone_stack,
    name: *const c_char,
) -> ifclone_result {
    on_iface(stack, name, |s, n| Ok(s.destroy(n)?))
}

/// Destroys `n` interfaces at once through the kernel's bulk path. Checked first, from one
/// listing: every name must be an interface the kernel can destroy, else nothing is destroyed.
#[no_mangle]
pub extern "C" fn ifclone_stack_destroy_many(
    stack: *const ifclone_stack,
    names: *const *const c_char,
    n: usize,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        let names = texts(names, n, "names")?;
        Ok(s.s.destroy_many(&names)?)
    })
}
