//! Every raw system call of the Linux backend: entering a netns on a dedicated thread, creating
//! a persistent netns, mounts, the tun/tap ioctls and the macvtap device node. The only file of
//! the backend with `unsafe`.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::stat::{fstat, makedev, mknod, Mode, SFlag};

use super::netlink::Netlink;

/// Runs `f` on a short-lived thread that first enters the netns `ns`. The calling thread never
/// changes namespace.
pub fn in_netns<T, F>(ns: BorrowedFd<'_>, f: F) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> io::Result<T> + Send + 'static,
{
    let fd = ns.try_clone_to_owned()?;
    std::thread::Builder::new()
        .name("ifclone-netns".into())
        .spawn(move || {
            setns(&fd, CloneFlags::CLONE_NEWNET)?;
            drop(fd);
            f()
        })?
        .join()
        .map_err(|_| io::Error::other("netns thread panicked"))?
}

/// Opens a configured rtnetlink socket inside the netns `ns`, on the netns worker
/// ([`on_worker`]); a socket stays in the netns it was made in.
pub fn socket_in(ns: BorrowedFd<'_>) -> io::Result<netlink_sys::Socket> {
    let fd = ns.try_clone_to_owned()?;
    on_worker(move || {
        setns(&fd, CloneFlags::CLONE_NEWNET)?;
        drop(fd);
        Netlink::socket()
    })
}

/// Runs `job` on one long-lived worker thread (never a caller's thread), which may change its
/// netns inside `job` and goes back to the netns it started in before it answers — no thread is
/// spawned per stack open or create. A worker that cannot go back retires (a thread left inside
/// a stack would keep its netns alive) and the next call starts a new one; without a worker, a
/// short-lived thread runs the job ([`in_netns`]'s way). Jobs run one at a time.
fn on_worker<T, F>(job: F) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> io::Result<T> + Send + 'static,
{
    use std::sync::mpsc;
    type Job = Box<dyn FnOnce(BorrowedFd<'_>) -> bool + Send>;
    static WORKER: std::sync::Mutex<Option<mpsc::Sender<Job>>> = std::sync::Mutex::new(None);

    // The answer, and whether the worker is back at home (false: it retired).
    let (rtx, rrx) = mpsc::sync_channel::<(io::Result<T>, bool)>(1);
    let wrapped: Job = Box::new(move |home: BorrowedFd<'_>| {
        let r = job();
        let home_again = setns(home, CloneFlags::CLONE_NEWNET).is_ok();
        let _ = rtx.send((r, home_again));
        home_again
    });
    let mut w = WORKER.lock().unwrap_or_else(|p| p.into_inner());
    if w.is_none() {
        let home = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_CLOEXEC)
            .open("/proc/thread-self/ns/net")?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("ifclone-netns".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    if !job(home.as_fd()) {
                        return;
                    }
                }
            })?;
        *w = Some(tx);
    }
    let sent = w.as_ref().map(|tx| tx.send(wrapped));
    drop(w);
    let retire = || *WORKER.lock().unwrap_or_else(|p| p.into_inner()) = None;
    match sent {
        Some(Ok(())) => match rrx.recv() {
            Ok((r, true)) => r,
            // Retired: a fresh worker next time. What the job made is kept (a socket stays in
            // the netns it was made in).
            Ok((r, false)) => {
                retire();
                r
            }
            Err(_) => {
                retire();
                Err(io::Error::other("the netns worker ended"))
            }
        },
        // The worker is gone: the job comes back with the unsent message; run it on a thread.
        Some(Err(mpsc::SendError(back))) => {
            retire();
            let home = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_CLOEXEC)
                .open("/proc/thread-self/ns/net")?;
            std::thread::Builder::new()
                .name("ifclone-netns".into())
                .spawn(move || {
                    back(home.as_fd());
                })?
                .join()
                .map_err(|_| io::Error::other("netns thread panicked"))?;
            rrx.recv()
                .map_err(|_| io::Error::other("netns thread gave no answer"))?
                .0
        }
        None => unreachable!("a worker was just made"),
    }
}

/// Opens a netns file read-only (close-on-exec).
pub fn open_ns(path: &Path) -> io::Result<OwnedFd> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)?;
    Ok(f.into())
}

/// (st_dev, st_ino) of an open file.
pub fn fd_ids(fd: BorrowedFd<'_>) -> io::Result<(u64, u64)> {
    let st = fstat(fd)?;
    Ok((st.st_dev, st.st_ino))
}

