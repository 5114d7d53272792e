//! A kind's create parameters given by their keywords — the words of `ifconfig IF create …`
//! that the kind's descriptor lists ([`KindDesc::keywords`]) — with string values, and turned
//! into a [`KindSpec`] by the kind's own `from_words`. This is how code that cannot name
//! [`KindSpec`]'s variants (the C library, a configuration file) creates any kind: a kind added
//! to the registry is creatable through it without a change there.

use std::fmt;
use std::str::FromStr;

use super::{desc, KindDesc};
use crate::error::{Context, Error, Result};
use crate::model::{IfName, KindName, KindSpec};

/// A kind and the values of some of its keywords.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindParams {
    kind: KindName,
    words: Vec<(&'static str, String)>,
}

impl KindParams {
    /// No keyword given yet: the kind's defaults.
    pub fn new(kind: KindName) -> KindParams {
        KindParams {
            kind,
            words: Vec::new(),
        }
    }

    pub fn kind(&self) -> KindName {
        self.kind
    }

    /// Sets one of the kind's keywords (`vlan`, `vlandev`, `queues`, …) to `value` ("" for a
    /// keyword that takes none), replacing an earlier value. A word the kind does not have is
    /// [`Error::InvalidArgument`] naming the words it has. Values are checked by
    /// [`KindParams::spec`].
    pub fn set(&mut self, word: &str, value: &str) -> Result<()> {
        let d = desc(self.kind);
        let Some(k) = d.keywords.iter().find(|k| k.word == word) else {
            return Err(Error::invalid(
                "set parameter",
                word,
                format!("a {} has no parameter '{word}' ({})", d.name, words_of(d)),
            ));
        };
        match self.words.iter_mut().find(|(w, _)| *w == k.word) {
            Some((_, v)) => *v = value.to_string(),
            None => self.words.push((k.word, value.to_string())),
        }
        Ok(())
    }

    /// The value given for `word`, if any.
    pub fn get(&self, word: &str) -> Option<&str> {
        self.words
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, v)| v.as_str())
    }

    /// The spec these words make, checked by the kind ([`KindSpec::validate`]): a missing
    /// required word or a bad value is [`Error::InvalidArgument`] saying which.
    pub fn spec(&self) -> Result<KindSpec> {
        let d = desc(self.kind);
        let w = Words {
            kind: self.kind,
            words: &self.words,
        };
        let spec = (d.from_words)(&w).map_err(|detail| {
            Error::InvalidArgument(Box::new(Context::new("create", d.name).detail(detail)))
        })?;
        spec.validate("create", d.name)?;
        Ok(spec)
    }
}

fn words_of(d: &KindDesc) -> String {
    if d.keywords.is_empty() {
        return "it takes none".into();
    }
    let w: Vec<&str> = d.keywords.iter().map(|k| k.word).collect();
    format!("its parameters: {}", w.join(", "))
}

/// The keywords given for one kind, as its `from_words` reads them. Each accessor says what is
/// wrong in a sentence for the user.
#[derive(Debug)]
pub struct Words<'a> {
    pub kind: KindName,
    words: &'a [(&'static str, String)],
}

impl Words<'_> {
    /// The raw value of `word`, if given.
    pub fn get(&self, word: &str) -> Option<&str> {
        self.words
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, v)| v.as_str())
    }

    /// A value parsed by `FromStr` (numbers, IP addresses).
    pub fn parse<T: FromStr>(&self, word: &str) -> std::result::Result<Option<T>, String> {
        self.get(word)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("bad {word} '{v}': not a valid value"))
            })
            .transpose()
    }

    /// A value parsed by the kind's own parser, whose accepted values `expected` names.
    pub fn parse_with<T>(
        &self,
        word: &str,
        parse: fn(&str) -> Option<T>,
        expected: &str,
    ) -> std::result::Result<Option<T>, String> {
        self.get(word)
            .map(|v| parse(v).ok_or_else(|| format!("bad {word} '{v}': {expected}")))
            .transpose()
    }

    /// An interface name.
    pub fn name(&self, word: &str) -> std::result::Result<Option<IfName>, String> {
        self.get(word)
            .map(|v| IfName::check(v).map(|_| IfName::new(v).expect("checked")))
            .transpose()
            .map_err(|why| format!("bad {word}: {why}"))
    }

    /// `v`, or the error that a kind needs `word`.
    pub fn need<T>(&self, v: Option<T>, word: &str) -> std::result::Result<T, String> {
        v.ok_or_else(|| format!("a {} needs '{word}'", self.kind))
    }
}

impl fmt::Display for KindParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        for (w, v) in &self.words {
            write!(f, " {w} {v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::REGISTRY;
    use crate::model::{MacvlanMode, VlanProto};

    fn spec(kind: KindName, words: &[(&str, &str)]) -> Result<KindSpec> {
        let mut p = KindParams::new(kind);
        for (w, v) in words {
            p.set(w, v)?;
        }
        p.spec()
    }

    #[test]
    fn every_kind_with_no_required_word_is_made_by_its_defaults_and_the_rest_say_what_they_need() {
        for d in REGISTRY {
            match spec(d.kind, &[]) {
                Ok(s) => assert_eq!(s.kind(), d.kind),
                Err(e) => assert!(
                    e.to_string().contains(&format!("a {} needs '", d.name)),
                    "{}: {e}",
                    d.name
                ),
            }
        }
    }

    #[test]
    fn words_become_the_spec() {
        let v = spec(
            KindName::Vlan,
            &[("vlandev", "eth0"), ("vlan", "7"), ("vlanproto", "802.1ad")],
        )
        .unwrap();
        assert_eq!(
            v,
            KindSpec::Vlan {
                parent: IfName::new("eth0").unwrap(),
                id: 7,
                proto: VlanProto::Dot1Ad
            }
        );
        let m = spec(KindName::Macvtap, &[("macvlandev", "eth0")]).unwrap();
        assert_eq!(
            m,
            KindSpec::Macvtap {
                parent: IfName::new("eth0").unwrap(),
                mode: MacvlanMode::default()
            }
        );
        assert_eq!(
            spec(KindName::Tap, &[("queues", "4")]).unwrap(),
            KindSpec::Tap { queues: 4 }
        );
    }

    #[test]
    fn bad_words_and_values_are_refused_with_the_reason() {
        let e = spec(KindName::Bridge, &[("vlan", "1")]).unwrap_err();
        assert!(e.to_string().contains("it takes none"), "{e}");
        let e = spec(KindName::Tap, &[("vlan", "1")]).unwrap_err();
        assert!(e.to_string().contains("its parameters: queues"), "{e}");
        let e = spec(KindName::Vlan, &[("vlandev", "eth0"), ("vlan", "4095")]).unwrap_err();
        assert!(e.to_string().contains("4094"), "{e}");
        let e = spec(KindName::Vlan, &[("vlandev", "eth0"), ("vlan", "x")]).unwrap_err();
        assert!(e.to_string().contains("bad vlan 'x'"), "{e}");
        let e = spec(KindName::Macvlan, &[("macvlandev", "a/b")]).unwrap_err();
        assert!(e.to_string().contains("bad macvlandev"), "{e}");
        let e = spec(KindName::Epair, &[("peervnet", "x")]).unwrap_err();
        assert!(e.to_string().contains("placed"), "{e}");
        let e = spec(
            KindName::Vxlan,
            &[
                ("vxlanid", "1"),
                ("vxlanremote", "10.0.0.1"),
                ("vxlangroup", "239.0.0.1"),
            ],
        )
        .unwrap_err();
        assert!(e.to_string().contains("not both"), "{e}");
    }
}
