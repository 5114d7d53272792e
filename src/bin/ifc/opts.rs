//! argv → [`Cmd`]: the pure parse boundary. Nothing here talks to the kernel.

use ifclone::vmove::{MoveOptions, Strategy};
use ifclone::{Change, CreateRequest, IfAddr, IfName, StackSel};

use crate::create::parse_create;
use crate::keywords::{self, Applies, Params};
use crate::values::{ifname, need_prefix};

/// A parsed command line.
#[derive(Debug, PartialEq)]
pub enum Cmd {
    Help,
    List {
        stack: Option<StackSel>,
        names_only: bool,
        filter: Filter,
    },
    Show {
        stack: Option<StackSel>,
        name: String,
    },
    Cloners {
        stack: Option<StackSel>,
    },
    Create {
        stack: Option<StackSel>,
        /// The word the user gave (printed back only when the created name differs).
        asked: String,
        req: CreateRequest,
        /// epair `peervnet`: the b end goes straight into this stack.
        peer_stack: Option<StackSel>,
    },
    Destroy {
        stack: Option<StackSel>,
        names: Vec<String>,
    },
    Set {
        stack: Option<StackSel>,
        name: String,
        change: Change,
        addrs: Vec<IfAddr>,
        /// Addresses followed by `delete` / `-alias`: removed before any is added.
        del_addrs: Vec<IfAddr>,
        /// Ports this bridge/lagg loses, then gains (after the other changes).
        del_ports: Vec<IfName>,
        add_ports: Vec<IfName>,
    },
    Vnet {
        stack: Option<StackSel>,
        name: String,
        target: StackSel,
        opts: MoveOptions,
    },
    Reclaim {
        stack: StackSel,
        name: String,
        opts: MoveOptions,
    },
    StackCreate(String),
    StackList,
    StackRemove {
        name: String,
        force: bool,
    },
    /// Finish or undo the moves of crashed processes (all, or those touching one stack).
    Recover(Option<StackSel>),
    /// One line per event of the stacks (none given: the host's, and named stacks coming and
    /// going), until `count` events were printed (`None`: for ever).
    Monitor {
        stacks: Vec<StackSel>,
        json: bool,
        count: Option<u64>,
    },
}

/// `-u` / `-d` filters of a listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Filter {
    #[default]
    All,
    Up,
    Down,
}

/// A usage error: printed as `ifc: MESSAGE` and a hint to `ifc -h`, exit status 2.
#[derive(Debug, PartialEq)]
pub struct Usage(pub String);

pub fn usage<T>(msg: impl Into<String>) -> Result<T, Usage> {
    Err(Usage(msg.into()))
}

/// Takes the value after a keyword, or fails with "missing value after KEY".
pub fn value<'a>(it: &mut std::slice::Iter<'a, String>, key: &str) -> Result<&'a str, Usage> {
    match it.next() {
        Some(v) => Ok(v.as_str()),
        None => usage(format!("missing value after '{key}'")),
    }
}

pub fn strategy(s: &str) -> Result<Strategy, Usage> {
    match s {
        "native" => Ok(Strategy::Native),
        "recreate" => Ok(Strategy::Recreate),
        _ => usage(format!("bad strategy '{s}': expected native or recreate")),
    }
}

/// Parses the process's argv (without the program name): every argument must be UTF-8, as
/// every word ifc knows is; one that is not is a usage error naming its position.
pub fn parse_os(argv: &[std::ffi::OsString]) -> Result<Cmd, Usage> {
    let mut words = Vec::with_capacity(argv.len());
    for (k, a) in argv.iter().enumerate() {
        match a.to_str() {
            Some(w) => words.push(w),
            None => {
                return usage(format!(
                    "argument {} is not valid UTF-8: {:?}",
                    k + 1,
                    a.to_string_lossy()
                ))
            }
        }
    }
    parse(&words)
}