/// (st_dev, st_ino) of a path (following symlinks).
pub fn path_ids(p: &Path) -> io::Result<(u64, u64)> {
    let st = nix::sys::stat::stat(p)?;
    Ok((st.st_dev, st.st_ino))
}

/// Whether `fd` refers to a network namespace (NS_GET_NSTYPE answers CLONE_NEWNET).
pub fn is_netns(fd: BorrowedFd<'_>) -> bool {
    const NS_GET_NSTYPE: libc::c_ulong = 0xb703; // _IO(0xb7, 0x3)
                                                 // SAFETY: NS_GET_NSTYPE takes no argument and only reads the fd; an invalid fd yields -1.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_NSTYPE as _) };
    r == libc::CLONE_NEWNET
}

/// Makes `dir` a shared mount point, bind-mounting it onto itself first if it is not a mount
/// point yet (what `ip netns add` does for /run/netns).
pub fn make_shared_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let shared = MsFlags::MS_SHARED | MsFlags::MS_REC;
    match mount(Some(""), dir, Some("none"), shared, None::<&str>) {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::EINVAL) => {
            mount(
                Some(dir),
                dir,
                Some("none"),
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )?;
            mount(Some(""), dir, Some("none"), shared, None::<&str>)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates a new netns on the netns worker and bind-mounts it onto `file` (which exists).
/// Returns an fd on it.
pub fn create_netns_at(file: PathBuf) -> io::Result<OwnedFd> {
    on_worker(move || {
        unshare(CloneFlags::CLONE_NEWNET)?;
        mount(
            Some("/proc/thread-self/ns/net"),
            &file,
            Some("none"),
            MsFlags::MS_BIND,
            None::<&str>,
        )?;
        open_ns(&file)
    })
}

/// Lazily detaches the mount on `path` (the kernel frees the netns once unused).
pub fn umount_detach(path: &Path) -> io::Result<()> {
    umount2(path, MntFlags::MNT_DETACH)?;
    Ok(())
}

/// Asks for a socket receive buffer of `size` bytes (SO_RCVBUFFORCE when allowed).
pub fn set_rcvbuf(sock: &netlink_sys::Socket, size: usize) {
    // SAFETY: the socket outlives this borrow; the fd is valid while `sock` lives.
    let fd = unsafe { BorrowedFd::borrow_raw(sock.as_raw_fd()) };
    if nix::sys::socket::setsockopt(&fd, nix::sys::socket::sockopt::RcvBufForce, &size).is_err() {
        let _ = sock.set_rx_buf_sz(size);
    }
}

/// `SO_NETNS_COOKIE` (include/uapi/asm-generic/socket.h: 71, the number x86_64 and aarch64 use;
/// Linux 5.14+). The libc crate does not export it for these targets. Reading it with
/// `getsockopt(SOL_SOCKET)` gives the netns's cookie: a 64-bit number the kernel assigns once
/// per netns and never gives to another, unlike the netns inode, which is reused.
pub const SO_NETNS_COOKIE: libc::c_int = 71;

/// The `SO_NETNS_COOKIE` of the netns `fd` (a socket) was created in; `None` when the kernel
/// predates it (ENOPROTOOPT).
pub fn netns_cookie(fd: BorrowedFd<'_>) -> io::Result<Option<u64>> {
    let mut cookie: u64 = 0;
    let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
    // SAFETY: `cookie` is a valid, writable u64 and `len` holds its size; the kernel writes at
    // most `len` bytes into it and updates `len`. The fd is borrowed, so it is open for the
    // duration of the call.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            SO_NETNS_COOKIE,
            &mut cookie as *mut u64 as *mut libc::c_void,
            &mut len,
        )
    };
    if r < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENOPROTOOPT) => Ok(None),
            _ => Err(e),
        };
    }
    if len as usize != std::mem::size_of::<u64>() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("SO_NETNS_COOKIE returned {len} bytes, expected 8"),
        ));
    }
    Ok(Some(cookie))
}

// ---- tun/tap ----

const TUNSETIFF: libc::c_ulong = 0x4004_54ca; // _IOW('T', 202, int)
const TUNSETPERSIST: libc::c_ulong = 0x4004_54cb; // _IOW('T', 203, int)
const TUNGETIFF: libc::c_ulong = 0x8004_54d2; // _IOR('T', 210, unsigned int)
const TUNSETOWNER: libc::c_ulong = 0x4004_54cc; // _IOW('T', 204, int)
const TUNSETGROUP: libc::c_ulong = 0x4004_54ce; // _IOW('T', 206, int)
const TUNSETQUEUE: libc::c_ulong = 0x4004_54d9; // _IOW('T', 217, int)
const IFF_VNET_HDR: i16 = 0x4000;
const IFF_ATTACH_QUEUE: i16 = 0x0200;
const IFF_DETACH_QUEUE: i16 = 0x0400;
pub const IFF_TUN: i16 = 0x0001;
pub const IFF_TAP: i16 = 0x0002;
const IFF_NO_PI: i16 = 0x1000;
const IFF_MULTI_QUEUE: i16 = 0x0100;
const IFF_TUN_EXCL: i16 = -0x8000; // 0x8000 as a short

