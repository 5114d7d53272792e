//! Network namespaces as stacks: create (the way `ip netns add` does), open by name, path or
//! pid, list, remove. A [`SysStack`] holds the netns fd (keeping the netns alive) and the one
//! netlink socket of the stack, opened inside it with the first request.

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::backend::StackHandle;
use crate::error::{Context, Error, Result};
use crate::model::{StackInfo, StackSel};

use super::io_error;
use super::netlink::Netlink;
use super::sys;

/// Where `ip netns` keeps named namespaces.
pub const NETNS_DIR: &str = "/run/netns";

/// An open network namespace with its netlink socket (opened with the first request).
#[derive(Debug)]
pub struct SysStack {
    name: Arc<str>,
    sel: StackSel,
    fd: OwnedFd,
    dev: u64,
    ino: u64,
    /// SO_NETNS_COOKIE (0 on kernels without it), read from the netlink socket when the key is
    /// first asked for: a stack opened only to be removed with nothing to return needs neither.
    cookie: OnceLock<u64>,
    nl: Mutex<Netlink>,
}

impl SysStack {
    /// The netlink socket (sequence numbers are per socket; one request at a time), opened
    /// inside the netns on first use.
    pub(crate) fn nl(&self) -> MutexGuard<'_, Netlink> {
        let mut nl = self.nl.lock().unwrap_or_else(|p| p.into_inner());
        nl.open_in(self.fd.as_fd());
        nl
    }

    pub(crate) fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The name, shared with every `Interface` record read from this stack.
    pub(crate) fn shared_name(&self) -> &Arc<str> {
        &self.name
    }

    /// Whether two handles are the same netns.
    pub(crate) fn same(&self, other: &SysStack) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }

    fn from_fd(name: String, sel: StackSel, fd: OwnedFd) -> Result<SysStack> {
        let err = |op: &'static str, e: std::io::Error| io_error(e, Context::new(op, name.clone()));
        if !sys::is_netns(fd.as_fd()) {
            return Err(Error::invalid(
                "open stack",
                name.clone(),
                "not a network namespace file",
            ));
        }
        let (dev, ino) = sys::fd_ids(fd.as_fd()).map_err(|e| err("open stack", e))?;
        Ok(SysStack {
            name: name.into(),
            sel,
            fd,
            dev,
            ino,
            cookie: OnceLock::new(),
            nl: Mutex::new(Netlink::lazy()),
        })
    }
}

impl StackHandle for SysStack {
    fn name(&self) -> &str {
        &self.name
    }
    /// `netns:<inode>:<cookie>`: the inode alone is reused once a netns is freed; the cookie
    /// never is, so a key is never taken for a later stack. `<cookie>` is 0 on kernels before
    /// 5.14 (no SO_NETNS_COOKIE), where the inode is all there is. Reading the cookie opens the
    /// stack's netlink socket if nothing has yet.
    fn key(&self) -> Result<String> {
        let cookie = match self.cookie.get() {
            Some(c) => *c,
            None => {
                let c = self
                    .nl()
                    .netns_cookie()
                    .map_err(|e| io_err("read the netns cookie of", &self.name, e))?
                    .unwrap_or(0);
                *self.cookie.get_or_init(|| c)
            }
        };
        Ok(format!("netns:{}:{cookie}", self.ino))
    }
    /// `netns:<inode>`, which needs no socket: shared only with earlier, freed netns that had
    /// the same inode, which no longer take locks of their own.
    fn lock_id(&self) -> String {
        format!("netns:{}", self.ino)
    }
    fn selector(&self) -> StackSel {
        self.sel.clone()
    }
    fn is_host(&self) -> bool {
        self.sel == StackSel::Host
    }
}

fn io_err(op: &'static str, object: &str, e: std::io::Error) -> Error {
    io_error(e, Context::new(op, object))
}

/// Opens a stack by selector.
pub fn open(sel: &StackSel) -> Result<SysStack> {
    let (name, path): (String, PathBuf) = match sel {
        StackSel::Host => ("host".into(), "/proc/self/ns/net".into()),
        StackSel::Name(n) => (n.clone(), Path::new(NETNS_DIR).join(n)),
        StackSel::Path(p) => (p.display().to_string(), p.clone()),
        StackSel::Pid(p) => (format!("pid:{p}"), format!("/proc/{p}/ns/net").into()),
        StackSel::Id(i) => {
            return Err(Error::unsupported(
                "open stack",
                format!("jid:{i}"),
                "Linux has no numeric stack ids; use a name, a path or pid:N",
            ))
        }
    };
    let fd = sys::open_ns(&path).map_err(|e| {
        let mut err = io_err("open stack", &name, e);
        if err.is_not_found() {
            err = err.with_detail(format!("no network namespace at {}", path.display()));
        }
        err
    })?;
    SysStack::from_fd(name, sel.clone(), fd)
}

