//! FreeBSD ABI constants and mirror structs (amd64 layouts from sys/sys/sockio.h, sys/net/if.h,
//! sys/net/if_vlan_var.h, sys/net/if_clone.h, sys/net/if_bridgevar.h, sys/net/if_lagg.h). Pure:
//! no FreeBSD-only `libc` items, so this file also compiles (and is tested) on Linux.
//!
//! Every SIOC* value is computed with the `_IOC` arithmetic of sys/sys/ioccom.h and checked at
//! compile time against the table in `docs/freebsd-ifnet.md` §1.3.

use std::mem::{align_of, size_of};

/// `ioctl(2)` request type (`unsigned long`).
pub type IoctlReq = u64;

pub const IOCPARM_MASK: u64 = 0x1fff;
pub const IOC_VOID: u64 = 0x2000_0000;
pub const IOC_OUT: u64 = 0x4000_0000;
pub const IOC_IN: u64 = 0x8000_0000;
pub const IOC_INOUT: u64 = IOC_IN | IOC_OUT;

/// `_IOC(dir, group, num, len)`.
pub const fn ioc(dir: u64, group: u8, num: u8, len: usize) -> IoctlReq {
    dir | (((len as u64) & IOCPARM_MASK) << 16) | ((group as u64) << 8) | num as u64
}
/// `_IOW(group, num, T)`.
pub const fn iow(group: u8, num: u8, len: usize) -> IoctlReq {
    ioc(IOC_IN, group, num, len)
}
/// `_IOWR(group, num, T)`.
pub const fn iowr(group: u8, num: u8, len: usize) -> IoctlReq {
    ioc(IOC_INOUT, group, num, len)
}

pub const IFNAMSIZ: usize = 16;

/// Smallest MTU the kernel takes for any interface (sys/net/if.h `IF_MINMTU`; `ifhwioctl`
/// answers SIOCSIFMTU below it with EINVAL).
pub const IF_MINMTU: u32 = 72;
/// Largest MTU the kernel takes for any interface (sys/net/if.h `IF_MAXMTU`).
pub const IF_MAXMTU: u32 = 65535;

/// `struct ifreq`: `ifr_name[16]` then a 16-byte union, 8-aligned. The union is kept as raw
/// bytes; the setters in [`req`](crate::req) write the members at their offsets. Pointer
/// members (`ifr_data`, `ifr_buffer.buffer`) are stored as addresses, so building a request is
/// safe code and its byte image can be snapshot-tested.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfReq {
    pub name: [u8; IFNAMSIZ],
    pub ifru: [u8; 16],
}

/// Offsets inside `struct ifreq` (all union members start at 16).
pub mod ifr_off {
    pub const NAME: usize = 0;
    pub const FLAGS: usize = 16;
    pub const FLAGSHIGH: usize = 18;
    pub const JID: usize = 16;
    pub const MTU: usize = 16;
    pub const INDEX: usize = 16;
    pub const DATA: usize = 16;
    pub const BUFFER_LENGTH: usize = 16;
    pub const BUFFER_BUFFER: usize = 24;
    pub const ADDR_LEN: usize = 16;
    pub const ADDR_FAMILY: usize = 17;
    pub const ADDR_DATA: usize = 18;
}

/// `struct vlanreq` (sys/net/if_vlan_var.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VlanReq {
    pub vlr_parent: [u8; IFNAMSIZ],
    pub vlr_tag: u16,
    pub vlr_proto: u16,
}

/// `struct if_clonereq` (sys/net/if.h): total, count, buffer pointer.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfCloneReq {
    pub ifcr_total: i32,
    pub ifcr_count: i32,
    /// `char *ifcr_buffer`, as an address.
    pub ifcr_buffer: usize,
}

/// `struct ifgroupreq` (sys/net/if.h): name, `u_int ifgr_len`, then a union of a group name and
/// a `struct ifg_req *` (stored as an address).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfGroupReq {
    pub ifgr_name: [u8; IFNAMSIZ],
    pub ifgr_len: u32,
    pub _pad: u32,
    /// `ifgr_groups` pointer (as an address) in the first 8 bytes, or `ifgr_group[16]`.
    pub ifgr_ifgru: [usize; 16 / size_of::<usize>()],
}

