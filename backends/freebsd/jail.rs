//! VNET jails as stacks: create (jail_set JAIL_CREATE with `vnet` = JAIL_SYS_NEW and
//! `persist`), look up by name or jid (jail_get), list (lastjid iteration, VNET jails only),
//! remove (jail_remove, then wait — bounded — for the dying jail to be freed, which is when its
//! VNET is torn down and loaned interfaces return home).

use std::time::{Duration, Instant};

use super::sys;
use crate::error::{Error, Result};
use crate::freebsd::errs::kerr_detail;
use ifclone_freebsd_abi::consts::JAIL_SYS_NEW;
use ifclone_freebsd_abi::req::{self, JailParam};

/// A jail as jail_get reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JailInfo {
    pub jid: i32,
    pub name: String,
    /// Whether it has its own VNET.
    pub vnet: bool,
}

fn jerr(op: &'static str, object: &str, errno: i32, params: &[JailParam]) -> Error {
    kerr_detail(op, object, "host", errno, req::errmsg(params))
}

fn info(jid: i32, params: &[JailParam], fallback_name: &str) -> JailInfo {
    JailInfo {
        jid,
        name: req::param_str(params, "name")
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| fallback_name.to_string()),
        vnet: req::param_int(params, "vnet") == Some(JAIL_SYS_NEW),
    }
}

/// Creates a persistent VNET jail rooted at `/`.
pub fn create(name: &str) -> Result<JailInfo> {
    let mut p = req::jail_create(name);
    let jid =
        sys::jail_set(&mut p, libc::JAIL_CREATE).map_err(|e| jerr("create stack", name, e, &p))?;
    Ok(JailInfo {
        jid,
        name: name.to_string(),
        vnet: true,
    })
}

/// Looks a live jail up by name.
pub fn by_name(name: &str) -> Result<JailInfo> {
    let mut p = req::jail_get_name(name);
    let jid = sys::jail_get(&mut p, 0).map_err(|e| jerr("open stack", name, e, &p))?;
    Ok(info(jid, &p, name))
}

/// Looks a jail up by id; `dying` also finds jails that were removed but not yet freed.
pub fn by_jid(jid: i32, dying: bool) -> Result<JailInfo> {
    let mut p = req::jail_get_jid(jid);
    let flags = if dying { libc::JAIL_DYING } else { 0 };
    let got = sys::jail_get(&mut p, flags)
        .map_err(|e| jerr("open stack", &format!("jid:{jid}"), e, &p))?;
    Ok(info(got, &p, ""))
}

/// Every live jail visible to the caller.
pub fn list() -> Result<Vec<JailInfo>> {
    let mut out = Vec::new();
    let mut last = 0;
    loop {
        let mut p = req::jail_get_next(last);
        match sys::jail_get(&mut p, 0) {
            Ok(jid) => {
                out.push(info(jid, &p, ""));
                if jid <= last {
                    break;
                }
                last = jid;
            }
            Err(libc::ENOENT) => break,
            Err(e) => return Err(jerr("list stacks", "jails", e, &p)),
        }
    }
    Ok(out)
}

/// Removes the jail and waits up to `wait` for it to be freed (its VNET torn down). A jail
/// still dying after that is left to the kernel (it is already invisible to lookups).
pub fn remove(jid: i32, name: &str, wait: Duration) -> Result<()> {
    sys::jail_remove(jid).map_err(|e| kerr_detail("remove stack", name, "host", e, None))?;
    let start = Instant::now();
    while start.elapsed() < wait {
        match by_jid(jid, true) {
            Ok(j) if j.name == name || j.name.is_empty() => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => return Ok(()),
        }
    }
    Ok(())
}
