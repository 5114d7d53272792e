//! lo: the stack's loopback interface.

use super::{recreate_only, without_params, KindDesc};
use crate::model::{KindInfo, KindName, KindSpec};

pub(super) static DESC: KindDesc = without_params(
    KindName::Loopback,
    "lo",
    &["loopback"],
    "the stack's loopback interface",
    recreate_only(KindName::Loopback),
    false,
    |k| matches!(k, KindInfo::Loopback).then_some(KindSpec::Loopback),
);