/// One `struct ifg_req` as returned by SIOCGIFGROUP: a 16-byte group name.
pub const IFG_REQ_SIZE: usize = 16;

/// `struct ifconf` (sys/net/if.h): `int ifc_len`, then a `caddr_t` buffer.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfConf {
    pub ifc_len: i32,
    pub ifc_buf: usize,
}

// ---- bridge(4) and lagg(4) ----
//
// Layouts from FreeBSD's sys/net/if.h (`struct ifdrv`), sys/net/if_bridgevar.h and
// sys/net/if_lagg.h. The stored freebsd-src snapshots read for them carry `$FreeBSD$` markers
// (the 12.x/13.x-era files: SPDX headers, CK_LIST bridge member lists, `if_bridge_input` on the
// ifnet); none of these structs changed between stable/12 and stable/14, so they are 13.2's and
// 14.x's layouts. The one later change known is 15.0's bridge VLAN filtering, which took 4 bytes
// of `ifbreq`'s trailing pad for `ifbr_pvid` and `ifbr_vlanproto` (u16 each) and kept the size
// at 80; the fields ifclone reads (name, flags) did not move. See docs/freebsd-ifnet.md §1.5.

/// `struct ifdrv` (sys/net/if.h): the argument of SIOCSDRVSPEC / SIOCGDRVSPEC, a
/// driver-private command `ifd_cmd` whose argument (`ifd_len` bytes) is at `ifd_data`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfDrv {
    /// The interface whose driver answers (the bridge).
    pub ifd_name: [u8; IFNAMSIZ],
    /// `unsigned long`: pointer-sized on every FreeBSD ABI.
    pub ifd_cmd: usize,
    /// `size_t`: must equal the command's argument size exactly (`bridge_ioctl` answers EINVAL
    /// otherwise: `ifd_len != bc->bc_argsize`).
    pub ifd_len: usize,
    /// `void *ifd_data`, as an address (the sys layer points it at the argument).
    pub ifd_data: usize,
}

/// bridge(4) commands carried by SIOCSDRVSPEC / SIOCGDRVSPEC (`ifd_cmd`; the index into
/// `bridge_control_table` in sys/net/if_bridge.c).
pub mod brdg {
    /// Add a member (`struct ifbreq`; SIOCSDRVSPEC; COPYIN, root).
    pub const BRDGADD: usize = 0;
    /// Delete a member (`struct ifbreq`; SIOCSDRVSPEC; COPYIN, root).
    pub const BRDGDEL: usize = 1;
    /// The member list (`struct ifbifconf`; SIOCGDRVSPEC; COPYIN and COPYOUT).
    pub const BRDGGIFS: usize = 6;
}

/// `ifbr_ifsflags` bit of a span port (sys/net/if_bridgevar.h). BRDGGIFS lists span ports after
/// the members, with this flag; a span port is not a member (`if_bridge` stays NULL).
pub const IFBIF_SPAN: u32 = 0x0008;

/// `struct ifbreq` (sys/net/if_bridgevar.h): one bridge member. 80 bytes, align 4.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfBReq {
    pub ifbr_ifsname: [u8; IFNAMSIZ],
    pub ifbr_ifsflags: u32,
    pub ifbr_stpflags: u32,
    pub ifbr_path_cost: u32,
    pub ifbr_portno: u8,
    pub ifbr_priority: u8,
    pub ifbr_proto: u8,
    pub ifbr_role: u8,
    pub ifbr_state: u8,
    /// The compiler's padding before the next `uint32_t`, spelled out (always zero here).
    pub _pad0: [u8; 3],
    pub ifbr_addrcnt: u32,
    pub ifbr_addrmax: u32,
    pub ifbr_addrexceeded: u32,
    /// `uint8_t pad[32]` (15.0 puts `ifbr_pvid`, `ifbr_vlanproto` in its first 4 bytes).
    pub pad: [u8; 32],
}

