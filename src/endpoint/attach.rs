//! Attaching an endpoint: building its interworking model in a stack and handing over the fds.

use crate::error::{Context, Error, Result};
use crate::model::{Change, CreateRequest, IfName, Interface, KindSpec, MacvlanMode, TapOptions};
use crate::stack::Stack;

use super::{vhost_fds, Endpoint, EndpointFds, Model, TapInfo};

/// What [`attach`] made, so that [`Attached::detach`] removes exactly that.
#[derive(Debug)]
enum Made {
    /// An interface ifclone created (a tap, a bridge, a macvtap), by name and index.
    Iface(IfName, u32),
    /// A redirect put on an interface that was there (tc-filter).
    Redirect(IfName, u32),
    /// An interface that was there and down, brought up.
    BroughtUp(IfName, u32),
}

/// An attached endpoint: the fds for the hypervisor (none for a vhost-user endpoint) and the
/// record of what was made, which [`Attached::detach`] removes.
#[derive(Debug)]
#[must_use = "an attached endpoint stays until it is detached"]
pub struct Attached {
    stack: Stack,
    made: Vec<Made>,
    fds: Option<EndpointFds>,
}

impl Attached {
    /// The hypervisor's fds (`None` for a vhost-user endpoint, whose frames go through its
    /// socket).
    pub fn fds(&self) -> Option<&EndpointFds> {
        self.fds.as_ref()
    }

    /// Takes the fds out, to hand them over; what was made stays until [`Attached::detach`].
    pub fn take_fds(&mut self) -> Option<EndpointFds> {
        self.fds.take()
    }

    /// The stack the endpoint was attached in.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// Removes what [`attach`] made, latest first: the redirects it put on, the interfaces it
    /// created, and an interface it brought up goes down again. Something already gone is not
    /// an error; every step is tried, and the first failure is returned with the rest said.
    pub fn detach(mut self) -> Result<()> {
        drop(self.fds.take());
        undo(&self.stack, std::mem::take(&mut self.made))
    }
}

fn undo(stack: &Stack, made: Vec<Made>) -> Result<()> {
    let mut first: Option<Error> = None;
    for m in made.into_iter().rev() {
        let (Made::Iface(name, index) | Made::Redirect(name, index) | Made::BroughtUp(name, index)) =
            &m;
        // Only the interface attach saw, by index and name: one gone or replaced is not undone.
        let r = match stack.interface_by_index(*index) {
            Ok(i) if i.name == *name => match &m {
                Made::Iface(..) => stack.destroy(name.as_str()),
                Made::Redirect(..) => stack.drop_redirect(&i),
                Made::BroughtUp(..) => stack.set_up(name.as_str(), false),
            },
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        };
        match (r, &mut first) {
            (Err(e), None) => first = Some(e.during("detach", &format!("{m:?}"))),
            (Err(e), Some(f)) => *f = f.clone().with_detail(format_args!("also: {e}")),
            _ => {}
        }
    }
    first.map_or(Ok(()), Err)
}

