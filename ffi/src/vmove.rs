//! Moves between stacks (vmove, vmove_many, reclaim) with their options and receipts, and
//! recovery of moves whose process died.

use std::ffi::{c_char, CString};

use ifclone::vmove::{self, MoveOptions, Receipt, RecoverReport, Strategy};
use ifclone::{Error, IfName};

use crate::boundary::{
    call, cstring, free, give, handle, handle_mut, lend, opt_handle, opt_text, text, texts, unlend,
    value, Handle, Out,
};
use crate::ifclone_result;
use crate::stack::ifclone_stack;

/// How a move is done. Free with `ifclone_move_options_free`. NULL where a call takes options
/// means the defaults: the kind's own strategy, same name, addresses not carried.
pub struct ifclone_move_options {
    o: MoveOptions,
}

impl Handle for ifclone_move_options {
    const NAME: &'static str = "ifclone_move_options";
}

#[no_mangle]
pub extern "C" fn ifclone_move_options_new(out: *mut *mut ifclone_move_options) -> ifclone_result {
    call(|| {
        Out::new(out, "out")?.write(give(ifclone_move_options {
            o: MoveOptions::default(),
        }));
        Ok(())
    })
}

/// The name in the target (NULL: keep the name). Only for single moves.
#[no_mangle]
pub extern "C" fn ifclone_move_options_set_new_name(
    opts: *mut ifclone_move_options,
    name: *const c_char,
) -> ifclone_result {
    call(|| {
        let o = handle_mut(opts, "opts")?;
        o.o.new_name = opt_text(name, "name")?.map(IfName::new).transpose()?;
        Ok(())
    })
}

/// Forces a strategy, `"native"` (the kernel's move) or `"recreate"` (re-made in the target
/// from its saved parameters); NULL returns to the kind's own.
#[no_mangle]
pub extern "C" fn ifclone_move_options_set_strategy(
    opts: *mut ifclone_move_options,
    strategy: *const c_char,
) -> ifclone_result {
    call(|| {
        let o = handle_mut(opts, "opts")?;
        o.o.strategy = match opt_text(strategy, "strategy")? {
            None => None,
            Some(s) => Some(Strategy::parse(s).ok_or_else(|| {
                Error::invalid("move", s, "the strategies are native and recreate")
            })?),
        };
        Ok(())
    })
}

/// Re-adds the interface's addresses in the target (off by default: both kernels drop them).
#[no_mangle]
pub extern "C" fn ifclone_move_options_set_carry_addresses(
    opts: *mut ifclone_move_options,
    on: bool,
) -> ifclone_result {
    call(|| {
        handle_mut(opts, "opts")?.o.carry_addresses = on;
        Ok(())
    })
}

/// epair only: re-create whole pairs with one end in the target (the other end is re-created
/// too, with a new index).
#[no_mangle]
pub extern "C" fn ifclone_move_options_set_epair_fast_path(
    opts: *mut ifclone_move_options,
    on: bool,
) -> ifclone_result {
    call(|| {
        handle_mut(opts, "opts")?.o.epair_fast_path = on;
        Ok(())
    })
}

#[no_mangle]
pub extern "C" fn ifclone_move_options_free(opts: *mut ifclone_move_options) {
    free(opts)
}

/// What a move did and what it could not carry. Free with `ifclone_receipt_free`.
pub struct ifclone_receipt {
    r: Receipt,
    name: CString,
    from: CString,
    to: CString,
    strategy: CString,
    text: CString,
    parts: [Vec<CString>; 4],
}

impl Handle for ifclone_receipt {
    const NAME: &'static str = "ifclone_receipt";
}

/// What ifclone restored after the kernel dropped or changed it (`up`, `addresses`, `mtu`, …).
pub const IFCLONE_RECEIPT_RESTORED: u32 = 0;
/// What could not be carried (bridge/lagg membership, routes, a parent left behind; for a
/// re-create the old index and open fds).
pub const IFCLONE_RECEIPT_NOT_CARRIED: u32 = 1;
/// Addresses re-added in the target, `"ADDR/PREFIX"`.
pub const IFCLONE_RECEIPT_ADDRESSES: u32 = 2;
/// A lagg's ports that moved with it and joined it again, in joining order.
pub const IFCLONE_RECEIPT_PORTS: u32 = 3;

impl ifclone_receipt {
    fn new(r: Receipt) -> ifclone_receipt {
        let strings = |v: &mut dyn Iterator<Item = String>| v.map(|s| cstring(&s)).collect();
        ifclone_receipt {
            name: cstring(r.name.as_ref().map_or("", IfName::as_str)),
            from: cstring(&r.from),
            to: cstring(&r.to),
            strategy: cstring(&r.strategy.map(|s| s.to_string()).unwrap_or_default()),
            text: cstring(&r.to_string()),
            parts: [
                strings(&mut r.restored.iter().cloned()),
                strings(&mut r.not_carried.iter().cloned()),
                strings(&mut r.addresses.iter().map(|a| a.to_string())),
                strings(&mut r.ports.iter().map(|p| p.to_string())),
            ],
            r,
        }
    }
}