#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    flags: i16,
    _pad: [u8; 22],
}

fn tun_setiff(fd: BorrowedFd<'_>, name: &str, flags: i16) -> io::Result<String> {
    tun_ifreq(fd, TUNSETIFF, name, flags)
}

/// The name of the device a tun/tap/macvtap descriptor serves (TUNGETIFF).
pub fn tun_getiff(fd: BorrowedFd<'_>) -> io::Result<String> {
    tun_ifreq(fd, TUNGETIFF, "", 0)
}

/// A tun ioctl that reads and writes a struct ifreq (TUNSETIFF, TUNGETIFF); the name the kernel
/// leaves in it.
fn tun_ifreq(
    fd: BorrowedFd<'_>,
    request: libc::c_ulong,
    name: &str,
    flags: i16,
) -> io::Result<String> {
    let mut req = IfReq {
        name: [0; libc::IFNAMSIZ],
        flags,
        _pad: [0; 22],
    };
    let n = name.as_bytes();
    if n.len() >= libc::IFNAMSIZ {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    req.name[..n.len()].copy_from_slice(n);
    // SAFETY: TUNSETIFF and TUNGETIFF read and write a struct ifreq (40 bytes); IfReq has that
    // layout and lives for the duration of the call.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, &mut req as *mut IfReq) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    let end = req
        .name
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(libc::IFNAMSIZ);
    Ok(String::from_utf8_lossy(&req.name[..end]).into_owned())
}

/// How a tun/tap device is made beyond its kind and queues.
#[derive(Clone, Copy, Debug)]
pub struct TunOpts {
    pub vnet_hdr: bool,
    pub persist: bool,
    pub owner: Option<u32>,
    pub group: Option<u32>,
}

/// Creates a tun (`kind` = IFF_TUN) or tap (IFF_TAP) device in the calling thread's netns with
/// `queues` queues (IFF_MULTI_QUEUE when more than one), the vnet header, owner and group of
/// `opts`, persistent if asked (else it goes with its last fd). `name` may be a template
/// (`tap%d`). An existing name is refused (IFF_TUN_EXCL → EBUSY, reported as EEXIST): a plain
/// TUNSETIFF on an existing name would attach to it. Returns the name and one fd per queue.
pub fn tun_create(
    name: &str,
    kind: i16,
    queues: u16,
    opts: TunOpts,
) -> io::Result<(String, Vec<OwnedFd>)> {
    let mut flags = kind | IFF_NO_PI;
    if queues > 1 {
        flags |= IFF_MULTI_QUEUE;
    }
    if opts.vnet_hdr {
        flags |= IFF_VNET_HDR;
    }
    let open = || -> io::Result<OwnedFd> {
        Ok(OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_CLOEXEC)
            .open("/dev/net/tun")?
            .into())
    };
    let first = open()?;
    let real = match tun_setiff(first.as_fd(), name, flags | IFF_TUN_EXCL) {
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
            return Err(io::Error::from_raw_os_error(libc::EEXIST))
        }
        r => r?,
    };
    let mut fds = vec![first];
    for _ in 1..queues {
        let fd = open()?;
        tun_setiff(fd.as_fd(), &real, flags)?;
        fds.push(fd);
    }
    if let Some(uid) = opts.owner {
        tun_int(fds[0].as_fd(), TUNSETOWNER, uid as libc::c_ulong)?;
    }
    if let Some(gid) = opts.group {
        tun_int(fds[0].as_fd(), TUNSETGROUP, gid as libc::c_ulong)?;
    }
    if opts.persist {
        tun_int(fds[0].as_fd(), TUNSETPERSIST, 1)?;
    }
    Ok((real, fds))
}

