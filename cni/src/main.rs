//! `ifclone-cni`: a CNI plugin (spec 1.1: ADD, DEL, CHECK, STATUS, GC, VERSION) on ifclone.
//! Installed into a CNI plugin directory as `ifclone`; a network says `"type": "ifclone"` and a
//! `mode`: `move` (an existing host interface moved into the container and given back whole on
//! DEL, through ifclone's transactional move), `epair` (a veth pair with one end straight in the
//! container, the host end configured), `vlan`, `macvlan`, `macvtap` (made straight in the
//! container). Addresses come from the configured IPAM plugin by delegation. Every ADD is
//! recorded (records.rs) so that DEL, CHECK and GC find what it made by identity. docs/cni.md
//! has the configuration and what each verb does.

mod conf;
mod ipam;
mod record;

use std::path::PathBuf;

use ifclone::backend::{Marks, StackHandle};
use ifclone::vmove::{self, MoveOptions};
use ifclone::{
    CreateRequest, IfAddr, IfName, IfRoute, Interface, KindSpec, MacvlanMode, Stack, StackSel,
    VlanProto,
};
use rscni_plugin::cni::{Cni, Plugin};
use rscni_plugin::error::Error;
use rscni_plugin::types::{Args, CNIResult, Interface as CniIface, IpConfig, NetConf};
use rscni_plugin::version::SpecVersion;

use conf::{bad, Checked, Mode};
use record::{Record, Records};

/// The mark on an epair's host end: ifclone's prefix and the attachment id.
fn host_mark(id: u64) -> String {
    format!("{}cni-{id:016x}", ifclone::MARK_PREFIX)
}

/// An ifclone error as a CNI error: bad input is the configuration's (7), a busy kernel or
/// stack "try again later" (11), the rest ifclone's own code 100 with the whole message.
fn cni_err(e: ifclone::Error) -> Error {
    match &e {
        ifclone::Error::InvalidArgument(_) | ifclone::Error::InvalidName(_) => {
            Error::InvalidNetworkConfig(e.to_string())
        }
        ifclone::Error::Busy(_) => Error::TryAgainLater(e.to_string()),
        _ => Error::Custom(100, "ifclone failed".into(), e.to_string()),
    }
}

trait Cx<T> {
    fn cni(self) -> Result<T, Error>;
}
impl<T> Cx<T> for ifclone::Result<T> {
    fn cni(self) -> Result<T, Error> {
        self.map_err(cni_err)
    }
}

struct Attach<'a> {
    args: &'a Args,
    net: &'a NetConf,
    conf: Checked,
    container_id: String,
    ifname: String,
    dir: PathBuf,
}

impl<'a> Attach<'a> {
    fn new(args: &'a Args) -> Result<Attach<'a>, Error> {
        let net = args.config();
        let conf = conf::parse(net)?;
        let dir = conf
            .conf
            .state_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(record::DEFAULT_DIR));
        Ok(Attach {
            args,
            net,
            container_id: args
                .container_id()
                .map(|c| c.to_string())
                .unwrap_or_default(),
            ifname: args.ifname().map(|i| i.to_string()).unwrap_or_default(),
            conf,
            dir,
        })
    }

    fn id(&self) -> u64 {
        Record::id(&self.net.name, &self.container_id, &self.ifname)
    }

    fn netns(&self) -> String {
        self.args
            .netns()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }

    fn ipam(&self) -> Result<Option<PathBuf>, Error> {
        match &self.net.ipam {
            Some(i) => ipam::find(self.args, &i.r#type).map(Some),
            None => Ok(None),
        }
    }
}

/// The container's stack: a netns path (Linux) or a jail name (FreeBSD).
fn open_container(netns: &str) -> Result<Option<Stack>, Error> {
    if netns.is_empty() {
        return Ok(None);
    }
    match Stack::open(StackSel::parse(netns)) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(cni_err(e)),
    }
}

/// The interface a record names in `stack`: by its ifclone mark where it has one, else by index
/// and name (so a rename inside the container does not hide it).
fn find(
    stack: &Stack,
    mark: Option<&str>,
    index: Option<u32>,
    name: &str,
) -> Result<Option<Interface>, Error> {
    let all = stack.interfaces().cni()?;
    Ok(all.into_iter().find(|i| match mark {
        Some(m) => i.mark.as_deref() == Some(m),
        None => Some(i.index) == index || i.name == name,
    }))
}