fn receipt<'a>(r: *const ifclone_receipt) -> crate::boundary::Res<&'a ifclone_receipt> {
    handle(r, "receipt")
}

/// The interface's name in the target stack.
#[no_mangle]
pub extern "C" fn ifclone_receipt_name(r: *const ifclone_receipt) -> *const c_char {
    value(std::ptr::null(), || Ok(receipt(r)?.name.as_ptr()))
}

/// Its index in the target stack.
#[no_mangle]
pub extern "C" fn ifclone_receipt_index(r: *const ifclone_receipt) -> u32 {
    value(0, || Ok(receipt(r)?.r.index))
}

/// The stack it came from.
#[no_mangle]
pub extern "C" fn ifclone_receipt_from(r: *const ifclone_receipt) -> *const c_char {
    value(std::ptr::null(), || Ok(receipt(r)?.from.as_ptr()))
}

/// The stack it is in now.
#[no_mangle]
pub extern "C" fn ifclone_receipt_to(r: *const ifclone_receipt) -> *const c_char {
    value(std::ptr::null(), || Ok(receipt(r)?.to.as_ptr()))
}

/// The strategy the move took: `"native"` or `"recreate"`.
#[no_mangle]
pub extern "C" fn ifclone_receipt_strategy(r: *const ifclone_receipt) -> *const c_char {
    value(std::ptr::null(), || Ok(receipt(r)?.strategy.as_ptr()))
}

/// How many items one part of the receipt has (`IFCLONE_RECEIPT_*`).
#[no_mangle]
pub extern "C" fn ifclone_receipt_len(r: *const ifclone_receipt, part: u32) -> usize {
    value(0, || {
        Ok(receipt(r)?.parts.get(part as usize).map_or(0, Vec::len))
    })
}

/// Item `i` of one part, or NULL past its end.
#[no_mangle]
pub extern "C" fn ifclone_receipt_item(
    r: *const ifclone_receipt,
    part: u32,
    i: usize,
) -> *const c_char {
    value(std::ptr::null(), || {
        Ok(receipt(r)?
            .parts
            .get(part as usize)
            .and_then(|p| p.get(i))
            .map_or(std::ptr::null(), |s| s.as_ptr()))
    })
}

/// The whole receipt as `ifc` prints it (several lines).
#[no_mangle]
pub extern "C" fn ifclone_receipt_text(r: *const ifclone_receipt) -> *const c_char {
    value(std::ptr::null(), || Ok(receipt(r)?.text.as_ptr()))
}

#[no_mangle]
pub extern "C" fn ifclone_receipt_free(r: *mut ifclone_receipt) {
    free(r)
}

fn options(opts: *const ifclone_move_options) -> crate::boundary::Res<MoveOptions> {
    Ok(opt_handle(opts, "opts")?.map_or_else(MoveOptions::default, |o| o.o.clone()))
}

/// Moves `name` from `from` into `to` under the vmove contract (docs/vmove.md): all or
/// nothing; a failure is undone, a crash is finished or undone by the next ifclone call that
/// touches either stack. `opts` may be NULL.
#[no_mangle]
pub extern "C" fn ifclone_vmove(
    from: *const ifclone_stack,
    name: *const c_char,
    to: *const ifclone_stack,
    opts: *const ifclone_move_options,
    out: *mut *mut ifclone_receipt,
) -> ifclone_result {
    call(|| {
        let f = handle(from, "from")?;
        let name = text(name, "name")?;
        let t = handle(to, "to")?;
        let o = options(opts)?;
        let out = Out::new(out, "out")?;
        let r = vmove::vmove(&f.s, name, &t.s, &o)?;
        out.write(give(ifclone_receipt::new(r)));
        Ok(())
    })
}

/// Sends `name` from `stack` back to its home (the stack it was moved or created from; with no
/// record, the host). `opts` may be NULL.
#[no_mangle]
pub extern "C" fn ifclone_reclaim(
    stack: *const ifclone_stack,
    name: *const c_char,
    opts: *const ifclone_move_options,
    out: *mut *mut ifclone_receipt,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        let name = text(name, "name")?;
        let o = options(opts)?;
        let out = Out::new(out, "out")?;
        let r = vmove::reclaim(&s.s, name, &o)?;
        out.write(give(ifclone_receipt::new(r)));
        Ok(())
    })
}

/// The receipts of one `ifclone_vmove_many`, in the order of the names. Free with
/// `ifclone_receipt_list_free`; the receipts go with it.
pub struct ifclone_receipt_list {
    /// Never grown once lent: the receipts' addresses are what C holds.
    items: Vec<ifclone_receipt>,
}

