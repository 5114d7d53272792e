//! The text of `ifc -h`.

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
       ifc [-j STACK] recover                  finish or undo the moves of crashed processes
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

const CREATE_PARAMS: &str = "\
create params:
  epair:   peer NAME, peervnet STACK (the b end goes straight into STACK)
  vlan:    vlan ID vlandev PARENT [vlanproto 802.1q|802.1ad]
  tap/tun: queues N
  macvlan/macvtap: macvlandev IF [macvlanmode private|vepa|bridge|passthru|source]
  vxlan:   vxlanid N [vxlanlocal IP] [vxlanremote IP | vxlangroup IP] [vxlandev IF]
           [vxlanport N]
  any:     mtu N, ether|lladdr MAC, description|descr TEXT, group N, up
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
    [SYNOPSIS, NOTES, CREATE_PARAMS, STATE_AND_EXIT].join("\n")
}
