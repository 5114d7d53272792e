//! Pure request encoding: the exact bytes handed to the FreeBSD kernel for every ioctl and
//! jail(2) call the backend makes, and the parsers for what the kernel writes back.
//!
//! Nothing here performs a system call. Pointer members are passed in as addresses (`usize`), so
//! the sys layer supplies real buffers and the tests supply markers; the byte images are
//! snapshot-tested on Linux. Names the kernel writes back are [`KernelName`]s and MACs are
//! `[u8; 6]`; the backend turns them into ifclone's `IfName` and `Mac`.

use crate::consts::*;
use crate::KernelName;

/// A NUL-padded 16-byte interface name (at most 15 bytes of text; longer input is cut, but
/// names are validated by ifclone's `IfName` before they get here).
pub fn name16(name: &str) -> [u8; IFNAMSIZ] {
    let mut out = [0u8; IFNAMSIZ];
    let b = name.as_bytes();
    let n = b.len().min(IFNAMSIZ - 1);
    out[..n].copy_from_slice(&b[..n]);
    out
}

/// Reads a NUL-terminated name from a kernel buffer.
pub fn name_from(buf: &[u8]) -> Option<KernelName> {
    KernelName::from_kernel(buf)
}

impl IfReq {
    /// A zeroed `ifreq` carrying `name`.
    pub fn new(name: &str) -> IfReq {
        IfReq {
            name: name16(name),
            ifru: [0; 16],
        }
    }

    fn put(&mut self, off: usize, bytes: &[u8]) {
        let o = off - IFNAMSIZ;
        self.ifru[o..o + bytes.len()].copy_from_slice(bytes);
    }

    pub fn put_u16(&mut self, off: usize, v: u16) {
        self.put(off, &v.to_ne_bytes());
    }
    pub fn put_i32(&mut self, off: usize, v: i32) {
        self.put(off, &v.to_ne_bytes());
    }
    pub fn put_usize(&mut self, off: usize, v: usize) {
        self.put(off, &v.to_ne_bytes());
    }

    pub fn get_u16(&self, off: usize) -> u16 {
        let o = off - IFNAMSIZ;
        u16::from_ne_bytes([self.ifru[o], self.ifru[o + 1]])
    }
    pub fn get_i32(&self, off: usize) -> i32 {
        let o = off - IFNAMSIZ;
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.ifru[o..o + 4]);
        i32::from_ne_bytes(b)
    }
    pub fn get_usize(&self, off: usize) -> usize {
        let o = off - IFNAMSIZ;
        let mut b = [0u8; std::mem::size_of::<usize>()];
        let n = b.len();
        b.copy_from_slice(&self.ifru[o..o + n]);
        usize::from_ne_bytes(b)
    }

    /// The name the kernel left in `ifr_name` (SIOCIFCREATE2 writes the final name back).
    pub fn name(&self) -> Option<KernelName> {
        name_from(&self.name)
    }

    /// The 32-byte image handed to the kernel.
    pub fn bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out[..16].copy_from_slice(&self.name);
        out[16..].copy_from_slice(&self.ifru);
        out
    }
}

// ---- one builder per request ----

/// SIOCIFCREATE2 on a cloner name (`epair`, `vlan`, `tap`, …); `data` = address of the
/// cloner's parameters (`struct vlanreq` for vlan) or 0 for none.
pub fn create(cloner: &str, data: usize) -> IfReq {
    let mut r = IfReq::new(cloner);
    r.put_usize(ifr_off::DATA, data);
    r
}

/// `struct vlanreq` for SIOCIFCREATE2 / SIOCGETVLAN.
pub fn vlanreq(parent: &str, tag: u16, proto: u16) -> VlanReq {
    VlanReq {
        vlr_parent: name16(parent),
        vlr_tag: tag,
        vlr_proto: proto,
    }
}

impl VlanReq {
    pub fn bytes(&self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out[..16].copy_from_slice(&self.vlr_parent);
        out[16..18].copy_from_slice(&self.vlr_tag.to_ne_bytes());
        out[18..20].copy_from_slice(&self.vlr_proto.to_ne_bytes());
        out
    }
    pub fn parent(&self) -> Option<KernelName> {
        name_from(&self.vlr_parent)
    }
}

/// SIOCIFDESTROY.
pub fn destroy(name: &str) -> IfReq {
    IfReq::new(name)
}

/// SIOCSIFNAME: `ifr_data` points at the NUL-terminated new name ([`name16`] of it).
pub fn rename(name: &str, new_name_addr: usize) -> IfReq {
    let mut r = IfReq::new(name);
    r.put_usize(ifr_off::DATA, new_name_addr);
    r
}

/// SIOCSIFMTU.
pub fn set_mtu(name: &str, mtu: u32) -> IfReq {
    let mut r = IfReq::new(name);
    r.put_i32(ifr_off::MTU, mtu as i32);
    r
}

/// SIOCSIFFLAGS: low 16 bits in `ifr_flags`, high 16 bits in `ifr_flagshigh`.
pub fn set_flags(name: &str, flags: u32) -> IfReq {
    let mut r = IfReq::new(name);
    r.put_u16(ifr_off::FLAGS, (flags & 0xffff) as u16);
    r.put_u16(ifr_off::FLAGSHIGH, (flags >> 16) as u16);
    r
}

/// The flags a SIOCGIFFLAGS answer carries.
pub fn flags_of(r: &IfReq) -> u32 {
    u32::from(r.get_u16(ifr_off::FLAGS)) | (u32::from(r.get_u16(ifr_off::FLAGSHIGH)) << 16)
}

/// The text buffer for SIOCSIFDESCR: the description plus its NUL; empty clears.
pub fn descr_buf(text: &str) -> Vec<u8> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut v = Vec::with_capacity(text.len() + 1);
    v.extend_from_slice(text.as_bytes());
    v.push(0);
    v
}

/// SIOCSIFDESCR / SIOCGIFDESCR: `ifr_buffer = { length, buffer }`. For set, `length` counts
/// the NUL (0 clears); for get it is the buffer's size.
pub fn descr(name: &str, length: usize, buffer_addr: usize) -> IfReq {
    let mut r = IfReq::new(name);
    r.put_usize(ifr_off::BUFFER_LENGTH, length);
    r.put_usize(ifr_off::BUFFER_BUFFER, buffer_addr);
    r
}

/// What a SIOCGIFDESCR answer means.
#[derive(Debug, PartialEq, Eq)]
pub enum DescrAnswer {
    /// The text (up to the first NUL).
    Text(String),
    /// Buffer too small: the kernel set `buffer` to NULL and `length` to what it needs.
    Retry(usize),
}