fn ifname(s: &str, what: &str) -> Result<IfName, Error> {
    IfName::new(s).map_err(|e| bad(format!("{what}: {e}")))
}

struct Plug;

impl Cni for Plug {
    fn add(&self, args: Args) -> Result<CNIResult, Error> {
        let a = Attach::new(&args)?;
        let ipam = a.ipam()?;
        let records = Records::lock(&a.dir)?;
        if let Some(r) = records.get(&a.net.name, &a.container_id, &a.ifname)? {
            return Err(Error::Custom(
                100,
                "attachment exists".into(),
                format!(
                    "container {} already has {} on network {} (DEL it first)",
                    r.container_id, r.ifname, r.network
                ),
            ));
        }
        let host = Stack::host().cni()?;
        let netns = a.netns();
        let ct = open_container(&netns)?
            .ok_or_else(|| Error::InvalidNetNS(format!("no network stack at {netns}")))?;
        let want = ifname(&a.ifname, "CNI_IFNAME")?;
        if ct.interface(want.as_str()).is_ok() {
            return Err(Error::Custom(
                100,
                "interface exists".into(),
                format!("the container already has an interface {want}"),
            ));
        }
        let mut rec = Record::new(
            &a.net.name,
            &a.container_id,
            &a.ifname,
            a.conf.conf.mode,
            &netns,
        );
        rec.mtu = a.conf.conf.mtu;
        // The names ADD will make are recorded before it makes them: a DEL after a crash finds
        // them.
        let host_end = match a.conf.conf.mode {
            Mode::Epair => Some(match a.conf.host_name {
                Some(n) => n,
                None => ifname(&format!("ic{:08x}", a.id() as u32), "hostName")?,
            }),
            _ => None,
        };
        rec.host_name = host_end.map(|n| n.to_string());
        if a.conf.conf.mode == Mode::Move {
            let dev = find_device(&host, &a.conf)?;
            rec.orig_name = Some(dev.name.to_string());
            rec.orig_mtu = Some(dev.mtu);
            rec.orig_up = Some(dev.up);
        }
        records.put(&rec)?;
        match add_all(&a, &host, &ct, want, &mut rec, ipam.as_deref()) {
            Ok(res) => {
                rec.result = Some(res.clone());
                records.put(&rec)?;
                Ok(res)
            }
            Err(e) => {
                // Undo: what was made goes, a moved interface goes home; then the record.
                let _ = teardown(&host, &rec);
                if let Some(bin) = &ipam {
                    let _ = ipam::exec(bin, "DEL", &args, a.net);
                }
                let _ = records.remove(&rec);
                Err(e)
            }
        }
    }

    fn del(&self, args: Args) -> Result<(), Error> {
        let a = Attach::new(&args)?;
        let records = Records::lock(&a.dir)?;
        let host = Stack::host().cni()?;
        if let Some(rec) = records.get(&a.net.name, &a.container_id, &a.ifname)? {
            teardown(&host, &rec)?;
            records.remove(&rec)?;
        }
        // IPAM's own DEL is idempotent too; it runs whether or not ADD got that far.
        if let Some(bin) = a.ipam()? {
            ipam::exec(&bin, "DEL", &args, a.net)?;
        }
        Ok(())
    }

    fn check(&self, args: Args) -> Result<(), Error> {
        let a = Attach::new(&args)?;
        let records = Records::lock(&a.dir)?;
        let rec = records
            .get(&a.net.name, &a.container_id, &a.ifname)?
            .ok_or_else(|| changed(format!("no attachment {} of {}", a.ifname, a.container_id)))?;
        let ct = open_container(&a.netns())?
            .ok_or_else(|| Error::InvalidNetNS(format!("no network stack at {}", a.netns())))?;
        let i = find(&ct, rec.mark.as_deref(), rec.index, &rec.ifname)?
            .ok_or_else(|| changed(format!("{} is not in the container", rec.ifname)))?;
        if i.name != rec.ifname.as_str() {
            return Err(changed(format!("{} was renamed to {}", rec.ifname, i.name)));
        }
        if let Some(m) = rec.mtu {
            if i.mtu != m {
                return Err(changed(format!("{} has MTU {}, not {m}", i.name, i.mtu)));
            }
        }
        if !i.up {
            return Err(changed(format!("{} is down", i.name)));
        }
        let prev = a.net.prev_result.as_ref().or(rec.result.as_ref());
        if let Some(prev) = prev {
            let have = ct.addresses(i.name.as_str()).cni()?;
            for ip in &prev.ips {
                let want = ifaddr(ip);
                if !have.contains(&want) {
                    return Err(changed(format!("{} lacks {want}", i.name)));
                }
            }
            if let Some(c) = prev.interfaces.iter().find(|c| c.name == rec.ifname) {
                let mac = i.mac.map(|m| m.to_string()).unwrap_or_default();
                if !c.mac.is_empty() && !c.mac.eq_ignore_ascii_case(&mac) {
                    return Err(changed(format!("{} has MAC {mac}, not {}", i.name, c.mac)));
                }
            }
        }
        if let Some(bin) = a.ipam()? {
            ipam::exec(&bin, "CHECK", &args, a.net)?;
        }
        Ok(())
    }

