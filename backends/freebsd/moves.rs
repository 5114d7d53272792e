//! The kernel's own moves between VNETs.
//!
//! - host (or any parent) → jail: SIOCSIFVNET ("loan"), issued on the source's socket with
//!   `ifr_jid` = target jail.
//! - jail → host: SIOCSIFRVNET ("reclaim"), issued on the host's socket with the name as seen
//!   inside the jail and `ifr_jid` = that jail; the kernel moves it into the calling process's
//!   VNET. The kernel does not check for a name clash here, so ifclone does.
//! - jail → jail: reclaim to the host, then loan.
//!
//! A requested new name is set in the target after the move; when the current name is taken in
//! the target but the new one is free, the interface is renamed before the move instead. If the
//! rename after the move fails, the interface is moved back.

use std::os::fd::AsFd;

use super::ops::On;
use super::sys::{self, Plain};
use super::SysStack;
use crate::error::{Error, Result};
use crate::model::*;
use ifclone_freebsd_abi::req;

fn on<'a>(s: &'a SysStack, fd: &'a super::sys::Socks) -> On<'a> {
    // Lifetimes: the returned On borrows `fd`, which callers keep alive.
    On {
        fd: fd.inet.as_fd(),
        fd6: fd.inet6.as_ref().map(|f| f.as_fd()),
        stack: s.shared_name(),
    }
}

/// One kernel move of `name` from `src` to `dst`. `issue` is the socket the ioctl goes to and
/// `jid` the jail named in it.
#[allow(clippy::too_many_arguments)]
fn hop(
    src: On<'_>,
    dst: On<'_>,
    issue: On<'_>,
    p: Plain,
    jid: i32,
    name: IfName,
    new_name: Option<IfName>,
) -> Result<IfName> {
    let mut moving = name;
    if dst.exists(name.as_str())? {
        match new_name {
            Some(n) if n != name && !dst.exists(n.as_str())? => {
                src.rename(name.as_str(), n.as_str())?;
                moving = n;
            }
            _ => {
                return Err(Error::from_errno(
                    libc::EEXIST,
                    crate::error::Context::new("move", name.as_str())
                        .stack(src.stack.as_ref())
                        .detail(format!(
                            "an interface named {name} already exists in {}",
                            dst.stack
                        )),
                ))
            }
        }
    }
    let mut r = req::vnet(moving.as_str(), jid);
    if let Err(e) = sys::plain(issue.fd, p, &mut r) {
        if moving != name {
            let _ = src.rename(moving.as_str(), name.as_str());
        }
        return Err(src
            .err("move", name.as_str(), e)
            .with_detail(format_args!("to {}", dst.stack)));
    }
    if let Some(n) = new_name {
        if n != moving {
            if let Err(e) = dst.rename(moving.as_str(), n.as_str()) {
                // Put it back where it came from.
                let back = if matches!(p, Plain::Loan) {
                    Plain::Reclaim
                } else {
                    Plain::Loan
                };
                let mut r = req::vnet(moving.as_str(), jid);
                let _ = sys::plain(issue.fd, back, &mut r);
                return Err(e);
            }
            moving = n;
        }
    }
    Ok(moving)
}

/// Moves `name` from `from` to `to`; returns its final name and index in `to`.
pub fn relocate(
    host: &SysStack,
    from: &SysStack,
    name: IfName,
    to: &SysStack,
    new_name: Option<IfName>,
) -> Result<(IfName, u32)> {
    let ffd = from.sock()?;
    let tfd = to.sock()?;
    let (f, t) = (on(from, &ffd), on(to, &tfd));
    let final_name = if from.jid() == to.jid() {
        match new_name {
            Some(n) if n != name => {
                f.rename(name.as_str(), n.as_str())?;
                n
            }
            _ => name,
        }
    } else if from.is_host_stack() {
        hop(f, t, f, Plain::Loan, to.jid(), name, new_name)?
    } else if to.is_host_stack() {
        hop(f, t, t, Plain::Reclaim, from.jid(), name, new_name)?
    } else {
        let hfd = host.sock()?;
        let h = on(host, &hfd);
        let via = hop(f, h, h, Plain::Reclaim, from.jid(), name, None)
            .map_err(|e| e.with_detail("while passing through the host (jail to jail move)"))?;
        match hop(h, t, h, Plain::Loan, to.jid(), via, new_name) {
            Ok(n) => n,
            Err(e) => {
                // Return it to the jail it came from.
                let mut r = req::vnet(via.as_str(), from.jid());
                let _ = sys::plain(h.fd, Plain::Loan, &mut r);
                return Err(e);
            }
        }
    };
    let index = t
        .index(final_name.as_str())?
        .ok_or_else(|| t.err("move", final_name.as_str(), libc::ENXIO))?;
    Ok((final_name, index))
}