/// Interprets SIOCGIFDESCR's answer given the buffer that was passed.
pub fn descr_answer(r: &IfReq, buf: &[u8]) -> DescrAnswer {
    if r.get_usize(ifr_off::BUFFER_BUFFER) == 0 {
        return DescrAnswer::Retry(r.get_usize(ifr_off::BUFFER_LENGTH).max(buf.len() * 2));
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    DescrAnswer::Text(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// SIOCSIFLLADDR: the address in `ifr_addr.sa_data`, its length in `sa_len` (6); family
/// AF_LINK as ifconfig does.
pub fn set_lladdr(name: &str, mac: [u8; 6]) -> IfReq {
    let mut r = IfReq::new(name);
    r.ifru[ifr_off::ADDR_LEN - IFNAMSIZ] = 6;
    r.ifru[ifr_off::ADDR_FAMILY - IFNAMSIZ] = AF_LINK;
    r.put(ifr_off::ADDR_DATA, &mac);
    r
}

/// SIOCSIFVNET (loan) and SIOCSIFRVNET (reclaim): the name and the jail id.
pub fn vnet(name: &str, jid: i32) -> IfReq {
    let mut r = IfReq::new(name);
    r.put_i32(ifr_off::JID, jid);
    r
}

/// SIOCGIFINDEX answer.
pub fn index_of(r: &IfReq) -> u32 {
    u32::from(r.get_u16(ifr_off::INDEX))
}

/// SIOCGIFMTU answer.
pub fn mtu_of(r: &IfReq) -> u32 {
    r.get_i32(ifr_off::MTU).max(0) as u32
}

/// SIOCIFGCLONERS: `count` slots of 16 bytes at `buffer_addr` (count 0 and NULL asks for the
/// total).
pub fn clonereq(count: usize, buffer_addr: usize) -> IfCloneReq {
    IfCloneReq {
        ifcr_total: 0,
        ifcr_count: count.min(i32::MAX as usize) as i32,
        ifcr_buffer: buffer_addr,
    }
}

impl IfCloneReq {
    pub fn bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[0..4].copy_from_slice(&self.ifcr_total.to_ne_bytes());
        out[4..8].copy_from_slice(&self.ifcr_count.to_ne_bytes());
        let p = self.ifcr_buffer.to_ne_bytes();
        out[8..8 + p.len()].copy_from_slice(&p);
        out
    }
}

/// Splits the SIOCIFGCLONERS answer (NUL-padded 16-byte slots) into names.
pub fn parse_name_slots(buf: &[u8], count: usize) -> Vec<String> {
    buf.chunks_exact(IFNAMSIZ)
        .take(count)
        .filter_map(|s| {
            let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
            let t = std::str::from_utf8(&s[..end]).ok()?;
            (!t.is_empty()).then(|| t.to_string())
        })
        .collect()
}

/// SIOCGIFGROUP: `len` bytes of `struct ifg_req` at `groups_addr`.
pub fn groupreq(name: &str, len: usize, groups_addr: usize) -> IfGroupReq {
    let mut u = [0usize; 16 / std::mem::size_of::<usize>()];
    u[0] = groups_addr;
    IfGroupReq {
        ifgr_name: name16(name),
        ifgr_len: len as u32,
        _pad: 0,
        ifgr_ifgru: u,
    }
}

/// SIOCAIFGROUP: put `name` in the group `group` (`ifgr_group[16]` in the union).
pub fn add_groupreq(name: &str, group: &str) -> IfGroupReq {
    let g = name16(group);
    let w = std::mem::size_of::<usize>();
    let mut u = [0usize; 16 / std::mem::size_of::<usize>()];
    for (i, v) in u.iter_mut().enumerate() {
        let mut b = [0u8; std::mem::size_of::<usize>()];
        b.copy_from_slice(&g[i * w..(i + 1) * w]);
        *v = usize::from_ne_bytes(b);
    }
    IfGroupReq {
        ifgr_name: name16(name),
        ifgr_len: 0,
        _pad: 0,
        ifgr_ifgru: u,
    }
}

impl IfGroupReq {
    pub fn bytes(&self) -> [u8; 40] {
        let mut out = [0u8; 40];
        out[..16].copy_from_slice(&self.ifgr_name);
        out[16..20].copy_from_slice(&self.ifgr_len.to_ne_bytes());
        let w = std::mem::size_of::<usize>();
        for (i, v) in self.ifgr_ifgru.iter().enumerate() {
            out[24 + i * w..24 + (i + 1) * w].copy_from_slice(&v.to_ne_bytes());
        }
        out
    }
}

/// SIOCGIFCONF request header.
pub fn ifconf(len: usize, buf_addr: usize) -> IfConf {
    IfConf {
        ifc_len: len.min(i32::MAX as usize) as i32,
        ifc_buf: buf_addr,
    }
}

/// One record of a SIOCGIFCONF answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfEntry {
    pub name: KernelName,
    pub family: u8,
    /// The whole sockaddr (sa_len bytes, or 16 when the kernel sent a plain `ifreq`).
    pub sa: Vec<u8>,
}

/// Walks a SIOCGIFCONF answer: each record is `ifr_name[16]` followed by a sockaddr of
/// `max(sa_len, 16)` bytes (the kernel copies a whole `ifreq` when the address fits). Stops at
/// the first record that does not fit; never panics.
pub fn parse_ifconf(buf: &[u8]) -> Vec<ConfEntry> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off + 32 <= buf.len() {
        let name = &buf[off..off + 16];
        let sa_len = buf[off + 16] as usize;
        let rec = 16 + sa_len.max(16);
        if off + rec > buf.len() {
            break;
        }
        if let Some(name) = name_from(name) {
            out.push(ConfEntry {
                name,
                family: buf[off + 17],
                sa: buf[off + 16..off + 16 + sa_len.max(16)].to_vec(),
            });
        }
        off += rec;
    }
    out
}

/// What a `sockaddr_dl` (AF_LINK) says: index and, for 6-byte addresses, the MAC.
pub fn parse_sockaddr_dl(sa: &[u8]) -> Option<(u32, Option<[u8; 6]>)> {
    // sdl_len, sdl_family, sdl_index(u16), sdl_type, sdl_nlen, sdl_alen, sdl_slen, sdl_data
    if sa.len() < 8 || sa[1] != AF_LINK {
        return None;
    }
    let index = u32::from(u16::from_ne_bytes([sa[2], sa[3]]));
    let nlen = sa[5] as usize;
    let alen = sa[6] as usize;
    let mac = if alen == 6 && 8 + nlen + 6 <= sa.len() {
        let mut m = [0u8; 6];
        m.copy_from_slice(&sa[8 + nlen..8 + nlen + 6]);
        Some(m)
    } else {
        None
    };
    Some((index, mac))
}

