//! Creating interfaces of any kind: parameters by keyword (the words of `ifconfig IF create`,
//! which each kind's descriptor lists), a tap's options, and what a create returns — the
//! interface, an epair's peer, and the file descriptors a kind hands back.

use std::ffi::c_char;
use std::os::fd::{IntoRawFd, OwnedFd};

use ifclone::kinds::KindParams;
use ifclone::{Change, CreateRequest, Created, Error, IfName, KindName, Mac, TapOptions};

use crate::boundary::{
    call, free, give, handle, handle_mut, opt_handle, opt_text, text, value, Handle, Out, OutBuf,
    Res,
};
use crate::error::LastError;
use crate::iface::{ifclone_iface, Lent};
use crate::ifclone_result;
use crate::stack::ifclone_stack;

/// What to create: a kind and its parameters. Free with `ifclone_params_free`.
pub struct ifclone_params {
    pub(crate) kind: KindParams,
    pub(crate) name: Option<IfName>,
    pub(crate) change: Change,
}

impl Handle for ifclone_params {
    const NAME: &'static str = "ifclone_params";
}

/// Starts the parameters of an interface of `kind`: a neutral name (`epair`, `vlan`, `tap`,
/// `tun`, `bridge`, `macvlan`, `macvtap`, `vxlan`, `lo`, `lagg`, `dummy`) or a Linux alias
/// (`veth`, `bond`). An unknown kind is `IFCLONE_RESULT_NOT_FOUND`.
#[no_mangle]
pub extern "C" fn ifclone_params_new(
    kind: *const c_char,
    out: *mut *mut ifclone_params,
) -> ifclone_result {
    call(|| {
        let k = text(kind, "kind")?;
        let out = Out::new(out, "out")?;
        let kind = KindName::parse(k).ok_or_else(|| {
            Error::NotFound(Box::new(
                ifclone::Context::new("create", k).detail("not a kind ifclone knows"),
            ))
        })?;
        out.write(give(ifclone_params {
            kind: KindParams::new(kind),
            name: None,
            change: Change::default(),
        }));
        Ok(())
    })
}

/// Sets one parameter, by its ifconfig keyword, to `value` (NULL or "" for a keyword without a
/// value, `up`). Every kind takes `name`, `mtu`, `ether` (`aa:bb:cc:dd:ee:ff`), `description`,
/// `group` and `up`; each kind adds its own (epair `peer`; vlan `vlan`, `vlandev`, `vlanproto`;
/// tap/tun `queues`; macvlan/macvtap `macvlandev`, `macvlanmode`; vxlan `vxlanid`,
/// `vxlanlocal`, `vxlanremote`, `vxlangroup`, `vxlandev`, `vxlanport`; lagg `laggproto`,
/// `miimon`). A keyword the kind does not have, or a bad generic value, is
/// `IFCLONE_RESULT_INVALID_ARGUMENT` (or `INVALID_NAME`); the kind's own values are checked when
/// the interface is created, before anything is made.
#[no_mangle]
pub extern "C" fn ifclone_params_set(
    params: *mut ifclone_params,
    key: *const c_char,
    value: *const c_char,
) -> ifclone_result {
    call(|| {
        let p = handle_mut(params, "params")?;
        let key = text(key, "key")?;
        let v = opt_text(value, "value")?.unwrap_or("");
        set(p, key, v)
    })
}

fn set(p: &mut ifclone_params, key: &str, v: &str) -> Res {
    let bad = |d: &str| Error::invalid("set parameter", key, d.to_string());
    match key {
        "name" => p.name = Some(IfName::new(v)?),
        "mtu" => {
            p.change.mtu = Some(v.parse().map_err(|_| bad("the MTU is a number"))?);
        }
        "ether" | "lladdr" => {
            p.change.mac = Some(
                v.parse::<Mac>()
                    .map_err(|_| bad("a MAC address is aa:bb:cc:dd:ee:ff"))?,
            )
        }
        "description" => p.change.description = Some(v.to_string()),
        "group" => p.change.group = Some(v.parse().map_err(|_| bad("the group is a number"))?),
        "up" if v.is_empty() => p.change.up = Some(true),
        "up" => return Err(bad("up takes no value").into()),
        _ => p.kind.set(key, v)?,
    }
    Ok(())
}

/// Frees parameters (NULL is ignored).
#[no_mangle]
pub extern "C" fn ifclone_params_free(params: *mut ifclone_params) {
    free(params)
}

