//! bond (ifclone's lagg): IFLA_BOND_MODE and IFLA_BOND_MIIMON at creation; the mode, miimon,
//! active port and primary read back from IFLA_INFO_DATA.

use netlink_packet_route::link::{BondMode, InfoBond, InfoData, InfoKind, LinkInfo};

use super::{nlas, u32_of, u8_of, LinkCtx};
use crate::model::{GroupMode, KindInfo, KindSpec};

const IFLA_BOND_MODE: u16 = 1;
const IFLA_BOND_ACTIVE_SLAVE: u16 = 2;
const IFLA_BOND_MIIMON: u16 = 3;
const IFLA_BOND_PRIMARY: u16 = 11;

/// The kernel's mode numbers (include/uapi/linux/if_bonding.h BOND_MODE_*).
fn mode_of(n: u8) -> Option<GroupMode> {
    match n {
        0 => Some(GroupMode::RoundRobin),
        1 => Some(GroupMode::Failover),
        2 => Some(GroupMode::LoadBalance),
        4 => Some(GroupMode::Lacp),
        _ => None, // broadcast, balance-tlb, balance-alb
    }
}

fn kernel_mode(m: GroupMode) -> BondMode {
    match m {
        GroupMode::RoundRobin => BondMode::BalanceRr,
        GroupMode::Failover => BondMode::ActiveBackup,
        GroupMode::LoadBalance => BondMode::BalanceXor,
        GroupMode::Lacp => BondMode::Ieee8023Ad,
    }
}

pub fn parse(data: &[u8], _: LinkCtx) -> KindInfo {
    let (mut mode, mut miimon, mut active, mut primary) = (None, None, None, None);
    for a in nlas(data) {
        let v = a.value();
        match a.kind() {
            IFLA_BOND_MODE => mode = u8_of(v).and_then(mode_of),
            IFLA_BOND_MIIMON => miimon = u32_of(v).filter(|&ms| ms != 0),
            IFLA_BOND_ACTIVE_SLAVE => active = u32_of(v).filter(|&i| i != 0),
            IFLA_BOND_PRIMARY => primary = u32_of(v).filter(|&i| i != 0),
            _ => {}
        }
    }
    KindInfo::Bond {
        mode,
        miimon,
        active,
        primary,
    }
}

pub fn info(spec: &KindSpec) -> Vec<LinkInfo> {
    let mut data = Vec::new();
    if let KindSpec::Bond { mode, miimon } = spec {
        data.push(InfoBond::Mode(kernel_mode(*mode)));
        if let Some(ms) = miimon {
            data.push(InfoBond::MiiMon(*ms));
        }
    }
    vec![
        LinkInfo::Kind(InfoKind::Bond),
        LinkInfo::Data(InfoData::Bond(data)),
    ]
}

pub static OPS: super::LinuxKind = super::LinuxKind {
    kind: crate::model::KindName::Bond,
    kernel_kind: Some("bond"),
    rtnl: Some(super::Rtnl {
        name: "bond",
        info: InfoKind::Bond,
        module: "bonding",
    }),
    make: super::Make::Rtnl,
    netns_local: false,
    encode: |s, _| info(s),
    decode: parse,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_neutral_mode_round_trips_through_the_kernel_numbers() {
        for m in GroupMode::ALL {
            let n: u8 = kernel_mode(m).into();
            assert_eq!(mode_of(n), Some(m), "{m}");
        }
        assert_eq!(mode_of(3), None); // broadcast
    }
}