/// The link type (`sdl_type`) of a `sockaddr_dl`.
pub fn link_type(sa: &[u8]) -> Option<u8> {
    (sa.len() >= 8 && sa[1] == AF_LINK).then(|| sa[4])
}

/// An IPv4 address out of a `sockaddr_in` (len, family, port, addr).
pub fn parse_sockaddr_in(sa: &[u8]) -> Option<std::net::Ipv4Addr> {
    if sa.len() < 8 || sa[1] != AF_INET {
        return None;
    }
    Some(std::net::Ipv4Addr::new(sa[4], sa[5], sa[6], sa[7]))
}

fn sockaddr_in(addr: std::net::Ipv4Addr) -> [u8; SOCKADDR_IN_SIZE] {
    let mut s = [0u8; SOCKADDR_IN_SIZE];
    s[0] = SOCKADDR_IN_SIZE as u8;
    s[1] = AF_INET;
    s[4..8].copy_from_slice(&addr.octets());
    s
}

/// SIOCGIFNETMASK for one IPv4 address (in_control looks up the given alias).
pub fn netmask_query(name: &str, addr: std::net::Ipv4Addr) -> IfReq {
    let mut r = IfReq::new(name);
    r.ifru.copy_from_slice(&sockaddr_in(addr));
    r
}

/// The prefix length of the netmask in a SIOCGIFNETMASK answer.
pub fn prefix_of(r: &IfReq) -> u8 {
    let m = u32::from_be_bytes([r.ifru[4], r.ifru[5], r.ifru[6], r.ifru[7]]);
    m.count_ones() as u8
}

/// `struct in_aliasreq` for SIOCAIFADDR: name, address, broadcast (zero: the kernel derives
/// it), mask, vhid 0.
pub fn in_aliasreq(name: &str, addr: std::net::Ipv4Addr, prefix: u8) -> [u8; IN_ALIASREQ_SIZE] {
    let mut out = [0u8; IN_ALIASREQ_SIZE];
    out[..16].copy_from_slice(&name16(name));
    out[16..32].copy_from_slice(&sockaddr_in(addr));
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    };
    out[48..64].copy_from_slice(&sockaddr_in(std::net::Ipv4Addr::from(mask)));
    out
}

fn sockaddr_in6(addr: std::net::Ipv6Addr) -> [u8; SOCKADDR_IN6_SIZE] {
    let mut s = [0u8; SOCKADDR_IN6_SIZE];
    s[0] = SOCKADDR_IN6_SIZE as u8;
    s[1] = AF_INET6;
    s[8..24].copy_from_slice(&addr.octets());
    s
}

/// Whether the kernel stores a zone id inside the address (KAME: link-local unicast and
/// interface/link-local multicast carry it in bytes 2–3).
fn has_embedded_scope(o: &[u8; 16]) -> bool {
    (o[0] == 0xfe && o[1] & 0xc0 == 0x80) || (o[0] == 0xff && matches!(o[1] & 0x0f, 1 | 2))
}

/// An IPv6 address out of a `sockaddr_in6` (len, family, port, flowinfo, addr, scope_id),
/// with the kernel's embedded zone id cleared as getifaddrs(3) does.
pub fn parse_sockaddr_in6(sa: &[u8]) -> Option<std::net::Ipv6Addr> {
    if sa.len() < 24 || sa[1] != AF_INET6 {
        return None;
    }
    let mut o = [0u8; 16];
    o.copy_from_slice(&sa[8..24]);
    if has_embedded_scope(&o) {
        o[2] = 0;
        o[3] = 0;
    }
    Some(std::net::Ipv6Addr::from(o))
}

/// SIOCGIFNETMASK_IN6 for one address (`struct in6_ifreq` with `ifr_addr` set; the kernel
/// embeds the interface's zone itself when `sin6_scope_id` is 0).
pub fn netmask6_query(name: &str, addr: std::net::Ipv6Addr) -> [u8; IN6_IFREQ_SIZE] {
    let mut r = [0u8; IN6_IFREQ_SIZE];
    r[..16].copy_from_slice(&name16(name));
    r[16..16 + SOCKADDR_IN6_SIZE].copy_from_slice(&sockaddr_in6(addr));
    r
}

/// The prefix length of the mask in a SIOCGIFNETMASK_IN6 answer.
pub fn prefix6_of(r: &[u8; IN6_IFREQ_SIZE]) -> u8 {
    r[24..40].iter().map(|b| b.count_ones() as u8).sum()
}

fn mask6(prefix: u8) -> std::net::Ipv6Addr {
    let p = u32::from(prefix.min(128));
    let bits = if p == 0 { 0 } else { u128::MAX << (128 - p) };
    std::net::Ipv6Addr::from(bits)
}

/// `struct in6_aliasreq` for SIOCAIFADDR_IN6: address, prefix mask, infinite lifetimes.
pub fn in6_aliasreq(name: &str, addr: std::net::Ipv6Addr, prefix: u8) -> [u8; IN6_ALIASREQ_SIZE] {
    use in6_aliasreq_off as o;
    let mut out = [0u8; IN6_ALIASREQ_SIZE];
    out[..16].copy_from_slice(&name16(name));
    out[o::ADDR..o::ADDR + SOCKADDR_IN6_SIZE].copy_from_slice(&sockaddr_in6(addr));
    out[o::PREFIXMASK..o::PREFIXMASK + SOCKADDR_IN6_SIZE]
        .copy_from_slice(&sockaddr_in6(mask6(prefix)));
    out[o::VLTIME..o::VLTIME + 4].copy_from_slice(&ND6_INFINITE_LIFETIME.to_ne_bytes());
    out[o::PLTIME..o::PLTIME + 4].copy_from_slice(&ND6_INFINITE_LIFETIME.to_ne_bytes());
    out
}

// ---- bridge(4) and lagg(4) ports ----

fn put_usize(out: &mut [u8], off: usize, v: usize) {
    let b = v.to_ne_bytes();
    out[off..off + b.len()].copy_from_slice(&b);
}