/// Size of one `struct ifbreq` record in a BRDGGIFS answer.
pub const IFBREQ_SIZE: usize = size_of::<IfBReq>();

/// `struct ifbifconf` (sys/net/if_bridgevar.h): `uint32_t ifbic_len`, then a union of
/// `caddr_t ifbic_buf` / `struct ifbreq *ifbic_req` (stored as an address; the compiler pads
/// the u32 to the pointer's alignment, as C does).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IfBifConf {
    pub ifbic_len: u32,
    pub ifbic_buf: usize,
}

/// `struct lacp_opreq` (sys/net/if_lagg.h), kept as raw bytes: u16 and u8 fields, 31 bytes
/// padded to 32, align 2. ifclone never reads it.
pub const LACP_OPREQ_SIZE: usize = 32;

/// `lagg_proto` (sys/net/if_lagg.h): the protocols ifclone models (`LAGG_PROTO_NONE` is 0,
/// `LAGG_PROTO_BROADCAST` 5).
pub const LAGG_PROTO_ROUNDROBIN: u32 = 1;
pub const LAGG_PROTO_FAILOVER: u32 = 2;
pub const LAGG_PROTO_LOADBALANCE: u32 = 3;
pub const LAGG_PROTO_LACP: u32 = 4;

/// `rp_flags` of a lagg port (sys/net/if_lagg.h): the primary, and (failover) the port in use.
pub const LAGG_PORT_MASTER: u32 = 0x1;
pub const LAGG_PORT_ACTIVE: u32 = 0x4;

/// `LAGG_MAX_PORTS` (sys/net/if_lagg.h): `lagg_port_create` refuses a port past it (ENOSPC),
/// so a SIOCGLAGG buffer of this many records holds every port.
pub const LAGG_MAX_PORTS: usize = 32;

/// `struct lagg_reqport` (sys/net/if_lagg.h): the argument of SIOCSLAGGPORT,
/// SIOCSLAGGDELPORT, SIOCGLAGGPORT and one record of a SIOCGLAGG answer. 72 bytes, align 4.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaggReqPort {
    /// The lagg (ifioctl finds the interface by this first field).
    pub rp_ifname: [u8; IFNAMSIZ],
    /// The port.
    pub rp_portname: [u8; IFNAMSIZ],
    pub rp_prio: u32,
    pub rp_flags: u32,
    /// `union { struct lacp_opreq rpsc_lacp; } rp_psc`.
    pub rp_psc: [u8; LACP_OPREQ_SIZE],
}

/// `struct lagg_reqall` (sys/net/if_lagg.h): the argument of SIOCGLAGG. 80 bytes, align 8.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaggReqAll {
    pub ra_ifname: [u8; IFNAMSIZ],
    /// `u_int ra_proto` (the kernel writes the protocol).
    pub ra_proto: u32,
    /// `size_t ra_size`: in, the buffer's size; out, what the kernel wrote.
    pub ra_size: usize,
    /// `struct lagg_reqport *ra_port`, as an address.
    pub ra_port: usize,
    /// `int ra_ports`: out, the records written.
    pub ra_ports: i32,
    /// `union { struct lacp_opreq rpsc_lacp; } ra_psc` (padded to 8 after it).
    pub ra_psc: [u8; LACP_OPREQ_SIZE],
}

/// `struct if_announcemsghdr` size (rtsock).
pub const IF_ANNOUNCEMSGHDR_SIZE: usize = 24;

/// `struct sockaddr_in` on FreeBSD (with `sin_len`).
pub const SOCKADDR_IN_SIZE: usize = 16;
/// `struct in_aliasreq`: name[16], addr, broadaddr, mask (3 × sockaddr_in), int vhid.
pub const IN_ALIASREQ_SIZE: usize = IFNAMSIZ + 3 * SOCKADDR_IN_SIZE + 4;

