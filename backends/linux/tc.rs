//! The tc-filter interworking model in rtnetlink messages: an ingress qdisc on an interface and
//! a u32 match-all filter on it whose mirred action redirects every frame out of another
//! interface — what `tc qdisc add dev A ingress; tc filter add dev A parent ffff: protocol all
//! u32 match u32 0 0 action mirred egress redirect dev B` sends (matchall is not in every
//! kernel; u32 is in the smallest).

use netlink_packet_route::tc::{
    TcAction, TcActionAttribute, TcActionGeneric, TcActionMirrorOption, TcActionOption,
    TcActionType, TcAttribute, TcFilterU32Option, TcHandle, TcHeader, TcMessage, TcMirror,
    TcMirrorActionType, TcOption, TcU32Key, TcU32Selector, TcU32SelectorFlags,
};

/// The ingress qdisc's handle (`ffff:`), the parent of its filters.
const INGRESS_QDISC: TcHandle = TcHandle {
    major: 0xffff,
    minor: 0,
};

/// ETH_P_ALL in network byte order, as the filter's protocol.
const ETH_P_ALL_BE: u32 = 0x0003u16.to_be() as u32;

/// The filter's priority (tc's default for the first filter is 49152; any will do, it is the
/// only one).
const PRIO: u32 = 1;

fn header(index: u32) -> TcHeader {
    TcMessage::with_index(index as i32).header
}

/// RTM_NEWQDISC: an ingress qdisc on `index`.
pub fn ingress_qdisc(index: u32) -> TcMessage {
    let mut h = header(index);
    h.handle = INGRESS_QDISC;
    h.parent = TcHandle::INGRESS;
    TcMessage::from_parts(h, vec![TcAttribute::Kind("ingress".into())])
}

/// RTM_NEWTFILTER: every frame arriving on `index` leaves through `to` (stolen from `index`).
pub fn redirect_filter(index: u32, to: u32) -> TcMessage {
    let mut h = header(index);
    h.parent = INGRESS_QDISC;
    h.info = (PRIO << 16) | ETH_P_ALL_BE;
    let mut generic = TcActionGeneric::default();
    generic.action = TcActionType::Stolen;
    let mut parms = TcMirror::default();
    parms.generic = generic;
    parms.eaction = TcMirrorActionType::EgressRedir;
    parms.ifindex = to;
    let mut mirred = TcAction::default();
    mirred.tab = 1;
    mirred.attributes = vec![
        TcActionAttribute::Kind("mirred".into()),
        TcActionAttribute::Options(vec![TcActionOption::Mirror(TcActionMirrorOption::Parms(
            parms,
        ))]),
    ];
    // One key that masks nothing: it matches every frame.
    let mut key = TcU32Key::default();
    key.mask = 0;
    key.val = 0;
    let mut selector = TcU32Selector::default();
    selector.flags = TcU32SelectorFlags::Terminal;
    selector.nkeys = 1;
    selector.keys = vec![key];
    TcMessage::from_parts(
        h,
        vec![
            TcAttribute::Kind("u32".into()),
            TcAttribute::Options(vec![
                TcOption::U32(TcFilterU32Option::Selector(selector)),
                TcOption::U32(TcFilterU32Option::Action(vec![mirred])),
            ]),
        ],
    )
}

#[cfg(test)]
mod tests {
    use netlink_packet_core::Emitable;

    use super::*;

    /// The bytes of the two requests, pinned (reviewed against `tc -d` decoding what
    /// `ifclone` installed in `tests/endpoint.rs`).
    #[test]
    fn request_bytes() {
        let bytes = |m: TcMessage| {
            let mut b = vec![0u8; m.buffer_len()];
            m.emit(&mut b);
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        };
        insta::assert_snapshot!(format!(
            "ingress qdisc on #7: {}\nredirect #7 -> #9: {}\n",
            bytes(ingress_qdisc(7)),
            bytes(redirect_filter(7, 9))
        ));
    }
}
