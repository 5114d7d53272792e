//! What ifclone knows of the interfaces it created or moved, kept where FreeBSD forgets it.
//!
//! The kernel does not always say what an interface is:
//! - 13.x drops the cloner group (`epair`, `vlan`, `bridge`, `tap`) of an interface that comes
//!   back from a child VNET (SIOCSIFRVNET, or the jail's removal): `if_clone_findifc` looks for
//!   the cloner in the VNET the interface leaves, not in its home. Its name may say nothing
//!   either (`moved0`).
//! - SIOCGETVLAN answers EPERM outside the vlan's home VNET, so a moved vlan's parent, tag and
//!   protocol cannot be read inside the jail it was moved to.
//! - No ioctl names an epair's peer; the name rule (`epairNa` ↔ `epairNb`) fails once either end
//!   is renamed.
//!
//! So every create, rename, MAC change, move and destroy that goes through ifclone updates one
//! record per interface: kind, the name ifclone last gave it, MAC (kept by every move), the
//! epair peer's MAC and the vlan's parameters. Observation uses the kernel first (cloner group,
//! link type) and this record where the kernel is silent.
//!
//! The file (`<runtime>/freebsd-origins.json`) follows the state rules of `crate::state`:
//! written atomically under its own lock, validated on read, damage reported as
//! [`Error::Corrupt`](crate::error::Error::Corrupt) — never read as "nothing known".

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::model::{IfName, KindName, Mac, VlanProto};
use crate::state;

const FORMAT: &str = "ifclone-freebsd-origins";
const VERSION: u32 = 1;

/// What ifclone knows of one interface.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    pub kind: KindName,
    /// The name ifclone last gave it (or found it under when it moved it).
    pub name: IfName,
    pub mac: Option<Mac>,
    /// epair: the other end's MAC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_mac: Option<Mac>,
    /// vlan: its configuration, as created (or read in its home VNET).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<VlanOrigin>,
}

/// A vlan's parameters; `home` is the jail id of the VNET that holds its parent (0: the host).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VlanOrigin {
    pub parent: IfName,
    pub id: u16,
    pub proto: VlanProto,
    pub home: i32,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: String,
    version: u32,
    origins: Vec<Origin>,
}

/// The record file.
#[derive(Clone, Debug)]
pub struct Origins {
    path: PathBuf,
    lock: PathBuf,
}

impl Origins {
    pub fn in_dir(runtime: &Path) -> Origins {
        Origins {
            path: runtime.join("freebsd-origins.json"),
            lock: runtime.join("locks").join("freebsd-origins.lock"),
        }
    }

    /// Every record; none when the file does not exist yet. A damaged file is `Corrupt`.
    pub fn load(&self) -> Result<Vec<Origin>> {
        let Some(text) = state::read(&self.path)? else {
            return Ok(Vec::new());
        };
        let f: File = serde_json::from_str(&text)
            .map_err(|e| state::corrupt(&self.path, format_args!("not an origins file: {e}")))?;
        if f.format != FORMAT || f.version != VERSION {
            return Err(state::corrupt(
                &self.path,
                format_args!(
                    "format {:?} version {} (expected {FORMAT:?} version {VERSION})",
                    f.format, f.version
                ),
            ));
        }
        Ok(f.origins)
    }

    /// Changes the records under the file's lock and writes them back atomically (nothing is
    /// written when `f` changes nothing).
    pub fn edit(&self, f: impl FnOnce(&mut Vec<Origin>)) -> Result<()> {
        let _held = state::lock(&self.lock)?;
        let before = self.load()?;
        let mut now = before.clone();
        f(&mut now);
        if now == before {
            return Ok(());
        }
        let text = serde_json::to_vec_pretty(&File {
            format: FORMAT.into(),
            version: VERSION,
            origins: now,
        })
        .expect("origins serialize");
        state::write(&self.path, &text)
    }
}

/// Adds (or replaces) the record of an interface: an older record of the same device (same MAC
/// and name, or same MAC and kind for kinds whose MAC is their own) goes.
pub fn remember(list: &mut Vec<Origin>, o: Origin) {
    list.retain(|e| !same_device(e, &o.mac, &o.name, Some(o.kind)));
    list.push(o);
}

/// Forgets the record of the device with this MAC and name (and, for an epair end, its peer's).
pub fn forget(list: &mut Vec<Origin>, mac: Option<Mac>, name: &IfName) {
    let peer = find(list, mac, name, None).and_then(|o| o.peer_mac);
    list.retain(|e| !same_device(e, &mac, name, None));
    if let Some(pm) = peer {
        list.retain(|e| !(e.kind == KindName::Epair && e.mac == Some(pm)));
    }
}

/// Updates the record of a device ifclone renamed or gave a new MAC.
pub fn changed(
    list: &mut [Origin],
    mac: Option<Mac>,
    name: &IfName,
    new_name: IfName,
    new_mac: Option<Mac>,
) {
    let Some(i) = index_of(list, mac, name, None) else {
        return;
    };
    let old_mac = list[i].mac;
    list[i].name = new_name;
    if new_mac.is_some() {
        list[i].mac = new_mac;
        // The peer names this end by its MAC.
        for e in list.iter_mut() {
            if e.kind == KindName::Epair && old_mac.is_some() && e.peer_mac == old_mac {
                e.peer_mac = new_mac;
            }
        }
    }
}