impl IfDrv {
    /// SIOCSDRVSPEC / SIOCGDRVSPEC on the bridge `bridge`: driver command `cmd` whose argument
    /// is the `len` bytes at `data` (an address the sys layer supplies).
    pub fn new(bridge: &str, cmd: usize, len: usize, data: usize) -> IfDrv {
        IfDrv {
            ifd_name: name16(bridge),
            ifd_cmd: cmd,
            ifd_len: len,
            ifd_data: data,
        }
    }

    /// The 40-byte image handed to the kernel.
    pub fn bytes(&self) -> [u8; std::mem::size_of::<IfDrv>()] {
        use std::mem::offset_of;
        let mut out = [0u8; std::mem::size_of::<IfDrv>()];
        out[..IFNAMSIZ].copy_from_slice(&self.ifd_name);
        put_usize(&mut out, offset_of!(IfDrv, ifd_cmd), self.ifd_cmd);
        put_usize(&mut out, offset_of!(IfDrv, ifd_len), self.ifd_len);
        put_usize(&mut out, offset_of!(IfDrv, ifd_data), self.ifd_data);
        out
    }
}

impl IfBReq {
    /// The BRDGADD / BRDGDEL argument: the member's name, everything else zero (as ifconfig's
    /// `addm` / `deletem` send it; bridge_ioctl_add reads only the name).
    pub fn for_member(name: &str) -> IfBReq {
        IfBReq {
            ifbr_ifsname: name16(name),
            ifbr_ifsflags: 0,
            ifbr_stpflags: 0,
            ifbr_path_cost: 0,
            ifbr_portno: 0,
            ifbr_priority: 0,
            ifbr_proto: 0,
            ifbr_role: 0,
            ifbr_state: 0,
            _pad0: [0; 3],
            ifbr_addrcnt: 0,
            ifbr_addrmax: 0,
            ifbr_addrexceeded: 0,
            pad: [0; 32],
        }
    }

    /// The 80-byte image handed to the kernel.
    pub fn bytes(&self) -> [u8; IFBREQ_SIZE] {
        use std::mem::offset_of;
        let mut out = [0u8; IFBREQ_SIZE];
        out[..IFNAMSIZ].copy_from_slice(&self.ifbr_ifsname);
        let mut put = |off: usize, v: u32| out[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        put(offset_of!(IfBReq, ifbr_ifsflags), self.ifbr_ifsflags);
        put(offset_of!(IfBReq, ifbr_stpflags), self.ifbr_stpflags);
        put(offset_of!(IfBReq, ifbr_path_cost), self.ifbr_path_cost);
        put(offset_of!(IfBReq, ifbr_addrcnt), self.ifbr_addrcnt);
        put(offset_of!(IfBReq, ifbr_addrmax), self.ifbr_addrmax);
        put(
            offset_of!(IfBReq, ifbr_addrexceeded),
            self.ifbr_addrexceeded,
        );
        let o = offset_of!(IfBReq, ifbr_portno);
        out[o..o + 5].copy_from_slice(&[
            self.ifbr_portno,
            self.ifbr_priority,
            self.ifbr_proto,
            self.ifbr_role,
            self.ifbr_state,
        ]);
        out[o + 5..o + 8].copy_from_slice(&self._pad0);
        let o = offset_of!(IfBReq, pad);
        out[o..o + 32].copy_from_slice(&self.pad);
        out
    }
}

impl IfBifConf {
    /// The BRDGGIFS argument: a buffer of `len` bytes at `buf` for `struct ifbreq` records.
    pub fn new(len: usize, buf: usize) -> IfBifConf {
        IfBifConf {
            ifbic_len: len.min(u32::MAX as usize) as u32,
            ifbic_buf: buf,
        }
    }

    /// The 16-byte image handed to the kernel (padding zero).
    pub fn bytes(&self) -> [u8; std::mem::size_of::<IfBifConf>()] {
        use std::mem::offset_of;
        let mut out = [0u8; std::mem::size_of::<IfBifConf>()];
        out[..4].copy_from_slice(&self.ifbic_len.to_ne_bytes());
        put_usize(&mut out, offset_of!(IfBifConf, ifbic_buf), self.ifbic_buf);
        out
    }
}

/// What a BRDGGIFS answer means, given the buffer that was offered (`offered` bytes) and the
/// `ifbic_len` the kernel wrote back (the bytes of whole records it filled).
#[derive(Debug, PartialEq, Eq)]
pub enum BifconfAnswer {
    /// Every record fitted: the bridge's members (span ports left out), in the kernel's order.
    Members(Vec<String>),
    /// The buffer may have been too small (the kernel cuts the list silently): offer this many
    /// bytes. The rule is ifconfig's (`bridge_interfaces`): complete only when at least one more
    /// record would still have fitted.
    Retry(usize),
}

/// Interprets a BRDGGIFS answer: `buf` is the offered buffer, `answered` the `ifbic_len` back.
pub fn bifconf_answer(buf: &[u8], answered: u32) -> BifconfAnswer {
    let used = (answered as usize).min(buf.len());
    if used + IFBREQ_SIZE >= buf.len() {
        return BifconfAnswer::Retry(buf.len().max(IFBREQ_SIZE) * 2);
    }
    BifconfAnswer::Members(bridge_members(&buf[..used]))
}

/// The member names in `buf`, a run of `struct ifbreq` records as BRDGGIFS writes them: the
/// members, then the span ports (`IFBIF_SPAN` in `ifbr_ifsflags`), which are not members and
/// are skipped. A cut record at the end and records without a valid name are ignored.
pub fn bridge_members(buf: &[u8]) -> Vec<String> {
    use std::mem::offset_of;
    let fl = offset_of!(IfBReq, ifbr_ifsflags);
    buf.chunks_exact(IFBREQ_SIZE)
        .filter(|r| {
            let flags = u32::from_ne_bytes([r[fl], r[fl + 1], r[fl + 2], r[fl + 3]]);
            flags & IFBIF_SPAN == 0
        })
        .filter_map(|r| name_from(&r[..IFNAMSIZ]).map(|n| n.as_str().to_string()))
        .collect()
}

impl LaggReqPort {
    /// SIOCSLAGGPORT / SIOCSLAGGDELPORT (and SIOCGLAGGPORT): the lagg and the port, everything
    /// else zero, as ifconfig's `laggport` / `-laggport` send it.
    pub fn new(lagg: &str, port: &str) -> LaggReqPort {
        LaggReqPort {
            rp_ifname: name16(lagg),
            rp_portname: name16(port),
            rp_prio: 0,
            rp_flags: 0,
            rp_psc: [0; LACP_OPREQ_SIZE],
        }
    }

