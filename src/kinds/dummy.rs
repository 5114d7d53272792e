//! dummy: an interface that drops what it is sent.

use super::{native_or_recreate, without_params, KindDesc};
use crate::model::{KindInfo, KindName, KindSpec};

pub(super) static DESC: KindDesc = without_params(
    KindName::Dummy,
    "dummy",
    &[],
    "an interface that drops what it is sent",
    native_or_recreate(KindName::Dummy, false),
    false,
    |k| matches!(k, KindInfo::Dummy).then_some(KindSpec::Dummy),
);