impl Handle for ifclone_receipt_list {
    const NAME: &'static str = "ifclone_receipt_list";
}

impl Drop for ifclone_receipt_list {
    fn drop(&mut self) {
        for r in &self.items {
            unlend(r);
        }
    }
}

/// Moves `n` interfaces from `from` into `to` as one transaction: all move, or none.
#[no_mangle]
pub extern "C" fn ifclone_vmove_many(
    from: *const ifclone_stack,
    names: *const *const c_char,
    n: usize,
    to: *const ifclone_stack,
    opts: *const ifclone_move_options,
    out: *mut *mut ifclone_receipt_list,
) -> ifclone_result {
    call(|| {
        let f = handle(from, "from")?;
        let names = texts(names, n, "names")?;
        let t = handle(to, "to")?;
        let o = options(opts)?;
        let out = Out::new(out, "out")?;
        let rs = vmove::vmove_many(&f.s, &names, &t.s, &o)?;
        let items: Vec<ifclone_receipt> = rs.into_iter().map(ifclone_receipt::new).collect();
        for r in &items {
            lend(r);
        }
        out.write(give(ifclone_receipt_list { items }));
        Ok(())
    })
}

#[no_mangle]
pub extern "C" fn ifclone_receipt_list_len(list: *const ifclone_receipt_list) -> usize {
    value(0, || Ok(handle(list, "list")?.items.len()))
}

/// Receipt `i` (borrowed: it goes with the list), or NULL past the end.
#[no_mangle]
pub extern "C" fn ifclone_receipt_list_get(
    list: *const ifclone_receipt_list,
    i: usize,
) -> *const ifclone_receipt {
    value(std::ptr::null(), || {
        Ok(handle(list, "list")?
            .items
            .get(i)
            .map_or(std::ptr::null(), |r| r as *const ifclone_receipt))
    })
}

#[no_mangle]
pub extern "C" fn ifclone_receipt_list_free(list: *mut ifclone_receipt_list) {
    free(list)
}

/// What `ifclone_recover` did. Free with `ifclone_recover_report_free`.
pub struct ifclone_recover_report {
    missing: bool,
    parts: [Vec<CString>; 2],
}

impl Handle for ifclone_recover_report {
    const NAME: &'static str = "ifclone_recover_report";
}

/// One line per interface recovery dealt with: finished, undone, re-created, or MISSING.
pub const IFCLONE_RECOVER_RECOVERED: u32 = 0;
/// One line per ledger record dropped because it no longer matched the kernel.
pub const IFCLONE_RECOVER_DROPPED: u32 = 1;

/// Finishes or undoes every move whose process died, then checks the ledger against the
/// kernel (`ifc recover`). Moves of processes that still run are left alone. `IFCLONE_RESULT_OK`
/// with `ifclone_recover_report_has_missing` true means an interface could be neither found nor
/// re-created: treat it as a failure.
#[no_mangle]
pub extern "C" fn ifclone_recover(out: *mut *mut ifclone_recover_report) -> ifclone_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let r: RecoverReport = vmove::recover()?;
        out.write(give(ifclone_recover_report {
            missing: r.has_missing(),
            parts: [
                r.recovered
                    .iter()
                    .map(|x| cstring(&x.to_string()))
                    .collect(),
                r.dropped
                    .iter()
                    .map(|(s, n, why)| cstring(&format!("{n} in stack {s}: {why}")))
                    .collect(),
            ],
        }));
        Ok(())
    })
}

/// Whether an interface could be neither found nor re-created.
#[no_mangle]
pub extern "C" fn ifclone_recover_report_has_missing(r: *const ifclone_recover_report) -> bool {
    value(false, || Ok(handle(r, "report")?.missing))
}

/// How many lines one part has (`IFCLONE_RECOVER_*`).
#[no_mangle]
pub extern "C" fn ifclone_recover_report_len(r: *const ifclone_recover_report, part: u32) -> usize {
    value(0, || {
        Ok(handle(r, "report")?
            .parts
            .get(part as usize)
            .map_or(0, Vec::len))
    })
}

/// Line `i` of one part, or NULL past its end.
#[no_mangle]
pub extern "C" fn ifclone_recover_report_item(
    r: *const ifclone_recover_report,
    part: u32,
    i: usize,
) -> *const c_char {
    value(std::ptr::null(), || {
        Ok(handle(r, "report")?
            .parts
            .get(part as usize)
            .and_then(|p| p.get(i))
            .map_or(std::ptr::null(), |s| s.as_ptr()))
    })
}

#[no_mangle]
pub extern "C" fn ifclone_recover_report_free(r: *mut ifclone_recover_report) {
    free(r)
}
