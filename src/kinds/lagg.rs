//! lagg: a link aggregation (Linux bond) over member ports.

use super::{recreate_only, without_params, KindDesc};
use crate::model::{KindInfo, KindName, KindSpec};

pub(super) static DESC: KindDesc = without_params(
    KindName::Bond,
    "lagg",
    &["bond"],
    "a link aggregation (Linux bond) over member ports",
    recreate_only(KindName::Bond),
    true,
    |k| matches!(k, KindInfo::Bond).then_some(KindSpec::Bond),
);