/// A tun ioctl that takes its integer argument by value (TUNSETPERSIST, TUNSETOWNER,
/// TUNSETGROUP).
fn tun_int(fd: BorrowedFd<'_>, request: libc::c_ulong, v: libc::c_ulong) -> io::Result<()> {
    // SAFETY: these ioctls take an integer by value; the fd is borrowed for the call.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, v) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Attaches (`true`) or detaches a queue fd of a multiqueue tap (TUNSETQUEUE with
/// IFF_ATTACH_QUEUE / IFF_DETACH_QUEUE): a detached queue stays open but gets no frames.
pub fn tun_set_queue(fd: BorrowedFd<'_>, attached: bool) -> io::Result<()> {
    let flag = if attached {
        IFF_ATTACH_QUEUE
    } else {
        IFF_DETACH_QUEUE
    };
    tun_ifreq(fd, TUNSETQUEUE, "", flag).map(|_| ())
}

/// Whether /dev/net/tun can be opened (tun/tap are available).
pub fn tun_available() -> bool {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")
        .is_ok()
}

// ---- vhost-net ----

const VHOST_SET_OWNER: libc::c_ulong = 0xaf01; // _IO(0xAF, 0x01)

/// Opens `/dev/vhost-net` `n` times (close-on-exec). With `own`, each fd is made this
/// process's (VHOST_SET_OWNER): its worker then runs against this process's memory, so only a
/// process that runs the datapath itself asks for it; a hypervisor that is handed the fds sets
/// the owner itself (a second VHOST_SET_OWNER is EBUSY).
pub fn vhost_net_open(n: u16, own: bool) -> io::Result<Vec<OwnedFd>> {
    let mut out = Vec::with_capacity(usize::from(n));
    for _ in 0..n {
        let fd: OwnedFd = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_CLOEXEC)
            .open("/dev/vhost-net")?
            .into();
        if own {
            vhost_set_owner(fd.as_fd())?;
        }
        out.push(fd);
    }
    Ok(out)
}

/// VHOST_SET_OWNER on a vhost fd.
pub fn vhost_set_owner(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: VHOST_SET_OWNER takes no argument; the fd is borrowed for the call.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), VHOST_SET_OWNER as _) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

// ---- macvtap ----

/// Opens the macvtap character device `/dev/tapN` of interface `ifname` (index `ifindex`) as seen
/// from the calling thread's netns. Must run on a dedicated thread that already entered the
/// target netns: it unshares the mount namespace, mounts a private tmpfs on `tmp` (an empty
/// directory) and a sysfs under it, reads the device number, creates the node there and opens
/// it `queues` times (at least once), checking each descriptor serves that very device. The
/// mounts vanish with the thread.
pub fn macvtap_open(
    tmp: &Path,
    ifname: &str,
    ifindex: u32,
    queues: u16,
) -> io::Result<Vec<OwnedFd>> {
    unshare(CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_FS)?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )?;
    mount(
        Some("tmpfs"),
        tmp,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("mode=0700"),
    )?;
    let sys = tmp.join("sys");
    std::fs::create_dir(&sys)?;
    mount(
        Some("sysfs"),
        &sys,
        Some("sysfs"),
        MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC | MsFlags::MS_NODEV,
        None::<&str>,
    )?;
    let devfile = sys.join(format!("class/net/{ifname}/macvtap/tap{ifindex}/dev"));
    let text = std::fs::read_to_string(&devfile)?;
    let (maj, min) = parse_devnum(&text).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad device number {text:?} in {}", devfile.display()),
        )
    })?;
    let node = tmp.join(format!("tap{ifindex}"));
    mknod(
        &node,
        SFlag::S_IFCHR,
        Mode::from_bits_truncate(0o600),
        makedev(maj, min),
    )?;
    let mut fds = Vec::with_capacity(queues.max(1) as usize);
    for _ in 0..queues.max(1) {
        let fd: OwnedFd = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_CLOEXEC)
            .open(&node)?
            .into();
        fds.push(fd);
    }
    let _ = std::fs::remove_file(&node);
    // Each descriptor must serve this very device: the name the fd answers to (TUNGETIFF)
    // and the index that name has now must be the ones asked for. A device destroyed after the
    // number was read (and an index or name reused since) fails here, never reaches a caller.
    let now = std::fs::read_to_string(sys.join(format!("class/net/{ifname}/ifindex")))?;
    for fd in &fds {
        let name = tun_getiff(fd.as_fd())?;
        if name != ifname || now.trim().parse::<u32>().ok() != Some(ifindex) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "the macvtap device serves {name:?} (index {}), not {ifname} (index {ifindex}): it was re-created",
                    now.trim()
                ),
            ));
        }
    }
    Ok(fds)
}

/// Parses sysfs `MAJ:MIN`.
pub fn parse_devnum(s: &str) -> Option<(u64, u64)> {
    let (a, b) = s.trim().split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}