impl ifclone_params {
    fn request(&self) -> Res<CreateRequest> {
        let mut req = CreateRequest::new(self.kind.spec()?);
        req.name = self.name;
        req.mtu = self.change.mtu;
        req.mac = self.change.mac;
        req.description = self.change.description.clone();
        req.group = self.change.group;
        req.up = self.change.up == Some(true);
        Ok(req)
    }
}

/// A created interface: the interface, an epair's peer, and the fds the kind handed back.
/// Free with `ifclone_created_free`, which closes the fds the caller did not take.
pub struct ifclone_created {
    iface: Lent,
    peer: Option<Lent>,
    fds: Vec<OwnedFd>,
}

impl Handle for ifclone_created {
    const NAME: &'static str = "ifclone_created";
}

impl ifclone_created {
    fn give(c: Created) -> *mut ifclone_created {
        give(ifclone_created {
            iface: ifclone_iface::lent(c.iface),
            peer: c.peer.map(ifclone_iface::lent),
            fds: c.fds.into_iter().map(OwnedFd::from).collect(),
        })
    }
}

/// Creates an interface in `stack`. `iface_in` (may be NULL) puts the interface straight into
/// another stack; `peer_in` (may be NULL) puts an epair's b end there — the fastest way to join
/// two stacks. What lands in another stack is a loan from `stack`: it comes back when that
/// stack is removed. Every parameter is checked before anything is made.
#[no_mangle]
pub extern "C" fn ifclone_stack_create_iface(
    stack: *const ifclone_stack,
    params: *const ifclone_params,
    iface_in: *const ifclone_stack,
    peer_in: *const ifclone_stack,
    out: *mut *mut ifclone_created,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        let p = handle(params, "params")?;
        let iface_in = opt_handle(iface_in, "iface_in")?;
        let peer_in = opt_handle(peer_in, "peer_in")?;
        let out = Out::new(out, "out")?;
        let req = p.request()?;
        let made =
            s.s.create_placed(&req, iface_in.map(|h| &h.s), peer_in.map(|h| &h.s))?;
        out.write(ifclone_created::give(made));
        Ok(())
    })
}

/// The interface made (borrowed: it goes with `created`).
#[no_mangle]
pub extern "C" fn ifclone_created_iface(created: *const ifclone_created) -> *const ifclone_iface {
    value(std::ptr::null(), || {
        Ok(handle(created, "created")?.iface.ptr())
    })
}

/// An epair's peer (borrowed), or NULL for other kinds.
#[no_mangle]
pub extern "C" fn ifclone_created_peer(created: *const ifclone_created) -> *const ifclone_iface {
    value(std::ptr::null(), || {
        Ok(handle(created, "created")?
            .peer
            .as_ref()
            .map_or(std::ptr::null(), Lent::ptr))
    })
}

/// How many fds `created` still holds (one per tap/tun queue, the macvtap's `/dev/tapN`).
#[no_mangle]
pub extern "C" fn ifclone_created_fd_count(created: *const ifclone_created) -> usize {
    value(0, || Ok(handle(created, "created")?.fds.len()))
}

/// Hands the fds over, in queue order: on success `out_fds[0..*out_n]` are the caller's, to
/// close, and `created` holds none any more (a second call gives 0). When `cap` is smaller than
/// `ifclone_created_fd_count`, `IFCLONE_RESULT_BUFFER_TOO_SMALL` and nothing changes.
#[no_mangle]
pub extern "C" fn ifclone_created_take_fds(
    created: *mut ifclone_created,
    out_fds: *mut i32,
    cap: usize,
    out_n: *mut usize,
) -> ifclone_result {
    call(|| {
        let c = handle_mut(created, "created")?;
        let buf = OutBuf::new(out_fds, cap, "out_fds")?;
        let out_n = Out::new(out_n, "out_n")?;
        take(&mut c.fds, buf, out_n)
    })
}

/// Moves `fds` into the caller's buffer, or refuses (nothing moved) when they do not fit.
pub(crate) fn take(fds: &mut Vec<OwnedFd>, buf: OutBuf<i32>, out_n: Out<usize>) -> Res {
    if fds.len() > buf.cap() {
        return Err(LastError::simple(
            ifclone_result::BufferTooSmall,
            format!("{} fds do not fit in a buffer of {}", fds.len(), buf.cap()),
        ));
    }
    let raw: Vec<i32> = fds.drain(..).map(IntoRawFd::into_raw_fd).collect();
    buf.write(&raw);
    out_n.write(raw.len());
    Ok(())
}

