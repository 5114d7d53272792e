//! State that outlives a process — the ledger of loans and the write-ahead intents of moves —
//! and the locks that keep concurrent processes from corrupting it or racing each other.
//!
//! Rules every state file follows:
//! - **Per boot.** The state describes kernel objects — network stacks, interfaces — that do not
//!   outlive the running kernel, so only this boot's state is ever read: Linux's `/run` is a
//!   tmpfs on most systems and the directory carries a `boot_id` file besides (what an earlier
//!   boot left is moved aside to `earlier-boot-<id>/` by [`this_boot`]); FreeBSD's
//!   `rc.d/cleanvar` empties `/var/run` at boot. What a machine crash leaves is therefore never
//!   read, so nothing is `fsync`ed: a process crash — the failure the state is for — loses
//!   nothing the page cache holds. (Measured: the five `fsync`s of one move cost ≈ 8 ms on a
//!   virtio disk, half again the kernel's own 16 ms for the move.)
//! - **Atomic writes.** A file is written to a temporary name unique to the writer (pid and a
//!   counter) and renamed over the old one, so a reader (or a process after a crash) sees the old
//!   contents or the new ones, never a mix.
//! - **Locks are files that are not removed while what they guard lives** (`flock` on a file
//!   that someone unlinks protects nothing: the next process locks a new inode). A stack's lock
//!   files go only when the stack itself has been removed: its key is never given to another
//!   stack, so a process still waiting on one finds the stack gone. A lock is released by the
//!   kernel when its holder dies, which is what makes a crashed holder visible.
//! - **Validated on read.** A file that cannot be read or parsed is [`Error::Corrupt`], naming
//!   the file; it is never read as "nothing".
//!
//! - **Stack marks.** A stack's lock file is empty until the ledger records a loan in the stack;
//!   then it holds one line, until the stack's removal clears it (see [`stack_lock_path`]). A
//!   removal that finds no intent and no mark needs no ledger file and no kernel request.
//!
//! Stack locks: every operation that changes what lives in a stack (a move, a return, a
//! removal, a creation placed into another stack) holds the exclusive lock of each stack it
//! touches, taken in key order so that two processes never wait for each other in a cycle.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Context, Error, Result};

/// The error for an I/O failure on a state file, with the OS's own text.
pub(crate) fn io_error(op: &'static str, path: &Path, e: std::io::Error) -> Error {
    Error::from_errno(
        e.raw_os_error().unwrap_or(libc::EIO),
        Context::new(op, path.display().to_string()).detail(e.to_string()),
    )
}

/// The error for a state file that exists but is damaged.
pub(crate) fn corrupt(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::Corrupt(Box::new(
        Context::new("read state", path.display().to_string()).detail(format!(
            "{why}; nothing was changed: repair or move the file aside (see docs/vmove.md §4)"
        )),
    ))
}

/// A file name made from a stack key (`netns:1:2` → `netns_1_2`).
pub(crate) fn file_stem(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The names of the entries of a state directory (none when it does not exist yet). A name that
/// is not UTF-8 is no file of ifclone's and is left out.
pub(crate) fn names_in(dir: &Path, op: &'static str) -> Result<Vec<String>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(op, dir, e)),
    };
    let mut out = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| io_error(op, dir, e))?;
        if let Ok(n) = ent.file_name().into_string() {
            out.push(n);
        }
    }
    Ok(out)
}

pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| io_error("create state directory", dir, e))
}

/// An exclusive `flock`, held until dropped (or until the process dies).
#[derive(Debug)]
pub(crate) struct Lock {
    file: File,
}

/// Opens (creating if need be) a lock file; its directory is made only when it is missing.
fn open_lock(path: &Path) -> Result<File> {
    let open = || {
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
    };
    match open() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(d) = path.parent() {
                ensure_dir(d)?;
            }
            open()
        }
        r => r,
    }
    .map_err(|e| io_error("open lock", path, e))
}

/// Takes the exclusive lock at `path`, waiting for its holder.
pub(crate) fn lock(path: &Path) -> Result<Lock> {
    let f = open_lock(path)?;
    f.lock().map_err(|e| io_error("lock", path, e))?;
    Ok(Lock { file: f })
}

/// Takes the exclusive lock at `path` if nobody holds it.
pub(crate) fn try_lock(path: &Path) -> Result<Option<Lock>> {
    let f = open_lock(path)?;
    match f.try_lock() {
        Ok(()) => Ok(Some(Lock { file: f })),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(e)) => Err(io_error("lock", path, e)),
    }
}

/// Reads a whole state file; `None` when it does not exist. Anything else that keeps it from
/// being read (a directory in its place, an I/O error, bytes that are not UTF-8) is an error.
pub(crate) fn read(path: &Path) -> Result<Option<String>> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("read state", path, e)),
    };
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes).map_err(|e| {
        if e.raw_os_error() == Some(libc::EISDIR) {
            corrupt(path, "a directory stands where the state file should be")
        } else {
            io_error("read state", path, e)
        }
    })?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| corrupt(path, "the file is not UTF-8 text"))
}

/// Replaces `path` with `contents`, atomically (see the module's rules for why not `fsync`).
pub(crate) fn write(path: &Path, contents: &[u8]) -> Result<()> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().expect("state files live in a directory");
    ensure_dir(dir)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(
        ".tmp.{}.{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = PathBuf::from(tmp);
    let written = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(contents)?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("write state", path, e));
    }
    Ok(())
}

/// Removes a state file; one that is already gone is not an error.
pub(crate) fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("remove state", path, e)),
    }
}

