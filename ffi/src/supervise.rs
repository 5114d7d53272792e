//! The supervisor: a macvtap, macvlan or vlan kept alive on its lower device, re-created with
//! the same name, MAC and MTU every time the lower comes back, each generation with new checked
//! fds. Like the watcher: a pollable fd and a next-step call.

use std::ffi::{c_char, c_int, CString};
use std::os::fd::OwnedFd;
use std::time::Duration;

use ifclone::supervise::{
    DependentKind, DependentSpec, LostReason, LowerMatch, Supervised, Supervisor,
};
use ifclone::{Error, KindSpec, Mac};

use crate::boundary::{
    bytes, call, cstring, free, give, handle, handle_mut, opt_handle, ptr, value, Handle, Out,
    OutBuf, Res,
};
use crate::create::ifclone_params;
use crate::error::LastError;
use crate::iface::{ifclone_iface, Lent};
use crate::ifclone_result;
use crate::stack::ifclone_stack;

/// A supervisor. `ifclone_supervisor_stop` destroys the dependent; `ifclone_supervisor_free`
/// alone leaves it as it is (for a consumer still using it).
pub struct ifclone_supervisor {
    s: Option<Supervisor>,
}

impl Handle for ifclone_supervisor {
    const NAME: &'static str = "ifclone_supervisor";
}

fn spec(p: &ifclone_params, lower_mac: Option<Mac>, queues: u16) -> Res<DependentSpec> {
    let kind = p.kind.kind();
    let parent_word = match kind {
        ifclone::KindName::Vlan => "vlandev",
        _ => "macvlandev",
    };
    let bad = |d: &str| Error::invalid("supervise", kind.as_str(), d.to_string());
    let name = p
        .name
        .ok_or_else(|| bad("the dependent needs a name (ifclone_params_set name)"))?;
    let lower_name = p
        .kind
        .get(parent_word)
        .map(ifclone::IfName::new)
        .transpose()?;
    // The kind's own words make the spec; a lower matched by MAC alone stands in by name.
    let mut words = p.kind.clone();
    if lower_name.is_none() {
        words.set(parent_word, name.as_str())?;
    }
    let dep = match words.spec()? {
        KindSpec::Macvtap { mode, .. } => DependentKind::Macvtap {
            mode,
            queues: queues.max(1),
        },
        KindSpec::Macvlan { mode, .. } => DependentKind::Macvlan { mode },
        KindSpec::Vlan { id, proto, .. } => DependentKind::Vlan { id, proto },
        _ => return Err(bad("only a macvtap, macvlan or vlan can be supervised").into()),
    };
    let mut s = DependentSpec::new(
        name,
        dep,
        LowerMatch {
            name: lower_name,
            mac: lower_mac,
        },
    );
    s.mac = p.change.mac;
    s.mtu = p.change.mtu;
    Ok(s)
}

/// Supervises a dependent described by `params` (kind `macvtap`, `macvlan` or `vlan`; `name`
/// is the dependent's; its mode or vlan id, `ether` and `mtu` as when creating). The lower is
/// matched by the parent keyword (`macvlandev` / `vlandev`) as a name and/or by `lower_mac`
/// (6 bytes, may be NULL): every part given must match; at least one is needed. `queues` is a
/// macvtap's number of fds per generation (0 means 1). `into` (may be NULL) places a macvtap or
/// macvlan in another stack. A dependent left by an earlier run on the same lower is taken
/// over; any other interface of its name is `IFCLONE_RESULT_EXISTS`.
#[no_mangle]
pub extern "C" fn ifclone_supervisor_start(
    stack: *const ifclone_stack,
    params: *const ifclone_params,
    lower_mac: *const u8,
    queues: u16,
    into: *const ifclone_stack,
    out: *mut *mut ifclone_supervisor,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        let p = handle(params, "params")?;
        let mac = if lower_mac.is_null() {
            None
        } else {
            Some(Mac(bytes(lower_mac, 6, "lower_mac")?
                .try_into()
                .expect("6 bytes")))
        };
        let into = opt_handle(into, "into")?;
        let out = Out::new(out, "out")?;
        let sup = Supervisor::start_into(&s.s, spec(p, mac, queues)?, into.map(|h| &h.s))?;
        out.write(give(ifclone_supervisor { s: Some(sup) }));
        Ok(())
    })
}

fn running(h: &mut ifclone_supervisor) -> Res<&mut Supervisor> {
    h.s.as_mut().ok_or_else(|| {
        LastError::simple(
            ifclone_result::InvalidHandle,
            "the supervisor was stopped".into(),
        )
    })
}

/// A descriptor that polls readable when a step may be ready; then call
/// `ifclone_supervisor_next` with timeout 0 until it gives none. Owned by the supervisor: do
/// not close it. -1 on failure.
#[no_mangle]
pub extern "C" fn ifclone_supervisor_fd(sup: *mut ifclone_supervisor) -> c_int {
    value(-1, || {
        Ok(std::os::fd::AsRawFd::as_raw_fd(
            &running(handle_mut(sup, "sup")?)?.fd()?,
        ))
    })
}

/// The generation alive now (0: none yet, or the supervisor was stopped).
#[no_mangle]
pub extern "C" fn ifclone_supervisor_generation(sup: *const ifclone_supervisor) -> u64 {
    value(0, || {
        Ok(handle(sup, "sup")?.s.as_ref().map_or(0, |s| s.generation()))
    })
}

