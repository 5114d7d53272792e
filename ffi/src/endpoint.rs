//! VM endpoints: an endpoint described in ifclone's stored JSON (format ifclone-endpoints,
//! docs/endpoints.md) attached in a stack — a tap alone, a veth or macvlan joined to a tap
//! (bridged, tc-filter) or a macvtap — its queue and vhost-net fds handed over, and detached
//! again (exactly what attach made).

use std::ffi::{c_char, CString};
use std::os::fd::OwnedFd;

use ifclone::endpoint::{self, Attached};

use crate::boundary::{call, cstring, free, give, handle, handle_mut, text, value, Handle};
use crate::boundary::{Out, OutBuf};
use crate::error::LastError;
use crate::ifclone_result;
use crate::stack::ifclone_stack;

/// An attached endpoint. `ifclone_endpoint_detach` removes what was made;
/// `ifclone_endpoint_free` alone leaves it (a hypervisor may still use it).
pub struct ifclone_endpoint {
    a: Option<Attached>,
    taps: Vec<OwnedFd>,
    vhosts: Vec<OwnedFd>,
    netdev: CString,
}

impl Handle for ifclone_endpoint {
    const NAME: &'static str = "ifclone_endpoint";
}

/// Attaches endpoint `index` of `json` (an endpoint list in the stored format:
/// `{"format":"ifclone-endpoints","version":1,"endpoints":[…]}`) in `stack`: one transaction,
/// everything checked first, a failure half-way removes what was made. A damaged document is
/// `IFCLONE_RESULT_CORRUPT` with the line and column; an index past the list `NOT_FOUND`.
#[no_mangle]
pub extern "C" fn ifclone_endpoint_attach(
    stack: *const ifclone_stack,
    json: *const c_char,
    index: usize,
    out: *mut *mut ifclone_endpoint,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        let json = text(json, "json")?;
        let out = Out::new(out, "out")?;
        let list = endpoint::from_json(json, "the json argument")?;
        let e = list.get(index).ok_or_else(|| {
            ifclone::Error::not_found("attach endpoint", format!("#{index} of {}", list.len()))
        })?;
        let mut a = endpoint::attach(&s.s, e)?;
        let (netdev, taps, vhosts) = match a.take_fds() {
            Some(f) => {
                let netdev = f.qemu_netdev("net0");
                let (q, v) = f.into_parts();
                (netdev, q.into_iter().map(OwnedFd::from).collect(), v)
            }
            None => (String::new(), Vec::new(), Vec::new()),
        };
        out.write(give(ifclone_endpoint {
            a: Some(a),
            taps,
            vhosts,
            netdev: cstring(&netdev),
        }));
        Ok(())
    })
}

/// How many tap queue fds and vhost-net fds the endpoint still holds.
#[no_mangle]
pub extern "C" fn ifclone_endpoint_fd_count(ep: *const ifclone_endpoint, vhost: bool) -> usize {
    value(0, || {
        let e = handle(ep, "ep")?;
        Ok(if vhost { e.vhosts.len() } else { e.taps.len() })
    })
}

/// Hands the tap queue fds (`vhost` false) or the vhost-net fds (`vhost` true) over, in queue
/// order, as `ifclone_created_take_fds` does: the caller owns them and closes them.
#[no_mangle]
pub extern "C" fn ifclone_endpoint_take_fds(
    ep: *mut ifclone_endpoint,
    vhost: bool,
    out_fds: *mut i32,
    cap: usize,
    out_n: *mut usize,
) -> ifclone_result {
    call(|| {
        let e = handle_mut(ep, "ep")?;
        let buf = OutBuf::new(out_fds, cap, "out_fds")?;
        let out_n = Out::new(out_n, "out_n")?;
        let fds = if vhost { &mut e.vhosts } else { &mut e.taps };
        crate::create::take(fds, buf, out_n)
    })
}

/// QEMU's `-netdev` value for the fds as attach opened them, with id `net0`
/// (`tap,id=net0,fds=7:8,vhost=on,vhostfds=9:10`); "" for a vhost-user endpoint. The numbers
/// are this process's: a hypervisor started by fork+exec must inherit them (clear FD_CLOEXEC in
/// the child).
#[no_mangle]
pub extern "C" fn ifclone_endpoint_qemu_netdev(ep: *const ifclone_endpoint) -> *const c_char {
    value(std::ptr::null(), || Ok(handle(ep, "ep")?.netdev.as_ptr()))
}

/// Removes what attach made, latest first (the fds still held are closed first). Something
/// already gone is not an error; every step is tried and the first failure returned. The handle
/// stays to be freed.
#[no_mangle]
pub extern "C" fn ifclone_endpoint_detach(ep: *mut ifclone_endpoint) -> ifclone_result {
    call(|| {
        let e = handle_mut(ep, "ep")?;
        e.taps.clear();
        e.vhosts.clear();
        match e.a.take() {
            Some(a) => Ok(a.detach()?),
            None => Err(LastError::simple(
                ifclone_result::InvalidHandle,
                "the endpoint was detached already".into(),
            )),
        }
    })
}

/// Frees the handle and closes the fds it still holds (NULL is ignored); an endpoint not
/// detached stays.
#[no_mangle]
pub extern "C" fn ifclone_endpoint_free(ep: *mut ifclone_endpoint) {
    free(ep)
}
