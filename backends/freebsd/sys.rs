//! The FreeBSD system-call layer: every `unsafe` block of the backend lives here.
//!
//! Each function takes the requests built by the pure `req` module, points their pointer
//! members at buffers it owns for the duration of the call, and returns plain data or the errno.
//! Nothing here builds `Error`s: callers add the operation, object and stack.

use std::ffi::c_void;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

use ifclone_freebsd_abi::consts::*;
use ifclone_freebsd_abi::req::{self, BifconfAnswer, DescrAnswer, JailParam};

/// A kernel errno.
pub type Errno = i32;

fn errno() -> Errno {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn io_errno(e: std::io::Error) -> Errno {
    e.raw_os_error().unwrap_or(libc::EIO)
}

/// `ioctl(fd, req, arg)`.
///
/// # Safety
/// `arg` must point to a live, writable buffer of the size `req` encodes, and every pointer
/// stored inside it must point to a live buffer of the size the request implies.
unsafe fn raw_ioctl(fd: BorrowedFd<'_>, req: IoctlReq, arg: *mut c_void) -> Result<(), Errno> {
    crate::backend::count_request();
    // SAFETY: forwarded to the caller (see the function's contract); `fd` is a borrowed, open
    // descriptor.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), req as libc::c_ulong, arg) };
    if r < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

/// Requests whose argument is an `ifreq` with no pointer member.
#[derive(Clone, Copy, Debug)]
pub enum Plain {
    GetFlags,
    SetFlags,
    GetIndex,
    GetMtu,
    SetMtu,
    Destroy,
    SetLladdr,
    /// SIOCSIFVNET: loan to a child jail.
    Loan,
    /// SIOCSIFRVNET: reclaim from a child jail.
    Reclaim,
    GetNetmask,
    /// SIOCDIFADDR: `ifr_addr` is the IPv4 address to remove.
    DelAddr,
}

impl Plain {
    fn req(self) -> IoctlReq {
        match self {
            Plain::GetFlags => SIOCGIFFLAGS,
            Plain::SetFlags => SIOCSIFFLAGS,
            Plain::GetIndex => SIOCGIFINDEX,
            Plain::GetMtu => SIOCGIFMTU,
            Plain::SetMtu => SIOCSIFMTU,
            Plain::Destroy => SIOCIFDESTROY,
            Plain::SetLladdr => SIOCSIFLLADDR,
            Plain::Loan => SIOCSIFVNET,
            Plain::Reclaim => SIOCSIFRVNET,
            Plain::GetNetmask => SIOCGIFNETMASK,
            Plain::DelAddr => SIOCDIFADDR,
        }
    }
}

/// An ioctl whose `ifreq` carries no pointer; the kernel's answer is left in `ifr`.
pub fn plain(fd: BorrowedFd<'_>, p: Plain, ifr: &mut IfReq) -> Result<(), Errno> {
    // SAFETY: `ifr` is a live 32-byte `struct ifreq` image (size asserted in consts) and, for
    // these requests, the kernel reads no pointer out of it.
    unsafe { raw_ioctl(fd, p.req(), (ifr as *mut IfReq).cast()) }
}

/// SIOCIFCREATE2 on `cloner` with optional vlan parameters; returns the request with the name
/// the kernel chose in `ifr_name`.
pub fn clone_create(
    fd: BorrowedFd<'_>,
    cloner: &str,
    vlan: Option<&VlanReq>,
) -> Result<IfReq, Errno> {
    let data = vlan.map_or(0, |v| v as *const VlanReq as usize);
    let mut ifr = req::create(cloner, data);
    // SAFETY: `ifr` is a live ifreq; `ifr_data` is NULL or points at `vlan`, a 20-byte
    // `struct vlanreq` that outlives the call (the kernel only copies it in).
    unsafe { raw_ioctl(fd, SIOCIFCREATE2, (&mut ifr as *mut IfReq).cast())? };
    Ok(ifr)
}

/// SIOCSIFNAME.
pub fn rename(fd: BorrowedFd<'_>, name: &str, new_name: &str) -> Result<(), Errno> {
    let buf = req::name16(new_name);
    let mut ifr = req::rename(name, buf.as_ptr() as usize);
    // SAFETY: `ifr_data` points at `buf`, a NUL-terminated 16-byte name alive for the call
    // (the kernel reads it with copyinstr, at most 16 bytes).
    unsafe { raw_ioctl(fd, SIOCSIFNAME, (&mut ifr as *mut IfReq).cast()) }
}

/// SIOCSIFDESCR (empty text clears the description).
pub fn set_descr(fd: BorrowedFd<'_>, name: &str, text: &str) -> Result<(), Errno> {
    let buf = req::descr_buf(text);
    let addr = if buf.is_empty() {
        0
    } else {
        buf.as_ptr() as usize
    };
    let mut ifr = req::descr(name, buf.len(), addr);
    // SAFETY: `ifr_buffer` is {len, buf} describing `buf`, alive for the call (or {0, NULL}).
    unsafe { raw_ioctl(fd, SIOCSIFDESCR, (&mut ifr as *mut IfReq).cast()) }
}

/// SIOCGIFDESCR: `None` when there is no description (ENOMSG).
pub fn get_descr(fd: BorrowedFd<'_>, name: &str) -> Result<Option<String>, Errno> {
    let mut size = 128usize;
    for _ in 0..4 {
        let mut buf = vec![0u8; size];
        let mut ifr = req::descr(name, buf.len(), buf.as_mut_ptr() as usize);
        // SAFETY: `ifr_buffer` describes `buf` (writable, `size` bytes), alive for the call.
        match unsafe { raw_ioctl(fd, SIOCGIFDESCR, (&mut ifr as *mut IfReq).cast()) } {
            Ok(()) => {}
            Err(libc::ENOMSG) => return Ok(None),
            Err(e) => return Err(e),
        }
        match req::descr_answer(&ifr, &buf) {
            DescrAnswer::Text(t) => return Ok(Some(t)),
            DescrAnswer::Retry(n) => size = n.clamp(size + 1, 1 << 20),
        }
    }
    Err(libc::ENOBUFS)
}

/// SIOCGETVLAN: a vlan's parent, tag and protocol.
pub fn get_vlan(fd: BorrowedFd<'_>, name: &str) -> Result<VlanReq, Errno> {
    let mut v = req::vlanreq("", 0, 0);
    let mut ifr = req::create(name, (&mut v as *mut VlanReq) as usize);
    // SAFETY: `ifr_data` points at `v`, a writable 20-byte `struct vlanreq` alive for the call.
    unsafe { raw_ioctl(fd, SIOCGETVLAN, (&mut ifr as *mut IfReq).cast())? };
    Ok(v)
}

/// SIOCIFGCLONERS: count, then fetch.
pub fn cloners(fd: BorrowedFd<'_>) -> Result<Vec<String>, Errno> {
    for _ in 0..4 {
        let mut probe = req::clonereq(0, 0);
        // SAFETY: `probe` is a live 16-byte `struct if_clonereq` with a NULL buffer and count 0,
        // which asks only for the total.
        unsafe { raw_ioctl(fd, SIOCIFGCLONERS, (&mut probe as *mut IfCloneReq).cast())? };
        let total = probe.ifcr_total.max(0) as usize;
        let mut buf = vec![0u8; total.max(1) * IFNAMSIZ];
        let mut fetch = req::clonereq(total, buf.as_mut_ptr() as usize);
        // SAFETY: `ifcr_buffer` points at `buf`, `total` writable 16-byte slots, alive for the
        // call; the kernel writes at most `ifcr_count` slots.
        unsafe { raw_ioctl(fd, SIOCIFGCLONERS, (&mut fetch as *mut IfCloneReq).cast())? };
        if fetch.ifcr_total.max(0) as usize <= total {
            return Ok(req::parse_name_slots(&buf, total));
        }
        // A module was loaded in between: ask again.
    }
    Err(libc::EAGAIN)
}

/// SIOCGIFGROUP: the interface's group names. A first call with `ifgr_len = 0` asks for the
/// size; the kernel refuses (EINVAL) a buffer too small for every group, so a group added in
/// between is answered with one more round.
pub fn groups(fd: BorrowedFd<'_>, name: &str) -> Result<Vec<String>, Errno> {
    let mut last = libc::EINVAL;
    for _ in 0..3 {
        let mut probe = req::groupreq(name, 0, 0);
        // SAFETY: `probe` is a live 40-byte `struct ifgroupreq`; with `ifgr_len = 0` the kernel
        // only writes the needed length into it and reads no pointer.
        unsafe { raw_ioctl(fd, SIOCGIFGROUP, (&mut probe as *mut IfGroupReq).cast())? };
        let len = (probe.ifgr_len as usize).max(IFG_REQ_SIZE) + 4 * IFG_REQ_SIZE;
        let mut buf = vec![0u8; len];
        let mut g = req::groupreq(name, buf.len(), buf.as_mut_ptr() as usize);
        // SAFETY: `ifgr_groups` points at `buf` (writable, `ifgr_len` bytes) alive for the call.
        match unsafe { raw_ioctl(fd, SIOCGIFGROUP, (&mut g as *mut IfGroupReq).cast()) } {
            // The kernel fills whole 16-byte slots and leaves the rest zeroed.
            Ok(()) => return Ok(req::parse_name_slots(&buf, len / IFG_REQ_SIZE)),
            Err(libc::EINVAL) => last = libc::EINVAL,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// SIOCAIFGROUP: puts `name` in interface group `group`.
pub fn add_group(fd: BorrowedFd<'_>, name: &str, group: &str) -> Result<(), Errno> {
    let mut g = req::add_groupreq(name, group);
    // SAFETY: `g` is a live 40-byte `struct ifgroupreq` whose union holds the group name (no
    // pointer); the kernel only reads it.
    unsafe { raw_ioctl(fd, SIOCAIFGROUP, (&mut g as *mut IfGroupReq).cast()) }
}

/// SIOCSDRVSPEC on `bridge` with a command whose argument is one `struct ifbreq` naming
/// `member` (BRDGADD, BRDGDEL).
fn bridge_member_cmd(
    fd: BorrowedFd<'_>,
    bridge: &str,
    cmd: usize,
    member: &str,
) -> Result<(), Errno> {
    let mut br = IfBReq::for_member(member);
    let mut drv = IfDrv::new(bridge, cmd, IFBREQ_SIZE, (&mut br as *mut IfBReq) as usize);
    // SAFETY: `drv` is a live 40-byte `struct ifdrv` (size asserted in consts); `ifd_data` points
    // at `br`, an 80-byte `struct ifbreq` alive for the call, and `ifd_len` is exactly its size
    // (bridge_ioctl copies in `ifd_len` bytes and refuses any other length).
    unsafe { raw_ioctl(fd, SIOCSDRVSPEC, (&mut drv as *mut IfDrv).cast()) }
}

/// BRDGADD: makes `member` a member of `bridge` (ifconfig's `addm`).
pub fn bridge_add(fd: BorrowedFd<'_>, bridge: &str, member: &str) -> Result<(), Errno> {
    bridge_member_cmd(fd, bridge, brdg::BRDGADD, member)
}

/// BRDGDEL: takes `member` out of `bridge` (ifconfig's `deletem`).
pub fn bridge_del(fd: BorrowedFd<'_>, bridge: &str, member: &str) -> Result<(), Errno> {
    bridge_member_cmd(fd, bridge, brdg::BRDGDEL, member)
}

/// BRDGGIFS (SIOCGDRVSPEC): the members of `bridge`, span ports left out. As ifconfig's
/// `bridge_interfaces` does, an 8 KiB buffer first (room for 102 members), twice as much while
/// the answer may have been cut.
pub fn bridge_members(fd: BorrowedFd<'_>, bridge: &str) -> Result<Vec<String>, Errno> {
    let mut size = 8192usize;
    loop {
        let mut buf = vec![0u8; size];
        let mut conf = IfBifConf::new(buf.len(), buf.as_mut_ptr() as usize);
        let mut drv = IfDrv::new(
            bridge,
            brdg::BRDGGIFS,
            std::mem::size_of::<IfBifConf>(),
            (&mut conf as *mut IfBifConf) as usize,
        );
        // SAFETY: `drv` is a live 40-byte `struct ifdrv`; `ifd_data` points at `conf`, a writable
        // 16-byte `struct ifbifconf` alive for the call (`ifd_len` is its size), whose
        // `ifbic_buf` points at `buf`, writable for `ifbic_len` bytes and alive for the call; the
        // kernel writes at most `ifbic_len` bytes there and the used length back into `conf`.
        unsafe { raw_ioctl(fd, SIOCGDRVSPEC, (&mut drv as *mut IfDrv).cast())? };
        match req::bifconf_answer(&buf, conf.ifbic_len) {
            BifconfAnswer::Members(m) => return Ok(m),
            BifconfAnswer::Retry(n) if n <= 1 << 24 => size = n,
            BifconfAnswer::Retry(_) => return Err(libc::ENOBUFS),
        }
    }
}

/// An ioctl on a lagg whose argument is a `struct lagg_reqport` for (`lagg`, `port`); the
/// kernel's answer is left in the returned request.
fn lagg_port_cmd(
    fd: BorrowedFd<'_>,
    req: IoctlReq,
    lagg: &str,
    port: &str,
) -> Result<LaggReqPort, Errno> {
    let mut rp = LaggReqPort::new(lagg, port);
    // SAFETY: `rp` is a live, writable 72-byte `struct lagg_reqport` (size asserted in consts)
    // with no pointer member.
    unsafe { raw_ioctl(fd, req, (&mut rp as *mut LaggReqPort).cast())? };
    Ok(rp)
}

/// SIOCSLAGGPORT: makes `port` a port of `lagg` (ifconfig's `laggport`).
pub fn lagg_add_port(fd: BorrowedFd<'_>, lagg: &str, port: &str) -> Result<(), Errno> {
    lagg_port_cmd(fd, SIOCSLAGGPORT, lagg, port).map(drop)
}

/// SIOCSLAGGDELPORT: takes `port` out of `lagg` (ifconfig's `-laggport`).
pub fn lagg_del_port(fd: BorrowedFd<'_>, lagg: &str, port: &str) -> Result<(), Errno> {
    lagg_port_cmd(fd, SIOCSLAGGDELPORT, lagg, port).map(drop)
}

/// SIOCGLAGG: the ports of `lagg`, in one request. The buffer holds LAGG_MAX_PORTS records, the
/// most `lagg_port_create` allows (ENOSPC past it), so the answer is never cut; ifconfig's
/// `lagg_status` uses the same buffer. (SIOCGLAGGPORT would take one request per interface.)
pub fn lagg_ports(fd: BorrowedFd<'_>, lagg: &str) -> Result<Vec<String>, Errno> {
    lagg_status(fd, lagg).map(|(_, ports)| ports.into_iter().map(|(p, _)| p).collect())
}

/// SIOCGLAGG: the protocol (`lagg_proto`) and the ports of `lagg` in its order, each with its
/// `rp_flags`, in one request (see [`lagg_ports`]).
pub fn lagg_status(fd: BorrowedFd<'_>, lagg: &str) -> Result<(u32, Vec<(String, u32)>), Errno> {
    let mut buf = vec![0u8; LAGG_MAX_PORTS * std::mem::size_of::<LaggReqPort>()];
    let mut ra = LaggReqAll::new(lagg, buf.len(), buf.as_mut_ptr() as usize);
    // SAFETY: `ra` is a live, writable 80-byte `struct lagg_reqall`; `ra_port` points at `buf`,
    // writable for `ra_size` bytes and alive for the call (the kernel copies out at most
    // min(ra_size, ports) whole records).
    unsafe { raw_ioctl(fd, SIOCGLAGG, (&mut ra as *mut LaggReqAll).cast())? };
    Ok((ra.ra_proto, req::lagg_port_flags(&buf, ra.ra_ports)))
}

/// SIOCSLAGG: sets `lagg`'s protocol (`lagg_proto`), as ifconfig's `laggproto` does.
pub fn lagg_set_proto(fd: BorrowedFd<'_>, lagg: &str, proto: u32) -> Result<(), Errno> {
    let mut ra = LaggReqAll::new(lagg, 0, 0);
    ra.ra_proto = proto;
    // SAFETY: `ra` is a live 80-byte `struct lagg_reqall`; with SIOCSLAGG the kernel reads
    // `ra_proto` only (no port buffer: `ra_port` is null and `ra_size` 0).
    unsafe { raw_ioctl(fd, SIOCSLAGG, (&mut ra as *mut LaggReqAll).cast()) }
}

/// The lagg `port` is a port of, asked of the port itself: SIOCGLAGGPORT with the port's name
/// in both fields is answered by lagg(4)'s `lagg_port_ioctl` (installed on every port) with the
/// lagg's name in `rp_ifname`, as ifconfig's `lagg_status` prints `laggdev`. An interface that
/// is no port answers through its own driver (EINVAL from `ether_ioctl`, or ENOTTY /
/// EOPNOTSUPP / ENOENT): `None`.
pub fn lagg_of_port(fd: BorrowedFd<'_>, port: &str) -> Result<Option<String>, Errno> {
    match lagg_port_cmd(fd, SIOCGLAGGPORT, port, port) {
        Ok(rp) => Ok(req::name_from(&rp.rp_ifname)
            .map(|n| n.as_str().to_string())
            .filter(|n| n != port)),
        Err(libc::EINVAL | libc::ENOENT | libc::ENOTTY | libc::EOPNOTSUPP) => Ok(None),
        Err(e) => Err(e),
    }
}

/// SIOCGIFCONF: every interface of the socket's VNET with each of its addresses (AF_LINK
/// included), retried with a bigger buffer while the answer may have been cut.
pub fn ifconf(fd: BorrowedFd<'_>) -> Result<Vec<u8>, Errno> {
    let mut size = 16 * 1024usize;
    loop {
        let mut buf = vec![0u8; size];
        let mut c = req::ifconf(buf.len(), buf.as_mut_ptr() as usize);
        // SAFETY: `ifc_buf` points at `buf` (writable, `ifc_len` bytes) alive for the call.
        unsafe { raw_ioctl(fd, SIOCGIFCONF, (&mut c as *mut IfConf).cast())? };
        let used = (c.ifc_len.max(0) as usize).min(size);
        if used + 512 < size || size >= 64 << 20 {
            buf.truncate(used);
            return Ok(buf);
        }
        size *= 4;
    }
}

/// SIOCAIFADDR with a prepared `struct in_aliasreq`.
pub fn add_inet(fd: BorrowedFd<'_>, areq: &[u8; IN_ALIASREQ_SIZE]) -> Result<(), Errno> {
    let mut a = *areq;
    // SAFETY: `a` is a live 68-byte `struct in_aliasreq` image with no pointer members.
    unsafe { raw_ioctl(fd, SIOCAIFADDR, a.as_mut_ptr().cast()) }
}

/// SIOCAIFADDR_IN6 with a prepared `struct in6_aliasreq` (on an AF_INET6 socket).
pub fn add_inet6(fd6: BorrowedFd<'_>, areq: &[u8; IN6_ALIASREQ_SIZE]) -> Result<(), Errno> {
    let mut a = *areq;
    // SAFETY: `a` is a live 136-byte `struct in6_aliasreq` image with no pointer members.
    unsafe { raw_ioctl(fd6, SIOCAIFADDR_IN6, a.as_mut_ptr().cast()) }
}

/// SIOCDIFADDR_IN6 with a prepared `struct in6_ifreq` (`ifr_addr` set; on an AF_INET6 socket).
pub fn del_inet6(fd6: BorrowedFd<'_>, r: &[u8; IN6_IFREQ_SIZE]) -> Result<(), Errno> {
    let mut a = *r;
    // SAFETY: `a` is a live 288-byte `struct in6_ifreq` image with no pointer set.
    unsafe { raw_ioctl(fd6, SIOCDIFADDR_IN6, a.as_mut_ptr().cast()) }
}

/// SIOCGIFNETMASK_IN6 with a prepared `struct in6_ifreq`; the answer is left in `r`.
pub fn netmask6(fd6: BorrowedFd<'_>, r: &mut [u8; IN6_IFREQ_SIZE]) -> Result<(), Errno> {
    // SAFETY: `r` is a live, writable 288-byte `struct in6_ifreq` image with no pointer set.
    unsafe { raw_ioctl(fd6, SIOCGIFNETMASK_IN6, r.as_mut_ptr().cast()) }
}

/// The sockets ifclone keeps in one VNET: `inet` (AF_INET, or AF_LOCAL on a kernel without
/// INET) carries every interface ioctl and the IPv4 address ioctls; `inet6` (when the kernel has
/// INET6) carries the IPv6 address ioctls, which only an AF_INET6 socket's protocol answers.
#[derive(Debug)]
pub struct Socks {
    pub inet: OwnedFd,
    pub inet6: Option<OwnedFd>,
}

fn socket(af: libc::c_int) -> Option<OwnedFd> {
    // SAFETY: plain socket(2); the result is checked before use.
    let fd = unsafe { libc::socket(af, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The sockets in the caller's own VNET.
pub fn host_sockets() -> Result<Socks, Errno> {
    let inet = socket(libc::AF_INET)
        .or_else(|| socket(libc::AF_LOCAL))
        .ok_or_else(errno)?;
    Ok(Socks {
        inet,
        inet6: socket(libc::AF_INET6),
    })
}

fn iovecs(params: &mut [JailParam]) -> Vec<libc::iovec> {
    let mut v = Vec::with_capacity(params.len() * 2);
    for p in params.iter_mut() {
        v.push(libc::iovec {
            iov_base: p.name.as_mut_ptr().cast(),
            iov_len: p.name.len(),
        });
        v.push(libc::iovec {
            iov_base: if p.value.is_empty() {
                std::ptr::null_mut()
            } else {
                p.value.as_mut_ptr().cast()
            },
            iov_len: p.value.len(),
        });
    }
    v
}

/// jail_set(2). Output values (errmsg) are written into `params`.
pub fn jail_set(params: &mut [JailParam], flags: i32) -> Result<i32, Errno> {
    let mut iov = iovecs(params);
    crate::backend::count_request();
    // SAFETY: every iovec points into a `JailParam` buffer of `params`, which outlives the call
    // and is writable; boolean parameters are (NULL, 0).
    let r = unsafe { libc::jail_set(iov.as_mut_ptr(), iov.len() as libc::c_uint, flags) };
    if r < 0 {
        Err(errno())
    } else {
        Ok(r)
    }
}

/// jail_get(2). Output values are written into `params`.
pub fn jail_get(params: &mut [JailParam], flags: i32) -> Result<i32, Errno> {
    let mut iov = iovecs(params);
    crate::backend::count_request();
    // SAFETY: as in `jail_set`; output buffers have the sizes the kernel checks (int = 4 bytes,
    // strings sized for the longest value).
    let r = unsafe { libc::jail_get(iov.as_mut_ptr(), iov.len() as libc::c_uint, flags) };
    if r < 0 {
        Err(errno())
    } else {
        Ok(r)
    }
}

/// jail_remove(2).
pub fn jail_remove(jid: i32) -> Result<(), Errno> {
    // SAFETY: plain system call on an integer.
    if unsafe { libc::jail_remove(jid) } < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

/// What a forked child opens inside a jail ([`fds_from_jail`]): it fills `fds` from the first
/// slot on (unused slots stay -1) and answers 0 or an errno. It runs between `fork` and
/// `_exit`, so it must be async-signal-safe: system calls only, on memory that already exists —
/// no allocation, no lock, no panic path.
type ChildOpen = fn(&mut [libc::c_int; 2]) -> libc::c_int;

/// The calling thread's errno, read without allocating (usable in a forked child).
fn raw_errno() -> libc::c_int {
    // SAFETY: __error() returns a valid pointer to the calling thread's errno.
    unsafe { *libc::__error() }
}

/// [`ChildOpen`] for the interface sockets: AF_INET (AF_LOCAL on a kernel without INET), then
/// AF_INET6 when the kernel has it.
fn open_if_sockets(fds: &mut [libc::c_int; 2]) -> libc::c_int {
    // SAFETY: socket(2) with constant arguments; the results are checked.
    let mut fd4 = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) };
    if fd4 < 0 {
        // SAFETY: as above.
        fd4 = unsafe { libc::socket(libc::AF_LOCAL, libc::SOCK_DGRAM, 0) };
    }
    if fd4 < 0 {
        return raw_errno();
    }
    fds[0] = fd4;
    // SAFETY: as above; -1 (no INET6) leaves the slot unused.
    fds[1] = unsafe { libc::socket(libc::AF_INET6, libc::SOCK_DGRAM, 0) };
    0
}

/// [`ChildOpen`] for a routing socket: `socket(PF_ROUTE, SOCK_RAW, 0)`, every address family.
fn open_route(fds: &mut [libc::c_int; 2]) -> libc::c_int {
    // SAFETY: socket(2) with constant arguments; the result is checked.
    let fd = unsafe { libc::socket(libc::PF_ROUTE, libc::SOCK_RAW, 0) };
    if fd < 0 {
        return raw_errno();
    }
    fds[0] = fd;
    0
}

/// The sockets inside jail `jid`'s VNET, without moving the caller.
pub fn socket_in_jail(jid: i32) -> Result<Socks, Errno> {
    let mut it = fds_from_jail(jid, open_if_sockets)?.into_iter();
    match it.next() {
        Some(inet) => Ok(Socks {
            inet,
            inet6: it.next(),
        }),
        None => Err(libc::EPROTO),
    }
}

/// Descriptors opened inside jail `jid` by `open`, without moving the caller.
///
/// Forks a child that `jail_attach`es, runs `open` and passes what it opened back over a unix
/// stream socketpair with SCM_RIGHTS, then `_exit`s. The message (a 4-byte status: 0 or the
/// child's errno, plus up to two descriptors) is fully prepared before `fork`, so the child
/// performs only async-signal-safe system calls (jail_attach, what `open` makes, sendmsg,
/// _exit) on memory that already exists: no allocation, no locks, no Rust runtime. The parent
/// keeps its own VNET and credentials throughout; the descriptors arrive close-on-exec.
fn fds_from_jail(jid: i32, open: ChildOpen) -> Result<Vec<OwnedFd>, Errno> {
    const INT: u32 = std::mem::size_of::<libc::c_int>() as u32;
    let (parent_end, child_end) = UnixStream::pair().map_err(io_errno)?;

    let mut status: i32 = 0;
    let status_ptr: *mut i32 = &mut status;
    let mut child_fds: [libc::c_int; 2] = [-1; 2];
    let child_fds_ptr: *mut [libc::c_int; 2] = &mut child_fds;
    let mut iov = libc::iovec {
        iov_base: status_ptr.cast(),
        iov_len: std::mem::size_of::<i32>(),
    };
    let mut cbuf = [0u64; 8];
    // SAFETY: CMSG_SPACE / CMSG_LEN are pure arithmetic.
    let (space1, space2, len1, len2) = unsafe {
        (
            libc::CMSG_SPACE(INT) as usize,
            libc::CMSG_SPACE(2 * INT) as usize,
            libc::CMSG_LEN(INT) as usize,
            libc::CMSG_LEN(2 * INT) as usize,
        )
    };
    if space2 > std::mem::size_of_val(&cbuf) {
        return Err(libc::EINVAL);
    }
    // SAFETY: msghdr is plain data; all-zero is a valid empty message.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = space2 as _;
    // SAFETY: `msg` has a control buffer of `space2` ≥ sizeof(cmsghdr) bytes, 8-aligned, so
    // CMSG_FIRSTHDR returns a valid, aligned header pointer into `cbuf`.
    let cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    if cmsg.is_null() {
        return Err(libc::EINVAL);
    }
    // SAFETY: `cmsg` points into `cbuf` (see above); CMSG_DATA + 2 ints stays inside `space2`.
    let data: *mut libc::c_int = unsafe {
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = len2 as _;
        libc::CMSG_DATA(cmsg).cast()
    };
    let child_fd = child_end.as_raw_fd();
    let msg_ptr: *mut libc::msghdr = &mut msg;

    // SAFETY: fork(2). The child runs only the block below, which makes async-signal-safe
    // system calls (its own and `open`'s, see `ChildOpen`) on memory prepared before the fork
    // and ends in _exit, so it never returns into Rust code, runs no destructors and takes no
    // locks held by other parent threads.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(errno());
    }
    if pid == 0 {
        // SAFETY: child side, see above. `status_ptr`, `child_fds_ptr`, `data`, `cmsg` and
        // `msg_ptr` point into this (copied) address space, which stays valid until _exit.
        unsafe {
            let fds = &mut *child_fds_ptr;
            if libc::jail_attach(jid) != 0 {
                *status_ptr = raw_errno();
            } else {
                *status_ptr = open(fds);
            }
            // Whatever was opened is passed (the parent closes it on an error status).
            if fds[0] < 0 {
                (*msg_ptr).msg_control = std::ptr::null_mut();
                (*msg_ptr).msg_controllen = 0;
            } else if fds[1] < 0 {
                std::ptr::write_unaligned(data, fds[0]);
                (*cmsg).cmsg_len = len1 as _;
                (*msg_ptr).msg_controllen = space1 as _;
            } else {
                std::ptr::write_unaligned(data, fds[0]);
                std::ptr::write_unaligned(data.add(1), fds[1]);
            }
            libc::sendmsg(child_fd, msg_ptr, 0);
            libc::_exit(0);
        }
    }
    drop(child_end);

    let mut rstatus: i32 = -1;
    let mut riov = libc::iovec {
        iov_base: (&mut rstatus as *mut i32).cast(),
        iov_len: std::mem::size_of::<i32>(),
    };
    let mut rcbuf = [0u64; 8];
    // SAFETY: plain data, zero is valid.
    let mut rmsg: libc::msghdr = unsafe { std::mem::zeroed() };
    rmsg.msg_iov = &mut riov;
    rmsg.msg_iovlen = 1;
    rmsg.msg_control = rcbuf.as_mut_ptr().cast();
    rmsg.msg_controllen = std::mem::size_of_val(&rcbuf) as _;
    let (n, rerr) = loop {
        // SAFETY: `rmsg` describes `rstatus` and `rcbuf`, both live and writable.
        let n = unsafe { libc::recvmsg(parent_end.as_raw_fd(), &mut rmsg, libc::MSG_CMSG_CLOEXEC) };
        let e = errno();
        if n < 0 && e == libc::EINTR {
            continue;
        }
        break (n, e);
    };
    reap(pid);
    if n < 0 {
        return Err(rerr);
    }
    let mut fds: Vec<OwnedFd> = Vec::with_capacity(2);
    // SAFETY: `rmsg` was filled by recvmsg; CMSG_FIRSTHDR checks msg_controllen.
    let c = unsafe { libc::CMSG_FIRSTHDR(&rmsg) };
    // SAFETY: `c`, when non-null, points at a complete header inside `rcbuf` written by the
    // kernel; an SCM_RIGHTS payload holds (cmsg_len - CMSG_LEN(0)) / 4 descriptors, now ours.
    unsafe {
        if !c.is_null() && (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS
        {
            let count =
                ((*c).cmsg_len as usize).saturating_sub(libc::CMSG_LEN(0) as usize) / INT as usize;
            let p = libc::CMSG_DATA(c).cast::<libc::c_int>();
            for i in 0..count.min(2) {
                let fd = std::ptr::read_unaligned(p.add(i));
                if fd >= 0 {
                    fds.push(OwnedFd::from_raw_fd(fd));
                }
            }
        }
    }
    if (n as usize) < std::mem::size_of::<i32>() {
        // The child died before answering.
        return Err(libc::ECHILD);
    }
    if rstatus != 0 {
        return Err(rstatus);
    }
    Ok(fds)
}

fn reap(pid: libc::pid_t) {
    let mut st = 0;
    loop {
        // SAFETY: waitpid on our own child with a valid status pointer.
        let r = unsafe { libc::waitpid(pid, &mut st, 0) };
        if r >= 0 || errno() != libc::EINTR {
            return;
        }
    }
}

/// The jail id of the process `pid` (0: in no jail), from `kern.proc.pid.<pid>`'s `ki_jid`.
/// ESRCH when no process has that pid.
pub fn jail_of_pid(pid: u32) -> Result<i32, Errno> {
    let pid = libc::c_int::try_from(pid).map_err(|_| libc::ESRCH)?;
    let mib = [libc::CTL_KERN, libc::KERN_PROC, libc::KERN_PROC_PID, pid];
    // SAFETY: kinfo_proc is plain old data (integers, arrays, raw pointers that are never
    // followed); all-zero is a valid value for it.
    let mut kp: libc::kinfo_proc = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::kinfo_proc>();
    // SAFETY: `mib` names 4 levels; `kp` is writable for `len` bytes and outlives the call; no
    // new value is set (NULL, 0).
    let r = unsafe {
        libc::sysctl(
            mib.as_ptr(),
            mib.len() as libc::c_uint,
            (&mut kp as *mut libc::kinfo_proc).cast(),
            &mut len,
            std::ptr::null(),
            0,
        )
    };
    if r < 0 {
        return Err(errno());
    }
    // No process: the kernel answers with nothing (or ESRCH above).
    if len < std::mem::size_of::<libc::kinfo_proc>() {
        return Err(libc::ESRCH);
    }
    Ok(kp.ki_jid)
}

// ---- watching: routing sockets and kqueue ----

/// A routing socket set up for watching one VNET ([`route_socket`]).
#[derive(Debug)]
pub struct RouteSock {
    pub fd: OwnedFd,
    /// The receive buffer the kernel granted; `None` when every size asked for was refused
    /// and the kernel's default stayed.
    pub rcvbuf: Option<usize>,
    /// Whether SO_RERROR is on, so that an overflow shows as ENOBUFS from `recv`. Kernels
    /// before FreeBSD 13.1 do not have it (the setsockopt fails and is ignored): there, messages
    /// the socket had no room for are dropped without any sign, and only the framework's
    /// periodic re-listing notices what they said.
    pub rerror: bool,
}

/// The smallest receive buffer [`route_socket`] falls back to when a bigger one is refused.
const MIN_RCVBUF: usize = 64 * 1024;

fn setsockopt_int(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    opt: libc::c_int,
    val: libc::c_int,
) -> Result<(), Errno> {
    // SAFETY: `val` is a live c_int and the length given is its size; the kernel only reads it.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            opt,
            (&val as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

/// Sets FD_CLOEXEC, and O_NONBLOCK when `nonblock`.
fn set_fd_flags(fd: BorrowedFd<'_>, nonblock: bool) -> Result<(), Errno> {
    let raw = fd.as_raw_fd();
    // SAFETY: fcntl(2) on a borrowed, open descriptor with integer arguments only.
    unsafe {
        let fdf = libc::fcntl(raw, libc::F_GETFD);
        if fdf < 0 || libc::fcntl(raw, libc::F_SETFD, fdf | libc::FD_CLOEXEC) < 0 {
            return Err(errno());
        }
        if nonblock {
            let fl = libc::fcntl(raw, libc::F_GETFL);
            if fl < 0 || libc::fcntl(raw, libc::F_SETFL, fl | libc::O_NONBLOCK) < 0 {
                return Err(errno());
            }
        }
    }
    Ok(())
}

/// A PF_ROUTE raw socket (`socket(PF_ROUTE, SOCK_RAW, 0)`: every address family) in jail
/// `jid`'s VNET, opened by a forked child as [`socket_in_jail`] does; `None`: in the caller's
/// own VNET (the host's), directly. It is close-on-exec and non-blocking; its receive buffer is
/// `rcvbuf` bytes, or the largest power-of-two fraction of it the kernel grants down to 64 KiB
/// (the kernel refuses sizes past `kern.ipc.maxsockbuf`, 2 MiB by default), silently; and
/// SO_RERROR is asked for (see [`RouteSock::rerror`]).
///
/// An open socket holds a reference on the jail it was made in, so a removed jail stays dying
/// (its VNET not torn down) until the socket is closed.
pub fn route_socket(jid: Option<i32>, rcvbuf: usize) -> Result<RouteSock, Errno> {
    let fd = match jid {
        None => {
            let mut fds = [-1; 2];
            match open_route(&mut fds) {
                // SAFETY: `fds[0]` was just returned by socket(2) and is owned by nobody else.
                0 => unsafe { OwnedFd::from_raw_fd(fds[0]) },
                e => return Err(e),
            }
        }
        Some(jid) => fds_from_jail(jid, open_route)?
            .into_iter()
            .next()
            .ok_or(libc::EPROTO)?,
    };
    set_fd_flags(fd.as_fd(), true)?;
    let mut size = rcvbuf.clamp(1, libc::c_int::MAX as usize);
    let granted = loop {
        if setsockopt_int(
            fd.as_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            size as libc::c_int,
        )
        .is_ok()
        {
            break Some(size);
        }
        if size <= MIN_RCVBUF {
            break None;
        }
        size = (size / 2).max(MIN_RCVBUF);
    };
    let rerror = setsockopt_int(fd.as_fd(), libc::SOL_SOCKET, SO_RERROR, 1).is_ok();
    Ok(RouteSock {
        fd,
        rcvbuf: granted,
        rerror,
    })
}

/// One `recv(2)` without blocking: the length of the datagram (one routing message) written to
/// `buf`; a datagram longer than `buf` is cut and the rest of it discarded by the kernel.
pub fn recv_nonblock(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is writable for `buf.len()` bytes and alive for the call.
    let n = unsafe {
        libc::recv(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        Err(errno())
    } else {
        Ok(n as usize)
    }
}

/// A close-on-exec kqueue that polls readable when any of `fds` is readable (EVFILT_READ,
/// level-triggered). A descriptor closed later leaves the kqueue by itself.
pub fn kqueue_of(fds: &[BorrowedFd<'_>]) -> Result<OwnedFd, Errno> {
    // SAFETY: kqueue(2) takes no argument; the result is checked.
    let kq = unsafe { libc::kqueue() };
    if kq < 0 {
        return Err(errno());
    }
    // SAFETY: `kq` was just returned by kqueue(2) and is owned by nobody else.
    let kq = unsafe { OwnedFd::from_raw_fd(kq) };
    set_fd_flags(kq.as_fd(), false)?;
    if fds.is_empty() {
        return Ok(kq);
    }
    let changes: Vec<libc::kevent> = fds
        .iter()
        .map(|fd| {
            // SAFETY: `struct kevent` is plain data (integers and a `udata` pointer the kernel
            // never follows); all-zero is a valid value.
            let mut k: libc::kevent = unsafe { std::mem::zeroed() };
            k.ident = fd.as_raw_fd() as libc::uintptr_t;
            k.filter = libc::EVFILT_READ;
            k.flags = libc::EV_ADD;
            k
        })
        .collect();
    let n = libc::c_int::try_from(changes.len()).map_err(|_| libc::EINVAL)?;
    // SAFETY: `changes` holds `n` initialized entries alive for the call; the event list is
    // (NULL, 0), so the kernel writes nothing back (a change it refuses fails the call) and,
    // with no room for events, returns without waiting (the NULL timeout is never used).
    let r = unsafe {
        libc::kevent(
            kq.as_raw_fd(),
            changes.as_ptr(),
            n,
            std::ptr::null_mut(),
            0,
            std::ptr::null(),
        )
    };
    if r < 0 {
        Err(errno())
    } else {
        Ok(kq)
    }
}