/// The next step, waiting up to `timeout_ms` (negative: for ever). `*out` is the step (free it
/// with `ifclone_supervised_free`), or NULL when the time passed without one.
#[no_mangle]
pub extern "C" fn ifclone_supervisor_next(
    sup: *mut ifclone_supervisor,
    timeout_ms: c_int,
    out: *mut *mut ifclone_supervised,
) -> ifclone_result {
    call(|| {
        let s = running(handle_mut(sup, "sup")?)?;
        let out = Out::new(out, "out")?;
        let t = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
        let step = s.next(t)?.map(ifclone_supervised::new);
        out.write(step.map_or(std::ptr::null_mut(), give));
        Ok(())
    })
}

/// Stops supervising and destroys the dependent; the handle stays to be freed.
#[no_mangle]
pub extern "C" fn ifclone_supervisor_stop(sup: *mut ifclone_supervisor) -> ifclone_result {
    call(|| {
        let h = handle_mut(sup, "sup")?;
        match h.s.take() {
            Some(s) => Ok(s.stop()?),
            None => Ok(()),
        }
    })
}

/// Frees the supervisor (NULL is ignored); a dependent not stopped stays as it is.
#[no_mangle]
pub extern "C" fn ifclone_supervisor_free(sup: *mut ifclone_supervisor) {
    free(sup)
}

/// One step of a supervised dependent. Free with `ifclone_supervised_free`, which closes the
/// fds not taken.
pub struct ifclone_supervised {
    ty: &'static std::ffi::CStr,
    generation: u64,
    iface: Option<Lent>,
    lower: Option<Lent>,
    detail: Option<CString>,
    fds: Vec<OwnedFd>,
}

impl Handle for ifclone_supervised {
    const NAME: &'static str = "ifclone_supervised";
}

impl ifclone_supervised {
    fn new(s: Supervised) -> ifclone_supervised {
        let mut step = ifclone_supervised {
            ty: c"other",
            generation: 0,
            iface: None,
            lower: None,
            detail: None,
            fds: Vec::new(),
        };
        match s {
            Supervised::Waiting { lower } => {
                step.ty = c"waiting";
                step.detail = Some(cstring(&lower.to_string()));
            }
            Supervised::Created(g) => {
                step.ty = c"created";
                step.generation = g.generation;
                step.iface = Some(ifclone_iface::lent(g.iface));
                step.lower = Some(ifclone_iface::lent(g.lower));
                step.fds = g.fds.into_iter().map(OwnedFd::from).collect();
            }
            Supervised::Lost { generation, reason } => {
                step.ty = c"lost";
                step.generation = generation;
                step.detail = Some(cstring(&match reason {
                    LostReason::LowerGone { lower } => format!("the lower {lower} went away"),
                    LostReason::DependentGone => "the dependent itself was deleted".into(),
                    LostReason::Retargeted => "retargeted to another lower".into(),
                    _ => "gone".into(),
                }));
            }
            Supervised::Failed { error } => {
                step.ty = c"failed";
                step.detail = Some(cstring(&error.to_string()));
            }
            _ => {}
        }
        step
    }
}

/// `waiting` (no lower matches; the detail says what is awaited), `created` (a new generation),
/// `lost` (a generation is gone; the detail says why), `failed` (making the next generation
/// failed; the detail is the kernel's reason; it is tried again when the lower changes).
#[no_mangle]
pub extern "C" fn ifclone_supervised_type(s: *const ifclone_supervised) -> *const c_char {
    value(std::ptr::null(), || Ok(handle(s, "step")?.ty.as_ptr()))
}

/// The generation created or lost (0 for the other types).
#[no_mangle]
pub extern "C" fn ifclone_supervised_generation(s: *const ifclone_supervised) -> u64 {
    value(0, || Ok(handle(s, "step")?.generation))
}

/// `created`: the dependent (borrowed); NULL otherwise.
#[no_mangle]
pub extern "C" fn ifclone_supervised_iface(s: *const ifclone_supervised) -> *const ifclone_iface {
    value(std::ptr::null(), || {
        Ok(handle(s, "step")?
            .iface
            .as_ref()
            .map_or(std::ptr::null(), Lent::ptr))
    })
}

/// `created`: the lower it sits on (borrowed); NULL otherwise.
#[no_mangle]
pub extern "C" fn ifclone_supervised_lower(s: *const ifclone_supervised) -> *const ifclone_iface {
    value(std::ptr::null(), || {
        Ok(handle(s, "step")?
            .lower
            .as_ref()
            .map_or(std::ptr::null(), Lent::ptr))
    })
}

/// The step's detail (see `ifclone_supervised_type`), or NULL.
#[no_mangle]
pub extern "C" fn ifclone_supervised_detail(s: *const ifclone_supervised) -> *const c_char {
    value(std::ptr::null(), || Ok(ptr(&handle(s, "step")?.detail)))
}

/// `created` of a macvtap: hands its queue fds over, as `ifclone_created_take_fds` does (each
/// checked to serve this generation's device).
#[no_mangle]
pub extern "C" fn ifclone_supervised_take_fds(
    s: *mut ifclone_supervised,
    out_fds: *mut i32,
    cap: usize,
    out_n: *mut usize,
) -> ifclone_result {
    call(|| {
        let st = handle_mut(s, "step")?;
        let buf = OutBuf::new(out_fds, cap, "out_fds")?;
        let out_n = Out::new(out_n, "out_n")?;
        crate::create::take(&mut st.fds, buf, out_n)
    })
}

#[no_mangle]
pub extern "C" fn ifclone_supervised_free(s: *mut ifclone_supervised) {
    free(s)
}
