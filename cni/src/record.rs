//! Attachment records: what an ADD made, kept until its DEL, so that DEL and GC find every
//! interface by identity (its ifclone mark, index and name) with or without the container's
//! netns, a prevResult or the name it has now. One JSON file per attachment, written
//! atomically (a temporary file, fsync, rename), read strictly: a damaged record is an error
//! that names the file, never "no attachment". Every operation holds the directory's lock.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use rscni_plugin::error::Error;
use rscni_plugin::types::CNIResult;
use serde::{Deserialize, Serialize};

use crate::conf::Mode;

pub const DEFAULT_DIR: &str = "/run/ifclone/cni";
const FORMAT: &str = "ifclone-cni-attachment";
const VERSION: u32 = 1;

/// One attachment: a network's interface `ifname` in container `container_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Record {
    pub format: String,
    pub version: u32,
    pub network: String,
    pub container_id: String,
    pub ifname: String,
    pub mode: Mode,
    /// The container's stack as CNI_NETNS named it.
    pub netns: String,
    /// The container's interface: index and ifclone mark once made (the mark is where the OS
    /// keeps one: Linux).
    pub index: Option<u32>,
    pub mark: Option<String>,
    /// epair: the host end (name, index, mark).
    pub host_name: Option<String>,
    pub host_index: Option<u32>,
    pub host_mark: Option<String>,
    /// move: the interface's name, MTU and UP state in the host before it moved.
    pub orig_name: Option<String>,
    pub orig_mtu: Option<u32>,
    pub orig_up: Option<bool>,
    /// The MTU the container's interface was given (CHECK compares it).
    pub mtu: Option<u32>,
    /// The result ADD returned; `None` while the ADD is under way (a record written first, so
    /// that a DEL after a crash finds what it made).
    pub result: Option<CNIResult>,
}

impl Record {
    pub fn new(network: &str, container_id: &str, ifname: &str, mode: Mode, netns: &str) -> Record {
        Record {
            format: FORMAT.into(),
            version: VERSION,
            network: network.into(),
            container_id: container_id.into(),
            ifname: ifname.into(),
            mode,
            netns: netns.into(),
            index: None,
            mark: None,
            host_name: None,
            host_index: None,
            host_mark: None,
            orig_name: None,
            orig_mtu: None,
            orig_up: None,
            mtu: None,
            result: None,
        }
    }

    /// A short id of the attachment, the same every time (FNV-1a over network, container and
    /// interface): the record's file name, the epair host end's default name, the mark.
    pub fn id(network: &str, container_id: &str, ifname: &str) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for part in [network, container_id, ifname] {
            for b in part.bytes().chain(std::iter::once(0)) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    }
}

/// The records of one state directory, under its lock.
pub struct Records {
    dir: PathBuf,
    _lock: nix::fcntl::Flock<File>,
}

fn io(op: &str, path: &Path, e: std::io::Error) -> Error {
    Error::IOFailure(format!("{op} {}: {e}", path.display()))
}

impl Records {
    /// Opens (creating) the directory and takes its lock, waiting for another plugin process.
    pub fn lock(dir: &Path) -> Result<Records, Error> {
        fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
        let path = dir.join(".lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io("open", &path, e))?;
        let lock = nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, e)| io("lock", &path, e.into()))?;
        Ok(Records {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    fn path(&self, id: u64) -> PathBuf {
        self.dir.join(format!("{id:016x}.json"))
    }

    /// The record of an attachment, if there is one. A damaged one is an error.
    pub fn get(
        &self,
        network: &str,
        container_id: &str,
        ifname: &str,
    ) -> Result<Option<Record>, Error> {
        let path = self.path(Record::id(network, container_id, ifname));
        match fs::read(&path) {
            Ok(b) => {
                let r = parse(&path, &b)?;
                if r.network != network || r.container_id != container_id || r.ifname != ifname {
                    return Err(Error::IOFailure(format!(
                        "damaged state: {} is the record of another attachment",
                        path.display()
                    )));
                }
                Ok(Some(r))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("read", &path, e)),
        }
    }

    /// Every record of `network`. A damaged file is an error.
    pub fn all(&self, network: &str) -> Result<Vec<Record>, Error> {
        let mut out = Vec::new();
        let rd = fs::read_dir(&self.dir).map_err(|e| io("read", &self.dir, e))?;
        for e in rd {
            let e = e.map_err(|e| io("read", &self.dir, e))?;
            let p = e.path();
            if p.extension().is_some_and(|x| x == "json") {
                let b = fs::read(&p).map_err(|e| io("read", &p, e))?;
                let r = parse(&p, &b)?;
                if r.network == network {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// Writes a record atomically.
    pub fn put(&self, r: &Record) -> Result<(), Error> {
        let path = self.path(Record::id(&r.network, &r.container_id, &r.ifname));
        let tmp = path.with_extension("json.tmp");
        let body = serde_json::to_vec_pretty(r).expect("a record serialises");
        let mut f = File::create(&tmp).map_err(|e| io("create", &tmp, e))?;
        f.write_all(&body)
            .and_then(|()| f.sync_all())
            .map_err(|e| io("write", &tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| io("rename", &tmp, e))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("sync", &self.dir, e))
    }

    /// Removes a record (gone already is fine).
    pub fn remove(&self, r: &Record) -> Result<(), Error> {
        let path = self.path(Record::id(&r.network, &r.container_id, &r.ifname));
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("remove", &path, e)),
            _ => Ok(()),
        }
    }
}

fn parse(path: &Path, b: &[u8]) -> Result<Record, Error> {
    let r: Record = serde_json::from_slice(b)
        .map_err(|e| Error::IOFailure(format!("damaged state: {}: {e}", path.display())))?;
    if r.format != FORMAT || r.version != VERSION {
        return Err(Error::IOFailure(format!(
            "damaged state: {} is {} version {}, not {FORMAT} version {VERSION}",
            path.display(),
            r.format,
            r.version
        )));
    }
    Ok(r)
}
