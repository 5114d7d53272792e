//! Stacks: open, create, list, remove (with its report), and the cloners a stack offers.

use std::ffi::{c_char, CString};

use ifclone::vmove::RemoveOptions;
use ifclone::{RemoveReport, Stack, StackInfo, StackSel};

use crate::boundary::{call, cstring, free, give, handle, ptr, text, value, Handle, Out};
use crate::{ifclone_result, ifclone_strings};

/// One network stack (a Linux network namespace, a FreeBSD VNET jail). Free with
/// `ifclone_stack_free`; freeing the handle does not remove the stack.
pub struct ifclone_stack {
    pub(crate) s: Stack,
    name: CString,
}

impl Handle for ifclone_stack {
    const NAME: &'static str = "ifclone_stack";
}

impl ifclone_stack {
    fn give(s: Stack) -> *mut ifclone_stack {
        let name = cstring(s.name());
        give(ifclone_stack { s, name })
    }
}

/// Opens the host's own stack.
#[no_mangle]
pub extern "C" fn ifclone_stack_host(out: *mut *mut ifclone_stack) -> ifclone_result {
    call(|| {
        let out = Out::new(out, "out")?;
        out.write(ifclone_stack::give(Stack::host()?));
        Ok(())
    })
}

/// Opens an existing stack: `"host"`, a name, `"pid:N"` (the stack of process N), `"jid:N"`
/// (FreeBSD: a jail id) or a path (Linux: a netns file such as `/proc/N/ns/net`).
#[no_mangle]
pub extern "C" fn ifclone_stack_open(
    stack: *const c_char,
    out: *mut *mut ifclone_stack,
) -> ifclone_result {
    call(|| {
        let sel = text(stack, "stack")?;
        let out = Out::new(out, "out")?;
        out.write(ifclone_stack::give(Stack::open(StackSel::parse(sel))?));
        Ok(())
    })
}

/// Creates a named, persistent stack (Linux: `/run/netns/NAME`, seen by `ip netns`; FreeBSD: a
/// persistent VNET jail) and opens it.
#[no_mangle]
pub extern "C" fn ifclone_stack_create(
    name: *const c_char,
    out: *mut *mut ifclone_stack,
) -> ifclone_result {
    call(|| {
        let name = text(name, "name")?;
        let out = Out::new(out, "out")?;
        out.write(ifclone_stack::give(Stack::create(name)?));
        Ok(())
    })
}

/// The stack's name (`"host"` for the host's own); NULL for an invalid handle. Lives as long as
/// the handle.
#[no_mangle]
pub extern "C" fn ifclone_stack_name(stack: *const ifclone_stack) -> *const c_char {
    value(std::ptr::null(), || {
        Ok(handle(stack, "stack")?.name.as_ptr())
    })
}

/// Whether this is the host's own stack (false for an invalid handle).
#[no_mangle]
pub extern "C" fn ifclone_stack_is_host(stack: *const ifclone_stack) -> bool {
    value(false, || Ok(handle(stack, "stack")?.s.is_host()))
}

/// Closes the handle (NULL is ignored). The stack itself stays.
#[no_mangle]
pub extern "C" fn ifclone_stack_free(stack: *mut ifclone_stack) {
    free(stack)
}

/// What `ifclone_stack_remove` did. Free with `ifclone_remove_report_free`.
pub struct ifclone_remove_report {
    /// One list per part, each entry (interface name, detail).
    parts: [Vec<(CString, Option<CString>)>; 4],
}

impl Handle for ifclone_remove_report {
    const NAME: &'static str = "ifclone_remove_report";
}

/// Interfaces returned to their home stack; the detail is the home stack.
pub const IFCLONE_REMOVE_RETURNED: u32 = 0;
/// With `force` only: loans that could not go home and died with the stack; the detail is why.
pub const IFCLONE_REMOVE_LOST: u32 = 1;
/// Interfaces made inside the stack on top of a loan, destroyed so the loan could go home; no
/// detail.
pub const IFCLONE_REMOVE_DESTROYED: u32 = 2;
/// Loans the ledger recorded that were no longer in the stack (their records were dropped);
/// the detail is the home stack.
pub const IFCLONE_REMOVE_GONE: u32 = 3;

impl ifclone_remove_report {
    fn of(r: &RemoveReport) -> ifclone_remove_report {
        let pairs = |v: &[(ifclone::IfName, String)]| {
            v.iter()
                .map(|(n, d)| (cstring(n.as_str()), Some(cstring(d))))
                .collect()
        };
        ifclone_remove_report {
            parts: [
                pairs(&r.returned),
                pairs(&r.lost),
                r.destroyed
                    .iter()
                    .map(|n| (cstring(n.as_str()), None))
                    .collect(),
                pairs(&r.gone),
            ],
        }
    }
}

