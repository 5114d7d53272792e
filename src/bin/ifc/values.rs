//! The values that follow keywords: numbers, names, addresses. Each refuses bad input with a
//! [`Usage`] error that names the word.

use ifclone::{IfAddr, IfName, Mac};

use crate::opts::{usage, Usage};

pub fn num<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, Usage> {
    s.parse()
        .map_err(|_| Usage(format!("bad {what} '{s}': expected a number")))
}

pub fn ifname(s: &str) -> Result<IfName, Usage> {
    IfName::new(s).map_err(|e| Usage(e.to_string()))
}

pub fn mac(s: &str) -> Result<Mac, Usage> {
    s.parse().map_err(|e: ifclone::Error| Usage(e.to_string()))
}

pub fn ifaddr(s: &str, key: &str, v6: bool) -> Result<IfAddr, Usage> {
    let a: IfAddr = s
        .parse()
        .map_err(|e: ifclone::Error| Usage(format!("{key}: {e}")))?;
    if a.addr.is_ipv6() != v6 {
        return usage(format!(
            "{key} takes an IPv{} address, got '{s}'",
            if v6 { 6 } else { 4 }
        ));
    }
    Ok(a)
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