    /// The 72-byte image handed to the kernel.
    pub fn bytes(&self) -> [u8; std::mem::size_of::<LaggReqPort>()] {
        use std::mem::offset_of;
        let mut out = [0u8; std::mem::size_of::<LaggReqPort>()];
        out[..IFNAMSIZ].copy_from_slice(&self.rp_ifname);
        let o = offset_of!(LaggReqPort, rp_portname);
        out[o..o + IFNAMSIZ].copy_from_slice(&self.rp_portname);
        let o = offset_of!(LaggReqPort, rp_prio);
        out[o..o + 4].copy_from_slice(&self.rp_prio.to_ne_bytes());
        let o = offset_of!(LaggReqPort, rp_flags);
        out[o..o + 4].copy_from_slice(&self.rp_flags.to_ne_bytes());
        let o = offset_of!(LaggReqPort, rp_psc);
        out[o..o + LACP_OPREQ_SIZE].copy_from_slice(&self.rp_psc);
        out
    }
}

impl LaggReqAll {
    /// SIOCGLAGG on `lagg`: room for `size` bytes of `struct lagg_reqport` records at `buf`.
    pub fn new(lagg: &str, size: usize, buf: usize) -> LaggReqAll {
        LaggReqAll {
            ra_ifname: name16(lagg),
            ra_proto: 0,
            ra_size: size,
            ra_port: buf,
            ra_ports: 0,
            ra_psc: [0; LACP_OPREQ_SIZE],
        }
    }

    /// The 80-byte image handed to the kernel (padding zero).
    pub fn bytes(&self) -> [u8; std::mem::size_of::<LaggReqAll>()] {
        use std::mem::offset_of;
        let mut out = [0u8; std::mem::size_of::<LaggReqAll>()];
        out[..IFNAMSIZ].copy_from_slice(&self.ra_ifname);
        let o = offset_of!(LaggReqAll, ra_proto);
        out[o..o + 4].copy_from_slice(&self.ra_proto.to_ne_bytes());
        put_usize(&mut out, offset_of!(LaggReqAll, ra_size), self.ra_size);
        put_usize(&mut out, offset_of!(LaggReqAll, ra_port), self.ra_port);
        let o = offset_of!(LaggReqAll, ra_ports);
        out[o..o + 4].copy_from_slice(&self.ra_ports.to_ne_bytes());
        let o = offset_of!(LaggReqAll, ra_psc);
        out[o..o + LACP_OPREQ_SIZE].copy_from_slice(&self.ra_psc);
        out
    }
}

/// The ports of a SIOCGLAGG answer with their `rp_flags` (`LAGG_PORT_MASTER`: the primary;
/// `LAGG_PORT_ACTIVE`: in failover, the one carrying the traffic), in the lagg's order.
pub fn lagg_port_flags(buf: &[u8], ports: i32) -> Vec<(String, u32)> {
    use std::mem::offset_of;
    let (o, f) = (
        offset_of!(LaggReqPort, rp_portname),
        offset_of!(LaggReqPort, rp_flags),
    );
    buf.chunks_exact(std::mem::size_of::<LaggReqPort>())
        .take(ports.max(0) as usize)
        .filter_map(|r| {
            let name = name_from(&r[o..o + IFNAMSIZ])?.as_str().to_string();
            Some((name, u32::from_ne_bytes(r[f..f + 4].try_into().ok()?)))
        })
        .collect()
}

/// The port names of a SIOCGLAGG answer: `buf` holds `struct lagg_reqport` records, `ports` is
/// the `ra_ports` the kernel wrote back (records beyond the buffer are ignored).
pub fn lagg_ports(buf: &[u8], ports: i32) -> Vec<String> {
    use std::mem::offset_of;
    let o = offset_of!(LaggReqPort, rp_portname);
    buf.chunks_exact(std::mem::size_of::<LaggReqPort>())
        .take(ports.max(0) as usize)
        .filter_map(|r| name_from(&r[o..o + IFNAMSIZ]).map(|n| n.as_str().to_string()))
        .collect()
}

// ---- jail(2) parameter lists ----

/// One jail_set/jail_get parameter: a NUL-terminated name and a value buffer. An empty value is
/// a boolean parameter (sent as NULL, 0). Output buffers are zero-filled values of the right size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JailParam {
    pub name: Vec<u8>,
    pub value: Vec<u8>,
}

impl JailParam {
    fn new(name: &str, value: Vec<u8>) -> JailParam {
        let mut n = name.as_bytes().to_vec();
        n.push(0);
        JailParam { name: n, value }
    }
    pub fn string(name: &str, v: &str) -> JailParam {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        Self::new(name, b)
    }
    /// A string parameter in a buffer of `size` bytes (an input the kernel may also write back).
    pub fn string_buf(name: &str, v: &str, size: usize) -> JailParam {
        let mut b = vec![0u8; size.max(v.len() + 1)];
        b[..v.len()].copy_from_slice(v.as_bytes());
        Self::new(name, b)
    }
    pub fn int(name: &str, v: i32) -> JailParam {
        Self::new(name, v.to_ne_bytes().to_vec())
    }
    pub fn flag(name: &str) -> JailParam {
        Self::new(name, Vec::new())
    }
    pub fn out(name: &str, size: usize) -> JailParam {
        Self::new(name, vec![0u8; size])
    }
    pub fn name_str(&self) -> &str {
        std::str::from_utf8(&self.name[..self.name.len().saturating_sub(1)]).unwrap_or("")
    }
}

/// Finds a parameter's value as an int.
pub fn param_int(params: &[JailParam], name: &str) -> Option<i32> {
    let p = params.iter().find(|p| p.name_str() == name)?;
    let b: [u8; 4] = p.value.get(..4)?.try_into().ok()?;
    Some(i32::from_ne_bytes(b))
}

/// Finds a parameter's value as a NUL-terminated string.
pub fn param_str(params: &[JailParam], name: &str) -> Option<String> {
    let p = params.iter().find(|p| p.name_str() == name)?;
    let end = p
        .value
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(p.value.len());
    Some(String::from_utf8_lossy(&p.value[..end]).into_owned())
}

/// The jail's error message (`errmsg`), if the kernel wrote one.
pub fn errmsg(params: &[JailParam]) -> Option<String> {
    param_str(params, "errmsg").filter(|s| !s.is_empty())
}

/// jail_set(JAIL_CREATE) for a persistent VNET jail rooted at `/`.
pub fn jail_create(name: &str) -> Vec<JailParam> {
    vec![
        JailParam::string("name", name),
        JailParam::string("path", "/"),
        JailParam::int("vnet", JAIL_SYS_NEW),
        JailParam::flag("persist"),
        JailParam::out("errmsg", JAIL_ERRMSG_BUF),
    ]
}

