//! Executing a [`Cmd`]: the only part of `ifc` that talks to the kernel.

use std::io::Write;

use ifclone::vmove::{self, RemoveOptions};
use ifclone::{IfAddr, Interface, KindName, LinkStack, Stack, StackSel};

use crate::opts::{Cmd, Filter};
use crate::render::{receipt, render, Resolved};

/// Why a command did not (entirely) happen.
#[derive(Debug)]
pub enum Failure {
    /// What ifclone refused, or what the kernel did not do.
    Lib(ifclone::Error),
    /// Standard output could not be written (a closed pipe, a full disk).
    Output(std::io::Error),
}

impl From<ifclone::Error> for Failure {
    fn from(e: ifclone::Error) -> Failure {
        Failure::Lib(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Output(e)
    }
}

/// The name and stack of `i`'s peer/parent when it lives in another stack and the library can
/// tell which one (a named stack or the host). Unresolved links fall back to the kernel's id.
fn resolve(st: &Stack, i: &Interface) -> Option<Resolved> {
    let l = i.link().filter(|l| l.stack != LinkStack::Same)?;
    let (s, name) = st.link_name(l).ok()??;
    Some((name, s.name().to_string()))
}

pub fn open(sel: &Option<StackSel>) -> ifclone::Result<Stack> {
    match sel {
        None => Stack::host(),
        Some(s) => Stack::open(s.clone()),
    }
}

/// Runs `cmd`, writing what it prints to `out`.
pub fn run(cmd: Cmd, out: &mut dyn Write) -> Result<(), Failure> {
    match cmd {
        Cmd::Help => write!(out, "{}", crate::help::usage())?,
        Cmd::List {
            stack,
            names_only,
            filter,
        } => {
            let st = open(&stack)?;
            let mut all = st.interfaces()?;
            all.sort_by_key(|i| i.index);
            let shown: Vec<&Interface> = all
                .iter()
                .filter(|i| match filter {
                    Filter::All => true,
                    Filter::Up => i.up,
                    Filter::Down => !i.up,
                })
                .collect();
            if names_only {
                let names: Vec<&str> = shown.iter().map(|i| i.name.as_str()).collect();
                writeln!(out, "{}", names.join(" "))?;
            } else {
                // Every address of the stack from one dump, not one query per interface.
                let all_addrs = st.all_addresses()?;
                let mut text = String::new();
                for i in shown {
                    let addrs: Vec<IfAddr> = all_addrs
                        .iter()
                        .filter(|(x, _)| *x == i.index)
                        .map(|(_, a)| *a)
                        .collect();
                    let r = resolve(&st, i);
                    text.push_str(&render(i, &addrs, &all, r.as_ref()));
                }
                write!(out, "{text}")?;
            }
        }
        Cmd::Show { stack, name } => {
            let st = open(&stack)?;
            let i = st.interface(&name)?;
            let addrs = st.addresses(&name)?;
            // Resolving a same-stack peer by index needs the listing; only do it when needed.
            let has_ports = i.kind.kind().is_some_and(|k| k.desc().ports);
            let all = match i.link() {
                Some(l) if l.name.is_none() && l.stack == LinkStack::Same => st.interfaces()?,
                _ if has_ports || i.master.is_some() => st.interfaces()?,
                _ => Vec::new(),
            };
            let r = resolve(&st, &i);
            write!(out, "{}", render(&i, &addrs, &all, r.as_ref()))?;
        }
        Cmd::Cloners { stack } => {
            let st = open(&stack)?;
            let c: Vec<&str> = st.cloners()?.into_iter().map(KindName::as_str).collect();
            writeln!(out, "{}", c.join(" "))?;
        }
        Cmd::Create {
            stack,
            asked,
            req,
            peer_stack,
        } => {
            let st = open(&stack)?;
            let made = match &peer_stack {
                Some(p) => {
                    let peer = Stack::open(p.clone())?;
                    st.create_placed(&req, None, Some(&peer))?
                }
                None => st.create_interface(&req)?,
            };
            // tap/macvtap hand back their fds; the interface is persistent, so drop them.
            drop(made.fds);
            if made.iface.name != asked.as_str() {
                writeln!(out, "{}", made.iface.name)?;
            }
        }
        Cmd::Destroy { stack, names } => {
            let st = open(&stack)?;
            if names.len() == 1 {
                st.destroy(&names[0])?;
            } else {
                st.destroy_many(&names)?;
            }
        }
        Cmd::Set {
            stack,
            name,
            change,
            addrs,
            del_addrs,
            del_ports,
            add_ports,
        } => {
            let st = open(&stack)?;
            if !change.is_empty() {
                st.set(&name, &change)?;
            }
            let now = change.name.map(|n| n.to_string()).unwrap_or(name);
            for a in del_addrs {
                st.del_address(&now, a)?;
            }
            for a in addrs {
                st.add_address(&now, a)?;
            }
            for p in del_ports {
                st.del_port(&now, p.as_str())?;
            }
            for p in add_ports {
                st.add_port(&now, p.as_str())?;
            }
        }
        Cmd::Vnet {
            stack,
            name,
            target,
            opts,
        } => {
            let from = open(&stack)?;
            let to = Stack::open(target)?;
            write!(out, "{}", receipt(&vmove::vmove(&from, &name, &to, &opts)?))?;
        }
        Cmd::Reclaim { stack, name, opts } => {
            let st = Stack::open(stack)?;
            write!(out, "{}", receipt(&vmove::reclaim(&st, &name, &opts)?))?;
        }
        Cmd::StackCreate(name) => {
            Stack::create(&name)?;
        }
        Cmd::StackList => {
            for s in Stack::list()? {
                writeln!(out, "{} {}", s.name, s.id)?;
            }
        }
        Cmd::StackRemove { name, force } => {
            let st = Stack::open(StackSel::parse(&name))?;
            let r = match st.remove_with(RemoveOptions { force }) {
                Ok(r) => r,
                Err(ifclone::Error::NotReturned(n)) => {
                    // The error is what matters: a failed write does not replace it.
                    for (i, home) in &n.returned {
                        let _ = writeln!(out, "{i}: returned to {home}");
                    }
                    return Err(ifclone::Error::NotReturned(n)
                        .with_detail(
                            "nothing was destroyed; fix the cause and remove again, or remove --force",
                        )
                        .into());
                }
                Err(e) => return Err(e.into()),
            };
            let mut written = Ok(());
            for (n, home) in &r.returned {
                written = written.and_then(|()| writeln!(out, "{n}: returned to {home}"));
            }
            for n in &r.destroyed {
                written =
                    written.and_then(|()| writeln!(out, "{n}: destroyed (it stood on a loan)"));
            }
            for (n, home) in &r.gone {
                written = written.and_then(|()| {
                    writeln!(
                        out,
                        "{n}: no longer in the stack (its loan from {home} was dropped)"
                    )
                });
            }
            // A lost loan is reported whether or not stdout could be written.
            if !r.lost.is_empty() {
                let mut err = std::io::stderr();
                for (n, why) in &r.lost {
                    let _ = writeln!(err, "ifc: {n}: LOST (destroyed with the stack): {why}");
                }
                return Err(ifclone::Error::Busy(Box::new(
                    ifclone::Context::new("remove stack", name)
                        .detail(format!("removed by force; {} loan(s) lost", r.lost.len())),
                ))
                .into());
            }
            written?;
        }
        Cmd::Monitor {
            stacks,
            json,
            count,
        } => {
            use ifclone::watch::{WatchOptions, Watcher};
            let all_named = stacks.is_empty();
            let opened: Vec<Stack> = if all_named {
                vec![Stack::host()?]
            } else {
                stacks
                    .into_iter()
                    .map(Stack::open)
                    .collect::<Result<_, _>>()?
            };
            let refs: Vec<&Stack> = opened.iter().collect();
            let mut w = Watcher::with_options(&refs, WatchOptions::new().stacks(all_named))?;
            // Said once subscribed, so a script can wait for it before it changes anything.
            let names: Vec<&str> = opened.iter().map(|s| s.name()).collect();
            let _ = writeln!(std::io::stderr(), "ifc: watching {}", names.join(", "));
            let mut printed = 0u64;
            while count.is_none_or(|c| printed < c) {
                let Some(e) = w.next(None)? else { continue };
                if json {
                    writeln!(out, "{}", crate::monitor::json(&e))?;
                } else {
                    writeln!(out, "{}", crate::monitor::line(&e))?;
                }
                out.flush()?;
                printed += 1;
            }
        }
        Cmd::Recover(sel) => {
            let r = match sel {
                Some(s) => vmove::recover_stack(&Stack::open(s)?)?,
                None => vmove::recover()?,
            };
            for x in &r.recovered {
                writeln!(out, "{x}")?;
            }
            for (stack, n, why) in &r.dropped {
                writeln!(out, "{n}: loan record in stack {stack} dropped: {why}")?;
            }
            if r.has_missing() {
                return Err(ifclone::Error::NotFound(Box::new(
                    ifclone::Context::new("recover", "interfaces")
                        .detail("some interfaces of unfinished moves are in neither stack"),
                ))
                .into());
            }
        }
    }
    Ok(())
}
