//! dummy: an interface that drops what it is sent.

use super::{always_valid, no_link, no_name, no_parent, KindDesc, MoveDriver, Strategy::*};
use crate::model::{KindInfo, KindName, KindSpec};

pub(super) static DESC: KindDesc = KindDesc {
    kind: KindName::Dummy,
    name: "dummy",
    aliases: &[],
    summary: "an interface that drops what it is sent",
    moves: MoveDriver {
        kind: Some(KindName::Dummy),
        default: Native,
        allowed: &[Native, Recreate],
        exclusive: false,
    },
    ports: false,
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
    matches!(k, KindInfo::Dummy).then_some(KindSpec::Dummy)
}