/// Opens `queues` fds of an existing macvtap's `/dev/tapN` (one per queue) into `out_fds`
/// (room for `cap`); on success `out_fds[0..*out_n]` are the caller's, to close. Other kinds
/// hand out their fds only when they are created (`IFCLONE_RESULT_UNSUPPORTED`); nothing is
/// handed over on failure.
#[no_mangle]
pub extern "C" fn ifclone_stack_open_fds(
    stack: *const ifclone_stack,
    name: *const c_char,
    queues: u16,
    out_fds: *mut i32,
    cap: usize,
    out_n: *mut usize,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        let name = text(name, "name")?;
        let buf = OutBuf::new(out_fds, cap, "out_fds")?;
        let out_n = Out::new(out_n, "out_n")?;
        if usize::from(queues) > buf.cap() {
            return Err(crate::error::LastError::simple(
                ifclone_result::BufferTooSmall,
                format!("{queues} fds do not fit in a buffer of {}", buf.cap()),
            ));
        }
        let raw: Vec<i32> =
            s.s.open_fds(name, queues)?
                .into_iter()
                .map(|q| OwnedFd::from(q).into_raw_fd())
                .collect();
        buf.write(&raw);
        out_n.write(raw.len());
        Ok(())
    })
}

/// Frees a create result and closes the fds it still holds (NULL is ignored). The interface
/// stays (unless it was a non-persistent tap whose last fd this closes).
#[no_mangle]
pub extern "C" fn ifclone_created_free(created: *mut ifclone_created) {
    free(created)
}

/// How a tap for a hypervisor is made (`ifclone_stack_create_tap`). Free with
/// `ifclone_tap_options_free`.
pub struct ifclone_tap_options {
    o: TapOptions,
}

impl Handle for ifclone_tap_options {
    const NAME: &'static str = "ifclone_tap_options";
}

/// The defaults: no vnet header, persistent, root's.
#[no_mangle]
pub extern "C" fn ifclone_tap_options_new(out: *mut *mut ifclone_tap_options) -> ifclone_result {
    call(|| {
        Out::new(out, "out")?.write(give(ifclone_tap_options {
            o: TapOptions::default(),
        }));
        Ok(())
    })
}

/// The virtio-net header in front of each frame (QEMU `vnet_hdr=on`, vhost-net).
#[no_mangle]
pub extern "C" fn ifclone_tap_options_set_vnet_hdr(
    opts: *mut ifclone_tap_options,
    on: bool,
) -> ifclone_result {
    call(|| {
        handle_mut(opts, "opts")?.o.vnet_hdr = on;
        Ok(())
    })
}

/// Whether the tap outlives its fds (false: it goes with the last one, so a hypervisor that
/// dies leaves no tap behind).
#[no_mangle]
pub extern "C" fn ifclone_tap_options_set_persist(
    opts: *mut ifclone_tap_options,
    on: bool,
) -> ifclone_result {
    call(|| {
        handle_mut(opts, "opts")?.o.persist = on;
        Ok(())
    })
}

/// The user and group that may attach queues without CAP_NET_ADMIN; -1 leaves either unset.
#[no_mangle]
pub extern "C" fn ifclone_tap_options_set_owner(
    opts: *mut ifclone_tap_options,
    uid: i64,
    gid: i64,
) -> ifclone_result {
    call(|| {
        let o = handle_mut(opts, "opts")?;
        let id = |v: i64, what: &str| -> Res<Option<u32>> {
            match v {
                -1 => Ok(None),
                v => u32::try_from(v)
                    .map(Some)
                    .map_err(|_| Error::invalid("tap owner", what, format!("{v} is no id")).into()),
            }
        };
        let (u, g) = (id(uid, "uid")?, id(gid, "gid")?);
        o.o.owner = u;
        o.o.group = g;
        Ok(())
    })
}

#[no_mangle]
pub extern "C" fn ifclone_tap_options_free(opts: *mut ifclone_tap_options) {
    free(opts)
}

/// Creates a tap (`params` of kind `tap`) with `opts` (may be NULL: the defaults) and hands
/// back its queue fds in the result. Options the OS cannot give are `IFCLONE_RESULT_UNSUPPORTED`,
/// refused before anything is made.
#[no_mangle]
pub extern "C" fn ifclone_stack_create_tap(
    stack: *const ifclone_stack,
    params: *const ifclone_params,
    opts: *const ifclone_tap_options,
    out: *mut *mut ifclone_created,
) -> ifclone_result {
    call(|| {
        let s = handle(stack, "stack")?;
        let p = handle(params, "params")?;
        let o = opt_handle(opts, "opts")?.map_or_else(TapOptions::default, |o| o.o);
        let out = Out::new(out, "out")?;
        let made = s.s.create_tap(&p.request()?, &o)?;
        out.write(ifclone_created::give(made));
        Ok(())
    })
}
