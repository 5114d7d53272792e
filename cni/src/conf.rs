//! The plugin's own part of a network configuration (`"type": "ifclone"`), checked before
//! anything changes.

use std::path::PathBuf;

use ifclone::{IfName, Mac};
use rscni_plugin::error::Error;
use rscni_plugin::types::NetConf;
use serde::Deserialize;

/// What an attachment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// An existing host interface moved into the container (host-device's job), given back on
    /// DEL with its name, MTU, description and UP state.
    Move,
    /// An epair (veth) made with one end straight in the container (ptp's job).
    Epair,
    /// A vlan on a host interface, made straight in the container.
    Vlan,
    /// A macvlan on a host interface, made straight in the container.
    Macvlan,
    /// A macvtap on a host interface, made straight in the container.
    Macvtap,
}

/// The keys of an `ifclone` network besides CNI's own.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Conf {
    pub mode: Mode,
    /// move: the host interface by name…
    pub device: Option<String>,
    /// …or by MAC address.
    pub mac: Option<String>,
    /// vlan, macvlan, macvtap: the host interface they sit on.
    pub master: Option<String>,
    /// vlan: the tag.
    pub vlan_id: Option<u16>,
    /// macvlan, macvtap: private, vepa, bridge (the default), passthru, source.
    pub macvlan_mode: Option<String>,
    /// The MTU of the container's interface (and of an epair's host end).
    pub mtu: Option<u32>,
    /// epair: the host end's name (default `ic` and 8 hex digits of the attachment).
    pub host_name: Option<String>,
    /// Where the attachment records are kept (default `/run/ifclone/cni`).
    pub state_dir: Option<PathBuf>,
}

/// The checked configuration.
#[derive(Clone, Debug)]
pub struct Checked {
    pub conf: Conf,
    pub device: Option<IfName>,
    pub mac: Option<Mac>,
    pub master: Option<IfName>,
    pub host_name: Option<IfName>,
}

pub fn bad(why: impl Into<String>) -> Error {
    Error::InvalidNetworkConfig(why.into())
}

fn name(v: &Option<String>, key: &str) -> Result<Option<IfName>, Error> {
    v.as_deref()
        .map(|s| IfName::new(s).map_err(|e| bad(format!("{key}: {e}"))))
        .transpose()
}

/// Reads and checks the plugin's keys of `net`.
pub fn parse(net: &NetConf) -> Result<Checked, Error> {
    let mut map = serde_json::Map::new();
    for (k, v) in &net.custom {
        // CNI's own keys that rscni does not model, and the runtime's (`cni.dev/…`), are not
        // ours; every other one must be.
        if !(k.contains('/') || matches!(k.as_str(), "cniVersions" | "disableCheck" | "disableGC"))
        {
            map.insert(k.clone(), v.clone());
        }
    }
    let conf: Conf = serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| bad(format!("the ifclone keys of network {}: {e}", net.name)))?;
    let device = name(&conf.device, "device")?;
    let mac = conf
        .mac
        .as_deref()
        .map(|m| {
            m.parse::<Mac>()
                .map_err(|_| bad(format!("mac: '{m}' is not a MAC address")))
        })
        .transpose()?;
    let master = name(&conf.master, "master")?;
    let host_name = name(&conf.host_name, "hostName")?;
    match conf.mode {
        Mode::Move if device.is_none() && mac.is_none() => {
            return Err(bad("mode move needs the host interface: device or mac"))
        }
        Mode::Vlan | Mode::Macvlan | Mode::Macvtap if master.is_none() => {
            return Err(bad(
                format!("mode {:?} needs master", conf.mode).to_lowercase()
            ))
        }
        Mode::Vlan if conf.vlan_id.is_none() => return Err(bad("mode vlan needs vlanId")),
        _ => {}
    }
    if let Some(m) = &conf.macvlan_mode {
        if ifclone::MacvlanMode::parse(m).is_none() {
            return Err(bad(format!("macvlanMode '{m}' is not a macvlan mode")));
        }
    }
    if let Some(mtu) = conf.mtu {
        if !(ifclone::MTU_MIN..=ifclone::MTU_MAX).contains(&mtu) {
            return Err(bad(format!(
                "mtu {mtu} is outside {}..={}",
                ifclone::MTU_MIN,
                ifclone::MTU_MAX
            )));
        }
    }
    Ok(Checked {
        conf,
        device,
        mac,
        master,
        host_name,
    })
}