/// `struct sockaddr_in6` (with `sin6_len`).
pub const SOCKADDR_IN6_SIZE: usize = 28;
/// `struct in6_ifreq` (netinet6/in6_var.h): name[16] then a union whose largest member is
/// `struct icmp6_ifstat`, 34 × uint64_t = 272 bytes (8-aligned).
pub const IN6_IFREQ_SIZE: usize = IFNAMSIZ + 34 * 8;
/// `struct in6_aliasreq`: name[16], addr, dstaddr, prefixmask (3 × sockaddr_in6 = 84), int
/// flags (100), `struct in6_addrlifetime` (two time_t, two u_int32_t; 8-aligned at 104), int
/// vhid (128), padded to 8.
pub const IN6_ALIASREQ_SIZE: usize = 136;
/// Offsets inside `struct in6_aliasreq`.
pub mod in6_aliasreq_off {
    pub const ADDR: usize = 16;
    pub const DSTADDR: usize = 44;
    pub const PREFIXMASK: usize = 72;
    pub const FLAGS: usize = 100;
    pub const VLTIME: usize = 120;
    pub const PLTIME: usize = 124;
    pub const VHID: usize = 128;
}
/// ND6_INFINITE_LIFETIME, for addresses that never expire.
pub const ND6_INFINITE_LIFETIME: u32 = 0xffff_ffff;

// ---- request values ----

const I: u8 = b'i';
const IFREQ: usize = size_of::<IfReq>();

pub const SIOCSIFFLAGS: IoctlReq = iow(I, 16, IFREQ);
pub const SIOCDIFADDR: IoctlReq = iow(I, 25, IFREQ);
pub const SIOCDIFADDR_IN6: IoctlReq = iow(I, 25, IN6_IFREQ_SIZE);
pub const SIOCGIFFLAGS: IoctlReq = iowr(I, 17, IFREQ);
pub const SIOCGIFINDEX: IoctlReq = iowr(I, 32, IFREQ);
pub const SIOCGIFCONF: IoctlReq = iowr(I, 36, size_of::<IfConf>());
pub const SIOCGIFNETMASK: IoctlReq = iowr(I, 37, IFREQ);
pub const SIOCSIFNAME: IoctlReq = iow(I, 40, IFREQ);
pub const SIOCSIFDESCR: IoctlReq = iow(I, 41, IFREQ);
pub const SIOCGIFDESCR: IoctlReq = iowr(I, 42, IFREQ);
pub const SIOCAIFADDR: IoctlReq = iow(I, 43, IN_ALIASREQ_SIZE);
pub const SIOCAIFADDR_IN6: IoctlReq = iow(I, 27, IN6_ALIASREQ_SIZE);
pub const SIOCGIFNETMASK_IN6: IoctlReq = iowr(I, 37, IN6_IFREQ_SIZE);
pub const SIOCGIFMTU: IoctlReq = iowr(I, 51, IFREQ);
pub const SIOCSIFMTU: IoctlReq = iow(I, 52, IFREQ);
pub const SIOCSETVLAN: IoctlReq = iow(I, 57, IFREQ);
pub const SIOCGETVLAN: IoctlReq = iowr(I, 58, IFREQ);
pub const SIOCSIFLLADDR: IoctlReq = iow(I, 60, IFREQ);
pub const SIOCSIFVNET: IoctlReq = iowr(I, 90, IFREQ);
pub const SIOCSIFRVNET: IoctlReq = iowr(I, 91, IFREQ);
pub const SIOCIFGCLONERS: IoctlReq = iowr(I, 120, size_of::<IfCloneReq>());
pub const SIOCIFDESTROY: IoctlReq = iow(I, 121, IFREQ);
pub const SIOCIFCREATE: IoctlReq = iowr(I, 122, IFREQ);
pub const SIOCIFCREATE2: IoctlReq = iowr(I, 124, IFREQ);
pub const SIOCAIFGROUP: IoctlReq = iow(I, 135, size_of::<IfGroupReq>());
pub const SIOCGIFGROUP: IoctlReq = iowr(I, 136, size_of::<IfGroupReq>());
pub const SIOCGIFGMEMB: IoctlReq = iowr(I, 138, size_of::<IfGroupReq>());

