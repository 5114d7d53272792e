//! The values that follow keywords: numbers, names, addresses. Each refuses bad input with a
//! [`Usage`] error that names the word.

use std::fmt::Display;
use std::ops::RangeInclusive;

use ifclone::{IfAddr, IfName, Mac};

use crate::opts::{usage, Usage};

/// The unsigned integer types a keyword's number is stored in.
pub trait Int: Copy + PartialOrd + Display + TryFrom<u128> {
    const ALL: RangeInclusive<Self>;
}

impl Int for u8 {
    const ALL: RangeInclusive<u8> = 0..=u8::MAX;
}
impl Int for u16 {
    const ALL: RangeInclusive<u16> = 0..=u16::MAX;
}
impl Int for u32 {
    const ALL: RangeInclusive<u32> = 0..=u32::MAX;
}

/// A number of type `T` (any value the type holds).
pub fn num<T: Int>(s: &str, what: &str) -> Result<T, Usage> {
    num_in(s, what, T::ALL)
}

/// A number in `range`: "expected a number" only for what is not one (decimal digits, with an
/// optional sign); a number outside the range, however long, says the range.
pub fn num_in<T: Int>(s: &str, what: &str, range: RangeInclusive<T>) -> Result<T, Usage> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return usage(format!("bad {what} '{s}': expected a number"));
    }
    let out = || {
        let (lo, hi) = (range.start(), range.end());
        Usage(format!("{what}: {s} is out of range {lo}..={hi}"))
    };
    // Too many digits for u128 is out of range too; -0 is 0.
    let n: u128 = digits.parse().map_err(|_| out())?;
    if negative && n != 0 {
        return Err(out());
    }
    let n = T::try_from(n).map_err(|_| out())?;
    if !range.contains(&n) {
        return Err(out());
    }
    Ok(n)
}

/// The prefix lengths of an address family.
pub fn prefix_lens(v6: bool) -> RangeInclusive<u8> {
    if v6 {
        0..=128
    } else {
        0..=32
    }
}

pub fn ifname(s: &str) -> Result<IfName, Usage> {
    IfName::new(s).map_err(|e| Usage(e.to_string()))
}

pub fn mac(s: &str) -> Result<Mac, Usage> {
    s.parse().map_err(|e: ifclone::Error| Usage(e.to_string()))
}

/// `ADDR/PLEN` after `inet` (`v6` false) or `inet6`.
pub fn ifaddr(s: &str, key: &str, v6: bool) -> Result<IfAddr, Usage> {
    let Some((a, plen)) = s.split_once('/') else {
        return usage(format!("{key}: expected ADDR/PLEN, got '{s}'"));
    };
    let addr = ip(a, key)?;
    if addr.is_ipv6() != v6 {
        return usage(format!(
            "{key} takes an IPv{} address, got '{s}'",
            if v6 { 6 } else { 4 }
        ));
    }
    let prefix_len = num_in(plen, "prefix length", prefix_lens(v6))?;
    Ok(IfAddr { addr, prefix_len })
}

pub fn need_prefix(pending: &Option<std::net::IpAddr>) -> Result<(), Usage> {
    match pending {
        Some(a) => usage(format!(
            "address {a} needs a prefix: ADDR/PLEN, or netmask MASK / prefixlen N after it"
        )),
        None => Ok(()),
    }
}

/// `255.255.255.0` or `0xffffff00` → 24; a non-contiguous mask is refused.
pub fn mask_len(s: &str) -> Result<u8, Usage> {
    let bad = || Usage(format!("bad netmask '{s}'"));
    let m: u32 = match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).map_err(|_| bad())?,
        None => u32::from(s.parse::<std::net::Ipv4Addr>().map_err(|_| bad())?),
    };
    if m.leading_ones() + m.trailing_zeros() != 32 {
        return Err(bad());
    }
    Ok(m.leading_ones() as u8)
}

pub fn ip(s: &str, key: &str) -> Result<std::net::IpAddr, Usage> {
    s.parse()
        .map_err(|_| Usage(format!("bad address '{s}' after '{key}'")))
}
