//! The text of `ifc -h`.

use ifclone::KindName;

use crate::keywords::{kind_groups, kind_rows, Applies, Keyword, GENERIC_ROWS};

/// The synopsis: one line per form of the command.
const SYNOPSIS: &str = "\
usage: ifc [-j STACK] [-a] [-u|-d]              list interfaces (ifconfig style)
       ifc [-j STACK] -l [-u|-d]                list interface names on one line
       ifc [-j STACK] -C                        list the cloners of the stack
       ifc [-j STACK] IF                        show one interface
       ifc [-j STACK] IF create [type KIND] [params…]
       ifc [-j STACK] IF destroy
       ifc [-j STACK] destroy IF [IF …]
       ifc [-j STACK] IF [mtu N] [ether MAC] [description TEXT | -description]
                         [name NEW] [group N] [up | down] [inet ADDR/PLEN | inet ADDR netmask M]
                         [inet6 ADDR/PLEN | inet6 ADDR prefixlen N] [alias | -alias | delete]
       ifc [-j STACK] IF vnet TARGET [name NEW] [strategy native|recreate] [addresses]
       ifc [-j STACK] IF -vnet [STACK] [strategy native|recreate] [addresses]
       ifc stack create NAME | ifc stack list | ifc stack remove [--force] NAME
       ifc [-j STACK] recover                   finish or undo the moves of crashed processes
       ifc monitor [--json] [--count N] [STACK …]
                                                one line per event of the stacks (none given:
                                                the host's, and named stacks coming and going)
       ifc -h | --help                          this text
";

/// What the words mean, where state lives, and the exit status.
const NOTES: &str = "\
STACK: a stack name, host, pid:N, jid:N or a path to a netns file; without -j, host.
host: the stack the ifc process itself runs in: on Linux the netns of the process (the initial
  netns, unless ifc was started inside another one), on FreeBSD the host outside any jail (or
  the jail ifc runs in). A stack NAME is a netns under /run/netns on Linux, a jail on FreeBSD.
IF create: IF is a cloner name with optional unit (epair, epair3, vlan, vlan5, tap, tun,
  bridge, lo, vxlan, lagg), NAME.VID for a vlan on NAME, or any name with `type KIND`
  (epair|veth, vlan, tap, tun, bridge, macvlan, macvtap, vxlan, lo, lagg, dummy).
";

const STATE_AND_EXIT: &str = "\
State: what vnet lent to another stack (the ledger of loans) and the moves in progress are
  recorded under /run/ifclone on Linux (what an earlier boot left there is moved aside to
  earlier-boot-ID/, never read) and /var/run/ifclone on FreeBSD; no option or environment
  variable changes that. `recover` finishes or undoes what a crashed ifc left there.

Exit status: 0 when everything asked was done; 1 when something was not (an error, a loan
that could not go home, a loan lost by `remove --force`, an interface recover could not
find); 2 for a usage error.
";

/// The full text of `ifc -h`.
pub fn usage() -> String {
    [SYNOPSIS, NOTES, &params(), STATE_AND_EXIT].join("\n")
}

/// The keyword table ([`keywords`]) as text: the create parameters of each kind (kinds with the
/// same rows share a label), those of every kind, and the words of an existing interface.
fn params() -> String {
    let mut s = String::from("create params (IF create …), by kind:\n");
    let groups: Vec<&(KindName, Vec<Keyword>)> = kind_groups()
        .iter()
        .filter(|(_, r)| !r.is_empty())
        .collect();
    let mut i = 0;
    while i < groups.len() {
        let (kind, rows) = groups[i];
        let mut label = kind.to_string();
        i += 1;
        while let Some((k, _)) = groups.get(i).filter(|(_, r)| same(r, rows)) {
            label = format!("{label}, {k}");
            i += 1;
        }
        section(&mut s, &label, rows.iter());
    }
    let bare: Vec<&str> = KindName::ALL
        .iter()
        .filter(|k| kind_rows(**k).is_empty())
        .map(|k| k.as_str())
        .collect();
    s.push_str(&format!(
        "  {}: no parameters of their own\n",
        bare.join(", ")
    ));
    let generic = |a: Applies| GENERIC_ROWS.iter().filter(move |r| r.applies == a);
    section(
        &mut s,
        "any kind",
        generic(Applies::Create).chain(generic(Applies::Any)),
    );
    s.push_str("set params (IF …), applied in the order name, mtu, ether, description, group,\n");
    s.push_str("  up/down, then the addresses, then the ports (those to delete first):\n");
    section(
        &mut s,
        "",
        generic(Applies::Any).chain(generic(Applies::Set)),
    );
    s
}

fn same(a: &[Keyword], b: &[Keyword]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.names == y.names)
}

/// `  label:   keyword ARG        help`, one row a line, the label on the first.
fn section<'a>(s: &mut String, label: &str, rows: impl Iterator<Item = &'a Keyword>) {
    const LABEL: usize = 11;
    const SYN: usize = 24;
    let mut label = match label {
        "" => String::new(),
        l => format!("{l}:"),
    };
    if label.len() >= LABEL {
        s.push_str(&format!("  {label}\n"));
        label.clear();
    }
    for row in rows {
        let syn = row.synopsis();
        let line = format!("  {label:LABEL$}{syn:SYN$}  {}", row.help);
        s.push_str(line.trim_end());
        s.push('\n');
        label.clear();
    }
}