/// Creates a named persistent netns under /run/netns, as `ip netns add` does.
pub fn create(name: &str) -> Result<SysStack> {
    let dir = Path::new(NETNS_DIR);
    sys::make_shared_dir(dir).map_err(|e| io_err("create stack", name, e))?;
    let file = dir.join(name);
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&file)
        .map_err(|e| io_err("create stack", name, e))?;
    // Like an opened stack, a new one gets its netlink socket with its first request.
    let made = sys::create_netns_at(file.clone())
        .map_err(|e| io_err("create stack", name, e))
        .and_then(|fd| SysStack::from_fd(name.to_string(), StackSel::Name(name.into()), fd));
    if made.is_err() {
        let _ = sys::umount_detach(&file);
        let _ = std::fs::remove_file(&file);
    }
    made
}

/// The named stacks: entries of /run/netns (id = netns inode).
pub fn list() -> Result<Vec<StackInfo>> {
    let rd = match std::fs::read_dir(NETNS_DIR) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("list stacks", NETNS_DIR, e)),
    };
    let mut out = Vec::new();
    for ent in rd.flatten() {
        let Ok(name) = ent.file_name().into_string() else {
            continue;
        };
        let id = sys::path_ids(&ent.path()).map(|(_, ino)| ino).unwrap_or(0);
        out.push(StackInfo { name, id });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Removes a named stack: lazy unmount and unlink of /run/netns/NAME.
pub fn remove(s: &SysStack) -> Result<()> {
    let StackSel::Name(n) = &s.sel else {
        return Err(Error::invalid(
            "remove stack",
            s.name.to_string(),
            "only named stacks (under /run/netns) can be removed",
        ));
    };
    let file = Path::new(NETNS_DIR).join(n);
    match sys::path_ids(&file) {
        Ok((dev, ino)) if dev == s.dev && ino == s.ino => {}
        Ok(_) => {
            return Err(Error::NotFound(Box::new(
                Context::new("remove stack", n.clone())
                    .detail(format!("{} no longer holds this namespace", file.display())),
            )))
        }
        Err(e) => return Err(io_err("remove stack", n, e)),
    }
    sys::umount_detach(&file).map_err(|e| io_err("remove stack", n, e))?;
    std::fs::remove_file(&file).map_err(|e| io_err("remove stack", n, e))?;
    Ok(())
}

/// Whether the handle still refers to a netns and, for a named stack, whether /run/netns/NAME
/// still holds that same netns.
pub fn alive(s: &SysStack) -> bool {
    if !sys::is_netns(s.fd.as_fd()) {
        return false;
    }
    match &s.sel {
        StackSel::Name(n) => matches!(
            sys::path_ids(&Path::new(NETNS_DIR).join(n)),
            Ok((d, i)) if d == s.dev && i == s.ino
        ),
        _ => true,
    }
}

const RTM_NEWNSID: u16 = 88;

/// The id `s` gives the netns of `other` (RTM_GETNSID with NETNSA_FD); -1 when `s` has none
/// assigned for it.
pub fn nsid_of(s: &SysStack, other: &SysStack) -> Result<i32> {
    use netlink_packet_core::Parseable;
    use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};
    use netlink_packet_route::RouteNetlinkMessage;
    use std::os::fd::AsRawFd;

    let mut m = NsidMessage::default();
    m.attributes
        .push(NsidAttribute::Fd(other.fd.as_raw_fd() as u32));
    let got = s
        .nl()
        .get(RouteNetlinkMessage::GetNsId(m), |m| {
            if m.kind != RTM_NEWNSID {
                return None;
            }
            NsidMessage::parse(m.payload)
                .ok()?
                .attributes
                .iter()
                .find_map(|a| match a {
                    NsidAttribute::Id(id) => Some(*id),
                    _ => None,
                })
        })
        .map_err(|e| {
            let mut c = Context::new("get netnsid of", other.name.to_string()).stack(s.name());
            if let Some(t) = e.msg {
                c = c.detail(t);
            }
            Error::from_errno(e.errno, c)
        })?;
    Ok(got.unwrap_or(-1))
}

/// Shared host handle, opened at first use.
pub fn host(cell: &std::sync::OnceLock<Arc<SysStack>>) -> Result<Arc<SysStack>> {
    if let Some(h) = cell.get() {
        return Ok(h.clone());
    }
    let h = Arc::new(open(&StackSel::Host)?);
    Ok(cell.get_or_init(|| h).clone())
}