fn same_device(e: &Origin, mac: &Option<Mac>, name: &IfName, kind: Option<KindName>) -> bool {
    if e.mac != *mac {
        return false;
    }
    // A vlan has its parent's MAC (and so has every other vlan on that parent): only the name
    // tells them apart. Kinds with a MAC of their own are one device per MAC.
    e.name == *name || (mac.is_some() && kind == Some(e.kind) && e.kind != KindName::Vlan)
}

fn index_of(
    list: &[Origin],
    mac: Option<Mac>,
    name: &IfName,
    hint: Option<KindName>,
) -> Option<usize> {
    let cands: Vec<usize> = (0..list.len())
        .filter(|&i| list[i].mac == mac && hint.is_none_or(|k| list[i].kind == k))
        .collect();
    // The name ifclone gave it first; otherwise a MAC of its own decides (renamed by others).
    if let Some(&i) = cands.iter().find(|&&i| list[i].name == *name) {
        return Some(i);
    }
    match cands.as_slice() {
        [i] if mac.is_some() && list[*i].kind != KindName::Vlan => Some(*i),
        _ => None,
    }
}

/// The record of the interface with this MAC and name. `hint`: the kind the kernel's link type
/// says, when it says one.
pub fn find<'a>(
    list: &'a [Origin],
    mac: Option<Mac>,
    name: &IfName,
    hint: Option<KindName>,
) -> Option<&'a Origin> {
    index_of(list, mac, name, hint).map(|i| &list[i])
}

/// The records, read once per listing and only if the kernel leaves a question open.
pub struct Recall {
    origins: Origins,
    loaded: RefCell<Option<std::rc::Rc<Vec<Origin>>>>,
}

impl Recall {
    pub fn new(origins: Origins) -> Recall {
        Recall {
            origins,
            loaded: RefCell::new(None),
        }
    }

    pub fn get(&self) -> Result<std::rc::Rc<Vec<Origin>>> {
        if let Some(l) = self.loaded.borrow().as_ref() {
            return Ok(l.clone());
        }
        let l = std::rc::Rc::new(self.origins.load()?);
        *self.loaded.borrow_mut() = Some(l.clone());
        Ok(l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> IfName {
        IfName::new(s).unwrap()
    }
    fn m(b: u8) -> Option<Mac> {
        Some(Mac([2, 0, 0, 0, 0, b]))
    }
    fn epair(name: &str, mac: u8, peer: u8) -> Origin {
        Origin {
            kind: KindName::Epair,
            name: n(name),
            mac: m(mac),
            peer_mac: m(peer),
            vlan: None,
        }
    }
    fn vlan(name: &str, mac: u8, id: u16) -> Origin {
        Origin {
            kind: KindName::Vlan,
            name: n(name),
            mac: m(mac),
            peer_mac: None,
            vlan: Some(VlanOrigin {
                parent: n("vp0"),
                id,
                proto: VlanProto::Dot1Q,
                home: 0,
            }),
        }
    }

    #[test]
    fn a_renamed_epair_is_found_by_its_mac() {
        let l = vec![epair("pa", 1, 2), epair("pb", 2, 1)];
        assert_eq!(find(&l, m(1), &n("moved0"), None).unwrap().name, n("pa"));
        assert_eq!(find(&l, m(2), &n("pb"), None).unwrap().peer_mac, m(1));
        assert!(find(&l, m(3), &n("pa"), None).is_none());
    }

    #[test]
    fn vlans_sharing_a_parent_mac_are_told_apart_by_name() {
        let l = vec![
            epair("vp0", 1, 2),
            vlan("v100", 1, 100),
            vlan("v200", 1, 200),
        ];
        let v = find(&l, m(1), &n("v200"), Some(KindName::Vlan)).unwrap();
        assert_eq!(v.vlan.unwrap().id, 200);
        // Renamed by someone else: ambiguous, so unknown rather than wrong.
        assert!(find(&l, m(1), &n("x"), Some(KindName::Vlan)).is_none());
        // The parent, renamed by someone else, is still the one epair with that MAC.
        assert_eq!(
            find(&l, m(1), &n("up0"), Some(KindName::Epair))
                .unwrap()
                .name,
            n("vp0")
        );
    }

    #[test]
    fn remember_replaces_forget_takes_the_peer() {
        let mut l = vec![epair("pa", 1, 2), epair("pb", 2, 1), vlan("v100", 1, 100)];
        remember(&mut l, epair("web0", 1, 2));
        assert_eq!(l.len(), 3, "{l:?}");
        forget(&mut l, m(1), &n("web0"));
        assert_eq!(l, vec![vlan("v100", 1, 100)]);
    }

    #[test]
    fn changed_follows_a_rename_and_a_new_mac() {
        let mut l = vec![epair("pa", 1, 2), epair("pb", 2, 1)];
        changed(&mut l, m(1), &n("pa"), n("wan0"), m(9));
        assert_eq!(l[0].name, n("wan0"));
        assert_eq!(l[0].mac, m(9));
        assert_eq!(l[1].peer_mac, m(9));
    }

    #[test]
    fn the_file_is_validated_and_written_atomically() {
        let dir = std::env::temp_dir().join(format!("ifclone-origins-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let o = Origins::in_dir(&dir);
        assert!(o.load().unwrap().is_empty());
        o.edit(|l| remember(l, epair("pa", 1, 2))).unwrap();
        assert_eq!(o.load().unwrap(), vec![epair("pa", 1, 2)]);
        std::fs::write(dir.join("freebsd-origins.json"), b"{\"format\":1").unwrap();
        let e = o.load().unwrap_err();
        assert!(matches!(e, crate::error::Error::Corrupt(_)), "{e}");
        assert!(
            o.edit(|l| l.clear()).is_err(),
            "damage is never overwritten"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