    fn status(&self, args: Args) -> Result<(), Error> {
        let net = args.config();
        let c = conf::parse(net)?;
        let host = Stack::host().map_err(|e| Error::PluginNotAvailable(e.to_string()))?;
        let cloners = host
            .cloners()
            .map_err(|e| Error::PluginNotAvailable(e.to_string()))?;
        let need = match c.conf.mode {
            Mode::Move => None,
            Mode::Epair => Some(ifclone::KindName::Epair),
            Mode::Vlan => Some(ifclone::KindName::Vlan),
            Mode::Macvlan => Some(ifclone::KindName::Macvlan),
            Mode::Macvtap => Some(ifclone::KindName::Macvtap),
        };
        if let Some(k) = need {
            if !cloners.contains(&k) {
                return Err(Error::PluginNotAvailable(format!(
                    "this kernel cannot create a {k} (its cloners: {})",
                    cloners
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        if let Some(m) = &c.master {
            host.interface(m.as_str())
                .map_err(|e| Error::PluginNotAvailable(format!("master {m}: {e}")))?;
        }
        if let Some(i) = &net.ipam {
            ipam::find(&args, &i.r#type).map_err(|e| Error::PluginNotAvailable(e.to_string()))?;
        }
        Ok(())
    }

    fn gc(&self, args: Args) -> Result<(), Error> {
        let net = args.config();
        let c = conf::parse(net)?;
        let dir = c
            .conf
            .state_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(record::DEFAULT_DIR));
        let valid = net.valid_attachments.clone().unwrap_or_default();
        let records = Records::lock(&dir)?;
        let host = Stack::host().cni()?;
        let mut first = None;
        for rec in records.all(&net.name)? {
            let keep = valid
                .iter()
                .any(|v| v.container_id == rec.container_id && v.ifname == rec.ifname);
            if keep {
                continue;
            }
            match teardown(&host, &rec).and_then(|()| records.remove(&rec)) {
                Ok(()) => {}
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
        first.map_or(Ok(()), Err)
    }
}

fn changed(why: String) -> Error {
    Error::Custom(100, "the attachment changed".into(), why)
}

fn ifaddr(ip: &IpConfig) -> IfAddr {
    IfAddr {
        addr: ip.address.addr(),
        prefix_len: ip.address.prefix_len(),
    }
}

/// move: the host interface the configuration names (by name, MAC, or both).
fn find_device(host: &Stack, c: &Checked) -> Result<Interface, Error> {
    let all = host.interfaces().cni()?;
    all.into_iter()
        .find(|i| c.device.is_none_or(|d| i.name == d) && c.mac.is_none_or(|m| i.mac == Some(m)))
        .ok_or_else(|| {
            bad(format!(
                "no host interface {}{}",
                c.device.map(|d| d.to_string()).unwrap_or_default(),
                c.mac.map(|m| format!(" with MAC {m}")).unwrap_or_default()
            ))
        })
}

/// ADD's work, recording what it made in `rec` as it goes.
fn add_all(
    a: &Attach,
    host: &Stack,
    ct: &Stack,
    want: IfName,
    rec: &mut Record,
    ipam: Option<&std::path::Path>,
) -> Result<CNIResult, Error> {
    let c = &a.conf;
    let mut host_iface: Option<Interface> = None;
    let made: Interface = match c.conf.mode {
        Mode::Move => {
            let orig = rec.orig_name.clone().expect("recorded");
            let opts = MoveOptions {
                new_name: Some(want),
                ..MoveOptions::default()
            };
            let r = vmove::vmove(host, &orig, ct, &opts).cni()?;
            ct.interface_by_index(r.index).cni()?
        }
        Mode::Epair => {
            let mut req = CreateRequest::new(KindSpec::Epair {
                peer_name: Some(want),
            });
            req.name = Some(ifname(
                rec.host_name.as_deref().expect("recorded"),
                "hostName",
            )?);
            req.mtu = c.conf.mtu;
            req.up = true;
            let m = host.create_placed(&req, None, Some(ct)).cni()?;
            let he = m.iface;
            let mark = host_mark(a.id());
            if ifclone::system()
                .add_mark(host.handle(), he.index, &mark)
                .cni()?
            {
                rec.host_mark = Some(mark);
            }
            rec.host_index = Some(he.index);
            host_iface = Some(he);
            let peer = m
                .peer
                .ok_or_else(|| bad("the epair came without its peer"))?;
            ct.interface_by_index(peer.index).cni()?
        }
        Mode::Vlan | Mode::Macvlan | Mode::Macvtap => {
            let parent = c.master.expect("checked");
            let mode = c
                .conf
                .macvlan_mode
                .as_deref()
                .and_then(MacvlanMode::parse)
                .unwrap_or_default();
            let spec = match c.conf.mode {
                Mode::Vlan => KindSpec::Vlan {
                    parent,
                    id: c.conf.vlan_id.expect("checked"),
                    proto: VlanProto::default(),
                },
                Mode::Macvlan => KindSpec::Macvlan { parent, mode },
                _ => KindSpec::Macvtap { parent, mode },
            };
            // Linux refuses a vlan made straight into another stack under a name the host
            // stack has (EEXIST; a macvlan is not refused): a vlan is made under a name of the
            // attachment and renamed in the container.
            let made_as = match c.conf.mode {
                Mode::Vlan => ifname(&format!("ic{:08x}v", a.id() as u32), "a temporary name")?,
                _ => want,
            };
            let mut req = CreateRequest::new(spec);
            req.name = Some(made_as);
            req.mtu = c.conf.mtu;
            let m = host.create_placed(&req, Some(ct), None).cni()?;
            if made_as != want {
                ct.rename(made_as.as_str(), want.as_str()).cni()?;
            }
            ct.interface_by_index(m.iface.index).cni()?
        }
    };
    rec.index = Some(made.index);
    rec.mark = made.mark.as_deref().map(str::to_string);
    if c.conf.mode == Mode::Move {
        if let Some(mtu) = c.conf.mtu {
            ct.set_mtu(want.as_str(), mtu).cni()?;
        }
    }
    ct.set_up(want.as_str(), true).cni()?;

    // Chained after other plugins: their result is kept and ours appended (interface indices
    // count from the end of theirs).
    let mut result = a.net.prev_result.clone().unwrap_or_default();
    let netns = a.netns();
    if let Some(h) = &host_iface {
        result.interfaces.push(CniIface {
            name: h.name.to_string(),
            mac: h.mac.map(|m| m.to_string()).unwrap_or_default(),
            mtu: Some(h.mtu),
            sandbox: None,
            socket_path: None,
            pci_id: None,
        });
    }
    let made = ct.interface(want.as_str()).cni()?;
    result.interfaces.push(CniIface {
        name: made.name.to_string(),
        mac: made.mac.map(|m| m.to_string()).unwrap_or_default(),
        mtu: Some(made.mtu),
        sandbox: Some(netns),
        socket_path: None,
        pci_id: None,
    });
    let ct_slot = (result.interfaces.len() - 1) as u32;

    if let Some(bin) = ipam {
        let got = ipam::exec(bin, "ADD", a.args, a.net)?.unwrap_or_default();
        for ip in &got.ips {
            ct.add_address(want.as_str(), ifaddr(ip)).cni()?;
            result.ips.push(IpConfig {
                interface: Some(ct_slot),
                address: ip.address,
                gateway: ip.gateway,
            });
        }
        for r in &got.routes {
            let gw = r.gw.or_else(|| {
                got.ips
                    .iter()
                    .filter_map(|i| i.gateway)
                    .find(|g| g.is_ipv4() == r.dst.addr().is_ipv4())
            });
            let route = IfRoute {
                dst: IfAddr {
                    addr: r.dst.network(),
                    prefix_len: r.dst.prefix_len(),
                },
                gateway: gw,
                metric: r.priority,
            };
            ct.add_route(want.as_str(), route).cni()?;
        }
        result.routes.extend(got.routes.iter().cloned());
        // host-local answers `"dns": {}`: only DNS settings that say something replace those
        // of an earlier plugin.
        if got.dns.as_ref().is_some_and(|d| {
            !d.nameservers.is_empty()
                || d.domain.is_some()
                || d.search.is_some()
                || d.options.is_some()
        }) {
            result.dns = got.dns.clone();
        }
        // epair: the host end answers for the gateway, and routes to the container's address
        // (ptp's set-up): the container reaches the host and the host the container.
        if let Some(h) = &host_iface {
            for ip in &got.ips {
                if let Some(g) = ip.gateway {
                    let full = if g.is_ipv4() { 32 } else { 128 };
                    host.add_address(
                        h.name.as_str(),
                        IfAddr {
                            addr: g,
                            prefix_len: full,
                        },
                    )
                    .cni()?;
                    let to = IfRoute {
                        dst: IfAddr {
                            addr: ip.address.addr(),
                            prefix_len: full,
                        },
                        gateway: None,
                        metric: None,
                    };
                    host.add_route(h.name.as_str(), to).cni()?;
                }
            }
        }
    }
    Ok(result)
}

/// Removes what a record says ADD made, whatever is left of it: idempotent, and it finds the
/// interfaces by identity with or without the container's stack.
fn teardown(host: &Stack, rec: &Record) -> Result<(), Error> {
    let ct = open_container(&rec.netns)?;
    match rec.mode {
        Mode::Move => {
            let orig = rec.orig_name.as_deref().unwrap_or(&rec.ifname);
            let in_ct = match &ct {
                Some(ct) => find(ct, rec.mark.as_deref(), rec.index, &rec.ifname)?,
                None => None,
            };
            if let (Some(ct), Some(i)) = (&ct, in_ct) {
                let opts = MoveOptions {
                    new_name: Some(ifname(orig, "the interface's home name")?),
                    ..MoveOptions::default()
                };
                vmove::reclaim(ct, i.name.as_str(), &opts).cni()?;
            } else {
                // Its stack went without a DEL: a physical device is back in the host (with
                // its container name), a virtual one was destroyed with the stack.
                match find(host, rec.mark.as_deref(), None, orig)? {
                    Some(i) if i.name != orig => host.rename_live(i.name.as_str(), orig).cni()?,
                    Some(_) => {}
                    None => return Ok(()),
                }
            }
            if let Some(mtu) = rec.orig_mtu {
                if host.interface(orig).cni()?.mtu != mtu {
                    host.set_mtu(orig, mtu).cni()?;
                }
            }
            if let Some(up) = rec.orig_up {
                host.set_up(orig, up).cni()?;
            }
        }
        Mode::Epair => {
            let name = rec.host_name.as_deref().unwrap_or_default();
            if let Some(h) = find(host, rec.host_mark.as_deref(), rec.host_index, name)? {
                if h.name == name || rec.host_mark.is_some() {
                    destroy_loan_peer(&ct, rec)?;
                    host.destroy(h.name.as_str()).cni()?;
                }
            }
        }
        Mode::Vlan | Mode::Macvlan | Mode::Macvtap => {
            if let Some(ct) = &ct {
                if let Some(i) = find(ct, rec.mark.as_deref(), rec.index, &rec.ifname)? {
                    ct.destroy(i.name.as_str()).cni()?;
                    forget_loan(ct, &i)?;
                }
            }
        }
    }
    Ok(())
}

/// epair: the container's end is a loan from the host, which the ledger forgets before the
/// pair is destroyed in the host.
fn destroy_loan_peer(ct: &Option<Stack>, rec: &Record) -> Result<(), Error> {
    if let Some(ct) = ct {
        if let Some(i) = find(ct, rec.mark.as_deref(), rec.index, &rec.ifname)? {
            forget_loan(ct, &i)?;
        }
    }
    Ok(())
}

/// Drops the ledger's record of a loan this plugin made and destroyed in the container (it is
/// not coming home: it is gone).
fn forget_loan(ct: &Stack, i: &Interface) -> Result<(), Error> {
    let key = ct.handle().key().cni()?;
    ct.host_of().ledger().take(&key, i).cni()?;
    Ok(())
}

fn main() {
    let versions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]
        .iter()
        .map(|v| v.parse::<SpecVersion>().expect("a version"))
        .collect();
    let plugin = Plugin::new(SpecVersion::new(1, 1, 0), versions)
        .msg(concat!("ifclone CNI plugin ", env!("CARGO_PKG_VERSION")));
    if plugin.run(&Plug).is_err() {
        std::process::exit(1);
    }
}