/// The state directory `root`, made this boot's (`boot_id`, empty when unknown): a directory
/// whose `boot_id` file names another boot holds what that boot left, which is moved aside to
/// `root/earlier-boot-<id>/` (kept for a person to read, never read by ifclone). A directory
/// without the file (first use, or state from before the file existed, which was `fsync`ed) is
/// this boot's. Checked under `root/boot.lock`, once per process.
pub(crate) fn this_boot(root: &Path, boot_id: &str) -> PathBuf {
    let id: String = boot_id.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    if id.is_empty() {
        return root.to_path_buf();
    }
    let _held = lock(&root.join("boot.lock"));
    let marker = root.join("boot_id");
    let before = fs::read_to_string(&marker).unwrap_or_default();
    let before = before.trim();
    if before == id {
        return root.to_path_buf();
    }
    if !before.is_empty() {
        let aside = root.join(format!(
            "earlier-boot-{}",
            file_stem(before).chars().take(36).collect::<String>()
        ));
        let _ = fs::create_dir_all(&aside);
        if let Ok(rd) = fs::read_dir(root) {
            for e in rd.flatten() {
                let name = e.file_name();
                let n = name.to_string_lossy();
                if n == "boot.lock" || n == "boot_id" || n.starts_with("earlier-boot-") {
                    continue;
                }
                let _ = fs::rename(e.path(), aside.join(&name));
            }
        }
    }
    let _ = write(&marker, format!("{id}\n").as_bytes());
    root.to_path_buf()
}

/// The locks of the stacks one operation touches, taken in key order (so that no two processes
/// wait for each other in a cycle) and released together.
#[derive(Debug)]
pub(crate) struct StackLocks {
    held: Vec<(String, Lock)>,
    runtime: PathBuf,
}

/// The lock file of a stack, named after its lock id
/// ([`crate::backend::StackHandle::lock_id`], which needs no kernel request).
///
/// The file is also the stack's **mark**: empty while no ledger file may hold loans of a stack
/// with this lock id, one line once the ledger has recorded one ([`mark_named`]). The mark is
/// set before the ledger file is written and cleared only by the removal of the stack, under
/// its lock, after its ledger was forgotten; so an unmarked lock file proves, in one `fstat`,
/// that the stack has nothing to return (a stale mark only costs a removal the full path).
pub(crate) fn stack_lock_path(runtime: &Path, lock_id: &str) -> PathBuf {
    runtime
        .join("locks")
        .join(format!("{}.lock", file_stem(lock_id)))
}

/// What a marked stack lock file holds.
const MARK: &[u8] = b"the ledger may hold loans of this stack\n";

/// Marks the stack with this lock id as named by the ledger (see [`stack_lock_path`]). Setting
/// the mark needs no lock: it is only ever set, here, and cleared by the stack's removal.
pub(crate) fn mark_named(runtime: &Path, lock_id: &str) -> Result<()> {
    let path = stack_lock_path(runtime, lock_id);
    let mut f = open_lock(&path)?;
    let len = f
        .metadata()
        .map_err(|e| io_error("read stack mark", &path, e))?
        .len();
    if len == 0 {
        f.write_all(MARK)
            .map_err(|e| io_error("mark stack", &path, e))?;
    }
    Ok(())
}

impl StackLocks {
    /// Locks the stacks with these lock ids (duplicates are taken once, in one order for every
    /// process, so two movers never wait on each other), waiting for holders.
    pub(crate) fn take(runtime: &Path, lock_ids: &[&str]) -> Result<StackLocks> {
        let mut ids: Vec<&str> = lock_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut held = Vec::with_capacity(ids.len());
        for k in ids {
            held.push((k.to_string(), lock(&stack_lock_path(runtime, k))?));
        }
        Ok(StackLocks {
            held,
            runtime: runtime.to_path_buf(),
        })
    }

    fn held(&self, lock_id: &str) -> &File {
        &self
            .held
            .iter()
            .find(|(k, _)| k == lock_id)
            .expect("a stack mark is read under that stack's lock")
            .1
            .file
    }

    /// Whether the ledger may hold loans of the locked stack `lock_id` (its mark is set).
    pub(crate) fn named(&self, lock_id: &str) -> Result<bool> {
        let path = || stack_lock_path(&self.runtime, lock_id);
        Ok(self
            .held(lock_id)
            .metadata()
            .map_err(|e| io_error("read stack mark", &path(), e))?
            .len()
            > 0)
    }

    /// Clears the mark of the locked stack `lock_id`: it has been removed and its ledger
    /// forgotten, and its lock file is kept for a later stack with the same lock id.
    pub(crate) fn unname(&self, lock_id: &str) -> Result<()> {
        self.held(lock_id).set_len(0).map_err(|e| {
            io_error(
                "clear stack mark",
                &stack_lock_path(&self.runtime, lock_id),
                e,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_boots_state_is_moved_aside_and_this_boots_kept() {
        let root = std::env::temp_dir().join(format!("ifclone-boot-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("loans")).unwrap();
        fs::write(root.join("loans/a.json"), b"{}").unwrap();
        // No marker: state from before the marker existed is this boot's.
        assert_eq!(this_boot(&root, "aa11"), root);
        assert!(root.join("loans/a.json").exists());
        assert_eq!(fs::read_to_string(root.join("boot_id")).unwrap(), "aa11\n");
        // Same boot: untouched.
        this_boot(&root, "aa11");
        assert!(root.join("loans/a.json").exists());
        // Another boot: what the first one left goes aside, unread.
        this_boot(&root, "bb22");
        assert!(!root.join("loans").exists());
        assert!(root.join("earlier-boot-aa11/loans/a.json").exists());
        assert_eq!(fs::read_to_string(root.join("boot_id")).unwrap(), "bb22\n");
        // Unknown boot id: the directory as it is.
        assert_eq!(this_boot(&root, ""), root);
        fs::remove_dir_all(&root).unwrap();
    }
}
