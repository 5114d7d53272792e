//! lagg: a failover group (Linux bond) over member ports, with a mode (`laggproto`) and, on
//! Linux, link monitoring (`miimon`).

use super::{group, no_link, no_name, no_parent, Keyword, KindDesc, Words};
use crate::model::{GroupMode, KindInfo, KindName, KindSpec};

static KEYWORDS: &[Keyword] = &[
    Keyword {
        word: "laggproto",
        value: Some("MODE"),
        help: "failover (default), lacp, roundrobin or loadbalance",
    },
    Keyword {
        word: "miimon",
        value: Some("MS"),
        help: "link monitoring interval in ms (Linux bond only)",
    },
];

pub(super) static DESC: KindDesc = KindDesc {
    kind: KindName::Bond,
    name: "lagg",
    aliases: &["bond"],
    summary: "a failover group (Linux bond) over member ports",
    moves: group(KindName::Bond),
    ports: true,
    on_parent: false,
    fds: false,
    keywords: KEYWORDS,
    validate,
    spec_of,
    link: no_link,
    lower: no_link,
    set_lower_name: no_name,
    parent: no_parent,
    from_words,
};

/// Longest link monitoring interval taken: a day (the kernel takes any int; a larger one is
/// a typo).
pub const MIIMON_MAX: u32 = 86_400_000;

fn validate(k: &KindSpec) -> std::result::Result<(), String> {
    match k {
        KindSpec::Bond {
            miimon: Some(ms), ..
        } if *ms > MIIMON_MAX => Err(format!(
            "miimon {ms} is out of range (0 to {MIIMON_MAX} ms)"
        )),
        _ => Ok(()),
    }
}

/// The spec that makes the same group again: its mode and monitoring. A mode ifclone does not
/// model cannot be re-created as it was.
fn spec_of(k: &KindInfo) -> Option<KindSpec> {
    match k {
        KindInfo::Bond {
            mode: Some(mode),
            miimon,
            ..
        } => Some(KindSpec::Bond {
            mode: *mode,
            miimon: *miimon,
        }),
        _ => None,
    }
}

fn from_words(w: &Words) -> Result<KindSpec, String> {
    Ok(KindSpec::Bond {
        mode: w
            .parse_with(
                "laggproto",
                GroupMode::parse,
                "failover, lacp, roundrobin or loadbalance",
            )?
            .unwrap_or_default(),
        miimon: w.parse("miimon")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GroupMode;

    #[test]
    fn modes_by_both_names_and_the_spec_of_a_record() {
        assert_eq!(GroupMode::parse("active-backup"), Some(GroupMode::Failover));
        assert_eq!(GroupMode::parse("lacp"), GroupMode::parse("802.3ad"));
        assert_eq!(GroupMode::parse("broadcast"), None);
        let rec = KindInfo::Bond {
            mode: Some(GroupMode::Lacp),
            miimon: Some(100),
            active: None,
            primary: None,
        };
        assert_eq!(
            spec_of(&rec),
            Some(KindSpec::Bond {
                mode: GroupMode::Lacp,
                miimon: Some(100)
            })
        );
        let odd = KindInfo::Bond {
            mode: None,
            miimon: None,
            active: None,
            primary: None,
        };
        assert_eq!(spec_of(&odd), None);
        assert!(validate(&KindSpec::Bond {
            mode: GroupMode::Failover,
            miimon: Some(MIIMON_MAX + 1)
        })
        .is_err());
    }
}
