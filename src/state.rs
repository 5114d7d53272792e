//! State that outlives a process — the ledger of loans and the write-ahead intents of moves —
//! and the locks that keep concurrent processes from corrupting it or racing each other.
//!
//! Rules every state file follows:
//! - **Atomic writes.** A file is written to a temporary name unique to the writer (pid and a
//!   counter), `fsync`ed, renamed over the old one, and the directory is `fsync`ed, so a reader
//!   (or a process after a crash) sees the old contents or the new ones, never a mix.
//! - **Locks are files that are not removed while what they guard lives** (`flock` on a file
//!   that someone unlinks protects nothing: the next process locks a new inode). A stack's lock
//!   files go only when the stack itself has been removed: its key is never given to another
//!   stack, so a process still waiting on one finds the stack gone. A lock is released by the
//!   kernel when its holder dies, which is what makes a crashed holder visible.
//! - **Validated on read.** A file that cannot be read or parsed is [`Error::Corrupt`], naming
//!   the file; it is never read as "nothing".
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

pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| io_error("create state directory", dir, e))
}

/// An exclusive `flock`, held until dropped (or until the process dies).
#[derive(Debug)]
pub(crate) struct Lock {
    _file: File,
}

fn open_lock(path: &Path) -> Result<File> {
    if let Some(d) = path.parent() {
        ensure_dir(d)?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| io_error("open lock", path, e))
}

/// Takes the exclusive lock at `path`, waiting for its holder.
pub(crate) fn lock(path: &Path) -> Result<Lock> {
    let f = open_lock(path)?;
    f.lock().map_err(|e| io_error("lock", path, e))?;
    Ok(Lock { _file: f })
}

/// Takes the exclusive lock at `path` if nobody holds it.
pub(crate) fn try_lock(path: &Path) -> Result<Option<Lock>> {
    let f = open_lock(path)?;
    match f.try_lock() {
        Ok(()) => Ok(Some(Lock { _file: f })),
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

fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("sync state directory", dir, e))
}

/// Replaces `path` with `contents`, atomically and durably.
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
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("write state", path, e));
    }
    fsync_dir(dir)
}

/// Removes a state file durably; one that is already gone is not an error.
pub(crate) fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error("remove state", path, e)),
    }
    fsync_dir(path.parent().expect("state files live in a directory"))
}

/// The locks of the stacks one operation touches, taken in key order (so that no two processes
/// wait for each other in a cycle) and released together.
#[derive(Debug)]
pub(crate) struct StackLocks {
    _held: Vec<Lock>,
}

/// The lock file of a stack.
pub(crate) fn stack_lock_path(runtime: &Path, key: &str) -> PathBuf {
    runtime
        .join("locks")
        .join(format!("{}.lock", file_stem(key)))
}

impl StackLocks {
    /// Locks the stacks with these keys (duplicates are taken once), waiting for holders.
    pub(crate) fn take(runtime: &Path, keys: &[&str]) -> Result<StackLocks> {
        let mut keys: Vec<&str> = keys.to_vec();
        keys.sort_unstable();
        keys.dedup();
        let mut held = Vec::with_capacity(keys.len());
        for k in keys {
            held.push(lock(&stack_lock_path(runtime, k))?);
        }
        Ok(StackLocks { _held: held })
    }
}