// sys/sys/sockio.h: SIOCSDRVSPEC / SIOCGDRVSPEC (the same number, two directions; bridge_ioctl
// refuses a COPYOUT command sent with SIOCSDRVSPEC and the reverse).
pub const SIOCSDRVSPEC: IoctlReq = iow(I, 123, size_of::<IfDrv>());
pub const SIOCGDRVSPEC: IoctlReq = iowr(I, 123, size_of::<IfDrv>());
// sys/net/if_lagg.h.
pub const SIOCGLAGGPORT: IoctlReq = iowr(I, 140, size_of::<LaggReqPort>());
pub const SIOCSLAGGPORT: IoctlReq = iow(I, 141, size_of::<LaggReqPort>());
pub const SIOCSLAGGDELPORT: IoctlReq = iow(I, 142, size_of::<LaggReqPort>());
pub const SIOCGLAGG: IoctlReq = iowr(I, 143, size_of::<LaggReqAll>());
/// Sets a lagg's protocol (`ra_proto`; ifconfig's `laggproto`).
pub const SIOCSLAGG: IoctlReq = iow(I, 144, size_of::<LaggReqAll>());

// ---- other FreeBSD constants (values differ from Linux, so they are defined here) ----

pub const AF_LOCAL: u8 = 1;
pub const AF_INET: u8 = 2;
pub const AF_LINK: u8 = 18;
/// Link types (`sdl_type`, net/if_types.h) that name a kind on their own: the kind's driver
/// sets them and no move changes them.
pub const IFT_LOOP: u8 = 0x18;
pub const IFT_L2VLAN: u8 = 0x87;
pub const IFT_BRIDGE: u8 = 0xd1;
pub const AF_INET6: u8 = 28;

pub const IFF_UP: u32 = 0x1;
pub const IFF_LOOPBACK: u32 = 0x8;
pub const IFF_RUNNING: u32 = 0x40;

pub const ETHERTYPE_VLAN: u16 = 0x8100;
pub const ETHERTYPE_QINQ: u16 = 0x88a8;

pub const RTM_VERSION: u8 = 5;
/// An address was added to an interface (`struct ifa_msghdr`, net/route.h).
pub const RTM_NEWADDR: u8 = 0xc;
/// An address was removed from an interface (`struct ifa_msghdr`).
pub const RTM_DELADDR: u8 = 0xd;
pub const RTM_IFINFO: u8 = 0xe;
pub const RTM_IFANNOUNCE: u8 = 0x11;
pub const IFAN_ARRIVAL: u16 = 0;
pub const IFAN_DEPARTURE: u16 = 1;

/// `struct ifa_msghdr` size (net/if.h): msglen u16, version u8, type u8, addrs i32, flags i32,
/// index u16, spare u16, metric i32. The sockaddrs named by `ifam_addrs` follow it.
pub const IFA_MSGHDR_SIZE: usize = 20;

/// The `rtm_addrs` / `ifam_addrs` bits (net/route.h), in the order the sockaddrs follow the
/// header.
pub mod rta {
    pub const DST: u32 = 0x1;
    pub const GATEWAY: u32 = 0x2;
    pub const NETMASK: u32 = 0x4;
    pub const GENMASK: u32 = 0x8;
    pub const IFP: u32 = 0x10;
    pub const IFA: u32 = 0x20;
    pub const AUTHOR: u32 = 0x40;
    pub const BRD: u32 = 0x80;
    /// RTAX_MAX: how many sockaddr slots a message can carry.
    pub const MAX: usize = 8;
}

