//! `ifc monitor`: one line per watcher event, as text (like `ip monitor link` / `route
//! monitor`) or as JSON lines. Pure: the caller runs the watcher.

use ifclone::watch::Event;
use ifclone::{IfAddr, Interface};
use serde_json::{json, Value};

fn family(a: &IfAddr) -> &'static str {
    if a.addr.is_ipv4() {
        "inet"
    } else {
        "inet6"
    }
}

fn kind_of(i: &Interface) -> &'static str {
    i.kind.kind().map_or("unknown", |k| k.as_str())
}

/// `7: veth0 epair mtu 1500 up`: an interface's state in one line.
fn state(i: &Interface) -> String {
    let mut s = format!("{}: {} {} mtu {}", i.index, i.name, kind_of(i), i.mtu);
    s.push_str(if i.up { " up" } else { " down" });
    if let Some(m) = i.mac {
        s.push_str(&format!(" ether {m}"));
    }
    if let Some(m) = i.master {
        s.push_str(&format!(" master #{m}"));
    }
    s
}

/// One event as one text line (a resync as its header line followed by one line per change,
/// each marked `resync`).
pub fn line(e: &Event) -> String {
    let at = e.stack();
    match e {
        Event::Arrived(i) => format!("{at}: arrived {}", state(i)),
        Event::Departed { iface, moved_to } => {
            let mut s = format!("{at}: departed {}: {}", iface.index, iface.name);
            if let Some(d) = moved_to {
                s.push_str(" moved to ");
                s.push_str(d.stack.as_deref().unwrap_or("another stack"));
                if let Some(x) = d.index {
                    s.push_str(&format!(" (index {x})"));
                }
            }
            s
        }
        Event::Moved { from, to, .. } => format!("{}: moved {from} -> {to}", to.stack),
        Event::Renamed { old, iface } => {
            format!("{at}: renamed {}: {old} -> {}", iface.index, iface.name)
        }
        Event::Changed { what, iface } => format!("{at}: changed [{what}] {}", state(iface)),
        Event::AddressAdded {
            index, name, addr, ..
        }
        | Event::AddressRemoved {
            index, name, addr, ..
        } => {
            let verb = if matches!(e, Event::AddressAdded { .. }) {
                "address added"
            } else {
                "address removed"
            };
            let name = name.map_or_else(|| "?".to_string(), |n| n.to_string());
            format!("{at}: {verb} {index}: {name} {} {addr}", family(addr))
        }
        Event::Resync { diff, .. } => {
            let mut s = format!(
                "{at}: resync: the kernel dropped notifications; {} change(s) since",
                diff.len()
            );
            for d in diff {
                s.push_str("\n  resync ");
                s.push_str(&line(d));
            }
            s
        }
        Event::StackCreated { name } => format!("{name}: stack created"),
        Event::StackRemoved { name } => format!("{name}: stack removed"),
        _ => format!("{at}: {}", e.kind()),
    }
}

fn iface_json(i: &Interface) -> Value {
    json!({
        "index": i.index,
        "name": i.name.as_str(),
        "kind": kind_of(i),
        "mtu": i.mtu,
        "up": i.up,
        "ether": i.mac.map(|m| m.to_string()),
        "master": i.master,
        "description": i.description.as_deref(),
    })
}

/// One event as one JSON object (`ifc monitor --json` prints one per line).
pub fn json(e: &Event) -> Value {
    let mut v = match e {
        Event::Arrived(i) => json!({ "iface": iface_json(i) }),
        Event::Departed { iface, moved_to } => json!({
            "iface": iface_json(iface),
            "moved_to": moved_to.as_ref().map(|d| json!({
                "stack": d.stack.as_deref(),
                "index": d.index,
            })),
        }),
        Event::Moved { from, to, iface } => json!({
            "from": { "stack": &*from.stack, "index": from.index, "name": from.name.as_str() },
            "to": { "stack": &*to.stack, "index": to.index, "name": to.name.as_str() },
            "iface": iface_json(iface),
        }),
        Event::Renamed { old, iface } => json!({ "old": old.as_str(), "iface": iface_json(iface) }),
        Event::Changed { what, iface } => json!({
            "what": what.to_string().split(',').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
            "iface": iface_json(iface),
        }),
        Event::AddressAdded {
            index, name, addr, ..
        }
        | Event::AddressRemoved {
            index, name, addr, ..
        } => json!({
            "index": index,
            "name": name.map(|n| n.to_string()),
            "family": family(addr),
            "address": addr.to_string(),
        }),
        Event::Resync { diff, .. } => json!({ "diff": diff.iter().map(json).collect::<Vec<_>>() }),
        _ => json!({}),
    };
    v["event"] = json!(e.kind());
    v["stack"] = json!(e.stack());
    v
}