/// Removes the stack: every interface whose home is another stack goes home first, then the
/// stack goes and the kernel destroys what was made inside. When a loan cannot go home the
/// stack is kept and the call fails with `IFCLONE_RESULT_NOT_RETURNED` (the last error lists
/// each loan and why) — unless `force`, which removes it anyway and lists those loans as
/// `IFCLONE_REMOVE_LOST`. `out` may be NULL; the handle stays the caller's to free.
#[no_mangle]
pub extern "C" fn ifclone_stack_remove(
    stack: *const ifclone_stack,
    force: bool,
    out: *mut *mut ifclone_remove_report,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        let out = Out::opt(out);
        let r = s.s.clone().remove_with(RemoveOptions { force })?;
        if let Some(out) = out {
            out.write(give(ifclone_remove_report::of(&r)));
        }
        Ok(())
    })
}

/// How many entries one part of the report has (`IFCLONE_REMOVE_*`); 0 for an unknown part or
/// an invalid handle.
#[no_mangle]
pub extern "C" fn ifclone_remove_report_len(
    report: *const ifclone_remove_report,
    part: u32,
) -> usize {
    value(0, || {
        Ok(handle(report, "report")?
            .parts
            .get(part as usize)
            .map_or(0, Vec::len))
    })
}

/// The interface name of entry `i` of a part, or NULL past its end.
#[no_mangle]
pub extern "C" fn ifclone_remove_report_name(
    report: *const ifclone_remove_report,
    part: u32,
    i: usize,
) -> *const c_char {
    value(std::ptr::null(), || {
        Ok(entry(handle(report, "report")?, part, i).map_or(std::ptr::null(), |e| e.0.as_ptr()))
    })
}

/// The detail of entry `i` of a part (see `IFCLONE_REMOVE_*`), or NULL.
#[no_mangle]
pub extern "C" fn ifclone_remove_report_detail(
    report: *const ifclone_remove_report,
    part: u32,
    i: usize,
) -> *const c_char {
    value(std::ptr::null(), || {
        Ok(entry(handle(report, "report")?, part, i).map_or(std::ptr::null(), |e| ptr(&e.1)))
    })
}

fn entry(r: &ifclone_remove_report, part: u32, i: usize) -> Option<&(CString, Option<CString>)> {
    r.parts.get(part as usize)?.get(i)
}

/// Frees a remove report (NULL is ignored).
#[no_mangle]
pub extern "C" fn ifclone_remove_report_free(report: *mut ifclone_remove_report) {
    free(report)
}

/// The named stacks, as listed once. Free with `ifclone_stack_list_free`.
pub struct ifclone_stack_list {
    items: Vec<(CString, u64)>,
}

impl Handle for ifclone_stack_list {
    const NAME: &'static str = "ifclone_stack_list";
}

/// Lists the named stacks.
#[no_mangle]
pub extern "C" fn ifclone_stacks(out: *mut *mut ifclone_stack_list) -> ifclone_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let items = Stack::list()?
            .into_iter()
            .map(|i: StackInfo| (cstring(&i.name), i.id))
            .collect();
        out.write(give(ifclone_stack_list { items }));
        Ok(())
    })
}

/// How many stacks the list holds.
#[no_mangle]
pub extern "C" fn ifclone_stack_list_len(list: *const ifclone_stack_list) -> usize {
    value(0, || Ok(handle(list, "list")?.items.len()))
}

/// The name of stack `i`, or NULL past the end.
#[no_mangle]
pub extern "C" fn ifclone_stack_list_name(
    list: *const ifclone_stack_list,
    i: usize,
) -> *const c_char {
    value(std::ptr::null(), || {
        Ok(handle(list, "list")?
            .items
            .get(i)
            .map_or(std::ptr::null(), |e| e.0.as_ptr()))
    })
}

/// The kernel id of stack `i` (Linux: the netns inode; FreeBSD: the jid), 0 past the end.
#[no_mangle]
pub extern "C" fn ifclone_stack_list_id(list: *const ifclone_stack_list, i: usize) -> u64 {
    value(0, || {
        Ok(handle(list, "list")?.items.get(i).map_or(0, |e| e.1))
    })
}

/// Frees a stack list (NULL is ignored).
#[no_mangle]
pub extern "C" fn ifclone_stack_list_free(list: *mut ifclone_stack_list) {
    free(list)
}

/// The kinds this stack's OS can create (`ifconfig -C`), by their neutral names (`epair`,
/// `vlan`, `tap`, …).
#[no_mangle]
pub extern "C" fn ifclone_stack_cloners(
    stack: *const ifclone_stack,
    out: *mut *mut ifclone_strings,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        let out = Out::new(out, "out")?;
        let kinds = s.s.cloners()?;
        out.write(give(ifclone_strings::new(kinds.iter().map(|k| k.as_str()))));
        Ok(())
    })
}