/// Parses argv (without the program name).
pub fn parse<S: AsRef<str>>(argv: &[S]) -> Result<Cmd, Usage> {
    let args: Vec<String> = argv.iter().map(|s| s.as_ref().to_string()).collect();
    let mut stack: Option<StackSel> = None;
    let (mut all, mut names_only, mut cloners, mut help) = (false, false, false, false);
    let mut filter = Filter::All;
    let mut i = 0;
    // Options come before the first word; `-vnet`, `-description` come after the interface.
    while i < args.len() && args[i].starts_with('-') && args[i].len() > 1 {
        let a = &args[i];
        i += 1;
        if a == "--help" {
            help = true;
            continue;
        }
        if a == "--" {
            break;
        }
        let letters: Vec<char> = a[1..].chars().collect();
        for (k, c) in letters.iter().enumerate() {
            match c {
                'a' => all = true,
                'l' => names_only = true,
                'C' => cloners = true,
                'h' => help = true,
                'u' => filter = Filter::Up,
                'd' => filter = Filter::Down,
                'j' => {
                    let rest: String = letters[k + 1..].iter().collect();
                    let v = if !rest.is_empty() {
                        rest
                    } else if i < args.len() {
                        i += 1;
                        args[i - 1].clone()
                    } else {
                        return usage("missing value after '-j'");
                    };
                    stack = Some(StackSel::parse(&v));
                    break;
                }
                _ => return usage(format!("unknown option '-{c}'")),
            }
        }
    }
    if help {
        return Ok(Cmd::Help);
    }
    let words = &args[i..];
    if cloners {
        if !words.is_empty() || all || names_only {
            return usage("-C takes no other arguments");
        }
        return Ok(Cmd::Cloners { stack });
    }
    if words.is_empty() {
        return Ok(Cmd::List {
            stack,
            names_only,
            filter,
        });
    }
    if all || names_only || filter != Filter::All {
        return usage("-a, -l, -u and -d list interfaces; they take no interface");
    }
    match words[0].as_str() {
        "stack" => {
            if stack.is_some() {
                return usage("-j does not apply to 'stack'");
            }
            return parse_stack(&words[1..]);
        }
        "monitor" => return parse_monitor(stack, &words[1..]),
        "recover" => {
            return match &words[1..] {
                [] => Ok(Cmd::Recover(stack)),
                _ => usage("recover takes no arguments (use -j STACK for one stack)"),
            };
        }
        "destroy" => {
            if words.len() < 2 {
                return usage("destroy needs at least one interface");
            }
            for w in &words[1..] {
                ifname(w)?;
            }
            return Ok(Cmd::Destroy {
                stack,
                names: words[1..].to_vec(),
            });
        }
        _ => {}
    }
    let name = words[0].clone();
    let rest = &words[1..];
    if rest.is_empty() {
        return Ok(Cmd::Show { stack, name });
    }
    match rest[0].as_str() {
        "create" => parse_create(stack, &name, &rest[1..]),
        "destroy" if rest.len() == 1 => {
            ifname(&name)?;
            Ok(Cmd::Destroy {
                stack,
                names: vec![name],
            })
        }
        "destroy" => usage("'destroy' takes nothing after it"),
        _ if rest.iter().any(|w| w == "vnet" || w == "-vnet") => parse_move(stack, name, rest),
        _ => parse_set(stack, name, rest),
    }
}

/// `monitor [--json] [--count N] [STACK …]` (or `-j STACK monitor …` for one stack).
pub fn parse_monitor(stack: Option<StackSel>, words: &[String]) -> Result<Cmd, Usage> {
    let (mut json, mut count, mut stacks) = (false, None, Vec::new());
    stacks.extend(stack);
    let mut it = words.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "--json" => json = true,
            "--count" => {
                let v = it
                    .next()
                    .ok_or(Usage("missing value after '--count'".into()))?;
                count =
                    Some(v.parse::<u64>().ok().filter(|&c| c > 0).ok_or_else(|| {
                        Usage(format!("--count: '{v}' is not a positive number"))
                    })?);
            }
            o if o.starts_with('-') => return usage(format!("monitor: unknown option '{o}'")),
            st => stacks.push(StackSel::parse(st)),
        }
    }
    Ok(Cmd::Monitor {
        stacks,
        json,
        count,
    })
}