/// The output parameters every lookup asks for.
fn jail_outputs(mut v: Vec<JailParam>, with_name: bool) -> Vec<JailParam> {
    if with_name {
        v.push(JailParam::out("name", JAIL_NAME_BUF));
    }
    v.push(JailParam::out("vnet", 4));
    v.push(JailParam::out("errmsg", JAIL_ERRMSG_BUF));
    v
}

/// jail_get by name (the name buffer is large enough for the kernel to write it back).
pub fn jail_get_name(name: &str) -> Vec<JailParam> {
    jail_outputs(
        vec![
            JailParam::string_buf("name", name, JAIL_NAME_BUF),
            JailParam::out("jid", 4),
        ],
        false,
    )
}

/// jail_get by jid.
pub fn jail_get_jid(jid: i32) -> Vec<JailParam> {
    jail_outputs(vec![JailParam::int("jid", jid)], true)
}

/// jail_get for the first jail after `lastjid` (iteration).
pub fn jail_get_next(lastjid: i32) -> Vec<JailParam> {
    jail_outputs(
        vec![JailParam::int("lastjid", lastjid), JailParam::out("jid", 4)],
        true,
    )
}

/// A printable rendering of a parameter list (for snapshots and error details).
pub fn render_params(params: &[JailParam]) -> String {
    let mut s = String::new();
    for p in params {
        s.push_str(p.name_str());
        s.push_str(&format!(" (name {} bytes) = ", p.name.len()));
        if p.value.is_empty() {
            s.push_str("<flag: NULL, 0>");
        } else if p.value.len() > 4 && p.value.iter().all(|&b| b == 0) {
            s.push_str(&format!("<zeroed buffer {} bytes>", p.value.len()));
        } else {
            s.push_str(&hex(&p.value));
        }
        s.push('\n');
    }
    s
}

