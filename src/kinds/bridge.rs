//! bridge: a software Ethernet switch over member ports.

use super::{recreate_only, without_params, KindDesc};
use crate::model::{KindInfo, KindName, KindSpec};

pub(super) static DESC: KindDesc = without_params(
    KindName::Bridge,
    "bridge",
    &[],
    "a software Ethernet switch over member ports",
    recreate_only(KindName::Bridge),
    true,
    |k| matches!(k, KindInfo::Bridge).then_some(KindSpec::Bridge),
);
