//! Watching stacks: a pollable fd and a next-event call over the Rust library's gapless event
//! stream. A resync (the kernel dropped notifications) is delivered as a `resync` event followed
//! by the difference it found, as ordinary events, one per call.

use std::collections::VecDeque;
use std::ffi::{c_char, c_int, CString};
use std::os::fd::AsRawFd;
use std::time::Duration;

use ifclone::watch::{Event, Watcher};

use crate::boundary::{call, cstring, free, give, handle, handle_mut, handles, ptr, value};
use crate::boundary::{Handle, Out};
use crate::iface::{ifclone_iface, Lent};
use crate::ifclone_result;
use crate::stack::ifclone_stack;

/// A watcher over some stacks. Free with `ifclone_watch_free`.
pub struct ifclone_watch {
    w: Watcher,
    /// Events of a resync still to deliver.
    queue: VecDeque<Event>,
}

impl Handle for ifclone_watch {
    const NAME: &'static str = "ifclone_watch";
}

/// Starts watching `n` stacks: each is listed once (the start), then every change arrives as an
/// event. The stack handles may be freed afterwards.
#[no_mangle]
pub extern "C" fn ifclone_watch_new(
    stacks: *const *const ifclone_stack,
    n: usize,
    out: *mut *mut ifclone_watch,
) -> ifclone_result {
    call(|| {
        let hs = handles(stacks, n, "stacks")?;
        let out = Out::new(out, "out")?;
        let stacks: Vec<&ifclone::Stack> = hs.iter().map(|h| &h.s).collect();
        let w = Watcher::new(&stacks)?;
        out.write(give(ifclone_watch {
            w,
            queue: VecDeque::new(),
        }));
        Ok(())
    })
}

/// A descriptor that polls readable when events may be ready; then call `ifclone_watch_next`
/// with timeout 0 until it gives no event. The watcher owns it: do not close it; it is valid
/// until `ifclone_watch_free`. -1 on failure (see the last error).
#[no_mangle]
pub extern "C" fn ifclone_watch_fd(watch: *mut ifclone_watch) -> c_int {
    value(-1, || Ok(handle_mut(watch, "watch")?.w.fd()?.as_raw_fd()))
}

/// The next event, waiting up to `timeout_ms` (negative: for ever; 0: only one already there).
/// On success `*out` is the event (free it with `ifclone_event_free`), or NULL when the time
/// passed without one.
#[no_mangle]
pub extern "C" fn ifclone_watch_next(
    watch: *mut ifclone_watch,
    timeout_ms: c_int,
    out: *mut *mut ifclone_event,
) -> ifclone_result {
    call(|| {
        let w = handle_mut(watch, "watch")?;
        let out = Out::new(out, "out")?;
        let e = match w.queue.pop_front() {
            Some(e) => Some(e),
            None => {
                let t = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
                w.w.next(t)?
            }
        };
        let e = match e {
            Some(Event::Resync { stack, diff }) => {
                let n = diff.len();
                w.queue.extend(diff);
                Some(ifclone_event::resync(&stack, n))
            }
            Some(e) => Some(ifclone_event::new(&e)),
            None => None,
        };
        out.write(e.map_or(std::ptr::null_mut(), give));
        Ok(())
    })
}

#[no_mangle]
pub extern "C" fn ifclone_watch_free(watch: *mut ifclone_watch) {
    free(watch)
}

/// One event. Free with `ifclone_event_free`.
pub struct ifclone_event {
    ty: &'static std::ffi::CStr,
    stack: CString,
    iface: Option<Lent>,
    /// Renamed: the old name; moved: the stack it came from; address events: the address;
    /// changed: the fields; resync: how many events follow.
    detail: Option<CString>,
}

impl Handle for ifclone_event {
    const NAME: &'static str = "ifclone_event";
}

impl ifclone_event {
    fn resync(stack: &str, n: usize) -> ifclone_event {
        ifclone_event {
            ty: c"resync",
            stack: cstring(stack),
            iface: None,
            detail: Some(cstring(&n.to_string())),
        }
    }

    fn new(e: &Event) -> ifclone_event {
        let with = |ty, i: &ifclone::Interface, detail: Option<String>| ifclone_event {
            ty,
            stack: cstring(&i.stack),
            iface: Some(ifclone_iface::lent(i.clone())),
            detail: detail.as_deref().map(cstring),
        };
        let bare = |ty, stack: &str, detail: String| ifclone_event {
            ty,
            stack: cstring(stack),
            iface: None,
            detail: Some(cstring(&detail)),
        };
        match e {
            Event::Arrived(i) => with(c"arrived", i, None),
            Event::Departed { iface, moved_to } => with(
                c"departed",
                iface,
                moved_to
                    .as_ref()
                    .and_then(|d| d.stack.as_deref().map(str::to_string)),
            ),
            Event::Moved { from, iface, .. } => with(c"moved", iface, Some(from.stack.to_string())),
            Event::Renamed { old, iface } => with(c"renamed", iface, Some(old.to_string())),
            Event::Changed { what, iface } => with(c"changed", iface, Some(what.to_string())),
            Event::AddressAdded {
                stack, name, addr, ..
            } => bare(c"address-added", stack, addr_of(name, addr)),
            Event::AddressRemoved {
                stack, name, addr, ..
            } => bare(c"address-removed", stack, addr_of(name, addr)),
            Event::StackCreated { name } => bare(c"stack-created", name, name.clone()),
            Event::StackRemoved { name } => bare(c"stack-removed", name, name.clone()),
            Event::Resync { stack, diff } => Self::resync(stack, diff.len()),
            _ => bare(c"other", e.stack(), String::new()),
        }
    }
}

fn addr_of(name: &Option<ifclone::IfName>, addr: &ifclone::IfAddr) -> String {
    match name {
        Some(n) => format!("{addr} {n}"),
        None => addr.to_string(),
    }
}

/// What happened: `arrived`, `departed`, `moved`, `renamed`, `changed`, `address-added`,
/// `address-removed`, `resync`, `stack-created`, `stack-removed` (new types may be added).
#[no_mangle]
pub extern "C" fn ifclone_event_type(e: *const ifclone_event) -> *const c_char {
    value(std::ptr::null(), || Ok(handle(e, "event")?.ty.as_ptr()))
}

/// The stack it happened in (a move's target; the stack itself for stack events).
#[no_mangle]
pub extern "C" fn ifclone_event_stack(e: *const ifclone_event) -> *const c_char {
    value(std::ptr::null(), || Ok(handle(e, "event")?.stack.as_ptr()))
}

/// The interface as it is now (departed: as it was last), borrowed from the event; NULL for
/// address, stack and resync events.
#[no_mangle]
pub extern "C" fn ifclone_event_iface(e: *const ifclone_event) -> *const ifclone_iface {
    value(std::ptr::null(), || {
        Ok(handle(e, "event")?
            .iface
            .as_ref()
            .map_or(std::ptr::null(), Lent::ptr))
    })
}

/// The type's detail: renamed — the old name; moved — the stack it came from; departed — the
/// stack it moved to, when known; changed — the fields (`mtu,up`); address events — `ADDR/PLEN
/// IFNAME`; resync — how many events follow. NULL when none.
#[no_mangle]
pub extern "C" fn ifclone_event_detail(e: *const ifclone_event) -> *const c_char {
    value(std::ptr::null(), || Ok(ptr(&handle(e, "event")?.detail)))
}

#[no_mangle]
pub extern "C" fn ifclone_event_free(e: *mut ifclone_event) {
    free(e)
}