/// Lowercase hex with a space between bytes (for snapshots).
pub fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A marker standing in for a user-space pointer, so snapshots are stable.
    const PTR: usize = 0x5050_5050;

    fn show(label: &str, req: IoctlReq, b: &[u8]) -> String {
        format!("{label} request=0x{req:08x} len={}\n{}\n", b.len(), hex(b))
    }

    fn snap(name: &str, value: String) {
        insta::with_settings!({prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(name, value);
        });
    }

    #[test]
    fn create_requests() {
        let plain = create("tap", 0);
        assert_eq!(&plain.bytes()[..4], b"tap\0");
        assert!(plain.bytes()[16..].iter().all(|&b| b == 0));
        let epair = create("epair", 0);
        let v = vlanreq("epair0a", 42, ETHERTYPE_VLAN);
        let vb = v.bytes();
        assert_eq!(&vb[..8], b"epair0a\0");
        assert_eq!(u16::from_ne_bytes([vb[16], vb[17]]), 42);
        assert_eq!(u16::from_ne_bytes([vb[18], vb[19]]), 0x8100);
        let vlan = create("vlan", PTR);
        assert_eq!(vlan.get_usize(ifr_off::DATA), PTR);
        assert_eq!(
            usize::from_ne_bytes(vlan.bytes()[16..24].try_into().unwrap()),
            PTR
        );
        let mut s = show("SIOCIFCREATE2 tap", SIOCIFCREATE2, &plain.bytes());
        s += &show("SIOCIFCREATE2 epair", SIOCIFCREATE2, &epair.bytes());
        s += &show(
            "SIOCIFCREATE2 vlan (ifr_data=PTR)",
            SIOCIFCREATE2,
            &vlan.bytes(),
        );
        s += &show("vlanreq", 0, &vb);
        s += &show(
            "vlanreq 802.1ad",
            0,
            &vlanreq("vlan0", 7, ETHERTYPE_QINQ).bytes(),
        );
        snap("create", s);
    }

    #[test]
    fn property_requests() {
        let mtu = set_mtu("epair0a", 9000);
        assert_eq!(mtu.get_i32(16), 9000);
        let fl = set_flags("epair0a", 0x0001_8843);
        assert_eq!(fl.get_u16(16), 0x8843);
        assert_eq!(fl.get_u16(18), 0x0001);
        assert_eq!(flags_of(&fl), 0x0001_8843);
        let ren = rename("epair0a", PTR);
        assert_eq!(ren.get_usize(16), PTR);
        let d = descr("epair0a", 6, PTR);
        assert_eq!(d.get_usize(16), 6);
        assert_eq!(d.get_usize(24), PTR);
        assert_eq!(descr_buf("hello"), b"hello\0");
        assert!(descr_buf("").is_empty());
        let ll = set_lladdr("epair0a", [2, 0, 0, 0xaa, 0xbb, 0xcc]);
        let b = ll.bytes();
        assert_eq!(b[16], 6);
        assert_eq!(b[17], AF_LINK);
        assert_eq!(&b[18..24], &[2, 0, 0, 0xaa, 0xbb, 0xcc]);
        let v = vnet("epair0b", 7);
        assert_eq!(v.get_i32(16), 7);

        let mut s = show("SIOCIFDESTROY", SIOCIFDESTROY, &destroy("vlan0").bytes());
        s += &show("SIOCSIFNAME (ifr_data=PTR)", SIOCSIFNAME, &ren.bytes());
        s += &show("SIOCSIFNAME new name buffer", 0, &name16("web0"));
        s += &show("SIOCSIFMTU 9000", SIOCSIFMTU, &mtu.bytes());
        s += &show("SIOCSIFFLAGS 0x18843", SIOCSIFFLAGS, &fl.bytes());
        s += &show(
            "SIOCSIFDESCR hello (buffer=PTR)",
            SIOCSIFDESCR,
            &descr("epair0a", descr_buf("hello").len(), PTR).bytes(),
        );
        s += &show(
            "SIOCSIFLLADDR 02:00:00:aa:bb:cc",
            SIOCSIFLLADDR,
            &ll.bytes(),
        );
        s += &show("SIOCSIFVNET jid 7", SIOCSIFVNET, &v.bytes());
        s += &show(
            "SIOCSIFRVNET jid 7",
            SIOCSIFRVNET,
            &vnet("epair0b", 7).bytes(),
        );
        s += &show(
            "SIOCIFGCLONERS count",
            SIOCIFGCLONERS,
            &clonereq(0, 0).bytes(),
        );
        s += &show(
            "SIOCIFGCLONERS fetch 4 (buffer=PTR)",
            SIOCIFGCLONERS,
            &clonereq(4, PTR).bytes(),
        );
        s += &show(
            "SIOCGIFGROUP 256 (groups=PTR)",
            SIOCGIFGROUP,
            &groupreq("epair0a", 256, PTR).bytes(),
        );
        s += &show(
            "SIOCAIFADDR 10.1.2.3/24",
            SIOCAIFADDR,
            &in_aliasreq("epair0a", "10.1.2.3".parse().unwrap(), 24),
        );
        let a6 = in6_aliasreq("epair0a", "2001:db8::5".parse().unwrap(), 64);
        assert_eq!(a6[16], 28);
        assert_eq!(a6[17], AF_INET6);
        assert_eq!(&a6[24..26], &[0x20, 0x01]);
        assert_eq!(a6[72], 28);
        assert_eq!(&a6[80..88], &[0xff; 8]);
        assert_eq!(&a6[88..96], &[0; 8]);
        assert_eq!(&a6[120..128], &[0xff; 8]);
        s += &show("SIOCAIFADDR_IN6 2001:db8::5/64", SIOCAIFADDR_IN6, &a6);
        let q6 = netmask6_query("epair0a", "fe80::1".parse().unwrap());
        assert_eq!(&q6[24..26], &[0xfe, 0x80]);
        s += &show(
            "SIOCGIFNETMASK_IN6 fe80::1 (first 48 bytes)",
            SIOCGIFNETMASK_IN6,
            &q6[..48],
        );
        snap("properties", s);
    }

    #[test]
    fn jail_params() {
        let c = jail_create("ifc-test");
        assert_eq!(c[0].name, b"name\0");
        assert_eq!(c[0].value, b"ifc-test\0");
        assert_eq!(c[2].value, 1i32.to_ne_bytes());
        assert!(c[3].value.is_empty());
        let mut s = String::from("jail_set(JAIL_CREATE):\n");
        s += &render_params(&c);
        s += "jail_get by jid 3:\n";
        s += &render_params(&jail_get_jid(3));
        s += "jail_get lastjid 0:\n";
        s += &render_params(&jail_get_next(0));
        snap("jail_params", s);
    }

    #[test]
    fn answers() {
        let mut g = jail_get_next(0);
        g[1].value = 5i32.to_ne_bytes().to_vec();
        g[2].value[..3].copy_from_slice(b"abc");
        assert_eq!(param_int(&g, "jid"), Some(5));
        assert_eq!(param_str(&g, "name").as_deref(), Some("abc"));
        assert_eq!(errmsg(&g), None);

        let mut slots = vec![0u8; 48];
        slots[..5].copy_from_slice(b"epair");
        slots[16..20].copy_from_slice(b"vlan");
        assert_eq!(parse_name_slots(&slots, 3), vec!["epair", "vlan"]);

        let mut r = IfReq::new("x");
        r.put_usize(ifr_off::BUFFER_LENGTH, 300);
        assert_eq!(descr_answer(&r, &[0u8; 64]), DescrAnswer::Retry(300));
        r.put_usize(ifr_off::BUFFER_BUFFER, PTR);
        assert_eq!(
            descr_answer(&r, b"hi\0\0"),
            DescrAnswer::Text("hi".to_string())
        );

        let mut q6 = [0u8; IN6_IFREQ_SIZE];
        q6[24..32].copy_from_slice(&[0xff; 8]);
        q6[32] = 0xf0;
        assert_eq!(prefix6_of(&q6), 68);
        let mut sa6 = sockaddr_in6("fe80::1".parse().unwrap()).to_vec();
        sa6[11] = 3; // KAME embedded zone id 3
        assert_eq!(parse_sockaddr_in6(&sa6), Some("fe80::1".parse().unwrap()));
        assert_eq!(
            parse_sockaddr_in6(&sockaddr_in6("2001:db8::1".parse().unwrap())),
            Some("2001:db8::1".parse().unwrap())
        );

        let mut nm = IfReq::new("x");
        nm.ifru[4..8].copy_from_slice(&[255, 255, 240, 0]);
        assert_eq!(prefix_of(&nm), 20);
    }

    #[test]
    fn ifconf_walk() {
        let mut buf = Vec::new();
        // lo0 with a sockaddr_dl of 20 bytes (longer than 16: record is 16 + 20).
        buf.extend_from_slice(&name16("lo0"));
        let mut dl = vec![20u8, AF_LINK, 1, 0, 24, 3, 0, 0];
        dl.extend_from_slice(b"lo0");
        dl.resize(20, 0);
        buf.extend_from_slice(&dl);
        // epair0a with a sockaddr_dl carrying a MAC (8 + 7 + 6 = 21 bytes).
        buf.extend_from_slice(&name16("epair0a"));
        let mut dl = vec![21u8, AF_LINK, 7, 0, 6, 7, 6, 0];
        dl.extend_from_slice(b"epair0a");
        dl.extend_from_slice(&[2, 1, 2, 3, 4, 0xa]);
        buf.extend_from_slice(&dl);
        // epair0a with an IPv4 address (plain ifreq: 32 bytes).
        buf.extend_from_slice(&name16("epair0a"));
        buf.extend_from_slice(&sockaddr_in("10.0.0.1".parse().unwrap()));
        // A truncated tail.
        buf.extend_from_slice(&[1, 2, 3]);
        let e = parse_ifconf(&buf);
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].name, "lo0");
        assert_eq!(parse_sockaddr_dl(&e[0].sa), Some((1, None)));
        assert_eq!(
            parse_sockaddr_dl(&e[1].sa),
            Some((7, Some([2, 1, 2, 3, 4, 0xa])))
        );
        assert_eq!(
            parse_sockaddr_in(&e[2].sa),
            Some("10.0.0.1".parse().unwrap())
        );
        // Never panics on garbage.
        for n in 0..200 {
            let g: Vec<u8> = (0..n).map(|i| (i * 37 % 251) as u8).collect();
            let _ = parse_ifconf(&g);
        }
    }

    #[test]
    fn bridge_requests() {
        let add = IfBReq::for_member("epair0a");
        let b = add.bytes();
        assert_eq!(b.len(), 80);
        assert_eq!(&b[..8], b"epair0a\0");
        assert!(b[8..].iter().all(|&x| x == 0));
        let drv = IfDrv::new("bridge0", brdg::BRDGADD, IFBREQ_SIZE, PTR);
        let d = drv.bytes();
        assert_eq!(&d[..8], b"bridge0\0");
        assert_eq!(usize::from_ne_bytes(d[16..24].try_into().unwrap()), 0);
        assert_eq!(usize::from_ne_bytes(d[24..32].try_into().unwrap()), 80);
        assert_eq!(usize::from_ne_bytes(d[32..40].try_into().unwrap()), PTR);
        let del = IfDrv::new("bridge0", brdg::BRDGDEL, IFBREQ_SIZE, PTR);
        let conf = IfBifConf::new(8192, PTR);
        let c = conf.bytes();
        assert_eq!(u32::from_ne_bytes(c[..4].try_into().unwrap()), 8192);
        assert_eq!(&c[4..8], &[0; 4]);
        assert_eq!(usize::from_ne_bytes(c[8..16].try_into().unwrap()), PTR);
        let gifs = IfDrv::new("bridge0", brdg::BRDGGIFS, 16, PTR);

        let mut s = show("SIOCSDRVSPEC BRDGADD (ifd_data=PTR)", SIOCSDRVSPEC, &d);
        s += &show("ifbreq epair0a (BRDGADD/BRDGDEL)", 0, &b);
        s += &show(
            "SIOCSDRVSPEC BRDGDEL (ifd_data=PTR)",
            SIOCSDRVSPEC,
            &del.bytes(),
        );
        s += &show(
            "SIOCGDRVSPEC BRDGGIFS (ifd_data=PTR)",
            SIOCGDRVSPEC,
            &gifs.bytes(),
        );
        s += &show("ifbifconf 8192 (ifbic_buf=PTR)", 0, &c);
        snap("bridge", s);
    }

    fn ifbreq_record(name: &str, flags: u32) -> Vec<u8> {
        let mut r = IfBReq::for_member(name);
        r.ifbr_ifsflags = flags;
        r.ifbr_portno = 3;
        r.bytes().to_vec()
    }

    #[test]
    fn bridge_member_lists() {
        // Two members (learning | discover, as BRDGADD leaves them), then a span port.
        let mut buf = ifbreq_record("epair0a", 0x3);
        buf.extend(ifbreq_record("tap1", 0x3 | 0x4));
        buf.extend(ifbreq_record("epair9a", IFBIF_SPAN));
        assert_eq!(bridge_members(&buf), vec!["epair0a", "tap1"]);
        // A cut record at the end is ignored.
        assert_eq!(bridge_members(&buf[..200]), vec!["epair0a", "tap1"]);
        // Room for more: complete; the answered length bounds what is read.
        let mut offered = buf.clone();
        offered.resize(8192, 0xee);
        assert_eq!(
            bifconf_answer(&offered, 240),
            BifconfAnswer::Members(vec!["epair0a".into(), "tap1".into()])
        );
        // Exactly full (or nearly): ask again with twice the room, as ifconfig does.
        assert_eq!(bifconf_answer(&buf, 240), BifconfAnswer::Retry(480));
        assert_eq!(bifconf_answer(&buf[..230], 160), BifconfAnswer::Retry(460));
        // An answer longer than the buffer (cannot happen) is bounded by the buffer.
        assert_eq!(bifconf_answer(&[], 80), BifconfAnswer::Retry(160));
        assert_eq!(
            bifconf_answer(&[0; 8192], 0),
            BifconfAnswer::Members(vec![])
        );
        // Never panics on garbage.
        for n in 0..300 {
            let g: Vec<u8> = (0..n).map(|i| (i * 31 % 253) as u8).collect();
            let _ = bridge_members(&g);
            let _ = bifconf_answer(&g, n as u32);
        }
    }

    #[test]
    fn lagg_requests() {
        let rp = LaggReqPort::new("lagg0", "epair0a");
        let b = rp.bytes();
        assert_eq!(b.len(), 72);
        assert_eq!(&b[..6], b"lagg0\0");
        assert_eq!(&b[16..24], b"epair0a\0");
        assert!(b[24..].iter().all(|&x| x == 0));
        let ra = LaggReqAll::new("lagg0", LAGG_MAX_PORTS * 72, PTR);
        let a = ra.bytes();
        assert_eq!(usize::from_ne_bytes(a[24..32].try_into().unwrap()), 2304);
        assert_eq!(usize::from_ne_bytes(a[32..40].try_into().unwrap()), PTR);
        let mut s = show("SIOCSLAGGPORT lagg0 epair0a", SIOCSLAGGPORT, &b);
        s += &show("SIOCSLAGGDELPORT lagg0 epair0a", SIOCSLAGGDELPORT, &b);
        s += &show("SIOCGLAGG lagg0 32 ports (ra_port=PTR)", SIOCGLAGG, &a);
        let mut proto = LaggReqAll::new("lagg0", 0, 0);
        proto.ra_proto = LAGG_PROTO_LACP;
        let p = proto.bytes();
        assert_eq!(u32::from_ne_bytes(p[16..20].try_into().unwrap()), 4);
        assert!(
            p[20..].iter().all(|&x| x == 0),
            "only the name and ra_proto are set"
        );
        s += &show("SIOCSLAGG lagg0 laggproto lacp", SIOCSLAGG, &p);
        snap("lagg", s);
    }

    #[test]
    fn lagg_port_lists() {
        let mut buf = Vec::new();
        for p in ["epair0a", "epair1a", "tap0"] {
            let mut r = LaggReqPort::new("lagg0", p);
            r.rp_flags = 0x1c;
            buf.extend_from_slice(&r.bytes());
        }
        assert_eq!(lagg_ports(&buf, 3), vec!["epair0a", "epair1a", "tap0"]);
        // ra_ports bounds the records read, and the buffer bounds ra_ports.
        assert_eq!(lagg_ports(&buf, 2), vec!["epair0a", "epair1a"]);
        assert_eq!(lagg_ports(&buf, 40), vec!["epair0a", "epair1a", "tap0"]);
        assert_eq!(lagg_ports(&buf[..100], 3), vec!["epair0a"]);
        assert!(lagg_ports(&buf, -1).is_empty());
        assert_eq!(
            lagg_port_flags(&buf, 2),
            vec![("epair0a".to_string(), 0x1c), ("epair1a".to_string(), 0x1c)]
        );
    }

    #[test]
    fn add_groupreq_puts_the_group_in_the_union() {
        let b = add_groupreq("epair3a", "epair").bytes();
        assert_eq!(&b[..7], b"epair3a");
        assert_eq!(&b[16..24], &[0u8; 8]);
        assert_eq!(&b[24..29], b"epair");
        assert!(b[29..].iter().all(|&x| x == 0));
    }
}
