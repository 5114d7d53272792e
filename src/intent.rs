//! Write-ahead intents: before the first change of any move, ifclone writes down durably what it
//! is about to do — each interface's identity, the source and target stacks' identities, the
//! saved parameters and the plan — so that after a crash at any point the next ifclone call that
//! touches either stack (or an explicit [`crate::vmove::recover`]) can finish the move or undo it.
//!
//! An intent is one file, `intents/<txn>.json`, beside a lock file `intents/<txn>.lock` that its
//! owner holds for the whole move. The kernel releases the lock when the owner dies, so an intent
//! whose lock can be taken belongs to a process that crashed. The file is written atomically
//! (see [`crate::state`]) and removed when the move has completed or has been fully rolled back;
//! an intent that is still there after its owner is gone is unfinished business, never noise.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ledger::{Loan, StackRef};
use crate::model::{IfAddr, IfName, Interface, KindName, KindSpec, Mac, MARK_PREFIX};
use crate::state::{self, Lock};
use crate::vmove::Strategy;

const FORMAT: &str = "ifclone-intent";
const VERSION: u32 = 1;

/// One move, as written before its first change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intent {
    pub format: String,
    pub version: u32,
    /// The transaction id (also the file name).
    pub txn: String,
    /// The process that wrote it (for messages; liveness is the lock).
    pub pid: u32,
    pub from: StackRef,
    pub to: StackRef,
    pub items: Vec<Item>,
}

/// One interface of a move.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub strategy: Strategy,
    /// Recreate destroys the source before it creates the copy (a vlan id is unique per parent).
    pub exclusive: bool,
    /// The steps of the plan, for the reader.
    pub plan: Vec<String>,
    pub src_name: IfName,
    pub final_name: IfName,
    /// The copy's name in the target until it is renamed (Recreate).
    pub tmp_name: IfName,
    pub saved: Saved,
    /// epair Recreate: the peer, re-created beside the old one (or in the target: the way back).
    pub peer: Option<Peer>,
    pub carry_addresses: bool,
    /// The identity mark the interface gets in the target, when it becomes a loan there.
    pub mark: String,
    /// A group (bond/lagg) that moves with its ports: their names, in the order they join
    /// (the primary first). Each is an item of the same intent, before this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<IfName>,
}

/// What a move saves of one interface before changing anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Saved {
    pub name: IfName,
    pub index: u32,
    pub kind: Option<KindName>,
    pub mtu: u32,
    pub mac: Option<Mac>,
    pub description: Option<String>,
    pub up: bool,
    /// How to create it again (`None`: it cannot be re-created).
    pub spec: Option<KindSpec>,
    pub addresses: Vec<IfAddr>,
    /// Its loan record in the stack it is in, if it is on loan there.
    pub loan: Option<Loan>,
    /// The bridge/lagg it was a port of (an undone move makes it one again). Absent in intents
    /// written before ports were saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<IfName>,
    /// A failover group's preferred port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<IfName>,
    /// Its MAC changes with its ports (a group master: a Linux bond that loses its last port
    /// takes a random MAC, a FreeBSD lagg none): it is told by name and kind, and the saved MAC
    /// is only what it gets back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mac_varies: bool,
}

impl Saved {
    pub fn of(
        i: &Interface,
        spec: Option<KindSpec>,
        addresses: Vec<IfAddr>,
        loan: Option<Loan>,
    ) -> Saved {
        Saved {
            name: i.name,
            index: i.index,
            kind: i.kind.kind(),
            mtu: i.mtu,
            mac: i.mac,
            description: i.description.as_deref().map(str::to_string),
            up: i.up,
            spec,
            addresses,
            loan,
            master: None,
            primary: None,
            mac_varies: false,
        }
    }

    /// Whether `i` is this device (or its copy): the given name, the same kind and MAC.
    pub fn is(&self, i: &Interface, name: IfName) -> bool {
        is_device(i, name, self.kind, self.identity_mac())
    }

    /// The MAC that tells the device (`None`: told by name and kind).
    pub fn identity_mac(&self) -> Option<Mac> {
        self.mac.filter(|_| !self.mac_varies)
    }
}

/// Whether `i` is the device with this name, kind and (when it has one) MAC: how a move and its
/// recovery tell an interface, or its copy, from anything else in a stack.
pub fn is_device(i: &Interface, name: IfName, kind: Option<KindName>, mac: Option<Mac>) -> bool {
    i.name == name && i.kind.kind() == kind && (mac.is_none() || i.mac == mac)
}

/// The peer of an epair that a Recreate move re-creates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    pub saved: Saved,
    pub tmp: IfName,
    /// The peer lives in the target stack (the way back), not in the source.
    pub in_target: bool,
}

