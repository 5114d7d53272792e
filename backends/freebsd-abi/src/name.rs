//! [`KernelName`]: an interface name read from a kernel buffer.

use std::fmt;

use crate::consts::IFNAMSIZ;

/// An interface name as the kernel wrote it (`ifr_name`, `ifan_name`, a SIOCGIFCONF record):
/// the bytes up to the first NUL, 1–15 of them, valid UTF-8. Kernel names are trusted, so only
/// the length and the encoding are checked — the same rule as ifclone's `IfName::from_kernel`,
/// into which the backend converts it (a test in ifclone checks that the two agree).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KernelName {
    len: u8,
    buf: [u8; IFNAMSIZ - 1],
}

impl KernelName {
    /// Longest name the kernel keeps (IFNAMSIZ - 1).
    pub const MAX_LEN: usize = IFNAMSIZ - 1;

    /// The name in `bytes` (NUL-terminated or not); `None` when it is empty, longer than 15
    /// bytes or not UTF-8.
    pub fn from_kernel(bytes: &[u8]) -> Option<KernelName> {
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let s = std::str::from_utf8(&bytes[..end]).ok()?;
        if s.is_empty() || s.len() > Self::MAX_LEN {
            return None;
        }
        let mut buf = [0u8; IFNAMSIZ - 1];
        buf[..s.len()].copy_from_slice(s.as_bytes());
        Some(KernelName {
            len: s.len() as u8,
            buf,
        })
    }

    pub fn as_str(&self) -> &str {
        // `from_kernel` only stores valid UTF-8.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

impl fmt::Display for KernelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for KernelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl PartialEq<str> for KernelName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl PartialEq<&str> for KernelName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_rule() {
        assert_eq!(
            KernelName::from_kernel(b"epair0a\0\0\0").unwrap(),
            *"epair0a"
        );
        assert_eq!(
            KernelName::from_kernel(b"tap0").unwrap().as_bytes(),
            b"tap0"
        );
        assert!(KernelName::from_kernel(b"").is_none());
        assert!(KernelName::from_kernel(b"\0epair0a").is_none());
        assert!(
            KernelName::from_kernel(b"abcdefghijklmnop").is_none(),
            "16 bytes"
        );
        assert!(
            KernelName::from_kernel(b"abcdefghijklmno\0").is_some(),
            "15 bytes"
        );
        assert!(KernelName::from_kernel(b"\xff\xfe").is_none(), "not UTF-8");
        // Trusted: only the length and the encoding are checked.
        assert!(KernelName::from_kernel(b"a b/c").is_some());
    }
}