pub fn parse_stack(words: &[String]) -> Result<Cmd, Usage> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["create", n] => Ok(Cmd::StackCreate(n.to_string())),
        ["list"] => Ok(Cmd::StackList),
        ["remove" | "destroy", "-f" | "--force", n]
        | ["remove" | "destroy", n, "-f" | "--force"] => Ok(Cmd::StackRemove {
            name: n.to_string(),
            force: true,
        }),
        ["remove" | "destroy", n] if !n.starts_with('-') => Ok(Cmd::StackRemove {
            name: n.to_string(),
            force: false,
        }),
        [] => usage("stack: expected create NAME, list or remove [--force] NAME"),
        _ => usage(format!(
            "stack: expected create NAME, list or remove [--force] NAME, got '{}'",
            w.join(" ")
        )),
    }
}

pub fn parse_set(stack: Option<StackSel>, name: String, words: &[String]) -> Result<Cmd, Usage> {
    let mut p = Params::default();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let key = w.as_str();
        p.after_addr = std::mem::take(&mut p.just_added);
        if key == "create" || key == "destroy" {
            return usage(format!("'{key}' must come right after the interface name"));
        }
        let row = match keywords::lookup(key) {
            Some(row) if matches!(row.applies, Applies::Any | Applies::Set) => row,
            Some(_) => return usage(format!("'{key}' is a create parameter: IF create … {key}")),
            None => return usage(format!("unknown word '{key}'")),
        };
        let v = if row.values == 0 {
            ""
        } else {
            value(&mut it, key)?
        };
        (row.set)(&mut p, key, v)?;
    }
    need_prefix(&p.pending)?;
    Ok(Cmd::Set {
        stack,
        name,
        change: p.change,
        addrs: p.addrs,
        del_addrs: p.del_addrs,
        del_ports: p.del_ports,
        add_ports: p.add_ports,
    })
}

pub fn parse_move(stack: Option<StackSel>, name: String, words: &[String]) -> Result<Cmd, Usage> {
    let mut opts = MoveOptions::default();
    let mut target: Option<StackSel> = None;
    let mut reclaim: Option<Option<StackSel>> = None;
    let mut i = 0;
    let take = |i: &mut usize, key: &str| -> Result<String, Usage> {
        *i += 1;
        match words.get(*i - 1) {
            Some(v) => Ok(v.clone()),
            None => usage(format!("missing value after '{key}'")),
        }
    };
    while i < words.len() {
        let key = words[i].as_str();
        i += 1;
        match key {
            "vnet" => {
                if target.is_some() || reclaim.is_some() {
                    return usage("give one 'vnet' or '-vnet'");
                }
                target = Some(StackSel::parse(&take(&mut i, key)?));
            }
            "-vnet" => {
                if target.is_some() || reclaim.is_some() {
                    return usage("give one 'vnet' or '-vnet'");
                }
                // The optional argument is the stack the interface is in (FreeBSD: the jail).
                let arg = match words.get(i).map(String::as_str) {
                    Some("name" | "strategy" | "addresses") | None => None,
                    Some(s) => {
                        i += 1;
                        Some(StackSel::parse(s))
                    }
                };
                reclaim = Some(arg);
            }
            "name" => opts.new_name = Some(ifname(&take(&mut i, key)?)?),
            "strategy" => opts.strategy = Some(strategy(&take(&mut i, key)?)?),
            "addresses" => opts.carry_addresses = true,
            _ => return usage(format!("'{key}' cannot be combined with vnet/-vnet")),
        }
    }
    ifname(&name)?;
    if let Some(target) = target {
        return Ok(Cmd::Vnet {
            stack,
            name,
            target,
            opts,
        });
    }
    let arg = reclaim.flatten();
    let stack = match (stack, arg) {
        (Some(j), Some(a)) if j != a => {
            return usage(format!("-vnet {a} disagrees with -j {j}"));
        }
        (Some(s), _) | (None, Some(s)) => s,
        (None, None) => {
            return usage("-vnet needs the stack the interface is in: -j STACK or -vnet STACK")
        }
    };
    Ok(Cmd::Reclaim { stack, name, opts })
}
