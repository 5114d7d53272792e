//! Reading RTM_NEWLINK messages straight into the compact [`Interface`]: the attributes are
//! walked once and only the ones ifclone models are looked at, so a 10 000-link dump never holds
//! more than one message and the records.

use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};

use super::kinds::{self, i32_of, nlas, u32_of, u8_of, LinkCtx};
use crate::model::{IfFlags, IfName, Interface, Mac, OperState, MARK_PREFIX};

pub const RTM_NEWLINK: u16 = 16;

const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINK: u16 = 5;
const IFLA_MASTER: u16 = 10;
const IFLA_OPERSTATE: u16 = 16;
const IFLA_LINKINFO: u16 = 18;
const IFLA_IFALIAS: u16 = 20;
const IFLA_GROUP: u16 = 27;
const IFLA_LINK_NETNSID: u16 = 37;
const IFLA_MIN_MTU: u16 = 50;
const IFLA_MAX_MTU: u16 = 51;
const IFLA_PROP_LIST: u16 = 52;
const IFLA_ALT_IFNAME: u16 = 53;
const IFLA_PARENT_DEV_NAME: u16 = 56;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;

const ARPHRD_LOOPBACK: u16 = 772;
pub const IFF_UP: u32 = 1;
const IFF_LOOPBACK: u32 = 8;

/// Linux's IFF_* bits (include/uapi/linux/if.h) as [`IfFlags`].
pub fn neutral_flags(f: u32) -> IfFlags {
    const MAP: [(u32, IfFlags); 11] = [
        (0x1, IfFlags::UP),
        (0x2, IfFlags::BROADCAST),
        (0x8, IfFlags::LOOPBACK),
        (0x10, IfFlags::POINTOPOINT),
        (0x40, IfFlags::RUNNING),
        (0x80, IfFlags::NOARP),
        (0x100, IfFlags::PROMISC),
        (0x200, IfFlags::ALLMULTI),
        (0x1000, IfFlags::MULTICAST),
        (0x10000, IfFlags::LOWER_UP),
        (0x20000, IfFlags::DORMANT),
    ];
    IfFlags::from_os_bits(f, &MAP)
}