impl Peer {
    /// Whether `i` is the new peer under its temporary name (unique to the move, so name and
    /// kind tell it: its MAC is restored only after the rename).
    pub fn is_new(&self, i: &Interface) -> bool {
        i.name == self.tmp && i.kind.kind() == self.saved.kind
    }
}

impl Intent {
    pub fn new(from: StackRef, to: StackRef, items: Vec<Item>) -> Intent {
        Intent {
            format: FORMAT.into(),
            version: VERSION,
            txn: format!("{:016x}", random()),
            pid: std::process::id(),
            from,
            to,
            items,
        }
    }

    /// Whether the intent touches the stack with this key.
    pub fn touches(&self, key: &str) -> bool {
        self.from.key == key || self.to.key == key
    }
}

/// 64 random bits (std's per-process random hash keys, mixed with the time and a counter).
pub fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(SEQ.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    h.finish()
}

/// A fresh identity mark (`ifclone.` and 16 hex digits).
pub fn new_mark() -> String {
    format!("{MARK_PREFIX}{:016x}", random())
}

/// The intents under a runtime directory.
#[derive(Clone, Debug)]
pub struct Intents {
    dir: PathBuf,
}

/// An intent its owner is working on (or a recoverer has claimed): the lock is held until
/// [`Pending::finish`] removes the intent, or until the process dies.
#[derive(Debug)]
pub struct Pending {
    path: PathBuf,
    lock_path: PathBuf,
    _lock: Lock,
}

impl Pending {
    /// The move is complete or fully undone: the intent is removed, then its lock file.
    pub fn finish(self) -> Result<()> {
        state::remove(&self.path)?;
        let _ = std::fs::remove_file(&self.lock_path);
        Ok(())
    }
}

impl Intents {
    pub fn new(runtime: &Path) -> Intents {
        Intents {
            dir: runtime.join("intents"),
        }
    }

    fn paths(&self, txn: &str) -> (PathBuf, PathBuf) {
        (
            self.dir.join(format!("{txn}.json")),
            self.dir.join(format!("{txn}.lock")),
        )
    }

    /// Locks and durably writes an intent, before the first change it describes.
    pub fn begin(&self, intent: &Intent) -> Result<Pending> {
        let (path, lock_path) = self.paths(&intent.txn);
        let lock = state::lock(&lock_path)?;
        let mut text = serde_json::to_string_pretty(intent).expect("an intent serialises");
        text.push('\n');
        state::write(&path, text.as_bytes())?;
        Ok(Pending {
            path,
            lock_path,
            _lock: lock,
        })
    }

    /// The transaction ids of every intent on disk.
    pub fn list(&self) -> Result<Vec<String>> {
        let mut out: Vec<String> = state::names_in(&self.dir, "list intents")?
            .into_iter()
            .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
            .collect();
        out.sort();
        Ok(out)
    }

    /// Reads an intent without claiming it (it is written atomically, so it is whole); `None`
    /// when it is gone. A damaged intent is [`crate::Error::Corrupt`].
    pub fn peek(&self, txn: &str) -> Result<Option<Intent>> {
        let (path, _) = self.paths(txn);
        let Some(text) = state::read(&path)? else {
            return Ok(None);
        };
        let intent: Intent = serde_json::from_str(&text)
            .map_err(|e| state::corrupt(&path, format!("not an intent: {e}")))?;
        if intent.format != FORMAT || intent.version != VERSION || intent.txn != txn {
            return Err(state::corrupt(
                &path,
                format!(
                    "format {} version {} txn {} (this ifclone reads {FORMAT} version {VERSION})",
                    intent.format, intent.version, intent.txn
                ),
            ));
        }
        Ok(Some(intent))
    }

    /// Claims an intent whose owner is gone: `None` when it was finished meanwhile, or (unless
    /// `wait`) when its owner — a move, or another recovery — still holds it. With `wait` the
    /// claim waits for that owner to finish or die. A damaged intent is
    /// [`crate::Error::Corrupt`].
    pub fn claim(&self, txn: &str, wait: bool) -> Result<Option<(Pending, Intent)>> {
        let (path, lock_path) = self.paths(txn);
        let lock = if wait {
            state::lock(&lock_path)?
        } else {
            match state::try_lock(&lock_path)? {
                Some(l) => l,
                None => return Ok(None),
            }
        };
        let Some(intent) = self.peek(txn)? else {
            let _ = std::fs::remove_file(&lock_path);
            return Ok(None);
        };
        Ok(Some((
            Pending {
                path,
                lock_path,
                _lock: lock,
            },
            intent,
        )))
    }
}
