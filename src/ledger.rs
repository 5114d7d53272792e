//! The ledger of loans: which interface in which stack has its home in another stack.
//!
//! FreeBSD's kernel remembers each interface's home VNET, but exposes it to no ioctl; Linux does
//! not remember it at all (deleting a netns destroys the veths inside). So ifclone records every
//! loan itself, in one file per borrowing stack under the backend's runtime directory
//! (`loans/<stack key>.json`), so that a stack filled by one process and removed by another
//! still gives its loans back.
//!
//! The file is versioned JSON, read strictly (see [`crate::state`] for the write and lock rules):
//!
//! ```json
//! {"format":"ifclone-ledger","version":1,"stack":"netns:4026532301:8193",
//!  "loans":[{"index":7,"name":"epair0b","kind":"epair","mac":"02:00:00:00:00:0b",
//!            "mark":"ifclone.3f2a9c0d1e4b5a60",
//!            "home":{"key":"netns:4026531840:1","name":"host","sel":"host"}}]}
//! ```
//!
//! A loan is recognised by its identity, never by an index alone: the mark the kernel carries
//! on the device where the OS offers one (Linux: an alternative name), else index, kind, MAC and
//! name together. An index that the kernel gave to another interface is never taken for a loan.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{IfName, Interface, KindName, Mac, StackSel};
use crate::state;

const FORMAT: &str = "ifclone-ledger";
const VERSION: u32 = 1;

/// A stack as state files name it: its kernel identity, its name for messages, and how to
/// reopen it (tried first; when it no longer leads to the same identity the stack is looked up
/// by identity).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackRef {
    pub key: String,
    pub name: String,
    pub sel: StackSel,
}

impl StackRef {
    pub fn of<S: crate::backend::StackHandle + ?Sized>(s: &S) -> crate::Result<StackRef> {
        Ok(StackRef {
            key: s.key()?,
            name: s.name().to_string(),
            sel: s.selector(),
        })
    }
}

/// One interface living away from home.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Loan {
    /// Index in the borrowing stack when it was lent.
    pub index: u32,
    /// Name when it was lent.
    pub name: IfName,
    /// Its kind (`None`: a device ifclone does not model).
    pub kind: Option<KindName>,
    pub mac: Option<Mac>,
    /// The identity mark on the device ([`crate::model::MARK_PREFIX`]), where the OS has one.
    pub mark: Option<String>,
    /// The home stack.
    pub home: StackRef,
}

impl Loan {
    /// Whether `i` is this loan's device: by its mark where the loan has one (the index may have
    /// changed), else by index, kind, MAC and name together.
    pub fn identifies(&self, i: &Interface) -> bool {
        if i.kind.kind() != self.kind {
            return false;
        }
        match &self.mark {
            Some(m) => i.mark.as_deref() == Some(m.as_str()),
            // No MAC recorded: a bond/lagg port, whose MAC is its master's and changes with it.
            None => {
                i.index == self.index
                    && (self.mac.is_none() || i.mac == self.mac)
                    && i.name == self.name
            }
        }
    }

    /// This loan's device among `ifaces`.
    pub fn find<'a>(&self, ifaces: &'a [Interface]) -> Option<&'a Interface> {
        ifaces.iter().find(|i| self.identifies(i))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: String,
    version: u32,
    stack: String,
    loans: Vec<Loan>,
}

/// The ledger, under a runtime directory.
#[derive(Clone, Debug)]
pub struct Ledger {
    runtime: PathBuf,
    /// A stack key's lock id ([`crate::backend::Stacks::lock_id_of`]).
    lock_of: fn(&str) -> String,
}

/// The file whose presence says that every ledger file's stack is marked
/// ([`state::mark_named`]): ledgers written before marks existed were marked by a scan.
const MARKED: &str = "marks-v1";

impl Ledger {
    /// The ledger of this OS's backend, in this boot's state directory
    /// ([`crate::sys::state_dir`]).
    pub fn system() -> Ledger {
        Ledger::system_at(&crate::sys::state_dir())
    }

    /// The ledger of this OS's backend under another state directory ([`crate::Host`]).
    pub fn system_at(runtime_dir: &Path) -> Ledger {
        Ledger {
            runtime: runtime_dir.to_path_buf(),
            lock_of: |k| crate::backend::Stacks::lock_id_of(crate::system(), k),
        }
    }

    /// A ledger under `runtime_dir`, whose stacks' lock ids are their keys.
    pub fn new(runtime_dir: &Path) -> Ledger {
        Ledger {
            runtime: runtime_dir.to_path_buf(),
            lock_of: str::to_string,
        }
    }

    /// The runtime directory (the intents and the stack locks live there too).
    pub fn runtime(&self) -> &Path {
        &self.runtime
    }

