//! Finding a stack by its kernel identity ([`StackHandle::key`]): the host, every named netns
//! under /run/netns and the netns of every process are candidates. Candidates are told apart by
//! their netns inode first (one `stat` each), and only a candidate with a new inode is opened
//! to compare its whole key.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use crate::backend::prelude::*;
use crate::error::Result;
use crate::model::StackSel;

use super::stack::NETNS_DIR;
use super::{sys, SysStack, System};

/// The live stack whose key is `key`, if any.
pub fn by_key(b: &System, key: &str) -> Result<Option<Arc<SysStack>>> {
    let mut candidates: Vec<(StackSel, std::path::PathBuf)> = vec![
        (StackSel::Host, "/proc/self/ns/net".into()),
        (StackSel::Pid(1), "/proc/1/ns/net".into()),
    ];
    if let Ok(rd) = std::fs::read_dir(NETNS_DIR) {
        for e in rd.flatten() {
            if let Ok(n) = e.file_name().into_string() {
                candidates.push((StackSel::Name(n), e.path()));
            }
        }
    }
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            if let Some(pid) = e.file_name().to_str().and_then(|p| p.parse::<u32>().ok()) {
                candidates.push((
                    StackSel::Pid(pid),
                    Path::new("/proc").join(pid.to_string()).join("ns/net"),
                ));
            }
        }
    }
    let want = crate::backend::Stacks::lock_id_of(b, key);
    let mut seen = HashSet::new();
    for (sel, path) in candidates {
        let Ok(ids) = sys::path_ids(&path) else {
            continue;
        };
        if !seen.insert(ids) {
            continue;
        }
        // A process may exit, a name may be removed, between the stat and the open ...
        // (The inode is compared first: the cookie costs a socket in each candidate.)
        match b.open_stack(&sel) {
            Ok(s) if s.lock_id() == want && s.key()? == key => return Ok(Some(s)),
            Ok(_) => {}
            // ... or a name under /run/netns holds no netns (being created or removed).
            Err(e) if e.is_not_found() || matches!(e, crate::Error::InvalidArgument(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}