/// Builds `endpoint` in `stack` and hands back the fds a hypervisor opens: one transaction —
/// every name and the endpoint itself are checked before anything changes, and a failure
/// half-way removes what was made.
///
/// | endpoint | what is made in `stack` | fds |
/// |---|---|---|
/// | `tap` (model none) | the tap, gone with its last fd | its queues (+ vhost) |
/// | `epair` / `macvlan`, `bridged` | the tap and the bridge; the interface (there already) and the tap its ports | the tap's |
/// | `epair` / `macvlan`, `tc-filter` | the tap; a redirect both ways between it and the interface | the tap's |
/// | `epair`, `macvtap` | a macvtap on the interface, named as the tap | the macvtap's queues |
/// | `macvtap` | the macvtap on its parent | its queues |
/// | `vhost-user` | nothing (the socket is the user-space switch's) | none |
/// | `physical` | refused: a whole NIC reaches a VM by VFIO, which ifclone does not do | |
pub fn attach(stack: &Stack, endpoint: &Endpoint) -> Result<Attached> {
    let name = endpoint.net().name;
    let bad = |why: String| {
        Error::InvalidArgument(Box::new(
            Context::new("attach endpoint", name.to_string())
                .stack(stack.name())
                .detail(why),
        ))
    };
    if let Some(p) = endpoint.problem() {
        return Err(bad(p));
    }
    let all = stack.interfaces()?;
    let find = |n: IfName| all.iter().find(|i| i.name == n).cloned();
    let free = |n: IfName, what: &str| match find(n) {
        Some(_) => Err(Error::Exists(Box::new(
            Context::new("attach endpoint", name.to_string())
                .stack(stack.name())
                .detail(format!("the {what} {n} exists already")),
        ))),
        None => Ok(()),
    };
    let there = |n: IfName, what: &str| {
        find(n).ok_or_else(|| {
            Error::NotFound(Box::new(
                Context::new("attach endpoint", name.to_string())
                    .stack(stack.name())
                    .detail(format!("the {what} {n} is not in the stack")),
            ))
        })
    };
    // Every check before the first change.
    let plan = match endpoint {
        Endpoint::Physical { .. } => return Err(Error::Unsupported(Box::new(
            Context::new("attach endpoint", name.to_string())
                .stack(stack.name())
                .detail(
                    "a physical NIC reaches a VM by VFIO passthrough, which ifclone does not do",
                ),
        ))),
        Endpoint::VhostUser { .. } => Plan::Nothing,
        Endpoint::Tap { tap, .. } => {
            free(tap.name, "tap")?;
            Plan::Tap(tap.clone(), None)
        }
        Endpoint::Epair { model, tap, .. } | Endpoint::Macvlan { model, tap, .. } => {
            let iface = there(name, "interface")?;
            match model {
                Model::None => {
                    return Err(bad(
                        "model none joins nothing to the interface: use a tap endpoint".into(),
                    ))
                }
                Model::Bridged { bridge } => {
                    free(tap.name, "tap")?;
                    free(*bridge, "bridge")?;
                    if let Some(m) = iface.master {
                        return Err(bad(format!("{name} is a port of #{m} already")));
                    }
                    Plan::Tap(tap.clone(), Some(Join::Bridge(*bridge, iface)))
                }
                Model::TcFilter => {
                    if !<crate::System as crate::backend::Links>::REDIRECTS {
                        return Err(Error::Unsupported(Box::new(
                            Context::new("attach endpoint", name.to_string())
                                .stack(stack.name())
                                .detail("the tc-filter model needs tc (Linux): use bridged"),
                        )));
                    }
                    free(tap.name, "tap")?;
                    Plan::Tap(tap.clone(), Some(Join::Redirect(iface)))
                }
                Model::Macvtap => {
                    free(tap.name, "macvtap")?;
                    Plan::Macvtap {
                        name: tap.name,
                        parent: iface.name,
                        mode: MacvlanMode::Bridge,
                        queues: tap.queues,
                        vhost: tap.vhost,
                        mac: endpoint.net().mac,
                        up_parent: (!iface.up).then_some(iface),
                    }
                }
            }
        }
        Endpoint::Macvtap {
            net,
            parent,
            mode,
            queues,
            vhost,
        } => {
            let p = there(*parent, "parent")?;
            free(net.name, "macvtap")?;
            Plan::Macvtap {
                name: net.name,
                parent: *parent,
                mode: *mode,
                queues: *queues,
                vhost: *vhost,
                mac: net.mac,
                up_parent: (!p.up).then_some(p),
            }
        }
    };
    // The vhost fds first: opening them changes nothing, and a kernel without vhost-net
    // refuses the attach before anything is made.
    let vhost = match (&plan, endpoint) {
        (Plan::Tap(t, _), _) if t.vhost => vhost_fds(t.queues, false)?,
        (
            Plan::Macvtap {
                vhost: true,
                queues,
                ..
            },
            _,
        ) => vhost_fds(*queues, false)?,
        _ => Vec::new(),
    };
    let mut made = Vec::new();
    match build(stack, endpoint, plan, vhost, &mut made) {
        Ok(fds) => Ok(Attached {
            stack: stack.clone(),
            made,
            fds,
        }),
        Err(e) => {
            let undone = undo(stack, made);
            Err(match undone {
                Ok(()) => e,
                Err(u) => e.with_detail(format_args!("UNDO INCOMPLETE: {u}")),
            })
        }
    }
}

