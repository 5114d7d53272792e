//! Executing a [`Cmd`]: the only part of `ifc` that talks to the kernel.

use ifclone::vmove::{self, RemoveOptions};
use ifclone::{Interface, KindName, LinkStack, Stack, StackSel};

use crate::opts::{Cmd, Filter};
use crate::render::{print_receipt, render, Resolved};

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

pub fn run(cmd: Cmd) -> ifclone::Result<()> {
    match cmd {
        Cmd::Help => print!("{}", crate::help::usage()),
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
                println!("{}", names.join(" "));
            } else {
                let mut out = String::new();
                for i in shown {
                    let addrs = st.addresses(i.name.as_str())?;
                    let r = resolve(&st, i);
                    out.push_str(&render(i, &addrs, &all, r.as_ref()));
                }
                print!("{out}");
            }
        }
        Cmd::Show { stack, name } => {
            let st = open(&stack)?;
            let i = st.interface(&name)?;
            let addrs = st.addresses(&name)?;
            // Resolving a same-stack peer by index needs the listing; only do it when needed.
            let all = match i.link() {
                Some(l) if l.name.is_none() && l.stack == LinkStack::Same => st.interfaces()?,
                _ => Vec::new(),
            };
            let r = resolve(&st, &i);
            print!("{}", render(&i, &addrs, &all, r.as_ref()));
        }
        Cmd::Cloners { stack } => {
            let st = open(&stack)?;
            let c: Vec<&str> = st.cloners()?.into_iter().map(KindName::as_str).collect();
            println!("{}", c.join(" "));
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
                println!("{}", made.iface.name);
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
        }
        Cmd::Vnet {
            stack,
            name,
            target,
            opts,
        } => {
            let from = open(&stack)?;
            let to = Stack::open(target)?;
            print_receipt(&vmove::vmove(&from, &name, &to, &opts)?);
        }
        Cmd::Reclaim { stack, name, opts } => {
            let st = Stack::open(stack)?;
            print_receipt(&vmove::reclaim(&st, &name, &opts)?);
        }
        Cmd::StackCreate(name) => {
            Stack::create(&name)?;
        }
        Cmd::StackList => {
            for s in Stack::list()? {
                println!("{} {}", s.name, s.id);
            }
        }
        Cmd::StackRemove { name, force } => {
            let st = Stack::open(StackSel::parse(&name))?;
            let r = match st.remove_with(RemoveOptions { force }) {
                Ok(r) => r,
                Err(ifclone::Error::NotReturned(n)) => {
                    for (i, home) in &n.returned {
                        println!("{i}: returned to {home}");
                    }
                    return Err(ifclone::Error::NotReturned(n).with_detail(
                        "nothing was destroyed; fix the cause and remove again, or remove --force",
                    ));
                }
                Err(e) => return Err(e),
            };
            for (n, home) in &r.returned {
                println!("{n}: returned to {home}");
            }
            for n in &r.destroyed {
                println!("{n}: destroyed (it stood on a loan)");
            }
            for (n, home) in &r.gone {
                println!("{n}: no longer in the stack (its loan from {home} was dropped)");
            }
            if !r.lost.is_empty() {
                for (n, why) in &r.lost {
                    eprintln!("ifc: {n}: LOST (destroyed with the stack): {why}");
                }
                return Err(ifclone::Error::Busy(Box::new(
                    ifclone::Context::new("remove stack", name)
                        .detail(format!("removed by force; {} loan(s) lost", r.lost.len())),
                )));
            }
        }
        Cmd::Recover(sel) => {
            let r = match sel {
                Some(s) => vmove::recover_stack(&Stack::open(s)?)?,
                None => vmove::recover()?,
            };
            for x in &r.recovered {
                println!("{x}");
            }
            for (stack, n, why) in &r.dropped {
                println!("{n}: loan record in stack {stack} dropped: {why}");
            }
            if r.has_missing() {
                return Err(ifclone::Error::NotFound(Box::new(
                    ifclone::Context::new("recover", "interfaces")
                        .detail("some interfaces of unfinished moves are in neither stack"),
                )));
            }
        }
    }
    Ok(())
}
