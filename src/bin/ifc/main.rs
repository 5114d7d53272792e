//! `ifc`: an ifconfig-like command line over ifclone, with FreeBSD `ifconfig` syntax on both
//! Linux and FreeBSD.
//!
//! The argument parsing ([`opts`]) is a pure function from argv to a [`opts::Cmd`]; it is
//! unit-tested (`cargo test --bin ifc`). Running a `Cmd` ([`run`]) is the only part that talks to
//! the kernel.

use std::process::ExitCode;

mod create;
mod opts;
mod render;
mod run;
#[cfg(test)]
mod tests;

use opts::{parse, Usage};
use run::run;

pub const USAGE: &str = "\
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
       ifc [-j STACK] recover                  finish or undo the moves of crashed processes

Exit status: 0 when everything asked was done; 1 when something was not (an error, a loan
that could not go home, a loan lost by `remove --force`, an interface recover could not
find); 2 for a usage error.

STACK: a stack name, host, pid:N, jid:N or a path to a netns file.
IF create: IF is a cloner name with optional unit (epair, epair3, vlan, vlan5, tap, tun,
  bridge, lo, vxlan, lagg), NAME.VID for a vlan on NAME, or any name with `type KIND`
  (epair|veth, vlan, tap, tun, bridge, macvlan, macvtap, vxlan, lo, lagg, dummy).
create params:
  epair:   peer NAME, peervnet STACK (the b end goes straight into STACK)
  vlan:    vlan ID vlandev PARENT [vlanproto 802.1q|802.1ad]
  tap/tun: queues N
  macvlan/macvtap: macvlandev IF [macvlanmode private|vepa|bridge|passthru|source]
  vxlan:   vxlanid N [vxlanlocal IP] [vxlanremote IP | vxlangroup IP] [vxlandev IF]
           [vxlanport N]
  any:     mtu N, ether|lladdr MAC, description|descr TEXT, group N, up
";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match parse(&argv) {
        Err(Usage(msg)) => {
            eprintln!("ifc: {msg}");
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
        Ok(cmd) => match run(cmd) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ifc: {e}");
                ExitCode::from(1)
            }
        },
    }
}