/// Parses one RTM_NEWLINK payload (ifinfomsg + attributes) read from `stack`. `None` if it is
/// malformed or has no name.
pub fn parse(payload: &[u8], stack: &std::sync::Arc<str>) -> Option<Interface> {
    if payload.len() < 16 {
        return None;
    }
    let ty = u16::from_ne_bytes([payload[2], payload[3]]);
    let index = u32_of(&payload[4..8])?;
    let flags = u32_of(&payload[8..12])?;
    let (mut name, mut mtu, mut mac, mut desc) = (None, 0, None, None);
    let (mut oper, mut master, mut group) = (OperState::Unknown, None, 0);
    let (mut min_mtu, mut max_mtu, mut mark, mut parent_dev) = (None, None, None, None);
    let mut ctx = LinkCtx::default();
    let (mut kind, mut data): (Option<&[u8]>, Option<&[u8]>) = (None, None);
    for a in nlas(&payload[16..]) {
        let v = a.value();
        match a.kind() {
            IFLA_IFNAME => name = IfName::from_kernel(v),
            IFLA_MTU => mtu = u32_of(v).unwrap_or(0),
            IFLA_ADDRESS if v.len() == 6 => mac = Some(Mac(v.try_into().ok()?)),
            IFLA_IFALIAS => {
                let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
                if end > 0 {
                    desc = Some(String::from_utf8_lossy(&v[..end]).into());
                }
            }
            IFLA_LINK => ctx.link = u32_of(v),
            IFLA_LINK_NETNSID => ctx.netnsid = i32_of(v),
            IFLA_MASTER => master = u32_of(v).filter(|&m| m != 0),
            IFLA_GROUP => group = u32_of(v).unwrap_or(0),
            IFLA_MIN_MTU => min_mtu = u32_of(v),
            IFLA_PARENT_DEV_NAME => {
                let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
                if end > 0 {
                    parent_dev = Some(String::from_utf8_lossy(&v[..end]).into());
                }
            }
            // 0 is the kernel's "no maximum" (dev_validate_mtu only checks a nonzero max_mtu).
            IFLA_MAX_MTU => max_mtu = u32_of(v).filter(|&m| m != 0),
            // The kernel puts every alternative name in IFLA_PROP_LIST of each RTM_NEWLINK
            // (rtnl_fill_prop_list), dumps included; the mark is the first one with our prefix.
            IFLA_PROP_LIST if mark.is_none() => mark = mark_in(v),
            IFLA_OPERSTATE => {
                oper = match u8_of(v).unwrap_or(0) {
                    1 => OperState::NotPresent,
                    2 => OperState::Down,
                    3 => OperState::LowerLayerDown,
                    4 => OperState::Testing,
                    5 => OperState::Dormant,
                    6 => OperState::Up,
                    _ => OperState::Unknown,
                }
            }
            IFLA_LINKINFO => {
                for i in nlas(v) {
                    match i.kind() {
                        IFLA_INFO_KIND => kind = Some(i.value()),
                        IFLA_INFO_DATA => data = Some(i.value()),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    // A link to itself (physical devices report IFLA_LINK = own index) is no link.
    if ctx.link == Some(index) && ctx.netnsid.is_none() {
        ctx.link = None;
    }
    let loopback = ty == ARPHRD_LOOPBACK || flags & IFF_LOOPBACK != 0;
    Some(Interface {
        index,
        name: name?,
        kind: kinds::parse(kind, data, ctx, loopback),
        mtu,
        mac,
        description: desc,
        up: flags & IFF_UP != 0,
        oper,
        master,
        group,
        flags: neutral_flags(flags),
        stack: stack.clone(),
        mark,
        min_mtu,
        max_mtu,
        parent_dev,
    })
}

/// The alternative names (IFLA_PROP_LIST { IFLA_ALT_IFNAME }) of an IFLA_PROP_LIST payload.
fn alt_names(props: &[u8]) -> impl Iterator<Item = &str> {
    nlas(props)
        .filter(|a| a.kind() == IFLA_ALT_IFNAME)
        .filter_map(|a| {
            let v = a.value();
            let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
            std::str::from_utf8(&v[..end]).ok()
        })
}

/// Whether one RTM_NEWLINK payload lists `name` among the interface's alternative names.
pub fn has_alt_name(payload: &[u8], name: &str) -> bool {
    payload.len() >= 16
        && nlas(&payload[16..])
            .filter(|a| a.kind() == IFLA_PROP_LIST)
            .any(|a| alt_names(a.value()).any(|n| n == name))
}

/// The first IFLA_ALT_IFNAME of an IFLA_PROP_LIST that starts with [`MARK_PREFIX`].
fn mark_in(props: &[u8]) -> Option<Box<str>> {
    alt_names(props)
        .find(|n| n.starts_with(MARK_PREFIX))
        .map(Into::into)
}

/// A GETLINK request (dump or single) that skips statistics to keep the answers small.
pub fn get_request(index: u32, name: Option<&IfName>) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = index;
    if let Some(n) = name {
        m.attributes.push(LinkAttribute::IfName(n.to_string()));
    }
    m.attributes
        .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
    m
}

#[cfg(test)]
mod tests {
    use netlink_packet_core::Emitable;
    use netlink_packet_route::link::Prop;

    use super::*;

    fn payload(attrs: Vec<LinkAttribute>) -> Vec<u8> {
        let mut m = LinkMessage::default();
        m.header.index = 7;
        m.attributes = attrs;
        let mut buf = vec![0u8; m.buffer_len()];
        m.emit(&mut buf);
        buf
    }

    #[test]
    fn mark_and_mtu_limits() {
        let stack: std::sync::Arc<str> = "s".into();
        let p = payload(vec![
            LinkAttribute::IfName("ve0".into()),
            LinkAttribute::Mtu(1500),
            LinkAttribute::MinMtu(68),
            LinkAttribute::MaxMtu(65535),
            LinkAttribute::ParentDevName("virtio2".into()),
            LinkAttribute::PropList(vec![
                Prop::AltIfName("some-other-name".into()),
                Prop::AltIfName("ifclone.00ab".into()),
                Prop::AltIfName("ifclone.second".into()),
            ]),
        ]);
        let i = parse(&p, &stack).expect("parsed");
        assert_eq!(i.index, 7);
        assert_eq!(i.name, "ve0");
        assert_eq!(i.mark.as_deref(), Some("ifclone.00ab"));
        assert_eq!((i.min_mtu, i.max_mtu), (Some(68), Some(65535)));
        assert_eq!(i.parent_dev.as_deref(), Some("virtio2"));
        assert!(has_alt_name(&p, "ifclone.second"));
        assert!(has_alt_name(&p, "some-other-name"));
        assert!(!has_alt_name(&p, "ve0"));
        assert!(!has_alt_name(&p, "ifclone.00"));
    }

    #[test]
    fn no_mark_and_no_maximum() {
        let stack: std::sync::Arc<str> = "s".into();
        let p = payload(vec![
            LinkAttribute::IfName("lo".into()),
            LinkAttribute::MinMtu(0),
            LinkAttribute::MaxMtu(0),
            LinkAttribute::PropList(vec![Prop::AltIfName("loopback-alt".into())]),
        ]);
        let i = parse(&p, &stack).expect("parsed");
        assert_eq!(i.mark, None);
        assert_eq!((i.min_mtu, i.max_mtu), (Some(0), None));
        let p = payload(vec![LinkAttribute::IfName("x".into())]);
        let i = parse(&p, &stack).expect("parsed");
        assert_eq!((i.mark, i.min_mtu, i.max_mtu), (None, None, None));
        assert_eq!(i.parent_dev, None);
    }
}
