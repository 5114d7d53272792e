//! The ledger of loans: which interface in which stack has its home in another stack.
//!
//! FreeBSD's kernel remembers each interface's home VNET, but exposes it to no ioctl; Linux does
//! not remember it at all (deleting a netns destroys the veths inside). So ifclone records every
//! loan itself, in small files under the backend's runtime directory (one file per borrowing
//! stack, keyed by the stack's identity), so that a stack filled by one process and removed by
//! another still gives its loans back.
//!
//! A file holds one line per loan: `index<TAB>name<TAB>home-key<TAB>home-selector`. Updates take
//! an exclusive `flock` on the file and replace it atomically.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::model::{IfName, StackSel};

/// One interface living away from home.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loan {
    /// Index in the borrowing stack.
    pub index: u32,
    /// Name when it was lent (for messages; the index is what identifies it).
    pub name: IfName,
    /// The home stack's identity (`StackHandle::key`).
    pub home_key: String,
    /// How to reopen the home stack.
    pub home: StackSel,
}

pub struct Ledger {
    dir: PathBuf,
}

impl Ledger {
    /// The ledger of this OS's backend, under its runtime directory.
    pub fn system() -> Ledger {
        Ledger::new(Path::new(crate::sys::RUNTIME_DIR))
    }

    pub fn new(runtime_dir: &Path) -> Ledger {
        Ledger {
            dir: runtime_dir.join("loans"),
        }
    }

    fn file_of(&self, stack_key: &str) -> PathBuf {
        let safe: String = stack_key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(safe)
    }

    /// The loans held by a stack.
    pub fn loans(&self, stack_key: &str) -> Vec<Loan> {
        let mut s = String::new();
        if let Ok(mut f) = File::open(self.file_of(stack_key)) {
            let _ = f.lock_shared();
            let _ = f.read_to_string(&mut s);
        }
        parse(&s)
    }

    /// Edits a stack's loans under an exclusive lock.
    fn edit(&self, stack_key: &str, f: impl FnOnce(&mut Vec<Loan>)) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let path = self.file_of(stack_key);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path.with_extension("lock"))?;
        lock.lock()?;
        let mut s = String::new();
        if let Ok(mut cur) = File::open(&path) {
            cur.read_to_string(&mut s)?;
        }
        let mut loans = parse(&s);
        f(&mut loans);
        if loans.is_empty() {
            let _ = fs::remove_file(&path);
            let _ = fs::remove_file(path.with_extension("lock"));
            return Ok(());
        }
        let tmp = path.with_extension("tmp");
        let mut out = File::create(&tmp)?;
        for l in &loans {
            writeln!(out, "{}\t{}\t{}\t{}", l.index, l.name, l.home_key, l.home)?;
        }
        out.sync_all()?;
        fs::rename(tmp, path)
    }

    /// Records that `loan.index` in `stack_key` belongs to `loan.home`.
    pub fn record(&self, stack_key: &str, loan: Loan) -> std::io::Result<()> {
        self.edit(stack_key, |v| {
            v.retain(|l| l.index != loan.index);
            v.push(loan);
        })
    }

    /// Forgets the loan of `index` in `stack_key`, returning it.
    pub fn take(&self, stack_key: &str, index: u32) -> Option<Loan> {
        let mut taken = None;
        let _ = self.edit(stack_key, |v| {
            if let Some(p) = v.iter().position(|l| l.index == index) {
                taken = Some(v.remove(p));
            }
        });
        taken
    }

    /// Forgets everything a stack held (it is gone).
    pub fn forget(&self, stack_key: &str) {
        let _ = self.edit(stack_key, |v| v.clear());
    }
}

fn parse(s: &str) -> Vec<Loan> {
    s.lines()
        .filter_map(|line| {
            let mut it = line.split('\t');
            let index = it.next()?.parse().ok()?;
            let name = IfName::new(it.next()?).ok()?;
            let home_key = it.next()?.to_string();
            let home = StackSel::parse(it.next()?);
            Some(Loan {
                index,
                name,
                home_key,
                home,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_take_forget() {
        let dir = std::env::temp_dir().join(format!("ifclone-ledger-{}", std::process::id()));
        let l = Ledger::new(&dir);
        let loan = |i| Loan {
            index: i,
            name: IfName::new("veth0").unwrap(),
            home_key: "netns:1:2".into(),
            home: StackSel::Name("home".into()),
        };
        l.record("netns:3:4", loan(7)).unwrap();
        l.record("netns:3:4", loan(8)).unwrap();
        assert_eq!(l.loans("netns:3:4").len(), 2);
        assert_eq!(l.take("netns:3:4", 7), Some(loan(7)));
        assert_eq!(l.loans("netns:3:4"), vec![loan(8)]);
        l.forget("netns:3:4");
        assert!(l.loans("netns:3:4").is_empty());
        let _ = fs::remove_dir_all(dir);
    }
}