    /// The file that holds a stack's loans.
    pub fn file_of(&self, stack_key: &str) -> PathBuf {
        self.runtime
            .join("loans")
            .join(format!("{}.json", state::file_stem(stack_key)))
    }

    fn read(&self, stack_key: &str) -> Result<Vec<Loan>> {
        let path = self.file_of(stack_key);
        let Some(text) = state::read(&path)? else {
            return Ok(Vec::new());
        };
        let f: File = serde_json::from_str(&text)
            .map_err(|e| state::corrupt(&path, format!("not a ledger: {e}")))?;
        if f.format != FORMAT || f.version != VERSION {
            return Err(state::corrupt(
                &path,
                format!(
                    "format {} version {} (this ifclone reads {FORMAT} version {VERSION})",
                    f.format, f.version
                ),
            ));
        }
        if f.stack != stack_key {
            return Err(state::corrupt(
                &path,
                format!("it holds the loans of stack {}, not {stack_key}", f.stack),
            ));
        }
        check(&f.loans, stack_key).map_err(|why| state::corrupt(&path, why))?;
        Ok(f.loans)
    }

    /// Whether every ledger file's stack carries its mark ([`state::mark_named`]), so that an
    /// unmarked stack is known to hold no loans. True once this boot's state has been scanned
    /// (the ledger marks the stacks it writes; files an earlier ifclone wrote in this boot were
    /// marked by the scan). `false` when the scan could not read a ledger file: then no stack
    /// is known to be empty, and each removal takes the full path, which reads its own file.
    pub fn marks_ready(&self) -> Result<bool> {
        // Once found, it stays for this boot: asked once per process.
        static READY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
        if READY.get() == Some(&self.runtime) {
            return Ok(true);
        }
        let done = self.runtime.join(MARKED);
        if !done.exists() {
            let _lock = state::lock(&self.runtime.join("marks.lock"))?;
            if !done.exists() {
                let Ok(keys) = self.stacks() else {
                    return Ok(false);
                };
                for k in keys {
                    state::mark_named(&self.runtime, &(self.lock_of)(&k))?;
                }
                state::write(&done, b"every ledger file's stack is marked in locks/\n")?;
            }
        }
        let _ = READY.set(self.runtime.clone());
        Ok(true)
    }

    /// The lock file of the stack with this lock id, which also carries its mark
    /// ([`crate::backend::StackHandle::lock_id`]; see docs/vmove.md, crash safety).
    pub fn stack_lock_file(&self, lock_id: &str) -> PathBuf {
        state::stack_lock_path(&self.runtime, lock_id)
    }

