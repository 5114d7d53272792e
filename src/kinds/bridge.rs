//! bridge: a software Ethernet switch over member ports.

use super::{always_valid, no_link, no_name, no_parent, KindDesc, MoveDriver, Strategy::*};
use crate::model::{KindInfo, KindName, KindSpec};

pub(super) static DESC: KindDesc = KindDesc {
    kind: KindName::Bridge,
    name: "bridge",
    aliases: &[],
    summary: "a software Ethernet switch over member ports",
    moves: MoveDriver {
        kind: Some(KindName::Bridge),
        default: Recreate,
        allowed: &[Recreate],
        exclusive: false,
    },
    ports: true,
    on_parent: false,
    fds: false,
    keywords: &[],
    validate: always_valid,
    spec_of,
    link: no_link,
    lower: no_link,
    set_lower_name: no_name,
    parent: no_parent,
};

fn spec_of(k: &KindInfo) -> Option<KindSpec> {
    matches!(k, KindInfo::Bridge).then_some(KindSpec::Bridge)
}