enum Join {
    Bridge(IfName, Interface),
    Redirect(Interface),
}

enum Plan {
    Nothing,
    Tap(TapInfo, Option<Join>),
    Macvtap {
        name: IfName,
        parent: IfName,
        mode: MacvlanMode,
        queues: u16,
        vhost: bool,
        mac: Option<crate::model::Mac>,
        up_parent: Option<Interface>,
    },
}

fn build(
    stack: &Stack,
    endpoint: &Endpoint,
    plan: Plan,
    vhost: Vec<std::os::fd::OwnedFd>,
    made: &mut Vec<Made>,
) -> Result<Option<EndpointFds>> {
    let net = endpoint.net();
    match plan {
        Plan::Nothing => Ok(None),
        Plan::Tap(t, join) => {
            // The interface that is there comes up first, so that it goes down last.
            if let Some(Join::Bridge(_, i) | Join::Redirect(i)) = &join {
                up(stack, i, made)?;
            }
            let mut req = CreateRequest::new(KindSpec::Tap { queues: t.queues }).named(t.name);
            req.mtu = Some(net.mtu);
            req.up = true;
            let opts = TapOptions {
                vnet_hdr: t.vnet_hdr,
                persist: false,
                owner: None,
                group: None,
            };
            let c = stack.create_tap(&req, &opts)?;
            made.push(Made::Iface(c.iface.name, c.iface.index));
            match join {
                None => {}
                Some(Join::Bridge(bridge, iface)) => {
                    let mut br = CreateRequest::new(KindSpec::Bridge).named(bridge);
                    br.up = true;
                    let b = stack.create_interface(&br)?;
                    made.push(Made::Iface(b.iface.name, b.iface.index));
                    stack.add_port(bridge.as_str(), iface.name.as_str())?;
                    stack.add_port(bridge.as_str(), t.name.as_str())?;
                }
                Some(Join::Redirect(iface)) => {
                    // Noted first: a redirect half put on is taken off by the undo.
                    made.push(Made::Redirect(iface.name, iface.index));
                    stack.redirect_pair(&iface, &c.iface)?;
                }
            }
            EndpointFds::new(c.fds, vhost).map(Some)
        }
        Plan::Macvtap {
            name,
            parent,
            mode,
            queues,
            vhost: _,
            mac,
            up_parent,
        } => {
            if let Some(p) = up_parent {
                up(stack, &p, made)?;
            }
            let mut req = CreateRequest::new(KindSpec::Macvtap { parent, mode }).named(name);
            req.mtu = Some(net.mtu);
            req.mac = mac;
            req.up = true;
            let c = stack.create_interface(&req)?;
            made.push(Made::Iface(c.iface.name, c.iface.index));
            let q = stack.open_fds(name.as_str(), queues)?;
            EndpointFds::new(q, vhost).map(Some)
        }
    }
}

/// Brings an interface that was there up, if it was down (and notes it, so detach puts it
/// down again).
fn up(stack: &Stack, iface: &Interface, made: &mut Vec<Made>) -> Result<()> {
    if iface.up {
        return Ok(());
    }
    stack.set(
        iface.name.as_str(),
        &Change {
            up: Some(true),
            ..Change::default()
        },
    )?;
    made.push(Made::BroughtUp(iface.name, iface.index));
    Ok(())
}