    /// The keys of every stack that has a ledger file. A file that is damaged, or that holds
    /// the loans of a stack other than its name says, is [`crate::Error::Corrupt`].
    pub fn stacks(&self) -> Result<Vec<String>> {
        let dir = self.runtime.join("loans");
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(state::io_error("list ledger", &dir, e)),
        };
        let mut keys = Vec::new();
        for ent in rd {
            let ent = ent.map_err(|e| state::io_error("list ledger", &dir, e))?;
            let path = ent.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let text = state::read(&path)?.unwrap_or_default();
            let f: File = serde_json::from_str(&text)
                .map_err(|e| state::corrupt(&path, format!("not a ledger: {e}")))?;
            if self.file_of(&f.stack) != path {
                return Err(state::corrupt(
                    &path,
                    format!("it holds the loans of stack {}", f.stack),
                ));
            }
            keys.push(f.stack);
        }
        keys.sort();
        Ok(keys)
    }

    /// The loans held by a stack. A damaged ledger file is [`crate::Error::Corrupt`].
    pub fn loans(&self, stack_key: &str) -> Result<Vec<Loan>> {
        self.read(stack_key)
    }

    /// Edits a stack's loans under the file's exclusive lock; writes them back atomically (an
    /// empty list removes the file; its lock file stays).
    pub fn edit<T>(&self, stack_key: &str, f: impl FnOnce(&mut Vec<Loan>) -> T) -> Result<T> {
        let path = self.file_of(stack_key);
        let _lock = state::lock(&path.with_extension("lock"))?;
        let mut loans = self.read(stack_key)?;
        let before = loans.clone();
        let out = f(&mut loans);
        if loans == before {
            return Ok(out);
        }
        if let Err(why) = check(&loans, stack_key) {
            return Err(crate::error::Error::invalid("record loan", stack_key, why));
        }
        if loans.is_empty() {
            state::remove(&path)?;
        } else {
            // The mark first: a removal that finds it unset must be able to trust the ledger
            // has nothing for the stack.
            state::mark_named(&self.runtime, &(self.lock_of)(stack_key))?;
            let file = File {
                format: FORMAT.into(),
                version: VERSION,
                stack: stack_key.into(),
                loans,
            };
            let mut text = serde_json::to_string_pretty(&file).expect("a ledger serialises");
            text.push('\n');
            state::write(&path, text.as_bytes())?;
        }
        Ok(out)
    }

    /// Records a loan in `stack_key`, replacing any record of the same device (same mark, or
    /// same index).
    pub fn record(&self, stack_key: &str, loan: Loan) -> Result<()> {
        self.edit(stack_key, |v| {
            v.retain(|l| !same_device(l, &loan));
            v.push(loan);
        })
    }

    /// Records several loans in `stack_key` in one write (see [`Ledger::record`]).
    pub fn record_many(&self, stack_key: &str, loans: Vec<Loan>) -> Result<()> {
        self.edit(stack_key, |v| {
            for loan in loans {
                v.retain(|l| !same_device(l, &loan));
                v.push(loan);
            }
        })
    }

    /// Forgets the loan that identifies `iface` in `stack_key`, returning it.
    pub fn take(&self, stack_key: &str, iface: &Interface) -> Result<Option<Loan>> {
        self.take_where(stack_key, |l| l.identifies(iface))
    }

    /// Forgets the first loan `pred` accepts, returning it.
    pub fn take_where(
        &self,
        stack_key: &str,
        pred: impl Fn(&Loan) -> bool,
    ) -> Result<Option<Loan>> {
        self.edit(stack_key, |v| v.iter().position(&pred).map(|p| v.remove(p)))
    }

    /// Forgets everything a stack held (it is gone).
    pub fn forget(&self, stack_key: &str) -> Result<()> {
        // Nothing recorded (the common case): no lock file to make and remove again.
        if !self.file_of(stack_key).exists() {
            return Ok(());
        }
        self.edit(stack_key, |v| v.clear())
    }

    /// Forgets everything a removed stack held, and its ledger file's lock: its key names no
    /// other stack, ever, so whoever still waits on that lock finds the stack gone. Without
    /// this every stack that ever borrowed would leave a file.
    pub fn forget_removed(&self, stack_key: &str) -> Result<()> {
        self.forget(stack_key)?;
        let _ = std::fs::remove_file(self.file_of(stack_key).with_extension("lock"));
        Ok(())
    }
}

/// Whether two records are of one device: by their marks when both have one (two marked loans
/// are never confused by an index, which the kernel may have given to the other meanwhile), else
/// by index.
fn same_device(a: &Loan, b: &Loan) -> bool {
    match (&a.mark, &b.mark) {
        (Some(x), Some(y)) => x == y,
        _ => a.index == b.index,
    }
}