/// What each sockaddr in a routing message is padded to (net/route.h `SA_SIZE`: a multiple of
/// `sizeof(long)`, and a zero-length sockaddr still takes `sizeof(long)` bytes). Every FreeBSD
/// ABI is ILP32 or LP64, so `long` is pointer-sized: 8 on amd64. (Spelled with `usize` rather
/// than `c_long` so the crate's tests give the FreeBSD value on any 64-bit host.)
pub const RT_SA_ALIGN: usize = size_of::<usize>();

/// `SO_RERROR` (sys/sys/socket.h, FreeBSD 13.1 and later): report a receive-buffer overflow as
/// ENOBUFS from the next receive, instead of dropping the message silently.
pub const SO_RERROR: i32 = 0x20000;

/// `JAIL_SYS_NEW`: the `vnet` jail parameter value for "own VNET".
pub const JAIL_SYS_NEW: i32 = 1;
/// MAXHOSTNAMELEN, the size of a jail name buffer.
pub const JAIL_NAME_BUF: usize = 256;
/// Size of the `errmsg` buffer handed to jail_set/jail_get.
pub const JAIL_ERRMSG_BUF: usize = 1024;

// ---- compile-time checks ----

#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<IfReq>() == 32);
    assert!(align_of::<IfReq>() == 8);
    assert!(size_of::<VlanReq>() == 20);
    assert!(align_of::<VlanReq>() == 2);
    assert!(size_of::<IfCloneReq>() == 16);
    assert!(size_of::<IfGroupReq>() == 40);
    assert!(size_of::<IfConf>() == 16);
    assert!(IN_ALIASREQ_SIZE == 68);
    assert!(RT_SA_ALIGN == 8);
    assert!(IN6_IFREQ_SIZE == 288);

    // The table in docs/freebsd-ifnet.md §1.3 (and golang.org/x/sys zerrors_freebsd_amd64).
    assert!(SIOCSIFFLAGS == 0x8020_6910);
    assert!(SIOCDIFADDR == 0x8020_6919);
    // netinet6/in6_var.h: _IOW('i', 25, struct in6_ifreq).
    assert!(SIOCDIFADDR_IN6 == 0x8120_6919);
    assert!(SIOCGIFFLAGS == 0xC020_6911);
    assert!(SIOCGIFINDEX == 0xC020_6920);
    assert!(SIOCGIFCONF == 0xC010_6924);
    assert!(SIOCGIFNETMASK == 0xC020_6925);
    assert!(SIOCSIFNAME == 0x8020_6928);
    assert!(SIOCSIFDESCR == 0x8020_6929);
    assert!(SIOCGIFDESCR == 0xC020_692A);
    assert!(SIOCAIFADDR == 0x8044_692B);
    // netinet6/in6_var.h; 0x8088691b is also what Go FreeBSD tun code uses.
    assert!(SIOCAIFADDR_IN6 == 0x8088_691B);
    assert!(SIOCGIFNETMASK_IN6 == 0xC120_6925);
    assert!(SIOCGIFMTU == 0xC020_6933);
    assert!(SIOCSIFMTU == 0x8020_6934);
    assert!(SIOCSETVLAN == 0x8020_6939);
    assert!(SIOCGETVLAN == 0xC020_693A);
    assert!(SIOCSIFLLADDR == 0x8020_693C);
    assert!(SIOCSIFVNET == 0xC020_695A);
    assert!(SIOCSIFRVNET == 0xC020_695B);
    assert!(SIOCIFGCLONERS == 0xC010_6978);
    assert!(SIOCIFDESTROY == 0x8020_6979);
    assert!(SIOCIFCREATE == 0xC020_697A);
    assert!(SIOCIFCREATE2 == 0xC020_697C);
    assert!(SIOCAIFGROUP == 0x8028_6987);
    assert!(SIOCGIFGROUP == 0xC028_6988);
    assert!(SIOCGIFGMEMB == 0xC028_698A);

    // bridge(4) / lagg(4) (docs/freebsd-ifnet.md §1.5).
    assert!(size_of::<IfDrv>() == 40);
    assert!(align_of::<IfDrv>() == 8);
    assert!(size_of::<IfBReq>() == 80);
    assert!(align_of::<IfBReq>() == 4);
    assert!(size_of::<IfBifConf>() == 16);
    assert!(size_of::<LaggReqPort>() == 72);
    assert!(align_of::<LaggReqPort>() == 4);
    assert!(size_of::<LaggReqAll>() == 80);
    assert!(align_of::<LaggReqAll>() == 8);
    assert!(SIOCSDRVSPEC == 0x8028_697B);
    assert!(SIOCGDRVSPEC == 0xC028_697B);
    assert!(SIOCGLAGGPORT == 0xC048_698C);
    assert!(SIOCSLAGGPORT == 0x8048_698D);
    assert!(SIOCGLAGG == 0xC050_698F);
    assert!(SIOCSLAGG == 0x8050_6990);
    assert!(SIOCSLAGGDELPORT == 0x8048_698E);
    assert!(SIOCGLAGG == 0xC050_698F);
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    #[test]
    fn layouts() {
        assert_eq!(offset_of!(IfReq, name), 0);
        assert_eq!(offset_of!(IfReq, ifru), 16);
        assert_eq!(offset_of!(VlanReq, vlr_parent), 0);
        assert_eq!(offset_of!(VlanReq, vlr_tag), 16);
        assert_eq!(offset_of!(VlanReq, vlr_proto), 18);
        assert_eq!(offset_of!(IfCloneReq, ifcr_total), 0);
        assert_eq!(offset_of!(IfCloneReq, ifcr_count), 4);
        assert_eq!(offset_of!(IfCloneReq, ifcr_buffer), 8);
        assert_eq!(offset_of!(IfGroupReq, ifgr_len), 16);
        assert_eq!(offset_of!(IfGroupReq, ifgr_ifgru), 24);
        assert_eq!(offset_of!(IfConf, ifc_buf), 8);
        assert_eq!(offset_of!(IfDrv, ifd_cmd), 16);
        assert_eq!(offset_of!(IfDrv, ifd_len), 24);
        assert_eq!(offset_of!(IfDrv, ifd_data), 32);
        assert_eq!(offset_of!(IfBReq, ifbr_ifsflags), 16);
        assert_eq!(offset_of!(IfBReq, ifbr_stpflags), 20);
        assert_eq!(offset_of!(IfBReq, ifbr_path_cost), 24);
        assert_eq!(offset_of!(IfBReq, ifbr_portno), 28);
        assert_eq!(offset_of!(IfBReq, ifbr_state), 32);
        assert_eq!(offset_of!(IfBReq, ifbr_addrcnt), 36);
        assert_eq!(offset_of!(IfBReq, ifbr_addrexceeded), 44);
        assert_eq!(offset_of!(IfBReq, pad), 48);
        assert_eq!(offset_of!(IfBifConf, ifbic_buf), 8);
        assert_eq!(offset_of!(LaggReqPort, rp_portname), 16);
        assert_eq!(offset_of!(LaggReqPort, rp_prio), 32);
        assert_eq!(offset_of!(LaggReqPort, rp_flags), 36);
        assert_eq!(offset_of!(LaggReqPort, rp_psc), 40);
        assert_eq!(offset_of!(LaggReqAll, ra_proto), 16);
        assert_eq!(offset_of!(LaggReqAll, ra_size), 24);
        assert_eq!(offset_of!(LaggReqAll, ra_port), 32);
        assert_eq!(offset_of!(LaggReqAll, ra_ports), 40);
        assert_eq!(offset_of!(LaggReqAll, ra_psc), 44);
    }

    #[test]
    fn ioc_arithmetic() {
        // Spelled out once, the way the doc does it.
        assert_eq!(SIOCIFCREATE2, 0xC000_0000 | (32 << 16) | 0x6900 | 124);
        assert_eq!(SIOCIFGCLONERS, 0xC000_0000 | (16 << 16) | 0x6900 | 120);
        assert_eq!(ioc(IOC_VOID, b'i', 1, 0), 0x2000_6901);
    }
}