/// What makes a list of loans self-contradictory.
fn check(loans: &[Loan], stack_key: &str) -> std::result::Result<(), String> {
    for (i, a) in loans.iter().enumerate() {
        if a.home.key == stack_key {
            return Err(format!("loan {} has this stack as its home", a.name));
        }
        if let Some(m) = &a.mark {
            if !m.starts_with(crate::model::MARK_PREFIX) {
                return Err(format!("loan {} has a mark that is not ifclone's", a.name));
            }
        }
        if let Some(b) = loans[..i].iter().find(|b| same_device(a, b)) {
            return Err(format!(
                "two loans for one device ({} and {}, index {})",
                b.name, a.name, a.index
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn loan(i: u32) -> Loan {
        Loan {
            index: i,
            name: IfName::new(&format!("veth{i}")).unwrap(),
            kind: Some(KindName::Epair),
            mac: Some(Mac([2, 0, 0, 0, 0, i as u8])),
            mark: Some(format!("ifclone.{i:016x}")),
            home: StackRef {
                key: "netns:1:2".into(),
                name: "home".into(),
                sel: StackSel::Name("home".into()),
            },
        }
    }

    fn scratch(tag: &str) -> (Ledger, PathBuf) {
        let dir = std::env::temp_dir().join(format!("ifclone-ledger-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        (Ledger::new(&dir), dir)
    }

    #[test]
    fn record_take_forget() {
        let (l, dir) = scratch("rtf");
        l.record("netns:3:4", loan(7)).unwrap();
        l.record("netns:3:4", loan(8)).unwrap();
        assert_eq!(l.loans("netns:3:4").unwrap().len(), 2);
        assert_eq!(
            l.take_where("netns:3:4", |x| x.index == 7).unwrap(),
            Some(loan(7))
        );
        assert_eq!(l.loans("netns:3:4").unwrap(), vec![loan(8)]);
        l.forget("netns:3:4").unwrap();
        assert!(l.loans("netns:3:4").unwrap().is_empty());
        // The lock file outlives the loans: a lock that is removed protects nothing.
        assert!(l.file_of("netns:3:4").with_extension("lock").exists());
        let _ = std::fs::remove_dir_all(dir);
    }

    fn marked(l: &Ledger, key: &str) -> bool {
        let locks = state::StackLocks::take(l.runtime(), &[key]).unwrap();
        locks.named(key).unwrap()
    }

    #[test]
    fn a_record_marks_its_stack_before_the_file_is_written_and_only_removal_clears_it() {
        let (l, dir) = scratch("mark");
        assert!(!marked(&l, "netns:3:4"));
        l.record("netns:3:4", loan(7)).unwrap();
        assert!(marked(&l, "netns:3:4"));
        assert!(!marked(&l, "netns:5:6"));
        // Taking the last loan does not clear it: only the stack's removal does.
        l.take_where("netns:3:4", |_| true).unwrap();
        assert!(marked(&l, "netns:3:4"));
        let locks = state::StackLocks::take(l.runtime(), &["netns:3:4"]).unwrap();
        locks.unname("netns:3:4").unwrap();
        assert!(!locks.named("netns:3:4").unwrap());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn ledgers_written_without_marks_are_marked_by_the_scan_and_damage_stops_it() {
        let (l, dir) = scratch("scan");
        l.record("netns:3:4", loan(7)).unwrap();
        // As an ifclone from before marks left it: the ledger file, no mark, no scan.
        let lock = state::stack_lock_path(l.runtime(), "netns:3:4");
        std::fs::write(&lock, b"").unwrap();
        assert!(!marked(&l, "netns:3:4"));
        // A damaged file: the scan cannot know its stack, so no stack is taken as unmarked.
        let bad = l.runtime().join("loans/netns_8_8.json");
        std::fs::write(&bad, b"{").unwrap();
        assert!(!l.marks_ready().unwrap());
        assert!(!l.runtime().join(MARKED).exists());
        std::fs::remove_file(&bad).unwrap();
        assert!(l.marks_ready().unwrap());
        assert!(marked(&l, "netns:3:4"));
        assert!(l.marks_ready().unwrap());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn damage_is_an_error_not_an_empty_list() {
        let (l, dir) = scratch("dmg");
        l.record("netns:3:4", loan(7)).unwrap();
        let path = l.file_of("netns:3:4");
        let good = std::fs::read_to_string(&path).unwrap();
        let cases: Vec<(&str, String)> = vec![
            ("truncated", good[..good.len() / 2].to_string()),
            ("garbage", "\u{1}\u{2}garbage".into()),
            ("empty", String::new()),
            ("wrong key", good.replace("netns:3:4", "netns:9:9")),
            (
                "wrong version",
                good.replace("\"version\": 1", "\"version\": 7"),
            ),
            (
                "unknown field",
                good.replace("\"index\"", "\"bogus\": 1, \"index\""),
            ),
            (
                "duplicate",
                good.replace(
                    "\"loans\": [",
                    &format!("\"loans\": [{},", serde_json::to_string(&loan(7)).unwrap()),
                ),
            ),
        ];
        for (what, text) in cases {
            std::fs::write(&path, &text).unwrap();
            let e = l.loans("netns:3:4").unwrap_err();
            assert!(matches!(e, Error::Corrupt(_)), "{what}: {e}");
            assert!(
                e.to_string().contains(&path.display().to_string()),
                "{what}: {e}"
            );
            // An edit refuses too, and leaves the file as it was.
            assert!(l.record("netns:3:4", loan(9)).is_err(), "{what}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "{what}");
        }
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        let e = l.loans("netns:3:4").unwrap_err();
        assert!(matches!(e, Error::Corrupt(_)), "directory: {e}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_reused_index_is_not_the_loan() {
        let l = loan(7);
        let mut i = crate::model::Interface {
            index: 7,
            name: l.name,
            kind: crate::model::KindInfo::Tap { queues: 1 },
            mtu: 1500,
            min_mtu: None,
            max_mtu: None,
            parent_dev: None,
            mac: l.mac,
            description: None,
            up: false,
            oper: Default::default(),
            master: None,
            group: 0,
            flags: crate::model::IfFlags::empty(),
            stack: "s".into(),
            mark: None,
        };
        assert!(!l.identifies(&i), "other kind, no mark");
        i.kind = crate::model::KindInfo::Epair { peer: None };
        assert!(!l.identifies(&i), "same kind and index, but no mark");
        i.mark = l.mark.clone().map(Into::into);
        i.index = 99;
        assert!(l.identifies(&i), "the mark, at a new index");
        let unmarked = Loan {
            mark: None,
            ..loan(7)
        };
        i.index = 7;
        assert!(unmarked.identifies(&i));
        i.mac = Some(Mac([2, 0, 0, 0, 0, 0x77]));
        assert!(!unmarked.identifies(&i), "another MAC at the same index");
    }
}
